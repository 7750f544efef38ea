/*
 * gdrv_bsd.h: model of FreeBSD's VSS driver (sys/dev/hyperv/utilities/
 * hv_snapshot.c and vmbus_ic.c), protocol.md sections 1.10, 2.4-2.7, 3.5,
 * 4.2 and 6.
 *
 * Two devices, /dev/hv_fsvss_dev (the file-system daemon) and
 * /dev/hv_appvss_dev (an optional application), each opened exclusively,
 * each with a notify queue (waiting to be read) and an ack queue (read,
 * waiting for the answer).  The interface is poll plus two ioctls moving
 * the 64-byte struct hv_vss_opt_msg.  A pure state machine like gdrv_lnx.
 */
#ifndef HOST_GDRV_BSD_H
#define HOST_GDRV_BSD_H

#include <stddef.h>
#include <stdint.h>

#include "hvvss_bsd.h"

struct timeline;
struct vmbus_chan;

#define GDRV_BSD_RECV_MAX	(4 * 4096)	/* 4 x PAGE_SIZE (1.1) */
#define GDRV_BSD_NREQ		4		/* preallocated requests */

enum gdrv_bsd_devid {
	GDRV_BSD_FS = 0,
	GDRV_BSD_APP,
	GDRV_BSD_NDEV
};

/* Where a request is: its whole state. */
enum gdrv_bsd_where {
	GDRV_BSD_FREE = 0,
	GDRV_BSD_NOTIFY,	/* on a device's notify queue */
	GDRV_BSD_ACK,		/* read by the device, awaiting its answer */
	GDRV_BSD_LIMBO,		/* app acked, daemon gone: only the callout */
	GDRV_BSD_WHERE_MAX
};

struct gdrv_bsd_cfg {
	uint64_t	tmo;		/* ns; TIMEOUT_LIMIT, 15 s */
	uint64_t	msgid_base;	/* realtime - monotonic, for nanotime */
};

struct gdrv_bsd_req {
	enum gdrv_bsd_where	 where;
	int			 dev;		/* whose queue holds it */
	unsigned		 seq;		/* FIFO order within a queue */
	uint32_t		 opt;		/* HVVSS_BSD_CHECK .. _THAW */
	uint64_t		 msgid;
	size_t			 host_len;
	uint64_t		 host_reqid;
	uint64_t		 deadline;	/* the callout */
};

struct gdrv_bsd_dev {
	int		 register_done;	/* open now */
	int		 proc_task;	/* ever opened ("launched") */
	unsigned	 opens;
};

struct gdrv_bsd_stats {
	unsigned	negotiate;
	unsigned	kernel_reply;
	unsigned	ignored;	/* unknown op, or request slot busy */
	unsigned	killed_fail;	/* daemon killed after launch */
	unsigned	timeout;
	unsigned	unknown_msgid;
	unsigned	opt_mismatch;	/* KASSERT in the kernel */
	unsigned	nobufs;
};

struct gdrv_bsd {
	struct gdrv_bsd_cfg	 cfg;
	struct vmbus_chan	*chan;
	struct timeline		*tl;
	/* One receive buffer, shared by the pending request and new reads. */
	uint8_t			 rcv_buf[GDRV_BSD_RECV_MAX];
	struct gdrv_bsd_dev	 dev[GDRV_BSD_NDEV];
	struct gdrv_bsd_req	 req[GDRV_BSD_NREQ];
	unsigned		 seq;
	int			 wedged;
	struct gdrv_bsd_stats	 st;
};

void		gdrv_bsd_init(struct gdrv_bsd *, const struct gdrv_bsd_cfg *,
		    struct vmbus_chan *, struct timeline *);
void		gdrv_bsd_channel(struct gdrv_bsd *, uint64_t);
int		gdrv_bsd_open(struct gdrv_bsd *, int, uint64_t);
void		gdrv_bsd_close(struct gdrv_bsd *, int, uint64_t);
short		gdrv_bsd_poll(const struct gdrv_bsd *, int);
/* IOCHVVSSREAD: fills the 64-byte message; status 1 if nothing queued. */
int		gdrv_bsd_ioctl_read(struct gdrv_bsd *, int,
		    uint8_t[HVVSS_BSD_MSG_LEN], uint64_t);
/* IOCHVVSSWRITE: an unknown msgid is silently ignored. */
int		gdrv_bsd_ioctl_write(struct gdrv_bsd *, int,
		    const uint8_t[HVVSS_BSD_MSG_LEN], uint64_t);
uint64_t	gdrv_bsd_deadline(const struct gdrv_bsd *);
void		gdrv_bsd_timer(struct gdrv_bsd *, uint64_t);
const char	*gdrv_bsd_where_name(int);
const char	*gdrv_bsd_dev_name(int);

#endif /* HOST_GDRV_BSD_H */
