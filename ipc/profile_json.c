/*
 * profile_json: the one JSON writer of a profile (contract in
 * profile_json.h).
 */
#include "ipc/profile_json.h"

#include <stdbool.h>
#include <time.h>

const char *const client_day_names[7] = { "mon", "tue", "wed", "thu", "fri",
	"sat", "sun" };
const char *const client_part_names[4] = { "night", "morning", "afternoon",
	"evening" };

/* Bytes of the valid UTF-8 sequence at s (s[0] >= 0x80; NUL-terminated),
 * or 0: overlong, a surrogate, above U+10FFFF, cut short. */
static unsigned _utf8_seq(const unsigned char *s)
{
	unsigned c = s[0], need, min;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	for (unsigned k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80) /* a NUL ends it here too */
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)
	    ? 0
	    : need + 1;
}

void client_json_fstr(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	putc('"', f);
	while (*u) {
		unsigned ch = *u, n = ch < 0x80 ? 1 : _utf8_seq(u);
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else if (n == 0) /* not UTF-8: JSON text must be */
			fputs("\\ufffd", f);
		else
			fwrite(u, 1, n, f);
		u += n ? n : 1;
	}
	putc('"', f);
}

void client_iso_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

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
		client_json_fstr(f, it[i].name);
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
		fprintf(f, "%s\"%s\":[", d ? "," : "", client_day_names[d]);
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
		client_iso_time(pp->geo[i].last_ms, day, sizeof(day));
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
		client_json_fstr(f, pp->cats[i].name);
		fprintf(f, ",\"short\":%.4f,\"long\":%.4f}", pp->drift_short[i],
		    pp->drift_long[i]);
	}
	fprintf(f, "],\"candidates\":[");
	for (unsigned i = 0; i < pp->n_candidates; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		client_json_fstr(f, pp->candidates[i].name);
		fprintf(f, ",\"id\":%u,\"kind\":\"%s\",\"mass\":%.9g}",
		    pp->candidates[i].id,
		    pp->candidates[i].category ? "category" : "tag",
		    pp->candidates[i].mass);
	}
	putc(']', f);
}

void client_profile_json(FILE *f, pen_t *p, const char *user,
    const struct pen_profile *pp)
{
	char a[32], b[32];
	client_iso_time(pp->first_ms, a, sizeof(a));
	client_iso_time(pp->last_ms, b, sizeof(b));
	fprintf(f, "{\"user\":");
	client_json_fstr(f, user);
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
		client_json_fstr(f, pp->history[i].name);
		fprintf(f, ",\"share\":%.4f}", pp->history[i].share);
	}
	const struct pen_behavior *bh = &pp->behavior;
	fprintf(f,
	    "],\"behavior\":{\"sessions\":%u,\"events_per_session\":%.3f,\"mean_session_s\":%.1f,\"peak\":\"%s %s\",\"weekend_share\":%.3f,\"click_per_view\":%.3f,\"act_per_click\":%.3f,\"engagement\":\"%s\"}}\n",
	    bh->sessions, bh->events_per_session, bh->mean_session_s,
	    client_day_names[bh->peak_weekday % 7],
	    client_part_names[bh->peak_daypart % 4], bh->weekend_share,
	    bh->click_per_view, bh->act_per_click, bh->engagement);
}
