/*
 * xport.c: the Linux and FreeBSD daemon channels (protocol.md 5 and 6).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hvvss_bsd.h"
#include "hvvss_bsd_ioctl.h"
#include "hvvss_err.h"
#include "hvvss_ic.h"
#include "hvvss_lnx.h"
#include "hvvss_vss.h"
#include "log.h"
#include "xport.h"

static const char *const req_names[XREQ__MAX] = {
	"CHECK", "FREEZE", "THAW", "UNKNOWN"
};

const char *
xport_req_name(int r)
{
	if (r < 0 || r >= XREQ__MAX)
		return "unknown";
	return req_names[r];
}

const char *
xport_kind_name(int k)
{
	return k == XPORT_LINUX ? "linux" : k == XPORT_FREEBSD ? "freebsd" :
	    "unknown";
}

const char *
xport_default_path(enum xport_kind k)
{
	return k == XPORT_FREEBSD ? HVVSS_BSD_FS_DEV : HVVSS_LNX_DEV;
}

void
xport_init(struct xport *xp, enum xport_kind kind, const char *path)
{
	xp->kind = kind;
	xp->path = path != NULL ? path : xport_default_path(kind);
	xp->fd = -1;
	xp->registered = 0;
	xp->version = 0;
}

void
xport_close(struct xport *xp)
{
	if (xp->fd != -1)
		close(xp->fd);
	xp->fd = -1;
	xp->registered = 0;
}

/*
 * Linux: open, then write REGISTER1.  The kernel queues its 4-byte version
 * reply at once; it is consumed by xport_recv() when poll says POLLIN, and
 * only that read makes the kernel READY (5.3 step 4).
 */
int
xport_open(struct xport *xp)
{
	uint8_t	msg[HVVSS_LNX_MSG_LEN];
	ssize_t	n;

	xport_close(xp);
	xp->fd = open(xp->path, O_RDWR | O_CLOEXEC);
	if (xp->fd == -1) {
		log_warn("event=open-failed device=%s", xp->path);
		return -1;
	}
	if (xp->kind == XPORT_FREEBSD) {
		/* Opening /dev/hv_fsvss_dev is the registration (6.1). */
		xp->registered = 1;
		return 0;
	}
	hvvss_lnx_encode_register(msg);
	n = write(xp->fd, msg, sizeof(msg));
	if (n != (ssize_t)sizeof(msg)) {
		log_warn("event=register-failed device=%s wrote=%zd", xp->path, n);
		xport_close(xp);
		return -1;
	}
	return 0;
}

static enum xport_req
req_from_op(unsigned op)
{
	switch (op) {
	case HVVSS_OP_HOT_BACKUP:
		return XREQ_CHECK;
	case HVVSS_OP_FREEZE:
		return XREQ_FREEZE;
	case HVVSS_OP_THAW:
		return XREQ_THAW;
	default:
		return XREQ_UNKNOWN;
	}
}

static int
recv_linux(struct xport *xp, struct xport_msg *m)
{
	uint8_t	buf[64];
	uint8_t	op = 0;
	ssize_t	n;
	int	e;

	/* A larger buffer than the message lets a wrong length show. */
	n = read(xp->fd, buf, sizeof(buf));
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		log_warn("event=device-read-failed device=%s", xp->path);
		return -1;
	}
	if (!xp->registered) {
		e = hvvss_lnx_decode_register_reply(buf, (size_t)n,
		    &xp->version);
		if (e != HVVSS_OK) {
			log_warnx("event=register-failed device=%s len=%zd "
			    "reason=%s", xp->path, n, hvvss_err_name(e));
			return -1;
		}
		xp->registered = 1;
		log_info("event=registered device=%s kernel_version=%u",
		    xp->path, xp->version);
		return 0;
	}
	e = hvvss_lnx_decode_request(buf, (size_t)n, &op);
	if (e == HVVSS_E_SHORT || e == HVVSS_E_LONG) {
		/* Message boundaries are lost: treat as a channel reset. */
		log_warnx("event=device-read-bad-length device=%s len=%zd",
		    xp->path, n);
		return -1;
	}
	m->raw_op = op;
	m->msgid = 0;
	m->decode_err = e;
	m->req = e == HVVSS_OK ? req_from_op(op) : XREQ_UNKNOWN;
	return 1;
}

static int
recv_freebsd(struct xport *xp, struct xport_msg *m)
{
	struct hvvss_bsd_wire	w;
	struct hvvss_bsd_msg	bm;
	int			e, op;

	memset(&w, 0, sizeof(w));
	if (ioctl(xp->fd, HVVSS_IOCHVVSSREAD, &w) == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		log_warn("event=device-ioctl-failed device=%s op=READ",
		    xp->path);
		return -1;
	}
	e = hvvss_bsd_decode((const uint8_t *)&w, sizeof(w), &bm);
	if (e == HVVSS_OK && bm.status == HVVSS_BSD_STATUS_FAIL)
		return 0;	/* nothing queued (6.4) */
	m->raw_op = bm.opt;
	m->msgid = bm.msgid;
	m->decode_err = e;
	op = hvvss_bsd_op_from_opt(bm.opt);
	m->req = e == HVVSS_OK && op >= 0 ? req_from_op((unsigned)op) :
	    XREQ_UNKNOWN;
	return 1;
}

int
xport_recv(struct xport *xp, struct xport_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (xp->fd == -1)
		return -1;
	return xp->kind == XPORT_FREEBSD ? recv_freebsd(xp, m) :
	    recv_linux(xp, m);
}

int
xport_reply(struct xport *xp, const struct xport_msg *m, int ok)
{
	if (xp->fd == -1)
		return -1;
	if (xp->kind == XPORT_FREEBSD) {
		struct hvvss_bsd_msg	bm;
		struct hvvss_bsd_wire	w;

		bm.opt = m->raw_op;
		bm.status = ok ? HVVSS_BSD_STATUS_OK : HVVSS_BSD_STATUS_FAIL;
		bm.msgid = m->msgid;
		hvvss_bsd_encode(&bm, (uint8_t *)&w);
		if (ioctl(xp->fd, HVVSS_IOCHVVSSWRITE, &w) == -1) {
			log_warn("event=device-ioctl-failed device=%s op=WRITE",
			    xp->path);
			return -1;
		}
		return 0;
	} else {
		uint8_t	buf[HVVSS_LNX_MSG_LEN];
		ssize_t	n;

		/*
		 * The status overwrites the op byte (5.2); the kernel copies
		 * it verbatim into the host's IC status.
		 */
		hvvss_lnx_encode_reply(buf, ok ? HVVSS_S_OK : HVVSS_E_FAIL);
		n = write(xp->fd, buf, sizeof(buf));
		if (n != (ssize_t)sizeof(buf)) {
			/* EINVAL: the kernel already answered (timeout) or
			 * reset the transaction (hibernation's fake THAW). */
			log_warn("event=device-write-failed device=%s", xp->path);
			return -1;
		}
		return 0;
	}
}
