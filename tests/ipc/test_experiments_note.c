/* experiments_note: a load hears of an experiment whose stop is already past (it takes no users) before it hears of one starved by another, and of nothing when all can run; and of one whose segment is not in the segment table. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "ipc/experiments.h"

static struct exp_def g_defs[EXP_MAX];
static char g_err[512], g_note[512];

#define V2                                                                     \
	"\"variants\":[{\"name\":\"a\",\"strategy\":\"profile\"},"             \
	"{\"name\":\"b\",\"strategy\":\"context\"}]"

/* 2026-12-01T00:00:00Z */
#define NOW 1796083200000LL

/* The segment warning of text's definitions against segments ids[0..k). */
static const char *seg_note(const char *text, const uint32_t *ids, unsigned k,
    bool have)
{
	int n = client_experiments_parse(text, strlen(text), g_defs, g_err,
	    sizeof(g_err));
	CHECK(n > 0);
	client_experiments_segment_note(g_defs, n, ids, k, have, g_note,
	    sizeof(g_note));
	return g_note;
}

/* A segment not in the table is warned of, naming the experiment, the
 * segment and the ones there are; everyone (-1) and present ones are
 * not; with no table yet the warning says so. */
static void test_segment_note(void)
{
	static const uint32_t ids[3] = { 0, 3, 5 };
	CHECK(!strcmp(seg_note("{\"name\":\"g1\"," V2 "}\n"
			       "{\"name\":\"g2\",\"segment\":3," V2 "}",
			  ids, 3, true),
	    ""));
	const char *s = seg_note("{\"name\":\"g1\",\"segment\":5," V2 "}\n"
				 "{\"name\":\"g7\",\"segment\":7," V2 "}",
	    ids, 3, true);
	CHECK(strstr(s, "warning: 'g7' (segment 7): no such segment") &&
	    strstr(s, "segments 0, 3, 5") && strstr(s, "takes no users") &&
	    !strstr(s, "'g1'"));
	s = seg_note("{\"name\":\"g1\",\"segment\":0," V2 "}", ids, 0, false);
	CHECK(strstr(s, "'g1' (segment 0)") && strstr(s, "no segments yet"));
	s = seg_note("{\"name\":\"g1\",\"segment\":1," V2 "}\n"
		     "{\"name\":\"g2\",\"segment\":2," V2 "}",
	    ids, 3, true);
	CHECK(strstr(s, "'g1' (segment 1), 'g2' (segment 2)") &&
	    strstr(s, "they take no users"));
}

static const char *note(const char *text)
{
	int n = client_experiments_parse(text, strlen(text), g_defs, g_err,
	    sizeof(g_err));
	CHECK(n > 0);
	client_experiments_note(g_defs, n, NOW, g_note, sizeof(g_note));
	return g_note;
}

int main(void)
{
	test_segment_note();
	/* open, or stopping later: nothing to say */
	CHECK(!strcmp(note("{\"name\":\"g1\"," V2 "}"), ""));
	CHECK(!strcmp(note("{\"name\":\"g1\",\"stop\":\"2026-12-01T00:00:01Z\","
			   "\"segment\":1," V2 "}\n"
			   "{\"name\":\"g2\",\"segment\":2," V2 "}"),
	    ""));
	/* a stop in the past (a year typed wrong): said, with its time */
	const char *s =
	    note("{\"name\":\"g1\",\"segment\":1," V2 "}\n"
		 "{\"name\":\"old\",\"stop\":\"2025-12-01T00:00:00Z\","
		 "\"segment\":2," V2 "}");
	CHECK(strstr(s, "'old' stopped at 2025-12-01T00:00:00") &&
	    strstr(s, "takes no users"));
	/* at now exactly it already takes none (exp_assign: now >= stop) */
	CHECK(
	    strstr(note("{\"name\":\"g1\",\"stop\":\"2026-12-01T00:00:00Z\"," V2
			"}"),
		"takes no users"));
	/* the starved one is still said when no stop is past */
	CHECK(strstr(note("{\"name\":\"g1\"," V2 "}\n{\"name\":\"g2\"," V2 "}"),
	    "'g2' gets none of its users while 'g1' runs"));
	/* no room: nothing written */
	g_note[0] = 'x';
	client_experiments_note(g_defs, 0, NOW, g_note, 0);
	CHECK(g_note[0] == 'x');
	return check_done("ipc experiments_note");
}
