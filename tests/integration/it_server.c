/*
 * it_server: the rank API server of a real penchantd on free loopback
 * ports, driven by curl, python3 urllib and python3-msgpack.
 *
 * Mode "basic": health; GET /v1/profile answers what `penchant profile
 * --json` prints (URL-encoded ids too); 404 for unknown routes and users,
 * 405 for wrong methods; 4xx with field and reason for malformed JSON,
 * missing user_id, too many candidates, NaN and negative scores, unknown
 * strategy; 413 for oversized bodies with Content-Length and chunked;
 * msgpack error maps keep the connection, garbage closes it; counters in
 * `penchant status`; kill -9 of the server is restarted and serves; a
 * second instance whose http_listen port is held retries quietly.
 *
 * Mode "rank": POST /v1/rank over curl and urllib and rank requests over
 * msgpack: 200, a request id, factors, and the candidate of the user's
 * strong category first under strategy "profile"; again after kill -9.
 * Answers on kept-alive connections: each names only its own request's
 * candidates, whether requests come one by one, pipelined, or while
 * another connection of the same thread is slow to read its answer.
 *
 * Args: PENCHANTD PENCHANT CLIENT_PY [basic|rank].
 */
#include <ctype.h>
#include <math.h>
#include <poll.h>
#include <stddef.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "harness.h"
#include "ipc/json.h"

#define CURL "/usr/bin/curl"
#define PY "/usr/bin/python3"
#define MAX_BODY 65536
#define MAX_CANDS 50

struct sx {
	struct hx h;
	const char *client_py;
	unsigned http_port, rank_port;
	pen_t *p;
	const struct reg *r;
	char file[192]; /* scratch file for bodies */
};

static char out[1 << 20], err[1 << 16];

static bool _has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static void _write(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	REQUIRE(f);
	REQUIRE(fwrite(data, 1, len, f) == len);
	fclose(f);
}

static const struct reg_proc *_srv(struct sx *s)
{
	return reg_proc(s->r, reg_proc_server(s->r));
}

/* Waits until a server other than old_pid is up and ready; its pid. */
static int _wait_server(struct sx *s, int old_pid)
{
	const struct reg_proc *p = _srv(s);
	for (int i = 0; i < 1000; i++) {
		int pid = ck_pr_load_int((int *)&p->pid);
		if (pid && pid != old_pid &&
		    ck_pr_load_uint((unsigned *)&p->ready))
			return pid;
		hx_sleep_ms(10);
	}
	REQUIRE(!"the server came up");
	return 0;
}

static uint64_t _pctr(pen_t *p, unsigned k)
{
	const struct reg *r = client_region(p);
	return ck_pr_load_64(
	    (uint64_t *)&reg_proc(r, reg_proc_server(r))->counters[k]);
}

static uint64_t _ctr(struct sx *s, unsigned k)
{
	return _pctr(s->p, k);
}

/*
 * curl: METHOD path [body] [header]; the body of the answer into out,
 * the status returned (0 when curl got no answer at all).
 */
static int _curl(struct sx *s, const char *method, const char *path,
    const char *body, size_t len, const char *header)
{
	char url[256], bodyf[200], outf[200];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", s->http_port, path);
	snprintf(bodyf, sizeof(bodyf), "%s.body", s->file);
	snprintf(outf, sizeof(outf), "%s.out", s->file);
	unlink(outf);
	const char *argv[20] = { CURL, "-s", "-o", outf, "-w", "%{http_code}",
		"-X", method };
	int n = 8;
	char data[220];
	if (body) {
		_write(bodyf, body, len);
		snprintf(data, sizeof(data), "@%s", bodyf);
		argv[n++] = "--data-binary";
		argv[n++] = data;
		argv[n++] = "-H";
		argv[n++] = "Content-Type: application/json";
	}
	if (header) {
		argv[n++] = "-H";
		argv[n++] = header;
	}
	argv[n++] = url;
	argv[n] = NULL;
	char code[64];
	hx_runv(NULL, 0, code, sizeof(code), NULL, 0, argv);
	FILE *f = fopen(outf, "r");
	size_t got = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	out[got] = 0;
	if (f)
		fclose(f);
	return atoi(code);
}

/* A 4xx whose JSON body names field (NULL: null) and starts with reason. */
static void _refused(int status, int want, const char *field,
    const char *reason)
{
	char f[128], r[128];
	CHECK_EQ_INT(status, want);
	if (field)
		snprintf(f, sizeof(f), "\"field\":\"%s\"", field);
	else
		snprintf(f, sizeof(f), "\"field\":null");
	snprintf(r, sizeof(r), "{\"error\":\"%s: ", reason);
	CHECK(_has(out, f));
	CHECK(!strncmp(out, r, strlen(r)));
	if (status != want || !_has(out, f) || strncmp(out, r, strlen(r)))
		fprintf(stderr, "  got %d %s\n", status, out);
}

/* ---- setup -------------------------------------------------------------- */

static void _start(struct sx *s, const char *name, int argc, char **argv)
{
	char http[64], rank[64];
	memset(s, 0, sizeof(*s));
	hx_init(&s->h, name, argc, argv);
	s->client_py = argv[3];
	s->http_port = hx_free_port();
	do
		s->rank_port = hx_free_port();
	while (s->rank_port == s->http_port);
	snprintf(s->file, sizeof(s->file), "%s/x", s->h.state_dir);
	snprintf(http, sizeof(http), "--http-listen=127.0.0.1:%u",
	    s->http_port);
	snprintf(rank, sizeof(rank), "--rank-listen=127.0.0.1:%u",
	    s->rank_port);
	char maxb[64], maxc[64];
	snprintf(maxb, sizeof(maxb), "--max-request-bytes=%u", MAX_BODY);
	snprintf(maxc, sizeof(maxc), "--max-candidates=%u", MAX_CANDS);
	const char *flags[] = { "--shards=2", "--no-snapshot",
		"--udp-listen=", "--tcp-listen=", "--forward-listen=", http,
		rank, maxb, maxc, "--server-threads=2", NULL };
	hx_start(&s->h, flags);
	REQUIRE(pen_open(s->h.instance, &s->p, NULL, 0) == 0);
	s->r = client_region(s->p);
	_wait_server(s, 0);
}

/*
 * Catalog: music m0..m9, sports s0..s9, food f0..f9. alice acts on music
 * only; "carol k/ü" (a user id that needs URL encoding) on food.
 */
static void _feed(struct sx *s)
{
	static const char *const cats[3] = { "music", "sports", "food" };
	static const char *const tags[3] = { "jazz", "football", "ramen" };
	char lines[8192];
	size_t n = 0;
	for (unsigned c = 0; c < 3; c++)
		for (unsigned i = 0; i < 10; i++)
			n += (size_t)snprintf(lines + n, sizeof(lines) - n,
			    "{\"id\":\"%c%u\",\"category\":\"%s\",\"tags\":[\"%s\"]}\n",
			    cats[c][0], i, cats[c], tags[c]);
	CHECK_EQ_INT(hx_cli(&s->h, lines, n, out, sizeof(out), err, sizeof(err),
			 "catalog", "load", "-", NULL),
	    0);
	int64_t now = (int64_t)time(NULL) * 1000;
	n = 0;
	for (unsigned i = 0; i < 30; i++)
		n += (size_t)snprintf(lines + n, sizeof(lines) - n,
		    "{\"user_id\":\"alice\",\"event_type\":\"%s\",\"entity_id\":\"m%u\",\"timestamp\":%lld}\n",
		    i % 3 ? "click" : "rsvp", i % 10,
		    (long long)(now - (30 - i) * 60000));
	for (unsigned i = 0; i < 5; i++)
		n += (size_t)snprintf(lines + n, sizeof(lines) - n,
		    "{\"user_id\":\"carol k/\xc3\xbc\",\"event_type\":\"save\",\"entity_id\":\"f%u\",\"timestamp\":%lld}\n",
		    i, (long long)(now - (5 - i) * 60000));
	CHECK_EQ_INT(hx_cli(&s->h, lines, n, out, sizeof(out), err, sizeof(err),
			 "send", NULL),
	    0);
	CHECK(hx_wait_drained(s->r, 10000));
}

static void _stop(struct sx *s)
{
	pen_close(&s->p);
	int st = hx_stop(&s->h);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hx_cleanup(&s->h);
}

/* ---- basic ------------------------------------------------------------ */

static void _profile(struct sx *s)
{
	static char cli[1 << 16];
	CHECK_EQ_INT(hx_cli(&s->h, NULL, 0, cli, sizeof(cli), err, sizeof(err),
			 "profile", "alice", "--json", NULL),
	    0);
	CHECK_EQ_INT(_curl(s, "GET", "/v1/profile/alice", NULL, 0, NULL), 200);
	CHECK(!strcmp(out, cli));
	if (strcmp(out, cli))
		fprintf(stderr, "  http: %.200s\n  cli:  %.200s\n", out, cli);
	CHECK_EQ_INT(hx_cli(&s->h, NULL, 0, cli, sizeof(cli), err, sizeof(err),
			 "profile", "carol k/\xc3\xbc", "--json", NULL),
	    0);
	CHECK_EQ_INT(_curl(s, "GET", "/v1/profile/carol%20k%2F%C3%BC", NULL, 0,
			 NULL),
	    200);
	CHECK(!strcmp(out, cli));
	/* urllib sees the same bytes */
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/profile/alice",
	    s->http_port);
	const char *py[] = { PY, s->client_py, "http", url, NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), py),
	    0);
	CHECK(!strncmp(out, "200\n", 4));
	CHECK_EQ_INT(hx_cli(&s->h, NULL, 0, cli, sizeof(cli), err, sizeof(err),
			 "profile", "alice", "--json", NULL),
	    0);
	CHECK(!strcmp(out + 4, cli));

	_refused(_curl(s, "GET", "/v1/profile/nobody", NULL, 0, NULL), 404,
	    "user", "not_found");
	_refused(_curl(s, "GET", "/v1/profile/", NULL, 0, NULL), 404, "user",
	    "not_found");
	_refused(_curl(s, "GET", "/v1/profile/a%zz", NULL, 0, NULL), 400,
	    "user", "bad_id");
	_refused(_curl(s, "GET", "/v1/profile/a%00b", NULL, 0, NULL), 400,
	    "user", "bad_id");
}

static void _routes(struct sx *s)
{
	CHECK_EQ_INT(_curl(s, "GET", "/v1/health", NULL, 0, NULL), 200);
	CHECK(_has(out, "\"status\":\"ok\""));
	_refused(_curl(s, "GET", "/v2/nothing", NULL, 0, NULL), 404, NULL,
	    "not_found");
	_refused(_curl(s, "GET", "/v1/rank", NULL, 0, NULL), 405, NULL,
	    "method_not_allowed");
	_refused(_curl(s, "POST", "/v1/health", "{}", 2, NULL), 405, NULL,
	    "method_not_allowed");
}

#define ONE "\"candidates\":[{\"entity_id\":\"m1\",\"score\":1}]"

static void _bad_requests(struct sx *s)
{
	uint64_t before = _ctr(s, REG_C_SRV_HTTP_4XX);
	struct {
		const char *body, *field, *reason;
	} cases[] = {
		{ "{\"user_id\":\"alice\",", NULL, "malformed" },
		{ "", NULL, "malformed" },
		{ "[1,2]", NULL, "not_object" },
		{ "{" ONE "}", "user_id", "missing" },
		{ "{\"user_id\":\"alice\",\"candidates\":[{\"entity_id\":\"m1\",\"score\":NaN}]}",
		    NULL, "malformed" },
		{ "{\"user_id\":\"alice\",\"candidates\":[{\"entity_id\":\"m1\",\"score\":-2}]}",
		    "candidates[0].score", "bad_number" },
		{ "{\"user_id\":\"alice\"," ONE
		  ",\"options\":{\"strategy\":\"telepathy\"}}",
		    "options.strategy", "unknown_strategy" },
		{ "{\"user_id\":\"alice\"," ONE
		  ",\"context\":{\"location\":{\"lat\":100,\"lon\":0}}}",
		    "context.location.lat", "bad_location" },
		{ "{\"user_id\":\"alice\"," ONE
		  ",\"options\":{\"diversifier\":\"xqd\"}}",
		    "options.diversifier", "unknown_diversifier" },
		{ "{\"user_id\":\"alice\"," ONE
		  ",\"options\":{\"dppTheta\":2}}",
		    "options.dpp_theta", "bad_number" },
	};
	unsigned n = sizeof(cases) / sizeof(cases[0]);
	for (unsigned i = 0; i < n; i++)
		_refused(_curl(s, "POST", "/v1/rank", cases[i].body,
			     strlen(cases[i].body), NULL),
		    400, cases[i].field, cases[i].reason);
	/* too many candidates */
	static char body[MAX_BODY];
	size_t len = (size_t)snprintf(body, sizeof(body),
	    "{\"user_id\":\"alice\",\"candidates\":[");
	for (unsigned i = 0; i <= MAX_CANDS; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len,
		    "%s{\"entity_id\":\"e%u\",\"score\":1}", i ? "," : "", i);
	len += (size_t)snprintf(body + len, sizeof(body) - len, "]}");
	_refused(_curl(s, "POST", "/v1/rank", body, len, NULL), 400,
	    "candidates", "too_many");
	CHECK(_ctr(s, REG_C_SRV_HTTP_4XX) >= before + n + 1);
}

static void _too_big(struct sx *s)
{
	size_t big = MAX_BODY + 5000, huge = 5 * MAX_BODY;
	char *body = malloc(huge);
	REQUIRE(body);
	memset(body, ' ', huge);
	body[0] = '{';
	body[huge - 1] = '}';
	uint64_t before = _ctr(s, REG_C_SRV_HTTP_TOO_BIG);
	/* Content-Length over the cap: refused before the body is read */
	_refused(_curl(s, "POST", "/v1/rank", body, big, NULL), 413, NULL,
	    "too_big");
	/* chunked: kept up to the cap, the rest dropped, then 413 */
	_refused(_curl(s, "POST", "/v1/rank", body, big,
		     "Transfer-Encoding: chunked"),
	    413, NULL, "too_big");
	/* chunked past 4 x the cap: the connection is cut */
	CHECK_EQ_INT(_curl(s, "POST", "/v1/rank", body, huge,
			 "Transfer-Encoding: chunked"),
	    0);
	CHECK_EQ_INT(_ctr(s, REG_C_SRV_HTTP_TOO_BIG), before + 3);
	/* a small chunked body is read as usual (and refused on content) */
	_refused(_curl(s, "POST", "/v1/rank", "{}", 2,
		     "Transfer-Encoding: chunked"),
	    400, "user_id", "missing");
	free(body);
}

/* Runs server_client.py mp with the JSON array reqs; answers in out. */
static int _mp(struct sx *s, const char *reqs, bool garbage)
{
	char port[16], path[200];
	snprintf(port, sizeof(port), "%u", s->rank_port);
	snprintf(path, sizeof(path), "%s.reqs", s->file);
	_write(path, reqs, strlen(reqs));
	const char *argv[] = { PY, s->client_py, "mp", "127.0.0.1", port, path,
		garbage ? "garbage" : NULL, NULL };
	int rc = hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), argv);
	if (rc)
		fprintf(stderr, "  server_client.py mp: %s\n", err);
	return rc;
}

static void _mp_errors(struct sx *s)
{
	uint64_t bad = _ctr(s, REG_C_SRV_MP_BAD),
		 closed = _ctr(s, REG_C_SRV_MP_CLOSED);
	CHECK_EQ_INT(
	    _mp(s,
		"[{\"user_id\":\"alice\",\"candidates\":[{\"entity_id\":\"m1\",\"score\":NaN}]},"
		"{\"user_id\":\"alice\",\"candidates\":[],\"options\":{}},"
		"{\"candidates\":[{\"entity_id\":\"m1\",\"score\":1}]}]",
		true),
	    0);
	/* three error maps, in order, then the garbage closes */
	const char *a = strstr(out, "candidates[0].score");
	const char *b = a ? strstr(a, "\"field\": \"candidates\"") : NULL;
	const char *c = b ? strstr(b, "\"field\": \"user_id\"") : NULL;
	CHECK(a && b && c && _has(c, "closed\n"));
	if (!(a && b && c))
		fprintf(stderr, "  got %s\n", out);
	CHECK_EQ_INT(_ctr(s, REG_C_SRV_MP_BAD), bad + 3);
	CHECK_EQ_INT(_ctr(s, REG_C_SRV_MP_CLOSED), closed + 1);
	/* a refused request keeps the connection */
	CHECK_EQ_INT(_mp(s, "[{\"user_id\":\"alice\"}]", false), 0);
	CHECK(_has(out, "\"field\": \"candidates\"") && _has(out, "open\n"));
}

static void _status(struct sx *s)
{
	CHECK_EQ_INT(hx_cli(&s->h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "status", NULL),
	    0);
	CHECK(_has(out, "server: up"));
	CHECK_EQ_INT(hx_cli(&s->h, NULL, 0, out, sizeof(out), err, sizeof(err),
			 "status", "--json", NULL),
	    0);
	CHECK(_has(out, "\"server\":{\"running\":true,\"ready\":true"));
	CHECK(_has(out, "\"http_4xx\":") && _has(out, "\"mp_closed\":"));
}

static int _tcp(unsigned port);

/* Peers gone mid-head (their end arriving with their last bytes) are
 * closed within seconds, not held until idle_timeout_s (60 s here): a
 * thousand of them would shut every other client out meanwhile. */
static void _gone_peers(struct sx *s)
{
	uint64_t open_before = _pctr(s->p, REG_C_SRV_HTTP_CONNS);
	for (unsigned i = 0; i < 30; i++) {
		int g = _tcp(s->http_port);
		CHECK(g >= 0);
		if (g >= 0) {
			CHECK(write(g, "GET /v1/hea", 11) == 11);
			close(g);
		}
	}
	int t = 0;
	for (; t < 800 && _pctr(s->p, REG_C_SRV_HTTP_CONNS) > open_before; t++)
		hx_sleep_ms(10);
	CHECK(_pctr(s->p, REG_C_SRV_HTTP_CONNS) <= open_before);
	fprintf(stderr, "gone peers: closed after %d ms, %llu open\n", t * 10,
	    (unsigned long long)_pctr(s->p, REG_C_SRV_HTTP_CONNS));
}

static void _kill(struct sx *s)
{
	int pid = ck_pr_load_int((int *)&_srv(s)->pid);
	REQUIRE(pid > 0);
	unsigned starts = _srv(s)->starts;
	kill(pid, SIGKILL);
	int next = _wait_server(s, pid);
	CHECK(next != pid && _srv(s)->starts == starts + 1);
	CHECK_EQ_INT(_curl(s, "GET", "/v1/health", NULL, 0, NULL), 200);
	CHECK_EQ_INT(_curl(s, "GET", "/v1/profile/alice", NULL, 0, NULL), 200);
}

/* A second instance asks for the first one's HTTP port. */
static void _busy_port(struct sx *s, int argc, char **argv)
{
	struct hx h2;
	char http[64];
	hx_init(&h2, "server-busy", argc, argv);
	snprintf(http, sizeof(http), "--http-listen=127.0.0.1:%u",
	    s->http_port);
	const char *flags[] = { "--shards=1", "--no-snapshot",
		"--udp-listen=", "--tcp-listen=", "--forward-listen=", http,
		NULL };
	hx_start(&h2, flags);
	pen_t *p2;
	REQUIRE(pen_open(h2.instance, &p2, NULL, 0) == 0);
	const struct reg_proc *sp =
	    reg_proc(client_region(p2), reg_proc_server(client_region(p2)));
	for (int i = 0; i < 500 && ck_pr_load_uint((unsigned *)&sp->starts) < 4;
	     i++)
		hx_sleep_ms(10);
	CHECK(sp->starts >= 4 && !sp->ready);
	CHECK(WIFEXITED(sp->last_exit) && WEXITSTATUS(sp->last_exit) == 3);
	/* the daemon lives on; the log says why once */
	CHECK(waitpid(h2.pid, NULL, WNOHANG) == 0);
	FILE *f = fopen(h2.log, "r");
	REQUIRE(f);
	size_t got = fread(out, 1, sizeof(out) - 1, f);
	out[got] = 0;
	fclose(f);
	char needle[96];
	snprintf(needle, sizeof(needle),
	    "http_listen: cannot listen on 127.0.0.1:%u", s->http_port);
	const char *first = strstr(out, needle);
	CHECK(first && !strstr(first + 1, needle));
	const char *ex = strstr(out, "exited with 3");
	CHECK(ex && !strstr(ex + 1, "exited with 3"));
	/* and the first instance still serves */
	CHECK_EQ_INT(_curl(s, "GET", "/v1/health", NULL, 0, NULL), 200);
	CHECK(_has(out, s->h.instance));
	pen_close(&p2);
	int st = hx_stop(&h2);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hx_cleanup(&h2);
}

/* A TCP connection to 127.0.0.1:port (a receive timeout of 3 s), or -1. */
static int _tcp(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 3 };
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* GET /v1/health on a kept-alive connection: its status, -1 when the
 * server closed it or said nothing for 3 s. */
static int _health_on(int fd)
{
	static const char req[] =
	    "GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
	char buf[4096];
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 12)
		return -1;
	buf[n] = 0;
	return atoi(buf + 9); /* "HTTP/1.1 200" */
}

/* Starts h with flags and waits for its server to be ready; a handle. */
static pen_t *_up(struct hx *h, const char **flags)
{
	pen_t *p;
	hx_start(h, flags);
	REQUIRE(pen_open(h->instance, &p, NULL, 0) == 0);
	const struct reg_proc *sp =
	    reg_proc(client_region(p), reg_proc_server(client_region(p)));
	for (int i = 0; i < 500 && !ck_pr_load_uint((unsigned *)&sp->ready);
	     i++)
		hx_sleep_ms(10);
	return p;
}

/*
 * max_connections holds for the server, whichever thread's socket the
 * kernel picks: 4 threads, a limit of 4, 4 kept-alive connections all
 * answered; a fifth is closed at once and counted; once one closes, a
 * new one is served. Then the address claim: a process holding the
 * abstract name of an address keeps another instance off it, though the
 * port itself is free.
 */
static void _conn_limit(int argc, char **argv)
{
	struct hx h;
	char http[64];
	unsigned port = hx_free_port();
	hx_init(&h, "server-limit", argc, argv);
	snprintf(http, sizeof(http), "--http-listen=127.0.0.1:%u", port);
	const char *flags[] = { "--shards=1", "--no-snapshot", "--udp-listen=",
		"--tcp-listen=", "--forward-listen=", "--rank-listen=", http,
		"--server-threads=4", "--max-connections=4", NULL };
	pen_t *p = _up(&h, flags);
	int fd[5];
	for (unsigned i = 0; i < 4; i++) {
		fd[i] = _tcp(port);
		CHECK(fd[i] >= 0 && _health_on(fd[i]) == 200);
	}
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_HTTP_CONNS), 4);
	fd[4] = _tcp(port);
	CHECK(fd[4] >= 0 && _health_on(fd[4]) == -1);
	CHECK(_pctr(p, REG_C_SRV_HTTP_REFUSED) >= 1);
	if (fd[4] >= 0)
		close(fd[4]);
	close(fd[0]);
	int st = -1;
	for (int i = 0; i < 300 && st != 200; i++) {
		hx_sleep_ms(10);
		if (_pctr(p, REG_C_SRV_HTTP_CONNS) > 3)
			continue;
		int f = _tcp(port);
		st = f >= 0 ? _health_on(f) : -1;
		if (f >= 0)
			close(f);
	}
	CHECK_EQ_INT(st, 200);
	for (unsigned i = 1; i < 4; i++)
		close(fd[i]);
	pen_close(&p);
	st = hx_stop(&h);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hx_cleanup(&h);

	/* the claim */
	port = hx_free_port();
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int n = snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1,
	    "penchant-listen:127.0.0.1:%u", port);
	int claim = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(claim >= 0 &&
	    bind(claim, (struct sockaddr *)&un,
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    (size_t)n)) == 0);
	hx_init(&h, "server-claim", argc, argv);
	snprintf(http, sizeof(http), "--http-listen=127.0.0.1:%u", port);
	flags[7] = "--server-threads=2";
	hx_start(&h, flags);
	REQUIRE(pen_open(h.instance, &p, NULL, 0) == 0);
	const struct reg_proc *sp =
	    reg_proc(client_region(p), reg_proc_server(client_region(p)));
	for (int i = 0; i < 500 && ck_pr_load_uint((unsigned *)&sp->starts) < 2;
	     i++)
		hx_sleep_ms(10);
	CHECK(sp->starts >= 2 && !sp->ready);
	CHECK(WIFEXITED(sp->last_exit) && WEXITSTATUS(sp->last_exit) == 3);
	/* released: the next start binds */
	close(claim);
	for (int i = 0; i < 1000 && !ck_pr_load_uint((unsigned *)&sp->ready);
	     i++)
		hx_sleep_ms(10);
	CHECK(ck_pr_load_uint((unsigned *)&sp->ready));
	pen_close(&p);
	st = hx_stop(&h);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hx_cleanup(&h);
}

/* Sends req whole on a new connection to port, then reads until the
 * server closes (or 3 s pass) into buf. Returns the bytes read, -1 when
 * the connection failed. */
static ssize_t _exchange(unsigned port, const char *req, size_t len, char *buf,
    size_t cap)
{
	int fd = _tcp(port);
	if (fd < 0)
		return -1;
	size_t got = 0;
	if (write(fd, req, len) == (ssize_t)len)
		for (ssize_t n; got + 1 < cap &&
		     (n = read(fd, buf + got, cap - 1 - got)) > 0;)
			got += (size_t)n;
	buf[got] = 0;
	close(fd);
	return (ssize_t)got;
}

/* How many times needle occurs in hay. */
/* memmem over the known length: the sanitizers' strstr measures the
 * whole rest of hay a call, quadratic over a 10 MB answer. */
static unsigned _count_of(const char *hay, const char *needle)
{
	unsigned n = 0;
	const size_t nl = strlen(needle);
	const char *end = hay + strlen(hay);
	for (const char *p = hay;
	     (p = memmem(p, (size_t)(end - p), needle, nl)); p++)
		n++;
	return n;
}

/*
 * Sends bytes of head one at a time, one every 300 ms (each resets an
 * inactivity timer), until the server closes the connection or `ms`
 * pass. Returns whether the server closed it.
 */
static bool _drip(int fd, const char *head, size_t len, int ms)
{
	for (int t = 0, i = 0; t < ms; t += 300, i++) {
		if (send(fd, head + (size_t)i % len, 1, MSG_NOSIGNAL) != 1)
			return true;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char c;
		if (poll(&pfd, 1, 300) > 0 && recv(fd, &c, 1, 0) <= 0)
			return true;
	}
	return false;
}

/*
 * Requests that try the edges of HTTP and of patience, on an instance
 * with idle_timeout_s 1:
 *  - a body framed two ways (two Content-Lengths, or one beside
 *    Transfer-Encoding) is refused 400 before it is read, and what
 *    follows on the connection is not taken for a request;
 *  - a declared body over the cap is refused 413 at once on any route;
 *  - a path with bytes outside ASCII comes back %-encoded in valid JSON;
 *  - a request head sent a byte now and then (every byte resets
 *    libmicrohttpd's inactivity timer), and a msgpack request doing the
 *    same, are closed after idle_timeout_s (+1 s) and counted;
 *  - a msgpack connection past max_connections is refused and counted
 *    as such (not as garbage).
 */
static void _edges(int argc, char **argv)
{
	struct hx h;
	char http[64], rank[64];
	unsigned port = hx_free_port(), mport;
	do
		mport = hx_free_port();
	while (mport == port);
	hx_init(&h, "server-edges", argc, argv);
	snprintf(http, sizeof(http), "--http-listen=127.0.0.1:%u", port);
	snprintf(rank, sizeof(rank), "--rank-listen=127.0.0.1:%u", mport);
	const char *flags[] = { "--shards=1", "--no-snapshot",
		"--udp-listen=", "--tcp-listen=", "--forward-listen=", rank,
		http, "--server-threads=2", "--max-connections=3",
		"--idle-timeout-s=1", "--max-request-bytes=10000", NULL };
	pen_t *p = _up(&h, flags);
	static char buf[1 << 16];
	char req[1024];
	const char *health =
	    "GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
	const char *body = "{\"user_id\":\"u1\",\"candidates\":[{\"entity_id"
			   "\":\"a\",\"score\":1}]}";
	static const char *const framing[2] = {
		"Content-Length: 5\r\nContent-Length: %zu\r\n",
		"Content-Length: %zu\r\nTransfer-Encoding: chunked\r\n",
	};
	static const char *const why[2] = { "Content-Length is given twice",
		"both Content-Length and Transfer-Encoding" };
	for (unsigned i = 0; i < 2; i++) {
		int n = snprintf(req, sizeof(req),
		    "POST /v1/rank HTTP/1.1\r\nHost: localhost\r\n");
		n += snprintf(req + n, sizeof(req) - (size_t)n, framing[i],
		    strlen(body));
		n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n%s%s",
		    body, health);
		CHECK(_exchange(port, req, (size_t)n, buf, sizeof(buf)) > 0);
		CHECK_EQ_INT(_count_of(buf, "HTTP/1.1 "), 1);
		CHECK(!strncmp(buf, "HTTP/1.1 400", 12) && _has(buf, why[i]) &&
		    _has(buf, "{\"error\":\"malformed: "));
		if (_count_of(buf, "HTTP/1.1 ") != 1 || !_has(buf, why[i]))
			fprintf(stderr, "  framing %u: %.400s\n", i, buf);
	}
	/* the same Content-Length twice is one length */
	int n = snprintf(req, sizeof(req),
	    "GET /v1/health HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n");
	CHECK(_exchange(port, req, (size_t)n, buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "HTTP/1.1 200", 12));

	uint64_t big = _pctr(p, REG_C_SRV_HTTP_TOO_BIG);
	n = snprintf(req, sizeof(req),
	    "GET /v1/health HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
	    "5000000\r\n\r\n");
	CHECK(_exchange(port, req, (size_t)n, buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "HTTP/1.1 413", 12) && _has(buf, "too_big: "));
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_HTTP_TOO_BIG), big + 1);

	/* HTTP the library answers itself (a header without a colon, an
	 * unknown version, a Content-Length that is no number): its page,
	 * counted as malformed */
	static const char *const lib[][2] = {
		{ "GET / HTTP/1.1\r\nHost: localhost\r\nNo colon here\r\n\r\n",
		    "HTTP/1.1 400" },
		{ "GET /v1/health HTTP/9.9\r\nHost: localhost\r\n\r\n",
		    "HTTP/1.1 505" },
		{ "POST /v1/rank HTTP/1.1\r\nHost: localhost\r\n"
		  "Content-Length: abc\r\n\r\n",
		    "HTTP/1.1 400" },
	};
	uint64_t bad = _pctr(p, REG_C_SRV_HTTP_MALFORMED);
	uint64_t none = _pctr(p, REG_C_SRV_HTTP_NO_REQUEST);
	for (unsigned i = 0; i < 3; i++) {
		CHECK(_exchange(port, lib[i][0], strlen(lib[i][0]), buf,
			  sizeof(buf)) > 0);
		CHECK(!strncmp(buf, lib[i][1], 12));
	}
	for (int t = 0; t < 100 && _pctr(p, REG_C_SRV_HTTP_MALFORMED) < bad + 3;
	     t++)
		usleep(10000);
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_HTTP_MALFORMED), bad + 3);

	/* Bytes the library cannot read as a request line at all: it
	 * closes without a word; counted as a connection no request came
	 * of (as are the three above, and one that sends nothing), while
	 * one that asked something is not. */
	static const char *const garbage[] = { "GARBAGE\r\n\r\n",
		"GET\r\n\r\n" };
	for (unsigned i = 0; i < 2; i++)
		CHECK(_exchange(port, garbage[i], strlen(garbage[i]), buf,
			  sizeof(buf)) == 0);
	/* counted as the library lets go of it, which may follow the end
	 * the client sees */
	for (int t = 0;
	     t < 100 && _pctr(p, REG_C_SRV_HTTP_NO_REQUEST) < none + 5; t++)
		hx_sleep_ms(10);
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_HTTP_NO_REQUEST), none + 5);
	n = snprintf(req, sizeof(req),
	    "GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: "
	    "close\r\n\r\n");
	CHECK(_exchange(port, req, (size_t)n, buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "HTTP/1.1 200", 12));
	int quiet = _tcp(port);
	CHECK(quiet >= 0);
	if (quiet >= 0)
		close(quiet);
	for (int t = 0;
	     t < 100 && _pctr(p, REG_C_SRV_HTTP_NO_REQUEST) < none + 6; t++)
		usleep(10000);
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_HTTP_NO_REQUEST), none + 6);

	n = snprintf(req, sizeof(req),
	    "GET /nope\xff\xc3 HTTP/1.1\r\nHost: localhost\r\nConnection: "
	    "close\r\n\r\n");
	CHECK(_exchange(port, req, (size_t)n, buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "HTTP/1.1 404", 12) &&
	    _has(buf, "no route GET /nope%FF%C3\""));

	/* on loopback only, a Host that is no loopback name is refused (a
	 * page of another site rebound to 127.0.0.1); loopback names and
	 * addresses, with ports, and no Host at all are answered; every
	 * answer says nosniff and refuses framing */
	static const char *const hosts[] = { "localhost", "LOCALHOST:1",
		"127.0.0.1", "127.0.0.9:80", "[::1]:8787", "localhost.:80",
		"[0:0:0:0:0:0:0:1]", NULL };
	for (unsigned i = 0; i < 8; i++) {
		n = hosts[i] ? snprintf(req, sizeof(req),
				   "GET /v1/health HTTP/1.1\r\nHost: %s\r\n"
				   "Connection: close\r\n\r\n",
				   hosts[i])
			     : snprintf(req, sizeof(req),
				   "GET /v1/health HTTP/1.0\r\n\r\n");
		CHECK(_exchange(port, req, (size_t)n, buf, sizeof(buf)) > 0);
		CHECK(!strncmp(buf, "HTTP/1.", 7) &&
		    !strncmp(buf + 8, " 200", 4));
		CHECK(_has(buf, "X-Content-Type-Options: nosniff") &&
		    _has(buf, "X-Frame-Options: DENY"));
	}
	static const char *const foreign[] = { "evil.example",
		"evil.example:8787", "localhost.evil.example", "10.0.0.1",
		"[::2]", "127.0.0.1.evil.example", "localhost:evil.com",
		"[::1]:x", "127.0.0.1:" };
	for (unsigned i = 0; i < 9; i++) {
		n = snprintf(req, sizeof(req),
		    "GET /v1/profile/u1 HTTP/1.1\r\nHost: %s\r\n\r\n",
		    foreign[i]);
		CHECK(_exchange(port, req, (size_t)n, buf, sizeof(buf)) > 0);
		CHECK(!strncmp(buf, "HTTP/1.1 403", 12) &&
		    _has(buf, "forbidden_host: "));
		if (strncmp(buf, "HTTP/1.1 403", 12))
			fprintf(stderr, "  Host %s: %.200s\n", foreign[i], buf);
	}

	/* A page of another origin may not rank or erase through the
	 * visitor's browser (a "simple" POST needs no preflight); the
	 * server's own origin, a GET, and a request with no Origin may. */
	static const char *const xo[][3] = {
		{ "POST /v1/rank", "Origin: http://evil.example\r\n", "403" },
		{ "POST /v1/rank", "Origin: null\r\n", "403" },
		{ "POST /v1/rank", "Origin: http://127.0.0.1:1\r\n", "403" },
		{ "POST /v1/rank", "Origin: ftp://localhost\r\n", "403" },
		{ "POST /v1/rank", "Sec-Fetch-Site: cross-site\r\n", "403" },
		{ "POST /v1/rank", "Sec-Fetch-Site: same-site\r\n", "403" },
		{ "DELETE /v1/profile/u1", "Origin: http://evil.example\r\n",
		    "403" },
		{ "POST /v1/rank", "Origin: HTTP://LOCALHOST:%u\r\n", "200" },
		{ "POST /v1/rank", "Sec-Fetch-Site: same-origin\r\n", "200" },
		{ "POST /v1/rank", "Sec-Fetch-Site: none\r\n", "200" },
		/* behind a proxy that rewrites Host: the browser's word */
		{ "POST /v1/rank",
		    "Origin: https://app.example\r\nSec-Fetch-Site: "
		    "same-origin\r\n",
		    "200" },
		{ "POST /v1/rank",
		    "Origin: http://localhost:%u\r\nSec-Fetch-Site: "
		    "cross-site\r\n",
		    "403" },
		{ "PUT /v1/nowhere", "Origin: http://evil.example\r\n", "404" },
		{ "GET /v1/health", "Origin: http://evil.example\r\n", "200" },
	};
	uint64_t xo_before = _pctr(p, REG_C_SRV_HTTP_CROSS_ORIGIN);
	uint64_t ranked_before = _pctr(p, REG_C_SRV_HTTP_RANK);
	for (unsigned i = 0; i < sizeof(xo) / sizeof(xo[0]); i++) {
		char extra[128];
		snprintf(extra, sizeof(extra), xo[i][1], port);
		n = snprintf(req, sizeof(req),
		    "%s HTTP/1.1\r\nHost: localhost:%u\r\n%s"
		    "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n%s",
		    xo[i][0], port, extra,
		    xo[i][0][0] == 'P' ? strlen(body) : (size_t)0,
		    xo[i][0][0] == 'P' ? body : "");
		CHECK(_exchange(port, req, (size_t)n, buf, sizeof(buf)) > 0);
		bool ok = !strncmp(buf + 8, " ", 1) &&
		    !strncmp(buf + 9, xo[i][2], 3) &&
		    (strcmp(xo[i][2], "403") || _has(buf, "cross_origin: "));
		CHECK(ok);
		if (!ok)
			fprintf(stderr, "  origin %u: %.300s\n", i, buf);
	}
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_HTTP_CROSS_ORIGIN), xo_before + 8);
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_HTTP_RANK), ranked_before + 4);

	/* framing that could be read two ways, and Host rules (RFC 9112
	 * 3.2, 6.3): a coding other than chunked alone, two Hosts, none in
	 * HTTP/1.1, a blank before a header's colon */
	static const char *const two_ways[][2] = {
		{ "POST /v1/rank HTTP/1.1\r\nHost: localhost\r\n"
		  "Transfer-Encoding: gzip\r\n\r\nabc",
		    "other than chunked" },
		{ "POST /v1/rank HTTP/1.1\r\nHost: localhost\r\n"
		  "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
		    "other than chunked" },
		{ "GET /v1/health HTTP/1.1\r\nHost: localhost\r\nHost: "
		  "evil.com\r\n\r\n",
		    "Host is given twice" },
		{ "GET /v1/health HTTP/1.1\r\n\r\n", "needs a Host header" },
		{ "GET /v1/health HTTP/1.1\r\nHost : evil.example\r\n\r\n",
		    "holds a blank" },
		{ "POST /v1/rank HTTP/1.1\r\nHost: localhost\r\n"
		  "Content-Length : 50\r\n\r\nDELETE /v1/profile/u1 HTTP/1.1"
		  "\r\nHost: localhost\r\n\r\n",
		    "holds a blank" },
	};
	for (unsigned i = 0; i < 6; i++) {
		CHECK(_exchange(port, two_ways[i][0], strlen(two_ways[i][0]),
			  buf, sizeof(buf)) > 0);
		CHECK(!strncmp(buf, "HTTP/1.1 400", 12) &&
		    _has(buf, two_ways[i][1]) && _count_of(buf, "Date: ") == 1);
		if (strncmp(buf, "HTTP/1.1 400", 12) ||
		    _count_of(buf, "Date: ") != 1)
			fprintf(stderr, "  framing %u: %.600s\n", i, buf);
	}

	/* a head a byte at a time */
	uint64_t slow = _pctr(p, REG_C_SRV_HTTP_SLOW);
	int fd = _tcp(port);
	const char head[] = "GET /v1/health HTTP/1.1\r\nX-Long: aaaaaaaaaaaa";
	CHECK(fd >= 0 && _drip(fd, head, sizeof(head) - 1, 8000));
	for (int i = 0; i < 100 && _pctr(p, REG_C_SRV_HTTP_SLOW) == slow; i++)
		hx_sleep_ms(10); /* counted as it closes */
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_HTTP_SLOW), slow + 1);
	if (fd >= 0)
		close(fd);
	/* HTTP on the msgpack port (its first object, 'G', is no map): one
	 * error answer, then closed as garbage; a client that sends a good
	 * map and then integers is closed after _NONMAP_MAX (8) of them */
	{
		uint64_t closed = _pctr(p, REG_C_SRV_MP_CLOSED);
		const char *hq = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
		ssize_t got =
		    _exchange(mport, hq, strlen(hq), buf, sizeof(buf));
		CHECK(got > 0 && _count_of(buf, "not_object") == 1);
		static const char ints[] =
		    "\x81\xa7user_id\xa1u"
		    "\x01\x02\x03\x04\x05\x06\x07\x08\x09";
		got =
		    _exchange(mport, ints, sizeof(ints) - 1, buf, sizeof(buf));
		/* _count_of stops at a NUL: count the answers in the bytes */
		unsigned errs = 0;
		for (ssize_t i = 0; i + 5 < got; i++)
			errs += !memcmp(buf + i,
			    "\xa5"
			    "error",
			    6);
		CHECK_EQ_INT(errs, 9); /* the map's (no candidates), 8 ints */
		for (int i = 0;
		     i < 100 && _pctr(p, REG_C_SRV_MP_CLOSED) < closed + 2; i++)
			hx_sleep_ms(10);
		CHECK_EQ_INT(_pctr(p, REG_C_SRV_MP_CLOSED), closed + 2);
	}
	/* garbage after answers the peer has not read yet (its window is
	 * small, the answers large): every answer arrives, then the error
	 * answers, then an orderly end (no reset) */
	{
		enum { REQS = 64, CANDS = 200 };
		static char gbig[REQS * (40 + CANDS * 24) + 16];
		size_t at = 0;
		for (unsigned r = 0; r < REQS; r++) {
			static const char ghead[] = "\x82\xa7user_id\xa1u"
						    "\xaa"
						    "candidates\xdc\x00\xc8";
			memcpy(gbig + at, ghead, sizeof(ghead) - 1);
			at += sizeof(ghead) - 1;
			for (unsigned c = 0; c < CANDS; c++) {
				static const char one[] =
				    "\x82\xa9"
				    "entity_id\xa2m1\xa5score\x01";
				memcpy(gbig + at, one, sizeof(one) - 1);
				at += sizeof(one) - 1;
			}
		}
		for (unsigned i = 1; i <= 8; i++)
			gbig[at++] = (char)i;
		int gfd = socket(AF_INET, SOCK_STREAM, 0);
		int small = 4096;
		setsockopt(gfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		struct sockaddr_in sa = { .sin_family = AF_INET,
			.sin_port = htons((uint16_t)mport),
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		CHECK(connect(gfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		pid_t w = fork();
		if (w == 0) { /* the writer; the reader reads later */
			(void)!write(gfd, gbig, at);
			_exit(0);
		}
		hx_sleep_ms(300); /* the server blocks on the small window */
		size_t got = 0, cap = 64u << 20;
		char *in = malloc(cap);
		ssize_t gn = 0;
		struct timeval tv = { 10, 0 };
		setsockopt(gfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while (in && got < cap &&
		    (gn = read(gfd, in + got, cap - got)) > 0)
			got += (size_t)gn;
		unsigned ok = 0, errs = 0;
		for (size_t i = 0; in && i + 11 < got; i++) {
			ok += !memcmp(in + i, "\xaarequest_id", 11);
			errs += !memcmp(in + i,
			    "\xa5"
			    "error",
			    6);
		}
		CHECK_EQ_INT(gn, 0); /* an end, not a reset or a timeout */
		CHECK_EQ_INT(ok, REQS);
		CHECK_EQ_INT(errs, 8);
		free(in);
		close(gfd);
		waitpid(w, NULL, 0);
	}
	/* a msgpack request a byte at a time: a map, a 255-byte string */
	slow = _pctr(p, REG_C_SRV_MP_SLOW);
	fd = _tcp(mport);
	const char mhead[] = "\x81\xa7user_id\xd9\xff"
			     "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu";
	CHECK(fd >= 0 && _drip(fd, mhead, sizeof(mhead) - 1, 8000));
	for (int i = 0; i < 100 && _pctr(p, REG_C_SRV_MP_SLOW) == slow; i++)
		hx_sleep_ms(10); /* counted as it closes */
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_MP_SLOW), slow + 1);
	if (fd >= 0)
		close(fd);

	/* A handler that holds its thread (an erasure waiting for a stopped
	 * worker, 10 s) is not slow: its answer (503) arrives, nothing is
	 * cut or counted. */
	{
		pid_t wpid = reg_proc(client_region(p),
		    reg_proc_worker(client_region(p), 0))
				 ->pid;
		uint64_t slow0 = _pctr(p, REG_C_SRV_HTTP_SLOW);
		REQUIRE(wpid > 0 && kill(wpid, SIGSTOP) == 0);
		int dfd = _tcp(port);
		struct timeval tv = { .tv_sec = 20 };
		REQUIRE(dfd >= 0 &&
		    setsockopt(dfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ==
			0);
		n = snprintf(req, sizeof(req),
		    "DELETE /v1/profile/someone HTTP/1.1\r\nHost: localhost\r\n"
		    "Connection: close\r\n\r\n");
		ssize_t got = write(dfd, req, (size_t)n) == n
		    ? read(dfd, buf, sizeof(buf) - 1)
		    : -1;
		buf[got > 0 ? got : 0] = 0;
		close(dfd);
		kill(wpid, SIGCONT);
		CHECK(!strncmp(buf, "HTTP/1.1 503", 12));
		CHECK_EQ_INT(_pctr(p, REG_C_SRV_HTTP_SLOW), slow0);
	}

	/* max_connections on the msgpack side */
	uint64_t refused = _pctr(p, REG_C_SRV_MP_REFUSED),
		 closed = _pctr(p, REG_C_SRV_MP_CLOSED);
	int fds[4];
	for (unsigned i = 0; i < 3; i++)
		fds[i] = _tcp(mport);
	for (int i = 0; i < 300 && _pctr(p, REG_C_SRV_MP_CONNS) < 3; i++)
		hx_sleep_ms(10);
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_MP_CONNS), 3);
	fds[3] = _tcp(mport);
	char c;
	CHECK(fds[3] >= 0 && read(fds[3], &c, 1) == 0);
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_MP_REFUSED), refused + 1);
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_MP_CLOSED), closed);
	for (unsigned i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	pen_close(&p);
	int st = hx_stop(&h);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hx_cleanup(&h);
}

/* ---- rank ------------------------------------------------------------- */

/*
 * Checks a JSON rank answer in buf: a 16-hex request id, the strategy,
 * n results with factors, the first being want. Returns its request id.
 */
static void _check_ranking(const char *buf, const char *strategy, unsigned n,
    const char *want)
{
	static struct json_tok toks[8192];
	static char scratch[1 << 16];
	struct json_work w;
	json_work_init(&w, toks, 8192, scratch, sizeof(scratch));
	int rc = json_parse(buf, strlen(buf), &w, NULL, NULL, 0);
	CHECK_EQ_INT(rc, 0);
	if (rc) {
		fprintf(stderr, "  not JSON: %.300s\n", buf);
		return;
	}
	long rid = json_object_get(toks, 0, "request_id");
	CHECK(rid > 0 && toks[rid].kind == JSON_STRING && toks[rid].len == 16);
	for (size_t i = 0; rid > 0 && i < toks[rid].len; i++)
		CHECK(isxdigit((unsigned char)toks[rid].str[i]));
	long st = json_object_get(toks, 0, "strategy");
	CHECK(st > 0 && toks[st].len == strlen(strategy) &&
	    !memcmp(toks[st].str, strategy, toks[st].len));
	long res = json_object_get(toks, 0, "results");
	REQUIRE(res > 0 && toks[res].kind == JSON_ARRAY);
	CHECK_EQ_INT(toks[res].count, n);
	size_t first = (size_t)res + 1;
	long id = json_object_get(toks, first, "entity_id");
	CHECK(id > 0 && toks[id].len == strlen(want) &&
	    !memcmp(toks[id].str, want, toks[id].len));
	if (!(id > 0 && toks[id].len == strlen(want) &&
		!memcmp(toks[id].str, want, toks[id].len)))
		fprintf(stderr, "  first is not %s: %.400s\n", want, buf);
	for (size_t e = first, k = 0; k < toks[res].count;
	     k++, e = toks[e].end) {
		long f = json_object_get(toks, e, "factors");
		CHECK(f > 0 && toks[f].kind == JSON_OBJECT &&
		    toks[f].count == 12);
		CHECK(
		    f > 0 && json_object_get(toks, (size_t)f, "affinity") > 0);
		CHECK(json_object_get(toks, e, "score") > 0);
		CHECK(json_object_get(toks, e, "flags") > 0);
	}
}

/* The "context" factor of the first result of a JSON rank answer, or -1. */
static double _first_context(const char *buf)
{
	static struct json_tok toks[8192];
	static char scratch[1 << 16];
	struct json_work w;
	json_work_init(&w, toks, 8192, scratch, sizeof(scratch));
	if (json_parse(buf, strlen(buf), &w, NULL, NULL, 0))
		return -1;
	long res = json_object_get(toks, 0, "results");
	if (res <= 0 || toks[res].kind != JSON_ARRAY || !toks[res].count)
		return -1;
	long f = json_object_get(toks, (size_t)res + 1, "factors");
	long c = f > 0 ? json_object_get(toks, (size_t)f, "context") : -1;
	return c > 0 && toks[c].kind == JSON_NUMBER ? toks[c].num : -1;
}

/* options.context_weight is the exponent on the context product: a
 * candidate made for another device, at weight 1 and at weight 2. */
static void _rank_context_weight(struct sx *s)
{
	double ctx[2];
	for (unsigned i = 0; i < 2; i++) {
		char b[1024];
		snprintf(b, sizeof(b),
		    "{\"user_id\":\"alice\",\"context\":{\"device\":\"mobile\"},"
		    "\"candidates\":[{\"entity_id\":\"tv-show\",\"score\":1,"
		    "\"attributes\":{\"category\":\"music\",\"devices\":[\"tv\"]}}],"
		    "\"options\":{\"strategy\":\"context\",\"context_weight\":%u}}",
		    i + 1);
		int st = _curl(s, "POST", "/v1/rank", b, strlen(b), NULL);
		CHECK_EQ_INT(st, 200);
		ctx[i] = st == 200 ? _first_context(out) : -1;
	}
	CHECK(ctx[0] > 0 && ctx[0] < 1);
	CHECK(fabs(ctx[1] - ctx[0] * ctx[0]) < 1e-4);
	if (!(ctx[0] > 0 && ctx[0] < 1 &&
		fabs(ctx[1] - ctx[0] * ctx[0]) < 1e-4))
		fprintf(stderr, "  context factor %g at weight 1, %g at 2\n",
		    ctx[0], ctx[1]);
}

/* Sports and food first in the list at the same base score; alice likes
 * music, so m3 should lead. */
#define RANK_BODY                                                                \
	"{\"user_id\":\"alice\",\"context\":{\"device\":\"mobile\"},"            \
	"\"candidates\":[{\"entity_id\":\"s1\",\"score\":1},"                    \
	"{\"entity_id\":\"f1\",\"score\":1},{\"entity_id\":\"s2\",\"score\":1}," \
	"{\"entity_id\":\"m3\",\"score\":1}],"                                   \
	"\"options\":{\"strategy\":\"profile\"}}"

static void _rank(struct sx *s)
{
	uint64_t ranked = _ctr(s, REG_C_SRV_RANKED);
	int st =
	    _curl(s, "POST", "/v1/rank", RANK_BODY, strlen(RANK_BODY), NULL);
	CHECK_EQ_INT(st, 200);
	if (st != 200)
		fprintf(stderr, "  got %d %s\n", st, out);
	else
		_check_ranking(out, "profile", 4, "m3");
	/* k, and an inline candidate the catalog does not hold */
	const char *body =
	    "{\"userId\":\"alice\",\"candidates\":[{\"entityId\":\"s1\",\"score\":1},"
	    "{\"entityId\":\"new-gig\",\"score\":1,\"attributes\":{\"category\":\"music\",\"tags\":[\"jazz\"]}},"
	    "{\"entityId\":\"f2\",\"score\":1}],\"options\":{\"strategy\":\"profile\",\"k\":2}}";
	st = _curl(s, "POST", "/v1/rank", body, strlen(body), NULL);
	CHECK_EQ_INT(st, 200);
	if (st == 200)
		_check_ranking(out, "profile", 2, "new-gig");
	/* the other strategies answer too */
	static const char *const strategies[] = { "base", "context", "explore",
		"diverse", "full" };
	for (unsigned i = 0; i < 5; i++) {
		char b[1024];
		snprintf(b, sizeof(b),
		    "{\"user_id\":\"alice\",\"candidates\":[{\"entity_id\":\"s1\",\"score\":2},"
		    "{\"entity_id\":\"m1\",\"score\":1}],\"options\":{\"strategy\":\"%s\",\"seed\":1}}",
		    strategies[i]);
		st = _curl(s, "POST", "/v1/rank", b, strlen(b), NULL);
		CHECK_EQ_INT(st, 200);
		if (st == 200 && i == 0)
			_check_ranking(out, "base", 2, "s1");
	}
	CHECK(_ctr(s, REG_C_SRV_RANKED) >= ranked + 4 + 3 + 10);

	/* urllib */
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/rank", s->http_port);
	char path[200];
	snprintf(path, sizeof(path), "%s.rank", s->file);
	_write(path, RANK_BODY, strlen(RANK_BODY));
	const char *py[] = { PY, s->client_py, "http", url, path, NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), py),
	    0);
	CHECK(!strncmp(out, "200\n", 4));
	if (!strncmp(out, "200\n", 4))
		_check_ranking(out + 4, "profile", 4, "m3");

	/* msgpack: good, bad, good on one connection, answered in order */
	uint64_t mp = _ctr(s, REG_C_SRV_MP_REQUESTS);
	char reqs[2048];
	snprintf(reqs, sizeof(reqs), "[%s,%s,%s]", RANK_BODY,
	    "{\"user_id\":\"alice\"," ONE
	    ",\"options\":{\"strategy\":\"telepathy\"}}",
	    RANK_BODY);
	CHECK_EQ_INT(_mp(s, reqs, false), 0);
	/* json.dumps with sort_keys: request_id, results, strategy; in a
	 * result entity_id comes first */
	char *l1 = out, *l2 = strchr(l1, '\n');
	char *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
	REQUIRE(l2 && l3);
	*l2++ = 0;
	*l3++ = 0;
	const char *const good[2] = { l1, l3 };
	for (unsigned i = 0; i < 2; i++) {
		CHECK(_has(good[i], "\"results\": [{\"entity_id\": \"m3\""));
		CHECK(_has(good[i], "\"factors\": {\"affinity\": "));
		CHECK(_has(good[i], "\"request_id\": \""));
		CHECK(_has(good[i], "\"strategy\": \"profile\""));
	}
	CHECK(_has(l2, "\"field\": \"options.strategy\""));
	CHECK(_has(l3, "open\n"));
	CHECK_EQ_INT(_ctr(s, REG_C_SRV_MP_REQUESTS), mp + 4);
}

/* A request for POST /v1/rank of n candidates named PREFIX0.. (all
 * answered: k 0), into buf; its length. */
static size_t _rank_req(char *buf, size_t cap, char prefix, unsigned n)
{
	static char body[1 << 21];
	size_t b = (size_t)snprintf(body, sizeof(body),
	    "{\"user_id\":\"alice\",\"candidates\":[");
	for (unsigned i = 0; i < n && b < sizeof(body) - 64; i++)
		b += (size_t)snprintf(body + b, sizeof(body) - b,
		    "%s{\"entity_id\":\"%c%u\",\"score\":%u}", i ? "," : "",
		    prefix, i, i % 7);
	b += (size_t)snprintf(body + b, sizeof(body) - b,
	    "],\"options\":{\"strategy\":\"base\",\"k\":0}}");
	int h = snprintf(buf, cap,
	    "POST /v1/rank HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	    b);
	REQUIRE(h > 0 && (size_t)h + b < cap);
	memcpy(buf + h, body, b);
	return (size_t)h + b;
}

/* Reads one HTTP answer from fd into buf: its status (0: none, or no
 * Content-Length), the body NUL-terminated at *body. */
static int _read_answer(int fd, char *buf, size_t cap, char **body)
{
	size_t got = 0;
	char *end = NULL;
	while (!end && got + 1 < cap) {
		ssize_t n = read(fd, buf + got, 1); /* no bytes of the next */
		if (n <= 0)
			return 0;
		got += (size_t)n;
		buf[got] = 0;
		end = strstr(buf, "\r\n\r\n");
	}
	const char *cl = end ? strcasestr(buf, "\r\nContent-Length:") : NULL;
	if (!cl || cl > end)
		return 0;
	size_t len = strtoul(cl + 18, NULL, 10), head = (size_t)(end + 4 - buf);
	REQUIRE(head + len < cap);
	while (got < head + len) {
		ssize_t n = read(fd, buf + got, head + len - got);
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	buf[got] = 0;
	*body = buf + head;
	return atoi(buf + 9);
}

/* Whether a JSON rank answer names n results, all named PREFIX... */
static bool _answer_of(const char *body, char prefix, unsigned n)
{
	char own[32];
	snprintf(own, sizeof(own), "\"entity_id\":\"%c", prefix);
	return _count_of(body, "\"entity_id\":\"") == n &&
	    _count_of(body, own) == n;
}

/*
 * The answers a connection gets are its own, on an instance of one
 * server thread (every connection shares it):
 *  - connection A asks for 40000 results (some 10 MB, more than the
 *    kernel's largest send buffer, 4 MiB by default) with a receive
 *    buffer of 4 KiB and reads nothing for a while: its answer waits in
 *    the server, partly sent;
 *  - meanwhile connection B sends requests of 40000 candidates (an
 *    answer as long as A's), 10, 2, a malformed one (400), 2 again, each
 *    answered in full; then two requests written at once (pipelined),
 *    answered in order;
 *  - A then reads its answer: 40000 results, all of its own candidates
 *    (an answer sent from a buffer the next request reuses would carry
 *    B's).
 */
static void _rank_kept_alive(int argc, char **argv)
{
	struct hx h;
	char http[64];
	static char req[1 << 21], req2[1 << 12], buf[1 << 25];
	char *body = NULL;
	unsigned port = hx_free_port();
	hx_init(&h, "server-kept", argc, argv);
	snprintf(http, sizeof(http), "--http-listen=127.0.0.1:%u", port);
	const char *flags[] = { "--shards=1", "--no-snapshot", "--udp-listen=",
		"--tcp-listen=", "--forward-listen=", "--rank-listen=", http,
		"--server-threads=1", "--max-candidates=40000",
		"--max-request-bytes=4194304", "--idle-timeout-s=600", NULL };
	/* A failed exchange is a failed check, not a death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	pen_t *p = _up(&h, flags);
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), small = 4096;
	/* Generous: 40000 candidates take seconds under the sanitizers on a
	 * busy machine; what is checked is what arrives, not when. */
	struct timeval tv = { .tv_sec = 180 };
	REQUIRE(a >= 0 &&
	    !setsockopt(a, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) &&
	    !setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) &&
	    !connect(a, (struct sockaddr *)&sa, sizeof(sa)));
	size_t n = _rank_req(req, sizeof(req), 'a', 40000);
	CHECK(write(a, req, n) == (ssize_t)n);
	hx_sleep_ms(300); /* answered, and stuck in A's small window */

	int b = _tcp(port);
	REQUIRE(
	    b >= 0 && !setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	static const unsigned sizes[5] = { 40000, 10, 2, 0, 2 };
	for (unsigned i = 0; i < 5; i++) {
		if (sizes[i])
			n = _rank_req(req, sizeof(req), 'b', sizes[i]);
		else
			n = (size_t)snprintf(req, sizeof(req),
			    "POST /v1/rank HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\n{\"a\":");
		CHECK(write(b, req, n) == (ssize_t)n);
		int st = _read_answer(b, buf, sizeof(buf), &body);
		CHECK_EQ_INT(st, sizes[i] ? 200 : 400);
		if (sizes[i])
			CHECK(st == 200 && _answer_of(body, 'b', sizes[i]));
	}
	n = _rank_req(req2, sizeof(req2), 'c', 3);
	size_t n2 = _rank_req(req2 + n, sizeof(req2) - n, 'd', 1);
	CHECK(write(b, req2, n + n2) == (ssize_t)(n + n2));
	CHECK(_read_answer(b, buf, sizeof(buf), &body) == 200 &&
	    _answer_of(body, 'c', 3));
	CHECK(_read_answer(b, buf, sizeof(buf), &body) == 200 &&
	    _answer_of(body, 'd', 1));
	close(b);

	int st = _read_answer(a, buf, sizeof(buf), &body);
	CHECK_EQ_INT(st, 200);
	CHECK(st == 200 && strlen(body) > 4200000);
	bool own = st == 200 && _answer_of(body, 'a', 40000);
	CHECK(own);
	if (!own && body)
		fprintf(stderr, "  A's answer is not its own: %.300s\n", body);
	close(a);
	CHECK_EQ_INT(_pctr(p, REG_C_SRV_HTTP_RANK), 7);
	pen_close(&p);
	st = hx_stop(&h);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hx_cleanup(&h);
}

static void _rank_after_kill(struct sx *s)
{
	int pid = ck_pr_load_int((int *)&_srv(s)->pid);
	kill(pid, SIGKILL);
	_wait_server(s, pid);
	int st =
	    _curl(s, "POST", "/v1/rank", RANK_BODY, strlen(RANK_BODY), NULL);
	CHECK_EQ_INT(st, 200);
	if (st == 200)
		_check_ranking(out, "profile", 4, "m3");
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr,
		    "usage: it_server PENCHANTD PENCHANT CLIENT_PY [basic|rank]\n");
		return 2;
	}
	bool rank = argc > 4 && !strcmp(argv[4], "rank");
	if (access(CURL, X_OK))
		SKIP("%s is not installed (scripts/setup.sh installs it)",
		    CURL);
	const char *probe[] = { PY, "-c", "import msgpack", NULL };
	if (access(PY, X_OK) ||
	    hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), probe))
		SKIP("%s with python3-msgpack is not installed", PY);
	struct sx s;
	_start(&s, rank ? "server-rank" : "server", argc, argv);
	_feed(&s);
	if (rank) {
		_rank(&s);
		_rank_context_weight(&s);
		_rank_after_kill(&s);
		_rank_kept_alive(argc, argv);
	} else {
		_routes(&s);
		_profile(&s);
		_bad_requests(&s);
		_too_big(&s);
		_mp_errors(&s);
		_status(&s);
		_gone_peers(&s);
		_kill(&s);
		_busy_port(&s, argc, argv);
		_conn_limit(argc, argv);
		_edges(argc, argv);
	}
	_stop(&s);
	return check_done(rank ? "it_server rank" : "it_server basic");
}
