/* logread JSON lines: garbage lines reported on the right line with their
 * reason and counted, blank lines and CRLF, records as evt_build makes
 * them, users in order of first appearance, a second file appended, the
 * event cap, progress calls, and a file that cannot be opened. */
#include <errno.h>
#include <string.h>

#include "ipc/json.h"
#include "logread_test.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

static const char log1[] =
    "{\"user_id\":\"u1\",\"event_type\":\"view\",\"entity_id\":\"e1\",\"timestamp\":1767225600000}\n"
    "this is not json\n"
    "\n"
    "   \t\n"
    "{\"userId\":\"u2\",\"eventType\":\"click\",\"entityId\":\"e2\",\"timestamp\":\"2026-01-01T00:00:05Z\"}\r\n"
    "{\"user_id\":\"u9\"}\n"
    "[1,2]\n"
    "{\"user_id\":\"u1\",\"event_type\":\"view\",\"entity_id\":\"e1\",\"timestamp\":\"2026-13-45T00:00:00Z\"}\n"
    "{\"user_id\":\"u1\",\"event_type\":\"view\",\"entity_id\":\"e1\",\"timestamp\":1767225600000,\"dwell_ms\":\"long\"}\n"
    "{\"user_id\":\"u1\",\"event_type\":\"rsvp\",\"entity_id\":\"e3\",\"timestamp\":1767225590}\n"
    "{\"user_id\":\"u1\",\"event_type\":\"view\"";

/* The same line through json_event_input + evt_build, as a live producer
 * would build it. */
static void built(const char *line, struct evt_record *rec)
{
	struct json_tok toks[64];
	char scratch[512], err[256];
	struct json_work w;
	struct evt_input in;
	const char *field;
	json_work_init(&w, toks, 64, scratch, sizeof(scratch));
	REQUIRE(json_event_input(line, strlen(line), &w, &in, err,
		    sizeof(err)) == EVT_OK);
	REQUIRE(evt_build(&in, NULL, rec, &field) == EVT_OK);
}

static void garbage(void)
{
	struct lr_options o;
	struct lr_log log;
	char *msgs;
	lr_options_init(&o);
	o.prog = "test";
	CHECK_EQ_INT(lt_read(log1, strlen(log1), false, &o, &log, &msgs), 0);
	CHECK(lt_same(msgs,
	    "LOG:2: malformed: byte 0: expected a value (true, false, null, a number, a string, an array or an object), got 't'\n"
	    "LOG:6: missing_type: event_type\n"
	    "LOG:7: not_map: byte 0: expected an object, got array\n"
	    "LOG:8: bad_time: timestamp '2026-13-45T00:00:00Z' is not RFC "
	    "3339 (month out of range) (name the log's format: --time-format "
	    "'%Y-%m-%d %H:%M:%S')\n"
	    "LOG:9: bad_field_type: dwell_ms\n"
	    "LOG:11: malformed: byte 35: expected ',' or '}' in an object, got end of input\n"));
	CHECK_EQ_INT(log.lines, 11);
	CHECK_EQ_INT(log.rejected_lines, 6);
	CHECK_EQ_INT(log.rejected[EVT_R_MALFORMED], 2);
	CHECK_EQ_INT(log.rejected[EVT_R_MISSING_TYPE], 1);
	CHECK_EQ_INT(log.rejected[EVT_R_NOT_MAP], 1);
	CHECK_EQ_INT(log.rejected[EVT_R_BAD_TIME], 1);
	CHECK_EQ_INT(log.rejected[EVT_R_BAD_FIELD_TYPE], 1);

	/* accepted: lines 1, 5 and 10, in input order (not time order) */
	REQUIRE(log.ev.n == 3);
	CHECK_EQ_INT(lr_event(&log, 0)->time_ms, T0);
	CHECK_EQ_INT(lr_event(&log, 1)->time_ms, T0 + 5000);
	CHECK_EQ_INT(lr_event(&log, 2)->time_ms, T0 - 10000);
	CHECK_EQ_INT(lr_event(&log, 2)->type, EVT_RSVP);
	CHECK_EQ_INT(log.t_last, T0 + 5000);
	struct evt_record want;
	built(
	    "{\"userId\":\"u2\",\"eventType\":\"click\",\"entityId\":\"e2\",\"timestamp\":\"2026-01-01T00:00:05Z\"}",
	    &want);
	CHECK(!memcmp(lr_event(&log, 1), &want, sizeof(want)));

	/* users: the users of accepted events only, first appearance */
	REQUIRE(log.users.n == 2);
	CHECK(!strcmp(lr_user_id(&log, 0), "u1"));
	CHECK(!strcmp(lr_user_id(&log, 1), "u2"));
	CHECK(log.users.v[0].key == evt_user_key(NULL, "u1", 2));
	CHECK(log.users.v[1].key == lr_event(&log, 1)->user_key);
	free(msgs);

	/* a second file appends; its line numbers start at 1 again */
	char path[4096];
	struct lt_msgs m;
	const char *more =
	    "oops\n{\"user_id\":\"u3\",\"event_type\":\"save\",\"entity_id\":\"e1\",\"timestamp\":1767225700000}\n";
	lt_file(path, sizeof(path), more, strlen(more), false);
	lt_msgs_open(&m);
	o.msg = m.f;
	CHECK_EQ_INT(lr_read(&log, path, &o), 0);
	CHECK(strncmp(lt_msgs_text(&m), path, strlen(path)) == 0 &&
	    !strncmp(lt_msgs_text(&m) + strlen(path), ":1: malformed: ", 15));
	CHECK_EQ_INT(log.ev.n, 4);
	CHECK_EQ_INT(log.users.n, 3);
	CHECK(!strcmp(lr_user_id(&log, 2), "u3"));
	CHECK_EQ_INT(log.lines, 13);
	CHECK_EQ_INT(log.rejected_lines, 7);
	CHECK_EQ_INT(log.t_last, T0 + 100000);
	lt_msgs_close(&m);
	unlink(path);
	lr_log_free(&log);
	lr_log_free(&log); /* safe twice */
	CHECK_EQ_INT(log.ev.n, 0);
	lr_options_free(&o);
}

/* More events than max_events: -E2BIG, nothing printed, the log holds
 * the first max_events. */
static void cap(void)
{
	struct lr_options o;
	struct lr_log log;
	char *msgs;
	lr_options_init(&o);
	o.max_events = 1;
	CHECK_EQ_INT(lt_read(log1, strlen(log1), false, &o, &log, &msgs),
	    -E2BIG);
	CHECK(lt_same(msgs,
	    "LOG:2: malformed: byte 0: expected a value (true, false, null, a number, a string, an array or an object), got 't'\n"));
	CHECK_EQ_INT(log.ev.n, 1);
	CHECK_EQ_INT(log.lines, 5);
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

struct calls {
	unsigned n;
	uint64_t lines[4], events[4], rejected[4];
};

static void on_progress(void *arg, uint64_t lines, uint64_t events,
    uint64_t rejected)
{
	struct calls *c = arg;
	if (c->n < 4) {
		c->lines[c->n] = lines;
		c->events[c->n] = events;
		c->rejected[c->n] = rejected;
	}
	c->n++;
}

/* Every LR_PROGRESS_LINES lines, JSON and CSV alike. */
static void progress(void)
{
	const char *ev =
	    "{\"user_id\":\"u\",\"event_type\":\"view\",\"entity_id\":\"e\",\"timestamp\":1767225600000}\n";
	size_t n = 2 * LR_PROGRESS_LINES + 7, len = strlen(ev);
	char *t = malloc(n * len + 1), *p = t;
	REQUIRE(t);
	for (size_t i = 0; i < n; i++)
		p = stpcpy(p, i == 3 ? "x\n" : ev);
	struct lr_options o;
	struct lr_log log;
	struct calls c = { 0 };
	char *msgs;
	lr_options_init(&o);
	o.progress = on_progress;
	o.progress_arg = &c;
	CHECK_EQ_INT(lt_read(t, (size_t)(p - t), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(c.n, 2);
	CHECK_EQ_INT(c.lines[0], LR_PROGRESS_LINES);
	CHECK_EQ_INT(c.events[0], LR_PROGRESS_LINES - 2); /* before line */
	CHECK_EQ_INT(c.rejected[0], 1);
	CHECK_EQ_INT(c.lines[1], 2 * LR_PROGRESS_LINES);
	CHECK_EQ_INT(log.ev.n, n - 1);
	free(msgs);
	lr_log_free(&log);

	/* CSV: the header is a line too */
	p = stpcpy(t, "user_id,entity_id,event_type,timestamp\n");
	for (size_t i = 1; i < n; i++)
		p = stpcpy(p, "u,e,view,1767225600\n");
	o.csv = true;
	c.n = 0;
	CHECK_EQ_INT(lt_read(t, (size_t)(p - t), false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(c.n, 2);
	CHECK_EQ_INT(c.lines[0], LR_PROGRESS_LINES);
	CHECK_EQ_INT(c.events[0], LR_PROGRESS_LINES - 2);
	CHECK_EQ_INT(log.ev.n, n - 1);
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
	free(t);
}

static void cannot_open(void)
{
	struct lr_options o;
	struct lr_log log = { 0 };
	struct lt_msgs m;
	lr_options_init(&o);
	o.prog = "test";
	lt_msgs_open(&m);
	o.msg = m.f;
	CHECK_EQ_INT(lr_read(&log, "/nonexistent/log.jsonl", &o), -ENOENT);
	CHECK(lt_same(lt_msgs_text(&m),
	    "test: cannot open /nonexistent/log.jsonl: No such file or directory\n"));
	lt_msgs_close(&m);
	lr_log_free(&log);
	lr_options_free(&o);
}

int main(void)
{
	garbage();
	cap();
	progress();
	cannot_open();
	return check_done("logread_json");
}
