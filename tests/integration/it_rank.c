/*
 * it_rank: pen_rerank against a real daemon: events in, rankings out. A
 * user's strong category comes first under "profile"; an unknown user
 * keeps the base order; rain demotes outdoor items under "context"; the
 * request id carries the strategy; impressions and clicks that carry it
 * are attributed (pen_serving_read by strategy and position); items shown
 * too often are demoted; exploration is deterministic for a seed; bad
 * requests are refused; once the segments are refreshed, a sparse user's
 * ranking leans on their segment's interest prior and takes its
 * strategy's parameters, and every result names the segment. Items
 * other users touched one after the other become neighbours: a user who
 * touched the first gets the second moved up (the collaborative factor),
 * once the segmenter's next pass has counted them.
 */
#include "harness.h"

#define N 30	 /* candidates: items 0..N-1 */
#define N_ALL 45 /* the catalog; the users learned on items N.. */
static const char *const CATS[3] = { "music", "sports", "food" };

/* Odd items are outdoor, even ones indoor, said both ways. */
static const char *const _setting[4] = { "\"indoor\":true", "\"indoor\":false",
	"\"outdoor\":false", "\"outdoor\":true" };

static void _catalog(struct hx *h)
{
	char lines[16384];
	size_t n = 0;
	for (unsigned i = 0; i < N_ALL; i++)
		n += (size_t)snprintf(lines + n, sizeof(lines) - n,
		    "{\"id\":\"item-%u\",\"category\":\"%s\",\"tags\":[\"t%u\",\"%s-x\"],%s}\n",
		    i, CATS[i % 3], i % 5, CATS[i % 3], _setting[i % 4]);
	char out[4096], err[4096];
	CHECK_EQ_INT(hx_cli(h, lines, n, out, sizeof(out), err, sizeof(err),
			 "catalog", "load", "-", NULL),
	    0);
}

static void _event(pen_t *p, const char *user, const char *type, unsigned item,
    int64_t t, uint64_t request, int position)
{
	char id[32], rq[32], err[256];
	snprintf(id, sizeof(id), "item-%u", item);
	snprintf(rq, sizeof(rq), "%016llx", (unsigned long long)request);
	char line[512], pos[32] = "";
	if (position > 0)
		snprintf(pos, sizeof(pos), ",\"position\":%d", position);
	int len = snprintf(line, sizeof(line),
	    "{\"user_id\":\"%s\",\"event_type\":\"%s\",\"entity_id\":\"%s\",\"timestamp\":%lld%s%s%s%s}",
	    user, type, id, (long long)t, request ? ",\"request_id\":\"" : "",
	    request ? rq : "", request ? "\"" : "", pos);
	int rc = pen_publish_json(p, line, (size_t)len, 0, err, sizeof(err));
	if (rc)
		fprintf(stderr, "publish %s: %s\n", line, err);
	CHECK_EQ_INT(rc, 0);
}

/* Six users touch item 90 then 91 (items nobody else touches, outside
 * the catalog: neighbours go by key); zed and zoe touch 90. For zed, 91
 * comes before 92 despite a lower base: sim(90, 91) = 6 / (8 + 6 - 6),
 * factor 1 + 99 (1 - exp(-30 x 0.75 / 99)) (the default gain and cap). */
#define _NB_FACTOR (1.0 + 99.0 * (1.0 - exp(-30.0 * 6.0 / 8.0 / 99.0)))

/* 92 (base 1) and 91 (base 0.5), ranked by profile */
static const struct pen_candidate _nb_cands[2] = { { .entity_id = "item-92",
						       .score = 1.0 },
	{ .entity_id = "item-91", .score = 0.5 } };
static const struct pen_rank_options _nb_opts = { .strategy = "profile",
	.explore_weight = -1,
	.mmr_lambda = -1,
	.epsilon = -1,
	.serendipity_every = -1 };

/* user's ranking until 91 comes first (the segmenter's next pass);
 * out[0] is then 91's result. */
static void _nb_wait(pen_t *p, const char *user, struct pen_ranked *out)
{
	int waited = 0;
	do {
		REQUIRE(pen_rerank(p, user, strlen(user), NULL, _nb_cands, 2,
			    &_nb_opts, out, NULL) == 0);
		if (out[0].index == 1)
			break;
		usleep(100000);
	} while (waited++ < 100);
	REQUIRE(waited <= 100);
}

static void _neighbors(pen_t *p, int64_t now)
{
	char u[16];
	for (int i = 0; i < 6; i++) {
		snprintf(u, sizeof(u), "nb%d", i);
		_event(p, u, "click", 90, now - 60000 + i, 0, 0);
		_event(p, u, "click", 91, now - 50000 + i, 0, 0);
	}
	_event(p, "zed", "click", 90, now - 40000, 0, 0);
	_event(p, "zoe", "click", 90, now - 39000, 0, 0);
	REQUIRE(pen_flush(p, 10000) == 0);
	struct pen_ranked out[2];
	_nb_wait(p, "zed", out);
	CHECK_EQ_INT(out[0].index, 1);
	CHECK_NEAR(out[0].collab, _NB_FACTOR, 1e-3);
	CHECK(out[1].collab == 1.0f);
	/* without consent to personalization, no neighbours either */
	REQUIRE(pen_consent_set(p, "zed", 3, PEN_PURPOSE_PERSONALIZATION, 0,
		    5000, NULL, 0) == 0);
	REQUIRE(pen_rerank(p, "zed", 3, NULL, _nb_cands, 2, &_nb_opts, out,
		    NULL) == 0);
	CHECK(out[0].index == 0 && out[0].collab == 1.0f &&
	    out[1].collab == 1.0f);
}

/*
 * Items loaded together are equally fresh: one `catalog load` whose
 * second line comes 30 ms after its first gives both one added time, so
 * their novelty factors (and so their order on equal scores) are equal.
 */
static void _fresh_together(struct hx *h, pen_t *p)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	    "%s --instance=%s catalog load - >/dev/null 2>&1", h->penchant,
	    h->instance);
	FILE *w = popen(cmd, "w");
	REQUIRE(w);
	fputs("{\"id\":\"fresh-a\",\"category\":\"music\"}\n", w);
	fflush(w);
	hx_sleep_ms(30);
	fputs("{\"id\":\"fresh-b\",\"category\":\"music\"}\n", w);
	CHECK_EQ_INT(pclose(w), 0);
	struct pen_candidate fc[2] = { { .entity_id = "fresh-a", .score = 1 },
		{ .entity_id = "fresh-b", .score = 1 } };
	struct pen_rank_options o = { .strategy = "context",
		.epsilon = -1,
		.explore_weight = -1,
		.mmr_lambda = -1,
		.serendipity_every = -1 };
	struct pen_ranked r[2];
	REQUIRE(pen_rerank(p, "nobody", 6, NULL, fc, 2, &o, r, NULL) == 0);
	CHECK(r[0].novelty > 1.0f);
	CHECK(r[0].novelty == r[1].novelty);
	CHECK_EQ_INT(r[0].index, 0); /* equal: the given order */
}

static void _cands(struct pen_candidate *c, char ids[N][16])
{
	for (unsigned i = 0; i < N; i++) {
		snprintf(ids[i], 16, "item-%u", i);
		c[i] =
		    (struct pen_candidate){ .entity_id = ids[i], .score = 1.0 };
	}
}

int main(int argc, char **argv)
{
	struct hx h;
	hx_init(&h, "rank", argc, argv);
	const char *flags[] = { "--udp-listen=", "--tcp-listen=",
		"--forward-listen=", "--http-listen=", "--rank-listen=",
		"--shards=2", "--segments-k=1", "--segment-interval-s=0",
		"--neighbor-interval-s=1",
		"--segment-overrides=1:diversifier=dpp;dpp_theta=0.6", NULL };
	hx_start(&h, flags);
	_catalog(&h);
	pen_t *p;
	char err[256];
	REQUIRE(pen_open(h.instance, &p, err, sizeof(err)) == 0);
	int64_t now = reg_now_wall_ms(), t = now - 3600000;
	/* alice loves music (items 30, 33 ...), bob sports; the candidates
	 * are items neither acted on (acted ones would be demoted) */
	for (unsigned k = 0; k < 12; k++) {
		_event(p, "alice", "rsvp", N + (k * 3) % 15, t + k * 1000, 0,
		    0);
		_event(p, "bob", "save", N + (k * 3 + 1) % 15, t + k * 1000, 0,
		    0);
	}
	/* eight more music fans: the one segment's prior is mostly music;
	 * dave has a single food event, a profile of little confidence */
	for (unsigned u = 0; u < 8; u++) {
		char fan[16];
		snprintf(fan, sizeof(fan), "fan%u", u);
		for (unsigned k = 0; k < 6; k++)
			_event(p, fan, "rsvp", N + ((k + u) * 3) % 15,
			    t + k * 1000, 0, 0);
	}
	_event(p, "dave", "rsvp", N + 2, t, 0, 0);
	REQUIRE(pen_flush(p, 10000) == 0);
	_fresh_together(&h, p);

	struct pen_candidate c[N];
	char ids[N][16];
	struct pen_ranked out[N];
	uint64_t rid = 0;
	_cands(c, ids);

	/* profile: the ten music items first */
	struct pen_rank_options po = { .strategy = "profile",
		.k = 10,
		.epsilon = -1,
		.explore_weight = -1,
		.mmr_lambda = -1,
		.serendipity_every = -1 };
	REQUIRE(pen_rerank(p, "alice", 5, NULL, c, N, &po, out, &rid) == 0);

	/* two handles of one process, ranking in turn within the same
	 * milliseconds: no request id twice */
	{
		pen_t *q;
		REQUIRE(pen_open(h.instance, &q, err, sizeof(err)) == 0);
		static uint64_t got[400];
		unsigned dup = 0;
		for (unsigned i = 0; i < 400; i++) {
			REQUIRE(pen_rerank(i % 2 ? q : p, "alice", 5, NULL, c,
				    N, &po, out, &got[i]) == 0);
			for (unsigned j = 0; j < i; j++)
				dup += got[j] == got[i];
		}
		CHECK_EQ_INT(dup, 0);
		pen_close(&q);
	}
	REQUIRE(pen_rerank(p, "alice", 5, NULL, c, N, &po, out, &rid) == 0);
	for (unsigned i = 0; i < 10; i++) {
		CHECK_EQ_INT(out[i].index % 3, 0);
		CHECK(out[i].affinity > 1.0f);
	}
	CHECK(out[10].affinity < out[9].affinity);
	CHECK(out[0].confidence > 0.0f);
	/* no segments yet: none named, no prior */
	CHECK_EQ_INT(out[0].segment, 0);
	CHECK(out[0].prior == 0.0f && out[0].segment_confidence == 0.0f);
	CHECK_EQ_INT(out[0].flags &
		(PEN_RANK_SEGMENT_LOW | PEN_RANK_SEGMENT_PARAMS),
	    0);
	CHECK_EQ_INT(evt_request_strategy(rid), RANK_PROFILE);
	CHECK(llabs(evt_request_time(rid) - reg_now_wall_ms()) < 60000);
	/* an unknown user keeps the base order */
	for (unsigned i = 0; i < N; i++)
		c[i].score = N - i;
	REQUIRE(pen_rerank(p, "nobody", 6, NULL, c, N, &po, out, NULL) == 0);
	for (unsigned i = 0; i < N; i++)
		CHECK_EQ_INT(out[i].index, i);
	_cands(c, ids);

	/* context: in the rain, alice's outdoor music comes after indoor */
	struct pen_context rain = { .weather = "rainy" };
	struct pen_rank_options co = po;
	co.strategy = "context";
	REQUIRE(pen_rerank(p, "alice", 5, &rain, c, N, &co, out, &rid) == 0);
	for (unsigned i = 0; i < 5; i++) {
		CHECK_EQ_INT(out[i].index % 3, 0);
		CHECK_EQ_INT(out[i].index % 2, 0); /* indoor */
		CHECK_NEAR(out[i].weather, 1.2, 1e-6);
	}
	unsigned first_out = 0;
	while (first_out < N && out[first_out].index % 2 == 0)
		first_out++;
	CHECK(first_out < N);
	CHECK_NEAR(out[first_out].weather, 0.6, 1e-6);

	/* impressions of the top three, a click on the second: attributed */
	struct pen_serving sv;
	for (int pos = 1; pos <= 3; pos++)
		_event(p, "alice", "impression", out[pos - 1].index, now, rid,
		    pos);
	_event(p, "alice", "click", out[1].index, now + 5000, rid, 2);
	REQUIRE(pen_flush(p, 10000) == 0);
	REQUIRE(pen_serving_read(p, "context", 2, &sv) == 0);
	CHECK_EQ_INT(sv.impressions, 1);
	CHECK_EQ_INT(sv.clicks, 1);
	REQUIRE(pen_serving_read(p, "context", 0, &sv) == 0);
	CHECK_EQ_INT(sv.impressions, 3);
	REQUIRE(pen_serving_read(p, "profile", 0, &sv) == 0);
	CHECK_EQ_INT(sv.impressions, 0);
	REQUIRE(pen_serving_read(p, NULL, 0, &sv) == 0);
	CHECK_EQ_INT(sv.clicks, 1);
	CHECK_EQ_INT(pen_serving_read(p, "nope", 0, &sv), -EINVAL);

	/* fatigue: an item shown six times and never acted on sinks */
	unsigned shown = out[0].index;
	for (int k = 0; k < 6; k++)
		_event(p, "alice", "impression", shown, now + 10000 + k, 0, 1);
	REQUIRE(pen_flush(p, 10000) == 0);
	REQUIRE(pen_rerank(p, "alice", 5, &rain, c, N, &co, out, NULL) == 0);
	for (unsigned i = 0; i < N; i++)
		if (out[i].index == shown) {
			CHECK(out[i].fatigue < 1.0f);
			CHECK(i > 0);
		}

	/* exploration and diversity: deterministic for a seed */
	struct pen_rank_options fo = { .strategy = "full",
		.k = 10,
		.seed = 7,
		.epsilon = 0.3,
		.explore_weight = -1,
		.mmr_lambda = -1,
		.serendipity_every = -1 };
	struct pen_ranked again[N];
	REQUIRE(pen_rerank(p, "alice", 5, NULL, c, N, &fo, out, NULL) == 0);
	REQUIRE(pen_rerank(p, "alice", 5, NULL, c, N, &fo, again, NULL) == 0);
	for (unsigned i = 0; i < N; i++)
		CHECK_EQ_INT(out[i].index, again[i].index);
	/* a seed of 0 given as such is a seed too; without the bit, 0 means
	 * "from the request id", which differs call to call (at epsilon
	 * 0.5, eight calls all in the seeded order do not happen) */
	struct pen_rank_options z = fo;
	z.seed = 0;
	z.epsilon = 0.5;
	z.given = PEN_OPT_SEED;
	REQUIRE(pen_rerank(p, "alice", 5, NULL, c, N, &z, out, NULL) == 0);
	unsigned same = 0, varied = 0;
	for (int k = 0; k < 8; k++) {
		REQUIRE(pen_rerank(p, "alice", 5, NULL, c, N, &z, again,
			    NULL) == 0);
		bool eq = true;
		for (unsigned i = 0; i < N; i++)
			eq &= out[i].index == again[i].index;
		same += eq;
	}
	CHECK_EQ_INT(same, 8);
	z.given = 0;
	for (int k = 0; k < 8; k++) {
		REQUIRE(pen_rerank(p, "alice", 5, NULL, c, N, &z, again,
			    NULL) == 0);
		for (unsigned i = 0; i < N; i++)
			varied += out[i].index != again[i].index;
	}
	CHECK(varied > 0);

	/* the request's diversifier: DPP at theta 1 keeps the score order
	 * as MMR at lambda 1 does; theta 0.2 moves items; unknown names and
	 * values out of range are refused */
	struct pen_rank_options d1 = fo, m1 = fo;
	d1.epsilon = m1.epsilon = 0;
	d1.serendipity_every = m1.serendipity_every = 0;
	m1.mmr_lambda = 1.0;
	d1.diversifier = "dpp";
	d1.dpp_theta = 1.0f;
	d1.given = PEN_OPT_DPP_THETA;
	REQUIRE(pen_rerank(p, "alice", 5, NULL, c, N, &d1, out, NULL) == 0);
	REQUIRE(pen_rerank(p, "alice", 5, NULL, c, N, &m1, again, NULL) == 0);
	for (unsigned i = 0; i < N; i++)
		CHECK_EQ_INT(out[i].index, again[i].index);
	d1.dpp_theta = 0.2f;
	REQUIRE(pen_rerank(p, "alice", 5, NULL, c, N, &d1, out, NULL) == 0);
	unsigned moved = 0;
	for (unsigned i = 0; i < 10; i++)
		moved += out[i].index != again[i].index;
	CHECK(moved > 0);
	d1.dpp_theta = 1.5f;
	CHECK_EQ_INT(pen_rerank(p, "alice", 5, NULL, c, N, &d1, out, NULL),
	    -EINVAL);
	d1.dpp_theta = 1.0f;
	d1.diversifier = "xqd";
	CHECK_EQ_INT(pen_rerank(p, "alice", 5, NULL, c, N, &d1, out, NULL),
	    -EINVAL);

	/* An experiment's variants set the diversifier and theta: a user's
	 * ranking (no strategy given, so the experiment's) is the direct one
	 * with its variant's options; the two variants differ. */
	static const char exp_defs[] =
	    "{\"name\":\"div\",\"salt\":\"d1\",\"variants\":["
	    "{\"name\":\"mmr\",\"strategy\":\"diverse\",\"diversifier\":\"mmr\","
	    "\"mmr_lambda\":1},"
	    "{\"name\":\"dpp\",\"strategy\":\"diverse\",\"diversifier\":\"DPP\","
	    "\"dpp_theta\":0.2}]}\n";
	char eerr[256];
	REQUIRE(pen_experiments_load(p, exp_defs, strlen(exp_defs), eerr,
		    sizeof(eerr)) == 0);
	struct pen_experiments ex;
	REQUIRE(pen_experiments_read(p, &ex) == 0);
	REQUIRE(ex.n == 1);
	CHECK(!strcmp(ex.e[0].v[0].diversifier, "mmr") &&
	    ex.e[0].v[0].dpp_theta < 0);
	CHECK(!strcmp(ex.e[0].v[1].diversifier, "dpp"));
	CHECK_NEAR(ex.e[0].v[1].dpp_theta, 0.2, 1e-6);
	struct pen_rank_options arm_opt[2] = { m1, d1 };
	for (unsigned v = 0; v < 2; v++) {
		arm_opt[v].strategy = "diverse";
		arm_opt[v].epsilon = arm_opt[v].explore_weight = -1;
		arm_opt[v].serendipity_every = -1;
	}
	arm_opt[1].diversifier = "dpp";
	arm_opt[1].dpp_theta = 0.2f;
	struct pen_rank_options in_exp = arm_opt[0];
	in_exp.strategy = NULL;
	in_exp.mmr_lambda = -1;
	/* a refused request counts no exposure */
	struct pen_rank_options bad_div = in_exp;
	bad_div.diversifier = "xqd";
	CHECK_EQ_INT(pen_rerank(p, "y0", 2, NULL, c, N, &bad_div, out, NULL),
	    -EINVAL);
	/* Scores apart, and in pairs of items alike (i and i + 15 have the
	 * same category and tags): the score order's top 10 holds five
	 * pairs, which the DPP breaks up. (With equal base scores the order
	 * of these users would be the novelty boosts of items loaded
	 * milliseconds apart, a race with the clock.) */
	for (unsigned i = 0; i < N; i++)
		c[i].score = 2.0 * N - 2.0 * (i % 15) - (i / 15);
	unsigned arms_seen[2] = { 0, 0 }, differ = 0;
	for (unsigned u = 0; u < 16; u++) {
		char uid[16];
		uint64_t erid = 0;
		snprintf(uid, sizeof(uid), "x%u", u);
		REQUIRE(pen_rerank(p, uid, strlen(uid), NULL, c, N, &in_exp,
			    out, &erid) == 0);
		unsigned arm = evt_request_arm(erid);
		REQUIRE(arm >= 1);
		unsigned v = (arm - 1) % EXP_VARIANTS;
		REQUIRE(v < 2);
		arms_seen[v]++;
		REQUIRE(pen_rerank(p, uid, strlen(uid), NULL, c, N, &arm_opt[v],
			    again, NULL) == 0);
		for (unsigned i = 0; i < N; i++)
			CHECK_EQ_INT(out[i].index, again[i].index);
		REQUIRE(pen_rerank(p, uid, strlen(uid), NULL, c, N,
			    &arm_opt[1 - v], again, NULL) == 0);
		for (unsigned i = 0; i < 10; i++)
			differ += out[i].index != again[i].index;
	}
	CHECK(arms_seen[0] > 0 && arms_seen[1] > 0);
	CHECK(differ > 0);
	_cands(c, ids);
	REQUIRE(pen_flush(p, 10000) == 0);
	REQUIRE(pen_experiments_read(p, &ex) == 0);
	CHECK_EQ_INT(ex.e[0].v[0].exposures + ex.e[0].v[1].exposures, 16);
	REQUIRE(pen_experiments_load(p, "", 0, eerr, sizeof(eerr)) == 0);

	/* bad requests */
	c[3].score = NAN;
	CHECK_EQ_INT(pen_rerank(p, "alice", 5, NULL, c, N, &po, out, NULL),
	    -EINVAL);
	c[3].score = 1.0;
	struct pen_rank_options bad = po;
	bad.strategy = "astrology";
	CHECK_EQ_INT(pen_rerank(p, "alice", 5, NULL, c, N, &bad, out, NULL),
	    -EINVAL);
	CHECK_EQ_INT(pen_rerank(p, "alice", 5, NULL, c, 0, &po, out, NULL),
	    -EINVAL);
	/* What the rank API refuses, the library refuses: an offset a
	 * narrowing cast would take for another (66136 for 600), a time
	 * outside the instance's bounds, a user no event could name, an
	 * item's offset out of range; and experiments load a text, not
	 * NULL. */
	struct pen_context badc = { .tz_offset_min = 600 + 65536 };
	CHECK_EQ_INT(pen_rerank(p, "alice", 5, &badc, c, N, &po, out, NULL),
	    -EINVAL);
	badc = (struct pen_context){ .time_ms = 5000000000000LL };
	CHECK_EQ_INT(pen_rerank(p, "alice", 5, &badc, c, N, &po, out, NULL),
	    -EINVAL);
	CHECK_EQ_INT(pen_rerank(p, "a\x01", 2, NULL, c, N, &po, out, NULL),
	    -EINVAL);
	CHECK_EQ_INT(pen_rerank(p, "", 0, NULL, c, N, &po, out, NULL), -EINVAL);
	struct pen_item_attrs far = { .start_tz_min = 2000,
		.indoor = -1,
		.group_friendly = -1 };
	const struct pen_item_attrs *keep = c[0].attrs;
	c[0].attrs = &far;
	CHECK_EQ_INT(pen_rerank(p, "alice", 5, NULL, c, N, &po, out, NULL),
	    -EINVAL);
	c[0].attrs = keep;
	CHECK_EQ_INT(pen_experiments_load(p, NULL, 0, NULL, 64), -EINVAL);
	CHECK_EQ_INT(pen_erase(p, NULL, 0, 100, NULL, NULL, 64), -EINVAL);

	/* Segments: refreshed on request (one segment: every user in it,
	 * assignment confidence 1). */
	struct pen_segments segs;
	REQUIRE(pen_segments_refresh(p) == 0);
	int waited = 0;
	while (pen_segments_read(p, &segs, 0) != 0 && waited++ < 200)
		usleep(50000);
	REQUIRE(waited < 200);
	REQUIRE(segs.k == 1 && segs.seg[0].n_prior > 0);
	struct pen_user_segment us;
	REQUIRE(pen_segment_of(p, "dave", 4, &us) == 0);
	/* dave: food is his only interest, yet the music items, his
	 * segment's, come before the sports items */
	REQUIRE(pen_rerank(p, "dave", 4, NULL, c, N, &po, out, NULL) == 0);
	float music_min = 10.0f, sports_max = 0.0f;
	for (unsigned i = 0; i < N; i++) {
		CHECK_EQ_INT(out[i].segment, us.id);
		CHECK_NEAR(out[i].segment_confidence, us.confidence, 1e-6);
		/* b = prior_blend 0.5 x trust 1 x (1 - confidence) */
		CHECK_NEAR(out[i].prior, 0.5 * (1.0 - out[i].confidence), 1e-5);
		CHECK(out[i].prior > 0.25f);
		CHECK(out[i].flags & PEN_RANK_SEGMENT_PARAMS);
		CHECK(!(out[i].flags & PEN_RANK_SEGMENT_LOW));
		if (out[i].index % 3 == 0 && out[i].affinity < music_min)
			music_min = out[i].affinity;
		if (out[i].index % 3 == 1 && out[i].affinity > sports_max)
			sports_max = out[i].affinity;
	}
	CHECK(music_min > sports_max);
	CHECK(sports_max >= 1.0f);
	/* the segment's strategy parameters, and the diversifier the
	 * operator gave it, stand in for unset options: the same ranking as
	 * when they are given */
	const struct pen_segment *sd = &segs.seg[0];
	CHECK_EQ_INT(sd->id, 1);
	CHECK(!strcmp(sd->diversifier, "dpp"));
	CHECK_NEAR(sd->dpp_theta, 0.6, 1e-6);
	struct pen_rank_options so = fo, given = fo;
	so.epsilon = -1;
	given.epsilon = sd->epsilon;
	given.explore_weight = sd->explore_weight;
	given.mmr_lambda = sd->mmr_lambda;
	given.context_weight = (float)sd->context_weight;
	given.diversifier = "dpp";
	given.dpp_theta = 0.6f;
	given.given |= PEN_OPT_DPP_THETA;
	REQUIRE(pen_rerank(p, "dave", 4, NULL, c, N, &so, out, NULL) == 0);
	REQUIRE(pen_rerank(p, "dave", 4, NULL, c, N, &given, again, NULL) == 0);
	for (unsigned i = 0; i < N; i++) {
		CHECK_EQ_INT(out[i].index, again[i].index);
		CHECK(out[i].flags & PEN_RANK_SEGMENT_PARAMS);
		CHECK(!(again[i].flags & PEN_RANK_SEGMENT_PARAMS));
	}
	/* ... and it is the DPP's ranking: MMR's differs */
	given.diversifier = "mmr";
	REQUIRE(pen_rerank(p, "dave", 4, NULL, c, N, &given, again, NULL) == 0);
	unsigned other = 0;
	for (unsigned i = 0; i < N; i++)
		other += out[i].index != again[i].index;
	CHECK(other > 0);
	/* an unknown user has no segment */
	REQUIRE(pen_rerank(p, "nobody", 6, NULL, c, N, &po, out, NULL) == 0);
	CHECK_EQ_INT(out[0].segment, 0);

	/* Without consent to personalization the ranking is not personal:
	 * the base order, affinity 1 everywhere. */
	REQUIRE(pen_consent_set(p, "alice", 5, PEN_PURPOSE_PERSONALIZATION, 0,
		    5000, NULL, 0) == 0);
	REQUIRE(pen_rerank(p, "alice", 5, NULL, c, N, &po, out, NULL) == 0);
	for (unsigned i = 0; i < N; i++) {
		CHECK(out[i].affinity == 1.0f && out[i].confidence == 0.0f);
		CHECK_EQ_INT(out[i].segment, 0); /* nor by segment */
	}

	_neighbors(p, now);
	/* The six move on: 16 new items each push 90 and 91 out of their
	 * recent items, so the pair can no longer be counted from them. */
	for (int i = 0; i < 6; i++) {
		char u[16];
		snprintf(u, sizeof(u), "nb%d", i);
		for (unsigned k = 0; k < LRN_SEEN; k++)
			_event(p, u, "click", 200 + (unsigned)i * 20 + k,
			    now - 30000 + (int64_t)k, 0, 0);
	}
	REQUIRE(pen_flush(p, 10000) == 0);

	pen_close(&p);
	CHECK_EQ_INT(hx_stop(&h), 0);
	/* The counts were kept beside the snapshot: after a restart zoe's
	 * ranking has the same neighbours as before, which recounting the
	 * profiles' recent items could no longer find. */
	char kept[256];
	snprintf(kept, sizeof(kept), "%s/%s.nbr", h.state_dir, h.instance);
	CHECK(access(kept, R_OK) == 0);
	hx_start(&h, flags);
	REQUIRE(pen_open(h.instance, &p, err, sizeof(err)) == 0);
	struct pen_ranked nb[2];
	_nb_wait(p, "zoe", nb);
	CHECK_NEAR(nb[0].collab, _NB_FACTOR, 1e-3);
	pen_close(&p);
	CHECK_EQ_INT(hx_stop(&h), 0);
	hx_cleanup(&h);
	return check_done("it_rank");
}
