/*
 * test_mountinfo.c: mi_parse() accepts what the kernel writes, refuses
 * everything else with the right reason and line, and mi_opt_has() matches
 * whole tokens only.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mountinfo.h"
#include "mutate.h"
#include "plan.h"

#define LINE_ROOT "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"

/* Parse s; expect code (and line, for errors). */
static void
expect(const char *s, size_t len, enum mi_err code, size_t line)
{
	struct mi_table	 t;
	struct mi_error	 e;
	int		 r;

	memset(&t, 0xa5, sizeof(t));
	r = mi_parse(s, len, &t, &e);
	if (e.code != code || (code != MI_OK && e.line != line))
		fail_msg("\"%.*s\": got %s line %zu, want %s line %zu",
		    (int)(len > 60 ? 60 : len), s, mi_err_name(e.code), e.line,
		    mi_err_name(code), line);
	assert_int_equal(r, code == MI_OK ? 0 : -1);
	if (code != MI_OK) {
		assert_null(t.v);
		assert_null(t.priv);
		assert_int_equal(t.n, 0);
	}
	mi_free(&t);
}

static void
expect_s(const char *s, enum mi_err code, size_t line)
{
	expect(s, strlen(s), code, line);
}

static void
t_basic(void **state)
{
	static const char s[] = LINE_ROOT
	    "62 25 8:15 / /boot/efi rw,relatime shared:31 - vfat /dev/sda15 rw,fmask=0022\n";
	struct mi_table	 t;
	struct mi_error	 e;

	(void)state;
	assert_int_equal(mi_parse(s, sizeof(s) - 1, &t, &e), 0);
	assert_int_equal(e.code, MI_OK);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.v[0].id, 25);
	assert_int_equal(t.v[0].parent, 1);
	assert_int_equal(t.v[0].major, 8);
	assert_int_equal(t.v[0].minor, 1);
	assert_string_equal(t.v[0].root, "/");
	assert_string_equal(t.v[0].mnt, "/");
	assert_string_equal(t.v[0].opts, "rw,relatime");
	assert_string_equal(t.v[0].fstype, "ext4");
	assert_string_equal(t.v[0].source, "/dev/sda1");
	assert_string_equal(t.v[0].superopts, "rw,errors=remount-ro");
	assert_int_equal(t.v[0].noptional, 1);
	assert_int_equal(t.v[0].line, 1);
	assert_string_equal(t.v[1].mnt, "/boot/efi");
	assert_int_equal(t.v[1].minor, 15);
	assert_int_equal(t.v[1].line, 2);
	mi_free(&t);
	mi_free(&t);	/* twice is harmless */
	mi_free(NULL);
}

static void
t_optional_fields(void **state)
{
	struct mi_table	 t;
	char		*s, *p;
	size_t		 i;

	(void)state;
	/* none */
	expect_s("1 0 0:1 / / rw - rootfs rootfs rw\n", MI_OK, 0);
	/* many */
	if ((p = s = malloc(100 + 5000 * 16)) == NULL)
		abort();
	p += sprintf(p, "30 25 8:17 / /home rw");
	for (i = 0; i < 5000; i++)
		p += sprintf(p, " %s:%zu", i % 2 ? "shared" : "master", i);
	p += sprintf(p, " propagate_from:7 unbindable - ext4 /dev/sdb1 rw\n");
	assert_int_equal(mi_parse(s, (size_t)(p - s), &t, NULL), 0);
	assert_int_equal(t.v[0].noptional, 5002);
	assert_string_equal(t.v[0].fstype, "ext4");
	mi_free(&t);
	free(s);
}

static void
t_long_line(void **state)
{
	struct mi_table	 t;
	size_t		 n = 300000, len;
	char		*s;

	(void)state;
	/* No line length limit: a 300 KB mount point. */
	if ((s = malloc(n + 200)) == NULL)
		abort();
	len = (size_t)sprintf(s, "30 25 8:17 / /");
	memset(s + len, 'a', n);
	len += n;
	len += (size_t)sprintf(s + len, " rw - ext4 /dev/sdb1 rw\n");
	assert_int_equal(mi_parse(s, len, &t, NULL), 0);
	assert_int_equal(strlen(t.v[0].mnt), n + 1);
	mi_free(&t);
	free(s);
}

static void
t_escapes(void **state)
{
	static const char s[] =
	    "30 25 8:17 /a\\040b\\134 /mnt/x\\040y\\011z\\012w\\134v\\101 "
	    "rw - fuse.my\\040fs src\\040dev rw,opt=a\\054b,x=\\040\n";
	struct mi_table	 t;

	(void)state;
	assert_int_equal(mi_parse(s, sizeof(s) - 1, &t, NULL), 0);
	assert_string_equal(t.v[0].root, "/a b\\");
	assert_string_equal(t.v[0].mnt, "/mnt/x y\tz\nw\\vA");
	assert_string_equal(t.v[0].fstype, "fuse.my fs");
	assert_string_equal(t.v[0].source, "src dev");
	/* kept verbatim: the escaped comma must not split a token */
	assert_string_equal(t.v[0].superopts, "rw,opt=a\\054b,x=\\040");
	assert_false(mi_opt_has(t.v[0].superopts, "b"));
	mi_free(&t);

	expect_s("30 25 8:17 / /a\\04 rw - ext4 s rw\n", MI_E_ESCAPE, 1);
	expect_s("30 25 8:17 / /a\\0 rw - ext4 s rw\n", MI_E_ESCAPE, 1);
	expect_s("30 25 8:17 / /a\\ rw - ext4 s rw\n", MI_E_ESCAPE, 1);
	expect_s("30 25 8:17 / /a\\400 rw - ext4 s rw\n", MI_E_ESCAPE, 1);
	expect_s("30 25 8:17 / /a\\000 rw - ext4 s rw\n", MI_E_ESCAPE, 1);
	expect_s("30 25 8:17 / /a\\08a rw - ext4 s rw\n", MI_E_ESCAPE, 1);
	expect_s("30 25 8:17 / /a\\x41 rw - ext4 s rw\n", MI_E_ESCAPE, 1);
	expect_s("30 25 8:17 \\n / rw - ext4 s rw\n", MI_E_ESCAPE, 1);
	expect_s("30 25 8:17 / / rw - ext\\4 s rw\n", MI_E_ESCAPE, 1);
	expect_s("30 25 8:17 / / rw - ext4 s\\1 rw\n", MI_E_ESCAPE, 1);
	expect_s("30 25 8:17 / / rw - ext4 s rw\\1\n", MI_OK, 0);
	/* \377 is the largest */
	expect_s("30 25 8:17 / /\\377 rw - ext4 s rw\n", MI_OK, 0);
}

static void
t_empty_source(void **state)
{
	static const char s[] = "40 25 0:50 / /mnt/t rw - tmpfs  rw,size=4k\n";
	struct mi_table	 t;

	(void)state;
	assert_int_equal(mi_parse(s, sizeof(s) - 1, &t, NULL), 0);
	assert_string_equal(t.v[0].source, "");
	assert_string_equal(t.v[0].superopts, "rw,size=4k");
	mi_free(&t);
}

static void
t_errors(void **state)
{
	(void)state;
	expect("", 0, MI_E_EMPTY, 0);
	expect_s("\n", MI_E_FIELDS, 1);
	expect_s(LINE_ROOT "\n", MI_E_FIELDS, 2);
	expect_s("25 1 8:1 / /\n", MI_E_FIELDS, 1);
	expect_s("25 1 8:1 / / rw\n", MI_E_SEPARATOR, 1);
	expect_s("25 1 8:1 / / rw shared:1\n", MI_E_SEPARATOR, 1);
	expect_s("25 1 8:1 / / rw -\n", MI_E_FIELDS, 1);
	expect_s("25 1 8:1 / / rw - ext4\n", MI_E_FIELDS, 1);
	expect_s("25 1 8:1 / / rw - ext4 /dev/sda1\n", MI_E_FIELDS, 1);
	expect_s("25 1 8:1 / / rw - ext4 /dev/sda1 rw extra\n", MI_E_FIELDS, 1);
	expect_s("25 1 8:1 / / rw - ext4 /dev/sda1 \n", MI_E_FIELDS, 1);
	expect_s("25 1 8:1 / / rw -  /dev/sda1 rw\n", MI_E_FIELDS, 1);
	expect_s("25  1 8:1 / / rw - ext4 /dev/sda1 rw\n", MI_E_FIELDS, 1);
	expect_s(" 25 1 8:1 / / rw - ext4 /dev/sda1 rw\n", MI_E_FIELDS, 1);
	expect_s("25 1 8:1 / / rw  - ext4 /dev/sda1 rw\n", MI_E_FIELDS, 1);
	expect_s("25 1 8:1 / / rw\t- ext4 /dev/sda1 rw\n", MI_E_SEPARATOR, 1);
	expect_s("x 1 8:1 / / rw - ext4 /dev/sda1 rw\n", MI_E_NUMBER, 1);
	expect_s("-1 1 8:1 / / rw - ext4 /dev/sda1 rw\n", MI_E_NUMBER, 1);
	expect_s("+1 1 8:1 / / rw - ext4 /dev/sda1 rw\n", MI_E_NUMBER, 1);
	expect_s("2147483648 1 8:1 / / rw - ext4 /dev/sda1 rw\n", MI_E_NUMBER,
	    1);
	expect_s("2147483647 1 8:1 / / rw - ext4 /dev/sda1 rw\n", MI_OK, 0);
	expect_s("25 1a 8:1 / / rw - ext4 /dev/sda1 rw\n", MI_E_NUMBER, 1);
	expect_s("25 1 8 / / rw - ext4 /dev/sda1 rw\n", MI_E_DEVICE, 1);
	expect_s("25 1 8: / / rw - ext4 /dev/sda1 rw\n", MI_E_DEVICE, 1);
	expect_s("25 1 :1 / / rw - ext4 /dev/sda1 rw\n", MI_E_DEVICE, 1);
	expect_s("25 1 8:1:2 / / rw - ext4 /dev/sda1 rw\n", MI_E_DEVICE, 1);
	expect_s("25 1 a:b / / rw - ext4 /dev/sda1 rw\n", MI_E_DEVICE, 1);
	expect_s("25 1 4294967296:0 / / rw - ext4 /dev/sda1 rw\n", MI_E_DEVICE,
	    1);
	expect_s("25 1 4294967295:4294967295 / / rw - ext4 s rw\n", MI_OK, 0);
	expect_s("25 1 8:1 / mnt rw - ext4 /dev/sda1 rw\n", MI_E_PATH, 1);
	expect_s("25 1 8:1 / \\057 rw - ext4 /dev/sda1 rw\n", MI_OK, 0);
	/* errors carry the line number */
	expect_s(LINE_ROOT LINE_ROOT "25 1 8:x / / rw - ext4 s rw\n",
	    MI_E_DEVICE, 3);
	/* truncation: the kernel ends every line with \n */
	expect_s(LINE_ROOT "30 25 8:17 / /home rw - ext4 /dev/sdb1 rw",
	    MI_E_TRUNCATED, 2);
	expect_s("25", MI_E_TRUNCATED, 1);
	/* a complete line before a cut one is no excuse */
	expect(LINE_ROOT, strlen(LINE_ROOT) - 1, MI_E_TRUNCATED, 1);
}

static void
t_nul(void **state)
{
	static const char s1[] = LINE_ROOT "30 25 8:17 / /ho\0me rw - ext4 s rw\n";
	static const char s2[] = LINE_ROOT "\0";
	static const char s3[] = "25 1 8:1 / / rw - ext4 s rw\0";

	(void)state;
	expect(s1, sizeof(s1) - 1, MI_E_NUL, 2);
	expect(s2, sizeof(s2) - 1, MI_E_NUL, 2);
	/* NUL on an unterminated line: the NUL is the more specific */
	expect(s3, sizeof(s3) - 1, MI_E_NUL, 1);
}

static void
t_args(void **state)
{
	struct mi_table	 t;
	struct mi_error	 e;

	(void)state;
	assert_int_equal(mi_parse(NULL, 5, &t, &e), -1);
	assert_int_equal(e.code, MI_E_INVAL);
	assert_int_equal(mi_parse("x\n", 2, NULL, &e), -1);
	assert_int_equal(e.code, MI_E_INVAL);
	assert_int_equal(mi_parse(NULL, 0, &t, &e), -1);
	assert_int_equal(e.code, MI_E_EMPTY);
	assert_int_equal(mi_parse(LINE_ROOT, strlen(LINE_ROOT), &t, NULL), 0);
	mi_free(&t);
}

static void
t_opt_has(void **state)
{
	(void)state;
	assert_true(mi_opt_has("ro", "ro"));
	assert_true(mi_opt_has("ro,relatime", "ro"));
	assert_true(mi_opt_has("nosuid,ro", "ro"));
	assert_true(mi_opt_has("a,ro,b", "ro"));
	assert_false(mi_opt_has("rw,errors=remount-ro", "ro"));
	assert_false(mi_opt_has("rw,rox", "ro"));
	assert_false(mi_opt_has("rw,xro", "ro"));
	assert_false(mi_opt_has("r", "ro"));
	assert_false(mi_opt_has("", "ro"));
	assert_false(mi_opt_has("ro", ""));
	assert_false(mi_opt_has(NULL, "ro"));
	assert_false(mi_opt_has("ro", NULL));
	assert_false(mi_opt_has("ro,rw", "ro,rw"));
	assert_true(mi_opt_has("rw,,ro", "ro"));
	assert_true(mi_opt_has("ro,", "ro"));
	assert_true(mi_opt_has("errors=remount-ro", "errors=remount-ro"));
}

static void
t_devno(void **state)
{
	unsigned	 ma, mi;

	(void)state;
	assert_int_equal(mi_devno("259:1000", &ma, &mi), 0);
	assert_int_equal(ma, 259);
	assert_int_equal(mi, 1000);
	assert_int_equal(mi_devno("7:0", &ma, &mi), 0);
	assert_int_equal(mi_devno("7:0\n", &ma, &mi), -1);
	assert_int_equal(mi_devno("7", &ma, &mi), -1);
	assert_int_equal(mi_devno("", &ma, &mi), -1);
	assert_int_equal(mi_devno("123456789012345678901:0", &ma, &mi), -1);
	assert_int_equal(mi_devno(" 7:0", &ma, &mi), -1);
}

static void
t_names(void **state)
{
	int	 i;

	(void)state;
	for (i = 0; i < MI_E__MAX; i++)
		assert_string_not_equal(mi_err_name(i), "unknown");
	assert_string_equal(mi_err_name(-1), "unknown");
	assert_string_equal(mi_err_name(MI_E__MAX), "unknown");
	assert_string_equal(mi_err_name(MI_E_TRUNCATED), "truncated");
}

/* The machine's own table must parse and plan (a smoke test). */
static void
t_self(void **state)
{
	struct mi_table	 t;
	struct mi_error	 e;
	struct plan	 p;
	FILE		*fp;
	char		*buf = NULL;
	size_t		 len = 0, cap = 0, r;

	(void)state;
	if ((fp = fopen("/proc/self/mountinfo", "r")) == NULL) {
		skip();
		return;
	}
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap * 2 + 4096;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		if ((r = fread(buf + len, 1, cap - len, fp)) == 0)
			break;
		len += r;
	}
	fclose(fp);
	if (mi_parse(buf, len, &t, &e) == -1)
		fail_msg("/proc/self/mountinfo: %s line %zu",
		    mi_err_name(e.code), e.line);
	assert_true(t.n > 0);
	assert_int_equal(plan_build(&t, NULL, NULL, &p), 0);
	plan_free(&p);
	mi_free(&t);
	free(buf);
}

static int
mut_parse(const uint8_t *b, size_t len, void *arg)
{
	struct mi_table	 t;
	struct mi_error	 e;
	size_t		*nok = arg, i;

	if (mi_parse((const char *)b, len, &t, &e) == 0) {
		(*nok)++;
		for (i = 0; i < t.n; i++)
			if (t.v[i].mnt[0] != '/' || strlen(t.v[i].fstype) == 0)
				return 1;
		mi_free(&t);
		return 0;
	}
	return e.code == MI_OK || e.code == MI_E_NOMEM ||
	    e.code == MI_E_INVAL || e.code >= MI_E__MAX || t.v != NULL;
}

static void
t_mutate(void **state)
{
	static const char s[] = LINE_ROOT
	    "62 25 8:15 /a\\040b /boot/e\\011fi rw,relatime shared:31 master:2 - vfat /dev/sda15 rw,fmask=0022\n"
	    "63 25 0:50 / /t rw - tmpfs  rw\n";
	size_t	 nok = 0, ncases, bad;

	(void)state;
	bad = mut_run((const uint8_t *)s, sizeof(s) - 1, mut_parse, &nok,
	    &ncases);
	printf("mutate mi_parse: %zu cases, %zu parsed, %zu bad\n", ncases,
	    nok, bad);
	assert_int_equal(bad, 0);
	assert_true(nok > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_basic),
		cmocka_unit_test(t_optional_fields),
		cmocka_unit_test(t_long_line),
		cmocka_unit_test(t_escapes),
		cmocka_unit_test(t_empty_source),
		cmocka_unit_test(t_errors),
		cmocka_unit_test(t_nul),
		cmocka_unit_test(t_args),
		cmocka_unit_test(t_opt_has),
		cmocka_unit_test(t_devno),
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_self),
		cmocka_unit_test(t_mutate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
