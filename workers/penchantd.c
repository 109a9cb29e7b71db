/*
 * penchantd: the supervisor daemon's command line. Everything it does lives
 * in workers/supervisor.c; this only turns argv into settings and records
 * the start (and a change of settings since the last one) in the audit
 * trail before handing over.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "ipc/audit.h"
#include "workers/log.h"
#include "workers/supervisor.h"

#define _ROLE "supervisor"

static void _usage(FILE *f)
{
	fprintf(f,
	    "usage: penchantd [--config FILE] [--SETTING=VALUE ...] [--reset]\n"
	    "\n"
	    "Runs one penchant instance: creates its shared-memory region, forks\n"
	    "one shard worker per shard and supervises them. SIGTERM or SIGINT\n"
	    "drains every ring, writes a snapshot and exits 0.\n"
	    "\n"
	    "  --reset            discard a region left by a crashed supervisor\n"
	    "                     instead of adopting it\n"
	    "  --print-settings   print the effective settings and exit\n"
	    "  --help             this text\n"
	    "\n"
	    "Exit codes: 0 clean stop, 1 could not start, 2 bad usage.\n"
	    "\n"
	    "Settings (also accepted in a --config file as name = value):\n");
	cfg_print_help(f);
}

/* SHA-256 of the effective settings as "name = value" lines. */
static int _settings_hash(const struct cfg *c, char hex[65])
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	int rc = cfg_print_values(f, c);
	if (fclose(f) && !rc)
		rc = -ENOMEM;
	if (!rc)
		aud_sha256_hex(buf, len, hex);
	free(buf);
	return rc;
}

/* The settings hash of the last start in the log ("" when none). */
static int _last_start(const struct aud_entry *e, void *arg)
{
	char *hex = arg;
	if (e->action == AUD_START &&
	    sscanf(e->detail, "settings=%64[0-9a-f]", hex) != 1)
		hex[0] = 0;
	return 0;
}

/*
 * Appends `config` when the settings differ from the last start's, then
 * `start`: called by the supervisor once the instance is up, so a start
 * that failed (a key file of the wrong mode, the instance running
 * already) leaves no record of one. A log that cannot be written is
 * logged and the daemon runs anyway: the audit trail records the engine,
 * it does not gate it.
 */
static void _audit_start(const struct cfg *c)
{
	char path[512], now[65], last[65] = "", detail[256], err[512];
	if (_settings_hash(c, now)) {
		LOG(c, CFG_LOG_WARN, _ROLE,
		    "audit: cannot serialize the settings; start not recorded");
		return;
	}
	int rc = aud_path(c->state_dir, c->instance, path, sizeof(path), err,
	    sizeof(err));
	if (!rc)
		rc = aud_read(path, _last_start, last, err, sizeof(err));
	if (rc && rc != -ENOENT)
		LOG(c, CFG_LOG_WARN, _ROLE,
		    "audit: %s (check it with penchant audit verify)", err);
	if (!rc && last[0] && strcmp(last, now)) {
		snprintf(detail, sizeof(detail), "settings=%s previous=%s", now,
		    last);
		if (aud_append(c->state_dir, c->instance, AUD_CONFIG,
			AUD_NO_SUBJECT, detail, err, sizeof(err)))
			LOG(c, CFG_LOG_WARN, _ROLE,
			    "audit: settings change not recorded: %s", err);
	}
	snprintf(detail, sizeof(detail), "settings=%s", now);
	if (aud_append(c->state_dir, c->instance, AUD_START, AUD_NO_SUBJECT,
		detail, err, sizeof(err)))
		LOG(c, CFG_LOG_WARN, _ROLE, "audit: start not recorded: %s",
		    err);
}

int main(int argc, char **argv)
{
	struct cfg c;
	struct sup_options o = { 0 };
	bool print = false;
	char err[512];
	/* A log reader that goes away (penchantd ... 2>&1 | head) must not
	 * kill the supervisor at its next line: a write fails instead.
	 * Children inherit it; the server sets it again for itself. */
	signal(SIGPIPE, SIG_IGN);
	/* Our own flags first; the rest are settings. A setting's value is
	 * its own ("--forward-hostname -h" names a host), and after "--"
	 * nothing is a flag of ours ("-- --reset" resets nothing). */
	int n = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool is_bool = true;
		if (!strcmp(a, "--")) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--reset")) {
			o.reset = true;
		} else if (!strcmp(a, "--print-settings")) {
			print = true;
		} else {
			argv[n++] = argv[i];
			if (!strncmp(a, "--", 2) && !strchr(a, '=') &&
			    (!strcmp(a, "--config") ||
				(cfg_lookup(a + 2, &is_bool) == 0 &&
				    !is_bool)) &&
			    i + 1 < argc)
				argv[n++] = argv[++i];
		}
	}
	argc = n;
	cfg_defaults(&c);
	int first = argc;
	if (cfg_parse_args(&c, argc, argv, &first, err, sizeof(err)) ||
	    cfg_check(&c, err, sizeof(err))) {
		fprintf(stderr, "penchantd: %s\n(see penchantd --help)\n", err);
		return 2;
	}
	if (first < argc) {
		fprintf(stderr,
		    "penchantd: unexpected argument '%s'\n(see penchantd --help)\n",
		    argv[first]);
		return 2;
	}
	if (print) {
		cfg_print_values(stdout, &c);
		return 0;
	}
	o.started = _audit_start;
	return sup_run(&c, &o);
}
