/*
 * web: the dashboard's static files (web/ in the source tree), compiled
 * into the binary by meson (web/embed.py writes web_files.c), so
 * penchantd needs no files at run time and a page can never be out of
 * step with the server that answers its API calls.
 */
#ifndef PENCHANT_WORKERS_WEB_H
#define PENCHANT_WORKERS_WEB_H

#include <stddef.h>

struct web_file {
	const char *path; /* "/static/dash.js", "/" for the page */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
};

/* The file served at path, or NULL. Read-only data; any thread. */
const struct web_file *web_find(const char *path);

#endif
