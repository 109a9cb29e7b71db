/*
 * config: the settings table and everything generated from it: the value
 * parsers, the file and command-line readers, cfg_check, --help text,
 * docs/SETTINGS.md and the "name = value" dump. Contract in config.h.
 *
 * Why one table: a setting is declared in exactly one line below (plus its
 * field in struct cfg), so the parser, the checks and the docs cannot drift
 * apart. The table macros check at compile time that each entry's field has
 * the C type its setting type needs.
 *
 * Numbers are read and written in the C locale's format; penchant processes
 * never call setlocale(), which keeps "0.1" meaning 0.1.
 */
#include "conf/config.h"

#include "engine/segpolicy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum cfgt {
	CFGT_UINT,
	CFGT_DOUBLE,
	CFGT_BOOL,
	CFGT_ENUM,
	CFGT_STRING,
};

static const char *const _cfg_type_names[] = {
	[CFGT_UINT] = "uint",
	[CFGT_DOUBLE] = "double",
	[CFGT_BOOL] = "bool",
	[CFGT_ENUM] = "enum",
	[CFGT_STRING] = "string",
};

/* For --help: "--shards=UINT". */
static const char *const _cfg_type_names_upper[] = {
	[CFGT_UINT] = "UINT",
	[CFGT_DOUBLE] = "DOUBLE",
	[CFGT_BOOL] = "BOOL",
	[CFGT_ENUM] = "LEVEL",
	[CFGT_STRING] = "STRING",
};

/* Rules beyond min..max. */
#define CFGF_POW2 0x1u /* uint: a power of two (ring index masks) */
#define CFGF_NAMECHARS                                                         \
	0x2u		     /* string: [A-Za-z0-9_-], no leading '-' (goes
			      * into shm names and command lines) */
#define CFGF_ABSPATH 0x4u    /* string: absolute path (daemons chdir to /) */
#define CFGF_LISTEN 0x8u     /* string: cfg_listen_parse() address list */
#define CFGF_VERBS 0x10u     /* string: evt_verbs_parse() name:signal list */
#define CFGF_OVERRIDES 0x20u /* string: sp_overrides_parse() list */
#define CFGF_SENSITIVE 0x40u /* string: cfg_sensitive_parse() list */
#define CFGF_CIDRS 0x80u     /* string: cfg_cidr_parse() list */

struct _cfg_desc {
	const char *name; /* == the struct cfg field name */
	enum cfgt type;
	size_t off;  /* offsetof(struct cfg, field) */
	size_t size; /* sizeof the field; for strings, capacity incl. NUL */
	unsigned flags;
	unsigned long long umin, umax, udef; /* uint; string length range */
	double dmin, dmax, ddef;
	bool bdef;
	const char *const *choices; /* enum: NULL-terminated, index = value */
	int edef;
	const char *sdef;
	const char *help;
};

/*
 * _Generic fails to compile when the field does not have the C type T, so a
 * table entry cannot point a double setting at an unsigned field.
 */
#define CFG_FIELD(f, T)                                                        \
	.name = #f,                                                            \
	.off = _Generic(((struct cfg *)0)->f, T                                \
			: offsetof(struct cfg, f)),                            \
	.size = sizeof(((struct cfg *)0)->f)

#define CFG_UINT(f, def, lo, hi, fl, h)                                        \
	{                                                                      \
		CFG_FIELD(f, unsigned), .type = CFGT_UINT, .flags = (fl),      \
					.umin = (lo), .umax = (hi),            \
					.udef = (def), .help = (h)             \
	}
#define CFG_DOUBLE(f, def, lo, hi, h)                                          \
	{                                                                      \
		CFG_FIELD(f, double), .type = CFGT_DOUBLE, .dmin = (lo),       \
				      .dmax = (hi), .ddef = (def), .help = (h) \
	}
#define CFG_BOOL(f, def, h)                                                    \
	{                                                                      \
		CFG_FIELD(f, bool), .type = CFGT_BOOL, .bdef = (def),          \
				    .help = (h)                                \
	}
#define CFG_ENUM(f, T, def, ch, h)                                             \
	{                                                                      \
		CFG_FIELD(f, T), .type = CFGT_ENUM, .edef = (def),             \
				 .choices = (ch), .help = (h)                  \
	}
#define CFG_STRING(f, def, lo, hi, fl, h)                                      \
	{                                                                      \
		CFG_FIELD(f, char *), .type = CFGT_STRING, .flags = (fl),      \
				      .umin = (lo), .umax = (hi),              \
				      .sdef = (def), .help = (h)               \
	}

/* Learner rows: setting `n` is the field learn.n of struct cfg. */
#define CFG_FIELD_AT(n, f, T)                                                  \
	.name = #n,                                                            \
	.off = _Generic(((struct cfg *)0)->f, T                                \
			: offsetof(struct cfg, f)),                            \
	.size = sizeof(((struct cfg *)0)->f)
#define _CFG_LRN_D(n, def, lo, hi, h)                                          \
	{ CFG_FIELD_AT(n, learn.n, double), .type = CFGT_DOUBLE, .dmin = (lo), \
		.dmax = (hi), .ddef = (def), .help = (h) },
#define _CFG_LRN_U(n, def, lo, hi, h)                                          \
	{ CFG_FIELD_AT(n, learn.n, unsigned), .type = CFGT_UINT, .umin = (lo), \
		.umax = (hi), .udef = (def), .help = (h) },
#define _CFG_RANK_D(n, def, lo, hi, h)                                         \
	{ CFG_FIELD_AT(n, rank.n, double), .type = CFGT_DOUBLE, .dmin = (lo),  \
		.dmax = (hi), .ddef = (def), .help = (h) },
#define _CFG_RANK_U(n, def, lo, hi, h)                                         \
	{ CFG_FIELD_AT(n, rank.n, unsigned), .type = CFGT_UINT, .umin = (lo),  \
		.umax = (hi), .udef = (def), .help = (h) },
#define _CFG_RANK_B(n, def, h)                                                 \
	{ CFG_FIELD_AT(n, rank.n, bool), .type = CFGT_BOOL, .bdef = (def),     \
		.help = (h) },
#define _CFG_RANK_E(n, T, def, names, h)                                       \
	{ CFG_FIELD_AT(n, rank.n, T), .type = CFGT_ENUM, .edef = (def),        \
		.choices = (names), .help = (h) },
#define _CFG_LRN_B(n, def, h)                                                  \
	{ CFG_FIELD_AT(n, learn.n, bool), .type = CFGT_BOOL, .bdef = (def),    \
		.help = (h) },

/* Enum fields are stored and read as one enum type (_cfg_store). */
_Static_assert(sizeof(enum rank_diversifier) == sizeof(enum cfg_log_level),
    "enum settings have one size");

/* Index = enum cfg_log_level value. */
/* Index = enum cfg_consent value. */
static const char *const _cfg_consent_regimes[] = { "opt-out", "opt-in", NULL };

static const char *const _cfg_log_levels[] = {
	"error",
	"warn",
	"info",
	"debug",
	NULL,
};

/* The table keeps its hand layout: one row, one setting. */
/* clang-format off */
static const struct _cfg_desc
    _cfg_table[] = {
	    CFG_STRING(instance, "default", 1, CFG_INSTANCE_MAX, CFGF_NAMECHARS,
		"instance name: selects the shared-memory region /penchant.NAME and the snapshot file"),
	    CFG_UINT(shards, 0, 0, CFG_SHARDS_MAX, 0,
		"shard worker processes; 0 = one per online CPU"),
	    CFG_UINT(producer_slots, 16, 2, 256, 0,
		"producer slots in the ring matrix (acceptor + libpenchant clients)"),
	    CFG_UINT(acceptor_slots, 1, 0, 8, 0,
		"producer slots reserved for the network acceptor"),
	    CFG_UINT(ring_depth, 4096, 64, 1048576, CFGF_POW2,
		"records per (producer, shard) ring"),
	    CFG_UINT(profiles_per_shard, 262144, 1024, 16777216, 0,
		"profile capacity of each shard table"),
	    CFG_UINT(catalog_capacity, 65536, 16, 4194304, 0,
		"catalog entries (entities)"),
	    CFG_UINT(names_capacity, 65536, 16, 4194304, 0,
		"tag and category names kept for display"),
	    CFG_STRING(state_dir, "/var/lib/penchant", 1, CFG_STATE_DIR_MAX,
		CFGF_ABSPATH, "where snapshots and logs live"),
	    CFG_BOOL(snapshot, true,
		"write a snapshot at clean shutdown and load it at start"),
	    CFG_UINT(snapshot_interval_s, 300, 0, 86400, 0,
		"also write a snapshot this often while running (a child process copies the tables; 0 = only at shutdown), so a machine crash loses at most this much learning"),
	    CFG_UINT(worker_batch, 64, 1, 4096, 0,
		"records a worker takes from one ring before moving on"),
	    CFG_UINT(idle_spin_us, 50, 0, 100000, 0,
		"how long an idle worker spins before sleeping on its doorbell"),
	    CFG_DOUBLE(idle_spin_share, 0.25, 0.0, 1.0,
		"a busy worker may spin longer, until its extra spinning reaches this share of the time it spent applying events in the last 100 ms (a doorbell wake-up can cost hundreds of microseconds); 0 = idle_spin_us only"),
	    CFG_UINT(idle_spin_max_us, 5000, 0, 1000000, 0,
		"longest extra spin of one idle period (see idle_spin_share)"),
	    CFG_BOOL(worker_prefault, false,
		"a worker maps its shard's whole table (profiles, index) for writing at start, before it takes events: each page's first write (a trap to the host on a shadow-paging VM, a page fault elsewhere) is paid then, not by the first events of the users on it, and a table the machine cannot hold fails at start instead of under load. Off by default: it commits the table's capacity (profiles_per_shard x 768 bytes a shard) at every start, users or not; on for a sized production table"),
	    CFG_UINT(restart_delay_ms, 100, 0, 60000, 0,
		"supervisor delay before restarting a child that died (doubles on rapid repeats up to 5 s)"),
	    CFG_ENUM(log_level, enum cfg_log_level, CFG_LOG_INFO,
		_cfg_log_levels, "least severe message the daemons log"),
	    /* The learner's rows, from engine/learn_params.h. */
	LRN_PARAMS(_CFG_LRN_D, _CFG_LRN_U, _CFG_LRN_B)
	    /* The ranker's rows, from engine/rank_params.h. */
	RANK_PARAMS(_CFG_RANK_D, _CFG_RANK_U, _CFG_RANK_B, _CFG_RANK_E)
	    CFG_STRING(verbs, "", 0, CFG_VERBS_STR_MAX, CFGF_VERBS,
		"custom verbs with their signals, e.g. 'wishlist:0.6, play:0.2' (built-in verbs: view click rsvp save share feedback search cart purchase like dislike skip hide impression); a snapshot keeps each verb's counts by name"),
	    CFG_UINT(max_id_len, 256, 8, 4096, 0,
		"longest user/entity/session id accepted"),
	    CFG_UINT(max_str_len, 64, 8, 1024, 0, "longest other string field"),
	    CFG_UINT(max_past_days, 36500, 0, 100000, 0,
		"events older than this (by event time vs wall clock at acceptance) are rejected"),
	    CFG_UINT(max_future_s, 86400, 0, 31536000, 0,
		"events further in the future are rejected"),
	    CFG_UINT(geo_precision, 6, 1, 12, 0,
		"geohash characters kept for locations (coarse by design)"),
	    CFG_STRING(udp_listen, "127.0.0.1:7878,[::1]:7878", 0,
		CFG_LISTEN_STR_MAX, CFGF_LISTEN,
		"UDP addresses the acceptor receives msgpack events on; empty disables UDP"),
	    CFG_STRING(tcp_listen, "127.0.0.1:7878,[::1]:7878", 0,
		CFG_LISTEN_STR_MAX, CFGF_LISTEN,
		"TCP addresses the acceptor takes msgpack event streams on; empty disables TCP"),
	    CFG_STRING(forward_listen, "127.0.0.1:24224", 0, CFG_LISTEN_STR_MAX,
		CFGF_LISTEN,
		"TCP addresses for the Fluentd forward protocol; empty disables it"),
	    CFG_UINT(max_connections, 1024, 1, 65536, 0,
		"open TCP connections the acceptor keeps; more are accepted and closed at once (counted)"),
	    CFG_UINT(max_conn_buffer, 524288, 4096, 67108864, 0,
		"bytes the acceptor holds per TCP connection (a partial object plus data paused by back-pressure); raised to max_object_bytes when below it"),
	    CFG_UINT(max_object_bytes, 262144, 256, 67108864, 0,
		"largest msgpack object (one event map or array of them) the acceptor decodes; a larger one closes its TCP connection"),
	    CFG_UINT(idle_timeout_s, 60, 1, 86400, 0,
		"a TCP connection that sends no event that is taken (nothing, or only refused input), or does not complete an object, for this long is closed"),
	    CFG_UINT(udp_rcvbuf, 4194304, 0, 1073741824, 0,
		"SO_RCVBUF of the acceptor's UDP sockets (0 = kernel default; capped by net.core.rmem_max)"),
	    CFG_STRING(allow_from, "", 0, CFG_ALLOW_STR_MAX, CFGF_CIDRS,
		"source addresses the acceptor takes events from, as CIDRs (e.g. '10.0.0.0/8, ::1'); others' UDP datagrams are dropped and TCP/forward connections closed at accept (counted); empty = everyone"),
	    CFG_STRING(forward_shared_key, "", 0, CFG_SECRET_STR_MAX, 0,
		"shared key of the forward protocol's HELO/PING/PONG handshake; a forward connection must authenticate with it before any event is taken; empty = no handshake. A secret: keep the config file private"),
	    CFG_STRING(forward_hostname, "", 0, CFG_HOSTNAME_STR_MAX, 0,
		"server hostname the handshake's PONG names; empty = this machine's hostname"),
	    CFG_UINT(segment_interval_s, 300, 0, 86400, 0,
		"the segmenter refreshes the segments this often (0 = only when asked: penchant segments --refresh)"),
	    CFG_UINT(segments_k, 0, 0, 16, 0,
		"number of segments; 0 = chosen between segments_k_min and segments_k_max by silhouette"),
	    CFG_UINT(segments_k_min, 3, 2, 16, 0,
		"fewest segments when choosing k"),
	    CFG_UINT(segments_k_max, 8, 2, 16, 0,
		"most segments when choosing k"),
	    CFG_UINT(segment_sample, 20000, 100, 10000000, 0,
		"users k is chosen on (a strided sample); the chosen k is fitted on all"),
	    CFG_UINT(segment_seed, 1, 0, 4294967295u, 0,
		"seed of the clustering (k-means++ seeding, mini-batches)"),
	    CFG_DOUBLE(segment_low_confidence, 0.2, 0.0, 1.0,
		"a user whose segment assignment margin is below this is flagged low-confidence (and gets less of the segment's prior)"),
	    CFG_DOUBLE(segment_min_share, 0.02, 0.0, 0.5,
		"when k is chosen (segments_k 0), a smaller k is taken while a segment would hold less than this share of the users"),
	    CFG_UINT(neighbor_items, 65536, 0, 4194304, 0,
		"items the segmenter keeps neighbour lists for (items users touched close together: the ranker's collaborative factor, engine/nbr.h): 512 bytes of shared memory per item (256-byte lists in a table kept at most half full) and up to ~800 bytes of the segmenter's memory per item counted; 0 = none"),
	    CFG_UINT(neighbor_interval_s, 10, 1, 86400, 0,
		"the segmenter counts what is new in the profiles' recent items and republishes the changed neighbour lists this often"),
	    CFG_DOUBLE(neighbor_cpu_share, 0.25, 0.01, 1.0,
		"longest share of a core the segmenter's neighbour passes take: after a pass of d seconds the next waits until d / share has gone by (when that is more than neighbor_interval_s)"),
	    CFG_UINT(neighbor_candidates, 64, 32, 64, 0,
		"pair counters an item keeps (space-saving): more hold weaker pairs; the 32 most similar are published"),
	    CFG_DOUBLE(neighbor_half_life_days, 0.0, 0.0, 36500.0,
		"co-engagement counts fade by half in this much event time (0 = never)"),
	    CFG_DOUBLE(neighbor_min_count, 1.0, 0.0, 1000000.0,
		"a pair engaged together fewer times than this is no neighbour"),
	    CFG_DOUBLE(neighbor_shrink, 0.0, 0.0, 1000000.0,
		"similarity shrinkage: a pair counted c times keeps c / (c + shrink) of its cosine"),
	    CFG_UINT(experiment_look_s, 60, 1, 86400, 0,
		"the segmenter takes a look at every experiment this often: the always-valid p-values and intervals, and the weights of bandit experiments, move at each look"),
	    CFG_UINT(experiment_requests, 131072, 1024, 16777216, CFGF_POW2,
		"experiment requests with an outcome each shard remembers (for first clicks and conversions, and rewards per request), 16 bytes of shared memory each: it should hold the requests a shard sees clicked within one attribution_window_s; past that, entries are taken from requests still in the window and the experiment's evicted count says so (docs/EXPERIMENTS.md)"),
	    CFG_STRING(segment_overrides, "", 0, CFG_OVERRIDES_STR_MAX,
		CFGF_OVERRIDES,
		"operator's names, strategies and parameters of segments by id, e.g. '3:name=Night owls;strategy=exploration_heavy;epsilon=0.2' (keys name strategy epsilon mmr_lambda explore_weight context_weight diversifier dpp_theta)"),
	    CFG_STRING(http_listen, "127.0.0.1:8787", 0, CFG_LISTEN_STR_MAX,
		CFGF_LISTEN,
		"TCP addresses of the rank API over HTTP/1.1 (POST /v1/rank, GET /v1/profile/USER); empty disables it"),
	    CFG_STRING(rank_listen, "127.0.0.1:8788", 0, CFG_LISTEN_STR_MAX,
		CFGF_LISTEN,
		"TCP addresses of the rank API over msgpack (a stream of request maps, one response map each); empty disables it"),
	    CFG_UINT(server_threads, 2, 1, CFG_SERVER_THREADS_MAX, 0,
		"threads of the rank API server, each with its own libpenchant handle"),
	    CFG_UINT(max_request_bytes, 1048576, 1024, 67108864, 0,
		"largest rank API request body; a larger one is refused (413) before it is read whole"),
	    CFG_UINT(max_candidates, 2000, 1, 100000, 0,
		"most candidates one rank request may carry"),
	    CFG_ENUM(
		consent_regime, enum cfg_consent, CFG_CONSENT_OPT_OUT, _cfg_consent_regimes, "what a user who has decided nothing consents to: opt-out = every purpose until withdrawn (a consent event), opt-in = nothing learned or counted until granted"),
	    CFG_UINT(retention_days, 0, 0, 36500, 0,
		"profiles idle longer than this (by their last event time, against the wall clock) are removed by the workers' sweep, and events older than this are not learned; 0 keeps everything"),
	    CFG_UINT(retention_sweep_per_s, 20000, 1, 100000000, 0,
		"profiles each worker looks at per second for the retention sweep, in idle time"),
	    CFG_STRING(sensitive, "", 0, CFG_SENSITIVE_STR_MAX, CFGF_SENSITIVE,
		"tags and categories never learned nor used for ranking (comma-separated names, e.g. 'health,religion,politics'); catalog entries can also be marked \"sensitive\": true"),
    };

#define CFG_COUNT (sizeof(_cfg_table) / sizeof(_cfg_table[0]))

/* Rules between settings, enforced by cfg_check() and listed in the docs. */
static const char *const _cfg_rules[] = {
	"acceptor_slots < producer_slots: libpenchant clients need at least one producer slot",
	"kl_release <= kl_threshold: drift must clear below where it is flagged",
	"segments_k_min <= segments_k_max: a range to choose k in",
	"no listen address twice: the same port on the same address (or a wildcard address of its family) is in at most one entry of tcp_listen, forward_listen, http_listen and rank_listen together, and of udp_listen; a second one cannot be bound, and its process would restart forever",
};
/* clang-format on */
#define CFG_RULE_COUNT (sizeof(_cfg_rules) / sizeof(_cfg_rules[0]))

/* Longest excerpt of a rejected value echoed in a message. */
#define CFG_QUOTE_MAX 40

/* Longest name considered for a "did you mean" suggestion. */
#define CFG_SUGGEST_MAX 64

union _cfg_val {
	unsigned long long u;
	double d;
	bool b;
	int e;
	const char *s;
};

/* ---- messages ---------------------------------------------------------- */

/* Write a message if the caller gave a buffer; return rc for tail calls. */
__attribute__((format(printf, 4, 5))) static int _cfg_msg(char *err,
    size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/*
 * Quote s for a message: at most CFG_QUOTE_MAX bytes, non-printing bytes as
 * \xNN, then "..." when cut. Values come from hostile files and must not
 * turn a log line into several lines or a terminal escape.
 */
static void _cfg_quote(char *out, size_t outlen, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (outlen < 4 * CFG_QUOTE_MAX + 6) {
		if (outlen)
			out[0] = '\0';
		return;
	}
	out[o++] = '\'';
	for (i = 0; s[i] && i < CFG_QUOTE_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			out[o++] = (char)ch;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[ch >> 4];
		out[o++] = hex[ch & 15];
	}
	out[o++] = '\'';
	if (s[i]) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* "64..1048576, power of two" etc.: what a setting accepts, for people. */
static void _cfg_range(const struct _cfg_desc *d, char *out, size_t outlen)
{
	size_t n, i;

	switch (d->type) {
	case CFGT_UINT:
		snprintf(out, outlen, "%llu..%llu%s", d->umin, d->umax,
		    (d->flags & CFGF_POW2) ? ", power of two" : "");
		return;
	case CFGT_DOUBLE:
		snprintf(out, outlen, "%g..%g", d->dmin, d->dmax);
		return;
	case CFGT_BOOL:
		snprintf(out, outlen, "true, false (or yes/no, on/off, 1/0)");
		return;
	case CFGT_ENUM:
		out[0] = '\0';
		for (i = 0, n = 0; d->choices[i] && n < outlen; i++)
			n += (size_t)snprintf(out + n, outlen - n, "%s%s",
			    i ? ", " : "", d->choices[i]);
		return;
	case CFGT_STRING:
		if (d->flags & CFGF_ABSPATH)
			snprintf(out, outlen, "absolute path, %llu..%llu chars",
			    d->umin, d->umax);
		else if (d->flags & CFGF_LISTEN)
			snprintf(out, outlen,
			    "comma-separated IPV4:PORT or [IPV6]:PORT, at most %d, %llu..%llu chars",
			    CFG_LISTEN_MAX, d->umin, d->umax);
		else if (d->flags & CFGF_CIDRS)
			snprintf(out, outlen,
			    "comma-separated IPV4/N or IPV6/N, at most %d, %llu..%llu chars",
			    CFG_ALLOW_MAX, d->umin, d->umax);
		else if (d->flags & CFGF_OVERRIDES)
			snprintf(out, outlen,
			    "comma-separated ID:key=value;... (keys name, strategy, epsilon, mmr_lambda, explore_weight, context_weight, diversifier, dpp_theta), %llu..%llu chars",
			    d->umin, d->umax);
		else if (d->flags & CFGF_SENSITIVE)
			snprintf(out, outlen,
			    "comma-separated tag or category names, at most %d, %llu..%llu chars",
			    CFG_SENSITIVE_MAX, d->umin, d->umax);
		else if (d->flags & CFGF_VERBS)
			snprintf(out, outlen,
			    "comma-separated name:signal, at most %d verbs, names of 1..%d [a-z0-9_-], signals -5..5",
			    EVT_CUSTOM_VERBS, EVT_VERB_MAX);
		else
			snprintf(out, outlen, "%llu..%llu chars of %s", d->umin,
			    d->umax,
			    (d->flags & CFGF_NAMECHARS)
				? "[A-Za-z0-9_-], not starting with -"
				: "printable text");
		return;
	}
}

/*
 * The one shape of a bad-value message:
 *	NAME: 'VALUE' WHY RANGE (HELP)
 * where WHY ends in a connective ("is out of range", "...; expected").
 */
static int _cfg_bad_value(const struct _cfg_desc *d, const char *shown,
    const char *why, char *err, size_t errlen)
{
	char range[160];

	_cfg_range(d, range, sizeof range);
	return _cfg_msg(err, errlen, -EINVAL, "%s: %s %s %s (%s)", d->name,
	    shown, why, range, d->help);
}

/* ---- names -------------------------------------------------------------- */

/* Flags are typed with dashes, files with either: compare them as equal. */
static char _cfg_norm(char ch)
{
	return ch == '-' ? '_' : ch;
}

static bool _cfg_name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (_cfg_norm(*a) != _cfg_norm(*b))
			return false;
	return *a == *b;
}

static const struct _cfg_desc *_cfg_find(const char *name)
{
	size_t i;

	for (i = 0; i < CFG_COUNT; i++)
		if (_cfg_name_eq(name, _cfg_table[i].name))
			return &_cfg_table[i];
	return NULL;
}

static char _cfg_fold(char ch)
{
	ch = _cfg_norm(ch);
	return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

/* Levenshtein distance, ignoring case and dash/underscore; a, b short. */
static size_t _cfg_distance(const char *a, const char *b)
{
	size_t row[CFG_SUGGEST_MAX + 1], la = strlen(a), lb = strlen(b);
	size_t i, j, diag, up;

	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] =
			    diag + (_cfg_fold(a[i - 1]) != _cfg_fold(b[j - 1]));
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

/* A close-enough candidate: a typo or two, or a clear prefix. */
static bool _cfg_close(const char *typed, const char *cand, size_t dist)
{
	size_t lt = strlen(typed), i;

	if (lt >= 3 && lt < strlen(cand)) {
		/* typed is cand with its tail missing: "ring" -> ring_depth */
		for (i = 0; i < lt; i++)
			if (_cfg_fold(typed[i]) != _cfg_fold(cand[i]))
				break;
		if (i == lt)
			return true;
	}
	return dist <= 1 + strlen(cand) / 3;
}

/*
 * The known name nearest to typed, or NULL when none is plausibly meant.
 * extra is one more candidate (the "config" flag) or NULL.
 */
static const char *_cfg_closest(const char *typed, const char *extra)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, d, i;

	if (strlen(typed) > CFG_SUGGEST_MAX)
		return NULL;
	for (i = 0; i <= CFG_COUNT; i++) {
		const char *cand = i < CFG_COUNT ? _cfg_table[i].name : extra;

		if (!cand)
			continue;
		d = _cfg_distance(typed, cand);
		if (d < best_d && _cfg_close(typed, cand, d)) {
			best = cand;
			best_d = d;
		}
	}
	return best;
}

/* name with dashes, as a flag is spelled: ring_depth -> ring-depth. */
static void _cfg_dashed(char *out, size_t outlen, const char *name)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < outlen; i++)
		out[i] = name[i] == '_' ? '-' : name[i];
	out[i] = '\0';
}

/*
 * "unknown setting 'x' (did you mean 'y'?)". shown is what the user wrote
 * ("--no-snapshots"), match the part compared with known names
 * ("snapshots"), prefix what goes before a suggestion ("--no-"; "" for
 * settings in files). Flags are suggested with dashes.
 */
static int _cfg_unknown(const char *shown, const char *match,
    const char *prefix, char *err, size_t errlen)
{
	char q[4 * CFG_QUOTE_MAX + 8], sug[64];
	bool flag = *prefix != '\0', neg = strcmp(prefix, "--no-") == 0;
	const char *best = _cfg_closest(match, flag && !neg ? "config" : NULL);
	const char *kind = flag ? "option" : "setting";

	_cfg_quote(q, sizeof q, shown);
	if (best && neg && _cfg_find(best)->type != CFGT_BOOL)
		best = NULL; /* --no- exists for booleans only */
	if (!best)
		return _cfg_msg(err, errlen, -ENOENT,
		    "unknown %s %s (docs/SETTINGS.md lists them all)", kind, q);
	if (flag)
		_cfg_dashed(sug, sizeof sug, best);
	else
		snprintf(sug, sizeof sug, "%s", best);
	return _cfg_msg(err, errlen, -ENOENT,
	    "unknown %s %s (did you mean '%s%s'?)", kind, q, prefix, sug);
}

int cfg_lookup(const char *name, bool *is_bool)
{
	const struct _cfg_desc *d = name ? _cfg_find(name) : NULL;

	if (!d)
		return -ENOENT;
	if (is_bool)
		*is_bool = d->type == CFGT_BOOL;
	return 0;
}

/* ---- parsing and checking one value ------------------------------------- */

/*
 * Decimal or 0x hex, digits only: strtoull would accept a sign, leading
 * spaces and octal, none of which a person means in a config file.
 * Returns 0, -EINVAL (not a number) or -ERANGE (does not fit).
 */
static int _cfg_parse_uint(const char *s, unsigned long long *out)
{
	unsigned long long v = 0, base = 10, dig;
	const char *p = s;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -EINVAL;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			dig = (unsigned long long)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			dig = (unsigned long long)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			dig = (unsigned long long)(*p - 'A' + 10);
		else
			return -EINVAL;
		if (v > (ULLONG_MAX - dig) / base)
			return -ERANGE;
		v = v * base + dig;
	}
	*out = v;
	return 0;
}

static bool _cfg_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' ||
	    ch == '\f' || ch == '\r';
}

/* strtod, but the whole string, no leading space, finite. errno kept. */
static int _cfg_parse_double(const char *s, double *out)
{
	int saved = errno;
	char *end;
	double v;

	/* Decimal only: strtod would take hex floats (0x1p-2) too. */
	if (!*s || _cfg_is_space(*s) || strpbrk(s, "xXpP"))
		return -EINVAL;
	v = strtod(s, &end);
	errno = saved;
	if (*end)
		return -EINVAL;
	if (!isfinite(v))
		return -ERANGE;
	*out = v;
	return 0;
}

static int _cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int _cfg_parse_enum(const struct _cfg_desc *d, const char *s, int *out)
{
	int i;

	for (i = 0; d->choices[i]; i++) {
		if (strcasecmp(s, d->choices[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Text to value by the setting's type; on failure fill why (see
 * _cfg_bad_value) and return -EINVAL. Ranges are checked separately so
 * cfg_check() can reuse them on values set directly.
 */
static int _cfg_parse(const struct _cfg_desc *d, const char *s,
    union _cfg_val *v, char *why, size_t whylen)
{
	int rc = 0;

	switch (d->type) {
	case CFGT_UINT:
		rc = _cfg_parse_uint(s, &v->u);
		if (rc == -ERANGE)
			snprintf(why, whylen, "is out of range");
		else if (rc)
			snprintf(why, whylen,
			    "is not an unsigned integer (decimal or 0x hex); expected");
		break;
	case CFGT_DOUBLE:
		rc = _cfg_parse_double(s, &v->d);
		if (rc == -ERANGE)
			snprintf(why, whylen,
			    "is not a finite number; expected");
		else if (rc)
			snprintf(why, whylen, "is not a number; expected");
		break;
	case CFGT_BOOL:
		rc = _cfg_parse_bool(s, &v->b);
		if (rc)
			snprintf(why, whylen, "is not a boolean; expected");
		break;
	case CFGT_ENUM:
		rc = _cfg_parse_enum(d, s, &v->e);
		if (rc)
			snprintf(why, whylen, "is not one of");
		break;
	case CFGT_STRING:
		v->s = s; /* length and characters are range rules */
		break;
	}
	return rc ? -EINVAL : 0;
}

/* Why a string breaks its setting's rules, or false when it does not. */
static bool _cfg_bad_string(const struct _cfg_desc *d, const char *s, char *why,
    size_t whylen)
{
	size_t len = strlen(s), i;

	if (len < d->umin || len > d->umax) {
		snprintf(why, whylen, "%s (%zu chars); expected",
		    len < d->umin ? "is too short" : "is too long", len);
		return true;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		/* A name starting with '-' would read as an option on
		 * every command line that names it. */
		bool ok = (d->flags & CFGF_NAMECHARS)
		    ? ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' ||
			  (ch == '-' && i > 0))
		    : (ch >= 0x20 && ch != 0x7f);

		if (!ok) {
			snprintf(why, whylen,
			    "has a character not allowed at byte %zu; expected",
			    i + 1);
			return true;
		}
	}
	if ((d->flags & CFGF_ABSPATH) && s[0] != '/') {
		snprintf(why, whylen, "is not an absolute path; expected");
		return true;
	}
	if (d->flags & CFGF_LISTEN) {
		char msg[CFG_ERR_MAX];
		unsigned n;

		if (cfg_listen_parse(s, NULL, 0, &n, msg, sizeof msg)) {
			snprintf(why, whylen, "has a %.200s; expected", msg);
			return true;
		}
	}
	if (d->flags & CFGF_CIDRS) {
		char msg[CFG_ERR_MAX];

		if (cfg_cidr_parse(s, NULL, 0, NULL, msg, sizeof msg)) {
			snprintf(why, whylen, "has a %.200s; expected", msg);
			return true;
		}
	}
	if (d->flags & CFGF_OVERRIDES) {
		char msg[CFG_ERR_MAX];

		if (sp_overrides_parse(s, NULL, 0, msg, sizeof msg) < 0) {
			snprintf(why, whylen, "has a problem: %.200s; expected",
			    msg);
			return true;
		}
	}
	if (d->flags & CFGF_SENSITIVE) {
		char msg[CFG_ERR_MAX];

		if (cfg_sensitive_parse(s, NULL, 0, msg, sizeof msg) < 0) {
			snprintf(why, whylen, "has a problem: %.200s; expected",
			    msg);
			return true;
		}
	}
	if (d->flags & CFGF_VERBS) {
		char msg[CFG_ERR_MAX];

		if (evt_verbs_parse(s, NULL, NULL, msg, sizeof msg) < 0) {
			snprintf(why, whylen, "has a problem: %.200s; expected",
			    msg);
			return true;
		}
	}
	/* A config file trims trailing blanks: such a value could not be
	 * written back by cfg_print_values(). */
	if (len && _cfg_is_space(s[len - 1])) {
		snprintf(why, whylen, "ends with a blank; expected");
		return true;
	}
	return false;
}

/* Range rules of a parsed value; fills why and returns false if broken. */
static bool _cfg_in_range(const struct _cfg_desc *d, const union _cfg_val *v,
    char *why, size_t whylen)
{
	switch (d->type) {
	case CFGT_UINT:
		if (v->u < d->umin || v->u > d->umax) {
			snprintf(why, whylen, "is out of range");
			return false;
		}
		if ((d->flags & CFGF_POW2) && (v->u & (v->u - 1))) {
			snprintf(why, whylen,
			    "is not a power of two; expected");
			return false;
		}
		return true;
	case CFGT_DOUBLE:
		if (!(v->d >= d->dmin && v->d <= d->dmax)) {
			snprintf(why, whylen, "is out of range");
			return false;
		}
		return true;
	case CFGT_BOOL: return true;
	case CFGT_ENUM: {
		int n = 0;

		while (d->choices[n])
			n++;
		if (v->e < 0 || v->e >= n) {
			snprintf(why, whylen, "is not one of");
			return false;
		}
		return true;
	}
	case CFGT_STRING: return !_cfg_bad_string(d, v->s, why, whylen);
	}
	return false;
}

static void *_cfg_field(struct cfg *c, const struct _cfg_desc *d)
{
	return (char *)c + d->off;
}

static const void *_cfg_cfield(const struct cfg *c, const struct _cfg_desc *d)
{
	return (const char *)c + d->off;
}

/* Store a value already checked by _cfg_in_range(). */
static void _cfg_store(struct cfg *c, const struct _cfg_desc *d,
    const union _cfg_val *v)
{
	void *f = _cfg_field(c, d);

	switch (d->type) {
	case CFGT_UINT: *(unsigned *)f = (unsigned)v->u; break;
	case CFGT_DOUBLE: *(double *)f = v->d; break;
	case CFGT_BOOL: *(bool *)f = v->b; break;
	case CFGT_ENUM:
		*(enum cfg_log_level *)f = (enum cfg_log_level)v->e;
		break;
	case CFGT_STRING:
		/* length <= umax < d->size, checked. Zero the tail too, so
		 * equal settings mean equal bytes (memcmp, shm copies). */
		memset(f, 0, d->size);
		memcpy(f, v->s, strlen(v->s));
		break;
	}
}

/* Read a field back into a value; false if a string lacks its NUL. */
static bool _cfg_get(const struct cfg *c, const struct _cfg_desc *d,
    union _cfg_val *v)
{
	const void *f = _cfg_cfield(c, d);

	switch (d->type) {
	case CFGT_UINT: v->u = *(const unsigned *)f; return true;
	case CFGT_DOUBLE: v->d = *(const double *)f; return true;
	case CFGT_BOOL: v->b = *(const bool *)f; return true;
	case CFGT_ENUM: v->e = (int)*(const enum cfg_log_level *)f; return true;
	case CFGT_STRING: v->s = f; return memchr(f, '\0', d->size) != NULL;
	}
	return false;
}

/*
 * Shortest "%.Ng" that reads back as exactly v, so dumps stay readable
 * ("0.1", not "0.10000000000000001") and still round-trip.
 */
static void _cfg_format_double(char *out, size_t outlen, double v)
{
	int saved = errno, prec;

	/* %g first: "20", not the equally exact "2e+01". */
	snprintf(out, outlen, "%g", v);
	if (strtod(out, NULL) == v) {
		errno = saved;
		return;
	}
	for (prec = 7; prec < 17; prec++) {
		snprintf(out, outlen, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(out, outlen, "%.17g", v);
	errno = saved;
}

/* A value as text that cfg_set() accepts back. */
static void _cfg_format(const struct _cfg_desc *d, const union _cfg_val *v,
    char *out, size_t outlen)
{
	switch (d->type) {
	case CFGT_UINT: snprintf(out, outlen, "%llu", v->u); return;
	case CFGT_DOUBLE: _cfg_format_double(out, outlen, v->d); return;
	case CFGT_BOOL:
		snprintf(out, outlen, "%s", v->b ? "true" : "false");
		return;
	case CFGT_ENUM: snprintf(out, outlen, "%s", d->choices[v->e]); return;
	case CFGT_STRING: snprintf(out, outlen, "%s", v->s); return;
	}
}

static void _cfg_default(const struct _cfg_desc *d, union _cfg_val *v)
{
	switch (d->type) {
	case CFGT_UINT: v->u = d->udef; break;
	case CFGT_DOUBLE: v->d = d->ddef; break;
	case CFGT_BOOL: v->b = d->bdef; break;
	case CFGT_ENUM: v->e = d->edef; break;
	case CFGT_STRING: v->s = d->sdef; break;
	}
}

static int _cfg_set_desc(struct cfg *c, const struct _cfg_desc *d,
    const char *value, char *err, size_t errlen)
{
	char why[256], q[4 * CFG_QUOTE_MAX + 8];
	union _cfg_val v;

	if (_cfg_parse(d, value, &v, why, sizeof why) < 0 ||
	    !_cfg_in_range(d, &v, why, sizeof why)) {
		_cfg_quote(q, sizeof q, value);
		return _cfg_bad_value(d, q, why, err, errlen);
	}
	_cfg_store(c, d, &v);
	return 0;
}

/* ---- public: defaults, set, check --------------------------------------- */

void cfg_defaults(struct cfg *c)
{
	union _cfg_val v;
	size_t i;

	memset(c, 0, sizeof *c); /* padding too, so memcmp works */
	for (i = 0; i < CFG_COUNT; i++) {
		_cfg_default(&_cfg_table[i], &v);
		_cfg_store(c, &_cfg_table[i], &v);
	}
}

int cfg_set(struct cfg *c, const char *name, const char *value, char *err,
    size_t errlen)
{
	const struct _cfg_desc *d;

	if (!c || !name || !value)
		return _cfg_msg(err, errlen, -EINVAL, "cfg_set: NULL argument");
	d = _cfg_find(name);
	if (!d)
		return _cfg_unknown(name, name, "", err, errlen);
	return _cfg_set_desc(c, d, value, err, errlen);
}

/* Whether a and b are one port on addresses that overlap: the same, or
 * either the wildcard of their family. */
static bool _cfg_addr_overlap(const struct cfg_addr *a,
    const struct cfg_addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->ss,
					 *y = (const void *)&b->ss;
		return x->sin_port == y->sin_port &&
		    (x->sin_addr.s_addr == y->sin_addr.s_addr ||
			x->sin_addr.s_addr == htonl(INADDR_ANY) ||
			y->sin_addr.s_addr == htonl(INADDR_ANY));
	}
	const struct sockaddr_in6 *x = (const void *)&a->ss,
				  *y = (const void *)&b->ss;
	return x->sin6_port == y->sin6_port &&
	    (IN6_ARE_ADDR_EQUAL(&x->sin6_addr, &y->sin6_addr) ||
		IN6_IS_ADDR_UNSPECIFIED(&x->sin6_addr) ||
		IN6_IS_ADDR_UNSPECIFIED(&y->sin6_addr));
}

/*
 * The listen rule of _cfg_rules[]: an address given twice, in one TCP
 * setting or two (or twice in udp_listen), passes every setting's own
 * check, but the second bind fails, and the process that holds them
 * exits and is restarted forever (the rank API server never serves).
 */
static int _cfg_listen_clash(const struct cfg *c, char *err, size_t errlen)
{
	const struct {
		const char *name, *list;
		bool udp;
	} set[] = {
		{ "tcp_listen", c->tcp_listen, false },
		{ "forward_listen", c->forward_listen, false },
		{ "http_listen", c->http_listen, false },
		{ "rank_listen", c->rank_listen, false },
		{ "udp_listen", c->udp_listen, true },
	};
	enum { NSET = sizeof(set) / sizeof(set[0]) };
	struct cfg_addr a[NSET][CFG_LISTEN_MAX];
	unsigned n[NSET];
	for (unsigned i = 0; i < NSET; i++)
		if (cfg_listen_parse(set[i].list, a[i], CFG_LISTEN_MAX, &n[i],
			NULL, 0))
			n[i] = 0; /* the setting's own check said why */
	for (unsigned i = 0; i < NSET; i++)
		for (unsigned k = 0; k < n[i]; k++)
			for (unsigned j = i; j < NSET; j++) {
				if (set[i].udp != set[j].udp)
					continue;
				for (unsigned l = i == j ? k + 1 : 0; l < n[j];
				     l++)
					if (_cfg_addr_overlap(&a[i][k],
						&a[j][l]))
						return _cfg_msg(err, errlen,
						    -EINVAL,
						    "%s '%s' and %s '%s' are one listen address: a port can be bound once (give each setting its own port)",
						    set[i].name, a[i][k].text,
						    set[j].name, a[j][l].text);
			}
	return 0;
}

int cfg_check(const struct cfg *c, char *err, size_t errlen)
{
	char why[256], text[CFG_STATE_DIR_MAX + 16], q[4 * CFG_QUOTE_MAX + 8];
	union _cfg_val v;
	size_t i;

	if (!c)
		return _cfg_msg(err, errlen, -EINVAL, "cfg_check: NULL cfg");
	for (i = 0; i < CFG_COUNT; i++) {
		const struct _cfg_desc *d = &_cfg_table[i];

		if (!_cfg_get(c, d, &v))
			return _cfg_bad_value(d, "(no terminating NUL)",
			    "is too long; expected", err, errlen);
		if (_cfg_in_range(d, &v, why, sizeof why))
			continue;
		if (d->type == CFGT_ENUM)
			snprintf(text, sizeof text, "%d", v.e);
		else
			_cfg_format(d, &v, text, sizeof text);
		_cfg_quote(q, sizeof q, text);
		return _cfg_bad_value(d, q, why, err, errlen);
	}
	/* Keep in step with _cfg_rules[]. */
	if (c->acceptor_slots >= c->producer_slots)
		return _cfg_msg(err, errlen, -EINVAL,
		    "acceptor_slots (%u) must be less than producer_slots (%u): libpenchant clients need at least one producer slot",
		    c->acceptor_slots, c->producer_slots);
	if (c->segments_k_min > c->segments_k_max)
		return _cfg_msg(err, errlen, -EINVAL,
		    "segments_k_min (%u) must be at most segments_k_max (%u)",
		    c->segments_k_min, c->segments_k_max);
	if (c->learn.kl_release > c->learn.kl_threshold)
		return _cfg_msg(err, errlen, -EINVAL,
		    "kl_release (%g) must be at most kl_threshold (%g): drift must clear below where it is flagged",
		    c->learn.kl_release, c->learn.kl_threshold);
	return _cfg_listen_clash(c, err, errlen);
}

int cfg_sensitive_parse(const char *list, uint32_t *ids, unsigned cap,
    char *err, size_t errlen)
{
	int n = 0;
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *a = p;
		size_t l = len;
		while (l && (*a == ' ' || *a == '\t'))
			a++, l--;
		while (l && (a[l - 1] == ' ' || a[l - 1] == '\t'))
			l--;
		p += len + (end ? 1 : 0);
		if (!l) /* as the listen and CIDR lists: "a,,b" is a slip */
			return _cfg_msg(err, errlen, -EINVAL,
			    "an empty name (two commas, or one at an end)");
		if (l > CFG_SENSITIVE_NAME_MAX)
			return _cfg_msg(err, errlen, -EINVAL,
			    "name '%.20s...' is longer than %d bytes", a,
			    CFG_SENSITIVE_NAME_MAX);
		if (n == CFG_SENSITIVE_MAX)
			return _cfg_msg(err, errlen, -EINVAL,
			    "more than %d names", CFG_SENSITIVE_MAX);
		if (ids && (unsigned)n < cap)
			ids[n] = evt_tag_id(a, l);
		n++;
	}
	return n;
}

unsigned cfg_effective_shards(const struct cfg *c)
{
	int saved = errno;
	long n;

	if (c->shards)
		return c->shards;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	errno = saved;
	if (n < 1)
		return 1;
	return n > CFG_SHARDS_MAX ? CFG_SHARDS_MAX : (unsigned)n;
}

/* ---- listen addresses --------------------------------------------------- */

static int _cfg_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* One trimmed entry e[0..len) into *a; why gets the problem. */
static int _cfg_listen_entry(const char *e, size_t len, struct cfg_addr *a,
    const char **why)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon;
	size_t hlen;
	uint16_t port;

	memset(a, 0, sizeof *a);
	if (len && e[0] == '[') {
		const char *close = memchr(e, ']', len);

		if (!close || (size_t)(close - e) + 1 >= len ||
		    close[1] != ':') {
			*why = "expected [IPV6]:PORT";
			return -1;
		}
		hlen = (size_t)(close - e) - 1;
		colon = close + 1;
		if (hlen == 0 || hlen >= sizeof host) {
			*why = "not a numeric IPv6 address";
			return -1;
		}
		memcpy(host, e + 1, hlen);
		host[hlen] = '\0';
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
			*why = "not a numeric IPv6 address";
			return -1;
		}
		s6->sin6_family = AF_INET6;
		a->len = sizeof *s6;
	} else {
		colon = NULL;
		for (size_t i = 0; i < len; i++)
			if (e[i] == ':')
				colon = e + i;
		if (!colon) {
			*why = "no port: expected IPV4:PORT or [IPV6]:PORT";
			return -1;
		}
		hlen = (size_t)(colon - e);
		if (hlen == 0 || hlen >= sizeof host || memchr(e, ':', hlen)) {
			*why = "not a numeric IPv4 address (IPv6 goes in [])";
			return -1;
		}
		memcpy(host, e, hlen);
		host[hlen] = '\0';
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			*why = "not a numeric IPv4 address";
			return -1;
		}
		s4->sin_family = AF_INET;
		a->len = sizeof *s4;
	}
	if (_cfg_port(colon + 1, len - (size_t)(colon + 1 - e), &port)) {
		*why = "port is not 1..65535";
		return -1;
	}
	if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	snprintf(a->text, sizeof a->text, "%.*s", (int)len, e);
	return 0;
}

/*
 * One entry of a comma-separated list: parses e[0..len) into the item
 * slot `at` (scratch when the caller keeps no more); *why on failure.
 */
typedef int (
    *_cfg_entry_fn)(const char *e, size_t len, void *at, const char **why);

/*
 * The comma-separated lists of settings (listen addresses, CIDRs): blanks
 * around entries trimmed, an empty list allowed, an empty entry or more
 * than `most` refused with a message quoting the entry. Items go to
 * out[0 .. max) (size bytes each; NULL: only check); *n their count.
 */
static int _cfg_list(const char *list, const char *what, unsigned most,
    _cfg_entry_fn fn, void *out, size_t size, unsigned max, void *scratch,
    unsigned *n, char *err, size_t errlen)
{
	char q[4 * CFG_QUOTE_MAX + 8], entry[CFG_QUOTE_MAX + 1];
	const char *p = list, *why;
	unsigned count = 0;

	if (n)
		*n = 0;
	if (!list)
		return _cfg_msg(err, errlen, -EINVAL, "NULL %s list", what);
	while (*p && _cfg_is_space(*p))
		p++;
	if (!*p)
		return 0;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && _cfg_is_space(*p)) {
			p++;
			len--;
		}
		while (len && _cfg_is_space(p[len - 1]))
			len--;
		snprintf(entry, sizeof entry, "%.*s", (int)len, p);
		_cfg_quote(q, sizeof q, entry);
		if (len == 0)
			return _cfg_msg(err, errlen, -EINVAL,
			    "bad entry '' (empty: remove the extra comma)");
		if (count == most)
			return _cfg_msg(err, errlen, -EINVAL,
			    "bad entry %s (more than %u %s)", q, most, what);
		void *at =
		    count < max && out ? (char *)out + count * size : scratch;
		if (fn(p, len, at, &why))
			return _cfg_msg(err, errlen, -EINVAL,
			    "bad entry %s (%s)", q, why);
		count++;
		if (!end)
			break;
		p = end + 1;
	}
	if (n)
		*n = count;
	return 0;
}

static int _cfg_listen_fn(const char *e, size_t len, void *at, const char **why)
{
	return _cfg_listen_entry(e, len, at, why);
}

int cfg_listen_parse(const char *list, struct cfg_addr *out, unsigned max,
    unsigned *n, char *err, size_t errlen)
{
	struct cfg_addr tmp;
	return _cfg_list(list, "addresses", CFG_LISTEN_MAX, _cfg_listen_fn, out,
	    sizeof(*out), max, &tmp, n, err, errlen);
}

/* ---- allow lists -------------------------------------------------------- */

/* A prefix length: plain decimal, no sign, no leading zero, <= max. */
static int _cfg_prefix(const char *p, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 3 || (len > 1 && p[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* One entry (trimmed, len > 0) into *c; -1 with *why. */
static int _cfg_cidr_entry(const char *e, size_t len, struct cfg_cidr *c,
    const char **why)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = memchr(e, '/', len);
	size_t hlen = slash ? (size_t)(slash - e) : len;

	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < len; i++)
		if (_cfg_is_space(e[i])) {
			*why = "blank inside the entry";
			return -1;
		}
	if (hlen == 0 || hlen >= sizeof host) {
		*why = "not a numeric IPv4 or IPv6 address";
		return -1;
	}
	memcpy(host, e, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		c->prefix = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		c->prefix = 128;
	} else {
		*why = "not a numeric IPv4 or IPv6 address";
		return -1;
	}
	if (slash &&
	    _cfg_prefix(slash + 1, len - hlen - 1, c->prefix, &c->prefix)) {
		*why = c->family == AF_INET ? "prefix length is not 0..32"
					    : "prefix length is not 0..128";
		return -1;
	}
	for (unsigned b = c->prefix; b < (c->family == AF_INET ? 32u : 128u);
	     b++)
		if (c->addr[b / 8] & (0x80u >> (b % 8))) {
			*why = "address has bits set after the prefix length";
			return -1;
		}
	return 0;
}

static int _cfg_cidr_fn(const char *e, size_t len, void *at, const char **why)
{
	return _cfg_cidr_entry(e, len, at, why);
}

int cfg_cidr_parse(const char *list, struct cfg_cidr *out, unsigned max,
    unsigned *n, char *err, size_t errlen)
{
	struct cfg_cidr tmp;
	return _cfg_list(list, "entries", CFG_ALLOW_MAX, _cfg_cidr_fn, out,
	    sizeof(*out), max, &tmp, n, err, errlen);
}

/* The first `bits` bits of a and b agree. */
static bool _cfg_bits_eq(const unsigned char *a, const unsigned char *b,
    unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole))
		return false;
	return !rest ||
	    ((a[whole] ^ b[whole]) & (unsigned char)(0xff00u >> rest)) == 0;
}

bool cfg_cidr_match(const struct cfg_cidr *set, unsigned n,
    const struct sockaddr *sa)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };
	const unsigned char *a4 = NULL, *a6 = NULL;

	if (n == 0)
		return true;
	if (sa->sa_family == AF_INET) {
		a4 = (const unsigned char *)&((const struct sockaddr_in *)sa)
			 ->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a6 = (const unsigned char *)&((const struct sockaddr_in6 *)sa)
			 ->sin6_addr;
		if (!memcmp(a6, mapped, sizeof mapped))
			a4 = a6 + 12;
	}
	for (unsigned i = 0; i < n; i++) {
		const unsigned char *a = set[i].family == AF_INET ? a4 : a6;

		if (a && _cfg_bits_eq(a, set[i].addr, set[i].prefix))
			return true;
	}
	return false;
}

/* ---- config files ------------------------------------------------------- */

enum line_status { LINE_OK, LINE_EOF, LINE_LONG, LINE_NUL, LINE_IOERR };

/*
 * One line into buf (NUL-terminated, newline dropped). getc-based so a NUL
 * byte is seen rather than silently cutting the line, and a huge line costs
 * no memory.
 */
static enum line_status _cfg_read_line(FILE *f, char *buf, size_t cap)
{
	size_t n = 0;
	int ch;

	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (ch == '\0')
			return LINE_NUL;
		if (n + 1 >= cap)
			return LINE_LONG;
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	if (ch == EOF && ferror(f))
		return LINE_IOERR;
	if (ch == EOF && n == 0)
		return LINE_EOF;
	return LINE_OK;
}

/* Strip blanks at both ends, in place. */
static char *_cfg_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* One non-blank, non-comment line: "name = value". */
static int _cfg_apply_line(struct cfg *c, char *line, char *err, size_t errlen)
{
	char q[4 * CFG_QUOTE_MAX + 8], *eq = strchr(line, '='), *name, *value;
	int rc;

	if (!eq) {
		_cfg_quote(q, sizeof q, line);
		return _cfg_msg(err, errlen, -EINVAL,
		    "expected 'name = value', got %s", q);
	}
	*eq = '\0';
	name = _cfg_trim(line);
	value = _cfg_trim(eq + 1);
	if (!*name)
		return _cfg_msg(err, errlen, -EINVAL,
		    "missing setting name before '='");
	if (strcmp(name, "config") == 0)
		return _cfg_msg(err, errlen, -ENOENT,
		    "'config' is a command-line option; a config file cannot load another file");
	rc = cfg_set(c, name, value, err, errlen);
	if (rc == -EINVAL && strchr(value, '#') && err && errlen) {
		size_t n = strlen(err);

		/* the likeliest cause: a comment after the value */
		snprintf(err + n, errlen - n,
		    "; comments must be on lines of their own");
	}
	return rc;
}

static int _cfg_read_lines(struct cfg *c, FILE *f, const char *path, char *err,
    size_t errlen)
{
	char buf[CFG_LINE_MAX + 2], msg[CFG_ERR_MAX], *line;
	unsigned lineno;
	int rc;

	for (lineno = 1;; lineno++) {
		switch (_cfg_read_line(f, buf, sizeof buf - 1)) {
		case LINE_EOF: return 0;
		case LINE_IOERR:
			rc = errno ? -errno : -EIO;
			return _cfg_msg(err, errlen, rc, "%s:%u: %s", path,
			    lineno, strerror_r(-rc, msg, sizeof msg));
		case LINE_LONG:
			return _cfg_msg(err, errlen, -EINVAL,
			    "%s:%u: line longer than %d bytes", path, lineno,
			    CFG_LINE_MAX);
		case LINE_NUL:
			return _cfg_msg(err, errlen, -EINVAL,
			    "%s:%u: NUL byte in line (not a text file?)", path,
			    lineno);
		case LINE_OK: break;
		}
		line = buf;
		if (lineno == 1 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
			line += 3; /* UTF-8 byte order mark from some editors */
		line = _cfg_trim(line);
		if (!*line || *line == '#')
			continue;
		rc = _cfg_apply_line(c, line, msg, sizeof msg);
		if (rc < 0)
			return _cfg_msg(err, errlen, rc, "%s:%u: %s", path,
			    lineno, msg);
	}
}

int cfg_load_file(struct cfg *c, const char *path, char *err, size_t errlen)
{
	char ebuf[128];
	struct cfg tmp;
	int saved = errno, rc;
	FILE *f;

	if (!c || !path)
		return _cfg_msg(err, errlen, -EINVAL,
		    "cfg_load_file: NULL argument");
	if (!*path)
		return _cfg_msg(err, errlen, -EINVAL,
		    "--config needs a file name, not an empty string");
	f = fopen(path, "re");
	if (!f) {
		rc = errno ? -errno : -EIO;
		errno = saved;
		return _cfg_msg(err, errlen, rc, "%s: %s", path,
		    strerror_r(-rc, ebuf, sizeof ebuf));
	}
	tmp = *c;
	errno = 0; /* so a read error's errno is its own */
	rc = _cfg_read_lines(&tmp, f, path, err, errlen);
	fclose(f);
	errno = saved;
	if (rc == 0)
		*c = tmp;
	return rc;
}

/* ---- command line ------------------------------------------------------- */

/* The value of --name: after '=', or the next word (consumed). */
static int _cfg_arg_value(int argc, char **argv, int *i, const char *eq,
    const char *flag, const char *range, const char **value, char *err,
    size_t errlen)
{
	char q[4 * CFG_QUOTE_MAX + 8];

	if (eq) {
		*value = eq + 1;
		return 0;
	}
	if (*i + 1 >= argc)
		return _cfg_msg(err, errlen, -EINVAL,
		    "--%s needs a value (--%s=VALUE; expected %s)", flag, flag,
		    range);
	if (strncmp(argv[*i + 1], "--", 2) == 0) {
		_cfg_quote(q, sizeof q, argv[*i + 1]);
		return _cfg_msg(err, errlen, -EINVAL,
		    "--%s needs a value, got option %s (write --%s=VALUE if the value starts with --)",
		    flag, q, flag);
	}
	*value = argv[++*i];
	return 0;
}

/* --no-NAME: false for a boolean, an error for anything else. */
static int _cfg_arg_negated(struct cfg *c, const char *arg, const char *name,
    const char *shown, const char *eq, char *err, size_t errlen)
{
	const struct _cfg_desc *d = _cfg_find(name + 3);
	char q[4 * CFG_QUOTE_MAX + 8];
	union _cfg_val v = { .b = false };

	if (!d)
		return _cfg_unknown(shown, name + 3, "--no-", err, errlen);
	_cfg_quote(q, sizeof q, arg);
	if (d->type != CFGT_BOOL)
		return _cfg_msg(err, errlen, -EINVAL,
		    "%s: only boolean settings have a --no- form (%s is a %s)",
		    q, d->name, _cfg_type_names[d->type]);
	if (eq)
		return _cfg_msg(err, errlen, -EINVAL,
		    "%s: --no-%s takes no value", q, name + 3);
	_cfg_store(c, d, &v);
	return 0;
}

/* One argument starting with "--" at argv[*i]; may consume the next. */
static int _cfg_arg(struct cfg *c, int argc, char **argv, int *i, char *err,
    size_t errlen)
{
	const char *arg = argv[*i], *eq = strchr(arg, '='), *value;
	const struct _cfg_desc *d;
	char name[CFG_SUGGEST_MAX + 8], flag[CFG_SUGGEST_MAX + 8], range[160];
	char shown[CFG_SUGGEST_MAX + 16];
	size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	int rc;

	if (len >= sizeof name)
		len =
		    sizeof name - 1; /* too long to be a name; still unknown */
	memcpy(name, arg + 2, len);
	name[len] = '\0';
	snprintf(shown, sizeof shown, "--%s", name);
	if (_cfg_name_eq(name, "config")) {
		rc = _cfg_arg_value(argc, argv, i, eq, "config", "a file",
		    &value, err, errlen);
		return rc < 0 ? rc : cfg_load_file(c, value, err, errlen);
	}
	d = _cfg_find(name);
	if (!d &&
	    (strncmp(name, "no-", 3) == 0 || strncmp(name, "no_", 3) == 0))
		return _cfg_arg_negated(c, arg, name, shown, eq, err, errlen);
	if (!d)
		return _cfg_unknown(shown, name, "--", err, errlen);
	if (d->type == CFGT_BOOL && !eq)
		return _cfg_set_desc(c, d, "true", err, errlen);
	_cfg_dashed(flag, sizeof flag, d->name);
	_cfg_range(d, range, sizeof range);
	rc =
	    _cfg_arg_value(argc, argv, i, eq, flag, range, &value, err, errlen);
	return rc < 0 ? rc : _cfg_set_desc(c, d, value, err, errlen);
}

int cfg_parse_args(struct cfg *c, int argc, char **argv, int *first_positional,
    char *err, size_t errlen)
{
	char q[4 * CFG_QUOTE_MAX + 8];
	struct cfg tmp;
	int i, rc;

	if (!c || argc < 0 || (argc > 0 && !argv))
		return _cfg_msg(err, errlen, -EINVAL,
		    "cfg_parse_args: bad arguments");
	tmp = *c;
	for (i = argc > 0 ? 1 : 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break; /* first positional; "-" means stdin to many */
		if (a[1] != '-') {
			_cfg_quote(q, sizeof q, a);
			return _cfg_msg(err, errlen, -EINVAL,
			    "unknown option %s (settings are long options: --name=value)",
			    q);
		}
		rc = _cfg_arg(&tmp, argc, argv, &i, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (i < argc && !first_positional) {
		_cfg_quote(q, sizeof q, argv[i]);
		return _cfg_msg(err, errlen, -EINVAL,
		    "unexpected argument %s (this program takes only options)",
		    q);
	}
	if (first_positional)
		*first_positional = i;
	*c = tmp;
	return 0;
}

/* ---- generated text ----------------------------------------------------- */

/* The default as text, the same way cfg_print_values() would write it. */
static void _cfg_default_text(const struct _cfg_desc *d, char *out,
    size_t outlen)
{
	union _cfg_val v;

	_cfg_default(d, &v);
	_cfg_format(d, &v, out, outlen);
}

void cfg_print_help(FILE *f)
{
	char flag[64], def[CFG_STATE_DIR_MAX + 16], range[160];
	size_t i;

	fprintf(f,
	    "Settings: --name=VALUE or --name VALUE on the command line, or\n"
	    "\"name = value\" lines in a file read with --config FILE. Later\n"
	    "ones override earlier ones; '-' and '_' are interchangeable.\n"
	    "Booleans: --name sets true, --no-name false. '--' ends options.\n"
	    "\n");
	for (i = 0; i < CFG_COUNT; i++) {
		const struct _cfg_desc *d = &_cfg_table[i];

		_cfg_dashed(flag, sizeof flag, d->name);
		_cfg_default_text(d, def, sizeof def);
		_cfg_range(d, range, sizeof range);
		if (d->type == CFGT_BOOL)
			fprintf(f, "  --[no-]%s  (bool, default %s)\n", flag,
			    def);
		else if (d->type == CFGT_STRING)
			fprintf(f, "  --%s=STRING  (default \"%s\"; %s)\n",
			    flag, def, range);
		else
			fprintf(f, "  --%s=%s  (default %s; %s)\n", flag,
			    _cfg_type_names_upper[d->type], def, range);
		fprintf(f, "        %s\n", d->help);
	}
	fprintf(f, "\nRules between settings:\n");
	for (i = 0; i < CFG_RULE_COUNT; i++)
		fprintf(f, "  %s\n", _cfg_rules[i]);
}

/* A markdown table cell: '|' would end the cell early. */
static void _cfg_md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

void cfg_print_markdown(FILE *f)
{
	char def[CFG_STATE_DIR_MAX + 16], range[160];
	size_t i;

	fprintf(f,
	    "# penchant settings\n"
	    "\n"
	    "Generated from the settings table in `conf/config.c` (the learner's rows from `engine/learn_params.h`); do not edit by hand.\n"
	    "Regenerate after changing the table:\n"
	    "\n"
	    "    ninja -C build tests/conf/print_settings_md && build/tests/conf/print_settings_md > docs/SETTINGS.md\n"
	    "\n"
	    "The unit test `config_settings_md` fails while this file is out of date.\n"
	    "\n"
	    "## Setting them\n"
	    "\n"
	    "- Command line: `--name=value` or `--name value`; booleans also `--name` (true) and `--no-name` (false); `--` ends the options.\n"
	    "- `--config FILE` reads a file at that point: options after it override the file, options before it are overridden by it.\n"
	    "- A config file has one `name = value` per line; blank lines and lines starting with `#` are ignored. A comment cannot follow a value on the same line, and a value is taken literally: `name = \"x\"` is the three bytes `\"x\"` (no quoting). An error names the file and line.\n"
	    "- `-` and `_` are interchangeable in names (`--ring-depth` is `ring_depth`).\n"
	    "- Numbers: `uint` is decimal or `0x` hex, no sign; `double` is a finite decimal number. `bool` is true/false, yes/no, on/off or 1/0.\n"
	    "\n"
	    "## Reference\n"
	    "\n"
	    "| Setting | Type | Default | Accepted | Description |\n"
	    "|---|---|---|---|---|\n");
	for (i = 0; i < CFG_COUNT; i++) {
		const struct _cfg_desc *d = &_cfg_table[i];

		_cfg_default_text(d, def, sizeof def);
		_cfg_range(d, range, sizeof range);
		fprintf(f, "| `%s` | %s | `", d->name,
		    _cfg_type_names[d->type]);
		_cfg_md_cell(f, def);
		fputs("` | ", f);
		_cfg_md_cell(f, range);
		fputs(" | ", f);
		_cfg_md_cell(f, d->help);
		fputs(" |\n", f);
	}
	fprintf(f, "\n## Rules between settings\n\n");
	for (i = 0; i < CFG_RULE_COUNT; i++)
		fprintf(f, "- %s\n", _cfg_rules[i]);
}

int cfg_print_values(FILE *f, const struct cfg *c)
{
	char text[CFG_STATE_DIR_MAX + 16];
	union _cfg_val v;
	size_t i;

	if (!f || !c)
		return -EINVAL;
	for (i = 0; i < CFG_COUNT; i++) {
		const struct _cfg_desc *d = &_cfg_table[i];

		if (!_cfg_get(c, d, &v))
			return -EINVAL; /* unterminated string: cfg_check first */
		if (d->type == CFGT_ENUM &&
		    !_cfg_in_range(d, &v, text, sizeof text))
			return -EINVAL;
		_cfg_format(d, &v, text, sizeof text);
		if (fprintf(f, "%s = %s\n", d->name, text) < 0)
			return -EIO;
	}
	return fflush(f) == 0 ? 0 : -EIO;
}
