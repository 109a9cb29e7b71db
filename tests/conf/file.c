/* config_file: config files load "name = value" lines with comments and blanks; errors name FILE:LINE; loading is all or nothing. */
#include <errno.h>
#include <string.h>

#include "cfgtest.h"

static char path[512];

/* Load text as a file; returns the code and leaves the message in err. */
static int load(struct cfg *c, const char *text, char *err, size_t errlen)
{
	cfgtest_write_str(path, text);
	return cfg_load_file(c, path, err, errlen);
}

/* text must fail at line; c must stay at defaults. */
static void fails_at(const char *text, unsigned line, int code,
    const char *piece)
{
	struct cfg c, before;
	char err[CFG_ERR_MAX] = "", where[600];

	cfg_defaults(&c);
	before = c;
	CHECK_EQ_INT(load(&c, text, err, sizeof err), code);
	CHECK(memcmp(&c, &before, sizeof c) == 0);
	snprintf(where, sizeof where, "%s:%u: ", path, line);
	CHECK(cfgtest_has(err, where));
	CHECK(strncmp(err, where, strlen(where)) == 0);
	CHECK(cfgtest_has(err, piece));
}

static void good_file(void)
{
	struct cfg c;
	char err[CFG_ERR_MAX] = "";

	cfg_defaults(&c);
	CHECK_EQ_INT(load(&c,
			 "# penchant test config\n"
			 "\n"
			 "   # indented comment\n"
			 "shards = 4\n"
			 "ring_depth=0x400\n"
			 "\tstate_dir =   /srv/penchant data  \n"
			 "snapshot = off\r\n"
			 "log-level = debug\n"
			 "signal_feedback_neg = -1.25\n"
			 "instance = a\n"
			 "instance = b\n" /* later lines win */
			 "   \t  \n"
			 "max_id_len = 512", /* no final newline */
			 err, sizeof err),
	    0);
	if (*err)
		fprintf(stderr, "%s\n", err);
	CHECK_EQ_INT(c.shards, 4);
	CHECK_EQ_INT(c.ring_depth, 1024);
	CHECK(strcmp(c.state_dir, "/srv/penchant data") == 0);
	CHECK(c.snapshot == false);
	CHECK_EQ_INT(c.log_level, CFG_LOG_DEBUG);
	CHECK(c.learn.signal_feedback_neg == -1.25);
	CHECK(strcmp(c.instance, "b") == 0);
	CHECK_EQ_INT(c.max_id_len, 512);
	CHECK_EQ_INT(c.producer_slots, 16); /* untouched keeps its value */

	/* Empty file and a UTF-8 byte order mark are fine. */
	cfg_defaults(&c);
	CHECK_EQ_INT(load(&c, "", err, sizeof err), 0);
	CHECK_EQ_INT(load(&c, "\xef\xbb\xbfshards = 2\n", err, sizeof err), 0);
	CHECK_EQ_INT(c.shards, 2);
}

static void bad_lines(void)
{
	char longline[CFG_LINE_MAX + 64];

	fails_at("shards = 4\nring_depth = 1000\n", 2, -EINVAL,
	    "ring_depth: '1000' is not a power of two");
	fails_at("# c\n\nshards = 99\n", 3, -EINVAL, "0..64");
	fails_at("shards = 4\nshards\n", 2, -EINVAL, "expected 'name = value'");
	fails_at("[main]\n", 1, -EINVAL, "expected 'name = value'");
	fails_at("= 4\n", 1, -EINVAL, "missing setting name");
	fails_at("shards =\n", 1, -EINVAL, "shards: ''");
	fails_at("ring_dpeth = 64\n", 1, -ENOENT, "did you mean 'ring_depth'?");
	fails_at("config = /etc/x\n", 1, -ENOENT, "cannot load another");
	fails_at("shards = 4 # four shards\n", 1, -EINVAL,
	    "comments must be on lines of their own");
	fails_at("a\n\n\n\n\n\n\n\n\n\n\n\nshards = x\n", 1, -EINVAL,
	    "expected");
	fails_at("\n\n\n\n\n\n\n\n\n\n\n\nshards = x\n", 13, -EINVAL,
	    "shards: 'x'");

	memset(longline, 'x', sizeof longline);
	memcpy(longline, "instance = ", 11);
	longline[sizeof longline - 1] = '\0';
	fails_at(longline, 1, -EINVAL, "line longer than 4096 bytes");

	/* NUL needs the explicit-length writer. */
	{
		struct cfg c;
		char err[CFG_ERR_MAX] = "";
		static const char text[] = "shards = 1\nsna\0pshot = no\n";

		cfg_defaults(&c);
		cfgtest_write(path, text, sizeof text - 1);
		CHECK_EQ_INT(cfg_load_file(&c, path, err, sizeof err), -EINVAL);
		CHECK(cfgtest_has(err, ":2: NUL byte"));
		CHECK_EQ_INT(c.shards, 0); /* all or nothing */
	}
}

static void io_errors(void)
{
	struct cfg c, before;
	char err[CFG_ERR_MAX] = "", missing[600];
	int saved;

	cfg_defaults(&c);
	before = c;
	snprintf(missing, sizeof missing, "%s.does-not-exist", path);
	errno = 1234;
	CHECK_EQ_INT(cfg_load_file(&c, missing, err, sizeof err), -ENOENT);
	saved = errno;
	CHECK_EQ_INT(saved, 1234); /* errno left alone */
	CHECK(cfgtest_has(err, missing));
	CHECK(cfgtest_has(err, strerror(ENOENT)));
	CHECK(memcmp(&c, &before, sizeof c) == 0);

	/* A directory opens but cannot be read. */
	CHECK_EQ_INT(cfg_load_file(&c, "/", err, sizeof err), -EISDIR);
	CHECK(cfgtest_has(err, strerror(EISDIR)));

	CHECK_EQ_INT(cfg_load_file(&c, NULL, err, sizeof err), -EINVAL);
	CHECK_EQ_INT(cfg_load_file(NULL, path, err, sizeof err), -EINVAL);
}

int main(void)
{
	cfgtest_tmpname(path, sizeof path);
	good_file();
	bad_lines();
	io_errors();
	unlink(path);
	return check_done("config_file");
}
