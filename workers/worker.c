/*
 * worker: the shard worker's process loop around the shard step (see
 * worker.h and shm/shard.h).
 */
#include "workers/worker.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shm/ring.h"
#include "shm/shard.h"

static int64_t _now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int wrk_main(const struct reg *r, unsigned s, const struct wrk_options *o)
{
	struct reg_proc *me = reg_proc(r, reg_proc_worker(r, s));
	struct shard_block *sh = reg_shard(r, s);
	shard_recover(r, s);
	ck_pr_store_uint(&me->ready, 1);
	int64_t idle_since = 0, swept = 0;
	for (;;) {
		unsigned n = shard_poll(r, s, o->batch);
		int64_t now = _now_us();
		ck_pr_store_64((uint64_t *)&me->heartbeat_ms,
		    (uint64_t)(now / 1000));
		/* Retention: a tenth of the per-second budget every 100 ms,
		 * busy or not (a worker that is never idle must sweep too). */
		if (now - swept >= 100000) {
			swept = now;
			shard_sweep(r, s, reg_now_wall_ms(),
			    r->hdr->retention_sweep_per_s / 10 + 1);
		}
		if (n) {
			idle_since = 0;
			continue;
		}
		if (ck_pr_load_uint(&r->hdr->state) >= REG_DRAINING &&
		    shard_column_empty(r, s))
			return 0;
		if (!idle_since)
			idle_since = now;
		/* Spin a little first: under load the next batch is close. */
		if (now - idle_since < (int64_t)o->idle_spin_us) {
			ck_pr_stall();
			continue;
		}
		unsigned seen = ring_sleep_prepare(sh);
		if (!shard_column_empty(r, s)) {
			ck_pr_store_uint(&sh->sleeping, 0);
			continue;
		}
		me->counters[REG_C_SLEEPS]++;
		ring_sleep(sh, seen, o->sleep_ms);
	}
}
