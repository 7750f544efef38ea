/*
 * scenario.c: the scenario language parser and the built-in scenarios.
 *
 * Pure code: no I/O, no clock, no other host module, so the libFuzzer
 * target can compile it alone (tests/fuzz/fuzz_scenario.c).  The input is
 * outside bytes; every error names its line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvvss_ic.h"
#include "hvvss_vss.h"

#include "scenario.h"

#define FLAVOUR_ALL	((1u << SCEN_NFLAVOUR) - 1)

struct pstate {
	char		*err;
	size_t		 errlen;
	unsigned	 line;
};

static const char *const kind_names[SCEN_KIND_MAX] = {
	[SCEN_NEGOTIATE] = "negotiate",
	[SCEN_SEND] = "send",
	[SCEN_RAW] = "raw",
	[SCEN_SNAPSHOT] = "snapshot",
	[SCEN_SLEEP] = "sleep",
	[SCEN_HIBERNATE] = "hibernate",
	[SCEN_WAIT_REGISTER] = "wait-register",
};

static const char *const exp_names[SCEN_EXP_MAX] = {
	[SCEN_EXP_OK] = "ok",
	[SCEN_EXP_FAIL] = "fail",
	[SCEN_EXP_NONE] = "none",
	[SCEN_EXP_REPLY] = "reply",
	[SCEN_EXP_ANY] = "any",
	[SCEN_EXP_STATUS] = "status",
	[SCEN_EXP_NOVERSION] = "noversion",
	[SCEN_EXP_REFUSED] = "refused",
};

static const char *const flavour_names[SCEN_NFLAVOUR] = {
	[SCEN_LINUX] = "linux",
	[SCEN_FREEBSD] = "freebsd",
};

static const char *const tbase_names[SCEN_T_MAX] = {
	[SCEN_T_NONE] = "",
	[SCEN_T_OTHER] = "other",
	[SCEN_T_FREEZE] = "freeze",
	[SCEN_T_BSD] = "bsd",
	[SCEN_T_HOST] = "host",
};

/* protocol.md 3.1; the names the host log uses too. */
static const struct {
	const char	*name;
	unsigned	 op;
} op_names[] = {
	{ "CREATE", HVVSS_OP_CREATE },
	{ "DELETE", HVVSS_OP_DELETE },
	{ "HOT_BACKUP", HVVSS_OP_HOT_BACKUP },
	{ "GET_DM_INFO", HVVSS_OP_GET_DM_INFO },
	{ "BU_COMPLETE", HVVSS_OP_BU_COMPLETE },
	{ "FREEZE", HVVSS_OP_FREEZE },
	{ "THAW", HVVSS_OP_THAW },
	{ "AUTO_RECOVER", HVVSS_OP_AUTO_RECOVER },
	{ "CLUSTER_INFO", HVVSS_OP_CLUSTER_INFO },
};

const char *
scenario_op_name(unsigned op, char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (op_names[i].op == op) {
			snprintf(buf, len, "%s", op_names[i].name);
			return buf;
		}
	snprintf(buf, len, "%u", op);
	return buf;
}

const char *
scenario_kind_name(int k)
{
	if (k < 0 || k >= SCEN_KIND_MAX)
		return "?";
	return kind_names[k];
}

const char *
scenario_exp_name(int k)
{
	if (k < 0 || k >= SCEN_EXP_MAX)
		return "?";
	return exp_names[k];
}

const char *
scenario_flavour_name(int f)
{
	if (f < 0 || f >= SCEN_NFLAVOUR)
		return "?";
	return flavour_names[f];
}

int
scenario_step_applies(const struct scen_step *s, int flavour)
{
	if (flavour < 0 || flavour >= SCEN_NFLAVOUR)
		return 0;
	return (s->only & (1u << flavour)) != 0;
}

static int
perr(struct pstate *ps, const char *fmt, ...)
{
	char	 msg[160];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ps->err != NULL && ps->errlen > 0)
		snprintf(ps->err, ps->errlen, "line %u: %s", ps->line, msg);
	return -1;
}

/* Cut the next whitespace-separated token out of *p (NUL-terminated). */
static char *
next_token(char **p)
{
	char	*s = *p, *t;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' ||
	    *s == '\f')
		s++;
	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	t = s;
	while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' &&
	    *s != '\v' && *s != '\f')
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return t;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decimal or 0x hex, whole token, <= max. */
static int
parse_num(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t	 v = 0;
	unsigned	 base = 10;
	int		 d, n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s != '\0'; s++, n++) {
		d = hexval(*s);
		if (d < 0 || (unsigned)d >= base)
			return -1;
		if (v > (max - (uint64_t)d) / base)
			return -1;
		v = v * base + (uint64_t)d;
	}
	if (n == 0)
		return -1;
	*out = v;
	return 0;
}

/* "3.0" or "3.0,1.0": up to SCEN_MAX_VER u16.u16 pairs. */
static int
parse_versions(const char *s, struct hvvss_icver *v, unsigned *n)
{
	char		 part[32];
	const char	*comma, *dot;
	size_t		 len;
	uint64_t	 maj, min;

	*n = 0;
	for (;;) {
		comma = strchr(s, ',');
		len = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (len == 0 || len >= sizeof(part) || *n >= SCEN_MAX_VER)
			return -1;
		memcpy(part, s, len);
		part[len] = '\0';
		if ((dot = strchr(part, '.')) == NULL)
			return -1;
		part[dot - part] = '\0';
		if (parse_num(part, 0xffff, &maj) == -1 ||
		    parse_num(dot + 1, 0xffff, &min) == -1)
			return -1;
		v[*n].major = (uint16_t)maj;
		v[*n].minor = (uint16_t)min;
		(*n)++;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

/* "200ms", "2s", "2", "1.5", "1.5s": milliseconds. */
static int
parse_abs_dur(const char *s, uint64_t *ms)
{
	char		 num[32];
	const char	*unit;
	size_t		 len, i;
	uint64_t	 whole = 0, frac = 0, scale = 1, mult;
	int		 seen_dot = 0, digits = 0;

	for (unit = s; (*unit >= '0' && *unit <= '9') || *unit == '.'; unit++)
		;
	len = (size_t)(unit - s);
	if (len == 0 || len >= sizeof(num))
		return -1;
	if (strcmp(unit, "ms") == 0)
		mult = 1;
	else if (*unit == '\0' || strcmp(unit, "s") == 0)
		mult = 1000;
	else
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	for (i = 0; i < len; i++) {
		if (num[i] == '.') {
			if (seen_dot++)
				return -1;
			continue;
		}
		digits++;
		if (!seen_dot) {
			if (whole > SCEN_DUR_MAX_MS)
				return -1;
			whole = whole * 10 + (uint64_t)(num[i] - '0');
		} else if (scale < 1000000) {
			frac = frac * 10 + (uint64_t)(num[i] - '0');
			scale *= 10;
		}
	}
	if (digits == 0 || whole > SCEN_DUR_MAX_MS)
		return -1;
	*ms = whole * mult + frac * mult / scale;
	if (*ms > SCEN_DUR_MAX_MS)
		return -1;
	return 0;
}

/* DUR or NAME or NAME+DUR. */
static int
parse_dur(const char *s, struct scen_dur *d)
{
	size_t	 i, len;

	d->base = SCEN_T_NONE;
	d->ms = 0;
	for (i = 1; i < SCEN_T_MAX; i++) {
		len = strlen(tbase_names[i]);
		if (strncmp(s, tbase_names[i], len) != 0)
			continue;
		if (s[len] == '\0') {
			d->base = (enum scen_tbase)i;
			return 0;
		}
		if (s[len] != '+')
			return -1;
		d->base = (enum scen_tbase)i;
		return parse_abs_dur(s + len + 1, &d->ms);
	}
	return parse_abs_dur(s, &d->ms);
}

static int
parse_exp(const char *s, struct scen_exp *e)
{
	uint64_t	 v;
	int		 i;

	if (strncmp(s, "status=", 7) == 0) {
		if (parse_num(s + 7, 0xffffffffu, &v) == -1)
			return -1;
		e->kind = SCEN_EXP_STATUS;
		e->status = (uint32_t)v;
		return 0;
	}
	for (i = 0; i < SCEN_EXP_MAX; i++) {
		if (i == SCEN_EXP_STATUS)
			continue;
		if (strcmp(s, exp_names[i]) == 0) {
			e->kind = (enum scen_exp_kind)i;
			e->status = 0;
			return 0;
		}
	}
	return -1;
}

static int
parse_op(const char *s, unsigned *op)
{
	uint64_t	 v;
	size_t		 i;

	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++) {
		if (strcmp(s, op_names[i].name) == 0) {
			*op = op_names[i].op;
			return 0;
		}
	}
	if (parse_num(s, 255, &v) == -1)
		return -1;
	*op = (unsigned)v;
	return 0;
}

static int
parse_hex_into(struct pstate *ps, struct scen_step *st, const char *tok)
{
	size_t	 n = strlen(tok), i;
	int	 hi, lo;

	if (n % 2 != 0)
		return perr(ps, "odd number of hex digits in '%.20s'", tok);
	if (st->rawlen + n / 2 > SCEN_RAW_MAX)
		return perr(ps, "raw packet longer than %d bytes",
		    SCEN_RAW_MAX);
	for (i = 0; i < n; i += 2) {
		hi = hexval(tok[i]);
		lo = hexval(tok[i + 1]);
		if (hi < 0 || lo < 0)
			return perr(ps, "bad hex digit in '%.20s'", tok);
		st->raw[st->rawlen++] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/*
 * Options common to several step kinds: the EXPECT forms, within,
 * only=.  Returns 1 if the token was consumed, 0 if not ours, -1 error.
 */
static int
parse_common(struct pstate *ps, struct scen_step *st, const char *tok,
    char **rest)
{
	struct scen_exp	 e;
	const char	*val;
	int		 which = -1;
	unsigned	 i;

	if (strcmp(tok, "expect") == 0)
		which = SCEN_NFLAVOUR;
	else if (strcmp(tok, "expect-linux") == 0)
		which = SCEN_LINUX;
	else if (strcmp(tok, "expect-freebsd") == 0)
		which = SCEN_FREEBSD;
	if (which >= 0) {
		if ((val = next_token(rest)) == NULL)
			return perr(ps, "'%s' needs a value", tok);
		if (parse_exp(val, &e) == -1)
			return perr(ps, "bad expectation '%.20s'", val);
		for (i = 0; i < SCEN_NFLAVOUR; i++)
			if (which == SCEN_NFLAVOUR || (unsigned)which == i)
				st->exp[i] = e;
		return 1;
	}
	if (strcmp(tok, "within") == 0) {
		if ((val = next_token(rest)) == NULL)
			return perr(ps, "'within' needs a duration");
		if (parse_dur(val, &st->within) == -1)
			return perr(ps, "bad duration '%.20s'", val);
		st->has_within = 1;
		return 1;
	}
	if (strncmp(tok, "only=", 5) == 0) {
		for (i = 0; i < SCEN_NFLAVOUR; i++)
			if (strcmp(tok + 5, flavour_names[i]) == 0)
				break;
		if (i == SCEN_NFLAVOUR)
			return perr(ps, "unknown flavour '%.20s'", tok + 5);
		st->only = 1u << i;
		return 1;
	}
	return 0;
}

/* key=NUMBER with a maximum. */
static int
opt_num(struct pstate *ps, const char *tok, const char *key, uint64_t max,
    uint64_t *v)
{
	size_t	 n = strlen(key);

	if (strncmp(tok, key, n) != 0 || tok[n] != '=')
		return 0;
	if (parse_num(tok + n + 1, max, v) == -1)
		return perr(ps, "bad value for %s (max %llu)", key,
		    (unsigned long long)max);
	return 1;
}

static int
parse_negotiate(struct pstate *ps, struct scen_step *st, char **rest)
{
	char		*tok;
	uint64_t	 v;
	struct hvvss_icver pair[SCEN_MAX_VER];
	unsigned	 n;
	int		 r;

	/* The default offer of hostsim: what OpenVMM offers (2.3). */
	st->fw[0] = (struct hvvss_icver){ 1, 0 };
	st->fw[1] = (struct hvvss_icver){ 3, 0 };
	st->nfw = 2;
	st->vss[0] = (struct hvvss_icver){ 4, 0 };
	st->vss[1] = (struct hvvss_icver){ 5, 0 };
	st->nvss = 2;
	while ((tok = next_token(rest)) != NULL) {
		if ((r = parse_common(ps, st, tok, rest)) != 0) {
			if (r < 0)
				return -1;
			continue;
		}
		if (strncmp(tok, "fw=", 3) == 0) {
			if (parse_versions(tok + 3, st->fw, &st->nfw) == -1)
				return perr(ps, "bad version list '%.20s'",
				    tok);
		} else if (strncmp(tok, "vss=", 4) == 0) {
			if (parse_versions(tok + 4, st->vss, &st->nvss) == -1)
				return perr(ps, "bad version list '%.20s'",
				    tok);
		} else if (strncmp(tok, "chosen=", 7) == 0) {
			if (parse_versions(tok + 7, pair, &n) == -1 || n != 2)
				return perr(ps, "chosen= needs FW,VSS");
			st->has_chosen = 1;
			st->chosen_fw = pair[0];
			st->chosen_vss = pair[1];
		} else if ((r = opt_num(ps, tok, "fwcount", 0xffff, &v)) != 0) {
			if (r < 0)
				return -1;
			st->fwcount = (long)v;
		} else if ((r = opt_num(ps, tok, "vsscount", 0xffff,
		    &v)) != 0) {
			if (r < 0)
				return -1;
			st->vsscount = (long)v;
		} else if ((r = opt_num(ps, tok, "len", SCEN_LEN_MAX,
		    &v)) != 0) {
			if (r < 0)
				return -1;
			st->len = (long)v;
		} else
			return perr(ps, "unknown negotiate option '%.20s'",
			    tok);
	}
	return 0;
}

static int
parse_send(struct pstate *ps, struct scen_step *st, char **rest)
{
	char		*tok;
	uint64_t	 v;
	int		 r;

	if ((tok = next_token(rest)) == NULL)
		return perr(ps, "send needs an operation or 'raw'");
	if (strcmp(tok, "raw") == 0) {
		st->kind = SCEN_RAW;
		st->exp[SCEN_LINUX].kind = SCEN_EXP_ANY;
		st->exp[SCEN_FREEBSD].kind = SCEN_EXP_ANY;
		if ((st->raw = malloc(SCEN_RAW_MAX)) == NULL)
			return perr(ps, "out of memory");
		while ((tok = next_token(rest)) != NULL) {
			if ((r = parse_common(ps, st, tok, rest)) != 0) {
				if (r < 0)
					return -1;
				continue;
			}
			if (parse_hex_into(ps, st, tok) == -1)
				return -1;
		}
		if (st->rawlen == 0)
			return perr(ps, "send raw needs hex bytes");
		return 0;
	}
	if (parse_op(tok, &st->op) == -1)
		return perr(ps, "unknown operation '%.20s'", tok);
	while ((tok = next_token(rest)) != NULL) {
		if ((r = parse_common(ps, st, tok, rest)) != 0) {
			if (r < 0)
				return -1;
			continue;
		}
		if (strcmp(tok, "kill-daemon") == 0) {
			st->kill_daemon = 1;
			continue;
		}
		if ((r = opt_num(ps, tok, "flags", 0xffffffffu, &v)) != 0) {
			if (r < 0)
				return -1;
			st->flags = (uint32_t)v;
		} else if ((r = opt_num(ps, tok, "luns", SCEN_MAX_LUNS,
		    &v)) != 0) {
			if (r < 0)
				return -1;
			st->nluns = (unsigned)v;
		} else if ((r = opt_num(ps, tok, "len", SCEN_LEN_MAX,
		    &v)) != 0) {
			if (r < 0)
				return -1;
			st->len = (long)v;
		} else if ((r = opt_num(ps, tok, "type", 0xffff, &v)) != 0) {
			if (r < 0)
				return -1;
			st->type = (long)v;
		} else if ((r = opt_num(ps, tok, "icflags", 0xff, &v)) != 0) {
			if (r < 0)
				return -1;
			st->icflags = (long)v;
		} else if ((r = opt_num(ps, tok, "pipe", 0xffffffffu,
		    &v)) != 0) {
			if (r < 0)
				return -1;
			st->pipe = (long)v;
		} else if ((r = opt_num(ps, tok, "reply-flags", 0xffffffffu,
		    &v)) != 0) {
			if (r < 0)
				return -1;
			st->has_reply_flags[SCEN_LINUX] = 1;
			st->has_reply_flags[SCEN_FREEBSD] = 1;
			st->reply_flags[SCEN_LINUX] = (uint32_t)v;
			st->reply_flags[SCEN_FREEBSD] = (uint32_t)v;
		} else if ((r = opt_num(ps, tok, "reply-flags-linux",
		    0xffffffffu, &v)) != 0) {
			if (r < 0)
				return -1;
			st->has_reply_flags[SCEN_LINUX] = 1;
			st->reply_flags[SCEN_LINUX] = (uint32_t)v;
		} else if ((r = opt_num(ps, tok, "reply-flags-freebsd",
		    0xffffffffu, &v)) != 0) {
			if (r < 0)
				return -1;
			st->has_reply_flags[SCEN_FREEBSD] = 1;
			st->reply_flags[SCEN_FREEBSD] = (uint32_t)v;
		} else
			return perr(ps, "unknown send option '%.20s'", tok);
	}
	return 0;
}

/* Steps that take only the common options (or nothing). */
static int
parse_simple(struct pstate *ps, struct scen_step *st, char **rest)
{
	char	*tok;
	int	 r;

	while ((tok = next_token(rest)) != NULL) {
		if ((r = parse_common(ps, st, tok, rest)) < 0)
			return -1;
		if (r == 0)
			return perr(ps, "unexpected '%.20s' after %s", tok,
			    kind_names[st->kind]);
	}
	return 0;
}

static void
step_defaults(struct scen_step *st, enum scen_kind kind, unsigned line)
{
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->line = line;
	st->only = FLAVOUR_ALL;
	st->exp[SCEN_LINUX].kind = SCEN_EXP_OK;
	st->exp[SCEN_FREEBSD].kind = SCEN_EXP_OK;
	st->fwcount = st->vsscount = -1;
	st->len = st->type = st->icflags = st->pipe = -1;
}

static int
parse_line(struct pstate *ps, struct scenario *sc, char *line, int *in_cycle,
    int *had_cycle, int *had_end)
{
	struct scen_step	*st;
	char			*rest = line, *kw, *tok;
	int			 r, k;

	if ((kw = next_token(&rest)) == NULL)
		return 0;
	if (strcmp(kw, "cycle") == 0 || strcmp(kw, "end") == 0) {
		if ((tok = next_token(&rest)) != NULL)
			return perr(ps, "unexpected '%.20s' after %s", tok, kw);
		if (kw[0] == 'c') {
			if (*had_cycle)
				return perr(ps, "second 'cycle'");
			*had_cycle = *in_cycle = 1;
			sc->cycle_begin = sc->nsteps;
		} else {
			if (!*in_cycle)
				return perr(ps, "'end' without 'cycle'");
			*in_cycle = 0;
			*had_end = 1;
			sc->cycle_end = sc->nsteps;
		}
		return 0;
	}
	if (sc->nsteps >= SCEN_MAX_STEPS)
		return perr(ps, "more than %d steps", SCEN_MAX_STEPS);
	st = &sc->steps[sc->nsteps];
	/* The keyword is the step's name (kind_names); "raw" is not one. */
	for (k = 0; k < SCEN_KIND_MAX; k++)
		if (k != SCEN_RAW && kind_names[k] != NULL &&
		    strcmp(kw, kind_names[k]) == 0)
			break;
	if (k == SCEN_KIND_MAX)
		return perr(ps, "unknown keyword '%.20s'", kw);
	step_defaults(st, (enum scen_kind)k, ps->line);
	switch (k) {
	case SCEN_NEGOTIATE:
		r = parse_negotiate(ps, st, &rest);
		break;
	case SCEN_SEND:
		r = parse_send(ps, st, &rest);
		break;
	case SCEN_SLEEP:
		if ((tok = next_token(&rest)) == NULL)
			return perr(ps, "sleep needs a duration");
		if (parse_dur(tok, &st->sleep) == -1)
			return perr(ps, "bad duration '%.20s'", tok);
		/* FALLTHROUGH */
	default:
		r = parse_simple(ps, st, &rest);
		break;
	}
	/* Count the step even on error so scenario_free() frees its raw. */
	sc->nsteps++;
	return r;
}

int
scenario_parse(const char *text, size_t len, struct scenario *sc, char *err,
    size_t errlen)
{
	struct pstate	 ps = { err, errlen, 0 };
	const char	*q;
	char		*buf, *line, *next, *hash;
	int		 in_cycle = 0, had_cycle = 0, had_end = 0;

	memset(sc, 0, sizeof(*sc));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		ps.line = 1;
		for (q = text; *q != '\0'; q++)
			if (*q == '\n')
				ps.line++;
		return perr(&ps, "NUL byte in scenario text");
	}
	if ((buf = malloc(len + 1)) == NULL)
		return perr(&ps, "out of memory");
	memcpy(buf, text, len);
	buf[len] = '\0';
	if ((sc->steps = calloc(SCEN_MAX_STEPS, sizeof(*sc->steps))) == NULL) {
		free(buf);
		return perr(&ps, "out of memory");
	}
	for (line = buf; line != NULL; line = next) {
		ps.line++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		if (parse_line(&ps, sc, line, &in_cycle, &had_cycle,
		    &had_end) == -1)
			goto fail;
	}
	if (!had_cycle) {
		sc->cycle_begin = 0;
		sc->cycle_end = sc->nsteps;
	} else if (!had_end)
		sc->cycle_end = sc->nsteps;
	free(buf);
	return 0;
fail:
	free(buf);
	scenario_free(sc);
	return -1;
}

void
scenario_free(struct scenario *sc)
{
	size_t	 i;

	if (sc->steps != NULL)
		for (i = 0; i < sc->nsteps; i++)
			free(sc->steps[i].raw);
	free(sc->steps);
	memset(sc, 0, sizeof(*sc));
}

/*
 * The built-in scenarios (-s NAME).  Expectations are what the real
 * kernels reply (protocol.md 1.10, 2.4-2.7, 3.5, 5, 6); where Linux and
 * FreeBSD differ the line says both.  Waits default to the driver's own
 * timeout plus 5 s, or 500 ms where no reply is expected.
 */
static const struct {
	const char	*name;
	const char	*text;
} builtins[] = {
	{ "backup",
	    "# One Hyper-V online backup per cycle (protocol.md 4.1).\n"
	    "negotiate fw=1.0,3.0 vss=4.0,5.0 expect ok\n"
	    "cycle\n"
	    "# Linux: the reply keeps the host's flags (0), see 9.1 item 1;\n"
	    "# FreeBSD always answers NO_AUTO_RECOVERY (5).\n"
	    "send HOT_BACKUP reply-flags-linux=0 reply-flags-freebsd=5\n"
	    "send GET_DM_INFO reply-flags=0\n"
	    "send FREEZE luns=1\n"
	    "snapshot\n"
	    "send THAW\n"
	    "# Linux's kernel answers BU_COMPLETE itself; FreeBSD never.\n"
	    "send BU_COMPLETE expect-freebsd none\n"
	    "end\n" },
	{ "check",
	    "# Capability check only, nothing is frozen: safe with any\n"
	    "# daemon outside a sandbox (the smoke test uses it).\n"
	    "negotiate fw=1.0,3.0 vss=4.0,5.0 expect ok\n"
	    "cycle\n"
	    "send HOT_BACKUP\n"
	    "send GET_DM_INFO\n"
	    "send BU_COMPLETE expect-freebsd none\n"
	    "end\n" },
	{ "no-thaw",
	    "# The host never sends THAW.  The guest stays frozen unless the\n"
	    "# daemon thaws on its own; the host only records it and waits\n"
	    "# one 'other' timeout before closing the cycle.\n"
	    "negotiate expect ok\n"
	    "cycle\n"
	    "send HOT_BACKUP\n"
	    "send GET_DM_INFO\n"
	    "send FREEZE luns=1\n"
	    "snapshot\n"
	    "sleep other only=linux\n"
	    "sleep bsd only=freebsd\n"
	    "send BU_COMPLETE expect-freebsd none\n"
	    "end\n" },
	{ "late-thaw",
	    "# THAW arrives after longer than the driver's daemon timeout.\n"
	    "# Neither kernel limits how long a guest stays frozen (that\n"
	    "# timeout only bounds the wait for a daemon reply), so the late\n"
	    "# THAW is forwarded and answered; the frozen window shows it.\n"
	    "negotiate expect ok\n"
	    "cycle\n"
	    "send HOT_BACKUP\n"
	    "send GET_DM_INFO\n"
	    "send FREEZE luns=1\n"
	    "snapshot\n"
	    "sleep other+1s only=linux\n"
	    "sleep bsd+1s only=freebsd\n"
	    "send THAW\n"
	    "send BU_COMPLETE expect-freebsd none\n"
	    "end\n" },
	{ "dup-freeze",
	    "# A second FREEZE while frozen.  Both kernels forward it; the\n"
	    "# answer is the daemon's (Linux's daemon counts EBUSY as\n"
	    "# success, FreeBSD's fails the second UFSSUSPEND), so any\n"
	    "# well-formed reply is accepted.  One THAW must thaw all.\n"
	    "negotiate expect ok\n"
	    "cycle\n"
	    "send HOT_BACKUP\n"
	    "send GET_DM_INFO\n"
	    "send FREEZE luns=1\n"
	    "snapshot\n"
	    "send FREEZE luns=1 expect reply\n"
	    "send THAW\n"
	    "send BU_COMPLETE expect-freebsd none\n"
	    "end\n" },
	{ "unexpected-op",
	    "# Operations no daemon handles.  Linux's kernel answers S_OK to\n"
	    "# everything but 2/5/6 without asking the daemon; FreeBSD does\n"
	    "# not answer them at all while its daemon lives (3.5).\n"
	    "negotiate expect ok\n"
	    "cycle\n"
	    "send HOT_BACKUP\n"
	    "send CREATE expect-freebsd none\n"
	    "send DELETE expect-freebsd none\n"
	    "send AUTO_RECOVER expect-freebsd none\n"
	    "send CLUSTER_INFO expect-freebsd none\n"
	    "send 200 expect-freebsd none\n"
	    "# THAW without FREEZE is forwarded; daemons treat it as done.\n"
	    "send THAW\n"
	    "send HOT_BACKUP\n"
	    "end\n" },
	{ "malformed",
	    "# Packets a real host would not send.  Linux drops unknown IC\n"
	    "# types; neither kernel looks at the pipe header or at the\n"
	    "# request's icflags; FreeBSD does not check the IC type at all.\n"
	    "negotiate expect ok\n"
	    "cycle\n"
	    "send HOT_BACKUP type=2 expect none expect-freebsd ok\n"
	    "send HOT_BACKUP pipe=7\n"
	    "send HOT_BACKUP icflags=0\n"
	    "# Counts above 100, or more versions than the packet holds:\n"
	    "# Linux answers counts 0, FreeBSD EINVAL in the status.\n"
	    "negotiate fwcount=101 expect refused\n"
	    "negotiate vsscount=9 expect refused\n"
	    "send 0x42 expect-freebsd none\n"
	    "send HOT_BACKUP\n"
	    "end\n" },
	{ "truncated",
	    "# Short packets (VMBus pads every packet to 8 bytes, 1.2).\n"
	    "# Linux drops < 28 bytes and VSS < 40 (1.10); FreeBSD checks no\n"
	    "# VSS length and reads a stale op byte from its buffer.\n"
	    "negotiate expect ok\n"
	    "cycle\n"
	    "send HOT_BACKUP len=24 expect none expect-freebsd any within 1\n"
	    "send HOT_BACKUP len=32 expect none expect-freebsd ok\n"
	    "# Linux answers a 32-byte negotiate with counts 0; FreeBSD\n"
	    "# refuses anything below 36 bytes with EINVAL.\n"
	    "negotiate len=32 expect refused\n"
	    "# FREEZE cut to 40 bytes: the LUN list is never read, so it is\n"
	    "# forwarded like any other FREEZE.\n"
	    "send FREEZE luns=1 len=40\n"
	    "snapshot\n"
	    "send THAW\n"
	    "send HOT_BACKUP\n"
	    "end\n" },
	{ "oversized",
	    "# The largest FREEZE (260 LUNs, 6288 bytes) fits Linux's\n"
	    "# 8192-byte buffer.  After the cycles, an AUTO_RECOVER of\n"
	    "# MSG2_EX size (12528 bytes) does not: Linux cannot read it and\n"
	    "# it stays at the head of the ring, so nothing after it is ever\n"
	    "# answered.  FreeBSD (16 KiB buffer) reads it and, as for any\n"
	    "# unknown op, does not answer while its daemon lives.\n"
	    "negotiate expect ok\n"
	    "cycle\n"
	    "send HOT_BACKUP\n"
	    "send GET_DM_INFO\n"
	    "send FREEZE luns=260\n"
	    "snapshot\n"
	    "send THAW\n"
	    "send BU_COMPLETE expect-freebsd none\n"
	    "end\n"
	    "send AUTO_RECOVER len=12528 expect none\n"
	    "send HOT_BACKUP expect none expect-freebsd ok\n" },
	{ "bad-nego",
	    "# The host offers no version the guest accepts.  Linux wants\n"
	    "# exactly fw 3.0 / VSS 5.0 and answers counts 0; FreeBSD takes\n"
	    "# the best version <= its own, so it accepts 1.0/4.0 (9.1\n"
	    "# item 6) and refuses only VSS > 5.0 (EOPNOTSUPP in the status).\n"
	    "# The host then does no online backup.\n"
	    "cycle\n"
	    "negotiate fw=1.0 vss=4.0 expect noversion expect-freebsd ok\n"
	    "negotiate fw=3.0 vss=6.0,7.0 expect noversion "
	    "expect-freebsd refused\n"
	    "end\n" },
	{ "hibernate",
	    "# Hibernation while frozen (5.6): Linux's pre_suspend fakes a\n"
	    "# THAW to the daemon, drops the host transaction and forces\n"
	    "# READY; the daemon's reply then fails EINVAL, it reopens the\n"
	    "# device and registers again.  After resume the host\n"
	    "# renegotiates.  FreeBSD has no such hook: it gets a plain THAW.\n"
	    "negotiate expect ok\n"
	    "cycle\n"
	    "send HOT_BACKUP\n"
	    "send GET_DM_INFO\n"
	    "send FREEZE luns=1\n"
	    "snapshot\n"
	    "hibernate only=linux\n"
	    "wait-register within 15 only=linux\n"
	    "negotiate expect ok only=linux\n"
	    "send THAW only=freebsd\n"
	    "send HOT_BACKUP\n"
	    "end\n" },
	{ "daemon-close",
	    "# Normal cycles, then the daemon dies mid-FREEZE: the host kills\n"
	    "# it as it reads the FREEZE request, before it can act.  Linux\n"
	    "# fails the transaction at once on release (5.5); FreeBSD when\n"
	    "# its 15 s callout fires (6.6).  Afterwards every request fails\n"
	    "# (not registered / killed after launch).\n"
	    "negotiate expect ok\n"
	    "cycle\n"
	    "send HOT_BACKUP\n"
	    "send GET_DM_INFO\n"
	    "send FREEZE luns=1\n"
	    "snapshot\n"
	    "send THAW\n"
	    "send BU_COMPLETE expect-freebsd none\n"
	    "end\n"
	    "send HOT_BACKUP\n"
	    "send FREEZE luns=1 kill-daemon expect fail\n"
	    "send HOT_BACKUP expect fail\n" },
};

const char *
scenario_builtin(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i].name, name) == 0)
			return builtins[i].text;
	return NULL;
}

const char *
scenario_builtin_name(size_t i)
{
	if (i >= sizeof(builtins) / sizeof(builtins[0]))
		return NULL;
	return builtins[i].name;
}
