/*
 * churn: metadata and data churn on a test filesystem, to make unfrozen
 * copies torn (the negative case of the consistency oracle).
 *
 * usage: churn [-s seed] [-n max-files] [-b max-blocks] DIR
 *
 * Loops until SIGTERM: create (4 KiB..256 KiB), overwrite in place, append,
 * rename, unlink, mkdir/rmdir, directory fsync, and fsync(2) after about
 * every third data op.
 * Keeps at most max-files (default 64) files named DIR/f<N> and DIR/d<N>/;
 * a create writes up to max-blocks (default 64) 4 KiB blocks, an overwrite
 * up to a quarter of that, an append up to an eighth.  Prints the op count.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t rng_state;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static int
fill_write(int fd, size_t len, off_t off)
{
	static unsigned char buf[65536];
	unsigned char v = (unsigned char)rnd();

	while (len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		ssize_t w;

		memset(buf, v++, n);
		w = off >= 0 ? pwrite(fd, buf, n, off) : write(fd, buf, n);
		if (w < 0)
			return errno == EINTR ? 0 : -1;
		len -= (size_t)w;
		if (off >= 0)
			off += w;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned long nfiles = 64, ops = 0, errs = 0, maxb = 64;
	const char *dir;
	struct sigaction sa;
	int c;

	rng_state = (uint64_t)getpid() * 0x9e3779b97f4a7c15u | 1;
	while ((c = getopt(argc, argv, "s:n:b:")) != -1) {
		switch (c) {
		case 's':
			rng_state = strtoull(optarg, NULL, 0) * 0x9e3779b97f4a7c15u | 1;
			break;
		case 'n':
			nfiles = strtoul(optarg, NULL, 10);
			if (nfiles == 0)
				nfiles = 1;
			break;
		case 'b':
			maxb = strtoul(optarg, NULL, 10);
			if (maxb < 8)
				maxb = 8;
			break;
		default:
			fprintf(stderr, "usage: churn [-s seed] [-n max-files] [-b max-blocks] DIR\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: churn [-s seed] [-n max-files] [-b max-blocks] DIR\n");
		return 2;
	}
	dir = argv[optind];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	while (!stop) {
		char a[4096], b[4096];
		unsigned long i = rnd() % nfiles, j = rnd() % nfiles;
		unsigned op = rnd() % 10;
		int fd = -1, rc = 0;

		snprintf(a, sizeof(a), "%s/f%lu", dir, i);
		snprintf(b, sizeof(b), "%s/f%lu", dir, j);
		switch (op) {
		case 0: case 1:		/* create or truncate-rewrite */
			fd = open(a, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd >= 0)
				rc = fill_write(fd, 4096u * (1 + rnd() % maxb), -1);
			break;
		case 2: case 3:		/* overwrite in place */
			fd = open(a, O_WRONLY | O_CLOEXEC);
			if (fd >= 0)
				rc = fill_write(fd, 4096u * (1 + rnd() % (maxb / 4)),
				    (off_t)4096 * (rnd() % maxb));
			break;
		case 4: case 5:		/* append */
			fd = open(a, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
			if (fd >= 0)
				rc = fill_write(fd, 4096u * (1 + rnd() % (maxb / 8)), -1);
			break;
		case 6:
			rc = rename(a, b);
			break;
		case 7:
			rc = unlink(a);
			break;
		case 8:
			snprintf(a, sizeof(a), "%s/d%lu", dir, i);
			rc = mkdir(a, 0755);
			if (rc < 0 && errno == EEXIST)
				rc = rmdir(a);
			break;
		default:		/* fsync the directory */
			fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0) {
				rc = fsync(fd);
				close(fd);
				fd = -1;
			}
			break;
		}
		if (fd >= 0) {
			if (rnd() % 3 == 0)
				rc |= fsync(fd);
			close(fd);
		} else if (op <= 5) {
			rc = -1;
		}
		if (rc < 0 && errno != ENOENT && errno != EEXIST &&
		    errno != ENOTEMPTY && errno != EINTR)
			errs++;
		if (rc < 0 && errno == ENOSPC) {
			/* keep going: unlinks will free space */
			snprintf(a, sizeof(a), "%s/f%lu", dir, (i + 1) % nfiles);
			unlink(a);
		}
		ops++;
	}
	printf("churn: %lu ops, %lu errors\n", ops, errs);
	return 0;
}
