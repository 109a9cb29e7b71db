/*
 * privacy: what the region's privacy settings mean for a profile, an
 * item and an event (docs/PRIVACY.md). The workers apply them when they
 * learn, libpenchant when it ranks; both read the same header fields, so
 * the two cannot disagree.
 *
 * - Consent per purpose (engine/event.h enum evt_purpose): a user's own
 *   decision (lrn_profile.consent), else the instance's regime
 *   (consent_regime: opt-out gives every purpose, opt-in none).
 * - Sensitive tags and categories (the `sensitive` setting) and entities
 *   marked sensitive in the catalog: stripped from what the learner and
 *   the ranker see.
 */
#ifndef PENCHANT_SHM_PRIVACY_H
#define PENCHANT_SHM_PRIVACY_H

#include <stdbool.h>

#include "engine/item.h"
#include "shm/region.h"

/* May `purpose` use profile p (NULL: a user who decided nothing)? */
static inline bool priv_consents(const struct reg *r,
    const struct lrn_profile *p, unsigned purpose)
{
	return lrn_consents(p, purpose, r->hdr->consent_opt_in != 0);
}

/* Is tag or category id sensitive here? */
bool priv_sensitive_id(const struct reg *r, uint32_t id);

/* Removes sensitive ids from a learner item (search tokens). */
void priv_lrn_item(const struct reg *r, struct lrn_item *it);

/*
 * Removes sensitive ids from it (category to 0, tags dropped). Returns
 * false when the whole entity is sensitive (ITEM_F_SENSITIVE): then
 * nothing of it may be used. Inline: a worker asks for every event and a
 * ranking for every candidate, and without sensitive ids (the usual
 * case) there is nothing to strip.
 */
static inline bool priv_item(const struct reg *r, struct cat_item *it)
{
	if (it->flags & ITEM_F_SENSITIVE)
		return false;
	if (r->hdr->sensitive_n)
		priv_lrn_item(r, &it->item);
	return true;
}

#endif
