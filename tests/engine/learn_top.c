/*
 * learn top: lrn_top lists the non-empty entries by descending weight, ties
 * by ascending id.
 */
#include "check.h"
#include "engine/learn.h"

int main(void)
{
	const struct lrn_weight ws[] = {
		{ .id = 5, .w = 0.3 },	 /* 0 */
		{ .id = 0, .w = 9.0 },	 /* 1: free, skipped whatever its w */
		{ .id = 3, .w = 0.5 },	 /* 2 */
		{ .id = 9, .w = 0.3 },	 /* 3 */
		{ .id = 2, .w = -0.1 },	 /* 4 */
		{ .id = 7, .w = 0.3 },	 /* 5 */
		{ .id = 1, .w = 0.0 },	 /* 6 */
		{ .id = 8, .w = -0.05 }, /* 7 */
	};
	unsigned order[8];
	/* 0.5(3), 0.3(5), 0.3(7), 0.3(9), 0(1), -0.05(8), -0.1(2) */
	const unsigned want[] = { 2, 0, 5, 3, 6, 7, 4 };

	unsigned n = lrn_top(ws, 8, order);
	CHECK_EQ_INT(n, 7);
	for (unsigned i = 0; i < 7 && i < n; i++)
		CHECK_EQ_INT(order[i], want[i]);

	/* the same entries in another order give the same ranking of ids */
	const struct lrn_weight rev[] = {
		ws[7],
		ws[6],
		ws[5],
		ws[4],
		ws[3],
		ws[2],
		ws[1],
		ws[0],
	};
	const uint32_t want_ids[] = { 3, 5, 7, 9, 1, 8, 2 };
	n = lrn_top(rev, 8, order);
	CHECK_EQ_INT(n, 7);
	for (unsigned i = 0; i < 7 && i < n; i++)
		CHECK_EQ_INT(rev[order[i]].id, want_ids[i]);

	/* empty and all-free tables */
	CHECK_EQ_INT(lrn_top(ws, 0, order), 0);
	const struct lrn_weight none[3] = { { 0 } };
	CHECK_EQ_INT(lrn_top(none, 3, order), 0);

	/* a full 16-entry table, all tied: ids ascending */
	struct lrn_weight full[16];
	for (unsigned i = 0; i < 16; i++) {
		full[i].id = 100 - i;
		full[i].n = 1;
		full[i].w = 0.25;
	}
	unsigned o16[16];
	CHECK_EQ_INT(lrn_top(full, 16, o16), 16);
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ_INT(o16[i], 15 - i);

	/* on a real profile table */
	struct lrn_profile p;
	lrn_profile_init(&p, 1);
	p.tags[4] = (struct lrn_weight){ .id = 44, .n = 2, .w = 0.02 };
	p.tags[9] = (struct lrn_weight){ .id = 99, .n = 1, .w = 0.07 };
	unsigned ot[LRN_TAGS];
	CHECK_EQ_INT(lrn_top(p.tags, LRN_TAGS, ot), 2);
	CHECK_EQ_INT(ot[0], 9);
	CHECK_EQ_INT(ot[1], 4);

	return check_done("learn top ordering and ties");
}
