/*
 * freeze.h: the freeze engine: the OS edge that opens, flushes, freezes
 * and thaws the filesystems a plan names.
 *
 * Everything needed to thaw (one descriptor per filesystem, the list, its
 * strings) is opened and allocated by frz_prepare(), before the first
 * freeze; frz_freeze() and frz_thaw() allocate nothing and touch no file
 * but through those descriptors.  Thaw is the exact reverse of what was
 * frozen, never a re-read of the mount table (prior-art.md D3).
 * Linux: FIFREEZE/FITHAW on the mount point.  FreeBSD: UFSSUSPEND on one
 * /dev/ufssuspend open per filesystem, UFSRESUME then close (protocol.md 7).
 */
#ifndef FREEZE_H
#define FREEZE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parallel syncfs and freeze within a stage: at most this many threads.
 * The ~40 ms a freeze costs is waiting, not CPU (lab-facts.md 2a), so one
 * thread per filesystem pays off well beyond the number of CPUs: 100 idle
 * filesystems freeze in ~45 ms with 100 threads and ~640 ms with 8
 * (BENCHMARKS.md, P3).
 */
#define FRZ_MAX_WORKERS		256
/* Each worker only makes one system call at a time: a small stack, which
 * matters because mlockall() locks every thread stack in memory. */
#define FRZ_WORKER_STACK	(128 * 1024)

struct mi_table;
struct plan;
struct rcx;

enum frz_verdict {
	FZ_PLANNED,
	FZ_OPEN_FAILED,		/* could not open, or not the planned mount */
	FZ_SYNCED,		/* sync-only (zfs): syncfs done */
	FZ_FROZEN,
	FZ_UNSUPPORTED,		/* EOPNOTSUPP at freeze time: reported, not fatal */
	FZ_FROZEN_BY_OTHER,	/* EBUSY, accepted by policy; not ours to thaw */
	FZ_FAILED,		/* freeze failed: the cycle fails */
	FZ_ROLLED_BACK,		/* was frozen, thawed again after a failure */
	FZ_NOT_REACHED,		/* after a failure, never tried */
	FZ_THAWED,
	FZ_THAWED_BY_OTHER,	/* FITHAW said EINVAL: someone thawed it first */
	FZ_THAW_FAILED,
	FZ__MAX
};

struct frz_fs {
	char		*mnt;
	char		*fstype;
	unsigned	 major, minor;
	int		 mnt_id;
	int		 stage;
	int		 sync_only;
	int		 fd;		/* mount point, O_RDONLY; -1 if closed */
	int		 susp_fd;	/* FreeBSD: its own /dev/ufssuspend open */
	int		 frozen;	/* we hold a freeze on it */
	enum frz_verdict verdict;
	int		 err;		/* errno of the failing step */
	int		 step_err;	/* private: result of the last step */
	uint64_t	 sync_ns, freeze_ns, thaw_ns;
};

/*
 * Told, in order, of each step that changes who must thaw what: 'A' about
 * to freeze i, 'N' i turned out not frozen by us, 'T' i thawed by us; and
 * of the RCU knob: 'E' raised, 'R' put back (index 0).  The guardian
 * listens (guardian.h).
 */
typedef void	(*frz_note_fn)(void *, char, size_t);

struct frz {
	frz_note_fn	 note;
	void		*note_arg;
	struct frz_fs	*v;		/* in freeze order */
	size_t		 n;
	size_t		 nfrozen;
	int		 accept_frozen;	/* EBUSY from someone else's freeze is ok */
	size_t		 workers;	/* parallel steps: 1 = sequential */
	struct rcx	*rcx;		/* raised across the freezes; or NULL */
	int		 expedited;	/* this cycle's freezes ran with it */
	size_t		*order_idx;	/* private scratch, allocated by prepare */
	uint64_t	 frozen_at;	/* CLOCK_MONOTONIC of the first freeze */
};

void		 frz_init(struct frz *);
int		 frz_prepare(struct frz *, const struct mi_table *,
		    const struct plan *, int accept_frozen);
size_t		 frz_sync(struct frz *);
int		 frz_presync(struct frz *);
int		 frz_freeze(struct frz *);
int		 frz_thaw(struct frz *);
void		 frz_release(struct frz *);
void		 frz_log(const struct frz *, const char *);
const char	*frz_verdict_name(int);

#endif /* FREEZE_H */
