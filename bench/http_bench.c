/*
 * http-bench: the rank API server under a paced load of POST /v1/rank,
 * against the same client driving a trivial responder (GET /v1/health of
 * the same server) at the same pace, so the engine's share of the latency
 * is visible beside HTTP's and the machine's.
 *
 *   http-bench PENCHANTD [--rate R] [--seconds S] [--runs N]
 *       [--connections C] [--candidates M] [--k K] [--strategy NAME]
 *       [--threads T] [--users U] [--items I] [--only rank|health]
 *
 * Starts its own penchantd (one shard, rank API on a free loopback port,
 * server_threads T), loads a catalog of I items (20 categories, 3 of 100
 * tags each) straight into the region, publishes 10 events for each of U
 * users through libpenchant and waits until they are applied.
 *
 * Load: one client thread, C keep-alive connections, open loop: request i
 * is due at t0 + i / R and goes out on the first idle connection; latency
 * is from when it was due (not when a connection freed up) to the last
 * byte of its answer, so queueing in the client counts and a stall is not
 * hidden. The first 10 % of each run are warm-up. Requests cycle through
 * 512 pre-built bodies: a random user, M distinct random catalog items
 * with random base scores, options {strategy, k}. Each run reports
 * p50/p99/p99.9, the achieved answer rate, the client's own send lag
 * (due -> written; its p99 is the part of the tail the client and the
 * machine's wake-up latency add before the server sees anything), and the
 * CPU use of the server process (also per answer: what to compare
 * builds by when the rate is not reached) and of the client, and the
 * cores the whole machine kept busy meanwhile (/proc/stat: on a small
 * machine they share the cores; what is above server + client is other
 * work, whose share explains a noisy tail); variants alternate (health,
 * rank, health, ...) and each line gives the medians over the runs.
 *
 * Checks: every answer is 200; health answers say "ok"; every 16th rank
 * answer holds a request id and exactly min(K, M) results, and the first
 * 32 rank answers name only candidates of their own request. A failure
 * exits 1; a server without a ranker (501) exits 77.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "engine/event.h"
#include "ipc/client.h"
#include "shm/catalog.h"
#include "shm/region.h"

#define _BODIES 512
#define _CATS 20
#define _TAGS 100
#define _RBUF (1 << 20)

struct opts {
	double rate, seconds;
	unsigned runs, conns, cands, k, threads, users, items;
	const char *strategy;
	const char *only; /* "rank" or "health": one variant */
};

struct req {
	char *bytes; /* the whole HTTP request */
	size_t len;
	const char *body;
};

struct conn {
	int fd;
	bool busy;
	unsigned req; /* index into the bodies */
	int64_t due;  /* ns: when its request was due */
	size_t sent;  /* bytes of the request written */
	char *rbuf;
	size_t rlen;
};

struct result {
	double achieved, p50, p99, p999; /* /s, us, us, us */
	double cpu, client_cpu;		 /* cores: server process, this one */
	double cpu_us;			 /* server CPU per answer, us */
	double busy;  /* cores the whole machine used (/proc/stat) */
	double lag99; /* us: p99 of due -> sent (the client's own delay) */
	uint64_t answers;
	bool ok;
};

static uint64_t _rng = 0x9e3779b97f4a7c15ULL;
static uint64_t _next(void)
{
	_rng ^= _rng << 13;
	_rng ^= _rng >> 7;
	_rng ^= _rng << 17;
	return _rng;
}

static int64_t _now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void _sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static unsigned _free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* ---- the engine ------------------------------------------------------- */

static pid_t _start(const char *penchantd, const char *instance,
    const char *dir, unsigned port, unsigned threads)
{
	char inst[96], sd[160], http[64], th[48], logf[200];
	snprintf(inst, sizeof(inst), "--instance=%s", instance);
	snprintf(sd, sizeof(sd), "--state-dir=%s", dir);
	snprintf(http, sizeof(http), "--http-listen=127.0.0.1:%u", port);
	snprintf(th, sizeof(th), "--server-threads=%u", threads);
	snprintf(logf, sizeof(logf), "%s/penchantd.log", dir);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execl(penchantd, penchantd, inst, sd, http, th,
		    "--rank-listen=", "--udp-listen=", "--tcp-listen=",
		    "--forward-listen=", "--no-snapshot", "--shards=1",
		    "--max-connections=4096", "--log-level=warn", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int _catalog(const struct reg *r, unsigned items)
{
	char err[256], name[32];
	int rc = cat_lock(r, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "http-bench: catalog: %s\n", err);
		return rc;
	}
	for (unsigned c = 0; c < _CATS && !rc; c++) {
		int n = snprintf(name, sizeof(name), "cat%u", c);
		rc = cat_name_put(r, NAME_CATEGORY, evt_tag_id(name, (size_t)n),
		    name, (size_t)n);
	}
	for (unsigned t = 0; t < _TAGS && (!rc || rc == -EEXIST); t++) {
		int n = snprintf(name, sizeof(name), "tag%u", t);
		rc = cat_name_put(r, NAME_TAG, evt_tag_id(name, (size_t)n),
		    name, (size_t)n);
	}
	for (unsigned i = 0; i < items && (!rc || rc == -EEXIST); i++) {
		struct cat_item it;
		memset(&it, 0, sizeof(it));
		int n = snprintf(name, sizeof(name), "cat%u", i % _CATS);
		it.item.category = evt_tag_id(name, (size_t)n);
		for (unsigned t = 0; t < 3; t++) {
			n = snprintf(name, sizeof(name), "tag%u",
			    (i * 7 + t * 31) % _TAGS);
			it.item.tags[it.item.n_tags++] =
			    evt_tag_id(name, (size_t)n);
		}
		it.price_level = 255;
		n = snprintf(name, sizeof(name), "i%u", i);
		rc = cat_put(r, evt_entity_key(name, (size_t)n), &it);
	}
	cat_unlock(r);
	if (rc && rc != -EEXIST)
		fprintf(stderr, "http-bench: catalog: %s\n", strerror(-rc));
	return rc == -EEXIST ? 0 : rc;
}

/* 10 events per user: each user leans to two categories. */
static int _events(pen_t *p, unsigned users, unsigned items)
{
	static const char *const types[] = { "view", "click", "rsvp", "save" };
	int64_t now = (int64_t)time(NULL) * 1000;
	char user[32], ent[32], err[256];
	for (unsigned u = 0; u < users; u++) {
		snprintf(user, sizeof(user), "user%u", u);
		for (unsigned e = 0; e < 10; e++) {
			unsigned cat = (u + (e % 3 == 0 ? 7 : 0)) % _CATS;
			unsigned item =
			    (unsigned)(_next() % (items / _CATS)) * _CATS + cat;
			snprintf(ent, sizeof(ent), "i%u", item);
			struct pen_event ev = { .user_id = user,
				.event_type = types[e % 4],
				.entity_id = ent,
				.time_ms = now - (int64_t)(10 - e) * 3600000 };
			int rc = pen_publish(p, &ev, 0, err, sizeof(err));
			if (rc) {
				fprintf(stderr, "http-bench: publish: %s\n",
				    err[0] ? err : pen_strerror(rc));
				return rc;
			}
		}
	}
	return pen_flush(p, 60000);
}

/* ---- requests --------------------------------------------------------- */

static void _bodies(const struct opts *o, struct req *rank, struct req *health)
{
	size_t cap = 256 + (size_t)o->cands * 64;
	char *body = malloc(cap);
	unsigned *pick = malloc(o->items * sizeof(*pick));
	if (!body || !pick)
		abort();
	for (unsigned b = 0; b < _BODIES; b++) {
		for (unsigned i = 0; i < o->items; i++)
			pick[i] = i;
		size_t n = (size_t)snprintf(body, cap,
		    "{\"user_id\":\"user%u\",\"context\":{\"device\":\"mobile\"},\"candidates\":[",
		    (unsigned)(_next() % o->users));
		for (unsigned c = 0; c < o->cands; c++) {
			unsigned j = c + (unsigned)(_next() % (o->items - c));
			unsigned t = pick[c];
			pick[c] = pick[j];
			pick[j] = t;
			n += (size_t)snprintf(body + n, cap - n,
			    "%s{\"entity_id\":\"i%u\",\"score\":%.3f}",
			    c ? "," : "", pick[c],
			    (double)(_next() % 1000) / 1000.0);
		}
		n += (size_t)snprintf(body + n, cap - n,
		    "],\"options\":{\"strategy\":\"%s\",\"k\":%u}}",
		    o->strategy, o->k);
		struct req *q = &rank[b];
		q->bytes = malloc(n + 256);
		if (!q->bytes)
			abort();
		int h = snprintf(q->bytes, 256,
		    "POST /v1/rank HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
		    n);
		memcpy(q->bytes + h, body, n);
		q->len = (size_t)h + n;
		q->body = q->bytes + h;
		q->bytes[q->len] = 0;
	}
	static char hq[] = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	health->bytes = hq;
	health->len = strlen(hq);
	health->body = "";
	free(body);
	free(pick);
}

/* ---- the load --------------------------------------------------------- */

static double _cpu_s(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	/* fields after the name: state(3) ... utime(14) stime(15) */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		&ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU time the whole machine has spent, s (all cores, but idle and
 * iowait): beside the server's and the client's, what other work took. */
static double _busy_s(void)
{
	FILE *f = fopen("/proc/stat", "r");
	unsigned long long v[8] = { 0 };
	if (!f)
		return 0;
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8)
		return 0;
	unsigned long long busy =
	    v[0] + v[1] + v[2] + v[5] + v[6] + v[7]; /* not idle, iowait */
	return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

static int _cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static bool _connect(struct conn *c, unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return false;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	return true;
}

/* A complete answer at the front of c->rbuf: its size, or 0. */
static size_t _answer(struct conn *c, int *status, const char **body,
    size_t *blen)
{
	c->rbuf[c->rlen] = 0;
	char *e = strstr(c->rbuf, "\r\n\r\n");
	if (!e)
		return 0;
	size_t head = (size_t)(e + 4 - c->rbuf);
	*e = 0;
	const char *cl = strcasestr(c->rbuf, "\r\ncontent-length:");
	*e = '\r';
	if (!cl || strncmp(c->rbuf, "HTTP/1.1 ", 9))
		return (size_t)-1;
	size_t len = strtoull(cl + 17, NULL, 10);
	if (c->rlen < head + len)
		return 0;
	*status = atoi(c->rbuf + 9);
	*body = c->rbuf + head;
	*blen = len;
	return head + len;
}

static unsigned _count(const char *s, size_t len, const char *needle)
{
	unsigned n = 0;
	size_t nl = strlen(needle);
	for (const char *p = s;
	     (p = memmem(p, len - (size_t)(p - s), needle, nl)); p += nl)
		n++;
	return n;
}

/* Every entity id of the answer is a candidate of its request. */
static bool _ids_from(const char *ans, size_t len, const char *reqbody)
{
	char id[64];
	for (const char *p = ans; (p = memmem(p, len - (size_t)(p - ans),
				       "\"entity_id\":\"", 13));) {
		p += 13;
		const char *q = memchr(p, '"', len - (size_t)(p - ans));
		if (!q || q - p > 40)
			return false;
		snprintf(id, sizeof(id), "\"entity_id\":\"%.*s\"", (int)(q - p),
		    p);
		if (!strstr(reqbody, id))
			return false;
	}
	return true;
}

/*
 * One run: paced requests from reqs[] (n of them cycling) for o->seconds.
 * 501 from the server sets *no_ranker.
 */
static struct result _run(const struct opts *o, unsigned port, pid_t srv,
    const struct req *reqs, unsigned nreq, bool rank, bool *no_ranker)
{
	struct result res = { .ok = true };
	unsigned nc = o->conns;
	struct conn *cs = calloc(nc, sizeof(*cs));
	unsigned *idle = malloc(nc * sizeof(*idle)), nidle = 0;
	uint64_t total = (uint64_t)(o->rate * o->seconds);
	int64_t *lat = malloc((total + 1) * sizeof(*lat));
	int64_t *lag = malloc((total + 1) * sizeof(*lag));
	uint64_t nlag = 0;
	int64_t *queue = malloc((total + 1) * sizeof(*queue));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cs || !idle || !lat || !lag || !queue || ep < 0)
		abort();
	for (unsigned i = 0; i < nc; i++) {
		cs[i].rbuf = malloc(_RBUF + 1);
		if (!cs[i].rbuf || !_connect(&cs[i], port)) {
			fprintf(stderr, "http-bench: cannot connect\n");
			res.ok = false;
			goto out;
		}
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
		idle[nidle++] = nc - 1 - i;
	}
	int64_t interval = (int64_t)(1e9 / o->rate);
	int64_t t0 = _now_ns() + 20000000;
	uint64_t warm = total / 10, due_i = 0, qhead = 0, qtail = 0, done = 0,
		 nlat = 0, checked = 0;
	double cpu0 = _cpu_s(srv), self0 = _cpu_s(getpid()), busy0 = _busy_s();
	int64_t w0 = 0, w1 = 0;
	while (done < total && res.ok) {
		int64_t now = _now_ns();
		while (due_i < total && t0 + (int64_t)due_i * interval <= now)
			queue[qtail++] = t0 + (int64_t)(due_i++) * interval;
		while (qhead < qtail && nidle) {
			struct conn *c = &cs[idle[--nidle]];
			c->busy = true;
			c->due = queue[qhead];
			if (qhead >= total / 10)
				lag[nlag++] = now - c->due;
			c->req = (unsigned)(qhead % nreq);
			c->sent = 0;
			qhead++;
			const struct req *q = &reqs[c->req];
			ssize_t w = send(c->fd, q->bytes, q->len, MSG_NOSIGNAL);
			if (w < 0 && errno != EAGAIN) {
				res.ok = false;
				break;
			}
			c->sent = w > 0 ? (size_t)w : 0;
			if (c->sent < q->len) {
				struct epoll_event ev = { .events = EPOLLIN |
					    EPOLLOUT,
					.data.u32 = (uint32_t)(c - cs) };
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
		}
		if (qtail - qhead > 100000) {
			fprintf(stderr,
			    "http-bench: the server falls behind the offered rate (100000 requests queued)\n");
			res.ok = false;
			break;
		}
		struct timespec ts = { 0, 10000000 };
		if (due_i < total && (!nidle || qhead == qtail)) {
			int64_t wait = t0 + (int64_t)due_i * interval - now;
			ts.tv_nsec = wait > 0 ? wait : 0;
			if (ts.tv_nsec > 10000000)
				ts.tv_nsec = 10000000;
		} else if (qhead < qtail && nidle) {
			ts.tv_nsec = 0;
		}
		struct epoll_event evs[64];
		int n = epoll_pwait2(ep, evs, 64, &ts, NULL);
		for (int e = 0; e < n; e++) {
			struct conn *c = &cs[evs[e].data.u32];
			const struct req *q = &reqs[c->req];
			if ((evs[e].events & EPOLLOUT) && c->sent < q->len) {
				ssize_t w = send(c->fd, q->bytes + c->sent,
				    q->len - c->sent, MSG_NOSIGNAL);
				if (w > 0)
					c->sent += (size_t)w;
				if (c->sent == q->len) {
					struct epoll_event ev = { .events =
								      EPOLLIN,
						.data.u32 = evs[e].data.u32 };
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd,
					    &ev);
				}
			}
			if (!(evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			ssize_t r =
			    recv(c->fd, c->rbuf + c->rlen, _RBUF - c->rlen, 0);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				fprintf(stderr,
				    "http-bench: the server closed a connection\n");
				res.ok = false;
				break;
			}
			c->rlen += (size_t)r;
			int status;
			const char *body;
			size_t blen, used = _answer(c, &status, &body, &blen);
			if (used == (size_t)-1) {
				fprintf(stderr, "http-bench: not HTTP/1.1\n");
				res.ok = false;
				break;
			}
			if (!used)
				continue;
			int64_t t = _now_ns();
			if (!c->busy || status != 200) {
				if (status == 501)
					*no_ranker = true;
				else
					fprintf(stderr,
					    "http-bench: status %d: %.*s\n",
					    status,
					    (int)(blen < 300 ? blen : 300),
					    body);
				res.ok = false;
				break;
			}
			if (!rank &&
			    !memmem(body, blen, "\"status\":\"ok\"", 13))
				res.ok = false;
			if (rank && done % 16 == 0) {
				unsigned want =
				    o->k && o->k < o->cands ? o->k : o->cands;
				if (!memmem(body, blen, "\"request_id\":\"",
					14) ||
				    _count(body, blen, "\"entity_id\":") !=
					want ||
				    (checked < 32 &&
					!_ids_from(body, blen, q->body))) {
					fprintf(stderr,
					    "http-bench: a wrong answer: %.*s\n",
					    (int)(blen < 300 ? blen : 300),
					    body);
					res.ok = false;
				}
				checked++;
			}
			if (done >= warm) {
				if (!w0)
					w0 = t;
				w1 = t;
				lat[nlat++] = t - c->due;
			}
			done++;
			memmove(c->rbuf, c->rbuf + used, c->rlen - used);
			c->rlen -= used;
			c->busy = false;
			idle[nidle++] = evs[e].data.u32;
		}
	}
	if (w1 > w0) {
		double wall = (double)(w1 - t0) / 1e9;
		double used = _cpu_s(srv) - cpu0;
		res.cpu = used / wall;
		res.client_cpu = (_cpu_s(getpid()) - self0) / wall;
		res.busy = (_busy_s() - busy0) / wall;
		res.cpu_us = done ? used / (double)done * 1e6 : 0;
	}
	res.answers = done;
	if (nlat > 1 && w1 > w0) {
		qsort(lat, nlat, sizeof(*lat), _cmp64);
		res.achieved = (double)(nlat - 1) / ((double)(w1 - w0) / 1e9);
		res.p50 = (double)lat[nlat / 2] / 1000;
		res.p99 = (double)lat[(size_t)((double)nlat * 0.99)] / 1000;
		res.p999 = (double)lat[(size_t)((double)nlat * 0.999)] / 1000;
	}
	if (nlag > 1) {
		qsort(lag, nlag, sizeof(*lag), _cmp64);
		res.lag99 = (double)lag[(size_t)((double)nlag * 0.99)] / 1000;
	}
out:
	for (unsigned i = 0; i < nc; i++) {
		if (cs[i].fd > 0)
			close(cs[i].fd);
		free(cs[i].rbuf);
	}
	close(ep);
	free(cs);
	free(idle);
	free(lat);
	free(lag);
	free(queue);
	return res;
}

static int _cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of field f over n results. */
static double _median(const struct result *r, unsigned n, size_t off)
{
	double v[16];
	for (unsigned i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)&r[i] + off);
	qsort(v, n, sizeof(double), _cmpd);
	return v[n / 2];
}

static void _print(const char *name, const struct result *r, unsigned n,
    const struct opts *o)
{
	printf(
	    "http-bench %-30s offered %6.0f/s achieved %6.0f/s  p50 %7.1f us  p99 %7.1f us  p99.9 %7.1f us  client send lag p99 %6.1f us  cpu: server %.2f (%.1f us an answer), client %.2f, whole machine %.2f cores  (median of %u)\n",
	    name, o->rate, _median(r, n, offsetof(struct result, achieved)),
	    _median(r, n, offsetof(struct result, p50)),
	    _median(r, n, offsetof(struct result, p99)),
	    _median(r, n, offsetof(struct result, p999)),
	    _median(r, n, offsetof(struct result, lag99)),
	    _median(r, n, offsetof(struct result, cpu)),
	    _median(r, n, offsetof(struct result, cpu_us)),
	    _median(r, n, offsetof(struct result, client_cpu)),
	    _median(r, n, offsetof(struct result, busy)), n);
}

int main(int argc, char **argv)
{
	struct opts o = { .rate = 10000,
		.seconds = 5,
		.runs = 3,
		.conns = 64,
		.cands = 200,
		.k = 20,
		.threads = 2,
		.users = 10000,
		.items = 2000,
		.strategy = "full" };
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr,
		    "usage: http-bench PENCHANTD [--rate R] [--seconds S] [--runs N] [--connections C] [--candidates M] [--k K] [--strategy NAME] [--threads T] [--users U] [--items I] [--only rank|health]\n");
		return 2;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];
		if (!strcmp(a, "--rate"))
			o.rate = atof(v);
		else if (!strcmp(a, "--seconds"))
			o.seconds = atof(v);
		else if (!strcmp(a, "--runs"))
			o.runs = (unsigned)atoi(v);
		else if (!strcmp(a, "--connections"))
			o.conns = (unsigned)atoi(v);
		else if (!strcmp(a, "--candidates"))
			o.cands = (unsigned)atoi(v);
		else if (!strcmp(a, "--k"))
			o.k = (unsigned)atoi(v);
		else if (!strcmp(a, "--strategy"))
			o.strategy = v;
		else if (!strcmp(a, "--threads"))
			o.threads = (unsigned)atoi(v);
		else if (!strcmp(a, "--users"))
			o.users = (unsigned)atoi(v);
		else if (!strcmp(a, "--items"))
			o.items = (unsigned)atoi(v);
		else if (!strcmp(a, "--only"))
			o.only = v;
		else {
			fprintf(stderr, "http-bench: unknown option %s\n", a);
			return 2;
		}
	}
	if (o.rate < 1 || o.seconds <= 0 || o.runs < 1 || o.runs > 15 ||
	    o.conns < 1 || o.cands < 1 || o.items < o.cands ||
	    o.items < _CATS || o.users < 1 || o.threads < 1) {
		fprintf(stderr, "http-bench: bad option values\n");
		return 2;
	}
	prctl(PR_SET_TIMERSLACK, 1UL); /* pacing needs fine sleeps */
	char instance[64], dir[128];
	snprintf(instance, sizeof(instance), "httpbench-%d", (int)getpid());
	snprintf(dir, sizeof(dir), "/tmp/penchant-%s", instance);
	mkdir(dir, 0700);
	unsigned port = _free_port();
	pid_t d = _start(argv[1], instance, dir, port, o.threads);
	pen_t *p = NULL;
	const struct reg_proc *sp = NULL;
	for (unsigned t = 0; t < 500 && d > 0; t++) {
		if (!p && pen_open(instance, &p, NULL, 0))
			p = NULL;
		if (p) {
			const struct reg *r = client_region(p);
			sp = reg_proc(r, reg_proc_server(r));
			if (r->hdr->state == REG_RUNNING && sp->pid &&
			    sp->ready)
				break;
		}
		_sleep_ms(20);
	}
	int rc = 1;
	if (!p || !sp || !sp->ready) {
		fprintf(stderr,
		    "http-bench: penchantd did not start (log: %s/penchantd.log)\n",
		    dir);
		goto out;
	}
	pid_t srv = sp->pid;
	int64_t t = _now_ns();
	if (_catalog(client_region(p), o.items) || _events(p, o.users, o.items))
		goto out;
	printf(
	    "http-bench: %u items, %u users, %u events applied in %.1f s; server pid %d, server_threads %u, %u connections, %u candidates per request, k %u, strategy %s, %.0f s runs\n",
	    o.items, o.users, o.users * 10, (double)(_now_ns() - t) / 1e9,
	    (int)srv, o.threads, o.conns, o.cands, o.k, o.strategy, o.seconds);
	fflush(stdout);
	struct req *rank = calloc(_BODIES, sizeof(*rank)), health;
	if (!rank)
		goto out;
	_bodies(&o, rank, &health);
	struct result rh[16], rr[16];
	bool no_ranker = false, ok = true;
	bool do_h = !o.only || !strcmp(o.only, "health"),
	     do_r = !o.only || !strcmp(o.only, "rank");
	memset(rh, 0, sizeof(rh));
	memset(rr, 0, sizeof(rr));
	for (unsigned r = 0; r < o.runs && ok; r++) {
		if (do_h)
			rh[r] =
			    _run(&o, port, srv, &health, 1, false, &no_ranker);
		if (do_r)
			rr[r] = _run(&o, port, srv, rank, _BODIES, true,
			    &no_ranker);
		ok = (!do_h || rh[r].ok) && (!do_r || rr[r].ok);
		if (no_ranker)
			break;
	}
	if (no_ranker) {
		printf(
		    "http-bench: the server has no ranker (501 from POST /v1/rank): nothing to measure\n");
		rc = 77;
	} else if (ok) {
		char name[64];
		if (do_h)
			_print("health (baseline)", rh, o.runs, &o);
		snprintf(name, sizeof(name), "rank %u cand k %u %s", o.cands,
		    o.k, o.strategy);
		if (do_r)
			_print(name, rr, o.runs, &o);
		if (do_h && do_r)
			printf(
			    "http-bench engine share (rank - health): p50 %+.1f us, p99 %+.1f us, p99.9 %+.1f us\n",
			    _median(rr, o.runs, offsetof(struct result, p50)) -
				_median(rh, o.runs,
				    offsetof(struct result, p50)),
			    _median(rr, o.runs, offsetof(struct result, p99)) -
				_median(rh, o.runs,
				    offsetof(struct result, p99)),
			    _median(rr, o.runs, offsetof(struct result, p999)) -
				_median(rh, o.runs,
				    offsetof(struct result, p999)));
		rc = 0;
	}
	for (unsigned i = 0; i < _BODIES; i++)
		free(rank[i].bytes);
	free(rank);
out:
	pen_close(&p);
	if (d > 0) {
		kill(d, SIGTERM);
		waitpid(d, NULL, 0);
	}
	char path[200];
	snprintf(path, sizeof(path), "%s/penchantd.log", dir);
	if (rc == 0)
		unlink(path);
	rmdir(dir);
	return rc;
}
