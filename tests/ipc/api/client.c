/*
 * client: a program that knows penchant only through the installed header
 * and pkg-config file (tests/ipc/api_install.sh builds it with plain cc).
 * Against the instance named by argv[1]: checks the version, publishes one
 * event, waits until it is applied, reads the profile back and the
 * counters. Exit 0 when all of it holds.
 */
#include <errno.h>
#include <penchant.h>
#include <stdio.h>
#include <string.h>

static int fails;

#define EXPECT(cond)                                                           \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "client.c:%d: %s\n", __LINE__, #cond); \
			fails++;                                               \
		}                                                              \
	} while (0)

int main(int argc, char **argv)
{
	char err[256] = "";
	pen_t *p = NULL;

	EXPECT(strcmp(pen_version(), PEN_VERSION) == 0);
	EXPECT(pen_open("no-such-instance-for-api-test", &p, err,
		   sizeof(err)) == -ENOENT);
	if (argc < 2)
		return fails ? 1 : 0;
	if (pen_open(argv[1], &p, err, sizeof(err))) {
		fprintf(stderr, "pen_open %s: %s\n", argv[1], err);
		return 1;
	}
	struct pen_event ev = { .user_id = "api-user",
		.event_type = "rsvp",
		.entity_id = "jazz-night",
		.time_ms = 1764000000000 };
	EXPECT(pen_publish(p, &ev, 0, err, sizeof(err)) == 0);
	EXPECT(pen_flush(p, 10000) == 0);
	struct pen_profile pp;
	EXPECT(pen_profile_read(p, "api-user", 8, &pp, 0) == 0);
	EXPECT(pp.events == 1 && pp.counts[PEN_N_RSVP] == 1);
	int n = pen_counters_read(p, NULL, 0);
	EXPECT(n > 10);
	struct pen_counter cs[512];
	EXPECT(n <= 512 && pen_counters_read(p, cs, 512) == n);
	int applied = 0;
	for (int i = 0; i < n && i < 512; i++)
		if (!strcmp(cs[i].name, "applied"))
			applied = (int)cs[i].value;
	EXPECT(applied == 1);
	struct pen_stats st;
	EXPECT(pen_stats_read(p, &st) == 0 && st.applied == 1);
	pen_close(&p);
	EXPECT(p == NULL);
	return fails ? 1 : 0;
}
