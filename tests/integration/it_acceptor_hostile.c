/*
 * it_acceptor_hostile: hostile TCP and UDP input against the acceptor while
 * a well-behaved TCP client keeps sending: truncated objects, wrong types,
 * nesting bombs, huge declared lengths, an object over max_object_bytes, a
 * slowloris connection, a silent one, a client that disconnects
 * mid-object, more connections than max_connections, then random bytes.
 * No crash (the acceptor is never restarted), every close and rejection is
 * counted under its reason, and every good event is applied.
 */
#include "it_acceptor_util.h"

#define T0_MS 1767258000000LL
#define GOOD_USERS 10

struct good {
	int fd;
	unsigned sent;
	unsigned per_user[GOOD_USERS];
};

/* A few good events on the good connection (it must never be closed). */
static void _good(struct good *g, unsigned n)
{
	struct axb w = { .n = 0 };
	char user[32];
	for (unsigned i = 0; i < n; i++) {
		unsigned u = (g->sent + i) % GOOD_USERS;
		snprintf(user, sizeof(user), "good-%u", u);
		axb_event(&w, user, "click", "ent-1",
		    T0_MS + (int64_t)(g->sent + i) * 1000);
		g->per_user[u]++;
	}
	g->sent += n;
	CHECK(ax_write_all(g->fd, w.b, w.n));
}

static int _conn(struct ax *a)
{
	int fd = ax_tcp_connect(a->port);
	REQUIRE(fd >= 0);
	return fd;
}

/* Waits until the server closed fd (recv returns 0 or an error). */
static bool _closed_by_peer(int fd, unsigned timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char b[64];
	ssize_t r = recv(fd, b, sizeof(b), 0);
	return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static void _send_close_expect(struct ax *a, const void *p, size_t n,
    const char *what)
{
	int fd = _conn(a);
	CHECK(ax_write_all(fd, p, n));
	if (!_closed_by_peer(fd, 5000))
		fprintf(stderr, "server did not close the %s connection\n",
		    what);
	close(fd);
}

static void _tcp_structural(struct ax *a, struct good *g)
{
	/* Not msgpack: 0xc1 is never used. */
	static const char bad[] = "\xc1garbage\x00\xff";
	_send_close_expect(a, bad, sizeof(bad) - 1, "random");
	_good(g, 20);
	/* A nesting bomb: 200 arrays of one element. */
	char nest[256];
	memset(nest, 0x91, 200);
	nest[200] = (char)0xc0;
	_send_close_expect(a, nest, 201, "nesting");
	_good(g, 20);
	/* str32 declaring 4 GiB, and an array32 of 2^31 elements. */
	static const char hstr[] = "\x81\xa7user_id\xdb\xff\xff\xff\xf0xx";
	_send_close_expect(a, hstr, sizeof(hstr) - 1, "huge str");
	static const char harr[] = "\xdd\x80\x00\x00\x00\x80";
	_send_close_expect(a, harr, sizeof(harr) - 1, "huge array");
	/* A real object of 5000 bytes (max_object_bytes is 4096). */
	struct axb w = { .n = 0 };
	axb_map(&w, 1);
	axb_str(&w, "user_id");
	axb_u8(&w, 0xda);
	axb_u8(&w, 5000 >> 8);
	axb_u8(&w, 5000 & 0xff);
	char fill[5000];
	memset(fill, 'x', sizeof(fill));
	axb_raw(&w, fill, sizeof(fill));
	_send_close_expect(a, w.b, w.n, "big object");
	_good(g, 20);
}

/* Per-event rejections do not close the connection. */
static void _tcp_wrong_types(struct ax *a, struct good *g)
{
	struct axb w = { .n = 0 };
	axb_arr16(&w, 5);
	axb_event(&w, "wt-ok", "view", "ent-1", T0_MS);
	axb_map(&w, 4); /* user_id of the wrong kind */
	axb_str(&w, "user_id");
	axb_u8(&w, 0x91);
	axb_u8(&w, 0x01);
	axb_str(&w, "event_type");
	axb_str(&w, "view");
	axb_str(&w, "entity_id");
	axb_str(&w, "e");
	axb_str(&w, "timestamp");
	axb_i64(&w, T0_MS);
	axb_event(&w, "wt-1", "teleport", "ent-1", T0_MS); /* bad type */
	axb_map(&w, 4);					   /* NaN time */
	axb_str(&w, "user_id");
	axb_str(&w, "wt-2");
	axb_str(&w, "event_type");
	axb_str(&w, "view");
	axb_str(&w, "entity_id");
	axb_str(&w, "e");
	axb_str(&w, "timestamp");
	static const char nan[] = "\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00";
	axb_raw(&w, nan, 9);
	axb_map(&w, 2); /* no user */
	axb_str(&w, "event_type");
	axb_str(&w, "view");
	axb_str(&w, "entity_id");
	axb_str(&w, "e");
	int fd = _conn(a);
	CHECK(ax_write_all(fd, w.b, w.n));
	_good(g, 10);
	CHECK(ax_wait_ctr(a, REG_C_REJECT0 + EVT_R_MISSING_USER, 1, 5000));
	close(fd); /* a clean close between objects: closed_peer */
	/* Half an object, then the client goes away: closed_partial. */
	struct axb h = { .n = 0 };
	axb_event(&h, "half", "view", "ent-1", T0_MS);
	fd = _conn(a);
	CHECK(ax_write_all(fd, h.b, h.n / 2));
	hx_sleep_ms(50);
	close(fd);
}

/* Slowloris (one object, a byte at a time) and a silent connection. */
static void _slow(struct ax *a, struct good *g)
{
	int slow = _conn(a), silent = _conn(a);
	static const char head[] = "\x81\xa7user_id\xda\x0b\xb8"; /* str 3000 */
	CHECK(ax_write_all(slow, head, sizeof(head) - 1));
	bool slow_open = true;
	for (unsigned t = 0; t < 20 && slow_open; t++) {
		hx_sleep_ms(250);
		slow_open = ax_write_all(slow, "y", 1);
		_good(g, 5);
	}
	CHECK(_closed_by_peer(slow, 3000));
	CHECK(_closed_by_peer(silent, 3000));
	close(slow);
	close(silent);
}

/* A client that sends only what is refused (a nil every 250 ms, each a
 * whole object counted not_map) is idle: closed after idle_timeout_s
 * (2 s) like a silent one, or a few such could hold every connection. */
static bool _open_yet(int fd)
{
	char b[8];
	ssize_t r = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* The same with an object always on its way: "[" then "nil][" a read,
 * each completing an array of a nil (refused) and starting the next.
 * Returns the nils written on both; *may_lose of them may have reached
 * the acceptor after it closed the connection (the last one of each:
 * written while still open, it races the close when the ticks run late
 * on a loaded machine), so are not counted. */
static unsigned _refused_only(struct ax *a, struct good *g, unsigned *may_lose)
{
	int fd = _conn(a), split = _conn(a);
	bool open = true, open_split = ax_write_all(split, "\x91", 1);
	unsigned t, t_fd = 0, t_split = 0, n_fd = 0, n_split = 0;
	for (t = 1; t <= 24 && (open || open_split); t++) {
		hx_sleep_ms(250);
		if (open &&
		    !(open = _open_yet(fd) && ax_write_all(fd, "\xc0", 1)))
			t_fd = t;
		else if (open)
			n_fd++;
		if (open_split &&
		    !(open_split = _open_yet(split) &&
			    ax_write_all(split, "\xc0\x91", 2)))
			t_split = t;
		else if (open_split)
			n_split++;
		_good(g, 2);
	}
	CHECK(!open && !open_split);
	CHECK(t_fd >= 8 && t_split >= 8); /* not before the timeout */
	*may_lose = (n_fd > 0) + (n_split > 0);
	close(fd);
	close(split);
	return n_fd + n_split;
}

static void _too_many(struct ax *a, struct good *g)
{
	/* max_connections is 8 and the good connection holds one. */
	int fds[10];
	for (unsigned i = 0; i < 10; i++)
		fds[i] = _conn(a);
	CHECK(ax_wait_ctr(a, REG_C_TCP_CLOSED_TOO_MANY, 3, 5000));
	CHECK_EQ_INT(ax_get(a, REG_C_ACC_CONNS), 8);
	_good(g, 10);
	for (unsigned i = 0; i < 10; i++)
		close(fds[i]);
	CHECK(ax_wait_ctr(a, REG_C_TCP_CLOSED_PEER, 8, 5000));
}

static void _udp_structural(struct ax *a)
{
	int u = ax_udp_socket(a->port);
	static const char bad[] = "\xc1\x01\x02";
	CHECK(send(u, bad, 3, 0) == 3);
	char nest[64];
	memset(nest, 0x91, 60);
	nest[60] = (char)0xc0;
	CHECK(send(u, nest, 61, 0) == 61);
	static const char harr[] = "\xdd\x40\x00\x00\x00\x80";
	CHECK(send(u, harr, 6, 0) == 6);
	struct axb h = { .n = 0 };
	axb_event(&h, "half", "view", "ent-1", T0_MS);
	CHECK(send(u, h.b, h.n / 2, 0) == (ssize_t)(h.n / 2));
	static char big[30000];
	memset(big, 0xc0, sizeof(big));
	CHECK(send(u, big, sizeof(big), 0) == (ssize_t)sizeof(big));
	/* Two good events, then a byte that is not msgpack: the datagram
	 * is refused whole (all or nothing), the good ones too. */
	struct axb m = { .n = 0 };
	axb_event(&m, "udp-mixed", "click", "ent-1", T0_MS);
	axb_event(&m, "udp-mixed", "click", "ent-1", T0_MS + 1);
	m.b[m.n++] = (char)0xc1;
	CHECK(send(u, m.b, m.n, 0) == (ssize_t)m.n);
	/* An event of an unknown type, then a byte that is not msgpack:
	 * refused whole, it counts as malformed once and its event's
	 * bad_type not at all (a resend would count it again). */
	struct axb t = { .n = 0 };
	axb_event(&t, "udp-typo", "zzz", "ent-1", T0_MS);
	t.b[t.n++] = (char)0xc1;
	CHECK(send(u, t.b, t.n, 0) == (ssize_t)t.n);
	/* The same event beside a good one, well formed: taken apart, the
	 * good one queued and the other counted bad_type. */
	struct axb ta = { .n = 0 };
	axb_event(&ta, "udp-typo", "zzz", "ent-1", T0_MS);
	axb_event(&ta, "udp-apart", "click", "ent-1", T0_MS);
	CHECK(send(u, ta.b, ta.n, 0) == (ssize_t)ta.n);
	/* A good datagram after all that. */
	struct axb w = { .n = 0 };
	axb_event(&w, "udp-good", "rsvp", "ent-1", T0_MS);
	CHECK(send(u, w.b, w.n, 0) == (ssize_t)w.n);
	close(u);
	CHECK(ax_wait_ctr(a, REG_C_UDP_DATAGRAMS, 9, 5000));
}

/* xorshift: fixed seed, reproducible. */
static uint64_t _rng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void _random(struct ax *a, struct good *g)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int u = ax_udp_socket(a->port);
	char buf[1500];
	for (unsigned i = 0; i < 500; i++) {
		size_t n = 1 + _rng(&seed) % sizeof(buf);
		for (size_t k = 0; k < n; k++)
			buf[k] = (char)_rng(&seed);
		(void)!send(u, buf, n, 0);
		if (i % 50 == 0)
			hx_sleep_ms(2);
	}
	close(u);
	for (unsigned c = 0; c < 6; c++) {
		int fd = _conn(a);
		for (unsigned i = 0; i < 8; i++) {
			size_t n = 1 + _rng(&seed) % sizeof(buf);
			for (size_t k = 0; k < n; k++)
				buf[k] = (char)_rng(&seed);
			if (!ax_write_all(fd, buf, n))
				break;
		}
		close(fd);
		_good(g, 5);
	}
}

int main(int argc, char **argv)
{
	struct ax a;
	const char *extra[] = { "--shards=2", "--idle-timeout-s=2",
		"--max-connections=8", "--max-object-bytes=4096",
		"--max-conn-buffer=16384", "--log-level=debug", NULL };
	ax_start(&a, "acchostile", argc, argv, 2, extra);
	const struct reg_proc *acc = reg_proc(a.r, reg_proc_acceptor(a.r));
	struct good g = { .fd = _conn(&a) };

	_good(&g, 10);
	_tcp_structural(&a, &g);
	_tcp_wrong_types(&a, &g);
	_udp_structural(&a);
	_slow(&a, &g);
	uint64_t not_map = ax_get(&a, REG_C_REJECT0 + EVT_R_NOT_MAP);
	unsigned may_lose, nils = _refused_only(&a, &g, &may_lose);
	/* Waiting longer than idle_timeout_s here would close the good
	 * connection, which sends nothing meanwhile. */
	CHECK(ax_wait_ctr(&a, REG_C_REJECT0 + EVT_R_NOT_MAP,
	    not_map + nils - may_lose, 1500));
	CHECK(ax_get(&a, REG_C_REJECT0 + EVT_R_NOT_MAP) <= not_map + nils);
	_too_many(&a, &g);
	CHECK(ax_wait_ctr(&a, REG_C_TCP_CLOSED_PARTIAL, 1, 5000));

	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_CLOSED_PROTOCOL), 2);
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_CLOSED_TOO_BIG), 3);
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_CLOSED_PARTIAL), 1);
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_CLOSED_IDLE), 4);
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_CLOSED_TOO_MANY), 3);
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_CLOSED_PEER), 8);
	CHECK_EQ_INT(ax_get(&a, REG_C_UDP_TRUNCATED), 1);
	CHECK_EQ_INT(ax_get(&a, REG_C_REJECT0 + EVT_R_BAD_FIELD_TYPE), 1);
	CHECK_EQ_INT(ax_get(&a, REG_C_REJECT0 + EVT_R_BAD_TYPE), 2);
	CHECK_EQ_INT(ax_get(&a, REG_C_REJECT0 + EVT_R_BAD_NUMBER), 1);
	CHECK_EQ_INT(ax_get(&a, REG_C_REJECT0 + EVT_R_MISSING_USER), 1);
	/* TCP: random, nesting, huge str, huge array, big object; UDP:
	 * random, nesting, huge array, half map, truncated datagram, the
	 * good events and the typo with a bad byte after them. */
	CHECK_EQ_INT(ax_get(&a, REG_C_REJECT0 + EVT_R_MALFORMED) +
		ax_get(&a, REG_C_REJECT0 + EVT_R_TOO_BIG) +
		ax_get(&a, REG_C_REJECT0 + EVT_R_TOO_DEEP),
	    12);
	CHECK(ax_get(&a, REG_C_REJECT0 + EVT_R_TOO_DEEP) >= 2);

	_random(&a, &g);
	_good(&g, 10);
	close(g.fd);
	CHECK(ax_wait_ctr(&a, REG_C_TCP_CLOSED_PEER, 9, 5000));
	/* good events + wt-ok + udp-apart + udp-good */
	CHECK(ax_wait_ctr(&a, REG_C_ACC_EVENTS, g.sent + 3, 10000));
	CHECK(hx_wait_drained(a.r, 10000));
	CHECK_EQ_INT(acc->starts, 1);
	CHECK(acc->pid != 0);
	struct pen_profile pp;
	char id[32];
	for (unsigned u = 0; u < GOOD_USERS; u++) {
		snprintf(id, sizeof(id), "good-%u", u);
		CHECK_EQ_INT(pen_profile_read(a.p, id, strlen(id), &pp, 0), 0);
		CHECK_EQ_INT(pp.events, g.per_user[u]);
	}
	CHECK_EQ_INT(pen_profile_read(a.p, "wt-ok", 5, &pp, 0), 0);
	CHECK_EQ_INT(pen_profile_read(a.p, "udp-good", 8, &pp, 0), 0);
	CHECK_EQ_INT(pen_profile_read(a.p, "udp-apart", 9, &pp, 0), 0);
	CHECK_EQ_INT(pen_profile_read(a.p, "udp-typo", 8, &pp, 0), -ENOENT);
	CHECK_EQ_INT(pen_profile_read(a.p, "udp-mixed", 9, &pp, 0), -ENOENT);
	CHECK_EQ_INT(pen_profile_read(a.p, "half", 4, &pp, 0), -ENOENT);

	char out[16384];
	CHECK_EQ_INT(hx_cli(&a.h, NULL, 0, out, sizeof(out), NULL, 0, "status",
			 NULL),
	    0);
	CHECK(strstr(out, "acceptor: up") && strstr(out, "closed: peer"));
	if (check_failures)
		fputs(out, stderr);

	/* Bad listen settings name the setting and the entry. */
	char err[4096];
	const char *bad[] = { a.h.penchantd,
		"--udp-listen=127.0.0.1:7878,1.2.3:99", NULL };
	CHECK_EQ_INT(hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), bad),
	    2);
	CHECK(strstr(err, "udp_listen") && strstr(err, "'1.2.3:99'"));

	/* Rejected inputs were sampled into the log, not one line each. */
	FILE *lf = fopen(a.h.log, "r");
	unsigned samples = 0;
	char line[1024];
	while (lf && fgets(line, sizeof(line), lf))
		samples += strstr(line, "sample of a rejected input") != NULL;
	if (lf)
		fclose(lf);
	CHECK(samples >= 1);
	CHECK(samples < 20);
	ax_finish(&a);
	return check_done("it_acceptor_hostile");
}
