/*
 * hvvss_bsd.h: FreeBSD kernel <-> daemon ABI on /dev/hv_fsvss_dev and
 * /dev/hv_appvss_dev (protocol.md section 6).
 *
 * struct hv_vss_opt_msg, 64 bytes, natural alignment:
 *	opt u32 @0, status u32 @4, msgid u64 @8, reserved[48] @16.
 * The interface is poll + two ioctls; there is no read/write.
 */
#ifndef HVVSS_BSD_H
#define HVVSS_BSD_H

#include <stddef.h>
#include <stdint.h>

#include "hvvss_err.h"

#define HVVSS_BSD_FS_DEV	"/dev/hv_fsvss_dev"
#define HVVSS_BSD_APP_DEV	"/dev/hv_appvss_dev"
#define HVVSS_BSD_MSG_LEN	64
#define HVVSS_BSD_TMO_S		15	/* 4.2, TIMEOUT_LIMIT, app + daemon */

enum hvvss_bsd_opt {
	HVVSS_BSD_NONE = 0,
	HVVSS_BSD_CHECK = 1,
	HVVSS_BSD_FREEZE = 2,
	HVVSS_BSD_THAW = 3
};
#define HVVSS_BSD_STATUS_OK	0	/* VSS_SUCCESS */
#define HVVSS_BSD_STATUS_FAIL	1	/* VSS_FAIL; on READ: nothing queued */

struct hvvss_bsd_msg {
	uint32_t	opt;
	uint32_t	status;
	uint64_t	msgid;
};

/* The 64-byte image the ioctls copy; used to size the ioctl numbers. */
struct hvvss_bsd_wire {
	uint32_t	opt;
	uint32_t	status;
	uint64_t	msgid;
	uint8_t		reserved[48];
};
_Static_assert(sizeof(struct hvvss_bsd_wire) == HVVSS_BSD_MSG_LEN,
    "hv_vss_opt_msg is 64 bytes");

/*
 * FreeBSD's ioctl encoding (sys/ioccom.h): IOC_OUT 0x40000000, IOC_IN
 * 0x80000000, (len & 0x1fff) << 16, group << 8, number.  These are the
 * numbers a FreeBSD kernel sees (6.2); unit tests check them against
 * 0x40407602 and 0x80407603.
 */
#define HVVSS_BSD_IOC(inout, g, n, len) \
	((uint32_t)(inout) | (((uint32_t)(len) & 0x1fffu) << 16) | \
	 ((uint32_t)(g) << 8) | (uint32_t)(n))
#define HVVSS_BSD_IOC_OUT	0x40000000u
#define HVVSS_BSD_IOC_IN	0x80000000u
#define HVVSS_FREEBSD_IOCHVVSSREAD \
	HVVSS_BSD_IOC(HVVSS_BSD_IOC_OUT, 'v', 2, HVVSS_BSD_MSG_LEN)
#define HVVSS_FREEBSD_IOCHVVSSWRITE \
	HVVSS_BSD_IOC(HVVSS_BSD_IOC_IN, 'v', 3, HVVSS_BSD_MSG_LEN)

/*
 * The numbers used at run time come from the host OS's own _IOR/_IOW, so
 * the same transport source works on FreeBSD (where they equal the values
 * above) and on Linux against the emulated device (where Linux's encoding
 * decides direction and size).  Defined by hvvss_bsd_ioctl.h, which is not
 * pure and is included only by OS edges.
 */

/*
 * Decode a 64-byte message: exact length; opt 0..3 (else E_OP, fields still
 * filled); reserved bytes zero (else E_RESERVED).
 */
int	hvvss_bsd_decode(const uint8_t *, size_t, struct hvvss_bsd_msg *);
void	hvvss_bsd_encode(const struct hvvss_bsd_msg *,
	    uint8_t buf[HVVSS_BSD_MSG_LEN]);
/* Host VSS op (2, 5, 6) to opt (1, 2, 3) and back; -1 when none. */
int	hvvss_bsd_opt_from_op(unsigned);
int	hvvss_bsd_op_from_opt(unsigned);
const char	*hvvss_bsd_opt_name(unsigned);

#endif /* HVVSS_BSD_H */
