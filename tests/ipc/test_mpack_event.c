/*
 * mpack: msgpack-c packer inputs through mp_event_input + evt_build: every
 * field and alias, int/float widths, str/bin, timestamp forms, nesting,
 * wrong kinds, caps; and parity with the JSON mapper (the same document as
 * JSON and as msgpack gives the same record or the same reason).
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "check.h"
#include "ipc/json.h"
#include "ipc/mpack.h"

#define T_MS 1700000000123LL
#define T_S 1700000000LL

static void pstr(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static void pbin(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_bin(pk, n);
	msgpack_pack_bin_body(pk, s, n);
}

static void pext(msgpack_packer *pk, int8_t type, const void *b, size_t n)
{
	msgpack_pack_ext(pk, n, type);
	msgpack_pack_ext_body(pk, b, n);
}

/* Base event fields: user, type, entity (3 pairs). */
static void base3(msgpack_packer *pk, const char *type)
{
	pstr(pk, "user_id");
	pstr(pk, "u1");
	pstr(pk, "event_type");
	pstr(pk, type);
	pstr(pk, "entity_id");
	pstr(pk, "e1");
}

struct one {
	enum evt_reason in_r, r;
	struct evt_input in;
	struct evt_record rec;
	const char *field;
	char err[160];
	struct mp_idtext ids;
	msgpack_zone zone;
	msgpack_object obj;
};

/* Unpacks sb and runs mp_event_input + evt_build (lim NULL). */
static enum evt_reason run(msgpack_sbuffer *sb, struct one *o,
    const struct mp_limits *lim)
{
	size_t off = 0;

	memset(o, 0, sizeof(*o));
	REQUIRE(msgpack_zone_init(&o->zone, 2048));
	REQUIRE(msgpack_unpack(sb->data, sb->size, &off, &o->zone, &o->obj) ==
	    MSGPACK_UNPACK_SUCCESS);
	o->in_r = mp_event_input(&o->obj, lim, &o->ids, &o->in, o->err,
	    sizeof(o->err));
	o->r = o->in_r;
	if (o->r == EVT_OK)
		o->r = evt_build(&o->in, lim ? &lim->evt : NULL, &o->rec,
		    &o->field);
	msgpack_zone_destroy(&o->zone);
	return o->r;
}

#define BEGIN(n)                                                               \
	msgpack_sbuffer_clear(&sb);                                            \
	msgpack_pack_map(&pk, (n))

static void test_full_camel(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct one o;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	BEGIN(7);
	pstr(&pk, "userId");
	pstr(&pk, "user-42");
	pstr(&pk, "sessionId");
	pstr(&pk, "s-1");
	pstr(&pk, "eventType");
	pstr(&pk, "click");
	pstr(&pk, "entityType");
	pstr(&pk, "recommendation");
	pstr(&pk, "entityId");
	pstr(&pk, "act-9");
	pstr(&pk, "context");
	msgpack_pack_map(&pk, 6);
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	pstr(&pk, "tzOffset");
	msgpack_pack_int8(&pk, -60);
	pstr(&pk, "location");
	msgpack_pack_map(&pk, 2);
	pstr(&pk, "latitude");
	msgpack_pack_float(&pk, 48.5f);
	pstr(&pk, "longitude");
	msgpack_pack_double(&pk, 2.25);
	pstr(&pk, "device");
	pstr(&pk, "iPad");
	pstr(&pk, "weather");
	pbin(&pk, "rain");
	pstr(&pk, "socialContext");
	pstr(&pk, "family");
	pstr(&pk, "metadata");
	msgpack_pack_map(&pk, 4);
	pstr(&pk, "timeSpent");
	msgpack_pack_uint32(&pk, 1500);
	pstr(&pk, "scrollDepth");
	msgpack_pack_float(&pk, 0.5f);
	pstr(&pk, "recommendationPosition");
	msgpack_pack_uint16(&pk, 7);
	pstr(&pk, "recommendationType");
	pstr(&pk, "trending");
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_OK);
	CHECK_EQ_INT(o.rec.user_key, evt_user_key(NULL, "user-42", 7));
	CHECK_EQ_INT(o.rec.session_key, evt_entity_key("s-1", 3));
	CHECK_EQ_INT(o.rec.entity_key, evt_entity_key("act-9", 5));
	CHECK_EQ_INT(o.rec.type, EVT_CLICK);
	CHECK_EQ_INT(o.rec.entity_type, EVT_ENT_RECOMMENDATION);
	CHECK_EQ_INT(o.rec.time_ms, T_MS);
	CHECK_EQ_INT(o.rec.tz_offset_min, -60);
	CHECK(o.rec.geo_cell != 0);
	CHECK_EQ_INT(o.rec.device, EVT_DEV_TABLET);
	CHECK_EQ_INT(o.rec.weather, EVT_WX_RAINY);
	CHECK_EQ_INT(o.rec.social, EVT_SOC_FAMILY);
	CHECK_EQ_INT(o.rec.dwell_ms, 1500);
	CHECK_NEAR(o.rec.scroll_depth, 0.5, 1e-9);
	CHECK_EQ_INT(o.rec.position, 7);
	CHECK(o.rec.rec_type != 0);
	msgpack_sbuffer_destroy(&sb);
}

/* Every timestamp form to the same or the expected ms. */
static void test_times(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct one o;
	unsigned char b[12];

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
#define TIME_CASE(pack_stmt, want_r, want_ms)                                  \
	do {                                                                   \
		BEGIN(4);                                                      \
		base3(&pk, "view");                                            \
		pstr(&pk, "timestamp");                                        \
		pack_stmt;                                                     \
		CHECK_EQ_INT(run(&sb, &o, NULL), (want_r));                    \
		if ((want_r) == EVT_OK)                                        \
			CHECK_EQ_INT(o.rec.time_ms, (want_ms));                \
	} while (0)
	TIME_CASE(msgpack_pack_int64(&pk, T_MS), EVT_OK, T_MS);
	TIME_CASE(msgpack_pack_uint32(&pk, (uint32_t)T_S), EVT_OK, T_S * 1000);
	TIME_CASE(msgpack_pack_double(&pk, 1700000000.25), EVT_OK,
	    T_S * 1000 + 250);
	TIME_CASE(msgpack_pack_double(&pk, (double)T_MS), EVT_OK, T_MS);
	TIME_CASE(msgpack_pack_float(&pk, 1700000000.0f), EVT_OK, T_S * 1000);
	TIME_CASE(msgpack_pack_double(&pk, NAN), EVT_R_BAD_NUMBER, 0);
	TIME_CASE(msgpack_pack_double(&pk, -INFINITY), EVT_R_BAD_NUMBER, 0);
	TIME_CASE(msgpack_pack_uint64(&pk, UINT64_MAX), EVT_R_TIME_RANGE, 0);
	TIME_CASE(msgpack_pack_int64(&pk, INT64_MIN), EVT_R_TIME_RANGE, 0);
	TIME_CASE(msgpack_pack_int64(&pk, -5), EVT_R_TIME_RANGE, 0);
	TIME_CASE(pstr(&pk, "2023-11-14T22:13:20.123Z"), EVT_OK, T_MS);
	TIME_CASE(pbin(&pk, "2023-11-14T23:13:20.123+01:00"), EVT_OK, T_MS);
	TIME_CASE(pstr(&pk, "2023-13-14T22:13:20Z"), EVT_R_BAD_TIME, 0);
	TIME_CASE(msgpack_pack_true(&pk), EVT_R_BAD_FIELD_TYPE, 0);
	CHECK(strcmp(o.field, "timestamp") == 0);
	TIME_CASE(msgpack_pack_nil(&pk), EVT_R_MISSING_TIME, 0);
	/* ext -1, 32-bit seconds */
	b[0] = 0x65;
	b[1] = 0x53;
	b[2] = 0xf1;
	b[3] = 0x00; /* 1700000000 */
	TIME_CASE(pext(&pk, -1, b, 4), EVT_OK, T_S * 1000);
	/* 64-bit: ns << 34 | sec; ns = 123456789 -> 123 ms */
	{
		uint64_t x = (uint64_t)123456789 << 34 | (uint64_t)T_S;

		for (int i = 0; i < 8; i++)
			b[i] = (unsigned char)(x >> (56 - 8 * i));
	}
	TIME_CASE(pext(&pk, -1, b, 8), EVT_OK, T_S * 1000 + 123);
	/* 64-bit with ns > 999999999 is malformed */
	{
		uint64_t x = (uint64_t)1000000000 << 34 | (uint64_t)T_S;

		for (int i = 0; i < 8; i++)
			b[i] = (unsigned char)(x >> (56 - 8 * i));
	}
	TIME_CASE(pext(&pk, -1, b, 8), EVT_R_BAD_TIME, 0);
	/* 96-bit: ns 500000 rounds up to 1 ms */
	memset(b, 0, sizeof(b));
	b[1] = 0x07;
	b[2] = 0xa1;
	b[3] = 0x20; /* ns = 500000 */
	b[8] = 0x65;
	b[9] = 0x53;
	b[10] = 0xf1;
	b[11] = 0x00;
	TIME_CASE(pext(&pk, -1, b, 12), EVT_OK, T_S * 1000 + 1);
	/* 96-bit negative seconds: before 2000 */
	memset(b, 0xff, sizeof(b));
	b[0] = b[1] = b[2] = b[3] = 0;
	TIME_CASE(pext(&pk, -1, b, 12), EVT_R_TIME_RANGE, 0);
	/* 96-bit huge seconds saturate */
	memset(b, 0, sizeof(b));
	b[4] = 0x7f;
	b[5] = 0xff;
	TIME_CASE(pext(&pk, -1, b, 12), EVT_R_TIME_RANGE, 0);
	TIME_CASE(pext(&pk, -1, b, 5), EVT_R_BAD_TIME, 0);
	TIME_CASE(pext(&pk, 7, b, 4), EVT_R_BAD_FIELD_TYPE, 0);
#undef TIME_CASE
	msgpack_sbuffer_destroy(&sb);
}

static void test_kinds_and_caps(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct one o, o2;
	struct mp_limits lim = mp_limits_default();

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

	/* integer ids are their decimal text: 42 == "42", -7 == "-7" */
	BEGIN(4);
	pstr(&pk, "user_id");
	msgpack_pack_uint8(&pk, 42);
	pstr(&pk, "event_type");
	pstr(&pk, "save");
	pstr(&pk, "entity_id");
	msgpack_pack_int64(&pk, -7);
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_OK);
	CHECK_EQ_INT(o.rec.user_key, evt_user_key(NULL, "42", 2));
	CHECK_EQ_INT(o.rec.entity_key, evt_entity_key("-7", 2));

	/* without id storage, an integer id is the wrong kind */
	{
		size_t off = 0;
		msgpack_zone z;
		msgpack_object obj;
		struct evt_input in;
		char err[128];

		REQUIRE(msgpack_zone_init(&z, 1024));
		REQUIRE(msgpack_unpack(sb.data, sb.size, &off, &z, &obj) ==
		    MSGPACK_UNPACK_SUCCESS);
		CHECK_EQ_INT(mp_event_input(&obj, NULL, NULL, &in, err,
				 sizeof(err)),
		    EVT_OK);
		CHECK_EQ_INT(in.bad, EVT_R_BAD_FIELD_TYPE);
		CHECK(strcmp(in.bad_field, "user_id") == 0);
		CHECK(strstr(err, "user_id") != NULL);
		msgpack_zone_destroy(&z);
	}

	/* bool / array / map for a known scalar field: wrong kind */
	BEGIN(5);
	base3(&pk, "view");
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	pstr(&pk, "scrollDepth");
	msgpack_pack_false(&pk);
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_R_BAD_FIELD_TYPE);
	CHECK(strcmp(o.field, "scroll_depth") == 0);
	CHECK(strstr(o.err, "scrollDepth") && strstr(o.err, "bool"));

	/* location not a map; float as id */
	BEGIN(5);
	base3(&pk, "view");
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	pstr(&pk, "location");
	pstr(&pk, "paris");
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_R_BAD_FIELD_TYPE);
	CHECK(strcmp(o.field, "location") == 0);
	BEGIN(4);
	pstr(&pk, "user_id");
	msgpack_pack_double(&pk, 1.5);
	pstr(&pk, "event_type");
	pstr(&pk, "view");
	pstr(&pk, "entity_id");
	pstr(&pk, "e");
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_R_BAD_FIELD_TYPE);

	/* numbers as strings are the wrong kind (as in JSON) */
	BEGIN(5);
	base3(&pk, "view");
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	pstr(&pk, "position");
	pstr(&pk, "3");
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_R_BAD_FIELD_TYPE);

	/* nil is absent and does not undo an earlier value; int keys and
	 * unknown keys are ignored */
	BEGIN(7);
	base3(&pk, "view");
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	pstr(&pk, "device");
	pstr(&pk, "tv");
	pstr(&pk, "device");
	msgpack_pack_nil(&pk);
	msgpack_pack_int(&pk, 5);
	msgpack_pack_true(&pk);
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_OK);
	CHECK_EQ_INT(o.rec.device, EVT_DEV_TV);
	CHECK_EQ_INT(o.rec.entity_key, evt_entity_key("e1", 2));

	/* a field given twice is refused (the last value silently won):
	 * by one name, by an alias, or again in a nested map */
	BEGIN(5);
	base3(&pk, "view");
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	pstr(&pk, "entity_id");
	pstr(&pk, "e2");
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_R_DUPLICATE_FIELD);
	CHECK(strcmp(o.in.bad_field, "entity_id") == 0);
	CHECK(strstr(o.err, "given twice") != NULL);
	BEGIN(5);
	base3(&pk, "view");
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	pstr(&pk, "entityId");
	pstr(&pk, "e1");
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_R_DUPLICATE_FIELD);
	BEGIN(5);
	base3(&pk, "view");
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	pstr(&pk, "metadata");
	msgpack_pack_map(&pk, 1);
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_R_DUPLICATE_FIELD);
	CHECK(strcmp(o.in.bad_field, "timestamp") == 0);

	/* bin keys */
	BEGIN(4);
	pbin(&pk, "userId");
	pstr(&pk, "u");
	pbin(&pk, "eventType");
	pstr(&pk, "share");
	pbin(&pk, "entityId");
	pstr(&pk, "e");
	pbin(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_OK);
	CHECK_EQ_INT(o.rec.type, EVT_SHARE);

	/* feedback: string sign and numeric sign */
	BEGIN(5);
	base3(&pk, "feedback");
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	pstr(&pk, "feedback");
	msgpack_pack_int8(&pk, -3);
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_OK);
	CHECK_EQ_INT(o.rec.feedback, -1);
	BEGIN(5);
	base3(&pk, "feedback");
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	pstr(&pk, "feedbackType");
	pstr(&pk, "thumbs_up");
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_OK);
	CHECK_EQ_INT(o.rec.feedback, 1);

	/* caps: not a map; too many keys; nested context too deep */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_array(&pk, 0);
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_R_NOT_MAP);
	CHECK(strstr(o.err, "array") != NULL);
	BEGIN(65);
	for (int i = 0; i < 65; i++) {
		char k[8];

		snprintf(k, sizeof(k), "k%d", i);
		pstr(&pk, k);
		msgpack_pack_int(&pk, i);
	}
	CHECK_EQ_INT(run(&sb, &o, NULL), EVT_R_TOO_BIG);
	lim.max_keys = 100;
	CHECK_EQ_INT(run(&sb, &o, &lim), EVT_R_MISSING_USER);
	lim = mp_limits_default();
	lim.max_depth = 3;
	BEGIN(5);
	base3(&pk, "view");
	pstr(&pk, "timestamp");
	msgpack_pack_uint64(&pk, T_MS);
	pstr(&pk, "context");
	msgpack_pack_map(&pk, 1);
	pstr(&pk, "metadata");
	msgpack_pack_map(&pk, 1);
	pstr(&pk, "location");
	msgpack_pack_map(&pk, 1);
	pstr(&pk, "lat");
	msgpack_pack_double(&pk, 1);
	CHECK_EQ_INT(run(&sb, &o, &lim), EVT_R_TOO_DEEP);
	lim.max_depth = 4;
	CHECK_EQ_INT(run(&sb, &o2, &lim), EVT_R_BAD_LOCATION); /* lon missing */
	CHECK(strcmp(o2.field, "lon") == 0);
	msgpack_sbuffer_destroy(&sb);
}

/* map32 and str32 written by hand (the packer picks the smallest form). */
static void test_wide_headers(void)
{
	static const unsigned char ev[] = {
		0xdf, 0, 0, 0, 4, 0xdb, 0, 0, 0, 7, 'u', 's', 'e', 'r', '_',
		'i', 'd', 0xdb, 0, 0, 0, 2, 'u', '1', 0xda, 0, 4, 't', 'y', 'p',
		'e', 0xd9, 4, 'r', 's', 'v', 'p', 0xc5, 0, 8, 'e', 'n', 't',
		'i', 't', 'y', 'I', 'd', 0xc6, 0, 0, 0, 1, 'x', 0xa9, 't', 'i',
		'm', 'e', 's', 't', 'a', 'm', 'p', 0xd3, 0, 0, 0x01, 0x8b, 0xcf,
		0xe5, 0x68, 0x7b, /* T_MS int64 */
	};
	struct mp_stats st = { 0 };

	CHECK_EQ_INT(mp_decode_buffer((const char *)ev, sizeof(ev), NULL, NULL,
			 NULL, &st),
	    EVT_OK);
	CHECK_EQ_INT(st.reason[EVT_OK], 1);
	CHECK_EQ_INT(st.objects, 1);
	CHECK_EQ_INT(st.buffers, 1);
	CHECK_EQ_INT(st.bytes, sizeof(ev));
}

/* --- JSON parity: the same document as JSON and msgpack --- */

/* Packs the JSON value at toks[i] (ints as ints, other numbers as
 * float64); returns the index after it. */
static size_t json_to_mp(const struct json_tok *toks, size_t i,
    msgpack_packer *pk)
{
	const struct json_tok *t = &toks[i];
	size_t j;

	switch ((enum json_kind)t->kind) {
	case JSON_OBJECT:
		msgpack_pack_map(pk, t->count);
		for (j = i + 1; j < t->end;)
			j = json_to_mp(toks, j, pk);
		return t->end;
	case JSON_ARRAY:
		msgpack_pack_array(pk, t->count);
		for (j = i + 1; j < t->end;)
			j = json_to_mp(toks, j, pk);
		return t->end;
	case JSON_STRING:
		msgpack_pack_str(pk, t->len);
		msgpack_pack_str_body(pk, t->str, t->len);
		break;
	case JSON_NUMBER:
		if (t->is_int)
			msgpack_pack_int64(pk, t->i);
		else
			msgpack_pack_double(pk, t->num);
		break;
	case JSON_TRUE: msgpack_pack_true(pk); break;
	case JSON_FALSE: msgpack_pack_false(pk); break;
	default: msgpack_pack_nil(pk); break;
	}
	return i + 1;
}

struct last {
	enum evt_reason r;
	struct evt_record rec;
	int n;
};

static int keep_last(void *ctx, const struct mp_event *ev)
{
	struct last *l = ctx;

	l->r = ev->reason;
	if (ev->rec)
		l->rec = *ev->rec;
	l->n++;
	return 0;
}

static int parity_checked;

static void parity(const char *line, size_t len)
{
	struct json_tok toks[256];
	char scratch[4096];
	struct json_work w;
	struct evt_input in;
	struct evt_record jrec;
	struct last ml = { 0 };
	char err[160];
	const char *field;
	enum evt_reason jr;
	msgpack_sbuffer sb;
	msgpack_packer pk;

	json_work_init(&w, toks, 256, scratch, sizeof(scratch));
	/* the default (16): deeper lines must fail in both decoders by the
	 * event rule (ipc/evfield.h), not by this parse */
	if (json_parse(line, len, &w, NULL, err, sizeof(err)) < 0 ||
	    toks[0].kind != JSON_OBJECT)
		return;
	/* pack first: json_event_input parses again into the same tokens */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	json_to_mp(toks, 0, &pk);
	jr = json_event_input(line, len, &w, &in, err, sizeof(err));
	if (jr == EVT_OK)
		jr = evt_build(&in, NULL, &jrec, &field);
	mp_decode_buffer(sb.data, sb.size, NULL, keep_last, &ml, NULL);
	if (ml.r != jr || ml.n != 1)
		fprintf(stderr, "parity: %.*s: json %s, msgpack %s\n", (int)len,
		    line, evt_reason_name(jr), evt_reason_name(ml.r));
	CHECK_EQ_INT(ml.n, 1);
	CHECK_EQ_INT(ml.r, jr);
	if (jr == EVT_OK && ml.r == EVT_OK)
		CHECK(memcmp(&jrec, &ml.rec, sizeof(jrec)) == 0);
	msgpack_sbuffer_destroy(&sb);
	parity_checked++;
}

static void test_parity(void)
{
	static const char *const lines[] = {
		"{\"userId\":\"u1\",\"eventType\":\"view\",\"entityId\":\"a\",\"timestamp\":1700000000123}",
		"{\"user_id\":42,\"type\":\"click\",\"entity_id\":7,\"timestamp\":1700000000.5}",
		"{\"user_id\":\"u\",\"event_type\":\"search\",\"query\":\"jazz and blues\",\"timestamp\":\"2024-01-02T03:04:05Z\"}",
		"{\"user_id\":\"u\",\"event_type\":\"feedback\",\"entity_id\":\"e\",\"feedback\":\"dislike\",\"timestamp\":1700000000}",
		"{\"user_id\":\"u\",\"event_type\":\"feedback\",\"entity_id\":\"e\",\"feedback\":0,\"timestamp\":1700000000}",
		"{\"user_id\":\"u\",\"event_type\":\"rsvp\",\"entity_id\":\"e\",\"timestamp\":1700000000,\"context\":{\"location\":{\"lat\":1,\"lon\":2},\"tz_offset\":90.4}}",
		"{\"user_id\":\"u\",\"event_type\":\"rsvp\",\"entity_id\":\"e\",\"timestamp\":1700000000,\"lat\":91,\"lon\":2}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000,\"position\":0}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000,\"scrollDepth\":55,\"timeSpent\":1e9}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1e12}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":true}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":null}",
		"{\"user_id\":\"u\",\"event_type\":\"nope\",\"entity_id\":\"e\",\"timestamp\":1700000000}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_type\":\"x\",\"entity_id\":\"e\",\"timestamp\":1700000000}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"metadata\":[1],\"timestamp\":1700000000}",
		"{\"user_id\":\"\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000}",
		"{\"user_id\":\"u\",\"eventType\":\"VIEW\",\"entity_id\":\"e\",\"timestamp\":\"2024-01-02T03:04:05+25:00\"}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000,\"device\":\" Android \",\"platform\":\"OS X\",\"social\":\"date\"}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000,\"x\":[[[[[[[0]]]]]]]}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000,\"x\":[[[[[[[{}]]]]]]]}",
		"{\"user_id\":\"u\",\"context\":{\"context\":{\"context\":{\"context\":{\"context\":{\"context\":{\"context\":{\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000}}}}}}}}",
		"{\"user_id\":\"u\",\"context\":{\"context\":{\"context\":{\"context\":{\"context\":{\"context\":{\"context\":{\"context\":{\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000}}}}}}}}}",
		"{\"user_id\":-9223372036854775808,\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":-100000000000}",
		"{\"user_id\":\"u\",\"event_type\":\"consent\",\"timestamp\":1700000000,\"metadata\":{\"personalization\":false,\"analytics\":true}}",
		"{\"user_id\":\"u\",\"event_type\":\" Consent \",\"timestamp\":1700000000,\"personalization\":true}",
		"{\"user_id\":\"u\",\"event_type\":\"consent\",\"timestamp\":1700000000}",
		"{\"user_id\":\"u\",\"event_type\":\"consent\",\"timestamp\":1700000000,\"personalization\":\"no\"}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000,\"context\":{\"dnt\":true}}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000,\"gpc\":false}",
		"{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1700000000,\"doNotTrack\":1}",
	};
	const char *dir = PENCHANT_JSON_CORPUS;
	DIR *d;
	struct dirent *e;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		parity(lines[i], strlen(lines[i]));
	/* and the JSON fuzz seeds */
	d = opendir(dir);
	REQUIRE(d);
	while ((e = readdir(d))) {
		char path[1024], buf[4096];
		FILE *f;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			n--;
		parity(buf, n);
	}
	closedir(d);
	CHECK(parity_checked >= 25);
}

int main(void)
{
	test_full_camel();
	test_times();
	test_kinds_and_caps();
	test_wide_headers();
	test_parity();
	return check_done("mpack_event");
}
