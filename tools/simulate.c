/*
 * simulate: `penchant simulate`: synthetic users whose clicks follow a
 * known model with planted context effects, served online by the engine,
 * to show what contextual ranking earns in click-through.
 *
 * The model (docs/EVAL.md has the numbers): each user has two favourite
 * categories, a daypart they mostly come at and prefer, a home; each
 * request happens at a time, in the city's weather of that day, at a place
 * near home (mostly), alone or with company. A candidate's attractiveness
 * is the product of the user's taste for its category and four context
 * effects: an event happening in the current daypart (more so in the
 * user's daypart), outdoor events in rain or snow (much less), events
 * that are not group friendly when the user is with company (less), and
 * distance (nearby much more). The user examines position p with
 * probability 1/log2(p + 1) and clicks an examined item with its
 * attractiveness.
 *
 * The loop, per strategy, on a fresh private region (replaycore: the
 * settings as penchantd reads them, the catalog in the region, the shard
 * worker's shard_poll applying events): for each request the engine ranks
 * 50 random candidates with rank_run and the strategy, the top k are shown
 * (impression events with their position and the request id), the user
 * clicks by the model (click events), and all of it goes through evt_build
 * and libpenchant into the learner before the next request; item
 * neighbours are counted as the segmenter would (evalcore's ec_nbr,
 * every neighbor_interval_s of simulated time) and rank too. Every
 * strategy sees the same users, requests, candidates and click draws
 * (a uniform per request and item): only the ranking differs.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/geo.h"
#include "engine/rank.h"
#include "ipc/client.h"
#include "engine/stats.h"
#include "shm/catalog.h"
#include "shm/profiles.h"
#include "shm/shard.h"
#include "tools/cli.h"
#include "tools/evalcore.h"
#include "tools/replaycore.h"

#define _NAME "penchant simulate"
#define _MAX_STRATEGIES 8
#define _CATS 10
#define _SUBTAGS 3
#define _DAYS 60
#define _T0 1767225600000LL /* 2026-01-01T00:00Z */
#define _HOUR 3600000LL
/* the city: a box of about 22 x 22 km */
#define _LAT0 52.42
#define _LAT1 52.62
#define _LON0 13.24
#define _LON1 13.56

static const char _help[] =
    "usage: penchant simulate [options] [settings]\n"
    "\n"
    "Synthetic users with planted context-dependent preferences (favourite\n"
    "categories, a preferred daypart, outdoor events liked much less in rain,\n"
    "group-friendly events with company, nearby events) are served online:\n"
    "each request the engine ranks random candidates with a strategy, the top\n"
    "k are shown, the users click by the model, and impressions and clicks go\n"
    "back into the learner. Each strategy runs on its own region over the same\n"
    "users, requests, candidates and click draws. Prints the click-through\n"
    "rate of each strategy and its ratio to profile (no context) with a\n"
    "two-proportion z test. docs/EVAL.md describes the model.\n"
    "\n"
    "Options:\n"
    "  --users N              users (400)\n"
    "  --items N              catalog items (300)\n"
    "  --rounds N             requests, spread over 60 days (30000)\n"
    "  --candidates N         candidates per request (50)\n"
    "  --k K                  results shown per request (10)\n"
    "  --seed S               the population, requests and clicks (1)\n"
    "  --repeat-click F       a user clicks an item clicked before with its\n"
    "                         attractiveness times F, 0..1 (1: as readily as\n"
    "                         the first time; 0: never again)\n"
    "  --strategies LIST      base,profile,context,full (the default); also\n"
    "                         explore, diverse. profile is always run: the\n"
    "                         others are compared with it\n"
    "  --json                 the report as one JSON object\n"
    "  --quiet                no progress on stderr (shown only on a terminal)\n"
    "Settings (the daemon's; docs/SETTINGS.md): --config FILE, --NAME=VALUE.\n"
    "\n"
    "Deterministic for a seed and settings. Exit 0, 2 bad usage.\n";

static const char *const _cat_names[_CATS] = { "music", "sports", "art", "food",
	"theatre", "film", "nightlife", "wellness", "tech", "family" };
static const char *const _sub_names[_CATS][_SUBTAGS] = {
	{ "jazz", "rock", "classical" },
	{ "football", "tennis", "running" },
	{ "painting", "sculpture", "photography" },
	{ "street-food", "wine", "cooking" },
	{ "drama", "comedy", "musical" },
	{ "cinema", "documentary", "animation" },
	{ "club", "bar", "karaoke" },
	{ "yoga", "spa", "meditation" },
	{ "meetup", "hackathon", "talk" },
	{ "kids", "zoo", "fair" },
};

enum { _W_SUNNY, _W_CLOUDY, _W_RAINY, _W_SNOWY, _W_COLD, _W_COUNT };
static const char *const _wx_names[_W_COUNT] = { "sunny", "cloudy", "rainy",
	"snowy", "cold" };
static const double _wx_p[_W_COUNT] = { 0.35, 0.30, 0.25, 0.05, 0.05 };
enum { _S_ALONE, _S_FRIENDS, _S_FAMILY, _S_PARTNER, _S_COUNT };
static const char *const _soc_names[_S_COUNT] = { "alone", "friends", "family",
	"partner" };

/* --- the model -------------------------------------------------------- */

struct _item {
	struct cat_item c;
	char id[16];
	uint64_t key;
	unsigned cat, dp;
	bool outdoor, group;
	double lat, lon;
};

struct _user {
	char id[16];
	uint64_t key;	     /* under the region's secret (_serve) */
	unsigned fav[2], dp; /* favourite categories, preferred daypart */
	double company;	     /* chance of a request with company */
	double lat, lon;     /* home */
};

struct _request {
	unsigned user, dp, weather, social;
	int64_t time_ms;
	double lat, lon;
	unsigned n;
	uint32_t *cand; /* item indices */
};

/* The planted effects (the ground truth), multiplied. */
#define _BASE_RATE 0.30
#define _FAV1 1.0
#define _FAV2 0.7
#define _OTHER 0.1

static double _km(double la1, double lo1, double la2, double lo2)
{
	const double rad = M_PI / 180;
	double dla = (la2 - la1) * rad, dlo = (lo2 - lo1) * rad;
	double a = sin(dla / 2) * sin(dla / 2) +
	    cos(la1 * rad) * cos(la2 * rad) * sin(dlo / 2) * sin(dlo / 2);
	return 2 * 6371.0 * asin(sqrt(a < 1 ? a : 1));
}

static double _attract(const struct _user *u, const struct _item *it,
    const struct _request *q)
{
	double a = _BASE_RATE;
	a *= it->cat == u->fav[0]  ? _FAV1
	    : it->cat == u->fav[1] ? _FAV2
				   : _OTHER;
	/* time: happening now, and in the user's daypart */
	a *= it->dp == q->dp ? 1.6 : 0.7;
	a *= it->dp == u->dp ? 1.25 : 0.85;
	/* weather */
	bool bad = q->weather == _W_RAINY || q->weather == _W_SNOWY ||
	    q->weather == _W_COLD;
	if (it->outdoor)
		a *= bad ? 0.25 : q->weather == _W_SUNNY ? 1.3 : 1.0;
	else if (bad)
		a *= 1.15;
	/* company */
	if (q->social != _S_ALONE)
		a *= it->group ? 1.6 : 0.5;
	/* distance */
	a *= 0.3 + 1.7 * exp(-_km(q->lat, q->lon, it->lat, it->lon) / 2.5);
	return a < 0.95 ? a : 0.95;
}

static unsigned _daypart(int64_t t)
{
	return (unsigned)((t / _HOUR) % 24) / 6;
}

static double _in(struct rng *g, double lo, double hi)
{
	return lo + (hi - lo) * rng_uniform(g);
}

/* --- options and state ------------------------------------------------ */

struct _opts {
	struct rc_opts core;
	unsigned users, items, rounds, candidates, k;
	uint64_t seed;
	double repeat_click; /* attractiveness factor of an item clicked */
	bool json;
	int strat[_MAX_STRATEGIES]; /* RANK_PROFILE among them */
	unsigned nstrat;
};

struct _result {
	uint64_t requests, impressions, clicks, late_impressions, late_clicks;
};

struct _sim {
	const struct _opts *o;
	struct _item *items;
	struct _user *users;
	uint8_t *weather; /* per day */
	uint32_t *mark, stamp;
	uint8_t *clicked; /* users x items bits: clicked before (this run) */
	struct rc_run run;
	struct rank_cand *rc;
	struct rank_result *res;
	struct ec_nbr nb; /* item neighbours, as the segmenter counts them */
	void *scratch;
	size_t scratch_size;
	struct _request q;
	struct _result r[_MAX_STRATEGIES];
	bool bar;
	int64_t bar_ms;
};

/* The population: items, users and the weather of each day. */
static int _population(struct _sim *x, unsigned geo_precision)
{
	const struct _opts *o = x->o;
	struct rng g;
	x->items = calloc(o->items, sizeof(*x->items));
	x->users = calloc(o->users, sizeof(*x->users));
	x->weather = calloc(_DAYS + 1, 1);
	x->mark = calloc(o->items, sizeof(*x->mark));
	/* one bit a (user, item): only when repeats click less (the
	 * parser bounds users x items then) */
	x->clicked =
	    calloc(o->repeat_click < 1.0 ? ((size_t)o->users * o->items + 7) / 8
					 : 1,
		1);
	if (!x->items || !x->users || !x->weather || !x->mark || !x->clicked)
		return -ENOMEM;
	rng_seed(&g, ec_seed(o->seed, 1, 0));
	for (unsigned i = 0; i < o->items; i++) {
		struct _item *it = &x->items[i];
		snprintf(it->id, sizeof(it->id), "i%u", i);
		it->key = evt_entity_key(it->id, strlen(it->id));
		it->cat = (unsigned)rng_below(&g, _CATS);
		it->dp =
		    rng_uniform(&g) < 0.1 ? 0 : 1 + (unsigned)rng_below(&g, 3);
		it->outdoor = rng_uniform(&g) < 0.4;
		it->group = rng_uniform(&g) < 0.5;
		it->lat = _in(&g, _LAT0, _LAT1);
		it->lon = _in(&g, _LON0, _LON1);
		struct cat_item *c = &it->c;
		const char *cn = _cat_names[it->cat];
		c->item.category = evt_tag_id(cn, strlen(cn));
		unsigned nt = 1 + (unsigned)rng_below(&g, 2),
			 t0 = (unsigned)rng_below(&g, _SUBTAGS);
		for (unsigned t = 0; t < nt; t++) {
			const char *tn =
			    _sub_names[it->cat][(t0 + t) % _SUBTAGS];
			c->item.tags[c->item.n_tags++] =
			    evt_tag_id(tn, strlen(tn));
		}
		/* a start in its daypart on a day of the simulation */
		c->start_ms = _T0 + (int64_t)rng_below(&g, _DAYS) * 24 * _HOUR +
		    (int64_t)(6 * it->dp + rng_below(&g, 6)) * _HOUR;
		c->added_ms = _T0 - 30 * 24 * _HOUR;
		c->setting = it->outdoor ? ITEM_OUTDOOR : ITEM_INDOOR;
		c->group_friendly = it->group ? ITEM_YES : ITEM_NO;
		c->price_level = 255;
		if (geo_encode(it->lat, it->lon, geo_precision, &c->geo_cell))
			return -EINVAL;
	}
	rng_seed(&g, ec_seed(o->seed, 2, 0));
	for (unsigned u = 0; u < o->users; u++) {
		struct _user *us = &x->users[u];
		snprintf(us->id, sizeof(us->id), "u%u", u);
		us->fav[0] = (unsigned)rng_below(&g, _CATS);
		us->fav[1] =
		    (us->fav[0] + 1 + (unsigned)rng_below(&g, _CATS - 1)) %
		    _CATS;
		us->dp =
		    rng_uniform(&g) < 0.1 ? 0 : 1 + (unsigned)rng_below(&g, 3);
		us->company = _in(&g, 0.2, 0.8);
		us->lat = _in(&g, _LAT0, _LAT1);
		us->lon = _in(&g, _LON0, _LON1);
	}
	rng_seed(&g, ec_seed(o->seed, 3, 0));
	for (unsigned d = 0; d <= _DAYS; d++) {
		double u = rng_uniform(&g), acc = 0;
		unsigned w = 0;
		while (w + 1 < _W_COUNT && u >= (acc += _wx_p[w]))
			w++;
		x->weather[d] = (uint8_t)w;
	}
	return 0;
}

/*
 * Request r, the same for every strategy: the clock moves evenly over the
 * days; a user comes with a weight of 0.6 in their own daypart and 0.4 / 3
 * in each other one; near home (8 in 10, within ~1.5 km) or anywhere.
 */
static void _request(struct _sim *x, unsigned r)
{
	const struct _opts *o = x->o;
	struct _request *q = &x->q;
	struct rng g;
	rng_seed(&g, ec_seed(o->seed, 4, r));
	q->time_ms =
	    _T0 + (int64_t)(((double)r + 0.5) * _DAYS * 24 * _HOUR / o->rounds);
	q->dp = _daypart(q->time_ms);
	for (;;) {
		q->user = (unsigned)rng_below(&g, o->users);
		double w = x->users[q->user].dp == q->dp ? 0.6 : 0.4 / 3;
		if (rng_uniform(&g) * 0.6 < w)
			break;
	}
	const struct _user *u = &x->users[q->user];
	q->weather = x->weather[(q->time_ms - _T0) / (24 * _HOUR)];
	q->social = rng_uniform(&g) < u->company
	    ? 1 + (unsigned)rng_below(&g, _S_COUNT - 1)
	    : _S_ALONE;
	if (rng_uniform(&g) < 0.8) {
		/* ~1.5 km around home (1 degree of latitude is 111 km) */
		q->lat = u->lat + rng_normal(&g) * 1.5 / 111.0;
		q->lon = u->lon + rng_normal(&g) * 1.5 / 68.0;
	} else {
		q->lat = _in(&g, _LAT0, _LAT1);
		q->lon = _in(&g, _LON0, _LON1);
	}
	if (++x->stamp == 0) {
		memset(x->mark, 0, o->items * sizeof(*x->mark));
		x->stamp = 1;
	}
	q->n = o->candidates < o->items ? o->candidates : o->items;
	for (unsigned j = 0; j < q->n;) {
		uint32_t i = (uint32_t)rng_below(&g, o->items);
		if (x->mark[i] == x->stamp)
			continue;
		x->mark[i] = x->stamp;
		q->cand[j++] = i;
	}
}

/* The click draw of (request, item): the same for every strategy. */
static double _draw(const struct _sim *x, unsigned r, uint32_t item)
{
	struct rng g;
	rng_seed(&g, ec_seed(x->o->seed, 5 + ((uint64_t)r << 8), item));
	return rng_uniform(&g);
}

/* --- the loop --------------------------------------------------------- */

static int _name(const struct reg *r, enum name_kind kind, const char *s)
{
	int rc = cat_name_put(r, kind, evt_tag_id(s, strlen(s)), s, strlen(s));
	return rc == -EEXIST ? 0 : rc;
}

static int _catalog(struct _sim *x)
{
	const struct reg *r = &x->run.r;
	char err[256];
	if (cat_lock(r, err, sizeof(err))) {
		fprintf(stderr, _NAME ": %s\n", err);
		return -EBUSY;
	}
	int rc = 0;
	for (unsigned c = 0; c < _CATS && !rc; c++) {
		rc = _name(r, NAME_CATEGORY, _cat_names[c]);
		for (unsigned t = 0; t < _SUBTAGS && !rc; t++)
			rc = _name(r, NAME_TAG, _sub_names[c][t]);
	}
	for (unsigned i = 0; i < x->o->items && !rc; i++)
		rc = cat_put(r, x->items[i].key, &x->items[i].c);
	cat_unlock(r);
	return rc;
}

/* One event through evt_build, as any producer sends it. */
static int _event(struct _sim *x, struct evt_record *out, const char *type,
    const struct _item *it, int64_t t, unsigned pos, uint64_t request)
{
	const struct _request *q = &x->q;
	const struct _user *u = &x->users[q->user];
	char req[20];
	snprintf(req, sizeof(req), "%llx", (unsigned long long)request);
	struct evt_input in;
	memset(&in, 0, sizeof(in));
	in.user_id = (struct evt_str){ u->id, strlen(u->id) };
	in.event_type = (struct evt_str){ type, strlen(type) };
	in.entity_id = (struct evt_str){ it->id, strlen(it->id) };
	in.has_time_ms = in.has_tz = in.has_lat = in.has_lon = true;
	in.time_ms = t;
	in.lat = q->lat;
	in.lon = q->lon;
	const char *wx = _wx_names[q->weather], *so = _soc_names[q->social];
	in.weather = (struct evt_str){ wx, strlen(wx) };
	in.social = (struct evt_str){ so, strlen(so) };
	in.device = (struct evt_str){ "mobile", 6 };
	in.platform = (struct evt_str){ "ios", 3 };
	in.has_position = true;
	in.position = pos;
	in.request_id = (struct evt_str){ req, strlen(req) };
	const char *field = NULL;
	enum evt_reason why =
	    evt_build(&in, &x->run.r.hdr->limits, out, &field);
	if (why != EVT_OK) {
		fprintf(stderr, _NAME ": event rejected: %s (%s)\n",
		    evt_reason_name(why), field ? field : "?");
		return -EINVAL;
	}
	return 0;
}

static void _bar(struct _sim *x, unsigned s, unsigned r, bool last)
{
	if (!x->bar)
		return;
	int64_t now = reg_now_mono_ms();
	if (!last && now - x->bar_ms < 100)
		return;
	x->bar_ms = now;
	unsigned pct = (unsigned)(100ULL * r / x->o->rounds);
	char b[31];
	memset(b, ' ', 30);
	memset(b, '#', pct * 30 / 100);
	b[30] = 0;
	fprintf(stderr, "\r" _NAME ": %-8s %u/%u [%s] %3u%%",
	    rank_strategy_name((unsigned)x->o->strat[s]), s + 1, x->o->nstrat,
	    b, pct);
	if (last)
		fprintf(stderr, "\r\033[K");
	fflush(stderr);
}

/* Serves every request with strategy s on a fresh region. */
static int _serve(struct _sim *x, unsigned s, const struct cfg *c)
{
	const struct _opts *o = x->o;
	struct rc_run *run = &x->run;
	struct _result *res = &x->r[s];
	int rc = rc_open_region(run, "sim", c);
	if (rc || (rc = _catalog(x)))
		return CLI_USAGE;
	const struct reg *r = &run->r;
	/* user keys are pseudonyms under the region's secret, as evt_build
	 * makes them for the events */
	for (unsigned u = 0; u < o->users; u++)
		x->users[u].key = evt_user_key(&r->hdr->limits, x->users[u].id,
		    strlen(x->users[u].id));
	run->r.hdr->state = REG_RUNNING;
	shard_recover(&run->r, 0);
	/* every strategy starts with users who have clicked nothing */
	if (o->repeat_click < 1.0)
		memset(x->clicked, 0, ((size_t)o->users * o->items + 7) / 8);
	if (ec_nbr_open(&x->nb, r, c)) {
		rc_close_region(run);
		return CLI_USAGE;
	}
	unsigned strategy = (unsigned)o->strat[s];
	struct evt_record ev[2 * 64];
	for (unsigned n = 0; n < o->rounds && !rc; n++) {
		_request(x, n);
		const struct _request *q = &x->q;
		const struct _user *u = &x->users[q->user];
		struct lrn_profile lp;
		const struct lrn_profile *p =
		    prof_read(r, u->key, &lp) == 0 && lp.events ? &lp : NULL;
		ec_nbr_at(&x->nb, r, q->time_ms);
		ec_nbr_user(&x->nb, r, p);
		struct rank_ctx ctx = { .time_ms = q->time_ms,
			.has_location = true,
			.lat = q->lat,
			.lon = q->lon,
			.weather = (uint8_t)evt_context_parse(EVT_CTX_WEATHER,
			    _wx_names[q->weather],
			    strlen(_wx_names[q->weather])),
			.social = (uint8_t)evt_context_parse(EVT_CTX_SOCIAL,
			    _soc_names[q->social],
			    strlen(_soc_names[q->social])),
			.device = EVT_DEV_MOBILE,
			.platform = EVT_PLAT_IOS };
		for (unsigned j = 0; j < q->n; j++) {
			const struct _item *it = &x->items[q->cand[j]];
			x->rc[j] = (struct rank_cand){ .key = it->key,
				.base = 1.0,
				.item = &it->c,
				.collab = ec_nbr_cf(&x->nb, it->key) };
			client_cat_rates(r, it->c.item.category, q->time_ms,
			    &x->rc[j].global_ctr, &x->rc[j].trend);
		}
		struct rank_opts ro = { .strategy = strategy,
			.k = o->k,
			.seed = ec_seed(o->seed, n, strategy),
			.epsilon = -1,
			.explore_weight = -1,
			.mmr_lambda = -1,
			.serendipity_every = -1 };
		int k = rank_run(p, &r->hdr->params, &r->hdr->rank, &ctx, x->rc,
		    q->n, &ro, x->scratch, x->scratch_size, x->res);
		if (k < 0) {
			fprintf(stderr, _NAME ": rank_run (%s): %s\n",
			    rank_strategy_name(strategy), strerror(-k));
			rc = k;
			break;
		}
		unsigned shown = o->k < q->n ? o->k : q->n, ne = 0;
		uint64_t request =
		    evt_request_make(q->time_ms, strategy, n & 0x3ffff);
		bool late = 2 * n >= o->rounds;
		for (unsigned pos = 1; pos <= shown && !rc; pos++) {
			uint32_t i = q->cand[x->res[pos - 1].index];
			const struct _item *it = &x->items[i];
			rc = _event(x, &ev[ne++], "impression", it, q->time_ms,
			    pos, request);
			bool track = x->o->repeat_click < 1.0;
			size_t bit =
			    track ? (size_t)q->user * x->o->items + i : 0;
			bool again =
			    track && (x->clicked[bit / 8] >> (bit % 8) & 1);
			double pc = _attract(u, it, q) / log2(pos + 1.0) *
			    (again ? x->o->repeat_click : 1.0);
			res->impressions++;
			res->late_impressions += late;
			if (!rc && _draw(x, n, i) < pc) {
				res->clicks++;
				res->late_clicks += late;
				if (track)
					x->clicked[bit / 8] |=
					    (uint8_t)(1u << (bit % 8));
				rc = _event(x, &ev[ne++], "click", it,
				    q->time_ms + 20000, pos, request);
			}
		}
		res->requests++;
		if (!rc && (rc = rc_publish(run, ev, ne)))
			fprintf(stderr, _NAME ": publish: %s\n",
			    pen_strerror(rc));
		rc_drain(run);
		if ((n & 255) == 0)
			_bar(x, s, n, false);
	}
	_bar(x, s, o->rounds, true);
	ec_nbr_close(&x->nb);
	rc_close_region(run);
	return rc ? CLI_USAGE : CLI_OK;
}

/* --- report ----------------------------------------------------------- */

static double _rate(uint64_t c, uint64_t n)
{
	return n ? (double)c / (double)n : 0;
}

/* Wald 95 % interval of a rate. */
static void _ci(uint64_t c, uint64_t n, double *lo, double *hi)
{
	double p = _rate(c, n), h = n ? 1.959964 * sqrt(p * (1 - p) / n) : 0;
	*lo = p - h;
	*hi = p + h;
}

static void _report(const struct _sim *x)
{
	const struct _opts *o = x->o;
	unsigned ri = 0;
	while (o->strat[ri] != RANK_PROFILE)
		ri++;
	const struct _result *ref = &x->r[ri];
	if (o->json) {
		printf(
		    "{\"users\":%u,\"items\":%u,\"rounds\":%u,\"candidates\":%u,\"k\":%u,\"seed\":%llu,\"strategies\":[",
		    o->users, o->items, o->rounds, o->candidates, o->k,
		    (unsigned long long)o->seed);
	} else {
		printf(
		    "%u users, %u items, %u requests over %d days (%u candidates, top %u shown), seed %llu\n\n",
		    o->users, o->items, o->rounds, _DAYS, o->candidates, o->k,
		    (unsigned long long)o->seed);
		printf("%-9s %11s %8s %8s %18s %12s\n", "strategy",
		    "impressions", "clicks", "CTR", "95% CI", "CTR 2nd half");
	}
	for (unsigned s = 0; s < o->nstrat; s++) {
		const struct _result *r = &x->r[s];
		double lo, hi;
		_ci(r->clicks, r->impressions, &lo, &hi);
		const char *name = rank_strategy_name((unsigned)o->strat[s]);
		if (o->json)
			printf(
			    "%s{\"name\":\"%s\",\"requests\":%llu,\"impressions\":%llu,\"clicks\":%llu,\"ctr\":%.6f,\"lo\":%.6f,\"hi\":%.6f,\"ctr_second_half\":%.6f",
			    s ? "," : "", name, (unsigned long long)r->requests,
			    (unsigned long long)r->impressions,
			    (unsigned long long)r->clicks,
			    _rate(r->clicks, r->impressions), lo, hi,
			    _rate(r->late_clicks, r->late_impressions));
		else
			printf(
			    "%-9s %11llu %8llu %8.4f   [%.4f, %.4f] %12.4f\n",
			    name, (unsigned long long)r->impressions,
			    (unsigned long long)r->clicks,
			    _rate(r->clicks, r->impressions), lo, hi,
			    _rate(r->late_clicks, r->late_impressions));
		if (o->json && s != ri) {
			struct stat_prop sp;
			if (stat_prop_ztest(ref->clicks, ref->impressions,
				r->clicks, r->impressions, 0.05, &sp) == 0)
				printf(
				    ",\"vs_profile\":{\"ratio\":%.6f,\"diff\":%.6f,\"lo\":%.6f,\"hi\":%.6f,\"z\":%.4f,\"p\":%.3g}",
				    sp.p_c > 0 ? sp.p_t / sp.p_c : 0, sp.diff,
				    sp.lo, sp.hi, sp.z, sp.p);
		}
		if (o->json)
			printf("}");
	}
	if (o->json) {
		printf("]}\n");
		return;
	}
	printf(
	    "\nagainst profile (no context): CTR ratio, difference with its 95%% interval, two-proportion z test\n");
	for (unsigned s = 0; s < o->nstrat; s++) {
		const struct _result *r = &x->r[s];
		struct stat_prop sp;
		if (s == ri)
			continue;
		if (stat_prop_ztest(ref->clicks, ref->impressions, r->clicks,
			r->impressions, 0.05, &sp))
			continue;
		printf("%-9s x%.3f  %+.4f [%+.4f, %+.4f]  z %+.2f  p %.3g\n",
		    rank_strategy_name((unsigned)o->strat[s]),
		    sp.p_c > 0 ? sp.p_t / sp.p_c : 0.0, sp.diff, sp.lo, sp.hi,
		    sp.z, sp.p);
	}
}

/* --- command line ----------------------------------------------------- */

static int _strategies(struct _opts *o, const char *v)
{
	o->nstrat = 0;
	const char *p = v;
	/* The loop below never sees an empty last entry: '' or 'context,'
	 * would run profile alone (or drop what was meant after the comma)
	 * without a word. */
	if (!*p || p[strlen(p) - 1] == ',')
		return rc_usage_err(&o->core,
		    "--strategies: '%s' has an empty entry (a list of base, profile, context, explore, diverse, full)",
		    v);
	while (*p) {
		const char *q = strchr(p, ',');
		size_t len = q ? (size_t)(q - p) : strlen(p);
		int s = rank_strategy_parse(p, len);
		if (s < 0 || o->nstrat + 1 >= _MAX_STRATEGIES)
			return rc_usage_err(&o->core,
			    "--strategies: '%s' is not a list of base, profile, context, explore, diverse, full",
			    v);
		bool dup = false;
		for (unsigned i = 0; i < o->nstrat; i++)
			dup |= o->strat[i] == s;
		if (!dup)
			o->strat[o->nstrat++] = s;
		p += len + (q != NULL);
	}
	/* profile, the reference, runs whether listed or not */
	for (unsigned i = 0; i < o->nstrat; i++)
		if (o->strat[i] == RANK_PROFILE)
			return CLI_OK;
	memmove(o->strat + 1, o->strat, o->nstrat * sizeof(o->strat[0]));
	o->strat[0] = RANK_PROFILE;
	o->nstrat++;
	return CLI_OK;
}

static const struct {
	const char *name;
	unsigned long long lo, hi;
} _nums[] = {
	{ "--users", 1, 1000000 },
	{ "--items", 2, 1000000 },
	{ "--rounds", 1, 100000000 },
	{ "--candidates", 2, 10000 },
	{ "--k", 1, 64 },
	{ "--seed", 0, UINT64_MAX },
};

static int _parse(struct _opts *o, int argc, char **argv)
{
	unsigned *dst[] = { &o->users, &o->items, &o->rounds, &o->candidates,
		&o->k };
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		int m = 0, rc;
		size_t k = 0;
		for (; k < sizeof(_nums) / sizeof(_nums[0]); k++)
			if ((m = cli_value(argc, argv, &i, _nums[k].name, &v)))
				break;
		if (m < 0)
			return rc_usage_err(&o->core, "%s needs a value",
			    _nums[k].name);
		if (m) {
			unsigned long long u;
			char what[80];
			snprintf(what, sizeof(what),
			    "%s: '%%s' is not %llu..%llu", _nums[k].name,
			    _nums[k].lo, _nums[k].hi);
			if (cli_u64(v, _nums[k].lo, _nums[k].hi, &u))
				return rc_usage_err(&o->core, what, v);
			if (k < sizeof(dst) / sizeof(dst[0]))
				*dst[k] = (unsigned)u;
			else
				o->seed = u;
			continue;
		}
		if ((m = cli_value(argc, argv, &i, "--repeat-click", &v)) < 0)
			return rc_usage_err(&o->core, "%s needs a value",
			    "--repeat-click");
		if (m) {
			if (cli_f64(v, 0.0, 1.0, &o->repeat_click))
				return rc_usage_err(&o->core,
				    "--repeat-click: '%s' is not a number 0..1",
				    v);
			continue;
		}
		if ((m = cli_value(argc, argv, &i, "--strategies", &v)) < 0)
			return rc_usage_err(&o->core, "%s needs a value",
			    "--strategies");
		if (m) {
			if ((rc = _strategies(o, v)))
				return rc;
		} else if (!strcmp(argv[i], "--json")) {
			o->json = true;
		} else if (!strcmp(argv[i], "--quiet")) {
			o->core.quiet = true;
		} else if ((rc = rc_setting(&o->core, argc, argv, &i)) < 0 ||
		    rc > 1) {
			return rc;
		} else if (rc == 0) {
			return rc_usage_err(&o->core,
			    argv[i][0] == '-'
				? "unknown option '%s' (settings are long options too: docs/SETTINGS.md)"
				: "no arguments besides options ('%s')",
			    argv[i]);
		}
	}
	if (o->k > o->candidates)
		return rc_usage_err(&o->core,
		    "--k must be at most --candidates%s", "");
	/* a request draws its candidates from the items: the report would
	 * say more than were ranked */
	if (o->candidates > o->items)
		return rc_usage_err(&o->core,
		    "--candidates must be at most --items%s", "");
	/* a bit per (user, item): at most 512 MiB */
	if (o->repeat_click < 1.0 &&
	    (unsigned long long)o->users * o->items > (1ULL << 32))
		return rc_usage_err(&o->core,
		    "--repeat-click below 1 needs --users x --items <= 2^32%s",
		    "");
	return rc_apply_settings(&o->core);
}

/* --- main ------------------------------------------------------------- */

static void _free(struct _sim *x)
{
	rc_close(&x->run);
	free(x->items);
	free(x->users);
	free(x->weather);
	free(x->mark);
	free(x->clicked);
	free(x->q.cand);
	free(x->rc);
	free(x->res);
	free(x->scratch);
}

static int _run(struct _sim *x)
{
	const struct _opts *o = x->o;
	struct cfg c;
	rc_config(&o->core, o->users, &c);
	c.catalog_capacity = o->items + 16;
	unsigned n = o->candidates;
	x->q.cand = malloc(n * sizeof(*x->q.cand));
	x->rc = malloc(n * sizeof(*x->rc));
	x->res = malloc(n * sizeof(*x->res));
	x->scratch_size = rank_scratch_size(n);
	x->scratch = malloc(x->scratch_size ? x->scratch_size : 1);
	if (!x->q.cand || !x->rc || !x->res || !x->scratch ||
	    _population(x, c.geo_precision)) {
		fprintf(stderr, _NAME ": out of memory\n");
		return CLI_USAGE;
	}
	for (unsigned s = 0; s < o->nstrat; s++) {
		int rc = _serve(x, s, &c);
		if (rc)
			return rc;
	}
	_report(x);
	fflush(stdout);
	return CLI_OK;
}

int cli_simulate(const struct cli *c, int argc, char **argv)
{
	if (cli_help(argc, argv, _help))
		return CLI_OK;
	struct _opts o = { .json = c->json,
		.users = 400,
		.items = 300,
		.rounds = 30000,
		.candidates = 50,
		.k = 10,
		.seed = 1,
		.repeat_click = 1.0 };
	rc_opts_init(&o.core, _NAME, c->instance);
	int rc = _strategies(&o, "base,profile,context,full");
	if (!rc)
		rc = _parse(&o, argc, argv);
	if (rc) {
		rc_opts_free(&o.core);
		return rc;
	}
	struct _sim x = { .o = &o };
	x.run.o = &o.core;
	x.bar = !o.core.quiet && isatty(STDERR_FILENO);
	rc = _run(&x);
	_free(&x);
	rc_opts_free(&o.core);
	return rc;
}
