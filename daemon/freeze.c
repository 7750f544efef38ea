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
#include <pthread.h>
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
#include "rcuexp.h"

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
	size_t		 workers = f->workers;
	struct rcx	*rcx = f->rcx;

	/* The listener, the worker count and the knob outlive the cycle. */
	memset(f, 0, sizeof(*f));
	f->note = note;
	f->note_arg = arg;
	f->workers = workers;
	f->rcx = rcx;
}

static void
note(struct frz *f, char what, struct frz_fs *fs)
{
	if (f->note != NULL)
		f->note(f->note_arg, what, fs == NULL ? 0 : (size_t)(fs - f->v));
}

/*
 * Expedited grace periods for the FIFREEZE calls only (rcuexp.h): raised
 * after the pre-sync, put back as soon as the last freeze returned.  The
 * guardian hears of both, so that a death in between still puts it back.
 */
static void
expedite(struct frz *f, int on)
{
	if (f->rcx == NULL)
		return;
	if (on) {
		switch (rcx_raise(f->rcx)) {
		case 1:
			f->expedited = 1;
			note(f, 'E', NULL);
			break;
		case -1:
			log_warn("event=rcu-expedite-failed");
			break;
		}
	} else if (f->rcx->raised) {
		if (rcx_restore(f->rcx) == 0)
			note(f, 'R', NULL);
		else	/* the guardian and the marker still hold it */
			log_warn("event=rcu-restore-failed");
	}
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
	free(f->order_idx);
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
	f->order_idx = calloc(p->norder + p->nsync + 1, sizeof(*f->order_idx));
	if (f->v == NULL || f->order_idx == NULL) {
		free(f->v);
		free(f->order_idx);
		f->v = NULL;
		f->order_idx = NULL;
		return -1;
	}
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
 * Parallel steps.  The ~40 ms fixed cost of each freeze overlaps when the
 * freezes run concurrently, and so does the flushing (lab-facts.md 2a, 2d):
 * 8 filesystems freeze in ~50 ms instead of ~250 ms.  Workers only run the
 * system call and record its result; the caller judges the results in plan
 * order afterwards, so the outcome does not depend on thread timing.
 * FreeBSD's UFSSUSPEND refuses a multi-threaded caller (protocol.md 7.2),
 * so there every step runs in the calling thread.
 */
enum step { STEP_SYNC, STEP_FREEZE };

struct job {
	struct frz	*f;
	const size_t	*idx;
	size_t		 n;
	enum step	 step;
	size_t		 next;		/* shared cursor, under mu */
	pthread_mutex_t	 mu;
};

static int	os_freeze(struct frz_fs *);

static void
do_step(struct frz_fs *fs, enum step step)
{
	uint64_t	t = ev_now();
	int		r;

	if (step == STEP_SYNC || fs->sync_only) {
#ifdef __linux__
		r = syncfs(fs->fd);
#else
		/*
		 * No syncfs(2) here: UFSSUSPEND flushes by itself once writes
		 * are blocked (protocol.md 7.2 step 7), and sync(2) starts
		 * the flush of everything else (ZFS) early.
		 */
		sync();
		r = 0;
#endif
		fs->step_err = r == -1 ? errno : 0;
		fs->sync_ns += ev_now() - t;
	} else {
		r = os_freeze(fs);
		fs->step_err = r == -1 ? errno : 0;
		fs->freeze_ns = ev_now() - t;
	}
}

static void *
worker(void *arg)
{
	struct job	*j = arg;
	size_t		 k;

	for (;;) {
		pthread_mutex_lock(&j->mu);
		k = j->next++;
		pthread_mutex_unlock(&j->mu);
		if (k >= j->n)
			return NULL;
		do_step(&j->f->v[j->idx[k]], j->step);
	}
}

static void
run_step(struct frz *f, const size_t *idx, size_t n, enum step step)
{
	pthread_t	th[FRZ_MAX_WORKERS];
	pthread_attr_t	attr;
	struct job	j;
	size_t		i, nth = 0, want;

	want = f->workers < n ? f->workers : n;
#ifdef __FreeBSD__
	want = 0;
#endif
	if (want <= 1) {
		for (i = 0; i < n; i++)
			do_step(&f->v[idx[i]], step);
		return;
	}
	j.f = f;
	j.idx = idx;
	j.n = n;
	j.step = step;
	j.next = 0;
	pthread_mutex_init(&j.mu, NULL);
	pthread_attr_init(&attr);
	(void)pthread_attr_setstacksize(&attr, FRZ_WORKER_STACK);
	for (i = 1; i < want && i < FRZ_MAX_WORKERS; i++)
		if (pthread_create(&th[nth], &attr, worker, &j) == 0)
			nth++;
	pthread_attr_destroy(&attr);
	/* The calling thread is one of the workers; if no thread could
	 * start, it does everything alone. */
	(void)worker(&j);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&j.mu);
}

/*
 * Flush while writers can still run: after syncfs() the freeze itself has
 * little left to write, so the frozen window shrinks (lab-facts.md 2c).
 * frz_sync() logs nothing, so that another thread may run it (vssd.c's
 * flush at the host's check); the number that failed, each with its err.
 */
size_t
frz_sync(struct frz *f)
{
	size_t	i, nfail = 0;

	for (i = 0; i < f->n; i++)
		f->order_idx[i] = i;
	run_step(f, f->order_idx, f->n, STEP_SYNC);
	for (i = 0; i < f->n; i++)
		if ((f->v[i].err = f->v[i].step_err) != 0)
			nfail++;
	return nfail;
}

int
frz_presync(struct frz *f)
{
	size_t	i;

	if (frz_sync(f) == 0)
		return 0;
	for (i = 0; i < f->n; i++) {
		if (f->v[i].err != 0) {
			errno = f->v[i].err;
			log_warn("event=syncfs-failed fs=\"%s\"", f->v[i].mnt);
		}
	}
	return -1;
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
 * Freeze in plan order, one stage at a time (a loop-backed filesystem's
 * stage comes before its backing filesystem's); within a stage in parallel.
 * EBUSY means someone else froze it: a failure unless the policy accepts it
 * (prior-art.md C3 item 1).  EOPNOTSUPP is reported, not fatal.  Any other
 * error thaws what this call froze, in reverse, and fails.
 */
int
frz_freeze(struct frz *f)
{
	size_t	i, j, k, n, failed = (size_t)-1;
	int	stage;

	f->frozen_at = ev_now();
	expedite(f, 1);
	for (i = 0; i < f->n; i = j) {
		stage = f->v[i].stage;
		for (j = i, n = 0; j < f->n && f->v[j].stage == stage; j++) {
			f->order_idx[n++] = j;
			if (!f->v[j].sync_only)
				note(f, 'A', &f->v[j]);
		}
		run_step(f, f->order_idx, n, STEP_FREEZE);
		for (k = i; k < j; k++) {
			struct frz_fs *fs = &f->v[k];

			fs->err = fs->step_err;
			if (fs->sync_only) {
				fs->verdict = fs->err ? FZ_FAILED : FZ_SYNCED;
			} else if (fs->err == 0) {
				fs->frozen = 1;
				f->nfrozen++;
				fs->verdict = FZ_FROZEN;
			} else {
				note(f, 'N', fs);
				if (fs->err == EOPNOTSUPP || fs->err == ENOTTY)
					fs->verdict = FZ_UNSUPPORTED;
				else if (fs->err == EBUSY && f->accept_frozen)
					fs->verdict = FZ_FROZEN_BY_OTHER;
				else
					fs->verdict = FZ_FAILED;
			}
			if (fs->verdict == FZ_FAILED && failed == (size_t)-1)
				failed = k;
		}
		if (failed != (size_t)-1)
			goto rollback;
	}
	expedite(f, 0);
	return 0;
rollback:
	expedite(f, 0);
	for (k = j; k < f->n; k++)
		f->v[k].verdict = FZ_NOT_REACHED;
	k = j;
	while (k-- > 0)
		if (f->v[k].frozen)
			thaw_one(f, &f->v[k], FZ_ROLLED_BACK);
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
