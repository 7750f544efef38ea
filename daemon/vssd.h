/*
 * vssd.h: the daemon proper: one event loop, one state machine, the
 * requests from the kernel channel, the freeze engine behind them.
 */
#ifndef VSSD_H
#define VSSD_H

#include "xport.h"

/* Why the loop ended; main() maps this to an exit status. */
enum vssd_exit {
	VSSD_EXIT_NONE = 0,
	VSSD_EXIT_SIGNAL,	/* SIGTERM/SIGINT/SIGHUP, after thawing */
	VSSD_EXIT_DEVICE,	/* channel gone and could not be reopened */
	VSSD_EXIT_OSERR,	/* a system call the loop needs failed */
	VSSD_EXIT_THAW,		/* stopped, but a thaw failed: still frozen */
	VSSD_EXIT__MAX
};

/*
 * The default guest-side limit on the frozen window.  The host needs the
 * guest frozen only while it snapshots, "a few seconds" (protocol.md 4.1
 * step 5); FreeBSD's driver and macOS cap the whole step at 15 s (4.2) and
 * Windows' own VSS writers at 60 s.  Linux lets the FREEZE reply take 900 s
 * but gives THAW only 30 s, and nothing at all thaws if the host never sends
 * THAW.  60 s leaves a slow snapshot room, and stalls applications at most
 * one minute when the host has vanished.
 */
#define VSSD_DEFAULT_DEADLINE_S	60

/*
 * Each hook's deadline.  The prepare phase runs inside HOT_BACKUP, which
 * the Linux kernel fails after 30 s (protocol.md 4.2): one slow hook must
 * leave the reply room.
 */
#define VSSD_DEFAULT_HOOK_TIMEOUT_S	20
/* Clients of the notification socket get the same room, per phase. */
#define VSSD_DEFAULT_NOTIFY_TIMEOUT_S	10

struct vssd_conf {
	enum xport_kind	 kind;
	const char	*device;	/* NULL: the flavour's default */
	const char	*mountinfo;	/* "/proc/self/mountinfo" */
	const char	*sysroot;	/* "/sys" */
	const char	*journal;	/* JOURNAL_DEFAULT_PATH */
	unsigned	 deadline_s;	/* frozen-window limit */
	int		 accept_frozen;	/* EBUSY from another freezer is ok */
	int		 expedite_rcu;	/* expedited RCU across FIFREEZE */
	const char *const *include;	/* NULL or NULL-terminated */
	const char *const *exclude;
	const char	*hooks_dir;	/* NULL: no native hooks */
	int		 hooks_qga;	/* also qemu-ga's fsfreeze-hook.d */
	int		 hooks_vmware;	/* also VMware's backupScripts.d */
	int		 hooks_fail;	/* a failing hook fails the backup */
	unsigned	 hooks_timeout_s;
	const char	*notify_path;	/* NULL: no application socket */
	int		 notify_fail;	/* a client's failure fails the backup */
	unsigned	 notify_timeout_s;
};

struct vssd;

void		 vssd_conf_default(struct vssd_conf *);
struct vssd	*vssd_new(const struct vssd_conf *);
int		 vssd_open(struct vssd *);
int		 vssd_run(struct vssd *);	/* returns enum vssd_exit */
void		 vssd_daemonized(struct vssd *);	/* after daemon(3) */
void		 vssd_free(struct vssd *);
int		 vssd_print_plan(const struct vssd_conf *);
const char	*vssd_exit_name(int);

#endif /* VSSD_H */
