/*
 * hvvssctl: ask hv_vss_daemon what it is doing, and tell it to thaw
 * (hvvssctl(8)).
 *
 *	hvvssctl [-j] [-s socket] status | plan | history [N] | thaw
 *
 * status, history and thaw go to the daemon's control socket (control.h).
 * plan never does: it plans here, with the daemon's own modules, from the
 * same mount table, sysfs and configuration file.  When no daemon answers
 * (no socket, or nobody listening on it), status reads the journal and
 * thaw thaws what the journal names, as the daemon does when it starts.
 *
 * What we print goes to stdout; diagnostics, and the daemon modules' log
 * lines, to stderr.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "facts.h"
#include "history.h"
#include "journal.h"
#include "log.h"
#include "mountinfo.h"
#include "mounts.h"
#include "plan.h"
#include "rcuexp.h"
#include "vssd.h"

/* thaw may wait for a loop turn behind a hook's output; the rest less. */
#define CALL_TIMEOUT_MS		10000
#define JOURNAL_MAX_BYTES	(1024 * 1024)
#define PLAN_MAX_BYTES		(64u * 1024 * 1024)
/* A quoted mount point: PATH_MAX bytes, each at most 6 escaped. */
#define QUOTE_MAX		(6 * 4096 + 8)

static int	 json;
static char	 reply[CONTROL_REPLY_MAX + 1];
static char	 quoted[QUOTE_MAX];

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: hvvssctl [-j] [-s socket] "
	    "status | plan | history [N] | thaw\n");
	exit(EX_USAGE);
}

static const char *
q(const char *s)
{
	(void)control_quote(s, json, quoted, sizeof(quoted));
	return quoted;
}

/* ---- the journal, when the daemon is down ------------------------------- */

struct jrnl {
	int		 state;		/* 0 absent, 1 read, -1 unusable */
	int		 err;		/* unusable: errno, if not errline */
	size_t		 errline;
	char		*text;
	struct journal_entry *v;
	size_t		 n;
};

static void
jrnl_read(struct jrnl *j, const char *path)
{
	ssize_t	r;
	size_t	len = 0;
	int	fd;

	memset(j, 0, sizeof(*j));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		j->err = errno;
		j->state = errno == ENOENT ? 0 : -1;
		return;
	}
	j->text = malloc(JOURNAL_MAX_BYTES);
	j->v = calloc(JOURNAL_MAX_ENTRIES, sizeof(*j->v));
	if (j->text == NULL || j->v == NULL) {
		j->err = errno;
		close(fd);
		j->state = -1;
		return;
	}
	while (len < JOURNAL_MAX_BYTES &&
	    (r = read(fd, j->text + len, JOURNAL_MAX_BYTES - len)) > 0)
		len += (size_t)r;
	close(fd);
	j->state = journal_parse(j->text, len, j->v, JOURNAL_MAX_ENTRIES,
	    &j->n, &j->errline) == 0 ? 1 : -1;
}

static void
jrnl_free(struct jrnl *j)
{
	free(j->text);
	free(j->v);
	memset(j, 0, sizeof(*j));
}

static void
jrnl_json(const struct jrnl *j)
{
	size_t	i;

	printf("\"journal\":%s,\"journal_state\":\"%s\",\"journal_mounts\":[",
	    q(JOURNAL_DEFAULT_PATH), j->state == 0 ? "absent" :
	    j->state == 1 ? "present" : "unusable");
	for (i = 0; i < j->n; i++)
		printf("%s%s", i > 0 ? "," : "", q(j->v[i].mnt));
	printf("]");
}

static void
jrnl_text(const struct jrnl *j, const char *what)
{
	size_t	i;

	printf("journal    %s: ", q(JOURNAL_DEFAULT_PATH));
	if (j->state == 0)
		printf("absent, nothing is recorded as frozen\n");
	else if (j->state == -1 && j->errline > 0)
		printf("malformed at line %zu, kept for a human to read\n",
		    j->errline);
	else if (j->state == -1)
		printf("unreadable: %s\n", strerror(j->err));
	else {
		printf("%zu filesystem%s %s\n", j->n, j->n == 1 ? "" : "s",
		    what);
		for (i = 0; i < j->n; i++)
			printf("           %s\n", q(j->v[i].mnt));
	}
}

static int
down_status(const char *sock, int err)
{
	struct jrnl	j;

	jrnl_read(&j, JOURNAL_DEFAULT_PATH);
	if (json) {
		printf("{\"ok\":true,\"daemon\":\"down\",\"socket\":%s,",
		    q(sock));
		printf("\"reason\":%s,", q(strerror(err)));
		jrnl_json(&j);
		printf("}\n");
	} else {
		printf("daemon     not running (%s: %s)\n", q(sock),
		    strerror(err));
		jrnl_text(&j, "recorded as frozen by a run that did not thaw "
		    "them; 'hvvssctl thaw' or starting hv_vss_daemon thaws "
		    "them");
	}
	jrnl_free(&j);
	return EX_UNAVAILABLE;
}

/*
 * No daemon: thaw what its journal names, exactly as a starting daemon
 * would (journal_recover: each mount point is checked to be the very mount
 * that was frozen).  Its per-filesystem lines go to stderr.
 */
static int
down_thaw(const char *sock, int err)
{
	struct jrnl	j;
	int		r, rcu;

	jrnl_read(&j, JOURNAL_DEFAULT_PATH);
	r = j.state == 0 ? 0 : journal_recover(JOURNAL_DEFAULT_PATH);
	/* And the RCU knob, if it died with it raised (rcuexp.h). */
	rcu = rcx_recover("/sys" RCX_KNOB, JOURNAL_DEFAULT_PATH
	    RCX_MARKER_SUFFIX);
	if (json) {
		printf("{\"ok\":%s,\"daemon\":\"down\",\"socket\":%s,",
		    r >= 0 ? "true" : "false", q(sock));
		printf("\"reason\":%s,", q(strerror(err)));
		jrnl_json(&j);
		if (r >= 0)
			printf(",\"thawed\":%d}\n", r);
		else
			printf(",\"thawed\":null}\n");
	} else {
		printf("daemon     not running (%s: %s)\n", q(sock),
		    strerror(err));
		jrnl_text(&j, "named");
		if (j.state == 0)
			printf("thawed     nothing: no journal\n");
		else if (r >= 0)
			printf("thawed     %d of %zu (the rest were not frozen, "
			    "or not the same mount: see above)\n", r, j.n);
		else
			printf("thawed     nothing: the journal could not be "
			    "used; something may still be frozen\n");
		if (rcu == 1)
			printf("rcu        /sys/kernel/rcu_expedited put back to "
			    "0 (left raised by the dead daemon)\n");
	}
	jrnl_free(&j);
	return r >= 0 ? EX_OK : EX_SOFTWARE;
}

/* ---- plan --------------------------------------------------------------- */

static int
plan_json(const struct vssd_conf *c)
{
	struct plan_policy	 pol;
	struct mi_error		 merr;
	struct mi_table		 mi;
	struct facts		 facts;
	struct plan		 plan;
	char			*text = NULL, *buf = NULL;
	size_t			 len, size, n;
	int			 rc = EX_OSERR;

	if (mounts_read(c->mountinfo, &text, &len) == -1) {
		fprintf(stderr, "hvvssctl: %s: %s\n", c->mountinfo,
		    strerror(errno));
		return EX_OSERR;
	}
	if (mi_parse(text, len, &mi, &merr) == -1) {
		fprintf(stderr, "hvvssctl: %s: line %zu: %s\n", c->mountinfo,
		    merr.line, mi_err_name(merr.code));
		free(text);
		return EX_DATAERR;
	}
	if (facts_gather(c->sysroot, &mi, &facts) == -1) {
		fprintf(stderr, "hvvssctl: %s: %s\n", c->sysroot,
		    strerror(errno));
		goto out_mi;
	}
	memset(&pol, 0, sizeof(pol));
	pol.include = c->include;
	pol.exclude = c->exclude;
	pol.freeze_unknown = 1;
	if (plan_build(&mi, &facts, &pol, &plan) == -1) {
		fprintf(stderr, "hvvssctl: plan: %s\n",
		    plan_err_name(plan.err));
		rc = EX_DATAERR;
		goto out_facts;
	}
	/* Grow until nothing is cut: a plan has no size limit of its own. */
	for (size = 256 * 1024; size <= PLAN_MAX_BYTES; size *= 2) {
		free(buf);
		if ((buf = malloc(size)) == NULL)
			break;
		n = control_render_plan(&mi, &plan, buf, size);
		if (n < 18 || strcmp(buf + n - 18, "\"truncated\":true}\n") != 0)
			break;
	}
	if (buf != NULL && size <= PLAN_MAX_BYTES) {
		fputs(buf, stdout);
		rc = EX_OK;
	} else
		fprintf(stderr, "hvvssctl: plan: too large\n");
	free(buf);
	plan_free(&plan);
 out_facts:
	facts_free(&facts);
 out_mi:
	mi_free(&mi);
	free(text);
	return rc;
}

/* The daemon's configuration, as far as planning goes. */
static int
do_plan(void)
{
	struct vssd_conf	c;
	struct config		cf;
	int			rc;

	vssd_conf_default(&c);
	config_init(&cf);
	if (config_load(&cf, CONFIG_DEFAULT_PATH, 0) == -1) {
		if (cf.err_line > 0)
			fprintf(stderr, "hvvssctl: %s:%d: %s\n",
			    CONFIG_DEFAULT_PATH, cf.err_line, cf.err);
		else
			fprintf(stderr, "hvvssctl: %s: %s\n",
			    CONFIG_DEFAULT_PATH, cf.err);
		config_free(&cf);
		return EX_CONFIG;
	}
	if (cf.ninclude > 0)
		c.include = (const char *const *)cf.include;
	if (cf.nexclude > 0)
		c.exclude = (const char *const *)cf.exclude;
	if (json)
		rc = plan_json(&c);
	else
		rc = vssd_print_plan(&c) == 0 ? EX_OK : EX_OSERR;
	config_free(&cf);
	return rc;
}

/* ---- the daemon --------------------------------------------------------- */

static int
ask(const char *sock, const struct control_req *rq)
{
	enum control_result	 res;
	const char		*body;
	char			 req[CONTROL_REQ_MAX + 1];
	size_t			 len, blen;
	int			 e;

	if (control_format(rq, req, sizeof(req)) >= sizeof(req))
		return EX_SOFTWARE;
	if (control_call(sock, req, reply, sizeof(reply), &len,
	    CALL_TIMEOUT_MS) == -1) {
		e = errno;
		if (e == ENOENT || e == ECONNREFUSED) {
			if (rq->cmd == CC_STATUS)
				return down_status(sock, e);
			if (rq->cmd == CC_THAW)
				return down_thaw(sock, e);
			fprintf(stderr, "hvvssctl: hv_vss_daemon is not running "
			    "(%s: %s); the history lives in the daemon\n", sock,
			    strerror(e));
			return EX_UNAVAILABLE;
		}
		fprintf(stderr, "hvvssctl: %s: %s\n", sock, strerror(e));
		switch (e) {
		case EACCES:
		case EPERM:
			return EX_NOPERM;
		case ETIMEDOUT:
		case EAGAIN:
			return EX_TEMPFAIL;
		case EMSGSIZE:
		case ECONNRESET:
			return EX_PROTOCOL;
		default:
			return EX_OSERR;
		}
	}
	if (control_reply_parse(reply, len, &res, &body, &blen) == -1) {
		fprintf(stderr, "hvvssctl: %s: not a control reply\n", sock);
		return EX_PROTOCOL;
	}
	if (fwrite(body, 1, blen, res == CR_ERROR ? stderr : stdout) != blen)
		return EX_IOERR;
	switch (res) {
	case CR_OK:
		return EX_OK;
	case CR_FAIL:
		return EX_SOFTWARE;
	default:
		return EX_PROTOCOL;
	}
}

int
main(int argc, char *argv[])
{
	struct control_req	 rq;
	const char		*sock = CONTROL_PATH;
	char			*end;
	unsigned long		 ul;
	int			 ch, rc;

	static const struct option longopts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "socket",	required_argument,	NULL, 's' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};

	while ((ch = getopt_long(argc, argv, "hjs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 's':
			sock = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	memset(&rq, 0, sizeof(rq));
	rq.json = json;
	rq.n = CONTROL_HISTORY_DEFAULT;
	/* stderr, no syslog: journal_recover and the planner log there. */
	(void)log_init("hvvssctl", 1, 0);
	if (strcmp(argv[0], "plan") == 0 && argc == 1) {
		rc = do_plan();
		return fflush(stdout) == 0 ? rc : EX_IOERR;
	}
	if (strcmp(argv[0], "status") == 0 && argc == 1)
		rq.cmd = CC_STATUS;
	else if (strcmp(argv[0], "thaw") == 0 && argc == 1)
		rq.cmd = CC_THAW;
	else if (strcmp(argv[0], "history") == 0 && argc <= 2) {
		rq.cmd = CC_HISTORY;
		if (argc == 2) {
			errno = 0;
			ul = strtoul(argv[1], &end, 10);
			if (errno != 0 || end == argv[1] || *end != '\0' ||
			    argv[1][0] < '0' || argv[1][0] > '9' || ul < 1 ||
			    ul > HISTORY_MAX)
				usage();
			rq.n = (unsigned)ul;
		}
	} else
		usage();
	rc = ask(sock, &rq);
	return fflush(stdout) == 0 ? rc : EX_IOERR;
}
