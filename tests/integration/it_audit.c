/*
 * it_audit: the audit trail with the real daemon and CLI. penchantd records
 * `start` with its settings hash, `config` only when the settings changed
 * since the last start; `penchant catalog load` records the file and its
 * counts; `penchant audit verify|show` read it through the running
 * instance or --state-dir; a tampered line makes verify exit 1 naming it;
 * every audit flag is tried with garbage.
 */
#include "harness.h"

static bool _has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		fprintf(stderr, "expected to find '%s' in:\n%s\n", needle, hay);
		return false;
	}
	return true;
}

static unsigned _count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* `penchant --instance I audit ARGS... --state-dir DIR` (no daemon). */
static int _offline(struct hx *h, char *out, size_t outlen, char *err,
    size_t errlen, const char *a, const char *b)
{
	char sd[160];
	snprintf(sd, sizeof(sd), "--state-dir=%s", h->state_dir);
	return hx_cli(h, NULL, 0, out, outlen, err, errlen, "audit", a, sd, b,
	    NULL);
}

static void _running(struct hx *h)
{
	static const char lines[] =
	    "{\"id\":\"ent-1\",\"category\":\"music\",\"tags\":[\"jazz\"]}\n"
	    "not json\n"
	    "{\"id\":\"ent-2\",\"category\":\"outdoors\",\"tags\":[\"hiking\"]}\n";
	char out[16384], err[4096];
	CHECK_EQ_INT(hx_cli(h, lines, sizeof(lines) - 1, out, sizeof(out), err,
			 sizeof(err), "catalog", "load", "-", NULL),
	    1);
	CHECK(!strstr(err, "warning"));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "audit", "show", "--json", NULL),
	    0);
	CHECK(_has(out, "\"seq\":1,"));
	CHECK(_has(out, "\"action\":\"start\""));
	CHECK(_has(out, "\"detail\":\"settings="));
	CHECK(_has(out,
	    "\"action\":\"catalog_load\",\"subject\":\"\",\"detail\":\"file=(stdin) loaded=2 rejected=1\""));
	char uid[32];
	snprintf(uid, sizeof(uid), "\"uid\":%u,", (unsigned)getuid());
	CHECK(_has(out, uid));
	CHECK_EQ_INT(_count(out, "\n"), 2);
	/* A start that fails is no start: the instance runs already, or
	 * (another instance, its own state directory) its key file is
	 * readable by others. */
	char inst[96], sd[160], key[256];
	snprintf(inst, sizeof(inst), "--instance=%s", h->instance);
	snprintf(sd, sizeof(sd), "--state-dir=%s", h->state_dir);
	const char *again[] = { h->penchantd, inst, sd, NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err),
			 again),
	    1);
	CHECK(_has(err, "already running"));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "audit", "show", "--json", NULL),
	    0);
	CHECK_EQ_INT(_count(out, "\"action\":\"start\""), 1);
	CHECK_EQ_INT(_count(out, "\n"), 2);
	snprintf(sd, sizeof(sd), "%s/open-key", h->state_dir);
	REQUIRE(mkdir(sd, 0700) == 0);
	snprintf(key, sizeof(key), "%s/%s-k.key", sd, h->instance);
	FILE *kf = fopen(key, "w");
	REQUIRE(kf != NULL);
	fputs("00112233445566778899aabbccddeeff\n", kf);
	fclose(kf);
	REQUIRE(chmod(key, 0644) == 0);
	snprintf(inst, sizeof(inst), "--instance=%s-k", h->instance);
	char sdf[192];
	snprintf(sdf, sizeof(sdf), "--state-dir=%s", sd);
	const char *open_key[] = { h->penchantd, inst, sdf,
		"--udp-listen=", "--tcp-listen=", "--forward-listen=",
		"--http-listen=", "--rank-listen=", NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err),
			 open_key),
	    1);
	CHECK(_has(err, "mode 0600"));
	const char *shown[] = { h->penchant, inst, "audit", "show", sdf, NULL };
	hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), shown);
	CHECK(!strstr(out, "start"));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "audit", "verify", NULL),
	    0);
	CHECK(_has(out, "2 lines, chain intact"));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "audit", "show", "--action", "catalog_load", NULL),
	    0);
	CHECK(_has(out, "catalog_load"));
	CHECK(!strstr(out, "start"));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "audit", "show", "--subject", "00000000000000ff",
			 NULL),
	    0);
	CHECK_EQ_INT(strlen(out), 0);
}

static void _garbage_flags(struct hx *h)
{
	static const char *const bad[][3] = {
		{ "show", "--last", "0" },
		{ "show", "--last", "12x" },
		{ "show", "--last", "-3" },
		{ "show", "--last", "99999999999999999999" },
		{ "show", "--last", NULL },
		{ "show", "--action", "delete" },
		{ "show", "--action", "" },
		{ "show", "--action", NULL },
		{ "show", "--subject", "alice" },
		{ "show", "--subject", "0123456789abcdef0" },
		{ "show", "--subject", "0123456789abcdeg" },
		{ "show", "--subject", NULL },
		{ "show", "--state-dir", NULL },
		{ "show", "--state-dir=", NULL },
		{ "show", "--bogus", NULL },
		{ "show", "extra", NULL },
		{ "verify", "--last", "3" },
		{ "verify", "--action", "start" },
		{ "verify", "--state-dirx", NULL },
		{ "verify", "-x", NULL },
		{ "frobnicate", NULL, NULL },
		{ NULL, NULL, NULL },
	};
	char out[4096], err[4096];
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
		    "audit", bad[i][0], bad[i][1], bad[i][2], NULL);
		if (rc != 2)
			fprintf(stderr, "audit %s %s %s: exit %d\n",
			    bad[i][0] ? bad[i][0] : "",
			    bad[i][1] ? bad[i][1] : "",
			    bad[i][2] ? bad[i][2] : "", rc);
		CHECK_EQ_INT(rc, 2);
		CHECK(err[0] != 0);
	}
	/* a filter given twice: refused, not the last alone */
	static const char *const twice[][4] = {
		{ "--action", "erase", "--action=export" },
		{ "--last", "1", "--last=2" },
		{ "--subject", "00000000000000ff",
		    "--subject=00000000000000fe" },
	};
	for (unsigned i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err,
				 sizeof(err), "audit", "show", twice[i][0],
				 twice[i][1], twice[i][2], NULL),
		    2);
		CHECK(_has(err, "given twice"));
	}
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "audit", "--help", NULL),
	    0);
	CHECK(_has(out, "penchant audit verify"));
	/* Bad instance names never leave the directory. */
	const char *argv[] = { h->penchant, "--instance=../x", "audit",
		"verify", "--state-dir=/tmp", NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), argv),
	    2);
}

static void _offline_checks(struct hx *h)
{
	char out[16384], err[4096], path[256];
	/* Restart with the same settings: a start, no config. */
	hx_start(h, (const char *const[]){ "--shards=1", NULL });
	CHECK_EQ_INT(hx_stop(h), 0);
	CHECK_EQ_INT(_offline(h, out, sizeof(out), err, sizeof(err), "show",
			 "--json"),
	    0);
	CHECK_EQ_INT(_count(out, "\"action\":\"start\""), 2);
	CHECK_EQ_INT(_count(out, "\"action\":\"config\""), 0);
	/* Different settings: config (new and previous hash), then start. */
	hx_start(h, (const char *const[]){ "--shards=2", NULL });
	CHECK_EQ_INT(hx_stop(h), 0);
	CHECK_EQ_INT(_offline(h, out, sizeof(out), err, sizeof(err), "show",
			 "--json"),
	    0);
	CHECK_EQ_INT(_count(out, "\"action\":\"start\""), 3);
	CHECK_EQ_INT(_count(out, "\"action\":\"config\""), 1);
	CHECK(_has(out, "previous="));
	CHECK_EQ_INT(_offline(h, out, sizeof(out), err, sizeof(err), "show",
			 "--last=2"),
	    0);
	CHECK_EQ_INT(_count(out, "\n"), 2);
	CHECK(_has(out, "4 ") && _has(out, "5 ") && _has(out, "config"));
	CHECK_EQ_INT(_offline(h, out, sizeof(out), err, sizeof(err), "verify",
			 NULL),
	    0);
	CHECK(_has(out, "5 lines, chain intact"));

	/* No daemon and no --state-dir: unreachable. */
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "audit", "verify", NULL),
	    3);
	CHECK(_has(err, "--state-dir"));
	const char *none[] = { h->penchant, "--instance=nothing-here", "audit",
		"verify", "--state-dir=/tmp", NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), none),
	    3);
	CHECK(_has(err, "no audit log"));

	/* Tamper: line 2's counts edited. */
	snprintf(path, sizeof(path), "%s/%s.audit", h->state_dir, h->instance);
	char sed[512];
	snprintf(sed, sizeof(sed), "sed -i '2s/loaded=2/loaded=9/' '%s'", path);
	REQUIRE(system(sed) == 0);
	CHECK_EQ_INT(_offline(h, out, sizeof(out), err, sizeof(err), "verify",
			 NULL),
	    1);
	CHECK(_has(err, "line 2: hash mismatch"));
	CHECK_EQ_INT(_offline(h, out, sizeof(out), err, sizeof(err), "verify",
			 "--json"),
	    1);
	CHECK(_has(out, "\"intact\":false") && _has(out, "\"bad_line\":2"));
	/* The daemon still starts on a log damaged mid-way, and appends (the
	 * settings changed back: config, then start). */
	hx_start(h, (const char *const[]){ "--shards=1", NULL });
	CHECK_EQ_INT(hx_stop(h), 0);
	CHECK_EQ_INT(_offline(h, out, sizeof(out), err, sizeof(err), "show",
			 "--last=2"),
	    0);
	CHECK(_has(out, "6 ") && _has(out, "config") && _has(out, "7 ") &&
	    _has(out, "start"));

	/* A trail that cannot be appended to (a junk last line): consent
	 * and erasure are done all the same, and say they are not on
	 * record (exit 1), the library printing nothing of its own. */
	hx_start(h, (const char *const[]){ "--shards=1", NULL });
	snprintf(sed, sizeof(sed), "printf 'junk\\n' >> '%s'", path);
	REQUIRE(system(sed) == 0);
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "consent", "u1", "--personalization", "no", NULL),
	    1);
	CHECK(_has(out, "withdrawn") &&
	    _has(err, "applied but not in the audit trail") &&
	    !_has(err, "penchant: audit trail"));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "erase", "u1", NULL),
	    1);
	CHECK(_has(out, "erased u1") &&
	    _has(err, "warning: done, but not in the audit trail"));
	CHECK_EQ_INT(hx_stop(h), 0);
}

int main(int argc, char **argv)
{
	struct hx h;
	hx_init(&h, "audit", argc, argv);
	hx_start(&h, (const char *const[]){ "--shards=1", NULL });
	_running(&h);
	_garbage_flags(&h);
	CHECK_EQ_INT(hx_stop(&h), 0);
	_offline_checks(&h);
	hx_cleanup(&h);
	return check_done("it_audit");
}
