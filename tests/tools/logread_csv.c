/* logread CSV reader (RFC 4180): quoted line breaks, doubled quotes, CRLF,
 * blank lines, a byte order mark, too few and too many fields, broken
 * quoting, the record size cap, header errors, and the line each record is
 * reported on. */
#include <errno.h>
#include <string.h>

#include "logread_test.h"

static const char *const abc[] = { "a", "b", "c" };

/* A CSV reader over a temporary file holding text. */
struct csvfix {
	char path[4096];
	FILE *f;
	struct lr_map map;
	struct lr_csv c;
	struct lt_msgs m;
	char err[300];
};

static int csv_open(struct csvfix *x, const char *text, size_t len)
{
	lt_file(x->path, sizeof(x->path), text, len, false);
	REQUIRE(lr_open(&x->f, x->path, "test", NULL) == 0);
	lt_msgs_open(&x->m);
	return lr_csv_open(&x->c, x->f, "T", &x->map, x->m.f);
}

static void csv_close(struct csvfix *x)
{
	lr_csv_free(&x->c);
	REQUIRE(lr_close(x->f, x->path, "test", NULL) == 0);
	lt_msgs_close(&x->m);
	unlink(x->path);
}

static bool cell_is(const struct lr_csv *c, unsigned k, const char *want)
{
	struct evt_str s = lr_csv_cell(c, k);
	if (!want)
		return s.p == NULL && s.len == 0;
	return s.len == strlen(want) && !memcmp(s.p, want, s.len);
}

static void quoting(void)
{
	struct csvfix x;
	lr_map_init(&x.map, abc, 3);
	const char *t = "a,b,c\r\n"
			"1,\"x\"\"y\",\"multi\r\nline, \"\"two\"\"\"\r\n"
			"\r\n"
			"2,,\"\"\r\n"
			"\"\",\",\",\"\"\"\"\n"
			"3,4,5";
	REQUIRE(csv_open(&x, t, strlen(t)) == 0);
	CHECK_EQ_INT(x.c.ncols, 3);
	CHECK_EQ_INT(lr_csv_next(&x.c, x.err, sizeof(x.err)), 1);
	CHECK_EQ_INT(x.c.recline, 2);
	CHECK_EQ_INT(x.c.lineno, 3);
	CHECK(cell_is(&x.c, 0, "1"));
	CHECK(cell_is(&x.c, 1, "x\"y"));
	CHECK(cell_is(&x.c, 2, "multi\nline, \"two\""));
	/* the blank line 4 is skipped */
	CHECK_EQ_INT(lr_csv_next(&x.c, x.err, sizeof(x.err)), 1);
	CHECK_EQ_INT(x.c.recline, 5);
	CHECK(cell_is(&x.c, 0, "2"));
	CHECK(cell_is(&x.c, 1, NULL)); /* empty: absent */
	CHECK(cell_is(&x.c, 2, NULL)); /* "" too */
	CHECK_EQ_INT(lr_csv_next(&x.c, x.err, sizeof(x.err)), 1);
	CHECK_EQ_INT(x.c.recline, 6);
	CHECK(cell_is(&x.c, 0, NULL));
	CHECK(cell_is(&x.c, 1, ","));
	CHECK(cell_is(&x.c, 2, "\""));
	/* the last line has no line end */
	CHECK_EQ_INT(lr_csv_next(&x.c, x.err, sizeof(x.err)), 1);
	CHECK_EQ_INT(x.c.recline, 7);
	CHECK(cell_is(&x.c, 2, "5"));
	CHECK_EQ_INT(lr_csv_next(&x.c, x.err, sizeof(x.err)), 0);
	CHECK_EQ_INT(lr_csv_next(&x.c, x.err, sizeof(x.err)), 0);
	CHECK(lt_same(lt_msgs_text(&x.m), ""));
	csv_close(&x);
}

static void header(void)
{
	struct csvfix x;
	/* byte order mark; a column nobody reads may be named twice;
	 * mapped columns */
	lr_map_init(&x.map, abc, 3);
	REQUIRE(lr_map_set(&x.map, 2, "z") == 0);
	const char *t = "\xEF\xBB\xBF"
			"a,b,q,z,q\n1,2,3,4,5\n";
	REQUIRE(csv_open(&x, t, strlen(t)) == 0);
	CHECK_EQ_INT(lr_csv_column(&x.c, 0), 0);
	CHECK_EQ_INT(lr_csv_column(&x.c, 1), 1);
	CHECK_EQ_INT(lr_csv_column(&x.c, 2), 3);
	CHECK(!strcmp(lr_csv_column_name(&x.c, 0), "a"));
	CHECK(!strcmp(lr_csv_column_name(&x.c, 5), "?"));
	CHECK(!strcmp(lr_csv_column_name(&x.c, -1), "?"));
	CHECK_EQ_INT(lr_csv_next(&x.c, x.err, sizeof(x.err)), 1);
	CHECK(cell_is(&x.c, 1, "2") && cell_is(&x.c, 2, "4"));
	csv_close(&x);
	lr_map_free(&x.map);

	/* a column that is not there: absent unless named explicitly */
	lr_map_init(&x.map, abc, 3);
	t = "a,b\n1,2\n";
	REQUIRE(csv_open(&x, t, strlen(t)) == 0);
	CHECK_EQ_INT(lr_csv_column(&x.c, 2), -1);
	CHECK_EQ_INT(lr_csv_next(&x.c, x.err, sizeof(x.err)), 1);
	CHECK(cell_is(&x.c, 2, NULL));
	csv_close(&x);
	/* a column the map reads, named twice: which is meant is unknown */
	t = "a,b,a\n1,2,3\n";
	CHECK_EQ_INT(csv_open(&x, t, strlen(t)), -EINVAL);
	CHECK(lt_same(lt_msgs_text(&x.m),
	    "T:1: column 'a' (for a) named twice in the header (columns 1 and 3); rename one or name the columns with --columns\n"));
	csv_close(&x);
	REQUIRE(lr_map_set(&x.map, 2, "zz") == 0);
	t = "\n\na,b\n";
	CHECK_EQ_INT(csv_open(&x, t, strlen(t)), -EINVAL);
	CHECK(lt_same(lt_msgs_text(&x.m),
	    "T:3: no column 'zz' (for c) in the header\n"));
	csv_close(&x);
	lr_map_free(&x.map);

	/* no header at all, or a broken one */
	lr_map_init(&x.map, abc, 3);
	CHECK_EQ_INT(csv_open(&x, "", 0), -EINVAL);
	CHECK(lt_same(lt_msgs_text(&x.m),
	    "T:1: empty: a header row is required\n"));
	csv_close(&x);
	CHECK_EQ_INT(csv_open(&x, "\r\n\n", 3), -EINVAL);
	CHECK(lt_same(lt_msgs_text(&x.m),
	    "T:2: empty: a header row is required\n"));
	csv_close(&x);
	t = "a,\"b\n";
	CHECK_EQ_INT(csv_open(&x, t, strlen(t)), -EINVAL);
	CHECK(lt_same(lt_msgs_text(&x.m),
	    "T:1: column 2: quoted field not closed\n"));
	csv_close(&x);
}

static void broken(void)
{
	struct csvfix x;
	lr_map_init(&x.map, abc, 3);
	char *t = malloc(8192);
	REQUIRE(t);
	char *p = stpcpy(t,
	    "a,b,c\n"
	    "1,2\n"
	    "1,2,3,4\n"
	    "\"x\"y,2,3\n"
	    "x\"y,2,3\n"
	    "ok,2,3\n");
	for (int i = 0; i < 300; i++) /* line 7 */
		p = stpcpy(p, i ? ",x" : "x");
	p = stpcpy(p, "\n1,2,\"open\nstill open\n");
	REQUIRE(csv_open(&x, t, (size_t)(p - t)) == 0);
	static const struct {
		int rc;
		size_t line;
		const char *err;
	} want[] = {
		{ -EINVAL, 2, "2 fields, the header has 3" },
		{ -EINVAL, 3, "4 fields, the header has 3" },
		{ -EINVAL, 4, "column 1: text after the closing quote" },
		{ -EINVAL, 5,
		    "column 1: quote inside an unquoted field (quote the field, double the quote)" },
		{ 1, 6, NULL },
		{ -EINVAL, 7, "more than 256 columns" },
		{ -EINVAL, 8,
		    "column 3: quoted field not closed (lines 8..9 read into it, none of them learned)" },
		{ 0, 8, NULL },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		x.err[0] = 0;
		int rc = lr_csv_next(&x.c, x.err, sizeof(x.err));
		CHECK_EQ_INT(rc, want[i].rc);
		CHECK_EQ_INT(x.c.recline, want[i].line);
		if (want[i].err)
			CHECK(lt_same(x.err, want[i].err));
	}
	CHECK_EQ_INT(x.c.lineno, 9);
	csv_close(&x);
	free(t);
}

/* A quoted field that never closes is given up after LR_CSV_MAX_RECORD
 * bytes; reading resumes on the line after. */
static void record_cap(void)
{
	struct csvfix x;
	lr_map_init(&x.map, abc, 3);
	size_t big = LR_CSV_MAX_RECORD + 10;
	char *t = malloc(big + 100);
	REQUIRE(t);
	char *p = stpcpy(t, "a,b,c\n\"");
	memset(p, 'x', big);
	p += big;
	p = stpcpy(p, "\nmore\"\n1,2,3\n");
	REQUIRE(csv_open(&x, t, (size_t)(p - t)) == 0);
	CHECK_EQ_INT(lr_csv_next(&x.c, x.err, sizeof(x.err)), -EINVAL);
	CHECK(lt_same(x.err, "column 1: quoted field not closed"));
	CHECK_EQ_INT(x.c.recline, 2);
	CHECK_EQ_INT(lr_csv_next(&x.c, x.err, sizeof(x.err)), -EINVAL);
	CHECK_EQ_INT(x.c.recline, 3); /* more" */
	CHECK_EQ_INT(lr_csv_next(&x.c, x.err, sizeof(x.err)), 1);
	CHECK_EQ_INT(x.c.recline, 4);
	CHECK(cell_is(&x.c, 2, "3"));
	csv_close(&x);
	free(t);
}

/* Through lr_read: the line a rejected record starts on, and counts. */
static void events(void)
{
	struct lr_options o;
	struct lr_log log;
	char *msgs;
	lr_options_init(&o);
	o.prog = "test";
	o.csv = true;
	const char *t = "user_id,entity_id,event_type,timestamp,note\r\n"
			"u1,e1,view,1767225600,\"two\r\nlines\"\r\n"
			"u2,e1,view,1767225600,\"a,\"\"b\"\"\"\r\n"
			"u2,e1,view\r\n"
			"\r\n"
			"u3,e1,\"vi\r\new\",1767225600,\r\n"
			"u3,e1,view,1767225600,x,y\r\n"
			",e1,view,1767225600,\r\n"
			"u4,e2,click,1767225600,\"open\r\n";
	CHECK_EQ_INT(lt_read(t, strlen(t), false, &o, &log, &msgs), 0);
	CHECK(lt_same(msgs,
	    "LOG:5: 3 fields, the header has 5\n"
	    "LOG:7: bad_type: event_type\n"
	    "LOG:9: 6 fields, the header has 5\n"
	    "LOG:10: missing_user: user_id\n"
	    "LOG:11: column 5: quoted field not closed\n"));
	CHECK_EQ_INT(log.ev.n, 2);
	CHECK_EQ_INT(log.users.n, 2);
	CHECK(!strcmp(lr_user_id(&log, 0), "u1"));
	CHECK(!strcmp(lr_user_id(&log, 1), "u2"));
	CHECK_EQ_INT(log.lines, 11);
	CHECK_EQ_INT(log.rejected_lines, 5);
	CHECK_EQ_INT(log.rejected[EVT_R_MALFORMED], 3);
	CHECK_EQ_INT(log.rejected[EVT_R_BAD_TYPE], 1);
	CHECK_EQ_INT(log.rejected[EVT_R_MISSING_USER], 1);
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

int main(void)
{
	quoting();
	header();
	broken();
	record_cap();
	events();
	return check_done("logread_csv");
}
