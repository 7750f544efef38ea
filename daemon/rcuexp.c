/*
 * rcuexp.c: raise /sys/kernel/rcu_expedited across the freeze calls, and
 * always put it back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rcuexp.h"

void
rcx_init(struct rcx *r)
{
	r->fd = -1;
	r->raised = 0;
	r->marker = NULL;
}

int
rcx_open(struct rcx *r, const char *knob, const char *marker)
{
	rcx_close(r);
	if (marker != NULL && (r->marker = strdup(marker)) == NULL)
		return -1;
	/* Opened once, up front: raising it later is two pread/pwrite on
	 * this descriptor, and the guardian inherits it. */
	if ((r->fd = open(knob, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		free(r->marker);
		r->marker = NULL;
		return -1;
	}
	return 0;
}

/* The knob's value is 0: "0" and a newline, as sysfs prints an int. */
static int
knob_is_zero(int fd)
{
	char	buf[16];
	ssize_t	n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strcmp(buf, "0\n") == 0 || strcmp(buf, "0") == 0;
}

static int
knob_write(int fd, char c)
{
	return pwrite(fd, &c, 1, 0) == 1 ? 0 : -1;
}

int
rcx_raise(struct rcx *r)
{
	int	mfd, z;

	if (r->fd == -1 || r->raised)
		return 0;
	if ((z = knob_is_zero(r->fd)) != 1)
		return z;
	/* The marker first: there is no moment where the knob is raised and
	 * nothing on record says who did it. */
	if (r->marker != NULL) {
		mfd = open(r->marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (mfd == -1)
			return -1;
		close(mfd);
	}
	if (knob_write(r->fd, '1') == -1) {
		if (r->marker != NULL)
			(void)unlink(r->marker);
		return -1;
	}
	r->raised = 1;
	return 1;
}

int
rcx_restore(struct rcx *r)
{
	if (!r->raised)
		return 0;
	if (knob_write(r->fd, '0') == -1)
		return -1;	/* the marker stays: the next start retries */
	r->raised = 0;
	if (r->marker != NULL)
		(void)unlink(r->marker);
	return 0;
}

void
rcx_close(struct rcx *r)
{
	if (r->raised)
		(void)rcx_restore(r);
	if (r->fd != -1)
		close(r->fd);
	free(r->marker);
	rcx_init(r);
}

int
rcx_recover(const char *knob, const char *marker)
{
	int	fd, rc;

	if (access(marker, F_OK) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((fd = open(knob, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	rc = knob_write(fd, '0');
	close(fd);
	if (rc == -1)
		return -1;
	(void)unlink(marker);
	return 1;
}

void
rcx_put_back(int fd)
{
	if (fd != -1)
		(void)knob_write(fd, '0');
}
