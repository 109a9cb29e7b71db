/*
 * rank_pending: weak stand-ins for rank_run and rank_scratch_size while
 * engine/rank.c has only the strategy names and the defaults. The real
 * definitions, once linked, take precedence; until then eval and simulate
 * build, and stop at their first ranking with "Function not implemented".
 * Remove this file when engine/rank.c defines rank_run.
 */
#include <errno.h>

#include "engine/rank.h"

__attribute__((weak)) size_t rank_scratch_size(unsigned n)
{
	return (size_t)n * 16;
}

__attribute__((weak)) int rank_run(const struct lrn_profile *p,
    const struct lrn_params *lp, const struct rank_params *rp,
    const struct rank_ctx *ctx, const struct rank_cand *c, unsigned n,
    const struct rank_opts *o, void *scratch, size_t scratch_size,
    struct rank_result *out)
{
	(void)p, (void)lp, (void)rp, (void)ctx, (void)c, (void)n, (void)o,
	    (void)scratch, (void)scratch_size, (void)out;
	return -ENOSYS;
}
