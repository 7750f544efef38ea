/*
 * loop.c: poll(2) dispatcher.  Deadlines are absolute CLOCK_MONOTONIC
 * nanoseconds; ppoll() takes the remaining time with full precision so a
 * 1 ms host deadline is not rounded to a scheduler tick.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "loop.h"

void
loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
}

uint64_t
loop_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int
loop_add(struct loop *l, int fd, short events, loop_cb cb, void *arg)
{
	if (fd < 0 || l->n >= LOOP_MAX_FD) {
		errno = EINVAL;
		return -1;
	}
	l->pfd[l->n].fd = fd;
	l->pfd[l->n].events = events;
	l->pfd[l->n].revents = 0;
	l->cb[l->n] = cb;
	l->arg[l->n] = arg;
	l->n++;
	return 0;
}

void
loop_del(struct loop *l, int fd)
{
	unsigned	 i;

	for (i = 0; i < l->n; i++) {
		if (l->pfd[i].fd != fd)
			continue;
		l->n--;
		l->pfd[i] = l->pfd[l->n];
		l->cb[i] = l->cb[l->n];
		l->arg[i] = l->arg[l->n];
		return;
	}
}

int
loop_once(struct loop *l, uint64_t deadline)
{
	struct pollfd	 pfd[LOOP_MAX_FD];
	loop_cb		 cb[LOOP_MAX_FD];
	void		*arg[LOOP_MAX_FD];
	struct timespec	 ts, *tsp = NULL;
	unsigned	 i, j, n;
	uint64_t	 now, left;
	int		 r;

	if (deadline != 0) {
		now = loop_now();
		left = deadline > now ? deadline - now : 0;
		ts.tv_sec = (time_t)(left / 1000000000ull);
		ts.tv_nsec = (long)(left % 1000000000ull);
		tsp = &ts;
	}
	/*
	 * Work on a copy: a callback may add or remove descriptors, and a
	 * removed one must not be dispatched afterwards.
	 */
	n = l->n;
	memcpy(pfd, l->pfd, n * sizeof(pfd[0]));
	memcpy(cb, l->cb, n * sizeof(cb[0]));
	memcpy(arg, l->arg, n * sizeof(arg[0]));
	r = ppoll(pfd, n, tsp, NULL);
	if (r == -1)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n && r > 0; i++) {
		if (pfd[i].revents == 0)
			continue;
		r--;
		for (j = 0; j < l->n; j++)
			if (l->pfd[j].fd == pfd[i].fd && l->cb[j] == cb[i] &&
			    l->arg[j] == arg[i])
				break;
		if (j == l->n)
			continue;
		cb[i](arg[i], pfd[i].fd, pfd[i].revents);
	}
	return 0;
}
