/* evfield: the shared event field table of the decoders. */
#include "ipc/evfield.h"

#include <math.h>
#include <string.h>

static const char *const _canon[EVF_COUNT] = {
	"user_id",
	"session_id",
	"event_type",
	"entity_type",
	"entity_id",
	"device",
	"platform",
	"weather",
	"social",
	"time_of_day",
	"rec_type",
	"feedback_type",
	"query",
	"timestamp",
	"tz_offset",
	"lat",
	"lon",
	"position",
	"dwell_ms",
	"scroll_depth",
	"feedback",
	"request_id",
	"dnt",
	"personalization",
	"analytics",
	"context",
};

/*
 * The names, grouped by length: a lookup reads only the few names of its
 * key's length, and of those only the ones with its first byte are
 * compared in full (a linear memcmp over every name cost an event about
 * 500 instructions a key).
 */
struct _field {
	const char *name;
	enum evf_target t;
};

static const struct _field _len3[] = {
	{ "lat", EVF_LAT },
	{ "lon", EVF_LON },
	{ "lng", EVF_LON },
	{ "dnt", EVF_DNT },
	{ "gpc", EVF_DNT },
};
static const struct _field _len4[] = {
	{ "type", EVF_TYPE },
};
static const struct _field _len5[] = {
	{ "query", EVF_QUERY },
};
static const struct _field _len6[] = {
	{ "userId", EVF_USER },
	{ "device", EVF_DEVICE },
	{ "social", EVF_SOCIAL },
};
static const struct _field _len7[] = {
	{ "user_id", EVF_USER },
	{ "weather", EVF_WEATHER },
	{ "dwellMs", EVF_DWELL },
	{ "context", EVF_NEST },
};
static const struct _field _len8[] = {
	{ "entityId", EVF_ENTITY },
	{ "platform", EVF_PLATFORM },
	{ "rec_type", EVF_REC_TYPE },
	{ "tzOffset", EVF_TZ },
	{ "latitude", EVF_LAT },
	{ "position", EVF_POSITION },
	{ "dwell_ms", EVF_DWELL },
	{ "feedback", EVF_FEEDBACK },
	{ "metadata", EVF_NEST },
	{ "location", EVF_NEST },
};
static const struct _field _len9[] = {
	{ "sessionId", EVF_SESSION },
	{ "eventType", EVF_TYPE },
	{ "entity_id", EVF_ENTITY },
	{ "timeOfDay", EVF_TOD },
	{ "timestamp", EVF_TIME },
	{ "tz_offset", EVF_TZ },
	{ "longitude", EVF_LON },
	{ "timeSpent", EVF_DWELL },
	{ "requestId", EVF_REQUEST },
	{ "analytics", EVF_CONSENT_ANALYTICS },
};
static const struct _field _len10[] = {
	{ "session_id", EVF_SESSION },
	{ "event_type", EVF_TYPE },
	{ "entityType", EVF_ENTITY_TYPE },
	{ "time_spent", EVF_DWELL },
	{ "request_id", EVF_REQUEST },
	{ "doNotTrack", EVF_DNT },
};
static const struct _field _len11[] = {
	{ "entity_type", EVF_ENTITY_TYPE },
	{ "time_of_day", EVF_TOD },
	{ "searchQuery", EVF_QUERY },
	{ "scrollDepth", EVF_SCROLL },
};
static const struct _field _len12[] = {
	{ "feedbackType", EVF_FEEDBACK_TYPE },
	{ "search_query", EVF_QUERY },
	{ "scroll_depth", EVF_SCROLL },
	{ "do_not_track", EVF_DNT },
};
static const struct _field _len13[] = {
	{ "socialContext", EVF_SOCIAL },
	{ "feedback_type", EVF_FEEDBACK_TYPE },
	{ "tz_offset_min", EVF_TZ },
};
static const struct _field _len14[] = {
	{ "social_context", EVF_SOCIAL },
};
static const struct _field _len15[] = {
	{ "personalization", EVF_CONSENT_PERS },
	{ "personalisation", EVF_CONSENT_PERS },
};
static const struct _field _len18[] = {
	{ "recommendationType", EVF_REC_TYPE },
};
static const struct _field _len19[] = {
	{ "recommendation_type", EVF_REC_TYPE },
};
static const struct _field _len22[] = {
	{ "recommendationPosition", EVF_POSITION },
};
static const struct _field _len23[] = {
	{ "recommendation_position", EVF_POSITION },
};

#define _LEN(n) [n] = { _len##n, sizeof(_len##n) / sizeof(_len##n[0]) }
static const struct {
	const struct _field *f;
	size_t n;
} _by_len[] = {
	_LEN(3),
	_LEN(4),
	_LEN(5),
	_LEN(6),
	_LEN(7),
	_LEN(8),
	_LEN(9),
	_LEN(10),
	_LEN(11),
	_LEN(12),
	_LEN(13),
	_LEN(14),
	_LEN(15),
	_LEN(18),
	_LEN(19),
	_LEN(22),
	_LEN(23),
};
#undef _LEN

/* a[0..n) == b[0..n), n >= 1: two overlapping word loads for the usual
 * 4..16 bytes instead of a call (a key is compared with a name of its
 * own length and first byte, so nearly every compare is a match). */
static inline bool _same(const char *a, const char *b, size_t n)
{
	uint64_t x, y, u, v;
	uint32_t x4, y4, u4, v4;

	if (n > 16)
		return memcmp(a, b, n) == 0;
	if (n >= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&u, a + n - 8, 8);
		memcpy(&v, b + n - 8, 8);
		return ((x ^ y) | (u ^ v)) == 0;
	}
	if (n >= 4) {
		memcpy(&x4, a, 4);
		memcpy(&y4, b, 4);
		memcpy(&u4, a + n - 4, 4);
		memcpy(&v4, b + n - 4, 4);
		return ((x4 ^ y4) | (u4 ^ v4)) == 0;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

int evf_lookup(const char *name, size_t len)
{
	if (len >= sizeof(_by_len) / sizeof(_by_len[0]))
		return -1;
	const struct _field *f = _by_len[len].f;
	for (size_t i = 0; i < _by_len[len].n; i++)
		if (f[i].name[0] == name[0] && _same(f[i].name, name, len))
			return (int)f[i].t;
	return -1;
}

const char *evf_canon(enum evf_target t)
{
	return (unsigned)t < EVF_COUNT ? _canon[t] : "?";
}

struct evt_str *evf_str_slot(struct evt_input *in, enum evf_target t)
{
	switch (t) {
	case EVF_USER: return &in->user_id;
	case EVF_SESSION: return &in->session_id;
	case EVF_TYPE: return &in->event_type;
	case EVF_ENTITY_TYPE: return &in->entity_type;
	case EVF_ENTITY: return &in->entity_id;
	case EVF_DEVICE: return &in->device;
	case EVF_PLATFORM: return &in->platform;
	case EVF_WEATHER: return &in->weather;
	case EVF_SOCIAL: return &in->social;
	case EVF_TOD: return &in->time_of_day;
	case EVF_REC_TYPE: return &in->rec_type;
	case EVF_FEEDBACK_TYPE: return &in->feedback_type;
	case EVF_QUERY: return &in->query;
	case EVF_TIME: return &in->timestamp_str;
	case EVF_FEEDBACK: return &in->feedback_type;
	case EVF_REQUEST: return &in->request_id;
	default: return NULL;
	}
}

double *evf_num_slot(struct evt_input *in, enum evf_target t, bool **has)
{
	switch (t) {
	case EVF_TZ: *has = &in->has_tz; return &in->tz_offset_min;
	case EVF_LAT: *has = &in->has_lat; return &in->lat;
	case EVF_LON: *has = &in->has_lon; return &in->lon;
	case EVF_POSITION: *has = &in->has_position; return &in->position;
	case EVF_DWELL: *has = &in->has_dwell; return &in->dwell_ms;
	case EVF_SCROLL: *has = &in->has_scroll; return &in->scroll_depth;
	case EVF_FEEDBACK:
		*has = &in->has_feedback_num;
		return &in->feedback_num;
	default: return NULL;
	}
}

uint8_t *evf_bool_slot(struct evt_input *in, enum evf_target t)
{
	switch (t) {
	case EVF_DNT: return &in->dnt;
	case EVF_CONSENT_PERS: return &in->consent_personalization;
	case EVF_CONSENT_ANALYTICS: return &in->consent_analytics;
	default: return NULL;
	}
}

int evf_id_slot(enum evf_target t)
{
	return t == EVF_USER   ? 0
	    : t == EVF_SESSION ? 1
	    : t == EVF_ENTITY  ? 2
			       : -1;
}

static int64_t _sat(double v)
{
	if (v >= 9.2e18)
		return INT64_MAX;
	if (v <= -9.2e18)
		return INT64_MIN;
	return (int64_t)v;
}

int64_t evf_time_ms(double v, bool is_int, int64_t exact)
{
	if (v == floor(v) && fabs(v) >= 1e11)
		return is_int ? exact : _sat(v);
	return _sat(nearbyint(v * 1000.0));
}
