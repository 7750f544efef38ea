/*
 * test_lnx.c: Linux kernel <-> daemon messages (lib/lnx.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hvvss_err.h"
#include "hvvss_lnx.h"
#include "hvvss_vss.h"
#include "mutate.h"

static const uint8_t reg1[12] = { 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
static const uint8_t reg_reply[4] = { 0x81, 0x00, 0x00, 0x00 };
static const uint8_t freeze12[12] = { 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
static const uint8_t efail12[12] = { 0x05, 0x40, 0x00, 0x80, 0, 0, 0, 0,
    0, 0, 0, 0 };

static int
specific(int e)
{
	return e > HVVSS_OK && e < HVVSS_E__MAX &&
	    strcmp(hvvss_err_name(e), "unknown") != 0;
}

static void
test_register(void **state)
{
	uint8_t	b[12];
	uint32_t v;

	(void)state;
	memset(b, 0xee, sizeof(b));
	hvvss_lnx_encode_register(b);
	assert_memory_equal(b, reg1, sizeof(b));
	memset(b, 0xee, sizeof(b));
	hvvss_lnx_encode_register_reply(b);
	assert_memory_equal(b, reg_reply, 4);
	assert_int_equal(b[4], 0xee);
	assert_int_equal(hvvss_lnx_decode_register_reply(reg_reply, 4, &v),
	    HVVSS_OK);
	assert_int_equal(v, 129);
	assert_int_equal(hvvss_lnx_decode_register_reply(reg_reply, 3, &v),
	    HVVSS_E_SHORT);
	assert_int_equal(hvvss_lnx_decode_register_reply(reg1, 12, &v),
	    HVVSS_E_LONG);
	assert_int_equal(hvvss_lnx_decode_register_reply(
	    (const uint8_t[]){ 0x80, 0, 0, 0 }, 4, &v), HVVSS_E_VERSION);
	assert_int_equal(v, 128);
	assert_int_equal(hvvss_lnx_decode_register_reply(NULL, 4, &v),
	    HVVSS_E_INVAL);
}

static void
test_reply(void **state)
{
	uint8_t	b[12];

	(void)state;
	memset(b, 0xee, sizeof(b));
	hvvss_lnx_encode_reply(b, HVVSS_E_FAIL);
	assert_memory_equal(b, efail12, sizeof(b));
	hvvss_lnx_encode_reply(b, HVVSS_S_OK);
	assert_memory_equal(b, ((const uint8_t[12]){ 0 }), sizeof(b));
}

static void
test_decode_request(void **state)
{
	static const uint8_t ops[] = { 2, 5, 6 };
	uint8_t	b[13], op;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(ops); i++) {
		hvvss_lnx_encode_request(b, ops[i]);
		op = 0xee;
		assert_int_equal(hvvss_lnx_decode_request(b, 12, &op), HVVSS_OK);
		assert_int_equal(op, ops[i]);
	}
	assert_int_equal(hvvss_lnx_decode_request(freeze12, 12, &op),
	    HVVSS_OK);
	assert_int_equal(op, HVVSS_OP_FREEZE);
	/* Unknown op: E_OP, op still reported. */
	hvvss_lnx_encode_request(b, 3);
	assert_int_equal(hvvss_lnx_decode_request(b, 12, &op), HVVSS_E_OP);
	assert_int_equal(op, 3);
	hvvss_lnx_encode_request(b, 129);
	assert_int_equal(hvvss_lnx_decode_request(b, 12, &op), HVVSS_E_OP);
	assert_int_equal(op, 129);
	/* Reserved or flags bytes non-zero. */
	for (i = 1; i < 12; i++) {
		hvvss_lnx_encode_request(b, 6);
		b[i] = 1;
		assert_int_equal(hvvss_lnx_decode_request(b, 12, &op),
		    HVVSS_E_RESERVED);
		assert_int_equal(op, 6);
	}
	/* Wrong lengths: op 0. */
	hvvss_lnx_encode_request(b, 5);
	b[12] = 0;
	op = 0xee;
	assert_int_equal(hvvss_lnx_decode_request(b, 11, &op), HVVSS_E_SHORT);
	assert_int_equal(op, 0);
	op = 0xee;
	assert_int_equal(hvvss_lnx_decode_request(b, 13, &op), HVVSS_E_LONG);
	assert_int_equal(op, 0);
	assert_int_equal(hvvss_lnx_decode_request(b, 0, &op), HVVSS_E_SHORT);
	assert_int_equal(hvvss_lnx_decode_request(NULL, 12, &op),
	    HVVSS_E_INVAL);
}

static void
test_decode_daemon(void **state)
{
	uint8_t	b[12];
	uint32_t st;
	int	kind;

	(void)state;
	assert_int_equal(hvvss_lnx_decode_daemon(reg1, 12, &kind, &st),
	    HVVSS_OK);
	assert_int_equal(kind, HVVSS_LNX_KIND_REGISTER1);
	assert_int_equal(st, 0);
	memcpy(b, reg1, sizeof(b));
	b[0] = 128;
	assert_int_equal(hvvss_lnx_decode_daemon(b, 12, &kind, &st), HVVSS_OK);
	assert_int_equal(kind, HVVSS_LNX_KIND_REGISTER);
	assert_int_equal(hvvss_lnx_decode_daemon(efail12, 12, &kind, &st),
	    HVVSS_OK);
	assert_int_equal(kind, HVVSS_LNX_REPLY);
	assert_int_equal(st, HVVSS_E_FAIL);
	/* 9.1 item 1: a status whose low byte is 0x81 reads as REGISTER1. */
	hvvss_lnx_encode_reply(b, 0x80004081u);
	assert_int_equal(hvvss_lnx_decode_daemon(b, 12, &kind, &st), HVVSS_OK);
	assert_int_equal(kind, HVVSS_LNX_KIND_REGISTER1);
	/* The kernel ignores bytes 4..11. */
	hvvss_lnx_encode_reply(b, 0);
	memset(b + 4, 0xff, 8);
	assert_int_equal(hvvss_lnx_decode_daemon(b, 12, &kind, &st), HVVSS_OK);
	assert_int_equal(kind, HVVSS_LNX_REPLY);
	assert_int_equal(st, 0);
	assert_int_equal(hvvss_lnx_decode_daemon(b, 11, &kind, &st),
	    HVVSS_E_SHORT);
	assert_int_equal(hvvss_lnx_decode_daemon(reg1, 4, &kind, &st),
	    HVVSS_E_SHORT);
	assert_int_equal(hvvss_lnx_decode_daemon(NULL, 12, &kind, &st),
	    HVVSS_E_INVAL);
}

/* Mutation callbacks. */
static int
mut_request(const uint8_t *b, size_t len, void *arg)
{
	uint8_t	op = 0xee, r[12];
	size_t	i;
	int	e;

	(void)arg;
	e = hvvss_lnx_decode_request(b, len, &op);
	if (e == HVVSS_E_SHORT || e == HVVSS_E_LONG)
		return len == 12 || op != 0;
	if (e == HVVSS_E_OP || e == HVVSS_E_RESERVED)
		return len != 12 || op != b[0];
	if (e != HVVSS_OK)
		return 1;
	if (len != 12 || op != b[0] || (op != 2 && op != 5 && op != 6))
		return 1;
	for (i = 1; i < 12; i++)
		if (b[i] != 0)
			return 1;
	/* Answer it; the kernel side must read our reply back. */
	hvvss_lnx_encode_reply(r, HVVSS_E_FAIL);
	return hvvss_lnx_decode_daemon(r, 12, &e, &(uint32_t){ 0 }) != HVVSS_OK;
}

static int
mut_daemon(const uint8_t *b, size_t len, void *arg)
{
	uint32_t st = 1;
	int	e, kind = -1;

	(void)arg;
	e = hvvss_lnx_decode_daemon(b, len, &kind, &st);
	if (e != HVVSS_OK)
		return !specific(e) || e == HVVSS_E_INVAL || len == 12;
	if (len != 12)
		return 1;
	if (b[0] == 128)
		return kind != HVVSS_LNX_KIND_REGISTER || st != 0;
	if (b[0] == 129)
		return kind != HVVSS_LNX_KIND_REGISTER1 || st != 0;
	return kind != HVVSS_LNX_REPLY || st != ((uint32_t)b[0] |
	    (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
}

static int
mut_reg_reply(const uint8_t *b, size_t len, void *arg)
{
	uint32_t v = 1;
	int	e;

	(void)arg;
	e = hvvss_lnx_decode_register_reply(b, len, &v);
	if (e == HVVSS_OK)
		return len != 4 || v != 129;
	if (e == HVVSS_E_VERSION)
		return len != 4 || v == 129;
	return !specific(e) || e == HVVSS_E_INVAL || len == 4;
}

static void
test_mutations(void **state)
{
	size_t	n = 0;

	(void)state;
	assert_int_equal(mut_run(freeze12, 12, mut_request, NULL, &n), 0);
	assert_true(n > 0);
	assert_int_equal(mut_run(efail12, 12, mut_daemon, NULL, &n), 0);
	assert_true(n > 0);
	assert_int_equal(mut_run(reg1, 12, mut_daemon, NULL, &n), 0);
	assert_true(n > 0);
	assert_int_equal(mut_run(reg_reply, 4, mut_reg_reply, NULL, &n), 0);
	assert_true(n > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_decode_request),
		cmocka_unit_test(test_decode_daemon),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
