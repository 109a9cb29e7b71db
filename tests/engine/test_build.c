/* evt_build: every rejection reason reachable and named, every
 * normalization, keys and tag ids. */
#include <math.h>
#include <errno.h>
#include <string.h>

#include "check.h"
#include "engine/clock.h"
#include "engine/event.h"
#include "engine/geo.h"

#define S(lit) ((struct evt_str){ (lit), sizeof(lit) - 1 })
#define T2024 1710059400000LL /* 2024-03-10T08:30:00Z, a Sunday */

static struct evt_input base(void)
{
	struct evt_input in;

	memset(&in, 0, sizeof(in));
	in.user_id = S("u1");
	in.event_type = S("click");
	in.entity_id = S("act-9");
	in.has_time_ms = true;
	in.time_ms = T2024;
	return in;
}

static enum evt_reason build(const struct evt_input *in, struct evt_record *r,
    const char **field)
{
	struct evt_limits lim = evt_limits_default();

	return evt_build(in, &lim, r, field);
}

#define REJECT(in, reason, fieldname)                                          \
	do {                                                                   \
		struct evt_record _r;                                          \
		const char *_f = NULL;                                         \
		CHECK_EQ_INT(build(&(in), &_r, &_f), (reason));                \
		CHECK(_f != NULL && strcmp(_f, (fieldname)) == 0);             \
	} while (0)

static void test_names(void)
{
	for (int r = 0; r < EVT_REASON_COUNT; r++) {
		const char *n = evt_reason_name((enum evt_reason)r);

		CHECK(n && n[0] && strcmp(n, "unknown_reason") != 0);
		for (int q = 0; q < r; q++)
			CHECK(strcmp(n, evt_reason_name((enum evt_reason)q)) !=
			    0);
	}
	CHECK(strcmp(evt_reason_name(EVT_R_BAD_FEEDBACK), "bad_feedback") == 0);
	CHECK(strcmp(evt_reason_name(EVT_REASON_COUNT), "unknown_reason") == 0);
	for (int t = 0; t < EVT_BUILTIN_COUNT; t++) {
		const char *n = evt_type_name((enum evt_type)t);

		CHECK_EQ_INT(evt_type_parse(n, strlen(n)), t);
	}
	CHECK_EQ_INT(evt_type_parse("purchase", 8), EVT_PURCHASE);
	CHECK_EQ_INT(evt_type_parse("Impression", 10), EVT_IMPRESSION);
	CHECK(strcmp(evt_type_name(EVT_CUSTOM0), "unknown_type") == 0);
	CHECK_EQ_INT(evt_type_parse("RSVP", 4), EVT_RSVP);
	CHECK_EQ_INT(evt_type_parse("Search", 6), EVT_SEARCH);
	CHECK_EQ_INT(evt_type_parse("rsvpx", 5), -1);
	CHECK_EQ_INT(evt_type_parse("rsv", 3), -1);
	CHECK_EQ_INT(evt_type_parse("", 0), -1);
	CHECK_EQ_INT(evt_type_parse(NULL, 0), -1);
	CHECK(strcmp(evt_type_name(EVT_TYPE_COUNT), "unknown_type") == 0);
}

static void test_limits_and_keys(void)
{
	struct evt_limits l = evt_limits_default();

	CHECK_EQ_INT(l.max_id_len, 256);
	CHECK_EQ_INT(l.max_str_len, 64);
	CHECK_EQ_INT(l.max_query_len, 512);
	CHECK_EQ_INT(l.min_time_ms, 946684800000LL);
	CHECK_EQ_INT(l.max_time_ms, 4102444800000LL);
	CHECK_EQ_INT(l.geo_precision, 6);

	CHECK(evt_user_key(NULL, "42", 2) != evt_entity_key("42", 2));
	CHECK(evt_user_key(NULL, "42", 2) == evt_user_key(NULL, "42", 2));
	CHECK(evt_user_key(NULL, "42", 2) != evt_user_key(NULL, "43", 2));
	CHECK(evt_user_key(NULL, "", 0) != 0 && evt_entity_key(NULL, 0) != 0);

	CHECK(evt_tag_id("  Jazz ", 7) == evt_tag_id("jazz", 4));
	CHECK(evt_tag_id("JAZZ", 4) == evt_tag_id("jazz", 4));
	CHECK(evt_tag_id("jazz", 4) != evt_tag_id("rock", 4));
	CHECK(evt_tag_id("", 0) != 0);
	CHECK(evt_tag_id("   ", 3) == evt_tag_id("", 0));

	/* Long names stream through the lower-casing buffer: same id. */
	char up[700], lo[700];

	for (size_t i = 0; i < sizeof(up); i++) {
		lo[i] = (char)('a' + i % 26);
		up[i] = i % 3 ? (char)('A' + i % 26) : lo[i];
	}
	CHECK(evt_tag_id(up, sizeof(up)) == evt_tag_id(lo, sizeof(lo)));
	CHECK(evt_tag_id(lo, 256) != evt_tag_id(lo, 257));
}

static void test_minimal_ok(void)
{
	struct evt_input in = base();
	struct evt_record r;
	const char *f = "x";

	CHECK_EQ_INT(build(&in, &r, &f), EVT_OK);
	CHECK(f == NULL);
	CHECK(r.seq == 0);
	CHECK(r.user_key == evt_user_key(NULL, "u1", 2));
	CHECK(r.entity_key == evt_entity_key("act-9", 5));
	CHECK(r.session_key == 0);
	CHECK_EQ_INT(r.time_ms, T2024);
	CHECK_EQ_INT(r.tz_offset_min, 0);
	CHECK_EQ_INT(r.type, EVT_CLICK);
	CHECK_EQ_INT(r.entity_type, EVT_ENT_ACTIVITY);
	CHECK_EQ_INT(r.device, EVT_DEV_UNKNOWN);
	CHECK_EQ_INT(r.platform, EVT_PLAT_UNKNOWN);
	CHECK_EQ_INT(r.weather, EVT_WX_UNKNOWN);
	CHECK_EQ_INT(r.social, EVT_SOC_UNKNOWN);
	CHECK_EQ_INT(r.feedback, 0);
	CHECK_EQ_INT(r.daypart, EVT_DP_MORNING);
	CHECK_EQ_INT(r.weekday, 6);
	CHECK_EQ_INT(r.position, 0);
	CHECK_EQ_INT(r.rec_type, 0);
	CHECK_EQ_INT(r.dwell_ms, 0);
	CHECK(r.scroll_depth < 0);
	CHECK_EQ_INT(r.geo_cell, 0);
	CHECK_EQ_INT(r.n_tokens, 0);

	/* NULL limits mean the defaults. */
	CHECK_EQ_INT(evt_build(&in, NULL, &r, NULL), EVT_OK);

	in.session_id = S("s-1");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK(r.session_key == evt_entity_key("s-1", 3));
}

static void test_rejections(void)
{
	struct evt_input in;
	char big[600];

	memset(big, 'x', sizeof(big));

	in = base();
	in.bad = EVT_R_BAD_FIELD_TYPE;
	in.bad_field = "device";
	REJECT(in, EVT_R_BAD_FIELD_TYPE, "device");
	in.bad = EVT_R_TOO_DEEP;
	in.bad_field = "context";
	REJECT(in, EVT_R_TOO_DEEP, "context");

	in = base();
	in.user_id = (struct evt_str){ NULL, 0 };
	REJECT(in, EVT_R_MISSING_USER, "user_id");
	in = base();
	in.user_id = S("");
	REJECT(in, EVT_R_MISSING_USER, "user_id");
	in = base();
	in.event_type = (struct evt_str){ NULL, 0 };
	REJECT(in, EVT_R_MISSING_TYPE, "event_type");
	in = base();
	in.event_type = S("teleport");
	REJECT(in, EVT_R_BAD_TYPE, "event_type");
	in = base();
	in.entity_type = S("venue");
	REJECT(in, EVT_R_BAD_ENTITY_TYPE, "entity_type");
	in = base();
	in.entity_id = (struct evt_str){ NULL, 0 };
	REJECT(in, EVT_R_MISSING_ENTITY, "entity_id");
	in = base();
	in.event_type = S("search");
	in.entity_id = (struct evt_str){ NULL, 0 };
	REJECT(in, EVT_R_MISSING_ENTITY, "query");
	in = base();
	in.has_time_ms = false;
	REJECT(in, EVT_R_MISSING_TIME, "timestamp");
	in = base();
	in.has_time_ms = false;
	in.timestamp_str = S("yesterday");
	REJECT(in, EVT_R_BAD_TIME, "timestamp");
	/* RFC 3339 allows +21:00, no zone does: rejected unless overridden. */
	in = base();
	in.has_time_ms = false;
	in.timestamp_str = S("2024-03-10T19:30:00+21:00");
	REJECT(in, EVT_R_BAD_TIME, "timestamp");
	in.has_tz = true;
	in.tz_offset_min = 60;
	CHECK_EQ_INT(build(&in, &(struct evt_record){ 0 }, NULL), EVT_OK);
	in = base();
	in.time_ms = 946684800000LL - 1;
	REJECT(in, EVT_R_TIME_RANGE, "timestamp");
	in = base();
	in.time_ms = 4102444800000LL;
	REJECT(in, EVT_R_TIME_RANGE, "timestamp");
	in = base();
	in.time_ms = INT64_MIN;
	REJECT(in, EVT_R_TIME_RANGE, "timestamp");
	in = base();
	in.time_ms = 946684800000LL;
	CHECK_EQ_INT(build(&in, &(struct evt_record){ 0 }, NULL), EVT_OK);

	/* String caps, checked before anything else looks at the strings. */
	in = base();
	in.user_id = (struct evt_str){ big, 257 };
	REJECT(in, EVT_R_STRING_TOO_LONG, "user_id");
	in = base();
	in.user_id = (struct evt_str){ big, 256 };
	CHECK_EQ_INT(build(&in, &(struct evt_record){ 0 }, NULL), EVT_OK);
	in = base();
	in.entity_id = (struct evt_str){ big, 257 };
	REJECT(in, EVT_R_STRING_TOO_LONG, "entity_id");
	in = base();
	in.session_id = (struct evt_str){ big, 257 };
	REJECT(in, EVT_R_STRING_TOO_LONG, "session_id");
	in = base();
	in.device = (struct evt_str){ big, 65 };
	REJECT(in, EVT_R_STRING_TOO_LONG, "device");
	in = base();
	in.weather = (struct evt_str){ big, 65 };
	REJECT(in, EVT_R_STRING_TOO_LONG, "weather");
	in = base();
	in.timestamp_str = (struct evt_str){ big, 65 };
	REJECT(in, EVT_R_STRING_TOO_LONG, "timestamp");
	in = base();
	in.query = (struct evt_str){ big, 513 };
	REJECT(in, EVT_R_STRING_TOO_LONG, "query");

	/* Numbers. */
	in = base();
	in.has_tz = true;
	in.tz_offset_min = NAN;
	REJECT(in, EVT_R_BAD_NUMBER, "tz_offset");
	in = base();
	in.has_tz = true;
	in.tz_offset_min = 18 * 60 + 1;
	REJECT(in, EVT_R_BAD_NUMBER, "tz_offset");
	in = base();
	in.has_tz = true;
	in.tz_offset_min = -18 * 60 - 1;
	REJECT(in, EVT_R_BAD_NUMBER, "tz_offset");
	in = base();
	in.has_position = true;
	in.position = 0;
	REJECT(in, EVT_R_BAD_NUMBER, "position");
	in = base();
	in.has_position = true;
	in.position = -3;
	REJECT(in, EVT_R_BAD_NUMBER, "position");
	in = base();
	in.has_position = true;
	in.position = 1.5;
	REJECT(in, EVT_R_BAD_NUMBER, "position");
	in = base();
	in.has_position = true;
	in.position = 65536;
	REJECT(in, EVT_R_BAD_NUMBER, "position");
	in = base();
	in.has_position = true;
	in.position = INFINITY;
	REJECT(in, EVT_R_BAD_NUMBER, "position");
	in = base();
	in.has_dwell = true;
	in.dwell_ms = -1;
	REJECT(in, EVT_R_BAD_NUMBER, "dwell_ms");
	in = base();
	in.has_dwell = true;
	in.dwell_ms = NAN;
	REJECT(in, EVT_R_BAD_NUMBER, "dwell_ms");
	in = base();
	in.has_scroll = true;
	in.scroll_depth = -0.1;
	REJECT(in, EVT_R_BAD_NUMBER, "scroll_depth");
	in = base();
	in.has_scroll = true;
	in.scroll_depth = 100.5;
	REJECT(in, EVT_R_BAD_NUMBER, "scroll_depth");
	in = base();
	in.has_scroll = true;
	in.scroll_depth = -INFINITY;
	REJECT(in, EVT_R_BAD_NUMBER, "scroll_depth");
	in = base();
	in.has_feedback_num = true;
	in.feedback_num = NAN;
	REJECT(in, EVT_R_BAD_NUMBER, "feedback");

	/* Location. */
	in = base();
	in.has_lat = true;
	in.lat = 10;
	REJECT(in, EVT_R_BAD_LOCATION, "lon");
	in = base();
	in.has_lon = true;
	in.lon = 10;
	REJECT(in, EVT_R_BAD_LOCATION, "lat");
	in = base();
	in.has_lat = in.has_lon = true;
	in.lat = 91;
	in.lon = 0;
	REJECT(in, EVT_R_BAD_LOCATION, "lat");
	in = base();
	in.has_lat = in.has_lon = true;
	in.lat = 0;
	in.lon = -181;
	REJECT(in, EVT_R_BAD_LOCATION, "lon");
	in = base();
	in.has_lat = in.has_lon = true;
	in.lat = NAN;
	in.lon = 0;
	REJECT(in, EVT_R_BAD_NUMBER, "lat");
	in = base();
	in.has_lat = in.has_lon = true;
	in.lat = 0;
	in.lon = INFINITY;
	REJECT(in, EVT_R_BAD_NUMBER, "lon");

	/* Feedback events need a sign. */
	in = base();
	in.event_type = S("feedback");
	REJECT(in, EVT_R_BAD_FEEDBACK, "feedback_type");
	in.feedback_type = S("meh");
	REJECT(in, EVT_R_BAD_FEEDBACK, "feedback_type");
	in.feedback_type = (struct evt_str){ NULL, 0 };
	in.has_feedback_num = true;
	in.feedback_num = 0;
	REJECT(in, EVT_R_BAD_FEEDBACK, "feedback_type");
}

static void test_time_and_tz(void)
{
	struct evt_input in = base();
	struct evt_record r;

	/* RFC 3339 offset becomes tz_offset_min: 08:30Z is 03:30 at -05:00. */
	in.has_time_ms = false;
	in.timestamp_str = S("2024-03-10T03:30:00-05:00");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.time_ms, T2024);
	CHECK_EQ_INT(r.tz_offset_min, -300);
	CHECK_EQ_INT(r.daypart, EVT_DP_NIGHT);
	CHECK_EQ_INT(r.weekday, 6);

	/* has_tz overrides it: 08:30Z at +14:00 is Sunday 22:30, at -10:00
	 * Saturday 22:30, at +16:00 Monday 00:30. */
	in.has_tz = true;
	in.tz_offset_min = 840;
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.tz_offset_min, 840);
	CHECK_EQ_INT(r.daypart, EVT_DP_EVENING);
	CHECK_EQ_INT(r.weekday, 6);
	in.tz_offset_min = -600;
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.daypart, EVT_DP_EVENING);
	CHECK_EQ_INT(r.weekday, 5);
	in.tz_offset_min = 960;
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.daypart, EVT_DP_NIGHT);
	CHECK_EQ_INT(r.weekday, 0);
	CHECK_EQ_INT(r.month, 3);
	/* The local month: 2023-12-31 23:30Z is January at +01:00. */
	in.has_time_ms = true;
	in.time_ms = 1704065400000LL;
	in.tz_offset_min = 60;
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.month, 1);
	in.tz_offset_min = 0;
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.month, 12);
	in.has_time_ms = false;

	/* Fractional minutes round; the limits are inclusive. */
	in.tz_offset_min = 329.6;
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.tz_offset_min, 330);
	in.tz_offset_min = -1080;
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.tz_offset_min, -1080);

	/* Numeric time wins over the string. */
	in = base();
	in.timestamp_str = S("garbage");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.time_ms, T2024);

	/* time_of_day is ignored: the daypart comes from the timestamp. */
	in = base();
	in.time_of_day = S("evening");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.daypart, EVT_DP_MORNING);
}

static void test_location(void)
{
	struct evt_input in = base();
	struct evt_limits lim = evt_limits_default();
	struct evt_record r;
	char buf[16];

	in.has_lat = in.has_lon = true;
	in.lat = 57.64911;
	in.lon = 10.40744;
	CHECK_EQ_INT(evt_build(&in, &lim, &r, NULL), EVT_OK);
	CHECK_EQ_INT(geo_cell_to_string(r.geo_cell, buf, sizeof(buf)), 6);
	CHECK(strcmp(buf, "u4pruy") == 0);
	lim.geo_precision = 11;
	CHECK_EQ_INT(evt_build(&in, &lim, &r, NULL), EVT_OK);
	CHECK_EQ_INT(geo_cell_to_string(r.geo_cell, buf, sizeof(buf)), 11);
	CHECK(strcmp(buf, "u4pruydqqvj") == 0);
	lim.geo_precision = 99; /* clamped to 12 */
	CHECK_EQ_INT(evt_build(&in, &lim, &r, NULL), EVT_OK);
	CHECK_EQ_INT(geo_cell_precision(r.geo_cell), 12);
	lim.geo_precision = 0; /* clamped to 1 */
	CHECK_EQ_INT(evt_build(&in, &lim, &r, NULL), EVT_OK);
	CHECK_EQ_INT(geo_cell_precision(r.geo_cell), 1);
}

struct norm {
	const char *in;
	int want;
};

static void check_norm(const struct norm *cases, size_t n, size_t field)
{
	for (size_t i = 0; i < n; i++) {
		struct evt_input in = base();
		struct evt_record r;
		struct evt_str s = { cases[i].in, strlen(cases[i].in) };
		int got;

		switch (field) {
		case 0: in.device = s; break;
		case 1: in.platform = s; break;
		case 2: in.weather = s; break;
		default: in.social = s; break;
		}
		CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
		got = field == 0 ? r.device
		    : field == 1 ? r.platform
		    : field == 2 ? r.weather
				 : r.social;
		if (got != cases[i].want) {
			fprintf(stderr, "'%s': got %d want %d\n", cases[i].in,
			    got, cases[i].want);
			CHECK(0);
		}
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_normalization(void)
{
	static const struct norm dev[] = {
		{ "iPhone", EVT_DEV_MOBILE },
		{ "ios", EVT_DEV_MOBILE },
		{ "Android", EVT_DEV_MOBILE },
		{ "mobile", EVT_DEV_MOBILE },
		{ "phone", EVT_DEV_MOBILE },
		{ " Desktop ", EVT_DEV_DESKTOP },
		{ "web", EVT_DEV_DESKTOP },
		{ "PC", EVT_DEV_DESKTOP },
		{ "mac", EVT_DEV_DESKTOP },
		{ "laptop", EVT_DEV_DESKTOP },
		{ "tablet", EVT_DEV_TABLET },
		{ "iPad", EVT_DEV_TABLET },
		{ "TV", EVT_DEV_TV },
		{ "toaster", EVT_DEV_OTHER },
		{ "iphonex", EVT_DEV_OTHER },
	};
	static const struct norm plat[] = {
		{ "iOS", EVT_PLAT_IOS },
		{ "android", EVT_PLAT_ANDROID },
		{ "Web", EVT_PLAT_WEB },
		{ "windows", EVT_PLAT_WINDOWS },
		{ "macOS", EVT_PLAT_MACOS },
		{ "mac", EVT_PLAT_MACOS },
		{ "OSX", EVT_PLAT_MACOS },
		{ "linux", EVT_PLAT_LINUX },
		{ "beos", EVT_PLAT_OTHER },
	};
	static const struct norm wx[] = {
		{ "sunny", EVT_WX_SUNNY },
		{ "Clear", EVT_WX_SUNNY },
		{ "cloudy", EVT_WX_CLOUDY },
		{ "rainy", EVT_WX_RAINY },
		{ "rain", EVT_WX_RAINY },
		{ "snowy", EVT_WX_SNOWY },
		{ "snow", EVT_WX_SNOWY },
		{ "stormy", EVT_WX_STORMY },
		{ "storm", EVT_WX_STORMY },
		{ "hot", EVT_WX_HOT },
		{ "COLD", EVT_WX_COLD },
		{ "foggy", EVT_WX_OTHER },
	};
	static const struct norm soc[] = {
		{ "alone", EVT_SOC_ALONE },
		{ "solo", EVT_SOC_ALONE },
		{ "friends", EVT_SOC_FRIENDS },
		{ "Family", EVT_SOC_FAMILY },
		{ "partner", EVT_SOC_PARTNER },
		{ "couple", EVT_SOC_PARTNER },
		{ "date", EVT_SOC_PARTNER },
		{ "group", EVT_SOC_GROUP },
		{ "coworkers", EVT_SOC_UNKNOWN },
	};

	check_norm(dev, N(dev), 0);
	check_norm(plat, N(plat), 1);
	check_norm(wx, N(wx), 2);
	check_norm(soc, N(soc), 3);

	/* Entity types. */
	static const char *const ents[] = {
		"activity",
		"recommendation",
		"USER",
		"search_result",
	};
	for (int i = 0; i < EVT_ENT_COUNT; i++) {
		struct evt_input in = base();
		struct evt_record r;

		in.entity_type = (struct evt_str){ ents[i], strlen(ents[i]) };
		CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
		CHECK_EQ_INT(r.entity_type, i);
	}
}

static void test_feedback(void)
{
	static const struct {
		const char *s;
		int sign;
	} cases[] = {
		{ "positive", 1 },
		{ "Like", 1 },
		{ "up", 1 },
		{ "negative", -1 },
		{ "dislike", -1 },
		{ "DOWN", -1 },
	};
	struct evt_input in;
	struct evt_record r;

	for (size_t i = 0; i < N(cases); i++) {
		in = base();
		in.event_type = S("feedback");
		in.feedback_type =
		    (struct evt_str){ cases[i].s, strlen(cases[i].s) };
		CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
		CHECK_EQ_INT(r.feedback, cases[i].sign);
	}
	in = base();
	in.event_type = S("feedback");
	in.has_feedback_num = true;
	in.feedback_num = 4.5;
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.feedback, 1);
	in.feedback_num = -0.1;
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.feedback, -1);
	/* The string decides when it has a sign. */
	in.feedback_type = S("positive");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.feedback, 1);
	/* Other events carry no sign. */
	in = base();
	in.feedback_type = S("positive");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.feedback, 0);
}

static void test_engagement(void)
{
	struct evt_input in = base();
	struct evt_record r;

	in.has_position = true;
	in.position = 1;
	in.has_dwell = true;
	in.dwell_ms = 1234.4;
	in.has_scroll = true;
	in.scroll_depth = 0.75;
	in.rec_type = S("trending");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.position, 1);
	CHECK_EQ_INT(r.dwell_ms, 1234);
	CHECK_NEAR(r.scroll_depth, 0.75, 1e-6);
	CHECK(r.rec_type != 0);
	uint16_t trending = r.rec_type;

	in.position = 65535;
	in.dwell_ms = 1e12;   /* clamped to 24 h */
	in.scroll_depth = 40; /* percent */
	in.rec_type = S(" Trending ");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.position, 65535);
	CHECK_EQ_INT(r.dwell_ms, 86400000);
	CHECK_NEAR(r.scroll_depth, 0.4, 1e-6);
	CHECK_EQ_INT(r.rec_type, trending);

	in.scroll_depth = 1; /* a fraction: all of it */
	in.dwell_ms = 0;
	in.rec_type = S("similar");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_NEAR(r.scroll_depth, 1.0, 0);
	CHECK_EQ_INT(r.dwell_ms, 0);
	CHECK(r.rec_type != trending);
	in.scroll_depth = 100;
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_NEAR(r.scroll_depth, 1.0, 0);
}

static void test_search(void)
{
	struct evt_input in = base();
	struct evt_record r;

	in.event_type = S("search");
	in.entity_id = (struct evt_str){ NULL, 0 };
	in.query = S("Jazz, jazz & late-night BBQ in a café!? x y");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.type, EVT_SEARCH);
	CHECK_EQ_INT(r.entity_key, 0);
	/* jazz, late, night, bbq, in, café ("a", "x", "y" too short; "jazz"
	 * once). */
	CHECK_EQ_INT(r.n_tokens, 6);
	CHECK(r.tokens[0] == evt_tag_id("jazz", 4));
	CHECK(r.tokens[1] == evt_tag_id("late", 4));
	CHECK(r.tokens[2] == evt_tag_id("night", 5));
	CHECK(r.tokens[3] == evt_tag_id("bbq", 3));
	CHECK(r.tokens[4] == evt_tag_id("in", 2));
	CHECK(r.tokens[5] == evt_tag_id("caf\xc3\xa9", 5));

	/* At most EVT_SEARCH_TOKENS kept. */
	in.query = S("aa bb cc dd ee ff gg hh");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.n_tokens, EVT_SEARCH_TOKENS);
	CHECK(r.tokens[5] == evt_tag_id("ff", 2));

	/* A query of only short tokens is accepted with no tokens. */
	in.query = S("a b c");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.n_tokens, 0);

	/* A search may name the result it came from. */
	in.entity_id = S("act-1");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK(r.entity_key == evt_entity_key("act-1", 5));

	/* Non-search events do not tokenize. */
	in = base();
	in.query = S("jazz");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.n_tokens, 0);
}

/* Custom verbs: parsed from the setting, matched by name, numbered from
 * EVT_CUSTOM0; a bad list is refused with a message. */
static void test_verbs(void)
{
	struct evt_limits lim = evt_limits_default();
	double sig[EVT_CUSTOM_VERBS];
	char err[256];
	CHECK_EQ_INT(evt_verbs_parse(" wishlist:0.6, Play : -0.2 ", lim.verbs,
			 sig, err, sizeof(err)),
	    2);
	CHECK(strcmp(lim.verbs[0], "wishlist") == 0);
	CHECK(strcmp(lim.verbs[1], "play") == 0);
	CHECK(lim.verbs[2][0] == 0);
	CHECK_NEAR(sig[0], 0.6, 0);
	CHECK_NEAR(sig[1], -0.2, 0);
	CHECK_EQ_INT(sig[2], 0);
	CHECK_EQ_INT(evt_verb_parse(&lim, "WishList", 8), EVT_CUSTOM0);
	CHECK_EQ_INT(evt_verb_parse(&lim, "play", 4), EVT_CUSTOM0 + 1);
	CHECK_EQ_INT(evt_verb_parse(&lim, "rsvp", 4), EVT_RSVP);
	CHECK_EQ_INT(evt_verb_parse(&lim, "skipped", 7), -1);
	CHECK(strcmp(evt_verb_name(&lim, EVT_CUSTOM0 + 1), "play") == 0);
	CHECK(
	    strcmp(evt_verb_name(&lim, EVT_CUSTOM0 + 2), "unknown_type") == 0);
	CHECK_EQ_INT(evt_verbs_parse("", NULL, NULL, err, sizeof(err)), 0);
	static const char *const bad[] = { "wish list:1", "view:1", "a:1,a:2",
		"x:9", "x", "x:", ":1", "a:1,,b:2", "x:nan",
		"a:1,b:1,c:1,d:1,e:1,f:1,g:1", "averyveryverylongverb:1",
		"x:1e999", "caf\xc3\xa9:1" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CHECK_EQ_INT(evt_verbs_parse(bad[i], NULL, NULL, err,
				 sizeof(err)),
		    -EINVAL);
		CHECK(err[0] != 0);
	}
	/* An event with a custom verb builds with lim's verbs, not without. */
	struct evt_input in = base();
	struct evt_record r;
	in.event_type = S("wishlist");
	CHECK_EQ_INT(evt_build(&in, &lim, &r, NULL), EVT_OK);
	CHECK_EQ_INT(r.type, EVT_CUSTOM0);
	REJECT(in, EVT_R_BAD_TYPE, "event_type");
}

/* Request ids: hex text in, the number out; time and strategy inside. */
static void test_request_id(void)
{
	struct evt_input in = base();
	struct evt_record r;
	in.request_id = S("00000A4F2c3B0001");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK(r.request_id == 0xa4f2c3b0001ULL);
	in.request_id = S(" ff ");
	CHECK_EQ_INT(build(&in, &r, NULL), EVT_OK);
	CHECK(r.request_id == 0xff);
	static const char *const bad[] = { "12345678901234567", "0x12", "g1",
		"-1", "1 2" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in.request_id = (struct evt_str){ bad[i], strlen(bad[i]) };
		REJECT(in, EVT_R_BAD_NUMBER, "request_id");
	}
	int64_t t = 1767225600123LL;
	uint64_t id = evt_request_make(t, 5, 0x3FFFF + 7);
	CHECK_EQ_INT(evt_request_time(id), t);
	CHECK_EQ_INT(evt_request_strategy(id), 5);
	CHECK(evt_request_make(EVT_REQUEST_EPOCH_MS, 0, 0) != 0);
	CHECK_EQ_INT(evt_request_time(0), 0);
}

/* Ids must be valid UTF-8 without NUL or control characters (C0, DEL,
 * C1). */
static void test_ids(void)
{
	static const struct {
		const char *s;
		size_t len;
		bool ok;
	} ids[] = {
		{ "u1", 2, true }, { "Zo\xc3\xab", 4, true }, /* Zoë */
		{ "\xe2\x82\xac-user", 8, true },	      /* € */
		{ "\xf0\x9f\x98\x80", 4, true },	      /* U+1F600 */
		{ "u\0001", 4, false },			      /* a NUL inside */
		{ "u\x01", 2, false },		  /* a control byte */
		{ "u\x7f", 2, false },		  /* DEL */
		{ "\xff", 1, false },		  /* not UTF-8 */
		{ "\xc0\x80", 2, false },	  /* overlong NUL */
		{ "\xed\xa0\x80", 3, false },	  /* a surrogate */
		{ "\xf4\x90\x80\x80", 4, false }, /* above U+10FFFF */
		{ "\xe2\x82", 2, false },	  /* cut short */
		{ "u\xc2\x85", 3, false },	  /* U+0085, a C1 control */
		{ "\xc2\x9b"
		  "31m",
		    5, false },		  /* U+009B, CSI */
		{ "\xc2\x9f", 2, false }, /* U+009F, the last C1 */
		{ "\xc2\xa0", 2, true },  /* U+00A0, the first after */
	};
	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct evt_input in = base();
		struct evt_record r;
		const char *f = NULL;
		in.user_id = (struct evt_str){ ids[i].s, ids[i].len };
		enum evt_reason want = ids[i].ok ? EVT_OK : EVT_R_BAD_ID;
		CHECK_EQ_INT(build(&in, &r, &f), want);
		if (!ids[i].ok)
			CHECK(f && strcmp(f, "user_id") == 0);
		in = base();
		in.entity_id = (struct evt_str){ ids[i].s, ids[i].len };
		CHECK_EQ_INT(build(&in, &r, &f), want);
		in = base();
		in.session_id = (struct evt_str){ ids[i].s, ids[i].len };
		CHECK_EQ_INT(build(&in, &r, &f), want);
		CHECK_EQ_INT(evt_text_ok(ids[i].s, ids[i].len), ids[i].ok);
	}
	/* A user is looked up (read, erased, exported) by what events took
	 * before C1 controls were refused: C1 passes there, nothing else
	 * more than events take. */
	struct evt_limits lim = evt_limits_default();
	CHECK(evt_user_text_ok("u\xc2\x85", 3));
	CHECK(evt_user_id_problem(&lim, "u\xc2\x85", 3) == NULL);
	CHECK(!evt_user_text_ok("u\x01", 2));
	CHECK(!evt_user_text_ok("\xff", 1));
	CHECK(evt_user_id_problem(&lim, "u\x7f", 2) != NULL);
}

int main(void)
{
	test_names();
	test_verbs();
	test_ids();
	test_request_id();
	test_limits_and_keys();
	test_minimal_ok();
	test_rejections();
	test_time_and_tz();
	test_location();
	test_normalization();
	test_feedback();
	test_engagement();
	test_search();
	return check_done("event_build");
}
