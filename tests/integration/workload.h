/*
 * workload: a deterministic event stream (event i is a pure function of i)
 * and its reference profiles, computed here from the rules in DESIGN.md
 * without the learner's code: W = sum_i signal_i * 0.1 * 0.95^((last -
 * t_i)/day). The catalog keeps every user within 8 tags, 4 categories and 3
 * location cells, below the top-K bounds, so the expected profile does not
 * depend on the order in which the engine sees a user's events.
 */
#ifndef PENCHANT_TESTS_WORKLOAD_H
#define PENCHANT_TESTS_WORKLOAD_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/event.h"
#include "engine/geo.h"
#include "penchant.h"

#define WL_PERSONAS 10
#define WL_ENTITIES (WL_PERSONAS * 5)
#define WL_TAGS 8 /* per persona: 5 own + 3 shared */
#define WL_CATS 4
#define WL_DAY 86400000.0
#define WL_BASE_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static const char *const wl_types[] = { "view", "click", "rsvp", "save",
	"share", "feedback" };
static const double wl_signal[] = { 0.1, 0.3, 1.0, 0.8, 0.7 };
static const char *const wl_devices[] = { "mobile", "desktop", "tablet",
	"iphone" };
static const unsigned wl_device_enum[] = { 1, 2, 3, 1 };
static const char *const wl_platforms[] = { "ios", "android", "web", "ios" };
static const unsigned wl_platform_enum[] = { 1, 2, 3, 1 };

static inline uint64_t wl_mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* Event i of the stream, as parameters. */
struct wl_ev {
	unsigned user, entity, type, cell;
	int feedback;
	int64_t t;
	int tz;
};

static inline void wl_event(uint64_t i, unsigned users, struct wl_ev *e)
{
	uint64_t h = wl_mix(i), g = wl_mix(h);
	e->user = (unsigned)(h % users);
	unsigned persona = e->user % WL_PERSONAS;
	e->entity = persona * 5 + (unsigned)((h >> 32) % 5);
	e->type = (unsigned)((g >> 8) % 6);
	e->feedback = (g >> 16) & 1 ? 1 : -1;
	e->cell = (unsigned)((g >> 20) % 3);
	e->t = WL_BASE_MS + (int64_t)((g >> 24) % (60ULL * 86400000ULL));
	e->tz = ((int)(e->user % 5) - 2) * 60;
}

static inline void wl_entity_tags(unsigned ent, char tags[3][24], char *cat,
    size_t catlen)
{
	unsigned p = ent / 5, k = ent % 5;
	snprintf(tags[0], 24, "tag-%u-%u", p, k);
	snprintf(tags[1], 24, "tag-%u-%u", p, (k + 1) % 5);
	snprintf(tags[2], 24, "shared-%u", ent % 3);
	snprintf(cat, catlen, "cat-%u", ent % WL_CATS);
}

/* The catalog as JSON lines (for `penchant catalog load`). */
static inline size_t wl_catalog_jsonl(char *buf, size_t len)
{
	size_t n = 0;
	for (unsigned e = 0; e < WL_ENTITIES; e++) {
		char tags[3][24], cat[24];
		wl_entity_tags(e, tags, cat, sizeof(cat));
		n += (size_t)snprintf(buf + n, len - n,
		    "{\"id\":\"ent-%u\",\"category\":\"%s\",\"tags\":[\"%s\",\"%s\",\"%s\"]}\n",
		    e, cat, tags[0], tags[1], tags[2]);
	}
	return n;
}

static inline void wl_location(unsigned user, unsigned cell, double *lat,
    double *lon)
{
	*lat = 40.0 + cell * 1.0 + (user % 50) * 0.02;
	*lon = 10.0 + (user % 7) * 0.05;
}

/* Fills a pen_event (strings in the caller's buffers). */
static inline void wl_pen_event(const struct wl_ev *e, struct pen_event *pe,
    char *user, char *ent)
{
	sprintf(user, "user-%u", e->user);
	sprintf(ent, "ent-%u", e->entity);
	memset(pe, 0, sizeof(*pe));
	pe->user_id = user;
	pe->entity_id = ent;
	pe->event_type = wl_types[e->type];
	pe->time_ms = e->t;
	pe->tz_offset_min = e->tz;
	pe->device = wl_devices[e->user % 4];
	pe->platform = wl_platforms[(e->user / 4) % 4];
	pe->feedback = e->type == 5 ? e->feedback : 0;
	pe->scroll_depth = -1;
	pe->has_location = 1;
	wl_location(e->user, e->cell, &pe->lat, &pe->lon);
}

/*
 * Weights are floats summed in arrival order: the reference, a double sum
 * in log order, matches to float precision. Each float addition may err
 * by 2^-24 of the running magnitude, at most the mass (sum of |c|), so n
 * additions stay within n * 6e-8 * mass; 1e-7 per event leaves margin.
 * Relative to the weight itself it can look large when positive and
 * negative contributions cancel. Every later event of the user also
 * decays the stored weight once (one more rounding), so n is the user's
 * event count plus two.
 */
#define WL_TOL(mass, n) (1e-7 * (double)(n) * (mass) + 1e-12)

/* Reference profile of one user. */
struct wl_ref {
	uint32_t counts[8];
	uint32_t events;
	int64_t first, last;
	double tag_w[WL_TAGS], cat_w[WL_CATS];
	double tag_m[WL_TAGS], cat_m[WL_CATS]; /* sums of |contribution| */
	uint32_t tag_n[WL_TAGS], cat_n[WL_CATS];
	uint16_t hours[7][4];
	uint32_t cells[3];
};

/* Index of a tag within the user's persona (0..7). */
static inline unsigned wl_tag_slot(unsigned ent, unsigned which)
{
	unsigned k = ent % 5;
	return which == 0 ? k : which == 1 ? (k + 1) % 5 : 5 + ent % 3;
}

static inline double wl_signal_of(const struct wl_ev *e)
{
	return e->type == 5 ? (e->feedback > 0 ? 0.9 : -0.5)
			    : wl_signal[e->type];
}

static inline unsigned wl_count_slot(const struct wl_ev *e)
{
	return e->type == 5 ? (e->feedback > 0 ? 5 : 6) : e->type;
}

/* Computes references for events [0, n). */
static inline struct wl_ref *wl_reference(uint64_t n, unsigned users)
{
	struct wl_ref *ref = calloc(users, sizeof(*ref));
	if (!ref)
		return NULL;
	struct wl_ev e;
	for (uint64_t i = 0; i < n; i++) {
		wl_event(i, users, &e);
		struct wl_ref *r = &ref[e.user];
		if (!r->events || e.t < r->first)
			r->first = e.t;
		if (!r->events || e.t > r->last)
			r->last = e.t;
		r->events++;
	}
	for (uint64_t i = 0; i < n; i++) {
		wl_event(i, users, &e);
		struct wl_ref *r = &ref[e.user];
		double c = wl_signal_of(&e) * 0.1 *
		    pow(0.95, (double)(r->last - e.t) / WL_DAY);
		for (unsigned k = 0; k < 3; k++) {
			r->tag_w[wl_tag_slot(e.entity, k)] += c;
			r->tag_m[wl_tag_slot(e.entity, k)] += fabs(c);
			r->tag_n[wl_tag_slot(e.entity, k)]++;
		}
		r->cat_w[e.entity % WL_CATS] += c;
		r->cat_m[e.entity % WL_CATS] += fabs(c);
		r->cat_n[e.entity % WL_CATS]++;
		r->counts[wl_count_slot(&e)]++;
		/* Local weekday (Monday 0; 1970-01-01 was a Thursday) and
		 * quarter of the day. */
		int64_t local = e.t + (int64_t)e.tz * 60000;
		int64_t days = local / 86400000LL;
		unsigned wd = (unsigned)((days + 3) % 7);
		unsigned hour = (unsigned)((local % 86400000LL) / 3600000LL);
		r->hours[wd][hour / 6]++;
		r->cells[e.cell]++;
	}
	return ref;
}

/* Tag id of a persona slot, for matching profile entries. */
static inline uint32_t wl_tag_id(unsigned persona, unsigned slot)
{
	char name[24];
	if (slot < 5)
		snprintf(name, sizeof(name), "tag-%u-%u", persona, slot);
	else
		snprintf(name, sizeof(name), "shared-%u", slot - 5);
	return evt_tag_id(name, strlen(name));
}

static inline uint32_t wl_cat_id(unsigned slot)
{
	char name[24];
	snprintf(name, sizeof(name), "cat-%u", slot);
	return evt_tag_id(name, strlen(name));
}

/*
 * Compares one user's profile with its reference; prints the first
 * difference. Returns 0 when equal.
 */
static inline int wl_compare(unsigned user, const struct wl_ref *r,
    const struct pen_profile *p)
{
	unsigned persona = user % WL_PERSONAS;
#define WL_FAIL(...)                                                           \
	do {                                                                   \
		fprintf(stderr, "user-%u: ", user);                            \
		fprintf(stderr, __VA_ARGS__);                                  \
		fputc('\n', stderr);                                           \
		return 1;                                                      \
	} while (0)
	if (p->events != r->events)
		WL_FAIL("events %u, expected %u", p->events, r->events);
	if (p->first_ms != r->first || p->last_ms != r->last)
		WL_FAIL("first/last %lld/%lld, expected %lld/%lld",
		    (long long)p->first_ms, (long long)p->last_ms,
		    (long long)r->first, (long long)r->last);
	for (unsigned k = 0; k < 8; k++)
		if (p->counts[k] != r->counts[k])
			WL_FAIL("count[%u] %u, expected %u", k, p->counts[k],
			    r->counts[k]);
	unsigned want_tags = 0;
	for (unsigned s = 0; s < WL_TAGS; s++) {
		if (!r->tag_n[s])
			continue;
		want_tags++;
		uint32_t id = wl_tag_id(persona, s);
		unsigned j = 0;
		while (j < p->n_tags && p->tags[j].id != id)
			j++;
		if (j == p->n_tags)
			WL_FAIL("tag slot %u missing", s);
		if (p->tags[j].evidence != r->tag_n[s] ||
		    fabs(p->tags[j].weight - r->tag_w[s]) >
			WL_TOL(r->tag_m[s], r->events + 2))
			WL_FAIL(
			    "tag slot %u: weight %.15g evidence %u, expected %.15g / %u",
			    s, p->tags[j].weight, p->tags[j].evidence,
			    r->tag_w[s], r->tag_n[s]);
	}
	if (p->n_tags != want_tags)
		WL_FAIL("%u tags, expected %u", p->n_tags, want_tags);
	for (unsigned s = 0; s < WL_CATS; s++) {
		if (!r->cat_n[s])
			continue;
		uint32_t id = wl_cat_id(s);
		unsigned j = 0;
		while (j < p->n_cats && p->cats[j].id != id)
			j++;
		if (j == p->n_cats || p->cats[j].evidence != r->cat_n[s] ||
		    fabs(p->cats[j].weight - r->cat_w[s]) >
			WL_TOL(r->cat_m[s], r->events + 2))
			WL_FAIL("category slot %u differs", s);
	}
	if (memcmp(p->hours, r->hours, sizeof(r->hours)))
		WL_FAIL("weekday x daypart histogram differs");
	if (p->devices[wl_device_enum[user % 4]] != r->events ||
	    p->platforms[wl_platform_enum[(user / 4) % 4]] != r->events)
		WL_FAIL("device/platform counts differ");
	unsigned cells = 0, total = 0;
	for (unsigned k = 0; k < 3; k++)
		cells += r->cells[k] != 0;
	for (unsigned k = 0; k < p->n_geo; k++)
		total += p->geo[k].n;
	if (p->n_geo != cells || total != r->events)
		WL_FAIL("location cells %u (%u events), expected %u (%u)",
		    p->n_geo, total, cells, r->events);
#undef WL_FAIL
	return 0;
}

#endif
