/*
 * stats_dump: runs engine/stats.h over the recorded cases of a file (one
 * case a line: a kind, then its inputs; see stats_cases.txt) and prints, for
 * each case, its line number, its kind and every output with 17 significant
 * digits. stats_scipy.py compares these lines to scipy.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stats.h"

#define MAX_NUM 512

/* Splits line into numbers after the kind; returns their count. */
static int numbers(char *s, double *d, uint64_t *u)
{
	int n = 0;
	char *tok, *save = NULL;
	for (tok = strtok_r(s, " \t\r\n", &save); tok != NULL && n < MAX_NUM;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		d[n] = strtod(tok, NULL);
		u[n] = strtoull(tok, NULL, 10);
		n++;
	}
	return n;
}

static void out(const double *v, int n)
{
	for (int i = 0; i < n; i++)
		printf(" %.17g", v[i]);
	printf("\n");
}

/* Prints the outputs of one case; returns 0, or -1 on a malformed case. */
static int run(const char *kind, const double *d, const uint64_t *u, int n)
{
	if (strcmp(kind, "norm_cdf") == 0 && n == 1) {
		out((double[]){ stat_norm_cdf(d[0]), stat_norm_sf(d[0]) }, 2);
	} else if (strcmp(kind, "norm_ppf") == 0 && n == 1) {
		out((double[]){ stat_norm_ppf(d[0]) }, 1);
	} else if (strcmp(kind, "t_cdf") == 0 && n == 2) {
		out((double[]){ stat_t_cdf(d[0], d[1]) }, 1);
	} else if (strcmp(kind, "t_ppf") == 0 && n == 2) {
		out((double[]){ stat_t_ppf(d[0], d[1]) }, 1);
	} else if (strcmp(kind, "chi2_sf") == 0 && n == 2) {
		out((double[]){ stat_chi2_sf(d[0], d[1]) }, 1);
	} else if (strcmp(kind, "gamma") == 0 && n == 2) {
		out((double[]){ stat_gamma_p(d[0], d[1]),
			stat_gamma_q(d[0], d[1]) },
		    2);
	} else if (strcmp(kind, "beta_inc") == 0 && n == 3) {
		out((double[]){ stat_beta_inc(d[0], d[1], d[2]) }, 1);
	} else if (strcmp(kind, "srm") == 0 && n >= 1 &&
	    n == 1 + 2 * (int)u[0]) {
		int k = (int)u[0];
		struct stat_srm r;
		if (stat_srm(u + 1, d + 1 + k, k, &r) != 0)
			return -1;
		out((double[]){ r.chi2, r.df, r.p }, 3);
	} else if (strcmp(kind, "prop") == 0 && n == 5) {
		struct stat_prop r;
		if (stat_prop_ztest(u[0], u[1], u[2], u[3], d[4], &r) != 0)
			return -1;
		out((double[]){ r.p_c, r.p_t, r.diff, r.lift, r.z, r.p, r.lo,
			r.hi },
		    8);
	} else if (strcmp(kind, "welch") == 0 && n == 7) {
		struct stat_welch r;
		if (stat_welch(d[0], d[1], u[2], d[3], d[4], u[5], d[6], &r) !=
		    0)
			return -1;
		out((double[]){ r.diff, r.se, r.t, r.df, r.p, r.lo, r.hi }, 7);
	} else if (strcmp(kind, "bayes") == 0 && n == 6) {
		struct stat_bayes r;
		if (stat_bayes_beta(u[0], u[1], u[2], u[3], d[4], d[5], &r) !=
		    0)
			return -1;
		out((double[]){ r.prob, r.loss_t, r.loss_c, r.exact }, 4);
	} else if (strcmp(kind, "tau2") == 0 && n == 2) {
		out((double[]){ stat_msprt_tau2(d[0], d[1]) }, 1);
	} else if ((strcmp(kind, "msprt_prop") == 0 ||
		       strcmp(kind, "msprt_means") == 0) &&
	    n >= 3) {
		int means = kind[6] == 'm', w = means ? 6 : 4;
		int looks = (int)u[2];
		struct stat_msprt s;
		double v[4 * (MAX_NUM / 4)];
		if (n != 3 + w * looks || stat_msprt_init(&s, d[0], d[1]) != 0)
			return -1;
		for (int i = 0; i < looks; i++) {
			const double *x = d + 3 + w * i;
			const uint64_t *y = u + 3 + w * i;
			int rc = means ? stat_msprt_update_means(&s, x[0], x[1],
					     y[2], x[3], x[4], y[5])
				       : stat_msprt_update_prop(&s, y[0], y[1],
					     y[2], y[3]);
			if (rc != 0)
				return -1;
			v[4 * i] = s.llr;
			v[4 * i + 1] = s.p;
			v[4 * i + 2] = s.lo;
			v[4 * i + 3] = s.hi;
		}
		out(v, 4 * looks);
	} else {
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CASES\n", argv[0]);
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (f == NULL) {
		perror(argv[1]);
		return 2;
	}
	static char line[16384];
	static double d[MAX_NUM];
	static uint64_t u[MAX_NUM];
	int lineno = 0, bad = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		char *s = line + strspn(line, " \t");
		if (*s == '#' || *s == '\n' || *s == '\0')
			continue;
		size_t klen = strcspn(s, " \t\r\n");
		char kind[32];
		if (klen >= sizeof kind) {
			fprintf(stderr, "line %d: bad kind\n", lineno);
			bad = 1;
			continue;
		}
		memcpy(kind, s, klen);
		kind[klen] = '\0';
		int n = numbers(s + klen, d, u);
		printf("%d %s", lineno, kind);
		if (run(kind, d, u, n) != 0) {
			printf(" error\n");
			fprintf(stderr, "line %d: malformed or rejected\n",
			    lineno);
			bad = 1;
		}
	}
	fclose(f);
	return bad;
}
