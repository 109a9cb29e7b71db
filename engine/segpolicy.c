/*
 * segpolicy: what a segment is called and how it is served (segpolicy.h).
 */
#include "engine/segpolicy.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/event.h"
#include "engine/rank.h"

__attribute__((format(printf, 3, 4))) static void _msg(char *err, size_t errlen,
    const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const char *const _strategy_names[SP_STRATEGY_COUNT] = {
	"interest_focused",
	"social_driven",
	"exploration_heavy",
	"location_centric",
};

const char *sp_strategy_name(unsigned s)
{
	return s < SP_STRATEGY_COUNT ? _strategy_names[s] : NULL;
}

int sp_strategy_parse(const char *s, size_t len)
{
	for (unsigned i = 0; s && i < SP_STRATEGY_COUNT; i++)
		if (strlen(_strategy_names[i]) == len &&
		    !strncmp(s, _strategy_names[i], len))
			return (int)i;
	return -1;
}

struct sp_params sp_params_of(unsigned strategy)
{
	/* epsilon, mmr_lambda, explore_weight, context_weight */
	switch (strategy) {
	case SP_SOCIAL_DRIVEN:
		return (struct sp_params){ 0.05f, 0.8f, 0.5f, 1.5f };
	case SP_EXPLORATION_HEAVY:
		return (struct sp_params){ 0.15f, 0.6f, 1.0f, 1.0f };
	case SP_LOCATION_CENTRIC:
		return (struct sp_params){ 0.03f, 0.85f, 0.3f, 1.5f };
	default: return (struct sp_params){ 0.02f, 0.9f, 0.3f, 1.0f };
	}
}

/* --- overrides ----------------------------------------------------------- */

/* A bit per key an override may give (0: no such key). */
static unsigned _key_bit(const char *k)
{
	static const char *const keys[] = { "name", "strategy", "diversifier",
		"epsilon", "mmr_lambda", "explore_weight", "context_weight",
		"dpp_theta" };
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(k, keys[i]))
			return 1u << i;
	return 0;
}

static int _override(const char *e, size_t len, struct sp_override *o,
    char *err, size_t errlen)
{
	char buf[256];
	if (len >= sizeof(buf)) {
		_msg(err, errlen, "override too long");
		return -EINVAL;
	}
	memcpy(buf, e, len);
	buf[len] = 0;
	memset(o, 0, sizeof(*o));
	o->strategy = o->diversifier = -1;
	o->epsilon = o->mmr_lambda = o->explore_weight = o->context_weight =
	    o->dpp_theta = -1.0f;
	char *colon = strchr(buf, ':'), *end;
	unsigned long id = strtoul(buf, &end, 10);
	if (!colon || end != colon || id == 0 || id > 1000000) {
		_msg(err, errlen,
		    "bad override '%.60s' (expected ID:key=value;...)", buf);
		return -EINVAL;
	}
	o->id = (uint32_t)id;
	unsigned seen = 0, keys = 0; /* each key once: two would be a slip */
	for (char *kv = strtok(colon + 1, ";"); kv; kv = strtok(NULL, ";")) {
		while (*kv == ' ')
			kv++;
		char *eq = strchr(kv, '=');
		if (!eq) {
			_msg(err, errlen, "segment %lu: '%s' is not key=value",
			    id, kv);
			return -EINVAL;
		}
		*eq = 0;
		const char *v = eq + 1;
		unsigned bit = _key_bit(kv);
		if (bit & seen) {
			_msg(err, errlen, "segment %lu: '%s' given twice", id,
			    kv);
			return -EINVAL;
		}
		seen |= bit;
		keys++;
		if (!strcmp(kv, "name")) {
			/* Shown on the page, in JSON and in metric labels. */
			if (!*v || strlen(v) > SP_NAME_MAX ||
			    !evt_text_ok(v, strlen(v))) {
				_msg(err, errlen,
				    "segment %lu: a name of 1..%d bytes of UTF-8 text",
				    id, SP_NAME_MAX);
				return -EINVAL;
			}
			snprintf(o->name, sizeof(o->name), "%s", v);
			continue;
		}
		if (!strcmp(kv, "strategy")) {
			o->strategy = sp_strategy_parse(v, strlen(v));
			if (o->strategy < 0) {
				_msg(err, errlen,
				    "segment %lu: strategy '%s' is not one of interest_focused, social_driven, exploration_heavy, location_centric",
				    id, v);
				return -EINVAL;
			}
			continue;
		}
		if (!strcmp(kv, "diversifier")) {
			o->diversifier = rank_diversifier_parse(v, strlen(v));
			if (o->diversifier < 0) {
				_msg(err, errlen,
				    "segment %lu: diversifier '%s' is not one of mmr, dpp",
				    id, v);
				return -EINVAL;
			}
			continue;
		}
		float *f = !strcmp(kv, "epsilon")   ? &o->epsilon
		    : !strcmp(kv, "mmr_lambda")	    ? &o->mmr_lambda
		    : !strcmp(kv, "explore_weight") ? &o->explore_weight
		    : !strcmp(kv, "context_weight") ? &o->context_weight
		    : !strcmp(kv, "dpp_theta")	    ? &o->dpp_theta
						    : NULL;
		/* Probabilities and the diversifiers' weights are 0..1 (as
		 * their settings), the other weights 0..5. */
		double hi = f == &o->epsilon || f == &o->mmr_lambda ||
			f == &o->dpp_theta
		    ? 1.0
		    : 5.0;
		/* decimal digits (strtod takes blanks, '+' and hex too) */
		bool digits = isdigit((unsigned char)v[0]) ||
		    (v[0] == '.' && isdigit((unsigned char)v[1]));
		char *vend = (char *)v; /* no number read: refused below */
		double x =
		    digits && !strpbrk(v, "xXpP") ? strtod(v, &vend) : NAN;
		if (!f || vend == v || *vend || !isfinite(x) || x < 0 ||
		    x > hi) {
			_msg(err, errlen,
			    "segment %lu: '%s=%s' (keys: name strategy diversifier, epsilon mmr_lambda and dpp_theta 0..1, explore_weight and context_weight 0..5)",
			    id, kv, v);
			return -EINVAL;
		}
		*f = (float)x;
	}
	if (!keys) {
		_msg(err, errlen, "segment %lu: no key=value after the ':'",
		    id);
		return -EINVAL;
	}
	return 0;
}

int sp_overrides_parse(const char *list, struct sp_override *out, unsigned cap,
    char *err, size_t errlen)
{
	unsigned n = 0;
	uint32_t ids[SP_OVERRIDES_MAX];
	while (list && *list) {
		const char *comma = strchr(list, ',');
		size_t len = comma ? (size_t)(comma - list) : strlen(list);
		while (len && *list == ' ') {
			list++;
			len--;
		}
		if (len) {
			struct sp_override o;
			int rc = _override(list, len, &o, err, errlen);
			if (rc)
				return rc;
			for (unsigned i = 0; i < n; i++)
				if (ids[i] == o.id) {
					_msg(err, errlen,
					    "segment %u is overridden twice (one ID:key=value;... entry a segment)",
					    o.id);
					return -EINVAL;
				}
			if (n == SP_OVERRIDES_MAX) {
				_msg(err, errlen, "more than %d overrides",
				    SP_OVERRIDES_MAX);
				return -EINVAL;
			}
			if (out && n < cap)
				out[n] = o;
			ids[n++] = o.id;
		}
		list += len + (comma ? 1 : 0);
		if (!comma)
			break;
	}
	return (int)n;
}

/* --- naming --------------------------------------------------------------- */

/* The word for a feature standing out (z above +0.5) in a centroid. */
static const char *const _trait[FEAT_COUNT] = {
	[FEAT_ACTIVITY] = "frequent",
	[FEAT_DIVERSITY] = "eclectic",
	[FEAT_SOCIAL] = "social",
	[FEAT_EXPLORATION] = "exploring",
	[FEAT_INTERESTS] = "broad",
	[FEAT_STABILITY] = "loyal",
	[FEAT_FEEDBACK] = "vocal",
	[FEAT_NIGHT] = "night",
	[FEAT_MORNING] = "morning",
	[FEAT_AFTERNOON] = "afternoon",
	[FEAT_EVENING] = "evening",
	[FEAT_ENGAGEMENT] = "lapsing",
	[FEAT_SESSION] = "long-session",
	[FEAT_CLICK_RATE] = "clicking",
	[FEAT_ACT_RATE] = "committed",
	[FEAT_LOCALITY] = "local",
};
/* ...and for one standing out low (z below -0.5), where it says much. */
static const char *const _low[FEAT_COUNT] = {
	[FEAT_ACTIVITY] = "occasional",
	[FEAT_DIVERSITY] = "focused",
	[FEAT_STABILITY] = "shifting",
	[FEAT_ENGAGEMENT] = "engaged",
};

/*
 * "evening social explorers": the strongest daypart trait (if any), then
 * the two strongest other traits, and a noun from the strategy.
 */
void sp_name(const float *z, unsigned strategy, char *out, size_t len)
{
	static const char *const nouns[SP_STRATEGY_COUNT] = { "fans",
		"socialisers", "explorers", "locals" };
	int dp = -1, a = -1, b = -1;
	float adp = 0.5f, aa = 0.5f, ab = 0.5f;
	for (int i = 0; i < FEAT_COUNT; i++) {
		bool daypart = i >= FEAT_NIGHT && i <= FEAT_EVENING;
		/* the noun says it already: no "social socialisers" */
		if ((strategy == SP_SOCIAL_DRIVEN && i == FEAT_SOCIAL) ||
		    (strategy == SP_EXPLORATION_HEAVY &&
			(i == FEAT_EXPLORATION || i == FEAT_DIVERSITY)) ||
		    (strategy == SP_LOCATION_CENTRIC && i == FEAT_LOCALITY))
			continue;
		float s = z[i] > 0 ? z[i] : (_low[i] ? -z[i] : 0.0f);
		if (daypart) {
			if (z[i] > adp) {
				adp = z[i];
				dp = i;
			}
			continue;
		}
		if (s > aa) {
			b = a;
			ab = aa;
			a = i;
			aa = s;
		} else if (s > ab) {
			b = i;
			ab = s;
		}
	}
	const char *w[3];
	unsigned n = 0;
	if (dp >= 0)
		w[n++] = _trait[dp];
	if (a >= 0)
		w[n++] = z[a] > 0 ? _trait[a] : _low[a];
	if (b >= 0 && n < 3)
		w[n++] = z[b] > 0 ? _trait[b] : _low[b];
	size_t at = 0;
	out[0] = 0;
	for (unsigned i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(out + at, len - at, "%s ", w[i]);
	if (at < len)
		snprintf(out + at, len - at, "%s", nouns[strategy]);
}

/* The problem statement's four strategies, by the centroid's traits. */
unsigned sp_strategy_of(const float *z)
{
	float expl = z[FEAT_EXPLORATION] > z[FEAT_DIVERSITY]
	    ? z[FEAT_EXPLORATION]
	    : z[FEAT_DIVERSITY];
	float best = 0.5f;
	unsigned s = SP_INTEREST_FOCUSED;
	if (z[FEAT_SOCIAL] > best) {
		best = z[FEAT_SOCIAL];
		s = SP_SOCIAL_DRIVEN;
	}
	if (expl > best) {
		best = expl;
		s = SP_EXPLORATION_HEAVY;
	}
	if (z[FEAT_LOCALITY] > best)
		s = SP_LOCATION_CENTRIC;
	return s;
}
