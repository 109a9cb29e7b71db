/* experiments_note: a load hears of an experiment whose stop is already past (it takes no users) before it hears of one starved by another, and of nothing when all can run. */
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
