/*
 * Interoperability with real third-party clients: Debian's
 * python3-fluent-logger (Message mode, integer and EventTime times) and a
 * python3-msgpack client using chunk acks in every mode, against a tiny
 * TCP listener that decodes with fwd_stream and answers with
 * fwd_ack_encode's bytes; the client checks each ack unpacks to exactly
 * {"ack": chunk}. Skips (77) without /usr/bin/python3 or its modules.
 * Usage: test_ipc_forward_interop forward_client.py
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "forward_util.h"

#define MAX_CONN 8

struct conn {
	int fd;
	struct fwd_stream s;
};

struct seen {
	int fl_int, fl_ns, ack_message, ack_forward, ack_packed, ack_gzip;
	int bad_time, rejected, acks;
	int fd; /* connection whose message is being decoded */
};

static int _on_event(void *ctx, const struct fwd_event *e)
{
	struct seen *v = ctx;
	const struct evt_record *r = e->ev.rec;

	if (e->ev.fatal || !r) {
		fprintf(stderr, "rejected: %s\n", e->ev.msg);
		v->rejected++;
		return 0;
	}
#define U(name) (r->user_key == evt_user_key(NULL, name, strlen(name)))
	if (U("fl-int")) {
		v->fl_int++;
		if (r->time_ms % 1000 != 0 || r->time_ms < 1700000000000LL ||
		    r->time_ms > 1700000004000LL)
			v->bad_time++;
		if (e->tag_len != 7 || memcmp(e->tag, "app.int", 7))
			v->bad_time++;
	} else if (U("fl-ns")) {
		v->fl_ns++;
		if (r->time_ms % 1000 != 250)
			v->bad_time++;
	} else if (U("ack-message")) {
		v->ack_message++;
	} else if (U("ack-forward")) {
		v->ack_forward++;
	} else if (U("ack-packed")) {
		v->ack_packed++;
	} else if (U("ack-gzip")) {
		v->ack_gzip++;
	} else {
		v->rejected++;
	}
#undef U
	return 0;
}

static void _on_ack(void *ctx, const char *chunk, size_t len)
{
	struct seen *v = ctx;
	char buf[FWD_ACK_MAX];
	size_t n = fwd_ack_encode(buf, sizeof(buf), chunk, len);

	if (n == 0 || write(v->fd, buf, n) != (ssize_t)n)
		v->rejected++;
	v->acks++;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	struct conn c[MAX_CONN];
	struct seen v = { 0 };
	int lfd, status = 0, nconn = 0, total_conns = 0;
	char port[16];
	pid_t pid;
	bool exited = false;

	if (argc < 2)
		SKIP("usage: %s forward_client.py", argv[0]);
	if (access("/usr/bin/python3", X_OK) != 0)
		SKIP("no /usr/bin/python3");
	signal(SIGPIPE, SIG_IGN);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(lfd >= 0);
	REQUIRE(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0);
	REQUIRE(listen(lfd, 16) == 0);
	REQUIRE(getsockname(lfd, (struct sockaddr *)&a, &al) == 0);
	snprintf(port, sizeof(port), "%u", ntohs(a.sin_port));
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		execl("/usr/bin/python3", "python3", argv[1], "interop", port,
		    (char *)NULL);
		_exit(127);
	}
	/* Serve until the client exited and its connections closed. */
	for (int spins = 0; spins < 3000 && (!exited || nconn > 0); spins++) {
		struct pollfd p[MAX_CONN + 1];

		p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < nconn; i++)
			p[i + 1] =
			    (struct pollfd){ .fd = c[i].fd, .events = POLLIN };
		if (poll(p, (nfds_t)nconn + 1, 10) < 0)
			break;
		if (!exited && waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
		if ((p[0].revents & POLLIN) && nconn < MAX_CONN) {
			int fd = accept(lfd, NULL, NULL);

			if (fd >= 0) {
				c[nconn].fd = fd;
				REQUIRE(
				    fwd_stream_init(&c[nconn].s, NULL) == 0);
				nconn++;
				total_conns++;
			}
		}
		for (int i = 0; i < nconn; i++) {
			char buf[1024];
			ssize_t n;
			int rc;

			if (!(p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(c[i].fd, buf, sizeof(buf));
			v.fd = c[i].fd;
			if (n > 0) {
				rc = fwd_stream_feed(&c[i].s, buf, (size_t)n,
				    _on_event, _on_ack, &v, NULL);
				CHECK_EQ_INT(rc, 0);
				if (rc == 0)
					continue;
			}
			CHECK_EQ_INT(fwd_stream_buffered(&c[i].s), 0);
			fwd_stream_fini(&c[i].s);
			close(c[i].fd);
			c[i] = c[--nconn];
			i--;
		}
	}
	if (!exited) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	close(lfd);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		SKIP("python3-msgpack or python3-fluent-logger missing");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ_INT(v.fl_int, 5);
	CHECK_EQ_INT(v.fl_ns, 5);
	CHECK_EQ_INT(v.ack_message, 1);
	CHECK_EQ_INT(v.ack_forward, 3);
	CHECK_EQ_INT(v.ack_packed, 3);
	CHECK_EQ_INT(v.ack_gzip, 3);
	CHECK_EQ_INT(v.acks, 4);
	CHECK_EQ_INT(v.bad_time, 0);
	CHECK_EQ_INT(v.rejected, 0);
	CHECK(total_conns >= 3);
	return check_done("ipc_forward_interop");
}
