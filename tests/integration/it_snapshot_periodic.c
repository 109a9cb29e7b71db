/*
 * it_snapshot_periodic: with snapshot_interval_s, a running penchantd
 * writes snapshots by itself; after a simulated machine crash (supervisor
 * and workers killed with SIGKILL, /dev/shm wiped) the next start restores
 * every profile the last snapshot saw.
 */
#include "harness.h"

#define USERS 200
#define PER_USER 5

static void _publish(pen_t *p)
{
	char user[32], err[128];
	for (unsigned u = 0; u < USERS; u++)
		for (unsigned k = 0; k < PER_USER; k++) {
			snprintf(user, sizeof(user), "snap-user-%u", u);
			struct pen_event ev = { .user_id = user,
				.event_type = k % 2 ? "click" : "rsvp",
				.entity_id = "e1",
				.time_ms = 1767258000000LL + k * 3600000LL,
				.scroll_depth = -1 };
			REQUIRE(pen_publish(p, &ev, 0, err, sizeof(err)) == 0);
		}
	REQUIRE(pen_flush(p, 10000) == 0);
}

static struct timespec _mtime(const char *path)
{
	struct stat st;
	struct timespec none = { 0, 0 };
	return stat(path, &st) ? none : st.st_mtim;
}

int main(int argc, char **argv)
{
	struct hx h;
	hx_init(&h, "snapper", argc, argv);
	const char *flags[] = { "--shards=2", "--snapshot-interval-s=1",
		"--udp-listen=", "--tcp-listen=", "--forward-listen=", NULL };
	hx_start(&h, flags);
	pen_t *p;
	REQUIRE(pen_open(h.instance, &p, NULL, 0) == 0);
	_publish(p);
	char path[256];
	snprintf(path, sizeof(path), "%s/%s.snap", h.state_dir, h.instance);
	struct timespec t0;
	clock_gettime(CLOCK_REALTIME, &t0);
	/* A snapshot written after everything was applied (bounded wait). */
	bool fresh = false;
	for (int i = 0; i < 100 && !fresh; i++) {
		struct timespec m = _mtime(path);
		fresh = m.tv_sec > t0.tv_sec ||
		    (m.tv_sec == t0.tv_sec && m.tv_nsec > t0.tv_nsec);
		hx_sleep_ms(100);
	}
	CHECK(fresh);
	hx_sleep_ms(200); /* let a snapshot child that is writing finish */
	pen_close(&p);

	/* Machine crash: every process gone, /dev/shm wiped. */
	kill(h.pid, SIGKILL);
	waitpid(h.pid, NULL, 0);
	h.pid = 0;
	hx_sleep_ms(300); /* the workers die with their supervisor */
	reg_unlink(h.instance);
	char lock[128];
	snprintf(lock, sizeof(lock), "/dev/shm/penchant-run-%u/%s.lock",
	    (unsigned)geteuid(), h.instance);
	unlink(lock);

	hx_start(&h, flags);
	REQUIRE(pen_open(h.instance, &p, NULL, 0) == 0);
	unsigned found = 0;
	char user[32];
	for (unsigned u = 0; u < USERS; u++) {
		struct pen_profile pp;
		snprintf(user, sizeof(user), "snap-user-%u", u);
		if (pen_profile_read(p, user, strlen(user), &pp, 0) == 0 &&
		    pp.events == PER_USER && pp.counts[PEN_N_RSVP] == 3 &&
		    pp.counts[PEN_N_CLICK] == 2)
			found++;
	}
	CHECK_EQ_INT(found, USERS);
	pen_close(&p);
	int st = hx_stop(&h);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hx_cleanup(&h);
	return check_done("it_snapshot_periodic");
}
