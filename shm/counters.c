/*
 * counters: the names and help texts of shm/counters.h's tables.
 */
#include "shm/counters.h"

#include <stddef.h>
#include <string.h>

#define _NAME(id, name, help) [REG_C_##id] = name,
#define _HELP(id, name, help) [REG_C_##id] = help,
/* clang-format off */
static const char *const _names[REG_C_COUNT] = {
	REG_COUNTERS_PROC(_NAME) REG_COUNTERS_ACC(_NAME) REG_COUNTERS_SRV(_NAME)
};
static const char *const _helps[REG_C_COUNT] = {
	REG_COUNTERS_PROC(_HELP) REG_COUNTERS_ACC(_HELP) REG_COUNTERS_SRV(_HELP)
};
/* clang-format on */
#undef _NAME
#undef _HELP

const char *reg_counter_name(unsigned k)
{
	if (k >= REG_C_COUNT)
		return NULL;
	if (reg_counter_is_reject(k))
		return evt_reason_name(k - REG_C_REJECT0);
	return _names[k];
}

const char *reg_counter_help(unsigned k)
{
	if (k >= REG_C_COUNT)
		return NULL;
	if (reg_counter_is_reject(k))
		return "events rejected with this reason (docs/PROTOCOL.md)";
	return _helps[k];
}

bool reg_counter_is_gauge(unsigned k)
{
	const char *h = reg_counter_help(k);
	return h && strncmp(h, "gauge:", 6) == 0;
}
