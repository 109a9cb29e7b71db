/*
 * audit_chain: a chain of many appends verifies, reads back what was
 * written (escapes, non-UTF-8 bytes), and every kind of tampering (a
 * flipped byte, a deleted line, two lines swapped, a truncated last line,
 * a detail edited with its own hash recomputed, garbage added) is found
 * at the right line, by aud_verify and by an independent Python verifier
 * (argv[1], audit_ref.py) alike. Appending to a damaged log is refused.
 */
#include <inttypes.h>

#include "audit_util.h"

#define N 60

static const char *ref_script;

/* The detail of line i (1-based): varied, with characters to escape. */
static void _detail(unsigned i, char *buf, size_t len)
{
	static const char *const extra[] = { "plain", "quote \" and \\ slash",
		"tab\tnew\nline", "caf\xc3\xa9", "bad \xff\xfe bytes", "" };
	snprintf(buf, len, "n=%u %s", i, extra[i % 6]);
}

static void _fill(const char *dir)
{
	char err[256], d[128];
	for (unsigned i = 1; i <= N; i++) {
		_detail(i, d, sizeof(d));
		/* A few appends sync, as the daemon's do; the rest are quick. */
		int rc = aud_append_flags(dir, "chain",
		    (enum aud_action)(i % AUD_ACTION_COUNT),
		    i % 3 ? 0x0123456789abcdefULL * i : AUD_NO_SUBJECT, d,
		    i % 20 ? AUD_NO_SYNC : 0, err, sizeof(err));
		if (rc)
			fprintf(stderr, "append %u: %s\n", i, err);
		REQUIRE(rc == 0);
	}
}

struct _seen {
	unsigned n;
	bool ok;
};

static int _each(const struct aud_entry *e, void *arg)
{
	struct _seen *s = arg;
	char want[128];
	s->n++;
	_detail(s->n, want, sizeof(want));
	if (s->n % 6 == 4) /* invalid bytes read back as U+FFFD */
		snprintf(want, sizeof(want),
		    "n=%u bad \xef\xbf\xbd\xef\xbf\xbd bytes", s->n);
	uint64_t subj = s->n % 3 ? 0x0123456789abcdefULL * s->n : 0;
	bool ok = e->seq == s->n && !strcmp(e->detail, want) &&
	    e->subject == subj &&
	    e->action == (enum aud_action)(s->n % AUD_ACTION_COUNT) &&
	    e->uid == getuid() && e->pid == getpid() && e->ms > 1700000000000;
	if (!ok)
		fprintf(stderr, "line %u read back wrong: %.*s\n", s->n,
		    (int)e->line_len, e->line);
	s->ok = s->ok && ok;
	return 0;
}

/* Both verifiers agree that path is bad at line `want` (0: intact). */
static void _expect(const char *path, uint64_t want, const char *why)
{
	struct aud_report rep;
	char err[512], ref[256], exp[64];
	int rc = aud_verify(path, &rep, err, sizeof(err));
	if (want) {
		CHECK_EQ_INT(rc, -EBADMSG);
		CHECK_EQ_INT(rep.bad_line, want);
		CHECK_EQ_INT(rep.good, want - 1);
		if (!strstr(rep.why, why) || !strstr(err, "line")) {
			fprintf(stderr, "want '%s', got '%s' / '%s'\n", why,
			    rep.why, err);
			check_failures++;
		}
		snprintf(exp, sizeof(exp), "bad %" PRIu64 " ", want);
	} else {
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(rep.bad_line, 0);
		snprintf(exp, sizeof(exp), "ok %" PRIu64 " ", rep.lines);
	}
	au_ref(ref_script, path, ref, sizeof(ref));
	if (strncmp(ref, exp, strlen(exp))) {
		fprintf(stderr, "%s: reference says '%s', aud_verify '%s%s'\n",
		    path, ref, exp, rep.why);
		check_failures++;
	}
}

/* A copy of the good log with one change, checked. */
static void _tamper(const char *good, const char *dir, const char *name,
    void (*change)(struct au_lines *l), uint64_t want, const char *why)
{
	char path[256];
	struct au_lines l;
	snprintf(path, sizeof(path), "%s/%s.audit", dir, name);
	au_load(good, &l);
	change(&l);
	au_save(path, &l);
	fprintf(stderr, "case %s\n", name);
	_expect(path, want, why);
	au_free(&l);
}

static void _flip_byte(struct au_lines *l)
{
	char *d = strstr(l->line[9], "n=10");
	d[2] ^= 0x01; /* "n=10" -> "n=00" */
}

static void _flip_hash(struct au_lines *l)
{
	char *h = strstr(l->line[19], "\"hash\":\"") + 8;
	h[5] = h[5] == 'a' ? 'b' : 'a';
}

static void _delete(struct au_lines *l)
{
	free(l->line[16]);
	memmove(l->line + 16, l->line + 17, (l->n - 17) * sizeof(char *));
	l->n--;
}

static void _swap(struct au_lines *l)
{
	char *t = l->line[29];
	l->line[29] = l->line[30];
	l->line[30] = t;
}

static void _truncate(struct au_lines *l)
{
	char *s = l->line[l->n - 1];
	s[strlen(s) - 10] = 0;
	l->last_nl = false;
}

static void _drop_newline(struct au_lines *l)
{
	l->last_nl = false;
}

/* Line 25's detail rewritten and its own hash recomputed: only the next
 * line's prev can tell. */
static void _rehash(struct au_lines *l)
{
	char *s = l->line[24], buf[AUD_LINE_MAX], hash[65];
	char *d = strstr(s, "n=25");
	REQUIRE(d);
	d[3] = '6'; /* n=26 */
	size_t off = (size_t)(strstr(s, ",\"hash\":") - s);
	aud_sha256_hex(s, off, hash);
	snprintf(buf, sizeof(buf), "%.*s,\"hash\":\"%s\"}", (int)off, s, hash);
	free(l->line[24]);
	l->line[24] = strdup(buf);
}

static void _garbage(struct au_lines *l)
{
	l->line[l->n++] = strdup("{\"seq\":61,\"time\":\"yesterday\"}");
}

static void _bad_action(struct au_lines *l)
{
	char *a = strstr(l->line[4], "\"action\":\"") + 10;
	memcpy(a, "zzzz", 4);
}

/* The last line removed: nothing inside the file can tell; the reported
 * last hash changes, which a copy kept elsewhere would show. */
static void _drop_last(struct au_lines *l)
{
	free(l->line[--l->n]);
}

int main(int argc, char **argv)
{
	REQUIRE(argc == 2);
	ref_script = argv[1];
	char dir[128], good[256], err[512];
	au_tmpdir(dir, sizeof(dir), "audit-chain");
	snprintf(good, sizeof(good), "%s/chain.audit", dir);

	/* An empty log is intact. */
	REQUIRE(close(open(good, O_CREAT | O_WRONLY, 0600)) == 0);
	_expect(good, 0, "");
	_fill(dir);
	struct aud_report rep;
	CHECK_EQ_INT(aud_verify(good, &rep, err, sizeof(err)), 0);
	CHECK_EQ_INT(rep.lines, N);
	CHECK_EQ_INT(rep.good, N);
	CHECK_EQ_INT(rep.last_seq, N);
	CHECK_EQ_INT(strlen(rep.last_hash), 64);
	_expect(good, 0, "");
	char ref[256], exp[128];
	au_ref(ref_script, good, ref, sizeof(ref));
	snprintf(exp, sizeof(exp), "ok %d %s", N, rep.last_hash);
	CHECK(!strcmp(ref, exp));
	struct _seen seen = { 0, true };
	CHECK_EQ_INT(aud_read(good, _each, &seen, err, sizeof(err)), 0);
	CHECK_EQ_INT(seen.n, N);
	CHECK(seen.ok);

	_tamper(good, dir, "flip", _flip_byte, 10, "hash mismatch");
	_tamper(good, dir, "fliphash", _flip_hash, 20, "hash mismatch");
	_tamper(good, dir, "delete", _delete, 17, "seq gap");
	_tamper(good, dir, "swap", _swap, 30, "seq gap");
	_tamper(good, dir, "truncate", _truncate, N, "truncated last line");
	_tamper(good, dir, "nonewline", _drop_newline, N, "truncated");
	_tamper(good, dir, "rehash", _rehash, 26, "prev mismatch: line 25");
	_tamper(good, dir, "garbage", _garbage, N + 1, "bad shape");
	_tamper(good, dir, "action", _bad_action, 5, "bad shape");
	_tamper(good, dir, "droplast", _drop_last, 0, "");
	char path[256];
	snprintf(path, sizeof(path), "%s/droplast.audit", dir);
	CHECK_EQ_INT(aud_verify(path, &rep, err, sizeof(err)), 0);
	CHECK_EQ_INT(rep.last_seq, N - 1);

	/* A damaged end refuses further appends and is left as it was. */
	snprintf(path, sizeof(path), "%s/truncate.audit", dir);
	struct stat a, b;
	REQUIRE(stat(path, &a) == 0);
	CHECK_EQ_INT(aud_append(dir, "truncate", AUD_START, 0, "x", err,
			 sizeof(err)),
	    -EBADMSG);
	CHECK(strstr(err, "partial line") && strstr(err, "audit verify"));
	REQUIRE(stat(path, &b) == 0);
	CHECK_EQ_INT(a.st_size, b.st_size);
	CHECK_EQ_INT(aud_append(dir, "garbage", AUD_START, 0, "x", err,
			 sizeof(err)),
	    -EBADMSG);
	/* aud_read names the bad line too. */
	struct _seen s2 = { 0, true };
	snprintf(path, sizeof(path), "%s/garbage.audit", dir);
	CHECK_EQ_INT(aud_read(path, _each, &s2, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "line 61") != NULL);
	/* A good log keeps growing after a verify. */
	CHECK_EQ_INT(aud_append(dir, "chain", AUD_ERASE, 42, "again", err,
			 sizeof(err)),
	    0);
	_expect(good, 0, "");
	CHECK_EQ_INT(aud_verify(good, &rep, err, sizeof(err)), 0);
	CHECK_EQ_INT(rep.last_seq, N + 1);
	au_rmdir(dir);
	return check_done("audit_chain");
}
