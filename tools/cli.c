/*
 * cli: what the subcommands of `penchant` share (cli.h): opening the
 * instance, --help handling, JSON strings.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"

void cli_json_str(const char *s)
{
	client_json_fstr(stdout, s);
}

int cli_open(const struct cli *c, pen_t **p)
{
	char err[512];
	int rc = pen_open(c->instance, p, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "penchant: %s\n",
		    err[0] ? err : pen_strerror(rc));
		return CLI_UNREACHABLE;
	}
	return CLI_OK;
}

bool cli_help(int argc, char **argv, const char *text)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(text, stdout);
			return true;
		}
	return false;
}
