/*
 * profiles: open-addressing index + dense records with sequence locks.
 */
#include "shm/profiles.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

int prof_find_or_insert(const struct reg *r, unsigned s, uint64_t key,
    struct prof_ref *ref)
{
	struct shard_block *sh = reg_shard(r, s);
	struct prof_index *idx = reg_shard_index(r, s);
	const uint32_t mask = r->hdr->geo.index_slots - 1;
	uint32_t i = prof_probe_start(key, mask + 1), n = 0;
	for (; n <= mask; n++, i = (i + 1) & mask) {
		uint64_t k = idx[i].key;
		if (k == key) {
			ref->index_pos = i;
			ref->rec = idx[i].rec;
			ref->inserted = false;
			return 0;
		}
		if (k == 0)
			break;
	}
	/* n > mask: an index with no free entry (only a corrupt one). */
	if (n > mask)
		return -ENOSPC;
	struct prof_slot *recs = reg_shard_records(r, s);
	uint32_t rec;
	if (sh->free_head && sh->free_head <= sh->count) {
		/* Claim it before publishing it, as below. */
		rec = sh->free_head - 1;
		ck_pr_store_uint(&sh->free_head, recs[rec].p.events);
		ck_pr_store_uint(&sh->free_n, sh->free_n ? sh->free_n - 1 : 0);
	} else if (sh->count < r->hdr->geo.profiles_per_shard) {
		rec = sh->count;
		/* Claim the record before publishing it: a worker killed
		 * between the two leaks one unused record at worst (the next
		 * start frees it), never hands it out twice. */
		ck_pr_store_uint(&sh->count, rec + 1);
	} else {
		return -ENOSPC;
	}
	struct prof_slot *slot = recs + rec;
	prof_write_begin(slot);
	lrn_profile_init(&slot->p, key);
	prof_write_end(slot);
	idx[i].rec = rec;
	/* The record and rec are visible before the key that leads to them. */
	ck_pr_fence_store();
	ck_pr_store_64(&idx[i].key, key);
	ref->index_pos = i;
	ref->rec = rec;
	ref->inserted = true;
	return 0;
}

int prof_copy_raw(const struct reg *r, unsigned s, uint32_t rec,
    struct lrn_profile *out)
{
	const struct prof_slot *slot = reg_shard_records(r, s) + rec;
	return seq_read_copy(&slot->seq, out, &slot->p, sizeof(*out));
}

int prof_copy(const struct reg *r, unsigned s, uint32_t rec,
    struct lrn_profile *out)
{
	int rc = prof_copy_raw(r, s, rec, out);
	if (rc == 0)
		lrn_settle(out, &r->hdr->params, sizeof(*out));
	return rc;
}

int prof_read(const struct reg *r, uint64_t key, struct lrn_profile *out)
{
	return prof_read_part(r, key, out, sizeof(*out));
}

/* One probe run for key in shard s's index. */
static int _probe(const struct reg *r, unsigned s, uint64_t key, uint32_t *rec)
{
	const struct prof_index *idx = reg_shard_index(r, s);
	const uint32_t mask = r->hdr->geo.index_slots - 1;
	uint32_t i = prof_probe_start(key, mask + 1);
	for (uint32_t n = 0; n <= mask; n++, i = (i + 1) & mask) {
		uint64_t k = ck_pr_load_64(&idx[i].key);
		if (k == 0)
			return -ENOENT;
		if (k != key)
			continue;
		ck_pr_fence_load(); /* key before rec: pairs with the insert */
		*rec = ck_pr_load_32(&idx[i].rec);
		if (*rec >= r->hdr->geo.profiles_per_shard)
			return -EIO; /* corrupt: its worker quarantines it */
		return 0;
	}
	return -ENOENT;
}

#define _MOVE_TRIES 4096 /* a dead worker's count stays odd: not forever */

/*
 * Found lock-free through the index. A deletion shifts the later entries
 * of its probe run back, one entry at a time (record, then key): a
 * reader crossing the shift can step past a key that moved behind it,
 * or take an entry's old key with the record of the key moving in. A
 * miss while a deletion ran (index_moves odd, or moved: the worker's
 * count) is looked for again; one that stands is an answer.
 */
int prof_read_part(const struct reg *r, uint64_t key, struct lrn_profile *out,
    size_t bytes)
{
	if (bytes < offsetof(struct lrn_profile, first_ms) ||
	    bytes > sizeof(*out))
		return -EINVAL;
	unsigned s = reg_shard_of(key, r->hdr->geo.shards);
	const struct shard_block *sh = reg_shard(r, s);
	for (unsigned tries = 0;; tries++) {
		unsigned v = ck_pr_load_uint(&sh->index_moves);
		ck_pr_fence_load(); /* the count before the entries */
		uint32_t rec;
		int rc = _probe(r, s, key, &rec);
		if (rc == 0) {
			const struct prof_slot *slot =
			    reg_shard_records(r, s) + rec;
			if ((rc = seq_read_copy(&slot->seq, out, &slot->p,
				 bytes)))
				return rc;
			/* Not the key's: a rolled-back insert's blank
			 * record, or an entry caught mid-move. */
			if (out->user_key == key) {
				lrn_settle(out, &r->hdr->params, bytes);
				return 0;
			}
			rc = -ENOENT;
		}
		if (rc != -ENOENT)
			return rc;
		ck_pr_fence_load(); /* the entries before the re-check */
		if (!(v & 1) && ck_pr_load_uint(&sh->index_moves) == v)
			return -ENOENT;
		/* Deletions all along: no answer (as a record stuck
		 * mid-write), not a false "not found". */
		if (tries >= _MOVE_TRIES)
			return -EBUSY;
		ck_pr_stall();
	}
}

void prof_prefetch_index(const struct reg *r, uint64_t key)
{
	unsigned s = reg_shard_of(key, r->hdr->geo.shards);
	const struct prof_index *idx = reg_shard_index(r, s);
	__builtin_prefetch(
	    &idx[prof_probe_start(key, r->hdr->geo.index_slots)]);
}

void prof_prefetch_record(const struct reg *r, uint64_t key, size_t bytes)
{
	unsigned s = reg_shard_of(key, r->hdr->geo.shards);
	uint32_t rec;
	if (_probe(r, s, key, &rec)) /* a hint: no retry */
		return;
	const char *p = (const char *)(reg_shard_records(r, s) + rec);
	/* The lock word, then the bytes after it. */
	for (size_t off = 0; off < bytes + offsetof(struct prof_slot, p);
	     off += REG_LINE)
		__builtin_prefetch(p + off);
}

/* Index position of key in shard s, or -1. */
static int64_t _find(const struct reg *r, unsigned s, uint64_t key)
{
	const struct prof_index *idx = reg_shard_index(r, s);
	const uint32_t mask = r->hdr->geo.index_slots - 1;
	uint32_t i = prof_probe_start(key, mask + 1);
	for (uint32_t n = 0; n <= mask; n++, i = (i + 1) & mask) {
		if (idx[i].key == key)
			return i;
		if (idx[i].key == 0)
			break;
	}
	return -1;
}

/* Zeroes record rec (under its lock) and puts it on the free list. */
static void _free_record(const struct reg *r, unsigned s, uint32_t rec)
{
	struct shard_block *sh = reg_shard(r, s);
	struct prof_slot *slot = reg_shard_records(r, s) + rec;
	prof_write_begin(slot);
	memset(&slot->p, 0, sizeof(slot->p));
	slot->p.events = sh->free_head; /* the link */
	prof_write_end(slot);
	ck_pr_store_uint(&sh->free_head, rec + 1);
	ck_pr_store_uint(&sh->free_n, sh->free_n + 1);
}

int prof_find(const struct reg *r, unsigned s, uint64_t key,
    struct prof_ref *ref)
{
	int64_t pos = key ? _find(r, s, key) : -1;
	if (pos < 0)
		return -ENOENT;
	ref->index_pos = (uint32_t)pos;
	ref->rec = reg_shard_index(r, s)[pos].rec;
	ref->inserted = false;
	return ref->rec < reg_shard(r, s)->count ? 0 : -ENOENT;
}

int prof_delete(const struct reg *r, unsigned s, uint64_t key)
{
	int64_t pos = key ? _find(r, s, key) : -1;
	if (pos < 0)
		return -ENOENT;
	uint32_t rec = reg_shard_index(r, s)[pos].rec;
	if (rec >= reg_shard(r, s)->count) {
		prof_index_delete(r, s, (uint32_t)pos); /* corrupt entry */
		return 0;
	}
	/* Zeroed first: a reader following the entry meanwhile finds a
	 * record of nobody and says not found. */
	struct prof_slot *slot = reg_shard_records(r, s) + rec;
	prof_write_begin(slot);
	memset(&slot->p, 0, sizeof(slot->p));
	prof_write_end(slot);
	prof_index_delete(r, s, (uint32_t)pos);
	_free_record(r, s, rec);
	return 0;
}

int prof_forget(const struct reg *r, unsigned s, uint64_t key)
{
	struct prof_ref ref;
	if (prof_find(r, s, key, &ref))
		return -ENOENT;
	struct prof_slot *slot = reg_shard_records(r, s) + ref.rec;
	if (!(slot->p.consent & EVT_CONSENT_SET(EVT_PURPOSES)))
		return prof_delete(r, s, key);
	bool held = slot->p.events != 0;
	struct lrn_profile kept = slot->p;
	lrn_forget(&kept); /* built aside: the slot is written in one copy */
	prof_write_begin(slot);
	slot->p = kept;
	prof_write_end(slot);
	return held ? 0 : -ENOENT;
}

unsigned prof_repair_count(const struct reg *r, unsigned s)
{
	const struct prof_index *idx = reg_shard_index(r, s);
	struct shard_block *sh = reg_shard(r, s);
	uint32_t need = sh->count;
	for (uint32_t i = 0; i < r->hdr->geo.index_slots; i++)
		if (idx[i].key && idx[i].rec >= need &&
		    idx[i].rec < r->hdr->geo.profiles_per_shard)
			need = idx[i].rec + 1;
	unsigned fixed = need - sh->count;
	ck_pr_store_uint(&sh->count, need);
	return fixed;
}

unsigned prof_repair_seqlocks(const struct reg *r, unsigned s)
{
	struct prof_slot *recs = reg_shard_records(r, s);
	uint32_t n = reg_shard(r, s)->count;
	unsigned fixed = 0;
	/* The record after the last may be one a dead insert left odd. */
	if (n < r->hdr->geo.profiles_per_shard)
		n++;
	for (uint32_t i = 0; i < n; i++)
		fixed += (unsigned)seq_repair(&recs[i].seq);
	/* A deletion cut short: the entries are as recovery left them. */
	struct shard_block *sh = reg_shard(r, s);
	if (sh->index_moves & 1)
		ck_pr_store_uint(&sh->index_moves, sh->index_moves + 1);
	return fixed;
}

int prof_load(const struct reg *r, const struct lrn_profile *p)
{
	if (p->user_key == 0) /* 0 marks a free index entry */
		return -EINVAL;
	unsigned s = reg_shard_of(p->user_key, r->hdr->geo.shards);
	struct prof_ref ref;
	int rc = prof_find_or_insert(r, s, p->user_key, &ref);
	if (rc)
		return rc;
	struct prof_slot *slot = reg_shard_records(r, s) + ref.rec;
	prof_write_begin(slot);
	slot->p = *p;
	prof_write_end(slot);
	return 0;
}

/* Whether home position h lies cyclically in (from, to]. */
static bool _between(uint32_t from, uint32_t h, uint32_t to)
{
	return from <= to ? (from < h && h <= to) : (from < h || h <= to);
}

void prof_index_delete(const struct reg *r, unsigned s, uint32_t pos)
{
	struct prof_index *idx = reg_shard_index(r, s);
	struct shard_block *sh = reg_shard(r, s);
	const uint32_t mask = r->hdr->geo.index_slots - 1;
	uint32_t hole = pos & mask;
	/* Odd while entries move: a reader's miss meanwhile is no answer.
	 * Left odd by a worker that died moving (recovery deletes before it
	 * repairs): it stays odd, by 2. */
	unsigned moves = sh->index_moves;
	ck_pr_store_uint(&sh->index_moves, moves & 1 ? moves + 2 : moves + 1);
	ck_pr_fence_store();
	/* Backward shift: every later entry of the probe run that may move
	 * into the hole does, so no key is left behind an empty entry. */
	for (uint32_t j = (hole + 1) & mask, n = 0; n < mask;
	     j = (j + 1) & mask, n++) {
		uint64_t k = ck_pr_load_64(&idx[j].key);
		if (k == 0)
			break;
		uint32_t home = prof_probe_start(k, mask + 1);
		if (_between(hole, home, j))
			continue; /* it belongs where it is */
		idx[hole].rec = idx[j].rec;
		ck_pr_fence_store(); /* rec before the key that leads to it */
		ck_pr_store_64(&idx[hole].key, k);
		hole = j;
	}
	ck_pr_store_64(&idx[hole].key, 0);
	ck_pr_fence_store();
	ck_pr_store_uint(&sh->index_moves, sh->index_moves + 1);
}

/*
 * The free list from scratch: every record below count that no index
 * entry leads to. One holding a profile is an orphan (a deletion or an
 * insert cut short): zeroed, and counted.
 */
static unsigned _rebuild_free(const struct reg *r, unsigned s,
    const uint8_t *seen)
{
	struct shard_block *sh = reg_shard(r, s);
	struct prof_slot *recs = reg_shard_records(r, s);
	unsigned orphans = 0;
	ck_pr_store_uint(&sh->free_head, 0);
	ck_pr_store_uint(&sh->free_n, 0);
	for (uint32_t rec = sh->count; rec-- > 0;) {
		if (seen[rec / 8] & (1u << (rec % 8)))
			continue;
		orphans += recs[rec].p.user_key != 0;
		_free_record(r, s, rec);
	}
	return orphans;
}

unsigned prof_validate(const struct reg *r, unsigned s, uint8_t *seen)
{
	struct shard_block *sh = reg_shard(r, s);
	struct prof_index *idx = reg_shard_index(r, s);
	struct prof_slot *recs = reg_shard_records(r, s);
	const uint32_t cap = r->hdr->geo.profiles_per_shard;
	const uint32_t slots = r->hdr->geo.index_slots;
	unsigned bad = 0;

	if (sh->count > cap) {
		ck_pr_store_uint(&sh->count, cap);
		bad++;
	}
	memset(seen, 0, (cap + 7) / 8);
	/* A deletion may shift a later entry into i: look at i again. Each
	 * deletion empties one entry, so at most 2 x slots steps. */
	for (uint32_t i = 0, n = 0; i < slots && n < 2 * slots; n++) {
		uint64_t k = idx[i].key;
		uint32_t rec = idx[i].rec;
		bool drop = false;
		if (k != 0) {
			drop = rec >= cap || (seen[rec / 8] >> (rec % 8) & 1);
			if (!drop) {
				struct lrn_profile *p = &recs[rec].p;
				if (p->user_key != k && p->events == 0) {
					prof_write_begin(&recs[rec]);
					lrn_profile_init(p, k);
					prof_write_end(&recs[rec]);
				}
				drop = p->user_key != k;
			}
		}
		if (drop) {
			prof_index_delete(r, s, i);
			bad++;
			continue; /* the shift may have moved another here */
		}
		if (k != 0)
			seen[rec / 8] |= (uint8_t)(1u << (rec % 8));
		i++;
	}
	return bad + _rebuild_free(r, s, seen);
}
