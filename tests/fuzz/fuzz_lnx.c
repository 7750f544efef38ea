/*
 * fuzz_lnx.c: libFuzzer target for the Linux kernel <-> daemon messages
 * (lib/lnx.c): all three decoders, and the daemon's answer on success.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvvss_err.h"
#include "hvvss_ic.h"
#include "hvvss_lnx.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
known(int e)
{
	return e >= HVVSS_OK && e < HVVSS_E__MAX && e != HVVSS_E_INVAL &&
	    strcmp(hvvss_err_name(e), "unknown") != 0;
}

static void
request(const uint8_t *data, size_t size)
{
	uint8_t	op = 0xee, rep[HVVSS_LNX_MSG_LEN];
	uint32_t st;
	size_t	i;
	int	e, kind;

	e = hvvss_lnx_decode_request(data, size, &op);
	CHECK(known(e));
	if (size != HVVSS_LNX_MSG_LEN) {
		CHECK(e == HVVSS_E_SHORT || e == HVVSS_E_LONG);
		CHECK(op == 0);
		return;
	}
	CHECK(op == data[0]);
	if (e != HVVSS_OK)
		return;
	CHECK(op == 2 || op == 5 || op == 6);
	for (i = 1; i < HVVSS_LNX_MSG_LEN; i++)
		CHECK(data[i] == 0);
	hvvss_lnx_encode_reply(rep, HVVSS_E_FAIL);
	CHECK(hvvss_lnx_decode_daemon(rep, sizeof(rep), &kind, &st) ==
	    HVVSS_OK);
	CHECK(kind == HVVSS_LNX_REPLY && st == HVVSS_E_FAIL);
}

static void
daemon_msg(const uint8_t *data, size_t size)
{
	uint32_t st = 1;
	int	e, kind = -1;

	e = hvvss_lnx_decode_daemon(data, size, &kind, &st);
	CHECK(known(e));
	CHECK((e == HVVSS_OK) == (size == HVVSS_LNX_MSG_LEN));
	if (e != HVVSS_OK)
		return;
	if (data[0] == 128 || data[0] == 129)
		CHECK(kind != HVVSS_LNX_REPLY && st == 0);
	else
		CHECK(kind == HVVSS_LNX_REPLY && st == hvvss_le32(data));
}

static void
reg_reply(const uint8_t *data, size_t size)
{
	uint32_t v = 1;
	int	e;

	e = hvvss_lnx_decode_register_reply(data, size, &v);
	CHECK(known(e));
	if (size != HVVSS_LNX_REG_REPLY_LEN) {
		CHECK(e == HVVSS_E_SHORT || e == HVVSS_E_LONG);
		return;
	}
	CHECK(v == hvvss_le32(data));
	CHECK((e == HVVSS_OK) == (v == HVVSS_LNX_VERSION));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	request(data, size);
	daemon_msg(data, size);
	reg_reply(data, size);
	return 0;
}
