/*
 * mounts.h: OS edge: the mount table as mountinfo text.
 *
 * Linux: /proc/self/mountinfo read whole.  FreeBSD: getmntinfo(3) rendered
 * in the same format (fsid halves as major:minor), so the planner stays one
 * pure module for both systems.
 */
#ifndef MOUNTS_H
#define MOUNTS_H

#include <stddef.h>

#define MOUNTS_MAX_BYTES	(64u * 1024 * 1024)

int	mounts_read(const char *path, char **text, size_t *len);

#endif /* MOUNTS_H */
