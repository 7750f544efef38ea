/*
 * ev.c: poll(2) loop with CLOCK_MONOTONIC timers (in the manner of redis'
 * ae.c, minus the wall clock).
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <time.h>

#include "ev.h"

uint64_t
ev_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
ev_init(struct ev *ev)
{
	size_t	i;

	for (i = 0; i < EV_MAX_IO; i++) {
		ev->io[i].fd = -1;
		ev->io[i].cb = NULL;
		ev->io[i].arg = NULL;
		ev->io[i].events = 0;
	}
	for (i = 0; i < EV_MAX_TIMER; i++) {
		ev->timer[i].when = 0;
		ev->timer[i].cb = NULL;
		ev->timer[i].arg = NULL;
	}
}

int
ev_io_add(struct ev *ev, int fd, short events, ev_io_cb cb, void *arg)
{
	size_t	i;

	for (i = 0; i < EV_MAX_IO; i++) {
		if (ev->io[i].fd == -1) {
			ev->io[i].fd = fd;
			ev->io[i].events = events;
			ev->io[i].cb = cb;
			ev->io[i].arg = arg;
			return 0;
		}
	}
	errno = ENOSPC;
	return -1;
}

void
ev_io_del(struct ev *ev, int fd)
{
	size_t	i;

	for (i = 0; i < EV_MAX_IO; i++)
		if (ev->io[i].fd == fd)
			ev->io[i].fd = -1;
}

void
ev_timer_set(struct ev *ev, int id, uint64_t when, ev_timer_cb cb, void *arg)
{
	if (id < 0 || id >= EV_MAX_TIMER)
		return;
	ev->timer[id].when = when ? when : 1;
	ev->timer[id].cb = cb;
	ev->timer[id].arg = arg;
}

void
ev_timer_clear(struct ev *ev, int id)
{
	if (id >= 0 && id < EV_MAX_TIMER)
		ev->timer[id].when = 0;
}

uint64_t
ev_timer_when(const struct ev *ev, int id)
{
	if (id < 0 || id >= EV_MAX_TIMER)
		return 0;
	return ev->timer[id].when;
}

/*
 * One turn: poll until the nearest deadline, then run due timers, then the
 * ready descriptors.  Timers first, so an expired deadline (thaw!) is never
 * starved by a chatty descriptor.
 */
int
ev_run_once(struct ev *ev)
{
	struct pollfd	pfd[EV_MAX_IO];
	struct ev_io	was[EV_MAX_IO];
	size_t		map[EV_MAX_IO];
	size_t		i, n = 0;
	uint64_t	now, next = 0;
	int		timeout = -1, r;

	for (i = 0; i < EV_MAX_IO; i++) {
		if (ev->io[i].fd == -1)
			continue;
		pfd[n].fd = ev->io[i].fd;
		pfd[n].events = ev->io[i].events;
		pfd[n].revents = 0;
		was[n] = ev->io[i];
		map[n++] = i;
	}
	for (i = 0; i < EV_MAX_TIMER; i++)
		if (ev->timer[i].when && (next == 0 || ev->timer[i].when < next))
			next = ev->timer[i].when;
	if (next) {
		now = ev_now();
		if (next <= now)
			timeout = 0;
		else {
			uint64_t ms = (next - now + 999999) / 1000000;

			timeout = ms > 60000 ? 60000 : (int)ms;
		}
	}
	r = poll(pfd, (nfds_t)n, timeout);
	if (r == -1 && errno != EINTR)
		return -1;
	now = ev_now();
	for (i = 0; i < EV_MAX_TIMER; i++) {
		if (ev->timer[i].when && ev->timer[i].when <= now) {
			ev->timer[i].when = 0;
			if (ev->timer[i].cb != NULL)
				ev->timer[i].cb(ev->timer[i].arg);
		}
	}
	if (r <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		struct ev_io *io = &ev->io[map[i]];

		/* The slot may have been freed or reused by an earlier cb. */
		if (pfd[i].revents == 0 || io->fd != was[i].fd ||
		    io->cb != was[i].cb || io->arg != was[i].arg)
			continue;
		io->cb(io->arg, io->fd, pfd[i].revents);
	}
	return 0;
}
