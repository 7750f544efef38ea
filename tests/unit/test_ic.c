/*
 * test_ic.c: pipe + IC header (lib/ic.c), error and name tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hvvss_err.h"
#include "hvvss_ic.h"
#include "mutate.h"

/* protocol.md 2.5 worked example request: 52 bytes, xid 7. */
static const uint8_t nego52[52] = {
	0x01, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00,	/* DATA, 44 */
	0x03, 0x00, 0x00, 0x00, 0x00, 0x00,		/* fw 3.0, type 0 */
	0x04, 0x00, 0x00, 0x00, 0x18, 0x00,		/* msgver 4.0, 24 */
	0x00, 0x00, 0x00, 0x00, 0x07, 0x03, 0x00, 0x00,	/* status, xid, flags */
	0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,	/* counts 2/2 */
	0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,	/* fw 1.0, 3.0 */
	0x04, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,	/* msg 4.0, 5.0 */
};

static int
specific(int e)
{
	return e > HVVSS_OK && e < HVVSS_E__MAX &&
	    strcmp(hvvss_err_name(e), "unknown") != 0;
}

static void
test_le_helpers(void **state)
{
	static const uint8_t b[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	    0x07, 0x88 };
	uint8_t	o[8];

	(void)state;
	assert_int_equal(hvvss_le16(b), 0x0201);
	assert_int_equal(hvvss_le32(b), 0x04030201u);
	assert_true(hvvss_le64(b) == 0x8807060504030201ull);
	memset(o, 0, sizeof(o));
	hvvss_put16(o, 0xbeef);
	assert_int_equal(o[0], 0xef);
	assert_int_equal(o[1], 0xbe);
	hvvss_put32(o, 0x80004005u);
	assert_memory_equal(o, ((const uint8_t[]){ 0x05, 0x40, 0x00, 0x80 }), 4);
	hvvss_put64(o, 0x8807060504030201ull);
	assert_memory_equal(o, b, 8);
}

static void
test_decode_known(void **state)
{
	struct hvvss_ichdr h;

	(void)state;
	assert_int_equal(hvvss_ic_decode(nego52, sizeof(nego52), &h), HVVSS_OK);
	assert_int_equal(h.pipe_type, 1);
	assert_int_equal(h.pipe_len, 44);
	assert_int_equal(h.fw.major, 3);
	assert_int_equal(h.fw.minor, 0);
	assert_int_equal(h.type, HVVSS_ICMSG_NEGOTIATE);
	assert_int_equal(h.msgver.major, 4);
	assert_int_equal(h.size, 24);
	assert_int_equal(h.status, 0);
	assert_int_equal(h.xid, 7);
	assert_int_equal(h.flags, 0x03);
	assert_int_equal(h.reserved, 0);
	assert_int_equal(hvvss_ic_check_request(&h), HVVSS_OK);
	assert_int_equal(hvvss_ic_check_response(&h), HVVSS_E_FLAGS);
}

static void
test_decode_lengths(void **state)
{
	struct hvvss_ichdr h;
	uint8_t	b[80];

	(void)state;
	memset(b, 0, sizeof(b));
	memcpy(b, nego52, sizeof(nego52));
	assert_int_equal(hvvss_ic_decode(b, 27, &h), HVVSS_E_SHORT);
	assert_int_equal(hvvss_ic_decode(b, 0, &h), HVVSS_E_SHORT);
	/* Padding: up to 7 bytes past 8 + pipe_len, not 8. */
	assert_int_equal(hvvss_ic_decode(b, 59, &h), HVVSS_OK);
	assert_int_equal(hvvss_ic_decode(b, 60, &h), HVVSS_E_PIPE_LEN);
	/* Payload shorter than msgsize. */
	assert_int_equal(hvvss_ic_decode(b, 51, &h), HVVSS_E_PIPE_LEN);
	/* Pipe type other than DATA. */
	b[0] = 2;
	assert_int_equal(hvvss_ic_decode(b, 52, &h), HVVSS_E_PIPE_TYPE);
	assert_int_equal(h.pipe_type, 2);	/* filled even when refused */
	b[0] = 1;
	/* icmsgsize past the payload: 28 + 25 > 52. */
	b[18] = 25;
	assert_int_equal(hvvss_ic_decode(b, 52, &h), HVVSS_E_IC_SIZE);
	b[18] = 24;
	/* pipe_len 13313 > IC_MAXIMUM_MESSAGE_SIZE. */
	hvvss_put32(b + 4, 13313);
	assert_int_equal(hvvss_ic_decode(b, 52, &h), HVVSS_E_LONG);
	hvvss_put32(b + 4, 0xffffffffu);
	assert_int_equal(hvvss_ic_decode(b, 52, &h), HVVSS_E_LONG);
	/* pipe_len 19: IC header not inside the payload. */
	hvvss_put32(b + 4, 19);
	b[18] = 0;
	assert_int_equal(hvvss_ic_decode(b, 28, &h), HVVSS_E_IC_SIZE);
	hvvss_put32(b + 4, 20);
	assert_int_equal(hvvss_ic_decode(b, 28, &h), HVVSS_OK);
	assert_int_equal(hvvss_ic_decode(NULL, 28, &h), HVVSS_E_INVAL);
	assert_int_equal(hvvss_ic_decode(b, 28, NULL), HVVSS_E_INVAL);
}

static void
test_decode_max(void **state)
{
	static uint8_t b[8 + HVVSS_IC_MAX_MSG + 8];
	struct hvvss_ichdr h;

	(void)state;
	memset(b, 0, sizeof(b));
	memcpy(b, nego52, 28);
	hvvss_put32(b + 4, HVVSS_IC_MAX_MSG);
	assert_int_equal(hvvss_ic_decode(b, 8 + HVVSS_IC_MAX_MSG, &h), HVVSS_OK);
	assert_int_equal(hvvss_ic_decode(b, 8 + HVVSS_IC_MAX_MSG + 7, &h),
	    HVVSS_OK);
	assert_int_equal(hvvss_ic_decode(b, sizeof(b), &h), HVVSS_E_LONG);
}

static void
test_reserved_not_judged(void **state)
{
	struct hvvss_ichdr h;
	uint8_t	b[52];

	(void)state;
	memcpy(b, nego52, sizeof(b));
	b[26] = 0xaa;
	b[27] = 0x55;
	assert_int_equal(hvvss_ic_decode(b, sizeof(b), &h), HVVSS_OK);
	assert_int_equal(h.reserved, 0x55aa);
	assert_int_equal(hvvss_ic_check_request(&h), HVVSS_OK);
}

static void
test_check_flags(void **state)
{
	struct hvvss_ichdr h;
	unsigned f;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (f = 0; f < 256; f++) {
		h.flags = (uint8_t)f;
		assert_int_equal(hvvss_ic_check_request(&h),
		    f == 0x03 ? HVVSS_OK : HVVSS_E_FLAGS);
		assert_int_equal(hvvss_ic_check_response(&h),
		    f == 0x05 ? HVVSS_OK : HVVSS_E_FLAGS);
	}
	assert_int_equal(hvvss_ic_check_request(NULL), HVVSS_E_INVAL);
	assert_int_equal(hvvss_ic_check_response(NULL), HVVSS_E_INVAL);
}

static void
test_encode_roundtrip(void **state)
{
	struct hvvss_ichdr h, g;
	uint8_t	b[28];

	(void)state;
	assert_int_equal(hvvss_ic_decode(nego52, sizeof(nego52), &h), HVVSS_OK);
	h.reserved = 0x1234;
	assert_int_equal(hvvss_ic_encode(&h, b, sizeof(b)), HVVSS_OK);
	assert_memory_equal(b, nego52, 26);
	assert_int_equal(b[26], 0x34);
	assert_int_equal(b[27], 0x12);
	assert_int_equal(hvvss_ic_encode(&h, b, 27), HVVSS_E_NOSPACE);
	assert_int_equal(hvvss_ic_encode(NULL, b, 28), HVVSS_E_INVAL);
	/* pipe_len 20 makes the 28 bytes alone a valid packet. */
	h.pipe_len = 20;
	h.size = 0;
	assert_int_equal(hvvss_ic_encode(&h, b, sizeof(b)), HVVSS_OK);
	assert_int_equal(hvvss_ic_decode(b, sizeof(b), &g), HVVSS_OK);
	assert_memory_equal(&g.fw, &h.fw, sizeof(h.fw));
	assert_int_equal(g.xid, h.xid);
	assert_int_equal(g.reserved, 0x1234);
}

static void
test_set_reply(void **state)
{
	uint8_t	b[52];

	(void)state;
	memcpy(b, nego52, sizeof(b));
	assert_int_equal(hvvss_ic_set_reply(b, sizeof(b), HVVSS_E_FAIL),
	    HVVSS_OK);
	assert_memory_equal(b, nego52, 20);
	assert_memory_equal(b + 20, ((const uint8_t[]){ 0x05, 0x40, 0x00,
	    0x80, 0x07, 0x05 }), 6);
	assert_memory_equal(b + 26, nego52 + 26, sizeof(b) - 26);
	assert_int_equal(hvvss_ic_set_reply(b, 27, 0), HVVSS_E_SHORT);
	assert_int_equal(hvvss_ic_set_reply(NULL, 28, 0), HVVSS_E_INVAL);
}

static void
test_names(void **state)
{
	int	i, j;

	(void)state;
	for (i = 0; i < HVVSS_E__MAX; i++) {
		assert_string_not_equal(hvvss_err_name(i), "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(hvvss_err_name(i),
			    hvvss_err_name(j));
	}
	assert_string_equal(hvvss_err_name(HVVSS_OK), "ok");
	assert_string_equal(hvvss_err_name(HVVSS_E_SHORT), "short");
	assert_string_equal(hvvss_err_name(HVVSS_E_PIPE_LEN), "pipe-len");
	assert_string_equal(hvvss_err_name(-1), "unknown");
	assert_string_equal(hvvss_err_name(HVVSS_E__MAX), "unknown");
	assert_string_equal(hvvss_ic_type_name(0), "negotiate");
	assert_string_equal(hvvss_ic_type_name(5), "vss");
	assert_string_equal(hvvss_ic_type_name(8), "vm-session");
	assert_string_equal(hvvss_ic_type_name(9), "unknown");
	assert_string_equal(hvvss_ic_type_name(~0u), "unknown");
	assert_string_equal(hvvss_status_name(0), "S_OK");
	assert_string_equal(hvvss_status_name(0x80004005u), "E_FAIL");
	assert_string_equal(hvvss_status_name(0x80070032u),
	    "ERROR_NOT_SUPPORTED");
	assert_string_equal(hvvss_status_name(45), "unknown");
}

/* Mutation callback: decode, check the invariants, reply on a copy. */
static int
mut_ic(const uint8_t *b, size_t len, void *arg)
{
	struct hvvss_ichdr h;
	uint8_t	c[8 + HVVSS_IC_MAX_MSG + HVVSS_IC_MAX_PAD];
	size_t	end;
	int	e;

	(void)arg;
	e = hvvss_ic_decode(b, len, &h);
	if (e != HVVSS_OK)
		return !specific(e) || e == HVVSS_E_INVAL;
	end = 8 + (size_t)h.pipe_len;
	if (h.pipe_type != 1 || h.pipe_len > HVVSS_IC_MAX_MSG || end > len ||
	    len - end > 7 || 28 + (size_t)h.size > end ||
	    len > sizeof(c))
		return 1;
	memcpy(c, b, len);
	if (hvvss_ic_set_reply(c, len, HVVSS_E_FAIL) != HVVSS_OK ||
	    c[25] != 0x05 || hvvss_le32(c + 20) != HVVSS_E_FAIL ||
	    memcmp(c, b, 20) != 0 || memcmp(c + 24, b + 24, 1) != 0 ||
	    memcmp(c + 26, b + 26, len - 26) != 0)
		return 1;
	(void)hvvss_ic_check_request(&h);
	return 0;
}

static void
test_mutations(void **state)
{
	size_t	n = 0, bad;

	(void)state;
	bad = mut_run(nego52, sizeof(nego52), mut_ic, NULL, &n);
	assert_int_equal(bad, 0);
	assert_true(n > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_le_helpers),
		cmocka_unit_test(test_decode_known),
		cmocka_unit_test(test_decode_lengths),
		cmocka_unit_test(test_decode_max),
		cmocka_unit_test(test_reserved_not_judged),
		cmocka_unit_test(test_check_flags),
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test(test_set_reply),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
