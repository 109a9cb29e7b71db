/*
 * experiments: `penchant experiments`, the running A/B tests and what
 * their counts say (docs/EXPERIMENTS.md), and `penchant experiments load
 * FILE` to replace the set.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/experiments_json.h"
#include "ipc/profile_json.h"
#include "tools/cli.h"

#define _USAGE                                                                    \
	"usage: penchant experiments [--json]\n"                                  \
	"       penchant experiments load FILE\n\n"                               \
	"Without a subcommand: every experiment with each variant's exposures,\n" \
	"click-through and conversion per exposure, and against the control\n"    \
	"(the first variant): the difference with its 95% interval and p-value\n" \
	"(two-proportion z test), Welch's t on reward per exposure, the\n"        \
	"probability of beating the control (Bayesian), the always-valid\n"       \
	"p-value and interval (mSPRT: valid however often you look), and the\n"   \
	"sample-ratio-mismatch check of the split.\n"                             \
	"load FILE: replaces the running experiments with FILE's definitions\n"   \
	"(JSON lines, '-' for stdin); an experiment that keeps its name keeps\n"  \
	"its counts. A definition whose segment is not in the segment table\n"    \
	"loads with a warning (segments appear as the segmenter refreshes).\n"    \
	"FILE is at most 1 MiB. Exit 0 ok, 1 definitions refused, 2 usage,\n"     \
	"3 unreachable, 5 another load is running (nothing changed: load\n"       \
	"again once it ends).\n"

static void _pct(char *buf, size_t n, double v)
{
	if (isfinite(v))
		snprintf(buf, n, "%+.2f%%", 100 * v);
	else
		snprintf(buf, n, "-");
}

static void _text(const struct pen_experiments *x)
{
	if (!x->n)
		printf("no experiments (penchant experiments load FILE)\n");
	for (unsigned i = 0; i < x->n; i++) {
		const struct pen_experiment *e = &x->e[i];
		printf("%s%s: %u variants, %s split%s", e->name,
		    e->active ? "" : " (stopped)", e->n_variants,
		    e->bandit ? "bandit" : "fixed",
		    e->segment >= 0 ? ", one segment" : "");
		if (isfinite(e->srm_p))
			printf("; sample ratio p %.3g%s", e->srm_p,
			    e->srm_broken ? " MISMATCH: do not trust" : "");
		else if (!e->bandit)
			printf("; sample ratio not available (no users yet)");
		if (e->evicted)
			printf(
			    "; %llu requests evicted in the window: rates approximate",
			    (unsigned long long)e->evicted);
		if (e->stale)
			printf("; %llu outcomes of an earlier run ignored",
			    (unsigned long long)e->stale);
		printf("\n  %-12s %-12s %9s %7s %7s %9s %20s %8s %7s %7s\n",
		    "variant", "strategy", "exposures", "ctr", "conv",
		    "ctr diff", "95% interval", "p", "P(beat)", "avp");
		for (unsigned k = 0; k < e->n_variants; k++) {
			const struct pen_variant *v = &e->v[k];
			/* "n/a": the z test cannot run yet (no click in
			 * either arm, or no exposure). */
			char d[24], lo[24], hi[24], iv[64] = "n/a";
			_pct(d, sizeof(d), v->ctr_diff);
			_pct(lo, sizeof(lo), v->ctr_lo);
			_pct(hi, sizeof(hi), v->ctr_hi);
			if (!isfinite(v->ctr_diff))
				snprintf(d, sizeof(d), "n/a");
			if (isfinite(v->ctr_lo))
				snprintf(iv, sizeof(iv), "[%s, %s]", lo, hi);
			char pv[16] = "n/a", pb[16] = "-", av[16] = "-";
			if (k && isfinite(v->ctr_p))
				snprintf(pv, sizeof(pv), "%.3g", v->ctr_p);
			if (k && isfinite(v->prob_beats_control))
				snprintf(pb, sizeof(pb), "%.3f",
				    v->prob_beats_control);
			if (k && isfinite(v->always_valid_p))
				snprintf(av, sizeof(av), "%.3g",
				    v->always_valid_p);
			char st[32]; /* the strategy, + its diversifier */
			snprintf(st, sizeof(st), "%s%s%s", v->strategy,
			    v->diversifier[0] ? "+" : "", v->diversifier);
			printf(
			    "  %-12s %-12s %9llu %6.2f%% %6.2f%% %9s %20s %8s %7s %7s\n",
			    v->name, st, (unsigned long long)v->exposures,
			    isfinite(v->ctr) ? 100 * v->ctr : 0.0,
			    isfinite(v->conversion) ? 100 * v->conversion : 0.0,
			    k ? d : "control", k ? iv : "", k ? pv : "-", pb,
			    av);
		}
	}
}

/* An experiments file's cap: EXP_MAX definitions fit many times over. */
#define _FILE_MAX (1u << 20)

/* The whole file, or NULL (a message printed): a read error is not taken
 * for its end, which would load less than was written. A file of exactly
 * _FILE_MAX bytes is read whole: one byte more is what tells it over. */
static char *_slurp(const char *path, size_t *len)
{
	FILE *f = cli_fopen_in("experiments", path);
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	bool over = false;
	size_t got;
	while (buf && !over && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		over = n > _FILE_MAX;
		if (n == cap && !over) {
			size_t nc =
			    cap * 2 < _FILE_MAX + 1 ? cap * 2 : _FILE_MAX + 1;
			char *nb = realloc(buf, nc);
			if (!nb)
				free(buf);
			buf = nb;
			cap = nc;
		}
	}
	if (!buf) {
		fprintf(stderr,
		    "penchant experiments: %s: out of memory reading it\n",
		    path);
	} else if (over) {
		fprintf(stderr,
		    "penchant experiments: %s: larger than 1 MiB (%u bytes, the cap of a definitions file): nothing loaded\n",
		    path, _FILE_MAX);
		free(buf);
		buf = NULL;
	} else if (ferror(f)) {
		fprintf(stderr, "penchant experiments: cannot read %s: %s\n",
		    path, strerror(errno));
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

/* The names of x's running experiments not running in `except` (may
 * be NULL), comma separated; how many. */
static unsigned _running(const struct pen_experiments *x, char *names,
    size_t len, const struct pen_experiments *except)
{
	unsigned n = 0;
	names[0] = 0;
	for (unsigned i = 0; i < x->n; i++) {
		bool still = false;
		for (unsigned j = 0; except && j < except->n; j++)
			still |= except->e[j].active &&
			    !strcmp(except->e[j].name, x->e[i].name);
		if (!x->e[i].active || still)
			continue;
		size_t at = strlen(names);
		snprintf(names + at, len - at, "%s%s", n++ ? ", " : "",
		    x->e[i].name);
	}
	return n;
}

/* What a load did: how many run now, and which ones it stopped (an
 * empty file stops them all: that is no plain "loaded"). */
static void _loaded(pen_t *p, const char *path,
    const struct pen_experiments *before)
{
	struct pen_experiments *after = malloc(sizeof(*after));
	char names[400], gone[400];
	if (!after || pen_experiments_read(p, after)) {
		fprintf(stderr, "penchant experiments: loaded %s\n", path);
		free(after);
		return;
	}
	unsigned now = _running(after, names, sizeof(names), NULL);
	unsigned stopped = _running(before, gone, sizeof(gone), after);
	fprintf(stderr, "penchant experiments: loaded %s: %u running", path,
	    now);
	if (stopped)
		fprintf(stderr, ", stopped %u (%s)", stopped, gone);
	fprintf(stderr, "\n");
	free(after);
}

static int _load(pen_t *p, const char *path)
{
	size_t len = 0;
	char *text = _slurp(path, &len), err[512];
	if (!text)
		return CLI_USAGE;
	struct pen_experiments *before = calloc(1, sizeof(*before));
	if (before && pen_experiments_read(p, before))
		before->n = 0;
	int rc = pen_experiments_load(p, text, len, err, sizeof(err));
	free(text);
	if (rc) {
		if (rc == -EBUSY)
			fprintf(stderr,
			    "penchant experiments: %s: nothing of %s was loaded; load it again once that load ends (exit %d: busy)\n",
			    err[0] ? err : pen_strerror(rc), path, CLI_BUSY);
		else
			fprintf(stderr, "penchant experiments: %s: %s\n", path,
			    err[0] ? err : pen_strerror(rc));
		free(before);
		return rc == -EBUSY ? CLI_BUSY : CLI_PARTIAL;
	}
	if (before)
		_loaded(p, path, before);
	else
		fprintf(stderr, "penchant experiments: loaded %s\n", path);
	free(before);
	/* notes, one a line */
	for (char *at = err, *nl; at && *at; at = nl ? nl + 1 : NULL) {
		nl = strchr(at, '\n');
		fprintf(stderr, "penchant experiments: %.*s\n",
		    (int)(nl ? (size_t)(nl - at) : strlen(at)), at);
	}
	return CLI_OK;
}

int cli_experiments(const struct cli *c, int argc, char **argv)
{
	if (cli_help(argc, argv, _USAGE))
		return CLI_OK;
	bool json = c->json, json_given = false;
	const char *load = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = json_given = true;
		} else if (!strcmp(argv[i], "load") && !load) {
			if (i + 1 >= argc) {
				fprintf(stderr,
				    "penchant experiments: load needs a FILE ('-' for stdin)\n");
				return CLI_USAGE;
			}
			load = argv[++i];
		} else {
			fprintf(stderr,
			    "penchant experiments: unexpected '%s' (see --help)\n",
			    argv[i]);
			return CLI_USAGE;
		}
	}
	/* load prints no report: a JSON reader waiting for one got none */
	if (load && json_given) {
		fprintf(stderr,
		    "penchant experiments: --json is for the report; load prints none (run penchant experiments --json after it)\n");
		return CLI_USAGE;
	}
	pen_t *p;
	int rc = cli_open(c, &p);
	if (rc)
		return rc;
	if (load) {
		rc = _load(p, load);
		pen_close(&p);
		return rc;
	}
	struct pen_experiments *x = malloc(sizeof(*x));
	if (!x || pen_experiments_read(p, x)) {
		fprintf(stderr, "penchant experiments: cannot read them\n");
		free(x);
		pen_close(&p);
		return CLI_UNREACHABLE;
	}
	if (json)
		client_experiments_json(stdout, x);
	else
		_text(x);
	free(x);
	pen_close(&p);
	return CLI_OK;
}
