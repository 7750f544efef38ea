/*
 * history.h: the last HISTORY_MAX backup cycles, for hvvssctl(8) history.
 *
 * Pure: no I/O, no clock, no allocation.  The ring is one fixed block the
 * daemon keeps beside its other state, so recording a cycle can never fail
 * and never touches a file, even inside the frozen window.  The daemon
 * passes every time in (CLOCK_MONOTONIC for durations, CLOCK_REALTIME only
 * for the wall-clock start a human reads).
 *
 * A record is opened by history_begin() (at CHECK, or at FREEZE when no
 * CHECK came first) and closed by history_end(); the first history_end()
 * wins, so a deadline that thawed (expired) is not overwritten by the late
 * THAW's failure.  The other calls update the newest record, open or
 * closed, so the thaw or abort phase that follows the reply still lands in
 * its cycle.  Updates with no record at all are ignored.
 *
 * Sizes: about 10 KiB per cycle, 330 KiB in all (memory-locked with the
 * rest of the daemon).  Mount points longer than HISTORY_MNT_MAX - 1 bytes
 * and filesystems past HISTORY_MAX_FS are cut, and say so.
 */
#ifndef HISTORY_H
#define HISTORY_H

#include <stddef.h>
#include <stdint.h>

#define HISTORY_MAX		32	/* cycles kept */
#define HISTORY_MAX_FS		32	/* filesystems kept per cycle */
#define HISTORY_MNT_MAX		256	/* mount point bytes, NUL included */
#define HISTORY_TYPE_MAX	24
#define HISTORY_REASON_MAX	96

struct frz;

enum history_result {
	HR_RUNNING,		/* not closed yet */
	HR_OK,
	HR_FAIL,		/* the host was told the backup failed */
	HR_EXPIRED,		/* our deadline thawed before THAW */
	HR_ABORTED,		/* thawed early: signal, channel reset, hvvssctl */
	HR__MAX
};

enum history_step {
	HS_CHECK,		/* HOT_BACKUP: request to reply (plan, prepare) */
	HS_PREPARE,		/* FREEZE: plan, open, presync */
	HS_FREEZE,		/* FREEZE: request to reply */
	HS_FROZEN,		/* first freeze to last thaw */
	HS_THAW,		/* the thaw itself */
	HS__MAX
};

/* The application phases, in enum qz_phase's order (quiesce.h). */
enum history_phase {
	HP_PREPARE,
	HP_FREEZE,
	HP_THAW,
	HP_ABORT,
	HP__MAX
};

struct history_fs {
	char		 mnt[HISTORY_MNT_MAX];
	char		 fstype[HISTORY_TYPE_MAX];
	int		 mnt_cut;	/* mnt holds only a prefix */
	int		 stage;
	int		 verdict;	/* enum frz_verdict */
	int		 err;		/* errno of the failing step, 0 */
	uint64_t	 sync_ns, freeze_ns, thaw_ns;
};

struct history_apps {
	int		 ran;		/* the phase was run this cycle */
	int		 result;	/* enum qz_result: ok, degraded, failed */
	unsigned	 hooks_ran, hooks_failed;
	unsigned	 clients_acked, clients_failed;
};

struct history_cycle {
	unsigned	 cycle;		/* the daemon's cycle=N */
	int64_t		 wall_ns;	/* CLOCK_REALTIME at the start */
	enum history_result result;
	char		 reason[HISTORY_REASON_MAX];
	unsigned	 steps;		/* bit (1 << step): duration recorded */
	uint64_t	 step_ns[HS__MAX];
	uint64_t	 step_at[HS__MAX]; /* private: step_begin's time */
	struct history_apps apps[HP__MAX];
	struct history_fs fs[HISTORY_MAX_FS];
	size_t		 nfs;		/* kept in fs[] */
	size_t		 nfs_total;	/* in the cycle */
};

struct history {
	struct history_cycle c[HISTORY_MAX];
	size_t		 next;		/* slot the next cycle takes */
	size_t		 n;		/* records kept, <= HISTORY_MAX */
	uint64_t	 total;		/* records ever begun */
};

void		 history_init(struct history *);
/*
 * Open the record of cycle.  If the newest record is that cycle and still
 * running it is kept (CHECK, then FREEZE); a different running one is
 * closed first as aborted ("superseded").
 */
void		 history_begin(struct history *, unsigned cycle,
		    int64_t wall_ns);
/* Durations: begin and end marks on CLOCK_MONOTONIC (ev_now()). */
void		 history_step_begin(struct history *, enum history_step,
		    uint64_t now);
void		 history_step_end(struct history *, enum history_step,
		    uint64_t now);
/* Copy every filesystem's verdict and timings (replaces the last copy). */
void		 history_fs(struct history *, const struct frz *);
/* One application phase's outcome (phase: enum qz_phase). */
void		 history_apps(struct history *, int phase, int result,
		    unsigned hooks_ran, unsigned hooks_failed,
		    unsigned clients_acked, unsigned clients_failed);
/* Close the newest record, unless already closed; reason may be NULL. */
void		 history_end(struct history *, enum history_result,
		    const char *reason);

size_t		 history_count(const struct history *);
/* i = 0 is the newest; NULL past the end. */
const struct history_cycle *history_get(const struct history *, size_t i);

const char	*history_result_name(int);
const char	*history_step_name(int);
const char	*history_phase_name(int);

#endif /* HISTORY_H */
