/*
 * cli: what the subcommands of `penchant` share. Exit codes are part of the
 * interface scripts rely on.
 */
#ifndef PENCHANT_TOOLS_CLI_H
#define PENCHANT_TOOLS_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "ipc/profile_json.h"
#include "penchant.h"
#include "shm/region.h"

enum cli_exit {
	CLI_OK = 0,
	CLI_PARTIAL = 1,     /* ran, but some input was rejected */
	CLI_USAGE = 2,	     /* bad command line */
	CLI_UNREACHABLE = 3, /* instance not running or incompatible */
	CLI_NOT_FOUND = 4,   /* e.g. no profile for that user */
	CLI_BUSY = 5, /* another process holds the lock the command needs (a
		       * catalog or experiments load): nothing was done, and
		       * running it again once that one ends will do it */
};

struct cli {
	const char *instance;
	bool json;
};

/* Opens the instance or prints why not (returns CLI_UNREACHABLE). */
int cli_open(const struct cli *c, pen_t **p);

/*
 * Opens path ("-": stdin) to read; NULL after "penchant WHAT: cannot open
 * PATH: why" on stderr. A directory is refused here (fopen takes one, and
 * reading it would look like an empty file).
 */
FILE *cli_fopen_in(const char *what, const char *path);

/*
 * CLI_OK when user names a user events could have made on instance p,
 * else CLI_USAGE after "penchant CMD: bad user id: why" (the id itself
 * is not echoed: it may hold control bytes).
 */
int cli_user_check(const char *cmd, pen_t *p, const char *user);

/*
 * A flag with a value at argv[*i]: "NAME VALUE" (the next word, *i moved
 * past it) or "NAME=VALUE", as the settings take them. 1 with *v set, 0
 * when argv[*i] is not NAME, -1 when the value is missing or is an
 * option ("NAME --x"; "NAME=--x" gives one).
 */
int cli_value(int argc, char **argv, int *i, const char *name, const char **v);

/* A decimal integer in [lo, hi]: digits only (no sign, blank, or 0x: a
 * person's number). 0, or -EINVAL. */
int cli_u64(const char *s, unsigned long long lo, unsigned long long hi,
    unsigned long long *out);

/* A finite decimal number in [lo, hi]: digits with an optional point and
 * exponent, a leading '-' only (no blank, '+', hex or inf). 0, or -EINVAL. */
int cli_f64(const char *s, double lo, double hi, double *out);

/*
 * Calls line(text, len, lineno, ctx) for each line of f as the log readers
 * split them: ends LF, CRLF or a lone CR, a UTF-8 byte order mark before
 * the first skipped, blank lines included (len 0). A non-zero return of
 * line stops and is returned; else 0, or -ENOMEM. A read error ends it
 * like the end of the file: see ferror(f).
 */
int cli_lines(FILE *f,
    int (*line)(char *text, size_t len, size_t lineno, void *ctx), void *ctx);

/* True (after printing text to stdout) when argv[1..] has --help or -h
 * before any "--". */
bool cli_help(int argc, char **argv, const char *text);

/*
 * Holds SIGINT, SIGTERM and SIGHUP off from here to cli_signals_release:
 * for a step that must finish once begun (an erasure published is
 * recorded and the snapshot rewritten; it waits a bounded time). Into
 * *old the mask to restore.
 */
void cli_signals_hold(sigset_t *old);

/* Restores *old; a signal held meanwhile is taken (it does not end the
 * process) and said, as "penchant CMD: interrupt held until ...". */
void cli_signals_release(const char *cmd, const sigset_t *old);

/* The subcommands, one file each (tools/NAME.c; catalog: catalog_cmd.c). */
int cli_status(const struct cli *c, int argc, char **argv);
int cli_send(const struct cli *c, int argc, char **argv);
int cli_profile(const struct cli *c, int argc, char **argv);
int cli_catalog(const struct cli *c, int argc, char **argv);
int cli_demo(const struct cli *c, int argc, char **argv);
int cli_replay(const struct cli *c, int argc, char **argv);
int cli_eval(const struct cli *c, int argc, char **argv);
int cli_simulate(const struct cli *c, int argc, char **argv);
int cli_segments(const struct cli *c, int argc, char **argv);
int cli_erase(const struct cli *c, int argc, char **argv);
int cli_consent(const struct cli *c, int argc, char **argv);
int cli_export(const struct cli *c, int argc, char **argv);
int cli_experiments(const struct cli *c, int argc, char **argv);
int cli_audit(const struct cli *c, int argc, char **argv);

/* The segments as `penchant segments --json` prints them (a line). */
void cli_segments_json(FILE *f, const struct pen_segments *s);

/* Records a catalog load (FILE, "-" for stdin) in the instance's audit
 * trail; a failure to record it is a warning on stderr. */
void cli_catalog_audit(const struct reg *r, const char *file, unsigned loaded,
    unsigned failed);

/* Catalog lines from a stream into the region; errors name FILE:LINE. A
 * read error ends it like the end of the file: see ferror(file). 0,
 * -ENOMEM, or -EINTR when `penchant catalog load` caught a signal (what
 * came before it is loaded). */
int cli_catalog_load_stream(const struct reg *r, void *file, const char *name,
    unsigned *loaded, unsigned *failed);

/* The same, calling seen(arg, id, len, lineno) for each line loaded (the
 * id as the line gave it, valid during the call only). */
typedef void (
    *cli_catalog_seen_fn)(void *arg, const char *id, size_t len, size_t lineno);
int cli_catalog_load_seen(const struct reg *r, void *file, const char *name,
    unsigned *loaded, unsigned *failed, cli_catalog_seen_fn seen, void *arg);

/* JSON string output (quotes and escapes) to stdout; to a FILE, times and
 * the profile's JSON: ipc/profile_json.h. */
void cli_json_str(const char *s);

/*
 * Columns of UTF-8 text for printf's "%-*s": cli_pad(s, w) is the field
 * width in bytes that pads s to w characters (printf counts bytes, so an
 * accented name would come out a column short per accent). Characters
 * are code points; East Asian wide characters are not told apart.
 */
int cli_pad(const char *s, int w);

/* The precision in bytes for "%.*s" that cuts s after at most w
 * characters, never inside one. */
int cli_cut(const char *s, int w);

#endif
