/* ring_order_fork: 2,000,000 records from a forked producer (ring_stage/ring_commit batches) through a 1024-deep ring arrive at a forked consumer in order, exactly once, intact. */
#include <sched.h>
#include <string.h>

#include "shm/ring.h"
#include "shmtest.h"

#define N 2000000ULL
#define BATCH 48
#define DEADLINE_NS 60000000000LL /* a hang guard only, never expected */

static const char *g_inst;

static void fill(struct evt_record *e, uint64_t i)
{
	memset(e, 0, sizeof(*e));
	e->seq = ~0ULL; /* ring_stage stamps it */
	e->user_key = i * 0x9E3779B97F4A7C15ULL + 1;
	e->entity_key = i;
	e->time_ms = (int64_t)i * 3;
	e->type = (uint8_t)(i % EVT_TYPE_COUNT);
	e->reserved[sizeof(e->reserved) - 1] = (uint8_t)i;
}

static int producer(void *arg)
{
	(void)arg;
	struct reg r;
	char err[256];
	if (reg_attach(&r, g_inst, NULL, err, sizeof(err)))
		return 2;
	struct ring_producer pr;
	ring_producer_init(&pr, &r, 0);
	int64_t until = st_mono_ns() + DEADLINE_NS;
	struct evt_record e;
	uint64_t full = 0;
	for (uint64_t i = 0; i < N; i++) {
		fill(&e, i);
		while (!ring_stage(&pr, 0, &e)) {
			ring_commit(
			    &pr); /* the ring is full: show what is staged */
			full++;
			sched_yield();
			if ((full & 255) == 0 && st_mono_ns() > until) {
				fprintf(stderr, "producer stuck at %llu\n",
				    (unsigned long long)i);
				return 1;
			}
		}
		if (ring_staged(&pr) >= BATCH)
			ring_commit(&pr);
	}
	ring_commit(&pr);
	if (ring_staged(&pr) != 0)
		return 1;
	printf("producer: %llu records, %llu full waits\n",
	    (unsigned long long)N, (unsigned long long)full);
	reg_detach(&r);
	return 0;
}

static int consumer(void *arg)
{
	(void)arg;
	struct reg r;
	char err[256];
	if (reg_attach(&r, g_inst, NULL, err, sizeof(err)))
		return 2;
	struct ring_block *b = reg_ring(&r, 0, 0);
	int64_t until = st_mono_ns() + DEADLINE_NS;
	uint64_t next = 0, empty = 0, bad = 0, max_ready = 0;
	struct evt_record want;
	while (next < N) {
		unsigned n = ring_ready(b);
		if (n == 0) {
			empty++;
			sched_yield();
			if ((empty & 255) == 0 && st_mono_ns() > until) {
				fprintf(stderr, "consumer stuck at %llu\n",
				    (unsigned long long)next);
				return 1;
			}
			continue;
		}
		if (n > max_ready)
			max_ready = n;
		if (n > 1023 && bad++ < 5)
			fprintf(stderr, "ready %u exceeds the usable depth\n",
			    n);
		for (unsigned i = 0; i < n; i++, next++) {
			const struct evt_record *e = ring_peek(b, i);
			fill(&want, next);
			want.seq = next;
			want.pub_us = e->pub_us; /* the commit's stamp */
			if ((!e->pub_us ||
				memcmp(e, &want, sizeof(want)) != 0) &&
			    bad++ < 5)
				fprintf(stderr,
				    "record %llu: seq %llu user %llx, want user %llx\n",
				    (unsigned long long)next,
				    (unsigned long long)e->seq,
				    (unsigned long long)e->user_key,
				    (unsigned long long)want.user_key);
		}
		/* Release in two uneven pieces: the producer must cope. */
		unsigned part = n / 3;
		if (part)
			ring_release(b, part);
		ring_release(b, n - part);
	}
	printf("consumer: %llu records, max ready %llu, %llu empty polls\n",
	    (unsigned long long)next, (unsigned long long)max_ready,
	    (unsigned long long)empty);
	CHECK(max_ready <= 1023);
	reg_detach(&r);
	return bad || check_failures ? 1 : 0;
}

int main(void)
{
	st_init(100);
	g_inst = st_instance("ring");
	struct reg_geometry g = st_geo(1, 1, 1024, 16, 8, 8);
	struct reg r;
	st_create(&r, g_inst, &g, REG_RUNNING);
	struct ring_block *b = reg_ring(&r, 0, 0);
	CHECK_EQ_INT(b->ring.size, 1024);

	/* Single process first: the usable depth is size - 1. */
	{
		struct ring_producer pr;
		struct evt_record e;
		ring_producer_init(&pr, &r, 0);
		unsigned staged = 0;
		fill(&e, 0);
		while (ring_stage(&pr, 0, &e))
			staged++;
		CHECK_EQ_INT(staged, 1023);
		CHECK_EQ_INT(ring_ready(b),
		    0); /* nothing visible before commit */
		CHECK_EQ_INT(ring_staged(&pr), 1023);
		ring_commit(&pr);
		CHECK_EQ_INT(ring_ready(b), 1023);
		CHECK_EQ_INT(ring_backlog(b), 1023);
		CHECK_EQ_INT(b->next_seq, 1023);
		CHECK_EQ_INT(ring_peek(b, 1022)->seq, 1022);
		ring_release(b, 1023);
		CHECK_EQ_INT(ring_backlog(b), 0);
		/* Reset for the forked run. */
		ck_ring_init(&b->ring, g.ring_depth);
		b->next_seq = 0;
	}

	pid_t c = st_fork(consumer, NULL);
	pid_t p = st_fork(producer, NULL);
	CHECK(st_wait_ok(p, "producer"));
	CHECK(st_wait_ok(c, "consumer"));
	CHECK_EQ_INT(b->next_seq, N);
	CHECK_EQ_INT(ring_backlog(b), 0);
	CHECK_EQ_INT(b->ring.p_tail, (unsigned)N);
	CHECK_EQ_INT(b->ring.c_head, (unsigned)N);

	reg_detach(&r);
	reg_unlink(g_inst);
	return check_done("ring_order_fork");
}
