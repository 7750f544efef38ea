/*
 * config.h: /etc/hvvss.conf (hvvss.conf(5)), parsed with libinih.
 *
 *	[daemon]
 *	transport = linux | freebsd
 *	device = /dev/vmbus/hv_vss
 *	[freeze]
 *	deadline = 60			; seconds, 1..3600
 *	accept_frozen = no		; yes | no
 *	expedite_rcu = yes		; yes | no (rcuexp.h)
 *	include = /srv			; repeatable: freeze only these
 *	exclude = /scratch		; repeatable: never these
 *	[hooks]
 *	dir = /etc/hvvss/hooks.d	; "none": no native hooks
 *	qemu_ga = no			; also /etc/qemu/fsfreeze-hook.d
 *	vmware = no			; also backupScripts.d + legacy pair
 *	policy = continue		; continue | fail
 *	timeout = 20			; seconds per hook, 1..900
 *	[notify]
 *	socket = /run/hvvss/notify.sock	; "none": no application socket
 *	policy = continue		; continue | fail
 *	timeout = 10			; seconds per phase, 1..900
 *
 * Unknown sections or keys, bad values and duplicate single-valued keys are
 * errors that name the line.  The parser is pure over a string, so the
 * tests and the fuzzer feed it bytes directly.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#define CONFIG_DEFAULT_PATH	"/etc/hvvss.conf"
#define CONFIG_MAX_LIST		64
#define CONFIG_MAX_BYTES	(1024 * 1024)

struct config {
	int		 transport;	/* -1 unset, else enum xport_kind */
	char		*device;
	unsigned	 deadline_s;	/* 0 unset */
	int		 accept_frozen;	/* -1 unset, 0, 1 */
	int		 expedite_rcu;	/* -1 unset, 0, 1 */
	char		*include[CONFIG_MAX_LIST + 1];	/* NULL-terminated */
	size_t		 ninclude;
	char		*exclude[CONFIG_MAX_LIST + 1];
	size_t		 nexclude;
	char		*hooks_dir;	/* NULL unset; "none" */
	int		 hooks_qga;	/* -1 unset */
	int		 hooks_vmware;	/* -1 unset */
	int		 hooks_policy;	/* -1 unset, 0 continue, 1 fail */
	unsigned	 hooks_timeout_s; /* 0 unset */
	char		*notify_socket;	/* NULL unset; "none" */
	int		 notify_policy;	/* -1 unset, 0 continue, 1 fail */
	unsigned	 notify_timeout_s; /* 0 unset */
	int		 err_line;	/* line of the first error, 0 if none */
	char		 err[128];	/* what was wrong there */
	int		 seen;		/* private: single-valued keys seen */
};

void	config_init(struct config *);
/* 0, or -1 with err_line/err set (err_line 0: not about a line). */
int	config_parse(struct config *, const char *text);
int	config_load(struct config *, const char *path, int must_exist);
void	config_free(struct config *);

#endif /* CONFIG_H */
