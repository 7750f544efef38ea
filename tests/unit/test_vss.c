/*
 * test_vss.c: VSS operation messages (lib/vss.c), guest and host roles.
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
#include "hvvss_vss.h"
#include "mutate.h"

#define MAXPKT	(8 + HVVSS_IC_MAX_MSG + HVVSS_IC_MAX_PAD)

/* HOT_BACKUP, simple 60-byte IC_VSS_MSG form, xid 0x2a, flags 0. */
static const uint8_t hb60[60] = {
	0x01, 0x00, 0x00, 0x00, 0x34, 0x00, 0x00, 0x00,	/* DATA, 52 */
	0x03, 0x00, 0x00, 0x00, 0x05, 0x00,		/* fw 3.0, VSS */
	0x05, 0x00, 0x00, 0x00, 0x20, 0x00,		/* 5.0, size 32 */
	0x00, 0x00, 0x00, 0x00, 0x2a, 0x03, 0x00, 0x00,	/* S_OK, xid, 0x03 */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* op 2 */
	0x00, 0x00, 0x00, 0x00,				/* flags 0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Its reply: status S_OK, icflags 0x05, flags 5 (3.3), ids unchanged. */
static const uint8_t hb60_rep[60] = {
	0x01, 0x00, 0x00, 0x00, 0x34, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x05, 0x00,
	0x05, 0x00, 0x00, 0x00, 0x20, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x2a, 0x05, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x00, 0x00,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* FREEZE, one SCSI LUN (port 2, target 3, lun 4), flags 1, xid 9: 72 bytes. */
static const uint8_t fr72[72] = {
	0x01, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,	/* DATA, 64 */
	0x03, 0x00, 0x00, 0x00, 0x05, 0x00,
	0x05, 0x00, 0x00, 0x00, 0x2c, 0x00,		/* size 44 */
	0x00, 0x00, 0x00, 0x00, 0x09, 0x03, 0x00, 0x00,
	0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* op 5 */
	0x00, 0x00, 0x00, 0x00,				/* BackupType */
	0x01, 0x00, 0x00, 0x00,				/* Flags */
	0x01, 0x00, 0x00, 0x00,				/* LunCount */
	0x01, 0x00, 0x00, 0x00,				/* SCSI */
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,	/* controller */
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x02, 0x03, 0x04, 0x00,				/* port, target, lun */
};

/* A 40-byte THAW (the Linux minimum, 1.10): pipe 32, size 12. */
static const uint8_t th40[40] = {
	0x01, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x05, 0x00,
	0x05, 0x00, 0x00, 0x00, 0x0c, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00,
	0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x78, 0x56, 0x34, 0x12,
};

static int
specific(int e)
{
	return e > HVVSS_OK && e < HVVSS_E__MAX &&
	    strcmp(hvvss_err_name(e), "unknown") != 0;
}

static void
test_hot_backup_known(void **state)
{
	struct hvvss_ichdr h;
	struct hvvss_vss_req r;
	uint8_t	b[60];
	uint32_t st = 1, fl = 1;

	(void)state;
	assert_int_equal(hvvss_vss_build(b, sizeof(b), HVVSS_OP_HOT_BACKUP,
	    0x2a, 0, NULL, 0), 60);
	assert_memory_equal(b, hb60, sizeof(b));
	assert_int_equal(hvvss_vss_decode(b, sizeof(b), &h, &r), HVVSS_OK);
	assert_int_equal(r.op, HVVSS_OP_HOT_BACKUP);
	assert_int_equal(r.flags, 0);
	assert_false(r.has_luns);
	assert_int_equal(hvvss_ic_check_request(&h), HVVSS_OK);
	assert_int_equal(hvvss_vss_reply(b, sizeof(b), HVVSS_S_OK), HVVSS_OK);
	assert_memory_equal(b, hb60_rep, sizeof(b));
	assert_int_equal(hvvss_vss_check_reply(hb60, 60, b, 60, &st, &fl),
	    HVVSS_OK);
	assert_int_equal(st, 0);
	assert_int_equal(fl, 5);
	/* A failed check still says NO_AUTO_RECOVERY, as FreeBSD does. */
	memcpy(b, hb60, sizeof(b));
	assert_int_equal(hvvss_vss_reply(b, sizeof(b), HVVSS_E_FAIL), HVVSS_OK);
	assert_memory_equal(b + 20, ((const uint8_t[]){ 0x05, 0x40, 0x00,
	    0x80, 0x2a, 0x05 }), 6);
	assert_int_equal(hvvss_le32(b + 36), 5);
}

static void
test_get_dm_info(void **state)
{
	struct hvvss_ichdr h;
	struct hvvss_vss_req r;
	uint8_t	b[60], q[60];
	uint32_t st, fl;

	(void)state;
	assert_int_equal(hvvss_vss_build(q, sizeof(q), HVVSS_OP_GET_DM_INFO,
	    3, 0x11223344u, NULL, 0), 60);
	assert_memory_equal(q, hb60, 12);
	assert_int_equal(q[28], 3);
	assert_memory_equal(q + 36, ((const uint8_t[]){ 0x44, 0x33, 0x22,
	    0x11 }), 4);
	assert_int_equal(hvvss_vss_decode(q, sizeof(q), &h, &r), HVVSS_OK);
	assert_int_equal(r.flags, 0x11223344u);
	memcpy(b, q, sizeof(b));
	assert_int_equal(hvvss_vss_reply(b, sizeof(b), 0), HVVSS_OK);
	assert_int_equal(hvvss_le32(b + 36), 0);
	assert_int_equal(b[25], 0x05);
	assert_int_equal(b[24], 3);
	assert_memory_equal(b + 40, q + 40, 20);
	assert_int_equal(hvvss_vss_check_reply(q, 60, b, 60, &st, &fl),
	    HVVSS_OK);
	assert_int_equal(fl, 0);
}

/* Every op: build, decode, reply, host check; body untouched but for 2/3. */
static void
test_every_op(void **state)
{
	struct hvvss_ichdr h;
	struct hvvss_vss_req r;
	uint8_t	q[64], b[64];
	uint32_t st, fl;
	unsigned op;
	int	len;

	(void)state;
	for (op = 0; op <= HVVSS_OP_AUTO_RECOVER; op++) {
		len = hvvss_vss_build(q, sizeof(q), (uint8_t)op, (uint8_t)op,
		    0xa5a5a5a5u, NULL, 0);
		assert_int_equal(len, op == HVVSS_OP_FREEZE ? 48 : 60);
		assert_int_equal(hvvss_le32(q + 4), (uint32_t)len - 8);
		assert_int_equal(hvvss_le16(q + 18), (uint32_t)len - 28);
		assert_int_equal(q[25], 0x03);
		assert_int_equal(hvvss_vss_decode(q, (size_t)len, &h, &r),
		    HVVSS_OK);
		assert_int_equal(r.op, op);
		memcpy(b, q, (size_t)len);
		assert_int_equal(hvvss_vss_reply(b, (size_t)len, HVVSS_E_FAIL),
		    HVVSS_OK);
		assert_int_equal(hvvss_le32(b + 20), HVVSS_E_FAIL);
		assert_int_equal(b[25], 0x05);
		assert_memory_equal(b, q, 20);
		assert_int_equal(b[24], q[24]);
		assert_memory_equal(b + 26, q + 26, 10);
		if (op == HVVSS_OP_HOT_BACKUP)
			assert_int_equal(hvvss_le32(b + 36), 5);
		else if (op == HVVSS_OP_GET_DM_INFO)
			assert_int_equal(hvvss_le32(b + 36), 0);
		else
			assert_memory_equal(b + 36, q + 36, (size_t)len - 36);
		st = 0;
		assert_int_equal(hvvss_vss_check_reply(q, (size_t)len, b,
		    (size_t)len, &st, &fl), HVVSS_OK);
		assert_int_equal(st, HVVSS_E_FAIL);
	}
	assert_string_equal(hvvss_op_name(2), "hot-backup");
	assert_string_equal(hvvss_op_name(5), "freeze");
	assert_string_equal(hvvss_op_name(6), "thaw");
	assert_string_equal(hvvss_op_name(129), "register1");
	assert_string_equal(hvvss_op_name(9), "unknown");
	assert_string_equal(hvvss_op_name(~0u), "unknown");
}

static void
test_freeze_known(void **state)
{
	static const struct hvvss_lun l1 = { 1, { 0x10, 0x11, 0x12, 0x13,
	    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e,
	    0x1f }, 2, 3, 4 };
	struct hvvss_ichdr h;
	struct hvvss_vss_req r;
	struct hvvss_lun l;
	uint8_t	b[72];

	(void)state;
	assert_int_equal(hvvss_vss_build(b, sizeof(b), HVVSS_OP_FREEZE, 9, 1,
	    &l1, 1), 72);
	assert_memory_equal(b, fr72, sizeof(b));
	assert_int_equal(hvvss_vss_decode(b, sizeof(b), &h, &r), HVVSS_OK);
	assert_int_equal(r.op, HVVSS_OP_FREEZE);
	assert_int_equal(r.flags, 1);
	assert_int_equal(r.backup_type, 0);
	assert_true(r.has_luns);
	assert_int_equal(r.lun_count, 1);
	assert_int_equal(r.lun_off, 48);
	assert_int_equal(hvvss_vss_lun(b, sizeof(b), &r, 0, &l), HVVSS_OK);
	assert_memory_equal(&l, &l1, sizeof(l));
	assert_int_equal(hvvss_vss_lun(b, sizeof(b), &r, 1, &l), HVVSS_E_INVAL);
	assert_int_equal(hvvss_vss_reply(b, sizeof(b), 0), HVVSS_OK);
	assert_memory_equal(b + 28, fr72 + 28, sizeof(b) - 28);
}

static void
test_freeze_counts(void **state)
{
	static uint8_t b[48 + 24 * 261];
	static struct hvvss_lun luns[261];
	struct hvvss_ichdr h;
	struct hvvss_vss_req r;
	struct hvvss_lun l;
	size_t	i;

	(void)state;
	for (i = 0; i < 261; i++) {
		luns[i].bus_type = 1;
		luns[i].lun = (uint8_t)i;
	}
	assert_int_equal(hvvss_vss_build(b, sizeof(b), HVVSS_OP_FREEZE, 1, 0,
	    NULL, 0), 48);
	assert_int_equal(hvvss_vss_decode(b, 48, &h, &r), HVVSS_OK);
	assert_true(r.has_luns);
	assert_int_equal(r.lun_count, 0);
	assert_int_equal(hvvss_vss_build(b, sizeof(b), HVVSS_OP_FREEZE, 1, 0,
	    luns, 260), HVVSS_VSS_MSG2_LEN);
	assert_int_equal(hvvss_vss_decode(b, HVVSS_VSS_MSG2_LEN, &h, &r),
	    HVVSS_OK);
	assert_int_equal(r.lun_count, 260);
	assert_int_equal(hvvss_vss_lun(b, HVVSS_VSS_MSG2_LEN, &r, 259, &l),
	    HVVSS_OK);
	assert_int_equal(l.lun, 259 & 0xff);
	/* The library cannot be made to build 261 ... */
	assert_int_equal(hvvss_vss_build(b, sizeof(b), HVVSS_OP_FREEZE, 1, 0,
	    luns, 261), -1);
	/* ... and refuses a packet that carries 261. */
	hvvss_put32(b + 4, (uint32_t)sizeof(b) - 8);
	hvvss_put16(b + 18, (uint16_t)(sizeof(b) - 28));
	hvvss_put32(b + 44, 261);
	assert_int_equal(hvvss_vss_decode(b, sizeof(b), &h, &r), HVVSS_E_COUNT);
	assert_false(r.has_luns);
	assert_int_equal(r.lun_count, 0);
	/* A count whose entries run past the payload. */
	assert_int_equal(hvvss_vss_build(b, sizeof(b), HVVSS_OP_FREEZE, 1, 0,
	    luns, 2), 96);
	hvvss_put32(b + 44, 3);
	assert_int_equal(hvvss_vss_decode(b, 96, &h, &r), HVVSS_E_SHORT);
	hvvss_put32(b + 44, 0xffffffffu);
	assert_int_equal(hvvss_vss_decode(b, 96, &h, &r), HVVSS_E_COUNT);
	/* AUTO_RECOVER shares the MSG2 rules. */
	hvvss_put32(b + 44, 2);
	b[28] = HVVSS_OP_AUTO_RECOVER;
	assert_int_equal(hvvss_vss_decode(b, 96, &h, &r), HVVSS_OK);
	assert_int_equal(r.lun_count, 2);
	hvvss_put32(b + 44, 261);
	assert_int_equal(hvvss_vss_decode(b, 96, &h, &r), HVVSS_E_COUNT);
}

static void
test_short_packets(void **state)
{
	struct hvvss_ichdr h;
	struct hvvss_vss_req r;
	uint8_t	b[48];

	(void)state;
	memcpy(b, th40, sizeof(th40));
	assert_int_equal(hvvss_vss_decode(b, 40, &h, &r), HVVSS_OK);
	assert_int_equal(r.op, HVVSS_OP_THAW);
	assert_int_equal(r.flags, 0x12345678u);
	/* A 40-byte FREEZE: BackupType only, no Flags, no LUN list. */
	b[28] = HVVSS_OP_FREEZE;
	assert_int_equal(hvvss_vss_decode(b, 40, &h, &r), HVVSS_OK);
	assert_int_equal(r.backup_type, 0x12345678u);
	assert_int_equal(r.flags, 0);
	assert_false(r.has_luns);
	/* 44 bytes: Flags, still no LUN list. */
	memset(b + 40, 0, 8);
	b[40] = 7;
	hvvss_put32(b + 4, 36);
	assert_int_equal(hvvss_vss_decode(b, 44, &h, &r), HVVSS_OK);
	assert_int_equal(r.flags, 7);
	assert_false(r.has_luns);
	/* 48 bytes: LunCount 0 in the packet. */
	hvvss_put32(b + 4, 40);
	assert_int_equal(hvvss_vss_decode(b, 48, &h, &r), HVVSS_OK);
	assert_true(r.has_luns);
	assert_int_equal(r.lun_count, 0);
	b[44] = 1;
	assert_int_equal(hvvss_vss_decode(b, 48, &h, &r), HVVSS_E_SHORT);
	/* 40 bytes in the buffer, but a 39-byte payload: refused. */
	memcpy(b, th40, sizeof(th40));
	hvvss_put32(b + 4, 31);
	hvvss_put16(b + 18, 11);
	assert_int_equal(hvvss_vss_decode(b, 40, &h, &r), HVVSS_E_SHORT);
	assert_int_equal(hvvss_vss_decode(b, 39, &h, &r), HVVSS_E_SHORT);
	/* icmsgsize below 12 although the payload has 40 bytes. */
	memcpy(b, th40, sizeof(th40));
	hvvss_put16(b + 18, 11);
	assert_int_equal(hvvss_vss_decode(b, 40, &h, &r), HVVSS_E_IC_SIZE);
	/* The reply needs 40 bytes, no more. */
	memcpy(b, th40, sizeof(th40));
	assert_int_equal(hvvss_vss_reply(b, 40, 0), HVVSS_OK);
	assert_memory_equal(b + 26, th40 + 26, 14);
	assert_int_equal(hvvss_vss_reply(b, 39, 0), HVVSS_E_SHORT);
	assert_int_equal(hvvss_vss_reply(NULL, 40, 0), HVVSS_E_INVAL);
}

static void
test_padding(void **state)
{
	struct hvvss_ichdr h;
	struct hvvss_vss_req r;
	uint8_t	b[68];

	(void)state;
	memset(b, 0, sizeof(b));
	memcpy(b, hb60, sizeof(hb60));
	assert_int_equal(hvvss_vss_decode(b, 67, &h, &r), HVVSS_OK);
	assert_int_equal(hvvss_vss_decode(b, 68, &h, &r), HVVSS_E_PIPE_LEN);
	assert_int_equal(hvvss_vss_decode(b, 59, &h, &r), HVVSS_E_PIPE_LEN);
}

static void
test_other_fields(void **state)
{
	struct hvvss_ichdr h;
	struct hvvss_vss_req r;
	uint8_t	b[60];
	int	i;

	(void)state;
	/* CREATE: snapshot set id at 36, v2 BackupType at 52. */
	assert_int_equal(hvvss_vss_build(b, sizeof(b), HVVSS_OP_CREATE, 0, 0,
	    NULL, 0), 60);
	for (i = 0; i < 16; i++)
		b[36 + i] = (uint8_t)(0xc0 + i);
	b[52] = 2;
	assert_int_equal(hvvss_vss_decode(b, 60, &h, &r), HVVSS_OK);
	assert_true(r.has_set_id);
	assert_int_equal(r.set_id[15], 0xcf);
	assert_int_equal(r.backup_type, 2);
	b[28] = HVVSS_OP_DELETE;
	assert_int_equal(hvvss_vss_decode(b, 60, &h, &r), HVVSS_OK);
	assert_true(r.has_set_id);
	assert_int_equal(r.backup_type, 0);
	/* A 40-byte CREATE has no room for the id. */
	memcpy(b, th40, sizeof(th40));
	b[28] = HVVSS_OP_CREATE;
	assert_int_equal(hvvss_vss_decode(b, 40, &h, &r), HVVSS_OK);
	assert_false(r.has_set_id);
	/* VSS header reserved bytes and IC reserved are not judged. */
	memcpy(b, hb60, sizeof(hb60));
	memset(b + 29, 0xff, 7);
	b[26] = 0x01;
	assert_int_equal(hvvss_vss_decode(b, 60, &h, &r), HVVSS_OK);
	/* Not VSS. */
	b[12] = HVVSS_ICMSG_NEGOTIATE;
	assert_int_equal(hvvss_vss_decode(b, 60, &h, &r), HVVSS_E_MSGTYPE);
	assert_int_equal(hvvss_vss_decode(NULL, 60, &h, &r), HVVSS_E_INVAL);
}

static void
test_unknown_op(void **state)
{
	static const uint8_t ops[] = { 8, 9, 127, 128, 129, 255 };
	struct hvvss_ichdr h;
	struct hvvss_vss_req r;
	uint8_t	q[60], b[60];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(ops); i++) {
		assert_int_equal(hvvss_vss_build(q, sizeof(q), ops[i], 4, 2,
		    NULL, 0), 60);
		assert_int_equal(hvvss_vss_decode(q, 60, &h, &r), HVVSS_E_OP);
		assert_int_equal(r.op, ops[i]);
		assert_int_equal(h.xid, 4);
		memcpy(b, q, sizeof(b));
		assert_int_equal(hvvss_vss_reply(b, 60, HVVSS_E_FAIL), HVVSS_OK);
		assert_int_equal(hvvss_vss_check_reply(q, 60, b, 60, NULL,
		    NULL), HVVSS_OK);
	}
}

static void
test_build_limits(void **state)
{
	static const struct hvvss_lun l;
	uint8_t	b[72];

	(void)state;
	assert_int_equal(hvvss_vss_build(b, 59, HVVSS_OP_THAW, 0, 0, NULL, 0),
	    -1);
	assert_int_equal(hvvss_vss_build(b, 71, HVVSS_OP_FREEZE, 0, 0, &l, 1),
	    -1);
	assert_int_equal(hvvss_vss_build(b, 72, HVVSS_OP_FREEZE, 0, 0, NULL,
	    1), -1);
	assert_int_equal(hvvss_vss_build(NULL, 72, HVVSS_OP_THAW, 0, 0, NULL,
	    0), -1);
	/* LUNs are ignored for ops other than FREEZE. */
	assert_int_equal(hvvss_vss_build(b, 72, HVVSS_OP_THAW, 0, 0, &l, 1),
	    60);
}

/* Host check: each kind of bad reply to HOT_BACKUP has its own error. */
static int
bad_reply(size_t at, uint8_t val, size_t len)
{
	uint8_t	b[64];

	memset(b, 0, sizeof(b));
	memcpy(b, hb60_rep, sizeof(hb60_rep));
	if (at < sizeof(b))
		b[at] = val;
	return hvvss_vss_check_reply(hb60, sizeof(hb60), b, len, NULL, NULL);
}

static void
test_check_reply_bad(void **state)
{
	uint8_t	b[64];

	(void)state;
	assert_int_equal(bad_reply(99, 0, 60), HVVSS_OK);
	assert_int_equal(bad_reply(25, 0x03, 60), HVVSS_E_FLAGS);
	assert_int_equal(bad_reply(25, 0x07, 60), HVVSS_E_FLAGS);
	assert_int_equal(bad_reply(25, 0x04, 60), HVVSS_E_FLAGS);
	assert_int_equal(bad_reply(24, 0x2b, 60), HVVSS_E_XID);
	assert_int_equal(bad_reply(28, HVVSS_OP_FREEZE, 60), HVVSS_E_MISMATCH);
	assert_int_equal(bad_reply(99, 0, 56), HVVSS_E_MISMATCH);
	assert_int_equal(bad_reply(99, 0, 64), HVVSS_E_MISMATCH);
	assert_int_equal(bad_reply(14, 4, 60), HVVSS_E_MISMATCH);	/* msgver */
	assert_int_equal(bad_reply(8, 1, 60), HVVSS_E_MISMATCH);	/* fw */
	assert_int_equal(bad_reply(12, 0, 60), HVVSS_E_MSGTYPE);
	assert_int_equal(bad_reply(0, 2, 60), HVVSS_E_PIPE_TYPE);
	assert_int_equal(bad_reply(4, 0x30, 60), HVVSS_E_IC_SIZE);
	assert_int_equal(bad_reply(5, 1, 60), HVVSS_E_PIPE_LEN);
	/* Pipe msgsize shrunk into the padding, icmsgsize with it. */
	memcpy(b, hb60_rep, sizeof(hb60_rep));
	b[4] = 0x30;
	b[18] = 0x1c;
	assert_int_equal(hvvss_vss_check_reply(hb60, 60, b, 60, NULL, NULL),
	    HVVSS_E_MISMATCH);
	/* The length grows and the pipe header with it. */
	memset(b, 0, sizeof(b));
	memcpy(b, hb60_rep, sizeof(hb60_rep));
	b[4] = 0x38;
	assert_int_equal(hvvss_vss_check_reply(hb60, 60, b, 64, NULL, NULL),
	    HVVSS_E_MISMATCH);
	/* A request that is no request is the caller's mistake. */
	assert_int_equal(hvvss_vss_check_reply(hb60, 39, hb60_rep, 39, NULL,
	    NULL), HVVSS_E_INVAL);
	memcpy(b, hb60, sizeof(hb60));
	b[0] = 2;
	assert_int_equal(hvvss_vss_check_reply(b, 60, hb60_rep, 60, NULL,
	    NULL), HVVSS_E_INVAL);
}

/* Mutation callback: decode, check outputs, read LUNs, reply, host check. */
static int
mut_vss(const uint8_t *b, size_t len, void *arg)
{
	static uint8_t c[MAXPKT];
	struct hvvss_ichdr h;
	struct hvvss_vss_req r;
	struct hvvss_lun l;
	uint32_t i, st, fl;
	size_t	end;
	int	e;

	(void)arg;
	e = hvvss_vss_decode(b, len, &h, &r);
	if (e != HVVSS_OK && e != HVVSS_E_OP)
		return !specific(e) || e == HVVSS_E_INVAL || r.has_luns;
	end = 8 + (size_t)h.pipe_len;
	if (len > sizeof(c) || end < 40 || end > len || h.type != 5 ||
	    r.op != b[28] || (e == HVVSS_OK && r.op > 7))
		return 1;
	if (r.has_luns && (r.lun_count > 260 || r.lun_off != 48 ||
	    r.lun_off + 24 * (size_t)r.lun_count > end))
		return 1;
	for (i = 0; r.has_luns && i < r.lun_count; i++)
		if (hvvss_vss_lun(b, len, &r, i, &l) != HVVSS_OK)
			return 1;
	memcpy(c, b, len);
	if (hvvss_vss_reply(c, len, HVVSS_E_FAIL) != HVVSS_OK || c[25] != 5 ||
	    memcmp(c, b, 20) != 0 || c[24] != b[24] ||
	    memcmp(c + 26, b + 26, 10) != 0)
		return 1;
	if (r.op == HVVSS_OP_HOT_BACKUP && hvvss_le32(c + 36) != 5)
		return 1;
	if (r.op != 2 && r.op != 3 && memcmp(c + 36, b + 36, len - 36) != 0)
		return 1;
	if (hvvss_vss_check_reply(b, len, c, len, &st, &fl) != HVVSS_OK ||
	    st != HVVSS_E_FAIL)
		return 1;
	return 0;
}

static void
test_mutations(void **state)
{
	static const struct hvvss_lun l2[2] = { { 1, { 0 }, 0, 0, 0 },
	    { 2, { 1 }, 1, 1, 1 } };
	uint8_t	fz[96];
	size_t	n = 0;

	(void)state;
	assert_int_equal(mut_run(hb60, sizeof(hb60), mut_vss, NULL, &n), 0);
	assert_true(n > 0);
	assert_int_equal(mut_run(fr72, sizeof(fr72), mut_vss, NULL, &n), 0);
	assert_true(n > 0);
	assert_int_equal(mut_run(th40, sizeof(th40), mut_vss, NULL, &n), 0);
	assert_true(n > 0);
	assert_int_equal(hvvss_vss_build(fz, sizeof(fz), HVVSS_OP_FREEZE, 1, 0,
	    l2, 2), 96);
	assert_int_equal(mut_run(fz, sizeof(fz), mut_vss, NULL, &n), 0);
	assert_true(n > 0);
}

/* The host's check of a mutated reply: OK only for a faithful echo. */
static int
mut_check(const uint8_t *b, size_t len, void *arg)
{
	uint32_t st = 0, fl = 0;
	int	e;

	(void)arg;
	e = hvvss_vss_check_reply(hb60, sizeof(hb60), b, len, &st, &fl);
	if (e != HVVSS_OK)
		return !specific(e) || e == HVVSS_E_INVAL;
	return len != 60 || memcmp(b, hb60, 18) != 0 || b[24] != 0x2a ||
	    b[25] != 5 || b[28] != 2 || st != hvvss_le32(b + 20) ||
	    fl != hvvss_le32(b + 36);
}

static void
test_mut_check(void **state)
{
	size_t	n = 0;

	(void)state;
	assert_int_equal(mut_run(hb60_rep, sizeof(hb60_rep), mut_check, NULL,
	    &n), 0);
	assert_true(n > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hot_backup_known),
		cmocka_unit_test(test_get_dm_info),
		cmocka_unit_test(test_every_op),
		cmocka_unit_test(test_freeze_known),
		cmocka_unit_test(test_freeze_counts),
		cmocka_unit_test(test_short_packets),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_other_fields),
		cmocka_unit_test(test_unknown_op),
		cmocka_unit_test(test_build_limits),
		cmocka_unit_test(test_check_reply_bad),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_mut_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
