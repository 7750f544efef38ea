/*
 * notify.c: the application notification server (notify.h has the rules).
 *
 * Everything is driven by the daemon's ev loop: one I/O slot for the
 * listening socket, one per client, NOTIFY_TIMER for the phase deadline
 * (or an immediate deferred completion) and NOTIFY_REG_TIMER for clients
 * that connect and never register.  Each client callback reads at most one
 * packet per wakeup, so one chatty client cannot starve the others.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ev.h"
#include "hvvss_err.h"
#include "hvvss_notify.h"
#include "log.h"
#include "notify.h"
#include "usock.h"

/* Connections accepted per wakeup of the listening socket. */

static const char *const result_names[NOTIFY__MAX] = {
	"ok", "degraded", "failed"
};

static const char *const cres_names[NOTIFY_CR__MAX] = {
	[NOTIFY_CR_NONE] = "none",
	[NOTIFY_CR_PENDING] = "pending",
	[NOTIFY_CR_ACK] = "ack",
	[NOTIFY_CR_FAIL] = "fail",
	[NOTIFY_CR_TIMEOUT] = "timeout",
	[NOTIFY_CR_GONE] = "gone",
	[NOTIFY_CR_SENDFAIL] = "send-fail",
};

static void	on_listen(void *, int, short);
static void	on_client(void *, int, short);
static void	on_timer(void *);
static void	on_reg_timer(void *);
static int	send_welcome(int, unsigned, const char *);

const char *
notify_result_name(int r)
{
	if (r < 0 || r >= NOTIFY__MAX)
		return "unknown";
	return result_names[r];
}

const char *
notify_cres_name(int r)
{
	if (r < 0 || r >= NOTIFY_CR__MAX)
		return "unknown";
	return cres_names[r];
}

const char *
notify_policy_name(int p)
{
	switch (p) {
	case NOTIFY_POLICY_FAIL:
		return "fail";
	case NOTIFY_POLICY_CONTINUE:
		return "continue";
	default:
		return "unknown";
	}
}

/* Bounded copy that always terminates (glibc 2.36 has no strlcpy). */
static void
scopy(char *dst, const char *src, size_t size)
{
	size_t	len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void
client_reset(struct notify *n, struct notify_client *c)
{
	memset(c, 0, sizeof(*c));
	c->n = n;
	c->fd = -1;
	c->pid = -1;
}

void
notify_init(struct notify *n, struct ev *ev)
{
	size_t	i;

	memset(n, 0, sizeof(*n));
	n->ev = ev;
	n->lfd = -1;
	n->policy = NOTIFY_POLICY_CONTINUE;
	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++)
		client_reset(n, &n->c[i]);
}

void
notify_set_policy(struct notify *n, enum notify_policy p)
{
	n->policy = p;
}

int
notify_busy(const struct notify *n)
{
	return n->busy;
}

size_t
notify_clients(const struct notify *n)
{
	size_t	i, k = 0;

	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++)
		if (n->c[i].fd != -1 && n->c[i].registered)
			k++;
	return k;
}

size_t
notify_owed(const struct notify *n, unsigned owes)
{
	size_t	i, k = 0;

	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++)
		if (n->c[i].fd != -1 && (n->c[i].owes & owes))
			k++;
	return k;
}

static double
ms_since(uint64_t t)
{
	uint64_t now = ev_now();

	return now > t ? (double)(now - t) / 1e6 : 0.0;
}

/* One packet, never blocking; a full queue counts as the client failing. */
static int
send_msg(int fd, const struct hvvss_notify_msg *m)
{
	uint8_t	buf[HVVSS_NOTIFY_MSG_LEN];
	ssize_t	r;

	if (hvvss_notify_encode(m, buf, sizeof(buf)) != HVVSS_OK) {
		errno = EINVAL;
		return -1;
	}
	r = send(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r != (ssize_t)sizeof(buf)) {
		if (r >= 0)
			errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/*
 * Refuse a connection: say why, read what it already sent (closing with
 * unread data makes the peer's next read fail with ECONNRESET instead of
 * returning our answer), close.
 */
static void
refuse(int fd, unsigned status, const char *name)
{
	uint8_t	buf[HVVSS_NOTIFY_MSG_LEN];
	int	i;

	(void)send_welcome(fd, status, name);
	for (i = 0; i < 4; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
	close(fd);
}

static int
send_welcome(int fd, unsigned status, const char *name)
{
	struct hvvss_notify_msg	m;

	hvvss_notify_init(&m, HVVSS_NOTIFY_WELCOME);
	m.status = (uint16_t)status;
	if (name != NULL)
		scopy(m.name, name, sizeof(m.name));
	return send_msg(fd, &m);
}

/* ---- completion ------------------------------------------------------- */

static void
finish(struct notify *n)
{
	notify_done_fn	 done = n->done;
	void		*arg = n->arg;
	size_t		 bad;

	bad = n->nfail + n->ntimeout + n->ngone + n->nsendfail;
	if (bad == 0)
		n->result = NOTIFY_OK;
	else if (n->policy == NOTIFY_POLICY_FAIL)
		n->result = NOTIFY_FAILED;
	else
		n->result = NOTIFY_DEGRADED;
	ev_timer_clear(n->ev, NOTIFY_TIMER);
	n->busy = 0;
	n->done = NULL;
	n->arg = NULL;
	if (n->ntarget > 0 || bad > 0)
		log_info("event=notify-phase phase=%s cycle=%u clients=%zu "
		    "ack=%zu fail=%zu timeout=%zu gone=%zu send_fail=%zu "
		    "result=%s policy=%s ms=%.1f",
		    hvvss_notify_phase_name(n->phase), n->cycle, n->ntarget,
		    n->nack, n->nfail, n->ntimeout, n->ngone, n->nsendfail,
		    notify_result_name((int)n->result),
		    notify_policy_name((int)n->policy), ms_since(n->started));
	/* Last: done may start the next phase or close everything. */
	if (done != NULL)
		done(arg, n->result);
}

/*
 * Record one client's answer.  The last answer does not call done()
 * directly but arms NOTIFY_TIMER for now: done() may start the next phase
 * or close everything, and must never run under a client's callback that
 * still holds that client.  The cost is one more loop turn.
 */
static void
settle(struct notify *n, struct notify_client *c, enum notify_cres r)
{
	if (!n->busy || c->res != NOTIFY_CR_PENDING)
		return;
	c->res = r;
	switch (r) {
	case NOTIFY_CR_ACK:
		n->nack++;
		break;
	case NOTIFY_CR_FAIL:
		n->nfail++;
		break;
	case NOTIFY_CR_TIMEOUT:
		n->ntimeout++;
		break;
	case NOTIFY_CR_SENDFAIL:
		n->nsendfail++;
		break;
	default:
		n->ngone++;
		break;
	}
	if (r == NOTIFY_CR_ACK)
		log_info("event=notify client=%s pid=%ld phase=%s cycle=%u "
		    "result=ack ms=%.1f", c->name, (long)c->pid,
		    hvvss_notify_phase_name(c->sent_phase), n->cycle,
		    ms_since(c->sent_at));
	else
		log_warnx("event=notify client=%s pid=%ld phase=%s cycle=%u "
		    "result=%s ms=%.1f", c->name, (long)c->pid,
		    hvvss_notify_phase_name(c->sent_phase), n->cycle,
		    notify_cres_name((int)r), ms_since(c->sent_at));
	if (--n->npending == 0)
		ev_timer_set(n->ev, NOTIFY_TIMER, ev_now(), on_timer, n);
}

/* ---- clients ---------------------------------------------------------- */

/*
 * Close a client.  If it was a target of the phase in progress it counts
 * as r (gone, send-fail).
 */
static void
client_drop(struct notify *n, struct notify_client *c, enum notify_cres r,
    const char *why)
{
	if (c->fd == -1)
		return;
	if (c->res == NOTIFY_CR_PENDING)
		settle(n, c, r);
	if (c->registered && (c->owes & NOTIFY_OWES_THAW))
		log_warnx("event=notify-gone client=%s pid=%ld owed=thaw "
		    "why=\"%s\"", c->name, (long)c->pid, why);
	else if (c->registered)
		log_info("event=notify-gone client=%s pid=%ld why=\"%s\"",
		    c->name, (long)c->pid, why);
	else
		log_debug("event=notify-gone pid=%ld why=\"%s\"",
		    (long)c->pid, why);
	ev_io_del(n->ev, c->fd);
	close(c->fd);
	client_reset(n, c);
}

/* An older client of that name is dead if its socket has hung up. */
static int
client_dead(const struct notify_client *c)
{
	struct pollfd	pfd;

	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))
		return 1;
	return 0;
}

static int
do_register(struct notify *n, struct notify_client *c,
    const struct hvvss_notify_msg *m)
{
	size_t	i;

	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++) {
		struct notify_client *o = &n->c[i];

		if (o == c || o->fd == -1 || !o->registered ||
		    strcmp(o->name, m->name) != 0)
			continue;
		/* A restarted service may beat its old socket's hangup. */
		if (client_dead(o)) {
			client_drop(n, o, NOTIFY_CR_GONE, "hangup");
			continue;
		}
		log_warnx("event=notify-refused client=%s pid=%ld "
		    "reason=duplicate other_pid=%ld", m->name, (long)c->pid,
		    (long)o->pid);
		(void)send_welcome(c->fd, HVVSS_NOTIFY_ST_DUPLICATE, m->name);
		return -1;
	}
	if (send_welcome(c->fd, HVVSS_NOTIFY_ST_OK, m->name) == -1)
		return -1;
	scopy(c->name, m->name, sizeof(c->name));
	c->registered = 1;
	log_info("event=notify-register client=%s pid=%ld uid=%ld "
	    "clients=%zu", c->name, (long)c->pid, (long)c->uid,
	    notify_clients(n));
	return 0;
}

static void
do_ack(struct notify *n, struct notify_client *c,
    const struct hvvss_notify_msg *m)
{
	if (!n->busy || c->res != NOTIFY_CR_PENDING || m->cycle != n->cycle ||
	    m->phase != c->sent_phase) {
		/* Normal after a timeout: the client was late. */
		log_debug("event=notify-late-ack client=%s phase=%s cycle=%u "
		    "status=%s", c->name, hvvss_notify_phase_name(m->phase),
		    m->cycle, hvvss_notify_status_name(m->status));
		return;
	}
	settle(n, c, m->status == HVVSS_NOTIFY_ST_OK ? NOTIFY_CR_ACK :
	    NOTIFY_CR_FAIL);
}

static void
on_client(void *arg, int fd, short revents)
{
	struct notify_client	*c = arg;
	struct notify		*n = c->n;
	struct hvvss_notify_msg	 m;
	uint8_t			 buf[HVVSS_NOTIFY_MSG_LEN + 1];
	ssize_t			 r;
	int			 e;

	(void)revents;
	/* MSG_TRUNC: the packet's real length, so a long one is seen. */
	r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		client_drop(n, c, NOTIFY_CR_GONE, strerror(errno));
		return;
	}
	if (r == 0) {
		client_drop(n, c, NOTIFY_CR_GONE, "closed");
		return;
	}
	e = (size_t)r > sizeof(buf) ? HVVSS_E_LONG :
	    hvvss_notify_decode(buf, (size_t)r, &m);
	if (e == HVVSS_OK && !c->registered &&
	    m.type != HVVSS_NOTIFY_REGISTER)
		e = HVVSS_E_MSGTYPE;
	if (e == HVVSS_OK && c->registered && m.type != HVVSS_NOTIFY_ACK)
		e = HVVSS_E_MSGTYPE;
	if (e != HVVSS_OK) {
		/* Strict: a peer that breaks the protocol is out of step. */
		log_warnx("event=notify-malformed client=%s pid=%ld len=%zd "
		    "type=%s reason=%s", c->registered ? c->name : "-",
		    (long)c->pid, r, hvvss_notify_type_name(m.type),
		    hvvss_err_name(e));
		client_drop(n, c, NOTIFY_CR_GONE, "protocol");
		return;
	}
	if (m.type == HVVSS_NOTIFY_REGISTER) {
		if (do_register(n, c, &m) == -1)
			client_drop(n, c, NOTIFY_CR_GONE, "register");
		return;
	}
	do_ack(n, c, &m);
}

/* Arm NOTIFY_REG_TIMER for the oldest client that has not registered. */
static void
reg_timer_arm(struct notify *n)
{
	uint64_t	oldest = 0;
	size_t		i;

	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++) {
		const struct notify_client *c = &n->c[i];

		if (c->fd != -1 && !c->registered &&
		    (oldest == 0 || c->since < oldest))
			oldest = c->since;
	}
	if (oldest == 0)
		ev_timer_clear(n->ev, NOTIFY_REG_TIMER);
	else
		ev_timer_set(n->ev, NOTIFY_REG_TIMER, oldest + NOTIFY_REG_NS,
		    on_reg_timer, n);
}

static void
on_reg_timer(void *arg)
{
	struct notify	*n = arg;
	uint64_t	 now = ev_now();
	size_t		 i;

	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++) {
		struct notify_client *c = &n->c[i];

		/* Unregistered clients are never targets: no completion. */
		if (c->fd != -1 && !c->registered &&
		    c->since + NOTIFY_REG_NS <= now)
			client_drop(n, c, NOTIFY_CR_GONE,
			    "no register in time");
	}
	reg_timer_arm(n);
}

static void
accept_one(struct notify *n, int fd)
{
	struct {
		uid_t	uid;
		pid_t	pid;
	}		 cr;
	struct notify_client *c = NULL;
	size_t		 i;

	if (usock_peer(fd, &cr.uid, &cr.pid) == -1) {
		log_warn("event=notify-refused reason=peercred");
		close(fd);
		return;
	}
	if (cr.uid != 0 && (n->allowed_uid == 0 || cr.uid != n->allowed_uid)) {
		log_warnx("event=notify-refused pid=%ld uid=%ld "
		    "reason=credentials allowed_uid=%ld", (long)cr.pid,
		    (long)cr.uid, (long)n->allowed_uid);
		refuse(fd, HVVSS_NOTIFY_ST_DENIED, NULL);
		return;
	}
	for (i = 0; i < NOTIFY_MAX_CLIENTS && c == NULL; i++)
		if (n->c[i].fd == -1)
			c = &n->c[i];
	if (c == NULL || ev_io_add(n->ev, fd, POLLIN, on_client, c) == -1) {
		log_warnx("event=notify-refused pid=%ld uid=%ld reason=full "
		    "max=%d", (long)cr.pid, (long)cr.uid, NOTIFY_MAX_CLIENTS);
		refuse(fd, HVVSS_NOTIFY_ST_FULL, NULL);
		return;
	}
	client_reset(n, c);
	c->fd = fd;
	c->pid = cr.pid;
	c->uid = cr.uid;
	c->since = ev_now();
	log_debug("event=notify-connect pid=%ld uid=%ld", (long)cr.pid,
	    (long)cr.uid);
	reg_timer_arm(n);
}

static void
take_one(void *arg, int fd)
{
	accept_one(arg, fd);
}

static void
on_listen(void *arg, int lfd, short revents)
{
	(void)revents;
	usock_accept(lfd, "notify-accept", take_one, arg);
}

/* ---- phases ----------------------------------------------------------- */

static void
on_timer(void *arg)
{
	struct notify	*n = arg;
	size_t		 i;

	if (!n->busy)
		return;
	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++)
		if (n->c[i].fd != -1 && n->c[i].res == NOTIFY_CR_PENDING)
			settle(n, &n->c[i], NOTIFY_CR_TIMEOUT);
	finish(n);
}

/* The phase this client is sent in a broadcast of phase p; 0: none. */
static unsigned
target_phase(const struct notify_client *c, unsigned p)
{
	if (c->fd == -1 || !c->registered)
		return 0;
	switch (p) {
	case HVVSS_NOTIFY_PREPARE:
	case HVVSS_NOTIFY_FREEZE:
		return p;
	case HVVSS_NOTIFY_THAW:
		if (c->owes & NOTIFY_OWES_THAW)
			return HVVSS_NOTIFY_THAW;
		return c->owes ? HVVSS_NOTIFY_ABORT : 0;
	case HVVSS_NOTIFY_ABORT:
		return c->owes ? HVVSS_NOTIFY_ABORT : 0;
	default:
		return 0;
	}
}

int
notify_broadcast(struct notify *n, unsigned phase, uint32_t cycle,
    uint64_t deadline_ns, notify_done_fn done, void *arg)
{
	struct hvvss_notify_msg	m;
	uint64_t		now = ev_now();
	size_t			i;

	if (phase == HVVSS_NOTIFY_NONE || phase >= HVVSS_NOTIFY_PHASE__MAX) {
		errno = EINVAL;
		return -1;
	}
	if (n->busy) {
		errno = EBUSY;
		return -1;
	}
	if ((phase == HVVSS_NOTIFY_PREPARE || phase == HVVSS_NOTIFY_FREEZE) &&
	    notify_owed(n, NOTIFY_OWES_THAW) > 0) {
		log_warnx("event=notify-phase phase=%s cycle=%u result=refused "
		    "reason=\"clients still owe a thaw\" owed=%zu",
		    hvvss_notify_phase_name(phase), cycle,
		    notify_owed(n, NOTIFY_OWES_THAW));
		errno = EBUSY;
		return -1;
	}
	n->busy = 1;
	n->phase = phase;
	n->cycle = cycle;
	n->deadline = deadline_ns;
	n->started = now;
	n->done = done;
	n->arg = arg;
	n->npending = n->ntarget = 0;
	n->nack = n->nfail = n->ntimeout = n->ngone = n->nsendfail = 0;

	hvvss_notify_init(&m, HVVSS_NOTIFY_EVENT);
	m.cycle = cycle;
	m.deadline_ns = deadline_ns;
	if (deadline_ns > now) {
		uint64_t ms = (deadline_ns - now) / 1000000;

		m.timeout_ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
	}
	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++) {
		struct notify_client *c = &n->c[i];
		unsigned tp = target_phase(c, phase);

		c->res = NOTIFY_CR_NONE;
		if (tp == 0)
			continue;
		m.phase = (uint16_t)tp;
		c->sent_phase = tp;
		c->sent_at = now;
		c->res = NOTIFY_CR_PENDING;
		n->ntarget++;
		n->npending++;
		if (send_msg(c->fd, &m) == -1) {
			/* Not sent, so not owed either; the drop logs it. */
			client_drop(n, c, errno == EAGAIN ||
			    errno == EWOULDBLOCK ? NOTIFY_CR_SENDFAIL :
			    NOTIFY_CR_GONE, strerror(errno));
			continue;
		}
		if (tp == HVVSS_NOTIFY_PREPARE)
			c->owes |= NOTIFY_OWES_ABORT;
		else if (tp == HVVSS_NOTIFY_FREEZE)
			c->owes |= NOTIFY_OWES_ABORT | NOTIFY_OWES_THAW;
		else
			c->owes = 0;
		log_debug("event=notify-send client=%s phase=%s cycle=%u "
		    "timeout_ms=%u", c->name, hvvss_notify_phase_name(tp),
		    cycle, m.timeout_ms);
	}
	/*
	 * Completion always comes from the loop: at once (next turn) if no
	 * target is left, else at the deadline or on the last answer.
	 */
	ev_timer_set(n->ev, NOTIFY_TIMER, n->npending == 0 ? now :
	    deadline_ns, on_timer, n);
	return 0;
}

void
notify_cancel(struct notify *n)
{
	size_t	i;

	if (!n->busy)
		return;
	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++)
		if (n->c[i].res == NOTIFY_CR_PENDING)
			n->c[i].res = NOTIFY_CR_NONE;
	ev_timer_clear(n->ev, NOTIFY_TIMER);
	n->busy = 0;
	n->npending = 0;
	n->done = NULL;
	n->arg = NULL;
	log_info("event=notify-phase phase=%s cycle=%u result=canceled",
	    hvvss_notify_phase_name(n->phase), n->cycle);
}

/* ---- socket ----------------------------------------------------------- */

int
notify_open(struct notify *n, const char *path, uid_t allowed_uid)
{
	struct usock_id	 id;
	const char	*why = "";
	int		 fd, saved;

	if (n->lfd != -1) {
		errno = EALREADY;
		return -1;
	}
	n->allowed_uid = allowed_uid;
	if (path == NULL)
		path = HVVSS_NOTIFY_PATH;
	if (strlen(path) >= sizeof(n->path)) {
		errno = ENAMETOOLONG;
		log_warnx("event=notify-open path=%s reason=\"too long\"", path);
		return -1;
	}
	if ((fd = usock_listen(path, allowed_uid, NOTIFY_BACKLOG, &id, &why))
	    == -1) {
		log_warn("event=notify-open path=%s step=\"%s\"", path, why);
		return -1;
	}
	if (ev_io_add(n->ev, fd, POLLIN, on_listen, n) == -1) {
		saved = errno;
		log_warn("event=notify-open path=%s", path);
		usock_close(fd, path, &id);
		errno = saved;
		return -1;
	}
	n->dev = id.dev;
	n->ino = id.ino;
	n->lfd = fd;
	scopy(n->path, path, sizeof(n->path));
	log_info("event=notify-open path=%s allowed_uid=%ld policy=%s "
	    "max_clients=%d", path, (long)allowed_uid,
	    notify_policy_name((int)n->policy), NOTIFY_MAX_CLIENTS);
	return 0;
}

void
notify_close(struct notify *n)
{
	size_t		i;

	if (n->busy)
		notify_cancel(n);
	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++)
		if (n->c[i].fd != -1)
			client_drop(n, &n->c[i], NOTIFY_CR_GONE,
			    "daemon closing");
	ev_timer_clear(n->ev, NOTIFY_TIMER);
	ev_timer_clear(n->ev, NOTIFY_REG_TIMER);
	if (n->lfd != -1) {
		struct usock_id	id = { n->dev, n->ino };

		ev_io_del(n->ev, n->lfd);
		usock_close(n->lfd, n->path, &id);
		n->lfd = -1;
	}
}
