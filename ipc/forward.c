/*
 * forward: Fluentd Forward Protocol v1 decoding (contract in forward.h).
 *
 * Every message goes through ipc/mpack's bounded pre-scan before msgpack-c
 * unpacks it, and a PackedForward entry stream (inflated or not) is
 * pre-scanned entry by entry before its first event is delivered, so the
 * fatal/per-event split is decided before any side effect.
 *
 * Pausing. A message is decoded in place (from the caller's bytes or the
 * held buffer). When the callback pauses, the message's bytes are copied
 * to mbuf and unpacked once more from there, so that the unpacked objects
 * (which borrow the bytes) stay valid across calls however the held buffer
 * moves; the position (entry index, packed offset) carries over because
 * the same bytes unpack to the same structure. Inflated bytes live in zbuf
 * and are kept across the pause.
 */
#include "ipc/forward.h"

#include "ipc/heldbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#include "ipc/evfield.h"

#define _ZONE_CHUNK 2048
#define _BUF_MIN HB_MIN

static void _msg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void _msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *fwd_mode_name(enum fwd_mode m)
{
	switch (m) {
	case FWD_MESSAGE: return "message";
	case FWD_FORWARD: return "forward";
	case FWD_PACKED: return "packed_forward";
	case FWD_COMPRESSED: return "compressed_packed_forward";
	case FWD_MODE_COUNT: break;
	}
	return "unknown";
}

/* ------------------------------------------------------------------------
 * ack
 */

size_t fwd_ack_encode(char *buf, size_t cap, const char *chunk, size_t len)
{
	size_t need = 1 + 4 + (len < 32 ? 1 : 2) + len, at = 0;

	if (len > FWD_MAX_CHUNK || cap < need || (!chunk && len))
		return 0;
	buf[at++] = (char)0x81; /* fixmap, 1 pair */
	memcpy(buf + at,
	    "\xa3"
	    "ack",
	    4); /* fixstr "ack" */
	at += 4;
	if (len < 32) {
		buf[at++] = (char)(0xa0 | len); /* fixstr */
	} else {
		buf[at++] = (char)0xd9; /* str8 */
		buf[at++] = (char)len;
	}
	if (len)
		memcpy(buf + at, chunk, len);
	return at + len;
}

/* ------------------------------------------------------------------------
 * stream: setup
 */

int fwd_stream_init(struct fwd_stream *s, const struct mp_limits *lim)
{
	memset(s, 0, sizeof(*s));
	s->lim = mp_limits_clamp(lim);
	mp_scan_reset(&s->scan);
	s->zone_ok = msgpack_zone_init(&s->zone, _ZONE_CHUNK);
	s->ezone_ok = msgpack_zone_init(&s->ezone, _ZONE_CHUNK);
	return s->zone_ok && s->ezone_ok ? 0 : -ENOMEM;
}

void fwd_stream_fini(struct fwd_stream *s)
{
	if (s->zone_ok)
		msgpack_zone_destroy(&s->zone);
	if (s->ezone_ok)
		msgpack_zone_destroy(&s->ezone);
	s->zone_ok = s->ezone_ok = false;
	if (s->z) {
		inflateEnd(s->z);
		free(s->z);
		s->z = NULL;
	}
	free(s->buf);
	free(s->mbuf);
	free(s->zbuf);
	s->buf = s->mbuf = s->zbuf = NULL;
	s->len = s->cap = s->mlen = s->mcap = s->zcap = 0;
	s->active = false;
}

size_t fwd_stream_buffered(const struct fwd_stream *s)
{
	return s->len + (s->active ? s->mlen : 0);
}

const char *fwd_stream_error(const struct fwd_stream *s,
    enum evt_reason *reason)
{
	if (reason)
		*reason = s->error ? s->fatal_reason : EVT_OK;
	return s->error ? s->msg : "";
}

struct _sink {
	fwd_event_cb cb;
	fwd_ack_cb ack;
	void *ctx;
	struct mp_stats *st;
};

/* Marks the stream dead; s->msg already says why. */
static int _fatal(struct fwd_stream *s, const struct _sink *k,
    enum evt_reason r, int err, const char *raw, size_t raw_len)
{
	s->error = err;
	s->fatal_reason = r;
	s->active = false;
	if (k->st) {
		k->st->fatal++;
		k->st->reason[r]++;
	}
	if (k->cb) {
		struct fwd_event ev = { .ev = { .reason = r,
					    .msg = s->msg,
					    .index = MP_NO_INDEX,
					    .fatal = true,
					    .raw = raw,
					    .raw_len = raw_len } };

		k->cb(k->ctx, &ev);
	}
	return err;
}

static int _errno_of(enum evt_reason r)
{
	return r == EVT_R_TOO_DEEP ? -ELOOP
	    : r == EVT_R_TOO_BIG   ? -EMSGSIZE
				   : -EBADMSG;
}

/* ------------------------------------------------------------------------
 * message shape
 */

static bool _strish(const msgpack_object *o, const char **p, size_t *n)
{
	if (o->type == MSGPACK_OBJECT_STR) {
		*p = o->via.str.ptr;
		*n = o->via.str.size;
		return true;
	}
	if (o->type == MSGPACK_OBJECT_BIN) {
		*p = o->via.bin.ptr;
		*n = o->via.bin.size;
		return true;
	}
	return false;
}

static bool _key_is(const msgpack_object *k, const char *name)
{
	const char *p;
	size_t n;

	return _strish(k, &p, &n) && n == strlen(name) && !memcmp(p, name, n);
}

/* Reads the option map; -EPROTO with s->msg when it is not acceptable. */
static int _option(struct fwd_stream *s, const msgpack_object *o, bool *gzip)
{
	*gzip = false;
	s->chunk = NULL;
	s->chunk_len = 0;
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (o->type != MSGPACK_OBJECT_MAP) {
		_msg(s->msg, sizeof(s->msg), "option is not a map");
		return -EPROTO;
	}
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;
		const msgpack_object *v = &o->via.map.ptr[i].val;
		const char *p;
		size_t n;

		if (_key_is(k, "chunk")) {
			if (v->type == MSGPACK_OBJECT_NIL)
				continue;
			if (!_strish(v, &p, &n) || n == 0 ||
			    n > FWD_MAX_CHUNK) {
				_msg(s->msg, sizeof(s->msg),
				    "option chunk is not a string of 1..%d bytes",
				    FWD_MAX_CHUNK);
				return -EPROTO;
			}
			s->chunk = p;
			s->chunk_len = n;
		} else if (_key_is(k, "compressed")) {
			if (v->type == MSGPACK_OBJECT_NIL)
				continue;
			if (_strish(v, &p, &n) && n == 4 &&
			    !memcmp(p, "gzip", 4)) {
				*gzip = true;
			} else if (!(_strish(v, &p, &n) && n == 4 &&
				       !memcmp(p, "text", 4))) {
				_msg(s->msg, sizeof(s->msg),
				    "option compressed: only \"gzip\" and \"text\" are supported");
				return -EPROTO;
			}
		}
	}
	return 0;
}

/* Inflates s->packed (gzip, possibly several members) into s->zbuf, at
 * most max_buffered bytes. 0, -EBADMSG or -EMSGSIZE (s->msg). */
static int _inflate(struct fwd_stream *s, struct mp_stats *st)
{
	const size_t max = s->lim.max_buffered;
	z_stream *z = s->z;
	size_t out = 0;
	int zr;

	if (!z) {
		z = calloc(1, sizeof(*z));
		if (!z || inflateInit2(z, 16 + MAX_WBITS) != Z_OK) {
			free(z);
			_msg(s->msg, sizeof(s->msg), "out of memory (zlib)");
			return -ENOMEM;
		}
		s->z = z;
	} else if (inflateReset(z) != Z_OK) {
		_msg(s->msg, sizeof(s->msg), "zlib reset failed");
		return -ENOMEM;
	}
	z->next_in = (Bytef *)(uintptr_t)s->packed;
	z->avail_in = (uInt)s->packed_len;
	for (;;) {
		if (out == s->zcap) {
			size_t cap = s->zcap ? s->zcap * 2 : 4 * s->packed_len;
			char *nb;

			if (cap < _BUF_MIN)
				cap = _BUF_MIN;
			if (cap > max + 1)
				cap = max +
				    1; /* one byte over: detects the cap */
			if (cap <= s->zcap) {
				_msg(s->msg, sizeof(s->msg),
				    "gzip data inflates past %zu bytes", max);
				if (st)
					st->fwd_bombs++;
				return -EMSGSIZE;
			}
			nb = realloc(s->zbuf, cap);
			if (!nb) {
				_msg(s->msg, sizeof(s->msg), "out of memory");
				return -ENOMEM;
			}
			s->zbuf = nb;
			s->zcap = cap;
		}
		z->next_out = (Bytef *)s->zbuf + out;
		z->avail_out = (uInt)(s->zcap - out);
		zr = inflate(z, Z_NO_FLUSH);
		out = s->zcap - z->avail_out;
		if (out > max) {
			_msg(s->msg, sizeof(s->msg),
			    "gzip data inflates past %zu bytes", max);
			if (st)
				st->fwd_bombs++;
			return -EMSGSIZE;
		}
		if (zr == Z_STREAM_END) {
			if (z->avail_in == 0)
				break;
			if (inflateReset(z) != Z_OK) /* next gzip member */
				break;
			continue;
		}
		if (zr == Z_OK)
			continue;
		if (zr == Z_BUF_ERROR && z->avail_out == 0)
			continue;
		_msg(s->msg, sizeof(s->msg), "gzip data does not inflate (%s)",
		    zr == Z_BUF_ERROR ? "truncated"
			: z->msg      ? z->msg
				      : "error");
		return -EBADMSG;
	}
	if (st)
		st->fwd_inflated += out;
	s->packed = s->zbuf;
	s->packed_len = s->zlen = out;
	return 0;
}

/* Pre-scans the whole packed stream: a sequence of complete objects. */
static int _scan_packed(struct fwd_stream *s, enum evt_reason *why)
{
	size_t at = 0;
	char m[160];

	while (at < s->packed_len) {
		struct mp_scan sc;
		int r;

		mp_scan_reset(&sc);
		r = mp_scan_object(&sc, &s->lim, s->packed + at,
		    s->packed_len - at, why, m, sizeof(m));
		if (r == MP_SCAN_MORE) {
			*why = EVT_R_MALFORMED;
			_msg(s->msg, sizeof(s->msg),
			    "packed entry at byte %zu is truncated", at);
			return -EBADMSG;
		}
		if (r == MP_SCAN_ERROR) {
			_msg(s->msg, sizeof(s->msg),
			    "packed entry at byte %zu: %s", at, m);
			return _errno_of(*why);
		}
		at += sc.pos;
	}
	return 0;
}

/*
 * Unpacks the scanned message p[0..size) into s->zone and sets up the
 * delivery view. `again`: the same message re-opened from mbuf after a
 * pause (no inflation or packed scan; position kept). Returns 1 for a
 * heartbeat (nil), 0 when ready, <0 fatal (why, s->msg).
 */
static int _open(struct fwd_stream *s, const char *p, size_t size, bool again,
    struct mp_stats *st, enum evt_reason *why)
{
	const msgpack_object *a;
	msgpack_unpack_return u;
	size_t off = 0, n;
	bool gzip = false;
	int rc;

	*why = EVT_R_MALFORMED;
	if (!s->zone_ok) {
		s->zone_ok = msgpack_zone_init(&s->zone, _ZONE_CHUNK);
		if (!s->zone_ok) {
			_msg(s->msg, sizeof(s->msg), "out of memory");
			*why = EVT_R_TOO_BIG;
			return -ENOMEM;
		}
	}
	msgpack_zone_clear(&s->zone);
	u = msgpack_unpack(p, size, &off, &s->zone, &s->root);
	if (u != MSGPACK_UNPACK_SUCCESS || off != size) {
		_msg(s->msg, sizeof(s->msg),
		    "msgpack-c refused the message (%d)", (int)u);
		*why = u == MSGPACK_UNPACK_NOMEM_ERROR ? EVT_R_TOO_BIG
						       : EVT_R_MALFORMED;
		return u == MSGPACK_UNPACK_NOMEM_ERROR ? -ENOMEM : -EBADMSG;
	}
	if (s->root.type == MSGPACK_OBJECT_NIL)
		return 1;
	if (s->root.type != MSGPACK_OBJECT_ARRAY ||
	    s->root.via.array.size < 2 || s->root.via.array.size > 4) {
		_msg(s->msg, sizeof(s->msg),
		    "not a forward message: expected an array [tag, ...] of 2 to 4 elements");
		return -EPROTO;
	}
	a = s->root.via.array.ptr;
	n = s->root.via.array.size;
	if (!_strish(&a[0], &s->tag, &s->tag_len)) {
		_msg(s->msg, sizeof(s->msg),
		    "forward message: tag is not a string");
		return -EPROTO;
	}
	if (!s->tag)
		s->tag = ""; /* msgpack-c leaves an empty string's ptr NULL */
	if (a[1].type == MSGPACK_OBJECT_ARRAY) {
		s->mode = FWD_FORWARD;
		s->entries = a[1].via.array.ptr;
		s->n_entries = a[1].via.array.size;
		if (n > 3)
			goto shape;
	} else if (a[1].type == MSGPACK_OBJECT_STR ||
	    a[1].type == MSGPACK_OBJECT_BIN) {
		s->mode = FWD_PACKED;
		_strish(&a[1], &s->packed, &s->packed_len);
		if (n > 3)
			goto shape;
	} else {
		/* Message: [tag, time, record, option?] */
		s->mode = FWD_MESSAGE;
		s->n_entries = 1;
		if (n < 3)
			goto shape;
	}
	rc = _option(s,
	    s->mode == FWD_MESSAGE ? (n == 4 ? &a[3] : NULL)
				   : (n == 3 ? &a[2] : NULL),
	    &gzip);
	if (rc < 0)
		return rc;
	if (s->mode == FWD_PACKED && gzip) {
		s->mode = FWD_COMPRESSED;
		if (again) {
			/* inflated bytes kept in zbuf across the pause */
			s->packed = s->zbuf;
			s->packed_len = s->zlen;
			return 0;
		}
		if ((rc = _inflate(s, st)) < 0) {
			*why = rc == -EBADMSG ? EVT_R_MALFORMED : EVT_R_TOO_BIG;
			return rc;
		}
	}
	if (!again && (s->mode == FWD_PACKED || s->mode == FWD_COMPRESSED))
		return _scan_packed(s, why);
	return 0;
shape:
	_msg(s->msg, sizeof(s->msg),
	    "not a forward message: %u elements for the %s form",
	    s->root.via.array.size,
	    s->mode == FWD_MESSAGE ? "message" : "forward/packed");
	return -EPROTO;
}

/* ------------------------------------------------------------------------
 * events
 */

/*
 * The entry's time to ms. *has false for nil/0 ("no time"). Returns EVT_OK
 * or the reason (s->msg).
 */
static enum evt_reason _time(struct fwd_stream *s, const msgpack_object *t,
    int64_t *ms, bool *has)
{
	*has = false;
	/* Fluent Bit 2.x: [time, metadata] */
	if (t->type == MSGPACK_OBJECT_ARRAY && t->via.array.size == 2 &&
	    t->via.array.ptr[1].type == MSGPACK_OBJECT_MAP &&
	    t->via.array.ptr[0].type != MSGPACK_OBJECT_ARRAY)
		t = &t->via.array.ptr[0];
	switch (t->type) {
	case MSGPACK_OBJECT_NIL: return EVT_OK;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (t->via.u64 == 0)
			return EVT_OK;
		*ms = evf_time_ms((double)t->via.u64, true,
		    t->via.u64 > INT64_MAX ? INT64_MAX : (int64_t)t->via.u64);
		*has = true;
		return EVT_OK;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*ms = evf_time_ms((double)t->via.i64, true, t->via.i64);
		*has = true;
		return EVT_OK;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (!isfinite(t->via.f64)) {
			_msg(s->msg, sizeof(s->msg),
			    "entry time is not finite");
			return EVT_R_BAD_NUMBER;
		}
		if (t->via.f64 == 0)
			return EVT_OK;
		*ms = evf_time_ms(t->via.f64, false, 0);
		*has = true;
		return EVT_OK;
	case MSGPACK_OBJECT_EXT: {
		const unsigned char *b = (const unsigned char *)t->via.ext.ptr;
		uint32_t sec, ns;

		if (t->via.ext.type != 0) {
			_msg(s->msg, sizeof(s->msg),
			    "entry time: ext type %d (EventTime is type 0)",
			    t->via.ext.type);
			return EVT_R_BAD_FIELD_TYPE;
		}
		if (t->via.ext.size != 8) {
			_msg(s->msg, sizeof(s->msg),
			    "entry time: EventTime of %u bytes (expected 8)",
			    t->via.ext.size);
			return EVT_R_BAD_TIME;
		}
		sec = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3];
		ns = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
		    (uint32_t)b[6] << 8 | b[7];
		if (ns > 999999999u) {
			_msg(s->msg, sizeof(s->msg),
			    "entry time: EventTime nanoseconds %" PRIu32
			    " out of range",
			    ns);
			return EVT_R_BAD_TIME;
		}
		*ms = (int64_t)sec * 1000 + (ns + 500000) / 1000000;
		*has = true;
		return EVT_OK;
	}
	default:
		_msg(s->msg, sizeof(s->msg),
		    "entry time is not a number or EventTime");
		return EVT_R_BAD_FIELD_TYPE;
	}
}

/* One entry ([time, record], or Message mode's two elements) to an event.
 * Returns the callback's answer (nonzero: not taken). */
static int _entry(struct fwd_stream *s, const struct _sink *k,
    const msgpack_object *entry, const msgpack_object *t,
    const msgpack_object *rec, size_t index, const char *raw, size_t raw_len)
{
	struct evt_input in;
	struct evt_record out;
	const char *field = NULL;
	enum evt_reason r = EVT_OK;
	struct fwd_event ev;
	int stop;

	if (entry) {
		if (entry->type != MSGPACK_OBJECT_ARRAY ||
		    entry->via.array.size != 2) {
			_msg(s->msg, sizeof(s->msg),
			    "entry %zu is not [time, record]", index);
			r = EVT_R_MALFORMED;
		} else {
			t = &entry->via.array.ptr[0];
			rec = &entry->via.array.ptr[1];
		}
	}
	if (r == EVT_OK)
		r = mp_event_input(rec, &s->lim, &s->ids, &in, s->msg,
		    sizeof(s->msg));
	if (r == EVT_OK && in.bad == EVT_OK) {
		int64_t ms = 0;
		bool has;
		enum evt_reason tr = _time(s, t, &ms, &has);

		if (tr != EVT_OK) {
			in.bad = tr;
			in.bad_field = "time";
		} else if (has && !in.has_time_ms && !in.timestamp_str.p) {
			in.has_time_ms = true;
			in.time_ms = ms;
		}
	}
	if (r == EVT_OK) {
		r = evt_build(&in, &s->lim.evt, &out, &field);
		if (r != EVT_OK && in.bad == EVT_OK)
			_msg(s->msg, sizeof(s->msg), "%s%s%s",
			    evt_reason_name(r), field ? ": " : "",
			    field ? field : "");
	}
	ev = (struct fwd_event){
		.ev = { .reason = r,
		    .rec = r == EVT_OK ? &out : NULL,
		    .field = field,
		    .msg = r == EVT_OK ? "" : s->msg,
		    .index = index,
		    .raw = raw,
		    .raw_len = raw_len },
		.mode = s->mode,
		.tag = s->tag,
		.tag_len = s->tag_len,
		.chunk = s->chunk,
		.chunk_len = s->chunk_len,
	};
	stop = k->cb(k->ctx, &ev);
	if (!stop && k->st) {
		k->st->events++;
		k->st->reason[r]++;
	}
	return stop;
}

/* Hands the events of the open message from s->next. 0 done (acked), 1
 * paused. */
static int _deliver(struct fwd_stream *s, const struct _sink *k,
    const char *raw, size_t raw_len)
{
	switch (s->mode) {
	case FWD_MESSAGE:
		if (s->next == 0) {
			const msgpack_object *a = s->root.via.array.ptr;

			if (_entry(s, k, NULL, &a[1], &a[2], 0, raw, raw_len))
				return 1;
			s->next = 1;
		}
		break;
	case FWD_FORWARD:
		for (; s->next < s->n_entries; s->next++)
			if (_entry(s, k, &s->entries[s->next], NULL, NULL,
				s->next, raw, raw_len))
				return 1;
		break;
	case FWD_PACKED:
	case FWD_COMPRESSED:
		while (s->off < s->packed_len) {
			struct mp_scan sc;
			enum evt_reason why;
			msgpack_object e;
			size_t size, used = 0;
			const char *p = s->packed + s->off;
			msgpack_unpack_return u;

			/* Scanned whole at open: this only finds the size. */
			mp_scan_reset(&sc);
			if (mp_scan_object(&sc, &s->lim, p,
				s->packed_len - s->off, &why, NULL,
				0) != MP_SCAN_DONE)
				break; /* cannot happen: scanned at open */
			size = sc.pos;
			if (!s->ezone_ok)
				s->ezone_ok =
				    msgpack_zone_init(&s->ezone, _ZONE_CHUNK);
			if (s->ezone_ok)
				msgpack_zone_clear(&s->ezone);
			u = s->ezone_ok
			    ? msgpack_unpack(p, size, &used, &s->ezone, &e)
			    : MSGPACK_UNPACK_NOMEM_ERROR;
			if (u != MSGPACK_UNPACK_SUCCESS || used != size) {
				/* The scanner and msgpack-c disagree (or no
				 * memory): reject this entry, keep going. */
				static const msgpack_object nil = {
					.type = MSGPACK_OBJECT_NIL
				};

				e = nil;
			}
			if (_entry(s, k, &e, NULL, NULL, s->next, p, size))
				return 1;
			s->off += size;
			s->next++;
		}
		break;
	case FWD_MODE_COUNT: break;
	}
	if (k->st) {
		k->st->objects++;
		k->st->fwd_messages++;
	}
	if (s->chunk && k->ack) {
		k->ack(k->ctx, s->chunk, s->chunk_len);
		if (k->st)
			k->st->fwd_acks++;
	}
	s->active = false;
	return 0;
}

/* The message paused at p[0..size): keep its bytes in mbuf and re-open it
 * there (same bytes, same structure, position kept). */
static int _park(struct fwd_stream *s, const struct _sink *k, const char *p,
    size_t size)
{
	enum evt_reason why;
	int rc;

	if (size > s->mcap) {
		char *nb = realloc(s->mbuf, size);

		if (!nb) {
			_msg(s->msg, sizeof(s->msg), "out of memory");
			return _fatal(s, k, EVT_R_TOO_BIG, -ENOMEM, p, size);
		}
		s->mbuf = nb;
		s->mcap = size;
	}
	if (p != s->mbuf)
		memmove(s->mbuf, p, size);
	s->mlen = size;
	rc = _open(s, s->mbuf, size, true, NULL, &why);
	if (rc != 0) /* cannot happen: it opened once already */
		return _fatal(s, k, why, rc < 0 ? rc : -EBADMSG, p, size);
	s->active = true;
	return 1;
}

/* A complete scanned message at p[0..size): open, deliver. 0, 1 paused
 * (parked), <0 fatal. */
static int _message(struct fwd_stream *s, const struct _sink *k, const char *p,
    size_t size)
{
	enum evt_reason why;
	int rc = _open(s, p, size, false, k->st, &why);

	if (rc == 1) {
		if (k->st) {
			k->st->objects++;
			k->st->fwd_heartbeats++;
		}
		return 0;
	}
	if (rc < 0) {
		if (rc == -EPROTO)
			why = EVT_R_MALFORMED;
		return _fatal(s, k, why, rc, p, size);
	}
	s->next = 0;
	s->off = 0;
	s->active = true;
	if (_deliver(s, k, p, size) == 0)
		return 0;
	return _park(s, k, p, size);
}

/*
 * Every complete message of p[0..n), resuming the scan in s->scan.
 * *used: bytes consumed (messages done or parked). 0: stopped at a
 * partial message or at n; 1 paused; <0 fatal.
 */
static int _process(struct fwd_stream *s, const struct _sink *k, const char *p,
    size_t n, size_t *used)
{
	size_t at = 0;

	while (at < n) {
		enum evt_reason why = EVT_R_MALFORMED;
		int r = mp_scan_object(&s->scan, &s->lim, p + at, n - at, &why,
		    s->msg, sizeof(s->msg));
		size_t size = s->scan.pos;

		if (r == MP_SCAN_MORE)
			break;
		if (r == MP_SCAN_ERROR) {
			*used = at;
			return _fatal(s, k, why, _errno_of(why), p + at,
			    n - at);
		}
		mp_scan_reset(&s->scan);
		r = _message(s, k, p + at, size);
		at += size;
		if (r != 0) {
			*used = at;
			return r;
		}
	}
	*used = at;
	return 0;
}

/* Appends to the held bytes; the parked message counts against
 * max_buffered too. */
static int _hold(struct fwd_stream *s, const struct _sink *k, const char *p,
    size_t n)
{
	size_t max = s->lim.max_buffered, parked = s->active ? s->mlen : 0;

	if (n == 0)
		return 0;
	if (parked > max || n > max - parked - s->len) {
		_msg(s->msg, sizeof(s->msg),
		    "more than %zu bytes held for the connection", max);
		return _fatal(s, k, EVT_R_TOO_BIG, -ENOBUFS, p, n);
	}
	if (hb_append(&s->buf, &s->len, &s->cap, p, n, max)) {
		_msg(s->msg, sizeof(s->msg), "out of memory");
		return _fatal(s, k, EVT_R_TOO_BIG, -ENOMEM, p, n);
	}
	return 0;
}

static void _drop(struct fwd_stream *s, size_t n)
{
	hb_drop(&s->buf, &s->len, &s->cap, n);
}

static int _process_held(struct fwd_stream *s, const struct _sink *k)
{
	size_t used = 0;
	int rc = _process(s, k, s->buf, s->len, &used);

	if (rc < 0)
		return rc;
	_drop(s, used);
	return rc;
}

int fwd_stream_feed(struct fwd_stream *s, const char *bytes, size_t n,
    fwd_event_cb on_event, fwd_ack_cb on_ack, void *ctx, struct mp_stats *st)
{
	const struct _sink k = { on_event, on_ack, ctx, st };
	size_t used = 0;
	int rc;

	if (s->error)
		return s->error;
	if (!on_event || (!bytes && n)) {
		_msg(s->msg, sizeof(s->msg), "bad arguments");
		return -EINVAL;
	}
	if (st)
		st->bytes += n;
	if (s->active) {
		/* Resume the parked message. */
		if (_deliver(s, &k, s->mbuf, s->mlen) == 1)
			return _hold(s, &k, bytes, n) < 0 ? s->error : 1;
		/* Bytes that followed it, then the new ones. */
		if (s->len > 0 && (rc = _process_held(s, &k)) != 0)
			return rc < 0			 ? rc
			    : _hold(s, &k, bytes, n) < 0 ? s->error
							 : 1;
	}
	/* A partial message is held: add just what its scan says it needs,
	 * so the held bytes stay within one message. */
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
		if (rc == 1)
			return _hold(s, &k, bytes, n) < 0 ? s->error : 1;
	}
	if (n == 0)
		return 0;
	/* Nothing held: decode straight from the caller's bytes and keep
	 * only the tail. */
	rc = _process(s, &k, bytes, n, &used);
	if (rc < 0)
		return rc;
	if (used < n && _hold(s, &k, bytes + used, n - used) < 0)
		return s->error;
	return rc;
}

/* ------------------------------------------------------------------------
 * shared-key handshake
 */

/* hex(sha512(salt + host + nonce + key)) into out[129]. */
static void _digest(char out[2 * crypto_hash_sha512_BYTES + 1],
    const char *salt, size_t salt_len, const char *host, size_t host_len,
    const struct fwd_auth *au)
{
	unsigned char h[crypto_hash_sha512_BYTES];
	crypto_hash_sha512_state st;

	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, (const unsigned char *)salt, salt_len);
	crypto_hash_sha512_update(&st, (const unsigned char *)host, host_len);
	crypto_hash_sha512_update(&st, au->nonce, FWD_NONCE_LEN);
	crypto_hash_sha512_update(&st, (const unsigned char *)au->key,
	    au->key_len);
	crypto_hash_sha512_final(&st, h);
	sodium_bin2hex(out, 2 * crypto_hash_sha512_BYTES + 1, h, sizeof(h));
	sodium_memzero(h, sizeof(h));
}

/* The packed bytes of sb into buf; 0 when they do not fit. */
static size_t _copy_out(char *buf, size_t cap, const msgpack_sbuffer *sb)
{
	if (sb->size > cap)
		return 0;
	memcpy(buf, sb->data, sb->size);
	return sb->size;
}

static void _pack_str(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

size_t fwd_helo_encode(char *buf, size_t cap, const struct fwd_auth *au)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t n;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 2);
	_pack_str(&pk, "HELO", 4);
	msgpack_pack_map(&pk, 3);
	_pack_str(&pk, "nonce", 5);
	msgpack_pack_bin(&pk, FWD_NONCE_LEN);
	msgpack_pack_bin_body(&pk, au->nonce, FWD_NONCE_LEN);
	_pack_str(&pk, "auth", 4);
	_pack_str(&pk, "", 0);
	_pack_str(&pk, "keepalive", 9);
	msgpack_pack_true(&pk);
	n = _copy_out(buf, cap, &sb);
	msgpack_sbuffer_destroy(&sb);
	return n;
}

/* Fails the PING with a reason; returns `size`. */
static size_t _ping_fail(struct fwd_ping *pg, size_t size, const char *why)
{
	pg->ok = false;
	snprintf(pg->reason, sizeof(pg->reason), "%s", why);
	return size;
}

/* The checks of an unpacked PING (contract in forward.h). */
static void _ping_check(const struct fwd_auth *au, const msgpack_object *o,
    struct fwd_ping *pg)
{
	const msgpack_object *a = o->via.array.ptr;
	const char *host, *salt, *dig, *user, *pass;
	size_t host_len, salt_len, dig_len, user_len, pass_len;
	char want[2 * crypto_hash_sha512_BYTES + 1], got[sizeof(want)];

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 6 ||
	    !_strish(&a[0], &host, &host_len) || host_len != 4 ||
	    memcmp(host, "PING", 4)) {
		_ping_fail(pg, 0, "expected PING");
		return;
	}
	if (!_strish(&a[1], &host, &host_len) ||
	    !_strish(&a[2], &salt, &salt_len) ||
	    !_strish(&a[3], &dig, &dig_len) ||
	    !_strish(&a[4], &user, &user_len) ||
	    !_strish(&a[5], &pass, &pass_len)) {
		_ping_fail(pg, 0, "PING fields must be strings");
		return;
	}
	if (host_len > FWD_HOSTNAME_MAX || salt_len == 0 ||
	    salt_len > FWD_SALT_MAX) {
		_ping_fail(pg, 0, "PING hostname or salt of a bad length");
		return;
	}
	memcpy(pg->salt, salt, salt_len);
	pg->salt_len = salt_len;
	_digest(want, salt, salt_len, host, host_len, au);
	if (dig_len != 2 * crypto_hash_sha512_BYTES) {
		_ping_fail(pg, 0, "shared key mismatch");
		return;
	}
	for (size_t i = 0; i < dig_len; i++) /* accept uppercase hex */
		got[i] = (char)(dig[i] >= 'A' && dig[i] <= 'F' ? dig[i] + 32
							       : dig[i]);
	if (sodium_memcmp(want, got, dig_len) != 0) {
		_ping_fail(pg, 0, "shared key mismatch");
		return;
	}
	pg->ok = true;
	pg->reason[0] = '\0';
}

size_t fwd_ping_read(const struct fwd_auth *au, const char *p, size_t n,
    struct fwd_ping *pg)
{
	struct mp_limits lim = mp_limits_default();
	struct mp_scan sc;
	enum evt_reason why;
	msgpack_zone zone;
	msgpack_object o;
	size_t off = 0;
	int r;

	memset(pg, 0, sizeof(*pg));
	lim.max_object_bytes = FWD_PING_MAX;
	lim.max_events = 8;
	lim = mp_limits_clamp(&lim);
	mp_scan_reset(&sc);
	r = mp_scan_object(&sc, &lim, p, n, &why, NULL, 0);
	if (r == MP_SCAN_MORE)
		return n < FWD_PING_MAX ? 0
					: _ping_fail(pg, n, "PING too long");
	if (r == MP_SCAN_ERROR)
		return _ping_fail(pg, n, "not a msgpack PING");
	if (!msgpack_zone_init(&zone, _ZONE_CHUNK))
		return _ping_fail(pg, n, "out of memory");
	if (msgpack_unpack(p, sc.pos, &off, &zone, &o) !=
	    MSGPACK_UNPACK_SUCCESS)
		_ping_fail(pg, 0, "not a msgpack PING");
	else
		_ping_check(au, &o, pg);
	msgpack_zone_destroy(&zone);
	return sc.pos;
}

size_t fwd_pong_encode(char *buf, size_t cap, const struct fwd_auth *au,
    const struct fwd_ping *pg)
{
	char dig[2 * crypto_hash_sha512_BYTES + 1] = "";
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t n;

	if (au->hostname_len > FWD_HOSTNAME_MAX)
		return 0;
	if (pg->ok)
		_digest(dig, pg->salt, pg->salt_len, au->hostname,
		    au->hostname_len, au);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 5);
	_pack_str(&pk, "PONG", 4);
	if (pg->ok)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	_pack_str(&pk, pg->reason, strlen(pg->reason));
	_pack_str(&pk, au->hostname, au->hostname_len);
	_pack_str(&pk, dig, strlen(dig));
	n = _copy_out(buf, cap, &sb);
	msgpack_sbuffer_destroy(&sb);
	return n;
}
