/*
 * harness: start and stop a real penchantd for integration tests, run the
 * real penchant CLI, and build a deterministic workload with an
 * independently computed reference.
 *
 * Each test gets its own instance name and state directory; everything it
 * started is stopped by pid, never by name.
 */
#ifndef PENCHANT_TESTS_HARNESS_H
#define PENCHANT_TESTS_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ipc/client.h"
#include "shm/ring.h"
#include "penchant.h"
#include "shm/profiles.h"

struct hx {
	char instance[64];
	char state_dir[128];
	char log[160];
	const char *penchantd, *penchant;
	pid_t pid;
};

static inline void hx_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static inline void hx_init(struct hx *h, const char *name, int argc,
    char **argv)
{
	REQUIRE(argc >= 3);
	memset(h, 0, sizeof(*h));
	h->penchantd = argv[1];
	h->penchant = argv[2];
	snprintf(h->instance, sizeof(h->instance), "it-%s-%d", name,
	    (int)getpid());
	snprintf(h->state_dir, sizeof(h->state_dir), "/tmp/penchant-%s",
	    h->instance);
	snprintf(h->log, sizeof(h->log), "%s/penchantd.log", h->state_dir);
	mkdir(h->state_dir, 0700);
}

/*
 * Starts penchantd with the test's instance plus extra flags (NULL-ended).
 * The rank API server is off (its default ports are fixed) unless extra
 * gives --http-listen or --rank-listen: later flags win.
 */
static inline void hx_start(struct hx *h, const char *const *extra)
{
	char inst[96], sd[160];
	snprintf(inst, sizeof(inst), "--instance=%s", h->instance);
	snprintf(sd, sizeof(sd), "--state-dir=%s", h->state_dir);
	const char *argv[32] = { h->penchantd, inst, sd, "--log-level=info",
		"--http-listen=", "--rank-listen=" };
	int n = 6;
	for (; extra && *extra && n < 30; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		/* A test killed by its timeout must not leave a daemon behind. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	h->pid = pid;
	/* Ready: the region is RUNNING and every worker has recovered. */
	for (int i = 0; i < 500; i++) {
		pen_t *p;
		if (pen_open(h->instance, &p, NULL, 0) == 0) {
			const struct reg *r = client_region(p);
			bool ready = r->hdr->state == REG_RUNNING &&
			    r->hdr->supervisor_pid == pid;
			for (unsigned s = 0; ready && s < r->hdr->geo.shards;
			     s++)
				ready = ck_pr_load_uint(
				    &reg_proc(r, reg_proc_worker(r, s))->ready);
			pen_close(&p);
			if (ready)
				return;
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr,
			    "penchantd exited early (status %d); log %s\n", st,
			    h->log);
			exit(1);
		}
		hx_sleep_ms(20);
	}
	fprintf(stderr, "penchantd did not become ready; log %s\n", h->log);
	kill(pid, SIGKILL);
	exit(1);
}

/* SIGTERM and wait; returns the exit status (bounded: SIGKILL after 60 s). */
static inline int hx_stop(struct hx *h)
{
	int st = -1;
	if (h->pid <= 0)
		return 0;
	kill(h->pid, SIGTERM);
	for (int i = 0; i < 6000; i++) {
		if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
			h->pid = 0;
			return st;
		}
		hx_sleep_ms(10);
	}
	kill(h->pid, SIGKILL);
	waitpid(h->pid, &st, 0);
	h->pid = 0;
	return -1;
}

/*
 * A loopback port that is free for both TCP and UDP right now, chosen by
 * the kernel (ephemeral bind), so tests neither collide with each other nor
 * with a port some unrelated socket happens to hold. Another process could
 * take it before the daemon binds it: callers verify what got bound.
 */
static inline unsigned hx_free_port(void)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(sa);
		int t = socket(AF_INET, SOCK_STREAM, 0);
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		unsigned port = 0;
		if (t >= 0 && u >= 0 &&
		    bind(t, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    getsockname(t, (struct sockaddr *)&sa, &len) == 0 &&
		    bind(u, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			port = ntohs(sa.sin_port);
		if (t >= 0)
			close(t);
		if (u >= 0)
			close(u);
		if (port)
			return port;
	}
	REQUIRE(!"no free loopback port");
	return 0;
}

/* Removes what the test left: region, lock, snapshot, audit log, state dir. */
static inline void hx_cleanup(struct hx *h)
{
	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		h->pid = 0;
	}
	char path[256];
	reg_unlink(h->instance);
	snprintf(path, sizeof(path), "/dev/shm/penchant-run-%u/%s.lock",
	    (unsigned)geteuid(), h->instance);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s.snap", h->state_dir, h->instance);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s.key", h->state_dir, h->instance);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s.audit", h->state_dir, h->instance);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s.nbr", h->state_dir, h->instance);
	unlink(path);
	if (check_failures == 0)
		unlink(h->log);
	rmdir(h->state_dir);
}

/*
 * Runs `prog` with args (NULL-ended), stdin from `input` (may be NULL),
 * stdout/stderr captured into out/err (may be NULL). Returns the exit code,
 * or -1 when it did not exit normally.
 */
static inline int hx_runv(const char *input, size_t input_len, char *out,
    size_t outlen, char *err, size_t errlen, const char *const *argv)
{
	char fin[64], fout[64], ferr[64];
	snprintf(fin, sizeof(fin), "/tmp/hx-in-%d", (int)getpid());
	snprintf(fout, sizeof(fout), "/tmp/hx-out-%d", (int)getpid());
	snprintf(ferr, sizeof(ferr), "/tmp/hx-err-%d", (int)getpid());
	FILE *f = fopen(fin, "w");
	REQUIRE(f);
	if (input)
		fwrite(input, 1, input_len, f);
	fclose(f);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		int i = open(fin, O_RDONLY),
		    o = open(fout, O_WRONLY | O_CREAT | O_TRUNC, 0600),
		    e = open(ferr, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(i, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	const char *files[2] = { fout, ferr };
	char *bufs[2] = { out, err };
	size_t lens[2] = { outlen, errlen };
	for (int k = 0; k < 2; k++) {
		if (!bufs[k])
			continue;
		f = fopen(files[k], "r");
		size_t got = f ? fread(bufs[k], 1, lens[k] - 1, f) : 0;
		bufs[k][got] = 0;
		if (f)
			fclose(f);
	}
	unlink(fin);
	unlink(fout);
	unlink(ferr);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The penchant CLI on the test's instance; args NULL-ended. */
static inline int hx_cli(struct hx *h, const char *input, size_t input_len,
    char *out, size_t outlen, char *err, size_t errlen, ...)
{
	char inst[96];
	snprintf(inst, sizeof(inst), "--instance=%s", h->instance);
	const char *argv[32] = { h->penchant, inst };
	int n = 2;
	va_list ap;
	va_start(ap, errlen);
	const char *a;
	while ((a = va_arg(ap, const char *)) && n < 30)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return hx_runv(input, input_len, out, outlen, err, errlen, argv);
}

/* Waits until every ring of the instance is empty and applied (bounded). */
static inline bool hx_wait_drained(const struct reg *r, unsigned timeout_ms)
{
	for (unsigned t = 0; t < timeout_ms; t += 10) {
		bool done = true;
		for (unsigned p = 0; done && p < r->hdr->geo.producer_slots;
		     p++)
			for (unsigned s = 0; done && s < r->hdr->geo.shards;
			     s++) {
				struct ring_block *b = reg_ring(r, p, s);
				done = ring_backlog(b) == 0 &&
				    ck_pr_load_64(&b->applied_seq) ==
					ck_pr_load_64(&b->next_seq);
			}
		if (done)
			return true;
		hx_sleep_ms(10);
	}
	return false;
}

#endif
