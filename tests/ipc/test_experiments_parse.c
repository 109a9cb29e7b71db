/* experiments_parse: experiment definition files are refused, with the line and the field, for an unknown or misspelt field, a field given twice, a name used twice and a weight too large to hold; messages name the experiment once. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "ipc/experiments.h"

static struct exp_def g_defs[EXP_MAX];
static char g_err[512];

static int parse(const char *text)
{
	g_err[0] = 0;
	return client_experiments_parse(text, strlen(text), g_defs, g_err,
	    sizeof(g_err));
}

/* Refused with a message holding each of the words. */
static void refused(const char *text, const char *w1, const char *w2)
{
	int rc = parse(text);
	bool ok = rc == -EINVAL && strstr(g_err, w1) && strstr(g_err, w2);
	if (!ok)
		fprintf(stderr, "rc %d, message '%s', wanted '%s' and '%s'\n",
		    rc, g_err, w1, w2);
	CHECK(ok);
}

#define V2                                                                     \
	"\"variants\":[{\"name\":\"a\",\"strategy\":\"profile\"},"             \
	"{\"name\":\"b\",\"strategy\":\"context\"}]"

int main(void)
{
	CHECK_EQ_INT(parse("{\"name\":\"g1\"," V2 "}\n"), 1);
	/* lines as catalog load and send split them: a byte order mark,
	 * CRLF and lone CR ends (and a line number counts each) */
	CHECK_EQ_INT(parse("\xef\xbb\xbf{\"name\":\"g1\"," V2 "}\r\n"), 1);
	CHECK_EQ_INT(parse("{\"name\":\"g1\"," V2 "}\r{\"name\":\"g2\"," V2
			   "}\r"),
	    2);
	CHECK(!strcmp(g_defs[1].name, "g2"));
	/* lines of spaces and tabs are blank, as send takes them */
	CHECK_EQ_INT(parse("\t\n{\"name\":\"g1\"," V2 "}\t \n \t\n"), 1);
	refused("{\"name\":\"g1\"," V2 "}\r\n\r{\"name\":\"g1\"," V2 "}",
	    "line 3: name", "line 1");
	/* a variant's field is unknown at the top */
	CHECK_EQ_INT(parse("{\"name\":\"g1\",\"weight\":null," V2 "}"),
	    -EINVAL);
	/* a misspelt field, at the top and in a variant */
	refused("{\"name\":\"g1\",\"sallt\":\"x\"," V2 "}", "line 1",
	    "sallt: unknown field");
	refused("\n{\"name\":\"g1\",\"variants\":[{\"name\":\"a\","
		"\"strategy\":\"profile\"},{\"name\":\"b\",\"strategy\":"
		"\"context\",\"weigth\":9}]}",
	    "line 2", "weigth: unknown field");
	/* a key given twice */
	refused("{\"name\":\"g1\",\"name\":\"sq2\"," V2 "}", "line 1",
	    "name: given twice");
	refused("{\"name\":\"g1\",\"variants\":[{\"name\":\"a\","
		"\"strategy\":\"profile\",\"weight\":1,\"weight\":3},"
		"{\"name\":\"b\",\"strategy\":\"context\"}]}",
	    "line 1", "weight: given twice");
	/* an experiment name used twice names both lines */
	refused("{\"name\":\"g1\"," V2 "}\n\n{\"name\":\"g1\"," V2 "}\n",
	    "line 3: name", "line 1");
	/* a weight beyond a float is too large, not "not > 0" */
	refused("{\"name\":\"g1\",\"variants\":[{\"name\":\"a\","
		"\"strategy\":\"profile\",\"weight\":1e39},"
		"{\"name\":\"b\",\"strategy\":\"context\"}]}",
	    "line 1: weight", "too large");
	/* and one below a float's least is too small, not "not > 0" */
	refused("{\"name\":\"g1\",\"variants\":[{\"name\":\"a\","
		"\"strategy\":\"profile\",\"weight\":1e-300},"
		"{\"name\":\"b\",\"strategy\":\"context\"}]}",
	    "line 1: weight", "too small");
	/* a check of the whole definition names the experiment once */
	refused("{\"name\":\"g1\",\"variants\":[{\"name\":\"a\","
		"\"strategy\":\"profile\"},{\"name\":\"a\",\"strategy\":"
		"\"context\"}]}",
	    "line 1: g1: variant 1", "repeats");
	CHECK(!strstr(g_err, "g1: g1"));
	return check_done("ipc experiments_parse");
}
