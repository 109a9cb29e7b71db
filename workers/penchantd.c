/*
 * penchantd: the supervisor daemon's command line. Everything it does lives
 * in workers/supervisor.c; this only turns argv into settings and records
 * the start (and a change of settings since the last one) in the audit
 * trail before handing over.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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

/*
 * True when a supervisor holds the instance's lock: sup_run will refuse to
 * start, so there is no start to record. A probe only: the lock file is
 * not created here, and is held for no longer than the flock call.
 */
static bool _instance_busy(const char *instance)
{
	char path[128];
	snprintf(path, sizeof(path), "/dev/shm/penchant.%s.lock", instance);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

/* mkdir -p with mode 0700, as sup_run creates state_dir (the log lives
 * there, and sup_run runs after the record is written). */
static int _mkdirs(const char *path)
{
	char buf[CFG_STATE_DIR_MAX + 1];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0700) && errno != EEXIST ? -errno : 0;
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
 * `start`. A log that cannot be written is logged and the daemon starts
 * anyway: the audit trail records the engine, it does not gate it.
 */
static void _audit_start(const struct cfg *c)
{
	char path[512], now[65], last[65] = "", detail[256], err[512];
	if (_instance_busy(c->instance) || _mkdirs(c->state_dir))
		return; /* sup_run says why it cannot start */
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
	/* Our own flags first; the rest are settings. */
	int n = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--reset")) {
			o.reset = true;
		} else if (!strcmp(argv[i], "--print-settings")) {
			print = true;
		} else {
			argv[n++] = argv[i];
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
	_audit_start(&c);
	return sup_run(&c, &o);
}
