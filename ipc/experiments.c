/*
 * experiments: libpenchant's experiment calls (penchant.h): definitions
 * from JSON lines into the region, and the report of what the counts say
 * (engine/experiment.h computes it; this file only carries it out).
 */
#include "penchant.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/clock.h"
#include "engine/rank.h"
#include "ipc/audit.h"
#include "ipc/client.h"
#include "ipc/experiments.h"
#include "ipc/json.h"
#include "ipc/profile_json.h"
#include "shm/experiments.h"
#include "shm/segment.h"

_Static_assert(PEN_EXPERIMENTS_MAX == EXP_MAX &&
	PEN_VARIANTS_MAX == EXP_VARIANTS,
    "public arrays hold the experiments");

#define _TOKS 256

struct _line {
	const struct json_tok *t;
	unsigned no; /* line number, for messages */
	char *err;
	size_t errlen;
};

static int _fail(const struct _line *l, const char *field, const char *why)
{
	snprintf(l->err, l->errlen, "line %u: %s: %s", l->no, field, why);
	return -EINVAL;
}

/*
 * Every member of the object at obj is one of known (NULL-terminated) and
 * given once: a misspelt field would otherwise load as its default, and
 * a repeated one silently lose all but its last value.
 */
static int _members(const struct _line *l, size_t obj, const char *const *known)
{
	char key[48];
	for (size_t i = obj + 1; i < l->t[obj].end; i = l->t[i + 1].end) {
		const struct json_tok *k = &l->t[i];
		snprintf(key, sizeof(key), "%.*s",
		    (int)(k->len < 40 ? k->len : 40), k->str);
		bool ok = false;
		for (unsigned n = 0; known[n] && !ok; n++)
			ok = strlen(known[n]) == k->len &&
			    !memcmp(known[n], k->str, k->len);
		if (!ok)
			return _fail(l, key, "unknown field (misspelt?)");
		for (size_t j = obj + 1; j < i; j = l->t[j + 1].end)
			if (l->t[j].len == k->len &&
			    !memcmp(l->t[j].str, k->str, k->len))
				return _fail(l, key, "given twice");
	}
	return 0;
}

/* A string member into buf; absent: "" (ok when !required). */
static int _str(const struct _line *l, size_t obj, const char *key, char *buf,
    size_t cap, bool required)
{
	long k = json_object_get(l->t, obj, key);
	buf[0] = 0;
	if (k < 0)
		return required ? _fail(l, key, "missing") : 0;
	if (l->t[k].kind != JSON_STRING)
		return _fail(l, key, "must be a string");
	if (l->t[k].len >= cap)
		return _fail(l, key, "too long");
	if (memchr(l->t[k].str, 0, l->t[k].len))
		return _fail(l, key, "holds a NUL byte");
	memcpy(buf, l->t[k].str, l->t[k].len);
	buf[l->t[k].len] = 0;
	return 0;
}

/* A number member; absent: dflt. */
static int _num(const struct _line *l, size_t obj, const char *key, double dflt,
    double *out)
{
	long k = json_object_get(l->t, obj, key);
	*out = dflt;
	if (k < 0 || l->t[k].kind == JSON_NULL)
		return 0;
	if (l->t[k].kind != JSON_NUMBER || !isfinite(l->t[k].num))
		return _fail(l, key, "must be a number");
	*out = l->t[k].num;
	return 0;
}

/* An override member: absent or null -1 (the setting), else 0..hi (a
 * negative is a mistake, not "unset"). */
static int _override(const struct _line *l, size_t obj, const char *key,
    double hi, double *out)
{
	int rc = _num(l, obj, key, -1.0, out);
	if (rc || json_object_get(l->t, obj, key) < 0 ||
	    l->t[json_object_get(l->t, obj, key)].kind == JSON_NULL)
		return rc;
	if (!(*out >= 0.0 && *out <= hi))
		return _fail(l, key,
		    hi == 1.0 ? "must be 0..1" : "must be 0..5");
	return 0;
}

/* An RFC 3339 time member into ms; absent: 0. */
static int _time(const struct _line *l, size_t obj, const char *key,
    int64_t *ms)
{
	char buf[64];
	int rc = _str(l, obj, key, buf, sizeof(buf), false);
	*ms = 0;
	if (rc || !buf[0])
		return rc;
	if (clk_parse_rfc3339(buf, strlen(buf), ms, NULL, NULL) < 0)
		return _fail(l, key, "not an RFC 3339 time");
	return 0;
}

static const char *const _variant_fields[] = { "name", "strategy", "weight",
	"epsilon", "explore_weight", "mmr_lambda", "diversifier", "dpp_theta",
	NULL };
static const char *const _def_fields[] = { "name", "salt", "start", "stop",
	"segment", "allocation", "variants", NULL };

static int _variant(const struct _line *l, size_t obj, struct exp_variant *v)
{
	char strat[32], div[16];
	double w, e, x, m, th;
	int rc = _members(l, obj, _variant_fields);
	if (!rc)
		rc = _str(l, obj, "name", v->name, sizeof(v->name), true);
	if (!rc)
		rc = _str(l, obj, "strategy", strat, sizeof(strat), true);
	int s = rc ? -1 : rank_strategy_parse(strat, strlen(strat));
	if (!rc && s < 0)
		rc = _fail(l, "strategy",
		    "not one of base, profile, context, explore, diverse, full");
	if (!rc)
		rc = _str(l, obj, "diversifier", div, sizeof(div), false);
	int dv = rc || !div[0] ? -1 : rank_diversifier_parse(div, strlen(div));
	bool given = json_object_get(l->t, obj, "diversifier") >= 0;
	if (!rc && given && dv < 0) /* "" too: absent is the setting */
		rc = _fail(l, "diversifier", "not one of mmr, dpp");
	if (!rc && !(rc = _num(l, obj, "weight", 1.0, &w)) &&
	    !(rc = _override(l, obj, "epsilon", 1.0, &e)) &&
	    !(rc = _override(l, obj, "explore_weight", 5.0, &x)) &&
	    !(rc = _override(l, obj, "mmr_lambda", 1.0, &m)))
		rc = _override(l, obj, "dpp_theta", 1.0, &th);
	if (rc)
		return rc;
	if (w > FLT_MAX) /* it would be stored as infinity */
		return _fail(l, "weight", "too large (weights are relative)");
	/* Stored as 0 it would be refused as "needs a weight > 0", which
	 * the number written is. */
	if (w > 0 && (float)w == 0.0f)
		return _fail(l, "weight", "too small (weights are relative)");
	v->strategy = (uint8_t)s;
	v->diversifier = (uint8_t)(dv + 1);
	v->dpp_theta = (float)th;
	v->weight = (float)w;
	v->epsilon = (float)e;
	v->explore_weight = (float)x;
	v->mmr_lambda = (float)m;
	return 0;
}

static int _def(const struct _line *l, struct exp_def *d)
{
	char alloc[16];
	double seg;
	memset(d, 0, sizeof(*d));
	int rc = _members(l, 0, _def_fields);
	if (!rc)
		rc = _str(l, 0, "name", d->name, sizeof(d->name), true);
	if (!rc)
		rc = _str(l, 0, "salt", d->salt, sizeof(d->salt), false);
	if (!rc && !d->salt[0]) /* the name: reruns need a new salt */
		snprintf(d->salt, sizeof(d->salt), "%s", d->name);
	if (!rc && !(rc = _time(l, 0, "start", &d->start_ms)) &&
	    !(rc = _time(l, 0, "stop", &d->stop_ms)) &&
	    !(rc = _num(l, 0, "segment", -1.0, &seg)))
		rc = _str(l, 0, "allocation", alloc, sizeof(alloc), false);
	if (rc)
		return rc;
	if (seg != floor(seg) || seg < -1 || seg > 1e6)
		return _fail(l, "segment", "a segment id, or -1 for everyone");
	d->segment = (int32_t)seg;
	if (!alloc[0] || !strcmp(alloc, "fixed"))
		d->alloc = EXP_ALLOC_FIXED;
	else if (!strcmp(alloc, "thompson"))
		d->alloc = EXP_ALLOC_THOMPSON;
	else
		return _fail(l, "allocation", "fixed or thompson");
	long va = json_object_get(l->t, 0, "variants");
	if (va < 0 || l->t[va].kind != JSON_ARRAY)
		return _fail(l, "variants", "an array of 2 to 4 variants");
	if (l->t[va].count < 2 || l->t[va].count > EXP_VARIANTS)
		return _fail(l, "variants", "2 to 4 variants");
	size_t k = (size_t)va + 1;
	for (unsigned i = 0; i < l->t[va].count; i++, k = l->t[k].end) {
		if (l->t[k].kind != JSON_OBJECT)
			return _fail(l, "variants", "each one an object");
		if ((rc = _variant(l, k, &d->v[i])))
			return rc;
		d->n_variants++;
	}
	/* exp_check's message names the experiment and the field. */
	char why[200];
	if (exp_check(d, why, sizeof(why))) {
		snprintf(l->err, l->errlen, "line %u: %s", l->no, why);
		return -EINVAL;
	}
	return 0;
}

int client_experiments_parse(const char *text, size_t len, struct exp_def *defs,
    char *err, size_t errlen)
{
	struct json_tok toks[_TOKS];
	char scratch[4096];
	struct json_work w;
	json_work_init(&w, toks, _TOKS, scratch, sizeof(scratch));
	unsigned n = 0, no = 0, lines[EXP_MAX];
	/* Lines as the CLI's other readers split them (cli_lines: catalog
	 * load, send, replay): a UTF-8 byte order mark first is skipped,
	 * and a line ends at LF, CRLF or a lone CR. A file saved by an
	 * editor that writes either would otherwise be "not JSON". */
	size_t at = len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;
	while (at < len) {
		const char *line = text + at;
		size_t ll = 0;
		while (at + ll < len && line[ll] != '\n' && line[ll] != '\r')
			ll++;
		at += ll + 1;
		if (at < len && line[ll] == '\r' && line[ll + 1] == '\n')
			at++;
		no++;
		/* blank: JSON's white space only (a tab too, as send has
		 * it); one such line refused the whole file */
		while (ll && (line[ll - 1] == ' ' || line[ll - 1] == '\t'))
			ll--;
		if (!ll)
			continue;
		if (n == EXP_MAX) {
			snprintf(err, errlen,
			    "line %u: at most %d experiments run at once", no,
			    EXP_MAX);
			return -ENOSPC;
		}
		char why[160];
		struct _line l = { toks, no, err, errlen };
		if (json_parse(line, ll, &w, NULL, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "line %u: not JSON: %s", no, why);
			return -EINVAL;
		}
		if (toks[0].kind != JSON_OBJECT)
			return _fail(&l, "line", "must be an object");
		int rc = _def(&l, &defs[n]);
		if (rc)
			return rc;
		for (unsigned j = 0; j < n; j++)
			if (!strcmp(defs[j].name, defs[n].name)) {
				snprintf(err, errlen,
				    "line %u: name: '%s' is the name of line %u too",
				    no, defs[n].name, lines[j]);
				return -EINVAL;
			}
		lines[n++] = no;
	}
	return (int)n;
}

/* Whether experiment b, after a, gets none of its users while both run:
 * a takes every user it is open to (its weights cover every bucket),
 * and it is open to all of b's. */
static bool _shadows(const struct exp_def *a, const struct exp_def *b)
{
	bool users = a->segment < 0 || a->segment == b->segment;
	bool overlap =
	    (!a->start_ms || !b->stop_ms || a->start_ms < b->stop_ms) &&
	    (!b->start_ms || !a->stop_ms || b->start_ms < a->stop_ms);
	return users && overlap;
}

/* A note on the first experiment another one before it starves. */
static void _shadow_note(const struct exp_def *d, int n, char *note, size_t len)
{
	for (int j = 1; j < n; j++)
		for (int i = 0; i < j; i++)
			if (_shadows(&d[i], &d[j])) {
				snprintf(note, len,
				    "note: '%s' gets none of its users while '%s' runs: a user open to several experiments is taken by the first in the file",
				    d[j].name, d[i].name);
				return;
			}
}

void client_experiments_note(const struct exp_def *d, int n, int64_t now_ms,
    char *note, size_t len)
{
	if (!len)
		return;
	note[0] = 0;
	/* Loaded, it counts as running, yet it takes no user: a stop
	 * already past is a typo as often as a finished test kept for
	 * its numbers, and the load's "running" said nothing of it. */
	for (int i = 0; i < n; i++)
		if (d[i].stop_ms && d[i].stop_ms <= now_ms) {
			char at[32];
			client_iso_time(d[i].stop_ms, at, sizeof(at));
			snprintf(note, len,
			    "note: '%s' stopped at %s, before now: it takes no users (its stop is a typo? or leave it out to stop it)",
			    d[i].name, at);
			return;
		}
	_shadow_note(d, n, note, len);
}

void client_experiments_segment_note(const struct exp_def *d, int n,
    const uint32_t *ids, unsigned k, bool have_table, char *note, size_t len)
{
	char names[160] = "", there[120] = "";
	unsigned missing = 0;
	int32_t first = -1;
	if (!len)
		return;
	note[0] = 0;
	for (int i = 0; i < n; i++) {
		bool found = false;
		for (unsigned j = 0; j < k && !found; j++)
			found = d[i].segment == (int32_t)ids[j];
		if (d[i].segment < 0 || found)
			continue;
		if (!missing++)
			first = d[i].segment;
		size_t at = strlen(names);
		snprintf(names + at, sizeof(names) - at, "%s'%s' (segment %d)",
		    at ? ", " : "", d[i].name, (int)d[i].segment);
	}
	if (!missing)
		return;
	for (unsigned j = 0; j < k; j++) {
		size_t at = strlen(there);
		snprintf(there + at, sizeof(there) - at, "%s%u", j ? ", " : "",
		    ids[j]);
	}
	if (!have_table)
		snprintf(note, len,
		    "warning: %s %s a segment while there are no segments yet (the segmenter has made no table): %s no users until a refresh makes %s (penchant segments --refresh)",
		    names, missing > 1 ? "target" : "targets",
		    missing > 1 ? "they take" : "it takes",
		    missing > 1 ? "them" : "it");
	else
		snprintf(note, len,
		    "warning: %s: no such segment in the table now (segments %s): %s no users until a refresh makes %s (penchant segments; was segment %d meant?)",
		    names, there, missing > 1 ? "they take" : "it takes",
		    missing > 1 ? "them" : "it", (int)first);
}

/* The segment warning of a load (client_experiments_segment_note) from
 * the instance's table now. */
static void _segment_note(const struct reg *r, const struct exp_def *d, int n,
    char *note, size_t len)
{
	uint32_t ids[SEG_MAX];
	unsigned k = 0;
	struct seg_table *t = malloc(sizeof(*t));
	bool have = t && seg_read(r, t) == 0;
	for (unsigned j = 0; have && j < t->k && j < SEG_MAX; j++)
		ids[k++] = t->seg[j].id;
	free(t);
	client_experiments_segment_note(d, n, ids, k, have, note, len);
}

int pen_experiments_load(pen_t *p, const char *json, size_t len, char *err,
    size_t errlen)
{
	char dummy[8];
	if (!err) { /* nowhere to say why: still no write through NULL */
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (errlen)
		err[0] = 0;
	/* NULL is no set: stopping every experiment takes "" (len 0). */
	if (!p || !json)
		return -EINVAL;
	struct exp_def defs[EXP_MAX];
	const struct reg *r = client_region(p);
	int n = client_experiments_parse(json, len, defs, err, errlen);
	if (n < 0) {
		/* counted where status and metrics show it */
		reg_load_rejected(r,
		    n == -ENOSPC ? REG_L_EXP_TOO_MANY : REG_L_EXP_INVALID);
		return n;
	}
	int rc = client_alive(p);
	if (rc) {
		if (errlen)
			snprintf(err, errlen,
			    "the instance is not running (stopped, or gone without a stop): reopen the handle");
		return rc;
	}
	if ((rc = expb_lock(r, err, errlen)))
		return rc;
	rc = expb_load(r, defs, (unsigned)n, reg_now_wall_ms(), err, errlen);
	expb_unlock(r, rc == 0);
	if (rc == -EINVAL || rc == -ENOSPC)
		reg_load_rejected(r,
		    rc == -ENOSPC ? REG_L_EXP_TOO_MANY : REG_L_EXP_INVALID);
	if (rc)
		return rc;
	const struct reg_header *h = r->hdr;
	char detail[AUD_DETAIL_MAX], aerr[256];
	int at = snprintf(detail, sizeof(detail), "experiments=%d", n);
	for (int i = 0; i < n && at > 0 && (size_t)at < sizeof(detail); i++)
		at += snprintf(detail + at, sizeof(detail) - (size_t)at, "%s%s",
		    i ? "," : " ", defs[i].name);
	if (h->state_dir[0] &&
	    aud_append(h->state_dir, h->instance, AUD_CONFIG, AUD_NO_SUBJECT,
		detail, aerr, sizeof(aerr))) {
		/* Loaded all the same: the caller hears it is not on record. */
		if (errlen)
			snprintf(err, errlen,
			    "loaded, but not in the audit trail: %s", aerr);
		return -EIO;
	}
	/* Notes, one a line: the segments missing, then the rest. */
	char seg[400];
	_segment_note(r, defs, n, seg, sizeof(seg));
	client_experiments_note(defs, n, reg_now_wall_ms(), err, errlen);
	if (seg[0] && errlen) {
		char rest[512];
		snprintf(rest, sizeof(rest), "%s", err);
		snprintf(err, errlen, "%s%s%s", seg, rest[0] ? "\n" : "", rest);
	}
	return 0;
}

static void _pvariant(const struct exp_variant *d, const struct exp_counts *c,
    const struct exp_variant_report *v, struct pen_variant *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", d->name);
	snprintf(o->strategy, sizeof(o->strategy), "%s",
	    rank_strategy_name(d->strategy));
	o->weight = d->weight;
	o->epsilon = d->epsilon;
	o->explore_weight = d->explore_weight;
	o->mmr_lambda = d->mmr_lambda;
	if (d->diversifier)
		snprintf(o->diversifier, sizeof(o->diversifier), "%s",
		    rank_diversifier_names[d->diversifier - 1]);
	o->dpp_theta = d->dpp_theta;
	o->users = c->users;
	o->exposures = c->exposures;
	o->impressions = c->impressions;
	o->clicks = c->clicks;
	o->conversions = c->conversions;
	o->clicked = c->clicked;
	o->converted = c->converted;
	o->ctr = v->ctr;
	o->conversion = v->conversion;
	o->reward_mean = v->reward_mean;
	o->reward_var = v->reward_var;
	o->mrr = v->mrr;
	o->prob_best = v->prob_best;
	o->always_valid_p = v->msprt_p;
	o->always_valid_lo = v->msprt_lo;
	o->always_valid_hi = v->msprt_hi;
	double nan = NAN;
	o->ctr_diff = v->have_z ? v->z_ctr.diff : nan;
	o->ctr_lo = v->have_z ? v->z_ctr.lo : nan;
	o->ctr_hi = v->have_z ? v->z_ctr.hi : nan;
	o->ctr_z = v->have_z ? v->z_ctr.z : nan;
	o->ctr_p = v->have_z ? v->z_ctr.p : nan;
	o->conv_diff = v->have_z_conv ? v->z_conv.diff : nan;
	o->conv_lo = v->have_z_conv ? v->z_conv.lo : nan;
	o->conv_hi = v->have_z_conv ? v->z_conv.hi : nan;
	o->conv_p = v->have_z_conv ? v->z_conv.p : nan;
	o->reward_diff = v->have_welch ? v->welch_reward.diff : nan;
	o->reward_lo = v->have_welch ? v->welch_reward.lo : nan;
	o->reward_hi = v->have_welch ? v->welch_reward.hi : nan;
	o->reward_t = v->have_welch ? v->welch_reward.t : nan;
	o->reward_df = v->have_welch ? v->welch_reward.df : nan;
	o->reward_p = v->have_welch ? v->welch_reward.p : nan;
	o->prob_beats_control = v->have_bayes ? v->bayes_ctr.prob : nan;
	o->expected_loss = v->have_bayes ? v->bayes_ctr.loss_t : nan;
}

static void _pexperiment(const struct exp_view *v, const struct exp_report *rp,
    struct pen_experiment *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", v->def.name);
	snprintf(o->salt, sizeof(o->salt), "%s", v->def.salt);
	o->start_ms = v->def.start_ms;
	o->stop_ms = v->def.stop_ms;
	o->segment = v->def.segment;
	o->active = v->active;
	o->bandit = v->def.alloc == EXP_ALLOC_THOMPSON;
	o->loaded_ms = v->loaded_ms;
	o->srm_chi2 = rp->have_srm ? rp->srm.chi2 : NAN;
	o->srm_p = rp->have_srm ? rp->srm.p : NAN;
	o->srm_broken = rp->srm_broken;
	o->evicted = v->evicted;
	o->stale = v->stale;
	o->n_variants = v->def.n_variants;
	for (unsigned k = 0; k < v->def.n_variants; k++)
		_pvariant(&v->def.v[k], &v->counts[k], &rp->v[k], &o->v[k]);
}

int pen_experiments_read(pen_t *p, struct pen_experiments *out)
{
	if (!p || !out)
		return -EINVAL;
	const struct reg *r = client_region(p);
	memset(out, 0, sizeof(*out));
	out->version = ck_pr_load_64(&reg_experiments(r)->version);
	for (unsigned i = 0, n = expb_slots(r); i < n; i++) {
		struct exp_view v;
		struct exp_report rp;
		if (expb_read(r, i, &v) || v.def.n_variants < 2 ||
		    exp_report(&v.def, v.counts, &v.look, 0.05, &rp))
			continue;
		_pexperiment(&v, &rp, &out->e[out->n++]);
	}
	return 0;
}
