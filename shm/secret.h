/*
 * secret: the instance's pseudonymization secret (engine/event.h,
 * evt_user_key), one file in its state_dir, "<instance>.key": 32
 * lower-case hex digits and a newline, mode 0600, owned by the daemon's
 * user. Generated at the first start (libsodium's randombytes) and kept
 * across restarts: every profile, snapshot and experiment assignment is
 * keyed by it, so losing it loses them (docs/PRIVACY.md, key rotation).
 *
 * A key file that is a symlink, not a regular file, owned by another
 * user, readable by group or others, or not exactly that text is refused
 * with a message saying which: a secret others could read or plant
 * protects nothing.
 */
#ifndef PENCHANT_SHM_SECRET_H
#define PENCHANT_SHM_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/event.h"

/*
 * Opens a file private to the instance (the key, a snapshot) for reading:
 * not a symbolic link, a regular file, owned by this process's user,
 * neither group nor others may read or write it. Returns the descriptor,
 * or a negative errno with a message naming what is wrong and, after it,
 * `fix` (what the user can do): -ELOOP (a link), -EPERM (kind, owner or
 * mode), or open's own error (-ENOENT...).
 */
int sec_open_private(const char *path, const char *fix, char *err,
    size_t errlen);

/* "<state_dir>/<instance>.key" */
void sec_path(const char *state_dir, const char *instance, char *buf,
    size_t len);

/*
 * Reads the secret into out. With create, a missing file is generated
 * (and *created set, may be NULL). Returns 0, -ENOENT (missing, not
 * created), -EPERM (owner or mode), -EPROTO (not a key file), or another
 * negative errno, with a message.
 */
int sec_load(const char *state_dir, const char *instance, bool create,
    uint8_t out[EVT_SECRET_BYTES], bool *created, char *err, size_t errlen);

#endif
