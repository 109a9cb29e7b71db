/*
 * evalcore: the offline evaluation protocol of `penchant eval`, and what
 * eval and `penchant simulate` share to call the re-ranker. The protocol
 * part is plain functions over plain arrays (no region, no I/O), so a test
 * can check it on a stream it writes by hand; docs/EVAL.md says why each
 * rule is what it is.
 *
 * The stream is the log in event-time order (input order among equal
 * times), handed over by a callback: ec_event_fn(arg, i) is its i-th
 * record.
 *
 * Words:
 *  - an event touches its item when it has one (entity_key != 0) and is
 *    neither an impression nor a search: a view, a click, a rating... An
 *    impression is exposure, not interest, so a shown item stays a valid
 *    negative and a clicked impression a valid target. A do-not-track
 *    event (EVT_F_DNT) touches nothing: the engine neither learns nor
 *    counts it, so it is no target, adds no popularity, and leaves its
 *    item a possible negative and a later positive on it new.
 *  - a positive is a touching event with lrn_signal() > 0 that is not a
 *    view. A new positive is a positive on an item the user had no
 *    positive on before in the stream (viewed targets, the default: a
 *    shopper views what they then buy), or, strictly, had not touched at
 *    all before (not even viewed).
 *  - per user, the test target is the last new positive, the validation
 *    target the one before. A user with fewer than two is skipped.
 *  - the candidate pool is the catalog (every key given), or, without
 *    one, every item the log touches. Negatives are drawn from the pool
 *    items the user never touches anywhere in the log (before or after
 *    the target: a later favourite is no negative) that are in the
 *    catalog at the target's time (added then or before, or added at an
 *    unknown time: ec_plan_added).
 *  - popularity of an item at time t: the touching events on it at times
 *    before t (equal times excluded), over all users.
 *
 * Memory: two 32-bit indices and a byte per event, a 64-bit key and a
 * 32-bit slot per user and item, and a hash set of the (user, item) pairs
 * touched, and of those with a positive (16 bytes per entry, load at most
 * 1/2).
 *
 * Errors are negative errno values. Nothing here prints or keeps global
 * state; one thread per struct.
 */
#ifndef PENCHANT_TOOLS_EVALCORE_H
#define PENCHANT_TOOLS_EVALCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/event.h"
#include "engine/item.h"
#include "engine/learn.h"
#include "engine/rank.h"
#include "engine/rng.h"
#include "shm/neighbors.h"
#include "shm/region.h"

#define EC_NONE_ITEM UINT32_MAX /* an event without an item */

/* --- keys to dense indices -------------------------------------------- */

/* 64-bit keys numbered 0, 1, ... in order of first insertion. */
struct ec_index {
	uint64_t *keys; /* keys[0..n) */
	uint32_t n, kcap;
	uint32_t *slots; /* index + 1, 0 free; cap a power of two */
	uint32_t cap;
};

/* The index of key, inserted when new (*out). 0, -ENOMEM or -E2BIG (more
 * than 2^31 keys). Key 0 is a key like any other. */
int ec_index_add(struct ec_index *x, uint64_t key, uint32_t *out);
/* The index of key, or -1. */
int64_t ec_index_find(const struct ec_index *x, uint64_t key);
void ec_index_free(struct ec_index *x);

/* --- the plan: targets, touched pairs, the pool ----------------------- */

enum ec_split { EC_NONE = 0, EC_VALID = 1, EC_TEST = 2 };

struct ec_plan {
	size_t n;	   /* events in the stream */
	uint32_t *ev_user; /* per stream position: user index */
	uint32_t *ev_item; /* item index, EC_NONE_ITEM when none */
	uint8_t *split;	   /* enum ec_split of each position */
	struct ec_index users, items;
	uint64_t *pairs; /* set of (user + 1) << 32 | item touched; 0 free */
	size_t pcap, npairs;
	uint32_t *pool; /* item indices negatives are drawn from */
	uint32_t n_pool;
	uint32_t *pool_touched; /* per user: pool items touched */
	/* ec_plan_added: per pool position its added time (INT64_MIN:
	 * unknown); the same sorted; per user the added times of the pool
	 * items they touch, sorted (user u's at ut_added[ut_off[u] ..
	 * ut_off[u + 1])). NULL: every item is there all along. */
	int64_t *pool_added, *added_sorted, *ut_added;
	size_t *ut_off;
	uint64_t n_valid, n_test; /* targets marked */
	uint64_t users_skipped;	  /* users with < 2 new positives */
	/* sampling scratch: a stamp per pool item, a list */
	uint32_t *mark, stamp, *scratch;
};

typedef const struct evt_record *(*ec_event_fn)(const void *arg, size_t i);

/* Whether e touches its item, and whether it is positive as the header
 * says (a new positive is a positive on an untouched item). */
bool ec_touches(const struct evt_record *e);
bool ec_positive(const struct lrn_params *lp, const struct evt_record *e);

/*
 * Walks the stream once: indexes users and items, records touched pairs,
 * marks each user's validation and test targets. The pool is catalog[0..
 * n_catalog) (keys; repeats ignored) when n_catalog > 0, else the items
 * the stream touches, in order of first appearance. 0 or -ENOMEM. Free with
 * ec_plan_free() either way.
 */
int ec_plan_build(struct ec_plan *pl, const struct lrn_params *lp,
    ec_event_fn ev, const void *arg, size_t n, const uint64_t *catalog,
    size_t n_catalog, bool viewed_targets);
void ec_plan_free(struct ec_plan *pl);

/* Whether the user ever touches the item in the stream. */
bool ec_plan_touched(const struct ec_plan *pl, uint32_t user, uint32_t item);

/*
 * When the pool's items entered the catalog: added_ms[i] of key keys[i]
 * (0: unknown, there all along; keys outside the pool ignored). An item
 * added after a target's time is no candidate of it: drawn as a negative
 * it would be one the user could not have chosen, and it looks fresher
 * than anything then in the catalog. 0 or -ENOMEM.
 */
int ec_plan_added(struct ec_plan *pl, const uint64_t *keys,
    const int64_t *added_ms, size_t n);

/* The pool items the user never touches that are in the catalog at time
 * t: how many negatives a target of theirs at t can have. */
uint32_t ec_plan_free_at(const struct ec_plan *pl, uint32_t user, int64_t t);

/*
 * The candidates of one target at time t into out: n - 1 pool items the
 * user never touches, in the catalog at t, drawn uniformly without
 * replacement by a generator seeded with (seed, user key, split), in draw
 * order, then the target last (ties then rank it pessimistically). n ==
 * 0: every such pool item, in pool order, then the target. Fewer when the
 * pool runs out. Returns the count (out needs room for n, or n_pool + 1
 * when n is 0).
 */
unsigned ec_candidates(struct ec_plan *pl, uint32_t user, uint32_t target,
    unsigned split, int64_t t, unsigned n, uint64_t seed, uint32_t *out);

/* A seed for (seed, a, b): splitmix of the three. */
uint64_t ec_seed(uint64_t seed, uint64_t a, uint64_t b);

/* --- popularity as of a time ------------------------------------------ */

/*
 * Running counts of touching events per item. Events of the current time
 * are held back until the stream moves past it, so at an event of time t
 * count[] holds exactly the events before t.
 */
struct ec_pop {
	uint64_t *count; /* per item index, n_items */
	uint32_t n_items;
	uint64_t total; /* sum of count[] */
	uint32_t *pend; /* items of events at time pend_t, not yet counted */
	size_t npend, pcap;
	int64_t pend_t;
};

int ec_pop_init(struct ec_pop *p, uint32_t n_items); /* 0 or -ENOMEM */
/* The stream is at time t: counts events before t. Call first at every
 * event, then ec_pop_add() when it touches an item. */
void ec_pop_at(struct ec_pop *p, int64_t t);
int ec_pop_add(struct ec_pop *p, int64_t t, uint32_t item); /* 0, -ENOMEM */
void ec_pop_free(struct ec_pop *p);

/* --- item neighbours, driven by event time ----------------------------- */

/*
 * The segmenter's neighbour counting (shm/neighbors.h) over a replay's
 * region, as a live instance would do it: a pass (nbrs_pass: the fresh
 * seen[] entries of every profile that changed, added to counts kept
 * across passes) every neighbor_interval_s of event time, on a grid from
 * the first pass. The live segmenter passes every interval of wall time,
 * whether or not anyone asks for a ranking: what a profile remembers at
 * each pass is counted then, even if it is pushed out of seen[] before
 * the next ranking. A pass made at t holds the events before t, so a
 * ranking at t sees lists of what came before it.
 *
 * The caller asks ec_nbr_due(t) at every event of time t before applying
 * it, and when it says so applies everything before and calls
 * ec_nbr_at(t). ec_nbr_user() sums a profile's history lists;
 * ec_nbr_cf() is then a candidate's cf (rank_cand.collab). A zeroed
 * struct is closed; without a neighbour table (neighbor_items 0)
 * everything is 0 and no pass is ever due.
 */
struct ec_nbr {
	struct nbrs_feed feed;
	bool on;
	int64_t t, every_ms; /* t: the grid point of the last pass */
	struct nbr_acc acc;
};

/* 0, or a negative errno (-ENOMEM). */
int ec_nbr_open(struct ec_nbr *n, const struct reg *r, const struct cfg *c);
/* Whether a pass is due at event time t (a grid point at or before t
 * since the last pass). */
bool ec_nbr_due(const struct ec_nbr *n, int64_t t);
/* The pass due at t, if any (the grid moves to the last point <= t). */
void ec_nbr_at(struct ec_nbr *n, const struct reg *r, int64_t t);
void ec_nbr_user(struct ec_nbr *n, const struct reg *r,
    const struct lrn_profile *p);
float ec_nbr_cf(const struct ec_nbr *n, uint64_t entity_key);
void ec_nbr_close(struct ec_nbr *n);

/* --- calling the re-ranker -------------------------------------------- */

/* The rank context of an event: its time, offset, location cell's
 * centre, weather, company, device and platform. */
void ec_event_ctx(const struct evt_record *e, struct rank_ctx *ctx);

/* Sets ctx's location to the centre of geo cell `cell` (engine/geo.h);
 * 0 or a cell that does not decode: no location. */
void ec_cell_ctx(uint64_t cell, struct rank_ctx *ctx);

/*
 * Position (0-based) of candidate `index` in the first n results, or n
 * when absent.
 */
unsigned ec_result_pos(const struct rank_result *res, unsigned n,
    uint32_t index);

/*
 * The top k of scores[0..n) by descending score, ties to the lower index
 * (the order met_rank() counts), into top (room for min(n, k)). Returns
 * how many.
 */
unsigned ec_top_k(const double *scores, unsigned n, unsigned k, uint32_t *top);

#endif
