/*
 * learn histograms: weekday x daypart, device and platform counters, their
 * saturation by halving, and out-of-range values ignored.
 */
#include <string.h>

#include "check.h"
#include "engine/learn.h"

#define USER 99u
#define T0 1700000000000LL

static struct lrn_params prm;

static struct evt_record ev(uint8_t wd, uint8_t dp, uint8_t dev, uint8_t plat)
{
	struct evt_record e;

	memset(&e, 0, sizeof e);
	e.user_key = USER;
	e.entity_key = 4;
	e.type = EVT_VIEW;
	e.time_ms = T0;
	e.weekday = wd;
	e.daypart = dp;
	e.device = dev;
	e.platform = plat;
	return e;
}

static unsigned long sum8(const uint8_t *h, unsigned n)
{
	unsigned long s = 0;

	for (unsigned i = 0; i < n; i++)
		s += h[i];
	return s;
}

static unsigned long hours_sum(const struct lrn_profile *p)
{
	unsigned long s = 0;

	for (unsigned d = 0; d < 7; d++)
		s += sum8(p->hours[d], EVT_DP_COUNT);
	return s;
}

int main(void)
{
	struct lrn_profile p, before;
	struct evt_record e;

	lrn_params_default(&prm);

	/* one event lands in its cells */
	lrn_profile_init(&p, USER);
	e = ev(2, EVT_DP_EVENING, EVT_DEV_TABLET, EVT_PLAT_ANDROID);
	lrn_apply(&p, &prm, &e, NULL);
	CHECK_EQ_INT(p.hours[2][EVT_DP_EVENING], 1);
	CHECK_EQ_INT(hours_sum(&p), 1);
	CHECK_EQ_INT(p.devices[EVT_DEV_TABLET], 1);
	CHECK_EQ_INT(sum8(p.devices, EVT_DEV_COUNT), 1);
	CHECK_EQ_INT(p.platforms[EVT_PLAT_ANDROID], 1);
	CHECK_EQ_INT(sum8(p.platforms, EVT_PLAT_COUNT), 1);

	/* 700 events into one cell: 255 fit; the 256th halves to 127 and
	 * adds one (128); every 128 more halve again: 700 = 256 + 3 * 128 + 60,
	 * so 128 + 60 = 188. Counts per verb are 32-bit and exact. */
	lrn_profile_init(&p, USER);
	e = ev(6, EVT_DP_NIGHT, EVT_DEV_MOBILE, EVT_PLAT_IOS);
	for (unsigned i = 0; i < 700; i++)
		lrn_apply(&p, &prm, &e, NULL);
	CHECK_EQ_INT(p.hours[6][EVT_DP_NIGHT], 188);
	CHECK_EQ_INT(p.devices[EVT_DEV_MOBILE], 188);
	CHECK_EQ_INT(p.platforms[EVT_PLAT_IOS], 188);
	CHECK_EQ_INT(p.events, 700);
	CHECK_EQ_INT(p.counts[LRN_N_VIEW], 700);

	/* Halving is of the whole histogram, each histogram on its own. */
	lrn_profile_init(&p, USER);
	p.hours[1][EVT_DP_MORNING] = 250;
	p.hours[0][EVT_DP_NIGHT] = 7;
	p.hours[6][EVT_DP_EVENING] = 1;
	p.hours[3][EVT_DP_AFTERNOON] = 201;
	p.devices[EVT_DEV_DESKTOP] = 254;
	p.devices[EVT_DEV_TV] = 9;
	p.platforms[EVT_PLAT_WEB] = 255;
	p.platforms[EVT_PLAT_LINUX] = 3;
	e = ev(1, EVT_DP_MORNING, EVT_DEV_DESKTOP, EVT_PLAT_WEB);
	for (unsigned i = 0; i < 5; i++) /* hours 255, devices halve once */
		lrn_apply(&p, &prm, &e, NULL);
	/* hours: 250 + 5 = 255, untouched others */
	CHECK_EQ_INT(p.hours[1][EVT_DP_MORNING], 255);
	CHECK_EQ_INT(p.hours[0][EVT_DP_NIGHT], 7);
	/* devices: 254 -> 255 (1st), halve -> 127 + 1 = 128 (2nd), then 3
	 * more: 131; TV 9 -> 4 */
	CHECK_EQ_INT(p.devices[EVT_DEV_DESKTOP], 131);
	CHECK_EQ_INT(p.devices[EVT_DEV_TV], 4);
	/* platforms: halve at once -> 127 + 1, +4 more = 132; linux 3 -> 1 */
	CHECK_EQ_INT(p.platforms[EVT_PLAT_WEB], 132);
	CHECK_EQ_INT(p.platforms[EVT_PLAT_LINUX], 1);
	/* the next one halves hours: 255 -> 127 + 1 = 128, 7 -> 3, 1 -> 0,
	 * 201 -> 100 */
	lrn_apply(&p, &prm, &e, NULL);
	CHECK_EQ_INT(p.hours[1][EVT_DP_MORNING], 128);
	CHECK_EQ_INT(p.hours[0][EVT_DP_NIGHT], 3);
	CHECK_EQ_INT(p.hours[6][EVT_DP_EVENING], 0);
	CHECK_EQ_INT(p.hours[3][EVT_DP_AFTERNOON], 100);
	CHECK_EQ_INT(p.devices[EVT_DEV_DESKTOP], 132);
	CHECK_EQ_INT(p.devices[EVT_DEV_TV], 4);
	CHECK_EQ_INT(p.platforms[EVT_PLAT_WEB], 133);

	/* Out-of-range values are ignored, each on its own. */
	lrn_profile_init(&p, USER);
	static const uint8_t bad[][4] = {
		{ 7, 0, EVT_DEV_COUNT, EVT_PLAT_COUNT },
		{ 0, EVT_DP_COUNT, 255, 255 },
		{ 255, 255, 200, 100 },
	};
	for (unsigned i = 0; i < 3; i++) {
		e = ev(bad[i][0], bad[i][1], bad[i][2], bad[i][3]);
		lrn_apply(&p, &prm, &e, NULL);
	}
	CHECK_EQ_INT(hours_sum(&p), 0);
	CHECK_EQ_INT(sum8(p.devices, EVT_DEV_COUNT), 0);
	CHECK_EQ_INT(sum8(p.platforms, EVT_PLAT_COUNT), 0);
	CHECK_EQ_INT(p.events, 3);
	/* a valid weekday/daypart with a bad device still counts its hour */
	e = ev(4, EVT_DP_AFTERNOON, 77, EVT_PLAT_MACOS);
	lrn_apply(&p, &prm, &e, NULL);
	CHECK_EQ_INT(p.hours[4][EVT_DP_AFTERNOON], 1);
	CHECK_EQ_INT(sum8(p.devices, EVT_DEV_COUNT), 0);
	CHECK_EQ_INT(p.platforms[EVT_PLAT_MACOS], 1);

	/* A record with an unknown type leaves the profile as it was. */
	memcpy(&before, &p, sizeof p);
	e = ev(0, 0, 0, 0);
	e.type = EVT_TYPE_COUNT;
	struct lrn_item it = { .category = 1, .n_tags = 1, .tags = { 5 } };
	lrn_apply(&p, &prm, &e, &it);
	e.type = 255;
	lrn_apply(&p, &prm, &e, &it);
	CHECK(memcmp(&before, &p, sizeof p) == 0);

	return check_done("learn histograms and saturation");
}
