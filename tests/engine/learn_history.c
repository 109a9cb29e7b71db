/*
 * learn history: one entry per ISO week with the top tag and its share,
 * empty weeks stay empty, twelve weeks at most; seasons and per-category
 * dayparts count.
 */
#include <string.h>

#include "check.h"
#include "engine/learn.h"

#define USER 0x415u
#define T0 1704067200000LL /* 2024-01-01T00:00:00Z, Monday of ISO 2024-W01 */
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

int main(void)
{
	struct lrn_params prm;
	struct lrn_profile p;
	struct lrn_hist_entry h[LRN_HIST];
	struct lrn_item a = { .category = 1, .n_tags = 1, .tags = { 11 } };
	struct lrn_item b = { .category = 2, .n_tags = 1, .tags = { 22 } };
	struct evt_record e;

	lrn_params_default(&prm);
	lrn_profile_init(&p, USER);
	CHECK_EQ_INT(lrn_history(&p, h), 0);

	e = ev(EVT_RSVP, T0 + 12 * 3600000LL); /* W01, winter, afternoon */
	e.daypart = EVT_DP_AFTERNOON;
	lrn_apply(&p, &prm, &e, &a);
	/* W02: three rsvps of tag 22 (0.3) against 0.1 * 0.95^6.5 =
	 * 0.07164789482 (W01's rsvp was at noon) -> share 0.3 / 0.37164789482
	 * = 0.80721566, stored as round(205.84) = 206 -> 206/255 */
	e = ev(EVT_RSVP, T0 + 7 * DAY);
	e.daypart = EVT_DP_EVENING;
	for (int i = 0; i < 3; i++)
		lrn_apply(&p, &prm, &e, &b);
	/* W04 (W03 skipped): a view of tag 11 keeps 22 on top */
	e = ev(EVT_VIEW, T0 + 21 * DAY);
	lrn_apply(&p, &prm, &e, &a);
	/* a late event of W01 does not rewrite the past */
	e = ev(EVT_SAVE, T0);
	lrn_apply(&p, &prm, &e, &a);

	unsigned n = lrn_history(&p, h);
	REQUIRE(n == 3);
	CHECK_EQ_INT(h[0].iso_year, 2024);
	CHECK_EQ_INT(h[0].iso_week, 4);
	CHECK_EQ_INT(h[0].tag, 22);
	CHECK_EQ_INT(h[1].iso_week, 2);
	CHECK_EQ_INT(h[1].tag, 22);
	CHECK_NEAR(h[1].share, 206.0 / 255.0, 1e-12);
	CHECK_EQ_INT(h[2].iso_week, 1);
	CHECK_EQ_INT(h[2].tag, 11);
	CHECK_NEAR(h[2].share, 1.0, 1e-12);
	CHECK_EQ_INT(h[0].week - h[2].week, 3);

	/* ISO years: 2020-12-31 (Thursday) is 2020-W53, 2021-01-03 (Sunday)
	 * too, 2021-01-04 is 2021-W01. */
	{
		static const struct {
			int64_t day;
			int y;
			unsigned w;
		} c[] = {
			{ 18627, 2020, 53 }, /* 2020-12-31 */
			{ 18630, 2020, 53 }, /* 2021-01-03 */
			{ 18631, 2021, 1 },  /* 2021-01-04 */
		};
		for (unsigned i = 0; i < 3; i++) {
			lrn_profile_init(&p, USER);
			e = ev(EVT_VIEW, c[i].day * DAY + 3600000LL);
			lrn_apply(&p, &prm, &e, &a);
			REQUIRE(lrn_history(&p, h) == 1);
			CHECK_EQ_INT(h[0].iso_year, c[i].y);
			CHECK_EQ_INT(h[0].iso_week, c[i].w);
		}
	}

	/* Bounded: 20 weekly events keep the last 12 weeks. */
	lrn_profile_init(&p, USER);
	for (int wk = 0; wk < 20; wk++) {
		e = ev(EVT_VIEW, T0 + wk * 7 * DAY);
		lrn_apply(&p, &prm, &e, wk < 10 ? &a : &b);
	}
	n = lrn_history(&p, h);
	CHECK_EQ_INT(n, LRN_HIST);
	CHECK_EQ_INT(h[0].iso_week, 20);
	CHECK_EQ_INT(h[LRN_HIST - 1].iso_week, 9);
	/* interest evolution: tag 11 on top through week 10, then 22 takes
	 * over (0.01 new vs 11's decayed sum) */
	CHECK_EQ_INT(h[LRN_HIST - 1].tag, 11);
	CHECK_EQ_INT(h[0].tag, 22);

	/* The open week is read from the tags (nothing is stored for it
	 * until a later week closes it), so its entry is as of the last
	 * applied event, a late one too: a view of 11 on Wednesday, then
	 * three late saves of 22 on Tuesday put 22 on top of W01; W02's
	 * first event closes W01 with it. */
	lrn_profile_init(&p, USER);
	e = ev(EVT_VIEW, T0 + 2 * DAY);
	lrn_apply(&p, &prm, &e, &a);
	e = ev(EVT_SAVE, T0 + DAY);
	for (int i = 0; i < 3; i++)
		lrn_apply(&p, &prm, &e, &b);
	CHECK_EQ_INT(p.hist_tag[0], 0); /* open: not stored */
	REQUIRE(lrn_history(&p, h) == 1);
	CHECK_EQ_INT(h[0].iso_week, 1);
	CHECK_EQ_INT(h[0].tag, 22);
	e = ev(EVT_VIEW, T0 + 8 * DAY);
	lrn_apply(&p, &prm, &e, &a);
	CHECK_EQ_INT(p.hist_tag[1], 22); /* W01 closed */
	CHECK_EQ_INT(p.hist_tag[0], 0);
	REQUIRE(lrn_history(&p, h) == 2);
	CHECK_EQ_INT(h[0].iso_week, 2);
	CHECK_EQ_INT(h[0].tag, 22);
	CHECK_EQ_INT(h[1].iso_week, 1);
	CHECK_EQ_INT(h[1].tag, 22);

	/* Weeks are looked for once an hour of event time: at +05:30 local
	 * midnight is half past a UTC hour, so an event of Monday 00:10
	 * local in the UTC hour of Sunday 23:50's still counts in W01, and
	 * the first event of the next UTC hour closes W01. */
	{
		const int64_t hr = 3600000LL, m = 60000LL;
		lrn_profile_init(&p, USER);
		e = ev(EVT_VIEW, T0 + 6 * DAY + 18 * hr + 20 * m);
		e.tz_offset_min = 330; /* Sunday 23:50 local, W01 */
		lrn_apply(&p, &prm, &e, &a);
		int16_t w01 = p.hist_week;
		e.time_ms = T0 + 6 * DAY + 18 * hr + 40 * m; /* Monday 00:10 */
		lrn_apply(&p, &prm, &e, &b);
		CHECK_EQ_INT(p.hist_week, w01);
		CHECK_EQ_INT(p.hist_tag[1], 0);
		e.time_ms = T0 + 6 * DAY + 19 * hr + 5 * m; /* the next hour */
		lrn_apply(&p, &prm, &e, &b);
		CHECK_EQ_INT(p.hist_week, w01 + 1);
		CHECK(p.hist_tag[1] == 11 || p.hist_tag[1] == 22);
		REQUIRE(lrn_history(&p, h) == 2);
		CHECK_EQ_INT(h[1].iso_week, 1);
		CHECK_EQ_INT(h[0].iso_week, 2);
	}

	/* Seasons (meteorological) and per-category dayparts. */
	lrn_profile_init(&p, USER);
	e = ev(EVT_VIEW, T0); /* January: winter */
	e.daypart = EVT_DP_NIGHT;
	lrn_apply(&p, &prm, &e, &a);
	e = ev(EVT_VIEW, 1719792000000LL); /* 2024-07-01: summer */
	e.daypart = EVT_DP_EVENING;
	lrn_apply(&p, &prm, &e, &a);
	lrn_apply(&p, &prm, &e, &b);
	e = ev(EVT_VIEW, 1727740800000LL); /* 2024-10-01: autumn */
	e.tz_offset_min = -120; /* local 2024-09-30 22:00: still autumn */
	lrn_apply(&p, &prm, &e, NULL);
	CHECK_EQ_INT(p.seasons[LRN_WINTER], 1);
	CHECK_EQ_INT(p.seasons[LRN_SUMMER], 2);
	CHECK_EQ_INT(p.seasons[LRN_AUTUMN], 1);
	CHECK_EQ_INT(p.seasons[LRN_SPRING], 0);
	CHECK_EQ_INT(p.cats[0].id, 1);
	CHECK_EQ_INT(p.cat_dp[0][EVT_DP_NIGHT], 1);
	CHECK_EQ_INT(p.cat_dp[0][EVT_DP_EVENING], 1);
	CHECK_EQ_INT(p.cat_dp[1][EVT_DP_EVENING], 1);

	/* 8-bit counters halve their row when full: 300 views, 256th halves
	 * 255 -> 127, then +1 ... 300 - 255 = 45 more -> 127 + 45 = 172. */
	lrn_profile_init(&p, USER);
	e = ev(EVT_VIEW, T0);
	e.daypart = EVT_DP_MORNING;
	for (int i = 0; i < 300; i++)
		lrn_apply(&p, &prm, &e, &a);
	CHECK_EQ_INT(p.cat_dp[0][EVT_DP_MORNING], 172);
	CHECK_EQ_INT(p.seasons[LRN_WINTER], 172);

	return check_done("learn weekly history, seasons, category dayparts");
}
