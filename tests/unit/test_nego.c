/*
 * test_nego.c: version negotiation (lib/nego.c), guest and host roles.
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
#include "hvvss_nego.h"
#include "mutate.h"

/* protocol.md 2.5 worked example: host offers fw {1.0,3.0}, VSS {4.0,5.0}. */
static const uint8_t req52[52] = {
	0x01, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00,	/* DATA, 44 */
	0x03, 0x00, 0x00, 0x00, 0x00, 0x00,		/* fw 3.0, NEGOTIATE */
	0x04, 0x00, 0x00, 0x00, 0x18, 0x00,		/* msgver 4.0, size 24 */
	0x00, 0x00, 0x00, 0x00, 0x07, 0x03, 0x00, 0x00,	/* S_OK, xid 7, 0x03 */
	0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,	/* counts 2/2 */
	0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,	/* fw 1.0, 3.0 */
	0x04, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,	/* VSS 4.0, 5.0 */
};

/* Its reply: icmsgsize 16, 0x05, counts 1/1, 3.0, 5.0, 44..51 as received. */
static const uint8_t rep52[52] = {
	0x01, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x10, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x07, 0x05, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
};

/* An offer with nothing we accept: fw {1.0}, VSS {6.0}; 44 bytes, xid 0. */
static const uint8_t req_nofit[44] = {
	0x01, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x06, 0x00, 0x00, 0x00, 0x10, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00,
};

/* Its reply: counts 0/0, slots zero, status E_FAIL, 0x05, size 16. */
static const uint8_t rep_nofit[44] = {
	0x01, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x06, 0x00, 0x00, 0x00, 0x10, 0x00,
	0x05, 0x40, 0x00, 0x80, 0x00, 0x05, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const struct hvvss_icver fw_pref[] = { { 3, 0 } };
static const struct hvvss_icver vss_pref[] = { { 5, 0 } };
static const struct hvvss_icver host_fw[] = { { 1, 0 }, { 3, 0 } };
static const struct hvvss_icver host_vss[] = { { 4, 0 }, { 5, 0 } };

static int
specific(int e)
{
	return e > HVVSS_OK && e < HVVSS_E__MAX &&
	    strcmp(hvvss_err_name(e), "unknown") != 0;
}

static int
guest(uint8_t *b, size_t len, struct hvvss_icver *fw, struct hvvss_icver *msg)
{
	return hvvss_nego_guest_reply(b, len, fw_pref, 1, vss_pref, 1, fw, msg);
}

static void
test_decode_example(void **state)
{
	struct hvvss_ichdr h;
	struct hvvss_nego n;

	(void)state;
	assert_int_equal(hvvss_nego_decode(req52, sizeof(req52), &h, &n),
	    HVVSS_OK);
	assert_int_equal(n.fw_count, 2);
	assert_int_equal(n.msg_count, 2);
	assert_int_equal(n.fw[0].major, 1);
	assert_int_equal(n.fw[1].major, 3);
	assert_int_equal(n.msg[0].major, 4);
	assert_int_equal(n.msg[1].major, 5);
	assert_int_equal(h.xid, 7);
	/* The reply decodes too: counts 1/1 inside the same payload. */
	assert_int_equal(hvvss_nego_decode(rep52, sizeof(rep52), &h, &n),
	    HVVSS_OK);
	assert_int_equal(n.fw_count, 1);
	assert_int_equal(n.fw[0].major, 3);
	assert_int_equal(n.msg[0].major, 5);
}

static void
test_guest_example(void **state)
{
	struct hvvss_icver fw, msg;
	uint8_t	b[52];

	(void)state;
	memcpy(b, req52, sizeof(b));
	assert_int_equal(guest(b, sizeof(b), &fw, &msg), HVVSS_OK);
	assert_memory_equal(b, rep52, sizeof(b));
	assert_int_equal(fw.major, 3);
	assert_int_equal(fw.minor, 0);
	assert_int_equal(msg.major, 5);
	assert_int_equal(msg.minor, 0);
}

static void
test_guest_noversion(void **state)
{
	struct hvvss_icver fw = { 9, 9 }, msg = { 9, 9 };
	uint8_t	b[44];

	(void)state;
	memcpy(b, req_nofit, sizeof(b));
	assert_int_equal(guest(b, sizeof(b), &fw, &msg), HVVSS_E_NOVERSION);
	assert_memory_equal(b, rep_nofit, sizeof(b));
	assert_int_equal(fw.major, 0);
	assert_int_equal(msg.major, 0);
}

/* FreeBSD would pick 4.0 (2.4); FREEZE needs 5.0, so we must not. */
static void
test_guest_vss4_only(void **state)
{
	static const struct hvvss_icver v4[] = { { 4, 0 } };
	static const struct hvvss_icver pref[] = { { 5, 0 }, { 4, 0 } };
	uint8_t	b[64];
	int	len;

	(void)state;
	len = hvvss_nego_host_offer(b, sizeof(b), 1, host_fw, 2, v4, 1);
	assert_int_equal(len, 48);
	assert_int_equal(hvvss_nego_guest_reply(b, (size_t)len, fw_pref, 1,
	    pref, 2, NULL, NULL), HVVSS_E_NOVERSION);
	assert_int_equal(hvvss_le16(b + 28), 0);
	assert_int_equal(hvvss_le16(b + 30), 0);
	assert_int_equal(hvvss_le32(b + 20), HVVSS_E_FAIL);
	assert_int_equal(b[25], 0x05);
	assert_int_equal(hvvss_le32(b + 36), 0);
	assert_int_equal(hvvss_le32(b + 40), 0);
}

/* Our preference order wins, not the host's (Linux's rule, 2.4). */
static void
test_guest_preference(void **state)
{
	static const struct hvvss_icver fws[] = { { 3, 0 }, { 1, 0 } };
	static const struct hvvss_icver vss[] = { { 5, 0 }, { 6, 0 } };
	static const struct hvvss_icver hvss[] = { { 6, 0 }, { 5, 0 } };
	struct hvvss_icver fw, msg;
	uint8_t	b[64];
	int	len;

	(void)state;
	len = hvvss_nego_host_offer(b, sizeof(b), 2, host_fw, 2, hvss, 2);
	assert_true(len == 52);
	assert_int_equal(hvvss_nego_guest_reply(b, (size_t)len, fws, 2, vss, 2,
	    &fw, &msg), HVVSS_OK);
	assert_int_equal(fw.major, 3);
	assert_int_equal(msg.major, 5);
	/* Minor must match exactly too: 3.1 is not 3.0. */
	len = hvvss_nego_host_offer(b, sizeof(b), 2,
	    (const struct hvvss_icver[]){ { 3, 1 } }, 1, vss_pref, 1);
	assert_int_equal(hvvss_nego_guest_reply(b, (size_t)len, fw_pref, 1,
	    vss_pref, 1, &fw, &msg), HVVSS_E_NOVERSION);
	/* An empty preference list finds nothing. */
	len = hvvss_nego_host_offer(b, sizeof(b), 2, host_fw, 2, host_vss, 2);
	assert_int_equal(hvvss_nego_guest_reply(b, (size_t)len, NULL, 0,
	    vss_pref, 1, NULL, NULL), HVVSS_E_NOVERSION);
	assert_int_equal(hvvss_nego_guest_reply(b, (size_t)len, NULL, 1,
	    vss_pref, 1, NULL, NULL), HVVSS_E_INVAL);
}

/* Malformed requests: the specific error, buffer untouched. */
static void
expect_untouched(uint8_t *b, size_t len, int want)
{
	uint8_t	copy[64];

	memcpy(copy, b, len);
	assert_int_equal(guest(b, len, NULL, NULL), want);
	assert_memory_equal(b, copy, len);
}

static void
test_guest_malformed(void **state)
{
	uint8_t	b[64];

	(void)state;
	memcpy(b, req52, sizeof(req52));
	hvvss_put16(b + 28, 0);
	expect_untouched(b, 52, HVVSS_E_COUNT);
	hvvss_put16(b + 28, 101);
	expect_untouched(b, 52, HVVSS_E_COUNT);
	hvvss_put16(b + 28, 2);
	hvvss_put16(b + 30, 0);
	expect_untouched(b, 52, HVVSS_E_COUNT);
	/* 3 message versions announced, only 2 in the payload. */
	hvvss_put16(b + 30, 3);
	expect_untouched(b, 52, HVVSS_E_SHORT);
	hvvss_put16(b + 30, 2);
	/* A payload of 28 + 4 has no room for the fixed body. */
	hvvss_put32(b + 4, 24);
	hvvss_put16(b + 18, 4);
	expect_untouched(b, 32, HVVSS_E_SHORT);
	memcpy(b, req52, sizeof(req52));
	b[12] = HVVSS_ICMSG_VSS;
	expect_untouched(b, 52, HVVSS_E_MSGTYPE);
	b[12] = 0;
	/* Not a host request: RESPONSE set, or REQUEST missing. */
	b[25] = 0x05;
	expect_untouched(b, 52, HVVSS_E_FLAGS);
	b[25] = 0x01;
	expect_untouched(b, 52, HVVSS_E_FLAGS);
	b[25] = 0x0b;
	expect_untouched(b, 52, HVVSS_E_FLAGS);
	b[25] = 0x03;
	expect_untouched(b, 51, HVVSS_E_PIPE_LEN);
	expect_untouched(b, 27, HVVSS_E_SHORT);
	/* Padding: 7 bytes accepted, 8 refused. */
	memset(b + 52, 0, 12);
	assert_int_equal(guest(b, 59, NULL, NULL), HVVSS_OK);
	memcpy(b, req52, sizeof(req52));
	expect_untouched(b, 60, HVVSS_E_PIPE_LEN);
}

static void
test_decode_limits(void **state)
{
	static uint8_t b[36 + 4 * 200];
	struct hvvss_ichdr h;
	struct hvvss_nego n;
	struct hvvss_icver v[100];
	size_t	i;
	int	len;

	(void)state;
	for (i = 0; i < 100; i++) {
		v[i].major = (uint16_t)i;
		v[i].minor = (uint16_t)(i + 1);
	}
	len = hvvss_nego_host_offer(b, sizeof(b), 9, v, 100, v, 100);
	assert_int_equal(len, 36 + 4 * 200);
	assert_int_equal(hvvss_nego_decode(b, (size_t)len, &h, &n), HVVSS_OK);
	assert_int_equal(n.fw_count, 100);
	assert_int_equal(n.msg_count, 100);
	assert_int_equal(n.msg[99].minor, 100);
	assert_int_equal(hvvss_nego_host_offer(b, sizeof(b), 9, v, 101, v, 1),
	    -1);
	assert_int_equal(hvvss_nego_host_offer(b, sizeof(b), 9, v, 0, v, 1),
	    -1);
	assert_int_equal(hvvss_nego_host_offer(b, 43, 9, v, 1, v, 1), -1);
	assert_int_equal(hvvss_nego_host_offer(b, 44, 9, v, 1, v, 1), 44);
	assert_int_equal(hvvss_nego_decode(NULL, 44, &h, &n), HVVSS_E_INVAL);
}

static void
test_host_offer_literal(void **state)
{
	uint8_t	b[64];

	(void)state;
	memset(b, 0xee, sizeof(b));
	assert_int_equal(hvvss_nego_host_offer(b, sizeof(b), 7, host_fw, 2,
	    host_vss, 2), 52);
	assert_memory_equal(b, req52, sizeof(req52));
	assert_int_equal(b[52], 0xee);
}

static void
test_host_roundtrip(void **state)
{
	struct hvvss_icver fw, msg;
	uint8_t	q[64], r[64];
	int	len;

	(void)state;
	len = hvvss_nego_host_offer(q, sizeof(q), 0x42, host_fw, 2,
	    host_vss, 2);
	memcpy(r, q, (size_t)len);
	assert_int_equal(guest(r, (size_t)len, NULL, NULL), HVVSS_OK);
	assert_int_equal(hvvss_nego_host_check(q, (size_t)len, r, (size_t)len,
	    &fw, &msg), HVVSS_OK);
	assert_int_equal(fw.major, 3);
	assert_int_equal(msg.major, 5);
	/* The refusal reply reads as "no version". */
	memcpy(r, req_nofit, sizeof(req_nofit));
	assert_int_equal(guest(r, sizeof(req_nofit), NULL, NULL),
	    HVVSS_E_NOVERSION);
	assert_int_equal(hvvss_nego_host_check(req_nofit, sizeof(req_nofit),
	    r, sizeof(req_nofit), NULL, NULL), HVVSS_E_NOVERSION);
}

/* Each kind of bad reply to the worked example is refused. */
static int
check_bad(void (*spoil)(uint8_t *, size_t *))
{
	uint8_t	r[64];
	size_t	len = sizeof(rep52);

	memset(r, 0, sizeof(r));
	memcpy(r, rep52, sizeof(rep52));
	spoil(r, &len);
	return hvvss_nego_host_check(req52, sizeof(req52), r, len, NULL, NULL);
}

static void sp_flags(uint8_t *r, size_t *l) { (void)l; r[25] = 0x07; }
static void sp_flags3(uint8_t *r, size_t *l) { (void)l; r[25] = 0x03; }
static void sp_xid(uint8_t *r, size_t *l) { (void)l; r[24] = 8; }
static void sp_count2(uint8_t *r, size_t *l) { (void)l; r[30] = 2; }
static void sp_count0(uint8_t *r, size_t *l) { (void)l; r[28] = 0; }
static void sp_fwver(uint8_t *r, size_t *l) { (void)l; r[36] = 2; }
static void sp_msgver(uint8_t *r, size_t *l) { (void)l; r[40] = 6; }
static void sp_status(uint8_t *r, size_t *l) { (void)l; r[20] = 45; }
static void sp_type(uint8_t *r, size_t *l) { (void)l; r[12] = 5; }
static void sp_pipe(uint8_t *r, size_t *l) { (void)l; r[4] = 0x28; r[18] = 12; }
static void sp_len(uint8_t *r, size_t *l) { r[4] = 0x34; *l = 60; }
static void sp_len4(uint8_t *r, size_t *l) { (void)r; *l = 56; }
static void sp_cut(uint8_t *r, size_t *l) { (void)r; *l = 40; }

static void
test_host_check_bad(void **state)
{
	uint8_t	r[52];

	(void)state;
	assert_int_equal(check_bad(sp_flags), HVVSS_E_FLAGS);
	assert_int_equal(check_bad(sp_flags3), HVVSS_E_FLAGS);
	assert_int_equal(check_bad(sp_xid), HVVSS_E_XID);
	assert_int_equal(check_bad(sp_count2), HVVSS_E_COUNT);
	assert_int_equal(check_bad(sp_count0), HVVSS_E_NOVERSION);
	assert_int_equal(check_bad(sp_fwver), HVVSS_E_VERSION);
	assert_int_equal(check_bad(sp_msgver), HVVSS_E_VERSION);
	assert_int_equal(check_bad(sp_status), HVVSS_E_NOVERSION);
	assert_int_equal(check_bad(sp_type), HVVSS_E_MSGTYPE);
	assert_int_equal(check_bad(sp_pipe), HVVSS_E_MISMATCH);
	assert_int_equal(check_bad(sp_len), HVVSS_E_MISMATCH);
	assert_int_equal(check_bad(sp_len4), HVVSS_E_MISMATCH);
	assert_int_equal(check_bad(sp_cut), HVVSS_E_PIPE_LEN);
	/* FreeBSD's failure: offer echoed, status EOPNOTSUPP (2.6). */
	memcpy(r, req52, sizeof(r));
	r[20] = 45;
	r[25] = 0x05;
	assert_int_equal(hvvss_nego_host_check(req52, sizeof(req52), r,
	    sizeof(r), NULL, NULL), HVVSS_E_NOVERSION);
	/* The request is not a reply. */
	assert_int_equal(hvvss_nego_host_check(req52, sizeof(req52), req52,
	    sizeof(req52), NULL, NULL), HVVSS_E_FLAGS);
	assert_int_equal(hvvss_nego_host_check(rep52, 27, rep52,
	    sizeof(rep52), NULL, NULL), HVVSS_E_INVAL);
}

/* Mutation callbacks. */
static int
mut_decode(const uint8_t *b, size_t len, void *arg)
{
	struct hvvss_ichdr h;
	struct hvvss_nego n;
	struct hvvss_icver fw, msg;
	uint8_t	c[8 + HVVSS_IC_MAX_MSG + HVVSS_IC_MAX_PAD];
	size_t	end;
	int	e;

	(void)arg;
	e = hvvss_nego_decode(b, len, &h, &n);
	if (e != HVVSS_OK)
		return !specific(e) || e == HVVSS_E_INVAL;
	end = 8 + (size_t)h.pipe_len;
	if (n.fw_count < 1 || n.fw_count > 100 || n.msg_count < 1 ||
	    n.msg_count > 100 || h.type != 0 || end > len || len > sizeof(c) ||
	    36 + 4 * ((size_t)n.fw_count + n.msg_count) > end)
		return 1;
	memcpy(c, b, len);
	e = guest(c, len, &fw, &msg);
	if (e == HVVSS_E_FLAGS)
		return memcmp(c, b, len) != 0;
	if (e != HVVSS_OK && e != HVVSS_E_NOVERSION)
		return 1;
	/* Reply: only status, flags, size, counts and slots changed. */
	if (c[25] != 0x05 || hvvss_le16(c + 18) != 16 ||
	    memcmp(c, b, 18) != 0 || c[24] != b[24] ||
	    memcmp(c + 26, b + 26, 2) != 0 || memcmp(c + 32, b + 32, 4) != 0 ||
	    memcmp(c + 44, b + 44, len - 44) != 0)
		return 1;
	if (e == HVVSS_OK)
		return fw.major != 3 || msg.major != 5 ||
		    hvvss_le32(c + 20) != 0 ||
		    hvvss_nego_host_check(b, len, c, len, NULL, NULL) !=
		    HVVSS_OK;
	return hvvss_le16(c + 28) != 0 || hvvss_le32(c + 20) != HVVSS_E_FAIL;
}

static void
test_mut_decode(void **state)
{
	size_t	n = 0;

	(void)state;
	assert_int_equal(mut_run(req52, sizeof(req52), mut_decode, NULL, &n),
	    0);
	assert_true(n > 0);
	assert_int_equal(mut_run(rep52, sizeof(rep52), mut_decode, NULL, &n),
	    0);
	assert_true(n > 0);
}

/* The host's check of a mutated reply to the worked example. */
static int
mut_check(const uint8_t *b, size_t len, void *arg)
{
	struct hvvss_icver fw = { 0, 0 }, msg = { 0, 0 };
	int	e;

	(void)arg;
	e = hvvss_nego_host_check(req52, sizeof(req52), b, len, &fw, &msg);
	if (e != HVVSS_OK)
		return !specific(e) || e == HVVSS_E_INVAL;
	return len != sizeof(req52) || b[25] != 0x05 || b[24] != 7 ||
	    hvvss_le16(b + 28) != 1 || hvvss_le16(b + 30) != 1 ||
	    (fw.major != 1 && fw.major != 3) || fw.minor != 0 ||
	    (msg.major != 4 && msg.major != 5) || msg.minor != 0;
}

static void
test_mut_check(void **state)
{
	size_t	n = 0;

	(void)state;
	assert_int_equal(mut_run(rep52, sizeof(rep52), mut_check, NULL, &n),
	    0);
	assert_true(n > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_example),
		cmocka_unit_test(test_guest_example),
		cmocka_unit_test(test_guest_noversion),
		cmocka_unit_test(test_guest_vss4_only),
		cmocka_unit_test(test_guest_preference),
		cmocka_unit_test(test_guest_malformed),
		cmocka_unit_test(test_decode_limits),
		cmocka_unit_test(test_host_offer_literal),
		cmocka_unit_test(test_host_roundtrip),
		cmocka_unit_test(test_host_check_bad),
		cmocka_unit_test(test_mut_decode),
		cmocka_unit_test(test_mut_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
