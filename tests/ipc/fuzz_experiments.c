/*
 * Fuzz target: arbitrary bytes through the experiment definitions' parser
 * (client_experiments_parse). Must never crash; a refusal must name its
 * line; every accepted definition must pass exp_check and assign any user
 * to one of its variants. Built with libFuzzer (-Dfuzz=true) or with
 * tests/fuzz_replay_main.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/experiments.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void _die(const char *why)
{
	fprintf(stderr, "fuzz_experiments: %s\n", why);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exp_def defs[EXP_MAX];
	char err[256] = "";
	static const uint8_t secret[16] = { 1, 2, 3 };
	int n = client_experiments_parse((const char *)data, size, defs, err,
	    sizeof(err));
	if (n < 0) {
		if ((n != -EINVAL && n != -ENOSPC) || strncmp(err, "line ", 5))
			_die("a refusal without its line");
		return 0;
	}
	if (n > EXP_MAX)
		_die("more definitions than room");
	for (int i = 0; i < n; i++) {
		if (exp_check(&defs[i], err, sizeof(err)))
			_die("an accepted definition fails exp_check");
		for (uint64_t u = 1; u < 50; u++) {
			int v = exp_assign(&defs[i], secret,
			    u * 0x9E3779B97F4A7C15ULL, defs[i].start_ms, -1,
			    NULL);
			if (v >= (int)defs[i].n_variants ||
			    (v < 0 && defs[i].segment < 0 &&
				(!defs[i].stop_ms ||
				    defs[i].start_ms < defs[i].stop_ms)))
				_die("a user outside every variant");
		}
	}
	return 0;
}
