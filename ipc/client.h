/*
 * client (internal side): what penchant's own tools need from a pen_t
 * beyond the public header. Not installed.
 */
#ifndef PENCHANT_IPC_CLIENT_H
#define PENCHANT_IPC_CLIENT_H

#include "penchant.h"
#include "shm/region.h"

/* The region the handle is attached to. */
const struct reg *pen_region(const pen_t *p);

/* Publishes ready ring records (as pen_publish_prepared). */
static inline int pen_publish_records(pen_t *p, const struct evt_record *r,
    size_t n, int flags, size_t *done)
{
	return pen_publish_prepared(p, (const struct pen_prepared *)r, n, flags,
	    done);
}

#endif
