/*
 * insights: behavior insights over the instance's profiles, for the
 * dashboard (GET /api/insights) and the metrics endpoint (events by verb).
 * One pass over the profile records, each copied under its seqlock
 * (prof_copy) and exported as `penchant profile` sees it
 * (client_profile_export, engagement as of the wall clock now):
 *
 *   - users by engagement level (new, active, casual, dormant);
 *   - sessions: total, per user, events per session, mean length;
 *   - the funnel view -> click -> act (rsvp, save, purchase) from the
 *     profiles' verb counts, and every verb's count;
 *   - weekday and daypart mix (the profiles' local-time calendars, whose
 *     cells halve as they fill: a mix, not event counts) and the peaks;
 *   - top tags and categories by summed weight (each user's long
 *     horizon as of their last event), with how many users hold each;
 *   - drift: users drifting now, their share, episodes;
 *   - cohorts by first-seen week (Monday-based, of event time) for the
 *     last INS_COHORTS weeks before the newest event: users, and the share
 *     still seen k weeks later (last event at or after the cohort's start
 *     plus k weeks: a survival curve, all that first_ms and last_ms
 *     tell).
 *
 * Bounded: with more than max_profiles profiles it takes every n-th
 * record (a uniform sample; `sampled` says so). Counts are then over the
 * sample. Any thread that owns the pen_t may call it; it reads shared
 * memory only and never blocks a writer.
 */
#ifndef PENCHANT_IPC_INSIGHTS_H
#define PENCHANT_IPC_INSIGHTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "penchant.h"

#define INS_TOP 10
#define INS_COHORTS 8

struct ins_item {
	uint32_t id;
	double weight; /* summed over users */
	uint64_t users;
	char name[PEN_NAME_MAX + 4];
};

struct ins_report {
	int64_t as_of_ms;	/* wall clock of the scan */
	int64_t newest_ms;	/* newest event time seen */
	uint64_t profiles;	/* profile records in use (all shards) */
	uint64_t scanned;	/* profiles in the report */
	bool sampled;		/* every n-th record only */
	uint64_t engagement[4]; /* new active casual dormant */
	uint64_t sessions, session_s_sum; /* sum of sessions x mean length */
	uint64_t events;
	uint64_t verbs[PEN_N_COUNT];
	double weekdays[7], dayparts[4];
	uint64_t drifting, drift_episodes;
	unsigned n_tags, n_cats;
	struct ins_item tags[INS_TOP], cats[INS_TOP];
	uint64_t ids_dropped; /* distinct ids past the scan's table */
	struct {
		int64_t start_ms;
		uint64_t users;
		uint64_t kept[INS_COHORTS]; /* seen k weeks after start */
	} cohorts[INS_COHORTS];		    /* oldest first */
};

/* "new" "active" "casual" "dormant", by engagement[] index. */
extern const char *const ins_engagement_names[4];

/*
 * Scans the profiles of p's instance into out (at most max_profiles of
 * them, 0: all). 0, or -ENOMEM for the scan's scratch.
 */
int ins_scan(pen_t *p, uint64_t max_profiles, struct ins_report *out);

/* The report as one JSON object and a newline; p names the verbs. */
void ins_json(FILE *f, pen_t *p, const struct ins_report *r);

#endif
