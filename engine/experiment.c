/*
 * experiment: definitions, assignment and the report (experiment.h).
 */
#include "engine/experiment.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "engine/rank.h"

static bool _name_ok(const char *s)
{
	if (!s[0])
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
			*p == '.'))
			return false;
	return true;
}

__attribute__((format(printf, 3, 4))) static int _bad(char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool _param_ok(float v, float hi)
{
	return v < 0.0f || (isfinite(v) && v <= hi);
}

static int _check_variant(const struct exp_def *d, unsigned i, char *err,
    size_t errlen)
{
	const struct exp_variant *v = &d->v[i];
	if (!_name_ok(v->name))
		return _bad(err, errlen,
		    "%s: variant %u needs a name of [A-Za-z0-9_.-]", d->name,
		    i);
	for (unsigned j = 0; j < i; j++)
		if (!strcmp(d->v[j].name, v->name))
			return _bad(err, errlen,
			    "%s: variant %u repeats a name", d->name, i);
	if (!(v->weight > 0.0f) || !isfinite(v->weight))
		return _bad(err, errlen, "%s: variant %u needs a weight > 0",
		    d->name, i);
	if (!_param_ok(v->epsilon, 1.0f) || !_param_ok(v->mmr_lambda, 1.0f) ||
	    !_param_ok(v->explore_weight, 5.0f) ||
	    !_param_ok(v->dpp_theta, 1.0f))
		return _bad(err, errlen,
		    "%s: variant %u has an override out of range (epsilon, mmr_lambda and dpp_theta 0..1, explore_weight 0..5)",
		    d->name, i);
	if (v->diversifier > RANK_DIV_DPP + 1)
		return _bad(err, errlen,
		    "%s: variant %u has an unknown diversifier", d->name, i);
	return 0;
}

int exp_check(const struct exp_def *d, char *err, size_t errlen)
{
	if (!_name_ok(d->name))
		return _bad(err, errlen,
		    "experiment needs a name of [A-Za-z0-9_.-]");
	if (d->n_variants < 2 || d->n_variants > EXP_VARIANTS)
		return _bad(err, errlen, "%s: needs 2 to %d variants", d->name,
		    EXP_VARIANTS);
	if (d->start_ms && d->stop_ms && d->start_ms >= d->stop_ms)
		return _bad(err, errlen, "%s: start is not before stop",
		    d->name);
	if (d->alloc > EXP_ALLOC_THOMPSON)
		return _bad(err, errlen, "%s: unknown allocation", d->name);
	for (unsigned i = 0; i < d->n_variants; i++) {
		int rc = _check_variant(d, i, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

unsigned exp_bucket(const uint8_t *secret, uint64_t user_key, const char *salt)
{
	unsigned char in[8 + EXP_SALT_MAX + 1], out[8];
	size_t n = strnlen(salt, EXP_SALT_MAX);
	for (unsigned i = 0; i < 8; i++)
		in[i] = (unsigned char)(user_key >> (8 * i));
	memcpy(in + 8, salt, n);
	crypto_shorthash_siphash24(out, in, 8 + n, secret);
	uint64_t h = 0;
	for (unsigned i = 0; i < 8; i++)
		h |= (uint64_t)out[i] << (8 * i);
	return (unsigned)(h % EXP_BUCKETS);
}

int exp_assign(const struct exp_def *d, const uint8_t *secret,
    uint64_t user_key, int64_t now_ms, int segment, const double *weights)
{
	if ((d->start_ms && now_ms < d->start_ms) ||
	    (d->stop_ms && now_ms >= d->stop_ms))
		return -1;
	if (d->segment >= 0 && segment != d->segment)
		return -1;
	double total = 0.0, w[EXP_VARIANTS];
	for (unsigned i = 0; i < d->n_variants; i++) {
		w[i] = weights ? weights[i] : d->v[i].weight;
		total += w[i] > 0.0 ? w[i] : 0.0;
	}
	if (!(total > 0.0))
		return -1;
	double at =
	    (exp_bucket(secret, user_key, d->salt) + 0.5) / EXP_BUCKETS * total;
	double cum = 0.0;
	for (unsigned i = 0; i < d->n_variants; i++) {
		cum += w[i] > 0.0 ? w[i] : 0.0;
		if (at < cum)
			return (int)i;
	}
	return (int)d->n_variants - 1;
}

void exp_look_init(struct exp_look *l)
{
	memset(l, 0, sizeof(*l));
	double tau2 = stat_msprt_tau2(2.0 * 0.05 * 0.95 / 10000.0, 0.05);
	for (unsigned i = 0; i < EXP_VARIANTS; i++)
		stat_msprt_init(&l->ctr[i], tau2, 0.05);
	l->started = true;
}

/* Successes capped at trials: a rate per exposure is at most 1 (the
 * exposure and outcome counters are read one by one, a little apart). */
static uint64_t _cap(uint64_t x, uint64_t n)
{
	return x < n ? x : n;
}

/* Whether two arms' successes differ from all-or-nothing: with none (or
 * all) in both the z test has no variance to go by (its z 0 and p 1
 * would read as "no difference" where nothing is known yet). */
static bool _varied(uint64_t xc, uint64_t nc, uint64_t xt, uint64_t nt)
{
	uint64_t x = _cap(xc, nc) + _cap(xt, nt);
	return x > 0 && x < nc + nt;
}

void exp_look_update(struct exp_look *l, const struct exp_def *d,
    const struct exp_counts *c)
{
	if (!l->started)
		exp_look_init(l);
	for (unsigned i = 1; i < d->n_variants; i++)
		stat_msprt_update_prop(&l->ctr[i],
		    _cap(c[0].clicked, c[0].exposures), c[0].exposures,
		    _cap(c[i].clicked, c[i].exposures), c[i].exposures);
}

/* Mean and unbiased variance of the reward per exposure. */
static void _reward(const struct exp_counts *c, double *mean, double *var)
{
	double n = (double)c->exposures,
	       s = (double)(c->clicks + c->conversions);
	*mean = n > 0 ? s / n : NAN;
	*var = n > 1 ? ((double)c->reward_sq - s * s / n) / (n - 1) : NAN;
	if (*var < 0.0)
		*var = 0.0; /* rounding of the two sums */
}

static void _variant(const struct exp_def *d, const struct exp_counts *c,
    unsigned i, const struct exp_look *l, double alpha,
    struct exp_variant_report *v)
{
	const struct exp_counts *k = &c[0], *t = &c[i];
	double n = (double)t->exposures;
	v->ctr = n > 0 ? (double)_cap(t->clicked, t->exposures) / n : NAN;
	v->conversion =
	    n > 0 ? (double)_cap(t->converted, t->exposures) / n : NAN;
	v->mrr = n > 0 ? t->rr_sum / n : NAN;
	_reward(t, &v->reward_mean, &v->reward_var);
	v->msprt_p = v->msprt_lo = v->msprt_hi = NAN;
	if (i == 0 || !k->exposures || !t->exposures)
		return;
	v->have_z =
	    _varied(k->clicked, k->exposures, t->clicked, t->exposures) &&
	    stat_prop_ztest(_cap(k->clicked, k->exposures), k->exposures,
		_cap(t->clicked, t->exposures), t->exposures, alpha,
		&v->z_ctr) == 0;
	v->have_z_conv =
	    _varied(k->converted, k->exposures, t->converted, t->exposures) &&
	    stat_prop_ztest(_cap(k->converted, k->exposures), k->exposures,
		_cap(t->converted, t->exposures), t->exposures, alpha,
		&v->z_conv) == 0;
	double mc, vc;
	_reward(k, &mc, &vc);
	v->have_welch = k->exposures >= 2 && t->exposures >= 2 &&
	    stat_welch(mc, vc, k->exposures, v->reward_mean, v->reward_var,
		t->exposures, alpha, &v->welch_reward) == 0;
	v->have_bayes = stat_bayes_beta(_cap(k->clicked, k->exposures),
			    k->exposures, _cap(t->clicked, t->exposures),
			    t->exposures, 1.0, 1.0, &v->bayes_ctr) == 0;
	if (l && l->started && l->ctr[i].looks) {
		v->msprt_p = l->ctr[i].p;
		v->msprt_lo = l->ctr[i].lo;
		v->msprt_hi = l->ctr[i].hi;
	}
	(void)d;
}

int exp_report(const struct exp_def *d, const struct exp_counts *c,
    const struct exp_look *l, double alpha, struct exp_report *out)
{
	if (!d || !c || !out || d->n_variants < 2 ||
	    d->n_variants > EXP_VARIANTS || !(alpha > 0.0 && alpha < 1.0))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	uint64_t exposures[EXP_VARIANTS], users[EXP_VARIANTS],
	    clicks[EXP_VARIANTS];
	double weights[EXP_VARIANTS];
	for (unsigned i = 0; i < d->n_variants; i++) {
		exposures[i] = c[i].exposures;
		users[i] = c[i].users;
		clicks[i] = _cap(c[i].clicked, c[i].exposures);
		weights[i] = d->v[i].weight;
		_variant(d, c, i, l, alpha, &out->v[i]);
	}
	/* No users yet: no split to check (chi-square's p 1 would say it
	 * holds). */
	uint64_t all = 0;
	for (unsigned i = 0; i < d->n_variants; i++)
		all += users[i];
	out->have_srm = d->alloc == EXP_ALLOC_FIXED && all > 0 &&
	    stat_srm(users, weights, d->n_variants, &out->srm) == 0;
	out->srm_broken = out->have_srm && out->srm.p < 0.001;
	double best[EXP_VARIANTS];
	if (stat_thompson(clicks, exposures, d->n_variants, 1.0, 1.0, 10000,
		0x5eed, best) == 0)
		for (unsigned i = 0; i < d->n_variants; i++)
			out->v[i].prob_best = best[i];
	return 0;
}
