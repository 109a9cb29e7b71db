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

#include <stddef.h>
#include <stdint.h>

#include "shm/region.h"

struct snap_stats {
	uint64_t profiles, catalog, names;
	uint64_t bytes;
};

/* "<state_dir>/<instance>.snap" */
void snap_path(const char *state_dir, const char *instance, char *buf,
    size_t len);

int snap_write(const struct reg *r, const char *path, struct snap_stats *st,
    char *err, size_t errlen);

/*
 * Loads a snapshot into a fresh region (REG_STARTING). -ENOENT when there is
 * none; -EPROTO when it is corrupt or of another version (message says
 * which); -ENOSPC when the region's tables are too small for it.
 */
int snap_load(const struct reg *r, const char *path, struct snap_stats *st,
    char *err, size_t errlen);

#endif
