/*
 * shard: the step of one shard, below any process. A shard's step drains
 * its column of rings (every producer slot -> this shard) in batches, in
 * order per ring, and applies the learner (engine/learn.h) to each record
 * in the shard's profile table. The shard worker process
 * (workers/worker.c) runs it in a loop; `penchant replay` and the
 * benchmarks run the very same calls in their own process, so a replay is
 * the engine.
 *
 * Exactly-once across kill -9: before changing a profile the step saves the
 * record's image and the (ring, seq) it is applying in the shard's intent;
 * after the change it moves the ring's applied_seq past seq and clears the
 * intent. Ring indices are released only per chunk, so a restart finds
 * (a) perhaps one half-applied record, rolled back from the image, and
 * (b) records already applied but not released, skipped by seq.
 *
 * Callers: whoever is the single writer of shard s (its worker process, or
 * the one process of a replay or benchmark). Never two at once.
 */
#ifndef PENCHANT_SHM_SHARD_H
#define PENCHANT_SHM_SHARD_H

#include <stdbool.h>

#include "shm/region.h"

/*
 * At start: rolls back a half-applied update, repairs odd sequence locks
 * and record counts, and skips records already applied. Returns the number
 * of records skipped. Asserts that the region's learner params are
 * derived (lrn_params_derived): lrn_apply, on every event, takes it as
 * given.
 */
unsigned shard_recover(const struct reg *r, unsigned s);

/*
 * Maps shard s's block (index, profile records, intent, statistics) for
 * writing in this process before its first event: MADV_POPULATE_WRITE
 * fills the kernel's page tables and a touch of each page (adding 0
 * atomically: readers may be reading it) makes the first write of each
 * page happen here, not on an event's path (under a shadow-paging
 * hypervisor every page's first user access traps to the host). Commits
 * the whole block: a table the machine cannot hold fails here, at start.
 */
void shard_prefault(const struct reg *r, unsigned s);

/*
 * Applies up to `batch` records from each ring of the column once. Returns
 * records taken (applied or rejected). Counts into the shard worker's
 * reg_proc counters.
 */
unsigned shard_poll(const struct reg *r, unsigned s, unsigned batch);

/*
 * The retention sweep: looks at up to `budget` records of shard s from
 * where the last call stopped, and removes the profiles whose last event
 * is older than retention_days before now_ms (wall clock). A profile
 * that holds a consent decision keeps its key and the decision (a
 * consent-only record, as a withdrawal leaves: the decision must outlive
 * the profile), and records that only keep a decision stay. Sets the
 * shard's retain_ms even when it is empty. Returns the profiles removed
 * or emptied.
 */
unsigned shard_sweep(const struct reg *r, unsigned s, int64_t now_ms,
    unsigned budget);

/* True when no ring of the column holds a record. */
bool shard_column_empty(const struct reg *r, unsigned s);

#endif
