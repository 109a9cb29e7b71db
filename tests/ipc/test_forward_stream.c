/*
 * ipc/forward: all modes (Message, Forward, PackedForward, compressed),
 * EventTime and integer times, chunk acks, heartbeats; every split point
 * of the stream gives the one-shot result; pausing re-delivers the same
 * event and acks come only after every event of their message.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "forward_util.h"

/* The test stream: one message of each kind, with expectations below. */
static msgpack_sbuffer *_stream(void)
{
	msgpack_sbuffer *sb = msgpack_sbuffer_new(),
			*in = msgpack_sbuffer_new();
	msgpack_packer pk, ip;
	size_t gz_len;
	char *gz;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_packer_init(&ip, in, msgpack_sbuffer_write);

	/* 1 Message, integer seconds, no option */
	msgpack_pack_array(&pk, 3);
	fu_str(&pk, "app.a");
	msgpack_pack_int64(&pk, T0);
	fu_rec(&pk, "u1", -1);
	/* 2 Message, EventTime, chunk */
	msgpack_pack_array(&pk, 4);
	fu_str(&pk, "app.b");
	fu_eventtime(&pk, (uint32_t)T0 + 1, 500000000u);
	fu_rec(&pk, "u2", -1);
	msgpack_pack_map(&pk, 1);
	fu_str(&pk, "chunk");
	fu_str(&pk, "c2");
	/* 3 Forward, two entries, the second with its own timestamp */
	msgpack_pack_array(&pk, 3);
	fu_str(&pk, "app.c");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_array(&pk, 2);
	fu_eventtime(&pk, (uint32_t)T0 + 2, 1999999u); /* rounds to 2 ms */
	fu_rec(&pk, "u3", -1);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int64(&pk, T0 + 3);
	fu_rec(&pk, "u4", T0 * 1000 + 7777);
	msgpack_pack_map(&pk, 2);
	fu_str(&pk, "size");
	msgpack_pack_int(&pk, 2);
	fu_str(&pk, "chunk");
	fu_str(&pk, "c3");
	/* 4 heartbeat */
	msgpack_pack_nil(&pk);
	/* 5 PackedForward (bin), chunk */
	msgpack_pack_array(&ip, 2);
	msgpack_pack_int64(&ip, T0 + 5);
	fu_rec(&ip, "u5", -1);
	msgpack_pack_array(&ip, 2);
	fu_eventtime(&ip, (uint32_t)T0 + 6, 0);
	fu_rec(&ip, "u6", -1);
	msgpack_pack_array(&pk, 3);
	fu_str(&pk, "app.d");
	msgpack_pack_bin(&pk, in->size);
	msgpack_pack_bin_body(&pk, in->data, in->size);
	msgpack_pack_map(&pk, 1);
	fu_str(&pk, "chunk");
	fu_str(&pk, "c5");
	/* 6 CompressedPackedForward (str), three entries */
	msgpack_sbuffer_clear(in);
	for (int i = 7; i <= 9; i++) {
		char u[8];

		snprintf(u, sizeof(u), "u%d", i);
		msgpack_pack_array(&ip, 2);
		fu_eventtime(&ip, (uint32_t)T0 + (uint32_t)i, 0);
		fu_rec(&ip, u, -1);
	}
	gz = fu_gzip(in->data, in->size, &gz_len);
	msgpack_pack_array(&pk, 3);
	fu_str(&pk, "app.e");
	msgpack_pack_str(&pk, gz_len);
	msgpack_pack_str_body(&pk, gz, gz_len);
	msgpack_pack_map(&pk, 3);
	fu_str(&pk, "compressed");
	fu_str(&pk, "gzip");
	fu_str(&pk, "size");
	msgpack_pack_int(&pk, 3);
	fu_str(&pk, "chunk");
	fu_str(&pk, "c6-0123456789abcdef0123456789abcdef"); /* str8 ack */
	free(gz);
	/* 7 Forward with rejections: not an entry, no user, bad EventTime,
	 * then a good one; still acked */
	msgpack_pack_array(&pk, 3);
	fu_str(&pk, "app.f");
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 42);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int64(&pk, T0);
	msgpack_pack_map(&pk, 1);
	fu_str(&pk, "event_type");
	fu_str(&pk, "view");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_ext(&pk, 4, 0);
	msgpack_pack_ext_body(&pk, "abcd", 4);
	fu_rec(&pk, "u10", -1);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int64(&pk, T0 + 11);
	fu_rec(&pk, "u11", -1);
	msgpack_pack_map(&pk, 1);
	fu_str(&pk, "chunk");
	msgpack_pack_bin(&pk, 2);
	msgpack_pack_bin_body(&pk, "c7", 2);
	/* 8 Message with the record's own RFC 3339 time and no entry time */
	msgpack_pack_array(&pk, 3);
	fu_str(&pk, "app.g");
	msgpack_pack_nil(&pk);
	msgpack_pack_map(&pk, 4);
	fu_str(&pk, "userId");
	fu_str(&pk, "u12");
	fu_str(&pk, "eventType");
	fu_str(&pk, "rsvp");
	fu_str(&pk, "entityId");
	fu_str(&pk, "x");
	fu_str(&pk, "timestamp");
	fu_str(&pk, "2023-11-14T22:13:20.5Z");
	msgpack_sbuffer_free(in);
	return sb;
}

/* Feeds data cut at the given points (sorted, in (0, n)), resuming after
 * every pause; returns the last feed's result. */
static int _run(const char *data, size_t n, const size_t *cuts, size_t ncuts,
    struct fu_log *l, struct mp_stats *st)
{
	struct fwd_stream s;
	size_t at = 0;
	int rc = 0;

	REQUIRE(fwd_stream_init(&s, NULL) == 0);
	for (size_t c = 0; c <= ncuts && rc >= 0; c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		/* an exact-size copy, so over-reads show under ASan */
		char *piece = malloc(end - at ? end - at : 1);

		memcpy(piece, data + at, end - at);
		rc = fwd_stream_feed(&s, piece, end - at, fu_on_event,
		    fu_on_ack, l, st);
		free(piece);
		while (rc == 1)
			rc = fwd_stream_feed(&s, NULL, 0, fu_on_event,
			    fu_on_ack, l, st);
		at = end;
	}
	if (rc == 0)
		CHECK_EQ_INT(fwd_stream_buffered(&s), 0);
	fwd_stream_fini(&s);
	fwd_stream_fini(&s); /* twice is safe */
	return rc;
}

static void _one_shot_values(const char *data, size_t n)
{
	struct fu_log l = { 0 };
	struct mp_stats st = { 0 };

	CHECK_EQ_INT(_run(data, n, NULL, 0, &l, &st), 0);
	if (getenv("FWD_DUMP"))
		fputs(l.text, stderr);
	CHECK_EQ_INT(l.events, 14);
	CHECK_EQ_INT(l.accepted, 11);
	CHECK_EQ_INT(l.acks, 5);
	CHECK_EQ_INT(st.events, 14);
	CHECK_EQ_INT(st.reason[EVT_OK], 11);
	CHECK_EQ_INT(st.reason[EVT_R_MALFORMED], 1);
	CHECK_EQ_INT(st.reason[EVT_R_MISSING_USER], 1);
	CHECK_EQ_INT(st.reason[EVT_R_BAD_TIME], 1);
	CHECK_EQ_INT(st.fwd_messages, 7);
	CHECK_EQ_INT(st.fwd_heartbeats, 1);
	CHECK_EQ_INT(st.objects, 8);
	CHECK_EQ_INT(st.fwd_acks, 5);
	CHECK(st.fwd_inflated > 0);
	CHECK_EQ_INT(st.fatal, 0);
	CHECK_EQ_INT(st.bytes, n);
	/* times: integer seconds, EventTime rounded, record's own wins */
#define HAS(s) CHECK(strstr(l.text, s) != NULL)
	HAS("ev message idx=0 ok t=1700000000000 ");
	HAS("tag=app.a chunk=\n");
	HAS("ev message idx=0 ok t=1700000001500 ");
	HAS("tag=app.b chunk=c2\n");
	HAS("ev forward idx=0 ok t=1700000002002 ");
	HAS("ev forward idx=1 ok t=1700000007777 ");
	HAS("ev packed_forward idx=0 ok t=1700000005000 ");
	HAS("ev packed_forward idx=1 ok t=1700000006000 ");
	HAS("ev compressed_packed_forward idx=2 ok t=1700000009000 ");
	HAS("ev forward idx=0 malformed ");
	HAS("ev forward idx=1 missing_user ");
	HAS("ev forward idx=2 bad_time ");
	HAS("ev forward idx=3 ok t=1700000011000 ");
	HAS("ev message idx=0 ok t=1700000000500 ");
	HAS("ack c2\nev forward");
	HAS("ack c6-0123456789abcdef0123456789abcdef\n");
	HAS("ev forward idx=3 ok t=1700000011000 u=");
	HAS("chunk=c7\nack c7\n");
#undef HAS
	/* the ack of c3 follows its last event, not its first */
	{
		char *first = strstr(l.text, "chunk=c3"),
		     *ack = strstr(l.text, "ack c3"),
		     *second = first ? strstr(first + 1, "chunk=c3") : NULL;

		CHECK(first && ack && second && second < ack);
	}
	fu_log_free(&l);
}

static void _splits(const char *data, size_t n)
{
	struct fu_log ref = { 0 };
	size_t bytes[4096];

	REQUIRE(n < 4096);
	REQUIRE(_run(data, n, NULL, 0, &ref, NULL) == 0);
	/* every single split point */
	for (size_t i = 1; i < n; i++) {
		struct fu_log l = { 0 };

		CHECK_EQ_INT(_run(data, n, &i, 1, &l, NULL), 0);
		if (strcmp(l.text, ref.text)) {
			fprintf(stderr, "split at %zu differs:\n%s\n--\n%s\n",
			    i, l.text, ref.text);
			check_failures++;
			fu_log_free(&l);
			break;
		}
		fu_log_free(&l);
	}
	/* byte by byte, paused on every event */
	for (size_t i = 0; i + 1 < n; i++)
		bytes[i] = i + 1;
	for (int pause = 0; pause < 2; pause++) {
		struct fu_log l = { .pause_each = pause };

		CHECK_EQ_INT(_run(data, n, bytes, n - 1, &l, NULL), 0);
		CHECK(!strcmp(l.text, ref.text));
		CHECK(!l.ack_before_done);
		if (pause)
			CHECK_EQ_INT(l.redelivered_same, 14);
		fu_log_free(&l);
	}
	/* one shot, paused on every event */
	{
		struct fu_log l = { .pause_each = true };
		struct mp_stats st = { 0 };

		CHECK_EQ_INT(_run(data, n, NULL, 0, &l, &st), 0);
		CHECK(!strcmp(l.text, ref.text));
		CHECK_EQ_INT(l.redelivered_same, 14);
		CHECK(!l.ack_before_done);
		CHECK_EQ_INT(st.events, 14); /* refusals are not counted */
		fu_log_free(&l);
	}
	fu_log_free(&ref);
}

/* Paused in the middle of a message, the bytes that follow are held and
 * the ack waits for the last event. */
static void _pause_holds(const char *data, size_t n)
{
	struct fwd_stream s;
	struct fu_log l = { .pause_each = true };
	int rc, resumes = 0;

	REQUIRE(fwd_stream_init(&s, NULL) == 0);
	rc = fwd_stream_feed(&s, data, n, fu_on_event, fu_on_ack, &l, NULL);
	CHECK_EQ_INT(rc, 1);
	CHECK_EQ_INT(l.events, 0);
	CHECK(fwd_stream_buffered(&s) > 0);
	while (rc == 1) {
		size_t acks = l.acks;

		rc = fwd_stream_feed(&s, NULL, 0, fu_on_event, fu_on_ack, &l,
		    NULL);
		resumes++;
		CHECK(l.acks - acks <= 1);
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(resumes, 14);
	if (getenv("FWD_DUMP"))
		fputs(l.text, stderr);
	CHECK_EQ_INT(l.events, 14);
	CHECK_EQ_INT(fwd_stream_buffered(&s), 0);
	fwd_stream_fini(&s);
	fu_log_free(&l);
}

static void _ack_encode(void)
{
	char buf[FWD_ACK_MAX], big[FWD_MAX_CHUNK + 1];
	msgpack_unpacked u;
	size_t n, off = 0;

	n = fwd_ack_encode(buf, sizeof(buf), "abc", 3);
	CHECK_EQ_INT(n, 9);
	CHECK(!memcmp(buf,
	    "\x81\xa3"
	    "ack\xa3"
	    "abc",
	    9));
	memset(big, 'x', sizeof(big));
	CHECK_EQ_INT(fwd_ack_encode(buf, sizeof(buf), big, FWD_MAX_CHUNK),
	    FWD_ACK_MAX);
	CHECK_EQ_INT(fwd_ack_encode(buf, sizeof(buf), big, FWD_MAX_CHUNK + 1),
	    0);
	CHECK_EQ_INT(fwd_ack_encode(buf, 8, "abc", 3), 0);
	/* msgpack-c reads it back as {"ack": chunk} */
	n = fwd_ack_encode(buf, sizeof(buf), big, 40);
	msgpack_unpacked_init(&u);
	CHECK(msgpack_unpack_next(&u, buf, n, &off) == MSGPACK_UNPACK_SUCCESS);
	CHECK_EQ_INT(off, n);
	CHECK(u.data.type == MSGPACK_OBJECT_MAP && u.data.via.map.size == 1);
	if (u.data.type == MSGPACK_OBJECT_MAP) {
		msgpack_object_kv *kv = u.data.via.map.ptr;

		CHECK(kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->key.via.str.size == 3 &&
		    !memcmp(kv->key.via.str.ptr, "ack", 3));
		CHECK(kv->val.type == MSGPACK_OBJECT_STR &&
		    kv->val.via.str.size == 40 &&
		    !memcmp(kv->val.via.str.ptr, big, 40));
	}
	msgpack_unpacked_destroy(&u);
}

int main(void)
{
	msgpack_sbuffer *sb = _stream();

	_ack_encode();
	_one_shot_values(sb->data, sb->size);
	_splits(sb->data, sb->size);
	_pause_holds(sb->data, sb->size);
	msgpack_sbuffer_free(sb);
	return check_done("ipc_forward_stream");
}
