/*
 * audit: the hash-chained audit trail (audit.h has the format). Lines are
 * written and read in one fixed shape, so the reader is a strict scanner of
 * that shape rather than a general JSON parser: anything else is damage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ipc/audit.h"

#define _ZERO_HASH                                                             \
	"0000000000000000000000000000000000000000000000000000000000000000"

static const char *const _names[AUD_ACTION_COUNT] = {
#define AUD_NAME_(id, name) [AUD_##id] = name,
	AUD_ACTIONS(AUD_NAME_)
#undef AUD_NAME_
};

__attribute__((format(printf, 3, 4))) static void _err(char *err, size_t errlen,
    const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *aud_action_name(enum aud_action a)
{
	return (unsigned)a < AUD_ACTION_COUNT ? _names[a] : NULL;
}

int aud_action_parse(const char *name, enum aud_action *a)
{
	for (unsigned i = 0; name && i < AUD_ACTION_COUNT; i++)
		if (!strcmp(name, _names[i])) {
			*a = (enum aud_action)i;
			return 0;
		}
	return -EINVAL;
}

void aud_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	/* sodium_init is idempotent and thread-safe; SHA-256 needs no more. */
	(void)!sodium_init();
	crypto_hash_sha256(h, p, n);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

static bool _instance_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!(s[n] >= 'a' && s[n] <= 'z') &&
		    !(s[n] >= 'A' && s[n] <= 'Z') &&
		    !(s[n] >= '0' && s[n] <= '9') && s[n] != '_' && s[n] != '-')
			return false;
	return n >= 1 && n <= 32;
}

int aud_path(const char *state_dir, const char *instance, char *buf, size_t len,
    char *err, size_t errlen)
{
	if (!state_dir || !state_dir[0]) {
		_err(err, errlen, "no state_dir: the audit log lives there");
		return -EINVAL;
	}
	if (!instance || !_instance_ok(instance)) {
		_err(err, errlen,
		    "instance name '%.40s' is not [A-Za-z0-9_-]{1,32}",
		    instance ? instance : "");
		return -EINVAL;
	}
	int n = snprintf(buf, len, "%s/%s.audit", state_dir, instance);
	if (n < 0 || (size_t)n >= len) {
		_err(err, errlen, "audit log path under %.100s is too long",
		    state_dir);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* --- writing ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t _utf8_len(const unsigned char *s, size_t n)
{
	size_t k = s[0] < 0x80	    ? 1
	    : (s[0] & 0xe0) == 0xc0 ? 2
	    : (s[0] & 0xf0) == 0xe0 ? 3
	    : (s[0] & 0xf8) == 0xf0 ? 4
				    : 0;
	if (!k || k > n)
		return 0;
	uint32_t cp = k == 1 ? s[0] : s[0] & (0x7f >> k);
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min[k] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return k;
}

/* detail as the inside of a JSON string; out holds 6 bytes per input byte
 * plus a NUL. */
static void _escape(const char *detail, char *out)
{
	const unsigned char *s = (const unsigned char *)detail;
	size_t n = strlen(detail), o = 0;
	for (size_t i = 0; i < n;) {
		size_t k = _utf8_len(s + i, n - i);
		if (!k) {
			o += (size_t)sprintf(out + o, "\\ufffd");
			i++;
		} else if (s[i] == '"' || s[i] == '\\') {
			out[o++] = '\\';
			out[o++] = (char)s[i++];
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			o += (size_t)sprintf(out + o, "\\u%04x", s[i++]);
		} else {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = 0;
}

/* RFC 3339 UTC with milliseconds: 2026-01-01T09:00:00.123Z */
static void _fmt_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char sec[24];
	gmtime_r(&t, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", sec, (int)(ms % 1000));
}

/* The new line into out (AUD_LINE_MAX + 2 bytes), newline included;
 * returns its length. */
static size_t _build(uint64_t seq, enum aud_action a, uint64_t subject,
    const char *esc_detail, const char *prev, char *out)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	char when[32], subj[17] = "", hash[65];
	_fmt_time(ms, when);
	if (subject != AUD_NO_SUBJECT)
		snprintf(subj, sizeof(subj), "%016" PRIx64, subject);
	int n = snprintf(out, AUD_LINE_MAX + 2,
	    "{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"ms\":%" PRId64
	    ",\"uid\":%u,\"pid\":%d,\"action\":\"%s\",\"subject\":\"%s\",\"detail\":\"%s\",\"prev\":\"%s\"",
	    seq, when, ms, (unsigned)getuid(), (int)getpid(), _names[a], subj,
	    esc_detail, prev);
	aud_sha256_hex(out, (size_t)n, hash);
	n += snprintf(out + n, AUD_LINE_MAX + 2 - (size_t)n,
	    ",\"hash\":\"%s\"}\n", hash);
	return (size_t)n;
}

/* Opens (creating) the log for appending and checks who owns it. */
static int _open_log(const char *path, char *err, size_t errlen)
{
	int fd = open(path,
	    O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP)
			_err(err, errlen,
			    "%s is a symbolic link; refusing to write the audit log through it (remove the link)",
			    path);
		else if (e == ENOENT)
			_err(err, errlen,
			    "cannot create %s: its directory does not exist (create the instance's state_dir first)",
			    path);
		else
			_err(err, errlen, "cannot open %s: %s", path,
			    strerror(e));
		return -e;
	}
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st)) {
		rc = -errno;
		_err(err, errlen, "cannot stat %s: %s", path, strerror(-rc));
	} else if (!S_ISREG(st.st_mode)) {
		rc = -EPERM;
		_err(err, errlen, "%s is not a regular file", path);
	} else if (st.st_uid != geteuid()) {
		rc = -EPERM;
		_err(err, errlen,
		    "%s is owned by uid %u, not by us (euid %u): append as its owner or chown it",
		    path, (unsigned)st.st_uid, (unsigned)geteuid());
	} else if (st.st_mode & 077) {
		rc = -EPERM;
		_err(err, errlen,
		    "%s has mode %04o: group and others must have no access (chmod 600 it)",
		    path, (unsigned)(st.st_mode & 07777));
	}
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

static int _lock(int fd, int how)
{
	while (flock(fd, how))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int _parse(const char *line, size_t len, struct aud_entry *e,
    size_t *hash_off, char *why, size_t whylen);

/* seq and hash of the file's last line; the file is locked and size > 0. */
static int _tail(int fd, off_t size, const char *path, uint64_t *seq,
    char prev[65], char *err, size_t errlen)
{
	static const size_t cap = AUD_LINE_MAX + 2;
	char *buf = malloc(cap);
	struct aud_entry *e = malloc(sizeof(*e));
	int rc = 0;
	if (!buf || !e) {
		rc = -ENOMEM;
		_err(err, errlen, "out of memory");
		goto out;
	}
	off_t from = size > (off_t)cap ? size - (off_t)cap : 0;
	ssize_t n = pread(fd, buf, (size_t)(size - from), from);
	if (n != size - from) {
		rc = n < 0 ? -errno : -EIO;
		_err(err, errlen, "cannot read %s: %s", path, strerror(-rc));
		goto out;
	}
	char why[160];
	size_t end = (size_t)n - 1, start = end, off;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	if (buf[end] != '\n')
		snprintf(why, sizeof(why), "ends in a partial line");
	else if (start == 0 && from > 0)
		snprintf(why, sizeof(why), "last line is too long");
	else if (!_parse(buf + start, end - start, e, &off, why, sizeof(why)))
		goto found;
	rc = -EBADMSG;
	_err(err, errlen, "%s %s; nothing appended (see penchant audit verify)",
	    path, why);
	goto out;
found:
	*seq = e->seq;
	aud_sha256_hex(buf + start, end - start, prev);
out:
	free(buf);
	free(e);
	return rc;
}

/* Writes line at the end of the locked file, or leaves the file as it was. */
static int _write(int fd, off_t size, const char *line, size_t n,
    unsigned flags, const char *path, char *err, size_t errlen)
{
	ssize_t w = write(fd, line, n);
	if (w != (ssize_t)n) {
		int e = w < 0 ? errno : ENOSPC;
		/* Never leave half a line: it would break every later append. */
		(void)!ftruncate(fd, size);
		_err(err, errlen, "cannot append to %s: %s", path, strerror(e));
		return -e;
	}
	if (!(flags & AUD_NO_SYNC) && fdatasync(fd)) {
		int e = errno;
		_err(err, errlen, "cannot sync %s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

int aud_append_flags(const char *state_dir, const char *instance,
    enum aud_action a, uint64_t subject, const char *detail, unsigned flags,
    char *err, size_t errlen)
{
	if ((unsigned)a >= AUD_ACTION_COUNT) {
		_err(err, errlen, "unknown audit action %d", (int)a);
		return -EINVAL;
	}
	detail = detail ? detail : "";
	if (strlen(detail) > AUD_DETAIL_MAX) {
		_err(err, errlen, "audit detail is %zu bytes; at most %d",
		    strlen(detail), AUD_DETAIL_MAX);
		return -EINVAL;
	}
	char path[512];
	int rc = aud_path(state_dir, instance, path, sizeof(path), err, errlen);
	if (rc)
		return rc;
	int fd = _open_log(path, err, errlen);
	if (fd < 0)
		return fd;
	char *esc = malloc(AUD_DETAIL_MAX * 6 + 1);
	char *line = malloc(AUD_LINE_MAX + 2);
	char prev[65] = _ZERO_HASH;
	uint64_t seq = 0;
	struct stat st;
	if (!esc || !line) {
		rc = -ENOMEM;
		_err(err, errlen, "out of memory");
	} else if ((rc = _lock(fd, LOCK_EX))) {
		_err(err, errlen, "cannot lock %s: %s", path, strerror(-rc));
	} else if (fstat(fd, &st)) {
		rc = -errno;
		_err(err, errlen, "cannot stat %s: %s", path, strerror(-rc));
	} else if (st.st_size == 0 ||
	    !(rc = _tail(fd, st.st_size, path, &seq, prev, err, errlen))) {
		_escape(detail, esc);
		size_t n = _build(seq + 1, a, subject, esc, prev, line);
		rc = _write(fd, st.st_size, line, n, flags, path, err, errlen);
	}
	free(esc);
	free(line);
	close(fd); /* releases the lock */
	return rc;
}

int aud_append(const char *state_dir, const char *instance, enum aud_action a,
    uint64_t subject, const char *detail, char *err, size_t errlen)
{
	return aud_append_flags(state_dir, instance, a, subject, detail, 0, err,
	    errlen);
}

/* --- reading ---------------------------------------------------------- */

/* A strict scanner over one line: each step consumes an exact piece. */
struct _scan {
	const char *start, *p, *end;
	char *why;
	size_t whylen;
};

static bool _fail(struct _scan *s, const char *what)
{
	if (!s->why[0])
		snprintf(s->why, s->whylen, "bad shape: %s at byte %zu", what,
		    (size_t)(s->p - s->start));
	return false;
}

static bool _lit(struct _scan *s, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n))
		return _fail(s, lit);
	s->p += n;
	return true;
}

/* A decimal without sign or leading zeros, at most max. */
static bool _uint(struct _scan *s, uint64_t max, uint64_t *v, const char *f)
{
	const char *q = s->p;
	uint64_t x = 0;
	for (; q < s->end && *q >= '0' && *q <= '9'; q++) {
		if (x > (max - (uint64_t)(*q - '0')) / 10)
			return _fail(s, f);
		x = x * 10 + (uint64_t)(*q - '0');
	}
	if (q == s->p || (*s->p == '0' && q - s->p > 1))
		return _fail(s, f);
	s->p = q;
	*v = x;
	return true;
}

/* n lower-case hex digits then '"'. */
static bool _hex(struct _scan *s, size_t n, char *out, const char *f)
{
	if ((size_t)(s->end - s->p) < n + 1 || s->p[n] != '"')
		return _fail(s, f);
	for (size_t i = 0; i < n; i++)
		if (!((s->p[i] >= '0' && s->p[i] <= '9') ||
			(s->p[i] >= 'a' && s->p[i] <= 'f')))
			return _fail(s, f);
	memcpy(out, s->p, n);
	out[n] = 0;
	s->p += n + 1;
	return true;
}

static size_t _put_utf8(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	o[0] = (char)(0xe0 | cp >> 12);
	o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* One JSON escape after the backslash, decoded into o; bytes written or 0. */
static size_t _unescape(struct _scan *s, char *o)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *c = s->p < s->end ? strchr(from, *s->p) : NULL;
	if (c && *c) {
		s->p++;
		*o = to[c - from];
		return 1;
	}
	if (s->end - s->p < 5 || *s->p != 'u')
		return 0;
	uint32_t cp = 0;
	for (int i = 1; i <= 4; i++) {
		char h = s->p[i];
		int d = h >= '0' && h <= '9' ? h - '0'
		    : h >= 'a' && h <= 'f'   ? h - 'a' + 10
		    : h >= 'A' && h <= 'F'   ? h - 'A' + 10
					     : -1;
		if (d < 0)
			return 0;
		cp = cp << 4 | (uint32_t)d;
	}
	s->p += 5;
	/* Lone surrogates (we never write pairs) read as U+FFFD. */
	return _put_utf8(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp, o);
}

/* The inside of the detail string up to its closing quote, decoded. */
static bool _detail(struct _scan *s, char *out, size_t cap)
{
	size_t o = 0;
	while (s->p < s->end && *s->p != '"') {
		unsigned char ch = (unsigned char)*s->p;
		size_t k = 1;
		char tmp[4];
		if (ch == '\\') {
			s->p++;
			if (!(k = _unescape(s, tmp)))
				return _fail(s, "bad escape in detail");
		} else if (ch < 0x20) {
			return _fail(s, "control byte in detail");
		} else if (!(k = _utf8_len((const unsigned char *)s->p,
				 (size_t)(s->end - s->p)))) {
			return _fail(s, "invalid UTF-8 in detail");
		} else {
			memcpy(tmp, s->p, k);
			s->p += k;
		}
		if (o + k >= cap)
			return _fail(s, "detail too long");
		memcpy(out + o, tmp, k);
		o += k;
	}
	out[o] = 0;
	return _lit(s, "\"");
}

static bool _action(struct _scan *s, enum aud_action *a)
{
	const char *q = memchr(s->p, '"', (size_t)(s->end - s->p));
	char name[32];
	if (!q || q - s->p >= (long)sizeof(name))
		return _fail(s, "action");
	memcpy(name, s->p, (size_t)(q - s->p));
	name[q - s->p] = 0;
	if (aud_action_parse(name, a))
		return _fail(s, "unknown action");
	s->p = q + 1;
	return true;
}

static bool _subject(struct _scan *s, uint64_t *subject)
{
	char hex[17];
	*subject = AUD_NO_SUBJECT;
	if (s->p < s->end && *s->p == '"') {
		s->p++;
		return true;
	}
	if (!_hex(s, 16, hex, "subject (16 hex digits or empty)"))
		return false;
	*subject = strtoull(hex, NULL, 16);
	return true;
}

static bool _fields(struct _scan *s, struct aud_entry *e, size_t *hash_off,
    const char *line)
{
	uint64_t v;
	char when[32];
	if (!_lit(s, "{\"seq\":") || !_uint(s, UINT64_MAX, &e->seq, "seq") ||
	    !_lit(s, ",\"time\":\""))
		return false;
	const char *q = memchr(s->p, '"', (size_t)(s->end - s->p));
	if (!q || q - s->p != 24)
		return _fail(s, "time");
	memcpy(e->time, s->p, 24);
	e->time[24] = 0;
	s->p = q + 1;
	if (!_lit(s, ",\"ms\":") || !_uint(s, INT64_MAX / 2, &v, "ms"))
		return false;
	e->ms = (int64_t)v;
	_fmt_time(e->ms, when);
	if (strcmp(when, e->time))
		return _fail(s, "time is not the same instant as ms");
	if (!_lit(s, ",\"uid\":") || !_uint(s, UINT32_MAX, &v, "uid"))
		return false;
	e->uid = (uint32_t)v;
	if (!_lit(s, ",\"pid\":") || !_uint(s, INT32_MAX, &v, "pid"))
		return false;
	e->pid = (int32_t)v;
	if (!_lit(s, ",\"action\":\"") || !_action(s, &e->action) ||
	    !_lit(s, ",\"subject\":\"") || !_subject(s, &e->subject) ||
	    !_lit(s, ",\"detail\":\"") ||
	    !_detail(s, e->detail, sizeof(e->detail)) ||
	    !_lit(s, ",\"prev\":\"") || !_hex(s, 64, e->prev, "prev"))
		return false;
	*hash_off = (size_t)(s->p - line);
	if (!_lit(s, ",\"hash\":\"") || !_hex(s, 64, e->hash, "hash") ||
	    !_lit(s, "}"))
		return false;
	return s->p == s->end || _fail(s, "bytes after the object");
}

/* Parses one line (no newline); 0 or -EBADMSG with why. */
static int _parse(const char *line, size_t len, struct aud_entry *e,
    size_t *hash_off, char *why, size_t whylen)
{
	why[0] = 0;
	struct _scan s = { line, line, line + len, why, whylen };
	e->line = line;
	e->line_len = len;
	return _fields(&s, e, hash_off, line) ? 0 : -EBADMSG;
}

/* Calls fn for every line of path under LOCK_SH; has_nl false for a last
 * line without newline. Lines longer than AUD_LINE_MAX are cut there and
 * reported as such (len > AUD_LINE_MAX). */
typedef int (
    *_line_fn)(char *line, size_t len, bool has_nl, uint64_t no, void *arg);

static int _walk(const char *path, _line_fn fn, void *arg, char *err,
    size_t errlen)
{
	/* O_NONBLOCK: a FIFO at the path would wait for a writer forever
	 * (the regular file that passes below reads as it would without) */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		_err(err, errlen,
		    e == ENOENT ? "no audit log at %s (nothing recorded yet?)"
				: "cannot open %s: %s",
		    path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st)) {
		int e = errno;
		_err(err, errlen, "cannot stat %s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		bool dir = S_ISDIR(st.st_mode);
		_err(err, errlen,
		    "%s is not a regular file (a %s): the audit log is one; name the state directory that holds it",
		    path, dir ? "directory" : "FIFO, socket or device");
		close(fd);
		return dir ? -EISDIR : -EPERM;
	}
	int rc = _lock(fd, LOCK_SH);
	FILE *f = rc ? NULL : fdopen(fd, "r");
	char *buf = malloc(AUD_LINE_MAX + 2);
	if (rc || !f || !buf) {
		rc = rc ? rc : -ENOMEM;
		_err(err, errlen, "cannot read %s: %s", path, strerror(-rc));
		free(buf);
		if (f)
			fclose(f);
		else
			close(fd);
		return rc;
	}
	uint64_t no = 0;
	size_t n = 0;
	for (int ch; !rc && (ch = getc_unlocked(f)) != EOF;) {
		if (ch != '\n' && n <= AUD_LINE_MAX) {
			buf[n++] = (char)ch;
			continue;
		}
		/* A newline, or one byte past the longest line (fn rejects
		 * that, which ends the walk). */
		rc = fn(buf, n, true, ++no, arg);
		n = 0;
	}
	if (!rc && n)
		rc = fn(buf, n, false, ++no, arg);
	if (!rc && ferror(f)) {
		rc = -EIO;
		_err(err, errlen, "cannot read %s", path);
	}
	free(buf);
	fclose(f);
	return rc;
}

struct _verify {
	struct aud_report *rep;
	char prev[65];
	struct aud_entry e;
};

static int _bad(struct _verify *v, uint64_t no, const char *why)
{
	v->rep->bad_line = no;
	snprintf(v->rep->why, sizeof(v->rep->why), "%s", why);
	return -EBADMSG;
}

static int _verify_line(char *line, size_t len, bool has_nl, uint64_t no,
    void *arg)
{
	struct _verify *v = arg;
	struct aud_report *rep = v->rep;
	char why[160], hash[65];
	size_t off;
	rep->lines = no;
	if (len > AUD_LINE_MAX)
		return _bad(v, no, "bad shape: line longer than 4096 bytes");
	if (!has_nl)
		return _bad(v, no, "truncated last line (no newline)");
	if (_parse(line, len, &v->e, &off, why, sizeof(why)))
		return _bad(v, no, why);
	if (v->e.seq != no) {
		snprintf(why, sizeof(why),
		    "seq gap: expected %" PRIu64 ", found %" PRIu64
		    " (a line was removed, added or moved)",
		    no, v->e.seq);
		return _bad(v, no, why);
	}
	aud_sha256_hex(line, off, hash);
	if (strcmp(hash, v->e.hash))
		return _bad(v, no,
		    "hash mismatch: the line was changed after it was written");
	if (strcmp(v->prev, v->e.prev)) {
		snprintf(why, sizeof(why),
		    "prev mismatch: line %" PRIu64
		    " is not the line this one was chained to (it was changed or replaced)",
		    no - 1);
		return _bad(v, no, why);
	}
	aud_sha256_hex(line, len, v->prev);
	rep->good = no;
	rep->last_seq = v->e.seq;
	memcpy(rep->last_hash, v->e.hash, sizeof(rep->last_hash));
	return 0;
}

int aud_verify(const char *path, struct aud_report *rep, char *err,
    size_t errlen)
{
	memset(rep, 0, sizeof(*rep));
	struct _verify *v = malloc(sizeof(*v));
	if (!v) {
		_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	v->rep = rep;
	memcpy(v->prev, _ZERO_HASH, sizeof(v->prev));
	int rc = _walk(path, _verify_line, v, err, errlen);
	free(v);
	if (rc == -EBADMSG)
		_err(err, errlen, "%s: line %" PRIu64 ": %s", path,
		    rep->bad_line, rep->why);
	return rc;
}

struct _read {
	int (*fn)(const struct aud_entry *e, void *arg);
	void *arg;
	char *err;
	size_t errlen;
	const char *path;
	struct aud_entry e;
};

static int _read_line(char *line, size_t len, bool has_nl, uint64_t no,
    void *arg)
{
	struct _read *r = arg;
	char why[160];
	size_t off;
	if (len > AUD_LINE_MAX)
		snprintf(why, sizeof(why), "line longer than %d bytes",
		    AUD_LINE_MAX);
	else if (!has_nl)
		snprintf(why, sizeof(why), "truncated last line (no newline)");
	else if (!_parse(line, len, &r->e, &off, why, sizeof(why)))
		return r->fn(&r->e, r->arg);
	_err(r->err, r->errlen, "%s: line %" PRIu64 ": %s", r->path, no, why);
	return -EBADMSG;
}

int aud_read(const char *path, int (*fn)(const struct aud_entry *e, void *arg),
    void *arg, char *err, size_t errlen)
{
	struct _read *r = malloc(sizeof(*r));
	if (!r) {
		_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*r = (struct _read){ fn, arg, err, errlen, path, { 0 } };
	int rc = _walk(path, _read_line, r, err, errlen);
	free(r);
	return rc;
}

uint64_t aud_subject_of(uint64_t user_key)
{
	static const char label[] = "penchant audit subject";
	unsigned char in[sizeof(label) - 1 + 8], out[crypto_hash_sha256_BYTES];
	if (user_key == AUD_NO_SUBJECT)
		return AUD_NO_SUBJECT;
	memcpy(in, label, sizeof(label) - 1);
	for (unsigned i = 0; i < 8; i++)
		in[sizeof(label) - 1 + i] =
		    (unsigned char)(user_key >> (8 * i));
	crypto_hash_sha256(out, in, sizeof(in));
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v = v << 8 | out[i];
	return v ? v : 1;
}
