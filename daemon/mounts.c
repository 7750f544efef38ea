/*
 * mounts.c: read the mount table (Linux mountinfo; FreeBSD getmntinfo).
 */
#include <sys/types.h>
#ifdef __FreeBSD__
#include <sys/param.h>
#include <sys/ucred.h>
#include <sys/mount.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mounts.h"
#include "mountinfo.h"

#ifdef __FreeBSD__

int
mounts_read(const char *path, char **text, size_t *len)
{
	/* Names escaped as the Linux kernel does in mountinfo. */
	static char	 on[4 * MNAMELEN + 1], from[4 * MNAMELEN + 1];
	struct statfs	*sfs;
	FILE		*fp;
	int		 i, n;

	(void)path;
	*text = NULL;
	*len = 0;
	if ((n = getmntinfo(&sfs, MNT_NOWAIT)) == 0)
		return -1;
	if ((fp = open_memstream(text, len)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		(void)mi_escape(sfs[i].f_mntonname, on, sizeof(on));
		(void)mi_escape(sfs[i].f_mntfromname, from, sizeof(from));
		fprintf(fp, "%d 0 %u:%u / %s %s - %s %s %s\n", i + 1,
		    (unsigned)sfs[i].f_fsid.val[0],
		    (unsigned)sfs[i].f_fsid.val[1], on,
		    (sfs[i].f_flags & MNT_RDONLY) ? "ro" : "rw",
		    sfs[i].f_fstypename, from,
		    (sfs[i].f_flags & MNT_RDONLY) ? "ro" : "rw");
	}
	if (fclose(fp) != 0) {
		free(*text);
		*text = NULL;
		return -1;
	}
	return 0;
}
#else
/* procfs files have no size: read until EOF, growing the buffer. */
int
mounts_read(const char *path, char **text, size_t *len)
{
	size_t	 cap = 65536, n = 0;
	char	*buf, *nb;
	ssize_t	 r;
	int	 fd;

	*text = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((buf = malloc(cap)) == NULL) {
		close(fd);
		return -1;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= MOUNTS_MAX_BYTES) {
				errno = EFBIG;
				goto fail;
			}
			if ((nb = realloc(buf, cap * 2)) == NULL)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*text = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}
#endif
