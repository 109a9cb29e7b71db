/* logread encoding: Latin-1 and Windows-1252 input (plain or gzip) reads as its UTF-8 form (Windows-1252 checked against glibc's iconv), every byte value and whatever the stdio buffer size (a character split across reads is kept whole); the encoding names; under utf-8 a Latin-1 line is still rejected on its line with its counted reason, and under latin-1 the same log is read whole. */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "logread_test.h"

/* The UTF-8 form of Latin-1 bytes. */
static size_t to_utf8(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] < 0x80) {
			out[k++] = in[i];
		} else {
			out[k++] = (unsigned char)(0xC0 | (in[i] >> 6));
			out[k++] = (unsigned char)(0x80 | (in[i] & 0x3F));
		}
	}
	return k;
}

/*
 * The UTF-8 form of Windows-1252 bytes by glibc's iconv; the five bytes
 * the code page leaves undefined (iconv refuses them) are taken as
 * Latin-1, as the WHATWG encoding standard does.
 */
static size_t cp1252_to_utf8(const unsigned char *in, size_t n,
    unsigned char *out)
{
	iconv_t cd = iconv_open("UTF-8", "CP1252");
	REQUIRE(cd != (iconv_t)-1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char *ip = (char *)&in[i], *op = (char *)out + k;
		size_t il = 1, ol = 4;
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
			REQUIRE(errno == EILSEQ);
			k += to_utf8(&in[i], 1, out + k);
		} else {
			k += 4 - ol;
		}
	}
	iconv_close(cd);
	return k;
}

/* Every byte value, several times, through the stream with a stdio
 * buffer of `buf` bytes (odd sizes split characters across reads). */
static void all_bytes(bool gz, size_t buf, enum lr_encoding enc)
{
	static unsigned char raw[256 * 5], want[256 * 15], got[256 * 15 + 1];
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7 + i / 256);
	size_t wn = enc == LR_ENC_CP1252
	    ? cp1252_to_utf8(raw, sizeof(raw), want)
	    : to_utf8(raw, sizeof(raw), want);
	char path[4096];
	lt_file(path, sizeof(path), (const char *)raw, sizeof(raw), gz);
	FILE *f;
	REQUIRE(lr_open_enc(&f, path, enc, "test", NULL) == 0);
	static char vbuf[65536]; /* glibc takes a size only with a buffer */
	REQUIRE(buf <= sizeof(vbuf) && setvbuf(f, vbuf, _IOFBF, buf) == 0);
	/* getc: each refill asks the stream for the buffer's size */
	size_t n = 0;
	int ch;
	while (n < sizeof(got) && (ch = getc(f)) != EOF)
		got[n++] = (unsigned char)ch;
	CHECK_EQ_INT(lr_close(f, path, "test", NULL), 0);
	unlink(path);
	CHECK_EQ_INT(n, wn);
	if (n != wn || memcmp(got, want, wn)) {
		fprintf(stderr, "all_bytes gz %d buf %zu enc %d differ\n", gz,
		    buf, (int)enc);
		check_failures++;
	}
	/* utf-8 (and lr_open) pass the bytes as they are */
	lt_file(path, sizeof(path), (const char *)raw, sizeof(raw), gz);
	REQUIRE(lr_open_enc(&f, path, LR_ENC_UTF8, "test", NULL) == 0);
	n = fread(got, 1, sizeof(got), f);
	CHECK_EQ_INT(lr_close(f, path, "test", NULL), 0);
	unlink(path);
	CHECK(n == sizeof(raw) && !memcmp(got, raw, n));
}

static void names(void)
{
	enum lr_encoding e = LR_ENC_LATIN1;
	CHECK(lr_encoding_parse("utf-8", &e) == 0 && e == LR_ENC_UTF8);
	CHECK(lr_encoding_parse("UTF8", &e) == 0 && e == LR_ENC_UTF8);
	CHECK(lr_encoding_parse("latin-1", &e) == 0 && e == LR_ENC_LATIN1);
	CHECK(lr_encoding_parse("Latin1", &e) == 0 && e == LR_ENC_LATIN1);
	CHECK(lr_encoding_parse("ISO-8859-1", &e) == 0 && e == LR_ENC_LATIN1);
	CHECK(lr_encoding_parse("windows-1252", &e) == 0 && e == LR_ENC_CP1252);
	CHECK(lr_encoding_parse("CP1252", &e) == 0 && e == LR_ENC_CP1252);
	e = LR_ENC_LATIN1;
	const char *bad[] = { "", "cp-1252", "latin-9", "utf-16", "utf-8 ",
		"windows-1251" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = LR_ENC_LATIN1;
		CHECK_EQ_INT(lr_encoding_parse(bad[i], &e), -EINVAL);
		CHECK(e == LR_ENC_LATIN1); /* untouched */
	}
}

/* "José" and "café" in Latin-1, in a CSV log and in JSON lines. */
static const char csv[] = "user_id,entity_id,event_type,timestamp\n"
			  "Jos\xe9,caf\xe9,click,2026-01-01T00:00:00Z\n"
			  "u2,e2,click,2026-01-01T00:00:01Z\n"
			  "u3,caf\xe9,click,2026-01-01T00:00:02Z\n";
static const char json[] =
    "{\"user_id\":\"Jos\xe9\",\"event_type\":\"click\",\"entity_id\":\"e1\",\"timestamp\":1767225600000}\n"
    "{\"user_id\":\"u2\",\"event_type\":\"click\",\"entity_id\":\"e2\",\"timestamp\":1767225600000}\n";

static void logs(void)
{
	struct lr_options o;
	struct lr_log log;
	char *msgs;
	/* utf-8, the default: each Latin-1 line is rejected on its line,
	 * counted by reason; the others are read */
	lr_options_init(&o);
	o.prog = "test";
	o.csv = true;
	CHECK_EQ_INT(o.encoding, LR_ENC_UTF8);
	CHECK_EQ_INT(lt_read(csv, strlen(csv), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 1);
	CHECK_EQ_INT(log.rejected_lines, 2);
	CHECK_EQ_INT(log.rejected[EVT_R_BAD_ID], 2);
	/* the message says why and what reads such a log */
	CHECK(lt_same(msgs,
	    "LOG:2: bad_id: user_id: not UTF-8 text (or holds a control byte); a Latin-1 or Windows-1252 log needs --encoding\n"
	    "LOG:4: bad_id: entity_id: not UTF-8 text (or holds a control byte); a Latin-1 or Windows-1252 log needs --encoding\n"));
	free(msgs);
	lr_log_free(&log);
	/* latin-1: all of it, the ids in UTF-8 (gzip too) */
	o.encoding = LR_ENC_LATIN1;
	for (int gz = 0; gz < 2; gz++) {
		CHECK_EQ_INT(lt_read(csv, strlen(csv), gz, &o, &log, &msgs), 0);
		CHECK_EQ_INT(log.ev.n, 3);
		CHECK_EQ_INT(log.rejected_lines, 0);
		CHECK(lt_same(msgs, ""));
		REQUIRE(log.users.n == 3);
		CHECK(!strcmp(lr_user_id(&log, 0), "Jos\xc3\xa9"));
		CHECK_EQ_INT(log.users.v[0].len, 5);
		/* the entity is keyed as its UTF-8 id would be */
		CHECK(lr_event(&log, 0)->entity_key ==
		    evt_entity_key("caf\xc3\xa9", 5));
		CHECK(lr_event(&log, 2)->entity_key ==
		    lr_event(&log, 0)->entity_key);
		free(msgs);
		lr_log_free(&log);
	}
	lr_options_free(&o);
	lr_options_init(&o);
	o.prog = "test";
	CHECK_EQ_INT(lt_read(json, strlen(json), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 1);
	CHECK_EQ_INT(log.rejected_lines, 1);
	free(msgs);
	lr_log_free(&log);
	o.encoding = LR_ENC_LATIN1;
	CHECK_EQ_INT(lt_read(json, strlen(json), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 2);
	CHECK(!strcmp(lr_user_id(&log, 0), "Jos\xc3\xa9"));
	free(msgs);
	lr_log_free(&log);
	/* windows-1252: the euro sign and curly quotes of an export */
	static const char w[] =
	    "{\"user_id\":\"\x93Jos\xe9\x94\",\"event_type\":\"click\",\"entity_id\":\"\x80\x99\",\"timestamp\":1767225600000}\n";
	o.encoding = LR_ENC_CP1252;
	CHECK_EQ_INT(lt_read(w, strlen(w), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 1);
	REQUIRE(log.users.n == 1);
	CHECK(!strcmp(lr_user_id(&log, 0),
	    "\xe2\x80\x9cJos\xc3\xa9\xe2\x80\x9d"));
	CHECK(lr_event(&log, 0)->entity_key ==
	    evt_entity_key("\xe2\x82\xac\xe2\x84\xa2", 6));
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

int main(void)
{
	const size_t bufs[] = { 1, 2, 3, 5, 7, 64, 4095, 8192, 65536 };
	for (int gz = 0; gz < 2; gz++)
		for (unsigned i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
			all_bytes(gz, bufs[i], LR_ENC_LATIN1);
			all_bytes(gz, bufs[i], LR_ENC_CP1252);
		}
	names();
	logs();
	return check_done("logread_encoding");
}
