/*
 * json: strict one-document JSON parser into a caller's token array, plus the
 * event and catalog mappings (contract in json.h).
 *
 * The parser is recursive descent; recursion depth is bounded by
 * max_depth, which is checked before descending, so hostile nesting costs
 * one error, not the stack. Tokens are written in preorder, so a container's
 * children follow it and tok.end skips a whole subtree in O(1). json_parse
 * runs the same grammar as one loop (_doc) when max_depth is below its
 * stack, and calls the recursive functions for everything but the common
 * cases, so both give the same tokens and errors.
 */
#include "ipc/json.h"

#include "ipc/evfield.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "engine/clock.h"

#define _MAX_NUMBER_TEXT 128

struct _p {
	const char *s;
	size_t len, pos;
	const struct json_work *w;
	size_t ntok, used; /* tokens written, scratch bytes used */
	char *err;
	size_t errlen;
};

/* --- errors --- */

static void _vmsg(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
}

static void _msg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void _msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	_vmsg(err, errlen, fmt, ap);
	va_end(ap);
}

/* "byte N: <what>"; returns rc. */
static int _fail(struct _p *p, size_t off, int rc, const char *what)
{
	_msg(p->err, p->errlen, "byte %zu: %s", off, what);
	return rc;
}

/* "byte N: expected <what>, got <the byte at N>"; returns -EINVAL. */
static int _expected(struct _p *p, const char *what)
{
	if (p->pos >= p->len) {
		_msg(p->err, p->errlen,
		    "byte %zu: expected %s, got end of input", p->pos, what);
	} else {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c >= 0x20 && c < 0x7f)
			_msg(p->err, p->errlen,
			    "byte %zu: expected %s, got '%c'", p->pos, what, c);
		else
			_msg(p->err, p->errlen,
			    "byte %zu: expected %s, got byte 0x%02x", p->pos,
			    what, c);
	}
	return -EINVAL;
}

/* --- lexical helpers --- */

static void _ws(struct _p *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		p->pos++;
	}
}

static bool _peek(const struct _p *p, char c)
{
	return p->pos < p->len && p->s[p->pos] == c;
}

static bool _isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static int _hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Length of the valid UTF-8 sequence at s[0..n) (n >= 1), or 0 when it is
 * invalid (overlong, surrogate, above U+10FFFF, truncated).
 */
static size_t _utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need;

	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < need + 1 || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need + 1;
}

static size_t _utf8_put(uint32_t cp, char *o)
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
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* --- tokens --- */

static int _new_tok(struct _p *p, enum json_kind k, size_t *idx)
{
	if (p->ntok >= p->w->max_toks)
		return _fail(p, p->pos, -E2BIG,
		    "too many values for the token array");
	/* One store of the whole token: a byte store (kind) could alias the
	 * parser's state to the compiler, which then reloads it. */
	p->w->toks[p->ntok] =
	    (struct json_tok){ .kind = (uint8_t)k, .offset = (uint32_t)p->pos };
	*idx = p->ntok++;
	return 0;
}

static void _close_tok(struct _p *p, size_t idx)
{
	struct json_tok *t = &p->w->toks[idx];

	t->end = (uint32_t)p->ntok;
	t->raw_len = (uint32_t)(p->pos - t->offset);
}

/* --- strings --- */

/* Output of a string being unescaped into scratch (o == NULL: borrowing). */
struct _sbuf {
	char *o;
	size_t n;
};

static int _put(struct _p *p, struct _sbuf *b, const char *src, size_t n)
{
	if (p->w->scratch_cap - p->used - b->n < n)
		return _fail(p, p->pos, -E2BIG, "scratch buffer full");
	memcpy(b->o + b->n, src, n);
	b->n += n;
	return 0;
}

/* Four hex digits after "\u" at p->pos; advances past them. */
static int _hex4(struct _p *p, uint32_t *v)
{
	uint32_t x = 0;

	for (int i = 0; i < 4; i++) {
		int h = p->pos < p->len ? _hex(p->s[p->pos]) : -1;

		if (h < 0)
			return _expected(p, "four hex digits after \\u");
		x = x << 4 | (uint32_t)h;
		p->pos++;
	}
	*v = x;
	return 0;
}

/* \uXXXX (p->pos just past the 'u'), joining a surrogate pair. */
static int _unicode(struct _p *p, struct _sbuf *b, size_t esc_at)
{
	uint32_t cp, lo;
	char u[4];
	int rc;

	if ((rc = _hex4(p, &cp)) < 0)
		return rc;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return _fail(p, esc_at, -EINVAL,
		    "lone low surrogate \\u escape (expected a high surrogate first)");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
		    p->s[p->pos + 1] != 'u')
			return _fail(p, esc_at, -EINVAL,
			    "high surrogate \\u escape not followed by a \\u low surrogate");
		p->pos += 2;
		if ((rc = _hex4(p, &lo)) < 0)
			return rc;
		if (lo < 0xdc00 || lo > 0xdfff)
			return _fail(p, p->pos - 6, -EINVAL,
			    "expected a low surrogate \\uDC00-\\uDFFF after a high surrogate");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return _put(p, b, u, _utf8_put(cp, u));
}

/* One escape; p->pos at the backslash. */
static int _escape(struct _p *p, struct _sbuf *b)
{
	size_t at = p->pos;
	char c;

	p->pos++;
	if (p->pos >= p->len)
		return _expected(p, "an escape character after '\\'");
	switch (p->s[p->pos++]) {
	case '"': c = '"'; break;
	case '\\': c = '\\'; break;
	case '/': c = '/'; break;
	case 'b': c = '\b'; break;
	case 'f': c = '\f'; break;
	case 'n': c = '\n'; break;
	case 'r': c = '\r'; break;
	case 't': c = '\t'; break;
	case 'u': return _unicode(p, b, at);
	default:
		p->pos--;
		return _expected(p, "one of \" \\ / b f n r t u after '\\'");
	}
	return _put(p, b, &c, 1);
}

/* One raw (unescaped) character of a string body; p->pos at it. */
static int _raw_char(struct _p *p, struct _sbuf *b)
{
	unsigned char c = (unsigned char)p->s[p->pos];
	size_t n = 1;

	if (c < 0x20) {
		char m[80];

		snprintf(m, sizeof(m),
		    "control character 0x%02x in a string (must be escaped)",
		    c);
		return _fail(p, p->pos, -EINVAL, m);
	}
	if (c >= 0x80) {
		n = _utf8_len((const unsigned char *)p->s + p->pos,
		    p->len - p->pos);
		if (n == 0)
			return _fail(p, p->pos, -EINVAL,
			    "invalid UTF-8 in a string");
	}
	int rc = b->o ? _put(p, b, p->s + p->pos, n) : 0;

	p->pos += n;
	return rc;
}

/* A byte that stands for itself in a string: printable ASCII but the
 * quote and the backslash. */
static inline bool _plain_ascii(char ch)
{
	unsigned char c = (unsigned char)ch;
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/*
 * The end of the run of plain bytes from q: with SSE2, sixteen at a time
 * while sixteen remain (as signed bytes, 0x80 and above are below 0x20
 * too; the mask's lowest bit is the first byte); then eight at a time
 * while eight remain (a word's bytes are flagged where they are below
 * 0x20, 0x80 and above, a quote or a backslash; the lowest flag is exact,
 * little-endian order puts the first byte lowest), then byte by byte.
 */
#define _ONES 0x0101010101010101ULL
#define _HIGHS 0x8080808080808080ULL
static inline __attribute__((always_inline)) size_t _plain_run(const char *s,
    size_t q, size_t len)
{
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(0x20), vquote = _mm_set1_epi8('"'),
		      vbslash = _mm_set1_epi8('\\');

	while (len - q >= 16) {
		__m128i x =
		    _mm_loadu_si128((const __m128i *)(const void *)(s + q));
		unsigned flags = (unsigned)_mm_movemask_epi8(
		    _mm_or_si128(_mm_cmplt_epi8(x, sp),
			_mm_or_si128(_mm_cmpeq_epi8(x, vquote),
			    _mm_cmpeq_epi8(x, vbslash))));

		if (flags)
			return q + (size_t)__builtin_ctz(flags);
		q += 16;
	}
#endif
	while (len - q >= 8) {
		uint64_t x;

		memcpy(&x, s + q, 8);
		uint64_t quote = x ^ (0x22 * _ONES),
			 bslash = x ^ (0x5c * _ONES);
		uint64_t flags =
		    ((x - 0x20 * _ONES) | x | ((quote - _ONES) & ~quote) |
			((bslash - _ONES) & ~bslash)) &
		    _HIGHS;

		if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ && flags)
			break; /* the byte loop finds it */
		if (flags)
			return q + (size_t)__builtin_ctzll(flags) / 8;
		q += 8;
	}
	while (q < len && _plain_ascii(s[q]))
		q++;
	return q;
}

/* A string at p->pos (the opening quote) into token idx. */
static int _string_body(struct _p *p, size_t idx)
{
	size_t open = p->pos, start = ++p->pos;
	struct _sbuf b = { NULL, 0 };
	int rc;

	for (;;) {
		/* Before any escape, runs of printable ASCII need no work
		 * but finding their end (most strings are all of one). */
		if (!b.o) {
			p->pos = _plain_run(p->s, p->pos, p->len);
			if (p->pos - start > p->w->max_string_len)
				return _fail(p, open, -E2BIG,
				    "string too long");
		}
		if (p->pos >= p->len)
			return _fail(p, open, -EINVAL,
			    "unterminated string (expected a closing '\"')");
		char c = p->s[p->pos];

		if (c == '"')
			break;
		if (c == '\\' && !b.o) {
			/* First escape: move what we have into scratch. */
			if (!p->w->scratch)
				return _fail(p, p->pos, -E2BIG,
				    "escaped string but no scratch buffer");
			b.o = p->w->scratch + p->used;
			if ((rc = _put(p, &b, p->s + start, p->pos - start)) <
			    0)
				return rc;
		}
		rc = c == '\\' ? _escape(p, &b) : _raw_char(p, &b);
		if (rc < 0)
			return rc;
		if ((b.o ? b.n : p->pos - start) > p->w->max_string_len)
			return _fail(p, open, -E2BIG, "string too long");
	}
	struct json_tok *t = &p->w->toks[idx];

	t->str = b.o ? b.o : p->s + start;
	t->len = b.o ? b.n : p->pos - start;
	p->used += b.n;
	p->pos++;
	return 0;
}

static int _string(struct _p *p)
{
	size_t idx;
	int rc = _new_tok(p, JSON_STRING, &idx);

	if (rc < 0)
		return rc;
	/* Most strings (keys, ids) are printable ASCII up to their closing
	 * quote: borrowed as they are. Anything else, and every error, is
	 * _string_body's. */
	size_t start = p->pos + 1, end = _plain_run(p->s, start, p->len);

	if (end < p->len && p->s[end] == '"' &&
	    end - start <= p->w->max_string_len) {
		struct json_tok *t = &p->w->toks[idx];

		t->str = p->s + start;
		t->len = end - start;
		p->pos = end + 1;
	} else if ((rc = _string_body(p, idx)) < 0) {
		return rc;
	}
	_close_tok(p, idx);
	return 0;
}

/* --- numbers and literals --- */

/*
 * What the lexer gathers of a number on its way, so that most numbers
 * need no second pass over their text: the significant digits as an
 * integer m (meaningful while there are at most 19 of them), the decimal
 * exponent of m's last digit, and the written exponent (capped).
 */
struct _num {
	uint64_t m;
	int digits; /* significant digits (leading zeros are not) */
	int e;	    /* m x 10^e is the number before its exponent */
	int x;	    /* the written exponent's magnitude, at most 100000 */
	bool neg, xneg, integral;
};

/*
 * The digits from pos on into m and digits (struct _num's); the position
 * after them. Zeros before the first other digit are not significant;
 * past 19 digits m means nothing (strtod takes over) and digits stays at
 * 20, so a long text cannot overflow them. Inlined, m and digits live in
 * registers.
 */
static inline __attribute__((always_inline)) size_t _digit_run(const char *s,
    size_t pos, size_t len, uint64_t *m, int *digits)
{
	uint64_t mm = *m;
	int dg = *digits;

	while (pos < len && _isdigit(s[pos])) {
		unsigned d = (unsigned)(s[pos++] - '0');

		if (dg < 19) {
			if (mm != 0 || d != 0) {
				mm = mm * 10 + d;
				dg++;
			}
		} else {
			dg = 20;
		}
	}
	*m = mm;
	*digits = dg;
	return pos;
}

/* A run of digits (at least one) into nm; frac: after the point. The
 * loop works on locals: nm and p may alias to the compiler, which would
 * store and reload each of them every digit. */
static int _digits(struct _p *p, const char *what, struct _num *nm, bool frac)
{
	const char *s = p->s;
	size_t pos = p->pos, len = p->len, first = pos;

	if (pos >= len || !_isdigit(s[pos]))
		return _expected(p, what);
	pos = _digit_run(s, pos, len, &nm->m, &nm->digits);
	/* Every place after the point counts, down to -100000. */
	if (frac)
		nm->e = pos - first < (size_t)nm->e + 100000
		    ? nm->e - (int)(pos - first)
		    : -100000;
	p->pos = pos;
	return 0;
}

static int _exponent(struct _p *p, struct _num *nm)
{
	if (p->pos >= p->len || !_isdigit(p->s[p->pos]))
		return _expected(p, "a digit in the exponent");
	while (p->pos < p->len && _isdigit(p->s[p->pos])) {
		int d = p->s[p->pos++] - '0';

		nm->x = nm->x > 10000 ? 100000 : nm->x * 10 + d;
	}
	return 0;
}

/* Lexes the RFC 8259 number grammar into nm. */
static int _number_text(struct _p *p, struct _num *nm)
{
	int rc;

	memset(nm, 0, sizeof(*nm));
	nm->integral = true;
	if (_peek(p, '-')) {
		p->pos++;
		nm->neg = true;
	}
	if (_peek(p, '0')) {
		p->pos++;
		if (p->pos < p->len && _isdigit(p->s[p->pos]))
			return _fail(p, p->pos, -EINVAL,
			    "leading zeros are not allowed in numbers");
	} else if ((rc = _digits(p, "a digit", nm, false)) < 0) {
		return rc;
	}
	if (_peek(p, '.')) {
		p->pos++;
		nm->integral = false;
		if ((rc = _digits(p, "a digit after '.'", nm, true)) < 0)
			return rc;
	}
	if (_peek(p, 'e') || _peek(p, 'E')) {
		p->pos++;
		nm->integral = false;
		if (_peek(p, '+') || _peek(p, '-'))
			nm->xneg = p->s[p->pos++] == '-';
		if ((rc = _exponent(p, nm)) < 0)
			return rc;
	}
	return 0;
}

/* Exact int64 of an integral number text; false on overflow. */
static bool _to_int64(const char *s, size_t n, int64_t *v)
{
	bool neg = s[0] == '-';
	uint64_t x = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;

	for (size_t i = neg; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (x > (lim - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = neg ? (int64_t)(0 - x) : (int64_t)x;
	return true;
}

/* Powers of ten a double holds exactly. */
static const double _exact_p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
	1e20, 1e21, 1e22 };

/*
 * The value of a lexed number without strtod when that is exact
 * (Clinger's fast path): its digits as an integer m <= 2^53 and a decimal
 * exponent e with |e| <= 22 are both exact doubles, so the one product
 * or quotient m * 10^e is correctly rounded, the same double strtod
 * gives. Most numbers a service sends (scores, coordinates) take it;
 * false means "use strtod".
 */
static bool _fast_double(const struct _num *nm, double *out)
{
	if (nm->digits > 19 || nm->x > 1000)
		return false;
	int e = nm->e + (nm->xneg ? -nm->x : nm->x);

	if (nm->m > (1ULL << 53) || e < -22 || e > 22)
		return false;
	double v = (double)nm->m;
	v = e < 0 ? v / _exact_p10[-e] : v * _exact_p10[e];
	*out = nm->neg ? -v : v;
	return true;
}

static int _number(struct _p *p)
{
	char buf[_MAX_NUMBER_TEXT + 1];
	size_t idx, start = p->pos;
	struct _num nm;
	int rc = _new_tok(p, JSON_NUMBER, &idx);

	if (rc < 0 || (rc = _number_text(p, &nm)) < 0)
		return rc;
	size_t n = p->pos - start;

	if (n > _MAX_NUMBER_TEXT)
		return _fail(p, start, -ERANGE,
		    "number too long (more than 128 characters)");
	struct json_tok *t = &p->w->toks[idx];

	if (!_fast_double(&nm, &t->num)) {
		int saved = errno; /* strtod may set ERANGE; reported below */

		memcpy(buf, p->s + start, n);
		buf[n] = '\0';
		t->num = strtod(buf, NULL);
		errno = saved;
	}
	if (!isfinite(t->num))
		return _fail(p, start, -ERANGE,
		    "number out of range (does not fit a double)");
	if (nm.integral && nm.digits <= 18) { /* m < 10^18 < 2^63 */
		t->i = nm.neg ? -(int64_t)nm.m : (int64_t)nm.m;
		t->is_int = true;
	} else {
		t->is_int = nm.integral && _to_int64(p->s + start, n, &t->i);
	}
	_close_tok(p, idx);
	return 0;
}

static int _literal(struct _p *p, const char *word, enum json_kind k)
{
	size_t idx, n = strlen(word);
	int rc = _new_tok(p, k, &idx);

	if (rc < 0)
		return rc;
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return _expected(p,
		    "a value (true, false, null, a number, a string, an array or an object)");
	p->pos += n;
	_close_tok(p, idx);
	return 0;
}

/* --- containers --- */

static int _value(struct _p *p, unsigned depth);

static int _enter(struct _p *p, enum json_kind k, unsigned depth, size_t *idx)
{
	if (depth > p->w->max_depth) {
		char m[64];

		snprintf(m, sizeof(m), "nesting deeper than %u levels",
		    p->w->max_depth);
		return _fail(p, p->pos, -ELOOP, m);
	}
	int rc = _new_tok(p, k, idx);

	if (rc == 0)
		p->pos++; /* past '{' or '[' */
	return rc;
}

static int _object(struct _p *p, unsigned depth)
{
	size_t idx;
	int rc = _enter(p, JSON_OBJECT, depth, &idx);

	if (rc < 0)
		return rc;
	_ws(p);
	if (!_peek(p, '}')) {
		for (;;) {
			_ws(p);
			if (!_peek(p, '"'))
				return _expected(p,
				    "'\"' to start an object key");
			if ((rc = _string(p)) < 0)
				return rc;
			_ws(p);
			if (!_peek(p, ':'))
				return _expected(p, "':' after an object key");
			p->pos++;
			if ((rc = _value(p, depth)) < 0)
				return rc;
			p->w->toks[idx].count++;
			_ws(p);
			if (_peek(p, '}'))
				break;
			if (!_peek(p, ','))
				return _expected(p, "',' or '}' in an object");
			p->pos++;
		}
	}
	p->pos++;
	_close_tok(p, idx);
	return 0;
}

static int _array(struct _p *p, unsigned depth)
{
	size_t idx;
	int rc = _enter(p, JSON_ARRAY, depth, &idx);

	if (rc < 0)
		return rc;
	_ws(p);
	if (!_peek(p, ']')) {
		for (;;) {
			if ((rc = _value(p, depth)) < 0)
				return rc;
			p->w->toks[idx].count++;
			_ws(p);
			if (_peek(p, ']'))
				break;
			if (!_peek(p, ','))
				return _expected(p, "',' or ']' in an array");
			p->pos++;
		}
	}
	p->pos++;
	_close_tok(p, idx);
	return 0;
}

/* A value at p->pos (after optional whitespace); depth of its parent. */
static int _value(struct _p *p, unsigned depth)
{
	_ws(p);
	if (p->pos >= p->len)
		return _expected(p, "a value");
	switch (p->s[p->pos]) {
	case '{': return _object(p, depth + 1);
	case '[': return _array(p, depth + 1);
	case '"': return _string(p);
	case 't': return _literal(p, "true", JSON_TRUE);
	case 'f': return _literal(p, "false", JSON_FALSE);
	case 'n': return _literal(p, "null", JSON_NULL);
	default:
		if (p->s[p->pos] == '-' || _isdigit(p->s[p->pos]))
			return _number(p);
		return _expected(p,
		    "a value (true, false, null, a number, a string, an array or an object)");
	}
}

/*
 * A string at *pos (its quote) that needs no work, as _string takes it:
 * printable ASCII to the closing quote, within max_string_len, a token
 * free. Its token written and *pos past it, or false (nothing done).
 */
static inline __attribute__((always_inline)) bool _borrow(const char *s,
    size_t len, const struct json_work *w, size_t *pos, size_t *ntok)
{
	size_t start = *pos + 1, end = _plain_run(s, start, len);

	if (*ntok >= w->max_toks || end >= len || s[end] != '"' ||
	    end - start > w->max_string_len)
		return false;
	w->toks[*ntok] = (struct json_tok){ .kind = JSON_STRING,
		.offset = (uint32_t)*pos,
		.raw_len = (uint32_t)(end + 1 - *pos),
		.end = (uint32_t)(*ntok + 1),
		.str = s + start,
		.len = end - start };
	(*ntok)++;
	*pos = end + 1;
	return true;
}

/*
 * The document at p->pos, as _value(p, 0) parses it, without recursion:
 * one loop with the open containers on a stack and the position in a
 * local (the compiler must assume a store to the token array may change
 * p's fields, and reloads them at every byte otherwise). Strings without
 * escapes and numbers _fast_double converts, integral ones of at most 18
 * digits, are taken inline; anything else (an escape, a byte above 0x7f,
 * an exponent, a literal, a full token array, every error) goes to the
 * recursive parser's own function at the same position and state, so the
 * tokens and the errors are the same. Needs max_depth < _STACK.
 */
#define _STACK 64
static int _doc(struct _p *p)
{
	const char *const s = p->s;
	const size_t len = p->len;
	const struct json_work *const w = p->w;
	struct json_tok *const toks = w->toks;
	uint32_t stack[_STACK];
	unsigned sp = 0;
	size_t pos = p->pos, ntok = p->ntok, idx = 0;
	int rc;

#define _SKIP_WS()                                                             \
	while (pos < len && (unsigned char)s[pos] <= ' ' &&                    \
	    (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' ||              \
		s[pos] == '\r'))                                               \
	pos++
#define _OUT() (p->pos = pos, p->ntok = ntok)
#define _IN() (pos = p->pos, ntok = p->ntok)
value:
	_SKIP_WS();
	if (pos >= len) {
		_OUT();
		return _expected(p, "a value");
	}
	switch (s[pos]) {
	case '{':
	case '[':
		if (sp + 1 <= w->max_depth && ntok < w->max_toks) {
			/* _enter's work inline (one per candidate object) */
			toks[ntok] = (struct json_tok){ .kind = s[pos] == '{'
				    ? JSON_OBJECT
				    : JSON_ARRAY,
				.offset = (uint32_t)pos };
			idx = ntok++;
			pos++;
		} else {
			_OUT();
			rc = _enter(p, s[pos] == '{' ? JSON_OBJECT : JSON_ARRAY,
			    sp + 1, &idx);
			if (rc < 0)
				return rc;
			_IN();
		}
		stack[sp++] = (uint32_t)idx;
		_SKIP_WS();
		if (toks[idx].kind == JSON_OBJECT)
			goto first_member;
		if (pos < len && s[pos] == ']')
			goto close;
		goto value;
	case '"': goto string;
	case 't':
	case 'f':
	case 'n':
		_OUT();
		rc = s[pos] == 't'  ? _literal(p, "true", JSON_TRUE)
		    : s[pos] == 'f' ? _literal(p, "false", JSON_FALSE)
				    : _literal(p, "null", JSON_NULL);
		if (rc < 0)
			return rc;
		_IN();
		goto next;
	default:
		if (s[pos] != '-' && !_isdigit(s[pos])) {
			_OUT();
			return _expected(p,
			    "a value (true, false, null, a number, a string, an array or an object)");
		}
		break;
	}
	{
		/* a number: the lexing of _number_text and _digits */
		size_t start = pos;
		uint64_t m = 0;
		int digits = 0, e = 0;
		bool neg = false, integral = true;

		if (s[pos] == '-') {
			neg = true;
			pos++;
		}
		if (ntok >= w->max_toks || pos >= len || !_isdigit(s[pos]))
			goto slow_number;
		if (s[pos] == '0') {
			pos++;
		} else {
			pos = _digit_run(s, pos, len, &m, &digits);
		}
		if (pos < len && s[pos] == '.') {
			size_t first = ++pos;

			integral = false;
			pos = _digit_run(s, pos, len, &m, &digits);
			if (pos == first || pos - first > 22)
				goto slow_number;
			e = -(int)(pos - first);
		}
		/* a leading zero before a digit, an exponent, a long text:
		 * _number's (its errors, strtod) */
		if ((pos < len &&
			(_isdigit(s[pos]) || s[pos] == 'e' || s[pos] == 'E')) ||
		    pos - start > _MAX_NUMBER_TEXT || digits > 19 ||
		    m > (1ULL << 53) || (integral && digits > 18))
			goto slow_number;
		double v = (double)m;

		v = e < 0 ? v / _exact_p10[-e] : v;
		toks[ntok] = (struct json_tok){ .kind = JSON_NUMBER,
			.is_int = integral,
			.offset = (uint32_t)start,
			.raw_len = (uint32_t)(pos - start),
			.end = (uint32_t)(ntok + 1),
			.num = neg ? -v : v,
			.i = integral ? (neg ? -(int64_t)m : (int64_t)m) : 0 };
		ntok++;
		goto next;
	slow_number:
		pos = start;
		_OUT();
		if ((rc = _number(p)) < 0)
			return rc;
		_IN();
		goto next;
	}
string:
	/* a string at pos (its quote), as _string takes it */
	if (!_borrow(s, len, w, &pos, &ntok)) {
		_OUT();
		if ((rc = _string(p)) < 0)
			return rc;
		_IN();
	}
next:
	/* a value is done: its container's next member or element */
	if (!sp) {
		_OUT();
		return 0;
	}
	idx = stack[sp - 1];
	toks[idx].count++;
	_SKIP_WS();
	if (toks[idx].kind == JSON_OBJECT) {
		if (pos < len && s[pos] == '}')
			goto close;
		if (pos >= len || s[pos] != ',') {
			_OUT();
			return _expected(p, "',' or '}' in an object");
		}
		pos++;
		goto member;
	}
	if (pos < len && s[pos] == ']')
		goto close;
	if (pos >= len || s[pos] != ',') {
		_OUT();
		return _expected(p, "',' or ']' in an array");
	}
	pos++;
	goto value;
first_member:
	if (pos < len && s[pos] == '}')
		goto close;
member:
	/* a key, ':' and its value */
	_SKIP_WS();
	if (pos >= len || s[pos] != '"') {
		_OUT();
		return _expected(p, "'\"' to start an object key");
	}
	if (!_borrow(s, len, w, &pos, &ntok)) {
		_OUT();
		if ((rc = _string(p)) < 0)
			return rc;
		_IN();
	}
	_SKIP_WS();
	if (pos >= len || s[pos] != ':') {
		_OUT();
		return _expected(p, "':' after an object key");
	}
	pos++;
	goto value;
close:
	/* pos at the container's closing bracket */
	pos++;
	idx = stack[--sp];
	toks[idx].end = (uint32_t)ntok;
	toks[idx].raw_len = (uint32_t)(pos - toks[idx].offset);
	goto next;
#undef _SKIP_WS
#undef _OUT
#undef _IN
}

void json_work_init(struct json_work *w, struct json_tok *toks, size_t max_toks,
    char *scratch, size_t scratch_cap)
{
	w->toks = toks;
	w->max_toks = max_toks;
	w->scratch = scratch;
	w->scratch_cap = scratch ? scratch_cap : 0;
	w->max_depth = JSON_DEFAULT_DEPTH;
	w->max_string_len = JSON_DEFAULT_MAX_STRING;
}

int json_parse(const char *text, size_t len, const struct json_work *w,
    size_t *n_toks, char *err, size_t errlen)
{
	struct _p p = { .s = text,
		.len = text ? len : 0,
		.w = w,
		.err = err,
		.errlen = errlen };
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (n_toks)
		*n_toks = 0;
	if (len > UINT32_MAX)
		return _fail(&p, 0, -E2BIG, "document larger than 4 GiB");
	rc = w->max_depth < _STACK ? _doc(&p) : _value(&p, 0);
	if (rc < 0)
		return rc;
	_ws(&p);
	if (p.pos != p.len)
		return _expected(&p, "end of input after the document");
	if (n_toks)
		*n_toks = p.ntok;
	return 0;
}

static bool _key_is(const struct json_tok *k, const char *name)
{
	size_t n = strlen(name);

	return k->len == n && memcmp(k->str, name, n) == 0;
}

long json_object_get(const struct json_tok *toks, size_t obj, const char *key)
{
	long found = -1;

	for (size_t i = obj + 1; i < toks[obj].end; i = toks[i + 1].end)
		if (_key_is(&toks[i], key))
			found = (long)(i + 1);
	return found;
}

const char *json_kind_name(enum json_kind k)
{
	static const char *const names[] = {
		"nothing",
		"object",
		"array",
		"string",
		"number",
		"true",
		"false",
		"null",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k]
							      : "unknown";
}

/* --- shared by both mappings --- */

/* Parses a line that must be an object; returns 0 or the json_parse error
 * (-EINVAL with a message for a non-object root: *not_map set). */
static int _parse_object(const char *line, size_t len,
    const struct json_work *w, bool *not_map, char *err, size_t errlen)
{
	int rc = json_parse(line, len, w, NULL, err, errlen);

	*not_map = false;
	if (rc < 0)
		return rc;
	if (w->toks[0].kind != JSON_OBJECT) {
		*not_map = true;
		_msg(err, errlen, "byte %u: expected an object, got %s",
		    w->toks[0].offset,
		    json_kind_name((enum json_kind)w->toks[0].kind));
		return -EINVAL;
	}
	return 0;
}

/* --- event mapping --- */

/* Stores one value; false when its kind does not fit the target. */
static bool _event_set(struct evt_input *in, enum evf_target t,
    const struct json_tok *v, const char *line)
{
	struct evt_str *s = evf_str_slot(in, t);
	bool *has;
	double *d = evf_num_slot(in, t, &has);

	if (v->kind == JSON_STRING && s) {
		*s = (struct evt_str){ v->str, v->len };
		if (t == EVF_TIME)
			in->has_time_ms = false;
		return true;
	}
	if (v->kind == JSON_NUMBER && evf_id_slot(t) >= 0 && v->is_int) {
		*s = (struct evt_str){ line + v->offset, v->raw_len };
		return true;
	}
	if (v->kind == JSON_NUMBER && t == EVF_TIME) {
		in->time_ms = evf_time_ms(v->num, v->is_int, v->i);
		in->has_time_ms = true;
		in->timestamp_str = (struct evt_str){ NULL, 0 };
		return true;
	}
	if (v->kind == JSON_NUMBER && d) {
		*d = v->num;
		*has = true;
		return true;
	}
	uint8_t *b = evf_bool_slot(in, t);
	if (b && (v->kind == JSON_TRUE || v->kind == JSON_FALSE)) {
		*b = v->kind == JSON_TRUE ? 2 : 1;
		return true;
	}
	return false;
}

/* A field given twice (ipc/evfield.h, evf_once): in->bad set. */
static bool _event_twice(struct evt_input *in, enum evf_target t,
    const struct json_tok *k, char *err, size_t errlen)
{
	in->bad = EVT_R_DUPLICATE_FIELD;
	in->bad_field = evf_canon(t);
	_msg(err, errlen,
	    "byte %u: field '%.*s' given twice (by this name or another of %s's)",
	    k->offset, (int)(k->len > 64 ? 64 : k->len), k->str, in->bad_field);
	return false;
}

static bool _event_object(struct evt_input *in, const struct json_tok *toks,
    size_t obj, const char *line, uint32_t *seen, char *err, size_t errlen)
{
	for (size_t k = obj + 1; k < toks[obj].end; k = toks[k + 1].end) {
		const struct json_tok *v = &toks[k + 1];
		int t = evf_lookup(toks[k].str, toks[k].len);

		if (t < 0 || v->kind == JSON_NULL)
			continue;
		if (!evf_once(seen, (enum evf_target)t))
			return _event_twice(in, (enum evf_target)t, &toks[k],
			    err, errlen);
		if (t == EVF_NEST && v->kind == JSON_OBJECT) {
			if (!_event_object(in, toks, k + 1, line, seen, err,
				errlen))
				return false;
			continue;
		}
		if (t != EVF_NEST &&
		    _event_set(in, (enum evf_target)t, v, line))
			continue;
		in->bad = EVT_R_BAD_FIELD_TYPE;
		in->bad_field = t != EVF_NEST ? evf_canon((enum evf_target)t)
		    : _key_is(&toks[k], "location") ? "location"
		    : _key_is(&toks[k], "metadata") ? "metadata"
						    : "context";
		_msg(err, errlen,
		    "byte %u: field '%.*s' has the wrong kind (%s)", v->offset,
		    (int)(toks[k].len > 64 ? 64 : toks[k].len), toks[k].str,
		    json_kind_name((enum json_kind)v->kind));
		return false;
	}
	return true;
}

static enum evt_reason _reason_of(int rc, bool not_map)
{
	if (not_map)
		return EVT_R_NOT_MAP;
	if (rc == -ELOOP)
		return EVT_R_TOO_DEEP;
	if (rc == -E2BIG)
		return EVT_R_TOO_BIG;
	return EVT_R_MALFORMED;
}

/* The first object of the event over EVF_MAX_KEYS members, or -1. */
static long _wide_object(const struct json_tok *toks)
{
	for (size_t i = 0; i < toks[0].end; i++)
		if (toks[i].kind == JSON_OBJECT && toks[i].count > EVF_MAX_KEYS)
			return (long)i;
	return -1;
}

enum evt_reason json_event_input(const char *line, size_t len,
    const struct json_work *w, struct evt_input *out, char *err, size_t errlen)
{
	/* The per-event shape rules of ipc/evfield.h, as msgpack applies
	 * them: the parser's depth (the line's object is level 1) capped at
	 * EVF_MAX_DEPTH, whatever the caller's work allows. */
	struct json_work ew = *w;
	bool not_map;
	long wide;
	int rc;

	if (ew.max_depth > EVF_MAX_DEPTH)
		ew.max_depth = EVF_MAX_DEPTH;
	memset(out, 0, sizeof(*out));
	rc = _parse_object(line, len, &ew, &not_map, err, errlen);
	if (rc < 0)
		return _reason_of(rc, not_map);
	if ((wide = _wide_object(w->toks)) >= 0) {
		_msg(err, errlen, "byte %u: object of %u members (at most %d)",
		    w->toks[wide].offset, w->toks[wide].count, EVF_MAX_KEYS);
		return EVT_R_TOO_BIG;
	}
	uint32_t seen = 0;
	_event_object(out, w->toks, 0, line, &seen, err, errlen);
	return EVT_OK;
}

/* --- catalog mapping --- */

struct _cat {
	const struct json_tok *toks;
	const char *line;
	struct json_catalog_item *out;
	bool has_lat, has_lon;
	char *err;
	size_t errlen;
};

static int _cat_fail(struct _cat *c, const struct json_tok *v,
    const char *field, const char *what)
{
	_msg(c->err, c->errlen, "byte %u: field '%s': %s", v->offset, field,
	    what);
	return -EINVAL;
}

static int _cat_kind(struct _cat *c, const struct json_tok *v,
    const char *field, const char *want)
{
	char m[96];

	snprintf(m, sizeof(m), "expected %s, got %s", want,
	    json_kind_name((enum json_kind)v->kind));
	return _cat_fail(c, v, field, m);
}

static int _cat_string(struct _cat *c, const struct json_tok *v,
    const char *field, struct evt_str *s, bool ids_may_be_ints)
{
	if (v->kind == JSON_STRING) {
		*s = (struct evt_str){ v->str, v->len };
		return 0;
	}
	if (ids_may_be_ints && v->kind == JSON_NUMBER && v->is_int) {
		*s = (struct evt_str){ c->line + v->offset, v->raw_len };
		return 0;
	}
	return _cat_kind(c, v, field, "a string");
}

static int _cat_bool(struct _cat *c, const struct json_tok *v,
    const char *field, int8_t *b)
{
	if (v->kind != JSON_TRUE && v->kind != JSON_FALSE)
		return _cat_kind(c, v, field, "true or false");
	*b = v->kind == JSON_TRUE;
	return 0;
}

static int _cat_tags(struct _cat *c, size_t arr, const char *field)
{
	const struct json_tok *a = &c->toks[arr];

	if (a->kind != JSON_ARRAY)
		return _cat_kind(c, a, field, "an array of strings");
	if (a->count > JSON_CATALOG_TAGS) {
		_msg(c->err, c->errlen,
		    "byte %u: field '%s': more than %d tags", a->offset, field,
		    JSON_CATALOG_TAGS);
		return -E2BIG;
	}
	c->out->n_tags = 0;
	for (size_t i = arr + 1; i < a->end; i = c->toks[i].end) {
		const struct json_tok *t = &c->toks[i];

		if (t->kind != JSON_STRING)
			return _cat_kind(c, t, field, "a string tag");
		if (t->len == 0)
			return _cat_fail(c, t, field, "empty tag");
		c->out->tags[c->out->n_tags++] =
		    (struct evt_str){ t->str, t->len };
	}
	return 0;
}

static int _cat_time(struct _cat *c, const struct json_tok *v,
    const char *field, int64_t *ms, int *tz, bool *has)
{
	int tz_min = 0;

	if (v->kind == JSON_NUMBER) {
		*ms = evf_time_ms(v->num, v->is_int, v->i);
	} else if (v->kind == JSON_STRING) {
		const char *why = NULL;

		if (clk_parse_rfc3339(v->str, v->len, ms, &tz_min, &why) < 0)
			return _cat_fail(c, v, field, why);
	} else {
		return _cat_kind(c, v, field, "an RFC 3339 string or a number");
	}
	if (tz)
		*tz = tz_min;
	*has = true;
	return 0;
}

/* "devices" / "platforms": names (the event vocabulary) into a mask. */
static int _cat_mask(struct _cat *c, size_t arr, const char *field,
    enum evt_context_kind kind, uint8_t *mask)
{
	const struct json_tok *a = &c->toks[arr];

	if (a->kind != JSON_ARRAY)
		return _cat_kind(c, a, field, "an array of strings");
	for (size_t i = arr + 1; i < a->end; i = c->toks[i].end) {
		const struct json_tok *t = &c->toks[i];

		if (t->kind != JSON_STRING || t->len == 0)
			return _cat_kind(c, t, field, "a non-empty string");
		*mask |=
		    (uint8_t)(1u << evt_context_parse(kind, t->str, t->len));
	}
	return 0;
}

static int _cat_number(struct _cat *c, const struct json_tok *v,
    const char *field, double *d, bool *has)
{
	if (v->kind != JSON_NUMBER)
		return _cat_kind(c, v, field, "a number");
	*d = v->num;
	*has = true;
	return 0;
}

static int _cat_price(struct _cat *c, const struct json_tok *v,
    const char *field)
{
	if (v->kind != JSON_NUMBER)
		return _cat_kind(c, v, field, "an integer 0..4");
	if (!v->is_int || v->i < 0 || v->i > 4)
		return _cat_fail(c, v, field, "expected an integer 0..4");
	c->out->price_level = (int8_t)v->i;
	return 0;
}

static int _cat_object(struct _cat *c, size_t obj, bool top);

/* One member: key token at k, value at k + 1. */
static int _cat_member(struct _cat *c, size_t k, bool top)
{
	const struct json_tok *key = &c->toks[k], *v = &c->toks[k + 1];
	struct json_catalog_item *o = c->out;

	if (v->kind == JSON_NULL)
		return 0;
	if (_key_is(key, "lat") || _key_is(key, "latitude"))
		return _cat_number(c, v, "lat", &o->lat, &c->has_lat);
	if (_key_is(key, "lon") || _key_is(key, "lng") ||
	    _key_is(key, "longitude"))
		return _cat_number(c, v, "lon", &o->lon, &c->has_lon);
	if (!top)
		return 0; /* inside "location" only coordinates count */
	if (_key_is(key, "id"))
		return _cat_string(c, v, "id", &o->id, true);
	if (_key_is(key, "category"))
		return _cat_string(c, v, "category", &o->category, false);
	if (_key_is(key, "tags"))
		return _cat_tags(c, k + 1, "tags");
	if (_key_is(key, "start_time") || _key_is(key, "startTime"))
		return _cat_time(c, v, "start_time", &o->start_ms,
		    &o->start_tz_min, &o->has_start);
	if (_key_is(key, "added") || _key_is(key, "added_at") ||
	    _key_is(key, "addedAt"))
		return _cat_time(c, v, "added", &o->added_ms, NULL,
		    &o->has_added);
	if (_key_is(key, "devices"))
		return _cat_mask(c, k + 1, "devices", EVT_CTX_DEVICE,
		    &o->device_mask);
	if (_key_is(key, "platforms"))
		return _cat_mask(c, k + 1, "platforms", EVT_CTX_PLATFORM,
		    &o->platform_mask);
	if (_key_is(key, "location")) {
		if (v->kind != JSON_OBJECT)
			return _cat_kind(c, v, "location", "an object");
		return _cat_object(c, k + 1, false);
	}
	if (_key_is(key, "indoor"))
		return _cat_bool(c, v, "indoor", &o->indoor);
	if (_key_is(key, "outdoor"))
		return _cat_bool(c, v, "outdoor", &o->outdoor);
	if (_key_is(key, "group_friendly") || _key_is(key, "groupFriendly"))
		return _cat_bool(c, v, "group_friendly", &o->group_friendly);
	if (_key_is(key, "sensitive"))
		return _cat_bool(c, v, "sensitive", &o->sensitive);
	if (_key_is(key, "price_level") || _key_is(key, "priceLevel"))
		return _cat_price(c, v, "price_level");
	return 0;
}

/* The field a catalog key names (its aliases one field), NULL for a key
 * the catalog ignores. */
static const char *_cat_field(const struct json_tok *key)
{
	static const char *const names[][4] = {
		{ "lat", "lat", "latitude", NULL },
		{ "lon", "lon", "lng", "longitude" },
		{ "id", "id", NULL, NULL },
		{ "category", "category", NULL, NULL },
		{ "tags", "tags", NULL, NULL },
		{ "start_time", "start_time", "startTime", NULL },
		{ "added", "added", "added_at", "addedAt" },
		{ "devices", "devices", NULL, NULL },
		{ "platforms", "platforms", NULL, NULL },
		{ "location", "location", NULL, NULL },
		{ "indoor", "indoor", NULL, NULL },
		{ "outdoor", "outdoor", NULL, NULL },
		{ "group_friendly", "group_friendly", "groupFriendly", NULL },
		{ "sensitive", "sensitive", NULL, NULL },
		{ "price_level", "price_level", "priceLevel", NULL },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (int a = 1; a < 4 && names[i][a]; a++)
			if (_key_is(key, names[i][a]))
				return names[i][0];
	return NULL;
}

/* A field of the object at obj given before member k (not null), by
 * this name or another of its: the line is refused (the later silently
 * won). */
static int _cat_twice(struct _cat *c, size_t obj, size_t k)
{
	const char *f = _cat_field(&c->toks[k]);
	if (!f || c->toks[k + 1].kind == JSON_NULL)
		return 0;
	for (size_t j = obj + 1; j < k; j = c->toks[j + 1].end)
		if (c->toks[j + 1].kind != JSON_NULL &&
		    _cat_field(&c->toks[j]) == f)
			return _cat_fail(c, &c->toks[k], f,
			    "given twice (by this name or another of its)");
	return 0;
}

static int _cat_object(struct _cat *c, size_t obj, bool top)
{
	for (size_t k = obj + 1; k < c->toks[obj].end; k = c->toks[k + 1].end) {
		int rc = _cat_twice(c, obj, k);
		if (!rc)
			rc = _cat_member(c, k, top);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static int _cat_check(struct _cat *c)
{
	struct json_catalog_item *o = c->out;
	const struct json_tok *root = &c->toks[0];

	if (o->id.len == 0)
		return _cat_fail(c, root, "id", "required non-empty string");
	/* Names are shown and keyed by their bytes: no NUL or control
	 * byte (an escaped \u0000 would cut a name short). */
	if (!evt_text_ok(o->id.p, o->id.len))
		return _cat_fail(c, root, "id", "holds a NUL or control byte");
	if (o->category.len && !evt_text_ok(o->category.p, o->category.len))
		return _cat_fail(c, root, "category",
		    "holds a NUL or control byte");
	for (unsigned i = 0; i < o->n_tags; i++)
		if (!evt_text_ok(o->tags[i].p, o->tags[i].len))
			return _cat_fail(c, root, "tags",
			    "a tag holds a NUL or control byte");
	if (c->has_lat != c->has_lon)
		return _cat_fail(c, root, c->has_lat ? "lon" : "lat",
		    "lat and lon must be given together");
	if (c->has_lat) {
		if (o->lat < -90.0 || o->lat > 90.0)
			return _cat_fail(c, root, "lat",
			    "out of range -90..90");
		if (o->lon < -180.0 || o->lon > 180.0)
			return _cat_fail(c, root, "lon",
			    "out of range -180..180");
		o->has_location = true;
	}
	/* outdoor is indoor's negation (as in a rank request's
	 * attributes): both alike contradict each other. */
	if (o->indoor >= 0 && o->outdoor >= 0 && o->indoor == o->outdoor)
		return _cat_fail(c, root, "outdoor", "contradicts indoor");
	return 0;
}

int json_catalog_item(const char *line, size_t len, const struct json_work *w,
    struct json_catalog_item *out, char *err, size_t errlen)
{
	struct _cat c = { .toks = w->toks,
		.line = line,
		.out = out,
		.err = err,
		.errlen = errlen };
	bool not_map;
	int rc;

	memset(out, 0, sizeof(*out));
	out->indoor = out->outdoor = out->group_friendly = out->sensitive = -1;
	out->price_level = -1;
	rc = _parse_object(line, len, w, &not_map, err, errlen);
	if (rc < 0)
		return rc;
	if ((rc = _cat_object(&c, 0, true)) < 0 || (rc = _cat_check(&c)) < 0)
		return rc;
	return 0;
}
