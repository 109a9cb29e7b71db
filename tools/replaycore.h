/*
 * replaycore: what the offline commands share (penchant replay, eval,
 * simulate): their input, catalog, limit and settings options, reading a
 * log, a private region made as the supervisor makes one, the catalog
 * files loaded into it, and publishing through libpenchant with the shard
 * worker's own loop body (shard_poll) draining the ring.
 *
 * Why one module: an evaluation must learn exactly what a replay learns,
 * under the same settings parsed the same way; two copies would drift.
 *
 * The region ("PREFIX-<pid>", one shard, one producer, no acceptor) is
 * unlinked as soon as it is attached: it vanishes with the process,
 * however the process ends. Producer and worker take turns in the calling
 * thread (a full ring is drained by shard_poll), so a run is
 * deterministic.
 *
 * Messages go to stderr and start with the command's name (rc_opts.prog);
 * calls that return an exit code (enum cli_exit) have printed why.
 * Nothing here keeps global state; one thread.
 */
#ifndef PENCHANT_TOOLS_REPLAYCORE_H
#define PENCHANT_TOOLS_REPLAYCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "shm/region.h"
#include "tools/cli.h"
#include "tools/logread.h"

/* The fields of the catalog CSV (--catalog-map) and of the user tags CSV
 * (--tags-map). */
enum rc_cfield {
	RC_C_ID = 0,
	RC_C_TAGS,
	RC_C_CATEGORY,
	RC_C_LAT,
	RC_C_LON,
	RC_C_COUNT
};
enum rc_tfield { RC_T_ENTITY = 0, RC_T_TAG, RC_T_COUNT };

/* The catalog inputs: --catalog, --catalog-csv, --tags-csv. */
enum rc_input {
	RC_IN_CATALOG = 0,
	RC_IN_CATALOG_CSV,
	RC_IN_TAGS_CSV,
	RC_IN_COUNT
};

/*
 * The options every offline command takes: the reader's (rd; its map is
 * --map), the catalog files, the limits and the settings. Start with
 * rc_opts_init(), end with rc_opts_free().
 */
struct rc_opts {
	const char *prog; /* "penchant replay": prefix of every message */
	const char *catalog, *catalog_csv, *tags_csv;
	const char *input; /* the log, as rc_check_files() was given it */
	const char *catalog_columns; /* --catalog-columns: no header row */
	char tag_sep;		     /* --tag-sep ('|') */
	/* --catalog-sep: fields of the catalog and tags CSV (0: as --sep,
	 * rd.sep); see rc_catalog_sep() */
	char catalog_sep;
	bool sep_set; /* --sep given */
	/* Catalog inputs that are stdin ('-') or a pipe, copied by
	 * rc_check_files() (inflated, and in UTF-8 when --encoding
	 * converts) to an unlinked temporary file (they are read
	 * twice: to size the region, then to load it); -1: read the path. */
	int spool_fd[RC_IN_COUNT];
	unsigned users; /* --users: profile capacity, 0 = the users seen */
	bool quiet;	/* --quiet */
	struct lr_options rd;
	struct lr_map cmap, tmap;
	/* Settings flags and --config FILE, in command-line order, for
	 * cfg_parse_args (argv[0] is a placeholder). */
	char **set_argv;
	int set_argc;
	struct cfg settings; /* after rc_apply_settings(): as penchantd's */
	/* The instance whose pseudonymization secret keys the users (the
	 * command line's --instance), and the secret rc_apply_settings()
	 * read from its key file in the settings' state_dir: users keyed as
	 * that daemon keys them. All zero when it has none. */
	const char *instance;
	uint8_t secret[EVT_SECRET_BYTES];
	bool no_secret;	 /* set before rc_apply_settings: read no key file,
			 * users keyed as without one (eval) */
	bool rating_set; /* --rating-pos or --rating-neg given */
};

void rc_opts_init(struct rc_opts *o, const char *prog, const char *instance);
void rc_opts_free(struct rc_opts *o);

/*
 * argv[*i] as one of the shared options: --csv, --map, --time-unit,
 * --type, --rating, --rating-pos, --rating-neg, --catalog,
 * --catalog-csv, --catalog-map, --tag-sep, --tags-csv, --tags-map,
 * --sep CHAR (every CSV input), --catalog-sep CHAR (catalog and tags),
 * --tz-offset MINUTES, --assume-utc, --encoding utf-8|latin-1 (the log
 * and the catalog files),
 * --max-events, --users, --quiet, and the settings (--config FILE,
 * --NAME=VALUE, --NAME VALUE, --NAME / --no-NAME for booleans), which
 * are collected in order. Returns 1 when it was one (*i then past its
 * value), 0 when it is not, or CLI_USAGE (printed).
 */
int rc_arg(struct rc_opts *o, int argc, char **argv, int *i);

/*
 * argv[*i] as a setting only: --config FILE, --name=value, --name value,
 * --name or --no-name for booleans, collected in order for
 * cfg_parse_args, which applies them exactly as penchantd does. Returns 1
 * when it was one (*i then past its value), 0 when it is not a setting,
 * or CLI_USAGE (printed).
 */
int rc_setting(struct rc_opts *o, int argc, char **argv, int *i);

/* Applies the collected settings on top of the defaults and checks them,
 * as penchantd does. CLI_OK or CLI_USAGE (printed). */
int rc_apply_settings(struct rc_opts *o);

/* The field separator of the catalog and tags CSV files: --catalog-sep,
 * else --sep (',' by default). */
char rc_catalog_sep(const struct rc_opts *o);

/*
 * The rating thresholds are ordered and the catalog files readable. At
 * most one of the log (input, may be NULL) and the catalog files is '-'
 * (stdin), and no two of them are one pipe, terminal or socket (the same
 * device and inode: '-' and /dev/stdin, one <(...) or FIFO path twice). A catalog file that is stdin or not a regular file (a pipe:
 * --catalog <(zcat c.gz)) is copied here to an unlinked file in $TMPDIR
 * (o->spool_fd), since it is read twice. CLI_OK or CLI_USAGE (printed).
 */
int rc_check_files(struct rc_opts *o, const char *input);

/*
 * "PROG: " fmt (with arg) " (see --help)" on stderr; returns CLI_USAGE.
 */
int rc_usage_err(const struct rc_opts *o, const char *fmt, const char *arg);

/*
 * A word no option of the command took: its one input (*input, named
 * what in the message) or, when it starts with '-' or the input is
 * already set, a usage error. CLI_OK or CLI_USAGE (printed).
 */
int rc_input_arg(const struct rc_opts *o, const char **input, const char *a,
    const char *what);

/* An output path that cannot be written, said before any work (a
 * directory, a missing directory, an empty name, one of the inputs of
 * rc_check_files(), called before); "-" is stdout. CLI_OK or CLI_USAGE
 * (printed). */
int rc_check_out(const struct rc_opts *o, const char *path);

/*
 * The reader's limits as the region will store them (so the log is read
 * before the region exists, to size it), and its progress hook (NULL:
 * none). Call after rc_apply_settings().
 */
void rc_reader_setup(struct rc_opts *o,
    void (*progress)(void *, uint64_t, uint64_t, uint64_t), void *arg);

/* One run: a log, a region, the catalog in it. Zero it, set o. */
/* Catalog rows seen by id, to find rows that repeat an id (the last row
 * wins; the first repeat is named in a warning). */
struct rc_seen {
	uint64_t *key;
	uint32_t *line; /* line of the key's first row; 0: a free slot */
	uint8_t *in;	/* its input (enum rc_input) */
	size_t n, cap;	/* cap: a power of two */
	int cur;	/* the input being loaded */
	/* the first repeat: id (cut), its first row, the repeating row */
	char id[48];
	int in0, in1;
	uint32_t line0, line1;
	bool oom; /* out of memory: counting stopped */
};

struct rc_run {
	const struct rc_opts *o;
	struct lr_log log;
	uint64_t cat_loaded, cat_rejected, tags_added, tags_unknown, tags_full;
	uint64_t cat_repeated; /* catalog rows whose id an earlier row had */
	struct rc_seen seen;
	struct reg r;
	pen_t *p;
	char instance[40];
};

/* Reads the whole log at path into x->log. CLI_OK or CLI_USAGE. */
int rc_read_log(struct rc_run *x, const char *path);

/*
 * The settings with the geometry an offline run needs: one shard, one
 * producer, no acceptor, profiles for o->users (else users + 16, at least
 * 1024), catalog and name tables sized by the catalog files' lines.
 */
void rc_config(const struct rc_opts *o, size_t users, struct cfg *c);

/*
 * Creates the private region "PREFIX-<pid>" from c, attaches a libpenchant
 * handle (x->p) and unlinks the name. 0, or a negative errno (printed).
 * The region is left REG_STARTING: load the catalog, then set it running.
 */
int rc_open_region(struct rc_run *x, const char *prefix, const struct cfg *c);

/* Loads --catalog, --catalog-csv and --tags-csv (in that order) under the
 * catalog writer lock, counting into x. Rows that repeat an id of an
 * earlier row (of either catalog file) replace it and are counted
 * (x->cat_repeated); the first is named once on stderr. CLI_OK or
 * CLI_USAGE. */
int rc_load_catalog(struct rc_run *x);

/* Event-time order, input order among equal times. */
struct rc_key {
	int64_t t;
	uint64_t i; /* index in x->log: the sort is stable through it */
};

/* The log's records in that order (malloc'd; NULL out of memory). */
struct rc_key *rc_sorted(const struct lr_log *log);

/* Publishes n records through x->p; a full ring is drained by the
 * worker's poll. 0 or a negative errno (pen_strerror). */
int rc_publish(struct rc_run *x, const struct evt_record *b, size_t n);

/* Applies everything published (shard_poll until the ring is empty). */
void rc_drain(struct rc_run *x);

/* Closes the handle and detaches the region (the log stays); safe
 * twice. */
void rc_close_region(struct rc_run *x);

/* rc_close_region() and frees the log; safe twice. */
void rc_close(struct rc_run *x);

/* The shard worker's counters (applied, rejects by reason, ...). */
const uint64_t *rc_worker_counters(const struct rc_run *x);

/* Events the full profile table turned away (their users learned
 * nothing from them); when there are any, says so on stderr (even with
 * --quiet: results without them are not what was asked for), naming the
 * fix. Returns the count. */
uint64_t rc_table_full(const struct rc_run *x);

#endif
