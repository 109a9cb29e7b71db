/*
 * clock: calendar arithmetic for event time (see clock.h). The civil date
 * algorithms are Howard Hinnant's "chrono-Compatible Low-Level Date
 * Algorithms", written out here for int64; all divisions that can see a
 * negative dividend go through _floor_div so 1969 is not off by one day.
 */
#include "engine/clock.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

static int64_t _floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t clk_days_from_civil(int64_t year, unsigned month, unsigned day)
{
	/* Shift the year to start in March so the leap day is the last day. */
	int64_t y = year - (month <= 2);
	int64_t era = _floor_div(y, 400);
	int64_t yoe = y - era * 400;			     /* [0, 399] */
	int64_t mp = (month + 9) % 12;			     /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + (int64_t)day - 1; /* [0, 365] */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */

	return era * 146097 + doe - 719468;
}

void clk_civil_from_days(int64_t days, int64_t *year, unsigned *month,
    unsigned *day)
{
	int64_t z = days + 719468;
	int64_t era = _floor_div(z, 146097);
	int64_t doe = z - era * 146097; /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;		       /* [0, 11] */
	unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);

	if (year)
		*year = yoe + era * 400 + (m <= 2);
	if (month)
		*month = m;
	if (day)
		*day = d;
}

unsigned clk_weekday_from_days(int64_t days)
{
	/* 1970-01-01 was a Thursday (3 with Monday = 0). */
	int64_t w = (days + 3) % 7;

	return (unsigned)(w < 0 ? w + 7 : w);
}

static bool _is_leap(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned clk_days_in_month(int64_t year, unsigned month)
{
	static const unsigned char len[12] = { 31, 28, 31, 30, 31, 30, 31, 31,
		30, 31, 30, 31 };

	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && _is_leap(year))
		return 29;
	return len[month - 1];
}

/*
 * The local day of utc_ms and the ms into it. Split first, add the offset
 * second: utc_ms + offset could overflow near INT64_MAX, day count + one
 * day cannot. The offset is in range (checked by the callers).
 */
static int64_t _local_days(int64_t utc_ms, int tz_offset_min,
    int64_t *ms_of_day_out)
{
	int64_t days = _floor_div(utc_ms, CLK_MS_PER_DAY);
	int64_t ms_of_day = utc_ms % CLK_MS_PER_DAY; /* not utc_ms - days*day:
							that overflows at INT64_MIN */

	if (ms_of_day < 0)
		ms_of_day += CLK_MS_PER_DAY; /* [0, 86399999] */

	ms_of_day += (int64_t)tz_offset_min * CLK_MS_PER_MIN;
	if (ms_of_day < 0) {
		ms_of_day += CLK_MS_PER_DAY;
		days--;
	} else if (ms_of_day >= CLK_MS_PER_DAY) {
		ms_of_day -= CLK_MS_PER_DAY;
		days++;
	}
	*ms_of_day_out = ms_of_day;
	return days;
}

int clk_civil(int64_t utc_ms, int tz_offset_min, struct clk_civil *out)
{
	if (tz_offset_min > CLK_MAX_TZ_MIN || tz_offset_min < -CLK_MAX_TZ_MIN)
		return -EINVAL;
	int64_t ms_of_day,
	    days = _local_days(utc_ms, tz_offset_min, &ms_of_day);
	clk_civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (unsigned)(ms_of_day / CLK_MS_PER_HOUR);
	out->minute = (unsigned)(ms_of_day / CLK_MS_PER_MIN % 60);
	out->second = (unsigned)(ms_of_day / 1000 % 60);
	out->ms = (unsigned)(ms_of_day % 1000);
	out->weekday = clk_weekday_from_days(days);
	return 0;
}

enum evt_daypart clk_daypart_of_hour(unsigned hour)
{
	return (enum evt_daypart)((hour % 24) / 6);
}

int clk_daypart(int64_t utc_ms, int tz_offset_min)
{
	struct clk_civil c;
	int rc = clk_civil(utc_ms, tz_offset_min, &c);

	return rc < 0 ? rc : (int)clk_daypart_of_hour(c.hour);
}

int clk_weekday(int64_t utc_ms, int tz_offset_min)
{
	struct clk_civil c;
	int rc = clk_civil(utc_ms, tz_offset_min, &c);

	return rc < 0 ? rc : (int)c.weekday;
}

/* The learner asks for the month of every event: the date only, without
 * the time of day and weekday that clk_civil also works out. */
int clk_month(int64_t utc_ms, int tz_offset_min)
{
	if (tz_offset_min > CLK_MAX_TZ_MIN || tz_offset_min < -CLK_MAX_TZ_MIN)
		return -EINVAL;
	int64_t ms_of_day,
	    days = _local_days(utc_ms, tz_offset_min, &ms_of_day);
	unsigned month;
	clk_civil_from_days(days, NULL, &month, NULL);
	return (int)month;
}

/* --- RFC 3339 --- */

struct _cursor {
	const char *s;
	size_t len, pos;
	const char *why;
};

static bool _fail(struct _cursor *c, const char *why)
{
	if (!c->why)
		c->why = why;
	return false;
}

/* Exactly n ASCII digits into *v. */
static bool _digits(struct _cursor *c, unsigned n, unsigned *v, const char *why)
{
	unsigned x = 0;

	if (c->len - c->pos < n)
		return _fail(c, why);
	for (unsigned i = 0; i < n; i++) {
		char ch = c->s[c->pos + i];

		if (ch < '0' || ch > '9')
			return _fail(c, why);
		x = x * 10 + (unsigned)(ch - '0');
	}
	c->pos += n;
	*v = x;
	return true;
}

static bool _lit(struct _cursor *c, char want, const char *why)
{
	if (c->pos >= c->len || c->s[c->pos] != want)
		return _fail(c, why);
	c->pos++;
	return true;
}

/* Optional ".digits": milliseconds, truncated; any number of digits. */
static bool _fraction(struct _cursor *c, unsigned *ms)
{
	unsigned v = 0, n = 0;

	*ms = 0;
	if (c->pos >= c->len || c->s[c->pos] != '.')
		return true;
	c->pos++;
	while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
		if (n < 3)
			v = v * 10 + (unsigned)(c->s[c->pos] - '0');
		n++;
		c->pos++;
	}
	if (n == 0)
		return _fail(c, "expected digits after '.'");
	for (; n < 3; n++)
		v *= 10;
	*ms = v;
	return true;
}

/* 'Z', 'z', "+hh:mm" or "-hh:mm" into minutes east of UTC. */
static bool _offset(struct _cursor *c, int *off)
{
	unsigned hh, mm;
	int sign;

	if (c->pos >= c->len)
		return _fail(c, "expected 'Z', '+hh:mm' or '-hh:mm' offset");
	char ch = c->s[c->pos++];

	if (ch == 'Z' || ch == 'z') {
		*off = 0;
		return true;
	}
	if (ch != '+' && ch != '-')
		return _fail(c, "expected 'Z', '+hh:mm' or '-hh:mm' offset");
	sign = ch == '-' ? -1 : 1;
	if (!_digits(c, 2, &hh, "expected two-digit offset hours") ||
	    !_lit(c, ':', "expected ':' in offset") ||
	    !_digits(c, 2, &mm, "expected two-digit offset minutes"))
		return false;
	if (hh > 23 || mm > 59)
		return _fail(c, "offset out of range");
	*off = sign * (int)(hh * 60 + mm);
	return true;
}

int clk_parse_rfc3339(const char *s, size_t len, int64_t *utc_ms,
    int *tz_offset_min, const char **why)
{
	struct _cursor c = { .s = s, .len = s ? len : 0 };
	unsigned y, mo, d, h, mi, sec, ms;
	int off = 0;
	bool ok;

	ok = _digits(&c, 4, &y, "expected four-digit year") &&
	    _lit(&c, '-', "expected '-' after the year") &&
	    _digits(&c, 2, &mo, "expected two-digit month") &&
	    _lit(&c, '-', "expected '-' after the month") &&
	    _digits(&c, 2, &d, "expected two-digit day");
	if (ok &&
	    (c.pos >= c.len ||
		(s[c.pos] != 'T' && s[c.pos] != 't' && s[c.pos] != ' ')))
		ok = _fail(&c, "expected 'T' or ' ' after the date");
	else if (ok)
		c.pos++;
	ok = ok && _digits(&c, 2, &h, "expected two-digit hour") &&
	    _lit(&c, ':', "expected ':' after the hour") &&
	    _digits(&c, 2, &mi, "expected two-digit minute") &&
	    _lit(&c, ':', "expected ':' after the minute") &&
	    _digits(&c, 2, &sec, "expected two-digit second") &&
	    _fraction(&c, &ms) && _offset(&c, &off);
	if (ok && c.pos != c.len)
		ok = _fail(&c, "unexpected characters after the offset");
	if (ok && (mo < 1 || mo > 12))
		ok = _fail(&c, "month out of range");
	if (ok && (d < 1 || d > clk_days_in_month(y, mo)))
		ok = _fail(&c, "day out of range for the month");
	if (ok && (h > 23 || mi > 59 || sec > 60))
		ok = _fail(&c, "time of day out of range");
	if (!ok) {
		if (why)
			*why = c.why;
		return -EINVAL;
	}
	int64_t local_ms = clk_days_from_civil(y, mo, d) * CLK_MS_PER_DAY +
	    (int64_t)h * CLK_MS_PER_HOUR + (int64_t)mi * CLK_MS_PER_MIN +
	    (int64_t)sec * 1000 + ms;

	if (utc_ms)
		*utc_ms = local_ms - (int64_t)off * CLK_MS_PER_MIN;
	if (tz_offset_min)
		*tz_offset_min = off;
	return 0;
}
