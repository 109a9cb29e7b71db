/*
 * Fuzz target: arbitrary bytes as the records of a snapshot whose header
 * and checksum are made valid, so snap_load, snap_find and snap_erase
 * parse the records themselves (a plainly mutated file stops at the
 * checksum). Must never crash, leak or hit UB; a refusal returns -EPROTO
 * or -ENOSPC with a message; a load that succeeds put every record where
 * a reader finds it. Built with libFuzzer (-Dfuzz=true) or with
 * tests/fuzz_replay_main.c.
 *
 * Input: a control byte, three count bytes, with CTL_VERBS the custom
 * verbs' names as written (6 x 16 bytes), then the records.
 *   ctl & CTL_EXACT   counts cut to what the records hold (the file's
 *                     length is right: the records are all parsed);
 *                     otherwise taken as they are, some huge
 *   ctl & CTL_VERBS   the header's verbs from the input (a remap)
 *   ctl & CTL_ERASE   snap_erase of the first profile's key
 *   ctl & CTL_SECRET  another secret's check in the header
 * The region is small (2 shards of 4 profiles, 8 catalog entries, 8
 * names) so -ENOSPC is in reach; a new one for each input, as snap_load
 * wants a fresh region.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "fuzz_record.h"
#include "shm/boot.h"
#include "shm/catalog.h"
#include "shm/profiles.h"
#include "shm/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CTL_EXACT 1u
#define CTL_VERBS 2u
#define CTL_ERASE 4u
#define CTL_SECRET 8u

/* The file's header as shm/snapshot.c writes it (the format is a wire
 * format: checked against a real file at start). */
struct fz_header {
	uint64_t magic;
	uint32_t format;
	uint32_t profile_layout;
	uint32_t profile_size;
	uint32_t catalog_size;
	uint32_t name_size;
	uint32_t pad;
	uint64_t profiles, catalog, names;
	int64_t written_ms;
	uint64_t secret_check;
	char verbs[EVT_CUSTOM_VERBS][EVT_VERB_MAX + 1];
};

#define PROF_SIZE sizeof(struct lrn_profile)
#define CAT_SIZE (8 + sizeof(struct cat_item))
#define NAME_SIZE sizeof(struct name_entry)

static char g_dir[256], g_path[300], g_inst[40];
static struct fz_header g_tmpl;
static struct reg_geometry g_geo;

static void _cleanup(void)
{
	unlink(g_path);
	rmdir(g_dir);
}

static uint32_t _pow2(uint64_t v)
{
	uint64_t p = 1;
	while (p < v)
		p <<= 1;
	return (uint32_t)p;
}

/* A fresh region with two custom verbs, REG_STARTING. */
static void _region(struct reg *r)
{
	char err[256] = "";
	struct boot_options bo = { .replace = true };
	int rc = boot_create(r, g_inst, NULL, &g_geo, &bo, err, sizeof(err));
	if (rc)
		fprintf(stderr, "boot_create: %d %s\n", rc, err);
	FUZZ_RULE(rc == 0);
	/* Mapped, so its name can go now: a crash leaves no region behind. */
	reg_unlink(g_inst);
	strcpy(r->hdr->limits.verbs[0], "play");
	strcpy(r->hdr->limits.verbs[1], "wish");
}

static void _drop(struct reg *r)
{
	reg_detach(r);
}

/* Once: a temporary directory, and the header of a real empty snapshot. */
static void _init(void)
{
	const char *tmp = getenv("TMPDIR");
	struct reg r;
	char err[512] = "";

	snprintf(g_dir, sizeof(g_dir), "%s/penchant-fzsnap-XXXXXX",
	    tmp ? tmp : "/tmp");
	FUZZ_RULE(mkdtemp(g_dir) != NULL);
	snprintf(g_path, sizeof(g_path), "%s/f.snap", g_dir);
	snprintf(g_inst, sizeof(g_inst), "fz-snap-%d", (int)getpid());
	atexit(_cleanup);
	g_geo = (struct reg_geometry){
		.shards = 2,
		.producer_slots = 1,
		.ring_depth = 16,
		.profiles_per_shard = 4,
		.index_slots = _pow2(2 * 4),
		.catalog_capacity = 8,
		.catalog_slots = _pow2(2 * 8),
		.names_capacity = 8,
		.names_slots = _pow2(2 * 8),
		.record_size = sizeof(struct evt_record),
		.profile_size = sizeof(struct prof_slot),
		.experiment_requests = 1024,
	};
	_region(&r);
	FUZZ_RULE(snap_write(&r, g_path, NULL, err, sizeof(err)) == 0);
	_drop(&r);
	FILE *f = fopen(g_path, "rb");
	FUZZ_RULE(f);
	FUZZ_RULE(fread(&g_tmpl, sizeof(g_tmpl), 1, f) == 1);
	uint64_t sum;
	FUZZ_RULE(fread(&sum, sizeof(sum), 1, f) == 1);
	FUZZ_RULE(fgetc(f) == EOF); /* the header is all of it */
	fclose(f);
	FUZZ_RULE(
	    g_tmpl.profiles == 0 && g_tmpl.catalog == 0 && g_tmpl.names == 0);
	FUZZ_RULE(g_tmpl.profile_size == PROF_SIZE &&
	    g_tmpl.catalog_size == CAT_SIZE && g_tmpl.name_size == NAME_SIZE);
	FUZZ_RULE(!strcmp(g_tmpl.verbs[0], "play"));
}

/* A count byte as it is, or (from 0xf0) one of the huge ones. */
static uint64_t _count(uint8_t b)
{
	static const uint64_t huge[] = { UINT64_MAX, UINT64_MAX / PROF_SIZE + 1,
		UINT64_MAX / CAT_SIZE + 1, UINT64_MAX / NAME_SIZE + 1,
		1ull << 32, 1ull << 63, UINT32_MAX, 4096 };
	return b < 0xf0 ? b : huge[b % (sizeof(huge) / sizeof(huge[0]))];
}

static void _write(const struct fz_header *h, const uint8_t *body, size_t n)
{
	uint64_t sum =
	    XXH3_64bits_withSeed(h, sizeof(*h), XXH3_64bits(body, n));
	FILE *f = fopen(g_path, "wb");
	FUZZ_RULE(f);
	FUZZ_RULE(fwrite(h, sizeof(*h), 1, f) == 1);
	FUZZ_RULE(fwrite(body, 1, n, f) == n);
	FUZZ_RULE(fwrite(&sum, sizeof(sum), 1, f) == 1);
	FUZZ_RULE(fclose(f) == 0);
}

/* A refusal of `what` comes with a one-line message. */
static void _check_err(const char *what, int rc, const char *err, size_t errlen)
{
	if (!rc)
		return;
	if (!memchr(err, 0, errlen) || !err[0] || strchr(err, '\n')) {
		fprintf(stderr, "%s: %d without a message\n", what, rc);
		abort();
	}
}

/* Whether a record of the file has key 0 (snap_write never writes one:
 * the loader must refuse the file). */
static bool _has_key0(const struct fz_header *h, const uint8_t *body)
{
	uint64_t key;
	for (uint64_t i = 0; i < h->profiles; i++) {
		memcpy(&key, body + i * PROF_SIZE, sizeof(key));
		if (key == 0)
			return true;
	}
	body += h->profiles * PROF_SIZE;
	for (uint64_t i = 0; i < h->catalog; i++) {
		memcpy(&key, body + i * CAT_SIZE, sizeof(key));
		if (key == 0)
			return true;
	}
	return false;
}

/* After a load that succeeded: every profile of the file is found under
 * its key (the last of a key wins), every catalog entry and name reads
 * back, and the tables hold no more than the file. */
static void _check_loaded(const struct reg *r, const struct fz_header *h,
    const uint8_t *body)
{
	const uint8_t *p = body;
	for (uint64_t i = 0; i < h->profiles; i++, p += PROF_SIZE) {
		struct lrn_profile in, out;
		memcpy(&in, p, sizeof(in));
		if (in.user_key == 0)
			continue;
		FUZZ_RULE(prof_read(r, in.user_key, &out) == 0);
		FUZZ_RULE(out.user_key == in.user_key);
		FUZZ_RULE(out.exp_seen == 0 && out.exp_seen_hi == 0);
	}
	uint32_t held = 0;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++) {
		uint32_t n = reg_shard(r, s)->count;
		FUZZ_RULE(n <= r->hdr->geo.profiles_per_shard);
		held += n;
		for (uint32_t i = 0; i < n; i++) {
			struct lrn_profile q;
			FUZZ_RULE(prof_copy(r, s, i, &q) == 0);
		}
	}
	FUZZ_RULE(held <= h->profiles);
	for (uint64_t i = 0; i < h->catalog; i++, p += CAT_SIZE) {
		uint64_t key;
		struct cat_item it;
		memcpy(&key, p, sizeof(key));
		if (key != 0)
			FUZZ_RULE(cat_get(r, key, &it) == 0);
	}
	uint32_t used = 0;
	const struct cat_entry *e = reg_catalog_entries(r);
	for (uint32_t i = 0; i < r->hdr->geo.catalog_slots; i++)
		used += e[i].key != 0;
	FUZZ_RULE(used <= h->catalog);
	FUZZ_RULE(reg_catalog(r)->count == used);
	FUZZ_RULE(reg_catalog(r)->names <= h->names);
	for (uint64_t i = 0; i < h->names; i++, p += NAME_SIZE) {
		struct name_entry n;
		char text[NAME_MAX_LEN + 1];
		memcpy(&n, p, sizeof(n));
		FUZZ_RULE(cat_name_get(r, n.id, text, sizeof(text)) >= 0);
		FUZZ_RULE(strlen(text) <= NAME_MAX_LEN);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		_init();
		ready = 1;
	}
	if (size < 4)
		return 0;
	unsigned ctl = data[0];
	struct fz_header h = g_tmpl;
	const uint8_t *body = data + 4;
	size_t n = size - 4;
	if (ctl & CTL_VERBS) {
		if (n < sizeof(h.verbs))
			return 0;
		memcpy(h.verbs, body, sizeof(h.verbs));
		body += sizeof(h.verbs);
		n -= sizeof(h.verbs);
	}
	if (ctl & CTL_SECRET)
		h.secret_check ^= 1;
	if (ctl & CTL_EXACT) {
		size_t left = n;
		h.profiles = data[1] % 8;
		if (h.profiles > left / PROF_SIZE)
			h.profiles = left / PROF_SIZE;
		left -= h.profiles * PROF_SIZE;
		h.catalog = data[2] % 16;
		if (h.catalog > left / CAT_SIZE)
			h.catalog = left / CAT_SIZE;
		left -= h.catalog * CAT_SIZE;
		h.names = left / NAME_SIZE;
		n -= left % NAME_SIZE;
	} else {
		h.profiles = _count(data[1]);
		h.catalog = _count(data[2]);
		h.names = _count(data[3]);
	}
	_write(&h, body, n);

	/* The loader, into a fresh region. */
	struct reg r;
	struct snap_stats st;
	char err[512];
	_region(&r);
	memset(err, 'Z', sizeof(err));
	int rc = snap_load(&r, g_path, &st, err, sizeof(err));
	FUZZ_RULE(rc == 0 || rc == -EPROTO || rc == -ENOSPC);
	_check_err("snap_load", rc, err, sizeof(err));
	if (ctl & CTL_SECRET)
		FUZZ_RULE(rc == -EPROTO);
	if (rc == 0) {
		/* Only a file whose counts account for every byte loads. */
		FUZZ_RULE(st.profiles == h.profiles &&
		    st.catalog == h.catalog && st.names == h.names);
		FUZZ_RULE(st.bytes == sizeof(h) + n + 8);
		FUZZ_RULE(!_has_key0(&h, body)); /* a record without a key */
		_check_loaded(&r, &h, body);
	}

	/* The reader of one profile (no secret check). */
	uint64_t key = 0x9e3779b97f4a7c15ull;
	if (n >= 8)
		memcpy(&key, body, sizeof(key));
	struct lrn_profile out;
	memset(err, 'Z', sizeof(err));
	int frc = snap_find(g_path, key, &out, err, sizeof(err));
	FUZZ_RULE(frc == 0 || frc == -ENOENT || frc == -EPROTO);
	if (frc == -EPROTO)
		_check_err("snap_find", frc, err, sizeof(err));
	if (frc == 0)
		FUZZ_RULE(out.user_key == key);
	if (rc == 0 && h.profiles > 0 && key != 0)
		FUZZ_RULE(frc == 0); /* it was loaded, so it is there */

	/* The erasure: rewrites the file without the key's profile. */
	if (ctl & CTL_ERASE) {
		bool found = false;
		memset(err, 'Z', sizeof(err));
		int erc = snap_erase(&r, g_path, key, &found, err, sizeof(err));
		FUZZ_RULE(erc == 0 || erc == -EPROTO);
		_check_err("snap_erase", erc, err, sizeof(err));
		if (erc == 0 && found) {
			frc = snap_find(g_path, key, &out, err, sizeof(err));
			FUZZ_RULE(frc == -ENOENT || frc == -EPROTO ||
			    (frc == 0 && out.events == 0));
			if (rc == 0) /* a good file stays one */
				FUZZ_RULE(frc != -EPROTO);
		}
	}
	_drop(&r);
	return 0;
}
