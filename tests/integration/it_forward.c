/*
 * it_forward: the Fluentd forward protocol end to end through the real
 * penchantd and its acceptor, with real third-party clients.
 *
 *   basic  python3-fluent-logger (Message mode) and a python3-msgpack
 *          client with chunk acks in every mode (tests/ipc/
 *          forward_client.py interop): every ack matched, exact profiles;
 *          then a chunk resent twice after its ack (forward_client.py
 *          dup) is acked each time and applied once.
 *   kill   at-least-once: a python3-msgpack client sends PackedForward
 *          chunks with acks and resends each chunk until acked, while the
 *          acceptor is killed with SIGKILL several times; afterwards every
 *          event is in the profiles exactly once (no loss, no duplicate:
 *          the acceptor must de-duplicate resent chunks, see fwd_dedup).
 *
 *   limits the per-event shape rules on the forward and the plain TCP
 *          port (forward_client.py limits): a record nested 8 levels
 *          (counted from the record) is applied in Forward, PackedForward
 *          and Message mode and over plain TCP; one nested 9 levels or
 *          with a 65-key map is rejected alone (too_deep / too_big), its
 *          message still acked, its neighbours applied, no connection
 *          closed.
 *
 *   auth   forward_shared_key set: forward_client.py auth performs the
 *          HELO/PING/PONG handshake from the specification (good key,
 *          PING pipelined with a message, wrong key, no PING, garbage,
 *          a PING of the wrong types); only the authenticated events are
 *          applied, every refusal is counted in fwd_auth_failed.
 *
 * Skips (77) when penchantd does not offer --forward-listen or when
 * /usr/bin/python3 lacks msgpack / fluent-logger. An acceptor that does
 * not accept on the forward port within 5 s is a failure.
 * Usage: it_forward PENCHANTD PENCHANT CLIENT_PY basic|kill|limits|auth
 */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "shm/region.h"

#define USERS 50
#define PER_CHUNK 20
#define CHUNKS 300

static bool _has_forward(const char *penchantd)
{
	static char out[65536];
	const char *argv[] = { penchantd, "--help", NULL };

	hx_runv(NULL, 0, out, sizeof(out), NULL, 0, argv);
	return strstr(out, "forward-listen") != NULL;
}

static pid_t _spawn(const char *const *argv)
{
	pid_t pid = fork();

	REQUIRE(pid >= 0);
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int _wait(pid_t pid, unsigned timeout_ms)
{
	int st;

	for (unsigned t = 0; t < timeout_ms; t += 10) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		hx_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* Whether something accepts TCP connections on 127.0.0.1:port (5 s). */
static bool _port_open(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	for (int i = 0; i < 100; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		bool ok = fd >= 0 &&
		    connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

		if (fd >= 0)
			close(fd);
		if (ok)
			return true;
		hx_sleep_ms(50);
	}
	return false;
}

static int _events(pen_t *p, const char *user)
{
	struct pen_profile pp;
	int rc = pen_profile_read(p, user, strlen(user), &pp, 0);

	return rc == -ENOENT ? 0 : rc < 0 ? -1 : (int)pp.events;
}

/* Waits until the acceptor of the region runs and is ready; its pid. */
static pid_t _acceptor(pen_t *p, pid_t not )
{
	const struct reg *r = client_region(p);

	for (int i = 0; i < 1000; i++) {
		struct reg_proc *a = reg_proc(r, reg_proc_acceptor(r));
		pid_t pid = ck_pr_load_int(&a->pid);

		if (pid > 0 && pid != not &&ck_pr_load_uint(&a->ready))
			return pid;
		hx_sleep_ms(10);
	}
	return -1;
}

static void _basic(struct hx *h, pen_t *p, const char *client, const char *port)
{
	const char *argv[] = { "/usr/bin/python3", client, "interop", port,
		NULL };
	const char *dargv[] = { "/usr/bin/python3", client, "dup", port, NULL };
	int rc = _wait(_spawn(argv), 60000);
	static const struct {
		const char *user;
		int n;
	} want[] = { { "fl-int", 5 }, { "fl-ns", 5 }, { "ack-message", 1 },
		{ "ack-forward", 3 }, { "ack-packed", 3 }, { "ack-gzip", 3 },
		{ "dup-chunk", 3 } };

	if (rc == 77) {
		hx_stop(h);
		hx_cleanup(h);
		SKIP("python3-msgpack or python3-fluent-logger missing");
	}
	CHECK_EQ_INT(rc, 0);
	/* a chunk resent after its ack: acked again, applied once */
	CHECK_EQ_INT(_wait(_spawn(dargv), 60000), 0);
	CHECK(hx_wait_drained(client_region(p), 10000));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int n = _events(p, want[i].user);

		if (n != want[i].n)
			fprintf(stderr, "%s: %d events, want %d\n",
			    want[i].user, n, want[i].n);
		CHECK_EQ_INT(n, want[i].n);
	}
	{
		struct pen_profile pp;

		REQUIRE(pen_profile_read(p, "fl-ns", 5, &pp, 0) == 0);
		CHECK_EQ_INT(pp.first_ms, 1700000000250LL);
		CHECK_EQ_INT(pp.last_ms, 1700000004250LL);
		REQUIRE(pen_profile_read(p, "fl-int", 6, &pp, 0) == 0);
		CHECK_EQ_INT(pp.first_ms, 1700000000000LL);
		CHECK_EQ_INT(pp.last_ms, 1700000004000LL);
	}
}

/* Chunks the client logged as acked so far (lines of its log). */
static unsigned _acked_lines(const char *log)
{
	FILE *f = fopen(log, "r");
	unsigned n = 0;
	int ch;

	if (!f)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static void _kill(struct hx *h, pen_t *p, const char *client, const char *port)
{
	char log[256], users[16], per[16], chunks[16];
	const char *argv[] = { "/usr/bin/python3", client, "resend", port,
		users, per, chunks, log, NULL };
	pid_t cpid, acc = -1;
	int rc = -1, kills = 0, bad = 0;
	FILE *f;
	unsigned long long acked = 0;

	snprintf(log, sizeof(log), "%s/acked.log", h->state_dir);
	snprintf(users, sizeof(users), "%d", USERS);
	snprintf(per, sizeof(per), "%d", PER_CHUNK);
	snprintf(chunks, sizeof(chunks), "%d", CHUNKS);
	unlink(log);
	cpid = _spawn(argv);
	/* kill -9 the acceptor a few times while the client sends: after
	 * 40, 90, ... chunks were acked (by progress, not by the clock: the
	 * whole run can take less than 100 ms) */
	for (int i = 0; i < 5 && cpid > 0; i++) {
		int st;
		unsigned at = 40 + 50 * (unsigned)i;

		for (unsigned t = 0; _acked_lines(log) < at; t++) {
			if (waitpid(cpid, &st, WNOHANG) == cpid) {
				/* already done */
				rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
				cpid = -1;
				break;
			}
			if (t > 60000) /* a minute without progress */
				break;
			hx_sleep_ms(1);
		}
		if (cpid < 0)
			break;
		acc = _acceptor(p, acc);
		if (acc > 0 && kill(acc, SIGKILL) == 0)
			kills++;
	}
	if (cpid > 0)
		rc = _wait(cpid, 120000);
	if (rc == 77) {
		hx_stop(h);
		hx_cleanup(h);
		SKIP("python3-msgpack missing");
	}
	CHECK_EQ_INT(rc, 0);
	CHECK(kills >= 1);
	/* every chunk was acked; count what the client saw acked */
	f = fopen(log, "r");
	REQUIRE(f);
	{
		char line[256];
		unsigned long long seq, n;

		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "ACKED %*s %llu %llu", &seq, &n) == 2)
				acked += n;
	}
	fclose(f);
	unlink(log);
	CHECK_EQ_INT(acked, (unsigned long long)PER_CHUNK * CHUNKS);
	CHECK(_acceptor(p, -1) > 0);
	CHECK(hx_wait_drained(client_region(p), 20000));
	for (int u = 0; u < USERS; u++) {
		char id[16];
		int want = 0, n;

		for (unsigned long long e = 0; e < acked; e++)
			want += e % USERS == (unsigned)u;
		snprintf(id, sizeof(id), "r%d", u);
		n = _events(p, id);
		if (n != want && bad++ < 5)
			fprintf(stderr, "%s: %d events, want exactly %d\n", id,
			    n, want);
	}
	CHECK_EQ_INT(bad, 0);
	printf(
	    "%llu events acked across %d acceptor kills, each applied once\n",
	    acked, kills);
}

static uint64_t _acc_ctr(pen_t *p, unsigned k)
{
	const struct reg *r = client_region(p);

	return ck_pr_load_64(
	    (uint64_t *)&reg_proc(r, reg_proc_acceptor(r))->counters[k]);
}

static void _limits(struct hx *h, pen_t *p, const char *client,
    const char *port, const char *tcp_port)
{
	const char *argv[] = { "/usr/bin/python3", client, "limits", port,
		tcp_port, NULL };
	static const struct {
		const char *user;
		int n;
	} want[] = { { "d8-fwd", 1 }, { "d9-fwd", 0 }, { "ok-fwd", 1 },
		{ "d8-pk", 1 }, { "d9-pk", 0 }, { "ok-pk", 1 }, { "d8-msg", 1 },
		{ "d9-msg", 0 }, { "ok-msg", 1 }, { "k65-fwd", 0 },
		{ "k64-fwd", 1 }, { "d8-tcp", 1 }, { "d9-tcp", 0 },
		{ "k65-tcp", 0 }, { "ok-tcp", 1 } };
	int rc = _wait(_spawn(argv), 60000);

	if (rc == 77) {
		hx_stop(h);
		hx_cleanup(h);
		SKIP("python3-msgpack missing");
	}
	CHECK_EQ_INT(rc, 0);
	for (int t = 0; t < 500 && _events(p, "ok-tcp") < 1; t++)
		hx_sleep_ms(10);
	CHECK(hx_wait_drained(client_region(p), 10000));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int n = _events(p, want[i].user);

		if (n != want[i].n)
			fprintf(stderr, "%s: %d events, want %d\n",
			    want[i].user, n, want[i].n);
		CHECK_EQ_INT(n, want[i].n);
	}
	CHECK_EQ_INT(_acc_ctr(p, REG_C_REJECT0 + EVT_R_TOO_DEEP), 4);
	CHECK_EQ_INT(_acc_ctr(p, REG_C_REJECT0 + EVT_R_TOO_BIG), 2);
	CHECK_EQ_INT(_acc_ctr(p, REG_C_FWD_CLOSED_PROTOCOL) +
		_acc_ctr(p, REG_C_FWD_CLOSED_TOO_BIG) +
		_acc_ctr(p, REG_C_TCP_CLOSED_PROTOCOL) +
		_acc_ctr(p, REG_C_TCP_CLOSED_TOO_BIG),
	    0);
	CHECK_EQ_INT(_acc_ctr(p, REG_C_FWD_ACKS), 6);
}

#define AUTH_KEY "s3cret key, shared"
#define AUTH_HOST "penchant.test"

static void _auth(struct hx *h, pen_t *p, const char *client, const char *port)
{
	const char *argv[] = { "/usr/bin/python3", client, "auth", port,
		AUTH_KEY, AUTH_HOST, NULL };
	static const struct {
		const char *user;
		int n;
	} want[] = { { "auth-ok", 3 }, { "auth-pipe", 1 }, { "auth-wrong", 0 },
		{ "auth-noping", 0 } };
	int rc = _wait(_spawn(argv), 60000);

	if (rc == 77) {
		hx_stop(h);
		hx_cleanup(h);
		SKIP("python3-msgpack missing");
	}
	CHECK_EQ_INT(rc, 0);
	CHECK(hx_wait_drained(client_region(p), 10000));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int n = _events(p, want[i].user);

		if (n != want[i].n)
			fprintf(stderr, "%s: %d events, want %d\n",
			    want[i].user, n, want[i].n);
		CHECK_EQ_INT(n, want[i].n);
	}
	for (int t = 0; t < 300 && _acc_ctr(p, REG_C_FWD_AUTH_FAILED) < 4; t++)
		hx_sleep_ms(10);
	CHECK_EQ_INT(_acc_ctr(p, REG_C_FWD_AUTH_FAILED), 4);
	CHECK_EQ_INT(_acc_ctr(p, REG_C_FWD_ACKS), 2);
}

int main(int argc, char **argv)
{
	struct hx h;
	char listen[64], udp[64], tcp[64], port[16], tport[16];
	const char *extra[8];
	pen_t *p;
	unsigned pn;

	REQUIRE(argc >= 5);
	if (!_has_forward(argv[1]))
		SKIP(
		    "penchantd has no --forward-listen yet (acceptor pending)");
	if (access("/usr/bin/python3", X_OK) != 0)
		SKIP("no /usr/bin/python3");
	hx_init(&h,
	    !strcmp(argv[4], "kill")	     ? "fwdkill"
		: !strcmp(argv[4], "limits") ? "fwdlim"
		: !strcmp(argv[4], "auth")   ? "fwdauth"
					     : "fwd",
	    argc, argv);
	/* ports of our own, free right now */
	pn = hx_free_port();
	snprintf(port, sizeof(port), "%u", pn);
	snprintf(listen, sizeof(listen), "--forward-listen=127.0.0.1:%u", pn);
	/* UDP and TCP msgpack on ports of our own too (the acceptor runs only
	 * when it has something to listen on) */
	snprintf(udp, sizeof(udp), "--udp-listen=127.0.0.1:%u", hx_free_port());
	unsigned pt = hx_free_port();
	while (pt == pn) /* both TCP: must differ */
		pt = hx_free_port();
	snprintf(tcp, sizeof(tcp), "--tcp-listen=127.0.0.1:%u", pt);
	snprintf(tport, sizeof(tport), "%u", pt);
	extra[0] = listen;
	extra[1] = udp;
	extra[2] = tcp;
	extra[3] = "--shards=2";
	extra[4] = NULL;
	if (!strcmp(argv[4], "auth")) {
		extra[4] = "--forward-shared-key=" AUTH_KEY;
		extra[5] = "--forward-hostname=" AUTH_HOST;
		extra[6] = NULL;
	}
	hx_start(&h, extra);
	REQUIRE(pen_open(h.instance, &p, NULL, 0) == 0);
	REQUIRE(_acceptor(p, -1) > 0);
	/* the acceptor serves forward_listen: it must accept within 5 s */
	if (!_port_open(pn)) {
		fprintf(stderr, "nothing accepts on the forward port %u\n", pn);
		pen_close(&p);
		hx_stop(&h);
		hx_cleanup(&h);
		return 1;
	}
	if (!strcmp(argv[4], "kill"))
		_kill(&h, p, argv[3], port);
	else if (!strcmp(argv[4], "limits"))
		_limits(&h, p, argv[3], port, tport);
	else if (!strcmp(argv[4], "auth"))
		_auth(&h, p, argv[3], port);
	else
		_basic(&h, p, argv[3], port);
	pen_close(&p);
	CHECK_EQ_INT(hx_stop(&h), 0);
	hx_cleanup(&h);
	return check_done(!strcmp(argv[4], "kill") ? "it_forward kill"
		: !strcmp(argv[4], "limits")	   ? "it_forward limits"
		: !strcmp(argv[4], "auth")	   ? "it_forward auth"
						   : "it_forward basic");
}
