/*
 * Fuzz target: arbitrary bytes through both rank request decoders
 * (rq_decode_json and rq_decode_mpack) with small caps, so every cap path
 * is reached. Must never crash; a refusal must carry a 4xx status and a
 * "reason: detail" message; an accepted request must keep every promise of
 * ipc/rankreq.h, and its responses (JSON and msgpack, ranked in reverse)
 * must read back. Built with libFuzzer (-Dfuzz=true) or with
 * tests/fuzz_replay_main.c.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "ipc/json.h"
#include "ipc/mpack.h"
#include "ipc/rankreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CANDS 32

static void _die(const char *why)
{
	fprintf(stderr, "fuzz_rankreq: %s\n", why);
	abort();
}

static void _check_error(int rc, const struct rq_error *e)
{
	if (rc != -EINVAL && rc != -E2BIG)
		_die("a refusal is -EINVAL or -E2BIG");
	if ((rc == -E2BIG) != (e->status == 413) ||
	    (e->status != 400 && e->status != 413))
		_die("status does not match the errno");
	if (!strchr(e->msg, ':') ||
	    memchr(e->field, 0, sizeof(e->field)) == NULL)
		_die("message without a reason");
}

static void _check_str(const char *s, size_t max)
{
	if (!s || !s[0] || strlen(s) > max)
		_die("a string out of its caps");
}

static void _check_request(const struct rq_request *r)
{
	_check_str(r->user_id, 256);
	if (strlen(r->user_id) != r->user_len)
		_die("user_len");
	if (r->n < 1 || r->n > FUZZ_CANDS || !r->strategy)
		_die("candidate count or strategy");
	if (r->opt.k > FUZZ_CANDS)
		_die("k");
	if (r->ctx.has_location &&
	    (fabs(r->ctx.lat) > 90 || fabs(r->ctx.lon) > 180))
		_die("context location");
	for (size_t i = 0; i < r->n; i++) {
		const struct pen_candidate *c = &r->cands[i];
		_check_str(c->entity_id, 256);
		if (!isfinite(c->score) || c->score < 0)
			_die("score");
		const struct pen_item_attrs *a = c->attrs;
		if (!a)
			continue;
		if (a->n_tags > RQ_MAX_TAGS || a->n_devices > RQ_MAX_DEVICES)
			_die("tag or device count");
		for (unsigned t = 0; t < a->n_tags; t++)
			_check_str(a->tags[t], PEN_NAME_MAX);
		for (unsigned t = 0; t < a->n_devices; t++)
			_check_str(a->devices[t], 64);
		if (a->category)
			_check_str(a->category, PEN_NAME_MAX);
		if (a->indoor < -1 || a->indoor > 1 || a->group_friendly < -1 ||
		    a->group_friendly > 1)
			_die("tristate");
	}
}

static void _check_responses(const struct rq_request *r)
{
	struct pen_ranked res[FUZZ_CANDS];
	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < r->n; i++) {
		res[i].index = (unsigned)(r->n - 1 - i);
		res[i].score = (double)i;
	}
	struct rq_buf b = { 0 };
	if (rq_encode_json(&b, r, res, 1))
		_die("encode json");
	static struct json_tok toks[64 * FUZZ_CANDS];
	struct json_work w;
	char *scratch = malloc(b.len), msg[160];
	json_work_init(&w, toks, 64 * FUZZ_CANDS, scratch, b.len);
	if (json_parse(b.p, b.len, &w, NULL, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n%.*s\n", msg, (int)b.len, b.p);
		_die("the JSON response does not parse");
	}
	free(scratch);
	b.len = 0;
	if (rq_encode_mpack(&b, r, res, 1))
		_die("encode msgpack");
	msgpack_zone z;
	msgpack_zone_init(&z, 2048);
	msgpack_object o;
	size_t off = 0;
	if (msgpack_unpack(b.p, b.len, &off, &z, &o) !=
		MSGPACK_UNPACK_SUCCESS ||
	    off != b.len)
		_die("the msgpack response does not unpack");
	msgpack_zone_destroy(&z);
	rq_buf_free(&b);
}

/*
 * When the msgpack listener's scan (its caps for these limits) takes the
 * input as one object, rq_decode_mpack_scanned must answer as
 * rq_decode_mpack did (rc, and the request's size and user, or the error).
 */
static void _check_scanned(struct rq_decoder *d, const struct rq_limits *rl,
    const uint8_t *data, size_t size, int rc, const struct rq_request *r,
    const struct rq_error *e)
{
	struct mp_limits lim = mp_limits_default();
	lim.max_object_bytes = lim.max_buffered = lim.max_events =
	    rl->max_bytes;
	lim.max_depth = RQ_MAX_DEPTH;
	lim.max_keys = RQ_MAX_KEYS;
	lim = mp_limits_clamp(&lim);
	struct mp_scan sc;
	enum evt_reason why;
	mp_scan_reset(&sc);
	if (mp_scan_object(&sc, &lim, data, size, &why, NULL, 0) !=
		MP_SCAN_DONE ||
	    sc.pos != size)
		return;
	struct rq_error e0 = *e, e2;
	size_t n = rc ? 0 : r->n;
	char user[300] = "";
	if (!rc)
		snprintf(user, sizeof(user), "%s", r->user_id);
	struct rq_request r2;
	int rc2 = rq_decode_mpack_scanned(d, data, size, &r2, &e2);
	if (rc2 != rc ||
	    (rc &&
		(e2.status != e0.status || strcmp(e2.field, e0.field) ||
		    strcmp(e2.msg, e0.msg))) ||
	    (!rc && (r2.n != n || strcmp(r2.user_id, user))))
		_die("a scanned msgpack request decodes differently");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rq_decoder *d;
	struct rq_limits lim = rq_limits_default();
	lim.max_candidates = FUZZ_CANDS;
	lim.max_bytes = 4096;
	if (!d && rq_decoder_new(&d, &lim))
		return 0;
	struct rq_request r;
	struct rq_error e;
	int rc = rq_decode_json(d, (const char *)data, size, &r, &e);
	if (rc == 0) {
		_check_request(&r);
		_check_responses(&r);
	} else {
		_check_error(rc, &e);
	}
	rc = rq_decode_mpack(d, data, size, &r, &e);
	if (rc == 0) {
		_check_request(&r);
		_check_responses(&r);
	} else {
		_check_error(rc, &e);
	}
	_check_scanned(d, &lim, data, size, rc, &r, &e);
	return 0;
}
