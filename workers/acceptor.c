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
#include <sodium.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/forward.h"
#include "ipc/mpack.h"
#include "shm/fwd_dedup.h"
#include "shm/ring.h"
#include "workers/log.h"

#define _ROLE "acceptor"

/* Operation kinds (user_data bits 56..63). */
enum { _K_ACCEPT = 1, _K_UDP, _K_UDP_PLAIN, _K_RECV, _K_CANCEL, _K_SEND };
#define _UD(k, idx, gen)                                                       \
	((uint64_t)(k) << 56 | (uint64_t)((idx)&0xffffff) << 32 |              \
	    (uint32_t)(gen))
#define _UD_KIND(u) ((unsigned)((u) >> 56))
#define _UD_IDX(u) ((unsigned)(((u) >> 32) & 0xffffff))
#define _UD_GEN(u) ((uint32_t)(u))

#define _UDP_GID 0
#define _TCP_GID 1
#define _UDP_BUFS 1024 /* provided UDP buffers (power of two) */
#define _TCP_BUFS 256  /* provided TCP buffers (power of two) */
#define _UDP_NAMELEN ((socklen_t)sizeof(struct sockaddr_in6))
/* One provided UDP buffer: recvmsg_out header, peer address, payload. */
#define _UDP_BUF_SIZE                                                          \
	(sizeof(struct io_uring_recvmsg_out) + _UDP_NAMELEN + ACC_UDP_PAYLOAD)
#define _UDP_PLAIN_OPS 8 /* plain recvmsg in flight per socket */
#define _UDP_BATCH 1024	 /* events of one datagram, at most */
#define _SQ_ENTRIES 512
#define _CQ_ENTRIES 8192
#define _WAIT_IDLE_MS 100
#define _WAIT_PAUSED_MS 1
#define _SWEEP_MS 250 /* idle connections are looked for this often */
/* A wait that returns this much later than its timeout allowed means the
 * process did not run (stopped, or starved of CPU): a stall. */
#define _STALL_MS 250
#define _STOP_GRACE_MS 5000
/* Forward connections: with _FWD_OUT_SOFT bytes of acks not yet taken by
 * the kernel the connection is not read (a pipelining client waits for
 * its acks); one that stays so for idle_timeout_s, or whose acks of one
 * feed exceed max_conn_buffer + _FWD_OUT_SOFT (cannot happen: an ack is
 * shorter than its message), is closed (REG_C_FWD_CLOSED_SLOW). */
#define _FWD_OUT_SOFT 16384

_Static_assert(REG_FWD_CHUNK_MAX == FWD_MAX_CHUNK, "journal holds a chunk");
_Static_assert(REG_C_FWD_CLOSED_TOO_MANY - REG_C_FWD_CLOSED_PEER ==
	REG_C_TCP_CLOSED_TOO_MANY - REG_C_TCP_CLOSED_PEER,
    "mirrored reasons");

enum _lkind { _L_UDP, _L_TCP, _L_FWD };

struct _lsn {
	int fd;
	enum _lkind kind;
	bool armed; /* an op is in flight */
	struct cfg_addr addr;
	struct msghdr mh; /* multishot recvmsg template */
	/* plain UDP fallback: one buffer per op */
	char *plain;
	struct msghdr pmh[_UDP_PLAIN_OPS];
	struct iovec piov[_UDP_PLAIN_OPS];
	struct sockaddr_in6 pname[_UDP_PLAIN_OPS];
	bool parmed[_UDP_PLAIN_OPS];
};

enum _cstate { _C_FREE = 0, _C_OPEN, _C_CLOSING };

/*
 * Dialect of a connection, from the listener that accepted it: tcp_listen
 * speaks plain msgpack (mp_stream), forward_listen the Fluentd forward
 * protocol (fwd_stream, acks written back). Everything dialect-specific
 * goes through _conn_feed() and the _fwd_* functions.
 */
enum _dialect { _D_MSGPACK = 0, _D_FORWARD };

/* Process-local view of a journal entry (struct acc_journal in shm). */
enum _jstate { _J_FREE = 0, _J_OPEN, _J_ORPHAN };
struct _jent {
	uint8_t state;		       /* enum _jstate */
	unsigned owner;		       /* _J_OPEN: the connection taking it */
	uint32_t cnt[REG_MAX_SHARDS];  /* records staged, message order */
	uint32_t skip[REG_MAX_SHARDS]; /* resend: records already in */
};

struct _conn {
	int fd;
	uint32_t gen;
	uint8_t state;		   /* enum _cstate */
	uint8_t dialect;	   /* enum _dialect */
	bool armed;		   /* recv in flight */
	bool paused;		   /* back-pressure: waiting for room */
	bool want_arm;		   /* recv to arm again (ENOBUFS) */
	bool send_armed;	   /* forward: an ack send in flight */
	bool fstarted;		   /* forward: the current chunked message
	                              * went through its dedup lookup */
	bool fdup;		   /* forward: ... and was committed before */
	int jidx;		   /* forward: its journal entry, or -1 */
	unsigned close_reason;	   /* counter to close with after a feed */
	int64_t last_rx_ms;	   /* monotonic: last activity (an event
				    * taken, an ack queued, or bytes of an
				    * object while none was refused since) */
	int64_t partial_since_ms;  /* first bytes of an unfinished object */
	bool refused;		   /* an object completed with nothing taken
				    * since the last event taken */
	char *buf;		   /* plain recv fallback */
	struct mp_stream st;	   /* _D_MSGPACK */
	struct fwd_stream fs;	   /* _D_FORWARD */
	char *out;		   /* forward: acks to send */
	char *out_old;		   /* a grown-out buffer a send still reads */
	uint32_t out_off, out_len; /* bytes [out_off, out_len) not sent */
	uint32_t out_cap;
	/* forward with a shared key: nothing reaches fs before a good PING */
	bool auth_wait;			    /* HELO sent, PING awaited */
	unsigned char nonce[FWD_NONCE_LEN]; /* of our HELO */
	char *hs;			    /* PING bytes so far */
	size_t hs_len;
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
	struct cfg_cidr allow[CFG_ALLOW_MAX]; /* allow_from; none: all */
	unsigned nallow;
	struct fwd_auth au; /* forward_shared_key set: key, hostname */
	bool auth;
	char hostname[CFG_HOSTNAME_STR_MAX + 1];
	struct _lsn lsn[3 * CFG_LISTEN_MAX];
	unsigned nlsn;
	struct _conn *conns;
	unsigned *free_ids, nfree, nconns;
	unsigned *waiting, nwaiting; /* paused or want_arm connections */
	/* decoding */
	struct mp_limits lim;
	struct mp_decoder udp_dec;
	struct mp_stats st;
	struct evt_record *batch;
	unsigned batch_n;
	bool batch_over;
	/* the current datagram's rejected events by reason, counted once
	 * the datagram as a whole is known to be taken apart (not refused) */
	uint32_t batch_rej[EVT_REASON_COUNT];
	bool batch_rejected;
	/* state */
	int64_t sample_next_ms;	 /* earliest time of the next rejected sample */
	uint64_t sample_skipped; /* rejections not sampled since the last */
	unsigned uncommitted, commit_every;
	unsigned inflight; /* armed ops whose last CQE is due */
	int sigfd;
	bool stopping;
	int64_t stop_deadline;
	int64_t now_ms, next_idle_check;
	int64_t woke_ms; /* when the previous wait returned */
	/* Fluentd forward protocol: shm block, dedup set, local journal */
	struct acc_block *ab;
	struct fwd_dedup *dd;
	struct _jent *jl; /* REG_FWD_JOURNAL */
	unsigned nopen;	  /* entries _J_OPEN */
	unsigned cur;	  /* connection being fed (callbacks) */
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

/* The acceptance window of event time against the wall clock. */
static void _window(struct _acc *a)
{
	struct evt_limits lim = reg_limits_at(a->r->hdr, reg_now_wall_ms());
	a->lim.evt = lim;
	a->udp_dec.lim.evt = lim;
}

/*
 * Publishes everything staged. While chunked forward messages are open,
 * the commit is journaled (layout.h, struct acc_block): the ring indices it
 * will store, then each open message's per-shard counts, then the commit,
 * then the counts as landed, so that a process killed at any instruction
 * leaves enough to tell, per shard, how many records of each open message
 * are in the rings.
 */
static void _commit(struct _acc *a)
{
	if (!a->uncommitted)
		return;
	bool journal = a->nopen > 0;
	if (journal) {
		for (unsigned s = 0; s < a->shards; s++)
			ck_pr_store_32(&a->ab->intent_tail[s],
			    a->pr.sh[s].p_tail);
		ck_pr_fence_store(); /* the intent before the counts it covers */
		for (unsigned j = 0; j < REG_FWD_JOURNAL; j++) {
			if (a->jl[j].state != _J_OPEN)
				continue;
			for (unsigned s = 0; s < a->shards; s++)
				ck_pr_store_32(&a->ab->journal[j].cnt_new[s],
				    a->jl[j].cnt[s]);
		}
		ck_pr_fence_store(); /* the counts before the ring indices */
	}
	ring_commit(&a->pr);
	ck_pr_store_64(&a->slot->published,
	    a->slot->published + a->uncommitted);
	a->uncommitted = 0;
	if (journal) {
		ck_pr_fence_store(); /* the ring indices before "landed" */
		for (unsigned j = 0; j < REG_FWD_JOURNAL; j++) {
			if (a->jl[j].state != _J_OPEN)
				continue;
			for (unsigned s = 0; s < a->shards; s++)
				ck_pr_store_32(&a->ab->journal[j].cnt_old[s],
				    a->jl[j].cnt[s]);
		}
	}
}

static void _count_reject(struct _acc *a, enum evt_reason why)
{
	if ((unsigned)why < EVT_REASON_COUNT && why != EVT_OK) {
		a->ctr[REG_C_REJECT0 + why]++;
		a->slot->rejected++;
	}
}

/*
 * A rejected input, counted, and logged as a sample at most once a second
 * (debug level: reason, message and the first bytes in hex), so hostile
 * traffic can be looked at without flooding the log.
 */
static void _sample(struct _acc *a, const struct mp_event *ev)
{
	if (a->c->log_level < CFG_LOG_DEBUG)
		return;
	int64_t now = reg_now_mono_ms();
	if (now < a->sample_next_ms) {
		a->sample_skipped++;
		return;
	}
	a->sample_next_ms = now + 1000;
	char hex[2 * 48 + 1] = "";
	size_t n = ev->raw && ev->raw_len < 48 ? ev->raw_len : ev->raw ? 48 : 0;
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)ev->raw[i]);
	LOG(a->c, CFG_LOG_DEBUG, _ROLE,
	    "sample of a rejected input (%llu more since the last sample): %s%s%s: %s; %zu bytes: %s%s",
	    (unsigned long long)a->sample_skipped, evt_reason_name(ev->reason),
	    ev->field ? " " : "", ev->field ? ev->field : "",
	    ev->msg ? ev->msg : "", ev->raw_len, hex,
	    ev->raw_len > n ? "..." : "");
	a->sample_skipped = 0;
}

static void _reject(struct _acc *a, const struct mp_event *ev)
{
	_count_reject(a, ev->reason);
	_sample(a, ev);
}

/* Free records in the ring to `shard`, counting what we staged. */
static unsigned _room(struct _acc *a, unsigned shard)
{
	struct ring_block *b = reg_ring(a->r, a->pr.slot, shard);
	unsigned used =
	    a->pr.sh[shard].p_tail - ck_pr_load_uint(&b->ring.c_head);
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
    size_t size, struct io_uring_buf_ring **brp, char **memp, size_t *br_bytes,
    size_t *mem_bytes)
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
		.ring_entries = entries,
		.bgid = (uint16_t)gid };
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
		_buf_return(a->udp_br, a->udp_mem, _UDP_BUF_SIZE, _UDP_BUFS,
		    bid);
	else
		_buf_return(a->tcp_br, a->tcp_mem, ACC_TCP_CHUNK, _TCP_BUFS,
		    bid);
}

/* ---- listeners -------------------------------------------------------- */

static int _bind(struct _acc *a, const struct cfg_addr *ad, enum _lkind kind)
{
	int fd = socket(ad->ss.ss_family,
	    (kind == _L_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
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
	    (kind != _L_UDP && listen(fd, 1024))) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static void _open_listeners(struct _acc *a, const char *list, enum _lkind kind,
    const char *setting)
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
			LOG(a->c, CFG_LOG_ERROR, _ROLE,
			    "%s: cannot listen on %s: %s", setting,
			    addrs[i].text, strerror(-fd));
			continue;
		}
		struct _lsn *l = &a->lsn[a->nlsn++];
		memset(l, 0, sizeof(*l));
		l->fd = fd;
		l->kind = kind;
		l->addr = addrs[i];
		l->mh.msg_namelen = _UDP_NAMELEN;
		LOG(a->c, CFG_LOG_INFO, _ROLE, "listening on %s %s",
		    kind == _L_UDP	 ? "udp"
			: kind == _L_TCP ? "tcp"
					 : "forward (tcp)",
		    addrs[i].text);
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
			l->plain =
			    malloc((size_t)_UDP_PLAIN_OPS * ACC_UDP_PAYLOAD);
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

static void _waiting_add(struct _acc *a, unsigned id)
{
	for (unsigned i = 0; i < a->nwaiting; i++)
		if (a->waiting[i] == id)
			return;
	a->waiting[a->nwaiting++] = id;
}

static void _waiting_del(struct _acc *a, unsigned id)
{
	for (unsigned i = 0; i < a->nwaiting; i++)
		if (a->waiting[i] == id) {
			a->waiting[i] = a->waiting[--a->nwaiting];
			return;
		}
}

static void _arm_recv(struct _acc *a, unsigned id)
{
	struct _conn *c = &a->conns[id];
	struct io_uring_sqe *sqe = _sqe(a);
	if (!sqe) {
		c->want_arm = true;
		_waiting_add(a, id);
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
	if (c->dialect == _D_FORWARD)
		fwd_stream_fini(&c->fs);
	else
		mp_stream_fini(&c->st);
	free(c->buf);
	free(c->out);
	free(c->out_old);
	free(c->hs);
	c->hs = NULL;
	c->hs_len = 0;
	c->auth_wait = false;
	c->buf = c->out = c->out_old = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
	c->fd = -1;
	c->state = _C_FREE;
	c->paused = c->want_arm = c->send_armed = false;
	c->gen++;
	_waiting_del(a, id);
	a->free_ids[a->nfree++] = id;
	a->nconns--;
	a->ctr[REG_C_ACC_CONNS] = a->nconns;
}

static void _fwd_orphan(struct _acc *a, struct _conn *c);

/*
 * Closes with a counted reason (a REG_C_TCP_CLOSED_* counter; forward
 * connections count the mirrored REG_C_FWD_CLOSED_*); waits for an armed
 * recv or ack send to come back. A forward connection in the middle of a
 * chunked message leaves its journal entry pending for a resend.
 */
static void _conn_close(struct _acc *a, unsigned id, unsigned counter)
{
	struct _conn *c = &a->conns[id];
	if (c->state != _C_OPEN)
		return;
	if (c->dialect == _D_FORWARD) {
		if (counter >= REG_C_TCP_CLOSED_PEER &&
		    counter <= REG_C_TCP_CLOSED_TOO_MANY)
			counter +=
			    REG_C_FWD_CLOSED_PEER - REG_C_TCP_CLOSED_PEER;
		_fwd_orphan(a, c);
	}
	if (counter)
		a->ctr[counter]++;
	if (!c->armed && !c->send_armed) {
		_conn_free(a, id);
		return;
	}
	c->state = _C_CLOSING;
	_waiting_del(a, id);
	bool cancel_send = c->send_armed && !a->stopping; /* else let acks go */
	for (int k = 0; k < 2; k++) {
		if (!(k ? cancel_send : c->armed))
			continue;
		struct io_uring_sqe *sqe = _sqe(a);
		if (sqe) {
			io_uring_prep_cancel64(sqe,
			    _UD(k ? _K_SEND : _K_RECV, id, c->gen), 0);
			io_uring_sqe_set_data64(sqe, _UD(_K_CANCEL, 0, 0));
		} else {
			shutdown(c->fd, SHUT_RDWR); /* the ops then complete */
		}
	}
}

/* Forward: too many acks unsent to read more. */
static bool _send_blocked(const struct _conn *c)
{
	return c->out_len - c->out_off >= _FWD_OUT_SOFT;
}

/* Bytes a connection's decoder holds (partial or paused). */
static size_t _conn_buffered(const struct _conn *c)
{
	return c->dialect == _D_FORWARD ? fwd_stream_buffered(&c->fs)
					: mp_stream_buffered(&c->st);
}

/* The connection's ops are back: free a closing connection. */
static void _conn_reap(struct _acc *a, unsigned id)
{
	struct _conn *c = &a->conns[id];
	if (c->state == _C_CLOSING && !c->armed && !c->send_armed)
		_conn_free(a, id);
}

static unsigned _fatal_counter(int rc)
{
	switch (rc) {
	case -EMSGSIZE:
	case -ENOBUFS:
	case -ENOMEM: return REG_C_TCP_CLOSED_TOO_BIG;
	default: return REG_C_TCP_CLOSED_PROTOCOL;
	}
}

/* TCP and UDP event callbacks ------------------------------------------- */

/* Stages one accepted TCP event into the ring of shard s. false: the ring
 * is full even after a commit (pause the stream). */
static bool _stage(struct _acc *a, unsigned s, const struct evt_record *rec)
{
	if (!ring_stage(&a->pr, s, rec)) {
		/* Make what we staged visible so the worker can take it. */
		_commit(a);
		if (!ring_stage(&a->pr, s, rec)) {
			a->slot->full_waits++;
			return false; /* pause: the stream keeps the event */
		}
	}
	a->ctr[REG_C_ACC_EVENTS]++;
	a->uncommitted++;
	return true;
}

static int _tcp_event(void *ctx, const struct mp_event *ev)
{
	struct _acc *a = ctx;
	if (ev->reason != EVT_OK) {
		_reject(a, ev);
		return 0;
	}
	unsigned s = reg_shard_of(ev->rec->user_key, a->shards);
	if (!_stage(a, s, ev->rec))
		return 1;
	if (a->uncommitted >= a->commit_every)
		_commit(a);
	return 0;
}

static int _udp_event(void *ctx, const struct mp_event *ev)
{
	struct _acc *a = ctx;
	if (ev->reason != EVT_OK && ev->index == MP_NO_INDEX) {
		_reject(a, ev); /* the datagram refused: its one count */
		return 0;
	}
	if (ev->reason != EVT_OK) {
		if ((unsigned)ev->reason < EVT_REASON_COUNT) {
			a->batch_rej[ev->reason]++;
			a->batch_rejected = true;
		}
		_sample(a, ev);
		return 0;
	}
	if (a->batch_n == _UDP_BATCH) {
		a->batch_over = true;
		return 1; /* stop this datagram */
	}
	a->batch[a->batch_n++] = *ev->rec;
	return 0;
}

/* ---- Fluentd forward protocol ---------------------------------------- */

/*
 * Exactly-once for chunked messages (docs/PROTOCOL.md, "For the acceptor"):
 * a message with a "chunk" option is looked up in the dedup set before its
 * first event. COMMITTED: its events are dropped and it is acked again.
 * Otherwise it gets a journal entry (struct acc_journal), and the chunk is
 * recorded PENDING with the entry's token before any of its records can be
 * published; every commit while it is open is journaled (_commit); at its
 * ack: commit, mark COMMITTED, free the entry, queue the ack. A PENDING
 * chunk whose entry is found (a resend after a crash or a dropped
 * connection) resumes the entry: per shard, the first cnt_old[s] accepted
 * records routed to s are in the rings already and are skipped (routing is
 * a function of the bytes, so the resend routes them the same way).
 */

static int _jfind(const struct _acc *a, uint64_t token)
{
	if (!token)
		return -1;
	for (unsigned j = 0; j < REG_FWD_JOURNAL; j++)
		if (a->jl[j].state != _J_FREE &&
		    ck_pr_load_64(&a->ab->journal[j].token) == token)
			return (int)j;
	return -1;
}

static void _jfree(struct _acc *a, unsigned j)
{
	if (a->jl[j].state == _J_OPEN)
		a->nopen--;
	a->jl[j].state = _J_FREE;
	ck_pr_store_64(&a->ab->journal[j].token, 0);
}

/* A fresh entry for chunk, open for connection `owner`; -1 when every
 * entry is open (the caller pauses). Recycles the oldest orphan. */
static int _jalloc(struct _acc *a, const char *chunk, size_t len,
    unsigned owner)
{
	int pick = -1;
	uint64_t oldest = UINT64_MAX;
	for (unsigned j = 0; j < REG_FWD_JOURNAL; j++) {
		if (a->jl[j].state == _J_FREE) {
			pick = (int)j;
			break;
		}
		uint64_t t = a->ab->journal[j].token;
		if (a->jl[j].state == _J_ORPHAN && t < oldest) {
			oldest = t;
			pick = (int)j;
		}
	}
	if (pick < 0)
		return -1;
	struct acc_journal *e = &a->ab->journal[pick];
	struct _jent *l = &a->jl[pick];
	_jfree(a, (unsigned)pick); /* an orphan's resend becomes "lost" */
	e->chunk_len = (uint32_t)len;
	memcpy(e->chunk, chunk, len);
	memset(e->cnt_old, 0, sizeof(e->cnt_old));
	memset(e->cnt_new, 0, sizeof(e->cnt_new));
	memset(l, 0, sizeof(*l));
	l->state = _J_OPEN;
	l->owner = owner;
	a->nopen++;
	/* the entry's fields before its token: in use only when whole */
	ck_pr_fence_store();
	ck_pr_store_64(&e->token, ++a->ab->next_token);
	return pick;
}

/* The connection stops taking its chunked message (closed): publish what
 * it staged, journaled, and leave the entry to a resend. */
static void _fwd_orphan(struct _acc *a, struct _conn *c)
{
	c->fstarted = c->fdup = false;
	if (c->jidx < 0)
		return;
	_commit(a);
	struct _jent *l = &a->jl[c->jidx];
	if (l->state == _J_OPEN) {
		l->state = _J_ORPHAN;
		a->nopen--;
	}
	c->jidx = -1;
}

/* First event of a chunked message: dedup lookup. 1 = pause (entry busy
 * on another connection, or no free journal entry). */
static int _fwd_start(struct _acc *a, struct _conn *c, const char *chunk,
    size_t len)
{
	uint64_t tok = 0;
	enum fwd_seen seen = fwd_dedup_lookup(a->dd, chunk, len, &tok);
	if (seen == FWD_SEEN_COMMITTED) {
		c->fdup = true;
		a->ctr[REG_C_FWD_DUP_CHUNKS]++;
		return 0;
	}
	if (seen == FWD_SEEN_PENDING) {
		int j = _jfind(a, tok);
		if (j >= 0) {
			struct _jent *l = &a->jl[j];
			if (l->state == _J_OPEN)
				return 1; /* the same chunk on a live connection */
			const struct acc_journal *e = &a->ab->journal[j];
			for (unsigned s = 0; s < a->shards; s++)
				l->cnt[s] = l->skip[s] = e->cnt_old[s];
			l->state = _J_OPEN;
			l->owner = (unsigned)(c - a->conns);
			a->nopen++;
			c->jidx = j;
			a->ctr[REG_C_FWD_RESUMED]++;
			/* refresh it into the newest generation */
			fwd_dedup_begin(a->dd, chunk, len, tok);
			return 0;
		}
		if (tok)
			a->ctr[REG_C_FWD_JOURNAL_LOST]++;
	}
	int j = _jalloc(a, chunk, len, (unsigned)(c - a->conns));
	if (j < 0)
		return 1;
	c->jidx = j;
	/* PENDING before any record of the message can be published */
	fwd_dedup_begin(a->dd, chunk, len, a->ab->journal[j].token);
	return 0;
}

static int _fwd_event(void *ctx, const struct fwd_event *fe)
{
	struct _acc *a = ctx;
	struct _conn *c = &a->conns[a->cur];
	const struct mp_event *ev = &fe->ev;
	if (ev->fatal || ev->index == MP_NO_INDEX) {
		_reject(a, ev);
		return 0;
	}
	if (fe->chunk && !c->fstarted) {
		if (a->dd && _fwd_start(a, c, fe->chunk, fe->chunk_len))
			return 1;
		c->fstarted = true;
	}
	if (c->fdup) {
		if (ev->reason == EVT_OK)
			a->ctr[REG_C_FWD_DUP_EVENTS]++;
		return 0;
	}
	if (ev->reason != EVT_OK) {
		_reject(a, ev);
		return 0;
	}
	unsigned s = reg_shard_of(ev->rec->user_key, a->shards);
	struct _jent *l = c->jidx >= 0 ? &a->jl[c->jidx] : NULL;
	if (l && l->skip[s]) {
		l->skip[s]--;
		a->ctr[REG_C_FWD_DUP_EVENTS]++;
		return 0;
	}
	if (!_stage(a, s, ev->rec))
		return 1;
	if (l)
		l->cnt[s]++;
	if (a->uncommitted >= a->commit_every)
		_commit(a);
	return 0;
}

static void _arm_send(struct _acc *a, unsigned id)
{
	struct _conn *c = &a->conns[id];
	struct io_uring_sqe *sqe = _sqe(a);
	if (!sqe) {
		c->close_reason = REG_C_FWD_CLOSED_SLOW;
		return;
	}
	io_uring_prep_send(sqe, c->fd, c->out + c->out_off,
	    c->out_len - c->out_off, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, _UD(_K_SEND, id, c->gen));
	c->send_armed = true;
	a->inflight++;
}

/*
 * Room for `need` more bytes to send on a forward connection; false with
 * close_reason set when the peer has left too much unread (or no memory).
 */
static bool _out_reserve(struct _acc *a, struct _conn *c, size_t need)
{
	if (c->out_len + need <= c->out_cap)
		return true;
	size_t hard = (size_t)a->c->max_conn_buffer + _FWD_OUT_SOFT;
	size_t cap = c->out_cap ? 2 * (size_t)c->out_cap : 4096;
	if (c->out_len + need > hard) {
		c->close_reason = REG_C_FWD_CLOSED_SLOW;
		return false;
	}
	if (cap > hard)
		cap = hard;
	char *nb = malloc(cap);
	if (!nb) {
		c->close_reason = REG_C_FWD_CLOSED_TOO_BIG;
		return false;
	}
	if (c->out_len)
		memcpy(nb, c->out, c->out_len);
	/* A send in flight reads the old buffer: keep it until its
	 * completion (an intermediate one nobody reads goes now). */
	if (c->send_armed && !c->out_old)
		c->out_old = c->out;
	else
		free(c->out);
	c->out = nb;
	c->out_cap = (uint32_t)cap;
	return true;
}

/* Queues handshake bytes (HELO, PONG) on a forward connection. */
static void _out_handshake(struct _acc *a, unsigned id, const char *p, size_t n)
{
	struct _conn *c = &a->conns[id];
	if (!n || !_out_reserve(a, c, n))
		return;
	memcpy(c->out + c->out_len, p, n);
	c->out_len += (uint32_t)n;
	if (!c->send_armed)
		_arm_send(a, id);
}

/* All events of a chunked message are taken: publish, record, ack. */
static void _fwd_ack(void *ctx, const char *chunk, size_t len)
{
	struct _acc *a = ctx;
	unsigned id = a->cur;
	struct _conn *c = &a->conns[id];
	if (!a->dd) {
		_commit(a);
	} else if (!c->fstarted) {
		/* a message without events: nothing to publish */
		if (fwd_dedup_lookup(a->dd, chunk, len, NULL) ==
		    FWD_SEEN_COMMITTED)
			a->ctr[REG_C_FWD_DUP_CHUNKS]++;
		else
			fwd_dedup_add(a->dd, chunk, len, 0);
	} else if (c->jidx >= 0) {
		_commit(a);			     /* in the rings */
		fwd_dedup_commit(a->dd, chunk, len); /* remembered */
		_jfree(a, (unsigned)c->jidx);
		c->jidx = -1;
	}
	c->fstarted = c->fdup = false;
	if (c->close_reason || !_out_reserve(a, c, FWD_ACK_MAX))
		return;
	size_t n = fwd_ack_encode(c->out + c->out_len, c->out_cap - c->out_len,
	    chunk, len);
	if (!n)
		return; /* cannot happen: fwd_stream delivers short chunks */
	c->out_len += (uint32_t)n;
	a->ctr[REG_C_FWD_ACKS]++;
	if (!c->send_armed)
		_arm_send(a, id);
}

static void _on_send(struct _acc *a, const struct io_uring_cqe *cqe)
{
	unsigned id = _UD_IDX(cqe->user_data);
	struct _conn *c = &a->conns[id];
	if (id >= a->c->max_connections || c->gen != _UD_GEN(cqe->user_data) ||
	    !c->send_armed)
		return; /* stale: cannot happen */
	c->send_armed = false;
	a->inflight--;
	free(c->out_old);
	c->out_old = NULL;
	if (c->state == _C_CLOSING) {
		_conn_reap(a, id);
		return;
	}
	if (cqe->res < 0) {
		if (cqe->res == -EINTR || cqe->res == -EAGAIN)
			_arm_send(a, id);
		else
			_conn_close(a, id, REG_C_TCP_CLOSED_PEER);
		return;
	}
	bool was_blocked = _send_blocked(c);
	c->out_off += (uint32_t)cqe->res;
	if (c->out_off >= c->out_len) {
		c->out_off = c->out_len = 0;
	} else {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		_arm_send(a, id);
	}
	/* A refused handshake closes once its PONG is out. */
	if (c->close_reason &&
	    !(c->send_armed && c->close_reason == REG_C_FWD_AUTH_FAILED)) {
		_conn_close(a, id, c->close_reason);
		return;
	}
	/* the peer read its acks: read it again */
	if (was_blocked && !_send_blocked(c) && !c->armed && !c->paused &&
	    !a->stopping) {
		c->last_rx_ms = a->now_ms;
		_arm_recv(a, id);
	}
}

/*
 * At start, before anything is staged: attach the dedup set and resolve
 * the journal left by a previous process. For an entry whose chunk is
 * PENDING with its token: per shard, the commit in progress landed iff the
 * ring's p_tail equals intent_tail (nothing has moved it since), so the
 * records in the rings are cnt_new or cnt_old; both become that number and
 * the entry waits, orphaned, for the client's resend. Entries whose chunk
 * is committed, unknown or re-begun under another token are freed. Each
 * step is idempotent: a crash here is resolved the same way next time.
 */
static int _fwd_recover(struct _acc *a)
{
	a->ab = reg_acceptor_block(a->r);
	if (!a->ab)
		return 0; /* no acceptor block: chunks are acked, not deduped */
	a->jl = calloc(REG_FWD_JOURNAL, sizeof(*a->jl));
	if (!a->jl)
		return -ENOMEM;
	a->dd = reg_acceptor_dedup(a->r);
	bool reuse = ck_pr_load_64(&a->ab->magic) == REG_ACC_MAGIC;
	uint64_t seed = (uint64_t)a->r->hdr->created_ms ^ 0x9e3779b97f4a7c15ULL;
	int rc = fwd_dedup_init(a->dd, REG_FWD_DEDUP_BYTES, REG_FWD_DEDUP_CAP,
	    seed, reuse);
	if (rc)
		return rc;
	if (!reuse) {
		memset(a->ab->journal, 0, sizeof(a->ab->journal));
		ck_pr_fence_store();
		ck_pr_store_64(&a->ab->magic, REG_ACC_MAGIC);
		return 0;
	}
	unsigned kept = 0, freed = 0;
	uint32_t tail[REG_MAX_SHARDS];
	for (unsigned s = 0; s < a->shards; s++)
		tail[s] = ck_pr_load_uint(&reg_ring(a->r, 0, s)->ring.p_tail);
	for (unsigned j = 0; j < REG_FWD_JOURNAL; j++) {
		struct acc_journal *e = &a->ab->journal[j];
		uint64_t token = ck_pr_load_64(&e->token), tok = 0;
		if (!token)
			continue;
		enum fwd_seen seen =
		    e->chunk_len && e->chunk_len <= REG_FWD_CHUNK_MAX
		    ? fwd_dedup_lookup(a->dd, e->chunk, e->chunk_len, &tok)
		    : FWD_SEEN_NONE;
		if (seen != FWD_SEEN_PENDING || tok != token) {
			ck_pr_store_64(&e->token, 0);
			freed++;
			continue;
		}
		for (unsigned s = 0; s < a->shards; s++) {
			uint32_t in = tail[s] == a->ab->intent_tail[s]
			    ? e->cnt_new[s]
			    : e->cnt_old[s];
			e->cnt_new[s] = in;
			e->cnt_old[s] = in;
		}
		a->jl[j].state = _J_ORPHAN;
		kept++;
	}
	ck_pr_fence_store();
	for (unsigned s = 0; s < a->shards; s++)
		ck_pr_store_32(&a->ab->intent_tail[s], tail[s]);
	if (kept || freed)
		LOG(a->c, CFG_LOG_INFO, _ROLE,
		    "forward: %u chunks pending from the previous run (resumed when resent), %u journal entries freed",
		    kept, freed);
	return 0;
}

/*
 * Feeds bytes of connection id (n == 0: resume a paused stream). Returns
 * true when the connection stays open.
 */
/*
 * Shared-key handshake: gathers the PING from the first bytes, answers
 * PONG. Returns true with *p, *n moved past the PING when the forward
 * stream may have the rest (n may be 0), false when nothing more is to be
 * fed now: PING incomplete, or refused (the PONG goes out, then the
 * connection closes as fwd_auth_failed; no byte reaches the stream).
 */
static bool _handshake(struct _acc *a, unsigned id, const char **p, size_t *n)
{
	struct _conn *c = &a->conns[id];
	if (!c->hs && !(c->hs = malloc(FWD_PING_MAX))) {
		c->close_reason = REG_C_FWD_CLOSED_TOO_BIG;
		return false;
	}
	size_t take =
	    FWD_PING_MAX - c->hs_len < *n ? FWD_PING_MAX - c->hs_len : *n;
	memcpy(c->hs + c->hs_len, *p, take);
	c->hs_len += take;
	struct fwd_auth au = a->au;
	memcpy(au.nonce, c->nonce, FWD_NONCE_LEN);
	struct fwd_ping pg;
	size_t used = fwd_ping_read(&au, c->hs, c->hs_len, &pg);
	if (!used)
		return false; /* the PING continues in the next recv */
	char pong[FWD_HANDSHAKE_MAX];
	_out_handshake(a, id, pong,
	    fwd_pong_encode(pong, sizeof(pong), &au, &pg));
	if (!pg.ok) {
		LOG(a->c, CFG_LOG_DEBUG, _ROLE,
		    "forward: handshake refused: %s", pg.reason);
		if (!c->close_reason)
			c->close_reason = REG_C_FWD_AUTH_FAILED;
		return false;
	}
	/* An earlier recv left the PING incomplete, so whatever follows it
	 * in hs came from this recv: the stream gets this recv from there. */
	size_t after = c->hs_len - used;
	c->auth_wait = false;
	*p += take - after;
	*n -= take - after;
	free(c->hs);
	c->hs = NULL;
	c->hs_len = 0;
	return true;
}

static bool _conn_feed(struct _acc *a, unsigned id, const char *p, size_t n)
{
	struct _conn *c = &a->conns[id];
	uint64_t objects = a->st.objects, messages = a->st.fwd_messages;
	uint64_t taken = a->ctr[REG_C_ACC_EVENTS];
	int rc;
	if (c->auth_wait) {
		if (!_handshake(a, id, &p, &n)) {
			if (c->close_reason && !c->send_armed)
				_conn_close(a, id, c->close_reason);
			return c->state == _C_OPEN && !c->close_reason;
		}
		if (!n)
			return true;
	}
	switch (c->dialect) {
	case _D_FORWARD: {
		uint64_t msgs = a->st.fwd_messages;
		c->fs.lim.evt = a->lim.evt;
		a->cur = id;
		rc = fwd_stream_feed(&c->fs, p, n, _fwd_event, _fwd_ack, a,
		    &a->st);
		a->ctr[REG_C_FWD_MESSAGES] += a->st.fwd_messages - msgs;
		if (c->close_reason && rc >= 0) {
			_conn_close(a, id, c->close_reason);
			return false;
		}
		break;
	}
	case _D_MSGPACK:
	default:
		c->st.dec.lim.evt = a->lim.evt;
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
		_waiting_add(a, id);
		return true;
	}
	if (c->paused) {
		c->paused = false;
		_waiting_del(a, id);
		c->last_rx_ms = a->now_ms; /* the pause was ours, not idling */
	}
	/*
	 * Activity is what is taken: an event. (Not an ack: any message
	 * with a chunk id is acked, an empty one too; a client resending
	 * only chunks already committed for idle_timeout_s is closed, and
	 * resends the rest on a new connection.) Bytes toward an unfinished
	 * object count only
	 * while no object was refused since the last event taken, and the
	 * object has idle_timeout_s to end (slowloris); a refused object
	 * renews neither. Else a few clients sending what is refused (a
	 * nil a minute, "[nil" split over reads) could hold every
	 * connection for as long as they like.
	 */
	bool took = a->ctr[REG_C_ACC_EVENTS] != taken;
	bool completed =
	    a->st.objects != objects || a->st.fwd_messages != messages;
	if (took)
		c->refused = false;
	else if (completed)
		c->refused = true;
	bool buffered = _conn_buffered(c) != 0;
	if (took || (buffered && !c->refused))
		c->last_rx_ms = a->now_ms;
	if (!buffered)
		c->partial_since_ms = 0;
	else if (took || !c->partial_since_ms)
		c->partial_since_ms = a->now_ms;
	return true;
}

/* Shared key set: greet a new forward connection with a fresh nonce. */
static void _helo(struct _acc *a, unsigned id)
{
	struct _conn *c = &a->conns[id];
	struct fwd_auth au = a->au;
	char helo[FWD_HANDSHAKE_MAX];
	randombytes_buf(c->nonce, FWD_NONCE_LEN);
	memcpy(au.nonce, c->nonce, FWD_NONCE_LEN);
	c->auth_wait = true;
	_out_handshake(a, id, helo, fwd_helo_encode(helo, sizeof(helo), &au));
}

/* allow_from at accept: the peer of a new connection may send. */
static bool _allowed_peer(const struct _acc *a, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (!a->nallow)
		return true;
	if (getpeername(fd, (struct sockaddr *)&ss, &len))
		return false; /* already gone, or not an IP peer */
	return cfg_cidr_match(a->allow, a->nallow, (struct sockaddr *)&ss);
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
			LOG(a->c, CFG_LOG_WARN, _ROLE,
			    "multishot accept not supported by this kernel: using plain accept");
		} else if (cqe->res != -ECANCELED) {
			LOG(a->c, CFG_LOG_WARN, _ROLE, "accept on %s: %s",
			    l->addr.text, strerror(-cqe->res));
		}
	} else {
		int fd = cqe->res;
		if (a->stopping) {
			close(fd);
		} else if (!_allowed_peer(a, fd)) {
			close(fd);
			a->ctr[l->kind == _L_FWD ? REG_C_FWD_REFUSED
						 : REG_C_TCP_REFUSED]++;
		} else if (!a->nfree) {
			close(fd);
			a->ctr[l->kind == _L_FWD ? REG_C_FWD_CLOSED_TOO_MANY
						 : REG_C_TCP_CLOSED_TOO_MANY]++;
		} else {
			unsigned id = a->free_ids[--a->nfree];
			struct _conn *c = &a->conns[id];
			c->fd = fd;
			c->state = _C_OPEN;
			c->dialect =
			    l->kind == _L_FWD ? _D_FORWARD : _D_MSGPACK;
			c->armed = c->paused = c->want_arm = false;
			c->send_armed = c->fstarted = c->fdup = false;
			c->jidx = -1;
			c->close_reason = 0;
			c->last_rx_ms = a->now_ms;
			c->partial_since_ms = 0;
			c->refused = false;
			c->buf = c->out = c->out_old = NULL;
			c->out_off = c->out_len = c->out_cap = 0;
			c->auth_wait = false;
			c->hs = NULL;
			c->hs_len = 0;
			int rc = c->dialect == _D_FORWARD
			    ? fwd_stream_init(&c->fs, &a->lim)
			    : mp_stream_init(&c->st, &a->lim);
			if (!rc && a->plain_bufs &&
			    !(c->buf = malloc(ACC_TCP_CHUNK)))
				rc = -ENOMEM;
			a->nconns++;
			a->ctr[REG_C_ACC_CONNS] = a->nconns;
			a->ctr[c->dialect == _D_FORWARD ? REG_C_FWD_ACCEPTED
							: REG_C_TCP_ACCEPTED]++;
			if (rc) {
				_conn_close(a, id, REG_C_TCP_CLOSED_TOO_BIG);
			} else {
				if (c->dialect == _D_FORWARD && a->auth)
					_helo(a, id);
				_arm_recv(a, id);
			}
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
		data = a->tcp_mem +
		    (size_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT) *
			ACC_TCP_CHUNK;
	if (id >= a->c->max_connections || c->gen != _UD_GEN(cqe->user_data)) {
		_recycle(a, cqe, _TCP_GID); /* stale: cannot happen, be safe */
		return;
	}
	c->armed = false;
	a->inflight--;
	if (c->state == _C_CLOSING) {
		_recycle(a, cqe, _TCP_GID);
		_conn_reap(a, id);
		return;
	}
	int res = cqe->res;
	if (res > 0) {
		if (!data)
			data = c->buf;
		a->ctr[c->dialect == _D_FORWARD ? REG_C_FWD_BYTES
						: REG_C_TCP_BYTES] +=
		    (uint64_t)res;
		/* _conn_feed says what was activity: not any bytes. */
		bool open = _conn_feed(a, id, data, (size_t)res);
		_recycle(a, cqe, _TCP_GID); /* the stream copied what it kept */
		if (open && !c->paused && !a->stopping && !_send_blocked(c) &&
		    !c->close_reason)
			_arm_recv(a, id);
		return;
	}
	_recycle(a, cqe, _TCP_GID);
	if (res == -ENOBUFS) { /* every TCP buffer is in use: try soon */
		c->want_arm = true;
		_waiting_add(a, id);
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
	_conn_close(a, id,
	    _conn_buffered(c) ? REG_C_TCP_CLOSED_PARTIAL
			      : REG_C_TCP_CLOSED_PEER);
}

/* One datagram from src (NULL: unknown): all of its valid events are
 * staged, or none. */
static void _datagram(struct _acc *a, const struct sockaddr *src, const char *p,
    size_t n, bool trunc)
{
	a->ctr[REG_C_UDP_DATAGRAMS]++;
	a->ctr[REG_C_UDP_BYTES] += n;
	if (a->nallow && (!src || !cfg_cidr_match(a->allow, a->nallow, src))) {
		a->ctr[REG_C_UDP_REFUSED]++;
		return;
	}
	if (trunc) {
		a->ctr[REG_C_UDP_TRUNCATED]++;
		_count_reject(a, EVT_R_TOO_BIG);
		return;
	}
	a->batch_n = 0;
	a->batch_over = false;
	if (a->batch_rejected) {
		memset(a->batch_rej, 0, sizeof(a->batch_rej));
		a->batch_rejected = false;
	}
	/* A structural refusal of any object (malformed, too big or too
	 * deep as a whole; counted once by the decoder) refuses the whole
	 * datagram: none of its events are queued nor counted, so a sender
	 * resending a refused datagram counts nothing twice. */
	if (mp_decoder_buffer(&a->udp_dec, p, n, _udp_event, a, &a->st) !=
	    EVT_OK)
		return;
	if (a->batch_over) {
		_count_reject(a, EVT_R_TOO_BIG);
		return;
	}
	/* Taken apart: its events refused one by one count now. */
	for (unsigned r = 1; a->batch_rejected && r < EVT_REASON_COUNT; r++) {
		a->ctr[REG_C_REJECT0 + r] += a->batch_rej[r];
		a->slot->rejected += a->batch_rej[r];
	}
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
			ring_stage(&a->pr,
			    reg_shard_of(a->batch[i].user_key, a->shards),
			    &a->batch[i]);
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
		char *buf = a->udp_mem +
		    (size_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT) *
			_UDP_BUF_SIZE;
		struct io_uring_recvmsg_out *o =
		    io_uring_recvmsg_validate(buf, cqe->res, &l->mh);
		if (o) {
			const char *p = io_uring_recvmsg_payload(o, &l->mh);
			unsigned n = io_uring_recvmsg_payload_length(o,
			    cqe->res, &l->mh);
			_datagram(a,
			    o->namelen ? io_uring_recvmsg_name(o) : NULL, p, n,
			    (o->flags & MSG_TRUNC) != 0);
		}
	} else if (cqe->res == -EINVAL && !a->plain_udp && !a->stopping) {
		a->plain_udp = true;
		LOG(a->c, CFG_LOG_WARN, _ROLE,
		    "multishot recvmsg not supported by this kernel: using plain recvmsg");
	}
	_recycle(a, cqe, _UDP_GID);
	if (!l->armed && !a->stopping)
		_arm_udp(a,
		    li); /* ENOBUFS ends a multishot: buffers are back */
}

static void _on_udp_plain(struct _acc *a, const struct io_uring_cqe *cqe)
{
	unsigned li = _UD_IDX(cqe->user_data), k = _UD_GEN(cqe->user_data);
	struct _lsn *l = &a->lsn[li];
	l->parmed[k] = false;
	a->inflight--;
	if (cqe->res >= 0)
		_datagram(a,
		    l->pmh[k].msg_namelen ? (struct sockaddr *)&l->pname[k]
					  : NULL,
		    l->plain + (size_t)k * ACC_UDP_PAYLOAD, (size_t)cqe->res,
		    (l->pmh[k].msg_flags & MSG_TRUNC) != 0);
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
	LOG(a->c, CFG_LOG_INFO, _ROLE,
	    "stopping (%s): %u connections, %u paused", why, a->nconns,
	    a->nwaiting);
	for (unsigned i = 0; i < a->nlsn; i++) {
		struct io_uring_sqe *sqe = _sqe(a);
		if (!sqe)
			break;
		io_uring_prep_cancel_fd(sqe, a->lsn[i].fd,
		    IORING_ASYNC_CANCEL_ALL);
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
static void _serve_waiting(struct _acc *a)
{
	for (unsigned i = 0; i < a->nwaiting;) {
		unsigned id = a->waiting[i];
		struct _conn *c = &a->conns[id];
		if (c->paused) {
			if (_conn_feed(a, id, NULL, 0) && !c->paused &&
			    !a->stopping && !_send_blocked(c))
				_arm_recv(a, id);
			else if (c->state == _C_OPEN && !c->paused &&
			    a->stopping)
				_conn_close(a, id, 0);
		} else if (c->want_arm && !a->stopping) {
			_waiting_del(a, id);
			_arm_recv(a, id);
		} else {
			_waiting_del(a, id);
		}
		/* A removed entry was replaced by the last one: look again. */
		if (i < a->nwaiting && a->waiting[i] == id)
			i++;
	}
}

/*
 * Idleness is counted in the acceptor's own running time. When a wait
 * returns _STALL_MS or more past its timeout, the process did not run
 * in between (SIGSTOP, or a machine too loaded to schedule it): its
 * clients may have sent all along, but nothing of it was read. Every open
 * connection's clocks move on by the stall, and the next sweep waits one
 * period more: with IORING_SETUP_DEFER_TASKRUN the completions of what
 * arrived during the stall are posted only once the process enters the
 * kernel again, a few per wait (the first wait back can return with none
 * at all), and the loop reads them before anyone is judged idle. A silent
 * connection is so closed idle_timeout_s of running time after its last
 * event, however long the stall.
 */
static void _stall_check(struct _acc *a, int64_t woke_before, int64_t wait_ms)
{
	int64_t late = a->now_ms - woke_before - wait_ms;
	if (late < _STALL_MS)
		return;
	unsigned moved = 0;
	for (unsigned id = 0; id < a->c->max_connections; id++) {
		struct _conn *c = &a->conns[id];
		if (c->state != _C_OPEN)
			continue;
		c->last_rx_ms += late;
		if (c->partial_since_ms)
			c->partial_since_ms += late;
		moved++;
	}
	if (a->next_idle_check < a->now_ms + _SWEEP_MS)
		a->next_idle_check = a->now_ms + _SWEEP_MS;
	a->ctr[REG_C_ACC_STALLS]++;
	LOG(a->c, CFG_LOG_WARN, _ROLE,
	    "the loop ran %lld ms late (the process was stopped or not scheduled): not counted as idle time of %u connections",
	    (long long)late, moved);
}

static void _idle_check(struct _acc *a)
{
	if (a->now_ms < a->next_idle_check)
		return;
	a->next_idle_check = a->now_ms + _SWEEP_MS;
	int64_t limit = (int64_t)a->c->idle_timeout_s * 1000;
	for (unsigned id = 0; id < a->c->max_connections; id++) {
		struct _conn *c = &a->conns[id];
		if (c->state != _C_OPEN || c->paused)
			continue;
		if (a->now_ms - c->last_rx_ms > limit ||
		    (c->partial_since_ms &&
			a->now_ms - c->partial_since_ms > limit))
			_conn_close(a, id,
			    _send_blocked(c) ? REG_C_FWD_CLOSED_SLOW
					     : REG_C_TCP_CLOSED_IDLE);
	}
}

static void _completions(struct _acc *a)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	io_uring_for_each_cqe(&a->ring, head, cqe)
	{
		n++;
		switch (_UD_KIND(cqe->user_data)) {
		case _K_ACCEPT:
			_on_accept(a, cqe, _UD_IDX(cqe->user_data));
			break;
		case _K_UDP: _on_udp(a, cqe); break;
		case _K_UDP_PLAIN: _on_udp_plain(a, cqe); break;
		case _K_RECV: _on_recv(a, cqe); break;
		case _K_SEND: _on_send(a, cqe); break;
		default: break;
		}
	}
	io_uring_cq_advance(&a->ring, n);
}

static int _setup_ring(struct _acc *a)
{
	static const unsigned flag_sets[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	int rc = -ENOSYS;
	for (unsigned i = 0; i < 3; i++) {
		struct io_uring_params p = { .flags = flag_sets[i] |
			    IORING_SETUP_CQSIZE,
			.cq_entries = _CQ_ENTRIES };
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
			if (a->conns[id].dialect == _D_FORWARD)
				fwd_stream_fini(&a->conns[id].fs);
			else
				mp_stream_fini(&a->conns[id].st);
			free(a->conns[id].buf);
			free(a->conns[id].out);
			free(a->conns[id].out_old);
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
	free(a->waiting);
	free(a->batch);
	free(a->jl);
}

bool acc_wanted(const struct cfg *c)
{
	unsigned u = 0, t = 0, f = 0;
	if (!c->acceptor_slots)
		return false;
	cfg_listen_parse(c->udp_listen, NULL, 0, &u, NULL, 0);
	cfg_listen_parse(c->tcp_listen, NULL, 0, &t, NULL, 0);
	cfg_listen_parse(c->forward_listen, NULL, 0, &f, NULL, 0);
	return u + t + f > 0;
}

/* Whether a bound address is a loopback one (127/8, ::1). */
static bool _loopback(const struct cfg_addr *ad)
{
	if (ad->ss.ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)&ad->ss)
				  ->sin_addr.s_addr) >>
			   24) == 127;
	return ad->ss.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(
		&((const struct sockaddr_in6 *)&ad->ss)->sin6_addr);
}

/* A listener beyond the host with nothing to keep strangers out. */
static void _warn_exposed(const struct _acc *a)
{
	for (unsigned i = 0; i < a->nlsn; i++) {
		const struct _lsn *l = &a->lsn[i];
		if (_loopback(&l->addr) || a->nallow ||
		    (l->kind == _L_FWD && a->auth))
			continue;
		LOG(a->c, CFG_LOG_WARN, _ROLE,
		    "%s listener %s is not on loopback and allow_from is not set: anyone who can reach it can send events",
		    l->kind == _L_UDP	    ? "udp"
			: l->kind == _L_TCP ? "tcp"
					    : "forward",
		    l->addr.text);
	}
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
	/* Before anything is staged: the journal compares ring indices. */
	int frc = _fwd_recover(a);
	if (frc) {
		LOG(c, CFG_LOG_ERROR, _ROLE,
		    "forward: cannot set up the chunk journal: %s",
		    strerror(-frc));
		return frc;
	}

	a->lim = mp_limits_default();
	a->lim.max_object_bytes = c->max_object_bytes;
	a->lim.max_buffered = c->max_conn_buffer;
	a->lim.evt = a->r->hdr->limits;
	a->conns = calloc(c->max_connections, sizeof(*a->conns));
	a->free_ids = calloc(c->max_connections, sizeof(unsigned));
	a->waiting = calloc(c->max_connections, sizeof(unsigned));
	a->batch = calloc(_UDP_BATCH, sizeof(*a->batch));
	if (!a->conns || !a->free_ids || !a->waiting || !a->batch ||
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
		LOG(c, CFG_LOG_INFO, _ROLE,
		    "PENCHANT_ACC_PLAIN=1: plain io_uring operations");
	} else if ((rc = _buf_ring(a, _UDP_GID, _UDP_BUFS, _UDP_BUF_SIZE,
			&a->udp_br, &a->udp_mem, &a->udp_br_bytes,
			&a->udp_mem_bytes)) ||
	    (rc = _buf_ring(a, _TCP_GID, _TCP_BUFS, ACC_TCP_CHUNK, &a->tcp_br,
		 &a->tcp_mem, &a->tcp_br_bytes, &a->tcp_mem_bytes))) {
		a->plain_bufs = a->plain_udp = true;
		LOG(c, CFG_LOG_WARN, _ROLE,
		    "provided buffer rings not supported (%s): plain recvmsg and per-connection buffers",
		    strerror(-rc));
	}
	char err[CFG_ERR_MAX];
	if (cfg_cidr_parse(c->allow_from, a->allow, CFG_ALLOW_MAX, &a->nallow,
		err, sizeof(err))) {
		LOG(c, CFG_LOG_ERROR, _ROLE, "allow_from: %s", err);
		return -EINVAL; /* cannot happen: cfg_check passed */
	}
	if (c->forward_shared_key[0] && c->forward_listen[0]) {
		if (sodium_init() < 0) {
			LOG(c, CFG_LOG_ERROR, _ROLE,
			    "forward_shared_key: libsodium cannot start");
			return -ENOSYS;
		}
		if (c->forward_hostname[0])
			snprintf(a->hostname, sizeof(a->hostname), "%s",
			    c->forward_hostname);
		else if (gethostname(a->hostname, sizeof(a->hostname) - 1))
			snprintf(a->hostname, sizeof(a->hostname), "penchant");
		a->au.key = c->forward_shared_key;
		a->au.key_len = strlen(c->forward_shared_key);
		a->au.hostname = a->hostname;
		a->au.hostname_len = strlen(a->hostname);
		a->auth = true;
	}
	_open_listeners(a, c->udp_listen, _L_UDP, "udp_listen");
	_open_listeners(a, c->tcp_listen, _L_TCP, "tcp_listen");
	_open_listeners(a, c->forward_listen, _L_FWD, "forward_listen");
	if (!a->nlsn) {
		LOG(c, CFG_LOG_ERROR, _ROLE, "no address could be bound");
		return -EADDRNOTAVAIL;
	}
	_warn_exposed(a);
	a->ctr[REG_C_ACC_LISTENERS] = a->nlsn;
	a->ctr[REG_C_ACC_CONNS] = 0;
	a->now_ms = a->woke_ms = _mono();
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
		if (a->stopping &&
		    ((!a->inflight && !a->nwaiting) ||
			a->now_ms > a->stop_deadline))
			break;
		_window(a);
		int64_t wait_ms = a->nwaiting ? _WAIT_PAUSED_MS : _WAIT_IDLE_MS;
		struct __kernel_timespec ts = { 0, wait_ms * 1000000LL };
		struct io_uring_cqe *cqe;
		int rc = io_uring_submit_and_wait_timeout(&a->ring, &cqe, 1,
		    &ts, NULL);
		if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) {
			LOG(c, CFG_LOG_ERROR, _ROLE, "io_uring wait: %s",
			    strerror(-rc));
			break;
		}
		int64_t woke_before = a->woke_ms;
		a->now_ms = a->woke_ms = _mono();
		if (!a->stopping)
			_stall_check(a, woke_before, wait_ms);
		_completions(a);
		_serve_waiting(a);
		_commit(a);
		if (!a->stopping)
			_idle_check(a);
	}
	_commit(a);
	size_t held = 0;
	for (unsigned id = 0; id < c->max_connections; id++)
		if (a->conns[id].state == _C_OPEN && a->conns[id].paused)
			held += _conn_buffered(&a->conns[id]);
	if (held)
		LOG(c, CFG_LOG_WARN, _ROLE,
		    "stopped with %zu paused bytes not delivered (the rings stayed full for %d ms)",
		    held, _STOP_GRACE_MS);
	LOG(c, CFG_LOG_INFO, _ROLE, "stopped: %llu events accepted in total",
	    (unsigned long long)a->ctr[REG_C_ACC_EVENTS]);
	_teardown(a);
	free(a);
	return 0;
}
