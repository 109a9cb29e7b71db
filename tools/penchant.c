/*
 * penchant: the operator's command line. main() takes the global options
 * and hands the rest to one subcommand (tools/cli.h lists them; each has
 * its own file).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "tools/cli.h"

static void _usage(FILE *f)
{
	fprintf(f,
	    "usage: penchant [--instance NAME] COMMAND [ARGS]\n"
	    "\n"
	    "Commands:\n"
	    "  status [--json]          layout, fill, event rates, rejects, health\n"
	    "  send [--nowait]          publish JSON lines from stdin (one event each)\n"
	    "  profile USER [--json]    a user's learned profile\n"
	    "  catalog load FILE        load entities (JSON lines; '-' = stdin)\n"
	    "  demo [--users N] [--events N] [--serve N]\n"
	    "                           load a demo catalog, feed events, serve rankings\n"
	    "  replay FILE [...]        learn from an event log offline, in event-time\n"
	    "                           order, through the workers' code (no daemon)\n"
	    "  eval LOG [...]           offline lift of personalization over popularity\n"
	    "                           on an event log (HR, NDCG, MRR, diversity)\n"
	    "  simulate [...]           synthetic users with planted context effects:\n"
	    "                           click-through of the strategies, online\n"
	    "  segments [--json] [--refresh [--wait S]] [--user USER]... | [--export FILE]\n"
	    "                           behavioral segments\n"
	    "  erase USER [--json]      everything held on USER, gone (docs/PRIVACY.md)\n"
	    "  consent USER [--personalization yes|no] [--analytics yes|no] [--json]\n"
	    "  export USER              everything held on USER, as JSON\n"
	    "  experiments [--json] | load FILE  A/B tests of strategies and their results\n"
	    "  audit verify|show [...]  the audit trail: check its hash chain, list it\n"
	    "\n"
	    "Every command takes --help. Exit codes: 0 ok, 1 some input rejected,\n"
	    "2 bad usage, 3 instance not running or incompatible, 4 not found,\n"
	    "5 busy (another load holds the lock: nothing done, run it again).\n");
}

/* The command's exit code, or -1 when there is no such command. */
static int _dispatch(const struct cli *c, const char *cmd, int argc,
    char **argv)
{
	if (!strcmp(cmd, "status"))
		return cli_status(c, argc, argv);
	if (!strcmp(cmd, "send"))
		return cli_send(c, argc, argv);
	if (!strcmp(cmd, "profile"))
		return cli_profile(c, argc, argv);
	if (!strcmp(cmd, "catalog"))
		return cli_catalog(c, argc, argv);
	if (!strcmp(cmd, "demo"))
		return cli_demo(c, argc, argv);
	if (!strcmp(cmd, "replay"))
		return cli_replay(c, argc, argv);
	if (!strcmp(cmd, "eval"))
		return cli_eval(c, argc, argv);
	if (!strcmp(cmd, "simulate"))
		return cli_simulate(c, argc, argv);
	if (!strcmp(cmd, "segments"))
		return cli_segments(c, argc, argv);
	if (!strcmp(cmd, "erase"))
		return cli_erase(c, argc, argv);
	if (!strcmp(cmd, "consent"))
		return cli_consent(c, argc, argv);
	if (!strcmp(cmd, "export"))
		return cli_export(c, argc, argv);
	if (!strcmp(cmd, "experiments"))
		return cli_experiments(c, argc, argv);
	if (!strcmp(cmd, "audit"))
		return cli_audit(c, argc, argv);
	return -1;
}

/* --- main ------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct cli c = { .instance = "default" };
	bool named = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		/* "--instance prod --instance test erase U": the last one
		 * silently won, and a privacy command went to the other */
		if (named && !strncmp(argv[i], "--instance", 10) &&
		    (!argv[i][10] || argv[i][10] == '=')) {
			fprintf(stderr,
			    "penchant: --instance given twice ('%s', then '%s'): name one instance\n",
			    c.instance,
			    argv[i][10]	       ? argv[i] + 11
				: i + 1 < argc ? argv[i + 1]
					       : "");
			return CLI_USAGE;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			_usage(stdout);
			return CLI_OK;
		} else if (!strcmp(argv[i], "--instance")) {
			/* "--instance --json status": the name is missing, it
			 * is not "--json" */
			if (i + 1 >= argc || argv[i + 1][0] == '-') {
				fprintf(stderr,
				    "penchant: --instance needs a name (--instance NAME COMMAND)\n");
				return CLI_USAGE;
			}
			c.instance = argv[++i];
			named = true;
		} else if (!strncmp(argv[i], "--instance=", 11)) {
			c.instance = argv[i] + 11;
			named = true;
		} else if (!strcmp(argv[i], "--json")) {
			c.json = true;
		} else {
			fprintf(stderr, "penchant: unknown option '%s'\n",
			    argv[i]);
			_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (i >= argc) {
		_usage(stderr);
		return CLI_USAGE;
	}
	/* The name's rules are the setting's (it names shm and files):
	 * a bad one is a usage error, not "not running". */
	static struct cfg check;
	char err[256];
	if (cfg_set(&check, "instance", c.instance, err, sizeof(err))) {
		fprintf(stderr, "penchant: --instance: %s\n", err);
		return CLI_USAGE;
	}
	const char *cmd = argv[i];
	/* "status --instance NAME" read as the command's unknown option,
	 * with no word of where it goes (after "--": an operand). replay,
	 * eval and simulate take settings, --instance among them. */
	bool settings = !strcmp(cmd, "replay") || !strcmp(cmd, "eval") ||
	    !strcmp(cmd, "simulate");
	for (int j = i + 1; !settings && j < argc && strcmp(argv[j], "--"); j++)
		if (!strncmp(argv[j], "--instance", 10) &&
		    (!argv[j][10] || argv[j][10] == '=')) {
			fprintf(stderr,
			    "penchant: --instance goes before the command: penchant --instance NAME %s ...\n",
			    cmd);
			return CLI_USAGE;
		}
	int sub_argc = argc - i;
	char **sub_argv = argv + i;
	int rc = _dispatch(&c, cmd, sub_argc, sub_argv);
	if (rc < 0) {
		fprintf(stderr, "penchant: unknown command '%s'\n", cmd);
		_usage(stderr);
		return CLI_USAGE;
	}
	/* Output that could not be written (a full disk, a closed pipe)
	 * is no success: the exit code said it was all there. */
	errno = 0;
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "penchant %s: cannot write the output: %s\n",
		    cmd, strerror(errno ? errno : EIO));
		rc = rc == CLI_OK ? CLI_PARTIAL : rc;
	}
	return rc;
}
