/*
 * geo: geohash cells packed into a uint64_t (layout in geo.h). Encoding is
 * the textbook bisection: each bit halves the longitude range (even bits) or
 * the latitude range (odd bits), taking the upper half when the coordinate
 * is >= the midpoint. Doing it on doubles reproduces the reference
 * implementations bit for bit, which an integer quantization may not at
 * cell edges.
 */
#include "engine/geo.h"

#include <errno.h>
#include <math.h>

static const char _alphabet[32] = "0123456789bcdefghjkmnpqrstuvwxyz";

bool geo_valid(double lat, double lon)
{
	/* Comparisons are false for NaN, so NaN fails here. */
	return lat >= -90.0 && lat <= 90.0 && lon >= -180.0 && lon <= 180.0;
}

static uint64_t _pack(uint64_t bits, unsigned precision)
{
	return (bits << (64 - 5 * precision)) | precision;
}

int geo_encode(double lat, double lon, unsigned precision, uint64_t *cell)
{
	double lo[2] = { -180.0, -90.0 }, hi[2] = { 180.0, 90.0 };
	double v[2] = { lon, lat };
	uint64_t bits = 0;

	if (precision < GEO_MIN_PRECISION || precision > GEO_MAX_PRECISION ||
	    !geo_valid(lat, lon))
		return -EINVAL;
	for (unsigned i = 0; i < 5 * precision; i++) {
		unsigned k = i & 1; /* 0: longitude, 1: latitude */
		double mid = (lo[k] + hi[k]) / 2;

		bits <<= 1;
		if (v[k] >= mid) {
			bits |= 1;
			lo[k] = mid;
		} else {
			hi[k] = mid;
		}
	}
	*cell = _pack(bits, precision);
	return 0;
}

unsigned geo_cell_precision(uint64_t cell)
{
	unsigned p = (unsigned)(cell & 0xf);

	if (p < GEO_MIN_PRECISION || p > GEO_MAX_PRECISION)
		return 0;
	/* The bits between the hash and the nibble must be zero. */
	uint64_t middle = cell & ~0xfULL;

	if (p < GEO_MAX_PRECISION && (middle << (5 * p)) != 0)
		return 0;
	return p;
}

static uint64_t _hash_bits(uint64_t cell, unsigned precision)
{
	return cell >> (64 - 5 * precision);
}

uint64_t geo_cell_parent(uint64_t cell, unsigned precision)
{
	unsigned p = geo_cell_precision(cell);

	if (p == 0 || precision < GEO_MIN_PRECISION || precision > p)
		return GEO_NO_CELL;
	return _pack(_hash_bits(cell, precision), precision);
}

int geo_cell_to_string(uint64_t cell, char *buf, size_t buflen)
{
	unsigned p = geo_cell_precision(cell);

	if (p == 0)
		return -EINVAL;
	if (!buf || buflen < (size_t)p + 1)
		return -ENOSPC;
	for (unsigned i = 0; i < p; i++)
		buf[i] = _alphabet[(cell >> (59 - 5 * i)) & 31];
	buf[p] = '\0';
	return (int)p;
}

static int _digit(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		ch = (char)(ch - 'A' + 'a');
	for (int i = 0; i < 32; i++)
		if (_alphabet[i] == ch)
			return i;
	return -1;
}

int geo_cell_from_string(const char *s, size_t len, uint64_t *cell)
{
	uint64_t bits = 0;

	if (!s || len < GEO_MIN_PRECISION || len > GEO_MAX_PRECISION)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int d = _digit(s[i]);

		if (d < 0)
			return -EINVAL;
		bits = bits << 5 | (uint64_t)d;
	}
	*cell = _pack(bits, (unsigned)len);
	return 0;
}

int geo_cell_bounds(uint64_t cell, double *lat_min, double *lat_max,
    double *lon_min, double *lon_max)
{
	double lo[2] = { -180.0, -90.0 }, hi[2] = { 180.0, 90.0 };
	unsigned p = geo_cell_precision(cell);

	if (p == 0)
		return -EINVAL;
	for (unsigned i = 0; i < 5 * p; i++) {
		unsigned k = i & 1;
		double mid = (lo[k] + hi[k]) / 2;

		if ((cell >> (63 - i)) & 1)
			lo[k] = mid;
		else
			hi[k] = mid;
	}
	if (lat_min)
		*lat_min = lo[1];
	if (lat_max)
		*lat_max = hi[1];
	if (lon_min)
		*lon_min = lo[0];
	if (lon_max)
		*lon_max = hi[0];
	return 0;
}

int geo_cell_center(uint64_t cell, double *lat, double *lon)
{
	double a, b, c, d;
	int rc = geo_cell_bounds(cell, &a, &b, &c, &d);

	if (rc < 0)
		return rc;
	if (lat)
		*lat = (a + b) / 2;
	if (lon)
		*lon = (c + d) / 2;
	return 0;
}

double geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
	const double rad = M_PI / 180.0;
	double sdlat = sin((lat2 - lat1) * rad / 2);
	double sdlon = sin((lon2 - lon1) * rad / 2);
	double h =
	    sdlat * sdlat + cos(lat1 * rad) * cos(lat2 * rad) * sdlon * sdlon;

	/* Rounding can push h a hair above 1 near the antipodes. */
	if (h > 1.0)
		h = 1.0;
	return 2.0 * GEO_EARTH_RADIUS_KM * asin(sqrt(h));
}
