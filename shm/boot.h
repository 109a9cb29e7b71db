/*
 * boot: settings -> a running region, in one place. Everything that makes
 * a region (the supervisor, `penchant replay`, the benchmarks, the tests)
 * goes through boot_create(), so the geometry, the learner's parameters,
 * the validation limits and the acceptance window always come from the
 * settings the same way.
 *
 * Any process may call these; the region it creates is its own until it
 * hands it over (the supervisor forks its children over it).
 */
#ifndef PENCHANT_SHM_BOOT_H
#define PENCHANT_SHM_BOOT_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"
#include "shm/region.h"

/* The region geometry the settings ask for. */
void boot_geometry(const struct cfg *c, struct reg_geometry *g);

struct boot_options {
	/* Unlink a region of that name first (a leftover of a crashed run of
	 * a private instance); otherwise an existing one gives -EEXIST. */
	bool replace;
	/* A log of the past: event times back to 1970 and no window against
	 * the wall clock (penchant replay, eval). */
	bool history;
	/* Leave the region REG_RUNNING; otherwise REG_STARTING, for a
	 * supervisor that loads a snapshot before anyone may use it. */
	bool running;
	/* The pseudonymization secret (shm/secret.h) into the region's
	 * limits; NULL: the all-zero one (offline runs without a key). */
	const uint8_t *user_secret;
};

/*
 * The learner's parameters, the validation limits and the acceptance
 * window of the settings (as o->history asks; o may be NULL), into a
 * header being laid out.
 */
void boot_params(const struct cfg *c, const struct boot_options *o,
    struct reg_header *h);

/*
 * Creates the region of `instance` from settings `c` (NULL: the defaults)
 * with geometry `geo` (NULL: boot_geometry(c)), and sets its parameters.
 * Returns 0, -EEXIST (the region exists: attach to or adopt it) or another
 * negative errno with a message in err.
 */
int boot_create(struct reg *r, const char *instance, const struct cfg *c,
    const struct reg_geometry *geo, const struct boot_options *o, char *err,
    size_t errlen);

#endif
