/* client_hot: pen_profile_hot_read (and its batch form) gives exactly what pen_profile_read gives for the same fields, in the same order, on profiles of every shape (full tables, candidates, both horizons, dayparts); errors as pen_profile_read's. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "penchant.h"
#include "shm/profiles.h"
#include "shmtest.h"

#define USERS 300

static void same_interest(const struct pen_hot_interest *h,
    const struct pen_interest *f, int cat)
{
	CHECK_EQ_INT(h->id, f->id);
	CHECK_EQ_INT(h->evidence, f->evidence);
	/* Same copy, same arithmetic: equal to the bit. */
	CHECK(h->weight == f->weight);
	CHECK(h->short_weight == f->short_weight);
	CHECK(h->confidence == f->confidence);
	CHECK(memcmp(h->dayparts, f->dayparts, 4) == 0);
	if (!cat)
		CHECK(h->dayparts[0] + h->dayparts[1] + h->dayparts[2] +
			h->dayparts[3] ==
		    0);
}

/* User u's events: a few to a few hundred, over up to 20 categories and
 * 60 tags, several hours and days, positive and negative verbs. */
static void fill(struct reg *r, unsigned u, uint64_t *rng)
{
	char id[16];
	int n = snprintf(id, sizeof(id), "hot%u", u);
	uint64_t key = evt_user_key(NULL, id, (size_t)n);
	struct prof_ref ref;
	REQUIRE(prof_find_or_insert(r, 0, key, &ref) == 0);
	struct prof_slot *slot = reg_shard_records(r, 0) + ref.rec;
	static const uint8_t types[] = { EVT_VIEW, EVT_VIEW, EVT_VIEW,
		EVT_CLICK, EVT_SAVE, EVT_RSVP, EVT_SHARE, EVT_FEEDBACK };
	unsigned events = 1 + (unsigned)(st_rand(rng) % (u % 3 ? 40 : 400));
	int64_t t = 1764000000000LL;
	for (unsigned k = 0; k < events; k++) {
		struct evt_record e;
		memset(&e, 0, sizeof(e));
		e.user_key = key;
		e.type = types[st_rand(rng) % sizeof(types)];
		e.feedback = st_rand(rng) % 4 ? 1 : -1;
		e.entity_key = 1 + st_rand(rng) % 1000;
		t += (int64_t)(st_rand(rng) % 7200000);
		e.time_ms = t;
		e.scroll_depth = -1.0f;
		e.daypart = (uint8_t)(st_rand(rng) % 4);
		e.weekday = (uint8_t)(st_rand(rng) % 7);
		struct lrn_item it = { .category =
					   1 + (uint32_t)(st_rand(rng) % 20),
			.n_tags = 3 };
		for (unsigned j = 0; j < 3; j++)
			it.tags[j] = 100 + (uint32_t)(st_rand(rng) % 60);
		prof_write_begin(slot);
		lrn_apply(&slot->p, &r->hdr->params, &e, &it);
		prof_write_end(slot);
	}
}

int main(void)
{
	st_init(60);
	const char *inst = st_instance("hot");
	struct reg_geometry g = st_geo(1, 4, 64, 1024, 16, 16);
	struct reg r;
	st_create(&r, inst, &g, REG_RUNNING);
	uint64_t rng = 7;
	for (unsigned u = 0; u < USERS; u++)
		fill(&r, u, &rng);

	pen_t *p = NULL;
	char err[256];
	REQUIRE(pen_open(inst, &p, err, sizeof(err)) == 0);
	/* Prefaulting maps, reads nothing wrong, writes nothing. */
	int wrc = pen_warm(p);
	CHECK(wrc == 0 || wrc == -EINVAL);
	CHECK_EQ_INT(pen_warm(NULL), -EINVAL);
	unsigned full_tables = 0, with_short = 0;
	for (unsigned u = 0; u < USERS; u++) {
		char id[16];
		size_t n = (size_t)snprintf(id, sizeof(id), "hot%u", u);
		static struct pen_profile f;
		struct pen_profile_hot h;
		memset(&h, 0xa5, sizeof(h));
		/* The hot read first: the stack it copies into must not hold
		 * this user's full copy already. */
		REQUIRE(pen_profile_hot_read(p, id, n, &h) == 0);
		REQUIRE(pen_profile_read(p, id, n, &f, 0) == 0);
		CHECK(h.user_key == f.user_key);
		CHECK(h.first_ms == f.first_ms && h.last_ms == f.last_ms);
		CHECK_EQ_INT(h.events, f.events);
		CHECK(h.confidence == f.confidence);
		CHECK_EQ_INT(h.n_tags, f.n_tags);
		CHECK_EQ_INT(h.n_cats, f.n_cats);
		for (unsigned i = 0; i < h.n_tags && i < f.n_tags; i++)
			same_interest(&h.tags[i], &f.tags[i], 0);
		for (unsigned i = 0; i < h.n_cats && i < f.n_cats; i++) {
			same_interest(&h.cats[i], &f.cats[i], 1);
			with_short += h.cats[i].short_weight != 0.0;
		}
		full_tables += f.n_tags == 12 && f.n_candidates > 0;
		for (unsigned i = 0; i < 4; i++)
			CHECK(h.reserved[i] == 0);
	}
	/* The population covers what it means to. */
	CHECK(full_tables > 20);
	CHECK(with_short > 100);

	/* A batch reads what single reads read, in its order, across chunks
	 * and pipeline edges: every user, every third one unknown. */
	enum { N = USERS + USERS / 2 };
	static char ids[N][16];
	static struct pen_user us[N];
	static struct pen_profile_hot many[N];
	static int rcs[N];
	int known = 0;
	for (unsigned i = 0; i < N; i++) {
		int n = i % 3 == 2 ? snprintf(ids[i], 16, "nobody%u", i)
				   : snprintf(ids[i], 16, "hot%u", known++);
		us[i] = (struct pen_user){ ids[i], (size_t)n };
	}
	CHECK_EQ_INT(pen_profile_hot_read_many(p, us, N, many, rcs), known);
	for (unsigned i = 0; i < N; i++) {
		struct pen_profile_hot one;
		int rc = pen_profile_hot_read(p, us[i].id, us[i].len, &one);
		CHECK_EQ_INT(rcs[i], rc);
		if (rc != 0)
			continue;
		CHECK(one.user_key == many[i].user_key &&
		    one.events == many[i].events &&
		    one.last_ms == many[i].last_ms &&
		    one.confidence == many[i].confidence);
		CHECK(one.n_tags == many[i].n_tags &&
		    one.n_cats == many[i].n_cats);
		for (unsigned t = 0; t < one.n_tags && t < many[i].n_tags; t++)
			CHECK(one.tags[t].id == many[i].tags[t].id &&
			    one.tags[t].short_weight ==
				many[i].tags[t].short_weight);
	}
	CHECK_EQ_INT(pen_profile_hot_read_many(p, us, 0, NULL, NULL), 0);
	CHECK_EQ_INT(pen_profile_hot_read_many(p, NULL, 3, many, rcs), -EINVAL);
	us[1].id = NULL;
	CHECK_EQ_INT(pen_profile_hot_read_many(p, us, 3, many, rcs), -EINVAL);

	struct pen_profile_hot h;
	CHECK_EQ_INT(pen_profile_hot_read(p, "nobody", 6, &h), -ENOENT);
	CHECK_EQ_INT(pen_profile_hot_read(p, NULL, 0, &h), -EINVAL);
	CHECK_EQ_INT(pen_profile_hot_read(p, "hot1", 4, NULL), -EINVAL);
	CHECK_EQ_INT(pen_profile_hot_read(NULL, "hot1", 4, &h), -EINVAL);
	__atomic_store_n(&r.hdr->state, (uint32_t)REG_STARTING,
	    __ATOMIC_RELEASE);
	CHECK_EQ_INT(pen_profile_hot_read(p, "hot1", 4, &h), -EINPROGRESS);
	CHECK_EQ_INT(pen_profile_hot_read_many(p, us, 1, many, rcs),
	    -EINPROGRESS);
	pen_close(&p);
	reg_detach(&r);
	reg_unlink(inst);
	return check_done("shm client_hot");
}
