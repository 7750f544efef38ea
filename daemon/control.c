/*
 * control.c: the control socket server and its pure parts (control.h has
 * the protocol).
 *
 * The server is driven by the daemon's ev loop: one I/O slot for the
 * listening socket, one per client.  A client gets exactly one answer: its
 * first packet is parsed, answered in one packet and the connection is
 * closed, so no client state outlives a request and a client that does not
 * read cannot hold anything but its own socket buffer.
 *
 * The renderers write into a caller's buffer through struct out, which
 * never writes past its capacity; lists are written one record at a time
 * and a record that does not fit is taken back whole, so a truncated JSON
 * body still parses and says "truncated": true.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "usock.h"
#include "ev.h"
#include "freeze.h"
#include "history.h"
#include "log.h"
#include "mountinfo.h"
#include "plan.h"

/* Connections accepted per wakeup of the listening socket. */
#define BACKLOG		4
/* Kept free while writing records, for the closing of a truncated body. */
#define RESERVE		192
/* Room for the reply's first line in front of the body. */
#define HEAD_MAX	32
/* Packets read and dropped before closing (see drop()). */
#define DRAIN_MAX	4

static const char *const cmd_names[CC__MAX] = {
	[CC_STATUS] = "status",
	[CC_HISTORY] = "history",
	[CC_THAW] = "thaw",
};

static const char *const result_names[CR__MAX] = {
	[CR_OK] = "ok",
	[CR_FAIL] = "fail",
	[CR_ERROR] = "error",
};

/* enum qz_result, which this module does not link against. */
static const char *const apps_result_names[] = {
	"ok", "degraded", "failed"
};

const char *
control_cmd_name(int c)
{
	return c >= 0 && c < CC__MAX ? cmd_names[c] : "unknown";
}

const char *
control_result_name(int r)
{
	return r >= 0 && r < CR__MAX ? result_names[r] : "unknown";
}

static const char *
apps_result_name(int r)
{
	if (r < 0 || r >= (int)(sizeof(apps_result_names) /
	    sizeof(apps_result_names[0])))
		return "unknown";
	return apps_result_names[r];
}

/* ---- requests ---------------------------------------------------------- */

static int
word_is(const char *w, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(w, lit, len) == 0;
}

/* 1..HISTORY_MAX in plain decimal, no sign, no leading zero. */
static int
word_count(const char *w, size_t len, unsigned *n)
{
	unsigned	v = 0;
	size_t		i;

	if (len == 0 || len > 2 || w[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (w[i] < '0' || w[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(w[i] - '0');
	}
	if (v < 1 || v > HISTORY_MAX)
		return -1;
	*n = v;
	return 0;
}

int
control_parse(const void *buf, size_t len, struct control_req *rq,
    const char **why)
{
	const char	*s = buf, *w[3];
	size_t		 wl[3], nw = 0, i, start;
	const char	*dummy;

	if (why == NULL)
		why = &dummy;
	memset(rq, 0, sizeof(*rq));
	rq->n = CONTROL_HISTORY_DEFAULT;
	if (len == 0) {
		*why = "empty request";
		return -1;
	}
	if (len > CONTROL_REQ_MAX) {
		*why = "request too long";
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '\0') {
			*why = "NUL byte in request";
			return -1;
		}
		if (s[i] != ' ' && !(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9')) {
			*why = "bad byte in request";
			return -1;
		}
	}
	/* Words: one space apart, none empty. */
	for (start = 0, i = 0; i <= len; i++) {
		if (i < len && s[i] != ' ')
			continue;
		if (i == start) {
			*why = "empty word (stray space)";
			return -1;
		}
		if (nw == sizeof(w) / sizeof(w[0])) {
			*why = "extra words";
			return -1;
		}
		w[nw] = s + start;
		wl[nw++] = i - start;
		start = i + 1;
	}
	if (word_is(w[0], wl[0], "status"))
		rq->cmd = CC_STATUS;
	else if (word_is(w[0], wl[0], "history"))
		rq->cmd = CC_HISTORY;
	else if (word_is(w[0], wl[0], "thaw"))
		rq->cmd = CC_THAW;
	else {
		*why = "unknown command";
		return -1;
	}
	i = 1;
	if (rq->cmd == CC_HISTORY && i < nw && w[i][0] >= '0' &&
	    w[i][0] <= '9') {
		if (word_count(w[i], wl[i], &rq->n) == -1) {
			*why = "bad count (1..32)";
			return -1;
		}
		i++;
	}
	if (i < nw && word_is(w[i], wl[i], "json")) {
		rq->json = 1;
		i++;
	}
	if (i < nw) {
		*why = "extra words";
		return -1;
	}
	*why = NULL;
	return 0;
}

size_t
control_format(const struct control_req *rq, char *buf, size_t size)
{
	int	r;

	if (rq->cmd == CC_HISTORY)
		r = snprintf(buf, size, "history %u%s", rq->n,
		    rq->json ? " json" : "");
	else
		r = snprintf(buf, size, "%s%s", control_cmd_name((int)rq->cmd),
		    rq->json ? " json" : "");
	return r < 0 ? 0 : (size_t)r;
}

int
control_reply_parse(const char *buf, size_t len, enum control_result *res,
    const char **body, size_t *bodylen)
{
	const char	*nl;
	size_t		 ml = strlen(CONTROL_MAGIC), hl;
	int		 i;

	nl = memchr(buf, '\n', len < HEAD_MAX ? len : HEAD_MAX);
	if (nl == NULL || (size_t)(nl - buf) <= ml + 1 ||
	    memcmp(buf, CONTROL_MAGIC, ml) != 0 || buf[ml] != ' ')
		return -1;
	hl = (size_t)(nl - buf) - ml - 1;
	for (i = 0; i < CR__MAX; i++) {
		if (strlen(result_names[i]) == hl &&
		    memcmp(buf + ml + 1, result_names[i], hl) == 0) {
			*res = (enum control_result)i;
			*body = nl + 1;
			*bodylen = len - (size_t)(nl + 1 - buf);
			return 0;
		}
	}
	return -1;
}

/* ---- bounded output ----------------------------------------------------- */

struct out {
	char	*b;
	size_t	 size;		/* the buffer, NUL included */
	size_t	 cap;		/* text allowed now (< size) */
	size_t	 len;
	int	 full;		/* something did not fit: stop */
};

/* reserve: records stop that short of the end, for the closing. */
static void
o_init(struct out *o, char *b, size_t size, size_t reserve)
{
	o->b = b;
	o->size = size;
	o->len = 0;
	o->full = size == 0;
	o->cap = size > reserve + 1 ? size - 1 - reserve : 0;
	if (size > 0)
		b[0] = '\0';
}

/* The whole buffer, for what closes a body. */
static void
o_unreserve(struct out *o)
{
	o->cap = o->size > 0 ? o->size - 1 : 0;
}

static void
o_put(struct out *o, const char *s, size_t n)
{
	if (o->full)
		return;
	if (n > o->cap - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->b + o->len, s, n);
	o->len += n;
	o->b[o->len] = '\0';
}

static void
o_str(struct out *o, const char *s)
{
	o_put(o, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
o_printf(struct out *o, const char *fmt, ...)
{
	char	tmp[256];
	va_list	ap;
	int	r;

	va_start(ap, fmt);
	r = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(tmp)) {
		o->full = 1;
		return;
	}
	o_put(o, tmp, (size_t)r);
}

static size_t
o_mark(const struct out *o)
{
	return o->len;
}

/* Take back what was written since mark; 1 if there was an overflow. */
static int
o_undo_if_full(struct out *o, size_t mark)
{
	if (!o->full)
		return 0;
	o->len = mark;
	if (o->size > 0)
		o->b[o->len] = '\0';
	o->full = 0;
	return 1;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t	need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2)
		return 0;		/* continuation, or overlong 2-byte */
	need = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;
	if (need == 0 || n < need)
		return 0;
	for (i = 1; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) ||	/* overlong */
	    (s[0] == 0xed && s[1] >= 0xa0) ||	/* UTF-16 surrogate */
	    (s[0] == 0xf0 && s[1] < 0x90) ||	/* overlong */
	    (s[0] == 0xf4 && s[1] >= 0x90))	/* past U+10FFFF */
		return 0;
	return need;
}

/* A JSON string; NULL is null.  Invalid UTF-8 bytes become \udcXX. */
static void
o_json(struct out *o, const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n, i, k;
	char			 esc[8];

	if (str == NULL) {
		o_str(o, "null");
		return;
	}
	n = strlen(str);
	o_put(o, "\"", 1);
	for (i = 0; i < n && !o->full; i += k) {
		k = 1;
		if (s[i] == '"')
			o_put(o, "\\\"", 2);
		else if (s[i] == '\\')
			o_put(o, "\\\\", 2);
		else if (s[i] == '\n')
			o_put(o, "\\n", 2);
		else if (s[i] == '\t')
			o_put(o, "\\t", 2);
		else if (s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			o_put(o, esc, 6);
		} else if (s[i] < 0x80)
			o_put(o, str + i, 1);
		else if ((k = utf8_seq(s + i, n - i)) != 0)
			o_put(o, str + i, k);
		else {
			k = 1;
			snprintf(esc, sizeof(esc), "\\udc%02x", s[i]);
			o_put(o, esc, 6);
		}
	}
	o_put(o, "\"", 1);
}

/*
 * Text for a terminal: printable ASCII and UTF-8 from U+00A0 pass, the
 * rest (space, backslash, controls, C1, invalid bytes) become \ooo.
 */
static void
o_text(struct out *o, const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n, i, k;
	char			 esc[8];

	if (str == NULL) {
		o_str(o, "-");
		return;
	}
	n = strlen(str);
	for (i = 0; i < n && !o->full; i += k) {
		k = 1;
		if (s[i] > 0x20 && s[i] < 0x7f && s[i] != '\\')
			o_put(o, str + i, 1);
		else if (s[i] >= 0x80 && (k = utf8_seq(s + i, n - i)) != 0 &&
		    !(s[i] == 0xc2 && s[i + 1] < 0xa0))
			o_put(o, str + i, k);
		else {
			k = 1;
			snprintf(esc, sizeof(esc), "\\%03o", s[i]);
			o_put(o, esc, 4);
		}
	}
}

static void
o_bool(struct out *o, int v)
{
	o_str(o, v ? "true" : "false");
}

static void
o_ms(struct out *o, uint64_t ns)
{
	o_printf(o, "%.1f", (double)ns / 1e6);
}

/* ISO 8601 UTC with milliseconds: no time zone files, no locale. */
static void
o_time(struct out *o, int64_t ns)
{
	struct tm	tm;
	time_t		t;
	int64_t		sec = ns / 1000000000, rem = ns % 1000000000;
	char		tmp[40];

	if (rem < 0) {
		sec--;
		rem += 1000000000;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		o_str(o, "-");
		return;
	}
	o_printf(o, "%s.%03dZ", tmp, (int)(rem / 1000000));
}

static void
o_json_time(struct out *o, int64_t ns)
{
	o_put(o, "\"", 1);
	o_time(o, ns);
	o_put(o, "\"", 1);
}

static const char *
errno_name(int e)
{
	const char	*n;

	if (e == 0)
		return NULL;
	n = strerrorname_np(e);
	return n != NULL ? n : "E?";
}

/*
 * Close a body.  If even its fixed fields did not fit, the last resort is
 * a short answer that still parses: ok tells which.
 */
static size_t
o_finish(struct out *o, int json, int truncated, int ok)
{
	o_unreserve(o);
	if (json)
		o_printf(o, "\"truncated\":%s}\n", truncated ? "true" : "false");
	else if (truncated)
		o_str(o, "(truncated: more than fits in one reply)\n");
	if (o->full) {
		o->full = 0;
		o->len = 0;
		if (json)
			o_printf(o, "{\"ok\":%s,\"truncated\":true}\n",
			    ok ? "true" : "false");
		else
			o_str(o, "(truncated)\n");
		if (o->full) {
			o->full = 0;
			o->len = 0;
			if (o->size > 0)
				o->b[0] = '\0';
		}
	}
	return o->len;
}

/* ---- status ------------------------------------------------------------- */

static uint64_t
ago(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/*
 * JSON members, no braces; 1 if mounts were left out for room (those past
 * CONTROL_STATUS_MOUNTS show as mounts_total only).
 */
static int
status_json(struct out *o, const struct control_status *st, uint64_t now,
    int64_t wall)
{
	size_t	i, mark;
	int	cut = 0;

	o_printf(o, "\"daemon_pid\":%ld,\"state\":", (long)st->daemon_pid);
	o_json(o, st->state);
	o_str(o, ",\"transport\":");
	o_json(o, st->transport);
	o_str(o, ",\"device\":");
	o_json(o, st->device);
	o_str(o, ",\"registered\":");
	o_bool(o, st->registered);
	if (st->kernel_version != 0)
		o_printf(o, ",\"kernel_version\":%" PRIu32, st->kernel_version);
	else
		o_str(o, ",\"kernel_version\":null");
	o_printf(o, ",\"cycle\":%u,\"phase\":", st->cycle);
	o_json(o, st->phase);
	o_str(o, ",\"expired\":");
	o_bool(o, st->expired);
	o_printf(o, ",\"frozen\":%zu", st->nfrozen);
	if (st->frozen_at != 0) {
		uint64_t a = ago(now, st->frozen_at);

		o_str(o, ",\"frozen_since\":");
		o_json_time(o, wall - (int64_t)a);
		o_printf(o, ",\"frozen_since_ns\":%" PRId64 ",\"frozen_ms\":",
		    wall - (int64_t)a);
		o_ms(o, a);
	} else
		o_str(o, ",\"frozen_since\":null,\"frozen_since_ns\":null,"
		    "\"frozen_ms\":null");
	o_str(o, ",\"deadline_left_ms\":");
	if (st->deadline != 0)
		o_ms(o, st->deadline > now ? st->deadline - now : 0);
	else
		o_str(o, "null");
	if (st->guardian_pid > 0)
		o_printf(o, ",\"guardian_pid\":%ld", (long)st->guardian_pid);
	else
		o_str(o, ",\"guardian_pid\":null");
	o_str(o, ",\"journal\":");
	o_json(o, st->journal);
	o_printf(o, ",\"mounts_total\":%zu,\"mounts\":[", st->nmounts_total);
	/* The fixed fields overflowed: no record may clear that. */
	if (o->full)
		return 1;
	for (i = 0; i < st->nmounts && i < CONTROL_STATUS_MOUNTS; i++) {
		mark = o_mark(o);
		o_str(o, i > 0 ? ",{\"mount\":" : "{\"mount\":");
		o_json(o, st->mounts[i].mnt);
		o_str(o, ",\"type\":");
		o_json(o, st->mounts[i].fstype);
		o_str(o, "}");
		if (o_undo_if_full(o, mark)) {
			cut = 1;
			break;
		}
	}
	o_str(o, "]");
	return cut;
}

/* 1 if mounts were left out. */
static int
status_text(struct out *o, const struct control_status *st, uint64_t now,
    int64_t wall)
{
	size_t	i, mark;
	int	cut = 0;

	o_printf(o, "%-10s pid %ld, state ", "daemon", (long)st->daemon_pid);
	o_text(o, st->state);
	o_printf(o, "\n%-10s ", "transport");
	o_text(o, st->transport);
	o_str(o, " on ");
	o_text(o, st->device);
	o_str(o, st->registered ? ", registered" : ", not registered");
	if (st->kernel_version != 0)
		o_printf(o, ", kernel version word %" PRIu32,
		    st->kernel_version);
	o_printf(o, "\n%-10s %u", "cycle", st->cycle);
	if (st->phase != NULL) {
		o_str(o, ", busy with ");
		o_text(o, st->phase);
	}
	o_printf(o, "\n%-10s ", "frozen");
	if (st->frozen_at != 0) {
		uint64_t a = ago(now, st->frozen_at);

		o_printf(o, "%zu filesystem%s since ", st->nfrozen,
		    st->nfrozen == 1 ? "" : "s");
		o_time(o, wall - (int64_t)a);
		o_printf(o, " (%.1f s ago)\n", (double)a / 1e9);
	} else
		o_str(o, "nothing\n");
	if (st->deadline != 0)
		o_printf(o, "%-10s %.1f s left\n", "deadline",
		    st->deadline > now ? (double)(st->deadline - now) / 1e9 :
		    0.0);
	if (st->expired)
		o_printf(o, "%-10s the deadline thawed this cycle: the next "
		    "THAW answers failure\n", "note");
	if (st->guardian_pid > 0)
		o_printf(o, "%-10s pid %ld\n", "guardian",
		    (long)st->guardian_pid);
	o_printf(o, "%-10s ", "journal");
	o_text(o, st->journal != NULL ? st->journal : "disabled");
	o_str(o, "\n");
	if (o->full)
		return 1;
	for (i = 0; i < st->nmounts && i < CONTROL_STATUS_MOUNTS; i++) {
		mark = o_mark(o);
		o_printf(o, "%-10s ", i == 0 ? "mounts" : "");
		o_text(o, st->mounts[i].mnt);
		o_str(o, " (");
		o_text(o, st->mounts[i].fstype);
		o_str(o, ")\n");
		if (o_undo_if_full(o, mark)) {
			cut = 1;
			break;
		}
	}
	if (!cut && st->nmounts < st->nmounts_total)
		o_printf(o, "%-10s (%zu more not listed)\n", "",
		    st->nmounts_total - st->nmounts);
	return cut;
}

/* What a body needs; each body writes all but the closing. */
struct ctx {
	const struct control_status *st;
	const struct history	*h;
	const struct mi_table	*mi;
	const struct plan	*p;
	uint64_t		 now;
	int64_t			 wall;
	unsigned		 n;
	int			 r;
	int			 json;
};

typedef int	(*body_fn)(struct out *, const struct ctx *);

/*
 * Render a body whole if it fits, else again with room kept for the
 * closing, cutting records: so a body that fits is never cut.
 */
static size_t
render(char *buf, size_t size, body_fn fn, const struct ctx *x, int ok)
{
	struct out	o;
	int		cut;

	o_init(&o, buf, size, 0);
	if (fn(&o, x) == 0 && !o.full) {
		if (x->json)
			o_str(&o, "\"truncated\":false}\n");
		if (!o.full)
			return o.len;
	}
	o_init(&o, buf, size, RESERVE);
	cut = fn(&o, x);
	return o_finish(&o, x->json, cut, ok);
}

static int
status_body(struct out *o, const struct ctx *x)
{
	int	cut;

	if (!x->json)
		return status_text(o, x->st, x->now, x->wall);
	o_str(o, "{\"ok\":true,");
	cut = status_json(o, x->st, x->now, x->wall);
	o_str(o, ",");
	return cut;
}

size_t
control_render_status(const struct control_status *st, int json,
    uint64_t now, int64_t wall, char *buf, size_t size)
{
	struct ctx	x;

	memset(&x, 0, sizeof(x));
	x.st = st;
	x.now = now;
	x.wall = wall;
	x.json = json;
	return render(buf, size, status_body, &x, 1);
}

static int
thaw_body(struct out *o, const struct ctx *x)
{
	const struct control_status *st = x->st;
	int			 cut;

	if (x->json) {
		o_printf(o, "{\"ok\":%s,\"thawed\":", x->r >= 0 ? "true" :
		    "false");
		if (x->r >= 0)
			o_printf(o, "%d", x->r);
		else
			o_str(o, "null");
		o_str(o, ",\"status\":{");
		cut = status_json(o, st, x->now, x->wall);
		o_str(o, "},");
		return cut;
	}
	if (x->r > 0)
		o_printf(o, "thawed %d filesystem%s\n\n", x->r,
		    x->r == 1 ? "" : "s");
	else if (x->r == 0)
		o_str(o, "nothing was frozen by the daemon\n\n");
	else
		o_printf(o, "thaw failed: %zu filesystem%s still frozen; the "
		    "daemon retries every second\n\n", st->nfrozen,
		    st->nfrozen == 1 ? "" : "s");
	return status_text(o, st, x->now, x->wall);
}

size_t
control_render_thaw(int r, const struct control_status *st, int json,
    uint64_t now, int64_t wall, char *buf, size_t size)
{
	struct ctx	x;

	memset(&x, 0, sizeof(x));
	x.st = st;
	x.now = now;
	x.wall = wall;
	x.json = json;
	x.r = r;
	return render(buf, size, thaw_body, &x, r >= 0);
}

size_t
control_render_error(const char *why, int json, char *buf, size_t size)
{
	struct out	o;

	o_init(&o, buf, size, 0);
	if (json) {
		o_str(&o, "{\"ok\":false,\"error\":");
		o_json(&o, why);
		o_str(&o, "}\n");
	} else {
		o_str(&o, "error: ");
		o_text(&o, why);
		o_str(&o, "\n");
	}
	if (o.full) {
		o.full = 0;
		o.len = 0;
		o_str(&o, json ? "{\"ok\":false}\n" : "error\n");
	}
	return o.len;
}

/* ---- history ------------------------------------------------------------ */

static void
cycle_json(struct out *o, const struct history_cycle *c)
{
	size_t	i;
	int	s;

	o_printf(o, "{\"cycle\":%u,\"start\":", c->cycle);
	o_json_time(o, c->wall_ns);
	o_printf(o, ",\"start_ns\":%" PRId64 ",\"result\":", c->wall_ns);
	o_json(o, history_result_name((int)c->result));
	o_str(o, ",\"reason\":");
	o_json(o, c->reason[0] != '\0' ? c->reason : NULL);
	o_str(o, ",\"ms\":{");
	for (s = 0; s < HS__MAX; s++) {
		o_printf(o, "%s\"%s\":", s > 0 ? "," : "",
		    history_step_name(s));
		if (c->steps & (1u << s))
			o_ms(o, c->step_ns[s]);
		else
			o_str(o, "null");
	}
	o_str(o, "},\"apps\":{");
	for (s = 0; s < HP__MAX; s++) {
		const struct history_apps *a = &c->apps[s];

		o_printf(o, "%s\"%s\":", s > 0 ? "," : "",
		    history_phase_name(s));
		if (!a->ran) {
			o_str(o, "null");
			continue;
		}
		o_printf(o, "{\"result\":\"%s\",\"hooks_ran\":%u,"
		    "\"hooks_failed\":%u,\"clients_acked\":%u,"
		    "\"clients_failed\":%u}", apps_result_name(a->result),
		    a->hooks_ran, a->hooks_failed, a->clients_acked,
		    a->clients_failed);
	}
	o_printf(o, "},\"filesystems_total\":%zu,\"filesystems\":[",
	    c->nfs_total);
	for (i = 0; i < c->nfs && i < HISTORY_MAX_FS; i++) {
		const struct history_fs *f = &c->fs[i];

		o_str(o, i > 0 ? ",{\"mount\":" : "{\"mount\":");
		o_json(o, f->mnt);
		o_str(o, ",\"mount_cut\":");
		o_bool(o, f->mnt_cut);
		o_str(o, ",\"type\":");
		o_json(o, f->fstype);
		o_printf(o, ",\"stage\":%d,\"verdict\":", f->stage);
		o_json(o, frz_verdict_name(f->verdict));
		o_str(o, ",\"sync_ms\":");
		o_ms(o, f->sync_ns);
		o_str(o, ",\"freeze_ms\":");
		o_ms(o, f->freeze_ns);
		o_str(o, ",\"thaw_ms\":");
		o_ms(o, f->thaw_ns);
		o_printf(o, ",\"errno\":%d,\"error\":", f->err);
		o_json(o, errno_name(f->err));
		o_str(o, "}");
	}
	o_str(o, "]}");
}

static void
cycle_text(struct out *o, const struct history_cycle *c)
{
	size_t	i;
	int	s, any;

	o_printf(o, "cycle %u, started ", c->cycle);
	o_time(o, c->wall_ns);
	o_printf(o, ": %s\n", history_result_name((int)c->result));
	if (c->reason[0] != '\0') {
		o_printf(o, "  %-8s ", "reason");
		o_text(o, c->reason);
		o_str(o, "\n");
	}
	o_printf(o, "  %-8s", "ms");
	for (any = 0, s = 0; s < HS__MAX; s++) {
		if (!(c->steps & (1u << s)))
			continue;
		o_printf(o, " %s %.1f", history_step_name(s),
		    (double)c->step_ns[s] / 1e6);
		any = 1;
	}
	o_str(o, any ? "\n" : " -\n");
	for (any = 0, s = 0; s < HP__MAX; s++) {
		const struct history_apps *a = &c->apps[s];

		if (!a->ran)
			continue;
		o_printf(o, "  %-8s %s %s: hooks %u ran %u failed, clients "
		    "%u acked %u failed\n", any ? "" : "apps",
		    history_phase_name(s), apps_result_name(a->result),
		    a->hooks_ran, a->hooks_failed, a->clients_acked,
		    a->clients_failed);
		any = 1;
	}
	if (c->nfs == 0)
		return;
	o_printf(o, "  %-5s %-18s %8s %9s %8s %-10s %-8s %s\n", "STAGE",
	    "VERDICT", "SYNC_MS", "FREEZE_MS", "THAW_MS", "ERROR", "TYPE",
	    "MOUNT");
	for (i = 0; i < c->nfs && i < HISTORY_MAX_FS; i++) {
		const struct history_fs *f = &c->fs[i];
		const char		*en = errno_name(f->err);

		o_printf(o, "  %-5d %-18s %8.1f %9.1f %8.1f %-10s ", f->stage,
		    frz_verdict_name(f->verdict), (double)f->sync_ns / 1e6,
		    (double)f->freeze_ns / 1e6, (double)f->thaw_ns / 1e6,
		    en != NULL ? en : "-");
		o_text(o, f->fstype);
		o_str(o, " ");
		o_text(o, f->mnt);
		o_str(o, f->mnt_cut ? "... (cut)\n" : "\n");
	}
	if (c->nfs_total > c->nfs)
		o_printf(o, "  (%zu more filesystems not kept)\n",
		    c->nfs_total - c->nfs);
}

static int
history_body(struct out *o, const struct ctx *x)
{
	const struct history_cycle	*c;
	size_t				 i, mark, want;
	int				 cut = 0;

	want = x->n < history_count(x->h) ? x->n : history_count(x->h);
	if (x->json)
		o_printf(o, "{\"ok\":true,\"kept\":%zu,\"total\":%" PRIu64
		    ",\"cycles\":[", history_count(x->h), x->h->total);
	else if (want == 0)
		o_str(o, "no backup cycles yet\n");
	if (o->full)
		return 1;	/* no record may clear that */
	for (i = 0; i < want && (c = history_get(x->h, i)) != NULL; i++) {
		mark = o_mark(o);
		if (x->json) {
			if (i > 0)
				o_str(o, ",");
			cycle_json(o, c);
		} else {
			if (i > 0)
				o_str(o, "\n");
			cycle_text(o, c);
		}
		if (o_undo_if_full(o, mark)) {
			cut = 1;
			break;
		}
	}
	if (x->json)
		o_str(o, "],");
	return cut;
}

size_t
control_render_history(const struct history *h, unsigned n, int json,
    char *buf, size_t size)
{
	struct ctx	x;

	memset(&x, 0, sizeof(x));
	x.h = h;
	x.n = n;
	x.json = json;
	return render(buf, size, history_body, &x, 1);
}

/* ---- plan --------------------------------------------------------------- */

static int
plan_body(struct out *o, const struct ctx *x)
{
	const struct mi_table	*mi = x->mi;
	const struct plan	*p = x->p;
	size_t			 i, j, mark;
	int			 cut = 0;

	o_printf(o, "{\"ok\":true,\"freeze\":%zu,\"sync_only\":%zu,"
	    "\"stages\":%d,\"mounts_total\":%zu,\"mounts\":[", p->norder,
	    p->nsync, p->nstages, p->nitems);
	for (i = 0; i < p->nitems && !o->full; i++) {
		const struct plan_item	*it = &p->items[i];
		const struct mi_entry	*m;
		size_t			 ord = 0;

		if (it->mi >= mi->n)
			continue;
		m = &mi->v[it->mi];
		/* Freeze lists are short: a scan beats an allocation. */
		for (j = 0; j < p->norder; j++)
			if (p->order[j] == i) {
				ord = j + 1;
				break;
			}
		mark = o_mark(o);
		o_str(o, i > 0 ? ",{\"order\":" : "{\"order\":");
		if (ord != 0)
			o_printf(o, "%zu", ord);
		else
			o_str(o, "null");
		o_str(o, ",\"mount\":");
		o_json(o, m->mnt);
		o_str(o, ",\"type\":");
		o_json(o, m->fstype);
		o_str(o, ",\"source\":");
		o_json(o, m->source);
		o_printf(o, ",\"dev\":\"%u:%u\",\"verdict\":", m->major,
		    m->minor);
		o_json(o, plan_verdict_name((int)it->verdict));
		if (it->stage >= 0)
			o_printf(o, ",\"stage\":%d", it->stage);
		else
			o_str(o, ",\"stage\":null");
		o_str(o, ",\"why\":");
		o_json(o, it->why);
		o_str(o, "}");
		if (o_undo_if_full(o, mark)) {
			cut = 1;
			break;
		}
	}
	o_str(o, "],");
	return cut;
}

size_t
control_render_plan(const struct mi_table *mi, const struct plan *p,
    char *buf, size_t size)
{
	struct ctx	x;

	memset(&x, 0, sizeof(x));
	x.mi = mi;
	x.p = p;
	x.json = 1;
	return render(buf, size, plan_body, &x, 1);
}

size_t
control_quote(const char *s, int json, char *buf, size_t size)
{
	struct out	o;

	o_init(&o, buf, size, 0);
	if (json)
		o_json(&o, s);
	else
		o_text(&o, s);
	if (o.full) {
		/* Half a JSON string would break the whole document. */
		o.full = 0;
		o.len = 0;
		o_str(&o, json ? "\"(too long)\"" : "(too long)");
	}
	return o.len;
}

/* ---- status helper ------------------------------------------------------ */

void
control_status_frz(struct control_status *st, const struct frz *f)
{
	size_t	i;

	st->nfrozen = f->nfrozen;
	st->frozen_at = f->nfrozen > 0 ? f->frozen_at : 0;
	st->nmounts = st->nmounts_total = 0;
	for (i = 0; i < f->n; i++) {
		if (!f->v[i].frozen)
			continue;
		st->nmounts_total++;
		if (st->nmounts < CONTROL_STATUS_MOUNTS) {
			st->mounts[st->nmounts].mnt = f->v[i].mnt;
			st->mounts[st->nmounts].fstype = f->v[i].fstype;
			st->nmounts++;
		}
	}
}

/* ---- server ------------------------------------------------------------- */

static void	on_listen(void *, int, short);
static void	on_client(void *, int, short);

/* Bounded copy that always terminates (glibc 2.36 has no strlcpy). */
static void
scopy(char *dst, const char *src, size_t size)
{
	size_t	len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

void
control_init(struct control *c)
{
	size_t	i;

	memset(c, 0, sizeof(*c));
	c->lfd = -1;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		c->c[i].ctl = c;
		c->c[i].fd = -1;
		c->c[i].pid = -1;
	}
}

/*
 * Close a connection.  Whatever the client sent beyond its request is read
 * first: closing a socket with unread data makes the peer's next read fail
 * with ECONNRESET instead of returning our answer.
 */
static void
drain_close(int fd)
{
	char	buf[CONTROL_REQ_MAX + 1];
	int	i;

	for (i = 0; i < DRAIN_MAX; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
	close(fd);
}

static void
client_drop(struct control *c, struct control_client *cl)
{
	if (cl->fd == -1)
		return;
	ev_io_del(c->ev, cl->fd);
	drain_close(cl->fd);
	cl->fd = -1;
	cl->pid = -1;
	cl->since = 0;
}

/*
 * The largest packet this socket can send without blocking: AF_UNIX
 * refuses a datagram longer than the send buffer less a little.
 */
static size_t
reply_cap(int fd)
{
	int		v = CONTROL_REPLY_MAX + 8192;
	socklen_t	vl = sizeof(v);
	size_t		cap = CONTROL_REPLY_MAX;

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &vl) == 0 && v > 0 &&
	    (size_t)v < cap + 1024)
		cap = (size_t)v > 2048 ? (size_t)v - 1024 : 1024;
	return cap;
}

/* Head line + body in c->reply; returns the packet length. */
static size_t
serve(struct control *c, const char *req, size_t len, size_t cap,
    enum control_result *res, const char **op, const char **err)
{
	struct control_req	 rq;
	struct timespec		 ts;
	const char		*why;
	char			*body = c->reply + HEAD_MAX;
	size_t			 bsize = cap - HEAD_MAX, blen;
	uint64_t		 now;
	int64_t			 wall;
	int			 hl, r = 0;

	*res = CR_OK;
	*op = "invalid";
	*err = NULL;
	if (control_parse(req, len, &rq, &why) == -1) {
		*err = why;
		*res = CR_ERROR;
		/* The client's taste for JSON is unknown: answer in text. */
		blen = control_render_error(why, 0, body, bsize);
		goto head;
	}
	*op = control_cmd_name((int)rq.cmd);
	memset(&c->st, 0, sizeof(c->st));
	c->st.daemon_pid = getpid();
	c->st.guardian_pid = -1;
	switch (rq.cmd) {
	case CC_HISTORY:
		if (c->hist == NULL) {
			*res = CR_ERROR;
			*err = "no history kept";
			blen = control_render_error("no history kept",
			    rq.json, body, bsize);
			break;
		}
		blen = control_render_history(c->hist, rq.n, rq.json, body,
		    bsize);
		break;
	case CC_THAW:
		if (c->ops == NULL || c->ops->thaw == NULL) {
			*res = CR_ERROR;
			*err = "thaw not supported";
			blen = control_render_error("thaw not supported",
			    rq.json, body, bsize);
			break;
		}
		r = c->ops->thaw(c->arg);
		if (r < 0)
			*res = CR_FAIL;
		/* FALLTHROUGH */
	default:
		if (c->ops != NULL && c->ops->status != NULL)
			c->ops->status(c->arg, &c->st);
		now = ev_now();
		clock_gettime(CLOCK_REALTIME, &ts);
		wall = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		if (rq.cmd == CC_THAW)
			blen = control_render_thaw(r, &c->st, rq.json, now,
			    wall, body, bsize);
		else
			blen = control_render_status(&c->st, rq.json, now,
			    wall, body, bsize);
		break;
	}
 head:
	hl = snprintf(c->reply, HEAD_MAX, "%s %s\n", CONTROL_MAGIC,
	    control_result_name((int)*res));
	if (hl < 0 || hl >= HEAD_MAX)
		return 0;
	memmove(c->reply + hl, body, blen);
	return (size_t)hl + blen;
}

static void
on_client(void *arg, int fd, short revents)
{
	struct control_client	*cl = arg;
	struct control		*c = cl->ctl;
	enum control_result	 res;
	const char		*op, *err;
	char			 req[CONTROL_REQ_MAX + 1];
	size_t			 n, cap;
	ssize_t			 r;

	(void)revents;
	/* MSG_TRUNC: the packet's real length, so a long one is seen. */
	r = recv(fd, req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		client_drop(c, cl);
		return;
	}
	if (r == 0) {
		client_drop(c, cl);
		return;
	}
	cap = reply_cap(fd);
	/* Longer than the buffer: let the parser say "too long". */
	n = serve(c, req, (size_t)r, cap, &res, &op, &err);
	if (res == CR_ERROR)
		log_warnx("event=control-refused pid=%ld len=%zd reason=\"%s\"",
		    (long)cl->pid, r, err != NULL ? err : "?");
	else if (strcmp(op, "thaw") == 0)
		log_info("event=control op=thaw pid=%ld result=%s",
		    (long)cl->pid, control_result_name((int)res));
	else
		log_debug("event=control op=%s pid=%ld bytes=%zu", op,
		    (long)cl->pid, n);
	if (n > 0 && send(fd, c->reply, n, MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)n)
		log_warn("event=control-dropped pid=%ld op=%s reason=\"reply "
		    "not taken\"", (long)cl->pid, op);
	client_drop(c, cl);
}

/* The slot for a new client: a free one, else the oldest is evicted. */
static struct control_client *
slot_get(struct control *c)
{
	struct control_client	*old = NULL;
	size_t			 i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (c->c[i].fd == -1)
			return &c->c[i];
		if (old == NULL || c->c[i].since < old->since)
			old = &c->c[i];
	}
	/* No timer: silent clients make room for new ones instead. */
	log_warnx("event=control-evicted pid=%ld reason=\"no request, and "
	    "%d newer clients\"", (long)old->pid, CONTROL_MAX_CLIENTS);
	client_drop(c, old);
	return old;
}

static void
refuse(int fd, const char *why)
{
	char	buf[128];
	int	hl;
	size_t	bl;

	hl = snprintf(buf, sizeof(buf), "%s %s\n", CONTROL_MAGIC,
	    control_result_name(CR_ERROR));
	if (hl > 0 && (size_t)hl < sizeof(buf)) {
		bl = control_render_error(why, 0, buf + hl,
		    sizeof(buf) - (size_t)hl);
		(void)send(fd, buf, (size_t)hl + bl, MSG_DONTWAIT |
		    MSG_NOSIGNAL);
	}
	drain_close(fd);
}

static void
accept_one(struct control *c, int fd)
{
	struct control_client	*cl;
	uid_t			 uid;
	pid_t			 pid;

	if (usock_peer(fd, &uid, &pid) == -1) {
		log_warn("event=control-refused reason=peercred");
		close(fd);
		return;
	}
	if (uid != 0) {
		log_warnx("event=control-refused pid=%ld uid=%ld "
		    "reason=credentials", (long)pid, (long)uid);
		refuse(fd, "permission denied: root only");
		return;
	}
	cl = slot_get(c);
	if (ev_io_add(c->ev, fd, POLLIN, on_client, cl) == -1) {
		log_warnx("event=control-refused pid=%ld reason=\"no I/O "
		    "slot\"", (long)pid);
		refuse(fd, "daemon busy");
		return;
	}
	cl->fd = fd;
	cl->pid = pid;
	cl->since = ev_now();
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
	usock_accept(lfd, "control-accept", take_one, arg);
}

int
control_open(struct control *c, struct ev *ev, const char *path,
    const struct control_ops *ops, const struct history *hist, void *arg)
{
	struct usock_id	 id;
	const char	*why = "";
	int		 fd, saved;

	if (c->lfd != -1) {
		errno = EALREADY;
		return -1;
	}
	if (path == NULL)
		path = CONTROL_PATH;
	if (strlen(path) >= sizeof(c->path)) {
		log_warnx("event=control-open path=%s reason=\"too long\"",
		    path);
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = usock_listen(path, 0, BACKLOG, &id, &why)) == -1) {
		log_warn("event=control-open path=%s step=\"%s\"", path, why);
		return -1;
	}
	if (ev_io_add(ev, fd, POLLIN, on_listen, c) == -1) {
		saved = errno;
		log_warn("event=control-open path=%s", path);
		usock_close(fd, path, &id);
		errno = saved;
		return -1;
	}
	c->ev = ev;
	c->ops = ops;
	c->hist = hist;
	c->arg = arg;
	c->dev = id.dev;
	c->ino = id.ino;
	c->lfd = fd;
	scopy(c->path, path, sizeof(c->path));
	log_info("event=control-open path=%s max_clients=%d", path,
	    CONTROL_MAX_CLIENTS);
	return 0;
}

void
control_close(struct control *c)
{
	size_t		i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->c[i].fd != -1)
			client_drop(c, &c->c[i]);
	if (c->lfd == -1)
		return;
	ev_io_del(c->ev, c->lfd);
	usock_close(c->lfd, c->path, &(struct usock_id){ c->dev, c->ino });
	c->lfd = -1;
}

/* ---- client ------------------------------------------------------------- */

int
control_call(const char *path, const char *req, char *buf, size_t size,
    size_t *len, int timeout_ms)
{
	struct sockaddr_un	sun;
	struct timeval		tv;
	struct pollfd		pfd;
	ssize_t			r;
	size_t			rl = strlen(req);
	int			fd, saved;

	*len = 0;
	if (size < 2 || rl == 0 || rl > CONTROL_REQ_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	scopy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* A full backlog makes connect wait: not longer than the reply. */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	/* Refused at accept, the answer may be queued already: read it. */
	if (send(fd, req, rl, MSG_NOSIGNAL) != (ssize_t)rl &&
	    errno != EPIPE && errno != ECONNRESET)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	r = poll(&pfd, 1, timeout_ms);
	if (r == 0)
		errno = ETIMEDOUT;
	if (r <= 0)
		goto fail;
	r = recv(fd, buf, size - 1, MSG_TRUNC);
	if (r == -1)
		goto fail;
	if (r == 0) {
		errno = ECONNRESET;
		goto fail;
	}
	if ((size_t)r > size - 1) {
		errno = EMSGSIZE;
		goto fail;
	}
	buf[r] = '\0';
	*len = (size_t)r;
	close(fd);
	return 0;
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
