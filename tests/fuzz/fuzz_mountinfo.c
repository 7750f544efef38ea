/* fuzz-sources: daemon/mountinfo.c daemon/plan.c daemon/facts.c */
/*
 * fuzz_mountinfo.c: mi_parse() on arbitrary bytes; whatever it accepts must
 * be well formed and plan without facts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"
#include "plan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_plan(const struct plan *p, const struct mi_table *t)
{
	size_t	 i, nf = 0;

	if (p->nitems != t->n)
		abort();
	for (i = 0; i < p->nitems; i++) {
		if (p->items[i].mi != i || p->items[i].verdict >= PV__MAX)
			abort();
		if (p->items[i].dup_of != PLAN_NONE &&
		    (p->items[i].dup_of >= p->nitems ||
		    p->items[i].verdict != PV_DUPLICATE))
			abort();
		/* no facts: no ordering constraints, one stage at most */
		if (p->items[i].before != PLAN_NONE || p->items[i].stage > 0)
			abort();
		nf += p->items[i].verdict == PV_FREEZE;
	}
	if (p->norder != nf)
		abort();
	for (i = 0; i < p->norder; i++)
		if (p->order[i] >= p->nitems ||
		    p->items[p->order[i]].verdict != PV_FREEZE)
			abort();
	for (i = 0; i < p->nsync; i++)
		if (p->sync[i] >= p->nitems ||
		    p->items[p->sync[i]].verdict != PV_SYNC_ONLY)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mi_table	 t;
	struct mi_error	 e;
	struct plan	 p;
	char		 buf[256];
	size_t		 i;

	if (mi_parse((const char *)data, size, &t, &e) == -1) {
		if (e.code == MI_OK || e.code >= MI_E__MAX || t.v != NULL ||
		    t.n != 0)
			abort();
		return 0;
	}
	for (i = 0; i < t.n; i++) {
		if (t.v[i].mnt[0] != '/' || t.v[i].fstype[0] == '\0' ||
		    t.v[i].superopts[0] == '\0' || t.v[i].root[0] == '\0')
			abort();
		(void)mi_opt_has(t.v[i].superopts, "ro");
		(void)mi_opt_has(t.v[i].opts, "rw");
	}
	if (plan_build(&t, NULL, NULL, &p) == -1)
		abort();
	check_plan(&p, &t);
	(void)plan_render(&p, &t, buf, sizeof(buf));
	plan_free(&p);
	mi_free(&t);
	return 0;
}
