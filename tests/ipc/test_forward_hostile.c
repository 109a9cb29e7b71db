/*
 * ipc/forward hostile input: wrong shapes are fatal (-EPROTO), invalid
 * msgpack and bad gzip -EBADMSG, declared sizes and zip bombs -EMSGSIZE
 * without big allocations, bad entry times, records nested over 8 levels
 * (counted per record) and maps over 64 keys are per-event rejections;
 * a dead stream stays dead.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "forward_util.h"

/* Feeds raw bytes in one piece; returns the result, fills *st. */
static int _feed(const void *p, size_t n, const struct mp_limits *lim,
    struct mp_stats *st, struct fu_log *l)
{
	struct fwd_stream s;
	char *copy = malloc(n ? n : 1);
	int rc, again;

	REQUIRE(fwd_stream_init(&s, lim) == 0);
	memcpy(copy, p, n);
	rc = fwd_stream_feed(&s, copy, n, fu_on_event, fu_on_ack, l, st);
	if (rc < 0) {
		enum evt_reason r;

		CHECK(fwd_stream_error(&s, &r)[0] != '\0');
		CHECK(r != EVT_OK);
		again =
		    fwd_stream_feed(&s, copy, n, fu_on_event, fu_on_ack, l, st);
		CHECK_EQ_INT(again, rc); /* stays dead, counted once */
		CHECK_EQ_INT(st->fatal, 1);
		CHECK_EQ_INT(l->fatal, 1);
	}
	free(copy);
	fwd_stream_fini(&s);
	return rc;
}

#define EXPECT(bytes, len, want)                                               \
	do {                                                                   \
		struct mp_stats _st = { 0 };                                   \
		struct fu_log _l = { 0 };                                      \
		int _rc = _feed(bytes, len, NULL, &_st, &_l);                  \
		if (_rc != (want))                                             \
			fprintf(stderr, "case %s\n", #bytes);                  \
		CHECK_EQ_INT(_rc, want);                                       \
		CHECK_EQ_INT(_l.acks, 0);                                      \
		fu_log_free(&_l);                                              \
	} while (0)

static void _shapes(void)
{
	/* invalid type byte, JSON, a map, short/long arrays, tag kinds */
	EXPECT("\xc1", 1, -EBADMSG);
	EXPECT("[\"tag\",1,{}]", 12, -EPROTO); /* JSON: "[" is a fixint */
	EXPECT("\x81\xa1"
	       "a\x01",
	    4, -EPROTO);
	EXPECT("\x91\xa1t", 3, -EPROTO);
	EXPECT("\x95\xa1t\x01\x80\x80\x80", 7, -EPROTO);
	EXPECT("\x93\x01\x01\x80", 4, -EPROTO);
	EXPECT("\x92\xa1t\x01", 4, -EPROTO); /* message without record */
	EXPECT("\x94\xa1t\x90\x80\x80", 6, -EPROTO); /* forward with 4 */
	EXPECT("\x93\xa1t\x90\x01", 5, -EPROTO);     /* option not a map */
	EXPECT("\x93\xa1t\x90\x81\xa5"
	       "chunk\x01",
	    12, -EPROTO);
	EXPECT("\x93\xa1t\x90\x81\xa5"
	       "chunk\xa0",
	    12, -EPROTO); /* empty */
	EXPECT("\x93\xa1t\xc4\x00\x81\xaa"
	       "compressed\xa4zstd",
	    22, -EPROTO);
	EXPECT("\x01", 1, -EPROTO); /* a bare integer */
	/* accepted: empty forward, nil option, text compression, heartbeat */
	EXPECT("\x93\xa1t\x90\xc0", 5, 0);
	EXPECT("\x93\xa1t\xc4\x00\x81\xaa"
	       "compressed\xa4text",
	    22, 0);
	EXPECT("\xc0\xc0", 2, 0);
}

static void _sizes(void)
{
	struct mp_limits lim = mp_limits_default();
	struct mp_stats st = { 0 };
	struct fu_log l = { 0 };

	/* an array of 4 billion entries, a bin of 4 GiB, a map of 4 billion
	 * option pairs: refused from their headers */
	EXPECT("\x92\xa1t\xdd\xff\xff\xff\xff", 8, -EMSGSIZE);
	EXPECT("\x92\xa1t\xc6\xff\xff\xff\xff", 8, -EMSGSIZE);
	EXPECT("\x93\xa1t\x90\xdf\xff\xff\xff\xff", 9, -EMSGSIZE);
	/* nesting bomb */
	{
		char b[64] = "\x92\xa1t";

		memset(b + 3, 0x91, 40);
		b[43] = 0x01;
		EXPECT(b, 44, -ELOOP);
	}
	/* a bin over max_object_bytes, refused from its header */
	lim.max_object_bytes = 1024;
	lim.max_buffered = 1024;
	CHECK_EQ_INT(_feed("\x92\xa1t\xc5\x10\x00", 6, &lim, &st, &l),
	    -EMSGSIZE);
	fu_log_free(&l);
	CHECK_EQ_INT(st.reason[EVT_R_TOO_BIG], 1);
}

/* A packed stream that is not a sequence of complete objects. */
static void _packed(void)
{
	/* truncated entry: [t, {} missing */
	EXPECT("\x92\xa1t\xc4\x02\x92\x01", 7, -EBADMSG);
	/* invalid byte inside */
	EXPECT("\x92\xa1t\xc4\x03\x92\x01\xc1", 8, -EBADMSG);
	/* deep entry */
	{
		char b[64] = "\x92\xa1t\xc4\x29";

		memset(b + 5, 0x91, 40);
		b[45] = 0x01;
		EXPECT(b, 46, -ELOOP);
	}
}

/* Entry times: per-event rejections, never fatal. */
static void _times(void)
{
	msgpack_sbuffer *sb = msgpack_sbuffer_new();
	msgpack_packer pk;
	struct mp_stats st = { 0 };
	struct fu_log l = { 0 };
	const unsigned char bad_ns[8] = { 0x65, 0x53, 0xf1, 0x00, 0x77, 0x35,
		0x94, 0x00 }; /* 2e9 ns */

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 3);
	fu_str(&pk, "t");
	msgpack_pack_array(&pk, 7);
	/* EventTime of 12 bytes */
	msgpack_pack_array(&pk, 2);
	msgpack_pack_ext(&pk, 12, 0);
	msgpack_pack_ext_body(&pk, "0123456789ab", 12);
	fu_rec(&pk, "u", -1);
	/* ext type 5 */
	msgpack_pack_array(&pk, 2);
	msgpack_pack_ext(&pk, 8, 5);
	msgpack_pack_ext_body(&pk, "01234567", 8);
	fu_rec(&pk, "u", -1);
	/* nanoseconds out of range */
	msgpack_pack_array(&pk, 2);
	msgpack_pack_ext(&pk, 8, 0);
	msgpack_pack_ext_body(&pk, bad_ns, 8);
	fu_rec(&pk, "u", -1);
	/* a string time, NaN, a record that is a list, no time at all */
	msgpack_pack_array(&pk, 2);
	fu_str(&pk, "yesterday");
	fu_rec(&pk, "u", -1);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_double(&pk, 0.0 / 0.0);
	fu_rec(&pk, "u", -1);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_array(&pk, 0);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, 0);
	fu_rec(&pk, "u", -1);
	msgpack_pack_map(&pk, 1);
	fu_str(&pk, "chunk");
	fu_str(&pk, "k");
	CHECK_EQ_INT(_feed(sb->data, sb->size, NULL, &st, &l), 0);
	CHECK_EQ_INT(st.events, 7);
	CHECK_EQ_INT(st.reason[EVT_R_BAD_TIME], 2);
	CHECK_EQ_INT(st.reason[EVT_R_BAD_FIELD_TYPE], 2);
	CHECK_EQ_INT(st.reason[EVT_R_BAD_NUMBER], 1);
	CHECK_EQ_INT(st.reason[EVT_R_NOT_MAP], 1);
	CHECK_EQ_INT(st.reason[EVT_R_MISSING_TIME], 1);
	CHECK_EQ_INT(l.acks, 1); /* rejections are handled events */
	fu_log_free(&l);
	msgpack_sbuffer_free(sb);
}

/* A record nested `levels` deep counted from itself (the record is 1). */
static void _nested_rec(msgpack_packer *pk, const char *user, int levels)
{
	for (int i = 1; i < levels; i++) {
		msgpack_pack_map(pk, 1);
		fu_str(pk, "context");
	}
	fu_rec(pk, user, -1);
}

/* A record of `keys` pairs (user, type, entity and fillers). */
static void _wide_rec(msgpack_packer *pk, const char *user, int keys)
{
	msgpack_pack_map(pk, (size_t)keys);
	fu_str(pk, "user_id");
	fu_str(pk, user);
	fu_str(pk, "event_type");
	fu_str(pk, "click");
	fu_str(pk, "entity_id");
	fu_str(pk, "e1");
	for (int i = 3; i < keys; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%d", i);
		fu_str(pk, k);
		msgpack_pack_int(pk, i);
	}
}

/*
 * Depth and keys are per-record rules: a record nested 8 levels (counted
 * from the record, wherever it sits in the message) is accepted in every
 * mode; 9 levels or a 65-key map rejects that record only, the others are
 * delivered and the message is acked.
 */
static void _record_shape(void)
{
	msgpack_sbuffer *sb = msgpack_sbuffer_new(),
			*in = msgpack_sbuffer_new();
	msgpack_packer pk, ip;
	struct mp_stats st = { 0 };
	struct fu_log l = { 0 };

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_packer_init(&ip, in, msgpack_sbuffer_write);
	/* Forward: record at message level 4 */
	msgpack_pack_array(&pk, 3);
	fu_str(&pk, "t");
	msgpack_pack_array(&pk, 5);
	for (int i = 0; i < 5; i++) {
		msgpack_pack_array(&pk, 2);
		msgpack_pack_int64(&pk, T0);
		if (i == 0)
			_nested_rec(&pk, "d8", 8);
		else if (i == 1)
			_nested_rec(&pk, "d9", 9);
		else if (i == 2)
			_wide_rec(&pk, "k64", 64);
		else if (i == 3)
			_wide_rec(&pk, "k65", 65);
		else
			fu_rec(&pk, "ok", -1);
	}
	msgpack_pack_map(&pk, 1);
	fu_str(&pk, "chunk");
	fu_str(&pk, "f");
	/* PackedForward: entries [time, record] */
	for (int i = 0; i < 3; i++) {
		msgpack_pack_array(&ip, 2);
		msgpack_pack_int64(&ip, T0);
		_nested_rec(&ip, i ? "d9" : "d8", 8 + i % 2);
	}
	msgpack_pack_array(&pk, 3);
	fu_str(&pk, "t");
	msgpack_pack_bin(&pk, in->size);
	msgpack_pack_bin_body(&pk, in->data, in->size);
	msgpack_pack_map(&pk, 1);
	fu_str(&pk, "chunk");
	fu_str(&pk, "p");
	/* Message: record at message level 2 */
	for (int lv = 8; lv <= 9; lv++) {
		msgpack_pack_array(&pk, 4);
		fu_str(&pk, "t");
		msgpack_pack_int64(&pk, T0);
		_nested_rec(&pk, "m", lv);
		msgpack_pack_map(&pk, 1);
		fu_str(&pk, "chunk");
		fu_str(&pk, "m");
	}
	CHECK_EQ_INT(_feed(sb->data, sb->size, NULL, &st, &l), 0);
	CHECK_EQ_INT(st.fatal, 0);
	CHECK_EQ_INT(st.events, 10);
	CHECK_EQ_INT(st.reason[EVT_OK], 6); /* d8 x4, k64, ok */
	CHECK_EQ_INT(st.reason[EVT_R_TOO_DEEP], 3);
	CHECK_EQ_INT(st.reason[EVT_R_TOO_BIG], 1);
	CHECK_EQ_INT(l.acks, 4);
	fu_log_free(&l);
	msgpack_sbuffer_free(sb);
	msgpack_sbuffer_free(in);
}

/* gzip: bombs stop at the cap, garbage and truncation are -EBADMSG. */
static void _gzip(void)
{
	const size_t big = 64u << 20; /* 64 MiB of zeros: ~64 KiB of gzip */
	char *zeros = calloc(1, big), *gz;
	size_t gz_len;
	msgpack_sbuffer *sb = msgpack_sbuffer_new();
	msgpack_packer pk;
	struct mp_limits lim = mp_limits_default();
	struct mp_stats st = { 0 };
	struct fu_log l = { 0 };

	REQUIRE(zeros);
	gz = fu_gzip(zeros, big, &gz_len);
	free(zeros);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 3);
	fu_str(&pk, "t");
	msgpack_pack_bin(&pk, gz_len);
	msgpack_pack_bin_body(&pk, gz, gz_len);
	msgpack_pack_map(&pk, 1);
	fu_str(&pk, "compressed");
	fu_str(&pk, "gzip");
	lim.max_object_bytes = 1u << 20;
	lim.max_buffered = 1u << 20;
	CHECK_EQ_INT(_feed(sb->data, sb->size, &lim, &st, &l), -EMSGSIZE);
	CHECK_EQ_INT(st.fwd_bombs, 1);
	CHECK_EQ_INT(st.reason[EVT_R_TOO_BIG], 1);
	CHECK(st.fwd_inflated == 0);
	fu_log_free(&l);

	/* truncated gzip (of something small: a truncated bomb is still a
	 * bomb) */
	free(gz);
	gz = fu_gzip("\x92\x01\x80\x92\x01\x80\x92\x01\x80", 9, &gz_len);
	msgpack_sbuffer_clear(sb);
	msgpack_pack_array(&pk, 3);
	fu_str(&pk, "t");
	msgpack_pack_bin(&pk, gz_len - 6);
	msgpack_pack_bin_body(&pk, gz, gz_len - 6);
	msgpack_pack_map(&pk, 1);
	fu_str(&pk, "compressed");
	fu_str(&pk, "gzip");
	memset(&st, 0, sizeof(st));
	CHECK_EQ_INT(_feed(sb->data, sb->size, &lim, &st, &l), -EBADMSG);
	CHECK_EQ_INT(st.reason[EVT_R_MALFORMED], 1);
	fu_log_free(&l);

	/* not gzip at all */
	msgpack_sbuffer_clear(sb);
	msgpack_pack_array(&pk, 3);
	fu_str(&pk, "t");
	msgpack_pack_bin(&pk, 16);
	msgpack_pack_bin_body(&pk, "this is not gzip", 16);
	msgpack_pack_map(&pk, 1);
	fu_str(&pk, "compressed");
	fu_str(&pk, "gzip");
	memset(&st, 0, sizeof(st));
	CHECK_EQ_INT(_feed(sb->data, sb->size, &lim, &st, &l), -EBADMSG);
	fu_log_free(&l);

	/* two gzip members, each one entry: both delivered */
	{
		msgpack_sbuffer *in = msgpack_sbuffer_new();
		msgpack_packer ip;
		char *a, *b, *both;
		size_t al, bl;

		msgpack_packer_init(&ip, in, msgpack_sbuffer_write);
		msgpack_pack_array(&ip, 2);
		msgpack_pack_int64(&ip, T0);
		fu_rec(&ip, "u1", -1);
		a = fu_gzip(in->data, in->size, &al);
		b = fu_gzip(in->data, in->size, &bl);
		both = malloc(al + bl);
		memcpy(both, a, al);
		memcpy(both + al, b, bl);
		msgpack_sbuffer_clear(sb);
		msgpack_pack_array(&pk, 3);
		fu_str(&pk, "t");
		msgpack_pack_bin(&pk, al + bl);
		msgpack_pack_bin_body(&pk, both, al + bl);
		msgpack_pack_map(&pk, 1);
		fu_str(&pk, "compressed");
		fu_str(&pk, "gzip");
		memset(&st, 0, sizeof(st));
		CHECK_EQ_INT(_feed(sb->data, sb->size, &lim, &st, &l), 0);
		CHECK_EQ_INT(st.reason[EVT_OK], 2);
		fu_log_free(&l);
		free(a);
		free(b);
		free(both);
		msgpack_sbuffer_free(in);
	}
	free(gz);
	msgpack_sbuffer_free(sb);
}

int main(void)
{
	_shapes();
	_sizes();
	_packed();
	_times();
	_record_shape();
	_gzip();
	return check_done("ipc_forward_hostile");
}
