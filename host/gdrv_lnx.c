/*
 * gdrv_lnx.c: the Linux guest VSS driver, as a pure state machine.
 *
 * Mirrors drivers/hv/hv_snapshot.c and hv_utils_transport.c (protocol.md
 * 5, 1.10, 3.5).  Faithfulness to the kernel beats tidiness here: where
 * the kernel does something odd (the HOT_BACKUP flag test on the daemon's
 * reply, the negotiate "no match" slot garbage, GET_DM_INFO making the
 * state READY without a daemon, an oversized packet wedging the ring),
 * the model does it too and the comment says why.
 *
 * Deliberate simplifications, all unobservable with a host that keeps
 * one transaction outstanding:
 *  - the kernel hands VSS packets to a work item; here they are handled
 *    synchronously, so the race where a second packet overwrites the
 *    shared receive buffer before the work runs does not exist;
 *  - cancel_delayed_work_sync() can lose against a running timeout; the
 *    timer here fires atomically, so that window (write returns 12 but
 *    the reply is dropped, 5.4) is not modelled;
 *  - the NETLINK transport mode is not emulated (5.1: char device only).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "hvvss_ic.h"
#include "hvvss_lnx.h"
#include "hvvss_nego.h"
#include "hvvss_vss.h"

#include "gdrv_lnx.h"
#include "hlog.h"
#include "scenario.h"
#include "timeline.h"
#include "vmbus.h"

/* Offsets inside a packet (1.4, 2.1, 3.2). */
#define OFF_ICMSGSIZE	18
#define OFF_STATUS	20
#define OFF_FLAGS	25
#define OFF_NEGO_FWCNT	28
#define OFF_NEGO_MSGCNT	30
#define OFF_NEGO_VER	36
#define OFF_VSS_OP	28
#define OFF_VSS_FLAGS	36

static const char *const lnx_state_names[GDRV_LNX_STATE_MAX] = {
	[GDRV_LNX_DEVICE_INIT] = "DEVICE_INIT",
	[GDRV_LNX_READY] = "READY",
	[GDRV_LNX_HOSTMSG_RECEIVED] = "HOSTMSG_RECEIVED",
	[GDRV_LNX_USERSPACE_REQ] = "USERSPACE_REQ",
	[GDRV_LNX_USERSPACE_RECV] = "USERSPACE_RECV",
	[GDRV_LNX_DEVICE_DYING] = "DEVICE_DYING",
};

static const char *const lnx_mode_names[GDRV_LNX_MODE_MAX] = {
	[GDRV_LNX_MODE_INIT] = "INIT",
	[GDRV_LNX_MODE_CHARDEV] = "CHARDEV",
	[GDRV_LNX_MODE_DESTROY] = "DESTROY",
};

/* Op names as the scenario language spells them, for the timeline. */
#define OPN(op)	scenario_op_name((op), opbuf, sizeof(opbuf))

static void	lnx_run(struct gdrv_lnx *, uint64_t);

const char *
gdrv_lnx_state_name(int s)
{
	if (s < 0 || s >= GDRV_LNX_STATE_MAX)
		return "?";
	return lnx_state_names[s];
}

const char *
gdrv_lnx_mode_name(int m)
{
	if (m < 0 || m >= GDRV_LNX_MODE_MAX)
		return "?";
	return lnx_mode_names[m];
}

/* The only writer of d->state. */
static void
lnx_transition(struct gdrv_lnx *d, enum gdrv_lnx_state to, const char *why,
    uint64_t now)
{
	if (d->state == to)
		return;
	timeline_event(d->tl, now, "drv-state", "from=%s to=%s why=%s",
	    gdrv_lnx_state_name(d->state), gdrv_lnx_state_name(to), why);
	hlog_debug("lnx: %s -> %s (%s)", gdrv_lnx_state_name(d->state),
	    gdrv_lnx_state_name(to), why);
	d->state = to;
}

void
gdrv_lnx_init(struct gdrv_lnx *d, const struct gdrv_lnx_cfg *cfg,
    struct vmbus_chan *chan, struct timeline *tl)
{
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	d->chan = chan;
	d->tl = tl;
	/* hv_vss_init: "defer processing ... until the daemon registered". */
	d->state = GDRV_LNX_DEVICE_INIT;
	d->mode = GDRV_LNX_MODE_INIT;
}

/* hvutil_transport_send: one outgoing slot, a reader must exist. */
static int
lnx_hvt_send(struct gdrv_lnx *d, const uint8_t *msg, size_t len,
    int on_read_register)
{
	if (d->mode != GDRV_LNX_MODE_CHARDEV)
		return -EINVAL;
	if (d->outmsg_len > 0)
		return -EFAULT;		/* previous message not yet read */
	memcpy(d->outmsg, msg, len);
	d->outmsg_len = len;
	d->on_read_register = on_read_register;
	return 0;
}

/*
 * vss_respond_to_host: status and icflags into the stashed packet, sent
 * back with the received length and VMBus id (1.9).  The body is left as
 * it is; GET_DM_INFO and HOT_BACKUP flags were set by the caller.
 */
static void
lnx_respond(struct gdrv_lnx *d, uint32_t status, uint64_t now)
{
	char	 opbuf[16], sb[32];

	hvvss_ic_set_reply(d->recv_buf, d->recv_len, status);
	if (vmbus_send(&d->chan->g2h, d->recv_buf, d->recv_len,
	    d->recv_reqid) == -1)
		hlog_warn("lnx: reply to host");
	timeline_event(d->tl, now, "drv-reply", "op=%s status=%s len=%zu",
	    OPN(d->recv_buf[OFF_VSS_OP]),
	    timeline_status(status, sb, sizeof(sb)), d->recv_len);
}

/* vss_poll_wrapper: "transaction is finished", state READY, poll ring. */
static void
lnx_poll_wrapper(struct gdrv_lnx *d, const char *why, uint64_t now)
{
	lnx_transition(d, GDRV_LNX_READY, why, now);
}

/* vss_send_op: queue the 12-byte request and arm the daemon timeout. */
static void
lnx_send_op(struct gdrv_lnx *d, uint64_t now)
{
	uint8_t		 msg[HVVSS_LNX_MSG_LEN];
	char		 opbuf[16];
	uint8_t		 op = d->recv_buf[OFF_VSS_OP];
	int		 rc;

	if (d->state != GDRV_LNX_HOSTMSG_RECEIVED)
		return;
	/* kzalloc'd message with only the operation set (5.2). */
	hvvss_lnx_encode_request(msg, op);
	lnx_transition(d, GDRV_LNX_USERSPACE_REQ, "request queued", now);
	d->deadline = now + (op == HVVSS_OP_FREEZE ? d->cfg.freeze_tmo :
	    d->cfg.other_tmo);
	rc = lnx_hvt_send(d, msg, sizeof(msg), 0);
	if (rc != 0) {
		/* No reader (-EINVAL) or unread message (-EFAULT), 5.4. */
		d->st.send_fail++;
		d->deadline = 0;
		timeline_event(d->tl, now, "drv-fail",
		    "op=%s reason=%s", OPN(op),
		    rc == -EINVAL ? "no-reader" : "slot-busy");
		lnx_respond(d, HVVSS_E_FAIL, now);
		lnx_transition(d, GDRV_LNX_READY, "send failed", now);
		return;
	}
	d->st.forwarded++;
	timeline_event(d->tl, now, "drv-forward", "op=%s", OPN(op));
}

/* vss_handle_request (3.5). */
static void
lnx_handle_request(struct gdrv_lnx *d, uint64_t now)
{
	char	 opbuf[16];
	uint8_t	 op = d->recv_buf[OFF_VSS_OP];

	switch (op) {
	case HVVSS_OP_THAW:
	case HVVSS_OP_FREEZE:
	case HVVSS_OP_HOT_BACKUP:
		if (d->state < GDRV_LNX_READY) {
			/*
			 * "Not ready for request": no daemon registered.
			 * The kernel returns without vss_poll_wrapper, so
			 * the state stays as it is.
			 */
			d->st.not_ready++;
			timeline_event(d->tl, now, "drv-fail",
			    "op=%s reason=not-registered", OPN(op));
			lnx_respond(d, HVVSS_E_FAIL, now);
			return;
		}
		lnx_transition(d, GDRV_LNX_HOSTMSG_RECEIVED, "host request",
		    now);
		lnx_send_op(d, now);
		return;
	case HVVSS_OP_GET_DM_INFO:
		hvvss_put32(d->recv_buf + OFF_VSS_FLAGS, 0);
		break;
	default:
		/* CREATE, DELETE, BU_COMPLETE, AUTO_RECOVER, unknown. */
		break;
	}
	d->st.kernel_reply++;
	lnx_respond(d, HVVSS_S_OK, now);
	/*
	 * The kernel calls hv_poll_channel(vss_poll_wrapper) here, which
	 * sets READY even if no daemon ever registered.  A later HOT_BACKUP
	 * is then forwarded, and fails only because nobody reads (-EINVAL
	 * from hvutil_transport_send): same HV_E_FAIL for the host.
	 */
	lnx_poll_wrapper(d, "kernel answered", now);
}

static int
lnx_ver_is(const uint8_t *p, uint16_t major, uint16_t minor)
{
	return hvvss_le16(p) == major && hvvss_le16(p + 2) == minor;
}

/*
 * vmbus_prep_negotiate_resp (L-CM, 2.4-2.6) with the VSS driver's lists:
 * framework 3.0 and VSS 5.0, exact matches only.  On success the reply is
 * what hvvss_nego_guest_reply() builds (a unit test checks that); the
 * failure forms are the kernel's own: below 32 bytes the body is left
 * alone; otherwise counts 0/0 and slot values left over from the search
 * (the host's counts as "major", minor 0).  The status is never touched.
 */
static int
lnx_prep_negotiate(struct gdrv_lnx *d, size_t len, uint16_t *fw_major,
    uint16_t *fw_minor, uint16_t *msg_major, uint16_t *msg_minor)
{
	uint8_t		*b = d->recv_buf;
	uint16_t	 fcnt, mcnt, fmaj, fmin = 0, mmaj, mmin = 0;
	size_t		 i;
	int		 found = 0;

	if (len < HVVSS_ICMSG_HDR_LEN + 4)
		return -1;
	hvvss_put16(b + OFF_ICMSGSIZE, HVVSS_NEGO_REPLY_SIZE);
	fcnt = hvvss_le16(b + OFF_NEGO_FWCNT);
	mcnt = hvvss_le16(b + OFF_NEGO_MSGCNT);
	fmaj = fcnt;
	mmaj = mcnt;
	if (fcnt > HVVSS_NEGO_MAX_COUNT || mcnt > HVVSS_NEGO_MAX_COUNT ||
	    (size_t)HVVSS_ICMSG_HDR_LEN + HVVSS_NEGO_BODY_FIXED +
	    4 * ((size_t)fcnt + mcnt) > len)
		goto out;
	for (i = 0; i < fcnt; i++) {
		if (lnx_ver_is(b + OFF_NEGO_VER + 4 * i, HVVSS_FW_MAJOR,
		    HVVSS_FW_MINOR)) {
			fmaj = HVVSS_FW_MAJOR;
			fmin = HVVSS_FW_MINOR;
			found = 1;
			break;
		}
	}
	if (!found)
		goto out;
	found = 0;
	for (i = fcnt; i < (size_t)fcnt + mcnt; i++) {
		if (lnx_ver_is(b + OFF_NEGO_VER + 4 * i, HVVSS_VSS_MAJOR,
		    HVVSS_VSS_MINOR)) {
			mmaj = HVVSS_VSS_MAJOR;
			mmin = HVVSS_VSS_MINOR;
			found = 1;
			break;
		}
	}
out:
	hvvss_put16(b + OFF_NEGO_FWCNT, found ? 1 : 0);
	hvvss_put16(b + OFF_NEGO_MSGCNT, found ? 1 : 0);
	/* Slots 0 and 1 are written even past recvlen: the kernel's buffer
	 * is large, and only recvlen bytes go back. */
	hvvss_put16(b + OFF_NEGO_VER, fmaj);
	hvvss_put16(b + OFF_NEGO_VER + 2, fmin);
	hvvss_put16(b + OFF_NEGO_VER + 4, mmaj);
	hvvss_put16(b + OFF_NEGO_VER + 6, mmin);
	*fw_major = fmaj;
	*fw_minor = fmin;
	*msg_major = mmaj;
	*msg_minor = mmin;
	return found;
}

/* hv_vss_onchannelcallback for one packet. */
static void
lnx_process_one(struct gdrv_lnx *d, uint64_t now)
{
	char		 opbuf[16];
	size_t		 len;
	uint64_t	 reqid;
	uint16_t	 type, fmaj, fmin, mmaj, mmin;
	int		 r;

	r = vmbus_recv(&d->chan->h2g, d->recv_buf, sizeof(d->recv_buf), &len,
	    &reqid);
	if (r <= 0 || len == 0)
		return;
	if (len < HVVSS_ICMSG_HDR_LEN) {
		d->st.drop_short++;
		timeline_event(d->tl, now, "drv-drop", "reason=short len=%zu",
		    len);
		return;
	}
	type = hvvss_le16(d->recv_buf + 12);
	if (type == HVVSS_ICMSG_NEGOTIATE) {
		d->st.negotiate++;
		r = lnx_prep_negotiate(d, len, &fmaj, &fmin, &mmaj, &mmin);
		if (r < 0)
			timeline_event(d->tl, now, "drv-negotiate",
			    "result=too-short len=%zu", len);
		else
			timeline_event(d->tl, now, "drv-negotiate",
			    "result=%s fw=%u.%u vss=%u.%u", r ? "match" :
			    "no-match", fmaj, fmin, mmaj, mmin);
		/* Only icflags changes; status stays as the host sent it. */
		hvvss_ic_set_reply(d->recv_buf, len,
		    hvvss_le32(d->recv_buf + OFF_STATUS));
		if (vmbus_send(&d->chan->g2h, d->recv_buf, len, reqid) == -1)
			hlog_warn("lnx: negotiate reply");
		return;
	}
	if (type != HVVSS_ICMSG_VSS) {
		d->st.drop_type++;
		timeline_event(d->tl, now, "drv-drop",
		    "reason=msgtype type=%u len=%zu", type, len);
		return;
	}
	if (len < HVVSS_ICMSG_HDR_LEN + HVVSS_LNX_MSG_LEN) {
		d->st.drop_vss_short++;
		timeline_event(d->tl, now, "drv-drop",
		    "reason=vss-short len=%zu", len);
		return;
	}
	d->recv_len = len;
	d->recv_reqid = reqid;
	timeline_event(d->tl, now, "drv-recv", "op=%s len=%zu",
	    OPN(d->recv_buf[OFF_VSS_OP]), len);
	lnx_handle_request(d, now);
}

/*
 * The channel tasklet: the kernel reads nothing while a transaction is
 * in progress (state > READY) and re-runs the callback while packets are
 * pending, so packets are processed exactly while state <= READY.  A
 * packet larger than VSS_MAX_PKT_SIZE makes vmbus_recvpacket() fail with
 * ENOBUFS without consuming it (hv_ringbuffer_read), so it stays at the
 * head of the ring and nothing behind it is ever read: the channel is
 * wedged.  (protocol.md 1.10 leaves the ring's fate open; this is what
 * the ring code does.)
 */
static void
lnx_run(struct gdrv_lnx *d, uint64_t now)
{
	size_t	 len;

	while (!d->suspended && d->state <= GDRV_LNX_READY) {
		len = vmbus_peek_len(&d->chan->h2g);
		if (len == 0)
			return;
		if (len > GDRV_LNX_RECV_MAX) {
			if (!d->wedged) {
				d->wedged = 1;
				d->st.nobufs++;
				timeline_event(d->tl, now, "drv-drop",
				    "reason=nobufs len=%zu", len);
				hlog_debug("lnx: could not read into recv "
				    "buf (%zu bytes); ring wedged", len);
			}
			return;
		}
		lnx_process_one(d, now);
	}
}

void
gdrv_lnx_channel(struct gdrv_lnx *d, uint64_t now)
{
	lnx_run(d, now);
}

/* hvt_op_open. */
int
gdrv_lnx_open(struct gdrv_lnx *d, uint64_t now)
{
	int	 r = 0;

	if (d->mode == GDRV_LNX_MODE_DESTROY)
		r = -EBADF;
	else if (d->mode == GDRV_LNX_MODE_CHARDEV)
		r = -EBUSY;
	else
		d->mode = GDRV_LNX_MODE_CHARDEV;
	timeline_event(d->tl, now, "dev-open", "result=%s",
	    r == 0 ? "ok" : strerror(-r));
	return r;
}

/* vss_on_reset via hvt_reset, from hvt_op_release. */
void
gdrv_lnx_release(struct gdrv_lnx *d, uint64_t now)
{
	char	 opbuf[16];

	if (d->mode != GDRV_LNX_MODE_DESTROY)
		d->mode = GDRV_LNX_MODE_INIT;
	d->outmsg_len = 0;
	d->on_read_register = 0;
	timeline_event(d->tl, now, "dev-release", "state=%s",
	    gdrv_lnx_state_name(d->state));
	if (d->deadline != 0) {
		/* A host transaction waits for the daemon: fail it (5.5). */
		d->deadline = 0;
		d->st.reset++;
		timeline_event(d->tl, now, "drv-fail",
		    "op=%s reason=daemon-closed",
		    OPN(d->recv_buf[OFF_VSS_OP]));
		lnx_respond(d, HVVSS_E_FAIL, now);
	}
	lnx_transition(d, GDRV_LNX_DEVICE_INIT, "daemon released", now);
	lnx_run(d, now);
}

/* hvt_op_read; -EAGAIN stands for wait_event_interruptible blocking. */
ssize_t
gdrv_lnx_read(struct gdrv_lnx *d, uint8_t *buf, size_t count, uint64_t now)
{
	char	 opbuf[16];
	size_t	 len;
	int	 reg;

	if (d->mode == GDRV_LNX_MODE_DESTROY)
		return -EBADF;
	if (d->outmsg_len == 0)
		return -EAGAIN;
	if (count < d->outmsg_len)
		return -EINVAL;		/* the message stays queued */
	len = d->outmsg_len;
	memcpy(buf, d->outmsg, len);
	reg = d->on_read_register;
	d->outmsg_len = 0;
	d->on_read_register = 0;
	if (len == HVVSS_LNX_MSG_LEN)
		timeline_event(d->tl, now, "dev-read", "op=%s",
		    OPN(buf[0]));
	if (reg) {
		/* vss_register_done: the one-shot on_read callback. */
		d->st.registered++;
		timeline_event(d->tl, now, "register", "version=%u",
		    (unsigned)hvvss_le32(buf));
		lnx_poll_wrapper(d, "daemon registered", now);
		lnx_run(d, now);
	}
	return (ssize_t)len;
}

/* hvt_op_write -> vss_on_msg. */
ssize_t
gdrv_lnx_write(struct gdrv_lnx *d, const uint8_t *buf, size_t len,
    uint64_t now)
{
	uint8_t		 reply[HVVSS_LNX_REG_REPLY_LEN];
	char		 sb[32];
	uint32_t	 status = 0;
	int		 kind = HVVSS_LNX_REPLY;
	ssize_t		 r = (ssize_t)len;

	if (d->mode == GDRV_LNX_MODE_DESTROY)
		return -EBADF;
	if (hvvss_lnx_decode_daemon(buf, len, &kind, &status) != HVVSS_OK) {
		r = -EINVAL;		/* "size does not match length" */
		goto out;
	}
	if (kind == HVVSS_LNX_KIND_REGISTER ||
	    kind == HVVSS_LNX_KIND_REGISTER1) {
		/* No registration in the middle of a transaction. */
		if (d->state > GDRV_LNX_READY) {
			r = -EINVAL;
			goto out;
		}
		if (kind == HVVSS_LNX_KIND_REGISTER) {
			/* Legacy: no reply, nothing makes the state READY. */
			d->dm_reg_value = HVVSS_OP_REGISTER;
			goto out;
		}
		hvvss_lnx_encode_register_reply(reply);
		if (lnx_hvt_send(d, reply, sizeof(reply), 1) != 0) {
			r = -EFAULT;
			goto out;
		}
		d->dm_reg_value = HVVSS_OP_REGISTER1;
		goto out;
	}
	if (d->state != GDRV_LNX_USERSPACE_REQ) {
		/* Late reply (timeout already answered) or spurious. */
		r = -EINVAL;
		goto out;
	}
	lnx_transition(d, GDRV_LNX_USERSPACE_RECV, "daemon replied", now);
	/*
	 * protocol.md 9.1 item 1, lab-facts 5 item 11: the kernel means to
	 * set NO_AUTO_RECOVERY on a HOT_BACKUP reply, but it tests the op
	 * byte of the daemon's message, which the daemon overwrote with the
	 * low byte of its status.  So the flag is set only when that byte
	 * is 2 (a status like 0x00000002), and a normal S_OK or E_FAIL
	 * reply leaves the host's own flags in the body.  The model does
	 * exactly that; the host records the flags it gets back.
	 */
	if (buf[0] == HVVSS_OP_HOT_BACKUP)
		hvvss_put32(d->recv_buf + OFF_VSS_FLAGS,
		    HVVSS_HBU_NO_AUTO_RECOVERY);
	if (d->deadline != 0) {
		d->deadline = 0;
		lnx_respond(d, status, now);
		lnx_poll_wrapper(d, "transaction done", now);
	}
out:
	if (kind == HVVSS_LNX_REPLY || r < 0)
		timeline_event(d->tl, now, "dev-write", "status=%s result=%s",
		    r >= 0 || len == HVVSS_LNX_MSG_LEN ?
		    timeline_status(status, sb, sizeof(sb)) : "-",
		    r >= 0 ? "ok" : strerror((int)-r));
	else
		timeline_event(d->tl, now, "dev-write",
		    "register=%u result=ok", kind == HVVSS_LNX_KIND_REGISTER1 ?
		    HVVSS_OP_REGISTER1 : HVVSS_OP_REGISTER);
	lnx_run(d, now);
	return r;
}

/* hvt_op_poll. */
short
gdrv_lnx_poll(const struct gdrv_lnx *d)
{
	if (d->mode == GDRV_LNX_MODE_DESTROY)
		return POLLERR | POLLHUP;
	if (d->outmsg_len > 0)
		return POLLIN | POLLRDNORM;
	return 0;
}

uint64_t
gdrv_lnx_deadline(const struct gdrv_lnx *d)
{
	return d->deadline;
}

/* vss_timeout_func. */
void
gdrv_lnx_timer(struct gdrv_lnx *d, uint64_t now)
{
	char	 opbuf[16];

	if (d->deadline == 0 || now < d->deadline)
		return;
	d->deadline = 0;
	d->st.timeout++;
	timeline_event(d->tl, now, "drv-timeout", "op=%s",
	    OPN(d->recv_buf[OFF_VSS_OP]));
	hlog_debug("lnx: timeout waiting for daemon to reply");
	lnx_respond(d, HVVSS_E_FAIL, now);
	lnx_poll_wrapper(d, "daemon timeout", now);
	lnx_run(d, now);
}

/*
 * hv_vss_pre_suspend: fake a THAW for the daemon (so a frozen file
 * system is thawed before hibernation), cancel the pending work without
 * answering the host, force READY.  The daemon's reply then fails with
 * EINVAL and it reopens the device (5.6).  The channel stays disabled
 * until pre_resume.
 */
void
gdrv_lnx_pre_suspend(struct gdrv_lnx *d, uint64_t now)
{
	uint8_t	 msg[HVVSS_LNX_MSG_LEN];
	int	 rc;

	d->suspended = 1;
	d->deadline = 0;
	hvvss_lnx_encode_request(msg, HVVSS_OP_THAW);
	rc = lnx_hvt_send(d, msg, sizeof(msg), 0);	/* result ignored */
	timeline_event(d->tl, now, "drv-suspend", "fake-thaw=%s",
	    rc == 0 ? "queued" : "dropped");
	lnx_transition(d, GDRV_LNX_READY, "pre_suspend", now);
}

void
gdrv_lnx_pre_resume(struct gdrv_lnx *d, uint64_t now)
{
	d->suspended = 0;
	timeline_event(d->tl, now, "drv-resume", NULL);
	lnx_run(d, now);
}

void
gdrv_lnx_destroy(struct gdrv_lnx *d, uint64_t now)
{
	lnx_transition(d, GDRV_LNX_DEVICE_DYING, "deinit", now);
	d->deadline = 0;
	d->mode = GDRV_LNX_MODE_DESTROY;
}
