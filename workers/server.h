/*
 * server: the rank API server process. Answers remote callers over
 * HTTP/1.1 JSON (libmicrohttpd) and over msgpack on TCP; the wire format
 * is ipc/rankreq.h (docs/API.md for clients).
 *
 * HTTP, on every address of http_listen:
 *   POST /v1/rank             a JSON rank request -> 200 and the ranking
 *   GET  /v1/profile/{user}   the profile JSON of `penchant profile --json`
 *                             (the user id URL-decoded); 404 unknown user
 *   GET  /v1/health           200 {"status":"ok",...} while the instance
 *                             runs, 503 once it stops
 *   GET  /metrics             the Prometheus text format (workers/metrics.h;
 *                             its latency histograms are this process's)
 *   GET  /, /dashboard, /static/..., /api/...
 *                             the read-only dashboard and its JSON
 *                             (workers/dash.h; sampled once a second from
 *                             the main loop)
 * Every refusal is a 4xx (5xx: the server's fault) with a JSON body
 * {"error": "reason: detail", "field": ... or null, "status": N}. A body
 * above max_request_bytes is refused with 413 before it is read whole: a
 * Content-Length above the cap is answered at once; a chunked body stops
 * being kept at the cap, the rest is read and dropped and the answer is
 * 413; one that goes on past 4 x max_request_bytes has its connection
 * closed without an answer.
 *
 * msgpack, on every address of rank_listen: a connection carries a stream
 * of request maps and gets one response map per request, in order (a
 * request the codec refuses gets an error map and the connection stays).
 * Bytes that are not msgpack, nesting too deep, or an object over
 * max_request_bytes close the connection (counted). A connection holds at
 * most max_request_bytes of unanswered input and stops being read while
 * 256 KiB of answers wait for the peer to read them.
 *
 * Either setting empty disables that side; both empty: no server process
 * (srv_wanted). Connections: at most max_connections per side, idle ones
 * closed after idle_timeout_s.
 *
 * Threads: server_threads HTTP threads (libmicrohttpd's pool, one per
 * listening address and thread) and as many msgpack threads, each with
 * its own pen_t opened on the instance (a pen_t is single-threaded).
 *
 * Memory: a kept-alive HTTP connection holds its last request's body and
 * answer buffers (up to 16 KiB each) for the next request, beside
 * libmicrohttpd's own 32 KiB pool; larger ones are freed once answered.
 *
 * Process: forked and restarted by the supervisor like the acceptor, at
 * reg_proc(r, reg_proc_server(r)). It writes its reg_proc (heartbeat,
 * ready, counters REG_C_SRV0.. from every thread, atomically) and reads
 * the rest of the region through libpenchant. Exit codes: 0 after a clean
 * stop (SIGTERM or SIGINT, read through a signalfd, or the region leaving
 * REG_RUNNING); SRV_EXIT_BIND when an address could not be bound (the log
 * names the setting and the address; a repeat of that failure right after
 * one is logged at debug level only, so a held port does not fill the
 * log while the supervisor retries with backoff); 1 for other failures at
 * start.
 */
#ifndef PENCHANT_WORKERS_SERVER_H
#define PENCHANT_WORKERS_SERVER_H

#include <stdbool.h>

#include "conf/config.h"
#include "shm/region.h"

#define SRV_EXIT_BIND 3

/* True when http_listen or rank_listen names an address. */
bool srv_wanted(const struct cfg *c);

/* The server process body; returns its exit code (above). */
int srv_main(const struct reg *r, const struct cfg *c);

#endif
