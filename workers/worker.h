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
	/* Work-proportional spin (0, 0: idle_spin_us only). */
	double idle_spin_share;	   /* of the last window's busy time */
	unsigned idle_spin_max_us; /* extra spin of one idle period, at most */
};

/*
 * The idle spin. An idle worker polls its rings for idle_spin_us, then
 * sleeps on the shard's doorbell; a producer's wake-up then costs the
 * next event tens to hundreds of microseconds (on a VM a halted vCPU must
 * be woken). Under load the rings empty whenever a producer is
 * descheduled for a moment, so a busy worker may poll longer: each
 * WRK_SPIN_WINDOW_US window grants an extra-spin budget of
 * idle_spin_share x the time it spent applying events in the window
 * before, and one idle period may use up to idle_spin_max_us of it. So
 * the polling beyond idle_spin_us never exceeds that share of useful
 * work, and an idle or lightly loaded worker spins idle_spin_us only.
 */
#define WRK_SPIN_WINDOW_US 100000

/* The extra-spin budget a window grants after busy_us of work. */
uint64_t wrk_spin_budget_us(const struct wrk_options *o, uint64_t busy_us);

/* How long one idle period may spin with budget_us left. */
uint64_t wrk_spin_limit_us(const struct wrk_options *o, uint64_t budget_us);

/*
 * Worker process body: recover, then poll until the region is DRAINING and
 * every ring of the column is empty. Returns 0.
 */
int wrk_main(const struct reg *r, unsigned s, const struct wrk_options *o);

#endif
