/*
 * qga-drive: one freeze cycle of qemu-ga over its unix socket (JSON lines).
 *
 * usage: qga-drive -s SOCKET -T TIMELINE [-c cycle] [-H hold-ms] MOUNT... | ALL
 * (ALL: guest-fsfreeze-freeze, qemu-ga picks the mounts itself)
 *
 * Connects (and syncs with guest-ping) before the clock starts, then
 *   send guest-fsfreeze-freeze-list {mountpoints} -> reply,
 *   hold, send guest-fsfreeze-thaw -> reply,
 * appending hvvss-host style lines (send/reply op=FREEZE/THAW, CLOCK_MONOTONIC
 * ns) to TIMELINE.  Exit 0 if both replies carry "return", else 1.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bcommon.h"

static int fd;
static char rbuf[1 << 16];
static size_t rlen;

static int
xsend(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one '\n'-terminated line into out (consumed from rbuf). */
static int
xline(char *out, size_t outsz)
{
	for (;;) {
		char *nl = memchr(rbuf, '\n', rlen);

		if (nl != NULL) {
			size_t n = (size_t)(nl - rbuf) + 1;
			size_t c = n < outsz ? n : outsz - 1;

			memcpy(out, rbuf, c);
			out[c] = '\0';
			memmove(rbuf, rbuf + n, rlen - n);
			rlen -= n;
			return 0;
		}
		if (rlen == sizeof(rbuf))
			return -1;
		ssize_t r = read(fd, rbuf + rlen, sizeof(rbuf) - rlen);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		rlen += (size_t)r;
	}
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *tlpath = NULL;
	unsigned cycle = 1, hold = 100;
	int ch, ok = 1;
	FILE *tl;
	struct sockaddr_un sa;
	static char cmd[1 << 20], line[1 << 16];
	size_t n;
	uint64_t t;

	while ((ch = getopt(argc, argv, "s:T:c:H:")) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'T': tlpath = optarg; break;
		case 'c': cycle = (unsigned)atoi(optarg); break;
		case 'H': hold = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (sock == NULL || tlpath == NULL || optind >= argc) {
		fprintf(stderr, "usage: qga-drive -s SOCKET -T TIMELINE [-c cycle] [-H hold-ms] MOUNT...\n");
		return 2;
	}
	if ((tl = fopen(tlpath, "a")) == NULL) {
		perror(tlpath);
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	for (int i = 0; connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1; i++) {
		if (i > 200) {
			perror("connect");
			return 1;
		}
		b_sleep_ms(25);
	}
	/* Warm the connection: guest-ping must answer before the clock runs. */
	if (xsend("{\"execute\":\"guest-ping\"}\n", 25) == -1 || xline(line, sizeof(line)) == -1) {
		fprintf(stderr, "qga-drive: no answer to guest-ping\n");
		return 1;
	}
	if (optind == argc - 1 && strcmp(argv[optind], "ALL") == 0) {
		/* guest-fsfreeze-freeze: every mount qemu-ga itself selects. */
		n = (size_t)snprintf(cmd, sizeof(cmd), "{\"execute\":\"guest-fsfreeze-freeze\"}\n");
	} else {
		n = (size_t)snprintf(cmd, sizeof(cmd),
		    "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[");
		for (int i = optind; i < argc; i++)
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s\"%s\"", i > optind ? "," : "", argv[i]);
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "]}}\n");
	}

	t = b_now();
	b_tl(tl, t, cycle, "send op=FREEZE");
	if (xsend(cmd, n) == -1 || xline(line, sizeof(line)) == -1) {
		fprintf(stderr, "qga-drive: freeze: no reply\n");
		return 1;
	}
	t = b_now();
	if (strstr(line, "\"return\"") == NULL)
		ok = 0;
	b_tl(tl, t, cycle, "reply op=FREEZE status=%s", ok ? "S_OK" : "E_FAIL");
	fprintf(stderr, "qga-drive: freeze reply: %s", line);
	b_sleep_ms(hold);
	t = b_now();
	b_tl(tl, t, cycle, "send op=THAW");
	if (xsend("{\"execute\":\"guest-fsfreeze-thaw\"}\n", 34) == -1 || xline(line, sizeof(line)) == -1) {
		fprintf(stderr, "qga-drive: thaw: no reply\n");
		return 1;
	}
	t = b_now();
	if (strstr(line, "\"return\"") == NULL)
		ok = 0;
	b_tl(tl, t, cycle, "reply op=THAW status=%s", strstr(line, "\"return\"") ? "S_OK" : "E_FAIL");
	b_tl(tl, t, cycle, "cycle-end result=%s", ok ? "ok" : "fail");
	fprintf(stderr, "qga-drive: thaw reply: %s", line);
	return ok ? 0 : 1;
}
