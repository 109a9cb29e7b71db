/*
 * geo: coarse location cells. A location is stored only as a geohash cell,
 * never as raw coordinates (privacy: DESIGN.md, "coarse location").
 *
 * A cell is a uint64_t:
 *
 *   bits 63 .. 64-5p   the 5*p geohash bits, most significant first
 *                      (bit 63 is the first longitude bit)
 *   bits 63-5p .. 4    zero
 *   bits  3 .. 0       the precision p, 1..12 characters
 *
 * The hash bits are left-aligned, so a cell's parent at a coarser precision
 * q is the same top 5*q bits (geo_cell_parent), and the precision nibble
 * keeps "u4p" and "u4p0" distinct. 0 is never a valid cell: it means "no
 * location". The text form is the standard base32 geohash
 * ("0123456789bcdefghjkmnpqrstuvwxyz"), so (57.64911, 10.40744) at precision
 * 11 is "u4pruydqqvj".
 *
 * Errors are negative errno values; nothing here prints or keeps state.
 * Any process may call anything here.
 */
#ifndef PENCHANT_ENGINE_GEO_H
#define PENCHANT_ENGINE_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GEO_MIN_PRECISION 1
#define GEO_MAX_PRECISION 12
#define GEO_NO_CELL 0ULL

/* True when lat is in [-90, 90] and lon in [-180, 180] (NaN is not). */
bool geo_valid(double lat, double lon);

/*
 * Cell of (lat, lon) at `precision` characters. Returns 0 and sets *cell, or
 * -EINVAL when a coordinate is NaN, infinite or out of range, or precision is
 * not 1..12 (*cell untouched). The upper edges (lat 90, lon 180) fall in the
 * last cell of their row/column, like every geohash implementation.
 */
int geo_encode(double lat, double lon, unsigned precision, uint64_t *cell);

/* Precision of a cell, 1..12; 0 when `cell` is not a well-formed cell. */
unsigned geo_cell_precision(uint64_t cell);

/* The cell containing `cell` at a coarser (or equal) precision; 0 when
 * `cell` is malformed or precision is not 1..geo_cell_precision(cell). */
uint64_t geo_cell_parent(uint64_t cell, unsigned precision);

/*
 * Writes the geohash text of `cell` plus a NUL into buf (needs precision + 1
 * bytes; 13 always suffices). Returns the number of characters written
 * (without the NUL), -EINVAL for a malformed cell, -ENOSPC when buflen is
 * too small.
 */
int geo_cell_to_string(uint64_t cell, char *buf, size_t buflen);

/*
 * Parses geohash text of 1..12 characters (case-insensitive) into a cell.
 * Returns 0, or -EINVAL for a bad length or a character outside the geohash
 * alphabet (which has no a, i, l, o).
 */
int geo_cell_from_string(const char *s, size_t len, uint64_t *cell);

/*
 * Bounding box of a cell: latitude [lat_min, lat_max], longitude
 * [lon_min, lon_max]. Returns 0, or -EINVAL for a malformed cell. Outputs
 * may be NULL.
 */
int geo_cell_bounds(uint64_t cell, double *lat_min, double *lat_max,
    double *lon_min, double *lon_max);

/*
 * Centre of a cell's box (the midpoints of geo_cell_bounds): the point a
 * cell stands for when a distance is needed. Returns 0, or -EINVAL for a
 * malformed cell (outputs untouched). Outputs may be NULL.
 */
int geo_cell_center(uint64_t cell, double *lat, double *lon);

/* Mean Earth radius (IUGG), km: the sphere geo_distance_km measures on. */
#define GEO_EARTH_RADIUS_KM 6371.0088

/*
 * Great-circle distance in km between two points in degrees, by the
 * haversine formula on a sphere of GEO_EARTH_RADIUS_KM (within 0.5 % of
 * the ellipsoid's distance). Symmetric, 0 for equal points, at most half
 * the circumference (antipodes); stable for short distances, where the
 * spherical law of cosines loses its digits. Coordinates are not checked
 * (geo_valid): a NaN gives NaN.
 */
double geo_distance_km(double lat1, double lon1, double lat2, double lon2);

#endif
