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
 * Memory: every accepted event is held as its 128-byte ring record plus a
 * 16-byte sort key (time, input order) until the sort; --max-events bounds
 * that.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/geo.h"
#include "ipc/client.h"
#include "ipc/json.h"
#include "shm/catalog.h"
#include "shm/profiles.h"
#include "tools/cli.h"
#include "shm/boot.h"
#include "shm/shard.h"

#define _NAME "penchant replay"
#define _BATCH 256     /* records per publish call */
#define _CHUNK_BITS 16 /* records per storage chunk: 64 Ki */
#define _CSV_COLS 256
#define _CSV_MAX_RECORD (1u << 20) /* a quoted field may span lines, so far */
#define _JSON_TOKS 256
#define _TOP_TAGS 10
#define _DEFAULT_MAX_EVENTS 50000000ULL

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
    "  --time-unit s|ms|auto  numeric CSV times (default auto: integral "
    "values\n"
    "                         >= 1e11 are ms, others seconds); RFC 3339 "
    "strings\n"
    "                         are always accepted\n"
    "  --type TYPE            event type of CSV rows without an event_type\n"
    "  --rating COL           explicit ratings: rating >= --rating-pos (4) is "
    "a\n"
    "                         positive feedback, <= --rating-neg (2.5) a "
    "negative\n"
    "                         one, anything between a view (a weak positive).\n"
    "                         A rating overrides event_type; an empty rating\n"
    "                         cell falls back to it.\n"
    "  --rating-pos X, --rating-neg X\n"
    "Catalog (optional; events on unknown entities still count, learn no "
    "tags):\n"
    "  --catalog FILE         JSON lines, as `penchant catalog load`\n"
    "  --catalog-csv FILE     CSV; --catalog-map "
    "id=COL,tags=COL,category=COL,\n"
    "                         lat=COL,lon=COL (default: same names); tags are\n"
    "                         split on --tag-sep (default '|'); the category "
    "is\n"
    "                         the first tag unless mapped\n"
    "  --tags-csv FILE        user-assigned tags added to catalog items, in "
    "file\n"
    "                         order, up to 8 tags per item; --tags-map\n"
    "                         entity_id=COL,tag=COL (default: same names).\n"
    "                         Rows for entities not in the catalog are "
    "counted,\n"
    "                         not rejected.\n"
    "Output:\n"
    "  --out FILE             one JSON profile per line ('-' stdout), the "
    "shape\n"
    "                         of `penchant profile --json`, users in order of\n"
    "                         first appearance; engagement is as of the last\n"
    "                         event of the log, not the wall clock\n"
    "  --summary              users, events, rejects by reason, top tags, "
    "mean\n"
    "                         confidence (the default without --out; --json\n"
    "                         before the command prints it as JSON)\n"
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

enum _field {
	F_USER = 0,
	F_ENTITY,
	F_TYPE,
	F_TIME,
	F_SESSION,
	F_ENTITY_TYPE,
	F_DEVICE,
	F_PLATFORM,
	F_WEATHER,
	F_SOCIAL,
	F_REC_TYPE,
	F_POSITION,
	F_DWELL,
	F_SCROLL,
	F_FEEDBACK,
	F_QUERY,
	F_TZ,
	F_LAT,
	F_LON,
	F_RATING,
	F_COUNT
};
static const char *const _event_fields[F_COUNT] = { "user_id", "entity_id",
	"event_type", "timestamp", "session_id", "entity_type", "device",
	"platform", "weather", "social", "rec_type", "position", "dwell_ms",
	"scroll_depth", "feedback", "query", "tz_offset", "lat", "lon",
	"rating" };

enum _cfield { C_ID = 0, C_TAGS, C_CATEGORY, C_LAT, C_LON, C_COUNT };
static const char *const _cat_fields[C_COUNT] = { "id", "tags", "category",
	"lat", "lon" };

enum _tfield { T_ENTITY = 0, T_TAG, T_COUNT };
static const char *const _tag_fields[T_COUNT] = { "entity_id", "tag" };

#define _MAX_FIELDS F_COUNT

/* Field -> column name, then -> column index once the header is read. */
struct _map {
	const char *const *fields;
	unsigned n;
	const char *col[_MAX_FIELDS]; /* NULL: the field's own name */
	bool explicit_[_MAX_FIELDS];  /* given by the user: must exist */
	int idx[_MAX_FIELDS];	      /* -1: absent */
	char *own[_MAX_FIELDS];	      /* owned copies col[] may point to */
};

enum _unit { U_AUTO = 0, U_S, U_MS };

struct _opts {
	const char *input, *out, *catalog, *catalog_csv, *tags_csv, *type;
	bool csv, summary, quiet, json;
	enum _unit unit;
	double rating_pos, rating_neg;
	char tag_sep;
	unsigned long long max_events;
	unsigned users;
	struct _map emap, cmap, tmap;
};

/* --- state ------------------------------------------------------------ */

struct _user {
	uint64_t key;
	uint32_t off, len; /* id text in the arena */
};

/* Users by key, in order of first appearance (open addressing). */
struct _users {
	uint32_t *slots; /* index + 1; 0 free */
	uint32_t cap;	 /* power of two */
	struct _user *v;
	size_t n, vcap;
	char *arena;
	size_t alen, acap;
};

struct _key {
	int64_t t;
	uint64_t i; /* input order: the sort is stable through it */
};

/* Accepted records in 64 Ki chunks: no huge reallocations. */
struct _events {
	struct evt_record **chunk;
	size_t nchunks, cap;
	size_t n;
};

struct _progress {
	int64_t start_ms, last_ms;
	bool quiet;
};

struct _rp {
	const struct _opts *o;
	struct _users users;
	struct _events ev;
	struct evt_limits lim;
	uint64_t lines, rejected_lines;
	uint64_t rejected[EVT_REASON_COUNT];
	uint64_t cat_loaded, cat_rejected, tags_added, tags_unknown, tags_full;
	int64_t t_last;
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

/* A number that fills the whole slice, finite. 0 or -EINVAL. */
static int _num(const char *p, size_t len, double *out)
{
	char buf[64];
	while (len && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, p, len);
	buf[len] = 0;
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	if (*end || errno || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
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
		    _NAME ": read %llu lines, %llu events, %llu "
			  "rejected (%.1f s)\n",
		    (unsigned long long)a, (unsigned long long)b,
		    (unsigned long long)c, s);
}

/* --- gzip-transparent input -------------------------------------------- */

static ssize_t _gz_read(void *cookie, char *buf, size_t n)
{
	int k =
	    gzread((gzFile)cookie, buf, n > INT_MAX ? INT_MAX : (unsigned)n);
	return k < 0 ? -1 : k;
}

/* A gzip stream cut short reports Z_BUF_ERROR at close. */
static int _gz_close(void *cookie)
{
	return gzclose_r((gzFile)cookie) == Z_OK ? 0 : -1;
}

/*
 * Opens path ('-' = stdin) for reading; gzip data (by its magic, whatever
 * the name) is inflated, anything else passes through. NULL with a message.
 */
static FILE *_open_in(const char *path)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC)
				   : dup(STDIN_FILENO);
	if (fd < 0) {
		fprintf(stderr, _NAME ": cannot open %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	gzFile g = gzdopen(fd, "rb");
	if (!g) {
		close(fd);
		fprintf(stderr, _NAME ": cannot read %s: out of memory\n",
		    path);
		return NULL;
	}
	gzbuffer(g, 1u << 17);
	cookie_io_functions_t io = { .read = _gz_read, .close = _gz_close };
	FILE *f = fopencookie(g, "r", io);
	if (!f) {
		gzclose_r(g);
		fprintf(stderr, _NAME ": cannot read %s: %s\n", path,
		    strerror(errno));
	}
	return f;
}

/* Closes an input; false (with a message) when it ended badly. */
static bool _close_in(FILE *f, const char *path)
{
	bool bad = ferror(f);
	if (fclose(f))
		bad = true;
	if (bad)
		fprintf(stderr,
		    _NAME ": %s: read error (truncated or corrupt "
			  "gzip data?)\n",
		    path);
	return !bad;
}

/* --- CSV (RFC 4180) --------------------------------------------------- */

struct _csv {
	FILE *f;
	const char *name;
	char *line; /* getline buffer */
	size_t lcap;
	char *rec; /* one record: physical lines joined by '\n' */
	size_t rlen, rcap;
	char *buf; /* unescaped field text, NUL after each */
	size_t bcap;
	unsigned n; /* fields of the current record */
	const char *fld[_CSV_COLS];
	size_t flen[_CSV_COLS];
	char *head; /* header names, kept for messages */
	const char *hname[_CSV_COLS];
	unsigned ncols;
	size_t lineno;	/* physical lines read */
	size_t recline; /* line the current record starts on */
};

static int _grow(char **p, size_t *cap, size_t need)
{
	if (*cap >= need)
		return 0;
	size_t c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	char *q = realloc(*p, c);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/*
 * Splits c->rec into fields. Returns 0, 1 when the record ends inside a
 * quoted field (more lines needed), or -EINVAL with err set.
 */
static int _csv_split(struct _csv *c, char *err, size_t errlen)
{
	const char *s = c->rec, *e = c->rec + c->rlen;
	char *o = c->buf;
	c->n = 0;
	for (;;) {
		if (c->n >= _CSV_COLS) {
			snprintf(err, errlen, "more than %d columns",
			    _CSV_COLS);
			return -EINVAL;
		}
		c->fld[c->n] = o;
		if (s < e && *s == '"') {
			for (s++;; s++) {
				if (s >= e)
					return 1;
				if (*s == '"') {
					if (s + 1 < e && s[1] == '"') {
						*o++ = *s++;
						continue;
					}
					s++;
					break;
				}
				*o++ = *s;
			}
			if (s < e && *s != ',') {
				snprintf(err, errlen,
				    "column %u: text after the "
				    "closing quote",
				    c->n + 1);
				return -EINVAL;
			}
		} else {
			for (; s < e && *s != ','; s++) {
				if (*s == '"') {
					snprintf(err, errlen,
					    "column %u: quote "
					    "inside an unquoted field (quote "
					    "the "
					    "field, double the quote)",
					    c->n + 1);
					return -EINVAL;
				}
				*o++ = *s;
			}
		}
		c->flen[c->n] = (size_t)(o - c->fld[c->n]);
		*o++ = 0;
		c->n++;
		if (s >= e)
			return 0;
		s++; /* the comma */
	}
}

/* Appends the next physical line to the record. 0, 1 at EOF, -ENOMEM. */
static int _csv_line(struct _csv *c)
{
	ssize_t n = getline(&c->line, &c->lcap, c->f);
	if (n < 0)
		return 1;
	c->lineno++;
	while (n > 0 && (c->line[n - 1] == '\n' || c->line[n - 1] == '\r'))
		n--;
	size_t sep = c->rlen ? 1 : 0;
	if (_grow(&c->rec, &c->rcap, c->rlen + sep + (size_t)n + 1))
		return -ENOMEM;
	if (sep)
		c->rec[c->rlen++] = '\n';
	memcpy(c->rec + c->rlen, c->line, (size_t)n);
	c->rlen += (size_t)n;
	c->rec[c->rlen] = 0;
	return 0;
}

/*
 * Reads the next non-blank record. 1 read, 0 end of input, -EINVAL (err
 * set; the record is skipped), -ENOMEM.
 */
static int _csv_next(struct _csv *c, char *err, size_t errlen)
{
	for (;;) {
		c->rlen = 0;
		int rc = _csv_line(c);
		if (rc)
			return rc > 0 ? 0 : rc;
		c->recline = c->lineno;
		if (c->rlen == 0)
			continue;
		for (;;) {
			if (_grow(&c->buf, &c->bcap, c->rlen + _CSV_COLS + 1))
				return -ENOMEM;
			rc = _csv_split(c, err, errlen);
			if (rc <= 0)
				break;
			if (c->rlen > _CSV_MAX_RECORD || (rc = _csv_line(c))) {
				if (rc < 0)
					return rc;
				snprintf(err, errlen,
				    "column %u: quoted field "
				    "not closed",
				    c->n + 1);
				return -EINVAL;
			}
		}
		if (rc == 0 && c->ncols && c->n != c->ncols) {
			snprintf(err, errlen, "%u fields, the header has %u",
			    c->n, c->ncols);
			return -EINVAL;
		}
		return rc == 0 ? 1 : rc;
	}
}

static int _csv_find(const struct _csv *c, const char *name)
{
	for (unsigned i = 0; i < c->ncols; i++)
		if (!strcmp(c->hname[i], name))
			return (int)i;
	return -1;
}

/* Reads the header and resolves the map. CLI_OK or CLI_USAGE (printed). */
static int _csv_header(struct _csv *c, struct _map *m)
{
	char err[256];
	int rc = _csv_next(c, err, sizeof(err));
	if (rc <= 0) {
		fprintf(stderr, "%s:%zu: %s\n", c->name,
		    c->lineno ? c->lineno : 1,
		    rc == 0 ? "empty: a header row is required" : err);
		return CLI_USAGE;
	}
	size_t len = 0;
	for (unsigned i = 0; i < c->n; i++)
		len += c->flen[i] + 1;
	if (!(c->head = malloc(len + 1)))
		return CLI_USAGE;
	char *o = c->head;
	for (unsigned i = 0; i < c->n; i++) {
		const char *s = c->fld[i];
		if (i == 0 && !strncmp(s, "\xEF\xBB\xBF", 3))
			s += 3; /* a UTF-8 byte order mark */
		c->hname[i] = o;
		o = stpcpy(o, s) + 1;
	}
	c->ncols = c->n;
	for (unsigned k = 0; k < m->n; k++) {
		const char *want = m->col[k] ? m->col[k] : m->fields[k];
		m->idx[k] = _csv_find(c, want);
		if (m->idx[k] < 0 && m->explicit_[k]) {
			fprintf(stderr,
			    "%s:%zu: no column '%s' (for %s) in the "
			    "header\n",
			    c->name, c->recline, want, m->fields[k]);
			return CLI_USAGE;
		}
	}
	return CLI_OK;
}

static void _csv_free(struct _csv *c)
{
	free(c->line);
	free(c->rec);
	free(c->buf);
	free(c->head);
}

static const char *_csv_col(const struct _csv *c, unsigned i)
{
	return i < c->ncols ? c->hname[i] : "?";
}

/* The cell of map field k, or {NULL, 0} when unmapped or empty. */
static struct evt_str _cell(const struct _csv *c, const struct _map *m,
    unsigned k)
{
	int i = m->idx[k];
	if (i < 0 || c->flen[i] == 0)
		return (struct evt_str){ NULL, 0 };
	return (struct evt_str){ c->fld[i], c->flen[i] };
}

/* --- users ------------------------------------------------------------ */

static int _users_grow(struct _users *u)
{
	uint32_t cap = u->cap ? u->cap * 2 : 1024;
	uint32_t *s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < u->n; i++) {
		uint32_t h = (uint32_t)u->v[i].key & (cap - 1);
		while (s[h])
			h = (h + 1) & (cap - 1);
		s[h] = (uint32_t)i + 1;
	}
	free(u->slots);
	u->slots = s;
	u->cap = cap;
	return 0;
}

/* Remembers the id text of a user key (first appearance order). */
static int _users_add(struct _users *u, uint64_t key, const char *id,
    size_t len)
{
	if ((u->n + 1) * 2 > u->cap && _users_grow(u))
		return -ENOMEM;
	uint32_t h = (uint32_t)key & (u->cap - 1);
	for (; u->slots[h]; h = (h + 1) & (u->cap - 1))
		if (u->v[u->slots[h] - 1].key == key)
			return 0;
	if (u->n == u->vcap) {
		size_t c = u->vcap ? u->vcap * 2 : 1024;
		struct _user *v = realloc(u->v, c * sizeof(*v));
		if (!v)
			return -ENOMEM;
		u->v = v;
		u->vcap = c;
	}
	if (_grow(&u->arena, &u->acap, u->alen + len + 1))
		return -ENOMEM;
	memcpy(u->arena + u->alen, id, len);
	u->arena[u->alen + len] = 0;
	u->v[u->n] = (struct _user){ key, (uint32_t)u->alen, (uint32_t)len };
	u->alen += len + 1;
	u->slots[h] = (uint32_t)++u->n;
	return 0;
}

static void _users_free(struct _users *u)
{
	free(u->slots);
	free(u->v);
	free(u->arena);
}

/* --- events ----------------------------------------------------------- */

static struct evt_record *_ev_at(const struct _events *ev, size_t i)
{
	return &ev->chunk[i >> _CHUNK_BITS][i & ((1u << _CHUNK_BITS) - 1)];
}

static int _ev_push(struct _events *ev, const struct evt_record *rec)
{
	if ((ev->n >> _CHUNK_BITS) == ev->nchunks) {
		if (ev->nchunks == ev->cap) {
			size_t c = ev->cap ? ev->cap * 2 : 16;
			struct evt_record **v =
			    realloc(ev->chunk, c * sizeof(*v));
			if (!v)
				return -ENOMEM;
			ev->chunk = v;
			ev->cap = c;
		}
		ev->chunk[ev->nchunks] =
		    malloc(sizeof(struct evt_record) << _CHUNK_BITS);
		if (!ev->chunk[ev->nchunks])
			return -ENOMEM;
		ev->nchunks++;
	}
	*_ev_at(ev, ev->n++) = *rec;
	return 0;
}

static void _ev_free(struct _events *ev)
{
	for (size_t i = 0; i < ev->nchunks; i++)
		free(ev->chunk[i]);
	free(ev->chunk);
}

/* --- reading the log -------------------------------------------------- */

static void _reject(struct _rp *x, const char *file, size_t line,
    enum evt_reason why, const char *msg)
{
	x->rejected_lines++;
	if ((unsigned)why < EVT_REASON_COUNT)
		x->rejected[why]++;
	fprintf(stderr, "%s:%zu: %s\n", file, line, msg);
}

/*
 * Validates and keeps one decoded event. 0 (accepted or rejected), -ENOMEM,
 * or -E2BIG past --max-events.
 */
static int _take(struct _rp *x, const struct evt_input *in, const char *file,
    size_t line)
{
	struct evt_record rec;
	const char *field = NULL;
	enum evt_reason why = evt_build(in, &x->lim, &rec, &field);
	if (why != EVT_OK) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s%s%s", evt_reason_name(why),
		    field ? ": " : "", field ? field : "");
		_reject(x, file, line, why, msg);
		return 0;
	}
	if (x->ev.n >= x->o->max_events)
		return -E2BIG;
	if (_users_add(&x->users, rec.user_key, in->user_id.p,
		in->user_id.len) ||
	    _ev_push(&x->ev, &rec))
		return -ENOMEM;
	if (x->ev.n == 1 || rec.time_ms > x->t_last)
		x->t_last = rec.time_ms;
	return 0;
}

static int _read_json(struct _rp *x, FILE *f, const char *file)
{
	struct json_tok toks[_JSON_TOKS];
	char *line = NULL, *scratch = NULL, err[512];
	size_t cap = 0, scap = 0;
	ssize_t n;
	int rc = 0;
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		size_t lineno = ++x->lines;
		if ((lineno & 0xffff) == 0)
			_progress(&x->pg, lineno, x->ev.n, x->rejected_lines);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		size_t k = 0;
		while (k < (size_t)n && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k == (size_t)n)
			continue;
		if ((rc = _grow(&scratch, &scap, (size_t)n + 1)))
			break;
		struct json_work w;
		struct evt_input in;
		json_work_init(&w, toks, _JSON_TOKS, scratch, scap);
		enum evt_reason why = json_event_input(line, (size_t)n, &w, &in,
		    err, sizeof(err));
		if (why != EVT_OK) {
			char msg[600];
			snprintf(msg, sizeof(msg), "%s: %s",
			    evt_reason_name(why), err);
			_reject(x, file, lineno, why, msg);
			continue;
		}
		rc = _take(x, &in, file, lineno);
	}
	free(line);
	free(scratch);
	return rc;
}

/* Numeric time of a CSV cell in ms by --time-unit. false: not a number. */
static bool _csv_time(enum _unit u, struct evt_str s, int64_t *ms)
{
	double v;
	if (_num(s.p, s.len, &v))
		return false;
	bool as_ms =
	    u == U_MS || (u == U_AUTO && fabs(v) >= 1e11 && v == floor(v));
	double m = as_ms ? v : v * 1000;
	if (!(fabs(m) < 9e18))
		m = copysign(9e18, m); /* evt_build: TIME_RANGE */
	*ms = (int64_t)llround(m);
	return true;
}

/* Rating rule: sets type (and sign) from the rating cell. */
static int _csv_rating(const struct _opts *o, struct evt_str r,
    struct evt_input *in)
{
	double v;
	if (_num(r.p, r.len, &v))
		return -EINVAL;
	if (v >= o->rating_pos) {
		in->event_type = (struct evt_str){ "feedback", 8 };
		in->feedback_type = (struct evt_str){ "positive", 8 };
	} else if (v <= o->rating_neg) {
		in->event_type = (struct evt_str){ "feedback", 8 };
		in->feedback_type = (struct evt_str){ "negative", 8 };
	} else {
		in->event_type = (struct evt_str){ "view", 4 };
	}
	return 0;
}

struct _numf {
	enum _field f;
	size_t has_off, val_off;
};
#define _NF(F, HAS, VAL)                                                       \
	{                                                                      \
		F, offsetof(struct evt_input, HAS),                            \
		    offsetof(struct evt_input, VAL)                            \
	}
static const struct _numf _numfs[] = {
	_NF(F_POSITION, has_position, position),
	_NF(F_DWELL, has_dwell, dwell_ms),
	_NF(F_SCROLL, has_scroll, scroll_depth),
	_NF(F_TZ, has_tz, tz_offset_min),
	_NF(F_LAT, has_lat, lat),
	_NF(F_LON, has_lon, lon),
};

/* Numeric cells; a bad one names its field. */
static const char *_csv_numbers(const struct _csv *c, const struct _map *m,
    struct evt_input *in)
{
	for (size_t i = 0; i < sizeof(_numfs) / sizeof(_numfs[0]); i++) {
		struct evt_str s = _cell(c, m, _numfs[i].f);
		if (!s.len)
			continue;
		double v;
		if (_num(s.p, s.len, &v))
			return _event_fields[_numfs[i].f];
		*(bool *)((char *)in + _numfs[i].has_off) = true;
		*(double *)((char *)in + _numfs[i].val_off) = v;
	}
	struct evt_str fb = _cell(c, m, F_FEEDBACK);
	double v;
	if (fb.len && _num(fb.p, fb.len, &v) == 0) {
		in->has_feedback_num = true;
		in->feedback_num = v;
	} else {
		in->feedback_type = fb;
	}
	return NULL;
}

/* One CSV row to an evt_input; NULL, or the field that is not a number. */
static const char *_csv_input(const struct _opts *o, const struct _csv *c,
    const struct _map *m, struct evt_input *in)
{
	memset(in, 0, sizeof(*in));
	in->user_id = _cell(c, m, F_USER);
	in->entity_id = _cell(c, m, F_ENTITY);
	in->event_type = _cell(c, m, F_TYPE);
	if (!in->event_type.len && o->type)
		in->event_type = (struct evt_str){ o->type, strlen(o->type) };
	in->session_id = _cell(c, m, F_SESSION);
	in->entity_type = _cell(c, m, F_ENTITY_TYPE);
	in->device = _cell(c, m, F_DEVICE);
	in->platform = _cell(c, m, F_PLATFORM);
	in->weather = _cell(c, m, F_WEATHER);
	in->social = _cell(c, m, F_SOCIAL);
	in->rec_type = _cell(c, m, F_REC_TYPE);
	in->query = _cell(c, m, F_QUERY);
	const char *bad = _csv_numbers(c, m, in);
	if (bad)
		return bad;
	struct evt_str t = _cell(c, m, F_TIME);
	if (_csv_time(o->unit, t, &in->time_ms))
		in->has_time_ms = true;
	else
		in->timestamp_str = t;
	struct evt_str r = _cell(c, m, F_RATING);
	if (r.len && _csv_rating(o, r, in))
		return _event_fields[F_RATING];
	return NULL;
}

static int _read_csv(struct _rp *x, FILE *f, const char *file)
{
	struct _csv c = { .f = f, .name = file };
	struct _map m = x->o->emap;
	char err[300];
	int rc = _csv_header(&c, &m) ? -EINVAL : 0;
	while (rc == 0) {
		int k = _csv_next(&c, err, sizeof(err));
		x->lines = c.lineno;
		if ((c.lineno & 0xffff) == 0)
			_progress(&x->pg, c.lineno, x->ev.n, x->rejected_lines);
		if (k == 0 || k == -ENOMEM) {
			rc = k;
			break;
		}
		if (k < 0) {
			_reject(x, file, c.recline, EVT_R_MALFORMED, err);
			continue;
		}
		struct evt_input in;
		const char *bad = _csv_input(x->o, &c, &m, &in);
		if (bad) {
			snprintf(err, sizeof(err), "%s: %s",
			    evt_reason_name(EVT_R_BAD_NUMBER), bad);
			_reject(x, file, c.recline, EVT_R_BAD_NUMBER, err);
			continue;
		}
		rc = _take(x, &in, file, c.recline);
	}
	_csv_free(&c);
	return rc;
}

/* Reads the whole log. CLI_OK, or an exit code (message printed). */
static int _read_log(struct _rp *x)
{
	const struct _opts *o = x->o;
	FILE *f = _open_in(o->input);
	if (!f)
		return CLI_USAGE;
	int rc =
	    o->csv ? _read_csv(x, f, o->input) : _read_json(x, f, o->input);
	bool ok = _close_in(f, o->input);
	if (rc == -E2BIG) {
		fprintf(stderr,
		    _NAME ": %s has more than %llu events: refused "
			  "(each needs 144 bytes until it is applied); raise "
			  "--max-events if memory allows\n",
		    o->input, o->max_events);
		return CLI_USAGE;
	}
	if (rc == -ENOMEM) {
		fprintf(stderr, _NAME ": out of memory after %zu events\n",
		    x->ev.n);
		return CLI_USAGE;
	}
	return rc || !ok ? CLI_USAGE : CLI_OK;
}

/* --- region ----------------------------------------------------------- */

/* Lines of a file (to size the catalog); 0 when it cannot be read. */
static size_t _count_lines(const char *path)
{
	FILE *f = path && access(path, R_OK) == 0 ? _open_in(path) : NULL;
	if (!f)
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

/* The daemon's settings, sized for this input: one shard, one producer. */
static void _config(const struct _rp *x, struct cfg *c)
{
	const struct _opts *o = x->o;
	cfg_defaults(c);
	c->shards = 1;
	c->producer_slots = 2;
	c->acceptor_slots = 0;
	c->profiles_per_shard =
	    o->users ? o->users : _clampu(x->users.n + 16, 1024, 16777216);
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
static int _cat_row(const struct _rp *x, const struct _csv *c,
    const struct _map *m, char *err, size_t errlen)
{
	const struct reg *r = &x->r;
	struct evt_str id = _cell(c, m, C_ID), first = { NULL, 0 };
	struct cat_item it;
	memset(&it, 0, sizeof(it));
	it.price_level = 255;
	if (!id.len) {
		snprintf(err, errlen, "column %s: empty id",
		    _csv_col(c, (unsigned)m->idx[C_ID]));
		return -EINVAL;
	}
	int rc =
	    _split_tags(r, _cell(c, m, C_TAGS), x->o->tag_sep, &it, &first);
	struct evt_str cat = _cell(c, m, C_CATEGORY);
	if (!cat.len)
		cat = first;
	if (!rc && cat.len) {
		it.item.category = evt_tag_id(cat.p, cat.len);
		rc = _name(r, NAME_CATEGORY, cat.p, cat.len);
	}
	struct evt_str la = _cell(c, m, C_LAT), lo = _cell(c, m, C_LON);
	double lat, lon;
	if (!rc && (la.len || lo.len) &&
	    (_num(la.p, la.len, &lat) || _num(lo.p, lo.len, &lon) ||
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
static int _tag_row(struct _rp *x, const struct _csv *c, const struct _map *m)
{
	struct evt_str id = _cell(c, m, T_ENTITY), tag = _cell(c, m, T_TAG);
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
	FILE *f = _open_in(path);
	if (!f)
		return CLI_USAGE;
	struct _csv c = { .f = f, .name = path };
	struct _map m = kind == _CATALOG ? x->o->cmap : x->o->tmap;
	char err[300];
	int rc = _csv_header(&c, &m);
	for (unsigned k = 0; rc == CLI_OK && k < (kind == _TAGS ? 2u : 1u); k++)
		if (m.idx[k] < 0) {
			fprintf(stderr, "%s:1: no column '%s' in the header\n",
			    path, m.col[k] ? m.col[k] : m.fields[k]);
			rc = CLI_USAGE;
		}
	while (rc == CLI_OK) {
		int k = _csv_next(&c, err, sizeof(err));
		if (k == 0)
			break;
		if (k > 0)
			k = kind == _CATALOG
			    ? _cat_row(x, &c, &m, err, sizeof(err))
			    : _tag_row(x, &c, &m);
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
	_csv_free(&c);
	return _close_in(f, path) ? rc : CLI_USAGE;
}

static int _load_json_catalog(struct _rp *x, const char *path)
{
	FILE *f = _open_in(path);
	if (!f)
		return CLI_USAGE;
	unsigned loaded = 0, failed = 0;
	int rc = cli_catalog_load_stream(&x->r, f, path, &loaded, &failed);
	x->cat_loaded += loaded;
	x->cat_rejected += failed;
	return _close_in(f, path) && rc == 0 ? CLI_OK : CLI_USAGE;
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
static struct _key *_sorted(const struct _events *ev)
{
	struct _key *k = malloc((ev->n ? ev->n : 1) * sizeof(*k));
	if (!k)
		return NULL;
	for (size_t i = 0; i < ev->n; i++)
		k[i] = (struct _key){ _ev_at(ev, i)->time_ms, i };
	qsort(k, ev->n, sizeof(*k), _key_cmp);
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
	struct _key *k = _sorted(&x->ev);
	if (!k) {
		fprintf(stderr, _NAME ": out of memory sorting %zu events\n",
		    x->ev.n);
		return CLI_USAGE;
	}
	struct evt_record buf[_BATCH];
	int rc = 0;
	shard_recover(&x->r, 0);
	for (size_t i = 0; i < x->ev.n && !rc;) {
		size_t n = 0;
		while (n < _BATCH && i < x->ev.n)
			buf[n++] = *_ev_at(&x->ev, k[i++].i);
		rc = _publish(x, buf, n);
		if ((i & 0xffff) < _BATCH)
			_progress(&x->pg, i, x->ev.n, UINT64_MAX);
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
	for (size_t i = 0; i < x->users.n; i++) {
		const struct _user *u = &x->users.v[i];
		struct lrn_profile lp;
		if (prof_read(&x->r, u->key, &lp) || lp.events == 0)
			continue;
		/* Engagement as of the log's end, so output is reproducible. */
		struct pen_profile pp;
		client_profile_export(x->p, &lp, &pp, PEN_READ_NAMES,
		    x->t_last);
		cli_profile_json(f, x->users.arena + u->off, &pp);
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
	for (size_t i = 0; i < x->users.n; i++) {
		struct lrn_profile lp;
		if (prof_read(&x->r, x->users.v[i].key, &lp) || !lp.events)
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
	return x->rejected[k] + _wcounters(x)[REG_C_REJECT0 + k];
}

static void _summary_text(const struct _rp *x, const struct _totals *t)
{
	const uint64_t *wc = _wcounters(x);
	printf("users %llu\nevents read %zu\nevents applied %llu\n"
	       "on unknown entities %llu\nrejected lines %llu\n",
	    (unsigned long long)t->profiles, x->ev.n,
	    (unsigned long long)wc[REG_C_APPLIED],
	    (unsigned long long)wc[REG_C_UNKNOWN_ENTITY],
	    (unsigned long long)(x->rejected_lines + x->cat_rejected));
	for (unsigned k = 0; k < EVT_REASON_COUNT; k++)
		if (_rejects(x, k))
			printf("  %s %llu\n", evt_reason_name(k),
			    (unsigned long long)_rejects(x, k));
	printf("catalog entities %llu (rejected lines %llu), user tags added "
	       "%llu, for unknown entities %llu, beyond %d per item %llu\n",
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
	printf("{\"users\":%llu,\"events_read\":%zu,\"events_applied\":%llu,"
	       "\"unknown_entity\":%llu,\"rejected_lines\":%llu,\"rejected\":{",
	    (unsigned long long)t->profiles, x->ev.n,
	    (unsigned long long)wc[REG_C_APPLIED],
	    (unsigned long long)wc[REG_C_UNKNOWN_ENTITY],
	    (unsigned long long)(x->rejected_lines + x->cat_rejected));
	for (unsigned k = 0, n = 0; k < EVT_REASON_COUNT; k++)
		if (_rejects(x, k))
			printf("%s\"%s\":%llu", n++ ? "," : "",
			    evt_reason_name(k),
			    (unsigned long long)_rejects(x, k));
	printf("},\"catalog\":%llu,\"catalog_rejected\":%llu,\"tags_added\":"
	       "%llu,\"tags_unknown_entity\":%llu,\"tags_over_limit\":%llu,"
	       "\"top_tags\":[",
	    (unsigned long long)x->cat_loaded,
	    (unsigned long long)x->cat_rejected,
	    (unsigned long long)x->tags_added,
	    (unsigned long long)x->tags_unknown,
	    (unsigned long long)x->tags_full);
	for (size_t i = 0; i < t->ntags && i < _TOP_TAGS; i++) {
		char name[32];
		cat_name_get(&x->r, t->tags[i].id, name, sizeof(name));
		printf("%s{\"tag\":", i ? "," : "");
		cli_json_fstr(stdout, name);
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

/*
 * Parses "field=COL,..." into m (m->fields/n set). CLI_OK or CLI_USAGE.
 * Each column name gets its own copy: the flag may be given again, and the
 * names from the earlier spec stay in use.
 */
static int _parse_map(struct _map *m, const char *spec, const char *flag)
{
	char *text = strdup(spec);
	if (!text)
		return CLI_USAGE;
	int rc = CLI_OK;
	for (char *save = NULL, *kv = strtok_r(text, ",", &save); kv && !rc;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq || eq == kv || !eq[1]) {
			fprintf(stderr,
			    _NAME ": %s: '%s' is not FIELD=COLUMN\n", flag, kv);
			rc = CLI_USAGE;
			break;
		}
		*eq = 0;
		unsigned k = 0;
		while (k < m->n && strcmp(m->fields[k], kv))
			k++;
		if (k == m->n) {
			fprintf(stderr,
			    _NAME ": %s: unknown field '%s'; fields:", flag,
			    kv);
			for (unsigned j = 0; j < m->n; j++)
				fprintf(stderr, " %s", m->fields[j]);
			fputc('\n', stderr);
			rc = CLI_USAGE;
			break;
		}
		char *col = strdup(eq + 1);
		if (!col) {
			rc = CLI_USAGE;
			break;
		}
		free(m->own[k]);
		m->own[k] = col;
		m->col[k] = col;
		m->explicit_[k] = true;
	}
	free(text);
	return rc;
}

static void _map_free(struct _map *m)
{
	for (unsigned k = 0; k < m->n; k++)
		free(m->own[k]);
}

static void _opts_init(struct _opts *o, const struct cli *c)
{
	memset(o, 0, sizeof(*o));
	o->json = c->json;
	o->rating_pos = 4;
	o->rating_neg = 2.5;
	o->tag_sep = '|';
	o->max_events = _DEFAULT_MAX_EVENTS;
	o->emap = (struct _map){ .fields = _event_fields, .n = F_COUNT };
	o->cmap = (struct _map){ .fields = _cat_fields, .n = C_COUNT };
	o->tmap = (struct _map){ .fields = _tag_fields, .n = T_COUNT };
}

static void _opts_free(struct _opts *o)
{
	_map_free(&o->emap);
	_map_free(&o->cmap);
	_map_free(&o->tmap);
}

/* An option with a value. CLI_OK, CLI_USAGE, or -1: not such an option. */
static int _opt_value(struct _opts *o, const char *name, const char *v)
{
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
		o->type = v;
	else if (!strcmp(name, "--map"))
		return _parse_map(&o->emap, v, name);
	else if (!strcmp(name, "--catalog-map"))
		return _parse_map(&o->cmap, v, name);
	else if (!strcmp(name, "--tags-map"))
		return _parse_map(&o->tmap, v, name);
	else if (!strcmp(name, "--rating")) {
		o->emap.col[F_RATING] = v;
		o->emap.explicit_[F_RATING] = true;
	} else if (!strcmp(name, "--tag-sep"))
		return strlen(v) == 1
		    ? (o->tag_sep = v[0], CLI_OK)
		    : _usage_err("--tag-sep: '%s' is not one character", v);
	else if (!strcmp(name, "--time-unit"))
		return !strcmp(v, "s") ? (o->unit = U_S, CLI_OK)
		    : !strcmp(v, "ms") ? (o->unit = U_MS, CLI_OK)
		    : !strcmp(v, "auto")
		    ? (o->unit = U_AUTO, CLI_OK)
		    : _usage_err("--time-unit: '%s' is not s, ms or auto", v);
	else if (!strcmp(name, "--rating-pos"))
		return _num(v, strlen(v), &o->rating_pos)
		    ? _usage_err("--rating-pos: '%s' is not a number", v)
		    : CLI_OK;
	else if (!strcmp(name, "--rating-neg"))
		return _num(v, strlen(v), &o->rating_neg)
		    ? _usage_err("--rating-neg: '%s' is not a number", v)
		    : CLI_OK;
	else if (!strcmp(name, "--max-events"))
		return _u64(v, 1, 1ULL << 32, &o->max_events)
		    ? _usage_err("--max-events: '%s' is not 1..2^32", v)
		    : CLI_OK;
	else if (!strcmp(name, "--users"))
		return _u64(v, 1024, 16777216, &u)
		    ? _usage_err("--users: '%s' "
				 "is not 1024..16777216",
			  v)
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
		o->csv = true;
	else if (!strcmp(a, "--summary"))
		o->summary = true;
	else if (!strcmp(a, "--quiet"))
		o->quiet = true;
	else if (!strcmp(a, "--json"))
		o->json = true;
	else if (a[0] == '-' && a[1])
		return _usage_err("unknown option '%s'", a);
	else if (!o->input)
		o->input = a;
	else
		return _usage_err("one input FILE only ('%s' is extra)", a);
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
		int rc = m ? _opt_value(o, _valued[k], v) : _flag(o, argv[i]);
		if (rc)
			return rc;
	}
	if (!o->input)
		return _usage_err("which FILE?%s", "");
	if (o->rating_neg >= o->rating_pos)
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
	_users_free(&x->users);
	_ev_free(&x->ev);
}

static void _totals_line(const struct _rp *x)
{
	if (x->o->quiet)
		return;
	double learn_s = (double)x->t_learn_ms / 1000;
	fprintf(stderr,
	    _NAME
	    ": %zu events of %llu lines (%llu rejected) "
	    "into %zu users; read %.2f s, learned %.2f s (%.0f events/s)\n",
	    x->ev.n, (unsigned long long)x->lines,
	    (unsigned long long)x->rejected_lines, x->users.n,
	    (double)x->t_read_ms / 1000, learn_s,
	    learn_s > 0 ? (double)x->ev.n / learn_s : 0.0);
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
	return x->rejected_lines || x->cat_rejected ||
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
	struct cfg cf;
	struct reg_header h = { 0 };
	struct boot_options bo = { .history = true };
	cfg_defaults(&cf);
	boot_params(&cf, &bo, &h);
	x.lim = h.limits;
	rc = _run(&x);
	_free(&x);
	_opts_free(&o);
	return rc;
}
