/*
 * neighbors: the region's item-neighbour table (neighbors.h).
 */
#include "shm/neighbors.h"

#include <ck_pr.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shm/profiles.h"
#include "shm/seqlock.h"

void nbrs_params_of(const struct cfg *c, struct nbr_params *p)
{
	*p = (struct nbr_params){ .candidates = c->neighbor_candidates,
		.half_life_days = c->neighbor_half_life_days,
		.min_count = c->neighbor_min_count,
		.shrink = c->neighbor_shrink };
}

int nbrs_feed_init(struct nbrs_feed *f, const struct reg *r,
    const struct nbr_params *p)
{
	memset(f, 0, sizeof(*f));
	const struct reg_geometry *g = &r->hdr->geo;
	if (!g->neighbor_capacity)
		return -ENODEV;
	int rc = nbr_counts_init(&f->counts, g->neighbor_capacity, p);
	if (rc)
		return rc;
	f->shards = g->shards;
	f->per_shard = g->profiles_per_shard;
	size_t n = (size_t)f->shards * f->per_shard;
	f->prev_events = calloc(n, sizeof(*f->prev_events));
	f->prev_user = calloc(n, sizeof(*f->prev_user));
	if (!f->prev_events || !f->prev_user) {
		nbrs_feed_free(f);
		return -ENOMEM;
	}
	return 0;
}

void nbrs_feed_free(struct nbrs_feed *f)
{
	nbr_counts_free(&f->counts);
	free(f->prev_events);
	free(f->prev_user);
	f->prev_events = f->prev_user = NULL;
}

#define NBRS_READ_TRIES 4

static uint32_t _hash(uint32_t fold, uint32_t mask)
{
	return (uint32_t)(((uint64_t)(fold >> 12) * 0x9E3779B1u) >> 16) & mask;
}

int nbrs_put(const struct reg *r, uint32_t fold, const struct nbr_list *l)
{
	struct nbr_block *b = reg_neighbors(r);
	struct nbr_entry *e = reg_neighbor_entries(r);
	if (!r->hdr->geo.neighbor_slots || !fold)
		return -EINVAL;
	uint32_t mask = r->hdr->geo.neighbor_slots - 1;
	uint32_t i = _hash(fold, mask);
	for (uint32_t step = 0; step <= mask; step++, i = (i + 1) & mask) {
		if (e[i].fold != fold && e[i].fold != 0)
			continue;
		bool fresh = e[i].fold == 0;
		if (fresh && b->items >= r->hdr->geo.neighbor_capacity)
			break;
		seq_write_begin(&e[i].seq);
		e[i].list = *l;
		ck_pr_store_32(&e[i].fold, fold);
		seq_write_end(&e[i].seq);
		if (fresh)
			ck_pr_store_32(&b->items, b->items + 1);
		ck_pr_store_64(&b->published, b->published + 1);
		return 0;
	}
	ck_pr_store_64(&b->refused, b->refused + 1);
	return -ENOSPC;
}

static void _put(void *arg, uint32_t fold, const struct nbr_list *l)
{
	nbrs_put(arg, fold, l);
}

int nbrs_pass(struct nbrs_feed *f, const struct reg *r, struct nbrs_stats *st)
{
	struct nbrs_stats z = { 0 };
	struct nbr_block *b = reg_neighbors(r);
	uint64_t refused = f->counts.refused;
	for (unsigned s = 0; s < f->shards; s++) {
		uint32_t count = ck_pr_load_uint(&reg_shard(r, s)->count);
		if (count > f->per_shard)
			count = f->per_shard;
		for (uint32_t i = 0; i < count; i++) {
			size_t at = (size_t)s * f->per_shard + i;
			const struct prof_slot *ps =
			    &reg_shard_records(r, s)[i];
			/* A glance first: most records did nothing new. */
			uint32_t ev = ck_pr_load_32(&ps->p.events);
			uint32_t who = (uint32_t)ck_pr_load_64(&ps->p.user_key);
			if (ev == f->prev_events[at] && who == f->prev_user[at])
				continue;
			struct lrn_profile p;
			if (prof_copy(r, s, i, &p))
				continue;
			bool same = (uint32_t)p.user_key == f->prev_user[at] &&
			    p.events >= f->prev_events[at];
			uint32_t fresh =
			    same ? p.events - f->prev_events[at] : p.events;
			f->prev_events[at] = p.events;
			f->prev_user[at] = (uint32_t)p.user_key;
			if (!p.user_key || !fresh)
				continue;
			uint32_t fold[LRN_SEEN];
			unsigned n = 0, nf = 0;
			for (unsigned k = 0; k < LRN_SEEN; k++) {
				struct lrn_seen_info si;
				uint32_t x = lrn_seen_entry(&p, k, &si);
				if (!x || !nbr_touched(&si))
					continue;
				if (k < fresh)
					nf = n + 1;
				fold[n++] = x;
			}
			nbr_counts_window(&f->counts, fold, n, nf, p.last_ms);
			z.users++;
			z.fresh += nf;
		}
	}
	z.published = nbr_counts_publish(&f->counts, _put, (void *)r);
	ck_pr_store_64(&b->refused, b->refused + f->counts.refused - refused);
	ck_pr_store_64(&b->passes, b->passes + 1);
	ck_pr_store_64((uint64_t *)&b->last_pass_ms,
	    (uint64_t)reg_now_wall_ms());
	if (st)
		*st = z;
	return 0;
}

int64_t nbrs_next_ms(int64_t interval_ms, int64_t pass_ms, double share)
{
	double w = share > 0.0 ? (double)pass_ms / share : (double)INT64_MAX;
	return w > (double)interval_ms ? (int64_t)w : interval_ms;
}

/* The entry of fold, or NULL. */
static const struct nbr_entry *_entry(const struct reg *r, uint32_t fold)
{
	uint32_t slots = r->hdr->geo.neighbor_slots;
	if (!slots || !fold)
		return NULL;
	const struct nbr_entry *e = reg_neighbor_entries(r);
	uint32_t mask = slots - 1, i = _hash(fold, mask);
	for (uint32_t step = 0; step <= mask; step++, i = (i + 1) & mask) {
		uint32_t have = ck_pr_load_32(&e[i].fold);
		if (have == fold)
			return &e[i];
		if (!have)
			return NULL;
	}
	return NULL;
}

int nbrs_get(const struct reg *r, uint32_t fold, struct nbr_list *out)
{
	const struct nbr_entry *e = _entry(r, fold);
	return e ? seq_read_copy(&e->seq, out, &e->list, sizeof(*out))
		 : -ENOENT;
}

unsigned nbrs_history(const struct reg *r, const struct lrn_profile *p,
    struct nbr_acc *acc)
{
	nbr_acc_clear(acc);
	if (!p || !r->hdr->geo.neighbor_slots)
		return 0;
	uint32_t fold[LRN_SEEN];
	unsigned n = nbr_history(p, fold), found = 0;
	/* Every list's lines asked for first, so their misses overlap (the
	 * first probe is where a list almost always is; only a hint). */
	const struct nbr_entry *e = reg_neighbor_entries(r);
	uint32_t mask = r->hdr->geo.neighbor_slots - 1;
	for (unsigned i = 0; i < n; i++) {
		const char *at = (const char *)&e[_hash(fold[i], mask)];
		for (unsigned b = 0; b < sizeof(*e); b += 64)
			__builtin_prefetch(at + b);
	}
	for (unsigned i = 0; i < n; i++) {
		/* The segmenter writes at a lower priority: a list it is
		 * rewriting right now is done without, never waited for. */
		const struct nbr_entry *le = _entry(r, fold[i]);
		struct nbr_list l;
		if (le &&
		    seq_read_copy_tries(&le->seq, &l, &le->list, sizeof(l),
			NBRS_READ_TRIES) == 0) {
			nbr_acc_add(acc, &l, 1.0f);
			found++;
		}
	}
	return found;
}
