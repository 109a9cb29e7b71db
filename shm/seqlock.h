/*
 * seqlock: the one sequence-lock protocol of the region, over ck_sequence.
 * A single writer makes the count odd, writes, makes it even; readers copy
 * the data out and retry while the count was odd or moved. Readers never
 * block the writer, and a reader gives up (-EBUSY) instead of spinning
 * forever on a count a dead writer left odd.
 */
#ifndef PENCHANT_SHM_SEQLOCK_H
#define PENCHANT_SHM_SEQLOCK_H

#include <ck_pr.h>
#include <ck_sequence.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define SEQ_READ_SPINS 1000000 /* ~ms of retrying before calling it stuck */

/* Writer: odd, also when a dead writer left it odd (then it moves by 2). */
static inline void seq_write_begin(struct ck_sequence *sq)
{
	unsigned v = sq->sequence;
	ck_pr_store_uint(&sq->sequence, (v & 1) ? v + 2 : v + 1);
	ck_pr_fence_store(); /* the odd count is visible before any data */
}

static inline void seq_write_end(struct ck_sequence *sq)
{
	ck_pr_fence_store(); /* all data is visible before the even count */
	ck_pr_store_uint(&sq->sequence, sq->sequence + 1);
}

/*
 * Any process: a consistent copy of n bytes at src in at most `tries`
 * attempts, or -EBUSY. A reader that must not wait on a writer of lower
 * priority (one preempted mid-write keeps the count odd until it runs
 * again) passes a few and does without the data when they fail.
 */
static inline int seq_read_copy_tries(const struct ck_sequence *sq, void *dst,
    const void *src, size_t n, unsigned tries)
{
	for (unsigned spins = 0; spins < tries; spins++) {
		unsigned v = ck_pr_load_uint(&sq->sequence);
		if (v & 1) {
			ck_pr_stall();
			continue;
		}
		ck_pr_fence_load(); /* the count is read before the data */
		memcpy(dst, src, n);
		ck_pr_fence_load(); /* the data is read before the re-check */
		if (ck_pr_load_uint(&sq->sequence) == v)
			return 0;
	}
	return -EBUSY;
}

/*
 * Any process, for a read section that is more than one copy (counters
 * loaded atomically beside plain fields): the count once it is even,
 * after a bounded wait (a live writer finishes within it, a dead one's
 * count stays odd), or -1; then seq_read_retry says whether the data
 * read since may be torn.
 */
static inline long seq_read_begin(const struct ck_sequence *sq)
{
	for (unsigned spins = 0; spins < SEQ_READ_SPINS; spins++) {
		unsigned v = ck_pr_load_uint(&sq->sequence);
		if (!(v & 1)) {
			ck_pr_fence_load(); /* the count before the data */
			return v;
		}
		ck_pr_stall();
	}
	return -1;
}

static inline bool seq_read_retry(const struct ck_sequence *sq, long v)
{
	ck_pr_fence_load(); /* the data before the re-check */
	return ck_pr_load_uint(&sq->sequence) != (unsigned)v;
}

/* Any process: a consistent copy of n bytes at src, or -EBUSY. */
static inline int seq_read_copy(const struct ck_sequence *sq, void *dst,
    const void *src, size_t n)
{
	return seq_read_copy_tries(sq, dst, src, n, SEQ_READ_SPINS);
}

/* The writer's successor: forces a count left odd even. true if it was. */
static inline int seq_repair(struct ck_sequence *sq)
{
	unsigned v = sq->sequence;
	if (!(v & 1))
		return 0;
	ck_pr_store_uint(&sq->sequence, v + 1);
	return 1;
}

#endif
