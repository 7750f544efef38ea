/*
 * err.c: names for enum hvvss_err, as printed in log lines.
 */
#include <stddef.h>

#include "hvvss_err.h"

/* Indexed by enum hvvss_err; the names are part of the log format. */
static const char *const err_names[HVVSS_E__MAX] = {
	[HVVSS_OK] = "ok",
	[HVVSS_E_SHORT] = "short",
	[HVVSS_E_LONG] = "long",
	[HVVSS_E_PIPE_TYPE] = "pipe-type",
	[HVVSS_E_PIPE_LEN] = "pipe-len",
	[HVVSS_E_IC_SIZE] = "ic-size",
	[HVVSS_E_MSGTYPE] = "msgtype",
	[HVVSS_E_FLAGS] = "flags",
	[HVVSS_E_XID] = "xid",
	[HVVSS_E_COUNT] = "count",
	[HVVSS_E_NOVERSION] = "noversion",
	[HVVSS_E_VERSION] = "version",
	[HVVSS_E_OP] = "op",
	[HVVSS_E_RESERVED] = "reserved",
	[HVVSS_E_MISMATCH] = "mismatch",
	[HVVSS_E_NOSPACE] = "nospace",
	[HVVSS_E_INVAL] = "inval",
};

const char *
hvvss_err_name(int e)
{
	if (e < 0 || e >= HVVSS_E__MAX || err_names[e] == NULL)
		return "unknown";
	return err_names[e];
}
