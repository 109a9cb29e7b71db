/*
 * region: create, attach to and find the parts of the shared-memory region
 * of one instance (/dev/shm/penchant.NAME). See shm/layout.h for the bytes.
 *
 * reg_create() lays a region out from a geometry and leaves it in
 * REG_STARTING; everything that makes a region calls it through
 * boot_create() (shm/boot.h), which sets the parameters from the settings.
 * reg_attach() is for everyone else (workers inherit the supervisor's
 * mapping instead): it maps the region and checks magic, version and sizes,
 * and explains any mismatch.
 */
#ifndef PENCHANT_SHM_REGION_H
#define PENCHANT_SHM_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/layout.h"

/* A process's view of the region: local pointers, never stored in shm. */
struct reg {
	struct reg_header *hdr;
	uint8_t *base;
	size_t size;
	int fd;
};

/* Computes offsets and total size for `geo`; fills hdr->off. 0 or -EINVAL. */
int reg_layout(const struct reg_geometry *geo, struct reg_offsets *off,
    char *err, size_t errlen);

/* "/penchant.NAME" into buf. */
void reg_shm_name(const char *instance, char *buf, size_t len);

/*
 * Whether the region can have huge pages: the huge= option of the tmpfs
 * at /dev/shm (the last such line of a /proc/mounts text; tmpfs's default
 * "never" when the option is absent) into mode. Returns 1 when it grants
 * them to a region that asks (always, within_size, advise, force), 0 when
 * not, -ENOENT when the text mounts nothing at /dev/shm.
 */
int reg_huge_mode_of(const char *mounts, char *mode, size_t len);

/* The same for this machine (/proc/mounts); "unknown" and -errno when it
 * cannot be read. */
int reg_huge_mode(char *mode, size_t len);

/*
 * Creates the region of `instance` (exclusively) and lays it out. Returns 0
 * or -EEXIST (it exists: attach or adopt it) or another negative errno.
 */
int reg_create(struct reg *r, const char *instance,
    const struct reg_geometry *geo, char *err, size_t errlen);

/*
 * Maps an existing region and validates its header. When `expect` is not
 * NULL the geometry must equal it. Errors: -ENOENT (no such instance),
 * -EACCES (the region belongs to another uid or is readable by others:
 * never used), -EPROTO (magic/version/size mismatch, message says what
 * differs).
 */
int reg_attach(struct reg *r, const char *instance,
    const struct reg_geometry *expect, char *err, size_t errlen);

/* Unmaps; clears *r. */
void reg_detach(struct reg *r);

/* Removes the region's name (mappings stay valid until detached). */
int reg_unlink(const char *instance);

/* Part accessors: cheap, inline, bounds assumed checked by the caller. */
static inline struct reg_proc *reg_proc(const struct reg *r, unsigned i)
{
	return (struct reg_proc *)(r->base + r->hdr->off.procs) + i;
}
static inline unsigned reg_nprocs(const struct reg *r)
{
	return r->hdr->geo.shards + REG_PROCS_EXTRA;
}
static inline unsigned reg_proc_worker(const struct reg *r, unsigned shard)
{
	(void)r;
	return 1 + shard;
}
static inline unsigned reg_proc_acceptor(const struct reg *r)
{
	return 1 + r->hdr->geo.shards;
}
static inline unsigned reg_proc_segmenter(const struct reg *r)
{
	return 2 + r->hdr->geo.shards;
}
static inline unsigned reg_proc_server(const struct reg *r)
{
	return 3 + r->hdr->geo.shards;
}
static inline struct reg_producer *reg_producer(const struct reg *r, unsigned p)
{
	return (struct reg_producer *)(r->base + r->hdr->off.producers) + p;
}
static inline struct ring_block *reg_ring(const struct reg *r, unsigned p,
    unsigned shard)
{
	return (struct ring_block *)(r->base + r->hdr->off.rings +
	    r->hdr->off.ring_stride *
		((uint64_t)p * r->hdr->geo.shards + shard));
}
static inline struct shard_block *reg_shard(const struct reg *r, unsigned s)
{
	return (struct shard_block *)(r->base + r->hdr->off.shards +
	    r->hdr->off.shard_stride * s);
}
static inline struct prof_index *reg_shard_index(const struct reg *r,
    unsigned s)
{
	return (struct prof_index *)((uint8_t *)reg_shard(r, s) +
	    r->hdr->off.shard_index);
}
static inline struct prof_slot *reg_shard_records(const struct reg *r,
    unsigned s)
{
	return (struct prof_slot *)((uint8_t *)reg_shard(r, s) +
	    r->hdr->off.shard_records);
}
/* Shard s's experiment request table: geo.experiment_requests entries,
 * REG_EXP_REQ_WAYS a set (shm/layout.h). */
static inline struct exp_request *reg_exp_requests(const struct reg *r,
    unsigned s)
{
	return (struct exp_request *)((uint8_t *)reg_shard(r, s) +
	    r->hdr->off.shard_exp_req);
}
static inline struct cat_block *reg_catalog(const struct reg *r)
{
	return (struct cat_block *)(r->base + r->hdr->off.catalog);
}
static inline struct cat_entry *reg_catalog_entries(const struct reg *r)
{
	return (struct cat_entry *)(r->base + r->hdr->off.catalog +
	    r->hdr->off.catalog_entries);
}
static inline struct seg_block *reg_segments(const struct reg *r)
{
	return (struct seg_block *)(r->base + r->hdr->off.segments);
}
/*
 * A writer lock in the region: *word holds the holder's thread id (a
 * process's main thread: its pid), 0 when free; a dead holder's lock is
 * taken over; the holding thread taking it again gets it. 0, or -EBUSY
 * with a message naming what is being written (`what`) and by which
 * thread.
 */
int reg_writer_lock(int32_t *word, const char *what, char *err, size_t errlen);

static inline struct exp_block *reg_experiments(const struct reg *r)
{
	return (struct exp_block *)(r->base + r->hdr->off.experiments);
}
static inline struct nbr_block *reg_neighbors(const struct reg *r)
{
	return (struct nbr_block *)(r->base + r->hdr->off.neighbors);
}
static inline struct nbr_entry *reg_neighbor_entries(const struct reg *r)
{
	return (struct nbr_entry *)(r->base + r->hdr->off.neighbors +
	    sizeof(struct nbr_block));
}
static inline struct name_entry *reg_names(const struct reg *r)
{
	return (struct name_entry *)(r->base + r->hdr->off.names);
}

/* The acceptor's block and its fwd_dedup set (acceptor_slots > 0 only;
 * NULL otherwise). */
static inline struct acc_block *reg_acceptor_block(const struct reg *r)
{
	if (!r->hdr->geo.acceptor_slots)
		return NULL;
	return (struct acc_block *)(r->base + r->hdr->off.acceptor);
}
static inline void *reg_acceptor_dedup(const struct reg *r)
{
	if (!r->hdr->geo.acceptor_slots)
		return NULL;
	return r->base + r->hdr->off.acceptor + r->hdr->off.acceptor_dedup;
}

/* The shard that owns a user key: the same function everywhere. */
static inline unsigned reg_shard_of(uint64_t user_key, unsigned shards)
{
	/* Multiply-shift range reduction of the high bits: the index probe
	 * uses the low bits, so shard and slot stay independent. */
	return (unsigned)(((user_key >> 32) * (uint64_t)shards) >> 32);
}

/*
 * The validation limits producers apply at wall-clock time now_ms: the
 * header's limits narrowed by the acceptance window (max_past_ms, 0 = no
 * lower window; max_future_ms). The one definition of that window, for
 * libpenchant and the acceptor alike.
 */
static inline struct evt_limits reg_limits_at(const struct reg_header *h,
    int64_t now_ms)
{
	struct evt_limits lim = h->limits;
	if (h->max_past_ms && now_ms - h->max_past_ms > lim.min_time_ms)
		lim.min_time_ms = now_ms - h->max_past_ms;
	if (now_ms + h->max_future_ms < lim.max_time_ms)
		lim.max_time_ms = now_ms + h->max_future_ms;
	return lim;
}

/* Monotonic and wall clocks in ms (status and heartbeats only). */
int64_t reg_now_mono_ms(void);
int64_t reg_now_wall_ms(void);

#endif
