/*
 * gdrv_lnx.h: model of the Linux guest kernel's VSS driver
 * (drivers/hv/hv_snapshot.c) and of its daemon transport
 * (drivers/hv/hv_utils_transport.c), protocol.md sections 1.10, 2.4-2.7,
 * 3.5, 4.2 and 5.
 *
 * A pure state machine: host packets come from a struct vmbus_chan,
 * replies go back into it; the daemon side is a set of file operations
 * (open, read, write, poll, release) that the FUSE glue calls.  A read
 * with nothing queued returns -EAGAIN, which means "would block": the
 * caller holds the read and retries when gdrv_lnx_poll() reports data.
 * Time is passed in (CLOCK_MONOTONIC ns); the model never reads a clock.
 */
#ifndef HOST_GDRV_LNX_H
#define HOST_GDRV_LNX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hvvss_lnx.h"

struct timeline;
struct vmbus_chan;

/* VSS_MAX_PKT_SIZE: the driver reads at most two 4 KiB pages (1.1). */
#define GDRV_LNX_RECV_MAX	8192

/* enum hvutil_device_state (L-VMBH), same values. */
enum gdrv_lnx_state {
	GDRV_LNX_DEVICE_INIT = 0,
	GDRV_LNX_READY,
	GDRV_LNX_HOSTMSG_RECEIVED,
	GDRV_LNX_USERSPACE_REQ,
	GDRV_LNX_USERSPACE_RECV,
	GDRV_LNX_DEVICE_DYING,
	GDRV_LNX_STATE_MAX
};

/* enum hvutil_transport_mode, minus NETLINK which we never emulate. */
enum gdrv_lnx_mode {
	GDRV_LNX_MODE_INIT = 0,
	GDRV_LNX_MODE_CHARDEV,
	GDRV_LNX_MODE_DESTROY,
	GDRV_LNX_MODE_MAX
};

struct gdrv_lnx_cfg {
	uint64_t	freeze_tmo;	/* ns; VSS_FREEZE_TIMEOUT, 900 s */
	uint64_t	other_tmo;	/* ns; HV_UTIL_TIMEOUT, 30 s */
};

struct gdrv_lnx_stats {
	unsigned	drop_short;	/* recvlen < 28 */
	unsigned	drop_vss_short;	/* VSS and recvlen < 40 */
	unsigned	drop_type;	/* icmsgtype not 0 or 5 */
	unsigned	nobufs;		/* > 8192: could not read */
	unsigned	negotiate;
	unsigned	kernel_reply;	/* answered without the daemon */
	unsigned	forwarded;	/* queued to the daemon */
	unsigned	not_ready;	/* HV_E_FAIL: daemon not registered */
	unsigned	send_fail;	/* HV_E_FAIL: could not queue */
	unsigned	timeout;
	unsigned	reset;		/* release with a pending request */
	unsigned	registered;	/* REGISTER1 replies consumed */
};

struct gdrv_lnx {
	struct gdrv_lnx_cfg	 cfg;
	struct vmbus_chan	*chan;
	struct timeline		*tl;
	enum gdrv_lnx_state	 state;
	enum gdrv_lnx_mode	 mode;
	int			 suspended;	/* hibernation: no tasklet */
	int			 wedged;	/* oversized packet stuck */
	/* vss_transaction: the one host packet being answered. */
	uint8_t			 recv_buf[GDRV_LNX_RECV_MAX];
	size_t			 recv_len;
	uint64_t		 recv_reqid;
	uint64_t		 deadline;	/* vss_timeout_work; 0: idle */
	/* hvutil_transport's single outgoing message slot. */
	uint8_t			 outmsg[HVVSS_LNX_MSG_LEN];
	size_t			 outmsg_len;
	int			 on_read_register;	/* vss_register_done */
	int			 dm_reg_value;
	struct gdrv_lnx_stats	 st;
};

void		gdrv_lnx_init(struct gdrv_lnx *, const struct gdrv_lnx_cfg *,
		    struct vmbus_chan *, struct timeline *);
/* The channel callback: process host packets while the model may. */
void		gdrv_lnx_channel(struct gdrv_lnx *, uint64_t);
/* File operations on /dev/vmbus/hv_vss; errors are negative errnos. */
int		gdrv_lnx_open(struct gdrv_lnx *, uint64_t);
void		gdrv_lnx_release(struct gdrv_lnx *, uint64_t);
ssize_t		gdrv_lnx_read(struct gdrv_lnx *, uint8_t *, size_t, uint64_t);
ssize_t		gdrv_lnx_write(struct gdrv_lnx *, const uint8_t *, size_t,
		    uint64_t);
short		gdrv_lnx_poll(const struct gdrv_lnx *);
/* The daemon timeout. */
uint64_t	gdrv_lnx_deadline(const struct gdrv_lnx *);
void		gdrv_lnx_timer(struct gdrv_lnx *, uint64_t);
/* Hibernation: hv_vss_pre_suspend / hv_vss_pre_resume. */
void		gdrv_lnx_pre_suspend(struct gdrv_lnx *, uint64_t);
void		gdrv_lnx_pre_resume(struct gdrv_lnx *, uint64_t);
/* Driver unload: hv_vss_deinit + hvutil_transport_destroy. */
void		gdrv_lnx_destroy(struct gdrv_lnx *, uint64_t);

const char	*gdrv_lnx_state_name(int);
const char	*gdrv_lnx_mode_name(int);

#endif /* HOST_GDRV_LNX_H */
