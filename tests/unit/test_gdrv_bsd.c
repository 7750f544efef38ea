/*
 * test_gdrv_bsd.c: the FreeBSD guest driver model (host/gdrv_bsd.c) as a
 * pure state machine, one test per rule of protocol.md 6, 2.4-2.7, 3.5.
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

#include "hvvss_bsd.h"
#include "hvvss_ic.h"
#include "hvvss_nego.h"
#include "hvvss_vss.h"

#include "gdrv_bsd.h"
#include "vmbus.h"

#define SEC	1000000000ull
#define T0	(1000 * SEC)
#define BASE	(5000 * SEC)
#define FS	GDRV_BSD_FS
#define APP	GDRV_BSD_APP

struct fx {
	struct vmbus_chan	 chan;
	struct gdrv_bsd		 d;
	uint8_t			 req[16384];
	size_t			 req_len;
	uint8_t			 rep[16384];
	size_t			 rep_len;
	uint64_t		 next_id;
};

static int
setup(void **state)
{
	struct fx		*f = calloc(1, sizeof(*f));
	struct gdrv_bsd_cfg	 cfg = { 15 * SEC, BASE };

	if (f == NULL)
		return -1;
	vmbus_chan_init(&f->chan);
	gdrv_bsd_init(&f->d, &cfg, &f->chan, NULL);
	f->next_id = 1;
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

static void
host_raw(struct fx *f, const uint8_t *b, size_t len, uint64_t now)
{
	memcpy(f->req, b, len);
	f->req_len = (len + 7) & ~(size_t)7;
	memset(f->req + len, 0, f->req_len - len);
	assert_int_equal(vmbus_send(&f->chan.h2g, b, len, f->next_id++), 0);
	gdrv_bsd_channel(&f->d, now);
}

static void
host_op(struct fx *f, uint8_t op, uint64_t now)
{
	uint8_t	 b[128];
	int	 len;

	len = hvvss_vss_build(b, sizeof(b), op, 1, 0, NULL, 0);
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

static int
host_reply(struct fx *f)
{
	uint64_t	 id;
	int		 r;

	r = vmbus_recv(&f->chan.g2h, f->rep, sizeof(f->rep), &f->rep_len, &id);
	assert_true(r >= 0);
	return r;
}

static uint32_t
expect_reply(struct fx *f, uint32_t status)
{
	uint32_t	 st, flags;

	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_vss_check_reply(f->req, f->req_len, f->rep,
	    f->rep_len, &st, &flags), HVVSS_OK);
	assert_int_equal(st, status);
	return flags;
}

/* IOCHVVSSREAD; returns opt (0 when status says nothing queued). */
static uint32_t
dev_read(struct fx *f, int dev, uint64_t *msgid, uint64_t now)
{
	uint8_t			 b[HVVSS_BSD_MSG_LEN];
	struct hvvss_bsd_msg	 m;

	memset(b, 0xee, sizeof(b));
	assert_int_equal(gdrv_bsd_ioctl_read(&f->d, dev, b, now), 0);
	assert_int_equal(hvvss_bsd_decode(b, sizeof(b), &m), HVVSS_OK);
	if (msgid != NULL)
		*msgid = m.msgid;
	if (m.status != HVVSS_BSD_STATUS_OK)
		return 0;
	return m.opt;
}

static void
dev_write(struct fx *f, int dev, uint32_t opt, uint32_t status,
    uint64_t msgid, uint64_t now)
{
	struct hvvss_bsd_msg	 m = { opt, status, msgid };
	uint8_t			 b[HVVSS_BSD_MSG_LEN];

	hvvss_bsd_encode(&m, b);
	assert_int_equal(gdrv_bsd_ioctl_write(&f->d, dev, b, now), 0);
}

static void
test_nothing_before_open(void **state)
{
	struct fx		*f = *state;
	struct hvvss_icver	 fw[] = { { 1, 0 }, { 3, 0 } };
	struct hvvss_icver	 vss[] = { { 4, 0 }, { 5, 0 } };
	struct hvvss_icver	 ofw, ovss;

	host_nego(f, fw, 2, vss, 2);
	assert_int_equal(host_reply(f), 0);	/* never read (2.7) */
	assert_int_equal(f->chan.h2g.count, 1);
	/* The app opening does not kick the channel. */
	assert_int_equal(gdrv_bsd_open(&f->d, APP, T0), 0);
	assert_int_equal(host_reply(f), 0);
	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_nego_host_check(f->req, f->req_len, f->rep,
	    f->rep_len, &ofw, &ovss), HVVSS_OK);
	assert_int_equal(ofw.major, 3);
	assert_int_equal(ovss.major, 5);
	assert_int_equal(hvvss_le16(f->rep + 18), 16);
}

static void
test_nego_best_le(void **state)
{
	struct fx		*f = *state;
	struct hvvss_icver	 fw[] = { { 1, 0 } };
	struct hvvss_icver	 vss[] = { { 4, 0 } };
	struct hvvss_icver	 fw2[] = { { 2, 5 }, { 3, 1 }, { 1, 0 } };
	struct hvvss_icver	 vss2[] = { { 4, 9 }, { 5, 1 } };
	struct hvvss_icver	 ofw, ovss;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	/* A lone 4.0 is accepted (9.1 item 6). */
	host_nego(f, fw, 1, vss, 1);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_nego_host_check(f->req, f->req_len, f->rep,
	    f->rep_len, &ofw, &ovss), HVVSS_OK);
	assert_int_equal(ofw.major, 1);
	assert_int_equal(ovss.major, 4);
	/* Highest not above 3.0 / 5.0: 2.5 and 4.9. */
	host_nego(f, fw2, 3, vss2, 2);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_le16(f->rep + 36), 2);
	assert_int_equal(hvvss_le16(f->rep + 38), 5);
	assert_int_equal(hvvss_le16(f->rep + 40), 4);
	assert_int_equal(hvvss_le16(f->rep + 42), 9);
}

static void
test_nego_errno_status(void **state)
{
	struct fx		*f = *state;
	struct hvvss_icver	 fw[] = { { 3, 0 } };
	struct hvvss_icver	 vss[] = { { 6, 0 }, { 7, 0 } };
	uint8_t			 b[64];
	int			 len;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	host_nego(f, fw, 1, vss, 2);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_le32(f->rep + 20), 45);	/* EOPNOTSUPP */
	assert_int_equal(f->rep[25], 0x05);
	/* Body untouched: the host's lists come back. */
	assert_memory_equal(f->rep + 28, f->req + 28, 20);
	/* Count 0, short packet, missing versions: EINVAL. */
	len = hvvss_nego_host_offer(b, sizeof(b), 1, fw, 1, fw, 1);
	hvvss_put16(b + 28, 0);
	host_raw(f, b, (size_t)len, T0);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_le32(f->rep + 20), 22);
	len = hvvss_nego_host_offer(b, sizeof(b), 1, fw, 1, fw, 1);
	host_raw(f, b, 32, T0);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_le32(f->rep + 20), 22);
	hvvss_put16(b + 30, 50);
	host_raw(f, b, (size_t)len, T0);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_le32(f->rep + 20), 22);
}

static void
test_exclusive_open(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), -EBUSY);
	assert_int_equal(gdrv_bsd_open(&f->d, APP, T0), 0);
	assert_int_equal(gdrv_bsd_open(&f->d, APP, T0), -EBUSY);
	gdrv_bsd_close(&f->d, FS, T0);
	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	assert_int_equal(f->d.dev[FS].opens, 2);
}

static void
test_check_cycle(void **state)
{
	struct fx	*f = *state;
	uint64_t	 id;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	assert_int_equal(gdrv_bsd_poll(&f->d, FS), 0);
	host_op(f, HVVSS_OP_HOT_BACKUP, T0 + 7);
	assert_int_equal(gdrv_bsd_poll(&f->d, FS), POLLIN);
	assert_int_equal(dev_read(f, FS, &id, T0), HVVSS_BSD_CHECK);
	assert_int_equal(id, BASE + T0 + 7);	/* nanotime */
	assert_int_equal(gdrv_bsd_poll(&f->d, FS), 0);
	assert_int_equal(host_reply(f), 0);
	dev_write(f, FS, HVVSS_BSD_CHECK, 0, id, T0);
	assert_int_equal(expect_reply(f, HVVSS_S_OK),
	    HVVSS_HBU_NO_AUTO_RECOVERY);
	/* Failure: still flags 5. */
	host_op(f, HVVSS_OP_HOT_BACKUP, T0);
	dev_read(f, FS, &id, T0);
	dev_write(f, FS, HVVSS_BSD_CHECK, 1, id, T0);
	assert_int_equal(expect_reply(f, HVVSS_E_FAIL),
	    HVVSS_HBU_NO_AUTO_RECOVERY);
}

static void
test_read_empty(void **state)
{
	struct fx	*f = *state;
	uint8_t		 b[HVVSS_BSD_MSG_LEN];

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	assert_int_equal(dev_read(f, FS, NULL, T0), 0);
	gdrv_bsd_ioctl_read(&f->d, FS, b, T0);
	assert_int_equal(hvvss_le32(b + 4), HVVSS_BSD_STATUS_FAIL);
	assert_int_equal(hvvss_le64(b + 8), 0);
}

static void
test_unknown_msgid(void **state)
{
	struct fx	*f = *state;
	uint64_t	 id;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	host_op(f, HVVSS_OP_FREEZE, T0);
	dev_read(f, FS, &id, T0);
	dev_write(f, FS, HVVSS_BSD_FREEZE, 0, id + 1, T0);
	assert_int_equal(host_reply(f), 0);
	assert_int_equal(f->d.st.unknown_msgid, 1);
	/* Only the device that read it may answer. */
	assert_int_equal(gdrv_bsd_open(&f->d, APP, T0), 0);
	dev_write(f, APP, HVVSS_BSD_FREEZE, 0, id, T0);
	assert_int_equal(host_reply(f), 0);
	dev_write(f, FS, HVVSS_BSD_FREEZE, 0, id, T0);
	expect_reply(f, HVVSS_S_OK);
}

static void
test_freeze_app_first(void **state)
{
	struct fx	*f = *state;
	uint64_t	 id, id2;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	assert_int_equal(gdrv_bsd_open(&f->d, APP, T0), 0);
	host_op(f, HVVSS_OP_FREEZE, T0);
	assert_int_equal(gdrv_bsd_poll(&f->d, FS), 0);
	assert_int_equal(gdrv_bsd_poll(&f->d, APP), POLLIN);
	assert_int_equal(dev_read(f, APP, &id, T0), HVVSS_BSD_FREEZE);
	dev_write(f, APP, HVVSS_BSD_FREEZE, 0, id, T0);
	assert_int_equal(host_reply(f), 0);
	assert_int_equal(dev_read(f, FS, &id2, T0), HVVSS_BSD_FREEZE);
	assert_int_equal(id, id2);		/* the same request */
	dev_write(f, FS, HVVSS_BSD_FREEZE, 0, id2, T0);
	expect_reply(f, HVVSS_S_OK);
}

static void
test_freeze_app_fails(void **state)
{
	struct fx	*f = *state;
	uint64_t	 id;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	assert_int_equal(gdrv_bsd_open(&f->d, APP, T0), 0);
	host_op(f, HVVSS_OP_HOT_BACKUP, T0);
	dev_read(f, APP, &id, T0);
	dev_write(f, APP, HVVSS_BSD_CHECK, 1, id, T0);
	assert_int_equal(expect_reply(f, HVVSS_E_FAIL),
	    HVVSS_HBU_NO_AUTO_RECOVERY);
	assert_int_equal(gdrv_bsd_poll(&f->d, FS), 0);	/* never asked */
}

static void
test_thaw_fs_first(void **state)
{
	struct fx	*f = *state;
	uint64_t	 id;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	assert_int_equal(gdrv_bsd_open(&f->d, APP, T0), 0);
	host_op(f, HVVSS_OP_THAW, T0);
	assert_int_equal(gdrv_bsd_poll(&f->d, APP), 0);
	assert_int_equal(dev_read(f, FS, &id, T0), HVVSS_BSD_THAW);
	dev_write(f, FS, HVVSS_BSD_THAW, 0, id, T0);
	assert_int_equal(host_reply(f), 0);
	assert_int_equal(dev_read(f, APP, &id, T0), HVVSS_BSD_THAW);
	dev_write(f, APP, HVVSS_BSD_THAW, 0, id, T0);
	expect_reply(f, HVVSS_S_OK);
}

static void
test_thaw_fs_fails(void **state)
{
	struct fx	*f = *state;
	uint64_t	 id;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	assert_int_equal(gdrv_bsd_open(&f->d, APP, T0), 0);
	host_op(f, HVVSS_OP_THAW, T0);
	dev_read(f, FS, &id, T0);
	dev_write(f, FS, HVVSS_BSD_THAW, 1, id, T0);
	expect_reply(f, HVVSS_E_FAIL);
	/* 9.1 item 8: the application is never told to thaw. */
	assert_int_equal(gdrv_bsd_poll(&f->d, APP), 0);
}

static void
test_callout(void **state)
{
	struct fx	*f = *state;
	uint64_t	 id;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	host_op(f, HVVSS_OP_FREEZE, T0);
	assert_int_equal(gdrv_bsd_deadline(&f->d), T0 + 15 * SEC);
	dev_read(f, FS, &id, T0);
	gdrv_bsd_timer(&f->d, T0 + 14 * SEC);
	assert_int_equal(host_reply(f), 0);
	gdrv_bsd_timer(&f->d, T0 + 15 * SEC);
	expect_reply(f, HVVSS_E_FAIL);
	assert_int_equal(gdrv_bsd_deadline(&f->d), 0);
	/* The late answer: unknown msgid, ignored. */
	dev_write(f, FS, HVVSS_BSD_FREEZE, 0, id, T0 + 16 * SEC);
	assert_int_equal(host_reply(f), 0);
	assert_int_equal(f->d.st.unknown_msgid, 1);
}

static void
test_callout_shared_chain(void **state)
{
	struct fx	*f = *state;
	uint64_t	 id;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	assert_int_equal(gdrv_bsd_open(&f->d, APP, T0), 0);
	host_op(f, HVVSS_OP_FREEZE, T0);
	dev_read(f, APP, &id, T0 + 10 * SEC);
	dev_write(f, APP, HVVSS_BSD_FREEZE, 0, id, T0 + 10 * SEC);
	/* Not re-armed for the daemon stage: still T0 + 15 s. */
	assert_int_equal(gdrv_bsd_deadline(&f->d), T0 + 15 * SEC);
	gdrv_bsd_timer(&f->d, T0 + 15 * SEC);
	expect_reply(f, HVVSS_E_FAIL);
	assert_int_equal(gdrv_bsd_poll(&f->d, FS), 0);	/* drained */
}

static void
test_killed_after_launch(void **state)
{
	struct fx		*f = *state;
	struct hvvss_icver	 fw[] = { { 3, 0 } };
	struct hvvss_icver	 vss[] = { { 5, 0 } };
	uint8_t			 b[64];
	int			 len;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	gdrv_bsd_close(&f->d, FS, T0);
	host_op(f, HVVSS_OP_HOT_BACKUP, T0);
	assert_int_equal(expect_reply(f, HVVSS_E_FAIL),
	    HVVSS_HBU_NO_AUTO_RECOVERY);
	len = hvvss_vss_build(b, sizeof(b), HVVSS_OP_GET_DM_INFO, 1, 77,
	    NULL, 0);
	host_raw(f, b, (size_t)len, T0);
	assert_int_equal(expect_reply(f, HVVSS_E_FAIL), 0);
	host_op(f, HVVSS_OP_BU_COMPLETE, T0);
	expect_reply(f, HVVSS_E_FAIL);	/* even unknown ops now */
	host_nego(f, fw, 1, vss, 1);
	assert_int_equal(host_reply(f), 1);	/* negotiate still answered */
	assert_int_equal(hvvss_le32(f->rep + 20), 0);
}

static void
test_queued_to_dead_daemon(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	host_op(f, HVVSS_OP_FREEZE, T0);
	gdrv_bsd_close(&f->d, FS, T0 + SEC);
	assert_int_equal(host_reply(f), 0);	/* not at close */
	gdrv_bsd_timer(&f->d, T0 + 15 * SEC);
	expect_reply(f, HVVSS_E_FAIL);
}

static void
test_unknown_ops_silent(void **state)
{
	struct fx	*f = *state;
	uint8_t		 ops[] = { HVVSS_OP_CREATE, HVVSS_OP_DELETE,
			    HVVSS_OP_BU_COMPLETE, HVVSS_OP_AUTO_RECOVER, 200 };
	size_t		 i;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	for (i = 0; i < sizeof(ops); i++) {
		host_op(f, ops[i], T0);
		assert_int_equal(host_reply(f), 0);
	}
	assert_int_equal(f->d.st.ignored, sizeof(ops));
}

static void
test_get_dm_info(void **state)
{
	struct fx	*f = *state;
	uint8_t		 b[64];
	int		 len;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	len = hvvss_vss_build(b, sizeof(b), HVVSS_OP_GET_DM_INFO, 1, 9, NULL,
	    0);
	host_raw(f, b, (size_t)len, T0);
	assert_int_equal(expect_reply(f, HVVSS_S_OK), 0);
}

static void
test_busy_ignored(void **state)
{
	struct fx	*f = *state;
	uint64_t	 id;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	host_op(f, HVVSS_OP_FREEZE, T0);
	host_op(f, HVVSS_OP_THAW, T0);		/* ignored: one queued */
	assert_int_equal(f->d.st.ignored, 1);
	dev_read(f, FS, &id, T0);
	dev_write(f, FS, HVVSS_BSD_FREEZE, 0, id, T0);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(host_reply(f), 0);
	assert_int_equal(dev_read(f, FS, NULL, T0), 0);
}

static void
test_no_vss_checks(void **state)
{
	struct fx	*f = *state;
	uint8_t		 b[64];
	uint64_t	 id;
	int		 len;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	/* IC type KVP: still a VSS request for FreeBSD. */
	len = hvvss_vss_build(b, sizeof(b), HVVSS_OP_HOT_BACKUP, 1, 0, NULL,
	    0);
	hvvss_put16(b + 12, HVVSS_ICMSG_KVP);
	host_raw(f, b, (size_t)len, T0);
	assert_int_equal(dev_read(f, FS, &id, T0), HVVSS_BSD_CHECK);
	dev_write(f, FS, HVVSS_BSD_CHECK, 0, id, T0);
	assert_int_equal(host_reply(f), 1);
	/* 24 bytes: the op byte is whatever the buffer still holds (2). */
	host_raw(f, b, 24, T0);
	assert_int_equal(dev_read(f, FS, &id, T0), HVVSS_BSD_CHECK);
	dev_write(f, FS, HVVSS_BSD_CHECK, 0, id, T0);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(f->rep_len, 24);
}

static void
test_app_acked_daemon_gone(void **state)
{
	struct fx	*f = *state;
	uint64_t	 id;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	assert_int_equal(gdrv_bsd_open(&f->d, APP, T0), 0);
	host_op(f, HVVSS_OP_FREEZE, T0);
	dev_read(f, APP, &id, T0);
	gdrv_bsd_close(&f->d, FS, T0);
	dev_write(f, APP, HVVSS_BSD_FREEZE, 0, id, T0);
	assert_int_equal(host_reply(f), 0);
	assert_int_equal(f->d.req[0].where, GDRV_BSD_LIMBO);
	/* A limbo request does not block a new one (only queues do). */
	host_op(f, HVVSS_OP_THAW, T0);
	expect_reply(f, HVVSS_E_FAIL);		/* killed after launch */
	gdrv_bsd_timer(&f->d, T0 + 15 * SEC);
	assert_int_equal(host_reply(f), 1);
	assert_int_equal(hvvss_le32(f->rep + 20), HVVSS_E_FAIL);
}

static void
test_opt_mismatch(void **state)
{
	struct fx	*f = *state;
	uint64_t	 id;

	assert_int_equal(gdrv_bsd_open(&f->d, FS, T0), 0);
	host_op(f, HVVSS_OP_FREEZE, T0);
	dev_read(f, FS, &id, T0);
	dev_write(f, FS, HVVSS_BSD_THAW, 0, id, T0);
	assert_int_equal(f->d.st.opt_mismatch, 1);
	expect_reply(f, HVVSS_S_OK);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(gdrv_bsd_where_name(GDRV_BSD_ACK), "ack");
	assert_string_equal(gdrv_bsd_where_name(-1), "?");
	assert_string_equal(gdrv_bsd_dev_name(APP), "app");
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_nothing_before_open),
		T(test_nego_best_le),
		T(test_nego_errno_status),
		T(test_exclusive_open),
		T(test_check_cycle),
		T(test_read_empty),
		T(test_unknown_msgid),
		T(test_freeze_app_first),
		T(test_freeze_app_fails),
		T(test_thaw_fs_first),
		T(test_thaw_fs_fails),
		T(test_callout),
		T(test_callout_shared_chain),
		T(test_killed_after_launch),
		T(test_queued_to_dead_daemon),
		T(test_unknown_ops_silent),
		T(test_get_dm_info),
		T(test_busy_ignored),
		T(test_no_vss_checks),
		T(test_app_acked_daemon_gone),
		T(test_opt_mismatch),
		T(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
