/* json_event_input: the camelCase shape of PROBLEM.md, snake_case and flat
 * placements, the timestamp rule, wrong kinds, and parse failures mapped to
 * reasons; the depth and key rules shared with msgpack; each through
 * evt_build. */
#include <string.h>

#include "check.h"
#include "engine/event.h"
#include "engine/geo.h"
#include "ipc/json.h"

struct fix {
	struct json_tok toks[128];
	char scratch[2048];
	struct json_work w;
	struct evt_input in;
	struct evt_record rec;
	char err[160];
	const char *field;
};

static enum evt_reason decode(struct fix *f, const char *line)
{
	json_work_init(&f->w, f->toks, 128, f->scratch, sizeof(f->scratch));
	return json_event_input(line, strlen(line), &f->w, &f->in, f->err,
	    sizeof(f->err));
}

/* Decode then build; the first non-OK reason. */
static enum evt_reason run(struct fix *f, const char *line)
{
	enum evt_reason r = decode(f, line);

	if (r != EVT_OK)
		return r;
	return evt_build(&f->in, NULL, &f->rec, &f->field);
}

static bool str_eq(struct evt_str s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static void test_problem_shape(void)
{
	/* UserBehaviorEvent of PROBLEM.md, camelCase, nested. */
	static const char line[] =
	    "{\"eventId\": \"e-1\", \"userId\": \"user-42\", \"sessionId\": \"s-7\", \"eventType\": \"click\", \"entityType\": \"recommendation\", \"entityId\": \"act-123\", \"context\": {\"timestamp\": \"2024-03-10T19:30:00+01:00\",   \"location\": {\"lat\": 57.64911, \"lon\": 10.40744},   \"device\": \"iPhone\", \"platform\": \"ios\",   \"timeOfDay\": \"morning\", \"dayOfWeek\": \"Sunday\",   \"weather\": \"rainy\", \"socialContext\": \"friends\"}, \"metadata\": {\"recommendationType\": \"trending\",   \"recommendationPosition\": 3, \"timeSpent\": 4200,   \"scrollDepth\": 0.6, \"previousAction\": \"view\"}}";
	struct fix f;

	CHECK_EQ_INT(decode(&f, line), EVT_OK);
	CHECK(f.err[0] == '\0');
	CHECK(str_eq(f.in.user_id, "user-42"));
	CHECK(str_eq(f.in.session_id, "s-7"));
	CHECK(str_eq(f.in.event_type, "click"));
	CHECK(str_eq(f.in.entity_type, "recommendation"));
	CHECK(str_eq(f.in.entity_id, "act-123"));
	CHECK(str_eq(f.in.timestamp_str, "2024-03-10T19:30:00+01:00"));
	CHECK(str_eq(f.in.time_of_day, "morning"));
	CHECK(str_eq(f.in.rec_type, "trending"));
	CHECK(f.in.has_lat && f.in.has_lon && f.in.has_position &&
	    f.in.has_dwell && f.in.has_scroll && !f.in.has_time_ms);

	CHECK_EQ_INT(evt_build(&f.in, NULL, &f.rec, &f.field), EVT_OK);
	CHECK(f.rec.user_key == evt_user_key(NULL, "user-42", 7));
	CHECK(f.rec.entity_key == evt_entity_key("act-123", 7));
	CHECK(f.rec.session_key == evt_entity_key("s-7", 3));
	CHECK_EQ_INT(f.rec.time_ms, 1710095400000LL); /* 18:30Z */
	CHECK_EQ_INT(f.rec.tz_offset_min, 60);
	CHECK_EQ_INT(f.rec.daypart, EVT_DP_EVENING); /* not "morning" */
	CHECK_EQ_INT(f.rec.weekday, 6);
	CHECK_EQ_INT(f.rec.type, EVT_CLICK);
	CHECK_EQ_INT(f.rec.entity_type, EVT_ENT_RECOMMENDATION);
	CHECK_EQ_INT(f.rec.device, EVT_DEV_MOBILE);
	CHECK_EQ_INT(f.rec.platform, EVT_PLAT_IOS);
	CHECK_EQ_INT(f.rec.weather, EVT_WX_RAINY);
	CHECK_EQ_INT(f.rec.social, EVT_SOC_FRIENDS);
	CHECK_EQ_INT(f.rec.position, 3);
	CHECK_EQ_INT(f.rec.dwell_ms, 4200);
	CHECK_NEAR(f.rec.scroll_depth, 0.6, 1e-6);

	char cell[16];

	CHECK_EQ_INT(geo_cell_to_string(f.rec.geo_cell, cell, sizeof(cell)), 6);
	CHECK(strcmp(cell, "u4pruy") == 0);
}

static void test_snake_flat(void)
{
	struct fix f;

	CHECK_EQ_INT(
	    run(&f,
		"{\"user_id\":\"u\",\"event_type\":\"FEEDBACK\",\"entity_id\":\"a\",\"timestamp\":1710059400000,\"tz_offset\":-300,\"latitude\":1,\"longitude\":2,\"device\":\"desktop\",\"platform\":\"linux\",\"weather\":\"snow\",\"social\":\"solo\",\"feedback_type\":\"dislike\",\"position\":2,\"dwell_ms\":10,\"scroll_depth\":50,\"recommendation_type\":\"similar\"}"),
	    EVT_OK);
	CHECK_EQ_INT(f.rec.type, EVT_FEEDBACK);
	CHECK_EQ_INT(f.rec.feedback, -1);
	CHECK_EQ_INT(f.rec.time_ms, 1710059400000LL);
	CHECK_EQ_INT(f.rec.tz_offset_min, -300);
	CHECK_EQ_INT(f.rec.daypart, EVT_DP_NIGHT);
	CHECK(f.rec.geo_cell != 0);
	CHECK_EQ_INT(f.rec.device, EVT_DEV_DESKTOP);
	CHECK_EQ_INT(f.rec.platform, EVT_PLAT_LINUX);
	CHECK_EQ_INT(f.rec.weather, EVT_WX_SNOWY);
	CHECK_EQ_INT(f.rec.social, EVT_SOC_ALONE);
	CHECK_NEAR(f.rec.scroll_depth, 0.5, 1e-6);

	/* "type" alias, feedback as a number, nested metadata query. */
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"type\":\"feedback\",\"entityId\":\"a\",\"timestamp\":1710059400,\"metadata\":{\"feedback\":1}}"),
	    EVT_OK);
	CHECK_EQ_INT(f.rec.feedback, 1);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"type\":\"feedback\",\"entityId\":\"a\",\"timestamp\":1710059400,\"metadata\":{\"feedback\":\"up\"}}"),
	    EVT_OK);
	CHECK_EQ_INT(f.rec.feedback, 1);

	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"search\",\"timestamp\":1710059400,\"metadata\":{\"query\":\"Live \\\"jazz\\\" tonight\"}}"),
	    EVT_OK);
	CHECK_EQ_INT(f.rec.n_tokens, 3);
	CHECK(f.rec.tokens[1] == evt_tag_id("jazz", 4));
	CHECK_EQ_INT(f.rec.entity_key, 0);

	/* Integer ids are their text. */
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":42,\"eventType\":\"view\",\"entityId\":-7,\"timestamp\":1710059400}"),
	    EVT_OK);
	CHECK(f.rec.user_key == evt_user_key(NULL, "42", 2));
	CHECK(f.rec.entity_key == evt_entity_key("-7", 2));

	/* null is absent; unknown fields are ignored, repeated or not. */
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":1710059400,\"device\":null,\"whatever\":{\"deep\":[1,2,{\"x\":null}]},\"whatever\":1,\"device\":\"tv\"}"),
	    EVT_OK);
	CHECK(f.rec.user_key == evt_user_key(NULL, "u", 1));
	CHECK_EQ_INT(f.rec.device, EVT_DEV_TV);

	/* A field given twice is refused, naming it: by one name, by two
	 * of its names, or at the top and in a nested map (read like the
	 * top level). The last value silently won. */
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":1710059400,\"userId\":\"v\"}"),
	    EVT_R_DUPLICATE_FIELD);
	CHECK(strcmp(f.in.bad_field, "user_id") == 0);
	CHECK(strstr(f.err, "'userId' given twice") != NULL);
	CHECK_EQ_INT(
	    run(&f,
		"{\"user_id\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":1710059400,\"userId\":\"u\"}"),
	    EVT_R_DUPLICATE_FIELD);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":1710059400,\"context\":{\"timestamp\":1710059401}}"),
	    EVT_R_DUPLICATE_FIELD);
	CHECK(strcmp(f.in.bad_field, "timestamp") == 0);
	/* Two nested maps with fields of their own are no repetition. */
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"context\":{\"timestamp\":1710059400},\"context\":{\"device\":\"tv\"}}"),
	    EVT_OK);

	/* Escaped strings land in scratch and still match. */
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"\\u0075\",\"eventType\":\"\\u0076iew\",\"entityId\":\"a\",\"timestamp\":1710059400}"),
	    EVT_OK);
	CHECK(f.rec.user_key == evt_user_key(NULL, "u", 1));
	CHECK_EQ_INT(f.rec.type, EVT_VIEW);
}

static void test_timestamp_rule(void)
{
	static const struct {
		const char *ts;
		long long want;
	} cases[] = {
		{ "1710059400", 1710059400000LL },    /* < 1e11: seconds */
		{ "1710059400.25", 1710059400250LL }, /* fraction: seconds */
		{ "1710059400123", 1710059400123LL }, /* integral >= 1e11: ms */
		{ "1.710059400123e12",
		    1710059400123LL },		    /* integral value: ms */
		{ "1.7100594e9", 1710059400000LL }, /* seconds */
		{ "\"2024-03-10T08:30:00Z\"", 1710059400000LL },
	};
	struct fix f;
	char line[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line),
		    "{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"context\":{\"timestamp\":%s}}",
		    cases[i].ts);
		CHECK_EQ_INT(run(&f, line), EVT_OK);
		CHECK_EQ_INT(f.rec.time_ms, cases[i].want);
	}
	/* Far outside the window, saturating instead of overflowing. */
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":1e300}"),
	    EVT_R_TIME_RANGE);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":-1.5e300}"),
	    EVT_R_TIME_RANGE);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":99999999999999999999}"),
	    EVT_R_TIME_RANGE);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":\"not a time\"}"),
	    EVT_R_BAD_TIME);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\"}"),
	    EVT_R_MISSING_TIME);
}

static void wrong_kind(const char *line, const char *field)
{
	struct fix f;

	CHECK_EQ_INT(decode(&f, line), EVT_OK);
	CHECK_EQ_INT(f.in.bad, EVT_R_BAD_FIELD_TYPE);
	CHECK(f.in.bad_field && strcmp(f.in.bad_field, field) == 0);
	CHECK(strncmp(f.err, "byte ", 5) == 0);
	CHECK_EQ_INT(evt_build(&f.in, NULL, &f.rec, &f.field),
	    EVT_R_BAD_FIELD_TYPE);
	CHECK(f.field && strcmp(f.field, field) == 0);
}

static void test_wrong_kinds(void)
{
	wrong_kind("{\"userId\":[\"u\"]}", "user_id");
	wrong_kind("{\"userId\":1.5}", "user_id");
	wrong_kind("{\"eventType\":1}", "event_type");
	wrong_kind("{\"context\":{\"device\":true}}", "device");
	wrong_kind("{\"context\":\"home\"}", "context");
	wrong_kind("{\"metadata\":[1]}", "metadata");
	wrong_kind("{\"context\":{\"location\":\"Paris\"}}", "location");
	wrong_kind("{\"lat\":\"57.6\"}", "lat");
	wrong_kind("{\"metadata\":{\"timeSpent\":\"10s\"}}", "dwell_ms");
	wrong_kind("{\"timestamp\":true}", "timestamp");
	wrong_kind("{\"tzOffset\":\"+01:00\"}", "tz_offset");
	wrong_kind("{\"feedback\":{}}", "feedback");
	wrong_kind("{\"scrollDepth\":[0.5]}", "scroll_depth");
}

static void test_parse_failures(void)
{
	struct fix f;

	CHECK_EQ_INT(decode(&f, "[1,2]"), EVT_R_NOT_MAP);
	CHECK(strncmp(f.err, "byte 0: expected an object", 26) == 0);
	CHECK_EQ_INT(decode(&f, "\"x\""), EVT_R_NOT_MAP);
	CHECK_EQ_INT(decode(&f, "{\"userId\":"), EVT_R_MALFORMED);
	CHECK(strncmp(f.err, "byte 10:", 8) == 0);
	CHECK_EQ_INT(decode(&f, ""), EVT_R_MALFORMED);
	CHECK_EQ_INT(decode(&f, "{\"a\":1e999}"), EVT_R_MALFORMED);
	CHECK_EQ_INT(decode(&f, "{\"a\":[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]}"),
	    EVT_R_TOO_DEEP);

	char big[1200];
	size_t n = 0;

	big[n++] = '[';
	for (int i = 0; i < 200; i++) {
		big[n++] = '1';
		big[n++] = ',';
	}
	big[n - 1] = ']';
	big[n] = '\0';
	CHECK_EQ_INT(decode(&f, big), EVT_R_TOO_BIG);
	/* A rejected decode leaves nothing behind. */
	CHECK(f.in.user_id.p == NULL && !f.in.has_time_ms);
}

static void test_build_reasons_from_json(void)
{
	struct fix f;

	CHECK_EQ_INT(
	    run(&f,
		"{\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":1710059400}"),
	    EVT_R_MISSING_USER);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"entityId\":\"a\",\"timestamp\":1710059400}"),
	    EVT_R_MISSING_TYPE);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"buy\",\"entityId\":\"a\",\"timestamp\":1710059400}"),
	    EVT_R_BAD_TYPE);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"timestamp\":1710059400}"),
	    EVT_R_MISSING_ENTITY);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":1710059400,\"lat\":1}"),
	    EVT_R_BAD_LOCATION);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"feedback\",\"entityId\":\"a\",\"timestamp\":1710059400}"),
	    EVT_R_BAD_FEEDBACK);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":1710059400,\"position\":0}"),
	    EVT_R_BAD_NUMBER);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityType\":\"place\",\"entityId\":\"a\",\"timestamp\":1710059400}"),
	    EVT_R_BAD_ENTITY_TYPE);
}

/* A line whose event sits `levels` deep (the line's object is level 1),
 * plus `extra` filler keys at the top. */
static void shaped(char *b, size_t cap, int levels, int extra)
{
	size_t n = 0;

	for (int i = 1; i < levels; i++)
		n += (size_t)snprintf(b + n, cap - n, "{\"context\":");
	n += (size_t)snprintf(b + n, cap - n,
	    "{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000");
	for (int i = 0; i < extra; i++)
		n += (size_t)snprintf(b + n, cap - n, ",\"k%d\":%d", i, i);
	for (int i = 0; i < levels; i++)
		n += (size_t)snprintf(b + n, cap - n, "}");
}

/* One rule with msgpack (ipc/evfield.h): 8 levels and 64 keys per object
 * pass, 9 levels (empty containers count) and 65 keys reject the event,
 * also when the caller's work allows deeper documents. */
static void test_shape_rules(void)
{
	static struct json_tok toks[512];
	static char scratch[8192];
	char line[4096], err[160];
	struct json_work w;
	struct evt_input in;
	struct evt_record rec;
	const char *field;

	json_work_init(&w, toks, 512, scratch, sizeof(scratch));
	CHECK_EQ_INT(w.max_depth, 16);
	shaped(line, sizeof(line), 8, 0);
	CHECK_EQ_INT(json_event_input(line, strlen(line), &w, &in, err,
			 sizeof(err)),
	    EVT_OK);
	CHECK_EQ_INT(evt_build(&in, NULL, &rec, &field), EVT_OK);
	shaped(line, sizeof(line), 9, 0);
	CHECK_EQ_INT(json_event_input(line, strlen(line), &w, &in, err,
			 sizeof(err)),
	    EVT_R_TOO_DEEP);
	CHECK(strstr(err, "nesting deeper than 8") != NULL);
	static const char empty9[] =
	    "{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000,\"x\":[[[[[[[{}]]]]]]]}";
	CHECK_EQ_INT(json_event_input(empty9, strlen(empty9), &w, &in, err,
			 sizeof(err)),
	    EVT_R_TOO_DEEP);
	shaped(line, sizeof(line), 1, 60); /* 64 keys */
	CHECK_EQ_INT(json_event_input(line, strlen(line), &w, &in, err,
			 sizeof(err)),
	    EVT_OK);
	shaped(line, sizeof(line), 2, 61); /* 65 keys, one level down */
	CHECK_EQ_INT(json_event_input(line, strlen(line), &w, &in, err,
			 sizeof(err)),
	    EVT_R_TOO_BIG);
	CHECK(strstr(err, "65 members (at most 64)") != NULL);
}

/* Consent events are control records; do-not-track is a flag. */
static void test_privacy_fields(void)
{
	struct fix f;
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"consent\",\"timestamp\":1710059400,\"metadata\":{\"personalization\":false}}"),
	    EVT_OK);
	CHECK_EQ_INT(f.rec.control, EVT_CTL_CONSENT);
	CHECK_EQ_INT(f.rec.consent,
	    EVT_CONSENT_SET(EVT_PURPOSE_PERSONALIZATION));
	CHECK(f.rec.user_key == evt_user_key(NULL, "u", 1));
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"CONSENT\",\"timestamp\":1710059400,\"personalization\":true,\"analytics\":false}"),
	    EVT_OK);
	CHECK_EQ_INT(f.rec.consent,
	    EVT_CONSENT_SET(EVT_PURPOSES) | EVT_PURPOSE_PERSONALIZATION);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"consent\",\"timestamp\":1710059400}"),
	    EVT_R_BAD_CONSENT);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"consent\",\"timestamp\":1710059400,\"analytics\":\"yes\"}"),
	    EVT_R_BAD_FIELD_TYPE);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":1710059400,\"context\":{\"dnt\":true}}"),
	    EVT_OK);
	CHECK_EQ_INT(f.rec.flags & EVT_F_DNT, EVT_F_DNT);
	CHECK_EQ_INT(f.rec.control, EVT_CTL_NONE);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":1710059400,\"gpc\":false}"),
	    EVT_OK);
	CHECK_EQ_INT(f.rec.flags & EVT_F_DNT, 0);
	CHECK_EQ_INT(
	    run(&f,
		"{\"userId\":\"u\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":1710059400,\"dnt\":1}"),
	    EVT_R_BAD_FIELD_TYPE);
}

int main(void)
{
	test_privacy_fields();
	test_shape_rules();
	test_problem_shape();
	test_snake_flat();
	test_timestamp_rule();
	test_wrong_kinds();
	test_parse_failures();
	test_build_reasons_from_json();
	return check_done("event_json_event");
}
