/*
 * mpack: msgpack event decoding for the network acceptor (UDP datagrams, TCP
 * streams) and for tests: bytes -> bounded structural pre-scan -> msgpack-c
 * unpack -> struct evt_input -> evt_build() -> struct evt_record.
 *
 * Three layers, each usable alone:
 *
 *  1. mp_event_input(): one already-unpacked msgpack map to an evt_input,
 *     with the field names, aliases and rules of the JSON mapper (ipc/json.h,
 *     json_event_input) plus the encodings only msgpack has (see below).
 *
 *  2. struct mp_decoder / mp_decode_buffer(): a complete buffer (one UDP
 *     datagram) holding one or more top-level objects, each an event map or
 *     an array of event maps. Every event is built with evt_build() and
 *     handed to a callback, accepted or rejected.
 *
 *  3. struct mp_stream: the same for a TCP byte stream cut at arbitrary
 *     points; objects split across reads are reassembled. Structural errors
 *     are fatal for the connection; per-event rejections are not.
 *
 * Hostile input. Before msgpack-c sees a byte, a pre-scanner walks the
 * msgpack structure and checks every declared length and element count
 * against the bytes that can still follow and against struct mp_limits:
 * a container declaring n elements needs at least n more bytes (2n for a
 * map), a str/bin/ext its whole body. msgpack-c allocates from its zone per
 * declared element, so only structures whose declared sizes are backed by
 * real bytes reach it: its memory is bounded by a small multiple of
 * max_object_bytes (at most 48 bytes per input byte), never by a declared
 * count. The scanner is resumable: a stream fed one byte at a time costs
 * O(total bytes), not O(n^2).
 *
 * Threads and processes: no globals; a decoder or stream belongs to one
 * thread at a time. Any process may call anything here. Nothing logs.
 */
#ifndef PENCHANT_IPC_MPACK_H
#define PENCHANT_IPC_MPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "engine/event.h"
#include "ipc/evfield.h"

#define MP_DEFAULT_MAX_OBJECT (256u * 1024u)
#define MP_DEFAULT_MAX_DEPTH EVF_MAX_DEPTH
#define MP_DEFAULT_MAX_EVENTS 1024
#define MP_DEFAULT_MAX_KEYS EVF_MAX_KEYS
#define MP_DEFAULT_MAX_BUFFERED (512u * 1024u)
/* Hard ceiling for max_depth, and the nesting of a whole top-level object
 * (msgpack-c's own stack holds 32 levels): deeper objects are structural
 * errors; a record deeper than max_depth is one rejected event. */
#define MP_MAX_DEPTH 32
/* mp_event.index of a rejection that concerns a whole object or buffer. */
#define MP_NO_INDEX ((size_t)-1)

/*
 * Caps. Start from mp_limits_default() and change fields; values are clamped
 * when used: max_depth to 1..MP_MAX_DEPTH, max_buffered to at least
 * max_object_bytes, zero counts/sizes mean the default.
 */
struct mp_limits {
	size_t max_object_bytes; /* one top-level object (default 256 KiB) */
	unsigned max_depth;	 /* nested maps/arrays of one event, the
	                          * event map = 1 (8) */
	size_t max_events;	 /* elements of any array: events per
	                          * object or datagram (1024) */
	size_t max_keys;	 /* pairs of any map of an event (64) */
	size_t max_buffered;	 /* stream: bytes held per connection,
	                          * partial object plus paused data (512 KiB) */
	struct evt_limits evt;	 /* passed to evt_build() */
};
struct mp_limits mp_limits_default(void);

/*
 * Counters, plain integers owned by the caller (copy them to shared memory
 * if they must be seen elsewhere). reason[EVT_OK] counts accepted events;
 * reason[r] counts rejections of reason r: one per rejected event, or one
 * per rejected object/buffer when the structure itself was refused (then no
 * event of it is counted). Add to them; nothing here resets them.
 */
struct mp_stats {
	uint64_t buffers; /* mp_decode_buffer / mp_decoder_buffer calls */
	uint64_t bytes;	  /* bytes given to buffers and streams */
	uint64_t objects; /* complete top-level objects decoded */
	uint64_t events;  /* event slots seen: reason[] summed per event */
	uint64_t fatal;	  /* streams that hit a fatal protocol error */
	uint64_t reason[EVT_REASON_COUNT];
	/* Fluentd forward protocol only (ipc/forward.h); 0 elsewhere. */
	uint64_t fwd_messages;	 /* forward messages whose events were all
	                        * taken (objects counts them too) */
	uint64_t fwd_heartbeats; /* nil objects (client health checks) */
	uint64_t fwd_acks;	 /* acks produced (messages with "chunk") */
	uint64_t fwd_inflated;	 /* bytes produced by gzip inflation */
	uint64_t fwd_bombs;	 /* messages refused for inflating past the
	                        * cap (also counted as reason TOO_BIG) */
};

/* What the callback receives, once per event, accepted or rejected. */
struct mp_event {
	enum evt_reason reason;	      /* EVT_OK: rec is valid */
	const struct evt_record *rec; /* NULL unless EVT_OK; seq is 0 */
	const char *field;	      /* field the rejection names, or NULL */
	const char *msg;	      /* "" when accepted, else why */
	size_t index;		      /* element of the top-level array (0 for
	                                * a lone map), MP_NO_INDEX when the
	                                * whole object/buffer was refused */
	bool fatal;		      /* stream: connection must be closed */
	const char *raw;	      /* the top-level object's bytes (or what
	                                * was refused), for sampled logging;
	                                * valid only during the call */
	size_t raw_len;
};

/*
 * Called for every event. Return 0 when the event was taken. A nonzero
 * return means "not taken, stop here": a stream pauses and hands the same
 * event again on the next mp_stream_feed() (with n == 0 to just resume);
 * mp_decode_buffer() stops the buffer (the rest is neither delivered nor
 * counted). The return value is ignored when ev->index == MP_NO_INDEX.
 * Every pointer in *ev is valid only during the call.
 */
typedef int (*mp_event_cb)(void *ctx, const struct mp_event *ev);

/*
 * Storage for the decimal text of integer ids (user/session/entity ids may
 * be msgpack integers: their text is the id, so 42 and "42" are one id).
 * evt_input borrows it: keep it alive with the evt_input.
 */
struct mp_idtext {
	char text[3][24];
};

/*
 * Maps one unpacked msgpack map to *out (zeroed first).
 *
 * Field names and aliases, nesting ("context", "metadata", "location" maps
 * are read like the top level), "last one wins", nil == absent, unknown
 * fields ignored, and the timestamp rule are those of json_event_input() in
 * ipc/json.h. msgpack specifics:
 *  - keys may be str or bin; other keys are ignored as unknown;
 *  - str and bin values are both strings (borrowed from the unpacked
 *    object, which borrows the input buffer);
 *  - integers of every width and sign, float32 and float64 are numbers;
 *    user/session/entity ids may be integers (text written into *ids);
 *  - timestamp: integer (|v| >= 1e11 is ms, else seconds), float (integral
 *    and |v| >= 1e11 is ms, else seconds, rounded to ms), RFC 3339 str/bin
 *    (parsed by evt_build), or the msgpack timestamp extension (type -1, 4,
 *    8 or 12 bytes) rounded to the nearest ms; NaN/inf -> EVT_R_BAD_NUMBER,
 *    a malformed extension (other size, nanoseconds > 999999999) ->
 *    EVT_R_BAD_TIME, both via out->bad;
 *  - bool, array, other ext kinds for a known field: EVT_R_BAD_FIELD_TYPE.
 *
 * Returns EVT_OK when obj is a map within the caps; a value problem is then
 * left in out->bad/out->bad_field (static names) for evt_build() to return,
 * and err says what it was. Returns EVT_R_NOT_MAP when obj is not a map,
 * EVT_R_TOO_BIG when any map of the event (known field or not) has more
 * than lim->max_keys pairs, EVT_R_TOO_DEEP when maps or arrays nest deeper
 * than lim->max_depth counted from obj (the event map is level 1, wherever
 * it sits in the object that carried it; empty containers count). These
 * are the per-event rules of ipc/evfield.h, so one bad event never costs
 * its neighbours. lim NULL = defaults. ids NULL: integer ids are
 * BAD_FIELD_TYPE. err (may be NULL) gets "" or a message.
 */
enum evt_reason mp_event_input(const msgpack_object *obj,
    const struct mp_limits *lim, struct mp_idtext *ids, struct evt_input *out,
    char *err, size_t errlen);

/*
 * A reusable decoder: limits, a msgpack zone cleared per object, scratch.
 * init returns 0 or -ENOMEM; fini releases it (safe after a failed init).
 */
struct mp_decoder {
	struct mp_limits lim; /* clamped copy */
	msgpack_zone zone;
	bool zone_ok;
	struct mp_idtext ids;
	char msg[192];
};
int mp_decoder_init(struct mp_decoder *d, const struct mp_limits *lim);
void mp_decoder_fini(struct mp_decoder *d);

/*
 * Decodes a complete buffer (a UDP datagram): one or more top-level objects
 * back to back, each an event map or an array of event maps. Every event is
 * delivered to cb (may be NULL) and counted in *st (may be NULL).
 *
 * Returns EVT_OK when the whole buffer was structurally sound (individual
 * events may still have been rejected), else the reason the rest of the
 * buffer was refused, also delivered to cb with index MP_NO_INDEX:
 * EVT_R_MALFORMED (invalid byte, truncated object, declared length beyond
 * the buffer, empty buffer), EVT_R_TOO_BIG (object over max_object_bytes,
 * array over max_events), EVT_R_TOO_DEEP (nesting over MP_MAX_DEPTH).
 * Objects before the refused one were delivered. A map over max_keys or an
 * event nested over max_depth rejects that event only (mp_event_input).
 * A top-level object that is not a map or array is one event slot (index
 * 0) rejected with EVT_R_NOT_MAP, and decoding continues; so is an array
 * element that is not a map (with its index).
 */
enum evt_reason mp_decoder_buffer(struct mp_decoder *d, const char *buf,
    size_t len, mp_event_cb cb, void *ctx, struct mp_stats *st);

/* One-shot form of mp_decoder_buffer (a decoder on the stack; lim NULL =
 * defaults). Returns EVT_R_TOO_BIG when the zone cannot be allocated. */
enum evt_reason mp_decode_buffer(const char *buf, size_t len,
    const struct mp_limits *lim, mp_event_cb cb, void *ctx,
    struct mp_stats *st);

/* Resumable pre-scan state of one object; offsets relative to its first
 * byte. Used by mp_decoder_buffer, mp_stream and ipc/forward. */
struct mp_scan {
	size_t pos;		     /* next item to scan */
	unsigned depth;		     /* open containers */
	uint64_t left[MP_MAX_DEPTH]; /* items not yet started, per level
				      * (a map32 declares up to 2^33) */
	uint64_t pending;	     /* sum of left[] */
	size_t need;		     /* when incomplete: lower bound of
	                                 * the object's size */
};

/* The clamped copy of *lim (NULL = defaults) every decoder here works with. */
struct mp_limits mp_limits_clamp(const struct mp_limits *lim);

/*
 * The per-event shape rules (evfield.h) on an unpacked object o at level
 * 1: nested at most lim->max_depth levels, maps of at most lim->max_keys
 * pairs. EVT_OK, EVT_R_TOO_DEEP or EVT_R_TOO_BIG with a message. For
 * other msgpack inputs held to the same rules (the rank API's requests).
 */
enum evt_reason mp_shape(const msgpack_object *o, const struct mp_limits *lim,
    char *err, size_t errlen);

/* Results of mp_scan_object. */
enum { MP_SCAN_DONE = 0, MP_SCAN_MORE = 1, MP_SCAN_ERROR = 2 };

/* Starts the scan of a new object. */
void mp_scan_reset(struct mp_scan *sc);

/*
 * The bounded pre-scan on its own, for decoders of formats built on
 * msgpack (ipc/forward). Scans the object starting at p[0], of which
 * p[0..avail) is available, resuming at sc->pos (call again with the same
 * start and more bytes after MP_SCAN_MORE). lim must be clamped
 * (mp_limits_clamp). Returns MP_SCAN_DONE with sc->pos = the object's size;
 * MP_SCAN_MORE with sc->need = a lower bound of its size (> avail);
 * MP_SCAN_ERROR with *why = EVT_R_MALFORMED (not a msgpack type byte),
 * EVT_R_TOO_BIG (object over max_object_bytes or array over max_events, as
 * declared) or EVT_R_TOO_DEEP (non-empty containers nested over
 * MP_MAX_DEPTH), and msg (may be NULL) saying where. Maps are bounded by
 * the bytes only: max_keys and max_depth are per-event rules, checked by
 * mp_event_input() on the unpacked record, so the object's boundary is
 * known and a bad event can be skipped. Only an object that scanned DONE
 * may be given to msgpack-c.
 */
int mp_scan_object(struct mp_scan *sc, const struct mp_limits *lim,
    const void *p, size_t avail, enum evt_reason *why, char *msg,
    size_t msglen);

/*
 * Streaming decoder for one TCP connection. Internal state; use the calls.
 * Memory: the decoder's zone (a 2 KiB chunk, more only while an object is
 * being decoded) plus the held bytes, allocated only when an object is
 * split across reads or the stream is paused.
 */
struct mp_stream {
	struct mp_decoder dec;
	char *buf; /* held bytes: a partial object, or paused data */
	size_t len, cap;
	struct mp_scan scan; /* of the object at buf[0] */
	bool paused;	     /* buf[0..] starts with an object to resume */
	size_t resume_index; /* event index to hand again */
	int error;	     /* 0, or the fatal negative errno */
	enum evt_reason fatal_reason;
};

/* Returns 0 or -ENOMEM. lim NULL = defaults. */
int mp_stream_init(struct mp_stream *s, const struct mp_limits *lim);
/* Frees the buffer; safe after a failed init and twice. */
void mp_stream_fini(struct mp_stream *s);

/*
 * Feeds bytes[0..n) (any split of the stream; n may be 0 to resume after a
 * pause). Every complete object is decoded and its events handed to cb in
 * order; a trailing partial object is kept (at most max_object_bytes).
 *
 * Returns:
 *   0   all bytes taken;
 *   1   paused: cb returned nonzero; the bytes are kept (the stream holds
 *       at most max_buffered: stop reading the socket until a feed with
 *       n == 0 returns 0);
 *   <0  fatal, the connection must be closed; every later call returns the
 *       same value. -EBADMSG: not msgpack (an invalid byte);
 *       -EMSGSIZE: an object over max_object_bytes or an array over
 *       max_events (declared, before the bytes arrive); -ELOOP: nesting
 *       over MP_MAX_DEPTH; -ENOBUFS: more than
 *       max_buffered bytes held; -ENOMEM: out of memory. The reason
 *       (MALFORMED, TOO_BIG, TOO_DEEP) is counted in st->reason once, in
 *       st->fatal, and delivered to cb with ev->fatal set; mp_stream_error()
 *       returns the message.
 * Per-event rejections are never fatal: they reach cb and st.
 */
int mp_stream_feed(struct mp_stream *s, const char *bytes, size_t n,
    mp_event_cb cb, void *ctx, struct mp_stats *st);

/* Bytes held (a partial object when not paused): nonzero at EOF means the
 * peer stopped mid-object. */
size_t mp_stream_buffered(const struct mp_stream *s);

/* Message of the fatal error, "" when none; *reason (may be NULL) gets its
 * reason. */
const char *mp_stream_error(const struct mp_stream *s, enum evt_reason *reason);

#endif
