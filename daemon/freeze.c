/*
 * freeze.c: open, flush, freeze and thaw (Linux FIFREEZE; FreeBSD
 * UFSSUSPEND, compiled only there).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#ifdef __linux__
#include <linux/fs.h>
#endif
#ifdef __FreeBSD__
#include <sys/param.h>
#include <sys/mount.h>
#include <ufs/ffs/fs.h>
#include <paths.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev.h"
#include "freeze.h"
#include "log.h"
#include "mountinfo.h"
#include "plan.h"

static const char *const verdict_names[FZ__MAX] = {
	"planned", "open-failed", "synced", "frozen", "unsupported",
	"frozen-by-other", "failed", "rolled-back", "not-reached", "thawed",
	"thawed-by-other", "thaw-failed"
};

const char *
frz_verdict_name(int v)
{
	if (v < 0 || v >= FZ__MAX)
		return "unknown";
	return verdict_names[v];
}

void
frz_init(struct frz *f)
{
	frz_note_fn	 note = f->note;
	void		*arg = f->note_arg;

	memset(f, 0, sizeof(*f));
	f->note = note;		/* the listener outlives the cycle */
	f->note_arg = arg;
}

static void
note(struct frz *f, char what, struct frz_fs *fs)
{
	if (f->note != NULL)
		f->note(f->note_arg, what, (size_t)(fs - f->v));
}

void
frz_release(struct frz *f)
{
	size_t	i;

	for (i = 0; i < f->n; i++) {
		if (f->v[i].fd != -1)
			close(f->v[i].fd);
		if (f->v[i].susp_fd != -1)
			close(f->v[i].susp_fd);
		free(f->v[i].mnt);
		free(f->v[i].fstype);
	}
	free(f->v);
	frz_init(f);
}

#ifdef __linux__
/*
 * Which mount did open() reach?  /proc/self/fdinfo names the mount id, so a
 * mount point that was replaced or covered since the table was read is
 * caught here rather than frozen by mistake (btrfs makes st_dev useless for
 * this, lab-facts.md 1).
 */
static int
fd_mnt_id(int fd)
{
	char	path[64], buf[512];
	ssize_t	n;
	int	pfd, id = -1;
	char	*p;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if ((pfd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(pfd, buf, sizeof(buf) - 1);
	close(pfd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strstr(buf, "mnt_id:")) != NULL)
		id = atoi(p + 7);
	return id;
}
#endif

static int
add_fs(struct frz *f, const struct mi_entry *m, int stage, int sync_only)
{
	struct frz_fs	*fs = &f->v[f->n];

	memset(fs, 0, sizeof(*fs));
	fs->fd = -1;
	fs->susp_fd = -1;
	fs->stage = stage;
	fs->sync_only = sync_only;
	fs->major = m->major;
	fs->minor = m->minor;
	fs->mnt_id = m->id;
	fs->verdict = FZ_PLANNED;
	if ((fs->mnt = strdup(m->mnt)) == NULL ||
	    (fs->fstype = strdup(m->fstype)) == NULL) {
		free(fs->mnt);
		return -1;
	}
	f->n++;
	return 0;
}

static int
open_fs(struct frz_fs *fs)
{
	fs->fd = open(fs->mnt, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY);
	if (fs->fd == -1) {
		fs->err = errno;
		fs->verdict = FZ_OPEN_FAILED;
		log_warn("event=open-failed fs=%s", fs->mnt);
		return -1;
	}
#ifdef __linux__
	if (fd_mnt_id(fs->fd) != fs->mnt_id) {
		fs->err = ESTALE;
		fs->verdict = FZ_OPEN_FAILED;
		log_warnx("event=open-failed fs=%s reason=\"mount changed "
		    "since the table was read\"", fs->mnt);
		return -1;
	}
#endif
#ifdef __FreeBSD__
	/* One suspension per open of /dev/ufssuspend (7.2 step 8). */
	if (!fs->sync_only) {
		fs->susp_fd = open(_PATH_UFSSUSPEND, O_RDWR | O_CLOEXEC);
		if (fs->susp_fd == -1) {
			fs->err = errno;
			fs->verdict = FZ_OPEN_FAILED;
			log_warn("event=open-failed fs=%s device=%s", fs->mnt,
			    _PATH_UFSSUSPEND);
			return -1;
		}
	}
#endif
	return 0;
}

/*
 * Take the plan's freeze order and sync-only set, copy what thaw needs,
 * and open everything.  On failure everything is closed again.
 */
int
frz_prepare(struct frz *f, const struct mi_table *mi, const struct plan *p,
    int accept_frozen)
{
	size_t	i;

	frz_release(f);
	f->accept_frozen = accept_frozen;
	f->v = calloc(p->norder + p->nsync + 1, sizeof(*f->v));
	if (f->v == NULL)
		return -1;
	/* Sync-only entries first: they cannot freeze, so flush them while
	 * nothing is frozen yet. */
	for (i = 0; i < p->nsync; i++) {
		const struct plan_item *it = &p->items[p->sync[i]];

		if (add_fs(f, &mi->v[it->mi], it->stage, 1) == -1)
			goto fail;
	}
	for (i = 0; i < p->norder; i++) {
		const struct plan_item *it = &p->items[p->order[i]];

		if (add_fs(f, &mi->v[it->mi], it->stage, 0) == -1)
			goto fail;
	}
	for (i = 0; i < f->n; i++)
		if (open_fs(&f->v[i]) == -1)
			return -1;	/* caller logs verdicts, then releases */
	return 0;
fail:
	frz_release(f);
	return -1;
}

/*
 * Flush while writers can still run: after syncfs() the freeze itself has
 * little left to write, so the frozen window shrinks (lab-facts.md 2c).
 */
int
frz_presync(struct frz *f)
{
	size_t		i;
	uint64_t	t;
	int		rc = 0;

	for (i = 0; i < f->n; i++) {
		t = ev_now();
		if (syncfs(f->v[i].fd) == -1) {
			f->v[i].err = errno;
			log_warn("event=syncfs-failed fs=%s", f->v[i].mnt);
			rc = -1;
		}
		f->v[i].sync_ns = ev_now() - t;
	}
	return rc;
}

static int
os_freeze(struct frz_fs *fs)
{
#ifdef __linux__
	return ioctl(fs->fd, FIFREEZE, 0);
#elif defined(__FreeBSD__)
	struct statfs	sfs;

	if (fstatfs(fs->fd, &sfs) == -1)
		return -1;
	return ioctl(fs->susp_fd, UFSSUSPEND, &sfs.f_fsid);
#else
	(void)fs;
	errno = EOPNOTSUPP;
	return -1;
#endif
}

static int
os_thaw(struct frz_fs *fs)
{
#ifdef __linux__
	return ioctl(fs->fd, FITHAW, 0);
#elif defined(__FreeBSD__)
	int	r;

	/* UFSRESUME, then close; the close alone would also resume (7.3). */
	r = ioctl(fs->susp_fd, UFSRESUME);
	close(fs->susp_fd);
	fs->susp_fd = -1;
	if (r == -1 && errno == ENOENT)
		errno = EINVAL;	/* nothing suspended: same as Linux */
	return r;
#else
	(void)fs;
	errno = EINVAL;
	return -1;
#endif
}

static void
thaw_one(struct frz *f, struct frz_fs *fs, enum frz_verdict ok)
{
	uint64_t	t = ev_now();

	if (os_thaw(fs) == 0)
		fs->verdict = ok;
	else if (errno == EINVAL)
		fs->verdict = FZ_THAWED_BY_OTHER;
	else {
		fs->err = errno;
		fs->verdict = FZ_THAW_FAILED;
		fs->thaw_ns = ev_now() - t;
		return;		/* still frozen: keep it counted */
	}
	fs->thaw_ns = ev_now() - t;
	fs->frozen = 0;
	f->nfrozen--;
	note(f, 'T', fs);
}

/*
 * Freeze in plan order.  EBUSY means someone else froze it: a failure unless
 * the policy accepts it (prior-art.md C3 item 1).  EOPNOTSUPP is reported,
 * not fatal.  Any other error thaws what this call froze, in reverse, and
 * fails.
 */
int
frz_freeze(struct frz *f)
{
	size_t		i, j;
	uint64_t	t;

	f->frozen_at = 0;
	for (i = 0; i < f->n; i++) {
		struct frz_fs *fs = &f->v[i];

		if (fs->sync_only) {
			t = ev_now();
			if (syncfs(fs->fd) == -1) {
				fs->err = errno;
				fs->verdict = FZ_FAILED;
				goto rollback;
			}
			fs->sync_ns += ev_now() - t;
			fs->verdict = FZ_SYNCED;
			continue;
		}
		note(f, 'A', fs);
		t = ev_now();
		if (f->frozen_at == 0)
			f->frozen_at = t;
		if (os_freeze(fs) == 0) {
			fs->freeze_ns = ev_now() - t;
			fs->frozen = 1;
			f->nfrozen++;
			fs->verdict = FZ_FROZEN;
			continue;
		}
		fs->freeze_ns = ev_now() - t;
		fs->err = errno;
		note(f, 'N', fs);
		if (fs->err == EOPNOTSUPP || fs->err == ENOTTY) {
			fs->verdict = FZ_UNSUPPORTED;
			continue;
		}
		if (fs->err == EBUSY && f->accept_frozen) {
			fs->verdict = FZ_FROZEN_BY_OTHER;
			continue;
		}
		fs->verdict = FZ_FAILED;
		goto rollback;
	}
	return 0;
rollback:
	for (j = i + 1; j < f->n; j++)
		f->v[j].verdict = FZ_NOT_REACHED;
	while (i-- > 0)
		if (f->v[i].frozen)
			thaw_one(f, &f->v[i], FZ_ROLLED_BACK);
	return -1;
}

/* Thaw, in the exact reverse of the freeze, what we hold frozen. */
int
frz_thaw(struct frz *f)
{
	size_t	i = f->n;

	while (i-- > 0)
		if (f->v[i].frozen)
			thaw_one(f, &f->v[i], FZ_THAWED);
	return f->nfrozen == 0 ? 0 : -1;
}

void
frz_log(const struct frz *f, const char *event)
{
	size_t	i;

	for (i = 0; i < f->n; i++) {
		const struct frz_fs *fs = &f->v[i];

		log_info("event=%s fs=%s type=%s dev=%u:%u stage=%d "
		    "verdict=%s sync_ms=%.1f freeze_ms=%.1f thaw_ms=%.1f%s%s",
		    event, fs->mnt, fs->fstype, fs->major, fs->minor,
		    fs->stage, frz_verdict_name(fs->verdict),
		    fs->sync_ns / 1e6, fs->freeze_ns / 1e6, fs->thaw_ns / 1e6,
		    fs->err ? " error=" : "", fs->err ? strerror(fs->err) : "");
	}
}
