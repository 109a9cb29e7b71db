/*
 * rank: the contextual re-ranker (contract in rank.h).
 */
#include "engine/rank.h"

#include <assert.h>
#include <string.h>

void rank_params_default(struct rank_params *p)
{
	assert(p != NULL);
	memset(p, 0, sizeof(*p));
#define _PD(n, def, lo, hi, h) p->n = (def);
#define _PU(n, def, lo, hi, h) p->n = (def);
#define _PB(n, def, h) p->n = (def);
	RANK_PARAMS(_PD, _PU, _PB)
#undef _PD
#undef _PU
#undef _PB
}

static const char *const _strategy_names[RANK_STRATEGY_COUNT] = {
	"base",
	"profile",
	"context",
	"explore",
	"diverse",
	"full",
};

const char *rank_strategy_name(unsigned s)
{
	return s < RANK_STRATEGY_COUNT ? _strategy_names[s] : NULL;
}

int rank_strategy_parse(const char *s, size_t len)
{
	if (!s)
		return -1;
	for (unsigned i = 0; i < RANK_STRATEGY_COUNT; i++) {
		const char *n = _strategy_names[i];
		size_t j = 0;
		while (j < len && n[j] &&
		    (s[j] == n[j] || s[j] == n[j] - 'a' + 'A'))
			j++;
		if (j == len && !n[j])
			return (int)i;
	}
	return -1;
}
