/*
 * expdef: a two-variant experiment definition for the shm experiment
 * tests (salt = name, open to every segment, weights 1:1, no overrides).
 */
#ifndef PENCHANT_TESTS_SHM_EXPDEF_H
#define PENCHANT_TESTS_SHM_EXPDEF_H

#include <stdio.h>
#include <string.h>

#include "engine/experiment.h"

/* "control" serves strategy s0, "treatment" s1. */
static inline struct exp_def exptest_def(const char *name, unsigned s0,
    unsigned s1)
{
	struct exp_def d;
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.salt, sizeof(d.salt), "%s", name);
	d.segment = -1;
	d.n_variants = 2;
	for (unsigned k = 0; k < 2; k++) {
		struct exp_variant *v = &d.v[k];
		snprintf(v->name, sizeof(v->name), k ? "treatment" : "control");
		v->strategy = (uint8_t)(k ? s1 : s0);
		v->weight = 1.0f;
		v->epsilon = v->explore_weight = v->mmr_lambda = v->dpp_theta =
		    -1.0f;
	}
	return d;
}

#endif
