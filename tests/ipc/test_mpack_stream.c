/*
 * mpack: a stream of mixed objects (maps, arrays of events, rejected events,
 * a non-map scalar) cut at every possible point, in 3 random pieces, one
 * byte at a time, and with a callback that pauses, gives exactly the
 * one-shot result; fatal errors (invalid byte, too deep, declared too big,
 * held bytes over max_buffered) close the stream after the events before
 * them were delivered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "check.h"
#include "ipc/mpack.h"

#define T_MS 1700000000123LL
#define MAX_LOG 256

/* What the callback saw, in order. */
struct entry {
	enum evt_reason r;
	size_t index;
	bool fatal;
	struct evt_record rec;
};

struct log {
	struct entry e[MAX_LOG];
	int n;
	int pause_every; /* > 0: refuse every k-th call once */
	int calls;
	bool refused_last;
};

static int log_cb(void *ctx, const struct mp_event *ev)
{
	struct log *l = ctx;

	l->calls++;
	if (l->pause_every && ev->index != MP_NO_INDEX && !l->refused_last &&
	    l->calls % l->pause_every == 0) {
		l->refused_last = true;
		return 1;
	}
	l->refused_last = false;
	REQUIRE(l->n < MAX_LOG);
	l->e[l->n].r = ev->reason;
	l->e[l->n].index = ev->index;
	l->e[l->n].fatal = ev->fatal;
	memset(&l->e[l->n].rec, 0, sizeof(l->e[l->n].rec));
	if (ev->rec)
		l->e[l->n].rec = *ev->rec;
	l->n++;
	return 0;
}

static bool same(const struct log *a, const struct log *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->e[i].r != b->e[i].r || a->e[i].index != b->e[i].index ||
		    memcmp(&a->e[i].rec, &b->e[i].rec, sizeof(a->e[i].rec)))
			return false;
	return true;
}

static void pstr(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

static void event(msgpack_packer *pk, const char *user, const char *type,
    int64_t t)
{
	msgpack_pack_map(pk, 5);
	pstr(pk, "userId");
	pstr(pk, user);
	pstr(pk, "eventType");
	pstr(pk, type);
	pstr(pk, "entityId");
	pstr(pk, "ent");
	pstr(pk, "timestamp");
	msgpack_pack_int64(pk, t);
	pstr(pk, "metadata");
	msgpack_pack_map(pk, 1);
	pstr(pk, "timeSpent");
	msgpack_pack_uint16(pk, 900);
}

/* The stream: 7 objects, 13 event slots (9 accepted). */
static void build(msgpack_sbuffer *sb)
{
	msgpack_packer pk;
	char query[300];

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	event(&pk, "alice", "view", T_MS);
	msgpack_pack_array(&pk, 4);
	event(&pk, "bob", "click", T_MS + 1);
	event(&pk, "carol", "nope", T_MS + 2); /* BAD_TYPE */
	msgpack_pack_int(&pk, 7);	       /* NOT_MAP */
	event(&pk, "dave", "rsvp", T_MS + 3);
	pstr(&pk, "a lone string");    /* NOT_MAP, object */
	event(&pk, "erin", "save", 5); /* TIME_RANGE */
	msgpack_pack_array(&pk, 0);    /* no events */
	msgpack_pack_array(&pk, 5);
	for (int i = 0; i < 5; i++)
		event(&pk, "frank", "share", T_MS + 10 + i);
	/* a long str16 query so some splits fall inside a string body */
	/* words, not one 299-byte token: evt_tag_id of tokens over 256
	 * bytes is not deterministic yet (engine/event.c _hash_lower) */
	for (size_t i = 0; i + 1 < sizeof(query); i++)
		query[i] = "jazz "[i % 5];
	query[sizeof(query) - 1] = '\0';
	msgpack_pack_map(&pk, 4);
	pstr(&pk, "user_id");
	pstr(&pk, "gus");
	pstr(&pk, "type");
	pstr(&pk, "search");
	pstr(&pk, "query");
	pstr(&pk, query);
	pstr(&pk, "timestamp");
	msgpack_pack_double(&pk, 1700000000.5);
}

static int feed_all(struct mp_stream *s, const char *p, size_t n, struct log *l,
    struct mp_stats *st)
{
	int rc = mp_stream_feed(s, p, n, log_cb, l, st);

	while (rc == 1)
		rc = mp_stream_feed(s, NULL, 0, log_cb, l, st);
	return rc;
}

static uint64_t rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_splits(void)
{
	msgpack_sbuffer sb;
	static struct log ref, got;
	struct mp_stats st_ref = { 0 }, st = { 0 };
	struct mp_stream s;
	uint64_t x = 0x1234567;

	msgpack_sbuffer_init(&sb);
	build(&sb);
	CHECK_EQ_INT(mp_decode_buffer(sb.data, sb.size, NULL, log_cb, &ref,
			 &st_ref),
	    EVT_OK);
	CHECK_EQ_INT(ref.n, 13);
	CHECK_EQ_INT(st_ref.objects, 7);
	CHECK_EQ_INT(st_ref.events, 13);
	CHECK_EQ_INT(st_ref.reason[EVT_OK], 9);
	CHECK_EQ_INT(st_ref.reason[EVT_R_NOT_MAP], 2);
	CHECK_EQ_INT(st_ref.reason[EVT_R_BAD_TYPE], 1);
	CHECK_EQ_INT(st_ref.reason[EVT_R_TIME_RANGE], 1);
	CHECK_EQ_INT(st_ref.reason[EVT_R_MISSING_ENTITY], 0);
	CHECK_EQ_INT(ref.e[12].r, EVT_OK); /* the search */
	CHECK_EQ_INT(ref.e[12].rec.type, EVT_SEARCH);
	CHECK_EQ_INT(ref.e[2].index, 1);

	/* every 2-piece split */
	for (size_t cut = 0; cut <= sb.size; cut++) {
		memset(&got, 0, sizeof(got));
		REQUIRE(mp_stream_init(&s, NULL) == 0);
		CHECK_EQ_INT(feed_all(&s, sb.data, cut, &got, NULL), 0);
		CHECK_EQ_INT(feed_all(&s, sb.data + cut, sb.size - cut, &got,
				 NULL),
		    0);
		CHECK_EQ_INT(mp_stream_buffered(&s), 0);
		if (!same(&ref, &got)) {
			fprintf(stderr, "split at %zu differs: %d events\n",
			    cut, got.n);
			for (int i = 0; i < got.n && i < ref.n; i++)
				if (got.e[i].r != ref.e[i].r ||
				    got.e[i].index != ref.e[i].index ||
				    memcmp(&got.e[i].rec, &ref.e[i].rec,
					sizeof(ref.e[i].rec)))
					fprintf(stderr,
					    "  event %d: %s/%zu, expected %s/%zu\n",
					    i, evt_reason_name(got.e[i].r),
					    got.e[i].index,
					    evt_reason_name(ref.e[i].r),
					    ref.e[i].index);
		}
		CHECK(same(&ref, &got));
		mp_stream_fini(&s);
	}
	/* one byte at a time, with stats */
	memset(&got, 0, sizeof(got));
	REQUIRE(mp_stream_init(&s, NULL) == 0);
	for (size_t i = 0; i < sb.size; i++)
		CHECK_EQ_INT(feed_all(&s, sb.data + i, 1, &got, &st), 0);
	CHECK(same(&ref, &got));
	CHECK(memcmp(st.reason, st_ref.reason, sizeof(st.reason)) == 0);
	CHECK_EQ_INT(st.objects, st_ref.objects);
	CHECK_EQ_INT(st.bytes, sb.size);
	mp_stream_fini(&s);
	/* random 3-piece splits with a pausing callback */
	for (int k = 0; k < 300; k++) {
		size_t a = (size_t)(rng(&x) % (sb.size + 1));
		size_t b = a + (size_t)(rng(&x) % (sb.size - a + 1));

		memset(&got, 0, sizeof(got));
		got.pause_every = 1 + k % 4;
		REQUIRE(mp_stream_init(&s, NULL) == 0);
		CHECK_EQ_INT(feed_all(&s, sb.data, a, &got, NULL), 0);
		CHECK_EQ_INT(feed_all(&s, sb.data + a, b - a, &got, NULL), 0);
		CHECK_EQ_INT(feed_all(&s, sb.data + b, sb.size - b, &got, NULL),
		    0);
		CHECK(same(&ref, &got));
		mp_stream_fini(&s);
	}
	/* a paused stream keeps taking bytes; resume delivers them all */
	memset(&got, 0, sizeof(got));
	got.pause_every = 1; /* refuses the first event */
	REQUIRE(mp_stream_init(&s, NULL) == 0);
	CHECK_EQ_INT(mp_stream_feed(&s, sb.data, 10, log_cb, &got, NULL), 0);
	CHECK_EQ_INT(mp_stream_feed(&s, sb.data + 10, sb.size - 10, log_cb,
			 &got, NULL),
	    1);
	CHECK(mp_stream_buffered(&s) > 0);
	CHECK_EQ_INT(feed_all(&s, NULL, 0, &got, NULL), 0);
	CHECK(same(&ref, &got));
	mp_stream_fini(&s);
	/* the same stream as one datagram with pausing: stops there */
	memset(&got, 0, sizeof(got));
	got.pause_every = 3;
	CHECK_EQ_INT(mp_decode_buffer(sb.data, sb.size, NULL, log_cb, &got,
			 NULL),
	    EVT_OK);
	CHECK_EQ_INT(got.n, 2);
	msgpack_sbuffer_destroy(&sb);
}

/* Events before a fatal error are delivered; then the stream is dead. */
static void fatal_case(const char *name, const char *bad, size_t bad_len,
    const struct mp_limits *lim, int want_rc, enum evt_reason want_r)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct log got = { 0 };
	struct mp_stats st = { 0 };
	struct mp_stream s;
	enum evt_reason r;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	event(&pk, "u", "view", T_MS);
	msgpack_sbuffer_write(&sb, bad, bad_len);
	REQUIRE(mp_stream_init(&s, lim) == 0);
	rc = mp_stream_feed(&s, sb.data, sb.size, log_cb, &got, &st);
	if (rc != want_rc)
		fprintf(stderr, "%s: rc %d (%s)\n", name, rc,
		    mp_stream_error(&s, NULL));
	CHECK_EQ_INT(rc, want_rc);
	CHECK(got.n == 2 && got.e[0].r == EVT_OK && got.e[1].fatal &&
	    got.e[1].r == want_r && got.e[1].index == MP_NO_INDEX);
	CHECK_EQ_INT(st.fatal, 1);
	CHECK_EQ_INT(st.reason[want_r], 1);
	CHECK(strlen(mp_stream_error(&s, &r)) > 0);
	CHECK_EQ_INT(r, want_r);
	CHECK_EQ_INT(mp_stream_feed(&s, sb.data, sb.size, log_cb, &got, &st),
	    want_rc);
	CHECK_EQ_INT(got.n, 2);
	mp_stream_fini(&s);
	mp_stream_fini(&s); /* twice is fine */
	msgpack_sbuffer_destroy(&sb);
}

static int refuse_all(void *ctx, const struct mp_event *ev)
{
	(void)ctx;
	(void)ev;
	return 1;
}

static void test_fatal(void)
{
	char deep[40], big[8] = { (char)0xdb, 0x00, 0x10, 0x00, 0x00 };
	struct mp_limits lim = mp_limits_default();
	struct mp_stream s;
	char chunk[1000];
	int rc = 0;

	fatal_case("0xc1", "\xc1", 1, NULL, -EBADMSG, EVT_R_MALFORMED);
	memset(deep, 0x91, sizeof(deep));
	fatal_case("deep", deep, sizeof(deep), NULL, -ELOOP, EVT_R_TOO_DEEP);
	fatal_case("str32 1 MiB", big, 5, NULL, -EMSGSIZE, EVT_R_TOO_BIG);
	fatal_case("array16 2000", "\xdc\x07\xd0", 3, NULL, -EMSGSIZE,
	    EVT_R_TOO_BIG);
	/* A map over max_keys is not fatal: it rejects its event only
	 * (fixtures rej_too_big_keys*). */
	lim.max_object_bytes = 200;
	fatal_case("object over 200 bytes", "\x91\xd9\xf0", 3, &lim, -EMSGSIZE,
	    EVT_R_TOO_BIG);

	/* held bytes over max_buffered while paused: -ENOBUFS */
	lim = mp_limits_default();
	lim.max_object_bytes = 1000;
	lim.max_buffered = 4000;
	memset(chunk, 0x01, sizeof(chunk)); /* 1000 fixint objects */
	REQUIRE(mp_stream_init(&s, &lim) == 0);
	for (int i = 0; i < 10 && rc >= 0; i++)
		rc = mp_stream_feed(&s, chunk, sizeof(chunk), refuse_all, NULL,
		    NULL);
	CHECK_EQ_INT(rc, -ENOBUFS);
	CHECK(mp_stream_buffered(&s) <= 4000);
	mp_stream_fini(&s);

	/* a peer that stops mid-object leaves bytes held */
	REQUIRE(mp_stream_init(&s, NULL) == 0);
	CHECK_EQ_INT(mp_stream_feed(&s, "\x82\xa1x", 3, NULL, NULL, NULL), 0);
	CHECK_EQ_INT(mp_stream_buffered(&s), 3);
	mp_stream_fini(&s);
}

int main(void)
{
	test_splits();
	test_fatal();
	return check_done("mpack_stream");
}
