/*
 * replay: `penchant replay FILE`: learn from an event log offline, in one
 * process, through the code the daemon's shard workers run.
 *
 * Why it is the engine and not a model of it: the command creates a private
 * region ("replay-<pid>", one shard) exactly as the supervisor does, loads
 * the catalog into it with the catalog writer calls, validates events with
 * evt_build() (the function every producer uses), publishes them through
 * libpenchant into a ring and drains that ring with shard_poll(), the shard
 * worker's own loop body. Only the scheduling differs: producer and worker
 * take turns in one thread (the ring full -> drain), so a replay is
 * deterministic.
 *
 * The region's name is removed as soon as both handles are attached: it
 * vanishes when the process exits, however it exits.
 *
 * Reading the log (formats, column mapping, rejections) is tools/logread;
 * the options, the region and the catalog are tools/replaycore (penchant
 * eval and simulate learn through the same code); this file holds the
 * learning loop and the output.
 *
 * Memory: every accepted event is held as its 128-byte ring record plus a
 * 16-byte sort key (time, input order) until the sort; --max-events bounds
 * that.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/client.h"
#include "shm/catalog.h"
#include "shm/profiles.h"
#include "shm/segment.h"
#include "shm/shard.h"
#include "tools/cli.h"
#include "tools/logread.h"
#include "tools/replaycore.h"

#define _NAME "penchant replay"
#define _BATCH 256 /* records per publish call */
#define _TOP_TAGS 10

static const char _help[] =
    "usage: penchant replay FILE [options]\n"
    "\n"
    "Feeds an event log (FILE, '-' for stdin; gzip is read transparently)\n"
    "through the learner of the shard workers, in one process, in event-time\n"
    "order (a stable sort: equal times keep input order), and writes the\n"
    "resulting profiles. No daemon is needed and none is touched: the replay\n"
    "creates a private region that disappears when it exits.\n"
    "\n"
    "Input (JSON lines by default, the event format of docs/PROTOCOL.md):\n"
    "  --csv                  FILE is CSV (RFC 4180; a header row unless\n"
    "                         --columns names the columns)\n"
    "  --sep CHAR             field separator of every CSV input (default\n"
    "                         ','): one byte such as ';' '|', or 'tab' (also\n"
    "                         '\\t'); tab-separated files have no quoting\n"
    "  --map F=COL,...        CSV column of each event field; unmapped fields\n"
    "                         use the column of the same name when present.\n"
    "                         Fields: user_id entity_id event_type timestamp\n"
    "                         session_id entity_type device platform weather\n"
    "                         social rec_type position dwell_ms scroll_depth\n"
    "                         feedback query tz_offset lat lon rating.\n"
    "                         A header without user_id, timestamp or (unless\n"
    "                         --type or --rating) event_type is refused\n"
    "  --time-unit s|ms|auto  numeric CSV times (default auto: integral values\n"
    "                         >= 1e11 are ms, others seconds); RFC 3339 strings\n"
    "                         are always accepted\n"
    "  --type TYPE            event type of CSV rows without an event_type\n"
    "  --type-map FROM=TO,... the log's verbs renamed to the engine's\n"
    "                         (pv=view,buy=purchase,fav=save,addtocart=cart;\n"
    "                         case-insensitive; TO a built-in or --verbs verb)\n"
    "  --time-format FMT      times by strptime(3) instead of RFC 3339 and\n"
    "                         --time-unit (every CSV cell, JSON strings)\n"
    "                         ('%a %b %d %H:%M:%S %z %Y'; without %z: UTC;\n"
    "                         %f: a fraction of a second, to the ms)\n"
    "  --tz-offset MINUTES    times that carry no zone (ISO 8601 without an\n"
    "                         offset; --time-format without %z) are local\n"
    "                         at UTC + MINUTES (-1080..1080); without it such\n"
    "                         ISO times are rejected (bad_time). ISO '+hhmm'\n"
    "                         offsets are always read\n"
    "  --assume-utc           the same as --tz-offset 0\n"
    "  --encoding utf-8|latin-1|windows-1252\n"
    "                         text of the log and catalog files (default\n"
    "                         utf-8: a line that is not UTF-8 is rejected);\n"
    "                         latin-1 (ISO 8859-1) and windows-1252 (cp1252,\n"
    "                         its superset of printable characters at\n"
    "                         0x80..0x9F) are converted to UTF-8 as read\n"
    "  --columns A,B,...      a CSV log without a header row: its column\n"
    "                         names in order (the first line is data)\n"
    "  --rating COL           explicit ratings: rating >= --rating-pos (4) is a\n"
    "                         positive feedback, <= --rating-neg (2.5) a negative\n"
    "                         one, anything between a view (a weak positive).\n"
    "                         A rating overrides event_type; an empty rating\n"
    "                         cell falls back to it.\n"
    "  --rating-pos X, --rating-neg X\n"
    "Catalog (optional; events on unknown entities still count, learn no tags;\n"
    "each file may be '-' for stdin, one input at most, or a pipe; one pipe\n"
    "feeds one input, not two):\n"
    "  --catalog FILE         JSON lines, as `penchant catalog load`\n"
    "  --catalog-csv FILE     CSV; --catalog-map id=COL,tags=COL,category=COL,\n"
    "                         lat=COL,lon=COL (default: same names); tags are\n"
    "                         split on --tag-sep (default '|'); the category is\n"
    "                         the first tag unless mapped\n"
    "  --catalog-columns A,B,... the catalog CSV has no header row: its\n"
    "                         column names (a headerless log as its own\n"
    "                         catalog: the same list as --columns)\n"
    "  --catalog-sep CHAR     field separator of the catalog and tags CSV\n"
    "                         when it differs from the log's (default: --sep)\n"
    "  --tags-csv FILE        user-assigned tags added to catalog items, in file\n"
    "                         order, up to 8 tags per item; --tags-map\n"
    "                         entity_id=COL,tag=COL (default: same names).\n"
    "                         Rows for entities not in the catalog are counted,\n"
    "                         not rejected.\n"
    "Output:\n"
    "  --out FILE             one JSON profile per line ('-' stdout), the shape\n"
    "                         of `penchant profile --json`, users in order of\n"
    "                         first appearance; engagement is as of the last\n"
    "                         event of the log, not the wall clock\n"
    "  --segments FILE        behavioral segments of the replayed users, as of\n"
    "                         the log's last event, as `penchant segments --json`\n"
    "                         prints them ('-' stdout; segment settings apply)\n"
    "  --features FILE        the feature matrix behind those segments, CSV\n"
    "                         (user_key, segment, confidence, raw, standardized)\n"
    "  --summary              users, events, rejects by reason, top tags and\n"
    "                         top categories, mean confidence (the default\n"
    "                         without --out; --json before the command prints\n"
    "                         it as JSON)\n"
    "Settings (the daemon's; docs/SETTINGS.md):\n"
    "  --config FILE          a penchantd config file\n"
    "  --NAME=VALUE           any setting, as for penchantd (--decay-per-day=0.5,\n"
    "                         --verbs='wishlist:0.6', --no-repeat-plain...), applied\n"
    "                         left to right; learner and input settings mean the\n"
    "                         same as in the daemon, the geometry (shards,\n"
    "                         capacities) is the replay's own\n"
    "Limits:\n"
    "  --max-events N         refuse longer inputs (default 50000000; each\n"
    "                         event holds 144 bytes until it is applied)\n"
    "  --users N              profile capacity (default: the users seen)\n"
    "  --quiet                no progress or totals on stderr\n"
    "\n"
    "Event times from 1970 to 2100 are accepted: a replay has no wall-clock\n"
    "window. Rejected lines are reported as FILE:LINE: reason on stderr and\n"
    "skipped. Exit 0 all applied, 1 some lines rejected, 2 bad usage or input\n"
    "refused.\n";

/* --- options and state ------------------------------------------------ */

/* The command line: the shared options (core), and replay's own. */
struct _opts {
	struct rc_opts core;
	const char *input, *out, *segments, *features;
	bool summary, json;
};

struct _progress {
	int64_t start_ms, last_ms;
	bool quiet;
};

struct _rp {
	const struct _opts *o;
	struct rc_run run; /* the log, the region, the catalog counts */
	struct _progress pg;
	int64_t t_read_ms, t_learn_ms;
};

/* --- small helpers ---------------------------------------------------- */

/* At most once a second: "read L lines, E events, R rejected" while
 * reading, "applied A of E events" while learning (c == UINT64_MAX). */
static void _progress(struct _progress *pg, uint64_t a, uint64_t b, uint64_t c)
{
	if (pg->quiet)
		return;
	int64_t now = reg_now_mono_ms();
	if (now - pg->last_ms < 1000)
		return;
	pg->last_ms = now;
	double s = (double)(now - pg->start_ms) / 1000;
	if (c == UINT64_MAX)
		fprintf(stderr,
		    _NAME ": applied %llu of %llu events (%.1f s)\n",
		    (unsigned long long)a, (unsigned long long)b, s);
	else
		fprintf(stderr,
		    _NAME
		    ": read %llu lines, %llu events, %llu rejected (%.1f s)\n",
		    (unsigned long long)a, (unsigned long long)b,
		    (unsigned long long)c, s);
}

/* The reader's progress hook. */
static void _read_progress(void *arg, uint64_t lines, uint64_t events,
    uint64_t rejected)
{
	_progress(arg, lines, events, rejected);
}

/* --- learning --------------------------------------------------------- */

static int _learn(struct _rp *x)
{
	struct rc_run *run = &x->run;
	struct rc_key *k = rc_sorted(&run->log);
	if (!k) {
		fprintf(stderr, _NAME ": out of memory sorting %zu events\n",
		    run->log.ev.n);
		return CLI_USAGE;
	}
	struct evt_record buf[_BATCH];
	int rc = 0;
	shard_recover(&run->r, 0);
	for (size_t i = 0; i < run->log.ev.n && !rc;) {
		size_t n = 0;
		while (n < _BATCH && i < run->log.ev.n)
			buf[n++] = *lr_event(&run->log, k[i++].i);
		rc = rc_publish(run, buf, n);
		if ((i & 0xffff) < _BATCH)
			_progress(&x->pg, i, run->log.ev.n, UINT64_MAX);
	}
	rc_drain(run);
	free(k);
	if (rc) {
		fprintf(stderr, _NAME ": publish: %s\n", pen_strerror(rc));
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* --- output ----------------------------------------------------------- */

static int _write_profiles(const struct rc_run *x, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f) {
		fprintf(stderr, _NAME ": cannot write %s: %s\n", path,
		    strerror(errno));
		return CLI_USAGE;
	}
	for (size_t i = 0; i < x->log.users.n; i++) {
		struct lrn_profile lp;
		if (prof_read(&x->r, x->log.users.v[i].key, &lp) ||
		    lp.events == 0)
			continue;
		/* Engagement as of the log's end, so output is reproducible. */
		struct pen_profile pp;
		client_profile_export(x->p, &lp, &pp, PEN_READ_NAMES,
		    x->log.t_last);
		client_profile_json(f, x->p, lr_user_id(&x->log, i), &pp);
	}
	bool bad = ferror(f) != 0;
	if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
		bad = true;
	if (bad) {
		fprintf(stderr, _NAME ": writing %s failed\n", path);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* --- summary ---------------------------------------------------------- */

struct _tagcount {
	uint32_t id, users;
	double weight;
};

/* Names (tags, or categories) counted by the users whose strongest
 * interest of that kind each is. */
struct _tops {
	struct _tagcount *v;
	size_t n, cap;
};

struct _totals {
	uint64_t profiles;
	double conf_sum;
	struct _tops tags, cats; /* top tag, top category of each profile */
};

static int _tally(struct _tops *t, const struct lrn_weight *ws, unsigned n)
{
	unsigned order[LRN_TAGS > LRN_CATS ? LRN_TAGS : LRN_CATS];
	if (lrn_top(ws, n, order) == 0)
		return 0;
	const struct lrn_weight *w = &ws[order[0]];
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].id == w->id) {
			t->v[i].users++;
			t->v[i].weight += w->w;
			return 0;
		}
	if (t->n == t->cap) {
		size_t c = t->cap ? t->cap * 2 : 64;
		struct _tagcount *v = realloc(t->v, c * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = c;
	}
	t->v[t->n++] = (struct _tagcount){ w->id, 1, w->w };
	return 0;
}

static int _tag_cmp(const void *a, const void *b)
{
	const struct _tagcount *p = a, *q = b;
	if (p->users != q->users)
		return p->users > q->users ? -1 : 1;
	return p->id < q->id ? -1 : p->id > q->id;
}

static int _totals(const struct rc_run *x, struct _totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < x->log.users.n; i++) {
		struct lrn_profile lp;
		if (prof_read(&x->r, x->log.users.v[i].key, &lp) || !lp.events)
			continue;
		t->profiles++;
		t->conf_sum += lrn_profile_confidence(&lp, &x->r.hdr->params);
		if (_tally(&t->tags, lp.tags, LRN_TAGS) ||
		    _tally(&t->cats, lp.cats, LRN_CATS))
			return -ENOMEM;
	}
	if (t->tags.n)
		qsort(t->tags.v, t->tags.n, sizeof(*t->tags.v), _tag_cmp);
	if (t->cats.n)
		qsort(t->cats.v, t->cats.n, sizeof(*t->cats.v), _tag_cmp);
	return 0;
}

static const uint64_t *_wcounters(const struct rc_run *x)
{
	return reg_proc(&x->r, reg_proc_worker(&x->r, 0))->counters;
}

/* Rejections by reason: the reader's and the worker's (table full). */
static uint64_t _rejects(const struct rc_run *x, unsigned k)
{
	return x->log.rejected[k] + _wcounters(x)[REG_C_REJECT0 + k];
}

/* Distinct entities: a log that is its own catalog (check-ins naming
 * their venue on every row) repeats ids, and a later row replaces (the
 * summary counts those rows: cat_repeated). */
static unsigned _cat_count(const struct rc_run *x)
{
	return x->r.base ? reg_catalog(&x->r)->count : 0;
}

/* Why a list of top names is empty, plainly: nothing learned, no
 * catalog, or a catalog that gives its items none of that kind. */
static const char *_tops_empty(const struct rc_run *x, const char *kind)
{
	if (!x->log.ev.n)
		return "no events";
	if (!_cat_count(x))
		return "no catalog items (--catalog, --catalog-csv): events on unknown entities learn no tags or categories";
	if (!strcmp(kind, "tags"))
		return "no profile has one: the catalog gives the items the users engaged with no tags (their categories are below)";
	return "no profile has one: the catalog gives the items the users engaged with no category (--catalog-map category=COL)";
}

static void _tops_text(const struct rc_run *x, const struct _tops *t,
    const char *kind)
{
	printf("top %s (users whose strongest interest it is):\n", kind);
	for (size_t i = 0; i < t->n && i < _TOP_TAGS; i++) {
		char name[NAME_MAX_LEN + 1];
		cat_name_get(&x->r, t->v[i].id, name, sizeof(name));
		printf("  %-*s %u\n", cli_pad(name, 26), name, t->v[i].users);
	}
	if (!t->n)
		printf("  none: %s\n", _tops_empty(x, kind));
}

static void _tops_json(const struct rc_run *x, const struct _tops *t,
    const char *key, const char *field)
{
	printf(",\"%s\":[", key);
	for (size_t i = 0; i < t->n && i < _TOP_TAGS; i++) {
		char name[NAME_MAX_LEN + 1];
		cat_name_get(&x->r, t->v[i].id, name, sizeof(name));
		printf("%s{\"%s\":", i ? "," : "", field);
		client_json_fstr(stdout, name);
		printf(",\"users\":%u}", t->v[i].users);
	}
	printf("]");
}

static void _summary_text(const struct rc_run *x, const struct _totals *t)
{
	const uint64_t *wc = _wcounters(x);
	printf("users %llu\nevents read %zu\nevents applied %llu\n"
	       "on unknown entities %llu\nrejected lines %llu\n",
	    (unsigned long long)t->profiles, x->log.ev.n,
	    (unsigned long long)wc[REG_C_APPLIED],
	    (unsigned long long)wc[REG_C_UNKNOWN_ENTITY],
	    (unsigned long long)x->log.rejected_lines);
	for (unsigned k = 0; k < EVT_REASON_COUNT; k++)
		if (_rejects(x, k))
			printf("  %s %llu\n", evt_reason_name(k),
			    (unsigned long long)_rejects(x, k));
	printf(
	    "catalog entities %u from %llu rows (rejected lines %llu, rows repeating an id %llu), user tags added %llu, for unknown entities %llu, beyond %d per item %llu\n",
	    _cat_count(x), (unsigned long long)x->cat_loaded,
	    (unsigned long long)x->cat_rejected,
	    (unsigned long long)x->cat_repeated,
	    (unsigned long long)x->tags_added,
	    (unsigned long long)x->tags_unknown, LRN_ITEM_TAGS,
	    (unsigned long long)x->tags_full);
	_tops_text(x, &t->tags, "tags");
	_tops_text(x, &t->cats, "categories");
	printf("mean profile confidence %.4f\n",
	    t->profiles ? t->conf_sum / (double)t->profiles : 0.0);
}

static void _summary_json(const struct rc_run *x, const struct _totals *t)
{
	const uint64_t *wc = _wcounters(x);
	printf(
	    "{\"users\":%llu,\"events_read\":%zu,\"events_applied\":%llu,\"unknown_entity\":%llu,\"rejected_lines\":%llu,\"rejected\":{",
	    (unsigned long long)t->profiles, x->log.ev.n,
	    (unsigned long long)wc[REG_C_APPLIED],
	    (unsigned long long)wc[REG_C_UNKNOWN_ENTITY],
	    (unsigned long long)x->log.rejected_lines);
	for (unsigned k = 0, n = 0; k < EVT_REASON_COUNT; k++)
		if (_rejects(x, k))
			printf("%s\"%s\":%llu", n++ ? "," : "",
			    evt_reason_name(k),
			    (unsigned long long)_rejects(x, k));
	printf(
	    "},\"catalog\":%u,\"catalog_rows\":%llu,\"catalog_rejected\":%llu,\"catalog_repeated_ids\":%llu,\"tags_added\":%llu,\"tags_unknown_entity\":%llu,\"tags_over_limit\":%llu",
	    _cat_count(x), (unsigned long long)x->cat_loaded,
	    (unsigned long long)x->cat_rejected,
	    (unsigned long long)x->cat_repeated,
	    (unsigned long long)x->tags_added,
	    (unsigned long long)x->tags_unknown,
	    (unsigned long long)x->tags_full);
	_tops_json(x, &t->tags, "top_tags", "tag");
	_tops_json(x, &t->cats, "top_categories", "category");
	printf(",\"mean_confidence\":%.4f}\n",
	    t->profiles ? t->conf_sum / (double)t->profiles : 0.0);
}

static int _summary(const struct _rp *rp)
{
	const struct rc_run *x = &rp->run;
	struct _totals t;
	int rc = _totals(x, &t);
	if (rc == 0) {
		if (rp->o->json)
			_summary_json(x, &t);
		else
			_summary_text(x, &t);
	}
	free(t.tags.v);
	free(t.cats.v);
	if (rc)
		fprintf(stderr, _NAME ": out of memory\n");
	return rc ? CLI_USAGE : CLI_OK;
}

/* --- command line ----------------------------------------------------- */

static int _flag(struct _opts *o, const char *a)
{
	if (!strcmp(a, "--summary"))
		o->summary = true;
	else if (!strcmp(a, "--json"))
		o->json = true;
	else
		return rc_input_arg(&o->core, &o->input, a, "FILE");
	return CLI_OK;
}

static int _parse(struct _opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		static const char *const named[] = { "--out", "--segments",
			"--features" };
		const char **dst[] = { &o->out, &o->segments, &o->features };
		int m = 0, rc;
		for (unsigned k = 0; !m && k < 3; k++) {
			m = cli_value(argc, argv, &i, named[k], &v);
			if (m < 0)
				return rc_usage_err(&o->core,
				    "%s needs a value", named[k]);
			if (m)
				*dst[k] = v;
		}
		if (m)
			continue;
		else if ((rc = rc_arg(&o->core, argc, argv, &i)) < 0 || rc > 1)
			return rc;
		else if (rc == 0 && (rc = _flag(o, argv[i])))
			return rc;
	}
	int rs = rc_apply_settings(&o->core);
	if (rs)
		return rs;
	if (!o->input)
		return rc_usage_err(&o->core, "which FILE?%s", "");
	if ((rs = rc_check_files(&o->core, o->input)) ||
	    (rs = rc_check_out(&o->core, o->out)) ||
	    (rs = rc_check_out(&o->core, o->segments)) ||
	    (rs = rc_check_out(&o->core, o->features)))
		return rs;
	if (!o->out && !o->segments && !o->features)
		o->summary = true;
	/* Two outputs on stdout would interleave into one stream that no
	 * reader can split (profiles, then segments or the summary). */
	const char *std[2] = { NULL, NULL };
	const char *names[] = { "--out -", "--segments -", "--features -",
		"--summary" };
	bool on[] = { o->out && !strcmp(o->out, "-"),
		o->segments && !strcmp(o->segments, "-"),
		o->features && !strcmp(o->features, "-"), o->summary };
	for (unsigned k = 0; k < 4; k++)
		if (on[k]) {
			if (std[0]) {
				std[1] = names[k];
				break;
			}
			std[0] = names[k];
		}
	if (std[1]) {
		fprintf(stderr,
		    _NAME
		    ": %s and %s both write to standard output: give one of them a file (see --help)\n",
		    std[0], std[1]);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* --- main ------------------------------------------------------------- */

static void _totals_line(const struct _rp *x)
{
	if (x->o->core.quiet)
		return;
	const struct lr_log *log = &x->run.log;
	double learn_s = (double)x->t_learn_ms / 1000;
	fprintf(stderr,
	    _NAME
	    ": %zu events of %llu lines (%llu rejected) into %zu users; read %.2f s, learned %.2f s (%.0f events/s)\n",
	    log->ev.n, (unsigned long long)log->lines,
	    (unsigned long long)log->rejected_lines, log->users.n,
	    (double)x->t_read_ms / 1000, learn_s,
	    learn_s > 0 ? (double)log->ev.n / learn_s : 0.0);
}

static FILE *_create(const char *path)
{
	FILE *f = !strcmp(path, "-") ? stdout : fopen(path, "w");
	if (!f)
		fprintf(stderr, _NAME ": cannot create %s: %s\n", path,
		    strerror(errno));
	return f;
}

static int _close(FILE *f, const char *path)
{
	if (f == stdout)
		return fflush(f) ? CLI_USAGE : CLI_OK;
	if (fclose(f)) {
		fprintf(stderr, _NAME ": cannot write %s\n", path);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* --segments, --features: a refresh of the replay's region as of the
 * log's last event, with the segmenter's settings. */
static int _segments(struct _rp *x)
{
	struct rc_run *run = &x->run;
	struct seg_options so;
	struct seg_stats st;
	char err[256] = "";
	seg_options_of(&x->o->core.settings, &so);
	so.as_of_ms = run->log.t_last;
	int rc = seg_refresh(&run->r, &so, &st, err, sizeof(err));
	if (rc) {
		fprintf(stderr, _NAME ": segments: %s\n", err);
		return CLI_USAGE;
	}
	if (!x->o->core.quiet)
		fprintf(stderr, _NAME ": %u segments of %llu users in %.2f s\n",
		    st.k, (unsigned long long)st.users, st.seconds_total);
	FILE *f;
	if (x->o->segments) {
		struct pen_segments *s = malloc(sizeof(*s));
		if (!s || pen_segments_read(run->p, s, PEN_READ_NAMES)) {
			free(s);
			return CLI_USAGE;
		}
		if (!(f = _create(x->o->segments))) {
			free(s);
			return CLI_USAGE;
		}
		cli_segments_json(f, s);
		free(s);
		if ((rc = _close(f, x->o->segments)))
			return rc;
	}
	if (x->o->features) {
		struct seg_table *t = malloc(sizeof(*t));
		if (!t || seg_read(&run->r, t)) {
			free(t);
			return CLI_USAGE;
		}
		if (!(f = _create(x->o->features))) {
			free(t);
			return CLI_USAGE;
		}
		long n = seg_export(&run->r, t, f);
		free(t);
		rc = _close(f, x->o->features);
		if (n < 0 || rc)
			return CLI_USAGE;
	}
	return CLI_OK;
}

/* Region, catalog, events, output. */
static int _run(struct _rp *x)
{
	struct rc_run *run = &x->run;
	int rc = rc_read_log(run, x->o->input);
	x->t_read_ms = reg_now_mono_ms() - x->pg.start_ms;
	if (rc)
		return rc;
	struct cfg c;
	rc_config(&x->o->core, run->log.users.n, &c);
	if (rc_open_region(run, "replay", &c))
		return CLI_USAGE;
	if ((rc = rc_load_catalog(run)))
		return rc;
	run->r.hdr->state = REG_RUNNING;
	int64_t t0 = reg_now_mono_ms();
	if ((rc = _learn(x)))
		return rc;
	x->t_learn_ms = reg_now_mono_ms() - t0;
	_totals_line(x);
	uint64_t full = rc_table_full(run);
	if (x->o->out && (rc = _write_profiles(run, x->o->out)))
		return rc;
	if ((x->o->segments || x->o->features) && (rc = _segments(x)))
		return rc;
	if (x->o->summary && (rc = _summary(x)))
		return rc;
	return run->log.rejected_lines || run->cat_rejected || full
	    ? CLI_PARTIAL
	    : CLI_OK;
}

int cli_replay(const struct cli *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(_help, stdout);
			return CLI_OK;
		}
	struct _opts o = { .json = c->json };
	rc_opts_init(&o.core, _NAME, c->instance);
	int rc = _parse(&o, argc, argv);
	if (rc) {
		rc_opts_free(&o.core);
		return rc;
	}
	struct _rp x = { .o = &o };
	x.run.o = &o.core;
	x.pg.start_ms = x.pg.last_ms = reg_now_mono_ms();
	x.pg.quiet = o.core.quiet;
	rc_reader_setup(&o.core, _read_progress, &x.pg);
	rc = _run(&x);
	rc_close(&x.run);
	rc_opts_free(&o.core);
	return rc;
}
