/*
 * scenario.h: what the emulated host does, as a list of steps.
 *
 * A scenario is text in a small line language (parsed by scenario_parse;
 * the built-in scenarios are written in the same language):
 *
 *	# comment (to end of line)
 *	negotiate [fw=3.0,1.0] [vss=5.0,4.0] [fwcount=N] [vsscount=N]
 *	    [len=N] [chosen=3.0,5.0] [EXPECT...] [within DUR] [only=FLAVOUR]
 *	send OP [flags=N] [luns=N] [len=N] [type=N] [icflags=N] [pipe=N]
 *	    [reply-flags=N] [reply-flags-linux=N] [reply-flags-freebsd=N]
 *	    [kill-daemon] [EXPECT...] [within DUR] [only=FLAVOUR]
 *	send raw HEX... [EXPECT...] [within DUR] [only=FLAVOUR]
 *	snapshot [EXPECT...]
 *	sleep DUR
 *	hibernate
 *	wait-register [within DUR]
 *	cycle			(the steps up to "end" repeat -n times)
 *	end
 *
 * OP is a name (HOT_BACKUP, GET_DM_INFO, FREEZE, THAW, BU_COMPLETE,
 * CREATE, DELETE, AUTO_RECOVER, CLUSTER_INFO) or a number 0..255.
 * EXPECT is "expect V", "expect-linux V" or "expect-freebsd V" with V one
 * of ok, fail, none, reply, any, noversion, refused, status=0xHEX.
 * DUR is N, N.N, Nms or Ns, or a named timeout plus an offset:
 * other, freeze, bsd, host (e.g. "other+1s").  Numbers are decimal or
 * 0x hex.  Steps before "cycle" run once first, steps after "end" once
 * last; without "cycle" the whole file is the cycle.
 */
#ifndef HOST_SCENARIO_H
#define HOST_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "hvvss_ic.h"

#define SCEN_MAX_STEPS	1024
#define SCEN_MAX_VER	16
#define SCEN_RAW_MAX	16384
#define SCEN_LEN_MAX	16384
#define SCEN_MAX_LUNS	260
#define SCEN_DUR_MAX_MS	(86400ull * 1000)

enum scen_flavour {
	SCEN_LINUX = 0,
	SCEN_FREEBSD,
	SCEN_NFLAVOUR
};

enum scen_kind {
	SCEN_NEGOTIATE = 0,
	SCEN_SEND,
	SCEN_RAW,
	SCEN_SNAPSHOT,
	SCEN_SLEEP,
	SCEN_HIBERNATE,
	SCEN_WAIT_REGISTER,
	SCEN_KIND_MAX
};

enum scen_exp_kind {
	SCEN_EXP_OK = 0,	/* reply with S_OK (negotiate: accepted) */
	SCEN_EXP_FAIL,		/* reply with E_FAIL */
	SCEN_EXP_NONE,		/* no reply within the wait */
	SCEN_EXP_REPLY,		/* any well-formed reply */
	SCEN_EXP_ANY,		/* not judged, only recorded */
	SCEN_EXP_STATUS,	/* reply with this status */
	SCEN_EXP_NOVERSION,	/* negotiate answered with counts 0 */
	SCEN_EXP_REFUSED,	/* negotiate answered, not an acceptance */
	SCEN_EXP_MAX
};

/* Named bases for durations; SCEN_T_NONE means an absolute value. */
enum scen_tbase {
	SCEN_T_NONE = 0,
	SCEN_T_OTHER,
	SCEN_T_FREEZE,
	SCEN_T_BSD,
	SCEN_T_HOST,
	SCEN_T_MAX
};

struct scen_dur {
	enum scen_tbase	 base;
	uint64_t	 ms;		/* absolute, or offset added to base */
};

struct scen_exp {
	enum scen_exp_kind	 kind;
	uint32_t		 status;
};

struct scen_step {
	enum scen_kind		 kind;
	unsigned		 line;
	unsigned		 only;	/* bit per flavour; all bits: both */
	struct scen_exp		 exp[SCEN_NFLAVOUR];
	int			 has_within;
	struct scen_dur		 within;
	/* negotiate */
	struct hvvss_icver	 fw[SCEN_MAX_VER];
	struct hvvss_icver	 vss[SCEN_MAX_VER];
	unsigned		 nfw;
	unsigned		 nvss;
	long			 fwcount;	/* -1: as built */
	long			 vsscount;
	int			 has_chosen;
	struct hvvss_icver	 chosen_fw;
	struct hvvss_icver	 chosen_vss;
	/* send */
	unsigned		 op;
	uint32_t		 flags;
	unsigned		 nluns;
	long			 len;		/* -1: as built */
	long			 type;		/* -1: as built */
	long			 icflags;
	long			 pipe;
	int			 has_reply_flags[SCEN_NFLAVOUR];
	uint32_t		 reply_flags[SCEN_NFLAVOUR];
	int			 kill_daemon;
	/* raw */
	uint8_t			*raw;
	size_t			 rawlen;
	/* sleep */
	struct scen_dur		 sleep;
};

struct scenario {
	struct scen_step	*steps;
	size_t			 nsteps;
	size_t			 cycle_begin;	/* first step of the cycle */
	size_t			 cycle_end;	/* one past its last step */
};

int		 scenario_parse(const char *, size_t, struct scenario *,
		    char *, size_t);
void		 scenario_free(struct scenario *);
/* The text of a built-in scenario, NULL if there is none by that name. */
const char	*scenario_builtin(const char *);
const char	*scenario_builtin_name(size_t);	/* NULL past the last */

/* "HOT_BACKUP" etc. as in the language; a number for unknown ops. */
const char	*scenario_op_name(unsigned, char *, size_t);
const char	*scenario_kind_name(int);
const char	*scenario_exp_name(int);
const char	*scenario_flavour_name(int);
/* Does the step apply to this flavour? */
int		 scenario_step_applies(const struct scen_step *, int);

#endif /* HOST_SCENARIO_H */
