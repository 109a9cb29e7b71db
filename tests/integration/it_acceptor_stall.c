/*
 * it_acceptor_stall: the acceptor stopped (SIGSTOP) for longer than
 * idle_timeout_s does not charge its own stall to its clients. While it
 * is stopped, a steady client keeps sending, a client silent since just
 * before the stall sends one event, and a client that left half an object
 * before the stall sends the rest. After SIGCONT none of them is closed,
 * every event is applied, and the stall is counted (acc_stalls). A silent
 * connection is still closed as idle, and so is the client that went
 * quiet after the stall, each about idle_timeout_s of the acceptor's own
 * running time after its last event.
 */
#include "it_acceptor_util.h"

#define T0_MS 1767258000000LL
#define IDLE_S 2
#define STALL_MS 3500

static unsigned _sent;

static int64_t _now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int _conn(struct ax *a)
{
	int fd = ax_tcp_connect(a->port);
	REQUIRE(fd >= 0);
	return fd;
}

/* One event of user u (each user counts its own). */
static bool _event(int fd, const char *u, unsigned *count)
{
	struct axb w = { .n = 0 };
	axb_event(&w, u, "click", "ent-1", T0_MS + (int64_t)_sent * 1000);
	_sent++;
	(*count)++;
	return ax_write_all(fd, w.b, w.n);
}

/* Still open: the server has not closed it (nothing to read either). */
static bool _open_yet(int fd)
{
	char b[8];
	ssize_t r = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int main(int argc, char **argv)
{
	struct ax a;
	const char *extra[] = { "--shards=2", "--idle-timeout-s=2",
		"--log-level=debug", NULL };
	ax_start(&a, "accstall", argc, argv, 4, extra);
	const struct reg_proc *acc = reg_proc(a.r, reg_proc_acceptor(a.r));
	pid_t pid = ck_pr_load_int((int *)&acc->pid);
	REQUIRE(pid > 0);
	unsigned n_steady = 0, n_late = 0, n_split = 0;

	int steady = _conn(&a), late = _conn(&a), split = _conn(&a);
	CHECK(_event(steady, "steady", &n_steady));
	CHECK(_event(late, "late", &n_late));
	/* Half an object on split, the rest comes during the stall. */
	struct axb h = { .n = 0 };
	axb_event(&h, "split", "view", "ent-1", T0_MS);
	n_split++;
	_sent++;
	CHECK(ax_write_all(split, h.b, h.n / 2));
	CHECK(ax_wait_ctr(&a, REG_C_ACC_EVENTS, 2, 5000));
	CHECK_EQ_INT(ax_get(&a, REG_C_ACC_CONNS), 3);
	/* late and split go quiet for 1.2 s, steady sends. */
	for (unsigned t = 0; t < 12; t++) {
		hx_sleep_ms(100);
		CHECK(_event(steady, "steady", &n_steady));
	}
	/* silent never sends; it opens just before the stall. */
	int silent = _conn(&a);
	CHECK(ax_wait_ctr(&a, REG_C_ACC_CONNS, 4, 5000));
	uint64_t stalls = ax_get(&a, REG_C_ACC_STALLS);

	/* Stop the acceptor for longer than idle_timeout_s; no REQUIRE
	 * until it runs again. */
	int64_t t_stop = _now_ms();
	CHECK(kill(pid, SIGSTOP) == 0);
	bool late_sent = false, split_sent = false;
	while (_now_ms() - t_stop < STALL_MS) {
		hx_sleep_ms(100);
		CHECK(_event(steady, "steady", &n_steady));
		if (!late_sent && _now_ms() - t_stop > STALL_MS / 2) {
			CHECK(_event(late, "late", &n_late));
			CHECK(
			    ax_write_all(split, h.b + h.n / 2, h.n - h.n / 2));
			late_sent = split_sent = true;
		}
	}
	CHECK(late_sent && split_sent);
	CHECK(kill(pid, SIGCONT) == 0);
	int64_t t_cont = _now_ms();

	/* steady and split send on. silent, and late (quiet since the
	 * stall), close as idle about idle_timeout_s of running time after
	 * their last event: not at the resume, and not much later. */
	int64_t t_silent = -1, t_late = -1;
	while ((t_silent < 0 || t_late < 0) && _now_ms() - t_cont < 10000) {
		hx_sleep_ms(100);
		CHECK(_event(steady, "steady", &n_steady));
		CHECK(_event(split, "split", &n_split));
		if (t_silent < 0 && !_open_yet(silent))
			t_silent = _now_ms();
		if (t_late < 0 && !_open_yet(late))
			t_late = _now_ms();
	}
	CHECK(t_silent > 0 && t_late > 0);
	CHECK(t_silent - t_cont >= IDLE_S * 1000 - 500);
	CHECK(t_silent - t_cont < IDLE_S * 1000 + 3000);
	CHECK(t_late - t_cont >= IDLE_S * 1000 - 500);
	CHECK(t_late - t_cont < IDLE_S * 1000 + 3000);
	CHECK(_open_yet(steady));
	CHECK(_open_yet(split));
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_CLOSED_IDLE), 2);
	CHECK(ax_get(&a, REG_C_ACC_STALLS) > stalls);
	close(steady);
	close(split);
	close(silent);
	close(late);
	CHECK(ax_wait_ctr(&a, REG_C_TCP_CLOSED_PEER, 2, 5000));
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_CLOSED_IDLE), 2);
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_CLOSED_PARTIAL), 0);

	/* Every event applied, none lost across the stall. */
	CHECK(ax_wait_ctr(&a, REG_C_ACC_EVENTS, _sent, 10000));
	CHECK_EQ_INT(ax_get(&a, REG_C_ACC_EVENTS), _sent);
	CHECK(hx_wait_drained(a.r, 10000));
	struct pen_profile pp;
	CHECK_EQ_INT(pen_profile_read(a.p, "steady", 6, &pp, 0), 0);
	CHECK_EQ_INT(pp.events, n_steady);
	CHECK_EQ_INT(pen_profile_read(a.p, "late", 4, &pp, 0), 0);
	CHECK_EQ_INT(pp.events, n_late);
	CHECK_EQ_INT(pen_profile_read(a.p, "split", 5, &pp, 0), 0);
	CHECK_EQ_INT(pp.events, n_split);
	CHECK_EQ_INT(acc->starts, 1);

	char out[16384];
	CHECK_EQ_INT(hx_cli(&a.h, NULL, 0, out, sizeof(out), NULL, 0, "status",
			 NULL),
	    0);
	CHECK(strstr(out, "stalls") != NULL);
	if (check_failures)
		fprintf(stderr, "%s\nlog: %s\n", out, a.h.log);
	ax_finish(&a);
	return check_done("it_acceptor_stall");
}
