/*
 * learn behavior: sessions by a 30-minute gap and by explicit session keys,
 * events per session, session length, peak and weekend mix, funnel rates,
 * and the engagement levels at their thresholds.
 */
#include <string.h>

#include "check.h"
#include "engine/learn.h"

#define USER 0xbe4u
#define T0 1704067200000LL /* 2024-01-01T00:00:00Z, a Monday */
#define MIN 60000LL
#define DAY 86400000LL

static struct evt_record ev(uint8_t type, int64_t t)
{
	struct evt_record e;

	memset(&e, 0, sizeof e);
	e.user_key = USER;
	e.entity_key = 5;
	e.type = type;
	e.time_ms = t;
	e.scroll_depth = -1.0f;
	return e;
}

static void put(struct lrn_profile *p, const struct lrn_params *prm,
    uint8_t type, int64_t t, uint64_t session)
{
	struct evt_record e = ev(type, t);

	e.session_key = session;
	lrn_apply(p, prm, &e, NULL);
}

int main(void)
{
	struct lrn_params prm;
	struct lrn_profile p;
	struct lrn_behavior b;

	lrn_params_default(&prm);

	/* Gap rule: 0, 10 min, 45 min (35 > 30: new), 50 min. Sessions 2,
	 * completed 600 s + current 300 s -> mean 450 s; 4 / 2 events each.
	 * A late event (5 min) joins without changing anything. */
	lrn_profile_init(&p, USER);
	put(&p, &prm, EVT_VIEW, T0, 0);
	put(&p, &prm, EVT_VIEW, T0 + 10 * MIN, 0);
	put(&p, &prm, EVT_CLICK, T0 + 45 * MIN, 0);
	put(&p, &prm, EVT_VIEW, T0 + 50 * MIN, 0);
	lrn_behavior(&p, &prm, T0 + DAY, &b);
	CHECK_EQ_INT(b.sessions, 2);
	CHECK_NEAR(b.events_per_session, 2.0, 0.0);
	CHECK_NEAR(b.mean_session_s, 450.0, 0.0);
	put(&p, &prm, EVT_VIEW, T0 + 5 * MIN, 0);
	lrn_behavior(&p, &prm, T0 + DAY, &b);
	CHECK_EQ_INT(b.sessions, 2);
	CHECK_NEAR(b.mean_session_s, 450.0, 0.0);
	/* exactly 30 minutes is still the same session */
	put(&p, &prm, EVT_VIEW, T0 + 80 * MIN, 0);
	CHECK_EQ_INT(p.sessions, 2);

	/* Explicit keys win over the gap: same key 2 h apart is one session,
	 * a new key a minute later is another, losing the key is a third. */
	lrn_profile_init(&p, USER);
	put(&p, &prm, EVT_VIEW, T0, 0xA);
	put(&p, &prm, EVT_VIEW, T0 + 120 * MIN, 0xA);
	CHECK_EQ_INT(p.sessions, 1);
	put(&p, &prm, EVT_VIEW, T0 + 121 * MIN, 0xB);
	CHECK_EQ_INT(p.sessions, 2);
	put(&p, &prm, EVT_VIEW, T0 + 122 * MIN, 0);
	CHECK_EQ_INT(p.sessions, 3);
	lrn_behavior(&p, &prm, T0 + DAY, &b);
	/* completed: 7200 s and 0 s; current 0 s -> 2400 s */
	CHECK_NEAR(b.mean_session_s, 2400.0, 0.0);

	/* Funnel, peak, weekend: 10 views (Mon morning), 3 clicks (Sat
	 * evening), 1 save + 1 rsvp (Sun evening). */
	lrn_profile_init(&p, USER);
	for (int i = 0; i < 10; i++) {
		struct evt_record e = ev(EVT_VIEW, T0 + i * MIN);
		e.weekday = 0;
		e.daypart = EVT_DP_MORNING;
		lrn_apply(&p, &prm, &e, NULL);
	}
	for (int i = 0; i < 5; i++) {
		struct evt_record e = ev(i < 3 ? EVT_CLICK
			: i == 3	       ? EVT_SAVE
					       : EVT_RSVP,
		    T0 + (20 + i) * MIN);
		e.weekday = i < 3 ? 5 : 6;
		e.daypart = EVT_DP_EVENING;
		lrn_apply(&p, &prm, &e, NULL);
	}
	lrn_behavior(&p, &prm, T0 + DAY, &b);
	CHECK_NEAR(b.click_per_view, 0.3, 1e-15);
	CHECK_NEAR(b.act_per_click, 2.0 / 3.0, 1e-15);
	CHECK_EQ_INT(b.peak_weekday, 0);
	CHECK_EQ_INT(b.peak_daypart, EVT_DP_MORNING);
	CHECK_NEAR(b.weekend_share, 5.0 / 15.0, 1e-15);
	CHECK_EQ_INT(b.sessions, 1);

	/* Engagement. 30 events from T0 to T0 + 28 d. */
	lrn_profile_init(&p, USER);
	for (int i = 0; i < 30; i++)
		put(&p, &prm, EVT_VIEW, T0 + (int64_t)i * 28 * DAY / 29, 0);
	CHECK_EQ_INT(p.last_ms, T0 + 28 * DAY);
	lrn_behavior(&p, &prm, T0 + 28 * DAY, &b);
	/* since first 28 d > 14: not new; 30 >= 3 * 4 weeks; last 0 d ago */
	CHECK_EQ_INT(b.engagement, LRN_ENG_ACTIVE);
	lrn_behavior(&p, &prm, T0 + 35 * DAY, &b); /* last 7 d ago: active */
	CHECK_EQ_INT(b.engagement, LRN_ENG_ACTIVE);
	lrn_behavior(&p, &prm, T0 + 36 * DAY, &b); /* 8 d: casual */
	CHECK_EQ_INT(b.engagement, LRN_ENG_CASUAL);
	lrn_behavior(&p, &prm, T0 + 58 * DAY, &b); /* 30 d: still casual */
	CHECK_EQ_INT(b.engagement, LRN_ENG_CASUAL);
	lrn_behavior(&p, &prm, T0 + 59 * DAY, &b); /* 31 d: dormant */
	CHECK_EQ_INT(b.engagement, LRN_ENG_DORMANT);
	CHECK(strcmp(lrn_engagement_name(b.engagement), "dormant") == 0);
	/* New: first event at most 14 days ago, whatever the count. */
	lrn_profile_init(&p, USER);
	put(&p, &prm, EVT_VIEW, T0, 0);
	lrn_behavior(&p, &prm, T0 + 14 * DAY, &b);
	CHECK_EQ_INT(b.engagement, LRN_ENG_NEW);
	lrn_behavior(&p, &prm, T0 + 15 * DAY, &b);
	CHECK_EQ_INT(b.engagement, LRN_ENG_CASUAL);
	/* Rate below 3 a week with a recent event: casual. 5 events over 28
	 * days: 5 < 3 * 4. */
	lrn_profile_init(&p, USER);
	for (int i = 0; i < 5; i++)
		put(&p, &prm, EVT_VIEW, T0 + (int64_t)i * 7 * DAY, 0);
	lrn_behavior(&p, &prm, T0 + 28 * DAY, &b);
	CHECK_EQ_INT(b.engagement, LRN_ENG_CASUAL);
	lrn_profile_init(&p, USER);
	lrn_behavior(&p, &prm, T0, &b);
	CHECK_EQ_INT(b.engagement, LRN_ENG_DORMANT);

	return check_done("learn sessions, funnel, engagement");
}
