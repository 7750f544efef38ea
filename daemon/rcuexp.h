/*
 * rcuexp.h: expedited RCU grace periods for the length of the freeze calls.
 *
 * Why: every FIFREEZE of a filesystem that has been thawed for more than a
 * moment costs a fixed ~40 ms even when nothing is dirty (lab-facts.md 2a).
 * freeze_super() write-locks the superblock's three sb_writers percpu
 * rwsems, and each write lock (rcu_sync_enter) waits for a normal RCU grace
 * period.  With /sys/kernel/rcu_expedited set, synchronize_rcu() takes the
 * expedited path instead and the whole freeze of a flushed filesystem
 * drops to about 1 ms (BENCHMARKS.md).  Since the writers stall from the
 * first of those grace periods on, this is frozen-window time, and the
 * last gap between a pre-synced freeze and the flush itself.
 *
 * The knob is global, so it is raised only across the FIFREEZE calls (a
 * few milliseconds), only from 0 (an administrator's own setting is left
 * alone), and put back right after.  Expedited grace periods interrupt
 * every busy CPU, which costs little for that long.  Two backstops in case
 * the daemon dies while it is raised: the guardian, which holds the knob's
 * descriptor, puts it back when it thaws (guardian.h), and a marker file on
 * the journal's tmpfs tells the next daemon to (rcx_recover).
 *
 * The knob is a Linux sysctl; elsewhere rcx_open() fails with ENOENT and
 * the freeze runs without it.
 */
#ifndef RCUEXP_H
#define RCUEXP_H

#define RCX_KNOB	"/kernel/rcu_expedited"	/* under the sysfs root */
/* The marker is the journal's path with this appended (journal.h). */
#define RCX_MARKER_SUFFIX	".rcu"

struct rcx {
	int		 fd;		/* the knob, read-write; -1: not used */
	int		 raised;	/* we wrote 1 over 0, not put back yet */
	char		*marker;	/* "we raised it" file; NULL: none */
};

void	rcx_init(struct rcx *);
/*
 * Open the knob (path, e.g. "/sys" RCX_KNOB) for later use; marker may be
 * NULL.  0, or -1 with errno: then rcx_raise() does nothing.
 */
int	rcx_open(struct rcx *, const char *knob, const char *marker);
/* 1 raised, 0 left as it was (unused, or not 0 to begin with), -1 failed. */
int	rcx_raise(struct rcx *);
/* Put back what rcx_raise() changed; 0, or -1 if the knob refused. */
int	rcx_restore(struct rcx *);
void	rcx_close(struct rcx *);
/*
 * After a crash: if marker exists, the previous daemon died with the knob
 * raised: put it back to 0 and remove the marker.  1 done, 0 no marker,
 * -1 failed (the marker is kept).
 */
int	rcx_recover(const char *knob, const char *marker);
/* For the guardian: put it back through an inherited descriptor. */
void	rcx_put_back(int fd);

#endif /* RCUEXP_H */
