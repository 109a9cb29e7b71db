/* worker_spin: the idle spin's budget is the configured share of the last window's work, one idle period takes at most idle_spin_max_us of it, and with a share of 0 a worker spins idle_spin_us only. */
#include "shmtest.h"
#include "workers/worker.h"

int main(void)
{
	struct wrk_options o = { .batch = 64,
		.idle_spin_us = 50,
		.sleep_ms = 100,
		.idle_spin_share = 0.25,
		.idle_spin_max_us = 5000 };
	/* 40 ms of work in a 100 ms window: 10 ms of extra spin to spend. */
	CHECK_EQ_INT(wrk_spin_budget_us(&o, 40000), 10000);
	CHECK_EQ_INT(wrk_spin_budget_us(&o, 0), 0);
	/* One idle period: idle_spin_us plus what is left, capped. */
	CHECK_EQ_INT(wrk_spin_limit_us(&o, 10000), 50 + 5000);
	CHECK_EQ_INT(wrk_spin_limit_us(&o, 120), 50 + 120);
	CHECK_EQ_INT(wrk_spin_limit_us(&o, 0), 50);
	/* Share 0 (or the old options, zeroed): idle_spin_us only. */
	struct wrk_options old = { .batch = 64,
		.idle_spin_us = 50,
		.sleep_ms = 100 };
	CHECK_EQ_INT(wrk_spin_budget_us(&old, 90000), 0);
	CHECK_EQ_INT(wrk_spin_limit_us(&old, 0), 50);
	/* Whole share, a worker busy the whole window. */
	o.idle_spin_share = 1.0;
	o.idle_spin_max_us = 1000000;
	CHECK_EQ_INT(wrk_spin_budget_us(&o, WRK_SPIN_WINDOW_US),
	    WRK_SPIN_WINDOW_US);
	CHECK_EQ_INT(wrk_spin_limit_us(&o, WRK_SPIN_WINDOW_US),
	    50 + WRK_SPIN_WINDOW_US);
	return check_done("shm worker_spin");
}
