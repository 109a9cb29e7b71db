/*
 * insights: one pass over the profiles (contract in insights.h).
 */
#include "ipc/insights.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/client.h"
#include "ipc/profile_json.h"
#include "shm/catalog.h"
#include "shm/profiles.h"

#define _IDS 8192 /* distinct tags or categories summed; power of two */
#define _DAY_MS 86400000LL
#define _WEEK_MS (7 * _DAY_MS)
/* 1970-01-01 was a Thursday: weeks start on Monday, 3 days earlier. */
#define _MONDAY_SHIFT (3 * _DAY_MS)

const char *const ins_engagement_names[4] = { "new", "active", "casual",
	"dormant" };

struct _acc {
	uint32_t id; /* 0 free */
	uint32_t users;
	double weight;
};

/* What a scan keeps besides the report. */
struct _scan {
	struct _acc tags[_IDS], cats[_IDS];
	int64_t *first, *last; /* per profile scanned, for the cohorts */
	size_t n, cap;
};

static void _add_id(struct _acc *t, uint32_t id, double w, uint64_t *dropped)
{
	for (uint32_t i = (id * 2654435761u) & (_IDS - 1), n = 0; n < _IDS;
	     i = (i + 1) & (_IDS - 1), n++) {
		if (t[i].id == id || !t[i].id) {
			t[i].id = id;
			t[i].users++;
			t[i].weight += w;
			return;
		}
	}
	(*dropped)++;
}

static void _engagement(struct ins_report *r, const char *level)
{
	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(level, ins_engagement_names[i]))
			r->engagement[i]++;
}

static int _keep_times(struct _scan *sc, int64_t first, int64_t last)
{
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 4096;
		int64_t *f = realloc(sc->first, cap * sizeof(*f));
		if (f)
			sc->first = f;
		int64_t *l = f ? realloc(sc->last, cap * sizeof(*l)) : NULL;
		if (!l)
			return -ENOMEM;
		sc->last = l;
		sc->cap = cap;
	}
	sc->first[sc->n] = first;
	sc->last[sc->n++] = last;
	return 0;
}

/* One profile into the report. */
static int _one(struct ins_report *r, struct _scan *sc,
    const struct pen_profile *pp)
{
	r->scanned++;
	r->events += pp->events;
	if (pp->last_ms > r->newest_ms)
		r->newest_ms = pp->last_ms;
	_engagement(r, pp->behavior.engagement);
	r->sessions += pp->behavior.sessions;
	r->session_s_sum += (uint64_t)(pp->behavior.mean_session_s *
	    (double)pp->behavior.sessions);
	for (unsigned v = 0; v < PEN_N_COUNT; v++)
		r->verbs[v] += pp->counts[v];
	for (unsigned d = 0; d < 7; d++)
		for (unsigned h = 0; h < 4; h++) {
			r->weekdays[d] += pp->hours[d][h];
			r->dayparts[h] += pp->hours[d][h];
		}
	r->drifting += pp->drifting != 0;
	r->drift_episodes += pp->drift_episodes;
	for (unsigned i = 0; i < pp->n_tags; i++)
		if (pp->tags[i].weight > 0)
			_add_id(sc->tags, pp->tags[i].id, pp->tags[i].weight,
			    &r->ids_dropped);
	for (unsigned i = 0; i < pp->n_cats; i++)
		if (pp->cats[i].weight > 0)
			_add_id(sc->cats, pp->cats[i].id, pp->cats[i].weight,
			    &r->ids_dropped);
	return _keep_times(sc, pp->first_ms, pp->last_ms);
}

/* The INS_TOP heaviest of t into out (names from the catalog). */
static unsigned _top(const struct reg *reg, const struct _acc *t,
    struct ins_item *out)
{
	unsigned n = 0;
	for (unsigned i = 0; i < _IDS; i++) {
		if (!t[i].id)
			continue;
		unsigned at = n < INS_TOP ? n++ : INS_TOP;
		if (at == INS_TOP && t[i].weight <= out[INS_TOP - 1].weight)
			continue;
		if (at == INS_TOP)
			at = INS_TOP - 1;
		while (at > 0 && out[at - 1].weight < t[i].weight) {
			out[at] = out[at - 1];
			at--;
		}
		out[at].id = t[i].id;
		out[at].weight = t[i].weight;
		out[at].users = t[i].users;
	}
	for (unsigned i = 0; i < n; i++)
		cat_name_get(reg, out[i].id, out[i].name, sizeof(out[i].name));
	return n;
}

static int64_t _week_start(int64_t ms)
{
	int64_t w = (ms + _MONDAY_SHIFT) / _WEEK_MS;
	if (ms + _MONDAY_SHIFT < 0 && (ms + _MONDAY_SHIFT) % _WEEK_MS)
		w--;
	return w * _WEEK_MS - _MONDAY_SHIFT;
}

static void _cohorts(struct ins_report *r, const struct _scan *sc)
{
	int64_t last_week = _week_start(r->newest_ms);
	for (unsigned c = 0; c < INS_COHORTS; c++)
		r->cohorts[c].start_ms =
		    last_week - (int64_t)(INS_COHORTS - 1 - c) * _WEEK_MS;
	for (size_t i = 0; i < sc->n; i++) {
		int64_t ws = _week_start(sc->first[i]);
		if (ws < r->cohorts[0].start_ms)
			continue;
		unsigned c =
		    (unsigned)((ws - r->cohorts[0].start_ms) / _WEEK_MS);
		if (c >= INS_COHORTS)
			continue;
		r->cohorts[c].users++;
		for (unsigned k = 0; c + k < INS_COHORTS; k++)
			if (sc->last[i] >= ws + (int64_t)k * _WEEK_MS)
				r->cohorts[c].kept[k]++;
	}
}

int ins_scan(pen_t *p, uint64_t max_profiles, struct ins_report *out)
{
	const struct reg *r = client_region(p);
	struct _scan *sc = calloc(1, sizeof(*sc));
	struct pen_profile *pp = malloc(sizeof(*pp));
	int rc = sc && pp ? 0 : -ENOMEM;
	memset(out, 0, sizeof(*out));
	out->as_of_ms = reg_now_wall_ms();
	for (unsigned s = 0; s < r->hdr->geo.shards; s++)
		out->profiles += prof_count(r, s);
	uint64_t step = 1;
	if (max_profiles && out->profiles > max_profiles)
		step = (out->profiles + max_profiles - 1) / max_profiles;
	out->sampled = step > 1;
	for (unsigned s = 0; !rc && s < r->hdr->geo.shards; s++) {
		uint32_t count = ck_pr_load_uint(&reg_shard(r, s)->count);
		for (uint32_t i = 0; !rc && i < count; i += (uint32_t)step) {
			struct lrn_profile lp;
			if (prof_copy(r, s, i, &lp) || !lp.events ||
			    !lp.user_key)
				continue;
			client_profile_export(p, &lp, pp, 0, out->as_of_ms);
			rc = _one(out, sc, pp);
		}
	}
	if (!rc) {
		out->n_tags = _top(r, sc->tags, out->tags);
		out->n_cats = _top(r, sc->cats, out->cats);
		_cohorts(out, sc);
	}
	if (sc) {
		free(sc->first);
		free(sc->last);
	}
	free(sc);
	free(pp);
	return rc;
}

static double _ratio(double a, double b)
{
	return b > 0 ? a / b : 0.0;
}

static void _items(FILE *f, const char *key, const struct ins_item *it,
    unsigned n)
{
	fprintf(f, ",\"%s\":[", key);
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		client_json_fstr(f, it[i].name);
		fprintf(f, ",\"id\":%u,\"weight\":%.6g,\"users\":%llu}",
		    it[i].id, it[i].weight, (unsigned long long)it[i].users);
	}
	putc(']', f);
}

static void _calendar(FILE *f, const struct ins_report *r)
{
	double wsum = 0, dsum = 0;
	unsigned wpk = 0, dpk = 0;
	for (unsigned d = 0; d < 7; d++) {
		wsum += r->weekdays[d];
		wpk = r->weekdays[d] > r->weekdays[wpk] ? d : wpk;
	}
	for (unsigned h = 0; h < 4; h++) {
		dsum += r->dayparts[h];
		dpk = r->dayparts[h] > r->dayparts[dpk] ? h : dpk;
	}
	fprintf(f, ",\"weekdays\":{");
	for (unsigned d = 0; d < 7; d++)
		fprintf(f, "%s\"%s\":%.6f", d ? "," : "", client_day_names[d],
		    _ratio(r->weekdays[d], wsum));
	fprintf(f, "},\"dayparts\":{");
	for (unsigned h = 0; h < 4; h++)
		fprintf(f, "%s\"%s\":%.6f", h ? "," : "", client_part_names[h],
		    _ratio(r->dayparts[h], dsum));
	fprintf(f, "},\"peak_weekday\":\"%s\",\"peak_daypart\":\"%s\"",
	    client_day_names[wpk], client_part_names[dpk]);
}

static void _cohorts_json(FILE *f, const struct ins_report *r)
{
	fprintf(f, ",\"cohorts\":[");
	for (unsigned c = 0; c < INS_COHORTS; c++) {
		char when[32];
		client_iso_time(r->cohorts[c].start_ms, when, sizeof(when));
		when[10] = 0; /* the date */
		fprintf(f,
		    "%s{\"week\":\"%s\",\"start_ms\":%lld,\"users\":%llu,\"retention\":[",
		    c ? "," : "", when, (long long)r->cohorts[c].start_ms,
		    (unsigned long long)r->cohorts[c].users);
		for (unsigned k = 0; c + k < INS_COHORTS; k++)
			fprintf(f, "%s%.4f", k ? "," : "",
			    _ratio((double)r->cohorts[c].kept[k],
				(double)r->cohorts[c].users));
		fprintf(f, "]}");
	}
	putc(']', f);
}

void ins_json(FILE *f, pen_t *p, const struct ins_report *r)
{
	double views = (double)r->verbs[PEN_N_VIEW],
	       clicks = (double)r->verbs[PEN_N_CLICK],
	       acts = (double)(r->verbs[PEN_N_RSVP] + r->verbs[PEN_N_SAVE] +
		   r->verbs[PEN_N_PURCHASE]);
	fprintf(f,
	    "{\"as_of_ms\":%lld,\"newest_event_ms\":%lld,\"profiles\":%llu,\"scanned\":%llu,\"sampled\":%s,\"events\":%llu,\"engagement\":{",
	    (long long)r->as_of_ms, (long long)r->newest_ms,
	    (unsigned long long)r->profiles, (unsigned long long)r->scanned,
	    r->sampled ? "true" : "false", (unsigned long long)r->events);
	for (unsigned i = 0; i < 4; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "",
		    ins_engagement_names[i],
		    (unsigned long long)r->engagement[i]);
	fprintf(f,
	    "},\"sessions\":{\"total\":%llu,\"per_user\":%.4f,\"events_per_session\":%.4f,\"mean_session_s\":%.1f}",
	    (unsigned long long)r->sessions,
	    _ratio((double)r->sessions, (double)r->scanned),
	    _ratio((double)r->events, (double)r->sessions),
	    _ratio((double)r->session_s_sum, (double)r->sessions));
	fprintf(f,
	    ",\"funnel\":{\"views\":%.0f,\"clicks\":%.0f,\"acts\":%.0f,\"click_per_view\":%.6f,\"act_per_click\":%.6f}",
	    views, clicks, acts, _ratio(clicks, views), _ratio(acts, clicks));
	fprintf(f, ",\"verbs\":{");
	for (unsigned v = 0, n = 0; v < PEN_N_COUNT; v++) {
		const char *name = pen_count_name(p, v);
		if (!name)
			continue;
		fprintf(f, "%s", n++ ? "," : "");
		client_json_fstr(f, name);
		fprintf(f, ":%llu", (unsigned long long)r->verbs[v]);
	}
	putc('}', f);
	_calendar(f, r);
	_items(f, "top_interests", r->tags, r->n_tags);
	_items(f, "top_categories", r->cats, r->n_cats);
	fprintf(f,
	    ",\"drift\":{\"drifting\":%llu,\"share\":%.6f,\"episodes\":%llu}",
	    (unsigned long long)r->drifting,
	    _ratio((double)r->drifting, (double)r->scanned),
	    (unsigned long long)r->drift_episodes);
	_cohorts_json(f, r);
	fprintf(f, ",\"ids_dropped\":%llu}\n",
	    (unsigned long long)r->ids_dropped);
}
