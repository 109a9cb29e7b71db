/*
 * send: `penchant send`, JSON lines on stdin published through
 * libpenchant, each bad line reported with its number and reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"

int cli_send(const struct cli *c, int argc, char **argv)
{
	int flags = 0;
	if (cli_help(argc, argv,
		"usage: penchant send [--nowait]\n\nReads one JSON event per line from stdin and publishes it (docs/PROTOCOL.md).\n"
		"Rejected lines are reported as 'line N: reason: detail' on stderr;\n"
		"the others are published. Exit 0 all published, 1 some rejected,\n"
		"3 instance unreachable. --nowait fails fast on a full ring.\n"))
		return CLI_OK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--nowait")) {
			flags |= PEN_NOWAIT;
		} else {
			fprintf(stderr, "penchant send: unknown option '%s'\n",
			    argv[i]);
			return CLI_USAGE;
		}
	}
	pen_t *p;
	int rc = cli_open(c, &p);
	if (rc)
		return rc;
	char *line = NULL, err[512];
	size_t cap = 0, lineno = 0, sent = 0, bad = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		size_t k = 0;
		while (k < (size_t)n && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k == (size_t)n)
			continue; /* blank lines are allowed */
		rc = pen_publish_json(p, line, (size_t)n, flags | PEN_DEFER,
		    err, sizeof(err));
		if (rc == -EINVAL) {
			fprintf(stderr, "line %zu: %s\n", lineno, err);
			bad++;
		} else if (rc) {
			fprintf(stderr, "line %zu: %s\n", lineno,
			    pen_strerror(rc));
			bad++;
			if (rc == -ESHUTDOWN || rc == -ENOSPC)
				break;
		} else {
			sent++;
		}
	}
	free(line);
	pen_commit(p);
	pen_close(&p);
	fprintf(stderr, "sent %zu events, rejected %zu lines\n", sent, bad);
	return bad ? CLI_PARTIAL : CLI_OK;
}
