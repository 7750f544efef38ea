/*
 * hvvss_lnx.h: Linux kernel <-> daemon ABI on /dev/vmbus/hv_vss
 * (protocol.md section 5).
 *
 * One packed 12-byte message both ways:
 *	bytes 0..7  kernel->daemon: op (u8) + 7 zero bytes
 *	            daemon->kernel: op 129 to register, else bytes 0..3 = status
 *	bytes 8..11 flags (zero from the kernel, ignored by it)
 * Registration reply: a single 4-byte u32 = 129.
 */
#ifndef HVVSS_LNX_H
#define HVVSS_LNX_H

#include <stddef.h>
#include <stdint.h>

#include "hvvss_err.h"

#define HVVSS_LNX_DEV		"/dev/vmbus/hv_vss"
#define HVVSS_LNX_MSG_LEN	12
#define HVVSS_LNX_REG_REPLY_LEN	4
#define HVVSS_LNX_VERSION	129	/* kernel's our_ver == REGISTER1 */
#define HVVSS_LNX_FREEZE_TMO_S	900	/* 4.2, VSS_FREEZE_TIMEOUT */
#define HVVSS_LNX_OTHER_TMO_S	30	/* 4.2, HV_UTIL_TIMEOUT */

/*
 * Daemon side.  A kernel request is exactly 12 bytes with op 2, 5 or 6
 * and bytes 1..11 zero.  A wrong length gives E_SHORT/E_LONG (op 0); an
 * unknown op gives E_OP and non-zero reserved/flags bytes E_RESERVED, and in
 * both cases *op still holds byte 0 so the request can be failed.
 */
int	hvvss_lnx_decode_request(const uint8_t *, size_t, uint8_t *op);
/* The reply: bytes 0..3 = status (LE), the rest zero. */
void	hvvss_lnx_encode_reply(uint8_t buf[HVVSS_LNX_MSG_LEN], uint32_t status);
/* The registration message: op 129, the rest zero. */
void	hvvss_lnx_encode_register(uint8_t buf[HVVSS_LNX_MSG_LEN]);
/* The 4-byte registration reply; must be exactly 4 bytes holding 129. */
int	hvvss_lnx_decode_register_reply(const uint8_t *, size_t, uint32_t *);

/*
 * Kernel side (the guest driver model).  A daemon write is classified as
 * it is by vss_on_msg: 12 bytes or E_SHORT/E_LONG; byte 0 == 128 or 129 is
 * a registration (kind REGISTER / REGISTER1), anything else a reply whose
 * status is bytes 0..3.  (Hence a status whose low byte is 0x80/0x81 reads
 * as a registration, exactly as in the kernel; 9.1 item 1.)
 */
enum hvvss_lnx_kind {
	HVVSS_LNX_REPLY = 0,
	HVVSS_LNX_KIND_REGISTER,
	HVVSS_LNX_KIND_REGISTER1
};
int	hvvss_lnx_decode_daemon(const uint8_t *, size_t, int *kind,
	    uint32_t *status);
void	hvvss_lnx_encode_request(uint8_t buf[HVVSS_LNX_MSG_LEN], uint8_t op);
void	hvvss_lnx_encode_register_reply(uint8_t buf[HVVSS_LNX_REG_REPLY_LEN]);

#endif /* HVVSS_LNX_H */
