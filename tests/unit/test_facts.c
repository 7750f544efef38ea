/*
 * test_facts.c: facts_gather() against a fake sysfs tree laid out like the
 * real one (dev/block/M:m symlinks into devices/, slaves/NAME symlinks to
 * the slave's directory, partitions inside their disk), and facts_parse().
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "facts.h"
#include "mountinfo.h"
#include "mutate.h"
#include "plan.h"

/* ---- building the fake tree ---- */

static void
mkdirs(const char *root, const char *rel)
{
	char	 path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; *p != '\0'; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(path, 0755) == -1 && errno != EEXIST)
				fail_msg("mkdir %s: %s", path, strerror(errno));
			*p = '/';
		}
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

static void
put(const char *root, const char *rel, const char *text)
{
	char	 path[PATH_MAX], dir[PATH_MAX], *slash;
	FILE	*fp;

	snprintf(dir, sizeof(dir), "%s", rel);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		mkdirs(root, dir);
	}
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) != 0)
		fail_msg("write %s", path);
}

static void
link_to(const char *root, const char *rel, const char *target)
{
	char	 path[PATH_MAX], dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", rel);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		mkdirs(root, dir);
	}
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (symlink(target, path) == -1)
		fail_msg("symlink %s: %s", path, strerror(errno));
}

/* A block device: its directory, dev file, /sys/dev/block and class links. */
static void
blockdev(const char *root, const char *devdir, const char *name,
    const char *devno)
{
	char	 rel[PATH_MAX], target[PATH_MAX];

	snprintf(rel, sizeof(rel), "%s/dev", devdir);
	snprintf(target, sizeof(target), "%s\n", devno);
	put(root, rel, target);
	snprintf(rel, sizeof(rel), "dev/block/%s", devno);
	snprintf(target, sizeof(target), "../../%s", devdir);
	link_to(root, rel, target);
	snprintf(rel, sizeof(rel), "class/block/%s", name);
	snprintf(target, sizeof(target), "../../%s", devdir);
	link_to(root, rel, target);
}

#define VB	"devices/virtual/block"
#define SDA	"devices/pci0000:00/0000:00:10.0/host0/target0:0:0/0:0:0:0/block/sda"

static char *
make_tree(void)
{
	char	*root;

	if ((root = strdup("/tmp/hvvss-facts-XXXXXX")) == NULL ||
	    mkdtemp(root) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));

	blockdev(root, SDA, "sda", "8:0");
	blockdev(root, SDA "/sda1", "sda1", "8:1");
	put(root, SDA "/sda1/partition", "1\n");

	blockdev(root, VB "/loop0", "loop0", "7:0");
	put(root, VB "/loop0/loop/backing_file", "/srv/img/a.img\n");
	put(root, VB "/loop0/loop/offset", "0\n");

	/* losetup -P: loop1p1 lives inside loop1 and has no loop dir */
	blockdev(root, VB "/loop1", "loop1", "7:1");
	put(root, VB "/loop1/loop/backing_file", "/data/b c.img\n");
	blockdev(root, VB "/loop1/loop1p1", "loop1p1", "259:0");
	put(root, VB "/loop1/loop1p1/partition", "1\n");

	/* a loop directory without backing_file */
	blockdev(root, VB "/loop2", "loop2", "7:2");
	mkdirs(root, VB "/loop2/loop");

	blockdev(root, VB "/loop4", "loop4", "7:4");
	put(root, VB "/loop4/loop/backing_file", "/data/bt.img\n");

	/* LVM on loop0, dm-crypt on that */
	blockdev(root, VB "/dm-0", "dm-0", "253:0");
	put(root, VB "/dm-0/dm/name", "vg--data-lv0\n");
	link_to(root, VB "/dm-0/slaves/loop0", "../../loop0");
	blockdev(root, VB "/dm-1", "dm-1", "253:1");
	put(root, VB "/dm-1/dm/name", "crypt\n");
	link_to(root, VB "/dm-1/slaves/dm-0", "../../dm-0");

	/* garbage: two dm devices that are each other's slave */
	blockdev(root, VB "/dm-2", "dm-2", "253:2");
	put(root, VB "/dm-2/dm/name", "cyc-a\n");
	link_to(root, VB "/dm-2/slaves/dm-3", "../../dm-3");
	blockdev(root, VB "/dm-3", "dm-3", "253:3");
	put(root, VB "/dm-3/dm/name", "cyc-b\n");
	link_to(root, VB "/dm-3/slaves/dm-2", "../../dm-2");

	/* md raid over two partitions of sda, one of them missing */
	blockdev(root, VB "/md0", "md0", "9:0");
	link_to(root, VB "/md0/slaves/sda1", "../../../../../" SDA "/sda1");
	link_to(root, VB "/md0/slaves/sdz9", "../../nonexistent");
	return root;
}

static void
rm_tree(const char *root)
{
	char	*cmd;

	if (asprintf(&cmd, "rm -rf '%s'", root) == -1)
		abort();
	if (system(cmd) != 0)
		fail_msg("%s failed", cmd);
	free(cmd);
}

static const char table[] =
    "21 25 0:20 / /proc rw - proc proc rw\n"
    "25 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
    "40 25 8:17 / /data rw - ext4 /dev/sdb1 rw\n"
    "41 25 253:0 / /mnt/lvm rw - ext4 /dev/mapper/vg--data-lv0 rw\n"
    "42 25 253:1 / /mnt/crypt rw - ext4 /dev/mapper/crypt rw\n"
    "43 25 259:0 / /mnt/p1 rw - ext4 /dev/loop1p1 rw\n"
    "44 25 253:2 / /mnt/cyc rw - ext4 /dev/mapper/cyc-a rw\n"
    "45 25 0:60 / /mnt/bt rw - btrfs /dev/loop4 rw,subvol=/\n"
    "46 25 0:60 /sub /mnt/bt-sub rw - btrfs /dev/loop4 rw,subvol=/sub\n"
    "47 25 0:61 / /mnt/bt2 rw - btrfs /dev/mapper/crypt rw\n"
    "48 25 0:62 / /mnt/bt3 rw - btrfs /dev/vg-data/lv0 rw\n"
    "49 25 0:63 / /mnt/bt4 rw - btrfs /dev/disk/by-uuid/1234 rw\n"
    "50 25 0:70 / /mnt/nfs rw - nfs4 server:/x rw\n"
    "51 25 9:0 / /mnt/md rw - xfs /dev/md0 rw\n"
    "52 25 7:2 / /mnt/l2 rw - ext4 /dev/loop2 rw\n"
    "53 25 0:64 / /mnt/bt5 rw - btrfs /dev/nosuchdev rw\n";

static const struct dev_facts *
must(const struct facts *f, unsigned ma, unsigned mi)
{
	const struct dev_facts	*d = facts_find(f, ma, mi);

	if (d == NULL)
		fail_msg("no facts for %u:%u", ma, mi);
	return d;
}

static void
slaves_are(const struct dev_facts *d, size_t n, ...)
{
	va_list	 ap;
	size_t	 i;

	if (d->nslaves != n)
		fail_msg("%u:%u has %zu slaves, want %zu", d->major, d->minor,
		    d->nslaves, n);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		unsigned ma = va_arg(ap, unsigned), mi = va_arg(ap, unsigned);

		if (d->slaves[i].major != ma || d->slaves[i].minor != mi)
			fail_msg("%u:%u slave %zu is %u:%u, want %u:%u",
			    d->major, d->minor, i, d->slaves[i].major,
			    d->slaves[i].minor, ma, mi);
	}
	va_end(ap);
}

static void
t_gather(void **state)
{
	const struct dev_facts	*d;
	struct mi_table		 t;
	struct facts		 f;
	struct plan		 p;
	char			*root, *sys;
	size_t			 i;

	(void)state;
	root = make_tree();
	sys = root;
	assert_int_equal(mi_parse(table, sizeof(table) - 1, &t, NULL), 0);
	if (facts_gather(sys, &t, &f) == -1)
		fail_msg("facts_gather: %s", strerror(errno));

	for (i = 1; i < f.n; i++)
		assert_true(f.v[i - 1].major < f.v[i].major ||
		    (f.v[i - 1].major == f.v[i].major &&
		    f.v[i - 1].minor < f.v[i].minor));

	d = must(&f, 8, 1);
	assert_true(d->is_partition);
	assert_false(d->is_loop);
	slaves_are(d, 1, 8u, 0u);
	d = must(&f, 8, 0);
	slaves_are(d, 0);
	assert_false(d->is_partition);
	assert_null(facts_find(&f, 8, 17));	/* no sysfs entry */

	d = must(&f, 253, 0);
	assert_false(d->is_loop);
	slaves_are(d, 1, 7u, 0u);
	d = must(&f, 7, 0);
	assert_true(d->is_loop);
	assert_string_equal(d->backing_file, "/srv/img/a.img");
	slaves_are(d, 0);
	slaves_are(must(&f, 253, 1), 1, 253u, 0u);

	d = must(&f, 259, 0);
	assert_true(d->is_partition);
	assert_false(d->is_loop);
	slaves_are(d, 1, 7u, 1u);
	d = must(&f, 7, 1);
	assert_true(d->is_loop);
	assert_string_equal(d->backing_file, "/data/b c.img");

	/* the slave cycle terminates */
	slaves_are(must(&f, 253, 2), 1, 253u, 3u);
	slaves_are(must(&f, 253, 3), 1, 253u, 2u);

	/* btrfs: the source names the device */
	d = must(&f, 0, 60);
	assert_true(d->via_source);
	slaves_are(d, 1, 7u, 4u);
	assert_string_equal(must(&f, 7, 4)->backing_file, "/data/bt.img");
	slaves_are(must(&f, 0, 61), 1, 253u, 1u);
	slaves_are(must(&f, 0, 62), 1, 253u, 0u);
	assert_null(facts_find(&f, 0, 63));
	assert_null(facts_find(&f, 0, 64));
	assert_null(facts_find(&f, 0, 70));
	assert_null(facts_find(&f, 0, 20));

	/* md0: one slave resolves, the dangling one does not */
	slaves_are(must(&f, 9, 0), 1, 8u, 1u);

	d = must(&f, 7, 2);
	assert_true(d->is_loop);
	assert_null(d->backing_file);
	assert_null(facts_find(&f, 7, 3));
	/* the dangling slaves/sdz9 link is counted as unreadable */
	assert_int_equal(f.nunread, 1);

	/* and the planner orders by them */
	assert_int_equal(plan_build(&t, &f, NULL, &p), 0);
	{
		size_t root_i = 1, data_i = 2;

		assert_int_equal(p.items[3].before, root_i);	/* lvm */
		assert_int_equal(p.items[4].before, root_i);	/* crypt */
		assert_int_equal(p.items[5].before, data_i);	/* p1 */
		assert_int_equal(p.items[6].before, PLAN_NONE);	/* cyc */
		assert_int_equal(p.items[7].before, data_i);	/* bt */
		assert_int_equal(p.items[8].verdict, PV_DUPLICATE);
		assert_int_equal(p.items[9].before, root_i);	/* bt2 */
		assert_int_equal(p.items[10].before, root_i);	/* bt3 */
		assert_int_equal(p.items[11].before, PLAN_NONE);
		assert_int_equal(p.items[root_i].stage, 1);
		assert_int_equal(p.items[data_i].stage, 1);
		assert_int_equal(p.nstages, 2);
		assert_int_equal(p.order[p.norder - 1], root_i);
	}
	plan_free(&p);
	facts_free(&f);
	facts_free(&f);
	mi_free(&t);
	rm_tree(root);
	free(root);
}

static void
t_gather_errors(void **state)
{
	struct mi_table	 t;
	struct facts	 f;
	char		*root;

	(void)state;
	assert_int_equal(mi_parse(table, sizeof(table) - 1, &t, NULL), 0);
	errno = 0;
	assert_int_equal(facts_gather("/nonexistent/sys", &t, &f), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(f.v);
	assert_int_equal(facts_gather(NULL, &t, &f), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(facts_gather("/", NULL, &f), -1);
	assert_int_equal(facts_gather("/", &t, NULL), -1);

	/* an empty sysfs: nothing known, not an error */
	if ((root = strdup("/tmp/hvvss-facts-XXXXXX")) == NULL ||
	    mkdtemp(root) == NULL)
		fail_msg("mkdtemp");
	assert_int_equal(facts_gather(root, &t, &f), 0);
	assert_int_equal(f.n, 0);
	assert_int_equal(f.nunread, 0);
	facts_free(&f);
	rm_tree(root);
	free(root);
	mi_free(&t);
}

/* The real /sys with the real table: must not fail. */
static void
t_gather_self(void **state)
{
	struct mi_table	 t;
	struct facts	 f;
	FILE		*fp;
	char		 buf[1 << 16];
	size_t		 len;

	(void)state;
	if ((fp = fopen("/proc/self/mountinfo", "r")) == NULL) {
		skip();
		return;
	}
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	if (len == sizeof(buf) || mi_parse(buf, len, &t, NULL) == -1) {
		skip();
		return;
	}
	assert_int_equal(facts_gather("/sys", &t, &f), 0);
	facts_free(&f);
	mi_free(&t);
}

/* ---- facts_parse ---- */

static void
parse_bad(const char *s, size_t len, size_t line)
{
	struct facts	 f;
	size_t		 at;

	errno = 0;
	memset(&f, 0xa5, sizeof(f));
	if (facts_parse_line(s, len, &f, &at) != -1)
		fail_msg("accepted \"%s\"", s);
	assert_int_equal(errno, EINVAL);
	assert_null(f.v);
	assert_int_equal(f.n, 0);
	if (at != line)
		fail_msg("\"%s\": line %zu, want %zu", s, at, line);
}

static void
t_parse(void **state)
{
	static const char s[] =
	    "# a comment\n"
	    "\n"
	    "253:1 slave 7:2\n"
	    "253:1 slave 7:1\n"
	    "253:1 slave 7:2\n"
	    "7:1 loop /data/x\\040y.img\n"
	    "7:2 loop\n"
	    "259:3 part 7:2\n"
	    "0:45 source 7:1";	/* no final newline: fine here */
	const struct dev_facts	*d;
	struct facts		 f;

	(void)state;
	assert_int_equal(facts_parse(s, sizeof(s) - 1, &f), 0);
	assert_int_equal(f.n, 5);
	d = must(&f, 253, 1);
	slaves_are(d, 2, 7u, 1u, 7u, 2u);	/* sorted, deduplicated */
	d = must(&f, 7, 1);
	assert_true(d->is_loop);
	assert_string_equal(d->backing_file, "/data/x y.img");
	d = must(&f, 7, 2);
	assert_true(d->is_loop);
	assert_null(d->backing_file);
	d = must(&f, 259, 3);
	assert_true(d->is_partition);
	slaves_are(d, 1, 7u, 2u);
	d = must(&f, 0, 45);
	assert_true(d->via_source);
	assert_null(facts_find(&f, 7, 3));
	assert_null(facts_find(NULL, 7, 1));
	facts_free(&f);

	assert_int_equal(facts_parse("", 0, &f), 0);
	assert_int_equal(f.n, 0);
	assert_null(facts_find(&f, 0, 0));
	facts_free(&f);
	assert_int_equal(facts_parse(NULL, 0, &f), 0);
	facts_free(&f);
	facts_free(NULL);

	parse_bad("7:0\n", 4, 1);
	parse_bad("7:0 \n", 5, 1);
	parse_bad("7:0 lop /x\n", 11, 1);
	parse_bad("7:0 loop /x y\n", 14, 1);
	parse_bad("7:0 loop \n", 10, 1);
	parse_bad("7:0 loop /x\\0\n", 14, 1);
	parse_bad("7:0 loop \\000\n", 14, 1);
	parse_bad("# c\n7 loop /x\n", 14, 2);
	parse_bad("7:0 slave\n", 10, 1);
	parse_bad("7:0 slave 7\n", 12, 1);
	parse_bad("7:0 slave 7:1 7:2\n", 18, 1);
	parse_bad("7:0 part x:y\n", 13, 1);
	parse_bad(" 7:0 loop /x\n", 13, 1);
	parse_bad("7:0  loop /x\n", 13, 1);
	parse_bad("7:0 loop /a\n\n7:0 loop /b\n", 25, 3);
	parse_bad("7:0 loop /a\n7:1 lo\0op /b\n", 25, 2);
	assert_int_equal(facts_parse(NULL, 3, &f), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(facts_parse("", 0, NULL), -1);
}

static int
mut_parse(const uint8_t *b, size_t len, void *arg)
{
	struct facts	 f;
	size_t		*nok = arg, i;

	errno = 0;
	if (facts_parse((const char *)b, len, &f) == -1)
		return errno != EINVAL || f.v != NULL;
	(*nok)++;
	for (i = 0; i < f.n; i++)
		if (facts_find(&f, f.v[i].major, f.v[i].minor) != &f.v[i])
			return 1;
	facts_free(&f);
	return 0;
}

static void
t_mutate(void **state)
{
	static const char s[] =
	    "253:0 slave 7:0\n7:0 loop /var/lib/a\\040b.img\n"
	    "259:0 part 7:1\n0:60 source 7:4\n";
	size_t	 nok = 0, ncases, bad;

	(void)state;
	bad = mut_run((const uint8_t *)s, sizeof(s) - 1, mut_parse, &nok,
	    &ncases);
	printf("mutate facts_parse: %zu cases, %zu parsed, %zu bad\n", ncases,
	    nok, bad);
	assert_int_equal(bad, 0);
	assert_true(nok > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_gather),
		cmocka_unit_test(t_gather_errors),
		cmocka_unit_test(t_gather_self),
		cmocka_unit_test(t_parse),
		cmocka_unit_test(t_mutate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
