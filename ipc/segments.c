/*
 * segments: libpenchant's view of the segments table (penchant.h): a
 * consistent copy of the table the segmenter last published, and one
 * user's segment, computed from their profile when asked.
 */
#include "penchant.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/rank.h"
#include "engine/segpolicy.h"
#include "ipc/client.h"
#include "shm/catalog.h"
#include "shm/profiles.h"
#include "shm/segment.h"

_Static_assert(PEN_SEGMENTS_MAX == SEG_MAX && PEN_FEATURES == FEAT_COUNT &&
	PEN_SEGMENT_HISTORY == SEG_HISTORY,
    "public arrays hold the table");

static void _segment(pen_t *p, const struct seg_info *s, struct pen_segment *o,
    int flags)
{
	memset(o, 0, sizeof(*o));
	o->id = s->id;
	snprintf(o->name, sizeof(o->name), "%s", s->name);
	snprintf(o->strategy, sizeof(o->strategy), "%s",
	    sp_strategy_name(s->strategy) ? sp_strategy_name(s->strategy)
					  : "?");
	o->size = s->size;
	o->share = s->share;
	o->engagement = s->engagement;
	o->ctr = s->ctr;
	o->drift_rate = s->drift_rate;
	o->confidence = s->confidence;
	o->epsilon = s->epsilon;
	o->mmr_lambda = s->mmr_lambda;
	o->explore_weight = s->explore_weight;
	o->context_weight = s->context_weight;
	if (s->diversifier >= 0 && s->diversifier <= RANK_DIV_DPP)
		snprintf(o->diversifier, sizeof(o->diversifier), "%s",
		    rank_diversifier_names[s->diversifier]);
	o->dpp_theta = s->dpp_theta;
	memcpy(o->traits, s->centroid, sizeof(o->traits));
	memcpy(o->means, s->mean, sizeof(o->means));
	o->overridden = (int)s->overridden;
	for (unsigned i = 0; i < SEG_PRIOR && s->prior[i].id; i++) {
		o->prior[i].id = s->prior[i].id;
		o->prior[i].category = s->prior[i].kind == NAME_CATEGORY;
		o->prior[i].share = s->prior[i].w;
		if (flags & PEN_READ_NAMES)
			cat_name_get(client_region(p), s->prior[i].id,
			    o->prior[i].name, sizeof(o->prior[i].name));
		o->n_prior = i + 1;
	}
}

int pen_segments_read(pen_t *p, struct pen_segments *out, int flags)
{
	if (!p || !out)
		return -EINVAL;
	const struct reg *r = client_region(p);
	struct seg_table t; /* about 6 KiB */
	int rc = seg_read(r, &t);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	out->version = t.version;
	out->refreshed_ms = t.refreshed_ms;
	out->users = t.users;
	out->k = t.k;
	out->silhouette = t.silhouette;
	out->inertia = t.inertia;
	out->low_confidence_users = t.low_confidence_users;
	for (unsigned i = 0; i < t.k && i < SEG_MAX; i++)
		_segment(p, &t.seg[i], &out->seg[i], flags);
	const struct seg_block *b = reg_segments(r);
	unsigned n = ck_pr_load_uint(&b->hist_n), at = b->hist_at;
	for (unsigned i = 0; i < n && i < SEG_HISTORY; i++) {
		unsigned h = (at + SEG_HISTORY - n + i) % SEG_HISTORY;
		out->history[i].ms = b->history[h].ms;
		memcpy(out->history[i].id, b->history[h].id,
		    sizeof(out->history[i].id));
		memcpy(out->history[i].size, b->history[h].size,
		    sizeof(out->history[i].size));
		out->n_history = i + 1;
	}
	out->refreshes = ck_pr_load_64(&b->refreshes_done);
	out->failures = ck_pr_load_64(&b->failures);
	return 0;
}

int pen_segment_of(pen_t *p, const char *user_id, size_t len,
    struct pen_user_segment *out)
{
	if (!out)
		return -EINVAL;
	struct lrn_profile lp;
	int rc = client_profile_of(p, user_id, len, &lp);
	if (rc)
		return rc;
	if (lp.events == 0)
		return -ENOENT;
	const struct reg *r = client_region(p);
	struct seg_table t;
	if ((rc = seg_read(r, &t)))
		return rc;
	struct seg_assignment a;
	seg_assign(&t, &lp, &r->hdr->params, reg_now_wall_ms(), &a);
	if (a.index < 0)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->id = a.id;
	snprintf(out->name, sizeof(out->name), "%s", t.seg[a.index].name);
	snprintf(out->strategy, sizeof(out->strategy), "%s",
	    sp_strategy_name(t.seg[a.index].strategy));
	out->confidence = a.confidence;
	out->low_confidence = a.low;
	return 0;
}

int pen_segments_refresh(pen_t *p)
{
	if (!p)
		return -EINVAL;
	int rc = client_alive(p); /* a request to nobody is no request */
	if (rc)
		return rc;
	ck_pr_inc_64(&reg_segments(client_region(p))->refresh_requests);
	return 0;
}

const char *pen_feature_name(unsigned i)
{
	return feat_name(i);
}
