/*
 * profile_json: one profile as a JSON object, the shape `penchant profile
 * --json` prints and `penchant replay --out` writes one per line.
 */
#include <stdio.h>
#include <time.h>

#include "tools/cli.h"

void cli_json_fstr(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			putc(ch, f);
	}
	putc('"', f);
}

const char *const cli_count_names[PEN_N_COUNT] = { "view", "click", "rsvp",
	"save", "share", "feedback_pos", "feedback_neg", "search" };
static const char *const _dev_names[] = { "unknown", "mobile", "desktop",
	"tablet", "tv", "other" };
static const char *const _plat_names[] = { "unknown", "ios", "android", "web",
	"windows", "macos", "linux", "other" };
const char *const cli_day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat",
	"sun" };
const char *const cli_part_names[4] = { "night", "morning", "afternoon",
	"evening" };

void cli_iso_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void _interests(FILE *f, const char *key, const struct pen_interest *it,
    unsigned n)
{
	fprintf(f, ",\"%s\":[", key);
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		cli_json_fstr(f, it[i].name);
		fprintf(f,
		    ",\"id\":%u,\"weight\":%.17g,\"evidence\":%u,"
		    "\"confidence\":%.4f}",
		    it[i].id, it[i].weight, it[i].evidence, it[i].confidence);
	}
	putc(']', f);
}

void cli_profile_json(FILE *f, const char *user, const struct pen_profile *pp)
{
	char a[32], b[32];
	cli_iso_time(pp->first_ms, a, sizeof(a));
	cli_iso_time(pp->last_ms, b, sizeof(b));
	fprintf(f, "{\"user\":");
	cli_json_fstr(f, user);
	fprintf(f,
	    ",\"user_key\":\"%016llx\",\"events\":%u,\"first_seen\":\"%s\","
	    "\"last_seen\":\"%s\",\"first_ms\":%lld,\"last_ms\":%lld,"
	    "\"unknown_entity\":%u,\"dropped\":%u,\"counts\":{",
	    (unsigned long long)pp->user_key, pp->events, a, b,
	    (long long)pp->first_ms, (long long)pp->last_ms, pp->unknown_entity,
	    pp->dropped);
	for (unsigned i = 0; i < PEN_N_COUNT; i++)
		fprintf(f, "%s\"%s\":%u", i ? "," : "", cli_count_names[i],
		    pp->counts[i]);
	putc('}', f);
	_interests(f, "tags", pp->tags, pp->n_tags);
	_interests(f, "categories", pp->cats, pp->n_cats);
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
	fprintf(f, "},\"locations\":[");
	for (unsigned i = 0; i < pp->n_geo; i++)
		fprintf(f, "%s{\"cell\":\"%s\",\"events\":%u}", i ? "," : "",
		    pp->geo[i].cell, pp->geo[i].n);
	fprintf(f,
	    "],\"confidence\":%.4f,\"drifting\":%s,\"drift_kl\":%.4f,"
	    "\"drift_episodes\":%u,\"drift_ms\":%lld,\"seasons\":[%u,%u,%u,%u],"
	    "\"history\":[",
	    pp->confidence, pp->drifting ? "true" : "false", pp->drift_kl,
	    pp->drift_episodes, (long long)pp->drift_ms, pp->seasons[0],
	    pp->seasons[1], pp->seasons[2], pp->seasons[3]);
	for (unsigned i = 0; i < pp->n_history; i++) {
		fprintf(f, "%s{\"week\":\"%d-W%02u\",\"tag\":", i ? "," : "",
		    pp->history[i].iso_year, pp->history[i].iso_week);
		cli_json_fstr(f, pp->history[i].name);
		fprintf(f, ",\"share\":%.4f}", pp->history[i].share);
	}
	const struct pen_behavior *bh = &pp->behavior;
	fprintf(f,
	    "],\"behavior\":{\"sessions\":%u,\"events_per_session\":%.3f,"
	    "\"mean_session_s\":%.1f,\"peak\":\"%s %s\",\"weekend_share\":%.3f,"
	    "\"click_per_view\":%.3f,\"act_per_click\":%.3f,"
	    "\"engagement\":\"%s\"}}\n",
	    bh->sessions, bh->events_per_session, bh->mean_session_s,
	    cli_day_names[bh->peak_weekday % 7],
	    cli_part_names[bh->peak_daypart % 4], bh->weekend_share,
	    bh->click_per_view, bh->act_per_click, bh->engagement);
}
