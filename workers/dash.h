/*
 * dash: the dashboard side of the rank API server (workers/server.h):
 * its JSON endpoints, the page and its files, and what they need kept
 * between requests. Read-only: nothing here changes the instance.
 *
 * GET routes (docs/API.md, "Dashboard and metrics"):
 *   /api/status       the object `penchant status --json` prints
 *                     (ipc/status_json.h); applied_per_s from the last
 *                     two history samples, one second apart
 *   /api/segments     the object `penchant segments --json` prints
 *                     ({"version":0,...} before the first refresh)
 *   /api/serving      impressions, clicks, conversions and CTR by
 *                     strategy and list position (pen_serving_read)
 *   /api/insights     behavior insights (ipc/insights.h), rescanned at
 *                     most every DASH_SCAN_MS, over at most
 *                     DASH_SCAN_MAX profiles (a uniform sample beyond)
 *   /api/experiments  {"experiments":[]}: the panel's feed, until
 *                     experiments exist
 *   /api/history      the last DASH_HISTORY samples, one a second, of
 *                     the running totals (applied, published, rejected
 *                     by reason, UDP drops, full-ring waits, backlog,
 *                     HTTP requests, candidates ranked)
 *   / and /dashboard  the page; /static/... its script, style and the
 *                     vendored chart library (workers/web.h)
 *
 * Threads: the server's main loop calls dash_tick; any HTTP thread calls
 * dash_answer and dash_verbs with its own pen_t. State is behind a mutex
 * (history) and a second one (the insights cache, so one thread scans
 * while others wait for its result instead of scanning too).
 */
#ifndef PENCHANT_WORKERS_DASH_H
#define PENCHANT_WORKERS_DASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "penchant.h"
#include "shm/region.h"
#include "workers/metrics.h"

#define DASH_HISTORY 300     /* samples kept: five minutes */
#define DASH_SCAN_MS 5000    /* insights are at most this old */
#define DASH_SCAN_MAX 200000 /* profiles an insights scan reads at most */

struct dash;

/* 0 or -ENOMEM. */
int dash_new(struct dash **out);

/* Frees; sets *d NULL. */
void dash_free(struct dash **d);

/* Main loop, every tick: takes a history sample when a second passed. */
void dash_tick(struct dash *d, const struct reg *r);

/*
 * Whether url is one of the routes above; *mx gets the latency
 * histogram it counts in (MX_ROUTE_API or MX_ROUTE_PAGE).
 */
bool dash_route(const char *url, enum mx_route *mx);

/* An answer: body is malloc'd (the caller frees it) unless static_body. */
struct dash_reply {
	unsigned status;
	const char *type;
	char *body;
	size_t len;
	bool static_body; /* body points into the compiled-in files */
};

/*
 * Answers GET url (a route dash_route accepted) with p, the calling
 * thread's handle. 0, or -ENOMEM (nothing to free then).
 */
int dash_answer(struct dash *d, pen_t *p, const char *url,
    struct dash_reply *out);

/* Events per verb from the insights cache (rescanned when stale). */
int dash_verbs(struct dash *d, pen_t *p, struct mx_verbs *out);

#endif
