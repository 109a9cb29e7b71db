/* client_loading: while a region loads its snapshot (REG_STARTING) libpenchant says so (-EINPROGRESS) instead of answering from half-loaded tables or calling it a shutdown; pen_wait_ready waits for it, pen_stats_read shows the progress. */
#include <errno.h>
#include <string.h>

#include "penchant.h"
#include "shm/profiles.h"
#include "shmtest.h"

int main(void)
{
	st_init(30);
	const char *inst = st_instance("loading");
	struct reg_geometry g = st_geo(1, 4, 64, 1024, 16, 16);
	struct reg r;
	st_create(&r, inst, &g, REG_STARTING);
	struct lrn_profile lp;
	lrn_profile_init(&lp, evt_user_key(NULL, "u1", 2));
	lp.events = 3;
	REQUIRE(prof_load(&r, &lp) == 0);
	r.hdr->load_total = 10;
	r.hdr->load_done = 4;

	pen_t *p = NULL;
	char err[256];
	REQUIRE(pen_open(inst, &p, err, sizeof(err)) == 0);
	struct pen_profile pp;
	CHECK_EQ_INT(pen_profile_read(p, "u1", 2, &pp, 0), -EINPROGRESS);
	struct pen_event ev = { .user_id = "u1",
		.event_type = "view",
		.entity_id = "e",
		.time_ms = reg_now_wall_ms() };
	CHECK_EQ_INT(pen_publish(p, &ev, PEN_NOWAIT, err, sizeof(err)),
	    -EINPROGRESS);
	CHECK(strstr(pen_strerror(-EINPROGRESS), "loading") != NULL);
	struct pen_stats st;
	REQUIRE(pen_stats_read(p, &st) == 0);
	CHECK(st.loading);
	CHECK_EQ_INT(st.load_done, 4);
	CHECK_EQ_INT(st.load_total, 10);
	CHECK_EQ_INT(pen_wait_ready(p, 50), -ETIMEDOUT);

	__atomic_store_n(&r.hdr->state, (uint32_t)REG_RUNNING,
	    __ATOMIC_RELEASE);
	CHECK_EQ_INT(pen_wait_ready(p, 1000), 0);
	CHECK_EQ_INT(pen_profile_read(p, "u1", 2, &pp, 0), 0);
	CHECK_EQ_INT(pp.events, 3);
	REQUIRE(pen_stats_read(p, &st) == 0);
	CHECK(!st.loading);

	/* Its supervisor killed without a stop (a heartbeat 20 s old):
	 * waiting for room in a full ring ends in -ESHUTDOWN instead of
	 * never; so do the calls that need a live instance. Reads still
	 * answer from what is there. */
	struct reg_proc *sup = reg_proc(&r, 0);
	sup->pid = 1;
	sup->heartbeat_ms = reg_now_mono_ms();
	CHECK_EQ_INT(pen_wait_ready(p, 100), 0);
	sup->heartbeat_ms = reg_now_mono_ms() - 20000;
	CHECK_EQ_INT(pen_wait_ready(p, 100), -ESHUTDOWN);
	CHECK_EQ_INT(pen_segments_refresh(p), -ESHUTDOWN);
	CHECK_EQ_INT(pen_experiments_load(p, "", 0, err, sizeof(err)),
	    -ESHUTDOWN);
	int prc = 0;
	for (int i = 0; i < 200 && prc == 0; i++) /* depth 64: fills */
		prc = pen_publish(p, &ev, 0, err, sizeof(err));
	CHECK_EQ_INT(prc, -ESHUTDOWN);
	CHECK_EQ_INT(pen_profile_read(p, "u1", 2, &pp, 0), 0);
	sup->pid = 0;

	__atomic_store_n(&r.hdr->state, (uint32_t)REG_DRAINING,
	    __ATOMIC_RELEASE);
	CHECK_EQ_INT(pen_wait_ready(p, 1000), -ESHUTDOWN);
	CHECK_EQ_INT(pen_publish(p, &ev, PEN_NOWAIT, err, sizeof(err)),
	    -ESHUTDOWN);
	CHECK_EQ_INT(pen_profile_read(p, "u1", 2, &pp, 0), 0); /* draining */
	/* stopped: the handle outlived its instance, reads say so */
	__atomic_store_n(&r.hdr->state, (uint32_t)REG_STOPPED,
	    __ATOMIC_RELEASE);
	CHECK_EQ_INT(pen_profile_read(p, "u1", 2, &pp, 0), -ESHUTDOWN);
	struct pen_profile_hot hot;
	CHECK_EQ_INT(pen_profile_hot_read(p, "u1", 2, &hot), -ESHUTDOWN);
	pen_close(&p);
	reg_detach(&r);
	reg_unlink(inst);
	return check_done("shm client_loading");
}
