/*
 * sdnotify.c: send "READY=1", "STOPPING=1", "STATUS=..." to systemd.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"

int
sdnotify(const char *msg)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	size_t			 len;
	socklen_t		 slen;
	ssize_t			 n;
	int			 fd;

	if (path == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	/* Absolute path, or '@' for the abstract namespace. */
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	n = sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sun, slen);
	close(fd);
	return n == (ssize_t)strlen(msg) ? 0 : -1;
}
