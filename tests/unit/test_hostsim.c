/*
 * test_hostsim.c: the emulated host (host/hostsim.c) driven against the
 * Linux driver model and a scripted in-process daemon, all pure: time is
 * a variable, nothing sleeps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "hvvss_ic.h"
#include "hvvss_lnx.h"
#include "hvvss_vss.h"

#include "gdrv_lnx.h"
#include "hostsim.h"
#include "scenario.h"
#include "vmbus.h"

#define SEC	1000000000ull
#define MS	1000000ull
#define T0	(1000 * SEC)

struct world {
	struct vmbus_chan	 chan;
	struct gdrv_lnx		 d;
	struct hostsim		 hs;
	struct scenario		 sc;
	uint64_t		 now;
	int			 daemon;	/* registers and answers */
	int			 silent[256];	/* ops it never answers */
	uint32_t		 status[256];	/* status per op */
	int			 snap_pending;
	int			 snap_rc;
	int			 snapshots;
	int			 hibernations;
	int			 done;
	unsigned		 reads[256];
};

static struct world *
world_new(const char *text, unsigned cycles, int flavour)
{
	struct world		*w = calloc(1, sizeof(*w));
	struct gdrv_lnx_cfg	 lcfg = { 900 * SEC, 30 * SEC };
	struct hostsim_cfg	 hcfg;
	char			 err[128];

	assert_non_null(w);
	assert_int_equal(scenario_parse(text, strlen(text), &w->sc, err,
	    sizeof(err)), 0);
	vmbus_chan_init(&w->chan);
	gdrv_lnx_init(&w->d, &lcfg, &w->chan, NULL);
	memset(&hcfg, 0, sizeof(hcfg));
	hcfg.flavour = flavour;
	hcfg.cycles = cycles;
	hcfg.freeze_tmo = 900 * SEC;
	hcfg.other_tmo = 30 * SEC;
	hcfg.bsd_tmo = 15 * SEC;
	hcfg.none_wait = 500 * MS;
	hcfg.reg_wait = 10 * SEC;
	assert_int_equal(hostsim_init(&w->hs, &hcfg, &w->sc, &w->chan, NULL),
	    0);
	w->now = T0;
	return w;
}

static void
world_free(struct world *w)
{
	hostsim_free(&w->hs);
	scenario_free(&w->sc);
	vmbus_chan_reset(&w->chan);
	free(w);
}

/* The scripted daemon: register once, then answer what it reads. */
static int
daemon_step(struct world *w)
{
	uint8_t	 m[16];
	ssize_t	 r;

	if (!w->daemon)
		return 0;
	if (w->d.mode == GDRV_LNX_MODE_INIT) {
		assert_int_equal(gdrv_lnx_open(&w->d, w->now), 0);
		hvvss_lnx_encode_register(m);
		assert_int_equal(gdrv_lnx_write(&w->d, m, 12, w->now), 12);
		return 1;
	}
	r = gdrv_lnx_read(&w->d, m, sizeof(m), w->now);
	if (r == -EAGAIN)
		return 0;
	if (r != 12)
		return 1;
	w->reads[m[0]]++;
	if (hostsim_dev_read(&w->hs, m[0], w->now)) {
		/* killed before acting: the file is released. */
		w->daemon = 0;
		gdrv_lnx_release(&w->d, w->now);
		return 1;
	}
	if (w->silent[m[0]])
		return 1;
	hvvss_lnx_encode_reply(m, w->status[m[0]]);
	(void)gdrv_lnx_write(&w->d, m, 12, w->now);
	return 1;
}

static void
pump(struct world *w)
{
	enum hostsim_action	 act;
	int			 again, n = 0;

	do {
		again = 0;
		gdrv_lnx_timer(&w->d, w->now);
		gdrv_lnx_channel(&w->d, w->now);
		hostsim_registered(&w->hs, w->d.st.registered, w->now);
		act = hostsim_run(&w->hs, w->now);
		if (act == HS_ACT_SNAPSHOT) {
			w->snapshots++;
			w->snap_pending = 1;
		} else if (act == HS_ACT_HIBERNATE) {
			w->hibernations++;
			again = 1;
		} else if (act == HS_ACT_DONE)
			w->done = 1;
		gdrv_lnx_channel(&w->d, w->now);
		if (daemon_step(w))
			again = 1;
		if (w->chan.h2g.count || w->chan.g2h.count)
			again = 1;
		if (w->snap_pending) {
			w->snap_pending = 0;
			w->now += 100 * MS;
			hostsim_snapshot_done(&w->hs, w->snap_rc, w->now);
			again = 1;
		}
	} while (again && ++n < 100000 && !w->done);
}

/* Advance time to each deadline until the run is done. */
static void
run(struct world *w)
{
	uint64_t	 d, dd;
	int		 n = 0;

	pump(w);
	while (!w->done && ++n < 100000) {
		d = hostsim_deadline(&w->hs);
		dd = gdrv_lnx_deadline(&w->d);
		if (dd != 0 && (d == 0 || dd < d))
			d = dd;
		assert_true(d != 0);
		if (d > w->now)
			w->now = d;
		pump(w);
	}
	assert_int_equal(w->done, 1);
}

static const struct hostsim_rec *
rec(const struct world *w, size_t i)
{
	assert_true(i < w->hs.nrecs);
	return &w->hs.recs[i];
}

static void
test_backup(void **state)
{
	struct world	*w;
	const struct hostsim_cycle *c;

	(void)state;
	w = world_new(scenario_builtin("backup"), 3, SCEN_LINUX);
	w->daemon = 1;
	run(w);
	assert_int_equal(hostsim_result(&w->hs), 0);
	assert_int_equal(w->hs.nrecs, 1 + 3 * 6);
	assert_int_equal(w->snapshots, 3);
	assert_int_equal(w->reads[HVVSS_OP_FREEZE], 3);
	assert_int_equal(w->reads[HVVSS_OP_GET_DM_INFO], 0);
	c = &w->hs.cycles[2];
	assert_true(c->ran);
	assert_false(c->failed);
	assert_true(c->t_thaw_reply - c->t_freeze_sent >= 100 * MS);
	assert_int_equal(c->freeze_status, 0);
	assert_int_equal(rec(w, 0)->kind, SCEN_NEGOTIATE);
	assert_int_equal(rec(w, 0)->fw.major, 3);
	assert_int_equal(rec(w, 0)->cycle, 0);
	assert_int_equal(rec(w, 18)->cycle, 3);
	assert_int_equal(rec(w, 18)->op, HVVSS_OP_BU_COMPLETE);
	world_free(w);
}

static void
test_no_register(void **state)
{
	struct world	*w;

	(void)state;
	w = world_new(scenario_builtin("backup"), 1, SCEN_LINUX);
	run(w);
	assert_int_equal(hostsim_result(&w->hs), 2);
	/* The negotiate ran (the kernel answers it without a daemon). */
	assert_int_equal(w->hs.nrecs, 1);
	assert_int_equal(w->now, T0 + 10 * SEC);
	world_free(w);
}

static void
test_no_register_prologue_wait(void **state)
{
	struct world	*w;

	(void)state;
	/* A prologue step that gets no answer: -r still counts from 0. */
	w = world_new("send HOT_BACKUP type=2 within 60\ncycle\n"
	    "send HOT_BACKUP\n", 1, SCEN_LINUX);
	run(w);
	assert_int_equal(hostsim_result(&w->hs), 2);
	assert_int_equal(w->now, T0 + 10 * SEC);
	assert_int_equal(w->hs.nrecs, 0);
	world_free(w);
}

static void
test_freeze_fails_snapshot_skipped(void **state)
{
	struct world	*w;
	size_t		 i;

	(void)state;
	w = world_new(scenario_builtin("backup"), 1, SCEN_LINUX);
	w->daemon = 1;
	w->status[HVVSS_OP_FREEZE] = HVVSS_E_FAIL;
	run(w);
	assert_int_equal(hostsim_result(&w->hs), 1);
	assert_int_equal(w->snapshots, 0);
	for (i = 0; i < w->hs.nrecs; i++) {
		if (rec(w, i)->kind == SCEN_SNAPSHOT) {
			assert_int_equal(rec(w, i)->got, HS_GOT_SKIP);
			assert_int_equal(rec(w, i)->match, 1);
		}
		if (rec(w, i)->op == HVVSS_OP_FREEZE &&
		    rec(w, i)->kind == SCEN_SEND)
			assert_int_equal(rec(w, i)->match, 0);
	}
	assert_int_equal(w->reads[HVVSS_OP_THAW], 1);	/* still thawed */
	assert_int_equal(w->hs.cycles[1].failed, 1);
	world_free(w);
}

static void
test_expect_none(void **state)
{
	struct world	*w;

	(void)state;
	w = world_new("send HOT_BACKUP type=2 expect none\n"
	    "send CREATE expect none\n", 1, SCEN_LINUX);
	w->daemon = 1;
	run(w);
	assert_int_equal(rec(w, 0)->got, HS_GOT_NONE);
	assert_int_equal(rec(w, 0)->match, 1);
	assert_int_equal(rec(w, 0)->t_end - rec(w, 0)->t_start, 500 * MS);
	assert_int_equal(rec(w, 1)->got, HS_GOT_REPLY);	/* kernel S_OK */
	assert_int_equal(rec(w, 1)->match, 0);
	assert_int_equal(hostsim_result(&w->hs), 1);
	world_free(w);
}

static void
test_driver_timeout_before_host(void **state)
{
	struct world	*w;

	(void)state;
	w = world_new("send FREEZE expect fail\nsend THAW expect fail\n", 1,
	    SCEN_LINUX);
	w->daemon = 1;
	w->silent[HVVSS_OP_FREEZE] = 1;
	w->silent[HVVSS_OP_THAW] = 1;
	run(w);
	/* The driver's 900 s / 30 s come first; the host waits 5 s more. */
	assert_int_equal(rec(w, 0)->t_end - rec(w, 0)->t_start, 900 * SEC);
	assert_int_equal(rec(w, 0)->status, HVVSS_E_FAIL);
	assert_int_equal(rec(w, 1)->t_end - rec(w, 1)->t_start, 30 * SEC);
	assert_int_equal(hostsim_result(&w->hs), 0);
	world_free(w);
}

static void
test_late_reply_ignored(void **state)
{
	struct world	*w;

	(void)state;
	w = world_new("send THAW expect none within 1\n"
	    "sleep 40\n"
	    "send HOT_BACKUP expect fail\n", 1, SCEN_LINUX);
	w->daemon = 1;
	w->silent[HVVSS_OP_THAW] = 1;
	run(w);
	/* THAW: silence for 1 s; its E_FAIL at 30 s is a late reply. */
	assert_int_equal(rec(w, 0)->got, HS_GOT_NONE);
	assert_int_equal(rec(w, 1)->kind, SCEN_SLEEP);
	assert_int_equal(rec(w, 1)->t_end - rec(w, 1)->t_start, 40 * SEC);
	/* The driver's E_FAIL for THAW came during the sleep and was
	 * dropped as late; HOT_BACKUP then gets the daemon's S_OK, which
	 * the step did not expect. */
	assert_int_equal(rec(w, 2)->status, 0);
	assert_int_equal(rec(w, 2)->match, 0);
	world_free(w);
}

static void
test_kill_daemon(void **state)
{
	struct world	*w;

	(void)state;
	w = world_new("send HOT_BACKUP\n"
	    "send FREEZE kill-daemon expect fail\n"
	    "send HOT_BACKUP expect fail\n", 1, SCEN_LINUX);
	w->daemon = 1;
	run(w);
	assert_int_equal(hostsim_result(&w->hs), 0);
	assert_int_equal(rec(w, 1)->status, HVVSS_E_FAIL);
	assert_int_equal(w->d.st.reset, 1);
	/* Not for other ops or when not waiting. */
	assert_int_equal(hostsim_dev_read(&w->hs, HVVSS_OP_FREEZE, w->now), 0);
	world_free(w);
}

static void
test_sections_and_only(void **state)
{
	struct world	*w;
	size_t		 i, per[5] = { 0 };

	(void)state;
	w = world_new("negotiate\ncycle\nsend HOT_BACKUP\n"
	    "send THAW only=freebsd\nsend GET_DM_INFO only=linux\nend\n"
	    "send BU_COMPLETE\n", 3, SCEN_LINUX);
	w->daemon = 1;
	run(w);
	for (i = 0; i < w->hs.nrecs; i++)
		per[rec(w, i)->cycle]++;
	assert_int_equal(per[0], 1);
	assert_int_equal(per[1], 2);
	assert_int_equal(per[3], 2);
	assert_int_equal(per[4], 1);
	assert_int_equal(w->reads[HVVSS_OP_THAW], 0);
	assert_int_equal(hostsim_result(&w->hs), 0);
	world_free(w);
}

static void
test_freebsd_expectations(void **state)
{
	struct world	*w;

	(void)state;
	/* Flavour FreeBSD picks exp[1]; the Linux model still answers. */
	w = world_new("send CREATE expect none expect-freebsd ok\n", 1,
	    SCEN_FREEBSD);
	w->daemon = 1;
	run(w);
	assert_int_equal(rec(w, 0)->match, 1);
	world_free(w);
}

static void
test_sleep_named(void **state)
{
	struct world	*w;

	(void)state;
	w = world_new("sleep other+1s\nsleep bsd\nsleep 250ms\n", 1,
	    SCEN_LINUX);
	w->daemon = 1;
	run(w);
	assert_int_equal(rec(w, 0)->t_end - rec(w, 0)->t_start, 31 * SEC);
	assert_int_equal(rec(w, 1)->t_end - rec(w, 1)->t_start, 15 * SEC);
	assert_int_equal(rec(w, 2)->t_end - rec(w, 2)->t_start, 250 * MS);
	world_free(w);
}

static void
test_hibernate(void **state)
{
	struct world	*w;

	(void)state;
	w = world_new("hibernate\nwait-register within 2\n", 1, SCEN_LINUX);
	w->daemon = 1;
	run(w);
	assert_int_equal(w->hibernations, 1);
	/* Nobody re-registered (the harness did not suspend anything). */
	assert_int_equal(rec(w, 1)->got, HS_GOT_NONE);
	assert_int_equal(rec(w, 1)->match, 0);
	assert_int_equal(rec(w, 1)->t_end - rec(w, 1)->t_start, 2 * SEC);
	world_free(w);
}

static void
test_negotiate_noversion(void **state)
{
	struct world	*w;

	(void)state;
	w = world_new(scenario_builtin("bad-nego"), 2, SCEN_LINUX);
	w->daemon = 1;
	run(w);
	assert_int_equal(hostsim_result(&w->hs), 0);
	assert_int_equal(w->hs.nrecs, 4);
	assert_int_equal(rec(w, 0)->check, HVVSS_E_NOVERSION);
	world_free(w);
}

static void
test_snapshot_rc(void **state)
{
	struct world	*w;

	(void)state;
	w = world_new("send FREEZE\nsnapshot\nsend THAW\nsend FREEZE\n"
	    "snapshot expect fail\nsend THAW\n", 1, SCEN_LINUX);
	w->daemon = 1;
	w->snap_rc = 3;
	run(w);
	assert_int_equal(rec(w, 1)->rc, 3);
	assert_int_equal(rec(w, 1)->match, 0);
	assert_int_equal(rec(w, 4)->match, 1);
	assert_int_equal(hostsim_result(&w->hs), 1);
	world_free(w);
}

static void
test_hot_backup_flags(void **state)
{
	struct world	*w;

	(void)state;
	w = world_new("send HOT_BACKUP flags=3 reply-flags-linux=3\n"
	    "send HOT_BACKUP reply-flags=5\n", 1, SCEN_LINUX);
	w->daemon = 1;
	run(w);
	assert_int_equal(rec(w, 0)->flags, 3);
	assert_int_equal(rec(w, 0)->match, 1);
	assert_int_equal(rec(w, 1)->match, 0);	/* Linux keeps 0 */
	world_free(w);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(hostsim_state_name(HS_WAIT_REPLY), "WAIT_REPLY");
	assert_string_equal(hostsim_state_name(42), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backup),
		cmocka_unit_test(test_no_register),
		cmocka_unit_test(test_no_register_prologue_wait),
		cmocka_unit_test(test_freeze_fails_snapshot_skipped),
		cmocka_unit_test(test_expect_none),
		cmocka_unit_test(test_driver_timeout_before_host),
		cmocka_unit_test(test_late_reply_ignored),
		cmocka_unit_test(test_kill_daemon),
		cmocka_unit_test(test_sections_and_only),
		cmocka_unit_test(test_freebsd_expectations),
		cmocka_unit_test(test_sleep_named),
		cmocka_unit_test(test_hibernate),
		cmocka_unit_test(test_negotiate_noversion),
		cmocka_unit_test(test_snapshot_rc),
		cmocka_unit_test(test_hot_backup_flags),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
