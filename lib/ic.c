/*
 * ic.c: VMBus pipe header + IC message header (protocol.md section 1),
 * and the little-endian helpers every other module uses.
 *
 * Integers are read and written a byte at a time, so the code is the same
 * on any host byte order and never casts a pointer into a packet.
 */
#include <stddef.h>
#include <stdint.h>

#include "hvvss_ic.h"

/* Absolute offsets of the header fields, protocol.md 1.3 and 1.4. */
#define OFF_PIPE_TYPE	0
#define OFF_PIPE_LEN	4
#define OFF_FW		8
#define OFF_TYPE	12
#define OFF_MSGVER	14
#define OFF_SIZE	18
#define OFF_STATUS	20
#define OFF_XID		24
#define OFF_FLAGS	25
#define OFF_RSVD	26

/* 1.6: bits 0xF8 are reserved and must be zero. */
#define ICF_RESERVED	0xf8

/*
 * The largest buffer that can hold a valid packet: pipe header, the
 * largest payload, and the VMBus alignment padding (1.1, 1.2).
 */
#define IC_MAX_BUF	(HVVSS_PIPE_HDR_LEN + HVVSS_IC_MAX_MSG + HVVSS_IC_MAX_PAD)

uint16_t
hvvss_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

uint32_t
hvvss_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

uint64_t
hvvss_le64(const uint8_t *p)
{
	return (uint64_t)hvvss_le32(p) | (uint64_t)hvvss_le32(p + 4) << 32;
}

void
hvvss_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void
hvvss_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void
hvvss_put64(uint8_t *p, uint64_t v)
{
	hvvss_put32(p, (uint32_t)v);
	hvvss_put32(p + 4, (uint32_t)(v >> 32));
}

static void
ver_get(const uint8_t *p, struct hvvss_icver *v)
{
	v->major = hvvss_le16(p);
	v->minor = hvvss_le16(p + 2);
}

static void
ver_put(uint8_t *p, const struct hvvss_icver *v)
{
	hvvss_put16(p, v->major);
	hvvss_put16(p + 2, v->minor);
}

/* Copy the 28 header bytes into host order; no judgement yet. */
static void
ic_fields(const uint8_t *b, struct hvvss_ichdr *h)
{
	h->pipe_type = hvvss_le32(b + OFF_PIPE_TYPE);
	h->pipe_len = hvvss_le32(b + OFF_PIPE_LEN);
	ver_get(b + OFF_FW, &h->fw);
	h->type = hvvss_le16(b + OFF_TYPE);
	ver_get(b + OFF_MSGVER, &h->msgver);
	h->size = hvvss_le16(b + OFF_SIZE);
	h->status = hvvss_le32(b + OFF_STATUS);
	h->xid = b[OFF_XID];
	h->flags = b[OFF_FLAGS];
	h->reserved = hvvss_le16(b + OFF_RSVD);
}

/*
 * The header fields are filled in whenever the 28 bytes are there, even
 * when the packet is then refused, so a caller can log what it saw.
 * The reserved field (abs 26) is copied but not judged: 1.4 calls it
 * zero, but no source says a real host clears it, and neither Linux nor
 * FreeBSD looks at it (1.9 echoes it).
 */
int
hvvss_ic_decode(const uint8_t *b, size_t len, struct hvvss_ichdr *h)
{
	size_t	end;

	if (b == NULL || h == NULL)
		return HVVSS_E_INVAL;
	if (len < HVVSS_ICMSG_HDR_LEN)
		return HVVSS_E_SHORT;
	ic_fields(b, h);
	if (len > IC_MAX_BUF)
		return HVVSS_E_LONG;
	/* 1.3: DATA is the only pipe packet type a host sends. */
	if (h->pipe_type != HVVSS_PIPE_DATA)
		return HVVSS_E_PIPE_TYPE;
	/* 1.1: no IC message is larger than 13312 bytes. */
	if (h->pipe_len > HVVSS_IC_MAX_MSG)
		return HVVSS_E_LONG;
	end = HVVSS_PIPE_HDR_LEN + (size_t)h->pipe_len;
	/* 1.3: msgsize bytes follow the pipe header; 1.2: padding <= 7. */
	if (end > len || len - end > HVVSS_IC_MAX_PAD)
		return HVVSS_E_PIPE_LEN;
	/* 1.4: the body announced by icmsgsize must lie in the payload. */
	if (HVVSS_ICMSG_HDR_LEN + (size_t)h->size > end)
		return HVVSS_E_IC_SIZE;
	return HVVSS_OK;
}

int
hvvss_ic_encode(const struct hvvss_ichdr *h, uint8_t *b, size_t cap)
{
	if (h == NULL || b == NULL)
		return HVVSS_E_INVAL;
	if (cap < HVVSS_ICMSG_HDR_LEN)
		return HVVSS_E_NOSPACE;
	hvvss_put32(b + OFF_PIPE_TYPE, h->pipe_type);
	hvvss_put32(b + OFF_PIPE_LEN, h->pipe_len);
	ver_put(b + OFF_FW, &h->fw);
	hvvss_put16(b + OFF_TYPE, h->type);
	ver_put(b + OFF_MSGVER, &h->msgver);
	hvvss_put16(b + OFF_SIZE, h->size);
	hvvss_put32(b + OFF_STATUS, h->status);
	b[OFF_XID] = h->xid;
	b[OFF_FLAGS] = h->flags;
	hvvss_put16(b + OFF_RSVD, h->reserved);
	return HVVSS_OK;
}

/* 1.6: hosts send TRANSACTION|REQUEST; RESPONSE and 0xF8 never. */
int
hvvss_ic_check_request(const struct hvvss_ichdr *h)
{
	if (h == NULL)
		return HVVSS_E_INVAL;
	if ((h->flags & ICF_RESERVED) != 0 ||
	    (h->flags & HVVSS_ICF_RESPONSE) != 0 ||
	    (h->flags & HVVSS_ICF_REQ_BITS) != HVVSS_ICF_REQ_BITS)
		return HVVSS_E_FLAGS;
	return HVVSS_OK;
}

/* 1.6: every guest overwrites the byte with exactly 0x05. */
int
hvvss_ic_check_response(const struct hvvss_ichdr *h)
{
	if (h == NULL)
		return HVVSS_E_INVAL;
	if (h->flags != HVVSS_ICF_RESP_BITS)
		return HVVSS_E_FLAGS;
	return HVVSS_OK;
}

/* 1.9 steps 2 and 3: only status and icflags change. */
int
hvvss_ic_set_reply(uint8_t *b, size_t len, uint32_t status)
{
	if (b == NULL)
		return HVVSS_E_INVAL;
	if (len < HVVSS_ICMSG_HDR_LEN)
		return HVVSS_E_SHORT;
	hvvss_put32(b + OFF_STATUS, status);
	b[OFF_FLAGS] = HVVSS_ICF_RESP_BITS;
	return HVVSS_OK;
}

/* 1.5 */
static const char *const ic_type_names[] = {
	"negotiate", "heartbeat", "kvp", "shutdown", "timesync", "vss",
	"rdv", "fcopy", "vm-session"
};

const char *
hvvss_ic_type_name(unsigned t)
{
	if (t >= sizeof(ic_type_names) / sizeof(ic_type_names[0]))
		return "unknown";
	return ic_type_names[t];
}

/* 1.7, with the Linux uapi spelling minus the HV_ prefix. */
static const struct {
	uint32_t	 code;
	const char	*name;
} status_names[] = {
	{ 0x00000000u, "S_OK" },
	{ 0x80004005u, "E_FAIL" },
	{ 0x80070103u, "S_CONT" },
	{ 0x80070032u, "ERROR_NOT_SUPPORTED" },
	{ 0x800704f7u, "ERROR_MACHINE_LOCKED" },
	{ 0x8007048fu, "ERROR_DEVICE_NOT_CONNECTED" },
	{ 0x80070057u, "INVALIDARG" },
	{ 0x80041002u, "GUID_NOTFOUND" },
	{ 0x80070050u, "ERROR_ALREADY_EXISTS" },
	{ 0x80070070u, "ERROR_DISK_FULL" },
};

const char *
hvvss_status_name(uint32_t s)
{
	size_t	i;

	for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (status_names[i].code == s)
			return status_names[i].name;
	return "unknown";
}
