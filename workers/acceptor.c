/*
 * acceptor: io_uring network I/O -> msgpack decode -> evt_build -> rings.
 * Contract and guarantees in acceptor.h; wire format in docs/PROTOCOL.md.
 *
 * Everything lives in one struct _acc on the heap of the acceptor process;
 * there is no global state. Completions carry a user_data tag: the kind of
 * operation in the top byte, a listener or connection index, and for
 * connections a generation, so a completion that arrives after its
 * connection slot was reused is recognized (its provided buffer is still
 * returned to the ring).
 */
#include "workers/acceptor.h"

#include <ck_pr.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/mpack.h"
#include "ipc/ring.h"
#include "workers/log.h"

#define _ROLE "acceptor"

/* Operation kinds (user_data bits 56..63). */
enum { _K_ACCEPT = 1, _K_UDP, _K_UDP_PLAIN, _K_RECV, _K_CANCEL };
#define _UD(k, idx, gen) \
	((uint64_t)(k) << 56 | (uint64_t)((idx) & 0xffffff) << 32 | (uint32_t)(gen))
#define _UD_KIND(u) ((unsigned)((u) >> 56))
#define _UD_IDX(u) ((unsigned)(((u) >> 32) & 0xffffff))
#define _UD_GEN(u) ((uint32_t)(u))

#define _UDP_GID 0
#define _TCP_GID 1
#define _UDP_BUFS 1024           /* provided UDP buffers (power of two) */
#define _TCP_BUFS 256            /* provided TCP buffers (power of two) */
#define _UDP_NAMELEN ((socklen_t)sizeof(struct sockaddr_in6))
/* One provided UDP buffer: recvmsg_out header, peer address, payload. */
#define _UDP_BUF_SIZE (sizeof(struct io_uring_recvmsg_out) + _UDP_NAMELEN + \
	ACC_UDP_PAYLOAD)
#define _UDP_PLAIN_OPS 8         /* plain recvmsg in flight per socket */
#define _UDP_BATCH 1024          /* events of one datagram, at most */
#define _SQ_ENTRIES 512
#define _CQ_ENTRIES 8192
#define _WAIT_IDLE_MS 100
#define _WAIT_PAUSED_MS 1
#define _STOP_GRACE_MS 5000

enum _lkind { _L_UDP, _L_TCP };

struct _lsn {
	int fd;
	enum _lkind kind;
	bool armed;                  /* an op is in flight */
	struct cfg_addr addr;
	struct msghdr mh;            /* multishot recvmsg template */
	/* plain UDP fallback: one buffer per op */
	char *plain;
	struct msghdr pmh[_UDP_PLAIN_OPS];
	struct iovec piov[_UDP_PLAIN_OPS];
	struct sockaddr_in6 pname[_UDP_PLAIN_OPS];
	bool parmed[_UDP_PLAIN_OPS];
};

enum _cstate { _C_FREE = 0, _C_OPEN, _C_CLOSING };

/*
 * Dialect of a connection. Fluentd forward hook: connections accepted on
 * forward_listen would be _D_FORWARD and their bytes would go to
 * fwd_conn_feed() from ipc/forward.h (written by another module); that
 * module is not in this tree yet, so forward_listen is parsed and not
 * listened on. Everything dialect-specific goes through _conn_feed().
 */
enum _dialect { _D_MSGPACK = 0 };

struct _conn {
	int fd;
	uint32_t gen;
	uint8_t state;               /* enum _cstate */
	uint8_t dialect;             /* enum _dialect */
	bool armed;                  /* recv in flight */
	bool paused;                 /* back-pressure: waiting for room */
	bool want_arm;               /* recv to arm again (ENOBUFS) */
	int64_t last_rx_ms;          /* monotonic: last bytes received */
	int64_t partial_since_ms;    /* first bytes of an unfinished object */
	char *buf;                   /* plain recv fallback */
	struct mp_stream st;
};

struct _acc {
	const struct reg *r;
	const struct cfg *c;
	struct reg_proc *me;
	struct reg_producer *slot;
	uint64_t *ctr;
	struct ring_producer pr;
	unsigned shards, ring_mask;
	struct io_uring ring;
	bool plain_bufs, plain_accept, plain_udp;
	/* provided buffer rings */
	struct io_uring_buf_ring *udp_br, *tcp_br;
	char *udp_mem, *tcp_mem;
	size_t udp_br_bytes, tcp_br_bytes, udp_mem_bytes, tcp_mem_bytes;
	/* sockets */
	struct _lsn lsn[2 * CFG_LISTEN_MAX];
	unsigned nlsn;
	struct _conn *conns;
	unsigned *free_ids, nfree, nconns;
	unsigned *todo, ntodo;       /* paused or want_arm connections */
	/* decoding */
	struct mp_limits lim;
	struct mp_decoder udp_dec;
	struct mp_stats st;
	struct evt_record *batch;
	unsigned batch_n;
	bool batch_over;
	/* state */
	unsigned uncommitted, commit_every;
	unsigned inflight;           /* armed ops whose last CQE is due */
	int sigfd;
	bool stopping;
	int64_t stop_deadline;
	int64_t now_ms, next_idle_check;
};

/* ---- small helpers ---------------------------------------------------- */

static int64_t _mono(void)
{
	return reg_now_mono_ms();
}

static struct io_uring_sqe *_sqe(struct _acc *a)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&a->ring);
	if (!sqe) {
		io_uring_submit(&a->ring);
		sqe = io_uring_get_sqe(&a->ring);
	}
	return sqe; /* NULL only if the kernel takes nothing: caller retries */
}

/* The acceptance window of event time against the wall clock, as in
 * ipc/client.c. */
static void _window(struct _acc *a)
{
	const struct reg_header *h = a->r->hdr;
	struct evt_limits lim = h->limits;
	int64_t now = reg_now_wall_ms();
	if (h->max_past_ms && now - h->max_past_ms > lim.min_time_ms)
		lim.min_time_ms = now - h->max_past_ms;
	if (now + h->max_future_ms < lim.max_time_ms)
		lim.max_time_ms = now + h->max_future_ms;
	a->lim.evt = lim;
	a->udp_dec.lim.evt = lim;
}

static void _commit(struct _acc *a)
{
	if (!a->uncommitted)
		return;
	ring_commit(&a->pr);
	ck_pr_store_64(&a->slot->published, a->slot->published +
	    a->uncommitted);
	a->uncommitted = 0;
}

static void _count_reject(struct _acc *a, enum evt_reason why)
{
	if ((unsigned)why < EVT_REASON_COUNT && why != EVT_OK) {
		a->ctr[REG_C_REJECT0 + why]++;
		a->slot->rejected++;
	}
}

/* Free records in the ring to `shard`, counting what we staged. */
static unsigned _room(struct _acc *a, unsigned shard)
{
	struct ring_block *b = reg_ring(a->r, a->pr.slot, shard);
	unsigned used = a->pr.sh[shard].p_tail - ck_pr_load_uint(&b->ring.c_head);
	return used >= a->ring_mask ? 0 : a->ring_mask - used;
}

/* ---- buffer rings ----------------------------------------------------- */

static void _buf_return(struct io_uring_buf_ring *br, char *mem, size_t size,
    unsigned entries, unsigned bid)
{
	io_uring_buf_ring_add(br, mem + (size_t)bid * size, (unsigned)size,
	    (unsigned short)bid, io_uring_buf_ring_mask(entries), 0);
	io_uring_buf_ring_advance(br, 1);
}

static int _buf_ring(struct _acc *a, unsigned gid, unsigned entries,
    size_t size, struct io_uring_buf_ring **brp, char **memp,
    size_t *br_bytes, size_t *mem_bytes)
{
	size_t rb = entries * sizeof(struct io_uring_buf);
	rb = (rb + 4095) & ~(size_t)4095;
	void *br = mmap(NULL, rb, PROT_READ | PROT_WRITE,
	    MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (br == MAP_FAILED)
		return -errno;
	size_t mb = entries * size;
	void *mem = mmap(NULL, mb, PROT_READ | PROT_WRITE,
	    MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (mem == MAP_FAILED) {
		int e = -errno;
		munmap(br, rb);
		return e;
	}
	struct io_uring_buf_reg reg = { .ring_addr = (uintptr_t)br,
		.ring_entries = entries, .bgid = (uint16_t)gid };
	int rc = io_uring_register_buf_ring(&a->ring, &reg, 0);
	if (rc) {
		munmap(br, rb);
		munmap(mem, mb);
		return rc;
	}
	io_uring_buf_ring_init(br);
	for (unsigned i = 0; i < entries; i++)
		io_uring_buf_ring_add(br, (char *)mem + (size_t)i * size,
		    (unsigned)size, (unsigned short)i,
		    io_uring_buf_ring_mask(entries), (int)i);
	io_uring_buf_ring_advance(br, (int)entries);
	*brp = br;
	*memp = mem;
	*br_bytes = rb;
	*mem_bytes = mb;
	return 0;
}

/* A completion that carries a provided buffer: give it back. */
static void _recycle(struct _acc *a, const struct io_uring_cqe *cqe,
    unsigned gid)
{
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return;
	unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	if (gid == _UDP_GID)
		_buf_return(a->udp_br, a->udp_mem, _UDP_BUF_SIZE, _UDP_BUFS, bid);
	else
		_buf_return(a->tcp_br, a->tcp_mem, ACC_TCP_CHUNK, _TCP_BUFS, bid);
}

/* ---- listeners -------------------------------------------------------- */

static int _bind(struct _acc *a, const struct cfg_addr *ad, enum _lkind kind)
{
	int fd = socket(ad->ss.ss_family, (kind == _L_UDP ? SOCK_DGRAM :
	    SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ad->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (kind == _L_UDP && a->c->udp_rcvbuf) {
		int sz = (int)a->c->udp_rcvbuf;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (bind(fd, (const struct sockaddr *)&ad->ss, ad->len) ||
	    (kind == _L_TCP && listen(fd, 1024))) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static void _open_listeners(struct _acc *a, const char *list,
    enum _lkind kind, const char *setting)
{
	struct cfg_addr addrs[CFG_LISTEN_MAX];
	unsigned n = 0;
	char err[CFG_ERR_MAX];
	if (cfg_listen_parse(list, addrs, CFG_LISTEN_MAX, &n, err,
	    sizeof(err))) {
		LOG(a->c, CFG_LOG_ERROR, _ROLE, "%s: %s", setting, err);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		int fd = _bind(a, &addrs[i], kind);
		if (fd < 0) {
			LOG(a->c, CFG_LOG_ERROR, _ROLE, "%s: cannot listen on "
			    "%s: %s", setting, addrs[i].text, strerror(-fd));
			continue;
		}
		struct _lsn *l = &a->lsn[a->nlsn++];
		memset(l, 0, sizeof(*l));
		l->fd = fd;
		l->kind = kind;
		l->addr = addrs[i];
		l->mh.msg_namelen = _UDP_NAMELEN;
		LOG(a->c, CFG_LOG_INFO, _ROLE, "listening on %s %s",
		    kind == _L_UDP ? "udp" : "tcp", addrs[i].text);
	}
}

static void _arm_accept(struct _acc *a, unsigned i)
{
	struct _lsn *l = &a->lsn[i];
	struct io_uring_sqe *sqe = _sqe(a);
	if (!sqe)
		return;
	if (a->plain_accept)
		io_uring_prep_accept(sqe, l->fd, NULL, NULL, SOCK_CLOEXEC);
	else
		io_uring_prep_multishot_accept(sqe, l->fd, NULL, NULL,
		    SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, _UD(_K_ACCEPT, i, 0));
	l->armed = true;
	a->inflight++;
}

static void _arm_udp_plain(struct _acc *a, unsigned i, unsigned k)
{
	struct _lsn *l = &a->lsn[i];
	struct io_uring_sqe *sqe = _sqe(a);
	if (!sqe)
		return;
	l->piov[k].iov_base = l->plain + (size_t)k * ACC_UDP_PAYLOAD;
	l->piov[k].iov_len = ACC_UDP_PAYLOAD;
	memset(&l->pmh[k], 0, sizeof(l->pmh[k]));
	l->pmh[k].msg_name = &l->pname[k];
	l->pmh[k].msg_namelen = sizeof(l->pname[k]);
	l->pmh[k].msg_iov = &l->piov[k];
	l->pmh[k].msg_iovlen = 1;
	io_uring_prep_recvmsg(sqe, l->fd, &l->pmh[k], 0);
	io_uring_sqe_set_data64(sqe, _UD(_K_UDP_PLAIN, i, k));
	l->parmed[k] = true;
	a->inflight++;
}

static void _arm_udp(struct _acc *a, unsigned i)
{
	struct _lsn *l = &a->lsn[i];
	if (a->plain_udp) {
		if (!l->plain) {
			l->plain = malloc((size_t)_UDP_PLAIN_OPS * ACC_UDP_PAYLOAD);
			if (!l->plain)
				return;
		}
		for (unsigned k = 0; k < _UDP_PLAIN_OPS; k++)
			if (!l->parmed[k])
				_arm_udp_plain(a, i, k);
		return;
	}
	struct io_uring_sqe *sqe = _sqe(a);
	if (!sqe)
		return;
	io_uring_prep_recvmsg_multishot(sqe, l->fd, &l->mh, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = _UDP_GID;
	io_uring_sqe_set_data64(sqe, _UD(_K_UDP, i, 0));
	l->armed = true;
	a->inflight++;
}

/* ---- connections ------------------------------------------------------ */

static void _todo_add(struct _acc *a, unsigned id)
{
	for (unsigned i = 0; i < a->ntodo; i++)
		if (a->todo[i] == id)
			return;
	a->todo[a->ntodo++] = id;
}

static void _todo_del(struct _acc *a, unsigned id)
{
	for (unsigned i = 0; i < a->ntodo; i++)
		if (a->todo[i] == id) {
			a->todo[i] = a->todo[--a->ntodo];
			return;
		}
}

static void _arm_recv(struct _acc *a, unsigned id)
{
	struct _conn *c = &a->conns[id];
	struct io_uring_sqe *sqe = _sqe(a);
	if (!sqe) {
		c->want_arm = true;
		_todo_add(a, id);
		return;
	}
	if (a->plain_bufs) {
		io_uring_prep_recv(sqe, c->fd, c->buf, ACC_TCP_CHUNK, 0);
	} else {
		io_uring_prep_recv(sqe, c->fd, NULL, ACC_TCP_CHUNK, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = _TCP_GID;
	}
	io_uring_sqe_set_data64(sqe, _UD(_K_RECV, id, c->gen));
	c->armed = true;
	c->want_arm = false;
	a->inflight++;
}

static void _conn_free(struct _acc *a, unsigned id)
{
	struct _conn *c = &a->conns[id];
	close(c->fd);
	mp_stream_fini(&c->st);
	free(c->buf);
	c->buf = NULL;
	c->fd = -1;
	c->state = _C_FREE;
	c->paused = c->want_arm = false;
	c->gen++;
	_todo_del(a, id);
	a->free_ids[a->nfree++] = id;
	a->nconns--;
	a->ctr[REG_C_ACC_CONNS] = a->nconns;
}

/* Closes with a counted reason; waits for an armed recv to come back. */
static void _conn_close(struct _acc *a, unsigned id, unsigned counter)
{
	struct _conn *c = &a->conns[id];
	if (c->state != _C_OPEN)
		return;
	if (counter)
		a->ctr[counter]++;
	if (!c->armed) {
		_conn_free(a, id);
		return;
	}
	c->state = _C_CLOSING;
	_todo_del(a, id);
	struct io_uring_sqe *sqe = _sqe(a);
	if (sqe) {
		io_uring_prep_cancel64(sqe, _UD(_K_RECV, id, c->gen), 0);
		io_uring_sqe_set_data64(sqe, _UD(_K_CANCEL, 0, 0));
	} else {
		shutdown(c->fd, SHUT_RDWR); /* the recv then completes */
	}
}

static unsigned _fatal_counter(int rc)
{
	switch (rc) {
	case -EMSGSIZE:
	case -ENOBUFS:
	case -ENOMEM:
		return REG_C_TCP_CLOSED_TOO_BIG;
	default:
		return REG_C_TCP_CLOSED_PROTOCOL;
	}
}

/* TCP and UDP event callbacks ------------------------------------------- */

static int _tcp_event(void *ctx, const struct mp_event *ev)
{
	struct _acc *a = ctx;
	if (ev->reason != EVT_OK) {
		_count_reject(a, ev->reason);
		return 0;
	}
	unsigned s = reg_shard_of(ev->rec->user_key, a->shards);
	if (!ring_stage(&a->pr, s, ev->rec)) {
		/* Make what we staged visible so the worker can take it. */
		_commit(a);
		if (!ring_stage(&a->pr, s, ev->rec)) {
			a->slot->full_waits++;
			return 1; /* pause: the stream keeps the event */
		}
	}
	a->ctr[REG_C_ACC_EVENTS]++;
	if (++a->uncommitted >= a->commit_every)
		_commit(a);
	return 0;
}

static int _udp_event(void *ctx, const struct mp_event *ev)
{
	struct _acc *a = ctx;
	if (ev->reason != EVT_OK) {
		_count_reject(a, ev->reason);
		return 0;
	}
	if (a->batch_n == _UDP_BATCH) {
		a->batch_over = true;
		return 1; /* stop this datagram */
	}
	a->batch[a->batch_n++] = *ev->rec;
	return 0;
}

/*
 * Feeds bytes of connection id (n == 0: resume a paused stream). Returns
 * true when the connection stays open.
 */
static bool _conn_feed(struct _acc *a, unsigned id, const char *p, size_t n)
{
	struct _conn *c = &a->conns[id];
	uint64_t objects = a->st.objects;
	c->st.dec.lim.evt = a->lim.evt;
	int rc;
	switch (c->dialect) {
	case _D_MSGPACK:
	default:
		rc = mp_stream_feed(&c->st, p, n, _tcp_event, a, &a->st);
		break;
	}
	if (rc < 0) {
		_conn_close(a, id, _fatal_counter(rc));
		return false;
	}
	if (rc == 1) {
		if (!c->paused) {
			c->paused = true;
			a->ctr[REG_C_ACC_PAUSED]++;
		}
		_todo_add(a, id);
		return true;
	}
	if (c->paused) {
		c->paused = false;
		_todo_del(a, id);
		c->last_rx_ms = a->now_ms; /* the pause was ours, not idling */
	}
	/* Slowloris guard: an unfinished object has idle_timeout_s to end. */
	if (!mp_stream_buffered(&c->st))
		c->partial_since_ms = 0;
	else if (a->st.objects != objects || !c->partial_since_ms)
		c->partial_since_ms = a->now_ms;
	return true;
}

static void _on_accept(struct _acc *a, const struct io_uring_cqe *cqe,
    unsigned li)
{
	struct _lsn *l = &a->lsn[li];
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		l->armed = false;
		a->inflight--;
	}
	if (cqe->res < 0) {
		if (cqe->res == -EINVAL && !a->plain_accept && !a->stopping) {
			a->plain_accept = true;
			LOG(a->c, CFG_LOG_WARN, _ROLE, "multishot accept not "
			    "supported by this kernel: using plain accept");
		} else if (cqe->res != -ECANCELED) {
			LOG(a->c, CFG_LOG_WARN, _ROLE, "accept on %s: %s",
			    l->addr.text, strerror(-cqe->res));
		}
	} else {
		int fd = cqe->res;
		if (a->stopping) {
			close(fd);
		} else if (!a->nfree) {
			close(fd);
			a->ctr[REG_C_TCP_CLOSED_TOO_MANY]++;
		} else {
			unsigned id = a->free_ids[--a->nfree];
			struct _conn *c = &a->conns[id];
			c->fd = fd;
			c->state = _C_OPEN;
			c->dialect = _D_MSGPACK;
			c->armed = c->paused = c->want_arm = false;
			c->last_rx_ms = a->now_ms;
			c->partial_since_ms = 0;
			c->buf = NULL;
			int rc = mp_stream_init(&c->st, &a->lim);
			if (!rc && a->plain_bufs && !(c->buf = malloc(ACC_TCP_CHUNK)))
				rc = -ENOMEM;
			a->nconns++;
			a->ctr[REG_C_ACC_CONNS] = a->nconns;
			a->ctr[REG_C_TCP_ACCEPTED]++;
			if (rc)
				_conn_close(a, id, REG_C_TCP_CLOSED_TOO_BIG);
			else
				_arm_recv(a, id);
		}
	}
	if (!l->armed && !a->stopping)
		_arm_accept(a, li);
}

static void _on_recv(struct _acc *a, const struct io_uring_cqe *cqe)
{
	unsigned id = _UD_IDX(cqe->user_data);
	struct _conn *c = &a->conns[id];
	const char *data = NULL;
	if (cqe->flags & IORING_CQE_F_BUFFER)
		data = a->tcp_mem + (size_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT) *
		    ACC_TCP_CHUNK;
	if (id >= a->c->max_connections || c->gen != _UD_GEN(cqe->user_data)) {
		_recycle(a, cqe, _TCP_GID); /* stale: cannot happen, be safe */
		return;
	}
	c->armed = false;
	a->inflight--;
	if (c->state == _C_CLOSING) {
		_recycle(a, cqe, _TCP_GID);
		_conn_free(a, id);
		return;
	}
	int res = cqe->res;
	if (res > 0) {
		if (!data)
			data = c->buf;
		a->ctr[REG_C_TCP_BYTES] += (uint64_t)res;
		c->last_rx_ms = a->now_ms;
		bool open = _conn_feed(a, id, data, (size_t)res);
		_recycle(a, cqe, _TCP_GID); /* the stream copied what it kept */
		if (open && !c->paused && !a->stopping)
			_arm_recv(a, id);
		return;
	}
	_recycle(a, cqe, _TCP_GID);
	if (res == -ENOBUFS) { /* every TCP buffer is in use: try soon */
		c->want_arm = true;
		_todo_add(a, id);
		return;
	}
	if (res == -EINTR || res == -EAGAIN) {
		_arm_recv(a, id);
		return;
	}
	if (res == -ECANCELED && a->stopping) {
		_conn_close(a, id, 0);
		return;
	}
	/* EOF or a socket error. */
	_conn_close(a, id, mp_stream_buffered(&c->st) ?
	    REG_C_TCP_CLOSED_PARTIAL : REG_C_TCP_CLOSED_PEER);
}

/* One datagram: all of its valid events are staged, or none. */
static void _datagram(struct _acc *a, const char *p, size_t n, bool trunc)
{
	a->ctr[REG_C_UDP_DATAGRAMS]++;
	a->ctr[REG_C_UDP_BYTES] += n;
	if (trunc) {
		a->ctr[REG_C_UDP_TRUNCATED]++;
		_count_reject(a, EVT_R_TOO_BIG);
		return;
	}
	a->batch_n = 0;
	a->batch_over = false;
	mp_decoder_buffer(&a->udp_dec, p, n, _udp_event, a, &a->st);
	if (a->batch_over)
		_count_reject(a, EVT_R_TOO_BIG);
	unsigned k = a->batch_n;
	if (!k)
		return;
	bool fits = true;
	if (k == 1) {
		unsigned s = reg_shard_of(a->batch[0].user_key, a->shards);
		fits = ring_stage(&a->pr, s, &a->batch[0]);
	} else {
		/* Count per shard, check room, then stage (cannot fail). */
		uint32_t need[REG_MAX_SHARDS] = { 0 };
		for (unsigned i = 0; i < k; i++)
			need[reg_shard_of(a->batch[i].user_key, a->shards)]++;
		for (unsigned s = 0; s < a->shards && fits; s++)
			fits = need[s] <= _room(a, s);
		for (unsigned i = 0; fits && i < k; i++)
			ring_stage(&a->pr, reg_shard_of(a->batch[i].user_key,
			    a->shards), &a->batch[i]);
	}
	if (!fits) {
		a->ctr[REG_C_UDP_DROPPED]++;
		a->ctr[REG_C_UDP_DROPPED_EVENTS] += k;
		a->slot->full_waits++;
		_commit(a); /* let the worker see what we have */
		return;
	}
	a->ctr[REG_C_ACC_EVENTS] += k;
	a->uncommitted += k;
	if (a->uncommitted >= a->commit_every)
		_commit(a);
}

static void _on_udp(struct _acc *a, const struct io_uring_cqe *cqe)
{
	unsigned li = _UD_IDX(cqe->user_data);
	struct _lsn *l = &a->lsn[li];
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		l->armed = false;
		a->inflight--;
	}
	if (cqe->res >= 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
		char *buf = a->udp_mem + (size_t)(cqe->flags >>
		    IORING_CQE_BUFFER_SHIFT) * _UDP_BUF_SIZE;
		struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf,
		    cqe->res, &l->mh);
		if (o) {
			const char *p = io_uring_recvmsg_payload(o, &l->mh);
			unsigned n = io_uring_recvmsg_payload_length(o, cqe->res,
			    &l->mh);
			_datagram(a, p, n, (o->flags & MSG_TRUNC) != 0);
		}
	} else if (cqe->res == -EINVAL && !a->plain_udp && !a->stopping) {
		a->plain_udp = true;
		LOG(a->c, CFG_LOG_WARN, _ROLE, "multishot recvmsg not supported "
		    "by this kernel: using plain recvmsg");
	}
	_recycle(a, cqe, _UDP_GID);
	if (!l->armed && !a->stopping)
		_arm_udp(a, li); /* ENOBUFS ends a multishot: buffers are back */
}

static void _on_udp_plain(struct _acc *a, const struct io_uring_cqe *cqe)
{
	unsigned li = _UD_IDX(cqe->user_data), k = _UD_GEN(cqe->user_data);
	struct _lsn *l = &a->lsn[li];
	l->parmed[k] = false;
	a->inflight--;
	if (cqe->res >= 0)
		_datagram(a, l->plain + (size_t)k * ACC_UDP_PAYLOAD,
		    (size_t)cqe->res, (l->pmh[k].msg_flags & MSG_TRUNC) != 0);
	if (!a->stopping)
		_arm_udp_plain(a, li, k);
}

/* ---- the loop --------------------------------------------------------- */

static void _begin_stop(struct _acc *a, const char *why)
{
	if (a->stopping)
		return;
	a->stopping = true;
	a->stop_deadline = a->now_ms + _STOP_GRACE_MS;
	LOG(a->c, CFG_LOG_INFO, _ROLE, "stopping (%s): %u connections, %u "
	    "paused", why, a->nconns, a->ntodo);
	for (unsigned i = 0; i < a->nlsn; i++) {
		struct io_uring_sqe *sqe = _sqe(a);
		if (!sqe)
			break;
		io_uring_prep_cancel_fd(sqe, a->lsn[i].fd, IORING_ASYNC_CANCEL_ALL);
		io_uring_sqe_set_data64(sqe, _UD(_K_CANCEL, 0, 0));
	}
	for (unsigned id = 0; id < a->c->max_connections; id++) {
		struct _conn *c = &a->conns[id];
		if (c->state != _C_OPEN || !c->armed)
			continue;
		struct io_uring_sqe *sqe = _sqe(a);
		if (!sqe)
			break;
		io_uring_prep_cancel64(sqe, _UD(_K_RECV, id, c->gen), 0);
		io_uring_sqe_set_data64(sqe, _UD(_K_CANCEL, 0, 0));
	}
	a->ctr[REG_C_ACC_LISTENERS] = 0;
}

static void _check_stop(struct _acc *a)
{
	struct signalfd_siginfo si;
	if (a->sigfd >= 0 && read(a->sigfd, &si, sizeof(si)) == sizeof(si))
		_begin_stop(a, si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
	if (ck_pr_load_uint(&a->r->hdr->state) != REG_RUNNING)
		_begin_stop(a, "region draining");
}

/* Paused streams retry; connections that could not arm get another go. */
static void _todo(struct _acc *a)
{
	for (unsigned i = 0; i < a->ntodo;) {
		unsigned id = a->todo[i];
		struct _conn *c = &a->conns[id];
		if (c->paused) {
			if (_conn_feed(a, id, NULL, 0) && !c->paused &&
			    !a->stopping)
				_arm_recv(a, id);
			else if (c->state == _C_OPEN && !c->paused && a->stopping)
				_conn_close(a, id, 0);
		} else if (c->want_arm && !a->stopping) {
			_todo_del(a, id);
			_arm_recv(a, id);
		} else {
			_todo_del(a, id);
		}
		/* A removed entry was replaced by the last one: look again. */
		if (i < a->ntodo && a->todo[i] == id)
			i++;
	}
}

static void _idle_check(struct _acc *a)
{
	if (a->now_ms < a->next_idle_check)
		return;
	a->next_idle_check = a->now_ms + 250;
	int64_t limit = (int64_t)a->c->idle_timeout_s * 1000;
	for (unsigned id = 0; id < a->c->max_connections; id++) {
		struct _conn *c = &a->conns[id];
		if (c->state != _C_OPEN || c->paused)
			continue;
		if (a->now_ms - c->last_rx_ms > limit ||
		    (c->partial_since_ms && a->now_ms - c->partial_since_ms >
		    limit))
			_conn_close(a, id, REG_C_TCP_CLOSED_IDLE);
	}
}

static void _completions(struct _acc *a)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	io_uring_for_each_cqe(&a->ring, head, cqe) {
		n++;
		switch (_UD_KIND(cqe->user_data)) {
		case _K_ACCEPT:
			_on_accept(a, cqe, _UD_IDX(cqe->user_data));
			break;
		case _K_UDP:
			_on_udp(a, cqe);
			break;
		case _K_UDP_PLAIN:
			_on_udp_plain(a, cqe);
			break;
		case _K_RECV:
			_on_recv(a, cqe);
			break;
		default:
			break;
		}
	}
	io_uring_cq_advance(&a->ring, n);
}

static int _setup_ring(struct _acc *a)
{
	static const unsigned flag_sets[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN, 0,
	};
	int rc = -ENOSYS;
	for (unsigned i = 0; i < 3; i++) {
		struct io_uring_params p = { .flags = flag_sets[i] |
			IORING_SETUP_CQSIZE, .cq_entries = _CQ_ENTRIES };
		rc = io_uring_queue_init_params(_SQ_ENTRIES, &a->ring, &p);
		if (rc == 0)
			return 0;
	}
	return rc;
}

static void _teardown(struct _acc *a)
{
	for (unsigned id = 0; a->conns && id < a->c->max_connections; id++)
		if (a->conns[id].state != _C_FREE) {
			close(a->conns[id].fd);
			mp_stream_fini(&a->conns[id].st);
			free(a->conns[id].buf);
		}
	for (unsigned i = 0; i < a->nlsn; i++) {
		close(a->lsn[i].fd);
		free(a->lsn[i].plain);
	}
	io_uring_queue_exit(&a->ring);
	if (a->udp_br)
		munmap(a->udp_br, a->udp_br_bytes);
	if (a->udp_mem)
		munmap(a->udp_mem, a->udp_mem_bytes);
	if (a->tcp_br)
		munmap(a->tcp_br, a->tcp_br_bytes);
	if (a->tcp_mem)
		munmap(a->tcp_mem, a->tcp_mem_bytes);
	if (a->sigfd >= 0)
		close(a->sigfd);
	mp_decoder_fini(&a->udp_dec);
	free(a->conns);
	free(a->free_ids);
	free(a->todo);
	free(a->batch);
}

bool acc_wanted(const struct cfg *c)
{
	unsigned u = 0, t = 0;
	if (!c->acceptor_slots)
		return false;
	cfg_listen_parse(c->udp_listen, NULL, 0, &u, NULL, 0);
	cfg_listen_parse(c->tcp_listen, NULL, 0, &t, NULL, 0);
	return u + t > 0;
}

static int _start(struct _acc *a)
{
	const struct cfg *c = a->c;
	a->me = reg_proc(a->r, reg_proc_acceptor(a->r));
	a->ctr = a->me->counters;
	a->slot = reg_producer(a->r, 0);
	a->shards = a->r->hdr->geo.shards;
	a->ring_mask = a->r->hdr->geo.ring_depth - 1;
	a->commit_every = a->r->hdr->geo.ring_depth / 4;
	if (a->commit_every < 16)
		a->commit_every = 16;
	ck_pr_store_int(&a->slot->owner, getpid());
	ring_producer_init(&a->pr, a->r, 0);

	a->lim = mp_limits_default();
	a->lim.max_object_bytes = c->max_object_bytes;
	a->lim.max_buffered = c->max_conn_buffer;
	a->lim.evt = a->r->hdr->limits;
	a->conns = calloc(c->max_connections, sizeof(*a->conns));
	a->free_ids = calloc(c->max_connections, sizeof(unsigned));
	a->todo = calloc(c->max_connections, sizeof(unsigned));
	a->batch = calloc(_UDP_BATCH, sizeof(*a->batch));
	if (!a->conns || !a->free_ids || !a->todo || !a->batch ||
	    mp_decoder_init(&a->udp_dec, &a->lim)) {
		LOG(c, CFG_LOG_ERROR, _ROLE, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < c->max_connections; i++) {
		a->conns[i].fd = -1;
		a->free_ids[i] = c->max_connections - 1 - i;
	}
	a->nfree = c->max_connections;

	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	a->sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);

	int rc = _setup_ring(a);
	if (rc) {
		LOG(c, CFG_LOG_ERROR, _ROLE, "io_uring_queue_init: %s",
		    strerror(-rc));
		return rc;
	}
	const char *plain = getenv("PENCHANT_ACC_PLAIN");
	bool force = plain && plain[0] == '1';
	if (force) {
		a->plain_bufs = a->plain_udp = a->plain_accept = true;
		LOG(c, CFG_LOG_INFO, _ROLE, "PENCHANT_ACC_PLAIN=1: plain "
		    "io_uring operations");
	} else if ((rc = _buf_ring(a, _UDP_GID, _UDP_BUFS, _UDP_BUF_SIZE,
	    &a->udp_br, &a->udp_mem, &a->udp_br_bytes, &a->udp_mem_bytes)) ||
	    (rc = _buf_ring(a, _TCP_GID, _TCP_BUFS, ACC_TCP_CHUNK, &a->tcp_br,
	    &a->tcp_mem, &a->tcp_br_bytes, &a->tcp_mem_bytes))) {
		a->plain_bufs = a->plain_udp = true;
		LOG(c, CFG_LOG_WARN, _ROLE, "provided buffer rings not "
		    "supported (%s): plain recvmsg and per-connection buffers",
		    strerror(-rc));
	}
	_open_listeners(a, c->udp_listen, _L_UDP, "udp_listen");
	_open_listeners(a, c->tcp_listen, _L_TCP, "tcp_listen");
	/* forward_listen: see enum _dialect (no ipc/forward.h yet). */
	if (!a->nlsn) {
		LOG(c, CFG_LOG_ERROR, _ROLE, "no address could be bound");
		return -EADDRNOTAVAIL;
	}
	a->ctr[REG_C_ACC_LISTENERS] = a->nlsn;
	a->ctr[REG_C_ACC_CONNS] = 0;
	a->now_ms = _mono();
	_window(a);
	for (unsigned i = 0; i < a->nlsn; i++) {
		if (a->lsn[i].kind == _L_UDP)
			_arm_udp(a, i);
		else
			_arm_accept(a, i);
	}
	io_uring_submit(&a->ring);
	return 0;
}

int acc_main(const struct reg *r, const struct cfg *c)
{
	struct _acc *a = calloc(1, sizeof(*a));
	if (!a)
		return 1;
	a->r = r;
	a->c = c;
	a->sigfd = -1;
	if (_start(a)) {
		_teardown(a);
		free(a);
		return 1;
	}
	ck_pr_store_uint(&a->me->ready, 1);
	for (;;) {
		a->now_ms = _mono();
		ck_pr_store_64((uint64_t *)&a->me->heartbeat_ms,
		    (uint64_t)a->now_ms);
		_check_stop(a);
		if (a->stopping && ((!a->inflight && !a->ntodo) ||
		    a->now_ms > a->stop_deadline))
			break;
		_window(a);
		struct __kernel_timespec ts = { 0, (a->ntodo ? _WAIT_PAUSED_MS :
			_WAIT_IDLE_MS) * 1000000LL };
		struct io_uring_cqe *cqe;
		int rc = io_uring_submit_and_wait_timeout(&a->ring, &cqe, 1, &ts,
		    NULL);
		if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) {
			LOG(c, CFG_LOG_ERROR, _ROLE, "io_uring wait: %s",
			    strerror(-rc));
			break;
		}
		a->now_ms = _mono();
		_completions(a);
		_todo(a);
		_commit(a);
		if (!a->stopping)
			_idle_check(a);
	}
	_commit(a);
	size_t held = 0;
	for (unsigned id = 0; id < c->max_connections; id++)
		if (a->conns[id].state == _C_OPEN && a->conns[id].paused)
			held += mp_stream_buffered(&a->conns[id].st);
	if (held)
		LOG(c, CFG_LOG_WARN, _ROLE, "stopped with %zu paused bytes not "
		    "delivered (the rings stayed full for %d ms)", held,
		    _STOP_GRACE_MS);
	LOG(c, CFG_LOG_INFO, _ROLE, "stopped: %llu events accepted in total",
	    (unsigned long long)a->ctr[REG_C_ACC_EVENTS]);
	_teardown(a);
	free(a);
	return 0;
}
