/*
 * mountinfo.c: parse the text of /proc/self/mountinfo (pure, no I/O).
 *
 * The parser is strict about what the kernel writes (fs/proc_namespace.c
 * show_mountinfo): single spaces between fields, '\n' after every line, \ooo
 * escapes only.  Anything else means we are not reading what we think we
 * are reading, and a freeze plan built from it could miss a filesystem, so
 * the whole table is refused with the line and the reason.  The one
 * leniency is an empty source field: mount(2) accepts "" as a source and
 * the kernel prints it as an empty field (util-linux had to learn this too).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"

/*
 * The shortest line the parser accepts is 21 bytes ("1 1 0:1 / / r - t  r\n"
 * with an empty source), so a text of len bytes holds at most len / 21 + 1
 * entries; sizing the array from that keeps memory proportional to the
 * input without a first pass that trusts the line count.
 */
#define MI_MIN_LINE	21

/* Indexed by enum mi_err; the names are part of the log format. */
static const char *const mi_err_names[MI_E__MAX] = {
	[MI_OK] = "ok",
	[MI_E_EMPTY] = "empty",
	[MI_E_FIELDS] = "fields",
	[MI_E_NUMBER] = "number",
	[MI_E_DEVICE] = "device",
	[MI_E_SEPARATOR] = "separator",
	[MI_E_ESCAPE] = "escape",
	[MI_E_NUL] = "nul",
	[MI_E_TRUNCATED] = "truncated",
	[MI_E_NOMEM] = "nomem",
	[MI_E_PATH] = "path",
	[MI_E_INVAL] = "inval",
};

const char *
mi_err_name(int e)
{
	if (e < 0 || e >= MI_E__MAX || mi_err_names[e] == NULL)
		return "unknown";
	return mi_err_names[e];
}

/*
 * Cut the next space-separated token out of *sp in place.  Returns NULL
 * when the line is used up; an empty token ("a  b") comes back as "".
 */
static char *
mi_token(char **sp)
{
	char	*s = *sp, *sp_at;

	if (s == NULL)
		return NULL;
	sp_at = strchr(s, ' ');
	if (sp_at == NULL)
		*sp = NULL;
	else {
		*sp_at = '\0';
		*sp = sp_at + 1;
	}
	return s;
}

/* Decimal digits only (no sign, no blanks), value at most max. */
static int
mi_number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long	 v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return 0;
}

int
mi_devno(const char *s, unsigned *major, unsigned *minor)
{
	char		 buf[2 * sizeof("4294967295")];
	const char	*colon;
	unsigned long	 ma, mi;

	if ((colon = strchr(s, ':')) == NULL ||
	    (size_t)(colon - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(colon - s));
	buf[colon - s] = '\0';
	if (mi_number(buf, UINT_MAX, &ma) == -1 ||
	    mi_number(colon + 1, UINT_MAX, &mi) == -1)
		return -1;
	*major = (unsigned)ma;
	*minor = (unsigned)mi;
	return 0;
}

/*
 * Undo the kernel's mangle(): every escape is a backslash and exactly three
 * octal digits.  \000 is refused because it would cut the C string short and
 * the kernel never writes it (a path cannot hold a NUL).
 */
int
mi_unescape(char *s)
{
	char	*w = s;
	int	 v;

	while (*s != '\0') {
		if (*s != '\\') {
			*w++ = *s++;
			continue;
		}
		if (s[1] < '0' || s[1] > '3' || s[2] < '0' || s[2] > '7' ||
		    s[3] < '0' || s[3] > '7')
			return -1;
		v = (s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0');
		if (v == 0)
			return -1;
		*w++ = (char)v;
		s += 4;
	}
	*w = '\0';
	return 0;
}

/* Parse one NUL-terminated line in place into *e. */
static enum mi_err
mi_line(char *s, struct mi_entry *e)
{
	char		*f[6], *t;
	unsigned long	 v;
	size_t		 i;

	for (i = 0; i < 6; i++)
		if ((f[i] = mi_token(&s)) == NULL || *f[i] == '\0')
			return MI_E_FIELDS;
	e->noptional = 0;
	for (;;) {
		if ((t = mi_token(&s)) == NULL)
			return MI_E_SEPARATOR;
		if (strcmp(t, "-") == 0)
			break;
		if (*t == '\0')
			return MI_E_FIELDS;
		e->noptional++;
	}
	if ((e->fstype = mi_token(&s)) == NULL ||
	    (e->source = mi_token(&s)) == NULL ||
	    (e->superopts = mi_token(&s)) == NULL || s != NULL)
		return MI_E_FIELDS;
	if (*e->fstype == '\0' || *e->superopts == '\0')
		return MI_E_FIELDS;

	if (mi_number(f[0], INT_MAX, &v) == -1)
		return MI_E_NUMBER;
	e->id = (int)v;
	if (mi_number(f[1], INT_MAX, &v) == -1)
		return MI_E_NUMBER;
	e->parent = (int)v;
	if (mi_devno(f[2], &e->major, &e->minor) == -1)
		return MI_E_DEVICE;

	e->root = f[3];
	e->mnt = f[4];
	e->opts = f[5];
	if (mi_unescape(e->root) == -1 || mi_unescape(e->mnt) == -1 ||
	    mi_unescape(e->fstype) == -1 || mi_unescape(e->source) == -1)
		return MI_E_ESCAPE;
	/*
	 * The kernel skips mounts outside our root instead of printing a
	 * relative path, so a mount point is always absolute; the planner's
	 * prefix matching relies on it.
	 */
	if (e->mnt[0] != '/')
		return MI_E_PATH;
	return MI_OK;
}

int
mi_parse(const char *text, size_t len, struct mi_table *out,
    struct mi_error *err)
{
	struct mi_error	 dummy;
	struct mi_entry	 e;
	char		*buf, *p, *end, *nl;
	size_t		 cap, line;
	enum mi_err	 code;

	if (err == NULL)
		err = &dummy;
	err->code = MI_OK;
	err->line = 0;
	if (out == NULL || (text == NULL && len > 0)) {
		err->code = MI_E_INVAL;
		return -1;
	}
	memset(out, 0, sizeof(*out));
	if (len == 0) {
		err->code = MI_E_EMPTY;
		return -1;
	}
	if (len > SIZE_MAX - 1) {
		err->code = MI_E_NOMEM;
		return -1;
	}
	cap = len / MI_MIN_LINE + 1;
	if ((buf = malloc(len + 1)) == NULL ||
	    (out->v = calloc(cap, sizeof(*out->v))) == NULL) {
		free(buf);
		err->code = MI_E_NOMEM;
		return -1;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	out->priv = buf;

	end = buf + len;
	code = MI_OK;
	for (p = buf, line = 1; p < end; p = nl + 1, line++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (memchr(p, '\0', (size_t)((nl != NULL ? nl : end) - p))) {
			code = MI_E_NUL;
			break;
		}
		if (nl == NULL) {
			code = MI_E_TRUNCATED;
			break;
		}
		*nl = '\0';
		memset(&e, 0, sizeof(e));
		if ((code = mi_line(p, &e)) != MI_OK)
			break;
		e.line = line;
		if (out->n >= cap) {	/* cannot happen, see MI_MIN_LINE */
			code = MI_E_FIELDS;
			break;
		}
		out->v[out->n++] = e;
	}
	if (code != MI_OK) {
		mi_free(out);
		err->code = code;
		err->line = line;
		return -1;
	}
	return 0;
}

void
mi_free(struct mi_table *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t->priv);
	memset(t, 0, sizeof(*t));
}

int
mi_opt_has(const char *opts, const char *name)
{
	size_t		 nlen;
	const char	*p, *q;

	if (opts == NULL || name == NULL || (nlen = strlen(name)) == 0 ||
	    strchr(name, ',') != NULL)
		return 0;
	for (p = opts;; p = q + 1) {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		if ((size_t)(q - p) == nlen && memcmp(p, name, nlen) == 0)
			return 1;
		if (*q == '\0')
			return 0;
	}
}

size_t
mi_escape(const char *s, char *buf, size_t size)
{
	size_t	n = 0;

	for (; *s != '\0'; s++) {
		unsigned char	c = (unsigned char)*s;
		char		tmp[5];
		size_t		k, len = 1;

		tmp[0] = (char)c;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)('0' + ((c >> 6) & 7));
			tmp[2] = (char)('0' + ((c >> 3) & 7));
			tmp[3] = (char)('0' + (c & 7));
			len = 4;
		}
		for (k = 0; k < len; k++, n++)
			if (n + 1 < size)
				buf[n] = tmp[k];
	}
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}
