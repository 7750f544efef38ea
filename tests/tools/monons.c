/*
 * monons: print CLOCK_MONOTONIC in nanoseconds (the clock of writer(1) ack
 * logs and of hvvss-host -T timelines), for shell scripts.
 */
#include <stdio.h>
#include <time.h>

int
main(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%llu\n", (unsigned long long)ts.tv_sec * 1000000000ull +
	    (unsigned long long)ts.tv_nsec);
	return 0;
}
