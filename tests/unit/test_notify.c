/*
 * test_notify.c: the application notification socket: the wire format
 * (lib/notify.c) with known answers and deterministic mutations, then the
 * real server (daemon/notify.c) on the real ev loop against real client
 * sockets (client/client.c) in a temporary directory, and hvvss-hold if
 * it was built next to this test.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ev.h"
#include "hvvss_client.h"
#include "hvvss_err.h"
#include "hvvss_notify.h"
#include "log.h"
#include "mutate.h"
#include "notify.h"

static const char *self_path;	/* argv[0], to find hvvss-hold */

/* ---- wire format ------------------------------------------------------ */

static const uint8_t kat_register[64] = {
	0x48, 0x56, 0x4e, 0x54, 0x01, 0x00, 0x01, 0x00,	/* HVNT v1 REGISTER */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* cycle phase st */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* deadline */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* timeout rsvd */
	'p', 'g', '-', '1', 0x00,			/* name */
};

static const uint8_t kat_event[64] = {
	0x48, 0x56, 0x4e, 0x54, 0x01, 0x00, 0x03, 0x00,	/* HVNT v1 EVENT */
	0x07, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,	/* 7 FREEZE ok */
	0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,	/* deadline */
	0xdc, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 1500 ms */
};

static const uint8_t kat_ack[64] = {
	0x48, 0x56, 0x4e, 0x54, 0x01, 0x00, 0x04, 0x00,	/* HVNT v1 ACK */
	0xff, 0xff, 0xff, 0xff, 0x04, 0x00, 0x01, 0x00,	/* max ABORT FAIL */
};

static const uint8_t kat_welcome[64] = {
	0x48, 0x56, 0x4e, 0x54, 0x01, 0x00, 0x02, 0x00,	/* HVNT v1 WELCOME */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,	/* DUPLICATE */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	'd', 'b', 0x00,
};

static int
specific(int e)
{
	return e > HVVSS_OK && e < HVVSS_E__MAX && e != HVVSS_E_INVAL &&
	    strcmp(hvvss_err_name(e), "unknown") != 0;
}

static void
t_known_answers(void **state)
{
	struct hvvss_notify_msg	m, d;
	uint8_t			b[64];

	(void)state;
	hvvss_notify_init(&m, HVVSS_NOTIFY_REGISTER);
	memcpy(m.name, "pg-1", 4);
	assert_int_equal(hvvss_notify_encode(&m, b, sizeof(b)), HVVSS_OK);
	assert_memory_equal(b, kat_register, 64);
	assert_int_equal(hvvss_notify_decode(kat_register, 64, &d), HVVSS_OK);
	assert_memory_equal(&m, &d, sizeof(m));

	hvvss_notify_init(&m, HVVSS_NOTIFY_EVENT);
	m.cycle = 7;
	m.phase = HVVSS_NOTIFY_FREEZE;
	m.deadline_ns = 0x0102030405060708ull;
	m.timeout_ms = 1500;
	assert_int_equal(hvvss_notify_encode(&m, b, sizeof(b)), HVVSS_OK);
	assert_memory_equal(b, kat_event, 64);
	assert_int_equal(hvvss_notify_decode(kat_event, 64, &d), HVVSS_OK);
	assert_memory_equal(&m, &d, sizeof(m));

	hvvss_notify_init(&m, HVVSS_NOTIFY_ACK);
	m.cycle = UINT32_MAX;
	m.phase = HVVSS_NOTIFY_ABORT;
	m.status = HVVSS_NOTIFY_ST_FAIL;
	assert_int_equal(hvvss_notify_encode(&m, b, sizeof(b)), HVVSS_OK);
	assert_memory_equal(b, kat_ack, 64);
	assert_int_equal(hvvss_notify_decode(kat_ack, 64, &d), HVVSS_OK);
	assert_memory_equal(&m, &d, sizeof(m));

	hvvss_notify_init(&m, HVVSS_NOTIFY_WELCOME);
	m.status = HVVSS_NOTIFY_ST_DUPLICATE;
	memcpy(m.name, "db", 2);
	assert_int_equal(hvvss_notify_encode(&m, b, sizeof(b)), HVVSS_OK);
	assert_memory_equal(b, kat_welcome, 64);
	assert_int_equal(hvvss_notify_decode(kat_welcome, 64, &d), HVVSS_OK);
	assert_memory_equal(&m, &d, sizeof(m));
	/* A refusal before any REGISTER echoes no name. */
	b[32] = b[33] = 0;
	assert_int_equal(hvvss_notify_decode(b, 64, &d), HVVSS_OK);
	assert_string_equal(d.name, "");

	/* Encode: NOSPACE, INVAL; the version is always ours. */
	assert_int_equal(hvvss_notify_encode(&m, b, 63), HVVSS_E_NOSPACE);
	assert_int_equal(hvvss_notify_encode(NULL, b, 64), HVVSS_E_INVAL);
	assert_int_equal(hvvss_notify_decode(NULL, 64, &d), HVVSS_E_INVAL);
	assert_int_equal(hvvss_notify_decode(b, 64, NULL), HVVSS_E_INVAL);
	m.version = 9;
	assert_int_equal(hvvss_notify_encode(&m, b, sizeof(b)), HVVSS_OK);
	assert_int_equal(b[4], 1);
}

struct bad {
	const uint8_t	*seed;
	size_t		 off;
	uint8_t		 val;
	int		 err;
	const char	*why;
};

static void
t_strict(void **state)
{
	static const struct bad bad[] = {
		{ kat_register, 0, 0x49, HVVSS_E_MSGTYPE, "magic" },
		{ kat_register, 4, 2, HVVSS_E_VERSION, "version" },
		{ kat_register, 6, 0, HVVSS_E_MSGTYPE, "type 0" },
		{ kat_register, 6, 5, HVVSS_E_MSGTYPE, "type 5" },
		{ kat_register, 8, 1, HVVSS_E_RESERVED, "register cycle" },
		{ kat_register, 12, 1, HVVSS_E_OP, "register phase" },
		{ kat_register, 14, 1, HVVSS_E_OP, "register status" },
		{ kat_register, 16, 1, HVVSS_E_RESERVED, "register deadline" },
		{ kat_register, 24, 1, HVVSS_E_RESERVED, "register timeout" },
		{ kat_register, 28, 1, HVVSS_E_RESERVED, "reserved word" },
		{ kat_register, 32, 0, HVVSS_E_RESERVED, "empty, junk after" },
		{ kat_register, 33, ' ', HVVSS_E_MISMATCH, "space" },
		{ kat_register, 33, '=', HVVSS_E_MISMATCH, "equals" },
		{ kat_register, 33, '\n', HVVSS_E_MISMATCH, "newline" },
		{ kat_register, 33, 0xc3, HVVSS_E_MISMATCH, "non-ascii" },
		{ kat_register, 40, 'x', HVVSS_E_RESERVED, "after NUL" },
		{ kat_register, 63, 1, HVVSS_E_RESERVED, "last byte" },
		{ kat_event, 12, 0, HVVSS_E_OP, "event phase 0" },
		{ kat_event, 12, 5, HVVSS_E_OP, "event phase 5" },
		{ kat_event, 14, 1, HVVSS_E_OP, "event status" },
		{ kat_event, 32, 'a', HVVSS_E_RESERVED, "event name" },
		{ kat_ack, 14, 2, HVVSS_E_OP, "ack status denied" },
		{ kat_ack, 16, 1, HVVSS_E_RESERVED, "ack deadline" },
		{ kat_ack, 24, 1, HVVSS_E_RESERVED, "ack timeout" },
		{ kat_ack, 13, 1, HVVSS_E_OP, "ack phase high byte" },
		{ kat_welcome, 14, 1, HVVSS_E_OP, "welcome status fail" },
		{ kat_welcome, 14, 5, HVVSS_E_OP, "welcome status 5" },
		{ kat_welcome, 8, 1, HVVSS_E_RESERVED, "welcome cycle" },
		{ kat_welcome, 32, 0, HVVSS_E_RESERVED, "welcome empty+junk" },
	};
	struct hvvss_notify_msg	d;
	uint8_t			b[65];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b, bad[i].seed, 64);
		b[bad[i].off] = bad[i].val;
		if (hvvss_notify_decode(b, 64, &d) != bad[i].err)
			fail_msg("%s: got %s want %s", bad[i].why,
			    hvvss_err_name(hvvss_notify_decode(b, 64, &d)),
			    hvvss_err_name(bad[i].err));
	}
	memcpy(b, kat_register, 64);
	assert_int_equal(hvvss_notify_decode(b, 63, &d), HVVSS_E_SHORT);
	assert_int_equal(hvvss_notify_decode(b, 0, &d), HVVSS_E_SHORT);
	b[64] = 0;
	assert_int_equal(hvvss_notify_decode(b, 65, &d), HVVSS_E_LONG);
	/* An empty name is refused where a name is required. */
	memset(b + 32, 0, 32);
	assert_int_equal(hvvss_notify_decode(b, 64, &d), HVVSS_E_MISMATCH);
	/* A 32-byte name without NUL: LONG, but 31 bytes still logged. */
	memset(b + 32, 'a', 32);
	assert_int_equal(hvvss_notify_decode(b, 64, &d), HVVSS_E_LONG);
	assert_int_equal(strlen(d.name), 31);
	/* The longest name fits. */
	b[63] = 0;
	assert_int_equal(hvvss_notify_decode(b, 64, &d), HVVSS_OK);
	assert_int_equal(strlen(d.name), 31);
	/* Fields are filled for the log even when refused. */
	memcpy(b, kat_event, 64);
	b[14] = 9;
	assert_int_equal(hvvss_notify_decode(b, 64, &d), HVVSS_E_OP);
	assert_int_equal(d.cycle, 7);
	assert_int_equal(d.status, 9);
}

static void
t_names(void **state)
{
	char	s[40];

	(void)state;
	assert_string_equal(hvvss_notify_type_name(HVVSS_NOTIFY_REGISTER),
	    "register");
	assert_string_equal(hvvss_notify_type_name(HVVSS_NOTIFY_ACK), "ack");
	assert_string_equal(hvvss_notify_type_name(0), "unknown");
	assert_string_equal(hvvss_notify_type_name(99), "unknown");
	assert_string_equal(hvvss_notify_phase_name(HVVSS_NOTIFY_FREEZE),
	    "freeze");
	assert_string_equal(hvvss_notify_phase_name(HVVSS_NOTIFY_ABORT),
	    "abort");
	assert_string_equal(hvvss_notify_phase_name(5), "unknown");
	assert_string_equal(hvvss_notify_status_name(HVVSS_NOTIFY_ST_FULL),
	    "full");
	assert_string_equal(hvvss_notify_status_name(5), "unknown");
	assert_string_equal(notify_result_name(NOTIFY_DEGRADED), "degraded");
	assert_string_equal(notify_result_name(-1), "unknown");
	assert_string_equal(notify_cres_name(NOTIFY_CR_SENDFAIL), "send-fail");
	assert_string_equal(notify_cres_name(NOTIFY_CR__MAX), "unknown");
	assert_string_equal(notify_policy_name(NOTIFY_POLICY_FAIL), "fail");
	assert_string_equal(hvvss_client_phase_name(HVVSS_NOTIFY_THAW), "thaw");

	assert_int_equal(hvvss_notify_name_check("pg"), HVVSS_OK);
	assert_int_equal(hvvss_notify_name_check("a.b_c-d@e:f+9"), HVVSS_OK);
	assert_int_equal(hvvss_notify_name_check(""), HVVSS_E_MISMATCH);
	assert_int_equal(hvvss_notify_name_check("a b"), HVVSS_E_MISMATCH);
	assert_int_equal(hvvss_notify_name_check("a\"b"), HVVSS_E_MISMATCH);
	assert_int_equal(hvvss_notify_name_check(NULL), HVVSS_E_INVAL);
	memset(s, 'x', sizeof(s));
	s[31] = '\0';
	assert_int_equal(hvvss_notify_name_check(s), HVVSS_OK);
	s[31] = 'x';
	s[32] = '\0';
	assert_int_equal(hvvss_notify_name_check(s), HVVSS_E_LONG);
}

/*
 * Every mutant is either refused with a specific reason, or accepted and
 * then re-encodes to exactly the same bytes (so nothing is ignored).
 */
static int
mut_decode(const uint8_t *b, size_t len, void *arg)
{
	struct hvvss_notify_msg	m;
	uint8_t			enc[64];
	int			e;

	(void)arg;
	e = hvvss_notify_decode(b, len, &m);
	if (e != HVVSS_OK)
		return !specific(e) || strlen(m.name) > HVVSS_NOTIFY_NAME_MAX;
	if (len != 64 || hvvss_notify_encode(&m, enc, sizeof(enc)) != HVVSS_OK)
		return 1;
	return memcmp(enc, b, 64) != 0;
}

static void
t_mutations(void **state)
{
	const uint8_t *const seeds[] = { kat_register, kat_event, kat_ack,
	    kat_welcome };
	size_t	i, n, total = 0;

	(void)state;
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		assert_int_equal(mut_run(seeds[i], 64, mut_decode, NULL, &n), 0);
		total += n;
	}
	assert_true(total >= 4 * 4946);
}

/* ---- server + client -------------------------------------------------- */

struct fx {
	char		 dir[64];
	char		 path[100];
	struct ev	 ev;
	struct notify	 n;
	int		 ndone;
	enum notify_result res;
};

static void
noop(void *arg)
{
	(void)arg;
}

static void
done_cb(void *arg, enum notify_result r)
{
	struct fx *f = arg;

	f->ndone++;
	f->res = r;
}

/* One loop turn, never sleeping more than a few ms. */
static void
tick(struct fx *f)
{
	ev_timer_set(&f->ev, 0, ev_now() + EV_MS(2), noop, NULL);
	assert_int_equal(ev_run_once(&f->ev), 0);
}

static void
pump(struct fx *f, unsigned ms)
{
	uint64_t end = ev_now() + EV_MS(ms);

	while (ev_now() < end)
		tick(f);
}

static void
pump_done(struct fx *f, int want, unsigned max_ms)
{
	uint64_t end = ev_now() + EV_MS(max_ms);

	while (f->ndone < want && ev_now() < end)
		tick(f);
	assert_int_equal(f->ndone, want);
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_notify.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/run/notify.sock", f->dir);
	ev_init(&f->ev);
	notify_init(&f->n, &f->ev);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*f = *state;
	char		 p[160];

	notify_close(&f->n);
	snprintf(p, sizeof(p), "%s/run", f->dir);
	(void)unlink(f->path);
	(void)rmdir(p);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

static int
registered(const struct fx *f, const char *name)
{
	size_t	i;

	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++)
		if (f->n.c[i].fd != -1 && f->n.c[i].registered &&
		    strcmp(f->n.c[i].name, name) == 0)
			return 1;
	return 0;
}

static struct hvvss_client *
client(struct fx *f, const char *name)
{
	struct hvvss_client_event ev;
	struct hvvss_client	*c;
	uint64_t		 end = ev_now() + EV_SEC(2);

	assert_int_equal(hvvss_client_open(&c, f->path, name, 0), 0);
	assert_false(hvvss_client_registered(c));
	while (!registered(f, name) && ev_now() < end)
		tick(f);
	assert_true(registered(f, name));
	assert_int_equal(hvvss_client_read(c, &ev), 0);
	assert_true(hvvss_client_registered(c));
	return c;
}

/* The next event, which must be there now. */
static void
expect_event(struct hvvss_client *c, unsigned phase, uint32_t cycle)
{
	struct hvvss_client_event ev;

	assert_int_equal(hvvss_client_read(c, &ev), 1);
	assert_int_equal(ev.phase, phase);
	assert_int_equal(ev.cycle, cycle);
}

static void
ack(struct hvvss_client *c, int ok)
{
	struct hvvss_client_event ev;

	assert_int_equal(hvvss_client_read(c, &ev), 1);
	assert_int_equal(hvvss_client_ack(c, &ev, ok), 0);
}

static void
expect_nothing(struct hvvss_client *c)
{
	struct hvvss_client_event ev;

	assert_int_equal(hvvss_client_read(c, &ev), 0);
}

static void
t_open_modes(void **state)
{
	struct fx	*f = *state;
	struct notify	 n2;
	struct stat	 st;
	char		 p[160];
	int		 fd;
	struct sockaddr_un sun;

	assert_int_equal(notify_open(&f->n, f->path, 0), 0);
	snprintf(p, sizeof(p), "%s/run", f->dir);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(notify_open(&f->n, f->path, 0), -1);
	assert_int_equal(errno, EALREADY);

	/* A second server may not steal a live socket. */
	notify_init(&n2, &f->ev);
	assert_int_equal(notify_open(&n2, f->path, 0), -1);
	assert_int_equal(errno, EADDRINUSE);
	notify_close(&n2);
	assert_int_equal(lstat(f->path, &st), 0);
	pump(f, 5);	/* the probe connection comes and goes */
	assert_int_equal(notify_clients(&f->n), 0);

	notify_close(&f->n);
	assert_int_equal(lstat(f->path, &st), -1);

	/* A stale socket (no listener) is replaced. */
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	notify_init(&f->n, &f->ev);
	assert_int_equal(notify_open(&f->n, f->path, 0), 0);
	notify_close(&f->n);

	/* Never unlink what is not a socket. */
	fd = open(f->path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	notify_init(&f->n, &f->ev);
	assert_int_equal(notify_open(&f->n, f->path, 0), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(unlink(f->path), 0);

	/* A directory others may write is refused. */
	assert_int_equal(chmod(p, 0777), 0);
	assert_int_equal(notify_open(&f->n, f->path, 0), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(chmod(p, 0700), 0);

	/* umask does not widen the socket. */
	{
		mode_t old = umask(0);

		assert_int_equal(notify_open(&f->n, f->path, 0), 0);
		umask(old);
		assert_int_equal(lstat(f->path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
	/* Too long a path. */
	memset(p, 'a', sizeof(p));
	p[0] = '/';
	p[sizeof(p) - 1] = '\0';
	notify_init(&n2, &f->ev);
	assert_int_equal(notify_open(&n2, p, 0), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

static void
t_broadcast_ack(void **state)
{
	struct fx		*f = *state;
	struct hvvss_client	*c[3];
	struct hvvss_client_event ev;
	int			 i;

	/* No clients, not even open: done(OK) later, never synchronously. */
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_PREPARE, 1,
	    ev_now() + EV_SEC(1), done_cb, f), 0);
	assert_int_equal(f->ndone, 0);
	assert_true(notify_busy(&f->n));
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_FREEZE, 1,
	    ev_now() + EV_SEC(1), done_cb, f), -1);
	assert_int_equal(errno, EBUSY);
	pump_done(f, 1, 100);
	assert_int_equal(f->res, NOTIFY_OK);
	assert_int_equal(notify_broadcast(&f->n, 0, 1, 0, done_cb, f), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(notify_broadcast(&f->n, 5, 1, 0, done_cb, f), -1);

	assert_int_equal(notify_open(&f->n, f->path, 0), 0);
	c[0] = client(f, "alpha");
	c[1] = client(f, "beta");
	c[2] = client(f, "gamma");
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_PREPARE, 42,
	    ev_now() + EV_SEC(3), done_cb, f), 0);
	pump(f, 5);
	for (i = 0; i < 3; i++) {
		assert_int_equal(hvvss_client_read(c[i], &ev), 1);
		assert_int_equal(ev.phase, HVVSS_NOTIFY_PREPARE);
		assert_int_equal(ev.cycle, 42);
		assert_true(ev.timeout_ms > 2000 && ev.timeout_ms <= 3000);
		assert_true(ev.deadline_ns > ev_now());
		assert_int_equal(hvvss_client_ack(c[i], &ev, 1), 0);
		if (i < 2) {
			pump(f, 3);
			assert_int_equal(f->ndone, 1);	/* still waiting */
		}
	}
	pump_done(f, 2, 1000);
	assert_int_equal(f->res, NOTIFY_OK);
	assert_int_equal(f->n.nack, 3);
	assert_int_equal(f->n.ntarget, 3);
	assert_int_equal(notify_owed(&f->n, NOTIFY_OWES_ABORT), 3);
	assert_int_equal(notify_owed(&f->n, NOTIFY_OWES_THAW), 0);
	/* A second ack for the same phase is late: ignored. */
	assert_int_equal(hvvss_client_ack(c[0], &ev, 1), 0);
	pump(f, 3);
	assert_int_equal(f->ndone, 2);
	for (i = 0; i < 3; i++)
		hvvss_client_close(c[i]);
	pump(f, 5);
	assert_int_equal(notify_clients(&f->n), 0);
}

static void
t_timeout_policy(void **state)
{
	struct fx		*f = *state;
	struct hvvss_client	*a, *b;
	struct hvvss_client_event ev;
	uint64_t		 t0;

	assert_int_equal(notify_open(&f->n, f->path, 0), 0);
	a = client(f, "a");
	b = client(f, "b");
	t0 = ev_now();
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_PREPARE, 1,
	    t0 + EV_MS(60), done_cb, f), 0);
	pump(f, 3);
	ack(a, 1);
	assert_int_equal(hvvss_client_read(b, &ev), 1);	/* b sits on it */
	pump_done(f, 1, 1000);
	assert_true(ev_now() - t0 >= EV_MS(55));
	assert_int_equal(f->res, NOTIFY_DEGRADED);	/* default: continue */
	assert_int_equal(f->n.nack, 1);
	assert_int_equal(f->n.ntimeout, 1);
	/* b's late ack changes nothing. */
	assert_int_equal(hvvss_client_ack(b, &ev, 1), 0);
	pump(f, 3);
	assert_int_equal(f->ndone, 1);
	assert_int_equal(f->n.ntimeout, 1);

	notify_set_policy(&f->n, NOTIFY_POLICY_FAIL);
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_PREPARE, 2,
	    ev_now() + EV_MS(30), done_cb, f), 0);
	pump(f, 3);
	ack(a, 1);
	expect_event(b, HVVSS_NOTIFY_PREPARE, 2);
	pump_done(f, 2, 1000);
	assert_int_equal(f->res, NOTIFY_FAILED);

	/* Acked with failure. */
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_PREPARE, 3,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump(f, 3);
	ack(a, 1);
	ack(b, 0);
	pump_done(f, 3, 1000);
	assert_int_equal(f->res, NOTIFY_FAILED);
	assert_int_equal(f->n.nfail, 1);

	/* A deadline already past: every target times out at once. */
	notify_set_policy(&f->n, NOTIFY_POLICY_CONTINUE);
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_ABORT, 3,
	    ev_now() - 1, done_cb, f), 0);
	pump_done(f, 4, 1000);
	assert_int_equal(f->res, NOTIFY_DEGRADED);
	assert_int_equal(f->n.ntimeout, 2);
	assert_int_equal(hvvss_client_read(a, &ev), 1);
	assert_int_equal(ev.timeout_ms, 0);
	hvvss_client_close(a);
	hvvss_client_close(b);
}

static void
t_gone_mid_phase(void **state)
{
	struct fx		*f = *state;
	struct hvvss_client	*a, *b;
	uint64_t		 t0;

	assert_int_equal(notify_open(&f->n, f->path, 0), 0);
	a = client(f, "a");
	b = client(f, "b");
	t0 = ev_now();
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_FREEZE, 9,
	    t0 + EV_SEC(10), done_cb, f), 0);
	pump(f, 3);
	ack(a, 1);
	expect_event(b, HVVSS_NOTIFY_FREEZE, 9);
	hvvss_client_close(b);
	pump_done(f, 1, 2000);
	assert_true(ev_now() - t0 < EV_SEC(2));	/* no wait for the deadline */
	assert_int_equal(f->res, NOTIFY_DEGRADED);
	assert_int_equal(f->n.ngone, 1);
	assert_int_equal(notify_clients(&f->n), 1);
	assert_int_equal(notify_owed(&f->n, NOTIFY_OWES_THAW), 1);

	/* A client that breaks the protocol is out: gone, not waited for. */
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_THAW, 9,
	    ev_now() + EV_SEC(10), done_cb, f), 0);
	pump(f, 3);
	assert_int_equal(send(hvvss_client_fd(a), "garbage", 7, 0), 7);
	pump_done(f, 2, 2000);
	assert_int_equal(f->n.ngone, 1);
	assert_int_equal(notify_clients(&f->n), 0);
	hvvss_client_close(a);
}

static void
t_pairing(void **state)
{
	struct fx		*f = *state;
	struct hvvss_client	*a, *b, *p;

	assert_int_equal(notify_open(&f->n, f->path, 0), 0);
	a = client(f, "a");
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_PREPARE, 1,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump(f, 3);
	ack(a, 1);
	pump_done(f, 1, 1000);
	/* p registers after prepare: it still gets freeze. */
	p = client(f, "p");
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_FREEZE, 1,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump(f, 3);
	ack(a, 1);
	ack(p, 1);
	pump_done(f, 2, 1000);
	assert_int_equal(f->res, NOTIFY_OK);
	/* b registers while frozen: no freeze, so no thaw. */
	b = client(f, "b");
	assert_int_equal(notify_owed(&f->n, NOTIFY_OWES_THAW), 2);
	/* Nothing new may start while thaws are owed. */
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_FREEZE, 2,
	    ev_now() + EV_SEC(5), done_cb, f), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_PREPARE, 2,
	    ev_now() + EV_SEC(5), done_cb, f), -1);
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_THAW, 1,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump(f, 3);
	expect_nothing(b);
	ack(a, 1);
	ack(p, 1);
	pump_done(f, 3, 1000);
	assert_int_equal(f->n.ntarget, 2);
	assert_int_equal(notify_owed(&f->n, NOTIFY_OWES_ABORT), 0);
	/* A second THAW finds nobody (B4 item 33). */
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_THAW, 1,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump_done(f, 4, 1000);
	assert_int_equal(f->n.ntarget, 0);
	expect_nothing(a);

	/* Prepare only: ABORT goes to the prepared, THAW sends them ABORT. */
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_PREPARE, 3,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump(f, 3);
	ack(a, 1);
	ack(b, 1);
	ack(p, 1);
	pump_done(f, 5, 1000);
	hvvss_client_close(p);
	p = client(f, "late");
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_THAW, 3,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump(f, 3);
	expect_event(a, HVVSS_NOTIFY_ABORT, 3);
	expect_event(b, HVVSS_NOTIFY_ABORT, 3);
	expect_nothing(p);
	hvvss_client_close(a);
	hvvss_client_close(b);
	pump_done(f, 6, 1000);
	assert_int_equal(f->n.ngone, 2);
	hvvss_client_close(p);
}

static void
t_dup_full_many(void **state)
{
	struct fx		*f = *state;
	struct hvvss_client	*c[NOTIFY_MAX_CLIENTS], *x;
	struct hvvss_client_event ev;
	char			 name[32];
	int			 i;

	assert_int_equal(notify_open(&f->n, f->path, 0), 0);
	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++) {
		snprintf(name, sizeof(name), "svc-%02d", i);
		c[i] = client(f, name);
	}
	/* Full: refused with a reason. */
	assert_int_equal(hvvss_client_open(&x, f->path, "one-more", 0), 0);
	pump(f, 5);
	assert_int_equal(hvvss_client_read(x, &ev), -1);
	assert_int_equal(errno, EUSERS);
	hvvss_client_close(x);
	/* A name in use by a live client. */
	hvvss_client_close(c[5]);
	pump(f, 5);
	assert_int_equal(hvvss_client_open(&x, f->path, "svc-06", 0), 0);
	pump(f, 5);
	assert_int_equal(hvvss_client_read(x, &ev), -1);
	assert_int_equal(errno, EEXIST);
	hvvss_client_close(x);
	/* A restarted client whose old socket is closed but not yet seen. */
	hvvss_client_close(c[7]);
	assert_int_equal(hvvss_client_open(&x, f->path, "svc-07", 0), 0);
	pump(f, 5);
	assert_int_equal(hvvss_client_read(x, &ev), 0);
	assert_true(hvvss_client_registered(x));
	c[7] = x;
	c[5] = client(f, "svc-05");
	assert_int_equal(notify_clients(&f->n), NOTIFY_MAX_CLIENTS);

	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_FREEZE, 5,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump(f, 5);
	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++)
		ack(c[i], 1);
	pump_done(f, 1, 2000);
	assert_int_equal(f->res, NOTIFY_OK);
	assert_int_equal(f->n.nack, NOTIFY_MAX_CLIENTS);
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_THAW, 5,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump(f, 5);
	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++)
		ack(c[i], 1);
	pump_done(f, 2, 2000);
	assert_int_equal(f->n.nack, NOTIFY_MAX_CLIENTS);
	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++)
		hvvss_client_close(c[i]);
	/* Closing with clients attached frees everything (ASan). */
}

static void
t_unregistered(void **state)
{
	struct fx		*f = *state;
	struct sockaddr_un	 sun;
	struct hvvss_client	*a;
	char			 buf[128];
	int			 fd;

	assert_int_equal(notify_open(&f->n, f->path, 0), 0);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	a = client(f, "a");
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_PREPARE, 1,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump(f, 3);
	/* Not registered: not a target, gets nothing. */
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(f->n.ntarget, 1);
	/* An ACK before REGISTER is a protocol error: dropped. */
	{
		struct hvvss_notify_msg m;
		uint8_t b[64];

		hvvss_notify_init(&m, HVVSS_NOTIFY_ACK);
		m.cycle = 1;
		m.phase = HVVSS_NOTIFY_PREPARE;
		assert_int_equal(hvvss_notify_encode(&m, b, sizeof(b)), 0);
		assert_int_equal(send(fd, b, sizeof(b), 0), 64);
		/* And an oversized packet from a registered one. */
		memset(buf, 0, sizeof(buf));
		memcpy(buf, b, 64);
		assert_int_equal(send(hvvss_client_fd(a), buf, 100, 0), 100);
	}
	pump_done(f, 1, 1000);
	assert_int_equal(f->n.ngone, 1);
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
	close(fd);
	hvvss_client_close(a);
	assert_int_equal(notify_clients(&f->n), 0);
}

/* Let the daemon's send fail: the client never reads, its queue fills. */
static void
t_sendfail(void **state)
{
	struct fx		*f = *state;
	struct hvvss_client	*a;
	int			 i, one = 1;

	assert_int_equal(notify_open(&f->n, f->path, 0), 0);
	a = client(f, "slow");
	for (i = 0; i < NOTIFY_MAX_CLIENTS; i++)
		if (f->n.c[i].fd != -1)
			assert_int_equal(setsockopt(f->n.c[i].fd, SOL_SOCKET,
			    SO_SNDBUF, &one, sizeof(one)), 0);
	for (i = 0; i < 1000 && notify_clients(&f->n) == 1; i++) {
		assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_PREPARE,
		    (uint32_t)i, ev_now(), done_cb, f), 0);
		pump_done(f, i + 1, 1000);
	}
	assert_int_equal(notify_clients(&f->n), 0);
	assert_int_equal(f->n.nsendfail, 1);
	assert_int_equal(f->res, NOTIFY_DEGRADED);
	hvvss_client_close(a);
}

/* A child connects as uid 65534; 0 = refused with EACCES, 1 = accepted. */
static int
foreign_client(struct fx *f)
{
	struct hvvss_client *c;
	pid_t		 pid;
	int		 st = 0;
	pid_t		 w = 0;
	uint64_t	 end;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(9);
		if (hvvss_client_open(&c, f->path, "nobody", 3000) == 0)
			_exit(1);
		_exit(errno == EACCES ? 0 : 8);
	}
	end = ev_now() + EV_SEC(5);
	while ((w = waitpid(pid, &st, WNOHANG)) == 0 && ev_now() < end)
		tick(f);
	if (w != pid) {	/* hung: do not leave it behind, and fail */
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
	}
	assert_int_equal(w, pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
t_peercred(void **state)
{
	struct fx	*f = *state;
	char		 p[160];

	if (geteuid() != 0)
		skip();
	/* Open the file modes wide so only the credential check decides. */
	assert_int_equal(notify_open(&f->n, f->path, 0), 0);
	snprintf(p, sizeof(p), "%s/run", f->dir);
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(p, 0755), 0);
	assert_int_equal(chmod(f->path, 0666), 0);
	assert_int_equal(foreign_client(f), 0);
	assert_int_equal(notify_clients(&f->n), 0);
	notify_close(&f->n);

	/* Allowed uid: accepted; the socket is its, the directory 0701. */
	notify_init(&f->n, &f->ev);
	assert_int_equal(chmod(p, 0700), 0);
	assert_int_equal(notify_open(&f->n, f->path, 65534), 0);
	{
		struct stat st;

		assert_int_equal(lstat(f->path, &st), 0);
		assert_int_equal(st.st_uid, 65534);
		assert_int_equal(lstat(p, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0701);
	}
	assert_int_equal(foreign_client(f), 1);
}

/* ---- hvvss-hold ------------------------------------------------------- */

static int
hold_path(char *buf, size_t len)
{
	const char *slash;

	if (self_path == NULL || (slash = strrchr(self_path, '/')) == NULL)
		return -1;
	/* $(B)/tests/test_notify -> $(B)/hvvss-hold */
	snprintf(buf, len, "%.*s/../hvvss-hold", (int)(slash - self_path),
	    self_path);
	return access(buf, X_OK);
}

static pid_t
read_pid(const char *file)
{
	FILE	*fp = fopen(file, "r");
	long	 v = -1;

	if (fp == NULL)
		return -1;
	if (fscanf(fp, "%ld", &v) != 1)
		v = -1;
	fclose(fp);
	return (pid_t)v;
}

static void
t_hold(void **state)
{
	struct fx	*f = *state;
	char		 bin[PATH_MAX], pidf[160], script[400], tfile[160];
	pid_t		 hold, held;
	int		 st;
	struct stat	 sb;

	if (hold_path(bin, sizeof(bin)) == -1)
		skip();
	assert_int_equal(notify_open(&f->n, f->path, 0), 0);
	snprintf(pidf, sizeof(pidf), "%s/held.pid", f->dir);
	snprintf(tfile, sizeof(tfile), "%s/thawed", f->dir);
	/* The held command reports its pid, says ready, then holds. */
	snprintf(script, sizeof(script), "echo $$ > %s; echo ready; "
	    "exec /bin/sleep 1000", pidf);
	hold = fork();
	assert_true(hold >= 0);
	if (hold == 0) {
		char tcmd[300];

		snprintf(tcmd, sizeof(tcmd), "%s/thaw.sh", f->dir);
		execl(bin, bin, "-r", "-x", "-g", "1", "-n", "holder", "-s",
		    f->path, "-t", tcmd, "--", "/bin/sh", "-c", script,
		    (char *)NULL);
		_exit(127);
	}
	{
		char	tcmd[300];
		FILE	*fp;

		snprintf(tcmd, sizeof(tcmd), "%s/thaw.sh", f->dir);
		fp = fopen(tcmd, "w");
		assert_non_null(fp);
		fprintf(fp, "#!/bin/sh\necho \"$1 $HVVSS_PHASE $HVVSS_CYCLE\" "
		    "> %s\n", tfile);
		fclose(fp);
		assert_int_equal(chmod(tcmd, 0755), 0);
	}
	{
		uint64_t end = ev_now() + EV_SEC(5);

		while (notify_clients(&f->n) == 0 && ev_now() < end)
			tick(f);
		assert_int_equal(notify_clients(&f->n), 1);
	}
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_PREPARE, 11,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump_done(f, 1, 5000);
	assert_int_equal(f->res, NOTIFY_OK);
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_FREEZE, 11,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump_done(f, 2, 5000);
	assert_int_equal(f->res, NOTIFY_OK);
	/* Ready was printed after the pid file: the holder is alive. */
	held = read_pid(pidf);
	assert_true(held > 0);
	assert_int_equal(kill(held, 0), 0);
	assert_int_equal(getpgid(held), held);	/* its own group */
	assert_int_equal(stat(tfile, &sb), -1);
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_THAW, 11,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump_done(f, 3, 5000);
	assert_int_equal(f->res, NOTIFY_OK);
	/* Gone (hvvss-hold reaped it as subreaper), and -t ran. */
	assert_int_equal(kill(held, 0), -1);
	{
		FILE	*fp = fopen(tfile, "r");
		char	 line[64] = "";

		assert_non_null(fp);
		assert_non_null(fgets(line, sizeof(line), fp));
		fclose(fp);
		assert_string_equal(line, "thaw thaw 11\n");
	}
	/* The daemon closing makes hvvss-hold -x leave. */
	notify_close(&f->n);
	assert_int_equal(waitpid(hold, &st, 0), hold);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 69);	/* EX_UNAVAILABLE */
	(void)unlink(pidf);
	(void)unlink(tfile);
	snprintf(script, sizeof(script), "%s/thaw.sh", f->dir);
	(void)unlink(script);
}

static pid_t
hold_start(struct fx *f, const char *bin, const char *name, const char *cmd)
{
	pid_t		pid;
	uint64_t	end = ev_now() + EV_SEC(5);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(bin, bin, "-x", "-g", "1", "-n", name, "-s", f->path,
		    "--", cmd, "1000", (char *)NULL);
		_exit(127);
	}
	while (!registered(f, name) && ev_now() < end)
		tick(f);
	assert_true(registered(f, name));
	return pid;
}

/* A command that cannot run fails the freeze; SIGTERM while held. */
static void
t_hold_fail(void **state)
{
	struct fx	*f = *state;
	char		 bin[PATH_MAX];
	pid_t		 h1, h2;
	int		 st;
	pid_t		 w = 0;
	uint64_t	 end;

	if (hold_path(bin, sizeof(bin)) == -1)
		skip();
	assert_int_equal(notify_open(&f->n, f->path, 0), 0);
	h1 = hold_start(f, bin, "broken", "/nonexistent/cmd");
	h2 = hold_start(f, bin, "sleeper", "/bin/sleep");
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_FREEZE, 4,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump_done(f, 1, 5000);
	assert_int_equal(f->res, NOTIFY_DEGRADED);
	assert_int_equal(f->n.nfail, 1);
	assert_int_equal(f->n.nack, 1);
	/* Told to stop while holding: stops its command, leaves, exit 0. */
	assert_int_equal(kill(h2, SIGTERM), 0);
	end = ev_now() + EV_SEC(5);
	while ((w = waitpid(h2, &st, WNOHANG)) == 0 && ev_now() < end)
		tick(f);
	if (w != h2) {	/* hung: do not leave it behind, and fail */
		(void)kill(h2, SIGKILL);
		(void)waitpid(h2, NULL, 0);
	}
	assert_int_equal(w, h2);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	pump(f, 10);
	assert_false(registered(f, "sleeper"));
	assert_int_equal(notify_broadcast(&f->n, HVVSS_NOTIFY_THAW, 4,
	    ev_now() + EV_SEC(5), done_cb, f), 0);
	pump_done(f, 2, 5000);
	assert_int_equal(f->n.ntarget, 1);
	notify_close(&f->n);
	assert_int_equal(waitpid(h1, &st, 0), h1);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 69);
}

int
main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_known_answers),
		cmocka_unit_test(t_strict),
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_mutations),
		cmocka_unit_test_setup_teardown(t_open_modes, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_broadcast_ack, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_timeout_policy, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_gone_mid_phase, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_pairing, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_dup_full_many, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_unregistered, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_sendfail, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_peercred, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_hold, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(t_hold_fail, fx_setup,
		    fx_teardown),
	};

	(void)argc;
	self_path = argv[0];
	(void)log_init("test_notify", 1, 0);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
