/*
 * event: the behavior event as it travels through the rings, and the checked
 * path from loosely typed input (JSON, msgpack) to that record.
 *
 * struct evt_record is the ring record: 128 bytes, no pointers, copied by
 * value into shared memory. Strings never cross a ring: ids are hashed to
 * 64-bit keys (user, entity, session) or 32-bit tag ids (search tokens) here,
 * at the edge, so every consumer works on fixed-width integers.
 *
 * Decoders (JSON in ipc/json.c, msgpack in ipc/) fill a struct
 * evt_input with borrowed string slices and raw numbers; evt_build() is the one
 * place that validates, normalizes and enriches it. Every rejection has a
 * reason from enum evt_reason, counted by whoever called evt_build().
 *
 * Any process may call anything here; nothing here touches shared memory.
 */
#ifndef PENCHANT_ENGINE_EVENT_H
#define PENCHANT_ENGINE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Event types ("verbs"). The order is part of the ring and snapshot
 * layout. The built-in verbs have names and signals of their own
 * (engine/learn_params.h); an operator adds up to EVT_CUSTOM_VERBS more
 * with the `verbs` setting, named in struct evt_limits and numbered
 * EVT_CUSTOM0.. in the order the setting lists them (a snapshot keeps
 * them by name, so reordering the setting does not mix their counts up).
 */
enum evt_type {
	EVT_VIEW = 0,
	EVT_CLICK,
	EVT_RSVP,
	EVT_SAVE,
	EVT_SHARE,
	EVT_FEEDBACK,
	EVT_SEARCH,
	EVT_CART,	/* added to a cart or basket */
	EVT_PURCHASE,	/* bought, booked, paid */
	EVT_LIKE,	/* a like, heart, favourite */
	EVT_DISLIKE,	/* an explicit dislike, thumbs down */
	EVT_SKIP,	/* skipped (a track, a card) */
	EVT_HIDE,	/* "not interested", hide, block */
	EVT_IMPRESSION, /* shown in a list; position says where */
	EVT_BUILTIN_COUNT,
	EVT_CUSTOM0 = EVT_BUILTIN_COUNT,
	EVT_TYPE_COUNT = EVT_CUSTOM0 + 6
};
#define EVT_CUSTOM_VERBS (EVT_TYPE_COUNT - EVT_CUSTOM0)
#define EVT_VERB_MAX 15 /* longest custom verb name */

enum evt_entity_type {
	EVT_ENT_ACTIVITY = 0,
	EVT_ENT_RECOMMENDATION,
	EVT_ENT_USER,
	EVT_ENT_SEARCH_RESULT,
	EVT_ENT_COUNT
};

/* Normalized device class; unknown strings map to EVT_DEV_OTHER. */
enum evt_device {
	EVT_DEV_UNKNOWN = 0, /* field absent */
	EVT_DEV_MOBILE,
	EVT_DEV_DESKTOP,
	EVT_DEV_TABLET,
	EVT_DEV_TV,
	EVT_DEV_OTHER,
	EVT_DEV_COUNT
};

enum evt_platform {
	EVT_PLAT_UNKNOWN = 0,
	EVT_PLAT_IOS,
	EVT_PLAT_ANDROID,
	EVT_PLAT_WEB,
	EVT_PLAT_WINDOWS,
	EVT_PLAT_MACOS,
	EVT_PLAT_LINUX,
	EVT_PLAT_OTHER,
	EVT_PLAT_COUNT
};

enum evt_weather {
	EVT_WX_UNKNOWN = 0,
	EVT_WX_SUNNY,
	EVT_WX_CLOUDY,
	EVT_WX_RAINY,
	EVT_WX_SNOWY,
	EVT_WX_STORMY,
	EVT_WX_HOT,
	EVT_WX_COLD,
	EVT_WX_OTHER,
	EVT_WX_COUNT
};

enum evt_social {
	EVT_SOC_UNKNOWN = 0,
	EVT_SOC_ALONE,
	EVT_SOC_FRIENDS,
	EVT_SOC_FAMILY,
	EVT_SOC_PARTNER,
	EVT_SOC_GROUP,
	EVT_SOC_COUNT
};

/* Local time of day, from event time plus timezone offset. */
enum evt_daypart {
	EVT_DP_NIGHT = 0, /* 00:00-05:59 */
	EVT_DP_MORNING,	  /* 06:00-11:59 */
	EVT_DP_AFTERNOON, /* 12:00-17:59 */
	EVT_DP_EVENING,	  /* 18:00-23:59 */
	EVT_DP_COUNT
};

#define EVT_SEARCH_TOKENS 6 /* query tokens kept per search event */

/*
 * The ring record. Layout is part of EVT_LAYOUT_VERSION (and so of the region
 * version): change a field, bump it.
 */
#define EVT_LAYOUT_VERSION 5
struct evt_record {
	uint64_t seq; /* producer sequence within its ring; set on publish */
	uint64_t user_key;    /* evt_user_key(user id) */
	uint64_t entity_key;  /* evt_entity_key(entity id); 0 for search */
	uint64_t session_key; /* evt_entity_key(session id); 0 when absent */
	int64_t time_ms;      /* event time, UTC milliseconds since the epoch */
	uint64_t geo_cell;    /* engine/geo.h cell, 0 when no location */
	int16_t tz_offset_min; /* local time = UTC + this many minutes */
	uint8_t type;	       /* enum evt_type */
	uint8_t entity_type;   /* enum evt_entity_type */
	uint8_t device;	       /* enum evt_device */
	uint8_t platform;      /* enum evt_platform */
	uint8_t weather;       /* enum evt_weather */
	uint8_t social;	       /* enum evt_social */
	int8_t feedback;       /* +1 positive, -1 negative, 0 none */
	uint8_t daypart;       /* enum evt_daypart, local */
	uint8_t weekday;       /* 0 = Monday .. 6 = Sunday, local */
	uint8_t n_tokens;      /* search tokens used in tokens[] */
	uint16_t position;     /* 1-based list position, 0 when absent */
	uint16_t rec_type;     /* low 16 bits of hash of recommendation type */
	uint32_t dwell_ms;     /* time spent, 0 when absent */
	float scroll_depth;    /* 0..1, negative when absent */
	uint32_t tokens[EVT_SEARCH_TOKENS]; /* evt_tag_id() of search tokens */
	uint64_t request_id;  /* the rank request it answers (evt_request_*),
			      * 0 when absent */
	uint8_t control;      /* enum evt_control: 0 for a behavior event */
	uint8_t consent;      /* EVT_CTL_CONSENT: evt_consent bits */
	uint8_t flags;	      /* EVT_F_* */
	uint8_t month;	      /* 1..12, local (evt_build); 0: not computed */
	uint32_t pub_us;      /* when it became visible in its ring: low bits
			       * of CLOCK_MONOTONIC in us (shm/ring.h), for
			       * the publish -> applied histogram */
	uint8_t reserved[16]; /* zero; room for the next layout */
};
_Static_assert(sizeof(struct evt_record) == 128, "ring record is 128 bytes");

/*
 * Control records travel the rings like events, so they reach the worker
 * that owns the user after everything published before them (the single
 * writer rule holds; docs/PRIVACY.md):
 *  - CONSENT sets purposes: consent = EVT_CONSENT_SET(purposes) |
 *    granted purposes (a purpose not in the set keeps its state);
 *  - ERASE removes the user's profile (pen_erase: local programs only, it
 *    has no wire form).
 */
enum evt_control {
	EVT_CTL_NONE = 0,
	EVT_CTL_CONSENT,
	EVT_CTL_ERASE,
	EVT_CTL_EXPOSE /* a user's first exposure to an experiment: consent
			* carries the slot bit, position the variant */
};
enum evt_purpose {
	EVT_PURPOSE_PERSONALIZATION = 1, /* learning a profile, ranking by it */
	EVT_PURPOSE_ANALYTICS = 2,	 /* aggregate serving statistics */
	EVT_PURPOSES = 3
};
#define EVT_CONSENT_SET(purposes) ((uint8_t)((purposes) << 4))
/* The user asked not to be tracked (DNT, GPC): not learned, not counted. */
#define EVT_F_DNT 1u

/* Rejection reasons. Names (evt_reason_name) appear in counters and errors. */
enum evt_reason {
	EVT_OK = 0,
	EVT_R_MALFORMED, /* not parseable at all (decoder level) */
	EVT_R_NOT_MAP,	 /* top level is not a map/object */
	EVT_R_MISSING_USER,
	EVT_R_MISSING_TYPE,
	EVT_R_MISSING_ENTITY, /* non-search event without entity id */
	EVT_R_MISSING_TIME,
	EVT_R_BAD_TYPE, /* unknown event type string */
	EVT_R_BAD_ENTITY_TYPE,
	EVT_R_BAD_FIELD_TYPE, /* a known field with a value of the wrong kind */
	EVT_R_STRING_TOO_LONG,
	EVT_R_BAD_NUMBER,   /* NaN, inf, or out of the field's range */
	EVT_R_TIME_RANGE,   /* timestamp outside the accepted window */
	EVT_R_BAD_TIME,	    /* unparseable timestamp string */
	EVT_R_BAD_LOCATION, /* latitude/longitude out of range or half given */
	EVT_R_BAD_FEEDBACK, /* feedback event without a usable sign */
	EVT_R_TOO_DEEP,	    /* nesting deeper than allowed */
	EVT_R_TOO_BIG,	    /* object or array larger than allowed */
	EVT_R_TABLE_FULL,   /* (worker) profile table of the shard is full */
	EVT_R_BAD_ID, /* an id with a NUL or control byte, or invalid UTF-8 */
	EVT_R_BAD_CONSENT,     /* a consent event that names no purpose */
	EVT_R_DUPLICATE_FIELD, /* a field given twice (by a name or an alias) */
	EVT_REASON_COUNT
};

const char *evt_reason_name(enum evt_reason r);
/* A built-in verb's name; custom verbs: evt_verb_name(). */
const char *evt_type_name(enum evt_type t);
/* Parses a built-in verb ("rsvp", case-insensitive, trimmed); -1 when
 * unknown. */
int evt_type_parse(const char *s, size_t len);

/* A borrowed string slice; not NUL-terminated. */
struct evt_str {
	const char *p;
	size_t len; /* 0 with p == NULL: absent */
};

/*
 * Decoded but unchecked input. Decoders set has_* for numbers they saw and
 * leave strings {NULL,0} when absent. `bad` lets a decoder report a
 * structural problem (wrong value kind for a known field, too deep...) that
 * evt_build() returns before anything else.
 */
struct evt_input {
	struct evt_str user_id, session_id, event_type, entity_type, entity_id;
	struct evt_str device, platform, weather, social, time_of_day;
	struct evt_str rec_type, feedback_type, query, timestamp_str;
	struct evt_str request_id; /* 1..16 hex digits */
	bool has_time_ms, has_tz, has_lat, has_lon, has_position, has_dwell,
	    has_scroll, has_feedback_num;
	int64_t time_ms;      /* integer ms, or float seconds converted */
	double tz_offset_min; /* minutes east of UTC */
	double lat, lon;
	double position, dwell_ms, scroll_depth, feedback_num;
	/* Booleans: 0 absent, 1 false, 2 true. dnt: do-not-track (DNT,
	 * GPC); consent_*: the purposes of a "consent" event. */
	uint8_t dnt, consent_personalization, consent_analytics;
	enum evt_reason bad;   /* EVT_OK unless the decoder found a problem */
	const char *bad_field; /* field name for the message, may be NULL */
};

/* Limits applied by evt_build(); evt_limits_default() gives the defaults. */
#define EVT_SECRET_BYTES 16 /* SipHash-2-4's key */
struct evt_limits {
	size_t max_id_len;	/* user/entity/session id bytes (default 256) */
	size_t max_str_len;	/* other strings (default 64) */
	size_t max_query_len;	/* search query (default 512) */
	int64_t min_time_ms;	/* default 2000-01-01 */
	int64_t max_time_ms;	/* default 2100-01-01 */
	unsigned geo_precision; /* geohash characters, 1..12 (default 6) */
	/* Custom verbs: lower-case names, "" when unused (default none). */
	char verbs[EVT_CUSTOM_VERBS][EVT_VERB_MAX + 1];
	/* The instance's pseudonymization key (evt_user_key); all zero in
	 * the default, e.g. offline replays without a state_dir. */
	uint8_t user_secret[EVT_SECRET_BYTES];
};
struct evt_limits evt_limits_default(void);

/* A verb by name: built-in, or one of lim's custom verbs; -1 unknown. */
int evt_verb_parse(const struct evt_limits *lim, const char *s, size_t len);

/* The name of verb t: built-in, custom from lim, or "unknown_type". */
const char *evt_verb_name(const struct evt_limits *lim, unsigned t);

/*
 * Parses the `verbs` setting, "name:signal[, name:signal...]" (blanks
 * around entries ignored; "" is no custom verb), into names (lower-cased;
 * the rest of the array cleared) and signals. Names are 1..EVT_VERB_MAX of
 * [a-z0-9_-], not a built-in verb, not repeated; signals finite in
 * [-5, 5]; at most EVT_CUSTOM_VERBS entries. Returns the number of verbs,
 * or -EINVAL with a message naming the bad entry. names and signals may
 * be NULL to only check.
 */
int evt_verbs_parse(const char *list, char (*names)[EVT_VERB_MAX + 1],
    double *signals, char *err, size_t errlen);

/*
 * Validates and normalizes `in` into `out` (seq left 0). Returns EVT_OK or the
 * first reason found; on rejection *field (if non-NULL) names the field (a
 * static string, or in->bad_field). `out` is zeroed first, so a rejected
 * record holds nothing useful. lim == NULL means evt_limits_default().
 *
 * Order of checks: in->bad (returned as is); string caps (STRING_TOO_LONG:
 * ids against max_id_len, query against max_query_len, every other string
 * against max_str_len); user_id (MISSING_USER); ids (BAD_ID: user, entity
 * and session ids must be valid UTF-8 without NUL or other control bytes,
 * so an id cannot pose as another when displayed); event_type
 * (MISSING_TYPE, BAD_TYPE: a built-in verb or one of lim->verbs); entity_type, optional, default activity (BAD_ENTITY_TYPE);
 * entity_id, required except for search, which requires query instead
 * (MISSING_ENTITY with *field "query"); time; location; feedback; position,
 * dwell, scroll.
 *
 * Rules:
 *  - Time: has_time_ms wins over timestamp_str (RFC 3339, BAD_TIME when
 *    unparseable). The offset the string carried becomes tz_offset_min
 *    unless has_tz overrides it; tz_offset_min must be finite (BAD_NUMBER),
 *    is rounded to whole minutes and must lie within +-18 h (BAD_NUMBER;
 *    an RFC 3339 offset beyond +-18 h that has_tz does not override is
 *    BAD_TIME).
 *    The window is min_time_ms <= t < max_time_ms (TIME_RANGE).
 *    daypart and weekday are computed from time and offset (engine/clock.h);
 *    time_of_day from the client is ignored, so it cannot disagree with the
 *    timestamp and a replay gives the same answer.
 *  - Location: lat and lon both or neither (BAD_LOCATION names the missing
 *    one); NaN/inf is BAD_NUMBER; out of range is BAD_LOCATION. Stored only
 *    as the geohash cell at lim->geo_precision (clamped to 1..12); raw
 *    coordinates are not kept.
 *  - device, platform, weather, social: trimmed, case-insensitive aliases
 *    (device: iphone/ios/android/mobile/phone/smartphone -> MOBILE,
 *    desktop/web/pc/mac/laptop/computer -> DESKTOP, tablet/ipad -> TABLET,
 *    tv/smarttv -> TV; platform: ios/ipados, android, web/browser,
 *    windows/win, macos/mac/osx/"os x", linux; weather: sunny/clear/sun,
 *    cloudy/clouds/overcast, rainy/rain/drizzle, snowy/snow,
 *    stormy/storm/thunderstorm, hot, cold; social: alone/solo,
 *    friends/friend/with_friends, family, partner/couple/date, group).
 *    Absent -> UNKNOWN; unrecognized -> OTHER, never an error (advisory
 *    context). social has no OTHER bucket: unrecognized social is UNKNOWN.
 *  - Feedback: only feedback events carry a sign. feedback_type
 *    positive/like/up/thumbs_up/+1 or negative/dislike/down/thumbs_down/-1
 *    decides; otherwise feedback_num > 0 or < 0. No usable sign on a
 *    feedback event is BAD_FEEDBACK; a non-finite feedback_num on any event
 *    is BAD_NUMBER.
 *  - position is 1-based: an integer 1..65535, else BAD_NUMBER (0 included).
 *  - dwell_ms: finite and >= 0 (else BAD_NUMBER), rounded, clamped to 24 h.
 *  - scroll_depth: [0, 1] is a fraction; (1, 100] is read as a percentage
 *    and divided by 100 (so 1 means "all of it", not 1 %); anything else is
 *    BAD_NUMBER. Absent is stored as -1.
 *  - rec_type: low 16 bits of a seeded XXH3 of the trimmed, lower-cased
 *    name, never 0 when present.
 *  - request_id: 1..16 hex digits (the string a rank request returned),
 *    else BAD_FIELD_TYPE naming request_id; 0 is absent.
 *  - Search: query split on ASCII bytes that are not letters or digits
 *    (bytes >= 0x80 stay inside tokens, so UTF-8 words survive), tokens of
 *    >= 2 bytes, evt_tag_id() of each, duplicates dropped, the first
 *    EVT_SEARCH_TOKENS kept. entity_key is 0 unless an entity_id was given.
 */
enum evt_reason evt_build(const struct evt_input *in,
    const struct evt_limits *lim, struct evt_record *out, const char **field);

/*
 * The normalized class of a context string (device, platform, weather,
 * social), by the aliases evt_build uses; 0 (UNKNOWN) for NULL or empty.
 */
enum evt_context_kind {
	EVT_CTX_DEVICE,
	EVT_CTX_PLATFORM,
	EVT_CTX_WEATHER,
	EVT_CTX_SOCIAL
};
unsigned evt_context_parse(enum evt_context_kind kind, const char *s,
    size_t len);

/*
 * Request ids: what a rank request returns and the impression and click
 * events of its results carry back, so they can be attributed to it.
 * [63..22] milliseconds since 2024-01-01T00:00Z (139 years), [21..18] the
 * strategy (0..15), [17..12] the experiment arm (0: none; shm/experiments.h),
 * [11..0] a sequence: unique per client for 4096 requests a millisecond.
 * Never 0.
 */
#define EVT_REQUEST_EPOCH_MS 1704067200000LL
#define EVT_REQUEST_ARMS 63
uint64_t evt_request_make(int64_t time_ms, unsigned strategy, uint32_t seq);
uint64_t evt_request_make_arm(int64_t time_ms, unsigned strategy, unsigned arm,
    uint32_t seq);
int64_t evt_request_time(uint64_t id); /* UTC ms; 0 for 0 */
unsigned evt_request_strategy(uint64_t id);
unsigned evt_request_arm(uint64_t id);

/*
 * Key derivations. These are the only places ids become keys. Never 0.
 *
 * A user key is a keyed pseudonym: SipHash-2-4 (libsodium's
 * crypto_shorthash, a PRF) of the id under lim->user_secret, the
 * instance's secret (docs/PRIVACY.md). Without the secret a key cannot
 * be traced back to an id, nor an id's key computed, so neither the
 * region nor a snapshot holds anything that names a user. lim NULL: the
 * all-zero secret. Entity keys and tag ids are plain hashes: they name
 * things, not people.
 */
uint64_t evt_user_key(const struct evt_limits *lim, const char *id, size_t len);

/* A check value of a secret (not the secret): snapshots record it, so a
 * snapshot is never loaded under another key. */
uint64_t evt_secret_check(const uint8_t *secret);
uint64_t evt_entity_key(const char *id, size_t len);
/* Tag and category ids: of the normalized (lower-cased, trimmed) name. */
uint32_t evt_tag_id(const char *name, size_t len);

/*
 * Whether s[0..len) is text an id or a name may be: valid UTF-8 (no
 * overlong forms, no surrogates, nothing above U+10FFFF) without NUL or
 * other C0, DEL or C1 (U+0080..U+009F) control characters (the rule behind
 * EVT_R_BAD_ID).
 */
bool evt_text_ok(const char *s, size_t len);

/*
 * Whether s[0..len) may name a user to look up (read, erase, export,
 * consent, rank): evt_text_ok's rule, but C1 controls are let through.
 * Events took them before they were refused: a user named with one
 * stays reachable, above all for an erasure.
 */
bool evt_user_text_ok(const char *s, size_t len);

/*
 * Why id[0..len) could name no user under lim ("empty", "longer than
 * max_id_len", "not UTF-8 text without control bytes"), or NULL: what
 * names a user (erasure, consent, export, a profile read, a ranking) is
 * checked so, and nothing is done or recorded for a user no event could
 * have made (C1 controls pass: evt_user_text_ok).
 */
const char *evt_user_id_problem(const struct evt_limits *lim, const char *id,
    size_t len);

#endif
