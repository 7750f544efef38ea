/* fuzz-sources: */
/*
 * fuzz_notify.c: libFuzzer target for the application notification
 * messages (lib/notify.c).  A refusal must name a specific reason (never
 * INVAL, which is for callers) and leave a terminated name; an accepted
 * packet must be exactly 64 bytes, obey the per-type rules, and re-encode
 * to the same bytes, so no byte is ever silently ignored.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvvss_err.h"
#include "hvvss_notify.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvvss_notify_msg	m, d;
	uint8_t			enc[HVVSS_NOTIFY_MSG_LEN];
	int			e;

	e = hvvss_notify_decode(data, size, &m);
	CHECK(strcmp(hvvss_err_name(e), "unknown") != 0);
	CHECK(memchr(m.name, '\0', sizeof(m.name)) != NULL);
	if (e != HVVSS_OK) {
		CHECK(e != HVVSS_E_INVAL);
		/* What the decoder refuses, the encoder cannot produce. */
		if (size == HVVSS_NOTIFY_MSG_LEN && e != HVVSS_E_MSGTYPE &&
		    e != HVVSS_E_VERSION && e != HVVSS_E_LONG &&
		    hvvss_notify_encode(&m, enc, sizeof(enc)) == HVVSS_OK)
			CHECK(memcmp(enc, data, sizeof(enc)) != 0);
		return 0;
	}
	CHECK(size == HVVSS_NOTIFY_MSG_LEN);
	CHECK(m.version == HVVSS_NOTIFY_VERSION);
	CHECK(m.type >= HVVSS_NOTIFY_REGISTER && m.type <= HVVSS_NOTIFY_ACK);
	if (m.type == HVVSS_NOTIFY_REGISTER)
		CHECK(hvvss_notify_name_check(m.name) == HVVSS_OK);
	if (m.type == HVVSS_NOTIFY_EVENT || m.type == HVVSS_NOTIFY_ACK)
		CHECK(m.phase >= HVVSS_NOTIFY_PREPARE &&
		    m.phase <= HVVSS_NOTIFY_ABORT && m.name[0] == '\0');
	else
		CHECK(m.phase == HVVSS_NOTIFY_NONE && m.cycle == 0);
	CHECK(strcmp(hvvss_notify_type_name(m.type), "unknown") != 0);
	CHECK(strcmp(hvvss_notify_phase_name(m.phase), "unknown") != 0);
	CHECK(strcmp(hvvss_notify_status_name(m.status), "unknown") != 0);
	CHECK(hvvss_notify_encode(&m, enc, sizeof(enc)) == HVVSS_OK);
	CHECK(memcmp(enc, data, sizeof(enc)) == 0);
	CHECK(hvvss_notify_decode(enc, sizeof(enc), &d) == HVVSS_OK);
	CHECK(memcmp(&m, &d, sizeof(m)) == 0);
	return 0;
}
