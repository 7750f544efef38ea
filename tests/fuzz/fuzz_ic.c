/*
 * fuzz_ic.c: libFuzzer target for the pipe + IC header (lib/ic.c).
 * On success the header must be consistent, re-encode to the same 28
 * bytes, and the in-place reply must change only status and icflags.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvvss_err.h"
#include "hvvss_ic.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	copy[8 + HVVSS_IC_MAX_MSG + HVVSS_IC_MAX_PAD];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvvss_ichdr h;
	uint8_t	enc[HVVSS_ICMSG_HDR_LEN];
	size_t	end;
	int	e;

	e = hvvss_ic_decode(data, size, &h);
	CHECK(strcmp(hvvss_err_name(e), "unknown") != 0);
	if (e != HVVSS_OK) {
		CHECK(e != HVVSS_E_INVAL);
		return 0;
	}
	end = 8 + (size_t)h.pipe_len;
	CHECK(h.pipe_type == HVVSS_PIPE_DATA);
	CHECK(h.pipe_len <= HVVSS_IC_MAX_MSG);
	CHECK(end <= size && size - end <= HVVSS_IC_MAX_PAD);
	CHECK(28 + (size_t)h.size <= end);
	CHECK(hvvss_ic_encode(&h, enc, sizeof(enc)) == HVVSS_OK);
	CHECK(memcmp(enc, data, sizeof(enc)) == 0);
	e = hvvss_ic_check_request(&h);
	CHECK(e == HVVSS_OK || e == HVVSS_E_FLAGS);
	CHECK((e == HVVSS_OK) == (h.flags == 0x03));
	e = hvvss_ic_check_response(&h);
	CHECK((e == HVVSS_OK) == (h.flags == 0x05));
	memcpy(copy, data, size);
	CHECK(hvvss_ic_set_reply(copy, size, HVVSS_E_FAIL) == HVVSS_OK);
	CHECK(hvvss_ic_decode(copy, size, &h) == HVVSS_OK);
	CHECK(h.status == HVVSS_E_FAIL && h.flags == 0x05);
	CHECK(hvvss_ic_check_response(&h) == HVVSS_OK);
	CHECK(memcmp(copy, data, 20) == 0 && copy[24] == data[24]);
	CHECK(memcmp(copy + 26, data + 26, size - 26) == 0);
	(void)hvvss_ic_type_name(h.type);
	(void)hvvss_status_name(h.status);
	return 0;
}
