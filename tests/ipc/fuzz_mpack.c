/*
 * Fuzz target: arbitrary bytes through mp_decode_buffer (as a datagram) and
 * through mp_stream_feed cut at split points taken from the input's own
 * bytes, with small caps so the cap paths are reached. Must never crash;
 * accepted records must be in range; the stream must deliver the same
 * events as the datagram for every object before the first structural
 * error. Built with libFuzzer (-Dfuzz=true) or with
 * tests/fuzz_replay_main.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/event.h"
#include "engine/geo.h"
#include "fuzz_record.h"
#include "ipc/mpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_LOG 64

struct fuzz_log {
	uint64_t digest; /* of (reason, index, record) of event slots */
	size_t n;
	bool structural; /* a whole-object refusal happened */
	int pause_at;	 /* stream only: refuse this call once */
	int calls;
};

static uint64_t _mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static int _cb(void *ctx, const struct mp_event *ev)
{
	struct fuzz_log *l = ctx;

	FUZZ_RULE(ev->reason < EVT_REASON_COUNT);
	FUZZ_RULE(ev->msg != NULL);
	FUZZ_RULE((ev->reason == EVT_OK) == (ev->rec != NULL));
	if (ev->index == MP_NO_INDEX) {
		FUZZ_RULE(ev->reason != EVT_OK && ev->msg[0] != '\0');
		if (ev->reason != EVT_R_NOT_MAP)
			l->structural = true;
		return 0;
	}
	if (++l->calls == l->pause_at)
		return 1;
	if (ev->rec) {
		fuzz_check_record(ev->rec);
		l->digest = _mix(l->digest, ev->rec->user_key);
		l->digest = _mix(l->digest, (uint64_t)ev->rec->time_ms);
	} else {
		FUZZ_RULE(ev->msg[0] != '\0');
	}
	l->digest = _mix(l->digest, (uint64_t)ev->reason << 32 | ev->index);
	l->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_limits lim = mp_limits_default();
	struct fuzz_log one = { 0 }, str = { 0 };
	struct mp_stats st = { 0 };
	struct mp_stream s;
	size_t pos = 0, step = 0;
	int rc = 0;
	/* Exactly `size` bytes, so overreads show under ASan. */
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	lim.max_object_bytes = 2048;
	lim.max_buffered = 4096;
	lim.max_events = 64;
	lim.max_keys = 32;
	mp_decode_buffer(buf, size, &lim, _cb, &one, &st);
	FUZZ_RULE(st.reason[EVT_OK] <= st.events);

	/* The stream, cut at points derived from the bytes themselves. */
	if (mp_stream_init(&s, &lim) == 0) {
		str.pause_at = size ? 1 + data[0] % 8 : 0;
		while (pos < size && rc >= 0) {
			size_t n = 1 + (size_t)(data[step++ % size] % 61);

			if (n > size - pos)
				n = size - pos;
			rc = mp_stream_feed(&s, buf + pos, n, _cb, &str, NULL);
			while (rc == 1)
				rc = mp_stream_feed(&s, NULL, 0, _cb, &str,
				    NULL);
			pos += n;
		}
		FUZZ_RULE(mp_stream_buffered(&s) <= lim.max_buffered);
		/* Without any refusal in either, both saw the same events. */
		if (rc == 0 && !one.structural && !str.structural)
			FUZZ_RULE(one.n == str.n && one.digest == str.digest);
		mp_stream_fini(&s);
	}
	free(buf);
	return 0;
}
