/*
 * Replay main for fuzz targets built without libFuzzer: runs every file of
 * the corpus directory given as argv[1] through LLVMFuzzerTestOneInput,
 * then FUZZ_MUTATIONS deterministic mutations of those seeds (xorshift PRNG,
 * fixed seed, so a failure reproduces). Exit 0 when nothing crashed.
 * Usage: fuzz_replay CORPUS_DIR [MUTATIONS]
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MUTATIONS 20000
#define MAX_SEEDS 256
#define FUZZ_MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seed {
	uint8_t *data;
	size_t len;
};

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads the seeds in name order, so the mutation stream is reproducible. */
static size_t load_dir(const char *dir, struct seed *seeds)
{
	static char *names[MAX_SEEDS];
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t nn = 0, n = 0;
	char path[4096];

	if (!d)
		return 0;
	while ((e = readdir(d)) && nn < MAX_SEEDS)
		if (e->d_name[0] != '.')
			names[nn++] = strdup(e->d_name);
	closedir(d);
	qsort(names, nn, sizeof(names[0]), cmp_name);
	for (size_t i = 0; i < nn; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "rb");

		free(names[i]);
		if (!f)
			continue;
		seeds[n].data = malloc(FUZZ_MAX_INPUT);
		seeds[n].len = fread(seeds[n].data, 1, FUZZ_MAX_INPUT, f);
		fclose(f);
		n++;
	}
	return n;
}

/* Fragments that steer mutations toward interesting JSON. */
static const char *const dict[] = {
	"{",
	"}",
	"[",
	"]",
	"\"",
	":",
	",",
	"\\",
	"\\u",
	"\\ud83d",
	"\\ude00",
	"null",
	"true",
	"1e999",
	"-0",
	"1.5",
	"\"userId\"",
	"\"eventType\"",
	"\"search\"",
	"\"feedback\"",
	"\"timestamp\"",
	"\"context\"",
	"\"location\"",
	"\"lat\"",
	"\"lon\"",
	"NaN",
	"\xc3\xa9",
	"\xff",
	"99999999999999999999",
	"\"2024-02-30T00:00:00Z\"",
	"\x00",
};

static size_t mutate(uint8_t *buf, size_t len, uint64_t *rng)
{
	unsigned n = 1 + (unsigned)(rng_next(rng) % 4);

	for (unsigned k = 0; k < n; k++) {
		size_t pos = len ? (size_t)(rng_next(rng) % (len + 1)) : 0;

		switch (rng_next(rng) % 6) {
		case 0: /* flip a byte */
			if (pos < len)
				buf[pos] ^=
				    (uint8_t)(1u << (rng_next(rng) % 8));
			break;
		case 1: /* random byte */
			if (pos < len)
				buf[pos] = (uint8_t)rng_next(rng);
			break;
		case 2: /* truncate */ len = pos; break;
		case 3: { /* delete a range */
			size_t d = (size_t)(rng_next(rng) % 8);

			if (pos + d <= len) {
				memmove(buf + pos, buf + pos + d,
				    len - pos - d);
				len -= d;
			}
			break;
		}
		case 4: { /* insert a dictionary fragment */
			const char *w = dict[rng_next(rng) %
			    (sizeof(dict) / sizeof(dict[0]))];
			size_t wl = w[0] ? strlen(w) : 1;

			if (len + wl <= FUZZ_MAX_INPUT) {
				memmove(buf + pos + wl, buf + pos, len - pos);
				memcpy(buf + pos, w, wl);
				len += wl;
			}
			break;
		}
		default: { /* duplicate a range (nesting bombs) */
			size_t d = (size_t)(rng_next(rng) % 32);

			if (pos + d <= len && len + d <= FUZZ_MAX_INPUT) {
				memmove(buf + pos + d, buf + pos, len - pos);
				len += d;
			}
			break;
		}
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	static struct seed seeds[MAX_SEEDS];
	uint8_t *buf = malloc(FUZZ_MAX_INPUT), *exact;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	long mutations = argc > 2 ? atol(argv[2]) : FUZZ_MUTATIONS;
	size_t n;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [MUTATIONS]\n", argv[0]);
		return 1;
	}
	n = load_dir(argv[1], seeds);
	if (n == 0) {
		fprintf(stderr, "no seeds in %s\n", argv[1]);
		free(buf);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		LLVMFuzzerTestOneInput(seeds[i].data, seeds[i].len);
	for (long m = 0; m < mutations; m++) {
		const struct seed *s = &seeds[rng_next(&rng) % n];
		size_t len;

		memcpy(buf, s->data, s->len);
		len = mutate(buf, s->len, &rng);
		/* Copy to an exact-size block so reads past the end show up
		 * under ASan. */
		exact = malloc(len ? len : 1);
		memcpy(exact, buf, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	printf("fuzz replay: %zu seeds, %ld mutations, no crash\n", n,
	    mutations);
	for (size_t i = 0; i < n; i++)
		free(seeds[i].data);
	free(buf);
	return 0;
}
