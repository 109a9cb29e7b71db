/*
 * ring: batched staging/commit on top of ck_ring's indices, and the futex
 * doorbell that lets idle workers sleep.
 */
#include "shm/ring.h"

#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void ring_producer_init(struct ring_producer *pr, const struct reg *r,
    unsigned slot)
{
	memset(pr, 0, sizeof(*pr));
	pr->r = r;
	pr->slot = slot;
	pr->shards = r->hdr->geo.shards;
	for (unsigned s = 0; s < pr->shards; s++) {
		struct ring_block *b = reg_ring(r, slot, s);
		pr->sh[s].p_tail = ck_pr_load_uint(&b->ring.p_tail);
		pr->sh[s].c_head = ck_pr_load_uint(&b->ring.c_head);
		pr->sh[s].seq = ck_pr_load_64(&b->next_seq);
	}
}

bool ring_stage(struct ring_producer *pr, unsigned shard,
    const struct evt_record *rec)
{
	struct ring_shadow *w = &pr->sh[shard];
	struct ring_block *b = reg_ring(pr->r, pr->slot, shard);
	const unsigned mask = b->ring.mask;
	/* ck's full rule: one slot always stays empty. */
	if (((w->p_tail + 1) & mask) == (w->c_head & mask)) {
		w->c_head = ck_pr_load_uint(&b->ring.c_head);
		if (((w->p_tail + 1) & mask) == (w->c_head & mask))
			return false;
	}
	struct evt_record *dst = &b->records[w->p_tail & mask];
	memcpy(dst, rec, sizeof(*dst));
	dst->seq = w->seq++;
	w->p_tail++;
	w->staged++;
	return true;
}

uint32_t ring_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000000u +
	    (uint64_t)ts.tv_nsec / 1000u);
}

void ring_commit(struct ring_producer *pr)
{
	bool any = false;
	uint32_t now = 0;
	for (unsigned s = 0; s < pr->shards; s++) {
		struct ring_shadow *w = &pr->sh[s];
		if (!w->staged)
			continue;
		struct ring_block *b = reg_ring(pr->r, pr->slot, s);
		/* One clock read per commit stamps the batch it publishes. */
		if (!now)
			now = ring_now_us() | 1;
		for (unsigned i = w->staged; i > 0; i--)
			b->records[(w->p_tail - i) & b->ring.mask].pub_us = now;
		ck_pr_store_64(&b->next_seq, w->seq);
		ck_pr_fence_store(); /* records and next_seq before the index */
		ck_pr_store_uint(&b->ring.p_tail, w->p_tail);
		w->staged = 0;
		any = true;
	}
	if (!any)
		return;
	/* Pairs with ring_sleep_prepare: our index store is ordered before
	 * our read of `sleeping`, so either the worker sees the records or we
	 * see it asleep. */
	ck_pr_fence_memory();
	for (unsigned s = 0; s < pr->shards; s++) {
		struct shard_block *sh = reg_shard(pr->r, s);
		if (ck_pr_load_uint(&sh->sleeping))
			ring_wake(sh);
	}
}

unsigned ring_staged(const struct ring_producer *pr)
{
	unsigned n = 0;
	for (unsigned s = 0; s < pr->shards; s++)
		n += pr->sh[s].staged;
	return n;
}

static long _futex(uint32_t *addr, int op, uint32_t val,
    const struct timespec *ts)
{
	/* Not FUTEX_PRIVATE: waiter and waker are different processes. */
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

unsigned ring_sleep_prepare(struct shard_block *sh)
{
	unsigned seen = ck_pr_load_uint(&sh->doorbell);
	ck_pr_store_uint(&sh->sleeping, 1);
	ck_pr_fence_memory(); /* `sleeping` is visible before we recheck */
	return seen;
}

void ring_sleep(struct shard_block *sh, unsigned seen, unsigned timeout_ms)
{
	struct timespec ts = { timeout_ms / 1000,
		(timeout_ms % 1000) * 1000000L };
	_futex(&sh->doorbell, FUTEX_WAIT, seen, &ts);
	ck_pr_store_uint(&sh->sleeping, 0);
}

void ring_wake(struct shard_block *sh)
{
	ck_pr_inc_uint(&sh->doorbell);
	_futex(&sh->doorbell, FUTEX_WAKE, 1, NULL);
}
