/*
 * shm/fwd_dedup: begin/commit/lookup, tokens, at least cap of
 * the newest chunks remembered, bounded memory, re-attach after a "crash"
 * (a forked child killed mid-insert loop) keeps committed entries.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "shm/fwd_dedup.h"

static void _id(char *buf, size_t cap, unsigned i)
{
	snprintf(buf, cap, "chunk-%08u-base64ish==", i);
}

static void _basic(void)
{
	const uint32_t cap = 64;
	size_t bytes = fwd_dedup_bytes(cap);
	struct fwd_dedup *d = malloc(bytes);
	uint64_t tok = 0;
	char id[64];

	CHECK_EQ_INT(fwd_dedup_bytes(0), 0);
	CHECK_EQ_INT(fwd_dedup_init(d, bytes - 1, cap, 7, false), -EINVAL);
	CHECK_EQ_INT(fwd_dedup_init(d, bytes, cap, 7, false), 0);
	CHECK_EQ_INT(d->half, 128);
	CHECK(fwd_dedup_lookup(d, "a", 1, NULL) == FWD_SEEN_NONE);
	fwd_dedup_begin(d, "a", 1, 42);
	CHECK(fwd_dedup_lookup(d, "a", 1, &tok) == FWD_SEEN_PENDING);
	CHECK_EQ_INT(tok, 42);
	fwd_dedup_commit(d, "a", 1);
	CHECK(fwd_dedup_lookup(d, "a", 1, &tok) == FWD_SEEN_COMMITTED);
	CHECK(fwd_dedup_lookup(d, "b", 1, NULL) == FWD_SEEN_NONE);
	fwd_dedup_commit(d, "b", 1); /* unknown: no effect */
	CHECK(fwd_dedup_lookup(d, "b", 1, NULL) == FWD_SEEN_NONE);

	/* many more than cap: the newest cap are always remembered */
	for (unsigned i = 0; i < 1000; i++) {
		_id(id, sizeof(id), i);
		fwd_dedup_add(d, id, strlen(id), i);
		for (unsigned j = i >= cap ? i - cap + 1 : 0; j <= i; j++) {
			char jd[64];

			_id(jd, sizeof(jd), j);
			if (fwd_dedup_lookup(d, jd, strlen(jd), &tok) !=
				FWD_SEEN_COMMITTED ||
			    tok != j) {
				fprintf(stderr, "lost %u at %u\n", j, i);
				check_failures++;
				i = 1000;
				break;
			}
		}
	}
	/* and old ones are forgotten */
	_id(id, sizeof(id), 0);
	CHECK(fwd_dedup_lookup(d, id, strlen(id), NULL) == FWD_SEEN_NONE);
	CHECK(d->used[0] <= d->half / 2 && d->used[1] <= d->half / 2);

	/* re-begin of a committed chunk in the older generation */
	_id(id, sizeof(id), 999);
	fwd_dedup_begin(d, id, strlen(id), 5);
	CHECK(fwd_dedup_lookup(d, id, strlen(id), &tok) == FWD_SEEN_PENDING);
	CHECK_EQ_INT(tok, 5);

	/* reuse with another seed or size starts empty */
	CHECK_EQ_INT(fwd_dedup_init(d, bytes, cap, 8, true), 0);
	CHECK(fwd_dedup_lookup(d, id, strlen(id), NULL) == FWD_SEEN_NONE);
	free(d);
}

/* A child adds chunks to a shared set and is killed at a random point;
 * re-attaching keeps every chunk whose commit the child reported. */
static void _crash(void)
{
	const uint32_t cap = 256;
	size_t bytes = fwd_dedup_bytes(cap);
	struct fwd_dedup *d = mmap(NULL, bytes + 64, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	volatile unsigned *done;

	REQUIRE(d != MAP_FAILED);
	done = (volatile unsigned *)((char *)d + bytes);
	for (int round = 0; round < 20; round++) {
		pid_t pid;
		unsigned n;

		REQUIRE(fwd_dedup_init(d, bytes, cap, 1, round > 0) == 0);
		*done = 0;
		pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			for (unsigned i = 0;; i++) {
				char id[64];

				_id(id, sizeof(id), round * 1000000u + i);
				fwd_dedup_add(d, id, strlen(id), i);
				__atomic_store_n(done, i + 1, __ATOMIC_RELEASE);
			}
		}
		usleep(200 + (unsigned)round * 150);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		n = __atomic_load_n(done, __ATOMIC_ACQUIRE);
		REQUIRE(fwd_dedup_init(d, bytes, cap, 1, true) == 0);
		CHECK(d->used[0] <= d->half && d->used[1] <= d->half);
		/* the last cap - 1 reported commits are there */
		for (unsigned j = n > cap ? n - cap + 1 : 0; j < n; j++) {
			char id[64];

			_id(id, sizeof(id), round * 1000000u + j);
			if (fwd_dedup_lookup(d, id, strlen(id), NULL) !=
			    FWD_SEEN_COMMITTED) {
				fprintf(stderr, "round %d: lost %u of %u\n",
				    round, j, n);
				check_failures++;
				break;
			}
		}
	}
	munmap(d, bytes + 64);
}

int main(void)
{
	_basic();
	_crash();
	return check_done("ipc_forward_dedup");
}
