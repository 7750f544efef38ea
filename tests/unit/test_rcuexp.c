/*
 * test_rcuexp.c: the RCU knob is raised only from 0, always put back, and
 * put back after a death: by the guardian, or by the next start's marker.
 * A regular file stands in for /sys/kernel/rcu_expedited.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <cmocka.h>

#include "ev.h"
#include "freeze.h"
#include "guardian.h"
#include "rcuexp.h"

struct fx {
	char	dir[64];
	char	knob[128];
	char	marker[128];
};

static void
put(const char *path, const char *s)
{
	FILE	*fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(s, fp);
	fclose(fp);
}

static const char *
get(const char *path)
{
	static char	 buf[64];
	FILE		*fp = fopen(path, "r");
	size_t		 n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

static int
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int
setup(void **state)
{
	struct fx	*x = calloc(1, sizeof(*x));

	assert_non_null(x);
	strcpy(x->dir, "/tmp/hvvss-rcx-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->knob, sizeof(x->knob), "%s/rcu_expedited", x->dir);
	snprintf(x->marker, sizeof(x->marker), "%s/frozen.rcu", x->dir);
	put(x->knob, "0\n");
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*x = *state;

	(void)unlink(x->knob);
	(void)unlink(x->marker);
	(void)rmdir(x->dir);
	free(x);
	return 0;
}

static void
t_raise_restore(void **state)
{
	struct fx	*x = *state;
	struct rcx	 r;

	rcx_init(&r);
	assert_int_equal(rcx_open(&r, x->knob, x->marker), 0);
	assert_int_equal(rcx_raise(&r), 1);
	assert_string_equal(get(x->knob), "1\n");
	assert_true(exists(x->marker));
	/* Raising twice is one raise. */
	assert_int_equal(rcx_raise(&r), 0);
	assert_int_equal(rcx_restore(&r), 0);
	assert_string_equal(get(x->knob), "0\n");
	assert_false(exists(x->marker));
	/* Nothing raised: restore changes nothing. */
	put(x->knob, "1\n");
	assert_int_equal(rcx_restore(&r), 0);
	assert_string_equal(get(x->knob), "1\n");
	rcx_close(&r);
}

/* An administrator's own setting is neither raised nor put back. */
static void
t_not_zero(void **state)
{
	static const char *const vals[] = { "1\n", "2\n", "-1\n", "01\n",
	    "0 1\n", "" };
	struct fx	*x = *state;
	struct rcx	 r;
	size_t		 i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		put(x->knob, vals[i]);
		rcx_init(&r);
		assert_int_equal(rcx_open(&r, x->knob, x->marker), 0);
		assert_int_not_equal(rcx_raise(&r), 1);
		assert_int_equal(r.raised, 0);
		rcx_close(&r);
		assert_string_equal(get(x->knob), vals[i]);
		assert_false(exists(x->marker));
	}
	/* "0" without a newline is 0. */
	put(x->knob, "0");
	rcx_init(&r);
	assert_int_equal(rcx_open(&r, x->knob, NULL), 0);
	assert_int_equal(rcx_raise(&r), 1);
	rcx_close(&r);		/* close puts it back */
	assert_string_equal(get(x->knob), "0");
}

static void
t_unavailable(void **state)
{
	struct fx	*x = *state;
	struct rcx	 r;
	char		 missing[160], nodir[160];

	snprintf(missing, sizeof(missing), "%s/no-such-knob", x->dir);
	rcx_init(&r);
	errno = 0;
	assert_int_equal(rcx_open(&r, missing, x->marker), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(r.fd, -1);
	assert_int_equal(rcx_raise(&r), 0);
	assert_int_equal(rcx_restore(&r), 0);
	rcx_close(&r);
	/* No marker can be written: not raised, so nothing is unrecorded. */
	snprintf(nodir, sizeof(nodir), "%s/no-such-dir/frozen.rcu", x->dir);
	rcx_init(&r);
	assert_int_equal(rcx_open(&r, x->knob, nodir), 0);
	assert_int_equal(rcx_raise(&r), -1);
	assert_int_equal(r.raised, 0);
	assert_string_equal(get(x->knob), "0\n");
	rcx_close(&r);
}

static void
t_recover(void **state)
{
	struct fx	*x = *state;
	char		 missing[160];

	/* No marker: the knob is not ours. */
	put(x->knob, "1\n");
	assert_int_equal(rcx_recover(x->knob, x->marker), 0);
	assert_string_equal(get(x->knob), "1\n");
	/* A marker: a previous run died with it raised. */
	put(x->marker, "");
	assert_int_equal(rcx_recover(x->knob, x->marker), 1);
	assert_string_equal(get(x->knob), "0\n");
	assert_false(exists(x->marker));
	/* The knob cannot be written: the marker stays for a later try. */
	put(x->marker, "");
	snprintf(missing, sizeof(missing), "%s/no-such-knob", x->dir);
	assert_int_equal(rcx_recover(missing, x->marker), -1);
	assert_true(exists(x->marker));
}

#if !defined(__SANITIZE_ADDRESS__)
/*
 * The guardian puts the knob back when it thaws (daemon death), unless it
 * was told it is back already; a disarm leaves it alone.
 */
static void
guardian_case(struct fx *x, const char *notes, int die, const char *want)
{
	struct guardian	 g;
	struct frz	 f;
	struct rcx	 r;
	const char	*p;
	int		 status;

	put(x->knob, "0\n");
	rcx_init(&r);
	assert_int_equal(rcx_open(&r, x->knob, NULL), 0);
	memset(&f, 0, sizeof(f));
	f.rcx = &r;
	guardian_init(&g);
	assert_int_equal(guardian_arm(&g, &f, ev_now() + EV_SEC(30)), 0);
	/* Raised by "us", as the engine would, then the notes. */
	put(x->knob, "1\n");
	for (p = notes; *p != '\0' && *p != 'X'; p++)
		guardian_note(&g, (enum guardian_note)*p, 0);
	if (die) {
		if (die == 2) {
			/* A signal while the notes may still be unread:
			 * they bind all the same. */
			assert_int_equal(kill(g.pid, SIGTERM), 0);
		}
		/* The daemon's end of the pipe closes: what a death does. */
		close(g.fd);
		g.fd = -1;
		assert_int_equal(waitpid(g.pid, &status, 0), g.pid);
		/* It thawed and left by itself (exit 1), not by a crash. */
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 1);
		g.pid = -1;
		if (g.pidfd != -1)
			close(g.pidfd);
		g.pidfd = -1;
	} else
		guardian_stop(&g, strchr(notes, 'X') != NULL ? GN_THAW_ALL : GN_DISARM);
	assert_string_equal(get(x->knob), want);
	r.raised = 0;		/* the test wrote it, not rcx_raise() */
	rcx_close(&r);
}
#endif

static void
t_guardian(void **state)
{
#if defined(__SANITIZE_ADDRESS__)
	/* The guardian mlockall()s: not under ASan's shadow memory. */
	(void)state;
	skip();
#else
	struct fx	*x = *state;

	guardian_case(x, "E", 1, "0\n");	/* died raised: put back */
	guardian_case(x, "E", 2, "0\n");	/* SIGTERM, note unread */
	guardian_case(x, "ER", 1, "1\n");	/* died after putting back */
	guardian_case(x, "", 1, "1\n");		/* never raised */
	guardian_case(x, "E", 0, "1\n");	/* disarmed: the daemon's job */
	guardian_case(x, "EX", 0, "0\n");	/* thaw-all: put back too */
	guardian_case(x, "X", 0, "1\n");	/* thaw-all, never raised */
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_raise_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(t_not_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(t_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(t_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(t_guardian, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
