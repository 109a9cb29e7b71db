/*
 * segments_json: the segments table (struct pen_segments) as one JSON
 * object and a newline, the shape `penchant segments --json` prints,
 * `penchant replay --segments` writes and the rank API server answers
 * GET /api/segments with. Writes to a FILE; keeps no state; any thread.
 */
#ifndef PENCHANT_IPC_SEGMENTS_JSON_H
#define PENCHANT_IPC_SEGMENTS_JSON_H

#include <stdio.h>

#include "penchant.h"

void client_segments_json(FILE *f, const struct pen_segments *s);

#endif
