/*
 * catalog: what penchant knows about entities (category, tags, start time,
 * coarse location, attributes) and the display names of tags and
 * categories. Keyed by evt_entity_key / evt_tag_id.
 *
 * One writer at a time: the holder of the catalog writer lock (cat_lock),
 * normally `penchant catalog load`. Readers (workers on every event, clients)
 * copy entries under their sequence lock and never block the writer.
 * Entries can be updated in place while the engine runs; they are never
 * removed (a later erase would need a generation, see layout.h).
 */
#ifndef PENCHANT_SHM_CATALOG_H
#define PENCHANT_SHM_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "shm/region.h"
#include "shm/seqlock.h"

/*
 * Takes the writer lock for this process. A lock held by a dead process is
 * taken over, and an entry it left mid-write is emptied and marked torn
 * (nothing known of it: treated as sensitive, left out of snapshots,
 * until a load names the item again) so readers stop waiting on it. 0, or -EBUSY with a message naming the holder.
 */
int cat_lock(const struct reg *r, char *err, size_t errlen);
void cat_unlock(const struct reg *r);

/* The supervisor, now and then: when the lock is held by a process that
 * died, takes it (repairing what it left) and releases it. Whether it
 * did. */
bool cat_reclaim(const struct reg *r);

/* Writer (lock held): inserts or replaces. 0, -ENOSPC (catalog full) or
 * -EINVAL (key 0: it marks a free slot). */
int cat_put(const struct reg *r, uint64_t key, const struct cat_item *it);

/* Any process: 0 and a consistent copy, -ENOENT, or -EBUSY when the entry
 * stayed mid-write (its writer died; the next cat_lock repairs it, which
 * the supervisor takes as soon as it sees the holder dead). */
int cat_get(const struct reg *r, uint64_t key, struct cat_item *out);

/*
 * cat_get for many keys in a row (a ranking's candidates): the table and
 * its mask found once (cat_view_of), each lookup inlined into the
 * caller's loop. The same probes and the same copy as cat_get.
 */
struct cat_view {
	const struct cat_entry *e;
	uint32_t mask;
};

/* The slot a key's probes start at (cat_put's and cat_get's alike). */
static inline uint32_t cat_slot0(uint64_t key, uint32_t mask)
{
	return (uint32_t)(key ^ (key >> 31)) & mask;
}

static inline void cat_view_of(const struct reg *r, struct cat_view *v)
{
	v->e = reg_catalog_entries(r);
	v->mask = r->hdr->geo.catalog_slots - 1;
}

/* Where the probes for key start (a prefetch may ask for it early). */
static inline const struct cat_entry *cat_view_first(const struct cat_view *v,
    uint64_t key)
{
	return &v->e[cat_slot0(key, v->mask)];
}

static inline int cat_view_get(const struct cat_view *v, uint64_t key,
    struct cat_item *out)
{
	const struct cat_entry *e = v->e;
	const uint32_t mask = v->mask;
	uint32_t i = cat_slot0(key, mask);
	for (uint32_t n = 0; n <= mask; n++, i = (i + 1) & mask) {
		uint64_t k = ck_pr_load_64(&e[i].key);
		if (k == 0)
			return -ENOENT;
		if (k != key)
			continue;
		/* The key before the entry: pairs with cat_put's store
		 * fence (free on x86, needed where loads may pass loads).
		 * -EBUSY: its writer died mid-entry (cat_lock repairs). */
		ck_pr_fence_load();
		return seq_read_copy(&e[i].seq, out, &e[i].it, sizeof(*out));
	}
	return -ENOENT;
}

/*
 * Writer (lock held): records the display name of a tag or category id.
 * Names longer than NAME_MAX_LEN bytes are cut at a character boundary.
 * 0, -ENOSPC, or -EEXIST when a
 * different name already holds that id (hash collision; the first stays).
 */
int cat_name_put(const struct reg *r, enum name_kind kind, uint32_t id,
    const char *text, size_t len);

/*
 * Any process: copies the name of `id` (NUL-terminated) into buf and returns
 * its kind, or 0 when unknown (buf then holds "#<id>").
 */
int cat_name_get(const struct reg *r, uint32_t id, char *buf, size_t len);

/* Any process: whether `id` is a known tag (search tokens are matched so). */
bool cat_is_tag(const struct reg *r, uint32_t id);

#endif
