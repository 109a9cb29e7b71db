/*
 * profiles: the per-shard profile table. Open addressing over a compact
 * index (16-byte entries, load at most 1/2) pointing into dense 768-byte
 * records, each behind a sequence lock.
 *
 * Writers: only the worker of the shard (prof_find_or_insert, prof_write_*).
 * Readers: any process (prof_read), lock-free; they never block the writer
 * and retry while a record is being written, and look again after a miss
 * while a deletion was shifting index entries (the shard's index_moves
 * count), so a present user is never reported missing (-EBUSY when
 * deletions never pause for thousands of tries).
 */
#ifndef PENCHANT_SHM_PROFILES_H
#define PENCHANT_SHM_PROFILES_H

#include <ck_pr.h>
#include <stdbool.h>

#include "shm/region.h"
#include "shm/seqlock.h"

/* First index slot probed for a key (for prefetching). */
static inline uint32_t prof_probe_start(uint64_t key, uint32_t slots)
{
	/* Low bits: the shard choice used the high bits. */
	return (uint32_t)(key ^ (key >> 29)) & (slots - 1);
}

/* Where a user's record lives in its shard. */
struct prof_ref {
	uint32_t index_pos;
	uint32_t rec;
	bool inserted; /* this call created it */
};

/*
 * Worker of shard s only. Finds the record of `key`, or claims a new one
 * initialized with lrn_profile_init (published in the index only after it is
 * initialized). Returns 0, or -ENOSPC when the shard table is full.
 */
int prof_find_or_insert(const struct reg *r, unsigned s, uint64_t key,
    struct prof_ref *ref);

/* Worker of shard s only: finds the record of `key`; -ENOENT when none. */
int prof_find(const struct reg *r, unsigned s, uint64_t key,
    struct prof_ref *ref);

/* Worker of shard s only: bracket a change of a record. */
static inline void prof_write_begin(struct prof_slot *slot)
{
	seq_write_begin(&slot->seq);
}
static inline void prof_write_end(struct prof_slot *slot)
{
	seq_write_end(&slot->seq);
}

/*
 * Worker of shard s only: removes the profile of `key` (an erasure, a
 * retention sweep). Its record is zeroed under its lock (readers get
 * -ENOENT, never a half-erased profile, and no byte of it stays), its
 * index entry removed, and the record goes on the shard's free list for
 * the next insert. Returns 0, or -ENOENT when there is none.
 *
 * A worker killed in the middle leaves an index entry to a zeroed record
 * or a record no entry leads to: prof_validate removes the one and zeroes
 * and frees the other at the next start.
 */
int prof_delete(const struct reg *r, unsigned s, uint64_t key);

/*
 * Worker of shard s only: forgets what the profile of `key` learned. One
 * holding a consent decision keeps its key and the decision (a
 * consent-only record: an objection outlives the profile it objected
 * to); any other is deleted (prof_delete). Returns 0 when the profile
 * held anything learned (events), -ENOENT otherwise.
 */
int prof_forget(const struct reg *r, unsigned s, uint64_t key);

/* Profiles in shard s: records handed out minus free ones. */
static inline uint32_t prof_count(const struct reg *r, unsigned s)
{
	const struct shard_block *sh = reg_shard(r, s);
	uint32_t n = ck_pr_load_uint(&sh->count),
		 f = ck_pr_load_uint(&sh->free_n);
	return f <= n ? n - f : 0;
}

/*
 * Any process. Copies the profile of `key` into *out. Returns 0, -ENOENT
 * when the user has no profile, -EBUSY when the record stayed mid-write for
 * too long (its writer died; the supervisor's restart repairs it).
 */
int prof_read(const struct reg *r, uint64_t key, struct lrn_profile *out);

/*
 * prof_read of the record's first `bytes` only (at least the user key,
 * at most the whole profile; LRN_HOT_BYTES is what ranking reads): the
 * same consistency, fewer cache lines. The rest of *out is untouched.
 */
int prof_read_part(const struct reg *r, uint64_t key, struct lrn_profile *out,
    size_t bytes);

/*
 * Any process, for reads of many keys at once: start loading the index
 * line of `key`, and later (when that line has had time to arrive) the
 * first `bytes` of its record, so that the misses of many reads overlap
 * instead of following one another. Hints only: nothing is read
 * consistently, a key not found prefetches nothing.
 */
void prof_prefetch_index(const struct reg *r, uint64_t key);
void prof_prefetch_record(const struct reg *r, uint64_t key, size_t bytes);

/*
 * Any process: copies record `rec` of shard s consistently (0 or -EBUSY),
 * as readers see a profile (lrn_settle: weights as of last_ms, as
 * prof_read gives them too); prof_copy_raw as the learner keeps it (for
 * snapshots, which the learner takes back).
 */
int prof_copy(const struct reg *r, unsigned s, uint32_t rec,
    struct lrn_profile *out);
int prof_copy_raw(const struct reg *r, unsigned s, uint32_t rec,
    struct lrn_profile *out);

/*
 * Worker of shard s only, at start: makes the record count cover every
 * record an index key points to (defence against an insert cut short).
 * Returns by how much it grew.
 */
unsigned prof_repair_count(const struct reg *r, unsigned s);

/*
 * Worker of shard s only, at start: forces every odd sequence even (a dead
 * writer's leftovers after rollback), the index's deletion count too.
 * Returns how many records were repaired.
 */
unsigned prof_repair_seqlocks(const struct reg *r, unsigned s);

/*
 * Worker of shard s only: removes index entry `pos` by backward shift
 * (linear probing keeps no tombstones). A reader probing at that moment
 * may miss a key that is being moved back: -ENOENT once, never a wrong
 * profile. The record itself is left as it is (the caller clears it).
 */
void prof_index_delete(const struct reg *r, unsigned s, uint32_t pos);

/*
 * Worker of shard s only, at start, before recovery: shared memory is
 * input too. Checks every index entry and the intent against the
 * geometry and quarantines what cannot be right: entries pointing past
 * the table, at a record another entry claims, or at a record of another
 * user are removed; a count past the capacity is cut (the intent is the
 * shard step's to check, shm/shard.c). Then rebuilds the free list from
 * the records no entry leads to, zeroing any that still hold a profile
 * (an orphan of a deletion or insert cut short). `seen` is scratch of
 * (profiles_per_shard + 7) / 8 bytes. Returns how many things it repaired
 * (orphans zeroed included; free records already zero are not counted).
 */
unsigned prof_validate(const struct reg *r, unsigned s, uint8_t *seen);

/*
 * Supervisor only, while no worker runs (loading a snapshot): inserts or
 * overwrites a whole profile into its shard. 0, -ENOSPC, or -EINVAL for
 * a user key of 0 (no key: it marks a free index entry).
 */
int prof_load(const struct reg *r, const struct lrn_profile *p);

#endif
