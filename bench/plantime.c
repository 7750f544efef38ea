/*
 * plantime: P4, the planning time of our daemon (mi_parse + facts +
 * plan_build from build/libhvvss-daemon.a) on big mount tables.
 *
 * usage: plantime gen10k|bind5k [reps]   synthetic table (pure: facts from
 *                                         text, no I/O in the timed part)
 *        plantime live [reps]            /proc/self/mountinfo as the daemon
 *                                         plans it: read + parse +
 *                                         facts_gather(/sys) + plan_build
 *        plantime distro [reps]          the distribution daemon's per-entry
 *                                         scan (hv_vss_daemon 6.1 vss_operate,
 *                                         protocol.md 8.2) without the ioctl:
 *                                         getmntent(/proc/mounts), "/dev/"
 *                                         prefix, stat(fsname), sysfs loop and
 *                                         slaves checks, ro/vfat, open+close
 *                                         of the mount point
 * Prints one line per rep: "rep=N entries=E planned=P read_ms= parse_ms=
 * facts_ms= plan_ms= total_ms=" (distro: "entries= candidates= total_ms=").
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bcommon.h"
#include "mountinfo.h"
#include "facts.h"
#include "plan.h"
#include "mounts.h"

struct buf { char *p; size_t n, cap; };

static void
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if ((size_t)k < b->cap - b->n)
			break;
		b->cap = b->cap * 2 + 4096;
		b->p = realloc(b->p, b->cap);
	}
	b->n += (size_t)k;
}

/*
 * 10,000 entries shaped like a big container host: 1500 dm block
 * filesystems, 500 loop filesystems whose images live on those, 3000 tmpfs,
 * 2000 pseudo filesystems (proc, cgroup2, overlay), 2999 bind mounts of the
 * block filesystems; plus "/".
 */
static void
gen10k(struct buf *mi, struct buf *fa)
{
	int id = 1, i;

	bprintf(mi, "%d 0 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n", id++);
	for (i = 0; i < 1500; i++, id++)
		bprintf(mi, "%d 1 253:%d / /data/d%d rw,relatime shared:%d - %s /dev/mapper/vg-d%d rw,attr2\n",
		    id, i, i, id, i % 3 ? "ext4" : "xfs", i);
	for (i = 0; i < 500; i++) {
		bprintf(mi, "%d 1 7:%d / /loops/l%d rw,relatime - ext4 /dev/loop%d rw\n", id++, i, i, i);
		bprintf(fa, "7:%d loop /data/d%d/images/l%d.img\n", i, i * 3, i);
	}
	for (i = 0; i < 3000; i++)
		bprintf(mi, "%d 1 0:%d / /run/user/%d rw,nosuid,nodev,relatime - tmpfs tmpfs rw,size=401092k,mode=700,uid=%d\n",
		    id++, 100 + i, 1000 + i, 1000 + i);
	for (i = 0; i < 2000; i++) {
		const char *t = i % 3 == 0 ? "proc" : i % 3 == 1 ? "cgroup2" : "overlay";
		bprintf(mi, "%d 1 0:%d / /var/lib/containers/c%d/%s rw,nosuid - %s %s rw\n",
		    id++, 4000 + i, i, t, t, t);
	}
	for (i = 0; i < 2999; i++)
		bprintf(mi, "%d 1 253:%d /vol%d /srv/b%d rw,relatime - ext4 /dev/mapper/vg-d%d rw\n",
		    id++, i % 1500, i, i, i % 1500);
}

/* "/" plus one ext4 at /mnt/z and 5,000 bind mounts of it (5,002 entries). */
static void
bind5k(struct buf *mi, struct buf *fa)
{
	int id = 1, i;

	(void)fa;
	bprintf(mi, "%d 0 254:1 / / rw,relatime - ext4 /dev/vda1 rw\n", id++);
	bprintf(mi, "%d 1 252:0 / /mnt/z rw,relatime - ext4 /dev/zram0 rw\n", id++);
	for (i = 0; i < 5000; i++)
		bprintf(mi, "%d 2 252:0 / /mnt/z/b/%d rw,relatime - ext4 /dev/zram0 rw\n", id++, i);
}

static int
run_ours(const char *what, int reps)
{
	struct buf mi = { 0 }, fa = { 0 };
	int live = strcmp(what, "live") == 0;

	if (!live) {
		mi.p = malloc(mi.cap = 1 << 20);
		fa.p = malloc(fa.cap = 1 << 16);
		mi.p[0] = fa.p[0] = '\0';
		if (strcmp(what, "gen10k") == 0)
			gen10k(&mi, &fa);
		else
			bind5k(&mi, &fa);
	}
	for (int r = 1; r <= reps; r++) {
		struct mi_table t;
		struct mi_error e;
		struct facts f;
		struct plan p;
		char *text = mi.p;
		size_t len = mi.n, line = 0;
		uint64_t t0, t1, t2, t3, t4;

		t0 = b_now();
		if (live && mounts_read("/proc/self/mountinfo", &text, &len) == -1) {
			perror("mounts_read");
			return 1;
		}
		t1 = b_now();
		if (mi_parse(text, len, &t, &e) == -1) {
			fprintf(stderr, "mi_parse: %s line %zu\n", mi_err_name(e.code), e.line);
			return 1;
		}
		t2 = b_now();
		if (live ? facts_gather("/sys", &t, &f) == -1 :
		    facts_parse_line(fa.p, fa.n, &f, &line) == -1) {
			perror("facts");
			return 1;
		}
		t3 = b_now();
		if (plan_build(&t, &f, NULL, &p) == -1) {
			fprintf(stderr, "plan_build: %s\n", plan_err_name(p.err));
			return 1;
		}
		t4 = b_now();
		printf("rep=%d entries=%zu planned=%zu stages=%d read_ms=%.3f parse_ms=%.3f facts_ms=%.3f plan_ms=%.3f total_ms=%.3f\n",
		    r, t.n, p.norder, p.nstages, (t1 - t0) / 1e6, (t2 - t1) / 1e6,
		    (t3 - t2) / 1e6, (t4 - t3) / 1e6, (t4 - t0) / 1e6);
		plan_free(&p);
		facts_free(&f);
		mi_free(&t);
		if (live)
			free(text);
	}
	return 0;
}

/* hv_vss_daemon 6.1 is_dev_loop(): /sys/dev/block/M:m/loop, or a slave
 * that (recursively) is one. */
static int
is_dev_loop(const char *blkname)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	int r = 0;

	snprintf(path, sizeof(path), "%s/loop", blkname);
	if (access(path, F_OK) == 0)
		return 1;
	snprintf(path, sizeof(path), "%s/slaves", blkname);
	if ((d = opendir(path)) == NULL)
		return 0;
	while (!r && (de = readdir(d)) != NULL) {
		char sub[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/slaves/%s", blkname, de->d_name);
		r = is_dev_loop(sub);
	}
	closedir(d);
	return r;
}

static int
run_distro(int reps)
{
	for (int r = 1; r <= reps; r++) {
		uint64_t t0 = b_now();
		size_t n = 0, cand = 0;
		struct mntent *ent;
		FILE *mf = setmntent("/proc/mounts", "r");

		if (mf == NULL)
			return 1;
		while ((ent = getmntent(mf)) != NULL) {
			struct stat sb;
			char blk[128];
			int fd;

			n++;
			if (strncmp(ent->mnt_fsname, "/dev/", 5) != 0)
				continue;
			if (stat(ent->mnt_fsname, &sb) == 0) {
				snprintf(blk, sizeof(blk), "/sys/dev/block/%d:%d",
				    major(sb.st_rdev), minor(sb.st_rdev));
				if (is_dev_loop(blk))
					continue;
			}
			if (hasmntopt(ent, MNTOPT_RO) != NULL || strcmp(ent->mnt_type, "vfat") == 0)
				continue;
			if (strcmp(ent->mnt_dir, "/") == 0)
				continue;
			if ((fd = open(ent->mnt_dir, O_RDONLY)) >= 0)
				close(fd);
			cand++;
		}
		endmntent(mf);
		printf("rep=%d entries=%zu candidates=%zu total_ms=%.3f\n", r, n, cand, (b_now() - t0) / 1e6);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int reps = argc > 2 ? atoi(argv[2]) : 7;

	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "gen10k") || !strcmp(argv[1], "bind5k") || !strcmp(argv[1], "live"))
		return run_ours(argv[1], reps);
	if (!strcmp(argv[1], "distro"))
		return run_distro(reps);
usage:
	fprintf(stderr, "usage: plantime gen10k|bind5k|live|distro [reps]\n");
	return 2;
}
