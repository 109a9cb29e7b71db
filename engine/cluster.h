/*
 * cluster: standardization and k-means for user segmentation. Plain
 * functions over caller memory: no I/O, no clock, no allocation, no globals.
 * The segmenter calls them on a snapshot of feature rows; tests and replays
 * call exactly the same functions.
 *
 * Data. A feature matrix is row-major float, n rows (users) of d features,
 * row i at x + i * d. Float storage halves the memory and bandwidth of a
 * 1M-user snapshot; every sum that grows with n (means, variances, centroid
 * sums, inertia, potentials) is accumulated in double, and the squared
 * distance of one point to one centroid (d terms of O(1) after
 * standardization) is computed in float. Centroids, scaler statistics and
 * single-point calls are double. Limits: 1 <= d <= KM_D_MAX, 1 <= k <=
 * KM_K_MAX, labels are uint8_t. Distances are Euclidean in the standardized
 * space; "inertia" is the sum over points of the squared distance to the
 * centroid of their cluster.
 *
 * Standardization (km_std_*). z = (x - mean) / std per feature, with the
 * population standard deviation (divide by n, as scikit-learn's
 * StandardScaler). A non-finite value (NaN, +-inf) is treated as missing:
 * the fit ignores it (mean and std come from the finite values of that
 * feature) and the transform maps it to the mean, z = 0; the calls report
 * how many they met. A constant feature (std 0, also a feature with no
 * finite value) maps to 0 everywhere and so plays no part in any distance.
 * The scaler is kept with the model so that one new user can be
 * standardized later (km_std_point) and assigned (km_assign).
 *
 * k-means (km_fit). Seeding is greedy k-means++ (Arthur and Vassilvitskii
 * 2007, with scikit-learn's greedy variant): the first centroid is a
 * uniform random point; each next one draws `local_trials` candidates
 * (default 2 + floor(ln k)) with probability proportional to D(x)^2, the
 * squared distance to the nearest centroid so far, and keeps the candidate
 * that lowers the potential sum D(x)^2 the most. Then Lloyd iterations:
 * assign every point to its nearest centroid, move every centroid to the
 * mean of its points; stop when no assignment changed, when the relative
 * inertia decrease (prev - cur) / prev <= tol, or after max_iter centroid
 * moves. The result always ends with an assignment step, so the labels are
 * the nearest centroids of the returned model (ties: lowest index) and
 * model->inertia is exact for that pair. A run is repeated n_init times
 * from fresh seedings; the lowest inertia wins (the earlier run on ties).
 * Restarts matter: when clusters are not far apart compared with their
 * spread, a seeding can put two centroids into one large cluster and Lloyd
 * cannot undo it (12 features, blobs ~8 standard deviations apart: about a
 * third of seedings, scikit-learn's as often).
 *
 * Empty clusters. When an assignment step leaves a cluster empty (duplicate
 * points, or an unlucky centroid), the point farthest from its own centroid,
 * among clusters with at least two points, becomes the empty cluster's sole
 * member and its new centroid (scikit-learn relocates the same way); several
 * empty clusters take the farthest points in turn, ties to the lowest index.
 * Not on the last allowed assignment step, so a cluster can only come out
 * empty (model->size[c] == 0, centroid left where it was) when the data has
 * fewer than k distinct points, or when that last step (after max_iter
 * moves, or polish_iter for mini-batch) empties it.
 *
 * Mini-batch (n > minibatch_above). Sculley 2010, "Web-scale k-means
 * clustering": (1) init_size points drawn uniformly without replacement are
 * clustered as above (n_init seedings plus Lloyd, all on that sample); (2)
 * from those centroids, each step draws batch_size points uniformly with
 * replacement, assigns them, and moves each centroid c toward its points
 * with the per-centroid rate 1/count_c, count_c = the points it has
 * received: it starts at the centroid's cluster size in the sample (the
 * seeded centroids are already means of that many points) and grows with
 * every batch (applied batch-wise, which equals the sequential per-point
 * update); at most max_steps steps, stopping early when the smoothed batch
 * inertia (scikit-learn's exponentially weighted average) has not improved
 * for max_no_improvement steps; (3) up to polish_iter full Lloyd
 * iterations on all n points (0: a single full assignment step), which
 * also gives exact labels and inertia. Unlike scikit-learn there is no
 * reassignment of small clusters during the steps; the polish relocates
 * empty ones. The threshold only picks the method: both give the same kind
 * of model.
 *
 * Choosing k (km_silhouette, km_choose_k). The silhouette of a point is
 * (b - a) / max(a, b), a = mean distance to the other points of its cluster,
 * b = lowest mean distance to the points of another cluster; the score is
 * the mean over points. Computed on a sample of `sample` points drawn
 * uniformly without replacement (all points when sample >= n), with
 * Euclidean distances among sample points only (scikit-learn's
 * silhouette_score(sample_size=...)). A point alone in its cluster within the
 * sample scores 0, and so does a point with a = b = 0.
 *
 * Assignment of one point (km_assign): nearest and second-nearest centroid,
 * their distances d1 <= d2, and confidence = (d2 - d1) / (d2 + d1) in [0, 1]:
 * 1 on the centroid, 0 on the boundary between the two. On the segment
 * between the two centroids it falls linearly from 1 to 0, so 0.2 means the
 * point is 10 % of the centroid distance from the boundary; flag
 * assignments below a threshold (0.1 .. 0.2) as uncertain.
 *
 * Identity across refreshes (km_match): each clustering numbers its
 * clusters arbitrarily, so the segmenter keeps stable ids by matching the
 * new centroids to the old ones: a minimum-cost one-to-one assignment
 * (Hungarian algorithm, O(K^3), K = max(k_old, k_new)) of the cost
 * min(distance, max_dist), then a pair farther than max_dist is no match.
 * Capping the cost makes "unmatched" worth max_dist, so a far cluster never
 * distorts the pairing of the near ones. A new centroid without a match
 * gets KM_ID_NEW (the caller hands out a fresh id); an old id without a
 * match is gone.
 *
 * Determinism. Every random choice draws from the struct rng the caller
 * passes (engine/rng.h), in a fixed order: the same inputs, parameters and
 * rng state give bit-identical models and labels with the same build. Work
 * is single-threaded.
 *
 * Cost (n points, d features, k clusters, T = local_trials): seeding
 * O(k * T * n * d); a Lloyd iteration O(n * k * d); mini-batch
 * O(n_init * seeding and Lloyd on init_size points + max_steps *
 * batch_size * k * d) plus the polish; silhouette O(sample^2 * d). The
 * distance kernel runs over 4 centroids per SIMD vector (k is padded to a
 * multiple of 4), about 15 ns per point and pass at k = 8, d = 12 on one
 * x86-64 core (baseline SSE2). Measured there, 1M x 12, k = 8, defaults
 * (mini-batch), medians of 3: km_standardize 0.023 s, km_fit 0.09 s (-O3,
 * the release build) or 0.12 .. 0.15 s (-O2); the full method on the same
 * data (n_init 3) takes 1.25 s, hence the default threshold of 100k.
 *
 * Errors: 0 or a negative errno, never errno itself. -EINVAL for a bad
 * argument (NULL where a buffer is needed, n == 0, d == 0 or > KM_D_MAX,
 * k == 0 or > KM_K_MAX, n < k, a label >= k, non-finite data given to a
 * clustering call); -ENOSPC when the workspace is smaller than asked for.
 * Outputs are unspecified after an error.
 *
 * Threads: none of these functions touches anything but its arguments.
 */
#ifndef PENCHANT_ENGINE_CLUSTER_H
#define PENCHANT_ENGINE_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/rng.h"

#define KM_K_MAX 32 /* clusters; labels are uint8_t */
#define KM_D_MAX 64 /* features */
#define KM_ID_NEW UINT32_MAX

/* Standardization statistics of d features. */
struct km_scaler {
	uint32_t d;
	uint32_t pad;
	double mean[KM_D_MAX]; /* of the finite values; 0 when none */
	double std[KM_D_MAX];  /* population std; 0: constant, maps to 0 */
};

/*
 * Every knob of the clustering; km_params_default() gives the values in
 * brackets.
 */
struct km_params {
	uint32_t k;	   /* clusters (the argument of km_params_default) */
	uint32_t n_init;   /* seedings, best inertia kept [3] */
	uint32_t max_iter; /* Lloyd centroid moves per run [100] */
	uint32_t local_trials; /* k-means++ candidates, 0: 2 + floor(ln k),
				* at most KM_K_MAX [0] */
	double tol;	       /* relative inertia decrease to stop [1e-4] */
	/* mini-batch */
	uint64_t minibatch_above;    /* n above this: mini-batch [100000] */
	uint32_t batch_size;	     /* points per step [2048] */
	uint32_t max_steps;	     /* [300] */
	uint32_t max_no_improvement; /* steps, early stop [20] */
	uint32_t init_size;	     /* seeding sample [8192] */
	uint32_t polish_iter;	     /* full Lloyd iterations after [8] */
	/* choosing k */
	uint32_t silhouette_sample; /* points the score is computed on [2000] */
};

/* Result of a clustering: plain data, no pointers (copyable, shm-safe). */
struct km_model {
	uint32_t k, d;
	uint64_t n;	    /* points it was fitted on */
	double inertia;	    /* sum of squared distances, all n points */
	uint32_t iter;	    /* Lloyd iterations of the kept run (full data) */
	uint32_t steps;	    /* mini-batch steps, 0 without mini-batch */
	uint32_t relocated; /* empty clusters re-seeded, kept run */
	uint32_t pad;
	uint64_t size[KM_K_MAX];	    /* points per cluster */
	double center[KM_K_MAX * KM_D_MAX]; /* row c at center + c * d */
};

/* One point's place in a model (km_assign). */
struct km_assignment {
	uint32_t cluster;  /* nearest centroid */
	uint32_t second;   /* second nearest; == cluster when k == 1 */
	double dist;	   /* Euclidean distance to the nearest */
	double dist2nd;	   /* to the second nearest; INFINITY when k == 1 */
	double confidence; /* (dist2nd - dist) / (dist2nd + dist); 1 when
			    * k == 1, 0 when both distances are 0 */
};

/* Fills in the defaults named in struct km_params for k clusters. */
void km_params_default(struct km_params *p, unsigned k);

/* ---- standardization ---------------------------------------------------- */

/*
 * Fits the scaler to n rows of d features (two passes in double; O(n * d)).
 * Non-finite values are skipped, and counted in *n_nonfinite (may be NULL).
 * n == 0 or d outside 1..KM_D_MAX: -EINVAL.
 */
int km_std_fit(struct km_scaler *s, const float *x, size_t n, unsigned d,
    size_t *n_nonfinite);

/*
 * Standardizes n rows of s->d features in place: z = (x - mean) / std, 0 for
 * a constant feature and for a non-finite value (counted in *n_nonfinite,
 * may be NULL). O(n * d).
 */
int km_std_apply(const struct km_scaler *s, float *x, size_t n,
    size_t *n_nonfinite);

/* km_std_fit then km_std_apply on the same rows; the count is of the fit. */
int km_standardize(struct km_scaler *s, float *x, size_t n, unsigned d,
    size_t *n_nonfinite);

/*
 * Standardizes one point of raw features (s->d doubles) into z (s->d
 * doubles; may alias raw). Non-finite values map to 0. O(d).
 */
int km_std_point(const struct km_scaler *s, const double *raw, double *z);

/* ---- k-means ------------------------------------------------------------ */

/*
 * Bytes of workspace km_fit, km_choose_k and km_silhouette (with sample <=
 * p->silhouette_sample) need for n points of d features, for any k up to
 * KM_K_MAX: 6 n for the full-data method (n <= minibatch_above) or 5 n +
 * init_size * (4 d + 6) for mini-batch, plus silhouette_sample * (4 d + 9)
 * (5.6 MB for 1M users, 12 features, the defaults). Includes slack to align
 * the start, so any pointer will do. 0 for arguments the calls would
 * reject.
 */
size_t km_workspace_size(size_t n, unsigned d, const struct km_params *p);

/*
 * Clusters n standardized points of d features into p->k clusters (method
 * and stopping rules in the header comment). Writes the model and the
 * label (0 .. k-1, the nearest centroid) of every point into labels (n
 * bytes). ws: ws_size >= km_workspace_size(n, d, p) bytes, scratch only.
 * Edge cases: n < k is -EINVAL; k == 1 gives the mean and the total sum of
 * squares; duplicate points are fine (clusters may stay empty only when
 * there are fewer than k distinct points); any non-finite value is -EINVAL
 * (checked first, O(n * d)).
 */
int km_fit(const float *x, size_t n, unsigned d, const struct km_params *p,
    struct rng *r, void *ws, size_t ws_size, struct km_model *m,
    uint8_t *labels);

/*
 * Labels n points (m->d features each) with their nearest centroid of m
 * (ties: lowest index); the inertia of that labelling into *inertia (may be
 * NULL). For a refreshed snapshot under an existing model. O(n * k * d).
 */
int km_assign_batch(const struct km_model *m, const float *x, size_t n,
    uint8_t *labels, double *inertia);

/*
 * Inertia of a given labelling under m's centroids (labels need not be the
 * nearest ones). A label >= m->k is -EINVAL. O(n * d).
 */
int km_inertia(const struct km_model *m, const float *x, size_t n,
    const uint8_t *labels, double *inertia);

/* Counts the points of each label 0 .. k-1 into sizes (k entries). */
int km_sizes(const uint8_t *labels, size_t n, unsigned k, uint64_t *sizes);

/*
 * Places one standardized point z (m->d doubles) in model m: nearest and
 * second-nearest centroid, distances, confidence (header comment). O(k * d).
 * Non-finite z is -EINVAL.
 */
int km_assign(const struct km_model *m, const double *z,
    struct km_assignment *out);

/* ---- choosing k --------------------------------------------------------- */

/*
 * Mean silhouette of a labelling (labels 0 .. k-1) on `sample` points drawn
 * with r (all points when sample >= n; then r and ws are not used and may
 * be NULL). ws: ws_size >= km_workspace_size() with p->silhouette_sample >=
 * sample, or sample * (4 d + 1) + 128 bytes. Fewer than two clusters
 * present in the sample: -EDOM. O(sample^2 * d) plus O(n) to draw.
 */
int km_silhouette(const float *x, size_t n, unsigned d, const uint8_t *labels,
    unsigned k, size_t sample, struct rng *r, void *ws, size_t ws_size,
    double *score);

/*
 * Fits every k in k_min .. k_max (2 <= k_min <= k_max <= min(KM_K_MAX, n))
 * with the parameters p (p->k ignored) and keeps the model with the best
 * silhouette on one sample of p->silhouette_sample points, drawn once so
 * every k is judged on the same points; ties go to the smaller k. Writes
 * that model, its labels (n bytes) and, when scores is not NULL, the score
 * of each k into scores[k - k_min] (-1 for a k whose sample held a single
 * cluster). ws as for km_fit (km_workspace_size covers both). Cost: the sum
 * of the fits plus one silhouette per k; on a large snapshot, choose k on a
 * sample of the rows and fit the chosen k on all of them.
 */
int km_choose_k(const float *x, size_t n, unsigned d, unsigned k_min,
    unsigned k_max, const struct km_params *p, struct rng *r, void *ws,
    size_t ws_size, struct km_model *m, uint8_t *labels, double *scores);

/* ---- comparing and tracking clusterings --------------------------------- */

/*
 * Adjusted Rand index (Hubert and Arabie 1985) of two labellings of n
 * points, labels < KM_K_MAX: 1 for identical partitions whatever the
 * numbering, about 0 for independent ones, negative below chance. Like
 * scikit-learn, 1 when the chance-adjusted maximum equals the expected
 * index (both single clusters, or both all singletons), and for n < 2.
 * O(n + KM_K_MAX^2).
 */
int km_ari(const uint8_t *a, const uint8_t *b, size_t n, double *ari);

/*
 * Carries cluster ids across a refresh (header comment). old_c: k_old
 * centroids of d doubles (row-major, as km_model.center) with their ids
 * old_id (none equal to KM_ID_NEW); new_c: k_new centroids. Writes into
 * inherit[j] (k_new entries) the old id new centroid j continues, or
 * KM_ID_NEW; into dist[j] (may be NULL) the distance to that old centroid,
 * or INFINITY. A pair at distance exactly max_dist still matches. k_old or
 * k_new may be 0; both <= KM_K_MAX; max_dist >= 0. O(max(k_old, k_new)^3 +
 * k_old * k_new * d).
 */
int km_match(const double *old_c, const uint32_t *old_id, unsigned k_old,
    const double *new_c, unsigned k_new, unsigned d, double max_dist,
    uint32_t *inherit, double *dist);

#endif
