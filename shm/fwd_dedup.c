/*
 * fwd_dedup: the set of committed forward chunk ids (fwd_dedup.h).
 */
#include "shm/fwd_dedup.h"

#include <errno.h>
#include <string.h>
#include <xxhash.h>

static uint32_t _pow2(uint32_t cap)
{
	uint32_t c = 16;

	while (c < cap)
		c <<= 1;
	return c;
}

/* Slots per generation: twice the entries it holds (load <= 1/2). */
static uint32_t _half(uint32_t cap)
{
	return _pow2(cap) * 2;
}

size_t fwd_dedup_bytes(uint32_t cap)
{
	if (cap == 0 || cap > (1u << 28))
		return 0;
	return FWD_DEDUP_BYTES(_pow2(cap));
}

static uint64_t _key(const struct fwd_dedup *d, const char *chunk, size_t len)
{
	return XXH3_64bits_withSeed(chunk, len, d->seed) | 1;
}

static struct fwd_dedup_slot *_gen(struct fwd_dedup *d, uint32_t g)
{
	return d->slot + (size_t)g * d->half;
}

static void _recount(struct fwd_dedup *d)
{
	for (uint32_t g = 0; g < 2; g++) {
		uint32_t n = 0;

		for (uint32_t i = 0; i < d->half; i++)
			n += __atomic_load_n(&_gen(d, g)[i].key,
				 __ATOMIC_RELAXED) != 0;
		d->used[g] = n;
	}
	d->cur &= 1;
}

int fwd_dedup_init(struct fwd_dedup *d, size_t bytes, uint32_t cap,
    uint64_t seed, bool reuse)
{
	size_t need = fwd_dedup_bytes(cap);
	uint32_t half;

	if (!d || need == 0 || bytes < need)
		return -EINVAL;
	half = _half(cap);
	if (reuse && d->magic == FWD_DEDUP_MAGIC &&
	    d->version == FWD_DEDUP_VERSION && d->half == half &&
	    d->seed == seed) {
		_recount(d);
		return 0;
	}
	memset(d, 0, need);
	d->version = FWD_DEDUP_VERSION;
	d->half = half;
	d->seed = seed;
	/* magic last: a crash during init leaves a set that reuse rejects */
	__atomic_store_n(&d->magic, FWD_DEDUP_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

/* Slot of key in generation g, or NULL. */
static struct fwd_dedup_slot *_find(const struct fwd_dedup *d, uint32_t g,
    uint64_t key)
{
	struct fwd_dedup_slot *t =
	    (struct fwd_dedup_slot *)d->slot + (size_t)g * d->half;
	uint32_t mask = d->half - 1;

	for (uint32_t i = 0, at = (uint32_t)(key >> 32) & mask; i < d->half;
	     i++, at = (at + 1) & mask) {
		uint64_t k = __atomic_load_n(&t[at].key, __ATOMIC_ACQUIRE);

		if (k == key)
			return &t[at];
		if (k == 0)
			return NULL;
	}
	return NULL;
}

enum fwd_seen fwd_dedup_lookup(const struct fwd_dedup *d, const char *chunk,
    size_t len, uint64_t *token)
{
	uint64_t key = _key(d, chunk, len);

	/* newer generation first: it holds the latest state of a chunk */
	for (uint32_t i = 0; i < 2; i++) {
		const struct fwd_dedup_slot *e =
		    _find(d, (d->cur + 2 - i) & 1, key);

		if (e) {
			if (token)
				*token = e->token;
			return e->state == FWD_SEEN_COMMITTED
			    ? FWD_SEEN_COMMITTED
			    : FWD_SEEN_PENDING;
		}
	}
	return FWD_SEEN_NONE;
}

void fwd_dedup_begin(struct fwd_dedup *d, const char *chunk, size_t len,
    uint64_t token)
{
	uint64_t key = _key(d, chunk, len);
	struct fwd_dedup_slot *t, *e;
	uint32_t mask = d->half - 1, at;

	e = _find(d, d->cur, key);
	if (e) {
		e->state = FWD_SEEN_PENDING;
		e->token = token;
		return;
	}
	/* Generation full (half its slots): clear the older one, fill it. */
	if (d->used[d->cur] >= d->half / 2) {
		uint32_t g = d->cur ^ 1;

		for (uint32_t i = 0; i < d->half; i++)
			__atomic_store_n(&_gen(d, g)[i].key, 0,
			    __ATOMIC_RELAXED);
		d->used[g] = 0;
		__atomic_store_n(&d->cur, g, __ATOMIC_RELEASE);
	}
	t = _gen(d, d->cur);
	for (at = (uint32_t)(key >> 32) & mask; t[at].key != 0;
	     at = (at + 1) & mask)
		;
	t[at].token = token;
	t[at].state = FWD_SEEN_PENDING;
	/* the entry's fields before its key: visible only when whole */
	__atomic_store_n(&t[at].key, key, __ATOMIC_RELEASE);
	d->used[d->cur]++;
}

void fwd_dedup_commit(struct fwd_dedup *d, const char *chunk, size_t len)
{
	uint64_t key = _key(d, chunk, len);

	for (uint32_t i = 0; i < 2; i++) {
		struct fwd_dedup_slot *e = _find(d, (d->cur + 2 - i) & 1, key);

		if (e) {
			__atomic_store_n(&e->state, FWD_SEEN_COMMITTED,
			    __ATOMIC_RELEASE);
			return;
		}
	}
}

void fwd_dedup_add(struct fwd_dedup *d, const char *chunk, size_t len,
    uint64_t token)
{
	fwd_dedup_begin(d, chunk, len, token);
	fwd_dedup_commit(d, chunk, len);
}
