/*
 * ev.h: the one event loop: poll(2) over a fixed table of descriptors plus a
 * few timers on CLOCK_MONOTONIC (never the wall clock: a backup must not
 * stretch or shrink when NTP steps the time).  Callbacks must not block.
 */
#ifndef EV_H
#define EV_H

#include <stdint.h>

#define EV_MAX_IO	96	/* notify: 1 + NOTIFY_MAX_CLIENTS (64) */
#define EV_MAX_TIMER	9

typedef void	(*ev_io_cb)(void *, int, short);
typedef void	(*ev_timer_cb)(void *);

struct ev_io {
	int		 fd;		/* -1 when the slot is free */
	short		 events;
	ev_io_cb	 cb;
	void		*arg;
};

struct ev_timer {
	uint64_t	 when;		/* 0 when disarmed */
	ev_timer_cb	 cb;
	void		*arg;
};

struct ev {
	struct ev_io	 io[EV_MAX_IO];
	struct ev_timer	 timer[EV_MAX_TIMER];
};

void		ev_init(struct ev *);
int		ev_io_add(struct ev *, int, short, ev_io_cb, void *);
void		ev_io_del(struct ev *, int);
void		ev_timer_set(struct ev *, int, uint64_t, ev_timer_cb, void *);
void		ev_timer_clear(struct ev *, int);
uint64_t	ev_timer_when(const struct ev *, int);
int		ev_run_once(struct ev *);
uint64_t	ev_now(void);

#define EV_MS(x)	((uint64_t)(x) * 1000000ull)
#define EV_SEC(x)	((uint64_t)(x) * 1000000000ull)

#endif /* EV_H */
