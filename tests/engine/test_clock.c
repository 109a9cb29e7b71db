/* clock: local daypart/weekday/month of known instants (offsets, pre-1970)
 * and RFC 3339 parsing of good and garbage timestamps. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "engine/clock.h"

#define HOUR_MIN 60

static void check_local(int64_t ms, int tz, int64_t y, unsigned mo, unsigned d,
    unsigned h, unsigned wd, int dp)
{
	struct clk_civil c;

	CHECK_EQ_INT(clk_civil(ms, tz, &c), 0);
	CHECK_EQ_INT(c.year, y);
	CHECK_EQ_INT(c.month, mo);
	CHECK_EQ_INT(c.day, d);
	CHECK_EQ_INT(c.hour, h);
	CHECK_EQ_INT(c.weekday, wd);
	CHECK_EQ_INT(clk_daypart(ms, tz), dp);
	CHECK_EQ_INT(clk_weekday(ms, tz), wd);
	CHECK_EQ_INT(clk_month(ms, tz), mo);
}

static void test_known_instants(void)
{
	/* 1970-01-01 00:00 UTC was a Thursday. */
	check_local(0, 0, 1970, 1, 1, 0, 3, EVT_DP_NIGHT);
	/* One ms earlier: Wednesday 1969-12-31 23:59:59.999, evening. */
	check_local(-1, 0, 1969, 12, 31, 23, 2, EVT_DP_EVENING);
	/* 2000-01-01 was a Saturday. */
	check_local(946684800000LL, 0, 2000, 1, 1, 0, 5, EVT_DP_NIGHT);
	/* Leap day 2024-02-29 12:00 UTC, Thursday afternoon. */
	check_local(1709208000000LL, 0, 2024, 2, 29, 12, 3, EVT_DP_AFTERNOON);
	/* 1900-01-01 was a Monday. */
	check_local(-2208988800000LL, 0, 1900, 1, 1, 0, 0, EVT_DP_NIGHT);
	/* Moon landing 1969-07-20T20:17Z, Sunday; 16:17 in EDT (-4 h). */
	check_local(-14182980000LL, 0, 1969, 7, 20, 20, 6, EVT_DP_EVENING);
	check_local(-14182980000LL, -4 * HOUR_MIN, 1969, 7, 20, 16, 6,
	    EVT_DP_AFTERNOON);
	/* 2023-12-31T23:30Z at +01:00 is Monday 2024-01-01 00:30. */
	check_local(1704065400000LL, HOUR_MIN, 2024, 1, 1, 0, 0, EVT_DP_NIGHT);
	/* 2024-01-01T05:00Z at -10:00 is Sunday 2023-12-31 19:00. */
	check_local(1704085200000LL, -10 * HOUR_MIN, 2023, 12, 31, 19, 6,
	    EVT_DP_EVENING);
	/* Daypart edges: 05:59 night, 06:00 morning, 11:59, 12:00, 17:59, 18:00. */
	int64_t day = 1709164800000LL; /* 2024-02-29T00:00Z */
	CHECK_EQ_INT(clk_daypart(day + 5 * CLK_MS_PER_HOUR +
			     59 * CLK_MS_PER_MIN,
			 0),
	    EVT_DP_NIGHT);
	CHECK_EQ_INT(clk_daypart(day + 6 * CLK_MS_PER_HOUR, 0), EVT_DP_MORNING);
	CHECK_EQ_INT(clk_daypart(day + 11 * CLK_MS_PER_HOUR +
			     59 * CLK_MS_PER_MIN,
			 0),
	    EVT_DP_MORNING);
	CHECK_EQ_INT(clk_daypart(day + 12 * CLK_MS_PER_HOUR, 0),
	    EVT_DP_AFTERNOON);
	CHECK_EQ_INT(clk_daypart(day + 17 * CLK_MS_PER_HOUR +
			     59 * CLK_MS_PER_MIN,
			 0),
	    EVT_DP_AFTERNOON);
	CHECK_EQ_INT(clk_daypart(day + 18 * CLK_MS_PER_HOUR, 0),
	    EVT_DP_EVENING);
	/* Half-hour offsets: 00:00Z at +05:30 is 05:30 (night), +06:00 morning. */
	CHECK_EQ_INT(clk_daypart(day, 330), EVT_DP_NIGHT);
	CHECK_EQ_INT(clk_daypart(day, 360), EVT_DP_MORNING);
	/* Offset limits. */
	CHECK_EQ_INT(clk_daypart(0, CLK_MAX_TZ_MIN + 1), -EINVAL);
	CHECK_EQ_INT(clk_weekday(0, -CLK_MAX_TZ_MIN - 1), -EINVAL);
	CHECK_EQ_INT(clk_month(0, 100000), -EINVAL);
	CHECK(clk_daypart(0, CLK_MAX_TZ_MIN) >= 0);
}

static void test_extremes(void)
{
	struct clk_civil c;

	CHECK_EQ_INT(clk_civil(INT64_MAX, CLK_MAX_TZ_MIN, &c), 0);
	CHECK(c.month >= 1 && c.month <= 12 && c.weekday < 7 && c.hour < 24);
	CHECK_EQ_INT(clk_civil(INT64_MIN, -CLK_MAX_TZ_MIN, &c), 0);
	CHECK(c.month >= 1 && c.month <= 12 && c.weekday < 7 && c.hour < 24);
	CHECK(c.year < 0);
}

static void test_round_trip(void)
{
	int64_t y0;
	unsigned m0, d0;

	clk_civil_from_days(-1000001, &y0, &m0, &d0);
	for (int64_t z = -1000000; z <= 1000000; z++) {
		int64_t y;
		unsigned m, d;

		clk_civil_from_days(z, &y, &m, &d);
		if (clk_days_from_civil(y, m, d) != z || d < 1 ||
		    d > clk_days_in_month(y, m)) {
			CHECK(!"civil round trip");
			break;
		}
		/* Each day follows the previous one. */
		if (!(d == d0 + 1 ||
			(d == 1 &&
			    (m == m0 + 1 ||
				(m == 1 && m0 == 12 && y == y0 + 1))))) {
			CHECK(!"consecutive days");
			break;
		}
		if (clk_weekday_from_days(z) !=
		    (clk_weekday_from_days(z - 1) + 1) % 7) {
			CHECK(!"consecutive weekdays");
			break;
		}
		y0 = y, m0 = m, d0 = d;
	}
	CHECK_EQ_INT(clk_days_in_month(1900, 2), 28);
	CHECK_EQ_INT(clk_days_in_month(2000, 2), 29);
	CHECK_EQ_INT(clk_days_in_month(2023, 2), 28);
	CHECK_EQ_INT(clk_days_in_month(2024, 13), 0);
}

static void good(const char *s, int64_t want_ms, int want_off)
{
	int64_t ms = 0;
	int off = 9999;
	const char *why = NULL;
	int rc = clk_parse_rfc3339(s, strlen(s), &ms, &off, &why);

	if (rc != 0)
		fprintf(stderr, "'%s': %s\n", s, why);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(ms, want_ms);
	CHECK_EQ_INT(off, want_off);
}

static void bad(const char *s)
{
	int64_t ms = 12345;
	int off = 77;
	const char *why = NULL;

	if (clk_parse_rfc3339(s, strlen(s), &ms, &off, &why) != -EINVAL) {
		fprintf(stderr, "accepted garbage '%s'\n", s);
		CHECK(0);
	}
	CHECK(why != NULL && why[0] != '\0');
	CHECK_EQ_INT(ms, 12345);
	CHECK_EQ_INT(off, 77);
}

static void test_rfc3339(void)
{
	good("2024-03-10T08:30:00Z", 1710059400000LL, 0);
	good("2024-03-10t08:30:00z", 1710059400000LL, 0);
	good("2024-03-10 08:30:00Z", 1710059400000LL, 0);
	good("1985-04-12T23:20:50.52Z", 482196050520LL, 0); /* RFC 3339 5.8 */
	good("1996-12-19T16:39:57-08:00", 851042397000LL,
	    -480);					 /* RFC 3339 5.8 */
	good("1990-12-31T23:59:60Z", 662688000000LL, 0); /* leap second */
	good("1937-01-01T12:00:27.87+00:20", -1041337172130LL, 20);
	good("2024-03-10T08:30:00.123456789+05:30",
	    1710059400000LL + 123 - 330 * CLK_MS_PER_MIN, 330);
	good("2024-03-10T08:30:00.1Z", 1710059400100LL, 0);
	good("1969-12-31T23:59:59.999Z", -1, 0);
	good("2024-02-29T12:00:00Z", 1709208000000LL, 0);
	good("2024-03-10T08:30:00-00:00", 1710059400000LL, 0);

	bad("");
	bad("2024");
	bad("2024-03-10");
	bad("2024-03-10T08:30Z");
	bad("2024-03-10T08:30:00");
	bad("2024-03-10X08:30:00Z");
	bad("2024-3-10T08:30:00Z");
	bad("2024-13-10T08:30:00Z");
	bad("2024-00-10T08:30:00Z");
	bad("2023-02-29T08:30:00Z");
	bad("2024-04-31T08:30:00Z");
	bad("2024-03-10T24:00:00Z");
	bad("2024-03-10T08:60:00Z");
	bad("2024-03-10T08:30:61Z");
	bad("2024-03-10T08:30:00.Z");
	bad("2024-03-10T08:30:00+0530");
	bad("2024-03-10T08:30:00+24:00");
	bad("2024-03-10T08:30:00+05:60");
	bad("2024-03-10T08:30:00Z ");
	bad(" 2024-03-10T08:30:00Z");
	bad("2024-03-10T08:30:00ZZ");
	bad("2024-03-10T08:30:00UTC");
	bad("+2024-03-10T08:30:00Z");
	bad("１９９６-12-19T16:39:57Z");

	/* Length bounds the parse: a valid prefix is not enough. */
	const char *s = "2024-03-10T08:30:00Z";
	int64_t ms;

	CHECK_EQ_INT(clk_parse_rfc3339(s, strlen(s) - 1, &ms, NULL, NULL),
	    -EINVAL);
	CHECK_EQ_INT(clk_parse_rfc3339(NULL, 5, &ms, NULL, NULL), -EINVAL);
}

int main(void)
{
	test_known_instants();
	test_extremes();
	test_round_trip();
	test_rfc3339();
	return check_done("event_clock");
}
