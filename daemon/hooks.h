/*
 * hooks.h: executables run around the freeze so that applications can
 * quiesce (prior-art.md A4, B4, D6).
 *
 * Sources, each opt-in, in this order in a set (the freeze order):
 *   native   files in a directory (default /etc/hvvss/hooks.d), argv:
 *            PATH PHASE with PHASE one of prepare | freeze | thaw | abort;
 *   qemu-ga  files in /etc/qemu/fsfreeze-hook.d, argv: PATH freeze | thaw; no
 *            prepare; abort is "thaw", as qemu-ga thaws its hook after a
 *            failed freeze (A3, A4);
 *   VMware   the legacy /usr/sbin/pre-freeze-script (first on freeze) and
 *            /usr/sbin/post-thaw-script (last on thaw and on freezeFail),
 *            then the files in /etc/vmware-tools/backupScripts.d, argv:
 *            PATH freeze | thaw | freezeFail; no prepare (open-vm-tools
 *            scriptOps.c).
 * Within a directory: strcmp order, not recursive.  Thaw and abort run in
 * the exact reverse of the order in which the freeze phase ran, and only
 * for hooks whose freeze phase was STARTED, failed or timed out included:
 * a hook that died half-way may hold a lock, so it is told to undo too.
 * (VMware skips freezeFail for the failing script itself and qemu-ga's
 * sample runs thaw in forward order; we do neither, D6.)  The legacy VMware
 * pair is one slot: if only post-thaw-script exists the slot's freeze is
 * empty but its thaw still runs, as in open-vm-tools.
 *
 * Trust (D6; AZ is the only agent that checks, A4): a hook runs only if it
 * is a regular file (lstat: never a symlink), executable by its owner,
 * owned by root and not writable by group or others, and every directory
 * from its own up to / is a real directory (no symlink) owned by root and
 * not writable by group or others.  A refused hook is logged with the
 * reason and never run.  Editor and package-manager leftovers are skipped
 * with a debug line only (B4 item 27).  hooks_config.owner trusts one more
 * uid besides root, so the tests can also run unprivileged.
 *
 * Running (the daemon never blocks): one hook at a time, driven by the
 * daemon's ev loop.  Each is fork+execve'd directly (no shell, except the
 * POSIX execvp fallback to /bin/sh for a file without #! or ELF header,
 * which open-vm-tools' "sh -c" also gives such scripts), in its own
 * process group, stdin /dev/null, stdout and stderr into one pipe read
 * into memory (capped; the rest is read and dropped so the hook never
 * blocks on a full pipe, D2), signal mask and dispositions reset, umask
 * 022, cwd /, every other descriptor closed, a minimal fixed environment:
 *	PATH=/usr/sbin:/usr/bin:/sbin:/bin  LANG=C
 *	HVVSS_PHASE	prepare | freeze | thaw | abort (ours, for every source)
 *	HVVSS_CYCLE	the cycle id
 *	HVVSS_REASON	backup | checkpoint ... (only if the caller knows)
 *	HVVSS_MOUNTS	the planned mount points, newline-separated
 *	HVVSS_MOUNTS_TRUNCATED=1  only if they did not fit HOOKS_ENV_BYTES
 *	HVVSS_DEADLINE	whole seconds this hook has before SIGTERM
 *	HVVSS_DEADLINE_MONO_NS  that instant on CLOCK_MONOTONIC, in ns
 * A hook that exits 0 is ok; anything else is a failure.  At its deadline
 * the whole group gets SIGTERM, after a grace SIGKILL; a hook that still
 * does not die (stuck in the kernel) is abandoned, reaped later, and the
 * phase goes on (B1 item 12: no timeout may be bypassable).  Background
 * children a hook leaves behind after exiting 0 are left alone: qemu-ga's
 * MySQL sample holds its lock that way until thaw.
 *
 * Failures: a failing freeze hook ends the freeze phase (later hooks'
 * freeze does not run); prepare, thaw and abort run every hook whatever
 * fails.  The runner only reports: the phase result is HOOKRUN_OK, or, if
 * any hook failed, HOOKRUN_FAILED under HOOKS_POLICY_FAIL and
 * HOOKRUN_DEGRADED under HOOKS_POLICY_CONTINUE (continue crash-consistent,
 * B4 item 28).  The caller's cycle:
 *	HOT_BACKUP: hooks_scan; hookrun_start(PREPARE); hooks_log_results
 *	FREEZE:     hookrun_start(FREEZE); if not ok: hookrun_start(ABORT)
 *	            at once, then fail or (DEGRADED) freeze crash-consistent;
 *	            freeze the filesystems (even if none were frozen, the
 *	            pairing below still holds, B2 item 22)
 *	THAW / failure / deadline: thaw filesystems, then hookrun_start(THAW
 *	            or ABORT) whenever hooks_frozen_count() > 0; then
 *	            hooks_log_results.
 * Every hook whose freeze phase started gets its thaw or abort exactly
 * once: a second THAW finds nothing to run (B4 item 33).
 *
 * Memory: everything is allocated by hooks_scan (names, paths, a capped
 * output buffer per hook) or lives in struct hookrun (argv, environment);
 * hookrun_start and everything after it allocate nothing, so thaw and
 * abort cannot fail for lack of memory while filesystems are frozen.
 * Nothing here writes a file or calls syslog: only log.h, which holds
 * lines in memory while frozen (B1 item 1).  The output of hooks is logged
 * by hooks_log_results, which the daemon calls after thaw.
 */
#ifndef HOOKS_H
#define HOOKS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ev;

#define HOOKS_NATIVE_DIR	"/etc/hvvss/hooks.d"
#define HOOKS_QGA_DIR		"/etc/qemu/fsfreeze-hook.d"
#define HOOKS_VMWARE_DIR	"/etc/vmware-tools/backupScripts.d"
#define HOOKS_VMWARE_PRE	"/usr/sbin/pre-freeze-script"
#define HOOKS_VMWARE_POST	"/usr/sbin/post-thaw-script"

#define HOOKS_MAX		64		/* per set; more are refused */
#define HOOKS_OUT_MAX		(64 * 1024)	/* per hook per cycle */
#define HOOKS_ENV_BYTES		(32 * 1024)	/* all HVVSS_* text */
#define HOOKS_GRACE_NS		2000000000ull	/* SIGTERM -> SIGKILL */
#define HOOKS_LOST_NS		5000000000ull	/* SIGKILL -> abandon */
#define HOOKS_TIMER		4	/* ev timer id; the daemon has 0..3 */
#define HOOKS_MAX_LOST		8

enum hooks_phase {
	HOOKS_PREPARE,
	HOOKS_FREEZE,
	HOOKS_THAW,
	HOOKS_ABORT,
	HOOKS_PHASE__MAX
};

enum hooks_source {
	HOOKS_SRC_NATIVE,
	HOOKS_SRC_QGA,
	HOOKS_SRC_VMWARE_LEGACY,	/* pre-freeze-script/post-thaw-script */
	HOOKS_SRC_VMWARE,
	HOOKS_SRC__MAX
};

enum hooks_policy {
	HOOKS_POLICY_FAIL,	/* a failing hook fails the backup */
	HOOKS_POLICY_CONTINUE	/* logged; goes on crash-consistent */
};

enum hooks_status {
	HOOKS_ST_NOT_RUN,	/* not in this phase (yet) */
	HOOKS_ST_RUNNING,
	HOOKS_ST_OK,		/* exit 0 */
	HOOKS_ST_EXIT,		/* exit non-zero (127: could not exec) */
	HOOKS_ST_SIGNALED,	/* died of a signal we did not send */
	HOOKS_ST_TIMEOUT,	/* deadline: died after our SIGTERM */
	HOOKS_ST_KILLED,	/* deadline + grace: died of our SIGKILL */
	HOOKS_ST_LOST,		/* did not die after SIGKILL: abandoned */
	HOOKS_ST_SPAWN_FAILED,	/* pipe or fork failed: it never ran */
	HOOKS_ST_CANCELED,	/* hookrun_cancel killed it */
	HOOKS_ST_EMPTY,		/* legacy slot without this script: ok */
	HOOKS_ST__MAX
};

struct hooks_result {
	enum hooks_status status;
	pid_t		 pid;		/* also its process group; -1 */
	int		 code;		/* exit code; -1 if it did not exit */
	int		 sig;		/* signal it died of; 0 if none */
	int		 err;		/* errno of a spawn failure */
	uint64_t	 start;		/* CLOCK_MONOTONIC ns */
	uint64_t	 ns;		/* duration */
	size_t		 out_off;	/* its output: out[off, off + len) */
	size_t		 out_len;
	size_t		 out_dropped;	/* past the cap: read, dropped */
	int		 logged;	/* hooks_log_results showed it */
};

struct hooks_hook {
	char		*name;		/* for logs: "10-db", "qemu-ga/10-db" */
	char		*path;		/* prepare/freeze; NULL: none */
	char		*undo_path;	/* thaw/abort; NULL: none */
	enum hooks_source src;
	int		 freeze_started; /* owes a thaw or abort */
	char		*out;		/* out_cap bytes, for all phases */
	size_t		 out_used;
	struct hooks_result r[HOOKS_PHASE__MAX];
};

struct hooks_config {
	const char	*native_dir;	/* NULL: source off */
	const char	*qga_dir;	/* NULL: off */
	const char	*vmware_dir;	/* NULL: off */
	const char	*vmware_pre;	/* legacy pair: both NULL: off */
	const char	*vmware_post;
	uid_t		 owner;		/* trusted owner besides root: 0 */
	size_t		 out_cap;	/* per hook; 0: HOOKS_OUT_MAX */
	enum hooks_policy policy;
};

struct hooks_set {
	struct hooks_hook *v;		/* in freeze order */
	size_t		 n;
	size_t		 nrefused;	/* refused by the trust checks */
	size_t		 out_cap;
	enum hooks_policy policy;
	pid_t		 lost[HOOKS_MAX_LOST]; /* abandoned; reaped later */
	size_t		 nlost;
};

struct hooks_env {
	const char	*cycle;		/* HVVSS_CYCLE; NULL: "" */
	const char	*reason;	/* HVVSS_REASON; NULL: not set */
	const char *const *mounts;	/* HVVSS_MOUNTS */
	size_t		 nmounts;
};

enum hookrun_result {
	HOOKRUN_OK,
	HOOKRUN_DEGRADED,	/* failures, policy continue */
	HOOKRUN_FAILED,		/* failures, policy fail */
	HOOKRUN__MAX
};

typedef void	(*hookrun_done_fn)(void *, enum hookrun_result);

#define HOOKS_ENV_SLOTS	16

/*
 * One phase at a time.  About 33 KiB (the environment is built in place,
 * never allocated): keep it in static or heap state, not on a stack.
 * timer_id, grace_ns and lost_ns may be changed after hookrun_init.
 */
struct hookrun {
	struct ev	*ev;
	struct hooks_set *set;
	enum hooks_phase phase;
	hookrun_done_fn	 done;
	void		*arg;
	int		 timer_id;	/* HOOKS_TIMER */
	uint64_t	 grace_ns;	/* HOOKS_GRACE_NS */
	uint64_t	 lost_ns;	/* HOOKS_LOST_NS */
	uint64_t	 per_hook_ns;
	int		 busy;
	int		 stage;		/* private: see hooks.c */
	size_t		 next;		/* private: iteration cursor */
	size_t		 cur;		/* private: the running hook */
	pid_t		 pid;		/* -1 */
	int		 pidfd;		/* -1 */
	int		 outfd;		/* -1 */
	int		 polled;	/* private: no pidfd or no io slot */
	uint64_t	 deadline;	/* running hook's, CLOCK_MONOTONIC */
	uint64_t	 stage_at;	/* next escalation */
	size_t		 nran, nfailed;
	enum hookrun_result result;
	char		*argv[4];
	char		*envp[HOOKS_ENV_SLOTS];
	size_t		 env_fixed;	/* private: bytes before the */
	size_t		 nenv_fixed;	/*  per-hook variables */
	char		 envbuf[HOOKS_ENV_BYTES];
};

/* The defaults: every source off but native, owner 0, policy fail. */
void		 hooks_config_init(struct hooks_config *);
/* 1 if a directory entry name is an editor/package leftover or hidden. */
int		 hooks_ignored_name(const char *);
/*
 * The trust checks for one file (and its directories up to /): 0, or -1
 * with *why a static reason.  owner: a uid trusted besides 0.
 */
int		 hooks_check(const char *path, uid_t owner, const char **why);
/*
 * Empty the set, then add every enabled source.  -1 with errno ENOMEM, or
 * EBUSY if hooks in the set still owe a thaw or abort (nothing changed).
 * Missing directories and refused hooks are logged, not errors.
 */
int		 hooks_scan(struct hooks_set *, const struct hooks_config *);
void		 hooks_set_init(struct hooks_set *);
void		 hooks_set_free(struct hooks_set *);
/* Hooks whose freeze phase started and that still owe a thaw or abort. */
size_t		 hooks_frozen_count(const struct hooks_set *);
/* Forget results and output (not freeze_started): a new cycle. */
void		 hooks_reset_results(struct hooks_set *);
/* Log each result not yet logged, then its output lines. */
void		 hooks_log_results(struct hooks_set *);

void		 hookrun_init(struct hookrun *);
/*
 * Start the phase; done(arg, result) is called later from the loop (never
 * from within hookrun_start), once, when the last hook of the phase is
 * over.  per_hook_ns: each hook's deadline.  -1 with errno EBUSY if the
 * run is busy or a FREEZE is asked while hooks still owe a thaw, EINVAL
 * for a bad phase; nothing is started then.
 */
int		 hookrun_start(struct hookrun *, struct ev *,
		    struct hooks_set *, enum hooks_phase,
		    const struct hooks_env *, uint64_t per_hook_ns,
		    hookrun_done_fn, void *arg);
int		 hookrun_busy(const struct hookrun *);
/* Kill the running hook's group, drop the phase; no callback. */
void		 hookrun_cancel(struct hookrun *);

const char	*hooks_phase_name(int);
const char	*hooks_status_name(int);
const char	*hooks_source_name(int);
const char	*hookrun_result_name(int);

#endif /* HOOKS_H */
