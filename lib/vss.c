/*
 * vss.c: VSS operation messages (protocol.md section 3), guest and host.
 *
 * Strictness of the guest-side decoder:
 *  - The packet (8 + pipe_len) must be at least 40 bytes: the VSS header
 *    plus one u32, the Linux kernel's minimum (1.10).  Anything the op
 *    carries beyond that is read only when the packet reaches it, because
 *    Linux and FreeBSD model only those 12 bytes (3.2) and a host that
 *    sends the short form must still be answered.
 *  - icmsgsize must cover those 12 bytes too (the header's contract).
 *  - FREEZE/AUTO_RECOVER: the LUN list is parsed only when the packet
 *    reaches abs 48 (Luns[0], 3.2); then LunCount <= 260 (MAX_VHD_COUNT)
 *    and every entry must lie inside the payload.
 *  - The 7 reserved bytes of the VSS header (abs 29) are not judged: 3.2
 *    gives Windows and Linux different views of them and no guest reads
 *    them, so a non-zero value is no reason to fail a backup.
 *  - icflags are judged by the caller (hvvss_ic_check_request).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hvvss_nego.h"
#include "hvvss_vss.h"

/* Absolute offsets, 3.2. */
#define OFF_OP		28	/* VSS header: operation */
#define OFF_BODY	36	/* Flags, SnapshotSetId or BackupType */
#define OFF_M2_FLAGS	40	/* IC_VSS_MSG2 Flags */
#define OFF_M2_COUNT	44	/* IC_VSS_MSG2 LunCount */
#define OFF_V2_BTYPE	52	/* CREATE v2 BackupType */
#define OFF_ECHO_END	18	/* pipe header, fw, type, msgver: echoed */
#define SET_ID_LEN	16	/* GUID */
#define VSS_MIN_BODY	(HVVSS_VSS_MIN_PKT - HVVSS_ICMSG_HDR_LEN)  /* 12 */
#define SIMPLE_LEN	(HVVSS_ICMSG_HDR_LEN + HVVSS_VSS_SIMPLE_BODY) /* 60 */

/* IC_VSS_LUN_INFO field offsets, 3.2. */
#define LUN_BUS		0
#define LUN_CTRL	4
#define LUN_PORT	20
#define LUN_TARGET	21
#define LUN_LUN		22

/* CREATE and DELETE: the snapshot set id, and CREATE v2's BackupType. */
static void
req_set_id(const uint8_t *b, size_t end, struct hvvss_vss_req *r)
{
	if (end >= OFF_BODY + SET_ID_LEN) {
		memcpy(r->set_id, b + OFF_BODY, SET_ID_LEN);
		r->has_set_id = 1;
	}
	if (r->op == HVVSS_OP_CREATE && end >= OFF_V2_BTYPE + 4)
		r->backup_type = hvvss_le32(b + OFF_V2_BTYPE);
}

/* FREEZE and AUTO_RECOVER: IC_VSS_MSG2, as far as the packet goes. */
static int
req_msg2(const uint8_t *b, size_t end, struct hvvss_vss_req *r)
{
	uint32_t	n;

	r->backup_type = hvvss_le32(b + OFF_BODY);
	if (end >= OFF_M2_FLAGS + 4)
		r->flags = hvvss_le32(b + OFF_M2_FLAGS);
	if (end < HVVSS_VSS_LUN_OFF)
		return HVVSS_OK;
	n = hvvss_le32(b + OFF_M2_COUNT);
	if (n > HVVSS_VSS_MAX_LUNS)
		return HVVSS_E_COUNT;
	if (HVVSS_VSS_LUN_OFF + (size_t)n * HVVSS_VSS_LUN_LEN > end)
		return HVVSS_E_SHORT;
	r->has_luns = 1;
	r->lun_count = n;
	r->lun_off = HVVSS_VSS_LUN_OFF;
	return HVVSS_OK;
}

/*
 * Ops 0..7 are the ones of VSS 5.0, the only version we negotiate (3.4);
 * 8 (6.0) and the device-only 128/129 are unknown on this wire.
 */
static int
req_body(const uint8_t *b, size_t end, struct hvvss_vss_req *r)
{
	switch (r->op) {
	case HVVSS_OP_CREATE:
	case HVVSS_OP_DELETE:
		req_set_id(b, end, r);
		return HVVSS_OK;
	case HVVSS_OP_HOT_BACKUP:
	case HVVSS_OP_GET_DM_INFO:
	case HVVSS_OP_BU_COMPLETE:
	case HVVSS_OP_THAW:
		r->flags = hvvss_le32(b + OFF_BODY);
		return HVVSS_OK;
	case HVVSS_OP_FREEZE:
	case HVVSS_OP_AUTO_RECOVER:
		return req_msg2(b, end, r);
	default:
		return HVVSS_E_OP;
	}
}

int
hvvss_vss_decode(const uint8_t *b, size_t len, struct hvvss_ichdr *h,
    struct hvvss_vss_req *r)
{
	size_t	end;
	int	e;

	if (b == NULL || h == NULL || r == NULL)
		return HVVSS_E_INVAL;
	memset(r, 0, sizeof(*r));
	if ((e = hvvss_ic_decode(b, len, h)) != HVVSS_OK)
		return e;
	if (h->type != HVVSS_ICMSG_VSS)
		return HVVSS_E_MSGTYPE;
	end = HVVSS_PIPE_HDR_LEN + (size_t)h->pipe_len;
	if (end < HVVSS_VSS_MIN_PKT)
		return HVVSS_E_SHORT;
	if (h->size < VSS_MIN_BODY)
		return HVVSS_E_IC_SIZE;
	r->op = b[OFF_OP];
	return req_body(b, end, r);
}

int
hvvss_vss_lun(const uint8_t *b, size_t len, const struct hvvss_vss_req *r,
    uint32_t i, struct hvvss_lun *l)
{
	const uint8_t	*p;

	if (b == NULL || r == NULL || l == NULL || !r->has_luns ||
	    i >= r->lun_count)
		return HVVSS_E_INVAL;
	if (r->lun_off > len ||
	    (len - r->lun_off) / HVVSS_VSS_LUN_LEN <= (size_t)i)
		return HVVSS_E_SHORT;
	p = b + r->lun_off + (size_t)i * HVVSS_VSS_LUN_LEN;
	l->bus_type = p[LUN_BUS];
	memcpy(l->controller, p + LUN_CTRL, sizeof(l->controller));
	l->port = p[LUN_PORT];
	l->target = p[LUN_TARGET];
	l->lun = p[LUN_LUN];
	return HVVSS_OK;
}

/*
 * 1.9 and 3.3: HOT_BACKUP answers VSS_HBU_NO_AUTO_RECOVERY (5) whatever
 * the status, as FreeBSD does even on failure (6.5); GET_DM_INFO answers 0.
 * Only len >= 40 is required, so that even a packet the decoder refused
 * (unknown op, bad LUN count) can be failed in the usual way.
 */
int
hvvss_vss_reply(uint8_t *b, size_t len, uint32_t status)
{
	if (b == NULL)
		return HVVSS_E_INVAL;
	if (len < HVVSS_VSS_MIN_PKT)
		return HVVSS_E_SHORT;
	(void)hvvss_ic_set_reply(b, len, status);
	if (b[OFF_OP] == HVVSS_OP_HOT_BACKUP)
		hvvss_put32(b + OFF_BODY, HVVSS_HBU_NO_AUTO_RECOVERY);
	else if (b[OFF_OP] == HVVSS_OP_GET_DM_INFO)
		hvvss_put32(b + OFF_BODY, 0);
	return HVVSS_OK;
}

static void
lun_put(uint8_t *p, const struct hvvss_lun *l)
{
	p[LUN_BUS] = l->bus_type;
	memcpy(p + LUN_CTRL, l->controller, sizeof(l->controller));
	p[LUN_PORT] = l->port;
	p[LUN_TARGET] = l->target;
	p[LUN_LUN] = l->lun;
}

/* Header of a host request: DATA, fw 3.0, VSS 5.0, flags 0x03 (1.6, 3.4). */
static void
build_header(uint8_t *b, size_t len, uint8_t xid)
{
	struct hvvss_ichdr	h;

	h.pipe_type = HVVSS_PIPE_DATA;
	h.pipe_len = (uint32_t)(len - HVVSS_PIPE_HDR_LEN);
	h.fw.major = HVVSS_FW_MAJOR;
	h.fw.minor = HVVSS_FW_MINOR;
	h.type = HVVSS_ICMSG_VSS;
	h.msgver.major = HVVSS_VSS_MAJOR;
	h.msgver.minor = HVVSS_VSS_MINOR;
	h.size = (uint16_t)(len - HVVSS_ICMSG_HDR_LEN);
	h.status = HVVSS_S_OK;
	h.xid = xid;
	h.flags = HVVSS_ICF_REQ_BITS;
	h.reserved = 0;
	(void)hvvss_ic_encode(&h, b, len);
}

/*
 * FREEZE gets IC_VSS_MSG2 cut after its last LUN (BackupType 0, Flags at
 * abs 40); every other op the 60-byte IC_VSS_MSG with Flags at abs 36,
 * luns ignored.
 */
int
hvvss_vss_build(uint8_t *b, size_t cap, uint8_t op, uint8_t xid,
    uint32_t flags, const struct hvvss_lun *luns, size_t nluns)
{
	size_t	len, i;

	if (b == NULL || nluns > HVVSS_VSS_MAX_LUNS ||
	    (luns == NULL && nluns != 0))
		return -1;
	len = op == HVVSS_OP_FREEZE ?
	    HVVSS_VSS_LUN_OFF + nluns * HVVSS_VSS_LUN_LEN : SIMPLE_LEN;
	if (cap < len)
		return -1;
	memset(b, 0, len);
	build_header(b, len, xid);
	b[OFF_OP] = op;
	if (op != HVVSS_OP_FREEZE) {
		hvvss_put32(b + OFF_BODY, flags);
		return (int)len;
	}
	hvvss_put32(b + OFF_M2_FLAGS, flags);
	hvvss_put32(b + OFF_M2_COUNT, (uint32_t)nluns);
	for (i = 0; i < nluns; i++)
		lun_put(b + HVVSS_VSS_LUN_OFF + i * HVVSS_VSS_LUN_LEN, &luns[i]);
	return (int)len;
}

/*
 * Host role (1.9): the reply is the request with status, icflags and
 * some body flags changed.  Checked in this order so each fault has its
 * own error: length, header sanity, type, icflags, xid, then the bytes
 * that must be echoed (pipe header, fw, type, msgver: abs 0..17; the op
 * byte, abs 28).  A request that is not itself a valid IC packet of at
 * least 40 bytes is the caller's mistake: E_INVAL.  *flags gets the u32
 * at abs 36 for every op (meaningful for HOT_BACKUP and GET_DM_INFO).
 */
int
hvvss_vss_check_reply(const uint8_t *req, size_t req_len,
    const uint8_t *rep, size_t rep_len, uint32_t *status, uint32_t *flags)
{
	struct hvvss_ichdr	q, r;
	int			e;

	if (req == NULL || rep == NULL || req_len < HVVSS_VSS_MIN_PKT ||
	    hvvss_ic_decode(req, req_len, &q) != HVVSS_OK)
		return HVVSS_E_INVAL;
	if (rep_len != req_len)
		return HVVSS_E_MISMATCH;
	if ((e = hvvss_ic_decode(rep, rep_len, &r)) != HVVSS_OK)
		return e;
	if (r.type != HVVSS_ICMSG_VSS)
		return HVVSS_E_MSGTYPE;
	if (hvvss_ic_check_response(&r) != HVVSS_OK)
		return HVVSS_E_FLAGS;
	if (r.xid != q.xid)
		return HVVSS_E_XID;
	if (memcmp(req, rep, OFF_ECHO_END) != 0 || req[OFF_OP] != rep[OFF_OP])
		return HVVSS_E_MISMATCH;
	if (status != NULL)
		*status = r.status;
	if (flags != NULL)
		*flags = hvvss_le32(rep + OFF_BODY);
	return HVVSS_OK;
}

/* 3.1, lower-case with dashes like the other name tables. */
static const char *const op_names[] = {
	"create", "delete", "hot-backup", "get-dm-info", "bu-complete",
	"freeze", "thaw", "auto-recover", "cluster-info"
};

const char *
hvvss_op_name(unsigned op)
{
	if (op < sizeof(op_names) / sizeof(op_names[0]))
		return op_names[op];
	if (op == HVVSS_OP_REGISTER)
		return "register";
	if (op == HVVSS_OP_REGISTER1)
		return "register1";
	return "unknown";
}
