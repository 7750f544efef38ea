/*
 * fuzz_vss.c: libFuzzer target for VSS messages (lib/vss.c).  The input
 * is decoded as a host request (then every LUN read, the reply built on
 * a copy and checked as the host would) and checked as a reply to a
 * fixed HOT_BACKUP request.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvvss_err.h"
#include "hvvss_ic.h"
#include "hvvss_vss.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	copy[8 + HVVSS_IC_MAX_MSG + HVVSS_IC_MAX_PAD];

static int
known(int e)
{
	return e >= HVVSS_OK && e < HVVSS_E__MAX && e != HVVSS_E_INVAL &&
	    strcmp(hvvss_err_name(e), "unknown") != 0;
}

static void
as_request(const uint8_t *data, size_t size)
{
	struct hvvss_ichdr h;
	struct hvvss_vss_req r;
	struct hvvss_lun l;
	uint32_t i, st, fl;
	size_t	end;
	int	e;

	e = hvvss_vss_decode(data, size, &h, &r);
	CHECK(known(e));
	if (e != HVVSS_OK && e != HVVSS_E_OP) {
		CHECK(!r.has_luns && r.lun_count == 0);
		return;
	}
	end = 8 + (size_t)h.pipe_len;
	CHECK(h.type == HVVSS_ICMSG_VSS && end >= 40 && end <= size);
	CHECK(r.op == data[28]);
	CHECK(e == HVVSS_E_OP || r.op <= HVVSS_OP_AUTO_RECOVER);
	if (r.has_luns) {
		CHECK(r.op == HVVSS_OP_FREEZE || r.op == HVVSS_OP_AUTO_RECOVER);
		CHECK(r.lun_count <= HVVSS_VSS_MAX_LUNS && r.lun_off == 48);
		CHECK(r.lun_off + 24 * (size_t)r.lun_count <= end);
		for (i = 0; i < r.lun_count; i++)
			CHECK(hvvss_vss_lun(data, size, &r, i, &l) == HVVSS_OK);
	} else
		CHECK(r.lun_count == 0);
	CHECK(hvvss_vss_lun(data, size, &r, r.lun_count, &l) == HVVSS_E_INVAL);
	memcpy(copy, data, size);
	CHECK(hvvss_vss_reply(copy, size, HVVSS_S_OK) == HVVSS_OK);
	CHECK(copy[25] == 0x05 && hvvss_le32(copy + 20) == 0);
	if (r.op == HVVSS_OP_HOT_BACKUP)
		CHECK(hvvss_le32(copy + 36) == HVVSS_HBU_NO_AUTO_RECOVERY);
	else if (r.op == HVVSS_OP_GET_DM_INFO)
		CHECK(hvvss_le32(copy + 36) == 0);
	else
		CHECK(memcmp(copy + 36, data + 36, size - 36) == 0);
	CHECK(hvvss_vss_check_reply(data, size, copy, size, &st, &fl) ==
	    HVVSS_OK);
	CHECK(st == 0);
}

static void
as_reply(const uint8_t *data, size_t size)
{
	static uint8_t req[60];
	static int len;
	uint32_t st = 0, fl = 0;
	int	e;

	if (len == 0)
		len = hvvss_vss_build(req, sizeof(req), HVVSS_OP_HOT_BACKUP,
		    0x2a, 0, NULL, 0);
	CHECK(len == 60);
	e = hvvss_vss_check_reply(req, (size_t)len, data, size, &st, &fl);
	CHECK(known(e));
	if (e != HVVSS_OK)
		return;
	CHECK(size == 60 && memcmp(data, req, 18) == 0);
	CHECK(data[24] == 0x2a && data[25] == 0x05 && data[28] == 2);
	CHECK(st == hvvss_le32(data + 20) && fl == hvvss_le32(data + 36));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_request(data, size);
	as_reply(data, size);
	(void)hvvss_op_name(size > 28 ? data[28] : 0);
	return 0;
}
