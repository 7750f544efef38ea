/*
 * quiesce.h: application consistency around the freeze: the hooks
 * (hooks.h) and the notification socket's clients (notify.h), one phase at
 * a time, asynchronously in the daemon's loop.
 *
 *	HOT_BACKUP  prepare
 *	FREEZE      freeze   (before the filesystems freeze)
 *	THAW        thaw     (after they thaw; reverse order)
 *	failure     abort    (after whatever froze was thawed)
 * Every participant whose freeze phase started gets thaw or abort, always,
 * even when no filesystem was frozen (prior-art.md B2 item 22).
 */
#ifndef QUIESCE_H
#define QUIESCE_H

#include <stddef.h>
#include <stdint.h>

#include "hooks.h"
#include "notify.h"

struct ev;

enum qz_phase {
	QZ_PREPARE,
	QZ_FREEZE,
	QZ_THAW,
	QZ_ABORT,
	QZ__MAX
};

enum qz_result {
	QZ_OK,			/* everyone agreed */
	QZ_DEGRADED,		/* some failed; policy: continue crash-consistent */
	QZ_FAILED,		/* some failed; policy: fail the backup */
	QZ_RESULT__MAX
};

typedef void	(*qz_done_fn)(void *, enum qz_result);

struct quiesce {
	struct ev		*ev;
	struct notify		 nt;		/* the application socket */
	int			 nt_on;
	uint64_t		 nt_timeout_ns;	/* per phase */
	enum qz_result		 res;		/* worst so far in this phase */
	uint32_t		 ncycle;
	struct hooks_config	 hcfg;
	int			 hooks_on;
	struct hooks_set	 set;
	struct hookrun		*run;		/* ~33 KiB: on the heap */
	uint64_t		 per_hook_ns;
	int			 scanned;	/* this cycle */
	int			 busy;
	enum qz_phase		 phase;
	qz_done_fn		 done;
	void			*arg;
	char			 cycle[24];
	const char *const	*mounts;
	size_t			 nmounts;
};

int		 quiesce_init(struct quiesce *, struct ev *,
		    const struct hooks_config *, int hooks_on,
		    uint64_t per_hook_ns);
/* Open the application socket (path NULL: none); 0 or -1 (logged). */
int		 quiesce_open_socket(struct quiesce *, const char *path,
		    int fail_policy, uint64_t timeout_ns);
void		 quiesce_free(struct quiesce *);
/* At start: scan the hooks once so that refusals are logged early. */
void		 quiesce_check(struct quiesce *);
/* A new cycle: rescan the hooks unless some still owe a thaw. */
void		 quiesce_begin(struct quiesce *, unsigned cycle);
/*
 * Start a phase.  1: nothing to run (done is not called; go on at once);
 * 0: started, done(arg, result) comes later from the loop; -1: could not
 * start, or nothing ran but something failed to start: the caller treats
 * it as failed or degraded per its policy.
 */
int		 quiesce_start(struct quiesce *, enum qz_phase,
		    const char *const *mounts, size_t nmounts, qz_done_fn,
		    void *);
/* Participants whose freeze phase ran and that still owe thaw or abort. */
size_t		 quiesce_owed(const struct quiesce *);
void		 quiesce_cancel(struct quiesce *);
/* Log every result and captured output line: only after the thaw. */
void		 quiesce_log(struct quiesce *);
const char	*qz_phase_name(int);
const char	*qz_result_name(int);

#endif /* QUIESCE_H */
