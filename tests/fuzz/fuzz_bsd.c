/*
 * fuzz_bsd.c: libFuzzer target for FreeBSD's hv_vss_opt_msg (lib/bsd.c).
 * A decoded message must re-encode to the same 64 bytes, and the
 * op <-> opt mapping must round-trip.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvvss_bsd.h"
#include "hvvss_err.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvvss_bsd_msg m;
	uint8_t	enc[HVVSS_BSD_MSG_LEN];
	int	e, op;

	e = hvvss_bsd_decode(data, size, &m);
	CHECK(e >= HVVSS_OK && e < HVVSS_E__MAX && e != HVVSS_E_INVAL);
	CHECK(strcmp(hvvss_err_name(e), "unknown") != 0);
	if (size != HVVSS_BSD_MSG_LEN) {
		CHECK(e == HVVSS_E_SHORT || e == HVVSS_E_LONG);
		return 0;
	}
	(void)hvvss_bsd_opt_name(m.opt);
	if (e == HVVSS_E_OP) {
		CHECK(m.opt > HVVSS_BSD_THAW);
		return 0;
	}
	if (e != HVVSS_OK)
		return 0;
	CHECK(m.opt <= HVVSS_BSD_THAW);
	hvvss_bsd_encode(&m, enc);
	CHECK(memcmp(enc, data, sizeof(enc)) == 0);
	op = hvvss_bsd_op_from_opt(m.opt);
	CHECK(m.opt == HVVSS_BSD_NONE ? op == -1 :
	    hvvss_bsd_opt_from_op((unsigned)op) == (int)m.opt);
	return 0;
}
