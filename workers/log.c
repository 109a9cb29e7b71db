/* log: timestamped, role-tagged lines on stderr. */
#include "workers/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

void log_at(enum cfg_log_level threshold, enum cfg_log_level level,
    const char *role, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	if (level > threshold)
		return;
	struct timespec ts;
	struct tm tm;
	char when[32], line[1024];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line so lines of different processes do not mix. */
	fprintf(stderr, "%s.%03ldZ penchantd[%d] %s %s: %s\n", when,
	    ts.tv_nsec / 1000000, (int)getpid(), role, names[level], line);
}
