/*
 * notify.c: the application notification socket's 64-byte messages
 * (hvvss_notify.h has the layout and the rules).
 *
 * The decoder copies every field into a host-order struct first and then
 * judges the struct with the same function the encoder uses, so the two
 * directions cannot disagree about what is valid.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hvvss_ic.h"
#include "hvvss_notify.h"

#define OFF_MAGIC	0
#define OFF_VERSION	4
#define OFF_TYPE	6
#define OFF_CYCLE	8
#define OFF_PHASE	12
#define OFF_STATUS	14
#define OFF_DEADLINE	16
#define OFF_TIMEOUT	24
#define OFF_RSVD	28
#define OFF_NAME	32
#define NAME_BYTES	(HVVSS_NOTIFY_MSG_LEN - OFF_NAME)

_Static_assert(NAME_BYTES == HVVSS_NOTIFY_NAME_MAX + 1,
    "the name field holds the longest name and its NUL");

static const char *const type_names[HVVSS_NOTIFY_TYPE__MAX] = {
	[HVVSS_NOTIFY_REGISTER] = "register",
	[HVVSS_NOTIFY_WELCOME] = "welcome",
	[HVVSS_NOTIFY_EVENT] = "event",
	[HVVSS_NOTIFY_ACK] = "ack",
};

static const char *const phase_names[HVVSS_NOTIFY_PHASE__MAX] = {
	[HVVSS_NOTIFY_NONE] = "none",
	[HVVSS_NOTIFY_PREPARE] = "prepare",
	[HVVSS_NOTIFY_FREEZE] = "freeze",
	[HVVSS_NOTIFY_THAW] = "thaw",
	[HVVSS_NOTIFY_ABORT] = "abort",
};

static const char *const status_names[HVVSS_NOTIFY_ST__MAX] = {
	[HVVSS_NOTIFY_ST_OK] = "ok",
	[HVVSS_NOTIFY_ST_FAIL] = "fail",
	[HVVSS_NOTIFY_ST_DENIED] = "denied",
	[HVVSS_NOTIFY_ST_FULL] = "full",
	[HVVSS_NOTIFY_ST_DUPLICATE] = "duplicate",
};

const char *
hvvss_notify_type_name(unsigned t)
{
	if (t >= HVVSS_NOTIFY_TYPE__MAX || type_names[t] == NULL)
		return "unknown";
	return type_names[t];
}

const char *
hvvss_notify_phase_name(unsigned p)
{
	if (p >= HVVSS_NOTIFY_PHASE__MAX)
		return "unknown";
	return phase_names[p];
}

const char *
hvvss_notify_status_name(unsigned s)
{
	if (s >= HVVSS_NOTIFY_ST__MAX)
		return "unknown";
	return status_names[s];
}

/* Names go verbatim into key=value log lines: no quoting ever needed. */
static int
name_char_ok(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c == '.' || c == '_' || c == '-' || c == '@' || c == ':' ||
	    c == '+';
}

int
hvvss_notify_name_check(const char *s)
{
	size_t	i;

	if (s == NULL)
		return HVVSS_E_INVAL;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= HVVSS_NOTIFY_NAME_MAX)
			return HVVSS_E_LONG;
		if (!name_char_ok((unsigned char)s[i]))
			return HVVSS_E_MISMATCH;
	}
	return i == 0 ? HVVSS_E_MISMATCH : HVVSS_OK;
}

/* Whether the name field is all zero (the types without a name). */
static int
name_empty(const struct hvvss_notify_msg *m)
{
	size_t	i;

	for (i = 0; i < sizeof(m->name); i++)
		if (m->name[i] != '\0')
			return 0;
	return 1;
}

/*
 * The per-type rules, on host-order fields.  The name's padding is
 * checked by the caller that sees the raw bytes (the decoder) or
 * produced by construction (the encoder copies only up to the NUL).
 */
static int
msg_check(const struct hvvss_notify_msg *m)
{
	int	e;

	switch (m->type) {
	case HVVSS_NOTIFY_REGISTER:
	case HVVSS_NOTIFY_WELCOME:
		if (m->phase != HVVSS_NOTIFY_NONE)
			return HVVSS_E_OP;
		if (m->type == HVVSS_NOTIFY_REGISTER ?
		    m->status != HVVSS_NOTIFY_ST_OK :
		    (m->status >= HVVSS_NOTIFY_ST__MAX ||
		    m->status == HVVSS_NOTIFY_ST_FAIL))
			return HVVSS_E_OP;
		if (m->cycle != 0 || m->deadline_ns != 0 || m->timeout_ms != 0)
			return HVVSS_E_RESERVED;
		/* WELCOME may echo no name: a refusal before REGISTER. */
		if (m->type == HVVSS_NOTIFY_WELCOME && m->name[0] == '\0')
			return name_empty(m) ? HVVSS_OK : HVVSS_E_RESERVED;
		if (memchr(m->name, '\0', sizeof(m->name)) == NULL)
			return HVVSS_E_LONG;
		e = hvvss_notify_name_check(m->name);
		return e;
	case HVVSS_NOTIFY_EVENT:
	case HVVSS_NOTIFY_ACK:
		if (m->phase == HVVSS_NOTIFY_NONE ||
		    m->phase >= HVVSS_NOTIFY_PHASE__MAX)
			return HVVSS_E_OP;
		if (m->type == HVVSS_NOTIFY_EVENT ?
		    m->status != HVVSS_NOTIFY_ST_OK :
		    m->status > HVVSS_NOTIFY_ST_FAIL)
			return HVVSS_E_OP;
		if (m->type == HVVSS_NOTIFY_ACK &&
		    (m->deadline_ns != 0 || m->timeout_ms != 0))
			return HVVSS_E_RESERVED;
		return name_empty(m) ? HVVSS_OK : HVVSS_E_RESERVED;
	default:
		return HVVSS_E_MSGTYPE;
	}
}

void
hvvss_notify_init(struct hvvss_notify_msg *m, unsigned type)
{
	memset(m, 0, sizeof(*m));
	m->version = HVVSS_NOTIFY_VERSION;
	m->type = (uint16_t)type;
}

int
hvvss_notify_decode(const uint8_t *b, size_t len, struct hvvss_notify_msg *m)
{
	const uint8_t	*nul;
	size_t		 i, n;

	if (b == NULL || m == NULL)
		return HVVSS_E_INVAL;
	memset(m, 0, sizeof(*m));
	if (len < HVVSS_NOTIFY_MSG_LEN)
		return HVVSS_E_SHORT;
	if (len > HVVSS_NOTIFY_MSG_LEN)
		return HVVSS_E_LONG;
	if (hvvss_le32(b + OFF_MAGIC) != HVVSS_NOTIFY_MAGIC)
		return HVVSS_E_MSGTYPE;
	m->version = hvvss_le16(b + OFF_VERSION);
	m->type = hvvss_le16(b + OFF_TYPE);
	m->cycle = hvvss_le32(b + OFF_CYCLE);
	m->phase = hvvss_le16(b + OFF_PHASE);
	m->status = hvvss_le16(b + OFF_STATUS);
	m->deadline_ns = hvvss_le64(b + OFF_DEADLINE);
	m->timeout_ms = hvvss_le32(b + OFF_TIMEOUT);
	/* The name up to its NUL (or all 31 bytes for the log if none). */
	nul = memchr(b + OFF_NAME, 0, NAME_BYTES);
	n = nul != NULL ? (size_t)(nul - (b + OFF_NAME)) :
	    HVVSS_NOTIFY_NAME_MAX;
	memcpy(m->name, b + OFF_NAME, n);
	m->name[n] = '\0';
	if (m->version != HVVSS_NOTIFY_VERSION)
		return HVVSS_E_VERSION;
	if (m->type == 0 || m->type >= HVVSS_NOTIFY_TYPE__MAX)
		return HVVSS_E_MSGTYPE;
	if (hvvss_le32(b + OFF_RSVD) != 0)
		return HVVSS_E_RESERVED;
	if (nul == NULL)
		return HVVSS_E_LONG;
	for (i = OFF_NAME + n; i < HVVSS_NOTIFY_MSG_LEN; i++)
		if (b[i] != 0)
			return HVVSS_E_RESERVED;
	return msg_check(m);
}

int
hvvss_notify_encode(const struct hvvss_notify_msg *m, uint8_t *buf,
    size_t cap)
{
	size_t	n;
	int	e;

	if (m == NULL || buf == NULL)
		return HVVSS_E_INVAL;
	if (cap < HVVSS_NOTIFY_MSG_LEN)
		return HVVSS_E_NOSPACE;
	if (m->type == 0 || m->type >= HVVSS_NOTIFY_TYPE__MAX)
		return HVVSS_E_MSGTYPE;
	if ((e = msg_check(m)) != HVVSS_OK)
		return e;
	memset(buf, 0, HVVSS_NOTIFY_MSG_LEN);
	hvvss_put32(buf + OFF_MAGIC, HVVSS_NOTIFY_MAGIC);
	hvvss_put16(buf + OFF_VERSION, HVVSS_NOTIFY_VERSION);
	hvvss_put16(buf + OFF_TYPE, m->type);
	hvvss_put32(buf + OFF_CYCLE, m->cycle);
	hvvss_put16(buf + OFF_PHASE, m->phase);
	hvvss_put16(buf + OFF_STATUS, m->status);
	hvvss_put64(buf + OFF_DEADLINE, m->deadline_ns);
	hvvss_put32(buf + OFF_TIMEOUT, m->timeout_ms);
	/* msg_check proved a NUL within the field (or an all-zero name). */
	n = strnlen(m->name, sizeof(m->name));
	memcpy(buf + OFF_NAME, m->name, n);
	return HVVSS_OK;
}
