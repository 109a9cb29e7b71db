/*
 * segments: `penchant segments`, the behavioral segments the segmenter
 * last published (docs/SEGMENTS.md), as a table or JSON; --refresh asks
 * for a new table and waits for it; --user names one user's segment.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipc/client.h"
#include "shm/segment.h"
#include "ipc/profile_json.h"
#include "ipc/segments_json.h"
#include "tools/cli.h"

#define _USAGE                                                                             \
	"usage: penchant segments [--json] [--refresh [--wait SECONDS]]\n"                 \
	"                         [--user USER]... [--export FILE]\n\n"                    \
	"Prints the behavioral segments of the instance: size, share, engagement,\n"       \
	"click rate, drift rate, the strategy and ranking parameters each gets,\n"         \
	"its dominant traits and its interests, and sizes over the last refreshes.\n"      \
	"  --refresh       ask the segmenter for a new table now and wait for it\n"        \
	"  --wait SECONDS  how long --refresh waits, 0 to 86400 (default 60); 0:\n"        \
	"                  ask and do not wait (exit 0 once asked; the table\n"            \
	"                  comes when the segmenter has made it)\n"                        \
	"  --user USER     the segment USER falls in now, with its confidence\n"           \
	"                  (repeatable: one line each)\n"                                  \
	"  --export FILE   the feature matrix behind the table as CSV ('-' stdout):\n"     \
	"                  user_key, segment, confidence, raw and standardized features\n" \
	"Exit 0 ok, 4 no segments yet (or USER has no events), 3 unreachable.\n"

struct _opts {
	bool json, refresh, wait_given, json_given;
	double wait_s;
	const char *users[64];
	unsigned n_users;
	const char *export_path;
};

static int _parse(const struct cli *c, int argc, char **argv, struct _opts *o)
{
	*o = (struct _opts){ .json = c->json, .wait_s = 60 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		int m;
		if (!strcmp(a, "--json")) {
			o->json = o->json_given = true;
		} else if (!strcmp(a, "--refresh")) {
			o->refresh = true;
		} else if ((m = cli_value(argc, argv, &i, "--wait", &v)) ||
		    (m = cli_value(argc, argv, &i, "--user", &v)) ||
		    (m = cli_value(argc, argv, &i, "--export", &v))) {
			/* the canonical name: "--wait=5" is --wait */
			a = a[2] == 'w'	  ? "--wait"
			    : a[2] == 'u' ? "--user"
					  : "--export";
			if (m < 0) {
				fprintf(stderr,
				    "penchant segments: %s needs a value\n", a);
				return CLI_USAGE;
			}
			if (a[2] == 'e') {
				/* a second one would replace the first,
				 * which would never be written */
				if (o->export_path) {
					fprintf(stderr,
					    "penchant segments: --export given twice ('%s' and '%s'): one file\n",
					    o->export_path, v);
					return CLI_USAGE;
				}
				if (!*v) {
					fprintf(stderr,
					    "penchant segments: --export needs a file ('-' for stdout), not an empty string\n");
					return CLI_USAGE;
				}
				o->export_path = v;
				continue;
			}
			if (a[2] == 'u') {
				if (!*v) {
					fprintf(stderr,
					    "penchant segments: --user needs a user id, not an empty string\n");
					return CLI_USAGE;
				}
				if (o->n_users == 64) {
					fprintf(stderr,
					    "penchant segments: 64 --user at most\n");
					return CLI_USAGE;
				}
				o->users[o->n_users++] = v;
				continue;
			}
			/* a second one silently replaced the first */
			if (o->wait_given) {
				fprintf(stderr,
				    "penchant segments: --wait given twice (%g and '%s'): one time\n",
				    o->wait_s, v);
				return CLI_USAGE;
			}
			o->wait_given = true;
			if (cli_f64(v, 0, 86400, &o->wait_s)) {
				fprintf(stderr,
				    "penchant segments: --wait '%s': seconds from 0 to 86400\n",
				    v);
				return CLI_USAGE;
			}
		} else {
			fprintf(stderr,
			    "penchant segments: unknown argument '%s' (see --help)\n",
			    a);
			return CLI_USAGE;
		}
	}
	/* Only --refresh waits: without it --wait would change nothing,
	 * and the caller who wrote it expects a fresh table. */
	if (o->wait_given && !o->refresh) {
		fprintf(stderr,
		    "penchant segments: --wait is for --refresh (see --help)\n");
		return CLI_USAGE;
	}
	/* --wait 0 does not wait for the new table: a user's segment or
	 * an export would come from the table before the refresh */
	if (o->wait_given && o->wait_s == 0 && (o->n_users || o->export_path)) {
		fprintf(stderr,
		    "penchant segments: --wait 0 does not wait for the new table, and %s would read the one before it: give --wait SECONDS (more than 0) or leave --refresh out\n",
		    o->n_users ? "--user" : "--export");
		return CLI_USAGE;
	}
	/* the export is CSV: "--json --export -" gave a JSON reader CSV */
	if (o->json_given && o->export_path) {
		fprintf(stderr,
		    "penchant segments: --json and --export: the export is CSV (see --help)\n");
		return CLI_USAGE;
	}
	if (o->n_users && o->export_path) {
		fprintf(stderr,
		    "penchant segments: --user and --export: one or the other (see --help)\n");
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* Waits until the published version passes `was`; false on timeout. */
/*
 * Waits up to wait_s for a table newer than version `was`: 1 when one
 * came; 0 when none did; -1 when the segmenter answered request `mine`
 * without one (too few users, a failure: its reason printed).
 */
static int _await(pen_t *p, uint64_t was, uint64_t mine, double wait_s)
{
	const struct reg *r = client_region(p);
	struct timespec tick = { 0, 50 * 1000000L };
	for (double t = 0; t <= wait_s; t += 0.05) {
		struct pen_segments *s = malloc(sizeof(*s));
		if (!s)
			return 0;
		int rc = pen_segments_read(p, s, 0);
		uint64_t v = rc ? 0 : s->version;
		free(s);
		if (v > was)
			return 1;
		uint64_t answered;
		int why;
		char msg[SEG_NOTE_MAX + 1];
		if (seg_last_note(r, &answered, &why, msg, sizeof(msg)) == 0 &&
		    answered >= mine && why) {
			fprintf(stderr,
			    "penchant segments: the segmenter made no table: %s%s\n",
			    msg,
			    why == -ENODATA
				? " (segments_k, or segments_k_min when k is chosen, must not exceed the users with events)"
				: "");
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	return 0;
}

/* The n largest |trait| features of a segment, "+activity -diversity". */
static void _traits(const struct pen_segment *s, char *buf, size_t len)
{
	bool used[PEN_FEATURES] = { false };
	size_t at = 0;
	buf[0] = 0;
	for (unsigned k = 0; k < 3; k++) {
		int best = -1;
		for (unsigned i = 0; i < PEN_FEATURES; i++)
			if (!used[i] &&
			    (best < 0 ||
				fabsf(s->traits[i]) > fabsf(s->traits[best])))
				best = (int)i;
		if (best < 0 || fabsf(s->traits[best]) < 0.25f)
			break;
		used[best] = true;
		int n = snprintf(buf + at, len - at, "%s%s%s", at ? " " : "",
		    s->traits[best] > 0 ? "+" : "-",
		    pen_feature_name((unsigned)best));
		if (n < 0 || (size_t)n >= len - at)
			break;
		at += (size_t)n;
	}
}

static void _text(const struct pen_segments *s)
{
	char when[32];
	client_iso_time(s->refreshed_ms, when, sizeof(when));
	printf(
	    "%u segments of %llu users (refresh %llu at %s; silhouette %.3f; %llu users assigned with low confidence)\n",
	    s->k, (unsigned long long)s->users, (unsigned long long)s->version,
	    when, s->silhouette, (unsigned long long)s->low_confidence_users);
	printf("  %4s %-28s %-18s %8s %6s %6s %6s %6s %5s\n", "id", "name",
	    "strategy", "users", "share", "engage", "act/imp", "drift", "conf");
	for (unsigned i = 0; i < s->k; i++) {
		const struct pen_segment *g = &s->seg[i];
		char ctr[16], tr[96];
		if (g->ctr < 0)
			snprintf(ctr, sizeof(ctr), "-");
		else
			snprintf(ctr, sizeof(ctr), "%.3f", g->ctr);
		_traits(g, tr, sizeof(tr));
		printf(
		    "  %4u %-*s %-18s %8llu %5.1f%% %5.1f%% %7s %5.1f%% %5.2f%s\n",
		    g->id, cli_pad(g->name, 28), g->name, g->strategy,
		    (unsigned long long)g->size, 100 * g->share,
		    100 * g->engagement, ctr, 100 * g->drift_rate,
		    g->confidence, g->overridden ? "  (overridden)" : "");
		printf(
		    "       traits %s; epsilon %.2f, mmr lambda %.2f, explore %.2f, context %.2f",
		    tr[0] ? tr : "(near the mean)", g->epsilon, g->mmr_lambda,
		    g->explore_weight, g->context_weight);
		if (g->diversifier[0])
			printf(", diversifier %s", g->diversifier);
		if (g->dpp_theta >= 0)
			printf(", dpp theta %.2f", g->dpp_theta);
		printf("\n");
		if (g->n_prior) {
			printf("       interests:");
			for (unsigned j = 0; j < g->n_prior && j < 5; j++)
				printf("%s %s %.0f%%", j ? "," : "",
				    g->prior[j].name[0] ? g->prior[j].name
							: "?",
				    100 * g->prior[j].share);
			printf("\n");
		}
	}
	if (s->n_history > 1) {
		printf("  sizes over the last %u refreshes (oldest first):\n",
		    s->n_history);
		for (unsigned i = 0; i < s->k; i++) {
			printf("  %4u", s->seg[i].id);
			for (unsigned h = 0; h < s->n_history; h++) {
				unsigned long long n = 0;
				for (unsigned j = 0; j < PEN_SEGMENTS_MAX; j++)
					if (s->history[h].id[j] == s->seg[i].id)
						n = s->history[h].size[j];
				printf(" %llu", n);
			}
			printf("\n");
		}
	}
	if (s->failures)
		printf("  %llu refreshes failed (see the daemon's log)\n",
		    (unsigned long long)s->failures);
}

void cli_segments_json(FILE *f, const struct pen_segments *s)
{
	client_segments_json(f, s);
}

static int _user(pen_t *p, const struct _opts *o, const char *user)
{
	struct pen_user_segment u;
	int rc = cli_user_check("segments", p, user);
	if (rc)
		return rc;
	rc = pen_segment_of(p, user, strlen(user), &u);
	if (rc == -ENOENT || rc == -ENODATA) {
		fprintf(stderr, "penchant segments: %s: %s\n", user,
		    rc == -ENOENT ? "no events"
				  : "no segments yet (see --refresh)");
		return CLI_NOT_FOUND;
	}
	if (rc) {
		fprintf(stderr, "penchant segments: %s\n", pen_strerror(rc));
		return CLI_UNREACHABLE;
	}
	if (o->json) {
		printf("{\"user\":");
		cli_json_str(user);
		printf(",\"segment\":%u,\"name\":", u.id);
		cli_json_str(u.name);
		printf(
		    ",\"strategy\":\"%s\",\"confidence\":%.6f,\"low_confidence\":%s}\n",
		    u.strategy, u.confidence,
		    u.low_confidence ? "true" : "false");
	} else {
		printf("%s: segment %u %s (%s), confidence %.2f%s\n", user,
		    u.id, u.name, u.strategy, u.confidence,
		    u.low_confidence ? " (low)" : "");
	}
	return CLI_OK;
}

/* The export's file while it is written beside its path, unlinked by
 * the handler if a signal ends the command first (empty: none). */
static char _tmp[4096 + 16];

static void _on_signal(int sig)
{
	if (_tmp[0])
		unlink(_tmp); /* async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Where the export is written: stdout for "-"; a temporary file beside
 * path (into *tmp, renamed over path when complete) for a regular file
 * or a new one, so that a failure or a Ctrl-C half-way leaves the file
 * as it was; path itself when it is no regular file (a FIFO, a device:
 * renaming over one would replace it) or nothing can be made beside it.
 * NULL with errno when it cannot be opened.
 */
static FILE *_export_open(const char *path, char *tmp, size_t len)
{
	struct stat st;
	tmp[0] = 0;
	if (!strcmp(path, "-"))
		return stdout;
	bool direct = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	int fd = -1;
	if (!direct && (size_t)snprintf(tmp, len, "%s.XXXXXX", path) < len) {
		struct sigaction sa = { .sa_handler = _on_signal };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGPIPE, &sa, NULL);
		fd = mkstemp(tmp); /* 0600, as below */
	}
	if (fd < 0) {
		tmp[0] = 0;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (fd >= 0 && !f) {
		int e = errno;
		close(fd);
		if (tmp[0])
			unlink(tmp);
		tmp[0] = 0;
		errno = e;
	}
	return f;
}

/*
 * Whether path names a file in the instance's state directory: its
 * snapshot, audit trail, key and neighbour lists live there, and an
 * export written over one of them (a slip of the shell) destroyed it.
 */
static bool _in_state_dir(const struct reg *r, const char *path)
{
	const char *sd = r->hdr->state_dir;
	char copy[4096];
	struct stat a, b;
	if (!sd[0] || !strcmp(path, "-") ||
	    (size_t)snprintf(copy, sizeof(copy), "%s", path) >= sizeof(copy))
		return false;
	return stat(dirname(copy), &a) == 0 && stat(sd, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int _export(pen_t *p, const char *path)
{
	struct seg_table *t = malloc(sizeof(*t));
	const struct reg *r = client_region(p);
	if (!t || seg_read(r, t)) {
		fprintf(stderr, "penchant segments: no segments to export\n");
		free(t);
		return CLI_NOT_FOUND;
	}
	if (_in_state_dir(r, path)) {
		fprintf(stderr,
		    "penchant segments: --export %s: in the instance's state directory (%s: its snapshot, audit trail and keys live there); export elsewhere\n",
		    path, r->hdr->state_dir);
		free(t);
		return CLI_USAGE;
	}
	bool std = !strcmp(path, "-");
	/* Per-user rows (pseudonymous keys and features): private as the
	 * snapshots are, 0600 when made here. */
	FILE *f = _export_open(path, _tmp, sizeof(_tmp));
	if (!f) { /* a path that cannot be written: the caller's to fix */
		fprintf(stderr, "penchant segments: --export %s: %s\n", path,
		    strerror(errno));
		free(t);
		return CLI_USAGE;
	}
	bool beside = _tmp[0];
	errno = 0;
	long rows = seg_export(r, t, f);
	/* its -EIO is a write that failed: say why (EFBIG, ENOSPC...) */
	if (rows == -EIO && errno)
		rows = -errno;
	if (!std && fclose(f) && rows >= 0)
		rows = errno ? -errno : -EIO;
	if (rows >= 0 && _tmp[0] && rename(_tmp, path))
		rows = -errno;
	if (_tmp[0] && rows < 0)
		unlink(_tmp);
	_tmp[0] = 0;
	free(t);
	if (rows < 0) { /* not written, or in part */
		fprintf(stderr, "penchant segments: --export %s: %s%s\n", path,
		    strerror((int)-rows),
		    beside ? " (the file is as it was before)"
			   : " (written in part)");
		return CLI_PARTIAL;
	}
	if (!std)
		fprintf(stderr, "penchant segments: %ld users written to %s\n",
		    rows, path);
	return CLI_OK;
}

/* --refresh --wait 0: the request is made; says so (JSON: the request's
 * number and the table version it will pass) and frees s. */
static int _asked(struct pen_segments *s, const struct _opts *o, uint64_t was,
    uint64_t mine)
{
	free(s);
	if (o->json)
		printf("{\"refresh_requested\":%llu,\"version\":%llu}\n",
		    (unsigned long long)mine, (unsigned long long)was);
	else
		fprintf(stderr,
		    "penchant segments: refresh requested (table version %llu now); not waiting (--wait 0): penchant segments shows the new one once the segmenter has made it\n",
		    (unsigned long long)was);
	return CLI_OK;
}

static int _run(pen_t *p, const struct _opts *o)
{
	struct pen_segments *s = malloc(sizeof(*s));
	if (!s) {
		fprintf(stderr, "penchant segments: out of memory\n");
		return CLI_UNREACHABLE;
	}
	int rc = pen_segments_read(p, s, PEN_READ_NAMES);
	if (o->refresh) {
		uint64_t was = rc ? 0 : s->version;
		/* pen_segments_refresh's request, numbered: the answer to
		 * this one (not to an earlier one's) is awaited. */
		int alive = client_alive(p);
		if (alive) {
			fprintf(stderr, "penchant segments: --refresh: %s\n",
			    pen_strerror(alive));
			free(s);
			return CLI_UNREACHABLE;
		}
		uint64_t mine = ck_pr_faa_64(&reg_segments(client_region(p))
						  ->refresh_requests,
				    1) +
		    1;
		if (o->wait_s == 0) /* asked; not waiting for it */
			return _asked(s, o, was, mine);
		int got = _await(p, was, mine, o->wait_s);
		if (got <= 0) {
			if (!got)
				fprintf(stderr,
				    "penchant segments: no new table within %g s (is the segmenter running? penchant status shows it)\n",
				    o->wait_s);
			free(s);
			return CLI_NOT_FOUND;
		}
		rc = pen_segments_read(p, s, PEN_READ_NAMES);
	}
	int out = CLI_OK;
	if (rc == -ENODATA) {
		fprintf(stderr,
		    "penchant segments: no segments yet (the segmenter refreshes every segment_interval_s; --refresh asks now)\n");
		out = CLI_NOT_FOUND;
	} else if (rc) {
		fprintf(stderr, "penchant segments: %s\n", pen_strerror(rc));
		out = CLI_UNREACHABLE;
	} else if (o->n_users) {
		for (unsigned i = 0; i < o->n_users; i++) {
			int u = _user(p, o, o->users[i]);
			if (u > out)
				out = u;
		}
	} else if (o->export_path) {
		out = _export(p, o->export_path);
	} else if (o->json) {
		cli_segments_json(stdout, s);
	} else {
		_text(s);
	}
	free(s);
	return out;
}

int cli_segments(const struct cli *c, int argc, char **argv)
{
	if (cli_help(argc, argv, _USAGE))
		return CLI_OK;
	struct _opts o;
	int rc = _parse(c, argc, argv, &o);
	if (rc)
		return rc;
	pen_t *p;
	if ((rc = cli_open(c, &p)))
		return rc;
	rc = _run(p, &o);
	pen_close(&p);
	return rc;
}
