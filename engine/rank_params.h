/*
 * rank_params: every constant of the re-ranker and of serving, declared
 * once, like the learner's (engine/learn_params.h): this X-macro table
 * generates the fields of struct rank_params (engine/rank.h), their
 * defaults (rank_params_default) and the rows of the settings table
 * (conf/config.c), so `penchantd --help`, config files and
 * docs/SETTINGS.md list them all.
 *
 * Rows, in the order the settings are documented:
 *	D(name, default, min, max, help)   a double
 *	U(name, default, min, max, help)   an unsigned
 *	B(name, default, help)             a bool
 *	E(name, type, default, names, help) an enum: names is its NULL-
 *	                                   terminated array of value names
 */
#ifndef PENCHANT_ENGINE_RANK_PARAMS_H
#define PENCHANT_ENGINE_RANK_PARAMS_H

#define RANK_PARAMS(D, U, B, E)                                                                                                                        \
	D(affinity_gain, 1.0, 0.0, 10.0,                                                                                                               \
	    "how much the profile moves a candidate: factor = 1 + gain x confidence x affinity (affinity in -3..3, engine/rank.h)")                    \
	D(affinity_floor, 0.2, 0.01, 1.0,                                                                                                              \
	    "smallest affinity factor (a strongly disliked candidate)")                                                                                \
	D(affinity_cap, 3.0, 1.0, 100.0,                                                                                                               \
	    "largest affinity factor (a strongly liked candidate)")                                                                                    \
	D(short_blend, 0.3, 0.0, 1.0,                                                                                                                  \
	    "share of the short horizon in a candidate's affinity (the rest is the long horizon)")                                                     \
	D(collab_gain, 30.0, 0.0, 1000.0,                                                                                                              \
	    "collaborative factor: 1 + collab_gain x cf for small cf, cf the summed similarity to the items the user touched lately; 0 = off")         \
	D(collab_cap, 100.0, 1.0, 1000.0,                                                                                                              \
	    "the collaborative factor rises toward this")                                                                                              \
	D(prior_blend, 0.5, 0.0, 1.0,                                                                                                                  \
	    "segment prior's share in a profile's affinity at confidence 0: b = prior_blend x (1 - confidence) x trust in the segment")                \
	B(segment_params, true,                                                                                                                        \
	    "pen_rerank takes epsilon, explore_weight, mmr_lambda from the user's segment's strategy when the request leaves them unset")              \
	D(time_strength, 0.5, 0.0, 10.0,                                                                                                               \
	    "time factor when the candidate's daypart is now's and the user prefers it: 1 + time_strength x preference (the problem statement's 0.5)") \
	D(time_open_strength, 0.5, 0.0, 10.0,                                                                                                          \
	    "time factor of a candidate without a start (a place, a product) in a category the user is active in now: 1 + this x preference")          \
	D(dist_scale_km, 5.0, 0.01, 20000.0,                                                                                                           \
	    "e-folding distance of the location factor, km: dist_min + (dist_max - dist_min) x exp(-d / scale), halfway at scale x ln 2")              \
	D(dist_min, 0.5, 0.1, 1.0,                                                                                                                     \
	    "location factor of a candidate far from the user and their places")                                                                       \
	D(dist_max, 1.5, 1.0, 2.0,                                                                                                                     \
	    "location factor of a candidate where the user is")                                                                                        \
	D(weather_outdoor_bad, 0.6, 0.1, 2.0,                                                                                                          \
	    "factor of an outdoor candidate in rain, snow, storm or cold")                                                                             \
	D(weather_indoor_bad, 1.2, 0.1, 2.0,                                                                                                           \
	    "factor of an indoor candidate in rain, snow, storm or cold")                                                                              \
	D(weather_outdoor_good, 1.2, 0.1, 2.0,                                                                                                         \
	    "factor of an outdoor candidate in sun or heat")                                                                                           \
	D(weather_indoor_good, 0.95, 0.1, 2.0,                                                                                                         \
	    "factor of an indoor candidate in sun or heat")                                                                                            \
	D(social_group_yes, 1.2, 0.1, 2.0,                                                                                                             \
	    "factor of a group-friendly candidate for a user with company")                                                                            \
	D(social_group_no, 0.7, 0.1, 2.0,                                                                                                              \
	    "factor of a candidate that is not group friendly for a user with company")                                                                \
	D(device_match, 1.1, 0.1, 2.0,                                                                                                                 \
	    "factor of a candidate made for the user's current device or platform")                                                                    \
	D(device_mismatch, 0.6, 0.1, 2.0,                                                                                                              \
	    "factor of a candidate made for other devices or platforms only")                                                                          \
	D(context_min, 0.1, 0.01, 1.0,                                                                                                                 \
	    "lower clamp of the product of the context factors (the problem statement's 0.1)")                                                         \
	D(context_max, 2.0, 1.0, 100.0,                                                                                                                \
	    "upper clamp of the product of the context factors (the problem statement's 2.0)")                                                         \
	U(fatigue_impressions, 3, 1, 15,                                                                                                               \
	    "impressions without an action after which a candidate is demoted")                                                                        \
	D(fatigue_factor, 0.8, 0.1, 1.0,                                                                                                               \
	    "factor per impression beyond fatigue_impressions")                                                                                        \
	D(fatigue_floor, 0.3, 0.01, 1.0,                                                                                                               \
	    "smallest fatigue factor of a candidate seen too often")                                                                                   \
	D(acted_factor, 0.5, 0.01, 1.0,                                                                                                                \
	    "factor of a candidate the user already acted on (clicked, bought)")                                                                       \
	D(novelty_days, 7.0, 0.0, 365.0,                                                                                                               \
	    "a catalog item this young (days since it was added) is fresh")                                                                            \
	D(novelty_boost, 0.2, 0.0, 1.0,                                                                                                                \
	    "largest boost of a fresh item: factor 1 + boost x (1 - age / novelty_days)")                                                              \
	D(epsilon, 0.05, 0.0, 1.0,                                                                                                                     \
	    "epsilon-greedy: chance that a slot of the top k goes to a random candidate from below it")                                                \
	D(explore_weight, 0.5, 0.0, 5.0,                                                                                                               \
	    "Thompson sampling: how far an unseen category moves a score, in spreads of the candidates' ln scores (docs/RANKING.md)")                  \
	D(thompson_prior, 20.0, 0.0, 10000.0,                                                                                                          \
	    "impressions' worth of the global category click rate a user's own posterior starts from")                                                 \
	D(mmr_lambda, 0.7, 0.0, 1.0,                                                                                                                   \
	    "MMR: relevance against novelty (1 = relevance order)")                                                                                    \
	U(mmr_pool, 10, 1, 100,                                                                                                                        \
	    "MMR (or the DPP) chooses from the best mmr_pool x k candidates")                                                                          \
	D(mmr_mean, 0.0, 0.0, 1.0,                                                                                                                     \
	    "MMR: share of the mean similarity to the picks in a candidate's redundancy, the rest the max (ILD is a mean)")                            \
	B(mmr_dcg, true,                                                                                                                               \
	    "MMR steps on expected DCG plus ILD: relevance as the score's share, discounted by the position filled, against the summed similarity")    \
	E(diversifier, enum rank_diversifier, RANK_DIV_MMR,                                                                                            \
	    rank_diversifier_names,                                                                                                                    \
	    "re-ranker of the diverse and full strategies: mmr (mmr_lambda, mmr_mean) or dpp (dpp_theta, dpp_window)")                                 \
	D(dpp_theta, 0.8, 0.0, 1.0,                                                                                                                    \
	    "DPP: relevance against the volume the picks span (1 = relevance order); the bubble guard lowers it by bubble_lambda_drop")                \
	U(dpp_window, 16, 1, 16,                                                                                                                       \
	    "DPP: a candidate is set against the last dpp_window picks only (sliding window)")                                                         \
	B(diverse_by_score, true,                                                                                                                      \
	    "MMR (or the DPP) chooses the set of the top k, which is then shown in score order (ILD is a property of the set, NDCG of the order)")     \
	U(serendipity_every, 10, 0, 1000,                                                                                                              \
	    "one slot in this many of the top k goes to the best candidate outside the user's top categories (0 = none)")                              \
	D(bubble_entropy_floor, 0.5, 0.0, 1.0,                                                                                                         \
	    "filter-bubble guard: below this normalized entropy of the user's recent impressions diversity is raised")                                 \
	D(bubble_lambda_drop, 0.2, 0.0, 1.0,                                                                                                           \
	    "how much the guard lowers mmr_lambda (dpp_theta with the DPP)")                                                                           \
	U(attribution_window_s, 1800, 1, 2592000,                                                                                                      \
	    "a click or conversion carrying a request id is attributed to it within this many seconds")

#endif
