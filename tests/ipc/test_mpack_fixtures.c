/*
 * mpack: events encoded by a third-party encoder (python3-msgpack, run at
 * test time by gen_mpack_fixtures.py) decode to the expected accepted and
 * rejected counts, reasons and times, one-shot and as a byte-at-a-time
 * stream. Usage: test_mpack_fixtures GEN_SCRIPT. Skips (77) without
 * /usr/bin/python3 + msgpack.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ipc/mpack.h"

struct tally {
	size_t ok, rej[EVT_REASON_COUNT];
	int64_t first_time;
	bool have_time;
};

static int on_event(void *ctx, const struct mp_event *ev)
{
	struct tally *t = ctx;

	if (ev->index == MP_NO_INDEX)
		return 0;
	if (ev->reason == EVT_OK) {
		if (!t->have_time) {
			t->first_time = ev->rec->time_ms;
			t->have_time = true;
		}
		t->ok++;
	} else {
		t->rej[ev->reason]++;
	}
	return 0;
}

static int reason_of(const char *name)
{
	for (int r = 0; r < EVT_REASON_COUNT; r++)
		if (strcmp(evt_reason_name((enum evt_reason)r), name) == 0)
			return r;
	return -1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	REQUIRE(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	REQUIRE(b && fread(b, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Checks one manifest line against both decoders. */
static void check_fixture(const char *dir, char *line)
{
	char *file = strtok(line, " \n"), *tok, path[512];
	int ret = -1;
	long ok = -1;
	size_t rej[EVT_REASON_COUNT] = { 0 };
	long long time = -1;
	struct tally one = { 0 }, str = { 0 };
	struct mp_stats st = { 0 };
	struct mp_stream s;
	enum evt_reason r;
	size_t len;
	char *data;
	int frc = 0;

	if (!file)
		return;
	while ((tok = strtok(NULL, " \n"))) {
		if (strncmp(tok, "ret=", 4) == 0) {
			ret = reason_of(tok + 4);
		} else if (strncmp(tok, "ok=", 3) == 0) {
			ok = atol(tok + 3);
		} else if (strncmp(tok, "time=", 5) == 0) {
			time = atoll(tok + 5);
		} else if (strncmp(tok, "rej=", 4) == 0) {
			char *q = tok + 4;

			while (q && *q) {
				char *next = strchr(q, ','), *colon;

				if (next)
					*next++ = '\0';
				colon = strchr(q, ':');
				REQUIRE(colon);
				*colon = '\0';
				REQUIRE(reason_of(q) > 0);
				rej[reason_of(q)] = (size_t)atol(colon + 1);
				q = next;
			}
		}
	}
	REQUIRE(ret >= 0 && ok >= 0);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	data = slurp(path, &len);

	r = mp_decode_buffer(data, len, NULL, on_event, &one, &st);
	if ((int)r != ret || one.ok != (size_t)ok)
		fprintf(stderr, "%s: ret %s ok %zu\n", file, evt_reason_name(r),
		    one.ok);
	CHECK_EQ_INT(r, ret);
	CHECK_EQ_INT(one.ok, ok);
	CHECK_EQ_INT(st.reason[EVT_OK], ok);
	for (int i = 1; i < EVT_REASON_COUNT; i++) {
		if (one.rej[i] != rej[i])
			fprintf(stderr, "%s: %s %zu, expected %zu\n", file,
			    evt_reason_name((enum evt_reason)i), one.rej[i],
			    rej[i]);
		CHECK_EQ_INT(one.rej[i], rej[i]);
	}
	if (ret != EVT_OK)
		CHECK_EQ_INT(st.reason[ret], 1);
	if (time >= 0) {
		CHECK(one.have_time);
		CHECK_EQ_INT(one.first_time, time);
	}

	/* The same bytes as a stream, one byte per read. */
	REQUIRE(mp_stream_init(&s, NULL) == 0);
	for (size_t i = 0; i < len && frc == 0; i++)
		frc = mp_stream_feed(&s, data + i, 1, on_event, &str, NULL);
	if (ret == EVT_OK) {
		CHECK_EQ_INT(frc, 0);
		CHECK_EQ_INT(mp_stream_buffered(&s), 0);
	} else if (ret == EVT_R_MALFORMED && frc == 0) {
		/* truncated: the stream waits for the rest */
		CHECK(mp_stream_buffered(&s) > 0);
	} else {
		enum evt_reason fr;

		CHECK(frc < 0);
		mp_stream_error(&s, &fr);
		CHECK_EQ_INT(fr, ret);
	}
	CHECK_EQ_INT(str.ok, one.ok);
	CHECK(memcmp(str.rej, one.rej, sizeof(str.rej)) == 0);
	mp_stream_fini(&s);
	free(data);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/penchant-mpack-fx-XXXXXX", cmd[1024], path[600];
	char line[512];
	int n = 0;
	FILE *m;

	REQUIRE(argc == 2);
	if (access("/usr/bin/python3", X_OK) != 0 ||
	    system("/usr/bin/python3 -c 'import msgpack' 2>/dev/null") != 0)
		SKIP("/usr/bin/python3 with python3-msgpack not available");
	REQUIRE(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' '%s'", argv[1], dir);
	REQUIRE(system(cmd) == 0);
	snprintf(path, sizeof(path), "%s/manifest.txt", dir);
	m = fopen(path, "r");
	REQUIRE(m);
	while (fgets(line, sizeof(line), m)) {
		check_fixture(dir, line);
		n++;
	}
	fclose(m);
	CHECK(n >= 40);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done("mpack_fixtures (python3-msgpack)");
}
