/*
 * check: the few macros every test program uses. A test is one program about
 * one behaviour; it exits 0 on pass, 1 on failure, 77 to skip.
 */
#ifndef PENCHANT_TESTS_CHECK_H
#define PENCHANT_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
			    __LINE__, #cond);                                  \
			check_failures++;                                      \
		}                                                              \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                     \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			fprintf(stderr,                                        \
			    "%s:%d: %s == %s failed: %lld != %lld\n",          \
			    __FILE__, __LINE__, #a, #b, _a, _b);               \
			check_failures++;                                      \
		}                                                              \
	} while (0)

#define CHECK_NEAR(a, b, eps)                                                  \
	do {                                                                   \
		double _a = (a), _b = (b);                                     \
		if (!(fabs(_a - _b) <= (eps))) {                               \
			fprintf(stderr,                                        \
			    "%s:%d: %s ~ %s failed: %.12g != %.12g\n",         \
			    __FILE__, __LINE__, #a, #b, _a, _b);               \
			check_failures++;                                      \
		}                                                              \
	} while (0)

/* Fatal: stop the test now (setup failed, continuing would crash). */
#define REQUIRE(cond)                                                          \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: REQUIRE failed: %s\n",         \
			    __FILE__, __LINE__, #cond);                        \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define SKIP(...)                                                              \
	do {                                                                   \
		fprintf(stderr, "skip: " __VA_ARGS__);                         \
		fputc('\n', stderr);                                           \
		exit(77);                                                      \
	} while (0)

static inline int check_done(const char *name)
{
	if (check_failures) {
		fprintf(stderr, "%s: %d check(s) failed\n", name,
		    check_failures);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}

#endif
