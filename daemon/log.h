/*
 * log.h: logging for hv_vss_daemon.
 *
 * Before log_init() and in the foreground, lines go to stderr; otherwise to
 * syslog.  Between the first freeze and the last thaw nothing may touch a
 * file or syslog (syslogd or journald may be writing to a frozen
 * filesystem, prior-art.md B1 item 1), so log_hold(1) diverts every line
 * into a preallocated, memory-locked buffer that log_hold(0) flushes in order
 * with each line's original time.  One line per event, key=value fields.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#define LOG_HOLD_BYTES	(256 * 1024)

int	log_init(const char *ident, int foreground, int debug);
void	log_hold(int);
int	log_holding(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	vlog(int, const char *, va_list) __attribute__((format(printf, 2, 0)));

#endif /* LOG_H */
