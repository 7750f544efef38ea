/*
 * hvvss-host: an emulated Hyper-V host plus a model of the guest kernel's
 * VSS driver, whose daemon device is served through FUSE so that any VSS
 * daemon runs real backup cycles against it.
 *
 * main.c: command line, then harness_run(); the exit status (sysexits)
 * is decided here and nowhere else.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "hvvss_bsd.h"
#include "hvvss_lnx.h"

#include "harness.h"
#include "hlog.h"
#include "ev.h"
#include "scenario.h"

#define SCENARIO_FILE_MAX	(1024 * 1024)
#define SNAPSHOT_TMO_S		60

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: hvvss-host [-qv] [-F linux|freebsd] [-D devpath] "
	    "[-n cycles] [-s scenario] [-f scenario-file]\n"
	    "                  [-c snapshot-cmd] [-H hold-ms] "
	    "[-T timeline-file] [-t name=seconds]... [-r register-wait-s]\n"
	    "                  [-- daemon-path [daemon-args ...]]\n");
	exit(EX_USAGE);
}

/* "12", "0.5": seconds to ns, at most a day; 0 or -1. */
static int
parse_seconds(const char *s, uint64_t *ns)
{
	uint64_t	 whole = 0, frac = 0, scale = 1;
	const char	*p = s;
	int		 digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 86400)
			return -1;
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (scale < 1000000000ull) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
	if (*p != '\0' || digits == 0)
		return -1;
	*ns = whole * 1000000000ull + frac * (1000000000ull / scale);
	return 0;
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char	*end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *v > max)
		return -1;
	return 0;
}

/* -t name=seconds */
static int
parse_timeout(struct harness_cfg *cfg, uint64_t *snap_tmo, const char *arg)
{
	const char	*eq = strchr(arg, '=');
	uint64_t	 ns;
	size_t		 n;

	if (eq == NULL || parse_seconds(eq + 1, &ns) == -1)
		return -1;
	n = (size_t)(eq - arg);
	if (n == 6 && strncmp(arg, "freeze", n) == 0)
		cfg->freeze_tmo = ns;
	else if (n == 5 && strncmp(arg, "other", n) == 0)
		cfg->other_tmo = ns;
	else if (n == 3 && strncmp(arg, "bsd", n) == 0)
		cfg->bsd_tmo = ns;
	else if (n == 4 && strncmp(arg, "host", n) == 0)
		cfg->host_wait = ns;
	else if (n == 8 && strncmp(arg, "snapshot", n) == 0)
		*snap_tmo = ns;
	else
		return -1;
	return 0;
}

static char *
read_file(const char *path, size_t *len)
{
	char	*buf;
	ssize_t	 r;
	size_t	 n = 0;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((buf = malloc(SCENARIO_FILE_MAX)) == NULL) {
		close(fd);
		return NULL;
	}
	while (n < SCENARIO_FILE_MAX &&
	    (r = read(fd, buf + n, SCENARIO_FILE_MAX - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (n == SCENARIO_FILE_MAX) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	*len = n;
	return buf;
}

int
main(int argc, char *argv[])
{
	struct harness_cfg	 cfg;
	struct scenario		 sc;
	const char		*scen_name = NULL, *scen_file = NULL;
	const char		*text, *last_optarg = NULL;
	char			*filebuf = NULL, err[256];
	size_t			 len;
	unsigned long		 v;
	uint64_t		 snap_tmo = EV_SEC(SNAPSHOT_TMO_S);
	enum harness_result	 res;
	int			 ch, quiet = 0, verbose = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.flavour = SCEN_LINUX;
	cfg.cycles = 1;
	cfg.hold_ms = 100;
	cfg.freeze_tmo = EV_SEC(HVVSS_LNX_FREEZE_TMO_S);
	cfg.other_tmo = EV_SEC(HVVSS_LNX_OTHER_TMO_S);
	cfg.bsd_tmo = EV_SEC(HVVSS_BSD_TMO_S);
	cfg.reg_wait = EV_SEC(10);

	/* '+': stop at the first operand; only "--" may introduce one. */
	while ((ch = getopt(argc, argv, "+qvF:D:n:s:f:c:H:T:t:r:")) != -1) {
		last_optarg = optarg;
		switch (ch) {
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'F':
			if (strcmp(optarg, "linux") == 0)
				cfg.flavour = SCEN_LINUX;
			else if (strcmp(optarg, "freebsd") == 0)
				cfg.flavour = SCEN_FREEBSD;
			else
				usage();
			break;
		case 'D':
			cfg.devpath = optarg;
			break;
		case 'n':
			if (parse_uint(optarg, 1000000, &v) == -1 || v == 0)
				usage();
			cfg.cycles = (unsigned)v;
			break;
		case 's':
			scen_name = optarg;
			break;
		case 'f':
			scen_file = optarg;
			break;
		case 'c':
			cfg.snap_cmd = optarg;
			break;
		case 'H':
			if (parse_uint(optarg, 86400000, &v) == -1)
				usage();
			cfg.hold_ms = (unsigned)v;
			break;
		case 'T':
			cfg.timeline_path = optarg;
			break;
		case 't':
			if (parse_timeout(&cfg, &snap_tmo, optarg) == -1)
				usage();
			break;
		case 'r':
			if (parse_seconds(optarg, &cfg.reg_wait) == -1)
				usage();
			break;
		default:
			usage();
		}
	}
	/* Operands only after an explicit "--" (not one eaten as optarg). */
	if (optind < argc) {
		if (optind < 2 || strcmp(argv[optind - 1], "--") != 0 ||
		    argv[optind - 1] == last_optarg)
			usage();
		cfg.daemon_argv = argv + optind;
	} else if (optind >= 2 && strcmp(argv[optind - 1], "--") == 0 &&
	    argv[optind - 1] != last_optarg)
		usage();		/* "--" without a daemon path */
	if (scen_name != NULL && scen_file != NULL)
		usage();
	if (cfg.snap_cmd != NULL && cfg.snap_cmd[0] != '/')
		usage();		/* an explicit path, no PATH search */
	if (cfg.daemon_argv != NULL && cfg.daemon_argv[0][0] != '/')
		usage();
	cfg.snap_tmo = snap_tmo;
	cfg.quiet = quiet;
	cfg.verbose = verbose;
	hlog_init(quiet ? HLOG_QUIET : verbose ? HLOG_DEBUG : HLOG_NORMAL);

	if (scen_file != NULL) {
		if ((filebuf = read_file(scen_file, &len)) == NULL) {
			hlog_warn("%s", scen_file);
			return EX_USAGE;
		}
		text = filebuf;
		cfg.scenario_name = scen_file;
	} else {
		if (scen_name == NULL)
			scen_name = "backup";
		if ((text = scenario_builtin(scen_name)) == NULL) {
			hlog_warnx("unknown scenario '%s'", scen_name);
			usage();
		}
		len = strlen(text);
		cfg.scenario_name = scen_name;
	}
	if (scenario_parse(text, len, &sc, err, sizeof(err)) == -1) {
		hlog_warnx("%s: %s", cfg.scenario_name, err);
		free(filebuf);
		return EX_USAGE;
	}
	free(filebuf);
	cfg.sc = &sc;

	/* Writes to a closed stdout pipe must not kill the run. */
	signal(SIGPIPE, SIG_IGN);
	/* The timeline interleaves with the daemon's own output. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	res = harness_run(&cfg);
	scenario_free(&sc);
	switch (res) {
	case HARNESS_OK:
		return 0;
	case HARNESS_FAIL:
		return 1;
	case HARNESS_NOREG:
		return EX_TEMPFAIL;
	case HARNESS_SETUP:
	default:
		return EX_UNAVAILABLE;
	}
}
