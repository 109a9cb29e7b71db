/* secret_file: the pseudonymization key file is generated once (0600, 32 hex digits), read back the same, and refused when it is a symlink, another mode, or not a key; user keys depend on the secret; a snapshot written under one secret is refused under another, with a message naming the key file. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "shm/profiles.h"
#include "shm/secret.h"
#include "shm/snapshot.h"
#include "shmtest.h"

static char g_dir[] = "/tmp/penchant-secret-XXXXXX";

static void rm_files(void)
{
	if (getpid() != st_parent)
		return;
	const char *names[] = { "a.key", "b.key", "c.key", "d.key", "t.snap",
		"target" };
	char p[300];
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", g_dir, names[i]);
		unlink(p);
	}
	rmdir(g_dir);
}

static void put(const char *name, const char *text, mode_t mode)
{
	char p[300];
	snprintf(p, sizeof(p), "%s/%s", g_dir, name);
	unlink(p);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, mode);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	REQUIRE(fchmod(fd, mode) == 0);
	close(fd);
}

static void expect(const char *inst, int want, const char *words)
{
	uint8_t k[EVT_SECRET_BYTES];
	char err[512] = "";
	int rc = sec_load(g_dir, inst, false, k, NULL, err, sizeof(err));
	CHECK_EQ_INT(rc, want);
	if (words && !strstr(err, words)) {
		fprintf(stderr, "FAIL: '%s' lacks '%s'\n", err, words);
		CHECK(0);
	}
}

int main(void)
{
	st_init(20);
	REQUIRE(mkdtemp(g_dir) != NULL);
	atexit(rm_files);
	uint8_t k1[EVT_SECRET_BYTES], k2[EVT_SECRET_BYTES];
	char err[512] = "";
	bool created = false;

	/* Missing and not asked to create: -ENOENT. */
	expect("a", -ENOENT, NULL);
	CHECK_EQ_INT(sec_load(g_dir, "a", true, k1, &created, err, sizeof(err)),
	    0);
	CHECK(created);
	char path[300];
	sec_path(g_dir, "a", path, sizeof(path));
	struct stat sb;
	REQUIRE(stat(path, &sb) == 0);
	CHECK_EQ_INT(sb.st_mode & 07777, 0600);
	CHECK_EQ_INT(sb.st_size, 33);
	/* Read back: the same secret, not created again. */
	CHECK_EQ_INT(sec_load(g_dir, "a", true, k2, &created, err, sizeof(err)),
	    0);
	CHECK(!created && memcmp(k1, k2, sizeof(k1)) == 0);
	/* Two instances get different secrets. */
	REQUIRE(sec_load(g_dir, "b", true, k2, NULL, err, sizeof(err)) == 0);
	CHECK(memcmp(k1, k2, sizeof(k1)) != 0);

	/* Keys depend on the secret, and on nothing else. */
	struct evt_limits l1 = evt_limits_default(), l2 = l1;
	memcpy(l1.user_secret, k1, sizeof(k1));
	memcpy(l2.user_secret, k2, sizeof(k2));
	CHECK(evt_user_key(&l1, "u1", 2) == evt_user_key(&l1, "u1", 2));
	CHECK(evt_user_key(&l1, "u1", 2) != evt_user_key(&l2, "u1", 2));
	CHECK(evt_user_key(&l1, "u1", 2) != evt_user_key(NULL, "u1", 2));
	CHECK(evt_secret_check(k1) != evt_secret_check(k2));

	/* Refusals: group-readable, garbage, short, upper case, symlink. */
	put("c.key", "00112233445566778899aabbccddeeff\n", 0640);
	expect("c", -EPERM, "mode 0600");
	put("c.key", "not a key at all, not even close\n", 0600);
	expect("c", -EPROTO, "not a key file");
	put("c.key", "00112233\n", 0600);
	expect("c", -EPROTO, "not a key file");
	put("c.key", "00112233445566778899AABBCCDDEEFF\n", 0600);
	expect("c", -EPROTO, "not a key file");
	put("c.key", "00112233445566778899aabbccddeeff\nmore", 0600);
	expect("c", -EPROTO, "not a key file");
	put("c.key", "00112233445566778899aabbccddeeff\n", 0600);
	expect("c", 0, NULL);
	put("target", "00112233445566778899aabbccddeeff\n", 0600);
	char tgt[300], link[300];
	snprintf(tgt, sizeof(tgt), "%s/target", g_dir);
	sec_path(g_dir, "d", link, sizeof(link));
	REQUIRE(symlink(tgt, link) == 0);
	expect("d", -EPERM, "symbolic link");
	CHECK_EQ_INT(sec_load(g_dir, "d", true, k2, NULL, err, sizeof(err)),
	    -EPERM);

	/* A snapshot keeps the secret's check value: refused under another. */
	struct reg_geometry g = st_geo(1, 1, 16, 64, 16, 16);
	const char *ia = st_instance("sec-a"), *ib = st_instance("sec-b"),
		   *ic = st_instance("sec-c");
	struct reg a, b, c;
	st_create(&a, ia, &g, REG_RUNNING);
	memcpy(a.hdr->limits.user_secret, k1, sizeof(k1));
	struct lrn_profile lp;
	lrn_profile_init(&lp, evt_user_key(&a.hdr->limits, "u1", 2));
	lp.events = 3;
	REQUIRE(prof_load(&a, &lp) == 0);
	char snap[300];
	snprintf(snap, sizeof(snap), "%s/t.snap", g_dir);
	REQUIRE(snap_write(&a, snap, NULL, err, sizeof(err)) == 0);
	st_create(&b, ib, &g, REG_STARTING);
	memcpy(b.hdr->limits.user_secret, k2, sizeof(k2));
	err[0] = 0;
	CHECK_EQ_INT(snap_load(&b, snap, NULL, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "another pseudonymization secret") != NULL);
	CHECK_EQ_INT(reg_shard(&b, 0)->count, 0);
	st_create(&c, ic, &g, REG_STARTING);
	memcpy(c.hdr->limits.user_secret, k1, sizeof(k1));
	CHECK_EQ_INT(snap_load(&c, snap, NULL, err, sizeof(err)), 0);
	CHECK_EQ_INT(prof_read(&c, evt_user_key(&c.hdr->limits, "u1", 2), &lp),
	    0);
	reg_detach(&a);
	reg_detach(&b);
	reg_detach(&c);
	return check_done("secret_file");
}
