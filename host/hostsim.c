/*
 * hostsim.c: the emulated Hyper-V host.
 *
 * Hyper-V's own VSS state machine is undocumented (protocol.md 9.2); this
 * host does what the sources show a host does (4.1): NEGOTIATE once when
 * the channel opens, then per backup HOT_BACKUP, GET_DM_INFO, FREEZE with
 * a LUN list, the snapshot while frozen, THAW, BU_COMPLETE, one request
 * outstanding at a time (1.8).  VMBus transaction ids are unique per
 * packet so a late reply can be told from the current one; the IC
 * transaction id counts up like Windows' (which matches on it, 1.8).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hvvss_ic.h"
#include "hvvss_nego.h"
#include "hvvss_vss.h"

#include "hlog.h"
#include "hostsim.h"
#include "scenario.h"
#include "timeline.h"
#include "vmbus.h"

#define NS_PER_MS	1000000ull
#define SLACK		(5ull * 1000000000ull)	/* host wait past driver's */

enum {
	SEC_PROLOGUE = 0,
	SEC_CYCLE,
	SEC_EPILOGUE,
	SEC_FINISHED
};

static const char *const hs_state_names[HS_STATE_MAX] = {
	[HS_NEXT] = "NEXT",
	[HS_WAIT_REPLY] = "WAIT_REPLY",
	[HS_WAIT_SNAPSHOT] = "WAIT_SNAPSHOT",
	[HS_SLEEP] = "SLEEP",
	[HS_WAIT_REG] = "WAIT_REG",
	[HS_DONE] = "DONE",
};

static const char *const got_names[] = {
	[HS_GOT_NONE] = "none",
	[HS_GOT_REPLY] = "reply",
	[HS_GOT_BAD] = "bad-reply",
	[HS_GOT_SKIP] = "skipped",
	[HS_GOT_DONE] = "done",
};

/* An arbitrary SCSI controller instance id for the FREEZE LUN list. */
static const uint8_t lun_controller[16] = {
	0xd9, 0x6b, 0x3a, 0xba, 0x5e, 0x2f, 0x4b, 0x4c,
	0x9c, 0x4e, 0x1a, 0x8e, 0x23, 0x6c, 0x77, 0x01
};

const char *
hostsim_state_name(int s)
{
	if (s < 0 || s >= HS_STATE_MAX)
		return "?";
	return hs_state_names[s];
}

/* The only writer of hs->state. */
static void
hs_transition(struct hostsim *hs, enum hostsim_state to, uint64_t deadline)
{
	if (hs->state != to)
		hlog_debug("host: %s -> %s", hostsim_state_name(hs->state),
		    hostsim_state_name(to));
	hs->state = to;
	hs->deadline = deadline;
}

int
hostsim_init(struct hostsim *hs, const struct hostsim_cfg *cfg,
    const struct scenario *sc, struct vmbus_chan *chan, struct timeline *tl)
{
	memset(hs, 0, sizeof(*hs));
	hs->cfg = *cfg;
	hs->sc = sc;
	hs->chan = chan;
	hs->tl = tl;
	hs->next_reqid = 1;
	hs->cycles = calloc((size_t)cfg->cycles + 2, sizeof(*hs->cycles));
	if (hs->cycles == NULL)
		return -1;
	hs->section = SEC_PROLOGUE;
	hs->cycle = 0;
	hs->pc = 0;
	hs->cycles[0].ran = sc->cycle_begin > 0;
	timeline_set_cycle(tl, 0);
	hs_transition(hs, HS_NEXT, 0);
	return 0;
}

void
hostsim_free(struct hostsim *hs)
{
	free(hs->recs);
	free(hs->cycles);
	hs->recs = NULL;
	hs->cycles = NULL;
}

static uint64_t
hs_resolve(const struct hostsim *hs, const struct scen_dur *d)
{
	uint64_t	 base = 0;

	switch (d->base) {
	case SCEN_T_OTHER:
		base = hs->cfg.other_tmo;
		break;
	case SCEN_T_FREEZE:
		base = hs->cfg.freeze_tmo;
		break;
	case SCEN_T_BSD:
		base = hs->cfg.bsd_tmo;
		break;
	case SCEN_T_HOST:
		base = hs->cfg.host_wait != 0 ? hs->cfg.host_wait :
		    hs->cfg.other_tmo + SLACK;
		break;
	default:
		break;
	}
	return base + d->ms * NS_PER_MS;
}

/*
 * How long the host waits for a reply.  Hyper-V's own values are not
 * known (4.2); by default the host outwaits the driver's daemon timeout
 * by 5 s, so a hung daemon shows up as the driver's HV_E_FAIL and not
 * as silence.  NEGOTIATE on FreeBSD also waits for the daemon's first
 * open (2.7).  Where no reply is expected a short wait proves silence.
 */
static uint64_t
hs_wait(const struct hostsim *hs, const struct scen_step *st)
{
	uint64_t	 base;

	if (st->has_within)
		return hs_resolve(hs, &st->within);
	if (hs->cfg.host_wait != 0)
		return hs->cfg.host_wait;
	if (st->exp[hs->cfg.flavour].kind == SCEN_EXP_NONE)
		return hs->cfg.none_wait;
	if (hs->cfg.flavour == SCEN_FREEBSD)
		base = hs->cfg.bsd_tmo;
	else if (st->kind == SCEN_SEND && st->op == HVVSS_OP_FREEZE)
		base = hs->cfg.freeze_tmo;
	else
		base = hs->cfg.other_tmo;
	if (st->kind == SCEN_NEGOTIATE && hs->cfg.reg_wait > base)
		base = hs->cfg.reg_wait;
	return base + SLACK;
}

static void
hs_cycle_start(struct hostsim *hs, unsigned cycle, uint64_t now)
{
	hs->cycle = cycle;
	hs->cycles[cycle].ran = 1;
	hs->cycles[cycle].t_start = now;
	timeline_set_cycle(hs->tl, cycle);
	timeline_event(hs->tl, now, "cycle-start", "section=%s",
	    cycle == 0 ? "prologue" : cycle > hs->cfg.cycles ? "epilogue" :
	    "cycle");
}

static void
hs_cycle_end(struct hostsim *hs, uint64_t now)
{
	struct hostsim_cycle	*c = &hs->cycles[hs->cycle];

	if (!c->ran)
		return;
	c->t_end = now;
	if (c->t_freeze_sent != 0 && c->t_thaw_reply != 0)
		timeline_event(hs->tl, now, "cycle-end",
		    "result=%s frozen-ms=%.3f", c->failed ? "fail" : "ok",
		    (double)(c->t_thaw_reply - c->t_freeze_sent) / 1e6);
	else
		timeline_event(hs->tl, now, "cycle-end", "result=%s%s",
		    c->failed ? "fail" : "ok", c->t_freeze_sent != 0 ?
		    " thaw=never" : "");
}

/*
 * The next step for this flavour, moving through prologue, the -n
 * cycles and the epilogue.  NULL when the scenario is finished.
 */
static const struct scen_step *
hs_fetch(struct hostsim *hs, uint64_t now)
{
	const struct scenario	*sc = hs->sc;
	const struct scen_step	*st;

	for (;;) {
		switch (hs->section) {
		case SEC_PROLOGUE:
			if (hs->pc < sc->cycle_begin)
				break;
			if (sc->cycle_begin > 0)
				hs_cycle_end(hs, now);
			hs->section = SEC_CYCLE;
			/* The backup starts once a daemon is there. */
			hs->gate = 1;
			if (hs->cfg.cycles == 0) {
				hs->cycle = hs->cfg.cycles;
				hs->pc = sc->cycle_end;
				continue;
			}
			hs->pc = sc->cycle_begin;
			hs_cycle_start(hs, 1, now);
			continue;
		case SEC_CYCLE:
			if (hs->pc < sc->cycle_end)
				break;
			if (hs->cycle >= 1)
				hs_cycle_end(hs, now);
			if (hs->cycle < hs->cfg.cycles) {
				hs->pc = sc->cycle_begin;
				hs_cycle_start(hs, hs->cycle + 1, now);
				continue;
			}
			hs->section = SEC_EPILOGUE;
			hs->pc = sc->cycle_end;
			if (sc->nsteps > sc->cycle_end)
				hs_cycle_start(hs, hs->cfg.cycles + 1, now);
			continue;
		case SEC_EPILOGUE:
			if (hs->pc < sc->nsteps)
				break;
			if (sc->nsteps > sc->cycle_end)
				hs_cycle_end(hs, now);
			hs->section = SEC_FINISHED;
			return NULL;
		default:
			return NULL;
		}
		st = &sc->steps[hs->pc];
		if (!scenario_step_applies(st, hs->cfg.flavour)) {
			hs->pc++;
			continue;
		}
		return st;
	}
}

static int
hs_judge(const struct hostsim *hs, const struct hostsim_rec *r,
    const struct scen_step *st)
{
	const struct scen_exp	*e = &r->want;
	int			 f = hs->cfg.flavour;

	if (e->kind == SCEN_EXP_ANY)
		return 1;
	if (r->kind == SCEN_SNAPSHOT) {
		if (r->got == HS_GOT_SKIP)
			return 1;
		if (e->kind == SCEN_EXP_FAIL)
			return r->rc != 0;
		return r->rc == 0;
	}
	if (r->got == HS_GOT_DONE)
		return e->kind == SCEN_EXP_OK;
	if (e->kind == SCEN_EXP_NONE)
		return r->got == HS_GOT_NONE;
	if (r->got == HS_GOT_NONE)
		return 0;
	if (e->kind == SCEN_EXP_REPLY)
		return r->kind == SCEN_NEGOTIATE || r->got == HS_GOT_REPLY;
	if (r->kind == SCEN_NEGOTIATE) {
		switch (e->kind) {
		case SCEN_EXP_OK:
			if (r->check != HVVSS_OK)
				return 0;
			if (st->has_chosen)
				return r->fw.major == st->chosen_fw.major &&
				    r->fw.minor == st->chosen_fw.minor &&
				    r->vss.major == st->chosen_vss.major &&
				    r->vss.minor == st->chosen_vss.minor;
			return 1;
		case SCEN_EXP_NOVERSION:
			return r->check == HVVSS_E_NOVERSION;
		case SCEN_EXP_REFUSED:
			return r->check != HVVSS_OK;
		case SCEN_EXP_STATUS:
			return r->status == e->status;
		default:
			return 0;
		}
	}
	if (r->got != HS_GOT_REPLY)
		return 0;
	switch (e->kind) {
	case SCEN_EXP_OK:
		if (r->status != HVVSS_S_OK)
			return 0;
		if (st->has_reply_flags[f] && r->flags != st->reply_flags[f])
			return 0;
		return 1;
	case SCEN_EXP_FAIL:
		return r->status == HVVSS_E_FAIL;
	case SCEN_EXP_STATUS:
		return r->status == e->status;
	default:
		return 0;
	}
}

static void
hs_got_str(const struct hostsim_rec *r, char *buf, size_t len)
{
	char	 sb[32];

	if (r->kind == SCEN_SNAPSHOT && r->got != HS_GOT_SKIP)
		snprintf(buf, len, "rc=%d", r->rc);
	else if (r->got == HS_GOT_REPLY || (r->got == HS_GOT_BAD &&
	    r->kind != SCEN_NEGOTIATE)) {
		if (r->kind == SCEN_NEGOTIATE)
			snprintf(buf, len, "%u.%u/%u.%u", r->fw.major,
			    r->fw.minor, r->vss.major, r->vss.minor);
		else
			snprintf(buf, len, "%s%s",
			    timeline_status(r->status, sb, sizeof(sb)),
			    r->got == HS_GOT_BAD ? "(bad)" : "");
	} else if (r->kind == SCEN_NEGOTIATE && r->got == HS_GOT_BAD)
		snprintf(buf, len, "%s", hvvss_err_name(r->check));
	else
		snprintf(buf, len, "%s", got_names[r->got]);
}

static void
hs_want_str(const struct scen_exp *e, char *buf, size_t len)
{
	if (e->kind == SCEN_EXP_STATUS)
		snprintf(buf, len, "status=0x%08x", e->status);
	else
		snprintf(buf, len, "%s", scenario_exp_name(e->kind));
}

/* Close the step in progress: judge, record, log. */
static void
hs_finish(struct hostsim *hs, uint64_t now)
{
	struct hostsim_rec	*r = &hs->rec, *nr;
	char			 want[32], got[48], opb[16];
	size_t			 cap;

	r->t_end = now;
	r->match = hs_judge(hs, r, hs->cur);
	if (hs->nrecs == hs->caprecs) {
		cap = hs->caprecs ? hs->caprecs * 2 : 64;
		nr = realloc(hs->recs, cap * sizeof(*nr));
		if (nr != NULL) {
			hs->recs = nr;
			hs->caprecs = cap;
		}
	}
	if (hs->nrecs < hs->caprecs)
		hs->recs[hs->nrecs++] = *r;
	hs_want_str(&r->want, want, sizeof(want));
	hs_got_str(r, got, sizeof(got));
	timeline_event(hs->tl, now, "expect",
	    "result=%s line=%u step=%s%s%s want=%s got=%s",
	    r->match ? "ok" : "mismatch", r->line,
	    scenario_kind_name(r->kind), r->kind == SCEN_SEND ? " op=" : "",
	    r->kind == SCEN_SEND ? scenario_op_name(r->op, opb,
	    sizeof(opb)) : "", want, got);
	if (!r->match) {
		hs->mismatches++;
		hs->cycles[hs->cycle].failed = 1;
	}
	hs->pc++;
	hs->cur = NULL;
	hs_transition(hs, HS_NEXT, 0);
}

/* Truncate, or zero-extend keeping the pipe and IC sizes consistent. */
static size_t
hs_patch_len(uint8_t *b, size_t len, long want)
{
	size_t	 n;

	if (want < 0)
		return len;
	n = (size_t)want;
	if (n > len) {
		memset(b + len, 0, n - len);
		if (n >= HVVSS_ICMSG_HDR_LEN) {
			hvvss_put32(b + 4, (uint32_t)(n - HVVSS_PIPE_HDR_LEN));
			hvvss_put16(b + 18, (uint16_t)((n -
			    HVVSS_ICMSG_HDR_LEN) & 0xffff));
		}
	}
	return n;
}

/* Hand the request to the channel, padded the way VMBus pads it. */
static int
hs_send(struct hostsim *hs, size_t len, uint64_t now)
{
	size_t	 plen;

	plen = (len + VMBUS_PKT_ALIGN - 1) & ~(size_t)(VMBUS_PKT_ALIGN - 1);
	if (plen > sizeof(hs->req))
		return -1;
	memset(hs->req + len, 0, plen - len);
	hs->req_len = plen;
	hs->reqid = hs->next_reqid++;
	if (vmbus_send(&hs->chan->h2g, hs->req, plen, hs->reqid) == -1)
		return -1;
	hs_transition(hs, HS_WAIT_REPLY, now + hs_wait(hs, hs->cur));
	return 0;
}

static int
hs_exec_negotiate(struct hostsim *hs, const struct scen_step *st,
    uint64_t now)
{
	char	 fwl[128], vssl[128];
	size_t	 i, o;
	int	 len;

	len = hvvss_nego_host_offer(hs->req, sizeof(hs->req), hs->next_xid,
	    st->fw, st->nfw, st->vss, st->nvss);
	if (len < 0)
		return -1;
	hs->patched = 0;
	if (st->fwcount >= 0) {
		hvvss_put16(hs->req + 28, (uint16_t)st->fwcount);
		hs->patched = 1;
	}
	if (st->vsscount >= 0) {
		hvvss_put16(hs->req + 30, (uint16_t)st->vsscount);
		hs->patched = 1;
	}
	if (st->len >= 0)
		hs->patched = 1;
	len = (int)hs_patch_len(hs->req, (size_t)len, st->len);
	for (i = 0, o = 0; i < st->nfw && o < sizeof(fwl); i++)
		o += (size_t)snprintf(fwl + o, sizeof(fwl) - o, "%s%u.%u",
		    i ? "," : "", st->fw[i].major, st->fw[i].minor);
	for (i = 0, o = 0; i < st->nvss && o < sizeof(vssl); i++)
		o += (size_t)snprintf(vssl + o, sizeof(vssl) - o, "%s%u.%u",
		    i ? "," : "", st->vss[i].major, st->vss[i].minor);
	timeline_event(hs->tl, now, "negotiate-sent",
	    "fw=%s vss=%s xid=%u len=%d", fwl, vssl, hs->next_xid, len);
	hs->next_xid++;
	return hs_send(hs, (size_t)len, now);
}

static int
hs_exec_send(struct hostsim *hs, const struct scen_step *st, uint64_t now)
{
	struct hvvss_lun	 luns[SCEN_MAX_LUNS];
	struct hostsim_cycle	*c = &hs->cycles[hs->cycle];
	char			 opb[16];
	unsigned		 i;
	int			 len;
	uint8_t			 xid = hs->next_xid++;

	if (st->kind == SCEN_RAW) {
		memcpy(hs->req, st->raw, st->rawlen);
		hs->patched = 1;
		timeline_event(hs->tl, now, "send", "op=raw len=%zu",
		    st->rawlen);
		return hs_send(hs, st->rawlen, now);
	}
	memset(luns, 0, sizeof(luns));
	for (i = 0; i < st->nluns; i++) {
		luns[i].bus_type = 1;	/* SCSI */
		memcpy(luns[i].controller, lun_controller, 16);
		luns[i].lun = (uint8_t)i;
	}
	len = hvvss_vss_build(hs->req, sizeof(hs->req), (uint8_t)st->op, xid,
	    st->flags, st->nluns > 0 ? luns : NULL, st->nluns);
	if (len < 0)
		return -1;
	hs->patched = 0;
	if (st->type >= 0) {
		hvvss_put16(hs->req + 12, (uint16_t)st->type);
		hs->patched = 1;
	}
	if (st->icflags >= 0) {
		hs->req[25] = (uint8_t)st->icflags;
		hs->patched = 1;
	}
	if (st->pipe >= 0) {
		hvvss_put32(hs->req, (uint32_t)st->pipe);
		hs->patched = 1;
	}
	if (st->len >= 0)
		hs->patched = 1;
	len = (int)hs_patch_len(hs->req, (size_t)len, st->len);
	if (st->op == HVVSS_OP_FREEZE && c->t_freeze_sent == 0)
		c->t_freeze_sent = now;
	if (st->op == HVVSS_OP_THAW)
		c->t_thaw_sent = now;
	timeline_event(hs->tl, now, "send", "op=%s xid=%u len=%d",
	    scenario_op_name(st->op, opb, sizeof(opb)), xid, len);
	return hs_send(hs, (size_t)len, now);
}

/* Start the step hs->cur; returns an action for the harness or NONE. */
static enum hostsim_action
hs_exec(struct hostsim *hs, uint64_t now)
{
	const struct scen_step	*st = hs->cur;
	struct hostsim_cycle	*c = &hs->cycles[hs->cycle];
	uint64_t		 d;

	memset(&hs->rec, 0, sizeof(hs->rec));
	hs->rec.cycle = hs->cycle;
	hs->rec.line = st->line;
	hs->rec.kind = st->kind;
	hs->rec.op = st->op;
	hs->rec.t_start = now;
	hs->rec.want = st->exp[hs->cfg.flavour];
	hs->rec.check = HVVSS_OK;
	hs->killed = 0;
	switch (st->kind) {
	case SCEN_NEGOTIATE:
		if (hs_exec_negotiate(hs, st, now) == -1) {
			hlog_warnx("host: line %u: cannot build the offer",
			    st->line);
			hs->rec.got = HS_GOT_BAD;
			hs->rec.check = HVVSS_E_INVAL;
			hs_finish(hs, now);
		}
		return HS_ACT_NONE;
	case SCEN_SEND:
	case SCEN_RAW:
		if (hs_exec_send(hs, st, now) == -1) {
			hlog_warnx("host: line %u: cannot build the request",
			    st->line);
			hs->rec.got = HS_GOT_BAD;
			hs_finish(hs, now);
		}
		return HS_ACT_NONE;
	case SCEN_SNAPSHOT:
		/* Only while the guest is frozen: after FREEZE S_OK. */
		if (!c->freeze_replied || c->freeze_status != HVVSS_S_OK) {
			timeline_event(hs->tl, now, "snapshot-skip",
			    "reason=not-frozen");
			hs->rec.got = HS_GOT_SKIP;
			hs_finish(hs, now);
			return HS_ACT_NONE;
		}
		c->snap_ran = 1;
		c->t_snap_start = now;
		timeline_event(hs->tl, now, "snapshot-start", NULL);
		hs_transition(hs, HS_WAIT_SNAPSHOT, 0);
		return HS_ACT_SNAPSHOT;
	case SCEN_SLEEP:
		d = hs_resolve(hs, &st->sleep);
		timeline_event(hs->tl, now, "sleep", "ms=%.3f",
		    (double)d / 1e6);
		hs_transition(hs, HS_SLEEP, now + d);
		return HS_ACT_NONE;
	case SCEN_HIBERNATE:
		timeline_event(hs->tl, now, "hibernate", NULL);
		hs->reg_mark = hs->reg_count;
		hs->rec.got = HS_GOT_DONE;
		hs_finish(hs, now);
		return HS_ACT_HIBERNATE;
	case SCEN_WAIT_REGISTER:
		timeline_event(hs->tl, now, "wait-register", "seen=%u",
		    hs->reg_count);
		hs_transition(hs, HS_WAIT_REG, now + (st->has_within ?
		    hs_resolve(hs, &st->within) : hs->cfg.reg_wait));
		return HS_ACT_NONE;
	default:
		hs_finish(hs, now);
		return HS_ACT_NONE;
	}
}

static void
hs_on_reply(struct hostsim *hs, size_t len, uint64_t now)
{
	struct hostsim_rec	*r = &hs->rec;
	struct hostsim_cycle	*c = &hs->cycles[hs->cycle];
	char			 sb[32], opb[16];
	int			 e;

	r->got = HS_GOT_REPLY;
	r->status = len >= 24 ? hvvss_le32(hs->rep + 20) : 0;
	if (hs->cur->kind == SCEN_NEGOTIATE) {
		e = hvvss_nego_host_check(hs->req, hs->req_len, hs->rep, len,
		    &r->fw, &r->vss);
		r->check = e;
		if (e != HVVSS_OK)
			r->got = HS_GOT_BAD;
		timeline_event(hs->tl, now, "negotiate-reply",
		    "fw=%u.%u vss=%u.%u status=%s result=%s len=%zu ms=%.3f",
		    r->fw.major, r->fw.minor, r->vss.major, r->vss.minor,
		    timeline_status(r->status, sb, sizeof(sb)),
		    hvvss_err_name(e), len,
		    (double)(now - r->t_start) / 1e6);
		hs_finish(hs, now);
		return;
	}
	e = hvvss_vss_check_reply(hs->req, hs->req_len, hs->rep, len,
	    &r->status, &r->flags);
	r->check = e;
	if (e != HVVSS_OK) {
		/*
		 * A request we malformed on purpose comes back malformed
		 * too (the guests echo it); judge it by its status alone.
		 */
		if (hs->patched) {
			r->flags = len >= 40 ? hvvss_le32(hs->rep + 36) : 0;
		} else
			r->got = HS_GOT_BAD;
	}
	if (hs->cur->kind == SCEN_SEND && r->got == HS_GOT_REPLY) {
		if (hs->cur->op == HVVSS_OP_FREEZE) {
			c->freeze_replied = 1;
			c->freeze_status = r->status;
			c->t_freeze_reply = now;
		} else if (hs->cur->op == HVVSS_OP_THAW)
			c->t_thaw_reply = now;
	}
	timeline_event(hs->tl, now, "reply",
	    "op=%s status=%s flags=0x%x check=%s len=%zu ms=%.3f",
	    hs->cur->kind == SCEN_RAW ? "raw" :
	    scenario_op_name(hs->cur->op, opb, sizeof(opb)),
	    timeline_status(r->status, sb, sizeof(sb)), r->flags,
	    hvvss_err_name(e), len, (double)(now - r->t_start) / 1e6);
	hs_finish(hs, now);
}

static void
hs_on_timeout(struct hostsim *hs, uint64_t now)
{
	char	 opb[16];

	hs->rec.got = HS_GOT_NONE;
	if (hs->cur->kind == SCEN_NEGOTIATE)
		timeline_event(hs->tl, now, "negotiate-reply",
		    "status=none ms=%.3f",
		    (double)(now - hs->rec.t_start) / 1e6);
	else
		timeline_event(hs->tl, now, "reply",
		    "op=%s status=none ms=%.3f",
		    hs->cur->kind == SCEN_RAW ? "raw" :
		    scenario_op_name(hs->cur->op, opb, sizeof(opb)),
		    (double)(now - hs->rec.t_start) / 1e6);
	hs_finish(hs, now);
}

/* Drain the guest-to-host ring. */
static void
hs_poll_replies(struct hostsim *hs, uint64_t now)
{
	size_t		 len;
	uint64_t	 reqid;
	int		 r;

	for (;;) {
		r = vmbus_recv(&hs->chan->g2h, hs->rep, sizeof(hs->rep), &len,
		    &reqid);
		if (r == 0)
			return;
		if (r < 0) {
			/* Cannot happen: replies are the size of requests. */
			hlog_warnx("host: reply of %zu bytes dropped", len);
			return;
		}
		if (hs->state == HS_WAIT_REPLY && reqid == hs->reqid) {
			hs_on_reply(hs, len, now);
			continue;
		}
		timeline_event(hs->tl, now, "reply-late",
		    "reqid=%llu len=%zu status=0x%08x",
		    (unsigned long long)reqid, len,
		    len >= 24 ? hvvss_le32(hs->rep + 20) : 0);
	}
}

/*
 * -r counts from the start of the run: a prologue step that waits for a
 * daemon (FreeBSD answers NEGOTIATE only once its daemon opened the
 * device) must not stretch it.  0 when no registration is pending.
 */
static uint64_t
hs_reg_deadline(const struct hostsim *hs)
{
	if (hs->reg_count > 0 || hs->noreg)
		return 0;
	if (hs->section == SEC_PROLOGUE || hs->gate)
		return hs->t_first + hs->cfg.reg_wait;
	return 0;
}

static enum hostsim_action
hs_noreg(struct hostsim *hs, uint64_t now)
{
	timeline_event(hs->tl, now, "noregister", "waited-ms=%.0f",
	    (double)hs->cfg.reg_wait / 1e6);
	hs->noreg = 1;
	hs->cur = NULL;
	hs_transition(hs, HS_DONE, 0);
	return HS_ACT_DONE;
}

enum hostsim_action
hostsim_run(struct hostsim *hs, uint64_t now)
{
	enum hostsim_action	 act;
	uint64_t		 rd;

	if (hs->t_first == 0)
		hs->t_first = now;
	for (;;) {
		hs_poll_replies(hs, now);
		rd = hs_reg_deadline(hs);
		if (rd != 0 && now >= rd && hs->state == HS_WAIT_REPLY)
			return hs_noreg(hs, now);
		switch (hs->state) {
		case HS_WAIT_REPLY:
			if (now < hs->deadline)
				return HS_ACT_NONE;
			hs_on_timeout(hs, now);
			break;
		case HS_WAIT_SNAPSHOT:
			return HS_ACT_NONE;
		case HS_SLEEP:
			if (now < hs->deadline)
				return HS_ACT_NONE;
			hs->rec.got = HS_GOT_DONE;
			hs_finish(hs, now);
			break;
		case HS_WAIT_REG:
			if (hs->gate) {
				if (hs->reg_count > 0) {
					hs->gate = 0;
					hs_transition(hs, HS_NEXT, 0);
					break;
				}
				if (now < hs->deadline)
					return HS_ACT_NONE;
				return hs_noreg(hs, now);
			}
			if (hs->reg_count > hs->reg_mark) {
				timeline_event(hs->tl, now, "registered",
				    "count=%u", hs->reg_count);
				hs->rec.got = HS_GOT_DONE;
				hs_finish(hs, now);
				break;
			}
			if (now < hs->deadline)
				return HS_ACT_NONE;
			hs->rec.got = HS_GOT_NONE;
			hs_finish(hs, now);
			break;
		case HS_DONE:
			return HS_ACT_DONE;
		case HS_NEXT:
			if ((hs->cur = hs_fetch(hs, now)) == NULL) {
				timeline_set_cycle(hs->tl, hs->cycle);
				hs_transition(hs, HS_DONE, 0);
				return HS_ACT_DONE;
			}
			if (hs->gate && hs->section == SEC_CYCLE) {
				if (hs->reg_count == 0) {
					timeline_event(hs->tl, now,
					    "wait-register", "seen=0");
					hs_transition(hs, HS_WAIT_REG,
					    hs_reg_deadline(hs));
					break;
				}
				hs->gate = 0;
			}
			act = hs_exec(hs, now);
			if (act != HS_ACT_NONE)
				return act;
			break;
		default:
			return HS_ACT_NONE;
		}
	}
}

void
hostsim_snapshot_done(struct hostsim *hs, int rc, uint64_t now)
{
	struct hostsim_cycle	*c = &hs->cycles[hs->cycle];

	if (hs->state != HS_WAIT_SNAPSHOT)
		return;
	c->snap_rc = rc;
	c->t_snap_end = now;
	hs->rec.rc = rc;
	hs->rec.got = HS_GOT_REPLY;
	timeline_event(hs->tl, now, "snapshot-end", "rc=%d ms=%.3f", rc,
	    (double)(now - c->t_snap_start) / 1e6);
	hs_finish(hs, now);
}

void
hostsim_registered(struct hostsim *hs, unsigned count, uint64_t now)
{
	(void)now;
	hs->reg_count = count;
}

int
hostsim_dev_read(struct hostsim *hs, unsigned op, uint64_t now)
{
	char	 opb[16];

	if (hs->state != HS_WAIT_REPLY || hs->cur == NULL ||
	    hs->cur->kind != SCEN_SEND || !hs->cur->kill_daemon ||
	    hs->killed || op != hs->cur->op)
		return 0;
	hs->killed = 1;
	hs->reg_mark = hs->reg_count;
	timeline_event(hs->tl, now, "kill-daemon", "op=%s",
	    scenario_op_name(op, opb, sizeof(opb)));
	return 1;
}

uint64_t
hostsim_deadline(const struct hostsim *hs)
{
	uint64_t	 rd;

	switch (hs->state) {
	case HS_WAIT_REPLY:
		rd = hs_reg_deadline(hs);
		return rd != 0 && rd < hs->deadline ? rd : hs->deadline;
	case HS_SLEEP:
	case HS_WAIT_REG:
		return hs->deadline;
	default:
		return 0;
	}
}

int
hostsim_result(const struct hostsim *hs)
{
	if (hs->noreg)
		return 2;
	return hs->mismatches != 0 || hs->state != HS_DONE;
}

void
hostsim_summary(const struct hostsim *hs, FILE *fp)
{
	const struct hostsim_rec	*r;
	const struct hostsim_cycle	*c;
	char				 want[32], got[48], name[24], opb[16];
	unsigned			 i;
	size_t				 k;

	fprintf(fp, "\nsummary: %s, %u cycle%s, %u mismatch%s%s\n",
	    scenario_flavour_name(hs->cfg.flavour), hs->cfg.cycles,
	    hs->cfg.cycles == 1 ? "" : "s", hs->mismatches,
	    hs->mismatches == 1 ? "" : "es",
	    hs->noreg ? ", no daemon registered" : "");
	for (i = 0; i <= hs->cfg.cycles + 1; i++) {
		c = &hs->cycles[i];
		if (!c->ran)
			continue;
		if (i == 0)
			fprintf(fp, "prologue: %s\n", c->failed ? "FAIL" :
			    "ok");
		else if (i > hs->cfg.cycles)
			fprintf(fp, "epilogue: %s\n", c->failed ? "FAIL" :
			    "ok");
		else
			fprintf(fp, "cycle %u: %s\n", i, c->failed ? "FAIL" :
			    "ok");
		for (k = 0; k < hs->nrecs; k++) {
			r = &hs->recs[k];
			if (r->cycle != i)
				continue;
			if (r->kind == SCEN_SEND)
				snprintf(name, sizeof(name), "%s",
				    scenario_op_name(r->op, opb, sizeof(opb)));
			else
				snprintf(name, sizeof(name), "%s",
				    scenario_kind_name(r->kind));
			hs_want_str(&r->want, want, sizeof(want));
			hs_got_str(r, got, sizeof(got));
			fprintf(fp, "  line %-4u %-14s %-16s %10.3f ms  "
			    "want %-9s %s\n", r->line, name, got,
			    (double)(r->t_end - r->t_start) / 1e6, want,
			    r->match ? "ok" : "MISMATCH");
		}
		if (c->t_freeze_sent != 0 && c->t_thaw_reply != 0)
			fprintf(fp, "  frozen window %.3f ms (FREEZE sent -> "
			    "THAW reply)\n",
			    (double)(c->t_thaw_reply - c->t_freeze_sent) / 1e6);
		else if (c->t_freeze_sent != 0)
			fprintf(fp, "  frozen window: no THAW reply in this "
			    "cycle\n");
		if (c->snap_ran)
			fprintf(fp, "  snapshot %.3f ms rc=%d\n",
			    (double)(c->t_snap_end - c->t_snap_start) / 1e6,
			    c->snap_rc);
	}
}
