/*
 * control.h: the daemon's control socket, for hvvssctl(8).
 *
 * A root-only SOCK_SEQPACKET socket (CONTROL_PATH, mode 0600 in a 0700
 * directory; the peer's SO_PEERCRED uid must be 0).  One request per
 * connection: the client sends one packet, a tiny text command, and gets
 * one packet back, after which the daemon closes the connection.
 *
 *	status [json]		state, transport, what is frozen, since when
 *	history [N] [json]	the last N cycles (1..HISTORY_MAX; default
 *				CONTROL_HISTORY_DEFAULT), newest first
 *	thaw [json]		emergency thaw of what the daemon froze
 *
 * Words are lower case, separated by one space; nothing else is accepted
 * (no NUL, no newline, no leading zero, at most CONTROL_REQ_MAX bytes):
 * control_parse() is pure and strict, and control_format() writes the one
 * canonical spelling that it accepts.  `plan' is not served: planning
 * allocates and reads the mount table, so hvvssctl plans by itself.
 *
 * The reply: a first line "hvvss-control 1 ok|fail|error\n" (fail: the
 * command ran and failed, as a thaw that left something frozen; error: the
 * request was refused), then the body, human text or one JSON object.  A
 * reply is at most CONTROL_REPLY_MAX bytes (less if the socket buffer is
 * smaller); what does not fit is left out at a record boundary and the
 * body says so ("truncated": true), so JSON stays well-formed.  Strings in
 * JSON are escaped per RFC 8259; a byte that is not valid UTF-8 (mount
 * points may hold any byte) is written as the lone surrogate \udcXX, the
 * lossless "surrogateescape" convention.  Text escapes space, backslash,
 * control characters and invalid UTF-8 as \ooo, like mountinfo.
 *
 * Never blocks, never allocates: the clients, the request and the reply
 * buffer are part of struct control.  Uses no timer: a client that never
 * sends is evicted, oldest first, when CONTROL_MAX_CLIENTS others connect;
 * a client whose reply cannot be queued at once is dropped.  I/O slots:
 * 1 + CONTROL_MAX_CLIENTS.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct ev;
struct frz;
struct history;
struct mi_table;
struct plan;

#define CONTROL_PATH		"/run/hvvss/control.sock"
#define CONTROL_MAX_CLIENTS	4
#define CONTROL_REQ_MAX		64
#define CONTROL_REPLY_MAX	(128 * 1024)
#define CONTROL_STATUS_MOUNTS	64
#define CONTROL_HISTORY_DEFAULT	10
#define CONTROL_MAGIC		"hvvss-control 1"

enum control_cmd {
	CC_STATUS,
	CC_HISTORY,
	CC_THAW,
	CC__MAX
};

struct control_req {
	enum control_cmd cmd;
	int		 json;
	unsigned	 n;		/* history: cycles wanted */
};

enum control_result {
	CR_OK,
	CR_FAIL,		/* ran and failed (thaw: still frozen) */
	CR_ERROR,		/* refused: bad request, denied */
	CR__MAX
};

/*
 * What the daemon says about itself, filled by ops->status.  The strings
 * need only live until the callback's caller has rendered them (the same
 * loop turn).
 */
struct control_status {
	pid_t		 daemon_pid;	/* filled by control.c */
	const char	*state;		/* "REGISTERING", "IDLE", ... */
	const char	*transport;	/* xport_kind_name() */
	const char	*device;
	int		 registered;
	uint32_t	 kernel_version; /* Linux: REGISTER1 reply (129); 0 */
	unsigned	 cycle;
	const char	*phase;		/* application phase running, NULL */
	int		 expired;	/* deadline thawed: next THAW fails */
	size_t		 nfrozen;
	uint64_t	 frozen_at;	/* CLOCK_MONOTONIC; 0: nothing frozen */
	uint64_t	 deadline;	/* CLOCK_MONOTONIC; 0: none armed */
	pid_t		 guardian_pid;	/* -1: none (preset by control.c) */
	const char	*journal;	/* NULL: journal disabled */
	size_t		 nmounts;	/* frozen mounts listed below */
	size_t		 nmounts_total;
	struct {
		const char *mnt;
		const char *fstype;
	}		 mounts[CONTROL_STATUS_MOUNTS];
};

struct control_ops {
	/* Fill in what is known; st arrives zeroed, guardian_pid -1. */
	void	(*status)(void *arg, struct control_status *st);
	/*
	 * Thaw what the daemon froze, now.  Returns how many filesystems
	 * were thawed (0: nothing was frozen), or -1 if something is still
	 * frozen.  NULL: thaw is refused.
	 */
	int	(*thaw)(void *arg);
};

struct control;

struct control_client {
	struct control	*ctl;
	int		 fd;		/* -1: free slot */
	pid_t		 pid;
	uint64_t	 since;		/* accepted, CLOCK_MONOTONIC */
};

struct control {
	struct ev	*ev;
	int		 lfd;		/* -1 */
	char		 path[108];	/* sun_path */
	dev_t		 dev;		/* the socket file we bound, so */
	ino_t		 ino;		/* close unlinks only our own */
	const struct control_ops *ops;
	void		*arg;
	const struct history *hist;	/* NULL: history is refused */
	struct control_client c[CONTROL_MAX_CLIENTS];
	struct control_status st;	/* scratch for ops->status */
	char		 reply[CONTROL_REPLY_MAX];
};

/* Closed and empty: control_close() is safe from here on. */
void		 control_init(struct control *);
/*
 * Create the socket (path NULL: CONTROL_PATH) and serve it in ev.  A stale
 * socket file is replaced; a live one or a non-socket is refused
 * (EADDRINUSE, EEXIST).  0, or -1 with errno, logged; nothing left open.
 */
int		 control_open(struct control *, struct ev *, const char *path,
		    const struct control_ops *, const struct history *,
		    void *arg);
/* Close every client and the socket; unlink it if it is still ours. */
void		 control_close(struct control *);
/* Status helper: nfrozen, frozen_at and the frozen mounts of f. */
void		 control_status_frz(struct control_status *,
		    const struct frz *);

/* ---- pure: requests, replies, rendering -------------------------------- */

/* 0, or -1 with *why (may be NULL) a static reason. */
int		 control_parse(const void *, size_t, struct control_req *,
		    const char **why);
/* The canonical request text; snprintf semantics. */
size_t		 control_format(const struct control_req *, char *, size_t);
/*
 * Split a reply: 0 with *res and the body (not NUL-terminated, inside
 * buf), or -1 if the first line is not ours.
 */
int		 control_reply_parse(const char *buf, size_t len,
		    enum control_result *res, const char **body,
		    size_t *bodylen);
/*
 * Bodies, human text or JSON.  Each writes at most size bytes including
 * a NUL (size >= 256 keeps the closing of a truncated body) and returns
 * the length written.  now and wall (CLOCK_MONOTONIC, CLOCK_REALTIME ns)
 * turn the status' monotonic times into ages and dates.
 */
size_t		 control_render_status(const struct control_status *,
		    int json, uint64_t now, int64_t wall, char *, size_t);
size_t		 control_render_history(const struct history *, unsigned n,
		    int json, char *, size_t);
/* r: ops->thaw's answer, st: the status after it. */
size_t		 control_render_thaw(int r, const struct control_status *,
		    int json, uint64_t now, int64_t wall, char *, size_t);
size_t		 control_render_error(const char *why, int json, char *,
		    size_t);
/* The plan as JSON, every mount in table order with its freeze order. */
size_t		 control_render_plan(const struct mi_table *,
		    const struct plan *, char *, size_t);

/*
 * One string as the bodies write it: a quoted JSON string, or escaped
 * text.  Returns the length written; "(too long)" if it does not fit.
 */
size_t		 control_quote(const char *, int json, char *, size_t);

const char	*control_cmd_name(int);
const char	*control_result_name(int);

/*
 * Client side (blocking, for hvvssctl; never called by the daemon): send
 * one request, wait at most timeout_ms for the reply.  0 with the reply in
 * buf (NUL-terminated, *len bytes); -1 with errno: ENOENT or ECONNREFUSED
 * (no daemon), EACCES, ETIMEDOUT, EMSGSIZE (reply longer than size - 1).
 */
int		 control_call(const char *path, const char *req, char *buf,
		    size_t size, size_t *len, int timeout_ms);

#endif /* CONTROL_H */
