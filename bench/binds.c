/*
 * binds: make or remove N bind mounts of SRC at DIR/0..N-1 (P4's live
 * 5,000-bind table; run only inside the sandbox's private mount namespace).
 * usage: binds -m N SRC DIR | binds -u N DIR
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
	char p[4096];
	int n, i, bad = 0;

	if (argc == 5 && strcmp(argv[1], "-m") == 0) {
		n = atoi(argv[2]);
		for (i = 0; i < n; i++) {
			snprintf(p, sizeof(p), "%s/%d", argv[4], i);
			if (mkdir(p, 0755) == -1 && errno != EEXIST) { perror(p); return 1; }
			if (mount(argv[3], p, NULL, MS_BIND, NULL) == -1) { perror(p); return 1; }
		}
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "-u") == 0) {
		n = atoi(argv[2]);
		for (i = n; i-- > 0;) {
			snprintf(p, sizeof(p), "%s/%d", argv[3], i);
			if (umount2(p, 0) == -1 && umount2(p, MNT_DETACH) == -1) { perror(p); bad = 1; }
		}
		return bad;
	}
	fprintf(stderr, "usage: binds -m N SRC DIR | binds -u N DIR\n");
	return 2;
}
