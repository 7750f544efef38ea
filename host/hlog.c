/*
 * hlog.c: stderr diagnostics with a verbosity level.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hlog.h"

static enum hlog_level	hlog_cur = HLOG_NORMAL;

void
hlog_init(enum hlog_level level)
{
	hlog_cur = level;
}

int
hlog_enabled(enum hlog_level level)
{
	return level <= hlog_cur;
}

static void
hlog_vemit(const char *fmt, va_list ap, int err)
{
	char	 buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err != 0)
		fprintf(stderr, "hvvss-host: %s: %s\n", buf, strerror(err));
	else
		fprintf(stderr, "hvvss-host: %s\n", buf);
}

void
hlog_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	hlog_vemit(fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void
hlog_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	hlog_vemit(fmt, ap, 0);
	va_end(ap);
}

void
hlog_info(const char *fmt, ...)
{
	va_list	 ap;

	if (!hlog_enabled(HLOG_NORMAL))
		return;
	va_start(ap, fmt);
	hlog_vemit(fmt, ap, 0);
	va_end(ap);
}

void
hlog_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!hlog_enabled(HLOG_DEBUG))
		return;
	va_start(ap, fmt);
	hlog_vemit(fmt, ap, 0);
	va_end(ap);
}
