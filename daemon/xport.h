/*
 * xport.h: the kernel channel, over a plain file descriptor.
 *
 * Two transports behind one interface, both usable on Linux against the
 * emulated devices of hvvss-host:
 *   XPORT_LINUX    /dev/vmbus/hv_vss: REGISTER1 handshake, then 12-byte
 *                  messages by read/write (protocol.md section 5).
 *   XPORT_FREEBSD  /dev/hv_fsvss_dev: opening registers; poll, then the
 *                  IOCHVVSSREAD/IOCHVVSSWRITE ioctls on the 64-byte message,
 *                  echoing opt and msgid (section 6).
 * Every byte received goes through libhvvss's decoders; nothing here
 * blocks except the read the kernel makes us do after poll said POLLIN.
 */
#ifndef XPORT_H
#define XPORT_H

#include <stdint.h>

enum xport_kind {
	XPORT_LINUX,
	XPORT_FREEBSD
};

enum xport_req {
	XREQ_CHECK,		/* host HOT_BACKUP (FreeBSD: HV_VSS_CHECK) */
	XREQ_FREEZE,
	XREQ_THAW,
	XREQ_UNKNOWN,		/* anything else, or malformed: fail it */
	XREQ__MAX
};

struct xport_msg {
	enum xport_req	 req;
	unsigned	 raw_op;	/* Linux op byte or FreeBSD opt */
	uint64_t	 msgid;		/* FreeBSD: echoed in the reply */
	int		 decode_err;	/* hvvss_err of the decoder, 0 if clean */
};

struct xport {
	enum xport_kind	 kind;
	const char	*path;
	int		 fd;		/* -1 when closed */
	int		 registered;	/* Linux: version reply consumed */
	uint32_t	 version;	/* Linux: the kernel's version word */
};

void		 xport_init(struct xport *, enum xport_kind, const char *);
int		 xport_open(struct xport *);
/* 1: *msg holds a request; 0: nothing to do (handshake, empty); -1: reset. */
int		 xport_recv(struct xport *, struct xport_msg *);
int		 xport_reply(struct xport *, const struct xport_msg *, int ok);
void		 xport_close(struct xport *);
const char	*xport_req_name(int);
const char	*xport_kind_name(int);
const char	*xport_default_path(enum xport_kind);

#endif /* XPORT_H */
