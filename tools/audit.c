/*
 * audit: `penchant audit verify` and `penchant audit show`, readers of the
 * instance's audit trail (ipc/audit.h). The log is found through the
 * running instance's header (its state_dir), or named with --state-dir so
 * that it can be checked with no daemon running, e.g. from a backup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/audit.h"
#include "ipc/client.h"
#include "tools/cli.h"

static const char _help[] =
    "usage: penchant audit verify [--json] [--state-dir DIR]\n"
    "       penchant audit show [--json] [--action ACTION] [--subject KEY]\n"
    "                           [--last N] [--state-dir DIR]\n"
    "\n"
    "The instance's audit trail, STATE_DIR/INSTANCE.audit: one JSON line per\n"
    "erase, export, consent change, catalog load, settings change, start,\n"
    "retention run or key rotation, each chained to the one before by\n"
    "SHA-256 (docs/PRIVACY.md, \"Audit trail\").\n"
    "\n"
    "  verify           walk the whole chain; exit 0 intact, 1 tampered or\n"
    "                   damaged (the message names the first bad line)\n"
    "  show             the lines, oldest first (--json: as stored)\n"
    "  --action ACTION  only erase, export, consent, catalog_load, config,\n"
    "                   start, retention or key_rotation\n"
    "  --subject KEY    only lines about the user with this key (16 hex\n"
    "                   digits: user_key of profile --json or erase --json;\n"
    "                   the log holds a pseudonym derived from it)\n"
    "  --last N         only the last N lines that match\n"
    "  --state-dir DIR  read DIR/INSTANCE.audit; no running instance needed\n"
    "                   (otherwise the running instance's state_dir)\n"
    "\n"
    "Exit codes: 0 ok, 1 tampered or damaged, 2 bad usage, 3 no running\n"
    "instance or no readable log.\n";

struct _opts {
	const char *state_dir;
	bool json;
	bool has_action, has_subject;
	enum aud_action action;
	uint64_t subject;
	unsigned long last; /* 0: all */
};

/*
 * Matches "--name VALUE" or "--name=VALUE" at argv[*i]: 1 (and *v, *i
 * moved past the value), 0 not this flag, -1 the value is missing.
 */
static int _value(int argc, char **argv, int *i, const char *name,
    const char **v)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n))
		return 0;
	if (argv[*i][n] == '=') {
		*v = argv[*i] + n + 1;
	} else if (argv[*i][n]) {
		return 0;
	} else if (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2)) {
		*v = argv[++*i];
	} else {
		return -1;
	}
	return **v ? 1 : -1;
}

static bool _parse_key(const char *s, uint64_t *key)
{
	if (strlen(s) != 16 || strspn(s, "0123456789abcdefABCDEF") != 16)
		return false;
	*key = strtoull(s, NULL, 16);
	return true;
}

static bool _parse_count(const char *s, unsigned long *n)
{
	if (!s[0] || strlen(s) > 9 || strspn(s, "0123456789") != strlen(s))
		return false;
	*n = strtoul(s, NULL, 10);
	return *n > 0;
}

/* One option of `audit show` with its value; false after a message. */
static bool _show_opt(const char *flag, const char *v, struct _opts *o)
{
	if (!strcmp(flag, "--action")) {
		o->has_action = !aud_action_parse(v, &o->action);
		if (!o->has_action)
			fprintf(stderr,
			    "penchant audit: --action '%s' is not one of erase, export, consent, catalog_load, config, start, retention, key_rotation\n",
			    v);
		return o->has_action;
	}
	if (!strcmp(flag, "--subject")) {
		o->has_subject = _parse_key(v, &o->subject);
		if (!o->has_subject)
			fprintf(stderr,
			    "penchant audit: --subject '%s' is not a user key (16 hex digits, as penchant profile --json prints user_key)\n",
			    v);
		return o->has_subject;
	}
	if (!_parse_count(v, &o->last)) {
		fprintf(stderr,
		    "penchant audit: --last '%s' is not a count from 1 to 999999999\n",
		    v);
		return false;
	}
	return true;
}

static int _parse(int argc, char **argv, bool show, struct _opts *o)
{
	static const char *const flags[] = { "--state-dir", "--action",
		"--subject", "--last" };
	bool seen[4] = { false };
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			o->json = true;
			continue;
		}
		int k = 0, m = 0;
		const char *v = NULL;
		for (; k < (show ? 4 : 1); k++)
			if ((m = _value(argc, argv, &i, flags[k], &v)))
				break;
		if (m < 0) {
			fprintf(stderr, "penchant audit: %s needs a value\n",
			    flags[k]);
			return CLI_USAGE;
		}
		if (!m) {
			fprintf(stderr,
			    "penchant audit: unknown argument '%s' (see penchant audit --help)\n",
			    argv[i]);
			return CLI_USAGE;
		}
		/* A filter given twice would keep the last alone ("--action
		 * erase --action export" shows no erase): not what was
		 * meant, whichever was. */
		if (seen[k]) {
			fprintf(stderr,
			    "penchant audit: %s given twice: one value (see penchant audit --help)\n",
			    flags[k]);
			return CLI_USAGE;
		}
		seen[k] = true;
		if (k == 0)
			o->state_dir = v;
		else if (!_show_opt(flags[k], v, o))
			return CLI_USAGE;
	}
	return CLI_OK;
}

/* The log's path: under --state-dir, else the running instance's. */
static int _path(const struct cli *c, const struct _opts *o, char *path,
    size_t len)
{
	char err[512];
	if (o->state_dir) {
		if (aud_path(o->state_dir, c->instance, path, len, err,
			sizeof(err))) {
			fprintf(stderr, "penchant audit: %s\n", err);
			return CLI_USAGE;
		}
		return CLI_OK;
	}
	pen_t *p;
	int rc = cli_open(c, &p);
	if (rc) {
		fprintf(stderr,
		    "penchant audit: (with no instance running, name its directory with --state-dir DIR)\n");
		return rc;
	}
	const struct reg_header *h = client_region(p)->hdr;
	char dir[sizeof(h->state_dir) + 1], inst[sizeof(h->instance) + 1];
	snprintf(dir, sizeof(dir), "%.*s", (int)sizeof(h->state_dir),
	    h->state_dir);
	snprintf(inst, sizeof(inst), "%.*s", (int)sizeof(h->instance),
	    h->instance);
	pen_close(&p);
	if (aud_path(dir, inst, path, len, err, sizeof(err))) {
		fprintf(stderr, "penchant audit: instance '%s': %s\n", inst,
		    err);
		return CLI_UNREACHABLE;
	}
	return CLI_OK;
}

static int _verify(const char *path, bool json)
{
	struct aud_report rep;
	char err[512];
	int rc = aud_verify(path, &rep, err, sizeof(err));
	if (rc && rc != -EBADMSG) {
		fprintf(stderr, "penchant audit: %s\n", err);
		return CLI_UNREACHABLE;
	}
	if (json) {
		printf("{\"path\":");
		cli_json_str(path);
		printf(
		    ",\"intact\":%s,\"lines\":%llu,\"good\":%llu,\"bad_line\":%llu,\"why\":",
		    rc ? "false" : "true", (unsigned long long)rep.lines,
		    (unsigned long long)rep.good,
		    (unsigned long long)rep.bad_line);
		cli_json_str(rep.why);
		printf(",\"last_seq\":%llu,\"last_hash\":\"%s\"}\n",
		    (unsigned long long)rep.last_seq, rep.last_hash);
	} else if (!rc) {
		printf("%s: %llu lines, chain intact; last seq %llu, hash %s\n",
		    path, (unsigned long long)rep.lines,
		    (unsigned long long)rep.last_seq,
		    rep.lines ? rep.last_hash : "-");
	}
	if (rc)
		fprintf(stderr,
		    "penchant audit: TAMPERED or damaged: %s (lines 1..%llu verify)\n",
		    err, (unsigned long long)rep.good);
	return rc ? CLI_PARTIAL : CLI_OK;
}

/* Matching lines as they print; the last o->last kept when that is set. */
struct _show {
	const struct _opts *o;
	char **ring;
	size_t cap, n;
	int rc;
};

static void _print(FILE *f, const struct aud_entry *e, bool json)
{
	if (json) {
		fprintf(f, "%.*s\n", (int)e->line_len, e->line);
		return;
	}
	char subj[17] = "-";
	if (e->subject != AUD_NO_SUBJECT)
		snprintf(subj, sizeof(subj), "%016llx",
		    (unsigned long long)e->subject);
	fprintf(f, "%llu %s uid %u pid %d %-12s %-16s ",
	    (unsigned long long)e->seq, e->time, e->uid, e->pid,
	    aud_action_name(e->action), subj);
	client_json_fstr(f, e->detail); /* quoted: control bytes stay escaped */
	putc('\n', f);
}

static int _show_line(const struct aud_entry *e, void *arg)
{
	struct _show *s = arg;
	if ((s->o->has_action && e->action != s->o->action) ||
	    (s->o->has_subject && e->subject != aud_subject_of(s->o->subject)))
		return 0;
	if (!s->o->last) {
		_print(stdout, e, s->o->json);
		return 0;
	}
	size_t len;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	_print(f, e, s->o->json);
	if (fclose(f))
		return -ENOMEM;
	if (s->n < s->o->last && s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **r = realloc(s->ring,
		    (cap < s->o->last ? cap : s->o->last) * sizeof(char *));
		if (!r) {
			free(text);
			return -ENOMEM;
		}
		s->ring = r;
		s->cap = cap < s->o->last ? cap : s->o->last;
	}
	size_t at = s->n++ % s->o->last;
	if (s->n > s->o->last)
		free(s->ring[at]);
	s->ring[at] = text;
	return 0;
}

static int _show(const char *path, const struct _opts *o)
{
	struct _show s = { .o = o };
	char err[512];
	int rc = aud_read(path, _show_line, &s, err, sizeof(err));
	size_t keep = s.n < o->last ? s.n : o->last;
	for (size_t i = s.n - keep; i < s.n; i++) {
		fputs(s.ring[i % o->last], stdout);
		free(s.ring[i % o->last]);
	}
	free(s.ring);
	if (rc == -ENOMEM)
		fprintf(stderr, "penchant audit: out of memory\n");
	else if (rc)
		fprintf(stderr, "penchant audit: %s\n", err);
	return !rc ? CLI_OK : rc == -EBADMSG ? CLI_PARTIAL : CLI_UNREACHABLE;
}

int cli_audit(const struct cli *c, int argc, char **argv)
{
	if (cli_help(argc, argv, _help))
		return CLI_OK;
	bool show = argc >= 2 && !strcmp(argv[1], "show");
	if (argc < 2 || (!show && strcmp(argv[1], "verify"))) {
		fprintf(stderr, "penchant audit: verify or show?\n");
		fputs(_help, stderr);
		return CLI_USAGE;
	}
	struct _opts o = { .json = c->json };
	char path[512];
	int rc = _parse(argc, argv, show, &o);
	if (!rc)
		rc = _path(c, &o, path, sizeof(path));
	if (rc)
		return rc;
	return show ? _show(path, &o) : _verify(path, o.json);
}
