/*
 * penchantd: the supervisor daemon's command line. Everything it does lives
 * in workers/supervisor.c; this only turns argv into settings.
 */
#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "workers/supervisor.h"

static void _usage(FILE *f)
{
	fprintf(f,
	    "usage: penchantd [--config FILE] [--SETTING=VALUE ...] [--reset]\n"
	    "\n"
	    "Runs one penchant instance: creates its shared-memory region, forks\n"
	    "one shard worker per shard and supervises them. SIGTERM or SIGINT\n"
	    "drains every ring, writes a snapshot and exits 0.\n"
	    "\n"
	    "  --reset            discard a region left by a crashed supervisor\n"
	    "                     instead of adopting it\n"
	    "  --print-settings   print the effective settings and exit\n"
	    "  --help             this text\n"
	    "\n"
	    "Exit codes: 0 clean stop, 1 could not start, 2 bad usage.\n"
	    "\n"
	    "Settings (also accepted in a --config file as name = value):\n");
	cfg_print_help(f);
}

int main(int argc, char **argv)
{
	struct cfg c;
	struct sup_options o = { 0 };
	bool print = false;
	char err[512];
	/* Our own flags first; the rest are settings. */
	int n = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--reset")) {
			o.reset = true;
		} else if (!strcmp(argv[i], "--print-settings")) {
			print = true;
		} else {
			argv[n++] = argv[i];
		}
	}
	argc = n;
	cfg_defaults(&c);
	int first = argc;
	if (cfg_parse_args(&c, argc, argv, &first, err, sizeof(err)) ||
	    cfg_check(&c, err, sizeof(err))) {
		fprintf(stderr, "penchantd: %s\n(see penchantd --help)\n", err);
		return 2;
	}
	if (first < argc) {
		fprintf(stderr,
		    "penchantd: unexpected argument '%s'\n(see penchantd --help)\n",
		    argv[first]);
		return 2;
	}
	if (print) {
		cfg_print_values(stdout, &c);
		return 0;
	}
	return sup_run(&c, &o);
}
