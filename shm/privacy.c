/*
 * privacy: the region's privacy settings applied (privacy.h).
 */
#include "shm/privacy.h"

bool priv_sensitive_id(const struct reg *r, uint32_t id)
{
	const struct reg_header *h = r->hdr;
	uint32_t n = h->sensitive_n < 64 ? h->sensitive_n : 64;
	for (uint32_t i = 0; i < n; i++)
		if (h->sensitive[i] == id)
			return true;
	return false;
}

void priv_lrn_item(const struct reg *r, struct lrn_item *it)
{
	if (!r->hdr->sensitive_n)
		return;
	if (it->category && priv_sensitive_id(r, it->category))
		it->category = 0;
	unsigned n = it->n_tags < LRN_ITEM_TAGS ? it->n_tags : LRN_ITEM_TAGS,
		 k = 0;
	for (unsigned i = 0; i < n; i++)
		if (!priv_sensitive_id(r, it->tags[i]))
			it->tags[k++] = it->tags[i];
	it->n_tags = (uint8_t)k;
}
