/* fuzz-sources: daemon/control.c daemon/usock.c daemon/history.c daemon/freeze.c daemon/rcuexp.c daemon/log.c daemon/ev.c daemon/mountinfo.c daemon/plan.c daemon/facts.c */
/*
 * fuzz_control.c: bytes into the control socket's pure parts.
 *
 * Every input goes to control_parse() (a request) and to
 * control_reply_parse() (a reply head).  An accepted request must be made
 * of the allowed bytes only and survive control_format() and a second
 * parse unchanged.  The input is also quoted as a JSON string, which must
 * be exactly one string token that decodes back to the input's bytes up
 * to the first NUL (surrogateescape included), and as text, which must
 * hold no control byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "history.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode control.c's JSON string escapes; the decoded length or -1. */
static long
unquote(const char *q, size_t len, char *out)
{
	size_t	i, n = 0;
	int	a, b, c, d;

	if (len < 2 || q[0] != '"' || q[len - 1] != '"')
		return -1;
	for (i = 1; i < len - 1; i++) {
		if ((unsigned char)q[i] < 0x20 || q[i] == '"')
			return -1;
		if (q[i] != '\\') {
			out[n++] = q[i];
			continue;
		}
		if (++i >= len - 1)
			return -1;
		switch (q[i]) {
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'u':
			if (i + 4 >= len - 1)
				return -1;
			a = hexval(q[i + 1]);
			b = hexval(q[i + 2]);
			c = hexval(q[i + 3]);
			d = hexval(q[i + 4]);
			if (a < 0 || b < 0 || c < 0 || d < 0)
				return -1;
			if (a == 0xd && b == 0xc && c >= 8)
				out[n++] = (char)(c << 4 | d);	/* dc80..dcff */
			else if (a == 0 && b == 0 && (c < 2 ||
			    (c == 7 && d == 0xf)))
				out[n++] = (char)(c << 4 | d);
			else
				return -1;
			i += 4;
			break;
		default:
			return -1;
		}
	}
	return (long)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct control_req	 rq, back;
	enum control_result	 res;
	const char		*why, *body;
	char			 buf[CONTROL_REQ_MAX + 1], *s, *q, *u;
	size_t			 i, n, blen, slen, qsize;
	long			 ul;

	if (control_parse(data, len, &rq, &why) == 0) {
		if (why != NULL || len == 0 || len > CONTROL_REQ_MAX ||
		    rq.cmd >= CC__MAX || rq.n < 1 || rq.n > HISTORY_MAX)
			abort();
		for (i = 0; i < len; i++)
			if (data[i] != ' ' && !(data[i] >= 'a' &&
			    data[i] <= 'z') && !(data[i] >= '0' &&
			    data[i] <= '9'))
				abort();
		n = control_format(&rq, buf, sizeof(buf));
		if (n >= sizeof(buf) || control_parse(buf, n, &back, NULL) ==
		    -1 || memcmp(&rq, &back, sizeof(rq)) != 0)
			abort();
	} else if (why == NULL)
		abort();

	if (control_reply_parse((const char *)data, len, &res, &body,
	    &blen) == 0) {
		if (res >= CR__MAX || body < (const char *)data ||
		    body + blen != (const char *)data + len)
			abort();
	}

	/* Quoting: the bytes up to the first NUL, as a C string. */
	if ((s = malloc(len + 1)) == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	slen = strlen(s);
	qsize = 6 * slen + 16;
	q = malloc(qsize);
	u = malloc(qsize);
	if (q != NULL && u != NULL) {
		n = control_quote(s, 1, q, qsize);
		if (n >= qsize || q[n] != '\0')
			abort();
		ul = unquote(q, n, u);
		if (ul < 0 || (size_t)ul != slen || memcmp(u, s, slen) != 0)
			abort();
		n = control_quote(s, 0, q, qsize);
		for (i = 0; i < n; i++)
			if ((unsigned char)q[i] <= 0x20 ||
			    (unsigned char)q[i] == 0x7f)
				abort();
		/* Too small a buffer: never half a JSON string. */
		n = control_quote(s, 1, q, 16);
		if (n >= 16 || q[0] != '"' || q[n - 1] != '"')
			abort();
	}
	free(q);
	free(u);
	free(s);
	return 0;
}
