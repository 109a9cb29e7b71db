/*
 * experiments (internal side): the parser of experiment definitions, JSON
 * lines as docs/EXPERIMENTS.md describes them, for pen_experiments_load
 * and the fuzz target. Not installed.
 */
#ifndef PENCHANT_IPC_EXPERIMENTS_H
#define PENCHANT_IPC_EXPERIMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/experiment.h"

/*
 * Parses every non-blank line of text (len bytes, not NUL-terminated;
 * lines end LF, CRLF or a lone CR, a UTF-8 byte order mark first is
 * skipped) into defs (room for EXP_MAX), each checked with exp_check. Returns the
 * number of definitions, or -EINVAL / -ENOSPC with a message naming the
 * line and the field.
 */
int client_experiments_parse(const char *text, size_t len, struct exp_def *defs,
    char *err, size_t errlen);

/*
 * What a load of defs[0..n) should hear, into note ("" when nothing): an
 * experiment whose stop is at or before now_ms (it takes no users),
 * else the first one another before it starves (docs/EXPERIMENTS.md,
 * "Who is in which variant").
 */
void client_experiments_note(const struct exp_def *d, int n, int64_t now_ms,
    char *note, size_t len);

/*
 * A warning for the experiments of d[0..n) whose segment is not one of
 * ids[0..k), the ids of the segment table now (have_table false: none has
 * been made yet), into note ("" when every segment is there). Segments
 * come and go with the segmenter's refreshes, so such an experiment loads
 * (it takes users once a refresh makes its segment) but takes none until
 * then: the load says which, naming the segments there are.
 */
void client_experiments_segment_note(const struct exp_def *d, int n,
    const uint32_t *ids, unsigned k, bool have_table, char *note, size_t len);

#endif
