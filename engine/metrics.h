/*
 * metrics: recommendation quality, offline and online. Plain functions over
 * plain arrays the caller owns: no I/O, no clock, no allocation, no state
 * beyond the accumulator structs the caller holds. `penchant eval` (replayed
 * logs, one held-out target per user ranked among candidates) and the
 * re-ranker call exactly these functions.
 *
 * Five groups:
 *
 * 1. Ranking quality of one list. The usual offline protocol is
 *    leave-last-out: per user, the held-out item (the target) is ranked among
 *    candidates (1 target + 99 sampled negatives, or the full catalog), and
 *    the target's 1-based rank r (0 = not ranked, e.g. filtered out) gives
 *        HR@k   = 1 if 1 <= r <= k, else 0
 *        NDCG@k = 1 / log2(r + 1) if 1 <= r <= k, else 0
 *        RR     = 1 / r (0 when r = 0); its mean over users is the MRR.
 *    With one relevant item the ideal DCG is 1, so NDCG@k is just the
 *    discounted gain. The general forms take graded gains of a ranked list:
 *        DCG@k  = sum_{i = 1..min(n, k)} g_i / log2(i + 1)
 *        IDCG@k = DCG@k of the relevant gains sorted in descending order
 *        NDCG@k = DCG@k / IDCG@k (0 when IDCG@k is 0)
 *    The gain is linear (g_i as given); for the exponential form pass
 *    2^rel - 1. k = 0 is an empty cutoff (every metric 0); MET_K_ALL is
 *    none. met_rank() turns a score array into the target's rank.
 *
 * 2. Item similarity and intra-list diversity. Items are lrn_item
 *    descriptors (a category id, 0 = none, and up to LRN_ITEM_TAGS tag ids;
 *    ids of 0 and repeats are skipped, n_tags above LRN_ITEM_TAGS reads as
 *    LRN_ITEM_TAGS). With weights w_cat and w_tag (struct met_sim, 0.5 and
 *    0.5 by default):
 *        sim(a, b) = w_cat * [cat_a == cat_b != 0] + w_tag * J(T_a, T_b)
 *        J(A, B)   = |A n B| / |A u B|, and 0 when both sets are empty
 *    An item without a category, or without tags, shares nothing: similarity
 *    is evidence of a common descriptor, and no descriptor is no evidence.
 *    Weights >= 0 summing to 1 keep sim in [0, 1]; they are used as given.
 *    Intra-list diversity (ILD) is the mean pairwise dissimilarity:
 *        ILD = 2 / (n (n - 1)) * sum_{i < j} (1 - sim(i, j)), 0 when n < 2.
 *
 * 3. Exposure over many lists. The caller owns one uint64_t count per
 *    catalog item (items are indices 0 .. n_items-1) and adds every shown
 *    list to it (struct met_exposure). Over those counts c_i, C = sum c_i,
 *    N = n_items:
 *        coverage  = |{i : c_i > 0}| / N
 *        Gini      = sum_{j = 1..N} (2j - N - 1) x_(j) / (N * C), x sorted
 *                    ascending; 0 when every item was shown equally often
 *                    (or C = 0), at most (N - 1) / N (all on one item)
 *        entropy   = -sum_{c_i > 0} (c_i / C) log2(c_i / C) bits (0 if C = 0)
 *        normalized entropy = entropy / log2(N): 1 when every item was shown
 *                    equally often; 0 when C = 0; 1 for N = 1 with C > 0
 *    Novelty is the mean self-information of what was shown, against a
 *    popularity table p_i (e.g. interactions in the training logs; struct
 *    met_pop, P = sum p_i) with add-one smoothing, so an item nobody touched
 *    has a finite value:
 *        share_i = (p_i + 1) / (P + N),   info_i = -log2(share_i)
 *        novelty = sum_i c_i info_i / C   (per impression; 0 when C = 0)
 *    met_novelty_list() is the same mean over one list (per user).
 *
 * 4. Paired bootstrap of a difference of two strategies (a[u], b[u] the
 *    per-user metric of strategies A and B for the same users u = 0..n-1).
 *    Observed difference d = mean_u (a[u] - b[u]). Each of B resamples
 *    draws n users with replacement (rng_below) and takes the mean of
 *    a - b over them; the percentile interval at `level` is the
 *    (1 - level)/2 and (1 + level)/2 quantiles of the B resample means,
 *    linearly interpolated between order statistics (numpy's default
 *    "linear" quantile). Also the share of resample means <= 0, a one-sided
 *    bootstrap p-value for "A is better than B". Pairing keeps the per-user
 *    difficulty out of the variance: the same users go into both means.
 *    Deterministic for a seed: the draws come only from the caller's rng.
 *
 * 5. MMR re-ranking (Carbonell and Goldstein 1998). From n candidates with
 *    relevance scores rel[i] and descriptors, pick k one at a time, each
 *    time the unpicked candidate maximizing
 *        mmr(i) = lambda * rn(i) - (1 - lambda) * max_{j picked} sim(i, j)
 *    (max over nothing = 0). Relevance is min-max normalized over the
 *    candidates, rn(i) = (rel[i] - min) / (max - min), and rn = 0 for all
 *    when every score is equal: with sim in [0, 1] both terms live on
 *    [0, 1], so lambda means the same for any score scale (raw scores,
 *    probabilities, logits). Ties on mmr go to the higher raw relevance,
 *    then the lower input index. lambda = 1 gives exactly the relevance
 *    order (ties by lower index); lambda = 0 picks the most relevant first,
 *    then always the candidate least similar to everything picked so far.
 *    Each pick scans the candidates in relevance order and stops where
 *    lambda * rn can no longer beat the best score so far (nothing later
 *    can). Max-sims are kept per class of candidates with equal
 *    descriptors and brought up to date lazily, only for a candidate the
 *    scan reaches whose score with the max-sim it has (an upper bound:
 *    max-sims only grow) could still win; a candidate's descriptors are
 *    read when a scan first reaches it. Of a class, a scan passes over
 *    only the first candidate not yet picked: the others have the same
 *    penalty and no more relevance, and lose ties. Deep candidates a
 *    scan never reaches cost nothing.
 *
 * 6. DPP re-ranking (greedy MAP inference of a determinantal point process,
 *    Chen, Zhang and Zhou 2018). The kernel over the candidates is
 *        L = diag(q) S diag(q),  S_ij = sim(i, j) (i != j),
 *        S_ii = w_cat + w_tag + MET_DPP_RIDGE
 *    S is a sum of positive semidefinite kernels (a same-category indicator,
 *    the Jaccard (Tanimoto) kernel of the tag sets, a diagonal that tops
 *    every item's self-similarity up to w_cat + w_tag: an item without
 *    descriptors has a feature of its own) plus a ridge, so positive
 *    definite. Quality q_i^2 = exp(theta / (1 - theta) * (rn(i) - 1)), rn
 *    the min-max normalized relevance as in MMR (0 for all when every score
 *    is equal), so that log det L_Y = theta / (1 - theta) * sum_Y (rn - 1)
 *    + log det S_Y: theta in [0, 1] trades relevance (1: relevance order)
 *    against the volume the picks span (0: diversity alone). Each pick adds
 *    the candidate maximizing the gain q_i^2 d_i^2, d_i^2 = S_ii - |c_i|^2
 *    its squared distance, under S, from the span of the picks (c_i its
 *    row of the incremental Cholesky factor). Ties go to the higher raw
 *    relevance, then the lower input index. When every remaining d_i^2 is
 *    below MET_DPP_TOL (only rounding can get there past the ridge) the
 *    rest follow by relevance. With a window w < k (the sliding-window
 *    variant) only the last w picks count: before each pick beyond the
 *    w-th, the oldest pick leaves the factor (Givens rotations bring the
 *    factor without it back to triangular form; each candidate's c_i turns
 *    with them and its d_i^2 gets back what it loses).
 *
 * And a running CTR by list position (struct met_ctr), for online metrics.
 *
 * Errors are negative errno values. Nothing here prints, allocates or keeps
 * hidden state; any process and any thread may call anything here, with
 * the caller serializing access to one accumulator.
 */
#ifndef PENCHANT_ENGINE_METRICS_H
#define PENCHANT_ENGINE_METRICS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/learn.h"
#include "engine/rng.h"

#define MET_K_ALL UINT_MAX /* no cutoff */

/* ---- 1. Ranking quality of one list ---- */

/*
 * 1-based rank of scores[target] among scores[0..n-1], higher first. Ties
 * go to the lower index (the same order a stable sort by descending score
 * gives), so a constant scorer puts the target where the caller placed it:
 * put it last for a pessimistic rank. NaN scores rank below every number.
 * Returns 0 when target >= n. Cost O(n).
 */
unsigned met_rank(const double *scores, unsigned n, unsigned target);

/* Hit rate at k of a single target at rank r (0 = not ranked): 1 when
 * 1 <= r <= k, else 0. */
double met_hr(unsigned r, unsigned k);

/* NDCG at k of a single target at rank r: 1 / log2(r + 1) when 1 <= r <= k,
 * else 0 (1 at the top, 0.5 at r = 3). */
double met_ndcg(unsigned r, unsigned k);

/* Reciprocal rank: 1 / r, 0 for r = 0. */
double met_rr(unsigned r);

/*
 * DCG at k of a ranked list: gains[i] is the gain of the item at rank i + 1
 * (0 for irrelevant items), n of them. Only the first min(n, k) count.
 */
double met_dcg(const double *gains, unsigned n, unsigned k);

/*
 * Ideal DCG at k: DCG of the m relevant gains (any order; the array is not
 * modified) sorted in descending order. Gains should be >= 0. Cost
 * O(m * min(m, k)), no scratch.
 */
double met_idcg(const double *rel_gains, unsigned m, unsigned k);

/*
 * NDCG at k of a ranked list (`gains`, n) against all relevant gains of the
 * user (`rel_gains`, m; those ranked nowhere in the list too, so missing a
 * relevant item costs). 0 when IDCG@k is 0 (nothing relevant, k = 0).
 * With one relevant item of gain 1 at rank r this is met_ndcg(r, k).
 */
double met_ndcg_graded(const double *gains, unsigned n, const double *rel_gains,
    unsigned m, unsigned k);

/*
 * Running mean and variance (Welford), for a per-user metric over users.
 * Zero it (or met_mean_init) to start; `mean` is readable directly.
 */
struct met_mean {
	uint64_t n;
	double mean;
	double m2; /* sum of squared deviations from the mean */
};
void met_mean_init(struct met_mean *m);
void met_mean_add(struct met_mean *m, double x);
/* Adds b's observations into a (Chan et al.): per-shard accumulators
 * merged give the mean and variance of all of them. */
void met_mean_merge(struct met_mean *a, const struct met_mean *b);
/* Sample variance (n - 1 denominator); 0 when n < 2. */
double met_mean_var(const struct met_mean *m);
/* Standard error of the mean, sqrt(var / n); 0 when n < 2. */
double met_mean_se(const struct met_mean *m);

/* ---- 2. Similarity and intra-list diversity ---- */

/* Weights of the similarity; met_sim_default() gives 0.5 and 0.5. */
struct met_sim {
	double w_cat; /* same non-zero category */
	double w_tag; /* Jaccard of the tag sets */
};
void met_sim_default(struct met_sim *s);

/* sim(a, b) of the header comment. Symmetric; sim(a, a) = w_cat + w_tag for
 * an item with a category and a tag. */
double met_item_sim(const struct met_sim *s, const struct lrn_item *a,
    const struct lrn_item *b);

/* Jaccard index of the two tag sets alone (0 when both are empty). */
double met_tag_jaccard(const struct lrn_item *a, const struct lrn_item *b);

/* Intra-list diversity of items[0..n-1] (the shown list, in any order):
 * mean of 1 - sim over the n (n - 1) / 2 pairs; 0 when n < 2. O(n^2). */
double met_ild(const struct met_sim *s, const struct lrn_item *items,
    unsigned n);

/* ---- 3. Exposure over many lists ---- */

/*
 * Exposure counts over the catalog: counts[i] is how often item i was shown.
 * The counts array (n_items entries) belongs to the caller and must outlive
 * the accumulator; the functions below also take it directly, so counts
 * kept elsewhere (shared-memory counters) work the same.
 */
struct met_exposure {
	uint64_t *counts; /* caller's, n_items entries */
	uint32_t n_items; /* catalog size N */
	uint64_t lists;	  /* lists added */
	uint64_t shown;	  /* items added over all lists, C */
};

/* Zeroes counts[0..n_items-1] and the totals. -EINVAL when n_items is 0
 * or counts is NULL. */
int met_exposure_init(struct met_exposure *x, uint64_t *counts,
    uint32_t n_items);

/*
 * Counts one shown list of catalog indices (an item twice in one list
 * counts twice). -ERANGE, and nothing is counted, when an index is
 * >= n_items. An empty list counts as a list.
 */
int met_exposure_add(struct met_exposure *x, const uint32_t *list, unsigned n);

/* Catalog coverage: items with counts[i] > 0, divided by n_items (0 when
 * n_items is 0). */
double met_coverage(const uint64_t *counts, uint32_t n_items);

/*
 * Gini coefficient of the counts (formula in the header comment). `scratch`
 * holds n_items uint64_t; it may be `counts` itself, which then ends up
 * sorted ascending (and no longer indexed by item). 0 when n_items is 0.
 * Cost O(N log N).
 */
double met_gini(const uint64_t *counts, uint32_t n_items, uint64_t *scratch);

/* Shannon entropy of the exposure distribution in bits; *normalized (may be
 * NULL) gets entropy / log2(n_items) (edge cases in the header comment). */
double met_entropy(const uint64_t *counts, uint32_t n_items,
    double *normalized);

/*
 * Popularity table for novelty: counts[i] (n_items entries, the caller's) is
 * item i's popularity, total their sum (met_pop_init adds it up once).
 */
struct met_pop {
	const uint64_t *counts;
	uint32_t n_items;
	uint64_t total;
};
/* -EINVAL when n_items is 0 or counts is NULL. */
int met_pop_init(struct met_pop *p, const uint64_t *counts, uint32_t n_items);

/* Self-information -log2((p_i + 1) / (P + N)) of item i, in bits. An index
 * >= n_items reads as popularity 0 (never seen). */
double met_self_info(const struct met_pop *p, uint32_t item);

/* Mean self-information of one list of catalog indices; 0 when n is 0. */
double met_novelty_list(const struct met_pop *p, const uint32_t *list,
    unsigned n);

/* Mean self-information per impression of exposure counts `exposure`
 * (p->n_items entries, e.g. a met_exposure's counts); 0 when none. */
double met_novelty(const struct met_pop *p, const uint64_t *exposure);

/* ---- 4. Paired bootstrap ---- */

#define MET_BOOT_RESAMPLES 1000
#define MET_BOOT_LEVEL 0.95

struct met_boot_params {
	unsigned resamples; /* B >= 1; default MET_BOOT_RESAMPLES */
	double level;	    /* in (0, 1); default MET_BOOT_LEVEL */
};
void met_boot_default(struct met_boot_params *p);

struct met_boot_ci {
	double diff; /* observed mean of a[u] - b[u] */
	double lo;   /* percentile interval of the resampled means */
	double hi;
	double p_le0; /* share of resample means <= 0 */
};

/*
 * Paired percentile bootstrap of mean(a - b) (header comment, group 4).
 * a and b: n >= 1 finite values each, user u at the same index in both.
 * `scratch` holds prm->resamples doubles (the resample means; left sorted).
 * Draws n * resamples indices from `r`. Cost O(n * B + B log B).
 *
 * Returns 0 and fills *out, or -EINVAL (out untouched) when n is 0,
 * a value is not finite, resamples is 0 or level is not in (0, 1).
 * n = 1: every resample is the one difference, so lo = hi = diff. Two
 * identical arrays give diff = lo = hi = 0 and p_le0 = 1.
 */
int met_bootstrap_diff(const double *a, const double *b, size_t n,
    const struct met_boot_params *prm, struct rng *r, double *scratch,
    struct met_boot_ci *out);

/* ---- 5. MMR re-ranking ---- */

/* Why a picked candidate is where it is. */
struct met_mmr_why {
	uint32_t rel_rank; /* 1-based rank by relevance alone (ties by index) */
	int32_t moved;	   /* rel_rank - new rank: > 0 raised, < 0 pushed
			    * down by diversity, 0 in place */
	double max_sim;	   /* max sim to the candidates picked above it
			    * (0 for the first) */
	double score;	   /* its mmr value when picked */
};

/*
 * met_mmr's working space, per candidate: the caller provides n of them
 * (128 bytes each; the contents are private). They hold each candidate's
 * scaled relevance and class, and per class of equal descriptors its
 * running max-sim and sum, how many picks they cover, and its
 * deduplicated tags with their Bloom filter.
 */
struct met_mmr_slot {
	double w[16];
};
_Static_assert(sizeof(struct met_mmr_slot) == 128, "an MMR slot is 128 bytes");

/* Largest n met_mmr takes: its tag entries are indexed by 32 bits. */
#define MET_MMR_MAX_N (UINT32_MAX / LRN_ITEM_TAGS / 2)

/*
 * Picks min(n, k) of the n candidates (rel[i], items[i]) by MMR (header
 * comment, group 5) and writes their input indices, in the new order, to
 * order[]. why (may be NULL) gets one entry per pick, same order. order and
 * why need room for min(n, k) entries, scratch for n slots. No
 * allocation; cost O(n) to check (O(n log n) when rel is not already in
 * descending order), then per pick the candidates its scan reaches, and
 * for those that could still win one similarity (a category compare, a
 * Bloom test and, when it passes, an intersection count) per pick made
 * since they were last brought up to date. Candidates with equal
 * descriptors (category and tag set) share that work when they list
 * their tags alike (as items of one kind do): it is done once per class
 * of them, and a scan passes over only the first of each class not yet
 * picked (in relevance order), so a pool that repeats descriptors costs
 * less.
 *
 * Returns the number of picks (0 when n or k is 0), or -EINVAL when
 * lambda is not in [0, 1], a relevance score is not finite, a similarity
 * weight is negative or not finite (or w_cat + w_tag overflows), or n >
 * MET_MMR_MAX_N; -ERANGE when max(rel) - min(rel) overflows (scores near
 * DBL_MAX). The max-sim stays below w_cat + w_tag, so no weights make a
 * score -inf here (met_mmr_mean's can). n = 1 picks the one candidate.
 * With lambda = 1 and why == NULL no similarity is computed.
 */
int met_mmr(const double *rel, const struct lrn_item *items, unsigned n,
    unsigned k, double lambda, const struct met_sim *s,
    struct met_mmr_slot *scratch, uint32_t *order, struct met_mmr_why *why);

/*
 * met_mmr with a share `mean` (0..1) of the mean similarity to the picks
 * in the redundancy term (the rest is the max):
 *     mmr(i) = lambda * rn(i) - (1 - lambda) * ((1 - mean) * max_j sim(i, j)
 *              + mean * sum_j sim(i, j) / t)
 * over the t picks so far (both 0 before the first pick; the sum is
 * accumulated in pick order). mean = 0 is met_mmr exactly. ILD is a mean
 * of pairwise dissimilarities: with mean = 1 each pick is the greedy step
 * that trades relevance against exactly what ILD counts, where the max
 * only sees the single most similar pick. Items by pointer (no copy of
 * the descriptors); a NULL item has no category and no tags. -EINVAL also
 * when mean is not in [0, 1]. With mean > 0, weights near DBL_MAX (finite,
 * their sum too, so they pass the checks) can make the summed similarity
 * overflow, and then every score of a pick -inf (or NaN with lambda = 1);
 * that pick has no winner: built with asserts it is an assertion failure,
 * without them -ERANGE, the picks before it written to order and why and
 * the rest of both untouched.
 */
int met_mmr_mean(const double *rel, const struct lrn_item *const *items,
    unsigned n, unsigned k, double lambda, double mean, const struct met_sim *s,
    struct met_mmr_slot *scratch, uint32_t *order, struct met_mmr_why *why);

/*
 * met_mmr_mean's greedy steps on expected DCG@k plus ILD@k: relevance is
 * each candidate's share of the total above the least score, p(i) =
 * (rel[i] - min rel) / sum (rel - min rel) (0 for all when that sum is 0),
 * read as the chance that it is the one wanted. A level every candidate
 * shares says nothing about which one is wanted: with shares of the raw
 * scores, candidates of a uniform base times an affinity of 1..3 were
 * all near 1 / n, and diversity took over (a synthetic shop log: HR@10
 * 0.25 against 0.97 in score order; 0.90 now). Pick
 * t (0-based) fills position t, worth p(i) / log2(t + 2) of expected DCG,
 * and adds its dissimilarity to each of the t picks to ILD's k (k - 1) / 2
 * pairs. It maximizes
 *     mmr_t(i) = lambda * p(i) / log2(t + 2)
 *                - (1 - lambda) * sum_j sim(i, j) / (k (k - 1) / 2)
 * (the score kept, and in why, is mmr_t(i) * log2(t + 2)). Against
 * met_mmr_mean, relevance keeps the scale of the scores (a user whose
 * scores are spread gives up less for diversity than one whose top
 * candidate holds most of the mass), a late pick's relevance counts at a
 * late position's discount, and the redundancy is the sum ILD counts,
 * which grows with the picks. Ties as in met_mmr; lambda = 1 is the
 * relevance order. Cost as met_mmr's. -EINVAL also when a relevance
 * score is negative; -ERANGE when their sum overflows, or when a summed
 * similarity does, with weights near DBL_MAX, as in met_mmr_mean (an
 * assertion failure when built with asserts).
 */
int met_mmr_dcg(const double *rel, const struct lrn_item *const *items,
    unsigned n, unsigned k, double lambda, const struct met_sim *s,
    struct met_mmr_slot *scratch, uint32_t *order, struct met_mmr_why *why);

/* ---- 6. DPP re-ranking ---- */

#define MET_DPP_RIDGE 1e-6 /* added to the diagonal of S */
#define MET_DPP_TOL 1e-9   /* d_i^2 below this: the picks span candidate i */

/* Largest n met_dpp takes. */
#define MET_DPP_MAX_N (1u << 24)

/*
 * Bytes of scratch met_dpp needs for n candidates and a window of w picks
 * (w = min(window, k, n) of the call; a larger w gives a size that also
 * does): per candidate its row c_i (w doubles), d_i^2, q_i^2, its
 * descriptors and its state. 0 when n is 0, n > MET_DPP_MAX_N or w > n.
 */
size_t met_dpp_scratch_size(unsigned n, unsigned w);

/*
 * Picks min(n, k) of the n candidates (rel[i], items[i]) by greedy DPP MAP
 * inference (header comment, group 6) and writes their input indices, in
 * pick order, to order[] (room for min(n, k) entries). Items by pointer;
 * a NULL item has no category and no tags. window >= 1: only the last
 * window picks count against a candidate (window >= k: all of them).
 * scratch: scratch_size bytes, 8-byte aligned, at least
 * met_dpp_scratch_size(n, min(window, k, n)). No allocation; cost O(n)
 * to check (O(n log n) when rel is not already in descending order), per
 * pick one similarity and a dot product of the window's length per
 * remaining candidate, and per pick beyond the window's length
 * O(window * n) rotations.
 *
 * Returns the number of picks (0 when n or k is 0), or -EINVAL when theta
 * is not in [0, 1], window is 0, a relevance score is not finite, a
 * similarity weight is negative or not finite (or w_cat + w_tag
 * overflows), n > MET_DPP_MAX_N or scratch is NULL; -ENOSPC when
 * scratch_size is too small; -ERANGE when max(rel) - min(rel) overflows.
 * theta = 1 is the relevance order (ties by lower index) and computes no
 * similarity.
 */
int met_dpp(const double *rel, const struct lrn_item *const *items, unsigned n,
    unsigned k, double theta, unsigned window, const struct met_sim *s,
    void *scratch, size_t scratch_size, uint32_t *order);

/* ---- Online: CTR by position ---- */

#define MET_CTR_POS 32 /* positions 1..31 kept apart; 32 and beyond share */

struct met_ctr {
	uint64_t shown[MET_CTR_POS];   /* [p - 1]: impressions at position p */
	uint64_t clicked[MET_CTR_POS]; /* [p - 1]: clicks at position p */
};
void met_ctr_init(struct met_ctr *c);
/* One impression at 1-based position pos, clicked or not. -EINVAL for
 * pos 0; positions above MET_CTR_POS count in the last bucket. */
int met_ctr_add(struct met_ctr *c, unsigned pos, int clicked);
/* A click whose impression was counted already (the click arrives later). */
int met_ctr_click(struct met_ctr *c, unsigned pos);
/* clicked / shown at pos (the last bucket beyond); 0 when nothing shown. */
double met_ctr_rate(const struct met_ctr *c, unsigned pos);
void met_ctr_merge(struct met_ctr *a, const struct met_ctr *b);

#endif
