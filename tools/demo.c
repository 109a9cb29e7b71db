/*
 * demo: `penchant demo`: a built-in catalog of activities and a synthetic
 * feed of users whose tastes follow personas (some switch tastes in the
 * last week), published through libpenchant like any client would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/client.h"
#include "shm/catalog.h"
#include "tools/cli.h"

static const char _catalog[] =
    "{\"id\":\"jazz-night\",\"category\":\"music\",\"tags\":[\"jazz\",\"live-music\",\"nightlife\"],\"indoor\":true,\"group_friendly\":true,\"price_level\":2,\"lat\":52.52,\"lon\":13.40}\n"
    "{\"id\":\"techno-club\",\"category\":\"music\",\"tags\":[\"electronic\",\"nightlife\",\"dance\"],\"indoor\":true,\"price_level\":3,\"lat\":52.51,\"lon\":13.45}\n"
    "{\"id\":\"open-air-concert\",\"category\":\"music\",\"tags\":[\"live-music\",\"outdoors\",\"festival\"],\"outdoor\":true,\"group_friendly\":true,\"price_level\":2}\n"
    "{\"id\":\"choir-rehearsal\",\"category\":\"music\",\"tags\":[\"singing\",\"community\"],\"indoor\":true,\"price_level\":0}\n"
    "{\"id\":\"alpine-hike\",\"category\":\"outdoors\",\"tags\":[\"hiking\",\"mountains\",\"nature\"],\"outdoor\":true,\"group_friendly\":true,\"price_level\":0}\n"
    "{\"id\":\"kayak-tour\",\"category\":\"outdoors\",\"tags\":[\"water\",\"nature\",\"adventure\"],\"outdoor\":true,\"price_level\":2}\n"
    "{\"id\":\"trail-run\",\"category\":\"sports\",\"tags\":[\"running\",\"nature\",\"fitness\"],\"outdoor\":true,\"price_level\":0}\n"
    "{\"id\":\"climbing-gym\",\"category\":\"sports\",\"tags\":[\"climbing\",\"fitness\",\"adventure\"],\"indoor\":true,\"price_level\":2}\n"
    "{\"id\":\"yoga-park\",\"category\":\"wellness\",\"tags\":[\"yoga\",\"outdoors\",\"mindfulness\"],\"outdoor\":true,\"price_level\":1}\n"
    "{\"id\":\"meditation\",\"category\":\"wellness\",\"tags\":[\"mindfulness\",\"quiet\"],\"indoor\":true,\"price_level\":1}\n"
    "{\"id\":\"street-food\",\"category\":\"food\",\"tags\":[\"street-food\",\"outdoors\",\"market\"],\"outdoor\":true,\"group_friendly\":true,\"price_level\":1}\n"
    "{\"id\":\"wine-tasting\",\"category\":\"food\",\"tags\":[\"wine\",\"tasting\",\"nightlife\"],\"indoor\":true,\"price_level\":3}\n"
    "{\"id\":\"cooking-class\",\"category\":\"food\",\"tags\":[\"cooking\",\"workshop\",\"community\"],\"indoor\":true,\"group_friendly\":true,\"price_level\":2}\n"
    "{\"id\":\"modern-art\",\"category\":\"arts\",\"tags\":[\"museum\",\"art\",\"quiet\"],\"indoor\":true,\"price_level\":1}\n"
    "{\"id\":\"street-art-walk\",\"category\":\"arts\",\"tags\":[\"art\",\"walking\",\"outdoors\"],\"outdoor\":true,\"price_level\":0}\n"
    "{\"id\":\"improv-theater\",\"category\":\"arts\",\"tags\":[\"theater\",\"comedy\",\"nightlife\"],\"indoor\":true,\"group_friendly\":true,\"price_level\":2}\n"
    "{\"id\":\"hackathon\",\"category\":\"tech\",\"tags\":[\"coding\",\"workshop\",\"community\"],\"indoor\":true,\"group_friendly\":true,\"price_level\":0}\n"
    "{\"id\":\"robotics-talk\",\"category\":\"tech\",\"tags\":[\"robotics\",\"talk\",\"science\"],\"indoor\":true,\"price_level\":0}\n"
    "{\"id\":\"stargazing\",\"category\":\"science\",\"tags\":[\"astronomy\",\"nature\",\"quiet\"],\"outdoor\":true,\"price_level\":0}\n"
    "{\"id\":\"board-games\",\"category\":\"social\",\"tags\":[\"games\",\"community\",\"quiet\"],\"indoor\":true,\"group_friendly\":true,\"price_level\":0}\n";

/* Personas: the entities a user of that persona mostly acts on. */
static const char *const _personas[][4] = {
	{ "jazz-night", "open-air-concert", "wine-tasting", "improv-theater" },
	{ "alpine-hike", "kayak-tour", "trail-run", "stargazing" },
	{ "yoga-park", "meditation", "modern-art", "cooking-class" },
	{ "hackathon", "robotics-talk", "board-games", "climbing-gym" },
	{ "techno-club", "street-food", "street-art-walk", "wine-tasting" },
};
#define _NPERSONA 5
#define _NENTITY 20

static const char *const _types[] = { "view", "view", "view", "view", "view",
	"click", "click", "click", "save", "rsvp", "share", "feedback" };
static const char *const _devices[] = { "mobile", "mobile", "desktop",
	"tablet" };
static const char *const _platforms[] = { "ios", "android", "web", "web" };

static uint64_t _rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const char *_entity(unsigned k)
{
	static const char *const ids[_NENTITY] = { "jazz-night", "techno-club",
		"open-air-concert", "choir-rehearsal", "alpine-hike",
		"kayak-tour", "trail-run", "climbing-gym", "yoga-park",
		"meditation", "street-food", "wine-tasting", "cooking-class",
		"modern-art", "street-art-walk", "improv-theater", "hackathon",
		"robotics-talk", "stargazing", "board-games" };
	return ids[k % _NENTITY];
}

static int _load_catalog(pen_t *p)
{
	const struct reg *r = client_region(p);
	char err[256];
	unsigned loaded, failed;
	if (cat_lock(r, err, sizeof(err))) {
		fprintf(stderr, "penchant demo: %s\n", err);
		return CLI_UNREACHABLE;
	}
	FILE *f = fmemopen((void *)_catalog, sizeof(_catalog) - 1, "r");
	int rc = f
	    ? cli_catalog_load_stream(r, f, "demo-catalog", &loaded, &failed)
	    : -1;
	if (f)
		fclose(f);
	cat_unlock(r);
	if (!rc)
		cli_catalog_audit(r, "(demo catalog)", loaded, failed);
	if (rc || failed)
		return CLI_PARTIAL;
	printf("demo: loaded %u catalog entities\n", loaded);
	return CLI_OK;
}

/* One synthetic event of user u at event time t (ms). */
static void _event(uint64_t *seed, unsigned u, int64_t t, int64_t switch_at,
    struct pen_event *ev, char *user, size_t ulen)
{
	snprintf(user, ulen, "demo-user-%u", u);
	unsigned persona = u % _NPERSONA;
	/* Every third user switches tastes a week before the end. */
	if (u % 3 == 0 && t >= switch_at)
		persona = (persona + 2) % _NPERSONA;
	memset(ev, 0, sizeof(*ev));
	ev->user_id = user;
	ev->event_type = _types[_rng(seed) % 12];
	ev->entity_id = _rng(seed) % 10 < 8 ? _personas[persona][_rng(seed) % 4]
					    : _entity((unsigned)_rng(seed));
	ev->time_ms = t;
	ev->tz_offset_min = 60;
	ev->device = _devices[u % 4];
	ev->platform = _platforms[u % 4];
	ev->feedback = _rng(seed) % 4 ? 1 : -1;
	ev->scroll_depth = -1;
	ev->has_location = 1;
	ev->lat = 52.5 + (double)(u % 7) * 0.01;
	ev->lon = 13.4 + (double)(u % 5) * 0.01;
}

/* The demo's experiment: does personalization help? The caller's order
 * (control) against ranking by the learned profile. */
static const char _experiment[] =
    "{\"name\":\"demo-personalization\",\"salt\":\"demo-1\",\"variants\":["
    "{\"name\":\"unranked\",\"strategy\":\"base\",\"weight\":1},"
    "{\"name\":\"profile\",\"strategy\":\"profile\",\"weight\":1}]}\n";

/*
 * Served rankings with outcomes: `n` rank requests of random users over
 * the whole catalog (no strategy: the experiment chooses), each shown
 * result an impression, and a click on the first result that is one of
 * the user's persona's activities, with a chance that falls with its
 * position. Gives the experiment and the dashboard's serving panels data.
 */
static void _serve(pen_t *p, unsigned users, unsigned n, uint64_t *seed)
{
	struct pen_candidate cand[_NENTITY];
	struct pen_ranked out[_NENTITY];
	char user[32], rid[24];
	for (unsigned k = 0; k < _NENTITY; k++)
		cand[k] = (struct pen_candidate){ .entity_id = _entity(k),
			.score = 1.0 };
	struct pen_rank_options o = { .k = 5,
		.epsilon = -1,
		.explore_weight = -1,
		.mmr_lambda = -1,
		.serendipity_every = -1 };
	size_t clicks = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned u = (unsigned)(_rng(seed) % users);
		uint64_t id;
		snprintf(user, sizeof(user), "demo-user-%u", u);
		if (pen_rerank(p, user, strlen(user), NULL, cand, _NENTITY, &o,
			out, &id))
			continue;
		snprintf(rid, sizeof(rid), "%016llx", (unsigned long long)id);
		int64_t now = reg_now_wall_ms();
		bool clicked = false;
		for (unsigned pos = 1; pos <= 5; pos++) {
			const char *e = cand[out[pos - 1].index].entity_id;
			struct pen_event ev = { .user_id = user,
				.event_type = "impression",
				.entity_id = e,
				.time_ms = now,
				.position = pos,
				.request_id = rid,
				.scroll_depth = -1 };
			pen_publish(p, &ev, PEN_DEFER, NULL, 0);
			bool liked = false;
			for (unsigned j = 0; j < 4; j++)
				liked |=
				    !strcmp(e, _personas[u % _NPERSONA][j]);
			if (!clicked && liked && _rng(seed) % (pos + 2) == 0) {
				ev.event_type = "click";
				pen_publish(p, &ev, PEN_DEFER, NULL, 0);
				clicked = true;
				clicks++;
			}
		}
	}
	pen_flush(p, 10000);
	printf(
	    "demo: served %u rankings (experiment demo-personalization), %zu clicked\n",
	    n, clicks);
}

/* Prints the top interests of one user: the demo's before/after view. */
static void _show(pen_t *p, const char *user, const char *when)
{
	struct pen_profile pp;
	if (pen_flush(p, 10000) ||
	    pen_profile_read(p, user, strlen(user), &pp, PEN_READ_NAMES))
		return;
	printf("demo: %s, %s: top interests", user, when);
	for (unsigned i = 0; i < pp.n_tags && i < 4; i++)
		printf("%s %s %.3f", i ? "," : "", pp.tags[i].name,
		    pp.tags[i].weight);
	printf("\n");
}

int cli_demo(const struct cli *c, int argc, char **argv)
{
	unsigned users = 1000, events = 200000, serve = ~0u;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf(
			    "usage: penchant demo [--users N] [--events N] [--serve N]\n\n"
			    "Loads a demo catalog and publishes N synthetic events (default 200000)\nof N users (default 1000) spread over the last 30 days of event time;\nthen starts the experiment demo-personalization (the caller's order\nagainst ranking by the profile) and serves N rankings (default 3 per\nuser; 0: none, and no experiment), with impressions and clicks.\n");
			return CLI_OK;
		}
		static const char *const names[] = { "--users", "--events",
			"--serve" };
		unsigned *dst[] = { &users, &events, &serve };
		const char *a = argv[i], *val = NULL;
		unsigned *to = NULL;
		int m = 0;
		for (unsigned k = 0; !m && k < 3; k++)
			if ((m = cli_value(argc, argv, &i, names[k], &val)))
				a = names[k], to = dst[k];
		if (!m) {
			fprintf(stderr,
			    "penchant demo: unknown option '%s' (see --help)\n",
			    a);
			return CLI_USAGE;
		}
		/* A flag that ends the line has no value (and its own name
		 * is not the value it lacks). */
		unsigned long long lo = to == &serve ? 0 : 1, v;
		if (m < 0 || cli_u64(val, lo, 100000000, &v)) {
			fprintf(stderr,
			    "penchant demo: %s needs a whole number from %llu to 100000000%s%s%s\n",
			    a, lo, m > 0 ? " (not '" : "", m > 0 ? val : "",
			    m > 0 ? "')" : "");
			return CLI_USAGE;
		}
		*to = (unsigned)v;
	}
	pen_t *p;
	int rc = cli_open(c, &p);
	if (rc || (rc = _load_catalog(p))) {
		pen_close(&p);
		return rc;
	}
	int64_t end = reg_now_wall_ms() - 60000, span = 30 * LRN_DAY_MS;
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	char user[32], err[256];
	struct pen_prepared batch[256];
	size_t nb = 0, sent = 0;
	for (unsigned i = 0; i < events; i++) {
		struct pen_event ev;
		int64_t t = end - span + (int64_t)((double)span * i / events);
		if (i == events * 23 / 30) {
			size_t done = 0;
			pen_publish_prepared(p, batch, nb, 0, &done);
			sent += done;
			nb = 0;
			_show(p, "demo-user-3", "before a change of taste");
		}
		_event(&seed, (unsigned)(_rng(&seed) % users), t,
		    end - 7 * LRN_DAY_MS, &ev, user, sizeof(user));
		if (pen_prepare(p, &ev, &batch[nb], err, sizeof(err))) {
			fprintf(stderr, "penchant demo: %s\n", err);
			continue;
		}
		if (++nb == 256 || i + 1 == events) {
			size_t done = 0;
			rc = pen_publish_prepared(p, batch, nb, 0, &done);
			sent += done;
			nb = 0;
			if (rc) {
				fprintf(stderr, "penchant demo: %s\n",
				    pen_strerror(rc));
				break;
			}
		}
	}
	rc = pen_flush(p, 10000);
	printf("demo: published %zu events of %u users%s\n", sent, users,
	    rc ? " (not all applied yet)" : ", all applied");
	_show(p, "demo-user-3", "a week after it");
	if (serve == ~0u)
		serve = users * 3;
	if (serve &&
	    pen_experiments_load(p, _experiment, sizeof(_experiment) - 1, err,
		sizeof(err)))
		fprintf(stderr, "penchant demo: experiment: %s\n", err);
	if (serve)
		_serve(p, users, serve, &seed);
	pen_close(&p);
	return CLI_OK;
}
