/*
 * it_acceptor_allow: allow_from on every listener, over loopback only.
 * With allow_from naming no loopback network, a TCP and a forward
 * connection from 127.0.0.1 are closed at accept and a UDP datagram is
 * dropped, each counted under its own reason (tcp_refused, fwd_refused,
 * udp_refused), and nothing is applied. With 127.0.0.0/8 allowed the same
 * sends are applied and nothing is refused.
 */
#include "it_acceptor_util.h"

#define T0_MS 1767258000000LL

/* Whether the server closed fd within timeout_ms (EOF or reset). */
static bool _closed(int fd, unsigned timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char b[16];
	ssize_t r = recv(fd, b, sizeof(b), 0);
	return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int _events(struct ax *a, const char *user)
{
	struct pen_profile pp;
	int rc = pen_profile_read(a->p, user, strlen(user), &pp, 0);
	return rc == -ENOENT ? 0 : rc < 0 ? -1 : (int)pp.events;
}

/* One event over TCP, one datagram, one forward connection. */
static void _send_all(struct ax *a, unsigned fport, const char *tag,
    bool expect_closed)
{
	char user[32];
	struct axb w = { .n = 0 };
	snprintf(user, sizeof(user), "%s-tcp", tag);
	axb_event(&w, user, "click", "e1", T0_MS);
	int fd = ax_tcp_connect(a->port);
	REQUIRE(fd >= 0);
	ax_write_all(fd, w.b, w.n); /* may fail: closed at accept */
	if (expect_closed)
		CHECK(_closed(fd, 3000));
	close(fd);

	w.n = 0;
	snprintf(user, sizeof(user), "%s-udp", tag);
	axb_event(&w, user, "click", "e1", T0_MS);
	int u = ax_udp_socket(a->port);
	CHECK(send(u, w.b, w.n, 0) == (ssize_t)w.n);
	close(u);

	fd = ax_tcp_connect(fport);
	REQUIRE(fd >= 0);
	if (expect_closed)
		CHECK(_closed(fd, 3000));
	close(fd);
}

static void _refused(int argc, char **argv)
{
	struct ax a;
	char fwd[64];
	unsigned fport = hx_free_port();
	snprintf(fwd, sizeof(fwd), "--forward-listen=127.0.0.1:%u", fport);
	const char *extra[] = { fwd, "--allow-from=10.0.0.0/8, 2001:db8::/32",
		NULL };
	ax_start(&a, "accallow", argc, argv, 0, extra);
	_send_all(&a, fport, "no", true);
	CHECK(ax_wait_ctr(&a, REG_C_UDP_REFUSED, 1, 5000));
	CHECK(ax_wait_ctr(&a, REG_C_FWD_REFUSED, 1, 5000));
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_REFUSED), 1);
	CHECK_EQ_INT(ax_get(&a, REG_C_UDP_REFUSED), 1);
	CHECK_EQ_INT(ax_get(&a, REG_C_FWD_REFUSED), 1);
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_ACCEPTED), 0);
	CHECK_EQ_INT(ax_get(&a, REG_C_FWD_ACCEPTED), 0);
	CHECK_EQ_INT(ax_get(&a, REG_C_ACC_EVENTS), 0);
	CHECK(hx_wait_drained(a.r, 5000));
	CHECK_EQ_INT(_events(&a, "no-tcp"), 0);
	CHECK_EQ_INT(_events(&a, "no-udp"), 0);
	ax_finish(&a);
}

static void _allowed(int argc, char **argv)
{
	struct ax a;
	char fwd[64];
	unsigned fport = hx_free_port();
	snprintf(fwd, sizeof(fwd), "--forward-listen=127.0.0.1:%u", fport);
	const char *extra[] = { fwd, "--allow-from=::1,127.0.0.0/8", NULL };
	ax_start(&a, "accallow2", argc, argv, 0, extra);
	_send_all(&a, fport, "yes", false);
	CHECK(ax_wait_ctr(&a, REG_C_ACC_EVENTS, 2, 5000));
	CHECK(hx_wait_drained(a.r, 5000));
	CHECK_EQ_INT(_events(&a, "yes-tcp"), 1);
	CHECK_EQ_INT(_events(&a, "yes-udp"), 1);
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_REFUSED) +
		ax_get(&a, REG_C_UDP_REFUSED) + ax_get(&a, REG_C_FWD_REFUSED),
	    0);
	ax_finish(&a);
}

int main(int argc, char **argv)
{
	_refused(argc, argv);
	_allowed(argc, argv);
	return check_done("it_acceptor_allow");
}
