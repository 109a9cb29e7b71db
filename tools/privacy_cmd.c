/*
 * privacy_cmd: the data subject's rights at the command line
 * (docs/PRIVACY.md): `penchant erase USER`, `penchant consent USER ...`
 * and `penchant export USER` (everything held on the user, as JSON).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/audit.h"
#include "ipc/client.h"
#include "shm/profiles.h"
#include "shm/snapshot.h"
#include "ipc/profile_json.h"
#include "tools/cli.h"

#define _TIMEOUT_MS 10000

/* One USER and only --json (common to erase and export). */
static int _user_arg(const char *cmd, int argc, char **argv, bool *json,
    const char **user)
{
	*user = NULL;
	bool opts = true; /* "--" ends them: an id may start with '-' */
	for (int i = 1; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--")) {
			opts = false;
		} else if (opts && !strcmp(argv[i], "--json")) {
			*json = true;
		} else if (opts && argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "penchant %s: unknown option '%s'\n",
			    cmd, argv[i]);
			return CLI_USAGE;
		} else if (*user) {
			fprintf(stderr, "penchant %s: one USER only\n", cmd);
			return CLI_USAGE;
		} else {
			*user = argv[i];
		}
	}
	if (!*user || !**user) {
		fprintf(stderr, "penchant %s: which USER? (see --help)\n", cmd);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* erase ------------------------------------------------------------------ */

int cli_erase(const struct cli *c, int argc, char **argv)
{
	if (cli_help(argc, argv,
		"usage: penchant erase USER [--json]\n\n"
		"Erases everything the engine holds on USER: the profile in shared\n"
		"memory (through its worker), its copy in the snapshot on disk\n"
		"(rewritten), and records the erasure in the audit trail by the\n"
		"user's pseudonym. Events of USER still arriving may build a new\n"
		"profile; `penchant consent USER --personalization no` stops that.\n"
		"Exit 0 done (also when nothing was held), 1 incomplete (published\n"
		"and recorded, but not yet applied or the snapshot not rewritten:\n"
		"the message says why; run it again), 3 unreachable.\n"))
		return CLI_OK;
	bool json = c->json;
	const char *user;
	int rc = _user_arg("erase", argc, argv, &json, &user);
	if (rc)
		return rc;
	pen_t *p;
	if ((rc = cli_open(c, &p)))
		return rc;
	if ((rc = cli_user_check("erase", p, user))) {
		pen_close(&p);
		return rc;
	}
	struct pen_erase_report rep = { 0 };
	char err[512];
	/* Ctrl-C while the erasure waits for its worker (up to
	 * _TIMEOUT_MS) left it published, but not in the audit trail and
	 * the snapshot still holding the user, with nothing said. */
	sigset_t old;
	cli_signals_hold(&old);
	rc = pen_erase(p, user, strlen(user), _TIMEOUT_MS, &rep, err,
	    sizeof(err));
	cli_signals_release("erase", &old);
	pen_close(&p);
	if (rc && rc != -EIO && !rep.incomplete) { /* nothing done */
		fprintf(stderr, "penchant erase: %s\n",
		    err[0] ? err : pen_strerror(rc));
		return CLI_UNREACHABLE;
	}
	if (json) {
		printf("{\"user\":");
		cli_json_str(user);
		printf(
		    ",\"user_key\":\"%016llx\",\"profile\":%s,\"snapshot\":%s,\"complete\":%s,\"seconds\":%.6f}\n",
		    (unsigned long long)rep.user_key,
		    rep.had_profile ? "true" : "false",
		    rep.snapshot_had ? "true" : "false",
		    rep.incomplete ? "false" : "true", rep.seconds);
	} else {
		printf(
		    "%s %s (key %016llx): profile %s, snapshot %s, in %.3f s\n",
		    rep.incomplete ? "erasure incomplete for" : "erased", user,
		    (unsigned long long)rep.user_key,
		    rep.incomplete & PEN_ERASE_PENDING ? "erasure pending"
			: rep.had_profile	       ? "removed"
						       : "none held",
		    rep.incomplete & PEN_ERASE_SNAPSHOT_LEFT ? "NOT rewritten"
			: rep.snapshot_had		     ? "rewritten"
							     : "held none",
		    rep.seconds);
	}
	if (rc)
		fprintf(stderr, "penchant erase: warning: %s\n", err);
	return rc ? CLI_PARTIAL : CLI_OK;
}

/* consent ---------------------------------------------------------------- */

static int _yes_no(const char *flag, const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "grant")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "withdraw")) {
		*out = false;
		return 0;
	}
	fprintf(stderr,
	    "penchant consent: %s '%s': expected yes or no (grant, withdraw)\n",
	    flag, v);
	return -1;
}

static void _consent_print(FILE *f, const char *user,
    const struct pen_consent *pc, bool json)
{
	static const char *const names[] = { "personalization", "analytics" };
	if (json) {
		fprintf(f, "{\"user\":");
		client_json_fstr(f, user);
		fprintf(f, ",\"regime\":\"%s\"",
		    pc->opt_in ? "opt-in" : "opt-out");
	} else {
		fprintf(f, "%s (regime %s):", user,
		    pc->opt_in ? "opt-in" : "opt-out");
	}
	for (unsigned i = 0; i < 2; i++) {
		unsigned bit = 1u << i;
		const char *d = !(pc->decided & bit) ? "default"
		    : pc->granted & bit		     ? "granted"
						     : "withdrawn";
		bool on = pc->effective & bit;
		if (json)
			fprintf(f,
			    ",\"%s\":{\"decision\":\"%s\",\"effective\":%s}",
			    names[i], d, on ? "true" : "false");
		else
			fprintf(f, " %s %s (%s)", names[i], on ? "yes" : "no",
			    d);
	}
	putc(json ? '}' : '\n', f);
}

int cli_consent(const struct cli *c, int argc, char **argv)
{
	if (cli_help(argc, argv,
		"usage: penchant consent USER [--personalization yes|no]\n"
		"                             [--analytics yes|no] [--json]\n\n"
		"Records USER's consent per purpose (personalization: learning a\n"
		"profile and ranking by it; analytics: counting in aggregate\n"
		"statistics) and prints what applies now. Withdrawing personalization\n"
		"forgets the profile and nothing is learned until it is granted\n"
		"again. Without a purpose flag, only prints. Changes are recorded in\n"
		"the audit trail. Exit 0 ok, 2 bad usage, 3 unreachable.\n"))
		return CLI_OK;
	bool json = c->json, v;
	const char *user = NULL;
	unsigned purposes = 0, granted = 0;
	bool opts = true; /* "--" ends them: an id may start with '-' */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		int m;
		if (!opts) {
			if (user) {
				fprintf(stderr,
				    "penchant consent: one USER only\n");
				return CLI_USAGE;
			}
			user = a;
		} else if (!strcmp(a, "--")) {
			opts = false;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if ((m = cli_value(argc, argv, &i, "--personalization",
				&val)) ||
		    (m = cli_value(argc, argv, &i, "--analytics", &val))) {
			/* the canonical name: "--analytics=no" is --analytics */
			a = a[2] == 'p' ? "--personalization" : "--analytics";
			if (m < 0) {
				fprintf(stderr,
				    "penchant consent: %s needs yes or no\n",
				    a);
				return CLI_USAGE;
			}
			if (_yes_no(a, val, &v))
				return CLI_USAGE;
			unsigned bit = a[2] == 'p' ? PEN_PURPOSE_PERSONALIZATION
						   : PEN_PURPOSE_ANALYTICS;
			/* "--analytics yes --analytics no" would record
			 * the last decision alone, in the audit trail too */
			if (purposes & bit) {
				fprintf(stderr,
				    "penchant consent: %s given twice: one decision per purpose\n",
				    a);
				return CLI_USAGE;
			}
			purposes |= bit;
			granted = v ? granted | bit : granted & ~bit;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr,
			    "penchant consent: unknown option '%s'\n", a);
			return CLI_USAGE;
		} else if (user) {
			fprintf(stderr, "penchant consent: one USER only\n");
			return CLI_USAGE;
		} else {
			user = a;
		}
	}
	if (!user || !*user) {
		fprintf(stderr, "penchant consent: which USER? (see --help)\n");
		return CLI_USAGE;
	}
	pen_t *p;
	int rc = cli_open(c, &p);
	if (rc)
		return rc;
	if ((rc = cli_user_check("consent", p, user))) {
		pen_close(&p);
		return rc;
	}
	bool unaudited = false;
	char err[512] = "";
	if (purposes) {
		/* as erase: a decision published is recorded */
		sigset_t old;
		cli_signals_hold(&old);
		rc = pen_consent_set(p, user, strlen(user), purposes, granted,
		    _TIMEOUT_MS, err, sizeof(err));
		cli_signals_release("consent", &old);
		unaudited = rc == -EIO; /* applied, not on record */
		rc = unaudited ? 0 : rc;
	}
	struct pen_consent pc;
	if (!rc)
		rc = pen_consent_get(p, user, strlen(user), &pc);
	pen_close(&p);
	if (rc) {
		fprintf(stderr, "penchant consent: %s\n",
		    err[0] ? err : pen_strerror(rc));
		return CLI_UNREACHABLE;
	}
	_consent_print(stdout, user, &pc, json);
	if (json)
		putchar('\n');
	if (unaudited)
		fprintf(stderr, "penchant consent: warning: %s\n", err);
	return unaudited ? CLI_PARTIAL : CLI_OK;
}

/* export ----------------------------------------------------------------- */

struct _audit_ctx {
	uint64_t key;
	unsigned n;
};

static int _audit_line(const struct aud_entry *e, void *arg)
{
	struct _audit_ctx *x = arg;
	if (e->subject != x->key)
		return 0;
	printf(
	    "%s{\"seq\":%llu,\"time\":\"%s\",\"action\":\"%s\",\"uid\":%u,\"detail\":",
	    x->n++ ? "," : "", (unsigned long long)e->seq, e->time,
	    aud_action_name(e->action), e->uid);
	cli_json_str(e->detail);
	putchar('}');
	return 0;
}

/* A profile as the export's JSON value (the shape of profile --json). */
static void _profile_value(pen_t *p, const char *user,
    const struct lrn_profile *lp)
{
	if (!lp || !lp->events) {
		printf("null");
		return;
	}
	struct pen_profile pp;
	client_profile_export(p, lp, &pp, PEN_READ_NAMES, reg_now_wall_ms());
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		printf("null");
		return;
	}
	client_profile_json(m, p, user, &pp);
	fclose(m);
	while (len && buf[len - 1] == '\n')
		len--;
	fwrite(buf, 1, len, stdout);
	free(buf);
}

/* Prints the export; false when it could not be recorded (why in err).
 * *snap_bad: the snapshot could not be read (its error in the export);
 * *unwritten: stdout refused it (errno saved in it), not recorded. */
static bool _export(pen_t *p, const char *user, char *why, size_t whylen,
    bool *snap_bad, int *unwritten)
{
	const struct reg *r = client_region(p);
	const struct reg_header *h = r->hdr;
	uint64_t key = evt_user_key(&h->limits, user, strlen(user));
	struct lrn_profile live, disk;
	/* A record that keeps only a consent decision holds no profile. */
	bool have = prof_read(r, key, &live) == 0 && live.events;
	char now[32], snap[512], err[512];
	client_iso_time(reg_now_wall_ms(), now, sizeof(now));
	snap_path(h->state_dir, h->instance, snap, sizeof(snap));
	int src = snap_find(snap, key, &disk, err, sizeof(err));
	if (src == 0) /* as the live one reads: weights as of last_ms */
		lrn_settle(&disk, &h->params, sizeof(disk));
	printf(
	    "{\"schema\":\"penchant.export/1\",\"exported\":\"%s\",\"instance\":",
	    now);
	cli_json_str(h->instance);
	printf(",\"user\":");
	cli_json_str(user);
	printf(",\"user_key\":\"%016llx\",\"consent\":",
	    (unsigned long long)key);
	struct pen_consent pc;
	if (pen_consent_get(p, user, strlen(user), &pc) == 0)
		_consent_print(stdout, user, &pc, true);
	else
		printf("null");
	printf(",\"profile\":");
	_profile_value(p, user, have ? &live : NULL);
	printf(",\"snapshot\":{\"path\":");
	cli_json_str(snap);
	/* A snapshot it could not read is no snapshot without the user:
	 * said, with why (an answer to an access request is complete or
	 * says what it lacks). */
	*snap_bad = src < 0 && src != -ENOENT;
	if (*snap_bad) {
		printf(",\"error\":");
		cli_json_str(err);
	}
	printf(",\"holds_profile\":%s,\"profile\":",
	    *snap_bad			  ? "null"
		: src == 0 && disk.events ? "true"
					  : "false");
	_profile_value(p, user, src == 0 ? &disk : NULL);
	printf("},\"segment\":");
	struct pen_user_segment us;
	if (pen_segment_of(p, user, strlen(user), &us) == 0) {
		printf("{\"id\":%u,\"name\":", us.id);
		cli_json_str(us.name);
		printf(",\"strategy\":\"%s\",\"confidence\":%.4f}", us.strategy,
		    us.confidence);
	} else {
		printf("null");
	}
	printf(",\"audit\":[");
	struct _audit_ctx x = { aud_subject_of(key), 0 };
	char apath[512];
	if (aud_path(h->state_dir, h->instance, apath, sizeof(apath), err,
		sizeof(err)) == 0)
		aud_read(apath, _audit_line, &x, err, sizeof(err));
	printf(
	    "],\"not_held\":[\"the user id itself: only its keyed pseudonym user_key\",\"individual events: each is folded into the profile and not kept\"]}\n");
	/* An export that never reached its reader (a full disk, a closed
	 * pipe) is no export: recorded, it would say the user got it. */
	errno = 0;
	if (fflush(stdout) || ferror(stdout)) {
		*unwritten = errno ? errno : EIO;
		return true;
	}
	return !h->state_dir[0] ||
	    aud_append(h->state_dir, h->instance, AUD_EXPORT,
		aud_subject_of(key), have ? "profile=held" : "profile=none",
		why, whylen) == 0;
}

int cli_export(const struct cli *c, int argc, char **argv)
{
	if (cli_help(argc, argv,
		"usage: penchant export USER\n\n"
		"Prints everything the engine holds on USER as one JSON object\n"
		"(docs/PRIVACY.md, \"Export\"): consent, the profile in shared memory\n"
		"and the copy in the snapshot on disk, the segment, and the audit\n"
		"trail's lines about the user. The export is recorded in the audit\n"
		"trail. Exit 0 ok (also when nothing is held), 1 exported but\n"
		"incomplete or not recorded (the snapshot could not be read, or\n"
		"the audit trail appended to: a warning says which), 3\n"
		"unreachable.\n"))
		return CLI_OK;
	bool json = true;
	const char *user;
	int rc = _user_arg("export", argc, argv, &json, &user);
	if (rc)
		return rc;
	pen_t *p;
	if ((rc = cli_open(c, &p)))
		return rc;
	if ((rc = cli_user_check("export", p, user))) {
		pen_close(&p);
		return rc;
	}
	if ((rc = client_ready(p))) {
		fprintf(stderr, "penchant export: %s\n", pen_strerror(rc));
		pen_close(&p);
		return CLI_UNREACHABLE;
	}
	char why[512];
	bool snap_bad = false;
	int unwritten = 0;
	bool recorded =
	    _export(p, user, why, sizeof(why), &snap_bad, &unwritten);
	pen_close(&p);
	if (unwritten) {
		fprintf(stderr,
		    "penchant export: cannot write the export to stdout: %s: it is not recorded in the audit trail; run it again with room for the output\n",
		    strerror(unwritten));
		clearerr(stdout); /* said: main need not say it again */
		return CLI_PARTIAL;
	}
	if (snap_bad)
		fprintf(stderr,
		    "penchant export: warning: the snapshot could not be read (its error is in the export): the export lacks what it holds\n");
	if (!recorded)
		fprintf(stderr,
		    "penchant export: warning: exported, but not in the audit trail: %s\n",
		    why);
	return snap_bad || !recorded ? CLI_PARTIAL : CLI_OK;
}
