/*
 * worker: the shard worker, single writer of one profile-table shard. It
 * drains its column of rings (every producer slot -> this shard) in batches,
 * in order per ring, and applies the learner to each record.
 *
 * Exactly-once across kill -9: before changing a profile the worker saves
 * the record's image and the (ring, seq) it is applying in the shard's
 * intent; after the change it moves the ring's applied_seq past seq and
 * clears the intent. Ring indices are released only per batch, so a restart
 * finds (a) perhaps one half-applied record, rolled back from the image, and
 * (b) records already applied but not released, skipped by seq.
 */
#ifndef PENCHANT_WORKERS_WORKER_H
#define PENCHANT_WORKERS_WORKER_H

#include <stdbool.h>

#include "shm/region.h"

struct wrk_options {
	unsigned batch;	       /* records taken from one ring at a time */
	unsigned idle_spin_us; /* spin this long before sleeping */
	unsigned sleep_ms;     /* doorbell timeout */
};

/*
 * Worker of shard s, at start: rolls back a half-applied update, repairs odd
 * sequence locks and skips records already applied. Returns the number of
 * records skipped.
 */
unsigned wrk_recover(const struct reg *r, unsigned s);

/*
 * Worker of shard s: applies up to `batch` records from each ring of its
 * column once. Returns records taken (applied or rejected).
 */
unsigned wrk_poll(const struct reg *r, unsigned s, unsigned batch);

/*
 * Worker process body: recover, then poll until the region is DRAINING and
 * every ring of the column is empty. Returns 0.
 */
int wrk_main(const struct reg *r, unsigned s, const struct wrk_options *o);

#endif
