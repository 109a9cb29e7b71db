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
 * this file holds the region, the catalog, learning and the output.
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
#include <unistd.h>

#include "engine/geo.h"
#include "ipc/client.h"
#include "shm/catalog.h"
#include "shm/profiles.h"
#include "tools/cli.h"
#include "tools/logread.h"
#include "shm/boot.h"
#include "shm/shard.h"

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
    "  --csv                  FILE is CSV (RFC 4180, header row required)\n"
    "  --map F=COL,...        CSV column of each event field; unmapped fields\n"
    "                         use the column of the same name when present.\n"
    "                         Fields: user_id entity_id event_type timestamp\n"
    "                         session_id entity_type device platform weather\n"
    "                         social rec_type position dwell_ms scroll_depth\n"
    "                         feedback query tz_offset lat lon rating\n"
    "  --time-unit s|ms|auto  numeric CSV times (default auto: integral values\n"
    "                         >= 1e11 are ms, others seconds); RFC 3339 strings\n"
    "                         are always accepted\n"
    "  --type TYPE            event type of CSV rows without an event_type\n"
    "  --rating COL           explicit ratings: rating >= --rating-pos (4) is a\n"
    "                         positive feedback, <= --rating-neg (2.5) a negative\n"
    "                         one, anything between a view (a weak positive).\n"
    "                         A rating overrides event_type; an empty rating\n"
    "                         cell falls back to it.\n"
    "  --rating-pos X, --rating-neg X\n"
    "Catalog (optional; events on unknown entities still count, learn no tags):\n"
    "  --catalog FILE         JSON lines, as `penchant catalog load`\n"
    "  --catalog-csv FILE     CSV; --catalog-map id=COL,tags=COL,category=COL,\n"
    "                         lat=COL,lon=COL (default: same names); tags are\n"
    "                         split on --tag-sep (default '|'); the category is\n"
    "                         the first tag unless mapped\n"
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
    "  --summary              users, events, rejects by reason, top tags, mean\n"
    "                         confidence (the default without --out; --json\n"
    "                         before the command prints it as JSON)\n"
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

/* --- options ---------------------------------------------------------- */

/* The fields of the catalog files (logread reads their rows, the catalog
 * section below says what a row means). */
enum _cfield { C_ID = 0, C_TAGS, C_CATEGORY, C_LAT, C_LON, C_COUNT };
static const char *const _cat_fields[C_COUNT] = { "id", "tags", "category",
	"lat", "lon" };

enum _tfield { T_ENTITY = 0, T_TAG, T_COUNT };
static const char *const _tag_fields[T_COUNT] = { "entity_id", "tag" };

/* The command line: what the reader needs (rd), and the rest. */
struct _opts {
	const char *input, *out, *catalog, *catalog_csv, *tags_csv;
	bool summary, quiet, json;
	char tag_sep;
	unsigned users;
	struct lr_options rd; /* its map is --map */
	struct lr_map cmap, tmap;
	/* Settings flags and --config FILE, in command-line order, for
	 * cfg_parse_args (argv[0] is a placeholder). */
	char **set_argv;
	int set_argc;
	struct cfg settings;
};

/* --- state ------------------------------------------------------------ */

struct _key {
	int64_t t;
	uint64_t i; /* input order: the sort is stable through it */
};

struct _progress {
	int64_t start_ms, last_ms;
	bool quiet;
};

struct _rp {
	const struct _opts *o;
	struct lr_log log;
	uint64_t cat_loaded, cat_rejected, tags_added, tags_unknown, tags_full;
	struct _progress pg;
	int64_t t_read_ms, t_learn_ms;
	struct reg r;
	pen_t *p;
	char instance[40];
};

/* --- small helpers ---------------------------------------------------- */

static int _usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, _NAME ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	return CLI_USAGE;
}

static int _u64(const char *s, unsigned long long lo, unsigned long long hi,
    unsigned long long *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

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

/* --- reading the log (tools/logread.h) -------------------------------- */

/* The reader's progress hook. */
static void _read_progress(void *arg, uint64_t lines, uint64_t events,
    uint64_t rejected)
{
	_progress(arg, lines, events, rejected);
}

/* Reads the whole log. CLI_OK, or an exit code (message printed). */
static int _read_log(struct _rp *x)
{
	const struct _opts *o = x->o;
	int rc = lr_read(&x->log, o->input, &o->rd);
	if (rc == -E2BIG)
		fprintf(stderr,
		    _NAME
		    ": %s has more than %llu events: refused (each needs 144 bytes until it is applied); raise --max-events if memory allows\n",
		    o->input, o->rd.max_events);
	return rc ? CLI_USAGE : CLI_OK;
}

/* --- region ----------------------------------------------------------- */

/* Lines of a file (to size the catalog); 0 when it cannot be read. */
static size_t _count_lines(const char *path)
{
	FILE *f;
	if (!path || access(path, R_OK) || lr_open(&f, path, _NAME, NULL))
		return 0;
	char buf[1 << 16];
	size_t n = 0, k;
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
		for (char *p = buf;
		     (p = memchr(p, '\n', (size_t)(buf + k - p))); p++)
			n++;
	fclose(f);
	return n + 1;
}

static unsigned _clampu(size_t v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : (unsigned)v;
}

/* The settings given (--config, flags), with the geometry a replay needs:
 * one shard, one producer, tables sized for this input. */
static void _config(const struct _rp *x, struct cfg *c)
{
	const struct _opts *o = x->o;
	*c = o->settings; /* every learner and input setting as given */
	c->shards = 1;
	c->producer_slots = 2;
	c->acceptor_slots = 0;
	c->profiles_per_shard =
	    o->users ? o->users : _clampu(x->log.users.n + 16, 1024, 16777216);
	size_t items = _count_lines(o->catalog) + _count_lines(o->catalog_csv);
	size_t tags = _count_lines(o->tags_csv);
	c->catalog_capacity = _clampu(items + 16, 16, 4194304);
	c->names_capacity =
	    _clampu(9 * items + tags + 64, c->names_capacity, 4194304);
}

/*
 * Creates the private region, attaches a libpenchant handle to it, and
 * removes its name at once: from here on it dies with the process.
 */
static int _open_region(struct _rp *x, const struct cfg *c)
{
	char err[512];
	snprintf(x->instance, sizeof(x->instance), "replay-%d", (int)getpid());
	/* replace: a region of this name was left by a killed replay that
	 * had our pid. history: a log reaches back before the window. */
	struct boot_options bo = { .replace = true, .history = true };
	int rc =
	    boot_create(&x->r, x->instance, c, NULL, &bo, err, sizeof(err));
	if (rc) {
		fprintf(stderr, _NAME ": %s\n", err);
		return rc;
	}
	rc = pen_open(x->instance, &x->p, err, sizeof(err));
	reg_unlink(x->instance);
	if (rc) {
		fprintf(stderr, _NAME ": %s\n",
		    err[0] ? err : pen_strerror(rc));
		return rc;
	}
	return 0;
}

/* --- catalog ---------------------------------------------------------- */

static int _name(const struct reg *r, enum name_kind kind, const char *s,
    size_t len)
{
	int rc = cat_name_put(r, kind, evt_tag_id(s, len), s, len);
	return rc == -EEXIST ? 0 : rc;
}

static bool _has_tag(const struct lrn_item *it, uint32_t id)
{
	for (unsigned i = 0; i < it->n_tags; i++)
		if (it->tags[i] == id)
			return true;
	return false;
}

/* Splits a tag list into the item; names go to the name table. */
static int _split_tags(const struct reg *r, struct evt_str s, char sep,
    struct cat_item *it, struct evt_str *first)
{
	if (!s.len)
		return 0;
	const char *p = s.p, *e = s.p + s.len;
	while (p < e) {
		const char *q = memchr(p, sep, (size_t)(e - p));
		if (!q)
			q = e;
		const char *a = p, *b = q;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		uint32_t id = a < b ? evt_tag_id(a, (size_t)(b - a)) : 0;
		if (id && !_has_tag(&it->item, id) &&
		    it->item.n_tags < LRN_ITEM_TAGS) {
			if (!first->len)
				*first = (struct evt_str){ a, (size_t)(b - a) };
			it->item.tags[it->item.n_tags++] = id;
			int rc = _name(r, NAME_TAG, a, (size_t)(b - a));
			if (rc)
				return rc;
		}
		p = q + 1;
	}
	return 0;
}

/* One catalog CSV row into the catalog. 0, -EINVAL (err), -ENOSPC. */
static int _cat_row(const struct _rp *x, const struct lr_csv *c, char *err,
    size_t errlen)
{
	const struct reg *r = &x->r;
	struct evt_str id = lr_csv_cell(c, C_ID), first = { NULL, 0 };
	struct cat_item it;
	memset(&it, 0, sizeof(it));
	it.price_level = 255;
	if (!id.len) {
		snprintf(err, errlen, "column %s: empty id",
		    lr_csv_column_name(c, lr_csv_column(c, C_ID)));
		return -EINVAL;
	}
	int rc =
	    _split_tags(r, lr_csv_cell(c, C_TAGS), x->o->tag_sep, &it, &first);
	struct evt_str cat = lr_csv_cell(c, C_CATEGORY);
	if (!cat.len)
		cat = first;
	if (!rc && cat.len) {
		it.item.category = evt_tag_id(cat.p, cat.len);
		rc = _name(r, NAME_CATEGORY, cat.p, cat.len);
	}
	struct evt_str la = lr_csv_cell(c, C_LAT), lo = lr_csv_cell(c, C_LON);
	double lat, lon;
	if (!rc && (la.len || lo.len) &&
	    (lr_number(la.p, la.len, &lat) || lr_number(lo.p, lo.len, &lon) ||
		geo_encode(lat, lon, r->hdr->limits.geo_precision,
		    &it.geo_cell))) {
		snprintf(err, errlen, "lat/lon: not a valid location");
		return -EINVAL;
	}
	if (!rc)
		rc = cat_put(r, evt_entity_key(id.p, id.len), &it);
	if (rc == -ENOSPC)
		snprintf(err, errlen, "catalog or name table full");
	return rc;
}

/* One user tag row: appended to its item when there is room. */
static int _tag_row(struct _rp *x, const struct lr_csv *c)
{
	struct evt_str id = lr_csv_cell(c, T_ENTITY),
		       tag = lr_csv_cell(c, T_TAG);
	struct cat_item it;
	uint64_t key = id.len ? evt_entity_key(id.p, id.len) : 0;
	uint32_t tid = tag.len ? evt_tag_id(tag.p, tag.len) : 0;
	if (!key || !tid)
		return 0;
	if (cat_get(&x->r, key, &it)) {
		x->tags_unknown++;
		return 0;
	}
	if (_has_tag(&it.item, tid))
		return 0;
	if (it.item.n_tags >= LRN_ITEM_TAGS) {
		x->tags_full++;
		return 0;
	}
	it.item.tags[it.item.n_tags++] = tid;
	int rc = _name(&x->r, NAME_TAG, tag.p, tag.len);
	if (!rc)
		rc = cat_put(&x->r, key, &it);
	if (!rc)
		x->tags_added++;
	return rc;
}

enum _csv_kind { _CATALOG, _TAGS };

/* A catalog or tags CSV file, row by row. CLI_OK or an exit code. */
static int _load_csv(struct _rp *x, const char *path, enum _csv_kind kind)
{
	FILE *f;
	if (lr_open(&f, path, _NAME, NULL))
		return CLI_USAGE;
	struct lr_csv c;
	const struct lr_map *m = kind == _CATALOG ? &x->o->cmap : &x->o->tmap;
	char err[300];
	int rc = lr_csv_open(&c, f, path, m, NULL) ? CLI_USAGE : CLI_OK;
	/* Required columns (the id; for tags the tag too), named or not. */
	for (unsigned k = 0; rc == CLI_OK && k < (kind == _TAGS ? 2u : 1u); k++)
		if (lr_csv_column(&c, k) < 0) {
			fprintf(stderr, "%s:1: no column '%s' in the header\n",
			    path, m->col[k] ? m->col[k] : m->fields[k]);
			rc = CLI_USAGE;
		}
	while (rc == CLI_OK) {
		int k = lr_csv_next(&c, err, sizeof(err));
		if (k == 0)
			break;
		if (k > 0)
			k = kind == _CATALOG ? _cat_row(x, &c, err, sizeof(err))
					     : _tag_row(x, &c);
		if (k == -ENOSPC && kind == _TAGS)
			snprintf(err, sizeof(err), "name table full");
		if (k == -ENOMEM) {
			rc = CLI_USAGE;
		} else if (k < 0) {
			fprintf(stderr, "%s:%zu: %s\n", path, c.recline, err);
			x->cat_rejected++;
			if (k == -ENOSPC)
				rc = CLI_USAGE;
		} else if (kind == _CATALOG) {
			x->cat_loaded++;
		}
	}
	lr_csv_free(&c);
	return lr_close(f, path, _NAME, NULL) ? CLI_USAGE : rc;
}

static int _load_json_catalog(struct _rp *x, const char *path)
{
	FILE *f;
	if (lr_open(&f, path, _NAME, NULL))
		return CLI_USAGE;
	unsigned loaded = 0, failed = 0;
	int rc = cli_catalog_load_stream(&x->r, f, path, &loaded, &failed);
	x->cat_loaded += loaded;
	x->cat_rejected += failed;
	return lr_close(f, path, _NAME, NULL) == 0 && rc == 0 ? CLI_OK
							      : CLI_USAGE;
}

static int _load_catalog(struct _rp *x)
{
	const struct _opts *o = x->o;
	char err[256];
	if (!o->catalog && !o->catalog_csv && !o->tags_csv)
		return CLI_OK;
	if (cat_lock(&x->r, err, sizeof(err))) {
		fprintf(stderr, _NAME ": %s\n", err);
		return CLI_USAGE;
	}
	int rc = CLI_OK;
	if (o->catalog)
		rc = _load_json_catalog(x, o->catalog);
	if (rc == CLI_OK && o->catalog_csv)
		rc = _load_csv(x, o->catalog_csv, _CATALOG);
	if (rc == CLI_OK && o->tags_csv)
		rc = _load_csv(x, o->tags_csv, _TAGS);
	cat_unlock(&x->r);
	return rc;
}

/* --- learning --------------------------------------------------------- */

static int _key_cmp(const void *a, const void *b)
{
	const struct _key *p = a, *q = b;
	if (p->t != q->t)
		return p->t < q->t ? -1 : 1;
	return p->i < q->i ? -1 : p->i > q->i;
}

/* Event-time order, input order among equal times. */
static struct _key *_sorted(const struct lr_log *log)
{
	size_t n = log->ev.n;
	struct _key *k = malloc((n ? n : 1) * sizeof(*k));
	if (!k)
		return NULL;
	for (size_t i = 0; i < n; i++)
		k[i] = (struct _key){ lr_event(log, i)->time_ms, i };
	qsort(k, n, sizeof(*k), _key_cmp);
	return k;
}

/* Publishes n records; a full ring is drained by the worker's poll. */
static int _publish(struct _rp *x, const struct evt_record *b, size_t n)
{
	const unsigned depth = x->r.hdr->geo.ring_depth;
	size_t off = 0;
	while (off < n) {
		size_t done = 0;
		int rc = client_publish_records(x->p, b + off, n - off,
		    PEN_NOWAIT, &done);
		off += done;
		if (rc == -EAGAIN)
			shard_poll(&x->r, 0, depth);
		else if (rc)
			return rc;
	}
	return 0;
}

static int _learn(struct _rp *x)
{
	struct _key *k = _sorted(&x->log);
	if (!k) {
		fprintf(stderr, _NAME ": out of memory sorting %zu events\n",
		    x->log.ev.n);
		return CLI_USAGE;
	}
	struct evt_record buf[_BATCH];
	int rc = 0;
	shard_recover(&x->r, 0);
	for (size_t i = 0; i < x->log.ev.n && !rc;) {
		size_t n = 0;
		while (n < _BATCH && i < x->log.ev.n)
			buf[n++] = *lr_event(&x->log, k[i++].i);
		rc = _publish(x, buf, n);
		if ((i & 0xffff) < _BATCH)
			_progress(&x->pg, i, x->log.ev.n, UINT64_MAX);
	}
	while (shard_poll(&x->r, 0, x->r.hdr->geo.ring_depth))
		;
	free(k);
	if (rc) {
		fprintf(stderr, _NAME ": publish: %s\n", pen_strerror(rc));
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* --- output ----------------------------------------------------------- */

static int _write_profiles(const struct _rp *x, const char *path)
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

struct _totals {
	uint64_t profiles;
	double conf_sum;
	struct _tagcount *tags; /* top tag of each profile, counted */
	size_t ntags, cap;
};

static int _tally(struct _totals *t, const struct lrn_profile *lp)
{
	unsigned order[LRN_TAGS];
	if (lrn_top(lp->tags, LRN_TAGS, order) == 0)
		return 0;
	const struct lrn_weight *w = &lp->tags[order[0]];
	for (size_t i = 0; i < t->ntags; i++)
		if (t->tags[i].id == w->id) {
			t->tags[i].users++;
			t->tags[i].weight += w->w;
			return 0;
		}
	if (t->ntags == t->cap) {
		size_t c = t->cap ? t->cap * 2 : 64;
		struct _tagcount *v = realloc(t->tags, c * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->tags = v;
		t->cap = c;
	}
	t->tags[t->ntags++] = (struct _tagcount){ w->id, 1, w->w };
	return 0;
}

static int _tag_cmp(const void *a, const void *b)
{
	const struct _tagcount *p = a, *q = b;
	if (p->users != q->users)
		return p->users > q->users ? -1 : 1;
	return p->id < q->id ? -1 : p->id > q->id;
}

static int _totals(const struct _rp *x, struct _totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < x->log.users.n; i++) {
		struct lrn_profile lp;
		if (prof_read(&x->r, x->log.users.v[i].key, &lp) || !lp.events)
			continue;
		t->profiles++;
		t->conf_sum += lrn_profile_confidence(&lp, &x->r.hdr->params);
		if (_tally(t, &lp))
			return -ENOMEM;
	}
	if (t->ntags)
		qsort(t->tags, t->ntags, sizeof(*t->tags), _tag_cmp);
	return 0;
}

static const uint64_t *_wcounters(const struct _rp *x)
{
	return reg_proc(&x->r, reg_proc_worker(&x->r, 0))->counters;
}

/* Rejections by reason: the reader's and the worker's (table full). */
static uint64_t _rejects(const struct _rp *x, unsigned k)
{
	return x->log.rejected[k] + _wcounters(x)[REG_C_REJECT0 + k];
}

static void _summary_text(const struct _rp *x, const struct _totals *t)
{
	const uint64_t *wc = _wcounters(x);
	printf("users %llu\nevents read %zu\nevents applied %llu\n"
	       "on unknown entities %llu\nrejected lines %llu\n",
	    (unsigned long long)t->profiles, x->log.ev.n,
	    (unsigned long long)wc[REG_C_APPLIED],
	    (unsigned long long)wc[REG_C_UNKNOWN_ENTITY],
	    (unsigned long long)(x->log.rejected_lines + x->cat_rejected));
	for (unsigned k = 0; k < EVT_REASON_COUNT; k++)
		if (_rejects(x, k))
			printf("  %s %llu\n", evt_reason_name(k),
			    (unsigned long long)_rejects(x, k));
	printf(
	    "catalog entities %llu (rejected lines %llu), user tags added %llu, for unknown entities %llu, beyond %d per item %llu\n",
	    (unsigned long long)x->cat_loaded,
	    (unsigned long long)x->cat_rejected,
	    (unsigned long long)x->tags_added,
	    (unsigned long long)x->tags_unknown, LRN_ITEM_TAGS,
	    (unsigned long long)x->tags_full);
	printf("top tags (users whose strongest interest it is):\n");
	for (size_t i = 0; i < t->ntags && i < _TOP_TAGS; i++) {
		char name[32];
		cat_name_get(&x->r, t->tags[i].id, name, sizeof(name));
		printf("  %-26s %u\n", name, t->tags[i].users);
	}
	printf("mean profile confidence %.4f\n",
	    t->profiles ? t->conf_sum / (double)t->profiles : 0.0);
}

static void _summary_json(const struct _rp *x, const struct _totals *t)
{
	const uint64_t *wc = _wcounters(x);
	printf(
	    "{\"users\":%llu,\"events_read\":%zu,\"events_applied\":%llu,\"unknown_entity\":%llu,\"rejected_lines\":%llu,\"rejected\":{",
	    (unsigned long long)t->profiles, x->log.ev.n,
	    (unsigned long long)wc[REG_C_APPLIED],
	    (unsigned long long)wc[REG_C_UNKNOWN_ENTITY],
	    (unsigned long long)(x->log.rejected_lines + x->cat_rejected));
	for (unsigned k = 0, n = 0; k < EVT_REASON_COUNT; k++)
		if (_rejects(x, k))
			printf("%s\"%s\":%llu", n++ ? "," : "",
			    evt_reason_name(k),
			    (unsigned long long)_rejects(x, k));
	printf(
	    "},\"catalog\":%llu,\"catalog_rejected\":%llu,\"tags_added\":%llu,\"tags_unknown_entity\":%llu,\"tags_over_limit\":%llu,\"top_tags\":[",
	    (unsigned long long)x->cat_loaded,
	    (unsigned long long)x->cat_rejected,
	    (unsigned long long)x->tags_added,
	    (unsigned long long)x->tags_unknown,
	    (unsigned long long)x->tags_full);
	for (size_t i = 0; i < t->ntags && i < _TOP_TAGS; i++) {
		char name[32];
		cat_name_get(&x->r, t->tags[i].id, name, sizeof(name));
		printf("%s{\"tag\":", i ? "," : "");
		client_json_fstr(stdout, name);
		printf(",\"users\":%u}", t->tags[i].users);
	}
	printf("],\"mean_confidence\":%.4f}\n",
	    t->profiles ? t->conf_sum / (double)t->profiles : 0.0);
}

static int _summary(const struct _rp *x)
{
	struct _totals t;
	int rc = _totals(x, &t);
	if (rc == 0) {
		if (x->o->json)
			_summary_json(x, &t);
		else
			_summary_text(x, &t);
	}
	free(t.tags);
	if (rc)
		fprintf(stderr, _NAME ": out of memory\n");
	return rc ? CLI_USAGE : CLI_OK;
}

/* --- command line ----------------------------------------------------- */

/* "--name VALUE" or "--name=VALUE": 1 matched, 0 not, -1 value missing. */
static int _opt(int argc, char **argv, int *i, const char *name,
    const char **val)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n))
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n])
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static void _opts_init(struct _opts *o, const struct cli *c)
{
	memset(o, 0, sizeof(*o));
	o->json = c->json;
	o->tag_sep = '|';
	lr_options_init(&o->rd);
	o->rd.prog = _NAME;
	lr_map_init(&o->cmap, _cat_fields, C_COUNT);
	lr_map_init(&o->tmap, _tag_fields, T_COUNT);
	cfg_defaults(&o->settings);
}

static void _opts_free(struct _opts *o)
{
	lr_options_free(&o->rd);
	lr_map_free(&o->cmap);
	lr_map_free(&o->tmap);
	free(o->set_argv);
}

/* A column map flag ("F=COL,..."). CLI_OK or CLI_USAGE (printed). */
static int _map_opt(struct lr_map *m, const char *v, const char *name)
{
	return lr_map_parse(m, v, _NAME, name, NULL) ? CLI_USAGE : CLI_OK;
}

/* An option with a value. CLI_OK, CLI_USAGE, or -1: not such an option. */
static int _opt_value(struct _opts *o, const char *name, const char *v)
{
	struct lr_options *rd = &o->rd;
	unsigned long long u;
	if (!strcmp(name, "--out"))
		o->out = v;
	else if (!strcmp(name, "--catalog"))
		o->catalog = v;
	else if (!strcmp(name, "--catalog-csv"))
		o->catalog_csv = v;
	else if (!strcmp(name, "--tags-csv"))
		o->tags_csv = v;
	else if (!strcmp(name, "--type"))
		rd->type = v;
	else if (!strcmp(name, "--map"))
		return _map_opt(&rd->map, v, name);
	else if (!strcmp(name, "--catalog-map"))
		return _map_opt(&o->cmap, v, name);
	else if (!strcmp(name, "--tags-map"))
		return _map_opt(&o->tmap, v, name);
	else if (!strcmp(name, "--rating"))
		return lr_map_set(&rd->map, LR_F_RATING, v) ? CLI_USAGE
							    : CLI_OK;
	else if (!strcmp(name, "--tag-sep"))
		return strlen(v) == 1
		    ? (o->tag_sep = v[0], CLI_OK)
		    : _usage_err("--tag-sep: '%s' is not one character", v);
	else if (!strcmp(name, "--time-unit"))
		return !strcmp(v, "s") ? (rd->unit = LR_UNIT_S, CLI_OK)
		    : !strcmp(v, "ms") ? (rd->unit = LR_UNIT_MS, CLI_OK)
		    : !strcmp(v, "auto")
		    ? (rd->unit = LR_UNIT_AUTO, CLI_OK)
		    : _usage_err("--time-unit: '%s' is not s, ms or auto", v);
	else if (!strcmp(name, "--rating-pos"))
		return lr_number(v, strlen(v), &rd->rating_pos)
		    ? _usage_err("--rating-pos: '%s' is not a number", v)
		    : CLI_OK;
	else if (!strcmp(name, "--rating-neg"))
		return lr_number(v, strlen(v), &rd->rating_neg)
		    ? _usage_err("--rating-neg: '%s' is not a number", v)
		    : CLI_OK;
	else if (!strcmp(name, "--max-events"))
		return _u64(v, 1, 1ULL << 32, &rd->max_events)
		    ? _usage_err("--max-events: '%s' is not 1..2^32", v)
		    : CLI_OK;
	else if (!strcmp(name, "--users"))
		return _u64(v, 1024, 16777216, &u)
		    ? _usage_err("--users: '%s' is not 1024..16777216", v)
		    : (o->users = (unsigned)u, CLI_OK);
	else
		return -1;
	return CLI_OK;
}

static const char *const _valued[] = { "--out", "--catalog", "--catalog-csv",
	"--tags-csv", "--type", "--map", "--catalog-map", "--tags-map",
	"--rating", "--tag-sep", "--time-unit", "--rating-pos", "--rating-neg",
	"--max-events", "--users" };

static int _flag(struct _opts *o, const char *a)
{
	if (!strcmp(a, "--csv"))
		o->rd.csv = true;
	else if (!strcmp(a, "--summary"))
		o->summary = true;
	else if (!strcmp(a, "--quiet"))
		o->quiet = true;
	else if (!strcmp(a, "--json"))
		o->json = true;
	else if (a[0] == '-' && a[1])
		return _usage_err(
		    "unknown option '%s' (settings are long options too: docs/SETTINGS.md)",
		    a);
	else if (!o->input)
		o->input = a;
	else
		return _usage_err("one input FILE only ('%s' is extra)", a);
	return CLI_OK;
}

/*
 * A setting given on the command line: --config FILE, --name=value,
 * --name value, --name or --no-name for booleans. Collected in order for
 * cfg_parse_args, which applies them exactly as penchantd does. Returns 1
 * when argv[*i] was one (and *i moved past its value), 0 when it is not a
 * setting, or an exit code.
 */
static int _setting(struct _opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	char name[128];
	bool is_bool = false;
	if (strncmp(a, "--", 2) || !a[2])
		return 0;
	const char *eq = strchr(a + 2, '=');
	size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
	if (len >= sizeof(name))
		return 0;
	memcpy(name, a + 2, len);
	name[len] = 0;
	bool config = !strcmp(name, "config");
	if (!config && cfg_lookup(name, &is_bool) &&
	    (strncmp(name, "no-", 3) || cfg_lookup(name + 3, &is_bool) ||
		!is_bool))
		return 0;
	bool takes_next = !eq && (config || !is_bool);
	if (takes_next && *i + 1 >= argc)
		return _usage_err("%s needs a value", a);
	char **grown =
	    realloc(o->set_argv, (size_t)(o->set_argc + 3) * sizeof(*grown));
	if (!grown)
		return _usage_err("out of memory%s", "");
	o->set_argv = grown;
	if (!o->set_argc)
		o->set_argv[o->set_argc++] = (char *)_NAME;
	o->set_argv[o->set_argc++] = argv[*i];
	if (takes_next)
		o->set_argv[o->set_argc++] = argv[++*i];
	return 1;
}

/* Applies the collected settings (and checks them) as penchantd would. */
static int _apply_settings(struct _opts *o)
{
	char err[CFG_ERR_MAX];
	if (o->set_argc &&
	    cfg_parse_args(&o->settings, o->set_argc, o->set_argv, NULL, err,
		sizeof(err)) < 0) {
		fprintf(stderr, _NAME ": %s\n", err);
		return CLI_USAGE;
	}
	if (cfg_check(&o->settings, err, sizeof(err)) < 0) {
		fprintf(stderr, _NAME ": %s\n", err);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int _parse(struct _opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		int m = 0;
		size_t k = 0;
		for (; k < sizeof(_valued) / sizeof(_valued[0]); k++)
			if ((m = _opt(argc, argv, &i, _valued[k], &v)))
				break;
		if (m < 0)
			return _usage_err("%s needs a value", _valued[k]);
		int rc = 0;
		if (m)
			rc = _opt_value(o, _valued[k], v);
		else if ((rc = _setting(o, argc, argv, &i)) == 1)
			rc = 0;
		else if (rc == 0)
			rc = _flag(o, argv[i]);
		if (rc)
			return rc;
	}
	int rs = _apply_settings(o);
	if (rs)
		return rs;
	if (!o->input)
		return _usage_err("which FILE?%s", "");
	if (o->rd.rating_neg >= o->rd.rating_pos)
		return _usage_err("--rating-neg must be below --rating-pos%s",
		    "");
	const char *files[] = { o->catalog, o->catalog_csv, o->tags_csv };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i] && access(files[i], R_OK)) {
			fprintf(stderr, _NAME ": cannot open %s: %s\n",
			    files[i], strerror(errno));
			return CLI_USAGE;
		}
	if (!o->out)
		o->summary = true;
	return CLI_OK;
}

/* --- main ------------------------------------------------------------- */

static void _free(struct _rp *x)
{
	if (x->p)
		pen_close(&x->p);
	if (x->r.base)
		reg_detach(&x->r);
	lr_log_free(&x->log);
}

static void _totals_line(const struct _rp *x)
{
	if (x->o->quiet)
		return;
	double learn_s = (double)x->t_learn_ms / 1000;
	fprintf(stderr,
	    _NAME
	    ": %zu events of %llu lines (%llu rejected) into %zu users; read %.2f s, learned %.2f s (%.0f events/s)\n",
	    x->log.ev.n, (unsigned long long)x->log.lines,
	    (unsigned long long)x->log.rejected_lines, x->log.users.n,
	    (double)x->t_read_ms / 1000, learn_s,
	    learn_s > 0 ? (double)x->log.ev.n / learn_s : 0.0);
}

/* Region, catalog, events, output. */
static int _run(struct _rp *x)
{
	int rc = _read_log(x);
	x->t_read_ms = reg_now_mono_ms() - x->pg.start_ms;
	if (rc)
		return rc;
	struct cfg c;
	_config(x, &c);
	if (_open_region(x, &c))
		return CLI_USAGE;
	if ((rc = _load_catalog(x)))
		return rc;
	x->r.hdr->state = REG_RUNNING;
	int64_t t0 = reg_now_mono_ms();
	if ((rc = _learn(x)))
		return rc;
	x->t_learn_ms = reg_now_mono_ms() - t0;
	_totals_line(x);
	if (x->o->out && (rc = _write_profiles(x, x->o->out)))
		return rc;
	if (x->o->summary && (rc = _summary(x)))
		return rc;
	return x->log.rejected_lines || x->cat_rejected ||
		_wcounters(x)[REG_C_REJECT0 + EVT_R_TABLE_FULL]
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
	struct _opts o;
	_opts_init(&o, c);
	int rc = _parse(&o, argc, argv);
	if (rc) {
		_opts_free(&o);
		return rc;
	}
	struct _rp x = { .o = &o };
	x.pg.start_ms = x.pg.last_ms = reg_now_mono_ms();
	x.pg.quiet = o.quiet;
	/* The reader runs before the region exists (it sizes it): the limits
	 * boot_create() will store there. */
	struct reg_header h = { 0 };
	struct boot_options bo = { .history = true };
	boot_params(&o.settings, &bo, &h);
	o.rd.lim = h.limits;
	o.rd.progress = _read_progress;
	o.rd.progress_arg = &x.pg;
	rc = _run(&x);
	_free(&x);
	_opts_free(&o);
	return rc;
}
