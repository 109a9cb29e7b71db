/*
 * segmenter: the refresh loop of the segments table (segmenter.h).
 */
#include "workers/segmenter.h"

#include <ck_pr.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shm/experiments.h"
#include "shm/neighbors.h"
#include "shm/segment.h"
#include "workers/log.h"

#define _ROLE "segmenter"
#define _TICK_MS 200
#define _RETRY_MS 10000 /* after a refresh with too few users */

static volatile sig_atomic_t _stop;

static void _on_term(int sig)
{
	(void)sig;
	_stop = 1;
}

/* The neighbour counts a previous run kept, if any (a file it cannot
 * take is said and left; counting starts afresh). 0, or the error of a
 * feed that could not be made again (no neighbours then). */
static int _load(const struct cfg *c, const struct reg *r, struct nbrs_feed *nb,
    const struct nbr_params *np, const char *path)
{
	if (!path[0])
		return 0;
	char err[700];
	int rc = nbrs_load(nb, r, path, err, sizeof(err));
	if (rc == 0)
		LOG(c, CFG_LOG_INFO, _ROLE,
		    "neighbour counts of %u items from %s", nb->counts.n, path);
	else if (rc != -ENOENT) {
		LOG(c, CFG_LOG_WARN, _ROLE, "%s", err);
		nbrs_feed_free(nb);
		if ((rc = nbrs_feed_init(nb, r, np))) {
			LOG(c, CFG_LOG_WARN, _ROLE, "no item neighbours: %s",
			    strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void _save(const struct cfg *c, const struct nbrs_feed *nb,
    const char *path)
{
	char err[700];
	if (nbrs_save(nb, path, err, sizeof(err)))
		LOG(c, CFG_LOG_WARN, _ROLE, "%s", err);
}

int sgm_main(const struct reg *r, const struct cfg *c)
{
	struct reg_proc *me = reg_proc(r, reg_proc_segmenter(r));
	struct seg_block *b = reg_segments(r);
	struct sigaction sa = { .sa_handler = _on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Ingest first: a refresh may take a core for a second. */
	if (nice(10) == -1 && errno)
		LOG(c, CFG_LOG_WARN, _ROLE, "cannot lower its priority: %s",
		    strerror(errno));
	struct seg_options o;
	seg_options_of(c, &o);
	ck_pr_store_uint(&me->ready, 1);
	/* Item neighbours: counted in this process's memory, kept in a
	 * file beside the snapshot (read once the region runs: its
	 * profiles say what was already counted). */
	struct nbrs_feed nb;
	struct nbr_params np;
	nbrs_params_of(c, &np);
	int nrc = nbrs_feed_init(&nb, r, &np);
	if (nrc && nrc != -ENODEV)
		LOG(c, CFG_LOG_WARN, _ROLE,
		    "no item neighbours: %s (neighbor_items %u)",
		    strerror(-nrc), c->neighbor_items);
	/* The counts of the last run, kept beside the snapshot. */
	char path[512] = "";
	if (!nrc && c->snapshot && r->hdr->state_dir[0])
		nbrs_path(r->hdr->state_dir, r->hdr->instance, path,
		    sizeof(path));
	bool loaded = false;
	uint64_t saved_pairs = 0;
	int64_t saved = reg_now_mono_ms(),
		save_every = (int64_t)c->snapshot_interval_s * 1000;
	int64_t counted = 0,
		count_every = (int64_t)c->neighbor_interval_s * 1000;
	/* Requests no attempt answered yet are served: those made before
	 * a fresh region's first segmenter came up (a client may ask as
	 * soon as workers run), while a killed one was down, or during the
	 * attempt it was killed in. */
	uint64_t seen = ck_pr_load_64(&b->answered);
	int64_t last = 0, every = (int64_t)c->segment_interval_s * 1000;
	int64_t looked = 0, look_every = (int64_t)c->experiment_look_s * 1000;
	expb_repair_looks(r); /* a segmenter killed mid-look */
	while (!_stop) {
		int64_t now = reg_now_mono_ms();
		ck_pr_store_64((uint64_t *)&me->heartbeat_ms, (uint64_t)now);
		/* The experiments' looks (always-valid tests, bandit weights):
		 * this process is their only writer. */
		if (now - looked >= look_every) {
			looked = now;
			expb_looks(r);
		}
		if (!nrc && !loaded &&
		    ck_pr_load_uint(&r->hdr->state) == REG_RUNNING) {
			loaded = true;
			nrc = _load(c, r, &nb, &np, path);
		}
		if (!nrc && now - counted >= count_every &&
		    ck_pr_load_uint(&r->hdr->state) == REG_RUNNING) {
			struct nbrs_stats ns;
			nbrs_pass(&nb, r, &ns);
			/* At most neighbor_cpu_share of a core, however busy. */
			count_every =
			    nbrs_next_ms((int64_t)c->neighbor_interval_s * 1000,
				reg_now_mono_ms() - now, c->neighbor_cpu_share);
			counted = now;
			if (path[0] && save_every &&
			    now - saved >= save_every &&
			    nb.counts.pairs != saved_pairs) {
				_save(c, &nb, path);
				saved = now;
				saved_pairs = nb.counts.pairs;
			}
			if (ns.users)
				LOG(c, CFG_LOG_DEBUG, _ROLE,
				    "neighbours: %llu users, %llu items counted, %u lists",
				    (unsigned long long)ns.users,
				    (unsigned long long)ns.fresh, ns.published);
		}
		uint64_t asked = ck_pr_load_64(&b->refresh_requests);
		bool due = asked != seen || (every && now - last >= every) ||
		    (!last && every);
		if (!due || ck_pr_load_uint(&r->hdr->state) != REG_RUNNING) {
			struct timespec ts = { 0, _TICK_MS * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		seen = asked;
		last = now;
		char err[256] = "";
		struct seg_stats st;
		int rc = seg_refresh(r, &o, &st, err, sizeof(err));
		seg_note(r, asked, rc, err);
		if (rc == -ENODATA) {
			LOG(c, CFG_LOG_DEBUG, _ROLE, "not yet: %s", err);
			/* Too few users yet: look again soon, not a whole
			 * interval later (a fresh instance fills quickly). */
			if (every > _RETRY_MS)
				last = now - every + _RETRY_MS;
		} else if (rc)
			LOG(c, CFG_LOG_WARN, _ROLE, "refresh failed: %s", err);
		else
			LOG(c, CFG_LOG_INFO, _ROLE,
			    "%u segments of %llu users in %.2f s (copy %.2f, features %.2f, clustering %.2f)",
			    st.k, (unsigned long long)st.users,
			    st.seconds_total, st.seconds_copy,
			    st.seconds_features, st.seconds_cluster);
	}
	if (path[0] && nb.counts.pairs != saved_pairs)
		_save(c, &nb, path);
	nbrs_feed_free(&nb);
	return 0;
}
