/* json_parse: valid documents, every escape, and garbage that must fail
 * with a message naming the byte offset. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ipc/json.h"

#define NTOK 64

struct fix {
	struct json_tok toks[NTOK];
	char scratch[512];
	struct json_work w;
	char err[160];
	size_t n;
};

static int parse(struct fix *f, const char *s)
{
	json_work_init(&f->w, f->toks, NTOK, f->scratch, sizeof(f->scratch));
	return json_parse(s, strlen(s), &f->w, &f->n, f->err, sizeof(f->err));
}

static void ok(const char *s, size_t ntok)
{
	struct fix f;
	int rc = parse(&f, s);

	if (rc != 0)
		fprintf(stderr, "rejected %s: %s\n", s, f.err);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(f.n, ntok);
	CHECK(f.err[0] == '\0');
}

/* Must fail with rc, and the message must start with "byte <off>:". */
static void fails(const char *s, size_t len, int rc, size_t off)
{
	struct fix f;
	char want[32];

	json_work_init(&f.w, f.toks, NTOK, f.scratch, sizeof(f.scratch));
	int got = json_parse(s, len, &f.w, &f.n, f.err, sizeof(f.err));

	snprintf(want, sizeof(want), "byte %zu: ", off);
	if (got != rc || strncmp(f.err, want, strlen(want)) != 0) {
		fprintf(stderr,
		    "input %.*s: rc %d (want %d), err '%s' (want '%s...')\n",
		    (int)len, s, got, rc, f.err, want);
		CHECK(0);
	}
	CHECK_EQ_INT(f.n, 0);
}

#define FAILS(lit, rc, off) fails((lit), sizeof(lit) - 1, (rc), (off))

static void test_valid(void)
{
	ok("{}", 1);
	ok("[]", 1);
	ok("0", 1);
	ok("-0", 1);
	ok(" \t\r\n true \n", 1);
	ok("false", 1);
	ok("null", 1);
	ok("\"\"", 1);
	ok("[1, 2.5, -3e2, 4E+1, 5e-1, 0.0]", 7);
	ok("{\"a\": [1, {\"b\": null}], \"c\": \"d\"}", 9);
	ok("[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]", 17); /* depth 16 */

	struct fix f;

	REQUIRE(
	    parse(&f,
		"{\"k\": [10, \"x\"], \"n\": -9223372036854775808, \"big\": 9223372036854775808, \"f\": 1.5}") ==
	    0);
	CHECK_EQ_INT(f.toks[0].kind, JSON_OBJECT);
	CHECK_EQ_INT(f.toks[0].count, 4);
	CHECK_EQ_INT(f.toks[0].end, f.n);
	CHECK_EQ_INT(f.toks[2].kind, JSON_ARRAY);
	CHECK_EQ_INT(f.toks[2].count, 2);
	CHECK_EQ_INT(f.toks[2].end, 5);
	CHECK_EQ_INT(f.toks[2].offset, 6);
	CHECK_EQ_INT(f.toks[2].raw_len, 9);
	CHECK(f.toks[3].is_int && f.toks[3].i == 10);

	long v = json_object_get(f.toks, 0, "n");
	REQUIRE(v > 0);
	CHECK(f.toks[v].is_int && f.toks[v].i == INT64_MIN);
	v = json_object_get(f.toks, 0, "big");
	REQUIRE(v > 0);
	CHECK(!f.toks[v].is_int);
	CHECK_NEAR(f.toks[v].num, 9223372036854775808.0, 0);
	v = json_object_get(f.toks, 0, "f");
	REQUIRE(v > 0);
	CHECK(!f.toks[v].is_int);
	CHECK_NEAR(f.toks[v].num, 1.5, 0);
	CHECK_EQ_INT(json_object_get(f.toks, 0, "nope"), -1);

	/* Last duplicate wins in json_object_get. */
	REQUIRE(parse(&f, "{\"a\":1,\"a\":2}") == 0);
	v = json_object_get(f.toks, 0, "a");
	CHECK(v > 0 && f.toks[v].i == 2);

	/* Tiny numbers underflow to zero, they are not an error. */
	REQUIRE(parse(&f, "1e-400") == 0);
	CHECK_NEAR(f.toks[0].num, 0, 0);
}

static void str_is(const char *doc, const char *want, size_t wlen)
{
	struct fix f;
	int rc = parse(&f, doc);

	if (rc != 0)
		fprintf(stderr, "rejected %s: %s\n", doc, f.err);
	REQUIRE(rc == 0);
	CHECK_EQ_INT(f.toks[0].kind, JSON_STRING);
	CHECK_EQ_INT(f.toks[0].len, wlen);
	CHECK(memcmp(f.toks[0].str, want, wlen) == 0);
}

static void test_escapes(void)
{
	str_is("\"plain\"", "plain", 5);
	str_is("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8);
	str_is("\"a\\u0041b\"", "aAb", 3);
	str_is("\"\\u00e9\"", "\xc3\xa9", 2);		     /* é */
	str_is("\"\\u20AC\"", "\xe2\x82\xac", 3);	     /* € */
	str_is("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4); /* U+1F600 pair */
	str_is("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4); /* U+10FFFF */
	str_is("\"\\u0000\"", "\0", 1);
	str_is("\"caf\xc3\xa9 \xf0\x9f\x98\x80\"",
	    "caf\xc3\xa9 \xf0\x9f\x98\x80", 10);
	str_is("\"x\\ny\xc3\xa9\"", "x\ny\xc3\xa9",
	    5); /* raw UTF-8 after an escape */

	/* Strings without escapes borrow the input. */
	struct fix f;
	const char *doc = "[\"abc\", \"d\\te\"]";

	REQUIRE(parse(&f, doc) == 0);
	CHECK(f.toks[1].str == doc + 2);
	CHECK(f.toks[2].str >= f.scratch &&
	    f.toks[2].str < f.scratch + sizeof(f.scratch));
}

static void test_garbage(void)
{
	FAILS("", -EINVAL, 0);
	FAILS("   ", -EINVAL, 3);
	FAILS("{", -EINVAL, 1);
	FAILS("{\"a\"", -EINVAL, 4);
	FAILS("{\"a\":", -EINVAL, 5);
	FAILS("{\"a\":1", -EINVAL, 6);
	FAILS("{\"a\":1,}", -EINVAL, 7);
	FAILS("[1,]", -EINVAL, 3);
	FAILS("[1 2]", -EINVAL, 3);
	FAILS("{a:1}", -EINVAL, 1);
	FAILS("{'a':1}", -EINVAL, 1);
	FAILS("{\"a\" 1}", -EINVAL, 5);
	FAILS("\"abc", -EINVAL, 0);
	FAILS("\"a\\x\"", -EINVAL, 3);
	FAILS("\"a\\", -EINVAL, 3);
	FAILS("\"\\u12\"", -EINVAL, 5);
	FAILS("\"\\u12G4\"", -EINVAL, 5);
	FAILS("\"\\ude00\"", -EINVAL, 1); /* lone low surrogate */
	FAILS("\"\\ud83d\"", -EINVAL, 1); /* lone high surrogate */
	FAILS("\"\\ud83dx\"", -EINVAL, 1);
	FAILS("\"\\ud83d\\u0041\"", -EINVAL, 7); /* high + non-low */
	FAILS("\"a\tb\"", -EINVAL, 2);		 /* raw control char */
	FAILS("\"a\nb\"", -EINVAL, 2);
	FAILS("\"a\x01\"", -EINVAL, 2);
	fails("\"a\0b\"", 5, -EINVAL, 2);	   /* raw NUL */
	FAILS("\"\xc3\"", -EINVAL, 1);		   /* truncated UTF-8 */
	FAILS("\"\xc0\xaf\"", -EINVAL, 1);	   /* overlong */
	FAILS("\"\xed\xa0\x80\"", -EINVAL, 1);	   /* UTF-8 surrogate */
	FAILS("\"\xf4\x90\x80\x80\"", -EINVAL, 1); /* > U+10FFFF */
	FAILS("\"\xff\"", -EINVAL, 1);
	FAILS("01", -EINVAL, 1);
	FAILS("-", -EINVAL, 1);
	FAILS("+1", -EINVAL, 0);
	FAILS("1.", -EINVAL, 2);
	FAILS(".5", -EINVAL, 0);
	FAILS("1e", -EINVAL, 2);
	FAILS("1e+", -EINVAL, 3);
	FAILS("0x10", -EINVAL, 1);
	FAILS("NaN", -EINVAL, 0);
	FAILS("Infinity", -EINVAL, 0);
	FAILS("-Infinity", -EINVAL, 1);
	FAILS("1e400", -ERANGE, 0);
	FAILS("[-1e999999]", -ERANGE, 1);
	FAILS("tru", -EINVAL, 0);
	FAILS("nul", -EINVAL, 0);
	FAILS("truex", -EINVAL, 4);
	FAILS("{} {}", -EINVAL, 3);
	FAILS("{}x", -EINVAL, 2);
	FAILS("1 2", -EINVAL, 2);
	FAILS("\xef\xbb\xbf{}", -EINVAL, 0); /* BOM */
	fails("{}\0", 3, -EINVAL, 2);	     /* trailing NUL */
	FAILS("[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", -ELOOP, 16); /* depth 17 */

	/* A number of 200 digits is valid JSON but longer than we read. */
	char longnum[201];

	memset(longnum, '1', 200);
	longnum[200] = '\0';
	fails(longnum, 200, -ERANGE, 0);

	/* The error message says what was expected. */
	struct fix f;

	CHECK_EQ_INT(parse(&f, "{\"a\":1,}"), -EINVAL);
	CHECK(strstr(f.err, "expected") != NULL);
	CHECK(strstr(f.err, "'\"'") != NULL);
	CHECK_EQ_INT(parse(&f, "[1 2]"), -EINVAL);
	CHECK(strstr(f.err, "',' or ']'") != NULL);
	CHECK(strstr(f.err, "got '2'") != NULL);
}

static void test_caps(void)
{
	struct fix f;
	struct json_tok few[3];

	/* Token array too small. */
	json_work_init(&f.w, few, 3, f.scratch, sizeof(f.scratch));
	CHECK_EQ_INT(json_parse("[1,2,3]", 7, &f.w, &f.n, f.err, sizeof(f.err)),
	    -E2BIG);
	CHECK(strncmp(f.err, "byte 5: ", 8) == 0);
	CHECK_EQ_INT(json_parse("[1,2]", 5, &f.w, &f.n, f.err, sizeof(f.err)),
	    0);

	/* String cap. */
	json_work_init(&f.w, f.toks, NTOK, f.scratch, sizeof(f.scratch));
	f.w.max_string_len = 4;
	CHECK_EQ_INT(json_parse("\"abcd\"", 6, &f.w, &f.n, f.err,
			 sizeof(f.err)),
	    0);
	CHECK_EQ_INT(json_parse("\"abcde\"", 7, &f.w, &f.n, f.err,
			 sizeof(f.err)),
	    -E2BIG);
	CHECK_EQ_INT(json_parse("\"ab\\ncd\"", 8, &f.w, &f.n, f.err,
			 sizeof(f.err)),
	    -E2BIG);

	/* Depth cap is adjustable. */
	f.w.max_depth = 2;
	CHECK_EQ_INT(json_parse("[[1]]", 5, &f.w, &f.n, f.err, sizeof(f.err)),
	    0);
	CHECK_EQ_INT(json_parse("[[[1]]]", 7, &f.w, &f.n, f.err, sizeof(f.err)),
	    -ELOOP);

	/* Scratch full or absent. */
	json_work_init(&f.w, f.toks, NTOK, f.scratch, 3);
	CHECK_EQ_INT(json_parse("\"a\\nb\"", 6, &f.w, &f.n, f.err,
			 sizeof(f.err)),
	    0);
	CHECK_EQ_INT(json_parse("[\"a\\nb\",\"\\n\"]", 12, &f.w, &f.n, f.err,
			 sizeof(f.err)),
	    -E2BIG);
	json_work_init(&f.w, f.toks, NTOK, NULL, 0);
	CHECK_EQ_INT(json_parse("\"ab\"", 4, &f.w, &f.n, f.err, sizeof(f.err)),
	    0);
	CHECK_EQ_INT(json_parse("\"a\\nb\"", 6, &f.w, &f.n, f.err,
			 sizeof(f.err)),
	    -E2BIG);

	/* A NULL/zero-length error buffer is fine. */
	json_work_init(&f.w, f.toks, NTOK, f.scratch, sizeof(f.scratch));
	CHECK_EQ_INT(json_parse("{", 1, &f.w, NULL, NULL, 0), -EINVAL);
	/* The length bounds the input, not a NUL. */
	CHECK_EQ_INT(json_parse("[1]garbage", 3, &f.w, NULL, NULL, 0), 0);
}

/* splitmix64 */
static uint64_t rnd(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* One number's token value must be strtod's to the bit. */
static int same_as_strtod(const char *text)
{
	struct fix f;
	if (parse(&f, text) != 0)
		return 0;
	double want = strtod(text, NULL);
	return memcmp(&want, &f.toks[0].num, sizeof(want)) == 0;
}

/* Numbers take an exact fast path when they can: every value, on both
 * sides of its limits (19 digits, 2^53, 10^22) and with leading zeros,
 * signs, exponents, must be the double strtod gives. */
static void test_numbers_exact(void)
{
	static const char *const edge[] = { "0", "-0", "-0.0", "0.0e5",
		"9007199254740992", "9007199254740993", "-9007199254740993",
		"1e22", "1e23", "1.5e-22", "3e-23", "0.1",
		"0.30000000000000004", "123456789012345678",
		"1234567890123456789", "12345678901234567890",
		"0.000000000000000000001234", "4.35", "52.520008", "-74.0059",
		"1E+2", "1e-0", "2.5E-3",
		"179769313486231570000000000000000000000000000000000000" };
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		if (!same_as_strtod(edge[i]))
			fprintf(stderr, "number %s differs from strtod\n",
			    edge[i]);
		CHECK(same_as_strtod(edge[i]));
	}
	uint64_t x = 42;
	unsigned bad = 0;
	for (unsigned k = 0; k < 200000; k++) {
		char t[80];
		size_t n = 0;
		uint64_t r = rnd(&x);
		if (r & 1)
			t[n++] = '-';
		unsigned id = 1 + (unsigned)((r >> 1) % 20);
		unsigned fd = (unsigned)((r >> 8) % 21);
		for (unsigned d = 0; d < id; d++)
			t[n++] = (char)('0' +
			    (d == 0 && id > 1 ? 1 + rnd(&x) % 9
					      : rnd(&x) % 10));
		if (fd) {
			t[n++] = '.';
			for (unsigned d = 0; d < fd; d++)
				t[n++] = (char)('0' + rnd(&x) % 10);
		}
		if ((r >> 16) % 3 == 0)
			n += (size_t)snprintf(t + n, 12, "e%d",
			    (int)((r >> 20) % 61) - 30);
		t[n] = 0;
		if (!same_as_strtod(t) && bad++ < 5)
			fprintf(stderr, "number %s differs from strtod\n", t);
	}
	CHECK_EQ_INT(bad, 0);
}

/*
 * A string's plain runs are scanned eight bytes at a time: a byte that
 * needs a look (a control byte, a quote, a backslash, UTF-8, and beside
 * them bytes that need none: DEL, '~', ' ') at every position of strings
 * of every length around the word size, with plain bytes on both sides.
 */
static void test_string_runs(void)
{
	static const struct {
		const char *in, *out; /* the odd bytes as written, as read */
		int rc;		      /* 0 or json_parse's error */
	} odd[] = {
		{ "\x01", NULL, -EINVAL },
		{ "\x1f", NULL, -EINVAL },
		{ "\x80", NULL, -EINVAL },
		{ "\xff", NULL, -EINVAL },
		{ "\\n", "\n", 0 },
		{ "\\\"", "\"", 0 },
		{ "\xc3\xa9", "\xc3\xa9", 0 },
		{ "\x7f", "\x7f", 0 },
		{ "~", "~", 0 },
		{ " ", " ", 0 },
		{ "!", "!", 0 },
		{ "#", "#", 0 },
		{ "[", "[", 0 },
		{ "]", "]", 0 },
	};
	unsigned bad = 0;

	for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++)
		for (size_t len = 0; len <= 20; len++)
			for (size_t at = 0; at <= len; at++) {
				char doc[64], want[64];
				size_t n = 0, w = 0;

				doc[n++] = '"';
				for (size_t i = 0; i < len + 1; i++) {
					if (i == at) {
						n += (size_t)snprintf(doc + n,
						    sizeof(doc) - n, "%s",
						    odd[k].in);
						if (odd[k].out)
							w += (size_t)
							    snprintf(want + w,
								sizeof(want) -
								    w,
								"%s",
								odd[k].out);
					}
					if (i < len) {
						doc[n++] = (char)('a' + i);
						want[w++] = (char)('a' + i);
					}
				}
				doc[n++] = '"';
				doc[n] = '\0';

				struct fix f;
				int rc = parse(&f, doc);
				bool good = rc == odd[k].rc &&
				    (rc != 0 ||
					(f.toks[0].len == w &&
					    memcmp(f.toks[0].str, want, w) ==
						0));
				if (!good && bad++ < 5)
					fprintf(stderr,
					    "odd byte %zu at %zu of %zu: rc %d\n",
					    k, at, len, rc);
			}
	CHECK_EQ_INT(bad, 0);
	/* a quote ends the string where it is, not later in its word */
	struct fix f;
	REQUIRE(parse(&f, "[\"abc\",\"defghijklmn\"]") == 0);
	CHECK_EQ_INT(f.toks[1].len, 3);
	CHECK_EQ_INT(f.toks[2].len, 11);
}

int main(void)
{
	test_string_runs();
	test_valid();
	test_numbers_exact();
	test_escapes();
	test_garbage();
	test_caps();
	return check_done("event_json_parse");
}
