/*
 * evfield: the event field names every decoder accepts (snake_case, the
 * camelCase of the original UserBehaviorEvent, and a few common aliases),
 * where each lands in struct evt_input, and the event-time number rule.
 * One table for the JSON and msgpack decoders, so the two dialects cannot
 * drift apart. Pure functions; any process.
 */
#ifndef PENCHANT_IPC_EVFIELD_H
#define PENCHANT_IPC_EVFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/event.h"

/*
 * The shape every decoder allows one event (record), counted from the
 * event map itself (level 1): maps and arrays nested at most EVF_MAX_DEPTH
 * levels (empty ones count too), every map at most EVF_MAX_KEYS pairs.
 * Beyond either the one event is rejected (EVT_R_TOO_DEEP, EVT_R_TOO_BIG),
 * never the connection or the message that carried it.
 */
#define EVF_MAX_DEPTH 8
#define EVF_MAX_KEYS 64

enum evf_target {
	EVF_USER,
	EVF_SESSION,
	EVF_TYPE,
	EVF_ENTITY_TYPE,
	EVF_ENTITY,
	EVF_DEVICE,
	EVF_PLATFORM,
	EVF_WEATHER,
	EVF_SOCIAL,
	EVF_TOD,
	EVF_REC_TYPE,
	EVF_FEEDBACK_TYPE,
	EVF_QUERY,
	EVF_TIME,
	EVF_TZ,
	EVF_LAT,
	EVF_LON,
	EVF_POSITION,
	EVF_DWELL,
	EVF_SCROLL,
	EVF_FEEDBACK,
	EVF_REQUEST,
	EVF_DNT,	       /* "dnt", "doNotTrack", "gpc": booleans */
	EVF_CONSENT_PERS,      /* "personalization" of a consent event */
	EVF_CONSENT_ANALYTICS, /* "analytics" of a consent event */
	EVF_NEST, /* "context", "metadata", "location": a nested map */
	EVF_COUNT
};

/* The target of a key, or -1 for a field decoders ignore. */
int evf_lookup(const char *name, size_t len);

/*
 * One event gives each field once: by one of its names, in the event map
 * or in one of its nested maps (they are read like the top level, so a
 * field there is the same field). *seen (0 at the event's start) holds
 * the fields given so far; evf_once marks target t and returns false
 * when it was given already, by this name or another: the event is
 * refused as EVT_R_DUPLICATE_FIELD (the last value silently winning would
 * learn from a value the sender may not mean). EVF_NEST is always true:
 * the fields of a nested map are what is checked, so maps may nest (or
 * repeat) as long as no field is given twice. A nil/null value is absent
 * and not passed here; unknown keys carry nothing and are not checked.
 */
static inline bool evf_once(uint32_t *seen, enum evf_target t)
{
	_Static_assert(EVF_COUNT <= 32, "one bit a field in a uint32_t");
	if (t == EVF_NEST) /* a map of fields: its fields are checked */
		return true;
	uint32_t b = 1u << (unsigned)t;
	if (*seen & b)
		return false;
	*seen |= b;
	return true;
}

/* Canonical name (static) of a target, for bad_field and messages. */
const char *evf_canon(enum evf_target t);

/* Where a string value of `t` goes, or NULL when `t` takes no string. */
struct evt_str *evf_str_slot(struct evt_input *in, enum evf_target t);

/* Where a number value of `t` goes (and its has_ flag), or NULL. */
double *evf_num_slot(struct evt_input *in, enum evf_target t, bool **has);

/* Where a boolean value of `t` goes (evt_input's 0 absent, 1 false, 2
 * true), or NULL when `t` takes no boolean. */
uint8_t *evf_bool_slot(struct evt_input *in, enum evf_target t);

/* 0 user, 1 session, 2 entity for id targets (integers allowed), else -1. */
int evf_id_slot(enum evf_target t);

/*
 * The event-time rule for numbers: an integral value with |v| >= 1e11 is
 * milliseconds, anything else seconds (converted, rounded). 1e11 s is year
 * 5138 and 1e11 ms is 1973, so no accepted time is ambiguous. `exact`
 * carries an integer's value when the decoder has it (is_int), so large
 * millisecond values need not round-trip through a double. Saturates at
 * the int64 ends (evt_build then rejects the time).
 */
int64_t evf_time_ms(double v, bool is_int, int64_t exact);

#endif
