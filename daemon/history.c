/*
 * history.c: the ring of the last cycles (history.h has the rules).
 */
#include <string.h>

#include "freeze.h"
#include "history.h"
#include "quiesce.h"

/* The daemon passes enum qz_phase as is. */
_Static_assert(HP_PREPARE == (int)QZ_PREPARE && HP_FREEZE == (int)QZ_FREEZE &&
    HP_THAW == (int)QZ_THAW && HP_ABORT == (int)QZ_ABORT &&
    HP__MAX == (int)QZ__MAX, "history_phase must mirror qz_phase");

static const char *const result_names[HR__MAX] = {
	[HR_RUNNING] = "running",
	[HR_OK] = "ok",
	[HR_FAIL] = "fail",
	[HR_EXPIRED] = "expired",
	[HR_ABORTED] = "aborted",
};

static const char *const step_names[HS__MAX] = {
	[HS_CHECK] = "check",
	[HS_PREPARE] = "prepare",
	[HS_FREEZE] = "freeze",
	[HS_FROZEN] = "frozen",
	[HS_THAW] = "thaw",
};

static const char *const phase_names[HP__MAX] = {
	[HP_PREPARE] = "prepare",
	[HP_FREEZE] = "freeze",
	[HP_THAW] = "thaw",
	[HP_ABORT] = "abort",
};

const char *
history_result_name(int r)
{
	return r >= 0 && r < HR__MAX ? result_names[r] : "unknown";
}

const char *
history_step_name(int s)
{
	return s >= 0 && s < HS__MAX ? step_names[s] : "unknown";
}

const char *
history_phase_name(int p)
{
	return p >= 0 && p < HP__MAX ? phase_names[p] : "unknown";
}

/* Bounded copy that always terminates; 1 if src did not fit. */
static int
bcopy_str(char *dst, const char *src, size_t size)
{
	size_t	len;

	if (src == NULL)
		src = "";
	len = strnlen(src, size - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
	return src[len] != '\0';
}

void
history_init(struct history *h)
{
	memset(h, 0, sizeof(*h));
}

size_t
history_count(const struct history *h)
{
	return h->n;
}

/* The ring slot of the i-th newest record. */
static size_t
slot(const struct history *h, size_t i)
{
	return (h->next + HISTORY_MAX - 1 - i) % HISTORY_MAX;
}

const struct history_cycle *
history_get(const struct history *h, size_t i)
{
	if (i >= h->n)
		return NULL;
	return &h->c[slot(h, i)];
}

static struct history_cycle *
newest(struct history *h)
{
	if (h->n == 0)
		return NULL;
	return &h->c[slot(h, 0)];
}

void
history_end(struct history *h, enum history_result r, const char *reason)
{
	struct history_cycle	*c = newest(h);

	if (c == NULL || c->result != HR_RUNNING || r == HR_RUNNING ||
	    (int)r < 0 || r >= HR__MAX)
		return;
	c->result = r;
	(void)bcopy_str(c->reason, reason, sizeof(c->reason));
}

void
history_begin(struct history *h, unsigned cycle, int64_t wall_ns)
{
	struct history_cycle	*c = newest(h);

	if (c != NULL && c->result == HR_RUNNING) {
		if (c->cycle == cycle)
			return;
		history_end(h, HR_ABORTED, "superseded");
	}
	c = &h->c[h->next];
	memset(c, 0, sizeof(*c));
	c->cycle = cycle;
	c->wall_ns = wall_ns;
	c->result = HR_RUNNING;
	h->next = (h->next + 1) % HISTORY_MAX;
	if (h->n < HISTORY_MAX)
		h->n++;
	h->total++;
}

void
history_step_begin(struct history *h, enum history_step s, uint64_t now)
{
	struct history_cycle	*c = newest(h);

	if (c == NULL || (int)s < 0 || s >= HS__MAX)
		return;
	c->step_at[s] = now;
	c->steps &= ~(1u << s);
}

void
history_step_end(struct history *h, enum history_step s, uint64_t now)
{
	struct history_cycle	*c = newest(h);

	/* An end without its begin is no duration at all. */
	if (c == NULL || (int)s < 0 || s >= HS__MAX || c->step_at[s] == 0)
		return;
	c->step_ns[s] = now > c->step_at[s] ? now - c->step_at[s] : 0;
	c->steps |= 1u << s;
}

void
history_fs(struct history *h, const struct frz *f)
{
	struct history_cycle	*c = newest(h);
	size_t			 i;

	if (c == NULL || f == NULL)
		return;
	c->nfs_total = f->n;
	c->nfs = f->n < HISTORY_MAX_FS ? f->n : HISTORY_MAX_FS;
	for (i = 0; i < c->nfs; i++) {
		const struct frz_fs	*s = &f->v[i];
		struct history_fs	*d = &c->fs[i];

		d->mnt_cut = bcopy_str(d->mnt, s->mnt, sizeof(d->mnt));
		(void)bcopy_str(d->fstype, s->fstype, sizeof(d->fstype));
		d->stage = s->stage;
		d->verdict = (int)s->verdict;
		d->err = s->err;
		d->sync_ns = s->sync_ns;
		d->freeze_ns = s->freeze_ns;
		d->thaw_ns = s->thaw_ns;
	}
}

void
history_apps(struct history *h, int phase, int result, unsigned hooks_ran,
    unsigned hooks_failed, unsigned clients_acked, unsigned clients_failed)
{
	struct history_cycle	*c = newest(h);
	struct history_apps	*a;

	if (c == NULL || phase < 0 || phase >= HP__MAX)
		return;
	a = &c->apps[phase];
	a->ran = 1;
	a->result = result;
	a->hooks_ran = hooks_ran;
	a->hooks_failed = hooks_failed;
	a->clients_acked = clients_acked;
	a->clients_failed = clients_failed;
}
