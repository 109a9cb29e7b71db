/* config_cidr: allow_from lists (cfg_cidr_parse) accept IPv4 and IPv6 CIDRs and bare hosts, refuse garbage with the entry named, and cfg_cidr_match matches prefixes, IPv4-mapped IPv6 and the empty list. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "cfgtest.h"

static void bad(const char *list, const char *piece)
{
	char err[CFG_ERR_MAX] = "";
	unsigned n = 99;

	if (cfg_cidr_parse(list, NULL, 0, &n, err, sizeof err) != -EINVAL ||
	    !cfgtest_has(err, piece))
		fprintf(stderr, "'%s': %s\n", list, err);
	CHECK_EQ_INT(cfg_cidr_parse(list, NULL, 0, &n, err, sizeof err),
	    -EINVAL);
	CHECK(cfgtest_has(err, piece));
	CHECK_EQ_INT(n, 0);
	/* and through the setting: the value is refused, the struct kept */
	struct cfg c;
	cfg_defaults(&c);
	CHECK_EQ_INT(cfg_set(&c, "allow_from", list, err, sizeof err), -EINVAL);
	CHECK(cfgtest_has(err, "allow_from"));
	CHECK_EQ_INT(c.allow_from[0], 0);
}

static bool match(const struct cfg_cidr *set, unsigned n, const char *addr)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };

	if (inet_pton(AF_INET, addr, &a4.sin_addr) == 1)
		return cfg_cidr_match(set, n, (struct sockaddr *)&a4);
	REQUIRE(inet_pton(AF_INET6, addr, &a6.sin6_addr) == 1);
	return cfg_cidr_match(set, n, (struct sockaddr *)&a6);
}

int main(void)
{
	struct cfg_cidr set[CFG_ALLOW_MAX];
	char err[CFG_ERR_MAX], many[CFG_ALLOW_STR_MAX + 1];
	unsigned n = 0;

	/* empty and blank lists: everyone */
	CHECK_EQ_INT(cfg_cidr_parse("", set, CFG_ALLOW_MAX, &n, err,
			 sizeof err),
	    0);
	CHECK_EQ_INT(n, 0);
	CHECK(match(set, 0, "203.0.113.9"));
	CHECK_EQ_INT(cfg_cidr_parse("  \t ", set, CFG_ALLOW_MAX, &n, err,
			 sizeof err),
	    0);
	CHECK_EQ_INT(n, 0);

	CHECK_EQ_INT(cfg_cidr_parse(" 10.0.0.0/8 , 192.168.1.7,2001:db8::/32,"
				    "::1, 0.0.0.0/0 ",
			 set, CFG_ALLOW_MAX, &n, err, sizeof err),
	    0);
	CHECK_EQ_INT(n, 5);
	CHECK_EQ_INT(set[1].prefix, 32);
	CHECK_EQ_INT(set[3].prefix, 128);
	CHECK_EQ_INT(cfg_cidr_parse("10.0.0.0/8,192.168.1.7,2001:db8::/32,::1",
			 set, CFG_ALLOW_MAX, &n, err, sizeof err),
	    0);
	CHECK(match(set, n, "10.255.1.2"));
	CHECK(!match(set, n, "11.0.0.1"));
	CHECK(match(set, n, "192.168.1.7"));
	CHECK(!match(set, n, "192.168.1.8"));
	CHECK(match(set, n, "2001:db8:ffff::1"));
	CHECK(!match(set, n, "2001:db9::1"));
	CHECK(match(set, n, "::1"));
	CHECK(!match(set, n, "::2"));
	CHECK(match(set, n, "::ffff:10.1.2.3")); /* IPv4-mapped */
	CHECK(!match(set, n, "::ffff:11.1.2.3"));
	/* odd prefix lengths, /0 */
	CHECK_EQ_INT(cfg_cidr_parse("172.16.0.0/12,fe80::/10", set,
			 CFG_ALLOW_MAX, &n, err, sizeof err),
	    0);
	CHECK(match(set, n, "172.31.255.255"));
	CHECK(!match(set, n, "172.32.0.0"));
	CHECK(match(set, n, "febf::1"));
	CHECK(!match(set, n, "fec0::1"));
	CHECK_EQ_INT(cfg_cidr_parse("0.0.0.0/0", set, CFG_ALLOW_MAX, &n, err,
			 sizeof err),
	    0);
	CHECK(match(set, n, "198.51.100.1"));
	CHECK(!match(set, n, "::1")); /* an IPv4 entry is not an IPv6 one */
	CHECK_EQ_INT(cfg_cidr_parse("::/0", set, CFG_ALLOW_MAX, &n, err,
			 sizeof err),
	    0);
	CHECK(match(set, n, "2001:db8::1"));
	CHECK(!match(set, n, "127.0.0.1"));

	/* garbage */
	bad("10.0.0.0/33",
	    "bad entry '10.0.0.0/33' (prefix length is not 0..32)");
	bad("::/129", "prefix length is not 0..128");
	bad("10.0.0.0/", "prefix length");
	bad("10.0.0.0/-1", "prefix length");
	bad("10.0.0.0/+8", "prefix length");
	bad("10.0.0.0/08", "prefix length");
	bad("10.0.0.0/8/8", "prefix length");
	bad("10.0.0.0/1000", "prefix length");
	bad("10.0.0.0/x", "prefix length");
	bad("10.0.0.256/32", "not a numeric IPv4 or IPv6 address");
	bad("10.0.0/24", "not a numeric");
	bad("localhost", "not a numeric");
	bad("[::1]/128", "not a numeric");
	bad("fe80::1%eth0/128", "not a numeric");
	bad("/8", "not a numeric");
	bad("10.0.0.0 /8", "blank inside the entry");
	bad("10.0.0.0/ 8", "blank inside the entry");
	bad("10.0. 0.0/8", "blank inside the entry");
	bad("10.0.0.0/8,,::1", "empty: remove the extra comma");
	bad("10.0.0.0/8,", "empty");
	bad(",10.0.0.0/8", "empty");
	bad(" , ", "empty");
	bad("10.1.2.3/8", "bits set after the prefix length");
	bad("2001:db8::1/32", "bits set after the prefix length");
	bad("1.2.3.4\x01", "bad entry"); /* a control character */
	/* more than CFG_ALLOW_MAX entries */
	size_t k = 0;
	for (unsigned i = 0; i <= CFG_ALLOW_MAX; i++)
		k += (size_t)snprintf(many + k, sizeof many - k,
		    "%s10.0.%u.0/24", i ? "," : "", i);
	bad(many, "more than 64 entries");

	/* the setting keeps a good list */
	struct cfg c;
	cfg_defaults(&c);
	CHECK_EQ_INT(cfg_set(&c, "allow_from", "127.0.0.0/8, ::1", err,
			 sizeof err),
	    0);
	CHECK_EQ_INT(cfg_check(&c, err, sizeof err), 0);
	return check_done("config_cidr");
}
