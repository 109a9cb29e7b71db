/*
 * item: what penchant knows about an entity (an activity, a product, a
 * venue): the attributes the learner and the ranker read. The catalog
 * (shm/catalog.h) stores one per entity; a rank request may carry one
 * inline for an entity the catalog does not hold. Plain data, no pointers:
 * it lives in shared memory and in snapshots (part of their layout).
 */
#ifndef PENCHANT_ENGINE_ITEM_H
#define PENCHANT_ENGINE_ITEM_H

#include <stdint.h>

#include "engine/learn.h"

enum item_setting { ITEM_SETTING_UNKNOWN = 0, ITEM_INDOOR, ITEM_OUTDOOR };
enum item_tristate { ITEM_UNKNOWN = 0, ITEM_NO, ITEM_YES };

struct cat_item {
	struct lrn_item item;	/* category and tags, for the learner */
	int64_t start_ms;	/* when it takes place (UTC ms), 0 = unknown */
	int64_t added_ms;	/* when it entered the catalog, 0 = unknown */
	uint64_t geo_cell;	/* engine/geo.h cell of its place, 0 = none */
	int16_t start_tz_min;	/* local time of start_ms = UTC + this */
	uint8_t setting;	/* enum item_setting */
	uint8_t group_friendly; /* enum item_tristate */
	uint8_t price_level;	/* 0..4, 255 unknown */
	uint8_t device_mask;	/* bit per enum evt_device it suits; 0 any */
	uint8_t platform_mask;	/* bit per enum evt_platform; 0 any */
	uint8_t flags;		/* ITEM_F_* */
};
/* Marked sensitive in the catalog: events on it are never learned, and
 * rankings use nothing of it but the caller's score. */
#define ITEM_F_SENSITIVE 1u
/* Left half-written by a catalog load that died, and emptied: nothing of
 * it is known, so it is kept as sensitive (whatever it was, nothing is
 * learned from it) and left out of snapshots until a load names it. */
#define ITEM_F_TORN 2u

#endif
