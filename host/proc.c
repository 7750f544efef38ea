/*
 * proc.c: spawning and reaping children without blocking.
 */
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hlog.h"
#include "proc.h"

extern char **environ;

#define PROC_MAX_ENV	512

void
proc_init(struct proc *p)
{
	p->pid = -1;
	p->pidfd = -1;
	p->running = 0;
	p->status = 0;
}

static int
env_replaced(const char *entry, char *const extra[])
{
	size_t	 n;
	int	 i;

	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		n = strcspn(extra[i], "=");
		if (strncmp(entry, extra[i], n) == 0 && entry[n] == '=')
			return 1;
	}
	return 0;
}

/* In the child: never returns. */
static void
proc_child(const char *path, char *const argv[], char *const envp[])
{
	sigset_t	 all;
	int		 fd, sig;

	/* Own process group, so the whole tree can be signalled. */
	setpgid(0, 0);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		dup2(fd, STDIN_FILENO);
		if (fd != STDIN_FILENO)
			close(fd);
	}
	/* Nothing of ours leaks into the child (lab-facts 5 item 9). */
	close_range(3, ~0U, 0);
	execve(path, argv, envp);
	fprintf(stderr, "hvvss-host: exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

int
proc_spawn(struct proc *p, const char *path, char *const argv[],
    char *const extra_env[])
{
	char	*envp[PROC_MAX_ENV];
	size_t	 n = 0;
	int	 i;
	pid_t	 pid;

	for (i = 0; environ[i] != NULL && n < PROC_MAX_ENV - 16; i++)
		if (!env_replaced(environ[i], extra_env))
			envp[n++] = environ[i];
	for (i = 0; extra_env != NULL && extra_env[i] != NULL &&
	    n < PROC_MAX_ENV - 1; i++)
		envp[n++] = extra_env[i];
	envp[n] = NULL;
	fflush(NULL);
	if ((pid = fork()) == -1) {
		hlog_warn("fork");
		return -1;
	}
	if (pid == 0)
		proc_child(path, argv, envp);
	/* Also in the parent, so a kill right away finds the group. */
	setpgid(pid, pid);
	p->pid = pid;
	p->running = 1;
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p->pidfd == -1) {
		hlog_warn("pidfd_open");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		proc_init(p);
		return -1;
	}
	fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
	return 0;
}

int
proc_reap(struct proc *p)
{
	int	 status;
	pid_t	 r;

	if (!p->running)
		return 0;
	r = waitpid(p->pid, &status, WNOHANG);
	if (r == 0 || (r == -1 && errno == EINTR))
		return 0;
	p->running = 0;
	p->status = r == p->pid ? status : 0;
	return 1;
}

int
proc_kill(const struct proc *p, int sig)
{
	if (!p->running || p->pid <= 0)
		return 0;
	if (kill(-p->pid, sig) == -1 && kill(p->pid, sig) == -1 &&
	    errno != ESRCH)
		return -1;
	return 0;
}

void
proc_close(struct proc *p)
{
	if (p->pidfd != -1)
		close(p->pidfd);
	p->pidfd = -1;
}

const char *
proc_status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "status 0x%x", status);
	return buf;
}
