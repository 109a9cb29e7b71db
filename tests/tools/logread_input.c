/* logread input edges: CR-only, CRLF and LF line endings read the same
 * events (JSON and CSV, plain and gzip); a UTF-8 byte order mark at the
 * start of a file is skipped (JSON and CSV, quoted header too) and one
 * elsewhere is not; concatenated gzip members are one log; bytes after
 * the last gzip member (garbage, zero padding, one stray byte, half a
 * header) are an error naming the file and the byte offset. */
#include <errno.h>
#include <string.h>

#include "logread_test.h"

#define EV(u, t)                                                               \
	"{\"user_id\":\"" u "\",\"event_type\":\"view\",\"entity_id\":\"e\","  \
	"\"timestamp\":" t "}"

/* Reads text with o; checks rc, events, rejected lines and the lines. */
static void expect(const char *what, const char *text, size_t len, bool gz,
    bool csv, int want_rc, size_t events, size_t rejected, size_t lines)
{
	struct lr_options o;
	struct lr_log log;
	char *msgs;

	lr_options_init(&o);
	o.csv = csv;
	o.prog = "test";
	int rc = lt_read(text, len, gz, &o, &log, &msgs);
	if (rc != want_rc || log.ev.n != events ||
	    log.rejected_lines != rejected || log.lines != lines)
		fprintf(stderr,
		    "%s: rc %d events %zu rejected %zu lines %zu\n%s", what, rc,
		    log.ev.n, (size_t)log.rejected_lines, (size_t)log.lines,
		    msgs);
	CHECK_EQ_INT(rc, want_rc);
	CHECK_EQ_INT(log.ev.n, events);
	CHECK_EQ_INT(log.rejected_lines, rejected);
	CHECK_EQ_INT(log.lines, lines);
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

static void line_endings(void)
{
	static const char eols[3][3] = { "\n", "\r\n", "\r" };
	char text[1024];

	for (int e = 0; e < 3; e++) {
		for (int gz = 0; gz < 2; gz++) {
			const char *n = eols[e];
			int k = snprintf(text, sizeof(text), "%s%s%s%s%s%s",
			    EV("u1", "1767225600"), n, EV("u2", "1767225601"),
			    n, EV("u3", "1767225602"), n);
			expect("json", text, (size_t)k, gz, false, 0, 3, 0, 3);
			/* the last line without an ending */
			expect("json, no final eol", text,
			    (size_t)k - strlen(n), gz, false, 0, 3, 0, 3);
			k = snprintf(text, sizeof(text),
			    "user_id,entity_id,event_type,timestamp%s"
			    "u1,e,view,1767225600%s%s"
			    "u2,e,\"vi%sew\",1767225601%s"
			    "u3,e,view,1767225602%s",
			    n, n, n, n, n, n);
			/* the quoted line break makes "vi\new": bad_type */
			expect("csv", text, (size_t)k, gz, true, 0, 2, 1, 6);
		}
	}
	/* A CR inside a line of an LF file (one whose first line break is
	 * an LF) stays content (a JSON blank here). */
	static const char mixed[] = EV("u1",
	    "1767225600") "\n"
			  "{\"user_id\":\"u2\",\r\"event_type\":\"view\","
			  "\"entity_id\":\"e\",\"timestamp\":1767225600}\n";
	expect("lf file with a cr inside", mixed, sizeof(mixed) - 1, false,
	    false, 0, 2, 0, 2);
}

static void bom(void)
{
	static const char json[] = "\xEF\xBB\xBF" EV("u1",
	    "1767225600") "\n"
			  "\xEF\xBB\xBF" EV("u2", "1767225601") "\n";
	/* the second line's BOM is not at the start of the file */
	expect("json bom", json, sizeof(json) - 1, false, false, 0, 1, 1, 2);
	expect("json bom gz", json, sizeof(json) - 1, true, false, 0, 1, 1, 2);
	static const char csv[] = "\xEF\xBB\xBFuser_id,entity_id,event_type,"
				  "timestamp\r\nu1,e,view,1767225600\r\n";
	expect("csv bom", csv, sizeof(csv) - 1, false, true, 0, 1, 0, 2);
	static const char csvq[] = "\xEF\xBB\xBF\"user_id\",entity_id,"
				   "event_type,timestamp\nu1,e,view,"
				   "1767225600\n";
	expect("csv bom, quoted header", csvq, sizeof(csvq) - 1, false, true, 0,
	    1, 0, 2);
	/* only a BOM: an empty JSON log, a CSV without header */
	expect("bom only", "\xEF\xBB\xBF", 3, false, false, 0, 0, 0, 1);
	expect("csv bom only", "\xEF\xBB\xBF", 3, false, true, -EINVAL, 0, 0,
	    0);
}

/* gzip of text into buf; its size. */
static size_t gz_of(const char *text, char *buf, size_t cap)
{
	char path[4096];
	lt_file(path, sizeof(path), text, strlen(text), true);
	FILE *f = fopen(path, "rb");
	REQUIRE(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	unlink(path);
	REQUIRE(n > 18 && n < cap);
	return n;
}

/* Reads bytes as a file; the messages in *msgs. */
static int read_bytes(const char *b, size_t n, char **msgs, size_t *events)
{
	struct lr_options o;
	struct lr_log log;
	lr_options_init(&o);
	o.prog = "test";
	int rc = lt_read(b, n, false, &o, &log, msgs);
	*events = log.ev.n;
	lr_log_free(&log);
	lr_options_free(&o);
	return rc;
}

static void gzip_members(void)
{
	char a[512], b[512], cat[2048], *msgs;
	size_t na = gz_of(EV("u1", "1767225600") "\n", a, sizeof(a));
	size_t nb =
	    gz_of(EV("u2", "1767225601") "\n" EV("u3", "1767225602") "\n", b,
		sizeof(b));
	size_t events;

	/* two members back to back, three times: one log */
	memcpy(cat, a, na);
	memcpy(cat + na, b, nb);
	memcpy(cat + na + nb, a, na);
	CHECK_EQ_INT(read_bytes(cat, na + nb + na, &msgs, &events), 0);
	CHECK_EQ_INT(events, 4);
	CHECK(lt_same(msgs, ""));
	free(msgs);

	/* garbage after the last member, after the first, zero padding,
	 * one stray byte, half a gzip header */
	static const struct {
		const char *what, *tail;
		size_t tail_len;
		bool between;
	} cases[] = {
		{ "text", "garbage\n", 8, false },
		{ "between members", "xy", 2, true },
		{ "zero padding", "\0\0\0\0\0\0\0\0", 8, false },
		{ "one byte", "\x1f", 1, false },
		{ "random", "\x8b\x1f\xff\x00\x13", 5, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = 0;
		char want[128];
		memcpy(cat, a, na);
		n = na;
		memcpy(cat + n, cases[i].tail, cases[i].tail_len);
		n += cases[i].tail_len;
		if (cases[i].between) {
			memcpy(cat + n, b, nb);
			n += nb;
		}
		int rc = read_bytes(cat, n, &msgs, &events);
		snprintf(want, sizeof(want),
		    "test: LOG: trailing garbage: the bytes from byte %zu on",
		    na);
		if (rc != -EIO || !strstr(msgs, want))
			fprintf(stderr, "%s: rc %d\n%s", cases[i].what, rc,
			    msgs);
		CHECK_EQ_INT(rc, -EIO);
		CHECK(strstr(msgs, want) != NULL);
		CHECK_EQ_INT(events, 1); /* the member before is read */
		free(msgs);
	}

	/* a corrupt member: its offset is named too */
	memcpy(cat, a, na);
	memcpy(cat + na, b, nb);
	cat[na + 12] ^= 0x55;
	cat[na + 13] ^= 0x55;
	CHECK_EQ_INT(read_bytes(cat, na + nb, &msgs, &events), -EIO);
	CHECK(strstr(msgs, "test: LOG: ") != NULL);
	CHECK(strstr(msgs, " byte ") != NULL);
	free(msgs);
}

int main(void)
{
	line_endings();
	bom();
	gzip_members();
	return check_done("logread_input");
}
