/*
 * hvvss_client.h: client library for the hvvss application notification
 * socket (hvvss_client(3)).
 *
 * A service that wants to quiesce around hv_vss_daemon's filesystem freeze
 * connects under a name, puts hvvss_client_fd() in its own poll loop, and
 * for every event read with hvvss_client_read() does what the phase asks
 * and acknowledges with hvvss_client_ack() before the event's deadline:
 *	prepare  a backup is coming: get ready (flush, finish checkpoints)
 *	freeze   quiesce now (filesystems freeze after every ack or the
 *	         deadline); hold still until thaw or abort
 *	thaw     the snapshot is taken: resume
 *	abort    the cycle was canceled: resume
 * Every client that was sent prepare or freeze is later sent exactly one
 * thaw or abort.  If the daemon goes away (read or ack fails), resume as
 * on abort: the daemon's own guardian thaws the filesystems.
 *
 * Link with -lhvvss-client -lhvvss.  No global state, no signals, no
 * threads: one handle may be used by one thread at a time; different
 * handles are independent.  The descriptor is non-blocking and
 * close-on-exec.
 */
#ifndef HVVSS_CLIENT_H
#define HVVSS_CLIENT_H

#include <stdint.h>

#include "hvvss_notify.h"

#define HVVSS_CLIENT_PATH	HVVSS_NOTIFY_PATH

struct hvvss_client;

struct hvvss_client_event {
	uint32_t	cycle;		/* the daemon's backup cycle id */
	unsigned	phase;		/* HVVSS_NOTIFY_PREPARE .. _ABORT */
	uint32_t	timeout_ms;	/* time left when the daemon sent it */
	uint64_t	deadline_ns;	/* our CLOCK_MONOTONIC: receipt + timeout */
	uint64_t	daemon_deadline_ns; /* as sent, on the daemon's clock */
};

/*
 * Connect to path (NULL: HVVSS_CLIENT_PATH) and register under name
 * (1..31 of [A-Za-z0-9._@:+-]).  timeout_ms > 0: wait that long for the
 * daemon's answer; < 0: wait without limit; 0: do not wait (the answer is
 * consumed by a later hvvss_client_read).  0 or -1 with errno: EINVAL
 * (name), the connect(2) errors (ENOENT, ECONNREFUSED: no daemon), EACCES
 * (credentials refused), EEXIST (name taken), EUSERS (daemon full),
 * ETIMEDOUT, ECONNRESET, EPROTO (not a daemon we understand).
 */
int		hvvss_client_open(struct hvvss_client **, const char *path,
		    const char *name, int timeout_ms);
int		hvvss_client_fd(const struct hvvss_client *);
/* 1 once the daemon accepted the registration. */
int		hvvss_client_registered(const struct hvvss_client *);
/*
 * Read what is pending without blocking: 1 and *ev filled for an event;
 * 0 if there is none (also after consuming the registration answer);
 * -1 with errno ECONNRESET (daemon gone), EPROTO, or a refusal errno as
 * for hvvss_client_open.  After -1 only hvvss_client_close is useful.
 */
int		hvvss_client_read(struct hvvss_client *,
		    struct hvvss_client_event *);
/*
 * As hvvss_client_read, but wait up to timeout_ms (< 0: forever) for an
 * event; also returns 0 at once when the registration answer arrives.
 */
int		hvvss_client_wait(struct hvvss_client *,
		    struct hvvss_client_event *, int timeout_ms);
/*
 * Acknowledge an event: ok non-zero for done, 0 for failed (the daemon's
 * policy then fails the backup or continues crash-consistent).  0, or -1
 * with errno (EAGAIN: the daemon is not reading; ECONNRESET, EPIPE).
 */
int		hvvss_client_ack(struct hvvss_client *,
		    const struct hvvss_client_event *, int ok);
/* Close and free; NULL is fine.  The daemon counts an unanswered phase
 * of a closed client as "gone". */
void		hvvss_client_close(struct hvvss_client *);
/* "prepare", "freeze", "thaw", "abort"; "unknown" otherwise. */
const char	*hvvss_client_phase_name(unsigned);

#endif /* HVVSS_CLIENT_H */
