/*
 * logread: an event log (JSON lines or mapped CSV, plain or gzip) into
 * validated ring records, its users and its reject counts (logread.h).
 *
 * The records are built by evt_build(), the function every producer of
 * the daemon uses, so a log read here is accepted or rejected exactly as
 * the same events sent live would be (with the caller's limits).
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/clock.h"
#include "ipc/json.h"
#include "tools/logread.h"

const char *const lr_event_fields[LR_F_COUNT] = { "user_id", "entity_id",
	"event_type", "timestamp", "session_id", "entity_type", "device",
	"platform", "weather", "social", "rec_type", "position", "dwell_ms",
	"scroll_depth", "feedback", "query", "tz_offset", "lat", "lon",
	"rating" };

static FILE *_out(FILE *msg)
{
	return msg ? msg : stderr;
}

static int _grow(char **p, size_t *cap, size_t need)
{
	if (*cap >= need)
		return 0;
	size_t c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	char *q = realloc(*p, c);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* The blanks (spaces, tabs) around a cell's text off. */
static void _trim_str(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t'))
		(*p)++, (*n)--;
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

int lr_number(const char *p, size_t len, double *out)
{
	char buf[64];
	_trim_str(&p, &len);
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, p, len);
	buf[len] = 0;
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	if (*end || errno || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* --- column mapping --------------------------------------------------- */

void lr_map_init(struct lr_map *m, const char *const *fields, unsigned n)
{
	assert(n <= LR_MAP_MAX);
	memset(m, 0, sizeof(*m));
	m->fields = fields;
	m->n = n;
}

int lr_map_set(struct lr_map *m, unsigned k, const char *col)
{
	char *copy = strdup(col);
	if (!copy)
		return -ENOMEM;
	free(m->own[k]);
	m->own[k] = copy;
	m->col[k] = copy;
	m->explicit_[k] = true;
	return 0;
}

int lr_map_parse(struct lr_map *m, const char *spec, const char *prog,
    const char *flag, FILE *msg)
{
	FILE *out = _out(msg);
	/* Nothing, or an empty entry ("a=b,,c=d"), is a slip: strtok would
	 * pass it by. */
	size_t sl = strlen(spec);
	if (!sl || spec[0] == ',' || spec[sl - 1] == ',' ||
	    strstr(spec, ",,")) {
		fprintf(out,
		    "%s: %s: '%s' has an empty entry (FIELD=COLUMN,...)\n",
		    prog, flag, spec);
		return -EINVAL;
	}
	char *text = strdup(spec);
	if (!text)
		return -ENOMEM;
	int rc = 0;
	bool given[LR_MAP_MAX] = { false };
	for (char *save = NULL, *kv = strtok_r(text, ",", &save); kv && !rc;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq || eq == kv || !eq[1]) {
			fprintf(out, "%s: %s: '%s' is not FIELD=COLUMN\n", prog,
			    flag, kv);
			rc = -EINVAL;
			break;
		}
		*eq = 0;
		unsigned k = 0;
		while (k < m->n && strcmp(m->fields[k], kv))
			k++;
		if (k == m->n) {
			fprintf(out,
			    "%s: %s: unknown field '%s'; fields:", prog, flag,
			    kv);
			for (unsigned j = 0; j < m->n; j++)
				fprintf(out, " %s", m->fields[j]);
			fputc('\n', out);
			rc = -EINVAL;
			break;
		}
		if (given[k]) {
			fprintf(out, "%s: %s: field '%s' mapped twice\n", prog,
			    flag, kv);
			rc = -EINVAL;
			break;
		}
		given[k] = true;
		rc = lr_map_set(m, k, eq + 1);
	}
	free(text);
	return rc;
}

void lr_map_free(struct lr_map *m)
{
	for (unsigned k = 0; k < LR_MAP_MAX; k++)
		free(m->own[k]);
	lr_map_init(m, m->fields, m->n);
}

/* --- gzip-transparent input ------------------------------------------- */

/*
 * The input behind the stdio stream: a file descriptor, inflated when the
 * file starts with the gzip magic. zlib's gzread is not used because it
 * skips bytes after the last gzip member silently; here the members must
 * follow each other to the end of the file, and anything else is an
 * error that names the byte offset.
 */
struct _src {
	int fd;
	bool gz, eof, done, member_end;
	z_stream z;
	bool z_ok;
	unsigned char in[1u << 16];
	uint64_t in_off; /* file offset of in[0] */
	size_t in_len;
	char *path;
	const char *prog;
	FILE *msg;
	char err[256];	      /* first error, reported at close */
	enum lr_encoding enc; /* not UTF-8: bytes -> UTF-8 (_src_read) */
	unsigned char pend_n; /* a converted character's last bytes held */
	char pend[2];	      /* (the caller's buffer had room for the first) */
};

/* Refills s->in after its unread bytes; false at end of file or error. */
static bool _src_fill(struct _src *s)
{
	size_t keep = s->gz ? s->z.avail_in : 0;
	size_t used = s->in_len - keep;

	memmove(s->in, s->in + used, keep);
	s->in_off += used;
	s->in_len = keep;
	for (;;) {
		ssize_t n =
		    read(s->fd, s->in + s->in_len, sizeof(s->in) - s->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(s->err, sizeof(s->err), "read error: %s",
			    strerror(errno));
			return false;
		}
		if (n == 0)
			s->eof = true;
		s->in_len += (size_t)n;
		if (s->gz) {
			s->z.next_in = s->in;
			s->z.avail_in = (uInt)s->in_len;
		}
		return n > 0;
	}
}

static uint64_t _src_pos(const struct _src *s)
{
	return s->in_off + (s->in_len - s->z.avail_in);
}

/* After a member: another one must start here, or the file must end. */
static int _src_next_member(struct _src *s)
{
	while (s->z.avail_in < 2 && !s->eof && _src_fill(s))
		;
	if (s->err[0])
		return -1;
	if (s->z.avail_in == 0) {
		s->done = true;
		return 0;
	}
	if (s->z.avail_in < 2 || s->z.next_in[0] != 0x1f ||
	    s->z.next_in[1] != 0x8b) {
		snprintf(s->err, sizeof(s->err),
		    "trailing garbage: the bytes from byte %llu on (after the gzip data) are not a gzip member",
		    (unsigned long long)_src_pos(s));
		return -1;
	}
	s->member_end = false;
	return inflateReset(&s->z) == Z_OK ? 0 : -1;
}

static ssize_t _src_bytes(struct _src *s, char *buf, size_t n)
{
	if (s->err[0])
		return -1;
	if (!s->gz) {
		ssize_t k;

		if (s->in_len) { /* the sniffed first bytes */
			k = (ssize_t)(n < s->in_len ? n : s->in_len);
			memcpy(buf, s->in, (size_t)k);
			memmove(s->in, s->in + k, s->in_len - (size_t)k);
			s->in_len -= (size_t)k;
			return k;
		}
		while ((k = read(s->fd, buf, n)) < 0 && errno == EINTR)
			;
		if (k < 0)
			snprintf(s->err, sizeof(s->err), "read error: %s",
			    strerror(errno));
		return k < 0 ? -1 : k;
	}
	s->z.next_out = (Bytef *)buf;
	s->z.avail_out = (uInt)(n > UINT_MAX ? UINT_MAX : n);
	while (
	    s->z.avail_out == (uInt)(n > UINT_MAX ? UINT_MAX : n) && !s->done) {
		int zr;

		if (s->member_end) {
			if (_src_next_member(s))
				return -1;
			continue;
		}
		if (s->z.avail_in == 0 && !s->eof && !_src_fill(s) && s->err[0])
			return -1;
		if (s->z.avail_in == 0 && s->eof) {
			snprintf(s->err, sizeof(s->err),
			    "gzip data truncated at byte %llu",
			    (unsigned long long)_src_pos(s));
			return -1;
		}
		zr = inflate(&s->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			s->member_end = true;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			snprintf(s->err, sizeof(s->err),
			    "corrupt gzip data near byte %llu (%s)",
			    (unsigned long long)_src_pos(s),
			    s->z.msg ? s->z.msg : "inflate failed");
			return -1;
		}
	}
	return (ssize_t)((n > UINT_MAX ? UINT_MAX : n) - s->z.avail_out);
}

/*
 * Windows-1252's characters at 0x80..0x9F, where ISO 8859-1 has C1
 * controls. The five bytes the code page leaves undefined keep their
 * ISO 8859-1 meaning, as the WHATWG encoding standard maps them.
 */
/* clang-format off */
static const uint16_t _cp1252_c1[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};
/* clang-format on */

/* The UTF-8 form of byte ch in encoding enc into u (1..3 bytes). */
static size_t _to_utf8(enum lr_encoding enc, unsigned char ch, char u[3])
{
	unsigned cp = ch;
	if (enc == LR_ENC_CP1252 && ch >= 0x80 && ch < 0xA0)
		cp = _cp1252_c1[ch - 0x80];
	if (cp < 0x80) {
		u[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	u[0] = (char)(0xE0 | (cp >> 12));
	u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
	u[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

/*
 * The stream's read: the file's bytes, or each byte as its UTF-8 form
 * (Latin-1: U+0000..U+00FF, one byte below 0x80, else two; Windows-1252:
 * up to three). As many bytes are read as could fill the room at the
 * widest, rounded up, so at most the last bytes of the last character
 * are left over; they are held for the next call.
 */
static ssize_t _src_read(void *cookie, char *buf, size_t n)
{
	struct _src *s = cookie;
	if (s->enc == LR_ENC_UTF8)
		return _src_bytes(s, buf, n);
	size_t out = 0;
	for (unsigned i = 0; i < s->pend_n && out < n; i++)
		buf[out++] = s->pend[i];
	if (out < s->pend_n) { /* a one-byte buffer: keep the rest */
		s->pend[0] = s->pend[1];
		s->pend_n -= (unsigned char)out;
		return (ssize_t)out;
	}
	s->pend_n = 0;
	unsigned char raw[4096];
	size_t wide = s->enc == LR_ENC_CP1252 ? 3 : 2;
	size_t want = (n - out + wide - 1) / wide;
	if (want > sizeof(raw))
		want = sizeof(raw);
	ssize_t k = want ? _src_bytes(s, (char *)raw, want) : 0;
	if (k < 0)
		return out ? (ssize_t)out : -1; /* the error comes next call */
	for (ssize_t i = 0; i < k; i++) {
		if (raw[i] < 0x80) {
			buf[out++] = (char)raw[i];
			continue;
		}
		char u[3];
		size_t m = _to_utf8(s->enc, raw[i], u);
		for (size_t j = 0; j < m; j++) {
			if (out < n)
				buf[out++] = u[j];
			else
				s->pend[s->pend_n++] = u[j];
		}
	}
	return (ssize_t)out;
}

/* Says the first error (if any) and frees; -1 when there was one. */
static int _src_close(void *cookie)
{
	struct _src *s = cookie;
	int rc = s->err[0] ? -1 : 0;

	if (s->err[0])
		fprintf(_out(s->msg), "%s: %s: %s\n", s->prog, s->path, s->err);
	if (s->z_ok)
		inflateEnd(&s->z);
	close(s->fd);
	free(s->path);
	free(s);
	return rc;
}

/* Reads the first bytes of the file to decide gzip or plain. */
static int _src_sniff(struct _src *s)
{
	while (s->in_len < 2 && !s->eof) {
		ssize_t k = read(s->fd, s->in + s->in_len, 2 - s->in_len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		s->eof = k == 0;
		s->in_len += (size_t)k;
	}
	s->gz = s->in_len == 2 && s->in[0] == 0x1f && s->in[1] == 0x8b;
	s->eof = false; /* a plain file may go on after a short read */
	if (!s->gz)
		return 0;
	if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	s->z_ok = true;
	s->z.next_in = s->in;
	s->z.avail_in = (uInt)s->in_len;
	return 0;
}

/*
 * One stdio stream over plain and gzip files alike, so the readers below
 * keep using stdio.
 */
int lr_encoding_parse(const char *name, enum lr_encoding *out)
{
	if (!strcasecmp(name, "utf-8") || !strcasecmp(name, "utf8")) {
		*out = LR_ENC_UTF8;
		return 0;
	}
	if (!strcasecmp(name, "latin-1") || !strcasecmp(name, "latin1") ||
	    !strcasecmp(name, "iso-8859-1")) {
		*out = LR_ENC_LATIN1;
		return 0;
	}
	if (!strcasecmp(name, "windows-1252") || !strcasecmp(name, "cp1252")) {
		*out = LR_ENC_CP1252;
		return 0;
	}
	return -EINVAL;
}

int lr_open(FILE **f, const char *path, const char *prog, FILE *msg)
{
	return lr_open_enc(f, path, LR_ENC_UTF8, prog, msg);
}

int lr_open_enc(FILE **f, const char *path, enum lr_encoding enc,
    const char *prog, FILE *msg)
{
	*f = NULL;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC)
				   : dup(STDIN_FILENO);
	if (fd < 0) {
		int e = errno;
		fprintf(_out(msg), "%s: cannot open %s: %s\n", prog, path,
		    strerror(e));
		return -e;
	}
	struct _src *s = calloc(1, sizeof(*s));
	int rc = s && (s->path = strdup(path)) ? 0 : -ENOMEM;
	if (rc == 0) {
		s->fd = fd;
		s->prog = prog;
		s->msg = msg;
		s->enc = enc;
		rc = _src_sniff(s);
	}
	if (rc == 0) {
		cookie_io_functions_t io = { .read = _src_read,
			.close = _src_close };
		*f = fopencookie(s, "r", io);
		if (*f)
			return 0;
		rc = errno ? -errno : -ENOMEM;
	}
	fprintf(_out(msg), "%s: cannot read %s: %s\n", prog, path,
	    strerror(-rc));
	if (s) {
		if (s->z_ok)
			inflateEnd(&s->z);
		free(s->path);
		free(s);
	}
	close(fd);
	return rc;
}

int lr_close(FILE *f, const char *path, const char *prog, FILE *msg)
{
	bool bad = ferror(f);
	/* the stream's source says what went wrong when it knows */
	if (fclose(f))
		return -EIO;
	if (bad)
		fprintf(_out(msg),
		    "%s: %s: read error (truncated or corrupt gzip data?)\n",
		    prog, path);
	return bad ? -EIO : 0;
}

/*
 * Line endings, decided by the first line break of a file: LF (optionally
 * after CR) ends a line, or, when that break is a CR alone (classic Mac
 * files), CR, LF and CRLF all do. In LF files a CR inside a line stays
 * content, as before. A UTF-8 byte order mark at the start of the file is
 * dropped. Returns the line's length without its ending, -1 at EOF.
 */
static ssize_t _getline(char **buf, size_t *cap, FILE *f, struct lr_eol *st)
{
	ssize_t n;

	if (st->mode == LR_EOL_LF) {
		n = getline(buf, cap, f);
		if (n > 0 && (*buf)[n - 1] == '\n')
			n--;
	} else {
		size_t len = 0;
		int ch = EOF;

		while ((ch = getc_unlocked(f)) != EOF) {
			if (ch == '\r') {
				int nx = getc_unlocked(f);
				if (nx != '\n' && nx != EOF)
					ungetc(nx, f);
				if (st->mode == LR_EOL_UNKNOWN)
					st->mode =
					    nx == '\n' ? LR_EOL_LF : LR_EOL_CR;
				break;
			}
			if (ch == '\n') {
				if (st->mode == LR_EOL_UNKNOWN)
					st->mode = LR_EOL_LF;
				break;
			}
			if (_grow(buf, cap, len + 2))
				return -2;
			(*buf)[len++] = (char)ch;
		}
		if (ch == EOF && len == 0)
			return -1;
		if (_grow(buf, cap, len + 1))
			return -2;
		(*buf)[len] = 0;
		n = (ssize_t)len;
	}
	if (n >= 0 && !st->started) {
		st->started = true;
		if (n >= 3 && !memcmp(*buf, "\xEF\xBB\xBF", 3)) {
			memmove(*buf, *buf + 3, (size_t)n - 2);
			n -= 3;
		}
	}
	return n;
}

/* --- CSV (RFC 4180) --------------------------------------------------- */

/*
 * Splits c->rec into fields. Returns 0, 1 when the record ends inside a
 * quoted field (more lines needed), or -EINVAL with err set.
 */
static int _csv_split(struct lr_csv *c, char *err, size_t errlen)
{
	const char *s = c->rec, *e = c->rec + c->rlen;
	char *o = c->buf;
	c->n = 0;
	for (;;) {
		if (c->n >= LR_CSV_COLS) {
			snprintf(err, errlen, "more than %d columns",
			    LR_CSV_COLS);
			return -EINVAL;
		}
		c->fld[c->n] = o;
		if (c->quoting && s < e && *s == '"') {
			for (s++;; s++) {
				if (s >= e)
					return 1;
				if (*s == '"') {
					if (s + 1 < e && s[1] == '"') {
						*o++ = *s++;
						continue;
					}
					s++;
					break;
				}
				*o++ = *s;
			}
			if (s < e && *s != c->sep) {
				snprintf(err, errlen,
				    "column %u: text after the closing quote",
				    c->n + 1);
				return -EINVAL;
			}
		} else {
			for (; s < e && *s != c->sep; s++) {
				if (*s == '"' && c->quoting) {
					snprintf(err, errlen,
					    "column %u: quote inside an unquoted field (quote the field, double the quote)",
					    c->n + 1);
					return -EINVAL;
				}
				*o++ = *s;
			}
		}
		c->flen[c->n] = (size_t)(o - c->fld[c->n]);
		*o++ = 0;
		c->n++;
		if (s >= e)
			return 0;
		s++; /* the separator */
	}
}

/* Appends the next physical line to the record. 0, 1 at EOF, -ENOMEM. */
static int _csv_line(struct lr_csv *c)
{
	ssize_t n = _getline(&c->line, &c->lcap, c->f, &c->eol);
	if (n == -2)
		return -ENOMEM;
	if (n < 0)
		return 1;
	c->lineno++;
	while (n > 0 && (c->line[n - 1] == '\n' || c->line[n - 1] == '\r'))
		n--;
	size_t sep = c->rlen ? 1 : 0;
	if (_grow(&c->rec, &c->rcap, c->rlen + sep + (size_t)n + 1))
		return -ENOMEM;
	if (sep)
		c->rec[c->rlen++] = '\n';
	memcpy(c->rec + c->rlen, c->line, (size_t)n);
	c->rlen += (size_t)n;
	c->rec[c->rlen] = 0;
	return 0;
}

/* How a message names a separator: "tab", "space" or "';'". */
static const char *_sep_name(char sep, char buf[8])
{
	if (sep == '\t' || sep == ' ')
		return sep == ' ' ? "space" : "tab";
	snprintf(buf, 8, "'%c'", sep);
	return buf;
}

/* A separator other than c->sep that the text holds, the likeliest first
 * (tab-separated dumps are the common case), or 0. */
static char _other_sep(const struct lr_csv *c, const char *s, size_t len)
{
	static const char cand[] = { '\t', ';', '|', ',' };
	for (size_t i = 0; i < sizeof(cand); i++)
		if (cand[i] != c->sep && memchr(s, cand[i], len))
			return cand[i];
	return 0;
}

/* The hint for a row or header of one field where more were expected: the
 * separator is the likely mistake, not the data. */
static void _sep_hint(const struct lr_csv *c, const char *s, size_t len,
    char *out, size_t outlen)
{
	char a[8], b[8];
	char other = _other_sep(c, s, len);
	const char *sn = _sep_name(c->sep, a), *on = _sep_name(other, b);
	if (other)
		snprintf(out, outlen, " (no %s in it, but a %s: try --sep %s)",
		    sn, on, on);
	else
		snprintf(out, outlen,
		    " (no %s in it: another separator? see --sep)", sn);
}

/* "3 fields, the header has 4" (or "--columns names 4"), with a hint on
 * the separator when the row is one field. */
static void _csv_count_err(const struct lr_csv *c, char *err, size_t errlen)
{
	char hint[160] = "";
	if (c->n == 1 && c->ncols > 1)
		_sep_hint(c, c->rec, c->rlen, hint, sizeof(hint));
	snprintf(err, errlen, "%u field%s, %s %u%s", c->n, c->n == 1 ? "" : "s",
	    c->named ? "--columns names" : "the header has", c->ncols, hint);
}

int lr_csv_next(struct lr_csv *c, char *err, size_t errlen)
{
	for (;;) {
		c->rlen = 0;
		int rc = _csv_line(c);
		if (rc)
			return rc > 0 ? 0 : rc;
		c->recline = c->lineno;
		if (c->rlen == 0)
			continue;
		for (;;) {
			/* Unescaping never grows a field; one NUL each. */
			if (_grow(&c->buf, &c->bcap, c->rlen + LR_CSV_COLS + 1))
				return -ENOMEM;
			rc = _csv_split(c, err, errlen);
			if (rc <= 0)
				break;
			if (c->rlen > LR_CSV_MAX_RECORD ||
			    (rc = _csv_line(c))) {
				if (rc < 0)
					return rc;
				/* RFC 4180 lets a quoted field span lines,
				 * so the lines after the quote were taken
				 * into it: say which, they are lost. */
				char span[96] = "";
				if (c->lineno > c->recline)
					snprintf(span, sizeof(span),
					    " (lines %zu..%zu read into it, none of them learned)",
					    c->recline, c->lineno);
				snprintf(err, errlen,
				    "column %u: quoted field not closed%s",
				    c->n + 1, span);
				return -EINVAL;
			}
		}
		if (rc == 0 && c->ncols && c->n != c->ncols) {
			_csv_count_err(c, err, errlen);
			return -EINVAL;
		}
		/* A quote error in a row without the separator: the quote
		 * is text in a file split by another byte. */
		if (rc < 0 && c->ncols > 1 &&
		    !memchr(c->rec, c->sep, c->rlen) &&
		    _other_sep(c, c->rec, c->rlen)) {
			size_t el = strlen(err);
			_sep_hint(c, c->rec, c->rlen, err + el, errlen - el);
		}
		return rc == 0 ? 1 : rc;
	}
}

static int _csv_find(const struct lr_csv *c, const char *name)
{
	for (unsigned i = 0; i < c->ncols; i++)
		if (!strcmp(c->hname[i], name))
			return (int)i;
	return -1;
}

/* A column the map reads, named twice: which one is meant cannot be
 * guessed (a join's output with user_id on both sides). */
static int _csv_twice(const struct lr_csv *c, int i, const char *field)
{
	for (unsigned j = (unsigned)i + 1; j < c->ncols; j++) {
		if (strcmp(c->hname[j], c->hname[i]))
			continue;
		if (c->named)
			fprintf(c->msg,
			    "%s: column '%s' (for %s) named twice in --columns (%d and %u)\n",
			    c->name, c->hname[i], field, i + 1, j + 1);
		else
			fprintf(c->msg,
			    "%s:%zu: column '%s' (for %s) named twice in the header (columns %d and %u); rename one or name the columns with --columns\n",
			    c->name, c->recline, c->hname[i], field, i + 1,
			    j + 1);
		return -EINVAL;
	}
	return 0;
}

/* Resolves c->map against the header names c->hname[0..ncols). */
static int _csv_resolve(struct lr_csv *c)
{
	const struct lr_map *m = c->map;
	for (unsigned k = 0; k < m->n; k++) {
		const char *want = m->col[k] ? m->col[k] : m->fields[k];
		c->idx[k] = _csv_find(c, want);
		if (c->idx[k] >= 0 && _csv_twice(c, c->idx[k], m->fields[k]))
			return -EINVAL;
		if (c->idx[k] < 0 && m->explicit_[k]) {
			char hint[160] = "";
			if (c->named) {
				fprintf(c->msg,
				    "%s: no column '%s' (for %s) in --columns\n",
				    c->name, want, m->fields[k]);
				return -EINVAL;
			}
			if (c->ncols == 1)
				_sep_hint(c, c->hname[0], strlen(c->hname[0]),
				    hint, sizeof(hint));
			fprintf(c->msg,
			    "%s:%zu: no column '%s' (for %s) in the header%s\n",
			    c->name, c->recline, want, m->fields[k], hint);
			return -EINVAL;
		}
	}
	return 0;
}

static void _csv_start(struct lr_csv *c, FILE *f, const char *name,
    const struct lr_map *m, FILE *msg)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->name = name;
	c->msg = _out(msg);
	c->map = m;
	c->sep = ',';
	c->quoting = true;
}

/* Tab-separated files (IANA text/tab-separated-values) have no quoting:
 * a quote is text there (a track named 'Song "Live"'). */
static void _csv_sep(struct lr_csv *c, char sep)
{
	c->sep = sep ? sep : ',';
	c->quoting = c->sep != '\t';
}

/* The header row as the column names. */
static int _csv_header(struct lr_csv *c)
{
	char err[256];
	int rc = lr_csv_next(c, err, sizeof(err));
	if (rc == -ENOMEM)
		return rc;
	if (rc <= 0) {
		fprintf(c->msg, "%s:%zu: %s\n", c->name,
		    c->lineno ? c->lineno : 1,
		    rc == 0 ? "empty: a header row is required" : err);
		return -EINVAL;
	}
	size_t len = 0;
	for (unsigned i = 0; i < c->n; i++)
		len += c->flen[i] + 1;
	if (!(c->head = malloc(len + 1)))
		return -ENOMEM;
	char *o = c->head;
	for (unsigned i = 0; i < c->n; i++) {
		c->hname[i] = o;
		o = stpcpy(o, c->fld[i]) + 1;
	}
	c->ncols = c->n;
	return _csv_resolve(c);
}

int lr_csv_open(struct lr_csv *c, FILE *f, const char *name,
    const struct lr_map *m, FILE *msg)
{
	_csv_start(c, f, name, m, msg);
	return _csv_header(c);
}

int lr_csv_open_named(struct lr_csv *c, FILE *f, const char *name,
    const struct lr_map *m, const char *columns, char sep, FILE *msg)
{
	_csv_start(c, f, name, m, msg);
	_csv_sep(c, sep);
	if (!columns)
		return _csv_header(c);
	c->named = true;
	if (!(c->head = strdup(columns)))
		return -ENOMEM;
	const char *why = NULL;
	for (char *p = c->head, *q; !why; p = q + 1) {
		q = strchrnul(p, ',');
		bool last = !*q;
		*q = 0;
		if (!*p)
			why = "an empty column name";
		else if (c->ncols == LR_CSV_COLS)
			why = "more than 256 columns";
		else
			c->hname[c->ncols++] = p;
		if (last)
			break;
	}
	if (why) {
		fprintf(c->msg, "%s: --columns: %s in '%s'\n", c->name, why,
		    columns);
		return -EINVAL;
	}
	return _csv_resolve(c);
}

void lr_csv_free(struct lr_csv *c)
{
	free(c->line);
	free(c->rec);
	free(c->buf);
	free(c->head);
	c->line = c->rec = c->buf = c->head = NULL;
}

int lr_csv_column(const struct lr_csv *c, unsigned k)
{
	return k < c->map->n ? c->idx[k] : -1;
}

const char *lr_csv_column_name(const struct lr_csv *c, int i)
{
	return i >= 0 && (unsigned)i < c->ncols ? c->hname[i] : "?";
}

struct evt_str lr_csv_cell(const struct lr_csv *c, unsigned k)
{
	int i = lr_csv_column(c, k);
	if (i < 0 || (unsigned)i >= c->n || c->flen[i] == 0)
		return (struct evt_str){ NULL, 0 };
	return (struct evt_str){ c->fld[i], c->flen[i] };
}

/* --- users and records ------------------------------------------------ */

static int _users_grow(struct lr_users *u)
{
	uint32_t cap = u->cap ? u->cap * 2 : 1024;
	uint32_t *s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < u->n; i++) {
		uint32_t h = (uint32_t)u->v[i].key & (cap - 1);
		while (s[h])
			h = (h + 1) & (cap - 1);
		s[h] = (uint32_t)i + 1;
	}
	free(u->slots);
	u->slots = s;
	u->cap = cap;
	return 0;
}

/* Remembers the id text of a user key (first appearance order). */
static int _users_add(struct lr_users *u, uint64_t key, const char *id,
    size_t len)
{
	if ((u->n + 1) * 2 > u->cap && _users_grow(u))
		return -ENOMEM;
	uint32_t h = (uint32_t)key & (u->cap - 1);
	for (; u->slots[h]; h = (h + 1) & (u->cap - 1))
		if (u->v[u->slots[h] - 1].key == key)
			return 0;
	if (u->n == u->vcap) {
		size_t c = u->vcap ? u->vcap * 2 : 1024;
		struct lr_user *v = realloc(u->v, c * sizeof(*v));
		if (!v)
			return -ENOMEM;
		u->v = v;
		u->vcap = c;
	}
	if (_grow(&u->arena, &u->acap, u->alen + len + 1))
		return -ENOMEM;
	memcpy(u->arena + u->alen, id, len);
	u->arena[u->alen + len] = 0;
	u->v[u->n] = (struct lr_user){ key, (uint32_t)u->alen, (uint32_t)len };
	u->alen += len + 1;
	u->slots[h] = (uint32_t)++u->n;
	return 0;
}

static int _ev_push(struct lr_events *ev, const struct evt_record *rec)
{
	if ((ev->n >> LR_CHUNK_BITS) == ev->nchunks) {
		if (ev->nchunks == ev->cap) {
			size_t c = ev->cap ? ev->cap * 2 : 16;
			struct evt_record **v =
			    realloc(ev->chunk, c * sizeof(*v));
			if (!v)
				return -ENOMEM;
			ev->chunk = v;
			ev->cap = c;
		}
		ev->chunk[ev->nchunks] =
		    malloc(sizeof(struct evt_record) << LR_CHUNK_BITS);
		if (!ev->chunk[ev->nchunks])
			return -ENOMEM;
		ev->nchunks++;
	}
	ev->chunk[ev->n >> LR_CHUNK_BITS][ev->n & ((1u << LR_CHUNK_BITS) - 1)] =
	    *rec;
	ev->n++;
	return 0;
}

void lr_log_free(struct lr_log *log)
{
	for (size_t i = 0; i < log->ev.nchunks; i++)
		free(log->ev.chunk[i]);
	free(log->ev.chunk);
	free(log->users.slots);
	free(log->users.v);
	free(log->users.arena);
	memset(log, 0, sizeof(*log));
}

/* --- reading the log -------------------------------------------------- */

void lr_options_init(struct lr_options *o)
{
	memset(o, 0, sizeof(*o));
	o->prog = "penchant";
	lr_map_init(&o->map, lr_event_fields, LR_F_COUNT);
	o->unit = LR_UNIT_AUTO;
	o->sep = ',';
	o->rating_pos = 4;
	o->rating_neg = 2.5;
	o->max_events = LR_DEFAULT_MAX_EVENTS;
	o->max_shown = LR_SHOWN_REJECTS;
	o->lim = evt_limits_default();
}

void lr_options_free(struct lr_options *o)
{
	lr_map_free(&o->map);
	for (unsigned i = 0; i < LR_TYPE_MAP_MAX; i++) {
		free(o->type_map_own[i]);
		o->type_map_own[i] = NULL;
	}
	o->ntype_map = 0;
}

int lr_type_map_add(struct lr_options *o, const char *spec, const char *flag,
    FILE *msg)
{
	msg = _out(msg);
	for (const char *p = spec;;) {
		const char *end = strchrnul(p, ','),
			   *eq = memchr(p, '=', end - p);
		const char *f = p, *t = eq ? eq + 1 : NULL;
		size_t fl = eq ? (size_t)(eq - p) : 0,
		       tl = eq ? (size_t)(end - t) : 0;
		_trim_str(&f, &fl);
		_trim_str(&t, &tl);
		const char *why = !eq ? "is not FROM=TO"
		    : !fl	      ? "has no FROM"
		    : !tl	      ? "has no TO"
				      : NULL;
		if (why) {
			fprintf(msg, "%s: %s: '%.*s' %s\n", o->prog, flag,
			    (int)(end - p), p, why);
			return -EINVAL;
		}
		unsigned i = 0;
		while (i < o->ntype_map &&
		    (strlen(o->type_from[i]) != fl ||
			strncasecmp(o->type_from[i], f, fl)))
			i++;
		if (i == LR_TYPE_MAP_MAX) {
			fprintf(msg, "%s: %s: more than %d verb renames\n",
			    o->prog, flag, LR_TYPE_MAP_MAX);
			return -EINVAL;
		}
		char *own = malloc(fl + tl + 2);
		if (!own)
			return -ENOMEM;
		memcpy(own, f, fl);
		own[fl] = 0;
		memcpy(own + fl + 1, t, tl);
		own[fl + 1 + tl] = 0;
		free(o->type_map_own[i]);
		o->type_map_own[i] = own;
		o->type_from[i] = own;
		o->type_to[i] = own + fl + 1;
		if (i == o->ntype_map)
			o->ntype_map++;
		if (!*end)
			return 0;
		p = end + 1;
	}
}

/* The %f of a format (not a literal %%f), or NULL. */
static const char *_fraction_of(const char *fmt)
{
	for (const char *p = fmt; (p = strchr(p, '%')); p += 2) {
		if (!p[1])
			return NULL;
		if (p[1] == 'f')
			return p;
	}
	return NULL;
}

/*
 * A time without its fraction ("12:00:01" for "%H:%M:%S.%f"): logs drop
 * ".000". Reads text by fmt without the %f at f and the '.' or ',' before
 * it. 0, or -EINVAL.
 */
static int _no_fraction(const char *fmt, const char *f, const char *text,
    int64_t *ms)
{
	char alt[128];
	size_t hl = (size_t)(f - fmt);
	if (hl && (fmt[hl - 1] == '.' || fmt[hl - 1] == ','))
		hl--;
	if (hl + strlen(f + 2) >= sizeof(alt))
		return -EINVAL;
	memcpy(alt, fmt, hl);
	strcpy(alt + hl, f + 2);
	return lr_parse_time(alt, text, strlen(text), ms);
}

static int _parse_time(const char *fmt, const char *s, size_t len, int64_t *ms);

int lr_parse_time(const char *fmt, const char *s, size_t len, int64_t *ms)
{
	int rc = _parse_time(fmt, s, len, ms);
	const char *f = rc ? _fraction_of(fmt) : NULL;
	if (!f || len >= 128)
		return rc;
	char text[128];
	memcpy(text, s, len);
	text[len] = 0;
	return _no_fraction(fmt, f, text, ms);
}

static int _parse_time(const char *fmt, const char *s, size_t len, int64_t *ms)
{
	char buf[128];
	_trim_str(&s, &len);
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	struct tm tm = { .tm_mday = 1, .tm_year = 70 };
	int frac = 0; /* ms of %f */
	char fmt2[128];
	const char *f = _fraction_of(fmt);
	if (f) {
		/*
		 * strptime has no fraction. Where its digits start is where
		 * the format before %f stops matching; they are read here and
		 * cut out of the text, %f out of the format, and the rest
		 * goes to one strptime call (%p reads only with the %I of
		 * the same call).
		 */
		size_t hl = (size_t)(f - fmt);
		if (hl >= sizeof(fmt2) || strlen(fmt) >= sizeof(fmt2))
			return -EINVAL;
		memcpy(fmt2, fmt, hl);
		fmt2[hl] = 0;
		struct tm scratch = tm;
		const char *at = hl ? strptime(buf, fmt2, &scratch) : buf;
		if (!at || !isdigit((unsigned char)*at))
			return -EINVAL;
		size_t from = (size_t)(at - buf), nd = 0;
		for (; isdigit((unsigned char)buf[from + nd]); nd++)
			if (nd < 3)
				frac = frac * 10 + (buf[from + nd] - '0');
		for (size_t k = nd; k < 3; k++)
			frac *= 10;
		memmove(buf + from, buf + from + nd, len + 1 - from - nd);
		strcpy(fmt2 + hl, f + 2);
		fmt = fmt2;
	}
	const char *end = strptime(buf, fmt, &tm);
	if (!end || *end)
		return -EINVAL;
	/* timegm() ignores tm_gmtoff, which %z sets (0 without it: UTC). */
	long off = tm.tm_gmtoff;
	tm.tm_isdst = 0;
	errno = 0;
	time_t t = timegm(&tm);
	if (t == (time_t)-1 && errno)
		return -EINVAL;
	int64_t sec = (int64_t)t - off;
	if (sec < -9000000000000LL || sec > 9000000000000LL)
		return -EINVAL;
	*ms = sec * 1000 + frac;
	return 0;
}

/* One file being read into a log. */
struct _rd {
	struct lr_log *log;
	const struct lr_options *o;
	const char *file;
	FILE *msg;
	uint64_t *rejects; /* rejected lines of this file */
};

static void _progress(const struct _rd *r)
{
	if (r->o->progress && (r->log->lines & (LR_PROGRESS_LINES - 1)) == 0)
		r->o->progress(r->o->progress_arg, r->log->lines, r->log->ev.n,
		    r->log->rejected_lines);
}

static void _reject(const struct _rd *r, size_t line, enum evt_reason why,
    const char *msg)
{
	r->log->rejected_lines++;
	if ((unsigned)why < EVT_REASON_COUNT)
		r->log->rejected[why]++;
	if (!r->o->max_shown || ++*r->rejects <= r->o->max_shown)
		fprintf(r->msg, "%s:%zu: %s\n", r->file, line, msg);
}

/* After a file: how many rejected lines were not printed. */
static void _shown(const struct _rd *r)
{
	if (r->o->max_shown && *r->rejects > r->o->max_shown)
		fprintf(r->msg,
		    "%s: %llu more rejected lines not shown (the first %llu are; counts are exact)\n",
		    r->file,
		    (unsigned long long)(*r->rejects - r->o->max_shown),
		    r->o->max_shown);
}

/* What _adapt found wrong with a time. */
enum _time_why { _T_OK = 0, _T_FORMAT, _T_NO_ZONE };

static bool _digits_at(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "+hh:mm" of an offset in minutes. */
static void _zone_of(int min, char out[8])
{
	int a = min < 0 ? -min : min;
	snprintf(out, 8, "%c%02d:%02d", min < 0 ? '-' : '+', a / 60 % 100,
	    a % 60);
}

/*
 * An ISO 8601 time as RFC 3339 wants it, in buf: "+hhmm" and "+hh"
 * offsets (and one blank before the offset) become "+hh:mm", and a time
 * with no offset at all takes the one the user gave (--tz-offset). Other
 * text is left as it is, for evt_build() to accept or refuse. _T_NO_ZONE
 * when the time has no offset and none was given.
 */
static enum _time_why _iso_fix(const struct lr_options *o, struct evt_str *t,
    char *buf, size_t cap)
{
	const char *s = t->p;
	size_t n = t->len, p = 19;
	_trim_str(&s, &n);
	if (n < 19 || !_digits_at(s, 4) || s[4] != '-' || s[7] != '-' ||
	    !strchr("Tt ", s[10]) || s[13] != ':' || s[16] != ':')
		return _T_OK;
	if (p < n && (s[p] == '.' || s[p] == ','))
		for (p++; p < n && isdigit((unsigned char)s[p]); p++)
			;
	const char *z = s + p;
	size_t zl = n - p;
	char zone[8];
	if (zl && *z == ' ')
		z++, zl--;
	if (zl == 0 && !o->assume_tz)
		return _T_NO_ZONE;
	if (zl == 0)
		_zone_of(o->tz_min, zone);
	else if ((zl == 5 || zl == 3) && (*z == '+' || *z == '-') &&
	    _digits_at(z + 1, zl - 1))
		snprintf(zone, sizeof(zone), "%c%.2s:%.2s", *z, z + 1,
		    zl == 5 ? z + 3 : "00");
	else if (zl == 3 && !strncasecmp(z, "UTC", 3))
		strcpy(zone, "Z");
	else if (z == s + p)
		return _T_OK; /* as RFC 3339 has it, or not a time */
	else
		snprintf(zone, sizeof(zone), "%.*s", (int)(zl < 7 ? zl : 6), z);
	if (p + strlen(zone) >= cap)
		return _T_OK;
	memcpy(buf, s, p);
	strcpy(buf + p, zone);
	*t = (struct evt_str){ buf, p + strlen(zone) };
	return _T_OK;
}

/* The log's own verbs and time conventions, applied to what either
 * format decoded (tbuf holds a rewritten time): _T_OK, or why the time
 * cannot be read. */
static enum _time_why _adapt(const struct lr_options *o, struct evt_input *in,
    char *tbuf, size_t tcap)
{
	struct evt_str t = in->event_type;
	_trim_str(&t.p, &t.len);
	for (unsigned i = 0; t.len && i < o->ntype_map; i++)
		if (strlen(o->type_from[i]) == t.len &&
		    !strncasecmp(o->type_from[i], t.p, t.len)) {
			in->event_type = (struct evt_str){ o->type_to[i],
				strlen(o->type_to[i]) };
			break;
		}
	if (in->has_time_ms || !in->timestamp_str.len)
		return _T_OK;
	if (!o->time_format)
		return _iso_fix(o, &in->timestamp_str, tbuf, tcap);
	if (lr_parse_time(o->time_format, in->timestamp_str.p,
		in->timestamp_str.len, &in->time_ms))
		return _T_FORMAT;
	/* a format without %z reads a time with no zone: the one given */
	if (o->assume_tz && !strstr(o->time_format, "%z"))
		in->time_ms -= (int64_t)o->tz_min * 60000;
	in->has_time_ms = true;
	in->timestamp_str = (struct evt_str){ NULL, 0 };
	return _T_OK;
}

/* A cell as a message shows it: at most 40 bytes, control bytes and
 * quotes escaped, "..." when cut. */
static void _show(struct evt_str v, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < v.len && o + 8 < cap; i++) {
		unsigned char ch = (unsigned char)v.p[i];
		if (i == 40) {
			o += (size_t)snprintf(out + o, cap - o, "...");
			break;
		}
		o += (size_t)snprintf(out + o, cap - o,
		    ch < 0x20 || ch == 0x7f || ch == '\'' || ch == '\\'
			? "\\x%02x"
			: "%c",
		    ch);
	}
	out[o] = 0;
}

/* "bad_time: timestamp 'VALUE' WHY": the value, and what to say about
 * it. */
static void _bad_time(const struct _rd *r, size_t line, struct evt_str v,
    enum _time_why why)
{
	char val[200], msg[600], rfc[200] = "is not RFC 3339";
	const char *w = NULL;
	_show(v, val, sizeof(val));
	if (why == _T_OK && clk_parse_rfc3339(v.p, v.len, NULL, NULL, &w) && w)
		snprintf(rfc, sizeof(rfc), "is not RFC 3339 (%s)", w);
	const char *how = why == _T_NO_ZONE
	    ? "has no UTC offset: say how to read such times (--tz-offset MINUTES, or --assume-utc)"
	    : r->o->csv
	    ? "(name the log's format: --time-format '%Y-%m-%d %H:%M:%S', or --time-unit s|ms for numbers)"
	    : "(name the log's format: --time-format '%Y-%m-%d %H:%M:%S')";
	if (why == _T_FORMAT)
		snprintf(msg, sizeof(msg), "%s: timestamp '%s' (not %s)",
		    evt_reason_name(EVT_R_BAD_TIME), val, r->o->time_format);
	else if (why == _T_NO_ZONE)
		snprintf(msg, sizeof(msg), "%s: timestamp '%s' %s",
		    evt_reason_name(EVT_R_BAD_TIME), val, how);
	else
		snprintf(msg, sizeof(msg), "%s: timestamp '%s' %s %s",
		    evt_reason_name(EVT_R_BAD_TIME), val, rfc, how);
	_reject(r, line, EVT_R_BAD_TIME, msg);
}

/*
 * What is wrong with the id of a bad_id, for the line's message: the
 * reason and field alone ("bad_id: user_id") do not say that a Latin-1
 * log read as UTF-8 is the cause, which --encoding cures (the catalog's
 * columns say "not UTF-8 text" already). "" for other reasons.
 */
static const char *_bad_id_why(const struct lr_options *o,
    const struct evt_input *in, enum evt_reason why, const char *field)
{
	if (why != EVT_R_BAD_ID || !field)
		return "";
	struct evt_str s = !strcmp(field, "user_id") ? in->user_id
	    : !strcmp(field, "entity_id")	     ? in->entity_id
						     : in->session_id;
	bool high = false, ctl = false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		high |= c >= 0x80;
		ctl |= c < 0x20 || c == 0x7f;
	}
	if (high && !ctl && o->encoding == LR_ENC_UTF8)
		return ": not UTF-8 text (or holds a control byte); a Latin-1 or Windows-1252 log needs --encoding";
	return ": not UTF-8 text (or holds a control byte)";
}

static int _take(const struct _rd *r, const struct evt_input *in0, size_t line)
{
	struct lr_log *log = r->log;
	struct evt_record rec;
	const char *field = NULL;
	/* a copy only for a log with conventions of its own, or a text
	 * time (an ISO 8601 one may need rewriting) */
	struct evt_input adapted;
	const struct evt_input *in = in0;
	char tbuf[128];
	if (r->o->ntype_map || r->o->time_format ||
	    (!in0->has_time_ms && in0->timestamp_str.len)) {
		adapted = *in0;
		in = &adapted;
		enum _time_why tw = _adapt(r->o, &adapted, tbuf, sizeof(tbuf));
		if (tw) {
			_bad_time(r, line, in0->timestamp_str, tw);
			return 0;
		}
	}
	enum evt_reason why = evt_build(in, &r->o->lim, &rec, &field);
	if (why == EVT_R_BAD_TIME && in0->timestamp_str.len) {
		_bad_time(r, line, in0->timestamp_str, _T_OK);
		return 0;
	}
	if (why != EVT_OK) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s%s%s%s", evt_reason_name(why),
		    field ? ": " : "", field ? field : "",
		    _bad_id_why(r->o, in, why, field));
		_reject(r, line, why, msg);
		return 0;
	}
	if (log->ev.n >= r->o->max_events)
		return -E2BIG;
	if (_users_add(&log->users, rec.user_key, in->user_id.p,
		in->user_id.len) ||
	    _ev_push(&log->ev, &rec))
		return -ENOMEM;
	if (log->ev.n == 1 || rec.time_ms > log->t_last)
		log->t_last = rec.time_ms;
	return 0;
}

static int _read_json(const struct _rd *r, FILE *f)
{
	struct json_tok toks[LR_JSON_TOKS];
	char *line = NULL, *scratch = NULL, err[512];
	size_t cap = 0, scap = 0, lineno = 0;
	struct lr_eol eol = { 0 };
	ssize_t n;
	int rc = 0;
	while (rc == 0 && (n = _getline(&line, &cap, f, &eol)) >= 0) {
		lineno++;
		r->log->lines++;
		_progress(r);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		size_t k = 0;
		while (k < (size_t)n && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k == (size_t)n)
			continue;
		if ((rc = _grow(&scratch, &scap, (size_t)n + 1)))
			break;
		struct json_work w;
		struct evt_input in;
		json_work_init(&w, toks, LR_JSON_TOKS, scratch, scap);
		enum evt_reason why = json_event_input(line, (size_t)n, &w, &in,
		    err, sizeof(err));
		if (why != EVT_OK) {
			char msg[600];
			snprintf(msg, sizeof(msg), "%s: %s",
			    evt_reason_name(why), err);
			_reject(r, lineno, why, msg);
			continue;
		}
		rc = _take(r, &in, lineno);
	}
	free(line);
	free(scratch);
	return rc ? rc : n == -2 ? -ENOMEM : 0;
}

/* Numeric time of a CSV cell in ms by unit. false: not a number. */
static bool _csv_time(enum lr_unit u, struct evt_str s, int64_t *ms)
{
	double v;
	if (lr_number(s.p, s.len, &v))
		return false;
	bool as_ms = u == LR_UNIT_MS ||
	    (u == LR_UNIT_AUTO && fabs(v) >= 1e11 && v == floor(v));
	double m = as_ms ? v : v * 1000;
	if (!(fabs(m) < 9e18))
		m = copysign(9e18, m); /* evt_build: TIME_RANGE */
	*ms = (int64_t)llround(m);
	return true;
}

/* Rating rule: sets type (and sign) from the rating cell. */
static int _csv_rating(const struct lr_options *o, struct evt_str r,
    struct evt_input *in)
{
	double v;
	if (lr_number(r.p, r.len, &v))
		return -EINVAL;
	if (v >= o->rating_pos) {
		in->event_type = (struct evt_str){ "feedback", 8 };
		in->feedback_type = (struct evt_str){ "positive", 8 };
	} else if (v <= o->rating_neg) {
		in->event_type = (struct evt_str){ "feedback", 8 };
		in->feedback_type = (struct evt_str){ "negative", 8 };
	} else {
		in->event_type = (struct evt_str){ "view", 4 };
	}
	return 0;
}

/* The numeric fields: where a number goes in struct evt_input. */
struct _numf {
	enum lr_field f;
	size_t has_off, val_off;
};
#define _NF(F, HAS, VAL)                                                       \
	{                                                                      \
		F, offsetof(struct evt_input, HAS),                            \
		    offsetof(struct evt_input, VAL)                            \
	}
static const struct _numf _numfs[] = {
	_NF(LR_F_POSITION, has_position, position),
	_NF(LR_F_DWELL, has_dwell, dwell_ms),
	_NF(LR_F_SCROLL, has_scroll, scroll_depth),
	_NF(LR_F_TZ, has_tz, tz_offset_min),
	_NF(LR_F_LAT, has_lat, lat),
	_NF(LR_F_LON, has_lon, lon),
};

/* Numeric cells; a bad one names its field. */
static const char *_csv_numbers(const struct lr_csv *c, struct evt_input *in)
{
	for (size_t i = 0; i < sizeof(_numfs) / sizeof(_numfs[0]); i++) {
		struct evt_str s = lr_csv_cell(c, _numfs[i].f);
		if (!s.len)
			continue;
		double v;
		if (lr_number(s.p, s.len, &v))
			return lr_event_fields[_numfs[i].f];
		*(bool *)((char *)in + _numfs[i].has_off) = true;
		*(double *)((char *)in + _numfs[i].val_off) = v;
	}
	struct evt_str fb = lr_csv_cell(c, LR_F_FEEDBACK);
	double v;
	if (fb.len && lr_number(fb.p, fb.len, &v) == 0) {
		in->has_feedback_num = true;
		in->feedback_num = v;
	} else {
		in->feedback_type = fb;
	}
	return NULL;
}

/* One CSV row to an evt_input; NULL, or the field that is not a number. */
static const char *_csv_input(const struct lr_options *o,
    const struct lr_csv *c, struct evt_input *in)
{
	memset(in, 0, sizeof(*in));
	in->user_id = lr_csv_cell(c, LR_F_USER);
	in->entity_id = lr_csv_cell(c, LR_F_ENTITY);
	in->event_type = lr_csv_cell(c, LR_F_TYPE);
	if (!in->event_type.len && o->type)
		in->event_type = (struct evt_str){ o->type, strlen(o->type) };
	in->session_id = lr_csv_cell(c, LR_F_SESSION);
	in->entity_type = lr_csv_cell(c, LR_F_ENTITY_TYPE);
	in->device = lr_csv_cell(c, LR_F_DEVICE);
	in->platform = lr_csv_cell(c, LR_F_PLATFORM);
	in->weather = lr_csv_cell(c, LR_F_WEATHER);
	in->social = lr_csv_cell(c, LR_F_SOCIAL);
	in->rec_type = lr_csv_cell(c, LR_F_REC_TYPE);
	in->query = lr_csv_cell(c, LR_F_QUERY);
	const char *bad = _csv_numbers(c, in);
	if (bad)
		return bad;
	struct evt_str t = lr_csv_cell(c, LR_F_TIME);
	/* With a format, every cell is text for it ("20240102" is a date
	 * by %Y%m%d, not seconds). */
	if (!o->time_format && _csv_time(o->unit, t, &in->time_ms))
		in->has_time_ms = true;
	else
		in->timestamp_str = t;
	struct evt_str r = lr_csv_cell(c, LR_F_RATING);
	if (r.len && _csv_rating(o, r, in))
		return lr_event_fields[LR_F_RATING];
	return NULL;
}

/*
 * A field every row needs, with no column to come from, would refuse every
 * row one by one (a header "userId,..." read with the default names): say
 * so once, at the header, with the columns there are and the flag that
 * maps one. The event type may come from --type or a rating column.
 */
static int _csv_required(const struct _rd *r, const struct lr_csv *c)
{
	static const enum lr_field need[] = { LR_F_USER, LR_F_TIME, LR_F_TYPE };
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		enum lr_field f = need[i];
		if (c->idx[f] >= 0 ||
		    (f == LR_F_TYPE &&
			(r->o->type || c->idx[LR_F_RATING] >= 0)))
			continue;
		char cols[200] = "";
		size_t len = 0;
		for (unsigned k = 0; k < c->ncols && len < sizeof(cols); k++)
			len += (size_t)snprintf(cols + len, sizeof(cols) - len,
			    "%s%s", k ? ", " : "", c->hname[k]);
		if (len >= sizeof(cols))
			memcpy(cols + sizeof(cols) - 4, "...", 4);
		char at[32] = "";
		if (!c->named)
			snprintf(at, sizeof(at), ":%zu", c->recline);
		fprintf(r->msg,
		    "%s%s: no column for %s in %s (%s): every row would be refused; name it with --map %s=COLUMN%s\n",
		    r->file, at, lr_event_fields[f],
		    c->named ? "--columns" : "the header", cols,
		    lr_event_fields[f],
		    f == LR_F_TYPE ? ", or give --type TYPE or --rating COLUMN"
				   : "");
		return -EINVAL;
	}
	return 0;
}

static int _read_csv(const struct _rd *r, FILE *f)
{
	struct lr_csv c;
	uint64_t base = r->log->lines;
	char err[300];
	int rc = lr_csv_open_named(&c, f, r->file, &r->o->map, r->o->columns,
	    r->o->sep, r->msg);
	if (rc == 0)
		rc = _csv_required(r, &c);
	while (rc == 0) {
		int k = lr_csv_next(&c, err, sizeof(err));
		r->log->lines = base + c.lineno;
		_progress(r);
		if (k == 0 || k == -ENOMEM) {
			rc = k;
			break;
		}
		if (k < 0) {
			_reject(r, c.recline, EVT_R_MALFORMED, err);
			continue;
		}
		struct evt_input in;
		const char *bad = _csv_input(r->o, &c, &in);
		if (bad) {
			snprintf(err, sizeof(err), "%s: %s",
			    evt_reason_name(EVT_R_BAD_NUMBER), bad);
			_reject(r, c.recline, EVT_R_BAD_NUMBER, err);
			continue;
		}
		rc = _take(r, &in, c.recline);
	}
	lr_csv_free(&c);
	return rc;
}

/* The stream's events into the log; -ENOMEM is left to the caller to say,
 * after the input is closed (its read error, if any, comes first). */
static int _read(struct lr_log *log, FILE *f, const char *name,
    const struct lr_options *o)
{
	uint64_t rejects = 0;
	struct _rd r = { log, o, name, _out(o->msg), &rejects };
	int rc = o->csv ? _read_csv(&r, f) : _read_json(&r, f);
	_shown(&r);
	return rc;
}

static void _oom(const struct lr_log *log, const struct lr_options *o)
{
	fprintf(_out(o->msg), "%s: out of memory after %zu events\n", o->prog,
	    log->ev.n);
}

int lr_read_stream(struct lr_log *log, FILE *f, const char *name,
    const struct lr_options *o)
{
	int rc = _read(log, f, name, o);
	if (rc == -ENOMEM)
		_oom(log, o);
	return rc;
}

int lr_read(struct lr_log *log, const char *path, const struct lr_options *o)
{
	FILE *f;
	int rc = lr_open_enc(&f, path, o->encoding, o->prog, o->msg);
	if (rc)
		return rc;
	rc = _read(log, f, path, o);
	int closed = lr_close(f, path, o->prog, o->msg);
	if (rc == -ENOMEM)
		_oom(log, o);
	return rc ? rc : closed;
}
