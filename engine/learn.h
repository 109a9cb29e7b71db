/*
 * learn: the preference learner. Plain functions over plain structs: no I/O,
 * no clock, no shared memory. The shard workers and `penchant replay` call
 * exactly these functions, so a replay is the engine.
 *
 * Basic rules (../shared/DESIGN.md, Learning):
 *  - signal: rsvp 1.0, save 0.8, share 0.7, click 0.3, view 0.1, feedback
 *    +0.9 / -0.5, search 0.1 applied to the tags its tokens matched; the
 *    commerce and media verbs cart 0.5, purchase 1.0, like 0.6, dislike
 *    -0.6, skip -0.05, hide -0.8, impression (below); each a setting
 *    (signal_VERB), and up to EVT_CUSTOM_VERBS operator verbs with a
 *    signal each (the `verbs` setting, lrn_params.verb_signal);
 *  - weight += signal * learning_rate (0.1) for every tag and the category of
 *    the item;
 *  - decay: every weight is multiplied by decay_per_day (0.95) per day of
 *    event time since the profile's last_ms, lazily when the next event comes
 *    (no sweeps). An event older than last_ms adds signal * lr *
 *    decay^(age in days) instead, so the weights do not depend on the order in
 *    which events of one user arrive: W(t) = sum_i s_i*lr*decay^((t-t_i)/day).
 *    This weight `w` is the long interest horizon: mean age of its mass
 *    1/ln(1/0.95) = 19.5 days, 79 % of it from the last 30 days.
 *    decay_per_day goes down to 0.01 (a half-life of 3.6 hours) for
 *    domains where interest moves within a session.
 *  - short horizon: beside w every interest keeps s, the same
 *    contributions halving every short_half_life_h (8) hours of event
 *    time, on an hourly grid (bfloat16: range, not digits). Ranking blends
 *    the two (the re-ranker's business); drift is measured on s.
 *
 * A plain event (dwell_ms == 0, scroll_depth <= 0 or absent, position == 0)
 * learns exactly by the basic rules, and so does every event of a profile
 * that is not drifting (below). Everything else refines them:
 *
 * Implicit feedback (lrn_event_signal; constants in struct lrn_params):
 *  - dwell: a view or click with dwell d > 0 s is scaled by
 *    f_d = dwell_floor + (dwell_cap - dwell_floor) * d / (d + dwell_half_s)
 *    (0.5 .. 2.0, 1.0 at d = 15 s, 1.25 at 30 s): monotone, bounded.
 *  - scroll: depth s in (0, 1] scales a view or click by
 *    f_s = scroll_floor + (scroll_cap - scroll_floor) * s (0.75 .. 1.5).
 *    Depth <= 0 (evt_build stores -1 when absent) or NaN carries no
 *    information and scales by 1.
 *  - bounce: a click with 0 < dwell < bounce_s (5 s) is a weak negative,
 *    bounce_signal (-0.1), instead of the click's positive signal.
 *  - position bias: a click at 1-based list position p is divided by the
 *    examination probability 1/log2(p+1) (1 at the top, 0.5 at p = 3), i.e.
 *    multiplied by min(log2(p+1), position_cap (3.0)): a click low in a list
 *    says more.
 *  - impression: an impression event, or a view with a position of a
 *    recommendation (rec_type != 0 or entity_type recommendation) with
 *    neither dwell nor scroll, is a weak negative: impression_signal
 *    (-0.02) / log2(p+1) (p = 1 when absent); top slots, surely examined,
 *    say the most. Skipping never outweighs acting: all the
 *    impressions of one remembered item together reach at most
 *    impression_signal / (1 - repeat_ratio) = -0.04, less in magnitude than
 *    the weakest act (a click at f_d, f_s floors: 0.3*0.5*0.75 = 0.1125).
 *  - repeats: the profile remembers the last LRN_SEEN entities it met
 *    (seen[], lrn_seen: views, impressions, whether the user acted); the
 *    k-th earlier view of the
 *    same entity scales a view by repeat_ratio^k (0.5): saturation. It
 *    applies to views carrying implicit data, and to plain views only when
 *    repeat_plain is set (default off: plain views keep DESIGN.md's linear
 *    rule).
 *
 * Confidence (lrn_confidence, lrn_profile_confidence): every entry also keeps
 * `mass`, the decayed sum of |contribution| (decaying exactly like w). With
 * positive mass a and negative mass b (w = a - b, mass = a + b),
 *     confidence = |w| / (mass + K),
 *     K = confidence_prior * confidence_unit * lr
 * is |2E[p]-1| of a Beta(a + K/2, b + K/2) posterior: evidence count (mass
 * in click units, confidence_unit 0.3), recency (mass decays) and agreement (a vs
 * b) in one number in [0, 1). confidence_prior = 5 clicks: 3 clicks give 0.375,
 * 300 give 0.98; equal positive and negative evidence gives 0. The profile
 * confidence is the same formula over the category table (tags when there
 * is no category) with confidence_profile_prior = 20 clicks.
 *
 * Drift (lrn_drift_kl): for the categories two more horizons on the
 * hourly grid: cat_count, the positive events touching the category,
 * decaying like s (a count: one strong event is not several; counting
 * keeps stable users from looking new), and cat_long, positive
 * contributions decaying by long_decay_per_day (0.989; mean age 90 days).
 * At the first event of each new hour of event time the learner computes
 * KL(P_short || P_long) over the category slots in use, S_i = cat_count:
 *     q_i = (1 - kl_smooth) * long_i / sum long + kl_smooth / n
 *     p_i = (S_i + kl_prior * q_i) / (sum S + kl_prior)
 * (kl_smooth 0.03; kl_prior 2.5 pseudo-events shrink a
 * thin short window toward the long one, which keeps broad stable users
 * from looking new). It is 0 until the profile has drift_min_events (50)
 * events, two category slots and sum S >= drift_min_short (2), so a thin or
 * fresh profile never drifts. Above kl_threshold (0.5) the profile is
 * flagged (drift = 1, drift_h = the event hour, drift_count++); below
 * kl_release (0.1) the flag drops. While flagged, at each such hour every w
 * (tags and categories) is pulled toward the surplus of short-term
 * attention (S_i: cat_count for categories, positive s for tags) over the
 * long weights:
 *     w_i <- (1 - rho) w_i + rho * W * t_i,  t_i ∝ max(S_i/S - w_i+/W, 0)
 * W = sum of positive w of the table, rho = drift_pull (0.5) *
 * drift_pull_decay_per_day (0.5) ^ (days since drift_h); mass follows the
 * same mix, so |w| <= mass holds. Why not a 30-day vs 90-day KL: at 5
 * events/day a day of new events moves a 30-day distribution by ~5 %, a KL
 * of ~0.04; a switch can only be seen within 24 h against a ~1-day horizon.
 *
 * Evolution (lrn_history): one entry per ISO week (Monday 00:00 local) for
 * the last LRN_HIST weeks: the top tag by w at the week's last applied
 * event and its share of the positive tag weight (1/255 units). The open
 * week (hist_week, that of the latest event in order) is not stored:
 * lrn_history reads it from the tags, and the first event of a later
 * week closes it with the tags as they stand before that event, so the
 * top is computed once a week, not on every event. The learner looks for
 * a new week at the first event of each hour of event time: in zones of
 * half and quarter hours a week closes at the first event of the hour
 * after its local midnight, so it may include up to 45 minutes of the
 * next week. A late event counts in the open week's entry (it changed the
 * tags); it never rewrites a closed week.
 *
 * Exposure (for the re-ranker): an impression event counts in seen[] and,
 * when its item's category has a slot, in cat_imp; an action (a positive
 * signal that is not a view, impression or search) marks the entity
 * engaged (converted for a purchase or rsvp) and counts in cat_clk. Both
 * category counters halve together when one saturates, keeping the rate.
 *
 * Temporal and seasonal: hours[weekday][daypart] for the whole profile (the
 * weekday/weekend mix comes from it); per category slot cat_dp[daypart]
 * (u8) and per profile seasons[] (meteorological, northern: DJF, MAM, JJA,
 * SON; u8). 8-bit counters saturate by halving their row (shape kept). A
 * category slot's counters start at 0 when a new id takes the slot
 * (its drift horizons: see admission below).
 *
 * Behavior (lrn_behavior): sessions open at an explicit session_key change
 * or after a session_gap_s (30 min) gap of event time; events per session
 * = events / sessions; mean session length from completed sessions plus the
 * current one; peak weekday/daypart from hours[][]; funnel rates from counts;
 * engagement level as of a time: dormant when the last event is more than
 * engage_dormant_days (30) old, new when the first is at most
 * engage_new_days (14) old, active when the last event is at most
 * engage_active_days (7) old and the lifetime rate is >= engage_active_per_week
 * (3) events per week, casual otherwise.
 *
 * Bounded memory and admission: LRN_TAGS tags and LRN_CATS categories
 * per user, each table backed by LRN_SHADOWS admission candidates. A new
 * id takes a free slot. When the table is full it is counted among the
 * candidates, space-saving style (Metwally et al. 2005): a known
 * candidate adds |c| to its count m and c to its own net; an unknown one
 * takes the candidate with the smallest m (a free one first) and inherits
 * that m, so m overestimates its own decayed mass by at most what it
 * inherited and no contribution is lost from the counts. A candidate is
 * promoted into the table, swapping with the weakest entry (smallest |w|,
 * lowest slot on ties), once its guaranteed mass |net| (its own, never
 * the inherited part) exceeds that entry's |w|, or, for attention that
 * is sustained now, once it has a run of admit_events (2) positive
 * events, each within admit_gap_h (12) hours of the one before (two
 * views a month apart are two runs of one), or this event is an act
 * (lrn_is_action: a click, save, cart, like...; admit_acts), a positive
 * net, and net exceeds the weakest entry's short horizon (that entry is
 * idle now: it gets no comparable attention). Its w, mass and s start
 * from its own net, its evidence n from its run (at most 15); a
 * category's drift horizons from what it brings: cat_count from its
 * run's events, cat_long from its net before this event on the scale of
 * the user's other categories (their summed cat_long over their summed
 * positive w), so an interest coming back is not taken for a new one
 * (at 5 events a day, a category never touched before ranks first
 * after a median 9.0 h, 9.4 h when six equal interests fill the table;
 * 11.7 and 13.2 h when those counters started at 0 and only runs let
 * candidates in); the evicted entry becomes the candidate with its mass, so an interest
 * pushed out by a burst can come back. Candidates decay like w. The error
 * bound of space-saving: every id whose decayed mass exceeds (the decayed
 * mass that reached the candidates) / LRN_SHADOWS is in the table or among
 * the candidates. Consequences: sustained attention always gets in (after
 * 12 saves of 12 tags and categories, the 13th tag and 7th category of 50
 * views enter after ~9 views when the saves were minutes apart, ~5 when
 * they were a day apart), one
 * stray view evicts nothing that has more than its weight, and nothing is
 * dropped for want of room; `displaced` counts candidates that lost their
 * place to a newcomer (churn among the candidates, not lost mass).
 *
 * Location cells (LRN_GEO) keep a count and the day the user was last
 * there; a new cell replaces the one of least weight as of its day, the
 * count halving every geo_half_life_days (30) since the last visit.
 * Temporal and device counters are 8-bit and saturate by halving the whole
 * histogram, which keeps its proportions; per verb counts are 32-bit.
 *
 * Order independence holds for w, mass and the per-verb counts as long as
 * no admission swap happens and the profile does not drift (up to float
 * rounding: weights are floats), and for the 8-bit histograms until one
 * of their cells first saturates: the halving then rounds each cell down
 * at that moment, so after it the proportions depend a little on the
 * order (200 morning and 300 evening events read 100:172 in time order,
 * 200:172 reversed, within one halving's rounding of 2:3). Admission,
 * the geo table, the drift detector, sessions, the recent-items memory
 * and the weekly history depend on the order of arrival by nature.
 *
 * Threads: none of these functions touches anything but its arguments; the
 * caller serializes access to one profile (only the owning shard writes it).
 */
#ifndef PENCHANT_ENGINE_LEARN_H
#define PENCHANT_ENGINE_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/event.h"
#include "engine/learn_params.h"

#define LRN_TAGS 12
#define LRN_CATS 6
#define LRN_SHADOWS 2 /* admission candidates per table */
#define LRN_GEO 3
#define LRN_ITEM_TAGS 8
#define LRN_SEEN 16 /* remembered entities (views, impressions, acts) */
#define LRN_SEEN_COUNT_MAX 15 /* views, impressions of one: saturate here */
#define LRN_HIST 12	      /* weeks of interest history */
#define LRN_GRID_HOURS 256    /* spans of the hourly grid tabled in params */
#define LRN_SEASONS 4
#define LRN_DAY_MS 86400000LL

/*
 * Per verb counters (enum evt_type, feedback split by sign): index
 * lrn_count_of(type, feedback).
 */
enum lrn_count {
	LRN_N_VIEW = 0,
	LRN_N_CLICK,
	LRN_N_RSVP,
	LRN_N_SAVE,
	LRN_N_SHARE,
	LRN_N_FEEDBACK_POS,
	LRN_N_FEEDBACK_NEG,
	LRN_N_SEARCH,
	LRN_N_CART,
	LRN_N_PURCHASE,
	LRN_N_LIKE,
	LRN_N_DISLIKE,
	LRN_N_SKIP,
	LRN_N_HIDE,
	LRN_N_IMPRESSION,
	LRN_N_CUSTOM0,
	LRN_N_COUNT = LRN_N_CUSTOM0 + EVT_CUSTOM_VERBS
};

/* The counter of a verb (feedback by the sign of fb); LRN_N_COUNT when the
 * type is out of range or a feedback has no sign. */
unsigned lrn_count_of(unsigned type, int fb);

/*
 * One interest: a tag or a category. 16 bytes, so four share a cache line.
 * w and mass are as of the profile's last_ms; s is as of short_h (hourly
 * grid). Floats: 24 bits of precision are far more than a preference
 * needs, and the table is what every event touches.
 */
struct lrn_weight {
	uint32_t id; /* evt_tag_id() of the tag or category name; 0 = free */
	float w;     /* long horizon weight (decay_per_day) */
	float mass;  /* decayed sum of |contribution| (confidence) */
	uint16_t s;  /* short horizon weight (short_half_life_h), bfloat16 */
	uint16_t n;  /* evidence: events that touched it (saturating) */
};

/*
 * An admission candidate of a full table: a space-saving counter of
 * |contributions| (m, the count the least of which a newcomer replaces and
 * inherits) and the candidate's own signed contributions since it took
 * its place (net, its w if promoted). |net| is a lower bound of its own
 * mass: m - |net| bounds the error it inherited. Both decay like w.
 */
struct lrn_shadow {
	uint32_t id; /* 0 = free */
	float m;     /* count: own |contributions| + inherited, as of last_ms */
	float net;   /* own signed contributions, as of last_ms */
};

/*
 * What the profile remembers of one entity it met lately (seen[]): views
 * and impressions (each saturating at 15) and whether the user acted on it
 * (engaged: a click or another positive action; converted: a purchase or
 * an rsvp). 20 bits of the folded key identify it: two entities among the
 * 16 remembered are mistaken for each other once in ~65000 users.
 */
struct lrn_seen_info {
	unsigned views, impressions;
	bool engaged, converted;
};

/* Meteorological seasons (northern hemisphere months). */
enum lrn_season { LRN_WINTER = 0, LRN_SPRING, LRN_SUMMER, LRN_AUTUMN };

/*
 * One user's learned profile. Plain data; the shm profile slot puts an
 * 8-byte sequence lock in front of it. The first cache line holds what
 * every event reads; the interest tables follow; counters and histograms
 * after them; the parts updated once a week or on a location last.
 * Layout is part of LRN_LAYOUT_VERSION.
 */
#define LRN_LAYOUT_VERSION 7
struct lrn_profile {
	uint64_t user_key;
	int64_t first_ms;      /* earliest event time seen */
	int64_t last_ms;       /* latest event time seen (readers' weights are
			    * as of this: lrn_settle) */
	uint32_t events;       /* events applied */
	uint32_t sessions;     /* sessions opened (see lrn_behavior) */
	int32_t short_h;       /* event hour the tables are as of (its start):
			    * the short horizon, and the long one until a
			    * reader settles it */
	int32_t drift_h;       /* event hour drift was last detected */
	uint32_t sess_key;     /* folded session_key of the session, 0 none */
	uint32_t sess_age_s;   /* current session: first event to last_ms */
	uint32_t sess_total_s; /* summed length of completed sessions, s */
	int16_t hist_week;     /* week number of hist_tag[0], the open week
			    * (its entry 0 until a later week closes it) */
	uint8_t drift;	       /* 1 while drifting */
	uint8_t drift_count;   /* drift episodes detected (saturates) */
	uint16_t unknown;      /* events whose entity was not in the catalog
			   * (saturating) */
	uint16_t displaced;    /* candidates that lost their place to a newcomer
			     * (saturating; their mass lives on in its eps) */

	struct lrn_weight tags[LRN_TAGS];
	struct lrn_weight cats[LRN_CATS];
	uint16_t cat_long[LRN_CATS];  /* drift's long horizon, bfloat16 */
	uint16_t cat_count[LRN_CATS]; /* drift's short horizon: positive
				       * events, decaying as s, bfloat16 */
	uint8_t cat_dp[LRN_CATS][EVT_DP_COUNT]; /* per category slot */
	struct lrn_shadow shadow_tags[LRN_SHADOWS];
	struct lrn_shadow shadow_cats[LRN_SHADOWS];

	uint32_t counts[LRN_N_COUNT];
	uint8_t hours[7][EVT_DP_COUNT]; /* [weekday][daypart] local, events */
	uint8_t devices[EVT_DEV_COUNT];
	uint8_t platforms[EVT_PLAT_COUNT];
	uint8_t seasons[LRN_SEASONS];
	uint32_t seen[LRN_SEEN];   /* entities met lately, most recent
					  * first (lrn_seen); 0 = free */
	uint8_t cat_imp[LRN_CATS]; /* impressions of each category slot's */
	uint8_t cat_clk[LRN_CATS]; /* items, and actions on them (halving
				    * together; the ranker's posterior) */

	uint64_t geo_cell[LRN_GEO];   /* engine/geo.h cells, 0 = free */
	uint16_t geo_n[LRN_GEO];      /* events there (saturating) */
	uint16_t geo_day[LRN_GEO];    /* day (since 1970) last seen there */
	uint32_t hist_tag[LRN_HIST];  /* top tag per week, [0] newest; 0 none */
	uint8_t hist_share[LRN_HIST]; /* its share of positive w, /255 */
	uint8_t shadow_tag_n[LRN_SHADOWS]; /* each candidate's run: positive */
	uint8_t shadow_cat_n[LRN_SHADOWS]; /* events in a row within
					    * admit_gap_h (high nibble),
					    * hours since the last (low) */
	uint8_t consent;     /* purposes decided (high nibble, EVT_CONSENT_SET)
			  * and granted (low nibble): evt_consent bits */
	uint8_t exp_seen_hi; /* bits 16..23 of exp_seen */
	uint16_t exp_seen;   /* experiments this user was counted in: 3
			      * bits a slot, the tag of the slot's
			      * generation (shm/experiments.h), 0 none */
};
_Static_assert(sizeof(struct lrn_profile) == 760,
    "with its 8-byte lock a profile fills 12 cache lines");

/*
 * The hot part: the leading bytes of a profile that re-ranking and the
 * hot read (pen_profile_hot_read) need: the first line, both interest
 * tables with their two horizons, the drift horizons and the category
 * dayparts. Readers that want only these copy 400 of the 760 bytes.
 */
#define LRN_HOT_BYTES offsetof(struct lrn_profile, shadow_tags)
_Static_assert(offsetof(struct lrn_profile, shadow_tags) <= 7 * 64 - 8,
    "with the lock the hot part stays within 7 cache lines");

/*
 * Whether purpose (enum evt_purpose) may use this profile: what the user
 * decided, else the instance's regime (opt_in: nothing until granted).
 * p NULL: no decision.
 */
static inline bool lrn_consents(const struct lrn_profile *p, unsigned purpose,
    bool opt_in)
{
	if (p && (p->consent & EVT_CONSENT_SET(purpose)))
		return (p->consent & purpose) != 0;
	return !opt_in;
}

/*
 * Whether a profile holds anything to keep: learned events, or a consent
 * decision (which must outlive the profile it objected to: snapshots and
 * the retention sweep keep the key and the decision).
 */
static inline bool lrn_holds(const struct lrn_profile *p)
{
	return p->events != 0 ||
	    (p->consent & EVT_CONSENT_SET(EVT_PURPOSES)) != 0;
}

/*
 * Forgets everything p learned: only the key and the consent decisions
 * stay (a decision-only record). Returns whether a decision is there,
 * that is whether the record is worth keeping (lrn_holds).
 */
bool lrn_forget(struct lrn_profile *p);

/*
 * Records a consent decision (evt_record.consent) in p. Withdrawing
 * personalization forgets everything learned (only the key and the
 * decisions stay, so later events are not learned again); withdrawing
 * analytics keeps the profile.
 */
void lrn_consent(struct lrn_profile *p, uint8_t consent);

/*
 * What the learner needs to know about the entity an event is about. Tag ids
 * of 0 and repeats of an id are skipped; n_tags above LRN_ITEM_TAGS reads as
 * LRN_ITEM_TAGS.
 */
struct lrn_item {
	uint32_t category; /* 0 = none */
	uint8_t n_tags;
	uint32_t tags[LRN_ITEM_TAGS]; /* evt_tag_id()s */
};

/*
 * Every constant of the learner: one field per row of LRN_PARAMS
 * (engine/learn_params.h), named as the setting. lrn_params_default() gives
 * the defaults of that table.
 */
#define _LRN_PD(n, def, lo, hi, h) double n;
#define _LRN_PU(n, def, lo, hi, h) unsigned n;
#define _LRN_PB(n, def, h) bool n;
struct lrn_params {
	LRN_PARAMS(_LRN_PD, _LRN_PU, _LRN_PB)
	/* The custom verbs' signals (the `verbs` setting), EVT_CUSTOM0.. */
	double verb_signal[EVT_CUSTOM_VERBS];
	/* Derived by lrn_params_derive() from the rows above: natural logs
	 * of the per-day factors, so a decay is one exp(), and the bases
	 * they were taken of (checked: a stale derivation is a bug). */
	double ln_decay, ln_short, ln_long, ln_pull, ln_geo;
	double of_decay, of_short, of_long, of_pull, of_geo;
	/* The hourly grid's factors by whole hours h < LRN_GRID_HOURS:
	 * exp(ln_decay, ln_short or ln_long * h / 24), each by the very
	 * expression a span of h hours would evaluate, so a table read is
	 * the same double bit for bit. Every event in a new hour needs
	 * three. */
	double grid_decay[LRN_GRID_HOURS], grid_short[LRN_GRID_HOURS],
	    grid_long[LRN_GRID_HOURS];
};
#undef _LRN_PD
#undef _LRN_PU
#undef _LRN_PB

/* Fills in the defaults of LRN_PARAMS (no custom verbs) and derives. */
void lrn_params_default(struct lrn_params *p);

/* Recomputes the derived fields; call after changing any row. */
void lrn_params_derive(struct lrn_params *p);

/*
 * Whether the derived fields are those of the rows (a derivation older
 * than the rows it was taken of is a caller's bug). lrn_apply assumes it
 * without checking on every event: whoever sets params checks once (the
 * shard worker at start, shard_recover).
 */
bool lrn_params_derived(const struct lrn_params *p);

/* Zeroes the profile. first_ms/last_ms stay 0 until the first event: a
 * profile with events == 0 is empty whatever its times say. */
void lrn_profile_init(struct lrn_profile *p, uint64_t user_key);

/*
 * The basic signal strength of one event (rsvp 1.0 ... negative feedback
 * -0.5). Feedback: signal_feedback_pos for e->feedback > 0,
 * signal_feedback_neg for < 0, 0 for 0. A type outside enum evt_type gives 0.
 */
double lrn_signal(const struct lrn_params *prm, const struct evt_record *e);

/*
 * The signal after the implicit-feedback rules of the header comment, for
 * an event whose entity was viewed `prior_views` times before (for an
 * impression event: shown that many times; in the recent-items memory).
 * Equals lrn_signal() for plain events (unless repeat_plain and
 * prior_views > 0).
 */
double lrn_event_signal(const struct lrn_params *prm,
    const struct evt_record *e, unsigned prior_views);

/*
 * Applies one event. `item` is the event's entity (NULL when unknown: counts,
 * time, device and location still learn); for a search it carries the tags
 * the query matched. e->user_key must equal p->user_key (asserted).
 *
 * - counts[] by type, feedback by sign (a feedback with sign 0 counts only
 *   in `events`); events++; first_ms/last_ms widen to e->time_ms.
 * - item == NULL: no tag or category learning; `unknown`++ unless the event
 *   is a search (a search that matched no tag is not a catalog miss).
 * - contribution c = lrn_event_signal() * learning_rate, times
 *   decay^(age in days) when e->time_ms < last_ms; it goes to each tag of
 *   the item and to its category (when non-zero), one evidence each. c == 0
 *   teaches nothing: it neither creates nor evicts.
 * - then the drift detector, sessions, history, recent items, temporal
 *   counters as the header comment says.
 * - hours[weekday][daypart], devices[device], platforms[platform]: each
 *   skipped when its index is out of range. geo: when geo_cell != 0.
 * - A record whose type is outside enum evt_type is ignored entirely.
 */
void lrn_apply(struct lrn_profile *p, const struct lrn_params *prm,
    const struct evt_record *e, const struct lrn_item *item);

/*
 * A reader's copy of a profile (its first `bytes`: the whole record, or
 * LRN_HOT_BYTES) brought from the hour its long horizon is kept as of
 * (the start of short_h, see lrn_apply) to last_ms: w, mass and the
 * candidates then read as the continuous decay has them at last_ms, which
 * is what every reader is told they are (prof_read and prof_copy do it).
 * Never the learner's own record: it must stay on its hour.
 */
void lrn_settle(struct lrn_profile *p, const struct lrn_params *prm,
    size_t bytes);

/*
 * A weight of the profile decayed from last_ms to at_ms: w *
 * decay^((at_ms - last_ms) / day). An at_ms before last_ms reads as last_ms
 * (w unchanged): weights never grow back.
 */
double lrn_weight_at(const struct lrn_profile *p, const struct lrn_params *prm,
    double w, int64_t at_ms);

/*
 * Writes the indices of the non-empty (id != 0) entries of `ws` (n of them)
 * into `order` (room for n), sorted by descending weight, ties by ascending
 * id. Returns how many. Weights compare as stored (as of the same last_ms).
 */
unsigned lrn_top(const struct lrn_weight *ws, unsigned n, unsigned *order);

/* What the profile remembers of entity_key (all zero when nothing). */
struct lrn_seen_info lrn_seen(const struct lrn_profile *p, uint64_t entity_key);

/*
 * How seen[] names an entity: 20 bits of its folded key, in the high bits
 * of a 32-bit word, never 0 (LRN_SEEN_FOLD bits). Item neighbours
 * (engine/nbr.h) use the same names, so the ranker can match them
 * against seen[] without the full keys.
 */
#define LRN_SEEN_FOLD 0xFFFFF000u
/* Inline: a ranking folds every candidate's key. */
static inline uint32_t lrn_seen_fold(uint64_t entity_key)
{
	uint32_t k = (uint32_t)((entity_key * 0x9E3779B97F4A7C15ULL) >> 32) &
	    LRN_SEEN_FOLD;
	return k != 0 ? k : 0x1000u; /* 0 marks a free entry */
}
/* Entry i (0 = most recent) of seen[]: its fold (0: free, then *out is
 * all zero) and what it says. i >= LRN_SEEN: 0. */
uint32_t lrn_seen_entry(const struct lrn_profile *p, unsigned i,
    struct lrn_seen_info *out);

/* Whether an event type counts as an action on its item (engaged), and
 * as a conversion (purchase, rsvp). */
bool lrn_is_action(const struct lrn_params *prm, const struct evt_record *e);
/* lrn_is_action for a caller that has the event's lrn_signal already. */
static inline bool lrn_is_action_of(const struct evt_record *e, double signal)
{
	return e->type != EVT_VIEW && e->type != EVT_IMPRESSION &&
	    e->type != EVT_SEARCH && signal > 0.0;
}
bool lrn_is_conversion(const struct evt_record *e);

/* Confidence in [0, 1] of one interest entry; 0 for a free entry. */
double lrn_confidence(const struct lrn_params *prm,
    const struct lrn_weight *entry);

/*
 * lrn_short_at in two steps, for many entries of one profile at one time:
 * the decay factor once (one exp), then each entry's weight times it
 * (equal to lrn_short_at to the bit).
 */
double lrn_short_factor(const struct lrn_profile *p,
    const struct lrn_params *prm, int64_t at_ms);
double lrn_short_with(const struct lrn_weight *entry, double factor);

/*
 * The short horizon of an entry as of at_ms (the grid hour short_h when
 * at_ms is earlier): its bfloat16 weight halving every short_half_life_h.
 */
double lrn_short_at(const struct lrn_profile *p, const struct lrn_params *prm,
    const struct lrn_weight *entry, int64_t at_ms);

/* Category slot i's long drift weight (positive contributions, decaying
 * by long_decay_per_day, as of short_h). */
double lrn_cat_long(const struct lrn_profile *p, unsigned i);

/* Location cell i's weight as of at_ms: its count halving every
 * geo_half_life_days since the user was last there. 0 for a free cell. */
double lrn_geo_weight(const struct lrn_profile *p, const struct lrn_params *prm,
    unsigned i, int64_t at_ms);

/* An admission candidate's guaranteed mass (|net|), as of last_ms. */
double lrn_shadow_mass(const struct lrn_shadow *x);

/* Confidence in [0, 1] of the whole profile (0 when it learned nothing). */
double lrn_profile_confidence(const struct lrn_profile *p,
    const struct lrn_params *prm);

/*
 * KL(P_short || P_long) over the category slots as of last_ms, the drift
 * statistic; 0 while the profile is too thin to be judged (see header).
 */
double lrn_drift_kl(const struct lrn_profile *p, const struct lrn_params *prm);

/*
 * The two category distributions drift compares, per category slot
 * (room for LRN_CATS each; 0 for free slots): P_short and P_long of the
 * header comment. Returns false, both zero, while the profile is too thin
 * to be judged.
 */
bool lrn_drift_dists(const struct lrn_profile *p, const struct lrn_params *prm,
    double *p_short, double *q_long);

/* One week of interest history. */
struct lrn_hist_entry {
	int32_t week;	  /* weeks since Monday 1969-12-29 (local time) */
	int32_t iso_year; /* ISO 8601 week-numbering year and week 1..53 */
	uint32_t iso_week;
	uint32_t tag; /* top tag id */
	double share; /* its share of the positive tag weight, 0..1 */
};

/*
 * Writes the non-empty history entries, newest first, into out (room for
 * LRN_HIST). Returns how many.
 */
unsigned lrn_history(const struct lrn_profile *p, struct lrn_hist_entry *out);

enum lrn_engagement {
	LRN_ENG_NEW = 0,
	LRN_ENG_ACTIVE,
	LRN_ENG_CASUAL,
	LRN_ENG_DORMANT
};
const char *lrn_engagement_name(enum lrn_engagement e);

/* Behavior patterns of a profile as of a time (event-time ms). */
struct lrn_behavior {
	uint32_t sessions;
	double events_per_session;
	double mean_session_s; /* completed sessions plus the current one */
	unsigned peak_weekday; /* 0 = Monday; from hours[][] */
	unsigned peak_daypart; /* enum evt_daypart */
	double weekend_share;  /* events on Saturday and Sunday / all */
	double click_per_view; /* clicks / views, 0 without views */
	double act_per_click;  /* (saves + rsvps) / clicks, 0 without clicks */
	enum lrn_engagement engagement;
};
void lrn_behavior(const struct lrn_profile *p, const struct lrn_params *prm,
    int64_t as_of_ms, struct lrn_behavior *out);

#endif
