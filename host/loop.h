/*
 * loop.h: the one poll(2) loop of hvvss-host, with CLOCK_MONOTONIC
 * deadlines.  Nothing else in the program blocks or sleeps.
 */
#ifndef HOST_LOOP_H
#define HOST_LOOP_H

#include <poll.h>
#include <stdint.h>

#define LOOP_MAX_FD	16
#define LOOP_MS(x)	((uint64_t)(x) * 1000000ull)
#define LOOP_SEC(x)	((uint64_t)(x) * 1000000000ull)

typedef void	(*loop_cb)(void *, int, short);

struct loop {
	struct pollfd	 pfd[LOOP_MAX_FD];
	loop_cb		 cb[LOOP_MAX_FD];
	void		*arg[LOOP_MAX_FD];
	unsigned	 n;
};

void		loop_init(struct loop *);
int		loop_add(struct loop *, int, short, loop_cb, void *);
void		loop_del(struct loop *, int);
/* Wait until an fd is ready or until deadline (0: none); dispatch. */
int		loop_once(struct loop *, uint64_t);
uint64_t	loop_now(void);

#endif /* HOST_LOOP_H */
