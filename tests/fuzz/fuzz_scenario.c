/* fuzz-sources: host/scenario.c */
/*
 * fuzz_scenario.c: libFuzzer target for the scenario language parser.
 * A scenario file is outside text; the parser must accept it cleanly or
 * refuse it with a line-numbered error, never read out of bounds, and
 * leave a scenario whose invariants hold.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../host/scenario.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario	 sc;
	char		 err[160];
	size_t		 i;

	if (scenario_parse((const char *)data, size, &sc, err,
	    sizeof(err)) == -1) {
		if (strncmp(err, "line ", 5) != 0 || sc.steps != NULL)
			abort();
		return 0;
	}
	if (sc.cycle_begin > sc.cycle_end || sc.cycle_end > sc.nsteps ||
	    sc.nsteps > SCEN_MAX_STEPS)
		abort();
	for (i = 0; i < sc.nsteps; i++) {
		if (sc.steps[i].kind >= SCEN_KIND_MAX ||
		    sc.steps[i].nluns > SCEN_MAX_LUNS ||
		    sc.steps[i].rawlen > SCEN_RAW_MAX ||
		    sc.steps[i].nfw > SCEN_MAX_VER ||
		    sc.steps[i].nvss > SCEN_MAX_VER ||
		    sc.steps[i].op > 255 || sc.steps[i].len > SCEN_LEN_MAX)
			abort();
		if (sc.steps[i].rawlen > 0)
			(void)sc.steps[i].raw[sc.steps[i].rawlen - 1];
	}
	scenario_free(&sc);
	return 0;
}
