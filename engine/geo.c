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

/* The even bits of x (bit 0, 2, 4, ...), packed into the low half. */
static uint64_t _even_bits(uint64_t x)
{
	x &= 0x5555555555555555ULL;
	x = (x | x >> 1) & 0x3333333333333333ULL;
	x = (x | x >> 2) & 0x0f0f0f0f0f0f0f0fULL;
	x = (x | x >> 4) & 0x00ff00ff00ff00ffULL;
	x = (x | x >> 8) & 0x0000ffff0000ffffULL;
	return (x | x >> 16) & 0x00000000ffffffffULL;
}

/*
 * The bisection of geo_cell_bounds in closed form: the longitude bits read
 * as an integer i of n bits put the box at [-180 + i w, -180 + (i + 1) w],
 * w = 360 / 2^n, and its centre at -180 + (i + 1/2) w; the same for the
 * latitude. Every step is exact in binary (dyadic numbers, < 40 bits), so
 * the centre is the midpoint of geo_cell_bounds bit for bit, without the
 * loop of 5p dependent branches: the re-ranker wants one per candidate.
 */
int geo_cell_center(uint64_t cell, double *lat, double *lon)
{
	unsigned p = geo_cell_precision(cell);

	if (p == 0)
		return -EINVAL;
	unsigned bits = 5 * p, nlon = (bits + 1) / 2, nlat = bits / 2;
	uint64_t h = _hash_bits(cell, p);
	/* The first bit (longitude) is the most significant: counted from
	 * the least significant, longitude bits are the even ones when the
	 * total is odd. */
	uint64_t ilon = _even_bits(bits & 1 ? h : h >> 1);
	uint64_t ilat = _even_bits(bits & 1 ? h >> 1 : h);

	if (lat)
		*lat = -90.0 +
		    ((double)ilat + 0.5) * (180.0 / (double)(1ULL << nlat));
	if (lon)
		*lon = -180.0 +
		    ((double)ilon + 0.5) * (360.0 / (double)(1ULL << nlon));
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
