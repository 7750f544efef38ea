/*
 * hvvss_vss.h: VSS operation messages (protocol.md section 3).
 *
 * VSS header at abs 28: operation u8 + 7 reserved bytes; body at abs 36.
 * Guests accept any VSS packet of at least 40 bytes (the Linux kernel's
 * minimum, 1.10); FREEZE and AUTO_RECOVER carry a LUN list when long enough.
 */
#ifndef HVVSS_VSS_H
#define HVVSS_VSS_H

#include <stddef.h>
#include <stdint.h>

#include "hvvss_ic.h"

#define HVVSS_VSS_HDR_LEN	8
#define HVVSS_VSS_MIN_PKT	40	/* 28 + 8 + 4: header and one u32 */
#define HVVSS_VSS_SIMPLE_BODY	32	/* IC_VSS_MSG, 3.2: packet 60 bytes */
#define HVVSS_VSS_MAX_LUNS	260	/* MAX_VHD_COUNT, 3.2 */
#define HVVSS_VSS_LUN_LEN	24	/* IC_VSS_LUN_INFO */
#define HVVSS_VSS_LUN_OFF	48	/* abs offset of Luns[0] in MSG2 */
#define HVVSS_VSS_MSG2_LEN	6288	/* 28 + 6260: FREEZE with all LUN slots */
#define HVVSS_VSS_MSG2EX_LEN	12528	/* 28 + 12500: AUTO_RECOVER, MSG2_EX */
#define HVVSS_HBU_NO_AUTO_RECOVERY 0x00000005u	/* 3.3: opaque magic */

/* Operation codes, 3.1.  REGISTER/REGISTER1 exist only on Linux's device. */
enum hvvss_op {
	HVVSS_OP_CREATE = 0,
	HVVSS_OP_DELETE = 1,
	HVVSS_OP_HOT_BACKUP = 2,
	HVVSS_OP_GET_DM_INFO = 3,
	HVVSS_OP_BU_COMPLETE = 4,
	HVVSS_OP_FREEZE = 5,
	HVVSS_OP_THAW = 6,
	HVVSS_OP_AUTO_RECOVER = 7,
	HVVSS_OP_CLUSTER_INFO = 8,
	HVVSS_OP_REGISTER = 128,
	HVVSS_OP_REGISTER1 = 129
};

struct hvvss_lun {
	uint8_t		bus_type;	/* 0 invalid, 1 SCSI, 2 IDE */
	uint8_t		controller[16];	/* GUID bytes as on the wire */
	uint8_t		port;
	uint8_t		target;
	uint8_t		lun;
};

/* A decoded VSS request: fields by op, copied out of the packet. */
struct hvvss_vss_req {
	uint8_t		op;
	uint32_t	flags;		/* ops 2,3,4,6 (abs 36); FREEZE abs 40 */
	uint8_t		set_id[16];	/* CREATE, DELETE (abs 36), when present */
	int		has_set_id;
	uint32_t	backup_type;	/* FREEZE (abs 36), CREATE v2 (abs 52) */
	int		has_luns;	/* FREEZE/AUTO_RECOVER long enough (>= 48) */
	uint32_t	lun_count;	/* 0..260 */
	size_t		lun_off;	/* abs offset of LUN 0 in the packet */
};

/*
 * Decode a VSS packet: header as hvvss_ic_decode, type VSS, len >= 40,
 * 28 + icmsgsize covers the 12 bytes the op needs.  When a FREEZE or
 * AUTO_RECOVER packet reaches abs 48, LunCount must be <= 260 and all its
 * LUN entries must lie inside the payload.  Unknown op codes decode (op is
 * reported) but return HVVSS_E_OP, so the caller can still fail them; the
 * known ones are 0..7 (VSS 5.0, the version we negotiate), so 8 (6.0) is
 * unknown here.  Optional fields are read only when the packet (8 +
 * pipe_len) reaches them; has_set_id/has_luns say whether it did.
 */
int	hvvss_vss_decode(const uint8_t *, size_t, struct hvvss_ichdr *,
	    struct hvvss_vss_req *);
/* Copy LUN i (i < lun_count) of a decoded request out of the packet. */
int	hvvss_vss_lun(const uint8_t *, size_t, const struct hvvss_vss_req *,
	    uint32_t, struct hvvss_lun *);

/*
 * Guest role: rewrite a received VSS request, in place, into its reply
 * (1.9): status, icflags 0x05; HOT_BACKUP body flags = 5; GET_DM_INFO body
 * flags = 0; nothing else changes, same length.  len >= 40.
 */
int	hvvss_vss_reply(uint8_t *, size_t, uint32_t status);

/*
 * Host role: build a request.  op any (even unknown, for fault injection);
 * msgver 5.0; body of the simple 60-byte form, or for FREEZE the MSG2 form
 * with nluns entries (packet 48 + 24 * nluns bytes).  Returns the length
 * or -1 when cap is too small or nluns > 260.
 */
int	hvvss_vss_build(uint8_t *, size_t, uint8_t op, uint8_t xid,
	    uint32_t flags, const struct hvvss_lun *luns, size_t nluns);

/*
 * Host role: check a reply against its request: same length, pipe header,
 * fw, type, msgver and xid; icflags exactly 0x05; op byte unchanged.  The
 * status is returned through the pointer; HOT_BACKUP flags through *flags.
 */
int	hvvss_vss_check_reply(const uint8_t *req, size_t req_len,
	    const uint8_t *rep, size_t rep_len, uint32_t *status,
	    uint32_t *flags);

const char	*hvvss_op_name(unsigned);

#endif /* HVVSS_VSS_H */
