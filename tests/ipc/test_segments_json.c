/* segments_json: the segments table as JSON stays valid JSON whatever its numbers: a silhouette of fewer than two clusters (NaN), a trait of a feature without spread (inf) and an unknown CTR come out as null. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ipc/json.h"
#include "ipc/profile_json.h"
#include "ipc/segments_json.h"

int main(void)
{
	static struct pen_segments s;
	s.version = 3;
	s.users = 6;
	s.k = 1;
	s.silhouette = NAN;
	s.inertia = INFINITY;
	snprintf(s.seg[0].name, sizeof(s.seg[0].name), "all \"of\" them");
	snprintf(s.seg[0].strategy, sizeof(s.seg[0].strategy), "%s",
	    "interest_focused");
	s.seg[0].id = 1;
	s.seg[0].size = 6;
	s.seg[0].share = 1.0;
	s.seg[0].ctr = -1.0;
	s.seg[0].traits[0] = NAN;
	s.seg[0].traits[1] = -INFINITY;
	s.seg[0].means[2] = NAN;
	s.seg[0].dpp_theta = -1.0f; /* the settings' diversifier */
	s.k = 2;
	s.seg[1] = s.seg[0];
	s.seg[1].id = 2;
	snprintf(s.seg[1].diversifier, sizeof(s.seg[1].diversifier), "dpp");
	s.seg[1].dpp_theta = 0.5f;

	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	REQUIRE(m != NULL);
	client_segments_json(m, &s);
	fclose(m);

	static struct json_tok toks[4096];
	static char scratch[1 << 16];
	struct json_work w;
	json_work_init(&w, toks, 4096, scratch, sizeof(scratch));
	char err[256] = "";
	int rc = json_parse(buf, len, &w, NULL, err, sizeof(err));
	CHECK_EQ_INT(rc, 0);
	if (rc)
		fprintf(stderr, "%s\n%s\n", err, buf);
	long sil = rc ? -1 : json_object_get(toks, 0, "silhouette");
	CHECK(sil >= 0 && toks[sil].kind == JSON_NULL);
	long in = rc ? -1 : json_object_get(toks, 0, "inertia");
	CHECK(in >= 0 && toks[in].kind == JSON_NULL);
	CHECK(strstr(buf, "\"ctr\":null") != NULL);
	CHECK(strstr(buf, "nan") == NULL && strstr(buf, "inf") == NULL);
	/* bytes that are no UTF-8 come out as U+FFFD, valid ones as they
	 * are: the text stays JSON */
	char *u = NULL;
	size_t ulen = 0;
	FILE *um = open_memstream(&u, &ulen);
	REQUIRE(um != NULL);
	client_json_fstr(um, "a\xff\xfe\"caf\xc3\xa9\xed\xa0\x80\xc3");
	fclose(um);
	CHECK(
	    strcmp(u,
		"\"a\\ufffd\\ufffd\\\"caf\xc3\xa9\\ufffd\\ufffd\\ufffd\\ufffd\"") ==
	    0);
	free(u);
	/* an operator's diversifier is shown where it was given, only */
	CHECK(
	    strstr(buf,
		"\"context_weight\":0.0000,\"diversifier\":\"dpp\",\"dpp_theta\":0.5000}") !=
	    NULL);
	const char *first = strstr(buf, "\"diversifier\"");
	CHECK(first && !strstr(first + 1, "\"diversifier\""));
	CHECK(strstr(buf, "\"dpp_theta\":-") == NULL);
	free(buf);
	return check_done("segments_json");
}
