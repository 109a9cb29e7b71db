/*
 * print_settings_md: prints docs/SETTINGS.md from the settings table.
 *
 *	print_settings_md > docs/SETTINGS.md      regenerate the doc
 *	print_settings_md --check docs/SETTINGS.md  exit 1 if the file differs
 *
 * The second form is the config_settings_md test, so the checked-in doc
 * cannot fall behind the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"

#define REGEN                                                                  \
	"ninja -C build tests/conf/print_settings_md && "                      \
	"build/tests/conf/print_settings_md > docs/SETTINGS.md"

static char *slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*len = n;
	return buf;
}

/* 1-based line of the first byte where a and b differ. */
static unsigned first_diff_line(const char *a, size_t alen, const char *b,
    size_t blen)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < alen && i < blen && a[i] == b[i]; i++)
		if (a[i] == '\n')
			line++;
	return line;
}

static int check(const char *path)
{
	char *want = NULL, *have;
	size_t want_len = 0, have_len;
	FILE *f = open_memstream(&want, &want_len);

	if (!f)
		return perror("open_memstream"), 1;
	cfg_print_markdown(f);
	fclose(f);
	have = slurp(path, &have_len);
	if (!have) {
		perror(path);
		free(want);
		return 1;
	}
	if (have_len != want_len || memcmp(have, want, want_len) != 0) {
		fprintf(stderr,
		    "%s is out of date (first difference at line %u).\n"
		    "Regenerate it from the source root with:\n  %s\n",
		    path, first_diff_line(have, have_len, want, want_len),
		    REGEN);
		free(have);
		free(want);
		return 1;
	}
	printf("%s: up to date\n", path);
	free(have);
	free(want);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--check") == 0)
		return check(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--check SETTINGS.md]\n", argv[0]);
		return 2;
	}
	cfg_print_markdown(stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
