/*
 * client.c: the client side of the application notification socket
 * (hvvss_client.h; wire format in lib/hvvss_notify.h).
 *
 * One SOCK_SEQPACKET connection per handle, non-blocking, so the caller's
 * poll loop decides when to wait.  Every packet is decoded strictly; a
 * daemon that says something out of turn is treated as broken (EPROTO)
 * rather than guessed at.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hvvss_client.h"
#include "hvvss_err.h"
#include "hvvss_notify.h"

struct hvvss_client {
	int		 fd;		/* -1 */
	int		 registered;
	char		 name[HVVSS_NOTIFY_NAME_MAX + 1];
};

static uint64_t
mono_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *
hvvss_client_phase_name(unsigned p)
{
	return hvvss_notify_phase_name(p);
}

int
hvvss_client_fd(const struct hvvss_client *c)
{
	return c != NULL ? c->fd : -1;
}

int
hvvss_client_registered(const struct hvvss_client *c)
{
	return c != NULL && c->registered;
}

static int
send_msg(struct hvvss_client *c, const struct hvvss_notify_msg *m)
{
	uint8_t	buf[HVVSS_NOTIFY_MSG_LEN];
	ssize_t	r;

	if (hvvss_notify_encode(m, buf, sizeof(buf)) != HVVSS_OK) {
		errno = EINVAL;
		return -1;
	}
	r = send(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r != (ssize_t)sizeof(buf)) {
		if (r >= 0)
			errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* The errno for a WELCOME that refuses us. */
static int
refusal_errno(unsigned status)
{
	switch (status) {
	case HVVSS_NOTIFY_ST_DENIED:
		return EACCES;
	case HVVSS_NOTIFY_ST_DUPLICATE:
		return EEXIST;
	case HVVSS_NOTIFY_ST_FULL:
		return EUSERS;
	default:
		return EPROTO;
	}
}

int
hvvss_client_read(struct hvvss_client *c, struct hvvss_client_event *ev)
{
	struct hvvss_notify_msg	m;
	uint8_t			buf[HVVSS_NOTIFY_MSG_LEN + 1];
	ssize_t			r;

	if (c == NULL || ev == NULL || c->fd == -1) {
		errno = EINVAL;
		return -1;
	}
	memset(ev, 0, sizeof(*ev));
	/* MSG_TRUNC: the real length, so an oversized packet is refused. */
	r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	/*
	 * A daemon that refuses us closes right after its WELCOME; if our
	 * REGISTER was still unread, the kernel reports ECONNRESET before
	 * the queued WELCOME.  The error is reported once: look again.
	 */
	if (r == -1 && errno == ECONNRESET)
		r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return -1;
	}
	if (r == 0) {
		errno = ECONNRESET;
		return -1;
	}
	if ((size_t)r > sizeof(buf) ||
	    hvvss_notify_decode(buf, (size_t)r, &m) != HVVSS_OK) {
		errno = EPROTO;
		return -1;
	}
	if (m.type == HVVSS_NOTIFY_WELCOME && !c->registered) {
		if (m.status != HVVSS_NOTIFY_ST_OK) {
			errno = refusal_errno(m.status);
			return -1;
		}
		c->registered = 1;
		return 0;
	}
	if (m.type != HVVSS_NOTIFY_EVENT || !c->registered) {
		errno = EPROTO;
		return -1;
	}
	ev->cycle = m.cycle;
	ev->phase = m.phase;
	ev->timeout_ms = m.timeout_ms;
	ev->daemon_deadline_ns = m.deadline_ns;
	ev->deadline_ns = mono_ns() + (uint64_t)m.timeout_ms * 1000000ull;
	return 1;
}

int
hvvss_client_wait(struct hvvss_client *c, struct hvvss_client_event *ev,
    int timeout_ms)
{
	struct pollfd	pfd;
	uint64_t	end = 0, now;
	int		r, left = timeout_ms;

	if (c == NULL || c->fd == -1) {
		errno = EINVAL;
		return -1;
	}
	if (timeout_ms > 0)
		end = mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		int was = c->registered;

		/* The registration answer also ends the wait (open needs it). */
		if ((r = hvvss_client_read(c, ev)) != 0 || c->registered != was)
			return r;
		if (timeout_ms > 0) {
			now = mono_ns();
			if (now >= end)
				return 0;
			left = (int)((end - now + 999999) / 1000000);
		} else if (timeout_ms == 0)
			return 0;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, left) == -1 && errno != EINTR)
			return -1;
	}
}

int
hvvss_client_ack(struct hvvss_client *c, const struct hvvss_client_event *ev,
    int ok)
{
	struct hvvss_notify_msg	m;

	if (c == NULL || ev == NULL || c->fd == -1 ||
	    ev->phase == HVVSS_NOTIFY_NONE ||
	    ev->phase >= HVVSS_NOTIFY_PHASE__MAX) {
		errno = EINVAL;
		return -1;
	}
	hvvss_notify_init(&m, HVVSS_NOTIFY_ACK);
	m.cycle = ev->cycle;
	m.phase = (uint16_t)ev->phase;
	m.status = ok ? HVVSS_NOTIFY_ST_OK : HVVSS_NOTIFY_ST_FAIL;
	return send_msg(c, &m);
}

void
hvvss_client_close(struct hvvss_client *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	free(c);
}

int
hvvss_client_open(struct hvvss_client **cp, const char *path,
    const char *name, int timeout_ms)
{
	struct sockaddr_un	 sun;
	struct hvvss_notify_msg	 m;
	struct hvvss_client_event ev;
	struct hvvss_client	*c;
	int			 r, saved;

	if (cp == NULL || name == NULL ||
	    hvvss_notify_name_check(name) != HVVSS_OK) {
		errno = EINVAL;
		return -1;
	}
	*cp = NULL;
	if (path == NULL)
		path = HVVSS_CLIENT_PATH;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	memcpy(c->name, name, strlen(name));
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (c->fd == -1)
		goto fail;
	/* AF_UNIX connect completes at once or fails (EAGAIN: backlog). */
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	hvvss_notify_init(&m, HVVSS_NOTIFY_REGISTER);
	memcpy(m.name, name, strlen(name));
	if (send_msg(c, &m) == -1) {
		/* Refused and closed before we spoke: read why, if said. */
		if ((errno == EPIPE || errno == ECONNRESET) &&
		    hvvss_client_read(c, &ev) == -1 && errno != ECONNRESET)
			goto fail;
		errno = ECONNRESET;
		goto fail;
	}
	if (timeout_ms != 0) {
		r = hvvss_client_wait(c, &ev, timeout_ms);
		if (r == -1)
			goto fail;
		if (r == 1 || !c->registered) {
			/* An event before the answer, or no answer in time. */
			errno = r == 1 ? EPROTO : ETIMEDOUT;
			goto fail;
		}
	}
	*cp = c;
	return 0;
fail:
	saved = errno;
	hvvss_client_close(c);
	errno = saved;
	return -1;
}
