/*
 * test_scenario.c: the scenario language parser (host/scenario.c):
 * every construct, every error with its line number, the built-in
 * scenarios, and deterministic mutations (tests/unit/mutate.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hvvss_vss.h"

#include "mutate.h"
#include "scenario.h"

static const char sample[] =
    "# sample\n"
    "negotiate fw=3.0,1.0 vss=5.0,4.0 expect ok chosen=3.0,5.0\n"
    "cycle\n"
    "send HOT_BACKUP flags=0x7 reply-flags-linux=7 reply-flags-freebsd=5\n"
    "send FREEZE luns=1 expect ok within 30\n"
    "snapshot\n"
    "sleep 200ms\n"
    "send THAW expect ok expect-freebsd fail\n"
    "send raw 0100000010000000 ff expect none within other+1s\n"
    "hibernate only=linux\n"
    "wait-register within 1.5s\n"
    "end\n"
    "send 0x42 type=2 icflags=0 pipe=7 len=24 expect status=0x80004005\n"
    "negotiate fwcount=101 vsscount=9 len=32 expect refused\n"
    "send FREEZE kill-daemon expect fail\n";

static int
parse(const char *text, struct scenario *sc, char *err, size_t errlen)
{
	return scenario_parse(text, strlen(text), sc, err, errlen);
}

static void
test_sample(void **state)
{
	struct scenario		 sc;
	const struct scen_step	*s;
	char			 err[128];

	(void)state;
	assert_int_equal(parse(sample, &sc, err, sizeof(err)), 0);
	assert_int_equal(sc.nsteps, 12);
	assert_int_equal(sc.cycle_begin, 1);
	assert_int_equal(sc.cycle_end, 9);
	s = &sc.steps[0];
	assert_int_equal(s->kind, SCEN_NEGOTIATE);
	assert_int_equal(s->line, 2);
	assert_int_equal(s->nfw, 2);
	assert_int_equal(s->fw[0].major, 3);
	assert_int_equal(s->vss[1].major, 4);
	assert_int_equal(s->has_chosen, 1);
	assert_int_equal(s->chosen_vss.major, 5);
	s = &sc.steps[1];
	assert_int_equal(s->op, HVVSS_OP_HOT_BACKUP);
	assert_int_equal(s->flags, 7);
	assert_int_equal(s->reply_flags[SCEN_LINUX], 7);
	assert_int_equal(s->reply_flags[SCEN_FREEBSD], 5);
	assert_int_equal(s->exp[SCEN_LINUX].kind, SCEN_EXP_OK);
	s = &sc.steps[2];
	assert_int_equal(s->nluns, 1);
	assert_int_equal(s->has_within, 1);
	assert_int_equal(s->within.ms, 30000);
	assert_int_equal(sc.steps[3].kind, SCEN_SNAPSHOT);
	assert_int_equal(sc.steps[4].sleep.ms, 200);
	s = &sc.steps[5];
	assert_int_equal(s->exp[SCEN_LINUX].kind, SCEN_EXP_OK);
	assert_int_equal(s->exp[SCEN_FREEBSD].kind, SCEN_EXP_FAIL);
	s = &sc.steps[6];
	assert_int_equal(s->kind, SCEN_RAW);
	assert_int_equal(s->rawlen, 9);
	assert_int_equal(s->raw[8], 0xff);
	assert_int_equal(s->within.base, SCEN_T_OTHER);
	assert_int_equal(s->within.ms, 1000);
	assert_int_equal(s->exp[SCEN_FREEBSD].kind, SCEN_EXP_NONE);
	s = &sc.steps[7];
	assert_true(scenario_step_applies(s, SCEN_LINUX));
	assert_false(scenario_step_applies(s, SCEN_FREEBSD));
	assert_int_equal(sc.steps[8].within.ms, 1500);
	s = &sc.steps[9];
	assert_int_equal(s->op, 0x42);
	assert_int_equal(s->type, 2);
	assert_int_equal(s->icflags, 0);
	assert_int_equal(s->pipe, 7);
	assert_int_equal(s->len, 24);
	assert_int_equal(s->exp[SCEN_LINUX].kind, SCEN_EXP_STATUS);
	assert_int_equal(s->exp[SCEN_LINUX].status, 0x80004005u);
	s = &sc.steps[10];
	assert_int_equal(s->fwcount, 101);
	assert_int_equal(s->vsscount, 9);
	assert_int_equal(s->exp[SCEN_LINUX].kind, SCEN_EXP_REFUSED);
	assert_int_equal(sc.steps[11].kill_daemon, 1);
	assert_int_equal(sc.steps[11].len, -1);
	scenario_free(&sc);
	assert_null(sc.steps);
}

static void
test_no_cycle_is_whole(void **state)
{
	struct scenario	 sc;

	(void)state;
	assert_int_equal(parse("send HOT_BACKUP\nsnapshot\n", &sc, NULL, 0),
	    0);
	assert_int_equal(sc.cycle_begin, 0);
	assert_int_equal(sc.cycle_end, 2);
	scenario_free(&sc);
	/* cycle without end: to the end of the file. */
	assert_int_equal(parse("negotiate\ncycle\nsnapshot", &sc, NULL, 0), 0);
	assert_int_equal(sc.cycle_begin, 1);
	assert_int_equal(sc.cycle_end, 2);
	scenario_free(&sc);
	assert_int_equal(parse("", &sc, NULL, 0), 0);
	assert_int_equal(sc.nsteps, 0);
	scenario_free(&sc);
	/* CRLF and tabs. */
	assert_int_equal(parse("send\tTHAW\r\nsleep 1\r\n", &sc, NULL, 0), 0);
	assert_int_equal(sc.nsteps, 2);
	assert_int_equal(sc.steps[1].sleep.ms, 1000);
	scenario_free(&sc);
}

static void
test_defaults(void **state)
{
	struct scenario	 sc;

	(void)state;
	assert_int_equal(parse("negotiate\nsend raw 00\n", &sc, NULL, 0), 0);
	assert_int_equal(sc.steps[0].nfw, 2);
	assert_int_equal(sc.steps[0].fw[1].major, 3);
	assert_int_equal(sc.steps[0].vss[1].major, 5);
	assert_int_equal(sc.steps[0].exp[SCEN_FREEBSD].kind, SCEN_EXP_OK);
	assert_int_equal(sc.steps[1].exp[SCEN_LINUX].kind, SCEN_EXP_ANY);
	scenario_free(&sc);
}

static void
test_durations(void **state)
{
	static const struct {
		const char	*text;
		int		 base;
		uint64_t	 ms;
	} ok[] = {
		{ "sleep 200ms", SCEN_T_NONE, 200 },
		{ "sleep 2", SCEN_T_NONE, 2000 },
		{ "sleep 2s", SCEN_T_NONE, 2000 },
		{ "sleep 0.25", SCEN_T_NONE, 250 },
		{ "sleep 1.5ms", SCEN_T_NONE, 1 },
		{ "sleep other", SCEN_T_OTHER, 0 },
		{ "sleep freeze+100ms", SCEN_T_FREEZE, 100 },
		{ "sleep bsd+1", SCEN_T_BSD, 1000 },
		{ "sleep host+0.5s", SCEN_T_HOST, 500 },
		{ "sleep 86400", SCEN_T_NONE, 86400000 },
	};
	static const char *const bad[] = {
		"sleep", "sleep 1h", "sleep -1", "sleep .", "sleep 1..2",
		"sleep other+", "sleep otherx", "sleep 86401",
		"sleep 99999999999999999999", "sleep 1 2", "sleep ms",
	};
	struct scenario	 sc;
	char		 err[128];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse(ok[i].text, &sc, err, sizeof(err)), 0);
		assert_int_equal(sc.steps[0].sleep.base, ok[i].base);
		assert_int_equal(sc.steps[0].sleep.ms, ok[i].ms);
		scenario_free(&sc);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &sc, err, sizeof(err)), -1);
		assert_memory_equal(err, "line 1: ", 8);
	}
}

static void
test_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*err;
	} cases[] = {
		{ "bogus", "line 1: unknown keyword 'bogus'" },
		{ "\n\nsend NOPE", "line 3: unknown operation 'NOPE'" },
		{ "send", "line 1: send needs an operation or 'raw'" },
		{ "send 256", "line 1: unknown operation '256'" },
		{ "send THAW luns=261",
		    "line 1: bad value for luns (max 260)" },
		{ "send THAW flags=0x100000000",
		    "line 1: bad value for flags (max 4294967295)" },
		{ "send THAW frob", "line 1: unknown send option 'frob'" },
		{ "send THAW expect", "line 1: 'expect' needs a value" },
		{ "send THAW expect maybe", "line 1: bad expectation 'maybe'" },
		{ "send THAW only=hurd", "line 1: unknown flavour 'hurd'" },
		{ "send THAW within", "line 1: 'within' needs a duration" },
		{ "send raw", "line 1: send raw needs hex bytes" },
		{ "send raw 123", "line 1: odd number of hex digits in '123'" },
		{ "send raw zz", "line 1: bad hex digit in 'zz'" },
		{ "negotiate fw=3", "line 1: bad version list 'fw=3'" },
		{ "negotiate vss=5.0,", "line 1: bad version list 'vss=5.0,'" },
		{ "negotiate fw=65536.0", "line 1: bad version list "
		    "'fw=65536.0'" },
		{ "negotiate chosen=3.0", "line 1: chosen= needs FW,VSS" },
		{ "negotiate fwcount=x",
		    "line 1: bad value for fwcount (max 65535)" },
		{ "negotiate luns=1", "line 1: unknown negotiate option "
		    "'luns=1'" },
		{ "snapshot now", "line 1: unexpected 'now' after snapshot" },
		{ "cycle\ncycle", "line 2: second 'cycle'" },
		{ "end", "line 1: 'end' without 'cycle'" },
		{ "cycle x", "line 1: unexpected 'x' after cycle" },
		{ "send THAW len=16385",
		    "line 1: bad value for len (max 16384)" },
	};
	struct scenario	 sc;
	char		 err[128];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, &sc, err, sizeof(err)),
		    -1);
		assert_string_equal(err, cases[i].err);
		assert_null(sc.steps);
	}
}

static void
test_nul_and_limits(void **state)
{
	struct scenario	 sc;
	char		 err[128], *big;
	size_t		 i, n;

	(void)state;
	assert_int_equal(scenario_parse("snapshot\n\0x", 11, &sc, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "line 2: NUL byte in scenario text");
	/* SCEN_MAX_STEPS steps fit, one more does not. */
	n = SCEN_MAX_STEPS + 1;
	big = malloc(n * 9 + 1);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		memcpy(big + 9 * i, "snapshot\n", 9);
	assert_int_equal(scenario_parse(big, 9 * (n - 1), &sc, err,
	    sizeof(err)), 0);
	scenario_free(&sc);
	assert_int_equal(scenario_parse(big, 9 * n, &sc, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "line 1025: more than 1024 steps");
	free(big);
	/* A raw packet of exactly SCEN_RAW_MAX bytes, then one more. */
	n = 9 + 2 * SCEN_RAW_MAX + 3;
	big = malloc(n + 1);
	assert_non_null(big);
	memcpy(big, "send raw ", 9);
	memset(big + 9, 'a', 2 * SCEN_RAW_MAX);
	assert_int_equal(scenario_parse(big, 9 + 2 * SCEN_RAW_MAX, &sc, err,
	    sizeof(err)), 0);
	assert_int_equal(sc.steps[0].rawlen, SCEN_RAW_MAX);
	scenario_free(&sc);
	memcpy(big + 9 + 2 * SCEN_RAW_MAX, " 00", 3);
	assert_int_equal(scenario_parse(big, n, &sc, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: raw packet longer than 16384 bytes");
	free(big);
	/* A tiny error buffer is not overrun. */
	assert_int_equal(scenario_parse("bogus", 5, &sc, err, 4), -1);
	assert_int_equal(strlen(err), 3);
}

static void
test_builtins(void **state)
{
	static const char *const want[] = { "backup", "no-thaw", "late-thaw",
	    "dup-freeze", "unexpected-op", "malformed", "truncated",
	    "oversized", "bad-nego", "hibernate", "daemon-close", "check" };
	struct scenario	 sc;
	const char	*name, *text;
	char		 err[128];
	size_t		 i, n = 0;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_non_null(scenario_builtin(want[i]));
	assert_null(scenario_builtin("nope"));
	for (i = 0; (name = scenario_builtin_name(i)) != NULL; i++, n++) {
		text = scenario_builtin(name);
		assert_int_equal(scenario_parse(text, strlen(text), &sc, err,
		    sizeof(err)), 0);
		assert_true(sc.nsteps > 0);
		assert_true(sc.cycle_begin <= sc.cycle_end);
		scenario_free(&sc);
	}
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
}

static void
test_names(void **state)
{
	char	 b[16];

	(void)state;
	assert_string_equal(scenario_op_name(HVVSS_OP_GET_DM_INFO, b,
	    sizeof(b)), "GET_DM_INFO");
	assert_string_equal(scenario_op_name(200, b, sizeof(b)), "200");
	assert_string_equal(scenario_kind_name(SCEN_WAIT_REGISTER),
	    "wait-register");
	assert_string_equal(scenario_kind_name(-1), "?");
	assert_string_equal(scenario_exp_name(SCEN_EXP_NOVERSION),
	    "noversion");
	assert_string_equal(scenario_flavour_name(SCEN_FREEBSD), "freebsd");
}

/* Mutants: clean accept with sane invariants, or a line-numbered error. */
static int
mut_check(const uint8_t *b, size_t len, void *arg)
{
	struct scenario	 sc;
	char		 err[160];
	size_t		 i;
	int		 r;

	(void)arg;
	r = scenario_parse((const char *)b, len, &sc, err, sizeof(err));
	if (r == -1)
		return strncmp(err, "line ", 5) != 0 || sc.steps != NULL;
	if (r != 0 || sc.cycle_begin > sc.cycle_end ||
	    sc.cycle_end > sc.nsteps || sc.nsteps > SCEN_MAX_STEPS)
		r = 1;
	for (i = 0; r == 0 && i < sc.nsteps; i++) {
		if (sc.steps[i].kind >= SCEN_KIND_MAX ||
		    sc.steps[i].nluns > SCEN_MAX_LUNS ||
		    sc.steps[i].rawlen > SCEN_RAW_MAX ||
		    sc.steps[i].nfw > SCEN_MAX_VER ||
		    sc.steps[i].op > 255 ||
		    sc.steps[i].len > SCEN_LEN_MAX ||
		    sc.steps[i].exp[0].kind >= SCEN_EXP_MAX)
			r = 1;
	}
	scenario_free(&sc);
	return r;
}

static void
test_mutations(void **state)
{
	size_t	 bad, n;

	(void)state;
	bad = mut_run((const uint8_t *)sample, strlen(sample), mut_check, NULL,
	    &n);
	assert_int_equal(bad, 0);
	assert_true(n > 10000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_no_cycle_is_whole),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_and_limits),
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
