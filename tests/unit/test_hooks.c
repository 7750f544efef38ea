/*
 * test_hooks.c: the hook framework with real children: trust checks,
 * order and pairing, argv and environment, deadlines and process groups,
 * output capture, the compat sources' conventions.
 *
 * Hooks are written at run time into a fresh directory under /run (or
 * $HVVSS_TEST_TRUSTED_DIR), whose every ancestor is root-owned and not
 * group/other-writable, as the trust checks demand; /tmp never would be.
 * Each loop is driven with ev_run_once under an overall deadline, and
 * alarm() bounds the whole program.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ev.h"
#include "hooks.h"

#define RUN_LIMIT	EV_SEC(15)	/* any one phase in a test */
#define TEST_GRACE	EV_MS(300)

static char	base[256];		/* the trusted temp dir */
static int	is_root;

/* ---- helpers ------------------------------------------------------------ */

static void
xsnprintf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
xsnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < len);
}

static void
mkdir_p(const char *dir, mode_t mode)
{
	assert_int_equal(mkdir(dir, mode), 0);
	assert_int_equal(chmod(dir, mode), 0);	/* past the umask */
}

/* A hook: "#!/bin/sh" plus body, with the given mode (chmod, past umask). */
static void
write_file(const char *path, mode_t mode, const char *body)
{
	FILE	*f;

	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(body, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
write_hook(const char *dir, const char *name, mode_t mode, const char *body)
{
	char	path[512], text[4096];

	xsnprintf(path, sizeof(path), "%s/%s", dir, name);
	xsnprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	write_file(path, mode, text);
}

/* Whole file into a static buffer ("" if missing). */
static const char *
slurp(const char *path)
{
	static char	buf[256 * 1024];
	ssize_t		n;
	size_t		have = 0;
	int		fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return buf;
	while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0)
		have += (size_t)n;
	close(fd);
	buf[have] = '\0';
	return buf;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Orphans are re-parented to us (subreaper): collect them. */
static void
reap_strays(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Is the process group gone?  Polls up to 3 s, reaping orphans. */
static int
group_gone(pid_t pgid)
{
	uint64_t	until = ev_now() + EV_SEC(3);

	for (;;) {
		reap_strays();
		if (kill(-pgid, 0) == -1 && errno == ESRCH)
			return 1;
		if (ev_now() > until)
			return 0;
		usleep(10000);
	}
}

static int	done_fired;
static enum hookrun_result done_res;

static void
done_cb(void *arg, enum hookrun_result res)
{
	(void)arg;
	done_fired++;
	done_res = res;
}

/* Run one phase to the end on a fresh loop; returns the phase result. */
static enum hookrun_result
run_phase_ev(struct ev *ev, struct hooks_set *set, enum hooks_phase ph,
    const struct hooks_env *env, uint64_t per_hook)
{
	struct hookrun	*run;
	uint64_t	 until;

	/* struct hookrun is large (its environment buffer): not on stack. */
	assert_non_null(run = malloc(sizeof(*run)));
	hookrun_init(run);
	run->grace_ns = TEST_GRACE;
	done_fired = 0;
	assert_int_equal(hookrun_start(run, ev, set, ph, env, per_hook,
	    done_cb, NULL), 0);
	assert_int_equal(done_fired, 0);	/* never from within start */
	assert_true(hookrun_busy(run));
	until = ev_now() + RUN_LIMIT;
	while (!done_fired) {
		assert_true(ev_now() < until);
		assert_int_equal(ev_run_once(ev), 0);
	}
	assert_int_equal(done_fired, 1);
	assert_false(hookrun_busy(run));
	assert_int_equal(run->pidfd, -1);
	assert_int_equal(run->outfd, -1);
	free(run);
	return done_res;
}

static enum hookrun_result
run_phase(struct hooks_set *set, enum hooks_phase ph,
    const struct hooks_env *env, uint64_t per_hook)
{
	struct ev	ev;
	enum hookrun_result r;
	size_t		i;

	ev_init(&ev);
	r = run_phase_ev(&ev, set, ph, env, per_hook);
	for (i = 0; i < EV_MAX_IO; i++)
		assert_int_equal(ev.io[i].fd, -1);	/* none left */
	return r;
}

/* A fresh subdirectory of the trusted base. */
static void
subdir(char *out, size_t len, const char *name)
{
	xsnprintf(out, len, "%s/%s", base, name);
	mkdir_p(out, 0755);
}

static void
native_config(struct hooks_config *c, const char *dir)
{
	hooks_config_init(c);
	c->native_dir = dir;
	c->owner = getuid();
}

/* Capture what log.h writes to stderr (foreground) into a file. */
static int	saved_stderr = -1;
static char	logpath[512];

static void
capture_begin(void)
{
	int	fd;

	xsnprintf(logpath, sizeof(logpath), "%s/captured.log", base);
	assert_true((fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600)) != -1);
	fflush(stderr);
	assert_true((saved_stderr = dup(2)) != -1);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

static const char *
capture_end(void)
{
	fflush(stderr);
	assert_int_equal(dup2(saved_stderr, 2), 2);
	close(saved_stderr);
	saved_stderr = -1;
	return slurp(logpath);
}

/* ---- per-test fixture: a fresh trusted base ----------------------------- */

static int
setup(void **state)
{
	static const char *const roots[] = { NULL, "/run", "/var/lib", NULL };
	size_t	i, n = sizeof(roots) / sizeof(roots[0]);

	(void)state;
	for (i = 0; i < n; i++) {
		const char *r = i == 0 ? getenv("HVVSS_TEST_TRUSTED_DIR") :
		    i == n - 1 ? getenv("HOME") : roots[i];
		const char *why;
		char probe[300];

		if (r == NULL)
			continue;
		snprintf(base, sizeof(base), "%s/hvvss-hooks-test.XXXXXX", r);
		if (mkdtemp(base) == NULL)
			continue;
		(void)chmod(base, 0755);
		/* Trusted all the way up?  A probe hook tells. */
		snprintf(probe, sizeof(probe), "%s/probe", base);
		write_file(probe, 0755, "#!/bin/sh\n");
		if (hooks_check(probe, getuid(), &why) == 0) {
			unlink(probe);
			return 0;
		}
		unlink(probe);
		rmdir(base);
	}
	/* No trusted place to write hooks (not root?): the tests skip. */
	base[0] = '\0';
	return 0;
}

static void
need_base(void)
{
	if (base[0] == '\0') {
		print_message("no trusted directory for hooks: skipped\n");
		skip();
	}
}

static int
teardown(void **state)
{
	(void)state;
	reap_strays();
	if (base[0] != '\0')
		nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	base[0] = '\0';
	return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void
t_ignored_names(void **state)
{
	static const char *const skip[] = {
		".hidden", ".", "..", "10-db~", "#10-db#", "10-db.dpkg-old",
		"10-db.dpkg-new", "10-db.dpkg-dist", "10-db.dpkg-tmp",
		"10-db.dpkg-bak", "10-db.dpkg-backup", "10-db.dpkg-remove",
		"10-db.ucf-old", "10-db.ucf-dist", "10-db.rpmnew",
		"10-db.rpmsave", "10-db.rpmorig", "10-db.orig", "10-db.bak",
		"10-db.swp", "10-db.sample", "10-db.disabled", ""
	};
	static const char *const keep[] = {
		"10-db", "10-db.sh", "mysql-flush.sh", "50-example",
		"10.bak-up", "backup", "sample-hook", "disabled"
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		assert_true(hooks_ignored_name(skip[i]));
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		assert_false(hooks_ignored_name(keep[i]));
}

static void
t_names(void **state)
{
	(void)state;
	assert_string_equal(hooks_phase_name(HOOKS_ABORT), "abort");
	assert_string_equal(hooks_phase_name(HOOKS_PHASE__MAX), "?");
	assert_string_equal(hooks_status_name(HOOKS_ST_KILLED), "killed");
	assert_string_equal(hooks_status_name(-1), "?");
	assert_string_equal(hooks_source_name(HOOKS_SRC_QGA), "qemu-ga");
	assert_string_equal(hookrun_result_name(HOOKRUN_DEGRADED),
	    "degraded");
}

/* Freeze ascending, thaw in exact reverse, leftovers never run. */
static void
t_order_and_pairing(void **state)
{
	struct hooks_config	c;
	struct hooks_set	set;
	char			dir[300], log[300], body[600];
	const char		*names[] = { "30-c", "10-a", "20-b" };
	size_t			i;

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	xsnprintf(log, sizeof(log), "%s/order.log", base);
	xsnprintf(body, sizeof(body),
	    "echo \"${0##*/} $1 $HVVSS_PHASE $#\" >> %s", log);
	for (i = 0; i < 3; i++)
		write_hook(dir, names[i], 0755, body);
	xsnprintf(body, sizeof(body), "echo \"LEFTOVER $0\" >> %s", log);
	write_hook(dir, "10-a.dpkg-old", 0755, body);
	write_hook(dir, ".hidden", 0755, body);
	write_hook(dir, "20-b~", 0755, body);
	write_hook(dir, "15-x.rpmsave", 0755, body);

	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(set.n, 3);
	assert_int_equal(set.nrefused, 0);
	assert_string_equal(set.v[0].name, "10-a");
	assert_string_equal(set.v[1].name, "20-b");
	assert_string_equal(set.v[2].name, "30-c");

	/* Nothing owed: thaw runs nothing. */
	assert_int_equal(run_phase(&set, HOOKS_THAW, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_string_equal(slurp(log), "");

	assert_int_equal(run_phase(&set, HOOKS_PREPARE, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_int_equal(hooks_frozen_count(&set), 0);
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_int_equal(hooks_frozen_count(&set), 3);
	assert_int_equal(run_phase(&set, HOOKS_THAW, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_int_equal(hooks_frozen_count(&set), 0);
	/* A second thaw (the host repeats itself) runs nothing again. */
	assert_int_equal(run_phase(&set, HOOKS_THAW, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_string_equal(slurp(log),
	    "10-a prepare prepare 1\n"
	    "20-b prepare prepare 1\n"
	    "30-c prepare prepare 1\n"
	    "10-a freeze freeze 1\n"
	    "20-b freeze freeze 1\n"
	    "30-c freeze freeze 1\n"
	    "30-c thaw thaw 1\n"
	    "20-b thaw thaw 1\n"
	    "10-a thaw thaw 1\n");
	for (i = 0; i < 3; i++) {
		assert_int_equal(set.v[i].r[HOOKS_FREEZE].status, HOOKS_ST_OK);
		assert_int_equal(set.v[i].r[HOOKS_THAW].code, 0);
		assert_int_equal(set.v[i].r[HOOKS_THAW].sig, 0);
	}
	hooks_set_free(&set);
}

/* A failing freeze hook stops the phase; abort goes to those started. */
static void
t_freeze_failure(void **state)
{
	struct hooks_config	c;
	struct hooks_set	set;
	char			dir[300], log[300], body[600];

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	xsnprintf(log, sizeof(log), "%s/order.log", base);
	xsnprintf(body, sizeof(body), "echo \"${0##*/} $1\" >> %s", log);
	write_hook(dir, "10-a", 0755, body);
	write_hook(dir, "30-c", 0755, body);
	xsnprintf(body, sizeof(body),
	    "echo \"${0##*/} $1\" >> %s; [ \"$1\" = freeze ] && exit 3; "
	    "exit 0", log);
	write_hook(dir, "20-b", 0755, body);

	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(set.n, 3);
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, NULL, EV_SEC(5)),
	    HOOKRUN_FAILED);
	assert_int_equal(set.v[1].r[HOOKS_FREEZE].status, HOOKS_ST_EXIT);
	assert_int_equal(set.v[1].r[HOOKS_FREEZE].code, 3);
	assert_int_equal(set.v[2].r[HOOKS_FREEZE].status, HOOKS_ST_NOT_RUN);
	/* The failed one was started, so it owes an abort too. */
	assert_int_equal(hooks_frozen_count(&set), 2);
	assert_true(set.v[0].freeze_started && set.v[1].freeze_started);
	assert_false(set.v[2].freeze_started);
	assert_int_equal(run_phase(&set, HOOKS_ABORT, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_int_equal(hooks_frozen_count(&set), 0);
	assert_string_equal(slurp(log),
	    "10-a freeze\n20-b freeze\n20-b abort\n10-a abort\n");

	/* Same under "continue crash-consistent": reported as degraded. */
	unlink(log);
	c.policy = HOOKS_POLICY_CONTINUE;
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, NULL, EV_SEC(5)),
	    HOOKRUN_DEGRADED);
	assert_int_equal(run_phase(&set, HOOKS_ABORT, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_string_equal(slurp(log),
	    "10-a freeze\n20-b freeze\n20-b abort\n10-a abort\n");
	hooks_set_free(&set);
}

/* Prepare runs every hook even when one fails; thaw failures too. */
static void
t_prepare_and_thaw_run_all(void **state)
{
	struct hooks_config	c;
	struct hooks_set	set;
	char			dir[300], log[300], body[600];

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	xsnprintf(log, sizeof(log), "%s/order.log", base);
	xsnprintf(body, sizeof(body),
	    "echo \"${0##*/} $1\" >> %s; [ \"$1\" = freeze ] || exit 1", log);
	write_hook(dir, "10-a", 0755, body);
	write_hook(dir, "20-b", 0755, body);
	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(run_phase(&set, HOOKS_PREPARE, NULL, EV_SEC(5)),
	    HOOKRUN_FAILED);
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_int_equal(run_phase(&set, HOOKS_THAW, NULL, EV_SEC(5)),
	    HOOKRUN_FAILED);
	assert_int_equal(hooks_frozen_count(&set), 0);
	assert_string_equal(slurp(log),
	    "10-a prepare\n20-b prepare\n10-a freeze\n20-b freeze\n"
	    "20-b thaw\n10-a thaw\n");
	hooks_set_free(&set);
}

/* What a hook gets: argv, a minimal fixed environment, a clean process. */
static void
t_env_argv(void **state)
{
	struct hooks_config	 c;
	struct hooks_set	 set;
	struct hooks_env	 env;
	const char		*mounts[] = { "/", "/srv/data", "/odd\nname" };
	char			 dir[300], out[300], body[1400], want[512];
	const char		*got;
	sigset_t		 ss, oss;
	struct sigaction	 sa, osa;
	int			 leak;
	pid_t			 pid;

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	xsnprintf(out, sizeof(out), "%s/out", base);
	mkdir_p(out, 0755);
	xsnprintf(body, sizeof(body),
	    "o=%s\n"
	    "echo \"$#|$0|$1\" > $o/argv\n"
	    "/usr/bin/env > $o/env\n"
	    "echo $$ > $o/pid\n"
	    "/usr/bin/cut -d' ' -f5 /proc/$$/stat > $o/pgid\n"
	    "/usr/bin/readlink /proc/$$/fd/0 > $o/stdin\n"
	    "/usr/bin/readlink /proc/$$/cwd > $o/cwd\n"
	    "umask > $o/umask\n"
	    "exec /usr/bin/ls /proc/self/fd > $o/fds\n", out);
	write_hook(dir, "10-env", 0755, body);
	/* exec at once: the shell's own masking around wait() not in play */
	xsnprintf(body, sizeof(body),
	    "exec /usr/bin/grep -E '^Sig(Blk|Ign):' /proc/self/status > "
	    "%s/sig", out);
	write_hook(dir, "20-sig", 0755, body);

	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(set.n, 2);

	/* What the daemon has that a hook must not inherit: blocked and
	 * ignored signals and a stray descriptor without close-on-exec. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	assert_int_equal(sigprocmask(SIG_BLOCK, &ss, &oss), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	assert_int_equal(sigaction(SIGUSR1, &sa, &osa), 0);
	assert_true((leak = open("/dev/null", O_RDONLY)) >= 3);

	memset(&env, 0, sizeof(env));
	env.cycle = "42";
	env.reason = "backup";
	env.mounts = mounts;
	env.nmounts = 3;
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, &env, EV_SEC(5)),
	    HOOKRUN_OK);

	close(leak);
	assert_int_equal(sigaction(SIGUSR1, &osa, NULL), 0);
	assert_int_equal(sigprocmask(SIG_SETMASK, &oss, NULL), 0);

	xsnprintf(want, sizeof(want), "1|%s/10-env|freeze\n", dir);
	xsnprintf(body, sizeof(body), "%s/argv", out);
	assert_string_equal(slurp(body), want);

	xsnprintf(body, sizeof(body), "%s/env", out);
	got = slurp(body);
	assert_non_null(strstr(got, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"));
	assert_non_null(strstr(got, "LANG=C\n"));
	assert_non_null(strstr(got, "HVVSS_PHASE=freeze\n"));
	assert_non_null(strstr(got, "HVVSS_CYCLE=42\n"));
	assert_non_null(strstr(got, "HVVSS_REASON=backup\n"));
	assert_non_null(strstr(got,
	    "HVVSS_MOUNTS=/\n/srv/data\n/odd\\012name\n"));
	assert_non_null(strstr(got, "HVVSS_DEADLINE=5\n"));
	/* The same instant on CLOCK_MONOTONIC: start + 5 s. */
	{
		const char	*d = strstr(got, "HVVSS_DEADLINE_MONO_NS=");
		uint64_t	 when, start;

		assert_non_null(d);
		when = strtoull(d + 23, NULL, 10);
		start = set.v[0].r[HOOKS_FREEZE].start;
		assert_true(when == start + EV_SEC(5));
	}
	assert_null(strstr(got, "HVVSS_MOUNTS_TRUNCATED"));
	/* Nothing else but the PWD dash itself adds. */
	{
		char	 copy[8192];
		char	*line, *save = NULL;
		int	 n = 0;

		xsnprintf(copy, sizeof(copy), "%s", got);
		for (line = strtok_r(copy, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (strchr(line, '=') == NULL)
				continue;	/* HVVSS_MOUNTS continued */
			if (strncmp(line, "PWD=", 4) == 0) {
				assert_string_equal(line, "PWD=/");
				continue;
			}
			assert_true(strncmp(line, "PATH=", 5) == 0 ||
			    strncmp(line, "LANG=", 5) == 0 ||
			    strncmp(line, "HVVSS_", 6) == 0);
			n++;
		}
		assert_int_equal(n, 8);
	}

	/* Its own process group; stdin /dev/null; cwd /; umask 022. */
	xsnprintf(body, sizeof(body), "%s/pid", out);
	pid = (pid_t)strtol(slurp(body), NULL, 10);
	assert_int_equal(pid, set.v[0].r[HOOKS_FREEZE].pid);
	xsnprintf(body, sizeof(body), "%s/pgid", out);
	assert_int_equal((pid_t)strtol(slurp(body), NULL, 10), pid);
	xsnprintf(body, sizeof(body), "%s/stdin", out);
	assert_string_equal(slurp(body), "/dev/null\n");
	xsnprintf(body, sizeof(body), "%s/cwd", out);
	assert_string_equal(slurp(body), "/\n");
	xsnprintf(body, sizeof(body), "%s/umask", out);
	assert_string_equal(slurp(body), "0022\n");
	/* Mask and ignored set reset. */
	xsnprintf(body, sizeof(body), "%s/sig", out);
	assert_string_equal(slurp(body),
	    "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	/* 0, 1, 2 and ls's own directory descriptor; nothing inherited. */
	xsnprintf(body, sizeof(body), "%s/fds", out);
	got = slurp(body);
	assert_string_equal(got, "0\n1\n2\n3\n");
	hooks_set_free(&set);
}

/* Every refusal, each with its reason logged; nothing refused runs. */
static void
t_refusals(void **state)
{
	struct hooks_config	 c;
	struct hooks_set	 set;
	char			 dir[300], path[512], link[512], sub[400];
	char			 body[600], log[300];
	const char		*why, *logged;

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	xsnprintf(log, sizeof(log), "%s/ran.log", base);
	xsnprintf(body, sizeof(body), "echo \"${0##*/}\" >> %s", log);
	write_hook(dir, "10-ok", 0700, body);
	write_hook(dir, "20-groupw", 0775, body);
	write_hook(dir, "21-otherw", 0757, body);
	write_hook(dir, "22-noexec", 0644, body);
	write_hook(dir, "23-groupx-only", 0610, body);
	if (is_root) {
		write_hook(dir, "24-nobody", 0755, body);
		xsnprintf(path, sizeof(path), "%s/24-nobody", dir);
		assert_int_equal(chown(path, 65534, 65534), 0);
	}
	xsnprintf(path, sizeof(path), "%s/10-ok", dir);
	xsnprintf(link, sizeof(link), "%s/25-symlink", dir);
	assert_int_equal(symlink(path, link), 0);
	xsnprintf(sub, sizeof(sub), "%s/26-subdir", dir);
	mkdir_p(sub, 0755);
	xsnprintf(path, sizeof(path), "%s/27-fifo", dir);
	assert_int_equal(mkfifo(path, 0700), 0);

	native_config(&c, dir);
	hooks_set_init(&set);
	capture_begin();
	assert_int_equal(hooks_scan(&set, &c), 0);
	logged = capture_end();
	assert_int_equal(set.n, 1);
	assert_string_equal(set.v[0].name, "10-ok");
	assert_int_equal(set.nrefused, is_root ? 8 : 7);
	assert_non_null(strstr(logged, "hook=20-groupw path="));
	assert_non_null(strstr(logged, "reason=\"writable by group or "
	    "others\""));
	assert_non_null(strstr(logged, "hook=21-otherw"));
	assert_non_null(strstr(logged, "hook=22-noexec"));
	assert_non_null(strstr(logged, "reason=\"not executable by its "
	    "owner\""));
	assert_non_null(strstr(logged, "hook=23-groupx-only"));
	if (is_root) {
		assert_non_null(strstr(logged, "hook=24-nobody path="));
		assert_non_null(strstr(logged, "reason=\"not owned by root\""));
	}
	assert_non_null(strstr(logged, "hook=25-symlink"));
	assert_non_null(strstr(logged, "reason=\"symlink\""));
	assert_non_null(strstr(logged, "hook=26-subdir"));
	assert_non_null(strstr(logged, "reason=\"not a regular file\""));
	assert_non_null(strstr(logged, "hook=27-fifo"));
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_int_equal(run_phase(&set, HOOKS_THAW, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_string_equal(slurp(log), "10-ok\n10-ok\n");

	/* hooks_check agrees, with the same reasons. */
	xsnprintf(path, sizeof(path), "%s/10-ok", dir);
	assert_int_equal(hooks_check(path, getuid(), &why), 0);
	xsnprintf(path, sizeof(path), "%s/20-groupw", dir);
	assert_int_equal(hooks_check(path, getuid(), &why), -1);
	assert_string_equal(why, "writable by group or others");
	assert_int_equal(hooks_check(link, getuid(), &why), -1);
	assert_string_equal(why, "symlink");
	xsnprintf(path, sizeof(path), "%s/nonexistent", dir);
	assert_int_equal(hooks_check(path, getuid(), &why), -1);
	assert_string_equal(why, "missing");
	assert_int_equal(hooks_check("relative/10-ok", getuid(), &why), -1);
	assert_int_equal(hooks_check("/etc/../etc/passwd", getuid(), &why), -1);
	assert_string_equal(why, "path has . or .. components");
	xsnprintf(path, sizeof(path), "%s/./10-ok", dir);
	assert_int_equal(hooks_check(path, getuid(), &why), -1);
	hooks_set_free(&set);
}

/* The directories: the hook's own and every one above it. */
static void
t_refused_dirs(void **state)
{
	struct hooks_config	 c;
	struct hooks_set	 set;
	char			 dir[300], deep[400], lnk[300], path[512];
	const char		*why, *logged;

	(void)state;
	need_base();
	/* Other-writable hook directory. */
	subdir(dir, sizeof(dir), "ow.d");
	write_hook(dir, "10-a", 0755, "exit 0");
	assert_int_equal(chmod(dir, 0757), 0);
	native_config(&c, dir);
	hooks_set_init(&set);
	capture_begin();
	assert_int_equal(hooks_scan(&set, &c), 0);
	logged = capture_end();
	assert_int_equal(set.n, 0);
	assert_int_equal(set.nrefused, 1);
	assert_non_null(strstr(logged, "reason=\"directory writable by "
	    "group or others\""));
	xsnprintf(path, sizeof(path), "%s/10-a", dir);
	assert_int_equal(hooks_check(path, getuid(), &why), -1);
	assert_string_equal(why, "directory writable by group or others");

	/* Group-writable directory two levels up (a sticky /tmp too). */
	subdir(dir, sizeof(dir), "gw");
	xsnprintf(deep, sizeof(deep), "%s/hooks.d", dir);
	mkdir_p(deep, 0755);
	write_hook(deep, "10-a", 0755, "exit 0");
	assert_int_equal(chmod(dir, 01775), 0);
	native_config(&c, deep);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(set.n, 0);
	assert_int_equal(set.nrefused, 1);

	/* A symlinked directory component. */
	subdir(dir, sizeof(dir), "real.d");
	write_hook(dir, "10-a", 0755, "exit 0");
	xsnprintf(lnk, sizeof(lnk), "%s/link.d", base);
	assert_int_equal(symlink(dir, lnk), 0);
	native_config(&c, lnk);
	capture_begin();
	assert_int_equal(hooks_scan(&set, &c), 0);
	logged = capture_end();
	assert_int_equal(set.n, 0);
	assert_int_equal(set.nrefused, 1);
	assert_non_null(strstr(logged, "reason=\"symlink in directory "
	    "path\""));
	xsnprintf(path, sizeof(path), "%s/10-a", lnk);
	assert_int_equal(hooks_check(path, getuid(), &why), -1);
	assert_string_equal(why, "symlink in directory path");

	/* A directory owned by someone else. */
	if (is_root) {
		subdir(dir, sizeof(dir), "nobody.d");
		write_hook(dir, "10-a", 0755, "exit 0");
		assert_int_equal(chown(dir, 65534, 65534), 0);
		native_config(&c, dir);
		c.owner = 0;
		assert_int_equal(hooks_scan(&set, &c), 0);
		assert_int_equal(set.n, 0);
		assert_int_equal(set.nrefused, 1);
		xsnprintf(path, sizeof(path), "%s/10-a", dir);
		assert_int_equal(hooks_check(path, getuid(), &why), -1);
		assert_string_equal(why, "directory not owned by root");
		/* The owner parameter (for tests not run as root) trusts
		 * one more uid, for the file and the directories alike. */
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(hooks_check(path, 65534, &why), 0);
		xsnprintf(path, sizeof(path), "%s", dir);
		assert_int_equal(chown(path, 0, 0), 0);
		xsnprintf(path, sizeof(path), "%s/10-a", dir);
		assert_int_equal(hooks_check(path, getuid(), &why), -1);
		assert_string_equal(why, "not owned by root");
	}

	/* A missing source directory is no error and no refusal. */
	xsnprintf(dir, sizeof(dir), "%s/missing.d", base);
	native_config(&c, dir);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(set.n, 0);
	assert_int_equal(set.nrefused, 0);
	hooks_set_free(&set);
}

/*
 * The deadline: SIGTERM to the group, ignored, then SIGKILL after the
 * grace, and the whole group is gone, grandchild included.
 */
static void
t_deadline_kill(void **state)
{
	struct hooks_config	 c;
	struct hooks_set	 set;
	struct hooks_result	*r;
	char			 dir[300], pidf[300], body[600], log[300];
	pid_t			 pgid, gchild;
	uint64_t		 t0;

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	xsnprintf(pidf, sizeof(pidf), "%s/grandchild", base);
	xsnprintf(log, sizeof(log), "%s/order.log", base);
	xsnprintf(body, sizeof(body),
	    "echo \"${0##*/} $1\" >> %s\n"
	    "[ \"$1\" = freeze ] || exit 0\n"
	    "trap '' TERM\n"
	    "/usr/bin/sleep 100 &\n"
	    "echo $! > %s\n"
	    "/usr/bin/sleep 100\n", log, pidf);
	write_hook(dir, "10-stuck", 0755, body);
	xsnprintf(body, sizeof(body), "echo \"${0##*/} $1\" >> %s", log);
	write_hook(dir, "20-never", 0755, body);

	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	t0 = ev_now();
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, NULL, EV_MS(200)),
	    HOOKRUN_FAILED);
	r = &set.v[0].r[HOOKS_FREEZE];
	assert_int_equal(r->status, HOOKS_ST_KILLED);
	assert_int_equal(r->sig, SIGKILL);
	/* deadline (200 ms) + grace (300 ms), not much later */
	assert_true(ev_now() - t0 >= EV_MS(480));
	assert_true(ev_now() - t0 < EV_MS(3000));
	assert_true(r->ns >= EV_MS(480));
	pgid = r->pid;
	gchild = (pid_t)strtol(slurp(pidf), NULL, 10);
	assert_true(gchild > 0);
	assert_true(group_gone(pgid));
	assert_int_equal(kill(gchild, 0), -1);
	assert_int_equal(errno, ESRCH);
	/* The leader was reaped by the runner: no zombie left. */
	assert_int_equal(waitpid(pgid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	/* The killed hook still owes its abort, and gets it. */
	assert_int_equal(hooks_frozen_count(&set), 1);
	assert_int_equal(run_phase(&set, HOOKS_ABORT, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_string_equal(slurp(log), "10-stuck freeze\n10-stuck abort\n");
	hooks_set_free(&set);
}

/*
 * The leader dies of SIGTERM but a grandchild ignores it: the rest of the
 * group is SIGKILLed when the leader is reaped, without waiting for the
 * grace.
 */
static void
t_deadline_term(void **state)
{
	struct hooks_config	 c;
	struct hooks_set	 set;
	struct hooks_result	*r;
	char			 dir[300], pidf[300], body[600];
	pid_t			 gchild;

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	xsnprintf(pidf, sizeof(pidf), "%s/grandchild", base);
	xsnprintf(body, sizeof(body),
	    "(trap '' TERM; exec /usr/bin/sleep 100) &\n"
	    "echo $! > %s\n"
	    "exec /usr/bin/sleep 100\n", pidf);
	write_hook(dir, "10-slow", 0755, body);
	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(run_phase(&set, HOOKS_PREPARE, NULL, EV_MS(200)),
	    HOOKRUN_FAILED);
	r = &set.v[0].r[HOOKS_PREPARE];
	assert_int_equal(r->status, HOOKS_ST_TIMEOUT);
	/* Died of the TERM: no SIGKILL was needed for the leader. */
	assert_int_equal(r->sig, SIGTERM);
	gchild = (pid_t)strtol(slurp(pidf), NULL, 10);
	assert_true(gchild > 0);
	assert_true(group_gone(r->pid));
	assert_int_equal(kill(gchild, 0), -1);
	hooks_set_free(&set);
}

/* stdout and stderr into one buffer, capped; the overflow is counted. */
static void
t_output(void **state)
{
	struct hooks_config	 c;
	struct hooks_set	 set;
	struct hooks_hook	*h;
	char			 dir[300];
	const char		*logged;

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	write_hook(dir, "10-talk", 0755,
	    "echo \"out $1\"; echo \"err $1\" >&2; printf 'ctl\\001x\\n'");
	write_hook(dir, "20-flood", 0755,
	    "[ \"$1\" = freeze ] || exit 0\n"
	    "/usr/bin/head -c 100000 /dev/zero | /usr/bin/tr '\\0' y");
	native_config(&c, dir);
	c.out_cap = 1000;
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_int_equal(run_phase(&set, HOOKS_THAW, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	h = &set.v[0];
	assert_int_equal(h->r[HOOKS_FREEZE].out_len, 28);
	assert_memory_equal(h->out + h->r[HOOKS_FREEZE].out_off,
	    "out freeze\nerr freeze\nctl\001x\n", 28);
	assert_memory_equal(h->out + h->r[HOOKS_THAW].out_off,
	    "out thaw\nerr thaw\nctl\001x\n", h->r[HOOKS_THAW].out_len);
	assert_int_equal(h->r[HOOKS_FREEZE].out_dropped, 0);
	h = &set.v[1];
	assert_int_equal(h->r[HOOKS_FREEZE].out_len, 1000);
	assert_int_equal(h->r[HOOKS_FREEZE].out_dropped, 99000);
	assert_int_equal(h->r[HOOKS_THAW].out_len, 0);
	assert_int_equal(h->r[HOOKS_FREEZE].status, HOOKS_ST_OK);

	capture_begin();
	hooks_log_results(&set);
	hooks_log_results(&set);	/* a second call logs nothing again */
	logged = capture_end();
	assert_non_null(strstr(logged, "event=hook phase=freeze hook=10-talk "
	    "source=native result=ok exit=0"));
	assert_non_null(strstr(logged,
	    "event=hook-output hook=10-talk line=out freeze\n"));
	assert_non_null(strstr(logged,
	    "event=hook-output hook=10-talk line=err freeze\n"));
	/* A control byte cannot forge a log line. */
	assert_non_null(strstr(logged,
	    "event=hook-output hook=10-talk line=ctl?x\n"));
	assert_non_null(strstr(logged, "event=hook phase=thaw hook=10-talk"));
	assert_non_null(strstr(logged, "dropped=99000"));
	assert_non_null(strstr(logged, "event=hook-output hook=20-flood "
	    "line=\"[truncated: 99000 bytes dropped"));
	/* 1000 bytes of output, cut into log-sized lines. */
	assert_non_null(strstr(logged, "event=hook-output hook=20-flood "
	    "line=yyyy"));
	{
		const char *p = logged;
		int n = 0;

		while ((p = strstr(p, "event=hook phase=freeze hook=10-talk"))
		    != NULL) {
			n++;
			p++;
		}
		assert_int_equal(n, 1);
	}
	hooks_reset_results(&set);
	assert_int_equal(set.v[1].out_used, 0);
	assert_int_equal(set.v[1].r[HOOKS_FREEZE].status, HOOKS_ST_NOT_RUN);
	hooks_set_free(&set);
}

/*
 * The compat sources keep their argument conventions: qemu-ga knows only
 * freeze and thaw (abort is thaw); VMware says freezeFail, with the legacy
 * pre-freeze-script first and post-thaw-script last.
 */
static void
t_compat(void **state)
{
	struct hooks_config	 c;
	struct hooks_set	 set;
	char			 nat[300], qga[300], vmw[300], log[300];
	char			 pre[300], post[300], body[600];
	char			 want[2048];

	(void)state;
	need_base();
	subdir(nat, sizeof(nat), "hooks.d");
	subdir(qga, sizeof(qga), "fsfreeze-hook.d");
	subdir(vmw, sizeof(vmw), "backupScripts.d");
	xsnprintf(log, sizeof(log), "%s/order.log", base);
	xsnprintf(body, sizeof(body), "echo \"${0##*/} $* [$HVVSS_PHASE]\" "
	    ">> %s", log);
	write_hook(nat, "50-native", 0755, body);
	write_hook(qga, "10-q", 0755, body);
	write_hook(qga, "20-q", 0755, body);
	write_hook(qga, "20-q.dpkg-dist", 0755, body);
	write_hook(vmw, "10-v", 0755, body);
	write_hook(vmw, "20-v", 0755, body);
	write_hook(vmw, "20-v.rpmnew", 0755, body);
	subdir(pre, sizeof(pre), "sbin");
	write_hook(pre, "pre-freeze-script", 0755, body);
	write_hook(pre, "post-thaw-script", 0755, body);
	xsnprintf(post, sizeof(post), "%s/post-thaw-script", pre);
	xsnprintf(pre, sizeof(pre), "%s/sbin/pre-freeze-script", base);

	native_config(&c, nat);
	c.qga_dir = qga;
	c.vmware_dir = vmw;
	c.vmware_pre = pre;
	c.vmware_post = post;
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(set.n, 6);
	assert_string_equal(set.v[0].name, "50-native");
	assert_string_equal(set.v[1].name, "qemu-ga/10-q");
	assert_string_equal(set.v[2].name, "qemu-ga/20-q");
	assert_string_equal(set.v[3].name, "vmware-legacy");
	assert_string_equal(set.v[4].name, "vmware/10-v");
	assert_string_equal(set.v[5].name, "vmware/20-v");
	assert_int_equal(set.v[3].src, HOOKS_SRC_VMWARE_LEGACY);

	/* Prepare: only native hooks know it. */
	assert_int_equal(run_phase(&set, HOOKS_PREPARE, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_int_equal(run_phase(&set, HOOKS_THAW, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_int_equal(run_phase(&set, HOOKS_ABORT, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	xsnprintf(want, sizeof(want), "%s",
	    "50-native prepare [prepare]\n"
	    "50-native freeze [freeze]\n"
	    "10-q freeze [freeze]\n"
	    "20-q freeze [freeze]\n"
	    "pre-freeze-script freeze [freeze]\n"
	    "10-v freeze [freeze]\n"
	    "20-v freeze [freeze]\n"
	    "20-v thaw [thaw]\n"
	    "10-v thaw [thaw]\n"
	    "post-thaw-script thaw [thaw]\n"
	    "20-q thaw [thaw]\n"
	    "10-q thaw [thaw]\n"
	    "50-native thaw [thaw]\n"
	    "50-native freeze [freeze]\n"
	    "10-q freeze [freeze]\n"
	    "20-q freeze [freeze]\n"
	    "pre-freeze-script freeze [freeze]\n"
	    "10-v freeze [freeze]\n"
	    "20-v freeze [freeze]\n"
	    "20-v freezeFail [abort]\n"
	    "10-v freezeFail [abort]\n"
	    "post-thaw-script freezeFail [abort]\n"
	    "20-q thaw [abort]\n"
	    "10-q thaw [abort]\n"
	    "50-native abort [abort]\n");
	assert_string_equal(slurp(log), want);

	/* Only post-thaw-script: the slot's freeze is empty, thaw runs. */
	unlink(log);
	assert_int_equal(unlink(pre), 0);
	c.native_dir = NULL;
	c.qga_dir = NULL;
	c.vmware_dir = NULL;
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(set.n, 1);
	assert_null(set.v[0].path);
	assert_non_null(set.v[0].undo_path);
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_int_equal(set.v[0].r[HOOKS_FREEZE].status, HOOKS_ST_EMPTY);
	assert_int_equal(run_phase(&set, HOOKS_THAW, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	assert_string_equal(slurp(log), "post-thaw-script thaw [thaw]\n");

	/* Neither: no slot at all. */
	assert_int_equal(unlink(post), 0);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(set.n, 0);
	hooks_set_free(&set);
}

/* Reaped through the pidfd: no zombie, nothing left in the loop. */
static void
t_no_zombie(void **state)
{
	struct hooks_config	c;
	struct hooks_set	set;
	char			dir[300], path[64];
	pid_t			pid;
	int			i;

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	write_hook(dir, "10-a", 0755, "exit 0");
	write_hook(dir, "20-b", 0755, "exit 0");
	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	for (i = 0; i < 2; i++) {
		pid = set.v[i].r[HOOKS_FREEZE].pid;
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
		assert_int_equal(errno, ECHILD);
		xsnprintf(path, sizeof(path), "/proc/%ld", (long)pid);
		assert_int_equal(access(path, F_OK), -1);
	}
	assert_int_equal(run_phase(&set, HOOKS_THAW, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	hooks_set_free(&set);
}

static void
never_cb(void *arg, int fd, short revents)
{
	(void)arg;
	(void)fd;
	(void)revents;
	fail_msg("a dummy descriptor fired");
}

/* Every ev slot taken: the timer reaps and reads instead. */
static void
t_ev_full_polls(void **state)
{
	struct hooks_config	c;
	struct hooks_set	set;
	struct ev		ev;
	char			dir[300];
	int			p[2], i;

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	write_hook(dir, "10-a", 0755, "echo polled; exit 5");
	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(pipe(p), 0);
	ev_init(&ev);
	for (i = 0; i < EV_MAX_IO; i++)
		assert_int_equal(ev_io_add(&ev, p[0], POLLIN, never_cb, NULL),
		    0);
	assert_int_equal(run_phase_ev(&ev, &set, HOOKS_FREEZE, NULL,
	    EV_SEC(5)), HOOKRUN_FAILED);
	assert_int_equal(set.v[0].r[HOOKS_FREEZE].status, HOOKS_ST_EXIT);
	assert_int_equal(set.v[0].r[HOOKS_FREEZE].code, 5);
	assert_int_equal(set.v[0].r[HOOKS_FREEZE].out_len, 7);
	assert_memory_equal(set.v[0].out, "polled\n", 7);
	ev_io_del(&ev, p[0]);
	close(p[0]);
	close(p[1]);
	hooks_set_free(&set);
}

/* Busy, double freeze, bad phase: refused, nothing started. */
static void
t_api_misuse(void **state)
{
	struct hooks_config	 c;
	struct hooks_set	 set;
	struct hookrun		*run;
	struct ev		 ev;
	char			 dir[300];
	uint64_t		 until;

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	write_hook(dir, "10-a", 0755, "exit 0");
	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_non_null(run = malloc(sizeof(*run)));
	hookrun_init(run);
	ev_init(&ev);
	assert_int_equal(hookrun_start(run, &ev, &set, HOOKS_PHASE__MAX,
	    NULL, EV_SEC(1), done_cb, NULL), -1);
	assert_int_equal(errno, EINVAL);
	done_fired = 0;
	assert_int_equal(hookrun_start(run, &ev, &set, HOOKS_FREEZE, NULL,
	    EV_SEC(5), done_cb, NULL), 0);
	assert_int_equal(hookrun_start(run, &ev, &set, HOOKS_THAW, NULL,
	    EV_SEC(5), done_cb, NULL), -1);
	assert_int_equal(errno, EBUSY);
	until = ev_now() + RUN_LIMIT;
	while (!done_fired) {
		assert_true(ev_now() < until);
		assert_int_equal(ev_run_once(&ev), 0);
	}
	/* Frozen hooks still owe their thaw: a second freeze is refused,
	 * and so is a rescan that would forget them. */
	assert_int_equal(hookrun_start(run, &ev, &set, HOOKS_FREEZE, NULL,
	    EV_SEC(5), done_cb, NULL), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(hooks_scan(&set, &c), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(set.n, 1);
	free(run);
	assert_int_equal(run_phase(&set, HOOKS_THAW, NULL, EV_SEC(5)),
	    HOOKRUN_OK);
	hooks_set_free(&set);
}

/* Cancel kills the group at once; the hook still owes its abort. */
static void
t_cancel(void **state)
{
	struct hooks_config	 c;
	struct hooks_set	 set;
	struct hookrun		*run;
	struct ev		 ev;
	char			 dir[300];
	pid_t			 pid;
	uint64_t		 until;

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	write_hook(dir, "10-a",  0755,
	    "[ \"$1\" = freeze ] && exec /usr/bin/sleep 100; exit 0");
	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_non_null(run = malloc(sizeof(*run)));
	hookrun_init(run);
	ev_init(&ev);
	done_fired = 0;
	assert_int_equal(hookrun_start(run, &ev, &set, HOOKS_FREEZE, NULL,
	    EV_SEC(60), done_cb, NULL), 0);
	/* Let it start. */
	until = ev_now() + EV_MS(200);
	while (ev_now() < until) {
		ev_timer_set(&ev, 0, until, NULL, NULL);
		assert_int_equal(ev_run_once(&ev), 0);
	}
	pid = set.v[0].r[HOOKS_FREEZE].pid;
	assert_true(pid > 0);
	hookrun_cancel(run);
	assert_false(hookrun_busy(run));
	assert_int_equal(set.v[0].r[HOOKS_FREEZE].status, HOOKS_ST_CANCELED);
	assert_int_equal(ev_timer_when(&ev, HOOKS_TIMER), 0);
	/* Collected later, never waited for. */
	until = ev_now() + EV_SEC(3);
	while (kill(pid, 0) == 0 && set.nlost > 0 && ev_now() < until) {
		usleep(10000);
		hooks_set_free(&set);	/* reaps the lost; empties v too */
	}
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(done_fired, 0);
	free(run);
	hooks_set_free(&set);
}

/* No #!: run through /bin/sh as execvp would; a bad #!: exit 127. */
static void
t_exec_fallback(void **state)
{
	struct hooks_config	 c;
	struct hooks_set	 set;
	char			 dir[300], path[512], log[300], body[600];
	struct hooks_hook	*h;

	(void)state;
	need_base();
	subdir(dir, sizeof(dir), "hooks.d");
	xsnprintf(log, sizeof(log), "%s/order.log", base);
	xsnprintf(path, sizeof(path), "%s/10-noshebang", dir);
	xsnprintf(body, sizeof(body), "echo \"noshebang $1\" >> %s\n", log);
	write_file(path, 0755, body);
	xsnprintf(path, sizeof(path), "%s/20-badinterp", dir);
	write_file(path, 0755, "#!/nonexistent/interpreter\nexit 0\n");
	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(run_phase(&set, HOOKS_PREPARE, NULL, EV_SEC(5)),
	    HOOKRUN_FAILED);
	assert_string_equal(slurp(log), "noshebang prepare\n");
	h = &set.v[1];
	assert_int_equal(h->r[HOOKS_PREPARE].status, HOOKS_ST_EXIT);
	assert_int_equal(h->r[HOOKS_PREPARE].code, 127);
	assert_true(h->r[HOOKS_PREPARE].out_len > 0);
	assert_memory_equal(h->out, "hvvss: cannot execute hook: errno 2\n",
	    h->r[HOOKS_PREPARE].out_len);
	hooks_set_free(&set);
}

/* Many mounts: the list is cut at a whole line and flagged. */
static void
t_env_mounts_truncated(void **state)
{
	struct hooks_config	 c;
	struct hooks_set	 set;
	struct hooks_env	 env;
	static const char	*mounts[4000];
	static char		 names[4000][16];
	char			 dir[300], out[300], body[600];
	const char		*got, *m;
	size_t			 i;

	(void)state;
	need_base();
	for (i = 0; i < 4000; i++) {
		xsnprintf(names[i], sizeof(names[i]), "/mnt/m%zu", i);
		mounts[i] = names[i];
	}
	subdir(dir, sizeof(dir), "hooks.d");
	xsnprintf(out, sizeof(out), "%s/env", base);
	xsnprintf(body, sizeof(body), "/usr/bin/env > %s", out);
	write_hook(dir, "10-env", 0755, body);
	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	memset(&env, 0, sizeof(env));
	env.mounts = mounts;
	env.nmounts = 4000;
	assert_int_equal(run_phase(&set, HOOKS_PREPARE, &env, EV_SEC(5)),
	    HOOKRUN_OK);
	got = slurp(out);
	assert_non_null(strstr(got, "HVVSS_MOUNTS_TRUNCATED=1\n"));
	assert_non_null(strstr(got, "HVVSS_MOUNTS=/mnt/m0\n/mnt/m1\n"));
	assert_non_null(strstr(got, "HVVSS_DEADLINE="));
	/* Whole lines only: the last one listed is complete. */
	m = strstr(got, "HVVSS_MOUNTS=");
	assert_non_null(m);
	assert_true(strlen(m) > 20000);
	hooks_set_free(&set);
}

/* The shipped example runs cleanly in every phase. */
static void
t_dist_example(void **state)
{
	struct hooks_config	 c;
	struct hooks_set	 set;
	struct hooks_env	 env;
	const char		*mounts[] = { "/", "/srv" };
	char			 dir[300], path[512], text[16384];
	const char		*src;
	int			 p;

	(void)state;
	need_base();
	src = slurp("dist/hooks/50-example");
	if (src[0] == '\0')
		skip();		/* not run from the source tree */
	xsnprintf(text, sizeof(text), "%s", src);
	subdir(dir, sizeof(dir), "hooks.d");
	xsnprintf(path, sizeof(path), "%s/50-example", dir);
	write_file(path, 0755, text);
	native_config(&c, dir);
	hooks_set_init(&set);
	assert_int_equal(hooks_scan(&set, &c), 0);
	assert_int_equal(set.n, 1);
	memset(&env, 0, sizeof(env));
	env.cycle = "7";
	env.mounts = mounts;
	env.nmounts = 2;
	assert_int_equal(run_phase(&set, HOOKS_PREPARE, &env, EV_SEC(10)),
	    HOOKRUN_OK);
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, &env, EV_SEC(10)),
	    HOOKRUN_OK);
	assert_int_equal(run_phase(&set, HOOKS_THAW, &env, EV_SEC(10)),
	    HOOKRUN_OK);
	assert_int_equal(run_phase(&set, HOOKS_FREEZE, &env, EV_SEC(10)),
	    HOOKRUN_OK);
	assert_int_equal(run_phase(&set, HOOKS_ABORT, &env, EV_SEC(10)),
	    HOOKRUN_OK);
	for (p = 0; p < HOOKS_PHASE__MAX; p++)
		assert_int_equal(set.v[0].r[p].status, HOOKS_ST_OK);
	assert_non_null(memmem(set.v[0].out, set.v[0].out_used,
	    "50-example: cycle 7: quiescing before the freeze of:\n  /\n"
	    "  /srv\n", 64));
	hooks_set_free(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_ignored_names),
		cmocka_unit_test(t_names),
		cmocka_unit_test_setup_teardown(t_order_and_pairing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_freeze_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_prepare_and_thaw_run_all,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(t_env_argv, setup, teardown),
		cmocka_unit_test_setup_teardown(t_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(t_refused_dirs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_deadline_kill, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_deadline_term, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_output, setup, teardown),
		cmocka_unit_test_setup_teardown(t_compat, setup, teardown),
		cmocka_unit_test_setup_teardown(t_no_zombie, setup, teardown),
		cmocka_unit_test_setup_teardown(t_ev_full_polls, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_api_misuse, setup, teardown),
		cmocka_unit_test_setup_teardown(t_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(t_exec_fallback, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_env_mounts_truncated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_dist_example, setup,
		    teardown),
	};

	is_root = geteuid() == 0;
	/* Orphaned grandchildren come back to us, so a test can see its
	 * hook's whole process group vanish. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	alarm(100);	/* tests/run-unit allows 120 s */
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
