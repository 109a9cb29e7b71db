/* features_policy: a user's features from a hand-built profile (exact values), and the segment policy: strategies and their parameters, names, and the operator overrides' parser with its errors. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "engine/features.h"
#include "engine/rank.h"
#include "engine/segpolicy.h"

#define T0 1767225600000LL
#define DAY 86400000LL

int main(void)
{
	struct lrn_params prm;
	struct lrn_profile p;
	float f[FEAT_COUNT];
	lrn_params_default(&prm);
	lrn_profile_init(&p, 9);
	feat_extract(&p, &prm, T0, f);
	for (unsigned i = 0; i < FEAT_COUNT; i++)
		CHECK(f[i] == 0.0f);

	/* 20 events over 10 days: 4 shares, 2 feedbacks, 10 views, 4 clicks
	 * (1 save); two categories of equal weight; evenings and mornings */
	p.events = 20;
	p.first_ms = T0;
	p.last_ms = T0 + 10 * DAY;
	p.counts[LRN_N_SHARE] = 4;
	p.counts[LRN_N_FEEDBACK_POS] = 2;
	p.counts[LRN_N_VIEW] = 10;
	p.counts[LRN_N_CLICK] = 4;
	p.counts[LRN_N_SAVE] = 1;
	p.cats[0] = (struct lrn_weight){ .id = 1, .w = 0.5f, .mass = 0.5f };
	p.cats[1] = (struct lrn_weight){ .id = 2, .w = 0.5f, .mass = 0.5f };
	p.tags[0] = (struct lrn_weight){ .id = 7, .w = 0.3f, .mass = 0.3f };
	p.hours[0][EVT_DP_EVENING] = 15;
	p.hours[1][EVT_DP_MORNING] = 5;
	p.geo_cell[0] = 11;
	p.geo_n[0] = 3;
	p.geo_cell[1] = 12;
	p.geo_n[1] = 1;
	feat_extract(&p, &prm, T0 + 10 * DAY, f);
	CHECK_NEAR(f[FEAT_ACTIVITY], log1p(2.0), 1e-6);
	CHECK_NEAR(f[FEAT_DIVERSITY], log(2.0) / log(6.0), 1e-6);
	CHECK_NEAR(f[FEAT_SOCIAL], 0.2, 1e-6);
	CHECK_NEAR(f[FEAT_EXPLORATION], 0.1, 1e-6);
	CHECK_NEAR(f[FEAT_INTERESTS], 3.0 / 18.0, 1e-6);
	CHECK_NEAR(f[FEAT_STABILITY], 1.0, 1e-6);
	CHECK_NEAR(f[FEAT_FEEDBACK], 0.1, 1e-6);
	CHECK_NEAR(f[FEAT_EVENING], 0.75, 1e-6);
	CHECK_NEAR(f[FEAT_MORNING], 0.25, 1e-6);
	CHECK_NEAR(f[FEAT_CLICK_RATE], 0.4, 1e-6);
	CHECK_NEAR(f[FEAT_ACT_RATE], 0.25, 1e-6);
	CHECK_NEAR(f[FEAT_LOCALITY], 0.75, 1e-6);
	/* Times a forged record can hold: no overflow (UBSan), finite. */
	{
		struct lrn_profile q = p;
		q.first_ms = INT64_MIN;
		q.last_ms = INT64_MAX;
		feat_extract(&q, &prm, T0, f);
		for (unsigned i = 0; i < FEAT_COUNT; i++)
			CHECK(isfinite(f[i]));
	}
	CHECK(strcmp(feat_name(FEAT_LOCALITY), "locality") == 0);
	CHECK(feat_name(FEAT_COUNT) == NULL);

	/* strategies by traits, names */
	float z[FEAT_COUNT] = { 0 };
	CHECK_EQ_INT(sp_strategy_of(z), SP_INTEREST_FOCUSED);
	z[FEAT_SOCIAL] = 1.5f;
	CHECK_EQ_INT(sp_strategy_of(z), SP_SOCIAL_DRIVEN);
	z[FEAT_LOCALITY] = 2.0f;
	CHECK_EQ_INT(sp_strategy_of(z), SP_LOCATION_CENTRIC);
	z[FEAT_DIVERSITY] = 3.0f;
	CHECK_EQ_INT(sp_strategy_of(z), SP_EXPLORATION_HEAVY);
	char name[64];
	memset(z, 0, sizeof(z));
	z[FEAT_EVENING] = 1.2f;
	z[FEAT_SOCIAL] = 2.0f;
	z[FEAT_ACTIVITY] = -1.0f;
	sp_name(z, SP_SOCIAL_DRIVEN, name, sizeof(name));
	CHECK(strcmp(name, "evening occasional socialisers") == 0);
	struct sp_params pp = sp_params_of(SP_EXPLORATION_HEAVY);
	CHECK_NEAR(pp.epsilon, 0.15, 1e-6);
	CHECK(strcmp(sp_strategy_name(SP_LOCATION_CENTRIC),
		  "location_centric") == 0);
	CHECK_EQ_INT(sp_strategy_parse("social_driven", 13), SP_SOCIAL_DRIVEN);
	CHECK_EQ_INT(sp_strategy_parse("social", 6), -1);

	/* overrides */
	struct sp_override ov[4];
	char err[256];
	CHECK_EQ_INT(
	    sp_overrides_parse(
		"3:name=Night owls;strategy=exploration_heavy;epsilon=0.2, 5:mmr_lambda=0.5",
		ov, 4, err, sizeof(err)),
	    2);
	CHECK_EQ_INT(ov[0].id, 3);
	CHECK(strcmp(ov[0].name, "Night owls") == 0);
	CHECK_EQ_INT(ov[0].strategy, SP_EXPLORATION_HEAVY);
	CHECK_NEAR(ov[0].epsilon, 0.2, 1e-6);
	CHECK(ov[0].mmr_lambda < 0);
	CHECK_EQ_INT(ov[0].diversifier, -1);
	CHECK(ov[0].dpp_theta < 0);
	CHECK_EQ_INT(ov[1].id, 5);
	CHECK_NEAR(ov[1].mmr_lambda, 0.5, 1e-6);
	CHECK_EQ_INT(sp_overrides_parse("4:diversifier=DPP;dpp_theta=0.7,"
					"6:diversifier=mmr;dpp_theta=0",
			 ov, 4, err, sizeof(err)),
	    2);
	CHECK_EQ_INT(ov[0].diversifier, RANK_DIV_DPP);
	CHECK_NEAR(ov[0].dpp_theta, 0.7, 1e-6);
	CHECK_EQ_INT(ov[1].diversifier, RANK_DIV_MMR);
	CHECK_NEAR(ov[1].dpp_theta, 0.0, 1e-9);
	CHECK_EQ_INT(sp_overrides_parse("", ov, 4, err, sizeof(err)), 0);
	static const char *const bad[] = { "x:name=a", "3", "0:name=a",
		"3:colour=red", "3:strategy=chaotic", "3:epsilon=9",
		"3:epsilon=nan", "3:name=", "3:justaword", "3:epsilon=1.5",
		"3:mmr_lambda=4.5", "3:epsilon=", "3:context_weight=6",
		"3:name=a,3:name=b", "3:name=a\xff\xfe", "3:name=caf\xc3",
		"3:diversifier=", "3:diversifier=greedy", "3:diversifier=mmr2",
		"3:dpp_theta=1.01", "3:dpp_theta=-0.1", "3:dpp_theta=x",
		"3:dpp_theta=inf", "3:", "3:;", "3:name=x;name=y",
		"3:epsilon=0.1;epsilon=0.2", "3:epsilon= 0.1", "3:epsilon=+0.1",
		"3:epsilon=0x1p-2" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CHECK_EQ_INT(sp_overrides_parse(bad[i], NULL, 0, err,
				 sizeof(err)),
		    -EINVAL);
		CHECK(err[0] != 0);
	}
	return check_done("features and segment policy");
}
