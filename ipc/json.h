/*
 * json: a small strict JSON (RFC 8259) parser for one document, and the
 * mappings from JSON lines to an event input and a catalog item.
 *
 * No allocation. json_parse() writes a flat array of tokens in document
 * order (a container is followed by its children; tok.end is the index just
 * past its subtree) into a caller-provided array, and unescapes strings that
 * contain escapes into a caller-provided scratch buffer. Strings without
 * escapes point into the input. Everything returned borrows the input and
 * the scratch buffer: keep both alive while you use the result.
 *
 * Strict means: exactly one value, surrounded only by JSON whitespace
 * (space, tab, LF, CR); strings must be valid UTF-8 without raw control
 * characters; every escape of RFC 8259 including \uXXXX, with surrogate
 * pairs joined into one UTF-8 sequence and lone surrogates rejected; numbers
 * in the RFC grammar (no leading '+', no leading zeros, no NaN/Infinity, no
 * hex) whose value fits a finite double and whose text is at most 128
 * characters (longer is -ERANGE). Duplicate object keys are accepted
 * (the mappings below let the last one win).
 *
 * Numbers are converted exactly (correctly rounded): short ones by
 * Clinger's fast path, the rest with strtod(), which follows LC_NUMERIC:
 * the processes that call this never call setlocale(), so it is "C".
 *
 * Errors: functions return 0 or a negative errno and write a message into
 * err[0..errlen) that starts with "byte N: " (N the offset into the input)
 * and says what was expected. -EINVAL: syntax; -ELOOP: nesting deeper than
 * max_depth; -E2BIG: more tokens than the array holds, a string longer than
 * max_string_len or scratch full; -ERANGE: a number outside double range.
 *
 * Any process may call anything here; nothing keeps state between calls.
 */
#ifndef PENCHANT_IPC_JSON_H
#define PENCHANT_IPC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/event.h"

#define JSON_DEFAULT_DEPTH 16
#define JSON_DEFAULT_MAX_STRING 4096
#define JSON_CATALOG_TAGS 8

enum json_kind {
	JSON_NONE = 0,
	JSON_OBJECT,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL,
};

/*
 * One value. In an object the children alternate key (JSON_STRING), value.
 */
struct json_tok {
	uint8_t kind;	 /* enum json_kind */
	bool is_int;	 /* number written without '.'/exponent, fits int64 */
	uint32_t offset; /* byte offset of the value in the input */
	uint32_t
	    raw_len;	 /* bytes of the value's text (container: to ']'/'}') */
	uint32_t end;	 /* index of the first token after this subtree */
	uint32_t count;	 /* object: members; array: elements; else 0 */
	const char *str; /* string: unescaped bytes, not NUL-terminated */
	size_t len;	 /* string: length of str */
	double num;	 /* number: value */
	int64_t i;	 /* number: value when is_int */
};

/*
 * Where json_parse puts its output and how far it may go. Scratch needs at
 * most `len` bytes for an input of `len` bytes (unescaping never grows a
 * string). A token is needed for every value and every object key.
 */
struct json_work {
	struct json_tok *toks;
	size_t max_toks;
	char *scratch;
	size_t scratch_cap;
	unsigned max_depth;    /* containers nested deeper fail with -ELOOP */
	size_t max_string_len; /* unescaped bytes per string */
};

/* Fills w with the arrays and the default caps (depth 16, strings 4096). */
void json_work_init(struct json_work *w, struct json_tok *toks, size_t max_toks,
    char *scratch, size_t scratch_cap);

/*
 * Parses text[0..len) as one JSON document into w->toks; *n_toks (may be
 * NULL) gets the number of tokens, and toks[0] is the root. Returns 0 or a
 * negative errno with err filled (see above). len must be < 4 GiB.
 */
int json_parse(const char *text, size_t len, const struct json_work *w,
    size_t *n_toks, char *err, size_t errlen);

/* Index of the value for `key` in the object at toks[obj] (last match
 * wins), or -1. toks[obj] must be a parsed JSON_OBJECT. */
long json_object_get(const struct json_tok *toks, size_t obj, const char *key);

/* Name of a kind, "string", "number", ... for messages. */
const char *json_kind_name(enum json_kind k);

/*
 * Maps one JSON object (one line of an event feed) to an evt_input.
 *
 * Returns EVT_OK when the text parsed as an object; then *out holds borrowed
 * slices and raw numbers for evt_build(). A known field whose value has the
 * wrong kind sets out->bad = EVT_R_BAD_FIELD_TYPE and out->bad_field (a
 * static canonical name), fills err, and still returns EVT_OK so the caller
 * counts the reason evt_build() reports. Parse failures return
 * EVT_R_MALFORMED (syntax, bad number), EVT_R_TOO_DEEP, EVT_R_TOO_BIG, or
 * EVT_R_NOT_MAP when the root is not an object; err says why. The shape
 * rules of ipc/evfield.h hold as in msgpack: objects and arrays nested over
 * EVF_MAX_DEPTH (8; the line's object is level 1, empty ones count; also
 * when w->max_depth is larger) are EVT_R_TOO_DEEP, an object of more than
 * EVF_MAX_KEYS (64) members anywhere in the line EVT_R_TOO_BIG.
 *
 * Names (snake_case or the camelCase of PROBLEM.md), accepted at the top
 * level and inside "context", "metadata" and "location" alike, so the nested
 * shape and a flat one both work; when a field appears twice the later one
 * in the text wins. null is the same as absent. Unknown fields are ignored.
 *   user_id userId | session_id sessionId | event_type eventType type
 *   entity_type entityType | entity_id entityId
 *     (user, session and entity ids may also be plain integers: their text
 *     is the id, so 42 and "42" are the same id)
 *   timestamp: RFC 3339 string, or a number: an integral value with
 *     |v| >= 1e11 is milliseconds, anything else (a fraction, or < 1e11,
 *     i.e. before 1973-03-03 as ms) is seconds, converted to ms rounded.
 *     1e11 s is year 5138, 1e11 ms is 1973: the ranges cannot be confused
 *     for any time evt_build() accepts.
 *   tz_offset tzOffset tz_offset_min (minutes east of UTC, number)
 *   lat latitude | lon lng longitude (numbers; also inside "location")
 *   device | platform | weather | social socialContext social_context
 *   timeOfDay time_of_day (kept, ignored by evt_build)
 *   recommendationType recommendation_type rec_type
 *   recommendationPosition recommendation_position position
 *   timeSpent time_spent dwell_ms dwellMs (milliseconds)
 *   scrollDepth scroll_depth
 *   feedbackType feedback_type (string) | feedback (string -> feedback_type,
 *     number -> feedback_num)
 *   query searchQuery search_query
 *
 * w supplies the token array and scratch (see struct json_work). err gets a
 * message on any failure and "" otherwise.
 */
enum evt_reason json_event_input(const char *line, size_t len,
    const struct json_work *w, struct evt_input *out, char *err, size_t errlen);

/*
 * A catalog line: {"id": "...", "category": "...", "tags": [...],
 * "start_time": RFC 3339 or number (same rule as event timestamps),
 * "lat"/"lon" (or "latitude"/"longitude"/"lng") or "location": {lat, lon},
 * "indoor", "outdoor" (its negation: both alike are refused),
 * "group_friendly", "sensitive": booleans,
 * "price_level": 0..4}.
 * Strings borrow the input or w->scratch.
 */
struct json_catalog_item {
	struct evt_str id;			/* required, non-empty */
	struct evt_str category;		/* {NULL,0} when absent */
	struct evt_str tags[JSON_CATALOG_TAGS]; /* non-empty strings */
	unsigned n_tags;
	bool has_start;
	int64_t start_ms;  /* UTC ms */
	int start_tz_min;  /* offset of an RFC 3339 start_time, else 0 */
	bool has_location; /* lat/lon both given and in range */
	double lat, lon;
	int8_t indoor, outdoor, group_friendly; /* 1, 0, or -1 when absent */
	int8_t sensitive; /* 1: never learned nor ranked by (docs/PRIVACY.md) */
	int8_t price_level;    /* 0..4, -1 when absent */
	bool has_added;	       /* "added": when it became available */
	int64_t added_ms;      /* UTC ms */
	uint8_t device_mask;   /* "devices": bit per enum evt_device */
	uint8_t platform_mask; /* "platforms": bit per enum evt_platform */
};

/*
 * Parses one catalog line into *out. Returns 0, or a negative errno with
 * err naming the field: -EINVAL (syntax, not an object, missing id, a field
 * of the wrong kind, a bad timestamp, lat/lon half given or out of range,
 * price_level not an integer 0..4, an empty tag, devices or platforms not
 * an array of strings), -E2BIG (more than
 * JSON_CATALOG_TAGS tags, or json_parse limits), -ELOOP, -ERANGE. null is
 * the same as absent; unknown fields are ignored.
 */
int json_catalog_item(const char *line, size_t len, const struct json_work *w,
    struct json_catalog_item *out, char *err, size_t errlen);

#endif
