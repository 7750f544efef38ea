/*
 * timeline.c: event lines for the -T file and the human stdout timeline.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hvvss_ic.h"

#include "timeline.h"

const char *
timeline_status(uint32_t status, char *buf, size_t len)
{
	const char	*name = hvvss_status_name(status);

	if (strcmp(name, "unknown") != 0)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "0x%08x", status);
	return buf;
}

int
timeline_open(struct timeline *tl, const char *path, FILE *human,
    int verbose, uint64_t t0)
{
	memset(tl, 0, sizeof(*tl));
	tl->human = human;
	tl->verbose = verbose;
	tl->t0 = t0;
	if (path != NULL) {
		if ((tl->file = fopen(path, "we")) == NULL)
			return -1;
		/* Line buffered: a killed run still leaves complete lines. */
		setvbuf(tl->file, NULL, _IOLBF, 0);
	}
	return 0;
}

void
timeline_close(struct timeline *tl)
{
	if (tl == NULL)
		return;
	if (tl->file != NULL)
		fclose(tl->file);
	tl->file = NULL;
	if (tl->human != NULL)
		fflush(tl->human);
}

void
timeline_set_cycle(struct timeline *tl, unsigned cycle)
{
	if (tl != NULL)
		tl->cycle = cycle;
}

void
timeline_event(struct timeline *tl, uint64_t now, const char *event,
    const char *fmt, ...)
{
	char		 kv[512];
	va_list		 ap;
	uint64_t	 rel;
	int		 detail;

	if (tl == NULL || (tl->file == NULL && tl->human == NULL))
		return;
	kv[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(kv, sizeof(kv), fmt, ap);
		va_end(ap);
	}
	if (tl->file != NULL)
		fprintf(tl->file, "%llu %u %s%s%s\n", (unsigned long long)now,
		    tl->cycle, event, kv[0] ? " " : "", kv);
	detail = strncmp(event, "drv-", 4) == 0 ||
	    strncmp(event, "fuse-", 5) == 0;
	if (tl->human != NULL && (!detail || tl->verbose)) {
		rel = now >= tl->t0 ? now - tl->t0 : 0;
		if (kv[0] != '\0')
			fprintf(tl->human, "%10.3f ms  c%-2u %-16s %s\n",
			    (double)rel / 1e6, tl->cycle, event, kv);
		else
			fprintf(tl->human, "%10.3f ms  c%-2u %s\n",
			    (double)rel / 1e6, tl->cycle, event);
	}
}
