/* json_parse's two paths agree: the one-loop parser (max_depth below its
 * stack) and the recursive one (max_depth above) give the same return, the
 * same message and the same tokens for the JSON corpora given as arguments
 * (directories), their mutations (bytes changed, cut, inserted) and
 * generated documents (nesting, escapes, UTF-8, numbers of every form),
 * under tight token, string and scratch caps too. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ipc/json.h"

#define NTOK 512
#define MAXDOC 8192

struct run {
	struct json_tok toks[NTOK];
	char scratch[MAXDOC];
	char err[200];
	size_t n;
	int rc;
};

static unsigned long long rounds, mismatches;

static void parse(struct run *r, const char *s, size_t len, unsigned depth,
    size_t max_toks, size_t max_string, size_t scratch_cap)
{
	struct json_work w;
	json_work_init(&w, r->toks, max_toks, r->scratch, scratch_cap);
	w.max_depth = depth;
	w.max_string_len = max_string;
	r->n = 0;
	r->err[0] = 0;
	r->rc = json_parse(s, len, &w, &r->n, r->err, sizeof(r->err));
}

static bool same_tok(const struct json_tok *a, const struct json_tok *b)
{
	if (a->kind != b->kind || a->is_int != b->is_int ||
	    a->offset != b->offset || a->raw_len != b->raw_len ||
	    a->end != b->end || a->count != b->count)
		return false;
	if (a->kind == JSON_STRING)
		return a->len == b->len && !memcmp(a->str, b->str, a->len);
	if (a->kind == JSON_NUMBER)
		return !memcmp(&a->num, &b->num, sizeof(a->num)) &&
		    (!a->is_int || a->i == b->i);
	return true;
}

/* One document under one set of caps, through both paths. */
static void compare(const char *s, size_t len, size_t max_toks,
    size_t max_string, size_t scratch_cap)
{
	static struct run a, b;
	parse(&a, s, len, 62, max_toks, max_string, scratch_cap);
	parse(&b, s, len, 64, max_toks, max_string, scratch_cap);
	rounds++;
	if (a.rc == -ELOOP || b.rc == -ELOOP)
		return; /* the limits differ on purpose */
	bool same = a.rc == b.rc && !strcmp(a.err, b.err);
	if (same && a.rc == 0) {
		same = a.n == b.n;
		for (size_t i = 0; same && i < a.n; i++)
			same = same_tok(&a.toks[i], &b.toks[i]);
	}
	if (!same && mismatches++ < 5)
		fprintf(stderr,
		    "paths differ on %.*s%s: loop %d '%s', recursive %d '%s'\n",
		    (int)(len < 120 ? len : 120), s, len < 120 ? "" : "...",
		    a.rc, a.err, b.rc, b.err);
}

static void caps(const char *s, size_t len)
{
	compare(s, len, NTOK, 4096, MAXDOC);
	compare(s, len, 1 + len % 7, 4096, MAXDOC);
	compare(s, len, NTOK, len % 5, MAXDOC);
	compare(s, len, NTOK, 4096, len % 11);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* The document and mutations of it. */
static void doc(const char *s, size_t len)
{
	static char m[MAXDOC + 8];
	static const char bytes[] =
	    "{}[]\",:.-+eE0123456789 \\\t\nxtfnu\x80\xc3";
	if (len > MAXDOC)
		len = MAXDOC;
	caps(s, len);
	for (size_t k = 0; len && k < 60; k++) {
		memcpy(m, s, len);
		size_t n = len, at = rnd((unsigned)len);
		switch (k % 3) {
		case 0: m[at] = bytes[rnd(sizeof(bytes) - 1)]; break;
		case 1: n = at; break;
		default:
			memmove(m + at + 1, m + at, len - at);
			m[at] = bytes[rnd(sizeof(bytes) - 1)];
			n = len + 1;
		}
		caps(m, n);
	}
}

/* A random value into b (depth levels at most). */
static void gen(char *b, size_t *n, size_t cap, unsigned depth)
{
	static const char *const atoms[] = { "0", "-0", "1", "-17", "3.25",
		"0.000001", "123456789012345678", "1234567890123456789",
		"9007199254740993", "1e5", "2.5E-3", "-0.0", "1.", "01", "-",
		"true", "false", "null", "tru", "\"\"", "\"plain text\"",
		"\"tab\\tnew\\nline\"", "\"\\u00e9\\ud83d\\ude00\"",
		"\"caf\xc3\xa9\"", "\"bad \x01 control\"", "\"\\x\"",
		"12345678901234567890123", "0.1234567890123456789012345" };
	if (*n + 64 >= cap)
		return;
	unsigned r = rnd(depth ? 10 : 6);
	if (r < 6) {
		const char *a = atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))];
		size_t l = strlen(a);
		memcpy(b + *n, a, l);
		*n += l;
		return;
	}
	bool obj = r >= 8;
	b[(*n)++] = obj ? '{' : '[';
	unsigned k = rnd(5);
	for (unsigned i = 0; i < k && *n + 64 < cap; i++) {
		if (i)
			b[(*n)++] = ',';
		if (rnd(4) == 0)
			b[(*n)++] = ' ';
		if (obj) {
			*n += (size_t)snprintf(b + *n, cap - *n, "\"k%u\":", i);
		}
		gen(b, n, cap, depth - 1);
	}
	b[(*n)++] = obj ? '}' : ']';
}

static void corpus(const char *dir)
{
	DIR *d = opendir(dir);
	REQUIRE(d != NULL);
	struct dirent *e;
	unsigned files = 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 5, ".json"))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		REQUIRE(f != NULL);
		static char buf[MAXDOC];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		doc(buf, n);
		files++;
	}
	closedir(d);
	CHECK(files > 0);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		corpus(argv[i]);
	static char b[MAXDOC];
	for (unsigned i = 0; i < 3000; i++) {
		size_t n = 0;
		gen(b, &n, sizeof(b), 1 + rnd(6));
		doc(b, n);
	}
	/* nesting at the loop's limit and past it: the same -ELOOP rule */
	char deep[200];
	for (unsigned d = 60; d < 66; d++) {
		memset(deep, '[', d);
		memset(deep + d, ']', d);
		struct run r;
		parse(&r, deep, 2 * d, 62, NTOK, 4096, MAXDOC);
		CHECK_EQ_INT(r.rc, d > 62 ? -ELOOP : 0);
	}
	fprintf(stderr, "%llu documents under both paths, %llu differ\n",
	    rounds, mismatches);
	CHECK(rounds > 100000);
	CHECK_EQ_INT(mismatches, 0);
	return check_done("json_paths");
}
