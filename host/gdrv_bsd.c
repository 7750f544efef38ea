/*
 * gdrv_bsd.c: FreeBSD's VSS driver as a pure state machine.
 *
 * Mirrors hv_snapshot.c and vmbus_ic_negomsg() (protocol.md 6, 2.4-2.7,
 * 3.5, 1.10).  As in the kernel: nothing is read from the channel until
 * the file-system daemon has opened its device once; VSS packets get no
 * length or type check (the op byte is read from the one receive buffer,
 * stale if the packet is short); a request is ignored while another is
 * queued; requests wait on per-device notify and ack queues under one
 * 15 s callout; FREEZE and CHECK go app -> daemon, THAW daemon -> app;
 * replies are built from the shared receive buffer at reply time.  The
 * request's queue position is its state; bsd_req_move() is its only
 * writer.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "hvvss_bsd.h"
#include "hvvss_ic.h"
#include "hvvss_nego.h"
#include "hvvss_vss.h"

#include "gdrv_bsd.h"
#include "hlog.h"
#include "scenario.h"
#include "timeline.h"
#include "vmbus.h"

#define OFF_TYPE	12
#define OFF_ICMSGSIZE	18
#define OFF_STATUS	20
#define OFF_FWCNT	28
#define OFF_MSGCNT	30
#define OFF_VER		36
#define OFF_OP		28
#define OFF_FLAGS	36
#define NEGO_MIN	36	/* sizeof(struct vmbus_icmsg_negotiate) */
#define NEGO_REPLY	44	/* VMBUS_IC_NEGOSZ */
#define BSD_EINVAL	22	/* FreeBSD errno values in the status */
#define BSD_EOPNOTSUPP	45

#define OPN(op)	scenario_op_name((op), opbuf, sizeof(opbuf))

static const char *const where_names[GDRV_BSD_WHERE_MAX] = {
	[GDRV_BSD_FREE] = "free",
	[GDRV_BSD_NOTIFY] = "notify",
	[GDRV_BSD_ACK] = "ack",
	[GDRV_BSD_LIMBO] = "limbo",
};

static const char *const dev_names[GDRV_BSD_NDEV] = {
	[GDRV_BSD_FS] = "fs",
	[GDRV_BSD_APP] = "app",
};

const char *
gdrv_bsd_where_name(int w)
{
	if (w < 0 || w >= GDRV_BSD_WHERE_MAX)
		return "?";
	return where_names[w];
}

const char *
gdrv_bsd_dev_name(int d)
{
	if (d < 0 || d >= GDRV_BSD_NDEV)
		return "?";
	return dev_names[d];
}

/* The only writer of a request's state. */
static void
bsd_req_move(struct gdrv_bsd *d, struct gdrv_bsd_req *r,
    enum gdrv_bsd_where to, int dev, uint64_t now)
{
	timeline_event(d->tl, now, "drv-req", "msgid=%llu from=%s/%s to=%s/%s",
	    (unsigned long long)r->msgid, gdrv_bsd_where_name(r->where),
	    gdrv_bsd_dev_name(r->dev), gdrv_bsd_where_name(to),
	    gdrv_bsd_dev_name(dev));
	r->where = to;
	r->dev = dev;
	r->seq = ++d->seq;
	if (to == GDRV_BSD_FREE)
		r->deadline = 0;
}

void
gdrv_bsd_init(struct gdrv_bsd *d, const struct gdrv_bsd_cfg *cfg,
    struct vmbus_chan *chan, struct timeline *tl)
{
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	d->chan = chan;
	d->tl = tl;
}

static int
bsd_killed_after_launch(const struct gdrv_bsd *d)
{
	return !d->dev[GDRV_BSD_FS].register_done &&
	    d->dev[GDRV_BSD_FS].proc_task;
}

/* hv_vss_respond_host: status and flags into the buffer, recvlen out. */
static void
bsd_respond(struct gdrv_bsd *d, size_t len, uint64_t reqid, uint32_t status,
    uint64_t now)
{
	char	 sb[32], opbuf[16];

	/* The whole buffer: a short packet's header lies past recvlen. */
	hvvss_ic_set_reply(d->rcv_buf, sizeof(d->rcv_buf), status);
	if (vmbus_send(&d->chan->g2h, d->rcv_buf, len, reqid) == -1)
		hlog_warn("bsd: reply to host");
	timeline_event(d->tl, now, "drv-reply", "op=%s status=%s len=%zu",
	    OPN(d->rcv_buf[OFF_OP]), timeline_status(status, sb, sizeof(sb)),
	    len);
}

/* hv_vss_notify_host_result_locked. */
static void
bsd_host_result(struct gdrv_bsd *d, struct gdrv_bsd_req *r, uint32_t status,
    uint64_t now)
{
	/* CHECK always carries NO_AUTO_RECOVERY, whatever the status. */
	if (r->opt == HVVSS_BSD_CHECK)
		hvvss_put32(d->rcv_buf + OFF_FLAGS, HVVSS_HBU_NO_AUTO_RECOVERY);
	bsd_respond(d, r->host_len, r->host_reqid, status, now);
	bsd_req_move(d, r, GDRV_BSD_FREE, r->dev, now);
}

/* hv_vss_notify: onto a device's notify queue (selwakeup). */
static void
bsd_notify(struct gdrv_bsd *d, struct gdrv_bsd_req *r, int dev, uint64_t now)
{
	bsd_req_move(d, r, GDRV_BSD_NOTIFY, dev, now);
}

/* hv_vss_get_new_req_locked. */
static struct gdrv_bsd_req *
bsd_new_req(struct gdrv_bsd *d)
{
	int	 i;

	for (i = 0; i < GDRV_BSD_NREQ; i++)
		if (d->req[i].where == GDRV_BSD_NOTIFY ||
		    d->req[i].where == GDRV_BSD_ACK)
			return NULL;	/* previous request not finished */
	for (i = 0; i < GDRV_BSD_NREQ; i++)
		if (d->req[i].where == GDRV_BSD_FREE)
			return &d->req[i];
	return NULL;			/* "No buffer" */
}

/* VMBUS_ICVER_LE / _GT on wire-order {major, minor}. */
static int
bsd_ver_cmp(uint16_t amaj, uint16_t amin, uint16_t bmaj, uint16_t bmin)
{
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	if (amin != bmin)
		return amin < bmin ? -1 : 1;
	return 0;
}

/*
 * vmbus_ic_negomsg with VSS_FWVER 3.0 / VSS_MSGVER 5.0: the best host
 * version not above ours (so a lone 4.0 offer is accepted, 9.1 item 6).
 * Failure returns an errno that goes into the status field as is; the
 * body is then left as the host sent it.
 */
static int
bsd_negomsg(struct gdrv_bsd *d, size_t *len, uint16_t sel[4])
{
	uint8_t		*b = d->rcv_buf;
	uint16_t	 fcnt, mcnt, maj, min;
	size_t		 i, cnt;
	int		 has_fw = 0, has_msg = 0;

	if (*len < NEGO_MIN)
		return BSD_EINVAL;
	fcnt = hvvss_le16(b + OFF_FWCNT);
	mcnt = hvvss_le16(b + OFF_MSGCNT);
	if (fcnt == 0 || mcnt == 0)
		return BSD_EINVAL;
	cnt = (size_t)fcnt + mcnt;
	if (*len < NEGO_MIN + 4 * cnt)
		return BSD_EINVAL;
	for (i = 0; i < fcnt; i++) {
		maj = hvvss_le16(b + OFF_VER + 4 * i);
		min = hvvss_le16(b + OFF_VER + 4 * i + 2);
		if (bsd_ver_cmp(maj, min, HVVSS_FW_MAJOR, HVVSS_FW_MINOR) > 0)
			continue;
		if (!has_fw || bsd_ver_cmp(maj, min, sel[0], sel[1]) > 0) {
			sel[0] = maj;
			sel[1] = min;
			has_fw = 1;
		}
	}
	if (!has_fw)
		return BSD_EOPNOTSUPP;
	for (i = fcnt; i < cnt; i++) {
		maj = hvvss_le16(b + OFF_VER + 4 * i);
		min = hvvss_le16(b + OFF_VER + 4 * i + 2);
		if (bsd_ver_cmp(maj, min, HVVSS_VSS_MAJOR,
		    HVVSS_VSS_MINOR) > 0)
			continue;
		if (!has_msg || bsd_ver_cmp(maj, min, sel[2], sel[3]) > 0) {
			sel[2] = maj;
			sel[3] = min;
			has_msg = 1;
		}
	}
	if (!has_msg)
		return BSD_EOPNOTSUPP;
	hvvss_put16(b + OFF_FWCNT, 1);
	hvvss_put16(b + OFF_VER, sel[0]);
	hvvss_put16(b + OFF_VER + 2, sel[1]);
	hvvss_put16(b + OFF_MSGCNT, 1);
	hvvss_put16(b + OFF_VER + 4, sel[2]);
	hvvss_put16(b + OFF_VER + 6, sel[3]);
	hvvss_put16(b + OFF_ICMSGSIZE, NEGO_REPLY - HVVSS_ICMSG_HDR_LEN);
	if (*len < NEGO_REPLY)
		*len = NEGO_REPLY;
	return 0;
}

/* hv_vss_start_notify: FREEZE/CHECK app first, THAW daemon first. */
static void
bsd_start_notify(struct gdrv_bsd *d, struct gdrv_bsd_req *r, unsigned op,
    uint64_t now)
{
	if (op == HVVSS_OP_THAW || !d->dev[GDRV_BSD_APP].register_done)
		bsd_notify(d, r, GDRV_BSD_FS, now);
	else
		bsd_notify(d, r, GDRV_BSD_APP, now);
	/* One callout for the whole chain, armed once. */
	r->deadline = now + d->cfg.tmo;
}

static void
bsd_process_one(struct gdrv_bsd *d, uint64_t now)
{
	struct gdrv_bsd_req	*r;
	uint16_t		 sel[4] = { 0, 0, 0, 0 };
	size_t			 len;
	uint64_t		 reqid;
	char			 opbuf[16];
	int			 ret, opt;
	uint8_t			 op;

	if (vmbus_recv(&d->chan->h2g, d->rcv_buf, sizeof(d->rcv_buf), &len,
	    &reqid) <= 0)
		return;
	if (hvvss_le16(d->rcv_buf + OFF_TYPE) == HVVSS_ICMSG_NEGOTIATE) {
		d->st.negotiate++;
		ret = bsd_negomsg(d, &len, sel);
		timeline_event(d->tl, now, "drv-negotiate",
		    "result=%s fw=%u.%u vss=%u.%u", ret == 0 ? "match" :
		    ret == BSD_EINVAL ? "EINVAL" : "EOPNOTSUPP", sel[0],
		    sel[1], sel[2], sel[3]);
		bsd_respond(d, len, reqid, (uint32_t)ret, now);
		return;
	}
	/* No type or length check: whatever the buffer holds at abs 28. */
	op = d->rcv_buf[OFF_OP];
	timeline_event(d->tl, now, "drv-recv", "op=%s len=%zu", OPN(op), len);
	if (bsd_killed_after_launch(d)) {
		if (op == HVVSS_OP_HOT_BACKUP)
			hvvss_put32(d->rcv_buf + OFF_FLAGS,
			    HVVSS_HBU_NO_AUTO_RECOVERY);
		else if (op == HVVSS_OP_GET_DM_INFO)
			hvvss_put32(d->rcv_buf + OFF_FLAGS, 0);
		d->st.killed_fail++;
		timeline_event(d->tl, now, "drv-fail",
		    "op=%s reason=daemon-killed", OPN(op));
		bsd_respond(d, len, reqid, HVVSS_E_FAIL, now);
		return;
	}
	switch (op) {
	case HVVSS_OP_FREEZE:
	case HVVSS_OP_THAW:
	case HVVSS_OP_HOT_BACKUP:
		if ((r = bsd_new_req(d)) == NULL) {
			d->st.ignored++;
			timeline_event(d->tl, now, "drv-drop",
			    "reason=busy op=%s", OPN(op));
			return;
		}
		opt = hvvss_bsd_opt_from_op(op);
		r->opt = (uint32_t)opt;
		/* msgid = nanotime() (6.3). */
		r->msgid = d->cfg.msgid_base + now;
		r->host_len = len;
		r->host_reqid = reqid;
		bsd_start_notify(d, r, op, now);
		return;
	case HVVSS_OP_GET_DM_INFO:
		hvvss_put32(d->rcv_buf + OFF_FLAGS, 0);
		d->st.kernel_reply++;
		bsd_respond(d, len, reqid, HVVSS_S_OK, now);
		return;
	default:
		/* "Unknown opt from host": no reply at all (3.5). */
		d->st.ignored++;
		timeline_event(d->tl, now, "drv-drop",
		    "reason=unknown-op op=%s", OPN(op));
		return;
	}
}

/*
 * hv_vss_callback: the channel is read only once the file-system daemon
 * was launched (opened its device at least once, 2.7); then every
 * pending packet is processed, with no regard for queued requests.
 */
void
gdrv_bsd_channel(struct gdrv_bsd *d, uint64_t now)
{
	size_t	 len;

	if (!d->dev[GDRV_BSD_FS].register_done &&
	    !d->dev[GDRV_BSD_FS].proc_task)
		return;
	while ((len = vmbus_peek_len(&d->chan->h2g)) != 0) {
		if (len > GDRV_BSD_RECV_MAX) {
			/* ENOBUFS leaves it in the ring (KASSERT on
			 * INVARIANTS kernels); cannot happen below 13312. */
			if (!d->wedged) {
				d->wedged = 1;
				d->st.nobufs++;
				timeline_event(d->tl, now, "drv-drop",
				    "reason=nobufs len=%zu", len);
			}
			return;
		}
		bsd_process_one(d, now);
	}
}

int
gdrv_bsd_open(struct gdrv_bsd *d, int dev, uint64_t now)
{
	if (dev < 0 || dev >= GDRV_BSD_NDEV)
		return -ENXIO;
	if (d->dev[dev].register_done) {
		timeline_event(d->tl, now, "dev-open", "dev=%s result=%s",
		    gdrv_bsd_dev_name(dev), strerror(EBUSY));
		return -EBUSY;
	}
	d->dev[dev].register_done = 1;
	d->dev[dev].proc_task = 1;
	d->dev[dev].opens++;
	timeline_event(d->tl, now, "dev-open", "dev=%s result=ok",
	    gdrv_bsd_dev_name(dev));
	if (dev == GDRV_BSD_FS) {
		/* Opening is the registration; it kicks the channel. */
		timeline_event(d->tl, now, "register", "dev=fs");
		gdrv_bsd_channel(d, now);
	}
	return 0;
}

/* Last close: only the register flag; queued requests wait for the callout. */
void
gdrv_bsd_close(struct gdrv_bsd *d, int dev, uint64_t now)
{
	if (dev < 0 || dev >= GDRV_BSD_NDEV)
		return;
	d->dev[dev].register_done = 0;
	timeline_event(d->tl, now, "dev-release", "dev=%s",
	    gdrv_bsd_dev_name(dev));
}

static struct gdrv_bsd_req *
bsd_head(struct gdrv_bsd *d, enum gdrv_bsd_where w, int dev)
{
	struct gdrv_bsd_req	*best = NULL;
	int			 i;

	for (i = 0; i < GDRV_BSD_NREQ; i++)
		if (d->req[i].where == w && d->req[i].dev == dev &&
		    (best == NULL || d->req[i].seq < best->seq))
			best = &d->req[i];
	return best;
}

short
gdrv_bsd_poll(const struct gdrv_bsd *d, int dev)
{
	int	 i;

	for (i = 0; i < GDRV_BSD_NREQ; i++)
		if (d->req[i].where == GDRV_BSD_NOTIFY && d->req[i].dev == dev)
			return POLLIN;
	return 0;
}

/* hv_vss_notified. */
int
gdrv_bsd_ioctl_read(struct gdrv_bsd *d, int dev,
    uint8_t out[HVVSS_BSD_MSG_LEN], uint64_t now)
{
	struct hvvss_bsd_msg	 m;
	struct gdrv_bsd_req	*r;
	char			 opbuf[16];

	/* An _IOR buffer starts zeroed (kern_ioctl). */
	memset(&m, 0, sizeof(m));
	if ((r = bsd_head(d, GDRV_BSD_NOTIFY, dev)) == NULL) {
		m.status = HVVSS_BSD_STATUS_FAIL;
		hvvss_bsd_encode(&m, out);
		timeline_event(d->tl, now, "drv-read-empty", "dev=%s",
		    gdrv_bsd_dev_name(dev));
		return 0;
	}
	bsd_req_move(d, r, GDRV_BSD_ACK, dev, now);
	m.opt = r->opt;
	m.status = HVVSS_BSD_STATUS_OK;
	m.msgid = r->msgid;
	hvvss_bsd_encode(&m, out);
	timeline_event(d->tl, now, "dev-read", "op=%s dev=%s msgid=%llu",
	    OPN((unsigned)hvvss_bsd_op_from_opt(r->opt)),
	    gdrv_bsd_dev_name(dev), (unsigned long long)r->msgid);
	return 0;
}

/* hv_vss_daemon_acked. */
static void
bsd_daemon_acked(struct gdrv_bsd *d, struct gdrv_bsd_req *r, uint32_t status,
    uint64_t now)
{
	if (status != HVVSS_BSD_STATUS_OK) {
		bsd_host_result(d, r, HVVSS_E_FAIL, now);
		return;
	}
	if (r->opt == HVVSS_BSD_THAW && d->dev[GDRV_BSD_APP].register_done)
		bsd_notify(d, r, GDRV_BSD_APP, now);
	else
		bsd_host_result(d, r, HVVSS_S_OK, now);
}

/* hv_vss_app_acked. */
static void
bsd_app_acked(struct gdrv_bsd *d, struct gdrv_bsd_req *r, uint32_t status,
    uint64_t now)
{
	if (status != HVVSS_BSD_STATUS_OK) {
		bsd_host_result(d, r, HVVSS_E_FAIL, now);
		return;
	}
	if (r->opt == HVVSS_BSD_THAW) {
		bsd_host_result(d, r, HVVSS_S_OK, now);
		return;
	}
	if (d->dev[GDRV_BSD_FS].register_done)
		bsd_notify(d, r, GDRV_BSD_FS, now);
	else {
		/* "Fatal: vss daemon was killed": the callout answers. */
		timeline_event(d->tl, now, "drv-fail",
		    "reason=daemon-killed-after-app");
		bsd_req_move(d, r, GDRV_BSD_LIMBO, r->dev, now);
	}
}

int
gdrv_bsd_ioctl_write(struct gdrv_bsd *d, int dev,
    const uint8_t in[HVVSS_BSD_MSG_LEN], uint64_t now)
{
	struct hvvss_bsd_msg	 m;
	struct gdrv_bsd_req	*r = NULL;
	int			 i;

	/* The kernel reads the three fields and checks nothing else. */
	(void)hvvss_bsd_decode(in, HVVSS_BSD_MSG_LEN, &m);
	for (i = 0; i < GDRV_BSD_NREQ; i++)
		if (d->req[i].where == GDRV_BSD_ACK && d->req[i].dev == dev &&
		    d->req[i].msgid == m.msgid)
			r = &d->req[i];
	if (r == NULL) {
		/* Typically a late answer after the callout: ignored. */
		d->st.unknown_msgid++;
		timeline_event(d->tl, now, "dev-write",
		    "dev=%s status=%u msgid=%llu result=unknown-msgid",
		    gdrv_bsd_dev_name(dev), m.status,
		    (unsigned long long)m.msgid);
		return 0;
	}
	if (m.opt != r->opt) {
		/* KASSERT("Mismatched VSS operation!"): a panic on an
		 * INVARIANTS kernel; a production kernel goes on. */
		d->st.opt_mismatch++;
		timeline_event(d->tl, now, "drv-kassert",
		    "reason=opt-mismatch got=%u want=%u", m.opt, r->opt);
	}
	timeline_event(d->tl, now, "dev-write",
	    "dev=%s status=%u msgid=%llu result=ok", gdrv_bsd_dev_name(dev),
	    m.status, (unsigned long long)m.msgid);
	if (dev == GDRV_BSD_FS)
		bsd_daemon_acked(d, r, m.status, now);
	else
		bsd_app_acked(d, r, m.status, now);
	return 0;
}

uint64_t
gdrv_bsd_deadline(const struct gdrv_bsd *d)
{
	uint64_t	 best = 0;
	int		 i;

	for (i = 0; i < GDRV_BSD_NREQ; i++)
		if (d->req[i].where != GDRV_BSD_FREE &&
		    d->req[i].deadline != 0 &&
		    (best == 0 || d->req[i].deadline < best))
			best = d->req[i].deadline;
	return best;
}

/* hv_vss_timeout: drain from whichever queue, HV_E_FAIL to the host. */
void
gdrv_bsd_timer(struct gdrv_bsd *d, uint64_t now)
{
	int	 i;

	for (i = 0; i < GDRV_BSD_NREQ; i++) {
		if (d->req[i].where == GDRV_BSD_FREE ||
		    d->req[i].deadline == 0 || now < d->req[i].deadline)
			continue;
		d->st.timeout++;
		timeline_event(d->tl, now, "drv-timeout", "msgid=%llu where=%s",
		    (unsigned long long)d->req[i].msgid,
		    gdrv_bsd_where_name(d->req[i].where));
		bsd_host_result(d, &d->req[i], HVVSS_E_FAIL, now);
	}
	gdrv_bsd_channel(d, now);
}
