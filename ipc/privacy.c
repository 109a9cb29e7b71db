/*
 * privacy: libpenchant's consent and erasure calls (penchant.h). Both are
 * control records published into the handle's own rings, so they reach
 * the user's worker after everything the handle published before, and the
 * single-writer rule of the profile tables holds; the caller waits until
 * the worker has applied them.
 */
#include "penchant.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ipc/audit.h"
#include "ipc/client.h"
#include "shm/privacy.h"
#include "shm/profiles.h"
#include "shm/snapshot.h"

_Static_assert(PEN_PURPOSE_PERSONALIZATION == EVT_PURPOSE_PERSONALIZATION &&
	PEN_PURPOSE_ANALYTICS == EVT_PURPOSE_ANALYTICS,
    "public purposes are the engine's");

/* Publishes one control record for key and waits until it is applied:
 * 0, the publish's error (nothing done), or -ETIMEDOUT when it is
 * published but not applied yet (late, or the instance stopped or died:
 * its rings are drained when it runs again). */
static int _control(pen_t *p, uint64_t key, uint8_t control, uint8_t consent,
    unsigned timeout_ms)
{
	struct evt_record e;
	memset(&e, 0, sizeof(e));
	e.user_key = key;
	e.time_ms = reg_now_wall_ms();
	e.control = control;
	e.consent = consent;
	e.scroll_depth = -1.0f;
	int rc = client_publish_records(p, &e, 1, 0, NULL);
	if (rc)
		return rc;
	return pen_flush(p, timeout_ms) ? -ETIMEDOUT : 0;
}

/*
 * Appends to the audit trail: 0, or -EIO with "DONE but not in the audit
 * trail: why" in err (may be NULL). The library never prints: the act is
 * done either way, and the caller hears that it is not on record.
 */
static int _audit(pen_t *p, enum aud_action a, uint64_t key, const char *detail,
    const char *done, char *err, size_t errlen)
{
	const struct reg_header *h = client_region(p)->hdr;
	char why[256];
	if (!h->state_dir[0] ||
	    !aud_append(h->state_dir, h->instance, a, aud_subject_of(key),
		detail, why, sizeof(why)))
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "%s but not in the audit trail: %s", done,
		    why);
	return -EIO;
}

int pen_consent_set(pen_t *p, const char *user_id, size_t len,
    unsigned purposes, unsigned granted, unsigned timeout_ms, char *err,
    size_t errlen)
{
	char dummy[8];
	if (!err) { /* nowhere to say why: still no write through NULL */
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (errlen)
		err[0] = 0;
	if (!p || !user_id) {
		snprintf(err, errlen, "%s is NULL",
		    p ? "user_id" : "the handle");
		return -EINVAL;
	}
	if (!purposes || (purposes & ~EVT_PURPOSES)) {
		snprintf(err, errlen,
		    "purposes 0x%x: give PEN_PURPOSE_PERSONALIZATION, PEN_PURPOSE_ANALYTICS or both",
		    purposes);
		return -EINVAL;
	}
	if (granted & ~purposes) {
		snprintf(err, errlen,
		    "granted 0x%x is not a subset of purposes 0x%x: a purpose granted must be one decided on",
		    granted, purposes);
		return -EINVAL;
	}
	int rc = client_alive(p);
	if (rc) {
		snprintf(err, errlen, "%s", pen_strerror(rc));
		return rc;
	}
	const struct reg *r = client_region(p);
	const char *bad = evt_user_id_problem(&r->hdr->limits, user_id, len);
	if (bad) {
		snprintf(err, errlen, "bad user id: %s", bad);
		return -EINVAL;
	}
	uint64_t key = evt_user_key(&r->hdr->limits, user_id, len);
	rc = _control(p, key, EVT_CTL_CONSENT,
	    (uint8_t)(EVT_CONSENT_SET(purposes) | granted), timeout_ms);
	if (rc && rc != -ETIMEDOUT) {
		snprintf(err, errlen, "the decision could not be published: %s",
		    pen_strerror(rc));
		return rc; /* nothing done */
	}
	char detail[96];
	snprintf(detail, sizeof(detail), "personalization=%s analytics=%s",
	    !(purposes & EVT_PURPOSE_PERSONALIZATION)	? "unchanged"
		: granted & EVT_PURPOSE_PERSONALIZATION ? "granted"
							: "withdrawn",
	    !(purposes & EVT_PURPOSE_ANALYTICS)	  ? "unchanged"
		: granted & EVT_PURPOSE_ANALYTICS ? "granted"
						  : "withdrawn");
	int au = _audit(p, AUD_CONSENT, key, detail,
	    rc ? "the decision is published" : "the decision is applied", err,
	    errlen);
	if (rc) {
		/* What is left, before the audit's own complaint. */
		char audit_err[256];
		snprintf(audit_err, sizeof(audit_err), "%s", au ? err : "");
		snprintf(err, errlen,
		    "the decision is published but not applied yet: its worker applies it late, or when the instance runs again (pen_consent_get shows when)%s%s",
		    audit_err[0] ? "; also: " : "", audit_err);
		return rc;
	}
	return au;
}

int pen_consent_get(pen_t *p, const char *user_id, size_t len,
    struct pen_consent *out)
{
	if (!out)
		return -EINVAL;
	struct lrn_profile lp;
	int rc = client_profile_of(p, user_id, len, &lp);
	if (rc && rc != -ENOENT)
		return rc;
	const struct reg *r = client_region(p);
	memset(out, 0, sizeof(*out));
	const struct lrn_profile *have = rc ? NULL : &lp;
	if (have) {
		out->decided = (lp.consent >> 4) & EVT_PURPOSES;
		out->granted = lp.consent & out->decided;
	}
	for (unsigned u = 1; u <= EVT_PURPOSES; u <<= 1)
		if (priv_consents(r, have, u))
			out->effective |= u;
	out->opt_in = r->hdr->consent_opt_in != 0;
	return 0;
}

static double _now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pen_erase(pen_t *p, const char *user_id, size_t len, unsigned timeout_ms,
    struct pen_erase_report *out, char *err, size_t errlen)
{
	struct pen_erase_report rep = { 0 };
	double t0 = _now_s();
	char dummy[8];
	if (!err) { /* nowhere to say why: still no write through NULL */
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (errlen)
		err[0] = 0;
	if (!p || !user_id)
		return -EINVAL;
	int rc = client_alive(p);
	if (rc)
		return rc;
	const struct reg *r = client_region(p);
	const struct reg_header *h = r->hdr;
	const char *bad = evt_user_id_problem(&h->limits, user_id, len);
	if (bad) {
		snprintf(err, errlen, "bad user id: %s", bad);
		return -EINVAL;
	}
	rep.user_key = evt_user_key(&h->limits, user_id, len);
	struct lrn_profile lp;
	/* A record that keeps only a consent decision holds no profile. */
	rep.had_profile = prof_read(r, rep.user_key, &lp) == 0 && lp.events;
	rc = _control(p, rep.user_key, EVT_CTL_ERASE, 0, timeout_ms);
	if (rc && rc != -ETIMEDOUT) {
		snprintf(err, errlen, "the erasure could not be published: %s",
		    pen_strerror(rc));
		return rc; /* nothing done */
	}
	/* Published: it will be applied, so it is recorded whatever else
	 * fails, and the snapshot is rewritten even if the worker is late. */
	int why = rc;
	if (rc)
		rep.incomplete |= PEN_ERASE_PENDING;
	char snap_err[512] = "";
	if (h->state_dir[0]) {
		char path[512];
		bool found = false;
		snap_path(h->state_dir, h->instance, path, sizeof(path));
		int src = snap_erase(r, path, rep.user_key, &found, snap_err,
		    sizeof(snap_err));
		if (src && src != -ENOENT) {
			rep.incomplete |= PEN_ERASE_SNAPSHOT_LEFT;
			why = why ? why : src;
		}
		rep.snapshot_had = found;
	}
	char detail[96];
	snprintf(detail, sizeof(detail), "profile=%s snapshot=%s",
	    rep.incomplete & PEN_ERASE_PENDING ? "pending"
		: rep.had_profile	       ? "erased"
					       : "none",
	    rep.incomplete & PEN_ERASE_SNAPSHOT_LEFT ? "not-rewritten"
		: rep.snapshot_had		     ? "rewritten"
						     : "none");
	rc = _audit(p, AUD_ERASE, rep.user_key, detail, "done,", err, errlen);
	if (why) {
		/* What is left to do, before the audit's own complaint. */
		char audit_err[256];
		snprintf(audit_err, sizeof(audit_err), "%s", rc ? err : "");
		snprintf(err, errlen,
		    "the erasure is incomplete:%s%s%s%s run it again to complete it%s%s",
		    rep.incomplete & PEN_ERASE_PENDING
			? " it is not applied yet (it will be, by its worker, or when the instance runs again);"
			: "",
		    rep.incomplete & PEN_ERASE_SNAPSHOT_LEFT
			? " the snapshot still holds the user ("
			: "",
		    rep.incomplete & PEN_ERASE_SNAPSHOT_LEFT ? snap_err : "",
		    rep.incomplete & PEN_ERASE_SNAPSHOT_LEFT ? ");" : "",
		    audit_err[0] ? "; also: " : "", audit_err);
		rc = why;
	}
	rep.seconds = _now_s() - t0;
	if (out)
		*out = rep;
	return rc;
}
