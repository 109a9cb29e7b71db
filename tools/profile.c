/*
 * profile: `penchant profile USER`, a consistent copy of a user's learned
 * profile as text or JSON, and the JSON shape `penchant replay --out`
 * writes one per line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"

static const char *const _dev_names[] = { "unknown", "mobile", "desktop",
	"tablet", "tv", "other" };
static const char *const _plat_names[] = { "unknown", "ios", "android", "web",
	"windows", "macos", "linux", "other" };
static void _interests(FILE *f, const char *key, const struct pen_interest *it,
    unsigned n, bool cats)
{
	fprintf(f, ",\"%s\":[", key);
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		cli_json_fstr(f, it[i].name);
		fprintf(f,
		    ",\"id\":%u,\"weight\":%.9g,\"short_weight\":%.9g,\"evidence\":%u,\"confidence\":%.4f",
		    it[i].id, it[i].weight, it[i].short_weight, it[i].evidence,
		    it[i].confidence);
		if (cats)
			fprintf(f,
			    ",\"dayparts\":{\"night\":%u,\"morning\":%u,\"afternoon\":%u,\"evening\":%u}",
			    it[i].dayparts[0], it[i].dayparts[1],
			    it[i].dayparts[2], it[i].dayparts[3]);
		putc('}', f);
	}
	putc(']', f);
}

static void _counts_json(FILE *f, pen_t *p, const struct pen_profile *pp)
{
	fprintf(f, ",\"counts\":{");
	for (unsigned i = 0, k = 0; i < PEN_N_COUNT; i++) {
		const char *n = pen_count_name(p, i);
		if (n)
			fprintf(f, "%s\"%s\":%u", k++ ? "," : "", n,
			    pp->counts[i]);
	}
	putc('}', f);
}

static void _time_json(FILE *f, const struct pen_profile *pp)
{
	fprintf(f, ",\"hours\":{");
	for (unsigned d = 0; d < 7; d++) {
		fprintf(f, "%s\"%s\":[", d ? "," : "", cli_day_names[d]);
		for (unsigned h = 0; h < 4; h++)
			fprintf(f, "%s%u", h ? "," : "", pp->hours[d][h]);
		putc(']', f);
	}
	fprintf(f, "},\"devices\":{");
	for (unsigned i = 0; i < 6; i++)
		fprintf(f, "%s\"%s\":%u", i ? "," : "", _dev_names[i],
		    pp->devices[i]);
	fprintf(f, "},\"platforms\":{");
	for (unsigned i = 0; i < 8; i++)
		fprintf(f, "%s\"%s\":%u", i ? "," : "", _plat_names[i],
		    pp->platforms[i]);
	fprintf(f,
	    "},\"seasons\":{\"winter\":%u,\"spring\":%u,\"summer\":%u,\"autumn\":%u}",
	    pp->seasons[0], pp->seasons[1], pp->seasons[2], pp->seasons[3]);
}

static void _places_json(FILE *f, const struct pen_profile *pp)
{
	fprintf(f, ",\"locations\":[");
	for (unsigned i = 0; i < pp->n_geo; i++) {
		char day[32];
		cli_iso_time(pp->geo[i].last_ms, day, sizeof(day));
		day[10] = 0; /* the date: cells keep the day */
		fprintf(f,
		    "%s{\"cell\":\"%s\",\"events\":%u,\"last_seen\":\"%s\",\"weight\":%.4f}",
		    i ? "," : "", pp->geo[i].cell, pp->geo[i].n, day,
		    pp->geo[i].weight);
	}
	putc(']', f);
}

static void _drift_json(FILE *f, const struct pen_profile *pp)
{
	fprintf(f,
	    ",\"confidence\":%.4f,\"drifting\":%s,\"drift_kl\":%.4f,\"drift_episodes\":%u,\"drift_ms\":%lld,\"drift_distributions\":[",
	    pp->confidence, pp->drifting ? "true" : "false", pp->drift_kl,
	    pp->drift_episodes, (long long)pp->drift_ms);
	for (unsigned i = 0; i < pp->n_cats; i++) {
		fprintf(f, "%s{\"category\":", i ? "," : "");
		cli_json_fstr(f, pp->cats[i].name);
		fprintf(f, ",\"short\":%.4f,\"long\":%.4f}", pp->drift_short[i],
		    pp->drift_long[i]);
	}
	fprintf(f, "],\"candidates\":[");
	for (unsigned i = 0; i < pp->n_candidates; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		cli_json_fstr(f, pp->candidates[i].name);
		fprintf(f, ",\"id\":%u,\"kind\":\"%s\",\"mass\":%.9g}",
		    pp->candidates[i].id,
		    pp->candidates[i].category ? "category" : "tag",
		    pp->candidates[i].mass);
	}
	putc(']', f);
}

void cli_profile_json(FILE *f, pen_t *p, const char *user,
    const struct pen_profile *pp)
{
	char a[32], b[32];
	cli_iso_time(pp->first_ms, a, sizeof(a));
	cli_iso_time(pp->last_ms, b, sizeof(b));
	fprintf(f, "{\"user\":");
	cli_json_fstr(f, user);
	fprintf(f,
	    ",\"user_key\":\"%016llx\",\"events\":%u,\"first_seen\":\"%s\",\"last_seen\":\"%s\",\"first_ms\":%lld,\"last_ms\":%lld,\"unknown_entity\":%u,\"displaced\":%u",
	    (unsigned long long)pp->user_key, pp->events, a, b,
	    (long long)pp->first_ms, (long long)pp->last_ms, pp->unknown_entity,
	    pp->displaced);
	_counts_json(f, p, pp);
	_interests(f, "tags", pp->tags, pp->n_tags, false);
	_interests(f, "categories", pp->cats, pp->n_cats, true);
	_time_json(f, pp);
	_places_json(f, pp);
	_drift_json(f, pp);
	fprintf(f, ",\"history\":[");
	for (unsigned i = 0; i < pp->n_history; i++) {
		fprintf(f, "%s{\"week\":\"%d-W%02u\",\"tag\":", i ? "," : "",
		    pp->history[i].iso_year, pp->history[i].iso_week);
		cli_json_fstr(f, pp->history[i].name);
		fprintf(f, ",\"share\":%.4f}", pp->history[i].share);
	}
	const struct pen_behavior *bh = &pp->behavior;
	fprintf(f,
	    "],\"behavior\":{\"sessions\":%u,\"events_per_session\":%.3f,\"mean_session_s\":%.1f,\"peak\":\"%s %s\",\"weekend_share\":%.3f,\"click_per_view\":%.3f,\"act_per_click\":%.3f,\"engagement\":\"%s\"}}\n",
	    bh->sessions, bh->events_per_session, bh->mean_session_s,
	    cli_day_names[bh->peak_weekday % 7],
	    cli_part_names[bh->peak_daypart % 4], bh->weekend_share,
	    bh->click_per_view, bh->act_per_click, bh->engagement);
}

static void _profile_text(pen_t *p, const char *user,
    const struct pen_profile *pp)
{
	char a[32], b[32];
	cli_iso_time(pp->first_ms, a, sizeof(a));
	cli_iso_time(pp->last_ms, b, sizeof(b));
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
		printf("    %-24s %9.4f %9.4f  %.2f  (%u events)\n",
		    pp->tags[i].name, pp->tags[i].weight,
		    pp->tags[i].short_weight, pp->tags[i].confidence,
		    pp->tags[i].evidence);
	printf("  categories:\n");
	for (unsigned i = 0; i < pp->n_cats; i++)
		printf(
		    "    %-24s %9.4f %9.4f  %.2f  (%u events; night %u morning %u afternoon %u evening %u)\n",
		    pp->cats[i].name, pp->cats[i].weight,
		    pp->cats[i].short_weight, pp->cats[i].confidence,
		    pp->cats[i].evidence, pp->cats[i].dayparts[0],
		    pp->cats[i].dayparts[1], pp->cats[i].dayparts[2],
		    pp->cats[i].dayparts[3]);
	for (unsigned i = 0; i < pp->n_candidates; i++)
		printf(
		    "  candidate %s %-16s mass %.4f (counted until it passes the weakest)\n",
		    pp->candidates[i].category ? "category" : "tag",
		    pp->candidates[i].name, pp->candidates[i].mass);
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
		    cli_day_names[bh->peak_weekday % 7],
		    cli_part_names[bh->peak_daypart % 4],
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
		cli_profile_json(stdout, p, user, &pp);
	else
		_profile_text(p, user, &pp);
	pen_close(&p);
	return CLI_OK;
}
