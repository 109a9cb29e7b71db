/*
 * counters: every per-process counter of the region, declared once. The
 * X-macro tables below generate enum reg_counter (the index into
 * reg_proc.counters[], shm/layout.h), the names `penchant status --json`
 * prints, and their help texts (for people and the metrics endpoint).
 * Adding a counter is adding one row here, then counting it.
 *
 * Rows: X(ID, name, help) gives REG_C_ID, printed as "name".
 *
 * Index space, in order:
 *   REG_COUNTERS_PROC rows    any process (workers use them today)
 *   REG_C_REJECT0 + reason    events rejected with enum evt_reason
 *                             (engine/event.h; named by evt_reason_name)
 *   REG_COUNTERS_ACC rows     the network acceptor's own (REG_C_ACC0..)
 *   REG_COUNTERS_SRV rows     the rank API server's own (REG_C_SRV0..)
 * Gauges say so in their help; everything else only grows. A counter is
 * written by the process whose reg_proc holds it, read by anyone.
 */
#ifndef PENCHANT_SHM_COUNTERS_H
#define PENCHANT_SHM_COUNTERS_H

#include <stdbool.h>

#include "engine/event.h"

#define REG_COUNTERS_PROC(X)                                                                                                      \
	X(APPLIED, "applied", "events applied to profiles")                                                                       \
	X(BATCHES, "batches", "ring batches taken")                                                                               \
	X(UNKNOWN_ENTITY, "unknown_entity",                                                                                       \
	    "events applied whose entity is not in the catalog")                                                                  \
	X(SLEEPS, "sleeps", "times a worker slept on its doorbell")                                                               \
	X(RECOVERED, "recovered",                                                                                                 \
	    "half-applied events rolled back at a worker's start")                                                                \
	X(SKIPPED, "skipped",                                                                                                     \
	    "already-applied records skipped at a worker's start")                                                                \
	X(QUARANTINED, "quarantined",                                                                                             \
	    "corrupt index entries, counts or intents a worker repaired or removed at start (shared memory is input too)")        \
	X(RINGS_RESET, "rings_reset",                                                                                             \
	    "rings whose indices no producer could have left (two processes through one handle): emptied, their records dropped") \
	X(ERASED, "erased", "profiles erased on request")                                                                         \
	X(RETIRED, "retired",                                                                                                     \
	    "profiles removed by the retention sweep (idle past retention_days)")                                                 \
	X(EXPIRED, "expired", "events not learned: older than retention_days")                                                    \
	X(CONSENTS, "consents", "consent decisions recorded")                                                                     \
	X(NO_CONSENT, "no_consent",                                                                                               \
	    "events not learned: the user has not consented to personalization")                                                  \
	X(DNT, "dnt", "events not learned: marked do-not-track")                                                                  \
	X(SENSITIVE, "sensitive",                                                                                                 \
	    "events not learned: their entity is marked sensitive")

/*
 * The acceptor's rows (workers/acceptor.h). The FWD_CLOSED_* rows mirror
 * TCP_CLOSED_PEER..TCP_CLOSED_TOO_MANY in the same order: the acceptor
 * finds a forward connection's counter by the offset between the two.
 */
#define REG_COUNTERS_ACC(X)                                                    \
	X(UDP_DATAGRAMS, "udp_datagrams", "UDP datagrams received")            \
	X(UDP_BYTES, "udp_bytes", "UDP payload bytes received")                \
	X(UDP_DROPPED, "udp_dropped",                                          \
	    "UDP datagrams dropped whole: a ring had no room")                 \
	X(UDP_DROPPED_EVENTS, "udp_dropped_events",                            \
	    "valid events in the dropped datagrams")                           \
	X(UDP_TRUNCATED, "udp_truncated",                                      \
	    "UDP datagrams larger than a receive buffer")                      \
	X(TCP_ACCEPTED, "tcp_accepted", "TCP connections accepted")            \
	X(TCP_BYTES, "tcp_bytes", "bytes received on TCP connections")         \
	X(TCP_CLOSED_PEER, "closed_peer",                                      \
	    "TCP connections the peer closed (or reset) between objects")      \
	X(TCP_CLOSED_PARTIAL, "closed_partial",                                \
	    "TCP connections the peer closed in the middle of an object")      \
	X(TCP_CLOSED_IDLE, "closed_idle",                                      \
	    "TCP connections closed idle, or one object too slow")             \
	X(TCP_CLOSED_TOO_BIG, "closed_too_big",                                \
	    "TCP connections closed: an object or buffered bytes over the "    \
	    "caps")                                                            \
	X(TCP_CLOSED_PROTOCOL, "closed_protocol",                              \
	    "TCP connections closed: not msgpack, or nesting too deep")        \
	X(TCP_CLOSED_TOO_MANY, "closed_too_many",                              \
	    "TCP connections over max_connections, closed at once")            \
	X(ACC_EVENTS, "events", "events the acceptor staged into the rings")   \
	X(ACC_PAUSED, "paused",                                                \
	    "back-pressure episodes (a TCP stream paused)")                    \
	X(ACC_CONNS, "connections", "gauge: open TCP connections")             \
	X(ACC_LISTENERS, "listeners", "gauge: sockets listening")              \
	X(FWD_ACCEPTED, "fwd_accepted", "forward connections accepted")        \
	X(FWD_BYTES, "fwd_bytes", "bytes received on forward connections")     \
	X(FWD_CLOSED_PEER, "fwd_closed_peer",                                  \
	    "forward connections the peer closed between messages")            \
	X(FWD_CLOSED_PARTIAL, "fwd_closed_partial",                            \
	    "forward connections the peer closed in the middle of a message")  \
	X(FWD_CLOSED_IDLE, "fwd_closed_idle",                                  \
	    "forward connections closed idle, or one message too slow")        \
	X(FWD_CLOSED_TOO_BIG, "fwd_closed_too_big",                            \
	    "forward connections closed: a cap exceeded (message, inflated, "  \
	    "held)")                                                           \
	X(FWD_CLOSED_PROTOCOL, "fwd_closed_protocol",                          \
	    "forward connections closed: not msgpack or not a forward "        \
	    "message")                                                         \
	X(FWD_CLOSED_TOO_MANY, "fwd_closed_too_many",                          \
	    "forward connections over max_connections, closed at once")        \
	X(FWD_CLOSED_SLOW, "fwd_closed_slow",                                  \
	    "forward connections closed: the peer does not read its acks, or " \
	    "a send failed")                                                   \
	X(FWD_MESSAGES, "fwd_messages",                                        \
	    "forward messages taken whole (heartbeats not counted)")           \
	X(FWD_ACKS, "fwd_acks", "acks queued (messages with a chunk option)")  \
	X(FWD_DUP_CHUNKS, "fwd_duplicate_chunks",                              \
	    "resent chunks already committed: acked again, events dropped")    \
	X(FWD_DUP_EVENTS, "fwd_duplicate_events",                              \
	    "events of resent chunks not staged again (already in the rings)") \
	X(FWD_RESUMED, "fwd_resumed_chunks",                                   \
	    "resent chunks found half-published: only the rest was published") \
	X(FWD_JOURNAL_LOST, "fwd_journal_lost",                                \
	    "pending chunks whose journal entry was recycled: resent as new "  \
	    "(may duplicate)")                                                 \
	X(UDP_REFUSED, "udp_refused",                                          \
	    "UDP datagrams dropped: source not in allow_from")                 \
	X(TCP_REFUSED, "tcp_refused",                                          \
	    "TCP connections closed at accept: source not in allow_from")      \
	X(FWD_REFUSED, "fwd_refused",                                          \
	    "forward connections closed at accept: source not in allow_from")  \
	X(FWD_AUTH_FAILED, "fwd_auth_failed",                                  \
	    "forward connections closed: shared-key handshake failed (wrong "  \
	    "key, not a PING)")                                                \
	X(ACC_STALLS, "stalls",                                                \
	    "times the acceptor came back 250 ms or more late from a wait "    \
	    "(stopped, or not scheduled): that time is not counted as idle "   \
	    "time of its connections")

/* The rank API server's rows (workers/server.h). */
#define REG_COUNTERS_SRV(X)                                                     \
	X(SRV_HTTP_REQUESTS, "http_requests", "HTTP requests answered")         \
	X(SRV_HTTP_RANK, "http_rank", "POST /v1/rank requests answered 200")    \
	X(SRV_HTTP_PROFILE, "http_profile",                                     \
	    "GET /v1/profile requests answered 200")                            \
	X(SRV_HTTP_4XX, "http_4xx",                                             \
	    "HTTP requests refused as bad (4xx, with a reason)")                \
	X(SRV_HTTP_TOO_BIG, "http_too_big",                                     \
	    "HTTP bodies refused before reading them whole (413)")              \
	X(SRV_HTTP_5XX, "http_5xx", "HTTP requests that failed inside (5xx)")   \
	X(SRV_HTTP_CONNS, "http_connections", "gauge: open HTTP connections")   \
	X(SRV_HTTP_REFUSED, "http_refused",                                     \
	    "HTTP connections closed at once: max_connections were open")       \
	X(SRV_HTTP_SLOW, "http_slow",                                           \
	    "HTTP connections closed: a request's head, body or answer took "   \
	    "over idle_timeout_s (a byte now and then)")                        \
	X(SRV_HTTP_MALFORMED, "http_malformed",                                 \
	    "HTTP requests libmicrohttpd refused itself with its own page: "    \
	    "a request line or header it cannot parse, headers over its "       \
	    "memory, an HTTP version it does not speak")                        \
	X(SRV_HTTP_NO_REQUEST, "http_no_request",                               \
	    "HTTP connections closed before any request reached the server: "   \
	    "nothing sent, bytes libmicrohttpd cannot read as a request line "  \
	    "(closed without an answer), one it refused itself (also in "       \
	    "http_malformed), a head cut short by the peer's end, or too slow " \
	    "(also in http_slow)")                                              \
	X(SRV_HTTP_CROSS_ORIGIN, "http_cross_origin",                           \
	    "HTTP requests that change something (POST, DELETE) refused: "      \
	    "sent by a page of another origin (Origin, Sec-Fetch-Site)")        \
	X(SRV_MP_CONNS, "mp_connections",                                       \
	    "gauge: open msgpack rank connections")                             \
	X(SRV_MP_REQUESTS, "mp_requests", "msgpack rank requests answered")     \
	X(SRV_MP_BAD, "mp_bad",                                                 \
	    "msgpack rank requests refused as bad (answered with an error)")    \
	X(SRV_MP_CLOSED, "mp_closed",                                           \
	    "msgpack rank connections closed for garbage or oversize")          \
	X(SRV_MP_REFUSED, "mp_refused",                                         \
	    "msgpack rank connections closed at once: max_connections were "    \
	    "open")                                                             \
	X(SRV_MP_SLOW, "mp_slow",                                               \
	    "msgpack rank connections closed: a request took over "             \
	    "idle_timeout_s to arrive whole")                                   \
	X(SRV_RANKED, "ranked", "candidates ranked, all requests")

#define _REG_C_ENUM(id, name, help) REG_C_##id,
/* clang-format off */
enum reg_counter {
	REG_COUNTERS_PROC(_REG_C_ENUM)
	REG_C_REJECT0, /* + enum evt_reason */
	REG_C_ACC0 = REG_C_REJECT0 + EVT_REASON_COUNT,
	_REG_C_ACC_BEFORE = REG_C_ACC0 - 1, /* the next row is REG_C_ACC0 */
	REG_COUNTERS_ACC(_REG_C_ENUM)
	REG_C_SRV0,
	_REG_C_SRV_BEFORE = REG_C_SRV0 - 1, /* the next row is REG_C_SRV0 */
	REG_COUNTERS_SRV(_REG_C_ENUM)
	REG_C_COUNT
};
/* clang-format on */
#undef _REG_C_ENUM
_Static_assert(REG_C_FWD_CLOSED_TOO_MANY - REG_C_FWD_CLOSED_PEER ==
	REG_C_TCP_CLOSED_TOO_MANY - REG_C_TCP_CLOSED_PEER,
    "forward close reasons mirror the TCP ones");

/*
 * What loads refused, by load and reason: counted by the loading command
 * (penchant catalog load, any caller of pen_experiments_load) into the
 * region header's load_rejected[] (shm/layout.h), so that `penchant
 * status --json` ("loads") and the metrics endpoint
 * (penchant_load_rejected_total) show what the loads' stderr said.
 * Rows: X(ID, load, reason, help) gives REG_L_ID. Catalog rows count
 * lines (each line stands alone: the others load); experiment rows count
 * files (a refused file changes nothing).
 */
#define REG_LOADS(X)                                                            \
	X(CAT_INVALID, "catalog", "invalid",                                    \
	    "catalog lines refused: not JSON, or a field missing, unknown, of " \
	    "the wrong kind, out of range or given twice")                      \
	X(CAT_LOCATION, "catalog", "bad_location",                              \
	    "catalog lines refused: a location the instance cannot encode")     \
	X(CAT_FULL, "catalog", "catalog_full",                                  \
	    "catalog lines refused: the catalog is full (catalog_capacity); "   \
	    "the load stopped there")                                           \
	X(CAT_NAMES_FULL, "catalog", "names_full",                              \
	    "catalog lines refused: the name table is full (names_capacity)")   \
	X(EXP_INVALID, "experiments", "invalid",                                \
	    "experiment files refused: a definition not JSON, a field "         \
	    "missing, unknown, out of range or given twice, a name used twice") \
	X(EXP_TOO_MANY, "experiments", "too_many",                              \
	    "experiment files refused: more definitions than run at once, or "  \
	    "no free slot")

#define _REG_L_ENUM(id, load, name, help) REG_L_##id,
enum reg_load { REG_LOADS(_REG_L_ENUM) REG_L_COUNT };
#undef _REG_L_ENUM

/* Row k's load ("catalog", "experiments"), reason name and help; NULL
 * for k out of range. */
const char *reg_load_kind(unsigned k);
const char *reg_load_name(unsigned k);
const char *reg_load_help(unsigned k);

struct reg;
/* Counts one refusal of row k in r's header (an atomic add: any process
 * that loads, lock held or not). */
void reg_load_rejected(const struct reg *r, enum reg_load k);

/* Counter k is REG_C_REJECT0 + an evt_reason. */
static inline bool reg_counter_is_reject(unsigned k)
{
	return k >= REG_C_REJECT0 && k < REG_C_ACC0;
}

/* Counter k is a gauge (a level, not a running total): its help says so. */
bool reg_counter_is_gauge(unsigned k);

/*
 * The name and help of counter k (< REG_C_COUNT). For the reject block
 * the name is evt_reason_name(k - REG_C_REJECT0) and the help says so.
 * NULL for k out of range.
 */
const char *reg_counter_name(unsigned k);
const char *reg_counter_help(unsigned k);

#endif
