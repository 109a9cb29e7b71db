/*
 * learn_diff: the learner of this tree against the learner of another
 * revision (its global symbols renamed old_*, scripts/learn-diff.sh), on
 * random events of every kind, every byte of the profile compared after
 * each event. A change meant to make the learner faster, not different,
 * must pass it: rounding, order of additions, a lane read stale, all show
 * up as a differing byte.
 *
 * usage: learn_diff [EVENTS [SEED]]; exit 0 identical, 1 a difference.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/event.h"
#include "engine/learn.h"

void old_lrn_apply(struct lrn_profile *p, const struct lrn_params *prm,
    const struct evt_record *e, const struct lrn_item *item);
void old_lrn_consent(struct lrn_profile *p, uint8_t consent);
void old_lrn_settle(struct lrn_profile *p, const struct lrn_params *prm,
    size_t bytes);

#define _PROFILES 96
#define _PARAMS 4

struct _rng {
	uint64_t x;
};

static uint64_t _next(struct _rng *r)
{
	r->x ^= r->x << 13;
	r->x ^= r->x >> 7;
	r->x ^= r->x << 17;
	return r->x;
}

static unsigned _below(struct _rng *r, unsigned n)
{
	return (unsigned)(_next(r) % n);
}

/* Gaps of event time from nothing to months, and late events: each path
 * of the hourly grid (same hour, next hour, beyond the tabled spans, an
 * hour before the tables') gets its share. */
static int64_t _gap(struct _rng *r)
{
	switch (_below(r, 12)) {
	case 0: return 0;
	case 1: return _below(r, 1000);
	case 2:
	case 3: return (int64_t)_below(r, 60) * 1000;
	case 4: return (int64_t)_below(r, 3600) * 1000;
	case 5:
	case 6: return (int64_t)_below(r, 86400) * 1000;
	case 7: return (int64_t)_below(r, 30 * 86400) * 1000;
	case 8: return (int64_t)_below(r, 200 * 86400) * 1000;
	case 9: return -(int64_t)_below(r, 3600 * 1000);
	case 10: return -(int64_t)_below(r, 20 * 86400) * 1000;
	default: return 3600000LL + _below(r, 1000);
	}
}

/* Defaults, and three settings that reach other paths: custom verbs,
 * repeat_plain, a small impression memory, quick drift and admission;
 * no decay at all; fast decay with a large learning rate. */
static void _params(struct lrn_params *prm)
{
	lrn_params_default(&prm[0]);
	prm[1] = prm[0];
	for (unsigned k = 0; k < EVT_CUSTOM_VERBS; k++)
		prm[1].verb_signal[k] = (k & 1 ? -0.3 : 0.4) * (k + 1) / 3.0;
	prm[1].repeat_plain = true;
	prm[1].seen_impressions_max = 3;
	prm[1].drift_min_events = 5;
	prm[1].drift_min_short = 0.5;
	prm[1].admit_events = 1;
	prm[1].decay_per_day = 0.5;
	prm[1].short_half_life_h = 2.0;
	prm[2] = prm[0];
	prm[2].decay_per_day = 1.0;
	prm[2].long_decay_per_day = 1.0;
	prm[2].drift_pull_decay_per_day = 1.0;
	prm[2].seen_impressions_max = 0;
	prm[2].admit_events = 3;
	prm[2].admit_gap_h = 0;
	prm[2].drift_min_events = 10;
	prm[2].kl_threshold = 0.05;
	prm[2].kl_release = 0.02;
	prm[3] = prm[0];
	prm[3].decay_per_day = 0.01;
	prm[3].short_half_life_h = 720;
	prm[3].geo_half_life_days = 1;
	prm[3].learning_rate = 1.0;
	prm[3].drift_min_events = 3;
	prm[3].verb_signal[2] = 2.0;
	for (unsigned i = 1; i < _PARAMS; i++)
		lrn_params_derive(&prm[i]);
}

int main(int argc, char **argv)
{
	static struct lrn_profile a[_PROFILES], b[_PROFILES];
	static int64_t now[_PROFILES];
	struct lrn_params prm[_PARAMS];
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	struct _rng r = { argc > 2 ? strtoull(argv[2], NULL, 10) | 1
				   : 88172645463325252ULL };
	uint32_t tags[40], cats[14];
	uint64_t ents[48], cells[6];

	_params(prm);
	/* Small pools: ids recur, tables fill, candidates churn, entities
	 * are seen again. */
	for (unsigned i = 0; i < 40; i++)
		tags[i] = (uint32_t)_next(&r) | 1;
	for (unsigned i = 0; i < 14; i++)
		cats[i] = (uint32_t)_next(&r) | 1;
	for (unsigned i = 0; i < 48; i++)
		ents[i] = _next(&r) | 1;
	for (unsigned i = 0; i < 6; i++)
		cells[i] = _next(&r) | 1;
	for (unsigned i = 0; i < _PROFILES; i++) {
		lrn_profile_init(&a[i], _next(&r));
		b[i] = a[i];
		now[i] = 946684800000LL +
		    (int64_t)(_next(&r) % (40ULL * 365 * 86400000ULL));
	}
	for (uint64_t it = 0; it < n; it++) {
		unsigned u = _below(&r, _PROFILES);
		const struct lrn_params *p = &prm[u % _PARAMS];
		struct evt_record e;
		struct lrn_item item;

		if (_below(&r, 4000) == 0) {
			lrn_profile_init(&a[u], a[u].user_key);
			b[u] = a[u];
		}
		if (_below(&r, 300) == 0) {
			uint8_t c = _below(&r, 2)
			    ? (uint8_t)_next(&r)
			    : (uint8_t)(EVT_CONSENT_SET(EVT_PURPOSES) |
				  EVT_PURPOSES);
			lrn_consent(&a[u], c);
			old_lrn_consent(&b[u], c);
		}
		memset(&e, 0, sizeof(e));
		e.user_key = a[u].user_key;
		now[u] += _gap(&r);
		e.time_ms = now[u];
		unsigned t = _below(&r, 100);
		e.type = t < 30 ? EVT_VIEW
		    : t < 45	? EVT_CLICK
		    : t < 55	? EVT_IMPRESSION
		    : t < 95	? (uint8_t)_below(&r, EVT_TYPE_COUNT)
		    : t < 97	? EVT_FEEDBACK
				: (uint8_t)_below(&r, 256);
		e.feedback = (int8_t)((int)_below(&r, 3) - 1);
		e.entity_type = (uint8_t)_below(&r, 6);
		if (_below(&r, 3) == 0)
			e.rec_type = (uint16_t)_below(&r, 3);
		if (_below(&r, 3) == 0)
			e.position =
			    (uint16_t)(_below(&r, 4) ? _below(&r, 12)
						     : _below(&r, 70000));
		if (_below(&r, 3) == 0)
			e.dwell_ms = _below(&r, 4) ? _below(&r, 120000)
						   : (uint32_t)_next(&r);
		switch (_below(&r, 6)) {
		case 0:
			e.scroll_depth = (float)_below(&r, 1500) / 1000.0f;
			break;
		case 1: e.scroll_depth = NAN; break;
		case 2: e.scroll_depth = 0.0f; break;
		default: e.scroll_depth = -1.0f;
		}
		e.entity_key = _below(&r, 8) ? ents[_below(&r, 48)]
		    : _below(&r, 2)	     ? 0
					     : _next(&r);
		if (_below(&r, 3) == 0 && _below(&r, 5) == 0)
			e.session_key = _next(&r) % 4;
		e.geo_cell = _below(&r, 3) ? cells[_below(&r, 6)] : 0;
		if (_below(&r, 3) == 0)
			e.tz_offset_min =
			    (int16_t)((int)_below(&r, 1681) - 840);
		e.daypart = (uint8_t)(_below(&r, 20) ? _below(&r, EVT_DP_COUNT)
						     : _below(&r, 256));
		e.weekday =
		    (uint8_t)(_below(&r, 20) ? _below(&r, 7) : _below(&r, 256));
		e.month =
		    (uint8_t)(_below(&r, 4) ? _below(&r, 13) : _below(&r, 256));
		e.device = (uint8_t)(_below(&r, 10) ? _below(&r, EVT_DEV_COUNT)
						    : _below(&r, 256));
		e.platform =
		    (uint8_t)(_below(&r, 10) ? _below(&r, EVT_PLAT_COUNT)
					     : _below(&r, 256));
		memset(&item, 0, sizeof(item));
		const struct lrn_item *ip = _below(&r, 12) ? &item : NULL;
		item.category = _below(&r, 10) ? cats[_below(&r, 14)] : 0;
		/* n_tags past LRN_ITEM_TAGS, zero ids and repeats too */
		item.n_tags =
		    (uint8_t)(_below(&r, 10) ? _below(&r, 6) : _below(&r, 12));
		for (unsigned k = 0; k < LRN_ITEM_TAGS; k++)
			item.tags[k] = _below(&r, 15) ? tags[_below(&r, 40)]
			    : _below(&r, 2)	      ? 0
						      : tags[0];
		lrn_apply(&a[u], p, &e, ip);
		old_lrn_apply(&b[u], p, &e, ip);
		if (memcmp(&a[u], &b[u], sizeof(a[u])) != 0) {
			const unsigned char *x = (const void *)&a[u],
					    *y = (const void *)&b[u];
			size_t k = 0;
			while (x[k] == y[k])
				k++;
			printf("learn_diff: event %llu (profile %u, params %u, "
			       "type %u) differs first at byte %zu\n",
			    (unsigned long long)it, u, u % _PARAMS, e.type, k);
			return 1;
		}
		if ((it & 63) == 0) { /* what readers compute agrees too */
			struct lrn_profile sa = a[u], sb = b[u];
			lrn_settle(&sa, p, sizeof(sa));
			old_lrn_settle(&sb, p, sizeof(sb));
			if (memcmp(&sa, &sb, sizeof(sa)) != 0) {
				printf("learn_diff: settle differs after "
				       "event %llu\n",
				    (unsigned long long)it);
				return 1;
			}
		}
	}
	unsigned drifted = 0, churned = 0;
	for (unsigned i = 0; i < _PROFILES; i++) {
		drifted += a[i].drift_count > 0;
		churned += a[i].displaced > 0;
	}
	printf("learn_diff: %llu events identical (%u of %u profiles "
	       "drifted, %u had candidates displaced)\n",
	    (unsigned long long)n, drifted, _PROFILES, churned);
	return 0;
}
