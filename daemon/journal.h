/*
 * journal.h: what is frozen, on /run (a tmpfs, never frozen), so that a
 * daemon started after a crash -- its own and its guardian's -- thaws
 * exactly that set before it registers (prior-art.md D1).
 *
 * One line per filesystem this daemon froze:
 *	hvvss-journal 1			(first line)
 *	MNT_ID MAJOR:MINOR MOUNTPOINT	(mount point with \ooo escapes)
 * Written (to a temporary name, then renamed) before the first freeze and
 * again once the freeze is done; removed after the last thaw.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stddef.h>

#define JOURNAL_DEFAULT_PATH	"/run/hvvss/frozen"
#define JOURNAL_MAX_ENTRIES	4096

struct frz;

struct journal_entry {
	int		 mnt_id;
	unsigned	 major, minor;
	char		*mnt;		/* points into the parse buffer */
};

/* Pure: parse text (modified in place: unescaped, NUL-split). 0 or -1. */
int	journal_parse(char *text, size_t len, struct journal_entry *,
	    size_t max, size_t *n, size_t *errline);
/* Render f's frozen (or, with all, planned) filesystems; 0 or -1. */
int	journal_write(const char *path, const struct frz *, int all);
int	journal_remove(const char *path);
/*
 * Thaw what a journal names, if it exists: each mount point is opened and
 * checked to be the same mount (id and device) before FITHAW.  Returns the
 * number thawed, 0 when there was no journal, -1 on a bad journal (which is
 * kept for a human to read).
 */
int	journal_recover(const char *path);

#endif /* JOURNAL_H */
