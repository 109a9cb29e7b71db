/* seqlock_fork: readers in other processes never see a torn profile (whole or its hot part) while a forked writer rewrites it; a record left odd by a dead writer reads -EBUSY until prof_repair_seqlocks. */
#include <string.h>

#include "shm/profiles.h"
#include "shmtest.h"

#define READS_MAX 3000000UL  /* per reader */
#define READ_NS 2000000000LL /* ~2 s per reader, whichever comes first */
#define WRITER_MAX_NS 15000000000LL
#define WORDS ((sizeof(struct lrn_profile) - 8) / 8)

struct ctl {
	volatile int start;
	volatile int stop;
	volatile uint64_t writes;
	volatile uint64_t reads[2], distinct[2], busy[2];
};

static const char *g_inst;
static struct ctl *g_ctl;
static uint64_t g_key;

/* Everything after user_key, as words: all equal v in a whole copy. */
static uint64_t *words(struct lrn_profile *p)
{
	return (uint64_t *)((char *)p + 8);
}

static int writer(void *arg)
{
	(void)arg;
	struct reg r;
	char err[256];
	if (reg_attach(&r, g_inst, NULL, err, sizeof(err)))
		return 2;
	struct prof_ref ref;
	if (prof_find_or_insert(&r, 0, g_key, &ref))
		return 3;
	struct prof_slot *slot = reg_shard_records(&r, 0) + ref.rec;
	while (!g_ctl->start)
		;
	int64_t until = st_mono_ns() + WRITER_MAX_NS;
	uint64_t v = 1;
	while (!g_ctl->stop && st_mono_ns() < until) {
		for (int burst = 0; burst < 256; burst++) {
			v++;
			prof_write_begin(slot);
			uint64_t *w = words(&slot->p);
			for (size_t i = 0; i < WORDS; i++)
				w[i] = v;
			prof_write_end(slot);
			/* A short, varying gap: readers also get in between. */
			for (uint64_t k = 0; k < (v & 63); k++)
				ck_pr_stall();
		}
		g_ctl->writes = v;
	}
	reg_detach(&r);
	return 0;
}

static int reader(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct reg r;
	char err[256];
	if (reg_attach(&r, g_inst, NULL, err, sizeof(err)))
		return 2;
	while (!g_ctl->start)
		;
	int64_t until = st_mono_ns() + READ_NS;
	uint64_t last = 0, distinct = 0, busy = 0, n;
	int bad = 0;
	for (n = 0; n < READS_MAX; n++) {
		if ((n & 1023) == 0 && st_mono_ns() > until)
			break;
		struct lrn_profile p;
		/* Whole copies by record and by key, and the hot part only. */
		unsigned mode = (unsigned)(n % 3);
		size_t nwords = mode == 2 ? (LRN_HOT_BYTES - 8) / 8 : WORDS;
		int rc = mode == 0 ? prof_copy(&r, 0, 0, &p)
		    : mode == 1	   ? prof_read(&r, g_key, &p)
				: prof_read_part(&r, g_key, &p, LRN_HOT_BYTES);
		if (rc == -EBUSY) { /* the writer was preempted mid-write */
			busy++;
			continue;
		}
		if (rc) {
			fprintf(stderr, "reader %d: read %d\n", id, rc);
			return 1;
		}
		if (p.user_key != g_key)
			bad++;
		uint64_t *w = words(&p);
		for (size_t i = 1; i < nwords; i++)
			if (w[i] != w[0]) {
				if (bad++ < 5)
					fprintf(stderr,
					    "reader %d: torn copy: word %zu = %llu, word 0 = %llu\n",
					    id, i, (unsigned long long)w[i],
					    (unsigned long long)w[0]);
				break;
			}
		if (w[0] < last) {
			if (bad++ < 5)
				fprintf(stderr,
				    "reader %d: went back %llu -> %llu\n", id,
				    (unsigned long long)last,
				    (unsigned long long)w[0]);
		}
		if (w[0] != last)
			distinct++;
		last = w[0];
	}
	g_ctl->reads[id] = n;
	g_ctl->distinct[id] = distinct;
	g_ctl->busy[id] = busy;
	reg_detach(&r);
	return bad ? 1 : 0;
}

static int busy_reader(void *arg)
{
	(void)arg;
	struct reg r;
	char err[256];
	struct lrn_profile p;
	if (reg_attach(&r, g_inst, NULL, err, sizeof(err)))
		return 2;
	int rc = prof_read(&r, g_key + 1, &p);
	reg_detach(&r);
	return rc == -EBUSY ? 0 : 1;
}

int main(void)
{
	st_init(40);
	g_inst = st_instance("seqlock");
	struct reg_geometry g = st_geo(1, 1, 16, 16, 8, 8);
	struct reg r;
	st_create(&r, g_inst, &g, REG_RUNNING);
	g_key = 0x1234567800000001ULL;
	g_ctl = st_shared(sizeof(*g_ctl));
	{
		struct prof_ref ref;
		REQUIRE(prof_find_or_insert(&r, 0, g_key, &ref) == 0);
		REQUIRE(ref.rec == 0);
	}

	pid_t w = st_fork(writer, NULL);
	pid_t r0 = st_fork(reader, (void *)(intptr_t)0);
	pid_t r1 = st_fork(reader, (void *)(intptr_t)1);
	g_ctl->start = 1;
	CHECK(st_wait_ok(r0, "reader 0"));
	CHECK(st_wait_ok(r1, "reader 1"));
	g_ctl->stop = 1;
	CHECK(st_wait_ok(w, "writer"));
	printf(
	    "writes %llu; reader 0: %llu reads, %llu values, %llu busy; reader 1: %llu reads, %llu values, %llu busy\n",
	    (unsigned long long)g_ctl->writes,
	    (unsigned long long)g_ctl->reads[0],
	    (unsigned long long)g_ctl->distinct[0],
	    (unsigned long long)g_ctl->busy[0],
	    (unsigned long long)g_ctl->reads[1],
	    (unsigned long long)g_ctl->distinct[1],
	    (unsigned long long)g_ctl->busy[1]);
	/* The test means something only if reads overlapped writes. */
	CHECK(g_ctl->writes > 1000);
	CHECK(g_ctl->distinct[0] + g_ctl->distinct[1] > 2);
	CHECK_EQ_INT(reg_shard_records(&r, 0)[0].seq.sequence & 1, 0);

	/* Dead writer: odd sequence -> -EBUSY (bounded), then repaired. */
	struct prof_ref ref;
	REQUIRE(prof_find_or_insert(&r, 0, g_key + 1, &ref) == 0);
	struct prof_slot *slot = reg_shard_records(&r, 0) + ref.rec;
	struct lrn_profile p;
	CHECK_EQ_INT(prof_copy(&r, 0, ref.rec, &p), 0);
	prof_write_begin(slot); /* ... and the writer is gone */
	slot->p.events = 123;
	CHECK_EQ_INT(slot->seq.sequence & 1, 1);
	CHECK_EQ_INT(prof_copy(&r, 0, ref.rec, &p), -EBUSY);
	CHECK_EQ_INT(prof_read(&r, g_key + 1, &p), -EBUSY);
	CHECK_EQ_INT(prof_read(&r, g_key, &p), 0); /* others unaffected */
	pid_t b = st_fork(busy_reader, NULL);
	CHECK(st_wait_ok(b, "reader of a stuck record"));
	CHECK_EQ_INT(prof_repair_seqlocks(&r, 0), 1);
	CHECK_EQ_INT(slot->seq.sequence & 1, 0);
	CHECK_EQ_INT(prof_copy(&r, 0, ref.rec, &p), 0);
	CHECK_EQ_INT(prof_read(&r, g_key + 1, &p), 0);
	CHECK_EQ_INT(p.events, 123);
	CHECK_EQ_INT(prof_repair_seqlocks(&r, 0), 0);
	/* The writer carries on normally after the repair. */
	prof_write_begin(slot);
	slot->p.events = 124;
	prof_write_end(slot);
	CHECK_EQ_INT(prof_read(&r, g_key + 1, &p), 0);
	CHECK_EQ_INT(p.events, 124);

	reg_detach(&r);
	reg_unlink(g_inst);
	return check_done("seqlock_fork");
}
