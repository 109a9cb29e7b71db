/* worker_exactly_once_kill: shard workers SIGKILLed 20 times under load and restarted (shard_recover + shard_poll) apply every published event exactly once: every profile equals a local lrn_apply replay. */
/*
 * Setup: 2 shards, 2 producer slots (the producer uses slot 1), 1024-deep
 * rings, a catalog of entities and tag names. A forked producer publishes
 * M deterministic events over U users; one forked worker per shard applies
 * them. The parent kills a worker at 20 points spread over the load
 * (deterministic PRNG: which shard, which progress point, a short random
 * delay), reaps it and forks a new one. The last generation runs wrk_main
 * and leaves when the region is DRAINING and its rings are empty. Then every
 * user's profile in shm must equal the replay of its events (one producer, so
 * each user's events keep their order) through lrn_apply in a local array.
 */
#include <sched.h>
#include <string.h>

#include "shm/ring.h"
#include "shm/catalog.h"
#include "shm/profiles.h"
#include "shmtest.h"
#include "shm/shard.h"
#include "workers/worker.h"

#define M 300000u
#define U 5000u
#define SHARDS 2u
#define SLOT 1u
#define KILLS 20
#define ENTITIES 300u /* in the catalog */
#define UNKNOWN 40u   /* entities not in the catalog */
#define TAGS 40u
#define CATS 10u
#define SEED 0xE4AC71C0FFEEULL
#define HANG_NS 60000000000LL

struct ctl {
	volatile int stop; /* producer done: the loop workers may leave */
};

static struct reg g_r;
static const char *g_inst;
static struct ctl *g_ctl;
static struct evt_record *g_events;
static uint16_t *g_uidx; /* user index of each event */
static uint64_t g_users[U];
static uint64_t g_ent_key[ENTITIES + UNKNOWN];
static struct lrn_item g_items[ENTITIES];

static uint32_t tag_id(unsigned i)
{
	return 1000 + i;
}
static uint32_t cat_id(unsigned i)
{
	return 5000 + i;
}

static void make_catalog(uint64_t *seed)
{
	char err[256];
	REQUIRE(cat_lock(&g_r, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < TAGS; i++) {
		char name[16];
		int n = snprintf(name, sizeof(name), "tag%u", i);
		REQUIRE(cat_name_put(&g_r, NAME_TAG, tag_id(i), name,
			    (size_t)n) == 0);
	}
	for (unsigned i = 0; i < CATS; i++) {
		char name[16];
		int n = snprintf(name, sizeof(name), "cat%u", i);
		REQUIRE(cat_name_put(&g_r, NAME_CATEGORY, cat_id(i), name,
			    (size_t)n) == 0);
	}
	for (unsigned i = 0; i < ENTITIES + UNKNOWN; i++) {
		char id[24];
		int n = snprintf(id, sizeof(id), "ent-%u", i);
		g_ent_key[i] = evt_entity_key(id, (size_t)n);
	}
	for (unsigned i = 0; i < ENTITIES; i++) {
		struct cat_item it;
		memset(&it, 0, sizeof(it));
		it.item.category =
		    i % 7 ? cat_id((unsigned)(st_rand(seed) % CATS)) : 0;
		it.item.n_tags = (uint8_t)(st_rand(seed) % (LRN_ITEM_TAGS + 1));
		for (unsigned t = 0; t < it.item.n_tags; t++)
			it.item.tags[t] =
			    tag_id((unsigned)(st_rand(seed) % TAGS));
		it.price_level = 255;
		g_items[i] = it.item;
		REQUIRE(cat_put(&g_r, g_ent_key[i], &it) == 0);
	}
	cat_unlock(&g_r);
}

static void make_events(uint64_t *seed)
{
	for (unsigned u = 0; u < U; u++) {
		char id[16];
		int n = snprintf(id, sizeof(id), "u%u", u);
		g_users[u] = evt_user_key(NULL, id, (size_t)n);
	}
	g_events = calloc(M, sizeof(*g_events));
	g_uidx = calloc(M, sizeof(*g_uidx));
	REQUIRE(g_events && g_uidx);
	int64_t t = 1700000000000LL;
	for (unsigned i = 0; i < M; i++) {
		struct evt_record *e = &g_events[i];
		uint64_t x = st_rand(seed);
		g_uidx[i] = (uint16_t)(x % U);
		e->user_key = g_users[x % U];
		x /= U;
		t += 60000;
		/* Some events arrive late: exercises decay of old contributions. */
		e->time_ms = x % 10 ? t : t - (int64_t)(x % 3) * LRN_DAY_MS;
		x = st_rand(seed);
		e->type = (uint8_t)(x % EVT_TYPE_COUNT);
		x /= EVT_TYPE_COUNT;
		if (e->type == EVT_SEARCH) {
			e->n_tokens = (uint8_t)(1 + x % EVT_SEARCH_TOKENS);
			for (unsigned k = 0; k < e->n_tokens; k++) {
				uint64_t y = st_rand(seed);
				e->tokens[k] = y % 4 == 0
				    ? 77777u + (uint32_t)(y % 9)
				    : y % 4 == 1 ? cat_id((unsigned)(y % CATS))
						 : tag_id((unsigned)(y % TAGS));
			}
		} else {
			e->entity_key = g_ent_key[x % (ENTITIES + UNKNOWN)];
			if (x % 97 == 0)
				e->entity_key = 0;
		}
		x = st_rand(seed);
		if (e->type == EVT_FEEDBACK)
			e->feedback = (int8_t)((int)(x % 3) - 1);
		x /= 3;
		e->device = (uint8_t)(x % EVT_DEV_COUNT);
		x /= EVT_DEV_COUNT;
		e->platform = (uint8_t)(x % EVT_PLAT_COUNT);
		x /= EVT_PLAT_COUNT;
		e->daypart = (uint8_t)(x % EVT_DP_COUNT);
		x /= EVT_DP_COUNT;
		e->weekday = (uint8_t)(x % 7);
		x /= 7;
		e->geo_cell = x % 3 ? 0 : 0x1234500 + x % 5;
		x /= 15;
		e->position = (uint16_t)(x % 12);
		e->dwell_ms = (uint32_t)(x % 50000);
		e->scroll_depth = x % 2 ? -1.0f : (float)(x % 100) / 100.0f;
	}
}

static unsigned entity_index(uint64_t key)
{
	for (unsigned i = 0; i < ENTITIES; i++)
		if (g_ent_key[i] == key)
			return i;
	return ~0u;
}

/* What the worker's _item_of computes, from the local catalog copy. */
static const struct lrn_item *expected_item(const struct evt_record *e,
    struct lrn_item *sbuf)
{
	if (e->type == EVT_SEARCH) {
		memset(sbuf, 0, sizeof(*sbuf));
		for (unsigned i = 0;
		     i < e->n_tokens && sbuf->n_tags < LRN_ITEM_TAGS; i++)
			if (e->tokens[i] >= tag_id(0) &&
			    e->tokens[i] < tag_id(TAGS))
				sbuf->tags[sbuf->n_tags++] = e->tokens[i];
		return sbuf;
	}
	unsigned k = e->entity_key ? entity_index(e->entity_key) : ~0u;
	return k == ~0u ? NULL : &g_items[k];
}

static int producer(void *arg)
{
	(void)arg;
	struct reg r;
	char err[256];
	if (reg_attach(&r, g_inst, NULL, err, sizeof(err)))
		return 2;
	struct reg_producer *slot = reg_producer(&r, SLOT);
	if (!ck_pr_cas_int(&slot->owner, 0, getpid()))
		return 3;
	struct ring_producer pr;
	ring_producer_init(&pr, &r, SLOT);
	int64_t until = st_mono_ns() + HANG_NS;
	for (unsigned i = 0; i < M; i++) {
		const struct evt_record *e = &g_events[i];
		unsigned s = reg_shard_of(e->user_key, SHARDS);
		unsigned spins = 0;
		while (!ring_stage(&pr, s, e)) {
			ring_commit(&pr);
			if (++spins % 64 == 0) {
				st_sleep_us(20);
				if (st_mono_ns() > until)
					return 4;
			} else {
				sched_yield();
			}
		}
		if (ring_staged(&pr) >= 32)
			ring_commit(&pr);
	}
	ring_commit(&pr);
	slot->published = M;
	reg_detach(&r);
	return 0;
}

/* A killable generation: recover, then poll until told to stop. */
static int worker_loop(void *arg)
{
	unsigned s = (unsigned)(uintptr_t)arg;
	shard_recover(&g_r, s);
	int64_t until = st_mono_ns() + HANG_NS;
	for (;;) {
		if (shard_poll(&g_r, s, 64))
			continue;
		if (g_ctl->stop) {
			int empty = 1;
			for (unsigned p = 0; p < g_r.hdr->geo.producer_slots;
			     p++)
				empty &= ring_ready(reg_ring(&g_r, p, s)) == 0;
			if (empty)
				return 0;
		}
		if (st_mono_ns() > until)
			return 5;
		sched_yield();
	}
}

/* The last generation: the real worker body, until DRAINING and empty. */
static int worker_main(void *arg)
{
	unsigned s = (unsigned)(uintptr_t)arg;
	struct wrk_options o = { .batch = 64,
		.idle_spin_us = 50,
		.sleep_ms = 5 };
	return wrk_main(&g_r, s, &o);
}

static uint64_t progress(void)
{
	uint64_t n = 0;
	for (unsigned s = 0; s < SHARDS; s++)
		n += ck_pr_load_64(&reg_ring(&g_r, SLOT, s)->applied_seq);
	return n;
}

static int same_weights(const struct lrn_weight *a, const struct lrn_weight *b,
    unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i].id != b[i].id || a[i].n != b[i].n ||
		    !(fabs(a[i].w - b[i].w) <= 1e-9))
			return 0;
	return 1;
}

static int same_profile(const struct lrn_profile *a,
    const struct lrn_profile *b)
{
	if (a->user_key != b->user_key || a->first_ms != b->first_ms ||
	    a->last_ms != b->last_ms || a->events != b->events ||
	    a->unknown != b->unknown || a->displaced != b->displaced ||
	    memcmp(a->counts, b->counts, sizeof(a->counts)) ||
	    memcmp(a->hours, b->hours, sizeof(a->hours)) ||
	    memcmp(a->devices, b->devices, sizeof(a->devices)) ||
	    memcmp(a->platforms, b->platforms, sizeof(a->platforms)))
		return 0;
	for (unsigned i = 0; i < LRN_GEO; i++)
		if (a->geo_cell[i] != b->geo_cell[i] ||
		    a->geo_n[i] != b->geo_n[i] ||
		    a->geo_day[i] != b->geo_day[i])
			return 0;
	return same_weights(a->tags, b->tags, LRN_TAGS) &&
	    same_weights(a->cats, b->cats, LRN_CATS);
}

int main(void)
{
	st_init(110);
	g_inst = st_instance("exactly-once");
	uint64_t seed = SEED;
	struct reg_geometry g = st_geo(SHARDS, 2, 1024, 4096, 512, 128);
	st_create(&g_r, g_inst, &g, REG_RUNNING);
	g_ctl = st_shared(sizeof(*g_ctl));
	make_catalog(&seed);
	make_events(&seed);

	pid_t workers[SHARDS];
	for (unsigned s = 0; s < SHARDS; s++)
		workers[s] = st_fork(worker_loop, (void *)(uintptr_t)s);
	pid_t prod = st_fork(producer, NULL);

	/* Kill points spread over the load, with jitter. */
	unsigned kills = 0, late = 0;
	uint64_t kseed = SEED ^ 0x51;
	for (int k = 0; k < KILLS; k++) {
		uint64_t target = (uint64_t)(k + 1) * M / (KILLS + 2) +
		    st_rand(&kseed) % (M / (2 * (KILLS + 2)));
		unsigned s = (unsigned)(st_rand(&kseed) % SHARDS);
		unsigned delay_us = (unsigned)(st_rand(&kseed) % 3000);
		int64_t until = st_mono_ns() + HANG_NS;
		while (progress() < target) {
			if (waitpid(prod, NULL, WNOHANG) == prod) {
				REQUIRE(!"producer exited early");
			}
			REQUIRE(st_mono_ns() < until);
			st_sleep_us(100);
		}
		/* A few ms at most: the kill lands somewhere in the apply loop. */
		int64_t t0 = st_mono_ns();
		while (st_mono_ns() - t0 < (int64_t)delay_us * 1000)
			;
		if (progress() >= M)
			late++;
		REQUIRE(kill(workers[s], SIGKILL) == 0);
		int st = st_wait(workers[s]);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		kills++;
		workers[s] = st_fork(k >= KILLS - 2 ? worker_main : worker_loop,
		    (void *)(uintptr_t)s);
	}
	/* Loop generations leave on `stop`, wrk_main ones on DRAINING. */
	CHECK(st_wait_ok(prod, "producer"));
	g_ctl->stop = 1;
	ck_pr_store_uint(&g_r.hdr->state, REG_DRAINING);
	for (unsigned s = 0; s < SHARDS; s++)
		CHECK(st_wait_ok(workers[s], "worker"));

	/* Rings: everything published was taken and applied. */
	uint64_t per_shard[SHARDS] = { 0 };
	for (unsigned i = 0; i < M; i++)
		per_shard[reg_shard_of(g_events[i].user_key, SHARDS)]++;
	uint64_t recovered = 0, skipped = 0;
	for (unsigned s = 0; s < SHARDS; s++) {
		struct ring_block *b = reg_ring(&g_r, SLOT, s);
		CHECK_EQ_INT(b->next_seq, per_shard[s]);
		CHECK_EQ_INT(b->applied_seq, per_shard[s]);
		CHECK_EQ_INT(ring_backlog(b), 0);
		CHECK_EQ_INT(reg_ring(&g_r, 0, s)->applied_seq, 0);
		CHECK_EQ_INT(reg_shard(&g_r, s)->intent.valid, 0);
		const uint64_t *c =
		    reg_proc(&g_r, reg_proc_worker(&g_r, s))->counters;
		recovered += c[REG_C_RECOVERED];
		skipped += c[REG_C_SKIPPED];
	}

	/* The replay. */
	struct lrn_profile *want = calloc(U, sizeof(*want));
	unsigned char *seen = calloc(U, 1);
	REQUIRE(want && seen);
	for (unsigned u = 0; u < U; u++)
		lrn_profile_init(&want[u], g_users[u]);
	for (unsigned i = 0; i < M; i++) {
		const struct evt_record *e = &g_events[i];
		unsigned u = g_uidx[i];
		struct lrn_item sbuf;
		lrn_apply(&want[u], &g_r.hdr->params, e,
		    expected_item(e, &sbuf));
		seen[u] = 1;
	}
	unsigned users = 0, wrong = 0;
	for (unsigned u = 0; u < U; u++) /* as prof_read gives a profile */
		lrn_settle(&want[u], &g_r.hdr->params, sizeof(want[u]));
	for (unsigned u = 0; u < U; u++) {
		struct lrn_profile got;
		int rc = prof_read(&g_r, g_users[u], &got);
		if (!seen[u]) {
			CHECK_EQ_INT(rc, -ENOENT);
			continue;
		}
		users++;
		if (rc) {
			fprintf(stderr, "u%u: prof_read %d\n", u, rc);
			wrong++;
			continue;
		}
		if (!same_profile(&got, &want[u])) {
			if (wrong < 5)
				fprintf(stderr,
				    "u%u: profile differs: events %u want %u, views %u want %u, tag0 %.12g want %.12g\n",
				    u, got.events, want[u].events,
				    got.counts[0], want[u].counts[0],
				    got.tags[0].w, want[u].tags[0].w);
			wrong++;
		}
	}
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(reg_shard(&g_r, 0)->count + reg_shard(&g_r, 1)->count,
	    users);
	struct lrn_profile none;
	CHECK_EQ_INT(prof_read(&g_r, evt_user_key(NULL, "nobody", 6), &none),
	    -ENOENT);
	printf(
	    "%u events, %u users, %u kills (%u after the load), %llu half-applied events rolled back, %llu applied records skipped, %u profiles wrong\n",
	    M, users, kills, late, (unsigned long long)recovered,
	    (unsigned long long)skipped, wrong);

	free(want);
	free(seen);
	free(g_events);
	free(g_uidx);
	reg_detach(&g_r);
	reg_unlink(g_inst);
	return check_done("worker_exactly_once_kill");
}
