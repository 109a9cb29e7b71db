/*
 * ipc/forward handshake codec: HELO carries the nonce and no user auth; a
 * PING is read whole (0 until its last byte, at any split), proves the key
 * by its digest (lowercase or uppercase hex), and anything else (wrong
 * key, not a PING, wrong types, a bad salt, garbage, over FWD_PING_MAX
 * bytes) is refused with a reason; PONG answers with the server's digest
 * only when the key was proven. The digests are recomputed here with
 * libsodium's one-shot SHA-512 over the concatenation.
 */
#include <sodium.h>
#include <string.h>

#include "check.h"
#include "forward_util.h"

static void hex_of(char out[129], const char *s1, const char *s2,
    const unsigned char *nonce, const char *key)
{
	unsigned char buf[1024], h[64];
	size_t n = 0;

	memcpy(buf + n, s1, strlen(s1));
	n += strlen(s1);
	memcpy(buf + n, s2, strlen(s2));
	n += strlen(s2);
	memcpy(buf + n, nonce, FWD_NONCE_LEN);
	n += FWD_NONCE_LEN;
	memcpy(buf + n, key, strlen(key));
	n += strlen(key);
	crypto_hash_sha512(h, buf, n);
	sodium_bin2hex(out, 129, h, 64);
}

static size_t ping(char *out, size_t cap, const char *host, const char *salt,
    const char *digest)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t n;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 6);
	fu_str(&pk, "PING");
	fu_str(&pk, host);
	fu_str(&pk, salt);
	fu_str(&pk, digest);
	fu_str(&pk, "");
	fu_str(&pk, "");
	REQUIRE(sb.size <= cap);
	memcpy(out, sb.data, sb.size);
	n = sb.size;
	msgpack_sbuffer_destroy(&sb);
	return n;
}

int main(void)
{
	struct fwd_auth au = { .key = "k3y",
		.key_len = 3,
		.hostname = "srv",
		.hostname_len = 3 };
	struct fwd_ping pg;
	char buf[FWD_PING_MAX + 64], out[FWD_HANDSHAKE_MAX], dig[129];
	msgpack_unpacked u;
	size_t n;

	REQUIRE(sodium_init() >= 0);
	randombytes_buf(au.nonce, FWD_NONCE_LEN);

	/* HELO */
	n = fwd_helo_encode(out, sizeof(out), &au);
	REQUIRE(n > 0);
	msgpack_unpacked_init(&u);
	REQUIRE(
	    msgpack_unpack_next(&u, out, n, NULL) == MSGPACK_UNPACK_SUCCESS);
	CHECK(
	    u.data.type == MSGPACK_OBJECT_ARRAY && u.data.via.array.size == 2);
	const msgpack_object_map *m = &u.data.via.array.ptr[1].via.map;
	CHECK(m->size == 3 && m->ptr[0].val.type == MSGPACK_OBJECT_BIN &&
	    m->ptr[0].val.via.bin.size == FWD_NONCE_LEN &&
	    !memcmp(m->ptr[0].val.via.bin.ptr, au.nonce, FWD_NONCE_LEN));
	CHECK(m->ptr[1].val.type == MSGPACK_OBJECT_STR &&
	    m->ptr[1].val.via.str.size == 0); /* no user auth */
	CHECK_EQ_INT(fwd_helo_encode(out, 10, &au), 0);

	/* a good PING, fed at every split: 0 until complete */
	hex_of(dig, "salt1", "cli", au.nonce, "k3y");
	n = ping(buf, sizeof(buf), "cli", "salt1", dig);
	for (size_t k = 0; k < n; k++)
		CHECK_EQ_INT(fwd_ping_read(&au, buf, k, &pg), 0);
	memcpy(buf + n, "\x93\xa1t", 3); /* the stream's bytes follow */
	CHECK_EQ_INT(fwd_ping_read(&au, buf, n + 3, &pg), n);
	CHECK(pg.ok);
	CHECK(pg.salt_len == 5 && !memcmp(pg.salt, "salt1", 5));
	/* its PONG: true, "", hostname, the server's digest */
	size_t pn = fwd_pong_encode(out, sizeof(out), &au, &pg);
	REQUIRE(pn > 0);
	REQUIRE(
	    msgpack_unpack_next(&u, out, pn, NULL) == MSGPACK_UNPACK_SUCCESS);
	const msgpack_object *a = u.data.via.array.ptr;
	hex_of(dig, "salt1", "srv", au.nonce, "k3y");
	CHECK(u.data.via.array.size == 5 &&
	    a[1].type == MSGPACK_OBJECT_BOOLEAN && a[1].via.boolean &&
	    a[2].via.str.size == 0 && a[3].via.str.size == 3 &&
	    a[4].via.str.size == 128 && !memcmp(a[4].via.str.ptr, dig, 128));

	/* uppercase hex is the same digest */
	hex_of(dig, "salt1", "cli", au.nonce, "k3y");
	for (int i = 0; i < 128; i++)
		if (dig[i] >= 'a' && dig[i] <= 'f')
			dig[i] = (char)(dig[i] - 32);
	n = ping(buf, sizeof(buf), "cli", "salt1", dig);
	CHECK_EQ_INT(fwd_ping_read(&au, buf, n, &pg), n);
	CHECK(pg.ok);

	/* refusals: a whole object is consumed, the reason says why */
	static const struct {
		const char *what, *reason;
	} no[] = {
		{ "wrong key", "shared key mismatch" },
		{ "other nonce", "shared key mismatch" },
		{ "short digest", "shared key mismatch" },
		{ "empty salt", "salt of a bad length" },
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		struct fwd_auth other = au;
		const char *salt = i == 3 ? "" : "s";
		if (i == 1)
			other.nonce[0] ^= 1;
		hex_of(dig, salt, "cli", other.nonce, i == 0 ? "k3" : "k3y");
		if (i == 2)
			dig[100] = 0;
		n = ping(buf, sizeof(buf), "cli", salt, dig);
		CHECK_EQ_INT(fwd_ping_read(&au, buf, n, &pg), n);
		CHECK(!pg.ok);
		if (!strstr(pg.reason, no[i].reason))
			fprintf(stderr, "%s: %s\n", no[i].what, pg.reason);
		CHECK(strstr(pg.reason, no[i].reason) != NULL);
		pn = fwd_pong_encode(out, sizeof(out), &au, &pg);
		REQUIRE(msgpack_unpack_next(&u, out, pn, NULL) ==
		    MSGPACK_UNPACK_SUCCESS);
		a = u.data.via.array.ptr;
		CHECK(!a[1].via.boolean && a[4].via.str.size == 0);
	}
	/* not a PING: a forward message, wrong types, garbage */
	static const char msg[] = "\x93\xa1t\x01\x80";
	CHECK_EQ_INT(fwd_ping_read(&au, msg, 5, &pg), 5);
	CHECK(!pg.ok && strstr(pg.reason, "expected PING"));
	static const char types[] = "\x96\xa4PING\x01\x02\x03\x04\x05";
	CHECK_EQ_INT(fwd_ping_read(&au, types, 11, &pg), 11);
	CHECK(!pg.ok && strstr(pg.reason, "strings"));
	CHECK_EQ_INT(fwd_ping_read(&au, "\xc1xyz", 4, &pg), 4);
	CHECK(!pg.ok && strstr(pg.reason, "not a msgpack PING"));
	/* a PING that never ends: refused at FWD_PING_MAX bytes */
	memset(buf, 0, sizeof(buf));
	buf[0] = (char)0x96;
	buf[1] = (char)0xa4;
	memcpy(buf + 2, "PING", 4);
	buf[6] = (char)0xdb; /* str32 of 1 MiB */
	buf[8] = 0x10;
	CHECK_EQ_INT(fwd_ping_read(&au, buf, 100, &pg), 100);
	CHECK(!pg.ok);
	msgpack_unpacked_destroy(&u);
	return check_done("ipc_forward_auth");
}
