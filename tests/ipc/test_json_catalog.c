/* json_catalog_item: a full catalog line, defaults, and errors that name
 * the field. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "ipc/json.h"

struct fix {
	struct json_tok toks[64];
	char scratch[1024];
	struct json_work w;
	struct json_catalog_item it;
	char err[160];
};

static int parse(struct fix *f, const char *line)
{
	json_work_init(&f->w, f->toks, 64, f->scratch, sizeof(f->scratch));
	return json_catalog_item(line, strlen(line), &f->w, &f->it, f->err,
	    sizeof(f->err));
}

static bool str_eq(struct evt_str s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static void test_full(void)
{
	struct fix f;

	REQUIRE(
	    parse(&f,
		"{\"id\":\"act-1\",\"category\":\"music\",\"tags\":[\"jazz\",\"live\",\"caf\\u00e9\"],\"start_time\":\"2024-03-10T20:00:00+01:00\",\"location\":{\"lat\":57.64911,\"lon\":10.40744},\"indoor\":true,\"outdoor\":false,\"group_friendly\":true,\"price_level\":2,\"extra\":[1,2,3]}") ==
	    0);
	CHECK(str_eq(f.it.id, "act-1"));
	CHECK(str_eq(f.it.category, "music"));
	CHECK_EQ_INT(f.it.n_tags, 3);
	CHECK(str_eq(f.it.tags[0], "jazz"));
	CHECK(str_eq(f.it.tags[2], "caf\xc3\xa9"));
	CHECK(f.it.has_start);
	CHECK_EQ_INT(f.it.start_ms, 1710097200000LL);
	CHECK_EQ_INT(f.it.start_tz_min, 60);
	CHECK(f.it.has_location);
	CHECK_NEAR(f.it.lat, 57.64911, 0);
	CHECK_NEAR(f.it.lon, 10.40744, 0);
	CHECK_EQ_INT(f.it.indoor, 1);
	CHECK_EQ_INT(f.it.outdoor, 0);
	CHECK_EQ_INT(f.it.group_friendly, 1);
	CHECK_EQ_INT(f.it.price_level, 2);
}

static void test_minimal(void)
{
	struct fix f;

	REQUIRE(
	    parse(&f,
		"{\"id\":17,\"lat\":1.5,\"lng\":-2,\"start_time\":1710059400000,\"tags\":[],\"category\":null}") ==
	    0);
	CHECK(str_eq(f.it.id, "17"));
	CHECK(f.it.category.p == NULL);
	CHECK_EQ_INT(f.it.n_tags, 0);
	CHECK(f.it.has_location);
	CHECK_EQ_INT(f.it.start_ms, 1710059400000LL);
	CHECK_EQ_INT(f.it.indoor, -1);
	CHECK_EQ_INT(f.it.outdoor, -1);
	CHECK_EQ_INT(f.it.group_friendly, -1);
	CHECK_EQ_INT(f.it.price_level, -1);

	REQUIRE(parse(&f, "{\"id\":\"x\"}") == 0);
	CHECK(!f.it.has_location && !f.it.has_start);
}

static void bad(const char *line, int rc, const char *field)
{
	struct fix f;
	char want[64];

	snprintf(want, sizeof(want), "field '%s'", field);
	int got = parse(&f, line);

	if (got != rc || strstr(f.err, want) == NULL ||
	    strncmp(f.err, "byte ", 5) != 0) {
		fprintf(stderr, "%s: rc %d (want %d) err '%s' (want %s)\n",
		    line, got, rc, f.err, want);
		CHECK(0);
	}
}

static void test_errors(void)
{
	bad("{}", -EINVAL, "id");
	bad("{\"id\":\"\"}", -EINVAL, "id");
	bad("{\"id\":true}", -EINVAL, "id");
	bad("{\"id\":1.5}", -EINVAL, "id");
	bad("{\"id\":\"a\",\"category\":3}", -EINVAL, "category");
	/* a field given twice, by one name or two: refused, naming it
	 * (the later silently won); null is absent, unknown keys free */
	bad("{\"id\":\"a\",\"category\":\"x\",\"category\":\"y\"}", -EINVAL,
	    "category");
	bad("{\"id\":\"a\",\"id\":\"b\"}", -EINVAL, "id");
	bad("{\"id\":\"a\",\"price_level\":1,\"priceLevel\":2}", -EINVAL,
	    "price_level");
	bad("{\"id\":\"a\",\"location\":{\"lat\":1,\"latitude\":2,\"lon\":3}}",
	    -EINVAL, "lat");
	{
		struct fix f;
		CHECK_EQ_INT(
		    parse(&f,
			"{\"id\":\"a\",\"category\":null,\"category\":\"y\",\"x\":1,\"x\":2}"),
		    0);
		CHECK(str_eq(f.it.category, "y"));
	}
	bad("{\"id\":\"a\",\"tags\":\"jazz\"}", -EINVAL, "tags");
	bad("{\"id\":\"a\",\"tags\":[\"a\",2]}", -EINVAL, "tags");
	bad("{\"id\":\"a\",\"tags\":[\"\"]}", -EINVAL, "tags");
	bad("{\"id\":\"a\",\"tags\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}",
	    -E2BIG, "tags");
	bad("{\"id\":\"a\",\"start_time\":\"tomorrow\"}", -EINVAL,
	    "start_time");
	bad("{\"id\":\"a\",\"start_time\":[]}", -EINVAL, "start_time");
	bad("{\"id\":\"a\",\"lat\":1}", -EINVAL, "lon");
	bad("{\"id\":\"a\",\"lon\":1}", -EINVAL, "lat");
	bad("{\"id\":\"a\",\"lat\":91,\"lon\":1}", -EINVAL, "lat");
	bad("{\"id\":\"a\",\"lat\":1,\"lon\":181}", -EINVAL, "lon");
	bad("{\"id\":\"a\",\"lat\":\"1\",\"lon\":1}", -EINVAL, "lat");
	bad("{\"id\":\"a\",\"location\":[1,2]}", -EINVAL, "location");
	bad("{\"id\":\"a\",\"indoor\":1}", -EINVAL, "indoor");
	bad("{\"id\":\"a\",\"outdoor\":\"yes\"}", -EINVAL, "outdoor");
	bad("{\"id\":\"a\",\"indoor\":true,\"outdoor\":true}", -EINVAL,
	    "outdoor");
	bad("{\"id\":\"a\",\"tags\":[\"t\\u0001x\"]}", -EINVAL, "tags");
	bad("{\"id\":\"a\",\"category\":\"d\\u0000e\"}", -EINVAL, "category");
	bad("{\"id\":\"a\\u0000b\"}", -EINVAL, "id");
	/* C1 controls (a terminal's CSI, OSC) as escapes and raw. */
	bad("{\"id\":\"a\",\"category\":\"c\\u009b31m\"}", -EINVAL, "category");
	bad("{\"id\":\"a\",\"tags\":[\"osc\xc2\x9d"
	    "0\"]}",
	    -EINVAL, "tags");
	bad("{\"id\":\"a\",\"indoor\":false,\"outdoor\":false}", -EINVAL,
	    "outdoor");
	bad("{\"id\":\"a\",\"group_friendly\":0}", -EINVAL, "group_friendly");
	bad("{\"id\":\"a\",\"price_level\":5}", -EINVAL, "price_level");
	bad("{\"id\":\"a\",\"price_level\":-1}", -EINVAL, "price_level");
	bad("{\"id\":\"a\",\"price_level\":1.5}", -EINVAL, "price_level");
	bad("{\"id\":\"a\",\"price_level\":\"$$\"}", -EINVAL, "price_level");
	bad("{\"id\":\"a\",\"devices\":\"mobile\"}", -EINVAL, "devices");
	bad("{\"id\":\"a\",\"devices\":[1]}", -EINVAL, "devices");
	bad("{\"id\":\"a\",\"platforms\":[\"\"]}", -EINVAL, "platforms");
	bad("{\"id\":\"a\",\"added\":\"soon\"}", -EINVAL, "added");

	struct fix f;

	CHECK_EQ_INT(parse(&f, "[]"), -EINVAL);
	CHECK(strstr(f.err, "expected an object") != NULL);
	CHECK_EQ_INT(parse(&f, "{\"id\":\"a\""), -EINVAL);
	CHECK(strncmp(f.err, "byte 9:", 7) == 0);
}

/* Availability, devices and platforms an item suits. */
static void test_serving_fields(void)
{
	struct fix f;
	CHECK_EQ_INT(
	    parse(&f,
		"{\"id\":\"x\",\"added\":\"2026-11-01T10:00:00Z\",\"devices\":[\"iPhone\",\"tablet\"],\"platforms\":[\"web\"],\"start_time\":\"2026-12-01T20:00:00+01:00\"}"),
	    0);
	CHECK(f.it.has_added);
	CHECK_EQ_INT(f.it.added_ms, 1793527200000LL);
	CHECK_EQ_INT(f.it.device_mask,
	    (1 << EVT_DEV_MOBILE) | (1 << EVT_DEV_TABLET));
	CHECK_EQ_INT(f.it.platform_mask, 1 << EVT_PLAT_WEB);
	CHECK_EQ_INT(f.it.start_tz_min, 60);
	CHECK_EQ_INT(parse(&f, "{\"id\":\"y\"}"), 0);
	CHECK(!f.it.has_added);
	CHECK_EQ_INT(f.it.device_mask, 0);
}

int main(void)
{
	test_full();
	test_serving_fields();
	test_minimal();
	test_errors();
	return check_done("event_json_catalog");
}
