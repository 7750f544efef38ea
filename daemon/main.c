/*
 * hv_vss_daemon: the Hyper-V VSS guest daemon of hvvss.
 *
 * A drop-in for the Linux (tools/hv) and FreeBSD daemons of the same name:
 * same program name, device paths and flags (-n foreground, -d debug, -h).
 * Exit status is decided here only (sysexits(3)); see hv_vss_daemon(8).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "vssd.h"
#include "xport.h"

#define MAX_LIST	64

/* argv[0]'s last component (progname is glibc's). */
static const char	*progname = "hv_vss_daemon";

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s [-aCdhnp] [-D device] [-f config] "
	    "[-F linux | freebsd]\n\t[-I mountpoint] [-t seconds] "
	    "[-X mountpoint]\n", progname);
	exit(EX_USAGE);
}

static int
add_path(const char **list, size_t *n, const char *p)
{
	if (*n + 1 >= MAX_LIST || p[0] != '/')
		return -1;
	list[(*n)++] = p;
	list[*n] = NULL;
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "no-daemon",	no_argument,	NULL, 'n' },
		{ "help",	no_argument,	NULL, 'h' },
		{ "debug",	no_argument,	NULL, 'd' },
		{ NULL,		0,		NULL, 0 }
	};
	static const char	*include[MAX_LIST], *exclude[MAX_LIST];
	struct vssd_conf	 conf;
	struct vssd		*sd;
	size_t			 ninc = 0, nexc = 0;
	struct config		 cf;
	const char		*cfpath = CONFIG_DEFAULT_PATH;
	int			 ch, debug = 0, foreground = 0, plan_only = 0;
	int			 rc, cf_named = 0, check_only = 0, kind = -1;
	int			 accept = 0;
	const char		*slash;
	unsigned		 deadline = 0;
	char			*end;
	unsigned long		 ul;

	if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0')
		progname = (slash = strrchr(argv[0], '/')) != NULL &&
		    slash[1] != '\0' ? slash + 1 : argv[0];
	vssd_conf_default(&conf);
	while ((ch = getopt_long(argc, argv, "aCD:df:F:hI:npt:X:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			accept = 1;
			break;
		case 'C':
			check_only = 1;
			break;
		case 'D':
			conf.device = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			cfpath = optarg;
			cf_named = 1;
			break;
		case 'F':
			if (strcmp(optarg, "linux") == 0)
				kind = XPORT_LINUX;
			else if (strcmp(optarg, "freebsd") == 0)
				kind = XPORT_FREEBSD;
			else
				usage();
			break;
		case 'h':
			usage();
			break;
		case 'I':
			if (add_path(include, &ninc, optarg) == -1)
				usage();
			conf.include = include;
			break;
		case 'n':
			foreground = 1;
			break;
		case 'p':
			plan_only = 1;
			break;
		case 't':
			errno = 0;
			ul = strtoul(optarg, &end, 10);
			if (errno || *end != '\0' || ul == 0 || ul > 3600)
				usage();
			deadline = (unsigned)ul;
			break;
		case 'X':
			if (add_path(exclude, &nexc, optarg) == -1)
				usage();
			conf.exclude = exclude;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc != 0)
		usage();

	/* The config file first; the command line overrides it. */
	config_init(&cf);
	if (config_load(&cf, cfpath, cf_named) == -1) {
		if (cf.err_line > 0)
			fprintf(stderr, "%s: %s:%d: %s\n",
			    progname, cfpath, cf.err_line,
			    cf.err);
		else
			fprintf(stderr, "%s: %s\n",
			    progname, cf.err);
		return EX_CONFIG;
	}
	if (cf.transport != -1)
		conf.kind = (enum xport_kind)cf.transport;
	if (cf.device != NULL)
		conf.device = cf.device;
	if (cf.deadline_s != 0)
		conf.deadline_s = cf.deadline_s;
	if (cf.accept_frozen != -1)
		conf.accept_frozen = cf.accept_frozen;
	if (cf.expedite_rcu != -1)
		conf.expedite_rcu = cf.expedite_rcu;
	if (cf.ninclude > 0 && conf.include == NULL)
		conf.include = (const char *const *)cf.include;
	if (cf.nexclude > 0 && conf.exclude == NULL)
		conf.exclude = (const char *const *)cf.exclude;
	if (cf.hooks_dir != NULL)
		conf.hooks_dir = strcmp(cf.hooks_dir, "none") == 0 ? NULL :
		    cf.hooks_dir;
	if (cf.hooks_qga != -1)
		conf.hooks_qga = cf.hooks_qga;
	if (cf.hooks_vmware != -1)
		conf.hooks_vmware = cf.hooks_vmware;
	if (cf.hooks_policy != -1)
		conf.hooks_fail = cf.hooks_policy;
	if (cf.hooks_timeout_s != 0)
		conf.hooks_timeout_s = cf.hooks_timeout_s;
	if (cf.notify_socket != NULL)
		conf.notify_path = strcmp(cf.notify_socket, "none") == 0 ?
		    NULL : cf.notify_socket;
	if (cf.notify_policy != -1)
		conf.notify_fail = cf.notify_policy;
	if (cf.notify_timeout_s != 0)
		conf.notify_timeout_s = cf.notify_timeout_s;
	if (kind != -1)
		conf.kind = (enum xport_kind)kind;
	if (deadline != 0)
		conf.deadline_s = deadline;
	if (accept)
		conf.accept_frozen = 1;
	if (check_only) {
		printf("config ok: transport=%s device=%s deadline_s=%u "
		    "accept_frozen=%s expedite_rcu=%s include=%zu exclude=%zu hooks_dir=%s "
		    "qemu_ga=%s vmware=%s policy=%s hook_timeout_s=%u "
		    "notify=%s notify_policy=%s notify_timeout_s=%u\n",
		    xport_kind_name(conf.kind), conf.device != NULL ?
		    conf.device : xport_default_path(conf.kind),
		    conf.deadline_s, conf.accept_frozen ? "yes" : "no",
		    conf.expedite_rcu ? "yes" : "no",
		    cf.ninclude, cf.nexclude, conf.hooks_dir != NULL ?
		    conf.hooks_dir : "none", conf.hooks_qga ? "yes" : "no",
		    conf.hooks_vmware ? "yes" : "no",
		    conf.hooks_fail ? "fail" : "continue",
		    conf.hooks_timeout_s, conf.notify_path != NULL ?
		    conf.notify_path : "none",
		    conf.notify_fail ? "fail" : "continue",
		    conf.notify_timeout_s);
		return EX_OK;
	}

	if (plan_only) {
		log_init(progname, 1, debug);
		return vssd_print_plan(&conf) == 0 ? EX_OK : EX_OSERR;
	}

	/* stderr until the channel is open, so a failure is seen. */
	log_init(progname, 1, debug);
	if ((sd = vssd_new(&conf)) == NULL) {
		log_warn("event=start-failed");
		return EX_OSERR;
	}
	if (vssd_open(sd) == -1) {
		log_warnx("event=start-failed reason=\"cannot open or register "
		    "the VSS device\"");
		vssd_free(sd);
		return EX_UNAVAILABLE;
	}
	if (!foreground) {
		if (daemon(0, 0) == -1) {
			log_warn("event=daemon-failed");
			vssd_free(sd);
			return EX_OSERR;
		}
		vssd_daemonized(sd);
		log_init(progname, 0, debug);
	}
	rc = vssd_run(sd);
	vssd_free(sd);
	switch (rc) {
	case VSSD_EXIT_NONE:
	case VSSD_EXIT_SIGNAL:
		return EX_OK;
	case VSSD_EXIT_DEVICE:
		return EX_UNAVAILABLE;
	case VSSD_EXIT_THAW:
		return EX_SOFTWARE;
	default:
		return EX_OSERR;
	}
}
