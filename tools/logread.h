/*
 * logread: an event log file -> validated ring records, in input order,
 * with every rejected line reported as FILE:LINE: reason. What `penchant
 * replay` learns from, and what any other offline consumer of a log (an
 * evaluation) reads the same way. Nothing here touches shared memory.
 *
 * Input. A file (or '-' for stdin), plain or gzip: gzip is recognized by
 * its magic bytes whatever the name; one or more gzip members back to
 * back (concatenated .gz files) are read in order. A gzip stream that is
 * truncated or corrupt, or bytes after the last member that do not start
 * another one (trailing garbage), are an error at close that names the
 * file and the byte offset, not a silent short read. Lines end at LF or
 * CRLF; a file whose first line break is a lone CR (old Mac files) has
 * CR, LF and CRLF as line ends throughout (in other files a CR inside a
 * line stays content). A UTF-8 byte order mark at the
 * start of a file is skipped (JSON and CSV). Text is UTF-8; with
 * lr_options.encoding LR_ENC_LATIN1 (LR_ENC_CP1252) every byte is an
 * ISO 8859-1 (Windows-1252) character, converted to UTF-8 as it is read
 * (after gzip), so the readers below see UTF-8 either way. Two formats:
 *
 *  - JSON lines (the default): one event object per line, the format of
 *    docs/PROTOCOL.md as ipc/json.h maps it (json_event_input). Lines that
 *    hold only blanks are skipped. Per line at most LR_JSON_TOKS JSON values and keys (more is
 *    too_big); no cap on the line's length but memory.
 *
 *  - CSV (RFC 4180): a header row (or the names of lr_options.columns,
 *    the first line then being data), then one event per record. Fields are
 *    separated by ',' (lr_options.sep: any one byte), a field may be quoted
 *    with '"', a quote inside a quoted field is doubled, and a quoted field
 *    may span lines: its line breaks become one '\n'. With a tab as the
 *    separator the file is tab-separated values (IANA): no quoting, a '"'
 *    is text, one line is one record. Blank lines are skipped. When two header
 *    columns have the same name the first one is used. Caps: LR_CSV_COLS columns per record, and a record that
 *    still needs more lines once it holds LR_CSV_MAX_RECORD bytes is given
 *    up ("quoted field not closed"); reading resumes on the line after.
 *    Every record must have as many fields as the header.
 *
 * The CSV column mapping (struct lr_map). Each event field of
 * lr_event_fields reads the column the map names for it, or the column of
 * the field's own name when the map names none (absent: the field is
 * absent). A column named explicitly must exist in the header. An empty
 * cell is an absent field. Cells are taken as text (user_id entity_id
 * event_type session_id entity_type device platform weather social
 * rec_type query), except:
 *   position dwell_ms scroll_depth tz_offset lat lon  numbers (blanks
 *        around allowed); anything else rejects the row as
 *        "bad_number: FIELD" (the first bad one in this order)
 *   feedback   a number is the sign (feedback_num), other text the
 *        feedback type ("positive", "thumbs_down", ...)
 *   timestamp  a number is a time in lr_options.unit; other text is an
 *        RFC 3339 time, checked by evt_build() (ISO 8601 offsets "+hhmm",
 *        "+hh" and a blank before the offset are taken too; a time with
 *        no offset only with lr_options.assume_tz). With
 *        lr_options.time_format set, every cell (digits too) is read by
 *        it instead ("bad_time: timestamp (not FMT)" when it does not
 *        match)
 *   event_type when empty, lr_options.type (when set); then renamed by
 *        lr_options' verb map (JSON lines too)
 *   rating     a number (else "bad_number: rating", after the fields
 *        above): >= rating_pos is a positive feedback event, <= rating_neg
 *        a negative one, anything between a view. It overrides event_type
 *        and the feedback type; an empty rating cell leaves them alone.
 * Then evt_build() (engine/event.h) validates and normalizes, with
 * lr_options.lim.
 *
 * Messages go to the stream the caller names (NULL: stderr), one line
 * each, in these shapes:
 *   FILE:LINE: REASON[: detail]   a rejected line, skipped (the first
 *        lr_options.max_shown of a file; then, at its end, "FILE: N more
 *        rejected lines not shown (counts are exact)"). LINE is the
 *        line (1-based, of that file) the record starts on. REASON is an
 *        evt_reason_name(): "bad_time: timestamp 'VALUE' why" (the value
 *        cut to 40 bytes, control bytes as \xNN, and what would read it),
 *        "malformed: byte 0:
 *        expected ..." (JSON, the parser's words), "bad_number: dwell_ms".
 *        CSV structure errors say only what is wrong ("column 2: quote
 *        inside an unquoted field (quote the field, double the quote)",
 *        "3 fields, the header has 4" ("--columns names 4" with
 *        lr_options.columns; a row of one field adds a hint on the
 *        separator: "(no ',' in it, but a tab: try --sep tab)"), "more than
 *        256 columns") and count as malformed.
 *   FILE:LINE: why                a CSV header that cannot be used ("empty:
 *        a header row is required", "no column 'x' (for user_id) in the
 *        header", or the structure error of the header row)
 *   PROG: what                    the whole input: cannot open, out of
 *        memory after N events
 *   PROG: FILE: what              "gzip data truncated at byte N",
 *        "corrupt gzip data near byte N (zlib's words)", "trailing garbage:
 *        the bytes from byte N on (after the gzip data) are not a gzip
 *        member",
 *        "read error: ..."
 * PROG is the caller's name for itself (lr_options.prog, "penchant
 * replay").
 *
 * The catalog files of a replay (items with tags, user-assigned tags) are
 * CSV too. They share the reader (lr_csv_*: records, header, mapping, line
 * numbers, the same messages), but what a row means for a catalog stays
 * with the caller: a catalog lives in a region, and the order in which a
 * row's tag names enter the region's name table, before its location is
 * checked, is part of how the caller fills it. So this module yields
 * mapped rows and never calls the catalog.
 *
 * Ownership. A struct lr_log owns its users and records; everything it
 * returns stays valid until lr_log_free(). A struct lr_map owns copies of
 * its column names. Nothing here keeps global state; one thread per log.
 */
#ifndef PENCHANT_TOOLS_LOGREAD_H
#define PENCHANT_TOOLS_LOGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/event.h"

#define LR_CSV_COLS 256		     /* columns per CSV record */
#define LR_CSV_MAX_RECORD (1u << 20) /* bytes a record may gather over lines */
#define LR_JSON_TOKS 256	     /* JSON values and keys per line */
#define LR_CHUNK_BITS 16	     /* records per storage chunk: 64 Ki */
#define LR_DEFAULT_MAX_EVENTS 50000000ULL /* lr_options.max_events */
#define LR_PROGRESS_LINES 65536		  /* lines between progress calls */
#define LR_TYPE_MAP_MAX 32		  /* verb renames (lr_type_map_add) */
/* Rejected lines of one file printed (lr_options.max_shown); the rest are
 * counted and summed up in one line: a wrong separator or time format
 * rejects every line, and a screenful says as much as a million. */
#define LR_SHOWN_REJECTS 20

/* The event fields a CSV column can feed, in the order of --help. */
enum lr_field {
	LR_F_USER = 0,
	LR_F_ENTITY,
	LR_F_TYPE,
	LR_F_TIME,
	LR_F_SESSION,
	LR_F_ENTITY_TYPE,
	LR_F_DEVICE,
	LR_F_PLATFORM,
	LR_F_WEATHER,
	LR_F_SOCIAL,
	LR_F_REC_TYPE,
	LR_F_POSITION,
	LR_F_DWELL,
	LR_F_SCROLL,
	LR_F_FEEDBACK,
	LR_F_QUERY,
	LR_F_TZ,
	LR_F_LAT,
	LR_F_LON,
	LR_F_RATING,
	LR_F_COUNT
};
/* Their names: "user_id", "entity_id", ... "rating" (also the default
 * column names). */
extern const char *const lr_event_fields[LR_F_COUNT];

/* --- column mapping --------------------------------------------------- */

#define LR_MAP_MAX LR_F_COUNT /* fields a map can have */

/*
 * Field -> column name, for any table of field names (the event fields
 * above, or a caller's own: a catalog's id, tags, ...). Start it with
 * lr_map_init(), end it with lr_map_free().
 */
struct lr_map {
	const char *const *fields; /* names of the fields, n of them */
	unsigned n;
	const char *col[LR_MAP_MAX]; /* NULL: the field's own name */
	bool explicit_[LR_MAP_MAX];  /* named by the user: must exist */
	char *own[LR_MAP_MAX];	     /* the copies col[] points to */
};

/* An empty map over fields[0..n), n <= LR_MAP_MAX. */
void lr_map_init(struct lr_map *m, const char *const *fields, unsigned n);

/*
 * Adds "FIELD=COLUMN,..." to the map. A field named twice in one spec is
 * refused ("PROG: FLAG: field 'x' mapped twice"); one spec after another
 * (two --map flags) may name a field again, and the later column wins.
 * Returns 0, -EINVAL with a message on msg (that one, "PROG: FLAG: 'x' is
 * not FIELD=COLUMN", or "PROG: FLAG: unknown field 'x'; fields: ..." with
 * the list), or -ENOMEM (nothing printed). Fields before the bad one are
 * set. flag is the option the spec came from, for the message.
 */
int lr_map_parse(struct lr_map *m, const char *spec, const char *prog,
    const char *flag, FILE *msg);

/* Maps field k (< m->n) to column col, explicitly. 0 or -ENOMEM. */
int lr_map_set(struct lr_map *m, unsigned k, const char *col);

/* Frees the copies; the map is then empty (lr_map_init() state). */
void lr_map_free(struct lr_map *m);

/* --- input files ------------------------------------------------------ */

/* The text encoding of an input (lr_options.encoding, lr_open_enc). */
enum lr_encoding {
	LR_ENC_UTF8 = 0, /* as is: invalid UTF-8 is the readers' to reject */
	LR_ENC_LATIN1,	 /* ISO 8859-1: each byte >= 0x80 becomes two */
	LR_ENC_CP1252,	 /* Windows-1252: 0x80..0x9F are its characters */
};

/*
 * "utf-8", "latin-1" or "windows-1252" (case-insensitive; also "utf8",
 * "latin1", "iso-8859-1", "cp1252") to *out. 0, or -EINVAL for any other name.
 */
int lr_encoding_parse(const char *name, enum lr_encoding *out);

/*
 * Opens path ('-': a duplicate of stdin) for reading into *f; gzip data
 * is inflated, anything else passes through. Returns 0, or a negative
 * errno after "PROG: cannot open PATH: why" (or "cannot read PATH: why")
 * on msg (NULL: stderr).
 */
int lr_open(FILE **f, const char *path, const char *prog, FILE *msg);

/* lr_open() of text in encoding enc: Latin-1 and Windows-1252 are
 * converted to UTF-8 as they are read (after inflating). */
int lr_open_enc(FILE **f, const char *path, enum lr_encoding enc,
    const char *prog, FILE *msg);

/*
 * Closes a stream of lr_open(). Returns 0, or -EIO after "PROG: PATH: read
 * error (truncated or corrupt gzip data?)" when reading failed or the gzip
 * data ended early or did not check out.
 */
int lr_close(FILE *f, const char *path, const char *prog, FILE *msg);

/*
 * A number that fills text[0..len) (spaces and tabs around allowed, at
 * most 63 characters without them), finite, as strtod() reads it. 0, or
 * -EINVAL.
 */
int lr_number(const char *text, size_t len, double *out);

/* --- reading a log ---------------------------------------------------- */

enum lr_unit {
	LR_UNIT_AUTO = 0, /* integral values with |v| >= 1e11 are ms, others
			     seconds (as JSON numbers are read) */
	LR_UNIT_S,	  /* seconds, fractions rounded to the ms */
	LR_UNIT_MS,
};

/*
 * What lr_read() needs. lr_options_init() sets the defaults given here;
 * lr_options_free() frees the map.
 */
struct lr_options {
	const char *prog;  /* the caller's name for messages ("penchant") */
	FILE *msg;	   /* where messages go (NULL: stderr) */
	bool csv;	   /* CSV, not JSON lines (false) */
	struct lr_map map; /* CSV: over lr_event_fields, nothing mapped */
	enum lr_unit unit; /* CSV numeric times (LR_UNIT_AUTO) */
	/* CSV field separator (','); a tab turns quoting off (see "CSV" in
	 * the header comment) */
	char sep;
	const char *type; /* CSV: event type of rows without one (NULL) */
	/* CSV without a header row: its column names, comma-separated, the
	 * first line is data (NULL: the first line is the header). */
	const char *columns;
	/* Text times read by strptime(3) with this format instead of RFC
	 * 3339 (NULL: RFC 3339); see lr_parse_time(). */
	const char *time_format;
	/* Times that carry no zone (ISO 8601 without an offset; a
	 * time_format without %z) are local times at UTC + tz_min minutes
	 * when assume_tz (false: such ISO times are refused as bad_time, and
	 * a time_format reads them as UTC). ISO 8601 "+hhmm" and "+hh"
	 * offsets are read as "+hh:mm" either way. */
	bool assume_tz;
	int tz_min;
	/* The text encoding of the input files (LR_ENC_UTF8); lr_read()
	 * converts Latin-1 as it reads. */
	enum lr_encoding encoding;
	/* Verbs of the log renamed to the engine's (lr_type_map_add()):
	 * type_from[i] -> type_to[i], i < ntype_map, case-insensitive. */
	const char *type_from[LR_TYPE_MAP_MAX], *type_to[LR_TYPE_MAP_MAX];
	unsigned ntype_map;
	char *type_map_own[LR_TYPE_MAP_MAX]; /* the copies they point into */
	double rating_pos; /* CSV rating rule (4); rating_neg < rating_pos */
	double rating_neg; /* (2.5) */
	/* Records the log may hold (LR_DEFAULT_MAX_EVENTS); one more is
	 * -E2BIG. Each costs sizeof(struct evt_record), 128 bytes. */
	unsigned long long max_events;
	struct evt_limits lim; /* for evt_build() (evt_limits_default()) */
	/* Rejected lines printed per file (LR_SHOWN_REJECTS; 0: all); past
	 * it, one "FILE: N more rejected lines not shown" at its end */
	unsigned long long max_shown;
	/* Called every LR_PROGRESS_LINES lines with lines read so far (all
	 * files of the log), records held, lines rejected (NULL: none). */
	void (*progress)(void *arg, uint64_t lines, uint64_t events,
	    uint64_t rejected);
	void *progress_arg;
};

void lr_options_init(struct lr_options *o);
void lr_options_free(struct lr_options *o);

/*
 * Adds "FROM=TO[,FROM=TO...]" to o's verb renames: an event whose type
 * is FROM (case-insensitive, blanks around ignored) is read as TO, in
 * JSON lines and CSV alike (a logged "pv" as "view", "buy" as
 * "purchase"). A FROM named again takes the later TO. Whether TO is a
 * verb is the caller's check (custom verbs come from settings). Returns
 * 0, -EINVAL with "PROG: FLAG: why" on msg (an entry that is not
 * FROM=TO, an empty side, more than LR_TYPE_MAP_MAX renames), or -ENOMEM.
 */
int lr_type_map_add(struct lr_options *o, const char *spec, const char *flag,
    FILE *msg);

/*
 * A time of text s[0..len) by strptime(3) format fmt, to ms since the
 * epoch: the whole text must match (blanks around allowed); a time
 * without %z is UTC; fields the format lacks are those of 1970-01-01
 * 00:00:00. One %f (not strptime's) reads a fraction of a second, one
 * or more digits, kept to the millisecond ("%H:%M:%S.%f"). 0, or -EINVAL
 * (no match, text left over, longer than 127 bytes, or out of range).
 */
int lr_parse_time(const char *fmt, const char *s, size_t len, int64_t *ms);

/* A user of the log: its key, and the id text it first appeared with. */
struct lr_user {
	uint64_t key; /* evt_user_key() */
	/* id text in lr_users.arena, NUL after it; ids are bytes and may
	 * hold a NUL themselves (JSON "\u0000", a CSV cell): len counts */
	uint32_t off, len;
};

/* Users by key, in order of first appearance (open addressing). */
struct lr_users {
	struct lr_user *v; /* v[0..n) */
	size_t n, vcap;
	uint32_t *slots; /* index + 1; 0 free */
	uint32_t cap;	 /* power of two */
	char *arena;
	size_t alen, acap;
};

/* Accepted records in chunks of 1 << LR_CHUNK_BITS: no huge reallocation,
 * records never move. */
struct lr_events {
	struct evt_record **chunk;
	size_t nchunks, cap;
	size_t n; /* records held */
};

/*
 * What was read: the accepted records in input order, their users, and
 * the counts of what was not accepted. Zero it before the first lr_read();
 * read the fields, never write them.
 */
struct lr_log {
	struct lr_events ev;
	struct lr_users users; /* the users of the records in ev */
	uint64_t lines;	       /* physical lines read, all files */
	uint64_t rejected_lines;
	uint64_t rejected[EVT_REASON_COUNT]; /* rejected lines by reason */
	int64_t t_last; /* latest event time (ms) of ev; 0 while empty */
};

/*
 * Reads the file at path ('-': stdin) into log, as the header describes.
 * More calls on the same log append another file: records, users and
 * counts accumulate (max_events bounds them all); line numbers in
 * messages are per file.
 *
 * Returns 0 when the whole input was read (some lines may have been
 * rejected: see log->rejected_lines), or a negative errno, the log then
 * holding what was read before:
 *   -E2BIG   the input has more than o->max_events events; nothing
 *            printed: the caller names its own limit
 *   -EINVAL  the CSV header cannot be used (printed)
 *   -EIO     read error, truncated or corrupt gzip data (printed)
 *   -ENOMEM  "PROG: out of memory after N events" (printed)
 *   other    the file cannot be opened (printed)
 */
int lr_read(struct lr_log *log, const char *path, const struct lr_options *o);

/* The same from an open stream, not closed here; name is for messages.
 * The stream is taken as it is (o->encoding is lr_open_enc()'s). */
int lr_read_stream(struct lr_log *log, FILE *f, const char *name,
    const struct lr_options *o);

/* Frees what the log holds and zeroes it; safe twice. */
void lr_log_free(struct lr_log *log);

/* Record i (< log->ev.n) in input order. */
static inline const struct evt_record *lr_event(const struct lr_log *log,
    size_t i)
{
	const struct lr_events *ev = &log->ev;
	return &ev->chunk[i >> LR_CHUNK_BITS][i & ((1u << LR_CHUNK_BITS) - 1)];
}

/* User i (< log->users.n): the id text it first appeared with,
 * NUL-terminated (log->users.v[i].len bytes: see struct lr_user). */
static inline const char *lr_user_id(const struct lr_log *log, size_t i)
{
	return log->users.arena + log->users.v[i].off;
}

/* --- CSV rows --------------------------------------------------------- */

/*
 * The CSV reader itself, for any mapped CSV file (the event reader uses
 * it; a caller reads its catalog files with it). Read the fields through
 * the calls below.
 */
/* Line endings of one file (see "Input" above); zero-initialized. */
enum { LR_EOL_UNKNOWN = 0, LR_EOL_LF, LR_EOL_CR };
struct lr_eol {
	int mode;     /* LR_EOL_*: decided by the file's first line */
	bool started; /* past the first line (and its byte order mark) */
};

struct lr_csv {
	FILE *f;
	const char *name; /* for messages */
	FILE *msg;
	const struct lr_map *map;
	int idx[LR_MAP_MAX]; /* column of each map field, -1 absent */
	char *line;	     /* getline buffer */
	size_t lcap;
	char *rec; /* one record: physical lines joined by '\n' */
	size_t rlen, rcap;
	char *buf; /* unescaped field text, NUL after each */
	size_t bcap;
	unsigned n; /* fields of the current record */
	const char *fld[LR_CSV_COLS];
	size_t flen[LR_CSV_COLS];
	char *head; /* header names, kept for messages */
	const char *hname[LR_CSV_COLS];
	unsigned ncols;
	struct lr_eol eol;
	char sep;	/* field separator */
	bool quoting;	/* '"' quotes fields (not with a tab separator) */
	bool named;	/* the names came from a list (--columns), not a row */
	size_t lineno;	/* physical lines read */
	size_t recline; /* line the current record starts on */
};

/*
 * Reads the header row of f and resolves map m (which must outlive c).
 * Returns 0, -EINVAL after "NAME:LINE: why" on msg (no header, a header
 * that is not valid CSV, a column named explicitly that it lacks, a
 * column the map reads named twice), or -ENOMEM (nothing printed). Free c
 * with lr_csv_free() either way.
 */
int lr_csv_open(struct lr_csv *c, FILE *f, const char *name,
    const struct lr_map *m, FILE *msg);

/* The same with fields separated by sep (0: ','; a tab: no quoting), and
 * for a file without a header row: its columns are named by `columns`
 * ("a,b,c": names not empty, at most LR_CSV_COLS; the list is always
 * comma-separated). A bad list is -EINVAL with "NAME: --columns: why" on
 * msg. columns NULL: the first row names them. */
int lr_csv_open_named(struct lr_csv *c, FILE *f, const char *name,
    const struct lr_map *m, const char *columns, char sep, FILE *msg);

/*
 * Reads the next record that is not blank. Returns 1, 0 at the end of the
 * input, -EINVAL with err set to the structure error (the record is
 * skipped; reading may go on), or -ENOMEM. c->recline is the line the
 * record started on, c->lineno the lines read.
 */
int lr_csv_next(struct lr_csv *c, char *err, size_t errlen);

/* The cell of map field k in the current record; {NULL, 0} when the field
 * has no column or the cell is empty. Valid until the next lr_csv_next(). */
struct evt_str lr_csv_cell(const struct lr_csv *c, unsigned k);

/* The column of map field k, -1 when the header has none. */
int lr_csv_column(const struct lr_csv *c, unsigned k);

/* The header name of column i, "?" when there is no such column. */
const char *lr_csv_column_name(const struct lr_csv *c, int i);

/* Frees the buffers; safe after a failed lr_csv_open(). */
void lr_csv_free(struct lr_csv *c);

#endif
