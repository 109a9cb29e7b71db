/* segments_planted: users of four planted behaviors (evening social sharers, morning explorers of many categories, one-category loyal night owls, local afternoon clickers), learned through the real learner, are found again by a refresh (adjusted Rand index >= 0.9 against the truth, by seg_assign); segment ids survive a refresh with a changed population; names and strategies follow the traits; readers copying the table during refreshes always see a whole table. */
#include <math.h>
#include <string.h>

#include "engine/cluster.h"
#include "shm/profiles.h"
#include "shm/segment.h"
#include "shmtest.h"

#define PER 400 /* users per planted group */
#define GROUPS 4
#define T0 1767225600000LL
#define HOUR 3600000LL
#define DAY 86400000LL

static struct reg g_r;
static uint64_t g_seed = 7;

static double _u(void)
{
	return (double)(st_rand(&g_seed) >> 11) / 9007199254740992.0;
}

/* One user of group g with n events; builds the profile as a worker. */
static void user(unsigned g, uint64_t key, unsigned n)
{
	struct lrn_profile p;
	lrn_profile_init(&p, key);
	const struct lrn_params *prm = &g_r.hdr->params;
	for (unsigned i = 0; i < n; i++) {
		struct evt_record e;
		struct lrn_item it = { .n_tags = 1 };
		memset(&e, 0, sizeof(e));
		e.user_key = key;
		e.entity_key = 1 + st_rand(&g_seed) % 5000;
		e.scroll_depth = -1.0f;
		int64_t day = (int64_t)(_u() * 30);
		unsigned hour;
		switch (g) {
		case 0: /* evening social sharers */
			hour = 18 + (unsigned)(_u() * 5);
			e.type = _u() < 0.5 ? EVT_SHARE : EVT_CLICK;
			it.category = 1 + (unsigned)(_u() * 3);
			break;
		case 1: /* morning explorers of many categories */
			hour = 7 + (unsigned)(_u() * 4);
			e.type = _u() < 0.7 ? EVT_VIEW : EVT_CLICK;
			it.category = 10 + (unsigned)(_u() * 40);
			break;
		case 2: /* loyal night owls, one category, lots of feedback */
			hour = 1 + (unsigned)(_u() * 4);
			e.type = _u() < 0.5 ? EVT_FEEDBACK : EVT_SAVE;
			e.feedback = 1;
			it.category = 60;
			break;
		default: /* local afternoon clickers */
			hour = 13 + (unsigned)(_u() * 4);
			e.type = EVT_CLICK;
			it.category = 70 + (unsigned)(_u() * 2);
			e.geo_cell = 0x123456;
			break;
		}
		it.tags[0] = it.category * 10 + 1;
		e.time_ms = T0 + day * DAY + (int64_t)hour * HOUR +
		    (int64_t)(_u() * HOUR);
		e.daypart = (uint8_t)(hour / 6);
		e.weekday = (uint8_t)(day % 7);
		lrn_apply(&p, prm, &e, &it);
	}
	REQUIRE(prof_load(&g_r, &p) == 0);
}

static uint64_t key_of(unsigned g, unsigned i)
{
	return ((uint64_t)g << 40 | (uint64_t)(i + 1)) * 0x9E3779B97F4A7C15ULL;
}

/* Labels of every planted user by seg_assign, against the truth. */
static double ari(const struct seg_table *t)
{
	static uint8_t truth[GROUPS * PER], got[GROUPS * PER];
	size_t n = 0;
	for (unsigned g = 0; g < GROUPS; g++)
		for (unsigned i = 0; i < PER; i++) {
			struct lrn_profile p;
			REQUIRE(prof_read(&g_r, key_of(g, i), &p) == 0);
			struct seg_assignment a;
			seg_assign(t, &p, &g_r.hdr->params, T0 + 31 * DAY, &a);
			REQUIRE(a.index >= 0);
			truth[n] = (uint8_t)g;
			got[n++] = (uint8_t)a.index;
		}
	double v = 0;
	REQUIRE(km_ari(truth, got, n, &v) == 0);
	return v;
}

static int reader(void *arg)
{
	volatile int *stop = arg;
	struct seg_table t;
	unsigned bad = 0, reads = 0;
	while (!*stop) {
		if (seg_read(&g_r, &t) == 0) {
			uint64_t sum = 0;
			for (unsigned i = 0; i < t.k && i < SEG_MAX; i++)
				sum += t.seg[i].size;
			bad += t.k < 2 || t.k > SEG_MAX || sum != t.users;
			reads++;
		}
	}
	fprintf(stderr, "reader: %u tables, %u torn\n", reads, bad);
	return bad ? 1 : 0;
}

/*
 * Users who do not differ: as many segments as there are distinct users
 * (here one, of all of them), never an empty segment, for a fixed k and
 * a chosen one.
 */
static void alike(void)
{
	const char *inst = st_instance("segalike");
	struct reg_geometry g = st_geo(2, 2, 64, 4096, 16, 16);
	st_create(&g_r, inst, &g, REG_RUNNING);
	for (unsigned i = 0; i < 30; i++) {
		struct lrn_profile p;
		struct evt_record e;
		struct lrn_item it = { .category = 5,
			.n_tags = 1,
			.tags = { 51 } };
		lrn_profile_init(&p, key_of(9, i));
		memset(&e, 0, sizeof(e));
		e.user_key = p.user_key;
		e.entity_key = 77;
		e.type = EVT_CLICK;
		e.scroll_depth = -1.0f;
		e.time_ms = T0 + 10 * HOUR;
		e.daypart = 1;
		lrn_apply(&p, &g_r.hdr->params, &e, &it);
		REQUIRE(prof_load(&g_r, &p) == 0);
	}
	struct seg_options o = { .k = 3,
		.k_min = 2,
		.k_max = 6,
		.seed = 1,
		.sample = 1000,
		.as_of_ms = T0 + DAY,
		.low_confidence = 0.2f };
	char err[256] = "";
	struct seg_table t;
	for (int chosen = 0; chosen < 2; chosen++) {
		o.k = chosen ? 0 : 3;
		int rc = seg_refresh(&g_r, &o, NULL, err, sizeof(err));
		if (rc)
			fprintf(stderr, "alike: %s\n", err);
		REQUIRE(rc == 0 && seg_read(&g_r, &t) == 0);
		CHECK_EQ_INT(t.k, 1);
		CHECK_EQ_INT(t.users, 30);
		CHECK_EQ_INT(t.seg[0].size, 30);
	}
	reg_detach(&g_r);
	reg_unlink(inst);
}

/* One event of user key: a click on category cat at hour h. */
static void clicker(uint64_t key, uint32_t cat, unsigned h)
{
	struct lrn_profile p;
	struct evt_record e;
	struct lrn_item it = { .category = cat, .n_tags = 1, .tags = { cat } };
	lrn_profile_init(&p, key);
	memset(&e, 0, sizeof(e));
	e.user_key = key;
	e.entity_key = cat;
	e.type = EVT_CLICK;
	e.scroll_depth = -1.0f;
	e.time_ms = T0 + (int64_t)h * HOUR;
	e.daypart = (uint8_t)(h / 6);
	lrn_apply(&p, &g_r.hdr->params, &e, &it);
	REQUIRE(prof_load(&g_r, &p) == 0);
}

struct erasing {
	unsigned from, to;	 /* group 9's users erased */
	unsigned newcomers;	 /* group 8's users made */
	unsigned newcomers_gone; /* group 8's users erased */
};

/* Between the copy and the description: erasures, and newcomers who take
 * the freed records. */
static void erase_some(void *ctx)
{
	const struct erasing *er = ctx;
	unsigned shards = g_r.hdr->geo.shards;
	for (unsigned i = er->from; i < er->to; i++) {
		uint64_t key = key_of(9, i);
		REQUIRE(prof_delete(&g_r, reg_shard_of(key, shards), key) == 0);
	}
	for (unsigned i = 0; i < er->newcomers_gone; i++) {
		uint64_t key = key_of(8, i);
		REQUIRE(prof_delete(&g_r, reg_shard_of(key, shards), key) == 0);
	}
	for (unsigned i = 0; i < er->newcomers; i++)
		clicker(key_of(8, i), 33, 3);
}

/*
 * Users erased while a refresh runs are no members of what it publishes,
 * whether their records stay free or newcomers took them: a segment all of
 * whose members went is not shown, the others count those left, and a
 * refresh that lost everyone publishes nothing.
 */
static void erased_meanwhile(void)
{
	const char *inst = st_instance("segerase");
	struct reg_geometry g = st_geo(2, 2, 64, 4096, 16, 16);
	st_create(&g_r, inst, &g, REG_RUNNING);
	for (unsigned i = 0; i < 40; i++)
		clicker(key_of(9, i), i < 20 ? 5 : 90, i < 20 ? 10 : 22);
	struct erasing er = { 0, 20, 5, 0 };
	struct seg_options o = { .k = 2,
		.k_min = 2,
		.k_max = 6,
		.seed = 1,
		.sample = 1000,
		.as_of_ms = T0 + DAY,
		.low_confidence = 0.2f,
		.copied = erase_some,
		.copied_ctx = &er };
	char err[256] = "";
	struct seg_stats st;
	struct seg_table t;
	int rc = seg_refresh(&g_r, &o, &st, err, sizeof(err));
	if (rc)
		fprintf(stderr, "erased: %s\n", err);
	REQUIRE(rc == 0 && seg_read(&g_r, &t) == 0);
	CHECK_EQ_INT(t.k, 1);
	CHECK_EQ_INT(t.users, 20);
	CHECK_EQ_INT(t.seg[0].size, 20);
	CHECK(t.seg[0].share == 1.0f);
	CHECK_EQ_INT(st.users, 20);
	CHECK_EQ_INT(st.k, 1);

	/* everyone left gone meanwhile: nothing published */
	er = (struct erasing){ 20, 40, 0, 5 };
	o.k = 0;
	rc = seg_refresh(&g_r, &o, NULL, err, sizeof(err));
	CHECK_EQ_INT(rc, -ENODATA);
	CHECK(strstr(err, "erased during the refresh") != NULL);
	REQUIRE(seg_read(&g_r, &t) == 0);
	CHECK_EQ_INT(t.version, 1);
	reg_detach(&g_r);
	reg_unlink(inst);
}

int main(void)
{
	st_init(120);
	const char *inst = st_instance("segments");
	struct reg_geometry g = st_geo(2, 2, 64, 4096, 16, 16);
	st_create(&g_r, inst, &g, REG_RUNNING);
	struct seg_table t;
	CHECK_EQ_INT(seg_read(&g_r, &t), -ENODATA);
	for (unsigned grp = 0; grp < GROUPS; grp++)
		for (unsigned i = 0; i < PER; i++)
			user(grp, key_of(grp, i), 30 + (unsigned)(_u() * 30));

	struct seg_options o = { .k = 0,
		.k_min = 2,
		.k_max = 6,
		.seed = 1,
		.sample = 1000,
		.as_of_ms = T0 + 31 * DAY,
		.low_confidence = 0.2f };
	struct seg_stats st;
	char err[256] = "";
	int rc = seg_refresh(&g_r, &o, &st, err, sizeof(err));
	if (rc)
		fprintf(stderr, "refresh: %s\n", err);
	REQUIRE(rc == 0);
	REQUIRE(seg_read(&g_r, &t) == 0);
	CHECK_EQ_INT(t.k, GROUPS); /* chosen by silhouette */
	CHECK_EQ_INT(t.users, GROUPS * PER);
	CHECK_EQ_INT(t.version, 1);
	double a = ari(&t);
	printf("planted: k %u, ARI %.3f, silhouette %.3f, %.3f s\n", t.k, a,
	    t.silhouette, st.seconds_total);
	CHECK(a >= 0.9);
	for (unsigned i = 0; i < t.k; i++) {
		const struct seg_info *s = &t.seg[i];
		printf("  %u %-36s %-17s %5llu users, ctr %.2f\n", s->id,
		    s->name, sp_strategy_name(s->strategy),
		    (unsigned long long)s->size, s->ctr);
		CHECK(s->name[0] != 0);
		CHECK(s->prior[0].id != 0);
	}
	/* the sharers are social_driven, the explorers exploration_heavy,
	 * the locals location_centric */
	struct lrn_profile p;
	struct seg_assignment as;
	unsigned want[GROUPS] = { SP_SOCIAL_DRIVEN, SP_EXPLORATION_HEAVY,
		SP_INTEREST_FOCUSED, SP_LOCATION_CENTRIC };
	uint32_t first_id[GROUPS];
	for (unsigned grp = 0; grp < GROUPS; grp++) {
		REQUIRE(prof_read(&g_r, key_of(grp, 0), &p) == 0);
		seg_assign(&t, &p, &g_r.hdr->params, T0 + 31 * DAY, &as);
		REQUIRE(as.index >= 0);
		first_id[grp] = as.id;
		CHECK_EQ_INT(t.seg[as.index].strategy, want[grp]);
	}

	/* 10 % more users of group 1 and a fixed k: the same ids, while a
	 * reader copies tables all along */
	volatile int *stop = st_shared(sizeof(int));
	pid_t rd = st_fork(reader, (void *)stop);
	for (unsigned i = PER; i < PER + PER / 10; i++)
		user(1, key_of(1, i), 40);
	o.k = GROUPS;
	for (int round = 0; round < 3; round++)
		REQUIRE(seg_refresh(&g_r, &o, NULL, err, sizeof(err)) == 0);
	*stop = 1;
	CHECK(st_wait_ok(rd, "table reader"));
	REQUIRE(seg_read(&g_r, &t) == 0);
	CHECK_EQ_INT(t.version, 4);
	for (unsigned grp = 0; grp < GROUPS; grp++) {
		REQUIRE(prof_read(&g_r, key_of(grp, 0), &p) == 0);
		seg_assign(&t, &p, &g_r.hdr->params, T0 + 31 * DAY, &as);
		CHECK_EQ_INT(as.id, first_id[grp]);
	}
	CHECK_EQ_INT(reg_segments(&g_r)->hist_n, 4);

	/* operator overrides: a name, a strategy, a parameter */
	char ov[128];
	snprintf(ov, sizeof(ov),
	    "%u:name=Night owls;strategy=exploration_heavy;epsilon=0.3",
	    first_id[2]);
	o.overrides = ov;
	REQUIRE(seg_refresh(&g_r, &o, NULL, err, sizeof(err)) == 0);
	REQUIRE(seg_read(&g_r, &t) == 0);
	for (unsigned i = 0; i < t.k; i++)
		if (t.seg[i].id == first_id[2]) {
			CHECK(strcmp(t.seg[i].name, "Night owls") == 0);
			CHECK_EQ_INT(t.seg[i].strategy, SP_EXPLORATION_HEAVY);
			CHECK_NEAR(t.seg[i].epsilon, 0.3, 1e-6);
			CHECK_EQ_INT(t.seg[i].overridden, 1);
		}
	reg_detach(&g_r);
	reg_unlink(inst);
	alike();
	erased_meanwhile();
	return check_done("shm segments_planted");
}
