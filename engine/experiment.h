/*
 * experiment: A/B tests of ranking strategies, the pure part: what an
 * experiment is, who is in which variant, and what the counts say.
 * Plain functions over plain structs; no I/O, no clock, no shared memory
 * (shm/experiments.h keeps them in the region, the workers count their
 * outcomes, libpenchant assigns and records exposures).
 *
 * An experiment has 2..EXP_VARIANTS variants; variant 0 is the control.
 * Each variant names a ranking strategy (engine/rank.h) and may override
 * its exploration and diversity parameters, and has a weight: the share of
 * the experiment's users it gets.
 *
 * Assignment is sticky and deterministic: a user is in the experiment
 * while now is in [start_ms, stop_ms) (0 = open) and, when a target
 * segment is set, while their segment is that one; their variant is
 *   h = SipHash-2-4(secret, user_key (8 bytes LE) || salt) mod 10000,
 * the first variant whose cumulative weight (scaled to 10000) exceeds h.
 * The key is the instance's pseudonymization secret, so nobody without it
 * can predict or steer a user's variant, and a new salt reshuffles the
 * users of a rerun. Bandit allocation (EXP_ALLOC_THOMPSON) replaces the
 * weights by each variant's probability of being best on click-through
 * (stat_thompson over the counts so far), recomputed by whoever updates
 * the experiment's looks; users then move between variants as evidence
 * comes in, so the fixed-split tests (SRM, z, Welch, mSPRT) lose their
 * guarantees and the report says so.
 *
 * Outcomes: an exposure is one served ranking (a rank request answered
 * with a variant); an impression, a click and a conversion are events
 * carrying that request's id (engine/event.h evt_request_*), counted by
 * the workers. Rates are per exposure and count requests, not events:
 * CTR = exposures with at least one click / exposures, conversion =
 * exposures with at least one conversion / exposures (a request clicked
 * twice is one success of one trial; its second click counts in the
 * reward only).
 *
 * The report compares every variant with the control:
 *  - SRM: chi-square of the users (the unit of assignment; exposures
 *    repeat per user and would be overdispersed) against the weights (a
 *    broken split invalidates everything else);
 *  - two-proportion z test and Wald interval on CTR and on conversion;
 *  - Welch t on reward per exposure (clicks + conversions), its variance
 *    from the per-exposure sums the workers keep (sum and sum of squares
 *    of each request's reward, see struct exp_counts);
 *  - Bayesian P(variant beats control) on CTR, Beta(1, 1) priors, with
 *    the expected loss of shipping it;
 *  - mixture SPRT always-valid p-value and interval on CTR (the state is
 *    kept across looks by the caller: struct exp_look), valid however
 *    often the results are looked at.
 */
#ifndef PENCHANT_ENGINE_EXPERIMENT_H
#define PENCHANT_ENGINE_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/stats.h"

#define EXP_MAX 8	/* experiments an instance runs at once */
#define EXP_VARIANTS 4	/* variants of one, control included */
#define EXP_NAME_MAX 31 /* experiment and variant names */
#define EXP_SALT_MAX 31
#define EXP_BUCKETS 10000

enum exp_alloc { EXP_ALLOC_FIXED = 0, EXP_ALLOC_THOMPSON };

struct exp_variant {
	char name[EXP_NAME_MAX + 1];
	uint8_t strategy;    /* enum rank_strategy */
	uint8_t diversifier; /* enum rank_diversifier + 1; 0: the setting */
	uint8_t pad[2];
	float weight; /* > 0 */
	/* Overrides of the ranking parameters; negative: not overridden. */
	float epsilon, explore_weight, mmr_lambda, dpp_theta;
};

struct exp_def {
	char name[EXP_NAME_MAX + 1];
	char salt[EXP_SALT_MAX + 1];
	int64_t start_ms, stop_ms; /* [start, stop); 0: open */
	int32_t segment;	   /* target segment id; -1: everyone */
	uint8_t n_variants;	   /* 2..EXP_VARIANTS */
	uint8_t alloc;		   /* enum exp_alloc */
	uint8_t pad[2];
	struct exp_variant v[EXP_VARIANTS];
};

/*
 * Checks a definition: a name of [A-Za-z0-9_.-], 2..EXP_VARIANTS variants
 * with distinct non-empty names, finite weights > 0, overrides in 0..1
 * (mmr_lambda, epsilon, dpp_theta) or 0..5 (explore_weight) or negative,
 * a diversifier of 0..2 (none, mmr, dpp), start <
 * stop when both are set. 0 or -EINVAL with a message naming the field.
 */
int exp_check(const struct exp_def *d, char *err, size_t errlen);

/* The bucket of a user in an experiment (0 .. EXP_BUCKETS - 1). */
unsigned exp_bucket(const uint8_t *secret, uint64_t user_key, const char *salt);

/*
 * The variant of user_key in d at now_ms for a user in segment `segment`
 * (-1: none known), or -1 when the user is not in the experiment. weights
 * (n_variants entries) overrides the definition's (bandit allocation);
 * NULL: the definition's.
 */
int exp_assign(const struct exp_def *d, const uint8_t *secret,
    uint64_t user_key, int64_t now_ms, int segment, const double *weights);

/*
 * Outcome counts of one variant, summed over the writers. reward = clicks
 * + conversions of one exposure; reward_sq sums the squares of each
 * exposure's reward, and clicked and converted count the exposures with
 * at least one click and one conversion (both kept by the workers per
 * attributed request).
 */
struct exp_counts {
	uint64_t users; /* units assigned: each counted at their first
			 * exposure (SRM counts these) */
	uint64_t exposures, impressions, clicks, conversions;
	uint64_t clicked, converted; /* exposures with >= 1 of each */
	uint64_t reward_sq;	     /* sum over exposures of reward^2 */
	double rr_sum;		     /* sum of 1 / position of the clicks */
};

/* The always-valid test's state per variant, kept across looks. */
struct exp_look {
	struct stat_msprt ctr[EXP_VARIANTS]; /* [0] unused */
	bool started;
};

/* Starts the looks of d (tau2 from a 5% baseline CTR and 10000
 * exposures per variant at alpha 0.05: stat_msprt_tau2). */
void exp_look_init(struct exp_look *l);

/* One look at the cumulative counts: updates each variant's mSPRT. */
void exp_look_update(struct exp_look *l, const struct exp_def *d,
    const struct exp_counts *c);

/* What the counts say about one variant against the control. */
struct exp_variant_report {
	double ctr, conversion, reward_mean, reward_var, mrr;
	/* The tests could be run: both arms exposed, and for the z tests
	 * some successes but not all (else not available). */
	int have_z, have_z_conv, have_welch, have_bayes;
	struct stat_prop z_ctr, z_conv;
	struct stat_welch welch_reward;
	struct stat_bayes bayes_ctr;
	double msprt_p, msprt_lo, msprt_hi; /* always-valid, on CTR */
	double prob_best;		    /* Thompson share (all variants) */
};

struct exp_report {
	struct stat_srm srm;
	int have_srm;	 /* fixed allocation and some users */
	bool srm_broken; /* srm.p < 0.001 */
	struct exp_variant_report v[EXP_VARIANTS];
};

/*
 * The report of d from counts c (n_variants entries) and looks l (NULL:
 * no always-valid numbers, NaN), at level alpha (0.05 typical). 0 or
 * -EINVAL.
 */
int exp_report(const struct exp_def *d, const struct exp_counts *c,
    const struct exp_look *l, double alpha, struct exp_report *out);

#endif
