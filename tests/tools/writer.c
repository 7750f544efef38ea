/*
 * writer: an fsync-per-record appender for freeze tests.
 *
 * usage: writer [-i interval-ms] -o ack-log FILE
 *
 * Appends fixed 4 KiB records to FILE (truncated at start), fsync(2) after
 * each, and after every successful fsync appends one line
 *	seq ns_after_fsync latency_ns
 * to ack-log, where latency_ns spans from just before the write(2) to just
 * after the fsync(2) (CLOCK_MONOTONIC).  A frozen filesystem blocks the write,
 * so a write issued while frozen shows up as one long latency whose ack comes
 * after the thaw.  Record layout (little endian, see checkrec.c):
 *	0  magic "HVVSSREC"
 *	8  u64 seq
 *	16 u64 ns (CLOCK_MONOTONIC just before the write)
 *	24 u64 checksum: FNV-1a 64 over bytes 0..4095 with this field zeroed
 *	32 padding: byte i = (seq * 31 + i) & 0xff
 * Runs until SIGTERM or SIGINT; exit 0 then, 1 on an I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REC_SIZE 4096
#define REC_MAGIC "HVVSSREC"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3u;
	}
	return h;
}

static void
put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
fill_record(unsigned char *rec, uint64_t seq, uint64_t ns)
{
	memcpy(rec, REC_MAGIC, 8);
	put64(rec + 8, seq);
	put64(rec + 16, ns);
	put64(rec + 24, 0);
	for (size_t i = 32; i < REC_SIZE; i++)
		rec[i] = (unsigned char)((seq * 31 + i) & 0xff);
	put64(rec + 24, fnv1a(rec, REC_SIZE));
}

/* Write all of buf; retry on EINTR only when not asked to stop. */
static int
write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = off >= 0 ? pwrite(fd, p, len, off) : write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: writer [-i interval-ms] -o ack-log FILE\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static unsigned char rec[REC_SIZE];
	const char *acklog = NULL;
	long interval_ms = 0;
	struct sigaction sa;
	uint64_t seq;
	int c, fd, afd;

	while ((c = getopt(argc, argv, "i:o:")) != -1) {
		switch (c) {
		case 'i':
			interval_ms = strtol(optarg, NULL, 10);
			if (interval_ms < 0)
				usage();
			break;
		case 'o':
			acklog = optarg;
			break;
		default:
			usage();
		}
	}
	if (acklog == NULL || optind != argc - 1)
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: let a blocked sleep end */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fd = open(argv[optind], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "writer: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	afd = open(acklog, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (afd < 0) {
		fprintf(stderr, "writer: %s: %s\n", acklog, strerror(errno));
		return 1;
	}

	for (seq = 0; !stop; seq++) {
		uint64_t t0, t1;
		char line[80];
		int len;

		t0 = now_ns();
		fill_record(rec, seq, t0);
		if (write_all(fd, rec, REC_SIZE, (off_t)(seq * REC_SIZE)) < 0) {
			fprintf(stderr, "writer: write seq %llu: %s\n",
			    (unsigned long long)seq, strerror(errno));
			return 1;
		}
		while (fsync(fd) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "writer: fsync seq %llu: %s\n",
			    (unsigned long long)seq, strerror(errno));
			return 1;
		}
		t1 = now_ns();
		len = snprintf(line, sizeof(line), "%llu %llu %llu\n",
		    (unsigned long long)seq, (unsigned long long)t1,
		    (unsigned long long)(t1 - t0));
		if (write_all(afd, line, (size_t)len, -1) < 0) {
			fprintf(stderr, "writer: ack log: %s\n", strerror(errno));
			return 1;
		}
		if (interval_ms > 0 && !stop) {
			struct timespec ts = {
				.tv_sec = interval_ms / 1000,
				.tv_nsec = (interval_ms % 1000) * 1000000L,
			};
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}
