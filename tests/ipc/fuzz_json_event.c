/*
 * Fuzz target: arbitrary bytes through json_event_input + evt_build, and
 * json_catalog_item. Must never crash; an accepted record must be in range.
 * Built with libFuzzer (-Dfuzz=true) or with tests/fuzz_replay_main.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/event.h"
#include "engine/geo.h"
#include "fuzz_record.h"
#include "ipc/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TOKS 64

/* An accepted record must be in range; say which rule broke, then abort. */

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
		fuzz_check_record(&rec);
	if (json_catalog_item((const char *)data, size, &w, &item, err,
		sizeof(err)) == 0 &&
	    (item.id.len == 0 || item.n_tags > JSON_CATALOG_TAGS))
		abort();
	free(scratch);
	return 0;
}
