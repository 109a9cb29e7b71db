/*
 * replaycore: the options, region, catalog and publishing of the offline
 * commands (contract in replaycore.h). Moved here from replay.c so that
 * penchant eval and simulate learn through exactly what a replay does.
 */
#include "tools/replaycore.h"

#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/geo.h"
#include "ipc/client.h"
#include "shm/boot.h"
#include "shm/catalog.h"
#include "shm/secret.h"
#include "shm/shard.h"
#include "tools/cli.h"

static const char *const _cat_fields[RC_C_COUNT] = { "id", "tags", "category",
	"lat", "lon" };
static const char *const _tag_fields[RC_T_COUNT] = { "entity_id", "tag" };

/* --- small helpers ---------------------------------------------------- */

int rc_usage_err(const struct rc_opts *o, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", o->prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	return CLI_USAGE;
}

int rc_input_arg(const struct rc_opts *o, const char **input, const char *a,
    const char *what)
{
	if (a[0] == '-' && a[1])
		return rc_usage_err(o,
		    "unknown option '%s' (settings are long options too: docs/SETTINGS.md)",
		    a);
	if (*input) {
		fprintf(stderr,
		    "%s: one input %s only ('%s' is extra) (see --help)\n",
		    o->prog, what, a);
		return CLI_USAGE;
	}
	*input = a;
	return CLI_OK;
}

/* --- options ---------------------------------------------------------- */

void rc_opts_init(struct rc_opts *o, const char *prog, const char *instance)
{
	memset(o, 0, sizeof(*o));
	o->prog = prog;
	o->instance = instance;
	o->tag_sep = '|';
	for (int i = 0; i < RC_IN_COUNT; i++)
		o->spool_fd[i] = -1;
	lr_options_init(&o->rd);
	o->rd.prog = prog;
	lr_map_init(&o->cmap, _cat_fields, RC_C_COUNT);
	lr_map_init(&o->tmap, _tag_fields, RC_T_COUNT);
	cfg_defaults(&o->settings);
}

void rc_opts_free(struct rc_opts *o)
{
	lr_options_free(&o->rd);
	lr_map_free(&o->cmap);
	lr_map_free(&o->tmap);
	free(o->set_argv);
	o->set_argv = NULL;
	for (int i = 0; i < RC_IN_COUNT; i++) {
		if (o->spool_fd[i] >= 0)
			close(o->spool_fd[i]);
		o->spool_fd[i] = -1;
	}
	o->set_argc = 0;
}

/* A column map flag ("F=COL,..."). CLI_OK or CLI_USAGE (printed). */
static int _map_opt(const struct rc_opts *o, struct lr_map *m, const char *v,
    const char *name)
{
	return lr_map_parse(m, v, o->prog, name, NULL) ? CLI_USAGE : CLI_OK;
}

/* A list of column names for a CSV file without a header row. */
static int _names(const struct rc_opts *o, const char *flag, const char *v,
    const char **dst)
{
	size_t n = strlen(v);
	if (n && v[0] != ',' && v[n - 1] != ',' && !strstr(v, ",,")) {
		*dst = v;
		return CLI_OK;
	}
	fprintf(stderr, "%s: %s: '%s' has an empty column name (see --help)\n",
	    o->prog, flag, v);
	return CLI_USAGE;
}

/* A field separator: one byte, or "tab" / "\\t" for a tab (a tab is
 * awkward to type in a shell). Letters, digits, quotes and line ends would
 * split the data itself. */
static int _sep_opt(const struct rc_opts *o, const char *name, const char *v,
    char *dst)
{
	char c = !strcmp(v, "tab") || !strcmp(v, "\\t") ? '\t'
	    : strlen(v) == 1				? v[0]
							: 0;
	if (c &&
	    (c == '\t' ||
		(c != '"' && isgraph((unsigned char)c) &&
		    !isalnum((unsigned char)c)) ||
		c == ' ')) {
		*dst = c;
		return CLI_OK;
	}
	fprintf(stderr,
	    "%s: %s: '%s' is not a field separator: one byte such as ',' ';' '|', or tab as 'tab' or '\\t' (see --help)\n",
	    o->prog, name, v);
	return CLI_USAGE;
}

/* --tz-offset MINUTES: whole minutes east of UTC, -1080..1080 (the +-18 h
 * evt_build() takes). */
static int _tz_opt(struct rc_opts *o, const char *v)
{
	unsigned long long m;
	bool neg = v[0] == '-';
	if (cli_u64(v + neg, 0, 1080, &m))
		return rc_usage_err(o,
		    "--tz-offset: '%s' is not whole minutes east of UTC, -1080..1080 (UTC+02:00 is 120, New York in winter -300)",
		    v);
	o->rd.assume_tz = true;
	o->rd.tz_min = neg ? -(int)m : (int)m;
	return CLI_OK;
}

/* An option with a value. CLI_OK or CLI_USAGE. */
static int _opt_value(struct rc_opts *o, const char *name, const char *v)
{
	struct lr_options *rd = &o->rd;
	unsigned long long u;
	/* One file per input kind: a second --catalog would replace the
	 * first, whose entities would then be missing without a word. */
	const char **file = !strcmp(name, "--catalog") ? &o->catalog
	    : !strcmp(name, "--catalog-csv")	       ? &o->catalog_csv
	    : !strcmp(name, "--tags-csv")	       ? &o->tags_csv
						       : NULL;
	if (file && *file) {
		fprintf(stderr,
		    "%s: %s given twice ('%s' and '%s'): one file each; join them first (cat A B > C) (see --help)\n",
		    o->prog, name, *file, v);
		return CLI_USAGE;
	}
	if (file)
		*file = v;
	else if (!strcmp(name, "--type"))
		rd->type = v;
	else if (!strcmp(name, "--type-map"))
		return lr_type_map_add(rd, v, name, NULL) ? CLI_USAGE : CLI_OK;
	else if (!strcmp(name, "--time-format"))
		return strchr(v, '%')
		    ? (rd->time_format = v, CLI_OK)
		    : rc_usage_err(o,
			  "--time-format: '%s' has no %% conversion (strptime(3): '%%Y-%%m-%%d %%H:%%M:%%S')",
			  v);
	else if (!strcmp(name, "--columns"))
		return _names(o, name, v, &rd->columns);
	else if (!strcmp(name, "--catalog-columns"))
		return _names(o, name, v, &o->catalog_columns);
	else if (!strcmp(name, "--map"))
		return _map_opt(o, &rd->map, v, name);
	else if (!strcmp(name, "--catalog-map"))
		return _map_opt(o, &o->cmap, v, name);
	else if (!strcmp(name, "--tags-map"))
		return _map_opt(o, &o->tmap, v, name);
	else if (!strcmp(name, "--rating"))
		return lr_map_set(&rd->map, LR_F_RATING, v) ? CLI_USAGE
							    : CLI_OK;
	else if (!strcmp(name, "--sep"))
		return o->sep_set = true, _sep_opt(o, name, v, &rd->sep);
	else if (!strcmp(name, "--catalog-sep"))
		return _sep_opt(o, name, v, &o->catalog_sep);
	else if (!strcmp(name, "--tag-sep"))
		return strlen(v) == 1
		    ? (o->tag_sep = v[0], CLI_OK)
		    : rc_usage_err(o, "--tag-sep: '%s' is not one character",
			  v);
	else if (!strcmp(name, "--time-unit"))
		return !strcmp(v, "s") ? (rd->unit = LR_UNIT_S, CLI_OK)
		    : !strcmp(v, "ms") ? (rd->unit = LR_UNIT_MS, CLI_OK)
		    : !strcmp(v, "auto")
		    ? (rd->unit = LR_UNIT_AUTO, CLI_OK)
		    : rc_usage_err(o, "--time-unit: '%s' is not s, ms or auto",
			  v);
	else if (!strcmp(name, "--tz-offset"))
		return _tz_opt(o, v);
	else if (!strcmp(name, "--encoding"))
		return lr_encoding_parse(v, &rd->encoding)
		    ? rc_usage_err(o,
			  "--encoding: '%s' is not an encoding this reads: utf-8 (the default), latin-1 (ISO 8859-1) or windows-1252 (cp1252); convert others to UTF-8 first (iconv -f NAME -t utf-8)",
			  v)
		    : CLI_OK;
	else if (!strcmp(name, "--rating-pos"))
		return (o->rating_set = true,
			   cli_f64(v, -DBL_MAX, DBL_MAX, &rd->rating_pos))
		    ? rc_usage_err(o, "--rating-pos: '%s' is not a number", v)
		    : CLI_OK;
	else if (!strcmp(name, "--rating-neg"))
		return (o->rating_set = true,
			   cli_f64(v, -DBL_MAX, DBL_MAX, &rd->rating_neg))
		    ? rc_usage_err(o, "--rating-neg: '%s' is not a number", v)
		    : CLI_OK;
	else if (!strcmp(name, "--max-events"))
		return cli_u64(v, 1, 1ULL << 32, &rd->max_events)
		    ? rc_usage_err(o, "--max-events: '%s' is not 1..2^32", v)
		    : CLI_OK;
	else if (!strcmp(name, "--users"))
		return cli_u64(v, 1024, 16777216, &u)
		    ? rc_usage_err(o, "--users: '%s' is not 1024..16777216", v)
		    : (o->users = (unsigned)u, CLI_OK);
	return CLI_OK;
}

static const char *const _valued[] = { "--catalog", "--catalog-csv",
	"--tags-csv", "--type", "--type-map", "--time-format", "--columns",
	"--catalog-columns", "--map", "--catalog-map", "--tags-map", "--rating",
	"--tag-sep", "--sep", "--catalog-sep", "--time-unit", "--tz-offset",
	"--encoding", "--rating-pos", "--rating-neg", "--max-events",
	"--users" };

int rc_setting(struct rc_opts *o, int argc, char **argv, int *i)
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
	bool negated = !strncmp(name, "no-", 3) || !strncmp(name, "no_", 3);
	if (!config && cfg_lookup(name, &is_bool)) {
		/* --no-NAME of a setting: the settings' parser takes it, or
		 * says only booleans have that form; it takes no value */
		if (!negated || cfg_lookup(name + 3, NULL))
			return 0;
		is_bool = true;
	}
	bool takes_next = !eq && (config || !is_bool);
	if (takes_next && *i + 1 >= argc)
		return rc_usage_err(o, "%s needs a value", a);
	char **grown =
	    realloc(o->set_argv, (size_t)(o->set_argc + 3) * sizeof(*grown));
	if (!grown)
		return rc_usage_err(o, "out of memory%s", "");
	o->set_argv = grown;
	if (!o->set_argc)
		o->set_argv[o->set_argc++] = (char *)o->prog;
	o->set_argv[o->set_argc++] = argv[*i];
	if (takes_next)
		o->set_argv[o->set_argc++] = argv[++*i];
	return 1;
}

int rc_arg(struct rc_opts *o, int argc, char **argv, int *i)
{
	for (size_t k = 0; k < sizeof(_valued) / sizeof(_valued[0]); k++) {
		const char *v = NULL;
		int m = cli_value(argc, argv, i, _valued[k], &v);
		if (m < 0)
			return rc_usage_err(o, "%s needs a value", _valued[k]);
		if (m) {
			int rc = _opt_value(o, _valued[k], v);
			return rc ? rc : 1;
		}
	}
	int rc = rc_setting(o, argc, argv, i);
	if (rc)
		return rc;
	if (!strcmp(argv[*i], "--csv"))
		o->rd.csv = true;
	else if (!strcmp(argv[*i], "--quiet"))
		o->quiet = true;
	else if (!strcmp(argv[*i], "--assume-utc"))
		o->rd.assume_tz = true, o->rd.tz_min = 0;
	else
		return 0;
	return 1;
}

int rc_apply_settings(struct rc_opts *o)
{
	char err[CFG_ERR_MAX];
	if (o->set_argc &&
	    cfg_parse_args(&o->settings, o->set_argc, o->set_argv, NULL, err,
		sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", o->prog, err);
		return CLI_USAGE;
	}
	if (cfg_check(&o->settings, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", o->prog, err);
		return CLI_USAGE;
	}
	/* The instance whose key names the users: penchant's --instance, or
	 * the settings' (--instance after the command, or a config file's),
	 * as penchantd would take it; two different ones are a mistake. */
	struct cfg dflt;
	cfg_defaults(&dflt);
	if (strcmp(o->settings.instance, dflt.instance)) {
		if (strcmp(o->instance, dflt.instance) &&
		    strcmp(o->instance, o->settings.instance)) {
			fprintf(stderr,
			    "%s: two instances: '%s' (penchant --instance) and '%s' (the settings); name one\n",
			    o->prog, o->instance, o->settings.instance);
			return CLI_USAGE;
		}
		o->instance = o->settings.instance;
	}
	char kerr[512];
	int rc = o->no_secret ? -ENOENT
			      : sec_load(o->settings.state_dir, o->instance,
				    false, o->secret, NULL, kerr, sizeof(kerr));
	if (rc == -ENOENT)
		memset(o->secret, 0, sizeof(o->secret));
	else if (rc) {
		fprintf(stderr, "%s: %s\n", o->prog, kerr);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* One verb of --type or --type-map: CLI_OK or a usage error naming the
 * verbs there are. */
static int _check_verb(const struct rc_opts *o, const struct evt_limits *lim,
    const char *flag, const char *v)
{
	if (evt_verb_parse(lim, v, strlen(v)) >= 0)
		return CLI_OK;
	char known[1024];
	size_t n = 0;
	known[0] = 0;
	for (unsigned t = 0; t < EVT_TYPE_COUNT; t++) {
		const char *name = evt_verb_name(lim, t);
		if (strcmp(name, "unknown_type") && n < sizeof(known))
			n += (size_t)snprintf(known + n, sizeof(known) - n,
			    "%s%s", n ? ", " : "", name);
	}
	fprintf(stderr,
	    "%s: %s '%s' is not a verb (known: %s; add one with --verbs=NAME:SIGNAL)\n",
	    o->prog, flag, v, known);
	return CLI_USAGE;
}

/* --type and the targets of --type-map name verbs the rows can take:
 * checked once here, so a typo is one usage error rather than a bad_type
 * on every line. */
static int _check_type(const struct rc_opts *o)
{
	const struct lr_options *rd = &o->rd;
	if (!rd->type && !rd->ntype_map)
		return CLI_OK;
	struct reg_header h = { 0 };
	struct boot_options bo = { .history = true };
	boot_params(&o->settings, &bo, &h);
	/* the default type is renamed by the map as a cell would be */
	const char *type = rd->type;
	for (unsigned i = 0; type && i < rd->ntype_map; i++)
		if (!strcasecmp(rd->type_from[i], type)) {
			type = rd->type_to[i];
			break;
		}
	if (type && _check_verb(o, &h.limits, "--type", type))
		return CLI_USAGE;
	for (unsigned i = 0; i < rd->ntype_map; i++)
		if (_check_verb(o, &h.limits, "--type-map", rd->type_to[i]))
			return CLI_USAGE;
	return CLI_OK;
}

/* Whether the user named any column of map m. */
static bool _mapped(const struct lr_map *m)
{
	for (unsigned k = 0; k < m->n; k++)
		if (m->explicit_[k])
			return true;
	return false;
}

/* Standard input can feed one input only: two '-' is said, not read as
 * one input and an empty other. */
static int _stdin_twice(const struct rc_opts *o, const char *input,
    const char *const files[RC_IN_COUNT])
{
	static const char *const flag[RC_IN_COUNT] = { "--catalog",
		"--catalog-csv", "--tags-csv" };
	const char *first = input && !strcmp(input, "-") ? "the log" : NULL;
	for (size_t i = 0; i < RC_IN_COUNT; i++) {
		if (!files[i] || strcmp(files[i], "-"))
			continue;
		if (first) {
			fprintf(stderr,
			    "%s: '-' (standard input) given to both %s and %s: stdin can feed one of them; give the other a file (see --help)\n",
			    o->prog, first, flag[i]);
			return CLI_USAGE;
		}
		first = flag[i];
	}
	return 0;
}

/*
 * One pipe (or terminal, or socket) given as two inputs: the log '-' and
 * a catalog /dev/stdin, or the same <(...) or FIFO path twice. The first
 * reader would take all of it and the second find it empty, or both
 * would get parts: refused, naming both. Told apart by device and inode
 * ('-' is standard input's); regular files may be given twice (a log
 * that is its own catalog), since each is opened on its own.
 */
static int _same_stream(const struct rc_opts *o, const char *input,
    const char *const files[RC_IN_COUNT])
{
	static const char *const flag[RC_IN_COUNT] = { "--catalog",
		"--catalog-csv", "--tags-csv" };
	const char *path[RC_IN_COUNT + 1], *what[RC_IN_COUNT + 1];
	struct stat st[RC_IN_COUNT + 1];
	bool have[RC_IN_COUNT + 1];
	path[0] = input;
	what[0] = "the log";
	for (int i = 0; i < RC_IN_COUNT; i++) {
		path[i + 1] = files[i];
		what[i + 1] = flag[i];
	}
	for (int i = 0; i <= RC_IN_COUNT; i++)
		have[i] = path[i] &&
		    (strcmp(path[i], "-") ? stat(path[i], &st[i])
					  : fstat(STDIN_FILENO, &st[i])) == 0 &&
		    !S_ISREG(st[i].st_mode) && !S_ISDIR(st[i].st_mode);
	for (int i = 0; i <= RC_IN_COUNT; i++)
		for (int j = i + 1; j <= RC_IN_COUNT; j++) {
			if (!have[i] || !have[j] ||
			    st[i].st_dev != st[j].st_dev ||
			    st[i].st_ino != st[j].st_ino)
				continue;
			fprintf(stderr,
			    "%s: %s (%s) and %s (%s) are one pipe or stream: it can be read once, by one of them; give the other a file (see --help)\n",
			    o->prog, what[i],
			    strcmp(path[i], "-") ? path[i] : "standard input",
			    what[j],
			    strcmp(path[j], "-") ? path[j] : "standard input");
			return CLI_USAGE;
		}
	return CLI_OK;
}

/*
 * A catalog from standard input or a pipe (--catalog <(zcat cat.gz)) is
 * read twice: once to size the region, once to load it. A pipe can be
 * read only once, so its bytes (inflated when gzip) are kept in an
 * unlinked file in $TMPDIR first. CLI_OK, or CLI_USAGE (printed).
 */
static int _spool(const struct rc_opts *o, const char *path, int *fd)
{
	const char *dir = getenv("TMPDIR");
	dir = dir && *dir ? dir : "/tmp";
	/* mkstemp's template: it replaces the six X (mode 0600) */
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/penchant-catalog-XXXXXX",
		dir) >= sizeof(tmp)) {
		fprintf(stderr,
		    "%s: %s is a pipe and is copied to TMPDIR first, but TMPDIR is longer than %zu bytes (set a shorter one, or give a file)\n",
		    o->prog, path, sizeof(tmp) - 32);
		return CLI_USAGE;
	}
	FILE *in; /* the copy is UTF-8, as the readers take it */
	if (lr_open_enc(&in, path, o->rd.encoding, o->prog, NULL))
		return CLI_USAGE;
	*fd = mkstemp(tmp);
	int e = errno;
	if (*fd >= 0)
		unlink(tmp);
	char buf[1 << 16];
	size_t k;
	while (*fd >= 0 && (k = fread(buf, 1, sizeof(buf), in)) > 0)
		if (write(*fd, buf, k) != (ssize_t)k) {
			e = errno;
			close(*fd);
			*fd = -1;
		}
	if (lr_close(in, path, o->prog, NULL))
		return CLI_USAGE;
	if (*fd < 0) {
		fprintf(stderr,
		    "%s: %s is a pipe and is read twice (to size the catalog, then to load it), so it is copied to %s first, which failed: %s (set TMPDIR, or give a file)\n",
		    o->prog, path, dir, strerror(e));
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* Catalog input i (RC_IN_*) from the start: its spooled copy, or the
 * file. 0, or an error (printed). */
static int _in_open(const struct rc_opts *o, int i, const char *path, FILE **f)
{
	if (o->spool_fd[i] < 0)
		return lr_open_enc(f, path, o->rd.encoding, o->prog, NULL);
	int fd =
	    lseek(o->spool_fd[i], 0, SEEK_SET) == 0 ? dup(o->spool_fd[i]) : -1;
	if (fd >= 0 && (*f = fdopen(fd, "r")))
		return 0;
	fprintf(stderr, "%s: cannot read the copy of %s: %s\n", o->prog, path,
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	return -EIO;
}

int rc_check_files(struct rc_opts *o, const char *input)
{
	o->input = input;
	if (o->rd.rating_neg >= o->rd.rating_pos)
		return rc_usage_err(o,
		    "--rating-neg must be below --rating-pos%s", "");
	if (_check_type(o))
		return CLI_USAGE;
	if (o->rd.columns && !o->rd.csv)
		return rc_usage_err(o, "--columns is for a CSV log (--csv)%s",
		    "");
	if (o->catalog_columns && !o->catalog_csv)
		return rc_usage_err(o,
		    "--catalog-columns is for --catalog-csv%s", "");
	/* A flag that would change nothing is a mistake to say, not to
	 * pass over: JSON lines name their fields, type and time. */
	if (!o->rd.csv &&
	    (_mapped(&o->rd.map) || o->rd.type || o->rd.unit != LR_UNIT_AUTO ||
		o->rating_set))
		return rc_usage_err(o,
		    "--map, --rating, --rating-pos, --rating-neg, --type and --time-unit are for a CSV log (--csv); JSON lines name their fields%s",
		    "");
	if (!o->catalog_csv && (_mapped(&o->cmap) || o->tag_sep != '|'))
		return rc_usage_err(o,
		    "--catalog-map and --tag-sep are for --catalog-csv%s", "");
	if (o->sep_set && !o->rd.csv && !o->catalog_csv && !o->tags_csv)
		return rc_usage_err(o,
		    "--sep is for CSV inputs (--csv, --catalog-csv, --tags-csv)%s",
		    "");
	if (o->catalog_sep && !o->catalog_csv && !o->tags_csv)
		return rc_usage_err(o,
		    "--catalog-sep is for --catalog-csv and --tags-csv%s", "");
	if (!o->tags_csv && _mapped(&o->tmap))
		return rc_usage_err(o, "--tags-map is for --tags-csv%s", "");
	const char *files[RC_IN_COUNT] = { o->catalog, o->catalog_csv,
		o->tags_csv };
	if (_stdin_twice(o, input, files) || _same_stream(o, input, files))
		return CLI_USAGE;
	struct stat st;
	for (size_t i = 0; i < RC_IN_COUNT; i++) {
		if (!files[i])
			continue;
		errno = EISDIR; /* what a readable directory is told */
		if (strcmp(files[i], "-") &&
		    (access(files[i], R_OK) ||
			(stat(files[i], &st) == 0 && S_ISDIR(st.st_mode)))) {
			fprintf(stderr, "%s: cannot open %s: %s\n", o->prog,
			    files[i], strerror(errno));
			return CLI_USAGE;
		}
		bool plain = strcmp(files[i], "-") &&
		    stat(files[i], &st) == 0 && S_ISREG(st.st_mode);
		if (!plain && _spool(o, files[i], &o->spool_fd[i]))
			return CLI_USAGE;
	}
	return CLI_OK;
}

/* The input (its flag, or "the log") that the existing file st is, or
 * NULL. Writing it would replace the data it holds with the output. */
static const char *_input_named(const struct rc_opts *o, const struct stat *st)
{
	const char *in[] = { o->input, o->catalog, o->catalog_csv,
		o->tags_csv };
	static const char *const what[] = { "the log", "--catalog",
		"--catalog-csv", "--tags-csv" };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct stat is;
		if (in[i] && strcmp(in[i], "-") && stat(in[i], &is) == 0 &&
		    is.st_dev == st->st_dev && is.st_ino == st->st_ino)
			return what[i];
	}
	return NULL;
}

int rc_check_out(const struct rc_opts *o, const char *path)
{
	struct stat st;
	if (!path || !strcmp(path, "-"))
		return CLI_OK;
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t dl = !slash			   ? 0
	    : slash == path			   ? 1 /* "/x": the root */
	    : (size_t)(slash - path) < sizeof(dir) ? (size_t)(slash - path)
						   : sizeof(dir) - 1;
	if (slash)
		memcpy(dir, path, dl);
	else
		dir[dl++] = '.';
	dir[dl] = 0;
	const char *why = !*path			  ? "an empty name"
	    : stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? "is a directory"
	    : stat(dir, &st) || !S_ISDIR(st.st_mode)
	    ? "its directory does not exist"
	    : NULL;
	if (why) {
		fprintf(stderr, "%s: cannot write %s: %s\n", o->prog, path,
		    why);
		return CLI_USAGE;
	}
	const char *in = stat(path, &st) == 0 ? _input_named(o, &st) : NULL;
	if (in) {
		fprintf(stderr,
		    "%s: cannot write %s: it is %s%s, which it would replace\n",
		    o->prog, path, in, strcmp(in, "the log") ? "'s file" : "");
		return CLI_USAGE;
	}
	return CLI_OK;
}

void rc_reader_setup(struct rc_opts *o,
    void (*progress)(void *, uint64_t, uint64_t, uint64_t), void *arg)
{
	/* The reader runs before the region exists (it sizes it): the limits
	 * boot_create() will store there. */
	struct reg_header h = { 0 };
	struct boot_options bo = { .history = true, .user_secret = o->secret };
	boot_params(&o->settings, &bo, &h);
	o->rd.lim = h.limits;
	o->rd.progress = progress;
	o->rd.progress_arg = arg;
}

char rc_catalog_sep(const struct rc_opts *o)
{
	return o->catalog_sep ? o->catalog_sep : o->rd.sep;
}

/* --- reading the log (tools/logread.h) -------------------------------- */

int rc_read_log(struct rc_run *x, const char *path)
{
	const struct rc_opts *o = x->o;
	int rc = lr_read(&x->log, path, &o->rd);
	if (rc == -E2BIG)
		fprintf(stderr,
		    "%s: %s has more than %llu events: refused (each needs 144 bytes until it is applied); raise --max-events if memory allows\n",
		    o->prog, path, o->rd.max_events);
	return rc ? CLI_USAGE : CLI_OK;
}

/* --- region ----------------------------------------------------------- */

/* Lines of catalog input i (to size the catalog); 0 when it cannot be
 * read. */
static size_t _count_lines(const struct rc_opts *o, int in, const char *path)
{
	FILE *f;
	if (!path || (o->spool_fd[in] < 0 && access(path, R_OK)) ||
	    _in_open(o, in, path, &f))
		return 0;
	/* Line ends as the readers take them: LF, CRLF, or a lone CR. */
	char buf[1 << 16], prev = 0;
	size_t n = 0, k;
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
		for (size_t i = 0; i < k; prev = buf[i++])
			n += buf[i] == '\r' || (buf[i] == '\n' && prev != '\r');
	fclose(f);
	return n + 1;
}

static unsigned _clampu(size_t v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : (unsigned)v;
}

void rc_config(const struct rc_opts *o, size_t users, struct cfg *c)
{
	*c = o->settings; /* every learner and input setting as given */
	c->shards = 1;
	c->producer_slots = 2;
	c->acceptor_slots = 0;
	c->profiles_per_shard =
	    o->users ? o->users : _clampu(users + 16, 1024, 16777216);
	size_t items = _count_lines(o, RC_IN_CATALOG, o->catalog) +
	    _count_lines(o, RC_IN_CATALOG_CSV, o->catalog_csv);
	size_t tags = _count_lines(o, RC_IN_TAGS_CSV, o->tags_csv);
	c->catalog_capacity = _clampu(items + 16, 16, 4194304);
	/* Neighbour lists for every catalog item, unless switched off. */
	if (c->neighbor_items && c->neighbor_items < items + 16)
		c->neighbor_items = _clampu(items + 16, 16, 4194304);
	c->names_capacity =
	    _clampu(9 * items + tags + 64, c->names_capacity, 4194304);
}

int rc_open_region(struct rc_run *x, const char *prefix, const struct cfg *c)
{
	char err[512];
	snprintf(x->instance, sizeof(x->instance), "%s-%d", prefix,
	    (int)getpid());
	/* replace: a region of this name was left by a killed run that had
	 * our pid. history: a log reaches back before the window. */
	struct boot_options bo = { .replace = true,
		.history = true,
		.user_secret = x->o->secret };
	int rc =
	    boot_create(&x->r, x->instance, c, NULL, &bo, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s\n", x->o->prog, err);
		return rc;
	}
	rc = pen_open(x->instance, &x->p, err, sizeof(err));
	reg_unlink(x->instance);
	if (rc) {
		fprintf(stderr, "%s: %s\n", x->o->prog,
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

/* Whether the cells of fields f[0..n) are text (evt_text_ok): names go
 * into the name table and out as JSON. -EINVAL (err) when one is not. */
static int _text_cells(const struct lr_csv *c, const unsigned *f, unsigned n,
    char *err, size_t errlen)
{
	for (unsigned i = 0; i < n; i++) {
		struct evt_str v = lr_csv_cell(c, f[i]);
		if (v.len && !evt_text_ok(v.p, v.len)) {
			snprintf(err, errlen,
			    "column %s: not UTF-8 text (or holds a control byte)",
			    lr_csv_column_name(c, lr_csv_column(c, f[i])));
			return -EINVAL;
		}
	}
	return 0;
}

/* --- repeated ids ----------------------------------------------------- */

static int _seen_grow(struct rc_seen *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	uint64_t *key = calloc(cap, sizeof(*key));
	uint32_t *line = calloc(cap, sizeof(*line));
	uint8_t *in = calloc(cap, sizeof(*in));
	if (!key || !line || !in) {
		free(key);
		free(line);
		free(in);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->line[i])
			continue;
		size_t h = s->key[i] & (cap - 1);
		while (line[h])
			h = (h + 1) & (cap - 1);
		key[h] = s->key[i];
		line[h] = s->line[i];
		in[h] = s->in[i];
	}
	free(s->key);
	free(s->line);
	free(s->in);
	s->key = key;
	s->line = line;
	s->in = in;
	s->cap = cap;
	return 0;
}

/* A catalog row of id loaded from line lineno of the current input:
 * counts it in x->cat_repeated when an earlier row had the id. */
static void _seen_row(struct rc_run *x, const char *id, size_t len,
    size_t lineno)
{
	struct rc_seen *s = &x->seen;
	if (s->oom || ((s->n + 1) * 2 > s->cap && _seen_grow(s))) {
		s->oom = true;
		return;
	}
	uint64_t key = evt_entity_key(id, len);
	size_t h = key & (s->cap - 1);
	for (; s->line[h]; h = (h + 1) & (s->cap - 1)) {
		if (s->key[h] != key)
			continue;
		if (!x->cat_repeated++) {
			snprintf(s->id, sizeof(s->id), "%.*s",
			    (int)(len < sizeof(s->id) - 1 ? len
							  : sizeof(s->id) - 1),
			    id);
			s->in0 = s->in[h];
			s->line0 = s->line[h];
			s->in1 = s->cur;
			s->line1 = (uint32_t)lineno;
		}
		return;
	}
	s->key[h] = key;
	s->line[h] = lineno > UINT32_MAX ? UINT32_MAX : (uint32_t)lineno;
	s->in[h] = (uint8_t)s->cur;
	s->n++;
}

static void _seen_json(void *arg, const char *id, size_t len, size_t lineno)
{
	_seen_row(arg, id, len, lineno);
}

static const char *_in_path(const struct rc_opts *o, int in)
{
	return in == RC_IN_CATALOG ? o->catalog : o->catalog_csv;
}

/* Once: the rows that replaced an earlier row of the same id. A long
 * format file (one property per row) read as one item per row gives
 * each item its last row only, which is rarely what was meant. */
static void _seen_warn(const struct rc_run *x)
{
	const struct rc_seen *s = &x->seen;
	if (!x->cat_repeated)
		return;
	fprintf(stderr,
	    "%s: warning: %llu catalog rows repeat the id of an earlier row and replace it (the last row wins); the first: id '%s' at %s:%u, again at %s:%u\n",
	    x->o->prog, (unsigned long long)x->cat_repeated, s->id,
	    _in_path(x->o, s->in0), s->line0, _in_path(x->o, s->in1), s->line1);
}

static void _seen_free(struct rc_seen *s)
{
	free(s->key);
	free(s->line);
	free(s->in);
	memset(s, 0, sizeof(*s));
}

/* One catalog CSV row into the catalog. 0, -EINVAL (err), -ENOSPC. */
static int _cat_row(struct rc_run *x, const struct lr_csv *c, char *err,
    size_t errlen)
{
	const struct reg *r = &x->r;
	struct evt_str id = lr_csv_cell(c, RC_C_ID), first = { NULL, 0 };
	struct cat_item it;
	memset(&it, 0, sizeof(it));
	it.price_level = 255;
	if (!id.len) {
		snprintf(err, errlen, "column %s: empty id",
		    lr_csv_column_name(c, lr_csv_column(c, RC_C_ID)));
		return -EINVAL;
	}
	static const unsigned text[] = { RC_C_ID, RC_C_TAGS, RC_C_CATEGORY };
	if (_text_cells(c, text, 3, err, errlen))
		return -EINVAL;
	int rc = _split_tags(r, lr_csv_cell(c, RC_C_TAGS), x->o->tag_sep, &it,
	    &first);
	struct evt_str cat = lr_csv_cell(c, RC_C_CATEGORY);
	if (!cat.len)
		cat = first;
	if (!rc && cat.len) {
		it.item.category = evt_tag_id(cat.p, cat.len);
		rc = _name(r, NAME_CATEGORY, cat.p, cat.len);
	}
	struct evt_str la = lr_csv_cell(c, RC_C_LAT),
		       lo = lr_csv_cell(c, RC_C_LON);
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
	if (!rc)
		_seen_row(x, id.p, id.len, c->recline);
	return rc;
}

/* One user tag row: appended to its item when there is room. */
static int _tag_row(struct rc_run *x, const struct lr_csv *c, char *err,
    size_t errlen)
{
	struct evt_str id = lr_csv_cell(c, RC_T_ENTITY),
		       tag = lr_csv_cell(c, RC_T_TAG);
	static const unsigned text[] = { RC_T_ENTITY, RC_T_TAG };
	if (_text_cells(c, text, 2, err, errlen))
		return -EINVAL;
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
static int _load_csv(struct rc_run *x, const char *path, enum _csv_kind kind)
{
	FILE *f;
	if (_in_open(x->o,
		kind == _CATALOG ? RC_IN_CATALOG_CSV : RC_IN_TAGS_CSV, path,
		&f))
		return CLI_USAGE;
	struct lr_csv c;
	const struct lr_map *m = kind == _CATALOG ? &x->o->cmap : &x->o->tmap;
	char err[300];
	uint64_t shown = 0; /* rejected rows of this file */
	int rc = lr_csv_open_named(&c, f, path, m,
		     kind == _CATALOG ? x->o->catalog_columns : NULL,
		     rc_catalog_sep(x->o), NULL)
	    ? CLI_USAGE
	    : CLI_OK;
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
			k = kind == _CATALOG
			    ? _cat_row(x, &c, err, sizeof(err))
			    : _tag_row(x, &c, err, sizeof(err));
		if (k == -ENOSPC && kind == _TAGS)
			snprintf(err, sizeof(err), "name table full");
		if (k == -ENOMEM) {
			rc = CLI_USAGE;
		} else if (k < 0) {
			if (++shown <= LR_SHOWN_REJECTS)
				fprintf(stderr, "%s:%zu: %s\n", path, c.recline,
				    err);
			x->cat_rejected++;
			if (k == -ENOSPC)
				rc = CLI_USAGE;
		} else if (kind == _CATALOG) {
			x->cat_loaded++;
		}
	}
	lr_csv_free(&c);
	if (shown > LR_SHOWN_REJECTS)
		fprintf(stderr,
		    "%s: %llu more rejected lines not shown (the first %d are; counts are exact)\n",
		    path, (unsigned long long)(shown - LR_SHOWN_REJECTS),
		    LR_SHOWN_REJECTS);
	return lr_close(f, path, x->o->prog, NULL) ? CLI_USAGE : rc;
}

static int _load_json_catalog(struct rc_run *x, const char *path)
{
	FILE *f;
	if (_in_open(x->o, RC_IN_CATALOG, path, &f))
		return CLI_USAGE;
	unsigned loaded = 0, failed = 0;
	x->seen.cur = RC_IN_CATALOG;
	int rc = cli_catalog_load_seen(&x->r, f, path, &loaded, &failed,
	    _seen_json, x);
	x->cat_loaded += loaded;
	x->cat_rejected += failed;
	return lr_close(f, path, x->o->prog, NULL) == 0 && rc == 0 ? CLI_OK
								   : CLI_USAGE;
}

int rc_load_catalog(struct rc_run *x)
{
	const struct rc_opts *o = x->o;
	char err[256];
	if (!o->catalog && !o->catalog_csv && !o->tags_csv)
		return CLI_OK;
	if (cat_lock(&x->r, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", o->prog, err);
		return CLI_USAGE;
	}
	int rc = CLI_OK;
	if (o->catalog)
		rc = _load_json_catalog(x, o->catalog);
	x->seen.cur = RC_IN_CATALOG_CSV;
	if (rc == CLI_OK && o->catalog_csv)
		rc = _load_csv(x, o->catalog_csv, _CATALOG);
	if (rc == CLI_OK && o->tags_csv)
		rc = _load_csv(x, o->tags_csv, _TAGS);
	cat_unlock(&x->r);
	_seen_warn(x);
	_seen_free(&x->seen);
	return rc;
}

/* --- learning --------------------------------------------------------- */

static int _key_cmp(const void *a, const void *b)
{
	const struct rc_key *p = a, *q = b;
	if (p->t != q->t)
		return p->t < q->t ? -1 : 1;
	return p->i < q->i ? -1 : p->i > q->i;
}

struct rc_key *rc_sorted(const struct lr_log *log)
{
	size_t n = log->ev.n;
	struct rc_key *k = malloc((n ? n : 1) * sizeof(*k));
	if (!k)
		return NULL;
	for (size_t i = 0; i < n; i++)
		k[i] = (struct rc_key){ lr_event(log, i)->time_ms, i };
	qsort(k, n, sizeof(*k), _key_cmp);
	return k;
}

int rc_publish(struct rc_run *x, const struct evt_record *b, size_t n)
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

void rc_drain(struct rc_run *x)
{
	while (shard_poll(&x->r, 0, x->r.hdr->geo.ring_depth))
		;
}

const uint64_t *rc_worker_counters(const struct rc_run *x)
{
	return reg_proc(&x->r, reg_proc_worker(&x->r, 0))->counters;
}

uint64_t rc_table_full(const struct rc_run *x)
{
	uint64_t n = rc_worker_counters(x)[REG_C_REJECT0 + EVT_R_TABLE_FULL];
	if (n)
		fprintf(stderr,
		    "%s: %llu events not learned: the profile table holds %u users and was full (raise --users)\n",
		    x->o->prog, (unsigned long long)n,
		    x->r.hdr->geo.profiles_per_shard);
	return n;
}

void rc_close_region(struct rc_run *x)
{
	if (x->p)
		pen_close(&x->p);
	if (x->r.base)
		reg_detach(&x->r);
}

void rc_close(struct rc_run *x)
{
	rc_close_region(x);
	lr_log_free(&x->log);
}
