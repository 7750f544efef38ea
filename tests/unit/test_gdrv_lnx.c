/*
 * test_gdrv_lnx.c: the Linux guest driver model (host/gdrv_lnx.c) as a
 * pure state machine: host packets in, replies and daemon messages out,
 * one test per rule of protocol.md 1.10, 2.4-2.6, 3.5, 4.2 and 5.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <cmocka.h>

#include "hvvss_ic.h"
#include "hvvss_lnx.h"
#include "hvvss_nego.h"
#include "hvvss_vss.h"

#include "gdrv_lnx.h"
#include "vmbus.h"

#define SEC	1000000000ull
#define T0	(1000 * SEC)

struct fx {
	struct vmbus_chan	 chan;
	struct gdrv_lnx		 d;
	uint8_t			 req[16384];
	size_t			 req_len;
	uint8_t			 rep[16384];
	size_t			 rep_len;
	uint64_t		 rep_id;
	uint64_t		 next_id;
};

static int
setup(void **state)
{
	struct fx		*f = calloc(1, sizeof(*f));
	struct gdrv_lnx_cfg	 cfg = { 900 * SEC, 30 * SEC };

	if (f == NULL)
		return -1;
	vmbus_chan_init(&f->chan);
	gdrv_lnx_init(&f->d, &cfg, &f->chan, NULL);
	f->next_id = 100;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	vmbus_chan_reset(&f->chan);
	free(f);
	return 0;
}

/* Host side helpers. */
static void
host_raw(struct fx *f, const uint8_t *b, size_t len, uint64_t now)
{
	memcpy(f->req, b, len);
	f->req_len = (len + 7) & ~(size_t)7;
	memset(f->req + len, 0, f->req_len - len);
	assert_int_equal(vmbus_send(&f->chan.h2g, b, len, f->next_id++), 0);
	gdrv_lnx_channel(&f->d, now);
}

static void
host_op(struct fx *f, uint8_t op, uint32_t flags, uint64_t now)
{
	uint8_t	 b[128];
	int	 len;

	len = hvvss_vss_build(b, sizeof(b), op, 7, flags, NULL, 0);
	assert_true(len > 0);
	host_raw(f, b, (size_t)len, now);
}

static void
host_nego(struct fx *f, const struct hvvss_icver *fw, size_t nfw,
    const struct hvvss_icver *vss, size_t nvss)
{
	uint8_t	 b[512];
	int	 len;

	len = hvvss_nego_host_offer(b, sizeof(b), 3, fw, nfw, vss, nvss);
	assert_true(len > 0);
	host_raw(f, b, (size_t)len, T0);
}

/* 1 when a reply came back (stored in f->rep), 0 when none. */
static int
host_reply(struct fx *f)
{
	int	 r;

	r = vmbus_recv(&f->chan.g2h, f->rep, sizeof(f->rep), &f->rep_len,
	    &f->rep_id);
	assert_true(r >= 0);
	return r;
}

static uint32_t
rep_status(const struct fx *f)
{
	return hvvss_le32(f->rep + 20);
}

/* Expect one VSS reply with this status; returns its body flags. */
static uint32_t
expect_reply(struct fx *f, uint32_t status)
{
	uint32_t	 st, flags;

	assert_int_equal(host_reply(f), 1);
	assert_int_equal(f->rep_id, f->next_id - 1);
	assert_int_equal(f->rep_len, f->req_len);
	assert_int_equal(hvvss_vss_check_reply(f->req, f->req_len, f->rep,
	    f->rep_len, &st, &flags), HVVSS_OK);
	assert_int_equal(st, status);
	return flags;
}

/* Daemon side helpers. */
static void
daemon_register(struct fx *f)
{
	uint8_t	 m[12], r[16];

	assert_int_equal(gdrv_lnx_open(&f->d, T0), 0);
	hvvss_lnx_encode_register(m);
	assert_int_equal(gdrv_lnx_write(&f->d, m, 12, T0), 12);
	assert_int_equal(gdrv_lnx_read(&f->d, r, sizeof(r), T0), 4);
	assert_int_equal(hvvss_le32(r), 129);
	assert_int_equal(f->d.state, GDRV_LNX_READY);
}

static uint8_t
daemon_read(struct fx *f, uint64_t now)
{
	uint8_t	 m[16];
	uint8_t	 zero[11] = { 0 };

	assert_int_equal(gdrv_lnx_read(&f->d, m, sizeof(m), now), 12);
	assert_memory_equal(m + 1, zero, 11);	/* kzalloc'd, op only */
	return m[0];
}

static ssize_t
daemon_reply(struct fx *f, uint32_t status, uint64_t now)
{
	uint8_t	 m[12];

	hvvss_lnx_encode_reply(m, status);
	return gdrv_lnx_write(&f->d, m, 12, now);
}

/* --- negotiation (2.4-2.6, 1.10) --- */

static void
test_nego_before_daemon(void **state)
{
	struct fx		*f = *state;
	struct hvvss_icver	 fw[] = { { 1, 0 }, { 3, 0 } };
	struct hvvss_icver	 vss[] = { { 4, 0 }, { 5, 0 } };
	struct hvvss_icver	 pf = { 3, 0 }, pv = { 5, 0 }, ofw, ovss;
	uint8_t			 lib[64];

	host_nego(f, fw, 2, vss, 2);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(f->rep_len, 56);	/* 52 padded to 8 */
	assert_int_equal(f->rep_id, 100);
	assert_int_equal(hvvss_nego_host_check(f->req, f->req_len, f->rep,
	    f->rep_len, &ofw, &ovss), HVVSS_OK);
	assert_int_equal(ofw.major, 3);
	assert_int_equal(ovss.major, 5);
	/* Byte for byte what libhvvss's guest role builds. */
	memcpy(lib, f->req, f->req_len);
	assert_int_equal(hvvss_nego_guest_reply(lib, f->req_len, &pf, 1, &pv,
	    1, &ofw, &ovss), HVVSS_OK);
	assert_memory_equal(lib, f->rep, f->rep_len);
	/* Answered with no daemon at all, state untouched. */
	assert_int_equal(f->d.state, GDRV_LNX_DEVICE_INIT);
}

static void
test_nego_no_fw(void **state)
{
	struct fx		*f = *state;
	struct hvvss_icver	 fw[] = { { 1, 0 } };
	struct hvvss_icver	 vss[] = { { 5, 0 }, { 4, 0 } };

	host_nego(f, fw, 1, vss, 2);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_le16(f->rep + 28), 0);
	assert_int_equal(hvvss_le16(f->rep + 30), 0);
	/* Leftovers: the host's counts as majors (2.6). */
	assert_int_equal(hvvss_le16(f->rep + 36), 1);
	assert_int_equal(hvvss_le16(f->rep + 40), 2);
	assert_int_equal(rep_status(f), 0);	/* status not touched */
	assert_int_equal(f->rep[25], 0x05);
	assert_int_equal(hvvss_le16(f->rep + 18), 16);
	assert_int_equal(hvvss_nego_host_check(f->req, f->req_len, f->rep,
	    f->rep_len, NULL, NULL), HVVSS_E_NOVERSION);
}

static void
test_nego_no_vss(void **state)
{
	struct fx		*f = *state;
	struct hvvss_icver	 fw[] = { { 3, 0 } };
	struct hvvss_icver	 vss[] = { { 4, 0 }, { 6, 0 }, { 7, 0 } };

	host_nego(f, fw, 1, vss, 3);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_le16(f->rep + 28), 0);
	assert_int_equal(hvvss_le16(f->rep + 36), 3);	/* fw found */
	assert_int_equal(hvvss_le16(f->rep + 40), 3);	/* msg count */
}

static void
test_nego_count_over_100(void **state)
{
	struct fx		*f = *state;
	struct hvvss_icver	 fw[] = { { 3, 0 } };
	struct hvvss_icver	 vss[] = { { 5, 0 } };
	uint8_t			 b[64];
	int			 len;

	len = hvvss_nego_host_offer(b, sizeof(b), 1, fw, 1, vss, 1);
	hvvss_put16(b + 28, 101);
	host_raw(f, b, (size_t)len, T0);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_le16(f->rep + 28), 0);
	assert_int_equal(hvvss_le16(f->rep + 36), 101);
}

static void
test_nego_array_short(void **state)
{
	struct fx		*f = *state;
	struct hvvss_icver	 fw[] = { { 3, 0 } };
	struct hvvss_icver	 vss[] = { { 5, 0 } };
	uint8_t			 b[64];
	int			 len;

	/* Claims 9 message versions, holds 1. */
	len = hvvss_nego_host_offer(b, sizeof(b), 1, fw, 1, vss, 1);
	hvvss_put16(b + 30, 9);
	host_raw(f, b, (size_t)len, T0);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_le16(f->rep + 30), 0);
}

static void
test_nego_too_short_body(void **state)
{
	struct fx		*f = *state;
	struct hvvss_icver	 fw[] = { { 3, 0 } };
	struct hvvss_icver	 vss[] = { { 5, 0 } };
	uint8_t			 b[64];
	int			 len;

	/* 28-byte negotiate (no body): only the flags change. */
	len = hvvss_nego_host_offer(b, sizeof(b), 1, fw, 1, vss, 1);
	assert_true(len > 28);
	host_raw(f, b, 24, T0);		/* < 28: dropped */
	assert_int_equal(host_reply(f), 0);
	b[4] = 20;
	memset(b + 28, 0xaa, 4);	/* 32 bytes but counts huge */
	host_raw(f, b, 32, T0);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(f->rep_len, 32);
	assert_int_equal(hvvss_le16(f->rep + 28), 0);	/* 0xaaaa > 100 */
	assert_int_equal(hvvss_le16(f->rep + 18), 16);
	assert_int_equal(f->rep[25], 0x05);
}

/* --- length and type validation (1.10) --- */

static void
test_drop_short(void **state)
{
	struct fx	*f = *state;
	uint8_t		 b[64];

	assert_true(hvvss_vss_build(b, sizeof(b), HVVSS_OP_GET_DM_INFO, 1, 0,
	    NULL, 0) > 0);
	host_raw(f, b, 24, T0);
	assert_int_equal(host_reply(f), 0);
	assert_int_equal(f->d.st.drop_short, 1);
	host_raw(f, b, 32, T0);		/* VSS below 40 bytes */
	assert_int_equal(host_reply(f), 0);
	assert_int_equal(f->d.st.drop_vss_short, 1);
	host_raw(f, b, 40, T0);		/* exactly 40: answered */
	assert_int_equal(host_reply(f), 1);
}

static void
test_drop_unknown_type(void **state)
{
	struct fx	*f = *state;
	uint8_t		 b[64];
	int		 len;

	len = hvvss_vss_build(b, sizeof(b), HVVSS_OP_HOT_BACKUP, 1, 0, NULL,
	    0);
	hvvss_put16(b + 12, HVVSS_ICMSG_KVP);
	host_raw(f, b, (size_t)len, T0);
	assert_int_equal(host_reply(f), 0);
	assert_int_equal(f->d.st.drop_type, 1);
}

static void
test_oversized_wedges(void **state)
{
	struct fx	*f = *state;
	uint8_t		*b = calloc(1, 12528);
	int		 len;

	assert_non_null(b);
	daemon_register(f);
	len = hvvss_vss_build(b, 12528, HVVSS_OP_AUTO_RECOVER, 1, 0, NULL, 0);
	assert_true(len > 0);
	host_raw(f, b, 12528, T0);
	assert_int_equal(host_reply(f), 0);
	assert_int_equal(f->d.wedged, 1);
	host_op(f, HVVSS_OP_GET_DM_INFO, 0, T0);
	assert_int_equal(host_reply(f), 0);	/* stuck behind it */
	assert_int_equal(f->chan.h2g.count, 2);
	free(b);
}

static void
test_freeze_260_luns(void **state)
{
	struct fx		*f = *state;
	struct hvvss_lun	 luns[260];
	uint8_t			 b[6400];
	int			 len;

	memset(luns, 0, sizeof(luns));
	daemon_register(f);
	len = hvvss_vss_build(b, sizeof(b), HVVSS_OP_FREEZE, 1, 0, luns, 260);
	assert_int_equal(len, 6288);
	host_raw(f, b, (size_t)len, T0);
	assert_int_equal(daemon_read(f, T0), HVVSS_OP_FREEZE);
	assert_int_equal(daemon_reply(f, 0, T0), 12);
	expect_reply(f, 0);
}

/* --- kernel-answered ops (3.5) --- */

static void
test_not_registered(void **state)
{
	struct fx	*f = *state;

	host_op(f, HVVSS_OP_HOT_BACKUP, 0, T0);
	expect_reply(f, HVVSS_E_FAIL);
	assert_int_equal(f->d.state, GDRV_LNX_DEVICE_INIT);
	host_op(f, HVVSS_OP_FREEZE, 0, T0);
	expect_reply(f, HVVSS_E_FAIL);
	host_op(f, HVVSS_OP_THAW, 0, T0);
	expect_reply(f, HVVSS_E_FAIL);
}

static void
test_get_dm_info(void **state)
{
	struct fx	*f = *state;

	host_op(f, HVVSS_OP_GET_DM_INFO, 0xdeadbeef, T0);
	assert_int_equal(expect_reply(f, 0), 0);
	/* vss_poll_wrapper makes it READY without any daemon. */
	assert_int_equal(f->d.state, GDRV_LNX_READY);
	/* ... so HOT_BACKUP is forwarded, and fails for lack of a reader. */
	host_op(f, HVVSS_OP_HOT_BACKUP, 0, T0);
	expect_reply(f, HVVSS_E_FAIL);
	assert_int_equal(f->d.st.send_fail, 1);
	assert_int_equal(f->d.state, GDRV_LNX_READY);
}

static void
test_kernel_answers_others(void **state)
{
	struct fx	*f = *state;
	uint8_t		 ops[] = { HVVSS_OP_CREATE, HVVSS_OP_DELETE,
			    HVVSS_OP_BU_COMPLETE, HVVSS_OP_AUTO_RECOVER,
			    HVVSS_OP_CLUSTER_INFO, 200 };
	size_t		 i;

	daemon_register(f);
	for (i = 0; i < sizeof(ops); i++) {
		host_op(f, ops[i], 0x1234, T0);
		assert_int_equal(expect_reply(f, 0), 0x1234);
		assert_int_equal(gdrv_lnx_poll(&f->d), 0);
	}
	assert_int_equal(f->d.st.forwarded, 0);
	assert_int_equal(f->d.st.kernel_reply, sizeof(ops));
}

/* --- transport (5.3, 5.5) --- */

static void
test_single_opener(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(gdrv_lnx_open(&f->d, T0), 0);
	assert_int_equal(gdrv_lnx_open(&f->d, T0), -EBUSY);
	gdrv_lnx_release(&f->d, T0);
	assert_int_equal(gdrv_lnx_open(&f->d, T0), 0);
}

static void
test_register_handshake(void **state)
{
	struct fx	*f = *state;
	uint8_t		 m[12], r[16];

	assert_int_equal(gdrv_lnx_open(&f->d, T0), 0);
	assert_int_equal(gdrv_lnx_poll(&f->d), 0);
	assert_int_equal(gdrv_lnx_read(&f->d, r, sizeof(r), T0), -EAGAIN);
	hvvss_lnx_encode_register(m);
	assert_int_equal(gdrv_lnx_write(&f->d, m, 12, T0), 12);
	assert_int_equal(gdrv_lnx_poll(&f->d), POLLIN | POLLRDNORM);
	/* Not READY until the reply is read. */
	assert_int_equal(f->d.state, GDRV_LNX_DEVICE_INIT);
	host_op(f, HVVSS_OP_HOT_BACKUP, 0, T0);
	expect_reply(f, HVVSS_E_FAIL);
	assert_int_equal(gdrv_lnx_read(&f->d, r, 3, T0), -EINVAL);
	assert_int_equal(gdrv_lnx_poll(&f->d), POLLIN | POLLRDNORM);
	assert_int_equal(gdrv_lnx_read(&f->d, r, sizeof(r), T0), 4);
	assert_int_equal(hvvss_le32(r), 129);
	assert_int_equal(f->d.state, GDRV_LNX_READY);
	assert_int_equal(f->d.st.registered, 1);
	assert_int_equal(gdrv_lnx_poll(&f->d), 0);
}

static void
test_register_legacy(void **state)
{
	struct fx	*f = *state;
	uint8_t		 m[12] = { HVVSS_OP_REGISTER };

	assert_int_equal(gdrv_lnx_open(&f->d, T0), 0);
	assert_int_equal(gdrv_lnx_write(&f->d, m, 12, T0), 12);
	assert_int_equal(gdrv_lnx_poll(&f->d), 0);	/* no reply */
	assert_int_equal(f->d.state, GDRV_LNX_DEVICE_INIT);
	assert_int_equal(f->d.dm_reg_value, HVVSS_OP_REGISTER);
}

static void
test_register_twice_slot(void **state)
{
	struct fx	*f = *state;
	uint8_t		 m[12];

	assert_int_equal(gdrv_lnx_open(&f->d, T0), 0);
	hvvss_lnx_encode_register(m);
	assert_int_equal(gdrv_lnx_write(&f->d, m, 12, T0), 12);
	/* One message slot: the second reply cannot be queued. */
	assert_int_equal(gdrv_lnx_write(&f->d, m, 12, T0), -EFAULT);
}

static void
test_write_length(void **state)
{
	struct fx	*f = *state;
	uint8_t		 m[16] = { HVVSS_OP_REGISTER1 };

	assert_int_equal(gdrv_lnx_open(&f->d, T0), 0);
	assert_int_equal(gdrv_lnx_write(&f->d, m, 11, T0), -EINVAL);
	assert_int_equal(gdrv_lnx_write(&f->d, m, 13, T0), -EINVAL);
	assert_int_equal(gdrv_lnx_write(&f->d, m, 4, T0), -EINVAL);
	assert_int_equal(gdrv_lnx_write(&f->d, m, 12, T0), 12);
}

static void
test_spurious_reply(void **state)
{
	struct fx	*f = *state;

	daemon_register(f);
	assert_int_equal(daemon_reply(f, 0, T0), -EINVAL);
}

/* --- request / reply (5.4) --- */

static void
test_hot_backup_flags_quirk(void **state)
{
	struct fx	*f = *state;

	daemon_register(f);
	/* S_OK: the op byte is 0, the host's flags (7) come back. */
	host_op(f, HVVSS_OP_HOT_BACKUP, 7, T0);
	assert_int_equal(f->d.state, GDRV_LNX_USERSPACE_REQ);
	assert_int_equal(gdrv_lnx_poll(&f->d), POLLIN | POLLRDNORM);
	assert_int_equal(daemon_read(f, T0), HVVSS_OP_HOT_BACKUP);
	assert_int_equal(daemon_reply(f, HVVSS_S_OK, T0), 12);
	assert_int_equal(expect_reply(f, HVVSS_S_OK), 7);
	assert_int_equal(f->d.state, GDRV_LNX_READY);
	/* E_FAIL: op byte 0x05, still not 2: flags untouched. */
	host_op(f, HVVSS_OP_HOT_BACKUP, 0, T0);
	daemon_read(f, T0);
	assert_int_equal(daemon_reply(f, HVVSS_E_FAIL, T0), 12);
	assert_int_equal(expect_reply(f, HVVSS_E_FAIL), 0);
	/* A status whose low byte is 2 sets NO_AUTO_RECOVERY. */
	host_op(f, HVVSS_OP_HOT_BACKUP, 0, T0);
	daemon_read(f, T0);
	assert_int_equal(daemon_reply(f, 2, T0), 12);
	assert_int_equal(expect_reply(f, 2), HVVSS_HBU_NO_AUTO_RECOVERY);
}

static void
test_status_aliases_register(void **state)
{
	struct fx	*f = *state;

	daemon_register(f);
	host_op(f, HVVSS_OP_THAW, 0, T0);
	daemon_read(f, T0);
	/* Low byte 0x81 reads as REGISTER1, mid-transaction: EINVAL. */
	assert_int_equal(daemon_reply(f, 0x80000081u, T0), -EINVAL);
	assert_int_equal(f->d.state, GDRV_LNX_USERSPACE_REQ);
}

static void
test_freeze_timeout(void **state)
{
	struct fx	*f = *state;

	daemon_register(f);
	host_op(f, HVVSS_OP_FREEZE, 0, T0);
	assert_int_equal(gdrv_lnx_deadline(&f->d), T0 + 900 * SEC);
	daemon_read(f, T0);
	gdrv_lnx_timer(&f->d, T0 + 899 * SEC);
	assert_int_equal(host_reply(f), 0);
	gdrv_lnx_timer(&f->d, T0 + 900 * SEC);
	expect_reply(f, HVVSS_E_FAIL);
	assert_int_equal(f->d.state, GDRV_LNX_READY);
	assert_int_equal(gdrv_lnx_deadline(&f->d), 0);
	/* The late reply is refused. */
	assert_int_equal(daemon_reply(f, 0, T0 + 901 * SEC), -EINVAL);
	assert_int_equal(host_reply(f), 0);
}

static void
test_other_timeout(void **state)
{
	struct fx	*f = *state;

	daemon_register(f);
	host_op(f, HVVSS_OP_THAW, 0, T0);
	assert_int_equal(gdrv_lnx_deadline(&f->d), T0 + 30 * SEC);
	gdrv_lnx_timer(&f->d, T0 + 30 * SEC);
	expect_reply(f, HVVSS_E_FAIL);
	/* The unread message stays queued (nobody drops it). */
	assert_int_equal(gdrv_lnx_poll(&f->d), POLLIN | POLLRDNORM);
	host_op(f, HVVSS_OP_HOT_BACKUP, 0, T0 + 31 * SEC);
	assert_int_equal(gdrv_lnx_deadline(&f->d), 0);
	/* Slot busy: HV_E_FAIL at once. */
	expect_reply(f, HVVSS_E_FAIL);
}

static void
test_release_mid_freeze(void **state)
{
	struct fx	*f = *state;

	daemon_register(f);
	host_op(f, HVVSS_OP_FREEZE, 0, T0);
	daemon_read(f, T0);
	gdrv_lnx_release(&f->d, T0 + SEC);
	expect_reply(f, HVVSS_E_FAIL);
	assert_int_equal(f->d.state, GDRV_LNX_DEVICE_INIT);
	assert_int_equal(f->d.st.reset, 1);
	host_op(f, HVVSS_OP_HOT_BACKUP, 0, T0 + 2 * SEC);
	expect_reply(f, HVVSS_E_FAIL);		/* not registered */
	/* A new daemon can register again. */
	daemon_register(f);
	host_op(f, HVVSS_OP_HOT_BACKUP, 0, T0 + 3 * SEC);
	daemon_read(f, T0);
	daemon_reply(f, 0, T0);
	expect_reply(f, 0);
}

static void
test_release_unread_dropped(void **state)
{
	struct fx	*f = *state;

	daemon_register(f);
	host_op(f, HVVSS_OP_THAW, 0, T0);
	gdrv_lnx_release(&f->d, T0);
	expect_reply(f, HVVSS_E_FAIL);
	assert_int_equal(gdrv_lnx_open(&f->d, T0), 0);
	/* hvt_reset dropped it. */
	assert_int_equal(gdrv_lnx_poll(&f->d), 0);
}

static void
test_ring_held_during_transaction(void **state)
{
	struct fx	*f = *state;

	daemon_register(f);
	host_op(f, HVVSS_OP_FREEZE, 0, T0);
	host_op(f, HVVSS_OP_GET_DM_INFO, 0, T0);
	assert_int_equal(host_reply(f), 0);
	assert_int_equal(f->chan.h2g.count, 1);
	daemon_read(f, T0);
	assert_int_equal(daemon_reply(f, 0, T0), 12);
	/* FREEZE reply first, then the queued GET_DM_INFO. */
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(f->rep[28], HVVSS_OP_FREEZE);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(f->rep[28], HVVSS_OP_GET_DM_INFO);
}

static void
test_register_during_transaction(void **state)
{
	struct fx	*f = *state;
	uint8_t		 m[12];

	daemon_register(f);
	host_op(f, HVVSS_OP_HOT_BACKUP, 0, T0);
	daemon_read(f, T0);
	hvvss_lnx_encode_register(m);
	assert_int_equal(gdrv_lnx_write(&f->d, m, 12, T0), -EINVAL);
}

static void
test_header_not_checked(void **state)
{
	struct fx	*f = *state;
	uint8_t		 b[64];
	int		 len;

	daemon_register(f);
	len = hvvss_vss_build(b, sizeof(b), HVVSS_OP_HOT_BACKUP, 9, 0, NULL,
	    0);
	hvvss_put32(b, 7);		/* pipe type */
	b[25] = 0;			/* icflags */
	host_raw(f, b, (size_t)len, T0);
	assert_int_equal(daemon_read(f, T0), HVVSS_OP_HOT_BACKUP);
	assert_int_equal(daemon_reply(f, 0, T0), 12);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(f->rep[25], 0x05);
	assert_int_equal(hvvss_le32(f->rep), 7);	/* echoed */
	assert_int_equal(f->rep[24], 9);
}

/* --- hibernation and unload (5.6) --- */

static void
test_hibernate(void **state)
{
	struct fx	*f = *state;
	uint8_t		 m[16];

	daemon_register(f);
	host_op(f, HVVSS_OP_FREEZE, 0, T0);
	daemon_read(f, T0);
	gdrv_lnx_pre_suspend(&f->d, T0);
	assert_int_equal(host_reply(f), 0);	/* transaction dropped */
	assert_int_equal(gdrv_lnx_deadline(&f->d), 0);
	assert_int_equal(f->d.state, GDRV_LNX_READY);
	/* The fake THAW. */
	assert_int_equal(gdrv_lnx_poll(&f->d), POLLIN | POLLRDNORM);
	assert_int_equal(daemon_read(f, T0), HVVSS_OP_THAW);
	/* Channel disabled until resume. */
	host_op(f, HVVSS_OP_GET_DM_INFO, 0, T0);
	assert_int_equal(host_reply(f), 0);
	/* The daemon's reply to the fake THAW fails; it reopens. */
	assert_int_equal(daemon_reply(f, 0, T0), -EINVAL);
	gdrv_lnx_release(&f->d, T0);
	gdrv_lnx_pre_resume(&f->d, T0);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(f->rep[28], HVVSS_OP_GET_DM_INFO);
	hvvss_lnx_encode_register(m);
	assert_int_equal(gdrv_lnx_open(&f->d, T0), 0);
	assert_int_equal(gdrv_lnx_write(&f->d, m, 12, T0), 12);
	assert_int_equal(gdrv_lnx_read(&f->d, m, 16, T0), 4);
	assert_int_equal(f->d.st.registered, 2);
}

static void
test_hibernate_slot_busy(void **state)
{
	struct fx	*f = *state;

	daemon_register(f);
	host_op(f, HVVSS_OP_FREEZE, 0, T0);
	/* FREEZE unread: the fake THAW cannot be queued. */
	gdrv_lnx_pre_suspend(&f->d, T0);
	assert_int_equal(daemon_read(f, T0), HVVSS_OP_FREEZE);
	assert_int_equal(daemon_reply(f, 0, T0), -EINVAL);
}

static void
test_destroy(void **state)
{
	struct fx	*f = *state;
	uint8_t		 m[16];

	daemon_register(f);
	gdrv_lnx_destroy(&f->d, T0);
	assert_int_equal(gdrv_lnx_poll(&f->d), POLLERR | POLLHUP);
	assert_int_equal(gdrv_lnx_read(&f->d, m, 16, T0), -EBADF);
	assert_int_equal(daemon_reply(f, 0, T0), -EBADF);
	gdrv_lnx_release(&f->d, T0);
	assert_int_equal(gdrv_lnx_open(&f->d, T0), -EBADF);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(gdrv_lnx_state_name(GDRV_LNX_USERSPACE_REQ),
	    "USERSPACE_REQ");
	assert_string_equal(gdrv_lnx_state_name(99), "?");
	assert_string_equal(gdrv_lnx_mode_name(GDRV_LNX_MODE_CHARDEV),
	    "CHARDEV");
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_nego_before_daemon),
		T(test_nego_no_fw),
		T(test_nego_no_vss),
		T(test_nego_count_over_100),
		T(test_nego_array_short),
		T(test_nego_too_short_body),
		T(test_drop_short),
		T(test_drop_unknown_type),
		T(test_oversized_wedges),
		T(test_freeze_260_luns),
		T(test_not_registered),
		T(test_get_dm_info),
		T(test_kernel_answers_others),
		T(test_single_opener),
		T(test_register_handshake),
		T(test_register_legacy),
		T(test_register_twice_slot),
		T(test_write_length),
		T(test_spurious_reply),
		T(test_hot_backup_flags_quirk),
		T(test_status_aliases_register),
		T(test_freeze_timeout),
		T(test_other_timeout),
		T(test_release_mid_freeze),
		T(test_release_unread_dropped),
		T(test_ring_held_during_transaction),
		T(test_register_during_transaction),
		T(test_header_not_checked),
		T(test_hibernate),
		T(test_hibernate_slot_busy),
		T(test_destroy),
		T(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
