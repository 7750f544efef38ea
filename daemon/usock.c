/*
 * usock.c: local listening sockets for the daemon's servers.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "usock.h"

/* Connections taken per wake-up: the loop stays responsive under a flood. */
#define ACCEPT_BURST	16

/*
 * The directory: created 0700 if missing; if present it must be a real
 * directory (lstat) owned by us and not writable by others, since whoever
 * can write it could swap our socket for theirs.
 */
static int
dir_ready(const char *dir, uid_t allowed_uid)
{
	struct stat	st;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	if (lstat(dir, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		errno = EPERM;
		return -1;
	}
	/* The allowed user must be able to reach, not list, the socket. */
	if (allowed_uid != 0 && (st.st_mode & S_IXOTH) == 0 &&
	    chmod(dir, (st.st_mode & 07777) | S_IXOTH) == -1)
		return -1;
	return 0;
}

/*
 * Replace a stale socket file, refuse a live one or anything else: a
 * second daemon must not take the first's socket, and we never unlink
 * what is not a socket.
 */
static int
stale_clear(const struct sockaddr_un *sun)
{
	struct stat	st;
	int		fd, r, saved;

	if (lstat(sun->sun_path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	close(fd);
	if (r == 0 || saved == EAGAIN || saved == EINPROGRESS) {
		errno = EADDRINUSE;
		return -1;
	}
	if (saved != ECONNREFUSED) {
		errno = saved;
		return -1;
	}
	return unlink(sun->sun_path);
}

int
usock_listen(const char *path, uid_t allowed_uid, int backlog,
    struct usock_id *id, const char **why)
{
	struct sockaddr_un	sun;
	struct stat		st;
	char			dir[sizeof(sun.sun_path)], *slash;
	mode_t			old;
	int			fd, r, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*why = "path too long";
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	memcpy(dir, path, strlen(path) + 1);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (dir_ready(dir, allowed_uid) == -1) {
			*why = "directory missing, not ours, or writable by "
			    "others";
			return -1;
		}
	}
	if (stale_clear(&sun) == -1) {
		*why = "a live socket or another file is in the way";
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*why = "socket";
		return -1;
	}
	/* bind creates the file under the umask: 0600 with no window. */
	old = umask(0177);
	r = bind(fd, (const struct sockaddr *)&sun, sizeof(sun));
	saved = errno;
	(void)umask(old);
	if (r == -1) {
		close(fd);
		*why = "bind";
		errno = saved;
		return -1;
	}
	if (lstat(path, &st) == -1 || (allowed_uid != 0 &&
	    lchown(path, allowed_uid, (gid_t)-1) == -1) ||
	    listen(fd, backlog) == -1) {
		saved = errno;
		(void)unlink(path);
		close(fd);
		*why = "listen";
		errno = saved;
		return -1;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return fd;
}

void
usock_accept(int lfd, const char *event, void (*take)(void *, int),
    void *arg)
{
	int	fd, i;

	for (i = 0; i < ACCEPT_BURST; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("event=%s", event);
			return;
		}
		take(arg, fd);
	}
}

void
usock_close(int fd, const char *path, const struct usock_id *id)
{
	struct stat	st;

	if (fd == -1)
		return;
	close(fd);
	/* Only our own file: a successor may have replaced it. */
	if (lstat(path, &st) == 0 && st.st_dev == id->dev &&
	    st.st_ino == id->ino)
		(void)unlink(path);
}

int
usock_peer(int fd, uid_t *uid, pid_t *pid)
{
#ifdef SO_PEERCRED
	struct ucred	cr;
	socklen_t	len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return -1;
	if (len != sizeof(cr)) {
		errno = EPROTO;
		return -1;
	}
	*uid = cr.uid;
	*pid = cr.pid;
	return 0;
#else
	gid_t	gid;

	if (getpeereid(fd, uid, &gid) == -1)
		return -1;
	*pid = -1;
	return 0;
#endif
}
