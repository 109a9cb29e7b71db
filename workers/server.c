/*
 * server: the rank API over HTTP (libmicrohttpd) and msgpack on TCP
 * (contract in server.h).
 *
 * libmicrohttpd does HTTP: per http_listen address, server_threads
 * daemons of one epoll thread each; handlers run on those threads. The
 * msgpack side is server_threads threads of our own, each with an epoll
 * set holding its listening sockets and the connections it accepted.
 * Each thread listens on a socket of its own, all bound to the address
 * with SO_REUSEPORT, so the kernel spreads the connections over the
 * threads: with one shared socket, the thread that woke first accepted a
 * burst of connections whole (a client's pool opening 64 at once landed
 * on one thread, which then served every request while the others
 * idled). Every thread that ranks opens its own pen_t on first use
 * (thread-specific data, closed when the thread ends).
 */
#include "workers/server.h"

#include <arpa/inet.h>
#include <ck_pr.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <microhttpd.h>
#include <xxhash.h>

#include "engine/event.h"
#include "ipc/mpack.h"
#include "ipc/profile_json.h"
#include "ipc/rankreq.h"
#include "penchant.h"
#include "workers/dash.h"
#include "workers/log.h"
#include "workers/metrics.h"

#define _ROLE "server"
#define _TICK_MS 100
#define _OUT_HIGH (256 * 1024) /* unsent answers before reading stops */
#define _IN_MIN (16 * 1024)
#define _ACCEPT_BATCH 64
#define _PROFILE_PREFIX "/v1/profile/"

struct _srv;

/* One msgpack connection; owned by the thread that accepted it. */
struct _mconn {
	int fd;
	char *in;
	size_t in_off, in_len, in_cap; /* unparsed bytes: in[off..off+len) */
	struct mp_scan sc;	       /* of the object at in + in_off */
	struct rq_buf out;
	size_t out_off;	    /* sent bytes of out */
	bool writing;	    /* waiting for EPOLLOUT, not reading */
	int64_t last_ms;    /* monotonic: last byte read */
	int64_t partial_ms; /* monotonic: when the unfinished request
			     * began to arrive, 0 none */
	uint32_t objects;   /* top-level objects answered */
	uint32_t nonmaps;   /* of them, the last ones in a row not a map */
	bool closing;	    /* garbage: closed once its answers are sent */
	struct _mconn *prev, *next;
};

/*
 * A connection whose first object is not a map, or that sends
 * _NONMAP_MAX in a row, is no client of this protocol (every ASCII byte
 * is a msgpack integer: an HTTP request to this port is a hundred of
 * them): its error answers are sent, then it is closed as garbage.
 */
#define _NONMAP_MAX 8

/* Whether a msgpack object starting with byte b is a map. */
static bool _mp_map(unsigned char b)
{
	return (b & 0xf0) == 0x80 || b == 0xde || b == 0xdf;
}

/*
 * One open HTTP connection (libmicrohttpd's socket context), for the
 * slow-request sweep. since_ms moves when the connection opens, when a
 * request's head is in, when its answer is queued and when it is sent;
 * the main thread closes (shutdown) a connection whose since_ms is more
 * than idle_timeout_s + 1 s old. libmicrohttpd's own timeout counts from
 * the last byte, so an idle connection is closed by it first (and not
 * counted here); one that sends or takes a byte now and then never
 * reaches it, and is this sweep's.
 */
struct _hconn {
	int fd;
	int64_t since_ms; /* monotonic; written by its daemon's thread */
	unsigned d;	  /* its daemon's index in mhd[], _NO_D unknown */
	bool cut;
	bool requested;	    /* a request reached _access (its thread's) */
	int64_t gone_ms;    /* the sweep first saw the peer's end; 0 not yet */
	struct _req *spare; /* the last request's buffers, for the next one */
	struct _hconn *prev, *next;
};
#define _NO_D UINT32_MAX
/* After a handler held its daemon's thread, the thread's own idle
 * timeouts need a moment to run: until then the sweep leaves its
 * connections alone (an idle one is the timer's, not slow). */
#define _BUSY_GRACE_MS 2000

struct _mthr {
	struct _srv *s;
	pthread_t tid;
	bool started;
	int ep;
	struct _mconn *conns;
};

struct _srv {
	const struct reg *r;
	const struct cfg *c;
	struct reg_proc *me;
	uint64_t *ctr;
	struct rq_limits lim;
	struct mp_limits mlim; /* pre-scan caps of the msgpack stream */
	bool quiet;	       /* the last run failed to bind as well */
	pthread_key_t key;
	struct MHD_Daemon *mhd[CFG_LISTEN_MAX * CFG_SERVER_THREADS_MAX];
	/* per daemon (thread): when its current handler began (0: none)
	 * and when the last one ended, monotonic ms; for the sweep */
	int64_t busy_ms[CFG_LISTEN_MAX * CFG_SERVER_THREADS_MAX];
	int64_t freed_ms[CFG_LISTEN_MAX * CFG_SERVER_THREADS_MAX];
	unsigned n_mhd;
	/* per address, a listening socket per thread (-1: none or handed
	 * to its daemon) */
	int http_fd[CFG_LISTEN_MAX][CFG_SERVER_THREADS_MAX];
	int mp_fd[CFG_LISTEN_MAX][CFG_SERVER_THREADS_MAX];
	/* per address with several threads, the claim on it (_claim) */
	int http_claim[CFG_LISTEN_MAX], mp_claim[CFG_LISTEN_MAX];
	struct cfg_addr http_addr[CFG_LISTEN_MAX], mp_addr[CFG_LISTEN_MAX];
	unsigned n_http, n_mp;
	struct _mthr *mthr;
	unsigned n_mthr;
	int stop_fd;	    /* eventfd: the msgpack threads stop */
	bool loopback_only; /* every http_listen address is a loopback one */
	char health[256];
	size_t health_len;
	/* open HTTP connections (_hconn), guarded by hmu: the daemons'
	 * threads add and remove, the main thread sweeps */
	pthread_mutex_t hmu;
	struct _hconn *hconns;
	struct mx_latency lat; /* GET /metrics; this process's memory */
	struct dash *dash;     /* the dashboard's routes and history */
};

/* What a thread keeps between requests. */
struct _tls {
	pen_t *p;
	struct rq_decoder *dec;
	struct pen_ranked *res;
	size_t res_cap;
};

static void _count(struct _srv *s, unsigned k, uint64_t n)
{
	ck_pr_add_64(&s->ctr[k], n);
}

static void _tls_free(void *v)
{
	struct _tls *t = v;
	pen_close(&t->p);
	rq_decoder_free(&t->dec);
	free(t->res);
	free(t);
}

/* This thread's handle and buffers, made on first use; NULL with e set. */
static struct _tls *_tls(struct _srv *s, struct rq_error *e)
{
	struct _tls *t = pthread_getspecific(s->key);
	if (t)
		return t;
	char err[256] = "";
	t = calloc(1, sizeof(*t));
	if (!t || rq_decoder_new(&t->dec, &s->lim)) {
		free(t);
		rq_error_set(e, 500, "", "no_memory: thread state");
		return NULL;
	}
	int rc = pen_open(s->c->instance, &t->p, err, sizeof(err));
	if (rc) {
		LOG(s->c, CFG_LOG_ERROR, _ROLE, "pen_open: %s",
		    err[0] ? err : pen_strerror(rc));
		rq_decoder_free(&t->dec);
		free(t);
		rq_error_set(e, 503, "", "unavailable: %s", pen_strerror(rc));
		return NULL;
	}
	pthread_setspecific(s->key, t);
	return t;
}

/*
 * Ranks a decoded request into t->res. 0 with *rid, or a negative errno
 * with e set (status 400, 500, 501 or 503).
 */
static int _rank(struct _srv *s, struct _tls *t, const struct rq_request *rq,
    uint64_t *rid, struct rq_error *e)
{
	if (t->res_cap < rq->n) {
		struct pen_ranked *n = realloc(t->res, rq->n * sizeof(*n));
		if (!n) {
			rq_error_set(e, 500, "", "no_memory: %zu results",
			    rq->n);
			return -ENOMEM;
		}
		t->res = n;
		t->res_cap = rq->n;
	}
	uint64_t t0 = mx_now_ns();
	int rc = pen_rerank(t->p, rq->user_id, rq->user_len, &rq->ctx,
	    rq->cands, rq->n, &rq->opt, t->res, rid);
	mx_observe(&s->lat.rerank, mx_now_ns() - t0);
	if (rc == 0) {
		_count(s, REG_C_SRV_RANKED, rq->n);
		return 0;
	}
	if (rc == -EINVAL)
		rq_error_set(e, 400, "",
		    "bad_request: the ranker refused it: %s", pen_strerror(rc));
	else if (rc == -EBUSY)
		rq_error_set(e, 503, "user_id",
		    "busy: the user's profile is being recovered; retry");
	else
		rq_error_set(e, 500, "", "internal: %s", pen_strerror(rc));
	return rc;
}

/* ---- HTTP ------------------------------------------------------------- */

enum _route {
	_R_NONE = 0,
	_R_RANK,
	_R_PROFILE,
	_R_ERASE, /* DELETE /v1/profile/USER */
	_R_HEALTH,
	_R_METRICS,
	_R_DASH,
	_R_NOT_ALLOWED
};

/*
 * One HTTP request (libmicrohttpd's per-request pointer). A connection
 * carries one request at a time (the next one is read once the last
 * answer is sent), so when a request completes its buffers go back to
 * its connection (_hconn.spare) and serve the next one: a keep-alive
 * client costs no allocation a request. The answer of a ranking is sent
 * straight from out (libmicrohttpd's persistent mode, no copy): it is
 * only reused after completion, when every byte of it has left.
 */
struct _req {
	enum _route route;
	bool answered;
	bool too_big; /* the body passed the cap: kept no more */
	char *body;
	size_t len, cap;
	uint64_t dropped;  /* bytes read past the cap */
	uint64_t t0;	   /* monotonic ns: the first call (headers in) */
	enum mx_route mx;  /* the latency histogram it counts in */
	struct rq_buf out; /* the ranking's answer while it is sent */
	struct _hconn *h;  /* its connection (NULL: none known) */
};

/* Buffers above this size are not kept between requests: an idle
 * connection holds at most twice this beside libmicrohttpd's own pool. */
#define _KEEP_BYTES (16 * 1024)

static void _req_free(struct _req *q)
{
	if (!q)
		return;
	free(q->body);
	rq_buf_free(&q->out);
	free(q);
}

/* A request's state: the connection's spare (buffers kept), or new. */
static struct _req *_req_take(struct _hconn *h)
{
	struct _req *q = h ? h->spare : NULL;
	if (!q)
		q = calloc(1, sizeof(*q));
	else
		*q = (struct _req){ .body = q->body,
			.cap = q->cap,
			.out = { .p = q->out.p, .cap = q->out.cap } };
	if (q)
		q->h = h;
	if (h)
		h->spare = NULL;
	return q;
}

/* A completed request: its buffers go back to its connection. */
static void _req_give(struct _req *q)
{
	if (!q->h || q->h->spare) {
		_req_free(q);
		return;
	}
	if (q->cap > _KEEP_BYTES) {
		free(q->body);
		q->body = NULL;
		q->cap = 0;
	}
	if (q->out.cap > _KEEP_BYTES)
		rq_buf_free(&q->out);
	q->h->spare = q;
}

/*
 * Queues an answer. etag NULL: nothing in it may be kept (profiles,
 * rankings, metrics: Cache-Control no-store); else a file of the
 * dashboard, kept by a browser and checked by its ETag before use. mode:
 * MUST_COPY for a body that is gone when this returns; PERSISTENT for
 * one that stays until the request completes (sent without a copy);
 * MUST_FREE hands a malloc'd body over (freed here if nothing is
 * queued).
 */
static enum MHD_Result _send_tagged(struct _srv *s, struct MHD_Connection *conn,
    unsigned status, const char *body, size_t len, const char *allow,
    const char *type, const char *etag, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)body, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free((void *)body);
		return MHD_NO;
	}
	if (type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	/* Read as what it says it is, never inside another site's frame,
	 * and run nothing but this server's own files (the dashboard has
	 * no inline script or style). */
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'self'; img-src 'self' data:; object-src 'none'; "
	    "base-uri 'none'; "
	    "form-action 'none'; frame-ancestors 'none'");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    etag ? "no-cache" : "no-store");
	if (etag)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	_count(s, REG_C_SRV_HTTP_REQUESTS, 1);
	if (status >= 400 && status < 500)
		_count(s, REG_C_SRV_HTTP_4XX, 1);
	if (status == 413)
		_count(s, REG_C_SRV_HTTP_TOO_BIG, 1);
	if (status >= 500)
		_count(s, REG_C_SRV_HTTP_5XX, 1);
	return rc;
}

static enum MHD_Result _send_as(struct _srv *s, struct MHD_Connection *conn,
    unsigned status, const char *body, size_t len, const char *allow,
    const char *type)
{
	return _send_tagged(s, conn, status, body, len, allow, type, NULL,
	    MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result _send(struct _srv *s, struct MHD_Connection *conn,
    unsigned status, const char *body, size_t len, const char *allow)
{
	return _send_as(s, conn, status, body, len, allow, "application/json");
}

/* A JSON body that outlives the request (sent without a copy). */
static enum MHD_Result _send_kept(struct _srv *s, struct MHD_Connection *conn,
    unsigned status, const char *body, size_t len)
{
	return _send_tagged(s, conn, status, body, len, NULL,
	    "application/json", NULL, MHD_RESPMEM_PERSISTENT);
}

/* A malloc'd body, handed over (freed whatever happens). */
static enum MHD_Result _send_given(struct _srv *s, struct MHD_Connection *conn,
    char *body, size_t len, const char *type)
{
	return _send_tagged(s, conn, 200, body, len, NULL, type, NULL,
	    MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result _send_error(struct _srv *s, struct MHD_Connection *conn,
    const struct rq_error *e, const char *allow)
{
	struct rq_buf b = { 0 };
	rq_error_json(&b, e);
	enum MHD_Result rc =
	    b.oom ? MHD_NO : _send(s, conn, e->status, b.p, b.len, allow);
	rq_buf_free(&b);
	return rc;
}

static enum MHD_Result __attribute__((format(printf, 5, 6)))
_refuse(struct _srv *s, struct MHD_Connection *conn, unsigned status,
    const char *field, const char *fmt, ...)
{
	struct rq_error e;
	va_list ap;
	va_start(ap, fmt);
	e.status = status;
	snprintf(e.field, sizeof(e.field), "%s", field);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	return _send_error(s, conn, &e, NULL);
}

static enum MHD_Result _health(struct _srv *s, struct MHD_Connection *conn)
{
	if (ck_pr_load_uint(&s->r->hdr->state) != REG_RUNNING)
		return _send_kept(s, conn, 503, "{\"status\":\"stopping\"}",
		    21);
	return _send_kept(s, conn, 200, s->health, s->health_len);
}

static int _hex(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0'
	    : ch >= 'a' && ch <= 'f'  ? ch - 'a' + 10
	    : ch >= 'A' && ch <= 'F'  ? ch - 'A' + 10
				      : -1;
}

/* Percent-decodes src into dst (room for cap); the length or -1. */
static long _url_decode(const char *src, char *dst, size_t cap)
{
	size_t n = 0;
	for (; *src; src++) {
		int ch = (unsigned char)*src;
		if (ch == '%') {
			int hi = _hex(src[1]), lo = hi < 0 ? -1 : _hex(src[2]);
			if (lo < 0)
				return -1;
			ch = hi << 4 | lo;
			src += 2;
		}
		if (n == cap)
			return (long)cap + 1;
		dst[n++] = (char)ch;
	}
	return (long)n;
}

/*
 * The user id of /v1/profile/USER into user (NUL-terminated), *n its
 * length; MHD_YES when it is usable, else the refusal already sent in
 * *r.
 */
static bool _user_of(struct _srv *s, struct MHD_Connection *conn,
    const char *url, char *user, size_t cap, long *n, enum MHD_Result *r)
{
	size_t max = s->c->max_id_len;
	*n = _url_decode(url + strlen(_PROFILE_PREFIX), user,
	    max < cap - 1 ? max : cap - 1);
	if (*n < 0)
		*r = _refuse(s, conn, 400, "user",
		    "bad_id: the user id is not valid percent-encoding");
	else if (*n == 0)
		*r = _refuse(s, conn, 404, "user",
		    "not_found: /v1/profile/USER needs a user id");
	else if ((size_t)*n > max)
		*r = _refuse(s, conn, 400, "user",
		    "too_long: the user id has more than %zu bytes", max);
	else if (user[*n] = 0, !evt_user_text_ok(user, (size_t)*n))
		*r = _refuse(s, conn, 400, "user",
		    "bad_id: the user id must be UTF-8 without control bytes");
	else
		return true;
	return false;
}

/* DELETE /v1/profile/USER: pen_erase (docs/PRIVACY.md). */
static enum MHD_Result _erase(struct _srv *s, struct MHD_Connection *conn,
    const char *url)
{
	struct rq_error e;
	char user[4096 + 1], err[256], out[256];
	long n;
	enum MHD_Result r;
	if (!_user_of(s, conn, url, user, sizeof(user), &n, &r))
		return r;
	struct _tls *t = _tls(s, &e);
	if (!t)
		return _send_error(s, conn, &e, NULL);
	struct pen_erase_report rep;
	int rc =
	    pen_erase(t->p, user, (size_t)n, 10000, &rep, err, sizeof(err));
	if (rc && rc != -EIO) /* -EIO: erased, not in the audit trail */
		return _refuse(s, conn, rc == -ETIMEDOUT ? 503 : 500, "",
		    "erase: %.200s", err[0] ? err : pen_strerror(rc));
	int len = snprintf(out, sizeof(out),
	    "{\"user_key\":\"%016llx\",\"profile\":%s,\"snapshot\":%s,\"seconds\":%.6f,\"audited\":%s}",
	    (unsigned long long)rep.user_key,
	    rep.had_profile ? "true" : "false",
	    rep.snapshot_had ? "true" : "false", rep.seconds,
	    rc ? "false" : "true");
	return _send(s, conn, 200, out, (size_t)len, NULL);
}

static enum MHD_Result _profile(struct _srv *s, struct MHD_Connection *conn,
    const char *url)
{
	struct rq_error e;
	char user[4096 + 1];
	long n;
	enum MHD_Result r0;
	if (!_user_of(s, conn, url, user, sizeof(user), &n, &r0))
		return r0;
	struct _tls *t = _tls(s, &e);
	if (!t)
		return _send_error(s, conn, &e, NULL);
	struct pen_profile pp;
	int rc = pen_profile_read(t->p, user, (size_t)n, &pp, PEN_READ_NAMES);
	if (rc == -ENOENT)
		return _refuse(s, conn, 404, "user",
		    "not_found: no profile for this user");
	if (rc == -EBUSY)
		return _refuse(s, conn, 503, "user",
		    "busy: the user's profile is being recovered; retry");
	if (rc)
		return _refuse(s, conn, 500, "", "internal: %s",
		    pen_strerror(rc));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return _refuse(s, conn, 500, "", "no_memory: profile");
	client_profile_json(f, t->p, user, &pp);
	bool bad = ferror(f) != 0;
	if (fclose(f) || bad) {
		free(buf);
		return _refuse(s, conn, 500, "", "no_memory: profile");
	}
	enum MHD_Result r = _send_given(s, conn, buf, len, "application/json");
	if (r == MHD_YES)
		_count(s, REG_C_SRV_HTTP_PROFILE, 1);
	return r;
}

/* GET /metrics: the Prometheus text format (workers/metrics.h). */
static enum MHD_Result _metrics(struct _srv *s, struct MHD_Connection *conn)
{
	struct rq_error e;
	struct _tls *t = _tls(s, &e);
	if (!t)
		return _send_error(s, conn, &e, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return _refuse(s, conn, 500, "", "no_memory: metrics");
	struct mx_verbs v;
	bool verbs = dash_verbs(s->dash, t->p, &v) == 0;
	int rc = mx_write(f, t->p, &s->lat, verbs ? &v : NULL);
	bool bad = ferror(f) != 0;
	if (fclose(f) || bad || rc) {
		free(buf);
		return _refuse(s, conn, 500, "", "no_memory: metrics");
	}
	return _send_given(s, conn, buf, len,
	    "text/plain; version=0.0.4; charset=utf-8");
}

/*
 * Whether an If-None-Match header names etag (RFC 9110 13.1.2: a list of
 * entity tags, weak ones compared by their opaque part, or "*").
 */
static bool _etag_matches(const char *h, const char *etag)
{
	size_t n = strlen(etag);
	while (h && *h) {
		h += strspn(h, " \t,");
		if (*h == '*')
			return true;
		if (!strncmp(h, "W/", 2))
			h += 2;
		if (!strncmp(h, etag, n) &&
		    (h[n] == 0 || h[n] == ',' || h[n] == ' ' || h[n] == '\t'))
			return true;
		h += strcspn(h, ",");
	}
	return false;
}

/* The dashboard's routes (workers/dash.h). */
static enum MHD_Result _dash(struct _srv *s, struct MHD_Connection *conn,
    const char *url)
{
	struct rq_error e;
	struct _tls *t = _tls(s, &e);
	if (!t)
		return _send_error(s, conn, &e, NULL);
	struct dash_reply a;
	int rc = dash_answer(s->dash, t->p, url, &a);
	if (rc)
		return _refuse(s, conn, 500, "", "internal: %s", strerror(-rc));
	if (!a.static_body || a.status != 200) {
		enum MHD_Result r =
		    _send_as(s, conn, a.status, a.body, a.len, NULL, a.type);
		if (!a.static_body)
			free(a.body);
		return r;
	}
	/* A compiled-in file: its hash is its version. */
	char etag[2 + 16 + 1];
	snprintf(etag, sizeof(etag), "\"%016llx\"",
	    (unsigned long long)XXH3_64bits(a.body, a.len));
	if (_etag_matches(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
			      MHD_HTTP_HEADER_IF_NONE_MATCH),
		etag))
		return _send_tagged(s, conn, 304, "", 0, NULL, NULL, etag,
		    MHD_RESPMEM_PERSISTENT);
	/* compiled in: it lives as long as the process */
	return _send_tagged(s, conn, 200, a.body, a.len, NULL, a.type, etag,
	    MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result _rank_http(struct _srv *s, struct MHD_Connection *conn,
    struct _req *q)
{
	struct rq_error e;
	struct rq_request rq;
	uint64_t rid = 0;
	if (q->too_big)
		return _refuse(s, conn, 413, "",
		    "too_big: the body has more than %u bytes (max_request_bytes)",
		    s->c->max_request_bytes);
	struct _tls *t = _tls(s, &e);
	if (!t)
		return _send_error(s, conn, &e, NULL);
	if (rq_decode_json(t->dec, q->body, q->len, &rq, &e) ||
	    _rank(s, t, &rq, &rid, &e))
		return _send_error(s, conn, &e, NULL);
	q->out.len = 0;
	q->out.oom = false;
	if (rq_encode_json(&q->out, &rq, t->res, rid))
		return _refuse(s, conn, 500, "", "internal: encoding failed");
	/* q->out stays until the request completes: no copy */
	enum MHD_Result r = _send_kept(s, conn, 200, q->out.p, q->out.len);
	if (r == MHD_YES)
		_count(s, REG_C_SRV_HTTP_RANK, 1);
	return r;
}

/* What the server keeps of a connection (NULL: nothing, no memory). */
static struct _hconn *_hconn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* The connection's clock starts again (a phase of a request is done). */
static void _conn_moved(struct _hconn *h)
{
	if (h)
		ck_pr_store_64((uint64_t *)&h->since_ms,
		    (uint64_t)reg_now_mono_ms());
}

/*
 * What an error message shows of a request's method or path: at most
 * `max` bytes of it, bytes outside printable ASCII as %XX, so the JSON
 * answer stays valid UTF-8 whatever was sent (and a cut never splits a
 * character).
 */
static const char *_shown(const char *in, size_t max, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (size_t i = 0; in[i] && i < max && o + 4 <= cap; i++) {
		unsigned char ch = (unsigned char)in[i];
		if (ch > 0x20 && ch < 0x7f) {
			out[o++] = (char)ch;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[ch >> 4];
		out[o++] = hex[ch & 15];
	}
	out[o] = 0;
	return out;
}

/* Whether an address is a loopback one (127/8, ::1, v4-mapped 127/8). */
static bool _loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)ss)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		    (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

/*
 * A Host a loopback-only server answers: a loopback name or address,
 * with or without a port. Anything else reaching a loopback listener
 * came through a page whose DNS name was made to point at 127.0.0.1
 * (DNS rebinding): a browser would let that page read the answers.
 */
static bool _host_ok(const char *host)
{
	if (!host)
		return true; /* HTTP/1.0 */
	char name[64];
	const char *end;
	if (host[0] == '[') { /* [v6]:port, any form of ::1 */
		end = strchr(host, ']');
		if (!end || (size_t)(end - host - 1) >= sizeof(name))
			return false;
		memcpy(name, host + 1, (size_t)(end - host - 1));
		name[end - host - 1] = 0;
		struct in6_addr a6;
		return (end[1] == 0 ||
			   (end[1] == ':' && end[2] &&
			       strspn(end + 2, "0123456789") ==
				   strlen(end + 2))) &&
		    inet_pton(AF_INET6, name, &a6) == 1 &&
		    IN6_IS_ADDR_LOOPBACK(&a6);
	}
	end = strchr(host, ':');
	/* a port is digits: "localhost:evil.com" names no loopback host */
	if (end &&
	    (!end[1] || strspn(end + 1, "0123456789") != strlen(end + 1)))
		return false;
	size_t hl = end ? (size_t)(end - host) : strlen(host);
	if (hl && host[hl - 1] == '.') /* a fully qualified name */
		hl--;
	if (hl == 0 || hl >= sizeof(name))
		return false;
	memcpy(name, host, hl);
	name[hl] = 0;
	if (!strcasecmp(name, "localhost"))
		return true;
	struct in_addr a;
	return inet_pton(AF_INET, name, &a) == 1 &&
	    (ntohl(a.s_addr) >> 24) == 127;
}

/*
 * Whether a request that changes something (a ranking counts exposures
 * and serving statistics; DELETE erases) was sent by a page of another
 * origin: its Origin is not this server's own (scheme "http://" or
 * "https://" and the Host, any case), or Sec-Fetch-Site says cross-site
 * or same-site. A browser sends a "simple" cross-origin POST
 * (text/plain, a form) without asking first, so a page the visitor
 * opens could rank through the loopback server (the Host guard passes:
 * the browser names 127.0.0.1) and skew an experiment's counts. This
 * server answers no CORS preflight, so a legitimate page of another
 * origin cannot call it anyway; services and curl send no Origin.
 */
static bool _cross_origin(struct MHD_Connection *conn, const char *host)
{
	const char *origin =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Sec-Fetch-Site");
	/* A browser that says where the request comes from is believed
	 * (behind a reverse proxy that rewrites Host, Origin and Host
	 * differ for the server's own pages); one that does not is judged
	 * by its Origin against the Host. */
	if (site)
		return strcasecmp(site, "same-origin") &&
		    strcasecmp(site, "none");
	if (!origin)
		return false;
	size_t skip = !strncasecmp(origin, "http://", 7) ? 7
	    : !strncasecmp(origin, "https://", 8)	 ? 8
							 : 0;
	/* "null" (a sandboxed frame, a file) or any other scheme: foreign. */
	return !skip || !host || strcasecmp(origin + skip, host) != 0;
}

/* The framing headers of a request, as _framing counts them. */
struct _frame {
	unsigned lengths; /* Content-Length headers */
	bool differ;	  /* two of them disagree */
	bool chunked;	  /* a Transfer-Encoding header */
	bool other;	  /* one that is not exactly "chunked" */
	bool blank;	  /* a header name with a blank in it */
	unsigned hosts;	  /* Host headers */
	const char *length;
};

/* Whether a Transfer-Encoding value is "chunked" alone (any case, blanks
 * around it): the one coding this server reads. */
static bool _only_chunked(const char *v)
{
	if (!v)
		return false;
	v += strspn(v, " \t");
	if (strncasecmp(v, "chunked", 7))
		return false;
	return v[7 + strspn(v + 7, " \t")] == 0;
}

static enum MHD_Result _frame_header(void *cls, enum MHD_ValueKind kind,
    const char *key, const char *value)
{
	struct _frame *f = cls;
	(void)kind;
	f->blank |= key[strcspn(key, " \t")] != 0;
	if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		f->other |= f->chunked || !_only_chunked(value);
		f->chunked = true;
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_HOST)) {
		f->hosts++;
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		f->differ |=
		    f->lengths && strcmp(f->length, value ? value : "");
		f->length = value ? value : "";
		f->lengths++;
	}
	return MHD_YES;
}

/*
 * The body's framing must be one thing (RFC 9112 6.3): two different
 * Content-Lengths, or a Content-Length beside Transfer-Encoding, would
 * let the body's end be read two ways (a proxy in front taking one, this
 * server the other: the rest of a body read as the next request), and so
 * would a Transfer-Encoding other than "chunked" alone (this server reads
 * no other coding: RFC 9112 6.3 asks for 400), a blank in a header's name
 * ("Content-Length : 5" is no Content-Length here, the length to a lenient
 * proxy: 5.1), and two Host headers or none in HTTP/1.1 (3.2; the library
 * would answer that one itself, its page's head sent twice). Refused with
 * 400 before any body byte is read; the connection then closes. Returns
 * the one Content-Length (NULL: none) through *length.
 */
static bool _framing(struct MHD_Connection *conn, const char *version,
    const char **length, const char **why)
{
	struct _frame f = { 0 };
	MHD_get_connection_values(conn, MHD_HEADER_KIND, _frame_header, &f);
	*length = f.lengths ? f.length : NULL;
	*why = f.differ ? "Content-Length is given twice with different values"
	    : f.lengths && f.chunked
	    ? "both Content-Length and Transfer-Encoding are given"
	    : f.other ? "a Transfer-Encoding other than chunked (the only one "
			"read here)"
	    : f.blank ? "a header name holds a blank ('Name : value' is read "
			"two ways)"
	    : f.hosts > 1 ? "Host is given twice"
	    : !f.hosts && !strcmp(version, MHD_HTTP_VERSION_1_1)
	    ? "an HTTP/1.1 request needs a Host header"
	    : NULL;
	return *why == NULL;
}

/*
 * The first call of a request: its headers are in, its body is not. Only
 * ambiguous framing and a declared body over the cap (on any route) are
 * answered now (the connection then closes); everything else is answered
 * once the request is in, so the connection stays open for the next one.
 */
static enum MHD_Result _start_request(struct _srv *s,
    struct MHD_Connection *conn, struct _req *q, const char *url,
    const char *method, const char *version)
{
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) ||
	    !strcmp(method, MHD_HTTP_METHOD_HEAD);
	bool post = !strcmp(method, MHD_HTTP_METHOD_POST);
	bool del = !strcmp(method, MHD_HTTP_METHOD_DELETE);
	if (!strcmp(url, "/v1/rank"))
		q->route = post ? _R_RANK : _R_NOT_ALLOWED;
	else if (!strcmp(url, "/v1/health"))
		q->route = get ? _R_HEALTH : _R_NOT_ALLOWED;
	else if (!strncmp(url, _PROFILE_PREFIX, strlen(_PROFILE_PREFIX)))
		q->route = get ? _R_PROFILE : del ? _R_ERASE : _R_NOT_ALLOWED;
	else if (!strcmp(url, "/metrics"))
		q->route = get ? _R_METRICS : _R_NOT_ALLOWED;
	else if (dash_route(url, &q->mx))
		q->route = get ? _R_DASH : _R_NOT_ALLOWED;
	if (q->route != _R_DASH)
		q->mx = q->route == _R_RANK  ? MX_ROUTE_RANK
		    : q->route == _R_PROFILE ? MX_ROUTE_PROFILE
		    : q->route == _R_HEALTH  ? MX_ROUTE_HEALTH
		    : q->route == _R_METRICS ? MX_ROUTE_METRICS
					     : MX_ROUTE_OTHER;
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);
	if (s->loopback_only && !_host_ok(host)) {
		q->answered = true;
		char shown[3 * 60 + 1];
		return _refuse(s, conn, 403, "",
		    "forbidden_host: Host '%s' is not a loopback name; this server listens on loopback only (a guard against DNS rebinding)",
		    _shown(host, 60, shown, sizeof(shown)));
	}
	const char *cl, *why;
	if (!_framing(conn, version, &cl, &why)) {
		q->answered = true;
		return _refuse(s, conn, 400, "", "malformed: %s", why);
	}
	if ((q->route == _R_RANK || q->route == _R_ERASE) &&
	    _cross_origin(conn, host)) {
		q->answered = true;
		_count(s, REG_C_SRV_HTTP_CROSS_ORIGIN, 1);
		return _refuse(s, conn, 403, "",
		    "cross_origin: a %s from a page of another origin is refused (no page but this server's own may rank or erase through a visitor's browser)",
		    q->route == _R_RANK ? "POST" : "DELETE");
	}
	if (cl) { /* a declared size over the cap is refused unread */
		char *end;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (errno || end == cl || *end || n > s->c->max_request_bytes) {
			q->answered = true;
			return _refuse(s, conn, 413, "",
			    "too_big: the body has %.30s bytes, at most %u (max_request_bytes)",
			    cl, s->c->max_request_bytes);
		}
		if (q->route != _R_RANK)
			return MHD_YES; /* a body here is read and dropped */
		/* Memory follows the bytes that arrive, not the promise;
		 * the connection's last body buffer serves if it is big
		 * enough. */
		size_t want = n < 16384 ? n : 16384;
		if (want > q->cap) {
			free(q->body);
			q->cap = 0;
			if (!(q->body = malloc(want)))
				return MHD_NO;
			q->cap = want;
		}
	}
	return MHD_YES;
}

/* The request is in: answer it. */
static enum MHD_Result _answer(struct _srv *s, struct MHD_Connection *conn,
    struct _req *q, const char *url, const char *method)
{
	struct rq_error e;
	char m[3 * 16 + 1], u[3 * 100 + 1];
	switch (q->route) {
	case _R_RANK: return _rank_http(s, conn, q);
	case _R_PROFILE: return _profile(s, conn, url);
	case _R_ERASE: return _erase(s, conn, url);
	case _R_HEALTH: return _health(s, conn);
	case _R_METRICS: return _metrics(s, conn);
	case _R_DASH: return _dash(s, conn, url);
	case _R_NOT_ALLOWED:
		rq_error_set(&e, 405, "", "method_not_allowed: %s %s",
		    _shown(method, 16, m, sizeof(m)),
		    _shown(url, 100, u, sizeof(u)));
		return _send_error(s, conn, &e,
		    !strcmp(url, "/v1/rank") ? "POST"
			: !strncmp(url, _PROFILE_PREFIX,
			      strlen(_PROFILE_PREFIX))
			? "GET, HEAD, DELETE"
			: "GET, HEAD");
	default:
		return _refuse(s, conn, 404, "", "not_found: no route %s %s",
		    _shown(method, 16, m, sizeof(m)),
		    _shown(url, 100, u, sizeof(u)));
	}
}

/* Body bytes: kept up to the cap, then read and dropped (bounded). */
static enum MHD_Result _take_body(struct _srv *s, struct _req *q,
    const char *data, size_t *size)
{
	size_t n = *size, max = s->c->max_request_bytes;
	*size = 0;
	if (q->route != _R_RANK) { /* nothing to keep: read and drop */
		q->dropped += n;
		if (q->dropped <= 4ull * max)
			return MHD_YES;
		_count(s, REG_C_SRV_HTTP_TOO_BIG, 1); /* closed unanswered */
		return MHD_NO;
	}
	if (!q->too_big && q->len + n <= max) {
		if (q->len + n > q->cap) {
			size_t cap = q->cap ? q->cap * 2 : 4096;
			if (cap < q->len + n)
				cap = q->len + n;
			if (cap > max)
				cap = max;
			char *b = realloc(q->body, cap);
			if (!b)
				return MHD_NO;
			q->body = b;
			q->cap = cap;
		}
		memcpy(q->body + q->len, data, n);
		q->len += n;
		return MHD_YES;
	}
	if (!q->too_big) {
		q->too_big = true;
		free(q->body);
		q->body = NULL;
		q->dropped = q->len;
		q->len = q->cap = 0;
	}
	q->dropped += n;
	if (q->dropped > 4ull * max) {
		/* Not worth reading on: close without an answer. */
		_count(s, REG_C_SRV_HTTP_TOO_BIG, 1);
		return MHD_NO;
	}
	return MHD_YES;
}

static enum MHD_Result _access(void *cls, struct MHD_Connection *conn,
    const char *url, const char *method, const char *version, const char *data,
    size_t *size, void **ptr)
{
	struct _srv *s = cls;
	struct _req *q = *ptr;
	if (!q) {
		struct _hconn *h = _hconn_of(conn);
		if (!(q = _req_take(h)))
			return MHD_NO;
		q->t0 = mx_now_ns();
		*ptr = q;
		if (h)
			h->requested = true;
		_conn_moved(h); /* the head is in: the body's turn */
		return _start_request(s, conn, q, url, method, version);
	}
	if (*size) {
		if (q->answered) {
			*size = 0;
			return MHD_YES;
		}
		return _take_body(s, q, data, size);
	}
	if (q->answered)
		return MHD_YES;
	q->answered = true;
	/* The handler holds this daemon's thread (an erasure may wait for
	 * its worker): the sweep leaves the thread's connections alone
	 * meanwhile, and the answer's clock starts once it is queued. */
	struct _hconn *h = q->h;
	unsigned d = h ? h->d : _NO_D;
	if (d != _NO_D)
		ck_pr_store_64((uint64_t *)&s->busy_ms[d],
		    (uint64_t)reg_now_mono_ms());
	enum MHD_Result rc = _answer(s, conn, q, url, method);
	if (d != _NO_D) {
		ck_pr_store_64((uint64_t *)&s->freed_ms[d],
		    (uint64_t)reg_now_mono_ms());
		ck_pr_store_64((uint64_t *)&s->busy_ms[d], 0);
	}
	_conn_moved(h); /* queued: the answer's turn */
	return rc;
}

static void _completed(void *cls, struct MHD_Connection *conn, void **ptr,
    enum MHD_RequestTerminationCode why)
{
	struct _srv *s = cls;
	struct _req *q = *ptr;
	(void)why;
	/* sent: the next request's turn */
	_conn_moved(q ? q->h : _hconn_of(conn));
	if (q) {
		if (q->answered)
			mx_observe(&s->lat.http[q->mx], mx_now_ns() - q->t0);
		/* libmicrohttpd calls this before it lets the connection go
		 * (_conn_note): q->h is still there */
		_req_give(q);
		*ptr = NULL;
	}
}

/* Paths are decoded by the handler (a NUL in a user id is refused there,
 * not cut off): libmicrohttpd leaves them as sent. */
static size_t _unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return strlen(s);
}

static void _mhd_log(void *cls, const char *fmt, va_list ap)
{
	static const char refused[] =
	    "Error processing request (HTTP response code is ";
	struct _srv *s = cls;
	char buf[256];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	/* A request the library answered with its own error page never
	 * reaches _access: its log line is where it can be counted. */
	if (!strncmp(buf, refused, sizeof(refused) - 1))
		_count(s, REG_C_SRV_HTTP_MALFORMED, 1);
	LOG(s->c, CFG_LOG_DEBUG, _ROLE, "http: %s", buf);
}

/*
 * One max_connections for all the daemons: the kernel hands a connection
 * to a thread's socket whatever that thread holds, so a limit per daemon
 * would leave a connection waiting in a full daemon's queue while others
 * have room. Counted when a connection starts and ends; a connection
 * accepted past the limit is closed at once (and counted), like the
 * msgpack side's.
 */
static enum MHD_Result _admit(void *cls, const struct sockaddr *addr,
    socklen_t len)
{
	struct _srv *s = cls;
	(void)addr;
	(void)len;
	if (ck_pr_load_64(&s->ctr[REG_C_SRV_HTTP_CONNS]) <
	    s->c->max_connections)
		return MHD_YES;
	_count(s, REG_C_SRV_HTTP_REFUSED, 1);
	return MHD_NO;
}

/*
 * Connections open and close: the gauge, and the sweep's list. The close
 * notice comes before libmicrohttpd closes the socket, so while an entry
 * is on the list (under hmu) its fd is still the connection's.
 */
static void _conn_note(void *cls, struct MHD_Connection *conn, void **sctx,
    enum MHD_ConnectionNotificationCode what)
{
	struct _srv *s = cls;
	struct _hconn *h = *sctx;
	if (what == MHD_CONNECTION_NOTIFY_STARTED) {
		ck_pr_inc_64(&s->ctr[REG_C_SRV_HTTP_CONNS]);
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn,
			MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci || !(h = calloc(1, sizeof(*h))))
			return; /* no deadline for this one */
		h->fd = ci->connect_fd;
		h->since_ms = reg_now_mono_ms();
		h->d = _NO_D;
		const union MHD_ConnectionInfo *di =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
		for (unsigned i = 0; di && i < ck_pr_load_uint(&s->n_mhd); i++)
			if (ck_pr_load_ptr(&s->mhd[i]) == di->daemon)
				h->d = i;
		pthread_mutex_lock(&s->hmu);
		h->next = s->hconns;
		if (s->hconns)
			s->hconns->prev = h;
		s->hconns = h;
		pthread_mutex_unlock(&s->hmu);
		*sctx = h;
	} else if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
		ck_pr_dec_64(&s->ctr[REG_C_SRV_HTTP_CONNS]);
		if (!h)
			return;
		/* libmicrohttpd closes a connection whose first line it
		 * cannot read as a request line without a word or a log
		 * line: what is left to count it by is that no request
		 * came of it. */
		if (!h->requested)
			_count(s, REG_C_SRV_HTTP_NO_REQUEST, 1);
		pthread_mutex_lock(&s->hmu);
		if (h->prev)
			h->prev->next = h->next;
		else
			s->hconns = h->next;
		if (h->next)
			h->next->prev = h->prev;
		pthread_mutex_unlock(&s->hmu);
		_req_free(h->spare);
		free(h);
		*sctx = NULL;
	}
}

/* Whether h's thread is held by a handler, or was a moment ago. */
static bool _thread_busy(const struct _srv *s, const struct _hconn *h,
    int64_t now)
{
	return h->d != _NO_D &&
	    (ck_pr_load_64((uint64_t *)&s->busy_ms[h->d]) ||
		now - (int64_t)ck_pr_load_64((uint64_t *)&s->freed_ms[h->d]) <
		    _BUSY_GRACE_MS);
}

/*
 * Connections whose peer has gone (its end of the stream, a reset) with
 * nothing left for it to read, for a second sweep in a row: closed. In
 * its epoll mode libmicrohttpd (0.9.75) misses an end that arrives with
 * the last bytes of an unfinished request, and would hold the socket
 * until idle_timeout_s: a client closing a thousand such connections at
 * once would shut every other client out for that long. A peer that
 * ended its side after a whole request is answered first (its thread is
 * busy meanwhile, and its answer leaves within the second).
 */
static void _sweep_gone(struct _srv *s, int64_t now)
{
	size_t n = 0, cap = 0;
	for (struct _hconn *h = s->hconns; h; h = h->next)
		cap++;
	struct pollfd *pf = cap ? calloc(cap, sizeof(*pf)) : NULL;
	if (!pf)
		return;
	for (struct _hconn *h = s->hconns; h && n < cap; h = h->next)
		pf[n++] = (struct pollfd){ .fd = h->cut ? -1 : h->fd,
			.events = POLLRDHUP };
	if (poll(pf, n, 0) <= 0) {
		free(pf);
		return;
	}
	size_t i = 0;
	for (struct _hconn *h = s->hconns; h && i < n; h = h->next, i++) {
		int unsent = 0;
		bool gone = pf[i].revents & (POLLRDHUP | POLLHUP | POLLERR);
		if (!gone || (ioctl(h->fd, TIOCOUTQ, &unsent) == 0 && unsent)) {
			h->gone_ms = 0;
			continue;
		}
		if (!h->gone_ms)
			h->gone_ms = now;
		if (now - h->gone_ms < 1000 || _thread_busy(s, h, now))
			continue;
		h->cut = true;
		shutdown(h->fd, SHUT_RDWR);
	}
	free(pf);
}

/* Main thread: closes the connections stuck in one phase of a request
 * (shutdown: their daemon sees the end and closes them), and those whose
 * peer has gone. */
static void _sweep_http(struct _srv *s, int64_t now)
{
	int64_t limit = (int64_t)s->c->idle_timeout_s * 1000 + 1000;
	pthread_mutex_lock(&s->hmu);
	_sweep_gone(s, now);
	for (struct _hconn *h = s->hconns; h; h = h->next) {
		int64_t since =
		    (int64_t)ck_pr_load_64((uint64_t *)&h->since_ms);
		if (h->cut || now - since <= limit)
			continue;
		if (_thread_busy(s, h, now))
			continue; /* its thread was held by a handler */
		h->cut = true;
		_count(s, REG_C_SRV_HTTP_SLOW, 1); /* before the peer sees it */
		shutdown(h->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&s->hmu);
}

static int _start_http(struct _srv *s)
{
	const struct cfg *c = s->c;
	const unsigned T = c->server_threads;
	for (unsigned i = 0; i < s->n_http; i++)
		for (unsigned j = 0; j < T; j++) {
			unsigned flags =
			    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
			struct MHD_OptionItem ops[] = {
				{ MHD_OPTION_EXTERNAL_LOGGER,
				    (intptr_t)_mhd_log, s },
				{ MHD_OPTION_LISTEN_SOCKET, s->http_fd[i][j],
				    NULL },
				{ MHD_OPTION_CONNECTION_LIMIT,
				    (intptr_t)c->max_connections, NULL },
				{ MHD_OPTION_NOTIFY_CONNECTION,
				    (intptr_t)_conn_note, s },
				{ MHD_OPTION_CONNECTION_TIMEOUT,
				    (intptr_t)c->idle_timeout_s, NULL },
				{ MHD_OPTION_NOTIFY_COMPLETED,
				    (intptr_t)_completed, s },
				{ MHD_OPTION_UNESCAPE_CALLBACK,
				    (intptr_t)_unescape, s },
				{ MHD_OPTION_END, 0, NULL },
			};
			struct MHD_Daemon *d =
			    MHD_start_daemon(flags, 0, _admit, s, _access, s,
				MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
			if (!d) {
				LOG(c, CFG_LOG_ERROR, _ROLE,
				    "http_listen: libmicrohttpd did not start on %s",
				    s->http_addr[i].text);
				return -EIO;
			}
			ck_pr_store_ptr(&s->mhd[s->n_mhd], d);
			ck_pr_store_uint(&s->n_mhd, s->n_mhd + 1);
			s->http_fd[i][j] = -1; /* the daemon closes it */
		}
	return 0;
}

/* ---- msgpack over TCP ------------------------------------------------- */

static void _mc_close(struct _mthr *m, struct _mconn *k)
{
	epoll_ctl(m->ep, EPOLL_CTL_DEL, k->fd, NULL);
	if (k->closing) {
		/* Unread input would make close() reset the connection and
		 * could destroy the answers on their way: take what is there
		 * (bounded), then close with a FIN. */
		char sink[4096];
		for (int i = 0; i < 16 &&
		     recv(k->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0;
		     i++)
			;
		shutdown(k->fd, SHUT_WR);
	}
	close(k->fd);
	if (k->prev)
		k->prev->next = k->next;
	else
		m->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	ck_pr_dec_64(&m->s->ctr[REG_C_SRV_MP_CONNS]);
	free(k->in);
	rq_buf_free(&k->out);
	free(k);
}

static void _mc_want(struct _mthr *m, struct _mconn *k, bool writing)
{
	if (k->writing == writing)
		return;
	struct epoll_event ev = { .events = writing ? EPOLLOUT : EPOLLIN,
		.data.ptr = k };
	epoll_ctl(m->ep, EPOLL_CTL_MOD, k->fd, &ev);
	k->writing = writing;
}

/* Sends what is pending; false when the connection broke. */
static bool _mc_flush(struct _mthr *m, struct _mconn *k)
{
	while (k->out_off < k->out.len) {
		ssize_t n = send(k->fd, k->out.p + k->out_off,
		    k->out.len - k->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			_mc_want(m, k, true);
			return true;
		}
		if (n <= 0)
			return false;
		k->out_off += (size_t)n;
	}
	k->out.len = k->out_off = 0;
	_mc_want(m, k, false);
	return true;
}

/* One complete request object: its answer goes to k->out. */
static void _mc_request(struct _srv *s, struct _mconn *k, const char *p,
    size_t n)
{
	struct rq_error e;
	struct rq_request rq;
	uint64_t rid = 0;
	struct _tls *t = _tls(s, &e);
	size_t mark = k->out.len;
	/* _mc_pump's scan found this object under s->mlim, caps as strict
	 * as the decoder's own: it is not scanned again. */
	if (t && !rq_decode_mpack_scanned(t->dec, p, n, &rq, &e) &&
	    !_rank(s, t, &rq, &rid, &e) &&
	    !rq_encode_mpack(&k->out, &rq, t->res, rid)) {
		_count(s, REG_C_SRV_MP_REQUESTS, 1);
		return;
	}
	if (k->out.oom) {
		rq_error_set(&e, 500, "", "no_memory: the answer");
		k->out.oom = false;
	}
	k->out.len = mark; /* drop a half-written answer */
	rq_error_mpack(&k->out, &e);
	_count(s, REG_C_SRV_MP_REQUESTS, 1);
	_count(s, REG_C_SRV_MP_BAD, 1);
}

/*
 * Answers every complete object held, in order, and sends the answers,
 * until the input runs out or the peer stops reading. False when the
 * connection must be closed (garbage or oversize: counted; or broken).
 */
static bool _mc_pump(struct _mthr *m, struct _mconn *k)
{
	struct _srv *s = m->s;
	while (k->in_len && !k->writing) {
		enum evt_reason why;
		const char *p = k->in + k->in_off;
		int r = mp_scan_object(&k->sc, &s->mlim, p, k->in_len, &why,
		    NULL, 0);
		if (r == MP_SCAN_ERROR ||
		    (r == MP_SCAN_MORE &&
			k->sc.need > s->c->max_request_bytes)) {
			_count(s, REG_C_SRV_MP_CLOSED, 1);
			return false;
		}
		if (r == MP_SCAN_MORE)
			break;
		size_t n = k->sc.pos;
		_mc_request(s, k, p, n);
		k->partial_ms = 0;
		k->in_off += n;
		k->in_len -= n;
		mp_scan_reset(&k->sc);
		k->objects++;
		k->nonmaps = _mp_map((unsigned char)p[0]) ? 0 : k->nonmaps + 1;
		if (k->nonmaps &&
		    (k->objects == 1 || k->nonmaps >= _NONMAP_MAX)) {
			/* Its error answers go first; then it is closed
			 * (here, or when the peer has taken them). */
			_count(s, REG_C_SRV_MP_CLOSED, 1);
			k->closing = true;
			k->in_len = 0;
			return _mc_flush(m, k) && k->writing;
		}
		if (k->out.len - k->out_off >= _OUT_HIGH && !_mc_flush(m, k))
			return false;
	}
	if (!k->in_len)
		k->in_off = 0;
	return _mc_flush(m, k);
}

/* Readable: take what the socket has (bounded), answer, send. */
static bool _mc_read(struct _mthr *m, struct _mconn *k, int64_t now)
{
	struct _srv *s = m->s;
	size_t max = s->c->max_request_bytes;
	if (k->in_off) {
		memmove(k->in, k->in + k->in_off, k->in_len);
		k->in_off = 0;
	}
	if (k->in_len == k->in_cap) {
		size_t cap = k->in_cap ? k->in_cap * 2 : _IN_MIN;
		if (cap > max)
			cap = max;
		if (cap <= k->in_len) { /* one object over the cap */
			_count(s, REG_C_SRV_MP_CLOSED, 1);
			return false;
		}
		char *b = realloc(k->in, cap);
		if (!b)
			return false;
		k->in = b;
		k->in_cap = cap;
	}
	ssize_t n =
	    recv(k->fd, k->in + k->in_len, k->in_cap - k->in_len, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR;
	if (n == 0)
		return false; /* the peer closed */
	k->in_len += (size_t)n;
	k->last_ms = now;
	if (!_mc_pump(m, k))
		return false;
	/* What is left is the start of a request (unless answers wait for
	 * the peer to read): it has idle_timeout_s to arrive whole. */
	if (k->in_len && !k->writing && !k->partial_ms)
		k->partial_ms = now;
	return true;
}

static void _mc_accept(struct _mthr *m, int lfd, int64_t now)
{
	struct _srv *s = m->s;
	for (int i = 0; i < _ACCEPT_BATCH; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		uint64_t open = ck_pr_faa_64(&s->ctr[REG_C_SRV_MP_CONNS], 1);
		struct _mconn *k =
		    open < s->c->max_connections ? calloc(1, sizeof(*k)) : NULL;
		if (!k) {
			ck_pr_dec_64(&s->ctr[REG_C_SRV_MP_CONNS]);
			_count(s, REG_C_SRV_MP_REFUSED, 1);
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		k->fd = fd;
		k->last_ms = now;
		mp_scan_reset(&k->sc);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = k };
		if (epoll_ctl(m->ep, EPOLL_CTL_ADD, fd, &ev)) {
			ck_pr_dec_64(&s->ctr[REG_C_SRV_MP_CONNS]);
			close(fd);
			free(k);
			continue;
		}
		k->next = m->conns;
		if (m->conns)
			m->conns->prev = k;
		m->conns = k;
	}
}

/* Markers in epoll data: the stop eventfd and listeners (index + 1). */
#define _EP_STOP ((uintptr_t)0)
#define _EP_LSN(i) ((uintptr_t)(i) + 1)
#define _EP_IS_LSN(p) ((uintptr_t)(p) <= CFG_LISTEN_MAX)

static void *_mp_thread(void *arg)
{
	struct _mthr *m = arg;
	struct _srv *s = m->s;
	struct epoll_event evs[64];
	int64_t idle_ms = (int64_t)s->c->idle_timeout_s * 1000, swept = 0;
	for (;;) {
		int n = epoll_wait(m->ep, evs, 64, 1000);
		int64_t now = reg_now_mono_ms();
		for (int i = 0; i < n; i++) {
			uintptr_t tag = (uintptr_t)evs[i].data.ptr;
			if (tag == _EP_STOP)
				goto out;
			if (_EP_IS_LSN(tag)) {
				_mc_accept(m, s->mp_fd[tag - 1][m - s->mthr],
				    now);
				continue;
			}
			struct _mconn *k = evs[i].data.ptr;
			bool ok = true;
			if (k->writing) {
				/* drained: answer what was held back */
				ok = !(evs[i].events & EPOLLERR) &&
				    _mc_flush(m, k) &&
				    !(k->closing && !k->writing) &&
				    _mc_pump(m, k);
			} else {
				ok = _mc_read(m, k, now);
			}
			if (!ok)
				_mc_close(m, k);
		}
		if (now - swept >= 1000) {
			swept = now;
			for (struct _mconn *k = m->conns, *next; k; k = next) {
				next = k->next;
				bool slow = k->partial_ms &&
				    now - k->partial_ms > idle_ms;
				if (slow)
					_count(s, REG_C_SRV_MP_SLOW, 1);
				if (slow || now - k->last_ms > idle_ms)
					_mc_close(m, k);
			}
		}
	}
out:
	while (m->conns)
		_mc_close(m, m->conns);
	return NULL;
}

static int _start_mp(struct _srv *s)
{
	if (!s->n_mp)
		return 0;
	/* The caps rq_decode_mpack_scanned asks of the stream's scan. */
	s->mlim = mp_limits_default();
	s->mlim.max_object_bytes = s->c->max_request_bytes;
	s->mlim.max_buffered = s->c->max_request_bytes;
	s->mlim.max_depth = RQ_MAX_DEPTH;
	s->mlim.max_events = s->c->max_request_bytes;
	s->mlim.max_keys = RQ_MAX_KEYS;
	s->mlim = mp_limits_clamp(&s->mlim);
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->mthr = calloc(s->c->server_threads, sizeof(*s->mthr));
	if (s->stop_fd < 0 || !s->mthr)
		return -ENOMEM;
	for (unsigned i = 0; i < s->c->server_threads; i++) {
		struct _mthr *m = &s->mthr[i];
		m->s = s;
		m->ep = epoll_create1(EPOLL_CLOEXEC);
		if (m->ep < 0)
			return -errno;
		s->n_mthr = i + 1;
		struct epoll_event ev = { .events = EPOLLIN,
			.data.ptr = (void *)_EP_STOP };
		epoll_ctl(m->ep, EPOLL_CTL_ADD, s->stop_fd, &ev);
		for (unsigned l = 0; l < s->n_mp; l++) {
			ev.events = EPOLLIN;
			ev.data.ptr = (void *)_EP_LSN(l);
			if (epoll_ctl(m->ep, EPOLL_CTL_ADD, s->mp_fd[l][i],
				&ev))
				return -errno;
		}
		int rc = pthread_create(&m->tid, NULL, _mp_thread, m);
		if (rc)
			return -rc;
		m->started = true;
	}
	return 0;
}

static void _stop_mp(struct _srv *s)
{
	if (s->stop_fd >= 0) {
		uint64_t one = 1;
		(void)!write(s->stop_fd, &one, sizeof(one));
	}
	for (unsigned i = 0; i < s->n_mthr; i++) {
		if (s->mthr[i].started)
			pthread_join(s->mthr[i].tid, NULL);
		close(s->mthr[i].ep);
	}
	free(s->mthr);
	s->mthr = NULL;
	s->n_mthr = 0;
}

/* ---- the process ------------------------------------------------------- */

/* A TCP socket bound to ss (SO_REUSEADDR; SO_REUSEPORT in a group; v6
 * only for an IPv6 address), or -errno. */
static int _bound(const struct sockaddr_storage *ss, socklen_t len,
    bool nonblock, bool group)
{
	int fd = socket(ss->ss_family,
	    SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((group &&
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)ss, len)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static int _listen(const struct sockaddr_storage *ss, socklen_t len,
    bool nonblock, bool group)
{
	int fd = _bound(ss, len, nonblock, group);
	if (fd >= 0 && listen(fd, 1024)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/*
 * Whether the address is free: a plain bind, as a listener without
 * SO_REUSEPORT makes it. A group of SO_REUSEPORT sockets would otherwise
 * join another process's group on the same port (another instance of the
 * same user, misconfigured) and quietly share its connections, where
 * one socket gets EADDRINUSE. 0 or -errno.
 */
static int _probe(const struct cfg_addr *a)
{
	int fd = _bound(&a->ss, a->len, false, false);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/*
 * A claim on a TCP address for this process's lifetime: a socket bound to
 * the abstract unix name "penchant-listen:ADDRESS", which the kernel
 * releases when the process ends (no file to clean up after a crash).
 * Two instances starting at the same moment could both find the address
 * free in _probe() and then share it; only one gets the name. Returns
 * the socket, or -EADDRINUSE, or -errno.
 */
static int _claim(const struct cfg_addr *a)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int n = snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1,
	    "penchant-listen:%s", a->text);
	if (n < 0 || (size_t)n >= sizeof(un.sun_path) - 1)
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (const struct sockaddr *)&un,
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    (size_t)n))) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/*
 * The threads' sockets of one address: the first bound to it, the others
 * to the address the first got (a port of 0 picks one for all of them),
 * all with SO_REUSEPORT when there are several, after _claim() and
 * _probe() found the address free (*claim keeps the claim, -1 with one
 * thread). 0 or -errno.
 */
static int _listen_group(const struct cfg_addr *a, unsigned T, bool nonblock,
    int *fds, int *claim)
{
	int rc;
	if (T > 1 && (*claim = _claim(a)) < 0)
		return *claim;
	if (T > 1 && (rc = _probe(a)))
		return rc;
	if ((fds[0] = _listen(&a->ss, a->len, nonblock, T > 1)) < 0)
		return fds[0];
	struct sockaddr_storage got;
	socklen_t len = sizeof(got);
	if (T > 1 && getsockname(fds[0], (struct sockaddr *)&got, &len))
		return -errno;
	for (unsigned j = 1; j < T; j++)
		if ((fds[j] = _listen(&got, len, nonblock, true)) < 0)
			return fds[j];
	return 0;
}

/* Binds every address of one setting, a socket per thread; a failure
 * names setting and address. */
static int _bind_all(struct _srv *s, const char *setting, const char *list,
    struct cfg_addr *addrs, int (*fds)[CFG_SERVER_THREADS_MAX], int *claims,
    unsigned *n, bool nonblock)
{
	char err[CFG_ERR_MAX];
	if (cfg_listen_parse(list, addrs, CFG_LISTEN_MAX, n, err,
		sizeof(err))) {
		LOG(s->c, CFG_LOG_ERROR, _ROLE, "%s: %s", setting, err);
		return 1;
	}
	for (unsigned i = 0; i < *n; i++) {
		int rc = _listen_group(&addrs[i], s->c->server_threads,
		    nonblock, fds[i], &claims[i]);
		if (rc < 0) {
			LOG(s->c, s->quiet ? CFG_LOG_DEBUG : CFG_LOG_ERROR,
			    _ROLE,
			    "%s: cannot listen on %s: %s (retrying with backoff; repeats are logged at debug level)",
			    setting, addrs[i].text, strerror(-rc));
			*n = i;
			return SRV_EXIT_BIND;
		}
	}
	return 0;
}

bool srv_wanted(const struct cfg *c)
{
	unsigned h = 0, m = 0;
	cfg_listen_parse(c->http_listen, NULL, 0, &h, NULL, 0);
	cfg_listen_parse(c->rank_listen, NULL, 0, &m, NULL, 0);
	return h + m > 0;
}

static void _teardown(struct _srv *s)
{
	for (unsigned i = 0; i < s->n_mhd; i++)
		MHD_stop_daemon(s->mhd[i]);
	s->n_mhd = 0;
	_stop_mp(s);
	for (unsigned i = 0; i < CFG_LISTEN_MAX; i++) {
		for (unsigned j = 0; j < CFG_SERVER_THREADS_MAX; j++) {
			if (s->http_fd[i][j] >= 0)
				close(s->http_fd[i][j]);
			if (s->mp_fd[i][j] >= 0)
				close(s->mp_fd[i][j]);
		}
		if (s->http_claim[i] >= 0)
			close(s->http_claim[i]);
		if (s->mp_claim[i] >= 0)
			close(s->mp_claim[i]);
	}
	if (s->stop_fd >= 0)
		close(s->stop_fd);
}

/* Binds, checks the instance, starts both sides. 0 or an exit code. */
static int _start(struct _srv *s)
{
	const struct cfg *c = s->c;
	int rc = _bind_all(s, "http_listen", c->http_listen, s->http_addr,
	    s->http_fd, s->http_claim, &s->n_http, false);
	if (!rc)
		rc = _bind_all(s, "rank_listen", c->rank_listen, s->mp_addr,
		    s->mp_fd, s->mp_claim, &s->n_mp, true);
	if (rc)
		return rc;
	pen_t *p;
	char err[256] = "";
	if ((rc = pen_open(c->instance, &p, err, sizeof(err)))) {
		LOG(c, CFG_LOG_ERROR, _ROLE, "pen_open: %s",
		    err[0] ? err : pen_strerror(rc));
		return 1;
	}
	pen_close(&p);
	if ((rc = pthread_key_create(&s->key, _tls_free))) {
		LOG(c, CFG_LOG_ERROR, _ROLE, "pthread_key_create: %s",
		    strerror(rc));
		return 1;
	}
	if ((rc = _start_mp(s))) {
		LOG(c, CFG_LOG_ERROR, _ROLE, "rank_listen: %s", strerror(-rc));
		return 1;
	}
	s->loopback_only = s->n_http > 0;
	for (unsigned i = 0; i < s->n_http; i++)
		s->loopback_only &= _loopback(&s->http_addr[i].ss);
	if (_start_http(s))
		return 1;
	for (unsigned i = 0; i < s->n_http; i++)
		LOG(c, CFG_LOG_INFO, _ROLE, "listening on http %s (%u threads)",
		    s->http_addr[i].text, c->server_threads);
	for (unsigned i = 0; i < s->n_mp; i++)
		LOG(c, CFG_LOG_INFO, _ROLE,
		    "listening on msgpack rank %s (%u threads)",
		    s->mp_addr[i].text, c->server_threads);
	return 0;
}

int srv_main(const struct reg *r, const struct cfg *c)
{
	struct _srv s = { .r = r, .c = c, .stop_fd = -1 };
	pthread_mutex_init(&s.hmu, NULL);
	for (unsigned i = 0; i < CFG_LISTEN_MAX; i++) {
		for (unsigned j = 0; j < CFG_SERVER_THREADS_MAX; j++)
			s.http_fd[i][j] = s.mp_fd[i][j] = -1;
		s.http_claim[i] = s.mp_claim[i] = -1;
	}
	s.me = reg_proc(r, reg_proc_server(r));
	s.ctr = s.me->counters;
	ck_pr_store_64(&s.ctr[REG_C_SRV_MP_CONNS], 0);
	ck_pr_store_64(&s.ctr[REG_C_SRV_HTTP_CONNS], 0);
	int last = s.me->last_exit;
	s.quiet =
	    last >= 0 && WIFEXITED(last) && WEXITSTATUS(last) == SRV_EXIT_BIND;
	s.lim = rq_limits_default();
	s.lim.max_candidates = c->max_candidates;
	s.lim.max_bytes = c->max_request_bytes;
	s.lim.max_id_len = c->max_id_len;
	s.lim.max_str_len = c->max_str_len;
	s.health_len = (size_t)snprintf(s.health, sizeof(s.health),
	    "{\"status\":\"ok\",\"instance\":\"%s\",\"pid\":%d}", c->instance,
	    (int)getpid());
	signal(SIGPIPE, SIG_IGN);
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL); /* before any thread starts */
	int sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	int rc = dash_new(&s.dash) ? 1 : _start(&s);
	if (rc) {
		_teardown(&s);
		dash_free(&s.dash);
		if (sigfd >= 0)
			close(sigfd);
		return rc;
	}
	ck_pr_store_uint(&s.me->ready, 1);
	const char *why = "region stopping";
	for (int64_t swept = 0;;) {
		int64_t now = reg_now_mono_ms();
		ck_pr_store_64((uint64_t *)&s.me->heartbeat_ms, (uint64_t)now);
		if (now - swept >= 1000) {
			swept = now;
			_sweep_http(&s, now);
		}
		dash_tick(s.dash, r);
		struct pollfd pfd = { .fd = sigfd, .events = POLLIN };
		if (poll(&pfd, 1, _TICK_MS) > 0) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				why = si.ssi_signo == SIGINT ? "SIGINT"
							     : "SIGTERM";
				break;
			}
		}
		if (ck_pr_load_uint(&r->hdr->state) != REG_RUNNING)
			break;
	}
	LOG(c, CFG_LOG_INFO, _ROLE, "%s: stopping", why);
	_teardown(&s);
	dash_free(&s.dash);
	close(sigfd);
	pthread_mutex_destroy(&s.hmu);
	LOG(c, CFG_LOG_INFO, _ROLE,
	    "stopped: %" PRIu64 " http requests, %" PRIu64
	    " msgpack requests, %" PRIu64 " candidates ranked",
	    ck_pr_load_64(&s.ctr[REG_C_SRV_HTTP_REQUESTS]),
	    ck_pr_load_64(&s.ctr[REG_C_SRV_MP_REQUESTS]),
	    ck_pr_load_64(&s.ctr[REG_C_SRV_RANKED]));
	return 0;
}
