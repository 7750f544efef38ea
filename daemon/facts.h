/*
 * facts.h: what the planner needs to know about block devices, gathered
 * from sysfs (Linux) or parsed from a small text format (tests, fuzzing).
 *
 * The planner must know which filesystems sit on loop devices and where
 * their image files live, so that a loop filesystem is frozen before the
 * filesystem holding its image and thawed after it; the other order
 * deadlocks (prior-art.md B1 items 3-5, D3).  Like hv_vss_daemon
 * (protocol.md 8.2) we look at /sys/dev/block/M:m/loop and follow
 * /sys/dev/block/M:m/slaves/ recursively (dm or md on loop).  We add two
 * things it misses: a partition of a loop device (losetup -P) lists its
 * whole disk as a slave, and a filesystem on an anonymous device (btrfs
 * shows 0:N in mountinfo, lab-facts.md section 1) whose source is a /dev
 * node gets that node's device as a slave.
 *
 * facts_gather() reads only files under sysroot: it never opens or stats a
 * mount point, so a dead NFS server or FUSE daemon cannot hang it.
 */
#ifndef FACTS_H
#define FACTS_H

#include <stddef.h>

struct mi_table;

struct dev_facts {
	unsigned	 major, minor;
	int		 is_loop;
	char		*backing_file;	/* loop: .../loop/backing_file, or NULL */
	size_t		 nslaves;
	struct {
		unsigned major, minor;
	}		*slaves;	/* direct slaves, no duplicates */
	int		 is_partition;	/* slaves[0] is its whole disk */
	int		 via_source;	/* anonymous dev: slaves from the source */
};

struct facts {
	struct dev_facts *v;		/* sorted by major:minor, unique */
	size_t		  n;
	size_t		  nunread;	/* sysfs files present but unreadable */
};

/*
 * Gather facts for every device named in the table (and, recursively, their
 * slaves) from sysroot ("/sys" in production).  A device without a sysfs
 * entry simply has no facts.  Returns 0, or -1 with errno set (ENOMEM,
 * ENAMETOOLONG, EINVAL); on -1 *out is empty.
 */
int		 facts_gather(const char *sysroot, const struct mi_table *,
		    struct facts *out);
void		 facts_free(struct facts *);
const struct dev_facts *facts_find(const struct facts *, unsigned major,
		    unsigned minor);

/*
 * Facts from text, for tests and fuzzing (tests/fixtures/mountinfo/README):
 * one fact per line, fields separated by one space, '#' comments.
 *
 *   M:m loop [PATH]	M:m is a loop device backed by PATH (\ooo escapes)
 *   M:m slave S:s	S:s is a direct slave of M:m
 *   M:m part W:w	M:m is a partition of the whole disk W:w
 *   M:m source S:s	anonymous M:m has its filesystem on S:s
 *
 * Returns 0, or -1 with errno EINVAL (and *line, if not NULL, set to the
 * 1-based line) or ENOMEM; on -1 *out is empty.
 */
int		 facts_parse(const char *text, size_t len, struct facts *out);
int		 facts_parse_line(const char *text, size_t len,
		    struct facts *out, size_t *line);

#endif /* FACTS_H */
