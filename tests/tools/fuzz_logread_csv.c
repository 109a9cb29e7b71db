/*
 * Fuzz target: arbitrary bytes as a CSV event log, through the CSV reader
 * (lr_csv_*: every record it returns is consistent) and through lr_read's
 * CSV path, then as a JSON-lines log through its JSON path (every record
 * evt_build's invariants, the counts add up, both ways). Must never
 * crash. Built with libFuzzer (-Dfuzz=true) or with
 * tests/fuzz_replay_main.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_record.h"
#include "tools/logread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fields3[] = { "a", "b", "c" };

/* Every record the reader returns: as many fields as the header, each
 * inside the unescaped buffer and NUL-terminated. */
static void records(FILE *f, FILE *sink)
{
	struct lr_map m;
	struct lr_csv c;
	char err[300];
	lr_map_init(&m, fields3, 3);
	if (lr_csv_open(&c, f, "fuzz", &m, sink) == 0) {
		FUZZ_RULE(c.ncols >= 1 && c.ncols <= LR_CSV_COLS);
		int rc;
		size_t last = 0;
		while ((rc = lr_csv_next(&c, err, sizeof(err))) != 0) {
			FUZZ_RULE(rc == 1 || rc == -EINVAL);
			FUZZ_RULE(c.recline >= 1 && c.recline <= c.lineno);
			FUZZ_RULE(c.recline > last);
			last = c.recline;
			if (rc < 0) {
				FUZZ_RULE(strlen(err) > 0);
				continue;
			}
			FUZZ_RULE(c.n == c.ncols);
			for (unsigned i = 0; i < c.n; i++) {
				FUZZ_RULE(c.fld[i] >= c.buf &&
				    c.fld[i] + c.flen[i] < c.buf + c.bcap);
				FUZZ_RULE(c.fld[i][c.flen[i]] == 0);
				FUZZ_RULE(c.flen[i] <= c.rlen);
			}
			for (unsigned k = 0; k < 3; k++) {
				struct evt_str s = lr_csv_cell(&c, k);
				FUZZ_RULE((s.p == NULL) == (s.len == 0));
			}
		}
	}
	lr_csv_free(&c);
	lr_map_free(&m);
}

/* The event reader over the same bytes; the unit and rating rule vary
 * with the input so each gets its share. */
static void events(FILE *f, FILE *sink, size_t size, bool csv)
{
	struct lr_options o;
	struct lr_log log = { 0 };
	lr_options_init(&o);
	o.csv = csv;
	o.msg = sink;
	o.unit = (enum lr_unit)(size % 3);
	o.type = csv && size % 2 ? "view" : NULL;
	o.max_events = 1000;
	/* the log's own conventions, on a share of the inputs: a headerless
	 * file, renamed verbs, text times by a format */
	if (csv && size % 5 == 1)
		o.columns = "user_id,entity_id,event_type,timestamp";
	if (size % 7 < 3)
		FUZZ_RULE(lr_type_map_add(&o, "pv=view,buy=purchase", "f",
			      sink) == 0);
	if (size % 11 < 4)
		o.time_format =
		    size % 2 ? "%Y-%m-%d %H:%M:%S" : "%a %b %d %H:%M:%S %z %Y";
	int rc = lr_read_stream(&log, f, "fuzz", &o);
	FUZZ_RULE(rc == 0 || rc == -EINVAL || rc == -E2BIG);
	uint64_t sum = 0;
	for (unsigned k = 0; k < EVT_REASON_COUNT; k++)
		sum += log.rejected[k];
	FUZZ_RULE(sum == log.rejected_lines);
	FUZZ_RULE(log.ev.n + log.rejected_lines <= log.lines);
	FUZZ_RULE(log.users.n <= log.ev.n);
	for (size_t i = 0; i < log.ev.n; i++)
		fuzz_check_record(lr_event(&log, i));
	for (size_t i = 0; i < log.users.n; i++)
		FUZZ_RULE(lr_user_id(&log, i)[log.users.v[i].len] == 0);
	lr_log_free(&log);
	lr_options_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The messages of rejected rows are not the point here. */
	FILE *sink = fopen("/dev/null", "w");
	/* A private copy: fmemopen wants a writable buffer. */
	char *copy = malloc(size ? size : 1);
	if (!sink || !copy)
		goto out;
	memcpy(copy, data, size);
	/* fmemopen refuses an empty buffer; /dev/null is the empty input */
	FILE *f = size ? fmemopen(copy, size, "r") : fopen("/dev/null", "r");
	if (!f)
		goto out;
	records(f, sink);
	rewind(f);
	events(f, sink, size, true);
	rewind(f);
	events(f, sink, size, false);
	fclose(f);
out:
	free(copy);
	if (sink)
		fclose(sink);
	return 0;
}
