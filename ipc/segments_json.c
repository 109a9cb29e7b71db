/*
 * segments_json: the one JSON writer of the segments table (contract in
 * segments_json.h).
 */
#include "ipc/segments_json.h"

#include "ipc/profile_json.h"

static void _segment_json(FILE *f, const struct pen_segment *g)
{
	fprintf(f, "{\"id\":%u,\"name\":", g->id);
	client_json_fstr(f, g->name);
	fprintf(f,
	    ",\"strategy\":\"%s\",\"size\":%llu,\"share\":%.6f,\"engagement\":%.6f,\"ctr\":",
	    g->strategy, (unsigned long long)g->size, g->share, g->engagement);
	if (g->ctr < 0)
		fprintf(f, "null");
	else
		fprintf(f, "%.6f", g->ctr);
	fprintf(f,
	    ",\"drift_rate\":%.6f,\"confidence\":%.6f,\"overridden\":%s,\"params\":{\"epsilon\":%.4f,\"mmr_lambda\":%.4f,\"explore_weight\":%.4f,\"context_weight\":%.4f},\"traits\":{",
	    g->drift_rate, g->confidence, g->overridden ? "true" : "false",
	    g->epsilon, g->mmr_lambda, g->explore_weight, g->context_weight);
	for (unsigned i = 0; i < PEN_FEATURES; i++)
		fprintf(f, "%s\"%s\":%.5f", i ? "," : "", pen_feature_name(i),
		    g->traits[i]);
	fprintf(f, "},\"means\":{");
	for (unsigned i = 0; i < PEN_FEATURES; i++)
		fprintf(f, "%s\"%s\":%.6g", i ? "," : "", pen_feature_name(i),
		    g->means[i]);
	fprintf(f, "},\"interests\":[");
	for (unsigned j = 0; j < g->n_prior; j++) {
		fprintf(f, "%s{\"name\":", j ? "," : "");
		client_json_fstr(f, g->prior[j].name);
		fprintf(f, ",\"id\":%u,\"kind\":\"%s\",\"share\":%.6f}",
		    g->prior[j].id, g->prior[j].category ? "category" : "tag",
		    g->prior[j].share);
	}
	fprintf(f, "]}");
}

void client_segments_json(FILE *f, const struct pen_segments *s)
{
	char when[32];
	client_iso_time(s->refreshed_ms, when, sizeof(when));
	fprintf(f,
	    "{\"version\":%llu,\"refreshed\":\"%s\",\"refreshed_ms\":%lld,\"users\":%llu,\"k\":%u,\"silhouette\":%.6f,\"inertia\":%.6g,\"low_confidence_users\":%llu,\"refreshes\":%llu,\"failures\":%llu,\"segments\":[",
	    (unsigned long long)s->version, when, (long long)s->refreshed_ms,
	    (unsigned long long)s->users, s->k, s->silhouette, s->inertia,
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
