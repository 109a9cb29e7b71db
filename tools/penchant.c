/*
 * penchant: the operator's command line. Subcommands read the region
 * directly (status, profile) or publish through libpenchant (send, demo).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/geo.h"
#include "ipc/client.h"
#include "shm/ring.h"
#include "shm/catalog.h"
#include "tools/cli.h"

static void _usage(FILE *f)
{
	fprintf(f,
	    "usage: penchant [--instance NAME] COMMAND [ARGS]\n"
	    "\n"
	    "Commands:\n"
	    "  status [--json]          layout, fill, event rates, rejects, "
	    "health\n"
	    "  send [--nowait]          publish JSON lines from stdin (one "
	    "event each)\n"
	    "  profile USER [--json]    a user's learned profile\n"
	    "  catalog load FILE        load entities (JSON lines; '-' = "
	    "stdin)\n"
	    "  demo [--users N] [--events N]  load a demo catalog and feed "
	    "events\n"
	    "  replay FILE [...]        learn from an event log offline, in "
	    "event-time\n"
	    "                           order, through the workers' code (no "
	    "daemon)\n"
	    "\n"
	    "Every command takes --help. Exit codes: 0 ok, 1 some input "
	    "rejected,\n"
	    "2 bad usage, 3 instance not running or incompatible, 4 not "
	    "found.\n");
}

void cli_json_str(const char *s)
{
	cli_json_fstr(stdout, s);
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

static bool _help(int argc, char **argv, const char *text)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(text, stdout);
			return true;
		}
	return false;
}

/* --- send ------------------------------------------------------------- */

int cli_send(const struct cli *c, int argc, char **argv)
{
	int flags = 0;
	if (_help(argc, argv,
		"usage: penchant send [--nowait]\n\nReads one JSON "
		"event per line from stdin and publishes it "
		"(docs/PROTOCOL.md).\n"
		"Rejected lines are reported as 'line N: reason: detail' on "
		"stderr;\n"
		"the others are published. Exit 0 all published, 1 some "
		"rejected,\n"
		"3 instance unreachable. --nowait fails fast on a full "
		"ring.\n"))
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

/* --- profile ---------------------------------------------------------- */

static void _profile_text(const char *user, const struct pen_profile *pp)
{
	char a[32], b[32];
	cli_iso_time(pp->first_ms, a, sizeof(a));
	cli_iso_time(pp->last_ms, b, sizeof(b));
	printf("user %s (key %016llx): %u events, first %s, last %s\n", user,
	    (unsigned long long)pp->user_key, pp->events, a, b);
	printf("  counts:");
	for (unsigned i = 0; i < PEN_N_COUNT; i++)
		if (pp->counts[i])
			printf(" %s %u", cli_count_names[i], pp->counts[i]);
	printf("\n  confidence %.2f%s\n", pp->confidence,
	    pp->drifting ? ", DRIFTING: interests are changing" : "");
	printf("  interests (weight as of last event, confidence):\n");
	for (unsigned i = 0; i < pp->n_tags; i++)
		printf("    %-24s %9.4f  %.2f  (%u events)\n", pp->tags[i].name,
		    pp->tags[i].weight, pp->tags[i].confidence,
		    pp->tags[i].evidence);
	printf("  categories:\n");
	for (unsigned i = 0; i < pp->n_cats; i++)
		printf("    %-24s %9.4f  %.2f  (%u events)\n", pp->cats[i].name,
		    pp->cats[i].weight, pp->cats[i].confidence,
		    pp->cats[i].evidence);
	if (pp->n_history) {
		printf("  weekly top interest:");
		for (unsigned i = pp->n_history; i-- > 0;)
			printf(" %d-W%02u %s (%.0f%%)%s",
			    pp->history[i].iso_year, pp->history[i].iso_week,
			    pp->history[i].name, 100 * pp->history[i].share,
			    i ? "," : "");
		printf("\n");
	}
	const struct pen_behavior *bh = &pp->behavior;
	printf("  behavior: %s; %u sessions, %.1f events and %.0f s each; "
	       "weekend %.0f%%; click/view %.2f, act/click %.2f\n",
	    bh->engagement, bh->sessions, bh->events_per_session,
	    bh->mean_session_s, 100 * bh->weekend_share, bh->click_per_view,
	    bh->act_per_click);
	if (pp->events)
		printf("  most active: %s %s (%u events)\n",
		    cli_day_names[bh->peak_weekday % 7],
		    cli_part_names[bh->peak_daypart % 4],
		    pp->hours[bh->peak_weekday % 7][bh->peak_daypart % 4]);
	for (unsigned i = 0; i < pp->n_geo; i++)
		printf("  location cell %s: %u events\n", pp->geo[i].cell,
		    pp->geo[i].n);
	if (pp->unknown_entity || pp->dropped)
		printf("  %u events on entities not in the catalog, %u "
		       "contributions dropped by top-K\n",
		    pp->unknown_entity, pp->dropped);
}

int cli_profile(const struct cli *c, int argc, char **argv)
{
	const char *user = NULL;
	bool json = c->json;
	if (_help(argc, argv,
		"usage: penchant profile USER [--json]\n\nPrints "
		"the learned profile of USER (a consistent copy from "
		"shared\nmemory). "
		"Exit 0 found, 4 no profile, 3 instance unreachable.\n"))
		return CLI_OK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
			    "penchant profile: unknown option '%s'\n", argv[i]);
			return CLI_USAGE;
		} else if (!user) {
			user = argv[i];
		} else {
			fprintf(stderr, "penchant profile: one USER only\n");
			return CLI_USAGE;
		}
	}
	if (!user) {
		fprintf(stderr, "penchant profile: which USER? (see --help)\n");
		return CLI_USAGE;
	}
	pen_t *p;
	int rc = cli_open(c, &p);
	if (rc)
		return rc;
	struct pen_profile pp;
	rc = pen_profile_read(p, user, strlen(user), &pp, PEN_READ_NAMES);
	pen_close(&p);
	if (rc == -ENOENT) {
		fprintf(stderr, "penchant profile: no profile for user '%s'\n",
		    user);
		return CLI_NOT_FOUND;
	}
	if (rc) {
		fprintf(stderr, "penchant profile: %s\n", pen_strerror(rc));
		return CLI_UNREACHABLE;
	}
	if (json)
		cli_profile_json(stdout, user, &pp);
	else
		_profile_text(user, &pp);
	return CLI_OK;
}

/* --- main ------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct cli c = { .instance = "default" };
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			_usage(stdout);
			return CLI_OK;
		} else if (!strcmp(argv[i], "--instance") && i + 1 < argc) {
			c.instance = argv[++i];
		} else if (!strncmp(argv[i], "--instance=", 11)) {
			c.instance = argv[i] + 11;
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
	const char *cmd = argv[i];
	int sub_argc = argc - i;
	char **sub_argv = argv + i;
	if (!strcmp(cmd, "status"))
		return cli_status(&c, sub_argc, sub_argv);
	if (!strcmp(cmd, "send"))
		return cli_send(&c, sub_argc, sub_argv);
	if (!strcmp(cmd, "profile"))
		return cli_profile(&c, sub_argc, sub_argv);
	if (!strcmp(cmd, "catalog"))
		return cli_catalog(&c, sub_argc, sub_argv);
	if (!strcmp(cmd, "demo"))
		return cli_demo(&c, sub_argc, sub_argv);
	if (!strcmp(cmd, "replay"))
		return cli_replay(&c, sub_argc, sub_argv);
	fprintf(stderr, "penchant: unknown command '%s'\n", cmd);
	_usage(stderr);
	return CLI_USAGE;
}
