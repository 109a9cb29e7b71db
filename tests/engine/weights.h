/*
 * weights: looking entries up in a profile's bounded weight tables, for the
 * learner tests. Absent entries read as NaN weight / 0 evidence, so a check
 * fails instead of crashing.
 */
#ifndef PENCHANT_TESTS_ENGINE_WEIGHTS_H
#define PENCHANT_TESTS_ENGINE_WEIGHTS_H

#include <math.h>

#include "engine/learn.h"

static inline const struct lrn_weight *find(const struct lrn_weight *ws,
    unsigned n, uint32_t id)
{
	for (unsigned i = 0; i < n; i++)
		if (ws[i].id == id)
			return &ws[i];
	return NULL;
}

/* The weight of id, NaN when absent. */
static inline double w_of(const struct lrn_weight *ws, unsigned n, uint32_t id)
{
	const struct lrn_weight *x = find(ws, n, id);
	return x != NULL ? x->w : NAN;
}

/* The evidence of id, 0 when absent. */
static inline uint32_t ev_of(const struct lrn_weight *ws, unsigned n,
    uint32_t id)
{
	const struct lrn_weight *x = find(ws, n, id);
	return x != NULL ? x->n : 0;
}

/*
 * Weights are floats (engine/learn.h): a learned weight matches its double
 * reference to float precision, a relative 1e-6 over a few operations.
 */
#define CHECK_W(a, b) CHECK_NEAR((a), (b), 1e-6 * fabs((double)(b)) + 1e-9)

/* A profile as readers see it (lrn_settle): the learner keeps its long
 * horizon as of the start of the last event's hour. */
static inline struct lrn_profile settled(const struct lrn_profile *p,
    const struct lrn_params *prm)
{
	struct lrn_profile q = *p;
	lrn_settle(&q, prm, sizeof(q));
	return q;
}

/* Entries in use. */
static inline unsigned used(const struct lrn_weight *ws, unsigned n)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		k += ws[i].id != 0;
	return k;
}

#endif
