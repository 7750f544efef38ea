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
	notify_init(&q->nt, ev);
	hooks_set_init(&q->set);
	if ((q->run = malloc(sizeof(*q->run))) == NULL)
		return -1;
	hookrun_init(q->run);
	return 0;
}

int
quiesce_open_socket(struct quiesce *q, const char *path, int fail_policy,
    uint64_t timeout_ns)
{
	if (path == NULL)
		return 0;
	notify_set_policy(&q->nt, fail_policy ? NOTIFY_POLICY_FAIL :
	    NOTIFY_POLICY_CONTINUE);
	q->nt_timeout_ns = timeout_ns;
	if (notify_open(&q->nt, path, 0) == -1) {
		log_warn("event=notify-open-failed path=%s", path);
		return -1;
	}
	q->nt_on = 1;
	log_info("event=notify-listening path=%s", path);
	return 0;
}

void
quiesce_free(struct quiesce *q)
{
	if (notify_busy(&q->nt))
		notify_cancel(&q->nt);
	notify_close(&q->nt);
	if (q->run != NULL && hookrun_busy(q->run))
		hookrun_cancel(q->run);
	hooks_set_free(&q->set);
	free(q->run);
	q->run = NULL;
}

void
quiesce_check(struct quiesce *q)
{
	if (!q->hooks_on || hooks_frozen_count(&q->set) > 0)
		return;
	if (hooks_scan(&q->set, &q->hcfg) == -1)
		log_warn("event=hooks-scan-failed");
	log_info("event=hooks-checked usable=%zu refused=%zu", q->set.n,
	    q->set.nrefused);
	q->scanned = 0;		/* every cycle still rescans */
}

void
quiesce_begin(struct quiesce *q, unsigned cycle)
{
	q->ncycle = cycle;
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

static unsigned
to_nt_phase(enum qz_phase p)
{
	switch (p) {
	case QZ_PREPARE:
		return HVVSS_NOTIFY_PREPARE;
	case QZ_FREEZE:
		return HVVSS_NOTIFY_FREEZE;
	case QZ_THAW:
		return HVVSS_NOTIFY_THAW;
	default:
		return HVVSS_NOTIFY_ABORT;
	}
}

static void
worst(struct quiesce *q, enum qz_result r)
{
	if (r > q->res)
		q->res = r;
}

static int	hooks_part(struct quiesce *);
static int	notify_part(struct quiesce *);

static void
finish(struct quiesce *q)
{
	q->busy = 0;
	log_debug("event=quiesce phase=%s result=%s", qz_phase_name(q->phase),
	    qz_result_name(q->res));
	/* End of a cycle's pairing: the next cycle scans afresh. */
	if ((q->phase == QZ_THAW || q->phase == QZ_ABORT) &&
	    quiesce_owed(q) == 0)
		q->scanned = 0;
	q->done(q->arg, q->res);
}

static void
hooks_done(void *arg, enum hookrun_result r)
{
	struct quiesce	*q = arg;

	worst(q, r == HOOKRUN_OK ? QZ_OK : r == HOOKRUN_DEGRADED ?
	    QZ_DEGRADED : QZ_FAILED);
	/* Freezing: the clients next; thawing: they went first. */
	if ((q->phase == QZ_PREPARE || q->phase == QZ_FREEZE) &&
	    q->res != QZ_FAILED && notify_part(q) == 0)
		return;
	finish(q);
}

static void
notify_done(void *arg, enum notify_result r)
{
	struct quiesce	*q = arg;

	worst(q, r == NOTIFY_OK ? QZ_OK : r == NOTIFY_DEGRADED ?
	    QZ_DEGRADED : QZ_FAILED);
	if ((q->phase == QZ_THAW || q->phase == QZ_ABORT) &&
	    hooks_part(q) == 0)
		return;
	finish(q);
}

/* 0: the hooks' part started (hooks_done follows); 1: nothing to run. */
static int
hooks_part(struct quiesce *q)
{
	struct hooks_env	env;

	if (!q->hooks_on || q->set.n == 0)
		return 1;
	if ((q->phase == QZ_THAW || q->phase == QZ_ABORT) &&
	    hooks_frozen_count(&q->set) == 0)
		return 1;
	memset(&env, 0, sizeof(env));
	env.cycle = q->cycle;
	env.mounts = q->mounts;
	env.nmounts = q->nmounts;
	if (hookrun_start(q->run, q->ev, &q->set, to_hooks_phase(q->phase),
	    &env, q->per_hook_ns, hooks_done, q) == -1) {
		log_warn("event=hooks-start-failed phase=%s",
		    qz_phase_name(q->phase));
		worst(q, q->set.policy == HOOKS_POLICY_FAIL ? QZ_FAILED :
		    QZ_DEGRADED);
		return 1;
	}
	return 0;
}

/* 0: the clients' part started (notify_done follows); 1: nothing to do. */
static int
notify_part(struct quiesce *q)
{
	if (!q->nt_on)
		return 1;
	if (q->phase == QZ_THAW || q->phase == QZ_ABORT) {
		if (notify_owed(&q->nt, NOTIFY_OWES_ABORT | NOTIFY_OWES_THAW)
		    == 0)
			return 1;
	} else if (notify_clients(&q->nt) == 0)
		return 1;
	if (notify_broadcast(&q->nt, to_nt_phase(q->phase), q->ncycle,
	    ev_now() + q->nt_timeout_ns, notify_done, q) == -1) {
		log_warn("event=notify-start-failed phase=%s",
		    qz_phase_name(q->phase));
		worst(q, q->nt.policy == NOTIFY_POLICY_FAIL ? QZ_FAILED :
		    QZ_DEGRADED);
		return 1;
	}
	return 0;
}

int
quiesce_start(struct quiesce *q, enum qz_phase phase,
    const char *const *mounts, size_t nmounts, qz_done_fn done, void *arg)
{
	int	r;

	q->phase = phase;
	q->done = done;
	q->arg = arg;
	q->mounts = mounts;
	q->nmounts = nmounts;
	q->res = QZ_OK;
	/* Hooks then clients to quiesce; clients then hooks to resume. */
	if (phase == QZ_PREPARE || phase == QZ_FREEZE) {
		r = hooks_part(q);
		if (r == 1 && q->res != QZ_FAILED)
			r = notify_part(q);
	} else {
		r = notify_part(q);
		if (r == 1)
			r = hooks_part(q);
	}
	if (r == 1) {
		if (phase == QZ_THAW || phase == QZ_ABORT)
			q->scanned = 0;
		return q->res == QZ_OK ? 1 : -1;
	}
	q->busy = 1;
	return 0;
}

size_t
quiesce_owed(const struct quiesce *q)
{
	return hooks_frozen_count(&q->set) + (q->nt_on ?
	    notify_owed(&q->nt, NOTIFY_OWES_ABORT | NOTIFY_OWES_THAW) : 0);
}

void
quiesce_cancel(struct quiesce *q)
{
	if (q->busy && hookrun_busy(q->run))
		hookrun_cancel(q->run);
	if (notify_busy(&q->nt))
		notify_cancel(&q->nt);
	q->busy = 0;
}

void
quiesce_log(struct quiesce *q)
{
	hooks_log_results(&q->set);
}
