/*
 * it_acceptor_util: helpers shared by the acceptor integration tests: a
 * loopback port derived from the test's pid (so concurrent runs do not
 * collide), starting penchantd with the acceptor on that port, waiting for
 * the acceptor, reading its counters, and a tiny msgpack writer for
 * hand-made (hostile) bytes.
 */
#ifndef PENCHANT_TESTS_IT_ACCEPTOR_UTIL_H
#define PENCHANT_TESTS_IT_ACCEPTOR_UTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "harness.h"

struct ax {
	struct hx h;
	unsigned port;
	pen_t *p;
	const struct reg *r;
};

/* A free loopback port (TCP and UDP); salt is kept for call sites. */
static inline unsigned ax_port(unsigned salt)
{
	(void)salt;
	return hx_free_port();
}

static inline const uint64_t *ax_ctr(const struct ax *a)
{
	return reg_proc(a->r, reg_proc_acceptor(a->r))->counters;
}

static inline uint64_t ax_get(const struct ax *a, unsigned k)
{
	return ((volatile const uint64_t *)ax_ctr(a))[k];
}

/* Waits until the acceptor process is up and serving (bounded). */
static inline bool ax_wait_ready(struct ax *a, unsigned timeout_ms)
{
	const struct reg_proc *p = reg_proc(a->r, reg_proc_acceptor(a->r));
	for (unsigned t = 0; t < timeout_ms; t += 10) {
		if (ck_pr_load_int((int *)&p->pid) &&
		    ck_pr_load_uint((unsigned *)&p->ready))
			return true;
		hx_sleep_ms(10);
	}
	return false;
}

/* Waits until counter k reaches at least v (bounded). */
static inline bool ax_wait_ctr(struct ax *a, unsigned k, uint64_t v,
    unsigned timeout_ms)
{
	for (unsigned t = 0; t < timeout_ms; t += 10) {
		if (ax_get(a, k) >= v)
			return true;
		hx_sleep_ms(10);
	}
	return false;
}

/* Starts penchantd for test `name` listening on 127.0.0.1:port (UDP and
 * TCP) with extra flags (NULL-ended), attaches, waits for the acceptor. */
static inline void ax_start(struct ax *a, const char *name, int argc,
    char **argv, unsigned salt, const char *const *extra)
{
	static char udp[64], tcp[64];
	memset(a, 0, sizeof(*a));
	hx_init(&a->h, name, argc, argv);
	a->port = ax_port(salt);
	snprintf(udp, sizeof(udp), "--udp-listen=127.0.0.1:%u", a->port);
	snprintf(tcp, sizeof(tcp), "--tcp-listen=127.0.0.1:%u", a->port);
	const char *flags[24] = { udp, tcp,
		"--forward-listen=", "--no-snapshot" };
	unsigned n = 4;
	for (; extra && *extra && n < 23; extra++)
		flags[n++] = *extra;
	flags[n] = NULL;
	hx_start(&a->h, flags);
	REQUIRE(pen_open(a->h.instance, &a->p, NULL, 0) == 0);
	a->r = client_region(a->p);
	if (!ax_wait_ready(a, 10000)) {
		fprintf(stderr, "acceptor not ready; log %s\n", a->h.log);
		hx_cleanup(&a->h);
		exit(1);
	}
}

static inline void ax_finish(struct ax *a)
{
	pen_close(&a->p);
	int st = hx_stop(&a->h);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hx_cleanup(&a->h);
}

static inline int ax_tcp_connect(unsigned port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int ax_udp_socket(unsigned port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REQUIRE(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

/* Writes all of buf; false on error (EPIPE, ECONNRESET...). */
static inline bool ax_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* A minimal msgpack writer for hand-made bytes. */
struct axb {
	char b[1 << 16];
	size_t n;
};
static inline void axb_raw(struct axb *w, const void *p, size_t n)
{
	REQUIRE(w->n + n <= sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}
static inline void axb_u8(struct axb *w, unsigned v)
{
	uint8_t c = (uint8_t)v;
	axb_raw(w, &c, 1);
}
static inline void axb_str(struct axb *w, const char *s)
{
	size_t n = strlen(s);
	REQUIRE(n < 256);
	if (n < 32) {
		axb_u8(w, 0xa0 | (unsigned)n);
	} else {
		axb_u8(w, 0xd9);
		axb_u8(w, (unsigned)n);
	}
	axb_raw(w, s, n);
}
static inline void axb_map(struct axb *w, unsigned n)
{
	REQUIRE(n < 16);
	axb_u8(w, 0x80 | n);
}
static inline void axb_arr16(struct axb *w, unsigned n)
{
	axb_u8(w, 0xdc);
	axb_u8(w, n >> 8);
	axb_u8(w, n & 0xff);
}
static inline void axb_i64(struct axb *w, int64_t v)
{
	axb_u8(w, 0xd3);
	for (int i = 7; i >= 0; i--)
		axb_u8(w, (unsigned)((uint64_t)v >> (8 * i)) & 0xff);
}
/* {"user_id":u,"event_type":t,"entity_id":e,"timestamp":ms} */
static inline void axb_event(struct axb *w, const char *u, const char *t,
    const char *e, int64_t ms)
{
	axb_map(w, 4);
	axb_str(w, "user_id");
	axb_str(w, u);
	axb_str(w, "event_type");
	axb_str(w, t);
	axb_str(w, "entity_id");
	axb_str(w, e);
	axb_str(w, "timestamp");
	axb_i64(w, ms);
}

#endif
