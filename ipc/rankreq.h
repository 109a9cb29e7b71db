/*
 * rankreq: the rank API's wire format. Decodes one rank request, from a
 * JSON body (HTTP) or a msgpack map (the msgpack TCP listener), into what
 * pen_rerank() takes: the user id, a struct pen_context, the candidates
 * (struct pen_candidate, with inline struct pen_item_attrs) and struct
 * pen_rank_options; encodes the ranked answer, or an error, back to JSON
 * or msgpack. docs/API.md is the reference for clients; this header is the
 * contract for the server.
 *
 * Request (field names snake_case or camelCase, as in the event format;
 * unknown fields are ignored; null (nil) is the same as absent; a field
 * given twice in one object, by one name or two, is refused as
 * "duplicate"):
 *
 *   user_id | userId           string (or integer: its decimal text),
 *                              required: 1..max_id_len bytes of UTF-8
 *                              without control bytes
 *   context                    object, optional:
 *     time | timestamp         RFC 3339 string (its offset becomes
 *                              tz_offset unless that is given), or a
 *                              number: ms since the epoch (an integral
 *                              value below 1e11 is seconds, as for
 *                              events), or a msgpack timestamp; absent:
 *                              now. Within 2000-01-01 .. 2100-01-01.
 *     tz_offset | tzOffset | tz_offset_min   minutes east of UTC, +-1080
 *     location {lat, lon} (or lat/lon, latitude/longitude/lng in context
 *                              itself): both or neither, in range
 *     weather, social | socialContext | social_context, device, platform
 *                              strings of at most max_str_len bytes
 *   candidates                 array of 1..max_candidates objects:
 *     entity_id | entityId | id   string (or integer), required, like
 *                              user_id
 *     score                    number, required, finite and >= 0
 *     attributes | attrs       object, optional (absent: the catalog's):
 *       category               string, 1..PEN_NAME_MAX bytes
 *       tags                   array of at most RQ_MAX_TAGS such strings
 *       start_time | startTime | start   time, as context.time
 *       lat, lon (or location {lat, lon})  both or neither
 *       indoor | outdoor       booleans (outdoor is !indoor)
 *       group_friendly | groupFriendly    boolean
 *       added | added_at | addedAt        time, as context.time
 *       devices                array of at most RQ_MAX_DEVICES strings
 *   options                    object, optional:
 *     strategy                 "base" "profile" "context" "explore"
 *                              "diverse" "full" (any case); absent: full
 *     k                        integer 0..max_candidates: results wanted
 *                              (0, absent: all)
 *     seed                     integer 0..2^64-1, or its decimal text
 *     epsilon (0..1), explore_weight | exploreWeight (0..5),
 *     mmr_lambda | mmrLambda (0..1): numbers; serendipity_every |
 *     serendipityEvery: integer 0..1000; absent: the instance's setting
 *
 * Strings of the request must not hold NUL bytes (JSON "\u0000"); every
 * cap and rule above has its own error.
 *
 * Response: {"request_id": 16 hex digits, "strategy": name, "results":
 * [{"entity_id", "index" (into the request's candidates), "score",
 * "moved", "flags": [names], "factors": {affinity confidence time distance
 * weather social device context fatigue novelty explore}}, ...]}, the
 * first k results (all when k is 0) in ranked order. Errors:
 * {"error": "reason: detail", "field": "candidates[3].score" or null,
 * "status": HTTP status}.
 *
 * Hostile input: JSON goes through the strict parser (ipc/json.h) with
 * the token array and scratch sized from the input (never more than
 * max_bytes); msgpack is pre-scanned (mp_scan_object, ipc/mpack.h) before
 * msgpack-c allocates, so every declared count is backed by bytes.
 * Memory held by a decoder is bounded by a small multiple of max_bytes
 * and given back after a large request.
 *
 * Threads: a decoder (and a struct rq_buf) belongs to one thread at a
 * time; everything else is pure. Nothing here logs or touches shared
 * memory. Any process may call anything.
 */
#ifndef PENCHANT_IPC_RANKREQ_H
#define PENCHANT_IPC_RANKREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "penchant.h"

#define RQ_MAX_TAGS 8	 /* tags of an inline candidate (LRN_ITEM_TAGS) */
#define RQ_MAX_DEVICES 8 /* device names of an inline candidate */
#define RQ_MAX_DEPTH 8	 /* nested objects/arrays, the request = 1 */
#define RQ_MAX_KEYS 64	 /* members of any msgpack map */

/* Caps; start from rq_limits_default() (the settings' defaults). */
struct rq_limits {
	unsigned max_candidates; /* max_candidates (2000) */
	size_t max_bytes;	 /* max_request_bytes (1 MiB) */
	size_t max_id_len;	 /* max_id_len: user and entity ids (256) */
	size_t max_str_len;	 /* max_str_len: context strings, devices,
				  * strategy (64) */
};
struct rq_limits rq_limits_default(void);

/*
 * Why a request was refused. status is the HTTP status (400 bad request,
 * 413 too large, 500 out of memory); field is where ("candidates[3].score",
 * "options.strategy"), "" when the request as a whole; msg starts with a
 * reason word (malformed, not_object, missing, bad_type, bad_number,
 * bad_time, bad_location, bad_id, bad_string, bad_value, too_long,
 * too_many, too_deep, too_big, unknown_strategy, no_memory) then ": " and
 * a detail.
 */
struct rq_error {
	unsigned status;
	char field[96];
	char msg[224];
};

/*
 * A decoded request. Every pointer borrows the decoder (strings are
 * NUL-terminated copies): valid until its next decode call or its free.
 * opt.strategy is the canonical name (static); strategy is the same, or
 * "full" when the request named none.
 */
struct rq_request {
	const char *user_id;
	size_t user_len;
	struct pen_context ctx;
	const struct pen_candidate *cands;
	size_t n;
	struct pen_rank_options opt;
	const char *strategy;
};

struct rq_decoder;

/* A decoder with limits lim (NULL: defaults). 0 or -ENOMEM. */
int rq_decoder_new(struct rq_decoder **d, const struct rq_limits *lim);
/* Frees it and sets *d NULL; NULL is fine. */
void rq_decoder_free(struct rq_decoder **d);

/*
 * Decodes one request from a JSON document buf[0..len) (one object). 0,
 * or a negative errno with *err filled: -EINVAL (a bad request: status
 * 400), -E2BIG (over max_bytes: 413), -ENOMEM (500). *out is valid only
 * after 0.
 */
int rq_decode_json(struct rq_decoder *d, const char *buf, size_t len,
    struct rq_request *out, struct rq_error *err);

/*
 * Decodes one request from buf[0..len), which must hold exactly one
 * msgpack object (a map). Keys may be str or bin; strings str or bin;
 * numbers any integer or float; booleans for the boolean fields; times
 * also as the msgpack timestamp extension (-1). Returns as
 * rq_decode_json; a structure the pre-scan refuses (not msgpack,
 * truncated, too deep, a declared size not backed by bytes or over the
 * caps) is -EINVAL or -E2BIG like any other bad request.
 */
int rq_decode_mpack(struct rq_decoder *d, const void *buf, size_t len,
    struct rq_request *out, struct rq_error *err);

/*
 * rq_decode_mpack for an object the caller has pre-scanned already, as the
 * msgpack listener does to find where an object ends: buf[0..len) is
 * exactly one object for which mp_scan_object (ipc/mpack.h) returned
 * MP_SCAN_DONE under limits no looser than rq_decode_mpack's own
 * (max_depth RQ_MAX_DEPTH, max_keys RQ_MAX_KEYS, max_object_bytes at most
 * lim.max_bytes; max_events may be as large as max_bytes: a scanned array
 * has no more elements than bytes). Then it accepts and refuses what
 * rq_decode_mpack does, with the same errors, without a second scan.
 */
int rq_decode_mpack_scanned(struct rq_decoder *d, const void *buf, size_t len,
    struct rq_request *out, struct rq_error *err);

/* An output buffer that grows; start zeroed, rq_buf_free() when done. */
struct rq_buf {
	char *p;
	size_t len, cap;
	bool oom; /* an append failed: the content is incomplete */
};
void rq_buf_free(struct rq_buf *b);

/*
 * Appends the response to a request rq ranked by pen_rerank() into res
 * (all rq->n entries) with request_id: its first opt.k results (all when
 * k is 0 or above n). JSON: one object and no newline. msgpack: one map.
 * 0, -EINVAL (res names a candidate out of range), -ENOMEM.
 */
int rq_encode_json(struct rq_buf *b, const struct rq_request *rq,
    const struct pen_ranked *res, uint64_t request_id);
int rq_encode_mpack(struct rq_buf *b, const struct rq_request *rq,
    const struct pen_ranked *res, uint64_t request_id);

/* Appends an error as {"error", "field" (null when ""), "status"}. 0 or
 * -ENOMEM. */
int rq_error_json(struct rq_buf *b, const struct rq_error *e);
int rq_error_mpack(struct rq_buf *b, const struct rq_error *e);

/* Fills *e (msg printf-style), for callers that refuse a request
 * themselves (the server: 404, 413, 503...). Returns e. */
struct rq_error *rq_error_set(struct rq_error *e, unsigned status,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
