/*
 * metrics: the instance in the Prometheus text exposition format (0.0.4),
 * for GET /metrics on the rank API server (workers/server.h), and the
 * latency histograms the server measures itself.
 *
 * Every sample name starts with penchant_. What is exported:
 *   - every row of shm/counters.h, for every process slot, labelled
 *     role= and index= (counters as penchant_NAME_total, rows whose help
 *     starts with "gauge:" as penchant_NAME); the reject block as
 *     penchant_rejected_total{role,index,reason}, the producers' own
 *     rejections (libpenchant clients, summed over slots) under
 *     role="producers", index="all"; summed over every series this is the
 *     "rejected" object of `penchant status --json`;
 *   - process health: up, ready, restarts (starts - 1), heartbeat age;
 *   - producers and rings: published, full-ring waits, backlog per shard
 *     and the fullest ring into each shard (0..1);
 *   - profiles per shard, catalog entities, their capacities;
 *   - events per verb held in the profiles (from the caller's last profile
 *     scan, ipc/insights.h; a gauge: erased and retired profiles drop out);
 *   - segments: refresh version, count, users and each segment's size,
 *     share, engagement and CTR labelled segment= (id) and name=;
 *   - serving outcomes by strategy (pen_serving_read): impressions, clicks,
 *     conversions;
 *   - histograms of the server's HTTP request latency by route and of its
 *     rankings (pen_rerank), kept in the server's memory (struct
 *     mx_latency): they start again from zero when the server restarts,
 *     which Prometheus reads as a counter reset.
 *
 * Label values are escaped (backslash, double quote, newline), HELP texts
 * too (backslash, newline).
 */
#ifndef PENCHANT_WORKERS_METRICS_H
#define PENCHANT_WORKERS_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "penchant.h"

/* Upper bounds of the latency buckets, seconds (then +Inf). */
#define MX_BUCKETS 16
extern const double mx_bounds[MX_BUCKETS];

/*
 * One latency histogram. Any thread may observe into it at any time
 * (atomic adds); a reader sees each field whole, perhaps one observation
 * apart from the others.
 */
struct mx_hist {
	uint64_t bucket[MX_BUCKETS + 1]; /* not cumulative; last: +Inf */
	uint64_t count;
	uint64_t sum_ns;
};

void mx_observe(struct mx_hist *h, uint64_t ns);

/* HTTP routes the latency is kept apart for. */
enum mx_route {
	MX_ROUTE_RANK = 0,
	MX_ROUTE_PROFILE,
	MX_ROUTE_HEALTH,
	MX_ROUTE_METRICS,
	MX_ROUTE_API,  /* /api/... */
	MX_ROUTE_PAGE, /* the dashboard's page and files */
	MX_ROUTE_OTHER,
	MX_ROUTES
};

/* "rank" "profile" "health" "metrics" "api" "page" "other". */
const char *mx_route_name(unsigned route);

struct mx_latency {
	struct mx_hist http[MX_ROUTES]; /* first byte in to answer sent */
	struct mx_hist rerank;		/* pen_rerank calls, HTTP and msgpack */
};

/* Events per verb over the profiles the caller scanned (may be absent). */
struct mx_verbs {
	uint64_t count[PEN_N_COUNT];
	uint64_t profiles; /* profiles the counts are over */
};

/* Monotonic clock in ns, for the callers of mx_observe. */
uint64_t mx_now_ns(void);

/*
 * Writes the whole exposition for the instance behind p (a handle the
 * calling thread owns); lat and verbs may be NULL (left out). 0, or a
 * negative errno when the segments could not be read for lack of memory.
 */
int mx_write(FILE *f, pen_t *p, const struct mx_latency *lat,
    const struct mx_verbs *verbs);

#endif
