/*
 * send: `penchant send`, JSON lines on stdin published through
 * libpenchant, each bad line reported with its number and reason.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/cli.h"

/* Lines staged (PEN_DEFER) before a commit makes them visible, at the
 * most: the commit is one release store, and a batch keeps the workers'
 * wake-ups few on a file. */
#define _BATCH 1024

struct _send {
	pen_t *p;
	int flags;
	size_t lineno, sent, bad, staged;
	bool file; /* stdin is a regular file: its input never waits */
};

/* Set by the handler of SIGINT, SIGTERM and SIGHUP. */
static volatile sig_atomic_t _send_stop;

static void _send_on_signal(int sig)
{
	_send_stop = sig;
}

/* Whether more input is there now (else the next read would wait). */
static bool _more_now(void)
{
	struct pollfd pf = { .fd = fileno(stdin), .events = POLLIN };
	return poll(&pf, 1, 0) == 1;
}

/* One line of stdin: an event (blank lines are allowed); non-zero stops
 * (the instance stopping or its ring full beyond waiting). */
static int _send_line(char *text, size_t len, size_t lineno, void *ctx)
{
	struct _send *x = ctx;
	char err[512];
	if (_send_stop)
		return -EINTR;
	x->lineno = lineno;
	size_t k = strspn(text, " \t");
	if (k >= len)
		return 0;
	int rc = pen_publish_json(x->p, text, len, x->flags | PEN_DEFER, err,
	    sizeof(err));
	if (rc == -EINVAL) {
		fprintf(stderr, "line %zu: %s\n", lineno, err);
		x->bad++;
	} else if (rc) {
		fprintf(stderr, "line %zu: %s\n", lineno, pen_strerror(rc));
		x->bad++;
		if (rc == -ESHUTDOWN || rc == -ENOSPC)
			return rc;
	} else {
		x->sent++;
		x->staged++;
	}
	/* Staged events are visible only once committed: before a read
	 * that waits (a live stream, a terminal) they were held until the
	 * end of the input, and lost with it on Ctrl-C. */
	if (x->staged && (x->staged >= _BATCH || (!x->file && !_more_now()))) {
		pen_commit(x->p);
		x->staged = 0;
	}
	return 0;
}

int cli_send(const struct cli *c, int argc, char **argv)
{
	int flags = 0;
	if (cli_help(argc, argv,
		"usage: penchant send [--nowait]\n\nReads one JSON event per line from stdin and publishes it (docs/PROTOCOL.md).\n"
		"Rejected lines are reported as 'line N: reason: detail' on stderr;\n"
		"the others are published, each as soon as no more input waits.\n"
		"Exit 0 all published, 1 some rejected (or interrupted: what came\n"
		"before stays published), 3 instance unreachable. --nowait fails\n"
		"fast on a full ring.\n"))
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
	/* stdin a directory (`send < dir`) is a usage error, as for
	 * `catalog load -`; read, it failed as "cannot read on after line
	 * 0" with the exit code of rejected lines. */
	if (!cli_fopen_in("send", "-"))
		return CLI_USAGE;
	pen_t *p;
	int rc = cli_open(c, &p);
	if (rc)
		return rc;
	/* A file is read to its end without waiting: no poll a line. */
	struct stat st;
	struct _send x = { .p = p,
		.flags = flags,
		.file = fstat(fileno(stdin), &st) == 0 && S_ISREG(st.st_mode) };
	/* Ctrl-C ends the input: what was sent stays sent, and is said.
	 * No SA_RESTART: a read that waits is interrupted too. */
	struct sigaction sa = { .sa_handler = _send_on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	rc = cli_lines(stdin, _send_line, &x);
	if (rc == -ENOMEM)
		fprintf(stderr, "penchant send: out of memory\n");
	else if (_send_stop)
		fprintf(stderr,
		    "penchant send: interrupted (%s) after line %zu: the lines before it are sent\n",
		    strsignal(_send_stop), x.lineno);
	else if (ferror(stdin))
		fprintf(stderr,
		    "penchant send: cannot read on after line %zu: %s\n",
		    x.lineno, strerror(errno));
	pen_commit(p);
	pen_close(&p);
	fprintf(stderr, "sent %zu events, rejected %zu lines\n", x.sent, x.bad);
	return x.bad || rc || ferror(stdin) || _send_stop ? CLI_PARTIAL
							  : CLI_OK;
}
