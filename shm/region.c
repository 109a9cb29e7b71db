/*
 * region: sizing, creation and validated attachment of the shared-memory
 * region. The only code that turns offsets into a layout.
 */
#include "shm/region.h"

#include <ck_pr.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t _align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint32_t _pow2_at_least(uint64_t v)
{
	uint64_t p = 1;
	while (p < v)
		p <<= 1;
	return p > UINT32_MAX ? 0 : (uint32_t)p;
}

int reg_layout(const struct reg_geometry *geo, struct reg_offsets *off,
    char *err, size_t errlen)
{
	if (geo->shards == 0 || geo->shards > REG_MAX_SHARDS ||
	    geo->producer_slots == 0 ||
	    geo->producer_slots > REG_MAX_PRODUCERS ||
	    geo->acceptor_slots >= geo->producer_slots || geo->ring_depth < 4 ||
	    (geo->ring_depth & (geo->ring_depth - 1)) ||
	    geo->profiles_per_shard == 0 || geo->catalog_capacity == 0 ||
	    geo->names_capacity == 0 ||
	    geo->index_slots !=
		_pow2_at_least(2ULL * geo->profiles_per_shard) ||
	    geo->catalog_slots !=
		_pow2_at_least(2ULL * geo->catalog_capacity) ||
	    geo->names_slots != _pow2_at_least(2ULL * geo->names_capacity) ||
	    geo->neighbor_slots !=
		(geo->neighbor_capacity
			? _pow2_at_least(2ULL * geo->neighbor_capacity)
			: 0) ||
	    geo->experiment_requests < 2 * REG_EXP_REQ_WAYS ||
	    (geo->experiment_requests & (geo->experiment_requests - 1)) ||
	    geo->record_size != sizeof(struct evt_record) ||
	    geo->profile_size != sizeof(struct prof_slot)) {
		snprintf(err, errlen, "region geometry is inconsistent");
		return -EINVAL;
	}
	memset(off, 0, sizeof(*off));
	uint64_t at = _align(sizeof(struct reg_header), REG_LINE);
	off->procs = at;
	at +=
	    (uint64_t)(geo->shards + REG_PROCS_EXTRA) * sizeof(struct reg_proc);
	off->producers = at = _align(at, REG_LINE);
	at += (uint64_t)geo->producer_slots * sizeof(struct reg_producer);
	off->rings = at = _align(at, 4096);
	off->ring_stride = _align(sizeof(struct ring_block) +
		(uint64_t)geo->ring_depth * sizeof(struct evt_record),
	    REG_LINE);
	at += off->ring_stride * geo->producer_slots * geo->shards;
	off->shards = at = _align(at, 4096);
	off->shard_index = _align(sizeof(struct shard_block), REG_LINE);
	off->shard_records = _align(off->shard_index +
		(uint64_t)geo->index_slots * sizeof(struct prof_index),
	    REG_LINE);
	off->shard_exp_req = _align(off->shard_records +
		(uint64_t)geo->profiles_per_shard * sizeof(struct prof_slot),
	    REG_LINE);
	off->shard_stride = _align(off->shard_exp_req +
		(uint64_t)geo->experiment_requests * sizeof(struct exp_request),
	    4096);
	at += off->shard_stride * geo->shards;
	off->catalog = at = _align(at, 4096);
	off->catalog_entries = _align(sizeof(struct cat_block), REG_LINE);
	at += off->catalog_entries +
	    (uint64_t)geo->catalog_slots * sizeof(struct cat_entry);
	off->names = at = _align(at, REG_LINE);
	at += (uint64_t)geo->names_slots * sizeof(struct name_entry);
	off->segments = at = _align(at, REG_LINE);
	at += sizeof(struct seg_block);
	off->experiments = at = _align(at, REG_LINE);
	at += sizeof(struct exp_block);
	off->neighbors = at = _align(at, REG_LINE);
	at += sizeof(struct nbr_block) +
	    (uint64_t)geo->neighbor_slots * sizeof(struct nbr_entry);
	/* The acceptor's forward-protocol state: only with an acceptor slot,
	 * so regions without one keep their size. */
	off->acceptor = at = _align(at, 4096);
	if (geo->acceptor_slots) {
		off->acceptor_dedup =
		    _align(sizeof(struct acc_block), REG_LINE);
		at += off->acceptor_dedup + REG_FWD_DEDUP_BYTES;
	}
	off->end = _align(at, 4096);
	return 0;
}

void reg_shm_name(const char *instance, char *buf, size_t len)
{
	snprintf(buf, len, "/penchant.%s", instance);
}

int reg_huge_mode_of(const char *mounts, char *mode, size_t len)
{
	int found = -ENOENT;
	for (const char *l = mounts; l && *l;) {
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)n, l);
		l = end ? end + 1 : l + n;
		/* device mountpoint fstype options dump pass */
		char *save = NULL, *dev = strtok_r(line, " ", &save),
		     *at = strtok_r(NULL, " ", &save),
		     *type = strtok_r(NULL, " ", &save),
		     *opts = strtok_r(NULL, " ", &save);
		if (!dev || !at || !type || !opts || strcmp(at, "/dev/shm") ||
		    strcmp(type, "tmpfs"))
			continue;
		const char *h = NULL;
		for (char *o = strtok_r(opts, ",", &save); o;
		     o = strtok_r(NULL, ",", &save))
			if (!strncmp(o, "huge=", 5))
				h = o + 5;
		snprintf(mode, len, "%s", h ? h : "never");
		found = h && strcmp(h, "never") && strcmp(h, "deny");
	}
	return found;
}

int reg_huge_mode(char *mode, size_t len)
{
	snprintf(mode, len, "unknown");
	FILE *f = fopen("/proc/mounts", "re");
	if (!f)
		return -errno;
	char text[16384];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	return reg_huge_mode_of(text, mode, len);
}

int64_t reg_now_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t reg_now_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void _init_parts(struct reg *r)
{
	const struct reg_geometry *g = &r->hdr->geo;
	for (unsigned i = 0; i < reg_nprocs(r); i++) {
		struct reg_proc *p = reg_proc(r, i);
		p->last_exit = -1;
		p->role = i == 0		? REG_ROLE_SUPERVISOR
		    : i <= g->shards		? REG_ROLE_WORKER
		    : i == reg_proc_acceptor(r) ? REG_ROLE_ACCEPTOR
		    : i == reg_proc_server(r)	? REG_ROLE_SERVER
						: REG_ROLE_SEGMENTER;
		p->index = (i >= 1 && i <= g->shards) ? i - 1 : 0;
	}
	for (unsigned p = 0; p < g->producer_slots; p++)
		for (unsigned s = 0; s < g->shards; s++)
			ck_ring_init(&reg_ring(r, p, s)->ring, g->ring_depth);
}

/*
 * Every access to the tables is a random one: with 4 KiB pages most of
 * them also miss the TLB. Ask for transparent huge pages; /dev/shm's mount
 * decides (tmpfs huge=never, the usual default, leaves everything as it
 * was; huge=advise or always gives 2 MiB pages: measured, a hot profile
 * read 840 -> 620 ns). A hint: its failure changes nothing.
 */
static void _ask_huge(void *base, size_t size)
{
#ifdef MADV_HUGEPAGE
	(void)madvise(base, size, MADV_HUGEPAGE);
#else
	(void)base;
	(void)size;
#endif
}

int reg_create(struct reg *r, const char *instance,
    const struct reg_geometry *geo, char *err, size_t errlen)
{
	struct reg_offsets off;
	char name[64];
	int rc = reg_layout(geo, &off, err, errlen);
	if (rc)
		return rc;
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	reg_shm_name(instance, name, sizeof(name));
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create /dev/shm%s: %s", name,
		    strerror(errno));
		return rc;
	}
	if (fchmod(fd, 0600) || ftruncate(fd, (off_t)off.end)) {
		rc = -errno;
		snprintf(err, errlen,
		    "cannot size /dev/shm%s to %llu bytes: %s", name,
		    (unsigned long long)off.end, strerror(errno));
		close(fd);
		shm_unlink(name);
		return rc;
	}
	void *base =
	    mmap(NULL, off.end, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		snprintf(err, errlen, "cannot map /dev/shm%s: %s", name,
		    strerror(errno));
		close(fd);
		shm_unlink(name);
		return rc;
	}
	r->base = base;
	r->hdr = base;
	r->size = off.end;
	r->fd = fd;
	_ask_huge(base, off.end);
	struct reg_header *h = r->hdr;
	h->layout_version = REG_LAYOUT_VERSION;
	h->header_size = sizeof(*h);
	h->region_size = off.end;
	h->geo = *geo;
	h->off = off;
	h->created_ms = reg_now_wall_ms();
	h->supervisor_pid = getpid();
	h->state = REG_STARTING;
	snprintf(h->instance, sizeof(h->instance), "%s", instance);
	_init_parts(r);
	/* Magic last: a reader that sees it sees a laid-out region. */
	__atomic_store_n(&h->magic, REG_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

/* Every geometry field, for naming the one that differs. */
/* clang-format off */
#define _GEO_FIELDS(X)                                                         \
	X(shards) X(producer_slots) X(acceptor_slots) X(ring_depth)            \
	X(profiles_per_shard) X(index_slots) X(catalog_capacity)               \
	X(catalog_slots) X(names_capacity) X(names_slots) X(record_size)       \
	X(profile_size) X(neighbor_capacity) X(neighbor_slots)                 \
	X(experiment_requests)
/* clang-format on */

static int _geo_diff(const struct reg_geometry *have,
    const struct reg_geometry *want, char *err, size_t errlen)
{
#define X(f)                                                                   \
	if (have->f != want->f) {                                              \
		snprintf(err, errlen,                                          \
		    "the running region has " #f " = %u, these settings ask "  \
		    "for %u: use the same settings, or stop the instance "     \
		    "first",                                                   \
		    have->f, want->f);                                         \
		return -EPROTO;                                                \
	}
	_GEO_FIELDS(X)
#undef X
	return 0;
}

static int _check_header(const struct reg_header *h, size_t size,
    const char *name, char *err, size_t errlen)
{
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != REG_MAGIC) {
		snprintf(err, errlen,
		    "/dev/shm%s is not a penchant region (bad magic; it may still be starting)",
		    name);
		return -EPROTO;
	}
	if (h->layout_version != REG_LAYOUT_VERSION ||
	    h->header_size != sizeof(*h)) {
		snprintf(err, errlen,
		    "/dev/shm%s has layout version %u (header %u bytes); this build speaks version %u (header %zu bytes): use the matching penchant build",
		    name, h->layout_version, h->header_size,
		    (unsigned)REG_LAYOUT_VERSION, sizeof(*h));
		return -EPROTO;
	}
	if (h->region_size != size) {
		snprintf(err, errlen,
		    "/dev/shm%s is %zu bytes but its header says %llu", name,
		    size, (unsigned long long)h->region_size);
		return -EPROTO;
	}
	struct reg_offsets off;
	char lerr[128];
	if (reg_layout(&h->geo, &off, lerr, sizeof(lerr)) ||
	    memcmp(&off, &h->off, sizeof(off)) != 0) {
		snprintf(err, errlen,
		    "/dev/shm%s has offsets this build would not compute from its geometry: corrupt or foreign",
		    name);
		return -EPROTO;
	}
	if (off.end != h->region_size) {
		snprintf(err, errlen,
		    "/dev/shm%s: its geometry needs %llu bytes but the region has %llu: corrupt or foreign",
		    name, (unsigned long long)off.end,
		    (unsigned long long)h->region_size);
		return -EPROTO;
	}
	return 0;
}

/* The owner and mode of /dev/shm<name>, for a message (true when known). */
static bool _owner(const char *name, struct stat *st)
{
	char path[128];
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	return lstat(path, st) == 0;
}

int reg_attach(struct reg *r, const char *instance,
    const struct reg_geometry *expect, char *err, size_t errlen)
{
	char name[64];
	struct stat st;
	int rc;
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	reg_shm_name(instance, name, sizeof(name));
	int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			snprintf(err, errlen,
			    "instance '%s' is not running (no /dev/shm%s): start it with penchantd --instance %s",
			    instance, name, instance);
		else if (rc == -EACCES && _owner(name, &st))
			snprintf(err, errlen,
			    "cannot open /dev/shm%s: it belongs to uid %u (mode %04o), not to uid %u: another user's region is never used",
			    name, (unsigned)st.st_uid,
			    (unsigned)(st.st_mode & 07777),
			    (unsigned)geteuid());
		else
			snprintf(err, errlen, "cannot open /dev/shm%s: %s",
			    name, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(struct reg_header)) {
		snprintf(err, errlen,
		    "/dev/shm%s is too small to be a penchant region", name);
		close(fd);
		return -EPROTO;
	}
	/* Another user's region is theirs to read and write: learning into
	 * it (or adopting it) would hand them what this process learns. */
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(err, errlen,
		    "/dev/shm%s is owned by uid %u with mode %04o; this process runs as uid %u and uses only its own regions of mode 0600 (remove it as its owner, or as root after checking who made it)",
		    name, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
		    (unsigned)geteuid());
		close(fd);
		return -EACCES;
	}
	size_t size = (size_t)st.st_size;
	void *base =
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		snprintf(err, errlen, "cannot map /dev/shm%s: %s", name,
		    strerror(errno));
		close(fd);
		return rc;
	}
	rc = _check_header(base, size, name, err, errlen);
	if (rc == 0 && expect)
		rc = _geo_diff(&((struct reg_header *)base)->geo, expect, err,
		    errlen);
	if (rc) {
		munmap(base, size);
		close(fd);
		return rc;
	}
	r->base = base;
	r->hdr = base;
	r->size = size;
	r->fd = fd;
	_ask_huge(base, size);
	return 0;
}

void reg_detach(struct reg *r)
{
	if (r->base)
		munmap(r->base, r->size);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int reg_unlink(const char *instance)
{
	char name[64];
	reg_shm_name(instance, name, sizeof(name));
	return shm_unlink(name) ? -errno : 0;
}

static bool _pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

int reg_writer_lock(int32_t *word, const char *what, char *err, size_t errlen)
{
	/* The thread, not the process: two threads of one process must not
	 * both hold it (a process's main thread's id is its pid). */
	int32_t me = (int32_t)gettid();
	for (;;) {
		int32_t cur = ck_pr_load_int(word);
		if (cur == me)
			return 0;
		if (cur != 0 && _pid_alive(cur)) {
			snprintf(err, errlen,
			    "%s is being written by thread %d; wait for it to finish",
			    what, cur);
			return -EBUSY;
		}
		/* Free, or its holder died: what a dead writer left is the
		 * next writer's to rewrite. */
		if (ck_pr_cas_int(word, cur, me))
			return 0;
	}
}
