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
	const char *src; /* JSON: the text the tokens point into */
	struct rq_error *err;
	struct {
		const char *name; /* NULL: an index only */
		long idx;	  /* >= 0: "[idx]" after the name */
	} path[RQ_MAX_DEPTH + 2];
	unsigned depth;
};

static const char *_kind_name(const struct _val *v)
{
	static const char *const n[] = { "nothing", "null", "a boolean",
		"a number", "a string", "an array", "an object",
		"an extension" };
	return n[v->kind];
}

/*
 * A JSON integer above INT64_MAX (up to UINT64_MAX) into v->u, as a
 * msgpack one arrives: the tokenizer keeps only int64 exact, and the two
 * dialects must take the same requests (an id 18446744073709551615).
 */
static void _jbig(const char *src, const struct json_tok *t, struct _val *v)
{
	const char *s = src ? src + t->offset : NULL;
	size_t n = t->raw_len;
	uint64_t u = 0;
	if (!s || n == 0 || n > 20)
		return;
	for (size_t k = 0; k < n; k++) {
		unsigned d = (unsigned)(s[k] - '0');
		if (d > 9 || u > (UINT64_MAX - d) / 10)
			return;
		u = u * 10 + d;
	}
	v->is_int = v->big = true;
	v->u = u;
}

static void _jload(const char *src, const struct json_tok *toks, size_t i,
    struct _val *v)
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
		if (!t->is_int && t->raw_len >= 19) /* shorter: not above */
			_jbig(src, t, v);
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
		_jload(c->src, c->toks, it->pos, k);
		_jload(c->src, c->toks, it->pos + 1, v);
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
		_jload(c->src, c->toks, it->pos, v);
		it->pos = c->toks[it->pos].end;
	}
	it->i++;
	return true;
}

/* ---- fields ------------------------------------------------------------ */

struct _name {
	const char *name;
	size_t len;
	int id;
};
#define _N(s, id)                                                              \
	{                                                                      \
		s, sizeof(s) - 1, id                                           \
	}

static int _lookup(const struct _name *t, const char *s, size_t len)
{
	for (; t->name; t++)
		if (t->len == len && !memcmp(t->name, s, len))
			return t->id;
	return -1;
}

/* Where the decoder is: a stack of names and indices, printed only when a
 * request is refused ("candidates[3].attributes.tags[1]"). */
static void _push(struct _dc *c, const char *name, long idx)
{
	c->path[c->depth].name = name;
	c->path[c->depth].idx = idx;
	c->depth++;
}

static void _pop(struct _dc *c)
{
	c->depth--;
}

static const char *_path(const struct _dc *c, const char *leaf, char *buf,
    size_t cap)
{
	size_t n = 0;
	buf[0] = 0;
	for (unsigned i = 0; i <= c->depth && n < cap; i++) {
		const char *name = i < c->depth ? c->path[i].name : leaf;
		long idx = i < c->depth ? c->path[i].idx : -1;
		if (name)
			n += (size_t)snprintf(buf + n, cap - n, "%s%s",
			    n ? "." : "", name);
		if (idx >= 0 && n < cap)
			n += (size_t)snprintf(buf + n, cap - n, "[%ld]", idx);
	}
	return buf;
}

/*
 * Refuses the request at the field leaf (NULL: where the stack points):
 * status 400, the field's path, and "reason: PATH detail".
 */
static int __attribute__((format(printf, 4, 5)))
_bad(struct _dc *c, const char *leaf, const char *reason, const char *fmt, ...)
{
	struct rq_error *e = c->err;
	char detail[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	_path(c, leaf, e->field, sizeof(e->field));
	e->status = 400;
	int n = snprintf(e->msg, sizeof(e->msg), "%s: %s %s", reason, e->field,
	    detail);
	if (n >= (int)sizeof(e->msg)) /* cut: keep the end visible */
		memcpy(e->msg + sizeof(e->msg) - 4, "...", 4);
	return -EINVAL;
}

/* One member's value into got[id]: null is absent (it neither counts
 * nor undoes a value), and a second value of one field is refused. */
static int _got(struct _dc *c, struct _val *got, int id, const struct _val *x,
    const char *key, size_t klen)
{
	if (x->kind == _V_NULL)
		return 0;
	if (got[id].kind != _V_ABSENT) {
		/* key is one of the table's names: printable, short */
		char leaf[40];
		snprintf(leaf, sizeof(leaf), "%.*s",
		    (int)(klen < 39 ? klen : 39), key);
		return _bad(c, leaf, "duplicate",
		    "is given twice (by this name or another of the field's): which one is meant?");
	}
	got[id] = *x;
	return 0;
}

/*
 * Collects the members of map v that names knows into got[] (null is
 * absent). A field given twice, by one name or two of its names, refuses
 * the request (the later silently won). Keys that are not strings are
 * ignored, as unknown ones are.
 */
static int _collect(struct _dc *c, const struct _val *v,
    const struct _name *names, struct _val *got, unsigned n)
{
	int rc = 0;
	for (unsigned i = 0; i < n; i++)
		got[i].kind = _V_ABSENT;
	if (c->mp) {
		struct _it it;
		struct _val k, x;
		_it_start(v, &it);
		while (!rc && _it_member(c, &it, &k, &x)) {
			if (k.kind != _V_STR)
				continue;
			int id = _lookup(names, k.s, k.len);
			if (id >= 0)
				rc = _got(c, got, id, &x, k.s, k.len);
		}
	} else {
		/* A JSON key is a string token: looked up where it lies, and
		 * only the values of known keys are loaded (a request is
		 * mostly candidates of two or three members each). */
		size_t pos = v->tok + 1;
		for (uint32_t i = 0; !rc && i < v->count; i++) {
			const struct json_tok *kt = &c->toks[pos];
			int id = _lookup(names, kt->str, kt->len);
			if (id >= 0) {
				struct _val x;
				_jload(c->src, c->toks, pos + 1, &x);
				rc = _got(c, got, id, &x, kt->str, kt->len);
			}
			pos = c->toks[pos + 1].end;
		}
	}
	return rc;
}

static int _oom(struct _dc *c)
{
	return _fail(c->err, 500, "", "no_memory: decoding the request");
}

/* UTF-8 without NUL bytes (a name; ids follow evt_text_ok's rule). */
static bool _name_ok(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char ch = s[i];
		if (ch < 0x80) {
			if (ch == 0)
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
		i += n;
	}
	return true;
}

/* evt_text_ok's rule, with the usual short printable ASCII id (every
 * candidate has one) checked here without the call. */
static bool _id_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch >= 0x7f)
			return evt_text_ok(s, len);
	}
	return true;
}

enum _strkind { _S_ID, _S_NAME };

/*
 * A string field (or, for ids, an integer: its decimal text), 1..max
 * bytes, valid UTF-8 without NUL (ids: without control bytes either),
 * copied NUL-terminated into the arena.
 */
static int _str(struct _dc *c, const struct _val *v, const char *leaf,
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
		return _bad(c, leaf, "bad_type", "must be a string%s, not %s",
		    kind == _S_ID ? " or an integer" : "", _kind_name(v));
	}
	if (len == 0)
		return _bad(c, leaf, "missing", "is empty");
	if (len > max)
		return _bad(c, leaf, "too_long", "has %zu bytes, at most %zu",
		    len, max);
	if (kind == _S_ID ? !_id_ok(s, len)
			  : !_name_ok((const unsigned char *)s, len))
		return kind == _S_ID
		    ? _bad(c, leaf, "bad_id",
			  "must be UTF-8 without control bytes")
		    : _bad(c, leaf, "bad_string",
			  "must be UTF-8 without NUL bytes");
	char *p = _arena_alloc(c->d, len + 1);
	if (!p)
		return _oom(c);
	memcpy(p, s, len);
	p[len] = 0;
	*out = p;
	if (outlen)
		*outlen = len;
	return 0;
}

static int _num(struct _dc *c, const struct _val *v, const char *leaf,
    double lo, double hi, double *out)
{
	if (v->kind != _V_NUM)
		return _bad(c, leaf, "bad_type", "must be a number, not %s",
		    _kind_name(v));
	if (!isfinite(v->d))
		return _bad(c, leaf, "bad_number", "is not finite");
	if (v->d < lo || v->d > hi)
		return _bad(c, leaf, "bad_number", "is %.17g, outside %g..%g",
		    v->d, lo, hi);
	*out = v->d;
	return 0;
}

/* An integer 0..hi (a number with no fraction). */
static int _uint(struct _dc *c, const struct _val *v, const char *leaf,
    uint64_t hi, uint64_t *out)
{
	double d = 0;
	int rc = _num(c, v, leaf, 0, (double)hi, &d);
	if (rc)
		return rc;
	if (v->is_int && (v->big || v->i >= 0))
		*out = v->big ? v->u : (uint64_t)v->i;
	else if (floor(d) == d && d < 18446744073709551616.0)
		*out = (uint64_t)d;
	else
		return _bad(c, leaf, "bad_number", "must be an integer");
	if (*out > hi)
		return _bad(c, leaf, "bad_number", "is above %" PRIu64, hi);
	return 0;
}

static int _bool(struct _dc *c, const struct _val *v, const char *leaf,
    bool *out)
{
	if (v->kind != _V_BOOL)
		return _bad(c, leaf, "bad_type",
		    "must be true or false, not %s", _kind_name(v));
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
 * A time: RFC 3339 text (its offset in *tz, *has_tz set; within 18 h),
 * a number (the event rule: ms, or seconds below 1e11), or the msgpack
 * timestamp extension. Within the event time window.
 */
static int _time(struct _dc *c, const struct _val *v, const char *leaf,
    int64_t *ms, int *tz, bool *has_tz)
{
	*has_tz = false;
	if (v->kind == _V_STR) {
		const char *why = "bad date-time";
		int off = 0;
		if (clk_parse_rfc3339(v->s, v->len, ms, &off, &why))
			return _bad(c, leaf, "bad_time", "is not RFC 3339: %s",
			    why);
		if (off > CLK_MAX_TZ_MIN || off < -CLK_MAX_TZ_MIN)
			return _bad(c, leaf, "bad_time",
			    "has an offset beyond 18 hours");
		*tz = off;
		*has_tz = true;
	} else if (v->kind == _V_NUM) {
		if (!isfinite(v->d))
			return _bad(c, leaf, "bad_number", "is not finite");
		*ms = v->big ? INT64_MAX : evf_time_ms(v->d, v->is_int, v->i);
	} else if (v->kind == _V_EXT && v->ext_type == -1) {
		int64_t sec = 0;
		uint64_t ns = UINT64_MAX;
		if (v->len == 4) {
			sec = (int64_t)_be(v->s, 4);
			ns = 0;
		} else if (v->len == 8) {
			uint64_t x = _be(v->s, 8);
			ns = x >> 34;
			sec = (int64_t)(x & 0x3ffffffffULL);
		} else if (v->len == 12) {
			ns = _be(v->s, 4);
			sec = (int64_t)_be(v->s + 4, 8);
		}
		if (ns > 999999999u)
			return _bad(c, leaf, "bad_time",
			    "is a malformed msgpack timestamp");
		*ms = sec > 9200000000000000LL ? INT64_MAX
		    : sec < -9200000000000000LL
		    ? INT64_MIN
		    : sec * 1000 + (int64_t)((ns + 500000) / 1000000);
	} else {
		return _bad(c, leaf, "bad_type",
		    "must be an RFC 3339 string or a number, not %s",
		    _kind_name(v));
	}
	struct evt_limits lim = evt_limits_default();
	if (*ms < lim.min_time_ms || *ms >= lim.max_time_ms)
		return _bad(c, leaf, "bad_time",
		    "is outside 2000-01-01 .. 2100-01-01");
	return 0;
}

/* lat/lon from flat fields and/or a location map; both or neither. */
enum { _L_LAT, _L_LON, _L_N };
static const struct _name _loc_names[] = {
	_N("lat", _L_LAT),
	_N("latitude", _L_LAT),
	_N("lon", _L_LON),
	_N("lng", _L_LON),
	_N("longitude", _L_LON),
	{ NULL, 0, 0 },
};

static int _location(struct _dc *c, const struct _val *lat,
    const struct _val *lon, const struct _val *loc, int *has, double *la,
    double *lo)
{
	struct _val got[_L_N];
	const struct _val *vals[2] = { lat, lon };
	/* Errors name the field where it was written. */
	static const char *const flat[2] = { "lat", "lon" };
	static const char *const in_map[2] = { "location.lat", "location.lon" };
	const char *const *nm = flat;
	if (loc->kind) {
		if (loc->kind != _V_MAP)
			return _bad(c, "location", "bad_type",
			    "must be an object, not %s", _kind_name(loc));
		_push(c, "location", -1);
		int rc = _collect(c, loc, _loc_names, got, _L_N);
		if (rc)
			return rc;
		_pop(c);
		if (got[_L_LAT].kind || got[_L_LON].kind) {
			vals[0] = &got[_L_LAT];
			vals[1] = &got[_L_LON];
			nm = in_map;
		}
	}
	*has = 0;
	if (!vals[0]->kind && !vals[1]->kind)
		return 0;
	if (!vals[0]->kind || !vals[1]->kind)
		return _bad(c, nm[vals[0]->kind ? 1 : 0], "bad_location",
		    "is missing (lat and lon go together)");
	static const double lim[2] = { 90, 180 };
	double *dst[2] = { la, lo };
	for (unsigned i = 0; i < 2; i++) {
		int rc = _num(c, vals[i], nm[i], -HUGE_VAL, HUGE_VAL, dst[i]);
		if (rc)
			return rc;
		if (fabs(*dst[i]) > lim[i])
			return _bad(c, nm[i], "bad_location",
			    "is %.17g, outside -%g..%g", *dst[i], lim[i],
			    lim[i]);
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
	_N("time", _C_TIME),
	_N("timestamp", _C_TIME),
	_N("tz_offset", _C_TZ),
	_N("tzOffset", _C_TZ),
	_N("tz_offset_min", _C_TZ),
	_N("location", _C_LOC),
	_N("lat", _C_LAT),
	_N("latitude", _C_LAT),
	_N("lon", _C_LON),
	_N("lng", _C_LON),
	_N("longitude", _C_LON),
	_N("weather", _C_WEATHER),
	_N("social", _C_SOCIAL),
	_N("socialContext", _C_SOCIAL),
	_N("social_context", _C_SOCIAL),
	_N("device", _C_DEVICE),
	_N("platform", _C_PLATFORM),
	{ NULL, 0, 0 },
};

static int _context(struct _dc *c, const struct _val *v,
    struct pen_context *ctx)
{
	struct _val g[_C_N];
	int rc;
	if (v->kind != _V_MAP)
		return _bad(c, "context", "bad_type",
		    "must be an object, not %s", _kind_name(v));
	_push(c, "context", -1);
	if ((rc = _collect(c, v, _ctx_names, g, _C_N)))
		return rc;
	bool has_tz = false;
	if (g[_C_TIME].kind &&
	    (rc = _time(c, &g[_C_TIME], "time", &ctx->time_ms,
		 &ctx->tz_offset_min, &has_tz)))
		return rc;
	if (g[_C_TZ].kind) {
		double tz = 0;
		if ((rc = _num(c, &g[_C_TZ], "tz_offset", -CLK_MAX_TZ_MIN,
			 CLK_MAX_TZ_MIN, &tz)))
			return rc;
		ctx->tz_offset_min = (int)lround(tz);
	}
	if ((rc = _location(c, &g[_C_LAT], &g[_C_LON], &g[_C_LOC],
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
		if ((rc = _str(c, &g[strs[i].id], strs[i].name,
			 c->d->lim.max_str_len, _S_NAME, slot, NULL)))
			return rc;
	}
	_pop(c);
	return 0;
}

/* An array of names (tags, devices) into the arena. */
static int _names(struct _dc *c, const struct _val *v, const char *leaf,
    unsigned max, size_t maxlen, const char *const **out, unsigned *n)
{
	if (v->kind != _V_ARR)
		return _bad(c, leaf, "bad_type",
		    "must be an array of strings, not %s", _kind_name(v));
	if (v->count > max)
		return _bad(c, leaf, "too_many", "has %u entries, at most %u",
		    v->count, max);
	const char **arr =
	    v->count ? _arena_alloc(c->d, v->count * sizeof(*arr)) : NULL;
	if (v->count && !arr)
		return _oom(c);
	struct _it it;
	struct _val x;
	_it_start(v, &it);
	for (unsigned i = 0; _it_elem(c, &it, &x); i++) {
		_push(c, leaf, i);
		int rc = _str(c, &x, NULL, maxlen, _S_NAME, &arr[i], NULL);
		if (rc)
			return rc;
		_pop(c);
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
	_N("category", _A_CAT),
	_N("tags", _A_TAGS),
	_N("start_time", _A_START),
	_N("startTime", _A_START),
	_N("start", _A_START),
	_N("lat", _A_LAT),
	_N("latitude", _A_LAT),
	_N("lon", _A_LON),
	_N("lng", _A_LON),
	_N("longitude", _A_LON),
	_N("location", _A_LOC),
	_N("indoor", _A_INDOOR),
	_N("outdoor", _A_OUTDOOR),
	_N("group_friendly", _A_GROUP),
	_N("groupFriendly", _A_GROUP),
	_N("added", _A_ADDED),
	_N("added_at", _A_ADDED),
	_N("addedAt", _A_ADDED),
	_N("devices", _A_DEVICES),
	{ NULL, 0, 0 },
};

static int _attrs(struct _dc *c, const struct _val *v, struct pen_item_attrs *a)
{
	struct _val g[_A_N];
	int rc, tz = 0;
	bool has_tz, b = false;
	memset(a, 0, sizeof(*a));
	a->indoor = a->group_friendly = -1;
	if (v->kind != _V_MAP)
		return _bad(c, "attributes", "bad_type",
		    "must be an object, not %s", _kind_name(v));
	_push(c, "attributes", -1);
	if ((rc = _collect(c, v, _attr_names, g, _A_N)))
		return rc;
	if (g[_A_CAT].kind &&
	    (rc = _str(c, &g[_A_CAT], "category", PEN_NAME_MAX, _S_NAME,
		 &a->category, NULL)))
		return rc;
	if (g[_A_TAGS].kind &&
	    (rc = _names(c, &g[_A_TAGS], "tags", RQ_MAX_TAGS, PEN_NAME_MAX,
		 &a->tags, &a->n_tags)))
		return rc;
	if (g[_A_START].kind) {
		if ((rc = _time(c, &g[_A_START], "start_time", &a->start_ms,
			 &tz, &has_tz)))
			return rc;
		a->start_tz_min = has_tz ? tz : 0;
	}
	if ((rc = _location(c, &g[_A_LAT], &g[_A_LON], &g[_A_LOC],
		 &a->has_location, &a->lat, &a->lon)))
		return rc;
	if (g[_A_INDOOR].kind) {
		if ((rc = _bool(c, &g[_A_INDOOR], "indoor", &b)))
			return rc;
		a->indoor = b;
	}
	if (g[_A_OUTDOOR].kind) {
		if ((rc = _bool(c, &g[_A_OUTDOOR], "outdoor", &b)))
			return rc;
		if (a->indoor >= 0 && a->indoor == b)
			return _bad(c, "outdoor", "bad_value",
			    "contradicts indoor");
		a->indoor = !b;
	}
	if (g[_A_GROUP].kind) {
		if ((rc = _bool(c, &g[_A_GROUP], "group_friendly", &b)))
			return rc;
		a->group_friendly = b;
	}
	if (g[_A_ADDED].kind &&
	    (rc = _time(c, &g[_A_ADDED], "added", &a->added_ms, &tz, &has_tz)))
		return rc;
	if (g[_A_DEVICES].kind &&
	    (rc = _names(c, &g[_A_DEVICES], "devices", RQ_MAX_DEVICES,
		 c->d->lim.max_str_len, &a->devices, &a->n_devices)))
		return rc;
	_pop(c);
	return 0;
}

enum { _K_ID, _K_SCORE, _K_ATTRS, _K_N };
static const struct _name _cand_names[] = {
	_N("entity_id", _K_ID),
	_N("entityId", _K_ID),
	_N("id", _K_ID),
	_N("score", _K_SCORE),
	_N("attributes", _K_ATTRS),
	_N("attrs", _K_ATTRS),
	{ NULL, 0, 0 },
};

#define _ONES 0x0101010101010101ULL
#define _HIGHS 0x8080808080808080ULL
/*
 * Whether s[0..len) is all printable ASCII (0x20..0x7e). Eight bytes at a
 * time: a byte below 0x20 borrows into its high bit in x - 0x20..., one
 * of 0x7f or more sets it in (x + 0x01...) | x; a borrow or carry crosses
 * into the next byte only from a byte that is flagged already, so "any
 * flag" is exact. The bytes of an id cost one test per byte otherwise.
 */
static bool _printable(const char *s, size_t len)
{
	size_t i = 0;
	for (; len - i >= 8; i += 8) {
		uint64_t x;
		memcpy(&x, s + i, 8);
		if ((((x - 0x20 * _ONES) & ~x) | (x + _ONES) | x) & _HIGHS)
			return false;
	}
	for (; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch >= 0x7f)
			return false;
	}
	return true;
}

/* Which of _cand_names a JSON key is: the names clients send (the
 * first of each) compared inline, the rest through the table. */
static int _cand_key(const struct json_tok *k)
{
	if (k->len == 9 && !memcmp(k->str, "entity_id", 9))
		return _K_ID;
	if (k->len == 5 && !memcmp(k->str, "score", 5))
		return _K_SCORE;
	return _lookup(_cand_names, k->str, k->len);
}

/*
 * A JSON candidate of the shape nearly every request sends, taken
 * straight from its tokens into *cd: an object with one id member, a
 * string of 1..max_id_len printable ASCII bytes, and one score, a number
 * >= 0, without attributes (any member named so, even null).
 * The result is what the general path (_collect, _str, _num) makes of
 * it; false leaves *cd to that path, which also gives every error. Two
 * hundred candidates a request made the general path's value loading
 * the larger part of decoding after the tokenizer.
 */
static bool _cand_plain(const struct _dc *c, size_t tok,
    struct pen_candidate *cd)
{
	const struct json_tok *toks = c->toks, *id = NULL, *score = NULL;
	if (toks[tok].kind != JSON_OBJECT)
		return false;
	size_t pos = tok + 1;
	for (uint32_t i = 0; i < toks[tok].count; i++) {
		const struct json_tok *val = &toks[pos + 1];
		int which = _cand_key(&toks[pos]);
		/* given twice (or null): the general path says which */
		if (which == _K_ID && !id && val->kind != JSON_NULL)
			id = val;
		else if (which == _K_SCORE && !score && val->kind != JSON_NULL)
			score = val;
		else if (which >= 0)
			return false;
		pos = val->end;
	}
	if (!id || !score || id->kind != JSON_STRING ||
	    score->kind != JSON_NUMBER || !(score->num >= 0) ||
	    !isfinite(score->num) || id->len == 0 ||
	    id->len > c->d->lim.max_id_len)
		return false;
	if (!_printable(id->str, id->len))
		return false;
	char *p = _arena_alloc(c->d, id->len + 1);
	if (!p)
		return false; /* the general path says no_memory */
	memcpy(p, id->str, id->len);
	p[id->len] = 0;
	cd->entity_id = p;
	cd->score = score->num;
	return true;
}

static int _candidates(struct _dc *c, const struct _val *v,
    struct rq_request *out)
{
	struct rq_decoder *d = c->d;
	if (v->kind != _V_ARR)
		return _bad(c, "candidates", "bad_type",
		    "must be an array, not %s", _kind_name(v));
	if (v->count == 0)
		return _bad(c, "candidates", "missing", "is empty");
	if (v->count > d->lim.max_candidates)
		return _bad(c, "candidates", "too_many",
		    "has %u entries, at most %u (max_candidates)", v->count,
		    d->lim.max_candidates);
	if (_reserve((void **)&d->cands, &d->cands_cap, v->count,
		sizeof(*d->cands)) ||
	    _reserve((void **)&d->attrs, &d->attrs_cap, v->count,
		sizeof(*d->attrs)))
		return _oom(c);
	struct _it it;
	struct _val x, g[_K_N];
	_it_start(v, &it);
	for (unsigned i = 0; i < it.n; i++) {
		struct pen_candidate *cd = &d->cands[i];
		int rc;
		memset(cd, 0, sizeof(*cd));
		if (!c->mp && _cand_plain(c, it.pos, cd)) {
			it.pos = c->toks[it.pos].end;
			it.i++;
			continue;
		}
		_it_elem(c, &it, &x);
		_push(c, "candidates", i);
		if (x.kind != _V_MAP)
			return _bad(c, NULL, "bad_type",
			    "must be an object, not %s", _kind_name(&x));
		if ((rc = _collect(c, &x, _cand_names, g, _K_N)))
			return rc;
		if (!g[_K_ID].kind)
			return _bad(c, "entity_id", "missing", "is required");
		if ((rc = _str(c, &g[_K_ID], "entity_id", d->lim.max_id_len,
			 _S_ID, &cd->entity_id, NULL)))
			return rc;
		if (!g[_K_SCORE].kind)
			return _bad(c, "score", "missing", "is required");
		if ((rc = _num(c, &g[_K_SCORE], "score", 0, HUGE_VAL,
			 &cd->score)))
			return rc;
		if (g[_K_ATTRS].kind) {
			if ((rc = _attrs(c, &g[_K_ATTRS], &d->attrs[i])))
				return rc;
			cd->attrs = &d->attrs[i];
		}
		_pop(c);
	}
	out->cands = d->cands;
	out->n = v->count;
	return 0;
}

enum {
	_O_STRATEGY,
	_O_K,
	_O_SEED,
	_O_EPS,
	_O_EXPW,
	_O_MMR,
	_O_SER,
	_O_CTXW,
	_O_DIV,
	_O_MEAN,
	_O_THETA,
	_O_N
};
static const struct _name _opt_names[] = {
	_N("strategy", _O_STRATEGY),
	_N("k", _O_K),
	_N("seed", _O_SEED),
	_N("epsilon", _O_EPS),
	_N("explore_weight", _O_EXPW),
	_N("exploreWeight", _O_EXPW),
	_N("mmr_lambda", _O_MMR),
	_N("mmrLambda", _O_MMR),
	_N("serendipity_every", _O_SER),
	_N("serendipityEvery", _O_SER),
	_N("context_weight", _O_CTXW),
	_N("contextWeight", _O_CTXW),
	_N("diversifier", _O_DIV),
	_N("mmr_mean", _O_MEAN),
	_N("mmrMean", _O_MEAN),
	_N("dpp_theta", _O_THETA),
	_N("dppTheta", _O_THETA),
	{ NULL, 0, 0 },
};

static int _seed(struct _dc *c, const struct _val *v, uint64_t *out)
{
	if (v->kind != _V_STR)
		return _uint(c, v, "seed", UINT64_MAX, out);
	uint64_t x = 0;
	bool ok = v->len > 0 && v->len <= 20;
	for (size_t i = 0; ok && i < v->len; i++) {
		unsigned dg = (unsigned)(v->s[i] - '0');
		ok = dg <= 9 && x <= (UINT64_MAX - dg) / 10;
		x = x * 10 + dg;
	}
	if (!ok)
		return _bad(c, "seed", "bad_number",
		    "must be the decimal digits of an integer 0..2^64-1");
	*out = x;
	return 0;
}

/* options.diversifier, mmr_mean and dpp_theta. */
static int _diversity(struct _dc *c, const struct _val *g,
    struct pen_rank_options *o)
{
	const char *s;
	size_t len;
	double x = 0;
	int rc;
	if (g[_O_DIV].kind) {
		if ((rc = _str(c, &g[_O_DIV], "diversifier",
			 c->d->lim.max_str_len, _S_NAME, &s, &len)))
			return rc;
		int d = rank_diversifier_parse(s, len);
		if (d < 0) {
			char q[48];
			return _bad(c, "diversifier", "unknown_diversifier",
			    "'%s' is not one of mmr dpp",
			    _quote(s, len, q, sizeof(q)));
		}
		o->diversifier = rank_diversifier_names[d];
	}
	if (g[_O_MEAN].kind) {
		if ((rc = _num(c, &g[_O_MEAN], "mmr_mean", 0, 1, &x)))
			return rc;
		o->mmr_mean = (float)x;
		o->given |= PEN_OPT_MMR_MEAN;
	}
	if (g[_O_THETA].kind) {
		if ((rc = _num(c, &g[_O_THETA], "dpp_theta", 0, 1, &x)))
			return rc;
		o->dpp_theta = (float)x;
		o->given |= PEN_OPT_DPP_THETA;
	}
	return 0;
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
		return _bad(c, "options", "bad_type",
		    "must be an object, not %s", _kind_name(v));
	_push(c, "options", -1);
	if ((rc = _collect(c, v, _opt_names, g, _O_N)))
		return rc;
	if (g[_O_STRATEGY].kind) {
		if ((rc = _str(c, &g[_O_STRATEGY], "strategy",
			 c->d->lim.max_str_len, _S_NAME, &s, &len)))
			return rc;
		int st = rank_strategy_parse(s, len);
		if (st < 0) {
			char q[48];
			return _bad(c, "strategy", "unknown_strategy",
			    "'%s' is not one of base profile context explore diverse full",
			    _quote(s, len, q, sizeof(q)));
		}
		o->strategy = *strategy = rank_strategy_name((unsigned)st);
	}
	if (g[_O_K].kind) {
		if ((rc = _uint(c, &g[_O_K], "k", c->d->lim.max_candidates,
			 &u)))
			return rc;
		o->k = (unsigned)u;
	}
	if (g[_O_SEED].kind) {
		if ((rc = _seed(c, &g[_O_SEED], &o->seed)))
			return rc;
		o->given |= PEN_OPT_SEED; /* 0 included */
	}
	if (g[_O_EPS].kind &&
	    (rc = _num(c, &g[_O_EPS], "epsilon", 0, 1, &o->epsilon)))
		return rc;
	if (g[_O_EXPW].kind &&
	    (rc = _num(c, &g[_O_EXPW], "explore_weight", 0, 5,
		 &o->explore_weight)))
		return rc;
	if (g[_O_MMR].kind &&
	    (rc = _num(c, &g[_O_MMR], "mmr_lambda", 0, 1, &o->mmr_lambda)))
		return rc;
	if (g[_O_SER].kind) {
		if ((rc = _uint(c, &g[_O_SER], "serendipity_every", 1000, &u)))
			return rc;
		o->serendipity_every = (int)u;
	}
	if (g[_O_CTXW].kind) {
		double w = 0;
		if ((rc = _num(c, &g[_O_CTXW], "context_weight", 0, 5, &w)))
			return rc;
		o->context_weight = (float)w;
	}
	if ((rc = _diversity(c, g, o)))
		return rc;
	_pop(c);
	return 0;
}

enum { _T_USER, _T_CONTEXT, _T_CANDS, _T_OPTIONS, _T_N };
static const struct _name _top_names[] = {
	_N("user_id", _T_USER),
	_N("userId", _T_USER),
	_N("context", _T_CONTEXT),
	_N("candidates", _T_CANDS),
	_N("options", _T_OPTIONS),
	{ NULL, 0, 0 },
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
	if ((rc = _collect(c, root, _top_names, g, _T_N)))
		return rc;
	if (!g[_T_USER].kind)
		return _bad(c, "user_id", "missing", "is required");
	if ((rc = _str(c, &g[_T_USER], "user_id", c->d->lim.max_id_len, _S_ID,
		 &out->user_id, &out->user_len)))
		return rc;
	if (g[_T_CONTEXT].kind && (rc = _context(c, &g[_T_CONTEXT], &out->ctx)))
		return rc;
	if (!g[_T_CANDS].kind)
		return _bad(c, "candidates", "missing", "is required");
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
	struct _dc c = { .d = d, .toks = d->toks, .src = buf, .err = err };
	struct _val root;
	_jload(buf, d->toks, 0, &root);
	return _request(&c, &root, out);
}

/* The pre-scan's caps for a msgpack request of len bytes. Every declared
 * count must be backed by bytes, so arrays may be as long as the input
 * allows; the decoder gives the precise error for too many candidates or
 * tags. */
static struct mp_limits _mpack_limits(const struct rq_decoder *d, size_t len)
{
	struct mp_limits lim = mp_limits_default();
	lim.max_object_bytes = d->lim.max_bytes;
	lim.max_buffered = d->lim.max_bytes;
	lim.max_depth = RQ_MAX_DEPTH;
	lim.max_events = len;
	lim.max_keys = RQ_MAX_KEYS;
	return mp_limits_clamp(&lim);
}

static int _mpack_scanned(struct rq_decoder *d, const void *buf, size_t len,
    const struct mp_limits *lim, struct rq_request *out, struct rq_error *err);

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
	struct mp_limits lim = _mpack_limits(d, len);
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
	return _mpack_scanned(d, buf, len, &lim, out, err);
}

int rq_decode_mpack_scanned(struct rq_decoder *d, const void *buf, size_t len,
    struct rq_request *out, struct rq_error *err)
{
	_begin(d);
	if (len > d->lim.max_bytes)
		return _fail(err, 413, "",
		    "too_big: the request has %zu bytes, at most %zu (max_request_bytes)",
		    len, d->lim.max_bytes);
	if (len == 0)
		return _fail(err, 400, "", "malformed: empty request");
	struct mp_limits lim = _mpack_limits(d, len);
	return _mpack_scanned(d, buf, len, &lim, out, err);
}

/* The rest of rq_decode_mpack, once buf is known to hold one object that
 * passes the pre-scan with lim. */
static int _mpack_scanned(struct rq_decoder *d, const void *buf, size_t len,
    const struct mp_limits *lim, struct rq_request *out, struct rq_error *err)
{
	char msg[160] = "";
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
	enum evt_reason sh = mp_shape(&obj, lim, msg, sizeof(msg));
	if (sh != EVT_OK)
		return _fail(err, 400, "", "%s: %s",
		    sh == EVT_R_TOO_DEEP ? "too_deep" : "too_many", msg);
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

static inline __attribute__((always_inline)) void _put(struct rq_buf *b,
    const char *s, size_t n)
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

/* A string literal: its copy is one of a constant size, not a call. */
#define _PUTL(b, lit) _put(b, lit, sizeof(lit) - 1)

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

static const char _dig2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal digits of u written backward, ending just before end; where
 * they start. Two digits per division. */
static inline char *_digits_before(char *end, uint64_t u)
{
	while (u >= 100) {
		unsigned r = (unsigned)(u % 100);
		u /= 100;
		*--end = _dig2[2 * r + 1];
		*--end = _dig2[2 * r];
	}
	if (u >= 10) {
		*--end = _dig2[2 * u + 1];
		*--end = _dig2[2 * u];
	} else {
		*--end = (char)('0' + u);
	}
	return end;
}

/* The last n decimal digits of u (leading zeros included), written
 * backward ending just before end; what is left of u (u / 10^n). */
static inline uint64_t _digits_fixed(char *end, uint64_t u, int n)
{
	for (; n >= 2; n -= 2) {
		unsigned r = (unsigned)(u % 100);
		u /= 100;
		*--end = _dig2[2 * r + 1];
		*--end = _dig2[2 * r];
	}
	if (n) {
		*--end = (char)('0' + u % 10);
		u /= 10;
	}
	return u;
}

/* How many decimal digits u has. */
static inline int _ndigits(uint64_t u)
{
	int n = 1;
	while (u >= 10000) {
		u /= 10000;
		n += 4;
	}
	return n + (u >= 10) + (u >= 100) + (u >= 1000);
}

/* Decimal digits of u at p; their count. Written in place (a copy from
 * a temporary was a library call for a digit or two: most are "1"). */
static int _utoa(char *p, uint64_t u)
{
	if (u < 10) {
		*p = (char)('0' + u);
		return 1;
	}
	int n = _ndigits(u);
	_digits_before(p + n, u);
	return n;
}

static const double _p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19 };

/* Powers of ten from 1e-5 to 1e15: _exp10_of's bounds. */
static const double _p10_from_m5[] = { 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1,
	1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
	1e15 };

/* floor(log10(v)) for 1e-5 <= v < 1e15, by comparisons (log10 costs
 * more than the rest of a number); most factors are within 1..10. */
static int _exp10_of(double v)
{
	if (v >= 1 && v < 10)
		return 0;
	if (v >= 0.1 && v < 1)
		return -1;
	int e = 0;
	while (e < 19 && v >= _p10_from_m5[e + 1])
		e++;
	return e - 5;
}

/*
 * v as a JSON number with at most sig (<= 15) significant digits, without
 * an exponent for 1e-5 <= |v| < 1e15 (printf's %g elsewhere), trailing
 * zeros dropped; "null" when not finite. Writes at most 32 bytes to p;
 * returns their count. printf is the slow part of a response otherwise.
 * An integer below 1e7 (sig is at least 7) is its digits. Otherwise v
 * rounded to dec places is an integer m; its trailing zeros (the
 * fraction's) go, and it is written split at the point: the integer part
 * (never empty), the fraction with its leading zeros, no point when the
 * fraction is empty. Digits are written in place.
 */
static int _fmt_num(char *p, double v, int sig)
{
	char *s = p;
	if (!isfinite(v)) {
		memcpy(p, "null", 4);
		return 4;
	}
	if (v == 0) {
		*p = '0';
		return 1;
	}
	if (v < 0) {
		*s++ = '-';
		v = -v;
	}
	if (v < 1e-5 || v >= 1e15)
		return (int)(s - p) + snprintf(s, 30, "%.*g", sig, v);
	if (v < 1e7 && v == (double)(uint32_t)v) /* 1, the neutral factor */
		return (int)(s - p) + _utoa(s, (uint32_t)v);
	int dec = sig - 1 - _exp10_of(v); /* digits after the point */
	if (dec < 0)
		dec = 0;
	if (dec > 19)
		dec = 19;
	uint64_t m = (uint64_t)(v * _p10[dec] + 0.5);
	/* m is v with dec places: its trailing zeros are the fraction's */
	while (dec && m % 10 == 0) {
		m /= 10;
		dec--;
	}
	/* written backward from the end: the fraction, the point, the
	 * integer part (divisions by constants only) */
	int nd = _ndigits(m), il = nd > dec ? nd - dec : 1;
	char *end = s + il + (dec ? 1 + dec : 0);
	if (dec) {
		m = _digits_fixed(end, m, dec);
		end[-dec - 1] = '.';
	}
	_digits_before(s + il, m);
	return (int)(end - p);
}

/* key (a literal with its quotes and colon) and the number. Inlined: the
 * key's copy is then one of a constant size, not a call. */
static inline __attribute__((always_inline)) void _json_num(struct rq_buf *b,
    const char *key, size_t klen, double v, int sig)
{
	if (!_room(b, klen + 32))
		return;
	memcpy(b->p + b->len, key, klen);
	b->len += klen;
	b->len += (size_t)_fmt_num(b->p + b->len, v, sig);
}

static inline __attribute__((always_inline)) void _json_int(struct rq_buf *b,
    const char *key, size_t klen, int64_t v)
{
	if (!_room(b, klen + 24))
		return;
	memcpy(b->p + b->len, key, klen);
	b->len += klen;
	if (v < 0) {
		b->p[b->len++] = '-';
		v = -v;
	}
	b->len += (size_t)_utoa(b->p + b->len, (uint64_t)v);
}

static const char *const _flag_names[] = { "explored", "serendipity",
	"diversified", "unknown_item" };

/* clang-format off */
#define _FACTORS(X) X(affinity) X(confidence) X(time) X(distance) X(weather) \
	X(social) X(device) X(context) X(fatigue) X(novelty) X(explore)     \
	X(collab)
/* clang-format on */
#define _COUNT1(n) +1
enum { _N_FACTORS = 0 _FACTORS(_COUNT1) };

static size_t _shown(const struct rq_request *rq)
{
	return rq->opt.k && rq->opt.k < rq->n ? rq->opt.k : rq->n;
}

/* The strategy that served the request: the request id says (an
 * experiment may have chosen it), else the one asked for. */
static const char *_served(const struct rq_request *rq, uint64_t request_id)
{
	const char *n = rank_strategy_name(evt_request_strategy(request_id));
	return n ? n : rq->strategy;
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
	_json_str(b, _served(rq, request_id));
	_PUTL(b, ",\"results\":[");
	for (size_t i = 0; i < m; i++) {
		const struct pen_ranked *r = &res[i];
		if (i)
			_PUTL(b, ",");
		_PUTL(b, "{\"entity_id\":");
		_json_str(b, rq->cands[r->index].entity_id);
#define _LIT(s) s, sizeof(s) - 1
		_json_int(b, _LIT(",\"index\":"), r->index);
		_json_num(b, _LIT(",\"score\":"), r->score, 12);
		_json_int(b, _LIT(",\"moved\":"), r->moved);
		_PUTL(b, ",\"flags\":[");
		for (unsigned f = 0, k = 0; f < 4; f++)
			if (r->flags & (1u << f)) {
				_puts(b, k++ ? ",\"" : "\"");
				_puts(b, _flag_names[f]);
				_PUTL(b, "\"");
			}
		_PUTL(b, "],\"factors\":{");
#define _JK(lit, v) _json_num(b, _LIT(lit), v, 7)
		_JK("\"affinity\":", r->affinity);
		_JK(",\"confidence\":", r->confidence);
		_JK(",\"time\":", r->time);
		_JK(",\"distance\":", r->distance);
		_JK(",\"weather\":", r->weather);
		_JK(",\"social\":", r->social);
		_JK(",\"device\":", r->device);
		_JK(",\"context\":", r->context);
		_JK(",\"fatigue\":", r->fatigue);
		_JK(",\"novelty\":", r->novelty);
		_JK(",\"explore\":", r->explore);
		_JK(",\"collab\":", r->collab);
#undef _JK
#undef _LIT
		_PUTL(b, "}}");
	}
	_PUTL(b, "]}");
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
	_mp_str(&pk, _served(rq, request_id));
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
