/*
 * harness.h: one run of hvvss-host: the emulated host, the guest driver
 * model, the FUSE device(s), the daemon under test and the snapshot
 * command, all driven from one poll loop.
 */
#ifndef HOST_HARNESS_H
#define HOST_HARNESS_H

#include <stdint.h>

#include "scenario.h"

struct harness_cfg {
	int			 flavour;	/* SCEN_LINUX, SCEN_FREEBSD */
	const char		*devpath;	/* -D, or NULL: default */
	unsigned		 cycles;
	const struct scenario	*sc;
	const char		*scenario_name;
	const char		*snap_cmd;	/* -c */
	unsigned		 hold_ms;	/* -H */
	const char		*timeline_path;	/* -T */
	uint64_t		 freeze_tmo;	/* ns */
	uint64_t		 other_tmo;
	uint64_t		 bsd_tmo;
	uint64_t		 host_wait;	/* 0: per-step default */
	uint64_t		 snap_tmo;
	uint64_t		 reg_wait;
	char			**daemon_argv;	/* after --, or NULL */
	int			 quiet;
	int			 verbose;
};

enum harness_result {
	HARNESS_OK = 0,		/* every expectation met */
	HARNESS_FAIL,		/* a cycle or expectation failed */
	HARNESS_SETUP,		/* FUSE or device setup failed */
	HARNESS_NOREG		/* no daemon registered in time */
};

enum harness_result	harness_run(const struct harness_cfg *);

#endif /* HOST_HARNESS_H */
