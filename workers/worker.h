/*
 * worker: the shard worker process, single writer of one profile-table
 * shard. Its loop runs the shard step (shm/shard.h: recover, then poll the
 * column and apply) and keeps the process side: the heartbeat, a short
 * spin when idle, then a sleep on the shard's doorbell.
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
 * Worker process body: recover, then poll until the region is DRAINING and
 * every ring of the column is empty. Returns 0.
 */
int wrk_main(const struct reg *r, unsigned s, const struct wrk_options *o);

#endif
