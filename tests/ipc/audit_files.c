/*
 * audit_files: where and how the log is written. Created mode 0600 even
 * under umask 0; a symbolic link at the path, a file readable by others,
 * a file of another owner (as root), a directory or a missing state_dir
 * are refused with a message and nothing is written; bad actions,
 * instance names and oversized details are rejected; action names parse
 * both ways; the longest detail still fits a line. Read, a FIFO or a
 * directory at the path is refused at once (a FIFO waited forever).
 */
#include <sys/stat.h>

#include "audit_util.h"

static void _refused(const char *dir, const char *inst, int want,
    const char *msg)
{
	char err[512] = "";
	int rc = aud_append(dir, inst, AUD_START, 0, "x", err, sizeof(err));
	CHECK_EQ_INT(rc, want);
	if (!strstr(err, msg)) {
		fprintf(stderr, "want '%s' in '%s'\n", msg, err);
		check_failures++;
	}
}

static void _names(void)
{
	enum aud_action a;
	for (unsigned i = 0; i < AUD_ACTION_COUNT; i++) {
		const char *n = aud_action_name((enum aud_action)i);
		REQUIRE(n);
		CHECK(aud_action_parse(n, &a) == 0 && a == (enum aud_action)i);
	}
	CHECK(!strcmp(aud_action_name(AUD_CATALOG_LOAD), "catalog_load"));
	CHECK(!strcmp(aud_action_name(AUD_KEY_ROTATION), "key_rotation"));
	CHECK(aud_action_name(AUD_ACTION_COUNT) == NULL);
	CHECK(aud_action_name((enum aud_action) - 1) == NULL);
	CHECK_EQ_INT(aud_action_parse("nope", &a), -EINVAL);
	CHECK_EQ_INT(aud_action_parse("", &a), -EINVAL);
	CHECK_EQ_INT(aud_action_parse("Erase", &a), -EINVAL);
}

static void _args(const char *dir)
{
	char err[512], big[AUD_DETAIL_MAX + 2], buf[16];
	CHECK_EQ_INT(aud_append(dir, "a", AUD_ACTION_COUNT, 0, "", err,
			 sizeof(err)),
	    -EINVAL);
	CHECK_EQ_INT(aud_append(dir, "a", (enum aud_action) - 3, 0, "", err,
			 sizeof(err)),
	    -EINVAL);
	_refused(dir, "../etc", -EINVAL, "instance name");
	_refused(dir, "a/b", -EINVAL, "instance name");
	_refused(dir, "", -EINVAL, "instance name");
	_refused(dir, "x123456789012345678901234567890123", -EINVAL,
	    "instance name");
	_refused("", "a", -EINVAL, "state_dir");
	memset(big, 'd', sizeof(big));
	big[AUD_DETAIL_MAX + 1] = 0;
	CHECK_EQ_INT(aud_append(dir, "a", AUD_START, 0, big, err, sizeof(err)),
	    -EINVAL);
	CHECK(strstr(err, "at most 512") != NULL);
	CHECK_EQ_INT(aud_path(dir, "a", buf, sizeof(buf), err, sizeof(err)),
	    -ENAMETOOLONG);
	/* The longest detail, every byte escaped six-fold, fits and reads. */
	memset(big, 0x01, AUD_DETAIL_MAX);
	big[AUD_DETAIL_MAX] = 0;
	CHECK_EQ_INT(aud_append(dir, "long", AUD_START, 0, big, err,
			 sizeof(err)),
	    0);
	memset(big, 0xff, AUD_DETAIL_MAX);
	CHECK_EQ_INT(aud_append(dir, "long", AUD_START, 0, big, err,
			 sizeof(err)),
	    0);
	char path[256];
	struct aud_report rep;
	snprintf(path, sizeof(path), "%s/long.audit", dir);
	CHECK_EQ_INT(aud_verify(path, &rep, err, sizeof(err)), 0);
	CHECK_EQ_INT(rep.lines, 2);
}

static int _no_line(const struct aud_entry *e, void *arg)
{
	(void)e;
	(void)arg;
	return -1;
}

static void _files(const char *dir)
{
	char path[256], other[256], err[512];
	struct stat st;
	/* Created 0600 whatever the umask. */
	mode_t old = umask(0);
	CHECK_EQ_INT(aud_append(dir, "mode", AUD_START, 0, "", err,
			 sizeof(err)),
	    0);
	umask(old);
	snprintf(path, sizeof(path), "%s/mode.audit", dir);
	REQUIRE(stat(path, &st) == 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);

	/* Readable by others: refused, unchanged. */
	REQUIRE(chmod(path, 0644) == 0);
	_refused(dir, "mode", -EPERM, "chmod 600");
	REQUIRE(chmod(path, 0620) == 0);
	_refused(dir, "mode", -EPERM, "mode 0620");
	REQUIRE(stat(path, &st) == 0);
	CHECK_EQ_INT(st.st_size > 0, 1);
	off_t size = st.st_size;
	REQUIRE(chmod(path, 0600) == 0);
	struct aud_report rep;
	CHECK_EQ_INT(aud_verify(path, &rep, err, sizeof(err)), 0);
	CHECK_EQ_INT(rep.lines, 1);
	REQUIRE(stat(path, &st) == 0);
	CHECK_EQ_INT(st.st_size, size);

	/* A symbolic link at the path: refused, the target left alone. */
	snprintf(other, sizeof(other), "%s/target", dir);
	snprintf(path, sizeof(path), "%s/link.audit", dir);
	REQUIRE(close(open(other, O_CREAT | O_WRONLY, 0600)) == 0);
	REQUIRE(symlink(other, path) == 0);
	_refused(dir, "link", -ELOOP, "symbolic link");
	REQUIRE(stat(other, &st) == 0);
	CHECK_EQ_INT(st.st_size, 0);
	/* A dangling one is not followed to create its target either. */
	snprintf(other, sizeof(other), "%s/nowhere", dir);
	snprintf(path, sizeof(path), "%s/dangle.audit", dir);
	REQUIRE(symlink(other, path) == 0);
	_refused(dir, "dangle", -ELOOP, "symbolic link");
	CHECK(access(other, F_OK) != 0);

	/* A directory at the path. */
	snprintf(path, sizeof(path), "%s/dir.audit", dir);
	REQUIRE(mkdir(path, 0700) == 0);
	_refused(dir, "dir", -EISDIR, "cannot open");

	/* Another owner's file (needs root to make one). */
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/owner.audit", dir);
		REQUIRE(close(open(path, O_CREAT | O_WRONLY, 0600)) == 0);
		REQUIRE(chown(path, 65534, 65534) == 0);
		_refused(dir, "owner", -EPERM, "owned by uid 65534");
	}

	/* Read (verify, show): a FIFO or a directory at the path is
	 * refused at once (a FIFO waited for a writer forever). */
	snprintf(path, sizeof(path), "%s/fifo.audit", dir);
	REQUIRE(mkfifo(path, 0600) == 0);
	CHECK_EQ_INT(aud_verify(path, &rep, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "not a regular file (a FIFO") != NULL);
	CHECK_EQ_INT(aud_read(path, _no_line, NULL, err, sizeof(err)), -EPERM);
	snprintf(path, sizeof(path), "%s/dir.audit", dir);
	CHECK_EQ_INT(aud_verify(path, &rep, err, sizeof(err)), -EISDIR);
	CHECK(strstr(err, "not a regular file (a directory)") != NULL);

	/* state_dir must exist; it is not created here. */
	snprintf(path, sizeof(path), "%s/missing", dir);
	_refused(path, "a", -ENOENT, "does not exist");
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/missing/a.audit", dir);
	CHECK_EQ_INT(aud_verify(path, &rep, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "no audit log") != NULL);
}

int main(void)
{
	char dir[128];
	au_tmpdir(dir, sizeof(dir), "audit-files");
	_names();
	_args(dir);
	_files(dir);
	au_rmdir(dir);
	return check_done("audit_files");
}
