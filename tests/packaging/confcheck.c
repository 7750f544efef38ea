/*
 * confcheck: parse a configuration file with the daemon's own parser
 * (daemon/config.c) and print what it set, without running the daemon.
 * Used by tests/packaging/check.sh on dist/hvvss.conf.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

int
main(int argc, char *argv[])
{
	struct config	c;

	if (argc != 2) {
		fprintf(stderr, "usage: confcheck file\n");
		return 2;
	}
	config_init(&c);
	if (config_load(&c, argv[1], 1) == -1) {
		printf("error line=%d: %s\n", c.err_line, c.err);
		return 1;
	}
	printf("ok transport=%d device=%s deadline=%u accept_frozen=%d "
	    "expedite_rcu=%d include=%zu exclude=%zu hooks.dir=%s hooks.qemu_ga=%d "
	    "hooks.vmware=%d hooks.policy=%d hooks.timeout=%u "
	    "notify.socket=%s notify.policy=%d notify.timeout=%u\n",
	    c.transport, c.device != NULL ? c.device : "-", c.deadline_s,
	    c.accept_frozen, c.expedite_rcu, c.ninclude, c.nexclude,
	    c.hooks_dir != NULL ? c.hooks_dir : "-", c.hooks_qga,
	    c.hooks_vmware, c.hooks_policy, c.hooks_timeout_s,
	    c.notify_socket != NULL ? c.notify_socket : "-", c.notify_policy,
	    c.notify_timeout_s);
	config_free(&c);
	return 0;
}
