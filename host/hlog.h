/*
 * hlog.h: diagnostics of hvvss-host on stderr (not the timeline).
 *
 * Three levels: quiet (errors only), normal, debug (-v: every device op).
 * The level is process-wide state like a syslog priority mask; everything
 * else in hvvss-host lives in structs passed by pointer.
 */
#ifndef HOST_HLOG_H
#define HOST_HLOG_H

enum hlog_level {
	HLOG_QUIET = 0,
	HLOG_NORMAL,
	HLOG_DEBUG
};

void	hlog_init(enum hlog_level);
int	hlog_enabled(enum hlog_level);
void	hlog_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	hlog_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	hlog_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	hlog_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif /* HOST_HLOG_H */
