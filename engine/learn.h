/*
 * learn: the preference learner. Plain functions over plain structs: no I/O,
 * no clock, no shared memory. The shard workers and `penchant replay` call
 * exactly these functions, so a replay is the engine.
 *
 * Rules (../shared/DESIGN.md, Learning):
 *  - signal: rsvp 1.0, save 0.8, share 0.7, click 0.3, view 0.1, feedback
 *    +0.9 / -0.5, search 0.1 applied to the tags its tokens matched;
 *  - weight += signal * learning_rate (0.1) for every tag and the category of
 *    the item;
 *  - decay: every weight is multiplied by decay_per_day (0.95) per day of
 *    event time since the profile's last_ms, lazily when the next event comes
 *    (no sweeps). An event older than last_ms adds signal * lr *
 *    decay^(age in days) instead, so the weights do not depend on the order in
 *    which events of one user arrive: W(t) = sum_i s_i*lr*decay^((t-t_i)/day).
 *
 * Bounded memory: LRN_TAGS tags, LRN_CATS categories and LRN_GEO location
 * cells per user. Eviction rule for tags and categories: when a new id does
 * not fit, the entry with the smallest |weight| is replaced only if the new
 * contribution's |weight| is larger; otherwise the contribution is dropped and
 * counted in `dropped`. Location cells use space-saving counting: the
 * least-counted cell is replaced and the newcomer inherits its count + 1.
 * Free slots fill first; among equally weak entries or cells the lowest slot
 * goes, so eviction is deterministic.
 * Temporal and device counters are 16-bit and saturate by halving the whole
 * histogram, which keeps its proportions.
 *
 * Order independence holds for the weights, counts and histograms as long as
 * no eviction happens; eviction and the space-saving geo table depend on the
 * order of arrival by nature.
 *
 * Threads: none of these functions touches anything but its arguments; the
 * caller serializes access to one profile (only the owning shard writes it).
 */
#ifndef PENCHANT_ENGINE_LEARN_H
#define PENCHANT_ENGINE_LEARN_H

#include <stdint.h>

#include "engine/event.h"

#define LRN_TAGS 12
#define LRN_CATS 6
#define LRN_GEO 3
#define LRN_ITEM_TAGS 8
#define LRN_DAY_MS 86400000LL

/* Per event type counters; feedback split by sign. */
enum lrn_count {
	LRN_N_VIEW = 0,
	LRN_N_CLICK,
	LRN_N_RSVP,
	LRN_N_SAVE,
	LRN_N_SHARE,
	LRN_N_FEEDBACK_POS,
	LRN_N_FEEDBACK_NEG,
	LRN_N_SEARCH,
	LRN_N_COUNT
};

struct lrn_weight {
	uint32_t id;       /* evt_tag_id() of the tag or category name; 0 = free */
	uint32_t evidence; /* events that touched this entry */
	double w;          /* weight as of profile.last_ms */
};

/*
 * One user's learned profile. Plain data, 504 bytes: the shm profile slot
 * puts an 8-byte sequence lock in front of it to make a 512-byte slot.
 * Layout is part of LRN_LAYOUT_VERSION.
 */
#define LRN_LAYOUT_VERSION 1
struct lrn_profile {
	uint64_t user_key;
	int64_t first_ms;   /* earliest event time seen */
	int64_t last_ms;    /* latest event time seen: weights are as of this */
	uint32_t counts[LRN_N_COUNT];
	uint32_t events;    /* events applied */
	uint32_t unknown;   /* events whose entity was not in the catalog */
	uint32_t dropped;   /* contributions dropped by top-K eviction */
	uint32_t reserved0;
	struct lrn_weight tags[LRN_TAGS];
	struct lrn_weight cats[LRN_CATS];
	uint16_t hours[7][EVT_DP_COUNT]; /* [weekday][daypart] local, events */
	uint16_t devices[EVT_DEV_COUNT];
	uint16_t platforms[EVT_PLAT_COUNT];
	struct {
		uint64_t cell; /* engine/geo.h cell */
		uint32_t n;
		uint32_t pad;
	} geo[LRN_GEO];
	uint8_t reserved[8]; /* room for the next layout */
};
_Static_assert(sizeof(struct lrn_profile) == 504, "profile is 504 bytes");

/*
 * What the learner needs to know about the entity an event is about. Tag ids
 * of 0 and repeats of an id are skipped; n_tags above LRN_ITEM_TAGS reads as
 * LRN_ITEM_TAGS.
 */
struct lrn_item {
	uint32_t category;              /* 0 = none */
	uint8_t n_tags;
	uint32_t tags[LRN_ITEM_TAGS];   /* evt_tag_id()s */
};

struct lrn_params {
	double signal[EVT_TYPE_COUNT];  /* feedback entry unused: see below */
	double feedback_pos, feedback_neg;
	double learning_rate;
	double decay_per_day;
};

/* Fills in the DESIGN.md constants; signal[EVT_FEEDBACK] is 0 (unused). */
void lrn_params_default(struct lrn_params *p);

/* Zeroes the profile. first_ms/last_ms stay 0 until the first event: a
 * profile with events == 0 is empty whatever its times say. */
void lrn_profile_init(struct lrn_profile *p, uint64_t user_key);

/*
 * The signal strength of one event (rsvp 1.0 ... negative feedback -0.5).
 * Feedback: feedback_pos for e->feedback > 0, feedback_neg for < 0, 0 for 0.
 * A type outside enum evt_type gives 0.
 */
double lrn_signal(const struct lrn_params *prm, const struct evt_record *e);

/*
 * Applies one event. `item` is the event's entity (NULL when unknown: counts,
 * time, device and location still learn); for a search it carries the tags
 * the query matched. e->user_key must equal p->user_key (asserted).
 *
 * - counts[] by type, feedback by sign (a feedback with sign 0 counts only
 *   in `events`); events++; first_ms/last_ms widen to e->time_ms.
 * - item == NULL: no tag or category learning; `unknown`++ unless the event
 *   is a search (a search that matched no tag is not a catalog miss).
 * - contribution c = lrn_signal() * learning_rate, times decay^(age in days)
 *   when e->time_ms < last_ms; it goes to each tag of the item and to its
 *   category (when non-zero), one evidence each. c == 0 teaches nothing: it
 *   neither creates, evicts, nor counts as dropped.
 * - hours[weekday][daypart], devices[device], platforms[platform]: each
 *   skipped when its index is out of range. geo: when geo_cell != 0.
 * - A record whose type is outside enum evt_type is ignored entirely.
 */
void lrn_apply(struct lrn_profile *p, const struct lrn_params *prm,
    const struct evt_record *e, const struct lrn_item *item);

/*
 * A weight of the profile decayed from last_ms to at_ms: w *
 * decay^((at_ms - last_ms) / day). An at_ms before last_ms reads as last_ms
 * (w unchanged): weights never grow back.
 */
double lrn_weight_at(const struct lrn_profile *p,
    const struct lrn_params *prm, double w, int64_t at_ms);

/*
 * Writes the indices of the non-empty (id != 0) entries of `ws` (n of them)
 * into `order` (room for n), sorted by descending weight, ties by ascending
 * id. Returns how many. Weights compare as stored (as of the same last_ms).
 */
unsigned lrn_top(const struct lrn_weight *ws, unsigned n, unsigned *order);

#endif
