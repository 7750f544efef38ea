/*
 * sigsrc.h: signals as a descriptor for a poll(2) loop, so that they
 * arrive through the loop like everything else (style: usr.sbin/daemon).
 *
 * Linux: signalfd(2) over the blocked signals.  Where there is no
 * signalfd (FreeBSD), or it fails (a seccomp filter, a kernel built
 * without it): the self-pipe trick, a handler that writes the signal's
 * number into a non-blocking pipe, the signals left unblocked.  One
 * source per process: a forked child that wants its own (the guardian)
 * opens a new one, which takes the handlers over.
 */
#ifndef SIGSRC_H
#define SIGSRC_H

#include <stddef.h>

enum sigsrc_kind { SIGSRC_NONE, SIGSRC_SIGNALFD, SIGSRC_PIPE };

struct sigsrc {
	int			 fd;	/* poll this for POLLIN; -1 */
	int			 wfd;	/* the pipe's write end; -1 */
	enum sigsrc_kind	 kind;
};

void		 sigsrc_init(struct sigsrc *);
/* Deliver sigs[0..n-1] through s->fd from now on; 0, or -1 with errno. */
int		 sigsrc_open(struct sigsrc *, const int *sigs, size_t n);
/* The next signal that arrived, 0 if none is pending, -1 on error. */
int		 sigsrc_read(struct sigsrc *);
void		 sigsrc_close(struct sigsrc *);
/* After daemon(3) (fork, parent exits): the source is this process's. */
void		 sigsrc_adopt(struct sigsrc *);
const char	*sigsrc_kind_name(int);

#endif /* SIGSRC_H */
