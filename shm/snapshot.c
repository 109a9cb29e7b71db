/*
 * snapshot: streaming writer and loader with a running XXH3 checksum.
 */
#include "shm/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "shm/catalog.h"
#include "shm/profiles.h"
#include "shm/secret.h"

#define _SNAP_MAGIC 0x31504E53544E4550ULL /* "PENTSNP1" */
#define _SNAP_FORMAT 4

struct _snap_header {
	uint64_t magic;
	uint32_t format;
	uint32_t profile_layout;
	uint32_t profile_size;
	uint32_t catalog_size;
	uint32_t name_size;
	uint32_t pad;
	uint64_t profiles, catalog, names;
	int64_t written_ms;
	uint64_t secret_check; /* evt_secret_check of the user keys' secret */
	/* The custom verbs as they were numbered when written: a load maps
	 * their counts by name onto the region's numbering. */
	char verbs[EVT_CUSTOM_VERBS][EVT_VERB_MAX + 1];
};

struct _snap_cat {
	uint64_t key;
	struct cat_item it;
};

/* A buffered file with a running checksum. */
struct _sfile {
	FILE *f;
	XXH3_state_t *h;
	uint64_t bytes;
};

static int _put(struct _sfile *sf, const void *p, size_t n)
{
	XXH3_64bits_update(sf->h, p, n);
	sf->bytes += n;
	return fwrite(p, 1, n, sf->f) == n ? 0 : -EIO;
}

static int _get(struct _sfile *sf, void *p, size_t n)
{
	if (fread(p, 1, n, sf->f) != n)
		return -EPROTO;
	XXH3_64bits_update(sf->h, p, n);
	sf->bytes += n;
	return 0;
}

void snap_path(const char *state_dir, const char *instance, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/%s.snap", state_dir, instance);
}

/*
 * The tables after a zeroed header, counting what is written: a
 * snapshot may be taken while workers and a catalog load are running, so
 * the counts are those of the records actually written, never a scan made
 * at another moment. Every profile is a consistent copy (seqlock).
 */
static int _write_tables(const struct reg *r, struct _sfile *sf,
    struct _snap_header *h)
{
	int rc = fwrite(h, sizeof(*h), 1, sf->f) == 1 ? 0 : -EIO;
	for (unsigned s = 0; !rc && s < r->hdr->geo.shards; s++) {
		uint32_t n = ck_pr_load_uint(&reg_shard(r, s)->count);
		for (uint32_t i = 0; !rc && i < n; i++) {
			struct lrn_profile p;
			rc = prof_copy_raw(r, s, i, &p);
			if (!rc && p.user_key != 0 && lrn_holds(&p)) {
				rc = _put(sf, &p, sizeof(p));
				h->profiles++;
			}
		}
	}
	const struct cat_entry *e = reg_catalog_entries(r);
	for (uint32_t i = 0; !rc && i < r->hdr->geo.catalog_slots; i++) {
		uint64_t key = ck_pr_load_64(&e[i].key);
		if (!key)
			continue;
		struct _snap_cat c = { .key = key };
		rc = cat_get(r, key, &c.it);
		/* Mid-write after a long wait: a loader that died (its lock
		 * taken over now marks the entry torn), or a live one held
		 * up on a busy machine (the snapshot fails, as it did; the
		 * next one finds the entry whole). */
		if (rc == -EBUSY && cat_reclaim(r))
			rc = cat_get(r, key, &c.it);
		if (!rc && (c.it.flags & ITEM_F_TORN))
			continue; /* nothing of it is known: left out */
		if (!rc) {
			rc = _put(sf, &c, sizeof(c));
			h->catalog++;
		}
	}
	const struct name_entry *nm = reg_names(r);
	for (uint32_t i = 0; !rc && i < r->hdr->geo.names_slots; i++) {
		struct name_entry copy;
		if (!ck_pr_load_32(&nm[i].id))
			continue;
		ck_pr_fence_load(); /* id before text: pairs with the writer */
		copy = nm[i];
		rc = _put(sf, &copy, sizeof(copy));
		h->names++;
	}
	return rc;
}

/* The checksum covers the tables and, on top, the header. */
static uint64_t _sum(const struct _snap_header *h, uint64_t tables)
{
	return XXH3_64bits_withSeed(h, sizeof(*h), tables);
}

int snap_fsync_dir(const char *path)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", path);
	int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) ? -errno : 0;
	close(fd);
	return rc;
}

/*
 * The snapshot's lock: an exclusive flock on the directory that holds it
 * (no extra file). Writers and erasers take it; -errno when they cannot.
 */
static int _lock(const char *path)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", path);
	int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX))
		if (errno != EINTR) {
			int rc = -errno;
			close(fd);
			return rc;
		}
	return fd;
}

static void _unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

/*
 * Removes what writers killed mid-write left: "<snapshot>.tmp.<pid>"
 * files. Called under the lock, which every writer holds while its file
 * exists, so any such file is nobody's now; it may hold profiles, some
 * erased since (an erasure must leave no copy), and it would make the
 * next writer of the same pid fail.
 */
static void _sweep_tmp(const char *path)
{
	char dir[512], base[512];
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s.tmp.", path);
	const char *name = strrchr(base, '/') ? strrchr(base, '/') + 1 : base;
	size_t n = strlen(name);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	for (struct dirent *e; (e = readdir(d));)
		if (!strncmp(e->d_name, name, n) && e->d_name[n] &&
		    strspn(e->d_name + n, "0123456789") ==
			strlen(e->d_name + n))
			(void)unlinkat(dfd, e->d_name, 0);
	closedir(d);
}

static int _write(const struct reg *r, const char *path, struct snap_stats *st,
    char *err, size_t errlen);

int snap_write(const struct reg *r, const char *path, struct snap_stats *st,
    char *err, size_t errlen)
{
	int lk = _lock(path);
	if (lk >= 0) /* only under the lock: no writer's file is live */
		_sweep_tmp(path);
	int rc = _write(r, path, st, err, errlen);
	_unlock(lk);
	return rc;
}

static int _write(const struct reg *r, const char *path, struct snap_stats *st,
    char *err, size_t errlen)
{
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	struct _snap_header h = { .magic = _SNAP_MAGIC,
		.format = _SNAP_FORMAT,
		.profile_layout = LRN_LAYOUT_VERSION,
		.profile_size = sizeof(struct lrn_profile),
		.catalog_size = sizeof(struct _snap_cat),
		.name_size = sizeof(struct name_entry),
		.written_ms = reg_now_wall_ms(),
		.secret_check = evt_secret_check(r->hdr->limits.user_secret) };
	memcpy(h.verbs, r->hdr->limits.verbs, sizeof(h.verbs));
	/* 0600: profiles are personal data. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	struct _sfile sf = { fd >= 0 ? fdopen(fd, "wb") : NULL,
		XXH3_createState(), 0 };
	if (fd >= 0 && !sf.f)
		close(fd);
	if (!sf.f || !sf.h) {
		int rc = sf.f ? -ENOMEM : -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp,
		    strerror(-rc));
		if (sf.f)
			fclose(sf.f);
		XXH3_freeState(sf.h);
		return rc;
	}
	XXH3_64bits_reset(sf.h);
	int rc = _write_tables(r, &sf, &h);
	uint64_t sum = _sum(&h, XXH3_64bits_digest(sf.h));
	/* The real header, counts known now, over the zeroed one. */
	if (!rc &&
	    (fseeko(sf.f, 0, SEEK_SET) || fwrite(&h, sizeof(h), 1, sf.f) != 1 ||
		fseeko(sf.f, 0, SEEK_END) ||
		fwrite(&sum, sizeof(sum), 1, sf.f) != 1))
		rc = -EIO;
	if (!rc && (fflush(sf.f) || fsync(fileno(sf.f))))
		rc = -errno;
	if (fclose(sf.f) && !rc)
		rc = -errno;
	XXH3_freeState(sf.h);
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		snprintf(err, errlen, "cannot write snapshot %s: %s", path,
		    strerror(-rc));
		unlink(tmp);
		return rc;
	}
	snap_fsync_dir(path);
	if (st)
		*st = (struct snap_stats){ h.profiles, h.catalog, h.names,
			sizeof(h) + sf.bytes + sizeof(sum) };
	return 0;
}

static int _check_header(const struct reg *r, const struct _snap_header *h,
    const char *path, char *err, size_t errlen);

static int _verify(FILE *f, XXH3_state_t *h, const struct _snap_header *hd);

/*
 * Whether the file is as long as its header says: the header, its counts
 * of records of their sizes, the checksum. Checked before any record is
 * read (counts a checksum vouches for may still be made up).
 */
static bool _sized(FILE *f, const struct _snap_header *h)
{
	struct stat sb;
	uint64_t a, b, c, want;
	if (fstat(fileno(f), &sb) ||
	    __builtin_mul_overflow(h->profiles, (uint64_t)h->profile_size,
		&a) ||
	    __builtin_mul_overflow(h->catalog, (uint64_t)h->catalog_size, &b) ||
	    __builtin_mul_overflow(h->names, (uint64_t)h->name_size, &c) ||
	    __builtin_add_overflow(a, b, &want) ||
	    __builtin_add_overflow(want, c, &want) ||
	    __builtin_add_overflow(want, sizeof(*h) + sizeof(uint64_t), &want))
		return false;
	return sb.st_size >= 0 && (uint64_t)sb.st_size == want;
}

/* Opens path, reads and checks its header and its length, and verifies
 * its checksum. */
static int _open_checked(const struct reg *r, const char *path,
    struct _sfile *sf, struct _snap_header *h, const char *hint, char *err,
    size_t errlen)
{
	/* Profiles are personal data: a link, or a file others could read
	 * or have written, is not the instance's snapshot. */
	int fd = sec_open_private(path,
	    "fix it (chown, chmod 600), or move it aside to start empty", err,
	    errlen);
	*sf = (struct _sfile){ fd >= 0 ? fdopen(fd, "rb") : NULL,
		XXH3_createState(), 0 };
	int rc = fd < 0 ? fd : !sf->f || !sf->h ? -ENOMEM : 0;
	if (fd >= 0 && !sf->f)
		close(fd);
	if (rc == -ENOMEM) {
		snprintf(err, errlen, "cannot open snapshot %s: %s", path,
		    strerror(-rc));
	} else if (rc) {
		/* sec_open_private's message */
	} else if (fread(h, sizeof(*h), 1, sf->f) != 1) {
		snprintf(err, errlen, "%s is truncated", path);
		rc = -EPROTO;
	} else if ((rc = _check_header(r, h, path, err, errlen))) {
		/* its message */
	} else if (!_sized(sf->f, h)) {
		snprintf(err, errlen,
		    "%s is corrupt (its record counts do not add up to its length)%s",
		    path, hint);
		rc = -EPROTO;
	} else if ((rc = _verify(sf->f, sf->h, h))) {
		snprintf(err, errlen, "%s is corrupt (checksum or length)%s",
		    path, hint);
	}
	if (rc) {
		if (sf->f)
			fclose(sf->f);
		XXH3_freeState(sf->h);
		*sf = (struct _sfile){ 0 };
	}
	return rc;
}

static void _close(struct _sfile *sf)
{
	if (sf->f)
		fclose(sf->f);
	XXH3_freeState(sf->h);
}

int snap_find(const char *path, uint64_t user_key, struct lrn_profile *out,
    char *err, size_t errlen)
{
	struct _sfile sf;
	struct _snap_header h;
	int rc = _open_checked(NULL, path, &sf, &h, "", err, errlen);
	if (rc)
		return rc;
	rc = -ENOENT;
	for (uint64_t i = 0; rc == -ENOENT && i < h.profiles; i++) {
		if (fread(out, sizeof(*out), 1, sf.f) != 1) {
			/* sized, so only a file cut while being read */
			snprintf(err, errlen, "%s: read error at profile %llu",
			    path, (unsigned long long)i);
			rc = -EPROTO;
		} else if (out->user_key == user_key) {
			rc = 0;
		}
	}
	_close(&sf);
	return rc;
}

/* Copies `left` bytes from in to out, hashing them. */
static int _copy_rest(struct _sfile *in, struct _sfile *out, uint64_t left)
{
	char buf[1 << 16];
	while (left) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		if (fread(buf, 1, n, in->f) != n)
			return -EPROTO;
		int rc = _put(out, buf, n);
		if (rc)
			return rc;
		left -= n;
	}
	return 0;
}

/* The erasure proper, under the lock (snap_erase). */
static int _erase(const struct reg *r, const char *path, uint64_t user_key,
    bool *found, char *err, size_t errlen)
{
	struct _sfile in, out = { 0 };
	struct _snap_header h;
	int rc = _open_checked(r, path, &in, &h, "", err, errlen);
	if (rc)
		return rc;
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	out.f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	out.h = XXH3_createState();
	if (!out.f || !out.h) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		if (fd >= 0 && !out.f)
			close(fd);
		goto done;
	}
	XXH3_64bits_reset(out.h);
	struct _snap_header nh = h;
	rc = fwrite(&nh, sizeof(nh), 1, out.f) == 1 ? 0 : -EIO;
	nh.profiles = 0;
	for (uint64_t i = 0; !rc && i < h.profiles; i++) {
		struct lrn_profile p;
		if (fread(&p, sizeof(p), 1, in.f) != 1) {
			rc = -EPROTO;
			break;
		}
		bool keep = true;
		if (p.user_key == user_key && p.events) {
			/* a decision-only record holds nothing to erase;
			 * a profile leaves its decision, as in the region
			 * (prof_forget) */
			*found = true;
			keep = lrn_forget(&p);
		}
		if (keep && !(rc = _put(&out, &p, sizeof(p))))
			nh.profiles++;
	}
	if (!rc)
		rc = _copy_rest(&in, &out,
		    h.catalog * sizeof(struct _snap_cat) +
			h.names * sizeof(struct name_entry));
	uint64_t sum = _sum(&nh, XXH3_64bits_digest(out.h));
	if (!rc && *found &&
	    (fseeko(out.f, 0, SEEK_SET) ||
		fwrite(&nh, sizeof(nh), 1, out.f) != 1 ||
		fseeko(out.f, 0, SEEK_END) ||
		fwrite(&sum, sizeof(sum), 1, out.f) != 1 || fflush(out.f) ||
		fsync(fileno(out.f))))
		rc = -EIO;
	if (!rc && *found && rename(tmp, path))
		rc = -errno;
	if (rc && !err[0])
		snprintf(err, errlen, "cannot rewrite %s: %s", path,
		    strerror(-rc));
done:
	if (rc || !*found)
		unlink(tmp);
	else
		snap_fsync_dir(path);
	_close(&in);
	_close(&out);
	return rc;
}

int snap_erase(const struct reg *r, const char *path, uint64_t user_key,
    bool *found, char *err, size_t errlen)
{
	*found = false;
	if (errlen)
		err[0] = 0;
	/* The lock first: a snapshot being written now (maybe the first,
	 * so no file yet) may hold the user; once it is in place, it is
	 * rewritten below. */
	int lk = _lock(path);
	if (lk >= 0) /* only under the lock: no writer's file is live */
		_sweep_tmp(path);
	int rc = access(path, F_OK)
	    ? -ENOENT
	    : _erase(r, path, user_key, found, err, errlen);
	_unlock(lk);
	return rc;
}

static int _check_header(const struct reg *r, const struct _snap_header *h,
    const char *path, char *err, size_t errlen)
{
	if (h->magic != _SNAP_MAGIC) {
		snprintf(err, errlen, "%s is not a penchant snapshot", path);
		return -EPROTO;
	}
	if (h->format != _SNAP_FORMAT ||
	    h->profile_layout != LRN_LAYOUT_VERSION) {
		snprintf(err, errlen,
		    "%s is snapshot format %u with profile layout %u; this build reads format %u, layout %u (no migration: move it aside to start empty, or load it with the release that wrote it)",
		    path, h->format, h->profile_layout, _SNAP_FORMAT,
		    LRN_LAYOUT_VERSION);
		return -EPROTO;
	}
	if (h->profile_size != sizeof(struct lrn_profile) ||
	    h->catalog_size != sizeof(struct _snap_cat) ||
	    h->name_size != sizeof(struct name_entry)) {
		snprintf(err, errlen,
		    "%s claims format %u layout %u but its record sizes (profile %u, catalog %u, name %u bytes) are not this layout's (%zu, %zu, %zu): it is corrupt; move it aside to start empty",
		    path, h->format, h->profile_layout, h->profile_size,
		    h->catalog_size, h->name_size, sizeof(struct lrn_profile),
		    sizeof(struct _snap_cat), sizeof(struct name_entry));
		return -EPROTO;
	}
	if (r &&
	    h->secret_check != evt_secret_check(r->hdr->limits.user_secret)) {
		snprintf(err, errlen,
		    "%s was written under another pseudonymization secret (the instance's .key file in state_dir changed or is missing): its user keys mean nothing under this one. Restore that key file, or move the snapshot aside to start empty",
		    path);
		return -EPROTO;
	}
	return 0;
}

/*
 * Where each custom verb of the snapshot goes in the region's numbering
 * (by name), -1 for a verb the region no longer has: its counts are not
 * loaded. Returns whether anything moves.
 */
static bool _verb_map(const struct reg *r, const struct _snap_header *h,
    int *to)
{
	bool moves = false;
	for (unsigned i = 0; i < EVT_CUSTOM_VERBS; i++) {
		/* An unnamed slot stays where it is while unnamed here too. */
		to[i] = !h->verbs[i][0] && !r->hdr->limits.verbs[i][0] ? (int)i
								       : -1;
		for (unsigned j = 0; h->verbs[i][0] && j < EVT_CUSTOM_VERBS;
		     j++)
			if (!strncmp(h->verbs[i], r->hdr->limits.verbs[j],
				sizeof(h->verbs[i])))
				to[i] = (int)j;
		moves |= to[i] != (int)i;
	}
	return moves;
}

/* Moves p's custom verb counts to the region's numbering; returns the
 * counts left out (verbs the region no longer has). */
static uint64_t _remap_counts(struct lrn_profile *p, const int *to)
{
	uint32_t old[EVT_CUSTOM_VERBS];
	uint64_t dropped = 0;
	memcpy(old, &p->counts[LRN_N_CUSTOM0], sizeof(old));
	memset(&p->counts[LRN_N_CUSTOM0], 0, sizeof(old));
	for (unsigned i = 0; i < EVT_CUSTOM_VERBS; i++) {
		if (to[i] >= 0)
			p->counts[LRN_N_CUSTOM0 + to[i]] = old[i];
		else
			dropped += old[i];
	}
	return dropped;
}

/* The names of the snapshot's verbs that have no place here. */
static void _dropped_names(const struct _snap_header *h, const int *to,
    char *out, size_t len)
{
	size_t at = 0;
	out[0] = 0;
	for (unsigned i = 0; i < EVT_CUSTOM_VERBS; i++)
		if (to[i] < 0 && h->verbs[i][0] && at < len)
			at += (size_t)snprintf(out + at, len - at, "%s%.*s",
			    at ? "," : "", (int)sizeof(h->verbs[i]),
			    h->verbs[i]);
}

/* A record without a key (0, which snap_write never writes): -EPROTO. */
static int _no_key(char *err, size_t errlen, const char *what, uint64_t i)
{
	snprintf(err, errlen,
	    "%s %llu has no key (0): the snapshot is corrupt; move it aside to start empty",
	    what, (unsigned long long)i);
	return -EPROTO;
}

static int _load_tables(const struct reg *r, struct _sfile *sf,
    const struct _snap_header *h, struct snap_stats *st, char *err,
    size_t errlen)
{
	int rc = 0, to[EVT_CUSTOM_VERBS];
	bool remap = _verb_map(r, h, to);
	_dropped_names(h, to, st->dropped_verbs, sizeof(st->dropped_verbs));
	ck_pr_store_64(&r->hdr->load_total, h->profiles);
	for (uint64_t i = 0; !rc && i < h->profiles; i++) {
		if ((i & 4095) == 0) /* readers show progress */
			ck_pr_store_64(&r->hdr->load_done, i);
		struct lrn_profile p;
		rc = _get(sf, &p, sizeof(p));
		uint64_t dropped = !rc && remap ? _remap_counts(&p, to) : 0;
		st->dropped_counts += dropped;
		st->dropped_profiles += dropped != 0;
		/* Experiments live in the region, not in snapshots: marks of
		 * a past run would make this run's users look counted. */
		p.exp_seen = 0;
		p.exp_seen_hi = 0;
		if (!rc && (rc = prof_load(r, &p)) == -ENOSPC)
			snprintf(err, errlen,
			    "the snapshot holds more profiles than profiles_per_shard allows; raise it");
		else if (rc == -EINVAL) /* written never: made or damaged */
			rc = _no_key(err, errlen, "profile", i);
	}
	ck_pr_store_64(&r->hdr->load_done, h->profiles);
	for (uint64_t i = 0; !rc && i < h->catalog; i++) {
		struct _snap_cat c;
		rc = _get(sf, &c, sizeof(c));
		if (!rc && (rc = cat_put(r, c.key, &c.it)) == -ENOSPC)
			snprintf(err, errlen,
			    "the snapshot holds more catalog entries than catalog_capacity allows; raise it");
		else if (rc == -EINVAL)
			rc = _no_key(err, errlen, "catalog entry", i);
	}
	for (uint64_t i = 0; !rc && i < h->names; i++) {
		struct name_entry n;
		rc = _get(sf, &n, sizeof(n));
		if (!rc && n.len <= sizeof(n.text))
			rc = cat_name_put(r, n.kind, n.id, n.text, n.len);
		if (rc == -EEXIST)
			rc = 0;
	}
	return rc;
}

/*
 * First pass: the checksum in the last 8 bytes matches everything before
 * them. Leaves the file at its start. 0, -EPROTO or -EIO.
 */
static int _verify(FILE *f, XXH3_state_t *h, const struct _snap_header *hd)
{
	char buf[1 << 16];
	uint64_t want = 0;
	if (fseeko(f, 0, SEEK_END))
		return -EIO;
	off_t size = ftello(f);
	off_t first = (off_t)sizeof(*hd);
	if (size < first + (off_t)sizeof(want) ||
	    fseeko(f, size - (off_t)sizeof(want), SEEK_SET) ||
	    fread(&want, sizeof(want), 1, f) != 1 || fseeko(f, first, SEEK_SET))
		return size < 0 ? -EIO : -EPROTO;
	XXH3_64bits_reset(h);
	for (off_t left = size - first - (off_t)sizeof(want); left > 0;) {
		size_t n =
		    left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf);
		if (fread(buf, 1, n, f) != n)
			return -EIO;
		XXH3_64bits_update(h, buf, n);
		left -= (off_t)n;
	}
	int rc = _sum(hd, XXH3_64bits_digest(h)) == want ? 0 : -EPROTO;
	return fseeko(f, first, SEEK_SET) ? -EIO : rc;
}

int snap_load(const struct reg *r, const char *path, struct snap_stats *st,
    char *err, size_t errlen)
{
	if (errlen)
		err[0] = 0;
	/* The header first, for a precise message about a foreign file,
	 * then the whole file, before touching the region: a corrupt
	 * snapshot must not leave half its records behind. */
	struct _sfile sf;
	struct _snap_header h;
	int rc = _open_checked(r, path, &sf, &h,
	    ": move it aside to start empty", err, errlen);
	if (rc)
		return rc;
	XXH3_64bits_reset(sf.h); /* verified: _get hashes, unused */
	struct snap_stats ls = { 0 };
	rc = _load_tables(r, &sf, &h, &ls, err, errlen);
	/* The counts must account for every byte up to the checksum. */
	uint64_t sum = 0;
	if (!rc &&
	    (fread(&sum, sizeof(sum), 1, sf.f) != 1 || fgetc(sf.f) != EOF))
		rc = -EPROTO;
	if (rc == -EPROTO && !err[0])
		snprintf(err, errlen,
		    "%s is corrupt (checksum or length): move it aside to start empty",
		    path);
	else if (rc && !err[0])
		snprintf(err, errlen, "cannot load %s: %s", path,
		    strerror(-rc));
	if (!rc && st) {
		ls.profiles = h.profiles;
		ls.catalog = h.catalog;
		ls.names = h.names;
		ls.bytes = sizeof(h) + sf.bytes + sizeof(sum);
		*st = ls;
	}
	_close(&sf);
	return rc;
}
