/*
 * worker: the shard worker process, single writer of one profile-table
 * shard. Its loop runs the shard step (shm/shard.h: recover, then poll the
 * column and apply) and keeps the process side: the heartbeat, a short
 * spin when idle, then a sleep on the shard's doorbell.
 */
#ifndef PENCHANT_WORKERS_WORKER_H
#define PENCHANT_WORKERS_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "shm/region.h"

struct wrk_trace;

struct wrk_options {
	unsigned batch;	       /* records taken from one ring at a time */
	unsigned idle_spin_us; /* spin this long before sleeping */
	unsigned sleep_ms;     /* doorbell timeout */
	/* Work-proportional spin (0, 0: idle_spin_us only). */
	double idle_spin_share;	   /* of the last window's busy time */
	unsigned idle_spin_max_us; /* extra spin of one idle period, at most */
	/* NULL, or the loop's trace (see wrk_trace_pass; benchmarks). */
	struct wrk_trace *trace;
	/* shard_prefault at start (the worker_prefault setting). */
	bool prefault;
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
 * A loop's trace, for benchmarks (penchant-bench --trace) that must tell a
 * worker that was descheduled from one that was slow. The loop calls
 * wrk_trace_pass() once a pass with the pass's end time and its progress
 * so far. The trace keeps a sample (the thread's CPU time and getrusage
 * counts: involuntary and voluntary context switches, minor faults) at
 * most every gap_ns / 2, and records each pass that ended more than gap_ns
 * after the one before as a gap, with what changed since the sample
 * before it: a gap whose time went mostly off the CPU with an involuntary
 * switch was a preemption, one with a voluntary switch a sleep, one spent
 * on the CPU a slow pass. Arrays full: counted, not stored.
 *
 * Memory: one block of wrk_trace_size() bytes that the caller provides
 * (a benchmark's anonymous shared map, so the parent reads what its
 * children wrote after they exit); the tracing thread is its only writer.
 * Not on a production path: a sample costs two syscalls.
 */
struct wrk_sample {
	int64_t at_ns;	/* CLOCK_MONOTONIC */
	int64_t cpu_ns; /* CLOCK_THREAD_CPUTIME_ID */
	uint64_t count; /* the caller's progress at at_ns */
	uint32_t nivcsw, nvcsw, minflt, pad;
};

struct wrk_gap {
	int64_t at_ns;	    /* end of the pass before */
	int64_t len_ns;	    /* to the end of this pass */
	int64_t off_cpu_ns; /* wall minus CPU time since the sample before */
	uint32_t nivcsw, nvcsw, minflt; /* since the sample before */
	uint32_t taken;			/* this pass's progress */
	uint64_t count;			/* the progress at its end */
};

struct wrk_trace {
	int64_t gap_ns;		      /* set by the caller */
	uint32_t sample_cap, gap_cap; /* set by the caller */
	uint64_t n_samples, n_gaps;   /* may pass the caps */
	int64_t last_ns;	      /* the previous pass's end */
	struct wrk_sample last;	      /* the latest sample */
	struct wrk_sample samples[];  /* then gap_cap struct wrk_gap */
};

/* Bytes of a trace with room for the given samples and gaps. */
size_t wrk_trace_size(uint32_t sample_cap, uint32_t gap_cap);

/* Lays a trace out in mem (wrk_trace_size bytes). */
struct wrk_trace *wrk_trace_init(void *mem, uint32_t sample_cap,
    uint32_t gap_cap, int64_t gap_ns);

/* The recorded gaps (min(n_gaps, gap_cap) of them). */
struct wrk_gap *wrk_trace_gaps(struct wrk_trace *t);

/* Once a pass, by the tracing thread: now_ns its end, count its progress
 * so far, taken the part of it this pass made. */
void wrk_trace_pass(struct wrk_trace *t, int64_t now_ns, uint64_t count,
    unsigned taken);

/*
 * Worker process body: recover, then poll until the region is DRAINING and
 * every ring of the column is empty. Returns 0.
 */
int wrk_main(const struct reg *r, unsigned s, const struct wrk_options *o);

#endif
