/*
 * bsd.c: FreeBSD's struct hv_vss_opt_msg (protocol.md section 6.3) and
 * the host op <-> opt mapping.
 *
 * The 64 bytes are naturally aligned with no holes: opt u32 @0, status
 * u32 @4, msgid u64 @8, reserved[48] @16; little-endian like every
 * platform Hyper-V runs FreeBSD on.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hvvss_bsd.h"
#include "hvvss_ic.h"
#include "hvvss_vss.h"

#define OFF_OPT		0
#define OFF_STATUS	4
#define OFF_MSGID	8
#define OFF_RSVD	16

/*
 * 6.4: the kernel fills the whole struct (reserved zero); a non-zero
 * reserved byte or an opt past THAW means the peer is not that kernel.
 * The fields are filled in either way so a caller can log and echo them.
 */
int
hvvss_bsd_decode(const uint8_t *b, size_t len, struct hvvss_bsd_msg *m)
{
	size_t	i;

	if (b == NULL || m == NULL)
		return HVVSS_E_INVAL;
	memset(m, 0, sizeof(*m));
	if (len < HVVSS_BSD_MSG_LEN)
		return HVVSS_E_SHORT;
	if (len > HVVSS_BSD_MSG_LEN)
		return HVVSS_E_LONG;
	m->opt = hvvss_le32(b + OFF_OPT);
	m->status = hvvss_le32(b + OFF_STATUS);
	m->msgid = hvvss_le64(b + OFF_MSGID);
	if (m->opt > HVVSS_BSD_THAW)
		return HVVSS_E_OP;
	for (i = OFF_RSVD; i < HVVSS_BSD_MSG_LEN; i++)
		if (b[i] != 0)
			return HVVSS_E_RESERVED;
	return HVVSS_OK;
}

void
hvvss_bsd_encode(const struct hvvss_bsd_msg *m, uint8_t buf[HVVSS_BSD_MSG_LEN])
{
	memset(buf, 0, HVVSS_BSD_MSG_LEN);
	hvvss_put32(buf + OFF_OPT, m->opt);
	hvvss_put32(buf + OFF_STATUS, m->status);
	hvvss_put64(buf + OFF_MSGID, m->msgid);
}

/* 6.3: FREEZE(5) -> 2, THAW(6) -> 3, HOT_BACKUP(2) -> CHECK 1. */
int
hvvss_bsd_opt_from_op(unsigned op)
{
	switch (op) {
	case HVVSS_OP_HOT_BACKUP:
		return HVVSS_BSD_CHECK;
	case HVVSS_OP_FREEZE:
		return HVVSS_BSD_FREEZE;
	case HVVSS_OP_THAW:
		return HVVSS_BSD_THAW;
	default:
		return -1;
	}
}

int
hvvss_bsd_op_from_opt(unsigned opt)
{
	switch (opt) {
	case HVVSS_BSD_CHECK:
		return HVVSS_OP_HOT_BACKUP;
	case HVVSS_BSD_FREEZE:
		return HVVSS_OP_FREEZE;
	case HVVSS_BSD_THAW:
		return HVVSS_OP_THAW;
	default:
		return -1;
	}
}

/* 6.3: HV_VSS_NONE .. HV_VSS_THAW. */
static const char *const opt_names[] = { "none", "check", "freeze", "thaw" };

const char *
hvvss_bsd_opt_name(unsigned opt)
{
	if (opt >= sizeof(opt_names) / sizeof(opt_names[0]))
		return "unknown";
	return opt_names[opt];
}
