/*
 * it_acceptor_ipv6: the acceptor listens on IPv6 loopback for UDP and TCP
 * (skips with 77 where the host has no ::1); events sent by python3-msgpack
 * over both arrive with exact counts and weights.
 */
#include "it_acceptor_util.h"

static const char script[] =
    "import msgpack, socket, sys\n"
    "port = int(sys.argv[1])\n"
    "u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
    "for k in range(3):\n"
    "    u.sendto(msgpack.packb({'user_id': 'v6-udp', 'event_type': 'click',\n"
    "        'entity_id': 'e6', 'timestamp': 1767258000000 + k * 3600000}),\n"
    "        ('::1', port))\n"
    "t = socket.create_connection(('::1', port))\n"
    "t.sendall(b''.join(msgpack.packb({'userId': 'v6-tcp', 'eventType': 'rsvp',\n"
    "    'entityId': 'e6', 'timestamp': 1767258000000 + k * 3600000})\n"
    "    for k in range(2)))\n"
    "t.close()\n";

static bool _has_ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
		.sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	if (!_has_ipv6_loopback())
		SKIP("no IPv6 loopback on this host");
	const char *py[] = { "/usr/bin/python3", "-c", "import msgpack", NULL };
	if (access("/usr/bin/python3", X_OK) ||
	    hx_runv(NULL, 0, NULL, 0, NULL, 0, py) != 0)
		SKIP("/usr/bin/python3 with python3-msgpack is not installed");
	struct ax a;
	static char udp[64], tcp[64];
	unsigned port = ax_port(9);
	snprintf(udp, sizeof(udp), "--udp-listen=[::1]:%u", port);
	snprintf(tcp, sizeof(tcp), "--tcp-listen=[::1]:%u", port);
	const char *extra[] = { udp, tcp, NULL };
	ax_start(&a, "accv6", argc, argv, 9, extra);
	const char *cat =
	    "{\"id\":\"e6\",\"category\":\"net\",\"tags\":[\"v6\"]}\n";
	CHECK_EQ_INT(hx_cli(&a.h, cat, strlen(cat), NULL, 0, NULL, 0, "catalog",
			 "load", "-", NULL),
	    0);
	char path[256], ports[16], err[2048];
	snprintf(path, sizeof(path), "%s/send6.py", a.h.state_dir);
	FILE *f = fopen(path, "w");
	REQUIRE(f);
	fputs(script, f);
	fclose(f);
	snprintf(ports, sizeof(ports), "%u", port);
	const char *send[] = { "/usr/bin/python3", path, ports, NULL };
	int rc = hx_runv(NULL, 0, NULL, 0, err, sizeof(err), send);
	if (rc)
		fprintf(stderr, "sender: %s\n", err);
	CHECK_EQ_INT(rc, 0);
	unlink(path);
	CHECK(ax_wait_ctr(&a, REG_C_ACC_EVENTS, 5, 10000));
	CHECK(hx_wait_drained(a.r, 10000));
	struct pen_profile pp;
	REQUIRE(pen_profile_read(a.p, "v6-udp", 6, &pp, 0) == 0);
	CHECK_EQ_INT(pp.counts[PEN_N_CLICK], 3);
	/* clicks at t, t+1h, t+2h: 0.03 * (1 + 0.95^(1/24) + 0.95^(2/24)) */
	CHECK_NEAR(pp.tags[0].weight,
	    0.03 * (1 + pow(0.95, 1.0 / 24) + pow(0.95, 2.0 / 24)), 1e-6);
	REQUIRE(pen_profile_read(a.p, "v6-tcp", 6, &pp, 0) == 0);
	CHECK_EQ_INT(pp.counts[PEN_N_RSVP], 2);
	CHECK_NEAR(pp.tags[0].weight, 0.1 * (1 + pow(0.95, 1.0 / 24)), 1e-6);
	ax_finish(&a);
	return check_done("it_acceptor_ipv6");
}
