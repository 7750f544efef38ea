/*
 * hvvss_nego.h: IC version negotiation, both roles (protocol.md section 2).
 *
 * Body at abs 28: fw count u16, msg count u16, reserved u32, then
 * fw count + msg count versions of {u16 major, u16 minor}.
 */
#ifndef HVVSS_NEGO_H
#define HVVSS_NEGO_H

#include <stddef.h>
#include <stdint.h>

#include "hvvss_ic.h"

#define HVVSS_NEGO_BODY_FIXED	8	/* counts + reserved */
#define HVVSS_NEGO_MAX_COUNT	100	/* IC_VERSION_NEGOTIATION_MAX_VER_COUNT */
#define HVVSS_NEGO_REPLY_SIZE	16	/* icmsgsize of a successful reply, 2.5 */
#define HVVSS_NEGO_REPLY_LEN	44	/* 28 + 8 + 2 * 4 */

/* What we accept: framework 3.0 and VSS 5.0 only (2.3, 3.4). */
#define HVVSS_FW_MAJOR		3
#define HVVSS_FW_MINOR		0
#define HVVSS_VSS_MAJOR		5
#define HVVSS_VSS_MINOR		0

/* A decoded offer (or reply); versions copied out, at most MAX_COUNT each. */
struct hvvss_nego {
	uint16_t		fw_count;
	uint16_t		msg_count;
	struct hvvss_icver	fw[HVVSS_NEGO_MAX_COUNT];
	struct hvvss_icver	msg[HVVSS_NEGO_MAX_COUNT];
};

/*
 * Decode a NEGOTIATE packet (either direction): header as hvvss_ic_decode,
 * type NEGOTIATE, body holds the fixed part and every announced version
 * (28 + 8 + 4 * (fw + msg) <= 8 + pipe_len), each count 1..100.
 */
int	hvvss_nego_decode(const uint8_t *, size_t, struct hvvss_ichdr *,
	    struct hvvss_nego *);

/*
 * Guest role.  Pick, for each list, the first entry of our preference list
 * that the host offers exactly (Linux's rule, 2.4); a message version below
 * 5.0 is never chosen whatever the preference list says.  The packet is
 * rewritten in place into the reply of 2.5 (same length, flags 0x05,
 * icmsgsize 16, counts 1/1, slots 0 and 1, status S_OK).  When nothing fits,
 * the reply has counts 0/0, both slots zero, status E_FAIL, and
 * HVVSS_E_NOVERSION is returned.  A malformed request returns its decode
 * error and leaves the buffer untouched; so does one whose icflags are not
 * a host request's (hvvss_ic_check_request: E_FLAGS).  fw_out and msg_out
 * may be NULL; they get {0, 0} when nothing fits.
 */
int	hvvss_nego_guest_reply(uint8_t *, size_t,
	    const struct hvvss_icver *fw_pref, size_t nfw,
	    const struct hvvss_icver *msg_pref, size_t nmsg,
	    struct hvvss_icver *fw_out, struct hvvss_icver *msg_out);

/*
 * Host role: build an offer with the given lists (each 1..100 entries) and
 * transaction id; flags 0x03, pipe type DATA, fw header 3.0 (msgver
 * header = first msg offered).  Returns the packet length or -1 (cap).
 */
int	hvvss_nego_host_offer(uint8_t *, size_t, uint8_t xid,
	    const struct hvvss_icver *fw, size_t nfw,
	    const struct hvvss_icver *msg, size_t nmsg);

/*
 * Host role: check a guest's reply against the offer that was sent.
 * Flags must be 0x05, xid equal, counts exactly 1/1, status S_OK, and the
 * chosen versions must be among those offered; otherwise the specific error.
 * No acceptable version (counts 0) gives HVVSS_E_NOVERSION.
 */
int	hvvss_nego_host_check(const uint8_t *offer, size_t offer_len,
	    const uint8_t *reply, size_t reply_len,
	    struct hvvss_icver *fw_out, struct hvvss_icver *msg_out);

#endif /* HVVSS_NEGO_H */
