/*
 * test_control.c: the control socket (daemon/control.c): the request
 * parser with known answers and deterministic mutations, the reply head,
 * the renderers (golden strings, and every JSON body checked by a strict
 * validator that also decodes strings back to bytes), truncation at every
 * size, and the real server on the real ev loop against real client
 * sockets in a temporary directory: round trips, strictness, eviction,
 * credentials, stale sockets and control_call() from a child.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
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

#include "control.h"
#include "ev.h"
#include "freeze.h"
#include "history.h"
#include "log.h"
#include "mountinfo.h"
#include "mutate.h"
#include "plan.h"

/* ---- a strict JSON validator (RFC 8259) that decodes strings ---------- */

struct jv {
	const unsigned char	*p, *end;
	int			 depth;
	/* The last string decoded, surrogateescape undone. */
	unsigned char		 s[65536];
	size_t			 slen;
};

static void
jv_ws(struct jv *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* An independent UTF-8 check (not control.c's): length or 0. */
static size_t
u8len(const unsigned char *s, size_t n)
{
	uint32_t	cp;
	size_t		k, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		k = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		k = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		k = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) ||
	    (k == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

static void
put_u8(struct jv *j, uint32_t cp)
{
	if (j->slen + 4 > sizeof(j->s))
		return;
	if (cp < 0x80)
		j->s[j->slen++] = (unsigned char)cp;
	else if (cp < 0x800) {
		j->s[j->slen++] = (unsigned char)(0xc0 | (cp >> 6));
		j->s[j->slen++] = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		j->s[j->slen++] = (unsigned char)(0xe0 | (cp >> 12));
		j->s[j->slen++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		j->s[j->slen++] = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		j->s[j->slen++] = (unsigned char)(0xf0 | (cp >> 18));
		j->s[j->slen++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		j->s[j->slen++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		j->s[j->slen++] = (unsigned char)(0x80 | (cp & 0x3f));
	}
}

static int
hex4(const unsigned char *p, uint32_t *v)
{
	int	i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		*v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			*v |= (uint32_t)(p[i] - '0');
		else if (p[i] >= 'a' && p[i] <= 'f')
			*v |= (uint32_t)(p[i] - 'a' + 10);
		else if (p[i] >= 'A' && p[i] <= 'F')
			*v |= (uint32_t)(p[i] - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static int
jv_string(struct jv *j)
{
	uint32_t	cp, lo;
	size_t		k;

	j->slen = 0;
	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p < 0x20)
			return -1;
		if (*j->p != '\\') {
			if ((k = u8len(j->p, (size_t)(j->end - j->p))) == 0)
				return -1;
			if (j->slen + k <= sizeof(j->s))
				memcpy(j->s + j->slen, j->p, k);
			j->slen += k;
			j->p += k;
			continue;
		}
		if (j->end - j->p < 2)
			return -1;
		switch (j->p[1]) {
		case '"': case '\\': case '/':
			put_u8(j, j->p[1]);
			j->p += 2;
			continue;
		case 'b': put_u8(j, '\b'); j->p += 2; continue;
		case 'f': put_u8(j, '\f'); j->p += 2; continue;
		case 'n': put_u8(j, '\n'); j->p += 2; continue;
		case 'r': put_u8(j, '\r'); j->p += 2; continue;
		case 't': put_u8(j, '\t'); j->p += 2; continue;
		case 'u':
			break;
		default:
			return -1;
		}
		if (j->end - j->p < 6 || hex4(j->p + 2, &cp) == -1)
			return -1;
		j->p += 6;
		if (cp >= 0xdc80 && cp <= 0xdcff) {
			/* surrogateescape: one raw byte */
			if (j->slen < sizeof(j->s))
				j->s[j->slen++] = (unsigned char)(cp - 0xdc00);
		} else if (cp >= 0xd800 && cp <= 0xdbff && j->end - j->p >= 6 &&
		    j->p[0] == '\\' && j->p[1] == 'u' &&
		    hex4(j->p + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
			j->p += 6;
			put_u8(j, 0x10000 + ((cp - 0xd800) << 10) +
			    (lo - 0xdc00));
		} else if (cp >= 0xd800 && cp <= 0xdfff)
			return -1;	/* other lone surrogates: ours never */
		else
			put_u8(j, cp);
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	return 0;
}

static int
jv_number(struct jv *j)
{
	const unsigned char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end)
		return -1;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return -1;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > s ? 0 : -1;
}

static int
jv_lit(struct jv *j, const char *lit)
{
	size_t	n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

static int
jv_value(struct jv *j)
{
	int	first;

	jv_ws(j);
	if (j->p >= j->end || ++j->depth > 32)
		return -1;
	switch (*j->p) {
	case '{':
		j->p++;
		jv_ws(j);
		for (first = 1; j->p < j->end && *j->p != '}'; first = 0) {
			if (!first) {
				if (*j->p != ',')
					return -1;
				j->p++;
				jv_ws(j);
			}
			if (jv_string(j) == -1)
				return -1;
			jv_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return -1;
			j->p++;
			if (jv_value(j) == -1)
				return -1;
			jv_ws(j);
		}
		if (j->p >= j->end)
			return -1;
		j->p++;
		break;
	case '[':
		j->p++;
		jv_ws(j);
		for (first = 1; j->p < j->end && *j->p != ']'; first = 0) {
			if (!first) {
				if (*j->p != ',')
					return -1;
				j->p++;
			}
			if (jv_value(j) == -1)
				return -1;
			jv_ws(j);
		}
		if (j->p >= j->end)
			return -1;
		j->p++;
		break;
	case '"':
		if (jv_string(j) == -1)
			return -1;
		break;
	case 't':
		if (jv_lit(j, "true") == -1)
			return -1;
		break;
	case 'f':
		if (jv_lit(j, "false") == -1)
			return -1;
		break;
	case 'n':
		if (jv_lit(j, "null") == -1)
			return -1;
		break;
	default:
		if (jv_number(j) == -1)
			return -1;
	}
	j->depth--;
	return 0;
}

static struct jv	jvs;

/* One JSON document, then only whitespace. */
static int
json_ok(const char *s, size_t len)
{
	memset(&jvs, 0, sizeof(jvs));
	jvs.p = (const unsigned char *)s;
	jvs.end = jvs.p + len;
	if (jv_value(&jvs) == -1)
		return 0;
	jv_ws(&jvs);
	return jvs.p == jvs.end;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t	n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* ---- requests --------------------------------------------------------- */

static void
t_parse_known(void **state)
{
	static const struct {
		const char	*s;
		enum control_cmd cmd;
		int		 json;
		unsigned	 n;
	} ok[] = {
		{ "status", CC_STATUS, 0, CONTROL_HISTORY_DEFAULT },
		{ "status json", CC_STATUS, 1, CONTROL_HISTORY_DEFAULT },
		{ "history", CC_HISTORY, 0, CONTROL_HISTORY_DEFAULT },
		{ "history json", CC_HISTORY, 1, CONTROL_HISTORY_DEFAULT },
		{ "history 1", CC_HISTORY, 0, 1 },
		{ "history 9 json", CC_HISTORY, 1, 9 },
		{ "history 32", CC_HISTORY, 0, 32 },
		{ "history 10 json", CC_HISTORY, 1, 10 },
		{ "thaw", CC_THAW, 0, CONTROL_HISTORY_DEFAULT },
		{ "thaw json", CC_THAW, 1, CONTROL_HISTORY_DEFAULT },
	};
	static const struct {
		const char	*s;
		size_t		 len;	/* 0: strlen */
		const char	*why;
	} bad[] = {
		{ "", 0, "empty request" },
		{ "plan", 0, "unknown command" },
		{ "json", 0, "unknown command" },
		{ "statusjson", 0, "unknown command" },
		{ "stat", 0, "unknown command" },
		{ "status  json", 0, "empty word (stray space)" },
		{ " status", 0, "empty word (stray space)" },
		{ "status ", 0, "empty word (stray space)" },
		{ " ", 0, "empty word (stray space)" },
		{ "status json x", 0, "extra words" },
		{ "status json json", 0, "extra words" },
		{ "status 5", 0, "extra words" },
		{ "thaw 5", 0, "extra words" },
		{ "thaw now", 0, "extra words" },
		{ "history 5 5", 0, "extra words" },
		{ "history json 5", 0, "extra words" },
		{ "history 5 json json", 0, "extra words" },
		{ "history 1 2 3", 0, "extra words" },
		{ "history 0", 0, "bad count (1..32)" },
		{ "history 33", 0, "bad count (1..32)" },
		{ "history 05", 0, "bad count (1..32)" },
		{ "history 100", 0, "bad count (1..32)" },
		{ "history 3x", 0, "bad count (1..32)" },
		{ "history -1", 0, "bad byte in request" },
		{ "history +1", 0, "bad byte in request" },
		{ "STATUS", 0, "bad byte in request" },
		{ "status\n", 0, "bad byte in request" },
		{ "status\tjson", 0, "bad byte in request" },
		{ "st\xc3\xa4tus", 0, "bad byte in request" },
		{ "status\0json", 11, "NUL byte in request" },
		{ "\0", 1, "NUL byte in request" },
		{ "thaw\0", 5, "NUL byte in request" },
	};
	struct control_req	 rq;
	const char		*why;
	char			 longreq[CONTROL_REQ_MAX + 2];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		why = "unset";
		assert_int_equal(control_parse(ok[i].s, strlen(ok[i].s), &rq,
		    &why), 0);
		assert_null(why);
		assert_int_equal(rq.cmd, ok[i].cmd);
		assert_int_equal(rq.json, ok[i].json);
		assert_int_equal(rq.n, ok[i].n);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(control_parse(bad[i].s, bad[i].len ?
		    bad[i].len : strlen(bad[i].s), &rq, &why), -1);
		assert_non_null(why);
		if (strcmp(why, bad[i].why) != 0)
			fail_msg("\"%s\": \"%s\", want \"%s\"", bad[i].s, why,
			    bad[i].why);
	}
	/* Length: CONTROL_REQ_MAX is the limit, a byte more is refused. */
	memset(longreq, 0, sizeof(longreq));
	memcpy(longreq, "history 5", 9);
	memset(longreq + 9, ' ', CONTROL_REQ_MAX - 9);
	assert_int_equal(control_parse(longreq, CONTROL_REQ_MAX, &rq, &why),
	    -1);
	assert_string_equal(why, "empty word (stray space)");
	assert_int_equal(control_parse(longreq, CONTROL_REQ_MAX + 1, &rq,
	    &why), -1);
	assert_string_equal(why, "request too long");
	assert_int_equal(control_parse("status", (size_t)-1, &rq, &why), -1);
	assert_string_equal(why, "request too long");
	/* why may be NULL. */
	assert_int_equal(control_parse("x", 1, &rq, NULL), -1);
	assert_int_equal(control_parse("thaw", 4, &rq, NULL), 0);
}

/* format then parse gives the same request, for every request there is. */
static void
t_format(void **state)
{
	struct control_req	rq, back;
	char			buf[CONTROL_REQ_MAX + 1];
	size_t			len;
	unsigned		n;
	int			c, j;

	(void)state;
	for (c = 0; c < CC__MAX; c++)
		for (j = 0; j < 2; j++)
			for (n = 1; n <= HISTORY_MAX; n++) {
				memset(&rq, 0, sizeof(rq));
				rq.cmd = (enum control_cmd)c;
				rq.json = j;
				rq.n = c == CC_HISTORY ? n :
				    CONTROL_HISTORY_DEFAULT;
				len = control_format(&rq, buf, sizeof(buf));
				assert_true(len < sizeof(buf));
				assert_int_equal(control_parse(buf, len, &back,
				    NULL), 0);
				assert_memory_equal(&rq, &back, sizeof(rq));
			}
	rq.cmd = CC_HISTORY;
	rq.n = 7;
	rq.json = 1;
	assert_int_equal(control_format(&rq, buf, sizeof(buf)), 14);
	assert_string_equal(buf, "history 7 json");
	/* snprintf semantics. */
	assert_int_equal(control_format(&rq, buf, 4), 14);
	assert_string_equal(buf, "his");
	assert_string_equal(control_cmd_name(CC_THAW), "thaw");
	assert_string_equal(control_cmd_name(CC__MAX), "unknown");
	assert_string_equal(control_result_name(CR_FAIL), "fail");
	assert_string_equal(control_result_name(-1), "unknown");
}

/*
 * Every mutant is refused with a reason, or accepted and then formats to
 * a request that parses the same, and was made only of the allowed bytes.
 */
static int
mut_parse(const uint8_t *b, size_t len, void *arg)
{
	struct control_req	 rq, back;
	const char		*why = NULL;
	char			 buf[CONTROL_REQ_MAX + 1];
	size_t			 i, n;

	(void)arg;
	if (control_parse(b, len, &rq, &why) == -1)
		return why == NULL;
	if (why != NULL || len == 0 || len > CONTROL_REQ_MAX)
		return 1;
	for (i = 0; i < len; i++)
		if (b[i] != ' ' && !(b[i] >= 'a' && b[i] <= 'z') &&
		    !(b[i] >= '0' && b[i] <= '9'))
			return 1;
	if (rq.cmd >= CC__MAX || rq.n < 1 || rq.n > HISTORY_MAX)
		return 1;
	n = control_format(&rq, buf, sizeof(buf));
	if (n >= sizeof(buf) || control_parse(buf, n, &back, NULL) == -1)
		return 1;
	return memcmp(&rq, &back, sizeof(rq)) != 0;
}

static void
t_parse_mutations(void **state)
{
	static const char *const seeds[] = { "status json", "history 32 json",
	    "history 7", "thaw", "thaw json", "history json" };
	size_t	i, n, total = 0;

	(void)state;
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		assert_int_equal(mut_run((const uint8_t *)seeds[i],
		    strlen(seeds[i]), mut_parse, NULL, &n), 0);
		total += n;
	}
	assert_true(total > 6 * 4096);
}

static void
t_reply_parse(void **state)
{
	static const char good[] = "hvvss-control 1 fail\nbody\n";
	enum control_result	 res;
	const char		*body;
	size_t			 blen;

	(void)state;
	assert_int_equal(control_reply_parse(good, strlen(good), &res, &body,
	    &blen), 0);
	assert_int_equal(res, CR_FAIL);
	assert_int_equal(blen, 5);
	assert_memory_equal(body, "body\n", 5);
	assert_int_equal(control_reply_parse("hvvss-control 1 ok\n", 19, &res,
	    &body, &blen), 0);
	assert_int_equal(res, CR_OK);
	assert_int_equal(blen, 0);
	assert_int_equal(control_reply_parse("hvvss-control 1 error\nx", 23,
	    &res, &body, &blen), 0);
	assert_int_equal(res, CR_ERROR);
	assert_int_equal(control_reply_parse("hvvss-control 1 okay\n", 21,
	    &res, &body, &blen), -1);
	assert_int_equal(control_reply_parse("hvvss-control 2 ok\n", 19, &res,
	    &body, &blen), -1);
	assert_int_equal(control_reply_parse("hvvss-control 1 ok", 18, &res,
	    &body, &blen), -1);
	assert_int_equal(control_reply_parse("hvvss-control 1 \n", 17, &res,
	    &body, &blen), -1);
	assert_int_equal(control_reply_parse("", 0, &res, &body, &blen), -1);
	assert_int_equal(control_reply_parse("{\"ok\":true}\n", 12, &res,
	    &body, &blen), -1);
}

/* ---- escaping --------------------------------------------------------- */

/* Undo the text escapes (\ooo) into out; the length. */
static size_t
text_unescape(const char *s, char *out)
{
	size_t	n = 0;

	while (*s != '\0') {
		if (s[0] == '\\') {
			out[n++] = (char)(((s[1] - '0') << 6) |
			    ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else
			out[n++] = *s++;
	}
	out[n] = '\0';
	return n;
}

/* JSON decodes back to the bytes; text is safe for a terminal and too. */
static void
check_quote(const char *s)
{
	char	buf[8192], back[8192];
	size_t	n, i, k;

	n = control_quote(s, 1, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	if (!json_ok(buf, n))
		fail_msg("invalid JSON: %s", buf);
	assert_int_equal(jvs.slen, strlen(s));
	assert_memory_equal(jvs.s, s, jvs.slen);

	n = control_quote(s, 0, buf, sizeof(buf));
	for (i = 0; i < n; i += k) {
		const unsigned char *u = (const unsigned char *)buf + i;

		k = 1;
		if (u[0] >= 0x80) {
			k = u8len(u, n - i);
			assert_true(k >= 2);
			/* No C1 controls. */
			assert_false(u[0] == 0xc2 && u[1] < 0xa0);
		} else
			assert_true(u[0] > 0x20 && u[0] < 0x7f);
		if (u[0] == '\\') {
			assert_true(u[1] >= '0' && u[1] <= '3');
			k = 4;
		}
	}
	assert_int_equal(text_unescape(buf, back), strlen(s));
	assert_string_equal(back, s);
}

static void
t_escape(void **state)
{
	static const char *const cases[] = {
		"/", "/data", "/with space", "/q\"uote", "/back\\slash",
		"/nl\nx", "/tab\tx", "/del\x7f", "/ctl\x01\x1f",
		"/utf8-\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80",
		"/c1-\xc2\x85\xc2\x9f\xc2\xa0",
		"/bad-\xff\xfe\x80\xbf",
		"/overlong-\xc0\xaf\xe0\x80\xaf\xf0\x80\x80\xaf",
		"/surrogate-\xed\xa0\x80\xed\xbf\xbf",
		"/past-max-\xf4\x90\x80\x80\xf5\x80\x80\x80",
		"/cut-\xe2\x82", "/cut-\xf0\x9f\x98", "/cut-\xc3",
		"/u2028-\xe2\x80\xa8", "/bom-\xef\xbb\xbf",
		"/</script>",
	};
	char	all[256], buf[64];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_quote(cases[i]);
	for (i = 1; i < 256; i++) {
		all[0] = (char)i;
		all[1] = '\0';
		check_quote(all);
		all[i - 1] = (char)i;
	}
	all[255] = '\0';
	check_quote(all);
	/* Known answers. */
	assert_int_equal(control_quote("/a b\\\"\xff\n", 1, buf, sizeof(buf)),
	    18);
	assert_string_equal(buf, "\"/a b\\\\\\\"\\udcff\\n\"");
	control_quote("/a b\\\xff\n\xc3\xa4", 0, buf, sizeof(buf));
	assert_string_equal(buf, "/a\\040b\\134\\377\\012\xc3\xa4");
	assert_int_equal(control_quote(NULL, 1, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "null");
	/* Too long: never half a string. */
	memset(all, 'x', 200);
	all[200] = '\0';
	control_quote(all, 1, buf, sizeof(buf));
	assert_string_equal(buf, "\"(too long)\"");
	assert_true(json_ok(buf, strlen(buf)));
}

/* ---- status ----------------------------------------------------------- */

#define NOW	EV_SEC(10)
#define WALL	(1764499998500000000ll + 1500000000ll)

static void
status_fill(struct control_status *st)
{
	memset(st, 0, sizeof(*st));
	st->daemon_pid = 100;
	st->state = "FROZEN";
	st->transport = "linux";
	st->device = "/dev/vmbus/hv_vss";
	st->registered = 1;
	st->kernel_version = 129;
	st->cycle = 7;
	st->nfrozen = 2;
	st->frozen_at = NOW - EV_MS(1500);
	st->deadline = NOW + EV_MS(58500);
	st->guardian_pid = 200;
	st->journal = "/run/hvvss/frozen";
	st->nmounts = st->nmounts_total = 2;
	st->mounts[0].mnt = "/";
	st->mounts[0].fstype = "ext4";
	st->mounts[1].mnt = "/da\"ta\n";
	st->mounts[1].fstype = "xfs";
}

static const char golden_status_json[] =
    "{\"ok\":true,\"daemon_pid\":100,\"state\":\"FROZEN\","
    "\"transport\":\"linux\",\"device\":\"/dev/vmbus/hv_vss\","
    "\"registered\":true,\"kernel_version\":129,\"cycle\":7,\"phase\":null,"
    "\"expired\":false,\"frozen\":2,"
    "\"frozen_since\":\"2025-11-30T10:53:18.500Z\","
    "\"frozen_since_ns\":1764499998500000000,\"frozen_ms\":1500.0,"
    "\"deadline_left_ms\":58500.0,\"guardian_pid\":200,"
    "\"journal\":\"/run/hvvss/frozen\",\"mounts_total\":2,\"mounts\":["
    "{\"mount\":\"/\",\"type\":\"ext4\"},"
    "{\"mount\":\"/da\\\"ta\\n\",\"type\":\"xfs\"}],\"truncated\":false}\n";

static const char golden_status_text[] =
    "daemon     pid 100, state FROZEN\n"
    "transport  linux on /dev/vmbus/hv_vss, registered, kernel version "
    "word 129\n"
    "cycle      7\n"
    "frozen     2 filesystems since 2025-11-30T10:53:18.500Z (1.5 s ago)\n"
    "deadline   58.5 s left\n"
    "guardian   pid 200\n"
    "journal    /run/hvvss/frozen\n"
    "mounts     / (ext4)\n"
    "           /da\"ta\\012 (xfs)\n";

static const char golden_idle_json[] =
    "{\"ok\":true,\"daemon_pid\":1,\"state\":\"IDLE\",\"transport\":"
    "\"freebsd\",\"device\":\"/dev/hv_fsvss_dev\",\"registered\":true,"
    "\"kernel_version\":null,\"cycle\":0,\"phase\":\"prepare\","
    "\"expired\":true,\"frozen\":0,\"frozen_since\":null,"
    "\"frozen_since_ns\":null,\"frozen_ms\":null,\"deadline_left_ms\":null,"
    "\"guardian_pid\":null,\"journal\":null,\"mounts_total\":0,"
    "\"mounts\":[],\"truncated\":false}\n";

static void
t_status_golden(void **state)
{
	static char		 buf[CONTROL_REPLY_MAX];
	struct control_status	 st;
	size_t			 n;

	(void)state;
	status_fill(&st);
	n = control_render_status(&st, 1, NOW, WALL, buf, sizeof(buf));
	assert_string_equal(buf, golden_status_json);
	assert_int_equal(n, strlen(golden_status_json));
	assert_true(json_ok(buf, n));
	n = control_render_status(&st, 0, NOW, WALL, buf, sizeof(buf));
	assert_string_equal(buf, golden_status_text);

	memset(&st, 0, sizeof(st));
	st.daemon_pid = 1;
	st.state = "IDLE";
	st.transport = "freebsd";
	st.device = "/dev/hv_fsvss_dev";
	st.registered = 1;
	st.phase = "prepare";
	st.expired = 1;
	st.guardian_pid = -1;
	n = control_render_status(&st, 1, NOW, WALL, buf, sizeof(buf));
	assert_string_equal(buf, golden_idle_json);
	n = control_render_status(&st, 0, NOW, WALL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "frozen     nothing\n"));
	assert_non_null(strstr(buf, "busy with prepare"));
	assert_non_null(strstr(buf, "the next THAW answers failure"));
	assert_non_null(strstr(buf, "journal    disabled\n"));
	assert_null(strstr(buf, "kernel version"));
	/* A deadline in the past is 0 left, not a wrapped number. */
	status_fill(&st);
	st.deadline = NOW - 5;
	n = control_render_status(&st, 1, NOW, WALL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"deadline_left_ms\":0.0,"));
	/* More frozen than listed: counted, and said in text. */
	st.nmounts_total = 70;
	n = control_render_status(&st, 0, NOW, WALL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "(68 more not listed)"));
	n = control_render_status(&st, 1, NOW, WALL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"mounts_total\":70,"));
	assert_true(json_ok(buf, n));
}

/* Every buffer size: JSON stays valid, text stays bounded. */
static void
t_status_truncation(void **state)
{
	static char		 names[CONTROL_STATUS_MOUNTS][300];
	static char		 buf[CONTROL_REPLY_MAX];
	struct control_status	 st;
	size_t			 i, size, n, full;
	int			 json;

	(void)state;
	status_fill(&st);
	for (i = 0; i < CONTROL_STATUS_MOUNTS; i++) {
		memset(names[i], i % 2 ? '\xff' : '"', sizeof(names[i]) - 1);
		names[i][0] = '/';
		names[i][sizeof(names[i]) - 1] = '\0';
		st.mounts[i].mnt = names[i];
		st.mounts[i].fstype = "ext4";
	}
	st.nmounts = st.nmounts_total = CONTROL_STATUS_MOUNTS;
	for (json = 0; json < 2; json++) {
		full = control_render_status(&st, json, NOW, WALL, buf,
		    sizeof(buf));
		assert_true(full < sizeof(buf) - 256);
		if (json) {
			assert_true(json_ok(buf, full));
			assert_true(ends_with(buf, full,
			    "\"truncated\":false}\n"));
		}
		for (size = 0; size <= full + 300; size += size < 1024 ? 1 :
		    97) {
			memset(buf, 'Z', size + 16);
			n = control_render_status(&st, json, NOW, WALL, buf,
			    size);
			if (size == 0) {
				assert_int_equal(n, 0);
				continue;
			}
			assert_true(n < size);
			assert_int_equal(buf[n], '\0');
			assert_int_equal(buf[size], 'Z');
			if (!json)
				continue;
			if (n > 0 && !json_ok(buf, n))
				fail_msg("size %zu: invalid JSON", size);
			if (size > full)
				assert_int_equal(n, full);
			else if (size >= 256)
				assert_true(ends_with(buf, n,
				    "\"truncated\":true}\n"));
		}
	}
}

/* ---- history ---------------------------------------------------------- */

static struct history	hist;

/* n cycles, each with fs filesystems named with awkward bytes. */
static void
hist_fill(unsigned n, size_t nfs)
{
	static char	 names[40][80];
	struct frz	 f;
	struct frz_fs	 v[40];
	unsigned	 i;
	size_t		 k;

	memset(&f, 0, sizeof(f));
	memset(v, 0, sizeof(v));
	for (k = 0; k < nfs && k < 40; k++) {
		snprintf(names[k], sizeof(names[k]), "/m\"%zu\\ \xff\xc3\xa4\t",
		    k);
		v[k].mnt = names[k];
		v[k].fstype = "ext4";
		v[k].stage = (int)k % 2;
		v[k].verdict = k == 1 ? FZ_FAILED : FZ_THAWED;
		v[k].err = k == 1 ? EBUSY : 0;
		v[k].sync_ns = EV_MS(1) + k;
		v[k].freeze_ns = EV_MS(2);
		v[k].thaw_ns = EV_MS(3);
	}
	f.v = v;
	f.n = nfs;
	history_init(&hist);
	for (i = 1; i <= n; i++) {
		history_begin(&hist, i, WALL + (int64_t)i * 1000000000);
		history_step_begin(&hist, HS_CHECK, 1000);
		history_step_end(&hist, HS_CHECK, 1000 + EV_MS(12));
		history_apps(&hist, HP_PREPARE, 0, 2, 0, 1, 0);
		history_step_begin(&hist, HS_FREEZE, 5000);
		history_step_end(&hist, HS_FREEZE, 5000 + EV_MS(30));
		history_apps(&hist, HP_FREEZE, 1, 2, 1, 1, 0);
		history_fs(&hist, &f);
		history_end(&hist, i % 3 ? HR_OK : HR_EXPIRED,
		    i % 3 ? NULL : "no THAW \"within\" 60 s");
		history_apps(&hist, HP_THAW, 0, 2, 0, 1, 0);
	}
}

static const char golden_history_text[] =
    "cycle 2, started 2025-11-30T10:53:22.000Z: ok\n"
    "  ms       check 12.0 freeze 30.0\n"
    "  apps     prepare ok: hooks 2 ran 0 failed, clients 1 acked 0 failed\n"
    "           freeze degraded: hooks 2 ran 1 failed, clients 1 acked 0 "
    "failed\n"
    "           thaw ok: hooks 2 ran 0 failed, clients 1 acked 0 failed\n"
    "  STAGE VERDICT             SYNC_MS FREEZE_MS  THAW_MS ERROR      "
    "TYPE     MOUNT\n"
    "  0     thawed                  1.0       2.0      3.0 -          "
    "ext4 /m\"0\\134\\040\\377\xc3\xa4\\011\n"
    "  1     failed                  1.0       2.0      3.0 EBUSY      "
    "ext4 /m\"1\\134\\040\\377\xc3\xa4\\011\n"
    "\n"
    "cycle 1, started 2025-11-30T10:53:21.000Z: ok\n";

static void
t_history_render(void **state)
{
	static char	buf[CONTROL_REPLY_MAX];
	size_t		n, full, size;
	int		json;

	(void)state;
	history_init(&hist);
	n = control_render_history(&hist, 10, 0, buf, sizeof(buf));
	assert_string_equal(buf, "no backup cycles yet\n");
	n = control_render_history(&hist, 10, 1, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":true,\"kept\":0,\"total\":0,"
	    "\"cycles\":[],\"truncated\":false}\n");

	hist_fill(2, 2);
	n = control_render_history(&hist, 10, 0, buf, sizeof(buf));
	assert_int_equal(strncmp(buf, golden_history_text,
	    strlen(golden_history_text)), 0);
	n = control_render_history(&hist, 1, 1, buf, sizeof(buf));
	assert_true(json_ok(buf, n));
	assert_int_equal(count(buf, "{\"cycle\":"), 1);
	assert_non_null(strstr(buf, "{\"cycle\":2,\"start\":"
	    "\"2025-11-30T10:53:22.000Z\",\"start_ns\":1764500002000000000,"
	    "\"result\":\"ok\",\"reason\":null,\"ms\":{\"check\":12.0,"
	    "\"prepare\":null,\"freeze\":30.0,\"frozen\":null,\"thaw\":null},"
	    "\"apps\":{\"prepare\":{\"result\":\"ok\",\"hooks_ran\":2,"
	    "\"hooks_failed\":0,\"clients_acked\":1,\"clients_failed\":0},"));
	assert_non_null(strstr(buf, "\"abort\":null},\"filesystems_total\":2,"
	    "\"filesystems\":[{\"mount\":\"/m\\\"0\\\\ \\udcff\xc3\xa4\\t\","
	    "\"mount_cut\":false,\"type\":\"ext4\",\"stage\":0,"
	    "\"verdict\":\"thawed\",\"sync_ms\":1.0,\"freeze_ms\":2.0,"
	    "\"thaw_ms\":3.0,\"errno\":0,\"error\":null}"));
	assert_non_null(strstr(buf, "\"errno\":16,\"error\":\"EBUSY\"}"));

	/* 40 cycles of 32 filesystems: more than one reply holds. */
	hist_fill(40, 32);
	for (json = 0; json < 2; json++) {
		full = control_render_history(&hist, HISTORY_MAX, json, buf,
		    sizeof(buf));
		assert_true(full < sizeof(buf));
		if (json) {
			assert_true(json_ok(buf, full));
			assert_true(count(buf, "{\"cycle\":") < HISTORY_MAX);
			assert_true(ends_with(buf, full,
			    "\"truncated\":true}\n"));
			assert_non_null(strstr(buf, "\"kept\":32,\"total\":40,"));
			/* Newest first. */
			assert_non_null(strstr(buf, "[{\"cycle\":40,"));
			assert_non_null(strstr(buf, "\"reason\":\"no THAW "
			    "\\\"within\\\" 60 s\""));
		} else if (ends_with(buf, full, "(truncated: more than fits "
		    "in one reply)\n"))
			assert_true(count(buf, "cycle ") < HISTORY_MAX);
		else
			assert_int_equal(count(buf, "cycle "), HISTORY_MAX);
	}
	/* Small buffers: whole cycles or none, always valid JSON. */
	hist_fill(5, 3);
	full = control_render_history(&hist, 5, 1, buf, sizeof(buf));
	assert_true(ends_with(buf, full, "\"truncated\":false}\n"));
	assert_int_equal(count(buf, "{\"cycle\":"), 5);
	for (size = 1; size <= full + 10; size++) {
		n = control_render_history(&hist, 5, 1, buf, size);
		assert_true(n < size);
		if (n > 0 && !json_ok(buf, n))
			fail_msg("size %zu: invalid JSON %s", size, buf);
		if (size > full)
			assert_int_equal(n, full);
		n = control_render_history(&hist, 5, 0, buf, size);
		assert_true(n < size);
	}
	/* N larger than kept, and N = 0. */
	n = control_render_history(&hist, 32, 1, buf, sizeof(buf));
	assert_int_equal(count(buf, "{\"cycle\":"), 5);
	n = control_render_history(&hist, 0, 1, buf, sizeof(buf));
	assert_int_equal(count(buf, "{\"cycle\":"), 0);
	assert_true(json_ok(buf, n));
}

/* ---- thaw, error, plan ------------------------------------------------ */

static void
t_thaw_error_render(void **state)
{
	static char		 buf[CONTROL_REPLY_MAX];
	struct control_status	 st;
	size_t			 n;

	(void)state;
	status_fill(&st);
	n = control_render_thaw(2, &st, 0, NOW, WALL, buf, sizeof(buf));
	assert_int_equal(strncmp(buf, "thawed 2 filesystems\n\ndaemon ", 29),
	    0);
	n = control_render_thaw(1, &st, 0, NOW, WALL, buf, sizeof(buf));
	assert_int_equal(strncmp(buf, "thawed 1 filesystem\n\n", 21), 0);
	n = control_render_thaw(0, &st, 0, NOW, WALL, buf, sizeof(buf));
	assert_int_equal(strncmp(buf, "nothing was frozen by the daemon\n", 33),
	    0);
	n = control_render_thaw(-1, &st, 0, NOW, WALL, buf, sizeof(buf));
	assert_int_equal(strncmp(buf, "thaw failed: 2 filesystems still "
	    "frozen;", 40), 0);
	n = control_render_thaw(-1, &st, 1, NOW, WALL, buf, sizeof(buf));
	assert_true(json_ok(buf, n));
	assert_int_equal(strncmp(buf, "{\"ok\":false,\"thawed\":null,"
	    "\"status\":{\"daemon_pid\":100,", 52), 0);
	assert_true(ends_with(buf, n, "]},\"truncated\":false}\n"));
	n = control_render_thaw(3, &st, 1, NOW, WALL, buf, sizeof(buf));
	assert_true(json_ok(buf, n));
	assert_int_equal(strncmp(buf, "{\"ok\":true,\"thawed\":3,", 22), 0);

	n = control_render_error("bad \"x\"\n", 1, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":false,\"error\":\"bad \\\"x\\\"\\n\"}\n");
	assert_true(json_ok(buf, n));
	n = control_render_error("bad \"x\"\n", 0, buf, sizeof(buf));
	assert_string_equal(buf, "error: bad\\040\"x\"\\012\n");
	n = control_render_error("a long reason that does not fit", 1, buf,
	    20);
	assert_string_equal(buf, "{\"ok\":false}\n");
	n = control_render_error("x", 0, buf, 0);
	assert_int_equal(n, 0);
}

static const char plan_mountinfo[] =
    "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
    "2 1 0:5 / /proc rw - proc proc rw\n"
    "3 1 8:2 / /da\\040ta rw - xfs /dev/sda2 rw\n"
    "4 1 8:2 / /bind\\134\\377 rw - xfs /dev/sda2 rw\n"
    "5 1 0:40 / /net rw - nfs srv:/x rw\n";

static void
t_plan_render(void **state)
{
	static char	buf[64 * 1024];
	struct mi_table	mi;
	struct plan	p;
	size_t		n, full, size;

	(void)state;
	assert_int_equal(mi_parse(plan_mountinfo, strlen(plan_mountinfo), &mi,
	    NULL), 0);
	assert_int_equal(plan_build(&mi, NULL, NULL, &p), 0);
	full = control_render_plan(&mi, &p, buf, sizeof(buf));
	assert_true(json_ok(buf, full));
	assert_int_equal(strncmp(buf, "{\"ok\":true,\"freeze\":2,\"sync_only\":0,"
	    "\"stages\":1,\"mounts_total\":5,\"mounts\":[", 73), 0);
	assert_int_equal(count(buf, "{\"order\":"), 5);
	/* Reverse mount order: /da ta first, / last. */
	assert_non_null(strstr(buf, "{\"order\":1,\"mount\":\"/da ta\",\"type\":"
	    "\"xfs\",\"source\":\"/dev/sda2\",\"dev\":\"8:2\",\"verdict\":"
	    "\"freeze\",\"stage\":0,"));
	assert_non_null(strstr(buf, "{\"order\":2,\"mount\":\"/\","));
	assert_non_null(strstr(buf, "\"mount\":\"/bind\\\\\\udcff\""));
	assert_non_null(strstr(buf, "\"verdict\":\"duplicate\",\"stage\":null"));
	assert_true(ends_with(buf, full, "],\"truncated\":false}\n"));
	for (size = 1; size <= full + 4; size++) {
		n = control_render_plan(&mi, &p, buf, size);
		assert_true(n < size);
		if (n > 0 && !json_ok(buf, n))
			fail_msg("size %zu: invalid JSON %s", size, buf);
	}
	plan_free(&p);
	mi_free(&mi);
}

/* ---- the server ------------------------------------------------------- */

struct fx {
	char		 dir[64];
	char		 path[100];
	struct ev	 ev;
	struct control	 c;
	struct frz	 frz;
	struct frz_fs	 fs[3];
	int		 nthaw;
	int		 thaw_ret;
	int		 nstatus;
};

static void
noop(void *arg)
{
	(void)arg;
}

static void
tick(struct fx *f)
{
	ev_timer_set(&f->ev, 0, ev_now() + EV_MS(2), noop, NULL);
	assert_int_equal(ev_run_once(&f->ev), 0);
}

static void
fake_status(void *arg, struct control_status *st)
{
	struct fx *f = arg;

	f->nstatus++;
	assert_int_equal(st->guardian_pid, -1);
	assert_int_equal(st->daemon_pid, getpid());
	assert_null(st->state);
	st->state = f->nthaw > 0 ? "IDLE" : "FROZEN";
	st->transport = "linux";
	st->device = "/dev/vmbus/hv_vss";
	st->registered = 1;
	st->kernel_version = 129;
	st->cycle = 3;
	st->journal = "/run/hvvss/frozen";
	if (f->nthaw == 0) {
		control_status_frz(st, &f->frz);
		st->deadline = ev_now() + EV_SEC(60);
	}
}

static int
fake_thaw(void *arg)
{
	struct fx *f = arg;

	f->nthaw++;
	return f->thaw_ret;
}

static const struct control_ops fake_ops = { fake_status, fake_thaw };

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_control.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/run/control.sock", f->dir);
	ev_init(&f->ev);
	control_init(&f->c);
	frz_init(&f->frz);
	f->fs[0].mnt = "/";
	f->fs[0].fstype = "ext4";
	f->fs[0].frozen = 1;
	f->fs[1].mnt = "/zfs";
	f->fs[1].fstype = "zfs";
	f->fs[2].mnt = "/da ta";
	f->fs[2].fstype = "xfs";
	f->fs[2].frozen = 1;
	f->frz.v = f->fs;
	f->frz.n = 3;
	f->frz.nfrozen = 2;
	f->frz.frozen_at = ev_now() - EV_MS(250);
	f->thaw_ret = 2;
	hist_fill(3, 2);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*f = *state;
	char		 p[160];

	control_close(&f->c);
	snprintf(p, sizeof(p), "%s/run", f->dir);
	(void)unlink(f->path);
	(void)rmdir(p);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

static void
fx_open(struct fx *f)
{
	struct stat	st;
	char		p[160];

	assert_int_equal(control_open(&f->c, &f->ev, f->path, &fake_ops,
	    &hist, f), 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s/run", f->dir);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static int
cl_connect(const struct fx *f)
{
	struct sockaddr_un	sun;
	int			fd;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Pump the loop until the reply is there; its length (0: EOF). */
static ssize_t
cl_wait(struct fx *f, int fd, char *buf, size_t size)
{
	uint64_t	end = ev_now() + EV_SEC(2);
	ssize_t		r;

	for (;;) {
		r = recv(fd, buf, size - 1, MSG_DONTWAIT);
		if (r >= 0) {
			buf[r] = '\0';
			return r;
		}
		assert_true(errno == EAGAIN);
		assert_true(ev_now() < end);
		tick(f);
	}
}

static ssize_t
cl_ask(struct fx *f, const void *req, size_t len, char *buf, size_t size)
{
	ssize_t	r;
	int	fd = cl_connect(f);

	assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	r = cl_wait(f, fd, buf, size);
	close(fd);
	return r;
}

static size_t
clients(const struct fx *f)
{
	size_t	i, n = 0;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		n += f->c.c[i].fd != -1;
	return n;
}

static void
expect_reply(const char *buf, size_t len, enum control_result want,
    int json)
{
	enum control_result	 res;
	const char		*body;
	size_t			 blen;

	assert_int_equal(control_reply_parse(buf, len, &res, &body, &blen), 0);
	assert_int_equal(res, want);
	if (json && !json_ok(body, blen))
		fail_msg("invalid JSON: %s", body);
}

static void
t_server_roundtrip(void **state)
{
	static char	 buf[CONTROL_REPLY_MAX + 64];
	struct fx	*f = *state;
	ssize_t		 r;

	fx_open(f);
	r = cl_ask(f, "status json", 11, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_OK, 1);
	assert_non_null(strstr(buf, "\"state\":\"FROZEN\""));
	assert_non_null(strstr(buf, "\"kernel_version\":129"));
	assert_non_null(strstr(buf, "\"mounts_total\":2,\"mounts\":[{\"mount\":"
	    "\"/\",\"type\":\"ext4\"},{\"mount\":\"/da ta\",\"type\":\"xfs\"}]"));
	assert_non_null(strstr(buf, "\"frozen_ms\":"));
	assert_int_equal(f->nstatus, 1);
	assert_int_equal(clients(f), 0);

	r = cl_ask(f, "status", 6, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_OK, 0);
	assert_non_null(strstr(buf, "mounts     / (ext4)\n"));
	assert_non_null(strstr(buf, "           /da\\040ta (xfs)\n"));

	r = cl_ask(f, "history 2 json", 14, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_OK, 1);
	assert_int_equal(count(buf, "{\"cycle\":"), 2);
	assert_non_null(strstr(buf, "[{\"cycle\":3,"));
	r = cl_ask(f, "history", 7, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_OK, 0);
	assert_int_equal(count(buf, "cycle "), 3);

	/* Refused requests: an error head and the reason, in text. */
	r = cl_ask(f, "plan json", 9, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_ERROR, 0);
	assert_string_equal(buf, "hvvss-control 1 error\n"
	    "error: unknown\\040command\n");
	r = cl_ask(f, "status\0json", 11, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_ERROR, 0);
	assert_non_null(strstr(buf, "NUL\\040byte"));
	{
		char big[5000];

		memset(big, 's', sizeof(big));
		r = cl_ask(f, big, sizeof(big), buf, sizeof(buf));
		expect_reply(buf, (size_t)r, CR_ERROR, 0);
		assert_non_null(strstr(buf, "too\\040long"));
		r = cl_ask(f, big, CONTROL_REQ_MAX + 1, buf, sizeof(buf));
		assert_non_null(strstr(buf, "too\\040long"));
	}
	r = cl_ask(f, "status json ", 12, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_ERROR, 0);
	assert_int_equal(f->nthaw, 0);

	/* thaw: the daemon's answer, then its status. */
	r = cl_ask(f, "thaw json", 9, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_OK, 1);
	assert_int_equal(f->nthaw, 1);
	assert_non_null(strstr(buf, "{\"ok\":true,\"thawed\":2,\"status\":{"));
	assert_non_null(strstr(buf, "\"state\":\"IDLE\""));
	f->thaw_ret = -1;
	r = cl_ask(f, "thaw", 4, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_FAIL, 0);
	assert_non_null(strstr(buf, "thaw failed"));
	assert_int_equal(f->nthaw, 2);
	f->thaw_ret = 0;
	r = cl_ask(f, "thaw", 4, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_OK, 0);
	assert_non_null(strstr(buf, "nothing was frozen"));
	assert_int_equal(clients(f), 0);
}

/* Without history or thaw, those are refused, not crashed on. */
static void
t_server_no_ops(void **state)
{
	static char	 buf[CONTROL_REPLY_MAX + 64];
	struct fx	*f = *state;
	ssize_t		 r;

	assert_int_equal(control_open(&f->c, &f->ev, f->path, NULL, NULL,
	    NULL), 0);
	r = cl_ask(f, "thaw json", 9, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_ERROR, 1);
	assert_non_null(strstr(buf, "thaw not supported"));
	r = cl_ask(f, "history json", 12, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_ERROR, 1);
	r = cl_ask(f, "status json", 11, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_OK, 1);
	assert_non_null(strstr(buf, "\"state\":null"));
}

/*
 * A client that sends twice still gets the first answer (its extra packet
 * is drained, no reset); one that never reads is dropped all the same;
 * silent clients are evicted oldest first.
 */
static void
t_server_clients(void **state)
{
	static char	 buf[CONTROL_REPLY_MAX + 64];
	struct fx	*f = *state;
	int		 fd, idle[CONTROL_MAX_CLIENTS + 1];
	ssize_t		 r;
	size_t		 i;

	fx_open(f);
	fd = cl_connect(f);
	assert_int_equal(send(fd, "status", 6, 0), 6);
	assert_int_equal(send(fd, "thaw", 4, 0), 4);
	r = cl_wait(f, fd, buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_OK, 0);
	assert_int_equal(f->nthaw, 0);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0);	/* EOF */
	close(fd);

	fd = cl_connect(f);
	assert_int_equal(send(fd, "history 32 json", 15, 0), 15);
	for (i = 0; i < 100 && clients(f) == 0; i++)
		tick(f);		/* accepted */
	for (i = 0; i < 100 && clients(f) > 0; i++)
		tick(f);		/* answered and closed */
	assert_int_equal(clients(f), 0);	/* gone, reply unread */
	r = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(r > 0);
	buf[r] = '\0';
	expect_reply(buf, (size_t)r, CR_OK, 1);
	close(fd);

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		idle[i] = cl_connect(f);
		while (clients(f) < i + 1)
			tick(f);
	}
	assert_int_equal(clients(f), CONTROL_MAX_CLIENTS);
	idle[i] = cl_connect(f);
	r = 0;
	while (r == 0) {
		tick(f);
		/* The oldest was evicted: EOF for it. */
		r = recv(idle[0], buf, sizeof(buf), MSG_DONTWAIT) == 0;
	}
	assert_int_equal(clients(f), CONTROL_MAX_CLIENTS);
	assert_int_equal(send(idle[i], "status", 6, 0), 6);
	r = cl_wait(f, idle[i], buf, sizeof(buf));
	expect_reply(buf, (size_t)r, CR_OK, 0);
	for (i = 0; i <= CONTROL_MAX_CLIENTS; i++)
		close(idle[i]);
	for (i = 0; i < 10; i++)
		tick(f);
	assert_int_equal(clients(f), 0);
}

/* A peer that is not root is told so and closed (modes opened for it). */
static void
t_server_peercred(void **state)
{
	struct fx	*f = *state;
	char		 p[160];
	pid_t		 pid;
	int		 st = 0, i;
	pid_t		 w = 0;

	if (geteuid() != 0)
		skip();
	fx_open(f);
	snprintf(p, sizeof(p), "%s/run", f->dir);
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(p, 0755), 0);
	assert_int_equal(chmod(f->path, 0666), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char	buf[512];
		size_t	len;
		int	ok;

		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(2);
		if (control_call(f->path, "thaw", buf, sizeof(buf), &len, 2000)
		    == -1)
			_exit(3);
		ok = strcmp(buf, "hvvss-control 1 error\nerror: permission"
		    "\\040denied:\\040root\\040only\n") == 0;
		_exit(ok ? 0 : 4);
	}
	for (i = 0; i < 2000 && (w = waitpid(pid, &st, WNOHANG)) == 0; i++)
		tick(f);
	if (w != pid) {	/* hung: do not leave it behind, and fail */
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
	}
	assert_int_equal(w, pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(f->nthaw, 0);
	assert_int_equal(clients(f), 0);
}

/* control_call(), the client hvvssctl uses, from a child process. */
static void
t_server_call(void **state)
{
	struct fx	*f = *state;
	pid_t		 pid;
	int		 st = 0, i;
	pid_t		 w = 0;

	fx_open(f);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char		 buf[CONTROL_REPLY_MAX + 1];
		enum control_result	 res;
		const char		*body;
		size_t			 len, blen;

		if (control_call(f->path, "history 32 json", buf, sizeof(buf),
		    &len, 2000) == -1 || control_reply_parse(buf, len, &res,
		    &body, &blen) == -1 || res != CR_OK || !json_ok(body, blen))
			_exit(1);
		/* Too small a buffer: EMSGSIZE, not a cut reply. */
		if (control_call(f->path, "history 32", buf, 64, &len, 2000)
		    != -1 || errno != EMSGSIZE)
			_exit(2);
		if (control_call(f->path, "", buf, 64, &len, 2000) != -1 ||
		    errno != EINVAL)
			_exit(3);
		_exit(0);
	}
	for (i = 0; i < 3000 && (w = waitpid(pid, &st, WNOHANG)) == 0; i++)
		tick(f);
	if (w != pid) {	/* hung: do not leave it behind, and fail */
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
	}
	assert_int_equal(w, pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(clients(f), 0);
}

static void
t_server_open(void **state)
{
	struct fx	*f = *state;
	struct control	*c2;
	struct sockaddr_un sun;
	struct ev	 ev2;
	char		 buf[256], p[160];
	size_t		 len;
	int		 fd;

	c2 = calloc(1, sizeof(*c2));
	assert_non_null(c2);
	control_init(c2);
	ev_init(&ev2);
	/* Nobody there: control_call says so. */
	assert_int_equal(control_call(f->path, "status", buf, sizeof(buf),
	    &len, 100), -1);
	assert_int_equal(errno, ENOENT);
	/* A stale socket file is replaced. */
	snprintf(p, sizeof(p), "%s/run", f->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(control_call(f->path, "status", buf, sizeof(buf),
	    &len, 100), -1);
	assert_int_equal(errno, ECONNREFUSED);
	fx_open(f);
	/* A live one is not. */
	assert_int_equal(control_open(c2, &ev2, f->path, &fake_ops, NULL, f),
	    -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(control_open(&f->c, &f->ev, f->path, &fake_ops, NULL,
	    f), -1);
	assert_int_equal(errno, EALREADY);
	/* Closing unlinks only our own file. */
	control_close(&f->c);
	assert_int_equal(access(f->path, F_OK), -1);
	control_close(&f->c);		/* twice is fine */
	/* Not a socket: refused, left alone. */
	fd = open(f->path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(control_open(c2, &ev2, f->path, &fake_ops, NULL, f),
	    -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(access(f->path, F_OK), 0);
	(void)unlink(f->path);
	/* A directory others may write: refused. */
	assert_int_equal(chmod(p, 0777), 0);
	assert_int_equal(control_open(c2, &ev2, f->path, &fake_ops, NULL, f),
	    -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(chmod(p, 0700), 0);
	/* A path too long for sun_path. */
	memset(buf, 'a', 200);
	buf[0] = '/';
	buf[200] = '\0';
	assert_int_equal(control_open(c2, &ev2, buf, &fake_ops, NULL, f), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	control_close(c2);
	free(c2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_parse_known),
		cmocka_unit_test(t_format),
		cmocka_unit_test(t_parse_mutations),
		cmocka_unit_test(t_reply_parse),
		cmocka_unit_test(t_escape),
		cmocka_unit_test(t_status_golden),
		cmocka_unit_test(t_status_truncation),
		cmocka_unit_test(t_history_render),
		cmocka_unit_test(t_thaw_error_render),
		cmocka_unit_test(t_plan_render),
		cmocka_unit_test_setup_teardown(t_server_roundtrip, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_server_no_ops, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_server_clients, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_server_peercred, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_server_call, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_server_open, fx_setup,
		    fx_teardown),
	};

	(void)log_init("test_control", 1, 0);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
