/*
 * cli: what the subcommands of `penchant` share (cli.h): opening the
 * instance, --help handling, JSON strings.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/event.h"
#include "ipc/client.h"
#include "tools/cli.h"

void cli_json_str(const char *s)
{
	client_json_fstr(stdout, s);
}

/* Bytes of s's first w characters (or all of s); *chars gets their count. */
static size_t _utf8_prefix(const char *s, int w, int *chars)
{
	size_t b = 0;
	int n = 0;
	while (s[b] && n < w) {
		b++;
		while (((unsigned char)s[b] & 0xC0) == 0x80)
			b++; /* continuation bytes belong to the character */
		n++;
	}
	*chars = n;
	return b;
}

int cli_pad(const char *s, int w)
{
	int n;
	size_t b = _utf8_prefix(s, w, &n);
	return (int)b + (w - n);
}

int cli_cut(const char *s, int w)
{
	int n;
	return (int)_utf8_prefix(s, w, &n);
}

int cli_open(const struct cli *c, pen_t **p)
{
	char err[512];
	int rc = pen_open(c->instance, p, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "penchant: %s\n",
		    err[0] ? err : pen_strerror(rc));
		return CLI_UNREACHABLE;
	}
	return CLI_OK;
}

FILE *cli_fopen_in(const char *what, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	struct stat st;
	if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		if (f != stdin)
			fclose(f);
		f = NULL;
		errno = EISDIR;
	}
	if (!f)
		fprintf(stderr, "penchant %s: cannot open %s: %s\n", what, path,
		    strerror(errno));
	return f;
}

int cli_user_check(const char *cmd, pen_t *p, const char *user)
{
	const char *bad = evt_user_id_problem(&client_region(p)->hdr->limits,
	    user, strlen(user));
	if (!bad)
		return CLI_OK;
	fprintf(stderr, "penchant %s: bad user id: %s\n", cmd, bad);
	return CLI_USAGE;
}

int cli_value(int argc, char **argv, int *i, const char *name, const char **v)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n))
		return 0;
	if (argv[*i][n] == '=') {
		*v = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n])
		return 0;
	/* A value is not an option: "--out --json" forgot the file (as the
	 * settings' parser has it; --out=--json names one). */
	if (*i + 1 >= argc || !strncmp(argv[*i + 1], "--", 2))
		return -1;
	*v = argv[++*i];
	return 1;
}

int cli_u64(const char *s, unsigned long long lo, unsigned long long hi,
    unsigned long long *out)
{
	unsigned long long v = 0;
	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (d > 9 || v > (ULLONG_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_f64(const char *s, double lo, double hi, double *out)
{
	const char *d = s && *s == '-' ? s + 1 : s;
	/* strtod would take blanks, '+', hex floats, inf and nan too */
	if (!d ||
	    !(isdigit((unsigned char)*d) ||
		(*d == '.' && isdigit((unsigned char)d[1]))) ||
	    strpbrk(d, "xXpP"))
		return -EINVAL;
	char *end;
	int saved = errno;
	errno = 0;
	double v = strtod(s, &end);
	bool ok = !*end && !errno && isfinite(v) && v >= lo && v <= hi;
	errno = saved;
	if (!ok)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_lines(FILE *f,
    int (*line)(char *text, size_t len, size_t lineno, void *ctx), void *ctx)
{
	char *buf = NULL;
	size_t cap = 0, lineno = 0;
	int rc = 0;
	while (!rc) {
		errno = 0;
		ssize_t got = getline(&buf, &cap, f);
		if (got < 0) { /* the end, a read error (ferror), or memory */
			rc = errno == ENOMEM && !ferror(f) ? -ENOMEM : 0;
			break;
		}
		char *p = buf, *end = buf + got;
		if (lineno == 0 && got >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
			p += 3;
		while (!rc && p < end) {
			char *e = p;
			while (e < end && *e != '\r' && *e != '\n')
				e++;
			rc = line(p, (size_t)(e - p), ++lineno, ctx);
			if (e < end && *e == '\r' && e + 1 < end &&
			    e[1] == '\n')
				e++;
			p = e < end ? e + 1 : e;
		}
	}
	free(buf);
	return rc;
}

bool cli_help(int argc, char **argv, const char *text)
{
	/* After "--" every word is an operand: `erase -- --help` names the
	 * user "--help", it does not ask for help. */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(text, stdout);
			return true;
		}
	return false;
}

static void _stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

void cli_signals_hold(sigset_t *old)
{
	sigset_t set;
	_stop_signals(&set);
	sigprocmask(SIG_BLOCK, &set, old);
}

void cli_signals_release(const char *cmd, const sigset_t *old)
{
	sigset_t set;
	_stop_signals(&set);
	struct timespec now = { 0, 0 };
	int sig, n = 0;
	/* Taken, not delivered: the step is done and its result stands;
	 * dying now would only lose the report (and the exit code). */
	while ((sig = sigtimedwait(&set, NULL, &now)) > 0)
		if (!n++)
			fprintf(stderr,
			    "penchant %s: %s held until the step under way was done (it cannot be undone half-way)\n",
			    cmd, strsignal(sig));
	sigprocmask(SIG_SETMASK, old, NULL);
}
