/* serve_stats: the shard step keeps the serving statistics: impressions and attributed clicks and conversions by the request id's strategy and the event's position, actions outside the attribution window unattributed, category impressions, actions and daily positives. */
#include <string.h>

#include "engine/item.h"
#include "shm/catalog.h"
#include "shm/profiles.h"
#include "shm/ring.h"
#include "shm/shard.h"
#include "shmtest.h"

#define T0 1767225600000LL /* 2026-01-01 */
#define MIN 60000LL

static struct reg g_r;
static struct ring_producer g_pr;

static void emit(uint64_t user, uint8_t type, uint64_t entity, int64_t t,
    uint64_t request, unsigned position)
{
	struct evt_record e;
	memset(&e, 0, sizeof(e));
	e.user_key = user;
	e.entity_key = entity;
	e.type = type;
	e.time_ms = t;
	e.request_id = request;
	e.position = (uint16_t)position;
	e.scroll_depth = -1.0f;
	REQUIRE(ring_stage(&g_pr, reg_shard_of(user, 1), &e));
	ring_commit(&g_pr);
	while (shard_poll(&g_r, 0, 64))
		;
}

static const struct cat_stat *cat(uint32_t id)
{
	const struct shard_stats *st = &reg_shard(&g_r, 0)->stats;
	for (unsigned i = 0; i < REG_CAT_STATS; i++)
		if (st->cats[i].id == id)
			return &st->cats[i];
	return NULL;
}

int main(void)
{
	st_init(40);
	const char *inst = st_instance("serve");
	struct reg_geometry g = st_geo(1, 2, 64, 1024, 64, 32);
	st_create(&g_r, inst, &g, REG_RUNNING);
	char err[256];
	REQUIRE(cat_lock(&g_r, err, sizeof(err)) == 0);
	struct cat_item it = {
		.item = { .category = 77, .n_tags = 1, .tags = { 5 } },
		.price_level = 255
	};
	REQUIRE(cat_put(&g_r, 1001, &it) == 0);
	cat_unlock(&g_r);
	ring_producer_init(&g_pr, &g_r, 0);
	const struct shard_stats *st = &reg_shard(&g_r, 0)->stats;

	uint64_t rq = evt_request_make(T0, RANK_DIVERSE, 9);
	CHECK_EQ_INT(evt_request_strategy(rq), RANK_DIVERSE);
	CHECK_EQ_INT(evt_request_time(rq), T0);
	/* three impressions at positions 1, 2 and 40 (beyond: cell 0) */
	emit(11, EVT_IMPRESSION, 1001, T0 + 1000, rq, 1);
	emit(11, EVT_IMPRESSION, 1001, T0 + 1000, rq, 2);
	emit(11, EVT_IMPRESSION, 1001, T0 + 1000, rq, 40);
	CHECK_EQ_INT(st->pos[RANK_DIVERSE][1].impressions, 1);
	CHECK_EQ_INT(st->pos[RANK_DIVERSE][2].impressions, 1);
	CHECK_EQ_INT(st->pos[RANK_DIVERSE][0].impressions, 1);
	/* a click at position 2 within the window, a purchase too */
	emit(11, EVT_CLICK, 1001, T0 + 5 * MIN, rq, 2);
	emit(11, EVT_PURCHASE, 1001, T0 + 6 * MIN, rq, 2);
	CHECK_EQ_INT(st->pos[RANK_DIVERSE][2].clicks, 2);
	CHECK_EQ_INT(st->pos[RANK_DIVERSE][2].conversions, 1);
	/* a view is no action; a click after the window is unattributed */
	emit(11, EVT_VIEW, 1001, T0 + 7 * MIN, rq, 2);
	emit(11, EVT_CLICK, 1001, T0 + 31 * MIN, rq, 2);
	CHECK_EQ_INT(st->pos[RANK_DIVERSE][2].clicks, 2);
	CHECK_EQ_INT(st->unattributed, 1);
	/* no other strategy counted anything */
	CHECK_EQ_INT(st->pos[RANK_FULL][2].clicks, 0);
	CHECK_EQ_INT(st->pos[RANK_FULL][1].impressions, 0);
	/* the category: 3 impressions, 3 actions (click, purchase, click),
	 * positives of the day: click, purchase, view, click */
	const struct cat_stat *c = cat(77);
	REQUIRE(c != NULL);
	CHECK_EQ_INT(c->impressions, 3);
	CHECK_EQ_INT(c->actions, 3);
	CHECK_EQ_INT(c->pos_today, 4);
	CHECK_EQ_INT(c->day, T0 / 86400000LL);
	/* the next day rolls today into yesterday */
	emit(12, EVT_SAVE, 1001, T0 + 86400000LL, 0, 0);
	CHECK_EQ_INT(c->pos_today, 1);
	CHECK_EQ_INT(c->pos_yesterday, 4);
	/* events without a request id count for the category only */
	CHECK_EQ_INT(c->actions, 4);
	/* the user's exposure memory and category counters learned too */
	struct lrn_profile p;
	REQUIRE(prof_read(&g_r, 11, &p) == 0);
	struct lrn_seen_info s = lrn_seen(&p, 1001);
	CHECK_EQ_INT(s.impressions, 3);
	CHECK_EQ_INT(s.views, 1);
	CHECK(s.engaged && s.converted);
	reg_detach(&g_r);
	reg_unlink(inst);
	return check_done("shm serve_stats");
}
