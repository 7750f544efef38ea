/*
 * hvvss_notify.h: the application notification socket's messages
 * (prior-art.md A4, D7).
 *
 * Long-running services connect to the daemon's SOCK_SEQPACKET socket,
 * register under a name and are told prepare / freeze / thaw / abort,
 * each with a deadline, which they acknowledge.  SOCK_SEQPACKET keeps
 * message boundaries, so every message is one packet of exactly
 * HVVSS_NOTIFY_MSG_LEN bytes; a packet of any other length is refused.
 *
 * Layout, little-endian, no holes:
 *	@0  magic    u32  "HVNT" (0x544e5648)
 *	@4  version  u16  HVVSS_NOTIFY_VERSION
 *	@6  type     u16  enum hvvss_notify_type
 *	@8  cycle    u32  the daemon's cycle id (EVENT, ACK); else 0
 *	@12 phase    u16  enum hvvss_notify_phase (EVENT, ACK); else 0
 *	@14 status   u16  enum hvvss_notify_status (ACK, WELCOME); else 0
 *	@16 deadline u64  CLOCK_MONOTONIC ns (EVENT); else 0
 *	@24 timeout  u32  ms left before the deadline when sent (EVENT); else 0
 *	@28 reserved u32  0
 *	@32 name     32   NUL-terminated, NUL-padded (REGISTER, WELCOME); else 0
 *
 * The conversation:
 *	client -> daemon  REGISTER name
 *	daemon -> client  WELCOME status (OK, or why refused; then it closes)
 *	daemon -> client  EVENT cycle phase deadline timeout    (repeated)
 *	client -> daemon  ACK cycle phase status (OK or FAIL)
 *
 * Both the absolute deadline and the time left are sent because a client
 * in another time namespace sees a different CLOCK_MONOTONIC: it should
 * compute its own deadline from `timeout' at receipt; the absolute value
 * is there for logs and for clients that share the daemon's clock.
 *
 * Strictness: every field a type does not use must be zero, and the name
 * must be 1..31 bytes of [A-Za-z0-9._@:+-] (it appears verbatim in
 * key=value log lines, so no spaces, quotes or control bytes), followed by
 * NUL bytes only.  A decoder that is strict now lets a later version give
 * those bytes a meaning without old peers misreading them.
 *
 * Errors (enum hvvss_err):
 *	SHORT / LONG	packet shorter / longer than 64 bytes
 *	MSGTYPE		bad magic (not a notify message at all), or unknown
 *			type
 *	VERSION		version is not HVVSS_NOTIFY_VERSION
 *	OP		phase or status not valid for the type
 *	RESERVED	an unused field, the reserved word, or a byte after
 *			the name's NUL is not zero
 *	MISMATCH	the name is empty where required or has a byte
 *			outside the allowed set
 *	LONG		also: the name has no NUL within its 32 bytes
 *	INVAL		NULL argument (only from the caller, never the bytes)
 *	NOSPACE		encode buffer smaller than 64 bytes
 */
#ifndef HVVSS_NOTIFY_H
#define HVVSS_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "hvvss_err.h"

#define HVVSS_NOTIFY_MAGIC	0x544e5648u	/* "HVNT" on the wire */
#define HVVSS_NOTIFY_VERSION	1
#define HVVSS_NOTIFY_MSG_LEN	64
#define HVVSS_NOTIFY_NAME_MAX	31		/* bytes, without the NUL */
#define HVVSS_NOTIFY_PATH	"/run/hvvss/notify.sock"

enum hvvss_notify_type {
	HVVSS_NOTIFY_REGISTER = 1,	/* client: name */
	HVVSS_NOTIFY_WELCOME = 2,	/* daemon: status, name echoed */
	HVVSS_NOTIFY_EVENT = 3,		/* daemon: cycle, phase, deadline */
	HVVSS_NOTIFY_ACK = 4,		/* client: cycle, phase, status */
	HVVSS_NOTIFY_TYPE__MAX
};

enum hvvss_notify_phase {
	HVVSS_NOTIFY_NONE = 0,		/* REGISTER, WELCOME */
	HVVSS_NOTIFY_PREPARE = 1,	/* backup starting: get ready */
	HVVSS_NOTIFY_FREEZE = 2,	/* quiesce now; ack when quiet */
	HVVSS_NOTIFY_THAW = 3,		/* snapshot done: resume */
	HVVSS_NOTIFY_ABORT = 4,		/* cycle canceled: resume */
	HVVSS_NOTIFY_PHASE__MAX
};

enum hvvss_notify_status {
	HVVSS_NOTIFY_ST_OK = 0,		/* ACK, WELCOME: fine */
	HVVSS_NOTIFY_ST_FAIL = 1,	/* ACK: could not do it */
	HVVSS_NOTIFY_ST_DENIED = 2,	/* WELCOME: peer credentials refused */
	HVVSS_NOTIFY_ST_FULL = 3,	/* WELCOME: no free client slot */
	HVVSS_NOTIFY_ST_DUPLICATE = 4,	/* WELCOME: name already registered */
	HVVSS_NOTIFY_ST__MAX
};

struct hvvss_notify_msg {
	uint16_t	version;
	uint16_t	type;
	uint32_t	cycle;
	uint16_t	phase;
	uint16_t	status;
	uint64_t	deadline_ns;
	uint32_t	timeout_ms;
	char		name[HVVSS_NOTIFY_NAME_MAX + 1];
};

/*
 * Decode exactly one packet.  On any error the fields that could be read
 * are filled in (for logging), name is always NUL-terminated.
 */
int	hvvss_notify_decode(const uint8_t *, size_t, struct hvvss_notify_msg *);
/*
 * Encode into buf (cap >= 64): the message is checked by the same rules
 * as the decoder (version is written as HVVSS_NOTIFY_VERSION whatever the
 * struct says; the name is copied up to its NUL), so whatever encodes
 * decodes back to the same fields.
 */
int	hvvss_notify_encode(const struct hvvss_notify_msg *, uint8_t *, size_t);
/* Zeroed message of the given type and the current version. */
void	hvvss_notify_init(struct hvvss_notify_msg *, unsigned type);
/* HVVSS_OK if a C string is a valid client name, else MISMATCH/LONG/INVAL. */
int	hvvss_notify_name_check(const char *);

const char	*hvvss_notify_type_name(unsigned);
const char	*hvvss_notify_phase_name(unsigned);
const char	*hvvss_notify_status_name(unsigned);

#endif /* HVVSS_NOTIFY_H */
