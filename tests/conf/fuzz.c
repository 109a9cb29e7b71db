/*
 * config_fuzz: random bytes and mangled settings fed to cfg_load_file never crash it.
 *
 * Every outcome is 0 (and then the values pass cfg_check, except perhaps
 * a rule between settings) or -EINVAL/-ENOENT with a one-line
 * "FILE:LINE: ..." message and the cfg left unchanged.
 *
 * LLVMFuzzerTestOneInput is the fuzz target; without a fuzzing engine
 * (the default build) main() drives it with a fixed-seed generator, so the
 * run is deterministic and bounded. Built with -DPENCHANT_FUZZING it has no
 * main: libFuzzer's (-Dfuzz=true) or tests/fuzz_replay_main.c's, over the
 * seed corpus tests/conf/corpus.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cfgtest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[512];

#ifdef PENCHANT_FUZZING
/* Without our main (libFuzzer, the replay main) nobody else unlinks it. */
static void rm_path(void)
{
	unlink(path);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg c, before;
	char err[CFG_ERR_MAX];
	int rc;

	if (!*path) {
		cfgtest_tmpname(path, sizeof path);
#ifdef PENCHANT_FUZZING
		atexit(rm_path);
#endif
	}
	cfgtest_write(path, data, size);
	cfg_defaults(&c);
	before = c;
	memset(err, 'Z', sizeof err);
	rc = cfg_load_file(&c, path, err, sizeof err);
	REQUIRE(rc == 0 || rc == -EINVAL || rc == -ENOENT);
	if (rc == 0) {
		/* values passed their own checks; only a rule between
		 * settings may fail (docs/SETTINGS.md, "Rules between
		 * settings") */
		if (cfg_check(&c, err, sizeof err) != 0)
			REQUIRE(strncmp(err, "acceptor_slots (", 16) == 0 ||
			    strncmp(err, "segments_k_min (", 16) == 0 ||
			    strncmp(err, "kl_release (", 12) == 0);
	} else {
		REQUIRE(memchr(err, '\0', sizeof err) != NULL);
		REQUIRE(strchr(err, '\n') == NULL);
		REQUIRE(strncmp(err, path, strlen(path)) == 0);
		REQUIRE(memcmp(&c, &before, sizeof c) == 0);
	}
	return 0;
}

#ifndef PENCHANT_FUZZING

/* xorshift64*: fixed seed, so a failure reproduces exactly. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Pieces that reach deeper than uniform noise does. */
static const char *const pieces[] = {
	"=",
	" = ",
	"\n",
	"#",
	"\r\n",
	"0x",
	"-",
	"1e",
	"nan",
	"inf",
	"true",
	"debug",
	"/",
	"0",
	"4096",
	"99999999999999999999",
	"\t",
	"\xef\xbb\xbf",
	"--",
	"_",
	"config",
};

/* One input: random bytes, or lines built from names and pieces. */
static size_t make_input(uint8_t *buf, size_t cap)
{
	size_t n = 0, want = (size_t)(rng() % cap);

	if (rng() % 3 == 0) {
		for (; n < want; n++)
			buf[n] = (uint8_t)rng();
		return n;
	}
	while (n < want) {
		const char *s;
		size_t len, k = rng() % 4;

		if (k == 0)
			s = cfgtest_names[rng() % CFGTEST_COUNT];
		else if (k == 1)
			s = pieces[rng() % (sizeof pieces / sizeof pieces[0])];
		else if (k == 2) {
			buf[n++] = (uint8_t)rng();
			continue;
		} else {
			buf[n++] = (uint8_t)('0' + rng() % 10);
			continue;
		}
		len = strlen(s);
		if (n + len > cap)
			break;
		memcpy(buf + n, s, len);
		n += len;
	}
	return n;
}

int main(void)
{
	static uint8_t buf[CFG_LINE_MAX * 2 + 64];
	size_t i;

	for (i = 0; i < 1500; i++) {
		/* mostly short inputs; some long enough to pass CFG_LINE_MAX */
		size_t cap = (i % 25 == 0) ? sizeof buf : 300;

		LLVMFuzzerTestOneInput(buf, make_input(buf, cap));
	}
	unlink(path);
	return check_done("config_fuzz");
}

#endif
