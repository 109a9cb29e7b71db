/*
 * worker: the shard worker's process loop around the shard step (see
 * worker.h and shm/shard.h).
 */
#include "workers/worker.h"

#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "shm/ring.h"
#include "shm/shard.h"

static int64_t _clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t _now_us(void)
{
	return _clock_ns(CLOCK_MONOTONIC) / 1000;
}

size_t wrk_trace_size(uint32_t sample_cap, uint32_t gap_cap)
{
	return sizeof(struct wrk_trace) +
	    (size_t)sample_cap * sizeof(struct wrk_sample) +
	    (size_t)gap_cap * sizeof(struct wrk_gap);
}

struct wrk_trace *wrk_trace_init(void *mem, uint32_t sample_cap,
    uint32_t gap_cap, int64_t gap_ns)
{
	struct wrk_trace *t = mem;
	memset(t, 0, sizeof(*t));
	t->gap_ns = gap_ns;
	t->sample_cap = sample_cap;
	t->gap_cap = gap_cap;
	return t;
}

struct wrk_gap *wrk_trace_gaps(struct wrk_trace *t)
{
	return (struct wrk_gap *)(t->samples + t->sample_cap);
}

void wrk_trace_pass(struct wrk_trace *t, int64_t now_ns, uint64_t count,
    unsigned taken)
{
	const int64_t gap = t->last_ns ? now_ns - t->last_ns : 0;
	const bool is_gap = gap > t->gap_ns;
	t->last_ns = now_ns;
	/* Samples every half gap at most: a gap's deltas then cover little
	 * more than the gap itself, for two syscalls per half gap. */
	if (!is_gap && t->last.at_ns && now_ns - t->last.at_ns < t->gap_ns / 2)
		return;
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	struct wrk_sample s = { now_ns, _clock_ns(CLOCK_THREAD_CPUTIME_ID),
		count, (uint32_t)ru.ru_nivcsw, (uint32_t)ru.ru_nvcsw,
		(uint32_t)ru.ru_minflt, 0 };
	if (is_gap && t->last.at_ns) {
		const struct wrk_sample *b = &t->last;
		if (t->n_gaps < t->gap_cap)
			wrk_trace_gaps(
			    t)[t->n_gaps] = (struct wrk_gap){ now_ns - gap, gap,
				(s.at_ns - b->at_ns) - (s.cpu_ns - b->cpu_ns),
				s.nivcsw - b->nivcsw, s.nvcsw - b->nvcsw,
				s.minflt - b->minflt, taken, count };
		t->n_gaps++;
	}
	if (t->n_samples < t->sample_cap)
		t->samples[t->n_samples] = s;
	t->n_samples++;
	t->last = s;
}

uint64_t wrk_spin_budget_us(const struct wrk_options *o, uint64_t busy_us)
{
	double b = o->idle_spin_share * (double)busy_us;
	return b > 0 ? (uint64_t)b : 0;
}

uint64_t wrk_spin_limit_us(const struct wrk_options *o, uint64_t budget_us)
{
	uint64_t extra =
	    budget_us < o->idle_spin_max_us ? budget_us : o->idle_spin_max_us;
	return o->idle_spin_us + extra;
}

/* The spin's books: work and extra spinning of the current window, and
 * the budget the previous one granted. */
struct _spin {
	int64_t window_start, last;
	uint64_t busy_us, budget_us;
};

/* An idle period that began at idle_since ends at now: its spinning
 * beyond idle_spin_us is paid from the budget. */
static void _spin_paid(struct _spin *sp, const struct wrk_options *o,
    int64_t idle_since, int64_t now)
{
	int64_t extra = now - idle_since - (int64_t)o->idle_spin_us;
	if (extra <= 0)
		return;
	sp->budget_us = (uint64_t)extra < sp->budget_us
	    ? sp->budget_us - (uint64_t)extra
	    : 0;
}

int wrk_main(const struct reg *r, unsigned s, const struct wrk_options *o)
{
	struct reg_proc *me = reg_proc(r, reg_proc_worker(r, s));
	struct shard_block *sh = reg_shard(r, s);
	/* Before ready: the first events pay no page's first write. */
	if (o->prefault)
		shard_prefault(r, s);
	shard_recover(r, s);
	/* The retention horizon before the first event is applied (a
	 * budget of 0 only sets it): old events reaching a new instance
	 * before its first sweep were learned. */
	shard_sweep(r, s, reg_now_wall_ms(), 0);
	ck_pr_store_uint(&me->ready, 1);
	int64_t idle_since = 0, swept = 0;
	struct _spin sp = { .window_start = _now_us() };
	sp.last = sp.window_start;
	uint64_t taken = 0;
	for (;;) {
		unsigned n = shard_poll(r, s, o->batch);
		int64_t now_ns = _clock_ns(CLOCK_MONOTONIC),
			now = now_ns / 1000;
		taken += n;
		if (o->trace)
			wrk_trace_pass(o->trace, now_ns, taken, n);
		ck_pr_store_64((uint64_t *)&me->heartbeat_ms,
		    (uint64_t)(now / 1000));
		/* Retention: a tenth of the per-second budget every 100 ms,
		 * busy or not (a worker that is never idle must sweep too). */
		if (now - swept >= 100000) {
			swept = now;
			shard_sweep(r, s, reg_now_wall_ms(),
			    r->hdr->retention_sweep_per_s / 10 + 1);
		}
		if (now - sp.window_start >= WRK_SPIN_WINDOW_US) {
			sp.budget_us = wrk_spin_budget_us(o, sp.busy_us);
			sp.busy_us = 0;
			sp.window_start = now;
		}
		if (n) {
			/* The poll that found work ran since the last loop. */
			sp.busy_us += (uint64_t)(now - sp.last);
			sp.last = now;
			if (idle_since)
				_spin_paid(&sp, o, idle_since, now);
			idle_since = 0;
			continue;
		}
		sp.last = now;
		if (ck_pr_load_uint(&r->hdr->state) >= REG_DRAINING &&
		    shard_column_empty(r, s))
			return 0;
		if (!idle_since)
			idle_since = now;
		/* Spin first: under load the next batch is close. */
		if (now - idle_since <
		    (int64_t)wrk_spin_limit_us(o, sp.budget_us)) {
			ck_pr_stall();
			continue;
		}
		_spin_paid(&sp, o, idle_since, now);
		unsigned seen = ring_sleep_prepare(sh);
		if (!shard_column_empty(r, s)) {
			ck_pr_store_uint(&sh->sleeping, 0);
			idle_since = now; /* a new idle period, nothing owed */
			continue;
		}
		me->counters[REG_C_SLEEPS]++;
		ring_sleep(sh, seen, o->sleep_ms);
		idle_since = 0;
		sp.last = _now_us();
	}
}
