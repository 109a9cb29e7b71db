/*
 * Fuzz target: arbitrary bytes as an audit trail (ipc/audit.h, read by
 * `penchant audit`), through aud_verify and aud_read. Must never crash,
 * leak or hit UB; verify and read agree: an intact chain reads back line
 * by line with seq = line number, and every line verify got past parses.
 * Built with libFuzzer (-Dfuzz=true) or with tests/fuzz_replay_main.c.
 *
 * Input: a control byte, then the file. With ctl & 1 every line shaped
 * like an audit line gets its prev and hash fields recomputed first, so
 * the chain holds and the checks after the hashes (seq, and the next
 * line) are reached.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_record.h"
#include "ipc/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_dir[256], g_path[300];

static void _cleanup(void)
{
	unlink(g_path);
	rmdir(g_dir);
}

static void _init(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(g_dir, sizeof(g_dir), "%s/penchant-fzaud-XXXXXX",
	    tmp ? tmp : "/tmp");
	FUZZ_RULE(mkdtemp(g_dir) != NULL);
	snprintf(g_path, sizeof(g_path), "%s/i.audit", g_dir);
	atexit(_cleanup);
}

static const char _hash_key[] = ",\"hash\":\"";
static const char _prev_key[] = ",\"prev\":\"";

/* Where the last ,"hash":" of the line starts, when the line ends in
 * ,"prev":"<64>","hash":"<64>"} ; otherwise -1. */
static long _hash_at(const char *l, size_t n)
{
	const size_t hk = sizeof(_hash_key) - 1, pk = sizeof(_prev_key) - 1;
	if (n < pk + 65 + hk + 66)
		return -1;
	size_t at = n - 66 - hk;
	if (memcmp(l + at, _hash_key, hk) || memcmp(l + n - 2, "\"}", 2) ||
	    memcmp(l + at - 65 - pk, _prev_key, pk) || l[at - 1] != '"')
		return -1;
	return (long)at;
}

/* Each line shaped so: prev the previous line's hash, hash its own. */
static void _chain(char *buf, size_t n)
{
	char prev[65];
	memset(prev, '0', 64);
	prev[64] = 0;
	for (size_t s = 0; s < n;) {
		char *nl = memchr(buf + s, '\n', n - s);
		size_t len = nl ? (size_t)(nl - (buf + s)) : n - s;
		char *l = buf + s;
		long at = _hash_at(l, len);
		if (at >= 0) {
			char h[65];
			memcpy(l + at - 65, prev, 64);
			aud_sha256_hex(l, (size_t)at, h);
			memcpy(l + at + sizeof(_hash_key) - 1, h, 64);
		}
		aud_sha256_hex(l, len, prev);
		s += len + 1;
	}
}

struct _seen {
	uint64_t n;
	bool seq_is_line;
};

static int _each(const struct aud_entry *e, void *arg)
{
	struct _seen *s = arg;
	s->n++;
	s->seq_is_line &= e->seq == s->n;
	FUZZ_RULE((unsigned)e->action < AUD_ACTION_COUNT);
	FUZZ_RULE(aud_action_name(e->action) != NULL);
	FUZZ_RULE(e->line_len <= AUD_LINE_MAX);
	FUZZ_RULE(strlen(e->time) == 24);
	FUZZ_RULE(strlen(e->prev) == 64 && strlen(e->hash) == 64);
	FUZZ_RULE(memchr(e->detail, 0, sizeof(e->detail)) != NULL);
	FUZZ_RULE(e->ms >= 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		_init();
		ready = 1;
	}
	if (size < 1)
		return 0;
	size_t n = size - 1;
	char *buf = malloc(n ? n : 1);
	FUZZ_RULE(buf);
	memcpy(buf, data + 1, n);
	if (data[0] & 1)
		_chain(buf, n);
	int fd = open(g_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_RULE(fd >= 0);
	FUZZ_RULE(write(fd, buf, n) == (ssize_t)n);
	FUZZ_RULE(close(fd) == 0);
	free(buf);

	struct aud_report rep;
	char err[512];
	memset(err, 'Z', sizeof(err));
	int vrc = aud_verify(g_path, &rep, err, sizeof(err));
	FUZZ_RULE(vrc == 0 || vrc == -EBADMSG);
	FUZZ_RULE(rep.good <= rep.lines);
	FUZZ_RULE(memchr(rep.why, 0, sizeof(rep.why)) != NULL);
	if (vrc == 0) {
		FUZZ_RULE(rep.bad_line == 0 && rep.good == rep.lines);
		FUZZ_RULE(rep.last_seq == rep.lines);
		FUZZ_RULE(rep.lines ? strlen(rep.last_hash) == 64
				    : rep.last_hash[0] == 0);
	} else {
		FUZZ_RULE(rep.bad_line == rep.good + 1);
		FUZZ_RULE(rep.bad_line == rep.lines);
		FUZZ_RULE(rep.why[0] != 0);
		FUZZ_RULE(memchr(err, 0, sizeof(err)) && err[0]);
		FUZZ_RULE(strchr(err, '\n') == NULL);
	}

	struct _seen seen = { 0, true };
	memset(err, 'Z', sizeof(err));
	int rrc = aud_read(g_path, _each, &seen, err, sizeof(err));
	FUZZ_RULE(rrc == 0 || rrc == -EBADMSG);
	if (rrc)
		FUZZ_RULE(memchr(err, 0, sizeof(err)) && err[0]);
	if (vrc == 0) {
		FUZZ_RULE(rrc == 0);
		FUZZ_RULE(seen.n == rep.lines && seen.seq_is_line);
	} else if (!strncmp(rep.why, "seq gap", 7) ||
	    !strncmp(rep.why, "hash mismatch", 13) ||
	    !strncmp(rep.why, "prev mismatch", 13)) {
		/* the bad line parsed: verify failed it on its content */
		FUZZ_RULE(seen.n >= rep.bad_line);
	} else {
		FUZZ_RULE(seen.n >= rep.good);
	}
	return 0;
}
