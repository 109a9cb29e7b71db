/*
 * supervisor: lock, create/adopt, fork, reap, restart, drain, snapshot.
 */
#include "workers/supervisor.h"

#include <ck_pr.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/boot.h"
#include "shm/catalog.h"
#include "shm/experiments.h"
#include "shm/ring.h"
#include "shm/secret.h"
#include "shm/snapshot.h"
#include "workers/acceptor.h"
#include "workers/log.h"
#include "workers/segmenter.h"
#include "workers/server.h"
#include "workers/worker.h"

#define _ROLE "supervisor"
#define _TICK_MS 20
#define _MAX_DELAY_MS 5000
#define _ACC_STOP_MS 10000 /* the acceptor's own grace is 5 s */
#define _SRV_STOP_MS 5000
#define _SEG_STOP_MS 5000 /* a refresh of a million users takes ~1 s */

struct _child {
	int64_t restart_at; /* monotonic ms; 0 = none pending */
	unsigned delay_ms;  /* next restart delay (backoff) */
};

struct _sup {
	const struct cfg *cfg;
	struct reg r;
	int lock_fd;
	sigset_t sigs;
	struct _child kids[REG_MAX_SHARDS + REG_PROCS_EXTRA];
	pid_t snap_pid;	   /* periodic snapshot child, 0 = none */
	int64_t snap_last; /* monotonic ms of the last periodic snapshot */
	bool acc_on;	   /* the acceptor is supervised */
	bool acc_stopping; /* shutdown: do not restart it */
	bool srv_on;	   /* the rank API server is supervised */
	bool srv_stopping;
	bool seg_stopping; /* the segmenter: shutdown, do not restart it */
	bool srv_failing;  /* it keeps failing at start: log restarts at
			   * debug level until it serves */
};

/* "worker 3", "acceptor" or "server", for log lines. */
static const char *_name(const struct reg_proc *p, char *buf, size_t len)
{
	if (p->role == REG_ROLE_ACCEPTOR)
		snprintf(buf, len, "acceptor");
	else if (p->role == REG_ROLE_SEGMENTER)
		snprintf(buf, len, "segmenter");
	else if (p->role == REG_ROLE_SERVER)
		snprintf(buf, len, "server");
	else
		snprintf(buf, len, "worker %u", p->index);
	return buf;
}

static int _mkdirs(const char *path)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0700) && errno != EEXIST ? -errno : 0;
}

/*
 * Warns when state_dir is not the daemon's own: a link (its files are
 * where the link points, which someone may change), another user's, or
 * writable by group or others (who could remove or replace its files:
 * the snapshot and key are refused then, the audit trail could go).
 */
static void _check_state_dir(const struct cfg *c)
{
	struct stat ls, st;
	if (lstat(c->state_dir, &ls) || stat(c->state_dir, &st))
		return;
	if (S_ISLNK(ls.st_mode))
		LOG(c, CFG_LOG_WARN, _ROLE,
		    "state_dir %s is a symbolic link: snapshots, the key and the audit trail go where it points",
		    c->state_dir);
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		LOG(c, CFG_LOG_WARN, _ROLE,
		    "state_dir %s is %s (uid %u, mode %04o): others could remove or replace the snapshot, the key and the audit trail; make it the daemon's own (chown, chmod 700)",
		    c->state_dir,
		    st.st_uid != geteuid() ? "another user's"
					   : "writable by group or others",
		    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
}

void sup_lock_dir(char *buf, size_t len)
{
	snprintf(buf, len, "/dev/shm/penchant-run-%u", (unsigned)geteuid());
}

void sup_lock_path(const char *instance, char *buf, size_t len)
{
	char dir[64];
	sup_lock_dir(dir, sizeof(dir));
	snprintf(buf, len, "%s/%s.lock", dir, instance);
}

/*
 * The lock directory exists, is a directory (not a link to one), is ours
 * and no one else's: /dev/shm is writable by all, so anyone could have
 * made it first.
 */
static int _lock_dir(struct _sup *s)
{
	char dir[64];
	sup_lock_dir(dir, sizeof(dir));
	if (mkdir(dir, 0700) && errno != EEXIST) {
		LOG(s->cfg, CFG_LOG_ERROR, _ROLE, "cannot create %s: %s", dir,
		    strerror(errno));
		return -errno;
	}
	struct stat st;
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		LOG(s->cfg, CFG_LOG_ERROR, _ROLE,
		    "%s must be a directory of uid %u with mode 0700 (not a link): another user may have planted it; remove it and start again",
		    dir, (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

static int _take_lock(struct _sup *s)
{
	char path[128];
	int rc = _lock_dir(s);
	if (rc)
		return rc;
	sup_lock_path(s->cfg->instance, path, sizeof(path));
	s->lock_fd =
	    open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		rc = -errno;
		LOG(s->cfg, CFG_LOG_ERROR, _ROLE, "cannot open %s: %s", path,
		    strerror(errno));
		return rc;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	char pid[32] = "";
	ssize_t n = pread(s->lock_fd, pid, sizeof(pid) - 1, 0);
	pid[n > 0 ? n : 0] = 0;
	LOG(s->cfg, CFG_LOG_ERROR, _ROLE,
	    "instance '%s' is already running (supervisor pid %s); stop it first or pick another --instance",
	    s->cfg->instance, pid[0] ? strtok(pid, "\n") : "?");
	close(s->lock_fd);
	s->lock_fd = -1;
	return -EBUSY;
}

/* A start that failed after taking the lock leaves no lock file. */
static void _drop_lock(struct _sup *s)
{
	char path[128];
	sup_lock_path(s->cfg->instance, path, sizeof(path));
	unlink(path);
	close(s->lock_fd);
	s->lock_fd = -1;
}

static void _write_lock_pid(struct _sup *s)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(s->lock_fd, 0) == 0)
		(void)!pwrite(s->lock_fd, pid, (size_t)n, 0);
}

static int _load_snapshot(struct _sup *s)
{
	char path[512], err[512];
	struct snap_stats st;
	snap_path(s->cfg->state_dir, s->cfg->instance, path, sizeof(path));
	int rc = snap_load(&s->r, path, &st, err, sizeof(err));
	if (rc == -ENOENT) {
		LOG(s->cfg, CFG_LOG_INFO, _ROLE,
		    "no snapshot at %s: starting empty", path);
		return 0;
	}
	if (rc) {
		LOG(s->cfg, CFG_LOG_ERROR, _ROLE, "%s", err);
		return rc;
	}
	LOG(s->cfg, CFG_LOG_INFO, _ROLE,
	    "loaded %s: %llu profiles, %llu catalog entries, %llu names", path,
	    (unsigned long long)st.profiles, (unsigned long long)st.catalog,
	    (unsigned long long)st.names);
	if (st.dropped_verbs[0])
		LOG(s->cfg, CFG_LOG_WARN, _ROLE,
		    "the snapshot counted verbs the verbs setting no longer has (%s): %llu of their counts in %llu profiles were not loaded, and the next snapshot drops them for good; add them back to verbs and restart to keep them",
		    st.dropped_verbs, (unsigned long long)st.dropped_counts,
		    (unsigned long long)st.dropped_profiles);
	return 0;
}

/* Creates the region, or adopts one left by a supervisor that died. */
/* A new region (and the snapshot into it), or the one a dead supervisor
 * left, adopted. */
static int _create_or_adopt(struct _sup *s, const struct sup_options *o,
    const struct reg_geometry *g, uint8_t *secret)
{
	char err[512];
	struct boot_options bo = { .replace = o->reset, .user_secret = secret };
	int rc = boot_create(&s->r, s->cfg->instance, s->cfg, g, &bo, err,
	    sizeof(err));
	if (rc == 0)
		return s->cfg->snapshot ? _load_snapshot(s) : 0;
	if (rc != -EEXIST) {
		LOG(s->cfg, CFG_LOG_ERROR, _ROLE, "%s", err);
		return rc;
	}
	rc = reg_attach(&s->r, s->cfg->instance, g, err, sizeof(err));
	if (rc) {
		LOG(s->cfg, CFG_LOG_ERROR, _ROLE,
		    "a region of instance '%s' was left by a supervisor that died, and cannot be adopted: %s. Start with --reset to discard it (what it learned since the last snapshot is lost).",
		    s->cfg->instance, err);
		return rc;
	}
	if (memcmp(secret, s->r.hdr->limits.user_secret, EVT_SECRET_BYTES)) {
		LOG(s->cfg, CFG_LOG_ERROR, _ROLE,
		    "the region of instance '%s' is keyed by another pseudonymization secret than %s/%s.key: it cannot be adopted. Start with --reset to discard it",
		    s->cfg->instance, s->cfg->state_dir, s->cfg->instance);
		reg_detach(&s->r);
		return -EPERM;
	}
	s->r.hdr->adoptions++;
	LOG(s->cfg, CFG_LOG_WARN, _ROLE,
	    "adopting the region left by supervisor pid %d: workers will recover in-flight events",
	    s->r.hdr->supervisor_pid);
	s->r.hdr->supervisor_pid = getpid();
	return 0;
}

static int _open_region(struct _sup *s, const struct sup_options *o)
{
	struct reg_geometry g;
	char err[512];
	boot_geometry(s->cfg, &g);
	uint8_t secret[EVT_SECRET_BYTES];
	bool fresh;
	int rc = sec_load(s->cfg->state_dir, s->cfg->instance, true, secret,
	    &fresh, err, sizeof(err));
	if (rc) {
		LOG(s->cfg, CFG_LOG_ERROR, _ROLE, "pseudonymization secret: %s",
		    err);
		return rc;
	}
	if (fresh)
		LOG(s->cfg, CFG_LOG_INFO, _ROLE,
		    "generated the pseudonymization secret %s/%s.key: keep it with the snapshots",
		    s->cfg->state_dir, s->cfg->instance);
	rc = _create_or_adopt(s, o, &g, secret);
	sodium_memzero(secret, sizeof(secret));
	if (rc && fresh) {
		/* A key made by a start that failed (a snapshot or a region
		 * that needs another key, most likely): leave the place for
		 * the right key to be restored. */
		char key[512];
		sec_path(s->cfg->state_dir, s->cfg->instance, key, sizeof(key));
		if (!unlink(key))
			LOG(s->cfg, CFG_LOG_INFO, _ROLE,
			    "removed %s again, generated by this failed start",
			    key);
	}
	return rc;
}

static void _child_body(struct _sup *s, unsigned idx)
{
	/* A worker outliving its supervisor would race the next one; dying
	 * mid-update is safe (see worker.h), so SIGKILL is the right signal. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != s->r.hdr->supervisor_pid)
		_exit(1);
	struct reg_proc *p = reg_proc(&s->r, idx);
	if (p->role == REG_ROLE_ACCEPTOR || p->role == REG_ROLE_SERVER) {
		/* SIGTERM/SIGINT stay blocked: the acceptor and the server
		 * read them from a signalfd and stop cleanly (acceptor.h,
		 * server.h). */
		sigset_t other;
		sigemptyset(&other);
		sigaddset(&other, SIGCHLD);
		sigaddset(&other, SIGHUP);
		sigprocmask(SIG_UNBLOCK, &other, NULL);
		_exit(p->role == REG_ROLE_ACCEPTOR ? acc_main(&s->r, s->cfg)
						   : srv_main(&s->r, s->cfg));
	}
	sigprocmask(SIG_UNBLOCK, &s->sigs, NULL);
	if (p->role == REG_ROLE_SEGMENTER)
		_exit(sgm_main(&s->r, s->cfg));
	if (p->role == REG_ROLE_WORKER) {
		struct wrk_options wo = {
			.batch = s->cfg->worker_batch,
			.idle_spin_us = s->cfg->idle_spin_us,
			.sleep_ms = 100,
			.idle_spin_share = s->cfg->idle_spin_share,
			.idle_spin_max_us = s->cfg->idle_spin_max_us,
			.prefault = s->cfg->worker_prefault,
		};
		_exit(wrk_main(&s->r, p->index, &wo));
	}
	_exit(0);
}

static int _spawn(struct _sup *s, unsigned idx)
{
	struct reg_proc *p = reg_proc(&s->r, idx);
	ck_pr_store_uint(&p->ready, 0);
	ck_pr_fence_store(); /* not ready before the child can set it */
	pid_t pid = fork();
	if (pid < 0) {
		LOG(s->cfg, CFG_LOG_ERROR, _ROLE, "fork: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0)
		_child_body(s, idx);
	p->pid = pid;
	p->starts++;
	p->started_ms = reg_now_mono_ms();
	p->heartbeat_ms = p->started_ms;
	char nm[32];
	LOG(s->cfg, CFG_LOG_DEBUG, _ROLE, "started %s as pid %d",
	    _name(p, nm, sizeof(nm)), (int)pid);
	return 0;
}

static int _find_child(struct _sup *s, pid_t pid)
{
	for (unsigned i = 1; i < reg_nprocs(&s->r); i++)
		if (reg_proc(&s->r, i)->pid == pid)
			return (int)i;
	return -1;
}

/* Writes the snapshot and logs the outcome; 0 or a negative errno. */
static int _snapshot_write(struct _sup *s, const char *what)
{
	char path[512], err[512];
	struct snap_stats st;
	snap_path(s->cfg->state_dir, s->cfg->instance, path, sizeof(path));
	int rc = snap_write(&s->r, path, &st, err, sizeof(err));
	if (rc == 0)
		LOG(s->cfg, CFG_LOG_INFO, _ROLE,
		    "%s snapshot %s: %llu profiles, %llu bytes", what, path,
		    (unsigned long long)st.profiles,
		    (unsigned long long)st.bytes);
	else
		LOG(s->cfg, CFG_LOG_ERROR, _ROLE, "%s snapshot: %s", what, err);
	return rc;
}

static void _snapshot_done(struct _sup *s, int status)
{
	s->snap_pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		LOG(s->cfg, CFG_LOG_WARN, _ROLE,
		    "periodic snapshot child failed (status %d); the next one is due in %u s",
		    status, s->cfg->snapshot_interval_s);
}

/*
 * Every snapshot_interval_s a child process writes a snapshot of the live
 * region (profiles are copied under their seqlocks), so the supervisor
 * keeps reaping and sweeping meanwhile and a machine crash loses at most
 * one interval of learning.
 */
static void _snapshot_periodic(struct _sup *s)
{
	unsigned iv = s->cfg->snapshot_interval_s;
	int64_t now = reg_now_mono_ms();
	if (!s->cfg->snapshot || !iv || s->snap_pid > 0 ||
	    now - s->snap_last < (int64_t)iv * 1000)
		return;
	s->snap_last = now;
	pid_t pid = fork();
	if (pid < 0) {
		LOG(s->cfg, CFG_LOG_WARN, _ROLE, "periodic snapshot: fork: %s",
		    strerror(errno));
		return;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(_snapshot_write(s, "periodic") ? 1 : 0);
	}
	s->snap_pid = pid;
}

/* Reaps dead children and schedules restarts. Returns children still up. */
/* Restarts child idx when its restart is due and it is still wanted. */
static void _restart_due(struct _sup *s, unsigned idx, bool wanted, int64_t now)
{
	struct _child *k = &s->kids[idx];
	if (wanted && k->restart_at && now >= k->restart_at) {
		k->restart_at = 0;
		_spawn(s, idx);
	}
}

static unsigned _reap(struct _sup *s, bool restart)
{
	int status;
	pid_t pid;
	int64_t now = reg_now_mono_ms();
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == s->snap_pid) {
			_snapshot_done(s, status);
			continue;
		}
		int i = _find_child(s, pid);
		if (i < 0)
			continue;
		struct reg_proc *p = reg_proc(&s->r, (unsigned)i);
		p->pid = 0;
		p->last_exit = status;
		struct _child *k = &s->kids[i];
		bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (clean && !restart)
			continue;
		if (p->role == REG_ROLE_ACCEPTOR && s->acc_stopping)
			continue;
		if (p->role == REG_ROLE_SERVER && s->srv_stopping)
			continue;
		if (p->role == REG_ROLE_SEGMENTER && s->seg_stopping)
			continue;
		/* Back off only when a child dies before it ever served (a
		 * crash loop at start); one that recovered and ran restarts
		 * after the base delay however often it is killed. */
		k->delay_ms = !ck_pr_load_uint(&p->ready)
		    ? (k->delay_ms ? k->delay_ms * 2 : s->cfg->restart_delay_ms)
		    : s->cfg->restart_delay_ms;
		if (k->delay_ms > _MAX_DELAY_MS)
			k->delay_ms = _MAX_DELAY_MS;
		k->restart_at = now + k->delay_ms;
		/* A server that cannot start (its port is held) retries
		 * quietly after the first report, until it serves again. */
		bool quiet = false;
		if (p->role == REG_ROLE_SERVER) {
			bool served = ck_pr_load_uint(&p->ready);
			quiet = s->srv_failing && !served;
			s->srv_failing = !served;
		}
		char nm[32];
		LOG(s->cfg, quiet ? CFG_LOG_DEBUG : CFG_LOG_WARN, _ROLE,
		    "%s (pid %d) %s %d; restarting in %u ms",
		    _name(p, nm, sizeof(nm)), (int)pid,
		    WIFSIGNALED(status) ? "killed by signal" : "exited with",
		    WIFSIGNALED(status) ? WTERMSIG(status)
					: WEXITSTATUS(status),
		    k->delay_ms);
	}
	unsigned up = 0;
	for (unsigned i = 1; i <= s->r.hdr->geo.shards; i++) {
		struct _child *k = &s->kids[i];
		if (k->restart_at && now >= k->restart_at) {
			k->restart_at = 0;
			_spawn(s, i);
		}
		up += reg_proc(&s->r, i)->pid != 0 || k->restart_at != 0;
	}
	_restart_due(s, reg_proc_acceptor(&s->r), s->acc_on && !s->acc_stopping,
	    now);
	_restart_due(s, reg_proc_server(&s->r), s->srv_on && !s->srv_stopping,
	    now);
	_restart_due(s, reg_proc_segmenter(&s->r), !s->seg_stopping, now);
	return up;
}

static bool _pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Releases producer slots of dead clients once their rings are drained. */
static void _sweep_producers(struct _sup *s)
{
	const struct reg_geometry *g = &s->r.hdr->geo;
	for (unsigned p = g->acceptor_slots; p < g->producer_slots; p++) {
		struct reg_producer *pr = reg_producer(&s->r, p);
		int32_t owner = ck_pr_load_int(&pr->owner);
		if (owner > 0 && !_pid_alive(owner))
			ck_pr_cas_int(&pr->owner, owner, REG_SLOT_DRAINING);
		if (ck_pr_load_int(&pr->owner) != REG_SLOT_DRAINING)
			continue;
		unsigned backlog = 0;
		for (unsigned sh = 0; sh < g->shards; sh++)
			backlog += ring_backlog(reg_ring(&s->r, p, sh));
		if (backlog)
			continue;
		ck_pr_store_uint(&pr->busy, 0);
		ck_pr_store_64(&pr->generation, pr->generation + 1);
		ck_pr_fence_store(); /* new generation before the slot is free */
		ck_pr_store_int(&pr->owner, 0);
	}
}

/* Waits (bounded) for producers that were inside a publish call. */
static void _wait_publishers(struct _sup *s)
{
	const struct reg_geometry *g = &s->r.hdr->geo;
	int64_t until = reg_now_mono_ms() + 1000;
	for (unsigned p = 0; p < g->producer_slots; p++) {
		struct reg_producer *pr = reg_producer(&s->r, p);
		while ((ck_pr_load_uint(&pr->busy) & 1) &&
		    _pid_alive(ck_pr_load_int(&pr->owner)) &&
		    reg_now_mono_ms() < until)
			usleep(1000);
	}
}

/* SIGTERM to child idx, then SIGKILL after grace_ms; waits until reaped. */
static void _stop_child(struct _sup *s, unsigned idx, int grace_ms)
{
	struct reg_proc *p = reg_proc(&s->r, idx);
	s->kids[idx].restart_at = 0;
	if (!p->pid)
		return;
	int32_t pid = p->pid;
	kill(pid, SIGTERM);
	int64_t until = reg_now_mono_ms() + grace_ms;
	while (p->pid && reg_now_mono_ms() < until) {
		usleep(_TICK_MS * 1000 / 4);
		_reap(s, false);
	}
	if (p->pid) {
		char nm[32];
		LOG(s->cfg, CFG_LOG_WARN, _ROLE,
		    "%s (pid %d) did not stop in %d ms: killing it",
		    _name(p, nm, sizeof(nm)), (int)pid, grace_ms);
		kill(pid, SIGKILL);
		while (p->pid) {
			usleep(_TICK_MS * 1000 / 4);
			_reap(s, false);
		}
	}
}

/*
 * Stops the rank API server first (it answers no more requests while the
 * engine winds down), then the acceptor before the workers drain: it
 * stops reading, finishes what it read, commits and exits 0 while the
 * workers still run, so none of its events can land in a ring after a
 * worker saw its column empty.
 */
static void _stop_front(struct _sup *s)
{
	/* The segmenter only reads profiles: first, whatever it is doing
	 * (killed mid-refresh, it leaves the previous table whole). */
	s->seg_stopping = true;
	_stop_child(s, reg_proc_segmenter(&s->r), _SEG_STOP_MS);
	if (s->srv_on) {
		s->srv_stopping = true;
		_stop_child(s, reg_proc_server(&s->r), _SRV_STOP_MS);
	}
	if (s->acc_on) {
		s->acc_stopping = true;
		_stop_child(s, reg_proc_acceptor(&s->r), _ACC_STOP_MS);
	}
}

/* Drains and stops the children; 0, or the final snapshot's error (the
 * region is then all that holds what was learned since the last one). */
static int _shutdown(struct _sup *s)
{
	struct reg_header *h = s->r.hdr;
	_stop_front(s);
	LOG(s->cfg, CFG_LOG_INFO, _ROLE, "draining");
	ck_pr_store_uint(&h->state, REG_DRAINING);
	ck_pr_fence_memory(); /* DRAINING is visible before we read `busy` */
	_wait_publishers(s);
	for (unsigned i = 1; i <= h->geo.shards; i++)
		ring_wake(reg_shard(&s->r, i - 1));
	/* Workers exit 0 once their column is empty; restart any that die.
	 * The heartbeat goes on: a long drain is not a dead supervisor. */
	while (_reap(s, false)) {
		for (unsigned i = 0; i < h->geo.shards; i++)
			ring_wake(reg_shard(&s->r, i));
		usleep(_TICK_MS * 1000);
		ck_pr_store_64((uint64_t *)&reg_proc(&s->r, 0)->heartbeat_ms,
		    (uint64_t)reg_now_mono_ms());
	}
	ck_pr_store_uint(&h->state, REG_STOPPED);
	if (s->snap_pid > 0) { /* let a periodic one finish first */
		int st;
		if (waitpid(s->snap_pid, &st, 0) == s->snap_pid)
			_snapshot_done(s, st);
	}
	return s->cfg->snapshot ? _snapshot_write(s, "final") : 0;
}

/*
 * A `catalog load` or `experiments load` killed mid-write leaves its lock
 * and maybe an entry whose count is odd: readers (workers on every event
 * of the item, rankings) spin on it and give up each time. The lock of a
 * dead holder is taken over here, which repairs what it left, at once
 * rather than at the next load.
 */
static void _reclaim_writers(struct _sup *s)
{
	if (cat_reclaim(&s->r))
		LOG(s->cfg, CFG_LOG_WARN, _ROLE,
		    "a catalog load died mid-write: entries it left half-written are emptied (load the catalog again to restore them)");
	if (expb_reclaim(&s->r))
		LOG(s->cfg, CFG_LOG_WARN, _ROLE,
		    "an experiments load died mid-write: definitions it left half-written read again (load the experiments again to be sure of them)");
}

static int _loop(struct _sup *s)
{
	struct timespec tick = { 0, _TICK_MS * 1000000L };
	for (;;) {
		int sig = sigtimedwait(&s->sigs, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			return _shutdown(s);
		_reap(s, true);
		_sweep_producers(s);
		_reclaim_writers(s);
		_snapshot_periodic(s);
		ck_pr_store_64((uint64_t *)&reg_proc(&s->r, 0)->heartbeat_ms,
		    (uint64_t)reg_now_mono_ms());
	}
}

int sup_run(const struct cfg *c, const struct sup_options *o)
{
	struct _sup s = { .cfg = c, .lock_fd = -1 };
	sigemptyset(&s.sigs);
	sigaddset(&s.sigs, SIGTERM);
	sigaddset(&s.sigs, SIGINT);
	sigaddset(&s.sigs, SIGCHLD);
	sigaddset(&s.sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &s.sigs, NULL);
	int rc = _mkdirs(c->state_dir);
	if (rc) {
		LOG(c, CFG_LOG_ERROR, _ROLE, "cannot create state_dir %s: %s",
		    c->state_dir, strerror(-rc));
		return 1;
	}
	_check_state_dir(c);
	if (_take_lock(&s))
		return 1;
	if (_open_region(&s, o)) {
		if (s.r.base && s.r.hdr->state == REG_STARTING) {
			reg_detach(&s.r);
			reg_unlink(c->instance);
		}
		_drop_lock(&s);
		return 1;
	}
	_write_lock_pid(&s);
	if (o->started)
		o->started(c);
	struct reg_proc *me = reg_proc(&s.r, 0);
	me->pid = getpid();
	me->starts++;
	me->started_ms = reg_now_mono_ms();
	s.snap_last =
	    me->started_ms; /* the first periodic one after an interval */
	ck_pr_fence_store();
	ck_pr_store_uint(&s.r.hdr->state, REG_RUNNING);
	/* Recovered (snapshot loaded or region adopted) and serving, as
	 * every child says of itself: /metrics' process_ready. */
	ck_pr_store_uint(&me->ready, 1);
	for (unsigned i = 1; i <= s.r.hdr->geo.shards; i++)
		if (_spawn(&s, i))
			return 1;
	s.acc_on = s.r.hdr->geo.acceptor_slots > 0 && acc_wanted(c);
	if (s.acc_on && _spawn(&s, reg_proc_acceptor(&s.r)))
		return 1;
	s.srv_on = srv_wanted(c);
	if (s.srv_on && _spawn(&s, reg_proc_server(&s.r)))
		return 1;
	if (_spawn(&s, reg_proc_segmenter(&s.r)))
		return 1;
	LOG(c, CFG_LOG_INFO, _ROLE,
	    "instance '%s' running: %u shards, %u producer slots, ring depth %u, %u profiles per shard, region %zu MiB",
	    c->instance, s.r.hdr->geo.shards, s.r.hdr->geo.producer_slots,
	    s.r.hdr->geo.ring_depth, s.r.hdr->geo.profiles_per_shard,
	    s.r.size >> 20);
	rc = _loop(&s);
	if (rc) {
		/* Removing the region would lose everything learned since
		 * the last snapshot: keep it for the next start to adopt. */
		reg_detach(&s.r);
		_drop_lock(&s);
		LOG(c, CFG_LOG_ERROR, _ROLE,
		    "stopped without a final snapshot: the region /dev/shm/penchant.%s is kept with everything learned; make %s writable and start the instance again (it adopts the region and snapshots it when it stops)",
		    c->instance, c->state_dir);
		return 1;
	}
	reg_unlink(c->instance);
	reg_detach(&s.r);
	_drop_lock(&s);
	LOG(c, CFG_LOG_INFO, _ROLE, "stopped");
	return 0;
}
