/*
 * cli: what the subcommands of `penchant` share (cli.h): opening the
 * instance, --help handling, JSON strings, display names and times.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tools/cli.h"

void cli_json_str(const char *s)
{
	cli_json_fstr(stdout, s);
}

int cli_open(const struct cli *c, pen_t **p)
{
	char err[512];
	int rc = pen_open(c->instance, p, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "penchant: %s\n",
		    err[0] ? err : pen_strerror(rc));
		return CLI_UNREACHABLE;
	}
	return CLI_OK;
}

bool cli_help(int argc, char **argv, const char *text)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(text, stdout);
			return true;
		}
	return false;
}

void cli_json_fstr(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			putc(ch, f);
	}
	putc('"', f);
}

const char *const cli_day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat",
	"sun" };
const char *const cli_part_names[4] = { "night", "morning", "afternoon",
	"evening" };

void cli_iso_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
