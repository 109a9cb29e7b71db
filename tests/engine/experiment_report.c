/* experiment_report: what cannot be known yet is reported as not available: no split check before any user, no z test while neither arm has a click (or a conversion), while a variant clicked twice per request stays at most one click-through per exposure. */
#include <string.h>

#include "check.h"
#include "engine/experiment.h"

static struct exp_def def(void)
{
	struct exp_def d;
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "r");
	d.n_variants = 2;
	d.segment = -1;
	d.v[0].weight = d.v[1].weight = 1.0f;
	return d;
}

int main(void)
{
	struct exp_def d = def();
	struct exp_counts c[2];
	struct exp_report rp;
	memset(c, 0, sizeof(c));
	/* nothing yet */
	REQUIRE(exp_report(&d, c, NULL, 0.05, &rp) == 0);
	CHECK(!rp.have_srm && !rp.srm_broken);
	CHECK(!rp.v[1].have_z && !rp.v[1].have_z_conv);
	/* exposures and users, no click: the split is checked, the z tests
	 * are not available */
	c[0].users = c[1].users = 50;
	c[0].exposures = c[1].exposures = 100;
	REQUIRE(exp_report(&d, c, NULL, 0.05, &rp) == 0);
	CHECK(rp.have_srm);
	CHECK(!rp.v[1].have_z && !rp.v[1].have_z_conv);
	/* clicks on one arm (no conversion): the CTR test runs, the
	 * conversion one is not available */
	c[1].clicks = 40;
	c[1].clicked = 20;
	REQUIRE(exp_report(&d, c, NULL, 0.05, &rp) == 0);
	CHECK(rp.v[1].have_z && !rp.v[1].have_z_conv);
	CHECK_NEAR(rp.v[1].ctr, 0.2, 1e-12);
	CHECK_NEAR(rp.v[1].z_ctr.diff, 0.2, 1e-12);
	/* all clicked in both arms: nothing to test either */
	c[0].clicked = c[1].clicked = 100;
	REQUIRE(exp_report(&d, c, NULL, 0.05, &rp) == 0);
	CHECK(!rp.v[1].have_z);
	return check_done("experiment_report");
}
