/* evalcore protocol: which events are targets (validation, test), which
 * users are skipped, touched pairs (impressions and searches do not
 * touch), the pool, candidates (never touched, distinct, target last,
 * deterministic per seed, the dense and the full-catalog paths; none
 * added after the target's time), do-not-track events (no target, no
 * touch),
 * popularity counting only earlier times, the top k in met_rank's order,
 * and the key index past its first growth. */
#include <string.h>

#include "check.h"
#include "engine/metrics.h"
#include "tools/evalcore.h"

#define T0 1767225600000LL

static struct evt_record g_ev[64];
static size_t g_n;

static const struct evt_record *at(const void *arg, size_t i)
{
	(void)arg;
	return &g_ev[i];
}

static void add(uint64_t user, uint8_t type, uint64_t item, int64_t t,
    int8_t fb)
{
	struct evt_record *e = &g_ev[g_n++];
	memset(e, 0, sizeof(*e));
	e->user_key = user;
	e->entity_key = item;
	e->type = type;
	e->time_ms = T0 + t;
	e->feedback = fb;
	e->scroll_depth = -1.0f;
}

static int64_t pos_of(const struct ec_plan *pl, unsigned split, uint64_t user)
{
	int64_t u = ec_index_find(&pl->users, user);
	for (size_t i = 0; i < pl->n; i++)
		if (pl->split[i] == split && pl->ev_user[i] == (uint32_t)u)
			return (int64_t)i;
	return -1;
}

static void targets(void)
{
	struct lrn_params lp;
	lrn_params_default(&lp);
	g_n = 0;
	/* user 1 */
	add(1, EVT_VIEW, 101, 0, 0);	    /* 0 a view: not positive */
	add(1, EVT_CLICK, 102, 10, 0);	    /* 1 new positive */
	add(1, EVT_CLICK, 102, 20, 0);	    /* 2 not new */
	add(1, EVT_RSVP, 103, 30, 0);	    /* 3 new positive: validation */
	add(1, EVT_IMPRESSION, 104, 40, 0); /* 4 does not touch */
	add(1, EVT_FEEDBACK, 105, 50, -1);  /* 5 touches, negative */
	add(1, EVT_CLICK, 101, 60, 0);	    /* 6 viewed before: not new */
	add(1, EVT_SAVE, 106, 70, 0);	    /* 7 new positive: test */
	add(1, EVT_SEARCH, 0, 80, 0);	    /* 8 no item */
	/* user 2: one new positive only */
	add(2, EVT_CLICK, 101, 5, 0);
	add(2, EVT_VIEW, 102, 6, 0);
	/* user 3: a clicked impression is a valid target */
	add(3, EVT_FEEDBACK, 101, 1, 1);   /* 11 validation */
	add(3, EVT_IMPRESSION, 107, 2, 0); /* 12 */
	add(3, EVT_CLICK, 107, 3, 0);	   /* 13 test */
	add(3, EVT_FEEDBACK, 101, 4, 1);   /* 14 not new */
	struct ec_plan pl;
	REQUIRE(ec_plan_build(&pl, &lp, at, NULL, g_n, NULL, 0, false) == 0);
	CHECK_EQ_INT(pl.n_test, 2);
	CHECK_EQ_INT(pl.n_valid, 2);
	CHECK_EQ_INT(pl.users_skipped, 1);
	CHECK_EQ_INT(pos_of(&pl, EC_VALID, 1), 3);
	CHECK_EQ_INT(pos_of(&pl, EC_TEST, 1), 7);
	CHECK_EQ_INT(pos_of(&pl, EC_VALID, 3), 11);
	CHECK_EQ_INT(pos_of(&pl, EC_TEST, 3), 13);
	CHECK_EQ_INT(pos_of(&pl, EC_TEST, 2), -1);
	unsigned marked = 0;
	for (size_t i = 0; i < pl.n; i++)
		marked += pl.split[i] != EC_NONE;
	CHECK_EQ_INT(marked, 4);
	/* touched: impressions and searches do not touch */
	uint32_t u1 = (uint32_t)ec_index_find(&pl.users, 1);
	uint32_t u3 = (uint32_t)ec_index_find(&pl.users, 3);
	CHECK(
	    !ec_plan_touched(&pl, u1, (uint32_t)ec_index_find(&pl.items, 104)));
	CHECK(
	    ec_plan_touched(&pl, u1, (uint32_t)ec_index_find(&pl.items, 105)));
	CHECK(
	    ec_plan_touched(&pl, u3, (uint32_t)ec_index_find(&pl.items, 107)));
	CHECK(
	    !ec_plan_touched(&pl, u3, (uint32_t)ec_index_find(&pl.items, 102)));
	/* the pool without a catalog: touched items, first appearance */
	uint64_t want[] = { 101, 102, 103, 105, 106, 107 };
	REQUIRE(pl.n_pool == 6);
	for (unsigned j = 0; j < 6; j++)
		CHECK_EQ_INT(pl.items.keys[pl.pool[j]], want[j]);
	/* full candidates: every untouched pool item, then the target */
	uint32_t out[16];
	uint32_t t1 = pl.ev_item[7];
	unsigned n = ec_candidates(&pl, u1, t1, EC_TEST, T0, 0, 1, out);
	CHECK_EQ_INT(n, 2); /* only 107 is untouched by user 1 */
	CHECK_EQ_INT(pl.items.keys[out[0]], 107);
	CHECK_EQ_INT(out[1], t1);
	ec_plan_free(&pl);
}

/* Viewed targets: a positive on an item only viewed (or disliked) before
 * is new; a second positive on an item is not. The touched pairs, and so
 * the negatives, are those of the strict rule. */
static void viewed_targets(void)
{
	struct lrn_params lp;
	lrn_params_default(&lp);
	g_n = 0;
	add(1, EVT_VIEW, 101, 0, 0);	  /* 0 */
	add(1, EVT_VIEW, 102, 1, 0);	  /* 1 */
	add(1, EVT_CART, 101, 2, 0);	  /* 2 new positive */
	add(1, EVT_PURCHASE, 101, 3, 0);  /* 3 not new: carted */
	add(1, EVT_FEEDBACK, 103, 4, -1); /* 4 negative */
	add(1, EVT_SAVE, 103, 5, 0);	  /* 5 new positive: validation */
	add(1, EVT_VIEW, 104, 6, 0);	  /* 6 */
	add(1, EVT_PURCHASE, 102, 7, 0);  /* 7 new positive: test */
	add(1, EVT_VIEW, 101, 8, 0);	  /* 8 */
	add(1, EVT_PURCHASE, 101, 9, 0);  /* 9 not new */
	/* user 2: views, then buys what they viewed: two targets */
	add(2, EVT_VIEW, 201, 0, 0);
	add(2, EVT_PURCHASE, 201, 1, 0); /* 11 validation */
	add(2, EVT_VIEW, 202, 2, 0);
	add(2, EVT_PURCHASE, 202, 3, 0); /* 13 test */
	struct ec_plan pl;
	REQUIRE(ec_plan_build(&pl, &lp, at, NULL, g_n, NULL, 0, true) == 0);
	CHECK_EQ_INT(pl.n_test, 2);
	CHECK_EQ_INT(pl.users_skipped, 0);
	CHECK_EQ_INT(pos_of(&pl, EC_VALID, 1), 5);
	CHECK_EQ_INT(pos_of(&pl, EC_TEST, 1), 7);
	CHECK_EQ_INT(pos_of(&pl, EC_VALID, 2), 11);
	CHECK_EQ_INT(pos_of(&pl, EC_TEST, 2), 13);
	uint32_t u1 = (uint32_t)ec_index_find(&pl.users, 1);
	CHECK(
	    ec_plan_touched(&pl, u1, (uint32_t)ec_index_find(&pl.items, 104)));
	CHECK(
	    !ec_plan_touched(&pl, u1, (uint32_t)ec_index_find(&pl.items, 201)));
	/* the pool counts touched items once, not their positives again */
	CHECK_EQ_INT(pl.pool_touched[u1], 4);
	ec_plan_free(&pl);
	/* strictly, every positive here follows a touch: nobody has a
	 * target */
	REQUIRE(ec_plan_build(&pl, &lp, at, NULL, g_n, NULL, 0, false) == 0);
	CHECK_EQ_INT(pl.n_test, 0);
	CHECK_EQ_INT(pl.users_skipped, 2);
	ec_plan_free(&pl);
}

static void candidates(void)
{
	struct lrn_params lp;
	lrn_params_default(&lp);
	g_n = 0;
	/* user 1 touches items 1..20 of a 200-item catalog */
	for (unsigned i = 1; i <= 20; i++)
		add(1, EVT_CLICK, i, i, 0);
	/* user 2 touches 39 (1, 6, ... 191) */
	for (unsigned i = 1; i <= 195; i += 5)
		add(2, EVT_CLICK, i, i, 0);
	uint64_t cat[200];
	for (unsigned i = 0; i < 200; i++)
		cat[i] = i + 1;
	struct ec_plan pl;
	REQUIRE(ec_plan_build(&pl, &lp, at, NULL, g_n, cat, 200, false) == 0);
	CHECK_EQ_INT(pl.n_pool, 200);
	uint32_t u1 = (uint32_t)ec_index_find(&pl.users, 1);
	uint32_t tgt = (uint32_t)ec_index_find(&pl.items, 20);
	uint32_t a[100], b[100], c[100];
	unsigned na = ec_candidates(&pl, u1, tgt, EC_TEST, T0, 100, 7, a);
	unsigned nb = ec_candidates(&pl, u1, tgt, EC_TEST, T0, 100, 7, b);
	unsigned nc = ec_candidates(&pl, u1, tgt, EC_TEST, T0, 100, 8, c);
	CHECK_EQ_INT(na, 100);
	CHECK_EQ_INT(nb, 100);
	CHECK_EQ_INT(nc, 100);
	CHECK(!memcmp(a, b, sizeof(a)));
	CHECK(memcmp(a, c, sizeof(a)) != 0);
	CHECK_EQ_INT(a[99], tgt);
	bool seen[256] = { false };
	for (unsigned j = 0; j < 99; j++) {
		CHECK(!ec_plan_touched(&pl, u1, a[j]));
		CHECK(a[j] != tgt);
		CHECK(!seen[a[j]]);
		seen[a[j]] = true;
	}
	/* the validation target draws its own negatives */
	unsigned nv = ec_candidates(&pl, u1, tgt, EC_VALID, T0, 100, 7, c);
	CHECK_EQ_INT(nv, 100);
	CHECK(memcmp(a, c, sizeof(a)) != 0);
	/* dense: 161 untouched, 99 wanted (fewer than twice as many) */
	uint32_t u2 = (uint32_t)ec_index_find(&pl.users, 2);
	uint32_t t2 = (uint32_t)ec_index_find(&pl.items, 1);
	unsigned free2 = 200 - pl.pool_touched[u2];
	CHECK_EQ_INT(free2, 161);
	memset(seen, 0, sizeof(seen));
	unsigned n2 = ec_candidates(&pl, u2, t2, EC_TEST, T0, 100, 7, a);
	CHECK_EQ_INT(n2, 100);
	for (unsigned j = 0; j < 99; j++) {
		CHECK(!ec_plan_touched(&pl, u2, a[j]));
		CHECK(!seen[a[j]]);
		seen[a[j]] = true;
	}
	/* the pool runs out: every untouched one (room for n asked) */
	uint32_t all[1000];
	unsigned n3 = ec_candidates(&pl, u2, t2, EC_TEST, T0, 1000, 7, all);
	CHECK_EQ_INT(n3, free2 + 1);
	CHECK_EQ_INT(all[free2], t2);
	ec_plan_free(&pl);
}

/* Items added after a target's time are no candidates of it, on every
 * path (all of them, rejection, dense); unknown added times (0) are there
 * all along. */
static void added_later(void)
{
	struct lrn_params lp;
	lrn_params_default(&lp);
	g_n = 0;
	/* user 1 touches items 1..10 of a 200-item catalog */
	for (unsigned i = 1; i <= 10; i++)
		add(1, EVT_CLICK, i, i, 0);
	uint64_t cat[200];
	int64_t added[200];
	for (unsigned i = 0; i < 200; i++) {
		cat[i] = i + 1;
		/* odd keys from T0 + 1000, 100 and 200 unknown, the rest
		 * long before */
		added[i] = (i + 1) % 2 ? T0 + 1000 : T0 - 86400000;
	}
	added[99] = added[199] = 0;
	struct ec_plan pl;
	REQUIRE(ec_plan_build(&pl, &lp, at, NULL, g_n, cat, 200, false) == 0);
	REQUIRE(ec_plan_added(&pl, cat, added, 200) == 0);
	uint32_t u1 = (uint32_t)ec_index_find(&pl.users, 1);
	uint32_t tgt = (uint32_t)ec_index_find(&pl.items, 10);
	/* the even keys 12..200 are there (95; 100 and 200 of unknown
	 * time) */
	CHECK_EQ_INT(ec_plan_free_at(&pl, u1, T0), 95);
	CHECK_EQ_INT(ec_plan_free_at(&pl, u1, T0 + 999), 95);
	CHECK_EQ_INT(ec_plan_free_at(&pl, u1, T0 + 1000), 190);
	uint32_t out[256];
	unsigned want[] = { 0, 20, 80 }; /* all, rejection, dense */
	for (unsigned w = 0; w < 3; w++) {
		unsigned n =
		    ec_candidates(&pl, u1, tgt, EC_TEST, T0, want[w], 3, out);
		CHECK_EQ_INT(n, want[w] ? want[w] : 96);
		CHECK_EQ_INT(out[n - 1], tgt);
		for (unsigned j = 0; j + 1 < n; j++) {
			uint64_t k = pl.items.keys[out[j]];
			CHECK(k % 2 == 0 && k > 10);
		}
	}
	/* once they are added, they are candidates */
	unsigned n = ec_candidates(&pl, u1, tgt, EC_TEST, T0 + 1000, 0, 3, out);
	CHECK_EQ_INT(n, 191);
	ec_plan_free(&pl);
	/* all unknown: as without */
	memset(added, 0, sizeof(added));
	REQUIRE(ec_plan_build(&pl, &lp, at, NULL, g_n, cat, 200, false) == 0);
	REQUIRE(ec_plan_added(&pl, cat, added, 200) == 0);
	CHECK(pl.pool_added == NULL);
	CHECK_EQ_INT(ec_plan_free_at(&pl, u1, T0), 190);
	ec_plan_free(&pl);
}

/* A do-not-track event is not learned nor counted: no target, no touch
 * (so no popularity either: eval counts touching events). */
static void do_not_track(void)
{
	struct lrn_params lp;
	lrn_params_default(&lp);
	g_n = 0;
	add(1, EVT_CLICK, 101, 0, 0);  /* 0 new positive */
	add(1, EVT_CLICK, 102, 10, 0); /* 1 validation */
	add(1, EVT_CLICK, 103, 20, 0); /* 2 test */
	add(1, EVT_CLICK, 104, 30, 0); /* 3 do-not-track: nothing */
	g_ev[3].flags = EVT_F_DNT;
	add(1, EVT_CLICK, 105, 40, 0); /* 4 do-not-track: nothing */
	g_ev[4].flags = EVT_F_DNT;
	/* user 2: two positives, one of them do-not-track: skipped */
	add(2, EVT_CLICK, 101, 5, 0);
	add(2, EVT_CLICK, 102, 6, 0);
	g_ev[6].flags = EVT_F_DNT;
	CHECK(!ec_touches(&g_ev[3]));
	CHECK(!ec_positive(&lp, &g_ev[3]));
	struct ec_plan pl;
	REQUIRE(ec_plan_build(&pl, &lp, at, NULL, g_n, NULL, 0, true) == 0);
	CHECK_EQ_INT(pl.n_test, 1);
	CHECK_EQ_INT(pl.users_skipped, 1);
	CHECK_EQ_INT(pos_of(&pl, EC_VALID, 1), 1);
	CHECK_EQ_INT(pos_of(&pl, EC_TEST, 1), 2);
	uint32_t u1 = (uint32_t)ec_index_find(&pl.users, 1);
	CHECK(
	    !ec_plan_touched(&pl, u1, (uint32_t)ec_index_find(&pl.items, 104)));
	/* 104 and 105 are in no pool without a catalog: nobody touched them */
	CHECK_EQ_INT(pl.n_pool, 3);
	ec_plan_free(&pl);
}

static void popularity(void)
{
	struct ec_pop p;
	REQUIRE(ec_pop_init(&p, 4) == 0);
	ec_pop_at(&p, 100);
	CHECK(ec_pop_add(&p, 100, 1) == 0);
	CHECK(ec_pop_add(&p, 100, 1) == 0);
	/* another event at the same time sees neither */
	ec_pop_at(&p, 100);
	CHECK_EQ_INT(p.count[1], 0);
	CHECK_EQ_INT(p.total, 0);
	/* a later one sees both */
	ec_pop_at(&p, 101);
	CHECK_EQ_INT(p.count[1], 2);
	CHECK_EQ_INT(p.total, 2);
	CHECK(ec_pop_add(&p, 101, 2) == 0);
	CHECK(ec_pop_add(&p, 101, EC_NONE_ITEM) == 0);
	CHECK_EQ_INT(p.count[2], 0);
	ec_pop_at(&p, 500);
	CHECK_EQ_INT(p.count[2], 1);
	CHECK_EQ_INT(p.total, 3);
	ec_pop_free(&p);
}

static void top_k(void)
{
	double s[] = { 3, 5, 5, 1, 7, 5, 0, 3 };
	uint32_t top[8];
	unsigned m = ec_top_k(s, 8, 4, top);
	CHECK_EQ_INT(m, 4);
	CHECK_EQ_INT(top[0], 4);
	CHECK_EQ_INT(top[1], 1);
	CHECK_EQ_INT(top[2], 2);
	CHECK_EQ_INT(top[3], 5);
	/* the same order met_rank counts */
	for (unsigned j = 0; j < m; j++)
		CHECK_EQ_INT(met_rank(s, 8, top[j]), j + 1);
	CHECK_EQ_INT(ec_top_k(s, 8, 20, top), 8);
	CHECK_EQ_INT(top[7], 6);
	CHECK_EQ_INT(ec_top_k(s, 8, 0, top), 0);
	struct rank_result res[3] = { { .index = 2 }, { .index = 0 },
		{ .index = 1 } };
	CHECK_EQ_INT(ec_result_pos(res, 3, 1), 2);
	CHECK_EQ_INT(ec_result_pos(res, 3, 9), 3);
}

static void index_grows(void)
{
	struct ec_index x;
	memset(&x, 0, sizeof(x));
	for (uint64_t k = 0; k < 5000; k++) {
		uint32_t i;
		REQUIRE(ec_index_add(&x, k * 7919, &i) == 0);
		CHECK_EQ_INT(i, k);
	}
	uint32_t i;
	REQUIRE(ec_index_add(&x, 7919 * 42, &i) == 0);
	CHECK_EQ_INT(i, 42);
	CHECK_EQ_INT(x.n, 5000);
	CHECK_EQ_INT(ec_index_find(&x, 7919ULL * 4999), 4999);
	CHECK_EQ_INT(ec_index_find(&x, 1), -1);
	ec_index_free(&x);
}

int main(void)
{
	targets();
	viewed_targets();
	candidates();
	added_later();
	do_not_track();
	popularity();
	top_k();
	index_grows();
	return check_done("evalcore_protocol");
}
