/*
 * clock: calendar arithmetic on event time. Pure functions of their
 * arguments: no wall clock, no time zone database, no locale, no globals.
 *
 * Event time is UTC milliseconds since 1970-01-01T00:00:00Z (negative before
 * 1970). Local time is UTC plus a fixed offset in minutes east of UTC, as
 * carried by the event (RFC 3339 "+02:00" is +120). Calendar conversion uses
 * the proleptic Gregorian calendar with Howard Hinnant's days-from-civil /
 * civil-from-days algorithms, exact for every int64 millisecond value
 * (floor division, so instants before 1970 land on the right day and hour).
 *
 * Errors are returned as negative errno values; nothing here prints.
 * Any process may call anything here.
 */
#ifndef PENCHANT_ENGINE_CLOCK_H
#define PENCHANT_ENGINE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "engine/event.h"

#define CLK_MS_PER_MIN 60000LL
#define CLK_MS_PER_HOUR 3600000LL
#define CLK_MS_PER_DAY 86400000LL
/* Largest accepted offset from UTC either way: +-18:00, as in ISO 8601 / Java. */
#define CLK_MAX_TZ_MIN (18 * 60)

/* Broken-down local time. */
struct clk_civil {
	int64_t year;	  /* proleptic Gregorian, may be <= 0 */
	unsigned month;	  /* 1..12 */
	unsigned day;	  /* 1..31 */
	unsigned hour;	  /* 0..23 */
	unsigned minute;  /* 0..59 */
	unsigned second;  /* 0..59 */
	unsigned ms;	  /* 0..999 */
	unsigned weekday; /* 0 = Monday .. 6 = Sunday */
};

/* Days since 1970-01-01 of a civil date (month 1..12, day 1..31, not checked
 * against the month length); negative before 1970. |year| < 2^40 required. */
int64_t clk_days_from_civil(int64_t year, unsigned month, unsigned day);

/* Inverse of clk_days_from_civil for any day count of an int64 millisecond
 * instant (|days| < 2^50). Outputs may be NULL. */
void clk_civil_from_days(int64_t days, int64_t *year, unsigned *month,
    unsigned *day);

/* Weekday (0 = Monday .. 6 = Sunday) of a day count since 1970-01-01. */
unsigned clk_weekday_from_days(int64_t days);

/* Days in a month of a year (28..31); 0 when month is not 1..12. */
unsigned clk_days_in_month(int64_t year, unsigned month);

/*
 * Local broken-down time of `utc_ms` at `tz_offset_min` minutes east of UTC.
 * Returns 0, or -EINVAL when |tz_offset_min| > CLK_MAX_TZ_MIN (out untouched).
 */
int clk_civil(int64_t utc_ms, int tz_offset_min, struct clk_civil *out);

/* Daypart of an hour 0..23 (enum evt_daypart: night 0-5, morning 6-11,
 * afternoon 12-17, evening 18-23); hours >= 24 are taken modulo 24. */
enum evt_daypart clk_daypart_of_hour(unsigned hour);

/*
 * Local daypart, weekday (0 = Monday) and month (1..12) of an instant.
 * Each returns the value (>= 0), or -EINVAL when |tz_offset_min| >
 * CLK_MAX_TZ_MIN.
 */
int clk_daypart(int64_t utc_ms, int tz_offset_min);
int clk_weekday(int64_t utc_ms, int tz_offset_min);
int clk_month(int64_t utc_ms, int tz_offset_min);

/*
 * Parses an RFC 3339 date-time: "YYYY-MM-DD" then 'T', 't' or ' ', then
 * "hh:mm:ss", optional ".fraction" (1 or more digits; kept to the
 * millisecond, truncated), then 'Z', 'z', "+hh:mm" or "-hh:mm". The whole of
 * s[0..len) must be the timestamp (no surrounding spaces). Date and time
 * fields are range-checked (day against the month, leap years included);
 * second 60 (a leap second) is accepted and folds into the next second, as
 * POSIX time does. "-00:00" ("offset unknown") is read as UTC.
 *
 * On success returns 0 and stores the UTC instant in *utc_ms and the offset
 * it carried in *tz_offset_min (either may be NULL). On failure returns
 * -EINVAL, leaves the outputs untouched and, if `why` is non-NULL, points it
 * at a static phrase naming what was expected ("expected 'T' or ' ' after
 * the date", "day out of range for the month", ...).
 */
int clk_parse_rfc3339(const char *s, size_t len, int64_t *utc_ms,
    int *tz_offset_min, const char **why);

#endif
