/*
 * boot: settings -> a running region (boot.h).
 */
#include "shm/boot.h"

#include <ck_pr.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint32_t _pow2(uint64_t v)
{
	uint64_t p = 1;
	while (p < v)
		p <<= 1;
	return (uint32_t)p;
}

void boot_geometry(const struct cfg *c, struct reg_geometry *g)
{
	memset(g, 0, sizeof(*g));
	g->shards = cfg_effective_shards(c);
	g->producer_slots = c->producer_slots;
	g->acceptor_slots = c->acceptor_slots;
	g->ring_depth = c->ring_depth;
	g->profiles_per_shard = c->profiles_per_shard;
	g->index_slots = _pow2(2ULL * c->profiles_per_shard);
	g->catalog_capacity = c->catalog_capacity;
	g->catalog_slots = _pow2(2ULL * c->catalog_capacity);
	g->names_capacity = c->names_capacity;
	g->names_slots = _pow2(2ULL * c->names_capacity);
	g->neighbor_capacity = c->neighbor_items;
	g->neighbor_slots =
	    c->neighbor_items ? _pow2(2ULL * c->neighbor_items) : 0;
	g->experiment_requests = c->experiment_requests;
	g->record_size = sizeof(struct evt_record);
	g->profile_size = sizeof(struct prof_slot);
}

void boot_params(const struct cfg *c, const struct boot_options *o,
    struct reg_header *h)
{
	h->params = c->learn;
	lrn_params_derive(&h->params);
	h->rank = c->rank;
	h->limits = evt_limits_default();
	/* cfg_check() accepted the list: it parses. */
	evt_verbs_parse(c->verbs, h->limits.verbs, h->params.verb_signal, NULL,
	    0);
	h->limits.max_id_len = c->max_id_len;
	h->limits.max_str_len = c->max_str_len;
	h->limits.geo_precision = c->geo_precision;
	h->max_past_ms = (int64_t)c->max_past_days * LRN_DAY_MS;
	h->max_future_ms = (int64_t)c->max_future_s * 1000;
	_Static_assert(sizeof(h->state_dir) > CFG_STATE_DIR_MAX, "room");
	snprintf(h->state_dir, sizeof(h->state_dir), "%s", c->state_dir);
	h->consent_opt_in = c->consent_regime == CFG_CONSENT_OPT_IN;
	h->retention_days = c->retention_days;
	h->retention_sweep_per_s = c->retention_sweep_per_s;
	_Static_assert(sizeof(h->sensitive) / sizeof(h->sensitive[0]) ==
		CFG_SENSITIVE_MAX,
	    "room for every sensitive name");
	int n = cfg_sensitive_parse(c->sensitive, h->sensitive,
	    CFG_SENSITIVE_MAX, NULL, 0);
	h->sensitive_n = n > 0 ? (uint32_t)n : 0;
	if (o && o->user_secret)
		memcpy(h->limits.user_secret, o->user_secret,
		    sizeof(h->limits.user_secret));
	if (o && o->history) {
		h->retention_days = 0; /* a log of the past is not idle */
		h->limits.min_time_ms = 0;
		h->max_past_ms = 0;
		h->max_future_ms = h->limits.max_time_ms;
	}
}

int boot_create(struct reg *r, const char *instance, const struct cfg *c,
    const struct reg_geometry *geo, const struct boot_options *o, char *err,
    size_t errlen)
{
	static const struct boot_options none;
	struct cfg defaults;
	struct reg_geometry g;
	if (!o)
		o = &none;
	if (!c) {
		cfg_defaults(&defaults);
		c = &defaults;
	}
	if (!geo) {
		boot_geometry(c, &g);
		geo = &g;
	}
	if (o->replace)
		reg_unlink(instance);
	int rc = reg_create(r, instance, geo, err, errlen);
	if (rc)
		return rc;
	boot_params(c, o, r->hdr);
	if (o->running) {
		ck_pr_fence_store(); /* parameters before the region runs */
		ck_pr_store_uint(&r->hdr->state, REG_RUNNING);
	}
	return 0;
}
