/*
 * guardian.h: the thaw guarantee that does not depend on the daemon.
 *
 * On Linux a freeze belongs to the filesystem, not to the process: if the
 * daemon dies between FREEZE and THAW nothing thaws (prior-art.md B2).  So
 * before the first freeze the daemon forks a guardian: a minimal,
 * memory-locked, single-purpose process that holds a descriptor of every
 * filesystem the cycle may freeze and thaws the ones it was told about when
 *   (a) its deadline passes (a backstop just after the daemon's own),
 *   (b) the daemon dies: the pipe from it reaches end-of-file, or
 *   (c) it is told to, or receives SIGTERM/SIGINT/SIGHUP.
 * It never touches a file, allocates nothing after arming and has no event
 * loop but one poll(2).  The daemon tells it, through the pipe, "about to
 * freeze i" before each freeze, "not ours i" when that freeze did not
 * happen or belongs to someone else, "thawed i" after the daemon thawed it,
 * and "disarm" at the end.  An announced freeze is thawed unless retracted,
 * so a death between the FIFREEZE and its report still thaws.  Likewise it
 * holds the RCU knob's descriptor (rcuexp.h) and, when it thaws, puts the
 * knob back if it was told "raised" and not "put back" since.
 */
#ifndef GUARDIAN_H
#define GUARDIAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct frz;

enum guardian_note {
	GN_ABOUT = 'A',		/* about to freeze i */
	GN_NOT_OURS = 'N',	/* i is not frozen by us */
	GN_THAWED = 'T',	/* the daemon thawed i */
	GN_RCU_RAISED = 'E',	/* the RCU knob is raised */
	GN_RCU_BACK = 'R',	/* the RCU knob is put back */
	GN_THAW_ALL = 'X',	/* thaw everything announced now, then exit */
	GN_DISARM = 'D'		/* all done: exit without thawing */
};

struct guardian {
	pid_t		 pid;		/* -1 when not armed */
	int		 fd;		/* write end of the pipe, -1 */
	int		 pidfd;		/* to notice its death in the loop; -1:
					   none (poll guardian_reap()) */
};

void	guardian_init(struct guardian *);
/*
 * Fork the guardian over f's descriptors with an absolute CLOCK_MONOTONIC
 * deadline.  The child closes every descriptor but its pipe and f's (above
 * all the device, whose release must reach the kernel if the daemon dies).
 */
int	guardian_arm(struct guardian *, const struct frz *, uint64_t deadline);
void	guardian_note(struct guardian *, enum guardian_note, size_t);
/* Disarm (or thaw-all), close the pipe and collect the child. */
void	guardian_stop(struct guardian *, enum guardian_note);
/* Reap after its pidfd became readable; returns its wait status or -1. */
int	guardian_reap(struct guardian *);

#endif /* GUARDIAN_H */
