/*
 * mpack: msgpack events -> evt_input -> evt_build (contract in mpack.h).
 *
 * The pre-scanner (_scan) is the only code that trusts nothing: it walks the
 * raw bytes with an explicit stack, never recursing, and only hands msgpack-c
 * an object whose every declared count and length it has seen backed by
 * bytes. It keeps `pending`, the number of items declared but not started,
 * as a lower bound of the bytes still to come (each item is at least one
 * byte); comparing that bound with the caps and the bytes available is what
 * makes a 5-byte "array of 4 billion" cost nothing.
 *
 * The event mapping shares ipc/evfield's table and rules with json.c
 * (same names, same canonical bad_field names).
 */
#include "ipc/mpack.h"

#include "ipc/evfield.h"
#include "ipc/heldbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define _ZONE_CHUNK 2048

static void _msg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void _msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

struct mp_limits mp_limits_default(void)
{
	return (struct mp_limits){
		.max_object_bytes = MP_DEFAULT_MAX_OBJECT,
		.max_depth = MP_DEFAULT_MAX_DEPTH,
		.max_events = MP_DEFAULT_MAX_EVENTS,
		.max_keys = MP_DEFAULT_MAX_KEYS,
		.max_buffered = MP_DEFAULT_MAX_BUFFERED,
		.evt = evt_limits_default(),
	};
}

/* Clamped copy of *lim (NULL = defaults), as mpack.h promises. */
static struct mp_limits _limits(const struct mp_limits *lim)
{
	struct mp_limits d = mp_limits_default(), l = lim ? *lim : d;

	if (l.max_object_bytes == 0)
		l.max_object_bytes = d.max_object_bytes;
	if (l.max_depth == 0)
		l.max_depth = d.max_depth;
	if (l.max_depth > MP_MAX_DEPTH)
		l.max_depth = MP_MAX_DEPTH;
	if (l.max_events == 0)
		l.max_events = d.max_events;
	if (l.max_keys == 0)
		l.max_keys = d.max_keys;
	if (l.max_buffered < l.max_object_bytes)
		l.max_buffered = l.max_object_bytes;
	return l;
}

/* ------------------------------------------------------------------------
 * event mapping
 */

static const char *_kind_name(msgpack_object_type t)
{
	switch (t) {
	case MSGPACK_OBJECT_NIL: return "nil";
	case MSGPACK_OBJECT_BOOLEAN: return "bool";
	case MSGPACK_OBJECT_POSITIVE_INTEGER: return "integer";
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "integer";
	case MSGPACK_OBJECT_FLOAT32: return "float32";
	case MSGPACK_OBJECT_FLOAT64: return "float64";
	case MSGPACK_OBJECT_STR: return "str";
	case MSGPACK_OBJECT_BIN: return "bin";
	case MSGPACK_OBJECT_ARRAY: return "array";
	case MSGPACK_OBJECT_MAP: return "map";
	case MSGPACK_OBJECT_EXT: return "ext";
	}
	return "unknown";
}

static bool _is_int(const msgpack_object *v)
{
	return v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
}

static bool _is_float(const msgpack_object *v)
{
	return v->type == MSGPACK_OBJECT_FLOAT32 ||
	    v->type == MSGPACK_OBJECT_FLOAT64;
}

static double _num(const msgpack_object *v)
{
	if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return (double)v->via.u64;
	if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return (double)v->via.i64;
	return v->via.f64; /* both float widths, see NOTES-deps.md */
}

/* json.h's rule for an integer: |v| >= 1e11 is ms, else seconds. */
static int64_t _time_of_int(const msgpack_object *v)
{
	if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (v->via.u64 >= 100000000000ULL)
			return v->via.u64 > INT64_MAX ? INT64_MAX
						      : (int64_t)v->via.u64;
		return (int64_t)v->via.u64 * 1000;
	}
	if (v->via.i64 <= -100000000000LL)
		return v->via.i64;
	return v->via.i64 * 1000;
}

static uint64_t _be(const unsigned char *p, unsigned n)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < n; i++)
		x = x << 8 | p[i];
	return x;
}

/*
 * The msgpack timestamp extension (type -1) to ms, rounded to nearest:
 * 4 bytes uint32 seconds; 8 bytes 30-bit ns | 34-bit seconds; 12 bytes
 * uint32 ns + int64 seconds. Returns false when malformed.
 */
static bool _time_of_ext(const msgpack_object_ext *e, int64_t *ms)
{
	const unsigned char *p = (const unsigned char *)e->ptr;
	int64_t sec;
	uint64_t ns;

	if (e->size == 4) {
		sec = (int64_t)_be(p, 4);
		ns = 0;
	} else if (e->size == 8) {
		uint64_t x = _be(p, 8);

		ns = x >> 34;
		sec = (int64_t)(x & 0x3ffffffffULL);
	} else if (e->size == 12) {
		ns = _be(p, 4);
		sec = (int64_t)_be(p + 4, 8);
	} else {
		return false;
	}
	if (ns > 999999999u)
		return false;
	/* Saturate outside +-9.2e15 s: evt_build's window rejects it. */
	if (sec > 9200000000000000LL)
		*ms = INT64_MAX;
	else if (sec < -9200000000000000LL)
		*ms = INT64_MIN;
	else
		*ms = sec * 1000 + (int64_t)((ns + 500000) / 1000000);
	return true;
}

struct _map {
	struct evt_input *in;
	struct mp_idtext *ids;
	const struct mp_limits *lim;
	uint32_t seen; /* fields given so far (evf_once) */
	char *err;
	size_t errlen;
};

/* Bytes of a str or bin key. */
static void _key_bytes(const msgpack_object *k, const char **p, unsigned *n)
{
	if (k->type == MSGPACK_OBJECT_STR) {
		*p = k->via.str.ptr;
		*n = k->via.str.size;
	} else {
		*p = k->via.bin.ptr;
		*n = k->via.bin.size;
	}
}

/* Sets in->bad; returns false (stop). */
static bool _bad(struct _map *m, enum evt_reason r, const char *field,
    const msgpack_object *key, const char *what)
{
	const char *kp;
	unsigned kl;

	_key_bytes(key, &kp, &kl);

	m->in->bad = r;
	m->in->bad_field = field;
	_msg(m->err, m->errlen, "field '%.*s': %s", (int)(kl > 64 ? 64 : kl),
	    kp, what);
	return false;
}

/* Stores one non-nil value of a known non-nested field; false when its
 * kind does not fit (in->bad set). */
static bool _set(struct _map *m, enum evf_target t, const msgpack_object *key,
    const msgpack_object *v)
{
	struct evt_input *in = m->in;
	struct evt_str *s = evf_str_slot(in, t);
	bool *has;
	double *d = evf_num_slot(in, t, &has);
	char what[64];

	if (s &&
	    (v->type == MSGPACK_OBJECT_STR || v->type == MSGPACK_OBJECT_BIN)) {
		if (v->type == MSGPACK_OBJECT_STR)
			*s =
			    (struct evt_str){ v->via.str.ptr, v->via.str.size };
		else
			*s =
			    (struct evt_str){ v->via.bin.ptr, v->via.bin.size };
		if (t == EVF_TIME)
			in->has_time_ms = false;
		return true;
	}
	if (_is_int(v) && evf_id_slot(t) >= 0 && m->ids) {
		char *txt = m->ids->text[evf_id_slot(t)];
		int n = v->type == MSGPACK_OBJECT_POSITIVE_INTEGER
		    ? snprintf(txt, sizeof(m->ids->text[0]), "%" PRIu64,
			  v->via.u64)
		    : snprintf(txt, sizeof(m->ids->text[0]), "%" PRId64,
			  v->via.i64);

		*s = (struct evt_str){ txt, (size_t)n };
		return true;
	}
	if (t == EVF_TIME &&
	    (_is_int(v) || _is_float(v) || v->type == MSGPACK_OBJECT_EXT)) {
		if (_is_int(v)) {
			in->time_ms = _time_of_int(v);
		} else if (_is_float(v)) {
			double x = v->via.f64;

			if (!isfinite(x))
				return _bad(m, EVT_R_BAD_NUMBER, evf_canon(t),
				    key, "timestamp is not finite");
			in->time_ms = evf_time_ms(x, false, 0);
		} else if (v->via.ext.type != -1) {
			snprintf(what, sizeof(what),
			    "wrong kind (ext type %d, expected -1)",
			    v->via.ext.type);
			return _bad(m, EVT_R_BAD_FIELD_TYPE, evf_canon(t), key,
			    what);
		} else if (!_time_of_ext(&v->via.ext, &in->time_ms)) {
			return _bad(m, EVT_R_BAD_TIME, evf_canon(t), key,
			    "malformed msgpack timestamp extension");
		}
		in->has_time_ms = true;
		in->timestamp_str = (struct evt_str){ NULL, 0 };
		return true;
	}
	if (d && (_is_int(v) || _is_float(v))) {
		*d = _num(v);
		*has = true;
		return true;
	}
	uint8_t *b = evf_bool_slot(in, t);
	if (b && v->type == MSGPACK_OBJECT_BOOLEAN) {
		*b = v->via.boolean ? 2 : 1;
		return true;
	}
	snprintf(what, sizeof(what), "wrong kind (%s)", _kind_name(v->type));
	return _bad(m, EVT_R_BAD_FIELD_TYPE, evf_canon(t), key, what);
}

/*
 * The per-event shape rules (ipc/evfield.h) over the whole record, known
 * fields or not: o sits at level `depth` (the event map is 1). Recursion is
 * bounded: the pre-scanner let through at most MP_MAX_DEPTH levels.
 */
static enum evt_reason _shape(const msgpack_object *o,
    const struct mp_limits *lim, unsigned depth, char *err, size_t errlen)
{
	enum evt_reason r = EVT_OK;

	if (o->type != MSGPACK_OBJECT_MAP && o->type != MSGPACK_OBJECT_ARRAY)
		return EVT_OK;
	if (depth > lim->max_depth) {
		_msg(err, errlen,
		    "nested deeper than %u levels (the top map is level 1)",
		    lim->max_depth);
		return EVT_R_TOO_DEEP;
	}
	if (o->type == MSGPACK_OBJECT_ARRAY) {
		for (uint32_t i = 0; i < o->via.array.size && r == EVT_OK; i++)
			r = _shape(&o->via.array.ptr[i], lim, depth + 1, err,
			    errlen);
		return r;
	}
	if (o->via.map.size > lim->max_keys) {
		_msg(err, errlen, "map of %u pairs at level %u (at most %zu)",
		    o->via.map.size, depth, lim->max_keys);
		return EVT_R_TOO_BIG;
	}
	for (uint32_t i = 0; i < o->via.map.size && r == EVT_OK; i++) {
		r = _shape(&o->via.map.ptr[i].key, lim, depth + 1, err, errlen);
		if (r == EVT_OK)
			r = _shape(&o->via.map.ptr[i].val, lim, depth + 1, err,
			    errlen);
	}
	return r;
}

enum evt_reason mp_shape(const msgpack_object *o, const struct mp_limits *lim,
    char *err, size_t errlen)
{
	return _shape(o, lim, 1, err, errlen);
}

/* One map of the event, already checked by _shape. Returns EVT_OK (with
 * in->bad possibly set). */
static enum evt_reason _map(struct _map *m, const msgpack_object_map *map,
    unsigned depth)
{
	for (uint32_t i = 0; i < map->size; i++) {
		const msgpack_object *k = &map->ptr[i].key,
				     *v = &map->ptr[i].val;
		const char *kp;
		unsigned kl;
		int t;

		if (k->type != MSGPACK_OBJECT_STR &&
		    k->type != MSGPACK_OBJECT_BIN)
			continue; /* not a name: unknown field */
		_key_bytes(k, &kp, &kl);
		t = evf_lookup(kp, kl);
		if (t < 0 || v->type == MSGPACK_OBJECT_NIL)
			continue;
		const char *name = t != EVF_NEST ? evf_canon((enum evf_target)t)
		    : kl == 8 && !memcmp(kp, "location", 8) ? "location"
		    : kl == 8 && !memcmp(kp, "metadata", 8) ? "metadata"
							    : "context";
		if (!evf_once(&m->seen, (enum evf_target)t)) {
			char what[96];

			snprintf(what, sizeof(what),
			    "given twice (by this name or another of %s's)",
			    name);
			_bad(m, EVT_R_DUPLICATE_FIELD, name, k, what);
			return EVT_OK;
		}
		if (t == EVF_NEST) {
			enum evt_reason r;

			if (v->type != MSGPACK_OBJECT_MAP) {
				char what[64];

				snprintf(what, sizeof(what),
				    "wrong kind (%s, expected a map)",
				    _kind_name(v->type));
				_bad(m, EVT_R_BAD_FIELD_TYPE, name, k, what);
				return EVT_OK;
			}
			r = _map(m, &v->via.map, depth + 1);
			if (r != EVT_OK || m->in->bad != EVT_OK)
				return r;
			continue;
		}
		if (!_set(m, (enum evf_target)t, k, v))
			return EVT_OK;
	}
	return EVT_OK;
}

enum evt_reason mp_event_input(const msgpack_object *obj,
    const struct mp_limits *lim, struct mp_idtext *ids, struct evt_input *out,
    char *err, size_t errlen)
{
	struct mp_limits l = _limits(lim);
	struct _map m = { .in = out,
		.ids = ids,
		.lim = &l,
		.err = err,
		.errlen = errlen };
	enum evt_reason r;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (obj->type != MSGPACK_OBJECT_MAP) {
		_msg(err, errlen, "expected a map, got %s",
		    _kind_name(obj->type));
		return EVT_R_NOT_MAP;
	}
	r = _shape(obj, &l, 1, err, errlen);
	if (r != EVT_OK)
		return r;
	return _map(&m, &obj->via.map, 1);
}

/* ------------------------------------------------------------------------
 * pre-scanner
 */

enum { _S_DONE, _S_MORE, _S_ERR };

static void _scan_reset(struct mp_scan *sc)
{
	sc->pos = 0;
	sc->depth = 0;
	sc->pending = 0;
	sc->need = 0;
}

/*
 * Scans the object at p[0..avail), resuming at sc->pos. _S_DONE: sc->pos is
 * its size. _S_MORE: sc->need is a lower bound of its size (> avail).
 * _S_ERR: *why and msg say what is wrong.
 */
static int _scan(struct mp_scan *sc, const struct mp_limits *lim,
    const unsigned char *p, size_t avail, enum evt_reason *why, char *msg,
    size_t msglen)
{
	const uint64_t max = lim->max_object_bytes;

	while (!(sc->pos > 0 && sc->depth == 0)) {
		size_t at = sc->pos;
		/* items other than this one still to come, one byte each */
		uint64_t rest = sc->pending - (sc->depth > 0);
		unsigned hdr = 1, sz = 0;
		uint64_t body = 0, items = 0;
		bool cont = false, is_map = false;
		unsigned char b;

		if (at >= avail) {
			sc->need = at + 1 + rest;
			return _S_MORE;
		}
		b = p[at];
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 ||
		    b == 0xc3) {
			/* fixint, nil, bool */
		} else if (b <= 0x8f) {
			cont = is_map = true;
			items = b & 0x0f;
		} else if (b <= 0x9f) {
			cont = true;
			items = b & 0x0f;
		} else if (b <= 0xbf) {
			body = b & 0x1f;
		} else {
			switch (b) {
			case 0xc4:
			case 0xd9: sz = 1; break; /* bin8 str8 */
			case 0xc5:
			case 0xda: sz = 2; break;
			case 0xc6:
			case 0xdb: sz = 4; break;
			case 0xc7:
				sz = 1;
				body = 1;
				break; /* ext: + type */
			case 0xc8:
				sz = 2;
				body = 1;
				break;
			case 0xc9:
				sz = 4;
				body = 1;
				break;
			case 0xca: body = 4; break;
			case 0xcb: body = 8; break;
			case 0xcc:
			case 0xd0: body = 1; break;
			case 0xcd:
			case 0xd1: body = 2; break;
			case 0xce:
			case 0xd2: body = 4; break;
			case 0xcf:
			case 0xd3: body = 8; break;
			case 0xd4: body = 2; break; /* fixext */
			case 0xd5: body = 3; break;
			case 0xd6: body = 5; break;
			case 0xd7: body = 9; break;
			case 0xd8: body = 17; break;
			case 0xdc:
				sz = 2;
				cont = true;
				break;
			case 0xdd:
				sz = 4;
				cont = true;
				break;
			case 0xde:
				sz = 2;
				cont = is_map = true;
				break;
			case 0xdf:
				sz = 4;
				cont = is_map = true;
				break;
			default: /* 0xc1 */
				*why = EVT_R_MALFORMED;
				_msg(msg, msglen,
				    "byte %zu: 0x%02x is not a msgpack type",
				    at, b);
				return _S_ERR;
			}
			hdr += sz;
			if (avail - at < hdr) {
				sc->need = at + hdr + rest;
				return _S_MORE;
			}
			if (sz) {
				uint64_t n = _be(p + at + 1, sz);

				if (cont)
					items = n;
				else
					body += n;
			}
		}
		if (cont) {
			/* Maps are bounded by their bytes here; max_keys is a
			 * per-event rule (_shape), so the object stays
			 * skippable. */
			if (!is_map && items > lim->max_events) {
				*why = EVT_R_TOO_BIG;
				_msg(msg, msglen,
				    "byte %zu: array of %" PRIu64
				    " elements (at most %zu)",
				    at, items, lim->max_events);
				return _S_ERR;
			}
			/* msgpack-c refuses to start any container, empty
			 * ones too, below its 32 levels. */
			if (sc->depth + 1 > MP_MAX_DEPTH) {
				*why = EVT_R_TOO_DEEP;
				_msg(msg, msglen,
				    "byte %zu: nesting deeper than %d levels (msgpack-c's limit)",
				    at, MP_MAX_DEPTH);
				return _S_ERR;
			}
			if (is_map)
				items *= 2;
		}
		/* Smallest size the object can have given what is declared. */
		if ((uint64_t)at + hdr + body + items + rest > max) {
			*why = EVT_R_TOO_BIG;
			_msg(msg, msglen,
			    "byte %zu: declared sizes need at least %" PRIu64
			    " bytes (object cap %" PRIu64 ")",
			    at, (uint64_t)at + hdr + body + items + rest, max);
			return _S_ERR;
		}
		if ((uint64_t)(avail - at) < hdr + body) {
			sc->need = at + hdr + (size_t)body + items + rest;
			return _S_MORE;
		}
		sc->pos = at + hdr + (size_t)body;
		if (sc->depth > 0) {
			sc->left[sc->depth - 1]--;
			sc->pending--;
		}
		if (items > 0) {
			sc->left[sc->depth++] = items;
			sc->pending += items;
		}
		while (sc->depth > 0 && sc->left[sc->depth - 1] == 0)
			sc->depth--;
	}
	return _S_DONE;
}

/* Public face of the scanner (contract in mpack.h). */
struct mp_limits mp_limits_clamp(const struct mp_limits *lim)
{
	return _limits(lim);
}

void mp_scan_reset(struct mp_scan *sc)
{
	_scan_reset(sc);
}

int mp_scan_object(struct mp_scan *sc, const struct mp_limits *lim,
    const void *p, size_t avail, enum evt_reason *why, char *msg, size_t msglen)
{
	_Static_assert((int)_S_DONE == (int)MP_SCAN_DONE &&
		(int)_S_MORE == (int)MP_SCAN_MORE &&
		(int)_S_ERR == (int)MP_SCAN_ERROR,
	    "scan results");
	return _scan(sc, lim, p, avail, why, msg, msglen);
}

/* ------------------------------------------------------------------------
 * decoder
 */

int mp_decoder_init(struct mp_decoder *d, const struct mp_limits *lim)
{
	memset(d, 0, sizeof(*d));
	d->lim = _limits(lim);
	d->zone_ok = msgpack_zone_init(&d->zone, _ZONE_CHUNK);
	return d->zone_ok ? 0 : -ENOMEM;
}

void mp_decoder_fini(struct mp_decoder *d)
{
	if (d->zone_ok)
		msgpack_zone_destroy(&d->zone);
	d->zone_ok = false;
}

struct _sink {
	mp_event_cb cb;
	void *ctx;
	struct mp_stats *st;
};

/* A refusal of a whole object or buffer (index MP_NO_INDEX). */
static void _refuse(struct mp_decoder *d, const struct _sink *k,
    enum evt_reason r, bool fatal, const char *raw, size_t raw_len)
{
	if (k->st) {
		k->st->reason[r]++;
		k->st->fatal += fatal;
	}
	if (k->cb) {
		struct mp_event ev = { .reason = r,
			.msg = d->msg,
			.index = MP_NO_INDEX,
			.fatal = fatal,
			.raw = raw,
			.raw_len = raw_len };

		k->cb(k->ctx, &ev);
	}
}

/* One event slot; returns the callback's answer (nonzero: stop). */
static int _event(struct mp_decoder *d, const struct _sink *k,
    const msgpack_object *o, size_t index, const char *raw, size_t raw_len)
{
	struct evt_input in;
	struct evt_record rec;
	const char *field = NULL;
	enum evt_reason r;
	int stop = 0;

	r = mp_event_input(o, &d->lim, &d->ids, &in, d->msg, sizeof(d->msg));
	if (r == EVT_OK) {
		r = evt_build(&in, &d->lim.evt, &rec, &field);
		if (r != EVT_OK && in.bad == EVT_OK)
			_msg(d->msg, sizeof(d->msg), "%s%s%s",
			    evt_reason_name(r), field ? ": " : "",
			    field ? field : "");
	}
	if (k->cb) {
		struct mp_event ev = { .reason = r,
			.rec = r == EVT_OK ? &rec : NULL,
			.field = field,
			.msg = r == EVT_OK ? "" : d->msg,
			.index = index,
			.raw = raw,
			.raw_len = raw_len };

		stop = k->cb(k->ctx, &ev);
	}
	if (!stop && k->st) {
		k->st->events++;
		k->st->reason[r]++;
	}
	return stop;
}

/*
 * Decodes the scanned object p[0..size) and hands its events from index
 * `from`. Returns 0 when all were taken, or 1 with *at = the event to hand
 * again.
 */
static int _object(struct mp_decoder *d, const struct _sink *k, const char *p,
    size_t size, size_t from, size_t *at)
{
	msgpack_object root;
	size_t off = 0;
	msgpack_unpack_return u;

	if (!d->zone_ok) {
		d->zone_ok = msgpack_zone_init(&d->zone, _ZONE_CHUNK);
		if (!d->zone_ok) {
			_msg(d->msg, sizeof(d->msg), "out of memory");
			_refuse(d, k, EVT_R_TOO_BIG, false, p, size);
			return 0;
		}
	}
	msgpack_zone_clear(&d->zone);
	u = msgpack_unpack(p, size, &off, &d->zone, &root);
	if (u != MSGPACK_UNPACK_SUCCESS || off != size) {
		/* The scanner and msgpack-c disagree (or no memory): refuse
		 * the object, keep its boundary. */
		_msg(d->msg, sizeof(d->msg),
		    "msgpack-c refused the object (%d)", (int)u);
		_refuse(d, k, EVT_R_MALFORMED, false, p, size);
		return 0;
	}
	if (root.type == MSGPACK_OBJECT_ARRAY) {
		for (size_t i = from; i < root.via.array.size; i++)
			if (_event(d, k, &root.via.array.ptr[i], i, p, size)) {
				*at = i;
				return 1;
			}
	} else if (from == 0 && _event(d, k, &root, 0, p, size)) {
		*at = 0;
		return 1;
	}
	if (k->st)
		k->st->objects++;
	return 0;
}

/*
 * Hands every complete object of p[0..n), the first resuming at *sc and
 * event *resume. Returns 0 with *used at the start of a trailing
 * incomplete object (sc holds its scan) or at n; 1 when paused at the
 * object p[*used] (event *resume); -1 on a structural error in the object
 * at p[*used] (*why, d->msg).
 */
static int _process(struct mp_decoder *d, const struct _sink *k,
    struct mp_scan *sc, const char *p, size_t n, size_t *used, size_t *resume,
    enum evt_reason *why)
{
	size_t at = 0;

	while (at < n) {
		int r = _scan(sc, &d->lim, (const unsigned char *)p + at,
		    n - at, why, d->msg, sizeof(d->msg));
		size_t size = sc->pos;

		if (r == _S_MORE)
			break;
		if (r == _S_ERR) {
			*used = at;
			return -1;
		}
		if (_object(d, k, p + at, size, *resume, resume)) {
			*used = at;
			return 1;
		}
		*resume = 0;
		_scan_reset(sc);
		at += size;
	}
	*used = at;
	return 0;
}

enum evt_reason mp_decoder_buffer(struct mp_decoder *d, const char *buf,
    size_t len, mp_event_cb cb, void *ctx, struct mp_stats *st)
{
	const struct _sink k = { cb, ctx, st };
	struct mp_scan sc;
	enum evt_reason why = EVT_R_MALFORMED;
	size_t used = 0, resume = 0;
	int rc;

	if (st) {
		st->buffers++;
		st->bytes += len;
	}
	if (len == 0 || !buf) {
		_msg(d->msg, sizeof(d->msg), "empty buffer");
		_refuse(d, &k, EVT_R_MALFORMED, false, buf, 0);
		return EVT_R_MALFORMED;
	}
	_scan_reset(&sc);
	rc = _process(d, &k, &sc, buf, len, &used, &resume, &why);
	if (rc == 0 && used < len) {
		_msg(d->msg, sizeof(d->msg),
		    "object at byte %zu truncated: needs at least %zu bytes, %zu left",
		    used, sc.need, len - used);
		why = EVT_R_MALFORMED;
		rc = -1;
	} else if (rc < 0) {
		char m[sizeof(d->msg)];

		memcpy(m, d->msg, sizeof(m));
		_msg(d->msg, sizeof(d->msg), "object at byte %zu: %s", used, m);
	}
	if (rc < 0) {
		_refuse(d, &k, why, false, buf + used, len - used);
		return why;
	}
	return EVT_OK;
}

enum evt_reason mp_decode_buffer(const char *buf, size_t len,
    const struct mp_limits *lim, mp_event_cb cb, void *ctx, struct mp_stats *st)
{
	struct mp_decoder d;
	enum evt_reason r;

	if (mp_decoder_init(&d, lim) < 0) {
		if (st)
			st->reason[EVT_R_TOO_BIG]++;
		return EVT_R_TOO_BIG;
	}
	r = mp_decoder_buffer(&d, buf, len, cb, ctx, st);
	mp_decoder_fini(&d);
	return r;
}

/* ------------------------------------------------------------------------
 * stream
 */

int mp_stream_init(struct mp_stream *s, const struct mp_limits *lim)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = mp_decoder_init(&s->dec, lim);
	_scan_reset(&s->scan);
	return rc;
}

void mp_stream_fini(struct mp_stream *s)
{
	mp_decoder_fini(&s->dec);
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

size_t mp_stream_buffered(const struct mp_stream *s)
{
	return s->len;
}

const char *mp_stream_error(const struct mp_stream *s, enum evt_reason *reason)
{
	if (reason)
		*reason = s->error ? s->fatal_reason : EVT_OK;
	return s->error ? s->dec.msg : "";
}

static int _errno_of(enum evt_reason r)
{
	return r == EVT_R_TOO_DEEP ? -ELOOP
	    : r == EVT_R_TOO_BIG   ? -EMSGSIZE
				   : -EBADMSG;
}

/* Marks the stream dead; d->msg already says why. */
static int _fatal(struct mp_stream *s, const struct _sink *k, enum evt_reason r,
    int err, const char *raw, size_t raw_len)
{
	s->error = err;
	s->fatal_reason = r;
	_refuse(&s->dec, k, r, true, raw, raw_len);
	return err;
}

/* Appends to the held bytes within max_buffered. */
static int _hold(struct mp_stream *s, const struct _sink *k, const char *p,
    size_t n)
{
	if (n == 0)
		return 0;
	if (n > s->dec.lim.max_buffered - s->len) {
		_msg(s->dec.msg, sizeof(s->dec.msg),
		    "more than %zu bytes held for the connection",
		    s->dec.lim.max_buffered);
		return _fatal(s, k, EVT_R_TOO_BIG, -ENOBUFS, p, n);
	}
	if (hb_append(&s->buf, &s->len, &s->cap, p, n,
		s->dec.lim.max_buffered)) {
		_msg(s->dec.msg, sizeof(s->dec.msg), "out of memory");
		s->error = -ENOMEM;
		s->fatal_reason = EVT_R_TOO_BIG;
		return -ENOMEM;
	}
	return 0;
}

/* Drops the first n held bytes; frees a big buffer once empty. */
static void _drop(struct mp_stream *s, size_t n)
{
	hb_drop(&s->buf, &s->len, &s->cap, n);
}

/* _process over the held bytes; drops what was consumed. */
static int _process_held(struct mp_stream *s, const struct _sink *k)
{
	enum evt_reason why = EVT_R_MALFORMED;
	size_t used = 0;
	int rc = _process(&s->dec, k, &s->scan, s->buf, s->len, &used,
	    &s->resume_index, &why);

	if (rc < 0)
		return _fatal(s, k, why, _errno_of(why), s->buf + used,
		    s->len - used);
	_drop(s, used);
	s->paused = rc == 1;
	return rc;
}

int mp_stream_feed(struct mp_stream *s, const char *bytes, size_t n,
    mp_event_cb cb, void *ctx, struct mp_stats *st)
{
	const struct _sink k = { cb, ctx, st };
	enum evt_reason why = EVT_R_MALFORMED;
	size_t used = 0;
	int rc;

	if (s->error)
		return s->error;
	if (st)
		st->bytes += n;
	if (s->paused) {
		if ((rc = _hold(s, &k, bytes, n)) < 0)
			return rc;
		return _process_held(s, &k);
	}
	/* A partial object is held: add just what its scan says it needs,
	 * so the held bytes stay within one object. */
	while (s->len > 0) {
		size_t want = s->scan.need > s->len ? s->scan.need - s->len : 1;
		size_t take = n < want ? n : want;

		if (n == 0)
			return 0;
		if ((rc = _hold(s, &k, bytes, take)) < 0)
			return rc;
		bytes += take;
		n -= take;
		if ((rc = _process_held(s, &k)) < 0)
			return rc;
		if (rc == 1) {
			if ((rc = _hold(s, &k, bytes, n)) < 0)
				return rc;
			return 1;
		}
	}
	if (n == 0)
		return 0;
	/* Nothing held: decode straight from the caller's bytes and keep
	 * only the tail. */
	rc = _process(&s->dec, &k, &s->scan, bytes, n, &used, &s->resume_index,
	    &why);
	if (rc < 0)
		return _fatal(s, &k, why, _errno_of(why), bytes + used,
		    n - used);
	if ((rc == 1 || used < n) && _hold(s, &k, bytes + used, n - used) < 0)
		return s->error;
	s->paused = rc == 1;
	return rc;
}
