/*
 * it_load: 4 client processes publish 1M events of 100k users into a real
 * penchantd; every user's profile must equal the independently computed
 * reference. With "kill", a shard worker is SIGKILLed 20 times during the
 * load: nothing may be lost or applied twice. Then penchantd is restarted
 * and the snapshot must restore identical profiles.
 *
 * usage: it_load PENCHANTD PENCHANT exact|kill [EVENTS USERS]
 */
#include "harness.h"
#include "workload.h"

#define CLIENTS 4

static int _client(const char *instance, uint64_t from, uint64_t to,
    unsigned users)
{
	pen_t *p;
	char err[256], user[32], ent[32];
	if (pen_open(instance, &p, err, sizeof(err))) {
		fprintf(stderr, "client: %s\n", err);
		return 1;
	}
	struct pen_prepared batch[64];
	size_t nb = 0;
	for (uint64_t i = from; i < to; i++) {
		struct wl_ev e;
		struct pen_event pe;
		wl_event(i, users, &e);
		wl_pen_event(&e, &pe, user, ent);
		if (pen_prepare(p, &pe, &batch[nb], err, sizeof(err))) {
			fprintf(stderr, "client: event %llu: %s\n",
			    (unsigned long long)i, err);
			return 1;
		}
		if (++nb == 64 || i + 1 == to) {
			size_t done;
			int rc = pen_publish_prepared(p, batch, nb, 0, &done);
			if (rc || done != nb) {
				fprintf(stderr, "client: publish: %s\n",
				    pen_strerror(rc));
				return 1;
			}
			nb = 0;
		}
	}
	int rc = pen_flush(p, 120000);
	pen_close(&p);
	return rc ? 1 : 0;
}

/* SIGKILLs worker `shard` and waits until its replacement is ready. */
static bool _kill_worker(const struct reg *r, unsigned shard)
{
	struct reg_proc *w = reg_proc(r, reg_proc_worker(r, shard));
	int32_t old = ck_pr_load_int(&w->pid);
	uint32_t starts = w->starts;
	if (old <= 0 || kill(old, SIGKILL))
		return false;
	for (int i = 0; i < 2000; i++) {
		if (w->starts != starts && ck_pr_load_uint(&w->ready) &&
		    ck_pr_load_int(&w->pid) > 0)
			return true;
		hx_sleep_ms(5);
	}
	return false;
}

static struct lrn_profile *_dump(const struct reg *r, unsigned users)
{
	struct lrn_profile *all = calloc(users, sizeof(*all));
	REQUIRE(all);
	char id[32];
	for (unsigned u = 0; u < users; u++) {
		snprintf(id, sizeof(id), "user-%u", u);
		int rc = prof_read(r,
		    evt_user_key(&r->hdr->limits, id, strlen(id)), &all[u]);
		if (rc && rc != -ENOENT)
			CHECK_EQ_INT(rc, 0);
	}
	return all;
}

static unsigned _verify(pen_t *p, const struct wl_ref *ref, unsigned users)
{
	unsigned bad = 0;
	char id[32];
	for (unsigned u = 0; u < users; u++) {
		struct pen_profile pp;
		snprintf(id, sizeof(id), "user-%u", u);
		int rc = pen_profile_read(p, id, strlen(id), &pp, 0);
		if (ref[u].events == 0) {
			bad += rc != -ENOENT;
			continue;
		}
		if (rc) {
			if (bad++ < 5)
				fprintf(stderr, "user-%u: read: %s\n", u,
				    pen_strerror(rc));
			continue;
		}
		if (wl_compare(u, &ref[u], &pp) && ++bad > 5)
			break;
	}
	return bad;
}

int main(int argc, char **argv)
{
	struct hx h;
	REQUIRE(argc >= 4);
	bool kill_mode = !strcmp(argv[3], "kill");
	uint64_t events = argc > 4 ? strtoull(argv[4], NULL, 10) : 1000000;
	unsigned users =
	    argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 100000;
	hx_init(&h, kill_mode ? "kill" : "exact", argc, argv);
	const char *flags[] = { "--shards=2", "--profiles-per-shard=131072",
		"--restart-delay-ms=5", "--ring-depth=4096", NULL };
	hx_start(&h, flags);

	static char catalog[WL_ENTITIES * 160];
	size_t clen = wl_catalog_jsonl(catalog, sizeof(catalog));
	char out[4096], err[4096];
	CHECK_EQ_INT(hx_cli(&h, catalog, clen, out, sizeof(out), err,
			 sizeof(err), "catalog", "load", "-", NULL),
	    0);

	pen_t *p;
	REQUIRE(pen_open(h.instance, &p, NULL, 0) == 0);
	const struct reg *r = client_region(p);
	pid_t kids[CLIENTS];
	for (unsigned c = 0; c < CLIENTS; c++) {
		kids[c] = fork();
		REQUIRE(kids[c] >= 0);
		if (kids[c] == 0)
			_exit(_client(h.instance, events * c / CLIENTS,
			    events * (c + 1) / CLIENTS, users));
	}
	unsigned kills = 0;
	uint64_t seed = 42;
	while (kill_mode && kills < 20) {
		seed = wl_mix(seed);
		hx_sleep_ms(2 + (unsigned)(seed % 15));
		if (_kill_worker(r, kills % r->hdr->geo.shards))
			kills++;
		else
			break;
	}
	if (kill_mode) {
		printf("killed workers %u times during the load\n", kills);
		CHECK_EQ_INT(kills, 20);
	}
	for (unsigned c = 0; c < CLIENTS; c++) {
		int st;
		waitpid(kids[c], &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	CHECK(hx_wait_drained(r, 60000));

	struct wl_ref *ref = wl_reference(events, users);
	REQUIRE(ref);
	unsigned bad = _verify(p, ref, users);
	CHECK_EQ_INT(bad, 0);
	uint64_t recovered = 0, skipped = 0;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++) {
		recovered += reg_proc(r, reg_proc_worker(r, s))
				 ->counters[REG_C_RECOVERED];
		skipped +=
		    reg_proc(r, reg_proc_worker(r, s))->counters[REG_C_SKIPPED];
	}
	printf(
	    "%llu events, %u users verified; rolled back %llu, skipped %llu at restarts\n",
	    (unsigned long long)events, users, (unsigned long long)recovered,
	    (unsigned long long)skipped);

	/* Clean stop writes a snapshot; the next start restores it exactly. */
	struct lrn_profile *before = _dump(r, users);
	pen_close(&p);
	int st = hx_stop(&h);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hx_start(&h, flags);
	REQUIRE(pen_open(h.instance, &p, NULL, 0) == 0);
	struct lrn_profile *after = _dump(client_region(p), users);
	unsigned differ = 0;
	for (unsigned u = 0; u < users; u++)
		differ += memcmp(&before[u], &after[u], sizeof(before[u])) != 0;
	CHECK_EQ_INT(differ, 0);
	CHECK_EQ_INT(_verify(p, ref, users), 0);
	pen_close(&p);
	st = hx_stop(&h);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(before);
	free(after);
	free(ref);
	hx_cleanup(&h);
	return check_done(kill_mode ? "it_load kill" : "it_load exact");
}
