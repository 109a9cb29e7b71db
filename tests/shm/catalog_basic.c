/* catalog_basic: the catalog writer lock across processes (held, dead holder taken over), cat_put/cat_get in place, -ENOSPC, names put/get/is_tag and -EEXIST. */
#include <pthread.h>
#include <string.h>

#include "shm/catalog.h"
#include "shm/seqlock.h"
#include "shmtest.h"

static const char *g_inst;
static int g_pipe[2]; /* parent -> holder: "you may exit now" */

static int try_lock(void *arg)
{
	(void)arg;
	struct reg r;
	char err[256] = "";
	if (reg_attach(&r, g_inst, NULL, err, sizeof(err)))
		return 2;
	int rc = cat_lock(&r, err, sizeof(err));
	char want[64];
	snprintf(want, sizeof(want), "thread %d", (int)getppid());
	int ok = rc == -EBUSY && strstr(err, want) != NULL;
	if (!ok)
		fprintf(stderr, "child: cat_lock %d '%s'\n", rc, err);
	reg_detach(&r);
	return ok ? 0 : 1;
}

/* Takes the lock; if told to hold, blocks until the parent says so; dies
 * without unlocking. */
static int hold_and_die(void *arg)
{
	int hold = (int)(intptr_t)arg;
	struct reg r;
	char err[256] = "";
	if (reg_attach(&r, g_inst, NULL, err, sizeof(err)))
		return 2;
	if (cat_lock(&r, err, sizeof(err)))
		return 3;
	if (hold) {
		char c;
		close(g_pipe[1]);
		if (read(g_pipe[0], &c, 1) < 0)
			return 4;
	}
	_exit(0); /* no cat_unlock: a dead holder */
}

static struct cat_item item(uint32_t cat, uint32_t tag, int64_t start)
{
	struct cat_item it;
	memset(&it, 0, sizeof(it));
	it.item.category = cat;
	it.item.n_tags = 2;
	it.item.tags[0] = tag;
	it.item.tags[1] = tag + 1;
	it.start_ms = start;
	it.geo_cell = 0xabc;
	it.setting = 2;
	it.group_friendly = 1;
	it.price_level = 3;
	return it;
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

/* Another thread of this process tries the lock. */
struct thread_try {
	struct reg *r;
	int rc;
};
static void *thread_lock(void *arg)
{
	struct thread_try *t = arg;
	char err[256];
	t->rc = cat_lock(t->r, err, sizeof(err));
	return NULL;
}

int main(void)
{
	st_init(20);
	g_inst = st_instance("catalog");
	struct reg_geometry g = st_geo(1, 1, 16, 8, 4, 4);
	struct reg r;
	char err[256] = "";
	st_create(&r, g_inst, &g, REG_RUNNING);
	struct cat_block *cb = reg_catalog(&r);

	/* Lock: held by us, refused to another live process. */
	CHECK_EQ_INT(cat_lock(&r, err, sizeof(err)), 0);
	CHECK_EQ_INT(cb->writer, getpid());
	CHECK_EQ_INT(cat_lock(&r, err, sizeof(err)), 0); /* re-entrant */
	CHECK(st_wait_ok(st_fork(try_lock, NULL), "second locker"));
	/* and refused to another thread of this process */
	pthread_t th;
	struct thread_try tt = { &r, 0 };
	REQUIRE(pthread_create(&th, NULL, thread_lock, &tt) == 0);
	REQUIRE(pthread_join(th, NULL) == 0);
	CHECK_EQ_INT(tt.rc, -EBUSY);
	uint64_t v0 = cb->version;
	cat_unlock(&r);
	CHECK_EQ_INT(cb->writer, 0);
	CHECK_EQ_INT(cb->version, v0 + 1);

	/* Held by a live child: we are refused, with its pid in the message. */
	REQUIRE(pipe(g_pipe) == 0);
	pid_t holder = st_fork(hold_and_die, (void *)(intptr_t)1);
	close(g_pipe[0]);
	while (ck_pr_load_int(&cb->writer) != holder)
		st_sleep_us(200);
	CHECK_EQ_INT(cat_lock(&r, err, sizeof(err)), -EBUSY);
	char want[32];
	snprintf(want, sizeof(want), "thread %d", (int)holder);
	CHECK(strstr(err, want) != NULL);
	/* It dies holding the lock: we take it over. */
	close(g_pipe[1]);
	CHECK(st_wait_ok(holder, "holder"));
	CHECK_EQ_INT(cb->writer, holder);
	CHECK_EQ_INT(cat_lock(&r, err, sizeof(err)), 0);
	CHECK_EQ_INT(cb->writer, getpid());

	/* Entities: put, get, update in place. */
	struct cat_item a = item(11, 100, 1000), b = item(12, 200, 2000), out;
	CHECK_EQ_INT(cat_get(&r, 42, &out), -ENOENT);
	CHECK_EQ_INT(cat_put(&r, 42, &a), 0);
	CHECK_EQ_INT(cat_put(&r, 43, &b), 0);
	CHECK_EQ_INT(cb->count, 2);
	CHECK_EQ_INT(cat_get(&r, 42, &out), 0);
	CHECK(same_item(&out, &a));
	CHECK_EQ_INT(cat_get(&r, 43, &out), 0);
	CHECK(same_item(&out, &b));
	uint64_t updates = cb->updates;
	struct cat_item a2 = item(13, 300, 3000);
	CHECK_EQ_INT(cat_put(&r, 42, &a2), 0);
	CHECK_EQ_INT(cb->count, 2);
	CHECK_EQ_INT(cb->updates, updates + 1);
	CHECK_EQ_INT(cat_get(&r, 42, &out), 0);
	CHECK(same_item(&out, &a2));
	/* Keys colliding on the first slot (slots = 8: low 3 bits). */
	CHECK_EQ_INT(cat_put(&r, 42 + 8, &b), 0);
	CHECK_EQ_INT(cat_get(&r, 42 + 8, &out), 0);
	CHECK(same_item(&out, &b));
	CHECK_EQ_INT(cat_get(&r, 42, &out), 0);
	CHECK(same_item(&out, &a2));

	/* Capacity 4: the 5th new key is refused, updates still work. */
	CHECK_EQ_INT(cat_put(&r, 44, &a), 0);
	CHECK_EQ_INT(cb->count, 4);
	CHECK_EQ_INT(cat_put(&r, 45, &a), -ENOSPC);
	CHECK_EQ_INT(cat_get(&r, 45, &out), -ENOENT);
	CHECK_EQ_INT(cat_put(&r, 44, &b), 0);
	CHECK_EQ_INT(cat_get(&r, 44, &out), 0);
	CHECK(same_item(&out, &b));

	/* An entry left mid-write reads -EBUSY; rewriting it repairs it. */
	struct cat_entry *ents = reg_catalog_entries(&r);
	struct cat_entry *stuck = NULL;
	for (unsigned i = 0; i < g.catalog_slots; i++)
		if (ents[i].key == 43)
			stuck = &ents[i];
	REQUIRE(stuck);
	stuck->seq.sequence |= 1;
	CHECK_EQ_INT(cat_get(&r, 43, &out), -EBUSY);
	CHECK_EQ_INT(cat_get(&r, 42, &out), 0);
	CHECK_EQ_INT(cat_put(&r, 43, &a), 0);
	CHECK_EQ_INT(stuck->seq.sequence & 1, 0);
	CHECK_EQ_INT(cat_get(&r, 43, &out), 0);
	CHECK(same_item(&out, &a));

	/* Names. */
	char buf[160];
	CHECK_EQ_INT(cat_name_put(&r, NAME_TAG, 7, "jazz", 4), 0);
	CHECK_EQ_INT(cat_name_put(&r, NAME_CATEGORY, 9, "music", 5), 0);
	CHECK_EQ_INT(cat_name_get(&r, 7, buf, sizeof(buf)), NAME_TAG);
	CHECK(strcmp(buf, "jazz") == 0);
	CHECK_EQ_INT(cat_name_get(&r, 9, buf, sizeof(buf)), NAME_CATEGORY);
	CHECK(strcmp(buf, "music") == 0);
	CHECK(cat_is_tag(&r, 7));
	CHECK(!cat_is_tag(&r, 9));
	CHECK(!cat_is_tag(&r, 8));
	CHECK(!cat_is_tag(&r, 0));
	CHECK_EQ_INT(cat_name_get(&r, 8, buf, sizeof(buf)), 0);
	CHECK(strcmp(buf, "#8") == 0);
	/* Same name again: fine. A different name (or kind) for the id: -EEXIST,
	 * the first stays. */
	CHECK_EQ_INT(cat_name_put(&r, NAME_TAG, 7, "jazz", 4), 0);
	CHECK_EQ_INT(cat_name_put(&r, NAME_TAG, 7, "rock", 4), -EEXIST);
	CHECK_EQ_INT(cat_name_put(&r, NAME_CATEGORY, 7, "jazz", 4), -EEXIST);
	CHECK_EQ_INT(cat_name_get(&r, 7, buf, sizeof(buf)), NAME_TAG);
	CHECK(strcmp(buf, "jazz") == 0);
	/* Names are kept whole up to NAME_MAX_LEN bytes. */
	const char *lng = "Residential Building (Apartment / Condo)";
	CHECK_EQ_INT(cat_name_put(&r, NAME_TAG, 11, lng, strlen(lng)), 0);
	CHECK_EQ_INT(cat_name_get(&r, 11, buf, sizeof(buf)), NAME_TAG);
	CHECK(strcmp(buf, lng) == 0);
	/* Longer ones are cut at NAME_MAX_LEN, never inside a UTF-8
	 * character (here a 2-byte one straddles the limit); the cut name
	 * is "the same". */
	char huge[300], got[300];
	memset(huge, 'x', sizeof(huge));
	huge[NAME_MAX_LEN - 1] = (char)0xc3; /* "é" across bytes 127..128 */
	huge[NAME_MAX_LEN] = (char)0xa9;
	CHECK_EQ_INT(cat_name_put(&r, NAME_TAG, 12, huge, sizeof(huge)), 0);
	cat_name_get(&r, 12, got, sizeof(got));
	CHECK_EQ_INT(strlen(got), NAME_MAX_LEN - 1);
	CHECK_EQ_INT(cat_name_put(&r, NAME_TAG, 12, huge, sizeof(huge)), 0);
	CHECK_EQ_INT(cat_name_put(&r, NAME_TAG, 11, lng, strlen(lng)), 0);
	/* A small buffer is NUL-terminated. */
	char small[4];
	CHECK_EQ_INT(cat_name_get(&r, 9, small, sizeof(small)), NAME_CATEGORY);
	CHECK(strcmp(small, "mus") == 0);
	/* Capacity 4. */
	CHECK_EQ_INT(cat_name_put(&r, NAME_TAG, 12, "x", 1),
	    -EEXIST); /* the 4th */
	CHECK_EQ_INT(cb->names, 4);
	CHECK_EQ_INT(cat_name_put(&r, NAME_TAG, 13, "y", 1), -ENOSPC);
	CHECK_EQ_INT(cat_name_get(&r, 13, buf, sizeof(buf)), 0);
	cat_unlock(&r);

	/* A dead holder that never held: a child locks and dies at once. */
	CHECK(
	    st_wait_ok(st_fork(hold_and_die, (void *)(intptr_t)0), "holder 2"));
	CHECK(cb->writer != 0 && cb->writer != getpid());
	CHECK_EQ_INT(cat_lock(&r, err, sizeof(err)), 0);
	cat_unlock(&r);

	/* A holder killed inside cat_put: its entry's count stays odd and
	 * readers give up on it (-EBUSY) each time. The supervisor's
	 * cat_reclaim takes the dead holder's lock, which empties the
	 * entry: it reads at once, attributes unknown. A live holder's lock
	 * is not taken. */
	{
		struct cat_item it, half;
		memset(&it, 0, sizeof(it));
		it.item.category = 77;
		CHECK_EQ_INT(cat_lock(&r, err, sizeof(err)), 0);
		CHECK_EQ_INT(cat_put(&r, 42, &it), 0); /* an item in place */
		CHECK_EQ_INT(cat_reclaim(&r), false);  /* held, by us */
		cat_unlock(&r);
		CHECK_EQ_INT(cat_reclaim(&r), false); /* free */
		struct cat_entry *e = reg_catalog_entries(&r);
		uint32_t at = 0;
		while (e[at].key != 42)
			at++;
		seq_write_begin(&e[at].seq);
		e[at].it.item.category = 78; /* half of a write */
		cb->writer = 4000000;	     /* above any pid_max: dead */
		CHECK_EQ_INT(cat_get(&r, 42, &half), -EBUSY);
		CHECK_EQ_INT(cat_reclaim(&r), true);
		CHECK_EQ_INT(cb->writer, 0);
		CHECK_EQ_INT(cat_get(&r, 42, &half), 0);
		CHECK_EQ_INT(half.item.category, 0);
		/* nothing known: sensitive (nothing learned of it), price
		 * unknown, marked torn (left out of snapshots) */
		CHECK_EQ_INT(half.flags, ITEM_F_SENSITIVE | ITEM_F_TORN);
		CHECK_EQ_INT(half.price_level, 255);
	}

	reg_detach(&r);
	reg_unlink(g_inst);
	return check_done("catalog_basic");
}
