/*
 * mpack: declared-length and nesting bombs (array32/map32 of 4e9, str32,
 * bin32 and ext32 of 4e9, 100000 nested arrays) are refused cheaply, in a
 * forked child under a small RLIMIT_AS, even with every cap raised so that
 * only the "declared sizes must be backed by bytes" rule protects; without
 * ASan the child also interposes malloc and asserts that no single request
 * exceeded 64 KiB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ipc/mpack.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#ifndef UNDER_ASAN
/*
 * malloc interposition (the executable's definitions win for the shared
 * libraries too, msgpack-c included). Only the largest request is kept.
 */
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);
void *malloc(size_t n);
void *calloc(size_t a, size_t b);
void *realloc(void *p, size_t n);
void free(void *p);

static size_t largest_request;

static void note(size_t n)
{
	if (n > largest_request)
		largest_request = n;
}

void *malloc(size_t n)
{
	note(n);
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	note(a * b);
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	note(n);
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}
#endif

struct bomb {
	const char *name;
	unsigned char *data;
	size_t len;
	enum evt_reason want;	      /* with every cap raised */
	enum evt_reason want_default; /* with the default caps */
};

static unsigned char *mk(const unsigned char *head, size_t hl, size_t total,
    unsigned char fill)
{
	unsigned char *b = malloc(total);

	REQUIRE(b);
	memset(b, fill, total);
	if (hl)
		memcpy(b, head, hl);
	return b;
}

static int count_cb(void *ctx, const struct mp_event *ev)
{
	(void)ev;
	(*(int *)ctx)++;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_bombs(void)
{
	static const unsigned char a32[] = { 0xdd, 0xee, 0x6b, 0x28, 0x00 };
	static const unsigned char m32[] = { 0xdf, 0xee, 0x6b, 0x28, 0x00 };
	static const unsigned char s32[] = { 0x81, 0xa7, 'u', 's', 'e', 'r',
		'_', 'i', 'd', 0xdb, 0xee, 0x6b, 0x28, 0x00, 'x' };
	static const unsigned char b32[] = { 0xc6, 0xff, 0xff, 0xff, 0xff };
	static const unsigned char e32[] = { 0xc9, 0xff, 0xff, 0xff, 0xf0,
		0xff };
	static const unsigned char a16m[] = { 0xdc, 0xff, 0xff }; /* + maps */
	struct bomb bombs[] = {
		{ "array32 of 4e9", mk(a32, 5, 5, 0), 5, EVT_R_MALFORMED,
		    EVT_R_TOO_BIG },
		{ "map32 of 4e9", mk(m32, 5, 5, 0), 5, EVT_R_MALFORMED,
		    EVT_R_TOO_BIG },
		{ "str32 of 4e9", mk(s32, sizeof(s32), sizeof(s32), 0),
		    sizeof(s32), EVT_R_MALFORMED, EVT_R_TOO_BIG },
		{ "bin32 of 4e9", mk(b32, 5, 5, 0), 5, EVT_R_MALFORMED,
		    EVT_R_TOO_BIG },
		{ "ext32 of 4e9", mk(e32, 6, 6, 0), 6, EVT_R_MALFORMED,
		    EVT_R_TOO_BIG },
		/* 100000 nested fixarray(1): deep, and short of bytes */
		{ "100000 nested arrays", mk(NULL, 0, 100000, 0x91), 100000,
		    EVT_R_TOO_DEEP, EVT_R_TOO_DEEP },
		/* array16 of 65535 empty maps, only 1000 present */
		{ "array16 short of elements", mk(a16m, 3, 1003, 0x80), 1003,
		    EVT_R_MALFORMED, EVT_R_TOO_BIG },
	};
	struct mp_limits big = mp_limits_default();
	int fails = 0;

	big.max_object_bytes = SIZE_MAX / 2;
	big.max_buffered = SIZE_MAX / 2;
	big.max_events = SIZE_MAX / 2;
	big.max_keys = SIZE_MAX / 2;
	big.max_depth = MP_MAX_DEPTH;
#ifndef UNDER_ASAN
	largest_request = 0; /* the bombs themselves are not the decoder's */
#endif
	for (size_t i = 0; i < sizeof(bombs) / sizeof(bombs[0]); i++) {
		struct bomb *b = &bombs[i];
		struct mp_stats st = { 0 };
		struct mp_stream s;
		int calls = 0, rc;
		double t0 = now_s();
		enum evt_reason r;

		r = mp_decode_buffer((const char *)b->data, b->len, &big,
		    count_cb, &calls, &st);
		if (r != b->want) {
			fprintf(stderr, "%s (caps raised): %s\n", b->name,
			    evt_reason_name(r));
			fails++;
		}
		r = mp_decode_buffer((const char *)b->data, b->len, NULL,
		    count_cb, &calls, &st);
		if (r != b->want_default) {
			fprintf(stderr, "%s (default caps): %s\n", b->name,
			    evt_reason_name(r));
			fails++;
		}
		/* As a stream with default caps: the declared size alone is
		 * fatal (TOO_BIG) or the nesting is; never a big buffer. */
		REQUIRE(mp_stream_init(&s, NULL) == 0);
		rc = mp_stream_feed(&s, (const char *)b->data, b->len, count_cb,
		    &calls, &st);
		if (rc >= 0 || mp_stream_buffered(&s) > b->len) {
			fprintf(stderr, "%s (stream): rc %d, %zu held\n",
			    b->name, rc, mp_stream_buffered(&s));
			fails++;
		}
		mp_stream_fini(&s);
		/* With raised caps a stream waits for the bytes, holding only
		 * what it was given. */
		REQUIRE(mp_stream_init(&s, &big) == 0);
		rc = mp_stream_feed(&s, (const char *)b->data, b->len, count_cb,
		    &calls, &st);
		if (rc > 0 || mp_stream_buffered(&s) > b->len) {
			fprintf(stderr, "%s (stream, raised caps): rc %d\n",
			    b->name, rc);
			fails++;
		}
		mp_stream_fini(&s);
		if (now_s() - t0 > 0.5) {
			fprintf(stderr, "%s: took %.3f s\n", b->name,
			    now_s() - t0);
			fails++;
		}
		free(b->data);
	}
#ifndef UNDER_ASAN
	if (largest_request < 1024) {
		fprintf(stderr, "malloc interposition saw nothing\n");
		fails++;
	}
	if (largest_request > 64 * 1024) {
		fprintf(stderr, "largest allocation request %zu bytes\n",
		    largest_request);
		fails++;
	}
#endif
	return fails ? 1 : 0;
}

int main(void)
{
	pid_t pid = fork();
	int status;

	REQUIRE(pid >= 0);
	if (pid == 0) {
#ifndef UNDER_ASAN
		/* ASan reserves terabytes of shadow: no RLIMIT_AS there. */
		struct rlimit rl = { 256u << 20, 256u << 20 };

		REQUIRE(setrlimit(RLIMIT_AS, &rl) == 0);
#endif
		_exit(run_bombs());
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
	return check_done("mpack_bomb");
}
