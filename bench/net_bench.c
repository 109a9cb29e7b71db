/*
 * net_bench: the network acceptor under load, against a same-run baseline.
 *
 *   net_bench PENCHANTD [--seconds S] [--runs R] [--only udp1|udp16|tcp]
 *
 * Starts its own penchantd (one shard, loopback ports from the pid) and
 * measures, R times each (median printed):
 *   udp1   sendmmsg of single-event datagrams
 *   udp16  sendmmsg of 16-event datagrams
 *   tcp    4 connections streaming msgpack events
 * For UDP the same sender also feeds a baseline receiver in its own
 * process: recvmmsg(64) -> mp_decoder (same limits) -> libpenchant staging
 * into the same rings (PEN_NOWAIT; no room = dropped, like the acceptor).
 * Each line: events/s accepted (staged into rings), events/s applied (by
 * the worker, within the window), drops (acceptor ring-full drops +
 * kernel drops = sent - received), and for UDP the acceptor/baseline ratio
 * of applied events/s. The check: every event received is either applied
 * or counted as dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc/client.h"
#include "ipc/mpack.h"
#include "shm/ring.h"
#include "penchant.h"

#define USERS 100000u
#define BATCH 64

struct result {
	double accepted, applied, sent, dropped;
	int ok;
};

static double _now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void _sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- msgpack encoding of one event (hand-written, fixed shape) ---- */

static size_t _put_str(char *p, const char *s)
{
	size_t n = strlen(s);
	p[0] = (char)(0xa0 | n);
	memcpy(p + 1, s, n);
	return n + 1;
}

static size_t _event(char *p, unsigned i, int64_t ms)
{
	char user[24], ent[24];
	size_t n = 0;
	snprintf(user, sizeof(user), "bench-%u", i % USERS);
	snprintf(ent, sizeof(ent), "ent-%u", i % 1000);
	p[n++] = (char)0x84;
	n += _put_str(p + n, "user_id");
	n += _put_str(p + n, user);
	n += _put_str(p + n, "event_type");
	n += _put_str(p + n, i % 3 ? "view" : "click");
	n += _put_str(p + n, "entity_id");
	n += _put_str(p + n, ent);
	n += _put_str(p + n, "timestamp");
	p[n++] = (char)0xd3;
	for (int k = 7; k >= 0; k--)
		p[n++] = (char)((uint64_t)ms >> (8 * k));
	return n;
}

/* Datagrams of `per` events (an array when per > 1). */
struct dgrams {
	char *buf;
	size_t *len;
	unsigned n, stride;
};

static void _dgrams(struct dgrams *d, unsigned count, unsigned per)
{
	int64_t ms = (int64_t)time(NULL) * 1000;
	d->stride = per * 96 + 4;
	d->n = count;
	d->buf = malloc((size_t)count * d->stride);
	d->len = malloc(count * sizeof(size_t));
	for (unsigned k = 0, e = 0; k < count; k++) {
		char *p = d->buf + (size_t)k * d->stride;
		size_t n = 0;
		if (per > 1)
			p[n++] = (char)(0x90 | per);
		for (unsigned j = 0; j < per; j++)
			n += _event(p + n, e++, ms);
		d->len[k] = n;
	}
}

/* ---- the sender process ------------------------------------------- */

static int _udp_to(unsigned port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	return fd;
}

/* Sends for `secs`, writes datagrams sent to the pipe. */
static void _udp_sender(unsigned port, const struct dgrams *d, double secs,
    int out)
{
	int fd = _udp_to(port);
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	uint64_t sent = 0;
	unsigned at = 0;
	double end = _now() + secs;
	while (_now() < end) {
		for (unsigned k = 0; k < BATCH; k++) {
			unsigned i = (at + k) % d->n;
			iov[k].iov_base = d->buf + (size_t)i * d->stride;
			iov[k].iov_len = d->len[i];
			memset(&mm[k].msg_hdr, 0, sizeof(mm[k].msg_hdr));
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
		}
		int n = sendmmsg(fd, mm, BATCH, 0);
		if (n > 0) {
			sent += (uint64_t)n;
			at += (unsigned)n;
		}
	}
	(void)!write(out, &sent, sizeof(sent));
	close(fd);
}

/* ---- the baseline receiver process --------------------------------- */

struct base {
	pen_t *p;
	struct evt_record recs[BATCH * 16];
	unsigned n;
};

static int _base_event(void *ctx, const struct mp_event *ev)
{
	struct base *b = ctx;
	if (ev->reason == EVT_OK && b->n < BATCH * 16)
		b->recs[b->n++] = *ev->rec;
	return 0;
}

/* Receives until the pipe `stop` is readable; writes
 * {received datagrams, events staged, events dropped}. */
static void _baseline(const char *instance, unsigned port, int stop, int out)
{
	struct base *b = calloc(1, sizeof(*b));
	if (pen_open(instance, &b->p, NULL, 0))
		_exit(1);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		_exit(1);
	(void)!write(out, "r", 1); /* bound */
	struct mp_limits lim = mp_limits_default();
	const struct reg *r = client_region(b->p);
	lim.evt = reg_limits_at(r->hdr, reg_now_wall_ms());
	struct mp_decoder dec;
	mp_decoder_init(&dec, &lim);
	static char bufs[BATCH][16384];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	uint64_t got = 0, staged = 0, dropped = 0;
	struct pollfd pf[2] = { { fd, POLLIN, 0 }, { stop, POLLIN, 0 } };
	for (;;) {
		if (poll(pf, 2, 100) < 0)
			continue;
		if (pf[1].revents)
			break;
		if (!(pf[0].revents & POLLIN))
			continue;
		for (unsigned k = 0; k < BATCH; k++) {
			iov[k].iov_base = bufs[k];
			iov[k].iov_len = sizeof(bufs[k]);
			memset(&mm[k].msg_hdr, 0, sizeof(mm[k].msg_hdr));
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		got += (uint64_t)n;
		for (int k = 0; k < n; k++) {
			b->n = 0;
			mp_decoder_buffer(&dec, bufs[k], mm[k].msg_len,
			    _base_event, b, NULL);
			size_t done = 0;
			pen_publish_prepared(b->p,
			    (const struct pen_prepared *)b->recs, b->n,
			    PEN_NOWAIT | PEN_DEFER, &done);
			staged += done;
			dropped += b->n - done;
		}
		pen_commit(b->p);
	}
	uint64_t res[3] = { got, staged, dropped };
	(void)!write(out, res, sizeof(res));
	mp_decoder_fini(&dec);
	pen_close(&b->p);
	close(fd);
	_exit(0);
}

/* ---- reading the instance ------------------------------------------ */

static uint64_t _applied(const struct reg *r)
{
	uint64_t n = 0;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++)
		n += ck_pr_load_64(&reg_proc(r, reg_proc_worker(r, s))
					->counters[REG_C_APPLIED]);
	return n;
}

static uint64_t _acc(const struct reg *r, unsigned k)
{
	return ck_pr_load_64(&reg_proc(r, reg_proc_acceptor(r))->counters[k]);
}

static void _drain(const struct reg *r)
{
	for (unsigned t = 0; t < 3000; t++) {
		unsigned backlog = 0;
		for (unsigned p = 0; p < r->hdr->geo.producer_slots; p++)
			for (unsigned s = 0; s < r->hdr->geo.shards; s++)
				backlog += ring_backlog(reg_ring(r, p, s));
		if (!backlog)
			return;
		_sleep_ms(2);
	}
}

/* ---- runs ----------------------------------------------------------- */

struct env {
	const char *instance;
	pen_t *p;
	const struct reg *r;
	unsigned port, base_port;
	double secs;
};

static struct result _run_udp_acceptor(struct env *e, const struct dgrams *d,
    unsigned per)
{
	struct result res = { 0 };
	int pp[2];
	if (pipe(pp))
		return res;
	_drain(e->r);
	uint64_t a0 = _acc(e->r, REG_C_ACC_EVENTS), ap0 = _applied(e->r),
		 g0 = _acc(e->r, REG_C_UDP_DATAGRAMS),
		 d0 = _acc(e->r, REG_C_UDP_DROPPED_EVENTS);
	double t0 = _now();
	pid_t s = fork();
	if (s == 0) {
		_udp_sender(e->port, d, e->secs, pp[1]);
		_exit(0);
	}
	uint64_t sent = 0;
	(void)!read(pp[0], &sent, sizeof(sent));
	waitpid(s, NULL, 0);
	double t = _now() - t0;
	uint64_t acc = _acc(e->r, REG_C_ACC_EVENTS) - a0;
	uint64_t app = _applied(e->r) - ap0;
	_sleep_ms(200);
	uint64_t got = _acc(e->r, REG_C_UDP_DATAGRAMS) - g0;
	uint64_t drop = _acc(e->r, REG_C_UDP_DROPPED_EVENTS) - d0;
	_drain(e->r);
	uint64_t acc_all = _acc(e->r, REG_C_ACC_EVENTS) - a0;
	res.accepted = (double)acc / t;
	res.applied = (double)app / t;
	res.sent = (double)sent * per / t;
	res.dropped = (double)(sent - got) * per + (double)drop;
	res.ok = acc_all + drop == got * per;
	close(pp[0]);
	close(pp[1]);
	return res;
}

static struct result _run_udp_baseline(struct env *e, const struct dgrams *d,
    unsigned per)
{
	struct result res = { 0 };
	int stop[2], out[2], sp[2];
	if (pipe(stop) || pipe(out) || pipe(sp))
		return res;
	_drain(e->r);
	pid_t b = fork();
	if (b == 0)
		_baseline(e->instance, e->base_port, stop[0], out[1]);
	char c;
	if (read(out[0], &c, 1) != 1)
		return res;
	uint64_t ap0 = _applied(e->r);
	double t0 = _now();
	pid_t s = fork();
	if (s == 0) {
		_udp_sender(e->base_port, d, e->secs, sp[1]);
		_exit(0);
	}
	uint64_t sent = 0;
	(void)!read(sp[0], &sent, sizeof(sent));
	waitpid(s, NULL, 0);
	double t = _now() - t0;
	uint64_t app = _applied(e->r) - ap0;
	_sleep_ms(200);
	(void)!write(stop[1], "x", 1);
	uint64_t r3[3] = { 0 };
	(void)!read(out[0], r3, sizeof(r3));
	waitpid(b, NULL, 0);
	_drain(e->r);
	res.applied = (double)app / t;
	res.accepted = (double)r3[1] / t; /* approx: includes the tail */
	res.sent = (double)sent * per / t;
	res.dropped = (double)(sent - r3[0]) * per + (double)r3[2];
	res.ok = r3[1] + r3[2] == r3[0] * per;
	for (int k = 0; k < 2; k++) {
		close(stop[k]);
		close(out[k]);
		close(sp[k]);
	}
	return res;
}

static struct result _run_tcp(struct env *e, unsigned conns)
{
	struct result res = { 0 };
	/* 64 KiB of back-to-back events per connection, sent repeatedly. */
	static char chunk[65536];
	size_t n = 0;
	int64_t ms = (int64_t)time(NULL) * 1000;
	unsigned per_chunk = 0;
	while (n + 96 < sizeof(chunk))
		n += _event(chunk + n, per_chunk++, ms);
	_drain(e->r);
	uint64_t a0 = _acc(e->r, REG_C_ACC_EVENTS), ap0 = _applied(e->r);
	int pp[2];
	if (pipe(pp))
		return res;
	double t0 = _now();
	pid_t s = fork();
	if (s == 0) {
		int fds[16];
		struct pollfd pf[16];
		size_t off[16] = { 0 };
		uint64_t bytes = 0;
		for (unsigned c = 0; c < conns; c++) {
			fds[c] = socket(AF_INET, SOCK_STREAM, 0);
			struct sockaddr_in sa = { .sin_family = AF_INET,
				.sin_port = htons((uint16_t)e->port) };
			sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			if (connect(fds[c], (struct sockaddr *)&sa, sizeof(sa)))
				_exit(1);
			fcntl(fds[c], F_SETFL, O_NONBLOCK);
			pf[c] = (struct pollfd){ fds[c], POLLOUT, 0 };
		}
		double end = _now() + e->secs;
		while (_now() < end) {
			if (poll(pf, conns, 50) <= 0)
				continue;
			for (unsigned c = 0; c < conns; c++) {
				if (!(pf[c].revents & POLLOUT))
					continue;
				ssize_t w = send(fds[c], chunk + off[c],
				    n - off[c], MSG_NOSIGNAL);
				if (w > 0) {
					off[c] = (off[c] + (size_t)w) % n;
					bytes += (uint64_t)w;
				}
			}
		}
		/* Finish the partial chunk of each connection, then close. */
		for (unsigned c = 0; c < conns; c++) {
			fcntl(fds[c], F_SETFL, 0);
			if (off[c])
				(void)!send(fds[c], chunk + off[c], n - off[c],
				    MSG_NOSIGNAL);
			bytes += off[c] ? n - off[c] : 0;
			close(fds[c]);
		}
		uint64_t events = bytes / n * per_chunk;
		(void)!write(pp[1], &events, sizeof(events));
		_exit(0);
	}
	uint64_t sent = 0;
	(void)!read(pp[0], &sent, sizeof(sent));
	double t = _now() - t0;
	uint64_t acc = _acc(e->r, REG_C_ACC_EVENTS) - a0;
	uint64_t app = _applied(e->r) - ap0;
	waitpid(s, NULL, 0);
	for (unsigned k = 0;
	     k < 3000 && _acc(e->r, REG_C_ACC_EVENTS) - a0 < sent; k++)
		_sleep_ms(2);
	_drain(e->r);
	res.accepted = (double)acc / t;
	res.applied = (double)app / t;
	res.sent = (double)sent / t;
	res.ok = _acc(e->r, REG_C_ACC_EVENTS) - a0 == sent;
	close(pp[0]);
	close(pp[1]);
	return res;
}

static int _cmp(const void *a, const void *b)
{
	double x = ((const struct result *)a)->applied,
	       y = ((const struct result *)b)->applied;
	return (x > y) - (x < y);
}

static struct result _median(struct result *r, unsigned n)
{
	qsort(r, n, sizeof(*r), _cmp);
	struct result m = r[n / 2];
	for (unsigned i = 0; i < n; i++)
		m.ok = m.ok && r[i].ok;
	return m;
}

static pid_t _start(const char *penchantd, const char *instance, unsigned port,
    char *dir)
{
	char inst[96], sd[160], u[64], t[64];
	snprintf(dir, 128, "/tmp/penchant-%s", instance);
	mkdir(dir, 0700);
	snprintf(inst, sizeof(inst), "--instance=%s", instance);
	snprintf(sd, sizeof(sd), "--state-dir=%s", dir);
	snprintf(u, sizeof(u), "--udp-listen=127.0.0.1:%u", port);
	snprintf(t, sizeof(t), "--tcp-listen=127.0.0.1:%u", port);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		execl(penchantd, penchantd, inst, sd, u, t, "--forward-listen=",
		    "--http-listen=", "--rank-listen=", "--no-snapshot",
		    "--shards=1", "--ring-depth=65536", "--log-level=warn",
		    (char *)NULL);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr,
		    "usage: net_bench PENCHANTD [--seconds S] [--runs R] [--only udp1|udp16|tcp]\n");
		return 2;
	}
	struct env e = { .secs = 2.0 };
	unsigned runs = 3;
	const char *only = NULL;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			e.secs = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--runs"))
			runs = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--only"))
			only = argv[i + 1];
	}
	if (runs < 1 || runs > 9)
		runs = 3;
	char instance[64], dir[128];
	snprintf(instance, sizeof(instance), "netbench-%d", (int)getpid());
	e.instance = instance;
	e.port = 20000 + (unsigned)getpid() % 20000;
	e.base_port = e.port + 1;
	pid_t d = _start(argv[1], instance, e.port, dir);
	for (unsigned t = 0; t < 500; t++) {
		if (pen_open(instance, &e.p, NULL, 0) == 0) {
			e.r = client_region(e.p);
			const struct reg_proc *a =
			    reg_proc(e.r, reg_proc_acceptor(e.r));
			if (e.r->hdr->state == REG_RUNNING && a->ready &&
			    a->pid)
				break;
			pen_close(&e.p);
		}
		_sleep_ms(20);
	}
	if (!e.p) {
		fprintf(stderr, "net_bench: penchantd did not start\n");
		kill(d, SIGKILL);
		return 1;
	}
	int bad = 0;
	static const unsigned pers[2] = { 1, 16 };
	for (unsigned v = 0; v < 2; v++) {
		const char *name = pers[v] == 1 ? "udp1" : "udp16";
		if (only && strcmp(only, name))
			continue;
		struct dgrams dg;
		_dgrams(&dg, 4096, pers[v]);
		struct result ra[9], rb[9];
		for (unsigned i = 0; i < runs; i++) {
			ra[i] = _run_udp_acceptor(&e, &dg, pers[v]);
			rb[i] = _run_udp_baseline(&e, &dg, pers[v]);
		}
		struct result a = _median(ra, runs), b = _median(rb, runs);
		printf(
		    "%-6s acceptor: sent %.2fM ev/s, accepted %.2fM ev/s, applied %.2fM ev/s, dropped %.0f | recvmmsg baseline: applied %.2fM ev/s, dropped %.0f | ratio %.2f%s\n",
		    name, a.sent / 1e6, a.accepted / 1e6, a.applied / 1e6,
		    a.dropped, b.applied / 1e6, b.dropped,
		    b.applied > 0 ? a.applied / b.applied : 0.0,
		    a.ok && b.ok ? "" : "  CHECK FAILED");
		bad |= !(a.ok && b.ok);
		free(dg.buf);
		free(dg.len);
	}
	if (!only || !strcmp(only, "tcp")) {
		struct result rt[9];
		for (unsigned i = 0; i < runs; i++)
			rt[i] = _run_tcp(&e, 4);
		struct result t = _median(rt, runs);
		printf(
		    "tcp4   acceptor: sent %.2fM ev/s, accepted %.2fM ev/s, applied %.2fM ev/s, dropped 0%s\n",
		    t.sent / 1e6, t.accepted / 1e6, t.applied / 1e6,
		    t.ok ? "" : "  CHECK FAILED");
		bad |= !t.ok;
	}
	pen_close(&e.p);
	kill(d, SIGTERM);
	waitpid(d, NULL, 0);
	/* What penchantd keeps in its state_dir: snapshot, key, audit. */
	static const char *const kept[] = { "snap", "key", "audit" };
	for (unsigned i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s.%s", dir, instance,
		    kept[i]);
		unlink(path);
	}
	rmdir(dir);
	return bad;
}
