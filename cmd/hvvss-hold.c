/*
 * hvvss-hold: keep a command running exactly for hv_vss_daemon's frozen
 * window (hvvss-hold(8)), through the application notification socket.
 *
 *	hvvss-hold -n pg -- /usr/bin/flock /var/lib/app/.lock /bin/sleep infinity
 *
 * registers as "pg"; on freeze starts the command in its own process
 * group and acknowledges once it has been executed (with -r: once it
 * printed a line); on thaw or abort stops the whole group, SIGTERM then
 * SIGKILL after a grace, and acknowledges once it is gone.  -f and -t run
 * a command to completion at freeze and at thaw/abort, for simple cases.
 *
 * One poll loop: the daemon's socket, a signalfd (SIGCHLD, SIGTERM, SIGINT,
 * SIGHUP), the exec-report pipe and, with -r, the command's stdout.  We
 * are a child subreaper, so whatever the command forks is reaped here and
 * its process group can be watched until it is really empty.
 *
 * What we print goes to stderr; keep stderr off the filesystems being
 * frozen, or a message written while frozen would stall us until thaw.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "hvvss_client.h"
#include "hvvss_err.h"
#include "hvvss_notify.h"

#define MS		1000000ull
#define LOST_NS		(5000ull * MS)	/* after SIGKILL: give up waiting */
#define TICK_MS		50		/* group-empty polling while stopping */
#define RETRY_MAX_NS	(30000ull * MS)	/* reconnect backoff cap */
#define OPEN_WAIT_MS	5000

struct proc {
	const char	*what;		/* "hold", "freeze", "thaw" for logs */
	pid_t		 pid;		/* leader, -1 when none */
	int		 errfd;		/* exec report, -1 */
	int		 outfd;		/* stdout with -r, -1 */
	int		 started;	/* exec succeeded */
	int		 ready;		/* -r: a line was printed */
	int		 exited;	/* leader reaped */
	int		 status;	/* its wait status */
	int		 stopping;	/* 0, 1 TERM sent, 2 KILL sent */
	uint64_t	 stop_at;	/* next escalation */
};

/* The event being worked on, its steps below. */
enum step {
	S_START, S_PRE_WAIT, S_HOLD_START, S_HOLD_WAIT, S_HOLD_STOP,
	S_POST_WAIT, S_DONE
};

struct job {
	int		 active;
	int		 local;		/* synthesized: no ack to send */
	struct hvvss_client_event ev;
	enum step	 step;
	int		 ok;
};

static struct {
	const char	*name;
	const char	*path;
	const char	*freeze_cmd;
	const char	*thaw_cmd;
	char *const	*hold_argv;
	uint64_t	 grace_ns;
	int		 ready;
	int		 exit_on_loss;
	int		 verbose;
} opt = { NULL, NULL, NULL, NULL, NULL, 5000ull * MS, 0, 0, 0 };

static struct hvvss_client *cl;
static struct proc	 held = { "hold", -1, -1, -1, 0, 0, 0, 0, 0, 0 };
static struct proc	 cmd = { "cmd", -1, -1, -1, 0, 0, 0, 0, 0, 0 };
static struct job	 job, pending;
static int		 frozen;	/* got freeze, not yet thaw/abort */
static int		 held_died;	/* the hold ended before thaw */
static int		 quitting;
static uint64_t		 retry_at, retry_ns = 1000ull * MS;
static sigset_t		 oldmask;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: hvvss-hold [-rvx] [-f freeze_cmd] [-g grace] "
	    "[-n name] [-s socket]\n"
	    "                  [-t thaw_cmd] [-- command [argument ...]]\n");
	exit(EX_USAGE);
}

static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "hvvss-hold: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- processes -------------------------------------------------------- */

static void
proc_reset(struct proc *p)
{
	if (p->errfd != -1)
		close(p->errfd);
	if (p->outfd != -1)
		close(p->outfd);
	p->pid = -1;
	p->errfd = p->outfd = -1;
	p->started = p->ready = p->exited = p->status = 0;
	p->stopping = 0;
	p->stop_at = 0;
}

/* The leader is reaped and nothing is left in its process group. */
static int
proc_gone(const struct proc *p)
{
	if (p->pid == -1)
		return 1;
	if (!p->exited)
		return 0;
	return kill(-p->pid, 0) == -1 && errno == ESRCH;
}

/*
 * fork + execv in a new process group: no shell, no PATH search, stdin
 * /dev/null, our signal mask undone.  An exec failure comes back as the
 * errno on a close-on-exec pipe, whose EOF alone means "started".
 */
static int
proc_spawn(struct proc *p, const char *what, char *const argv[],
    const struct hvvss_client_event *ev, int want_stdout)
{
	int	ep[2] = { -1, -1 }, op[2] = { -1, -1 }, fd, e;
	char	buf[32];
	pid_t	pid;

	proc_reset(p);
	p->what = what;
	if (pipe2(ep, O_CLOEXEC) == -1 ||
	    (want_stdout && pipe2(op, O_CLOEXEC) == -1)) {
		e = errno;
		goto fail;
	}
	if ((pid = fork()) == -1) {
		e = errno;
		goto fail;
	}
	if (pid == 0) {
		(void)setpgid(0, 0);
		(void)sigprocmask(SIG_SETMASK, &oldmask, NULL);
		if ((fd = open("/dev/null", O_RDONLY)) != -1 && fd != 0) {
			(void)dup2(fd, 0);
			(void)close(fd);
		}
		if (want_stdout)
			(void)dup2(op[1], 1);
		if (ev != NULL) {
			(void)setenv("HVVSS_PHASE",
			    hvvss_client_phase_name(ev->phase), 1);
			(void)snprintf(buf, sizeof(buf), "%u", ev->cycle);
			(void)setenv("HVVSS_CYCLE", buf, 1);
			(void)snprintf(buf, sizeof(buf), "%u", ev->timeout_ms);
			(void)setenv("HVVSS_TIMEOUT_MS", buf, 1);
		}
		execv(argv[0], argv);
		e = errno;
		(void)!write(ep[1], &e, sizeof(e));
		_exit(127);
	}
	/* Both sides set the group, so kill(-pid) works at once. */
	(void)setpgid(pid, pid);
	close(ep[1]);
	p->pid = pid;
	p->errfd = ep[0];
	(void)fcntl(p->errfd, F_SETFL, O_NONBLOCK);
	if (want_stdout) {
		close(op[1]);
		p->outfd = op[0];
		(void)fcntl(p->outfd, F_SETFL, O_NONBLOCK);
	}
	if (opt.verbose)
		say("%s: started %s pid=%ld", what, argv[0], (long)pid);
	return 0;
fail:
	for (fd = 0; fd < 2; fd++) {
		if (ep[fd] != -1)
			close(ep[fd]);
		if (op[fd] != -1)
			close(op[fd]);
	}
	say("%s: cannot start %s: %s", what, argv[0], strerror(e));
	return -1;
}

/* SIGTERM the group now, SIGKILL after the grace (proc_tick). */
static void
proc_stop(struct proc *p)
{
	if (p->pid == -1 || p->stopping)
		return;
	p->stopping = 1;
	p->stop_at = now_ns() + opt.grace_ns;
	(void)kill(-p->pid, SIGTERM);
}

static void
proc_tick(struct proc *p, uint64_t now)
{
	if (p->pid == -1 || !p->stopping || now < p->stop_at)
		return;
	if (p->stopping == 1) {
		say("%s: pid %ld ignored SIGTERM for the grace; SIGKILL",
		    p->what, (long)p->pid);
		(void)kill(-p->pid, SIGKILL);
		p->stopping = 2;
		p->stop_at = now + LOST_NS;
	} else if (!proc_gone(p)) {
		/* Stuck in the kernel: nothing more we can do; go on. */
		say("%s: process group %ld does not die; abandoned", p->what,
		    (long)p->pid);
		proc_reset(p);
	}
}

static void
reap(void)
{
	pid_t	pid;
	int	st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct proc *p = pid == held.pid ? &held :
		    pid == cmd.pid ? &cmd : NULL;

		if (p == NULL || p->exited)
			continue;
		p->exited = 1;
		p->status = st;
		if (opt.verbose || (p == &held && !p->stopping))
			say("%s: pid %ld %s %d", p->what, (long)pid,
			    WIFEXITED(st) ? "exited" : "killed by signal",
			    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		if (p == &held && !p->stopping && frozen)
			held_died = 1;
	}
}

/* Read the exec report: EOF means execv succeeded. */
static void
proc_errfd(struct proc *p)
{
	int	e;
	ssize_t	r;

	r = read(p->errfd, &e, sizeof(e));
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == (ssize_t)sizeof(e))
		say("%s: cannot execute: %s", p->what, strerror(e));
	else if (r == 0)
		p->started = 1;
	close(p->errfd);
	p->errfd = -1;
}

/* -r: the first newline means ready; later output is read and dropped. */
static void
proc_outfd(struct proc *p)
{
	char	buf[512];
	ssize_t	r;

	r = read(p->outfd, buf, sizeof(buf));
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		close(p->outfd);
		p->outfd = -1;
		return;
	}
	if (memchr(buf, '\n', (size_t)r) != NULL)
		p->ready = 1;
}

static int
proc_ready(const struct proc *p)
{
	if (!p->started || p->exited)
		return 0;
	return !opt.ready || p->ready;
}

static int
exit_ok(const struct proc *p)
{
	return p->exited && WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0;
}

/* ---- jobs ------------------------------------------------------------- */

static void
job_ack(void)
{
	if (opt.verbose)
		say("%s cycle=%u: %s", hvvss_client_phase_name(job.ev.phase),
		    job.ev.cycle, job.ok ? "ok" : "fail");
	if (!job.local && cl != NULL &&
	    hvvss_client_ack(cl, &job.ev, job.ok) == -1)
		say("ack %s: %s", hvvss_client_phase_name(job.ev.phase),
		    strerror(errno));
	job.active = 0;
}

/* The step may not wait any more: deadline passed or superseded. */
static int
job_late(uint64_t now)
{
	return pending.active || now >= job.ev.deadline_ns;
}

/*
 * Run the current job as far as it goes without waiting.  Freeze: -f to
 * completion, then start the hold.  Thaw/abort: stop the hold (whatever
 * the deadline: it must not outlive the window), then -t.  Prepare: ack.
 */
static void
job_run(void)
{
	char	*av[3];
	uint64_t now = now_ns();
	int	 freeze = job.ev.phase == HVVSS_NOTIFY_FREEZE, was_frozen;

	for (;;) {
		switch (job.step) {
		case S_START:
			if (job.ev.phase == HVVSS_NOTIFY_PREPARE) {
				job.step = S_DONE;
				break;
			}
			if (freeze) {
				frozen = 1;
				held_died = 0;
			}
			if (!freeze) {
				job.step = S_HOLD_STOP;
				proc_stop(&held);
				break;
			}
			job.step = S_HOLD_START;
			if (opt.freeze_cmd == NULL)
				break;
			av[0] = (char *)(uintptr_t)opt.freeze_cmd;
			av[1] = (char *)(uintptr_t)"freeze";
			av[2] = NULL;
			if (proc_spawn(&cmd, "freeze", av, &job.ev, 0) == -1) {
				job.ok = 0;
				job.step = S_DONE;
				break;
			}
			job.step = S_PRE_WAIT;
			break;
		case S_PRE_WAIT:
		case S_POST_WAIT:
			if (!cmd.exited) {
				if (!job_late(now))
					return;
				if (!cmd.stopping)
					say("%s: deadline passed; stopping it",
					    cmd.what);
				proc_stop(&cmd);
				job.ok = 0;
				return;
			}
			if (!exit_ok(&cmd))
				job.ok = 0;
			proc_reset(&cmd);
			if (job.step == S_POST_WAIT || !job.ok)
				job.step = S_DONE;
			else
				job.step = S_HOLD_START;
			break;
		case S_HOLD_START:
			if (opt.hold_argv == NULL || held.pid != -1) {
				job.step = S_DONE;
				break;
			}
			if (proc_spawn(&held, "hold", opt.hold_argv, NULL,
			    opt.ready) == -1) {
				job.ok = 0;
				job.step = S_DONE;
				break;
			}
			job.step = S_HOLD_WAIT;
			break;
		case S_HOLD_WAIT:
			if (proc_ready(&held)) {
				job.step = S_DONE;
				break;
			}
			if (held.exited || (held.errfd == -1 && !held.started)) {
				job.ok = 0;	/* could not exec, or died */
				proc_stop(&held);
				job.step = S_DONE;
				break;
			}
			if (!job_late(now))
				return;
			say("hold: not %s before the deadline; stopping it",
			    opt.ready ? "ready" : "started");
			proc_stop(&held);
			job.ok = 0;
			job.step = S_DONE;
			break;
		case S_HOLD_STOP:
			/* Also a superseded -f, before cmd is reused. */
			proc_stop(&cmd);
			if (!proc_gone(&held) || !proc_gone(&cmd))
				return;
			if (held.pid != -1)
				proc_reset(&held);
			if (cmd.pid != -1)
				proc_reset(&cmd);
			if (held_died)
				job.ok = 0;
			was_frozen = frozen;
			frozen = 0;
			held_died = 0;
			job.step = S_DONE;
			/* -t pairs with a freeze, not with a bare prepare. */
			if (opt.thaw_cmd == NULL || !was_frozen)
				break;
			av[0] = (char *)(uintptr_t)opt.thaw_cmd;
			av[1] = (char *)(uintptr_t)hvvss_client_phase_name(
			    job.ev.phase);
			av[2] = NULL;
			if (proc_spawn(&cmd, "thaw", av, &job.ev, 0) == -1)
				job.ok = 0;
			else
				job.step = S_POST_WAIT;
			break;
		case S_DONE:
			job_ack();
			return;
		}
	}
}

/* Start the pending job if the current one is over. */
static void
jobs_run(void)
{
	for (;;) {
		if (job.active) {
			job_run();
			if (job.active)
				return;
		}
		if (!pending.active)
			return;
		job = pending;
		pending.active = 0;
		job.step = S_START;
		job.ok = 1;
	}
}

static void
job_queue(const struct hvvss_client_event *ev, int local)
{
	/* A newer event supersedes one that has not started. */
	memset(&pending, 0, sizeof(pending));
	pending.active = 1;
	pending.local = local;
	pending.ev = *ev;
}

/* ---- the daemon ------------------------------------------------------- */

/*
 * Daemon gone, or we are told to quit: undo as on abort (the daemon's
 * guardian thaws the filesystems), with nobody to acknowledge to.
 */
static void
lost(const char *why)
{
	struct hvvss_client_event ev;

	if (why != NULL)
		say("daemon connection lost: %s", why);
	pending.active = 0;
	hvvss_client_close(cl);
	cl = NULL;
	if (job.active)
		job.local = 1;		/* nobody to ack to */
	if (frozen || held.pid != -1) {
		memset(&ev, 0, sizeof(ev));
		ev.phase = HVVSS_NOTIFY_ABORT;
		ev.deadline_ns = now_ns() + opt.grace_ns + LOST_NS;
		job_queue(&ev, 1);
	}
	retry_at = now_ns() + retry_ns;
}

static int
connect_daemon(int wait_ms)
{
	if (hvvss_client_open(&cl, opt.path, opt.name, wait_ms) == 0) {
		if (opt.verbose || retry_ns > 1000ull * MS)
			say("connected as %s", opt.name);
		retry_ns = 1000ull * MS;
		return 0;
	}
	cl = NULL;
	return -1;
}

static void
on_daemon(void)
{
	struct hvvss_client_event ev;
	int	r;

	while (cl != NULL && (r = hvvss_client_read(cl, &ev)) != 0) {
		if (r == -1) {
			lost(strerror(errno));
			return;
		}
		if (opt.verbose)
			say("event %s cycle=%u timeout_ms=%u",
			    hvvss_client_phase_name(ev.phase), ev.cycle,
			    ev.timeout_ms);
		job_queue(&ev, 0);
	}
}

static int
exit_code(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return EX_NOPERM;
	case EPROTO:
		return EX_PROTOCOL;
	default:
		return EX_UNAVAILABLE;
	}
}

static uint64_t
parse_grace(const char *s)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v > 3600)
		usage();
	return (uint64_t)v * 1000ull * MS;
}

static const char *
default_name(void)
{
	static char	 buf[HVVSS_NOTIFY_NAME_MAX + 1];
	const char	*src, *b;

	src = opt.hold_argv != NULL ? opt.hold_argv[0] :
	    opt.freeze_cmd != NULL ? opt.freeze_cmd : opt.thaw_cmd;
	b = strrchr(src, '/');
	b = b != NULL ? b + 1 : src;
	(void)snprintf(buf, sizeof(buf), "%s", b);
	if (hvvss_notify_name_check(buf) != HVVSS_OK)
		return "hvvss-hold";
	return buf;
}

int
main(int argc, char *argv[])
{
	struct signalfd_siginfo	si;
	struct pollfd		pfd[4];
	sigset_t		mask;
	uint64_t		now, next;
	int			ch, sfd, np, timeout, i;
	int			slot_cl, slot_err, slot_out;

	while ((ch = getopt(argc, argv, "+f:g:n:rs:t:vx")) != -1) {
		switch (ch) {
		case 'f':
			opt.freeze_cmd = optarg;
			break;
		case 'g':
			opt.grace_ns = parse_grace(optarg);
			break;
		case 'n':
			opt.name = optarg;
			break;
		case 'r':
			opt.ready = 1;
			break;
		case 's':
			opt.path = optarg;
			break;
		case 't':
			opt.thaw_cmd = optarg;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'x':
			opt.exit_on_loss = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		opt.hold_argv = argv;
	if (opt.hold_argv == NULL && opt.freeze_cmd == NULL &&
	    opt.thaw_cmd == NULL)
		usage();
	if (opt.ready && opt.hold_argv == NULL)
		usage();
	/* Explicit paths only: no PATH search, no shell. */
	if ((opt.hold_argv != NULL && strchr(opt.hold_argv[0], '/') == NULL) ||
	    (opt.freeze_cmd != NULL && strchr(opt.freeze_cmd, '/') == NULL) ||
	    (opt.thaw_cmd != NULL && strchr(opt.thaw_cmd, '/') == NULL)) {
		say("commands need a path containing '/'");
		usage();
	}
	if (opt.name == NULL)
		opt.name = default_name();
	if (hvvss_notify_name_check(opt.name) != HVVSS_OK) {
		say("invalid name: 1 to %d of A-Z a-z 0-9 . _ @ : + -",
		    HVVSS_NOTIFY_NAME_MAX);
		usage();
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &oldmask) == -1 ||
	    (sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		say("signalfd: %s", strerror(errno));
		return EX_OSERR;
	}
	/* Orphans of the command come to us, so its group can be emptied. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
		say("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));

	if (connect_daemon(OPEN_WAIT_MS) == -1) {
		int e = errno;

		say("cannot register with %s as %s: %s",
		    opt.path != NULL ? opt.path : HVVSS_CLIENT_PATH, opt.name,
		    strerror(e));
		if (opt.exit_on_loss || e == EACCES || e == EPERM ||
		    e == EEXIST || e == EPROTO || e == EINVAL ||
		    e == ENAMETOOLONG)
			return exit_code(e);
		retry_at = now_ns() + retry_ns;
	}

	for (;;) {
		now = now_ns();
		proc_tick(&held, now);
		proc_tick(&cmd, now);
		jobs_run();
		if (!job.active && !pending.active && proc_gone(&held) &&
		    proc_gone(&cmd)) {
			if (quitting)
				break;
			if (cl == NULL && opt.exit_on_loss)
				return EX_UNAVAILABLE;
		}
		if (cl == NULL && !quitting && !opt.exit_on_loss &&
		    now >= retry_at) {
			if (connect_daemon(0) == -1) {
				retry_ns = retry_ns * 2 > RETRY_MAX_NS ?
				    RETRY_MAX_NS : retry_ns * 2;
				retry_at = now + retry_ns;
			}
		}

		np = 0;
		slot_cl = slot_err = slot_out = -1;
		pfd[np].fd = sfd;
		pfd[np++].events = POLLIN;
		if (cl != NULL) {
			slot_cl = np;
			pfd[np].fd = hvvss_client_fd(cl);
			pfd[np++].events = POLLIN;
		}
		if (held.errfd != -1 || cmd.errfd != -1) {
			slot_err = np;
			pfd[np].fd = held.errfd != -1 ? held.errfd : cmd.errfd;
			pfd[np++].events = POLLIN;
		}
		if (held.outfd != -1) {
			slot_out = np;
			pfd[np].fd = held.outfd;
			pfd[np++].events = POLLIN;
		}
		for (i = 0; i < np; i++)
			pfd[i].revents = 0;

		next = UINT64_MAX;
		if (job.active && job.ev.deadline_ns < next)
			next = job.ev.deadline_ns;
		if (held.stopping || cmd.stopping)
			next = now + TICK_MS * MS < next ? now + TICK_MS * MS :
			    next;
		if (cl == NULL && !opt.exit_on_loss && retry_at < next)
			next = retry_at;
		if (next == UINT64_MAX)
			timeout = -1;
		else if (next <= now)
			timeout = 0;
		else if ((next - now) / MS >= INT_MAX)
			timeout = INT_MAX;
		else
			timeout = (int)((next - now + MS - 1) / MS);

		if (poll(pfd, (nfds_t)np, timeout) == -1 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			return EX_OSERR;
		}
		if (pfd[0].revents) {
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					continue;
				if (quitting)
					continue;
				if (opt.verbose)
					say("signal %u: stopping", si.ssi_signo);
				quitting = 1;
				lost(NULL);
			}
			reap();
		}
		if (slot_err != -1 && pfd[slot_err].revents)
			proc_errfd(held.errfd == pfd[slot_err].fd ? &held : &cmd);
		if (slot_out != -1 && pfd[slot_out].revents)
			proc_outfd(&held);
		if (slot_cl != -1 && pfd[slot_cl].revents && cl != NULL)
			on_daemon();
	}
	hvvss_client_close(cl);
	return EX_OK;
}
