/*
 * guardian.c: fork a thaw-only process per frozen window.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <linux/fs.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "freeze.h"
#include "guardian.h"
#include "log.h"
#include "rcuexp.h"
#include "sigsrc.h"

#define GUARDIAN_MSG_LEN	5	/* note byte + u32 index, host order */

/* Per-filesystem state in the child: 0 unknown, 1 announced, 2 retracted. */
enum { G_NONE = 0, G_ANNOUNCED = 1, G_DONE = 2 };

void
guardian_init(struct guardian *g)
{
	g->pid = -1;
	g->fd = -1;
	g->pidfd = -1;
}

static void
g_thaw(const struct frz *f, const unsigned char *st, int rcu_raised)
{
	size_t	i = f->n;

	/* Reverse of the freeze order, as the daemon would. */
	while (i-- > 0) {
		if (st[i] != G_ANNOUNCED || f->v[i].fd == -1)
			continue;
#ifdef __linux__
		(void)ioctl(f->v[i].fd, FITHAW, 0);
#endif
		/* FreeBSD needs nothing: the daemon's ufssuspend opens close
		 * when it dies, which resumes (protocol.md 7.3). */
	}
	/* Thawed first: the knob only costs time, a freeze costs data. */
	if (rcu_raised && f->rcx != NULL)
		rcx_put_back(f->rcx->fd);
}

static int
g_keep(const struct frz *f, int fd, int pipefd)
{
	size_t	i;

	if (fd == pipefd || (f->rcx != NULL && fd == f->rcx->fd))
		return 1;
	for (i = 0; i < f->n; i++)
		if (f->v[i].fd == fd)
			return 1;
	return 0;
}

/* The notes not yet applied, and what they said of the RCU knob. */
struct g_reader {
	unsigned char	msg[GUARDIAN_MSG_LEN * 64];
	size_t		have;
	int		rcu_raised;
};

enum { G_MORE, G_GONE };

/*
 * Read and apply every note the pipe holds now (it is non-blocking).
 * G_GONE when the daemon's end is closed (or broken); a disarm or a
 * thaw-all ends the guardian here.
 */
static int
g_read(const struct frz *f, unsigned char *st, int pipefd,
    struct g_reader *rd)
{
	ssize_t	n;
	size_t	off;

	for (;;) {
		n = read(pipefd, rd->msg + rd->have, sizeof(rd->msg) - rd->have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return G_MORE;
		if (n <= 0)
			return G_GONE;
		rd->have += (size_t)n;
		for (off = 0; off + GUARDIAN_MSG_LEN <= rd->have;
		    off += GUARDIAN_MSG_LEN) {
			uint32_t idx;

			memcpy(&idx, rd->msg + off + 1, sizeof(idx));
			switch (rd->msg[off]) {
			case GN_ABOUT:
				if (idx < f->n)
					st[idx] = G_ANNOUNCED;
				break;
			case GN_NOT_OURS:
			case GN_THAWED:
				if (idx < f->n)
					st[idx] = G_DONE;
				break;
			case GN_RCU_RAISED:
				rd->rcu_raised = 1;
				break;
			case GN_RCU_BACK:
				rd->rcu_raised = 0;
				break;
			case GN_DISARM:
				_exit(0);
			case GN_THAW_ALL:
			default:
				g_thaw(f, st, rd->rcu_raised);
				_exit(0);
			}
		}
		memmove(rd->msg, rd->msg + off, rd->have - off);
		rd->have -= off;
	}
}

static _Noreturn void
g_main(const struct frz *f, unsigned char *st, int pipefd, uint64_t deadline)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct g_reader	rd;
	struct rlimit	rl;
	struct sigsrc	sig;
	sigset_t	ss;
	int		fd, maxfd = 1024;

#ifdef __linux__
	prctl(PR_SET_NAME, "hvvss-guardian", 0, 0, 0);
#endif
	/* The daemon's signal source is not ours: hold them off until our
	 * own is open (sigsrc.h), so that none is lost or misdelivered. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	(void)sigprocmask(SIG_BLOCK, &ss, NULL);
	(void)mlockall(MCL_CURRENT | MCL_FUTURE);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536)
		maxfd = (int)rl.rlim_cur;
	/* Hold nothing of the daemon's but the filesystems: above all not
	 * the device, whose release tells the kernel the daemon is gone. */
	for (fd = 0; fd < maxfd; fd++)
		if (!g_keep(f, fd, pipefd))
			(void)close(fd);
	sigsrc_init(&sig);
	(void)sigsrc_open(&sig, sigs, sizeof(sigs) / sizeof(sigs[0]));
	memset(&rd, 0, sizeof(rd));
	/*
	 * Every way out (signal, deadline, the daemon's death) first reads
	 * what the daemon already wrote: an announcement still in the pipe
	 * when a signal arrives is as binding as one already read.
	 */
	(void)fcntl(pipefd, F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd	pfd[2];
		struct timespec	now;
		uint64_t	t;
		int		timeout, stop = 0;

		clock_gettime(CLOCK_MONOTONIC, &now);
		t = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
		if (t >= deadline)
			break;
		timeout = (int)((deadline - t + 999999) / 1000000);
		pfd[0].fd = pipefd;
		pfd[0].events = POLLIN;
		pfd[1].fd = sig.fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, sig.fd == -1 ? 1 : 2, timeout) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (sig.fd != -1 && pfd[1].revents && sigsrc_read(&sig) > 0)
			stop = 1;
		if ((pfd[0].revents || stop) &&
		    g_read(f, st, pipefd, &rd) == G_GONE)
			break;		/* the daemon is gone: thaw */
		if (stop)
			break;
	}
	(void)g_read(f, st, pipefd, &rd);
	g_thaw(f, st, rd.rcu_raised);
	_exit(1);
}

int
guardian_arm(struct guardian *g, const struct frz *f, uint64_t deadline)
{
	unsigned char	*st;
	sigset_t	 ss, old;
	int		 p[2];
	pid_t		 pid;

	guardian_init(g);
	/* The child's only memory: allocated here, before arming. */
	if ((st = calloc(f->n + 1, 1)) == NULL)
		return -1;
	if (pipe2(p, O_CLOEXEC) == -1) {
		free(st);
		return -1;
	}
	/* The child starts with the daemon's signals held, so that one
	 * sent to it before it has its own source stays pending for it. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	(void)sigprocmask(SIG_BLOCK, &ss, &old);
	if ((pid = fork()) == -1) {
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		free(st);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		g_main(f, st, p[0], deadline);
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	free(st);
	close(p[0]);
	g->pid = pid;
	g->fd = p[1];
	/* Writes must never block the daemon: the pipe holds thousands of
	 * notes, and a dead guardian must not stall a freeze. */
	(void)fcntl(g->fd, F_SETFL, O_NONBLOCK);
	/* Without a pidfd (FreeBSD, Linux < 5.3) the daemon polls
	 * guardian_reap() instead. */
#ifdef SYS_pidfd_open
	g->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	return 0;
}

void
guardian_note(struct guardian *g, enum guardian_note note, size_t idx)
{
	unsigned char	msg[GUARDIAN_MSG_LEN];
	uint32_t	i = (uint32_t)idx;

	if (g->fd == -1)
		return;
	msg[0] = (unsigned char)note;
	memcpy(msg + 1, &i, sizeof(i));
	if (write(g->fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		log_warn("event=guardian-note-failed note=%c index=%zu",
		    (char)note, idx);
}

/*
 * Tell it, close the pipe, and collect it: it exits at once on DISARM, so
 * the wait is bounded by a 200 ms poll on its pidfd; a guardian that does
 * not go is killed (disarmed, it has nothing left to do).
 */
void
guardian_stop(struct guardian *g, enum guardian_note how)
{
	static const struct timespec tick = { 0, 5000000 };
	struct pollfd	pfd;
	int		i;

	if (g->fd != -1) {
		guardian_note(g, how, 0);
		close(g->fd);
		g->fd = -1;
	}
	if (g->pid == -1)
		return;
	if (g->pidfd != -1) {
		pfd.fd = g->pidfd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 200);
	} else {
		/* The same 200 ms, in 5 ms steps. */
		for (i = 0; i < 40 && guardian_reap(g) == -1 && g->pid != -1;
		    i++)
			(void)nanosleep(&tick, NULL);
	}
	if (g->pid != -1 && guardian_reap(g) == -1 && g->pid != -1) {
		(void)kill(g->pid, SIGKILL);
		(void)waitpid(g->pid, NULL, 0);
		g->pid = -1;
		if (g->pidfd != -1)
			close(g->pidfd);
		g->pidfd = -1;
	}
}

int
guardian_reap(struct guardian *g)
{
	int	status;

	if (g->pid == -1)
		return -1;
	if (waitpid(g->pid, &status, WNOHANG) != g->pid)
		return -1;
	g->pid = -1;
	if (g->pidfd != -1)
		close(g->pidfd);
	g->pidfd = -1;
	return status;
}
