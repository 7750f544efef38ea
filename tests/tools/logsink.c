/*
 * logsink: a /dev/log receiver for sandboxes without a syslog daemon.
 *
 * usage: logsink SOCKET-PATH LOG-FILE
 *
 * Binds a datagram unix socket at SOCKET-PATH (mode 0666) and appends each
 * received message to LOG-FILE as one line "<CLOCK_MONOTONIC ns> <message>".
 * Runs until SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	static char buf[8192 + 64];
	int s, out;

	if (argc != 3) {
		fprintf(stderr, "usage: logsink SOCKET-PATH LOG-FILE\n");
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "logsink: socket path too long\n");
		return 2;
	}
	out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out < 0) {
		fprintf(stderr, "logsink: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		fprintf(stderr, "logsink: socket: %s\n", strerror(errno));
		return 1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "logsink: bind %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	chmod(argv[1], 0666);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct timespec ts;
		char msg[8192];
		ssize_t n;
		int len;

		n = recv(s, msg, sizeof(msg) - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "logsink: recv: %s\n", strerror(errno));
			return 1;
		}
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\0'))
			n--;
		msg[n] = '\0';
		clock_gettime(CLOCK_MONOTONIC, &ts);
		len = snprintf(buf, sizeof(buf), "%llu %s\n",
		    (unsigned long long)ts.tv_sec * 1000000000ull +
		    (unsigned long long)ts.tv_nsec, msg);
		if (len > (int)sizeof(buf) - 1)
			len = (int)sizeof(buf) - 1;
		if (write(out, buf, (size_t)len) < 0)
			return 1;
	}
}
