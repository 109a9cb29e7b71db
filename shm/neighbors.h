/*
 * neighbors: the item-neighbour lists in the region (engine/nbr.h says
 * what they are), the pass that keeps them up to date, and the lookup the
 * rankers make.
 *
 * Writer: the segmenter (a `penchant eval` or replay run's driver in its
 * private region). It holds a struct nbrs_feed: the counting state
 * (nbr_counts, in its own memory, kept in a file beside the snapshot,
 * below) and what it saw of each profile record last time (events and
 * user), so that a pass counts only what is new. Readers: any process, lock-free
 * (sequence lock per entry).
 *
 * Errors are negative errno values. A feed is used by one thread.
 */
#ifndef PENCHANT_SHM_NEIGHBORS_H
#define PENCHANT_SHM_NEIGHBORS_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/config.h"
#include "engine/nbr.h"
#include "shm/region.h"

struct nbrs_feed {
	struct nbr_counts counts;
	uint32_t *prev_events; /* per (shard, record): events last pass */
	uint32_t *prev_user;   /* per (shard, record): low bits of its key */
	uint32_t *prev_front;  /* per (shard, record): its seen[0] then */
	uint32_t shards, per_shard;
};

/* The counting parameters of the settings. */
void nbrs_params_of(const struct cfg *c, struct nbr_params *p);

/* A feed for region r (its geometry); -ENODEV when the region has no
 * neighbour table (neighbor_items 0), -EINVAL, -ENOMEM. */
int nbrs_feed_init(struct nbrs_feed *f, const struct reg *r,
    const struct nbr_params *p);
void nbrs_feed_free(struct nbrs_feed *f);

struct nbrs_stats {
	uint64_t users;	    /* profiles with something new */
	uint64_t fresh;	    /* fresh touched entries counted */
	uint32_t published; /* lists written */
};

/*
 * Writer: one pass. Copies every profile whose event count (or user)
 * changed since the last pass, counts its touched seen[] entries (fresh:
 * the entries in front of where the last pass's front entry is now, all
 * of them when it is gone or the user is new: an event on an entity
 * already at the front, or on none, brings nothing fresh), then
 * publishes the lists of the items counted. 0 (st may be NULL).
 */
int nbrs_pass(struct nbrs_feed *f, const struct reg *r, struct nbrs_stats *st);

/* Writer only: stores l as the list of item fold (nbrs_pass does; a
 * benchmark or a test may too). 0, -EINVAL (no table, fold 0) or -ENOSPC
 * (the table is full: counted as refused). */
int nbrs_put(const struct reg *r, uint32_t fold, const struct nbr_list *l);

/*
 * Keeping the counts across restarts: "<state_dir>/<instance>.nbr" holds
 * the feed's counts (nbr_counts_items: item folds and counts summed over
 * users, no user key) under a checksum. nbrs_save writes it whole or not
 * at all (a temporary file renamed). nbrs_load takes it into a fresh
 * feed: the counts (every list is published again at the next pass: a
 * new region has none), and every profile the region holds counts as
 * counted up to its present events (the file keeps no user, so events
 * applied after the last save and before the load are not counted). A
 * file of other settings (candidates, half-life), a torn or altered one
 * is refused with a message, and a feed so refused must be made again.
 * 0 or a negative errno (-ENOENT: no file).
 */
void nbrs_path(const char *state_dir, const char *instance, char *buf,
    size_t len);
int nbrs_save(const struct nbrs_feed *f, const char *path, char *err,
    size_t errlen);
int nbrs_load(struct nbrs_feed *f, const struct reg *r, const char *path,
    char *err, size_t errlen);

/* When the next pass is due, in ms after the start of one that took
 * pass_ms: the interval, or pass_ms / share when that is longer (the
 * passes then take that share of a core). share in (0, 1]. */
int64_t nbrs_next_ms(int64_t interval_ms, int64_t pass_ms, double share);

/* Any process: the list of an item fold: 0, -ENOENT or -EBUSY (its
 * writer died mid-write). */
int nbrs_get(const struct reg *r, uint32_t fold, struct nbr_list *out);

/*
 * Any process: the user's history lists summed into acc (engine/nbr.h
 * scoring; then cf of a candidate = nbr_acc_get(acc, lrn_seen_fold(key))):
 * the list of each touched seen[] entry of the profile. A NULL profile or
 * a region without the table leaves acc empty. A list its writer is
 * rewriting at that instant is left out (a few tries, no waiting: the
 * segmenter runs at a lower priority and may be preempted mid-write).
 * Returns the number of history lists read.
 */
unsigned nbrs_history(const struct reg *r, const struct lrn_profile *p,
    struct nbr_acc *acc);
/* The same into the candidates' sums of cs (engine/nbr.h nbr_csum). */
unsigned nbrs_history_csum(const struct reg *r, const struct lrn_profile *p,
    struct nbr_csum *cs);

#endif
