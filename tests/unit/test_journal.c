/*
 * test_journal.c: the /run journal: write, parse back, refuse damage.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "freeze.h"
#include "journal.h"
#include "mutate.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp = fopen(path, "r");
	char	*buf;

	assert_non_null(fp);
	buf = calloc(1, 65536);
	assert_non_null(buf);
	*len = fread(buf, 1, 65535, fp);
	fclose(fp);
	return buf;
}

static void
t_roundtrip(void **state)
{
	struct frz_fs		 v[3];
	struct frz		 f;
	struct journal_entry	 e[8];
	char			 dir[] = "/tmp/hvvss-journal-XXXXXX", path[128];
	char			*text;
	size_t			 len, n, errline;

	(void)state;
	memset(&f, 0, sizeof(f));
	memset(v, 0, sizeof(v));
	v[0].mnt = (char *)(uintptr_t)"/srv/a b";
	v[0].mnt_id = 31; v[0].major = 7; v[0].minor = 0; v[0].frozen = 1;
	v[1].mnt = (char *)(uintptr_t)"/tank";
	v[1].sync_only = 1;
	v[2].mnt = (char *)(uintptr_t)"/";
	v[2].mnt_id = 22; v[2].major = 254; v[2].minor = 1; v[2].frozen = 0;
	f.v = v;
	f.n = 3;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/frozen", dir);

	/* all: every planned (non sync-only) filesystem */
	assert_int_equal(journal_write(path, &f, 1), 0);
	text = slurp(path, &len);
	assert_string_equal(text, "hvvss-journal 1\n31 7:0 /srv/a\\040b\n"
	    "22 254:1 /\n");
	assert_int_equal(journal_parse(text, len, e, 8, &n, &errline), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].mnt, "/srv/a b");
	assert_int_equal(e[0].mnt_id, 31);
	assert_int_equal(e[1].major, 254);
	free(text);

	/* only what is frozen */
	assert_int_equal(journal_write(path, &f, 0), 0);
	text = slurp(path, &len);
	assert_string_equal(text, "hvvss-journal 1\n31 7:0 /srv/a\\040b\n");
	free(text);

	/* no journal: nothing to do */
	assert_int_equal(journal_remove(path), 0);
	assert_int_equal(journal_recover(path), 0);
	assert_int_equal(journal_remove(path), 0);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

static void
t_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"hvvss-journal 2\n",
		"hvvss-journal 1",
		"hvvss-journal 1\n31 7:0 /a",
		"hvvss-journal 1\n31 7:0 relative\n",
		"hvvss-journal 1\nx 7:0 /a\n",
		"hvvss-journal 1\n31 7-0 /a\n",
		"hvvss-journal 1\n31 7:0\n",
		"hvvss-journal 1\n-1 7:0 /a\n",
		"hvvss-journal 1\n31 7:0 /a\\9\n",
	};
	struct journal_entry	e[4];
	size_t			i, n, errline;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = strdup(bad[i]);

		assert_int_equal(journal_parse(t, strlen(t), e, 4, &n,
		    &errline), -1);
		assert_true(errline >= 1);
		free(t);
	}
}

static int
mut_cb(const uint8_t *b, size_t len, void *arg)
{
	struct journal_entry	 e[8];
	size_t			 n, errline, i;
	char			*t;
	int			 r;

	(void)arg;
	t = malloc(len + 1);
	if (t == NULL)
		return 1;
	memcpy(t, b, len);
	t[len] = 'Z';	/* a canary the parser must not read */
	r = journal_parse(t, len, e, 8, &n, &errline);
	if (r == 0) {
		if (n > 8)
			return 1;
		for (i = 0; i < n; i++)
			if (e[i].mnt < t || e[i].mnt >= t + len ||
			    e[i].mnt[0] != '/')
				return 1;
	} else if (errline == 0)
		return 1;
	free(t);
	return 0;
}

static void
t_mutations(void **state)
{
	static const char seed[] =
	    "hvvss-journal 1\n31 7:0 /srv/a\\040b\n22 254:1 /\n";
	size_t	n = 0;

	(void)state;
	assert_int_equal(mut_run((const uint8_t *)seed, sizeof(seed) - 1,
	    mut_cb, NULL, &n), 0);
	assert_true(n > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_roundtrip),
		cmocka_unit_test(t_bad),
		cmocka_unit_test(t_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
