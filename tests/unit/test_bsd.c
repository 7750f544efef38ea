/*
 * test_bsd.c: FreeBSD hv_vss_opt_msg and ioctl numbers (lib/bsd.c,
 * hvvss_bsd.h, hvvss_bsd_ioctl.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hvvss_bsd.h"
#include "hvvss_bsd_ioctl.h"
#include "hvvss_err.h"
#include "hvvss_vss.h"
#include "mutate.h"

/* FREEZE request: opt 2, status 0, msgid 0x0102030405060708, 48 zeros. */
static const uint8_t freeze64[64] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
};

static int
specific(int e)
{
	return e > HVVSS_OK && e < HVVSS_E__MAX &&
	    strcmp(hvvss_err_name(e), "unknown") != 0;
}

static void
test_encode_decode(void **state)
{
	struct hvvss_bsd_msg m = { HVVSS_BSD_FREEZE, HVVSS_BSD_STATUS_OK,
	    0x0102030405060708ull }, d;
	uint8_t	b[64];

	(void)state;
	memset(b, 0xee, sizeof(b));
	hvvss_bsd_encode(&m, b);
	assert_memory_equal(b, freeze64, sizeof(b));
	assert_int_equal(hvvss_bsd_decode(freeze64, 64, &d), HVVSS_OK);
	assert_int_equal(d.opt, 2);
	assert_int_equal(d.status, 0);
	assert_true(d.msgid == 0x0102030405060708ull);
	/* A failure reply: THAW, status 1. */
	m.opt = HVVSS_BSD_THAW;
	m.status = HVVSS_BSD_STATUS_FAIL;
	m.msgid = ~0ull;
	hvvss_bsd_encode(&m, b);
	assert_memory_equal(b, ((const uint8_t[]){ 3, 0, 0, 0, 1, 0, 0, 0,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }), 16);
	assert_int_equal(hvvss_bsd_decode(b, 64, &d), HVVSS_OK);
	assert_true(d.msgid == ~0ull);
}

static void
test_decode_bad(void **state)
{
	struct hvvss_bsd_msg d;
	uint8_t	b[65];
	size_t	i;

	(void)state;
	memset(b, 0, sizeof(b));
	memcpy(b, freeze64, 64);
	assert_int_equal(hvvss_bsd_decode(b, 63, &d), HVVSS_E_SHORT);
	assert_int_equal(hvvss_bsd_decode(b, 65, &d), HVVSS_E_LONG);
	assert_int_equal(hvvss_bsd_decode(b, 0, &d), HVVSS_E_SHORT);
	assert_int_equal(hvvss_bsd_decode(NULL, 64, &d), HVVSS_E_INVAL);
	b[0] = 4;
	assert_int_equal(hvvss_bsd_decode(b, 64, &d), HVVSS_E_OP);
	assert_int_equal(d.opt, 4);
	assert_true(d.msgid == 0x0102030405060708ull);
	b[0] = 0;
	assert_int_equal(hvvss_bsd_decode(b, 64, &d), HVVSS_OK);
	for (i = 16; i < 64; i++) {
		memcpy(b, freeze64, 64);
		b[i] = 0x80;
		assert_int_equal(hvvss_bsd_decode(b, 64, &d), HVVSS_E_RESERVED);
		assert_int_equal(d.opt, 2);
	}
}

static void
test_mapping(void **state)
{
	unsigned i;

	(void)state;
	assert_int_equal(hvvss_bsd_opt_from_op(HVVSS_OP_FREEZE), 2);
	assert_int_equal(hvvss_bsd_opt_from_op(HVVSS_OP_THAW), 3);
	assert_int_equal(hvvss_bsd_opt_from_op(HVVSS_OP_HOT_BACKUP), 1);
	assert_int_equal(hvvss_bsd_op_from_opt(HVVSS_BSD_FREEZE), 5);
	assert_int_equal(hvvss_bsd_op_from_opt(HVVSS_BSD_THAW), 6);
	assert_int_equal(hvvss_bsd_op_from_opt(HVVSS_BSD_CHECK), 2);
	assert_int_equal(hvvss_bsd_op_from_opt(HVVSS_BSD_NONE), -1);
	assert_int_equal(hvvss_bsd_op_from_opt(4), -1);
	for (i = 0; i < 300; i++) {
		int opt = hvvss_bsd_opt_from_op(i);

		if (i == 2 || i == 5 || i == 6)
			assert_int_equal(hvvss_bsd_op_from_opt((unsigned)opt),
			    (int)i);
		else
			assert_int_equal(opt, -1);
	}
	assert_string_equal(hvvss_bsd_opt_name(0), "none");
	assert_string_equal(hvvss_bsd_opt_name(1), "check");
	assert_string_equal(hvvss_bsd_opt_name(2), "freeze");
	assert_string_equal(hvvss_bsd_opt_name(3), "thaw");
	assert_string_equal(hvvss_bsd_opt_name(4), "unknown");
	assert_string_equal(hvvss_bsd_opt_name(~0u), "unknown");
}

/*
 * 6.2: FreeBSD's numbers.  On Linux the OS encoding is used at run time;
 * Linux puts READ ("out" to the user) at 0x80000000 and WRITE at
 * 0x40000000, the reverse of FreeBSD's IOC_OUT/IOC_IN, so _IOR differs.
 */
static void
test_ioctl_numbers(void **state)
{
	(void)state;
	assert_int_equal(HVVSS_FREEBSD_IOCHVVSSREAD, 0x40407602u);
	assert_int_equal(HVVSS_FREEBSD_IOCHVVSSWRITE, 0x80407603u);
	assert_int_equal(sizeof(struct hvvss_bsd_wire), 64);
#if defined(__linux__)
	assert_int_equal((uint32_t)HVVSS_IOCHVVSSREAD, 0x80407602u);
	assert_int_equal((uint32_t)HVVSS_IOCHVVSSWRITE, 0x40407603u);
#elif defined(__FreeBSD__)
	assert_int_equal((uint32_t)HVVSS_IOCHVVSSREAD,
	    HVVSS_FREEBSD_IOCHVVSSREAD);
	assert_int_equal((uint32_t)HVVSS_IOCHVVSSWRITE,
	    HVVSS_FREEBSD_IOCHVVSSWRITE);
#endif
}

/* Mutation callback: decode; on success the encoding must round-trip. */
static int
mut_bsd(const uint8_t *b, size_t len, void *arg)
{
	struct hvvss_bsd_msg d;
	uint8_t	c[64];
	int	e;

	(void)arg;
	e = hvvss_bsd_decode(b, len, &d);
	if (e == HVVSS_E_OP)
		return len != 64 || d.opt <= 3;
	if (e != HVVSS_OK)
		return !specific(e) || e == HVVSS_E_INVAL;
	if (len != 64 || d.opt > 3)
		return 1;
	/* The daemon's answer echoes opt and msgid. */
	d.status = HVVSS_BSD_STATUS_FAIL;
	hvvss_bsd_encode(&d, c);
	return memcmp(c, b, 4) != 0 || memcmp(c + 8, b + 8, 56) != 0 ||
	    c[4] != 1;
}

static void
test_mutations(void **state)
{
	size_t	n = 0;

	(void)state;
	assert_int_equal(mut_run(freeze64, 64, mut_bsd, NULL, &n), 0);
	assert_true(n > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_decode),
		cmocka_unit_test(test_decode_bad),
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_ioctl_numbers),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
