/*
 * counters: the names and help texts of shm/counters.h's tables.
 */
#include "shm/counters.h"

#include <stddef.h>
#include <string.h>

#include "shm/region.h"

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

#define _LKIND(id, load, name, help) [REG_L_##id] = load,
#define _LNAME(id, load, name, help) [REG_L_##id] = name,
#define _LHELP(id, load, name, help) [REG_L_##id] = help,
static const char *const _lkinds[REG_L_COUNT] = { REG_LOADS(_LKIND) };
static const char *const _lnames[REG_L_COUNT] = { REG_LOADS(_LNAME) };
static const char *const _lhelps[REG_L_COUNT] = { REG_LOADS(_LHELP) };
#undef _LKIND
#undef _LNAME
#undef _LHELP

const char *reg_load_kind(unsigned k)
{
	return k < REG_L_COUNT ? _lkinds[k] : NULL;
}

const char *reg_load_name(unsigned k)
{
	return k < REG_L_COUNT ? _lnames[k] : NULL;
}

const char *reg_load_help(unsigned k)
{
	return k < REG_L_COUNT ? _lhelps[k] : NULL;
}

void reg_load_rejected(const struct reg *r, enum reg_load k)
{
	if ((unsigned)k < REG_L_COUNT)
		__atomic_fetch_add(&r->hdr->load_rejected[k], 1,
		    __ATOMIC_RELAXED);
}
