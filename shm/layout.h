/*
 * layout: the shared-memory region, byte for byte. Treat it like a wire
 * format: any change to a struct here, to struct evt_record or to struct
 * lrn_profile changes REG_LAYOUT_VERSION, and attaching to a region of another
 * version fails with a message saying what differs.
 *
 * The region may map at a different address in every process: it holds
 * offsets, never pointers. Parts, in order, each 64-byte aligned:
 *
 *   header | procs[] | producer slots[] | rings[P*S] | shards[S] (each:
 *   block, index, profile records, experiment requests) | catalog |
 *   names | segments | experiments | neighbours | acceptor (only when
 *   acceptor_slots > 0)
 *
 * Who writes what is noted above each struct. "sup" is the supervisor
 * (penchantd), "wrk s" the worker of shard s, "prod p" whoever holds producer
 * slot p (the acceptor or a libpenchant client), "cat" the holder of the
 * catalog writer lock (penchant catalog load).
 */
#ifndef PENCHANT_SHM_LAYOUT_H
#define PENCHANT_SHM_LAYOUT_H

#include <ck_ring.h>
#include <ck_sequence.h>
#include <stdint.h>

#include "engine/event.h"
#include "engine/experiment.h"
#include "engine/item.h"
#include "engine/learn.h"
#include "engine/nbr.h"
#include "engine/rank.h"
#include "shm/counters.h"
#include "shm/fwd_dedup.h"

#define REG_MAGIC 0x544E41484345504EULL /* "PENCHANT" little-endian */
/* Bump on any change below; also folds in the record and profile layouts. */
#define REG_LAYOUT_VERSION                                                     \
	(100 * 32 + EVT_LAYOUT_VERSION * 10 + LRN_LAYOUT_VERSION)
#define REG_LINE 64
#define REG_MAX_SHARDS 64
#define REG_MAX_PRODUCERS 256

enum reg_state {
	REG_STARTING = 0, /* being laid out; nobody but sup may use it */
	REG_RUNNING,
	REG_DRAINING, /* sup asked everyone to stop: producers refuse */
	REG_STOPPED,  /* drained; the region is about to be unlinked */
};

enum reg_role {
	REG_ROLE_SUPERVISOR = 0,
	REG_ROLE_WORKER,
	REG_ROLE_ACCEPTOR,
	REG_ROLE_SEGMENTER,
	REG_ROLE_SERVER, /* the rank API (HTTP, msgpack over TCP) */
	REG_ROLE_COUNT
};

/*
 * Sizes that shape the region. Written by sup before REG_RUNNING; read-only
 * afterwards for everybody.
 */
struct reg_geometry {
	uint32_t shards;
	uint32_t producer_slots;
	uint32_t acceptor_slots;
	uint32_t ring_depth; /* power of two; usable depth is one less */
	uint32_t profiles_per_shard;
	uint32_t index_slots; /* power of two >= 2 * profiles_per_shard */
	uint32_t catalog_capacity;
	uint32_t catalog_slots; /* power of two >= 2 * catalog_capacity */
	uint32_t names_capacity;
	uint32_t names_slots;	    /* power of two >= 2 * names_capacity */
	uint32_t record_size;	    /* sizeof(struct evt_record) */
	uint32_t profile_size;	    /* sizeof(struct prof_slot) */
	uint32_t neighbor_capacity; /* items with neighbour lists, 0: none */
	uint32_t neighbor_slots;    /* power of two >= 2 * neighbor_capacity,
				  * 0 when the capacity is 0 */
	/* Entries of each shard's experiment request table: a power of two
	 * >= 2 * REG_EXP_REQ_WAYS. */
	uint32_t experiment_requests;
};

/* Offsets and strides (bytes from the region base); sup writes once. */
struct reg_offsets {
	uint64_t procs, producers, rings, shards, catalog, names;
	uint64_t segments;    /* struct seg_block */
	uint64_t experiments; /* struct exp_block */
	uint64_t neighbors;   /* struct nbr_block, then its entries */
	uint64_t acceptor; /* struct acc_block; == end when acceptor_slots 0 */
	uint64_t end;
	uint64_t ring_stride, shard_stride;
	uint64_t shard_index, shard_records; /* within a shard block */
	uint64_t shard_exp_req;		     /* within a shard block */
	uint64_t catalog_entries;	     /* within the catalog block */
	uint64_t acceptor_dedup;	     /* within the acceptor block */
};

/*
 * The header. sup writes everything but rank_seq and load_rejected
 * (noted there); state and heartbeat change while running, the rest is
 * fixed after REG_RUNNING.
 */
struct reg_header {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t header_size;
	uint64_t region_size;
	struct reg_geometry geo;
	struct reg_offsets off;
	int64_t created_ms; /* wall clock, for status only */
	int32_t supervisor_pid;
	uint32_t state;	    /* enum reg_state */
	uint64_t adoptions; /* times a new supervisor took over the region */
	struct lrn_params
	    params;		 /* the learner's constants for this instance */
	struct rank_params rank; /* the ranker's and serving constants */
	struct evt_limits limits; /* validation limits for producers */
	/* Snapshot loading progress while REG_STARTING (sup writes). */
	uint64_t load_total, load_done;
	int64_t max_past_ms,
	    max_future_ms; /* acceptance window vs wall clock */
	char instance[40];
	char state_dir[208]; /* where its snapshots, secret and audit log
			      * live (absolute; empty: none, e.g. replay) */
	/* Privacy (docs/PRIVACY.md), from the settings. */
	uint32_t consent_opt_in;	/* consent_regime is opt-in */
	uint32_t retention_days;	/* 0: keep forever */
	uint32_t retention_sweep_per_s; /* records a worker visits */
	uint32_t sensitive_n;
	uint32_t sensitive[64]; /* tag and category ids never learned */
	/* Any process that ranks (libpenchant): the sequence of request ids
	 * (fetch-and-add), one for the instance, so that no two rankings of
	 * one millisecond share an id whatever process or handle made them.
	 * A line of padding on each side keeps it off the lines everyone
	 * reads (no alignment attribute: a header may sit anywhere a test
	 * puts one). */
	uint8_t pad_rank0[REG_LINE];
	uint32_t rank_seq;
	uint8_t pad_rank1[REG_LINE - 4];
	/* What loads refused, by row of shm/counters.h's REG_LOADS: atomic
	 * adds by the loading command (penchant catalog load, a caller of
	 * pen_experiments_load), read by status and metrics. Only grows. */
	uint64_t load_rejected[REG_L_COUNT];
};

/*
 * One per supervised process: [0] sup, [1..S] workers, [S+1] acceptor,
 * [S+2] segmenter, [S+3] server. sup writes pid/starts/last_exit; the process itself
 * writes heartbeat_ms and counters. Two cache lines of header, then counters.
 */
struct reg_proc {
	int32_t pid;	    /* 0 when not running */
	uint32_t role;	    /* enum reg_role */
	uint32_t index;	    /* shard for workers */
	uint32_t starts;    /* times sup started it */
	int32_t last_exit;  /* wait status of the last exit, -1 none */
	uint32_t ready;	    /* set by the process once recovered and serving */
	int64_t started_ms; /* monotonic */
	uint8_t pad0[REG_LINE - 32];
	int64_t heartbeat_ms; /* monotonic; written by the process */
	uint8_t pad1[REG_LINE - 8];
	uint64_t counters[REG_C_COUNT];
} __attribute__((aligned(REG_LINE)));

#define REG_PROCS_EXTRA 4 /* supervisor, acceptor, segmenter, server */

/*
 * A producer slot. owner is a pid claimed by CAS 0 -> pid by the producer;
 * sup releases the slot of a dead owner only after its rings are drained
 * (owner -> REG_SLOT_DRAINING -> 0) and bumps generation. busy is odd while
 * the owner is inside a publish call, so sup can wait out publishes that
 * raced with REG_DRAINING. Counters are written by the owner only.
 */
#define REG_SLOT_DRAINING (-1)
struct reg_producer {
	int32_t owner;
	uint32_t busy;
	uint64_t generation;
	uint64_t
	    owner_start; /* owner's start time (/proc stat), against pid reuse */
	uint8_t pad0[REG_LINE - 24];
	uint64_t published;  /* events made visible */
	uint64_t full_waits; /* times a ring was full (waited or -EAGAIN) */
	uint64_t rejected;   /* events refused by validation at this producer */
	uint8_t pad1[REG_LINE - 24];
	uint64_t rejected_by[EVT_REASON_COUNT]; /* the same, by reason */
} __attribute__((aligned(REG_LINE)));

/*
 * One SPSC ring (producer p -> shard s). struct ck_ring keeps ck's indices:
 * c_head written by wrk s, p_tail/p_head by prod p. next_seq is the producer's
 * 64-bit sequence (ck's indices are 32-bit and wrap); applied_seq is written by
 * wrk s: every record with seq < applied_seq is in the profiles, which is what
 * makes restarts exactly-once. Records follow on their own cache line.
 */
struct ring_block {
	struct ck_ring ring;
	uint8_t pad0[3 * REG_LINE - sizeof(struct ck_ring)];
	uint64_t next_seq; /* prod p */
	uint8_t pad1[REG_LINE - 8];
	uint64_t applied_seq; /* wrk s */
	uint8_t pad2[REG_LINE - 8];
	struct evt_record records[];
} __attribute__((aligned(REG_LINE)));

/* A profile slot: sequence lock (wrk s writes; any process reads) + record. */
struct prof_slot {
	struct ck_sequence seq;
	uint32_t pad;
	struct lrn_profile p;
};
_Static_assert(sizeof(struct prof_slot) == 768,
    "a profile slot is 768 bytes, 12 cache lines");

/* Index entry: key 0 = free. wrk s writes rec first, then key (release). */
struct prof_index {
	uint64_t key;
	uint32_t rec;
	uint32_t pad;
};

/*
 * The in-flight update of wrk s, for crash consistency: before touching a
 * slot the worker saves its image here and sets valid; after the ring's
 * applied_seq moved past `seq` it clears valid. A restarted worker finding
 * valid set rolls the slot back unless applied_seq already covers seq.
 */
struct shard_intent {
	uint32_t valid;
	uint32_t ring; /* producer slot */
	uint64_t seq;
	uint32_t index_pos; /* index entry used */
	uint32_t rec;
	uint32_t count_before;
	uint32_t inserted; /* the event created the profile */
	struct prof_slot undo;
};

/*
 * Serving outcomes of shard s's users, written by wrk s as it applies
 * their events (readers sum over shards; counters only grow, so a torn
 * read is one increment off at most).
 *  - pos[strategy][position]: impressions (impression events carrying a
 *    request id), clicks and conversions attributed to a request (actions
 *    carrying its id within attribution_window_s). Position 1..32 apart,
 *    index 0 for beyond 32 or none.
 *  - cats[]: per category over all users: impressions, actions, and
 *    positive events of the latest event day and the one before (for
 *    "rising"). Open addressing by id; id written last on insert.
 */
#define REG_POSITIONS 33
#define REG_CAT_STATS 1024 /* power of two */
struct serve_cell {
	uint64_t impressions, clicks, conversions;
};
struct cat_stat {
	uint32_t id; /* 0 = free; written last */
	int32_t day; /* event day (since 1970) of pos_today */
	uint32_t pos_today, pos_yesterday;
	uint64_t impressions, actions;
};
/*
 * The requests of experiments that got an outcome, and what they got so
 * far: whether an outcome is a request's first click or conversion (the
 * rates count requests, not events) and the sum of squared rewards per
 * exposure (engine/experiment.h) need it. Set-associative by request id,
 * REG_EXP_REQ_WAYS entries a set; a request new to a full set takes the
 * entry of the oldest one (by the time in its id). Only requests that got
 * an outcome take an entry, so the table holds the requests clicked in
 * one attribution window: geo.experiment_requests per shard (the
 * experiment_requests setting, 131072 = 2 MiB by default), after the
 * shard's profile records (off.shard_exp_req), written by wrk s only.
 * Evicting one still inside the window is counted (struct exp_slot,
 * evicted): its next outcome is taken for a first one.
 */
#define REG_EXP_REQ_WAYS 8
struct exp_request {
	uint64_t id;	      /* 0: free */
	uint32_t reward;      /* clicks + conversions attributed so far */
	uint32_t conversions; /* conversions attributed so far */
};

/* Publish -> applied latency buckets: le 2^i us for i < REG_LAT_BUCKETS
 * - 1, the last one everything above. */
#define REG_LAT_BUCKETS 24

struct shard_stats {
	uint64_t lat[REG_LAT_BUCKETS]; /* written by the worker */
	uint64_t lat_sum_us;
	struct serve_cell pos[RANK_STRATEGY_SLOTS][REG_POSITIONS];
	struct cat_stat cats[REG_CAT_STATS];
	uint64_t cats_full;    /* category events that found no slot */
	uint64_t unattributed; /* actions whose request id was too old */
};

/* Per-shard header; everything written by wrk s except doorbell (also prod). */
struct shard_block {
	uint32_t count;	    /* records handed out (some may be free again) */
	uint32_t free_head; /* first free record + 1, 0 none: erased and
			     * retired profiles' records, linked through
			     * their events field (shm/profiles.h) */
	uint64_t full_rejects;
	uint32_t free_n;   /* records on the free list */
	uint32_t sweep_at; /* the retention sweep's next record */
	int64_t retain_ms; /* events before this are not learned (0: all);
			    * the sweep moves it with the clock */
	uint8_t pad1[REG_LINE - 32];
	uint32_t doorbell; /* futex word: producers bump it to wake wrk s */
	uint32_t sleeping; /* wrk s sets it before sleeping on doorbell */
	uint8_t pad2[REG_LINE - 8];
	uint32_t index_moves; /* wrk s: odd while a deletion shifts index
			       * entries back (a reader's miss then is
			       * looked again) */
	uint8_t pad3[REG_LINE - 4];
	struct shard_intent intent;
	struct shard_stats stats;
} __attribute__((aligned(REG_LINE)));

/* Catalog entry; "cat" writes under seq, key last on insert. */
struct cat_entry {
	struct ck_sequence seq;
	uint32_t pad;
	uint64_t key; /* evt_entity_key(id); 0 = free */
	struct cat_item it;
};

struct cat_block {
	int32_t writer; /* pid holding the writer lock, 0 = free */
	uint32_t count;
	uint64_t updates; /* entries written, ever */
	uint64_t version; /* bumped after each completed load */
	uint32_t names;	  /* name entries in use */
	uint8_t pad[REG_LINE - 28];
};

/*
 * Name of a tag or category for display, as the catalog gave it (up to
 * NAME_MAX_LEN bytes; longer names are cut at a UTF-8 character boundary):
 * id written last (release).
 */
enum name_kind { NAME_TAG = 1, NAME_CATEGORY = 2 };
#define NAME_MAX_LEN 128
struct name_entry {
	uint32_t id;
	uint8_t kind;
	uint8_t pad;
	uint16_t len;
	char text[NAME_MAX_LEN];
};
_Static_assert(sizeof(struct name_entry) == 136, "name entry is 136 bytes");

/*
 * Item neighbours (shm/neighbors.h), written only by the segmenter
 * ("seg"; in a replay, its driver): an open-addressing table by item fold
 * (engine/nbr.h), never shrinking. An entry's fold and list change under
 * its sequence lock; the fold is set once.
 */
struct nbr_block {
	uint64_t passes;    /* counting passes over the profiles */
	uint64_t published; /* lists written, ever */
	uint64_t refused;   /* items that found no room (counts or here) */
	uint32_t items;	    /* entries in use */
	uint32_t pad;
	int64_t last_pass_ms; /* wall clock of the last pass */
	uint8_t pad2[REG_LINE - 40];
};

struct nbr_entry {
	struct ck_sequence seq;
	uint32_t fold; /* 0 = free */
	struct nbr_list list;
	uint8_t pad[REG_LINE * 4 - 8 - sizeof(struct nbr_list)];
} __attribute__((aligned(REG_LINE)));
_Static_assert(sizeof(struct nbr_entry) == 256, "four lines a list");

/*
 * Segments (shm/segment.h). Written only by the segmenter ("seg"): it
 * fills tab[!active] under that table's sequence lock, then stores active
 * (release). Readers copy tab[active] under its lock. refresh_requests is
 * the one field others write (an atomic add by `penchant segments
 * --refresh`); the segmenter refreshes when it moved.
 */
#define SEG_MAX 16     /* segments at most (k) */
#define SEG_PRIOR 12   /* interests kept per segment for its prior */
#define SEG_HISTORY 24 /* refreshes whose sizes are remembered */
#define SEG_NAME_MAX 47
#define SEG_NOTE_MAX 183 /* the last attempt's message */

struct seg_prior {
	uint32_t id;  /* tag or category id, 0 = unused */
	uint8_t kind; /* NAME_TAG or NAME_CATEGORY */
	uint8_t pad[3];
	float w; /* mean share of the members' positive weight */
};

struct seg_info {
	uint32_t id;	   /* stable across refreshes */
	uint32_t strategy; /* enum seg_strategy */
	char name[SEG_NAME_MAX + 1];
	uint64_t size;
	float share;	    /* of the users */
	float centroid[16]; /* standardized features (FEAT_COUNT) */
	float mean[16];	    /* raw feature means, for people */
	float engagement;   /* share of active members */
	float ctr;	    /* members' actions / impressions, -1 none */
	float drift_rate;   /* share of members drifting now */
	float confidence;   /* mean assignment confidence */
	float epsilon, mmr_lambda, explore_weight, context_weight;
	struct seg_prior prior[SEG_PRIOR];
	uint32_t overridden; /* 1: name/strategy/params from settings */
	int32_t diversifier; /* enum rank_diversifier; -1: the setting's */
	float dpp_theta;     /* < 0: the setting's */
	uint32_t pad;
};

struct seg_table {
	struct ck_sequence seq;
	uint32_t pad;
	uint64_t version;     /* refreshes published, this one's number */
	int64_t refreshed_ms; /* wall clock */
	int64_t as_of_ms;     /* the features' time */
	uint64_t users;
	uint32_t k;
	uint32_t low_confidence_users; /* assignments under the threshold */
	float low_confidence;	       /* the threshold */
	uint32_t pad2;
	double inertia, silhouette;
	double scale_mean[16], scale_std[16]; /* the features' scaler */
	struct seg_info seg[SEG_MAX];
};

/*
 * Experiments (shm/experiments.h). A slot's definition changes only under
 * the loader's lock (writer, a pid) and its sequence lock; its arms are
 * counters any client (exposures) and any worker (outcomes) adds to
 * atomically; looks (the always-valid tests' state) belong to the
 * segmenter alone. generation moves when a slot gets another experiment, so
 * its counters are not mixed up with the previous one's.
 */
struct exp_arm {
	uint64_t exposures, impressions, clicks, conversions;
	uint64_t reward_sq;
	uint64_t rr_micro;  /* sum of 1e6 / click position */
	uint64_t users;	    /* users counted at their first exposure */
	uint64_t clicked;   /* requests with at least one click */
	uint64_t converted; /* requests with at least one conversion */
	uint8_t pad[8];
};

/*
 * The counts of one run of a slot. A slot has two, used by runs in turn
 * (generation & 1): a loader starting a run clears the other one and only
 * then publishes the new run, so an adder that read the run before (a
 * client between its read of the definition and its exposure, a worker
 * between its check of a request's time and its adds) still adds to the
 * run before's counts, never to the new run's.
 */
struct exp_run {
	struct exp_arm arm[EXP_VARIANTS];
	/* Workers, atomic adds: requests of this run whose outcome state
	 * was evicted inside the attribution window (the rates and the
	 * reward variance are then approximate), and outcomes ignored
	 * because their request was made before the run started (a run
	 * before, or another experiment in the slot). */
	uint64_t evicted, stale;
};

struct exp_slot {
	struct ck_sequence seq;
	uint32_t active;
	uint32_t order; /* its line's rank in the last load: a user open to
			 * several experiments is taken by the first */
	uint32_t pad0;
	uint64_t generation;
	int64_t loaded_ms;
	/* The current run in one word, for adders that take no lock:
	 * loaded_ms * 2 + (generation & 1), its counts' buffer. */
	uint64_t run;
	struct exp_def def;
	struct exp_run runs[2];
	struct ck_sequence look_seq;
	uint32_t pad;
	/* Under look_seq, written by the segmenter alone (one writer: two
	 * could leave the count odd for good). They hold for look_gen's
	 * run: a loader that restarts the slot moves generation, and
	 * readers take them as empty until the next look catches up. */
	struct exp_look look;
	double weights[EXP_VARIANTS]; /* bandit allocation */
	uint32_t bandit;	      /* weights are set */
	uint32_t pad2;
	uint64_t look_gen; /* the generation the look is of */
} __attribute__((aligned(REG_LINE)));

struct exp_block {
	int32_t writer;	  /* pid holding the loader's lock, 0 = free */
	uint32_t n;	  /* slots in use (active or not) */
	uint64_t version; /* loads completed */
	uint8_t pad[REG_LINE - 16];
	struct exp_slot slot[EXP_MAX];
};

struct seg_block {
	uint32_t active; /* table readers use */
	uint32_t pad;
	uint64_t refresh_requests; /* any process: atomic add */
	uint64_t refreshes_done;   /* seg */
	uint64_t failures;	   /* seg: refreshes that failed (too few
				    * users yet is not one) */
	int64_t last_ms;	   /* seg: wall clock of the last attempt */
	uint64_t answered; /* seg: refresh_requests as its last attempt began */
	struct ck_sequence note_seq;
	int32_t note_rc; /* seg: the last attempt: 0, -ENODATA (too few users
			  * yet), another -errno (a failure) */
	char note[SEG_NOTE_MAX + 1]; /* seg: why, "" when a table came */
	uint32_t hist_n, hist_at;
	struct {
		int64_t ms;
		uint32_t id[SEG_MAX];
		uint64_t size[SEG_MAX];
	} history[SEG_HISTORY]; /* ring of the last refreshes */
	struct seg_table tab[2];
} __attribute__((aligned(REG_LINE)));

/*
 * The acceptor's crash-safe state for the Fluentd forward protocol
 * (workers/acceptor.c; the recipe is in docs/PROTOCOL.md, "For the
 * acceptor"). Present only when acceptor_slots > 0. Written only by the
 * acceptor process (one at a time: the supervisor restarts it), which
 * re-attaches it after kill -9; tools may read it, tolerating torn views.
 *
 * journal[]: one entry per chunked message that is being published and not
 * yet recorded as committed in the dedup set. token != 0 marks an entry in
 * use (written last on allocation with a release store, cleared to free);
 * the dedup set holds the chunk as PENDING with that token. cnt_old[s] is
 * how many of the message's accepted records, in message order, for shard
 * s are visible in ring (0, s) as of the last completed commit; cnt_new[s]
 * the same if the commit in progress lands. intent_tail[s] is the ring's
 * p_tail that commit will store: after a crash, ring (0, s).p_tail ==
 * intent_tail[s] means the commit landed in shard s (ring_commit stores
 * each shard's index once). Write order per commit: intent_tail, fence,
 * cnt_new, fence, ring_commit, cnt_old.
 *
 * The dedup set (struct fwd_dedup of shm/fwd_dedup.h, REG_FWD_DEDUP_BYTES)
 * follows the block at hdr->off.acceptor_dedup (bytes from the block
 * start).
 */
#define REG_FWD_DEDUP_CAP 65536u /* chunk ids remembered, at least */
#define REG_FWD_DEDUP_BYTES FWD_DEDUP_BYTES(REG_FWD_DEDUP_CAP)
#define REG_FWD_JOURNAL 128u   /* chunked messages in flight, at most */
#define REG_FWD_CHUNK_MAX 128u /* == FWD_MAX_CHUNK */
#define REG_ACC_MAGIC 0x4b434c42434341ULL /* "ACCBLCK" */

struct acc_journal {
	uint64_t token; /* 0 = free; written last */
	uint32_t chunk_len;
	uint32_t pad;
	char chunk[REG_FWD_CHUNK_MAX];
	uint32_t cnt_old[REG_MAX_SHARDS];
	uint32_t cnt_new[REG_MAX_SHARDS];
} __attribute__((aligned(REG_LINE)));

struct acc_block {
	uint64_t magic;	     /* REG_ACC_MAGIC once the acceptor set it up */
	uint64_t next_token; /* last token handed out */
	uint8_t pad0[REG_LINE - 16];
	uint32_t intent_tail[REG_MAX_SHARDS];
	struct acc_journal journal[REG_FWD_JOURNAL];
} __attribute__((aligned(REG_LINE)));

#endif
