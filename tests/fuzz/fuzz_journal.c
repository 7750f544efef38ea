/* fuzz-sources: daemon/journal.c daemon/mountinfo.c daemon/log.c daemon/freeze.c daemon/rcuexp.c daemon/ev.c */
/*
 * fuzz_journal.c: journal bytes into journal_parse().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "freeze.h"
#include "journal.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct journal_entry	 e[16];
	size_t			 n, errline, i;
	char			*t;

	if ((t = malloc(len + 1)) == NULL)
		return 0;
	memcpy(t, data, len);
	if (journal_parse(t, len, e, 16, &n, &errline) == 0) {
		if (n > 16)
			abort();
		for (i = 0; i < n; i++)
			if (e[i].mnt < t || e[i].mnt >= t + len ||
			    e[i].mnt[0] != '/')
				abort();
	} else if (errline == 0)
		abort();
	free(t);
	return 0;
}
