/*
 * forward: the Fluentd Forward Protocol v1 (server side, events only) as a
 * pure per-connection stream decoder, plus the ack encoder and a crash-safe
 * "recent chunk ids" set. No sockets, no clock, no globals: the acceptor
 * owns the connection and feeds its bytes here. docs/PROTOCOL.md (section
 * "Fluentd forward protocol") is the user-facing description.
 *
 * What a client sends on the TCP connection, back to back, cut anywhere:
 *
 *   Message          [tag, time, record]           [tag, time, record, option]
 *   Forward          [tag, [[time, record], ...]]  (+ option)
 *   PackedForward    [tag, bin|str: concatenated msgpack [time, record]
 *                     arrays]                      (+ option)
 *   CompressedPackedForward   PackedForward whose bytes are gzip (one or
 *                     more members) and option {"compressed": "gzip"}
 *   heartbeat        nil: ignored (counted in fwd_heartbeats)
 *
 *   tag      str (or bin); handed to the event callback, ignored for
 *            routing (users are routed by user id like every other event).
 *   time     integer (seconds; the evfield rule: |v| >= 1e11 is ms), float
 *            seconds, or EventTime: ext type 0 of 8 bytes, big-endian
 *            uint32 seconds + uint32 nanoseconds (rounded to the nearest
 *            ms). Fluent Bit's [time, metadata-map] pair is accepted as a
 *            time. nil and 0 mean "no time" (Fluentd substitutes its clock;
 *            we have none): the record must then carry its own timestamp.
 *   record   an event map, mapped by mp_event_input() (ipc/mpack.h) exactly
 *            like a plain msgpack event; its own timestamp field, if any,
 *            wins over the entry's time.
 *   option   map or nil; keys: "chunk" (str/bin, 1..FWD_MAX_CHUNK bytes:
 *            the client wants {"ack": chunk} back), "compressed" ("gzip"
 *            or "text"; only meaningful for PackedForward), "size"
 *            (ignored); unknown keys ignored.
 *
 * The shared-key handshake (HELO/PING/PONG, below) is a separate codec:
 * the acceptor runs it before the first byte reaches a stream. User
 * authentication (username/password) is not supported: HELO offers none.
 *
 * Not supported (the connection gets a fatal error or, for JSON, -EBADMSG):
 * in_forward's JSON convenience form, UDP heartbeats (the acceptor may
 * answer them itself).
 *
 * Errors. Two kinds, as in mp_stream:
 *  - fatal (the connection must be closed; a client with acks resends what
 *    was not acked on its next connection): bytes that are not msgpack, a
 *    top-level object that is not a forward message (wrong shape, tag not
 *    a string, entries neither array nor bin/str, option neither map nor
 *    nil, chunk not a string or too long, unknown compression), a packed
 *    stream that is not a sequence of complete msgpack objects, gzip data
 *    that does not inflate, caps exceeded. The whole message is checked
 *    before its first event is delivered, so a message is either refused
 *    whole or all its events are delivered.
 *  - per event (counted, delivered, never fatal, and the message is still
 *    acked: a rejected event is a handled event): an entry that is not
 *    [time, record] (MALFORMED), a record that is not a map (NOT_MAP), a
 *    bad time (BAD_TIME: malformed EventTime or time ext; BAD_FIELD_TYPE:
 *    time of another kind; BAD_NUMBER: NaN/inf float), and every reason of
 *    mp_event_input() and evt_build().
 *
 * Caps (struct mp_limits, clamped like ipc/mpack's):
 *  - max_object_bytes: one forward message as sent (a PackedForward bin
 *    included), and each packed entry. Fluent Bit sends chunks of up to
 *    ~2 MiB: raise it for such senders.
 *  - max_events: elements of any array, so entries of a Forward message;
 *    PackedForward entries are bounded by bytes only.
 *  - max_keys, max_depth: per record, counted from the record map (level
 *    1) wherever it sits in the message (a Forward record is at message
 *    level 4): a record beyond them is one rejected event (TOO_BIG,
 *    TOO_DEEP), the message is still acked. The message as a whole may
 *    nest MP_MAX_DEPTH levels (beyond: fatal, -ELOOP).
 *  - max_buffered: bytes held for the connection (a partial message plus,
 *    while paused, the paused message and what followed it) and, separately,
 *    the inflated size of one compressed message (zip bombs: inflation
 *    stops at the cap, -EMSGSIZE, counted in fwd_bombs and reason TOO_BIG).
 * Memory per stream: the two msgpack zones, the held bytes, the inflated
 * bytes of the current compressed message and zlib's state (~40 KiB, only
 * once a compressed message was seen).
 *
 * Threads and processes: a stream belongs to one thread at a time; any
 * process may call anything here. Nothing logs.
 */
#ifndef PENCHANT_IPC_FORWARD_H
#define PENCHANT_IPC_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "engine/event.h"
#include "ipc/mpack.h"

/* Longest chunk id accepted (Fluentd sends 24 bytes of base64, Fluent Bit
 * 64 hex digits). */
#define FWD_MAX_CHUNK 128
/* Bytes fwd_ack_encode() needs at most. */
#define FWD_ACK_MAX (1 + 4 + 2 + FWD_MAX_CHUNK)

enum fwd_mode {
	FWD_MESSAGE = 0,
	FWD_FORWARD,
	FWD_PACKED,
	FWD_COMPRESSED, /* PackedForward with "compressed": "gzip" */
	FWD_MODE_COUNT
};
const char *fwd_mode_name(enum fwd_mode m);

/*
 * What the event callback receives, once per entry, accepted or rejected,
 * and once with ev.fatal set when the connection hits a fatal error.
 * ev.index is the entry's index within its message (0 for Message mode),
 * MP_NO_INDEX for a fatal error. ev.raw is, for sampled logging, the
 * message as sent (Message, Forward), the entry's bytes (PackedForward,
 * after inflation), or the refused bytes (fatal). Every pointer is valid
 * only during the call.
 */
struct fwd_event {
	struct mp_event ev;
	enum fwd_mode mode;
	const char *tag; /* not NUL-terminated; NULL on a fatal error */
	size_t tag_len;
	const char *chunk; /* the message's chunk option, NULL when none */
	size_t chunk_len;
};

/*
 * Return 0 when the event was taken (accepted and staged, or a rejection
 * counted). Nonzero means "not taken" (ring full): the stream pauses and
 * hands the same event again on the next fwd_stream_feed() (n == 0 to just
 * resume). Ignored for fatal errors.
 */
typedef int (*fwd_event_cb)(void *ctx, const struct fwd_event *ev);

/*
 * Called once per message that carried a "chunk" option, after the event
 * callback took every event of it (returned 0 for each; rejected events
 * count as taken), before any event of the next message. The caller must
 * make every record it staged for this message durable (published to the
 * rings) BEFORE it sends fwd_ack_encode()'s bytes: the ack tells the
 * client it may forget the chunk. chunk is valid only during the call.
 */
typedef void (*fwd_ack_cb)(void *ctx, const char *chunk, size_t len);

/* Streaming decoder of one connection; fields are internal. */
struct fwd_stream {
	struct mp_limits lim; /* clamped */
	msgpack_zone zone;    /* the message */
	msgpack_zone ezone;   /* one packed entry */
	bool zone_ok, ezone_ok;
	struct mp_idtext ids;
	char msg[192];
	/* bytes not yet decoded: a partial message, or what followed a
	 * paused message */
	char *buf;
	size_t len, cap;
	struct mp_scan scan; /* of the message at buf[0] */
	/* the message being delivered while paused */
	bool active;
	char *mbuf; /* its bytes, owned while paused */
	size_t mlen, mcap;
	msgpack_object root;
	enum fwd_mode mode;
	const char *tag, *chunk;
	size_t tag_len, chunk_len;
	const msgpack_object *entries; /* Forward */
	size_t n_entries;
	const char *packed; /* PackedForward: the entry stream */
	size_t packed_len;
	size_t next; /* entry index to hand next */
	size_t off;  /* PackedForward: its byte offset */
	/* inflated PackedForward bytes */
	char *zbuf;
	size_t zlen, zcap;
	void *z;   /* z_stream, allocated on first use */
	int error; /* 0 or the fatal negative errno */
	enum evt_reason fatal_reason;
};

/* Returns 0 or -ENOMEM. lim NULL = defaults (mp_limits_default()). */
int fwd_stream_init(struct fwd_stream *s, const struct mp_limits *lim);
/* Frees everything; safe after a failed init and twice. */
void fwd_stream_fini(struct fwd_stream *s);

/*
 * Feeds bytes[0..n) of the connection (any split; n == 0 to resume after a
 * pause). Complete messages are decoded in order: events to on_event (may
 * not be NULL), then on_ack (may be NULL) for messages with a chunk.
 * Counts in *st (may be NULL): bytes, objects (messages and heartbeats),
 * events and reason[] per taken event, fatal, fwd_*.
 *
 * Returns:
 *   0   all bytes taken (a trailing partial message is held);
 *   1   paused: on_event returned nonzero; the position inside the message
 *       and the bytes after it are kept (stop reading the socket until a
 *       call with n == 0 returns 0; bytes given while paused are held, up
 *       to max_buffered);
 *  <0   fatal, close the connection; every later call returns the same:
 *       -EBADMSG not msgpack, or gzip data that does not inflate;
 *       -EPROTO msgpack but not a forward message (see above);
 *       -EMSGSIZE a cap exceeded (object, array, inflated size);
 *       -ELOOP nesting over MP_MAX_DEPTH; -ENOBUFS more than max_buffered
 *       held; -ENOMEM. Counted once in st->fatal and st->reason[]
 *       (MALFORMED, TOO_BIG, TOO_DEEP) and delivered to on_event with
 *       ev.fatal set; fwd_stream_error() gives the message.
 */
int fwd_stream_feed(struct fwd_stream *s, const char *bytes, size_t n,
    fwd_event_cb on_event, fwd_ack_cb on_ack, void *ctx, struct mp_stats *st);

/* Bytes held, the paused message included: nonzero at EOF means the peer
 * stopped mid-message (its chunk was not acked). */
size_t fwd_stream_buffered(const struct fwd_stream *s);

/* Message of the fatal error, "" when none; *reason (may be NULL) gets its
 * counted reason. */
const char *fwd_stream_error(const struct fwd_stream *s,
    enum evt_reason *reason);

/*
 * Writes the response {"ack": chunk} (a fixmap of one pair, key "ack" as
 * fixstr, value as str8/str16 or fixstr: the form Fluentd's out_forward and
 * Fluent Bit read) into buf. Returns its size, or 0 when cap is too small
 * (FWD_ACK_MAX always suffices for chunks fwd_stream delivers) or len is
 * over FWD_MAX_CHUNK.
 */
size_t fwd_ack_encode(char *buf, size_t cap, const char *chunk, size_t len);

/*
 * The shared-key handshake of the forward protocol v1, server side:
 *
 *   server  ["HELO", {"nonce": bin(16 random bytes), "auth": "",
 *                     "keepalive": true}]
 *   client  ["PING", client_hostname, shared_key_salt,
 *            hex(sha512(shared_key_salt + client_hostname + nonce + key)),
 *            username, password]
 *   server  ["PONG", auth_ok, reason, server_hostname,
 *            hex(sha512(shared_key_salt + server_hostname + nonce + key))
 *            or "" when refused]
 *
 * hex is 128 lowercase hex digits (uppercase accepted from the client).
 * "auth" is empty: no user authentication, so username and password are
 * ignored (they must still be strings). SHA-512 and the comparison come
 * from libsodium (constant time); the caller draws the nonce
 * (randombytes_buf) after sodium_init().
 */
#define FWD_NONCE_LEN 16
#define FWD_PING_MAX 2048     /* bytes of a PING (longer: refused) */
#define FWD_HANDSHAKE_MAX 640 /* bytes fwd_helo/pong_encode need at most */
#define FWD_HOSTNAME_MAX 255  /* longest hostname either side may send */
#define FWD_SALT_MAX 255      /* longest client shared_key_salt */

struct fwd_auth {
	const char *key; /* the shared key */
	size_t key_len;
	const char *hostname; /* server name in PONG */
	size_t hostname_len;  /* at most FWD_HOSTNAME_MAX */
	unsigned char nonce[FWD_NONCE_LEN];
};

/* What a complete PING said. */
struct fwd_ping {
	bool ok;	  /* shared key proven */
	char reason[128]; /* why not, for PONG and logs; "" when ok */
	char salt[FWD_SALT_MAX];
	size_t salt_len; /* the client's salt, for the PONG digest */
};

/* ["HELO", ...] for au's nonce into buf. Its size, or 0 when cap is too
 * small. */
size_t fwd_helo_encode(char *buf, size_t cap, const struct fwd_auth *au);

/*
 * Reads the PING at p[0..n). Returns 0 when more bytes are needed (n <
 * FWD_PING_MAX), or the PING's size with *pg filled: pg->ok when the
 * digest proves the key, else pg->reason says why (wrong key, not a PING,
 * bad field; a PING that cannot be read at all, or over FWD_PING_MAX
 * bytes, is reported the same way with its size = n). The bytes after the
 * PING belong to the forward stream.
 */
size_t fwd_ping_read(const struct fwd_auth *au, const char *p, size_t n,
    struct fwd_ping *pg);

/* ["PONG", ...] answering pg into buf. Its size, or 0 when cap is too
 * small. */
size_t fwd_pong_encode(char *buf, size_t cap, const struct fwd_auth *au,
    const struct fwd_ping *pg);

#endif
