/*
 * segments_json: the one JSON writer of the segments table (contract in
 * segments_json.h).
 */
#include "ipc/segments_json.h"

#include <math.h>

#include "ipc/profile_json.h"

/* A number, or null when it is not finite (a silhouette of fewer than
 * two clusters, a trait of a feature without spread): JSON has no NaN. */
static void _num(FILE *f, const char *fmt, double v)
{
	if (isfinite(v))
		fprintf(f, fmt, v);
	else
		fputs("null", f);
}

static void _segment_json(FILE *f, const struct pen_segment *g)
{
	fprintf(f, "{\"id\":%u,\"name\":", g->id);
	client_json_fstr(f, g->name);
	fprintf(f, ",\"strategy\":\"%s\",\"size\":%llu,\"share\":", g->strategy,
	    (unsigned long long)g->size);
	_num(f, "%.6f", g->share);
	fputs(",\"engagement\":", f);
	_num(f, "%.6f", g->engagement);
	fputs(",\"ctr\":", f);
	_num(f, "%.6f", g->ctr < 0 ? NAN : g->ctr);
	fputs(",\"drift_rate\":", f);
	_num(f, "%.6f", g->drift_rate);
	fputs(",\"confidence\":", f);
	_num(f, "%.6f", g->confidence);
	fprintf(f, ",\"overridden\":%s,\"params\":{\"epsilon\":",
	    g->overridden ? "true" : "false");
	_num(f, "%.4f", g->epsilon);
	fputs(",\"mmr_lambda\":", f);
	_num(f, "%.4f", g->mmr_lambda);
	fputs(",\"explore_weight\":", f);
	_num(f, "%.4f", g->explore_weight);
	fputs(",\"context_weight\":", f);
	_num(f, "%.4f", g->context_weight);
	if (g->diversifier[0]) {
		fputs(",\"diversifier\":", f);
		client_json_fstr(f, g->diversifier);
	}
	if (g->dpp_theta >= 0) {
		fputs(",\"dpp_theta\":", f);
		_num(f, "%.4f", g->dpp_theta);
	}
	fputs("},\"traits\":{", f);
	for (unsigned i = 0; i < PEN_FEATURES; i++) {
		fprintf(f, "%s\"%s\":", i ? "," : "", pen_feature_name(i));
		_num(f, "%.5f", g->traits[i]);
	}
	fprintf(f, "},\"means\":{");
	for (unsigned i = 0; i < PEN_FEATURES; i++) {
		fprintf(f, "%s\"%s\":", i ? "," : "", pen_feature_name(i));
		_num(f, "%.6g", g->means[i]);
	}
	fprintf(f, "},\"interests\":[");
	for (unsigned j = 0; j < g->n_prior; j++) {
		fprintf(f, "%s{\"name\":", j ? "," : "");
		client_json_fstr(f, g->prior[j].name);
		fprintf(f,
		    ",\"id\":%u,\"kind\":\"%s\",\"share\":", g->prior[j].id,
		    g->prior[j].category ? "category" : "tag");
		_num(f, "%.6f", g->prior[j].share);
		putc('}', f);
	}
	fprintf(f, "]}");
}

void client_segments_json(FILE *f, const struct pen_segments *s)
{
	char when[32];
	client_iso_time(s->refreshed_ms, when, sizeof(when));
	fprintf(f,
	    "{\"version\":%llu,\"refreshed\":\"%s\",\"refreshed_ms\":%lld,\"users\":%llu,\"k\":%u,\"silhouette\":",
	    (unsigned long long)s->version, when, (long long)s->refreshed_ms,
	    (unsigned long long)s->users, s->k);
	_num(f, "%.6f", s->silhouette);
	fputs(",\"inertia\":", f);
	_num(f, "%.6g", s->inertia);
	fprintf(f,
	    ",\"low_confidence_users\":%llu,\"refreshes\":%llu,\"failures\":%llu,\"segments\":[",
	    (unsigned long long)s->low_confidence_users,
	    (unsigned long long)s->refreshes, (unsigned long long)s->failures);
	for (unsigned i = 0; i < s->k; i++) {
		if (i)
			putc(',', f);
		_segment_json(f, &s->seg[i]);
	}
	fprintf(f, "],\"history\":[");
	for (unsigned h = 0; h < s->n_history; h++) {
		fprintf(f, "%s{\"ms\":%lld,\"sizes\":{", h ? "," : "",
		    (long long)s->history[h].ms);
		for (unsigned j = 0, k = 0; j < PEN_SEGMENTS_MAX; j++)
			if (s->history[h].id[j])
				fprintf(f, "%s\"%u\":%llu", k++ ? "," : "",
				    s->history[h].id[j],
				    (unsigned long long)s->history[h].size[j]);
		fprintf(f, "}}");
	}
	fprintf(f, "]}\n");
}
