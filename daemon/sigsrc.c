/*
 * sigsrc.c: signalfd(2), or the self-pipe trick where there is none.
 */
#include <sys/types.h>
#ifdef __linux__
#include <sys/signalfd.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sigsrc.h"

static const char *const kind_names[] = { "none", "signalfd", "self-pipe" };

const char *
sigsrc_kind_name(int k)
{
	if (k < 0 || k > SIGSRC_PIPE)
		return "unknown";
	return kind_names[k];
}

/*
 * The handler's only state: where to write (-1: nowhere), and for whom.
 * A forked child (a hook, the guardian) inherits the handler and the
 * pipe until it sets up its own signals; a signal it receives meanwhile
 * must not look like the daemon's, so only the owner writes.
 */
static volatile sig_atomic_t	pipe_wfd = -1;
static volatile sig_atomic_t	pipe_owner = -1;

static void
on_sig(int sig)
{
	int		saved = errno;
	unsigned char	c = (unsigned char)sig;

	/* A full pipe holds wake-ups enough: dropping one loses nothing
	 * that matters (the same signal is already queued). */
	if (pipe_wfd != -1 && pipe_owner == (sig_atomic_t)getpid()) {
		ssize_t	r = write(pipe_wfd, &c, 1);

		(void)r;
	}
	errno = saved;
}

void
sigsrc_init(struct sigsrc *s)
{
	s->fd = -1;
	s->wfd = -1;
	s->kind = SIGSRC_NONE;
}

static int
open_pipe(struct sigsrc *s, const int *sigs, size_t n, const sigset_t *set)
{
	struct sigaction	sa;
	int			p[2];
	size_t			i;

	if (pipe(p) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (fcntl(p[i], F_SETFD, FD_CLOEXEC) == -1 ||
		    fcntl(p[i], F_SETFL, O_NONBLOCK) == -1) {
			close(p[0]);
			close(p[1]);
			return -1;
		}
	}
	/* Only then the handlers, so that none writes to a stale number. */
	pipe_owner = (sig_atomic_t)getpid();
	pipe_wfd = p[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < n; i++) {
		if (sigaction(sigs[i], &sa, NULL) == -1) {
			pipe_wfd = -1;
			close(p[0]);
			close(p[1]);
			return -1;
		}
	}
	if (sigprocmask(SIG_UNBLOCK, set, NULL) == -1)
		return -1;
	s->fd = p[0];
	s->wfd = p[1];
	s->kind = SIGSRC_PIPE;
	return 0;
}

int
sigsrc_open(struct sigsrc *s, const int *sigs, size_t n)
{
	sigset_t	set;
	size_t		i;

	sigsrc_close(s);
	/* Whatever an earlier source in this process (or our parent's, in
	 * a forked child) was: its handlers now write nowhere. */
	pipe_wfd = -1;
	sigemptyset(&set);
	for (i = 0; i < n; i++)
		sigaddset(&set, sigs[i]);
	/* Blocked while we set up: nothing is lost in between. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
#ifdef __linux__
	s->fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->fd != -1) {
		s->kind = SIGSRC_SIGNALFD;
		return 0;
	}
#endif
	return open_pipe(s, sigs, n, &set);
}

int
sigsrc_read(struct sigsrc *s)
{
	ssize_t	r;

	if (s->fd == -1)
		return -1;
#ifdef __linux__
	if (s->kind == SIGSRC_SIGNALFD) {
		struct signalfd_siginfo	si;

		r = read(s->fd, &si, sizeof(si));
		if (r == (ssize_t)sizeof(si))
			return (int)si.ssi_signo;
		return r == -1 && errno != EAGAIN ? -1 : 0;
	}
#endif
	{
		unsigned char	c;

		r = read(s->fd, &c, 1);
		if (r == 1)
			return c;
		return r == -1 && errno != EAGAIN && errno != EINTR ? -1 : 0;
	}
}

void
sigsrc_close(struct sigsrc *s)
{
	if (s->kind == SIGSRC_PIPE)
		pipe_wfd = -1;
	if (s->fd != -1)
		close(s->fd);
	if (s->wfd != -1)
		close(s->wfd);
	sigsrc_init(s);
}

void
sigsrc_adopt(struct sigsrc *s)
{
	if (s->kind == SIGSRC_PIPE)
		pipe_owner = (sig_atomic_t)getpid();
}
