/*
 * fuzz_nego.c: libFuzzer target for version negotiation (lib/nego.c).
 * The input is tried as a host offer (decode, guest reply on a copy,
 * host check of that reply) and as a guest reply to a fixed offer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvvss_err.h"
#include "hvvss_ic.h"
#include "hvvss_nego.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	copy[8 + HVVSS_IC_MAX_MSG + HVVSS_IC_MAX_PAD];

static const struct hvvss_icver fw_pref[] = { { 3, 0 }, { 1, 0 } };
static const struct hvvss_icver vss_pref[] = { { 5, 0 }, { 4, 0 } };
static const struct hvvss_icver host_fw[] = { { 1, 0 }, { 3, 0 } };
static const struct hvvss_icver host_vss[] = { { 4, 0 }, { 5, 0 } };

static int
known(int e)
{
	return e >= HVVSS_OK && e < HVVSS_E__MAX && e != HVVSS_E_INVAL &&
	    strcmp(hvvss_err_name(e), "unknown") != 0;
}

static void
as_offer(const uint8_t *data, size_t size)
{
	struct hvvss_ichdr h;
	struct hvvss_nego n;
	struct hvvss_icver fw, msg;
	size_t	end;
	int	e;

	e = hvvss_nego_decode(data, size, &h, &n);
	CHECK(known(e));
	if (e != HVVSS_OK)
		return;
	end = 8 + (size_t)h.pipe_len;
	CHECK(n.fw_count >= 1 && n.fw_count <= HVVSS_NEGO_MAX_COUNT);
	CHECK(n.msg_count >= 1 && n.msg_count <= HVVSS_NEGO_MAX_COUNT);
	CHECK(36 + 4 * ((size_t)n.fw_count + n.msg_count) <= end);
	CHECK(end <= size && size <= sizeof(copy));
	memcpy(copy, data, size);
	e = hvvss_nego_guest_reply(copy, size, fw_pref, 2, vss_pref, 2, &fw,
	    &msg);
	if (e == HVVSS_E_FLAGS) {
		CHECK(memcmp(copy, data, size) == 0);
		return;
	}
	CHECK(e == HVVSS_OK || e == HVVSS_E_NOVERSION);
	CHECK(copy[25] == 0x05 && hvvss_le16(copy + 18) == 16);
	CHECK(memcmp(copy + 44, data + 44, size - 44) == 0);
	if (e == HVVSS_E_NOVERSION) {
		CHECK(hvvss_le16(copy + 28) == 0 && hvvss_le16(copy + 30) == 0);
		CHECK(hvvss_nego_host_check(data, size, copy, size, NULL,
		    NULL) == HVVSS_E_NOVERSION);
		return;
	}
	CHECK(msg.major == 5 && msg.minor == 0);	/* never 4.0 */
	CHECK(hvvss_nego_host_check(data, size, copy, size, &fw, &msg) ==
	    HVVSS_OK);
}

static void
as_reply(const uint8_t *data, size_t size)
{
	static uint8_t offer[52];
	static int len;
	struct hvvss_icver fw = { 0, 0 }, msg = { 0, 0 };
	int	e;

	if (len == 0)
		len = hvvss_nego_host_offer(offer, sizeof(offer), 7, host_fw, 2,
		    host_vss, 2);
	CHECK(len == 52);
	e = hvvss_nego_host_check(offer, (size_t)len, data, size, &fw, &msg);
	CHECK(known(e));
	if (e != HVVSS_OK)
		return;
	CHECK(size == 52 && data[25] == 0x05 && data[24] == 7);
	CHECK(hvvss_le16(data + 28) == 1 && hvvss_le16(data + 30) == 1);
	CHECK((fw.major == 1 || fw.major == 3) && fw.minor == 0);
	CHECK((msg.major == 4 || msg.major == 5) && msg.minor == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_offer(data, size);
	as_reply(data, size);
	return 0;
}
