/*
 * frzexp: the daemon's freeze engine steps, standalone, to test variants:
 * open all mounts; parallel syncfs (presync, as daemon/freeze.c
 * frz_presync); optionally a second parallel syncfs right before the
 * freeze; parallel FIFREEZE (one thread per fs, as frz_freeze within a
 * stage); hold; FITHAW in reverse.
 *
 * usage: frzexp -T TIMELINE [-e] [-c cycle] [-H hold-ms] [-m mode] [-w workers] MOUNT...
 *   -e:   raise /sys/kernel/rcu_expedited across the FIFREEZE step (only
 *         from 0, put back right after), as daemon/rcuexp.c does
 *   -w N: at most N threads per step, pulling from a shared cursor like
 *         the daemon's run_step() once did (FRZ_MAX_WORKERS was 8); default
 *         one thread per fs
 *   mode: presync (default, = our daemon), sync2 (presync + second syncfs),
 *         none (no syncfs, parallel freeze only), syncfs (the parallel
 *         syncfs alone, no freeze: the physical floor of a FREEZE reply;
 *         its "reply op=FREEZE" is when every syncfs returned)
 * Timeline: send op=FREEZE (start), presync-end, sync2-end,
 * reply op=FREEZE (all frozen), send op=THAW, reply op=THAW; the per-step
 * durations go to stdout: "presync_ms=.. sync2_ms=.. freeze_ms=.. thaw_ms=..".
 */
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bcommon.h"

#define MAXFS 256
enum { OP_SYNC, OP_FREEZE };
struct arg { int fd, op, rc, err; };

static int nworkers;		/* 0: one thread per fs */
static struct arg *pool;
static int pool_n, pool_next;
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;

static void
one(struct arg *a)
{
	a->rc = a->op == OP_SYNC ? syncfs(a->fd) : ioctl(a->fd, FIFREEZE, 0);
	a->err = a->rc == -1 ? errno : 0;
}

static void *
work(void *p)
{
	one(p);
	return NULL;
}

static void *
pool_work(void *p)
{
	(void)p;
	for (;;) {
		int k;

		pthread_mutex_lock(&pool_mu);
		k = pool_next++;
		pthread_mutex_unlock(&pool_mu);
		if (k >= pool_n)
			return NULL;
		one(&pool[k]);
	}
}

static int
parallel(int *fds, int n, int op)
{
	pthread_t th[MAXFS];
	struct arg a[MAXFS];
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		a[i].fd = fds[i];
		a[i].op = op;
	}
	if (nworkers > 0) {
		/* As run_step(): nworkers threads plus the caller. */
		int nt = nworkers < n ? nworkers : n;

		pool = a;
		pool_n = n;
		pool_next = 0;
		for (i = 0; i < nt; i++)
			pthread_create(&th[i], NULL, pool_work, NULL);
		pool_work(NULL);
		for (i = 0; i < nt; i++)
			pthread_join(th[i], NULL);
	} else {
		for (i = 0; i < n; i++)
			pthread_create(&th[i], NULL, work, &a[i]);
		for (i = 0; i < n; i++)
			pthread_join(th[i], NULL);
	}
	for (i = 0; i < n; i++) {
		if (a[i].rc == -1) {
			fprintf(stderr, "frzexp: fs %d: %s: %s\n", i,
			    op == OP_SYNC ? "syncfs" : "FIFREEZE", strerror(a[i].err));
			bad = 1;
		}
	}
	/* A failed freeze: thaw those that froze. */
	if (bad && op == OP_FREEZE)
		for (i = 0; i < n; i++)
			if (a[i].rc == 0)
				ioctl(fds[i], FITHAW, 0);
	return bad ? -1 : 0;
}

int
main(int argc, char **argv)
{
	const char *tlpath = NULL, *mode = "presync";
	unsigned cycle = 1, hold = 100;
	int ch, n = 0, fds[MAXFS], ok = 1, expedite = 0, knob = -1, raised = 0;
	char kv[8] = "";
	uint64_t t0, t1, t2, t3, t4, t5;
	FILE *tl;

	while ((ch = getopt(argc, argv, "eT:c:H:m:w:")) != -1) {
		switch (ch) {
		case 'e': expedite = 1; break;
		case 'T': tlpath = optarg; break;
		case 'c': cycle = (unsigned)atoi(optarg); break;
		case 'H': hold = (unsigned)atoi(optarg); break;
		case 'm': mode = optarg; break;
		case 'w': nworkers = atoi(optarg); break;
		default: return 2;
		}
	}
	if (tlpath == NULL || optind >= argc || argc - optind > MAXFS ||
	    (tl = fopen(tlpath, "a")) == NULL)
		return 2;
	if (strcmp(mode, "presync") && strcmp(mode, "sync2") && strcmp(mode, "none") &&
	    strcmp(mode, "syncfs"))
		return 2;
	if (expedite && (knob = open("/sys/kernel/rcu_expedited", O_RDWR | O_CLOEXEC)) == -1) {
		perror("frzexp: /sys/kernel/rcu_expedited");
		return 1;
	}
	t0 = b_now();
	b_tl(tl, t0, cycle, "send op=FREEZE");
	for (int i = optind; i < argc; i++) {
		if ((fds[n] = open(argv[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
			perror(argv[i]);
			return 1;
		}
		n++;
	}
	if (strcmp(mode, "none") != 0)
		parallel(fds, n, OP_SYNC);
	t1 = b_now();
	b_tl(tl, t1, cycle, "presync-end");
	if (strcmp(mode, "sync2") == 0)
		parallel(fds, n, OP_SYNC);
	t2 = b_now();
	b_tl(tl, t2, cycle, "sync2-end");
	if (strcmp(mode, "syncfs") == 0) {
		t3 = t4 = t5 = b_now();
		b_tl(tl, t3, cycle, "reply op=FREEZE status=S_OK");
		b_tl(tl, t3, cycle, "send op=THAW");
		b_tl(tl, t3, cycle, "reply op=THAW status=S_OK");
		b_tl(tl, t3, cycle, "cycle-end result=ok");
		printf("presync_ms=%.1f sync2_ms=0.0 freeze_ms=0.0 thaw_ms=0.0 expedited=0\n",
		    (t1 - t0) / 1e6);
		return 0;
	}
	if (knob != -1 && pread(knob, kv, sizeof(kv) - 1, 0) > 0 && strcmp(kv, "0\n") == 0)
		raised = pwrite(knob, "1", 1, 0) == 1;
	if (parallel(fds, n, OP_FREEZE) == -1)
		ok = 0;
	if (raised)
		(void)pwrite(knob, "0", 1, 0);
	t3 = b_now();
	b_tl(tl, t3, cycle, "reply op=FREEZE status=%s", ok ? "S_OK" : "E_FAIL");
	if (ok) {
		b_sleep_ms(hold);
		t4 = b_now();
		b_tl(tl, t4, cycle, "send op=THAW");
		for (int i = n; i-- > 0;)
			if (ioctl(fds[i], FITHAW, 0) == -1)
				ok = 0;
	} else
		t4 = b_now();
	t5 = b_now();
	b_tl(tl, t5, cycle, "reply op=THAW status=%s", ok ? "S_OK" : "E_FAIL");
	b_tl(tl, t5, cycle, "cycle-end result=%s", ok ? "ok" : "fail");
	printf("presync_ms=%.1f sync2_ms=%.1f freeze_ms=%.1f thaw_ms=%.1f expedited=%d\n",
	    (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t5 - t4) / 1e6, raised);
	return ok ? 0 : 1;
}
