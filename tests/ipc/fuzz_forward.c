/*
 * Fuzz target: arbitrary bytes as a forward-protocol TCP stream through
 * fwd_stream_feed, once in one piece and once cut at points taken from the
 * input's own bytes with a pause on some events, small caps so the cap
 * paths (inflation cap included) are reached. Must never crash; accepted
 * records in range; acks only after their message's events; without a
 * fatal error both runs deliver the same events and acks. Built with
 * libFuzzer (-Dfuzz=true) or with tests/fuzz_replay_main.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/event.h"
#include "engine/geo.h"
#include "fuzz_record.h"
#include "ipc/forward.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_log {
	uint64_t digest;
	size_t n, acks;
	bool fatal;
	int pause_every;
	int calls;
	bool waiting; /* an event was refused and not yet re-taken */
};

static uint64_t _mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static int _cb(void *ctx, const struct fwd_event *e)
{
	struct fuzz_log *l = ctx;

	FUZZ_RULE(e->ev.reason < EVT_REASON_COUNT);
	FUZZ_RULE(e->ev.msg != NULL);
	FUZZ_RULE((e->ev.reason == EVT_OK) == (e->ev.rec != NULL));
	if (e->ev.fatal) {
		FUZZ_RULE(e->ev.index == MP_NO_INDEX && e->ev.reason != EVT_OK);
		l->fatal = true;
		return 0;
	}
	FUZZ_RULE(e->mode < FWD_MODE_COUNT && e->tag != NULL);
	FUZZ_RULE(e->chunk == NULL ||
	    (e->chunk_len > 0 && e->chunk_len <= FWD_MAX_CHUNK));
	if (l->pause_every && ++l->calls % l->pause_every == 0) {
		l->waiting = true;
		return 1;
	}
	l->waiting = false;
	if (e->ev.rec) {
		fuzz_check_record(e->ev.rec);
		l->digest = _mix(l->digest, e->ev.rec->user_key);
		l->digest = _mix(l->digest, (uint64_t)e->ev.rec->time_ms);
	}
	l->digest = _mix(l->digest,
	    (uint64_t)e->ev.reason << 32 | (uint32_t)e->ev.index);
	l->n++;
	return 0;
}

static void _ack(void *ctx, const char *chunk, size_t len)
{
	struct fuzz_log *l = ctx;
	char buf[FWD_ACK_MAX];

	FUZZ_RULE(!l->waiting);
	FUZZ_RULE(fwd_ack_encode(buf, sizeof(buf), chunk, len) > 0);
	l->digest = _mix(l->digest, len);
	l->acks++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_limits lim = mp_limits_default();
	struct fuzz_log one = { 0 }, cut = { 0 };
	struct mp_stats st = { 0 };
	struct fwd_stream s;
	size_t pos = 0, step = 0;
	int rc = 0, rc1 = 0;
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	lim.max_object_bytes = 2048;
	lim.max_buffered = 8192;
	lim.max_events = 64;
	lim.max_keys = 32;
	if (fwd_stream_init(&s, &lim) == 0) {
		rc1 = fwd_stream_feed(&s, buf, size, _cb, _ack, &one, &st);
		FUZZ_RULE(rc1 <= 0);
		FUZZ_RULE(st.reason[EVT_OK] <= st.events);
		FUZZ_RULE(fwd_stream_buffered(&s) <= lim.max_buffered);
	}
	fwd_stream_fini(&s);
	if (fwd_stream_init(&s, &lim) == 0) {
		cut.pause_every = size ? 1 + data[0] % 5 : 0;
		while (pos < size && rc >= 0) {
			size_t n = 1 + (size_t)(data[step++ % size] % 61);

			if (n > size - pos)
				n = size - pos;
			rc = fwd_stream_feed(&s, buf + pos, n, _cb, _ack, &cut,
			    NULL);
			while (rc == 1)
				rc = fwd_stream_feed(&s, NULL, 0, _cb, _ack,
				    &cut, NULL);
			pos += n;
		}
		FUZZ_RULE(fwd_stream_buffered(&s) <= lim.max_buffered);
		if (rc == 0 && rc1 == 0 && !one.fatal && !cut.fatal)
			FUZZ_RULE(one.n == cut.n && one.acks == cut.acks &&
			    one.digest == cut.digest);
		FUZZ_RULE((rc < 0) == cut.fatal);
	}
	fwd_stream_fini(&s);
	free(buf);
	return 0;
}
