/*
 * notify.h: the application notification socket (prior-art.md A4, B4
 * items 28 and 30, D7): long-running services register on a local
 * SOCK_SEQPACKET socket and are told prepare / freeze / thaw / abort with
 * a deadline, which they must acknowledge.  Nothing like it exists for
 * Hyper-V guests on Linux, and FreeBSD's /dev/hv_appvss_dev takes one
 * application only; this takes NOTIFY_MAX_CLIENTS.
 *
 * Wire format: lib/hvvss_notify.h.  Client side: client/hvvss_client.h.
 *
 * Who may connect: the peer's SO_PEERCRED uid must be 0 or the one
 * allowed_uid given to notify_open (0: root only).  Others get a WELCOME
 * with status "denied" and are closed, logged.  The socket file is mode
 * 0600 (owned by allowed_uid if set) in a directory created 0700 (o+x added
 * if allowed_uid is set, so that user can reach the socket); the file modes
 * are the first fence, the credential check the one that counts.
 *
 * A client must REGISTER within NOTIFY_REG_NS of connecting, else it is
 * dropped, so silent connections cannot pin the bounded slots.  Names are
 * unique among live clients.
 *
 * A phase: notify_broadcast() sends one EVENT to each target client and
 * later calls done(arg, result), from the loop and never from within
 * notify_broadcast, exactly once, when every target has answered or the
 * deadline has passed.  Per client (enum notify_cres): ack, fail (acked
 * with failure), timeout, gone (disconnected or broke the protocol during
 * the phase), send-fail (the event could not be sent without blocking:
 * the client is dropped, it would be out of step).  A late ack is ignored.
 * result: NOTIFY_OK if every target acked ok (or there was none), else
 * NOTIFY_FAILED under NOTIFY_POLICY_FAIL and NOTIFY_DEGRADED under
 * NOTIFY_POLICY_CONTINUE (the default: an application that refuses should
 * degrade the backup to crash-consistent, not fail it, B4 item 28).
 *
 * Pairing (the rule hooks follow, D6): every client that was sent PREPARE
 * or FREEZE is sent exactly one THAW or ABORT later.
 *	PREPARE, FREEZE  go to every registered client;
 *	THAW             goes to the clients that got FREEZE; a client that
 *	                 got only PREPARE gets ABORT in the same broadcast;
 *	ABORT            goes to every client that got PREPARE or FREEZE.
 * A client that registers while frozen got no FREEZE and gets no THAW.  A
 * client that disconnects owing a THAW is logged and forgotten.  PREPARE
 * or FREEZE is refused (EBUSY) while a client still owes a THAW; a
 * PREPARE over an earlier PREPARE that never reached FREEZE is allowed.
 *
 * Never blocks: every socket is non-blocking.  Allocates nothing at all:
 * the client table is part of struct notify, so freeze and thaw cannot
 * fail for memory.  Logs only through log.h (held in memory while frozen).
 * Uses ev timers NOTIFY_TIMER and NOTIFY_REG_TIMER and 1 + clients I/O
 * slots (EV_MAX_IO).
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "hvvss_notify.h"

struct ev;

#define NOTIFY_MAX_CLIENTS	64
#define NOTIFY_TIMER		2	/* phase deadline, deferred done */
#define NOTIFY_REG_TIMER	3	/* unregistered clients' limit */
#define NOTIFY_REG_NS		5000000000ull
#define NOTIFY_BACKLOG		16

enum notify_policy {
	NOTIFY_POLICY_FAIL,	/* a client not acking ok fails the phase */
	NOTIFY_POLICY_CONTINUE	/* logged; crash-consistent (the default) */
};

enum notify_result {
	NOTIFY_OK,
	NOTIFY_DEGRADED,	/* failures, policy continue */
	NOTIFY_FAILED,		/* failures, policy fail */
	NOTIFY__MAX
};

/* One client's answer in the current or last phase. */
enum notify_cres {
	NOTIFY_CR_NONE,		/* not a target of the phase */
	NOTIFY_CR_PENDING,
	NOTIFY_CR_ACK,
	NOTIFY_CR_FAIL,
	NOTIFY_CR_TIMEOUT,
	NOTIFY_CR_GONE,
	NOTIFY_CR_SENDFAIL,
	NOTIFY_CR__MAX
};

/* What a client is owed, by the pairing rule. */
#define NOTIFY_OWES_ABORT	0x1	/* got PREPARE or FREEZE */
#define NOTIFY_OWES_THAW	0x2	/* got FREEZE */

struct notify;

struct notify_client {
	struct notify	*n;
	int		 fd;		/* -1: free slot */
	int		 registered;
	pid_t		 pid;		/* SO_PEERCRED, for logs */
	uid_t		 uid;
	uint64_t	 since;		/* accepted, CLOCK_MONOTONIC */
	unsigned	 owes;		/* NOTIFY_OWES_* */
	unsigned	 sent_phase;	/* phase of the last EVENT sent */
	uint64_t	 sent_at;
	enum notify_cres res;
	char		 name[HVVSS_NOTIFY_NAME_MAX + 1];
};

typedef void	(*notify_done_fn)(void *, enum notify_result);

struct notify {
	struct ev	*ev;
	int		 lfd;		/* -1 */
	char		 path[108];	/* sun_path */
	dev_t		 dev;		/* the socket file we bound, so */
	ino_t		 ino;		/* close unlinks only our own */
	uid_t		 allowed_uid;
	enum notify_policy policy;
	struct notify_client c[NOTIFY_MAX_CLIENTS];
	/* The phase in progress (busy) or the last one. */
	int		 busy;
	unsigned	 phase;
	uint32_t	 cycle;
	uint64_t	 deadline;
	uint64_t	 started;
	notify_done_fn	 done;
	void		*arg;
	size_t		 npending;
	size_t		 ntarget, nack, nfail, ntimeout, ngone, nsendfail;
	enum notify_result result;
};

/*
 * Empty, closed, policy continue, bound to the loop: notify_broadcast and
 * notify_close work from here on, open or not.
 */
void		notify_init(struct notify *, struct ev *);
/*
 * Create the socket (path NULL: HVVSS_NOTIFY_PATH) and start accepting.
 * A stale socket file is replaced; a live one (a daemon answers) or a
 * non-socket at path is refused (EADDRINUSE, EEXIST).  -1 with errno,
 * logged; nothing left open.
 */
int		notify_open(struct notify *, const char *path,
		    uid_t allowed_uid);
void		notify_set_policy(struct notify *, enum notify_policy);
/*
 * Start a phase (HVVSS_NOTIFY_PREPARE .. ABORT) for the cycle id, each
 * client having until deadline_ns (CLOCK_MONOTONIC) to ack.  Works on a
 * notify that is not open (no clients: done(OK) on the next loop turn).
 * -1 with errno EBUSY (a phase in progress, or PREPARE/FREEZE while a
 * client owes a THAW) or EINVAL (phase).
 */
int		notify_broadcast(struct notify *, unsigned phase, uint32_t cycle,
		    uint64_t deadline_ns, notify_done_fn, void *arg);
/* Drop the phase in progress without a callback; pairing is kept. */
void		notify_cancel(struct notify *);
int		notify_busy(const struct notify *);
/* Registered clients. */
size_t		notify_clients(const struct notify *);
/* Clients owing a THAW (NOTIFY_OWES_THAW) or any undo (ABORT). */
size_t		notify_owed(const struct notify *, unsigned owes);
/* Close every client and the socket, unlink it if still ours. */
void		notify_close(struct notify *);

const char	*notify_result_name(int);
const char	*notify_cres_name(int);
const char	*notify_policy_name(int);

#endif /* NOTIFY_H */
