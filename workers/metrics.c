/*
 * metrics: the Prometheus exposition of an instance (contract in
 * metrics.h). Each family is written whole (HELP, TYPE, then every
 * series), as the text format requires.
 */
#include "workers/metrics.h"

#include <ck_pr.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/rank.h"
#include "ipc/client.h"
#include "ipc/status_json.h"
#include "shm/profiles.h"
#include "shm/ring.h"

#define _PFX "penchant_"

const double mx_bounds[MX_BUCKETS] = { 0.00001, 0.000025, 0.00005, 0.0001,
	0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
	0.5, 1.0 };

static const char *const _route_names[MX_ROUTES] = { "rank", "profile",
	"health", "metrics", "api", "page", "other" };

const char *mx_route_name(unsigned route)
{
	return route < MX_ROUTES ? _route_names[route] : "other";
}

uint64_t mx_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void mx_observe(struct mx_hist *h, uint64_t ns)
{
	double s = (double)ns / 1e9;
	unsigned b = 0;
	while (b < MX_BUCKETS && s > mx_bounds[b])
		b++;
	ck_pr_add_64(&h->bucket[b], 1);
	ck_pr_add_64(&h->sum_ns, ns);
	ck_pr_add_64(&h->count, 1);
}

/* ---- the text format ---------------------------------------------------- */

static void _help_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			putc(*s, f);
	}
}

/* HELP and TYPE of a family; help may contain anything. */
static void _family(FILE *f, const char *name, const char *suffix,
    const char *type, const char *help)
{
	fprintf(f, "# HELP " _PFX "%s%s ", name, suffix);
	_help_text(f, help);
	fprintf(f, "\n# TYPE " _PFX "%s%s %s\n", name, suffix, type);
}

/* A label value between quotes: backslash, quote and newline escaped. */
static void _lv(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			putc(*s, f);
	}
	putc('"', f);
}

static void _u64(FILE *f, uint64_t v)
{
	fprintf(f, " %llu\n", (unsigned long long)v);
}

static void _dbl(FILE *f, double v)
{
	fprintf(f, " %.9g\n", v);
}

/* A series of a process: NAME{role="...",index="..."[,extra]} */
static void _proc_series(FILE *f, const char *name, const char *suffix,
    const struct reg_proc *p)
{
	fprintf(f, _PFX "%s%s{role=\"%s\",index=\"%u\"}", name, suffix,
	    client_role_name(p->role), p->index);
}

/* ---- parts ------------------------------------------------------------- */

static void _info(FILE *f, const struct reg *r)
{
	_family(f, "info", "", "gauge",
	    "the instance: name, state, library and layout version (always 1)");
	fprintf(f, _PFX "info{instance=");
	_lv(f, r->hdr->instance);
	fprintf(f, ",state=\"%s\",version=\"%s\",layout_version=\"%u\"} 1\n",
	    client_state_names[r->hdr->state & 3], pen_version(),
	    r->hdr->layout_version);
	_family(f, "region_bytes", "", "gauge",
	    "size of the shared-memory region");
	fprintf(f, _PFX "region_bytes");
	_u64(f, r->size);
}

/* Every non-reject row of the counters table, for every process. */
static void _counters(FILE *f, const struct reg *r)
{
	for (unsigned k = 0; k < REG_C_COUNT; k++) {
		if (reg_counter_is_reject(k))
			continue;
		bool gauge = reg_counter_is_gauge(k);
		const char *sfx = gauge ? "" : "_total";
		_family(f, reg_counter_name(k), sfx,
		    gauge ? "gauge" : "counter", reg_counter_help(k));
		for (unsigned i = 0; i < reg_nprocs(r); i++) {
			const struct reg_proc *p = reg_proc(r, i);
			_proc_series(f, reg_counter_name(k), sfx, p);
			_u64(f, ck_pr_load_64((uint64_t *)&p->counters[k]));
		}
	}
}

static void _rejects(FILE *f, const struct reg *r)
{
	_family(f, "rejected", "_total", "counter",
	    "events rejected, by reason, where they were refused: a process "
	    "(role, index) or the libpenchant producers (role=\"producers\", "
	    "summed over slots)");
	for (unsigned i = 0; i < reg_nprocs(r); i++) {
		const struct reg_proc *p = reg_proc(r, i);
		for (unsigned k = 0; k < EVT_REASON_COUNT; k++) {
			fprintf(f,
			    _PFX
			    "rejected_total{role=\"%s\",index=\"%u\",reason=",
			    client_role_name(p->role), p->index);
			_lv(f, evt_reason_name(k));
			putc('}', f);
			_u64(f,
			    ck_pr_load_64(
				(uint64_t *)&p->counters[REG_C_REJECT0 + k]));
		}
	}
	for (unsigned k = 0; k < EVT_REASON_COUNT; k++) {
		uint64_t n = 0;
		for (unsigned q = 0; q < r->hdr->geo.producer_slots; q++)
			n += reg_producer(r, q)->rejected_by[k];
		fprintf(f,
		    _PFX
		    "rejected_total{role=\"producers\",index=\"all\",reason=");
		_lv(f, evt_reason_name(k));
		putc('}', f);
		_u64(f, n);
	}
}

/* What catalog and experiment loads refused (shm/counters.h, REG_LOADS):
 * one family, a series per row; each row's help in the family's. */
static void _loads(FILE *f, const struct reg *r)
{
	_family(f, "load_rejected", "_total", "counter",
	    "what loads refused, by load and reason: catalog lines "
	    "(load=\"catalog\": invalid, bad_location, catalog_full, "
	    "names_full) and experiment files (load=\"experiments\": "
	    "invalid, too_many); penchant status --json \"loads\"");
	for (unsigned k = 0; k < REG_L_COUNT; k++) {
		fprintf(f, _PFX "load_rejected_total{load=");
		_lv(f, reg_load_kind(k));
		fprintf(f, ",reason=");
		_lv(f, reg_load_name(k));
		putc('}', f);
		_u64(f,
		    __atomic_load_n(&r->hdr->load_rejected[k],
			__ATOMIC_RELAXED));
	}
}

static void _health(FILE *f, const struct reg *r)
{
	unsigned n = reg_nprocs(r);
	int64_t mono = reg_now_mono_ms();
	_family(f, "process_up", "", "gauge",
	    "1 while the process runs (the supervisor's view)");
	for (unsigned i = 0; i < n; i++) {
		_proc_series(f, "process_up", "", reg_proc(r, i));
		_u64(f, ck_pr_load_int(&reg_proc(r, i)->pid) != 0);
	}
	_family(f, "process_ready", "", "gauge",
	    "1 once the process has recovered and serves");
	for (unsigned i = 0; i < n; i++) {
		const struct reg_proc *p = reg_proc(r, i);
		_proc_series(f, "process_ready", "", p);
		_u64(f, p->pid && ck_pr_load_uint((unsigned *)&p->ready));
	}
	_family(f, "process_restarts", "_total", "counter",
	    "times the supervisor started the process again (starts - 1)");
	for (unsigned i = 0; i < n; i++) {
		const struct reg_proc *p = reg_proc(r, i);
		_proc_series(f, "process_restarts", "_total", p);
		_u64(f, p->starts ? p->starts - 1 : 0);
	}
	_family(f, "process_heartbeat_age_seconds", "", "gauge",
	    "seconds since the process last wrote its heartbeat (running "
	    "processes only)");
	for (unsigned i = 0; i < n; i++) {
		const struct reg_proc *p = reg_proc(r, i);
		int64_t hb =
		    (int64_t)ck_pr_load_64((uint64_t *)&p->heartbeat_ms);
		if (!p->pid || !hb)
			continue;
		_proc_series(f, "process_heartbeat_age_seconds", "", p);
		_dbl(f, mono > hb ? (double)(mono - hb) / 1000.0 : 0.0);
	}
}

static void _rings(FILE *f, const struct reg *r)
{
	const struct reg_geometry *g = &r->hdr->geo;
	uint64_t published = 0, waits = 0;
	for (unsigned q = 0; q < g->producer_slots; q++) {
		published += reg_producer(r, q)->published;
		waits += reg_producer(r, q)->full_waits;
	}
	_family(f, "published", "_total", "counter",
	    "events made visible in the rings by producers (the acceptor and "
	    "libpenchant clients)");
	fprintf(f, _PFX "published_total");
	_u64(f, published);
	_family(f, "full_waits", "_total", "counter",
	    "publishes that met a full ring (waited or got -EAGAIN)");
	fprintf(f, _PFX "full_waits_total");
	_u64(f, waits);
	_family(f, "ring_backlog_events", "", "gauge",
	    "events in the rings into the shard, not yet applied");
	for (unsigned s = 0; s < g->shards; s++) {
		uint64_t n = 0;
		for (unsigned q = 0; q < g->producer_slots; q++)
			n += ring_backlog(reg_ring(r, q, s));
		fprintf(f, _PFX "ring_backlog_events{shard=\"%u\"}", s);
		_u64(f, n);
	}
	_family(f, "ring_fill_ratio", "", "gauge",
	    "fill of the fullest ring into the shard, 0..1");
	for (unsigned s = 0; s < g->shards; s++) {
		uint64_t max = 0;
		for (unsigned q = 0; q < g->producer_slots; q++) {
			uint64_t n = ring_backlog(reg_ring(r, q, s));
			max = n > max ? n : max;
		}
		fprintf(f, _PFX "ring_fill_ratio{shard=\"%u\"}", s);
		_dbl(f,
		    g->ring_depth > 1
			? (double)max / (double)(g->ring_depth - 1)
			: 0.0);
	}
}

static void _tables(FILE *f, const struct reg *r)
{
	const struct reg_geometry *g = &r->hdr->geo;
	_family(f, "profiles", "", "gauge",
	    "profile records in use in the shard (penchant status)");
	for (unsigned s = 0; s < g->shards; s++) {
		fprintf(f, _PFX "profiles{shard=\"%u\"}", s);
		_u64(f, prof_count(r, s));
	}
	_family(f, "profiles_per_shard", "", "gauge",
	    "profile records each shard holds at most");
	fprintf(f, _PFX "profiles_per_shard");
	_u64(f, g->profiles_per_shard);
	_family(f, "catalog_entities", "", "gauge", "catalog entities held");
	fprintf(f, _PFX "catalog_entities");
	_u64(f, ck_pr_load_uint(&reg_catalog(r)->count));
	_family(f, "catalog_capacity", "", "gauge",
	    "catalog entities the region holds at most");
	fprintf(f, _PFX "catalog_capacity");
	_u64(f, g->catalog_capacity);
	const struct nbr_block *nb = reg_neighbors(r);
	_family(f, "neighbor_items", "", "gauge",
	    "items with a neighbour list (the collaborative factor)");
	fprintf(f, _PFX "neighbor_items");
	_u64(f, ck_pr_load_uint(&nb->items));
	_family(f, "neighbor_passes", "_total", "counter",
	    "segmenter passes counting what is new in the recent items");
	fprintf(f, _PFX "neighbor_passes_total");
	_u64(f, ck_pr_load_64(&nb->passes));
	_family(f, "neighbor_refused", "_total", "counter",
	    "items refused for want of room (raise neighbor_items)");
	fprintf(f, _PFX "neighbor_refused_total");
	_u64(f, ck_pr_load_64(&nb->refused));
}

static void _verbs(FILE *f, pen_t *p, const struct mx_verbs *v)
{
	_family(f, "profile_events", "", "gauge",
	    "events by verb counted in the profiles held now (the last "
	    "profile scan; erased and retired profiles drop out)");
	for (unsigned i = 0; i < PEN_N_COUNT; i++) {
		const char *name = pen_count_name(p, i);
		if (!name)
			continue;
		fprintf(f, _PFX "profile_events{verb=");
		_lv(f, name);
		putc('}', f);
		_u64(f, v->count[i]);
	}
	_family(f, "profile_events_profiles", "", "gauge",
	    "profiles the last profile scan counted");
	fprintf(f, _PFX "profile_events_profiles");
	_u64(f, v->profiles);
}

/* One gauge per segment, the value picked by `what`. */
static void _seg_family(FILE *f, const struct pen_segments *s, const char *name,
    const char *help, unsigned what)
{
	_family(f, name, "", "gauge", help);
	for (unsigned i = 0; i < s->k; i++) {
		const struct pen_segment *g = &s->seg[i];
		double v = what == 0 ? (double)g->size
		    : what == 1	     ? g->share
		    : what == 2	     ? g->engagement
				     : g->ctr;
		fprintf(f, _PFX "%s{segment=\"%u\",name=", name, g->id);
		_lv(f, g->name);
		fprintf(f, ",strategy=");
		_lv(f, g->strategy);
		putc('}', f);
		_dbl(f, v);
	}
}

static int _segments(FILE *f, pen_t *p)
{
	struct pen_segments *s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (pen_segments_read(p, s, 0))
		memset(s, 0, sizeof(*s)); /* none yet: version 0, k 0 */
	_family(f, "segments_version", "", "gauge",
	    "segment refreshes published (0: none yet)");
	fprintf(f, _PFX "segments_version");
	_u64(f, s->version);
	_family(f, "segments", "", "gauge", "segments in the table (k)");
	fprintf(f, _PFX "segments");
	_u64(f, s->k);
	_family(f, "segments_users", "", "gauge",
	    "users the last refresh assigned");
	fprintf(f, _PFX "segments_users");
	_u64(f, s->users);
	_family(f, "segments_refreshed_timestamp_seconds", "", "gauge",
	    "wall-clock time of the last refresh (0: none)");
	fprintf(f, _PFX "segments_refreshed_timestamp_seconds");
	_dbl(f, (double)s->refreshed_ms / 1000.0);
	_seg_family(f, s, "segment_users", "users in the segment", 0);
	_seg_family(f, s, "segment_share", "share of the users, 0..1", 1);
	_seg_family(f, s, "segment_engagement",
	    "share of the segment's members that are active, 0..1", 2);
	_seg_family(f, s, "segment_ctr",
	    "members' actions per impression (-1: no impressions)", 3);
	free(s);
	return 0;
}

static void _serving(FILE *f, pen_t *p)
{
	static const char *const what[3] = { "impressions", "clicks",
		"conversions" };
	static const char *const help[3] = {
		"impressions of ranked results, by the strategy that ranked them",
		"clicks attributed to a ranking, by its strategy",
		"conversions (saves, rsvps, purchases...) attributed to a ranking, by its strategy",
	};
	struct pen_serving sv[RANK_STRATEGY_COUNT];
	for (unsigned s = 0; s < RANK_STRATEGY_COUNT; s++)
		if (pen_serving_read(p, rank_strategy_name(s), 0, &sv[s]))
			memset(&sv[s], 0, sizeof(sv[s]));
	for (unsigned w = 0; w < 3; w++) {
		char name[40];
		snprintf(name, sizeof(name), "serving_%s", what[w]);
		_family(f, name, "_total", "counter", help[w]);
		for (unsigned s = 0; s < RANK_STRATEGY_COUNT; s++) {
			uint64_t v = w == 0 ? sv[s].impressions
			    : w == 1	    ? sv[s].clicks
					    : sv[s].conversions;
			fprintf(f, _PFX "%s_total{strategy=\"%s\"}", name,
			    rank_strategy_name(s));
			_u64(f, v);
		}
	}
}

/* Experiments: counts per variant, and what the tests say so far. */
static void _experiments(FILE *f, pen_t *p)
{
	struct pen_experiments *x = malloc(sizeof(*x));
	if (!x || pen_experiments_read(p, x)) {
		free(x);
		return;
	}
	static const char *const cnt[5] = { "users", "exposures", "impressions",
		"clicks", "conversions" };
	static const char *const chelp[5] = {
		"users assigned to the variant, counted at their first exposure",
		"rankings served with the variant",
		"impressions of rankings served with the variant",
		"clicks attributed to rankings served with the variant",
		"conversions attributed to rankings served with the variant",
	};
	for (unsigned w = 0; w < 5; w++) {
		char name[48];
		snprintf(name, sizeof(name), "experiment_%s", cnt[w]);
		_family(f, name, "_total", "counter", chelp[w]);
		for (unsigned i = 0; i < x->n; i++)
			for (unsigned k = 0; k < x->e[i].n_variants; k++) {
				const struct pen_variant *v = &x->e[i].v[k];
				uint64_t n = w == 0 ? v->users
				    : w == 1	    ? v->exposures
				    : w == 2	    ? v->impressions
				    : w == 3	    ? v->clicks
						    : v->conversions;
				/* The salt names the run: a new one counts
				 * from 0 as a series of its own, not as a
				 * reset of the old one's. */
				fprintf(f, _PFX "%s_total{experiment=", name);
				_lv(f, x->e[i].name);
				fprintf(f, ",salt=");
				_lv(f, x->e[i].salt);
				fprintf(f, ",variant=");
				_lv(f, v->name);
				putc('}', f);
				_u64(f, n);
			}
	}
	_family(f, "experiment_prob_beats_control", "", "gauge",
	    "posterior probability that the variant's click-through beats the control's (Beta(1,1) priors)");
	for (unsigned i = 0; i < x->n; i++)
		for (unsigned k = 1; k < x->e[i].n_variants; k++) {
			double v = x->e[i].v[k].prob_beats_control;
			if (!isfinite(v))
				continue;
			fprintf(f,
			    _PFX "experiment_prob_beats_control{experiment=");
			_lv(f, x->e[i].name);
			fprintf(f, ",variant=");
			_lv(f, x->e[i].v[k].name);
			putc('}', f);
			_dbl(f, v);
		}
	_family(f, "experiment_srm_p", "", "gauge",
	    "p-value of the sample-ratio-mismatch test of the experiment's split (below 0.001: the split is broken)");
	for (unsigned i = 0; i < x->n; i++) {
		if (!isfinite(x->e[i].srm_p))
			continue;
		fprintf(f, _PFX "experiment_srm_p{experiment=");
		_lv(f, x->e[i].name);
		putc('}', f);
		_dbl(f, x->e[i].srm_p);
	}
	free(x);
}

/* The series of one histogram; labels is "" or `key="value"`. */
static void _hist(FILE *f, const char *name, const char *labels,
    const struct mx_hist *h)
{
	uint64_t cum = 0;
	const char *sep = labels[0] ? "," : "";
	for (unsigned b = 0; b <= MX_BUCKETS; b++) {
		cum += ck_pr_load_64((uint64_t *)&h->bucket[b]);
		fprintf(f, _PFX "%s_bucket{%s%sle=", name, labels, sep);
		if (b < MX_BUCKETS)
			fprintf(f, "\"%g\"}", mx_bounds[b]);
		else
			fprintf(f, "\"+Inf\"}");
		_u64(f, cum);
	}
	/* count is the +Inf bucket, so the two never disagree */
	fprintf(f, _PFX "%s_sum%s%s%s", name, labels[0] ? "{" : "", labels,
	    labels[0] ? "}" : "");
	_dbl(f, (double)ck_pr_load_64((uint64_t *)&h->sum_ns) / 1e9);
	fprintf(f, _PFX "%s_count%s%s%s", name, labels[0] ? "{" : "", labels,
	    labels[0] ? "}" : "");
	_u64(f, cum);
}

/* Publish -> applied, from the workers' buckets (le 2^i us), all shards. */
static void _applied_latency(FILE *f, const struct reg *r)
{
	const char *name = "publish_applied_seconds";
	_family(f, name, "", "histogram",
	    "events from becoming visible in a ring (the producer's commit) to applied by their worker");
	uint64_t b[REG_LAT_BUCKETS] = { 0 }, sum_us = 0, cum = 0;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++) {
		const struct shard_stats *st = &reg_shard(r, s)->stats;
		for (unsigned i = 0; i < REG_LAT_BUCKETS; i++)
			b[i] += ck_pr_load_64((uint64_t *)&st->lat[i]);
		sum_us += ck_pr_load_64((uint64_t *)&st->lat_sum_us);
	}
	for (unsigned i = 0; i < REG_LAT_BUCKETS; i++) {
		cum += b[i];
		fprintf(f, _PFX "%s_bucket{le=", name);
		if (i + 1 < REG_LAT_BUCKETS)
			fprintf(f, "\"%g\"}", (double)(1u << i) / 1e6);
		else
			fprintf(f, "\"+Inf\"}");
		_u64(f, cum);
	}
	fprintf(f, _PFX "%s_sum", name);
	_dbl(f, (double)sum_us / 1e6);
	fprintf(f, _PFX "%s_count", name);
	_u64(f, cum);
}

static void _latency(FILE *f, const struct mx_latency *lat)
{
	_family(f, "http_request_duration_seconds", "", "histogram",
	    "HTTP requests to the rank API server, first byte in to answer "
	    "sent, by route (the server's memory: restarts reset it)");
	for (unsigned i = 0; i < MX_ROUTES; i++) {
		char l[32];
		snprintf(l, sizeof(l), "route=\"%s\"", mx_route_name(i));
		_hist(f, "http_request_duration_seconds", l, &lat->http[i]);
	}
	_family(f, "rerank_duration_seconds", "", "histogram",
	    "pen_rerank calls of the rank API server (HTTP and msgpack)");
	_hist(f, "rerank_duration_seconds", "", &lat->rerank);
}

int mx_write(FILE *f, pen_t *p, const struct mx_latency *lat,
    const struct mx_verbs *verbs)
{
	const struct reg *r = client_region(p);
	_info(f, r);
	_counters(f, r);
	_rejects(f, r);
	_loads(f, r);
	_health(f, r);
	_rings(f, r);
	_tables(f, r);
	if (verbs)
		_verbs(f, p, verbs);
	int rc = _segments(f, p);
	_serving(f, p);
	_experiments(f, p);
	_applied_latency(f, r);
	if (lat)
		_latency(f, lat);
	return rc;
}
