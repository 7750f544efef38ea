/*
 * test_history.c: the ring of the last cycles (daemon/history.c): opening,
 * keeping and superseding records, first-end-wins, durations, filesystem
 * and application copies, the bounds, and the wraparound.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "freeze.h"
#include "history.h"
#include "log.h"

static struct history	h;	/* ~330 KiB: not on the stack */

static void
t_empty(void **state)
{
	(void)state;
	history_init(&h);
	assert_int_equal(history_count(&h), 0);
	assert_null(history_get(&h, 0));
	/* Updates with no record are ignored, not crashes. */
	history_end(&h, HR_OK, "x");
	history_step_begin(&h, HS_CHECK, 5);
	history_step_end(&h, HS_CHECK, 9);
	history_apps(&h, HP_FREEZE, 0, 1, 0, 1, 0);
	history_fs(&h, NULL);
	assert_int_equal(history_count(&h), 0);
	assert_int_equal(h.total, 0);
}

static void
t_names(void **state)
{
	(void)state;
	assert_string_equal(history_result_name(HR_RUNNING), "running");
	assert_string_equal(history_result_name(HR_OK), "ok");
	assert_string_equal(history_result_name(HR_FAIL), "fail");
	assert_string_equal(history_result_name(HR_EXPIRED), "expired");
	assert_string_equal(history_result_name(HR_ABORTED), "aborted");
	assert_string_equal(history_result_name(HR__MAX), "unknown");
	assert_string_equal(history_result_name(-1), "unknown");
	assert_string_equal(history_step_name(HS_CHECK), "check");
	assert_string_equal(history_step_name(HS_THAW), "thaw");
	assert_string_equal(history_step_name(HS__MAX), "unknown");
	assert_string_equal(history_phase_name(HP_PREPARE), "prepare");
	assert_string_equal(history_phase_name(HP_ABORT), "abort");
	assert_string_equal(history_phase_name(-3), "unknown");
}

/* CHECK then FREEZE of the same cycle share one record. */
static void
t_lifecycle(void **state)
{
	const struct history_cycle *c;

	(void)state;
	history_init(&h);
	history_begin(&h, 1, 1000);
	history_step_begin(&h, HS_CHECK, 100);
	history_step_end(&h, HS_CHECK, 350);
	history_apps(&h, HP_PREPARE, 0, 2, 0, 1, 0);
	history_begin(&h, 1, 2000);		/* the FREEZE */
	assert_int_equal(history_count(&h), 1);
	c = history_get(&h, 0);
	assert_int_equal(c->cycle, 1);
	assert_int_equal(c->wall_ns, 1000);	/* the CHECK's start */
	assert_int_equal(c->result, HR_RUNNING);
	assert_true(c->steps & (1u << HS_CHECK));
	assert_int_equal(c->step_ns[HS_CHECK], 250);
	assert_false(c->steps & (1u << HS_FREEZE));
	/* An end without a begin records nothing; a backwards clock 0. */
	history_step_end(&h, HS_FREEZE, 999);
	assert_false(c->steps & (1u << HS_FREEZE));
	history_step_begin(&h, HS_THAW, 500);
	history_step_end(&h, HS_THAW, 400);
	assert_true(c->steps & (1u << HS_THAW));
	assert_int_equal(c->step_ns[HS_THAW], 0);
	/* Out of range steps and phases are ignored. */
	history_step_begin(&h, (enum history_step)HS__MAX, 1);
	history_step_end(&h, (enum history_step)-1, 1);
	history_apps(&h, HP__MAX, 0, 9, 9, 9, 9);
	history_apps(&h, -1, 0, 9, 9, 9, 9);
	assert_true(c->apps[HP_PREPARE].ran);
	assert_int_equal(c->apps[HP_PREPARE].hooks_ran, 2);
	assert_int_equal(c->apps[HP_PREPARE].clients_acked, 1);
	assert_false(c->apps[HP_FREEZE].ran);

	/* The first end wins: expired, then the late THAW's failure. */
	history_end(&h, HR_RUNNING, "ignored");
	assert_int_equal(c->result, HR_RUNNING);
	history_end(&h, HR_EXPIRED, "no THAW within 60 s");
	history_end(&h, HR_FAIL, "late THAW");
	assert_int_equal(c->result, HR_EXPIRED);
	assert_string_equal(c->reason, "no THAW within 60 s");
	/* After the end, the thaw phase still lands in the cycle. */
	history_apps(&h, HP_THAW, 1, 2, 1, 0, 1);
	assert_true(c->apps[HP_THAW].ran);
	assert_int_equal(c->apps[HP_THAW].result, 1);

	/* A closed record of the same number is not reopened. */
	history_begin(&h, 1, 3000);
	assert_int_equal(history_count(&h), 2);
	assert_int_equal(history_get(&h, 0)->result, HR_RUNNING);
	assert_int_equal(history_get(&h, 1)->result, HR_EXPIRED);
	/* A running record of another number is superseded. */
	history_begin(&h, 2, 4000);
	assert_int_equal(history_count(&h), 3);
	assert_int_equal(history_get(&h, 1)->result, HR_ABORTED);
	assert_string_equal(history_get(&h, 1)->reason, "superseded");
	history_end(&h, HR_OK, NULL);
	assert_string_equal(history_get(&h, 0)->reason, "");
	assert_int_equal(h.total, 3);
}

static void
t_reason_cut(void **state)
{
	char	long_reason[300];

	(void)state;
	memset(long_reason, 'r', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	history_init(&h);
	history_begin(&h, 5, 0);
	history_end(&h, HR_FAIL, long_reason);
	assert_int_equal(strlen(history_get(&h, 0)->reason),
	    HISTORY_REASON_MAX - 1);
}

static void
t_fs(void **state)
{
	struct frz	 f;
	struct frz_fs	 v[HISTORY_MAX_FS + 3];
	char		 longmnt[HISTORY_MNT_MAX + 40], names[HISTORY_MAX_FS + 3][16];
	const struct history_cycle *c;
	size_t		 i;

	(void)state;
	memset(&f, 0, sizeof(f));
	memset(v, 0, sizeof(v));
	memset(longmnt, 'm', sizeof(longmnt) - 1);
	longmnt[0] = '/';
	longmnt[sizeof(longmnt) - 1] = '\0';
	for (i = 0; i < HISTORY_MAX_FS + 3; i++) {
		snprintf(names[i], sizeof(names[i]), "/fs%zu", i);
		v[i].mnt = names[i];
		v[i].fstype = "ext4";
		v[i].stage = (int)(i % 3);
		v[i].verdict = FZ_THAWED;
		v[i].sync_ns = i * 1000;
		v[i].freeze_ns = i * 2000;
		v[i].thaw_ns = i * 3000;
	}
	v[1].mnt = longmnt;
	v[1].fstype = "a-type-name-longer-than-twenty-four";
	v[2].verdict = FZ_FAILED;
	v[2].err = EBUSY;
	f.v = v;
	f.n = 2;
	history_init(&h);
	history_begin(&h, 9, 0);
	history_fs(&h, &f);
	c = history_get(&h, 0);
	assert_int_equal(c->nfs, 2);
	assert_int_equal(c->nfs_total, 2);
	f.n = HISTORY_MAX_FS + 3;	/* replaces the first copy */
	history_fs(&h, &f);
	assert_int_equal(c->nfs, HISTORY_MAX_FS);
	assert_int_equal(c->nfs_total, HISTORY_MAX_FS + 3);
	assert_string_equal(c->fs[0].mnt, "/fs0");
	assert_false(c->fs[0].mnt_cut);
	assert_true(c->fs[1].mnt_cut);
	assert_int_equal(strlen(c->fs[1].mnt), HISTORY_MNT_MAX - 1);
	assert_int_equal(strlen(c->fs[1].fstype), HISTORY_TYPE_MAX - 1);
	assert_int_equal(c->fs[2].verdict, FZ_FAILED);
	assert_int_equal(c->fs[2].err, EBUSY);
	assert_int_equal(c->fs[5].stage, 2);
	assert_int_equal(c->fs[5].thaw_ns, 15000);
	/* Exactly HISTORY_MNT_MAX - 1 bytes fit, uncut. */
	longmnt[HISTORY_MNT_MAX - 1] = '\0';
	history_fs(&h, &f);
	assert_false(c->fs[1].mnt_cut);
	assert_string_equal(c->fs[1].mnt, longmnt);
	v[0].mnt = NULL;		/* tolerated: empty */
	history_fs(&h, &f);
	assert_string_equal(c->fs[0].mnt, "");
}

/* 3 * HISTORY_MAX + 5 cycles: the newest HISTORY_MAX are kept, in order. */
static void
t_wraparound(void **state)
{
	unsigned	i, n = 3 * HISTORY_MAX + 5;
	size_t		k;

	(void)state;
	history_init(&h);
	for (i = 1; i <= n; i++) {
		history_begin(&h, i, (int64_t)i * 1000);
		history_step_begin(&h, HS_FREEZE, i);
		history_step_end(&h, HS_FREEZE, 2 * i);
		history_end(&h, i % 2 ? HR_OK : HR_FAIL, i % 2 ? NULL : "odd");
		assert_int_equal(history_count(&h),
		    i < HISTORY_MAX ? i : HISTORY_MAX);
		assert_int_equal(history_get(&h, 0)->cycle, i);
	}
	assert_int_equal(h.total, n);
	for (k = 0; k < HISTORY_MAX; k++) {
		const struct history_cycle *c = history_get(&h, k);
		unsigned want = n - (unsigned)k;

		assert_non_null(c);
		assert_int_equal(c->cycle, want);
		assert_int_equal(c->wall_ns, (int64_t)want * 1000);
		assert_int_equal(c->step_ns[HS_FREEZE], want);
		assert_int_equal(c->result, want % 2 ? HR_OK : HR_FAIL);
	}
	assert_null(history_get(&h, HISTORY_MAX));
	/* A new record starts clean in a reused slot. */
	history_begin(&h, n + 1, 0);
	assert_int_equal(history_get(&h, 0)->steps, 0);
	assert_int_equal(history_get(&h, 0)->reason[0], '\0');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_empty),
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_lifecycle),
		cmocka_unit_test(t_reason_cut),
		cmocka_unit_test(t_fs),
		cmocka_unit_test(t_wraparound),
	};

	(void)log_init("test_history", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
