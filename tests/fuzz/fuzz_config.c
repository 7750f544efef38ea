/* fuzz-sources: daemon/config.c */
/* fuzz-libs: -linih */
/*
 * fuzz_config.c: hvvss.conf bytes into config_parse(); on success the
 * invariants the daemon relies on must hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct config	 c;
	char		*s;
	size_t		 i;

	if ((s = malloc(len + 1)) == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	config_init(&c);
	if (config_parse(&c, s) == 0) {
		if (c.ninclude > CONFIG_MAX_LIST || c.nexclude > CONFIG_MAX_LIST)
			abort();
		for (i = 0; i < c.ninclude; i++)
			if (c.include[i][0] != '/')
				abort();
		if (c.deadline_s > 3600 || (c.device && c.device[0] != '/'))
			abort();
	} else if (c.err[0] == '\0')
		abort();
	config_free(&c);
	free(s);
	return 0;
}
