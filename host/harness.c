/*
 * harness.c: wiring of one hvvss-host run.
 *
 * Single-threaded.  Every event (a FUSE request, a child exiting, a
 * signal, a deadline) is handled from the poll loop; after each one the
 * pump lets the host, the channel and the driver model run until nothing
 * changes, then completes held reads and poll notifications.  Nothing
 * here blocks: children are reaped through pidfds, signals arrive on a
 * signalfd, timeouts are loop deadlines.
 */
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hvvss_bsd.h"
#include "hvvss_bsd_ioctl.h"
#include "hvvss_lnx.h"

#include "fusedev.h"
#include "gdrv_bsd.h"
#include "gdrv_lnx.h"
#include "harness.h"
#include "hlog.h"
#include "hostsim.h"
#include "ev.h"
#include "proc.h"
#include "timeline.h"
#include "vmbus.h"

#define STOP_GRACE	EV_SEC(5)	/* SIGTERM, then SIGKILL */

enum harness_phase {
	PH_RUN = 0,
	PH_STOP_TERM,		/* SIGTERM sent to the daemon */
	PH_STOP_KILL,		/* SIGKILL sent */
	PH_DONE
};

struct harness;

struct hdev {
	struct harness	*h;
	int		 id;	/* GDRV_BSD_FS / _APP; 0 for Linux */
};

struct harness {
	const struct harness_cfg *cfg;
	struct ev		 loop;
	struct timeline		 tl;
	struct vmbus_chan	 chan;
	struct gdrv_lnx		 lnx;
	struct gdrv_bsd		 bsd;
	struct hostsim		 hs;
	struct fusedev		 dev[GDRV_BSD_NDEV];
	struct hdev		 hdev[GDRV_BSD_NDEV];
	unsigned		 ndev;
	struct proc		 daemon;
	struct proc		 snap;
	int			 sigfd;
	enum harness_phase	 phase;
	uint64_t		 phase_deadline;
	uint64_t		 hold_until;
	uint64_t		 snap_started;	/* the snapshot step lasts */
	int			 hold_rc;	/*  at least -H ms */
	uint64_t		 snap_deadline;
	int			 snap_killed;
	int			 daemon_noreg;	/* exited before registering */
	int			 aborted;	/* signal or lost mount */
};

static void	h_stop(struct harness *, uint64_t);

static unsigned
h_regcount(const struct harness *h)
{
	if (h->cfg->flavour == SCEN_FREEBSD)
		return h->bsd.dev[GDRV_BSD_FS].opens;
	return h->lnx.st.registered;
}

/* kill-daemon: SIGKILL the reader before its read is answered. */
static void
h_kill_reader(struct harness *h, pid_t pid)
{
	if (h->daemon.running) {
		if (proc_kill(&h->daemon, SIGKILL) == -1)
			hlog_warn("kill daemon");
	} else if (pid > 0 && kill(pid, SIGKILL) == -1)
		hlog_warn("kill %d", (int)pid);
}

/* Linux flavour: /dev/vmbus/hv_vss file operations. */
static int
lx_open(void *arg, int flags, pid_t pid)
{
	struct hdev	*hd = arg;

	(void)flags;
	(void)pid;
	return gdrv_lnx_open(&hd->h->lnx, ev_now());
}

static void
lx_release(void *arg, pid_t pid)
{
	struct hdev	*hd = arg;

	(void)pid;
	gdrv_lnx_release(&hd->h->lnx, ev_now());
}

static ssize_t
lx_read(void *arg, uint8_t *buf, size_t n, pid_t pid)
{
	struct hdev	*hd = arg;
	uint64_t	 now = ev_now();
	ssize_t		 r;

	r = gdrv_lnx_read(&hd->h->lnx, buf, n, now);
	if (r == HVVSS_LNX_MSG_LEN && hostsim_dev_read(&hd->h->hs, buf[0],
	    now))
		h_kill_reader(hd->h, pid);
	return r;
}

static ssize_t
lx_write(void *arg, const uint8_t *buf, size_t n, pid_t pid)
{
	struct hdev	*hd = arg;

	(void)pid;
	return gdrv_lnx_write(&hd->h->lnx, buf, n, ev_now());
}

static short
lx_poll(void *arg)
{
	struct hdev	*hd = arg;

	return gdrv_lnx_poll(&hd->h->lnx);
}

static const struct fusedev_ops lx_ops = {
	.open = lx_open,
	.release = lx_release,
	.read = lx_read,
	.write = lx_write,
	.poll = lx_poll,
};

/* FreeBSD flavour: /dev/hv_fsvss_dev and /dev/hv_appvss_dev. */
static int
bsd_open(void *arg, int flags, pid_t pid)
{
	struct hdev	*hd = arg;

	(void)flags;
	(void)pid;
	return gdrv_bsd_open(&hd->h->bsd, hd->id, ev_now());
}

static void
bsd_release(void *arg, pid_t pid)
{
	struct hdev	*hd = arg;

	(void)pid;
	gdrv_bsd_close(&hd->h->bsd, hd->id, ev_now());
}

static short
bsd_poll(void *arg)
{
	struct hdev	*hd = arg;

	return gdrv_bsd_poll(&hd->h->bsd, hd->id);
}

/*
 * The daemon side computes the numbers with Linux's _IOR/_IOW, which
 * also tell the FUSE kernel module the direction and size (restricted
 * ioctl): READ gets a 64-byte output area, WRITE brings 64 bytes in.
 * Anything else is ENOTTY (FreeBSD's handler would return 0 for an
 * unknown number; a FUSE file cannot pretend to that usefully).
 */
static int
bsd_ioctl(void *arg, unsigned int cmd, const void *in, size_t insz,
    void *out, size_t outsz, pid_t pid)
{
	struct hdev		*hd = arg;
	struct hvvss_bsd_msg	 m;
	uint64_t		 now = ev_now();
	int			 op;

	if (cmd == (unsigned int)HVVSS_IOCHVVSSREAD &&
	    outsz == HVVSS_BSD_MSG_LEN) {
		gdrv_bsd_ioctl_read(&hd->h->bsd, hd->id, out, now);
		if (hd->id == GDRV_BSD_FS && hvvss_bsd_decode(out,
		    HVVSS_BSD_MSG_LEN, &m) == HVVSS_OK &&
		    m.status == HVVSS_BSD_STATUS_OK &&
		    (op = hvvss_bsd_op_from_opt(m.opt)) >= 0 &&
		    hostsim_dev_read(&hd->h->hs, (unsigned)op, now))
			h_kill_reader(hd->h, pid);
		return HVVSS_BSD_MSG_LEN;
	}
	if (cmd == (unsigned int)HVVSS_IOCHVVSSWRITE &&
	    insz == HVVSS_BSD_MSG_LEN) {
		gdrv_bsd_ioctl_write(&hd->h->bsd, hd->id, in, now);
		return 0;
	}
	return -ENOTTY;
}

static const struct fusedev_ops bsd_ops = {
	.open = bsd_open,
	.release = bsd_release,
	.poll = bsd_poll,
	.ioctl = bsd_ioctl,
};

static void
h_drv_channel(struct harness *h, uint64_t now)
{
	if (h->cfg->flavour == SCEN_FREEBSD)
		gdrv_bsd_channel(&h->bsd, now);
	else
		gdrv_lnx_channel(&h->lnx, now);
}

static void
h_drv_timer(struct harness *h, uint64_t now)
{
	if (h->cfg->flavour == SCEN_FREEBSD)
		gdrv_bsd_timer(&h->bsd, now);
	else
		gdrv_lnx_timer(&h->lnx, now);
}

static uint64_t
h_drv_deadline(const struct harness *h)
{
	if (h->cfg->flavour == SCEN_FREEBSD)
		return gdrv_bsd_deadline(&h->bsd);
	return gdrv_lnx_deadline(&h->lnx);
}

static void
h_snap_cb(void *arg, int fd, short revents)
{
	struct harness	*h = arg;
	char		 sb[32];
	int		 rc;

	(void)fd;
	(void)revents;
	if (!proc_reap(&h->snap))
		return;
	ev_io_del(&h->loop, h->snap.pidfd);
	proc_close(&h->snap);
	h->snap_deadline = 0;
	if (h->snap_killed)
		rc = -1;
	else if (WIFEXITED(h->snap.status))
		rc = WEXITSTATUS(h->snap.status);
	else
		rc = 128 + (WIFSIGNALED(h->snap.status) ?
		    WTERMSIG(h->snap.status) : 0);
	hlog_debug("snapshot command: %s%s", proc_status_str(h->snap.status,
	    sb, sizeof(sb)), h->snap_killed ? " (deadline)" : "");
	/* A snapshot faster than -H still holds the guest that long, so a
	 * test can ask for a frozen window of a known minimum. */
	if (rc == 0 && ev_now() < h->snap_started +
	    EV_MS(h->cfg->hold_ms)) {
		h->hold_rc = rc;
		h->hold_until = h->snap_started + EV_MS(h->cfg->hold_ms);
		return;
	}
	hostsim_snapshot_done(&h->hs, rc, ev_now());
}

/*
 * The guest is frozen: run -c; the step lasts at least -H milliseconds
 * (without -c it is just that hold).
 */
static void
h_snapshot_start(struct harness *h, uint64_t now)
{
	char	 cyc[16], e_cyc[32], e_fl[40];
	char	*argv[3], *env[3];

	h->snap_started = now;
	h->hold_rc = 0;
	if (h->cfg->snap_cmd == NULL) {
		h->hold_until = now + EV_MS(h->cfg->hold_ms);
		return;
	}
	snprintf(cyc, sizeof(cyc), "%u", h->hs.cycle);
	snprintf(e_cyc, sizeof(e_cyc), "HVVSS_CYCLE=%u", h->hs.cycle);
	snprintf(e_fl, sizeof(e_fl), "HVVSS_FLAVOUR=%s",
	    scenario_flavour_name(h->cfg->flavour));
	argv[0] = (char *)(uintptr_t)h->cfg->snap_cmd;
	argv[1] = cyc;
	argv[2] = NULL;
	env[0] = e_cyc;
	env[1] = e_fl;
	env[2] = NULL;
	h->snap_killed = 0;
	if (proc_spawn(&h->snap, h->cfg->snap_cmd, argv, env) == -1 ||
	    ev_io_add(&h->loop, h->snap.pidfd, POLLIN, h_snap_cb, h) == -1) {
		hlog_warnx("cannot run %s", h->cfg->snap_cmd);
		if (h->snap.running)
			proc_kill(&h->snap, SIGKILL);
		hostsim_snapshot_done(&h->hs, -1, now);
		return;
	}
	h->snap_deadline = now + h->cfg->snap_tmo;
}

/* Hibernation and resume of the guest (Linux only, 5.6). */
static void
h_hibernate(struct harness *h, uint64_t now)
{
	if (h->cfg->flavour != SCEN_LINUX) {
		hlog_info("hibernate: no FreeBSD equivalent, ignored");
		return;
	}
	gdrv_lnx_pre_suspend(&h->lnx, now);
	/* The channel is closed and reopened across hibernation. */
	vmbus_chan_reset(&h->chan);
	gdrv_lnx_pre_resume(&h->lnx, now);
}

/* Run everything until nothing changes. */
static void
h_pump(struct harness *h)
{
	enum hostsim_action	 act;
	unsigned long		 gen;
	uint64_t		 now;
	unsigned		 i, rounds = 0;
	int			 progress;

	do {
		progress = 0;
		now = ev_now();
		gen = vmbus_gen(&h->chan);
		h_drv_timer(h, now);
		h_drv_channel(h, now);
		hostsim_registered(&h->hs, h_regcount(h), now);
		if (h->phase == PH_RUN) {
			act = hostsim_run(&h->hs, now);
			switch (act) {
			case HS_ACT_SNAPSHOT:
				h_snapshot_start(h, now);
				progress = 1;
				break;
			case HS_ACT_HIBERNATE:
				h_hibernate(h, now);
				progress = 1;
				break;
			case HS_ACT_DONE:
				h_stop(h, now);
				break;
			default:
				break;
			}
			h_drv_channel(h, now);
		}
		if (vmbus_gen(&h->chan) != gen)
			progress = 1;
		for (i = 0; i < h->ndev; i++)
			if (fusedev_sync(&h->dev[i]))
				progress = 1;
	} while (progress && ++rounds < 10000);
}

/* The run is over (or aborted): terminate the daemon, then finish. */
static void
h_stop(struct harness *h, uint64_t now)
{
	if (h->phase != PH_RUN)
		return;
	if (h->snap.running) {
		h->snap_killed = 1;
		proc_kill(&h->snap, SIGKILL);
	}
	h->hold_until = 0;
	if (h->daemon.running) {
		timeline_event(&h->tl, now, "daemon-stop", "signal=TERM");
		proc_kill(&h->daemon, SIGTERM);
		h->phase = PH_STOP_TERM;
		h->phase_deadline = now + STOP_GRACE;
	} else
		h->phase = PH_DONE;
}

static void
h_daemon_cb(void *arg, int fd, short revents)
{
	struct harness	*h = arg;
	char		 sb[32];
	uint64_t	 now = ev_now();

	(void)fd;
	(void)revents;
	if (!proc_reap(&h->daemon))
		return;
	ev_io_del(&h->loop, h->daemon.pidfd);
	proc_close(&h->daemon);
	timeline_event(&h->tl, now, "daemon-exit", "status=%s",
	    proc_status_str(h->daemon.status, sb, sizeof(sb)));
	if (h->phase == PH_RUN && h_regcount(h) == 0) {
		hlog_warnx("daemon exited (%s) before registering",
		    proc_status_str(h->daemon.status, sb, sizeof(sb)));
		h->daemon_noreg = 1;
		h_stop(h, now);
	}
	if (h->phase != PH_RUN)
		h->phase = PH_DONE;
}

static void
h_signal_cb(void *arg, int fd, short revents)
{
	struct harness			*h = arg;
	struct signalfd_siginfo		 si;

	(void)revents;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		hlog_info("signal %u: stopping", si.ssi_signo);
		timeline_event(&h->tl, ev_now(), "signal", "signo=%u",
		    si.ssi_signo);
		h->aborted = 1;
		h_stop(h, ev_now());
	}
}

static void
h_fuse_cb(void *arg, int fd, short revents)
{
	struct fusedev	*dev = arg;
	struct harness	*h = dev->arg != NULL ?
			    ((struct hdev *)dev->arg)->h : NULL;

	(void)fd;
	(void)revents;
	if (fusedev_dispatch(dev) == -1 && h != NULL) {
		hlog_warnx("%s: FUSE session ended", dev->path);
		ev_io_del(&h->loop, fd);
		h->aborted = 1;
		h_stop(h, ev_now());
	}
}

static void
h_timers(struct harness *h, uint64_t now)
{
	if (h->hold_until != 0 && now >= h->hold_until) {
		h->hold_until = 0;
		hostsim_snapshot_done(&h->hs, h->hold_rc, now);
	}
	if (h->snap_deadline != 0 && now >= h->snap_deadline) {
		h->snap_deadline = 0;
		h->snap_killed = 1;
		hlog_warnx("snapshot command exceeded its deadline: killed");
		proc_kill(&h->snap, SIGKILL);
	}
	if (h->phase == PH_STOP_TERM && now >= h->phase_deadline) {
		timeline_event(&h->tl, now, "daemon-stop", "signal=KILL");
		proc_kill(&h->daemon, SIGKILL);
		h->phase = PH_STOP_KILL;
		h->phase_deadline = now + STOP_GRACE;
	} else if (h->phase == PH_STOP_KILL && now >= h->phase_deadline) {
		hlog_warnx("daemon did not exit after SIGKILL");
		h->phase = PH_DONE;
	}
}

static uint64_t
h_deadline(const struct harness *h)
{
	uint64_t	 d[5], best = 0;
	unsigned	 i;

	d[0] = h->phase == PH_RUN ? hostsim_deadline(&h->hs) : 0;
	d[1] = h_drv_deadline(h);
	d[2] = h->hold_until;
	d[3] = h->snap_deadline;
	d[4] = h->phase == PH_STOP_TERM || h->phase == PH_STOP_KILL ?
	    h->phase_deadline : 0;
	for (i = 0; i < 5; i++)
		if (d[i] != 0 && (best == 0 || d[i] < best))
			best = d[i];
	return best;
}

/*
 * A FUSE mount under /dev in the initial mount namespace would be seen
 * by every process of the machine, and a FREEZE would reach the real
 * file systems: refuse unless explicitly allowed.  Recognised by the inode
 * number the initial mount namespace has: fixed 0xEFFFFFF8
 * (PROC_MNT_INIT_INO) on recent kernels, the first dynamic nsfs inode
 * 0xF0000000 on older ones; else, but only from the initial PID namespace
 * (in a sandbox PID 1 shares our namespace), by comparing with PID 1's.
 */
static int
h_in_init_mntns(void)
{
	struct stat	 self, pid, init;

	if (stat("/proc/self/ns/mnt", &self) == -1)
		return 0;
	if (self.st_ino == 0xeffffff8u || self.st_ino == 0xf0000000u)
		return 1;
	if (stat("/proc/self/ns/pid", &pid) == 0 &&
	    pid.st_ino == 0xeffffffcu &&	/* PROC_PID_INIT_INO */
	    stat("/proc/1/ns/mnt", &init) == 0)
		return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
	return 0;
}

static int
h_namespace_ok(const char *path)
{
	const char	*allow = getenv("HVVSS_HOST_ALLOW_GLOBAL");

	if (strncmp(path, "/dev/", 5) != 0 ||
	    (allow != NULL && strcmp(allow, "1") == 0))
		return 1;
	if (!h_in_init_mntns())
		return 1;
	hlog_warnx("refusing to mount %s in the initial mount namespace; "
	    "run inside 'unshare -m --propagation private' "
	    "(or set HVVSS_HOST_ALLOW_GLOBAL=1)", path);
	return 0;
}

static int
h_setup_devices(struct harness *h)
{
	const struct harness_cfg	*cfg = h->cfg;
	char				 app[256];
	const char			*fs, *slash;
	unsigned			 i;

	if (cfg->flavour == SCEN_LINUX) {
		fs = cfg->devpath != NULL ? cfg->devpath : HVVSS_LNX_DEV;
		if (!h_namespace_ok(fs))
			return -1;
		h->hdev[0].h = h;
		h->hdev[0].id = 0;
		if (fusedev_start(&h->dev[0], "hv_vss", fs, 0600, &lx_ops,
		    &h->hdev[0]) == -1)
			return -1;
		h->ndev = 1;
	} else {
		fs = cfg->devpath != NULL ? cfg->devpath : HVVSS_BSD_FS_DEV;
		if ((slash = strrchr(fs, '/')) == NULL ||
		    (size_t)(slash - fs) + sizeof("/hv_appvss_dev") >
		    sizeof(app)) {
			hlog_warnx("%s: bad device path", fs);
			return -1;
		}
		snprintf(app, sizeof(app), "%.*s/hv_appvss_dev",
		    (int)(slash - fs), fs);
		if (!h_namespace_ok(fs) || !h_namespace_ok(app))
			return -1;
		for (i = 0; i < GDRV_BSD_NDEV; i++) {
			h->hdev[i].h = h;
			h->hdev[i].id = (int)i;
			/* root:wheel 0640 (6.1) */
			if (fusedev_start(&h->dev[i], i == GDRV_BSD_FS ?
			    "hv_fsvss_dev" : "hv_appvss_dev",
			    i == GDRV_BSD_FS ? fs : app, 0640, &bsd_ops,
			    &h->hdev[i]) == -1)
				return -1;
			h->ndev++;
		}
	}
	for (i = 0; i < h->ndev; i++)
		if (ev_io_add(&h->loop, fusedev_fd(&h->dev[i]), POLLIN,
		    h_fuse_cb, &h->dev[i]) == -1)
			return -1;
	return 0;
}

static int
h_setup_signals(struct harness *h)
{
	sigset_t	 set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	if ((h->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		return -1;
	return ev_io_add(&h->loop, h->sigfd, POLLIN, h_signal_cb, h);
}

static int
h_spawn_daemon(struct harness *h)
{
	char	**argv = h->cfg->daemon_argv;

	if (argv == NULL || argv[0] == NULL)
		return 0;
	if (proc_spawn(&h->daemon, argv[0], argv, NULL) == -1)
		return -1;
	timeline_event(&h->tl, ev_now(), "daemon-start", "pid=%d path=%s",
	    (int)h->daemon.pid, argv[0]);
	return ev_io_add(&h->loop, h->daemon.pidfd, POLLIN, h_daemon_cb, h);
}

enum harness_result
harness_run(const struct harness_cfg *cfg)
{
	struct harness		*h;
	struct gdrv_lnx_cfg	 lcfg;
	struct gdrv_bsd_cfg	 bcfg;
	struct hostsim_cfg	 hcfg;
	struct timespec		 rt;
	enum harness_result	 res;
	uint64_t		 t0, next;
	unsigned		 i;
	int			 r;

	/* The driver models hold page-sized buffers: not on the stack. */
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		hlog_warn("calloc");
		return HARNESS_SETUP;
	}
	h->cfg = cfg;
	h->sigfd = -1;
	proc_init(&h->daemon);
	proc_init(&h->snap);
	ev_init(&h->loop);
	t0 = ev_now();
	if (timeline_open(&h->tl, cfg->timeline_path, cfg->quiet ? NULL :
	    stdout, cfg->verbose, t0) == -1) {
		hlog_warn("%s", cfg->timeline_path);
		free(h);
		return HARNESS_SETUP;
	}
	vmbus_chan_init(&h->chan);
	lcfg.freeze_tmo = cfg->freeze_tmo;
	lcfg.other_tmo = cfg->other_tmo;
	gdrv_lnx_init(&h->lnx, &lcfg, &h->chan, &h->tl);
	clock_gettime(CLOCK_REALTIME, &rt);
	bcfg.tmo = cfg->bsd_tmo;
	bcfg.msgid_base = (uint64_t)rt.tv_sec * 1000000000ull +
	    (uint64_t)rt.tv_nsec - t0;
	gdrv_bsd_init(&h->bsd, &bcfg, &h->chan, &h->tl);
	memset(&hcfg, 0, sizeof(hcfg));
	hcfg.flavour = cfg->flavour;
	hcfg.cycles = cfg->cycles;
	hcfg.host_wait = cfg->host_wait;
	hcfg.freeze_tmo = cfg->freeze_tmo;
	hcfg.other_tmo = cfg->other_tmo;
	hcfg.bsd_tmo = cfg->bsd_tmo;
	hcfg.none_wait = EV_MS(500);
	hcfg.reg_wait = cfg->reg_wait;
	res = HARNESS_SETUP;
	if (hostsim_init(&h->hs, &hcfg, cfg->sc, &h->chan, &h->tl) == -1) {
		hlog_warn("hostsim");
		goto out;
	}
	timeline_event(&h->tl, t0, "start", "flavour=%s scenario=%s "
	    "cycles=%u", scenario_flavour_name(cfg->flavour),
	    cfg->scenario_name, cfg->cycles);
	if (h_setup_signals(h) == -1) {
		hlog_warn("signals");
		goto out;
	}
	if (h_setup_devices(h) == -1)
		goto out;
	if (h_spawn_daemon(h) == -1) {
		hlog_warnx("cannot start %s", cfg->daemon_argv[0]);
		goto out;
	}
	while (h->phase != PH_DONE) {
		h_timers(h, ev_now());
		h_pump(h);
		if (h->phase == PH_DONE)
			break;
		/* The harness keeps its own deadlines; the loop's timer 0
		 * only bounds the wait. */
		if ((next = h_deadline(h)) != 0)
			ev_timer_set(&h->loop, 0, next, NULL, NULL);
		else
			ev_timer_clear(&h->loop, 0);
		if (ev_run_once(&h->loop) == -1) {
			hlog_warn("poll");
			h->aborted = 1;
			break;
		}
	}
	r = hostsim_result(&h->hs);
	if (r == 2 || h->daemon_noreg)
		res = HARNESS_NOREG;
	else if (r != 0 || h->aborted)
		res = HARNESS_FAIL;
	else
		res = HARNESS_OK;
	timeline_event(&h->tl, ev_now(), "finish", "result=%s",
	    res == HARNESS_OK ? "ok" : res == HARNESS_NOREG ? "noregister" :
	    "fail");
	if (!cfg->quiet)
		hostsim_summary(&h->hs, stdout);
out:
	if (h->daemon.running) {
		proc_kill(&h->daemon, SIGKILL);
		proc_close(&h->daemon);
	}
	if (h->snap.running) {
		proc_kill(&h->snap, SIGKILL);
		proc_close(&h->snap);
	}
	for (i = 0; i < GDRV_BSD_NDEV; i++)
		if (h->dev[i].se != NULL || h->dev[i].created_file ||
		    h->dev[i].ndirs > 0)
			fusedev_stop(&h->dev[i]);
	if (h->sigfd != -1)
		close(h->sigfd);
	hostsim_free(&h->hs);
	vmbus_chan_reset(&h->chan);
	timeline_close(&h->tl);
	free(h);
	return res;
}
