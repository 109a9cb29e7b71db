/*
 * cluster_run: the k-means side of cluster_sklearn.py. Reads a raw feature
 * matrix, standardizes it, clusters it and prints what the script compares
 * with scikit-learn.
 *
 * Usage: cluster_run FILE K N_INIT MINIBATCH_ABOVE SEED
 * FILE: uint64 n, uint32 d (little-endian), then n * d float32, row-major.
 * Prints, one per line: "mean" and "std" (d values each), "inertia",
 * "iter I steps S", "silhouette S" (all points, only when n <= 5000), k
 * lines "center ...", one line "labels ...". Exit 0, or 1 on any error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/cluster.h"

static int fail(const char *what, int rc)
{
	fprintf(stderr, "cluster_run: %s (%d)\n", what, rc);
	return 1;
}

int main(int argc, char **argv)
{
	static struct km_model m;
	struct km_scaler s;
	struct km_params p;
	struct rng r;
	uint64_t n;
	uint32_t d;
	int rc;

	if (argc != 6)
		return fail("usage: cluster_run FILE K N_INIT MB_ABOVE SEED",
		    0);
	FILE *f = fopen(argv[1], "rb");
	if (f == NULL || fread(&n, sizeof n, 1, f) != 1 ||
	    fread(&d, sizeof d, 1, f) != 1 || n == 0 || d == 0 || d > KM_D_MAX)
		return fail("bad header", 0);
	float *x = malloc(sizeof(float) * n * d);
	uint8_t *lab = malloc(n);
	if (x == NULL || lab == NULL || fread(x, sizeof(float) * d, n, f) != n)
		return fail("bad data", 0);
	fclose(f);

	km_params_default(&p, (unsigned)atoi(argv[2]));
	p.n_init = (uint32_t)atoi(argv[3]);
	p.minibatch_above = strtoull(argv[4], NULL, 10);
	rng_seed(&r, strtoull(argv[5], NULL, 10));

	if ((rc = km_standardize(&s, x, n, d, NULL)))
		return fail("km_standardize", rc);
	size_t sz = km_workspace_size(n, d, &p);
	void *ws = malloc(sz ? sz : 1);
	if (ws == NULL)
		return fail("workspace", 0);
	if ((rc = km_fit(x, n, d, &p, &r, ws, sz, &m, lab)))
		return fail("km_fit", rc);

	printf("mean");
	for (uint32_t j = 0; j < d; j++)
		printf(" %.17g", s.mean[j]);
	printf("\nstd");
	for (uint32_t j = 0; j < d; j++)
		printf(" %.17g", s.std[j]);
	printf("\ninertia %.17g\niter %u steps %u\n", m.inertia, m.iter,
	    m.steps);
	if (n <= 5000) {
		double sil;
		if ((rc = km_silhouette(x, n, d, lab, m.k, n, NULL, NULL, 0,
			 &sil)))
			return fail("km_silhouette", rc);
		printf("silhouette %.17g\n", sil);
	}
	for (unsigned c = 0; c < m.k; c++) {
		printf("center");
		for (uint32_t j = 0; j < d; j++)
			printf(" %.17g", m.center[c * d + j]);
		printf("\n");
	}
	printf("labels");
	for (uint64_t i = 0; i < n; i++)
		printf(" %u", lab[i]);
	printf("\n");
	free(ws);
	free(lab);
	free(x);
	return 0;
}
