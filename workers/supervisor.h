/*
 * supervisor: penchantd's main process. Takes the instance lock, creates the
 * region (or adopts the one a crashed supervisor left, recovering it), loads
 * the snapshot, forks one worker per shard and restarts any child that dies.
 * SIGTERM/SIGINT: refuse new events, drain every ring, stop the workers,
 * write the snapshot, remove the region.
 */
#ifndef PENCHANT_WORKERS_SUPERVISOR_H
#define PENCHANT_WORKERS_SUPERVISOR_H

#include <stdbool.h>

#include <stddef.h>

#include "conf/config.h"
#include "shm/region.h"

struct sup_options {
	bool reset; /* discard a leftover region instead of adopting it */
	/* NULL, or called once the instance is up (its lock held, its region
	 * open, its snapshot loaded) and before any child starts: a start
	 * that fails is no start (penchantd records it in the audit trail) */
	void (*started)(const struct cfg *c);
};

/* Runs the supervisor until shutdown; returns the process exit code. */
int sup_run(const struct cfg *c, const struct sup_options *o);

/*
 * The instance's lock file: /dev/shm/penchant-run-UID/INSTANCE.lock, in a
 * directory private to the effective user (0700, theirs, not a link:
 * sup_run refuses any other), so no other user can plant a link there or
 * read who runs what. It holds the supervisor's pid while it runs.
 */
void sup_lock_path(const char *instance, char *buf, size_t len);

/* The directory of sup_lock_path. */
void sup_lock_dir(char *buf, size_t len);

#endif
