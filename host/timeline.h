/*
 * timeline.h: the event record of a run.
 *
 * Two sinks: the machine-readable file of -T, one line per event
 *	<CLOCK_MONOTONIC ns> <cycle> <event> key=value ...
 * and the human timeline on stdout (milliseconds since start).  Events
 * whose name starts with "drv-" or "fuse-" are internal detail and reach
 * stdout only in verbose mode; the file always gets everything.
 * Every function accepts a NULL timeline, so the pure state machines can
 * run in unit tests without one.
 */
#ifndef HOST_TIMELINE_H
#define HOST_TIMELINE_H

#include <stdint.h>
#include <stdio.h>

struct timeline {
	FILE		*file;		/* -T, or NULL */
	FILE		*human;		/* stdout, or NULL when quiet */
	int		 verbose;
	uint64_t	 t0;
	unsigned	 cycle;
};

int	timeline_open(struct timeline *, const char *, FILE *, int,
	    uint64_t);
void	timeline_close(struct timeline *);
void	timeline_set_cycle(struct timeline *, unsigned);
/* "S_OK", "E_FAIL", ... or "0x%08x" for codes without a name. */
const char *timeline_status(uint32_t, char *, size_t);
void	timeline_event(struct timeline *, uint64_t, const char *,
	    const char *, ...) __attribute__((format(printf, 4, 5)));

#endif /* HOST_TIMELINE_H */
