/*
 * features: one user's behavioral feature vector (contract in features.h).
 */
#include "engine/features.h"

#include <assert.h>
#include <math.h>
#include <string.h>

static const char *const _names[FEAT_COUNT] = {
	"activity",
	"diversity",
	"social",
	"exploration",
	"interests",
	"stability",
	"feedback",
	"night",
	"morning",
	"afternoon",
	"evening",
	"engagement",
	"session",
	"click_rate",
	"act_rate",
	"locality",
};

const char *feat_name(unsigned i)
{
	return i < FEAT_COUNT ? _names[i] : NULL;
}

static float _ratio(double a, double b, double cap)
{
	if (!(b > 0.0))
		return 0.0f;
	double r = a / b;
	return (float)(r > cap ? cap : r);
}

static float _diversity(const struct lrn_profile *p)
{
	double sum = 0.0, h = 0.0;
	for (unsigned i = 0; i < LRN_CATS; i++)
		if (p->cats[i].id && p->cats[i].w > 0.0f)
			sum += p->cats[i].w;
	if (!(sum > 0.0))
		return 0.0f;
	for (unsigned i = 0; i < LRN_CATS; i++) {
		if (!p->cats[i].id || !(p->cats[i].w > 0.0f))
			continue;
		double q = p->cats[i].w / sum;
		h -= q * log(q);
	}
	return (float)(h / log((double)LRN_CATS));
}

static float _locality(const struct lrn_profile *p)
{
	double all = 0.0, top = 0.0;
	for (unsigned i = 0; i < LRN_GEO; i++) {
		all += p->geo_n[i];
		if (p->geo_n[i] > top)
			top = p->geo_n[i];
	}
	return all > 0.0 ? (float)(top / all) : 0.0f;
}

void feat_extract(const struct lrn_profile *p, const struct lrn_params *prm,
    int64_t as_of_ms, float *out)
{
	assert(p != NULL && prm != NULL && out != NULL);
	memset(out, 0, FEAT_COUNT * sizeof(*out));
	if (p->events == 0)
		return;
	const uint32_t *c = p->counts;
	double ev = p->events;
	/* In double: the times are the region's, which a record forged in
	 * shared memory can set to anything (an int64 difference could
	 * overflow). */
	double days =
	    ((double)p->last_ms - (double)p->first_ms) / (double)LRN_DAY_MS;
	out[FEAT_ACTIVITY] = (float)log1p(ev / (days > 1.0 ? days : 1.0));
	out[FEAT_DIVERSITY] = _diversity(p);
	out[FEAT_SOCIAL] = _ratio(c[LRN_N_SHARE], ev, 1.0);
	unsigned slots = 0, tags = 0;
	for (unsigned i = 0; i < LRN_CATS; i++)
		slots += p->cats[i].id != 0;
	for (unsigned i = 0; i < LRN_TAGS; i++)
		tags += p->tags[i].id != 0;
	out[FEAT_EXPLORATION] = _ratio(slots + p->displaced, ev, 1.0);
	out[FEAT_INTERESTS] = (float)(slots + tags) / (LRN_CATS + LRN_TAGS);
	out[FEAT_STABILITY] =
	    (float)(exp(-lrn_drift_kl(p, prm)) / (1.0 + p->drift_count));
	out[FEAT_FEEDBACK] = _ratio((double)c[LRN_N_FEEDBACK_POS] +
		c[LRN_N_FEEDBACK_NEG] + c[LRN_N_LIKE] + c[LRN_N_DISLIKE],
	    ev, 1.0);
	double dp[EVT_DP_COUNT] = { 0 }, all = 0.0;
	for (unsigned d = 0; d < 7; d++)
		for (unsigned h = 0; h < EVT_DP_COUNT; h++) {
			dp[h] += p->hours[d][h];
			all += p->hours[d][h];
		}
	for (unsigned h = 0; h < EVT_DP_COUNT; h++)
		out[FEAT_NIGHT + h] = _ratio(dp[h], all, 1.0);
	struct lrn_behavior b;
	lrn_behavior(p, prm, as_of_ms, &b);
	out[FEAT_ENGAGEMENT] = (float)b.engagement;
	out[FEAT_SESSION] = (float)log1p(b.mean_session_s / 60.0);
	out[FEAT_CLICK_RATE] = _ratio(c[LRN_N_CLICK], c[LRN_N_VIEW], 1.0);
	out[FEAT_ACT_RATE] =
	    _ratio((double)c[LRN_N_SAVE] + c[LRN_N_RSVP] + c[LRN_N_PURCHASE],
		c[LRN_N_CLICK], 1.0);
	out[FEAT_LOCALITY] = _locality(p);
}
