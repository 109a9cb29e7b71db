/*
 * it_acceptor_python: events encoded by real third-party encoders reach the
 * profiles through the acceptor. Mode "python" (default): python3-msgpack
 * under /usr/bin/python3. Mode "node NODE_MODULES": Node.js with
 * @msgpack/msgpack (UDP singles, TCP) and msgpackr (UDP arrays, TCP; it
 * writes map16 even for small maps). The same sending rule either way:
 * acceptor: UDP single-event datagrams (snake_case, integer ms and RFC 3339
 * times), UDP arrays of 16 (camelCase, nested context, float seconds), and
 * four concurrent TCP connections (timestamp extension -1, maps and arrays
 * mixed, objects split across writes at random points). Per-user counts
 * and tag/category weights are checked against values computed here from
 * the same rule the script follows; acceptor counters must add up exactly.
 */
#include "it_acceptor_util.h"

#define T0_MS 1767258000000LL /* 2026-01-01T09:00:00Z */
#define K 6		      /* events per user, 6 h apart */
#define NA 40		      /* users on UDP single datagrams */
#define NB 64		      /* users on UDP arrays of 16 */
#define NC 4		      /* TCP connections */
#define NCU 30		      /* users per TCP connection */

/* view, click, rsvp, save, share */
static const double signal_of[5] = { 0.1, 0.3, 1.0, 0.8, 0.7 };

/* The sending rule, written once more in Python below. */
static int64_t _time(unsigned u, unsigned k)
{
	return T0_MS + (int64_t)k * 6 * 3600 * 1000 + (int64_t)(u % 7) * 60000;
}

static const char script[] =
    "import datetime, msgpack, random, socket, sys, time\n"
    "port = int(sys.argv[1])\n"
    "T0, K, NA, NB, NC, NCU = 1767258000000, 6, 40, 64, 4, 30\n"
    "TYPES = ['view', 'click', 'rsvp', 'save', 'share']\n"
    "def t(u, k): return T0 + k * 6 * 3600 * 1000 + (u % 7) * 60000\n"
    "def rfc3339(ms):\n"
    "    d = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)\n"
    "    return d.strftime('%Y-%m-%dT%H:%M:%SZ')\n"
    "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "dst = ('127.0.0.1', port)\n"
    "sent = 0\n"
    "for k in range(K):\n"
    "    for i in range(NA):\n"
    "        ev = {'user_id': 'pa-%d' % i, 'event_type': TYPES[(i + k) % 5],\n"
    "              'entity_id': 'ent-%d' % (i % 10)}\n"
    "        ev['timestamp'] = t(i, k) if i % 2 == 0 else rfc3339(t(i, k))\n"
    "        u.sendto(msgpack.packb(ev), dst)\n"
    "        sent += 1\n"
    "        if sent % 64 == 0: time.sleep(0.002)\n"
    "evs = []\n"
    "for k in range(K):\n"
    "    for i in range(NB):\n"
    "        evs.append({'userId': 'pb-%d' % i, 'eventType': TYPES[(i + k) % 5],\n"
    "                    'entityId': 'ent-%d' % (i % 10),\n"
    "                    'context': {'timestamp': t(i, k) / 1000.0,\n"
    "                                'device': 'iPhone'}})\n"
    "for j in range(0, len(evs), 16):\n"
    "    u.sendto(msgpack.packb(evs[j:j + 16]), dst)\n"
    "    time.sleep(0.001)\n"
    "rng = random.Random(7)\n"
    "streams = []\n"
    "for c in range(NC):\n"
    "    objs = []\n"
    "    pend = []\n"
    "    for k in range(K):\n"
    "        for i in range(NCU):\n"
    "            ms = t(i, k)\n"
    "            ts = msgpack.Timestamp(ms // 1000, (ms % 1000) * 1000000)\n"
    "            pend.append({'user_id': 'pc%d-%d' % (c, i),\n"
    "                         'event_type': TYPES[(i + k) % 5],\n"
    "                         'entity_id': 'ent-%d' % (i % 10),\n"
    "                         'entity_type': 'activity', 'timestamp': ts})\n"
    "            if rng.random() < 0.5 or len(pend) == 5:\n"
    "                objs.append(pend[0] if len(pend) == 1 else pend)\n"
    "                pend = []\n"
    "    if pend: objs.append(pend)\n"
    "    streams.append(b''.join(msgpack.packb(o) for o in objs))\n"
    "socks = [socket.create_connection(dst) for _ in range(NC)]\n"
    "pos = [0] * NC\n"
    "while any(pos[c] < len(streams[c]) for c in range(NC)):\n"
    "    for c in range(NC):\n"
    "        if pos[c] >= len(streams[c]): continue\n"
    "        n = rng.randint(1, 700)\n"
    "        socks[c].sendall(streams[c][pos[c]:pos[c] + n])\n"
    "        pos[c] += n\n"
    "    if rng.random() < 0.05: time.sleep(0.005)\n"
    "for s in socks: s.close()\n"
    "print('sent', sent + len(evs) + NC * NCU * K)\n";

static const char node_script[] =
    "const { encode } = require('@msgpack/msgpack');\n"
    "const { pack } = require('msgpackr');\n"
    "const dgram = require('dgram'), net = require('net');\n"
    "const port = Number(process.argv[2]);\n"
    "const T0 = 1767258000000, K = 6, NA = 40, NB = 64, NC = 4, NCU = 30;\n"
    "const TYPES = ['view', 'click', 'rsvp', 'save', 'share'];\n"
    "const t = (u, k) => T0 + k * 6 * 3600 * 1000 + (u % 7) * 60000;\n"
    "let seed = 7;\n"
    "const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648;\n"
    "  return seed / 2147483648; };\n"
    "const sleep = (ms) => new Promise((r) => setTimeout(r, ms));\n"
    "const sendUdp = (sock, buf) => new Promise((res, rej) =>\n"
    "  sock.send(buf, port, '127.0.0.1', (e) => (e ? rej(e) : res())));\n"
    "async function main() {\n"
    "  const u = dgram.createSocket('udp4');\n"
    "  let sent = 0;\n"
    "  for (let k = 0; k < K; k++)\n"
    "    for (let i = 0; i < NA; i++) {\n"
    "      const ev = { user_id: 'pa-' + i, event_type: TYPES[(i + k) % 5],\n"
    "        entity_id: 'ent-' + (i % 10),\n"
    "        timestamp: i % 2 ? new Date(t(i, k)).toISOString() : t(i, k) };\n"
    "      await sendUdp(u, encode(ev));\n"
    "      if (++sent % 64 === 0) await sleep(2);\n"
    "    }\n"
    "  const evs = [];\n"
    "  for (let k = 0; k < K; k++)\n"
    "    for (let i = 0; i < NB; i++)\n"
    "      evs.push({ userId: 'pb-' + i, eventType: TYPES[(i + k) % 5],\n"
    "        entityId: 'ent-' + (i % 10),\n"
    "        context: { timestamp: t(i, k) / 1000 + 0.0001, device: 'iPhone' } });\n"
    "  for (let j = 0; j < evs.length; j += 16) {\n"
    "    await sendUdp(u, pack(evs.slice(j, j + 16)));\n"
    "    await sleep(1);\n"
    "  }\n"
    "  u.close();\n"
    "  const streams = [];\n"
    "  for (let c = 0; c < NC; c++) {\n"
    "    const enc = c % 2 ? pack : (o) => Buffer.from(encode(o));\n"
    "    const parts = []; let pend = [];\n"
    "    for (let k = 0; k < K; k++)\n"
    "      for (let i = 0; i < NCU; i++) {\n"
    "        pend.push({ user_id: 'pc' + c + '-' + i,\n"
    "          event_type: TYPES[(i + k) % 5], entity_id: 'ent-' + (i % 10),\n"
    "          entity_type: 'activity', timestamp: new Date(t(i, k)) });\n"
    "        if (rnd() < 0.5 || pend.length === 5) {\n"
    "          parts.push(enc(pend.length === 1 ? pend[0] : pend)); pend = [];\n"
    "        }\n"
    "      }\n"
    "    if (pend.length) parts.push(enc(pend));\n"
    "    streams.push(Buffer.concat(parts));\n"
    "  }\n"
    "  await Promise.all(streams.map((buf) => new Promise((res, rej) => {\n"
    "    const s = net.connect(port, '127.0.0.1', async () => {\n"
    "      for (let p = 0; p < buf.length;) {\n"
    "        const n = 1 + Math.floor(rnd() * 700);\n"
    "        s.write(buf.subarray(p, p + n)); p += n;\n"
    "        if (rnd() < 0.05) await sleep(5);\n"
    "      }\n"
    "      s.end(res);\n"
    "    });\n"
    "    s.on('error', rej);\n"
    "  })));\n"
    "  console.log('sent', sent + evs.length + NC * NCU * K);\n"
    "}\n"
    "main().catch((e) => { console.error(e); process.exit(1); });\n";

static void _catalog(struct ax *a)
{
	char lines[2048];
	size_t n = 0;
	for (unsigned i = 0; i < 10; i++)
		n += (size_t)snprintf(lines + n, sizeof(lines) - n,
		    "{\"id\":\"ent-%u\",\"category\":\"cat-%u\",\"tags\":[\"tag-%u\"]}\n",
		    i, i, i);
	char out[1024], err[1024];
	CHECK_EQ_INT(hx_cli(&a->h, lines, n, out, sizeof(out), err, sizeof(err),
			 "catalog", "load", "-", NULL),
	    0);
}

/* Checks one user against the rule: K events, types (u + k) % 5. */
static void _check_user(struct ax *a, const char *id, unsigned u)
{
	struct pen_profile pp;
	int rc = pen_profile_read(a->p, id, strlen(id), &pp, PEN_READ_NAMES);
	CHECK_EQ_INT(rc, 0);
	if (rc)
		return;
	CHECK_EQ_INT(pp.events, K);
	double w = 0;
	int64_t last = _time(u, K - 1);
	for (unsigned k = 0; k < K; k++)
		w += signal_of[(u + k) % 5] * 0.1 *
		    pow(0.95, (double)(last - _time(u, k)) / 86400000.0);
	CHECK_EQ_INT(pp.last_ms, last);
	CHECK_EQ_INT(pp.n_tags, 1);
	CHECK_EQ_INT(pp.n_cats, 1);
	char want[16];
	snprintf(want, sizeof(want), "tag-%u", u % 10);
	if (pp.n_tags == 1) {
		CHECK(strcmp(pp.tags[0].name, want) == 0);
		CHECK_NEAR(pp.tags[0].weight, w, 1e-6 * w);
	}
	if (pp.n_cats == 1)
		CHECK_NEAR(pp.cats[0].weight, w, 1e-6 * w);
	unsigned counts[5] = { 0 };
	for (unsigned k = 0; k < K; k++)
		counts[(u + k) % 5]++;
	CHECK_EQ_INT(pp.counts[PEN_N_VIEW], counts[0]);
	CHECK_EQ_INT(pp.counts[PEN_N_CLICK], counts[1]);
	CHECK_EQ_INT(pp.counts[PEN_N_RSVP], counts[2]);
	CHECK_EQ_INT(pp.counts[PEN_N_SAVE], counts[3]);
	CHECK_EQ_INT(pp.counts[PEN_N_SHARE], counts[4]);
}

/* Checks the sender's interpreter and packages; skips when absent. */
static void _require_sender(bool node, const char *modules)
{
	if (node) {
		char probe[512];
		snprintf(probe, sizeof(probe),
		    "module.paths.unshift('%s'); require('@msgpack/msgpack'); require('msgpackr')",
		    modules);
		const char *js[] = { "/usr/bin/node", "-e", probe, NULL };
		if (access("/usr/bin/node", X_OK) ||
		    hx_runv(NULL, 0, NULL, 0, NULL, 0, js) != 0)
			SKIP(
			    "node with @msgpack/msgpack and msgpackr in %s is not installed (scripts/test.sh installs them)",
			    modules);
		return;
	}
	const char *py[] = { "/usr/bin/python3", "-c", "import msgpack", NULL };
	if (access("/usr/bin/python3", X_OK) ||
	    hx_runv(NULL, 0, NULL, 0, NULL, 0, py) != 0)
		SKIP(
		    "/usr/bin/python3 with python3-msgpack is not installed (scripts/setup.sh installs it)");
}

int main(int argc, char **argv)
{
	bool node = argc > 4 && !strcmp(argv[3], "node");
	const char *modules = node ? argv[4] : NULL;
	_require_sender(node, modules);
	struct ax a;
	const char *extra[] = { "--shards=2", NULL };
	ax_start(&a, node ? "accnode" : "accpy", argc, argv, node ? 7 : 1,
	    extra);
	_catalog(&a);

	char path[256], port[16], out[256], err[4096];
	snprintf(path, sizeof(path), "%s/send.%s", a.h.state_dir,
	    node ? "js" : "py");
	FILE *f = fopen(path, "w");
	REQUIRE(f);
	if (node)
		fprintf(f, "module.paths.unshift('%s');\n", modules);
	fputs(node ? node_script : script, f);
	fclose(f);
	snprintf(port, sizeof(port), "%u", a.port);
	const char *send[] = { node ? "/usr/bin/node" : "/usr/bin/python3",
		path, port, NULL };
	int rc = hx_runv(NULL, 0, out, sizeof(out), err, sizeof(err), send);
	if (rc)
		fprintf(stderr, "sender: %s\n", err);
	REQUIRE(rc == 0);
	unlink(path);
	const unsigned total = NA * K + NB * K + NC * NCU * K;
	char want[32];
	snprintf(want, sizeof(want), "sent %u", total);
	CHECK(strstr(out, want) != NULL);

	CHECK(ax_wait_ctr(&a, REG_C_ACC_EVENTS, total, 20000));
	CHECK(ax_wait_ctr(&a, REG_C_TCP_CLOSED_PEER, NC, 10000));
	CHECK(hx_wait_drained(a.r, 20000));
	CHECK_EQ_INT(ax_get(&a, REG_C_ACC_EVENTS), total);
	CHECK_EQ_INT(ax_get(&a, REG_C_UDP_DATAGRAMS), NA * K + NB * K / 16);
	CHECK_EQ_INT(ax_get(&a, REG_C_UDP_DROPPED), 0);
	CHECK_EQ_INT(ax_get(&a, REG_C_UDP_TRUNCATED), 0);
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_ACCEPTED), NC);
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_CLOSED_PEER), NC);
	CHECK_EQ_INT(ax_get(&a, REG_C_TCP_CLOSED_PARTIAL), 0);
	for (unsigned k = 0; k < EVT_REASON_COUNT; k++)
		CHECK_EQ_INT(ax_get(&a, REG_C_REJECT0 + k), 0);
	struct pen_stats st;
	pen_stats_read(a.p, &st);
	CHECK_EQ_INT(st.applied, total);
	CHECK_EQ_INT(st.unknown_entity, 0);

	char id[32];
	for (unsigned u = 0; u < NA; u++) {
		snprintf(id, sizeof(id), "pa-%u", u);
		_check_user(&a, id, u);
	}
	for (unsigned u = 0; u < NB; u++) {
		snprintf(id, sizeof(id), "pb-%u", u);
		_check_user(&a, id, u);
		struct pen_profile pp;
		if (pen_profile_read(a.p, id, strlen(id), &pp, 0) == 0)
			CHECK_EQ_INT(pp.devices[1], K); /* iPhone -> mobile */
	}
	for (unsigned c = 0; c < NC; c++)
		for (unsigned u = 0; u < NCU; u++) {
			snprintf(id, sizeof(id), "pc%u-%u", c, u);
			_check_user(&a, id, u);
		}

	char sout[16384];
	CHECK_EQ_INT(hx_cli(&a.h, NULL, 0, sout, sizeof(sout), NULL, 0,
			 "status", NULL),
	    0);
	CHECK(strstr(sout, "acceptor: up") != NULL);
	CHECK(strstr(sout, "udp: 264 datagrams") != NULL);
	CHECK_EQ_INT(hx_cli(&a.h, NULL, 0, sout, sizeof(sout), NULL, 0,
			 "status", "--json", NULL),
	    0);
	snprintf(want, sizeof(want), "\"events\":%u", total);
	CHECK(strstr(sout, "\"acceptor\":{\"running\":true") != NULL);
	CHECK(strstr(sout, want) != NULL);
	ax_finish(&a);
	return check_done("it_acceptor_python");
}
