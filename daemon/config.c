/*
 * config.c: hvvss.conf with libinih (a small, well-kept parser, Debian's
 * libinih); this file only judges sections, keys and values.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "xport.h"

enum {
	SEEN_TRANSPORT = 0x01,
	SEEN_DEVICE = 0x02,
	SEEN_DEADLINE = 0x04,
	SEEN_ACCEPT = 0x08,
	SEEN_HDIR = 0x10,
	SEEN_HQGA = 0x20,
	SEEN_HVMW = 0x40,
	SEEN_HPOL = 0x80,
	SEEN_HTMO = 0x100,
	SEEN_NSOCK = 0x200,
	SEEN_NPOL = 0x400,
	SEEN_NTMO = 0x800,
	SEEN_RCU = 0x1000
};

void
config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->transport = -1;
	c->accept_frozen = -1;
	c->expedite_rcu = -1;
	c->hooks_qga = -1;
	c->hooks_vmware = -1;
	c->hooks_policy = -1;
	c->notify_policy = -1;
}

void
config_free(struct config *c)
{
	size_t	i;

	free(c->device);
	free(c->hooks_dir);
	free(c->notify_socket);
	for (i = 0; i < c->ninclude; i++)
		free(c->include[i]);
	for (i = 0; i < c->nexclude; i++)
		free(c->exclude[i]);
	config_init(c);
}

/* Record the first error; what, then the offending value if any. */
static int
fail(struct config *c, const char *what, const char *val)
{
	if (c->err[0] == '\0')
		snprintf(c->err, sizeof(c->err), "%s%s%s", what,
		    val != NULL ? ": " : "", val != NULL ? val : "");
	return 0;	/* inih: 0 = error on this line */
}

static int
once(struct config *c, int bit, const char *key)
{
	if (c->seen & bit) {
		fail(c, "duplicate key", key);
		return -1;
	}
	c->seen |= bit;
	return 0;
}

static int
yesno(const char *v)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0)
		return 1;
	if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0)
		return 0;
	return -1;
}

/* A single-valued yes/no key into *out: inih's 1, or 0 with the error. */
static int
bool_key(struct config *c, int bit, const char *key, const char *v, int *out)
{
	char	what[64];

	if (once(c, bit, key) == -1)
		return 0;
	if ((*out = yesno(v)) == -1) {
		snprintf(what, sizeof(what), "%s must be yes or no", key);
		return fail(c, what, v);
	}
	return 1;
}

static int
path_ok(const char *v)
{
	return v[0] == '/' && strlen(v) < 4096;
}

static int
add_list(struct config *c, char **list, size_t *n, const char *v)
{
	if (!path_ok(v))
		return fail(c, "not an absolute path", v);
	if (*n >= CONFIG_MAX_LIST)
		return fail(c, "more than 64 entries", NULL);
	if ((list[*n] = strdup(v)) == NULL)
		return fail(c, "out of memory", NULL);
	list[++*n] = NULL;
	return 1;
}

/* "continue" or "fail" into 0/1; -1 otherwise. */
static int
policy(const char *v)
{
	return strcmp(v, "continue") == 0 ? 0 : strcmp(v, "fail") == 0 ? 1 :
	    -1;
}

/* Seconds 1..900 into *out; -1 if not. */
static int
seconds(const char *v, unsigned *out)
{
	char		*end;
	unsigned long	 ul;

	errno = 0;
	ul = strtoul(v, &end, 10);
	if (errno || end == v || *end != '\0' || v[0] == '-' || ul < 1 ||
	    ul > 900)
		return -1;
	*out = (unsigned)ul;
	return 0;
}

static int
hooks_key(struct config *c, const char *key, const char *v)
{
	if (strcmp(key, "dir") == 0) {
		if (once(c, SEEN_HDIR, key) == -1)
			return 0;
		if (strcmp(v, "none") != 0 && !path_ok(v))
			return fail(c, "hooks dir is not an absolute path", v);
		if ((c->hooks_dir = strdup(v)) == NULL)
			return fail(c, "out of memory", NULL);
		return 1;
	}
	if (strcmp(key, "qemu_ga") == 0)
		return bool_key(c, SEEN_HQGA, key, v, &c->hooks_qga);
	if (strcmp(key, "vmware") == 0)
		return bool_key(c, SEEN_HVMW, key, v, &c->hooks_vmware);
	if (strcmp(key, "policy") == 0) {
		if (once(c, SEEN_HPOL, key) == -1)
			return 0;
		if ((c->hooks_policy = policy(v)) == -1)
			return fail(c, "policy must be continue or fail", v);
		return 1;
	}
	if (strcmp(key, "timeout") == 0) {
		if (once(c, SEEN_HTMO, key) == -1)
			return 0;
		if (seconds(v, &c->hooks_timeout_s) == -1)
			return fail(c, "timeout must be 1..900 seconds", v);
		return 1;
	}
	return fail(c, "unknown key", key);
}

static int
notify_key(struct config *c, const char *key, const char *v)
{
	if (strcmp(key, "socket") == 0) {
		if (once(c, SEEN_NSOCK, key) == -1)
			return 0;
		if (strcmp(v, "none") != 0 && (!path_ok(v) || strlen(v) > 107))
			return fail(c, "socket must be an absolute path of at "
			    "most 107 bytes", v);
		if ((c->notify_socket = strdup(v)) == NULL)
			return fail(c, "out of memory", NULL);
		return 1;
	}
	if (strcmp(key, "policy") == 0) {
		if (once(c, SEEN_NPOL, key) == -1)
			return 0;
		if ((c->notify_policy = policy(v)) == -1)
			return fail(c, "policy must be continue or fail", v);
		return 1;
	}
	if (strcmp(key, "timeout") == 0) {
		if (once(c, SEEN_NTMO, key) == -1)
			return 0;
		if (seconds(v, &c->notify_timeout_s) == -1)
			return fail(c, "timeout must be 1..900 seconds", v);
		return 1;
	}
	return fail(c, "unknown key", key);
}

static int
handler(void *user, const char *section, const char *key, const char *v)
{
	struct config	*c = user;
	char		*end;
	unsigned long	 ul;

	if (key == NULL)	/* a bare section header: judged with its keys */
		return 1;
	if (strcmp(section, "daemon") == 0) {
		if (strcmp(key, "transport") == 0) {
			if (once(c, SEEN_TRANSPORT, key) == -1)
				return 0;
			if (strcmp(v, "linux") == 0)
				c->transport = XPORT_LINUX;
			else if (strcmp(v, "freebsd") == 0)
				c->transport = XPORT_FREEBSD;
			else
				return fail(c, "transport must be linux or "
				    "freebsd", v);
			return 1;
		}
		if (strcmp(key, "device") == 0) {
			if (once(c, SEEN_DEVICE, key) == -1)
				return 0;
			if (!path_ok(v))
				return fail(c, "device is not an absolute "
				    "path", v);
			if ((c->device = strdup(v)) == NULL)
				return fail(c, "out of memory", NULL);
			return 1;
		}
	} else if (strcmp(section, "freeze") == 0) {
		if (strcmp(key, "deadline") == 0) {
			if (once(c, SEEN_DEADLINE, key) == -1)
				return 0;
			errno = 0;
			ul = strtoul(v, &end, 10);
			if (errno || end == v || *end != '\0' || v[0] == '-' ||
			    ul < 1 || ul > 3600)
				return fail(c, "deadline must be 1..3600 "
				    "seconds", v);
			c->deadline_s = (unsigned)ul;
			return 1;
		}
		if (strcmp(key, "accept_frozen") == 0)
			return bool_key(c, SEEN_ACCEPT, key, v,
			    &c->accept_frozen);
		if (strcmp(key, "expedite_rcu") == 0)
			return bool_key(c, SEEN_RCU, key, v, &c->expedite_rcu);
		if (strcmp(key, "include") == 0)
			return add_list(c, c->include, &c->ninclude, v);
		if (strcmp(key, "exclude") == 0)
			return add_list(c, c->exclude, &c->nexclude, v);
	} else if (strcmp(section, "hooks") == 0) {
		return hooks_key(c, key, v);
	} else if (strcmp(section, "notify") == 0) {
		return notify_key(c, key, v);
	} else
		return fail(c, "unknown section", section);
	return fail(c, "unknown key", key);
}

int
config_parse(struct config *c, const char *text)
{
	int	r;

	r = ini_parse_string(text, handler, c);
	if (r == 0)
		return 0;
	c->err_line = r > 0 ? r : 0;
	if (c->err[0] == '\0')
		snprintf(c->err, sizeof(c->err), "%s",
		    r > 0 ? "syntax error" : "out of memory");
	return -1;
}

int
config_load(struct config *c, const char *path, int must_exist)
{
	char	*buf;
	size_t	 n = 0;
	ssize_t	 r;
	int	 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(c->err, sizeof(c->err), "%s: %s", path,
		    strerror(errno));
		return -1;
	}
	if ((buf = malloc(CONFIG_MAX_BYTES + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (n < CONFIG_MAX_BYTES &&
	    (r = read(fd, buf + n, CONFIG_MAX_BYTES - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (n == CONFIG_MAX_BYTES) {
		snprintf(c->err, sizeof(c->err), "%s: larger than 1 MiB", path);
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(c->err, sizeof(c->err), "%s: contains a NUL byte",
		    path);
		free(buf);
		return -1;
	}
	rc = config_parse(c, buf);
	free(buf);
	return rc;
}
