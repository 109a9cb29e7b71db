/*
 * it_limits: a full profile table rejects events with the counted reason
 * table_full and keeps the rest; producer slots run out with -ENOSPC; the
 * slot of a client killed with SIGKILL is drained and reclaimed by the
 * supervisor with a new generation.
 */
#include "harness.h"

static int _publish_users(pen_t *p, unsigned from, unsigned to)
{
	char user[32], err[128];
	for (unsigned u = from; u < to; u++) {
		snprintf(user, sizeof(user), "limit-user-%u", u);
		struct pen_event ev = { .user_id = user,
			.event_type = "view",
			.entity_id = "x",
			.time_ms = 1767258000000LL,
			.scroll_depth = -1 };
		int rc = pen_publish(p, &ev, 0, err, sizeof(err));
		if (rc)
			return rc;
	}
	return pen_flush(p, 10000);
}

static void _table_full(struct hx *h)
{
	pen_t *p;
	REQUIRE(pen_open(h->instance, &p, NULL, 0) == 0);
	CHECK_EQ_INT(_publish_users(p, 0, 1500), 0);
	const struct reg *r = client_region(p);
	struct pen_stats st;
	pen_stats_read(p, &st);
	CHECK_EQ_INT(st.profiles, 1024);
	CHECK_EQ_INT(st.applied, 1024);
	CHECK_EQ_INT(reg_proc(r, 1)->counters[REG_C_REJECT0 + EVT_R_TABLE_FULL],
	    476);
	/* Users already in the table keep learning. */
	CHECK_EQ_INT(_publish_users(p, 0, 10), 0);
	struct pen_profile pp;
	CHECK_EQ_INT(pen_profile_read(p, "limit-user-0", 12, &pp, 0), 0);
	CHECK_EQ_INT(pp.events, 2);
	pen_close(&p);
	char out[8192];
	CHECK_EQ_INT(hx_cli(h, NULL, 0, out, sizeof(out), NULL, 0, "status",
			 NULL),
	    0);
	CHECK(strstr(out, "table_full 476") != NULL);
	CHECK(strstr(out, "profiles 1024 / 1024 (100.0%)") != NULL);
}

static void _slots(struct hx *h)
{
	pen_t *a, *b, *c, *d;
	REQUIRE(pen_open(h->instance, &a, NULL, 0) == 0);
	REQUIRE(pen_open(h->instance, &b, NULL, 0) == 0);
	REQUIRE(pen_open(h->instance, &c, NULL, 0) == 0);
	REQUIRE(pen_open(h->instance, &d, NULL, 0) == 0);
	CHECK_EQ_INT(_publish_users(a, 0, 1), 0);
	CHECK_EQ_INT(_publish_users(b, 0, 1), 0);
	CHECK_EQ_INT(_publish_users(c, 0, 1), 0);
	CHECK_EQ_INT(_publish_users(d, 0, 1), -ENOSPC);
	pen_close(&c);
	CHECK_EQ_INT(_publish_users(d, 0, 1), 0); /* c's slot is free again */
	pen_close(&a);
	pen_close(&b);
	pen_close(&d);
}

static void _dead_client(struct hx *h)
{
	pen_t *p;
	REQUIRE(pen_open(h->instance, &p, NULL, 0) == 0);
	const struct reg *r = client_region(p);
	pid_t kid = fork();
	REQUIRE(kid >= 0);
	if (kid == 0) {
		pen_t *q;
		if (pen_open(h->instance, &q, NULL, 0) ||
		    _publish_users(q, 0, 5))
			_exit(1);
		raise(SIGKILL); /* dies holding its slot */
		_exit(2);
	}
	int st;
	waitpid(kid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	int slot = -1;
	for (unsigned s = 0; s < r->hdr->geo.producer_slots; s++)
		if (reg_producer(r, s)->owner == kid)
			slot = (int)s;
	REQUIRE(slot >= 0);
	uint64_t gen = reg_producer(r, (unsigned)slot)->generation;
	bool freed = false;
	for (int i = 0; i < 500 && !freed; i++) {
		freed = ck_pr_load_int(
			    &reg_producer(r, (unsigned)slot)->owner) == 0;
		hx_sleep_ms(10);
	}
	CHECK(freed);
	CHECK(reg_producer(r, (unsigned)slot)->generation == gen + 1);
	pen_close(&p);
}

int main(int argc, char **argv)
{
	struct hx h;
	hx_init(&h, "limits", argc, argv);
	const char *flags[] = { "--shards=1", "--profiles-per-shard=1024",
		"--producer-slots=4", "--acceptor-slots=1", NULL };
	hx_start(&h, flags);
	_table_full(&h);
	_slots(&h);
	_dead_client(&h);
	int st = hx_stop(&h);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hx_cleanup(&h);
	return check_done("it_limits");
}
