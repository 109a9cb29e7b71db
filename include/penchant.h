/*
 * penchant.h: the client library of penchant, a real-time personalization
 * engine. A local program links libpenchant to
 *   - publish behavior events into the engine through its own shared-memory
 *     rings (no syscall per event, explicit back-pressure), and
 *   - read learned profiles straight from shared memory (no syscall, no
 *     lock: a consistent copy under a sequence lock).
 *
 * Errors are negative errno values; pen_strerror() turns one into text, and
 * calls that can fail for a reason worth explaining also fill an `err`
 * buffer. The library never prints and keeps no global state.
 *
 * Threads: a pen_t is used by one thread at a time (pen_rerank writes
 * through it too: it publishes first exposures of experiments, and keeps
 * its scratch in it). A pen_t must not be used in a child after fork():
 * open a new one there. A child's calls on the parent's handle return
 * -ECHILD (on Linux 4.14 and later), and its pen_close frees memory
 * only, leaving the parent's producer slot to the parent.
 *
 * Compatibility: the shared library exports the pen_* calls below and
 * nothing else. Until 1.0, a new minor version may change the ABI (the
 * soname is libpenchant.so.0.MINOR); a patch version never does. Most
 * structs that cross the API end in reserved space for fields a later
 * version adds: zero-initialize what you pass in (struct pen_event ev =
 * { ... }), and ignore the reserved tail of what comes back. Two do not
 * and may grow in a minor version (their array strides with them):
 * struct pen_ranked (its tail went to 0.3's and 0.6's fields) and
 * struct pen_experiments.
 */
#ifndef PENCHANT_H
#define PENCHANT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PEN_VERSION_MAJOR 0
#define PEN_VERSION_MINOR 8
#define PEN_VERSION_PATCH 0
#define PEN_VERSION "0.8.0"

typedef struct pen pen_t;

/*
 * The library's version at run time ("MAJOR.MINOR.PATCH"), to compare with
 * the PEN_VERSION a program was built with.
 */
const char *pen_version(void);

/*
 * Flags of the publish calls.
 * PEN_NOWAIT: return -EAGAIN instead of waiting on a full ring.
 * PEN_DEFER: stage only; visible at the next pen_commit or pen_flush (or
 * a publish without PEN_DEFER).
 */
#define PEN_NOWAIT 0x1
#define PEN_DEFER 0x2

/*
 * An event, as strings and numbers. Required: user_id, event_type
 * ("view" "click" "rsvp" "save" "share" "feedback" "search"), time_ms, and
 * entity_id (except for search, which needs query). Everything else may be
 * left zero/NULL. docs/PROTOCOL.md describes every field.
 */
struct pen_event {
	const char *user_id;
	const char *event_type;
	const char *entity_id;
	const char *entity_type; /* "activity" (default) "recommendation" ... */
	const char *session_id;
	int64_t time_ms;   /* event time, UTC ms since the epoch */
	int tz_offset_min; /* local = UTC + this */
	int has_location;  /* lat/lon given; stored as a coarse cell */
	double lat, lon;
	const char *device, *platform, *weather, *social;
	const char *rec_type;	/* recommendation type */
	const char *query;	/* search text */
	int position;		/* 1-based list position, 0 = none */
	double dwell_ms;	/* time spent, 0 = none */
	double scroll_depth;	/* 0..1, negative = none */
	int feedback;		/* +1 / -1 for feedback events */
	const char *request_id; /* the pen_rerank request an impression or
				 * click answers: its 16 hex digits; NULL
				 * none */
	int dnt;		/* do not track: not learned nor counted */
	uint32_t reserved[5];	/* zero */
};

/*
 * A validated, hashed event ready to publish: pen_prepare() once, publish
 * many times at ring speed. Opaque; copy it freely.
 */
struct pen_prepared {
	uint64_t opaque[16];
};

/*
 * Attaches to a running instance ("default" when NULL). The first publish
 * claims a producer slot; readers never take one (pen_rerank publishes a
 * user's first exposure to an experiment, and so claims one). 0, -ENOENT
 * (not running), -EPROTO (built for another layout: err says what
 * differs; also, for the few ms penchantd takes to lay its region out, a
 * region without its magic yet: err says "it may still be starting", and
 * a retry succeeds).
 */
int pen_open(const char *instance, pen_t **out, char *err, size_t errlen);

/*
 * Waits until the instance is ready (a restart loads its snapshot first:
 * until then publishes, profile reads and rankings return -EINPROGRESS,
 * never a half-loaded answer). 0, -ETIMEDOUT, or -ESHUTDOWN when it is
 * stopping or stopped, or was killed without a stop (its supervisor's
 * heartbeat over 10 s old). A handle outlives its instance: once that
 * stopped, reads return -ESHUTDOWN too; a restarted instance is a new
 * region: pen_close and pen_open again.
 */
int pen_wait_ready(pen_t *p, unsigned timeout_ms);

/*
 * Maps the whole region into this handle's page tables now, so that no
 * later read takes a page fault on first touching a part of the tables
 * (each costs about a microsecond: a fresh handle's first reads of a large
 * table are several times slower than its steady state). For long-running
 * readers; costs roughly 20 ms per GiB of region, once. 0 or -errno
 * (-EINVAL on a kernel before 5.14, where it does nothing).
 */
int pen_warm(pen_t *p);

/* Commits staged events, releases the producer slot, detaches, sets *p NULL. */
void pen_close(pen_t **p);

const char *pen_strerror(int err);

/*
 * Validates an event. 0, or -EINVAL with err naming the field and the
 * reason (the reason's name is one of the counters `penchant status` shows).
 * A refused event claims no producer slot (nor does pen_prepare_json's):
 * the handle counts it, and the count joins the instance's when a publish
 * claims a slot, or at pen_close (which takes a free slot for that moment;
 * none free, the count is lost).
 */
int pen_prepare(pen_t *p, const struct pen_event *ev, struct pen_prepared *out,
    char *err, size_t errlen);

/*
 * Publishes n prepared events in order. Returns 0 when all are accepted;
 * otherwise *done (may be NULL) says how many were, and the error says why
 * the next was not: -EAGAIN (ring full with PEN_NOWAIT), -ESHUTDOWN (the
 * instance is stopping, or, while waiting for room, was killed without a
 * stop: nothing would drain the ring), -ENOSPC (no free producer slot). Accepted means
 * visible to the engine (unless PEN_DEFER): it will be applied exactly once.
 */
int pen_publish_prepared(pen_t *p, const struct pen_prepared *evs, size_t n,
    int flags, size_t *done);

/* pen_prepare + pen_publish_prepared for one event. */
int pen_publish(pen_t *p, const struct pen_event *ev, int flags, char *err,
    size_t errlen);

/*
 * Parses and validates one JSON object (docs/PROTOCOL.md: the fields of the
 * JSON lines of `penchant send`) into a prepared event. 0, or -EINVAL with
 * err saying why ("bad_type: event_type", "malformed: byte 12: ...").
 */
int pen_prepare_json(pen_t *p, const char *line, size_t len,
    struct pen_prepared *out, char *err, size_t errlen);

/* pen_prepare_json + pen_publish_prepared for one line. */
int pen_publish_json(pen_t *p, const char *line, size_t len, int flags,
    char *err, size_t errlen);

/* Makes events staged with PEN_DEFER visible. */
int pen_commit(pen_t *p);

/*
 * Commits, then waits until the engine has applied every event this handle
 * published (read-your-writes). 0, -ETIMEDOUT, or -ESHUTDOWN as soon as
 * the instance is stopped or gone without a stop (nothing would apply
 * them; a stop in progress drains them, and is waited for).
 */
int pen_flush(pen_t *p, unsigned timeout_ms);

/* Reading ---------------------------------------------------------------- */

/*
 * Counters per verb, in this order; feedback split by sign, then the
 * instance's custom verbs (the `verbs` setting; pen_count_name() gives
 * every counter's name).
 */
enum pen_count {
	PEN_N_VIEW = 0,
	PEN_N_CLICK,
	PEN_N_RSVP,
	PEN_N_SAVE,
	PEN_N_SHARE,
	PEN_N_FEEDBACK_POS,
	PEN_N_FEEDBACK_NEG,
	PEN_N_SEARCH,
	PEN_N_CART,
	PEN_N_PURCHASE,
	PEN_N_LIKE,
	PEN_N_DISLIKE,
	PEN_N_SKIP,
	PEN_N_HIDE,
	PEN_N_IMPRESSION,
	PEN_N_CUSTOM0,
	PEN_N_COUNT = PEN_N_CUSTOM0 + 6
};

/* Longest tag or category name kept (bytes of UTF-8). */
#define PEN_NAME_MAX 128

struct pen_interest {
	uint32_t id;	     /* tag or category id */
	uint32_t evidence;   /* events that touched it (saturates at 65535) */
	double weight;	     /* long horizon, as of last_ms (decay_per_day;
			      * see pen_profile_weight_at) */
	double short_weight; /* short horizon, as of last_ms
			      * (short_half_life_h) */
	double confidence;   /* 0..1: evidence, recency and agreement */
	uint8_t dayparts[4]; /* categories: night morning afternoon evening
			      * counts (saturating); zero for tags */
	uint32_t reserved[3];
	char name[PEN_NAME_MAX + 4]; /* with PEN_READ_NAMES, else empty */
};

#define PEN_MAX_TAGS 16
#define PEN_MAX_CATS 8
#define PEN_MAX_GEO 4
#define PEN_MAX_HISTORY 12
#define PEN_MAX_CANDIDATES 4

/* Behavior patterns of a user (engagement as of the wall clock now). */
struct pen_behavior {
	uint32_t sessions;
	double events_per_session;
	double mean_session_s;
	unsigned peak_weekday; /* 0 = Monday */
	unsigned peak_daypart; /* 0 night .. 3 evening */
	double weekend_share;
	double click_per_view; /* funnel: clicks / views */
	double act_per_click;  /* funnel: (saves + rsvps) / clicks */
	char engagement[12];   /* new active casual dormant, as of now */
};

struct pen_profile {
	uint64_t user_key;
	int64_t first_ms, last_ms; /* event time of first/last event */
	uint32_t events, unknown_entity;
	uint32_t displaced; /* admission candidates that lost their place */
	uint32_t counts[PEN_N_COUNT];
	unsigned n_tags, n_cats, n_geo;
	struct pen_interest tags[PEN_MAX_TAGS]; /* by weight, descending */
	struct pen_interest cats[PEN_MAX_CATS];
	uint16_t hours[7][4];  /* [Monday..Sunday][night morning afternoon
			       * evening], events (8-bit, halving) */
	uint16_t devices[8];   /* unknown mobile desktop tablet tv other */
	uint16_t platforms[8]; /* unknown ios android web windows macos
				* linux other */
	struct {
		char cell[16];	 /* geohash */
		uint32_t n;	 /* events there (saturates at 65535) */
		int64_t last_ms; /* start of the (UTC) day last seen there */
		double weight;	 /* n, halving per geo_half_life_days since */
	} geo[PEN_MAX_GEO];	 /* by weight as of last_ms, descending */

	double confidence; /* of the whole profile, 0..1 */
	int drifting;	   /* interests are changing now */
	int64_t drift_ms;  /* event time drift was last detected, 0 never */
	double drift_kl;   /* KL(short || long) of category interest */
	unsigned drift_episodes;
	/* The two category distributions drift compares, in cats[] order:
	 * recent attention (short horizon, shrunk by kl_prior) and the long
	 * drift horizon (long_decay_per_day). Zero while too thin to judge. */
	double drift_short[PEN_MAX_CATS], drift_long[PEN_MAX_CATS];
	uint8_t seasons[4]; /* winter spring summer autumn (northern) */

	unsigned n_history; /* weekly top interest, newest first */
	struct {
		int iso_year;
		unsigned iso_week;
		uint32_t tag;
		double share; /* of the positive tag weight that week */
		char name[PEN_NAME_MAX + 4]; /* with PEN_READ_NAMES */
	} history[PEN_MAX_HISTORY];

	/* Admission candidates: ids a full table counts before they earn a
	 * slot (guaranteed mass as of last_ms). */
	unsigned n_candidates;
	struct {
		uint32_t id;
		int category; /* 1: a category candidate, 0: a tag */
		double mass;
		char name[PEN_NAME_MAX + 4]; /* with PEN_READ_NAMES */
	} candidates[PEN_MAX_CANDIDATES];

	struct pen_behavior behavior;
	uint64_t reserved[16];
};

/* The name of counter i of enum pen_count ("view", ..., a custom verb's
 * name, or NULL for an unused custom slot or i out of range). */
const char *pen_count_name(pen_t *p, unsigned i);

#define PEN_READ_NAMES 0x1 /* fill interest names from the catalog */

/*
 * Copies the profile of user_id. 0, -ENOENT (no events for this user yet),
 * -EBUSY (its record is stuck mid-write: its worker is being restarted),
 * -EINPROGRESS (the instance is loading its snapshot), -EIO (a corrupt
 * index entry, repaired when its worker restarts).
 */
int pen_profile_read(pen_t *p, const char *user_id, size_t len,
    struct pen_profile *out, int flags);

/*
 * The hot part of a profile: what ranking reads, without the rest. One
 * interest: as in struct pen_interest, without its name.
 */
struct pen_hot_interest {
	uint32_t id;
	uint32_t evidence;
	double weight;	     /* long horizon, as of last_ms */
	double short_weight; /* short horizon, as of last_ms */
	double confidence;   /* 0..1 */
	uint8_t dayparts[4]; /* categories only: night morning afternoon
			      * evening counts */
	uint32_t reserved;
};

struct pen_profile_hot {
	uint64_t user_key;
	int64_t first_ms, last_ms;
	uint32_t events;
	unsigned n_tags, n_cats;
	double confidence; /* of the whole profile, 0..1 */
	/* by weight, descending; entries past n_tags, n_cats are not written */
	struct pen_hot_interest tags[PEN_MAX_TAGS];
	struct pen_hot_interest cats[PEN_MAX_CATS];
	uint64_t reserved[4];
};

/*
 * pen_profile_read of the hot part only: the same values in the same
 * order as pen_profile_read gives for these fields, from a consistent copy
 * of the record's leading cache lines (about half of it), with no export
 * of history, behavior, drift or places. For callers that rank or filter
 * on interests at a high rate. Same return values as pen_profile_read.
 */
int pen_profile_hot_read(pen_t *p, const char *user_id, size_t len,
    struct pen_profile_hot *out);

/* A user id of a batch (bytes, not NUL-terminated). */
struct pen_user {
	const char *id;
	size_t len;
};

/*
 * pen_profile_hot_read of n users at once, into out[0..n-1], with each
 * user's result (0, -ENOENT, -EBUSY, -EIO) in rc[i]. A single read waits
 * for two cache misses one after the other (index, then record); a batch
 * starts them all first, so their waits overlap: per user it costs a
 * fraction of a single read. Returns how many were found, or -EINVAL,
 * -EINPROGRESS (nothing read).
 */
int pen_profile_hot_read_many(pen_t *p, const struct pen_user *users,
    unsigned n, struct pen_profile_hot *out, int *rc);

/* A weight of the profile decayed to event time at_ms (>= last_ms); NaN
 * when p or prof is NULL. */
double pen_profile_weight_at(pen_t *p, const struct pen_profile *prof,
    double weight, int64_t at_ms);

/* Instance-wide counters. */
struct pen_stats {
	unsigned shards, producer_slots;
	uint64_t profiles, profile_capacity;
	uint64_t catalog, catalog_capacity;
	uint64_t applied;	 /* events applied to profiles */
	uint64_t unknown_entity; /* applied without catalog data */
	uint64_t published;	 /* events made visible by producers */
	uint64_t backlog;	 /* events in rings, not yet applied */
	uint64_t full_waits;	 /* publishes that met a full ring */
	uint64_t rejected;	 /* all rejections */
	int loading;		 /* loading its snapshot: not ready yet */
	uint64_t load_done, load_total; /* profiles loaded of the snapshot */
	uint64_t reserved[5];
};
int pen_stats_read(pen_t *p, struct pen_stats *out);

/*
 * One counter of the instance, summed over its processes (and, for the
 * rejected_* counters, over producers too). Names are stable: they are the
 * names `penchant status --json` prints and the metrics endpoint exports.
 */
struct pen_counter {
	char name[48];	  /* "applied", "rejected_bad_type", "tcp_accepted" */
	const char *help; /* one line; static storage of the library */
	uint64_t value;
	int gauge; /* 1: a level (e.g. open connections), not a total */
	uint32_t reserved[7];
};

/*
 * Reads every counter of the instance into out (room for cap; out may be
 * NULL with cap 0 to ask how many there are). Returns the number of
 * counters the instance has (more than cap: only cap were written), or a
 * negative errno.
 */
int pen_counters_read(pen_t *p, struct pen_counter *out, size_t cap);

/* Ranking ------------------------------------------------------------------ */

/*
 * Where and how the user is now, for the contextual factors. Strings are
 * the event vocabulary (docs/PROTOCOL.md: weather "rainy", social
 * "friends", device "mobile", platform "ios"...); NULL or unknown: no
 * factor. time_ms 0 means the wall clock now.
 */
struct pen_context {
	int64_t time_ms;
	int tz_offset_min; /* local = UTC + this */
	int has_location;
	double lat, lon;
	const char *weather, *social, *device, *platform;
	uint32_t reserved[8]; /* zero */
};

/*
 * Attributes of a candidate the catalog does not hold (or that override
 * it). Strings are names, as in a catalog line.
 */
struct pen_item_attrs {
	const char *category;
	const char *const *tags; /* n_tags names */
	unsigned n_tags;
	int64_t start_ms; /* 0 unknown */
	int start_tz_min;
	int has_location;
	double lat, lon;
	int indoor;		    /* 1 indoor, 0 outdoor, -1 unknown */
	int group_friendly;	    /* 1 yes, 0 no, -1 unknown */
	int64_t added_ms;	    /* when it became available, 0 unknown */
	const char *const *devices; /* n_devices device names it suits */
	unsigned n_devices;
	uint32_t reserved[8]; /* zero */
};

struct pen_candidate {
	const char *entity_id;		    /* NUL-terminated */
	double score;			    /* the caller's base score, >= 0 */
	const struct pen_item_attrs *attrs; /* NULL: the catalog's */
	uint32_t reserved[4];		    /* zero */
};

/* Strategies (docs/RANKING.md): base profile context explore diverse full */
struct pen_rank_options {
	const char *strategy; /* NULL: "full" */
	unsigned k;	      /* results that matter; 0: all */
	uint64_t seed; /* exploration draws; 0: from the request id, unless
			* PEN_OPT_SEED is in `given` (then 0 is a seed) */
	double epsilon, explore_weight, mmr_lambda; /* < 0: the setting */
	int serendipity_every;			    /* < 0: the setting */
	float context_weight; /* exponent on the context factor (up to 5);
			       * 0: the user's segment's, else 1 */
	/* Diversity (docs/RANKING.md, since 0.7): the re-ranker of the
	 * diverse and full strategies, "mmr" or "dpp" (NULL: the
	 * diversifier setting); mmr_mean and dpp_theta (0..1), each taken
	 * only when its PEN_OPT_* bit is in `given` (0: the settings). */
	const char *diversifier;
	float mmr_mean, dpp_theta;
	uint32_t given;	      /* PEN_OPT_* */
	uint32_t reserved[3]; /* zero */
};
#define PEN_OPT_MMR_MEAN 0x1u
#define PEN_OPT_DPP_THETA 0x2u
#define PEN_OPT_SEED 0x4u /* since 0.7.1 */

/* One ranked candidate and why it is where it is (factors are 1 when not
 * applied; docs/RANKING.md defines each). */
struct pen_ranked {
	unsigned index; /* into the candidates given */
	double score;
	float affinity, confidence;
	float time, distance, weather, social, device, context;
	float fatigue, novelty, explore;
	int moved;	/* places moved up by exploration or diversity */
	unsigned flags; /* PEN_RANK_* */
	/* The user's segment, the same in every result of a call (since
	 * 0.3; docs/RANKING.md): its id (0: none: no segments yet, no
	 * profile, no consent), the assignment's confidence (0..1), and the
	 * share b its interest prior took in the affinity (0..prior_blend). */
	uint32_t segment;
	float segment_confidence;
	float prior;
	/* The collaborative factor (since 0.6): items the user engaged with
	 * lately were engaged with together with this one by other users
	 * (docs/RANKING.md); 1 when not applied. */
	float collab;
};
#define PEN_RANK_EXPLORED 0x1	  /* placed by epsilon-greedy */
#define PEN_RANK_SERENDIPITY 0x2  /* placed in a serendipity slot */
#define PEN_RANK_DIVERSIFIED 0x4  /* moved up by diversity (MMR) */
#define PEN_RANK_UNKNOWN_ITEM 0x8 /* neither catalog nor attributes */
#define PEN_RANK_SEGMENT_LOW 0x10 /* segment assignment of low confidence */
#define PEN_RANK_SEGMENT_PARAMS                                                \
	0x20 /* epsilon, explore_weight or mmr_lambda came from the segment's \
	      * strategy */

/*
 * Re-ranks n candidates for user_id in context ctx (NULL: now, nowhere):
 * reads the user's profile and the catalog from shared memory, no syscall
 * (the handle allocates scratch once, on its first call or a larger n).
 * out gets all n in order (the first k by the strategy, the rest by
 * score). *request_id (may be NULL) gets the id to send back with the
 * impression events of the shown results and with clicks on them, so they
 * are attributed to this request and its strategy. An unknown user is
 * ranked by the base scores (and exploration). A known user's segment (as
 * of the last refresh) lends the affinity its interest prior, the more the
 * sparser the profile, and, with the segment_params setting, its
 * strategy's epsilon, explore_weight and mmr_lambda where opt leaves them
 * negative (not for a low-confidence assignment). A user's first exposure
 * to a running experiment is published through the handle (a record its
 * worker counts the user with): that claims a producer slot like a
 * publish, and makes visible what the handle staged with PEN_DEFER
 * before (one ring, one commit). Returns 0, -EINVAL (bad
 * arguments, unknown strategy or diversifier, an option out of its range,
 * NaN or negative score; what the rank API refuses too: a user id events
 * refuse, a context time outside the instance's bounds, a time zone
 * offset, the context's or an item's, beyond +-1080 minutes), -EBUSY
 * (profile stuck mid-write), -ECHILD (a handle of the parent after
 * fork), -ENOMEM. The work grows with n x k (MMR over the best
 * mmr_pool x k; k = 0 ranks all n): the rank API caps n at
 * max_candidates, a library caller should too.
 */
int pen_rerank(pen_t *p, const char *user_id, size_t len,
    const struct pen_context *ctx, const struct pen_candidate *cands, size_t n,
    const struct pen_rank_options *opt, struct pen_ranked *out,
    uint64_t *request_id);

/* Segments ------------------------------------------------------------------ */

#define PEN_SEGMENTS_MAX 16
#define PEN_FEATURES 16
#define PEN_SEGMENT_HISTORY 24

/* One behavioral segment (docs/SEGMENTS.md). */
struct pen_segment {
	uint32_t id;	   /* stable across refreshes */
	char name[48];	   /* from its dominant traits, or the operator's */
	char strategy[20]; /* interest_focused social_driven
			     * exploration_heavy location_centric */
	uint64_t size;
	double share;	   /* of the users */
	double engagement; /* share of active members */
	double ctr;	   /* members' actions / impressions, -1 none */
	double drift_rate; /* share of members drifting now */
	double confidence; /* mean assignment confidence */
	double epsilon, mmr_lambda, explore_weight, context_weight;
	float traits[PEN_FEATURES]; /* standardized centroid; names:
				     * pen_feature_name() */
	float means[PEN_FEATURES];  /* raw feature means */
	int overridden;		    /* name/strategy/params from settings */
	unsigned n_prior;	    /* its interest distribution */
	struct {
		uint32_t id;
		int category; /* 1 category, 0 tag */
		double share; /* mean share of the members' positive weight */
		char name[PEN_NAME_MAX + 4]; /* with PEN_READ_NAMES */
	} prior[12];
	/* The diversifier its members' rankings use ("mmr", "dpp"; "": the
	 * setting's) and its dpp_theta (< 0: the setting's). */
	char diversifier[8];
	float dpp_theta;
	uint32_t reserved[5];
};

struct pen_segments {
	uint64_t version;     /* refreshes published; 0 none yet */
	int64_t refreshed_ms; /* wall clock */
	uint64_t users;
	unsigned k;
	double silhouette, inertia;
	uint64_t low_confidence_users;
	struct pen_segment seg[PEN_SEGMENTS_MAX];
	unsigned n_history; /* sizes over the last refreshes, oldest first */
	struct {
		int64_t ms;
		uint32_t id[PEN_SEGMENTS_MAX];
		uint64_t size[PEN_SEGMENTS_MAX];
	} history[PEN_SEGMENT_HISTORY];
	uint64_t refreshes, failures; /* by the segmenter */
	uint32_t reserved[8];
};

/* The segments as of the last refresh. 0, or -ENODATA before the first. */
int pen_segments_read(pen_t *p, struct pen_segments *out, int flags);

struct pen_user_segment {
	uint32_t id;
	char name[48];
	char strategy[20];
	double confidence;  /* assignment margin 0..1 */
	int low_confidence; /* below segment_low_confidence */
	uint32_t reserved[4];
};

/* The segment user_id falls in now. 0, -ENOENT (no events), -ENODATA (no
 * segments yet), -EINPROGRESS. */
int pen_segment_of(pen_t *p, const char *user_id, size_t len,
    struct pen_user_segment *out);

/* Asks the segmenter for a refresh now (it runs within a second). */
int pen_segments_refresh(pen_t *p);

/* "activity", "diversity", ... for traits[i]; NULL out of range. */
const char *pen_feature_name(unsigned i);

/* Privacy (docs/PRIVACY.md) ----------------------------------------------- */

/* Purposes a user consents to, or not. */
#define PEN_PURPOSE_PERSONALIZATION 0x1 /* learn a profile, rank by it */
#define PEN_PURPOSE_ANALYTICS 0x2	/* count in aggregate statistics */

struct pen_consent {
	unsigned decided;   /* purposes the user decided on */
	unsigned granted;   /* of those, the granted ones */
	unsigned effective; /* what applies now, the regime filling in */
	int opt_in;	    /* the instance's regime is opt-in */
	uint32_t reserved[4];
};

/*
 * Records user_id's decision on `purposes` (granted: the subset given) and
 * waits (up to timeout_ms) until the owning worker has it. Withdrawing
 * personalization forgets the user's profile, and nothing later is
 * learned until it is granted again. Appended to the audit trail. 0,
 * -ETIMEDOUT (published and recorded, not yet applied), -EINVAL (purposes
 * empty or unknown, granted outside purposes, or a user id events refuse:
 * empty, over max_id_len, not UTF-8 text without control bytes: nothing
 * done), -EIO (applied, but the audit trail could not be appended to:
 * unwritable or broken), or another negative errno (nothing done). On
 * every error err says why and what is left to do; err may be NULL (no
 * message). Since 0.8 (err and errlen added).
 */
int pen_consent_set(pen_t *p, const char *user_id, size_t len,
    unsigned purposes, unsigned granted, unsigned timeout_ms, char *err,
    size_t errlen);

/* The user's consent as the engine holds it (decided 0: none recorded). */
int pen_consent_get(pen_t *p, const char *user_id, size_t len,
    struct pen_consent *out);

struct pen_erase_report {
	int had_profile;   /* the region held a profile */
	int snapshot_had;  /* the snapshot on disk held one (rewritten) */
	double seconds;	   /* request to done */
	uint64_t user_key; /* the pseudonym that was erased */
	/* Published and recorded, but not complete (the call returned an
	 * error, err says which and what to do): PEN_ERASE_PENDING, the
	 * worker had not applied it within timeout_ms (it will);
	 * PEN_ERASE_SNAPSHOT_LEFT, the snapshot on disk could not be
	 * rewritten and still holds the user. Both bits may be set; calling
	 * pen_erase again completes it. 0 when complete or not begun. */
	int incomplete;
	uint32_t reserved[7];
};
#define PEN_ERASE_PENDING 1
#define PEN_ERASE_SNAPSHOT_LEFT 2

/*
 * Erases everything the engine holds on user_id: the profile in shared
 * memory (through the rings to its worker, after every event this handle
 * published), the copy in the instance's snapshot on disk (rewritten),
 * and records the erasure in the audit trail (by pseudonym). Events of the
 * user still in flight from other producers may build a new profile; to
 * stop that, withdraw consent too (pen_consent_set), before or after: a
 * consent decision survives the erasure (the key and the decision only,
 * in memory and in the snapshot). had_profile: something learned was
 * there. 0 (out filled; may be NULL), -ETIMEDOUT (published and
 * recorded, not applied yet: out->incomplete), -EIO (erased, but the
 * audit trail could not be appended to; out filled), -EINVAL (a user id
 * events refuse, as pen_consent_set: nothing done or recorded), or another
 * negative errno with a message in err: with out->incomplete set, the
 * snapshot could not be rewritten (the erasure is in memory and recorded),
 * else nothing was done.
 */
int pen_erase(pen_t *p, const char *user_id, size_t len, unsigned timeout_ms,
    struct pen_erase_report *out, char *err, size_t errlen);

/* Experiments (docs/EXPERIMENTS.md) ------------------------------------- */

#define PEN_EXPERIMENTS_MAX 8
#define PEN_VARIANTS_MAX 4

/* One variant of an experiment, with what its counts say against the
 * control (variant 0): NaN where a test could not be run yet. */
struct pen_variant {
	char name[32];
	char strategy[16];
	double weight;				    /* configured share */
	double epsilon, explore_weight, mmr_lambda; /* negative: default */
	uint64_t users; /* counted at their first exposure (SRM) */
	uint64_t exposures, impressions, clicks, conversions;
	double ctr, conversion, reward_mean, reward_var, mrr; /* per exposure */
	double ctr_diff, ctr_lo, ctr_hi, ctr_z, ctr_p; /* z test vs control */
	double conv_diff, conv_lo, conv_hi, conv_p;
	double reward_diff, reward_lo, reward_hi, reward_t, reward_df,
	    reward_p;		   /* Welch t */
	double prob_beats_control; /* Bayesian, on CTR */
	double expected_loss;	   /* of shipping this variant */
	double always_valid_p, always_valid_lo, always_valid_hi; /* mSPRT */
	double prob_best;    /* Thompson share among the variants */
	char diversifier[8]; /* "mmr" or "dpp" (since 0.7); "": the setting */
	float dpp_theta;     /* negative: default */
	uint32_t reserved0;
	/* Exposures with at least one click, and with at least one
	 * conversion: the numerators of ctr and conversion. */
	uint64_t clicked, converted;
};

struct pen_experiment {
	char name[32];
	char salt[32];
	int64_t start_ms, stop_ms; /* 0: open */
	int segment;		   /* target segment id, -1 everyone */
	int active;		   /* running (else kept for reading) */
	int bandit;		   /* Thompson allocation */
	int64_t loaded_ms;
	double srm_chi2, srm_p; /* sample-ratio mismatch on exposures */
	int srm_broken;		/* srm_p < 0.001: do not trust the rest */
	unsigned n_variants;
	struct pen_variant v[PEN_VARIANTS_MAX];
	/* Requests whose outcome state was evicted while still
	 * inside the attribution window (nonzero: clicked, converted and
	 * reward_var are approximate, docs/EXPERIMENTS.md), and outcomes
	 * ignored because their request was made before this run began. */
	uint64_t evicted, stale;
	uint32_t reserved[4];
};

struct pen_experiments {
	uint64_t version; /* loads so far */
	unsigned n;
	struct pen_experiment e[PEN_EXPERIMENTS_MAX];
};

/* The running experiments and their reports (alpha 0.05). */
int pen_experiments_read(pen_t *p, struct pen_experiments *out);

/*
 * Replaces the set of running experiments with the definitions in `json`
 * (JSON lines, one experiment each; docs/EXPERIMENTS.md), under the
 * instance's loader lock; an experiment that keeps its name keeps its
 * counts. An empty text ("", len 0) stops every experiment; json NULL
 * is refused (-EINVAL). Recorded in the audit trail. 0, or -EINVAL /
 * -EBUSY / -ENOSPC with a message naming the line and field, or -EIO:
 * loaded, but the audit trail could not be appended to (err says why).
 * err may be NULL (no message). A user open to several experiments is
 * taken by the first in the text; on success err holds notes, one a
 * line ("" when none): an experiment whose segment is not in the segment
 * table now (a warning naming it: it takes no users until a refresh makes
 * that segment), one whose stop is past, one that gets none of its users
 * while one before it runs.
 */
int pen_experiments_load(pen_t *p, const char *json, size_t len, char *err,
    size_t errlen);

/* Attributed outcomes of served rankings, by strategy and list position. */
struct pen_serving {
	uint64_t impressions, clicks, conversions;
	uint32_t reserved[4];
};
#define PEN_POSITIONS 32 /* positions 1..32 apart; beyond, together */

/*
 * Sums over shards for one strategy ("full", ...; NULL: all) and one
 * position (1..PEN_POSITIONS, PEN_POSITIONS + 1 for beyond; 0: all).
 * 0 or -EINVAL.
 */
int pen_serving_read(pen_t *p, const char *strategy, unsigned position,
    struct pen_serving *out);

#ifdef __cplusplus
}
#endif

#endif
