/*
 * cluster: standardization, k-means++ / Lloyd / mini-batch k-means,
 * silhouette, ARI and centroid matching (contract in cluster.h). Caller
 * memory only; every random choice comes from the caller's struct rng.
 */
#include "engine/cluster.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#define _TRIALS_MAX KM_K_MAX /* k-means++ local trials: one _ct */
#define _ALIGN 64

/*
 * Four float lanes, GCC and clang vector extensions: one register on
 * baseline x86-64 (SSE2) and on arm64 (NEON). Written out rather than left
 * to the auto-vectorizer, which with a constant lane count vectorizes the
 * feature loop instead; wider vectors are lowered through the stack when
 * the target lacks them.
 */
typedef float _v4 __attribute__((vector_size(16)));

/*
 * Centroids as the distance kernel reads them: float, transposed (feature
 * j of centroid c in lane c % 4 of t[j * nv + c / 4]) and padded to nv
 * vectors of 4, so the inner loop runs over centroids while one feature of
 * the point sits in a register.
 */
struct _ct {
	unsigned k, nv, d;
	_v4 t[KM_D_MAX * KM_K_MAX / 4];
};

static void _ct_load(struct _ct *ct, const double *c, unsigned k, unsigned d)
{
	ct->k = k;
	ct->d = d;
	ct->nv = (k + 3u) / 4u;
	for (unsigned j = 0; j < d; j++)
		for (unsigned l = 0; l < ct->nv * 4; l++)
			ct->t[j * ct->nv + l / 4][l % 4] =
			    l < k ? (float)c[l * d + j] : 0.0f;
}

/* The same from k rows of a float matrix (k-means++ candidates). */
static void _ct_rows(struct _ct *ct, const float *x, const size_t *idx,
    unsigned k, unsigned d)
{
	ct->k = k;
	ct->d = d;
	ct->nv = (k + 3u) / 4u;
	for (unsigned j = 0; j < d; j++)
		for (unsigned l = 0; l < ct->nv * 4; l++)
			ct->t[j * ct->nv + l / 4][l % 4] =
			    l < k ? x[idx[l] * d + j] : 0.0f;
}

/*
 * Squared distances of x to every centroid of ct, as nv vectors (padding
 * lanes hold distances to the origin; nobody reads them). nv is a constant
 * in every caller (the dispatches below), so the accumulators stay in
 * registers.
 */
static inline __attribute__((always_inline)) void _acc_nv(const struct _ct *ct,
    const float *x, _v4 *acc, const unsigned nv)
{
	for (unsigned l = 0; l < nv; l++)
		acc[l] = (_v4){ 0 };
	for (unsigned j = 0; j < ct->d; j++) {
		const _v4 *row = ct->t + j * nv;
		const float xj = x[j];
		for (unsigned l = 0; l < nv; l++) {
			_v4 t = xj - row[l];
			acc[l] += t * t;
		}
	}
}

/*
 * Nearest of the first k of nv vectors of distances, a scan (strict <:
 * ties to the lowest index). The bound is k, not the constant 4 nv: a
 * constant trip count gets unrolled into unpredictable branches, a
 * variable one into a compare-and-move chain. A branch-free tournament over
 * (distance, index) lanes measured no faster.
 */
static inline __attribute__((always_inline)) unsigned _argmin_nv(const _v4 *acc,
    unsigned k, float *d2, const unsigned nv)
{
	float v[KM_K_MAX];
	unsigned best = 0;

	memcpy(v, acc, nv * sizeof(_v4));
	float bd = v[0];
	for (unsigned l = 1; l < k; l++)
		if (v[l] < bd) {
			bd = v[l];
			best = l;
		}
	*d2 = bd;
	return best;
}

static inline __attribute__((always_inline)) unsigned
_nearest_nv(const struct _ct *ct, const float *x, float *d2, const unsigned nv)
{
	_v4 acc[KM_K_MAX / 4];

	_acc_nv(ct, x, acc, nv);
	return _argmin_nv(acc, ct->k, d2, nv);
}

static inline __attribute__((always_inline)) void
_dists_nv(const struct _ct *ct, const float *x, float *v, const unsigned nv)
{
	_v4 acc[KM_K_MAX / 4];

	_acc_nv(ct, x, acc, nv);
	memcpy(v, acc, nv * sizeof(_v4));
}

/* Squared distances of x to the centroids of ct into v[0 .. 4 nv - 1]. */
static inline __attribute__((always_inline)) void _dists(const struct _ct *ct,
    const float *x, float *v)
{
	_Static_assert(KM_K_MAX == 32, "_dists dispatches 1 .. 8 vectors");
	switch (ct->nv) {
	case 1: _dists_nv(ct, x, v, 1); break;
	case 2: _dists_nv(ct, x, v, 2); break;
	case 3: _dists_nv(ct, x, v, 3); break;
	case 4: _dists_nv(ct, x, v, 4); break;
	case 5: _dists_nv(ct, x, v, 5); break;
	case 6: _dists_nv(ct, x, v, 6); break;
	case 7: _dists_nv(ct, x, v, 7); break;
	default: _dists_nv(ct, x, v, 8); break;
	}
}

/* Nearest centroid of x (ties: lowest index) and its squared distance. */
static inline __attribute__((always_inline)) unsigned
_nearest(const struct _ct *ct, const float *x, float *d2)
{
	switch (ct->nv) {
	case 1: return _nearest_nv(ct, x, d2, 1);
	case 2: return _nearest_nv(ct, x, d2, 2);
	case 3: return _nearest_nv(ct, x, d2, 3);
	case 4: return _nearest_nv(ct, x, d2, 4);
	case 5: return _nearest_nv(ct, x, d2, 5);
	case 6: return _nearest_nv(ct, x, d2, 6);
	case 7: return _nearest_nv(ct, x, d2, 7);
	default: return _nearest_nv(ct, x, d2, 8);
	}
}

static inline float _d2(const float *a, const float *b, unsigned d)
{
	float s = 0.0f;
	for (unsigned j = 0; j < d; j++) {
		float t = a[j] - b[j];
		s += t * t;
	}
	return s;
}

static bool _all_finite(const float *x, size_t count)
{
	/* No early exit: one branch-free pass the compiler can vectorize. */
	unsigned bad = 0;
	for (size_t i = 0; i < count; i++)
		bad |= !isfinite(x[i]);
	return bad == 0;
}

/*
 * Draws m of n indices uniformly without replacement, in increasing order
 * (Knuth's selection sampling, Algorithm S): one rng call per index
 * visited, no memory beyond the output, and sorted indices read the matrix
 * front to back.
 */
static void _sample(struct rng *r, size_t n, size_t m, size_t *idx)
{
	size_t got = 0;
	for (size_t i = 0; i < n && got < m; i++)
		if (rng_below(r, n - i) < m - got)
			idx[got++] = i;
}

/* Same draw, copying the chosen rows (and labels) instead of indices. */
static void _sample_rows(struct rng *r, const float *x, size_t n, unsigned d,
    size_t m, float *xs, const uint8_t *lab, uint8_t *ls)
{
	size_t got = 0;
	for (size_t i = 0; i < n && got < m; i++)
		if (rng_below(r, n - i) < m - got) {
			memcpy(xs + got * d, x + i * d, d * sizeof *xs);
			if (lab)
				ls[got] = lab[i];
			got++;
		}
}

/* ---- parameters and workspace -------------------------------------------- */

void km_params_default(struct km_params *p, unsigned k)
{
	memset(p, 0, sizeof *p);
	p->k = k;
	p->n_init = 3;
	p->max_iter = 100;
	p->local_trials = 0;
	p->tol = 1e-4;
	p->minibatch_above = 100000;
	p->batch_size = 2048;
	p->max_steps = 300;
	p->max_no_improvement = 20;
	p->init_size = 8192;
	p->polish_iter = 8;
	p->silhouette_sample = 2000;
}

static bool _params_ok(const struct km_params *p)
{
	return p != NULL && p->k >= 1 && p->k <= KM_K_MAX && p->n_init >= 1 &&
	    p->local_trials <= _TRIALS_MAX && p->tol >= 0.0 &&
	    isfinite(p->tol) && p->batch_size >= 1;
}

static bool _mb(size_t n, const struct km_params *p)
{
	return n > p->minibatch_above;
}

/* Points the mini-batch seeding sample holds: init_size, at least k. */
static size_t _init_m(size_t n, unsigned k, const struct km_params *p)
{
	size_t m = p->init_size > k ? p->init_size : k;
	return m < n ? m : n;
}

static size_t _sil_m(size_t n, const struct km_params *p)
{
	size_t m = p->silhouette_sample;
	return m < n ? m : n;
}

/* The pieces of the workspace; which ones exist depends on the call. */
struct _ws {
	uint8_t *lab;  /* n: a run's labels (full method) */
	float *dist;   /* n: squared distance of each point / D(x)^2 */
	float *xs;     /* m x d: mini-batch seeding sample */
	uint8_t *sl;   /* m: its labels, best run */
	uint8_t *sl2;  /* m: its labels, current run */
	float *sdist;  /* m */
	uint8_t *klab; /* n: km_choose_k's labels of the current k */
	float *vx;     /* s x d: silhouette sample rows */
	size_t *vi;    /* s: their indices */
	uint8_t *vl;   /* s: their labels */
};

static void *_carve(uintptr_t *at, size_t bytes)
{
	void *p = (void *)*at;
	*at += (bytes + _ALIGN - 1) & ~(uintptr_t)(_ALIGN - 1);
	return p;
}

/*
 * Lays the workspace out from base (NULL: only measures). Returns the
 * bytes it needs including the alignment slack.
 */
static size_t _ws_layout(size_t n, unsigned d, const struct km_params *p,
    void *base, struct _ws *w)
{
	uintptr_t b = (uintptr_t)base, at;
	size_t m = _init_m(n, KM_K_MAX, p), s = _sil_m(n, p);

	at = (b + _ALIGN - 1) & ~(uintptr_t)(_ALIGN - 1);
	memset(w, 0, sizeof *w);
	w->dist = _carve(&at, n * sizeof(float));
	if (_mb(n, p)) {
		w->xs = _carve(&at, m * d * sizeof(float));
		w->sl = _carve(&at, m);
		w->sl2 = _carve(&at, m);
		w->sdist = _carve(&at, m * sizeof(float));
	} else {
		w->lab = _carve(&at, n);
	}
	w->klab = _carve(&at, n);
	w->vx = _carve(&at, s * d * sizeof(float));
	w->vi = _carve(&at, s * sizeof(size_t));
	w->vl = _carve(&at, s);
	return (size_t)(at - b) + _ALIGN;
}

size_t km_workspace_size(size_t n, unsigned d, const struct km_params *p)
{
	struct _ws w;

	if (n == 0 || d == 0 || d > KM_D_MAX || !_params_ok(p))
		return 0;
	return _ws_layout(n, d, p, NULL, &w);
}

/* ---- standardization ------------------------------------------------------ */

int km_std_fit(struct km_scaler *s, const float *x, size_t n, unsigned d,
    size_t *n_nonfinite)
{
	double sum[KM_D_MAX] = { 0 }, ss[KM_D_MAX] = { 0 };
	size_t cnt[KM_D_MAX] = { 0 }, bad = 0;

	if (s == NULL || x == NULL || n == 0 || d == 0 || d > KM_D_MAX)
		return -EINVAL;
	memset(s, 0, sizeof *s);
	s->d = d;
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < d; j++) {
			float v = x[i * d + j];
			if (isfinite(v)) {
				sum[j] += v;
				cnt[j]++;
			} else {
				bad++;
			}
		}
	for (unsigned j = 0; j < d; j++)
		s->mean[j] = cnt[j] ? sum[j] / (double)cnt[j] : 0.0;
	/*
	 * Second pass over deviations rather than sum of squares minus square
	 * of sums: no cancellation, and a constant feature gives exactly 0.
	 */
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < d; j++) {
			float v = x[i * d + j];
			if (isfinite(v)) {
				double t = v - s->mean[j];
				ss[j] += t * t;
			}
		}
	for (unsigned j = 0; j < d; j++)
		s->std[j] = cnt[j] ? sqrt(ss[j] / (double)cnt[j]) : 0.0;
	if (n_nonfinite)
		*n_nonfinite = bad;
	return 0;
}

static void _std_inv(const struct km_scaler *s, double *inv)
{
	for (unsigned j = 0; j < s->d; j++)
		inv[j] = s->std[j] > 0.0 ? 1.0 / s->std[j] : 0.0;
}

int km_std_apply(const struct km_scaler *s, float *x, size_t n,
    size_t *n_nonfinite)
{
	double inv[KM_D_MAX];
	size_t bad = 0;

	if (s == NULL || x == NULL || s->d == 0 || s->d > KM_D_MAX)
		return -EINVAL;
	const unsigned d = s->d;
	_std_inv(s, inv);
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < d; j++) {
			float *v = &x[i * d + j];
			if (isfinite(*v)) {
				*v = (float)((*v - s->mean[j]) * inv[j]);
			} else {
				*v = 0.0f;
				bad++;
			}
		}
	if (n_nonfinite)
		*n_nonfinite = bad;
	return 0;
}

int km_standardize(struct km_scaler *s, float *x, size_t n, unsigned d,
    size_t *n_nonfinite)
{
	int rc = km_std_fit(s, x, n, d, n_nonfinite);
	return rc ? rc : km_std_apply(s, x, n, NULL);
}

int km_std_point(const struct km_scaler *s, const double *raw, double *z)
{
	double inv[KM_D_MAX];

	if (s == NULL || raw == NULL || z == NULL || s->d == 0 ||
	    s->d > KM_D_MAX)
		return -EINVAL;
	_std_inv(s, inv);
	for (unsigned j = 0; j < s->d; j++)
		z[j] = isfinite(raw[j]) ? (raw[j] - s->mean[j]) * inv[j] : 0.0;
	return 0;
}

/* ---- k-means ------------------------------------------------------------ */

/*
 * Greedy k-means++ into c (k x d). closest[] ends as each point's D(x)^2.
 * Per centroid: one pass scores all candidates at once (sum of min(D^2,
 * d^2), the candidates loaded like centroids into the distance kernel), one
 * more pass folds the winner into closest[], so no per-candidate arrays
 * are needed.
 */
static void _seed(const float *x, size_t n, unsigned d, unsigned k,
    unsigned trials, struct rng *r, double *c, float *closest)
{
	float cf[KM_K_MAX * KM_D_MAX];
	struct _ct ct;
	size_t first = (size_t)rng_below(r, n), cand[_TRIALS_MAX];
	double pot = 0.0, thr[_TRIALS_MAX], score[_TRIALS_MAX];

	for (unsigned j = 0; j < d; j++) {
		cf[j] = x[first * d + j];
		c[j] = cf[j];
	}
	for (size_t i = 0; i < n; i++) {
		closest[i] = _d2(x + i * d, cf, d);
		pot += closest[i];
	}
	for (unsigned cc = 1; cc < k; cc++) {
		for (unsigned t = 0; t < trials; t++) {
			double u = rng_uniform(r) * pot;
			unsigned s = t;
			/* Insertion sort: one cumulative walk serves all. */
			for (; s > 0 && thr[s - 1] > u; s--)
				thr[s] = thr[s - 1];
			thr[s] = u;
		}
		double cum = 0.0;
		size_t i = 0;
		for (unsigned t = 0; t < trials; t++) {
			while (i < n && cum + closest[i] <= thr[t])
				cum += closest[i++];
			/* Past the end only by rounding, or when pot is 0. */
			cand[t] = i < n ? i : n - 1;
			score[t] = 0.0;
		}
		_ct_rows(&ct, x, cand, trials, d);
		for (size_t p = 0; p < n; p++) {
			float acc[KM_K_MAX];
			_dists(&ct, x + p * d, acc);
			for (unsigned t = 0; t < trials; t++)
				score[t] +=
				    acc[t] < closest[p] ? acc[t] : closest[p];
		}
		unsigned best = 0;
		for (unsigned t = 1; t < trials; t++)
			if (score[t] < score[best])
				best = t;
		float *cn = cf + cc * d;
		for (unsigned j = 0; j < d; j++) {
			cn[j] = x[cand[best] * d + j];
			c[cc * d + j] = cn[j];
		}
		pot = 0.0;
		for (size_t p = 0; p < n; p++) {
			float dd = _d2(x + p * d, cn, d);
			if (dd < closest[p])
				closest[p] = dd;
			pot += closest[p];
		}
	}
}

struct _run {
	double inertia;
	unsigned iter, relocated;
	uint64_t size[KM_K_MAX];
};

/*
 * Empty clusters after an assignment step take the points farthest from
 * their centroids (header comment). A point already on its centroid is
 * never taken: moving it would give a duplicate centroid that empties
 * again, which is the fewer-distinct-points-than-k case.
 */
static unsigned _relocate(const float *x, size_t n, unsigned d, unsigned k,
    uint8_t *lab, float *dist, double *sums, uint64_t *cnt, double *inertia)
{
	unsigned moved = 0;

	for (unsigned c = 0; c < k; c++) {
		if (cnt[c] != 0)
			continue;
		size_t far = n;
		float fd = 0.0f;
		for (size_t i = 0; i < n; i++)
			if (dist[i] > fd && cnt[lab[i]] > 1) {
				fd = dist[i];
				far = i;
			}
		if (far == n)
			break;
		const float *xf = x + far * d;
		unsigned old = lab[far];
		cnt[old]--;
		for (unsigned j = 0; j < d; j++) {
			sums[old * d + j] -= xf[j];
			sums[c * d + j] = xf[j];
		}
		cnt[c] = 1;
		lab[far] = (uint8_t)c;
		*inertia -= dist[far];
		dist[far] = 0.0f;
		moved++;
	}
	return moved;
}

/*
 * Lloyd from the centroids in c (updated in place). Every pass assigns and
 * accumulates the new sums at once, so an iteration reads the data once.
 * Stops after an assignment step (see the header): labels and inertia
 * always belong to the final c.
 */
static void _lloyd(const float *x, size_t n, unsigned d, unsigned k, double *c,
    unsigned max_iter, double tol, uint8_t *lab, float *dist, struct _run *out)
{
	struct _ct ct;
	double sums[KM_K_MAX * KM_D_MAX], prev = INFINITY;
	uint64_t cnt[KM_K_MAX];
	unsigned it = 0, relocated = 0;

	for (;;) {
		double inertia = 0.0;
		size_t changed = 0;

		_ct_load(&ct, c, k, d);
		memset(sums, 0, sizeof(double) * k * d);
		memset(cnt, 0, sizeof cnt);
		for (size_t i = 0; i < n; i++) {
			const float *xi = x + i * d;
			float dd;
			unsigned l = _nearest(&ct, xi, &dd);
			changed += it == 0 || l != lab[i];
			lab[i] = (uint8_t)l;
			dist[i] = dd;
			inertia += dd;
			cnt[l]++;
			double *s = sums + l * d;
			for (unsigned j = 0; j < d; j++)
				s[j] += xi[j];
		}
		const bool last = it >= max_iter;
		unsigned moved = 0;
		if (!last)
			moved = _relocate(x, n, d, k, lab, dist, sums, cnt,
			    &inertia);
		relocated += moved;
		if (last ||
		    (moved == 0 && it > 0 &&
			(changed == 0 || prev - inertia <= tol * prev))) {
			out->inertia = inertia;
			break;
		}
		for (unsigned l = 0; l < k; l++)
			if (cnt[l])
				for (unsigned j = 0; j < d; j++)
					c[l * d + j] =
					    sums[l * d + j] / (double)cnt[l];
		prev = inertia;
		it++;
	}
	out->iter = it;
	out->relocated = relocated;
	memcpy(out->size, cnt, sizeof(uint64_t) * k);
}

static unsigned _trials(const struct km_params *p, unsigned k)
{
	if (p->local_trials)
		return p->local_trials;
	return 2u + (unsigned)log((double)k);
}

/*
 * n_init seedings plus Lloyd on all n points; the best run's centroids in
 * c, labels in lab (run labels go to scratch first).
 */
static void _fit_full(const float *x, size_t n, unsigned d, unsigned k,
    const struct km_params *p, unsigned max_iter, struct rng *r, double *c,
    uint8_t *lab, uint8_t *scratch, float *dist, struct _run *best)
{
	double cur[KM_K_MAX * KM_D_MAX];
	struct _run run;

	best->inertia = INFINITY;
	for (unsigned t = 0; t < p->n_init; t++) {
		_seed(x, n, d, k, _trials(p, k), r, cur, dist);
		_lloyd(x, n, d, k, cur, max_iter, p->tol, scratch, dist, &run);
		if (run.inertia < best->inertia || t == 0) {
			*best = run;
			memcpy(c, cur, sizeof(double) * k * d);
			memcpy(lab, scratch, n);
		}
	}
}

/* Mini-batch (header comment), then the full-data polish. */
static void _fit_mb(const float *x, size_t n, unsigned d, unsigned k,
    const struct km_params *p, struct rng *r, const struct _ws *w, double *c,
    uint8_t *lab, struct _run *out, unsigned *steps)
{
	struct _ct ct;
	double bsum[KM_K_MAX * KM_D_MAX], count[KM_K_MAX];
	uint64_t bcnt[KM_K_MAX];
	size_t m = _init_m(n, k, p);
	struct _run run;

	_sample_rows(r, x, n, d, m, w->xs, NULL, NULL);
	_fit_full(w->xs, m, d, k, p, p->max_iter, r, c, w->sl, w->sl2, w->sdist,
	    &run);
	/*
	 * The seeded centroids are already means of their sample clusters:
	 * start the per-centroid counts there, so the first batch refines
	 * them instead of replacing them.
	 */
	for (unsigned l = 0; l < k; l++)
		count[l] = (double)run.size[l];

	const double alpha = fmin(1.0, 2.0 * p->batch_size / ((double)n + 1));
	double ewa = 0.0, best_ewa = INFINITY;
	unsigned stale = 0, s;
	_ct_load(&ct, c, k, d);
	for (s = 0; s < p->max_steps; s++) {
		double bin = 0.0;
		memset(bsum, 0, sizeof(double) * k * d);
		memset(bcnt, 0, sizeof bcnt);
		for (unsigned b = 0; b < p->batch_size; b++) {
			const float *xi = x + (size_t)rng_below(r, n) * d;
			float dd;
			unsigned l = _nearest(&ct, xi, &dd);
			bin += dd;
			bcnt[l]++;
			for (unsigned j = 0; j < d; j++)
				bsum[l * d + j] += xi[j];
		}
		/*
		 * Sequential 1/count steps over the batch's points of one
		 * centroid sum to: c += (sum - m c) / (count + m).
		 */
		for (unsigned l = 0; l < k; l++) {
			if (!bcnt[l])
				continue;
			count[l] += (double)bcnt[l];
			for (unsigned j = 0; j < d; j++)
				c[l * d + j] +=
				    (bsum[l * d + j] -
					(double)bcnt[l] * c[l * d + j]) /
				    count[l];
		}
		_ct_load(&ct, c, k, d);
		bin /= p->batch_size;
		ewa = s == 0 ? bin : ewa * (1.0 - alpha) + bin * alpha;
		if (ewa < best_ewa) {
			best_ewa = ewa;
			stale = 0;
		} else if (++stale >= p->max_no_improvement) {
			s++;
			break;
		}
	}
	*steps = s;
	_lloyd(x, n, d, k, c, p->polish_iter, p->tol, lab, w->dist, out);
}

static int _fit(const float *x, size_t n, unsigned d, const struct km_params *p,
    struct rng *r, const struct _ws *w, struct km_model *m, uint8_t *labels)
{
	struct _run run;
	unsigned steps = 0;
	const unsigned k = p->k;

	memset(m, 0, sizeof *m);
	m->k = k;
	m->d = d;
	m->n = n;
	if (_mb(n, p))
		_fit_mb(x, n, d, k, p, r, w, m->center, labels, &run, &steps);
	else
		_fit_full(x, n, d, k, p, p->max_iter, r, m->center, labels,
		    w->lab, w->dist, &run);
	m->inertia = run.inertia;
	m->iter = run.iter;
	m->steps = steps;
	m->relocated = run.relocated;
	memcpy(m->size, run.size, sizeof(uint64_t) * k);
	return 0;
}

static int _check_fit_args(const float *x, size_t n, unsigned d,
    const struct km_params *p, struct rng *r, void *ws, size_t ws_size,
    const void *m, const uint8_t *labels)
{
	if (x == NULL || r == NULL || ws == NULL || m == NULL ||
	    labels == NULL || !_params_ok(p) || n == 0 || d == 0 ||
	    d > KM_D_MAX)
		return -EINVAL;
	if (ws_size < km_workspace_size(n, d, p))
		return -ENOSPC;
	return 0;
}

int km_fit(const float *x, size_t n, unsigned d, const struct km_params *p,
    struct rng *r, void *ws, size_t ws_size, struct km_model *m,
    uint8_t *labels)
{
	struct _ws w;
	int rc = _check_fit_args(x, n, d, p, r, ws, ws_size, m, labels);

	if (rc)
		return rc;
	if (n < p->k || !_all_finite(x, n * d))
		return -EINVAL;
	_ws_layout(n, d, p, ws, &w);
	return _fit(x, n, d, p, r, &w, m, labels);
}

static bool _model_ok(const struct km_model *m)
{
	return m != NULL && m->k >= 1 && m->k <= KM_K_MAX && m->d >= 1 &&
	    m->d <= KM_D_MAX;
}

int km_assign_batch(const struct km_model *m, const float *x, size_t n,
    uint8_t *labels, double *inertia)
{
	struct _ct ct;
	double sum = 0.0;

	if (!_model_ok(m) || (n && (x == NULL || labels == NULL)))
		return -EINVAL;
	_ct_load(&ct, m->center, m->k, m->d);
	for (size_t i = 0; i < n; i++) {
		float dd;
		labels[i] = (uint8_t)_nearest(&ct, x + i * m->d, &dd);
		sum += dd;
	}
	if (inertia)
		*inertia = sum;
	return 0;
}

int km_inertia(const struct km_model *m, const float *x, size_t n,
    const uint8_t *labels, double *inertia)
{
	float cf[KM_K_MAX * KM_D_MAX];
	double sum = 0.0;

	if (!_model_ok(m) || inertia == NULL ||
	    (n && (x == NULL || labels == NULL)))
		return -EINVAL;
	const unsigned d = m->d;
	for (unsigned i = 0; i < m->k * d; i++)
		cf[i] = (float)m->center[i];
	for (size_t i = 0; i < n; i++) {
		if (labels[i] >= m->k)
			return -EINVAL;
		sum += _d2(x + i * d, cf + labels[i] * d, d);
	}
	*inertia = sum;
	return 0;
}

int km_sizes(const uint8_t *labels, size_t n, unsigned k, uint64_t *sizes)
{
	if (sizes == NULL || k == 0 || k > KM_K_MAX || (n && labels == NULL))
		return -EINVAL;
	memset(sizes, 0, sizeof(uint64_t) * k);
	for (size_t i = 0; i < n; i++) {
		if (labels[i] >= k)
			return -EINVAL;
		sizes[labels[i]]++;
	}
	return 0;
}

int km_assign(const struct km_model *m, const double *z,
    struct km_assignment *out)
{
	double d1 = INFINITY, d2 = INFINITY;
	unsigned c1 = 0, c2 = 0;

	if (!_model_ok(m) || z == NULL || out == NULL)
		return -EINVAL;
	for (unsigned j = 0; j < m->d; j++)
		if (!isfinite(z[j]))
			return -EINVAL;
	for (unsigned c = 0; c < m->k; c++) {
		const double *ce = m->center + c * m->d;
		double s = 0.0;
		for (unsigned j = 0; j < m->d; j++)
			s += (z[j] - ce[j]) * (z[j] - ce[j]);
		if (s < d1) {
			d2 = d1;
			c2 = c1;
			d1 = s;
			c1 = c;
		} else if (s < d2) {
			d2 = s;
			c2 = c;
		}
	}
	out->cluster = c1;
	out->dist = sqrt(d1);
	if (m->k == 1) {
		out->second = c1;
		out->dist2nd = INFINITY;
		out->confidence = 1.0;
		return 0;
	}
	out->second = c2;
	out->dist2nd = sqrt(d2);
	out->confidence = out->dist2nd > 0.0
	    ? (out->dist2nd - out->dist) / (out->dist2nd + out->dist)
	    : 0.0;
	return 0;
}

/* ---- silhouette ----------------------------------------------------------- */

/* Mean silhouette of m contiguous rows with labels < k; -EDOM below 2. */
static int _silhouette(const float *xs, const uint8_t *ls, size_t m, unsigned d,
    unsigned k, double *score)
{
	uint64_t cnt[KM_K_MAX] = { 0 };
	unsigned present = 0;
	double total = 0.0;

	for (size_t i = 0; i < m; i++)
		cnt[ls[i]]++;
	for (unsigned c = 0; c < k; c++)
		present += cnt[c] > 0;
	if (present < 2)
		return -EDOM;
	for (size_t i = 0; i < m; i++) {
		double sum[KM_K_MAX] = { 0 };
		const float *xi = xs + i * d;
		const unsigned own = ls[i];
		if (cnt[own] < 2)
			continue; /* alone in its cluster: 0 */
		for (size_t j = 0; j < m; j++)
			sum[ls[j]] += sqrtf(_d2(xi, xs + j * d, d));
		double a = sum[own] / (double)(cnt[own] - 1), b = INFINITY;
		for (unsigned c = 0; c < k; c++)
			if (c != own && cnt[c] && sum[c] / (double)cnt[c] < b)
				b = sum[c] / (double)cnt[c];
		double mx = a > b ? a : b;
		if (mx > 0.0)
			total += (b - a) / mx;
	}
	*score = total / (double)m;
	return 0;
}

int km_silhouette(const float *x, size_t n, unsigned d, const uint8_t *labels,
    unsigned k, size_t sample, struct rng *r, void *ws, size_t ws_size,
    double *score)
{
	uintptr_t at = ((uintptr_t)ws + _ALIGN - 1) & ~(uintptr_t)(_ALIGN - 1);

	if (x == NULL || labels == NULL || score == NULL || n == 0 || d == 0 ||
	    d > KM_D_MAX || k == 0 || k > KM_K_MAX || sample == 0 ||
	    (sample < n && (r == NULL || ws == NULL)))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (labels[i] >= k)
			return -EINVAL;
	if (sample >= n)
		return _silhouette(x, labels, n, d, k, score);
	/* Rows then labels: within what km_workspace_size() counts. */
	if (ws_size < sample * d * sizeof(float) + sample + 2 * _ALIGN)
		return -ENOSPC;
	float *xs = _carve(&at, sample * d * sizeof(float));
	uint8_t *ls = _carve(&at, sample);
	_sample_rows(r, x, n, d, sample, xs, labels, ls);
	return _silhouette(xs, ls, sample, d, k, score);
}

int km_choose_k(const float *x, size_t n, unsigned d, unsigned k_min,
    unsigned k_max, const struct km_params *p, struct rng *r, void *ws,
    size_t ws_size, struct km_model *m, uint8_t *labels, double *scores)
{
	struct km_model cur;
	struct km_params pk;
	struct _ws w;
	double best = -INFINITY;
	int rc = _check_fit_args(x, n, d, p, r, ws, ws_size, m, labels);

	if (rc)
		return rc;
	if (k_min < 2 || k_min > k_max || k_max > KM_K_MAX || k_max > n ||
	    p->silhouette_sample == 0 || !_all_finite(x, n * d))
		return -EINVAL;
	_ws_layout(n, d, p, ws, &w);
	const size_t s = _sil_m(n, p);
	_sample(r, n, s, w.vi);
	for (size_t i = 0; i < s; i++)
		memcpy(w.vx + i * d, x + w.vi[i] * d, d * sizeof(float));
	pk = *p;
	for (unsigned k = k_min; k <= k_max; k++) {
		double score;
		pk.k = k;
		_fit(x, n, d, &pk, r, &w, &cur, w.klab);
		for (size_t i = 0; i < s; i++)
			w.vl[i] = w.klab[w.vi[i]];
		if (_silhouette(w.vx, w.vl, s, d, k, &score))
			score = -1.0;
		if (scores)
			scores[k - k_min] = score;
		if (score > best) {
			best = score;
			*m = cur;
			memcpy(labels, w.klab, n);
		}
	}
	return 0;
}

/* ---- comparing and tracking ----------------------------------------------- */

static double _pairs(double v)
{
	return v * (v - 1.0) / 2.0;
}

int km_ari(const uint8_t *a, const uint8_t *b, size_t n, double *ari)
{
	uint64_t t[KM_K_MAX][KM_K_MAX], ra[KM_K_MAX], rb[KM_K_MAX];
	double idx = 0.0, sa = 0.0, sb = 0.0;

	if (ari == NULL || (n && (a == NULL || b == NULL)))
		return -EINVAL;
	memset(t, 0, sizeof t);
	memset(ra, 0, sizeof ra);
	memset(rb, 0, sizeof rb);
	for (size_t i = 0; i < n; i++) {
		if (a[i] >= KM_K_MAX || b[i] >= KM_K_MAX)
			return -EINVAL;
		t[a[i]][b[i]]++;
		ra[a[i]]++;
		rb[b[i]]++;
	}
	for (unsigned i = 0; i < KM_K_MAX; i++) {
		sa += _pairs((double)ra[i]);
		sb += _pairs((double)rb[i]);
		for (unsigned j = 0; j < KM_K_MAX; j++)
			idx += _pairs((double)t[i][j]);
	}
	double all = _pairs((double)n);
	double expect = all > 0.0 ? sa * sb / all : 0.0;
	double mx = (sa + sb) / 2.0;
	*ari = mx == expect ? 1.0 : (idx - expect) / (mx - expect);
	return 0;
}

/*
 * Minimum-cost perfect matching of an N x N matrix (rows to columns): the
 * O(N^3) Hungarian algorithm with row and column potentials (Kuhn-Munkres
 * in the shortest-augmenting-path form). col[i] receives the column of row
 * i. Arrays are 1-based inside, index 0 being the virtual start column.
 */
static void _hungarian(const double *cost, unsigned N, unsigned *col)
{
	double u[KM_K_MAX + 1] = { 0 }, v[KM_K_MAX + 1] = { 0 };
	double minv[KM_K_MAX + 1];
	unsigned p[KM_K_MAX + 1] = { 0 }, way[KM_K_MAX + 1] = { 0 };
	bool used[KM_K_MAX + 1];

	for (unsigned i = 1; i <= N; i++) {
		unsigned j0 = 0;
		p[0] = i;
		for (unsigned j = 0; j <= N; j++) {
			minv[j] = INFINITY;
			used[j] = false;
		}
		do {
			unsigned i0 = p[j0], j1 = 0;
			double delta = INFINITY;
			used[j0] = true;
			for (unsigned j = 1; j <= N; j++) {
				if (used[j])
					continue;
				double c =
				    cost[(i0 - 1) * N + (j - 1)] - u[i0] - v[j];
				if (c < minv[j]) {
					minv[j] = c;
					way[j] = j0;
				}
				if (minv[j] < delta) {
					delta = minv[j];
					j1 = j;
				}
			}
			for (unsigned j = 0; j <= N; j++) {
				if (used[j]) {
					u[p[j]] += delta;
					v[j] -= delta;
				} else {
					minv[j] -= delta;
				}
			}
			j0 = j1;
		} while (p[j0] != 0);
		do {
			unsigned j1 = way[j0];
			p[j0] = p[j1];
			j0 = j1;
		} while (j0 != 0);
	}
	for (unsigned j = 1; j <= N; j++)
		col[p[j] - 1] = j - 1;
}

int km_match(const double *old_c, const uint32_t *old_id, unsigned k_old,
    const double *new_c, unsigned k_new, unsigned d, double max_dist,
    uint32_t *inherit, double *dist)
{
	double cost[KM_K_MAX * KM_K_MAX], dd[KM_K_MAX * KM_K_MAX];
	unsigned col[KM_K_MAX];
	const unsigned N = k_old > k_new ? k_old : k_new;

	if (k_old > KM_K_MAX || k_new > KM_K_MAX || d == 0 || d > KM_D_MAX ||
	    !(max_dist >= 0.0) ||
	    (k_old && (old_c == NULL || old_id == NULL)) ||
	    (k_new && (new_c == NULL || inherit == NULL)))
		return -EINVAL;
	for (unsigned i = 0; i < k_old; i++)
		if (old_id[i] == KM_ID_NEW)
			return -EINVAL;
	/*
	 * Rows are new centroids, columns old ones; padding cells cost 0.
	 * Every perfect matching uses the same number of padding cells, so
	 * their cost cannot sway the choice among real pairs.
	 */
	for (unsigned i = 0; i < N; i++)
		for (unsigned j = 0; j < N; j++) {
			double e = 0.0;
			if (i < k_new && j < k_old) {
				for (unsigned f = 0; f < d; f++) {
					double t =
					    new_c[i * d + f] - old_c[j * d + f];
					e += t * t;
				}
				e = sqrt(e);
				if (!isfinite(e))
					return -EINVAL;
			}
			dd[i * N + j] = e;
			cost[i * N + j] = e < max_dist ? e : max_dist;
		}
	if (N)
		_hungarian(cost, N, col);
	for (unsigned i = 0; i < k_new; i++) {
		unsigned j = col[i];
		bool hit = j < k_old && dd[i * N + j] <= max_dist;
		inherit[i] = hit ? old_id[j] : KM_ID_NEW;
		if (dist)
			dist[i] = hit ? dd[i * N + j] : INFINITY;
	}
	return 0;
}
