/*
 * hvvss_err.h: the one error vocabulary of libhvvss.
 *
 * Every decoder in libhvvss returns HVVSS_OK or one specific reason why the
 * bytes were refused, so that a log line can say exactly what was wrong with
 * a packet.  hvvss_err_name() gives the stable lower-case name used in logs
 * ("short", "pipe-len", ...).
 */
#ifndef HVVSS_ERR_H
#define HVVSS_ERR_H

enum hvvss_err {
	HVVSS_OK = 0,
	HVVSS_E_SHORT,		/* fewer bytes than the fixed part needs */
	HVVSS_E_LONG,		/* more bytes than the message may have */
	HVVSS_E_PIPE_TYPE,	/* pipe header type is not DATA (1) */
	HVVSS_E_PIPE_LEN,	/* pipe msgsize disagrees with the buffer */
	HVVSS_E_IC_SIZE,	/* icmsgsize runs past the pipe payload */
	HVVSS_E_MSGTYPE,	/* IC message type not the one expected */
	HVVSS_E_FLAGS,		/* icflags wrong for the direction */
	HVVSS_E_XID,		/* transaction id does not match */
	HVVSS_E_COUNT,		/* a version or LUN count is 0 or too big */
	HVVSS_E_NOVERSION,	/* no acceptable version in the offer */
	HVVSS_E_VERSION,	/* reply chose a version that was not offered */
	HVVSS_E_OP,		/* operation code unknown or not allowed here */
	HVVSS_E_RESERVED,	/* a reserved field is not zero */
	HVVSS_E_MISMATCH,	/* reply differs from its request where it must not */
	HVVSS_E_NOSPACE,	/* output buffer too small */
	HVVSS_E_INVAL,		/* bad argument from the caller */
	HVVSS_E__MAX
};

const char	*hvvss_err_name(int);

#endif /* HVVSS_ERR_H */
