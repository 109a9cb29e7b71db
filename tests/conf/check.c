/* config_check: cfg_check rejects fields set directly out of range and enforces acceptor_slots < producer_slots. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "cfgtest.h"

static void rejects(const struct cfg *c, const char *piece)
{
	char err[CFG_ERR_MAX] = "";

	CHECK_EQ_INT(cfg_check(c, err, sizeof err), -EINVAL);
	CHECK(cfgtest_has(err, piece));
}

int main(void)
{
	struct cfg c;
	char err[CFG_ERR_MAX];

	cfg_defaults(&c);
	c.acceptor_slots = 8;
	c.producer_slots = 8;
	rejects(&c, "acceptor_slots (8) must be less than producer_slots (8)");
	c.producer_slots = 9;
	CHECK_EQ_INT(cfg_check(&c, err, sizeof err), 0);
	c.acceptor_slots = 0;
	c.producer_slots = 2;
	CHECK_EQ_INT(cfg_check(&c, err, sizeof err), 0);

	cfg_defaults(&c);
	c.ring_depth = 1000;
	rejects(&c, "ring_depth: '1000' is not a power of two");
	cfg_defaults(&c);
	c.shards = 65;
	rejects(&c, "shards: '65' is out of range 0..64");
	cfg_defaults(&c);
	c.learn.learning_rate = NAN;
	rejects(&c, "learning_rate: 'nan' is out of range 0..1");
	cfg_defaults(&c);
	c.learn.signal_feedback_neg = 0.5;
	rejects(&c, "signal_feedback_neg: '0.5' is out of range -5..0");
	cfg_defaults(&c);
	c.learn.kl_release =
	    0.9; /* drift must clear below where it is flagged */
	rejects(&c, "kl_release (0.9) must be at most kl_threshold (0.5)");
	/* one listen address twice: the second bind fails and its process
	 * restarts forever, so the settings are refused */
	cfg_defaults(&c);
	strcpy(c.rank_listen, c.http_listen);
	rejects(&c,
	    "http_listen '127.0.0.1:8787' and rank_listen '127.0.0.1:8787' are one listen address");
	cfg_defaults(&c);
	strcpy(c.http_listen, "127.0.0.1:9000, 127.0.0.1:9000");
	rejects(&c,
	    "http_listen '127.0.0.1:9000' and http_listen '127.0.0.1:9000'");
	cfg_defaults(&c);
	strcpy(c.http_listen, "0.0.0.0:24224"); /* forward_listen's port */
	rejects(&c,
	    "forward_listen '127.0.0.1:24224' and http_listen '0.0.0.0:24224'");
	cfg_defaults(&c);
	strcpy(c.rank_listen, "[::]:7878"); /* tcp_listen has [::1]:7878 */
	rejects(&c, "tcp_listen '[::1]:7878' and rank_listen '[::]:7878'");
	cfg_defaults(&c);
	strcpy(c.udp_listen, "127.0.0.1:9,127.0.0.1:9");
	rejects(&c, "udp_listen '127.0.0.1:9' and udp_listen '127.0.0.1:9'");
	/* TCP and UDP on one port, other addresses, other families: fine */
	cfg_defaults(&c);
	strcpy(c.http_listen, "127.0.0.2:8788,[::1]:8787,127.0.0.1:8787");
	CHECK_EQ_INT(cfg_check(&c, NULL, 0), 0);
	cfg_defaults(&c);
	c.log_level = (enum cfg_log_level)7;
	rejects(&c, "log_level: '7' is not one of error, warn, info, debug");
	cfg_defaults(&c);
	strcpy(c.instance, "a/b");
	rejects(&c, "instance: 'a/b'");
	cfg_defaults(&c);
	c.instance[0] = '\0';
	rejects(&c, "instance: '' is too short");
	cfg_defaults(&c);
	memset(c.instance, 'x', sizeof c.instance); /* no NUL at all */
	rejects(&c, "instance: (no terminating NUL)");
	cfg_defaults(&c);
	strcpy(c.state_dir, "relative");
	rejects(&c, "state_dir: 'relative' is not an absolute path");

	CHECK_EQ_INT(cfg_check(NULL, err, sizeof err), -EINVAL);
	return check_done("config_check");
}
