/*
 * profile: `penchant profile USER`, a consistent copy of a user's learned
 * profile as text or as the JSON of ipc/profile_json.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"

static void _profile_text(pen_t *p, const char *user,
    const struct pen_profile *pp)
{
	char a[32], b[32];
	client_iso_time(pp->first_ms, a, sizeof(a));
	client_iso_time(pp->last_ms, b, sizeof(b));
	printf("user %s (key %016llx): %u events, first %s, last %s\n", user,
	    (unsigned long long)pp->user_key, pp->events, a, b);
	printf("  counts:");
	for (unsigned i = 0; i < PEN_N_COUNT; i++)
		if (pp->counts[i] && pen_count_name(p, i))
			printf(" %s %u", pen_count_name(p, i), pp->counts[i]);
	printf("\n  confidence %.2f%s\n", pp->confidence,
	    pp->drifting ? ", DRIFTING: interests are changing" : "");
	printf(
	    "  interests (long and short horizon as of the last event, confidence):\n");
	for (unsigned i = 0; i < pp->n_tags; i++)
		printf("    %-*s %9.4f %9.4f  %.2f  (%u events)\n",
		    cli_pad(pp->tags[i].name, 24), pp->tags[i].name,
		    pp->tags[i].weight, pp->tags[i].short_weight,
		    pp->tags[i].confidence, pp->tags[i].evidence);
	printf("  categories:\n");
	for (unsigned i = 0; i < pp->n_cats; i++)
		printf(
		    "    %-*s %9.4f %9.4f  %.2f  (%u events; night %u morning %u afternoon %u evening %u)\n",
		    cli_pad(pp->cats[i].name, 24), pp->cats[i].name,
		    pp->cats[i].weight, pp->cats[i].short_weight,
		    pp->cats[i].confidence, pp->cats[i].evidence,
		    pp->cats[i].dayparts[0], pp->cats[i].dayparts[1],
		    pp->cats[i].dayparts[2], pp->cats[i].dayparts[3]);
	for (unsigned i = 0; i < pp->n_candidates; i++)
		printf(
		    "  candidate %s %-*s mass %.4f (counted until it passes the weakest)\n",
		    pp->candidates[i].category ? "category" : "tag",
		    cli_pad(pp->candidates[i].name, 16), pp->candidates[i].name,
		    pp->candidates[i].mass);
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
	printf(
	    "  behavior: %s; %u sessions, %.1f events and %.0f s each; weekend %.0f%%; click/view %.2f, act/click %.2f\n",
	    bh->engagement, bh->sessions, bh->events_per_session,
	    bh->mean_session_s, 100 * bh->weekend_share, bh->click_per_view,
	    bh->act_per_click);
	if (pp->events)
		printf("  most active: %s %s (%u events)\n",
		    client_day_names[bh->peak_weekday % 7],
		    client_part_names[bh->peak_daypart % 4],
		    pp->hours[bh->peak_weekday % 7][bh->peak_daypart % 4]);
	for (unsigned i = 0; i < pp->n_geo; i++)
		printf("  location cell %s: %u events, weight %.2f\n",
		    pp->geo[i].cell, pp->geo[i].n, pp->geo[i].weight);
	if (pp->unknown_entity || pp->displaced)
		printf(
		    "  %u events on entities not in the catalog, %u admission candidates displaced\n",
		    pp->unknown_entity, pp->displaced);
}

int cli_profile(const struct cli *c, int argc, char **argv)
{
	const char *user = NULL;
	bool json = c->json;
	if (cli_help(argc, argv,
		"usage: penchant profile USER [--json]\n\nPrints the learned profile of USER (a consistent copy from shared\nmemory). Exit 0 found, 4 no profile, 3 instance unreachable.\n"))
		return CLI_OK;
	bool opts = true; /* "--" ends them: an id may start with '-' */
	for (int i = 1; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--")) {
			opts = false;
		} else if (opts && !strcmp(argv[i], "--json")) {
			json = true;
		} else if (opts && argv[i][0] == '-' && argv[i][1]) {
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
	if ((rc = cli_user_check("profile", p, user))) {
		pen_close(&p);
		return rc;
	}
	struct pen_profile pp;
	rc = pen_profile_read(p, user, strlen(user), &pp, PEN_READ_NAMES);
	if (rc == -ENOENT) {
		fprintf(stderr, "penchant profile: no profile for user '%s'\n",
		    user);
		pen_close(&p);
		return CLI_NOT_FOUND;
	}
	if (rc) {
		fprintf(stderr, "penchant profile: %s\n", pen_strerror(rc));
		pen_close(&p);
		return CLI_UNREACHABLE;
	}
	if (json)
		client_profile_json(stdout, p, user, &pp);
	else
		_profile_text(p, user, &pp);
	pen_close(&p);
	return CLI_OK;
}
