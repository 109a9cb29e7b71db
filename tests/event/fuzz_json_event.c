/*
 * Fuzz target: arbitrary bytes through json_event_input + evt_build, and
 * json_catalog_item. Must never crash; an accepted record must be in range.
 * Built with libFuzzer (-Dfuzz=true) or with fuzz_replay_main.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/event.h"
#include "engine/geo.h"
#include "ipc/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TOKS 64

/* An accepted record must be in range; say which rule broke, then abort. */
#define FUZZ_RULE(cond)                                                        \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "record invariant broken: %s\n",       \
			    #cond);                                            \
			abort();                                               \
		}                                                              \
	} while (0)

static void _check_record(const struct evt_record *r)
{
	FUZZ_RULE(r->type < EVT_TYPE_COUNT);
	FUZZ_RULE(r->entity_type < EVT_ENT_COUNT);
	FUZZ_RULE(r->device < EVT_DEV_COUNT);
	FUZZ_RULE(r->platform < EVT_PLAT_COUNT);
	FUZZ_RULE(r->weather < EVT_WX_COUNT);
	FUZZ_RULE(r->social < EVT_SOC_COUNT);
	FUZZ_RULE(r->daypart < EVT_DP_COUNT);
	FUZZ_RULE(r->weekday <= 6);
	FUZZ_RULE(r->n_tokens <= EVT_SEARCH_TOKENS);
	FUZZ_RULE(r->user_key != 0);
	FUZZ_RULE(r->feedback >= -1 && r->feedback <= 1);
	FUZZ_RULE(r->dwell_ms <= 86400000u);
	FUZZ_RULE(r->scroll_depth <= 1.0f);
	FUZZ_RULE(r->geo_cell == 0 || geo_cell_precision(r->geo_cell) != 0);
	FUZZ_RULE(r->type != EVT_FEEDBACK || r->feedback != 0);
	FUZZ_RULE(r->type == EVT_SEARCH || r->entity_key != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tok toks[FUZZ_TOKS];
	struct json_work w;
	struct evt_input in;
	struct evt_record rec;
	struct json_catalog_item item;
	char err[128];
	const char *field;
	/* Exactly `size` bytes of scratch, so overruns show under ASan. */
	char *scratch = malloc(size ? size : 1);

	if (!scratch)
		return 0;
	json_work_init(&w, toks, FUZZ_TOKS, scratch, size);
	if (json_event_input((const char *)data, size, &w, &in, err,
		sizeof(err)) == EVT_OK &&
	    evt_build(&in, NULL, &rec, &field) == EVT_OK)
		_check_record(&rec);
	if (json_catalog_item((const char *)data, size, &w, &item, err,
		sizeof(err)) == 0 &&
	    (item.id.len == 0 || item.n_tags > JSON_CATALOG_TAGS))
		abort();
	free(scratch);
	return 0;
}
