/* fuzz-sources: daemon/mountinfo.c daemon/plan.c daemon/facts.c */
/*
 * fuzz_plan.c: the planner on arbitrary tables, facts and policies.
 *
 * Input: one policy byte, one byte choosing a mount point for the policy
 * lists, then a mountinfo table, a line "==", and facts text.  Whatever
 * plans must be consistent; the only allowed failure is a cycle.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "mountinfo.h"
#include "plan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
planned(const struct plan_item *it)
{
	return it->verdict == PV_FREEZE || it->verdict == PV_SYNC_ONLY;
}

static void
check_plan(const struct plan *p, const struct mi_table *t)
{
	size_t		 i, nf = 0, ns = 0;
	int		 maxstage = -1;
	unsigned char	*seen;

	if (p->nitems != t->n)
		abort();
	for (i = 0; i < p->nitems; i++) {
		const struct plan_item *it = &p->items[i];

		if (it->mi != i || it->verdict >= PV__MAX || it->why == NULL)
			abort();
		if ((it->verdict == PV_DUPLICATE) != (it->dup_of != PLAN_NONE))
			abort();
		if (it->dup_of != PLAN_NONE) {
			const struct plan_item *r;

			if (it->dup_of >= p->nitems)
				abort();
			r = &p->items[it->dup_of];
			if (r->verdict == PV_DUPLICATE ||
			    r->verdict == PV_SHADOWED ||
			    t->v[r->mi].major != t->v[i].major ||
			    t->v[r->mi].minor != t->v[i].minor)
				abort();
		}
		if (planned(it) != (it->stage >= 0))
			abort();
		if (it->stage > maxstage)
			maxstage = it->stage;
		if (it->before != PLAN_NONE) {
			if (it->before >= p->nitems ||
			    !planned(&p->items[it->before]) ||
			    p->items[it->before].stage <= it->stage)
				abort();
		}
		nf += it->verdict == PV_FREEZE;
		ns += it->verdict == PV_SYNC_ONLY;
	}
	if (p->nstages != maxstage + 1 || p->norder != nf || p->nsync != ns)
		abort();
	if ((seen = calloc(p->nitems + 1, 1)) == NULL)
		abort();
	for (i = 0; i < p->norder; i++) {
		if (p->order[i] >= p->nitems || seen[p->order[i]] ||
		    p->items[p->order[i]].verdict != PV_FREEZE)
			abort();
		seen[p->order[i]] = 1;
		if (i > 0 && p->items[p->order[i - 1]].stage >
		    p->items[p->order[i]].stage)
			abort();
	}
	for (i = 0; i < p->nsync; i++) {
		if (p->sync[i] >= p->nitems || seen[p->sync[i]] ||
		    p->items[p->sync[i]].verdict != PV_SYNC_ONLY)
			abort();
		seen[p->sync[i]] = 1;
	}
	free(seen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan_policy	 pol;
	struct mi_table		 t;
	struct facts		 f;
	struct plan		 p;
	const char		*text, *sep, *list[3];
	size_t			 tlen, flen, i, d;
	char			 buf[512];
	int			 fok;

	if (size < 2)
		return 0;
	pol.freeze_unknown = data[0] & 1;
	text = (const char *)data + 2;
	size -= 2;
	sep = memmem(text, size, "\n==\n", 4);
	tlen = sep != NULL ? (size_t)(sep - text) + 1 : size;
	flen = sep != NULL ? size - tlen - 3 : 0;
	if (mi_parse(text, tlen, &t, NULL) == -1)
		return 0;
	fok = sep != NULL && facts_parse(sep + 4, flen, &f) == 0;

	list[0] = t.v[data[1] % t.n].mnt;
	list[1] = (data[0] & 8) ? t.v[(data[1] / 2) % t.n].mnt : NULL;
	list[2] = NULL;
	pol.include = (data[0] & 2) ? list : NULL;
	pol.exclude = (data[0] & 4) ? list : NULL;

	if (plan_build(&t, fok ? &f : NULL, &pol, &p) == -1) {
		if (p.err != PLAN_E_CYCLE || !fok || p.items != NULL ||
		    p.err_item >= t.n)
			abort();
	} else {
		check_plan(&p, &t);
		if (fok)
			for (i = 0; i < f.n; i++)
				for (d = 0; d < f.v[i].nslaves; d++)
					(void)facts_find(&f,
					    f.v[i].slaves[d].major,
					    f.v[i].slaves[d].minor);
		(void)plan_render(&p, &t, buf, sizeof(buf));
	}
	plan_free(&p);
	if (fok)
		facts_free(&f);
	mi_free(&t);
	return 0;
}
