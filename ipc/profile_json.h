/*
 * profile_json: one profile (struct pen_profile) as a JSON object, the
 * shape `penchant profile --json` prints, `penchant replay --out` writes
 * one per line and the rank API server answers GET /v1/profile/USER with.
 * One writer, so the three cannot drift apart. Plus the small JSON and
 * time helpers it is built from, for the CLI's other printers.
 *
 * Writes to a FILE (open_memstream() for memory). Nothing here allocates,
 * keeps state or reads shared memory except through the pen_t given
 * (custom verb names); any thread that owns the pen_t may call it.
 */
#ifndef PENCHANT_IPC_PROFILE_JSON_H
#define PENCHANT_IPC_PROFILE_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "penchant.h"

/*
 * Writes the profile of `user` as one JSON object and a newline. Interest
 * names come from pp (read with PEN_READ_NAMES); p names the counters
 * (pen_count_name).
 */
void client_profile_json(FILE *f, pen_t *p, const char *user,
    const struct pen_profile *pp);

/* s as a JSON string: quotes, backslash escapes, \u00XX for control bytes,
 * \ufffd for each byte that is no part of valid UTF-8 (the output is
 * always valid JSON). */
void client_json_fstr(FILE *f, const char *s);

/* Event time (UTC ms) as RFC 3339 text, seconds precision ("...Z"). */
void client_iso_time(int64_t ms, char *buf, size_t len);

/* Display names of the profile's calendar: mon .. sun, night .. evening. */
extern const char *const client_day_names[7];
extern const char *const client_part_names[4];

#endif
