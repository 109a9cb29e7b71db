/*
 * segpolicy: the policy side of segments, pure: the problem statement's
 * four strategies and the ranking parameters each asks for, the name of a
 * segment from its dominant traits, the strategy its traits call for, and
 * the operator's overrides (the segment_overrides setting). The segmenter
 * (shm/segment.h) applies them; the settings check them.
 *
 * Strategies and their parameters (epsilon, mmr_lambda, explore_weight,
 * context_weight):
 *   interest_focused   0.02  0.90  0.3  1.0   stay with what they like
 *   social_driven      0.05  0.80  0.5  1.5   company and context matter
 *   exploration_heavy  0.15  0.60  1.0  1.0   show them more that is new
 *   location_centric   0.03  0.85  0.3  1.5   place and time matter
 * A segment goes to social_driven when its social feature stands out (z
 * above 0.5 and above the others below), exploration_heavy when its
 * exploration or diversity does, location_centric when its locality does,
 * interest_focused otherwise.
 *
 * Names: the strongest daypart trait (z above 0.5), then the two strongest
 * other traits (high, or low where low says something: "occasional",
 * "focused", "shifting", "engaged"; not the trait the noun names), then
 * the strategy's noun (fans, socialisers, explorers, locals): "morning
 * broad explorers".
 */
#ifndef PENCHANT_ENGINE_SEGPOLICY_H
#define PENCHANT_ENGINE_SEGPOLICY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/features.h"

enum sp_strategy {
	SP_INTEREST_FOCUSED = 0,
	SP_SOCIAL_DRIVEN,
	SP_EXPLORATION_HEAVY,
	SP_LOCATION_CENTRIC,
	SP_STRATEGY_COUNT
};
const char *sp_strategy_name(unsigned s);	  /* NULL out of range */
int sp_strategy_parse(const char *s, size_t len); /* -1 unknown */

struct sp_params {
	float epsilon, mmr_lambda, explore_weight, context_weight;
};
struct sp_params sp_params_of(unsigned strategy);

/* The strategy a centroid's standardized features (FEAT_COUNT) call for. */
unsigned sp_strategy_of(const float *z);

/* A segment's name from its centroid (z) and strategy, into out. */
void sp_name(const float *z, unsigned strategy, char *out, size_t len);

/*
 * One override of segment_overrides: "ID:key=value;key=value", keys name,
 * strategy, epsilon and mmr_lambda (0..1), explore_weight and
 * context_weight (0..5), diversifier (mmr or dpp: rank_diversifier_names)
 * and dpp_theta (0..1); the list is comma-separated, one entry a segment
 * id. Unset fields: strategy and diversifier -1, numbers negative, name
 * empty.
 */
#define SP_NAME_MAX 47
#define SP_OVERRIDES_MAX 16
struct sp_override {
	uint32_t id;
	char name[SP_NAME_MAX + 1];
	int strategy;
	float epsilon, mmr_lambda, explore_weight, context_weight;
	int diversifier; /* enum rank_diversifier */
	float dpp_theta;
};

/* Parses the list into out (room for cap; may be NULL to check). Returns
 * the number of overrides, or -EINVAL with a message naming the bad one. */
int sp_overrides_parse(const char *list, struct sp_override *out, unsigned cap,
    char *err, size_t errlen);

#endif
