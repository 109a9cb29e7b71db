/*
 * shmtest: helpers shared by the shm/ring/worker tests: a geometry builder,
 * unique instance names that are always unlinked (atexit and on fatal
 * signals), children that are always reaped, a deterministic PRNG and a
 * bounded wait.
 *
 * Cleanup runs only in the process that called st_init(): a forked child
 * that calls exit() (REQUIRE does) must not unlink its parent's regions.
 */
#ifndef PENCHANT_TESTS_SHM_SHMTEST_H
#define PENCHANT_TESTS_SHM_SHMTEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "shm/boot.h"
#include "shm/region.h"

#define ST_MAX_INST 16
#define ST_MAX_KIDS 64

static pid_t st_parent;
static char st_inst[ST_MAX_INST][40];
static volatile sig_atomic_t st_ninst;
static pid_t st_kids[ST_MAX_KIDS];
static pid_t st_guard;
static int st_guard_fd = -1;

/* Kills and reaps our own children, unlinks our own instances. */
static void st_cleanup(void)
{
	if (getpid() != st_parent)
		return;
	for (int i = 0; i < ST_MAX_KIDS; i++)
		if (st_kids[i] > 0) {
			kill(st_kids[i], SIGKILL);
			waitpid(st_kids[i], NULL, 0);
			st_kids[i] = 0;
		}
	for (int i = 0; i < st_ninst; i++)
		if (st_inst[i][0])
			reg_unlink(st_inst[i]);
	if (st_guard_fd >= 0) {
		close(st_guard_fd);
		st_guard_fd = -1;
	}
	if (st_guard > 0) {
		waitpid(st_guard, NULL, 0);
		st_guard = 0;
	}
}

static void st_on_signal(int sig)
{
	static const char msg[] =
	    "shmtest: fatal signal or time limit, cleaning up\n";
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing to do */
	}
	st_cleanup();
	signal(sig, SIG_DFL);
	if (sig == SIGALRM)
		_exit(1);
	raise(sig);
}

/*
 * The guard: a child that reads instance names from a pipe and unlinks them
 * when the pipe closes, so a test that crashes (no atexit) leaves no region
 * behind. Its output goes to /dev/null so it never holds the test's pipes.
 */
static void st_guard_main(int fd)
{
	int nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
	}
	char names[ST_MAX_INST * 41 + 1];
	size_t n = 0;
	ssize_t k;
	while (n < sizeof(names) - 1 &&
	    (k = read(fd, names + n, sizeof(names) - 1 - n)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		n += (size_t)k;
	}
	names[n] = 0;
	for (char *line = strtok(names, "\n"); line; line = strtok(NULL, "\n"))
		reg_unlink(line);
	_exit(0);
}

/*
 * Installs cleanup; `limit_s` bounds the whole test (SIGALRM fails it after
 * killing the children and unlinking the regions).
 */
static inline void st_init(unsigned limit_s)
{
	int fds[2];
	st_parent = getpid();
	REQUIRE(pipe(fds) == 0);
	fflush(NULL);
	st_guard = fork();
	REQUIRE(st_guard >= 0);
	if (st_guard == 0) {
		close(fds[1]);
		st_guard_main(fds[0]);
	}
	close(fds[0]);
	st_guard_fd = fds[1];
	atexit(st_cleanup);
	signal(SIGALRM, st_on_signal);
	signal(SIGTERM, st_on_signal);
	signal(SIGINT, st_on_signal);
	alarm(limit_s);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* "t-<name>-<pid>", registered for unlinking; any stale copy is removed. */
static inline const char *st_instance(const char *name)
{
	REQUIRE(st_ninst < ST_MAX_INST);
	char *buf = st_inst[st_ninst];
	snprintf(buf, sizeof(st_inst[0]), "t-%s-%d", name, (int)getpid());
	st_ninst++;
	reg_unlink(buf); /* a previous run of the same pid, if any */
	if (st_guard_fd >= 0) {
		char line[48];
		int n = snprintf(line, sizeof(line), "%s\n", buf);
		if (write(st_guard_fd, line, (size_t)n) != n)
			fprintf(stderr, "shmtest: guard pipe write failed\n");
	}
	return buf;
}

static inline void st_track(pid_t pid)
{
	for (int i = 0; i < ST_MAX_KIDS; i++)
		if (st_kids[i] == 0) {
			st_kids[i] = pid;
			return;
		}
	REQUIRE(!"too many children");
}

/* Forks a tracked child; the child runs fn(arg) and _exits with its value. */
static inline pid_t st_fork(int (*fn)(void *), void *arg)
{
	fflush(NULL);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		/* Die with the test: a crashed parent leaves no orphans. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != st_parent)
			_exit(1);
		alarm(0);
		if (st_guard_fd >= 0)
			close(st_guard_fd);
		signal(SIGALRM, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGSEGV, SIG_DFL);
		signal(SIGABRT, SIG_DFL);
		int rc = fn(arg);
		fflush(NULL);
		_exit(rc);
	}
	st_track(pid);
	return pid;
}

/* Reaps a tracked child; returns its wait status. */
static inline int st_wait(pid_t pid)
{
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < ST_MAX_KIDS; i++)
		if (st_kids[i] == pid)
			st_kids[i] = 0;
	return status;
}

/* Reaps a child and checks it exited 0. */
static inline int st_wait_ok(pid_t pid, const char *what)
{
	int st = st_wait(pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 1;
	if (WIFEXITED(st))
		fprintf(stderr, "%s (pid %d) exited %d\n", what, (int)pid,
		    WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		fprintf(stderr, "%s (pid %d) killed by signal %d\n", what,
		    (int)pid, WTERMSIG(st));
	return 0;
}

static inline uint32_t st_pow2(uint64_t v)
{
	uint64_t p = 1;
	while (p < v)
		p <<= 1;
	return (uint32_t)p;
}

/* A consistent geometry (the *_slots fields derived as reg_layout wants). */
static inline struct reg_geometry st_geo(unsigned shards, unsigned producers,
    unsigned ring_depth, unsigned profiles, unsigned catalog, unsigned names)
{
	struct reg_geometry g = {
		.shards = shards,
		.producer_slots = producers,
		.acceptor_slots = 0,
		.ring_depth = ring_depth,
		.profiles_per_shard = profiles,
		.index_slots = st_pow2(2ULL * profiles),
		.catalog_capacity = catalog,
		.catalog_slots = st_pow2(2ULL * catalog),
		.names_capacity = names,
		.names_slots = st_pow2(2ULL * names),
		.record_size = sizeof(struct evt_record),
		.profile_size = sizeof(struct prof_slot),
		.experiment_requests = 131072, /* the setting's default */
	};
	return g;
}

/*
 * Creates a region of geometry g with the default settings' parameters
 * (boot_create, as every region is made) in state `state`.
 */
static inline void st_create(struct reg *r, const char *inst,
    const struct reg_geometry *g, enum reg_state state)
{
	char err[256] = "";
	struct boot_options bo = { .running = state == REG_RUNNING };
	int rc = boot_create(r, inst, NULL, g, &bo, err, sizeof(err));
	if (rc)
		fprintf(stderr, "boot_create %s: %d %s\n", inst, rc, err);
	REQUIRE(rc == 0);
	/* Tests write events of fixed past dates: no wall-clock retention
	 * unless a test asks for it. */
	r->hdr->retention_days = 0;
	__atomic_store_n(&r->hdr->state, (uint32_t)state, __ATOMIC_RELEASE);
}

/* splitmix64: deterministic, seedable. */
static inline uint64_t st_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static inline int64_t st_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void st_sleep_us(unsigned us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

/* Anonymous memory shared with forked children (control words). */
static inline void *st_shared(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(p != MAP_FAILED);
	memset(p, 0, n);
	return p;
}

#endif
