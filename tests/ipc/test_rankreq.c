/*
 * test_rankreq: the rank API codec (ipc/rankreq.h). Good requests decode
 * to the exact pen_* values in both dialects (every JSON case is also
 * converted to msgpack and must decode to the same request or the same
 * error); every bad input gets its status, field and reason; responses
 * and errors encode to what a JSON parser and msgpack-c read back.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "check.h"
#include "ipc/json.h"
#include "ipc/mpack.h"
#include "ipc/rankreq.h"

/* ---- JSON -> msgpack, for parity ---------------------------------------- */

static size_t _pack(msgpack_packer *pk, const struct json_tok *t, size_t i)
{
	const struct json_tok *k = &t[i];
	switch (k->kind) {
	case JSON_OBJECT: {
		msgpack_pack_map(pk, k->count);
		size_t j = i + 1;
		for (uint32_t m = 0; m < k->count; m++) {
			j = _pack(pk, t, j);
			j = _pack(pk, t, j);
		}
		return k->end;
	}
	case JSON_ARRAY: {
		msgpack_pack_array(pk, k->count);
		size_t j = i + 1;
		for (uint32_t m = 0; m < k->count; m++)
			j = _pack(pk, t, j);
		return k->end;
	}
	case JSON_STRING:
		msgpack_pack_str(pk, k->len);
		msgpack_pack_str_body(pk, k->str, k->len);
		break;
	case JSON_NUMBER:
		if (k->is_int)
			msgpack_pack_int64(pk, k->i);
		else
			msgpack_pack_double(pk, k->num);
		break;
	case JSON_TRUE: msgpack_pack_true(pk); break;
	case JSON_FALSE: msgpack_pack_false(pk); break;
	default: msgpack_pack_nil(pk); break;
	}
	return i + 1;
}

/* The JSON document as msgpack into sb; false when it is not JSON. */
static bool _to_mp(const char *json, msgpack_sbuffer *sb)
{
	static struct json_tok toks[4096];
	static char scratch[1 << 16];
	struct json_work w;
	json_work_init(&w, toks, 4096, scratch, sizeof(scratch));
	w.max_depth = 64;
	if (json_parse(json, strlen(json), &w, NULL, NULL, 0))
		return false;
	msgpack_sbuffer_init(sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	_pack(&pk, toks, 0);
	return true;
}

/* ---- comparing decoded requests ----------------------------------------- */

static bool _seq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool _names_eq(const char *const *a, const char *const *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!_seq(a[i], b[i]))
			return false;
	return true;
}

static bool _attrs_eq(const struct pen_item_attrs *a,
    const struct pen_item_attrs *b)
{
	if (!a || !b)
		return a == b;
	return _seq(a->category, b->category) && a->n_tags == b->n_tags &&
	    _names_eq(a->tags, b->tags, a->n_tags) &&
	    a->start_ms == b->start_ms && a->start_tz_min == b->start_tz_min &&
	    a->has_location == b->has_location && a->lat == b->lat &&
	    a->lon == b->lon && a->indoor == b->indoor &&
	    a->group_friendly == b->group_friendly &&
	    a->added_ms == b->added_ms && a->n_devices == b->n_devices &&
	    _names_eq(a->devices, b->devices, a->n_devices);
}

static bool _req_eq(const struct rq_request *a, const struct rq_request *b)
{
	const struct pen_context *x = &a->ctx, *y = &b->ctx;
	if (strcmp(a->user_id, b->user_id) || a->user_len != b->user_len ||
	    x->time_ms != y->time_ms || x->tz_offset_min != y->tz_offset_min ||
	    x->has_location != y->has_location || x->lat != y->lat ||
	    x->lon != y->lon || !_seq(x->weather, y->weather) ||
	    !_seq(x->social, y->social) || !_seq(x->device, y->device) ||
	    !_seq(x->platform, y->platform) || a->n != b->n ||
	    !_seq(a->strategy, b->strategy) ||
	    !_seq(a->opt.strategy, b->opt.strategy) || a->opt.k != b->opt.k ||
	    a->opt.seed != b->opt.seed || a->opt.epsilon != b->opt.epsilon ||
	    a->opt.explore_weight != b->opt.explore_weight ||
	    a->opt.mmr_lambda != b->opt.mmr_lambda ||
	    a->opt.serendipity_every != b->opt.serendipity_every ||
	    a->opt.context_weight != b->opt.context_weight ||
	    !_seq(a->opt.diversifier, b->opt.diversifier) ||
	    a->opt.given != b->opt.given ||
	    a->opt.mmr_mean != b->opt.mmr_mean ||
	    a->opt.dpp_theta != b->opt.dpp_theta)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->cands[i].entity_id, b->cands[i].entity_id) ||
		    a->cands[i].score != b->cands[i].score ||
		    !_attrs_eq(a->cands[i].attrs, b->cands[i].attrs))
			return false;
	return true;
}

/* A deep copy is not needed: two decoders hold the two requests. */
static struct rq_decoder *dj, *dm;

static void _dump_err(const char *what, const char *in, int rc,
    const struct rq_error *e)
{
	fprintf(stderr, "  %s of %.120s: rc %d status %u field '%s': %s\n",
	    what, in, rc, e->status, e->field, e->msg);
}

/*
 * rq_decode_mpack_scanned of a msgpack request by dm (default caps), after
 * the scan the msgpack listener makes (its caps); 1 when that scan refuses
 * it (the listener closes the connection: nothing to compare).
 */
static int _scanned(const void *buf, size_t len, struct rq_request *out,
    struct rq_error *e)
{
	struct mp_limits lim = mp_limits_default();
	struct rq_limits rl = rq_limits_default();
	lim.max_object_bytes = lim.max_buffered = lim.max_events = rl.max_bytes;
	lim.max_depth = RQ_MAX_DEPTH;
	lim.max_keys = RQ_MAX_KEYS;
	lim = mp_limits_clamp(&lim);
	struct mp_scan sc;
	enum evt_reason why;
	mp_scan_reset(&sc);
	if (mp_scan_object(&sc, &lim, buf, len, &why, NULL, 0) !=
		MP_SCAN_DONE ||
	    sc.pos != len)
		return 1;
	return rq_decode_mpack_scanned(dm, buf, len, out, e);
}

/* A good request: decodes in both dialects to the same thing. */
static void _good(const char *json, struct rq_request *out)
{
	struct rq_error e = { 0 };
	struct rq_request m;
	int rc = rq_decode_json(dj, json, strlen(json), out, &e);
	CHECK_EQ_INT(rc, 0);
	if (rc)
		_dump_err("json", json, rc, &e);
	msgpack_sbuffer sb;
	REQUIRE(_to_mp(json, &sb));
	rc = rq_decode_mpack(dm, sb.data, sb.size, &m, &e);
	CHECK_EQ_INT(rc, 0);
	if (rc)
		_dump_err("msgpack", json, rc, &e);
	else if (!_req_eq(out, &m)) {
		CHECK(!"json and msgpack decode alike");
		fprintf(stderr, "  differ: %s\n", json);
	}
	rc = _scanned(sb.data, sb.size, &m, &e);
	CHECK_EQ_INT(rc, 0);
	if (rc == 0 && !_req_eq(out, &m)) {
		CHECK(!"a scanned msgpack request decodes alike");
		fprintf(stderr, "  differ: %s\n", json);
	}
	msgpack_sbuffer_destroy(&sb);
}

/* A bad request: the same status, field and reason in both dialects (the
 * msgpack form is skipped when the text is not JSON at all). */
static void _bad_in(struct rq_decoder *d, const char *json, unsigned status,
    const char *field, const char *reason)
{
	struct rq_error e = { 0 };
	struct rq_request r;
	int rc = rq_decode_json(d, json, strlen(json), &r, &e);
	size_t rl = strlen(reason);
	bool ok = rc < 0 && e.status == status && !strcmp(e.field, field) &&
	    !strncmp(e.msg, reason, rl) && e.msg[rl] == ':';
	CHECK(ok);
	if (!ok)
		_dump_err("json (bad expected)", json, rc, &e);
	CHECK_EQ_INT(rc, status == 413 ? -E2BIG : -EINVAL);
	msgpack_sbuffer sb;
	if (!_to_mp(json, &sb))
		return;
	memset(&e, 0, sizeof(e));
	rc = rq_decode_mpack(d == dj ? dm : d, sb.data, sb.size, &r, &e);
	ok = rc < 0 && e.status == status && !strcmp(e.field, field) &&
	    !strncmp(e.msg, reason, rl) && e.msg[rl] == ':';
	CHECK(ok);
	if (!ok)
		_dump_err("msgpack (bad expected)", json, rc, &e);
	struct rq_error e2 = { 0 };
	int rc2 = d == dj ? _scanned(sb.data, sb.size, &r, &e2) : 1;
	ok = rc2 == 1 ||
	    (rc2 == rc && e2.status == e.status && !strcmp(e2.field, e.field) &&
		!strcmp(e2.msg, e.msg));
	CHECK(ok);
	if (!ok)
		_dump_err("scanned msgpack (bad expected)", json, rc2, &e2);
	msgpack_sbuffer_destroy(&sb);
}

static void _bad(const char *json, unsigned status, const char *field,
    const char *reason)
{
	_bad_in(dj, json, status, field, reason);
}

/* ---- good requests ----------------------------------------------------- */

static void _full(void)
{
	struct rq_request r;
	_good(
	    "{\"user_id\":\"u1\",\"context\":{\"time\":\"2026-11-26T19:30:00+01:00\","
	    "\"location\":{\"lat\":52.52,\"lon\":13.4},\"weather\":\"rainy\","
	    "\"social\":\"friends\",\"device\":\"mobile\",\"platform\":\"ios\"},"
	    "\"candidates\":[{\"entity_id\":\"jazz-night\",\"score\":0.5},"
	    "{\"entity_id\":\"new-gig\",\"score\":1.25,\"attributes\":{"
	    "\"category\":\"music\",\"tags\":[\"jazz\",\"live\"],"
	    "\"start_time\":\"2026-12-01T20:00:00-05:00\",\"lat\":40.7,\"lon\":-74,"
	    "\"indoor\":true,\"group_friendly\":false,\"added\":1764000000000,"
	    "\"devices\":[\"mobile\",\"tv\"]}}],"
	    "\"options\":{\"strategy\":\"Profile\",\"k\":1,\"seed\":7,"
	    "\"epsilon\":0.1,\"explore_weight\":2,\"mmr_lambda\":0.5,"
	    "\"serendipity_every\":4,\"context_weight\":0.5,"
	    "\"diversifier\":\"DPP\",\"mmr_mean\":0.25,\"dpp_theta\":0.75}}",
	    &r);
	CHECK(!strcmp(r.user_id, "u1") && r.user_len == 2);
	CHECK_EQ_INT(r.ctx.time_ms, 1795717800000LL);
	CHECK_EQ_INT(r.ctx.tz_offset_min, 60);
	CHECK(r.ctx.has_location && r.ctx.lat == 52.52 && r.ctx.lon == 13.4);
	CHECK(!strcmp(r.ctx.weather, "rainy") &&
	    !strcmp(r.ctx.social, "friends"));
	CHECK(
	    !strcmp(r.ctx.device, "mobile") && !strcmp(r.ctx.platform, "ios"));
	CHECK_EQ_INT(r.n, 2);
	CHECK(!strcmp(r.cands[0].entity_id, "jazz-night"));
	CHECK(r.cands[0].score == 0.5 && r.cands[0].attrs == NULL);
	const struct pen_item_attrs *a = r.cands[1].attrs;
	REQUIRE(a);
	CHECK(!strcmp(r.cands[1].entity_id, "new-gig") &&
	    r.cands[1].score == 1.25);
	CHECK(!strcmp(a->category, "music") && a->n_tags == 2 &&
	    !strcmp(a->tags[0], "jazz") && !strcmp(a->tags[1], "live"));
	CHECK_EQ_INT(a->start_ms, 1796173200000LL);
	CHECK_EQ_INT(a->start_tz_min, -300);
	CHECK(a->has_location && a->lat == 40.7 && a->lon == -74);
	CHECK_EQ_INT(a->indoor, 1);
	CHECK_EQ_INT(a->group_friendly, 0);
	CHECK_EQ_INT(a->added_ms, 1764000000000LL);
	CHECK(a->n_devices == 2 && !strcmp(a->devices[1], "tv"));
	CHECK(!strcmp(r.strategy, "profile") && r.opt.strategy == r.strategy);
	CHECK_EQ_INT(r.opt.k, 1);
	CHECK_EQ_INT(r.opt.seed, 7);
	CHECK(r.opt.epsilon == 0.1 && r.opt.explore_weight == 2 &&
	    r.opt.mmr_lambda == 0.5);
	CHECK_EQ_INT(r.opt.serendipity_every, 4);
	CHECK(r.opt.context_weight == 0.5f);
	CHECK(r.opt.diversifier && !strcmp(r.opt.diversifier, "dpp"));
	CHECK_EQ_INT(r.opt.given,
	    PEN_OPT_MMR_MEAN | PEN_OPT_DPP_THETA | PEN_OPT_SEED);
	CHECK(r.opt.mmr_mean == 0.25f && r.opt.dpp_theta == 0.75f);
}

/*
 * Candidates of the plain shape ({"entity_id": ASCII, "score": number}),
 * which JSON decoding takes straight from the tokens, and their near
 * misses, which it leaves to the general path: each decodes (or is
 * refused) exactly as its msgpack form, which always takes that path.
 */
#define CP(c) "{\"user_id\":\"u\",\"candidates\":[" c "]}"
static void _plain_candidates(void)
{
	struct rq_request r;
	_good(
	    CP("{\"id\":null,\"score\":0,\"entity_id\":\"b\"},"
	       "{\"score\":2.5,\"entityId\":\"c d\",\"x\":[1,{\"y\":null}]},"
	       "{\"entity_id\":\"e\\\"f\",\"score\":1e2},"
	       "{\"entity_id\":\"g\",\"score\":1,\"attributes\":null},"
	       "{\"entity_id\":17,\"score\":3},"
	       "{\"entity_id\":\"caf\u00e9\",\"score\":-0.0},"
	       "{\"entity_id\":\"h\",\"score\":1,\"attrs\":{\"category\":\"k\"}}"),
	    &r);
	REQUIRE(r.n == 7);
	CHECK(!strcmp(r.cands[0].entity_id, "b") && r.cands[0].score == 0 &&
	    !r.cands[0].attrs);
	CHECK(!strcmp(r.cands[1].entity_id, "c d") && r.cands[1].score == 2.5);
	CHECK(!strcmp(r.cands[2].entity_id, "e\"f") && r.cands[2].score == 100);
	CHECK(!strcmp(r.cands[3].entity_id, "g") && !r.cands[3].attrs);
	CHECK(!strcmp(r.cands[4].entity_id, "17"));
	CHECK(!strcmp(r.cands[5].entity_id, "caf\xc3\xa9") &&
	    r.cands[5].score == 0);
	CHECK(r.cands[6].attrs && !strcmp(r.cands[6].attrs->category, "k"));
	for (size_t i = 0; i < r.n; i++)
		CHECK(!r.cands[i].reserved[0] && !r.cands[i].reserved[3]);
	/* a null id is none; a second id (another of its names, of any
	 * kind) is refused, where the later silently won */
	_bad(CP("{\"entity_id\":null,\"score\":1}"), 400,
	    "candidates[0].entity_id", "missing");
	_bad(CP("{\"entity_id\":\"a\",\"score\":1},"
		"{\"id\":\"a\",\"entityId\":true,\"score\":1}"),
	    400, "candidates[1].entityId", "duplicate");
	_bad(CP("{\"entity_id\":\"a\",\"score\":1},"
		"{\"id\":true,\"score\":1}"),
	    400, "candidates[1].entity_id", "bad_type");
	_bad(CP("{\"entity_id\":\"\",\"score\":1}"), 400,
	    "candidates[0].entity_id", "missing");
	_bad(CP("{\"entity_id\":\"a\\u0007\",\"score\":1}"), 400,
	    "candidates[0].entity_id", "bad_id");
	_bad(CP("{\"entity_id\":\"a\",\"score\":-0.5}"), 400,
	    "candidates[0].score", "bad_number");
	_bad(CP("{\"entity_id\":\"a\",\"score\":null}"), 400,
	    "candidates[0].score", "missing");
	_bad(CP("{\"entity_id\":\"a\",\"score\":1,\"attributes\":7}"), 400,
	    "candidates[0].attributes", "bad_type");
	char big[700];
	snprintf(big, sizeof(big), CP("{\"entity_id\":\"%0257d\",\"score\":1}"),
	    0);
	_bad(big, 400, "candidates[0].entity_id", "too_long");
	snprintf(big, sizeof(big), CP("{\"entity_id\":\"%0256d\",\"score\":1}"),
	    0);
	_good(big, &r);
	CHECK_EQ_INT(strlen(r.cands[0].entity_id), 256);
}
#undef CP

/* Integers above INT64_MAX: a JSON number as the msgpack uint64 of the
 * same value (ids, seed); 2^64 fits neither. */
static void _big_integers(void)
{
	static const char json[] =
	    "{\"user_id\":18446744073709551615,\"candidates\":[{\"entity_id\":"
	    "9223372036854775808,\"score\":1}],\"options\":{\"seed\":"
	    "18446744073709551615}}";
	struct rq_request r, m;
	struct rq_error e = { 0 };
	int rc = rq_decode_json(dj, json, strlen(json), &r, &e);
	CHECK_EQ_INT(rc, 0);
	if (rc)
		_dump_err("json", json, rc, &e);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	msgpack_pack_str_with_body(&pk, "user_id", 7);
	msgpack_pack_uint64(&pk, UINT64_MAX);
	msgpack_pack_str_with_body(&pk, "candidates", 10);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str_with_body(&pk, "entity_id", 9);
	msgpack_pack_uint64(&pk, 9223372036854775808ULL);
	msgpack_pack_str_with_body(&pk, "score", 5);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_str_with_body(&pk, "options", 7);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str_with_body(&pk, "seed", 4);
	msgpack_pack_uint64(&pk, UINT64_MAX);
	rc = rq_decode_mpack(dm, sb.data, sb.size, &m, &e);
	CHECK_EQ_INT(rc, 0);
	msgpack_sbuffer_destroy(&sb);
	if (rc == 0) {
		CHECK(!strcmp(r.user_id, "18446744073709551615"));
		CHECK(!strcmp(r.cands[0].entity_id, "9223372036854775808"));
		CHECK(r.opt.seed == UINT64_MAX);
		CHECK(_req_eq(&r, &m));
	}
	_bad("{\"user_id\":18446744073709551616,\"candidates\":[{\"entity_id\":"
	     "\"e\",\"score\":1}]}",
	    400, "user_id", "bad_type");
}

static void _camel_and_defaults(void)
{
	struct rq_request r;
	/* camelCase, flat location, integer ids, seconds, no options */
	_good(
	    "{\"userId\":42,\"context\":{\"timestamp\":1764181800,\"tzOffset\":-90,"
	    "\"latitude\":1.5,\"lng\":2.5,\"socialContext\":\"alone\"},"
	    "\"candidates\":[{\"entityId\":7,\"score\":0,\"attrs\":{"
	    "\"startTime\":1764181800123,\"groupFriendly\":true,\"outdoor\":true,"
	    "\"addedAt\":\"2026-01-01T00:00:00Z\",\"location\":{\"latitude\":-3,\"longitude\":4}}},"
	    "{\"id\":\"x\",\"score\":3}]}",
	    &r);
	CHECK(!strcmp(r.user_id, "42") && r.user_len == 2);
	CHECK_EQ_INT(r.ctx.time_ms, 1764181800000LL);
	CHECK_EQ_INT(r.ctx.tz_offset_min, -90);
	CHECK(r.ctx.has_location && r.ctx.lat == 1.5 && r.ctx.lon == 2.5);
	CHECK(!strcmp(r.ctx.social, "alone") && !r.ctx.weather);
	CHECK(!strcmp(r.cands[0].entity_id, "7") && r.cands[0].score == 0);
	const struct pen_item_attrs *a = r.cands[0].attrs;
	REQUIRE(a);
	CHECK(!a->category && a->n_tags == 0 && a->n_devices == 0);
	CHECK_EQ_INT(a->start_ms, 1764181800123LL);
	CHECK_EQ_INT(a->start_tz_min, 0);
	CHECK_EQ_INT(a->indoor, 0);
	CHECK_EQ_INT(a->group_friendly, 1);
	CHECK_EQ_INT(a->added_ms, 1767225600000LL);
	CHECK(a->has_location && a->lat == -3 && a->lon == 4);
	CHECK(!strcmp(r.cands[1].entity_id, "x"));
	CHECK(!strcmp(r.strategy, "full") && r.opt.strategy == NULL);
	CHECK(r.opt.k == 0 && r.opt.seed == 0);
	CHECK(r.opt.epsilon < 0 && r.opt.explore_weight < 0 &&
	    r.opt.mmr_lambda < 0 && r.opt.serendipity_every < 0);
	CHECK(r.opt.context_weight == 0.0f);
	CHECK(r.opt.diversifier == NULL && r.opt.given == 0);

	/* camelCase diversity options; 0 is a value, not "unset" */
	_good(
	    "{\"user_id\":\"a\",\"candidates\":[{\"entity_id\":\"e\",\"score\":1}],"
	    "\"options\":{\"mmrMean\":0,\"dppTheta\":1,\"diversifier\":\"mmr\"}}",
	    &r);
	CHECK(r.opt.diversifier && !strcmp(r.opt.diversifier, "mmr"));
	CHECK_EQ_INT(r.opt.given, PEN_OPT_MMR_MEAN | PEN_OPT_DPP_THETA);
	CHECK(r.opt.mmr_mean == 0.0f && r.opt.dpp_theta == 1.0f);

	/* null is absent (and no second value), unknown fields are ignored
	 * (repeated or not) */
	_good(
	    "{\"userId\":null,\"user_id\":\"b\",\"context\":null,\"extra\":[1,{\"x\":2}],\"extra\":0,"
	    "\"candidates\":[{\"entity_id\":\"e\",\"score\":1,\"attributes\":null,\"note\":\"n\"}],"
	    "\"options\":{\"strategy\":null,\"k\":null,\"seed\":\"18446744073709551615\"}}",
	    &r);
	CHECK(!strcmp(r.user_id, "b") && r.cands[0].attrs == NULL);
	CHECK(r.ctx.time_ms == 0 && !r.ctx.has_location);
	CHECK(!strcmp(r.strategy, "full") && r.opt.k == 0);
	CHECK(r.opt.seed == UINT64_MAX);
	_good(
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"e\",\"score\":1e300}],"
	    "\"options\":{\"seed\":9007199254740993,\"k\":2000}}",
	    &r);
	CHECK(r.opt.seed == 9007199254740993ULL && r.opt.k == 2000);
	CHECK(r.opt.given & PEN_OPT_SEED);
	/* a seed of 0 is a seed (the library takes it only with the bit);
	 * a null seed is none */
	_good(
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"e\",\"score\":1}],"
	    "\"options\":{\"seed\":0}}",
	    &r);
	CHECK(r.opt.seed == 0 && r.opt.given == PEN_OPT_SEED);
	_good(
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"e\",\"score\":1}],"
	    "\"options\":{\"seed\":null}}",
	    &r);
	CHECK(r.opt.seed == 0 && r.opt.given == 0);
	/* UTF-8 ids are ids */
	_good(
	    "{\"user_id\":\"\\u00fcser \\ud83d\\ude00\",\"candidates\":[{\"entity_id\":\"caf\\u00e9\",\"score\":1}]}",
	    &r);
	CHECK(!strcmp(r.user_id, "\xc3\xbcser \xf0\x9f\x98\x80"));
}

/* ---- bad requests ------------------------------------------------------ */

#define C1 "\"candidates\":[{\"entity_id\":\"e\",\"score\":1}]"

static void _garbage(void)
{
	_bad("", 400, "", "malformed");
	_bad("{", 400, "", "malformed");
	_bad("{\"user_id\":\"u\"," C1 "} x", 400, "", "malformed");
	_bad(
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"e\",\"score\":NaN}]}",
	    400, "", "malformed");
	_bad(
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"e\",\"score\":1e999}]}",
	    400, "", "bad_number");
	_bad("[]", 400, "", "not_object");
	_bad("\"u\"", 400, "", "not_object");
	_bad("{" C1 "}", 400, "user_id", "missing");
	_bad("{\"user_id\":null," C1 "}", 400, "user_id", "missing");
	/* A field given twice, by one name or two of its names, at any
	 * level: refused naming it (the later silently won); null is
	 * absent and no second value. */
	_bad("{\"user_id\":\"u\",\"user_id\":\"v\"," C1 "}", 400, "user_id",
	    "duplicate");
	_bad("{\"user_id\":\"u\",\"userId\":\"u\"," C1 "}", 400, "userId",
	    "duplicate");
	_bad("{\"user_id\":\"u\"," C1 "," C1 "}", 400, "candidates",
	    "duplicate");
	_bad(
	    "{\"user_id\":\"u\",\"candidates\":[{\"id\":\"a\",\"score\":1,\"entity_id\":\"b\"}]}",
	    400, "candidates[0].entity_id", "duplicate");
	_bad(
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"a\",\"score\":1,\"score\":2}]}",
	    400, "candidates[0].score", "duplicate");
	_bad("{\"user_id\":\"u\"," C1 ",\"options\":{\"k\":3,\"k\":4}}", 400,
	    "options.k", "duplicate");
	_bad("{\"user_id\":\"u\"," C1
	     ",\"context\":{\"location\":{\"lat\":1,\"lat\":2,\"lon\":3}}}",
	    400, "context.location.lat", "duplicate");
	_bad(
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"a\",\"score\":"
	    "1,\"attributes\":{\"category\":\"x\",\"category\":\"y\"}}]}",
	    400, "candidates[0].attributes.category", "duplicate");
	_bad("{\"user_id\":\"\"," C1 "}", 400, "user_id", "missing");
	_bad("{\"user_id\":true," C1 "}", 400, "user_id", "bad_type");
	_bad("{\"user_id\":1.5," C1 "}", 400, "user_id", "bad_type");
	_bad("{\"user_id\":\"a\\u0001b\"," C1 "}", 400, "user_id", "bad_id");
	_bad("{\"user_id\":\"a\\u0000b\"," C1 "}", 400, "user_id", "bad_id");
	char big[600];
	snprintf(big, sizeof(big), "{\"user_id\":\"%0257d\"," C1 "}", 0);
	_bad(big, 400, "user_id", "too_long");

	_bad("{\"user_id\":\"u\"}", 400, "candidates", "missing");
	_bad("{\"user_id\":\"u\",\"candidates\":[]}", 400, "candidates",
	    "missing");
	_bad("{\"user_id\":\"u\",\"candidates\":{}}", 400, "candidates",
	    "bad_type");
	_bad(
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"e\",\"score\":1},3]}",
	    400, "candidates[1]", "bad_type");
	_bad("{\"user_id\":\"u\",\"candidates\":[{\"score\":1}]}", 400,
	    "candidates[0].entity_id", "missing");
	_bad("{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"e\"}]}", 400,
	    "candidates[0].score", "missing");
	_bad(
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"e\",\"score\":-1}]}",
	    400, "candidates[0].score", "bad_number");
	_bad(
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"e\",\"score\":\"1\"}]}",
	    400, "candidates[0].score", "bad_type");
	_bad(
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":[],\"score\":1}]}",
	    400, "candidates[0].entity_id", "bad_type");

	_bad("{\"user_id\":\"u\"," C1 ",\"context\":3}", 400, "context",
	    "bad_type");
	_bad("{\"user_id\":\"u\"," C1
	     ",\"context\":{\"time\":\"2026-13-01T00:00:00Z\"}}",
	    400, "context.time", "bad_time");
	_bad("{\"user_id\":\"u\"," C1 ",\"context\":{\"time\":0}}", 400,
	    "context.time", "bad_time");
	_bad("{\"user_id\":\"u\"," C1 ",\"context\":{\"time\":true}}", 400,
	    "context.time", "bad_type");
	_bad("{\"user_id\":\"u\"," C1 ",\"context\":{\"tz_offset\":2000}}", 400,
	    "context.tz_offset", "bad_number");
	_bad("{\"user_id\":\"u\"," C1 ",\"context\":{\"lat\":1}}", 400,
	    "context.lon", "bad_location");
	_bad("{\"user_id\":\"u\"," C1
	     ",\"context\":{\"location\":{\"lon\":1}}}",
	    400, "context.location.lat", "bad_location");
	_bad("{\"user_id\":\"u\"," C1
	     ",\"context\":{\"location\":{\"lat\":91,\"lon\":1}}}",
	    400, "context.location.lat", "bad_location");
	_bad("{\"user_id\":\"u\"," C1 ",\"context\":{\"location\":[1,2]}}", 400,
	    "context.location", "bad_type");
	_bad(
	    "{\"user_id\":\"u\"," C1
	    ",\"context\":{\"weather\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}}",
	    400, "context.weather", "too_long");
	_bad("{\"user_id\":\"u\"," C1 ",\"context\":{\"device\":5}}", 400,
	    "context.device", "bad_type");

#define CA(attrs)                                                               \
	"{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"e\",\"score\":1}," \
	"{\"entity_id\":\"f\",\"score\":1,\"attributes\":" attrs "}]}"
	_bad(CA("[]"), 400, "candidates[1].attributes", "bad_type");
	_bad(
	    CA("{\"tags\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}"),
	    400, "candidates[1].attributes.tags", "too_many");
	_bad(CA("{\"tags\":[\"a\",\"\"]}"), 400,
	    "candidates[1].attributes.tags[1]", "missing");
	_bad(CA("{\"tags\":[\"a\",\"b\\u0000\"]}"), 400,
	    "candidates[1].attributes.tags[1]", "bad_string");
	_bad(CA("{\"tags\":\"a\"}"), 400, "candidates[1].attributes.tags",
	    "bad_type");
	_bad(CA("{\"category\":7}"), 400, "candidates[1].attributes.category",
	    "bad_type");
	_bad(CA("{\"indoor\":\"yes\"}"), 400, "candidates[1].attributes.indoor",
	    "bad_type");
	_bad(CA("{\"indoor\":true,\"outdoor\":true}"), 400,
	    "candidates[1].attributes.outdoor", "bad_value");
	_bad(CA("{\"start_time\":\"tomorrow\"}"), 400,
	    "candidates[1].attributes.start_time", "bad_time");
	_bad(CA("{\"lon\":3}"), 400, "candidates[1].attributes.lat",
	    "bad_location");
	_bad(CA("{\"devices\":[1]}"), 400,
	    "candidates[1].attributes.devices[0]", "bad_type");

#define CO(opts) "{\"user_id\":\"u\"," C1 ",\"options\":" opts "}"
	_bad(CO("1"), 400, "options", "bad_type");
	_bad(CO("{\"strategy\":\"bogus\"}"), 400, "options.strategy",
	    "unknown_strategy");
	_bad(CO("{\"strategy\":\"\"}"), 400, "options.strategy", "missing");
	_bad(CO("{\"k\":-1}"), 400, "options.k", "bad_number");
	_bad(CO("{\"k\":1.5}"), 400, "options.k", "bad_number");
	_bad(CO("{\"k\":2001}"), 400, "options.k", "bad_number");
	_bad(CO("{\"seed\":\"12a\"}"), 400, "options.seed", "bad_number");
	_bad(CO("{\"seed\":\"18446744073709551616\"}"), 400, "options.seed",
	    "bad_number");
	_bad(CO("{\"seed\":-3}"), 400, "options.seed", "bad_number");
	_bad(CO("{\"epsilon\":2}"), 400, "options.epsilon", "bad_number");
	_bad(CO("{\"explore_weight\":-0.5}"), 400, "options.explore_weight",
	    "bad_number");
	_bad(CO("{\"mmrLambda\":\"x\"}"), 400, "options.mmr_lambda",
	    "bad_type");
	_bad(CO("{\"serendipity_every\":1001}"), 400,
	    "options.serendipity_every", "bad_number");
	_bad(CO("{\"contextWeight\":5.5}"), 400, "options.context_weight",
	    "bad_number");
	_bad(CO("{\"context_weight\":-1}"), 400, "options.context_weight",
	    "bad_number");
	_bad(CO("{\"context_weight\":\"2\"}"), 400, "options.context_weight",
	    "bad_type");
	_bad(CO("{\"diversifier\":\"xqd\"}"), 400, "options.diversifier",
	    "unknown_diversifier");
	_bad(CO("{\"diversifier\":3}"), 400, "options.diversifier", "bad_type");
	_bad(CO("{\"mmr_mean\":1.01}"), 400, "options.mmr_mean", "bad_number");
	_bad(CO("{\"mmrMean\":[0]}"), 400, "options.mmr_mean", "bad_type");
	_bad(CO("{\"dpp_theta\":-0.5}"), 400, "options.dpp_theta",
	    "bad_number");
	_bad(CO("{\"dppTheta\":true}"), 400, "options.dpp_theta", "bad_type");

	/* nesting: 9 levels under an unknown field */
	_bad("{\"user_id\":\"u\"," C1 ",\"x\":[[[[[[[[1]]]]]]]]}", 400, "",
	    "too_deep");
}

static void _caps(void)
{
	struct rq_limits lim = rq_limits_default();
	lim.max_candidates = 3;
	lim.max_bytes = 100;
	struct rq_decoder *d;
	REQUIRE(rq_decoder_new(&d, &lim) == 0);
	_bad_in(d,
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"a\",\"score\":1},"
	    "{\"entity_id\":\"b\",\"score\":1},{\"entity_id\":\"c\",\"score\":1},"
	    "{\"entity_id\":\"d\",\"score\":1}]}",
	    413, "", "too_big");
	lim.max_bytes = 4096;
	rq_decoder_free(&d);
	REQUIRE(rq_decoder_new(&d, &lim) == 0);
	_bad_in(d,
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"a\",\"score\":1},"
	    "{\"entity_id\":\"b\",\"score\":1},{\"entity_id\":\"c\",\"score\":1},"
	    "{\"entity_id\":\"d\",\"score\":1}]}",
	    400, "candidates", "too_many");
	_bad_in(d, CO("{\"k\":4}"), 400, "options.k", "bad_number");
	rq_decoder_free(&d);
	rq_decoder_free(&d); /* NULL is fine */
}

/* msgpack-only inputs: what JSON cannot say. */
static void _mp_bad(const void *buf, size_t len, const char *field,
    const char *reason)
{
	struct rq_error e = { 0 };
	struct rq_request r;
	int rc = rq_decode_mpack(dm, buf, len, &r, &e);
	size_t rl = strlen(reason);
	bool ok = rc == -EINVAL && e.status == 400 && !strcmp(e.field, field) &&
	    !strncmp(e.msg, reason, rl);
	CHECK(ok);
	if (!ok)
		_dump_err("msgpack", reason, rc, &e);
	struct rq_error e2 = { 0 };
	int rc2 = _scanned(buf, len, &r, &e2);
	ok = rc2 == 1 ||
	    (rc2 == rc && e2.status == e.status && !strcmp(e2.field, e.field) &&
		!strcmp(e2.msg, e.msg));
	CHECK(ok);
	if (!ok)
		_dump_err("scanned msgpack", reason, rc2, &e2);
}

static void _key(msgpack_packer *pk, const char *k)
{
	msgpack_pack_str(pk, strlen(k));
	msgpack_pack_str_body(pk, k, strlen(k));
}

static void _mp_only(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct rq_request r;
	struct rq_error e;

	/* NaN and infinite scores, a NUL in an id, invalid UTF-8 in bin */
	const double bad_scores[] = { NAN, INFINITY };
	for (unsigned i = 0; i < 2; i++) {
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_map(&pk, 2);
		_key(&pk, "user_id");
		_key(&pk, "u");
		_key(&pk, "candidates");
		msgpack_pack_array(&pk, 1);
		msgpack_pack_map(&pk, 2);
		_key(&pk, "entity_id");
		msgpack_pack_str(&pk, 3);
		msgpack_pack_str_body(&pk, "a\0b", 3);
		_key(&pk, "score");
		msgpack_pack_double(&pk, bad_scores[i]);
		/* the id is checked first */
		_mp_bad(sb.data, sb.size, "candidates[0].entity_id", "bad_id");
		/* with a good id the score is refused */
		sb.data[sb.size - 17] =
		    'x'; /* the NUL: before "score" and the double */
		_mp_bad(sb.data, sb.size, "candidates[0].score", "bad_number");
		msgpack_sbuffer_destroy(&sb);
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	_key(&pk, "user_id");
	msgpack_pack_bin(&pk, 2);
	msgpack_pack_bin_body(&pk, "\xff\xfe", 2);
	_key(&pk, "candidates");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_bin(&pk, 9); /* bin keys are keys */
	msgpack_pack_bin_body(&pk, "entity_id", 9);
	_key(&pk, "e");
	_key(&pk, "score");
	msgpack_pack_float(&pk, 2.5f);
	_key(&pk, "context");
	msgpack_pack_map(&pk, 1);
	_key(&pk, "time"); /* timestamp extension, 8 bytes: ns | s */
	{
		uint64_t x = (uint64_t)500000000 << 34 | 1764181800ULL;
		char body[8];
		for (int i = 0; i < 8; i++)
			body[i] = (char)(x >> (56 - 8 * i));
		msgpack_pack_ext(&pk, 8, -1);
		msgpack_pack_ext_body(&pk, body, 8);
	}
	_mp_bad(sb.data, sb.size, "user_id", "bad_id");
	/* fix the user id: then it decodes, the ext time included */
	char *p = memchr(sb.data, '\xff', sb.size);
	REQUIRE(p);
	memcpy(p, "ok", 2);
	memset(&e, 0, sizeof(e));
	CHECK_EQ_INT(rq_decode_mpack(dm, sb.data, sb.size, &r, &e), 0);
	CHECK(!strcmp(r.user_id, "ok") && !strcmp(r.cands[0].entity_id, "e"));
	CHECK(r.cands[0].score == 2.5);
	CHECK_EQ_INT(r.ctx.time_ms, 1764181800500LL);
	/* trailing bytes, truncation */
	msgpack_pack_nil(&pk);
	_mp_bad(sb.data, sb.size, "", "malformed");
	_mp_bad(sb.data, sb.size - 5, "", "malformed");
	msgpack_sbuffer_destroy(&sb);

	/* not msgpack, a declared length not backed by bytes, an empty
	 * input, too many keys, too deep */
	_mp_bad("\xc1", 1, "", "malformed");
	_mp_bad("\xdd\xff\xff\xff\xff", 5, "", "too_big");
	_mp_bad("\x92\xc0", 2, "", "malformed");
	_mp_bad("", 0, "", "malformed");
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 65);
	for (int i = 0; i < 65; i++) {
		msgpack_pack_int(&pk, i);
		msgpack_pack_nil(&pk);
	}
	_mp_bad(sb.data, sb.size, "", "too_many: map of 65 pairs");
	msgpack_sbuffer_clear(&sb);
	for (int i = 0; i < 9; i++)
		msgpack_pack_array(&pk, 1);
	msgpack_pack_nil(&pk);
	_mp_bad(sb.data, sb.size, "", "too_deep");
	msgpack_sbuffer_clear(&sb);
	/* Any depth past ours is too deep (400), never msgpack-c's stack
	 * running out (500): it refuses even an empty container at its
	 * 33rd level, a value or an empty array innermost. */
	for (int d = 9; d <= 40; d++)
		for (int empty = 0; empty < 2; empty++) {
			msgpack_pack_map(&pk, 1);
			_key(&pk, "user_id");
			for (int i = 1; i < d; i++)
				msgpack_pack_array(&pk, 1);
			if (empty)
				msgpack_pack_array(&pk, 0);
			else
				msgpack_pack_nil(&pk);
			_mp_bad(sb.data, sb.size, "", "too_deep");
			msgpack_sbuffer_clear(&sb);
		}
	/* a malformed timestamp extension; ints as keys are ignored */
	msgpack_pack_map(&pk, 4);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 2);
	_key(&pk, "user_id");
	_key(&pk, "u");
	_key(&pk, "candidates");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 2);
	_key(&pk, "id");
	_key(&pk, "e");
	_key(&pk, "score");
	msgpack_pack_int(&pk, 1);
	_key(&pk, "context");
	msgpack_pack_map(&pk, 1);
	_key(&pk, "time");
	msgpack_pack_ext(&pk, 5, -1);
	msgpack_pack_ext_body(&pk, "12345", 5);
	_mp_bad(sb.data, sb.size, "context.time", "bad_time");
	msgpack_sbuffer_destroy(&sb);
}

/* ---- responses --------------------------------------------------------- */

static void _responses(void)
{
	struct rq_request r;
	_good(
	    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"a\\\"q\",\"score\":1},"
	    "{\"entity_id\":\"b\\\\s\",\"score\":2},{\"entity_id\":\"c\",\"score\":3}],"
	    "\"options\":{\"k\":2,\"strategy\":\"diverse\"}}",
	    &r);
	struct pen_ranked res[3];
	memset(res, 0, sizeof(res));
	for (unsigned i = 0; i < 3; i++) {
		res[i].index = 2 - i;
		res[i].score = 3.0 - i;
		res[i].affinity = res[i].confidence = res[i].time = 1;
		res[i].distance = res[i].weather = res[i].social = 1;
		res[i].device = res[i].context = res[i].fatigue = 1;
		res[i].novelty = res[i].explore = 1;
	}
	res[0].affinity = 1.5f;
	res[0].collab = 2.5f;
	res[1].moved = 1;
	res[1].flags = PEN_RANK_DIVERSIFIED | PEN_RANK_UNKNOWN_ITEM;
	struct rq_buf b = { 0 };
	CHECK_EQ_INT(rq_encode_json(&b, &r, res, 0xabcdef12345ULL), 0);
	struct json_tok toks[256];
	char scratch[4096];
	struct json_work w;
	json_work_init(&w, toks, 256, scratch, sizeof(scratch));
	CHECK_EQ_INT(json_parse(b.p, b.len, &w, NULL, NULL, 0), 0);
	long rid = json_object_get(toks, 0, "request_id");
	REQUIRE(rid > 0);
	CHECK(toks[rid].len == 16 &&
	    !memcmp(toks[rid].str, "00000abcdef12345", 16));
	long st = json_object_get(toks, 0, "strategy");
	CHECK(
	    st > 0 && toks[st].len == 7 && !memcmp(toks[st].str, "diverse", 7));
	long rs = json_object_get(toks, 0, "results");
	REQUIRE(rs > 0 && toks[rs].kind == JSON_ARRAY);
	CHECK_EQ_INT(toks[rs].count, 2); /* k */
	size_t r0 = (size_t)rs + 1, r1 = toks[r0].end;
	long id0 = json_object_get(toks, r0, "entity_id");
	long id1 = json_object_get(toks, r1, "entity_id");
	CHECK(id0 > 0 && toks[id0].len == 1 && toks[id0].str[0] == 'c');
	CHECK(
	    id1 > 0 && toks[id1].len == 3 && !memcmp(toks[id1].str, "b\\s", 3));
	long fl = json_object_get(toks, r1, "flags");
	CHECK(fl > 0 && toks[fl].count == 2 && toks[fl + 1].len == 11 &&
	    !memcmp(toks[fl + 1].str, "diversified", 11));
	long fa = json_object_get(toks, r0, "factors");
	REQUIRE(fa > 0);
	CHECK_EQ_INT(toks[fa].count, 12);
	long af = json_object_get(toks, (size_t)fa, "affinity");
	CHECK(af > 0 && toks[af].num == 1.5);
	long co = json_object_get(toks, (size_t)fa, "collab");
	CHECK(co > 0 && toks[co].num == 2.5);
	long mv = json_object_get(toks, r1, "moved");
	CHECK(mv > 0 && toks[mv].i == 1);
	long ix = json_object_get(toks, r1, "index");
	CHECK(ix > 0 && toks[ix].i == 1);

	/* msgpack, read back with msgpack-c */
	struct rq_buf m = { 0 };
	CHECK_EQ_INT(rq_encode_mpack(&m, &r, res, 42), 0);
	msgpack_zone z;
	msgpack_zone_init(&z, 2048);
	msgpack_object o;
	size_t off = 0;
	CHECK_EQ_INT(msgpack_unpack(m.p, m.len, &off, &z, &o),
	    MSGPACK_UNPACK_SUCCESS);
	CHECK(off == m.len && o.type == MSGPACK_OBJECT_MAP &&
	    o.via.map.size == 3);
	const msgpack_object *res_arr = &o.via.map.ptr[2].val;
	CHECK(res_arr->type == MSGPACK_OBJECT_ARRAY &&
	    res_arr->via.array.size == 2);
	CHECK(o.via.map.ptr[0].val.via.str.size == 16 &&
	    !memcmp(o.via.map.ptr[0].val.via.str.ptr, "000000000000002a", 16));
	const msgpack_object *e1 = &res_arr->via.array.ptr[1];
	CHECK(e1->type == MSGPACK_OBJECT_MAP && e1->via.map.size == 6);
	CHECK(e1->via.map.ptr[0].val.via.str.size == 3);
	CHECK(e1->via.map.ptr[4].val.via.array.size == 2); /* flags */
	CHECK(e1->via.map.ptr[5].val.via.map.size == 12);  /* factors */
	msgpack_zone_destroy(&z);

	/* an index out of range is refused */
	res[0].index = 3;
	struct rq_buf x = { 0 };
	CHECK_EQ_INT(rq_encode_json(&x, &r, res, 1), -EINVAL);
	CHECK_EQ_INT(rq_encode_mpack(&x, &r, res, 1), -EINVAL);

	/* errors */
	struct rq_error er;
	rq_error_set(&er, 404, "", "not_found: no route %s", "/x\"y");
	b.len = 0;
	CHECK_EQ_INT(rq_error_json(&b, &er), 0);
	CHECK(b.len ==
		strlen(
		    "{\"error\":\"not_found: no route /x\\\"y\",\"field\":null,\"status\":404}") &&
	    !memcmp(b.p,
		"{\"error\":\"not_found: no route /x\\\"y\",\"field\":null,\"status\":404}",
		b.len));
	rq_error_set(&er, 400, "options.k", "bad_number: k");
	m.len = 0;
	CHECK_EQ_INT(rq_error_mpack(&m, &er), 0);
	msgpack_zone_init(&z, 2048);
	off = 0;
	CHECK_EQ_INT(msgpack_unpack(m.p, m.len, &off, &z, &o),
	    MSGPACK_UNPACK_SUCCESS);
	CHECK(o.type == MSGPACK_OBJECT_MAP && o.via.map.size == 3 &&
	    o.via.map.ptr[1].val.via.str.size == 9 &&
	    o.via.map.ptr[2].val.via.u64 == 400);
	msgpack_zone_destroy(&z);
	rq_buf_free(&b);
	rq_buf_free(&m);
	rq_buf_free(&x);
}

/* Scores of every size survive the JSON number writer. */
static void _numbers(void)
{
	static const double v[] = { 0, -0.0, 1, -3, 0.1, 2.5, 1e-7, -1e-7,
		123456.789, 0.000123456789012, 9.99999999999999, 99999.9999999,
		1e14, 123456789012345.0, 1e15, 1e20, 1.7976931348623157e308,
		5e-324, 0.3333333333333333, 1234.5678, 1e-5, 0.00099999999999 };
	size_t n = sizeof(v) / sizeof(v[0]);
	char body[8192];
	size_t len = (size_t)snprintf(body, sizeof(body),
	    "{\"user_id\":\"u\",\"candidates\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len,
		    "%s{\"entity_id\":\"e%zu\",\"score\":1}", i ? "," : "", i);
	snprintf(body + len, sizeof(body) - len, "]}");
	struct rq_request r;
	struct rq_error e;
	REQUIRE(rq_decode_json(dj, body, strlen(body), &r, &e) == 0);
	struct pen_ranked res[32];
	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < n; i++) {
		res[i].index = (unsigned)i;
		res[i].score = v[i];
		res[i].affinity = (float)v[i];
		res[i].explore = NAN;
	}
	struct rq_buf b = { 0 };
	REQUIRE(rq_encode_json(&b, &r, res, 1) == 0);
	static struct json_tok toks[2048];
	static char scratch[1 << 14];
	struct json_work w;
	json_work_init(&w, toks, 2048, scratch, sizeof(scratch));
	int rc = json_parse(b.p, b.len, &w, NULL, NULL, 0);
	CHECK_EQ_INT(rc, 0);
	if (rc)
		fprintf(stderr, "  %.*s\n", (int)b.len, b.p);
	long rs = json_object_get(toks, 0, "results");
	REQUIRE(rc == 0 && rs > 0);
	size_t at = (size_t)rs + 1;
	for (size_t i = 0; i < n; i++, at = toks[at].end) {
		long sc = json_object_get(toks, at, "score");
		long fa = json_object_get(toks, at, "factors");
		REQUIRE(sc > 0 && fa > 0);
		double got = toks[sc].num, want = v[i];
		CHECK(fabs(got - want) <= 1e-11 * fabs(want) ||
		    (fabs(want) < 1e-300 && fabs(got) < 1e-300));
		if (!(fabs(got - want) <= 1e-11 * fabs(want)) &&
		    fabs(want) >= 1e-300)
			fprintf(stderr, "  score %.17g written as %.*s\n", want,
			    (int)toks[sc].raw_len, b.p + toks[sc].offset);
		long af = json_object_get(toks, (size_t)fa, "affinity");
		double f = (double)(float)v[i];
		CHECK(af > 0 &&
		    (isinf(f) ? toks[af].kind == JSON_NULL
			      : fabs(toks[af].num - f) <= 1e-6 * fabs(f) ||
				fabs(f) < 1e-30));
		long ex = json_object_get(toks, (size_t)fa, "explore");
		CHECK(ex > 0 && toks[ex].kind == JSON_NULL);
	}
	rq_buf_free(&b);
}

/* A large request, then small ones: the decoder gives memory back and
 * keeps working (ASan checks the rest). */
static void _reuse(void)
{
	struct rq_limits lim = rq_limits_default();
	lim.max_candidates = 100000;
	lim.max_bytes = 8u << 20;
	struct rq_decoder *d;
	REQUIRE(rq_decoder_new(&d, &lim) == 0);
	size_t cap = 8u << 20, len = 0;
	char *big = malloc(cap);
	REQUIRE(big);
	len +=
	    (size_t)snprintf(big, cap, "{\"user_id\":\"u\",\"candidates\":[");
	for (unsigned i = 0; i < 90000; i++)
		len += (size_t)snprintf(big + len, cap - len,
		    "%s{\"entity_id\":\"e%u\",\"score\":%u,\"attributes\":{\"tags\":[\"t\"]}}",
		    i ? "," : "", i, i % 7);
	len += (size_t)snprintf(big + len, cap - len, "]}");
	struct rq_request r;
	struct rq_error e;
	for (int round = 0; round < 3; round++) {
		CHECK_EQ_INT(rq_decode_json(d, big, len, &r, &e), 0);
		CHECK(r.n == 90000 &&
		    !strcmp(r.cands[89999].entity_id, "e89999"));
		CHECK(!strcmp(r.cands[5].attrs->tags[0], "t"));
		const char *small = "{\"user_id\":\"v\"," C1 "}";
		CHECK_EQ_INT(rq_decode_json(d, small, strlen(small), &r, &e),
		    0);
		CHECK(r.n == 1 && !strcmp(r.user_id, "v"));
	}
	free(big);
	rq_decoder_free(&d);
}

/*
 * Candidate ids are checked for control bytes eight bytes at a time: a
 * control byte or DEL (escaped) at every position of ids of every length
 * around the word size is bad_id, printable ASCII next to them ('~', ' ')
 * and UTF-8 are kept as they are.
 */
static void _plain_id_bytes(void)
{
	static const struct {
		const char *esc; /* as written in JSON */
		char raw;	 /* as decoded; 0: refused */
	} odd[] = { { "\\u007f", 0 }, { "\\u001f", 0 }, { "\\u0001", 0 },
		{ "\\t", 0 }, { "~", '~' }, { " ", ' ' }, { "!", '!' } };
	char json[256], want[64];
	struct rq_request u;
	for (size_t len = 1; len <= 24; len++)
		for (size_t at = 0; at < len; at++)
			for (size_t o = 0; o < sizeof(odd) / sizeof(odd[0]);
			     o++) {
				size_t n = (size_t)snprintf(json, sizeof(json),
				    "{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":\"");
				for (size_t i = 0; i < len; i++) {
					const char *b =
					    i == at ? odd[o].esc : "x";
					n += (size_t)snprintf(json + n,
					    sizeof(json) - n, "%s", b);
					want[i] = i == at ? odd[o].raw : 'x';
				}
				snprintf(json + n, sizeof(json) - n,
				    "\",\"score\":1}]}");
				want[len] = 0;
				struct rq_error e = { 0 };
				struct rq_request r;
				int rc = rq_decode_json(dj, json, strlen(json),
				    &r, &e);
				if (odd[o].raw) {
					CHECK(rc == 0 && r.n == 1 &&
					    !strcmp(r.cands[0].entity_id,
						want));
				} else {
					CHECK(rc == -EINVAL &&
					    !strncmp(e.msg, "bad_id:", 7));
				}
				if (check_failures && o == 0 && at == 0)
					_dump_err("id bytes", json, rc, &e);
			}
	/* UTF-8 is not printable ASCII, and fine in an id */
	_good("{\"user_id\":\"u\",\"candidates\":[{\"entity_id\":"
	      "\"abcdefgh\u00e9ijklmno\",\"score\":1}]}",
	    &u);
	CHECK(u.n == 1 && strlen(u.cands[0].entity_id) == 17);
}

int main(void)
{
	REQUIRE(rq_decoder_new(&dj, NULL) == 0);
	REQUIRE(rq_decoder_new(&dm, NULL) == 0);
	_full();
	_plain_candidates();
	_plain_id_bytes();
	_camel_and_defaults();
	_big_integers();
	_garbage();
	_caps();
	_mp_only();
	_responses();
	_numbers();
	_reuse();
	rq_decoder_free(&dj);
	rq_decoder_free(&dm);
	return check_done("test_rankreq");
}
