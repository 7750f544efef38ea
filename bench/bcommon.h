/* bcommon.h: small shared helpers for the bench/ programs. */
#ifndef BCOMMON_H
#define BCOMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdarg.h>
#include <time.h>

static inline uint64_t
b_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void
b_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

/* Timeline line in hvvss-host's format: "<ns> <cycle> <event> k=v...". */
static inline void
b_tl(FILE *f, uint64_t ns, unsigned cycle, const char *fmt, ...)
{
	va_list ap;

	fprintf(f, "%llu %u ", (unsigned long long)ns, cycle);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}
#endif
