/*
 * facts.c: block-device facts for the planner, from sysfs or from text.
 *
 * Both sources produce a flat list of records ("7:0 is a loop backed by X",
 * "253:0 has slave 7:0"), which facts_merge() sorts and folds into one
 * struct dev_facts per device, so the two front ends cannot disagree about
 * what the result looks like.
 *
 * facts_gather() only ever opens files below the sysfs root, through *at()
 * calls on a directory fd, so it cannot wander onto a mount point (a hung
 * NFS or FUSE mount blocks even stat(), prior-art.md B1 item 8, A7).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "facts.h"
#include "mountinfo.h"

/* Never follow more devices than this (a sysfs slave loop is stopped by the
 * seen set already; this only bounds memory on absurd input). */
#define FACTS_MAX_DEVS	(1u << 20)

enum fr_kind {
	FR_EXISTS,		/* the device has a sysfs directory */
	FR_LOOP,		/* loop device, backing may be NULL */
	FR_SLAVE,		/* s is a direct slave */
	FR_PART,		/* s is the whole disk of this partition */
	FR_SOURCE		/* anonymous dev whose fs lives on s */
};

struct fr {
	unsigned	 major, minor;
	enum fr_kind	 kind;
	unsigned	 smajor, sminor;
	char		*backing;	/* FR_LOOP, owned until merged */
	size_t		 seq;		/* input order; the line for text */
};

struct fr_vec {
	struct fr	*v;
	size_t		 n, cap;
};

/* A set of device numbers, open addressing; enough for a few thousand. */
struct devset {
	uint64_t	*keys;
	unsigned char	*used;
	size_t		 cap, n;
};

static uint64_t
devkey(unsigned major, unsigned minor)
{
	return (uint64_t)major << 32 | minor;
}

static size_t
devset_slot(const struct devset *s, uint64_t k)
{
	uint64_t	 h = k * 0x9e3779b97f4a7c15ull;
	size_t		 i = (size_t)(h >> 17) & (s->cap - 1);

	while (s->used[i] && s->keys[i] != k)
		i = (i + 1) & (s->cap - 1);
	return i;
}

/* 1 if newly added, 0 if present, -1 on ENOMEM. */
static int
devset_add(struct devset *s, uint64_t k)
{
	struct devset	 ns;
	size_t		 i;

	if (s->n + 1 > s->cap / 2) {
		ns.cap = s->cap ? s->cap * 2 : 64;
		ns.n = 0;
		ns.keys = calloc(ns.cap, sizeof(*ns.keys));
		ns.used = calloc(ns.cap, 1);
		if (ns.keys == NULL || ns.used == NULL) {
			free(ns.keys);
			free(ns.used);
			errno = ENOMEM;
			return -1;
		}
		for (i = 0; i < s->cap; i++)
			if (s->used[i]) {
				size_t j = devset_slot(&ns, s->keys[i]);
				ns.used[j] = 1;
				ns.keys[j] = s->keys[i];
				ns.n++;
			}
		free(s->keys);
		free(s->used);
		*s = ns;
	}
	i = devset_slot(s, k);
	if (s->used[i])
		return 0;
	s->used[i] = 1;
	s->keys[i] = k;
	s->n++;
	return 1;
}

static void
devset_free(struct devset *s)
{
	free(s->keys);
	free(s->used);
	memset(s, 0, sizeof(*s));
}

static int
fr_push(struct fr_vec *rv, const struct fr *r)
{
	struct fr	*nv;
	size_t		 ncap;

	if (rv->n == rv->cap) {
		ncap = rv->cap ? rv->cap * 2 : 16;
		if ((nv = reallocarray(rv->v, ncap, sizeof(*nv))) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		rv->v = nv;
		rv->cap = ncap;
	}
	rv->v[rv->n] = *r;
	rv->v[rv->n].seq = rv->n;
	rv->n++;
	return 0;
}

static void
fr_vec_free(struct fr_vec *rv)
{
	size_t	 i;

	for (i = 0; i < rv->n; i++)
		free(rv->v[i].backing);
	free(rv->v);
	memset(rv, 0, sizeof(*rv));
}

static int
fr_cmp(const void *a, const void *b)
{
	const struct fr	*x = a, *y = b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

static int
slave_cmp(const void *a, const void *b)
{
	const unsigned	*x = a, *y = b;	/* {major, minor} pairs */

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	if (x[1] != y[1])
		return x[1] < y[1] ? -1 : 1;
	return 0;
}

/*
 * Fold the records into out, one entry per device, sorted by major:minor
 * (facts_find() relies on that).  A second backing file for one device is
 * refused: *badseq gets that record's seq.  Consumes the backing strings.
 */
static int
facts_merge(struct fr_vec *rv, struct facts *out, size_t *badseq)
{
	struct dev_facts	*d;
	size_t			 i, j, k, ndev, ns;

	if (rv->n > 1)
		qsort(rv->v, rv->n, sizeof(*rv->v), fr_cmp);
	for (i = 0, ndev = 0; i < rv->n; i++)
		if (i == 0 || rv->v[i - 1].major != rv->v[i].major ||
		    rv->v[i - 1].minor != rv->v[i].minor)
			ndev++;
	if (ndev > 0 && (out->v = calloc(ndev, sizeof(*out->v))) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < rv->n; i = j) {
		for (j = i, ns = 0; j < rv->n && rv->v[j].major ==
		    rv->v[i].major && rv->v[j].minor == rv->v[i].minor; j++)
			if (rv->v[j].kind == FR_SLAVE ||
			    rv->v[j].kind == FR_PART ||
			    rv->v[j].kind == FR_SOURCE)
				ns++;
		d = &out->v[out->n++];
		d->major = rv->v[i].major;
		d->minor = rv->v[i].minor;
		if (ns > 0 && (d->slaves = calloc(ns, sizeof(*d->slaves))) ==
		    NULL) {
			errno = ENOMEM;
			return -1;
		}
		for (k = i; k < j; k++) {
			struct fr *r = &rv->v[k];

			switch (r->kind) {
			case FR_EXISTS:
				break;
			case FR_LOOP:
				d->is_loop = 1;
				if (r->backing == NULL)
					break;
				if (d->backing_file != NULL) {
					*badseq = r->seq;
					errno = EINVAL;
					return -1;
				}
				d->backing_file = r->backing;
				r->backing = NULL;
				break;
			case FR_PART:
			case FR_SOURCE:
			case FR_SLAVE:
				if (r->kind == FR_PART)
					d->is_partition = 1;
				if (r->kind == FR_SOURCE)
					d->via_source = 1;
				d->slaves[d->nslaves].major = r->smajor;
				d->slaves[d->nslaves].minor = r->sminor;
				d->nslaves++;
				break;
			}
		}
		if (d->nslaves > 1) {
			/* Sort and drop duplicates: the planner walks each
			 * edge once. */
			qsort(d->slaves, d->nslaves, sizeof(*d->slaves),
			    slave_cmp);
			for (k = 1, ns = 1; k < d->nslaves; k++)
				if (slave_cmp(&d->slaves[k],
				    &d->slaves[ns - 1]) != 0)
					d->slaves[ns++] = d->slaves[k];
			d->nslaves = ns;
		}
	}
	return 0;
}

void
facts_free(struct facts *f)
{
	size_t	 i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->v[i].backing_file);
		free(f->v[i].slaves);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

const struct dev_facts *
facts_find(const struct facts *f, unsigned major, unsigned minor)
{
	size_t	 lo, hi, mid;

	if (f == NULL)
		return NULL;
	for (lo = 0, hi = f->n; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		if (f->v[mid].major < major || (f->v[mid].major == major &&
		    f->v[mid].minor < minor))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < f->n && f->v[lo].major == major && f->v[lo].minor == minor)
		return &f->v[lo];
	return NULL;
}

/* ---- text front end ---- */

static int
facts_text_line(char *s, struct fr *r)
{
	char	*dev, *kind, *arg, *sp;

	dev = s;
	if ((sp = strchr(dev, ' ')) == NULL)
		return -1;
	*sp = '\0';
	kind = sp + 1;
	arg = NULL;
	if ((sp = strchr(kind, ' ')) != NULL) {
		*sp = '\0';
		arg = sp + 1;
		if (strchr(arg, ' ') != NULL || *arg == '\0')
			return -1;
	}
	if (mi_devno(dev, &r->major, &r->minor) == -1)
		return -1;
	if (strcmp(kind, "loop") == 0) {
		r->kind = FR_LOOP;
		if (arg == NULL)
			return 0;
		if (mi_unescape(arg) == -1 || *arg == '\0')
			return -1;
		if ((r->backing = strdup(arg)) == NULL)
			return -2;
		return 0;
	}
	if (strcmp(kind, "slave") == 0)
		r->kind = FR_SLAVE;
	else if (strcmp(kind, "part") == 0)
		r->kind = FR_PART;
	else if (strcmp(kind, "source") == 0)
		r->kind = FR_SOURCE;
	else
		return -1;
	if (arg == NULL || mi_devno(arg, &r->smajor, &r->sminor) == -1)
		return -1;
	return 0;
}

int
facts_parse_line(const char *text, size_t len, struct facts *out,
    size_t *errline)
{
	struct fr_vec	 rv;
	struct fr	 r;
	char		*buf, *p, *end, *nl;
	size_t		 line, bad, i;
	int		 rc;

	if (errline != NULL)
		*errline = 0;
	if (out == NULL || (text == NULL && len > 0)) {
		errno = EINVAL;
		return -1;
	}
	memset(out, 0, sizeof(*out));
	memset(&rv, 0, sizeof(rv));
	if (len > 0 && memchr(text, '\0', len) != NULL) {
		/* Report the line of the NUL. */
		for (i = 0, line = 1; text[i] != '\0'; i++)
			if (text[i] == '\n')
				line++;
		if (errline != NULL)
			*errline = line;
		errno = EINVAL;
		return -1;
	}
	if ((buf = malloc(len + 1)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (len > 0)
		memcpy(buf, text, len);
	buf[len] = '\0';
	end = buf + len;
	rc = 0;
	for (p = buf, line = 1; p < end; p = nl + 1, line++) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = end;
		*nl = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		memset(&r, 0, sizeof(r));
		if ((rc = facts_text_line(p, &r)) != 0)
			break;
		if ((rc = fr_push(&rv, &r)) != 0) {
			free(r.backing);
			rc = -2;
			break;
		}
		/* seq doubles as the line number for error reports. */
		rv.v[rv.n - 1].seq = line;
	}
	free(buf);
	if (rc == 0) {
		if ((rc = facts_merge(&rv, out, &bad)) != 0) {
			if (errno == EINVAL)
				line = bad;
			else
				rc = -2;
		}
	}
	fr_vec_free(&rv);
	if (rc != 0) {
		facts_free(out);
		if (rc == -2)
			errno = ENOMEM;
		else {
			errno = EINVAL;
			if (errline != NULL)
				*errline = line;
		}
		return -1;
	}
	return 0;
}

int
facts_parse(const char *text, size_t len, struct facts *out)
{
	return facts_parse_line(text, len, out, NULL);
}

/* ---- sysfs front end ---- */

struct gather {
	int		 rootfd;	/* the sysfs root */
	struct fr_vec	 rv;
	struct devset	 seen;		/* devices queued */
	struct devset	 anon;		/* anonymous devs already resolved */
	unsigned	*queue;		/* major, minor pairs */
	size_t		 nq, capq;
	size_t		 nunread;
};

/*
 * Read a small sysfs attribute relative to dirfd into buf, NUL-terminated,
 * one trailing newline removed.  Returns the length, or -1 with errno (E2BIG
 * if it does not fit).
 */
static ssize_t
read_attr(int dirfd, const char *rel, char *buf, size_t size)
{
	ssize_t	 r;
	size_t	 n = 0;
	int	 fd, saved;

	if ((fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	for (;;) {
		if (n == size - 1) {
			close(fd);
			errno = E2BIG;
			return -1;
		}
		r = read(fd, buf + n, size - 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return (ssize_t)n;
}

/* A missing file is not a fact; anything else unreadable is counted. */
static void
gather_unread(struct gather *g)
{
	if (errno != ENOENT && errno != ENOTDIR)
		g->nunread++;
}

static int
gather_queue(struct gather *g, unsigned major, unsigned minor)
{
	unsigned	*nq;
	size_t		 ncap;
	int		 r;

	if (major == 0)		/* anonymous: never in /sys/dev/block */
		return 0;
	if ((r = devset_add(&g->seen, devkey(major, minor))) <= 0)
		return r;
	if (g->nq >= FACTS_MAX_DEVS) {
		g->nunread++;
		return 0;
	}
	if (g->nq == g->capq) {
		ncap = g->capq ? g->capq * 2 : 32;
		if ((nq = reallocarray(g->queue, ncap, 2 * sizeof(*nq))) ==
		    NULL) {
			errno = ENOMEM;
			return -1;
		}
		g->queue = nq;
		g->capq = ncap;
	}
	g->queue[2 * g->nq] = major;
	g->queue[2 * g->nq + 1] = minor;
	g->nq++;
	return 0;
}

/* Record r (with one slave) and queue the slave. */
static int
gather_slave(struct gather *g, struct fr *r, const char *devtext)
{
	if (mi_devno(devtext, &r->smajor, &r->sminor) == -1) {
		g->nunread++;
		return 0;
	}
	if (fr_push(&g->rv, r) == -1)
		return -1;
	return gather_queue(g, r->smajor, r->sminor);
}

static int
gather_dev(struct gather *g, unsigned major, unsigned minor)
{
	char		 path[PATH_MAX], val[PATH_MAX + 64];
	struct fr	 r;
	struct stat	 st;
	struct dirent	*de;
	DIR		*dir;
	ssize_t		 n;
	int		 dfd, sfd, rc = -1;

	snprintf(path, sizeof(path), "dev/block/%u:%u", major, minor);
	if ((dfd = openat(g->rootfd, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		gather_unread(g);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.major = major;
	r.minor = minor;
	r.kind = FR_EXISTS;
	if (fr_push(&g->rv, &r) == -1)
		goto out;

	/* protocol.md 8.2: a loop device has a "loop" directory. */
	if (fstatat(dfd, "loop", &st, 0) == 0 && S_ISDIR(st.st_mode)) {
		r.kind = FR_LOOP;
		r.backing = NULL;
		n = read_attr(dfd, "loop/backing_file", val, sizeof(val));
		if (n == -1)
			gather_unread(g);
		else if (n > 0 && (r.backing = strdup(val)) == NULL) {
			errno = ENOMEM;
			goto out;
		}
		if (fr_push(&g->rv, &r) == -1) {
			free(r.backing);
			goto out;
		}
		r.backing = NULL;
	}

	/*
	 * A partition's directory sits inside its disk's: "../dev" names the
	 * disk.  losetup -P makes loop0p1 (259:N), which has no "loop"
	 * directory of its own; hv_vss_daemon misses those.
	 */
	if (fstatat(dfd, "partition", &st, 0) == 0) {
		if (read_attr(dfd, "../dev", val, sizeof(val)) >= 0) {
			r.kind = FR_PART;
			if (gather_slave(g, &r, val) == -1)
				goto out;
		} else
			gather_unread(g);
	}

	if ((sfd = openat(dfd, "slaves", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		gather_unread(g);
	else if ((dir = fdopendir(sfd)) == NULL) {
		close(sfd);
		g->nunread++;
	} else {
		while ((errno = 0, de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			/* slaves/NAME is a symlink to the slave's dir. */
			snprintf(path, sizeof(path), "%s/dev", de->d_name);
			if (read_attr(sfd, path, val, sizeof(val)) == -1) {
				/* Listed but unreadable: a lost edge. */
				g->nunread++;
				continue;
			}
			r.kind = FR_SLAVE;
			if (gather_slave(g, &r, val) == -1) {
				closedir(dir);
				goto out;
			}
		}
		if (errno != 0)
			g->nunread++;
		closedir(dir);
	}
	rc = 0;
out:
	close(dfd);
	return rc;
}

/*
 * Append '-'-doubled s to the device-mapper name being built ("vg-data" and
 * "lv" make "vg--data-lv", as dm names LVM volumes).
 */
static int
dm_append(char *buf, size_t size, size_t *n, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (*n + 2 >= size)
			return -1;
		buf[(*n)++] = s[i];
		if (s[i] == '-')
			buf[(*n)++] = '-';
	}
	buf[*n] = '\0';
	return 0;
}

/*
 * Map the source of a filesystem on an anonymous device (btrfs shows 0:N)
 * to a block device through sysfs only: /dev/NAME via class/block/NAME/dev,
 * /dev/mapper/NAME and /dev/VG/LV via the dm/name of class/block/dm-*.
 * Other spellings (by-uuid links) are not resolved: that would need the
 * /dev tree, and we stay inside sysfs.
 */
static int
gather_source(struct gather *g, const char *src, unsigned *major,
    unsigned *minor)
{
	char		 name[NAME_MAX + 1], path[PATH_MAX], val[256];
	const char	*n = src + 5, *slash;
	struct dirent	*de;
	DIR		*dir;
	size_t		 len = 0;
	int		 cfd, found = -1;

	/* Stay inside class/block: no "..", no empty name. */
	if (strncmp(src, "/dev/", 5) != 0 || *n == '\0' || *n == '.' ||
	    strstr(n, "/.") != NULL)
		return -1;
	slash = strchr(n, '/');
	if (slash == NULL) {
		if (snprintf(path, sizeof(path), "class/block/%s/dev", n) >=
		    (int)sizeof(path) || read_attr(g->rootfd, path, val,
		    sizeof(val)) == -1)
			return -1;
		return mi_devno(val, major, minor);
	}
	if (strncmp(n, "mapper/", 7) == 0) {
		if (strchr(n + 7, '/') != NULL || snprintf(name, sizeof(name),
		    "%s", n + 7) >= (int)sizeof(name))
			return -1;
	} else if (strchr(slash + 1, '/') == NULL && slash[1] != '\0') {
		/* /dev/VG/LV is a link to the dm device "VG-LV". */
		if (dm_append(name, sizeof(name), &len, n,
		    (size_t)(slash - n)) == -1 || len + 2 >= sizeof(name))
			return -1;
		name[len++] = '-';
		if (dm_append(name, sizeof(name), &len, slash + 1,
		    strlen(slash + 1)) == -1)
			return -1;
	} else
		return -1;

	if ((cfd = openat(g->rootfd, "class/block", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((dir = fdopendir(cfd)) == NULL) {
		close(cfd);
		return -1;
	}
	while (found == -1 && (de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, "dm-", 3) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/dm/name", de->d_name);
		if (read_attr(cfd, path, val, sizeof(val)) == -1 ||
		    strcmp(val, name) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/dev", de->d_name);
		if (read_attr(cfd, path, val, sizeof(val)) >= 0)
			found = mi_devno(val, major, minor);
	}
	closedir(dir);
	return found;
}

int
facts_gather(const char *sysroot, const struct mi_table *t, struct facts *out)
{
	struct gather		 g;
	const struct mi_entry	*e;
	struct fr		 r;
	size_t			 i, bad;
	int			 rc = -1, saved;

	if (out == NULL || sysroot == NULL || t == NULL) {
		errno = EINVAL;
		return -1;
	}
	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	if ((g.rootfd = open(sysroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return -1;

	for (i = 0; i < t->n; i++) {
		e = &t->v[i];
		if (e->major != 0) {
			if (gather_queue(&g, e->major, e->minor) == -1)
				goto out;
			continue;
		}
		/* Anonymous device: resolve its /dev source once. */
		if (strncmp(e->source, "/dev/", 5) != 0)
			continue;
		switch (devset_add(&g.anon, e->minor)) {
		case -1:
			goto out;
		case 0:
			continue;
		}
		memset(&r, 0, sizeof(r));
		if (gather_source(&g, e->source, &r.smajor, &r.sminor) == -1)
			continue;
		r.major = 0;
		r.minor = e->minor;
		r.kind = FR_SOURCE;
		if (fr_push(&g.rv, &r) == -1 ||
		    gather_queue(&g, r.smajor, r.sminor) == -1)
			goto out;
	}
	/* The queue grows as slaves are found: dm on loop, md on dm... */
	for (i = 0; i < g.nq; i++)
		if (gather_dev(&g, g.queue[2 * i], g.queue[2 * i + 1]) == -1)
			goto out;
	if (facts_merge(&g.rv, out, &bad) == -1)
		goto out;
	out->nunread = g.nunread;
	rc = 0;
out:
	saved = errno;
	if (rc == -1)
		facts_free(out);
	fr_vec_free(&g.rv);
	devset_free(&g.seen);
	devset_free(&g.anon);
	free(g.queue);
	close(g.rootfd);
	errno = saved;
	return rc;
}
