/*
 * rank: the contextual re-ranker. Plain functions over plain structs: no
 * I/O, no clock, no shared memory, no allocation (the caller gives scratch
 * space). libpenchant's pen_rerank, the rank API server and `penchant eval`
 * all call rank_run (pen_rerank its form without the copy out,
 * rank_run_view), so what is measured offline is what is served.
 *
 * Input: the user's profile (a consistent copy, or NULL for an unknown
 * user), the learner's and the ranker's parameters, the request's context,
 * and n candidates, each with the caller's base score and its item
 * attributes (from the catalog or inline; NULL when unknown). Output: the
 * candidates in their new order with the final score and the factors that
 * made it, so every move can be explained.
 *
 * Score of a candidate, before exploration and diversity (every constant is
 * a setting, engine/rank_params.h):
 *
 *   score = base * A * K * clamp(T * L * W * S * D, context_min,
 *                context_max) * F * N
 *
 *  - A, affinity. The profile's weights of the item's category and tags,
 *    long horizon w (as of ctx.time_ms, lrn_weight_at) and short horizon s
 *    (lrn_short_at), each normalized by the largest |weight| of its table
 *    and horizon. The item is a unit vector over its m ids (its category
 *    when non-zero and its distinct non-zero tags, each 1 / sqrt(m)), the
 *    profile a vector of w / max|w| by id (the category looked up among
 *    the profile's categories, the tags among its tags; ids it does not
 *    hold are 0): a_long = their dot product = (sum over the item's ids
 *    of w / max|w|) / sqrt(m); an item without ids has 0. a_short
 *    likewise; a_user = (1 - short_blend) a_long + short_blend a_short,
 *    in -sqrt(m)..sqrt(m) (-3..3). Dividing by sqrt(m), not by m (a
 *    mean), is a cosine's normalization of the item side: an item that
 *    carries ids the profile lacks (a popular movie and its many user
 *    tags) is diluted less than by a mean, and two items of equal
 *    matches still rank the one with fewer unmatched ids first. The
 *    profile side is normalized by its strongest interest (1), not by
 *    its length. Decaying a horizon to ctx.time_ms multiplies its whole
 *    table by one factor, which the normalization divides out: the
 *    stored weights give the same a.
 *    Confidence c = lrn_profile_confidence.
 *    Segment prior (rank_opts.prior, n_prior entries; none: a_prior = 0
 *    and b = 0): a_prior likewise over the same ids, of share / max share
 *    (max over the prior's entries), a category id looked up among the
 *    prior's category entries and a tag id among its tag entries, ids the
 *    prior lacks counting 0: (sum of share / max share) / sqrt(m), in
 *    0..3. Its weight b = prior_blend * prior_weight * (1 - c)
 *    (rank_prior_share): a sparse profile leans on its segment, a
 *    confident one on itself. a = (1 - b) a_user + b a_prior, and
 *    A = clamp(1 + affinity_gain * ((1 - b) c a_user + b a_prior),
 *    affinity_floor, affinity_cap):
 *    low confidence pulls the user's own part toward the base order (a
 *    new user is not over-fitted) but not the prior's, which is many
 *    users' evidence; without a prior A = clamp(1 + affinity_gain * c *
 *    a_user, ...). NULL profile or NULL item: A = 1 (no prior either).
 *  - T, time (the problem statement's ContextualPersonalizer, made
 *    precise): the item's daypart (from start_ms and start_tz_min; items
 *    without a start: below) against now's (ctx time and tz); a time
 *    whose offset is beyond CLK_MAX_TZ_MIN has no daypart (T = 1). The
 *    user's preference for a daypart d is pref(d) = clamp((share(d) -
 *    1/4) / (3/4), 0, 1), where share(d) is d's share of the item
 *    category's daypart counts (cat_dp) when the category is in the
 *    profile with at least 4 counted events, else of the profile's
 *    hours[][] summed over weekdays; pref = 0 when there is nothing to
 *    count (no profile, no events). T = 1 + time_strength * pref(d) when
 *    the item's daypart is now's, 1 otherwise. An item without a start
 *    (a place, a product: there now) has T = 1 + time_open_strength *
 *    pref(now's daypart), the same pref: a bar for a user whose bar
 *    events are in the evening rises in the evening.
 *  - L, location: the distance d in km (great circle, geo_distance_km,
 *    from geohash cell centres, geo_cell_center) from the item's cell to
 *    ctx's location when the request has a valid one (geo_valid), else to
 *    the centre of the profile's heaviest location cell (lrn_geo_weight as
 *    of ctx.time_ms; the lowest slot on ties),
 *    L = dist_min + (dist_max - dist_min) * exp(-d / dist_scale_km). No
 *    item cell (or a malformed one), or no location at all: L = 1. Within
 *    about 300 km d is the same haversine by polynomials (within a few
 *    units in the last place of geo_distance_km's: relative 1e-15), and
 *    L is worked out once per distinct cell of the request.
 *  - W, weather: rainy, snowy, stormy or cold: outdoor items
 *    weather_outdoor_bad, indoor weather_indoor_bad; sunny or hot: outdoor
 *    weather_outdoor_good, indoor weather_indoor_good; otherwise (and for
 *    items of unknown setting) 1.
 *  - S, social: with company (friends, family, partner, group):
 *    group-friendly items social_group_yes, items marked not group
 *    friendly social_group_no; alone or unknown (or unknown
 *    friendliness): 1.
 *  - D, device: an item with a device_mask (platform_mask) that includes
 *    ctx's device (platform), bit 1 << its enum value: device_match; one
 *    that excludes it: device_mismatch; each mask on its own, multiplied;
 *    an empty mask, or an unknown or out-of-range ctx value: 1.
 *  - K, collaborative (PROFILE and above, with a profile; by the
 *    candidate's key, so it applies to items of unknown attributes too):
 *    rank_cand.collab = cf, the candidate's summed similarity to the
 *    items the user touched lately, which the caller works out from
 *    the item-neighbour lists (engine/nbr.h, shm/neighbors.h):
 *    K = 1 + (collab_cap - 1) (1 - exp(-collab_gain * cf / (collab_cap -
 *    1))): 1 + collab_gain * cf while that is small against the cap,
 *    then rising ever more slowly toward it, so candidates of large cf
 *    keep their order (a cap of 1: K = 1); cf = 0: K = 1.
 *  - F, fatigue (the profile's seen-items memory, lrn_seen, by the
 *    candidate's key, so it applies to items of unknown attributes too):
 *    an item the user acted on (engaged or converted) acted_factor; one
 *    shown i > fatigue_impressions times without an action
 *    max(fatigue_factor ^ (i - fatigue_impressions), fatigue_floor);
 *    otherwise 1.
 *  - N, novelty: an item added to the catalog (added_ms != 0) less than
 *    novelty_days before ctx.time_ms: 1 + novelty_boost * (1 - age /
 *    novelty_days); an item added after ctx.time_ms has age 0; otherwise
 *    (and with novelty_days 0) 1.
 *
 * A score that would overflow is DBL_MAX: scores are always numbers.
 *
 * Strategies (enum rank_strategy) choose which of these apply and what
 * happens after: BASE keeps the base order (the input order, scores the
 * base, every factor 1); PROFILE uses A and K only; CONTEXT uses every factor
 * above; EXPLORE adds exploration; DIVERSE adds diversity; FULL adds both
 * (scores, then Thompson, then diversity picks the top k, then
 * epsilon-greedy). Each step is deterministic for the request's seed.
 *
 * Exploration (EXPLORE, FULL):
 *  - Thompson sampling over categories: each candidate's category has a
 *    click-rate posterior Beta(clk + thompson_prior * g + 1,
 *    max(imp - clk, 0) + thompson_prior * (1 - g) + 1), from the user's
 *    own impressions and clicks of that category (lrn_profile
 *    cat_imp/cat_clk when the category has a slot, else 0) backed off to
 *    the global rate g of the category over all users (rank_cand.global_ctr
 *    of the category's first candidate; 0.05 when unknown, i.e. outside
 *    0..1). One draw theta per distinct category (rng_beta), in the order
 *    the categories first appear among the candidates; the score is
 *    multiplied by (theta / mean) ^ explore_weight, mean the posterior's
 *    mean (no draws at weight 0). Candidates without a category (or
 *    without attributes) have nothing to learn a rate of: factor 1. Sparse
 *    users lean on the global posterior; heavy users on their own.
 *  - epsilon-greedy: last, with probability epsilon per slot of the top k
 *    (in order), the slot's candidate is swapped with one drawn
 *    uniformly, without replacement, from the candidates ranked below k
 *    (flag RANK_F_EXPLORED on the newcomer); the one swapped out joins the
 *    rest, which stays in score order, and is not drawn back.
 *
 * Diversity (DIVERSE, FULL):
 *  - Filter-bubble guard: the normalized Shannon entropy (divided by
 *    ln LRN_CATS, the slots a profile has) of the user's recent impressions
 *    over their category slots (cat_imp); below bubble_entropy_floor (and
 *    with at least 10 impressions) lambda drops by bubble_lambda_drop (not
 *    below 0) and one more serendipity slot is given.
 *  - Serendipity: one slot in every serendipity_every of the top k (the
 *    last of each block: 0-based positions j * every - 1) goes to the
 *    best-scored candidate not placed yet whose category is not among the
 *    user's top 3 categories by w (positive w only: an unknown user has
 *    none), preferring rising ones (rank_cand.trend > 1; score * trend),
 *    flag RANK_F_SERENDIPITY; ties to the better score rank. Eligible are
 *    items with attributes and a non-zero category; when none is left the
 *    slot is MMR's. With the bubble guard the m slots become m + 1 (at
 *    most k) spread evenly: positions floor(j * k / (m + 1)) - 1, j = 1..
 *    m + 1 (the last is always position k - 1).
 *  - MMR (engine/metrics.h met_mmr) with mmr_lambda over the best
 *    min(n, mmr_pool * k) candidates by score (relevance score / best
 *    score, met_sim_default) picks k; in that order, the picks not yet
 *    placed fill the positions that are not serendipity slots. With
 *    mmr_dcg (the default) met_mmr_dcg picks instead: relevance the
 *    score's share of the pool's, discounted by the position filled,
 *    against the summed similarity to the picks (expected DCG plus ILD;
 *    mmr_mean does not apply). With diverse_by_score (the default) the
 *    picks placed keep their positions as a set but go in score order.
 *    RANK_F_DIVERSIFIED: MMR picked it above its score rank (with
 *    diverse_by_score: placed above its rank among the picks placed).
 *    With diversifier = dpp, met_dpp with dpp_theta (lowered by
 *    bubble_lambda_drop under the guard, not below 0) and dpp_window
 *    picks them instead, over the same candidates and relevance; the
 *    request's and segment's mmr_lambda do not apply to it. A request
 *    may choose the diversifier, mmr_mean and dpp_theta (rank_opts
 *    given).
 *
 * Unknown user (NULL profile): A = K = F = 1, T = 1 (no preferences), L from
 * ctx's location only, Thompson on global rates only, no bubble guard;
 * context, novelty, epsilon and diversity still apply.
 *
 * Threads: none; everything is in the arguments.
 */
#ifndef PENCHANT_ENGINE_RANK_H
#define PENCHANT_ENGINE_RANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/item.h"
#include "engine/learn.h"
#include "engine/rank_params.h"

/* The re-ranker of the diverse strategies (setting diversifier). */
enum rank_diversifier {
	RANK_DIV_MMR = 0, /* engine/metrics.h met_mmr_mean */
	RANK_DIV_DPP,	  /* engine/metrics.h met_dpp */
};
/* "mmr", "dpp", NULL: index = value. */
extern const char *const rank_diversifier_names[];
/* The diversifier named by s[0..len) (any case), or -1. */
int rank_diversifier_parse(const char *s, size_t len);

/* Every constant of the ranker: one field per row of RANK_PARAMS. */
#define _RANK_PD(n, def, lo, hi, h) double n;
#define _RANK_PU(n, def, lo, hi, h) unsigned n;
#define _RANK_PB(n, def, h) bool n;
#define _RANK_PE(n, T, def, names, h) T n;
struct rank_params {
	RANK_PARAMS(_RANK_PD, _RANK_PU, _RANK_PB, _RANK_PE)
};
#undef _RANK_PD
#undef _RANK_PU
#undef _RANK_PB
#undef _RANK_PE

/* Fills in the defaults of RANK_PARAMS. */
void rank_params_default(struct rank_params *p);

enum rank_strategy {
	RANK_BASE = 0, /* the caller's order */
	RANK_PROFILE,  /* affinity and collaborative only */
	RANK_CONTEXT,  /* affinity, context, fatigue, novelty */
	RANK_EXPLORE,  /* CONTEXT + Thompson + epsilon-greedy */
	RANK_DIVERSE,  /* CONTEXT + bubble guard, serendipity, MMR */
	RANK_FULL,     /* CONTEXT + exploration + diversity */
	RANK_STRATEGY_COUNT
};
#define RANK_STRATEGY_SLOTS 16 /* strategy ids in request ids and stats */

/* "base", "profile", ...; NULL out of range. */
const char *rank_strategy_name(unsigned s);
/* By name (case-insensitive); -1 when unknown. */
int rank_strategy_parse(const char *s, size_t len);

/* The request's context: now, where, with whom, on what. */
struct rank_ctx {
	int64_t time_ms;   /* now (event time of the request), UTC ms */
	int16_t tz_min;	   /* local = UTC + this */
	bool has_location; /* lat/lon given */
	double lat, lon;
	uint8_t weather;  /* enum evt_weather */
	uint8_t social;	  /* enum evt_social */
	uint8_t device;	  /* enum evt_device */
	uint8_t platform; /* enum evt_platform */
};

/* One candidate. */
struct rank_cand {
	uint64_t key;		     /* evt_entity_key of its id */
	double base;		     /* the caller's score, >= 0 */
	const struct cat_item *item; /* NULL: attributes unknown */
	float global_ctr; /* click rate of its category over all users, or
			   * negative when unknown */
	float trend;	  /* its category's recent / older positives, 1
			   * flat (0: unknown) */
	float collab;	  /* cf: its summed similarity to the items the
			   * user touched lately (engine/nbr.h), >= 0;
			   * 0: none */
};

/* One entry of a segment's interest prior (seg_info.prior). */
struct rank_prior {
	uint32_t id;   /* tag or category id; 0: ignored */
	bool category; /* a category id, else a tag id */
	float share;   /* >= 0: its share of the members' interest */
};
#define RANK_PRIOR_MAX 12

struct rank_opts {
	unsigned strategy; /* enum rank_strategy */
	unsigned k;	   /* results wanted; 0 or > n: n */
	uint64_t seed;	   /* exploration draws */
	/* Per-request overrides of the settings; negative: the setting. */
	double epsilon, explore_weight, mmr_lambda;
	int serendipity_every;
	/* The weight of context (CONTEXT and above): the clamped factor is
	 * clamp((T L W S D) ^ context_weight, context_min, context_max);
	 * 0 or negative: 1 (the product as it is), at most 5. A segment's
	 * strategy sets it (social and location-centric users 1.5). */
	double context_weight;
	/* The user's segment's prior (affinity, above): up to
	 * RANK_PRIOR_MAX entries (NULL, 0: none), and how far the caller
	 * trusts the assignment, 0..1 (0: the prior is not used). */
	const struct rank_prior *prior;
	unsigned n_prior;
	double prior_weight;
	/* More overrides of the settings, each taken only when its RANK_O_*
	 * bit is in `given` (zeroed options leave the settings): the
	 * diversifier (enum rank_diversifier), mmr_mean and dpp_theta
	 * (0..1). */
	unsigned given;
	unsigned diversifier;
	double mmr_mean, dpp_theta;
};
#define RANK_O_DIVERSIFIER 0x1u
#define RANK_O_MMR_MEAN 0x2u
#define RANK_O_DPP_THETA 0x4u

/* Whether o's overrides are in their ranges (negative: the setting, for
 * the four numbers so marked): 0 or -EINVAL, as rank_run checks them. */
int rank_opts_check(const struct rank_opts *o);

/* b of the affinity: prior_blend * prior_weight * (1 - confidence), the
 * share the segment prior takes (0 when weight or blend is 0). */
double rank_prior_share(const struct rank_params *rp, double confidence,
    double prior_weight);

/* Why a result is where it is. Factors are 1 when not applied. */
struct rank_factors {
	float affinity;
	float confidence; /* lrn_profile_confidence (0 without a profile),
			   * whatever the strategy */
	float time, distance, weather, social, device;
	float context; /* the clamped product of the five above */
	float fatigue, novelty;
	float explore; /* Thompson factor */
	float collab;  /* collaborative factor */
	int16_t moved; /* rank by the score before Thompson minus final rank
			* (positive: moved up by exploration or diversity;
			* saturates at the int16_t range) */
	uint8_t flags; /* RANK_F_* */
	uint8_t pad;
};
#define RANK_F_EXPLORED 0x1    /* placed by epsilon-greedy */
#define RANK_F_SERENDIPITY 0x2 /* placed in a serendipity slot */
#define RANK_F_DIVERSIFIED 0x4 /* placed by MMR above its score rank */
#define RANK_F_UNKNOWN_ITEM                                                    \
	0x8 /* no attributes: base, fatigue and
				 * exploration */

struct rank_result {
	uint32_t index; /* into the candidates */
	double score;	/* final score: base x factors x Thompson (the
			 * epsilon and diversity moves do not change it) */
	struct rank_factors f;
};

/* Bytes of scratch rank_run needs for n candidates (any alignment; about
 * 335 n bytes); 0 for n = 0 or n > INT_MAX. */
size_t rank_scratch_size(unsigned n);

/*
 * Re-ranks n candidates (n >= 1) into out (room for n): the top k in the
 * strategy's order, then the rest by score (BASE: the input order).
 * Returns the number written (n), or -EINVAL (bad arguments: a NULL
 * pointer other than p, n = 0 or n > INT_MAX, a NaN, infinite or negative
 * base, a strategy out of range, an override that is NaN or above its
 * setting's range, n_prior above RANK_PRIOR_MAX or without a prior, a
 * share that is NaN, infinite or negative, a prior_weight outside 0..1)
 * or -ENOSPC (scratch smaller than rank_scratch_size(n)).
 * Ties keep the input order. Cost: O(n) for the factors, a bucket sort of
 * the scores (two with Thompson; a radix sort where the scores bunch),
 * met_mmr (or met_dpp) over mmr_pool x k candidates.
 */
int rank_run(const struct lrn_profile *p, const struct lrn_params *lp,
    const struct rank_params *rp, const struct rank_ctx *ctx,
    const struct rank_cand *c, unsigned n, const struct rank_opts *o,
    void *scratch, size_t scratch_size, struct rank_result *out);

/*
 * rank_run with the ranking left in the scratch, for a caller that copies
 * it into a form of its own anyway (pen_rerank): one copy per candidate
 * less. The same checks and returns; on success v points into scratch,
 * valid until its next use: v->index[pos] is the candidate at position
 * pos, and v->score[i] and v->f[i] are candidate i's, as rank_run's
 * out[pos] holds them for i = v->index[pos] (f[i].moved included).
 */
struct rank_view {
	const uint32_t *index;
	const double *score;
	const struct rank_factors *f;
};
int rank_run_view(const struct lrn_profile *p, const struct lrn_params *lp,
    const struct rank_params *rp, const struct rank_ctx *ctx,
    const struct rank_cand *c, unsigned n, const struct rank_opts *o,
    void *scratch, size_t scratch_size, struct rank_view *v);

#endif
