/*
 * segmenter: penchantd's segmentation process. It refreshes the segments
 * table (shm/segment.h) every segment_interval_s and whenever someone asks
 * (pen_segments_refresh, `penchant segments --refresh`: refresh_requests
 * moved), copying the profiles while the workers keep applying events. It
 * runs at a lower CPU priority than the workers (nice 10), so ingest keeps
 * its pace during a refresh. Killed mid-refresh, it leaves the previous
 * table readable; the supervisor restarts it.
 *
 * Its reg_proc slot is reg_proc(r, reg_proc_segmenter(r)); it writes the
 * heartbeat and the segments block, nothing else. Shutdown: SIGTERM.
 */
#ifndef PENCHANT_WORKERS_SEGMENTER_H
#define PENCHANT_WORKERS_SEGMENTER_H

#include "conf/config.h"
#include "shm/region.h"

/* The process body; returns its exit code. */
int sgm_main(const struct reg *r, const struct cfg *c);

#endif
