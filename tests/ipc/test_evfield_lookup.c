/*
 * evf_lookup against the plain linear scan of the field table it replaced
 * (the table below is that scan's, verbatim): every name, and every name
 * cut short, lengthened, with one byte changed or its case flipped, and
 * random keys, must give the same target or -1. A name left out of the
 * length groups, put in the wrong one, or mapped to another target is
 * found here.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ipc/evfield.h"

static const struct {
	const char *name;
	enum evf_target t;
} ref_fields[] = {
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
#define N_REF (sizeof(ref_fields) / sizeof(ref_fields[0]))

static int ref_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < N_REF; i++)
		if (strlen(ref_fields[i].name) == len &&
		    memcmp(ref_fields[i].name, name, len) == 0)
			return (int)ref_fields[i].t;
	return -1;
}

static unsigned long compared, mismatches;

static void same(const char *key, size_t len)
{
	int want = ref_lookup(key, len), got = evf_lookup(key, len);

	compared++;
	if (want != got) {
		if (mismatches++ < 10)
			fprintf(stderr, "key '%.*s' (%zu bytes): %d, want %d\n",
			    (int)len, key, len, got, want);
		check_failures++;
	}
}

static void test_names_and_neighbours(void)
{
	static const char bytes[] = "\0 _aAzZ09\x7f\x80\xff"
				    "lonpsuetdrcmfgiyqwhkv";
	char k[64];

	for (size_t i = 0; i < N_REF; i++) {
		const char *name = ref_fields[i].name;
		size_t n = strlen(name);

		REQUIRE(n + 1 < sizeof(k));
		CHECK_EQ_INT(evf_lookup(name, n), ref_fields[i].t);
		for (size_t cut = 0; cut <= n; cut++)
			same(name, cut);
		memcpy(k, name, n);
		for (size_t b = 0; b < sizeof(bytes) - 1; b++) {
			k[n] = bytes[b];
			same(k, n + 1);
		}
		for (size_t at = 0; at < n; at++) {
			for (size_t b = 0; b < sizeof(bytes) - 1; b++) {
				k[at] = bytes[b];
				same(k, n);
			}
			k[at] = (char)(name[at] ^ 0x20); /* case flip */
			same(k, n);
			k[at] = name[at];
		}
	}
}

static void test_random_keys(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char k[40];

	for (int r = 0; r < 200000; r++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t n = (size_t)(x % sizeof(k));
		/* A random name's bytes with some replaced: near misses. */
		const char *base = ref_fields[(x >> 8) % N_REF].name;
		size_t bn = strlen(base);

		for (size_t i = 0; i < sizeof(k); i++)
			k[i] = i < bn && ((x >> (16 + i % 40)) & 3)
			    ? base[i]
			    : (char)("_abcdefghilmnopqrstuvwxyzIST"[(x >> i) %
				  28]);
		same(k, n);
		same(k, bn < sizeof(k) ? bn : n); /* its length */
	}
	same("", 0);
}

int main(void)
{
	test_names_and_neighbours();
	test_random_keys();
	fprintf(stderr, "%lu keys compared\n", compared);
	return check_done("ipc_evfield_lookup");
}
