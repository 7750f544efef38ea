/*
 * usock.h: the daemon's local listening sockets (the notification and the
 * control socket): SOCK_SEQPACKET, non-blocking, in a directory of ours
 * that no one else can write, created 0600 with no window, never taking a
 * live socket from another daemon and never unlinking what is not ours.
 */
#ifndef USOCK_H
#define USOCK_H

#include <sys/types.h>

struct usock_id {
	dev_t	dev;		/* the socket file we bound, so that close */
	ino_t	ino;		/*  unlinks only our own */
};

/*
 * Listen on path; allowed_uid != 0 also lets that user reach and own the
 * socket (the peer credentials decide, per connection).  Returns the
 * descriptor, or -1 with errno set and *why naming the failing step.
 */
int	usock_listen(const char *path, uid_t allowed_uid, int backlog,
	    struct usock_id *, const char **why);
/*
 * Accept up to a burst of pending connections (non-blocking, close-on-exec)
 * and hand each to take(arg, fd); a failure other than "none pending" is
 * logged with the event name given.
 */
void	usock_accept(int lfd, const char *event, void (*take)(void *, int),
	    void *arg);
/*
 * Who is at the other end: SO_PEERCRED on Linux, getpeereid(2) elsewhere
 * (no pid there: -1).  0, or -1 with errno set.
 */
int	usock_peer(int fd, uid_t *uid, pid_t *pid);
/* Close fd (if not -1) and unlink path if it is still our socket file. */
void	usock_close(int fd, const char *path, const struct usock_id *);

#endif /* USOCK_H */
