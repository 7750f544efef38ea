/*
 * mountinfo.h: parse the text of /proc/self/mountinfo (pure, no I/O).
 *
 * We enumerate mounts from mountinfo rather than /proc/mounts because only
 * mountinfo carries the superblock's major:minor, which is what freezing
 * acts on: bind mounts and btrfs subvolumes share one (prior-art.md A2,
 * B1 item 6; lab-facts.md section 1: stat().st_dev differs per btrfs
 * subvolume, the mountinfo device does not).  The kernel's line format
 * (Documentation/filesystems/proc.rst, fs/proc_namespace.c show_mountinfo):
 *
 *   id parent major:minor root mountpoint opts [optional...] -
 *	fstype source superopts
 *
 * Fields are separated by one space and every line ends in '\n'.  root,
 * mountpoint, fstype and source are "mangled": space, tab, newline and
 * backslash appear as \ooo octal escapes; we undo that.  opts and superopts
 * are kept verbatim: the kernel escapes a comma inside an option value as
 * \054, and unescaping would let it split a token in mi_opt_has().
 */
#ifndef MOUNTINFO_H
#define MOUNTINFO_H

#include <stddef.h>

struct mi_entry {
	int		 id, parent;
	unsigned	 major, minor;
	char		*root;		/* unescaped */
	char		*mnt;		/* mount point, unescaped */
	char		*opts;		/* per-mount options, verbatim */
	char		*fstype;	/* unescaped, e.g. "ext4", "fuse.sshfs" */
	char		*source;	/* unescaped; may be "" (the kernel allows it) */
	char		*superopts;	/* super options, verbatim */
	size_t		 noptional;	/* optional fields (shared:N, master:N...) */
	size_t		 line;		/* 1-based line number in the text */
};

struct mi_table {
	struct mi_entry	*v;
	size_t		 n;
	char		*priv;		/* private: one copy of the text */
};

enum mi_err {
	MI_OK = 0,
	MI_E_EMPTY,		/* no lines at all */
	MI_E_FIELDS,		/* too few or too many fields, or an empty one */
	MI_E_NUMBER,		/* mount id or parent id not a decimal int */
	MI_E_DEVICE,		/* major:minor malformed */
	MI_E_SEPARATOR,		/* no "-" after the optional fields */
	MI_E_ESCAPE,		/* backslash not followed by \ooo (001..377) */
	MI_E_NUL,		/* a NUL byte in the text */
	MI_E_TRUNCATED,		/* last line has no '\n' */
	MI_E_NOMEM,		/* allocation failed */
	MI_E_PATH,		/* mount point not absolute */
	MI_E_INVAL,		/* bad argument from the caller */
	MI_E__MAX
};

struct mi_error {
	enum mi_err	 code;
	size_t		 line;		/* 1-based; 0 when not about a line */
};

/*
 * Parse len bytes of text.  Returns 0 and fills *out (free with mi_free),
 * or -1 with *out empty and *err (if not NULL) saying which line and why.
 * Memory used is bounded by a small multiple of len.
 */
int		 mi_parse(const char *text, size_t len, struct mi_table *out,
		    struct mi_error *err);
void		 mi_free(struct mi_table *);
const char	*mi_err_name(int);

/* 1 if the comma-separated list opts holds exactly the token name. */
int		 mi_opt_has(const char *opts, const char *name);

/*
 * Helpers shared with facts.c.  mi_unescape() undoes \ooo escapes in place
 * (0, or -1 on a malformed escape or \000).  mi_devno() parses "M:m"
 * (decimal, nothing else) and returns 0 or -1.
 */
int		 mi_unescape(char *);
/*
 * The reverse, as the kernel mangles names in mountinfo: space, tab,
 * newline and backslash as \ooo.  snprintf semantics: returns the length
 * the escaped text needs, writes at most size bytes including the NUL.
 */
size_t		 mi_escape(const char *, char *, size_t);
int		 mi_devno(const char *, unsigned *major, unsigned *minor);

#endif /* MOUNTINFO_H */
