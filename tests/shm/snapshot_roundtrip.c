/* snapshot_roundtrip: snap_write/snap_load keep every profile, catalog entry and name (also into another shard count); truncated, flipped, foreign and oversized snapshots fail with clear errors; the file is 0600. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "shm/catalog.h"
#include "shm/profiles.h"
#include "shm/shard.h"
#include "shm/seqlock.h"
#include "shm/snapshot.h"
#include "shmtest.h"

#define USERS 150u
#define ENTS 30u
#define NAMES 12u

static char g_dir[] = "/tmp/penchant-snap-XXXXXX";
static char g_path[256], g_bad[256];
static uint64_t g_users[USERS];

static void rm_files(void)
{
	if (getpid() != st_parent)
		return;
	unlink(g_path);
	unlink(g_bad);
	rmdir(g_dir);
}

static struct cat_item ent(unsigned i)
{
	struct cat_item it;
	memset(&it, 0, sizeof(it));
	it.item.category = 500 + i % 4;
	it.item.n_tags = (uint8_t)(i % 5);
	for (unsigned t = 0; t < it.item.n_tags; t++)
		it.item.tags[t] = 100 + (i * 7 + t) % 20;
	it.start_ms = 1700000000000LL + i;
	it.geo_cell = i * 11;
	it.setting = (uint8_t)(i % 3);
	it.group_friendly = (uint8_t)(i % 3);
	it.price_level = (uint8_t)(i % 5);
	return it;
}

static void fill(struct reg *r)
{
	uint64_t seed = 99;
	char err[256];
	REQUIRE(cat_lock(r, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < ENTS; i++) {
		struct cat_item it = ent(i);
		REQUIRE(cat_put(r, 0x1000 + i, &it) == 0);
	}
	for (unsigned i = 0; i < NAMES; i++) {
		char name[16];
		int n = snprintf(name, sizeof(name), "name-%u", i);
		REQUIRE(cat_name_put(r, i % 2 ? NAME_TAG : NAME_CATEGORY,
			    100 + i, name, (size_t)n) == 0);
	}
	cat_unlock(r);
	/* Profiles through the learner, as a worker would write them. */
	for (unsigned u = 0; u < USERS; u++) {
		char id[16];
		int n = snprintf(id, sizeof(id), "user-%u", u);
		g_users[u] = evt_user_key(NULL, id, (size_t)n);
		unsigned s = reg_shard_of(g_users[u], r->hdr->geo.shards);
		struct prof_ref ref;
		REQUIRE(prof_find_or_insert(r, s, g_users[u], &ref) == 0);
		struct prof_slot *slot = reg_shard_records(r, s) + ref.rec;
		for (unsigned k = 0; k < 1 + u % 9; k++) {
			struct evt_record e;
			memset(&e, 0, sizeof(e));
			e.user_key = g_users[u];
			e.type = (uint8_t)(st_rand(&seed) % EVT_TYPE_COUNT);
			e.feedback = 1;
			e.time_ms = 1700000000000LL +
			    (int64_t)(st_rand(&seed) % (10 * LRN_DAY_MS));
			e.device = (uint8_t)(k % EVT_DEV_COUNT);
			e.weekday = (uint8_t)(k % 7);
			e.geo_cell = k % 2 ? 0x777 + k : 0;
			struct cat_item it =
			    ent((unsigned)(st_rand(&seed) % ENTS));
			prof_write_begin(slot);
			lrn_apply(&slot->p, &r->hdr->params, &e, &it.item);
			prof_write_end(slot);
		}
	}
}

static int same_item(const struct cat_item *a, const struct cat_item *b)
{
	return a->item.category == b->item.category &&
	    a->item.n_tags == b->item.n_tags &&
	    memcmp(a->item.tags, b->item.tags, sizeof(a->item.tags)) == 0 &&
	    a->start_ms == b->start_ms && a->geo_cell == b->geo_cell &&
	    a->setting == b->setting &&
	    a->group_friendly == b->group_friendly &&
	    a->price_level == b->price_level;
}

/* Everything of `a` is in `b`, byte for byte. */
static void compare(const struct reg *a, const struct reg *b)
{
	unsigned bad = 0;
	for (unsigned u = 0; u < USERS; u++) {
		struct lrn_profile pa, pb;
		CHECK_EQ_INT(prof_read(a, g_users[u], &pa), 0);
		CHECK_EQ_INT(prof_read(b, g_users[u], &pb), 0);
		if (memcmp(&pa, &pb, sizeof(pa)) != 0 && bad++ < 3)
			fprintf(stderr, "user %u differs after load\n", u);
	}
	CHECK_EQ_INT(bad, 0);
	for (unsigned i = 0; i < ENTS; i++) {
		struct cat_item x, y;
		CHECK_EQ_INT(cat_get(a, 0x1000 + i, &x), 0);
		CHECK_EQ_INT(cat_get(b, 0x1000 + i, &y), 0);
		CHECK(same_item(&x, &y));
	}
	CHECK_EQ_INT(reg_catalog(b)->count, ENTS);
	for (unsigned i = 0; i < NAMES; i++) {
		char x[32], y[32];
		int kx = cat_name_get(a, 100 + i, x, sizeof(x));
		CHECK_EQ_INT(kx, cat_name_get(b, 100 + i, y, sizeof(y)));
		CHECK(kx != 0);
		CHECK(strcmp(x, y) == 0);
	}
	CHECK_EQ_INT(reg_catalog(b)->names, NAMES);
}

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, p, n) == (ssize_t)n);
	close(fd);
}

static void expect_load(const struct reg *r, const char *path, int code,
    const char *needle)
{
	char err[512] = "";
	struct snap_stats st;
	int rc = snap_load(r, path, &st, err, sizeof(err));
	CHECK_EQ_INT(rc, code);
	if (!strstr(err, needle)) {
		fprintf(stderr, "load error lacks '%s': %s\n", needle, err);
		check_failures++;
	}
}

int main(void)
{
	st_init(20);
	REQUIRE(mkdtemp(g_dir) != NULL);
	atexit(rm_files);
	snprintf(g_path, sizeof(g_path), "%s/t.snap", g_dir);
	snprintf(g_bad, sizeof(g_bad), "%s/bad.snap", g_dir);
	char err[512] = "";
	struct snap_stats st;

	char sp[64];
	snap_path("/var/lib/x", "inst", sp, sizeof(sp));
	CHECK(strcmp(sp, "/var/lib/x/inst.snap") == 0);

	struct reg_geometry g = st_geo(2, 1, 16, 128, 64, 32);
	const char *ia = st_instance("snap-a");
	struct reg a;
	st_create(&a, ia, &g, REG_RUNNING);
	fill(&a);
	REQUIRE(reg_shard(&a, 0)->count > 0 && reg_shard(&a, 1)->count > 0);

	CHECK_EQ_INT(snap_write(&a, g_path, &st, err, sizeof(err)), 0);
	CHECK_EQ_INT(st.profiles, USERS);
	CHECK_EQ_INT(st.catalog, ENTS);
	CHECK_EQ_INT(st.names, NAMES);
	struct stat sb;
	REQUIRE(stat(g_path, &sb) == 0);
	CHECK_EQ_INT(sb.st_mode & 07777, 0600);
	CHECK_EQ_INT((uint64_t)sb.st_size, st.bytes);
	/* No temporary file left behind. */
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", g_path, (int)getpid());
	CHECK(access(tmp, F_OK) != 0);

	/* What a writer killed mid-write leaves ("<snapshot>.tmp.<pid>",
	 * maybe holding a profile erased since; one of this pid's made the
	 * write fail) is removed by the next write and by an erasure; other
	 * files are not touched. */
	{
		char stale[300], other[300], nodigits[300];
		snprintf(stale, sizeof(stale), "%s.tmp.4000000", g_path);
		snprintf(other, sizeof(other), "%s/o.snap.tmp.5", g_dir);
		snprintf(nodigits, sizeof(nodigits), "%s.tmp.5x", g_path);
		for (unsigned round = 0; round < 2; round++) {
			write_file(tmp, "stale", 5);
			write_file(stale, "stale", 5);
			write_file(other, "other", 5);
			write_file(nodigits, "other", 5);
			bool found;
			if (round == 0)
				CHECK_EQ_INT(snap_write(&a, g_path, &st, err,
						 sizeof(err)),
				    0);
			else
				CHECK_EQ_INT(snap_erase(&a, g_path, 1, &found,
						 err, sizeof(err)),
				    0);
			CHECK(access(tmp, F_OK) != 0);
			CHECK(access(stale, F_OK) != 0);
			CHECK(access(other, F_OK) == 0);
			CHECK(access(nodigits, F_OK) == 0);
			unlink(other);
			unlink(nodigits);
		}
	}

	/* Only the instance's own file loads: not through a link, not one
	 * others may read. */
	{
		char link[300];
		snprintf(link, sizeof(link), "%s/link.snap", g_dir);
		REQUIRE(symlink(g_path, link) == 0);
		const char *ip = st_instance("snap-p");
		struct reg pr;
		st_create(&pr, ip, &g, REG_STARTING);
		expect_load(&pr, link, -ELOOP, "is a symbolic link");
		unlink(link);
		REQUIRE(chmod(g_path, 0644) == 0);
		expect_load(&pr, g_path, -EPERM, "with mode 0600");
		struct lrn_profile lp;
		CHECK_EQ_INT(snap_find(g_path, 1, &lp, err, sizeof(err)),
		    -EPERM);
		REQUIRE(chmod(g_path, 0600) == 0);
		reg_detach(&pr);
		reg_unlink(ip);
	}

	/* Load into a fresh region of another instance. */
	const char *ib = st_instance("snap-b");
	struct reg b;
	st_create(&b, ib, &g, REG_STARTING);
	struct snap_stats lst;
	CHECK_EQ_INT(snap_load(&b, g_path, &lst, err, sizeof(err)), 0);
	CHECK_EQ_INT(lst.profiles, USERS);
	CHECK_EQ_INT(lst.catalog, ENTS);
	CHECK_EQ_INT(lst.names, NAMES);
	CHECK_EQ_INT(lst.bytes, st.bytes);
	compare(&a, &b);
	CHECK_EQ_INT(reg_shard(&b, 0)->count + reg_shard(&b, 1)->count, USERS);

	/* And into a region with 3 shards: profiles are re-routed. */
	const char *ic = st_instance("snap-c");
	struct reg c;
	struct reg_geometry g3 = st_geo(3, 1, 16, 128, 64, 32);
	st_create(&c, ic, &g3, REG_STARTING);
	CHECK_EQ_INT(snap_load(&c, g_path, NULL, err, sizeof(err)), 0);
	compare(&a, &c);
	reg_detach(&c);
	reg_unlink(ic);

	/* Custom verbs keep their counts by name across a snapshot, whatever
	 * their numbering: "wish" and "play" written, "play" and "other"
	 * configured at load: play's count moves, wish's is not loaded. */
	{
		const char *iv = st_instance("snap-v"),
			   *iw = st_instance("snap-w");
		char vpath[300];
		struct reg v, w;
		struct lrn_profile lp;
		snprintf(vpath, sizeof(vpath), "%s/v.snap", g_dir);
		st_create(&v, iv, &g, REG_RUNNING);
		strcpy(v.hdr->limits.verbs[0], "wish");
		strcpy(v.hdr->limits.verbs[1], "play");
		lrn_profile_init(&lp, 77);
		lp.events = 8;
		lp.counts[LRN_N_CUSTOM0] = 3;
		lp.counts[LRN_N_CUSTOM0 + 1] = 5;
		REQUIRE(prof_load(&v, &lp) == 0);
		CHECK_EQ_INT(snap_write(&v, vpath, NULL, err, sizeof(err)), 0);
		st_create(&w, iw, &g, REG_STARTING);
		strcpy(w.hdr->limits.verbs[0], "play");
		strcpy(w.hdr->limits.verbs[1], "other");
		struct snap_stats vs;
		CHECK_EQ_INT(snap_load(&w, vpath, &vs, err, sizeof(err)), 0);
		/* what was left out is said: wish's 3 counts in 1 profile */
		CHECK(strcmp(vs.dropped_verbs, "wish") == 0);
		CHECK_EQ_INT(vs.dropped_counts, 3);
		CHECK_EQ_INT(vs.dropped_profiles, 1);
		REQUIRE(prof_read(&w, 77, &lp) == 0);
		CHECK_EQ_INT(lp.counts[LRN_N_CUSTOM0], 5);
		CHECK_EQ_INT(lp.counts[LRN_N_CUSTOM0 + 1], 0);
		CHECK_EQ_INT(lp.counts[LRN_N_CUSTOM0 + 2], 0);
		unlink(vpath);
		reg_detach(&v);
		reg_detach(&w);
		reg_unlink(iv);
		reg_unlink(iw);
	}

	/* A consent decision outlives the profile: a record that keeps only
	 * a decision (a withdrawal emptied it) is written and loads back; an
	 * empty record without one is not written. */
	{
		const char *iv = st_instance("snap-k"),
			   *iw = st_instance("snap-l");
		char kpath[300];
		struct reg v, w;
		struct lrn_profile lp;
		snprintf(kpath, sizeof(kpath), "%s/k.snap", g_dir);
		st_create(&v, iv, &g, REG_RUNNING);
		lrn_profile_init(&lp, 88);
		lp.events = 4;
		lrn_consent(&lp, EVT_CONSENT_SET(EVT_PURPOSE_PERSONALIZATION));
		CHECK_EQ_INT(lp.events, 0);
		lp.exp_seen = 0x0f0f; /* experiments' marks do not load */
		lp.exp_seen_hi = 3;
		REQUIRE(prof_load(&v, &lp) == 0);
		lrn_profile_init(&lp, 89); /* nothing to keep */
		REQUIRE(prof_load(&v, &lp) == 0);
		struct snap_stats ks;
		CHECK_EQ_INT(snap_write(&v, kpath, &ks, err, sizeof(err)), 0);
		CHECK_EQ_INT(ks.profiles, 1);
		st_create(&w, iw, &g, REG_STARTING);
		CHECK_EQ_INT(snap_load(&w, kpath, NULL, err, sizeof(err)), 0);
		REQUIRE(prof_read(&w, 88, &lp) == 0);
		CHECK_EQ_INT(lp.events, 0);
		CHECK(!lrn_consents(&lp, EVT_PURPOSE_PERSONALIZATION, false));
		CHECK(lrn_consents(&lp, EVT_PURPOSE_ANALYTICS, false));
		CHECK(lp.exp_seen == 0 && lp.exp_seen_hi == 0);
		CHECK_EQ_INT(prof_read(&w, 89, &lp), -ENOENT);
		/* a decision-only record holds nothing to erase: the file is
		 * left as it is */
		bool found = true;
		CHECK_EQ_INT(snap_erase(&w, kpath, 88, &found, err,
				 sizeof(err)),
		    0);
		CHECK(!found);
		REQUIRE(snap_find(kpath, 88, &lp, err, sizeof(err)) == 0);
		CHECK(lp.events == 0 &&
		    !lrn_consents(&lp, EVT_PURPOSE_PERSONALIZATION, false));
		/* a profile with a decision: erased, the decision stays */
		lrn_profile_init(&lp, 87);
		lp.events = 5;
		lrn_consent(&lp, EVT_CONSENT_SET(EVT_PURPOSE_ANALYTICS));
		REQUIRE(prof_load(&w, &lp) == 0);
		CHECK_EQ_INT(snap_write(&w, kpath, NULL, err, sizeof(err)), 0);
		CHECK_EQ_INT(snap_erase(&w, kpath, 87, &found, err,
				 sizeof(err)),
		    0);
		CHECK(found);
		REQUIRE(snap_find(kpath, 87, &lp, err, sizeof(err)) == 0);
		CHECK(lp.events == 0 &&
		    !lrn_consents(&lp, EVT_PURPOSE_ANALYTICS, false));
		unlink(kpath);
		reg_detach(&w);
		reg_unlink(iw);

		/* The retention sweep: an old profile goes; an old one with
		 * a decision keeps its key and the decision; a recent one
		 * stays. The horizon is set on an empty shard too. */
		const int64_t now = 1800000000000LL, day = LRN_DAY_MS;
		v.hdr->retention_days = 30;
		const uint64_t keys[3] = { 90, 91, 92 };
		for (unsigned i = 0; i < 3; i++) {
			lrn_profile_init(&lp, keys[i]);
			lp.events = 3;
			lp.first_ms = now - 60 * day;
			lp.last_ms = i == 2 ? now - 5 * day : now - 40 * day;
			if (i == 1)
				lrn_consent(&lp,
				    EVT_CONSENT_SET(EVT_PURPOSE_ANALYTICS));
			REQUIRE(prof_load(&v, &lp) == 0);
		}
		unsigned swept = 0;
		for (unsigned s = 0; s < g.shards; s++)
			swept += shard_sweep(&v, s, now, 1000);
		CHECK_EQ_INT(swept, 2);
		CHECK_EQ_INT(prof_read(&v, 90, &lp), -ENOENT);
		REQUIRE(prof_read(&v, 91, &lp) == 0);
		CHECK_EQ_INT(lp.events, 0);
		CHECK(!lrn_consents(&lp, EVT_PURPOSE_ANALYTICS, false));
		CHECK(lrn_consents(&lp, EVT_PURPOSE_PERSONALIZATION, false));
		REQUIRE(prof_read(&v, 92, &lp) == 0);
		CHECK_EQ_INT(lp.events, 3);
		REQUIRE(prof_read(&v, 88, &lp) == 0); /* a decision only */
		reg_detach(&v);
		reg_unlink(iv);

		const char *ix = st_instance("snap-x");
		struct reg x;
		st_create(&x, ix, &g, REG_RUNNING);
		x.hdr->retention_days = 30;
		CHECK_EQ_INT(shard_sweep(&x, 0, now, 10), 0);
		CHECK_EQ_INT(reg_shard(&x, 0)->retain_ms, now - 30 * day);
		reg_detach(&x);
		reg_unlink(ix);
	}

	/* Erasure: one user out of the file, every other one kept, no byte
	 * of the erased key left; an absent user leaves the file alone. */
	{
		char epath[300];
		snprintf(epath, sizeof(epath), "%s/e.snap", g_dir);
		REQUIRE(snap_write(&a, epath, NULL, err, sizeof(err)) == 0);
		struct lrn_profile lp;
		CHECK_EQ_INT(snap_find(epath, g_users[7], &lp, err,
				 sizeof(err)),
		    0);
		CHECK(lp.user_key == g_users[7]);
		bool found = false;
		CHECK_EQ_INT(snap_erase(&a, epath, g_users[7], &found, err,
				 sizeof(err)),
		    0);
		CHECK(found);
		CHECK_EQ_INT(snap_find(epath, g_users[7], &lp, err,
				 sizeof(err)),
		    -ENOENT);
		CHECK_EQ_INT(snap_find(epath, g_users[8], &lp, err,
				 sizeof(err)),
		    0);
		struct stat eb;
		REQUIRE(stat(epath, &eb) == 0);
		CHECK_EQ_INT(eb.st_mode & 07777, 0600);
		FILE *ef = fopen(epath, "rb");
		REQUIRE(ef);
		unsigned char *eb2 = malloc((size_t)eb.st_size);
		REQUIRE(eb2 &&
		    fread(eb2, 1, (size_t)eb.st_size, ef) ==
			(size_t)eb.st_size);
		fclose(ef);
		bool left = false;
		for (off_t i = 0; i + 8 <= eb.st_size; i++)
			left |= memcmp(eb2 + i, &g_users[7], 8) == 0;
		CHECK(!left);
		free(eb2);
		const char *ie = st_instance("snap-e");
		struct reg e;
		st_create(&e, ie, &g, REG_STARTING);
		struct snap_stats es;
		CHECK_EQ_INT(snap_load(&e, epath, &es, err, sizeof(err)), 0);
		CHECK_EQ_INT(es.profiles, USERS - 1);
		CHECK_EQ_INT(es.catalog, ENTS);
		CHECK_EQ_INT(prof_read(&e, g_users[7], &lp), -ENOENT);
		CHECK_EQ_INT(prof_read(&e, g_users[8], &lp), 0);
		found = true;
		CHECK_EQ_INT(snap_erase(&a, epath, 12345, &found, err,
				 sizeof(err)),
		    0);
		CHECK(!found);
		CHECK_EQ_INT(snap_erase(&a, "/nonexistent/x.snap", 1, &found,
				 err, sizeof(err)),
		    -ENOENT);
		unlink(epath);
		reg_detach(&e);
		reg_unlink(ie);
	}

	/* Corruptions: read the good file. */
	FILE *f = fopen(g_path, "rb");
	REQUIRE(f);
	size_t n = (size_t)sb.st_size;
	unsigned char *bytes = malloc(n + 16);
	REQUIRE(bytes && fread(bytes, 1, n, f) == n);
	fclose(f);

	const char *id = st_instance("snap-d");
	struct reg d;
	st_create(&d, id, &g, REG_STARTING);

	write_file(g_bad, bytes, 10); /* inside the header */
	expect_load(&d, g_bad, -EPROTO, "truncated");
	write_file(g_bad, bytes, n / 2); /* inside the records */
	expect_load(&d, g_bad, -EPROTO, "corrupt");
	write_file(g_bad, bytes, n - 1); /* inside the checksum */
	expect_load(&d, g_bad, -EPROTO, "corrupt");
	write_file(g_bad, bytes, 0);
	expect_load(&d, g_bad, -EPROTO, "truncated");
	bytes[n] = 0;
	write_file(g_bad, bytes, n + 1); /* trailing garbage */
	expect_load(&d, g_bad, -EPROTO, "corrupt");
	for (size_t at = 80; at < n; at += n / 7) { /* flipped bytes */
		bytes[at] ^= 0x20;
		write_file(g_bad, bytes, n);
		expect_load(&d, g_bad, -EPROTO, "corrupt");
		bytes[at] ^= 0x20;
	}
	/* Nothing of a refused snapshot reaches the region. */
	for (unsigned sh = 0; sh < d.hdr->geo.shards; sh++)
		CHECK_EQ_INT(reg_shard(&d, sh)->count, 0);
	CHECK_EQ_INT(reg_catalog(&d)->count, 0);
	CHECK_EQ_INT(reg_catalog(&d)->names, 0);
	bytes[0] ^= 1; /* magic */
	write_file(g_bad, bytes, n);
	expect_load(&d, g_bad, -EPROTO, "not a penchant snapshot");
	bytes[0] ^= 1;
	bytes[8] ^= 2; /* format */
	write_file(g_bad, bytes, n);
	expect_load(&d, g_bad, -EPROTO, "format");
	bytes[8] ^= 2;
	bytes[16] ^= 4; /* profile size: versions agree, sizes do not */
	write_file(g_bad, bytes, n);
	expect_load(&d, g_bad, -EPROTO, "record sizes");
	bytes[16] ^= 4;
	write_file(g_bad, bytes, n);
	expect_load(&d, g_bad, 0, "");
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/none.snap", g_dir);
	expect_load(&d, missing, -ENOENT, "cannot open");
	reg_detach(&d);
	reg_unlink(id);

	/* Regions too small for the snapshot. */
	const char *ie = st_instance("snap-e");
	struct reg e;
	struct reg_geometry small = st_geo(2, 1, 16, 16, 64, 32);
	st_create(&e, ie, &small, REG_STARTING);
	expect_load(&e, g_path, -ENOSPC, "profiles_per_shard");
	reg_detach(&e);
	reg_unlink(ie);
	const char *ig = st_instance("snap-f");
	struct reg_geometry smallcat = st_geo(2, 1, 16, 128, 8, 32);
	st_create(&e, ig, &smallcat, REG_STARTING);
	expect_load(&e, g_path, -ENOSPC, "catalog_capacity");
	reg_detach(&e);
	reg_unlink(ig);

	/* Rewriting replaces the file atomically and keeps 0600. */
	CHECK_EQ_INT(chmod(g_path, 0644), 0);
	CHECK_EQ_INT(snap_write(&b, g_path, &st, err, sizeof(err)), 0);
	REQUIRE(stat(g_path, &sb) == 0);
	CHECK_EQ_INT(sb.st_mode & 07777, 0600);
	/* Unwritable place: an error with a message, nothing left behind. */
	char nodir[300];
	snprintf(nodir, sizeof(nodir), "%s/no/such/dir.snap", g_dir);
	err[0] = 0;
	CHECK(snap_write(&a, nodir, &st, err, sizeof(err)) < 0);
	CHECK(strstr(err, "cannot create") != NULL);

	/* A catalog entry a dead loader left torn is not written; the rest
	 * is, the snapshot does not fail for it. */
	{
		struct cat_entry *ce = reg_catalog_entries(&a);
		uint32_t at = 0;
		while (!ce[at].key)
			at++;
		seq_write_begin(&ce[at].seq);
		ce[at].it.flags |= ITEM_F_TORN;
		seq_write_end(&ce[at].seq);
		CHECK_EQ_INT(snap_write(&a, g_path, &st, err, sizeof(err)), 0);
		CHECK_EQ_INT(st.catalog, ENTS - 1);
		/* One left mid-write: by a live loader held up, the
		 * snapshot fails (the next finds it whole); by a dead one,
		 * its lock is taken over, the entry marked torn and left
		 * out. */
		seq_write_begin(&ce[at].seq);
		struct cat_block *cb = reg_catalog(&a);
		cb->writer = getpid();
		CHECK_EQ_INT(snap_write(&a, g_path, &st, err, sizeof(err)),
		    -EBUSY);
		cb->writer = 4000000; /* above any pid_max: dead */
		CHECK_EQ_INT(snap_write(&a, g_path, &st, err, sizeof(err)), 0);
		CHECK_EQ_INT(st.catalog, ENTS - 1);
		CHECK_EQ_INT(cb->writer, 0);
		CHECK_EQ_INT(ce[at].seq.sequence & 1, 0);
	}

	free(bytes);
	reg_detach(&a);
	reg_detach(&b);
	reg_unlink(ia);
	reg_unlink(ib);
	return check_done("snapshot_roundtrip");
}
