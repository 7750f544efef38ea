/*
 * plan.c: which filesystems to freeze, with a verdict for every mount, and
 * in what order (pure, no I/O).
 *
 * The steps, each O(n log n) in the number of mounts so that a container
 * host with thousands of bind mounts (prior-art.md B1 item 6) plans in
 * milliseconds:
 *
 *  1. classify every mount by fstype (FUSE, network, pseudo, zfs, block);
 *  2. find which mounts are reachable through their path: the top of the
 *     stack of mounts on one path, with every ancestor reachable too;
 *  3. group block mounts by superblock (mountinfo major:minor), pick the
 *     first reachable one as representative and judge the superblock once:
 *     policy, read-only superblock, freeze support;
 *  4. add an edge "freeze A before B" when A's device is, or is stacked on,
 *     a loop device whose image file lives on B (prior-art.md B1 items 3-5,
 *     D3), and give every filesystem the latest stage its edges allow:
 *     one before the earliest filesystem it must precede, else the last
 *     (so whatever depends on nothing is frozen last and briefest);
 *  5. order by stage, then children before their parent mounts and later
 *     mounts before earlier ones, so "/" is frozen last in its stage.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "mountinfo.h"
#include "plan.h"

const struct plan_policy plan_policy_default = { NULL, NULL, 1 };

/* Indexed by enum plan_verdict; the names are part of the log format. */
static const char *const pv_names[PV__MAX] = {
	[PV_FREEZE] = "freeze",
	[PV_SYNC_ONLY] = "sync-only",
	[PV_SKIP_RDONLY] = "skip-rdonly",
	[PV_SKIP_PSEUDO] = "skip-pseudo",
	[PV_SKIP_UNSUPPORTED] = "skip-unsupported",
	[PV_REFUSE_NETWORK] = "refuse-network",
	[PV_REFUSE_FUSE] = "refuse-fuse",
	[PV_DUPLICATE] = "duplicate",
	[PV_SHADOWED] = "shadowed",
	[PV_EXCLUDED] = "excluded",
};

static const char *const plan_err_names[PLAN_E__MAX] = {
	[PLAN_OK] = "ok",
	[PLAN_E_CYCLE] = "cycle",
	[PLAN_E_NOMEM] = "nomem",
	[PLAN_E_INVAL] = "inval",
};

const char *
plan_verdict_name(int v)
{
	if (v < 0 || v >= PV__MAX || pv_names[v] == NULL)
		return "unknown";
	return pv_names[v];
}

const char *
plan_err_name(int e)
{
	if (e < 0 || e >= PLAN_E__MAX || plan_err_names[e] == NULL)
		return "unknown";
	return plan_err_names[e];
}

enum fs_class {
	FC_FREEZE,		/* block fs with freeze support */
	FC_SYNC,		/* no freeze, but syncfs() helps: zfs */
	FC_UNSUP,		/* block fs without freeze_fs */
	FC_PSEUDO,
	FC_NETWORK,
	FC_FUSE
};

struct fs_kind {
	const char	*name;
	enum fs_class	 cls;
	const char	*why;
};

/*
 * What we know about each fstype, and why.  Freezable: the kernel's
 * super_operations have freeze_fs (or freeze_super); lab-facts.md section 1
 * measured ext4, xfs and btrfs.  Unsupported: block filesystems without
 * freeze_fs, whose FIFREEZE fails with EOPNOTSUPP (lab-facts.md section 1
 * for fat_sops; hv_vss_daemon skips vfat for this reason, protocol.md 8.2).
 * Pseudo: no block device, nothing to flush, or read-only by design; FIFREEZE
 * on squashfs made hv_vss_daemon fail whole backups (prior-art.md B3 item
 * 19), overlay returns EOPNOTSUPP and its upper layer is frozen in its own
 * right (A7; B1 item 9).  Network and FUSE mounts are never even opened: a
 * dead server or daemon blocks open() (A7; B1 item 8).
 */
static const struct fs_kind fs_kinds[] = {
	/* freezable block filesystems */
	{ "bcachefs", FC_FREEZE, "block filesystem with freeze support" },
	{ "btrfs", FC_FREEZE, "block filesystem with freeze support" },
	{ "ext2", FC_FREEZE, "block filesystem with freeze support" },
	{ "ext3", FC_FREEZE, "block filesystem with freeze support" },
	{ "ext4", FC_FREEZE, "block filesystem with freeze support" },
	{ "f2fs", FC_FREEZE, "block filesystem with freeze support" },
	{ "jfs", FC_FREEZE, "block filesystem with freeze support" },
	{ "nilfs2", FC_FREEZE, "block filesystem with freeze support" },
	{ "reiserfs", FC_FREEZE, "block filesystem with freeze support" },
	{ "xfs", FC_FREEZE, "block filesystem with freeze support" },

	/* OpenZFS has no freeze hooks (prior-art.md B3 item 24, A7) */
	{ "zfs", FC_SYNC, "zfs cannot be frozen: syncfs only" },

	/* block filesystems without freeze_fs: EOPNOTSUPP */
	{ "adfs", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "affs", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "befs", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "bfs", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "efs", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "exfat", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "hfs", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "hfsplus", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "hpfs", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "minix", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "msdos", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "ntfs", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "ntfs3", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "omfs", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "qnx4", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "qnx6", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "sysv", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "udf", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "ufs", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },
	{ "vfat", FC_UNSUP, "no freeze support (EOPNOTSUPP)" },

	/* kernel interfaces: nothing on disk */
	{ "binfmt_misc", FC_PSEUDO, "kernel interface filesystem" },
	{ "bpf", FC_PSEUDO, "kernel interface filesystem" },
	{ "binder", FC_PSEUDO, "kernel interface filesystem" },
	{ "cgroup", FC_PSEUDO, "kernel interface filesystem" },
	{ "cgroup2", FC_PSEUDO, "kernel interface filesystem" },
	{ "configfs", FC_PSEUDO, "kernel interface filesystem" },
	{ "cpuset", FC_PSEUDO, "kernel interface filesystem" },
	{ "debugfs", FC_PSEUDO, "kernel interface filesystem" },
	{ "devpts", FC_PSEUDO, "kernel interface filesystem" },
	{ "efivarfs", FC_PSEUDO, "kernel interface filesystem" },
	{ "functionfs", FC_PSEUDO, "kernel interface filesystem" },
	{ "fusectl", FC_PSEUDO, "kernel interface filesystem" },
	{ "mqueue", FC_PSEUDO, "kernel interface filesystem" },
	{ "nfsd", FC_PSEUDO, "kernel interface filesystem" },
	{ "nsfs", FC_PSEUDO, "kernel interface filesystem" },
	{ "proc", FC_PSEUDO, "kernel interface filesystem" },
	{ "pstore", FC_PSEUDO, "kernel interface filesystem" },
	{ "resctrl", FC_PSEUDO, "kernel interface filesystem" },
	{ "rpc_pipefs", FC_PSEUDO, "kernel interface filesystem" },
	{ "securityfs", FC_PSEUDO, "kernel interface filesystem" },
	{ "selinuxfs", FC_PSEUDO, "kernel interface filesystem" },
	{ "smackfs", FC_PSEUDO, "kernel interface filesystem" },
	{ "sysfs", FC_PSEUDO, "kernel interface filesystem" },
	{ "tracefs", FC_PSEUDO, "kernel interface filesystem" },
	{ "xenfs", FC_PSEUDO, "kernel interface filesystem" },
	/* memory only: nothing to make consistent, FIFREEZE EOPNOTSUPP */
	{ "devtmpfs", FC_PSEUDO, "memory filesystem" },
	{ "hugetlbfs", FC_PSEUDO, "memory filesystem" },
	{ "ramfs", FC_PSEUDO, "memory filesystem" },
	{ "rootfs", FC_PSEUDO, "memory filesystem" },
	{ "tmpfs", FC_PSEUDO, "memory filesystem" },
	/* opening an autofs mount point triggers a (maybe NFS) mount */
	{ "autofs", FC_PSEUDO, "autofs trigger: never opened" },
	/* stacked: the lower/upper filesystems are frozen themselves */
	{ "aufs", FC_PSEUDO, "stacked filesystem: its layers are planned" },
	{ "ecryptfs", FC_PSEUDO, "stacked filesystem: its layers are planned" },
	{ "overlay", FC_PSEUDO, "stacked filesystem: its layers are planned" },
	{ "shiftfs", FC_PSEUDO, "stacked filesystem: its layers are planned" },
	/* read-only by design: nothing to flush */
	{ "cramfs", FC_PSEUDO, "read-only image filesystem" },
	{ "erofs", FC_PSEUDO, "read-only image filesystem" },
	{ "iso9660", FC_PSEUDO, "read-only image filesystem" },
	{ "romfs", FC_PSEUDO, "read-only image filesystem" },
	{ "squashfs", FC_PSEUDO, "read-only image filesystem" },

	/* network: a dead server hangs open() */
	{ "9p", FC_NETWORK, "network filesystem: never opened" },
	{ "afs", FC_NETWORK, "network filesystem: never opened" },
	{ "beegfs", FC_NETWORK, "network filesystem: never opened" },
	{ "ceph", FC_NETWORK, "network filesystem: never opened" },
	{ "cifs", FC_NETWORK, "network filesystem: never opened" },
	{ "coda", FC_NETWORK, "network filesystem: never opened" },
	{ "davfs", FC_NETWORK, "network filesystem: never opened" },
	{ "glusterfs", FC_NETWORK, "network filesystem: never opened" },
	{ "lustre", FC_NETWORK, "network filesystem: never opened" },
	{ "ncpfs", FC_NETWORK, "network filesystem: never opened" },
	{ "nfs", FC_NETWORK, "network filesystem: never opened" },
	{ "nfs4", FC_NETWORK, "network filesystem: never opened" },
	{ "orangefs", FC_NETWORK, "network filesystem: never opened" },
	{ "smb3", FC_NETWORK, "network filesystem: never opened" },
	{ "smbfs", FC_NETWORK, "network filesystem: never opened" },
	{ "vboxsf", FC_NETWORK, "network filesystem: never opened" },
	{ "vmhgfs", FC_NETWORK, "network filesystem: never opened" },

	/* FUSE protocol over virtio: a dead virtiofsd hangs like FUSE */
	{ "virtiofs", FC_FUSE, "FUSE filesystem: never opened" },
};

static enum fs_class
plan_classify(const struct mi_entry *e, const struct plan_policy *pol,
    const char **why)
{
	size_t	 i;

	/* fuseblk sits on a real device but FIFREEZE is EOPNOTSUPP
	 * (lab-facts.md section 1), and its daemon can hang open(). */
	if (strcmp(e->fstype, "fuse") == 0 ||
	    strcmp(e->fstype, "fuseblk") == 0 ||
	    strncmp(e->fstype, "fuse.", 5) == 0) {
		*why = "FUSE filesystem: never opened";
		return FC_FUSE;
	}
	for (i = 0; i < sizeof(fs_kinds) / sizeof(fs_kinds[0]); i++)
		if (strcmp(e->fstype, fs_kinds[i].name) == 0) {
			*why = fs_kinds[i].why;
			return fs_kinds[i].cls;
		}
	/*
	 * Unknown.  An anonymous device (major 0) has no block device behind
	 * it; the known block filesystems on anonymous devices (btrfs, zfs)
	 * are in the table above.
	 */
	if (e->major == 0) {
		*why = "unknown fstype without a block device";
		return FC_PSEUDO;
	}
	if (pol->freeze_unknown) {
		*why = "unknown fstype on a block device: tried";
		return FC_FREEZE;
	}
	*why = "unknown fstype on a block device: policy skips it";
	return FC_UNSUP;
}

/* ---- build context ---- */

enum { ST_UNSEEN, ST_ONSTACK, ST_DONE };

struct pent {
	size_t		 parent;	/* entry index, or PLAN_NONE */
	size_t		 top;		/* top entry on this mount's path */
	size_t		 depth;		/* in the mount tree */
	size_t		 minkey;	/* min table index in its subtree */
	const char	*why;
	unsigned char	 cls;
	unsigned char	 reach;		/* reachable through its path */
	unsigned char	 below;		/* the fs its path lives in is */
	unsigned char	 covered;	/* another mount sits on it */
	unsigned char	 state;
};

struct byid {
	int		 id;
	size_t		 idx;
};

struct bypath {
	const char	*mnt;
	size_t		 idx;
};

struct bydev {
	unsigned	 major, minor;
	size_t		 idx;
};

struct edge {
	size_t		 from, to;
};

struct byorder {
	size_t		 stage, minkey, depth, idx;
};

struct pb {
	const struct mi_table	*t;
	const struct facts	*f;
	const struct plan_policy *pol;
	struct plan		*p;
	size_t			 n;
	struct pent		*pe;
	struct bypath		*bp;	/* entries sorted by path */
	struct edge		*edges;
	size_t			 nedges, capedges;
};

static int
byid_cmp(const void *a, const void *b)
{
	const struct byid	*x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
bypath_cmp(const void *a, const void *b)
{
	const struct bypath	*x = a, *y = b;
	int			 r;

	if ((r = strcmp(x->mnt, y->mnt)) != 0)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
bydev_cmp(const void *a, const void *b)
{
	const struct bydev	*x = a, *y = b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
edge_cmp(const void *a, const void *b)
{
	const struct edge	*x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->to < y->to ? -1 : x->to > y->to;
}

/*
 * Freeze order: by stage; within a stage later subtrees first (minkey
 * descending) and, on a tie, the deeper mount first.  When every mount comes
 * after its parent in the table (the usual case) this is plain reverse table
 * order; when it is not (a root pivoted in after its children, as in some
 * sandboxes) a parent still follows its children, so "/" stays last.
 */
static int
byorder_cmp(const void *a, const void *b)
{
	const struct byorder	*x = a, *y = b;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	if (x->minkey != y->minkey)
		return x->minkey > y->minkey ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return x->idx > y->idx ? -1 : x->idx < y->idx;
}

static int
depth_desc_cmp(const void *a, const void *b)
{
	const struct byorder	*x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Map each entry's parent id to an entry index (first with that id). */
static int
pb_parents(struct pb *b)
{
	struct byid	*ids;
	size_t		 i, lo, hi, mid;
	int		 want;

	if ((ids = calloc(b->n, sizeof(*ids))) == NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		ids[i].id = b->t->v[i].id;
		ids[i].idx = i;
	}
	qsort(ids, b->n, sizeof(*ids), byid_cmp);
	for (i = 0; i < b->n; i++) {
		want = b->t->v[i].parent;
		for (lo = 0, hi = b->n; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			if (ids[mid].id < want)
				lo = mid + 1;
			else
				hi = mid;
		}
		b->pe[i].parent = PLAN_NONE;
		/* The root mount may name itself or an unlisted parent. */
		if (lo < b->n && ids[lo].id == want && ids[lo].idx != i)
			b->pe[i].parent = ids[lo].idx;
	}
	free(ids);
	return 0;
}

/*
 * Per path, find the mount on top: the one no other mount on the same path
 * was mounted onto.  Normally a later mount on the same path names the
 * earlier one as its parent, which covers the "a later mount on the same
 * path shadows an earlier one" rule; following the parent links instead of
 * the table order also gets "mount --move" onto an older mount right.  If
 * the links do not single one out, the last in table order wins.
 */
static int
pb_paths(struct pb *b)
{
	struct pent	*pe = b->pe;
	size_t		 i, j, k, top, ncand, par;

	if ((b->bp = calloc(b->n, sizeof(*b->bp))) == NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		b->bp[i].mnt = b->t->v[i].mnt;
		b->bp[i].idx = i;
	}
	qsort(b->bp, b->n, sizeof(*b->bp), bypath_cmp);
	for (i = 0; i < b->n; i = j) {
		for (j = i + 1; j < b->n &&
		    strcmp(b->bp[j].mnt, b->bp[i].mnt) == 0; j++)
			;
		for (k = i; k < j; k++) {
			par = pe[b->bp[k].idx].parent;
			if (par != PLAN_NONE &&
			    strcmp(b->t->v[par].mnt, b->bp[i].mnt) == 0)
				pe[par].covered = 1;
		}
		top = b->bp[j - 1].idx;
		for (k = i, ncand = 0; k < j; k++)
			if (!pe[b->bp[k].idx].covered)
				ncand++;
		if (ncand > 0)
			for (k = j; k-- > i;)
				if (!pe[b->bp[k].idx].covered) {
					top = b->bp[k].idx;
					break;
				}
		for (k = i; k < j; k++)
			pe[b->bp[k].idx].top = top;
	}
	return 0;
}

/*
 * Reachability and depth along the parent chain, iteratively (chains can be
 * thousands long) and safe against parent cycles in garbage input: a cycle
 * is cut where it is found and that mount is treated as a root.  A mount is
 * reachable when it is on top of its path and the mount its path lives in
 * is reachable: the nearest ancestor on a different path (the ones on the
 * same path are the stack it covers).  Mounting over /a hides the old /a/b.
 */
static int
pb_tree(struct pb *b)
{
	struct pent	*pe = b->pe;
	size_t		*stk, sp, i, j, k, x, up;

	if ((stk = calloc(b->n, sizeof(*stk))) == NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		if (pe[i].state == ST_DONE)
			continue;
		sp = 0;
		j = i;
		while (pe[j].state == ST_UNSEEN) {
			pe[j].state = ST_ONSTACK;
			stk[sp++] = j;
			if ((j = pe[j].parent) == PLAN_NONE)
				break;
		}
		for (k = sp; k-- > 0;) {
			x = stk[k];
			up = k + 1 < sp ? stk[k + 1] :
			    (j != PLAN_NONE && pe[j].state == ST_DONE ? j :
			    PLAN_NONE);
			if (up == PLAN_NONE) {
				pe[x].depth = 0;
				pe[x].below = 1;
			} else {
				pe[x].depth = pe[up].depth + 1;
				/* Stacked on the same path: the mount under
				 * us is covered by us, look past it. */
				pe[x].below = strcmp(b->t->v[x].mnt,
				    b->t->v[up].mnt) == 0 ? pe[up].below :
				    pe[up].reach;
			}
			pe[x].reach = pe[x].top == x && pe[x].below;
			pe[x].state = ST_DONE;
		}
	}
	free(stk);
	return 0;
}

/* minkey: the smallest table index in each mount's subtree. */
static int
pb_minkeys(struct pb *b)
{
	struct byorder	*o;
	size_t		 i, x, par;

	if ((o = calloc(b->n, sizeof(*o))) == NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		b->pe[i].minkey = i;
		o[i].depth = b->pe[i].depth;
		o[i].idx = i;
	}
	qsort(o, b->n, sizeof(*o), depth_desc_cmp);
	for (i = 0; i < b->n; i++) {
		x = o[i].idx;
		par = b->pe[x].parent;
		/* Only real tree edges; a cut cycle has no deeper parent. */
		if (par != PLAN_NONE && b->pe[par].depth + 1 == b->pe[x].depth &&
		    b->pe[x].minkey < b->pe[par].minkey)
			b->pe[par].minkey = b->pe[x].minkey;
	}
	free(o);
	return 0;
}

static int
pb_listed(const char *const *list, const char *mnt)
{
	if (list == NULL)
		return 0;
	for (; *list != NULL; list++)
		if (strcmp(*list, mnt) == 0)
			return 1;
	return 0;
}

/* Group block mounts by superblock and give every mount its verdict. */
static int
pb_verdicts(struct pb *b)
{
	const struct mi_entry	*e;
	struct plan_item	*it = b->p->items;
	struct pent		*pe = b->pe;
	struct bydev		*d;
	size_t			 i, j, k, nd, rep;
	int			 excl, incl;
	const char		*xwhy;

	for (i = 0; i < b->n; i++) {
		it[i].mi = i;
		it[i].dup_of = PLAN_NONE;
		it[i].before = PLAN_NONE;
		it[i].stage = -1;
		it[i].why = pe[i].why;
		switch (pe[i].cls) {
		case FC_PSEUDO:
			it[i].verdict = PV_SKIP_PSEUDO;
			break;
		case FC_NETWORK:
			it[i].verdict = PV_REFUSE_NETWORK;
			break;
		case FC_FUSE:
			it[i].verdict = PV_REFUSE_FUSE;
			break;
		default:
			it[i].verdict = PV__MAX;	/* decided below */
			break;
		}
	}

	if ((d = calloc(b->n, sizeof(*d))) == NULL)
		return -1;
	for (i = 0, nd = 0; i < b->n; i++)
		if (it[i].verdict == PV__MAX) {
			d[nd].major = b->t->v[i].major;
			d[nd].minor = b->t->v[i].minor;
			d[nd].idx = i;
			nd++;
		}
	qsort(d, nd, sizeof(*d), bydev_cmp);
	for (i = 0; i < nd; i = j) {
		for (j = i + 1; j < nd && d[j].major == d[i].major &&
		    d[j].minor == d[i].minor; j++)
			;
		rep = PLAN_NONE;
		excl = incl = 0;
		for (k = i; k < j; k++) {
			e = &b->t->v[d[k].idx];
			if (rep == PLAN_NONE && pe[d[k].idx].reach)
				rep = d[k].idx;
			excl |= pb_listed(b->pol->exclude, e->mnt);
			incl |= pb_listed(b->pol->include, e->mnt);
		}
		if (rep == PLAN_NONE) {
			for (k = i; k < j; k++) {
				it[d[k].idx].verdict = PV_SHADOWED;
				it[d[k].idx].why =
				    "covered by another mount, not reachable";
			}
			continue;
		}
		for (k = i; k < j; k++) {
			if (d[k].idx == rep)
				continue;
			it[d[k].idx].verdict = PV_DUPLICATE;
			it[d[k].idx].dup_of = rep;
			it[d[k].idx].why = "same superblock as another mount";
		}
		/*
		 * Freezing acts on the superblock, so the policy does too:
		 * naming any one of its mount points selects or excludes it.
		 */
		xwhy = NULL;
		if (excl)
			xwhy = "excluded by policy";
		else if (b->pol->include != NULL && !incl)
			xwhy = "not in the include list";
		e = &b->t->v[rep];
		if (xwhy != NULL) {
			it[rep].verdict = PV_EXCLUDED;
			it[rep].why = xwhy;
		} else if (mi_opt_has(e->superopts, "ro")) {
			/* The superblock, not this mount: a read-only bind
			 * of a writable fs still needs freezing. */
			it[rep].verdict = PV_SKIP_RDONLY;
			it[rep].why = "superblock is read-only";
		} else if (pe[rep].cls == FC_SYNC)
			it[rep].verdict = PV_SYNC_ONLY;
		else if (pe[rep].cls == FC_UNSUP)
			it[rep].verdict = PV_SKIP_UNSUPPORTED;
		else
			it[rep].verdict = PV_FREEZE;
	}
	free(d);
	return 0;
}

static int
planned(const struct plan_item *it)
{
	return it->verdict == PV_FREEZE || it->verdict == PV_SYNC_ONLY;
}

/* Compare the path s with the first len bytes of p, strcmp()-style. */
static int
path_cmp_len(const char *s, const char *p, size_t len)
{
	int	 r;

	if ((r = strncmp(s, p, len)) != 0)
		return r;
	return s[len] == '\0' ? 0 : 1;
}

/* The top mount on exactly the path p[0..len), or PLAN_NONE. */
static size_t
pb_lookup(const struct pb *b, const char *p, size_t len)
{
	size_t	 lo, hi, mid;

	for (lo = 0, hi = b->n; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		if (path_cmp_len(b->bp[mid].mnt, p, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < b->n && path_cmp_len(b->bp[lo].mnt, p, len) == 0)
		return b->pe[b->bp[lo].idx].top;
	return PLAN_NONE;
}

/*
 * The planned item whose filesystem holds the file at path: the reachable
 * mount with the longest mount point that is a prefix of path at a '/'
 * boundary ("/a" holds "/a/x" but not "/ab"), mapped to its superblock's
 * representative.  PLAN_NONE if that filesystem is not planned (tmpfs...).
 */
static size_t
pb_holder(const struct pb *b, const char *path)
{
	const struct plan_item	*it = b->p->items;
	size_t			 len, k, m;

	if (path[0] != '/')
		return PLAN_NONE;
	for (len = strlen(path);;) {
		m = pb_lookup(b, path, len);
		if (m != PLAN_NONE && b->pe[m].reach) {
			if (it[m].verdict == PV_DUPLICATE)
				m = it[m].dup_of;
			return planned(&it[m]) ? m : PLAN_NONE;
		}
		if (len <= 1)
			return PLAN_NONE;
		for (k = len - 1; k > 0 && path[k] != '/'; k--)
			;
		len = k == 0 ? 1 : k;
	}
}

static int
pb_edge(struct pb *b, size_t from, size_t to)
{
	struct edge	*ne;
	size_t		 ncap;

	if (b->nedges == b->capedges) {
		ncap = b->capedges ? b->capedges * 2 : 16;
		if ((ne = reallocarray(b->edges, ncap, sizeof(*ne))) == NULL)
			return -1;
		b->edges = ne;
		b->capedges = ncap;
	}
	b->edges[b->nedges].from = from;
	b->edges[b->nedges].to = to;
	b->nedges++;
	return 0;
}

/*
 * For every planned filesystem, walk its device's slaves (dm on loop, a
 * partition of a loop, btrfs on loop via its source) down to loop devices
 * and add an edge to the filesystem holding each image file.
 */
static int
pb_deps(struct pb *b)
{
	const struct facts	*f = b->f;
	const struct dev_facts	*d, *s;
	const struct mi_entry	*e;
	struct plan_item	*it = b->p->items;
	size_t			*mark, *stk, sp, i, k, h, epoch;
	int			 rc = -1;

	if (f == NULL || f->n == 0)
		return PLAN_OK;
	mark = calloc(f->n, sizeof(*mark));
	stk = calloc(f->n, sizeof(*stk));
	if (mark == NULL || stk == NULL)
		goto out;
	for (i = 0, epoch = 0; i < b->n; i++) {
		if (!planned(&it[i]))
			continue;
		e = &b->t->v[i];
		if ((d = facts_find(f, e->major, e->minor)) == NULL)
			continue;
		epoch++;
		sp = 0;
		mark[d - f->v] = epoch;
		stk[sp++] = (size_t)(d - f->v);
		while (sp > 0) {
			d = &f->v[stk[--sp]];
			if (d->is_loop && d->backing_file != NULL &&
			    (h = pb_holder(b, d->backing_file)) != PLAN_NONE) {
				if (h == i) {
					/* Its own image on itself. */
					b->p->err_item = i;
					rc = PLAN_E_CYCLE;
					goto out;
				}
				if (pb_edge(b, i, h) == -1)
					goto out;
				if (it[i].before == PLAN_NONE)
					it[i].before = h;
			}
			for (k = 0; k < d->nslaves; k++) {
				s = facts_find(f, d->slaves[k].major,
				    d->slaves[k].minor);
				if (s == NULL || mark[s - f->v] == epoch)
					continue;
				mark[s - f->v] = epoch;
				stk[sp++] = (size_t)(s - f->v);
			}
		}
	}
	rc = PLAN_OK;
out:
	free(mark);
	free(stk);
	return rc == -1 ? PLAN_E_NOMEM : rc;
}

/*
 * Stages by Kahn's algorithm over "freeze before" edges.  Each filesystem
 * is then scheduled as late as its dependants allow: one stage before the
 * earliest filesystem it must precede, the last stage if none.  Everything
 * without a dependency so freezes in the last stage, together with "/",
 * and spends the least time frozen (issue: the shortest frozen window).
 * Items left unprocessed sit on a cycle.
 */
static int
pb_stages(struct pb *b, size_t *stage)
{
	struct plan_item	*it = b->p->items;
	size_t			*indeg, *first, *q, qh, qt, i, k, u, v;
	size_t			 nplanned, done;
	int			 rc = PLAN_E_NOMEM;

	indeg = calloc(b->n, sizeof(*indeg));
	first = calloc(b->n + 1, sizeof(*first));
	q = calloc(b->n, sizeof(*q));
	if (indeg == NULL || first == NULL || q == NULL)
		goto out;
	if (b->nedges > 1)
		qsort(b->edges, b->nedges, sizeof(*b->edges), edge_cmp);
	for (k = 0; k < b->nedges; k++) {
		indeg[b->edges[k].to]++;
		first[b->edges[k].from + 1]++;
	}
	for (i = 0; i < b->n; i++)
		first[i + 1] += first[i];
	qh = qt = nplanned = done = 0;
	for (i = 0; i < b->n; i++) {
		stage[i] = 0;
		if (!planned(&it[i]))
			continue;
		nplanned++;
		if (indeg[i] == 0)
			q[qt++] = i;
	}
	while (qh < qt) {
		u = q[qh++];
		done++;
		for (k = first[u]; k < first[u + 1]; k++) {
			v = b->edges[k].to;
			if (stage[v] < stage[u] + 1)
				stage[v] = stage[u] + 1;
			if (--indeg[v] == 0)
				q[qt++] = v;
		}
	}
	rc = PLAN_OK;
	if (done == nplanned && qt > 0) {
		size_t	maxs = 0, a;

		for (k = 0; k < qt; k++)
			if (stage[q[k]] > maxs)
				maxs = stage[q[k]];
		/* Reverse topological order: successors are final first. */
		for (k = qt; k-- > 0;) {
			u = q[k];
			a = maxs;
			for (i = first[u]; i < first[u + 1]; i++) {
				v = b->edges[i].to;
				if (stage[v] - 1 < a)
					a = stage[v] - 1;
			}
			stage[u] = a;
		}
	}
	if (done < nplanned) {
		for (i = 0; i < b->n; i++)
			if (planned(&it[i]) && indeg[i] > 0) {
				b->p->err_item = i;
				break;
			}
		rc = PLAN_E_CYCLE;
	}
out:
	free(indeg);
	free(first);
	free(q);
	return rc;
}

/* Fill p->order (PV_FREEZE) or p->sync (PV_SYNC_ONLY) in freeze order. */
static int
pb_order(struct pb *b, const size_t *stage, enum plan_verdict v,
    size_t **out, size_t *nout)
{
	struct plan_item	*it = b->p->items;
	struct byorder		*o;
	size_t			 i, n;

	for (i = 0, n = 0; i < b->n; i++)
		if (it[i].verdict == v)
			n++;
	*nout = 0;
	if (n == 0)
		return 0;
	if ((o = calloc(n, sizeof(*o))) == NULL)
		return -1;
	if ((*out = calloc(n, sizeof(**out))) == NULL) {
		free(o);
		return -1;
	}
	for (i = 0, n = 0; i < b->n; i++)
		if (it[i].verdict == v) {
			o[n].stage = stage[i];
			o[n].minkey = b->pe[i].minkey;
			o[n].depth = b->pe[i].depth;
			o[n].idx = i;
			n++;
		}
	qsort(o, n, sizeof(*o), byorder_cmp);
	for (i = 0; i < n; i++)
		(*out)[i] = o[i].idx;
	*nout = n;
	free(o);
	return 0;
}

static int
pb_run(struct pb *b)
{
	struct plan		*p = b->p;
	size_t			*stage = NULL, i;
	int			 rc;

	if (b->n == 0)
		return PLAN_OK;
	if (b->n > (size_t)INT_MAX)
		return PLAN_E_INVAL;
	if ((p->items = calloc(b->n, sizeof(*p->items))) == NULL ||
	    (b->pe = calloc(b->n, sizeof(*b->pe))) == NULL)
		return PLAN_E_NOMEM;
	p->nitems = b->n;
	for (i = 0; i < b->n; i++)
		b->pe[i].cls = (unsigned char)plan_classify(&b->t->v[i],
		    b->pol, &b->pe[i].why);
	if (pb_parents(b) == -1 || pb_paths(b) == -1 || pb_tree(b) == -1 ||
	    pb_minkeys(b) == -1 || pb_verdicts(b) == -1)
		return PLAN_E_NOMEM;
	if ((rc = pb_deps(b)) != PLAN_OK)
		return rc;
	if ((stage = calloc(b->n, sizeof(*stage))) == NULL)
		return PLAN_E_NOMEM;
	if ((rc = pb_stages(b, stage)) != PLAN_OK)
		goto out;
	rc = PLAN_E_NOMEM;
	if (pb_order(b, stage, PV_FREEZE, &p->order, &p->norder) == -1 ||
	    pb_order(b, stage, PV_SYNC_ONLY, &p->sync, &p->nsync) == -1)
		goto out;
	for (i = 0; i < b->n; i++)
		if (planned(&p->items[i])) {
			p->items[i].stage = (int)stage[i];
			if (p->items[i].stage + 1 > p->nstages)
				p->nstages = p->items[i].stage + 1;
		}
	rc = PLAN_OK;
out:
	free(stage);
	return rc;
}

int
plan_build(const struct mi_table *t, const struct facts *f,
    const struct plan_policy *pol, struct plan *p)
{
	struct pb	 b;
	size_t		 at;
	int		 rc;

	if (p == NULL) {
		errno = EINVAL;
		return -1;
	}
	memset(p, 0, sizeof(*p));
	p->err_item = PLAN_NONE;
	if (t == NULL || (t->n > 0 && t->v == NULL)) {
		p->err = PLAN_E_INVAL;
		errno = EINVAL;
		return -1;
	}
	memset(&b, 0, sizeof(b));
	b.t = t;
	b.f = f;
	b.pol = pol != NULL ? pol : &plan_policy_default;
	b.p = p;
	b.n = t->n;
	rc = pb_run(&b);
	free(b.pe);
	free(b.bp);
	free(b.edges);
	if (rc != PLAN_OK) {
		at = p->err_item;
		plan_free(p);
		p->err = rc;
		p->err_item = at;
		errno = rc == PLAN_E_CYCLE ? ELOOP : rc == PLAN_E_NOMEM ?
		    ENOMEM : EINVAL;
		return -1;
	}
	return 0;
}

void
plan_free(struct plan *p)
{
	if (p == NULL)
		return;
	free(p->items);
	free(p->order);
	free(p->sync);
	memset(p, 0, sizeof(*p));
	p->err_item = PLAN_NONE;
}

/* ---- rendering ---- */

struct out {
	char	*buf;
	size_t	 size, len;
};

static void
out_ch(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void
out_str(struct out *o, const char *s)
{
	for (; *s != '\0'; s++)
		out_ch(o, *s);
}

static void
out_num(struct out *o, size_t v)
{
	char	 tmp[3 * sizeof(v) + 1];

	snprintf(tmp, sizeof(tmp), "%zu", v);
	out_str(o, tmp);
}

/* A path, escaped like mountinfo so that one mount stays one token. */
static void
out_path(struct out *o, const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;

	for (; *u != '\0'; u++) {
		if (*u <= ' ' || *u == '\\' || *u >= 0x7f) {
			out_ch(o, '\\');
			out_ch(o, (char)('0' + (*u >> 6)));
			out_ch(o, (char)('0' + ((*u >> 3) & 7)));
			out_ch(o, (char)('0' + (*u & 7)));
		} else
			out_ch(o, (char)*u);
	}
}

static void
out_list(struct out *o, const char *what, const struct plan *p,
    const struct mi_table *t, const size_t *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		out_str(o, what);
		out_str(o, " stage=");
		out_num(o, (size_t)p->items[v[i]].stage);
		out_ch(o, ' ');
		out_num(o, v[i]);
		out_ch(o, ' ');
		out_path(o, t->v[p->items[v[i]].mi].mnt);
		out_ch(o, '\n');
	}
}

size_t
plan_render(const struct plan *p, const struct mi_table *t, char *buf,
    size_t size)
{
	const struct plan_item	*it;
	const struct mi_entry	*e;
	struct out		 o;
	size_t			 i;

	o.buf = buf;
	o.size = size;
	o.len = 0;
	for (i = 0; p != NULL && t != NULL && i < p->nitems; i++) {
		it = &p->items[i];
		if (it->mi >= t->n)
			continue;
		e = &t->v[it->mi];
		out_num(&o, i);
		out_ch(&o, ' ');
		out_path(&o, e->mnt);
		out_ch(&o, ' ');
		out_path(&o, e->fstype);
		out_ch(&o, ' ');
		out_num(&o, e->major);
		out_ch(&o, ':');
		out_num(&o, e->minor);
		out_ch(&o, ' ');
		out_str(&o, plan_verdict_name((int)it->verdict));
		if (it->stage >= 0) {
			out_str(&o, " stage=");
			out_num(&o, (size_t)it->stage);
		}
		if (it->dup_of != PLAN_NONE) {
			out_str(&o, " of=");
			out_num(&o, it->dup_of);
		}
		if (it->before != PLAN_NONE) {
			out_str(&o, " before=");
			out_num(&o, it->before);
		}
		if (it->why != NULL) {
			out_str(&o, " -- ");
			out_str(&o, it->why);
		}
		out_ch(&o, '\n');
	}
	if (p != NULL && t != NULL) {
		out_list(&o, "freeze", p, t, p->order, p->norder);
		out_list(&o, "sync", p, t, p->sync, p->nsync);
		out_str(&o, "stages ");
		out_num(&o, (size_t)p->nstages);
		out_ch(&o, '\n');
	}
	if (size > 0)
		o.buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}
