/*
 * it_cli: the penchant and penchantd command lines against a real daemon:
 * send with garbage lines mixed in (line-numbered errors, nothing else
 * changes), catalog garbage, profile/status output and exit codes, bad
 * settings, a second daemon on the same instance.
 */
#include "harness.h"

#define T0 "1767258000000" /* 2026-01-01T09:00:00Z */
#define T1 "1767261600000" /* one hour later */

static bool _has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		fprintf(stderr, "expected to find '%s' in:\n%s\n", needle, hay);
		return false;
	}
	return true;
}

static void _catalog(struct hx *h)
{
	static const char lines[] =
	    "{\"id\":\"ent-1\",\"category\":\"music\",\"tags\":[\"jazz\",\"live\"]}\n"
	    "{\"id\":\"\"}\n"
	    "{\"category\":\"x\"}\n"
	    "{\"id\":\"e3\",\"tags\":\"notarray\"}\n"
	    "{\"id\":\"e4\",\"price_level\":9}\n"
	    "not json at all\n"
	    "{\"id\":\"ent-2\",\"category\":\"outdoors\",\"tags\":[\"hiking\"]}\n"
	    " \t \n"; /* blank, as send takes it: not a rejected line */
	char out[4096], err[4096];
	int rc = hx_cli(h, lines, sizeof(lines) - 1, out, sizeof(out), err,
	    sizeof(err), "catalog", "load", "-", NULL);
	CHECK_EQ_INT(rc, 1);
	for (int l = 2; l <= 6; l++) {
		char want[16];
		snprintf(want, sizeof(want), "-:%d:", l);
		CHECK(_has(err, want));
	}
	CHECK(!strstr(err, "-:1:") && !strstr(err, "-:7:") &&
	    !strstr(err, "-:8:"));
	CHECK(_has(err, "loaded 2 entities, rejected 5 lines"));
	/* and counted where status and metrics show them (they were only
	 * on the loader's stderr), by reason */
	rc = hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err), "status",
	    "--json", NULL);
	CHECK_EQ_INT(rc, 0);
	CHECK(_has(out,
	    "\"loads\":{\"catalog\":{\"invalid\":5,\"bad_location\":0,\"catalog_full\":0,\"names_full\":0},\"experiments\":{\"invalid\":0,\"too_many\":0}}"));
	/* a key given twice is refused like any bad line, and counted */
	static const char twice[] =
	    "{\"id\":\"e5\",\"category\":\"a\",\"category\":\"b\"}\n";
	rc = hx_cli(h, twice, sizeof(twice) - 1, out, sizeof(out), err,
	    sizeof(err), "catalog", "load", "-", NULL);
	CHECK_EQ_INT(rc, 1);
	CHECK(_has(err, "-:1:"));
	rc = hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err), "status",
	    "--json", NULL);
	CHECK(_has(out, "\"catalog\":{\"invalid\":6,"));
	/* the text says it too */
	rc = hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err), "status",
	    NULL);
	CHECK_EQ_INT(rc, 0);
	CHECK(_has(out,
	    "loads refused: catalog: invalid 6; experiments: none\n"));
}

/*
 * A load while another holds the catalog's lock: exit 5 (busy), not 3
 * (unreachable: the instance runs), saying nothing was loaded and to load
 * again; the first load goes on and ends well.
 */
static void _catalog_busy(struct hx *h)
{
	int in[2];
	REQUIRE(pipe(in) == 0);
	char inst[96];
	snprintf(inst, sizeof(inst), "--instance=%s", h->instance);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		close(in[1]);
		int dn = open("/dev/null", O_WRONLY);
		dup2(dn, 1);
		dup2(dn, 2);
		execl(h->penchant, h->penchant, inst, "catalog", "load", "-",
		    (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	/* the first load holds the lock while it waits for its input */
	static const char one[] = "{\"id\":\"busy-1\"}\n";
	REQUIRE(write(in[1], one, sizeof(one) - 1) == sizeof(one) - 1);
	hx_sleep_ms(500);
	char out[4096], err[4096];
	static const char two[] = "{\"id\":\"busy-2\"}\n";
	int rc = hx_cli(h, two, sizeof(two) - 1, out, sizeof(out), err,
	    sizeof(err), "catalog", "load", "-", NULL);
	CHECK_EQ_INT(rc, 5);
	CHECK(_has(err, "is being written by thread"));
	CHECK(_has(err, "nothing of - was loaded; load it again"));
	close(in[1]);
	int st;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	rc = hx_cli(h, two, sizeof(two) - 1, out, sizeof(out), err, sizeof(err),
	    "catalog", "load", "-", NULL);
	CHECK_EQ_INT(rc, 0);
}

static void _send(struct hx *h)
{
	static const char lines[] =
	    "{\"user_id\":\"alice\",\"event_type\":\"rsvp\",\"entity_id\":\"ent-1\",\"timestamp\":" T0
	    "}\n"
	    "{\"user_id\":\"alice\"\n"
	    "{\"user_id\":\"alice\",\"event_type\":\"teleport\",\"entity_id\":\"ent-1\",\"timestamp\":" T0
	    "}\n"
	    "[1,2,3]\n"
	    "{\"user_id\":\"alice\",\"event_type\":\"view\",\"entity_id\":\"ent-1\",\"timestamp\":\"yesterday\"}\n"
	    "\n"
	    "{\"user_id\":\"alice\",\"event_type\":\"view\",\"entity_id\":\"ent-1\",\"timestamp\":" T0
	    ",\"lat\":91,\"lon\":0}\n"
	    "\x01\x02\xff\xfe garbage\n"
	    "{\"userId\":\"alice\",\"eventType\":\"click\",\"entityId\":\"ent-1\",\"context\":{\"timestamp\":" T1
	    ",\"device\":\"iPhone\"}}\n"
	    "{\"user_id\":\"alice\",\"event_type\":\"view\",\"entity_id\":\"ent-1\"}\n";
	char out[4096], err[8192];
	int rc = hx_cli(h, lines, sizeof(lines) - 1, out, sizeof(out), err,
	    sizeof(err), "send", NULL);
	CHECK_EQ_INT(rc, 1);
	CHECK(_has(err, "line 2: malformed"));
	CHECK(_has(err, "line 3: bad_type"));
	CHECK(_has(err, "line 4: not_map"));
	CHECK(_has(err, "line 5: bad_time"));
	CHECK(_has(err, "line 7: bad_location"));
	CHECK(_has(err, "line 8: malformed"));
	CHECK(_has(err, "line 10: missing_time"));
	CHECK(_has(err, "sent 2 events, rejected 7 lines"));
	CHECK(!strstr(err, "line 1:") && !strstr(err, "line 9:") &&
	    !strstr(err, "line 6:"));
	/* as the log readers and catalog load split lines: a byte order
	 * mark first, CRLF and lone CR ends */
	static const char crlf[] =
	    "\xef\xbb\xbf{\"user_id\":\"bom\",\"event_type\":\"view\",\"entity_id\":\"ent-1\",\"timestamp\":" T0
	    "}\r\n"
	    "{\"user_id\":\"bom\",\"event_type\":\"view\",\"entity_id\":\"ent-1\",\"timestamp\":" T0
	    "}\r"
	    "{\"user_id\":\"bom\",\"event_type\":\"view\",\"entity_id\":\"ent-1\",\"timestamp\":" T1
	    "}";
	rc = hx_cli(h, crlf, sizeof(crlf) - 1, out, sizeof(out), err,
	    sizeof(err), "send", NULL);
	CHECK_EQ_INT(rc, 0);
	CHECK(_has(err, "sent 3 events, rejected 0 lines"));
}

static void _profile(struct hx *h)
{
	pen_t *p;
	REQUIRE(pen_open(h->instance, &p, NULL, 0) == 0);
	CHECK(hx_wait_drained(client_region(p), 10000));
	struct pen_profile pp;
	REQUIRE(pen_profile_read(p, "alice", 5, &pp, PEN_READ_NAMES) == 0);
	CHECK_EQ_INT(pp.events, 2);
	CHECK_EQ_INT(pp.counts[PEN_N_RSVP], 1);
	CHECK_EQ_INT(pp.counts[PEN_N_CLICK], 1);
	CHECK_EQ_INT(pp.devices[1], 1); /* iPhone -> mobile */
	/* rsvp 1.0*0.1 decayed one hour (0.95^(1/24)), plus click 0.3*0.1 */
	double want = 0.1 * 0.9978650616302984 + 0.03;
	CHECK_EQ_INT(pp.n_tags, 2);
	CHECK_EQ_INT(pp.n_cats, 1);
	for (unsigned i = 0; i < pp.n_tags; i++)
		CHECK_NEAR(pp.tags[i].weight, want, 1e-6 * fabs(want));
	CHECK(!strcmp(pp.cats[0].name, "music"));

	/* Prepared once from JSON, published later; garbage says why. */
	struct pen_prepared prep;
	char perr[256];
	static const char good[] =
	    "{\"user_id\":\"bob\",\"event_type\":\"save\",\"entity_id\":\"ent-1\",\"timestamp\":" T0
	    "}";
	CHECK_EQ_INT(pen_prepare_json(p, good, sizeof(good) - 1, &prep, perr,
			 sizeof(perr)),
	    0);
	CHECK_EQ_INT(pen_prepare_json(p, "{\"user_id\":1", 13, &prep, perr,
			 sizeof(perr)),
	    -EINVAL);
	CHECK(strstr(perr, "malformed") != NULL);
	CHECK_EQ_INT(pen_publish_prepared(p, &prep, 0, 0, NULL), 0);
	CHECK_EQ_INT(pen_prepare_json(p, good, sizeof(good) - 1, &prep, perr,
			 sizeof(perr)),
	    0);
	CHECK_EQ_INT(pen_publish_prepared(p, &prep, 1, 0, NULL), 0);
	CHECK_EQ_INT(pen_flush(p, 10000), 0);
	CHECK_EQ_INT(pen_profile_read(p, "bob", 3, &pp, 0), 0);
	CHECK_EQ_INT(pp.counts[PEN_N_SAVE], 1);
	pen_close(&p);

	char out[8192], err[4096];
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "profile", "alice", "--json", NULL),
	    0);
	CHECK(_has(out, "\"events\":2"));
	CHECK(_has(out, "\"name\":\"jazz\""));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "profile", "alice", NULL),
	    0);
	CHECK(_has(out, "jazz"));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "profile", "nobody", NULL),
	    4);
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "profile", NULL),
	    2);
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "profile", "a", "b", NULL),
	    2);
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "frobnicate", NULL),
	    2);
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "send", "--bogus", NULL),
	    2);
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "status", NULL),
	    0);
	CHECK(_has(out, "profiles 3 / 524288"));
	CHECK(_has(out, "rejected: 8 at producers"));
	CHECK(_has(out, "bad_type 1"));
	CHECK(_has(out, "catalog 2 /"));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "status", "--json", NULL),
	    0);
	CHECK(_has(out, "\"state\":\"running\""));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "status", "--help", NULL),
	    0);
	const char *argv[] = { h->penchant, "--instance=no-such-instance-x",
		"status", NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), argv),
	    3);
	CHECK(_has(err, "not running"));
	/* a name no instance can have is a usage error, not "not running" */
	static const char *const names[] = { "--instance=bad name!",
		"--instance=", "--instance=../etc" };
	for (unsigned i = 0; i < 3; i++) {
		const char *bad[] = { h->penchant, names[i], "status", NULL };
		CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err,
				 sizeof(err), bad),
		    2);
		CHECK(_has(err, "--instance: instance: "));
	}
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "segments", "--user", "", NULL),
	    2);
	CHECK(_has(err, "--user needs a user id"));
}

static void _daemon_flags(struct hx *h)
{
	char out[65536], err[4096], inst[96];
	snprintf(inst, sizeof(inst), "--instance=%s", h->instance);
	const char *second[] = { h->penchantd, inst, "--state-dir=/tmp", NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err),
			 second),
	    1);
	CHECK(_has(err, "already running"));
	static const char *const bad[][2] = {
		{ "--shards=99", "shards" },
		{ "--ring-depth=1000", "power of two" },
		{ "--ring-depth=", "ring_depth" },
		{ "--learning-rate=nan", "learning_rate" },
		{ "--bogus-flag", "bogus" },
		{ "--instance=../etc", "instance" },
		{ "--state-dir=relative/path", "state_dir" },
		{ "--producer-slots=2", "acceptor" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[] = { h->penchantd, bad[i][0],
			i == 7 ? "--acceptor-slots=2" : NULL, NULL };
		CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err,
				 sizeof(err), argv),
		    2);
		CHECK(_has(err, bad[i][1]));
	}
	/* its own flags are no flags as a setting's value or after "--"
	 * (--print-settings first: a regression prints, it starts nothing) */
	static const char *const not_ours[][4] = {
		{ "--", "--reset", NULL, "unexpected argument '--reset'" },
		{ "--", "--help", NULL, "unexpected argument '--help'" },
		{ "--instance", "--reset", NULL, "instance" },
		{ "--forward-hostname", "-h", "--bogus-flag", "bogus" },
	};
	for (unsigned i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++) {
		const char *argv[] = { h->penchantd, "--print-settings",
			not_ours[i][0], not_ours[i][1], not_ours[i][2], NULL };
		CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err,
				 sizeof(err), argv),
		    2);
		CHECK(_has(err, not_ours[i][3]));
		CHECK(!_has(out, "usage:"));
		if (!_has(err, not_ours[i][3]))
			fprintf(stderr, "  %s %s: %s\n", not_ours[i][0],
			    not_ours[i][1], err);
	}
	const char *help[] = { h->penchantd, "--help", NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), help),
	    0);
	CHECK(_has(out, "profiles-per-shard"));
}

/* Numbers are a person's: digits (no blank, sign, hex); flags that
 * cannot go together are refused; each names what it wanted. */
static void _cli_numbers(struct hx *h)
{
	char out[4096], err[4096];
	static const char *const bad[][5] = {
		{ "demo", "--users", " 2", NULL, "from 1 to 100000000" },
		{ "demo", "--events", "+1", NULL, "from 1 to 100000000" },
		{ "demo", "--serve", "0x1", NULL, "from 0 to 100000000" },
		{ "demo", "--colour", "red", NULL,
		    "unknown option '--colour'" },
		{ "segments", "--refresh", "--wait", " 1", "0 to 86400" },
		{ "segments", "--refresh", "--wait", "0x1", "0 to 86400" },
		{ "segments", "--export", "", NULL, "needs a file" },
		{ "segments", "--user", "u", "--export", "needs a value" },
		{ "segments", "--wait", "5", NULL, "--wait is for --refresh" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err,
				 sizeof(err), bad[i][0], bad[i][1], bad[i][2],
				 bad[i][3], NULL),
		    2);
		CHECK(_has(err, bad[i][4]));
	}
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "segments", "--user", "u", "--export", "f.csv", NULL),
	    2);
	CHECK(_has(err, "one or the other"));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "segments", "--export", "a.csv", "--export", "b.csv",
			 NULL),
	    2);
	CHECK(_has(err, "--export given twice ('a.csv' and 'b.csv')"));
	/* catalog names what is wrong before its usage */
	static const char *const cat_bad[][4] = {
		{ "load", "a.jsonl", "b.jsonl",
		    "load takes one FILE; extra 'b.jsonl'" },
		{ "lod", "a.jsonl", NULL, "unknown subcommand 'lod'" },
		{ "load", NULL, NULL, "load needs a FILE" },
		{ NULL, NULL, NULL, "which subcommand?" },
	};
	for (unsigned i = 0; i < sizeof(cat_bad) / sizeof(cat_bad[0]); i++) {
		CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err,
				 sizeof(err), "catalog", cat_bad[i][0],
				 cat_bad[i][1], cat_bad[i][2], NULL),
		    2);
		CHECK(_has(err, cat_bad[i][3]));
		CHECK(_has(err, "usage: penchant catalog load FILE"));
	}
	/* "--flag=value", as replay and the settings take it */
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "demo", "--users=0", NULL),
	    2);
	CHECK(_has(err,
	    "--users needs a whole number from 1 to 100000000 (not '0')"));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "segments", "--wait=5", NULL),
	    2);
	CHECK(_has(err, "--wait is for --refresh"));
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "consent", "eq-user", "--analytics=no", NULL),
	    0);
	CHECK(_has(out, "analytics no (withdrawn)"));
	/* one decision per purpose: the last alone would be recorded */
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "consent", "u", "--analytics", "yes", "--analytics",
			 "no", NULL),
	    2);
	CHECK(_has(err, "--analytics given twice"));
	/* a missing instance name is not the next option */
	const char *no_name[] = { h->penchant, "--instance", "--json", "status",
		NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err),
			 no_name),
	    2);
	CHECK(_has(err, "--instance needs a name"));
	/* the top-level usage names every flag README's synopsis has */
	const char *top[] = { h->penchant, "--help", NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), top),
	    0);
	static const char *const synopsis[] = {
		"demo [--users N] [--events N] [--serve N]",
		"segments [--json] [--refresh [--wait S]] [--user USER]... | [--export FILE]",
		"erase USER [--json]",
		"consent USER [--personalization yes|no] [--analytics yes|no] [--json]"
	};
	for (unsigned i = 0; i < sizeof(synopsis) / sizeof(synopsis[0]); i++)
		CHECK(_has(out, synopsis[i]));
	/* stdin that is a directory is named as one, exit 2 (as catalog) */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s --instance=%s send < /", h->penchant,
	    h->instance);
	const char *dir_in[] = { "/bin/sh", "-c", cmd, NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err),
			 dir_in),
	    2);
	CHECK(_has(err, "penchant send: cannot open -: Is a directory"));
	/* output that cannot be written is no success (exit 0 said all
	 * of it was there) */
	snprintf(cmd, sizeof(cmd), "%s --instance=%s status > /dev/full",
	    h->penchant, h->instance);
	const char *full[] = { "/bin/sh", "-c", cmd, NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), full),
	    1);
	CHECK(_has(err, "penchant status: cannot write the output: No space"));
	/* an export that never reached its reader is not recorded as made */
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "audit", "show", "--action", "export", NULL),
	    0);
	size_t exports = 0;
	for (const char *q = out; (q = strchr(q, '\n')); q++)
		exports++;
	snprintf(cmd, sizeof(cmd), "%s --instance=%s export alice > /dev/full",
	    h->penchant, h->instance);
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), full),
	    1);
	CHECK(_has(err, "cannot write the export to stdout") &&
	    _has(err, "not recorded in the audit trail"));
	CHECK(!strstr(err, "cannot write the output")); /* said once */
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "audit", "show", "--action", "export", NULL),
	    0);
	size_t now = 0;
	for (const char *q = out; (q = strchr(q, '\n')); q++)
		now++;
	CHECK(now == exports);
	/* --instance twice: one instance, not the last silently (a
	 * privacy command would go to the other); after the command it
	 * is said where it goes */
	char inst[96];
	snprintf(inst, sizeof(inst), "--instance=%s", h->instance);
	const char *twice[] = { h->penchant, "--instance", "elsewhere", inst,
		"erase", "u-twice", NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err),
			 twice),
	    2);
	CHECK(_has(err, "--instance given twice ('elsewhere', then '"));
	const char *after[] = { h->penchant, "erase", "u-after", inst, NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err),
			 after),
	    2);
	CHECK(_has(err,
	    "--instance goes before the command: penchant --instance NAME erase"));
	/* contradictory: --json with what prints no JSON */
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "segments", "--json", "--export", "-", NULL),
	    2);
	CHECK(_has(err, "--json and --export: the export is CSV"));
	CHECK_EQ_INT(hx_cli(h, "", 0, out, sizeof(out), err, sizeof(err),
			 "experiments", "load", "-", "--json", NULL),
	    2);
	CHECK(_has(err, "--json is for the report; load prints none"));
	/* a flag that ends the line lacks its value; its name is not it */
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "demo", "--serve", NULL),
	    2);
	CHECK(_has(err, "--serve needs a whole number"));
	CHECK(!strstr(err, "(not '--serve')"));
	/* after "--" a user named --help or -h is a user, not a help request */
	static const char *const help_user[][2] = { { "profile", "--help" },
		{ "profile", "-h" }, { "export", "--help" },
		{ "consent", "-h" } };
	for (unsigned i = 0; i < sizeof(help_user) / sizeof(help_user[0]);
	     i++) {
		int rc = hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
		    help_user[i][0], "--", help_user[i][1], NULL);
		CHECK(rc == (i < 2 ? 4 : 0));
		CHECK(!strstr(out, "usage:"));
		if (i < 2)
			CHECK(_has(err, "no profile for user '-"));
	}
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "catalog", "load", "--help", NULL),
	    0);
	CHECK(_has(out, "usage: penchant catalog load FILE"));
}

int main(int argc, char **argv)
{
	struct hx h;
	hx_init(&h, "cli", argc, argv);
	const char *flags[] = { "--shards=2", NULL };
	hx_start(&h, flags);
	_catalog(&h);
	_send(&h);
	_profile(&h);
	_daemon_flags(&h);
	_cli_numbers(&h);
	_catalog_busy(&h);
	int st = hx_stop(&h);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hx_cleanup(&h);
	return check_done("it_cli");
}
