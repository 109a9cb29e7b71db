/*
 * fuzz_record: what every fuzz target checks of an accepted ring record
 * (the invariants evt_build promises), and the abort that tells the fuzzer.
 */
#ifndef PENCHANT_TESTS_FUZZ_RECORD_H
#define PENCHANT_TESTS_FUZZ_RECORD_H

#include <stdio.h>
#include <stdlib.h>

#include "engine/event.h"
#include "engine/geo.h"

#define FUZZ_RULE(cond)                                                        \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "invariant broken: %s\n", #cond);      \
			abort();                                               \
		}                                                              \
	} while (0)

static inline void fuzz_check_record(const struct evt_record *r)
{
	FUZZ_RULE(r->type < EVT_TYPE_COUNT);
	FUZZ_RULE(r->entity_type < EVT_ENT_COUNT);
	FUZZ_RULE(r->device < EVT_DEV_COUNT);
	FUZZ_RULE(r->platform < EVT_PLAT_COUNT);
	FUZZ_RULE(r->weather < EVT_WX_COUNT);
	FUZZ_RULE(r->social < EVT_SOC_COUNT);
	FUZZ_RULE(r->daypart < EVT_DP_COUNT);
	FUZZ_RULE(r->weekday <= 6);
	FUZZ_RULE(r->month >= 1 && r->month <= 12);
	FUZZ_RULE(r->n_tokens <= EVT_SEARCH_TOKENS);
	FUZZ_RULE(r->user_key != 0);
	FUZZ_RULE(r->feedback >= -1 && r->feedback <= 1);
	FUZZ_RULE(r->dwell_ms <= 86400000u);
	FUZZ_RULE(r->scroll_depth <= 1.0f);
	FUZZ_RULE(r->geo_cell == 0 || geo_cell_precision(r->geo_cell) != 0);
	FUZZ_RULE(r->type != EVT_FEEDBACK || r->feedback != 0);
	FUZZ_RULE(r->type == EVT_SEARCH || r->entity_key != 0);
}

#endif
