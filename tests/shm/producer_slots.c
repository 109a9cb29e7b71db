/* producer_slots: pen_open handles claim distinct producer slots on first publish and pen_close releases them; PEN_NOWAIT on a full ring gives -EAGAIN with *done; DRAINING gives -ESHUTDOWN. */
#include <string.h>

#include "ipc/client.h"
#include "shm/ring.h"
#include "shmtest.h"

#define SLOTS 4 /* slot 0 is the acceptor's */
#define DEPTH 8 /* 7 usable */

static struct evt_record rec(uint64_t i)
{
	struct evt_record e;
	memset(&e, 0, sizeof(e));
	e.user_key = 0x10000000000 + i; /* high bits 0: shard 0 */
	e.entity_key = i + 1;
	e.time_ms = 1700000000000LL + (int64_t)i;
	e.type = EVT_CLICK;
	return e;
}

static int32_t owner(const struct reg *r, unsigned s)
{
	return ck_pr_load_int(&reg_producer(r, s)->owner);
}

int main(void)
{
	st_init(20);
	const char *inst = st_instance("slots");
	struct reg_geometry g = st_geo(1, SLOTS, DEPTH, 16, 8, 8);
	g.acceptor_slots = 1;
	struct reg r;
	char err[256] = "";
	size_t done = 99;
	st_create(&r, inst, &g, REG_RUNNING);
	const int32_t me = getpid();

	pen_t *h1 = NULL, *h2 = NULL, *h3 = NULL, *h4 = NULL;
	char missing[64];
	snprintf(missing, sizeof(missing), "t-slots-missing-%d", (int)me);
	CHECK_EQ_INT(pen_open(missing, &h1, err, sizeof(err)), -ENOENT);
	CHECK(h1 == NULL);
	CHECK(strstr(err, "penchantd") != NULL);
	REQUIRE(pen_open(inst, &h1, err, sizeof(err)) == 0);
	REQUIRE(pen_open(inst, &h2, err, sizeof(err)) == 0);
	/* Opening claims nothing. */
	for (unsigned s = 0; s < SLOTS; s++)
		CHECK_EQ_INT(owner(&r, s), 0);

	/* First publish claims a client slot (never the acceptor's). */
	struct evt_record e = rec(0);
	CHECK_EQ_INT(client_publish_records(h1, &e, 1, 0, &done), 0);
	CHECK_EQ_INT(done, 1);
	CHECK_EQ_INT(owner(&r, 0), 0);
	CHECK_EQ_INT(owner(&r, 1), me);
	e = rec(1);
	CHECK_EQ_INT(client_publish_records(h2, &e, 1, 0, &done), 0);
	CHECK_EQ_INT(owner(&r, 2), me);
	CHECK_EQ_INT(owner(&r, 3), 0);
	/* The records went to each handle's own ring, with its own seq. */
	struct ring_block *b1 = reg_ring(&r, 1, 0), *b2 = reg_ring(&r, 2, 0);
	CHECK_EQ_INT(ring_backlog(b1), 1);
	CHECK_EQ_INT(ring_backlog(b2), 1);
	CHECK_EQ_INT(ring_peek(b1, 0)->user_key, rec(0).user_key);
	CHECK_EQ_INT(ring_peek(b1, 0)->seq, 0);
	CHECK_EQ_INT(ring_peek(b2, 0)->seq, 0);
	CHECK_EQ_INT(reg_producer(&r, 1)->published, 1);
	/* A second publish keeps the slot. */
	e = rec(2);
	CHECK_EQ_INT(client_publish_records(h1, &e, 1, 0, &done), 0);
	CHECK_EQ_INT(ring_backlog(b1), 2);
	CHECK_EQ_INT(b1->next_seq, 2);

	/* pen_close releases the slot (generation bumped), a new handle takes
	 * it and continues the ring's sequence. */
	uint64_t gen = reg_producer(&r, 1)->generation;
	pen_close(&h1);
	CHECK(h1 == NULL);
	pen_close(&h1); /* harmless */
	CHECK_EQ_INT(owner(&r, 1), 0);
	CHECK_EQ_INT(reg_producer(&r, 1)->generation, gen + 1);
	REQUIRE(pen_open(inst, &h3, err, sizeof(err)) == 0);
	e = rec(3);
	CHECK_EQ_INT(client_publish_records(h3, &e, 1, 0, &done), 0);
	CHECK_EQ_INT(owner(&r, 1), me);
	CHECK_EQ_INT(ring_backlog(b1), 3);
	CHECK_EQ_INT(ring_peek(b1, 2)->seq, 2);
	CHECK_EQ_INT(ring_peek(b1, 2)->user_key, rec(3).user_key);

	/* All client slots taken: -ENOSPC. */
	REQUIRE(pen_open(inst, &h4, err, sizeof(err)) == 0);
	e = rec(4);
	CHECK_EQ_INT(client_publish_records(h4, &e, 1, 0, &done), 0);
	CHECK_EQ_INT(owner(&r, 3), me);
	pen_t *h5 = NULL;
	REQUIRE(pen_open(inst, &h5, err, sizeof(err)) == 0);
	CHECK_EQ_INT(client_publish_records(h5, &e, 1, 0, &done), -ENOSPC);
	CHECK_EQ_INT(done, 0);
	pen_close(&h5);

	/* A full ring with PEN_NOWAIT: what fits goes in, then -EAGAIN. */
	struct evt_record many[10];
	for (unsigned i = 0; i < 10; i++)
		many[i] = rec(100 + i);
	uint64_t waits = reg_producer(&r, 2)->full_waits;
	done = 99;
	CHECK_EQ_INT(client_publish_records(h2, many, 10, PEN_NOWAIT, &done),
	    -EAGAIN);
	CHECK_EQ_INT(done, DEPTH - 1 - 1); /* one record was already there */
	CHECK_EQ_INT(ring_backlog(b2), DEPTH - 1);
	CHECK_EQ_INT(reg_producer(&r, 2)->published, 1 + done);
	CHECK_EQ_INT(reg_producer(&r, 2)->full_waits, waits + 1);
	/* What went in is visible and in order. */
	for (unsigned i = 1; i < DEPTH - 1; i++)
		CHECK_EQ_INT(ring_peek(b2, i)->user_key, many[i - 1].user_key);
	/* A consumer frees room: the rest goes in. */
	ring_release(b2, 3);
	size_t rest = 10 - done;
	CHECK_EQ_INT(client_publish_records(h2, many + done, rest, PEN_NOWAIT,
			 &done),
	    -EAGAIN);
	CHECK_EQ_INT(done, 3);
	CHECK_EQ_INT(reg_producer(&r, 2)->busy % 2, 0);

	/* Draining: refused, nothing staged, busy even again. */
	ck_pr_store_uint(&r.hdr->state, REG_DRAINING);
	uint64_t backlog = ring_backlog(b1);
	e = rec(5);
	done = 99;
	CHECK_EQ_INT(client_publish_records(h3, &e, 1, 0, &done), -ESHUTDOWN);
	CHECK_EQ_INT(done, 0);
	CHECK_EQ_INT(ring_backlog(b1), backlog);
	CHECK_EQ_INT(reg_producer(&r, 1)->busy % 2, 0);
	CHECK_EQ_INT(client_publish_records(h2, &e, 1, PEN_NOWAIT, &done),
	    -ESHUTDOWN);
	CHECK(strcmp(pen_strerror(-ESHUTDOWN), pen_strerror(-EAGAIN)) != 0);

	pen_close(&h2);
	pen_close(&h3);
	pen_close(&h4);
	for (unsigned s = 0; s < SLOTS; s++)
		CHECK_EQ_INT(owner(&r, s), 0);
	reg_detach(&r);
	reg_unlink(inst);
	return check_done("producer_slots");
}
