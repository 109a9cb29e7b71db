/*
 * metrics MMR with similarity weights near DBL_MAX: finite weights with a
 * finite sum pass the checks, but with a share of the mean the summed
 * similarity to the picks overflows, every score of the next pick is -inf
 * and no candidate wins. met_mmr_mean and met_mmr_dcg then return -ERANGE
 * (the picks before written, the rest of order and why untouched) or, built
 * with asserts, stop on one; they never take a candidate twice. met_mmr's
 * max alone stays finite and picks them all.
 */
#include <errno.h>
#include <float.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "engine/metrics.h"

#define N 4

static struct lrn_item g_it[N];
static const struct lrn_item *g_ptr[N];
static const double g_rel[N] = { 4.0, 3.0, 2.0, 1.0 };
static struct met_mmr_slot g_scratch[N];

/* 0.9 DBL_MAX apart from rounding: one sim is finite, two summed are not. */
static const struct met_sim g_big = { DBL_MAX * 0.45, DBL_MAX * 0.45 };

/* The call that overflows at the third pick, checked where it returns. */
static int overflow(int dcg)
{
	uint32_t order[N + 1];
	struct met_mmr_why why[N + 1], pat;
	int failures = check_failures;

	memset(order, 0xA5, sizeof order);
	memset(why, 0x5A, sizeof why);
	memset(&pat, 0x5A, sizeof pat);
	int m = dcg ? met_mmr_dcg(g_rel, g_ptr, N, N, 0.5, &g_big, g_scratch,
			  order, why)
		    : met_mmr_mean(g_rel, g_ptr, N, N, 0.5, 0.5, &g_big,
			  g_scratch, order, why);
	CHECK_EQ_INT(m, -ERANGE);
	/* two picks made, by relevance (all alike), then nothing */
	CHECK_EQ_INT(order[0], 0);
	CHECK_EQ_INT(order[1], 1);
	for (unsigned i = 2; i <= N; i++) {
		CHECK_EQ_INT(order[i], 0xA5A5A5A5u);
		CHECK(memcmp(&why[i], &pat, sizeof pat) == 0);
	}
	return check_failures != failures;
}

#ifndef NDEBUG
/* Built with asserts: the call stops on one (SIGABRT), in a child. */
static void aborts(int dcg)
{
	fflush(NULL);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		/* the assertion's message is expected; keep the log clean */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(2);
		_exit(overflow(dcg) ? 1 : 0);
	}
	int st;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}
#endif

int main(void)
{
	uint32_t order[N];
	struct met_mmr_why why[N];

	for (unsigned i = 0; i < N; i++) {
		g_it[i].category = 1;
		g_it[i].n_tags = 1;
		g_it[i].tags[0] = 7;
		g_ptr[i] = &g_it[i];
	}
	/* The max alone: finite scores, every candidate once. */
	CHECK_EQ_INT(met_mmr(g_rel, g_it, N, N, 0.5, &g_big, g_scratch, order,
			 why),
	    N);
	CHECK_EQ_INT(met_mmr_mean(g_rel, g_ptr, N, N, 0.5, 0.0, &g_big,
			 g_scratch, order, why),
	    N);
	for (unsigned i = 0; i < N; i++)
		CHECK_EQ_INT(order[i], i);
#ifdef NDEBUG
	overflow(0);
	overflow(1);
#else
	aborts(0);
	aborts(1);
#endif
	return check_done("metrics_mmr_range");
}
