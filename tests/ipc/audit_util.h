/*
 * audit_util: what the audit tests share: a scratch state_dir, a log read
 * into lines and written back (to tamper with it), and the independent
 * Python verifier (audit_ref.py) run on a file.
 */
#ifndef PENCHANT_TESTS_AUDIT_UTIL_H
#define PENCHANT_TESTS_AUDIT_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ipc/audit.h"

#define AU_MAX_LINES 1024

struct au_lines {
	char *line[AU_MAX_LINES]; /* each without its newline */
	size_t n;
	bool last_nl; /* the file ended in a newline */
};

/* A fresh directory under /tmp for one test. */
static inline void au_tmpdir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/penchant-%s-XXXXXX", name);
	REQUIRE(mkdtemp(buf));
}

/* Removes the directory and the files in it (no subdirectories). */
static inline void au_rmdir(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	REQUIRE(system(cmd) == 0);
}

static inline void au_load(const char *path, struct au_lines *l)
{
	FILE *f = fopen(path, "r");
	REQUIRE(f);
	memset(l, 0, sizeof(*l));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) >= 0) {
		REQUIRE(l->n < AU_MAX_LINES);
		l->last_nl = n > 0 && line[n - 1] == '\n';
		if (l->last_nl)
			line[n - 1] = 0;
		l->line[l->n++] = strdup(line);
	}
	free(line);
	fclose(f);
}

/* Writes lines [0, n) with newlines, the last one without when !last_nl. */
static inline void au_save(const char *path, const struct au_lines *l)
{
	FILE *f = fopen(path, "w");
	REQUIRE(f);
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%s%s", l->line[i],
		    i + 1 < l->n || l->last_nl ? "\n" : "");
	REQUIRE(fclose(f) == 0);
	REQUIRE(chmod(path, 0600) == 0);
}

static inline void au_free(struct au_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->line[i]);
	l->n = 0;
}

/* The reference verifier's verdict on path ("ok N HASH" / "bad LINE ..."). */
static inline void au_ref(const char *script, const char *path, char *out,
    size_t len)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s'", script, path);
	FILE *p = popen(cmd, "r");
	REQUIRE(p);
	out[0] = 0;
	REQUIRE(fgets(out, (int)len, p));
	out[strcspn(out, "\n")] = 0;
	REQUIRE(pclose(p) == 0);
}

#endif
