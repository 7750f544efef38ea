/*
 * hostsim.h: the emulated Hyper-V host (protocol.md 2, 3, 4).
 *
 * Runs a scenario against a struct vmbus_chan: builds each request with
 * libhvvss, waits for the reply with a per-step deadline, checks the
 * reply and the scenario's expectation, and records status and latency.
 * A pure state machine: the harness feeds it time, driver registrations,
 * device reads and snapshot results, and carries out the actions it
 * returns (start a snapshot, hibernate the guest).
 */
#ifndef HOST_HOSTSIM_H
#define HOST_HOSTSIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hvvss_ic.h"
#include "scenario.h"
#include "vmbus.h"

struct timeline;

struct hostsim_cfg {
	int		 flavour;	/* SCEN_LINUX, SCEN_FREEBSD */
	unsigned	 cycles;	/* -n */
	uint64_t	 host_wait;	/* -t host=, ns; 0: per-step default */
	uint64_t	 freeze_tmo;	/* the driver timeouts, ns, for the */
	uint64_t	 other_tmo;	/* default waits and named durations */
	uint64_t	 bsd_tmo;
	uint64_t	 none_wait;	/* wait when no reply is expected */
	uint64_t	 reg_wait;	/* -r, ns */
};

enum hostsim_state {
	HS_NEXT = 0,		/* ready for the next step */
	HS_WAIT_REPLY,
	HS_WAIT_SNAPSHOT,
	HS_SLEEP,
	HS_WAIT_REG,
	HS_DONE,
	HS_STATE_MAX
};

enum hostsim_action {
	HS_ACT_NONE = 0,	/* waiting: call again after an event */
	HS_ACT_SNAPSHOT,	/* run the snapshot, then snapshot_done() */
	HS_ACT_HIBERNATE,	/* suspend + resume the guest, call again */
	HS_ACT_DONE
};

enum hostsim_got {
	HS_GOT_NONE = 0,	/* no reply in time */
	HS_GOT_REPLY,
	HS_GOT_BAD,		/* a reply that fails the protocol check */
	HS_GOT_SKIP,		/* step skipped (snapshot while not frozen) */
	HS_GOT_DONE		/* step without a reply (sleep, hibernate) */
};

struct hostsim_rec {
	unsigned		 cycle;
	unsigned		 line;
	int			 kind;		/* enum scen_kind */
	unsigned		 op;
	int			 got;		/* enum hostsim_got */
	uint32_t		 status;
	uint32_t		 flags;
	int			 check;		/* libhvvss verdict */
	struct hvvss_icver	 fw;		/* negotiate: chosen versions */
	struct hvvss_icver	 vss;
	int			 rc;		/* snapshot exit status */
	uint64_t		 t_start;
	uint64_t		 t_end;
	struct scen_exp		 want;
	int			 match;
};

struct hostsim_cycle {
	int		 ran;
	int		 failed;
	uint64_t	 t_start;
	uint64_t	 t_end;
	uint64_t	 t_freeze_sent;		/* first FREEZE of the cycle */
	uint64_t	 t_freeze_reply;
	uint64_t	 t_thaw_sent;
	uint64_t	 t_thaw_reply;		/* last THAW reply */
	int		 freeze_replied;
	uint32_t	 freeze_status;		/* of the last FREEZE */
	int		 snap_ran;
	int		 snap_rc;
	uint64_t	 t_snap_start;
	uint64_t	 t_snap_end;
};

struct hostsim {
	struct hostsim_cfg	 cfg;
	const struct scenario	*sc;
	struct vmbus_chan	*chan;
	struct timeline		*tl;
	enum hostsim_state	 state;
	int			 section;	/* prologue, cycle, epilogue */
	unsigned		 cycle;		/* 0 prologue, n+1 epilogue */
	size_t			 pc;
	const struct scen_step	*cur;
	struct hostsim_rec	 rec;		/* the step in progress */
	uint64_t		 deadline;
	uint64_t		 t_first;	/* first hostsim_run() */
	int			 gate;		/* before first registration */
	int			 killed;	/* kill-daemon done for cur */
	/* The request in flight, as sent (padded). */
	uint8_t			 req[VMBUS_PKT_MAX];
	size_t			 req_len;
	uint64_t		 reqid;
	int			 patched;
	uint8_t			 rep[VMBUS_PKT_MAX];
	uint64_t		 next_reqid;
	uint8_t			 next_xid;
	unsigned		 reg_count;
	unsigned		 reg_mark;
	int			 noreg;
	unsigned		 mismatches;
	struct hostsim_rec	*recs;
	size_t			 nrecs;
	size_t			 caprecs;
	struct hostsim_cycle	*cycles;	/* cycles + 2 entries */
};

int			 hostsim_init(struct hostsim *,
			    const struct hostsim_cfg *,
			    const struct scenario *, struct vmbus_chan *,
			    struct timeline *);
void			 hostsim_free(struct hostsim *);
enum hostsim_action	 hostsim_run(struct hostsim *, uint64_t);
void			 hostsim_snapshot_done(struct hostsim *, int,
			    uint64_t);
/* Total registrations the driver has seen so far. */
void			 hostsim_registered(struct hostsim *, unsigned,
			    uint64_t);
/* The daemon read a request for op: 1 if it must be killed now. */
int			 hostsim_dev_read(struct hostsim *, unsigned,
			    uint64_t);
uint64_t		 hostsim_deadline(const struct hostsim *);
/* 0 all as expected, 1 a mismatch, 2 no daemon registered in time. */
int			 hostsim_result(const struct hostsim *);
void			 hostsim_summary(const struct hostsim *, FILE *);
const char		*hostsim_state_name(int);

#endif /* HOST_HOSTSIM_H */
