/*
 * replay: `penchant replay` (being written).
 */
#include <stdio.h>

#include "tools/cli.h"

int cli_replay(const struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	fprintf(stderr, "penchant replay: not available in this build\n");
	return CLI_USAGE;
}
