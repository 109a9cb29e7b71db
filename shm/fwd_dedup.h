/*
 * fwd_dedup: the Fluentd forward protocol's crash-safe set of committed
 * chunk ids, a structure of shared memory (the acceptor keeps it in the
 * region, shm/layout.h). The protocol itself is ipc/forward.h.
 */
#ifndef PENCHANT_SHM_FWD_DEDUP_H
#define PENCHANT_SHM_FWD_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * fwd_dedup: the ids of recently committed chunks, so that a chunk the
 * client resends because its ack was lost (acceptor killed between commit
 * and ack, connection reset) is not applied twice.
 *
 * The set lives entirely in caller memory, a block of fwd_dedup_bytes(cap)
 * bytes with no pointers in it, so it may sit in shared memory and outlive
 * the acceptor process. One writer (the acceptor that owns it); it is made
 * for that writer to be killed at any instruction: an entry becomes
 * visible with one release store of its key after its other fields are
 * written, and fwd_dedup_init(..., reuse = true) re-checks the header and
 * recounts after a crash.
 *
 * Ids are XXH3-64 hashes (seeded) of the chunk bytes: two different chunks
 * colliding, 2^-64 per pair, would make the second look already committed.
 * The set remembers at least the last `cap` chunks added (cap rounded up
 * to a power of two >= 16) and at most twice that: two generations, each
 * a hash table filled to half its slots; the older one is cleared when the
 * newer fills. Memory: about 96 bytes per unit of cap (FWD_DEDUP_BYTES).
 *
 * Each entry carries a state and a 64-bit token the caller chooses (e.g.
 * the index of a journal entry holding the ring sequence numbers the
 * message will reach), so a crash between "begin" and "commit" can be
 * resolved by the caller after restart. Recipes for the acceptor are in
 * docs/PROTOCOL.md and in the comment above fwd_dedup_begin.
 */
#define FWD_DEDUP_MAGIC 0x46574444u /* "FWDD" */
#define FWD_DEDUP_VERSION 1u

enum fwd_seen {
	FWD_SEEN_NONE = 0,  /* not in the set */
	FWD_SEEN_PENDING,   /* begun, not committed: see its token */
	FWD_SEEN_COMMITTED, /* committed: do not apply again, just ack */
};

struct fwd_dedup_slot {
	uint64_t key; /* hash | 1; 0 = empty. Written last. */
	uint64_t token;
	uint32_t state; /* enum fwd_seen */
	uint32_t pad;
};

/*
 * Shared part (may be in shm). Writer: the owning acceptor only. Readers:
 * the same process (and tools, read-only, tolerating a torn view).
 */
struct fwd_dedup {
	uint32_t magic, version;
	uint32_t half;	  /* slots per generation, power of two;
	                         * a generation holds half/2 entries */
	uint32_t cur;	  /* generation being filled, 0 or 1 */
	uint32_t used[2]; /* entries per generation (recounted at
	                         * reuse) */
	uint64_t seed;
	struct fwd_dedup_slot slot[]; /* 2 * half */
};

/*
 * Bytes of a set of capacity `pow2` (a power of two >= 16): the header and
 * two generations of 2 * pow2 slots each. A constant expression, so the
 * region layout can size the acceptor's set at compile time.
 */
#define FWD_DEDUP_BYTES(pow2)                                                  \
	(sizeof(struct fwd_dedup) +                                            \
	    4ULL * (pow2) * sizeof(struct fwd_dedup_slot))

/* Bytes for a set that remembers at least `cap` chunks; 0 when cap is 0
 * or over 2^28. */
size_t fwd_dedup_bytes(uint32_t cap);

/*
 * Sets up the set in mem[0..bytes). reuse false: a fresh, empty set.
 * reuse true: keep an existing set when its header matches (magic,
 * version, size) and recount it; otherwise start empty. Returns 0, or
 * -EINVAL when bytes < fwd_dedup_bytes(cap) or cap is 0 or over 2^28.
 */
int fwd_dedup_init(struct fwd_dedup *d, size_t bytes, uint32_t cap,
    uint64_t seed, bool reuse);

/* Looks a chunk up; *token (may be NULL) gets the entry's token. */
enum fwd_seen fwd_dedup_lookup(const struct fwd_dedup *d, const char *chunk,
    size_t len, uint64_t *token);

/*
 * Records a chunk as PENDING with `token` (replacing an entry for the same
 * chunk). Use before publishing a message's records, so that a crash in
 * the middle leaves a trace the restarted acceptor can resolve with the
 * token. fwd_dedup_commit() marks it COMMITTED (after the records are
 * published, before the ack is sent); fwd_dedup_add() is begin + commit in
 * one step for callers that accept the small window described in
 * docs/PROTOCOL.md. Never fails: a full generation is recycled.
 */
void fwd_dedup_begin(struct fwd_dedup *d, const char *chunk, size_t len,
    uint64_t token);
void fwd_dedup_commit(struct fwd_dedup *d, const char *chunk, size_t len);
void fwd_dedup_add(struct fwd_dedup *d, const char *chunk, size_t len,
    uint64_t token);

#endif
