/*
 * rng: the one pseudo-random generator of the engine: xoshiro256** seeded
 * through splitmix64. Everything random in penchant (Thompson sampling,
 * epsilon-greedy, k-means++ seeding, mini-batches, bootstrap resampling,
 * the simulator) draws from a struct rng the caller seeds, so a result is
 * a pure function of its inputs and its seed: a replay or a test with a
 * fixed seed gives the same answer on every machine.
 *
 * Not for secrets (keys come from libsodium). Plain state, no globals; a
 * struct rng is used by one thread at a time.
 */
#ifndef PENCHANT_ENGINE_RNG_H
#define PENCHANT_ENGINE_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* splitmix64: one step. Also a good 64-bit mixer for deriving seeds. */
static inline uint64_t rng_mix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Seeds the state; any seed (0 included) gives a valid, distinct stream. */
static inline void rng_seed(struct rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = rng_mix64(&x);
}

static inline uint64_t _rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256**: the next 64 random bits. */
static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = _rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = _rng_rotl(s[3], 45);
	return out;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double rng_uniform(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n > 0, without modulo bias (Lemire). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	__uint128_t m = (__uint128_t)rng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t t = -n % n;
		while (lo < t) {
			m = (__uint128_t)rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* Standard normal (Marsaglia's polar method; one value per call). */
static inline double rng_normal(struct rng *r)
{
	double u, v, s;
	do {
		u = 2.0 * rng_uniform(r) - 1.0;
		v = 2.0 * rng_uniform(r) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	return u * sqrt(-2.0 * log(s) / s);
}

/*
 * Gamma(shape, 1), shape > 0 (Marsaglia and Tsang 2000; shape < 1 by the
 * boost U^(1/shape)).
 */
static inline double rng_gamma(struct rng *r, double shape)
{
	if (shape < 1.0) {
		double u = rng_uniform(r);
		return rng_gamma(r, shape + 1.0) *
		    pow(u > 0 ? u : 0x1.0p-53, 1.0 / shape);
	}
	double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
	for (;;) {
		double x = rng_normal(r), v = 1.0 + c * x;
		if (v <= 0.0)
			continue;
		v = v * v * v;
		double u = rng_uniform(r);
		if (u < 1.0 - 0.0331 * x * x * x * x)
			return d * v;
		if (log(u > 0 ? u : 0x1.0p-53) <
		    0.5 * x * x + d * (1.0 - v + log(v)))
			return d * v;
	}
}

/* Beta(a, b), a, b > 0: the posterior draw of Thompson sampling. */
static inline double rng_beta(struct rng *r, double a, double b)
{
	double x = rng_gamma(r, a), y = rng_gamma(r, b);
	return x + y > 0 ? x / (x + y) : 0.5;
}

#endif
