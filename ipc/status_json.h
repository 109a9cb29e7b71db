/*
 * status_json: the instance's status as one JSON object, the shape
 * `penchant status --json` prints and the rank API server answers
 * GET /api/status with. One writer, so the two cannot drift apart; plus
 * the sums and names it is built from, for the text status and the
 * metrics endpoint.
 *
 * Everything here reads the region directly (counters, table fills,
 * process slots) without locks: counters only grow or are levels, so a
 * torn read is one increment off at most. Any process attached to the
 * region may call it, from any thread.
 */
#ifndef PENCHANT_IPC_STATUS_JSON_H
#define PENCHANT_IPC_STATUS_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "shm/region.h"

/* "starting" "running" "draining" "stopped", by enum reg_state. */
extern const char *const client_state_names[4];
/* "supervisor" "worker" "acceptor" "segmenter" "server", by enum reg_role. */
extern const char *const client_role_names[REG_ROLE_COUNT];

/* The role's name, "?" out of range. */
const char *client_role_name(unsigned role);

/*
 * Every counter summed over the processes into sum[REG_C_COUNT]; the
 * producers' rejections join the reject block, so sum[REG_C_REJECT0 + k]
 * is every event refused for reason k anywhere.
 */
void client_status_sum(const struct reg *r, uint64_t *sum);

/* Chunked forward messages begun and not committed (journal entries in
 * use; a torn read only skews the number). */
unsigned client_fwd_pending(const struct reg *r);

/*
 * Writes the status object and a newline: now is client_status_sum()'s
 * result, rate the applied events per second the caller measured.
 */
void client_status_json(FILE *f, const struct reg *r, const uint64_t *now,
    double rate);

#endif
