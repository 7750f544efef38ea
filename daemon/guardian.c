/*
 * guardian.c: fork a thaw-only process per frozen window.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#ifdef __linux__
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

static _Noreturn void
g_main(const struct frz *f, unsigned char *st, int pipefd, uint64_t deadline)
{
	unsigned char	msg[GUARDIAN_MSG_LEN * 64];
	size_t		have = 0;
	struct rlimit	rl;
	sigset_t	ss;
	int		fd, sigfd = -1, maxfd = 1024, rcu_raised = 0;

	prctl(PR_SET_NAME, "hvvss-guardian", 0, 0, 0);
	(void)mlockall(MCL_CURRENT | MCL_FUTURE);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536)
		maxfd = (int)rl.rlim_cur;
	/* Hold nothing of the daemon's but the filesystems: above all not
	 * the device, whose release tells the kernel the daemon is gone. */
	for (fd = 0; fd < maxfd; fd++)
		if (!g_keep(f, fd, pipefd))
			(void)close(fd);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	(void)sigprocmask(SIG_BLOCK, &ss, NULL);
	sigfd = signalfd(-1, &ss, 0);
	for (;;) {
		struct pollfd	pfd[2];
		struct timespec	now;
		uint64_t	t;
		ssize_t		n;
		size_t		off;
		int		timeout;

		clock_gettime(CLOCK_MONOTONIC, &now);
		t = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
		if (t >= deadline)
			break;
		timeout = (int)((deadline - t + 999999) / 1000000);
		pfd[0].fd = pipefd;
		pfd[0].events = POLLIN;
		pfd[1].fd = sigfd;
		pfd[1].events = POLLIN;
		if (poll(pfd, sigfd == -1 ? 1 : 2, timeout) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (sigfd != -1 && pfd[1].revents)
			break;
		if (pfd[0].revents == 0)
			continue;
		n = read(pipefd, msg + have, sizeof(msg) - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* the daemon is gone: thaw */
		have += (size_t)n;
		for (off = 0; off + GUARDIAN_MSG_LEN <= have;
		    off += GUARDIAN_MSG_LEN) {
			uint32_t idx;

			memcpy(&idx, msg + off + 1, sizeof(idx));
			switch (msg[off]) {
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
				rcu_raised = 1;
				break;
			case GN_RCU_BACK:
				rcu_raised = 0;
				break;
			case GN_DISARM:
				_exit(0);
			case GN_THAW_ALL:
			default:
				g_thaw(f, st, rcu_raised);
				_exit(0);
			}
		}
		memmove(msg, msg + off, have - off);
		have -= off;
	}
	g_thaw(f, st, rcu_raised);
	_exit(1);
}

int
guardian_arm(struct guardian *g, const struct frz *f, uint64_t deadline)
{
	unsigned char	*st;
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
	if ((pid = fork()) == -1) {
		free(st);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		g_main(f, st, p[0], deadline);
	}
	free(st);
	close(p[0]);
	g->pid = pid;
	g->fd = p[1];
	/* Writes must never block the daemon: the pipe holds thousands of
	 * notes, and a dead guardian must not stall a freeze. */
	(void)fcntl(g->fd, F_SETFL, O_NONBLOCK);
	g->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
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
	struct pollfd	pfd;

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
	}
	if (guardian_reap(g) == -1 && g->pid != -1) {
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
