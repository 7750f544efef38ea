/*
 * log.c: stderr or syslog, with a hold buffer for the frozen window.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

/* All logging state; the hold buffer is static so it is locked in memory
 * with the rest of the image by mlockall() and never allocated while frozen. */
static struct {
	int		 foreground;
	int		 debug;
	int		 holding;
	size_t		 used;
	unsigned	 dropped;
	char		 buf[LOG_HOLD_BYTES];
} lg = { 1, 1, 0, 0, 0, { 0 } };

int
log_init(const char *ident, int foreground, int debug)
{
	lg.foreground = foreground;
	lg.debug = debug;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return 0;
}

static void
emit(int pri, const struct timespec *ts, const char *line)
{
	struct tm	tm;
	char		stamp[32];

	if (!lg.foreground) {
		if (ts != NULL)
			syslog(pri, "%s held_at=%lld.%03ld", line,
			    (long long)ts->tv_sec, ts->tv_nsec / 1000000);
		else
			syslog(pri, "%s", line);
		return;
	}
	if (ts == NULL) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		localtime_r(&now.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s\n", stamp, now.tv_nsec / 1000000,
		    line);
	} else {
		localtime_r(&ts->tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s\n", stamp, ts->tv_nsec / 1000000,
		    line);
	}
	fflush(stderr);
}

/*
 * Held record: [struct timespec][int pri][NUL-terminated line], appended to
 * the static buffer.  When it is full the line is counted as dropped; the
 * count is reported after the flush, never silently lost.
 */
static void
hold(int pri, const char *line)
{
	struct timespec	ts;
	size_t		len = strlen(line) + 1;
	size_t		need = sizeof(ts) + sizeof(pri) + len;

	if (lg.used + need > sizeof(lg.buf)) {
		lg.dropped++;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	memcpy(lg.buf + lg.used, &ts, sizeof(ts));
	memcpy(lg.buf + lg.used + sizeof(ts), &pri, sizeof(pri));
	memcpy(lg.buf + lg.used + sizeof(ts) + sizeof(pri), line, len);
	lg.used += need;
}

static void
flush_held(void)
{
	size_t		off = 0;
	struct timespec	ts;
	int		pri;

	while (off < lg.used) {
		const char *line;

		memcpy(&ts, lg.buf + off, sizeof(ts));
		memcpy(&pri, lg.buf + off + sizeof(ts), sizeof(pri));
		line = lg.buf + off + sizeof(ts) + sizeof(pri);
		emit(pri, &ts, line);
		off += sizeof(ts) + sizeof(pri) + strlen(line) + 1;
	}
	lg.used = 0;
	if (lg.dropped) {
		char	msg[96];

		snprintf(msg, sizeof(msg),
		    "event=log-overflow dropped=%u while frozen", lg.dropped);
		emit(LOG_WARNING, NULL, msg);
		lg.dropped = 0;
	}
}

void
log_hold(int on)
{
	if (on) {
		lg.holding = 1;
		return;
	}
	lg.holding = 0;
	flush_held();
}

int
log_holding(void)
{
	return lg.holding;
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	line[1024];
	int	saved = errno;

	if (pri == LOG_DEBUG && !lg.debug)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (lg.holding)
		hold(pri, line);
	else
		emit(pri, NULL, line);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	char	buf[1024];
	int	saved = errno;
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	errno = saved;
	/* logf the composed message plus the errno text */
	{
		char	line[1200];

		snprintf(line, sizeof(line), "%s error=\"%s\"", buf,
		    strerror(saved));
		if (lg.holding)
			hold(LOG_ERR, line);
		else
			emit(LOG_ERR, NULL, line);
	}
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}
