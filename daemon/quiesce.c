/*
 * quiesce.c: run the application phases (hooks, then notified clients).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev.h"
#include "hooks.h"
#include "log.h"
#include "quiesce.h"

static const char *const phase_names[QZ__MAX] = {
	"prepare", "freeze", "thaw", "abort"
};
static const char *const result_names[QZ_RESULT__MAX] = {
	"ok", "degraded", "failed"
};

const char *
qz_phase_name(int p)
{
	return p >= 0 && p < QZ__MAX ? phase_names[p] : "unknown";
}

const char *
qz_result_name(int r)
{
	return r >= 0 && r < QZ_RESULT__MAX ? result_names[r] : "unknown";
}

int
quiesce_init(struct quiesce *q, struct ev *ev, const struct hooks_config *hc,
    int hooks_on, uint64_t per_hook_ns)
{
	memset(q, 0, sizeof(*q));
	q->ev = ev;
	q->hcfg = *hc;
	q->hooks_on = hooks_on;
	q->per_hook_ns = per_hook_ns;
	hooks_set_init(&q->set);
	if ((q->run = malloc(sizeof(*q->run))) == NULL)
		return -1;
	hookrun_init(q->run);
	return 0;
}

void
quiesce_free(struct quiesce *q)
{
	if (q->run != NULL && hookrun_busy(q->run))
		hookrun_cancel(q->run);
	hooks_set_free(&q->set);
	free(q->run);
	q->run = NULL;
}

void
quiesce_begin(struct quiesce *q, unsigned cycle)
{
	snprintf(q->cycle, sizeof(q->cycle), "%u", cycle);
	if (!q->hooks_on || q->scanned)
		return;
	if (hooks_frozen_count(&q->set) > 0)
		return;		/* owed a thaw: keep the set that froze */
	if (hooks_scan(&q->set, &q->hcfg) == -1)
		log_warn("event=hooks-scan-failed");
	hooks_reset_results(&q->set);
	q->scanned = 1;
}

static enum hooks_phase
to_hooks_phase(enum qz_phase p)
{
	switch (p) {
	case QZ_PREPARE:
		return HOOKS_PREPARE;
	case QZ_FREEZE:
		return HOOKS_FREEZE;
	case QZ_THAW:
		return HOOKS_THAW;
	default:
		return HOOKS_ABORT;
	}
}

static void
hooks_done(void *arg, enum hookrun_result r)
{
	struct quiesce	*q = arg;
	enum qz_result	 res;

	res = r == HOOKRUN_OK ? QZ_OK : r == HOOKRUN_DEGRADED ? QZ_DEGRADED :
	    QZ_FAILED;
	q->busy = 0;
	log_debug("event=quiesce phase=%s result=%s", qz_phase_name(q->phase),
	    qz_result_name(res));
	/* End of a cycle's pairing: the next cycle scans afresh. */
	if ((q->phase == QZ_THAW || q->phase == QZ_ABORT) &&
	    hooks_frozen_count(&q->set) == 0)
		q->scanned = 0;
	q->done(q->arg, res);
}

int
quiesce_start(struct quiesce *q, enum qz_phase phase,
    const char *const *mounts, size_t nmounts, qz_done_fn done, void *arg)
{
	struct hooks_env	env;

	if (!q->hooks_on || q->set.n == 0) {
		if (phase == QZ_THAW || phase == QZ_ABORT)
			q->scanned = 0;
		return 1;
	}
	if ((phase == QZ_THAW || phase == QZ_ABORT) &&
	    hooks_frozen_count(&q->set) == 0) {
		q->scanned = 0;
		return 1;
	}
	memset(&env, 0, sizeof(env));
	env.cycle = q->cycle;
	env.mounts = mounts;
	env.nmounts = nmounts;
	q->phase = phase;
	q->done = done;
	q->arg = arg;
	if (hookrun_start(q->run, q->ev, &q->set, to_hooks_phase(phase), &env,
	    q->per_hook_ns, hooks_done, q) == -1) {
		log_warn("event=hooks-start-failed phase=%s",
		    qz_phase_name(phase));
		return -1;
	}
	q->busy = 1;
	return 0;
}

size_t
quiesce_owed(const struct quiesce *q)
{
	return hooks_frozen_count(&q->set);
}

void
quiesce_cancel(struct quiesce *q)
{
	if (q->busy && hookrun_busy(q->run))
		hookrun_cancel(q->run);
	q->busy = 0;
}

void
quiesce_log(struct quiesce *q)
{
	hooks_log_results(&q->set);
}
