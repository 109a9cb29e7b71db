/* logread and a log's own conventions: verbs renamed (--type-map), text
 * times by a strptime format (--time-format), a CSV without a header row
 * (--columns); each with the garbage it refuses and the message it gives. */
#include <errno.h>
#include <string.h>

#include "logread_test.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

static void parse_time(void)
{
	static const struct {
		const char *fmt, *text;
		int rc;
		int64_t ms;
	} cases[] = {
		{ "%a %b %d %H:%M:%S %z %Y", "Thu Jan 01 00:00:00 +0000 2026",
		    0, T0 },
		{ "%a %b %d %H:%M:%S %z %Y", "Thu Jan 01 02:00:00 +0200 2026",
		    0, T0 },
		{ "%a %b %d %H:%M:%S %z %Y", "Wed Dec 31 19:00:00 -0500 2025",
		    0, T0 },
		{ "%Y-%m-%d %H:%M:%S", "2026-01-01 00:00:00", 0, T0 }, /* UTC */
		{ "%Y-%m-%d %H:%M:%S UTC", "2026-01-01 00:00:01 UTC", 0,
		    T0 + 1000 },
		{ "%Y-%m-%d", " 2026-01-02 ", 0, T0 + 86400000 }, /* blanks */
		{ "%d/%m/%Y %H:%M", "01/01/2026 00:30", 0, T0 + 1800000 },
		{ "%H:%M", "00:00", 0, 0 }, /* what the format lacks: 1970 */
		{ "%s", "1767225600", 0, T0 },
		{ "%Y-%m-%d %H:%M:%S.%f", "2026-01-01 00:00:01.5", 0,
		    T0 + 1500 },
		{ "%Y-%m-%d %H:%M:%S.%f", "2026-01-01 00:00:01.123999", 0,
		    T0 + 1123 }, /* kept to the ms */
		{ "%Y-%m-%dT%H:%M:%S.%f%z", "2026-01-01T01:00:00.25+0100", 0,
		    T0 + 250 },
		{ "%s.%f", "1767225600.04", 0, T0 + 40 },
		{ "%f", "7", 0, 700 },
		/* %p still reads with the %I before the fraction */
		{ "%m/%d/%Y %I:%M:%S.%f %p", "1/2/2024 1:30:00.123 PM", 0,
		    1704202200123LL },
		{ "%m/%d/%Y %I:%M:%S.%f %p", "1/2/2024 1:30:00.123 AM", 0,
		    1704202200123LL - 12 * 3600000LL },
		{ "%H%%f", "00%f", 0, 0 }, /* a literal %f is no fraction */
		{ "%Y%m%d", "20240102", 0, 1704153600000LL },
		{ "%Y-%m-%d %H:%M:%S.%f", "2026-01-01 00:00:01.", -EINVAL, 0 },
		/* a missing fraction is none (with its '.' or ',') */
		{ "%Y-%m-%d %H:%M:%S.%f", "2026-01-01 00:00:01", 0, T0 + 1000 },
		{ "%H:%M:%S,%f", "00:00:01", 0, 1000 },
		{ "%H:%M:%S,%f", "00:00:01,25", 0, 1250 },
		{ "%H:%M:%S,%f", "00:00:01,", -EINVAL, 0 },
		{ "%Y-%m-%d %H:%M:%S.%f UTC", "2026-01-01 00:00:01.5 GMT",
		    -EINVAL, 0 },
		{ "%Y-%m-%d %H:%M:%S", "2026-01-01 00:00:00x", -EINVAL, 0 },
		{ "%Y-%m-%d %H:%M:%S", "2026-01-01", -EINVAL, 0 },
		{ "%Y-%m-%d %H:%M:%S", "2026-13-01 00:00:00", -EINVAL, 0 },
		{ "%Y-%m-%d", "", -EINVAL, 0 },
		{ "%Y-%m-%d", "   ", -EINVAL, 0 },
		{ "%a %b %d %H:%M:%S %z %Y", "Thu Jan 01 00:00:00 +9999 2026",
		    -EINVAL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = -1;
		int rc = lr_parse_time(cases[i].fmt, cases[i].text,
		    strlen(cases[i].text), &ms);
		if (rc != cases[i].rc || (!rc && ms != cases[i].ms)) {
			fprintf(stderr,
			    "'%s' by '%s': %d %lld, wanted %d %lld\n",
			    cases[i].text, cases[i].fmt, rc, (long long)ms,
			    cases[i].rc, (long long)cases[i].ms);
			check_failures++;
		}
	}
	char big[300];
	memset(big, '1', sizeof(big));
	int64_t ms;
	CHECK_EQ_INT(lr_parse_time("%s", big, sizeof(big), &ms), -EINVAL);
	/* the text is a slice: bytes after len are not read */
	CHECK_EQ_INT(lr_parse_time("%Y-%m-%d", "2026-01-01garbage", 10, &ms),
	    0);
	CHECK_EQ_INT(ms, T0);
}

static char *add_msgs(struct lr_options *o, const char *spec, int want)
{
	struct lt_msgs m;
	lt_msgs_open(&m);
	CHECK_EQ_INT(lr_type_map_add(o, spec, "--type-map", m.f), want);
	char *t = strdup(lt_msgs_text(&m));
	lt_msgs_close(&m);
	return t;
}

static void type_map_parse(void)
{
	struct lr_options o;
	lr_options_init(&o);
	o.prog = "P";
	char *t = add_msgs(&o, "pv=view, buy = purchase ,FAV=save", 0);
	CHECK(lt_same(t, ""));
	free(t);
	CHECK_EQ_INT(o.ntype_map, 3);
	CHECK(!strcmp(o.type_from[1], "buy") &&
	    !strcmp(o.type_to[1], "purchase"));
	CHECK(!strcmp(o.type_from[2], "FAV"));
	/* a FROM named again (any case) takes the later TO */
	t = add_msgs(&o, "Pv=click", 0);
	free(t);
	CHECK_EQ_INT(o.ntype_map, 3);
	CHECK(!strcmp(o.type_to[0], "click"));
	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{ "pv", "P: --type-map: 'pv' is not FROM=TO\n" },
		{ "pv=view,,", "P: --type-map: '' is not FROM=TO\n" },
		{ "=view", "P: --type-map: '=view' has no FROM\n" },
		{ "pv= ", "P: --type-map: 'pv= ' has no TO\n" },
		{ "", "P: --type-map: '' is not FROM=TO\n" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = add_msgs(&o, bad[i].spec, -EINVAL);
		CHECK(lt_same(t, bad[i].msg));
		free(t);
	}
	/* bounded: renames past LR_TYPE_MAP_MAX are refused, not dropped */
	char spec[2048];
	size_t at = 0;
	for (int i = 0; i < LR_TYPE_MAP_MAX; i++)
		at += (size_t)snprintf(spec + at, sizeof(spec) - at,
		    "%sv%d=view", i ? "," : "", i);
	t = add_msgs(&o, spec, -EINVAL);
	CHECK(lt_same(t, "P: --type-map: more than 32 verb renames\n"));
	free(t);
	CHECK_EQ_INT(o.ntype_map, LR_TYPE_MAP_MAX);
	lr_options_free(&o);
	CHECK_EQ_INT(o.ntype_map, 0);
}

/* Renames apply to JSON lines and CSV alike; an unrenamed unknown verb is
 * still a bad_type. */
static void type_map_read(void)
{
	struct lr_options o;
	struct lr_log log;
	char *msgs;
	lr_options_init(&o);
	CHECK_EQ_INT(lr_type_map_add(&o, "pv=view,buy=purchase", "f", NULL), 0);
	const char *json =
	    "{\"user_id\":\"u\",\"event_type\":\"PV\",\"entity_id\":\"e\","
	    "\"timestamp\":1767225600000}\n"
	    "{\"user_id\":\"u\",\"event_type\":\" buy \",\"entity_id\":\"e\","
	    "\"timestamp\":1767225600000}\n"
	    "{\"user_id\":\"u\",\"event_type\":\"fav\",\"entity_id\":\"e\","
	    "\"timestamp\":1767225600000}\n";
	CHECK_EQ_INT(lt_read(json, strlen(json), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 2);
	CHECK_EQ_INT(lr_event(&log, 0)->type, EVT_VIEW);
	CHECK_EQ_INT(lr_event(&log, 1)->type, EVT_PURCHASE);
	CHECK(lt_same(msgs, "LOG:3: bad_type: event_type\n"));
	free(msgs);
	lr_log_free(&log);

	o.csv = true;
	o.type = "pv"; /* the default type is renamed too */
	const char *csv = "user_id,entity_id,event_type,timestamp\n"
			  "u,e,buy,1767225600\n"
			  "u,e,,1767225600\n";
	CHECK_EQ_INT(lt_read(csv, strlen(csv), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 2);
	CHECK_EQ_INT(lr_event(&log, 0)->type, EVT_PURCHASE);
	CHECK_EQ_INT(lr_event(&log, 1)->type, EVT_VIEW);
	CHECK(lt_same(msgs, ""));
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

static void time_format_read(void)
{
	struct lr_options o;
	struct lr_log log;
	char *msgs;
	lr_options_init(&o);
	o.csv = true;
	o.time_format = "%a %b %d %H:%M:%S %z %Y";
	const char *csv = "user_id,entity_id,event_type,timestamp\n"
			  "u,e,view,Thu Jan 01 01:00:00 +0100 2026\n"
			  "u,e,view,2026-01-01T00:00:00Z\n"
			  "u,e,view,1767225600\n";
	CHECK_EQ_INT(lt_read(csv, strlen(csv), false, &o, &log, &msgs), 0);
	/* with a format every cell is read by it: RFC 3339 text and a
	 * number of seconds are not this format */
	CHECK_EQ_INT(log.ev.n, 1);
	CHECK_EQ_INT(lr_event(&log, 0)->time_ms, T0);
	CHECK(lt_same(msgs,
	    "LOG:3: bad_time: timestamp '2026-01-01T00:00:00Z' (not %a %b %d "
	    "%H:%M:%S %z %Y)\n"
	    "LOG:4: bad_time: timestamp '1767225600' (not %a %b %d %H:%M:%S "
	    "%z %Y)\n"));
	free(msgs);
	lr_log_free(&log);
	/* with a format, an all-digit cell is read by it, not as a number
	 * of --time-unit */
	o.time_format = "%Y%m%d";
	const char *digits = "user_id,entity_id,event_type,timestamp\n"
			     "u,e,view,20260101\n";
	CHECK_EQ_INT(lt_read(digits, strlen(digits), false, &o, &log, &msgs),
	    0);
	CHECK_EQ_INT(log.ev.n, 1);
	CHECK_EQ_INT(log.ev.n ? lr_event(&log, 0)->time_ms : 0, T0);
	CHECK(lt_same(msgs, ""));
	free(msgs);
	lr_log_free(&log);
	/* JSON lines: a text timestamp too */
	o.csv = false;
	o.time_format = "%Y-%m-%d %H:%M:%S";
	const char *json = "{\"user_id\":\"u\",\"event_type\":\"view\","
			   "\"entity_id\":\"e\",\"timestamp\":\"2026-01-01 "
			   "00:00:02\"}\n";
	CHECK_EQ_INT(lt_read(json, strlen(json), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 1);
	CHECK_EQ_INT(lr_event(&log, 0)->time_ms, T0 + 2000);
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

static void columns(void)
{
	struct lr_options o;
	struct lr_log log;
	char *msgs;
	lr_options_init(&o);
	o.csv = true;
	o.columns = "who,item,cat,what,ts";
	CHECK_EQ_INT(lr_map_parse(&o.map,
			 "user_id=who,entity_id=item,event_type=what,"
			 "timestamp=ts",
			 "P", "--map", NULL),
	    0);
	const char *csv = "1,2268318,2520377,view,1767225600\n"
			  "1,2333346,2520771,click,1767225601\n"
			  "1,2333346,click,1767225601\n";
	CHECK_EQ_INT(lt_read(csv, strlen(csv), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 2); /* the first line is data */
	CHECK_EQ_INT(lr_event(&log, 1)->type, EVT_CLICK);
	CHECK_EQ_INT(lr_event(&log, 1)->time_ms, T0 + 1000);
	CHECK(lt_same(msgs, "LOG:3: 4 fields, --columns names 5\n"));
	free(msgs);
	lr_log_free(&log);
	/* a mapped column the list lacks, an empty name */
	o.columns = "who,item,what";
	CHECK_EQ_INT(lt_read(csv, strlen(csv), false, &o, &log, &msgs),
	    -EINVAL);
	CHECK(lt_same(msgs,
	    "LOG: no column 'ts' (for timestamp) in --columns\n"));
	free(msgs);
	lr_log_free(&log);
	/* a list without the user's column: refused once, not row by row */
	lr_map_free(&o.map);
	CHECK_EQ_INT(lr_map_parse(&o.map,
			 "entity_id=item,event_type=what,timestamp=ts", "P",
			 "--map", NULL),
	    0);
	o.columns = "who,item,cat,what,ts";
	CHECK_EQ_INT(lt_read(csv, strlen(csv), false, &o, &log, &msgs),
	    -EINVAL);
	CHECK(lt_same(msgs,
	    "LOG: no column for user_id in --columns (who, item, cat, what, ts): every row would be refused; name it with --map user_id=COLUMN\n"));
	free(msgs);
	lr_log_free(&log);
	o.columns = "who,,item";
	CHECK_EQ_INT(lt_read(csv, strlen(csv), false, &o, &log, &msgs),
	    -EINVAL);
	CHECK(lt_same(msgs,
	    "LOG: --columns: an empty column name in 'who,,item'\n"));
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

/* --sep: any one byte; a tab means tab-separated values (quotes are
 * text); a row of one field where more were expected names the
 * separator the row seems to use. */
static void separators(void)
{
	struct lr_options o;
	struct lr_log log;
	char *msgs;
	lr_options_init(&o);
	o.csv = true;
	o.sep = ';';
	const char *semi = "user_id;entity_id;event_type;timestamp\n"
			   "u;\"e;1\";view;1767225600\n"
			   "u,e,view,1767225600\n";
	CHECK_EQ_INT(lt_read(semi, strlen(semi), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 1);
	CHECK(lt_same(msgs,
	    "LOG:3: 1 field, the header has 4 (no ';' in it, but a ',': try "
	    "--sep ',')\n"));
	free(msgs);
	lr_log_free(&log);

	/* tab: quotes are text, a headerless file says --columns */
	o.sep = '\t';
	o.columns = "user_id,entity_id,event_type,timestamp";
	const char *tsv = "u\tSong \"Live\"\tview\t1767225600\n"
			  "u\tx\"\tview\t1767225601\n"
			  "u;e;view;1767225600\n";
	CHECK_EQ_INT(lt_read(tsv, strlen(tsv), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 2);
	CHECK(lt_same(msgs,
	    "LOG:3: 1 field, --columns names 4 (no tab in it, but a ';': try "
	    "--sep ';')\n"));
	free(msgs);
	lr_log_free(&log);

	/* the default ',' on a tab-separated file: every row says --sep tab,
	 * and a header of one column too */
	o.sep = ',';
	CHECK_EQ_INT(lt_read(tsv, strlen(tsv), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 0);
	CHECK(lt_same(msgs,
	    "LOG:1: column 1: quote inside an unquoted field (quote the "
	    "field, double the quote) (no ',' in it, but a tab: try --sep "
	    "tab)\n"
	    "LOG:2: column 1: quote inside an unquoted field (quote the "
	    "field, double the quote) (no ',' in it, but a tab: try --sep "
	    "tab)\n"
	    "LOG:3: 1 field, --columns names 4 (no ',' in it, but a ';': try "
	    "--sep ';')\n"));
	free(msgs);
	lr_log_free(&log);
	o.columns = NULL;
	CHECK_EQ_INT(lr_map_parse(&o.map, "user_id=who", "P", "--map", NULL),
	    0);
	const char *th = "who\tentity_id\n1\t2\n";
	CHECK_EQ_INT(lt_read(th, strlen(th), false, &o, &log, &msgs), -EINVAL);
	CHECK(lt_same(msgs,
	    "LOG:1: no column 'who' (for user_id) in the header (no ',' in "
	    "it, but a tab: try --sep tab)\n"));
	free(msgs);
	lr_log_free(&log);
	/* one field with no other separator in it */
	o.sep = '|';
	const char *one = "who|entity_id|event_type|timestamp\nlonely\n";
	CHECK_EQ_INT(lt_read(one, strlen(one), false, &o, &log, &msgs), 0);
	CHECK(lt_same(msgs,
	    "LOG:2: 1 field, the header has 4 (no '|' in it: another "
	    "separator? see --sep)\n"));
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

/* ISO 8601 offsets without a colon; times with no offset only when the
 * user says how to read them; a bad_time names the value, escaped. */
static void iso_times(void)
{
	struct lr_options o;
	struct lr_log log;
	char *msgs;
	lr_options_init(&o);
	o.csv = true;
	const char *csv =
	    "user_id,entity_id,event_type,timestamp\n"
	    "u,e,view,2026-01-01T01:00:00+0100\n"
	    "u,e,view,2026-01-01 01:00:00.5 +01\n"
	    "u,e,view,2025-12-31T19:00:00-05:00\n"
	    "u,e,view,2026-01-01T00:00:00\n"
	    "u,e,view,\"tomorrow\x01 at noon, or maybe the day after "
	    "that\"\n";
	CHECK_EQ_INT(lt_read(csv, strlen(csv), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 3);
	CHECK_EQ_INT(lr_event(&log, 0)->time_ms, T0);
	CHECK_EQ_INT(lr_event(&log, 0)->tz_offset_min, 60);
	CHECK_EQ_INT(lr_event(&log, 1)->time_ms, T0 + 500);
	CHECK_EQ_INT(lr_event(&log, 2)->tz_offset_min, -300);
	CHECK(lt_same(msgs,
	    "LOG:5: bad_time: timestamp '2026-01-01T00:00:00' has no UTC "
	    "offset: say how to read such times (--tz-offset MINUTES, or "
	    "--assume-utc)\n"
	    "LOG:6: bad_time: timestamp 'tomorrow\\x01 at noon, or maybe the day "
	    "afte...' is not RFC 3339 (expected four-digit year) (name the log's "
	    "format: --time-format '%Y-%m-%d %H:%M:%S', or --time-unit s|ms "
	    "for numbers)\n"));
	free(msgs);
	lr_log_free(&log);
	/* UTC+02:00 for times without a zone, ISO and --time-format alike */
	o.assume_tz = true;
	o.tz_min = 120;
	CHECK_EQ_INT(lt_read(csv, strlen(csv), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 4);
	CHECK_EQ_INT(lr_event(&log, 3)->time_ms, T0 - 7200000);
	CHECK_EQ_INT(lr_event(&log, 3)->tz_offset_min, 120);
	free(msgs);
	lr_log_free(&log);
	o.time_format = "%Y-%m-%d %H:%M";
	const char *f = "user_id,entity_id,event_type,timestamp\n"
			"u,e,view,2026-01-01 02:00\n";
	CHECK_EQ_INT(lt_read(f, strlen(f), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 1);
	CHECK_EQ_INT(log.ev.n ? lr_event(&log, 0)->time_ms : 0, T0);
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

/* A file of bad lines prints the first max_shown, then one line for the
 * rest; the counts stay exact. 0 prints them all. */
static void shown_cap(void)
{
	struct lr_options o;
	struct lr_log log;
	char *msgs;
	lr_options_init(&o);
	CHECK_EQ_INT(o.max_shown, LR_SHOWN_REJECTS);
	o.csv = true;
	char text[4096] = "user_id,entity_id,event_type,timestamp\n";
	for (int i = 0; i < 25; i++)
		strcat(text, "u\te\tview\t1767225600\n");
	strcat(text, "u,e,view,1767225600\n");
	CHECK_EQ_INT(lt_read(text, strlen(text), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.rejected_lines, 25);
	CHECK_EQ_INT(log.rejected[EVT_R_MALFORMED], 25);
	CHECK_EQ_INT(log.ev.n, 1);
	size_t lines = 0;
	for (const char *p = msgs; *p; p++)
		lines += *p == '\n';
	CHECK_EQ_INT(lines, LR_SHOWN_REJECTS + 1);
	CHECK(strstr(msgs, "LOG:21: 1 field") && !strstr(msgs, "LOG:22:"));
	CHECK(strstr(msgs,
	    "\nLOG: 5 more rejected lines not shown (the first 20 are; counts "
	    "are exact)\n"));
	free(msgs);
	lr_log_free(&log);
	o.max_shown = 0;
	CHECK_EQ_INT(lt_read(text, strlen(text), false, &o, &log, &msgs), 0);
	CHECK(strstr(msgs, "LOG:26: 1 field") && !strstr(msgs, "not shown"));
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

int main(void)
{
	parse_time();
	type_map_parse();
	type_map_read();
	time_format_read();
	columns();
	separators();
	shown_cap();
	iso_times();
	return check_done("logread_adapt");
}
