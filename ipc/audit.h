/*
 * audit: the instance's audit trail, an append-only, hash-chained file of
 * the acts a data subject or an operator may have to account for later
 * (erase, export, consent changes, catalog loads, settings changes,
 * starts, retention runs, key rotations). Anyone who edits, drops,
 * reorders or truncates lines breaks the chain, and aud_verify() names
 * the first line where it breaks.
 *
 * The file is <state_dir>/<instance>.audit, mode 0600, owned by the
 * instance's user. One JSON object per line, its fields always in this
 * order and spelled exactly so (no spaces):
 *
 *   {"seq":3,"time":"2026-01-01T09:00:00.123Z","ms":1767258000123,
 *    "uid":1000,"pid":4242,"action":"catalog_load","subject":"",
 *    "detail":"file=cat.jsonl loaded=2 rejected=5",
 *    "prev":"<64 hex>","hash":"<64 hex>"}
 *
 *   seq      1 for the first line, +1 per line, no gaps
 *   time     the wall clock of the append, RFC 3339 UTC with milliseconds,
 *            the same instant as ms (ms since the Unix epoch)
 *   uid/pid  getuid() and getpid() of the acting process
 *   action   one of aud_action_name(): erase, export, consent,
 *            catalog_load, config, start, retention, key_rotation
 *   subject  16 lower-case hex digits naming the user (aud_subject_of
 *            their user key), or "" when the act concerns no one user;
 *            never a raw user id, nor the key itself: after an erasure
 *            the key appears nowhere, yet whoever holds it (or the id and
 *            the instance's secret) can find the user's lines
 *   detail   a short free text, JSON-escaped (see aud_append)
 *   prev     SHA-256, lower-case hex, of the previous line's bytes
 *            without its newline; 64 zeros on line 1
 *   hash     SHA-256, lower-case hex, of this line's bytes from the
 *            opening '{' up to, not including, the final ,"hash": (that
 *            is, of the line as it reads without its hash field and
 *            closing brace)
 *
 * Every line ends with '\n'. prev covers the whole previous line, hash
 * included, so rewriting a line and recomputing its own hash still breaks
 * the next line's prev; only the last line could be rewritten unnoticed,
 * which is why a copy of the last hash kept elsewhere (aud_verify reports
 * it) anchors the chain.
 *
 * Concurrency: any number of processes may append at once. An append
 * takes flock(LOCK_EX) on the file, reads the last line for its seq and
 * hash, writes the new line with one write() and, unless AUD_NO_SYNC,
 * fdatasync()s before unlocking. Readers take LOCK_SH, so they never see
 * half a line from a live appender. Any process and any thread may call
 * anything here; nothing touches shared memory or global state (libsodium
 * is initialized on first use, which is thread-safe).
 *
 * Errors: 0 or a negative errno, errno untouched; when err is not NULL a
 * one-line message that says what to do.
 */
#ifndef PENCHANT_IPC_AUDIT_H
#define PENCHANT_IPC_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The acts recorded. Names are part of the file format: append only. */
#define AUD_ACTIONS(X)                                                         \
	X(ERASE, "erase")                                                      \
	X(EXPORT, "export")                                                    \
	X(CONSENT, "consent")                                                  \
	X(CATALOG_LOAD, "catalog_load")                                        \
	X(CONFIG, "config")                                                    \
	X(START, "start")                                                      \
	X(RETENTION, "retention")                                              \
	X(KEY_ROTATION, "key_rotation")

enum aud_action {
#define AUD_ENUM_(id, name) AUD_##id,
	AUD_ACTIONS(AUD_ENUM_)
#undef AUD_ENUM_
	    AUD_ACTION_COUNT
};

/* Longest detail aud_append takes, in bytes before escaping. */
#define AUD_DETAIL_MAX 512

/* Longest line any append writes, newline excluded (a detail of
 * AUD_DETAIL_MAX bytes that all need \u escapes, plus the fields). */
#define AUD_LINE_MAX 4096

/* "subject" when the act concerns no one user. A real key of 0 (chance
 * 2^-64) is recorded as no subject. */
#define AUD_NO_SUBJECT 0

/* aud_append_flags: skip fdatasync (tests, bulk imports). */
#define AUD_NO_SYNC 1u

/* The action's name, or NULL when a is out of range. */
const char *aud_action_name(enum aud_action a);

/* The action called name: 0 and *a, or -EINVAL. */
int aud_action_parse(const char *name, enum aud_action *a);

/*
 * The log's path, <state_dir>/<instance>.audit, into buf. -EINVAL when
 * state_dir is empty or instance is not [A-Za-z0-9_-]{1,32} (so a name can
 * never leave the directory), -ENAMETOOLONG when len is too small.
 */
int aud_path(const char *state_dir, const char *instance, char *buf, size_t len,
    char *err, size_t errlen);

/*
 * Appends one line for action a. state_dir must exist (the file is
 * created there, mode 0600, O_NOFOLLOW). subject is a user key or
 * AUD_NO_SUBJECT. detail (NULL = "") is at most AUD_DETAIL_MAX bytes;
 * '"', '\\' and control bytes are escaped, bytes that are not UTF-8 are
 * written as \ufffd. Secrets and raw user ids do not belong in it.
 * Returns 0, or:
 *   -EINVAL   bad action, instance, or a detail that is too long
 *   -ENOENT   state_dir does not exist
 *   -ELOOP    the path is a symbolic link
 *   -EPERM    the file is not a regular file owned by our euid, or group
 *             or others have any permission on it
 *   -EBADMSG  the last line is partial or malformed (nothing appended:
 *             a damaged chain is for an operator to look at, with
 *             `penchant audit verify`)
 *   -errno    from open/flock/write/fdatasync; a failed or short write is
 *             cut back off, so the file never ends in half a line
 */
int aud_append(const char *state_dir, const char *instance, enum aud_action a,
    uint64_t subject, const char *detail, char *err, size_t errlen);

/* aud_append with flags (AUD_NO_SYNC). */
int aud_append_flags(const char *state_dir, const char *instance,
    enum aud_action a, uint64_t subject, const char *detail, unsigned flags,
    char *err, size_t errlen);

/* What aud_verify found. */
struct aud_report {
	uint64_t lines;	    /* lines read, the bad one included */
	uint64_t good;	    /* lines that verified, from line 1 on */
	uint64_t bad_line;  /* 1-based number of the first bad line; 0 intact */
	char why[160];	    /* what is wrong with it, e.g. "prev mismatch" */
	uint64_t last_seq;  /* of the last good line; 0 for an empty log */
	char last_hash[65]; /* hash of the last good line ("" for none) */
};

/*
 * Walks the whole chain of the file at path (under LOCK_SH). Every line
 * must have the exact shape above, seq must be the line number, time must
 * equal ms, prev must be the hash of the previous line's bytes and hash the
 * hash of its own prefix; the file must end in a newline. An empty file is
 * intact. Returns 0 intact, -EBADMSG tampered or damaged (rep->bad_line and
 * rep->why say where and what: "bad shape: ...", "seq gap: ...", "prev
 * mismatch", "hash mismatch", "truncated last line (no newline)"), or
 * -errno when the file cannot be read (-ENOENT: no log there; -EISDIR,
 * -EPERM: a directory, a FIFO or device there) with err set.
 */
int aud_verify(const char *path, struct aud_report *rep, char *err,
    size_t errlen);

/* One line, parsed (aud_read). line points into the reader's buffer and
 * is valid during the callback only. */
struct aud_entry {
	uint64_t seq;
	int64_t ms;
	uint32_t uid;
	int32_t pid;
	enum aud_action action;
	uint64_t subject; /* AUD_NO_SUBJECT when "" */
	char time[32];
	char detail[AUD_DETAIL_MAX * 3 + 1]; /* unescaped, NUL-terminated */
	char prev[65], hash[65];
	const char *line; /* the raw line, without newline */
	size_t line_len;
};

/*
 * Calls fn for each line of the file at path in order (under LOCK_SH),
 * parsed but with the chain not checked (aud_verify does that). Stops at
 * fn's first nonzero return and returns it. Returns 0, -EBADMSG when a
 * line does not parse (err names its number) or the last line has no
 * newline, or -errno when the file cannot be read (-ENOENT: no log).
 */
int aud_read(const char *path, int (*fn)(const struct aud_entry *e, void *arg),
    void *arg, char *err, size_t errlen);

/* The audit subject of a user key: the first 8 bytes of SHA-256 over a
 * fixed label and the key (little-endian). 0 stays AUD_NO_SUBJECT. */
uint64_t aud_subject_of(uint64_t user_key);

/* SHA-256 of n bytes as 64 lower-case hex digits and a NUL (out[65]). */
void aud_sha256_hex(const void *p, size_t n, char out[65]);

#endif
