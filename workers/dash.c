/*
 * dash: the dashboard's endpoints and state (contract in dash.h).
 */
#include "workers/dash.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rank.h"
#include "ipc/client.h"
#include "ipc/insights.h"
#include "ipc/profile_json.h"
#include "ipc/experiments_json.h"
#include "ipc/segments_json.h"
#include "ipc/status_json.h"
#include "shm/ring.h"
#include "workers/web.h"

#define _JSON "application/json"

/* One history sample: running totals at wall time t_ms. */
struct _sample {
	int64_t t_ms;
	uint64_t applied, published, full_waits, backlog;
	uint64_t udp_dropped, http_requests, ranked;
	uint64_t rejected[EVT_REASON_COUNT];
};

struct dash {
	pthread_mutex_t mu; /* the history */
	struct _sample hist[DASH_HISTORY];
	unsigned n, at; /* samples held; the next slot */
	int64_t last_mono;

	pthread_mutex_t scan_mu; /* the insights cache */
	struct ins_report ins;
	int64_t ins_mono; /* when ins was taken; 0 never */
};

int dash_new(struct dash **out)
{
	struct dash *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->mu, NULL);
	pthread_mutex_init(&d->scan_mu, NULL);
	*out = d;
	return 0;
}

void dash_free(struct dash **d)
{
	if (!*d)
		return;
	pthread_mutex_destroy(&(*d)->mu);
	pthread_mutex_destroy(&(*d)->scan_mu);
	free(*d);
	*d = NULL;
}

/* ---- history ------------------------------------------------------------ */

static void _sample(const struct reg *r, struct _sample *s)
{
	uint64_t c[REG_C_COUNT];
	const struct reg_geometry *g = &r->hdr->geo;
	client_status_sum(r, c);
	memset(s, 0, sizeof(*s));
	s->t_ms = reg_now_wall_ms();
	s->applied = c[REG_C_APPLIED];
	s->udp_dropped = c[REG_C_UDP_DROPPED];
	s->http_requests = c[REG_C_SRV_HTTP_REQUESTS];
	s->ranked = c[REG_C_SRV_RANKED];
	memcpy(s->rejected, &c[REG_C_REJECT0], sizeof(s->rejected));
	for (unsigned q = 0; q < g->producer_slots; q++) {
		s->published += reg_producer(r, q)->published;
		s->full_waits += reg_producer(r, q)->full_waits;
		for (unsigned k = 0; k < g->shards; k++)
			s->backlog += ring_backlog(reg_ring(r, q, k));
	}
}

void dash_tick(struct dash *d, const struct reg *r)
{
	int64_t now = reg_now_mono_ms();
	if (d->last_mono && now - d->last_mono < 1000)
		return;
	d->last_mono = now;
	struct _sample s;
	_sample(r, &s); /* outside the lock: readers never wait on shm */
	pthread_mutex_lock(&d->mu);
	d->hist[d->at] = s;
	d->at = (d->at + 1) % DASH_HISTORY;
	if (d->n < DASH_HISTORY)
		d->n++;
	pthread_mutex_unlock(&d->mu);
}

/* Copies the samples out, oldest first; how many. */
static unsigned _history(struct dash *d, struct _sample *out)
{
	pthread_mutex_lock(&d->mu);
	unsigned n = d->n;
	for (unsigned i = 0; i < n; i++)
		out[i] = d->hist[(d->at + DASH_HISTORY - n + i) % DASH_HISTORY];
	pthread_mutex_unlock(&d->mu);
	return n;
}

static double _per_s(uint64_t a, uint64_t b, int64_t ms)
{
	return ms > 0 && b >= a ? (double)(b - a) * 1000.0 / (double)ms : 0.0;
}

static void _history_json(FILE *f, struct dash *d)
{
	struct _sample *h = malloc(sizeof(*h) * DASH_HISTORY);
	unsigned n = h ? _history(d, h) : 0;
	fprintf(f, "{\"as_of_ms\":%lld,\"interval_ms\":1000,\"samples\":[",
	    (long long)reg_now_wall_ms());
	for (unsigned i = 0; i < n; i++) {
		const struct _sample *s = &h[i], *p = i ? &h[i - 1] : NULL;
		int64_t ms = p ? s->t_ms - p->t_ms : 0;
		uint64_t rej = 0, prej = 0;
		for (unsigned k = 1; k < EVT_REASON_COUNT; k++) {
			rej += s->rejected[k];
			prej += p ? p->rejected[k] : 0;
		}
		fprintf(f,
		    "%s{\"t_ms\":%lld,\"applied\":%llu,\"applied_per_s\":%.1f,\"published\":%llu,\"rejected\":%llu,\"rejected_per_s\":%.1f,\"udp_dropped\":%llu,\"full_waits\":%llu,\"backlog\":%llu,\"http_requests\":%llu,\"ranked\":%llu,\"rejected_by\":{",
		    i ? "," : "", (long long)s->t_ms,
		    (unsigned long long)s->applied,
		    p ? _per_s(p->applied, s->applied, ms) : 0.0,
		    (unsigned long long)s->published, (unsigned long long)rej,
		    p ? _per_s(prej, rej, ms) : 0.0,
		    (unsigned long long)s->udp_dropped,
		    (unsigned long long)s->full_waits,
		    (unsigned long long)s->backlog,
		    (unsigned long long)s->http_requests,
		    (unsigned long long)s->ranked);
		for (unsigned k = 1, m = 0; k < EVT_REASON_COUNT; k++)
			if (s->rejected[k])
				fprintf(f, "%s\"%s\":%llu", m++ ? "," : "",
				    evt_reason_name(k),
				    (unsigned long long)s->rejected[k]);
		fprintf(f, "}}");
	}
	fprintf(f, "]}\n");
	free(h);
}

/* Applied events per second over the last two samples. */
static double _rate(struct dash *d)
{
	pthread_mutex_lock(&d->mu);
	double rate = 0;
	if (d->n >= 2) {
		const struct _sample *a =
		    &d->hist[(d->at + DASH_HISTORY - 2) % DASH_HISTORY];
		const struct _sample *b =
		    &d->hist[(d->at + DASH_HISTORY - 1) % DASH_HISTORY];
		rate = _per_s(a->applied, b->applied, b->t_ms - a->t_ms);
	}
	pthread_mutex_unlock(&d->mu);
	return rate;
}

/* ---- insights ----------------------------------------------------------- */

/* The cached report, rescanned when older than DASH_SCAN_MS. */
static int _insights(struct dash *d, pen_t *p, struct ins_report *out)
{
	int rc = 0;
	pthread_mutex_lock(&d->scan_mu);
	int64_t now = reg_now_mono_ms();
	if (!d->ins_mono || now - d->ins_mono >= DASH_SCAN_MS) {
		rc = ins_scan(p, DASH_SCAN_MAX, &d->ins);
		d->ins_mono = rc ? 0 : now;
	}
	if (!rc)
		*out = d->ins;
	pthread_mutex_unlock(&d->scan_mu);
	return rc;
}

int dash_verbs(struct dash *d, pen_t *p, struct mx_verbs *out)
{
	struct ins_report *r = malloc(sizeof(*r));
	int rc = r ? _insights(d, p, r) : -ENOMEM;
	if (!rc) {
		/* A sampled scan (every n-th record) counts the sample:
		 * scaled to all the profiles held, an estimate, not a sum
		 * that falls as profiles pass DASH_SCAN_MAX. */
		double scale = r->sampled && r->scanned
		    ? (double)r->profiles / (double)r->scanned
		    : 1.0;
		for (unsigned i = 0; i < PEN_N_COUNT; i++)
			out->count[i] =
			    (uint64_t)llround((double)r->verbs[i] * scale);
		out->profiles = r->sampled ? r->profiles : r->scanned;
	}
	free(r);
	return rc;
}

/* ---- serving ------------------------------------------------------------ */

static void _cell(FILE *f, const struct pen_serving *v)
{
	fprintf(f,
	    "\"impressions\":%llu,\"clicks\":%llu,\"conversions\":%llu,\"ctr\":",
	    (unsigned long long)v->impressions, (unsigned long long)v->clicks,
	    (unsigned long long)v->conversions);
	if (v->impressions)
		fprintf(f, "%.6f", (double)v->clicks / (double)v->impressions);
	else
		fprintf(f, "null");
}

static void _serving_json(FILE *f, pen_t *p)
{
	fprintf(f, "{\"as_of_ms\":%lld,\"strategies\":[",
	    (long long)reg_now_wall_ms());
	for (unsigned s = 0; s < RANK_STRATEGY_COUNT; s++) {
		const char *name = rank_strategy_name(s);
		struct pen_serving all;
		if (pen_serving_read(p, name, 0, &all))
			memset(&all, 0, sizeof(all));
		fprintf(f, "%s{\"strategy\":\"%s\",", s ? "," : "", name);
		_cell(f, &all);
		fprintf(f, ",\"positions\":[");
		/* positions with impressions or clicks only: most are empty */
		for (unsigned pos = 1, n = 0; pos <= PEN_POSITIONS + 1; pos++) {
			struct pen_serving v;
			if (pen_serving_read(p, name, pos, &v) ||
			    (!v.impressions && !v.clicks))
				continue;
			fprintf(f, "%s{\"position\":", n++ ? "," : "");
			if (pos > PEN_POSITIONS)
				fprintf(f, "\"beyond\",");
			else
				fprintf(f, "%u,", pos);
			_cell(f, &v);
			putc('}', f);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}

/* ---- routes ------------------------------------------------------------- */

enum _api {
	_A_STATUS = 0,
	_A_SEGMENTS,
	_A_SERVING,
	_A_INSIGHTS,
	_A_EXPERIMENTS,
	_A_HISTORY,
	_A_COUNT
};
static const char *const _api_paths[_A_COUNT] = { "/api/status",
	"/api/segments", "/api/serving", "/api/insights", "/api/experiments",
	"/api/history" };

static int _api(const char *url)
{
	for (int i = 0; i < _A_COUNT; i++)
		if (!strcmp(url, _api_paths[i]))
			return i;
	return -1;
}

/* The page's own paths; the rest of the files by their path. */
static const char *_page_path(const char *url)
{
	return !strcmp(url, "/dashboard") || !strcmp(url, "/dashboard/") ? "/"
									 : url;
}

bool dash_route(const char *url, enum mx_route *mx)
{
	if (_api(url) >= 0) {
		*mx = MX_ROUTE_API;
		return true;
	}
	if (web_find(_page_path(url))) {
		*mx = MX_ROUTE_PAGE;
		return true;
	}
	return false;
}

static int _segments(FILE *f, pen_t *p)
{
	struct pen_segments *s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (pen_segments_read(p, s, PEN_READ_NAMES))
		memset(s, 0, sizeof(*s));
	client_segments_json(f, s);
	free(s);
	return 0;
}

static int _experiments(FILE *f, pen_t *p)
{
	struct pen_experiments *x = malloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	if (pen_experiments_read(p, x))
		memset(x, 0, sizeof(*x));
	client_experiments_json(f, x);
	free(x);
	return 0;
}

static int _insights_json(FILE *f, struct dash *d, pen_t *p)
{
	struct ins_report *r = malloc(sizeof(*r));
	int rc = r ? _insights(d, p, r) : -ENOMEM;
	if (!rc)
		ins_json(f, p, r);
	free(r);
	return rc;
}

static int _write_api(FILE *f, struct dash *d, pen_t *p, int api)
{
	const struct reg *r = client_region(p);
	uint64_t sum[REG_C_COUNT];
	switch (api) {
	case _A_STATUS:
		client_status_sum(r, sum);
		client_status_json(f, r, sum, _rate(d));
		return 0;
	case _A_SEGMENTS: return _segments(f, p);
	case _A_SERVING: _serving_json(f, p); return 0;
	case _A_INSIGHTS: return _insights_json(f, d, p);
	case _A_EXPERIMENTS: return _experiments(f, p);
	default: _history_json(f, d); return 0;
	}
}

int dash_answer(struct dash *d, pen_t *p, const char *url,
    struct dash_reply *out)
{
	memset(out, 0, sizeof(*out));
	int api = _api(url);
	if (api < 0) {
		const struct web_file *w = web_find(_page_path(url));
		if (!w)
			return -ENOENT;
		out->status = 200;
		out->type = w->type;
		out->body = (char *)w->data;
		out->len = w->len;
		out->static_body = true;
		return 0;
	}
	FILE *f = open_memstream(&out->body, &out->len);
	if (!f)
		return -ENOMEM;
	int rc = _write_api(f, d, p, api);
	bool bad = ferror(f) != 0;
	if (fclose(f) || bad || rc) {
		free(out->body);
		out->body = NULL;
		return rc ? rc : -ENOMEM;
	}
	out->status = 200;
	out->type = _JSON;
	return 0;
}
