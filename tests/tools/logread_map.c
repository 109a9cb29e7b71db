/* logread column mapping: FIELD=COLUMN specs and their errors, a spec
 * given twice, explicit columns that must exist, default column names,
 * numeric cells and the field a bad one names, feedback numbers, the
 * rating rule and the default event type. */
#include <errno.h>
#include <string.h>

#include "logread_test.h"

static void parse(void)
{
	struct lr_map m;
	struct lt_msgs msg;
	lr_map_init(&m, lr_event_fields, LR_F_COUNT);
	lt_msgs_open(&msg);
	CHECK_EQ_INT(lr_map_parse(&m, "user_id=who,timestamp=when", "p",
			 "--map", msg.f),
	    0);
	CHECK(!strcmp(m.col[LR_F_USER], "who") && m.explicit_[LR_F_USER]);
	CHECK(!strcmp(m.col[LR_F_TIME], "when"));
	CHECK(!m.col[LR_F_ENTITY] && !m.explicit_[LR_F_ENTITY]);
	/* a second spec adds to the first; the names of the first stay */
	CHECK_EQ_INT(lr_map_parse(&m, "entity_id=item,timestamp=t2", "p",
			 "--map", msg.f),
	    0);
	CHECK(!strcmp(m.col[LR_F_USER], "who"));
	CHECK(!strcmp(m.col[LR_F_ENTITY], "item"));
	CHECK(!strcmp(m.col[LR_F_TIME], "t2"));
	CHECK_EQ_INT(lr_map_set(&m, LR_F_RATING, "stars"), 0);
	CHECK(!strcmp(m.col[LR_F_RATING], "stars"));
	CHECK(lt_same(lt_msgs_text(&msg), ""));

	static const char *const bad[] = { "user_id", "=x",
		"user_id=", "user_id=a,bogus=b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_INT(lr_map_parse(&m, bad[i], "p", "--map", msg.f),
		    -EINVAL);
	CHECK(lt_same(lt_msgs_text(&msg),
	    "p: --map: 'user_id' is not FIELD=COLUMN\n"
	    "p: --map: '=x' is not FIELD=COLUMN\n"
	    "p: --map: 'user_id=' is not FIELD=COLUMN\n"
	    "p: --map: unknown field 'bogus'; fields: user_id entity_id event_type timestamp session_id entity_type device platform weather social rec_type position dwell_ms scroll_depth feedback query tz_offset lat lon rating\n"));
	/* fields before the bad one are set */
	CHECK(!strcmp(m.col[LR_F_USER], "a"));
	lr_map_free(&m);
	CHECK(!m.col[LR_F_USER] && !m.explicit_[LR_F_USER]);
	CHECK_EQ_INT(m.n, LR_F_COUNT);
	lr_map_free(&m);
	lt_msgs_close(&msg);
}

/* Reads text as CSV with o; returns the messages (free them). */
static char *read_csv(struct lr_options *o, const char *text,
    struct lr_log *log, int want_rc)
{
	char *msgs;
	o->csv = true;
	CHECK_EQ_INT(lt_read(text, strlen(text), false, o, log, &msgs),
	    want_rc);
	return msgs;
}

static void columns(void)
{
	struct lr_options o;
	struct lr_log log;
	lr_options_init(&o);
	/* explicitly mapped, absent: the header is refused */
	REQUIRE(lr_map_parse(&o.map, "user_id=who", "p", "--map", NULL) == 0);
	char *m = read_csv(&o,
	    "userId,entity_id,event_type,timestamp\n"
	    "u1,e1,view,1767225600\n",
	    &log, -EINVAL);
	CHECK(
	    lt_same(m, "LOG:1: no column 'who' (for user_id) in the header\n"));
	CHECK_EQ_INT(log.ev.n, 0);
	free(m);
	lr_log_free(&log);
	lr_options_free(&o);

	/* not mapped, absent, needed by every row (user, time, type): the
	 * header is refused with its columns, not each row */
	lr_options_init(&o);
	m = read_csv(&o,
	    "userId,entity_id,event_type,timestamp\n"
	    "u1,e1,view,1767225600\n",
	    &log, -EINVAL);
	CHECK(lt_same(m,
	    "LOG:1: no column for user_id in the header (userId, entity_id, event_type, timestamp): every row would be refused; name it with --map user_id=COLUMN\n"));
	CHECK_EQ_INT(log.ev.n, 0);
	free(m);
	lr_log_free(&log);
	m = read_csv(&o, "user_id,entity_id,event_type,ts\nu1,e1,view,1\n",
	    &log, -EINVAL);
	CHECK(lt_same(m,
	    "LOG:1: no column for timestamp in the header (user_id, entity_id, event_type, ts): every row would be refused; name it with --map timestamp=COLUMN\n"));
	free(m);
	lr_log_free(&log);
	m = read_csv(&o, "user_id,entity_id,timestamp\nu1,e1,1767225600\n",
	    &log, -EINVAL);
	CHECK(lt_same(m,
	    "LOG:1: no column for event_type in the header (user_id, entity_id, timestamp): every row would be refused; name it with --map event_type=COLUMN, or give --type TYPE or --rating COLUMN\n"));
	free(m);
	lr_log_free(&log);
	/* the type from --type, or from a rating column: accepted */
	o.type = "view";
	m = read_csv(&o, "user_id,entity_id,timestamp\nu1,e1,1767225600\n",
	    &log, 0);
	CHECK(lt_same(m, ""));
	CHECK_EQ_INT(log.ev.n, 1);
	free(m);
	lr_log_free(&log);
	o.type = NULL;
	m = read_csv(&o,
	    "user_id,entity_id,timestamp,rating\nu1,e1,1767225600,5\n", &log,
	    0);
	CHECK(lt_same(m, ""));
	CHECK_EQ_INT(log.ev.n, 1);
	free(m);
	lr_log_free(&log);
	/* a column the map reads, named twice: refused; an unread one twice
	 * is fine */
	m = read_csv(&o,
	    "user_id,entity_id,event_type,timestamp,user_id\n"
	    "u1,e1,view,1767225600,u2\n",
	    &log, -EINVAL);
	CHECK(lt_same(m,
	    "LOG:1: column 'user_id' (for user_id) named twice in the header (columns 1 and 5); rename one or name the columns with --columns\n"));
	free(m);
	lr_log_free(&log);
	m = read_csv(&o,
	    "user_id,x,entity_id,event_type,timestamp,x\n"
	    "u1,a,e1,view,1767225600,b\n",
	    &log, 0);
	CHECK(lt_same(m, ""));
	CHECK_EQ_INT(log.ev.n, 1);
	free(m);
	lr_log_free(&log);
	/* a long header is cut in the message */
	m = read_csv(&o,
	    "entity_id,event_type,timestamp,"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,"
	    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n"
	    "e1,view,1767225600,a,b,c\n",
	    &log, -EINVAL);
	CHECK(strstr(m, "bbbbbbbbbb") && strstr(m, "...): every row"));
	CHECK(!strstr(m, "cccccccccccccccccccccccccc"));
	free(m);
	lr_log_free(&log);

	/* default names, columns in any order, extra columns ignored */
	m = read_csv(&o,
	    "x,timestamp,event_type,entity_id,user_id\n"
	    "1,1767225600,view,e1,u1\n",
	    &log, 0);
	CHECK(lt_same(m, ""));
	CHECK_EQ_INT(log.ev.n, 1);
	CHECK(log.ev.n == 1 &&
	    lr_event(&log, 0)->user_key == evt_user_key(NULL, "u1", 2) &&
	    lr_event(&log, 0)->entity_key == evt_entity_key("e1", 2));
	free(m);
	lr_log_free(&log);
	lr_options_free(&o);
}

static void numbers(void)
{
	struct lr_options o;
	struct lr_log log;
	lr_options_init(&o);
	lr_map_set(&o.map, LR_F_RATING, "stars");
	const char *t =
	    "user_id,entity_id,event_type,timestamp,position,dwell_ms,scroll_depth,tz_offset,lat,lon,feedback,stars\n"
	    "u1,e1,view,1767225600, 3 ,\t1500,0.5,60,48.1,11.5,,\n"
	    "u1,e1,view,1767225600,x,,,,,,,\n"
	    "u1,e1,view,1767225600,1,nope,,,,,,zz\n"
	    "u1,e1,view,1767225600,,,,,,1e999,,\n"
	    "u1,e1,view,1767225600,,,,,,,,zz\n"
	    "u1,e1,feedback,1767225600,,,,,,,-2,\n"
	    "u1,e1,feedback,1767225600,,,,,,,thumbs_up,\n"
	    "u1,e1,feedback,1767225600,,,,,,,meh,\n"
	    "u1,e1,view,1767225600,,,,,48.1,,,\n";
	char *m = read_csv(&o, t, &log, 0);
	CHECK(lt_same(m,
	    "LOG:3: bad_number: position\n"
	    "LOG:4: bad_number: dwell_ms\n"
	    "LOG:5: bad_number: lon\n"
	    "LOG:6: bad_number: rating\n"
	    "LOG:9: bad_feedback: feedback_type\n"
	    "LOG:10: bad_location: lon\n"));
	CHECK_EQ_INT(log.rejected[EVT_R_BAD_NUMBER], 4);
	REQUIRE(log.ev.n == 3);
	const struct evt_record *r = lr_event(&log, 0);
	CHECK_EQ_INT(r->position, 3);
	CHECK_EQ_INT(r->dwell_ms, 1500);
	CHECK_NEAR(r->scroll_depth, 0.5, 1e-6);
	CHECK_EQ_INT(r->tz_offset_min, 60);
	CHECK(r->geo_cell != 0);
	CHECK_EQ_INT(lr_event(&log, 1)->feedback, -1);
	CHECK_EQ_INT(lr_event(&log, 2)->feedback, 1);
	free(m);
	lr_log_free(&log);
	lr_options_free(&o);
}

static void rating(void)
{
	struct lr_options o;
	struct lr_log log;
	lr_options_init(&o);
	lr_map_set(&o.map, LR_F_RATING, "rating");
	o.type = "save";
	const char *t = "user_id,entity_id,event_type,timestamp,rating\n"
			"u,e,click,1767225600,4\n"
			"u,e,click,1767225600,2.5\n"
			"u,e,click,1767225600,3\n"
			"u,e,click,1767225600,\n"
			"u,e,,1767225600,\n"
			"u,e,,1767225600,5\n";
	char *m = read_csv(&o, t, &log, 0);
	CHECK(lt_same(m, ""));
	REQUIRE(log.ev.n == 6);
	static const struct {
		int type, feedback;
	} want[] = {
		{ EVT_FEEDBACK, 1 },  /* >= 4 */
		{ EVT_FEEDBACK, -1 }, /* <= 2.5 */
		{ EVT_VIEW, 0 },      /* between */
		{ EVT_CLICK, 0 },     /* empty rating: event_type */
		{ EVT_SAVE, 0 },      /* no event_type: --type */
		{ EVT_FEEDBACK, 1 },
	};
	for (size_t i = 0; i < 6; i++) {
		CHECK_EQ_INT(lr_event(&log, i)->type, want[i].type);
		CHECK_EQ_INT(lr_event(&log, i)->feedback, want[i].feedback);
	}
	free(m);
	lr_log_free(&log);

	/* other thresholds */
	o.rating_pos = 3;
	o.rating_neg = 1;
	m = read_csv(&o, t, &log, 0);
	REQUIRE(log.ev.n == 6);
	CHECK_EQ_INT(lr_event(&log, 1)->type, EVT_VIEW);
	CHECK_EQ_INT(lr_event(&log, 2)->feedback, 1);
	free(m);
	lr_log_free(&log);
	lr_options_free(&o);
}

int main(void)
{
	parse();
	columns();
	numbers();
	rating();
	return check_done("logread_map");
}
