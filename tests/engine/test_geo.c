/* geo: geohash cells against known geohash strings, text round trips,
 * precision packing, parents, bounds, centres, great-circle distances and
 * input validation. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "engine/geo.h"

static void known(double lat, double lon, const char *want)
{
	unsigned p = (unsigned)strlen(want);
	uint64_t cell = 0, back = 0;
	char buf[GEO_MAX_PRECISION + 1];

	CHECK_EQ_INT(geo_encode(lat, lon, p, &cell), 0);
	CHECK(cell != GEO_NO_CELL);
	CHECK_EQ_INT(geo_cell_precision(cell), p);
	CHECK_EQ_INT(geo_cell_to_string(cell, buf, sizeof(buf)), (int)p);
	if (strcmp(buf, want) != 0) {
		fprintf(stderr, "(%g, %g): got %s, want %s\n", lat, lon, buf,
		    want);
		CHECK(0);
	}
	CHECK_EQ_INT(geo_cell_from_string(want, p, &back), 0);
	CHECK(back == cell);

	/* The cell's box contains the point. */
	double a, b, c, d;

	CHECK_EQ_INT(geo_cell_bounds(cell, &a, &b, &c, &d), 0);
	CHECK(a <= lat && lat <= b && c <= lon && lon <= d);
}

static void test_known(void)
{
	known(57.64911, 10.40744, "u4pruydqqvj"); /* geohash.org example */
	known(42.6, -5.6, "ezs42");		  /* Wikipedia example */
	/* Derived from the definition: (0, 0) takes the upper half of both
	 * ranges first (11000 = 's'), then the lower half forever ('0'). */
	known(0.0, 0.0, "s00000000000");
	known(-90.0, -180.0, "000000"); /* all lower halves */
	known(90.0, 180.0, "zzzzzz");	/* all upper halves */
	/* Just below (0, 0): lower, then upper halves forever: 01111 = '7'. */
	known(-0.000001, -0.000001, "7zz");
	known(48.8583, 2.2945, "u09tunqu1");   /* Eiffel Tower */
	known(40.6892, -74.0445, "dr5r7p4");   /* Statue of Liberty */
	known(-33.8568, 151.2153, "r3gx2ux9"); /* Sydney Opera House */
}

static void test_precision_and_parents(void)
{
	uint64_t c11, c3, c5, p3;
	char buf[16];

	CHECK_EQ_INT(geo_encode(57.64911, 10.40744, 11, &c11), 0);
	CHECK_EQ_INT(geo_encode(57.64911, 10.40744, 3, &c3), 0);
	CHECK(c3 != c11);
	p3 = geo_cell_parent(c11, 3);
	CHECK(p3 == c3);
	CHECK_EQ_INT(geo_cell_to_string(p3, buf, sizeof(buf)), 3);
	CHECK(strcmp(buf, "u4p") == 0);
	CHECK(geo_cell_parent(c11, 11) == c11);
	CHECK(geo_cell_parent(c3, 4) == GEO_NO_CELL);
	CHECK(geo_cell_parent(c3, 0) == GEO_NO_CELL);

	/* "0" at precision 1 and "00" at 2 share all hash bits (zero) and
	 * differ only in the precision nibble; neither is the "no cell" 0. */
	uint64_t z1, z2;

	CHECK_EQ_INT(geo_cell_from_string("0", 1, &z1), 0);
	CHECK_EQ_INT(geo_cell_from_string("00", 2, &z2), 0);
	CHECK(z1 != z2 && z1 != 0 && z2 != 0);
	CHECK(z1 == 1 && z2 == 2);

	/* Case-insensitive parse. */
	CHECK_EQ_INT(geo_cell_from_string("U4PRUY", 6, &c5), 0);
	CHECK(c5 == geo_cell_parent(c11, 6));

	/* Precision 12 uses all 60 bits. */
	uint64_t z12;

	CHECK_EQ_INT(geo_cell_from_string("zzzzzzzzzzzz", 12, &z12), 0);
	CHECK(z12 == (~0ULL << 4 | 12));
	CHECK_EQ_INT(geo_cell_to_string(z12, buf, sizeof(buf)), 12);
	CHECK(strcmp(buf, "zzzzzzzzzzzz") == 0);

	/* Bounds of "s" (precision 1): lat [0, 45], lon [0, 45]. */
	uint64_t s1;
	double a, b, c, d;

	CHECK_EQ_INT(geo_cell_from_string("s", 1, &s1), 0);
	CHECK_EQ_INT(geo_cell_bounds(s1, &a, &b, &c, &d), 0);
	CHECK_NEAR(a, 0, 0);
	CHECK_NEAR(b, 45, 0);
	CHECK_NEAR(c, 0, 0);
	CHECK_NEAR(d, 45, 0);
}

static void test_invalid(void)
{
	uint64_t cell = 42;
	char buf[16];

	CHECK_EQ_INT(geo_encode(NAN, 0, 6, &cell), -EINVAL);
	CHECK_EQ_INT(geo_encode(0, NAN, 6, &cell), -EINVAL);
	CHECK_EQ_INT(geo_encode(INFINITY, 0, 6, &cell), -EINVAL);
	CHECK_EQ_INT(geo_encode(90.0001, 0, 6, &cell), -EINVAL);
	CHECK_EQ_INT(geo_encode(-90.0001, 0, 6, &cell), -EINVAL);
	CHECK_EQ_INT(geo_encode(0, 180.0001, 6, &cell), -EINVAL);
	CHECK_EQ_INT(geo_encode(0, -180.0001, 6, &cell), -EINVAL);
	CHECK_EQ_INT(geo_encode(0, 0, 0, &cell), -EINVAL);
	CHECK_EQ_INT(geo_encode(0, 0, 13, &cell), -EINVAL);
	CHECK(cell == 42);
	CHECK(!geo_valid(NAN, 0));
	CHECK(geo_valid(-90, 180));

	CHECK_EQ_INT(geo_cell_from_string("", 0, &cell), -EINVAL);
	CHECK_EQ_INT(geo_cell_from_string("u4pa", 4, &cell),
	    -EINVAL); /* no 'a' */
	CHECK_EQ_INT(geo_cell_from_string("u4pi", 4, &cell), -EINVAL);
	CHECK_EQ_INT(geo_cell_from_string("u4pl", 4, &cell), -EINVAL);
	CHECK_EQ_INT(geo_cell_from_string("u4po", 4, &cell), -EINVAL);
	CHECK_EQ_INT(geo_cell_from_string("u4p ", 4, &cell), -EINVAL);
	CHECK_EQ_INT(geo_cell_from_string("0123456789bcd", 13, &cell), -EINVAL);
	CHECK_EQ_INT(geo_cell_from_string(NULL, 3, &cell), -EINVAL);

	CHECK_EQ_INT(geo_cell_precision(0), 0);
	CHECK_EQ_INT(geo_cell_precision(13), 0);
	CHECK_EQ_INT(geo_cell_precision(1ULL << 40 | 1),
	    0); /* junk below hash */
	CHECK_EQ_INT(geo_cell_to_string(0, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ_INT(geo_cell_bounds(0, NULL, NULL, NULL, NULL), -EINVAL);

	CHECK_EQ_INT(geo_encode(1, 1, 6, &cell), 0);
	CHECK_EQ_INT(geo_cell_to_string(cell, buf, 6), -ENOSPC);
	CHECK_EQ_INT(geo_cell_to_string(cell, buf, 7), 6);
}

static void test_center(void)
{
	uint64_t s1, cell;
	double lat = 7, lon = 7;

	/* "s" is lat [0, 45], lon [0, 45]. */
	CHECK_EQ_INT(geo_cell_from_string("s", 1, &s1), 0);
	CHECK_EQ_INT(geo_cell_center(s1, &lat, &lon), 0);
	CHECK_NEAR(lat, 22.5, 0);
	CHECK_NEAR(lon, 22.5, 0);
	CHECK_EQ_INT(geo_cell_center(s1, NULL, NULL), 0);

	/* A fine cell's centre is within half its box of the point. */
	CHECK_EQ_INT(geo_encode(48.8583, 2.2945, 9, &cell), 0);
	CHECK_EQ_INT(geo_cell_center(cell, &lat, &lon), 0);
	CHECK_NEAR(lat, 48.8583, 0.0001);
	CHECK_NEAR(lon, 2.2945, 0.0001);

	/* Every precision, cells all over: the midpoints of the bounds,
	 * exactly. */
	uint64_t x = 12345;

	for (unsigned i = 0; i < 20000; i++) {
		double a, b, c, d;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		double la = -90.0 + 180.0 * (double)(x >> 11) * 0x1.0p-53;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		double lo = -180.0 + 360.0 * (double)(x >> 11) * 0x1.0p-53;

		REQUIRE(geo_encode(la, lo, 1 + i % 12, &cell) == 0);
		CHECK_EQ_INT(geo_cell_bounds(cell, &a, &b, &c, &d), 0);
		CHECK_EQ_INT(geo_cell_center(cell, &lat, &lon), 0);
		CHECK(lat == (a + b) / 2 && lon == (c + d) / 2);
	}

	lat = lon = 7;
	CHECK_EQ_INT(geo_cell_center(0, &lat, &lon), -EINVAL);
	CHECK_EQ_INT(geo_cell_center(13, &lat, &lon), -EINVAL);
	CHECK(lat == 7 && lon == 7);
}

static void test_distance(void)
{
	const double r = GEO_EARTH_RADIUS_KM;

	CHECK_NEAR(geo_distance_km(10, 20, 10, 20), 0, 0);
	/* One degree of a meridian, a quarter of the equator, antipodes. */
	CHECK_NEAR(geo_distance_km(0, 0, 1, 0), r * M_PI / 180, 1e-9);
	CHECK_NEAR(geo_distance_km(0, 0, 0, 90), r * M_PI / 2, 1e-9);
	CHECK_NEAR(geo_distance_km(0, 0, 0, 180), r * M_PI, 1e-9);
	CHECK_NEAR(geo_distance_km(90, 0, -90, 0), r * M_PI, 1e-9);
	/* Across the antimeridian: 2 degrees of the equator, not 358. */
	CHECK_NEAR(geo_distance_km(0, 179, 0, -179), r * M_PI / 90, 1e-9);
	/* Paris - London (haversine on this sphere: 343.5565 km). */
	CHECK_NEAR(geo_distance_km(48.8566, 2.3522, 51.5074, -0.1278),
	    343.5565349, 1e-6);
	CHECK_NEAR(geo_distance_km(51.5074, -0.1278, 48.8566, 2.3522),
	    geo_distance_km(48.8566, 2.3522, 51.5074, -0.1278), 1e-9);
	/* Short distances keep their digits: 1e-6 degree is 11 cm. */
	CHECK_NEAR(geo_distance_km(0, 0, 0, 1e-6), r * M_PI / 180 * 1e-6,
	    1e-15);
	CHECK(isnan(geo_distance_km(NAN, 0, 0, 0)));
}

int main(void)
{
	test_known();
	test_precision_and_parents();
	test_invalid();
	test_center();
	test_distance();
	return check_done("event_geo");
}
