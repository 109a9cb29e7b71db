// micro: Google Benchmark micro-benchmarks of penchant's C API (rings,
// learner, profile reads). The engine calls live in shim.c; this file only
// times them. Every benchmark checks what its timed runs did against a
// simple reference (records consumed == produced with the right sequence
// sum, learner counts, every read found the right user) and aborts on a
// mismatch, so a fast wrong answer never reports.
//
// Usage: micro [--users N] [Google Benchmark flags, e.g.
//        --benchmark_filter=ring --benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/shim.h"

namespace
{

[[noreturn]] void die(const char *what, const char *err)
{
	std::fprintf(stderr, "micro: %s: %s\n", what, err);
	std::abort();
}

using step_fn = void (*)(bsh *);
using verify_fn = int (*)(bsh *, char *, size_t);

void add(const char *name, bsh *b, step_fn step, verify_fn verify,
    int64_t items_per_step)
{
	std::string label = name;
	benchmark::RegisterBenchmark(name, [=](benchmark::State &st) {
		for (auto _ : st)
			step(b);
		char err[256];
		if (verify(b, err, sizeof(err)))
			die(label.c_str(), err);
		st.SetItemsProcessed(st.iterations() * items_per_step);
	});
}

} // namespace

int main(int argc, char **argv)
{
	unsigned users = 1000000;
	// Our own flag first; Google Benchmark rejects what it does not know.
	for (int i = 1; i + 1 < argc; i++) {
		if (std::strcmp(argv[i], "--users") == 0) {
			users =
			    (unsigned)std::strtoul(argv[i + 1], nullptr, 10);
			for (int j = i; j + 2 <= argc; j++)
				argv[j] = argv[j + 2];
			argc -= 2;
			break;
		}
	}
	if (users < 1024)
		users = 1024;
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;

	char err[256];
	if (bsh_learn_reference(err, sizeof(err)))
		die("learner reference", err);
	bsh *b = nullptr;
	if (bsh_open(&b, users, err, sizeof(err)) < 0)
		die("setup", err);

	add("ring/ck_typed_single", b, bsh_ring_ck_single_step, bsh_ring_verify,
	    1);
	add("ring/stage_commit_1", b, bsh_ring_stage1_step, bsh_ring_verify, 1);
	add("ring/stage_commit_batch64", b, bsh_ring_batch_step,
	    bsh_ring_verify, BSH_BATCH);
	add(
	    "learn/lrn_apply_item4", b, [](bsh *x) { bsh_learn_step(x, 0); },
	    bsh_learn_verify, 1);
	add(
	    "learn/lrn_apply_16items_evicting", b,
	    [](bsh *x) { bsh_learn_step(x, 1); }, bsh_learn_verify, 1);
	std::string r1 = "read/prof_read_random_of_" + std::to_string(users);
	std::string r2 =
	    "read/pen_profile_read_random_of_" + std::to_string(users);
	add(r1.c_str(), b, bsh_prof_read_step, bsh_read_verify, 1);
	add(r2.c_str(), b, bsh_pen_read_step, bsh_read_verify, 1);
	std::string r3 =
	    "read/prof_read_hot_part_random_of_" + std::to_string(users);
	std::string r4 =
	    "read/pen_profile_hot_read_random_of_" + std::to_string(users);
	add(r3.c_str(), b, bsh_prof_read_hot_step, bsh_read_verify, 1);
	std::string r3i =
	    "read/prof_read_hot_part_by_id_random_of_" + std::to_string(users);
	add(r3i.c_str(), b, bsh_prof_read_hot_by_id_step, bsh_read_verify, 1);
	add(r4.c_str(), b, bsh_pen_hot_step, bsh_read_verify, 1);
	std::string r4z =
	    "read/pen_profile_hot_read_zipf1_of_" + std::to_string(users);
	add(r4z.c_str(), b, bsh_pen_hot_zipf_step, bsh_read_verify, 1);
	std::string r5 = "read/pen_profile_hot_read_many64_random_of_" +
	    std::to_string(users);
	add(r5.c_str(), b, bsh_pen_hot_many_step, bsh_read_verify,
	    BSH_HOT_BATCH);
	if (bsh_rank_setup(b, err, sizeof(err)))
		die("rank setup", err);
	add("rank/pen_rerank_200_profile", b, bsh_rank_profile_step,
	    bsh_rank_verify, 1);
	add("rank/pen_rerank_200_context", b, bsh_rank_context_step,
	    bsh_rank_verify, 1);
	add("rank/pen_rerank_200_full", b, bsh_rank_full_step, bsh_rank_verify,
	    1);
	add("rank/pen_rerank_200_full_spread_scores", b,
	    bsh_rank_full_spread_step, bsh_rank_verify, 1);
	add("rank/pen_rerank_200_explore", b, bsh_rank_explore_step,
	    bsh_rank_verify, 1);
	add("rank/pen_rerank_200_diverse", b, bsh_rank_diverse_step,
	    bsh_rank_verify, 1);
	add("rank/pen_rerank_200_base", b, bsh_rank_base_step, bsh_rank_verify,
	    1);
	// The same with a segments table: assignment and prior included.
	// The refresh runs once, before the first timed loop of these.
	static const struct {
		const char *name;
		step_fn step;
	} seg_variants[] = {
		{ "rank/pen_rerank_200_profile_segments",
		    bsh_rank_profile_step },
		{ "rank/pen_rerank_200_full_segments", bsh_rank_full_step },
	};
	for (const auto &v : seg_variants) {
		step_fn step = v.step;
		std::string label = v.name;
		benchmark::RegisterBenchmark(v.name, [=](benchmark::State &st) {
			char e[256];
			if (bsh_rank_segments(b, e, sizeof(e)))
				die("segments", e);
			for (auto _ : st)
				step(b);
			if (bsh_rank_verify(b, e, sizeof(e)))
				die(label.c_str(), e);
			st.SetItemsProcessed(st.iterations());
		});
	}

	if (bsh_api_setup(b, err, sizeof(err)))
		die("api setup", err);
	add("api/json_parse_200_candidates", b, bsh_api_parse_step,
	    bsh_api_verify, 1);
	add("api/rq_decode_json_200_candidates", b, bsh_api_decode_step,
	    bsh_api_verify, 1);
	add("api/rq_encode_json_20_results", b, bsh_api_encode_step,
	    bsh_api_verify, 1);

	char huge[32];
	int hp = bsh_huge_mode(huge, sizeof(huge));
	std::printf("shm: huge pages %s (/dev/shm huge=%s)\n",
	    hp > 0 ? "yes" : "no", huge);
	std::printf(
	    "profile table: %.0f bytes of shared memory per user (slot + index), %u users\n",
	    bsh_bytes_per_user(b), users);
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	bsh_close(&b);
	return 0;
}
