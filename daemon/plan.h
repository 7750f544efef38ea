/*
 * plan.h: decide, for every mount in a mountinfo table, whether and in
 * which order hv_vss_daemon freezes it (pure, no I/O).
 *
 * Every mount gets a verdict, so a dry run and the logs can say why each
 * one was or was not frozen (prior-art.md D4, D8).  Freezing acts on a
 * superblock, so the plan freezes one representative mount per mountinfo
 * major:minor (prior-art.md B1 item 6; lab-facts.md section 1).  A
 * filesystem whose block device is (or is stacked on) a loop device is
 * frozen in an earlier stage than the filesystem holding the loop's image
 * file, and the thaw is the exact reverse (prior-art.md B1 items 3-5, D3).
 * Between two stages the engine should let the loop devices' queued writes
 * reach their image files (B1 item 5: freezing the image's filesystem while
 * the loop thread still writes to it hangs the guest).
 */
#ifndef PLAN_H
#define PLAN_H

#include <stddef.h>

struct mi_table;
struct facts;

#define PLAN_NONE	((size_t)-1)

enum plan_verdict {
	PV_FREEZE,		/* will be frozen (FIFREEZE) */
	PV_SYNC_ONLY,		/* cannot freeze but syncfs() it: zfs */
	PV_SKIP_RDONLY,		/* superblock read-only (superopts has ro) */
	PV_SKIP_PSEUDO,		/* no block device behind it, or read-only
				   by design: proc, tmpfs, overlay, squashfs */
	PV_SKIP_UNSUPPORTED,	/* block fs without freeze: vfat, exfat... */
	PV_REFUSE_NETWORK,	/* nfs, cifs, ceph...: never opened */
	PV_REFUSE_FUSE,		/* fuse, fuse.*, fuseblk: never opened */
	PV_DUPLICATE,		/* same superblock as the representative */
	PV_SHADOWED,		/* covered, and its sb reachable nowhere */
	PV_EXCLUDED,		/* excluded by policy (include/exclude) */
	PV__MAX
};

const char	*plan_verdict_name(int);

struct plan_policy {
	const char *const *include;	/* NULL, or NULL-terminated mount
					   points: only their sbs are frozen */
	const char *const *exclude;	/* NULL, or NULL-terminated mount
					   points whose sbs are not frozen */
	int		 freeze_unknown;	/* 1: an unknown fstype on a real
					   block device is PV_FREEZE */
};

/* Policy used when plan_build() gets NULL: no lists, freeze_unknown 1. */
extern const struct plan_policy plan_policy_default;

struct plan_item {
	size_t		 mi;		/* index into the mi_table */
	enum plan_verdict verdict;
	size_t		 dup_of;	/* PV_DUPLICATE: item of the
					   representative; else PLAN_NONE */
	int		 stage;		/* PV_FREEZE/PV_SYNC_ONLY: stage; else -1 */
	size_t		 before;	/* planned item this one must be frozen
					   before (its loop image's fs), or
					   PLAN_NONE */
	const char	*why;		/* short static reason for logs */
};

struct plan {
	struct plan_item *items;	/* one per mountinfo entry, table order */
	size_t		  nitems;
	size_t		 *order;	/* PV_FREEZE items in freeze order;
					   thaw is the exact reverse */
	size_t		  norder;
	int		  nstages;
	size_t		 *sync;		/* PV_SYNC_ONLY items, same ordering */
	size_t		  nsync;
	int		  err;		/* enum plan_err of the last build */
	size_t		  err_item;	/* PLAN_E_CYCLE: an item on the cycle */
};

enum plan_err {
	PLAN_OK = 0,
	PLAN_E_CYCLE,		/* loop dependencies form a cycle */
	PLAN_E_NOMEM,		/* allocation failed */
	PLAN_E_INVAL,		/* bad argument */
	PLAN_E__MAX
};

/*
 * Build the plan.  facts and policy may be NULL (no device facts: no
 * ordering constraints; NULL policy: plan_policy_default).  Returns 0, or
 * -1 with p->err (and errno: ELOOP, ENOMEM, EINVAL) saying why and
 * everything else in *p empty.  plan_free() is safe after either.
 */
int		 plan_build(const struct mi_table *, const struct facts *,
		    const struct plan_policy *, struct plan *p);
void		 plan_free(struct plan *);
const char	*plan_err_name(int);

/*
 * Render the plan as text, one line per mount then the freeze order, for
 * dry runs and golden tests.  snprintf() semantics: returns the length the
 * whole text needs (without the NUL) and writes at most size bytes.
 */
size_t		 plan_render(const struct plan *, const struct mi_table *,
		    char *buf, size_t size);

#endif /* PLAN_H */
