/*
 * lnx.c: the Linux kernel <-> daemon messages on /dev/vmbus/hv_vss
 * (protocol.md section 5), both the daemon's and the kernel's side.
 *
 * struct hv_vss_msg is 12 packed bytes (5.2): operation u8 + 7 reserved,
 * with the daemon's int error overlaying bytes 0..3, then a u32 flags.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hvvss_ic.h"
#include "hvvss_lnx.h"
#include "hvvss_vss.h"

#define OFF_OP		0	/* vss_hdr.operation */
#define OFF_ERROR	0	/* error, overlaying the header (5.2) */

/* 5.2 and 5.3: the exact lengths the kernel accepts. */
static int
lnx_len(size_t len, size_t want)
{
	if (len < want)
		return HVVSS_E_SHORT;
	if (len > want)
		return HVVSS_E_LONG;
	return HVVSS_OK;
}

/* 5.2: the kernel sends only HOT_BACKUP, FREEZE and THAW. */
static int
lnx_known_op(uint8_t op)
{
	return op == HVVSS_OP_HOT_BACKUP || op == HVVSS_OP_FREEZE ||
	    op == HVVSS_OP_THAW;
}

/*
 * 5.4: the kernel kzalloc()s the message and sets only the op, so any
 * other non-zero byte means we are not talking to the driver we know.
 */
int
hvvss_lnx_decode_request(const uint8_t *b, size_t len, uint8_t *op)
{
	size_t	i;
	int	e;

	if (b == NULL || op == NULL)
		return HVVSS_E_INVAL;
	*op = 0;
	if ((e = lnx_len(len, HVVSS_LNX_MSG_LEN)) != HVVSS_OK)
		return e;
	*op = b[OFF_OP];
	if (!lnx_known_op(*op))
		return HVVSS_E_OP;
	for (i = 1; i < HVVSS_LNX_MSG_LEN; i++)
		if (b[i] != 0)
			return HVVSS_E_RESERVED;
	return HVVSS_OK;
}

/* 5.4: error (bytes 0..3) is copied verbatim into the host IC status. */
void
hvvss_lnx_encode_reply(uint8_t buf[HVVSS_LNX_MSG_LEN], uint32_t status)
{
	memset(buf, 0, HVVSS_LNX_MSG_LEN);
	hvvss_put32(buf + OFF_ERROR, status);
}

/* 5.3 step 2: REGISTER1 (129); the legacy 128 never reaches READY. */
void
hvvss_lnx_encode_register(uint8_t buf[HVVSS_LNX_MSG_LEN])
{
	memset(buf, 0, HVVSS_LNX_MSG_LEN);
	buf[OFF_OP] = HVVSS_OP_REGISTER1;
}

/*
 * 5.3 step 3: one u32, the kernel's our_ver.  Any other version is a
 * driver we do not know (E_VERSION); *ver still gets the value to log.
 */
int
hvvss_lnx_decode_register_reply(const uint8_t *b, size_t len, uint32_t *ver)
{
	int	e;

	if (b == NULL || ver == NULL)
		return HVVSS_E_INVAL;
	*ver = 0;
	if ((e = lnx_len(len, HVVSS_LNX_REG_REPLY_LEN)) != HVVSS_OK)
		return e;
	*ver = hvvss_le32(b);
	if (*ver != HVVSS_LNX_VERSION)
		return HVVSS_E_VERSION;
	return HVVSS_OK;
}

/*
 * Kernel side, as vss_on_msg reads a daemon write (5.3, 5.4): the length
 * must be 12; byte 0 decides registration before the error is looked at
 * (9.1 item 1); bytes 4..11 are ignored.  A registration has status 0.
 */
int
hvvss_lnx_decode_daemon(const uint8_t *b, size_t len, int *kind,
    uint32_t *status)
{
	int	e;

	if (b == NULL || kind == NULL || status == NULL)
		return HVVSS_E_INVAL;
	*kind = HVVSS_LNX_REPLY;
	*status = 0;
	if ((e = lnx_len(len, HVVSS_LNX_MSG_LEN)) != HVVSS_OK)
		return e;
	if (b[OFF_OP] == HVVSS_OP_REGISTER)
		*kind = HVVSS_LNX_KIND_REGISTER;
	else if (b[OFF_OP] == HVVSS_OP_REGISTER1)
		*kind = HVVSS_LNX_KIND_REGISTER1;
	else
		*status = hvvss_le32(b + OFF_ERROR);
	return HVVSS_OK;
}

/* 5.4: a zeroed message with only the op set. */
void
hvvss_lnx_encode_request(uint8_t buf[HVVSS_LNX_MSG_LEN], uint8_t op)
{
	memset(buf, 0, HVVSS_LNX_MSG_LEN);
	buf[OFF_OP] = op;
}

/* 5.3 step 3. */
void
hvvss_lnx_encode_register_reply(uint8_t buf[HVVSS_LNX_REG_REPLY_LEN])
{
	hvvss_put32(buf, HVVSS_LNX_VERSION);
}
