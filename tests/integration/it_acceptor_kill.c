/*
 * it_acceptor_kill: kill -9 the acceptor while a TCP client streams; the
 * supervisor restarts it and the client reconnects and goes on. Every
 * event is its own user, so the profiles say exactly which events were
 * applied. Plain TCP has no acknowledgement, so the guarantee checked is:
 * every event the dead acceptor had committed is applied exactly once,
 * everything sent after the reconnect is applied exactly once, nothing is
 * applied twice, and applied == committed-before-kill + sent-after.
 * (Events the client wrote that the acceptor had read but not committed,
 * or that were still in the socket, are lost: at-most-once across an
 * acceptor crash. The Fluentd forward protocol's acks give at-least-once.)
 */
#include "it_acceptor_util.h"

#define T0_MS 1767258000000LL
#define N 60000u
#define CHUNK 100u

/* Events published through the acceptor's slot: the rings' p_tail. */
static uint64_t _committed(const struct reg *r)
{
	uint64_t n = 0;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++)
		n += ck_pr_load_uint(&reg_ring(r, 0, s)->ring.p_tail);
	return n;
}

static size_t _chunk(struct axb *w, unsigned from)
{
	char user[32];
	w->n = 0;
	for (unsigned i = from; i < from + CHUNK && i < N; i++) {
		snprintf(user, sizeof(user), "k-%u", i);
		axb_event(w, user, "view", "ent-1", T0_MS + i);
	}
	return w->n;
}

int main(int argc, char **argv)
{
	struct ax a;
	const char *extra[] = { "--shards=2", "--restart-delay-ms=500", NULL };
	ax_start(&a, "acckill", argc, argv, 3, extra);
	struct reg_proc *acc = reg_proc(a.r, reg_proc_acceptor(a.r));
	static struct axb w;
	int fd = ax_tcp_connect(a.port);
	REQUIRE(fd >= 0);
	unsigned i = 0, resumed_at = 0;
	uint64_t at_kill = 0;
	bool killed = false;
	while (i < N) {
		size_t n = _chunk(&w, i);
		if (ax_write_all(fd, w.b, n)) {
			i += CHUNK;
		} else {
			REQUIRE(
			    killed); /* only the kill may break the stream */
			close(fd);
			resumed_at = i;
			fd = -1;
			for (unsigned t = 0; t < 1000 && fd < 0; t++) {
				fd = ax_tcp_connect(a.port);
				if (fd < 0)
					hx_sleep_ms(10);
			}
			REQUIRE(fd >= 0);
			continue;
		}
		if (!killed && i >= N / 3) {
			/* Kill it once it has committed part of what it read. */
			for (unsigned t = 0;
			     t < 1000 && _committed(a.r) < N / 6; t++)
				hx_sleep_ms(10);
			pid_t pid = acc->pid;
			REQUIRE(pid > 0);
			kill(pid, SIGKILL);
			/* Dead and reaped: the supervisor clears pid. */
			for (unsigned t = 0;
			     t < 500 && ck_pr_load_int(&acc->pid) == pid; t++)
				hx_sleep_ms(2);
			REQUIRE(ck_pr_load_int(&acc->pid) != pid);
			at_kill = _committed(a.r);
			killed = true;
			/* Go on once the new acceptor serves: until the dead
			 * one's io_uring is torn down, its listener can still
			 * complete handshakes into a queue nobody reads, and
			 * a plain TCP client cannot tell (no acks). */
			REQUIRE(ax_wait_ready(&a, 10000));
		}
	}
	close(fd);
	REQUIRE(killed);
	if (!resumed_at) {
		/* The reset may show only at close: nothing after the kill
		 * reached the new acceptor, so nothing after it counts. */
		resumed_at = N;
	}
	uint64_t want = at_kill + (N - resumed_at);
	for (unsigned t = 0; t < 2000 && _committed(a.r) < want; t++)
		hx_sleep_ms(10);
	CHECK(hx_wait_drained(a.r, 20000));
	CHECK_EQ_INT(_committed(a.r), want);
	CHECK_EQ_INT(acc->starts, 2);
	fprintf(stderr,
	    "killed after %u sent: %llu committed before the kill, resumed at %u\n",
	    N / 3, (unsigned long long)at_kill, resumed_at);
	CHECK(at_kill > 0 && at_kill <= resumed_at);

	uint64_t applied = 0, twice = 0, missing_after = 0;
	char user[32];
	for (unsigned k = 0; k < N; k++) {
		struct pen_profile pp;
		snprintf(user, sizeof(user), "k-%u", k);
		int rc = pen_profile_read(a.p, user, strlen(user), &pp, 0);
		unsigned ev = rc == 0 ? pp.events : 0;
		applied += ev;
		twice += ev > 1;
		missing_after += k >= resumed_at && ev != 1;
	}
	CHECK_EQ_INT(twice, 0);
	CHECK_EQ_INT(missing_after, 0);
	CHECK_EQ_INT(applied, want);
	struct pen_stats st;
	pen_stats_read(a.p, &st);
	CHECK_EQ_INT(st.applied, want);
	ax_finish(&a);
	return check_done("it_acceptor_kill");
}
