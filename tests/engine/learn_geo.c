/*
 * learn geo: location cells are counted with space-saving: a full table
 * replaces its least-counted cell and the newcomer inherits that count + 1.
 */
#include <string.h>

#include "check.h"
#include "engine/learn.h"

#define USER 5u
#define T0 1700000000000LL

#define A 0xa1u
#define B 0xb2u
#define C 0xc3u
#define D 0xd4u
#define E 0xe5u

static struct lrn_params prm;

static void at(struct lrn_profile *p, uint64_t cell, unsigned times)
{
	struct evt_record e;

	memset(&e, 0, sizeof e);
	e.user_key = USER;
	e.entity_key = 6;
	e.type = EVT_CLICK;
	e.time_ms = T0;
	e.geo_cell = cell;
	for (unsigned i = 0; i < times; i++)
		lrn_apply(p, &prm, &e, NULL);
}

/* The count of `cell`, 0 when not in the table. */
static uint32_t count(const struct lrn_profile *p, uint64_t cell)
{
	for (unsigned i = 0; i < LRN_GEO; i++)
		if (p->geo[i].cell == cell)
			return p->geo[i].n;
	return 0;
}

int main(void)
{
	struct lrn_profile p;

	lrn_params_default(&prm);
	lrn_profile_init(&p, USER);

	/* no location: nothing */
	at(&p, 0, 4);
	for (unsigned i = 0; i < LRN_GEO; i++) {
		CHECK_EQ_INT(p.geo[i].cell, 0);
		CHECK_EQ_INT(p.geo[i].n, 0);
	}

	/* fill: A x3, B x1, C x2 (slots 0, 1, 2) */
	at(&p, A, 3);
	at(&p, B, 1);
	at(&p, C, 2);
	CHECK_EQ_INT(count(&p, A), 3);
	CHECK_EQ_INT(count(&p, B), 1);
	CHECK_EQ_INT(count(&p, C), 2);

	/* D replaces B, the least counted (1), with 1 + 1 */
	at(&p, D, 1);
	CHECK_EQ_INT(count(&p, B), 0);
	CHECK_EQ_INT(count(&p, D), 2);
	CHECK_EQ_INT(p.geo[1].cell, D); /* B's slot */
	CHECK_EQ_INT(count(&p, A), 3);
	CHECK_EQ_INT(count(&p, C), 2);

	/* E: D (slot 1) and C (slot 2) tie at 2; the lower slot goes: 2 + 1 */
	at(&p, E, 1);
	CHECK_EQ_INT(count(&p, D), 0);
	CHECK_EQ_INT(p.geo[1].cell, E);
	CHECK_EQ_INT(count(&p, E), 3);
	CHECK_EQ_INT(count(&p, C), 2);

	/* a known cell just counts */
	at(&p, A, 2);
	CHECK_EQ_INT(count(&p, A), 5);

	/* B comes back: replaces C (2), the least now, with 3 */
	at(&p, B, 1);
	CHECK_EQ_INT(count(&p, C), 0);
	CHECK_EQ_INT(count(&p, B), 3);
	CHECK_EQ_INT(p.geo[2].cell, B);

	/* space-saving invariant: counts sum to the events with a cell */
	CHECK_EQ_INT(p.geo[0].n + p.geo[1].n + p.geo[2].n,
	    3 + 1 + 2 + 1 + 1 + 2 + 1);
	CHECK_EQ_INT(p.events, 4 + 11);

	return check_done("learn geo space-saving");
}
