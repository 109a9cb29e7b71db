/*
 * experiments_json: the running experiments and their reports (struct
 * pen_experiments) as one JSON object and a newline: what `penchant
 * experiments --json` prints and the rank API server answers GET
 * /api/experiments with (docs/EXPERIMENTS.md has the fields). NaN, where
 * a test could not run yet, is null. Writes to a FILE; no state.
 */
#ifndef PENCHANT_IPC_EXPERIMENTS_JSON_H
#define PENCHANT_IPC_EXPERIMENTS_JSON_H

#include <stdio.h>

#include "penchant.h"

void client_experiments_json(FILE *f, const struct pen_experiments *x);

#endif
