/* producer_reject: a refused event (pen_prepare, pen_prepare_json, pen_publish) claims no producer slot; its count moves into the slot the handle's first accepted publish claims (or one taken for the moment of pen_close), and the handle's own reads include it before that. */
#include <string.h>

#include "ipc/client.h"
#include "shm/ring.h"
#include "shmtest.h"

#define SLOTS 2

static int32_t owner(const struct reg *r, unsigned s)
{
	return ck_pr_load_int(&reg_producer(r, s)->owner);
}

static uint64_t slot_rejected(const struct reg *r)
{
	uint64_t n = 0;
	for (unsigned s = 0; s < SLOTS; s++)
		n += reg_producer(r, s)->rejected;
	return n;
}

static uint64_t counter(pen_t *p, const char *name)
{
	struct pen_counter c[REG_C_COUNT];
	int n = pen_counters_read(p, c, REG_C_COUNT);
	for (int i = 0; i < n; i++)
		if (!strcmp(c[i].name, name))
			return c[i].value;
	REQUIRE(!"counter not found");
	return 0;
}

int main(void)
{
	st_init(20);
	const char *inst = st_instance("reject");
	struct reg_geometry g = st_geo(1, SLOTS, 8, 16, 8, 8);
	struct reg r;
	char err[256] = "";
	st_create(&r, inst, &g, REG_RUNNING);
	const int64_t now = reg_now_wall_ms();

	pen_t *v = NULL;
	REQUIRE(pen_open(inst, &v, err, sizeof(err)) == 0);
	struct pen_event bad = { .user_id = "u1",
		.event_type = "no-such-verb",
		.entity_id = "e1",
		.time_ms = now,
		.scroll_depth = -1 };
	struct pen_event good = bad;
	good.event_type = "click";
	struct pen_prepared rec;
	CHECK_EQ_INT(pen_prepare(v, &bad, &rec, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "bad_type") != NULL);
	CHECK_EQ_INT(pen_publish(v, &bad, 0, err, sizeof(err)), -EINVAL);
	const char *json = "{\"user_id\":\"u1\",\"event_type\":\"click\"}";
	CHECK_EQ_INT(pen_prepare_json(v, json, strlen(json), &rec, err,
			 sizeof(err)),
	    -EINVAL);
	/* No slot claimed by any of them. */
	for (unsigned s = 0; s < SLOTS; s++)
		CHECK_EQ_INT(owner(&r, s), 0);
	CHECK_EQ_INT(slot_rejected(&r), 0);
	/* The handle's own reads count them. */
	struct pen_stats st;
	REQUIRE(pen_stats_read(v, &st) == 0);
	CHECK_EQ_INT(st.rejected, 3);
	CHECK_EQ_INT(counter(v, "rejected_bad_type"), 2);

	/* Every slot is still there for producers. */
	pen_t *a = NULL, *b = NULL;
	REQUIRE(pen_open(inst, &a, err, sizeof(err)) == 0);
	REQUIRE(pen_open(inst, &b, err, sizeof(err)) == 0);
	CHECK_EQ_INT(pen_publish(a, &good, 0, err, sizeof(err)), 0);
	CHECK_EQ_INT(pen_publish(b, &good, 0, err, sizeof(err)), 0);
	CHECK(owner(&r, 0) > 0 && owner(&r, 1) > 0);
	CHECK_EQ_INT(pen_publish(v, &good, 0, err, sizeof(err)), -ENOSPC);
	/* A rejection of a handle with a slot goes to its slot. */
	CHECK_EQ_INT(pen_publish(a, &bad, 0, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(slot_rejected(&r), 1);
	pen_close(&b);

	/* The first publish that claims a slot brings the held counts. */
	CHECK_EQ_INT(pen_publish(v, &good, 0, err, sizeof(err)), 0);
	CHECK(owner(&r, 1) > 0);
	const struct reg_producer *pr = reg_producer(&r, 1);
	CHECK_EQ_INT(pr->rejected, 3);
	CHECK_EQ_INT(pr->rejected_by[EVT_R_BAD_TYPE], 2);
	CHECK_EQ_INT(slot_rejected(&r), 4);
	/* Counted once: the handle no longer adds its own. */
	REQUIRE(pen_stats_read(v, &st) == 0);
	CHECK_EQ_INT(st.rejected, 4);
	CHECK_EQ_INT(counter(v, "rejected_bad_type"), 3);

	pen_close(&a);
	pen_close(&v);

	/* A handle that never publishes: its rejections go into a slot for
	 * the moment of pen_close, which leaves the slot free. */
	pen_t *w = NULL;
	REQUIRE(pen_open(inst, &w, err, sizeof(err)) == 0);
	CHECK_EQ_INT(pen_prepare(w, &bad, &rec, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(owner(&r, 0), 0);
	CHECK_EQ_INT(owner(&r, 1), 0);
	pen_close(&w);
	CHECK_EQ_INT(owner(&r, 0), 0);
	CHECK_EQ_INT(owner(&r, 1), 0);
	CHECK_EQ_INT(slot_rejected(&r), 5);
	reg_detach(&r);
	reg_unlink(inst);
	return check_done("producer_reject");
}
