/*
 * proc.h: child processes of hvvss-host (the daemon under test and the
 * snapshot command).  fork + execve of an explicit path, no shell; each
 * child leads its own process group so a signal reaches everything it
 * started; exit is noticed through a pidfd in the poll loop.
 */
#ifndef HOST_PROC_H
#define HOST_PROC_H

#include <signal.h>
#include <sys/types.h>

struct proc {
	pid_t		 pid;		/* -1: none */
	int		 pidfd;		/* -1: none */
	int		 running;
	int		 status;	/* wait status once exited */
};

void	proc_init(struct proc *);
/*
 * Start path with argv; extra_env entries ("NAME=value") replace or add
 * to the environment.  stdin is /dev/null, stdout/stderr inherited, all
 * other descriptors closed, signal mask and dispositions reset.
 */
int	proc_spawn(struct proc *, const char *, char *const[],
	    char *const[]);
/* After the pidfd polled readable: 1 if the child was reaped. */
int	proc_reap(struct proc *);
/* Signal the child's process group; 0 or -1. */
int	proc_kill(const struct proc *, int);
void	proc_close(struct proc *);
/* "exit 0", "signal 9" ... */
const char *proc_status_str(int, char *, size_t);

#endif /* HOST_PROC_H */
