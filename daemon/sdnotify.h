/*
 * sdnotify.h: the service manager's readiness protocol (sd_notify(3)),
 * without libsystemd: one datagram to $NOTIFY_SOCKET.  A no-op when the
 * variable is unset (not started by systemd).
 */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

int	sdnotify(const char *);

#endif /* SDNOTIFY_H */
