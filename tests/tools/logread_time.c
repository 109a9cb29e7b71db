/* logread CSV times: --time-unit auto, s and ms on integral, fractional,
 * padded and huge values, RFC 3339 text with its offset, and the limits of
 * evt_build applied to the result. */
#include <errno.h>
#include <string.h>

#include "logread_test.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

struct row {
	const char *cell;
	int64_t ms; /* expected time; 0: rejected as time_range */
};

/* One row per cell; checks each record's time, or its rejection. */
static void run(enum lr_unit unit, const struct row *rows, size_t n,
    const struct evt_limits *lim)
{
	char text[4096], *p = text;
	p = stpcpy(p, "user_id,entity_id,event_type,timestamp\n");
	for (size_t i = 0; i < n; i++)
		p += snprintf(p, sizeof(text) - (size_t)(p - text),
		    "u,e,view,\"%s\"\n", rows[i].cell);
	struct lr_options o;
	struct lr_log log;
	char *msgs;
	lr_options_init(&o);
	o.csv = true;
	o.unit = unit;
	if (lim)
		o.lim = *lim;
	CHECK_EQ_INT(lt_read(text, (size_t)(p - text), false, &o, &log, &msgs),
	    0);
	size_t k = 0;
	char want[4096], *w = want;
	*w = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].ms) {
			w += snprintf(w, sizeof(want) - (size_t)(w - want),
			    "LOG:%zu: time_range: timestamp\n", i + 2);
			continue;
		}
		if (k >= log.ev.n) {
			fprintf(stderr, "unit %d: '%s' missing\n", unit,
			    rows[i].cell);
			check_failures++;
			continue;
		}
		int64_t got = lr_event(&log, k++)->time_ms;
		if (got != rows[i].ms) {
			fprintf(stderr, "unit %d: '%s' -> %lld, wanted %lld\n",
			    unit, rows[i].cell, (long long)got,
			    (long long)rows[i].ms);
			check_failures++;
		}
	}
	CHECK_EQ_INT(k, log.ev.n);
	CHECK(lt_same(msgs, want));
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

static void units(void)
{
	static const struct row autos[] = {
		{ "1767225600", T0 },	       /* < 1e11: seconds */
		{ "1767225600000", T0 },       /* integral >= 1e11: ms */
		{ "1767225600.25", T0 + 250 }, /* a fraction: seconds */
		{ " 1767225600 ", T0 },	       /* blanks around */
		{ "1767225600000.5", 0 },      /* seconds: year 57970 */
		{ "99999999999", 0 },	       /* seconds, year 5138 */
		{ "100000000000", 0 },	       /* ms: 1973 */
		{ "1e300", 0 },		       /* clamped, no overflow */
		{ "-1e300", 0 },
		{ "2026-01-01T01:00:00+01:00", T0 }, /* RFC 3339 */
		{ "2026-01-01T00:00:00.5Z", T0 + 500 },
	};
	run(LR_UNIT_AUTO, autos, sizeof(autos) / sizeof(autos[0]), NULL);

	static const struct row secs[] = {
		{ "1767225600", T0 },
		{ "1767225600.001", T0 + 1 },
		{ "1767225600000", 0 },
		{ "2026-01-01T00:00:00Z", T0 },
	};
	run(LR_UNIT_S, secs, sizeof(secs) / sizeof(secs[0]), NULL);

	static const struct row ms[] = {
		{ "1767225600000", T0 },
		{ "1767225600000.4", T0 },
		{ "1767225600", 0 }, /* 1970 */
		{ "2026-01-01T00:00:00Z", T0 },
	};
	run(LR_UNIT_MS, ms, sizeof(ms) / sizeof(ms[0]), NULL);

	/* the limits are the caller's: a log of the past reaches 1970 */
	struct evt_limits lim = evt_limits_default();
	lim.min_time_ms = 0;
	static const struct row old[] = {
		{ "1767225600", 1767225600 },
		{ "1", 1 },
		{ "-1", 0 },
	};
	run(LR_UNIT_MS, old, sizeof(old) / sizeof(old[0]), &lim);
}

/* The offset of an RFC 3339 time becomes the record's local offset; a
 * tz_offset column overrides it. */
static void offsets(void)
{
	struct lr_options o;
	struct lr_log log;
	char *msgs;
	lr_options_init(&o);
	o.csv = true;
	const char *t = "user_id,entity_id,event_type,timestamp,tz_offset\n"
			"u,e,view,2026-01-01T09:30:00+09:30,\n"
			"u,e,view,2026-01-01T09:30:00+09:30,-300\n"
			"u,e,view,1767225600,\n";
	CHECK_EQ_INT(lt_read(t, strlen(t), false, &o, &log, &msgs), 0);
	CHECK(lt_same(msgs, ""));
	REQUIRE(log.ev.n == 3);
	CHECK_EQ_INT(lr_event(&log, 0)->time_ms, T0);
	CHECK_EQ_INT(lr_event(&log, 0)->tz_offset_min, 570);
	CHECK_EQ_INT(lr_event(&log, 1)->tz_offset_min, -300);
	CHECK_EQ_INT(lr_event(&log, 2)->tz_offset_min, 0);
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

int main(void)
{
	units();
	offsets();
	return check_done("logread_time");
}
