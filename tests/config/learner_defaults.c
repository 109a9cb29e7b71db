/*
 * learner_defaults: the default settings give the learner exactly its own
 * defaults (lrn_params_default), and a changed setting reaches the learner.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "shm/config.h"
#include "workers/supervisor.h"

int main(void)
{
	struct cfg c;
	struct reg_header h;
	struct lrn_params want;
	char err[CFG_ERR_MAX];

	memset(&h, 0, sizeof(h));
	cfg_defaults(&c);
	sup_params(&c, &h);
	lrn_params_default(&want);
	CHECK(memcmp(&h.params, &want, sizeof(want)) == 0);

	REQUIRE(cfg_set(&c, "kl_threshold", "0.8", err, sizeof(err)) == 0);
	REQUIRE(cfg_set(&c, "bounce_s", "2.5", err, sizeof(err)) == 0);
	REQUIRE(cfg_set(&c, "session_gap_s", "600", err, sizeof(err)) == 0);
	sup_params(&c, &h);
	CHECK_NEAR(h.params.kl_threshold, 0.8, 0);
	CHECK_NEAR(h.params.bounce_ms, 2500.0, 0);
	CHECK_EQ_INT(h.params.session_gap_ms, 600000);

	/* Drift must clear below where it is flagged. */
	REQUIRE(cfg_set(&c, "kl_release", "0.9", err, sizeof(err)) == 0);
	CHECK_EQ_INT(cfg_check(&c, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "kl_release") != NULL);
	return check_done("config learner defaults");
}
