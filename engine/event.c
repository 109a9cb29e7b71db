/*
 * event: names, key derivations and evt_build(), the single place where
 * decoded input is checked, normalized and enriched into a ring record.
 *
 * Normalization choices (also listed in event.h above evt_build):
 *  - Strings that name a category (device, platform, weather, social) are
 *    matched case-insensitively after trimming ASCII blanks against small
 *    alias tables; an unknown value is OTHER, not an error, because these
 *    fields are advisory context. social has no OTHER bucket in the record
 *    layout, so an unknown social value becomes UNKNOWN, as if absent.
 *  - time_of_day from the client is ignored: the daypart is computed from
 *    the event time and offset, so it cannot disagree with them and a
 *    replay gives the same answer.
 */
#include "engine/event.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* For XXH3_state_t on the stack (streaming without allocation). */
#define XXH_STATIC_LINKING_ONLY
/* Inlined here: an entity key is a short id, and a ranking hashes one per
 * candidate; the call into the shared library and its dispatch on the
 * length cost as much as the hash. The same algorithm, the same keys. */
#define XXH_INLINE_ALL
#include <sodium.h>
#include <xxhash.h>

#include "engine/clock.h"
#include "engine/geo.h"

/* Seeds keep user, entity, tag and rec-type hash spaces apart. */
#define _SEED_ENTITY 0x656e746970656e63ULL  /* "entipenc" */
#define _SEED_TAG 0x7461677370656e63ULL	    /* "tagspenc" */
#define _SEED_RECTYPE 0x7265637470656e63ULL /* "rectpenc" */

#define _MAX_DWELL_MS 86400000.0
#define _LOWER_CHUNK 256

static const char *const _reason_names[EVT_REASON_COUNT] = {
	[EVT_OK] = "ok",
	[EVT_R_MALFORMED] = "malformed",
	[EVT_R_NOT_MAP] = "not_map",
	[EVT_R_MISSING_USER] = "missing_user",
	[EVT_R_MISSING_TYPE] = "missing_type",
	[EVT_R_MISSING_ENTITY] = "missing_entity",
	[EVT_R_MISSING_TIME] = "missing_time",
	[EVT_R_BAD_TYPE] = "bad_type",
	[EVT_R_BAD_ENTITY_TYPE] = "bad_entity_type",
	[EVT_R_BAD_FIELD_TYPE] = "bad_field_type",
	[EVT_R_STRING_TOO_LONG] = "string_too_long",
	[EVT_R_BAD_NUMBER] = "bad_number",
	[EVT_R_TIME_RANGE] = "time_range",
	[EVT_R_BAD_TIME] = "bad_time",
	[EVT_R_BAD_LOCATION] = "bad_location",
	[EVT_R_BAD_FEEDBACK] = "bad_feedback",
	[EVT_R_TOO_DEEP] = "too_deep",
	[EVT_R_TOO_BIG] = "too_big",
	[EVT_R_TABLE_FULL] = "table_full",
	[EVT_R_BAD_ID] = "bad_id",
	[EVT_R_BAD_CONSENT] = "bad_consent",
	[EVT_R_DUPLICATE_FIELD] = "duplicate_field",
};

static const char *const _type_names[EVT_BUILTIN_COUNT] = {
	"view",
	"click",
	"rsvp",
	"save",
	"share",
	"feedback",
	"search",
	"cart",
	"purchase",
	"like",
	"dislike",
	"skip",
	"hide",
	"impression",
};

static const char *const _entity_type_names[EVT_ENT_COUNT] = {
	"activity",
	"recommendation",
	"user",
	"search_result",
};

const char *evt_reason_name(enum evt_reason r)
{
	if ((unsigned)r >= EVT_REASON_COUNT)
		return "unknown_reason";
	return _reason_names[r];
}

const char *evt_type_name(enum evt_type t)
{
	if ((unsigned)t >= EVT_BUILTIN_COUNT)
		return "unknown_type";
	return _type_names[t];
}

static char _lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool _blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* Case-insensitive equality of s[0..len) with the lower-case NUL string w. */
static bool _ieq(const char *s, size_t len, const char *w)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (w[i] == '\0' || _lower(s[i]) != w[i])
			return false;
	return w[i] == '\0';
}

static void _trim(const char **s, size_t *len)
{
	while (*len && _blank((*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len && _blank((*s)[*len - 1]))
		(*len)--;
}

/* Index of s in a lower-case name table, or -1. */
static int _lookup(const char *const *names, int n, const char *s, size_t len)
{
	for (int i = 0; i < n; i++)
		if (_ieq(s, len, names[i]))
			return i;
	return -1;
}

int evt_type_parse(const char *s, size_t len)
{
	if (!s)
		return -1;
	_trim(&s, &len);
	return _lookup(_type_names, EVT_BUILTIN_COUNT, s, len);
}

int evt_verb_parse(const struct evt_limits *lim, const char *s, size_t len)
{
	int t = evt_type_parse(s, len);
	if (t >= 0 || !s || !lim)
		return t;
	_trim(&s, &len);
	for (unsigned i = 0; i < EVT_CUSTOM_VERBS; i++)
		if (lim->verbs[i][0] && _ieq(s, len, lim->verbs[i]))
			return (int)(EVT_CUSTOM0 + i);
	return -1;
}

const char *evt_verb_name(const struct evt_limits *lim, unsigned t)
{
	if (t < EVT_BUILTIN_COUNT)
		return _type_names[t];
	if (t < EVT_TYPE_COUNT && lim && lim->verbs[t - EVT_CUSTOM0][0])
		return lim->verbs[t - EVT_CUSTOM0];
	return "unknown_type";
}

static bool _verb_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	    c == '-';
}

/* One "name:signal" entry of the verbs setting, trimmed, into name/sig. */
static int _verb_entry(const char *e, size_t len, char name[EVT_VERB_MAX + 1],
    double *sig, char *err, size_t errlen)
{
	const char *colon = memchr(e, ':', len);
	size_t nl = colon ? (size_t)(colon - e) : len;
	const char *n = e;
	_trim(&n, &nl);
	if (!colon || nl == 0 || nl > EVT_VERB_MAX) {
		snprintf(err, errlen,
		    "bad entry '%.*s' (expected name:signal, a name of 1..%d characters)",
		    (int)(len > 40 ? 40 : len), e, EVT_VERB_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < nl; i++) {
		char c = _lower(n[i]);
		if (!_verb_char(c)) {
			snprintf(err, errlen,
			    "bad verb name '%.*s' (letters, digits, '_' and '-' only)",
			    (int)nl, n);
			return -EINVAL;
		}
		name[i] = c;
	}
	name[nl] = '\0';
	if (evt_type_parse(name, nl) >= 0) {
		snprintf(err, errlen,
		    "'%s' is a built-in verb (its signal is the setting signal_%s)",
		    name, name);
		return -EINVAL;
	}
	if (!strcmp(name,
		"unknown_type")) { /* what a verb out of range shows */
		snprintf(err, errlen, "'%s' is a reserved name", name);
		return -EINVAL;
	}
	const char *v = colon + 1;
	size_t vl = (size_t)(e + len - v);
	_trim(&v, &vl);
	char num[64];
	char *end = num; /* no number read: refused below */
	if (vl == 0 || vl >= sizeof(num)) {
		snprintf(err, errlen, "verb '%s' has no signal", name);
		return -EINVAL;
	}
	memcpy(num, v, vl);
	num[vl] = '\0';
	/* decimal: strtod takes '+', hex floats, inf and nan too */
	const char *d = num[0] == '-' ? num + 1 : num;
	bool digits = (d[0] >= '0' && d[0] <= '9') ||
	    (d[0] == '.' && d[1] >= '0' && d[1] <= '9');
	double x = digits && !strpbrk(num, "xXpP") ? strtod(num, &end) : NAN;
	if (end == num || *end || !isfinite(x) || x < -5.0 || x > 5.0) {
		snprintf(err, errlen,
		    "verb '%s': signal '%s' is not a number in -5..5", name,
		    num);
		return -EINVAL;
	}
	*sig = x;
	return 0;
}

int evt_verbs_parse(const char *list, char (*names)[EVT_VERB_MAX + 1],
    double *signals, char *err, size_t errlen)
{
	char tmp[EVT_CUSTOM_VERBS][EVT_VERB_MAX + 1];
	double sig[EVT_CUSTOM_VERBS];
	char dummy[8];
	unsigned n = 0;
	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	memset(tmp, 0, sizeof(tmp));
	for (const char *p = list ? list : ""; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *e = p;
		size_t el = len;
		_trim(&e, &el);
		p += len + (comma ? 1 : 0);
		if (el == 0) {
			if (comma || n) {
				snprintf(err, errlen, "empty entry");
				return -EINVAL;
			}
			continue;
		}
		if (n == EVT_CUSTOM_VERBS) {
			snprintf(err, errlen, "more than %d custom verbs",
			    EVT_CUSTOM_VERBS);
			return -EINVAL;
		}
		int rc = _verb_entry(e, el, tmp[n], &sig[n], err, errlen);
		if (rc)
			return rc;
		for (unsigned j = 0; j < n; j++)
			if (!strcmp(tmp[j], tmp[n])) {
				snprintf(err, errlen, "verb '%s' given twice",
				    tmp[n]);
				return -EINVAL;
			}
		n++;
	}
	if (names)
		memcpy(names, tmp, sizeof(tmp));
	if (signals)
		for (unsigned i = 0; i < EVT_CUSTOM_VERBS; i++)
			signals[i] = i < n ? sig[i] : 0.0;
	return (int)n;
}

struct evt_limits evt_limits_default(void)
{
	return (struct evt_limits){
		.max_id_len = 256,
		.max_str_len = 64,
		.max_query_len = 512,
		.min_time_ms = 946684800000LL,	/* 2000-01-01T00:00:00Z */
		.max_time_ms = 4102444800000LL, /* 2100-01-01T00:00:00Z */
		.geo_precision = 6,
	};
}

/* --- request ids --- */

uint64_t evt_request_make_arm(int64_t time_ms, unsigned strategy, unsigned arm,
    uint32_t seq)
{
	int64_t t = time_ms - EVT_REQUEST_EPOCH_MS;
	uint64_t ut = t < 0 ? 0 : (uint64_t)t & ((1ULL << 42) - 1);
	uint64_t id = ut << 22 | (uint64_t)(strategy & 0xF) << 18 |
	    (uint64_t)(arm & 0x3F) << 12 | (seq & 0xFFF);
	return id ? id : 1;
}

uint64_t evt_request_make(int64_t time_ms, unsigned strategy, uint32_t seq)
{
	return evt_request_make_arm(time_ms, strategy, 0, seq);
}

unsigned evt_request_arm(uint64_t id)
{
	return (unsigned)(id >> 12) & 0x3F;
}

int64_t evt_request_time(uint64_t id)
{
	return id ? (int64_t)(id >> 22) + EVT_REQUEST_EPOCH_MS : 0;
}

unsigned evt_request_strategy(uint64_t id)
{
	return (unsigned)(id >> 18) & 0xF;
}

/* --- keys --- */

static uint64_t _nonzero64(uint64_t h)
{
	return h ? h : 1;
}

_Static_assert(EVT_SECRET_BYTES == crypto_shorthash_siphash24_KEYBYTES &&
	crypto_shorthash_siphash24_BYTES == 8,
    "a 16-byte key, a 64-bit pseudonym");

static uint64_t _siphash(const uint8_t *key, const void *p, size_t len)
{
	unsigned char out[8];
	crypto_shorthash_siphash24(out, p, len, key);
	uint64_t h;
	memcpy(&h, out, sizeof(h)); /* little-endian output, as specified */
	return h;
}

uint64_t evt_user_key(const struct evt_limits *lim, const char *id, size_t len)
{
	static const uint8_t zero[EVT_SECRET_BYTES];
	return _nonzero64(_siphash(lim ? lim->user_secret : zero,
	    (const unsigned char *)(len ? id : ""), len));
}

uint64_t evt_secret_check(const uint8_t *secret)
{
	static const char what[] = "penchant user secret check";
	return _nonzero64(_siphash(secret, what, sizeof(what) - 1));
}

uint64_t evt_entity_key(const char *id, size_t len)
{
	return _nonzero64(
	    XXH3_64bits_withSeed(len ? id : "", len, _SEED_ENTITY));
}

/*
 * XXH3 of the ASCII-lower-cased bytes. Short names are lowered into a stack
 * buffer; long ones stream through it in chunks, which gives the same hash.
 */
static uint64_t _hash_lower(const char *s, size_t len, uint64_t seed)
{
	char buf[_LOWER_CHUNK];

	if (len <= sizeof(buf)) {
		for (size_t i = 0; i < len; i++)
			buf[i] = _lower(s[i]);
		return XXH3_64bits_withSeed(buf, len, seed);
	}
	XXH3_state_t st;

	/* The seeded reset skips rebuilding its secret when the leftover seed
	 * matches: start from a known state, or the hash is not deterministic. */
	XXH3_INITSTATE(&st);

	XXH3_64bits_reset_withSeed(&st, seed);
	for (size_t off = 0; off < len; off += sizeof(buf)) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = _lower(s[off + i]);
		XXH3_64bits_update(&st, buf, n);
	}
	return XXH3_64bits_digest(&st);
}

uint32_t evt_tag_id(const char *name, size_t len)
{
	if (!name)
		len = 0;
	_trim(&name, &len);
	uint32_t id = (uint32_t)_hash_lower(len ? name : "", len, _SEED_TAG);

	return id ? id : 1;
}

static uint16_t _rec_type_id(const char *s, size_t len)
{
	_trim(&s, &len);
	uint16_t id = (uint16_t)_hash_lower(s, len, _SEED_RECTYPE);

	return id ? id : 1;
}

/* --- category normalization --- */

struct _alias {
	const char *name;
	int value;
};

/* Value of the trimmed, case-folded string in an alias table, or `other`. */
static int _classify(const struct _alias *tab, const char *s, size_t len,
    int other)
{
	_trim(&s, &len);
	for (; tab->name; tab++)
		if (_ieq(s, len, tab->name))
			return tab->value;
	return other;
}

static const struct _alias _devices[] = { { "mobile", EVT_DEV_MOBILE },
	{ "phone", EVT_DEV_MOBILE }, { "smartphone", EVT_DEV_MOBILE },
	{ "iphone", EVT_DEV_MOBILE }, { "ios", EVT_DEV_MOBILE },
	{ "android", EVT_DEV_MOBILE }, { "desktop", EVT_DEV_DESKTOP },
	{ "web", EVT_DEV_DESKTOP }, { "pc", EVT_DEV_DESKTOP },
	{ "mac", EVT_DEV_DESKTOP }, { "laptop", EVT_DEV_DESKTOP },
	{ "computer", EVT_DEV_DESKTOP }, { "tablet", EVT_DEV_TABLET },
	{ "ipad", EVT_DEV_TABLET }, { "tv", EVT_DEV_TV },
	{ "smarttv", EVT_DEV_TV }, { "smart_tv", EVT_DEV_TV }, { NULL, 0 } };

static const struct _alias _platforms[] = { { "ios", EVT_PLAT_IOS },
	{ "ipados", EVT_PLAT_IOS }, { "android", EVT_PLAT_ANDROID },
	{ "web", EVT_PLAT_WEB }, { "browser", EVT_PLAT_WEB },
	{ "windows", EVT_PLAT_WINDOWS }, { "win", EVT_PLAT_WINDOWS },
	{ "macos", EVT_PLAT_MACOS }, { "mac", EVT_PLAT_MACOS },
	{ "osx", EVT_PLAT_MACOS }, { "os x", EVT_PLAT_MACOS },
	{ "linux", EVT_PLAT_LINUX }, { NULL, 0 } };

static const struct _alias _weathers[] = { { "sunny", EVT_WX_SUNNY },
	{ "clear", EVT_WX_SUNNY }, { "sun", EVT_WX_SUNNY },
	{ "cloudy", EVT_WX_CLOUDY }, { "clouds", EVT_WX_CLOUDY },
	{ "overcast", EVT_WX_CLOUDY }, { "rainy", EVT_WX_RAINY },
	{ "rain", EVT_WX_RAINY }, { "drizzle", EVT_WX_RAINY },
	{ "snowy", EVT_WX_SNOWY }, { "snow", EVT_WX_SNOWY },
	{ "stormy", EVT_WX_STORMY }, { "storm", EVT_WX_STORMY },
	{ "thunderstorm", EVT_WX_STORMY }, { "hot", EVT_WX_HOT },
	{ "cold", EVT_WX_COLD }, { NULL, 0 } };

static const struct _alias _socials[] = { { "alone", EVT_SOC_ALONE },
	{ "solo", EVT_SOC_ALONE }, { "friends", EVT_SOC_FRIENDS },
	{ "friend", EVT_SOC_FRIENDS }, { "with_friends", EVT_SOC_FRIENDS },
	{ "family", EVT_SOC_FAMILY }, { "partner", EVT_SOC_PARTNER },
	{ "couple", EVT_SOC_PARTNER }, { "date", EVT_SOC_PARTNER },
	{ "group", EVT_SOC_GROUP }, { NULL, 0 } };

static const struct _alias _feedback_signs[] = { { "positive", 1 },
	{ "like", 1 }, { "up", 1 }, { "thumbs_up", 1 }, { "+1", 1 },
	{ "negative", -1 }, { "dislike", -1 }, { "down", -1 },
	{ "thumbs_down", -1 }, { "-1", -1 }, { NULL, 0 } };

unsigned evt_context_parse(enum evt_context_kind kind, const char *s,
    size_t len)
{
	if (!s || !len)
		return 0; /* UNKNOWN of every kind */
	switch (kind) {
	case EVT_CTX_DEVICE: return _classify(_devices, s, len, EVT_DEV_OTHER);
	case EVT_CTX_PLATFORM:
		return _classify(_platforms, s, len, EVT_PLAT_OTHER);
	case EVT_CTX_WEATHER: return _classify(_weathers, s, len, EVT_WX_OTHER);
	case EVT_CTX_SOCIAL:
		return _classify(_socials, s, len, EVT_SOC_UNKNOWN);
	}
	return 0;
}

/* --- evt_build steps: each returns EVT_OK or a reason and sets *field --- */

struct _build {
	const struct evt_input *in;
	const struct evt_limits *lim;
	struct evt_record *out;
	const char **field;
};

static enum evt_reason _reject(struct _build *b, enum evt_reason r,
    const char *field)
{
	if (b->field)
		*b->field = field;
	return r;
}

static bool _present(struct evt_str s)
{
	return s.p != NULL && s.len > 0;
}

/* String caps of every present string, before anything looks inside. */
static enum evt_reason _check_lengths(struct _build *b)
{
	const struct evt_input *in = b->in;
	const struct {
		struct evt_str s;
		size_t cap;
		const char *name;
	} caps[] = {
		{ in->user_id, b->lim->max_id_len, "user_id" },
		{ in->session_id, b->lim->max_id_len, "session_id" },
		{ in->entity_id, b->lim->max_id_len, "entity_id" },
		{ in->event_type, b->lim->max_str_len, "event_type" },
		{ in->entity_type, b->lim->max_str_len, "entity_type" },
		{ in->device, b->lim->max_str_len, "device" },
		{ in->platform, b->lim->max_str_len, "platform" },
		{ in->weather, b->lim->max_str_len, "weather" },
		{ in->social, b->lim->max_str_len, "social" },
		{ in->rec_type, b->lim->max_str_len, "rec_type" },
		{ in->feedback_type, b->lim->max_str_len, "feedback_type" },
		{ in->timestamp_str, b->lim->max_str_len, "timestamp" },
		{ in->query, b->lim->max_query_len, "query" },
	};

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (caps[i].s.len > caps[i].cap)
			return _reject(b, EVT_R_STRING_TOO_LONG, caps[i].name);
	return EVT_OK;
}

/*
 * An id is shown to people and keyed by its bytes: it must be valid UTF-8
 * (no overlong forms, no surrogates, nothing above U+10FFFF) without NUL
 * or other C0, DEL or C1 control characters, or two different keys could
 * display as the same name.
 */
static bool _valid_text(struct evt_str s, bool c1_ok);

static bool _valid_id(struct evt_str s)
{
	return _valid_text(s, false);
}

/*
 * Bytes from the start of s in whole words of eight printable ASCII bytes
 * (0x20..0x7e): a word's bytes are flagged where they are below 0x20
 * (the borrow), 0x7f (the carry) or 0x80 and above; a flag makes the
 * byte loop take that word over. Ids are mostly such words.
 */
static size_t _printable_words(const unsigned char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL;
	size_t i = 0;
	for (; n - i >= 8; i += 8) {
		uint64_t x;
		memcpy(&x, p + i, 8);
		if (((x - 0x20 * ones) | x | (x + ones)) & (0x80 * ones))
			break;
	}
	return i;
}

/* _valid_id's rule; c1_ok lets C1 controls through (lookups). */
static bool _valid_text(struct evt_str s, bool c1_ok)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t n = s.len, i = _printable_words(p, n);
	while (i < n) {
		unsigned c = p[i];
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		unsigned need, min;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1, min = 0x80, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2, min = 0x800, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= need)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* C1 controls (U+0080..U+009F) are control bytes as much as
		 * C0's: a terminal acts on them when a name is printed. */
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp < 0xa0 && !c1_ok))
			return false;
		i += need + 1;
	}
	return true;
}

bool evt_text_ok(const char *s, size_t len)
{
	return _valid_id((struct evt_str){ s, len });
}

const char *evt_user_id_problem(const struct evt_limits *lim, const char *id,
    size_t len)
{
	if (!id || len == 0)
		return "empty";
	if (len > lim->max_id_len)
		return "longer than max_id_len";
	return evt_user_text_ok(id, len)
	    ? NULL
	    : "not UTF-8 text without control bytes";
}

bool evt_user_text_ok(const char *s, size_t len)
{
	return _valid_text((struct evt_str){ s, len }, true);
}

static bool _is_consent(struct evt_str s)
{
	_trim(&s.p, &s.len);
	return _ieq(s.p, s.len, "consent");
}

/*
 * A consent event (docs/PRIVACY.md): a control record, not behavior, with
 * the purposes it names; no entity. Its user key is derived here, as for
 * any event.
 */
static enum evt_reason _build_consent(struct _build *b)
{
	const struct evt_input *in = b->in;
	uint8_t set = 0, granted = 0;
	if (in->consent_personalization) {
		set |= EVT_PURPOSE_PERSONALIZATION;
		if (in->consent_personalization == 2)
			granted |= EVT_PURPOSE_PERSONALIZATION;
	}
	if (in->consent_analytics) {
		set |= EVT_PURPOSE_ANALYTICS;
		if (in->consent_analytics == 2)
			granted |= EVT_PURPOSE_ANALYTICS;
	}
	if (!set)
		return _reject(b, EVT_R_BAD_CONSENT, "personalization");
	b->out->control = EVT_CTL_CONSENT;
	b->out->consent = (uint8_t)(EVT_CONSENT_SET(set) | granted);
	b->out->user_key = evt_user_key(b->lim, in->user_id.p, in->user_id.len);
	return EVT_OK;
}

static enum evt_reason _build_ids(struct _build *b)
{
	const struct evt_input *in = b->in;
	int t;

	if (!_present(in->user_id))
		return _reject(b, EVT_R_MISSING_USER, "user_id");
	if (!_valid_id(in->user_id))
		return _reject(b, EVT_R_BAD_ID, "user_id");
	if (_present(in->entity_id) && !_valid_id(in->entity_id))
		return _reject(b, EVT_R_BAD_ID, "entity_id");
	if (_present(in->session_id) && !_valid_id(in->session_id))
		return _reject(b, EVT_R_BAD_ID, "session_id");
	if (!_present(in->event_type))
		return _reject(b, EVT_R_MISSING_TYPE, "event_type");
	if (_is_consent(in->event_type))
		return _build_consent(b);
	t = evt_verb_parse(b->lim, in->event_type.p, in->event_type.len);
	if (t < 0)
		return _reject(b, EVT_R_BAD_TYPE, "event_type");
	b->out->type = (uint8_t)t;
	if (_present(in->entity_type)) {
		struct evt_str s = in->entity_type;

		_trim(&s.p, &s.len);
		t = _lookup(_entity_type_names, EVT_ENT_COUNT, s.p, s.len);
		if (t < 0)
			return _reject(b, EVT_R_BAD_ENTITY_TYPE, "entity_type");
		b->out->entity_type = (uint8_t)t;
	} else {
		b->out->entity_type = EVT_ENT_ACTIVITY;
	}
	if (b->out->type == EVT_SEARCH) {
		if (!_present(in->query))
			return _reject(b, EVT_R_MISSING_ENTITY, "query");
	} else if (!_present(in->entity_id)) {
		return _reject(b, EVT_R_MISSING_ENTITY, "entity_id");
	}
	b->out->user_key = evt_user_key(b->lim, in->user_id.p, in->user_id.len);
	if (_present(in->entity_id))
		b->out->entity_key =
		    evt_entity_key(in->entity_id.p, in->entity_id.len);
	if (_present(in->session_id))
		b->out->session_key =
		    evt_entity_key(in->session_id.p, in->session_id.len);
	return EVT_OK;
}

static enum evt_reason _build_time(struct _build *b)
{
	const struct evt_input *in = b->in;
	int64_t t;
	int off = 0;

	if (in->has_time_ms) {
		t = in->time_ms;
	} else if (_present(in->timestamp_str)) {
		if (clk_parse_rfc3339(in->timestamp_str.p,
			in->timestamp_str.len, &t, &off, NULL) < 0)
			return _reject(b, EVT_R_BAD_TIME, "timestamp");
	} else {
		return _reject(b, EVT_R_MISSING_TIME, "timestamp");
	}
	if (in->has_tz) {
		if (!isfinite(in->tz_offset_min))
			return _reject(b, EVT_R_BAD_NUMBER, "tz_offset");
		double r = nearbyint(in->tz_offset_min);

		if (r < -CLK_MAX_TZ_MIN || r > CLK_MAX_TZ_MIN)
			return _reject(b, EVT_R_BAD_NUMBER, "tz_offset");
		off = (int)r;
	} else if (off < -CLK_MAX_TZ_MIN || off > CLK_MAX_TZ_MIN) {
		/* RFC 3339 allows +23:59; no real zone is beyond +-18 h. */
		return _reject(b, EVT_R_BAD_TIME, "timestamp");
	}
	if (t < b->lim->min_time_ms || t >= b->lim->max_time_ms)
		return _reject(b, EVT_R_TIME_RANGE, "timestamp");
	b->out->time_ms = t;
	b->out->tz_offset_min = (int16_t)off;
	/* One local date for daypart, weekday and the season's month (the
	 * month here rather than in the worker, which every event's cycles
	 * are counted against). off is in range: clk_civil cannot fail. */
	struct clk_civil c;
	if (clk_civil(t, off, &c))
		return _reject(b, EVT_R_BAD_TIME, "timestamp");
	b->out->daypart = (uint8_t)clk_daypart_of_hour(c.hour);
	b->out->weekday = (uint8_t)c.weekday;
	b->out->month = (uint8_t)c.month;
	return EVT_OK;
}

static enum evt_reason _build_location(struct _build *b)
{
	const struct evt_input *in = b->in;
	unsigned p = b->lim->geo_precision;

	if (!in->has_lat && !in->has_lon)
		return EVT_OK;
	if (in->has_lat != in->has_lon)
		return _reject(b, EVT_R_BAD_LOCATION,
		    in->has_lat ? "lon" : "lat");
	if (!isfinite(in->lat))
		return _reject(b, EVT_R_BAD_NUMBER, "lat");
	if (!isfinite(in->lon))
		return _reject(b, EVT_R_BAD_NUMBER, "lon");
	if (in->lat < -90.0 || in->lat > 90.0)
		return _reject(b, EVT_R_BAD_LOCATION, "lat");
	if (in->lon < -180.0 || in->lon > 180.0)
		return _reject(b, EVT_R_BAD_LOCATION, "lon");
	if (p < GEO_MIN_PRECISION)
		p = GEO_MIN_PRECISION;
	if (p > GEO_MAX_PRECISION)
		p = GEO_MAX_PRECISION;
	if (geo_encode(in->lat, in->lon, p, &b->out->geo_cell) < 0)
		return _reject(b, EVT_R_BAD_LOCATION, "lat");
	return EVT_OK;
}

static void _build_context(struct _build *b)
{
	const struct evt_input *in = b->in;

	if (_present(in->device))
		b->out->device = (uint8_t)_classify(_devices, in->device.p,
		    in->device.len, EVT_DEV_OTHER);
	if (_present(in->platform))
		b->out->platform = (uint8_t)_classify(_platforms,
		    in->platform.p, in->platform.len, EVT_PLAT_OTHER);
	if (_present(in->weather))
		b->out->weather = (uint8_t)_classify(_weathers, in->weather.p,
		    in->weather.len, EVT_WX_OTHER);
	if (_present(in->social))
		b->out->social = (uint8_t)_classify(_socials, in->social.p,
		    in->social.len, EVT_SOC_UNKNOWN);
	if (_present(in->rec_type))
		b->out->rec_type =
		    _rec_type_id(in->rec_type.p, in->rec_type.len);
}

static enum evt_reason _build_feedback(struct _build *b)
{
	const struct evt_input *in = b->in;
	int sign = 0;

	if (in->has_feedback_num && !isfinite(in->feedback_num))
		return _reject(b, EVT_R_BAD_NUMBER, "feedback");
	if (b->out->type != EVT_FEEDBACK)
		return EVT_OK; /* only feedback events carry a sign */
	if (_present(in->feedback_type))
		sign = _classify(_feedback_signs, in->feedback_type.p,
		    in->feedback_type.len, 0);
	if (sign == 0 && in->has_feedback_num)
		sign = in->feedback_num > 0 ? 1 : in->feedback_num < 0 ? -1 : 0;
	if (sign == 0)
		return _reject(b, EVT_R_BAD_FEEDBACK, "feedback_type");
	b->out->feedback = (int8_t)sign;
	return EVT_OK;
}

static enum evt_reason _build_engagement(struct _build *b)
{
	const struct evt_input *in = b->in;

	if (in->has_position) {
		double p = in->position;

		if (!isfinite(p) || p < 1 || p > UINT16_MAX || p != floor(p))
			return _reject(b, EVT_R_BAD_NUMBER, "position");
		b->out->position = (uint16_t)p;
	}
	if (in->has_dwell) {
		double d = in->dwell_ms;

		if (!isfinite(d) || d < 0)
			return _reject(b, EVT_R_BAD_NUMBER, "dwell_ms");
		b->out->dwell_ms = (uint32_t)(d > _MAX_DWELL_MS ? _MAX_DWELL_MS
								: nearbyint(d));
	}
	b->out->scroll_depth = -1.0f;
	if (in->has_scroll) {
		double s = in->scroll_depth;

		if (!isfinite(s) || s < 0 || s > 100)
			return _reject(b, EVT_R_BAD_NUMBER, "scroll_depth");
		b->out->scroll_depth = (float)(s > 1 ? s / 100 : s);
	}
	if (_present(in->request_id)) {
		struct evt_str r = in->request_id;
		uint64_t v = 0;

		_trim(&r.p, &r.len);
		if (r.len == 0 || r.len > 16)
			return _reject(b, EVT_R_BAD_NUMBER, "request_id");
		for (size_t i = 0; i < r.len; i++) {
			char c = _lower(r.p[i]);
			int d = c >= '0' && c <= '9' ? c - '0'
			    : c >= 'a' && c <= 'f'   ? c - 'a' + 10
						     : -1;
			if (d < 0)
				return _reject(b, EVT_R_BAD_NUMBER,
				    "request_id");
			v = v << 4 | (uint64_t)d;
		}
		b->out->request_id = v;
	}
	return EVT_OK;
}

static bool _token_byte(char c)
{
	unsigned char u = (unsigned char)c;

	/* Non-ASCII bytes (UTF-8 letters) stay inside tokens. */
	return u >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static void _add_token(struct evt_record *out, const char *s, size_t len)
{
	uint32_t id = evt_tag_id(s, len);

	for (unsigned i = 0; i < out->n_tokens; i++)
		if (out->tokens[i] == id)
			return;
	out->tokens[out->n_tokens++] = id;
}

static void _build_tokens(struct _build *b)
{
	const char *q = b->in->query.p;
	size_t len = b->in->query.len, i = 0;

	if (b->out->type != EVT_SEARCH)
		return;
	while (i < len && b->out->n_tokens < EVT_SEARCH_TOKENS) {
		while (i < len && !_token_byte(q[i]))
			i++;
		size_t start = i;

		while (i < len && _token_byte(q[i]))
			i++;
		if (i - start >= 2)
			_add_token(b->out, q + start, i - start);
	}
}

enum evt_reason evt_build(const struct evt_input *in,
    const struct evt_limits *lim, struct evt_record *out, const char **field)
{
	struct evt_limits def;
	struct _build b = { .in = in, .lim = lim, .out = out, .field = field };
	enum evt_reason r;

	if (!lim) {
		def = evt_limits_default();
		b.lim = &def;
	}
	if (field)
		*field = NULL;
	memset(out, 0, sizeof(*out));
	if (in->bad != EVT_OK)
		return _reject(&b, in->bad, in->bad_field);
	if ((r = _check_lengths(&b)) != EVT_OK ||
	    (r = _build_ids(&b)) != EVT_OK || (r = _build_time(&b)) != EVT_OK ||
	    (r = _build_location(&b)) != EVT_OK ||
	    (r = _build_feedback(&b)) != EVT_OK ||
	    (r = _build_engagement(&b)) != EVT_OK)
		return r;
	_build_context(&b);
	_build_tokens(&b);
	if (in->dnt == 2)
		out->flags |= EVT_F_DNT;
	return EVT_OK;
}
