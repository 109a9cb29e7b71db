/*
 * forward_util: helpers of the ipc/forward tests: build forward messages
 * with msgpack-c's packer, gzip with zlib, and log what a stream delivers
 * as text so runs can be compared.
 */
#ifndef PENCHANT_TESTS_IPC_FORWARD_UTIL_H
#define PENCHANT_TESTS_IPC_FORWARD_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <zlib.h>

#include "ipc/forward.h"

#define T0 1700000000LL /* 2023-11-14T22:13:20Z */

static inline void fu_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

/* An event record; ts_ms < 0: no timestamp field. */
static inline void fu_rec(msgpack_packer *pk, const char *user, long long ts_ms)
{
	msgpack_pack_map(pk, ts_ms >= 0 ? 4 : 3);
	fu_str(pk, "user_id");
	fu_str(pk, user);
	fu_str(pk, "event_type");
	fu_str(pk, "click");
	fu_str(pk, "entity_id");
	fu_str(pk, "e1");
	if (ts_ms >= 0) {
		fu_str(pk, "timestamp");
		msgpack_pack_int64(pk, ts_ms);
	}
}

static inline void fu_eventtime(msgpack_packer *pk, uint32_t sec, uint32_t ns)
{
	unsigned char b[8] = { sec >> 24, sec >> 16, sec >> 8, sec, ns >> 24,
		ns >> 16, ns >> 8, ns };

	msgpack_pack_ext(pk, 8, 0);
	msgpack_pack_ext_body(pk, b, 8);
}

/* gzip of in[0..n) into a malloc'd buffer. */
static inline char *fu_gzip(const void *in, size_t n, size_t *out_len)
{
	z_stream z;
	size_t cap = n + n / 10 + 64;
	char *out = malloc(cap);

	memset(&z, 0, sizeof(z));
	if (!out ||
	    deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
		Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* What a stream delivered, as text, plus pause control. */
struct fu_log {
	char *text;
	size_t len, cap;
	size_t events, accepted, acks, fatal;
	enum evt_reason last_fatal;
	/* pause: refuse each event the first time it is seen */
	bool pause_each;
	bool refused; /* the previous call was refused */
	char last_refused[512];
	size_t redelivered_same;
	bool ack_before_done; /* an ack came while a refused event waited */
};

static inline void fu_add(struct fu_log *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void fu_add(struct fu_log *l, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (l->len + (size_t)n + 1 > l->cap) {
		l->cap = (l->cap + (size_t)n + 1) * 2;
		l->text = realloc(l->text, l->cap);
		if (!l->text)
			abort();
	}
	memcpy(l->text + l->len, line, (size_t)n + 1);
	l->len += (size_t)n;
}

static inline void fu_line(const struct fwd_event *e, char *out, size_t cap)
{
	const struct mp_event *ev = &e->ev;

	snprintf(out, cap,
	    "ev %s idx=%zu %s t=%lld u=%016llx tag=%.*s chunk=%.*s\n",
	    fwd_mode_name(e->mode), ev->index, evt_reason_name(ev->reason),
	    ev->rec ? (long long)ev->rec->time_ms : 0LL,
	    ev->rec ? (unsigned long long)ev->rec->user_key : 0ULL,
	    (int)e->tag_len, e->tag ? e->tag : "", (int)e->chunk_len,
	    e->chunk ? e->chunk : "");
}

static inline int fu_on_event(void *ctx, const struct fwd_event *e)
{
	struct fu_log *l = ctx;
	char line[512];

	if (e->ev.fatal) {
		l->fatal++;
		l->last_fatal = e->ev.reason;
		fu_add(l, "fatal %s\n", evt_reason_name(e->ev.reason));
		return 0;
	}
	fu_line(e, line, sizeof(line));
	if (l->pause_each && !l->refused) {
		l->refused = true;
		snprintf(l->last_refused, sizeof(l->last_refused), "%s", line);
		return 1;
	}
	if (l->refused) {
		if (!strcmp(line, l->last_refused))
			l->redelivered_same++;
		l->refused = false;
	}
	l->events++;
	l->accepted += e->ev.reason == EVT_OK;
	fu_add(l, "%s", line);
	return 0;
}

static inline void fu_on_ack(void *ctx, const char *chunk, size_t len)
{
	struct fu_log *l = ctx;

	if (l->refused)
		l->ack_before_done = true;
	l->acks++;
	fu_add(l, "ack %.*s\n", (int)len, chunk);
}

static inline void fu_log_free(struct fu_log *l)
{
	free(l->text);
	memset(l, 0, sizeof(*l));
}

#endif
