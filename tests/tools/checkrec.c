/*
 * checkrec: durability check of a writer(1) file found in a snapshot copy.
 *
 * usage: checkrec FILE ACK-LOG FREEZE-NS
 *
 * Every record whose ack (ns_after_fsync in ACK-LOG) is earlier than
 * FREEZE-NS must be present in FILE with a valid magic, sequence number and
 * checksum.  Every other whole record present must be valid too (a frozen
 * copy holds no torn write: a write runs entirely inside sb_start_write).
 * Prints one summary line; exit 0 if durable, 1 if not, 2 on usage or I/O
 * errors.  The record layout is described in writer.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC_SIZE 4096
#define REC_MAGIC "HVVSSREC"

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

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* 0 valid; otherwise a short reason. */
static const char *
bad_record(unsigned char *rec, uint64_t seq)
{
	uint64_t sum;

	if (memcmp(rec, REC_MAGIC, 8) != 0)
		return "bad magic";
	if (get64(rec + 8) != seq)
		return "wrong seq";
	sum = get64(rec + 24);
	memset(rec + 24, 0, 8);
	if (fnv1a(rec, REC_SIZE) != sum)
		return "bad checksum";
	return NULL;
}

int
main(int argc, char **argv)
{
	static unsigned char rec[REC_SIZE];
	unsigned long long seq, ns, lat, freeze_ns;
	uint64_t need = 0, nrec, i, bad = 0;
	const char *why = NULL;
	uint64_t first_bad = 0;
	int have_need = 0;
	struct stat st;
	FILE *acks;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: checkrec FILE ACK-LOG FREEZE-NS\n");
		return 2;
	}
	freeze_ns = strtoull(argv[3], NULL, 10);
	acks = fopen(argv[2], "r");
	if (acks == NULL) {
		fprintf(stderr, "checkrec: %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	/* need = 1 + highest seq acked before the freeze request. */
	while (fscanf(acks, "%llu %llu %llu", &seq, &ns, &lat) == 3) {
		if (ns < freeze_ns && seq + 1 > need) {
			need = seq + 1;
			have_need = 1;
		}
	}
	fclose(acks);

	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !have_need) {
			printf("durable: no file, none acked before freeze\n");
			return 0;
		}
		printf("durable: NO (%s: %s)\n", argv[1], strerror(errno));
		return 1;
	}
	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "checkrec: fstat: %s\n", strerror(errno));
		return 2;
	}
	nrec = (uint64_t)st.st_size / REC_SIZE;
	for (i = 0; i < nrec; i++) {
		ssize_t n = pread(fd, rec, REC_SIZE, (off_t)(i * REC_SIZE));
		const char *r;

		if (n != REC_SIZE) {
			fprintf(stderr, "checkrec: short read at record %llu\n",
			    (unsigned long long)i);
			return 2;
		}
		r = bad_record(rec, i);
		if (r != NULL) {
			if (bad++ == 0) {
				why = r;
				first_bad = i;
			}
		}
	}
	close(fd);
	if (nrec < need) {
		printf("durable: NO (%llu records acked before freeze, only %llu in copy)\n",
		    (unsigned long long)need, (unsigned long long)nrec);
		return 1;
	}
	if (bad > 0) {
		printf("durable: NO (%llu bad records, first #%llu: %s; %llu acked before freeze)\n",
		    (unsigned long long)bad, (unsigned long long)first_bad, why,
		    (unsigned long long)need);
		return 1;
	}
	if ((uint64_t)st.st_size % REC_SIZE != 0) {
		printf("durable: NO (partial record at end: size %lld)\n",
		    (long long)st.st_size);
		return 1;
	}
	printf("durable: yes (%llu records in copy, %llu acked before freeze)\n",
	    (unsigned long long)nrec, (unsigned long long)need);
	return 0;
}
