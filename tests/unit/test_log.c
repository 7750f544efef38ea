/*
 * test_log.c: while holding, nothing reaches stderr; the flush keeps order
 * and original times; overflow is counted, not silent.
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

#include "log.h"

static void
capture_stderr(int *saved, FILE **tmp)
{
	fflush(stderr);
	*tmp = tmpfile();
	assert_non_null(*tmp);
	*saved = dup(2);
	assert_true(dup2(fileno(*tmp), 2) != -1);
}

static char *
restore_stderr(int saved, FILE *tmp)
{
	long	 n;
	char	*buf;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fseek(tmp, 0, SEEK_END);
	n = ftell(tmp);
	rewind(tmp);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	if (n > 0)
		assert_int_equal(fread(buf, 1, (size_t)n, tmp), (size_t)n);
	fclose(tmp);
	return buf;
}

static void
t_hold_order(void **state)
{
	int	 saved;
	FILE	*tmp;
	char	*out;
	char	*a, *b, *c;

	(void)state;
	log_init("test", 1, 1);
	capture_stderr(&saved, &tmp);
	log_hold(1);
	assert_true(log_holding());
	log_info("event=one");
	log_warnx("event=two");
	log_debug("event=three");
	fflush(stderr);
	assert_int_equal(ftell(tmp), 0);	/* nothing written while held */
	log_hold(0);
	log_info("event=four");
	out = restore_stderr(saved, tmp);
	a = strstr(out, "event=one");
	b = strstr(out, "event=two");
	c = strstr(out, "event=three");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_true(a < b && b < c && c < strstr(out, "event=four"));
	free(out);
}

static void
t_overflow(void **state)
{
	int	 saved, i;
	FILE	*tmp;
	char	*out, line[600];

	(void)state;
	log_init("test", 1, 0);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	capture_stderr(&saved, &tmp);
	log_hold(1);
	for (i = 0; i < 1000; i++)
		log_info("event=flood n=%d %s", i, line);
	log_debug("event=invisible");	/* debug off: not even held */
	log_hold(0);
	out = restore_stderr(saved, tmp);
	assert_non_null(strstr(out, "event=flood n=0 "));
	assert_non_null(strstr(out, "event=log-overflow dropped="));
	assert_null(strstr(out, "event=invisible"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_hold_order),
		cmocka_unit_test(t_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
