/* consent_errors: pen_consent_set says why it refused or is not done in err, as pen_erase does: bad purposes, a bad user id, a stopping instance, a decision published but not applied, an audit trail that cannot be appended to; err may be NULL or short. */
#include <string.h>

#include "ipc/client.h"
#include "shm/ring.h"
#include "shmtest.h"

#define PERS PEN_PURPOSE_PERSONALIZATION

int main(void)
{
	st_init(20);
	const char *inst = st_instance("consent");
	struct reg_geometry g = st_geo(1, 2, 8, 16, 8, 8);
	struct reg r;
	st_create(&r, inst, &g, REG_RUNNING);
	pen_t *p = NULL;
	char err[256] = "";
	REQUIRE(pen_open(inst, &p, err, sizeof(err)) == 0);

	/* Refusals: nothing done, err names what to fix. */
	strcpy(err, "stale");
	CHECK_EQ_INT(pen_consent_set(p, "u1", 2, 0, 0, 0, err, sizeof(err)),
	    -EINVAL);
	CHECK(strstr(err, "purposes") != NULL);
	CHECK_EQ_INT(pen_consent_set(p, "u1", 2, 0x4, 0, 0, err, sizeof(err)),
	    -EINVAL);
	CHECK(strstr(err, "purposes 0x4") != NULL);
	CHECK_EQ_INT(pen_consent_set(p, "u1", 2, PERS, PEN_PURPOSE_ANALYTICS, 0,
			 err, sizeof(err)),
	    -EINVAL);
	CHECK(strstr(err, "granted") != NULL);
	CHECK_EQ_INT(pen_consent_set(p, "", 0, PERS, 0, 0, err, sizeof(err)),
	    -EINVAL);
	CHECK(strncmp(err, "bad user id: ", 13) == 0 && strlen(err) > 13);
	CHECK_EQ_INT(pen_consent_set(p, "a\nb", 3, PERS, 0, 0, err,
			 sizeof(err)),
	    -EINVAL);
	CHECK(strncmp(err, "bad user id: ", 13) == 0);
	CHECK_EQ_INT(pen_consent_set(p, NULL, 0, PERS, 0, 0, err, sizeof(err)),
	    -EINVAL);
	CHECK(strstr(err, "user_id") != NULL);
	/* Nothing was published by a refusal. */
	CHECK_EQ_INT(ring_backlog(reg_ring(&r, 0, 0)), 0);
	/* No buffer, or a short one: no message, no overrun. */
	CHECK_EQ_INT(pen_consent_set(p, "", 0, PERS, 0, 0, NULL, 0), -EINVAL);
	char small[6];
	memset(small, 'x', sizeof(small));
	CHECK_EQ_INT(pen_consent_set(p, "", 0, PERS, 0, 0, small, 4), -EINVAL);
	CHECK(small[3] == 0 && small[4] == 'x');

	/* No worker drains the ring: published, not applied within 0 ms;
	 * err says it is pending. */
	err[0] = 0;
	CHECK_EQ_INT(pen_consent_set(p, "u1", 2, PERS, 0, 0, err, sizeof(err)),
	    -ETIMEDOUT);
	CHECK(strstr(err, "not applied yet") != NULL);
	CHECK_EQ_INT(ring_backlog(reg_ring(&r, 0, 0)), 1);

	/* Published, and the audit trail cannot be appended to (a junk
	 * last line): both are said, what is pending first. */
	char dir[] = "/tmp/penchant-consent-XXXXXX", path[256];
	REQUIRE(mkdtemp(dir) != NULL);
	snprintf(r.hdr->state_dir, sizeof(r.hdr->state_dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/%s.audit", dir, inst);
	FILE *f = fopen(path, "w");
	REQUIRE(f && fputs("junk\n", f) >= 0 && fclose(f) == 0);
	err[0] = 0;
	CHECK_EQ_INT(pen_consent_set(p, "u2", 2, PERS, 0, 0, err, sizeof(err)),
	    -ETIMEDOUT);
	CHECK(strstr(err, "not applied yet") != NULL &&
	    strstr(err,
		"; also: the decision is published but not in the "
		"audit trail: ") != NULL);
	unlink(path);
	rmdir(dir);
	r.hdr->state_dir[0] = 0;

	/* A stopping instance: refused, and said so. */
	ck_pr_store_uint(&r.hdr->state, REG_DRAINING);
	err[0] = 0;
	CHECK_EQ_INT(pen_consent_set(p, "u1", 2, PERS, 0, 0, err, sizeof(err)),
	    -ESHUTDOWN);
	CHECK(strcmp(err, pen_strerror(-ESHUTDOWN)) == 0);

	pen_close(&p);
	reg_detach(&r);
	reg_unlink(inst);
	return check_done("consent_errors");
}
