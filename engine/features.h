/*
 * features: the behavioral feature vector of one user, from what the
 * learner keeps (engine/learn.h), for segmentation (engine/cluster.h). Pure
 * functions; any process. docs/SEGMENTS.md lists the same formulas.
 *
 * Every feature is a float in a small range, computed as of a time
 * (as_of_ms: the wall clock live, the log's end in a replay):
 *
 *  0 activity        log1p(events per day), days = max(1, last - first)
 *  1 diversity       Shannon entropy of the positive category weights,
 *                    normalized by ln(LRN_CATS) (0: one category)
 *  2 social          shares / events (social engagement)
 *  3 exploration     categories tried per activity: (category slots in use
 *                    + candidates displaced) / events, capped at 1
 *  4 interests       interest slots in use / (LRN_TAGS + LRN_CATS)
 *  5 stability       exp(-KL) / (1 + drift episodes): 1 for a user whose
 *                    interests never moved
 *  6 feedback        explicit feedback (feedback, like, dislike) / events
 *  7-10 dayparts     share of events at night, morning, afternoon, evening
 * 11 engagement      the engagement level as of as_of_ms: new 0, active 1,
 *                    casual 2, dormant 3
 * 12 session         log1p(mean session minutes)
 * 13 click_rate      clicks / views (funnel), capped at 1
 * 14 act_rate        (saves + rsvps + purchases) / clicks, capped at 1
 * 15 locality        share of location events in the heaviest cell (0
 *                    without locations): a location-centric user is near 1
 */
#ifndef PENCHANT_ENGINE_FEATURES_H
#define PENCHANT_ENGINE_FEATURES_H

#include <stdint.h>

#include "engine/learn.h"

#define FEAT_COUNT 16

enum feat_index {
	FEAT_ACTIVITY = 0,
	FEAT_DIVERSITY,
	FEAT_SOCIAL,
	FEAT_EXPLORATION,
	FEAT_INTERESTS,
	FEAT_STABILITY,
	FEAT_FEEDBACK,
	FEAT_NIGHT,
	FEAT_MORNING,
	FEAT_AFTERNOON,
	FEAT_EVENING,
	FEAT_ENGAGEMENT,
	FEAT_SESSION,
	FEAT_CLICK_RATE,
	FEAT_ACT_RATE,
	FEAT_LOCALITY,
};

/* "activity", "diversity", ...; NULL out of range. */
const char *feat_name(unsigned i);

/* The features of p as of as_of_ms into out[FEAT_COUNT]. A profile
 * without events gives zeros. */
void feat_extract(const struct lrn_profile *p, const struct lrn_params *prm,
    int64_t as_of_ms, float *out);

#endif
