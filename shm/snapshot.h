/*
 * snapshot: every table of a region (profiles, catalog, names) written to
 * one file at clean shutdown and loaded at the next start.
 *
 * File: a header (magic, format and layout versions, record sizes, counts),
 * the records, and an XXH3-64 checksum of everything before it. Written to a
 * temporary file, fsynced and renamed over the old one, so a crash leaves
 * either the old or the new snapshot, never a torn one.
 *
 * Supervisor only, and only while no worker runs.
 */
#ifndef PENCHANT_SHM_SNAPSHOT_H
#define PENCHANT_SHM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/region.h"

struct snap_stats {
	uint64_t profiles, catalog, names;
	uint64_t bytes;
	/* snap_load: custom verbs the snapshot counted that the region no
	 * longer has (the `verbs` setting dropped them): their names, comma
	 * separated, and how many of their counts were left out, in how
	 * many profiles. The next snapshot no longer has them. */
	char dropped_verbs[EVT_CUSTOM_VERBS * (EVT_VERB_MAX + 2)];
	uint64_t dropped_counts, dropped_profiles;
};

/* "<state_dir>/<instance>.snap" */
/* Makes a rename into path's directory durable (fsync of the directory).
 * 0 or a negative errno. */
int snap_fsync_dir(const char *path);

void snap_path(const char *state_dir, const char *instance, char *buf,
    size_t len);

/*
 * Writes every table of r to path (via a temporary file and a rename).
 * Holds the snapshot's lock (snap_erase) while it copies and renames, so
 * an erasure never loses to a snapshot begun before it.
 */
int snap_write(const struct reg *r, const char *path, struct snap_stats *st,
    char *err, size_t errlen);

/*
 * Rewrites the snapshot at path without the profile of user_key (an
 * erasure), under the snapshot's lock; *found says whether it held one
 * (the file is left alone when not). 0, -ENOENT (no snapshot), -EPROTO
 * (corrupt: named in the message) or another negative errno. Any process
 * of the instance's user; the region's secret keys its check (r may be
 * NULL to skip that check).
 */
int snap_erase(const struct reg *r, const char *path, uint64_t user_key,
    bool *found, char *err, size_t errlen);

/*
 * Copies the profile of user_key out of the snapshot at path (an export
 * shows what is on disk too). 0, -ENOENT (no snapshot, or no such
 * profile in it), -EPROTO.
 */
int snap_find(const char *path, uint64_t user_key, struct lrn_profile *out,
    char *err, size_t errlen);

/*
 * Loads a snapshot into a fresh region (REG_STARTING). -ENOENT when there is
 * none; -EPROTO when it is corrupt or of another version (message says
 * which); -ENOSPC when the region's tables are too small for it.
 */
int snap_load(const struct reg *r, const char *path, struct snap_stats *st,
    char *err, size_t errlen);

#endif
