/*
 * hvvss_ic.h: VMBus pipe header + IC message header (protocol.md section 1).
 *
 * All integers on the wire are little-endian.  A packet is
 *	pipe header (8) | IC header (20) | body (icmsgsize bytes) | padding
 * The decoder copies the fields into a host-order struct; no pointer into the
 * buffer is kept and nothing is allocated.
 */
#ifndef HVVSS_IC_H
#define HVVSS_IC_H

#include <stddef.h>
#include <stdint.h>

#include "hvvss_err.h"

#define HVVSS_PIPE_HDR_LEN	8	/* section 1.3 */
#define HVVSS_IC_HDR_LEN	20	/* section 1.4 */
#define HVVSS_ICMSG_HDR_LEN	28	/* pipe + IC; VSS body starts here */
#define HVVSS_IC_MAX_MSG	13312	/* section 1.1, IC_MAXIMUM_MESSAGE_SIZE */
/*
 * VMBus packets are 8-byte aligned, so a received payload may carry up to 7
 * bytes of padding past 8 + pipe msgsize (section 1.2).  More is refused.
 */
#define HVVSS_IC_MAX_PAD	7

#define HVVSS_PIPE_DATA		1	/* section 1.3: the only type in use */

/* IC message types, section 1.5. */
enum hvvss_ic_type {
	HVVSS_ICMSG_NEGOTIATE = 0,
	HVVSS_ICMSG_HEARTBEAT = 1,
	HVVSS_ICMSG_KVP = 2,
	HVVSS_ICMSG_SHUTDOWN = 3,
	HVVSS_ICMSG_TIMESYNC = 4,
	HVVSS_ICMSG_VSS = 5,
	HVVSS_ICMSG_RDV = 6,
	HVVSS_ICMSG_FCOPY = 7,
	HVVSS_ICMSG_VM_SESSION = 8
};

/* icflags, section 1.6. */
#define HVVSS_ICF_TRANSACTION	0x01
#define HVVSS_ICF_REQUEST	0x02
#define HVVSS_ICF_RESPONSE	0x04
#define HVVSS_ICF_REQ_BITS	(HVVSS_ICF_TRANSACTION | HVVSS_ICF_REQUEST)  /* 0x03 */
#define HVVSS_ICF_RESP_BITS	(HVVSS_ICF_TRANSACTION | HVVSS_ICF_RESPONSE) /* 0x05 */

/* Status values, section 1.7. */
#define HVVSS_S_OK			0x00000000u
#define HVVSS_E_FAIL			0x80004005u
#define HVVSS_E_NOT_SUPPORTED		0x80070032u

struct hvvss_icver {
	uint16_t	major;
	uint16_t	minor;
};

struct hvvss_ichdr {
	uint32_t		pipe_type;	/* abs 0 */
	uint32_t		pipe_len;	/* abs 4: bytes after the pipe header */
	struct hvvss_icver	fw;		/* abs 8 */
	uint16_t		type;		/* abs 12 */
	struct hvvss_icver	msgver;		/* abs 14 */
	uint16_t		size;		/* abs 18: body bytes after abs 28 */
	uint32_t		status;		/* abs 20 */
	uint8_t			xid;		/* abs 24 */
	uint8_t			flags;		/* abs 25 */
	uint16_t		reserved;	/* abs 26 */
};

/*
 * Decode the 28-byte header and check every length against the buffer:
 * len >= 28; pipe_type == DATA; 8 + pipe_len <= len <= 8 + pipe_len + 7;
 * pipe_len <= HVVSS_IC_MAX_MSG; 28 + size <= 8 + pipe_len.
 * Flags are not judged here (see the two checks below).
 */
int	hvvss_ic_decode(const uint8_t *, size_t, struct hvvss_ichdr *);
/* Write the 28 header bytes; needs cap >= 28. */
int	hvvss_ic_encode(const struct hvvss_ichdr *, uint8_t *, size_t);
/* A host request carries TRANSACTION|REQUEST, not RESPONSE, no reserved bit. */
int	hvvss_ic_check_request(const struct hvvss_ichdr *);
/* A guest reply carries exactly TRANSACTION|RESPONSE (0x05). */
int	hvvss_ic_check_response(const struct hvvss_ichdr *);
/*
 * Turn a received request, in place, into its reply header (section 1.9):
 * status set, icflags = 0x05; everything else untouched.  len >= 28.
 */
int	hvvss_ic_set_reply(uint8_t *, size_t, uint32_t status);

const char	*hvvss_ic_type_name(unsigned);
/* 1.7 name ("S_OK", "E_FAIL", ...); "unknown" otherwise: print the hex. */
const char	*hvvss_status_name(uint32_t);

/* Little-endian access helpers, shared by the other lib modules. */
uint16_t	hvvss_le16(const uint8_t *);
uint32_t	hvvss_le32(const uint8_t *);
uint64_t	hvvss_le64(const uint8_t *);
void		hvvss_put16(uint8_t *, uint16_t);
void		hvvss_put32(uint8_t *, uint32_t);
void		hvvss_put64(uint8_t *, uint64_t);

#endif /* HVVSS_IC_H */
