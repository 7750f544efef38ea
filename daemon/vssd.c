/*
 * vssd.c: hv_vss_daemon's engine.
 *
 * States (vssd_state_name[] for logs):
 *	REGISTERING  device open, Linux handshake reply not yet read
 *	IDLE         registered, nothing frozen
 *	FROZEN       this daemon holds freezes; the deadline is armed
 *	STOPPED      the loop ends; nothing is frozen (or a thaw failed)
 * state_transition() is the only writer of sd->state; it arms and clears
 * the frozen-window deadline, whose expiry re-enters it, and leaving FROZEN
 * always thaws first.  Between the first freeze and the last thaw no file
 * is written and nothing is logged but to the memory buffer (log_hold);
 * everything the thaw needs was opened and allocated before the first
 * freeze.
 *
 * Application phases (hooks, notified clients: quiesce.h) and the check's
 * flush (a thread running syncfs on every planned filesystem) run
 * asynchronously beside that state: sd->busy is set while one runs and the
 * request being served (sd->cur) is answered from its continuation.  A
 * request that arrives meanwhile waits in sd->pending; kick() runs what is
 * due once nothing is busy: the thaw or abort phase owed after a thaw, the
 * pending request, or the stop.
 */
#include <sys/types.h>
#include <sys/mman.h>
#ifdef __linux__
#include <sys/statfs.h>
#else
#include <sys/param.h>
#include <sys/mount.h>
#endif
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "ev.h"
#include "facts.h"
#include "hvvss_err.h"
#include "hvvss_notify.h"
#include "freeze.h"
#include "guardian.h"
#include "history.h"
#include "journal.h"
#include "log.h"
#include "mountinfo.h"
#include "mounts.h"
#include "plan.h"
#include "quiesce.h"
#include "rcuexp.h"
#include "sdnotify.h"
#include "sigsrc.h"
#include "vssd.h"
#include "xport.h"

enum vssd_state {
	VS_REGISTERING,
	VS_IDLE,
	VS_FROZEN,
	VS_STOPPED,
	VS__MAX
};

static const char *const vssd_state_name[VS__MAX] = {
	"REGISTERING", "IDLE", "FROZEN", "STOPPED"
};

static const char *const exit_names[VSSD_EXIT__MAX] = {
	"none", "signal", "device", "oserr", "thaw-failed"
};

/* Timer ids of the loop: 2-3 notify.c, 4 hooks.c. */
enum { T_DEADLINE = 0, T_PHASE = 1, T_REOPEN = 5, T_READY = 6, T_FLUSH = 7,
    T_GUARD = 8 };

/* Without a pidfd, how often the loop looks whether the guardian died. */
#define GUARD_POLL_MS	50

/*
 * A channel that keeps failing right after it was reopened (the driver is
 * going away) is retried with a growing pause, then given up: the service
 * manager restarts the daemon when the device comes back.
 */
#define REOPEN_MAX	8
#define REOPEN_BASE_MS	100

/*
 * The kernel answers the host itself when the daemon is late (protocol.md
 * 4.2): Linux after 30 s for HOT_BACKUP and 900 s for FREEZE, FreeBSD after
 * 15 s for the whole chain.  Applications get what is left of that, less a
 * margin for the daemon's own work, so that the reply is always ours.
 */
#define PHASE_BUDGET_CHECK_S	25
#define PHASE_BUDGET_FREEZE_S	880
#define PHASE_BUDGET_BSD_S	12

struct vssd {
	struct vssd_conf	 conf;
	struct ev		 ev;
	struct xport		 xp;
	struct frz		 frz;
	struct guardian		 g;
	struct rcx		 rcx;		/* expedited RCU across freezes */
	struct frz		 flush;		/* the check's flush: own fds */
	pthread_t		 flush_th;
	int			 flush_fd[2];	/* its "done" pipe; -1 */
	int			 flushing;	/* flush_th runs */
	int			 flush_replied;	/* the check answered already */
	uint64_t		 flush_t0;
	uint64_t		 check_by;	/* the check's reply is due */
	uint64_t		 guard_until;	/* the window's first guardian's
						   deadline */
	enum qz_result		 check_res;	/* the applications' verdict */
	int			 journal_ok;	/* /run is a tmpfs we may write */
	enum vssd_state		 state;
	enum vssd_exit		 exit;
	struct sigsrc		 sig;		/* TERM, INT, HUP */
	int			 expired;	/* deadline thawed this cycle */
	int			 ready;		/* READY=1 sent */
	unsigned		 cycle;
	struct quiesce		 qz;
	int			 busy;		/* an application phase runs */
	struct xport_msg	 cur;		/* the request being served */
	struct xport_msg	 pending;	/* arrived while busy */
	int			 have_pending;
	int			 apps_due;	/* QZ_THAW/QZ_ABORT owed, or -1 */
	int			 stopping;
	unsigned		 resets;	/* reopens since last registered */
	int			 reopen_now;
	qz_done_fn		 apps_done;	/* continuation of the phase */
	char			**mounts;	/* planned mount points (copies) */
	size_t			 nmounts;
	struct control		 ctl;		/* hvvssctl's socket */
	struct history		 hist;		/* the last cycles, for it */
};

static void	state_transition(struct vssd *, enum vssd_state, const char *);
static void	announce_ready(struct vssd *);
static void	on_device(void *, int, short);
static void	kick(struct vssd *);
static void	handle(struct vssd *, const struct xport_msg *);

const char *
vssd_exit_name(int e)
{
	if (e < 0 || e >= VSSD_EXIT__MAX)
		return "unknown";
	return exit_names[e];
}

void
vssd_conf_default(struct vssd_conf *c)
{
	memset(c, 0, sizeof(*c));
#ifdef __FreeBSD__
	c->kind = XPORT_FREEBSD;
#else
	c->kind = XPORT_LINUX;
#endif
	c->mountinfo = "/proc/self/mountinfo";
	c->sysroot = "/sys";
	c->expedite_rcu = 1;
	c->journal = JOURNAL_DEFAULT_PATH;
	c->deadline_s = VSSD_DEFAULT_DEADLINE_S;
	c->hooks_dir = HOOKS_NATIVE_DIR;
	c->hooks_timeout_s = VSSD_DEFAULT_HOOK_TIMEOUT_S;
	c->notify_path = HVVSS_NOTIFY_PATH;
	c->notify_timeout_s = VSSD_DEFAULT_NOTIFY_TIMEOUT_S;
}

/* ---- planning ---------------------------------------------------------- */

struct snapshot {
	char		*text;
	size_t		 len;
	struct mi_table	 mi;
	struct facts	 facts;
	struct plan	 plan;
	int		 have_mi, have_facts, have_plan;
};

static void
snapshot_free(struct snapshot *s)
{
	if (s->have_plan)
		plan_free(&s->plan);
	if (s->have_facts)
		facts_free(&s->facts);
	if (s->have_mi)
		mi_free(&s->mi);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

/* Read the table, gather device facts, plan.  0, or -1 with a log line. */
static int
snapshot_take(const struct vssd_conf *c, struct snapshot *s)
{
	struct plan_policy	pol;
	struct mi_error		merr;

	memset(s, 0, sizeof(*s));
	if (mounts_read(c->mountinfo, &s->text, &s->len) == -1) {
		log_warn("event=plan-failed reason=read table=%s", c->mountinfo);
		return -1;
	}
	if (mi_parse(s->text, s->len, &s->mi, &merr) == -1) {
		log_warnx("event=plan-failed reason=mountinfo-%s line=%zu",
		    mi_err_name(merr.code), merr.line);
		snapshot_free(s);
		return -1;
	}
	s->have_mi = 1;
#ifdef __linux__
	if (facts_gather(c->sysroot, &s->mi, &s->facts) == -1) {
		log_warn("event=plan-failed reason=facts sysroot=%s",
		    c->sysroot);
		snapshot_free(s);
		return -1;
	}
	s->have_facts = 1;
#else
	/*
	 * No sysfs: no loop or stacking facts (the FreeBSD daemon has none
	 * either, protocol.md 8.1), so every file system is independent.
	 * On Linux a missing /sys stays an error: without it a loop-backed
	 * file system could be frozen after its backing one.
	 */
	memset(&s->facts, 0, sizeof(s->facts));
#endif
	memset(&pol, 0, sizeof(pol));
	pol.include = c->include;
	pol.exclude = c->exclude;
	pol.freeze_unknown = 1;
	if (s->facts.nunread > 0)
		log_warnx("event=facts-incomplete unread=%zu sysroot=%s",
		    s->facts.nunread, c->sysroot);
	if (plan_build(&s->mi, &s->facts, &pol, &s->plan) == -1) {
		log_warnx("event=plan-failed reason=%s item=%zu",
		    plan_err_name(s->plan.err), s->plan.err_item);
		snapshot_free(s);
		return -1;
	}
	s->have_plan = 1;
	return 0;
}

static void
plan_log(const struct snapshot *s, int all)
{
	size_t	i;

	for (i = 0; i < s->plan.nitems; i++) {
		const struct plan_item	*it = &s->plan.items[i];
		const struct mi_entry	*m = &s->mi.v[it->mi];

		if (!all && (it->verdict == PV_SKIP_PSEUDO ||
		    it->verdict == PV_DUPLICATE))
			continue;
		log_debug("event=plan fs=\"%s\" type=%s dev=%u:%u verdict=%s "
		    "stage=%d why=\"%s\"", m->mnt, m->fstype, m->major,
		    m->minor, plan_verdict_name((int)it->verdict), it->stage,
		    it->why != NULL ? it->why : "");
	}
}

/* A name for a terminal (control.c's escaping: no escape sequences). */
static const char *
printable(const char *in, char *buf, size_t size)
{
	(void)control_quote(in, 0, buf, size);
	return buf;
}

int
vssd_print_plan(const struct vssd_conf *c)
{
	char		mb[4 * 1024 + 1], tb[64];
	struct snapshot	s;
	size_t		i;

	if (snapshot_take(c, &s) == -1)
		return -1;
	printf("%-5s %-32s %-10s %-8s %-18s %s\n", "ORDER", "MOUNT", "TYPE",
	    "DEV", "VERDICT", "WHY");
	for (i = 0; i < s.plan.norder; i++) {
		const struct plan_item	*it = &s.plan.items[s.plan.order[i]];
		const struct mi_entry	*m = &s.mi.v[it->mi];
		char			 dev[24];

		snprintf(dev, sizeof(dev), "%u:%u", m->major, m->minor);
		printf("%-5zu %-32s %-10s %-8s %-18s stage %d\n", i + 1,
		    printable(m->mnt, mb, sizeof(mb)),
		    printable(m->fstype, tb, sizeof(tb)), dev, plan_verdict_name((int)it->verdict),
		    it->stage);
	}
	for (i = 0; i < s.plan.nitems; i++) {
		const struct plan_item	*it = &s.plan.items[i];
		const struct mi_entry	*m = &s.mi.v[it->mi];
		char			 dev[24];

		if (it->verdict == PV_FREEZE)
			continue;
		snprintf(dev, sizeof(dev), "%u:%u", m->major, m->minor);
		printf("%-5s %-32s %-10s %-8s %-18s %s\n", "-",
		    printable(m->mnt, mb, sizeof(mb)),
		    printable(m->fstype, tb, sizeof(tb)), dev, plan_verdict_name((int)it->verdict),
		    it->why != NULL ? it->why : "");
	}
	snapshot_free(&s);
	return 0;
}

/* ---- thaw guarantee ---------------------------------------------------- */

static void	on_guardian(void *, int, short);
static void	on_guard_poll(void *);

static void
on_note(void *arg, char what, size_t i)
{
	struct vssd	*sd = arg;

	guardian_note(&sd->g, (enum guardian_note)what, i);
}

/* The guardian's deadline trails ours: it is the backstop, not the rule. */
#define GUARDIAN_GRACE_S	2

static int
guard_arm(struct vssd *sd)
{
	uint64_t	until = ev_now() + EV_SEC(sd->conf.deadline_s +
			    GUARDIAN_GRACE_S);
	size_t		i;

	/* The first guardian of a window sets the limit our own deadline
	 * keeps ahead of (VS_FROZEN), however long the pre-sync takes. */
	if (sd->state != VS_FROZEN)
		sd->guard_until = until;
	if (guardian_arm(&sd->g, &sd->frz, until) == -1) {
		log_warn("event=guardian-failed");
		return -1;
	}
	if (sd->g.pidfd == -1 || ev_io_add(&sd->ev, sd->g.pidfd, POLLIN,
	    on_guardian, sd) == -1)
		ev_timer_set(&sd->ev, T_GUARD, ev_now() + EV_MS(GUARD_POLL_MS),
		    on_guard_poll, sd);
	/* Re-armed while frozen: tell it what is already ours. */
	for (i = 0; i < sd->frz.n; i++)
		if (sd->frz.v[i].frozen)
			guardian_note(&sd->g, GN_ABOUT, i);
	return 0;
}

static void
guard_disarm(struct vssd *sd)
{
	if (sd->g.pidfd != -1)
		ev_io_del(&sd->ev, sd->g.pidfd);
	ev_timer_clear(&sd->ev, T_GUARD);
	guardian_stop(&sd->g, GN_DISARM);
	if (sd->journal_ok && journal_remove(sd->conf.journal) == -1)
		log_warn("event=journal-remove-failed path=%s",
		    sd->conf.journal);
}

static void
guardian_died(struct vssd *sd, int st)
{
	if (sd->g.fd != -1) {
		close(sd->g.fd);
		sd->g.fd = -1;
	}
	if (sd->state == VS_FROZEN) {
		/* Killed under us while frozen: never stay unguarded. */
		log_warnx("event=guardian-died status=0x%x action=rearm", st);
		(void)guard_arm(sd);
	}
}

static void
on_guardian(void *arg, int fd, short revents)
{
	struct vssd	*sd = arg;

	(void)revents;
	ev_io_del(&sd->ev, fd);
	guardian_died(sd, guardian_reap(&sd->g));
}

static void
on_guard_poll(void *arg)
{
	struct vssd	*sd = arg;
	int		 st;

	if (sd->g.pid == -1)
		return;
	if ((st = guardian_reap(&sd->g)) == -1) {
		ev_timer_set(&sd->ev, T_GUARD, ev_now() + EV_MS(GUARD_POLL_MS),
		    on_guard_poll, sd);
		return;
	}
	guardian_died(sd, st);
}

/* ---- requests ---------------------------------------------------------- */

static void
reply(struct vssd *sd, const struct xport_msg *m, int ok)
{
	if (sd->xp.fd == -1) {
		log_warnx("event=reply-lost op=%s reason=\"device closed\"",
		    xport_req_name((int)m->req));
		return;
	}
	if (xport_reply(&sd->xp, m, ok) == -1) {
		/*
		 * The kernel refused the reply: it timed out and answered the
		 * host itself, or reset the channel.  Whatever we froze must
		 * not outlive that (prior-art.md C1 item 9).
		 */
		state_transition(sd, VS_REGISTERING, "reply refused");
	}
}

static void
clear_mounts(struct vssd *sd)
{
	size_t	i;

	for (i = 0; i < sd->nmounts; i++)
		free(sd->mounts[i]);
	free(sd->mounts);
	sd->mounts = NULL;
	sd->nmounts = 0;
}

/* The mount points the hooks are told about: the planned filesystems. */
static void
set_mounts(struct vssd *sd)
{
	size_t	i;

	clear_mounts(sd);
	if (sd->frz.n == 0 ||
	    (sd->mounts = calloc(sd->frz.n, sizeof(*sd->mounts))) == NULL)
		return;
	/* Copies: the thaw or abort phase runs after frz_release(). */
	for (i = 0; i < sd->frz.n; i++)
		if ((sd->mounts[sd->nmounts] = strdup(sd->frz.v[i].mnt)) != NULL)
			sd->nmounts++;
}

/* ---- history and control socket (hvvssctl) ---------------------------- */

static void
hist_begin(struct vssd *sd, unsigned cycle)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	history_begin(&sd->hist, cycle, (int64_t)ts.tv_sec * 1000000000 +
	    ts.tv_nsec);
}

/* The phase that just ended; apps_start() zeroed the counters. */
static void
hist_apps(struct vssd *sd, enum qz_result res)
{
	const struct notify	*nt = &sd->qz.nt;

	history_apps(&sd->hist, (int)sd->qz.phase, (int)res,
	    (unsigned)sd->qz.run->nran, (unsigned)sd->qz.run->nfailed,
	    (unsigned)nt->nack, (unsigned)(nt->nfail + nt->ntimeout +
	    nt->ngone + nt->nsendfail));
}

static void
ctl_status(void *arg, struct control_status *st)
{
	struct vssd	*sd = arg;

	st->state = vssd_state_name[sd->state];
	st->transport = xport_kind_name(sd->xp.kind);
	st->device = sd->xp.path;
	st->registered = sd->xp.registered;
	st->kernel_version = sd->xp.kind == XPORT_LINUX ? sd->xp.version : 0;
	st->cycle = sd->cycle;
	st->phase = sd->flushing ? "flush" : sd->busy ?
	    qz_phase_name((int)sd->qz.phase) : NULL;
	st->expired = sd->expired;
	if (sd->state == VS_FROZEN) {
		control_status_frz(st, &sd->frz);
		st->deadline = ev_timer_when(&sd->ev, T_DEADLINE);
	}
	st->guardian_pid = sd->g.pid;
	st->journal = sd->journal_ok ? sd->conf.journal : NULL;
}

/* hvvssctl thaw: as the deadline does, so the next THAW fails. */
static int
ctl_thaw(void *arg)
{
	struct vssd	*sd = arg;
	size_t		 n = sd->frz.nfrozen;

	if (sd->state != VS_FROZEN)
		return 0;
	log_warnx("event=emergency-thaw cycle=%u frozen=%zu "
	    "reason=\"hvvssctl thaw\" action=\"the next THAW fails\"",
	    sd->cycle, n);
	sd->expired = 1;
	history_end(&sd->hist, HR_ABORTED, "emergency thaw (hvvssctl)");
	state_transition(sd, VS_IDLE, "hvvssctl thaw");
	return sd->state == VS_FROZEN ? -1 : (int)n;
}

static const struct control_ops ctl_ops = { ctl_status, ctl_thaw };

static void
apps_finished(void *arg, enum qz_result res)
{
	struct vssd	*sd = arg;

	ev_timer_clear(&sd->ev, T_PHASE);
	hist_apps(sd, res);
	sd->apps_done(sd, res);
}

/*
 * A quiescing phase ran out of the kernel's budget: stop it and go on as
 * if its participants had failed; the policy decides what that means.
 */
static void
on_phase_budget(void *arg)
{
	struct vssd	*sd = arg;
	enum qz_result	 res;

	if (!sd->busy)
		return;
	res = sd->conf.hooks_fail || sd->conf.notify_fail ? QZ_FAILED :
	    QZ_DEGRADED;
	log_warnx("event=apps phase=%s result=timeout action=%s "
	    "reason=\"the kernel's deadline for the reply is near\"",
	    qz_phase_name((int)sd->qz.phase), qz_result_name(res));
	quiesce_cancel(&sd->qz);
	hist_apps(sd, res);
	sd->apps_done(sd, res);
}

/* Start an application phase; done runs now if there is nothing to run. */
static void
apps_start(struct vssd *sd, enum qz_phase ph, qz_done_fn done)
{
	unsigned	budget;
	int		r;

	sd->apps_done = done;
	/* Counted per phase; a part that does not run leaves them stale. */
	sd->qz.run->nran = sd->qz.run->nfailed = 0;
	sd->qz.nt.nack = sd->qz.nt.nfail = sd->qz.nt.ntimeout = 0;
	sd->qz.nt.ngone = sd->qz.nt.nsendfail = 0;
	r = quiesce_start(&sd->qz, ph, (const char *const *)sd->mounts,
	    sd->nmounts, apps_finished, sd);
	if (r != 0) {
		hist_apps(sd, r == 1 ? QZ_OK : sd->qz.res);
		done(sd, r == 1 ? QZ_OK : sd->qz.res);
		return;
	}
	sd->busy = 1;
	if (ph != QZ_PREPARE && ph != QZ_FREEZE)
		return;		/* resuming is bounded by each hook's deadline */
	budget = sd->xp.kind == XPORT_FREEBSD ? PHASE_BUDGET_BSD_S :
	    ph == QZ_PREPARE ? PHASE_BUDGET_CHECK_S : PHASE_BUDGET_FREEZE_S;
	ev_timer_set(&sd->ev, T_PHASE, ev_now() + EV_SEC(budget),
	    on_phase_budget, sd);
}

static void
apps_over(struct vssd *sd)
{
	sd->busy = 0;
	kick(sd);
}

/* The cycle's last application phase (thaw or abort) is over. */
static void
resumed(void *arg, enum qz_result res)
{
	struct vssd	*sd = arg;

	log_info("event=apps phase=%s result=%s cycle=%u",
	    qz_phase_name((int)sd->qz.phase), qz_result_name(res), sd->cycle);
	quiesce_log(&sd->qz);
	clear_mounts(sd);
	apps_over(sd);
}

/* The check's outcome: log, answer, and release who prepared on failure. */
static void
check_done(struct vssd *sd, int ok, enum qz_result res)
{
	char	flush[48] = "";

	if (sd->flush_t0 != 0)
		snprintf(flush, sizeof(flush), " flush_ms=%.1f",
		    (ev_now() - sd->flush_t0) / 1e6);
	log_info("event=check result=%s apps=%s%s", ok ? "ok" : "fail",
	    qz_result_name(res), flush);
	sd->busy = 0;
	sd->flush_t0 = 0;
	history_step_end(&sd->hist, HS_CHECK, ev_now());
	if (!ok)
		history_end(&sd->hist, HR_FAIL, "an application refused to "
		    "prepare");
	if (!sd->flush_replied)
		reply(sd, &sd->cur, ok);
	sd->flush_replied = 0;
	/* No backup follows a failed check: release who prepared. */
	if (!ok && quiesce_owed(&sd->qz) > 0)
		sd->apps_due = QZ_ABORT;
	kick(sd);
}

/*
 * Work before the window, at the host's check: flush every filesystem the
 * plan names with syncfs(2) now, while nothing is frozen and no writer
 * waits, so that the FREEZE that follows has little left to write and
 * answers quickly.  The flush runs in a thread over its own descriptors
 * (frz_sync() logs nothing) and reports through a pipe into the loop, so
 * that the loop stays free; requests that arrive meanwhile wait as during
 * an application phase (sd->busy).  It is an optimization: anything that
 * keeps it from starting just answers the check at once.
 */
static void *
flusher(void *arg)
{
	struct vssd	*sd = arg;
	char		 c = 1;

	(void)frz_sync(&sd->flush);
	/* One byte into an empty pipe: only a signal could interrupt it. */
	while (write(sd->flush_fd[1], &c, 1) == -1 && errno == EINTR)
		;
	return NULL;
}

static void
flush_end(struct vssd *sd)
{
	size_t	i, nfail = 0;

	(void)pthread_join(sd->flush_th, NULL);
	sd->flushing = 0;
	ev_timer_clear(&sd->ev, T_FLUSH);
	ev_io_del(&sd->ev, sd->flush_fd[0]);
	close(sd->flush_fd[0]);
	close(sd->flush_fd[1]);
	sd->flush_fd[0] = sd->flush_fd[1] = -1;
	for (i = 0; i < sd->flush.n; i++) {
		if (sd->flush.v[i].err == 0)
			continue;
		nfail++;
		errno = sd->flush.v[i].err;
		log_warn("event=syncfs-failed fs=\"%s\" phase=check",
		    sd->flush.v[i].mnt);
	}
	log_debug("event=check-flush filesystems=%zu failed=%zu ms=%.1f",
	    sd->flush.n, nfail, (ev_now() - sd->flush_t0) / 1e6);
	frz_release(&sd->flush);
}

static void
on_flushed(void *arg, int fd, short revents)
{
	struct vssd	*sd = arg;
	char		 c;

	(void)revents;
	if (read(fd, &c, 1) != 1)
		return;
	flush_end(sd);
	check_done(sd, 1, sd->check_res);
}

/* The kernel's deadline for the check's reply is near: answer now; the
 * flush goes on, and a FREEZE waits for it as a pending request. */
static void
on_flush_budget(void *arg)
{
	struct vssd	*sd = arg;

	if (!sd->flushing || sd->flush_replied)
		return;
	log_warnx("event=check-flush result=slow action=reply "
	    "reason=\"the kernel's deadline for the reply is near\"");
	sd->flush_replied = 1;
	reply(sd, &sd->cur, 1);
}

static int
flush_start(struct vssd *sd)
{
	struct snapshot	s;
	pthread_attr_t	attr;
	int		rc;

	if (snapshot_take(&sd->conf, &s) == -1)
		return -1;
	rc = frz_prepare(&sd->flush, &s.mi, &s.plan, 0);
	snapshot_free(&s);
	if (rc == -1 || sd->flush.n == 0)
		goto fail;
	if (pipe2(sd->flush_fd, O_CLOEXEC | O_NONBLOCK) == -1)
		goto fail;
	if (ev_io_add(&sd->ev, sd->flush_fd[0], POLLIN, on_flushed, sd) == -1)
		goto fail_pipe;
	sd->flush_t0 = ev_now();
	pthread_attr_init(&attr);
	/* mlockall() locks thread stacks: a small one, as the workers'. */
	(void)pthread_attr_setstacksize(&attr, FRZ_WORKER_STACK);
	rc = pthread_create(&sd->flush_th, &attr, flusher, sd);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		ev_io_del(&sd->ev, sd->flush_fd[0]);
		sd->flush_t0 = 0;
		goto fail_pipe;
	}
	sd->flushing = 1;
	sd->busy = 1;
	ev_timer_set(&sd->ev, T_FLUSH, sd->check_by, on_flush_budget, sd);
	return 0;
fail_pipe:
	close(sd->flush_fd[0]);
	close(sd->flush_fd[1]);
	sd->flush_fd[0] = sd->flush_fd[1] = -1;
fail:
	log_debug("event=check-flush result=skipped");
	frz_release(&sd->flush);
	return -1;
}

static void
checked(void *arg, enum qz_result res)
{
	struct vssd	*sd = arg;
	int		 ok = res != QZ_FAILED;

	quiesce_log(&sd->qz);
	sd->check_res = res;
	if (ok && !sd->stopping && flush_start(sd) == 0)
		return;		/* on_flushed() answers */
	check_done(sd, ok, res);
}

static void
do_check(struct vssd *sd, const struct xport_msg *m)
{
	struct snapshot	s;
	int		ok;

	if (sd->state == VS_FROZEN) {
		log_warnx("event=check result=fail reason=\"already frozen\"");
		reply(sd, m, 0);
		return;
	}
	hist_begin(sd, sd->cycle + 1);
	history_step_begin(&sd->hist, HS_CHECK, ev_now());
	sd->check_by = ev_now() + EV_SEC(sd->xp.kind == XPORT_FREEBSD ?
	    PHASE_BUDGET_BSD_S : PHASE_BUDGET_CHECK_S);
	if (snapshot_take(&sd->conf, &s) == -1) {
		history_end(&sd->hist, HR_FAIL, "plan failed");
		reply(sd, m, 0);
		return;
	}
	plan_log(&s, 0);
	ok = s.plan.norder + s.plan.nsync > 0;
	log_info("event=plan result=%s freeze=%zu sync_only=%zu mounts=%zu%s",
	    ok ? "ok" : "fail", s.plan.norder, s.plan.nsync, s.plan.nitems,
	    ok ? "" : " reason=\"nothing to freeze\"");
	snapshot_free(&s);
	if (!ok) {
		history_end(&sd->hist, HR_FAIL, "nothing to freeze");
		reply(sd, m, 0);
		return;
	}
	quiesce_begin(&sd->qz, sd->cycle + 1);
	sd->cur = *m;
	apps_start(sd, QZ_PREPARE, checked);
}

/* The filesystems themselves, once the applications are quiesced. */
static void
freeze_fs(struct vssd *sd)
{
	uint64_t	t0, t1;

	if (guard_arm(sd) == -1 || (sd->journal_ok &&
	    journal_write(sd->conf.journal, &sd->frz, 1) == -1)) {
		log_warn("event=freeze result=fail cycle=%u reason=\"cannot "
		    "arm the thaw guarantee\"", sd->cycle);
		history_end(&sd->hist, HR_FAIL, "cannot arm the thaw "
		    "guarantee");
		guard_disarm(sd);
		reply(sd, &sd->cur, 0);
		frz_release(&sd->frz);
		apps_start(sd, QZ_ABORT, resumed);
		return;
	}
	/*
	 * Flush while writers still run (lab-facts.md 2c, 2e), as late as
	 * possible: after the applications quiesced (what they flushed is
	 * written now, not inside the window) and right before the freeze,
	 * so little is dirtied again in between.
	 */
	t0 = ev_now();
	(void)frz_presync(&sd->frz);
	t1 = ev_now();
	log_hold(1);
	if (frz_freeze(&sd->frz) == -1) {
		/* Rolled back already: reply first, then log (C1 item 3). */
		reply(sd, &sd->cur, 0);
		history_step_end(&sd->hist, HS_FREEZE, ev_now());
		history_fs(&sd->hist, &sd->frz);
		history_end(&sd->hist, HR_FAIL, "freeze failed");
		if (sd->frz.nfrozen > 0) {
			/*
			 * A rollback FITHAW failed: still frozen.  Keep the
			 * guardian, the memory log and the descriptors, and
			 * stay FROZEN, whose deadline (and the host's THAW)
			 * retries the thaw; that THAW is answered failure.
			 */
			sd->expired = 1;
			state_transition(sd, VS_FROZEN, "rollback incomplete");
			sd->busy = 0;
			kick(sd);
			return;
		}
		guard_disarm(sd);
		log_hold(0);
		log_warnx("event=freeze result=fail cycle=%u", sd->cycle);
		frz_log(&sd->frz, "fs");
		frz_release(&sd->frz);
		apps_start(sd, QZ_ABORT, resumed);
		return;
	}
	/* /run is a tmpfs (checked at start): this write cannot block. */
	if (sd->journal_ok)
		(void)journal_write(sd->conf.journal, &sd->frz, 0);
	history_fs(&sd->hist, &sd->frz);
	history_step_begin(&sd->hist, HS_FROZEN, sd->frz.frozen_at);
	log_info("event=freeze result=ok cycle=%u frozen=%zu presync_ms=%.1f "
	    "freeze_ms=%.1f expedited=%s", sd->cycle, sd->frz.nfrozen,
	    (t1 - t0) / 1e6, (ev_now() - t1) / 1e6,
	    sd->frz.expedited ? "yes" : "no");
	state_transition(sd, VS_FROZEN, "freeze");
	reply(sd, &sd->cur, 1);
	history_step_end(&sd->hist, HS_FREEZE, ev_now());
	sd->busy = 0;
	kick(sd);
}

static void
apps_frozen(void *arg, enum qz_result res)
{
	struct vssd	*sd = arg;

	sd->busy = 0;
	if (res == QZ_FAILED) {
		log_warnx("event=freeze result=fail cycle=%u reason=\"an "
		    "application refused to quiesce\" policy=fail", sd->cycle);
		history_step_end(&sd->hist, HS_FREEZE, ev_now());
		history_end(&sd->hist, HR_FAIL, "an application refused to "
		    "quiesce");
		reply(sd, &sd->cur, 0);
		frz_release(&sd->frz);
		apps_start(sd, QZ_ABORT, resumed);
		return;
	}
	if (res == QZ_DEGRADED)
		log_warnx("event=apps phase=freeze result=degraded cycle=%u "
		    "policy=continue reason=\"backup is crash-consistent for "
		    "the applications that failed\"", sd->cycle);
	freeze_fs(sd);
}

static void
do_freeze(struct vssd *sd, const struct xport_msg *m)
{
	struct snapshot	s;
	uint64_t	t0 = ev_now();

	sd->cycle++;
	sd->expired = 0;
	if (sd->state == VS_FROZEN) {
		/* Refuse, but keep the first freeze and its deadline. */
		log_warnx("event=freeze result=fail cycle=%u "
		    "reason=\"already frozen\"", sd->cycle);
		reply(sd, m, 0);
		return;
	}
	hist_begin(sd, sd->cycle);
	history_step_begin(&sd->hist, HS_FREEZE, t0);
	history_step_begin(&sd->hist, HS_PREPARE, t0);
	if (snapshot_take(&sd->conf, &s) == -1) {
		history_end(&sd->hist, HR_FAIL, "plan failed");
		reply(sd, m, 0);
		return;
	}
	plan_log(&s, 0);
	if (s.plan.norder + s.plan.nsync == 0) {
		log_warnx("event=freeze result=fail cycle=%u "
		    "reason=\"nothing to freeze\"", sd->cycle);
		history_end(&sd->hist, HR_FAIL, "nothing to freeze");
		snapshot_free(&s);
		reply(sd, m, 0);
		return;
	}
	if (frz_prepare(&sd->frz, &s.mi, &s.plan, sd->conf.accept_frozen)
	    == -1) {
		snapshot_free(&s);
		log_warnx("event=freeze result=fail cycle=%u reason=prepare",
		    sd->cycle);
		history_fs(&sd->hist, &sd->frz);
		history_end(&sd->hist, HR_FAIL, "prepare failed");
		frz_log(&sd->frz, "fs");
		frz_release(&sd->frz);
		reply(sd, m, 0);
		return;
	}
	snapshot_free(&s);
	log_info("event=prepared cycle=%u filesystems=%zu prepare_ms=%.1f",
	    sd->cycle, sd->frz.n, (ev_now() - t0) / 1e6);
	history_step_end(&sd->hist, HS_PREPARE, ev_now());
	set_mounts(sd);
	quiesce_begin(&sd->qz, sd->cycle);
	sd->cur = *m;
	apps_start(sd, QZ_FREEZE, apps_frozen);
}

static void
do_thaw(struct vssd *sd, const struct xport_msg *m)
{
	int	ok;

	if (sd->state != VS_FROZEN) {
		/*
		 * Nothing frozen: success, unless our deadline thawed this
		 * cycle, in which case the snapshot may be torn and the host
		 * must hear so.
		 */
		ok = !sd->expired;
		log_info("event=thaw result=%s frozen=0%s", ok ? "ok" : "fail",
		    ok ? "" : " reason=\"deadline thawed before THAW\"");
		sd->expired = 0;
		reply(sd, m, ok);
		return;
	}
	state_transition(sd, VS_IDLE, "thaw");
	ok = sd->state == VS_IDLE;
	reply(sd, m, ok);
	history_end(&sd->hist, ok ? HR_OK : HR_FAIL, ok ? NULL :
	    "thaw failed: still frozen");
	if (!ok)
		log_warnx("event=thaw result=fail still_frozen=%zu",
		    sd->frz.nfrozen);
}

static void
handle(struct vssd *sd, const struct xport_msg *m)
{
	if (m->decode_err != 0)
		log_warnx("event=request-malformed op=%u reason=%s", m->raw_op,
		    hvvss_err_name(m->decode_err));
	log_debug("event=request op=%s raw=%u state=%s busy=%d",
	    xport_req_name((int)m->req), m->raw_op,
	    vssd_state_name[sd->state], sd->busy);
	if (sd->busy || sd->apps_due != -1) {
		/* The kernel sends one request at a time; keep it for later. */
		if (sd->have_pending) {
			log_warnx("event=request result=fail op=%s "
			    "reason=\"busy\"", xport_req_name((int)m->req));
			reply(sd, m, 0);
			return;
		}
		sd->pending = *m;
		sd->have_pending = 1;
		return;
	}
	switch (m->req) {
	case XREQ_CHECK:
		do_check(sd, m);
		break;
	case XREQ_FREEZE:
		do_freeze(sd, m);
		break;
	case XREQ_THAW:
		do_thaw(sd, m);
		break;
	default:
		/* Unknown requests fail; the Linux daemon says success. */
		log_warnx("event=request result=fail op=%u reason=unknown",
		    m->raw_op);
		reply(sd, m, 0);
		break;
	}
}

/*
 * What is due once no application phase runs: the thaw (or abort) the
 * applications are owed, then a stop that was asked for, then a request
 * that arrived meanwhile.
 */
static void
kick(struct vssd *sd)
{
	struct xport_msg	m;

	if (sd->busy)
		return;
	if (sd->apps_due != -1) {
		enum qz_phase ph = (enum qz_phase)sd->apps_due;

		sd->apps_due = -1;
		apps_start(sd, ph, resumed);
		return;		/* the continuation kicks again */
	}
	if (sd->stopping) {
		if (sd->state == VS_FROZEN) {
			state_transition(sd, VS_IDLE, "stop");
			if (sd->state == VS_FROZEN)
				return;		/* thaw retries, then stop */
			kick(sd);
			return;
		}
		if (quiesce_owed(&sd->qz) > 0) {
			sd->apps_due = QZ_ABORT;
			kick(sd);
			return;
		}
		state_transition(sd, VS_STOPPED, "stop");
		return;
	}
	if (sd->have_pending) {
		m = sd->pending;
		sd->have_pending = 0;
		handle(sd, &m);
	}
}

/* ---- state machine ----------------------------------------------------- */

static void
on_deadline(void *arg)
{
	struct vssd	*sd = arg;

	if (sd->state != VS_FROZEN)
		return;
	if (sd->frz.nfrozen > 0 && !sd->expired) {
		sd->expired = 1;
		log_warnx("event=deadline limit_s=%u action=thaw "
		    "reason=\"no THAW in time; the next THAW will fail\"",
		    sd->conf.deadline_s);
		history_end(&sd->hist, HR_EXPIRED, "no THAW within the "
		    "deadline");
	}
	state_transition(sd, VS_IDLE, "deadline");
	kick(sd);
}

static int
thaw_everything(struct vssd *sd)
{
	if (sd->frz.nfrozen == 0)
		return 0;
	return frz_thaw(&sd->frz);
}

static void
on_reopen(void *arg)
{
	struct vssd	*sd = arg;

	if (sd->state != VS_REGISTERING || sd->xp.fd != -1 || sd->stopping)
		return;
	sd->reopen_now = 1;
	state_transition(sd, VS_REGISTERING, "reopen");
}

/*
 * The only writer of sd->state.  Leaving FROZEN always thaws first and then
 * flushes the held log; entering REGISTERING (re)opens the channel.
 */
static void
state_transition(struct vssd *sd, enum vssd_state to, const char *why)
{
	enum vssd_state	from = sd->state;
	uint64_t	t;

	if (from == VS_FROZEN && to != VS_FROZEN) {
		t = ev_now();
		if (thaw_everything(sd) == -1 && to != VS_STOPPED) {
			/* Stay frozen-tracked; the deadline retries. */
			ev_timer_set(&sd->ev, T_DEADLINE, ev_now() + EV_SEC(1),
			    on_deadline, sd);
			return;
		}
		ev_timer_clear(&sd->ev, T_DEADLINE);
		history_step_begin(&sd->hist, HS_THAW, t);
		history_step_end(&sd->hist, HS_THAW, ev_now());
		history_step_end(&sd->hist, HS_FROZEN, ev_now());
		history_fs(&sd->hist, &sd->frz);
		/* THAW closes it after its reply; the first close wins. */
		if (strcmp(why, "thaw") != 0)
			history_end(&sd->hist, HR_ABORTED, why);
		guard_disarm(sd);
		log_hold(0);
		log_info("event=thawed cycle=%u frozen_ms=%.1f why=\"%s\"",
		    sd->cycle, (ev_now() - sd->frz.frozen_at) / 1e6, why);
		frz_log(&sd->frz, "fs");
		if (sd->frz.nfrozen == 0)
			frz_release(&sd->frz);
		/* The applications resume after the filesystems (kick()). */
		sd->apps_due = QZ_THAW;
	}
	sd->state = to;
	log_debug("event=state from=%s to=%s why=\"%s\"",
	    vssd_state_name[from], vssd_state_name[to], why);

	switch (to) {
	case VS_FROZEN: {
		/* Ours comes first, before the guardian's (armed before the
		 * pre-sync, which may take seconds): never let the backstop
		 * thaw while we still answer THAW with success. */
		uint64_t when = ev_now() + EV_SEC(sd->conf.deadline_s);

		if (sd->guard_until != 0 &&
		    when > sd->guard_until - EV_SEC(GUARDIAN_GRACE_S))
			when = sd->guard_until - EV_SEC(GUARDIAN_GRACE_S);
		ev_timer_set(&sd->ev, T_DEADLINE, when, on_deadline, sd);
		break;
	}
	case VS_REGISTERING:
		if (sd->xp.fd != -1) {
			ev_io_del(&sd->ev, sd->xp.fd);
			xport_close(&sd->xp);
		}
		if (!sd->reopen_now && sd->resets > 0) {
			if (sd->resets > REOPEN_MAX) {
				log_warnx("event=device-gone device=%s resets=%u "
				    "action=exit", sd->xp.path, sd->resets);
				if (sd->exit == VSSD_EXIT_NONE)
					sd->exit = VSSD_EXIT_DEVICE;
				sd->stopping = 1;
				break;
			}
			ev_timer_set(&sd->ev, T_REOPEN, ev_now() +
			    EV_MS(REOPEN_BASE_MS << (sd->resets - 1)), on_reopen,
			    sd);
			sd->resets++;
			break;
		}
		sd->reopen_now = 0;
		if (sd->resets == 0)
			sd->resets = 1;
		if (xport_open(&sd->xp) == -1) {
			/* Finish what applications are owed, then stop. */
			if (sd->exit == VSSD_EXIT_NONE)
				sd->exit = VSSD_EXIT_DEVICE;
			sd->stopping = 1;
			break;
		}
		if (ev_io_add(&sd->ev, sd->xp.fd, POLLIN, on_device, sd) == -1) {
			if (sd->exit == VSSD_EXIT_NONE)
				sd->exit = VSSD_EXIT_OSERR;
			sd->stopping = 1;
			break;
		}
		if (sd->xp.registered) {	/* FreeBSD: open registers */
			sd->state = VS_IDLE;
			sd->resets = 0;
		}
		break;
	case VS_IDLE:
		if (from == VS_REGISTERING)
			sd->resets = 0;		/* a working channel again */
		break;
	case VS_STOPPED:
		if (sd->frz.nfrozen > 0)
			sd->exit = VSSD_EXIT_THAW;
		break;
	default:
		break;
	}
}

static void
on_device(void *arg, int fd, short revents)
{
	struct vssd		*sd = arg;
	struct xport_msg	 m;
	int			 r;

	(void)fd;
	if ((revents & (POLLERR | POLLHUP | POLLNVAL)) && !(revents & POLLIN)) {
		log_warnx("event=device-reset device=%s revents=0x%x",
		    sd->xp.path, (unsigned)revents);
		state_transition(sd, VS_REGISTERING, "device error");
		return;
	}
	r = xport_recv(&sd->xp, &m);
	if (r == -1) {
		state_transition(sd, VS_REGISTERING, "device error");
		return;
	}
	if (sd->state == VS_REGISTERING && sd->xp.registered)
		state_transition(sd, VS_IDLE, "registered");
	if (sd->state == VS_IDLE && !sd->ready)
		announce_ready(sd);
	if (r == 1)
		handle(sd, &m);
}

static void
on_ready_retry(void *arg)
{
	struct vssd	*sd = arg;

	if (!sd->ready && sd->state == VS_IDLE)
		announce_ready(sd);
}

/*
 * Registered: tell the service manager, once, after checking that the plan
 * can be built here (a broken mount table shows now, not at backup time).
 */
static void
announce_ready(struct vssd *sd)
{
	struct snapshot	s;

	if (snapshot_take(&sd->conf, &s) == -1) {
		/*
		 * Not ready while the mount table cannot be planned: the
		 * service manager sees the start fail (and restarts us)
		 * rather than a daemon that would fail every backup.
		 */
		log_warnx("event=not-ready reason=\"the mount table cannot be "
		    "planned\" retry_s=5");
		ev_timer_set(&sd->ev, T_READY, ev_now() + EV_SEC(5),
		    on_ready_retry, sd);
		return;
	}
	sd->ready = 1;
	ev_timer_clear(&sd->ev, T_READY);
	log_info("event=ready freeze=%zu sync_only=%zu mounts=%zu",
	    s.plan.norder, s.plan.nsync, s.plan.nitems);
	snapshot_free(&s);
	/* The hooks too: a refused hook shows now, with its reason. */
	quiesce_check(&sd->qz);
	if (sdnotify("READY=1") == -1)
		log_warn("event=sd-notify-failed");
}

static void
on_signal(void *arg, int fd, short revents)
{
	struct vssd	*sd = arg;
	int		 signo;

	(void)fd;
	(void)revents;
	if ((signo = sigsrc_read(&sd->sig)) <= 0)
		return;
	log_info("event=signal signo=%d action=%s", signo,
	    sd->state == VS_FROZEN ? "thaw-then-exit" : "exit");
	if (sd->exit == VSSD_EXIT_NONE)
		sd->exit = VSSD_EXIT_SIGNAL;
	(void)sdnotify("STOPPING=1");
	sd->stopping = 1;
	if (sd->busy && !sd->flushing && (sd->qz.phase == QZ_PREPARE ||
	    sd->qz.phase == QZ_FREEZE)) {
		/* Stop quiescing; whoever started freezing gets abort. */
		ev_timer_clear(&sd->ev, T_PHASE);
		quiesce_cancel(&sd->qz);
		sd->busy = 0;
		reply(sd, &sd->cur, 0);
		history_end(&sd->hist, HR_ABORTED, "signal");
		if (sd->state != VS_FROZEN)
			frz_release(&sd->frz);
	}
	/* kick() (from the loop) thaws, runs what is owed, then stops. */
}

/* ---- lifecycle --------------------------------------------------------- */

struct vssd *
vssd_new(const struct vssd_conf *c)
{
	struct hooks_config	 hc;
	struct vssd		*sd;

	if ((sd = calloc(1, sizeof(*sd))) == NULL)
		return NULL;
	sd->conf = *c;
	sigsrc_init(&sd->sig);
	sd->state = VS_STOPPED;
	ev_init(&sd->ev);
	frz_init(&sd->frz);
	control_init(&sd->ctl);
	history_init(&sd->hist);
	sd->frz.workers = FRZ_MAX_WORKERS;
	sd->apps_due = -1;
	hooks_config_init(&hc);
	hc.native_dir = c->hooks_dir;
	if (c->hooks_qga)
		hc.qga_dir = HOOKS_QGA_DIR;
	if (c->hooks_vmware) {
		hc.vmware_dir = HOOKS_VMWARE_DIR;
		hc.vmware_pre = HOOKS_VMWARE_PRE;
		hc.vmware_post = HOOKS_VMWARE_POST;
	}
	hc.policy = c->hooks_fail ? HOOKS_POLICY_FAIL : HOOKS_POLICY_CONTINUE;
	if (quiesce_init(&sd->qz, &sd->ev, &hc, c->hooks_dir != NULL ||
	    c->hooks_qga || c->hooks_vmware, EV_SEC(c->hooks_timeout_s)) == -1) {
		free(sd);
		return NULL;
	}
	sd->frz.note = on_note;
	sd->frz.note_arg = sd;
	rcx_init(&sd->rcx);
	frz_init(&sd->flush);
	sd->flush.workers = FRZ_MAX_WORKERS;
	sd->flush_fd[0] = sd->flush_fd[1] = -1;
	guardian_init(&sd->g);
	xport_init(&sd->xp, c->kind, c->device);
	return sd;
}

/*
 * The journal lives only on a memory filesystem: a write there can never
 * block on a frozen disk.  Anywhere else it is disabled, with a warning.
 */
static int
journal_usable(const char *path)
{
	char		dir[4096], *slash;
	struct statfs	sfs;

	if (path == NULL || strlen(path) >= sizeof(dir))
		return 0;
	strcpy(dir, path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	(void)mkdir(dir, 0700);
	if (statfs(dir, &sfs) == -1) {
		log_warn("event=journal-disabled path=%s", path);
		return 0;
	}
#ifdef __linux__
	if ((unsigned long)sfs.f_type != 0x01021994ul &&	/* TMPFS_MAGIC */
	    (unsigned long)sfs.f_type != 0x858458f6ul) {	/* RAMFS_MAGIC */
#else
	if (strcmp(sfs.f_fstypename, "tmpfs") != 0) {
#endif
		log_warnx("event=journal-disabled path=%s reason=\"not on a "
		    "tmpfs\"", path);
		return 0;
	}
	return 1;
}

/*
 * The RCU knob (rcuexp.h): first put back what a previous run left raised
 * (its marker sits next to the journal, on the same tmpfs), then open it
 * for our own freezes unless configured off.  Not fatal either way: the
 * freeze then pays its normal grace periods.
 */
static void
rcu_open(struct vssd *sd)
{
	char	knob[4096], marker[4096];
	int	have_marker;

	have_marker = sd->journal_ok && (size_t)snprintf(marker,
	    sizeof(marker), "%s" RCX_MARKER_SUFFIX, sd->conf.journal) <
	    sizeof(marker);
	if ((size_t)snprintf(knob, sizeof(knob), "%s%s", sd->conf.sysroot,
	    RCX_KNOB) >= sizeof(knob))
		return;
	if (have_marker && rcx_recover(knob, marker) == 1)
		log_warnx("event=recovered action=rcu-expedited-off "
		    "reason=\"a previous run died with it raised\"");
	if (!sd->conf.expedite_rcu)
		return;
	if (rcx_open(&sd->rcx, knob, have_marker ? marker : NULL) == -1) {
		log_debug("event=rcu-expedite-unavailable path=%s error=\"%s\"",
		    knob, strerror(errno));
		return;
	}
	sd->frz.rcx = &sd->rcx;
}

/* Signals arrive through the loop (sigsrc.h), then the channel opens. */
int
vssd_open(struct vssd *sd)
{
	static const int	sigs[] = { SIGTERM, SIGINT, SIGHUP };

	if (sigsrc_open(&sd->sig, sigs, sizeof(sigs) / sizeof(sigs[0])) == -1)
		return -1;
	if (ev_io_add(&sd->ev, sd->sig.fd, POLLIN, on_signal, sd) == -1)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	sd->journal_ok = journal_usable(sd->conf.journal);
	(void)quiesce_open_socket(&sd->qz, sd->conf.notify_path,
	    sd->conf.notify_fail, EV_SEC(sd->conf.notify_timeout_s));
	/* Not fatal: backups work without hvvssctl (it logs why). */
	(void)control_open(&sd->ctl, &sd->ev, CONTROL_PATH, &ctl_ops,
	    &sd->hist, sd);
	if (sd->journal_ok && access(sd->conf.journal, F_OK) == 0) {
		/*
		 * A previous run died inside a frozen window: whatever the
		 * host snapshots now may be torn, so the THAW that closes that
		 * window is answered with failure, as after our deadline.
		 */
		sd->expired = 1;
		if (journal_recover(sd->conf.journal) > 0)
			log_warnx("event=recovered action=thawed reason=\"filesystems "
			    "left frozen by a previous run\"");
		else
			log_warnx("event=recovered action=none reason=\"a previous "
			    "run died while frozen; nothing was still frozen\"");
	}
	rcu_open(sd);
	state_transition(sd, VS_REGISTERING, "start");
	return sd->state == VS_STOPPED ? -1 : 0;
}

int
vssd_run(struct vssd *sd)
{
	/*
	 * Keep every page resident: a page fault that needed I/O from a
	 * frozen filesystem would hang the thaw path.
	 */
	if (mlockall(MCL_CURRENT | MCL_FUTURE) == -1)
		log_warn("event=mlockall-failed");
	log_info("event=start transport=%s device=%s deadline_s=%u "
	    "signals=%s", xport_kind_name(sd->xp.kind), sd->xp.path,
	    sd->conf.deadline_s, sigsrc_kind_name((int)sd->sig.kind));
	if (sd->state == VS_IDLE && !sd->ready)	/* FreeBSD: open registers */
		announce_ready(sd);
	while (sd->state != VS_STOPPED) {
		if (ev_run_once(&sd->ev) == -1) {
			log_warn("event=poll-failed");
			if (sd->exit == VSSD_EXIT_NONE)
				sd->exit = VSSD_EXIT_OSERR;
			sd->stopping = 1;
		}
		kick(sd);
	}
	if (sd->frz.nfrozen > 0) {
		/* Last resort: never leave while anything is frozen. */
		(void)frz_thaw(&sd->frz);
		if (sd->frz.nfrozen > 0)
			sd->exit = VSSD_EXIT_THAW;
	}
	log_hold(0);
	return (int)sd->exit;
}

void
vssd_daemonized(struct vssd *sd)
{
	sigsrc_adopt(&sd->sig);
}

void
vssd_free(struct vssd *sd)
{
	if (sd == NULL)
		return;
	if (sd->flushing)	/* syncfs cannot be interrupted: wait */
		flush_end(sd);
	control_close(&sd->ctl);
	xport_close(&sd->xp);
	sigsrc_close(&sd->sig);
	frz_release(&sd->frz);
	rcx_close(&sd->rcx);
	quiesce_free(&sd->qz);
	clear_mounts(sd);
	free(sd);
}
