/*
 * config: every run-time setting of penchant, declared once in a table in
 * config.c (name, type, default, range, help). The parsers (command line,
 * config file, single name/value), the --help text, docs/SETTINGS.md and the
 * "name = value" dump are all generated from that table, so they cannot
 * disagree. docs/SETTINGS.md lists the settings; a unit test fails when the
 * checked-in file differs from what cfg_print_markdown() prints.
 *
 * Usage, in every process that takes settings:
 *
 *	struct cfg c;
 *	char err[CFG_ERR_MAX];
 *	cfg_defaults(&c);
 *	if (cfg_parse_args(&c, argc, argv, &first, err, sizeof err) < 0 ||
 *	    cfg_check(&c, err, sizeof err) < 0)
 *		die("%s", err);
 *
 * Components receive a const struct cfg * that started from cfg_defaults()
 * and passed cfg_check(); they may assume every field is in range.
 *
 * Errors: calls return 0 or a negative errno and never touch errno. When err
 * is not NULL they write one NUL-terminated line (no trailing newline) that
 * names the setting, quotes the rejected value (escaped, cut to 40 bytes) and
 * says what is accepted, e.g.
 *	shards: '99' is out of range 0..64 (shard worker processes; ...)
 * A failed cfg_set/cfg_load_file/cfg_parse_args leaves *c unchanged.
 *
 * Names: underscores and dashes are interchangeable everywhere a name is read
 * (ring_depth == ring-depth); the canonical spelling uses underscores, flags
 * print with dashes.
 *
 * Nothing here touches shared memory or global state; any process and any
 * thread may call anything (the struct itself is the caller's to guard).
 * Only the cfg_print_* calls write, and only to the FILE they are given.
 */
#ifndef PENCHANT_CONF_CONFIG_H
#define PENCHANT_CONF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "engine/learn.h"
#include "engine/rank.h"

/* A buffer this size holds any message these calls write. */
#define CFG_ERR_MAX 512

/* Longest accepted line in a config file, newline excluded. */
#define CFG_LINE_MAX 4096

/* String settings: longest value; the arrays hold one more byte for NUL. */
#define CFG_INSTANCE_MAX 32
#define CFG_STATE_DIR_MAX 200

/* Listen-address settings (udp_listen, ...): longest value, most entries. */
#define CFG_LISTEN_STR_MAX 200
#define CFG_LISTEN_MAX 8
/* server_threads: most threads of the rank API server. */
#define CFG_SERVER_THREADS_MAX 64

/* allow_from: longest value, most CIDR entries. forward_shared_key and
 * forward_hostname: longest values. */
#define CFG_ALLOW_STR_MAX 1000
#define CFG_ALLOW_MAX 64
#define CFG_SECRET_STR_MAX 256
#define CFG_HOSTNAME_STR_MAX 253

/* The `segment_overrides` setting: longest value. */
#define CFG_OVERRIDES_STR_MAX 1000

/* The `verbs` setting: longest value. */
#define CFG_VERBS_STR_MAX 200

/* Upper bound of the `shards` setting; shm layouts may size arrays by it. */
#define CFG_SHARDS_MAX 64

/* Order matters: a message is logged when its level <= log_level. */
enum cfg_log_level {
	CFG_LOG_ERROR = 0,
	CFG_LOG_WARN,
	CFG_LOG_INFO,
	CFG_LOG_DEBUG,
};

/* consent_regime: what a user who decided nothing has given. */
enum cfg_consent {
	CFG_CONSENT_OPT_OUT = 0, /* every purpose until withdrawn */
	CFG_CONSENT_OPT_IN,	 /* nothing until granted */
};

/* The `sensitive` setting: longest value, most names. */
#define CFG_SENSITIVE_STR_MAX 1000
#define CFG_SENSITIVE_MAX 64
#define CFG_SENSITIVE_NAME_MAX 128 /* a tag's longest name (NAME_MAX_LEN) */

/*
 * One field per setting, named exactly as the setting. Plain values only, so
 * the struct can be copied, compared with memcmp after cfg_defaults(), or
 * embedded in shared memory by whoever needs to publish it. Ranges are listed
 * in docs/SETTINGS.md (or run the daemon with --help).
 */
struct cfg {
	/* identity and layout */
	char instance[CFG_INSTANCE_MAX + 1]; /* [A-Za-z0-9_-]{1,32} */
	unsigned shards;	 /* 0 = one per online CPU, see below */
	unsigned producer_slots; /* acceptor slots + libpenchant clients */
	unsigned acceptor_slots; /* < producer_slots (cfg_check) */
	unsigned ring_depth;	 /* power of two */
	unsigned profiles_per_shard;
	unsigned catalog_capacity;
	unsigned names_capacity;

	/* persistence */
	char state_dir[CFG_STATE_DIR_MAX + 1]; /* absolute path */
	bool snapshot;
	unsigned snapshot_interval_s;

	/* processes */
	unsigned worker_batch;
	unsigned idle_spin_us;
	double idle_spin_share;
	unsigned idle_spin_max_us;
	bool worker_prefault;
	unsigned restart_delay_ms;
	enum cfg_log_level log_level;

	/* learning: one field per row of LRN_PARAMS (engine/learn_params.h),
	 * each a setting of the same name (learning_rate, decay_per_day, ...) */
	struct lrn_params learn;
	char verbs[CFG_VERBS_STR_MAX + 1]; /* evt_verbs_parse() */

	/* ranking and serving: one field per row of RANK_PARAMS
	 * (engine/rank_params.h), each a setting of the same name */
	struct rank_params rank;

	/* input limits (engine/event.h) */
	unsigned max_id_len;
	unsigned max_str_len;
	unsigned max_past_days;
	unsigned max_future_s;
	unsigned geo_precision;

	/* network acceptor (workers/acceptor.h) */
	char udp_listen[CFG_LISTEN_STR_MAX + 1]; /* cfg_listen_parse() */
	char tcp_listen[CFG_LISTEN_STR_MAX + 1];
	char forward_listen[CFG_LISTEN_STR_MAX + 1];
	unsigned max_connections;
	unsigned max_conn_buffer; /* raised to max_object_bytes when below */
	unsigned max_object_bytes;
	unsigned idle_timeout_s;
	unsigned udp_rcvbuf;			/* 0 = the kernel's default */
	char allow_from[CFG_ALLOW_STR_MAX + 1]; /* cfg_cidr_parse() */
	char forward_shared_key[CFG_SECRET_STR_MAX + 1]; /* "" = no auth */
	char forward_hostname[CFG_HOSTNAME_STR_MAX + 1]; /* "" = gethostname */

	/* segmenter (shm/segment.h) */
	unsigned segment_interval_s;
	unsigned segments_k;
	unsigned segments_k_min, segments_k_max;
	unsigned segment_sample;
	unsigned segment_seed;
	double segment_low_confidence;
	double segment_min_share;
	unsigned experiment_look_s;
	unsigned experiment_requests; /* per shard (shm/layout.h) */
	/* item neighbours (shm/neighbors.h, engine/nbr.h) */
	unsigned neighbor_items, neighbor_interval_s, neighbor_candidates;
	double neighbor_cpu_share;
	double neighbor_half_life_days, neighbor_min_count, neighbor_shrink;
	char segment_overrides[CFG_OVERRIDES_STR_MAX + 1];

	/* rank API server (workers/server.h) */
	char http_listen[CFG_LISTEN_STR_MAX + 1]; /* cfg_listen_parse() */
	char rank_listen[CFG_LISTEN_STR_MAX + 1];
	unsigned server_threads;
	unsigned max_request_bytes;
	unsigned max_candidates;

	/* privacy (docs/PRIVACY.md) */
	enum cfg_consent consent_regime;
	unsigned retention_days;
	unsigned retention_sweep_per_s;
	char sensitive[CFG_SENSITIVE_STR_MAX + 1]; /* cfg_sensitive_parse() */
};

/*
 * The `sensitive` setting, comma-separated tag or category names, into
 * their ids (evt_tag_id of each trimmed name; blanks skipped). Returns
 * how many (at most cap are stored; ids may be NULL to count), or -EINVAL
 * with a message when there are more than CFG_SENSITIVE_MAX or a name is
 * longer than a tag may be.
 */
int cfg_sensitive_parse(const char *list, uint32_t *ids, unsigned cap,
    char *err, size_t errlen);

/* Fill *c with every setting's default. The defaults pass cfg_check(). */
void cfg_defaults(struct cfg *c);

/*
 * Parse value as the setting called name and store it in *c. Values are
 * taken literally: no surrounding whitespace, no comments.
 *   uint:   decimal or 0x hex; no sign, no spaces, no trailing characters
 *   double: strtod syntax, finite only
 *   bool:   true/false, yes/no, on/off, 1/0 (any case)
 *   enum:   one of the listed choices (any case)
 *   string: the setting's own length and character rules
 * Returns 0, -ENOENT for an unknown name (the message suggests the closest
 * known name), -EINVAL for a bad value (message names the setting, the value
 * and the accepted range or choices). On error *c is unchanged.
 */
int cfg_set(struct cfg *c, const char *name, const char *value, char *err,
    size_t errlen);

/*
 * Whether `name` (underscores or dashes, no leading "--") is a setting:
 * 0 and *is_bool set, or -ENOENT. For programs that mix their own options
 * with settings on one command line and must know whether a setting's
 * flag takes the next word as its value (booleans never do).
 */
int cfg_lookup(const char *name, bool *is_bool);

/*
 * Apply a config file on top of *c. Format, one per line:
 *	# a comment: '#' as the first non-blank character
 *	name = value
 * Blank lines are skipped; whitespace around name and value is ignored; a
 * comment cannot follow a value on the same line ('#' is a legal character in
 * state_dir). Lines up to CFG_LINE_MAX bytes; CRLF is accepted. A later line
 * overrides an earlier one. The file is applied all or nothing: on any error
 * *c is unchanged.
 * Returns 0; -errno if the file cannot be opened or read (message
 * "PATH: strerror"); -ENOENT/-EINVAL for a bad line (message
 * "PATH:LINE: ..." with the cfg_set message).
 */
int cfg_load_file(struct cfg *c, const char *path, char *err, size_t errlen);

/*
 * Apply command-line options argv[1..] on top of *c, left to right:
 *	--name=value  --name value
 *	--name        booleans only: true (a boolean never takes the next word;
 *	              write --name=false)
 *	--no-name     booleans only: false
 *	--config FILE / --config=FILE: cfg_load_file() at this point, so later
 *	              options override the file and earlier ones are overridden
 *	--            ends the options
 * Parsing stops at the first argument that does not start with "--" (a lone
 * "-" is a positional argument); *first_positional gets its index, or argc
 * when there is none. If first_positional is NULL, positional arguments are
 * an error. Single-dash options are an error. A value may not start with
 * "--" (that is read as a missing value). --help is not handled here: callers
 * look for it before calling, it is otherwise an unknown option.
 * Returns 0 or a negative errno (-ENOENT unknown option, -EINVAL bad or
 * missing value, or what cfg_load_file returned) with a message; on error
 * *c is unchanged.
 */
int cfg_parse_args(struct cfg *c, int argc, char **argv, int *first_positional,
    char *err, size_t errlen);

/*
 * Check *c as a whole: every field in its range (fields may have been set
 * directly, not through cfg_set) and the rules between fields:
 *   acceptor_slots < producer_slots (libpenchant clients need a slot),
 *   segments_k_min <= segments_k_max, kl_release <= kl_threshold.
 * Returns 0 or -EINVAL with a message. Call it before using a cfg.
 */
int cfg_check(const struct cfg *c, char *err, size_t errlen);

/*
 * A listen address of udp_listen, tcp_listen or forward_listen, ready for
 * bind(2).
 */
struct cfg_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64]; /* the entry as written, trimmed */
};

/*
 * Parses a listen setting: comma-separated entries "IPV4:PORT" or
 * "[IPV6]:PORT" (numeric addresses only, port 1..65535, blanks around an
 * entry ignored). An empty or all-blank list is valid and gives *n = 0
 * (the listener is disabled). Up to `max` entries go to out (out may be
 * NULL to only check; at most CFG_LISTEN_MAX entries are accepted).
 * Returns 0 or -EINVAL with a message naming the bad entry, e.g.
 *	bad entry '1.2.3:80' (not a numeric IPv4 address)
 * (the caller adds the setting's name; cfg_set and cfg_check do).
 */
int cfg_listen_parse(const char *list, struct cfg_addr *out, unsigned max,
    unsigned *n, char *err, size_t errlen);

/*
 * One entry of allow_from: an address and how many leading bits of it
 * must match.
 */
struct cfg_cidr {
	int family;	 /* AF_INET or AF_INET6 */
	unsigned prefix; /* 0..32 or 0..128 */
	unsigned char addr[16];
};

/*
 * Parses an allow list: comma-separated CIDRs "A.B.C.D/N" or "IPV6/N", or
 * a bare address (a single host: /32, /128); blanks around an entry are
 * ignored, an empty or all-blank list gives *n = 0 (allow everyone).
 * Refused, with a message naming the entry: an empty entry (",,"), blanks
 * inside an entry, an address that is not numeric IPv4/IPv6 (no names, no
 * brackets, no zone), a prefix that is not 0..32 / 0..128 in plain
 * decimal, bits set after the prefix ("10.1.2.3/8": write 10.0.0.0/8),
 * more than CFG_ALLOW_MAX entries. Up to max entries go to out (NULL to
 * only check). Returns 0 or -EINVAL.
 */
int cfg_cidr_parse(const char *list, struct cfg_cidr *out, unsigned max,
    unsigned *n, char *err, size_t errlen);

/*
 * Whether the address sa (AF_INET or AF_INET6; an IPv4-mapped IPv6 address
 * matches IPv4 entries too) is inside one of set[0..n). n == 0: true
 * (no list, everyone allowed). Other families: false.
 */
bool cfg_cidr_match(const struct cfg_cidr *set, unsigned n,
    const struct sockaddr *sa);

/* The settings as --help text: flag, type, default, range, help. */
void cfg_print_help(FILE *f);

/* The content of docs/SETTINGS.md, byte for byte. */
void cfg_print_markdown(FILE *f);

/*
 * Every setting of *c as "name = value" lines that cfg_load_file() reads back
 * to an identical struct (doubles are printed exactly). For a struct that
 * passes cfg_check(). Returns 0, -EINVAL for NULL arguments, a string field
 * without NUL or an enum out of range, or -EIO if writing failed.
 */
int cfg_print_values(FILE *f, const struct cfg *c);

/*
 * c->shards, or when 0 the number of online CPUs, at least 1 and at most
 * CFG_SHARDS_MAX. Reads sysconf(), so two calls may differ if CPUs go
 * online; call once at startup and keep the answer.
 */
unsigned cfg_effective_shards(const struct cfg *c);

#endif
