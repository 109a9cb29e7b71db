/*
 * ring: the SPSC ring matrix. One ck_ring per (producer slot, shard), its
 * records stored inline in shared memory (CK_RING_PROTOTYPE-typed, copied by
 * value). Both sides batch: a producer stages records into slots and makes a
 * whole batch visible with one index store; a worker reads records in place
 * and releases a whole batch with one index store. ck 0.7.1 has no batch call,
 * so the two batch operations below keep ck's own rules (a ring of size n
 * holds n-1 records; the producer reads c_head, the consumer reads p_tail)
 * and the single-record calls use ck's typed functions.
 *
 * Producer side: only the holder of producer slot p. Consumer side: only the
 * worker of shard s. The doorbell wakes a sleeping worker (futex on shared
 * memory, so across processes).
 */
#ifndef PENCHANT_SHM_RING_H
#define PENCHANT_SHM_RING_H

#include <ck_pr.h>
#include <ck_ring.h>
#include <stdbool.h>

#include "shm/region.h"

CK_RING_PROTOTYPE(evt, evt_record)

/* Producer-local state of one slot: shadow indices per shard. */
struct ring_producer {
	const struct reg *r;
	unsigned slot;
	unsigned shards;
	struct ring_shadow {
		unsigned p_tail; /* next index to fill (local, unpublished) */
		unsigned c_head; /* last c_head seen: free space estimate */
		unsigned staged; /* records filled since the last commit */
		uint64_t seq;	 /* next sequence number */
	} sh[REG_MAX_SHARDS];
};

/* Holder of slot p: picks up the slot's rings where they stand. */
void ring_producer_init(struct ring_producer *pr, const struct reg *r,
    unsigned slot);

/*
 * Copies `rec` into the next free slot of the ring to `shard`, stamping its
 * sequence number, without making it visible. false when the ring is full
 * (counting what is staged): commit, then wait or give up.
 */
bool ring_stage(struct ring_producer *pr, unsigned shard,
    const struct evt_record *rec);

/* CLOCK_MONOTONIC in microseconds, low 32 bits (wraps every 71 min). */
uint32_t ring_now_us(void);

/* Makes every staged record visible (stamping pub_us) and wakes sleeping
 * workers. */
void ring_commit(struct ring_producer *pr);

/* Records staged and not yet committed, over all shards. */
unsigned ring_staged(const struct ring_producer *pr);

/* Worker side ------------------------------------------------------------ */

/* Records ready to read in ring `b` from the consumer's position. */
static inline unsigned ring_ready(struct ring_block *b)
{
	unsigned p = ck_pr_load_uint(&b->ring.p_tail);
	ck_pr_fence_load(); /* the index is read before the records it covers */
	return p - b->ring.c_head;
}

/* The i-th ready record, in place (valid until released). */
static inline struct evt_record *ring_peek(struct ring_block *b, unsigned i)
{
	return &b->records[(b->ring.c_head + i) & b->ring.mask];
}

/* Gives n read records back to the producer. */
static inline void ring_release(struct ring_block *b, unsigned n)
{
	ck_pr_fence_release(); /* reads of the records finish before reuse */
	ck_pr_store_uint(&b->ring.c_head, b->ring.c_head + n);
}

/*
 * Records in the ring not yet released (any process, approximate). The
 * consumer's head first: it never passes the producer's tail, so a tail
 * read after it is at least as far (read the other way round, a consumer
 * moving between the two loads made the difference wrap to ~4e9); the
 * clamp covers a ring read while it is being laid out.
 */
static inline unsigned ring_backlog(struct ring_block *b)
{
	unsigned head = ck_pr_load_uint(&b->ring.c_head);
	ck_pr_fence_load();
	unsigned n = ck_pr_load_uint(&b->ring.p_tail) - head;
	unsigned cap = b->ring.size ? b->ring.size - 1 : 0;
	return n < cap ? n : cap;
}

/*
 * Worker of shard s: announces it is about to sleep and sleeps on the
 * doorbell until a producer rings it or timeout_ms passes. The caller checks
 * its rings again between ring_sleep_prepare() and ring_sleep().
 */
unsigned ring_sleep_prepare(struct shard_block *sh);
void ring_sleep(struct shard_block *sh, unsigned seen, unsigned timeout_ms);

/* Any producer: wakes the worker of `sh` if it sleeps. */
void ring_wake(struct shard_block *sh);

#endif
