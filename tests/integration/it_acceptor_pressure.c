/*
 * it_acceptor_pressure: back-pressure with a tiny ring (depth 64, one
 * shard). Four TCP connections stream 200k events: the acceptor pauses
 * them (counted) and still applies every event exactly once. Then a UDP
 * burst: datagrams that found no room are dropped and counted, and the
 * profiles hold exactly the datagrams received minus those dropped.
 */
#include "it_acceptor_util.h"

#define T0_MS 1767258000000LL
#define NTCP 200000u
#define NCONN 4u
#define TUSERS 1000u
#define NUDP 20000u
#define UUSERS 100u

static uint64_t _events_of(struct ax *a, const char *prefix, unsigned users)
{
	uint64_t sum = 0;
	char id[32];
	for (unsigned u = 0; u < users; u++) {
		struct pen_profile pp;
		snprintf(id, sizeof(id), "%s%u", prefix, u);
		if (pen_profile_read(a->p, id, strlen(id), &pp, 0) == 0)
			sum += pp.events;
	}
	return sum;
}

int main(int argc, char **argv)
{
	struct ax a;
	const char *extra[] = { "--shards=1", "--ring-depth=64", NULL };
	ax_start(&a, "accbp", argc, argv, 4, extra);
	static struct axb w;
	int fds[NCONN];
	for (unsigned c = 0; c < NCONN; c++) {
		fds[c] = ax_tcp_connect(a.port);
		REQUIRE(fds[c] >= 0);
	}
	char user[32];
	unsigned i = 0;
	while (i < NTCP) {
		for (unsigned c = 0; c < NCONN && i < NTCP; c++) {
			w.n = 0;
			for (unsigned k = 0; k < 200 && i < NTCP; k++, i++) {
				snprintf(user, sizeof(user), "bp-%u",
				    i % TUSERS);
				axb_event(&w, user, "view", "ent-1", T0_MS + i);
			}
			REQUIRE(ax_write_all(fds[c], w.b, w.n));
		}
	}
	for (unsigned c = 0; c < NCONN; c++)
		close(fds[c]);
	CHECK(ax_wait_ctr(&a, REG_C_ACC_EVENTS, NTCP, 60000));
	CHECK(hx_wait_drained(a.r, 20000));
	CHECK_EQ_INT(ax_get(&a, REG_C_ACC_EVENTS), NTCP);
	CHECK(ax_get(&a, REG_C_ACC_PAUSED) > 0);
	CHECK_EQ_INT(_events_of(&a, "bp-", TUSERS), NTCP);
	fprintf(stderr, "tcp: %llu pauses\n",
	    (unsigned long long)ax_get(&a, REG_C_ACC_PAUSED));

	int u = ax_udp_socket(a.port);
	for (unsigned k = 0; k < NUDP; k++) {
		w.n = 0;
		snprintf(user, sizeof(user), "ud-%u", k % UUSERS);
		axb_event(&w, user, "view", "ent-1", T0_MS + k);
		(void)!send(u, w.b, w.n, 0); /* the kernel may drop, too */
	}
	close(u);
	/* Wait until the counters stop moving. */
	uint64_t last = ~0ull;
	for (unsigned t = 0; t < 100; t++) {
		hx_sleep_ms(50);
		uint64_t now = ax_get(&a, REG_C_UDP_DATAGRAMS);
		if (now == last)
			break;
		last = now;
	}
	CHECK(hx_wait_drained(a.r, 20000));
	uint64_t got = ax_get(&a, REG_C_UDP_DATAGRAMS);
	uint64_t dropped = ax_get(&a, REG_C_UDP_DROPPED);
	CHECK(got <= NUDP);
	CHECK_EQ_INT(ax_get(&a, REG_C_UDP_DROPPED_EVENTS), dropped);
	CHECK_EQ_INT(_events_of(&a, "ud-", UUSERS), got - dropped);
	CHECK_EQ_INT(ax_get(&a, REG_C_ACC_EVENTS), NTCP + got - dropped);
	fprintf(stderr,
	    "udp: %u sent, %llu received, %llu dropped (rings full)\n", NUDP,
	    (unsigned long long)got, (unsigned long long)dropped);
	ax_finish(&a);
	return check_done("it_acceptor_pressure");
}
