/*
 * catalog: entity table and name table, one writer under a pid lock.
 */
#include "shm/catalog.h"

#include "shm/seqlock.h"

#include <ck_pr.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cat_lock(const struct reg *r, char *err, size_t errlen)
{
	int rc = reg_writer_lock(&reg_catalog(r)->writer, "the catalog", err,
	    errlen);
	if (rc)
		return rc;
	/* No writer is at work now: an entry whose count is odd was left
	 * mid-write by one that died. Readers spin on it and give up, each
	 * time, until it is rewritten, and a load that does not name the
	 * item never would: mark it torn so it reads at once, as an item
	 * of nothing known, treated as sensitive (it may have been: learn
	 * nothing of it) and not snapshotted. */
	struct cat_entry *e = reg_catalog_entries(r);
	for (uint32_t i = 0; i < r->hdr->geo.catalog_slots; i++) {
		if (!(ck_pr_load_uint(&e[i].seq.sequence) & 1))
			continue;
		seq_write_begin(&e[i].seq); /* moves an odd count by 2 */
		memset(&e[i].it, 0, sizeof(e[i].it));
		e[i].it.price_level = 255; /* unknown */
		e[i].it.flags = ITEM_F_SENSITIVE | ITEM_F_TORN;
		seq_write_end(&e[i].seq);
	}
	return 0;
}

bool cat_reclaim(const struct reg *r)
{
	char err[160];
	int32_t w = ck_pr_load_int(&reg_catalog(r)->writer);
	if (!w || w == (int32_t)gettid() || cat_lock(r, err, sizeof(err)))
		return false; /* free, ours, or its holder is alive */
	cat_unlock(r);
	return true;
}

void cat_unlock(const struct reg *r)
{
	struct cat_block *cb = reg_catalog(r);
	ck_pr_fence_store();
	ck_pr_store_64(&cb->version, cb->version + 1);
	ck_pr_store_int(&cb->writer, 0);
}

int cat_put(const struct reg *r, uint64_t key, const struct cat_item *it)
{
	struct cat_block *cb = reg_catalog(r);
	struct cat_entry *e = reg_catalog_entries(r);
	const uint32_t mask = r->hdr->geo.catalog_slots - 1;
	if (key == 0) /* 0 marks a free slot */
		return -EINVAL;
	uint32_t i = cat_slot0(key, mask);
	for (;; i = (i + 1) & mask) {
		if (e[i].key == key || e[i].key == 0)
			break;
	}
	bool fresh = e[i].key == 0;
	if (fresh && cb->count >= r->hdr->geo.catalog_capacity)
		return -ENOSPC;
	struct cat_entry *x = &e[i];
	seq_write_begin(&x->seq);
	x->it = *it;
	seq_write_end(&x->seq);
	if (fresh) {
		ck_pr_fence_store(); /* the entry is complete before its key */
		ck_pr_store_64(&x->key, key);
		ck_pr_store_uint(&cb->count, cb->count + 1);
	}
	ck_pr_store_64(&cb->updates, cb->updates + 1);
	return 0;
}

int cat_get(const struct reg *r, uint64_t key, struct cat_item *out)
{
	struct cat_view v;
	cat_view_of(r, &v);
	return cat_view_get(&v, key, out);
}

static struct name_entry *_name_find(const struct reg *r, uint32_t id)
{
	struct name_entry *t = reg_names(r);
	const uint32_t mask = r->hdr->geo.names_slots - 1;
	uint32_t i = (id * 2654435761u) & mask;
	for (uint32_t n = 0; n <= mask; n++, i = (i + 1) & mask) {
		uint32_t k = ck_pr_load_32(&t[i].id);
		if (k == id || k == 0)
			return &t[i];
	}
	return NULL;
}

int cat_name_put(const struct reg *r, enum name_kind kind, uint32_t id,
    const char *text, size_t len)
{
	struct name_entry *e = _name_find(r, id);
	if (!e)
		return -ENOSPC;
	if (len > NAME_MAX_LEN) {
		/* Cut at a character boundary: never half a UTF-8 sequence. */
		len = NAME_MAX_LEN;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	if (e->id == id)
		return (e->len == len && memcmp(e->text, text, len) == 0 &&
			   e->kind == kind)
		    ? 0
		    : -EEXIST;
	/* Capacity keeps the load at most 1/2, so probes stay short. */
	struct cat_block *cb = reg_catalog(r);
	if (cb->names >= r->hdr->geo.names_capacity)
		return -ENOSPC;
	cb->names++;
	e->kind = (uint8_t)kind;
	e->len = (uint16_t)len;
	memcpy(e->text, text, len); /* len says where it ends: no NUL */
	ck_pr_fence_store();	    /* the text is complete before the id */
	ck_pr_store_32(&e->id, id);
	return 0;
}

int cat_name_get(const struct reg *r, uint32_t id, char *buf, size_t len)
{
	const struct name_entry *e = id ? _name_find(r, id) : NULL;
	if (!e || ck_pr_load_32(&e->id) != id) {
		snprintf(buf, len, "#%u", id);
		return 0;
	}
	ck_pr_fence_load(); /* id before text */
	/* len is shared memory too: never past the text */
	snprintf(buf, len, "%.*s",
	    (int)(e->len > NAME_MAX_LEN ? NAME_MAX_LEN : e->len), e->text);
	return e->kind;
}

bool cat_is_tag(const struct reg *r, uint32_t id)
{
	const struct name_entry *e = id ? _name_find(r, id) : NULL;
	if (!e || ck_pr_load_32(&e->id) != id)
		return false;
	ck_pr_fence_load();
	return e->kind == NAME_TAG;
}
