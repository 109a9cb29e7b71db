/*
 * neighbors: the region's item-neighbour table (neighbors.h).
 */
#include "shm/neighbors.h"

#include <ck_pr.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "shm/profiles.h"
#include "shm/secret.h"
#include "shm/seqlock.h"
#include "shm/snapshot.h"

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
	f->prev_front = calloc(n, sizeof(*f->prev_front));
	if (!f->prev_events || !f->prev_user || !f->prev_front) {
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
	free(f->prev_front);
	f->prev_events = f->prev_user = f->prev_front = NULL;
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

/*
 * The entries of seen[] new since a pass that saw `front` at its head:
 * those now in front of it (an entity met again moves to the head; one
 * met at the head already, or an event without one, adds nothing). All
 * when front is 0 (a new user, or nothing seen then) or gone.
 */
static uint32_t _fresh(const struct lrn_profile *p, uint32_t front)
{
	struct lrn_seen_info si;
	if (!front)
		return LRN_SEEN;
	for (unsigned k = 0; k < LRN_SEEN; k++)
		if (lrn_seen_entry(p, k, &si) == front)
			return k;
	return LRN_SEEN;
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
			    _fresh(&p, same ? f->prev_front[at] : 0);
			f->prev_events[at] = p.events;
			f->prev_user[at] = (uint32_t)p.user_key;
			struct lrn_seen_info head;
			f->prev_front[at] = lrn_seen_entry(&p, 0, &head);
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
		if (have == fold) {
			/* The fold before the sequence and the list (free on
			 * x86, needed where loads may pass loads). */
			ck_pr_fence_load();
			return &e[i];
		}
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

/* The lists of nbrs_history into acc, or (acc NULL) into cs. */
static unsigned _history(const struct reg *r, const struct lrn_profile *p,
    struct nbr_acc *acc, struct nbr_csum *cs)
{
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
			if (acc)
				nbr_acc_add(acc, &l, 1.0f);
			else
				nbr_csum_add(cs, &l, 1.0f);
			found++;
		}
	}
	return found;
}

unsigned nbrs_history(const struct reg *r, const struct lrn_profile *p,
    struct nbr_acc *acc)
{
	nbr_acc_clear(acc);
	return _history(r, p, acc, NULL);
}

unsigned nbrs_history_csum(const struct reg *r, const struct lrn_profile *p,
    struct nbr_csum *cs)
{
	return _history(r, p, NULL, cs);
}

/* --- keeping the counts across restarts ------------------------------ */

#define _FILE_MAGIC "PENNBR\0\1"
#define _FILE_VERSION 1

struct _file_hdr {
	char magic[8];
	uint32_t version;
	uint32_t candidates, stride, n_items, pad0;
	double half_life_days, t0_ms;
	uint32_t have_t0, pad;
	uint64_t sum; /* XXH3 of the body, seeded with the header's */
};

void nbrs_path(const char *state_dir, const char *instance, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/%s.nbr", state_dir, instance);
}

static uint64_t _file_sum(const struct _file_hdr *h, const void *body,
    size_t len)
{
	struct _file_hdr z = *h;
	z.sum = 0;
	return XXH3_64bits_withSeed(body, len, XXH3_64bits(&z, sizeof(z)));
}

int nbrs_save(const struct nbrs_feed *f, const char *path, char *err,
    size_t errlen)
{
	const struct nbr_counts *x = &f->counts;
	size_t len = (size_t)x->n * x->stride;
	struct _file_hdr h = { .version = _FILE_VERSION,
		.candidates = x->prm.candidates,
		.stride = (uint32_t)x->stride,
		.n_items = x->n,
		.half_life_days = x->prm.half_life_days,
		.t0_ms = x->t0_ms,
		.have_t0 = x->have_t0 };
	memcpy(h.magic, _FILE_MAGIC, sizeof(h.magic));
	const void *body = len ? nbr_counts_items(x) : "";
	h.sum = _file_sum(&h, body, len);
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	/* 0600 like the snapshot beside it. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	int rc = fp ? 0 : -errno;
	if (!fp && fd >= 0)
		close(fd);
	if (!rc &&
	    (fwrite(&h, sizeof(h), 1, fp) != 1 ||
		(len && fwrite(body, len, 1, fp) != 1) || fflush(fp) ||
		fsync(fileno(fp))))
		rc = -EIO;
	if (fp && fclose(fp) && !rc)
		rc = -EIO;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(-rc));
		unlink(tmp);
		return rc;
	}
	snap_fsync_dir(path);
	return 0;
}

/* Reads the whole file; *body malloc'ed (the caller frees). */
static int _read_file(const char *path, struct _file_hdr *h,
    unsigned char **body, size_t *len, char *err, size_t errlen)
{
	/* The instance's own file, as a snapshot: a planted one would
	 * steer every ranking's neighbours. */
	int fd = sec_open_private(path,
	    "fix it (chown, chmod 600), or move it aside to count anew", err,
	    errlen);
	if (fd < 0)
		return fd;
	FILE *fp = fdopen(fd, "r");
	if (!fp) {
		int e = errno;
		close(fd);
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
		return -e;
	}
	int rc = 0;
	*body = NULL;
	if (fread(h, sizeof(*h), 1, fp) != 1 ||
	    memcmp(h->magic, _FILE_MAGIC, sizeof(h->magic)) ||
	    h->version != _FILE_VERSION) {
		snprintf(err, errlen,
		    "%s is not a neighbour count file of version %d", path,
		    _FILE_VERSION);
		rc = -EPROTO;
	} else if (fseek(fp, 0, SEEK_END) || ftell(fp) < (long)sizeof(*h)) {
		rc = -EIO;
		snprintf(err, errlen, "cannot read %s", path);
	} else {
		*len = (size_t)ftell(fp) - sizeof(*h);
		*body = malloc(*len + 1);
		if (!*body || fseek(fp, (long)sizeof(*h), SEEK_SET) ||
		    (*len && fread(*body, *len, 1, fp) != 1)) {
			rc = *body ? -EIO : -ENOMEM;
			snprintf(err, errlen, "cannot read %s", path);
		}
	}
	fclose(fp);
	return rc;
}

/* Every profile the region holds counts as counted up to now. */
static void _counted_now(struct nbrs_feed *f, const struct reg *r)
{
	for (unsigned s = 0; s < f->shards; s++) {
		uint32_t count = ck_pr_load_uint(&reg_shard(r, s)->count);
		count = count < f->per_shard ? count : f->per_shard;
		for (uint32_t i = 0; i < count; i++) {
			const struct prof_slot *ps =
			    &reg_shard_records(r, s)[i];
			size_t at = (size_t)s * f->per_shard + i;
			f->prev_events[at] = ck_pr_load_32(&ps->p.events);
			f->prev_user[at] =
			    (uint32_t)ck_pr_load_64(&ps->p.user_key);
			f->prev_front[at] =
			    ck_pr_load_32(&ps->p.seen[0]) & LRN_SEEN_FOLD;
		}
	}
}

int nbrs_load(struct nbrs_feed *f, const struct reg *r, const char *path,
    char *err, size_t errlen)
{
	struct nbr_counts *x = &f->counts;
	struct _file_hdr h;
	unsigned char *body = NULL;
	size_t len = 0;
	int rc = _read_file(path, &h, &body, &len, err, errlen);
	size_t ib = (size_t)h.n_items * x->stride;
	if (!rc &&
	    (h.candidates != x->prm.candidates || h.stride != x->stride ||
		h.half_life_days != x->prm.half_life_days)) {
		snprintf(err, errlen,
		    "%s was counted with %u counters an item and a half-life of %g days, the settings say %u and %g: counting afresh",
		    path, h.candidates, h.half_life_days, x->prm.candidates,
		    x->prm.half_life_days);
		rc = -EPROTO;
	} else if (!rc && (ib != len || _file_sum(&h, body, len) != h.sum)) {
		snprintf(err, errlen,
		    "%s is torn or altered (checksum): counting afresh", path);
		rc = -EBADMSG;
	} else if (!rc && (rc = nbr_counts_restore(x, body, h.n_items))) {
		snprintf(err, errlen, "%s: %s: counting afresh", path,
		    rc == -ENOSPC ? "more items than neighbor_items"
				  : "counts out of range");
	} else if (!rc) {
		x->t0_ms = h.t0_ms;
		x->have_t0 = h.have_t0 != 0;
		_counted_now(f, r);
	}
	free(body);
	return rc;
}
