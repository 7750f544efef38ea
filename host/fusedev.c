/*
 * fusedev.c: libfuse3 low-level glue for the emulated devices.
 *
 * Single-threaded: libfuse never runs its own loop here.  The session fd
 * is non-blocking; fuse_session_receive_buf() returns -EAGAIN when
 * nothing is queued.  This process never touches its own mount point
 * after mounting (a FUSE server that does deadlocks on itself).
 */
#define FUSE_USE_VERSION 314

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fusedev.h"
#include "hlog.h"

static void
fd_hex(char *out, size_t cap, const uint8_t *b, size_t n)
{
	size_t	 i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o + 4 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%02x", i ? " " : "",
		    b[i]);
	if (i < n && o + 4 < cap)
		snprintf(out + o, cap - o, " ...");
}

static void
fd_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Plain reads and writes: no splice with a non-blocking fd. */
	conn->want &= ~(unsigned)(FUSE_CAP_SPLICE_READ |
	    FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
}

static void
fd_stat(const struct fusedev *fd, struct stat *st)
{
	struct timespec	 ts;

	memset(st, 0, sizeof(*st));
	clock_gettime(CLOCK_REALTIME, &ts);
	st->st_ino = FUSE_ROOT_ID;
	st->st_mode = S_IFREG | fd->mode;
	st->st_nlink = 1;
	st->st_uid = 0;
	st->st_gid = 0;
	st->st_size = 0;
	st->st_atim = st->st_mtim = st->st_ctim = ts;
}

static void
fd_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fusedev	*fd = fuse_req_userdata(req);
	struct stat	 st;

	(void)fi;
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fd_stat(fd, &st);
	fuse_reply_attr(req, &st, 0.0);
}

static void
fd_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
    struct fuse_file_info *fi)
{
	(void)attr;
	(void)to_set;
	/* A character device has nothing to truncate or chmod. */
	fd_getattr(req, ino, fi);
}

static void
fd_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent;
	(void)name;
	fuse_reply_err(req, ENOTDIR);
}

static void
fd_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fusedev		*fd = fuse_req_userdata(req);
	const struct fuse_ctx	*ctx = fuse_req_ctx(req);
	int			 r;

	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	r = fd->ops->open != NULL ? fd->ops->open(fd->arg, fi->flags,
	    ctx->pid) : 0;
	hlog_debug("%s: OPEN pid %d flags 0%o -> %s", fd->name,
	    (int)ctx->pid, (unsigned)fi->flags, r == 0 ? "ok" : strerror(-r));
	if (r != 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fd->opens++;
	/* lab-facts 5: without direct_io reads go through the page cache. */
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fi->keep_cache = 0;
	fi->fh = fd->opens;
	if (fuse_reply_open(req, fi) != 0)
		hlog_warnx("%s: open reply failed", fd->name);
}

/* The daemon got a signal while its read was held: EINTR in sync(). */
static void
fd_read_interrupted(fuse_req_t req, void *data)
{
	struct fusedev	*fd = data;
	int		 i;

	for (i = 0; i < FUSEDEV_MAX_HELD; i++)
		if (fd->held[i].req == req)
			fd->held[i].interrupted = 1;
}

static void
fd_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fusedev		*fd = fuse_req_userdata(req);
	const struct fuse_ctx	*ctx = fuse_req_ctx(req);
	uint8_t			 buf[FUSEDEV_IO_MAX];
	char			 hex[64];
	ssize_t			 r;
	int			 i;

	(void)ino;
	(void)off;		/* offsets keep growing; meaningless here */
	(void)fi;
	if (fd->ops->read == NULL) {
		fuse_reply_err(req, ENODEV);
		return;
	}
	r = fd->ops->read(fd->arg, buf, size < sizeof(buf) ? size :
	    sizeof(buf), ctx->pid);
	if (r == -EAGAIN) {
		for (i = 0; i < FUSEDEV_MAX_HELD; i++)
			if (fd->held[i].req == NULL)
				break;
		if (i == FUSEDEV_MAX_HELD) {
			fuse_reply_err(req, EAGAIN);
			return;
		}
		hlog_debug("%s: READ size %zu pid %d -> held", fd->name, size,
		    (int)ctx->pid);
		fd->held[i].req = req;
		fd->held[i].size = size;
		fd->held[i].pid = ctx->pid;
		fd->held[i].interrupted = 0;
		/* Calls fd_read_interrupted at once if already interrupted. */
		fuse_req_interrupt_func(req, fd_read_interrupted, fd);
		return;
	}
	if (r < 0) {
		hlog_debug("%s: READ size %zu -> %s", fd->name, size,
		    strerror((int)-r));
		fuse_reply_err(req, (int)-r);
		return;
	}
	fd_hex(hex, sizeof(hex), buf, (size_t)r);
	hlog_debug("%s: READ size %zu -> %zd bytes: %s", fd->name, size, r,
	    hex);
	fuse_reply_buf(req, (const char *)buf, (size_t)r);
}

static void
fd_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
    off_t off, struct fuse_file_info *fi)
{
	struct fusedev		*fd = fuse_req_userdata(req);
	const struct fuse_ctx	*ctx = fuse_req_ctx(req);
	char			 hex[64];
	ssize_t			 r;

	(void)ino;
	(void)off;
	(void)fi;
	if (fd->ops->write == NULL) {
		fuse_reply_err(req, ENODEV);
		return;
	}
	fd_hex(hex, sizeof(hex), (const uint8_t *)buf, size);
	r = fd->ops->write(fd->arg, (const uint8_t *)buf, size, ctx->pid);
	hlog_debug("%s: WRITE size %zu: %s -> %s", fd->name, size, hex,
	    r >= 0 ? "ok" : strerror((int)-r));
	if (r < 0)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_write(req, (size_t)r);
}

static void
fd_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void
fd_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fusedev		*fd = fuse_req_userdata(req);
	const struct fuse_ctx	*ctx = fuse_req_ctx(req);
	int			 i;

	(void)ino;
	(void)fi;
	hlog_debug("%s: RELEASE", fd->name);
	/* Reads still held belong to the file going away. */
	for (i = 0; i < FUSEDEV_MAX_HELD; i++) {
		if (fd->held[i].req == NULL)
			continue;
		fuse_reply_err(fd->held[i].req, EBADF);
		fd->held[i].req = NULL;
	}
	if (fd->ph != NULL) {
		fuse_pollhandle_destroy(fd->ph);
		fd->ph = NULL;
	}
	if (fd->ops->release != NULL)
		fd->ops->release(fd->arg, ctx->pid);
	fuse_reply_err(req, 0);
}

static void
fd_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
    struct fuse_pollhandle *ph)
{
	struct fusedev	*fd = fuse_req_userdata(req);
	short		 mask;

	(void)ino;
	(void)fi;
	if (ph != NULL) {
		if (fd->ph != NULL)
			fuse_pollhandle_destroy(fd->ph);
		fd->ph = ph;
	}
	mask = fd->ops->poll != NULL ? fd->ops->poll(fd->arg) : 0;
	hlog_debug("%s: POLL -> 0x%x", fd->name, (unsigned)mask);
	/* Idle is 0, not POLLOUT: the kernel devices never report it. */
	fuse_reply_poll(req, (unsigned)mask);
}

static void
fd_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
    struct fuse_file_info *fi, unsigned flags, const void *in_buf,
    size_t in_bufsz, size_t out_bufsz)
{
	struct fusedev		*fd = fuse_req_userdata(req);
	const struct fuse_ctx	*ctx = fuse_req_ctx(req);
	uint8_t			 out[FUSEDEV_IO_MAX];
	int			 r;

	(void)ino;
	(void)arg;
	(void)fi;
	if (fd->ops->ioctl == NULL || (flags & FUSE_IOCTL_COMPAT) != 0 ||
	    out_bufsz > sizeof(out)) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	r = fd->ops->ioctl(fd->arg, cmd, in_buf, in_bufsz, out, out_bufsz,
	    ctx->pid);
	hlog_debug("%s: IOCTL 0x%08x in %zu out %zu -> %d", fd->name, cmd,
	    in_bufsz, out_bufsz, r);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_ioctl(req, 0, r > 0 ? out : NULL, (size_t)r);
}

static const struct fuse_lowlevel_ops fd_llops = {
	.init = fd_init,
	.lookup = fd_lookup,
	.getattr = fd_getattr,
	.setattr = fd_setattr,
	.open = fd_open,
	.read = fd_read,
	.write = fd_write,
	.flush = fd_flush,
	.release = fd_release,
	.poll = fd_poll,
	.ioctl = fd_ioctl,
};

/* mkdir -p for the parents of path, remembering what we created. */
static int
fd_make_parents(struct fusedev *fd, const char *path)
{
	char		 dir[256];
	char		*slash;
	struct stat	 st;

	if (strlen(path) >= sizeof(dir))
		return -1;
	strcpy(dir, path);
	for (slash = strchr(dir + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (stat(dir, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				hlog_warnx("%s is not a directory", dir);
				return -1;
			}
		} else if (mkdir(dir, 0755) == 0) {
			if (fd->ndirs < FUSEDEV_MAX_DIRS)
				strcpy(fd->created_dirs[fd->ndirs++], dir);
		} else {
			hlog_warn("mkdir %s", dir);
			return -1;
		}
		*slash = '/';
	}
	return 0;
}

static void
fd_remove_created(struct fusedev *fd)
{
	if (fd->created_file && unlink(fd->path) == -1)
		hlog_warn("unlink %s", fd->path);
	fd->created_file = 0;
	while (fd->ndirs > 0) {
		fd->ndirs--;
		if (rmdir(fd->created_dirs[fd->ndirs]) == -1)
			hlog_warn("rmdir %s", fd->created_dirs[fd->ndirs]);
	}
}

int
fusedev_start(struct fusedev *fd, const char *name, const char *path,
    unsigned mode, const struct fusedev_ops *ops, void *arg)
{
	char			 a0[] = "hvvss-host", a1[] = "-o";
	char			 a2[] = "fsname=hvvss-fuse,subtype=hvvss";
	char			*argv[] = { a0, a1, a2, NULL };
	struct fuse_args	 args = FUSE_ARGS_INIT(3, argv);
	struct stat		 st;
	int			 tfd, fl;

	memset(fd, 0, sizeof(*fd));
	fd->fd = -1;
	fd->name = name;
	fd->mode = mode;
	fd->ops = ops;
	fd->arg = arg;
	if (path[0] != '/' || strlen(path) >= sizeof(fd->path)) {
		hlog_warnx("%s: device path must be absolute", path);
		return -1;
	}
	strcpy(fd->path, path);
	if (fd_make_parents(fd, path) == -1)
		goto fail;
	if (stat(path, &st) == 0) {
		/* Never mount over a real device or anything not empty. */
		if (!S_ISREG(st.st_mode) || st.st_size != 0) {
			hlog_warnx("%s exists and is not an empty regular file",
			    path);
			goto fail;
		}
	} else {
		if ((tfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600)) == -1) {
			hlog_warn("create %s", path);
			goto fail;
		}
		close(tfd);
		fd->created_file = 1;
	}
	fd->se = fuse_session_new(&args, &fd_llops, sizeof(fd_llops), fd);
	fuse_opt_free_args(&args);
	if (fd->se == NULL) {
		hlog_warnx("%s: fuse_session_new failed", path);
		goto fail;
	}
	if (fuse_session_mount(fd->se, path) != 0) {
		hlog_warnx("%s: fuse mount failed", path);
		goto fail;
	}
	fd->mounted = 1;
	fd->fd = fuse_session_fd(fd->se);
	if ((fl = fcntl(fd->fd, F_GETFL)) == -1 ||
	    fcntl(fd->fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd->fd, F_SETFD, FD_CLOEXEC) == -1) {
		hlog_warn("%s: fuse fd flags", path);
		goto fail;
	}
	hlog_debug("%s: mounted %s", name, path);
	return 0;
fail:
	fusedev_stop(fd);
	return -1;
}

int
fusedev_fd(const struct fusedev *fd)
{
	return fd->fd;
}

int
fusedev_dispatch(struct fusedev *fd)
{
	struct fuse_buf	 buf;
	int		 r;

	if (fd->se == NULL || fd->gone)
		return -1;
	for (;;) {
		/* libfuse allocates the buffer on first use; reuse it. */
		memset(&buf, 0, sizeof(buf));
		buf.mem = fd->bufmem;
		r = fuse_session_receive_buf(fd->se, &buf);
		fd->bufmem = buf.mem;
		if (r == -EAGAIN || r == -EINTR)
			return 0;
		if (r <= 0 || fuse_session_exited(fd->se)) {
			if (r < 0)
				hlog_warnx("%s: fuse receive: %s", fd->name,
				    strerror(-r));
			fd->gone = 1;
			return -1;
		}
		fuse_session_process_buf(fd->se, &buf);
	}
}

int
fusedev_sync(struct fusedev *fd)
{
	uint8_t		 buf[FUSEDEV_IO_MAX];
	char		 hex[64];
	ssize_t		 r;
	int		 i, done = 0;

	if (fd->se == NULL)
		return 0;
	for (i = 0; i < FUSEDEV_MAX_HELD; i++) {
		if (fd->held[i].req == NULL)
			continue;
		if (fd->held[i].interrupted) {
			hlog_debug("%s: held READ interrupted -> EINTR",
			    fd->name);
			fuse_reply_err(fd->held[i].req, EINTR);
			fd->held[i].req = NULL;
			done = 1;
			continue;
		}
		r = fd->ops->read(fd->arg, buf, fd->held[i].size < sizeof(buf) ?
		    fd->held[i].size : sizeof(buf), fd->held[i].pid);
		if (r == -EAGAIN)
			continue;
		if (r < 0) {
			fuse_reply_err(fd->held[i].req, (int)-r);
		} else {
			fd_hex(hex, sizeof(hex), buf, (size_t)r);
			hlog_debug("%s: held READ -> %zd bytes: %s", fd->name,
			    r, hex);
			fuse_reply_buf(fd->held[i].req, (const char *)buf,
			    (size_t)r);
		}
		fd->held[i].req = NULL;
		done = 1;
	}
	if (fd->ph != NULL && fd->ops->poll != NULL &&
	    fd->ops->poll(fd->arg) != 0) {
		hlog_debug("%s: notify poll", fd->name);
		fuse_lowlevel_notify_poll(fd->ph);
		fuse_pollhandle_destroy(fd->ph);
		fd->ph = NULL;
		done = 1;
	}
	return done;
}

void
fusedev_stop(struct fusedev *fd)
{
	int	 i;

	if (fd->se != NULL) {
		for (i = 0; i < FUSEDEV_MAX_HELD; i++) {
			if (fd->held[i].req == NULL)
				continue;
			fuse_reply_err(fd->held[i].req, EBADF);
			fd->held[i].req = NULL;
		}
		if (fd->ph != NULL) {
			fuse_pollhandle_destroy(fd->ph);
			fd->ph = NULL;
		}
		if (fd->mounted)
			fuse_session_unmount(fd->se);
		fd->mounted = 0;
		fuse_session_destroy(fd->se);
		fd->se = NULL;
		fd->fd = -1;
	}
	free(fd->bufmem);
	fd->bufmem = NULL;
	fd_remove_created(fd);
}
