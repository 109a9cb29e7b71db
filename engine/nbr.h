/*
 * nbr: item neighbours, the collaborative signal of the ranker: items that
 * the same users viewed or acted on close together ("who liked this also
 * liked"), learned from the profiles' recent-items memory (seen[],
 * engine/learn.h) as it moves. Plain functions over plain structs: no I/O,
 * no clock, no shared memory. The segmenter feeds every profile's seen[]
 * to an nbr_counts and publishes the lists to shared memory
 * (shm/neighbors.h); `penchant eval` does the same on its replay.
 *
 * Names. An item is its seen[] fold (lrn_seen_fold: 20 bits of its key),
 * not its key: seen[] keeps only that, and the ranker matches neighbours
 * against seen[]. Two items share a fold once in ~10^6 pairs (with 65536
 * items, ~2000 pairs of them): their counts merge.
 *
 * Counting. A user's window is their seen[] entries the user touched
 * (viewed or acted on: a view, a click, a rating, a save...; an entry of
 * impressions only is exposure, not interest), most recent first, at
 * most LRN_SEEN. The caller says how many entries at the front are fresh
 * (new since it last looked at this user). Each fresh entry a, as of the
 * profile's time t, adds w(t) to a's mass m_a, and w(t) to the pair
 * count c_ab of a with every touched entry b behind it in the window
 * (older, or fresh but further back): a pair is counted once, when the
 * later of the two arrives. With half_life_days h > 0, w(t) = 2^((t -
 * t0) / h) (forward decay: the ratios below are those of counts decayed
 * to any common time, and nothing is rescanned to decay them; values are
 * rescaled when they grow large). h = 0: w = 1.
 *
 * Bounded memory. Each item keeps `candidates` pair counters
 * (space-saving, Metwally et al. 2005): a partner already counted adds w;
 * a new partner takes a free counter, or replaces the smallest one,
 * starting from that counter's value plus w. A pair's counter then
 * overestimates its true count by at most the smallest counter of the item
 * (which is at most m_a / candidates), and any partner whose true count
 * exceeds that is held. Items beyond the table's capacity are not counted
 * (nbr_counts.refused).
 *
 * Similarity of a and a partner b (Jaccard over the windows the items
 * were counted in, shrunk toward 0 when the evidence is thin):
 *
 *   sim(a, b) = c / (m_a + m_b - c) * u / (u + shrink),
 *
 * c = min(c_ab, m_a, m_b) (a counter's overestimate may pass a mass), u
 * = c_ab in units of w at the time of a's last count (a pair counted less
 * than min_count there has no similarity); in 0..1. An item's list is its
 * NBR_K partners of the highest similarity (descending; ties to the lower
 * fold), published as 16-bit fractions. Lists are recomputed for the
 * items counted since the last publication (a partner's mass that grew
 * since leaves the sim a little high until the item is counted again).
 * Jaccard rather than a cosine, and touched rather than acted-on
 * entries, measured better on MovieLens (docs/EVAL.md).
 *
 * Scoring (nbr_acc_*): the user's touched seen[] entries (their history
 * H) each bring their item's list; a candidate c scores cf(c) = sum over
 * h in H of sim(h, c) (0 when c is in no list); the ranker turns it
 * into a factor (engine/rank.h, K).
 *
 * Threads: none; one thread per struct.
 */
#ifndef PENCHANT_ENGINE_NBR_H
#define PENCHANT_ENGINE_NBR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/learn.h"

#define NBR_K 32	  /* neighbours published per item */
#define NBR_CAND_MAX 64	  /* pair counters per item, at most */
#define NBR_SIM_ONE 65535 /* a published similarity of 1 */

struct nbr_params {
	unsigned candidates;   /* pair counters per item, NBR_K..NBR_CAND_MAX */
	double half_life_days; /* 0: counts never fade */
	double min_count;      /* smallest pair count that makes a neighbour */
	double shrink;	       /* evidence shrinkage (above), >= 0 */
};

/* One item's published neighbours: NBR_K entries, fold 0 ends the list. */
struct nbr_list {
	uint32_t fold[NBR_K];
	uint16_t sim[NBR_K]; /* sim x NBR_SIM_ONE, descending */
};

/* The counting state: items in a dense array grown as they come, found
 * by fold through an open-addressing table of their indices. Memory:
 * 8 bytes per max_items, plus 24 + 12 x candidates bytes per item held. */
struct nbr_counts {
	struct nbr_params prm;
	uint32_t cap, n; /* index slots (a power of two), items held */
	uint32_t max_items, items_cap;
	size_t stride;	 /* bytes per item */
	uint32_t *slots; /* item index + 1, 0 free */
	unsigned char *items;
	uint32_t *dirty; /* slots counted since the last publication */
	uint32_t n_dirty;
	double t0_ms,
	    inv_half_ms; /* forward decay: w(t) = 2^((t - t0) * inv) */
	bool have_t0;
	uint64_t refused; /* item appearances refused: table full */
	uint64_t pairs;	  /* pair counts added */
};

/* Whether the parameters are in range (candidates NBR_K..NBR_CAND_MAX,
 * the doubles finite and >= 0). */
bool nbr_params_ok(const struct nbr_params *p);

/* A table for up to max_items items (>= 1). 0, -EINVAL or -ENOMEM. */
int nbr_counts_init(struct nbr_counts *x, uint32_t max_items,
    const struct nbr_params *p);
void nbr_counts_free(struct nbr_counts *x);

/*
 * Counts one user's window: fold[0..n) their touched seen[] entries, most
 * recent first (folds of 0 are skipped), the first `fresh` of them new
 * since the last look, as of the profile's time t_ms.
 */
void nbr_counts_window(struct nbr_counts *x, const uint32_t *fold, unsigned n,
    unsigned fresh, int64_t t_ms);

/* An item's mass (0 when not held), in units of w(t0). For tests. */
double nbr_counts_mass(const struct nbr_counts *x, uint32_t fold);

/*
 * The list of every item counted since the last call (in the order they
 * were first counted), handed to emit; then nothing is dirty. Returns how
 * many lists were emitted.
 */
typedef void (*nbr_emit_fn)(void *arg, uint32_t fold, const struct nbr_list *l);
uint32_t nbr_counts_publish(struct nbr_counts *x, nbr_emit_fn emit, void *arg);

/*
 * The list of one item as nbr_counts_publish would emit it; false when
 * the item is not held.
 */
bool nbr_counts_list(const struct nbr_counts *x, uint32_t fold,
    struct nbr_list *out);

/*
 * The counts as bytes, to keep them across restarts (shm/neighbors.h
 * writes them to a file): x->n items of x->stride bytes from
 * nbr_counts_items(). nbr_counts_restore() takes such bytes back into an
 * empty table of the same candidates: every item is checked (a fold, at
 * most `candidates` partners of non-zero folds, finite non-negative
 * values, no fold twice) and marked changed, so the next publication
 * writes every list. 0, -EINVAL (bytes that are not counts: the table
 * is left empty) or -ENOSPC (more items than max_items).
 */
const void *nbr_counts_items(const struct nbr_counts *x);
int nbr_counts_restore(struct nbr_counts *x, const void *items, uint32_t n);

/* --- scoring -------------------------------------------------------- */

/* The history's lists summed by neighbour: a small table of fold -> sum. */
#define NBR_ACC_SLOTS 1024 /* >= 2 x LRN_SEEN x NBR_K, a power of two */
struct nbr_acc {
	struct {
		uint32_t fold; /* 0: free */
		float sum;
	} slot[NBR_ACC_SLOTS];		  /* a probe reads one line */
	uint16_t used[NBR_ACC_SLOTS / 2]; /* slots taken, for clearing */
	unsigned n;
};

/* An all-zero nbr_acc is empty (calloc, = { 0 }); so is one after
 * nbr_acc_clear, which touches only the slots the last sums took. */
void nbr_acc_clear(struct nbr_acc *a);
/* Adds one history item's list, each entry's sim times `weight`. */
void nbr_acc_add(struct nbr_acc *a, const struct nbr_list *l, float weight);
/* cf of a candidate by its fold (lrn_seen_fold of its key): 0 if none. */
float nbr_acc_get(const struct nbr_acc *a, uint32_t fold);

/*
 * The same sums kept by candidate, for a ranking: a table of the
 * candidates' folds (at least two entries a candidate, a power of two),
 * each list entry looked up in it. An entry that is no candidate, most of
 * them, costs one probe and writes nothing; a candidate's sum is the one
 * nbr_acc gives it (the same additions in the same order), and nothing is
 * looked up per candidate afterwards. Candidates that share a fold share
 * a sum. The memory is the caller's (nbr_csum_size bytes, 4-aligned).
 */
struct nbr_csum {
	uint32_t *fold; /* by entry, 0: free */
	float *sum;	/* by entry */
	uint32_t mask;	/* entries - 1 */
	unsigned shift; /* 32 - log2(entries) */
};
size_t nbr_csum_size(size_t n);
/* Sets s up in mem for the n candidate folds (lrn_seen_fold: never 0),
 * every sum 0; idx[i] gets the entry of fold[i] (its sum: sum[idx[i]]). */
void nbr_csum_init(struct nbr_csum *s, void *mem, const uint32_t *fold,
    size_t n, uint32_t *idx);
/* nbr_acc_add, into the candidates' sums only. */
void nbr_csum_add(struct nbr_csum *s, const struct nbr_list *l, float weight);

/* Whether a seen[] entry was touched: viewed or acted on (an entry of
 * impressions only is exposure, not interest). */
bool nbr_touched(const struct lrn_seen_info *s);

/* The folds of the profile's touched seen[] entries, most recent first,
 * into fold (room for LRN_SEEN). Returns how many. */
unsigned nbr_history(const struct lrn_profile *p, uint32_t *fold);

#endif
