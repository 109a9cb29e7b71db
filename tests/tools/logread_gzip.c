/* logread input: gzip (recognized by its magic, whatever the name) and
 * plain text give identical records, users, counts and messages, for JSON
 * lines and CSV; a truncated gzip stream is a read error, not a short log. */
#include <errno.h>
#include <string.h>

#include "logread_test.h"

static const char json[] =
    "{\"user_id\":\"u1\",\"event_type\":\"view\",\"entity_id\":\"e1\",\"timestamp\":1767225600000,\"lat\":48.1,\"lon\":11.5}\n"
    "garbage\n"
    "{\"user_id\":\"u2\",\"event_type\":\"search\",\"query\":\"jazz live\",\"timestamp\":\"2026-01-01T10:00:00+02:00\"}\r\n"
    "{\"user_id\":\"u1\",\"event_type\":\"feedback\",\"entity_id\":\"e2\",\"feedback\":-1,\"timestamp\":1767225601}\n";

static const char csv[] =
    "user_id,entity_id,event_type,timestamp,dwell_ms,note\r\n"
    "u1,e1,view,1767225600,1500,\"a\r\nb\"\r\n"
    "u2,e2,click,1767225600123,,\"x,\"\"y\"\"\"\r\n"
    "u2,e2,click\r\n"
    "\"u,3\",e1,save,2026-01-01T00:00:00Z,,\r\n";

static bool same_log(const struct lr_log *a, const struct lr_log *b)
{
	if (a->ev.n != b->ev.n || a->users.n != b->users.n ||
	    a->lines != b->lines || a->rejected_lines != b->rejected_lines ||
	    a->t_last != b->t_last ||
	    memcmp(a->rejected, b->rejected, sizeof(a->rejected)))
		return false;
	for (size_t i = 0; i < a->ev.n; i++)
		if (memcmp(lr_event(a, i), lr_event(b, i),
			sizeof(struct evt_record)))
			return false;
	for (size_t i = 0; i < a->users.n; i++)
		if (a->users.v[i].key != b->users.v[i].key ||
		    strcmp(lr_user_id(a, i), lr_user_id(b, i)))
			return false;
	return true;
}

static void both(const char *text, bool csv_, size_t events)
{
	struct lr_options o;
	struct lr_log plain, gz;
	char *mp, *mg;
	lr_options_init(&o);
	o.csv = csv_;
	CHECK_EQ_INT(lt_read(text, strlen(text), false, &o, &plain, &mp), 0);
	CHECK_EQ_INT(lt_read(text, strlen(text), true, &o, &gz, &mg), 0);
	CHECK_EQ_INT(plain.ev.n, events);
	CHECK_EQ_INT(plain.rejected_lines, 1);
	CHECK(same_log(&plain, &gz));
	CHECK(lt_same(mg, mp));
	free(mp);
	free(mg);
	lr_log_free(&plain);
	lr_log_free(&gz);
	lr_options_free(&o);
}

/* Half a gzip stream: the lines that inflated are read, then -EIO. */
static void truncated(void)
{
	char big[8192], path[4096], *p = big, *msgs;
	for (int i = 0; i < 60; i++)
		p += snprintf(p, sizeof(big) - (size_t)(p - big),
		    "{\"user_id\":\"u%d\",\"event_type\":\"view\",\"entity_id\":\"e%d\",\"timestamp\":%lld}\n",
		    i, i % 7, 1767225600000LL + i * 997);
	lt_file(path, sizeof(path), big, (size_t)(p - big), true);
	FILE *f = fopen(path, "rb");
	REQUIRE(f);
	char gz[8192];
	size_t n = fread(gz, 1, sizeof(gz), f);
	fclose(f);
	unlink(path);
	REQUIRE(n > 100);

	struct lr_options o;
	struct lr_log log;
	lr_options_init(&o);
	o.prog = "test";
	int rc = lt_read(gz, n / 2, false, &o, &log, &msgs);
	CHECK_EQ_INT(rc, -EIO);
	const char *tail = "test: LOG: gzip data truncated at byte ";
	size_t ml = strlen(msgs), tl = strlen(tail);
	CHECK(ml >= tl && strstr(msgs, tail) != NULL);
	CHECK(strstr(msgs, tail) && atoi(strstr(msgs, tail) + tl) > 0);
	CHECK(log.ev.n < 60);
	free(msgs);
	lr_log_free(&log);

	/* the same bytes whole: no error */
	CHECK_EQ_INT(lt_read(gz, n, false, &o, &log, &msgs), 0);
	CHECK_EQ_INT(log.ev.n, 60);
	CHECK(lt_same(msgs, ""));
	free(msgs);
	lr_log_free(&log);
	lr_options_free(&o);
}

int main(void)
{
	both(json, false, 3);
	both(csv, true, 3);
	truncated();
	return check_done("logread_gzip");
}
