/*
 * notify-client: a test client of the daemon's notification socket that
 * behaves as told: answers every event (ack), refuses (fail), or never
 * answers (mute).  Logs "PHASE CYCLE NS" per event received to -o, with
 * CLOCK_MONOTONIC ns.  Retries connecting until the socket exists.
 *	notify-client -n NAME -o LOG [-m ack|fail|mute] [-s SOCKET]
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hvvss_notify.h"

static unsigned long long
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull +
	    (unsigned long long)ts.tv_nsec;
}

static int
send_msg(int fd, const struct hvvss_notify_msg *m)
{
	uint8_t	buf[HVVSS_NOTIFY_MSG_LEN];

	if (hvvss_notify_encode(m, buf, sizeof(buf)) != HVVSS_OK)
		return -1;
	return send(fd, buf, sizeof(buf), MSG_NOSIGNAL) == (ssize_t)sizeof(buf) ?
	    0 : -1;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct hvvss_notify_msg	 m, r;
	const char		*sock = HVVSS_NOTIFY_PATH, *name = NULL;
	const char		*mode = "ack", *out = NULL;
	uint8_t			 buf[HVVSS_NOTIFY_MSG_LEN + 1];
	FILE			*log;
	ssize_t			 n;
	int			 ch, fd = -1, tries;

	while ((ch = getopt(argc, argv, "m:n:o:s:")) != -1) {
		switch (ch) {
		case 'm': mode = optarg; break;
		case 'n': name = optarg; break;
		case 'o': out = optarg; break;
		case 's': sock = optarg; break;
		default: goto usage;
		}
	}
	if (name == NULL || out == NULL || optind != argc ||
	    strlen(name) > HVVSS_NOTIFY_NAME_MAX ||
	    strlen(sock) >= sizeof(sun.sun_path) ||
	    (strcmp(mode, "ack") && strcmp(mode, "fail") && strcmp(mode, "mute")))
		goto usage;
	if ((log = fopen(out, "a")) == NULL)
		return 1;
	setvbuf(log, NULL, _IOLBF, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock, strlen(sock));
	for (tries = 0; tries < 300; tries++) {	/* up to 30 s */
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (fd == -1)
			return 1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(100000);
	}
	if (fd == -1)
		return 1;
	hvvss_notify_init(&m, HVVSS_NOTIFY_REGISTER);
	memcpy(m.name, name, strlen(name));
	if (send_msg(fd, &m) == -1)
		return 1;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;		/* the daemon went away */
		if (hvvss_notify_decode(buf, (size_t)n, &r) != HVVSS_OK)
			return 2;
		if (r.type == HVVSS_NOTIFY_WELCOME) {
			fprintf(log, "welcome %u %llu\n", r.status, now_ns());
			if (r.status != HVVSS_NOTIFY_ST_OK)
				return 3;
			continue;
		}
		if (r.type != HVVSS_NOTIFY_EVENT)
			continue;
		fprintf(log, "%s %u %llu\n", hvvss_notify_phase_name(r.phase),
		    r.cycle, now_ns());
		if (strcmp(mode, "mute") == 0)
			continue;
		hvvss_notify_init(&m, HVVSS_NOTIFY_ACK);
		m.cycle = r.cycle;
		m.phase = r.phase;
		m.status = strcmp(mode, "fail") == 0 ? HVVSS_NOTIFY_ST_FAIL :
		    HVVSS_NOTIFY_ST_OK;
		if (send_msg(fd, &m) == -1)
			break;
	}
	fprintf(log, "closed 0 %llu\n", now_ns());
	return 0;
usage:
	fprintf(stderr, "usage: notify-client -n name -o log [-m ack|fail|mute] "
	    "[-s socket]\n");
	return 64;
}
