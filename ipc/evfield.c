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

static const struct {
	const char *name;
	enum evf_target t;
} _fields[] = {
	{ "user_id", EVF_USER },
	{ "userId", EVF_USER },
	{ "session_id", EVF_SESSION },
	{ "sessionId", EVF_SESSION },
	{ "event_type", EVF_TYPE },
	{ "eventType", EVF_TYPE },
	{ "type", EVF_TYPE },
	{ "entity_type", EVF_ENTITY_TYPE },
	{ "entityType", EVF_ENTITY_TYPE },
	{ "entity_id", EVF_ENTITY },
	{ "entityId", EVF_ENTITY },
	{ "device", EVF_DEVICE },
	{ "platform", EVF_PLATFORM },
	{ "weather", EVF_WEATHER },
	{ "social", EVF_SOCIAL },
	{ "socialContext", EVF_SOCIAL },
	{ "social_context", EVF_SOCIAL },
	{ "timeOfDay", EVF_TOD },
	{ "time_of_day", EVF_TOD },
	{ "recommendationType", EVF_REC_TYPE },
	{ "recommendation_type", EVF_REC_TYPE },
	{ "rec_type", EVF_REC_TYPE },
	{ "feedbackType", EVF_FEEDBACK_TYPE },
	{ "feedback_type", EVF_FEEDBACK_TYPE },
	{ "query", EVF_QUERY },
	{ "searchQuery", EVF_QUERY },
	{ "search_query", EVF_QUERY },
	{ "timestamp", EVF_TIME },
	{ "tz_offset", EVF_TZ },
	{ "tzOffset", EVF_TZ },
	{ "tz_offset_min", EVF_TZ },
	{ "lat", EVF_LAT },
	{ "latitude", EVF_LAT },
	{ "lon", EVF_LON },
	{ "lng", EVF_LON },
	{ "longitude", EVF_LON },
	{ "recommendationPosition", EVF_POSITION },
	{ "recommendation_position", EVF_POSITION },
	{ "position", EVF_POSITION },
	{ "timeSpent", EVF_DWELL },
	{ "time_spent", EVF_DWELL },
	{ "dwell_ms", EVF_DWELL },
	{ "dwellMs", EVF_DWELL },
	{ "scrollDepth", EVF_SCROLL },
	{ "scroll_depth", EVF_SCROLL },
	{ "feedback", EVF_FEEDBACK },
	{ "request_id", EVF_REQUEST },
	{ "requestId", EVF_REQUEST },
	{ "dnt", EVF_DNT },
	{ "doNotTrack", EVF_DNT },
	{ "do_not_track", EVF_DNT },
	{ "gpc", EVF_DNT },
	{ "personalization", EVF_CONSENT_PERS },
	{ "personalisation", EVF_CONSENT_PERS },
	{ "analytics", EVF_CONSENT_ANALYTICS },
	{ "context", EVF_NEST },
	{ "metadata", EVF_NEST },
	{ "location", EVF_NEST },
};

int evf_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(_fields) / sizeof(_fields[0]); i++)
		if (strlen(_fields[i].name) == len &&
		    memcmp(_fields[i].name, name, len) == 0)
			return (int)_fields[i].t;
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
