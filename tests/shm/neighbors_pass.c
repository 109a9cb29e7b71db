/* neighbors_pass: the segmenter's pass over real profile records (shm/neighbors.h): counts only what is new since the last pass, follows a record to a new user, publishes the lists a reader finds by fold, sums a user's history for the ranker, refuses what does not fit and counts it; and a reader in another process never sees a torn list while the pass rewrites it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/wait.h>

#include "shm/neighbors.h"
#include "shm/profiles.h"
#include "shmtest.h"

#define T0 1767225600000LL

static void _touch(struct reg *r, uint64_t user, uint64_t item, uint8_t type,
    int64_t t)
{
	struct prof_ref ref;
	REQUIRE(prof_find_or_insert(r, 0, user, &ref) == 0);
	struct prof_slot *slot = reg_shard_records(r, 0) + ref.rec;
	struct evt_record e;
	memset(&e, 0, sizeof(e));
	e.user_key = user;
	e.entity_key = item;
	e.type = type;
	e.time_ms = t;
	e.scroll_depth = -1.0f;
	prof_write_begin(slot);
	lrn_apply(&slot->p, &r->hdr->params, &e, NULL);
	prof_write_end(slot);
}

static double _sim(const struct reg *r, uint64_t a, uint64_t b)
{
	struct nbr_list l;
	if (nbrs_get(r, lrn_seen_fold(a), &l))
		return -1.0;
	for (unsigned k = 0; k < NBR_K && l.fold[k]; k++)
		if (l.fold[k] == lrn_seen_fold(b))
			return (double)l.sim[k] / NBR_SIM_ONE;
	return 0.0;
}

static const struct nbr_params _prm = { .candidates = 64, .min_count = 1 };

/* A reader in another process, until the writer is done: every list it
 * copies is one the writer wrote whole (each list's sims all equal its
 * first). Exit 2 when it never saw a list of two or more. */
struct _rd {
	const struct reg *r;
	volatile int *done;
};

static int _reader(void *arg)
{
	const struct _rd *rd = arg;
	uint32_t fold = lrn_seen_fold(1000);
	unsigned seen = 0;
	while (!__atomic_load_n(rd->done, __ATOMIC_ACQUIRE)) {
		struct nbr_list l;
		if (nbrs_get(rd->r, fold, &l))
			continue;
		seen += l.fold[1] != 0;
		for (unsigned k = 1; k < NBR_K && l.fold[k]; k++)
			if (l.sim[k] != l.sim[0])
				return 1;
	}
	return seen ? 0 : 2;
}

/* Equal counts: same items, masses and lists. */
static void _same(const struct nbrs_feed *a, const struct nbrs_feed *b)
{
	CHECK_EQ_INT(a->counts.n, b->counts.n);
	for (uint64_t it = 1; it < 8; it++) {
		uint32_t fold = lrn_seen_fold(it);
		struct nbr_list la, lb;
		CHECK(nbr_counts_mass(&a->counts, fold) ==
		    nbr_counts_mass(&b->counts, fold));
		CHECK(nbr_counts_list(&a->counts, fold, &la) ==
		    nbr_counts_list(&b->counts, fold, &lb));
		CHECK(memcmp(&la, &lb, sizeof(la)) == 0);
	}
}

/* The counts kept in a file and read back into a fresh feed; refused
 * when torn, altered, cut or of other settings. */
static void _keep(struct reg *r, struct nbrs_feed *f)
{
	char dir[] = "/tmp/nbrs-XXXXXX", path[64], err[800];
	REQUIRE(mkdtemp(dir) != NULL);
	nbrs_path(dir, "x", path, sizeof(path));
	struct nbrs_feed g;
	REQUIRE(nbrs_feed_init(&g, r, &_prm) == 0);
	CHECK_EQ_INT(nbrs_load(&g, r, path, err, sizeof(err)), -ENOENT);
	REQUIRE(nbrs_save(f, path, err, sizeof(err)) == 0);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	REQUIRE(nbrs_load(&g, r, path, err, sizeof(err)) == 0);
	_same(f, &g);
	/* every profile counts as counted up to now: nothing is new, and
	 * every list is written again (a new region has none) */
	struct nbrs_stats st;
	REQUIRE(nbrs_pass(&g, r, &st) == 0);
	CHECK(st.users == 0 && st.published == g.counts.n);
	/* a feed that counts already takes no file */
	REQUIRE(nbrs_load(&g, r, path, err, sizeof(err)) == -EINVAL);
	nbrs_feed_free(&g);
	/* a profile's events since the save are new to the loaded feed */
	REQUIRE(nbrs_feed_init(&g, r, &_prm) == 0);
	REQUIRE(nbrs_load(&g, r, path, err, sizeof(err)) == 0);
	_touch(r, 13, 7, EVT_CLICK, T0 + 9500);
	REQUIRE(nbrs_pass(&g, r, &st) == 0);
	CHECK(st.users == 1 && st.fresh == 1);
	nbrs_feed_free(&g);

	/* one byte changed anywhere after the header: refused */
	FILE *fp = fopen(path, "r+b");
	REQUIRE(fp != NULL);
	REQUIRE(fseek(fp, -3, SEEK_END) == 0);
	int ch = fgetc(fp);
	REQUIRE(fseek(fp, -3, SEEK_END) == 0);
	fputc(ch ^ 0x40, fp);
	fclose(fp);
	REQUIRE(nbrs_feed_init(&g, r, &_prm) == 0);
	CHECK_EQ_INT(nbrs_load(&g, r, path, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "torn or altered") != NULL);
	nbrs_feed_free(&g);
	/* cut short: refused */
	REQUIRE(nbrs_save(f, path, err, sizeof(err)) == 0);
	REQUIRE(truncate(path, 100) == 0);
	REQUIRE(nbrs_feed_init(&g, r, &_prm) == 0);
	CHECK(nbrs_load(&g, r, path, err, sizeof(err)) < 0);
	nbrs_feed_free(&g);
	/* not the instance's own file (others may write it, a link):
	 * refused, as a snapshot is */
	REQUIRE(nbrs_save(f, path, err, sizeof(err)) == 0);
	REQUIRE(chmod(path, 0664) == 0);
	REQUIRE(nbrs_feed_init(&g, r, &_prm) == 0);
	CHECK_EQ_INT(nbrs_load(&g, r, path, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "mode 0600") != NULL);
	REQUIRE(chmod(path, 0600) == 0);
	char link[80];
	snprintf(link, sizeof(link), "%s/link.nbr", dir);
	REQUIRE(symlink(path, link) == 0);
	CHECK_EQ_INT(nbrs_load(&g, r, link, err, sizeof(err)), -ELOOP);
	unlink(link);
	nbrs_feed_free(&g);
	/* other settings: refused, naming both */
	REQUIRE(nbrs_save(f, path, err, sizeof(err)) == 0);
	struct nbr_params other = _prm;
	other.half_life_days = 7;
	REQUIRE(nbrs_feed_init(&g, r, &other) == 0);
	CHECK_EQ_INT(nbrs_load(&g, r, path, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "half-life of 0 days, the settings say 64 and 7") !=
	    NULL);
	nbrs_feed_free(&g);
	/* not a count file */
	fp = fopen(path, "wb");
	REQUIRE(fp != NULL);
	fputs("hello, world: not counts at all, but long enough to read", fp);
	fclose(fp);
	REQUIRE(nbrs_feed_init(&g, r, &_prm) == 0);
	CHECK_EQ_INT(nbrs_load(&g, r, path, err, sizeof(err)), -EPROTO);
	nbrs_feed_free(&g);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	st_init(60);
	const char *inst = st_instance("nbr");
	struct reg_geometry g = st_geo(1, 4, 64, 1024, 16, 16);
	g.neighbor_capacity = 8;
	g.neighbor_slots = 16;
	struct reg r;
	st_create(&r, inst, &g, REG_RUNNING);

	/* A region without the table: no feed, empty history, nothing. */
	struct nbrs_feed f;
	struct reg none;
	struct reg_geometry g0 = st_geo(1, 4, 64, 1024, 16, 16);
	st_create(&none, st_instance("nbr0"), &g0, REG_RUNNING);
	CHECK_EQ_INT(nbrs_feed_init(&f, &none, &_prm), -ENODEV);
	struct nbr_list l;
	CHECK_EQ_INT(nbrs_get(&none, lrn_seen_fold(1), &l), -ENOENT);

	REQUIRE(nbrs_feed_init(&f, &r, &_prm) == 0);
	/* u1 views 1 then clicks 2; u2 clicks 1 and 3; an impression of 4
	 * (exposure only) is no interest. */
	_touch(&r, 11, 1, EVT_VIEW, T0);
	_touch(&r, 11, 2, EVT_CLICK, T0 + 1000);
	_touch(&r, 12, 1, EVT_CLICK, T0);
	_touch(&r, 12, 3, EVT_CLICK, T0 + 1000);
	_touch(&r, 12, 4, EVT_IMPRESSION, T0 + 2000);
	struct nbrs_stats st;
	REQUIRE(nbrs_pass(&f, &r, &st) == 0);
	CHECK_EQ_INT(st.users, 2);
	CHECK_EQ_INT(st.fresh, 4);
	CHECK_EQ_INT(st.published, 3); /* 1, 2, 3 */
	/* m1 = 2, m2 = m3 = 1, c12 = c13 = 1: 1 / 2 each way */
	CHECK_NEAR(_sim(&r, 1, 2), 0.5, 1e-4);
	CHECK_NEAR(_sim(&r, 1, 3), 0.5, 1e-4);
	CHECK_NEAR(_sim(&r, 2, 1), 0.5, 1e-4);
	CHECK(_sim(&r, 2, 3) == 0.0);
	CHECK(_sim(&r, 4, 1) == -1.0); /* never touched: no list */
	struct nbr_block *b = reg_neighbors(&r);
	CHECK(b->items == 3 && b->published == 3 && b->passes == 1);

	/* Nothing new: nothing counted, nothing written. */
	REQUIRE(nbrs_pass(&f, &r, &st) == 0);
	CHECK(st.users == 0 && st.published == 0 && b->passes == 2);

	/* u1 touches 3: only it is fresh (pairs 3-2 and 3-1); m3 = 2. */
	_touch(&r, 11, 3, EVT_VIEW, T0 + 5000);
	REQUIRE(nbrs_pass(&f, &r, &st) == 0);
	CHECK(st.users == 1 && st.fresh == 1);
	/* c31 = 2, m3 = 2, m1 = 2: 2 / (2 + 2 - 2) = 1; c32 = 1: 1 / 2 */
	CHECK_NEAR(_sim(&r, 3, 1), 1.0, 1e-4);
	CHECK_NEAR(_sim(&r, 3, 2), 0.5, 1e-4);

	/* u1 views 3 again three times, and searches: events, but nothing
	 * new in its history (3 is at its head already): nothing fresh, no
	 * pair counted again. */
	for (int k = 0; k < 3; k++)
		_touch(&r, 11, 3, EVT_VIEW, T0 + 6000 + k);
	_touch(&r, 11, 0, EVT_SEARCH, T0 + 7000);
	REQUIRE(nbrs_pass(&f, &r, &st) == 0);
	CHECK_EQ_INT(st.fresh, 0);
	CHECK_NEAR(_sim(&r, 3, 1), 1.0, 1e-4);
	CHECK_NEAR(_sim(&r, 3, 2), 0.5, 1e-4);
	CHECK_NEAR(_sim(&r, 1, 2), 0.5, 1e-4);

	/* The history of u2 (3 and 1; not the impression of 4): 1's list
	 * (2: 0.5, 3: 1 after the update) and 3's (1: 1, 2: 0.5). */
	struct lrn_profile p;
	REQUIRE(prof_read(&r, 12, &p) == 0);
	static struct nbr_acc acc; /* zero: empty */
	CHECK_EQ_INT(nbrs_history(&r, &p, &acc), 2);
	CHECK_NEAR(nbr_acc_get(&acc, lrn_seen_fold(2)), 0.5 + 0.5, 1e-4);
	CHECK(nbr_acc_get(&acc, lrn_seen_fold(4)) == 0.0f);
	/* The same sums kept by candidate (as a ranking does): equal to
	 * the bit, a fold twice sharing its sum, a stranger's 0. */
	uint32_t ci[4],
	    cf[4] = { lrn_seen_fold(2), lrn_seen_fold(4), lrn_seen_fold(2),
		    lrn_seen_fold(1) };
	static uint32_t cmem[64];
	REQUIRE(nbr_csum_size(4) <= sizeof(cmem));
	struct nbr_csum cs;
	nbr_csum_init(&cs, cmem, cf, 4, ci);
	CHECK_EQ_INT(nbrs_history_csum(&r, &p, &cs), 2);
	for (unsigned i = 0; i < 4; i++)
		CHECK(cs.sum[ci[i]] == nbr_acc_get(&acc, cf[i]));
	CHECK(ci[0] == ci[2] && cs.sum[ci[1]] == 0.0f);
	/* A list its writer is in the middle of (count left odd, as by a
	 * writer preempted mid-write) is done without, not waited for. */
	struct nbr_entry *le = NULL;
	for (uint32_t i = 0; i < g.neighbor_slots; i++)
		if (reg_neighbor_entries(&r)[i].fold == lrn_seen_fold(1))
			le = &reg_neighbor_entries(&r)[i];
	REQUIRE(le != NULL);
	le->seq.sequence++;
	CHECK_EQ_INT(nbrs_history(&r, &p, &acc), 1);
	CHECK_NEAR(nbr_acc_get(&acc, lrn_seen_fold(2)), 0.5, 1e-4);
	le->seq.sequence++;
	CHECK_EQ_INT(nbrs_history(&r, &p, &acc), 2);
	CHECK_EQ_INT(nbrs_history(&r, NULL, &acc), 0);
	CHECK_EQ_INT(acc.n, 0);

	/* A record taken over by another user counts that user afresh. */
	REQUIRE(prof_delete(&r, 0, 11) == 0);
	_touch(&r, 13, 5, EVT_CLICK, T0 + 9000);
	_touch(&r, 13, 6, EVT_CLICK, T0 + 9001);
	REQUIRE(nbrs_pass(&f, &r, &st) == 0);
	CHECK(st.fresh == 2);
	CHECK_NEAR(_sim(&r, 5, 6), 1.0, 1e-4);

	_keep(&r, &f);

	/* The table holds 8 lists: more items are refused, and counted. */
	for (uint64_t i = 0; i < 10; i++)
		_touch(&r, 14, 100 + i, EVT_CLICK, T0 + 10000 + (int64_t)i);
	REQUIRE(nbrs_pass(&f, &r, &st) == 0);
	CHECK(b->items == 8 && b->refused > 0);

	/* Torn lists: a reader process while the writer rewrites 1000's
	 * list with every sim equal (one user after another touching
	 * 1000 after k fresh partners). */
	nbrs_feed_free(&f);
	struct reg r2;
	struct reg_geometry g2 = st_geo(1, 4, 64, 4096, 16, 16);
	g2.neighbor_capacity = 4096;
	g2.neighbor_slots = 8192;
	st_create(&r2, st_instance("nbr2"), &g2, REG_RUNNING);
	REQUIRE(nbrs_feed_init(&f, &r2, &_prm) == 0);
	volatile int *done = st_shared(sizeof(int));
	struct _rd rd = { &r2, done };
	pid_t kid = st_fork(_reader, &rd);
	for (uint64_t u = 0; u < 1500; u++) {
		_touch(&r2, 5000 + u, 2000 + u, EVT_CLICK, T0 + (int64_t)u);
		_touch(&r2, 5000 + u, 1000, EVT_CLICK, T0 + (int64_t)u + 1);
		REQUIRE(nbrs_pass(&f, &r2, NULL) == 0);
	}
	__atomic_store_n(done, 1, __ATOMIC_RELEASE);
	CHECK(st_wait_ok(kid, "reader"));
	nbrs_feed_free(&f);

	/* The CPU budget: the interval, or d / share when longer. */
	CHECK(nbrs_next_ms(10000, 100, 0.25) == 10000);
	CHECK(nbrs_next_ms(10000, 5000, 0.25) == 20000);
	CHECK(nbrs_next_ms(10000, 2500, 0.25) == 10000);
	CHECK(nbrs_next_ms(1000, 900, 1.0) == 1000);
	CHECK(nbrs_next_ms(1000, 1500, 1.0) == 1500);
	return check_done("shm neighbors_pass");
}
