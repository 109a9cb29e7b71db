/*
 * shim: a plain C interface over the engine for the C++ micro-benchmarks
 * (bench/micro.cc). The engine's headers are C11 (flexible array members,
 * _Static_assert, ck's macros) and are not meant to compile as C++, so the
 * benchmark bodies live here and micro.cc only drives them.
 *
 * One context owns one region (/dev/shm/penchant.bench-micro-<pid>): one
 * shard, a few producer slots, and a profile table holding `users` profiles,
 * each created by one event. bsh_close() unlinks the region.
 *
 * Every *_step() is the timed operation; every *_verify() checks what the
 * steps did so far against a simple reference and returns 0 or -1 with a
 * message in err. Single-threaded: one context, one thread.
 */
#ifndef PENCHANT_BENCH_SHIM_H
#define PENCHANT_BENCH_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bsh;

#define BSH_BATCH 64

/* Creates the region and fills the profile table. 0 or a negative errno. */
int bsh_open(struct bsh **out, unsigned users, char *err, size_t errlen);
/* Detaches, unlinks the region, frees; sets *b NULL. */
void bsh_close(struct bsh **b);

/* Rings, producer and consumer in this one thread. */
void bsh_ring_ck_single_step(struct bsh *b); /* ck typed enqueue+dequeue */
void bsh_ring_stage1_step(struct bsh *b);    /* ring_stage+commit of 1 */
void bsh_ring_batch_step(struct bsh *b);     /* BSH_BATCH staged, 1 commit */
int bsh_ring_verify(struct bsh *b, char *err, size_t errlen);

/* Learner: one lrn_apply on a private profile. rotate=0 uses one item of 4
 * tags; rotate=1 cycles 16 items of 4 tags over 40 tags (evictions). */
int bsh_learn_reference(char *err, size_t errlen);
void bsh_learn_step(struct bsh *b, int rotate);
int bsh_learn_verify(struct bsh *b, char *err, size_t errlen);

/* Profile reads of random existing users. */
void bsh_prof_read_step(struct bsh *b); /* prof_read by key */
void bsh_pen_read_step(struct bsh *b);	/* pen_profile_read by id */
/* The hot part: raw prefix copy (baseline) and pen_profile_hot_read. */
void bsh_prof_read_hot_step(struct bsh *b);
void bsh_pen_hot_step(struct bsh *b);
/* The raw hot copy keyed from the id string, as the call is. */
void bsh_prof_read_hot_by_id_step(struct bsh *b);
/* pen_profile_hot_read of users drawn Zipf(1), as traffic reads them. */
void bsh_pen_hot_zipf_step(struct bsh *b);
/* pen_profile_hot_read_many of BSH_HOT_BATCH users. */
#define BSH_HOT_BATCH 64
void bsh_pen_hot_many_step(struct bsh *b);
int bsh_read_verify(struct bsh *b, char *err, size_t errlen);

/* Rankings (pen_rerank) of BSH_CANDS candidates for a user with 60 events,
 * in a context with time, place, weather, company and device; the verify
 * checks each result is a permutation. bsh_rank_setup loads the catalog
 * and the user first. */
#define BSH_CANDS 200
int bsh_rank_setup(struct bsh *b, char *err, size_t errlen);
void bsh_rank_profile_step(struct bsh *b);
void bsh_rank_context_step(struct bsh *b);
void bsh_rank_full_step(struct bsh *b);
/* full with base scores spread as a caller's (uniform, three decimals,
 * one of them 0). */
void bsh_rank_full_spread_step(struct bsh *b);
/* The parts of full: exploration alone, diversity alone, and base (the
 * call's floor: keys, catalog and profile reads, the output in order). */
void bsh_rank_explore_step(struct bsh *b);
void bsh_rank_diverse_step(struct bsh *b);
void bsh_rank_base_step(struct bsh *b);
int bsh_rank_verify(struct bsh *b, char *err, size_t errlen);
/* Refreshes the segments of the bench's users (k fixed at 4), so that the
 * rankings after it read the segments table, assign the user and blend
 * the segment's prior; once per bench, later calls do nothing. */
int bsh_rank_segments(struct bsh *b, char *err, size_t errlen);

/* reg_huge_mode: whether /dev/shm gives the region huge pages. */
int bsh_huge_mode(char *mode, size_t len);

/* Bytes of profile table (records + index) per profile of capacity. */
double bsh_bytes_per_user(const struct bsh *b);

/*
 * The rank API's codec on a body of BSH_CANDS candidates as http-bench
 * sends it: the tokenizer alone (json_parse, the baseline), the whole
 * decode (rq_decode_json), and the answer's encoding (k 20).
 */
int bsh_api_setup(struct bsh *b, char *err, size_t errlen);
void bsh_api_parse_step(struct bsh *b);
void bsh_api_decode_step(struct bsh *b);
void bsh_api_encode_step(struct bsh *b);
int bsh_api_verify(struct bsh *b, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
