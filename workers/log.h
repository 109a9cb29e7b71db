/*
 * log: the daemons' one logging call. Lines go to stderr as
 * "2026-11-26T04:25:30.123Z penchantd[pid] role: message"; the caller passes
 * the configured threshold, so there is no global log state. Never on a hot
 * path.
 */
#ifndef PENCHANT_WORKERS_LOG_H
#define PENCHANT_WORKERS_LOG_H

#include "conf/config.h"

void log_at(enum cfg_log_level threshold, enum cfg_log_level level,
    const char *role, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define LOG(cfg, lvl, role, ...)                                               \
	log_at((cfg)->log_level, (lvl), (role), __VA_ARGS__)

#endif
