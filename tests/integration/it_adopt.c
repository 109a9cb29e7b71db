/*
 * it_adopt: kill -9 of the supervisor itself under load. Its workers die
 * with it (PR_SET_PDEATHSIG); the region stays, the client keeps waiting on
 * its full rings; a new penchantd adopts the region, its workers recover,
 * and every event ends up applied exactly once.
 */
#include "harness.h"
#include "workload.h"

int main(int argc, char **argv)
{
	struct hx h;
	const uint64_t events = 300000;
	const unsigned users = 20000;
	hx_init(&h, "adopt", argc, argv);
	const char *flags[] = { "--shards=2", "--profiles-per-shard=32768",
		"--ring-depth=1024", NULL };
	hx_start(&h, flags);
	static char catalog[WL_ENTITIES * 160];
	size_t clen = wl_catalog_jsonl(catalog, sizeof(catalog));
	CHECK_EQ_INT(hx_cli(&h, catalog, clen, NULL, 0, NULL, 0, "catalog",
			 "load", "-", NULL),
	    0);

	pid_t client = fork();
	REQUIRE(client >= 0);
	if (client == 0) {
		pen_t *p;
		char user[32], ent[32], err[128];
		if (pen_open(h.instance, &p, err, sizeof(err)))
			_exit(1);
		for (uint64_t i = 0; i < events; i++) {
			struct wl_ev e;
			struct pen_event pe;
			wl_event(i, users, &e);
			wl_pen_event(&e, &pe, user, ent);
			if (pen_publish(p, &pe, 0, err, sizeof(err)))
				_exit(2);
		}
		int rc = pen_flush(p, 60000);
		pen_close(&p);
		_exit(rc ? 3 : 0);
	}
	pen_t *p;
	REQUIRE(pen_open(h.instance, &p, NULL, 0) == 0);
	/* Let the load get going, then kill the supervisor outright. */
	while (client_region(p)->hdr->state == REG_RUNNING) {
		struct pen_stats st;
		pen_stats_read(p, &st);
		if (st.published > events / 3)
			break;
		hx_sleep_ms(1);
	}
	pid_t old = h.pid;
	kill(old, SIGKILL);
	waitpid(old, NULL, 0);
	h.pid = 0;
	/* Its children follow it (workers, acceptor, segmenter, server);
	 * wait until none is left holding the instance (on a busy machine
	 * the last of them can take seconds). */
	for (int i = 0; i < 3000; i++) {
		bool any = false;
		const struct reg *r0 = client_region(p);
		for (unsigned k = 0; k < reg_nprocs(r0); k++) {
			int32_t w = reg_proc(r0, k)->pid;
			any |= w > 0 && w != old && kill(w, 0) == 0;
		}
		if (!any)
			break;
		hx_sleep_ms(10);
	}
	hx_sleep_ms(50);
	hx_start(&h, flags);
	const struct reg *r = client_region(p);
	CHECK(r->hdr->adoptions == 1);
	CHECK(r->hdr->supervisor_pid == h.pid);
	int st;
	waitpid(client, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(hx_wait_drained(r, 30000));
	struct wl_ref *ref = wl_reference(events, users);
	REQUIRE(ref);
	unsigned bad = 0;
	char id[32];
	for (unsigned u = 0; u < users && bad < 5; u++) {
		struct pen_profile pp;
		snprintf(id, sizeof(id), "user-%u", u);
		if (pen_profile_read(p, id, strlen(id), &pp, 0)) {
			bad += ref[u].events != 0;
			continue;
		}
		bad += wl_compare(u, &ref[u], &pp) != 0;
	}
	CHECK_EQ_INT(bad, 0);
	printf(
	    "supervisor killed under load; %llu events exact after adoption\n",
	    (unsigned long long)events);
	free(ref);
	pen_close(&p);
	st = hx_stop(&h);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hx_cleanup(&h);
	return check_done("it_adopt");
}
