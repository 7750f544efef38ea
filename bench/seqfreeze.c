/*
 * seqfreeze: the fsfreeze(8) peer: `fsfreeze -f` over the mounts in the order
 * given (mount order), hold, then `fsfreeze -u` in the same order; one
 * process per call, as a shell script would do it.
 *
 * usage: seqfreeze -T TIMELINE [-c cycle] [-H hold-ms] MOUNT...
 * Timeline lines as hvvss-host's: send/reply op=FREEZE is the first fork to
 * the last exit of the -f calls, send/reply op=THAW the same for -u.
 */
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>
#include "bcommon.h"

static int
run(const char *flag, const char *mnt)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execlp("fsfreeze", "fsfreeze", flag, mnt, (char *)NULL);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	const char *tlpath = NULL;
	unsigned cycle = 1, hold = 100;
	int ch, ok = 1, i, nfrozen;
	FILE *tl;

	while ((ch = getopt(argc, argv, "T:c:H:")) != -1) {
		switch (ch) {
		case 'T': tlpath = optarg; break;
		case 'c': cycle = (unsigned)atoi(optarg); break;
		case 'H': hold = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (tlpath == NULL || optind >= argc || (tl = fopen(tlpath, "a")) == NULL)
		return 2;
	b_tl(tl, b_now(), cycle, "send op=FREEZE");
	for (i = optind; i < argc; i++)
		if (run("-f", argv[i]) == -1) {
			ok = 0;
			break;
		}
	nfrozen = i;
	b_tl(tl, b_now(), cycle, "reply op=FREEZE status=%s", ok ? "S_OK" : "E_FAIL");
	if (ok)
		b_sleep_ms(hold);
	b_tl(tl, b_now(), cycle, "send op=THAW");
	for (i = optind; i < nfrozen; i++)
		if (run("-u", argv[i]) == -1)
			ok = 0;
	b_tl(tl, b_now(), cycle, "reply op=THAW status=%s", ok ? "S_OK" : "E_FAIL");
	b_tl(tl, b_now(), cycle, "cycle-end result=%s", ok ? "ok" : "fail");
	return ok ? 0 : 1;
}
