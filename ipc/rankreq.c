/*
 * rankreq: rank requests from JSON and msgpack, responses back (contract
 * in rankreq.h).
 *
 * Both dialects are read by one decoder over a small value view (struct
 * _val): a JSON token or a msgpack object seen the same way, so the two
 * cannot accept different requests. Strings are copied NUL-terminated
 * into an arena of blocks (pen_* structs take C strings; no pointer into
 * the arena moves while a request is decoded).
 */
#include "ipc/rankreq.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "engine/clock.h"
#include "engine/event.h"
#include "engine/rank.h"
#include "ipc/evfield.h"
#include "ipc/json.h"
#include "ipc/mpack.h"

/* Buffers larger than this are given back before the next request. */
#define _KEEP_BYTES (4u << 20)
#define _BLOCK_MIN 4096
#define _ZONE_CHUNK 4096

struct _blk {
	struct _blk *next;
	size_t cap, len;
	max_align_t data[];
};

struct rq_decoder {
	struct rq_limits lim;
	struct json_tok *toks;
	size_t toks_cap;
	char *scratch;
	size_t scratch_cap;
	struct _blk *arena; /* newest first */
	struct pen_candidate *cands;
	size_t cands_cap;
	struct pen_item_attrs *attrs;
	size_t attrs_cap;
	msgpack_zone zone;
	bool zone_ok;
	size_t zone_used; /* input bytes of the last msgpack request */
};

struct rq_limits rq_limits_default(void)
{
	struct rq_limits l = { .max_candidates = 2000,
		.max_bytes = 1u << 20,
		.max_id_len = 256,
		.max_str_len = 64 };
	return l;
}

/* ---- errors ------------------------------------------------------------ */

static void _vset(struct rq_error *e, unsigned status, const char *field,
    const char *fmt, va_list ap)
{
	e->status = status;
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

struct rq_error *rq_error_set(struct rq_error *e, unsigned status,
    const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_vset(e, status, field, fmt, ap);
	va_end(ap);
	return e;
}

/* Fills err; returns the errno that goes with the status. */
static int __attribute__((format(printf, 4, 5))) _fail(struct rq_error *e,
    unsigned status, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_vset(e, status, field, fmt, ap);
	va_end(ap);
	return status == 413 ? -E2BIG : status >= 500 ? -ENOMEM : -EINVAL;
}

/* Up to 40 bytes of client text, printable ASCII only, for messages. */
static const char *_quote(const char *s, size_t len, char *buf, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 4 < cap && i < 40; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[n++] =
		    ch >= 0x20 && ch < 0x7f && ch != '\'' ? (char)ch : '?';
	}
	if (len > 40 && n + 4 < cap) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = 0;
	return buf;
}

/* ---- memory ------------------------------------------------------------ */

static void _arena_reset(struct rq_decoder *d)
{
	struct _blk *keep = NULL;
	for (struct _blk *b = d->arena, *next; b; b = next) {
		next = b->next;
		if (!keep && b->cap <= _KEEP_BYTES) {
			keep = b;
			continue;
		}
		free(b);
	}
	d->arena = keep;
	if (keep) {
		keep->next = NULL;
		keep->len = 0;
	}
}

/* n bytes aligned for any type, or NULL. */
static void *_arena_alloc(struct rq_decoder *d, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	struct _blk *b = d->arena;
	if (!b || b->cap - b->len < n) {
		size_t cap = b ? 2 * b->cap : _BLOCK_MIN;
		if (cap < n)
			cap = n;
		struct _blk *nb = malloc(sizeof(*nb) + cap);
		if (!nb)
			return NULL;
		nb->cap = cap;
		nb->len = 0;
		nb->next = b;
		d->arena = b = nb;
	}
	void *p = (char *)b->data + b->len;
	b->len += n;
	return p;
}

/* Grows *p to hold n elements of size sz (exactly; callers pass totals). */
static int _reserve(void **p, size_t *cap, size_t n, size_t sz)
{
	if (*cap >= n)
		return 0;
	void *q = realloc(*p, n * sz);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* Before a request: give back what a large one left behind. */
static void _begin(struct rq_decoder *d)
{
	_arena_reset(d);
	if (d->toks_cap * sizeof(*d->toks) > _KEEP_BYTES) {
		free(d->toks);
		d->toks = NULL;
		d->toks_cap = 0;
	}
	if (d->scratch_cap > _KEEP_BYTES) {
		free(d->scratch);
		d->scratch = NULL;
		d->scratch_cap = 0;
	}
	if (d->cands_cap * (sizeof(*d->cands) + sizeof(*d->attrs)) >
	    _KEEP_BYTES) {
		free(d->cands);
		free(d->attrs);
		d->cands = NULL;
		d->attrs = NULL;
		d->cands_cap = d->attrs_cap = 0;
	}
	if (d->zone_ok && d->zone_used > _KEEP_BYTES / 64) {
		/* msgpack-c keeps one chunk on clear; start afresh after a
		 * large object so its chunks are returned. */
		msgpack_zone_destroy(&d->zone);
		d->zone_ok = false;
	}
}

int rq_decoder_new(struct rq_decoder **out, const struct rq_limits *lim)
{
	struct rq_decoder *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->lim = lim ? *lim : rq_limits_default();
	if (!d->lim.max_candidates)
		d->lim.max_candidates = 1;
	*out = d;
	return 0;
}

void rq_decoder_free(struct rq_decoder **pd)
{
	struct rq_decoder *d = pd ? *pd : NULL;
	if (!d)
		return;
	for (struct _blk *b = d->arena, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(d->toks);
	free(d->scratch);
	free(d->cands);
	free(d->attrs);
	if (d->zone_ok)
		msgpack_zone_destroy(&d->zone);
	free(d);
	*pd = NULL;
}

/* ---- one view of JSON tokens and msgpack objects ----------------------- */

enum _kind {
	_V_ABSENT = 0,
	_V_NULL,
	_V_BOOL,
	_V_NUM,
	_V_STR,
	_V_ARR,
	_V_MAP,
	_V_EXT,
};

struct _val {
	uint8_t kind;
	bool b;
	bool is_int; /* an integer: i (or u when big) is exact */
	bool big;    /* a positive integer above INT64_MAX, in u */
	int8_t ext_type;
	int64_t i;
	uint64_t u;
	double d;
	const char *s; /* string bytes, ext body */
	size_t len;
	uint32_t count;		 /* array elements, map members */
	size_t tok;		 /* JSON: the token */
	const msgpack_object *o; /* msgpack: the object */
};

struct _dc {
	struct rq_decoder *d;
	bool mp;
	const struct json_tok *toks;
	struct rq_error *err;
};

static const char *_kind_name(const struct _val *v)
{
	static const char *const n[] = { "nothing", "null", "a boolean",
		"a number", "a string", "an array", "an object",
		"an extension" };
	return n[v->kind];
}

static void _jload(const struct json_tok *toks, size_t i, struct _val *v)
{
	const struct json_tok *t = &toks[i];
	memset(v, 0, sizeof(*v));
	v->tok = i;
	switch (t->kind) {
	case JSON_OBJECT:
		v->kind = _V_MAP;
		v->count = t->count;
		break;
	case JSON_ARRAY:
		v->kind = _V_ARR;
		v->count = t->count;
		break;
	case JSON_STRING:
		v->kind = _V_STR;
		v->s = t->str;
		v->len = t->len;
		break;
	case JSON_NUMBER:
		v->kind = _V_NUM;
		v->d = t->num;
		v->is_int = t->is_int;
		v->i = t->i;
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		v->kind = _V_BOOL;
		v->b = t->kind == JSON_TRUE;
		break;
	default: v->kind = _V_NULL; break;
	}
}

static void _mload(const msgpack_object *o, struct _val *v)
{
	memset(v, 0, sizeof(*v));
	v->o = o;
	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN:
		v->kind = _V_BOOL;
		v->b = o->via.boolean;
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		v->kind = _V_NUM;
		v->is_int = true;
		v->u = o->via.u64;
		v->d = (double)o->via.u64;
		if (o->via.u64 <= INT64_MAX)
			v->i = (int64_t)o->via.u64;
		else
			v->big = true;
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v->kind = _V_NUM;
		v->is_int = true;
		v->i = o->via.i64;
		v->d = (double)o->via.i64;
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		v->kind = _V_NUM;
		v->d = o->via.f64;
		break;
	case MSGPACK_OBJECT_STR:
		v->kind = _V_STR;
		v->s = o->via.str.ptr;
		v->len = o->via.str.size;
		break;
	case MSGPACK_OBJECT_BIN:
		v->kind = _V_STR;
		v->s = o->via.bin.ptr;
		v->len = o->via.bin.size;
		break;
	case MSGPACK_OBJECT_ARRAY:
		v->kind = _V_ARR;
		v->count = o->via.array.size;
		break;
	case MSGPACK_OBJECT_MAP:
		v->kind = _V_MAP;
		v->count = o->via.map.size;
		break;
	case MSGPACK_OBJECT_EXT:
		v->kind = _V_EXT;
		v->ext_type = o->via.ext.type;
		v->s = o->via.ext.ptr;
		v->len = o->via.ext.size;
		break;
	default: v->kind = _V_NULL; break;
	}
}

struct _it {
	size_t pos; /* JSON: token of the next member or element */
	uint32_t i, n;
	const msgpack_object *o;
};

static void _it_start(const struct _val *v, struct _it *it)
{
	it->pos = v->tok + 1;
	it->i = 0;
	it->n = v->count;
	it->o = v->o;
}

static bool _it_member(const struct _dc *c, struct _it *it, struct _val *k,
    struct _val *v)
{
	if (it->i >= it->n)
		return false;
	if (c->mp) {
		const msgpack_object_kv *kv = &it->o->via.map.ptr[it->i];
		_mload(&kv->key, k);
		_mload(&kv->val, v);
	} else {
		_jload(c->toks, it->pos, k);
		_jload(c->toks, it->pos + 1, v);
		it->pos = c->toks[it->pos + 1].end;
	}
	it->i++;
	return true;
}

static bool _it_elem(const struct _dc *c, struct _it *it, struct _val *v)
{
	if (it->i >= it->n)
		return false;
	if (c->mp) {
		_mload(&it->o->via.array.ptr[it->i], v);
	} else {
		_jload(c->toks, it->pos, v);
		it->pos = c->toks[it->pos].end;
	}
	it->i++;
	return true;
}

/* ---- fields ------------------------------------------------------------ */

struct _name {
	const char *name;
	int id;
};

static int _lookup(const struct _name *t, const char *s, size_t len)
{
	for (; t->name; t++)
		if (strlen(t->name) == len && !memcmp(t->name, s, len))
			return t->id;
	return -1;
}

/*
 * Collects the members of map v that names knows into got[] (the later
 * of two wins; null is absent). Keys that are not strings are ignored.
 */
static void _collect(const struct _dc *c, const struct _val *v,
    const struct _name *names, struct _val *got, unsigned n)
{
	struct _it it;
	struct _val k, x;
	memset(got, 0, n * sizeof(*got));
	_it_start(v, &it);
	while (_it_member(c, &it, &k, &x)) {
		if (k.kind != _V_STR)
			continue;
		int id = _lookup(names, k.s, k.len);
		if (id >= 0)
			got[id] = x.kind == _V_NULL ? (struct _val){ 0 } : x;
	}
}

/* The field's path: prefix "." name, or prefix "[i]". */
static const char *_at(char *buf, size_t cap, const char *prefix,
    const char *name)
{
	snprintf(buf, cap, "%s%s%s", prefix, *prefix ? "." : "", name);
	return buf;
}

static bool _utf8_ok(const unsigned char *s, size_t len, bool ids)
{
	for (size_t i = 0; i < len;) {
		unsigned char ch = s[i];
		if (ch < 0x80) {
			if (ch == 0 || (ids && (ch < 0x20 || ch == 0x7f)))
				return false;
			i++;
			continue;
		}
		size_t n = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc2 ? 2 : 0;
		if (!n || ch > 0xf4 || i + n > len)
			return false;
		uint32_t cp = ch & (0x3f >> (n - 1));
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		if (ids && cp >= 0x80 && cp < 0xa0) /* C1 controls */
			return false;
		i += n;
	}
	return true;
}

enum _strkind { _S_ID, _S_NAME };

/*
 * A string field (or, for ids, an integer: its decimal text), 1..max
 * bytes, valid UTF-8 without NUL (ids: without control bytes either),
 * copied NUL-terminated into the arena.
 */
static int _str(struct _dc *c, const struct _val *v, const char *field,
    size_t max, enum _strkind kind, const char **out, size_t *outlen)
{
	char num[24];
	const char *s = v->s;
	size_t len = v->len;
	if (v->kind == _V_NUM && v->is_int && kind == _S_ID) {
		len = (size_t)(v->big
			? snprintf(num, sizeof(num), "%" PRIu64, v->u)
			: snprintf(num, sizeof(num), "%" PRId64, v->i));
		s = num;
	} else if (v->kind != _V_STR) {
		return _fail(c->err, 400, field,
		    "bad_type: %s must be a string%s, not %s", field,
		    kind == _S_ID ? " or an integer" : "", _kind_name(v));
	}
	if (len == 0)
		return _fail(c->err, 400, field, "missing: %s is empty", field);
	if (len > max)
		return _fail(c->err, 400, field,
		    "too_long: %s has %zu bytes, at most %zu", field, len, max);
	if (!_utf8_ok((const unsigned char *)s, len, kind == _S_ID))
		return _fail(c->err, 400, field,
		    kind == _S_ID
			? "bad_id: %s must be UTF-8 without control bytes"
			: "bad_string: %s must be UTF-8 without NUL bytes",
		    field);
	char *p = _arena_alloc(c->d, len + 1);
	if (!p)
		return _fail(c->err, 500, field, "no_memory: %s", field);
	memcpy(p, s, len);
	p[len] = 0;
	*out = p;
	if (outlen)
		*outlen = len;
	return 0;
}

static int _num(struct _dc *c, const struct _val *v, const char *field,
    double lo, double hi, double *out)
{
	if (v->kind != _V_NUM)
		return _fail(c->err, 400, field,
		    "bad_type: %s must be a number, not %s", field,
		    _kind_name(v));
	if (!isfinite(v->d))
		return _fail(c->err, 400, field, "bad_number: %s is not finite",
		    field);
	if (v->d < lo || v->d > hi)
		return _fail(c->err, 400, field,
		    "bad_number: %s is %.17g, outside %g..%g", field, v->d, lo,
		    hi);
	*out = v->d;
	return 0;
}

/* An integer 0..hi (a number with no fraction). */
static int _uint(struct _dc *c, const struct _val *v, const char *field,
    uint64_t hi, uint64_t *out)
{
	double d = 0;
	int rc = _num(c, v, field, 0, (double)hi, &d);
	if (rc)
		return rc;
	if (v->is_int && (v->big || v->i >= 0)) {
		*out = v->big ? v->u : (uint64_t)v->i;
	} else if (floor(d) == d && d < 18446744073709551616.0) {
		*out = (uint64_t)d;
	} else {
		return _fail(c->err, 400, field,
		    "bad_number: %s must be an integer", field);
	}
	if (*out > hi)
		return _fail(c->err, 400, field,
		    "bad_number: %s is above %" PRIu64, field, hi);
	return 0;
}

static int _bool(struct _dc *c, const struct _val *v, const char *field,
    bool *out)
{
	if (v->kind != _V_BOOL)
		return _fail(c->err, 400, field,
		    "bad_type: %s must be true or false, not %s", field,
		    _kind_name(v));
	*out = v->b;
	return 0;
}

static uint64_t _be(const char *p, unsigned n)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < n; i++)
		x = x << 8 | (unsigned char)p[i];
	return x;
}

/*
 * A time: RFC 3339 text (its offset in *tz, *has_tz set), a number (the
 * event rule: ms, or seconds below 1e11), or the msgpack timestamp
 * extension. Within the event time window.
 */
static int _time(struct _dc *c, const struct _val *v, const char *field,
    int64_t *ms, int *tz, bool *has_tz)
{
	*has_tz = false;
	if (v->kind == _V_STR) {
		const char *why = "bad date-time";
		int off = 0;
		if (clk_parse_rfc3339(v->s, v->len, ms, &off, &why))
			return _fail(c->err, 400, field,
			    "bad_time: %s: %s (RFC 3339 expected)", field, why);
		*tz = off;
		*has_tz = true;
	} else if (v->kind == _V_NUM) {
		if (!isfinite(v->d))
			return _fail(c->err, 400, field,
			    "bad_number: %s is not finite", field);
		*ms = v->big ? INT64_MAX : evf_time_ms(v->d, v->is_int, v->i);
	} else if (v->kind == _V_EXT && v->ext_type == -1) {
		int64_t sec;
		uint64_t ns = 0;
		if (v->len == 4) {
			sec = (int64_t)_be(v->s, 4);
		} else if (v->len == 8) {
			uint64_t x = _be(v->s, 8);
			ns = x >> 34;
			sec = (int64_t)(x & 0x3ffffffffULL);
		} else if (v->len == 12) {
			ns = _be(v->s, 4);
			sec = (int64_t)_be(v->s + 4, 8);
		} else {
			ns = UINT64_MAX;
			sec = 0;
		}
		if (ns > 999999999u)
			return _fail(c->err, 400, field,
			    "bad_time: %s: malformed msgpack timestamp", field);
		*ms = sec > 9200000000000000LL ? INT64_MAX
		    : sec < -9200000000000000LL
		    ? INT64_MIN
		    : sec * 1000 + (int64_t)((ns + 500000) / 1000000);
	} else {
		return _fail(c->err, 400, field,
		    "bad_type: %s must be an RFC 3339 string or a number, not %s",
		    field, _kind_name(v));
	}
	struct evt_limits lim = evt_limits_default();
	if (*ms < lim.min_time_ms || *ms >= lim.max_time_ms)
		return _fail(c->err, 400, field,
		    "bad_time: %s is outside 2000-01-01 .. 2100-01-01", field);
	return 0;
}

/* lat/lon from flat fields and/or a location map; both or neither. */
enum { _L_LAT, _L_LON, _L_N };
static const struct _name _loc_names[] = {
	{ "lat", _L_LAT },
	{ "latitude", _L_LAT },
	{ "lon", _L_LON },
	{ "lng", _L_LON },
	{ "longitude", _L_LON },
	{ NULL, 0 },
};

static int _location(struct _dc *c, const char *prefix, const struct _val *lat,
    const struct _val *lon, const struct _val *loc, int *has, double *la,
    double *lo)
{
	char f[96];
	struct _val got[_L_N];
	const struct _val *a = lat, *b = lon;
	if (loc->kind) {
		if (loc->kind != _V_MAP)
			return _fail(c->err, 400,
			    _at(f, sizeof(f), prefix, "location"),
			    "bad_type: %s must be an object, not %s", f,
			    _kind_name(loc));
		_collect(c, loc, _loc_names, got, _L_N);
		if (got[_L_LAT].kind || got[_L_LON].kind) {
			a = &got[_L_LAT];
			b = &got[_L_LON];
		}
	}
	*has = 0;
	if (!a->kind && !b->kind)
		return 0;
	if (!a->kind || !b->kind)
		return _fail(c->err, 400,
		    _at(f, sizeof(f), prefix, a->kind ? "lon" : "lat"),
		    "bad_location: %s is missing (lat and lon go together)", f);
	static const char *const nm[2] = { "lat", "lon" };
	const double lim[2] = { 90, 180 };
	const struct _val *vals[2] = { a, b };
	double *dst[2] = { la, lo };
	for (unsigned i = 0; i < 2; i++) {
		int rc = _num(c, vals[i], _at(f, sizeof(f), prefix, nm[i]),
		    -HUGE_VAL, HUGE_VAL, dst[i]);
		if (rc)
			return rc;
		if (fabs(*dst[i]) > lim[i])
			return _fail(c->err, 400, f,
			    "bad_location: %s is %.17g, outside -%g..%g", f,
			    *dst[i], lim[i], lim[i]);
	}
	*has = 1;
	return 0;
}

/* ---- the request ------------------------------------------------------- */

enum {
	_C_TIME,
	_C_TZ,
	_C_LOC,
	_C_LAT,
	_C_LON,
	_C_WEATHER,
	_C_SOCIAL,
	_C_DEVICE,
	_C_PLATFORM,
	_C_N
};
static const struct _name _ctx_names[] = {
	{ "time", _C_TIME },
	{ "timestamp", _C_TIME },
	{ "tz_offset", _C_TZ },
	{ "tzOffset", _C_TZ },
	{ "tz_offset_min", _C_TZ },
	{ "location", _C_LOC },
	{ "lat", _C_LAT },
	{ "latitude", _C_LAT },
	{ "lon", _C_LON },
	{ "lng", _C_LON },
	{ "longitude", _C_LON },
	{ "weather", _C_WEATHER },
	{ "social", _C_SOCIAL },
	{ "socialContext", _C_SOCIAL },
	{ "social_context", _C_SOCIAL },
	{ "device", _C_DEVICE },
	{ "platform", _C_PLATFORM },
	{ NULL, 0 },
};

static int _context(struct _dc *c, const struct _val *v,
    struct pen_context *ctx)
{
	struct _val g[_C_N];
	char f[96];
	int rc;
	if (v->kind != _V_MAP)
		return _fail(c->err, 400, "context",
		    "bad_type: context must be an object, not %s",
		    _kind_name(v));
	_collect(c, v, _ctx_names, g, _C_N);
	bool has_tz = false;
	if (g[_C_TIME].kind &&
	    (rc = _time(c, &g[_C_TIME], "context.time", &ctx->time_ms,
		 &ctx->tz_offset_min, &has_tz)))
		return rc;
	if (g[_C_TZ].kind) {
		double tz;
		if ((rc = _num(c, &g[_C_TZ], "context.tz_offset",
			 -CLK_MAX_TZ_MIN, CLK_MAX_TZ_MIN, &tz)))
			return rc;
		ctx->tz_offset_min = (int)lround(tz);
	} else if (has_tz &&
	    (ctx->tz_offset_min > CLK_MAX_TZ_MIN ||
		ctx->tz_offset_min < -CLK_MAX_TZ_MIN)) {
		return _fail(c->err, 400, "context.time",
		    "bad_time: context.time has an offset beyond 18 hours");
	}
	if ((rc = _location(c, "context", &g[_C_LAT], &g[_C_LON], &g[_C_LOC],
		 &ctx->has_location, &ctx->lat, &ctx->lon)))
		return rc;
	static const struct {
		int id;
		const char *name;
		size_t off;
	} strs[] = {
		{ _C_WEATHER, "weather",
		    offsetof(struct pen_context, weather) },
		{ _C_SOCIAL, "social", offsetof(struct pen_context, social) },
		{ _C_DEVICE, "device", offsetof(struct pen_context, device) },
		{ _C_PLATFORM, "platform",
		    offsetof(struct pen_context, platform) },
	};
	for (unsigned i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (!g[strs[i].id].kind)
			continue;
		const char **slot = (const char **)((char *)ctx + strs[i].off);
		if ((rc = _str(c, &g[strs[i].id],
			 _at(f, sizeof(f), "context", strs[i].name),
			 c->d->lim.max_str_len, _S_NAME, slot, NULL)))
			return rc;
	}
	return 0;
}

/* An array of names (tags, devices) into the arena. */
static int _names(struct _dc *c, const struct _val *v, const char *field,
    unsigned max, size_t maxlen, const char *const **out, unsigned *n)
{
	char f[112];
	if (v->kind != _V_ARR)
		return _fail(c->err, 400, field,
		    "bad_type: %s must be an array of strings, not %s", field,
		    _kind_name(v));
	if (v->count > max)
		return _fail(c->err, 400, field,
		    "too_many: %s has %u entries, at most %u", field, v->count,
		    max);
	const char **arr =
	    v->count ? _arena_alloc(c->d, v->count * sizeof(*arr)) : NULL;
	if (v->count && !arr)
		return _fail(c->err, 500, field, "no_memory: %s", field);
	struct _it it;
	struct _val x;
	_it_start(v, &it);
	for (unsigned i = 0; _it_elem(c, &it, &x); i++) {
		snprintf(f, sizeof(f), "%s[%u]", field, i);
		int rc = _str(c, &x, f, maxlen, _S_NAME, &arr[i], NULL);
		if (rc)
			return rc;
	}
	*out = arr;
	*n = v->count;
	return 0;
}

enum {
	_A_CAT,
	_A_TAGS,
	_A_START,
	_A_LAT,
	_A_LON,
	_A_LOC,
	_A_INDOOR,
	_A_OUTDOOR,
	_A_GROUP,
	_A_ADDED,
	_A_DEVICES,
	_A_N
};
static const struct _name _attr_names[] = {
	{ "category", _A_CAT },
	{ "tags", _A_TAGS },
	{ "start_time", _A_START },
	{ "startTime", _A_START },
	{ "start", _A_START },
	{ "lat", _A_LAT },
	{ "latitude", _A_LAT },
	{ "lon", _A_LON },
	{ "lng", _A_LON },
	{ "longitude", _A_LON },
	{ "location", _A_LOC },
	{ "indoor", _A_INDOOR },
	{ "outdoor", _A_OUTDOOR },
	{ "group_friendly", _A_GROUP },
	{ "groupFriendly", _A_GROUP },
	{ "added", _A_ADDED },
	{ "added_at", _A_ADDED },
	{ "addedAt", _A_ADDED },
	{ "devices", _A_DEVICES },
	{ NULL, 0 },
};

static int _attrs(struct _dc *c, const struct _val *v, const char *prefix,
    struct pen_item_attrs *a)
{
	struct _val g[_A_N];
	char f[112];
	int rc, tz = 0;
	bool has_tz, b = false;
	memset(a, 0, sizeof(*a));
	a->indoor = a->group_friendly = -1;
	if (v->kind != _V_MAP)
		return _fail(c->err, 400, prefix,
		    "bad_type: %s must be an object, not %s", prefix,
		    _kind_name(v));
	_collect(c, v, _attr_names, g, _A_N);
	if (g[_A_CAT].kind &&
	    (rc = _str(c, &g[_A_CAT], _at(f, sizeof(f), prefix, "category"),
		 PEN_NAME_MAX, _S_NAME, &a->category, NULL)))
		return rc;
	if (g[_A_TAGS].kind &&
	    (rc = _names(c, &g[_A_TAGS], _at(f, sizeof(f), prefix, "tags"),
		 RQ_MAX_TAGS, PEN_NAME_MAX, &a->tags, &a->n_tags)))
		return rc;
	if (g[_A_START].kind) {
		if ((rc = _time(c, &g[_A_START],
			 _at(f, sizeof(f), prefix, "start_time"), &a->start_ms,
			 &tz, &has_tz)))
			return rc;
		if (has_tz && (tz > CLK_MAX_TZ_MIN || tz < -CLK_MAX_TZ_MIN))
			return _fail(c->err, 400, f,
			    "bad_time: %s has an offset beyond 18 hours", f);
		a->start_tz_min = has_tz ? tz : 0;
	}
	if ((rc = _location(c, prefix, &g[_A_LAT], &g[_A_LON], &g[_A_LOC],
		 &a->has_location, &a->lat, &a->lon)))
		return rc;
	if (g[_A_INDOOR].kind) {
		if ((rc = _bool(c, &g[_A_INDOOR],
			 _at(f, sizeof(f), prefix, "indoor"), &b)))
			return rc;
		a->indoor = b;
	}
	if (g[_A_OUTDOOR].kind) {
		if ((rc = _bool(c, &g[_A_OUTDOOR],
			 _at(f, sizeof(f), prefix, "outdoor"), &b)))
			return rc;
		if (a->indoor >= 0 && a->indoor == b)
			return _fail(c->err, 400, f,
			    "bad_value: %s contradicts indoor", f);
		a->indoor = !b;
	}
	if (g[_A_GROUP].kind) {
		if ((rc = _bool(c, &g[_A_GROUP],
			 _at(f, sizeof(f), prefix, "group_friendly"), &b)))
			return rc;
		a->group_friendly = b;
	}
	if (g[_A_ADDED].kind &&
	    (rc = _time(c, &g[_A_ADDED], _at(f, sizeof(f), prefix, "added"),
		 &a->added_ms, &tz, &has_tz)))
		return rc;
	if (g[_A_DEVICES].kind &&
	    (rc = _names(c, &g[_A_DEVICES],
		 _at(f, sizeof(f), prefix, "devices"), RQ_MAX_DEVICES,
		 c->d->lim.max_str_len, &a->devices, &a->n_devices)))
		return rc;
	return 0;
}

enum { _K_ID, _K_SCORE, _K_ATTRS, _K_N };
static const struct _name _cand_names[] = {
	{ "entity_id", _K_ID },
	{ "entityId", _K_ID },
	{ "id", _K_ID },
	{ "score", _K_SCORE },
	{ "attributes", _K_ATTRS },
	{ "attrs", _K_ATTRS },
	{ NULL, 0 },
};

static int _candidates(struct _dc *c, const struct _val *v,
    struct rq_request *out)
{
	struct rq_decoder *d = c->d;
	char f[64], g2[96];
	if (v->kind != _V_ARR)
		return _fail(c->err, 400, "candidates",
		    "bad_type: candidates must be an array, not %s",
		    _kind_name(v));
	if (v->count == 0)
		return _fail(c->err, 400, "candidates",
		    "missing: candidates is empty");
	if (v->count > d->lim.max_candidates)
		return _fail(c->err, 400, "candidates",
		    "too_many: %u candidates, at most %u (max_candidates)",
		    v->count, d->lim.max_candidates);
	if (_reserve((void **)&d->cands, &d->cands_cap, v->count,
		sizeof(*d->cands)) ||
	    _reserve((void **)&d->attrs, &d->attrs_cap, v->count,
		sizeof(*d->attrs)))
		return _fail(c->err, 500, "candidates",
		    "no_memory: candidates");
	struct _it it;
	struct _val x, g[_K_N];
	_it_start(v, &it);
	for (unsigned i = 0; _it_elem(c, &it, &x); i++) {
		struct pen_candidate *cd = &d->cands[i];
		int rc;
		memset(cd, 0, sizeof(*cd));
		snprintf(f, sizeof(f), "candidates[%u]", i);
		if (x.kind != _V_MAP)
			return _fail(c->err, 400, f,
			    "bad_type: %s must be an object, not %s", f,
			    _kind_name(&x));
		_collect(c, &x, _cand_names, g, _K_N);
		if (!g[_K_ID].kind)
			return _fail(c->err, 400,
			    _at(g2, sizeof(g2), f, "entity_id"),
			    "missing: %s is required", g2);
		if ((rc = _str(c, &g[_K_ID],
			 _at(g2, sizeof(g2), f, "entity_id"), d->lim.max_id_len,
			 _S_ID, &cd->entity_id, NULL)))
			return rc;
		_at(g2, sizeof(g2), f, "score");
		if (!g[_K_SCORE].kind)
			return _fail(c->err, 400, g2, "missing: %s is required",
			    g2);
		if ((rc = _num(c, &g[_K_SCORE], g2, 0, HUGE_VAL, &cd->score)))
			return rc;
		if (g[_K_ATTRS].kind) {
			if ((rc = _attrs(c, &g[_K_ATTRS],
				 _at(g2, sizeof(g2), f, "attributes"),
				 &d->attrs[i])))
				return rc;
			cd->attrs = &d->attrs[i];
		}
	}
	out->cands = d->cands;
	out->n = v->count;
	return 0;
}

enum { _O_STRATEGY, _O_K, _O_SEED, _O_EPS, _O_EXPW, _O_MMR, _O_SER, _O_N };
static const struct _name _opt_names[] = {
	{ "strategy", _O_STRATEGY },
	{ "k", _O_K },
	{ "seed", _O_SEED },
	{ "epsilon", _O_EPS },
	{ "explore_weight", _O_EXPW },
	{ "exploreWeight", _O_EXPW },
	{ "mmr_lambda", _O_MMR },
	{ "mmrLambda", _O_MMR },
	{ "serendipity_every", _O_SER },
	{ "serendipityEvery", _O_SER },
	{ NULL, 0 },
};

static int _seed(struct _dc *c, const struct _val *v, uint64_t *out)
{
	if (v->kind == _V_STR) {
		uint64_t x = 0;
		if (v->len == 0 || v->len > 20)
			goto bad;
		for (size_t i = 0; i < v->len; i++) {
			unsigned dg = (unsigned)(v->s[i] - '0');
			if (dg > 9 || x > (UINT64_MAX - dg) / 10)
				goto bad;
			x = x * 10 + dg;
		}
		*out = x;
		return 0;
	bad:
		return _fail(c->err, 400, "options.seed",
		    "bad_number: options.seed must be decimal digits of an integer 0..2^64-1");
	}
	return _uint(c, v, "options.seed", UINT64_MAX, out);
}

static int _options(struct _dc *c, const struct _val *v,
    struct pen_rank_options *o, const char **strategy)
{
	struct _val g[_O_N];
	const char *s;
	size_t len;
	uint64_t u;
	int rc;
	if (v->kind != _V_MAP)
		return _fail(c->err, 400, "options",
		    "bad_type: options must be an object, not %s",
		    _kind_name(v));
	_collect(c, v, _opt_names, g, _O_N);
	if (g[_O_STRATEGY].kind) {
		if ((rc = _str(c, &g[_O_STRATEGY], "options.strategy",
			 c->d->lim.max_str_len, _S_NAME, &s, &len)))
			return rc;
		int st = rank_strategy_parse(s, len);
		if (st < 0) {
			char q[48];
			return _fail(c->err, 400, "options.strategy",
			    "unknown_strategy: '%s' (base profile context explore diverse full)",
			    _quote(s, len, q, sizeof(q)));
		}
		o->strategy = *strategy = rank_strategy_name((unsigned)st);
	}
	if (g[_O_K].kind) {
		if ((rc = _uint(c, &g[_O_K], "options.k",
			 c->d->lim.max_candidates, &u)))
			return rc;
		o->k = (unsigned)u;
	}
	if (g[_O_SEED].kind && (rc = _seed(c, &g[_O_SEED], &o->seed)))
		return rc;
	if (g[_O_EPS].kind &&
	    (rc = _num(c, &g[_O_EPS], "options.epsilon", 0, 1, &o->epsilon)))
		return rc;
	if (g[_O_EXPW].kind &&
	    (rc = _num(c, &g[_O_EXPW], "options.explore_weight", 0, 5,
		 &o->explore_weight)))
		return rc;
	if (g[_O_MMR].kind &&
	    (rc = _num(c, &g[_O_MMR], "options.mmr_lambda", 0, 1,
		 &o->mmr_lambda)))
		return rc;
	if (g[_O_SER].kind) {
		if ((rc = _uint(c, &g[_O_SER], "options.serendipity_every",
			 1000, &u)))
			return rc;
		o->serendipity_every = (int)u;
	}
	return 0;
}

enum { _T_USER, _T_CONTEXT, _T_CANDS, _T_OPTIONS, _T_N };
static const struct _name _top_names[] = {
	{ "user_id", _T_USER },
	{ "userId", _T_USER },
	{ "context", _T_CONTEXT },
	{ "candidates", _T_CANDS },
	{ "options", _T_OPTIONS },
	{ NULL, 0 },
};

static int _request(struct _dc *c, const struct _val *root,
    struct rq_request *out)
{
	struct _val g[_T_N];
	int rc;
	memset(out, 0, sizeof(*out));
	out->opt.epsilon = out->opt.explore_weight = out->opt.mmr_lambda = -1;
	out->opt.serendipity_every = -1;
	out->strategy = rank_strategy_name(RANK_FULL);
	if (root->kind != _V_MAP)
		return _fail(c->err, 400, "",
		    "not_object: the request must be an object, not %s",
		    _kind_name(root));
	_collect(c, root, _top_names, g, _T_N);
	if (!g[_T_USER].kind)
		return _fail(c->err, 400, "user_id",
		    "missing: user_id is required");
	if ((rc = _str(c, &g[_T_USER], "user_id", c->d->lim.max_id_len, _S_ID,
		 &out->user_id, &out->user_len)))
		return rc;
	if (g[_T_CONTEXT].kind && (rc = _context(c, &g[_T_CONTEXT], &out->ctx)))
		return rc;
	if (!g[_T_CANDS].kind)
		return _fail(c->err, 400, "candidates",
		    "missing: candidates is required");
	if ((rc = _candidates(c, &g[_T_CANDS], out)))
		return rc;
	if (g[_T_OPTIONS].kind &&
	    (rc = _options(c, &g[_T_OPTIONS], &out->opt, &out->strategy)))
		return rc;
	return 0;
}

int rq_decode_json(struct rq_decoder *d, const char *buf, size_t len,
    struct rq_request *out, struct rq_error *err)
{
	char msg[160];
	_begin(d);
	if (len > d->lim.max_bytes)
		return _fail(err, 413, "",
		    "too_big: the request has %zu bytes, at most %zu (max_request_bytes)",
		    len, d->lim.max_bytes);
	if (len == 0)
		return _fail(err, 400, "", "malformed: empty body");
	/* A token takes at least 2 bytes of text, but for the last. */
	size_t ntoks = len / 2 + 2;
	if (_reserve((void **)&d->toks, &d->toks_cap, ntoks,
		sizeof(*d->toks)) ||
	    _reserve((void **)&d->scratch, &d->scratch_cap, len, 1))
		return _fail(err, 500, "", "no_memory: request of %zu bytes",
		    len);
	struct json_work w;
	json_work_init(&w, d->toks, d->toks_cap, d->scratch, d->scratch_cap);
	w.max_depth = RQ_MAX_DEPTH;
	w.max_string_len = len;
	int rc = json_parse(buf, len, &w, NULL, msg, sizeof(msg));
	if (rc == -ELOOP)
		return _fail(err, 400, "", "too_deep: %s", msg);
	if (rc == -ERANGE)
		return _fail(err, 400, "", "bad_number: %s", msg);
	if (rc == -E2BIG)
		return _fail(err, 400, "", "too_big: %s", msg);
	if (rc)
		return _fail(err, 400, "", "malformed: %s", msg);
	struct _dc c = { .d = d, .toks = d->toks, .err = err };
	struct _val root;
	_jload(d->toks, 0, &root);
	return _request(&c, &root, out);
}

int rq_decode_mpack(struct rq_decoder *d, const void *buf, size_t len,
    struct rq_request *out, struct rq_error *err)
{
	char msg[160] = "";
	_begin(d);
	if (len > d->lim.max_bytes)
		return _fail(err, 413, "",
		    "too_big: the request has %zu bytes, at most %zu (max_request_bytes)",
		    len, d->lim.max_bytes);
	if (len == 0)
		return _fail(err, 400, "", "malformed: empty request");
	/* Every declared count must be backed by bytes (the pre-scan), so
	 * arrays may be as long as the input allows; the decoder below
	 * gives the precise error for too many candidates or tags. */
	struct mp_limits lim = mp_limits_default();
	lim.max_object_bytes = d->lim.max_bytes;
	lim.max_buffered = d->lim.max_bytes;
	lim.max_depth = RQ_MAX_DEPTH;
	lim.max_events = len;
	lim.max_keys = RQ_MAX_KEYS;
	lim = mp_limits_clamp(&lim);
	struct mp_scan sc;
	enum evt_reason why = EVT_R_MALFORMED;
	mp_scan_reset(&sc);
	int r = mp_scan_object(&sc, &lim, buf, len, &why, msg, sizeof(msg));
	if (r == MP_SCAN_MORE)
		return _fail(err, 400, "",
		    "malformed: truncated msgpack (at least %zu bytes declared, %zu given)",
		    sc.need, len);
	if (r == MP_SCAN_ERROR)
		return _fail(err, 400, "", "%s: %s",
		    why == EVT_R_TOO_DEEP      ? "too_deep"
			: why == EVT_R_TOO_BIG ? "too_big"
					       : "malformed",
		    msg);
	if (sc.pos != len)
		return _fail(err, 400, "",
		    "malformed: %zu bytes after the request map", len - sc.pos);
	if (!d->zone_ok) {
		d->zone_ok = msgpack_zone_init(&d->zone, _ZONE_CHUNK);
		if (!d->zone_ok)
			return _fail(err, 500, "", "no_memory: msgpack zone");
	}
	msgpack_zone_clear(&d->zone);
	d->zone_used = len;
	msgpack_object obj;
	size_t off = 0;
	msgpack_unpack_return u =
	    msgpack_unpack(buf, len, &off, &d->zone, &obj);
	if (u == MSGPACK_UNPACK_NOMEM_ERROR)
		return _fail(err, 500, "", "no_memory: msgpack unpack");
	if (u != MSGPACK_UNPACK_SUCCESS || off != len)
		return _fail(err, 400, "",
		    "malformed: msgpack-c refused it (%d)", (int)u);
	struct _dc c = { .d = d, .mp = true, .err = err };
	struct _val root;
	_mload(&obj, &root);
	return _request(&c, &root, out);
}

/* ---- responses --------------------------------------------------------- */

void rq_buf_free(struct rq_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static bool _room(struct rq_buf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->cap - b->len >= n)
		return true;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap - b->len < n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void _put(struct rq_buf *b, const char *s, size_t n)
{
	if (_room(b, n)) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

static void _puts(struct rq_buf *b, const char *s)
{
	_put(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
_putf(struct rq_buf *b, const char *fmt, ...)
{
	va_list ap;
	if (!_room(b, 64))
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		if (!_room(b, (size_t)n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

static void _json_str(struct rq_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	_put(b, "\"", 1);
	for (const char *run = s;; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		_put(b, run, (size_t)(s - run));
		if (!ch)
			break;
		char esc[6] = { '\\', (char)ch };
		if (ch < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			_put(b, esc, 6);
		} else {
			_put(b, esc, 2);
		}
		run = s + 1;
	}
	_put(b, "\"", 1);
}

static void _json_num(struct rq_buf *b, const char *key, double v,
    const char *fmt)
{
	_puts(b, key);
	if (isfinite(v))
		_putf(b, fmt, v);
	else
		_puts(b, "null");
}

static const char *const _flag_names[] = { "explored", "serendipity",
	"diversified", "unknown_item" };

/* clang-format off */
#define _FACTORS(X) X(affinity) X(confidence) X(time) X(distance) X(weather) \
	X(social) X(device) X(context) X(fatigue) X(novelty) X(explore)
/* clang-format on */
#define _COUNT1(n) +1
enum { _N_FACTORS = 0 _FACTORS(_COUNT1) };

static size_t _shown(const struct rq_request *rq)
{
	return rq->opt.k && rq->opt.k < rq->n ? rq->opt.k : rq->n;
}

int rq_encode_json(struct rq_buf *b, const struct rq_request *rq,
    const struct pen_ranked *res, uint64_t request_id)
{
	size_t m = _shown(rq);
	for (size_t i = 0; i < m; i++)
		if (res[i].index >= rq->n)
			return -EINVAL;
	_putf(b,
	    "{\"request_id\":\"%016" PRIx64 "\",\"strategy\":", request_id);
	_json_str(b, rq->strategy);
	_puts(b, ",\"results\":[");
	for (size_t i = 0; i < m; i++) {
		const struct pen_ranked *r = &res[i];
		_puts(b, i ? ",{\"entity_id\":" : "{\"entity_id\":");
		_json_str(b, rq->cands[r->index].entity_id);
		_putf(b, ",\"index\":%u", r->index);
		_json_num(b, ",\"score\":", r->score, "%.10g");
		_putf(b, ",\"moved\":%d,\"flags\":[", r->moved);
		for (unsigned f = 0, k = 0; f < 4; f++)
			if (r->flags & (1u << f)) {
				_puts(b, k++ ? ",\"" : "\"");
				_puts(b, _flag_names[f]);
				_puts(b, "\"");
			}
		_puts(b, "],\"factors\":{");
#define _JF(n) _json_num(b, "\"" #n "\":", r->n, "%.7g"), _puts(b, ",");
		_FACTORS(_JF)
#undef _JF
		b->len -= !b->oom; /* the last comma */
		_puts(b, "}}");
	}
	_puts(b, "]}");
	return b->oom ? -ENOMEM : 0;
}

int rq_error_json(struct rq_buf *b, const struct rq_error *e)
{
	_puts(b, "{\"error\":");
	_json_str(b, e->msg);
	_puts(b, ",\"field\":");
	if (e->field[0])
		_json_str(b, e->field);
	else
		_puts(b, "null");
	_putf(b, ",\"status\":%u}", e->status);
	return b->oom ? -ENOMEM : 0;
}

static int _mp_write(void *data, const char *buf, size_t len)
{
	struct rq_buf *b = data;
	_put(b, buf, len);
	return b->oom ? -1 : 0;
}

static void _mp_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

int rq_encode_mpack(struct rq_buf *b, const struct rq_request *rq,
    const struct pen_ranked *res, uint64_t request_id)
{
	size_t m = _shown(rq);
	char hex[24];
	for (size_t i = 0; i < m; i++)
		if (res[i].index >= rq->n)
			return -EINVAL;
	msgpack_packer pk;
	msgpack_packer_init(&pk, b, _mp_write);
	snprintf(hex, sizeof(hex), "%016" PRIx64, request_id);
	msgpack_pack_map(&pk, 3);
	_mp_str(&pk, "request_id");
	_mp_str(&pk, hex);
	_mp_str(&pk, "strategy");
	_mp_str(&pk, rq->strategy);
	_mp_str(&pk, "results");
	msgpack_pack_array(&pk, m);
	for (size_t i = 0; i < m; i++) {
		const struct pen_ranked *r = &res[i];
		unsigned nf = 0;
		for (unsigned f = 0; f < 4; f++)
			nf += (r->flags >> f) & 1;
		msgpack_pack_map(&pk, 6);
		_mp_str(&pk, "entity_id");
		_mp_str(&pk, rq->cands[r->index].entity_id);
		_mp_str(&pk, "index");
		msgpack_pack_unsigned_int(&pk, r->index);
		_mp_str(&pk, "score");
		msgpack_pack_double(&pk, r->score);
		_mp_str(&pk, "moved");
		msgpack_pack_int(&pk, r->moved);
		_mp_str(&pk, "flags");
		msgpack_pack_array(&pk, nf);
		for (unsigned f = 0; f < 4; f++)
			if (r->flags & (1u << f))
				_mp_str(&pk, _flag_names[f]);
		_mp_str(&pk, "factors");
		msgpack_pack_map(&pk, _N_FACTORS);
#define _MF(n) _mp_str(&pk, #n), msgpack_pack_float(&pk, r->n);
		_FACTORS(_MF)
#undef _MF
	}
	return b->oom ? -ENOMEM : 0;
}

int rq_error_mpack(struct rq_buf *b, const struct rq_error *e)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, b, _mp_write);
	msgpack_pack_map(&pk, 3);
	_mp_str(&pk, "error");
	_mp_str(&pk, e->msg);
	_mp_str(&pk, "field");
	if (e->field[0])
		_mp_str(&pk, e->field);
	else
		msgpack_pack_nil(&pk);
	_mp_str(&pk, "status");
	msgpack_pack_unsigned_int(&pk, e->status);
	return b->oom ? -ENOMEM : 0;
}
