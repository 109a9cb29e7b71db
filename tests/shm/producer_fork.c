/* producer_fork: a forked child's calls on its parent's handle are refused (-ECHILD) and its pen_close leaves the parent's producer slot alone; a ring whose indices no producer could have left (two processes through one slot) is emptied by its worker in one step and counted, not walked for 2^32 records; pen_flush waits for a stop in progress and not for a stopped instance. */
#include <string.h>

#include "ipc/client.h"
#include "shm/ring.h"
#include "shm/shard.h"
#include "shmtest.h"

#define SLOTS 3 /* slot 0 is the acceptor's */
#define DEPTH 8

static struct reg g_r;
static pen_t *g_h, *g_idle; /* g_idle never published: no slot yet */

static struct evt_record rec(uint64_t i)
{
	struct evt_record e;
	memset(&e, 0, sizeof(e));
	e.user_key = 0x10000000000 + i;
	e.entity_key = i + 1;
	e.time_ms = 1700000000000LL + (int64_t)i;
	e.type = EVT_CLICK;
	return e;
}

static int32_t owner(unsigned s)
{
	return ck_pr_load_int(&reg_producer(&g_r, s)->owner);
}

/* The child: every call on the parent's handle is refused, nothing is
 * staged, and closing it leaves the slot to the parent. */
static int child(void *arg)
{
	(void)arg;
	int bad = 0;
	struct evt_record e = rec(7);
	size_t done = 99;
	struct pen_profile prof;
	uint64_t before = ring_backlog(reg_ring(&g_r, 1, 0));
	bad += client_publish_records(g_h, &e, 1, 0, &done) != -ECHILD;
	bad += done != 0;
	bad += pen_commit(g_h) != -ECHILD;
	bad += pen_flush(g_h, 10) != -ECHILD;
	bad += pen_profile_read(g_h, "u", 1, &prof, 0) != -ECHILD;
	bad += ring_backlog(reg_ring(&g_r, 1, 0)) != before;
	pen_close(&g_h);
	bad += owner(1) != (int32_t)getppid();
	/* a handle with no slot yet claims none in the child */
	bad += client_publish_records(g_idle, &e, 1, 0, &done) != -ECHILD;
	bad += owner(2) != 0;
	if (bad)
		fprintf(stderr, "child: %d checks failed\n", bad);
	return bad ? 1 : 0;
}

int main(void)
{
	st_init(30);
	const char *inst = st_instance("fork");
	struct reg_geometry g = st_geo(1, SLOTS, DEPTH, 16, 8, 8);
	g.acceptor_slots = 1;
	char err[256] = "";
	size_t done = 0;
	st_create(&g_r, inst, &g, REG_RUNNING);
	REQUIRE(pen_open(inst, &g_h, err, sizeof(err)) == 0);
	REQUIRE(pen_open(inst, &g_idle, err, sizeof(err)) == 0);
	/* Records no producer makes (written into a ring by other means):
	 * a time out of the instance's bounds, a control of no kind; each
	 * quarantined before it makes a profile. */
	{
		struct evt_record odd[2] = { rec(3), rec(4) };
		odd[0].time_ms = INT64_MIN;
		odd[1].control = 9;
		odd[1].time_ms = INT64_MIN;
		const uint64_t *wc =
		    reg_proc(&g_r, reg_proc_worker(&g_r, 0))->counters;
		uint64_t q = wc[REG_C_QUARANTINED];
		CHECK_EQ_INT(client_publish_records(g_h, odd, 2, 0, &done), 0);
		CHECK_EQ_INT(shard_poll(&g_r, 0, 64), 2);
		CHECK_EQ_INT(wc[REG_C_QUARANTINED], q + 2);
		CHECK_EQ_INT(reg_shard(&g_r, 0)->count, 0);
	}

	struct evt_record e = rec(0);
	CHECK_EQ_INT(client_publish_records(g_h, &e, 1, 0, &done), 0);
	CHECK_EQ_INT(owner(1), getpid());
	CHECK(strstr(pen_strerror(-ECHILD), "fork") != NULL);

	CHECK(st_wait_ok(st_fork(child, NULL), "child"));
	/* The parent's handle and slot are as they were. */
	CHECK_EQ_INT(owner(1), getpid());
	e = rec(1);
	CHECK_EQ_INT(client_publish_records(g_h, &e, 1, 0, &done), 0);
	struct ring_block *b = reg_ring(&g_r, 1, 0);
	CHECK_EQ_INT(ring_backlog(b), 2);

	/* A tail behind the head (what two producers on one slot leave):
	 * the worker empties the ring at once and counts it. */
	ring_release(b, 2);
	ck_pr_store_uint(&b->ring.p_tail, b->ring.c_head - 5);
	const uint64_t *c = reg_proc(&g_r, reg_proc_worker(&g_r, 0))->counters;
	CHECK_EQ_INT(shard_poll(&g_r, 0, 64), 0);
	CHECK_EQ_INT(c[REG_C_RINGS_RESET], 1);
	CHECK_EQ_INT(ring_ready(b), 0);
	CHECK_EQ_INT(c[REG_C_APPLIED], 0);
	/* The same met by a worker's recovery at its start, whose skip of
	 * applied records would walk every stale one below applied_seq. */
	uint64_t applied = b->applied_seq;
	ck_pr_store_64(&b->applied_seq, UINT64_MAX);
	ck_pr_store_uint(&b->ring.p_tail, b->ring.c_head - 3);
	CHECK_EQ_INT(shard_recover(&g_r, 0), 0);
	CHECK_EQ_INT(c[REG_C_RINGS_RESET], 2);
	CHECK_EQ_INT(ring_ready(b), 0);
	ck_pr_store_64(&b->applied_seq, applied);

	/* pen_flush of records nothing will apply: a stop in progress is
	 * waited for (its drain applies them), a stopped instance is said
	 * at once, not after the whole timeout. */
	e = rec(2);
	CHECK_EQ_INT(client_publish_records(g_h, &e, 1, 0, &done), 0);
	ck_pr_store_uint(&g_r.hdr->state, REG_DRAINING);
	int64_t t0 = st_mono_ns();
	CHECK_EQ_INT(pen_flush(g_h, 300), -ETIMEDOUT);
	CHECK(st_mono_ns() - t0 >= 300000000LL);
	ck_pr_store_uint(&g_r.hdr->state, REG_STOPPED);
	t0 = st_mono_ns();
	CHECK_EQ_INT(pen_flush(g_h, 30000), -ESHUTDOWN);
	CHECK(st_mono_ns() - t0 < 10000000000LL);
	ck_pr_store_uint(&g_r.hdr->state, REG_RUNNING);

	pen_close(&g_h);
	pen_close(&g_idle);
	CHECK_EQ_INT(owner(1), 0);
	reg_detach(&g_r);
	reg_unlink(inst);
	return check_done("producer_fork");
}
