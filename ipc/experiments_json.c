/*
 * experiments_json: the experiments report as JSON (experiments_json.h).
 */
#include "ipc/experiments_json.h"

#include <math.h>
#include <stdbool.h>

#include "ipc/profile_json.h"

static void _num(FILE *f, const char *key, double v, bool comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", key);
	if (isfinite(v))
		fprintf(f, "%.10g", v);
	else
		fprintf(f, "null");
}

static void _variant_json(FILE *f, const struct pen_variant *v)
{
	fprintf(f, "{\"name\":");
	client_json_fstr(f, v->name);
	fprintf(f, ",\"users\":%llu", (unsigned long long)v->users);
	fprintf(f,
	    ",\"strategy\":\"%s\",\"exposures\":%llu,\"impressions\":%llu,\"clicks\":%llu,\"conversions\":%llu",
	    v->strategy, (unsigned long long)v->exposures,
	    (unsigned long long)v->impressions, (unsigned long long)v->clicks,
	    (unsigned long long)v->conversions);
	fprintf(f, ",\"clicked\":%llu,\"converted\":%llu",
	    (unsigned long long)v->clicked, (unsigned long long)v->converted);
	if (v->diversifier[0])
		fprintf(f, ",\"diversifier\":\"%s\"", v->diversifier);
	if (v->dpp_theta >= 0.0f)
		_num(f, "dpp_theta", v->dpp_theta, true);
	const struct {
		const char *k;
		double v;
	} nums[] = { { "weight", v->weight }, { "ctr", v->ctr },
		{ "conversion", v->conversion },
		{ "reward_mean", v->reward_mean },
		{ "reward_var", v->reward_var }, { "mrr", v->mrr },
		{ "ctr_diff", v->ctr_diff }, { "ctr_lo", v->ctr_lo },
		{ "ctr_hi", v->ctr_hi }, { "ctr_z", v->ctr_z },
		{ "ctr_p", v->ctr_p }, { "conv_diff", v->conv_diff },
		{ "conv_lo", v->conv_lo }, { "conv_hi", v->conv_hi },
		{ "conv_p", v->conv_p }, { "reward_diff", v->reward_diff },
		{ "reward_lo", v->reward_lo }, { "reward_hi", v->reward_hi },
		{ "reward_t", v->reward_t }, { "reward_df", v->reward_df },
		{ "reward_p", v->reward_p },
		{ "prob_beats_control", v->prob_beats_control },
		{ "expected_loss", v->expected_loss },
		{ "always_valid_p", v->always_valid_p },
		{ "always_valid_lo", v->always_valid_lo },
		{ "always_valid_hi", v->always_valid_hi },
		{ "prob_best", v->prob_best } };
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		_num(f, nums[i].k, nums[i].v, true);
	putc('}', f);
}

void client_experiments_json(FILE *f, const struct pen_experiments *x)
{
	fprintf(f, "{\"version\":%llu,\"experiments\":[",
	    (unsigned long long)x->version);
	for (unsigned i = 0; i < x->n; i++) {
		const struct pen_experiment *e = &x->e[i];
		char a[32] = "", b[32] = "";
		if (e->start_ms)
			client_iso_time(e->start_ms, a, sizeof(a));
		if (e->stop_ms)
			client_iso_time(e->stop_ms, b, sizeof(b));
		fprintf(f, "%s{\"name\":", i ? "," : "");
		client_json_fstr(f, e->name);
		fprintf(f, ",\"salt\":");
		client_json_fstr(f, e->salt);
		fprintf(f,
		    ",\"start\":\"%s\",\"stop\":\"%s\",\"segment\":%d,\"active\":%s,\"allocation\":\"%s\",\"srm_broken\":%s",
		    a, b, e->segment, e->active ? "true" : "false",
		    e->bandit ? "thompson" : "fixed",
		    e->srm_broken ? "true" : "false");
		_num(f, "srm_chi2", e->srm_chi2, true);
		_num(f, "srm_p", e->srm_p, true);
		fprintf(f, ",\"evicted\":%llu,\"stale\":%llu",
		    (unsigned long long)e->evicted,
		    (unsigned long long)e->stale);
		fprintf(f, ",\"variants\":[");
		for (unsigned k = 0; k < e->n_variants; k++) {
			if (k)
				putc(',', f);
			_variant_json(f, &e->v[k]);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}
