/*
 * logread_test: what the tests of tools/logread share: temporary input
 * files (plain or gzip) in $TMPDIR, and the reader's messages captured in
 * memory so a test can check them line by line.
 */
#ifndef PENCHANT_TESTS_TOOLS_LOGREAD_TEST_H
#define PENCHANT_TESTS_TOOLS_LOGREAD_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "tools/logread.h"

/* A fresh temporary file in $TMPDIR (or /tmp) holding text[0..len), gzip
 * compressed when gz. The caller unlinks path. */
static inline void lt_file(char *path, size_t pathlen, const char *text,
    size_t len, bool gz)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, pathlen, "%s/penchant-logread-XXXXXX",
	    dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	if (gz) {
		gzFile g = gzdopen(fd, "wb");
		REQUIRE(g);
		REQUIRE(
		    len == 0 || gzwrite(g, text, (unsigned)len) == (int)len);
		REQUIRE(gzclose(g) == Z_OK);
	} else {
		REQUIRE(write(fd, text, len) == (ssize_t)len);
		REQUIRE(close(fd) == 0);
	}
}

/* Messages written to a memory stream. */
struct lt_msgs {
	FILE *f;
	char *buf;
	size_t len;
};

static inline void lt_msgs_open(struct lt_msgs *m)
{
	memset(m, 0, sizeof(*m));
	m->f = open_memstream(&m->buf, &m->len);
	REQUIRE(m->f);
}

/* What was written so far ("" when nothing). */
static inline const char *lt_msgs_text(struct lt_msgs *m)
{
	fflush(m->f);
	return m->buf ? m->buf : "";
}

static inline void lt_msgs_close(struct lt_msgs *m)
{
	fclose(m->f);
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

/*
 * Reads text (written to a temporary file, gzip when gz) with o into a
 * fresh log. Returns lr_read's result; the messages, with the temporary
 * path replaced by "LOG", are in *msgs (free it).
 */
static inline int lt_read(const char *text, size_t len, bool gz,
    const struct lr_options *o, struct lr_log *log, char **msgs)
{
	char path[4096];
	struct lt_msgs m;
	struct lr_options oo = *o;
	lt_file(path, sizeof(path), text, len, gz);
	lt_msgs_open(&m);
	oo.msg = m.f;
	memset(log, 0, sizeof(*log));
	int rc = lr_read(log, path, &oo);
	const char *t = lt_msgs_text(&m);
	size_t plen = strlen(path);
	char *out = malloc(strlen(t) + 1), *o2 = out;
	REQUIRE(out);
	while (*t) {
		if (!strncmp(t, path, plen)) {
			o2 = stpcpy(o2, "LOG");
			t += plen;
		} else {
			*o2++ = *t++;
		}
	}
	*o2 = 0;
	*msgs = out;
	lt_msgs_close(&m);
	unlink(path);
	return rc;
}

/* Is s exactly want? Prints both when not. */
static inline bool lt_same(const char *s, const char *want)
{
	if (!strcmp(s, want))
		return true;
	fprintf(stderr, "got:\n%s\nwanted:\n%s\n", s, want);
	return false;
}

#endif
