/*
 * test_config.c: hvvss.conf parsing: values, errors with line numbers, and
 * deterministic mutations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "mutate.h"
#include "xport.h"

static const char good[] =
    "# hvvss.conf\n"
    "[daemon]\n"
    "transport = freebsd\n"
    "device = /dev/hv_fsvss_dev\n"
    "\n"
    "[freeze]\n"
    "deadline = 45   ; seconds\n"
    "accept_frozen = yes\n"
    "expedite_rcu = no\n"
    "include = /srv\n"
    "include = /var/lib/pg data\n"
    "exclude = /scratch\n";

static void
t_good(void **state)
{
	struct config	c;

	(void)state;
	config_init(&c);
	assert_int_equal(config_parse(&c, good), 0);
	assert_int_equal(c.transport, XPORT_FREEBSD);
	assert_string_equal(c.device, "/dev/hv_fsvss_dev");
	assert_int_equal(c.deadline_s, 45);
	assert_int_equal(c.accept_frozen, 1);
	assert_int_equal(c.expedite_rcu, 0);
	assert_int_equal(c.ninclude, 2);
	assert_string_equal(c.include[0], "/srv");
	assert_string_equal(c.include[1], "/var/lib/pg data");
	assert_null(c.include[2]);
	assert_int_equal(c.nexclude, 1);
	assert_string_equal(c.exclude[0], "/scratch");
	config_free(&c);
}

static void
t_empty(void **state)
{
	struct config	c;

	(void)state;
	config_init(&c);
	assert_int_equal(config_parse(&c, ""), 0);
	assert_int_equal(c.transport, -1);
	assert_int_equal(c.deadline_s, 0);
	assert_int_equal(c.accept_frozen, -1);
	assert_int_equal(c.expedite_rcu, -1);
	config_free(&c);
}

struct bad_case {
	const char	*text;
	int		 line;
	const char	*msg;
};

static void
t_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ "[freeze]\ndeadline = 10\nfrobnicate = 1\n", 3,
		    "unknown key: frobnicate" },
		{ "[nosuch]\nx = 1\n", 2, "unknown section: nosuch" },
		{ "[freeze]\ndeadline = 0\n", 2, "deadline must be" },
		{ "[freeze]\ndeadline = 3601\n", 2, "deadline must be" },
		{ "[freeze]\ndeadline = -5\n", 2, "deadline must be" },
		{ "[freeze]\ndeadline = 10s\n", 2, "deadline must be" },
		{ "[freeze]\ndeadline = 10\ndeadline = 20\n", 3,
		    "duplicate key: deadline" },
		{ "[freeze]\naccept_frozen = maybe\n", 2, "accept_frozen" },
		{ "[hooks]\nvmware = perhaps\n", 2,
		    "vmware must be yes or no: perhaps" },
		{ "[freeze]\nexpedite_rcu = sometimes\n", 2,
		    "expedite_rcu must be yes or no" },
		{ "[freeze]\nexpedite_rcu = yes\nexpedite_rcu = no\n", 3,
		    "duplicate key: expedite_rcu" },
		{ "[freeze]\ninclude = relative/path\n", 2,
		    "not an absolute path" },
		{ "[daemon]\ntransport = windows\n", 2, "transport must be" },
		{ "[daemon]\ndevice = dev/x\n", 2, "device is not" },
		{ "[daemon\n", 1, "syntax error" },
		{ "key without section = 1\n", 1, "unknown section" },
		{ "[freeze]\njust a line\n", 2, "syntax error" },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config	c;

		config_init(&c);
		assert_int_equal(config_parse(&c, cases[i].text), -1);
		assert_int_equal(c.err_line, cases[i].line);
		if (strstr(c.err, cases[i].msg) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, c.err,
			    cases[i].msg);
		config_free(&c);
	}
}

static void
t_list_limit(void **state)
{
	struct config	c;
	char		*text, *p;
	size_t		 i;

	(void)state;
	text = malloc(80 * 32 + 16);
	assert_non_null(text);
	p = text + sprintf(text, "[freeze]\n");
	for (i = 0; i < 65; i++)
		p += sprintf(p, "exclude = /m%zu\n", i);
	config_init(&c);
	assert_int_equal(config_parse(&c, text), -1);
	assert_int_equal(c.err_line, 66);
	config_free(&c);
	free(text);
}

static int
mut_cb(const uint8_t *b, size_t len, void *arg)
{
	struct config	 c;
	char		*s;
	size_t		 i;
	int		 r;

	(void)arg;
	/* The file loader refuses NUL bytes; the string API stops at one. */
	s = malloc(len + 1);
	if (s == NULL)
		return 1;
	memcpy(s, b, len);
	s[len] = '\0';
	config_init(&c);
	r = config_parse(&c, s);
	free(s);
	if (r == 0) {
		if (c.ninclude > CONFIG_MAX_LIST || c.nexclude > CONFIG_MAX_LIST ||
		    c.include[c.ninclude] != NULL ||
		    c.exclude[c.nexclude] != NULL)
			return 1;
		for (i = 0; i < c.ninclude; i++)
			if (c.include[i][0] != '/')
				return 1;
		if (c.deadline_s > 3600)
			return 1;
	} else if (r != -1 || c.err[0] == '\0')
		return 1;
	config_free(&c);
	return 0;
}

static void
t_mutations(void **state)
{
	size_t	n = 0;

	(void)state;
	assert_int_equal(mut_run((const uint8_t *)good, sizeof(good) - 1,
	    mut_cb, NULL, &n), 0);
	assert_true(n > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_good),
		cmocka_unit_test(t_empty),
		cmocka_unit_test(t_errors),
		cmocka_unit_test(t_list_limit),
		cmocka_unit_test(t_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
