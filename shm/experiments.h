/*
 * experiments: the running experiments of an instance in its region
 * (struct exp_block), the shared side of engine/experiment.h.
 *
 * Who writes what:
 *  - `penchant experiments load` (any process, under the block's writer
 *    lock) replaces the set of definitions; an experiment that keeps its
 *    name keeps its slot and its counts, a new one gets a fresh slot;
 *  - libpenchant (pen_rerank) assigns users and counts exposures;
 *  - the workers count impressions, clicks and conversions of requests
 *    whose id carries an arm (expb_outcome);
 *  - the segmenter takes the looks (always-valid tests) and, for bandit
 *    experiments, sets the allocation weights (expb_looks).
 * Counters are atomic adds; definitions and looks are read under their
 * sequence locks, so a reader never sees half a definition.
 *
 * Arms in request ids: arm = slot * EXP_VARIANTS + variant + 1 (0: no
 * experiment), in the request id's arm bits (engine/event.h).
 */
#ifndef PENCHANT_SHM_EXPERIMENTS_H
#define PENCHANT_SHM_EXPERIMENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "shm/region.h"

/* The writer lock of the definitions (one loader at a time); 0 or -EBUSY
 * with a message naming the holder. A dead holder's lock is taken over,
 * and a definition it left mid-write (its count odd) is stopped, its run
 * ended, and readable again (the load rewrites it, or leaves it). */
int expb_lock(const struct reg *r, char *err, size_t errlen);
/* Releases it; `loaded`: a load completed (the version counts it). */
void expb_unlock(const struct reg *r, bool loaded);

/* The supervisor, now and then: when the lock is held by a process that
 * died, takes it (repairing what it left) and releases it (no load is
 * counted). Whether it did. */
bool expb_reclaim(const struct reg *r);

/*
 * Under the lock: the set of running experiments becomes defs[0..n) (each
 * checked with exp_check; names unique; n <= EXP_MAX). Slots of
 * experiments no longer listed are deactivated (their counts stay
 * readable until the slot is reused). 0 or -EINVAL / -ENOSPC with a
 * message.
 */
int expb_load(const struct reg *r, const struct exp_def *defs, unsigned n,
    int64_t now_ms, char *err, size_t errlen);

/* A consistent view of slot i. */
struct exp_view {
	bool active;
	uint64_t generation;
	int64_t loaded_ms;
	struct exp_def def;
	struct exp_counts counts[EXP_VARIANTS];
	uint64_t evicted; /* requests whose state was lost in the window */
	uint64_t stale;	  /* outcomes of requests before the run, ignored */
	struct exp_look look;
	bool bandit; /* weights hold a bandit allocation */
	double weights[EXP_VARIANTS];
};

/* Slots in use (active or kept for reading). */
unsigned expb_slots(const struct reg *r);

/* Copies slot i (0 or -ENOENT, -EBUSY: a count left odd by a writer
 * that died mid-write, after a bounded wait). */
int expb_read(const struct reg *r, unsigned i, struct exp_view *out);

/*
 * The experiment and variant user_key is in now (the first active
 * experiment that takes them, in the order of the last load's
 * definitions), or -1. On success *arm is the request id's
 * arm and *v the variant (its strategy and overrides), and *run_ms (may
 * be NULL) the start of the experiment's run, read with its definition.
 * Counts the exposure when `expose`.
 *
 * The caller stamps the request id (and the exposure record) with a time
 * after *run_ms, max(now, *run_ms + 1): the workers count an outcome or
 * an exposure only when its request time is after the run's start
 * (others are of a run before, or of another experiment in the slot:
 * counted as stale), and a new run starts strictly after the one before
 * it started.
 */
int expb_choose(const struct reg *r, uint64_t user_key, int64_t now_ms,
    int segment, bool expose, unsigned *arm, unsigned *seen_bit,
    struct exp_variant *v, int64_t *run_ms);

/*
 * The run a slot is in now, as one word (struct exp_slot.run), and the
 * exposure of arm counted in the run `run` names: expb_choose's
 * `expose`, which passes the run it read with the definition. A run
 * started since then does not get it (it goes to the run the caller
 * chose in). expb_run of a slot out of range is 0.
 */
uint64_t expb_run(const struct reg *r, unsigned slot);
void expb_expose(const struct reg *r, unsigned arm, uint64_t run);

/*
 * A user's first exposure is counted once (users per variant, the unit
 * the split is checked on). seen_bit is a code, slot * 8 + tag: the tag
 * (1..7) of the slot's generation, generation mod 7 + 1. The profile
 * keeps 3 bits a slot (exp_seen, exp_seen_hi), the tag of the generation
 * the user was last counted in. When the user's profile (p, may be NULL)
 * holds another tag for the slot, the client publishes an
 * EVT_CTL_EXPOSE record (expb_expose_record) and the worker counts it
 * (expb_exposed). A user exposed in one run of a slot and next in the
 * run 7 fresh starts later (not in between) is not counted again: the
 * only aliasing. Experiments do not outlive their region, so a snapshot
 * load clears the marks.
 */
bool expb_first(const struct lrn_profile *p, unsigned seen_bit);
void expb_expose_record(uint64_t user_key, unsigned arm, unsigned seen_bit,
    int64_t now_ms, struct evt_record *e);

/* Worker of the user's shard: sets the slot's tag in profile p and
 * counts the user in the record's arm, unless it was the tag already or
 * the record is of a run before the slot's (its time not after the
 * run's start). */
void expb_exposed(const struct reg *r, struct lrn_profile *p,
    const struct evt_record *e);

/*
 * Worker of shard s: counts an outcome of event e (impression, action)
 * when its request id carries an arm. Clicks and conversions are counted
 * as events and as requests with at least one (clicked, converted), from
 * the shard's table of requests with outcomes (shm/layout.h, struct
 * exp_request); a request whose entry was taken by a newer one while
 * still inside the attribution window is counted in the slot's evicted.
 */
void expb_outcome(const struct reg *r, unsigned s, const struct evt_record *e,
    bool impression, bool action, bool conversion);

/* Segmenter: one look at every active experiment (mSPRT, bandit weights). */
void expb_looks(const struct reg *r);

/* Segmenter, at start (the looks' only writer): evens a look count the
 * previous segmenter left odd when it died mid-write. */
void expb_repair_looks(const struct reg *r);

#endif
