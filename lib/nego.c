/*
 * nego.c: IC version negotiation (protocol.md section 2), guest and host.
 *
 * Strictness, both roles: each count must be 1..100 (Linux's
 * IC_VERSION_NEGOTIATION_MAX_VER_COUNT, 1.10; FreeBSD refuses 0, 1.10) and
 * every announced version must lie inside the pipe payload (8 + pipe_len),
 * as Linux checks against recvlen.  icmsgsize is only held to the header
 * rule (inside the payload): a reply says 16 while the payload still
 * carries the old list (2.5), so it cannot bound the list.  The reserved
 * u32 at abs 32 is not judged; no guest looks at it.
 */
#include <stddef.h>
#include <stdint.h>

#include "hvvss_nego.h"

/* 2.1: absolute offsets of the negotiate body. */
#define OFF_SIZE	18	/* icmsgsize, 1.4 */
#define OFF_FW_CNT	28
#define OFF_MSG_CNT	30
#define OFF_VERS	36
#define VER_LEN		4
#define NEGO_FIXED_END	(HVVSS_ICMSG_HDR_LEN + HVVSS_NEGO_BODY_FIXED)

/* What both slots hold in a refusal (2.6; see nego_write_reply). */
static const struct hvvss_icver ver_none = { 0, 0 };

/* Check header, type and layout; report the two counts. */
static int
nego_layout(const uint8_t *b, size_t len, struct hvvss_ichdr *h,
    uint16_t *nfw, uint16_t *nmsg)
{
	size_t	end;
	int	e;

	if ((e = hvvss_ic_decode(b, len, h)) != HVVSS_OK)
		return e;
	if (h->type != HVVSS_ICMSG_NEGOTIATE)
		return HVVSS_E_MSGTYPE;
	end = HVVSS_PIPE_HDR_LEN + (size_t)h->pipe_len;
	if (end < NEGO_FIXED_END)
		return HVVSS_E_SHORT;
	*nfw = hvvss_le16(b + OFF_FW_CNT);
	*nmsg = hvvss_le16(b + OFF_MSG_CNT);
	if (*nfw == 0 || *nfw > HVVSS_NEGO_MAX_COUNT ||
	    *nmsg == 0 || *nmsg > HVVSS_NEGO_MAX_COUNT)
		return HVVSS_E_COUNT;
	if (OFF_VERS + VER_LEN * ((size_t)*nfw + *nmsg) > end)
		return HVVSS_E_SHORT;
	return HVVSS_OK;
}

static struct hvvss_icver
ver_at(const uint8_t *p)
{
	struct hvvss_icver v;

	v.major = hvvss_le16(p);
	v.minor = hvvss_le16(p + 2);
	return v;
}

static void
ver_store(uint8_t *p, struct hvvss_icver v)
{
	hvvss_put16(p, v.major);
	hvvss_put16(p + 2, v.minor);
}

static int
ver_eq(struct hvvss_icver a, struct hvvss_icver b)
{
	return a.major == b.major && a.minor == b.minor;
}

int
hvvss_nego_decode(const uint8_t *b, size_t len, struct hvvss_ichdr *h,
    struct hvvss_nego *n)
{
	uint16_t	nfw, nmsg, i;
	int		e;

	if (b == NULL || h == NULL || n == NULL)
		return HVVSS_E_INVAL;
	n->fw_count = n->msg_count = 0;
	if ((e = nego_layout(b, len, h, &nfw, &nmsg)) != HVVSS_OK)
		return e;
	n->fw_count = nfw;
	n->msg_count = nmsg;
	for (i = 0; i < nfw; i++)
		n->fw[i] = ver_at(b + OFF_VERS + VER_LEN * (size_t)i);
	for (i = 0; i < nmsg; i++)
		n->msg[i] = ver_at(b + OFF_VERS + VER_LEN * ((size_t)nfw + i));
	return HVVSS_OK;
}

/* Is v in the wire list at p (n entries)? */
static int
ver_offered(struct hvvss_icver v, const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (ver_eq(v, ver_at(p + VER_LEN * i)))
			return 1;
	return 0;
}

/*
 * 2.4, Linux's rule: the first entry of our own preference list that the
 * host offers exactly.  When floor is set, versions below VSS 5.0 are
 * skipped: FREEZE and THAW only exist from 5.0 (3.4), so FreeBSD's
 * "best <= mine" choice of 4.0 (9.1 item 6) is deliberately not copied.
 */
static int
ver_pick(const struct hvvss_icver *pref, size_t npref, const uint8_t *list,
    size_t nlist, int floor, struct hvvss_icver *out)
{
	size_t	i;

	for (i = 0; i < npref; i++) {
		if (floor && pref[i].major < HVVSS_VSS_MAJOR)
			continue;
		if (ver_offered(pref[i], list, nlist)) {
			*out = pref[i];
			return 1;
		}
	}
	return 0;
}

/*
 * Rewrite a request into the 2.5 reply.  On failure we zero the slots
 * rather than leave Linux's leftovers (2.6), and say E_FAIL like macOS,
 * so a host cannot mistake the reply for a choice.
 */
static void
nego_write_reply(uint8_t *b, size_t len, int ok, struct hvvss_icver fw,
    struct hvvss_icver msg)
{
	uint16_t	cnt = ok ? 1 : 0;

	(void)hvvss_ic_set_reply(b, len, ok ? HVVSS_S_OK : HVVSS_E_FAIL);
	hvvss_put16(b + OFF_SIZE, HVVSS_NEGO_REPLY_SIZE);
	hvvss_put16(b + OFF_FW_CNT, cnt);
	hvvss_put16(b + OFF_MSG_CNT, cnt);
	ver_store(b + OFF_VERS, fw);
	ver_store(b + OFF_VERS + VER_LEN, msg);
}

/*
 * A request that is malformed, or whose icflags are not those of a host
 * request (1.6), is left untouched: it is not a request we can answer.
 * fw_out and msg_out may be NULL.
 */
int
hvvss_nego_guest_reply(uint8_t *b, size_t len,
    const struct hvvss_icver *fw_pref, size_t nfw,
    const struct hvvss_icver *msg_pref, size_t nmsg,
    struct hvvss_icver *fw_out, struct hvvss_icver *msg_out)
{
	struct hvvss_ichdr	h;
	struct hvvss_icver	fw = ver_none, msg = ver_none;
	uint16_t		hfw, hmsg;
	int			e, ok;

	if (b == NULL || (fw_pref == NULL && nfw != 0) ||
	    (msg_pref == NULL && nmsg != 0))
		return HVVSS_E_INVAL;
	if ((e = nego_layout(b, len, &h, &hfw, &hmsg)) != HVVSS_OK)
		return e;
	if ((e = hvvss_ic_check_request(&h)) != HVVSS_OK)
		return e;
	ok = ver_pick(fw_pref, nfw, b + OFF_VERS, hfw, 0, &fw) &&
	    ver_pick(msg_pref, nmsg, b + OFF_VERS + VER_LEN * (size_t)hfw,
	    hmsg, 1, &msg);
	if (!ok)
		fw = msg = ver_none;
	/* Counts >= 1 each, so the payload reaches abs 44 (2.5). */
	nego_write_reply(b, len, ok, fw, msg);
	if (fw_out != NULL)
		*fw_out = fw;
	if (msg_out != NULL)
		*msg_out = msg;
	return ok ? HVVSS_OK : HVVSS_E_NOVERSION;
}

/* OVMM common.rs: the host asks with TRANSACTION|REQUEST (1.6, 2.5). */
int
hvvss_nego_host_offer(uint8_t *b, size_t cap, uint8_t xid,
    const struct hvvss_icver *fw, size_t nfw,
    const struct hvvss_icver *msg, size_t nmsg)
{
	struct hvvss_ichdr	h;
	size_t			i, len;

	if (b == NULL || fw == NULL || msg == NULL ||
	    nfw == 0 || nfw > HVVSS_NEGO_MAX_COUNT ||
	    nmsg == 0 || nmsg > HVVSS_NEGO_MAX_COUNT)
		return -1;
	len = OFF_VERS + VER_LEN * (nfw + nmsg);
	if (cap < len)
		return -1;
	h.pipe_type = HVVSS_PIPE_DATA;
	h.pipe_len = (uint32_t)(len - HVVSS_PIPE_HDR_LEN);
	h.fw.major = HVVSS_FW_MAJOR;
	h.fw.minor = HVVSS_FW_MINOR;
	h.type = HVVSS_ICMSG_NEGOTIATE;
	h.msgver = msg[0];
	h.size = (uint16_t)(len - HVVSS_ICMSG_HDR_LEN);
	h.status = HVVSS_S_OK;
	h.xid = xid;
	h.flags = HVVSS_ICF_REQ_BITS;
	h.reserved = 0;
	(void)hvvss_ic_encode(&h, b, cap);
	hvvss_put16(b + OFF_FW_CNT, (uint16_t)nfw);
	hvvss_put16(b + OFF_MSG_CNT, (uint16_t)nmsg);
	hvvss_put32(b + OFF_FW_CNT + 4, 0);
	for (i = 0; i < nfw; i++)
		ver_store(b + OFF_VERS + VER_LEN * i, fw[i]);
	for (i = 0; i < nmsg; i++)
		ver_store(b + OFF_VERS + VER_LEN * (nfw + i), msg[i]);
	return (int)len;
}

/* The framing a reply must keep (1.9): length, pipe header, type, xid. */
static int
reply_framing(const struct hvvss_ichdr *q, size_t qlen,
    const struct hvvss_ichdr *r, size_t rlen)
{
	if (r->type != HVVSS_ICMSG_NEGOTIATE)
		return HVVSS_E_MSGTYPE;
	if (hvvss_ic_check_response(r) != HVVSS_OK)
		return HVVSS_E_FLAGS;
	if (r->xid != q->xid)
		return HVVSS_E_XID;
	if (rlen != qlen || r->pipe_type != q->pipe_type ||
	    r->pipe_len != q->pipe_len)
		return HVVSS_E_MISMATCH;
	return HVVSS_OK;
}

/*
 * The host's judgement of a reply, in the order OpenVMM's host applies
 * it (2.5, 2.6): framing, then a refusal (counts 0, or a failure status
 * such as FreeBSD's errno with its offer echoed back), then exactly 1/1,
 * then the choice must be one we offered.  Our offers always reach abs
 * 44, so the same-length rule guarantees the slots are there.
 */
int
hvvss_nego_host_check(const uint8_t *offer, size_t offer_len,
    const uint8_t *reply, size_t reply_len,
    struct hvvss_icver *fw_out, struct hvvss_icver *msg_out)
{
	struct hvvss_ichdr	q, r;
	struct hvvss_icver	fw, msg;
	uint16_t		qfw, qmsg, rfw, rmsg;
	int			e;

	if (offer == NULL || reply == NULL ||
	    nego_layout(offer, offer_len, &q, &qfw, &qmsg) != HVVSS_OK)
		return HVVSS_E_INVAL;
	if ((e = hvvss_ic_decode(reply, reply_len, &r)) != HVVSS_OK)
		return e;
	if ((e = reply_framing(&q, offer_len, &r, reply_len)) != HVVSS_OK)
		return e;
	rfw = hvvss_le16(reply + OFF_FW_CNT);
	rmsg = hvvss_le16(reply + OFF_MSG_CNT);
	if (rfw == 0 || rmsg == 0 || r.status != HVVSS_S_OK)
		return HVVSS_E_NOVERSION;
	if (rfw != 1 || rmsg != 1)
		return HVVSS_E_COUNT;
	fw = ver_at(reply + OFF_VERS);
	msg = ver_at(reply + OFF_VERS + VER_LEN);
	if (fw_out != NULL)
		*fw_out = fw;
	if (msg_out != NULL)
		*msg_out = msg;
	if (!ver_offered(fw, offer + OFF_VERS, qfw) ||
	    !ver_offered(msg, offer + OFF_VERS + VER_LEN * (size_t)qfw, qmsg))
		return HVVSS_E_VERSION;
	return HVVSS_OK;
}
