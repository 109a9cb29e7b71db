/*
 * learn_params: every constant of the learner, declared once. This X-macro
 * table is the only place a learner setting is written: it generates the
 * fields of struct lrn_params (engine/learn.h), their defaults
 * (lrn_params_default), and the rows of the settings table (conf/config.c),
 * hence `penchantd --help`, the parsers of flags and config files, and
 * docs/SETTINGS.md. Adding a setting is adding one line here (and using it
 * in engine/learn.c).
 *
 * Rows, in the order the settings are documented:
 *	D(name, default, min, max, help)   a double
 *	U(name, default, min, max, help)   an unsigned
 *	B(name, default, help)             a bool
 * The name is the field of struct lrn_params and the setting's name.
 * Durations carry their unit in the name (_s, _days, _per_day).
 */
#ifndef PENCHANT_ENGINE_LEARN_PARAMS_H
#define PENCHANT_ENGINE_LEARN_PARAMS_H

#define LRN_PARAMS(D, U, B)                                                    \
	D(learning_rate, 0.1, 0.0, 1.0,                                        \
	    "weight += signal x learning_rate for the item's tags and "        \
	    "category")                                                        \
	D(decay_per_day, 0.95, 0.01, 1.0,                                      \
	    "long horizon: weights are multiplied by this per day of event "   \
	    "time since the user's last event; 1 = no decay")                  \
	D(short_half_life_h, 8.0, 0.1, 720.0,                                  \
	    "short horizon: half-life (hours of event time) of the session-"   \
	    "scale interest weights beside the long ones; drift is measured "  \
	    "on it")                                                           \
	D(signal_view, 0.1, 0.0, 5.0, "signal strength of a view")             \
	D(signal_click, 0.3, 0.0, 5.0, "signal strength of a click")           \
	D(signal_rsvp, 1.0, 0.0, 5.0, "signal strength of an rsvp")            \
	D(signal_save, 0.8, 0.0, 5.0, "signal strength of a save")             \
	D(signal_share, 0.7, 0.0, 5.0, "signal strength of a share")           \
	D(signal_search, 0.1, 0.0, 5.0,                                        \
	    "signal strength of a search, for the tags its words matched")     \
	D(signal_cart, 0.5, -5.0, 5.0, "signal strength of an add to cart")    \
	D(signal_purchase, 1.0, -5.0, 5.0, "signal strength of a purchase")    \
	D(signal_like, 0.6, -5.0, 5.0, "signal strength of a like")            \
	D(signal_dislike, -0.6, -5.0, 5.0, "signal strength of a dislike")     \
	D(signal_skip, -0.05, -5.0, 5.0,                                       \
	    "signal strength of a skip (a weak negative)")                     \
	D(signal_hide, -0.8, -5.0, 5.0,                                        \
	    "signal strength of a hide / not interested")                      \
	D(signal_feedback_pos, 0.9, 0.0, 5.0,                                  \
	    "signal strength of positive explicit feedback")                   \
	D(signal_feedback_neg, -0.5, -5.0, 0.0,                                \
	    "signal strength of negative explicit feedback (0 or below)")      \
	D(dwell_floor, 0.5, 0.0, 1.0,                                          \
	    "view/click signal factor for a dwell time near 0 (implicit "      \
	    "feedback: factor = floor + (cap - floor) * d / (d + half))")      \
	D(dwell_cap, 2.0, 1.0, 10.0,                                           \
	    "view/click signal factor for a very long dwell time")             \
	D(dwell_half_s, 30.0, 0.1, 3600.0,                                     \
	    "dwell time (s) halfway between dwell_floor and dwell_cap")        \
	D(scroll_floor, 0.75, 0.0, 1.0,                                        \
	    "view/click signal factor at scroll depth 0 (linear to "           \
	    "scroll_cap at depth 1)")                                          \
	D(scroll_cap, 1.5, 1.0, 10.0,                                          \
	    "view/click signal factor at full scroll depth")                   \
	D(bounce_s, 5.0, 0.0, 600.0,                                           \
	    "a click with a dwell time below this (s) is a bounce")            \
	D(bounce_signal, -0.1, -5.0, 0.0,                                      \
	    "signal strength of a bounced click (a weak negative)")            \
	D(position_cap, 3.0, 1.0, 10.0,                                        \
	    "largest position-bias factor of a click low in a list "           \
	    "(factor = min(log2(position + 1), cap))")                         \
	D(impression_signal, -0.02, -1.0, 0.0,                                 \
	    "signal of an impression (or a recommended item viewed at a "      \
	    "position without dwell or scroll) at position 1 (divided by "     \
	    "log2(position + 1) further down)")                                \
	D(repeat_ratio, 0.5, 0.0, 1.0,                                         \
	    "each earlier view of the same item multiplies a view's signal "   \
	    "by this (saturation of repeated views)")                          \
	U(seen_impressions_max, 16, 0, 16,                                     \
	    "once the 16 recent items a profile remembers are full, a new "    \
	    "impression-only item replaces the oldest impression-only one "    \
	    "while this many are held, so items viewed or acted on are not "   \
	    "pushed out by what was merely shown (16: plain recency; 0: "      \
	    "then impressions count only on items already remembered)")        \
	B(repeat_plain, false,                                                 \
	    "plain views (no dwell or scroll data) saturate on repeats too; "  \
	    "off keeps the linear rule for them")                              \
	D(confidence_prior, 5.0, 0.1, 1000.0,                                  \
	    "clicks' worth of evidence an interest needs for confidence "      \
	    "0.5")                                                             \
	D(confidence_profile_prior, 20.0, 0.1, 10000.0,                        \
	    "clicks' worth of evidence the whole profile needs for "           \
	    "confidence 0.5")                                                  \
	D(confidence_unit, 0.3, 0.001, 10.0,                                   \
	    "the signal one unit of evidence counts as (a click)")             \
	D(long_decay_per_day, 0.989, 0.5, 1.0,                                 \
	    "per-day decay of the long interest horizon drift is measured "    \
	    "against")                                                         \
	D(kl_threshold, 0.5, 0.01, 10.0,                                       \
	    "KL divergence of short from long interests that flags drift")     \
	D(kl_release, 0.1, 0.0, 10.0,                                          \
	    "KL divergence below which a drifting profile is stable again "    \
	    "(at most kl_threshold)")                                          \
	D(kl_smooth, 0.03, 0.0, 0.5,                                           \
	    "share of a uniform distribution mixed into the long interests "   \
	    "before the KL divergence (no zero there)")                        \
	D(kl_prior, 2.5, 0.0, 1000.0,                                          \
	    "pseudo-events shrinking a thin short window toward the long "     \
	    "interests")                                                       \
	U(admit_events, 2, 1, 255,                                             \
	    "positive events in a row, each within admit_gap_h of the last, "  \
	    "that let a candidate into a full interest table in place of an "  \
	    "idle weaker entry (one stray event never does; above 15 = only "  \
	    "by outweighing it)")                                              \
	B(admit_acts, true,                                                    \
	    "one act (a positive signal that is not a view, impression or "    \
	    "search: click, save, cart, like...) is sustained attention "      \
	    "enough to let a candidate in (views still need admit_events)")    \
	U(admit_gap_h, 12, 1, 14,                                              \
	    "hours between a candidate's positive events that still make a "   \
	    "run of sustained attention (admit_events)")                       \
	U(drift_min_events, 50, 0, 1000000,                                    \
	    "events a profile needs before drift is judged")                   \
	D(drift_min_short, 2.0, 0.0, 1000.0,                                   \
	    "recent positive events (short horizon) needed before drift is "   \
	    "judged")                                                          \
	D(drift_pull, 0.5, 0.0, 1.0,                                           \
	    "how strongly a drifting profile's weights are pulled toward "     \
	    "current interests (0 = detect only)")                             \
	D(drift_pull_decay_per_day, 0.5, 0.0, 1.0,                             \
	    "the pull weakens by this per day since drift was detected")       \
	D(geo_half_life_days, 30.0, 0.1, 3650.0,                               \
	    "location cells: a cell's count halves in weight this many days "  \
	    "after the user was last there, so a user who moved forgets the "  \
	    "old cells")                                                       \
	U(session_gap_s, 1800, 1, 86400,                                       \
	    "event-time gap (s) that starts a new session when events carry "  \
	    "no session id")                                                   \
	D(engage_new_days, 14.0, 0.0, 3650.0,                                  \
	    "a user whose first event is this recent is 'new'")                \
	D(engage_active_days, 7.0, 0.0, 3650.0,                                \
	    "an 'active' user had an event this recently (and enough per "     \
	    "week)")                                                           \
	D(engage_dormant_days, 30.0, 0.0, 3650.0,                              \
	    "a user without events for this long is 'dormant'")                \
	D(engage_active_per_week, 3.0, 0.0, 10000.0,                           \
	    "lifetime events per week an 'active' user has at least")

#endif
