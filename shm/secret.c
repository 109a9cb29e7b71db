/*
 * secret: the key file (secret.h).
 */
#include "shm/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define _TEXT_LEN (2 * EVT_SECRET_BYTES + 1) /* hex and '\n' */

void sec_path(const char *state_dir, const char *instance, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/%s.key", state_dir, instance);
}

static int _hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	    : c >= 'a' && c <= 'f'  ? c - 'a' + 10
				    : -1;
}

int sec_open_private(const char *path, const char *fix, char *err,
    size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int rc = -errno;
		if (rc == -ELOOP)
			snprintf(err, errlen,
			    "%s is a symbolic link: refused (it must be the instance's own file): %s",
			    path, fix);
		else
			snprintf(err, errlen, "cannot open %s: %s", path,
			    strerror(-rc));
		return rc;
	}
	struct stat st;
	if (fstat(fd, &st)) {
		int rc = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", path,
		    strerror(-rc));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		snprintf(err, errlen,
		    "%s must be a regular file owned by uid %u with mode 0600 (it is %s, uid %u, mode %04o): %s",
		    path, (unsigned)geteuid(),
		    S_ISREG(st.st_mode) ? "a file" : "not a regular file",
		    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), fix);
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* Parses the open key file. */
static int _read(int fd, const char *path, uint8_t *out, char *err,
    size_t errlen)
{
	char text[_TEXT_LEN + 1];
	ssize_t n = read(fd, text, sizeof(text));
	bool ok = n == _TEXT_LEN && text[_TEXT_LEN - 1] == '\n';
	for (unsigned i = 0; ok && i < EVT_SECRET_BYTES; i++) {
		int hi = _hexval(text[2 * i]), lo = _hexval(text[2 * i + 1]);
		ok = hi >= 0 && lo >= 0;
		if (ok)
			out[i] = (uint8_t)((unsigned)hi << 4 | (unsigned)lo);
	}
	if (!ok) {
		snprintf(err, errlen,
		    "%s is not a key file (32 lower-case hex digits and a newline)",
		    path);
		return -EPROTO;
	}
	return 0;
}

/* Writes a new secret; -EEXIST when another process was first. */
static int _create(const char *path, uint8_t *out, char *err, size_t errlen)
{
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium cannot initialize");
		return -EIO;
	}
	int fd = open(path,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int rc = -errno;
		if (rc != -EEXIST)
			snprintf(err, errlen, "cannot create %s: %s", path,
			    strerror(errno));
		return rc;
	}
	char text[_TEXT_LEN];
	randombytes_buf(out, EVT_SECRET_BYTES);
	for (unsigned i = 0; i < EVT_SECRET_BYTES; i++)
		snprintf(text + 2 * i, 3, "%02x", out[i]);
	text[_TEXT_LEN - 1] = '\n';
	int rc =
	    write(fd, text, sizeof(text)) == (ssize_t)sizeof(text) && !fsync(fd)
	    ? 0
	    : -EIO;
	close(fd);
	sodium_memzero(text, sizeof(text));
	if (rc) {
		unlink(path);
		snprintf(err, errlen, "cannot write %s", path);
	}
	return rc;
}

int sec_load(const char *state_dir, const char *instance, bool create,
    uint8_t out[EVT_SECRET_BYTES], bool *created, char *err, size_t errlen)
{
	char path[512];
	sec_path(state_dir, instance, path, sizeof(path));
	if (created)
		*created = false;
	for (int tries = 0; tries < 2; tries++) {
		int fd = sec_open_private(path,
		    "fix it, or remove it to lose every profile keyed by it",
		    err, errlen);
		if (fd >= 0) {
			int rc = _read(fd, path, out, err, errlen);
			close(fd);
			return rc;
		}
		if (fd == -ELOOP)
			return -EPERM;
		if (fd != -ENOENT || !create)
			return fd;
		int rc = _create(path, out, err, errlen);
		if (rc != -EEXIST) {
			if (!rc && created)
				*created = true;
			return rc;
		}
	}
	snprintf(err, errlen, "%s: created and removed while starting", path);
	return -EAGAIN;
}
