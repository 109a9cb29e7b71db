#!/usr/bin/python3
"""Third-party forward-protocol clients for tests/ipc/test_forward_interop.c
and tests/integration/it_forward.c.

Usage: forward_client.py interop PORT
    1. Debian's python3-fluent-logger (fluent.sender.FluentSender, Message
       mode; it has no ack option) sends 5 events with integer times and 5
       with EventTime (nanosecond_precision=True), users fl-int / fl-ns.
    2. A python3-msgpack client sends Message, Forward, PackedForward and
       CompressedPackedForward messages with a "chunk" option (base64 of
       16 random bytes, as Fluentd's out_forward makes it) and requires the
       answer to unpack to exactly {"ack": chunk}, users ack-<mode>.
  Exit 0 when every ack matched, 1 otherwise, 77 when a module is missing.

Usage: forward_client.py dup PORT
    Against the acceptor (not fwd_stream alone: it needs the dedup set):
    a Forward message of 3 events for user dup-chunk with a chunk option,
    acked, then the very same bytes resent twice on new connections (as a
    client does when an ack is lost): each resend must be acked again and
    its events not applied twice (the test expects 3 events). An empty
    Forward message with a chunk is acked too, twice.
  Exit 0 when every ack matched, 1 otherwise, 77 when a module is missing.

Usage: forward_client.py resend PORT USERS EVENTS_PER_CHUNK CHUNKS LOG
    At-least-once sender for the integration test: PackedForward chunks
    with acks; on a connection error or a missing ack it reconnects and
    resends the same chunk (same id) until acked. Appends "ACKED chunk
    first_seq n" to LOG for each acked chunk. Event e of the run goes to
    user "r<e % USERS>" with entity "x<e>".

Usage: forward_client.py limits FWD_PORT TCP_PORT
    The per-event shape rules (depth 8 counted from each record, 64 keys
    per map) on both ports. One forward connection: Forward, PackedForward
    and Message messages with a chunk, each holding records of depth 8
    (users d8-<mode>, applied), depth 9 (d9-<mode>, rejected) and a plain
    one (ok-<mode>); a Forward message with a 65-key record (k65-fwd). Every
    message must be acked on the same connection. Then plain TCP, one
    connection: d8-tcp, d9-tcp, k65-tcp, ok-tcp (the last proves the
    connection survived the rejections).
  Exit 0 when every ack matched, 1 otherwise, 77 when a module is missing.

Usage: forward_client.py auth PORT KEY SERVER_HOSTNAME
    The shared-key handshake of the forward protocol v1, written from the
    specification (Fluentd's wiki, "Forward Protocol Specification v1",
    section Handshake Messages), against a server configured with KEY:
      ok       HELO read, PING with the right digest, PONG checked (auth
               true, SERVER_HOSTNAME, the server's digest recomputed
               here), then a Forward message of 3 events for auth-ok,
               acked;
      pipe     PING and a chunked Message (auth-pipe) in one write, acked;
      wrong    PING with a digest of another key: PONG auth false, the
               connection closed; a message sent with it (auth-wrong)
               must never be applied;
      noping   a chunked Message right after HELO (auth-noping): closed,
               not applied, no ack;
      garbage  bytes that are not msgpack instead of PING: closed;
      badping  ["PING", 1, 2, 3, 4, 5]: PONG auth false, closed.
  Exit 0 when every step behaved, 1 otherwise, 77 when a module is missing.

Run it with /usr/bin/python3: that interpreter sees Debian's packages.
"""
import base64
import gzip
import hashlib
import os
import socket
import sys
import time

try:
    import msgpack
except ImportError:
    sys.exit(77)

T0 = 1700000000


def rec(user, entity="e1", etype="click"):
    return {"user_id": user, "event_type": etype, "entity_id": entity}


def event_time(sec, ns):
    return msgpack.ExtType(0, sec.to_bytes(4, "big") + ns.to_bytes(4, "big"))


def chunk_id():
    return base64.b64encode(os.urandom(16)).decode()


def read_ack(sock):
    unpacker = msgpack.Unpacker(raw=False)
    sock.settimeout(5.0)
    while True:
        data = sock.recv(4096)
        if not data:
            raise ConnectionError("closed before the ack")
        unpacker.feed(data)
        for obj in unpacker:
            return obj


def interop(port):
    try:
        from fluent import sender
    except ImportError:
        sys.exit(77)
    # 1. fluent-logger, Message mode.
    s = sender.FluentSender("app", host="127.0.0.1", port=port)
    for i in range(5):
        if not s.emit_with_time("int", T0 + i, rec("fl-int")):
            print("fluent-logger emit failed:", s.last_error)
            return 1
    s.close()
    s = sender.FluentSender("app", host="127.0.0.1", port=port,
                            nanosecond_precision=True)
    for i in range(5):
        if not s.emit_with_time("ns", T0 + i + 0.25, rec("fl-ns")):
            print("fluent-logger emit failed:", s.last_error)
            return 1
    s.close()

    # 2. chunk acks, every mode.
    sock = socket.create_connection(("127.0.0.1", port))
    entries = [[T0 + i, rec("ack-forward")] for i in range(3)]
    packed = b"".join(msgpack.packb([event_time(T0 + i, 0), rec("ack-packed")])
                      for i in range(3))
    zpacked = gzip.compress(b"".join(
        msgpack.packb([T0 + i, rec("ack-gzip")]) for i in range(3)))
    msgs = []
    c = chunk_id()
    msgs.append((c, ["app.m", T0, rec("ack-message"), {"chunk": c}]))
    c = chunk_id()
    msgs.append((c, ["app.f", entries, {"chunk": c, "size": 3}]))
    c = chunk_id()
    msgs.append((c, ["app.p", packed, {"chunk": c, "size": 3}]))
    c = chunk_id()
    msgs.append((c, ["app.z", zpacked,
                     {"chunk": c, "size": 3, "compressed": "gzip"}]))
    bad = 0
    for c, m in msgs:
        sock.sendall(msgpack.packb(m, use_bin_type=True))
        ack = read_ack(sock)
        if ack != {"ack": c}:
            print("bad ack", ack, "for", c)
            bad += 1
    sock.close()
    print("acks checked:", len(msgs), "bad:", bad)
    return 1 if bad else 0


def dup(port):
    c = chunk_id()
    msg = msgpack.packb(["app.d", [[T0 + i, rec("dup-chunk")] for i in range(3)],
                         {"chunk": c, "size": 3}], use_bin_type=True)
    e = chunk_id()
    empty = msgpack.packb(["app.e", [], {"chunk": e}], use_bin_type=True)
    bad = 0
    for _ in range(3):
        for cid, m in ((c, msg), (e, empty)):
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(m)
                ack = read_ack(sock)
                if ack != {"ack": cid}:
                    print("bad ack", ack, "for", cid)
                    bad += 1
    print("duplicate chunks acked:", 6, "bad:", bad)
    return 1 if bad else 0


def nest(levels, user):
    """A record whose own nesting is `levels` (the record map is 1)."""
    r = rec(user)
    for _ in range(levels - 1):
        r = {"context": r}
    return r


def wide(user, keys):
    r = rec(user)
    r.update({"k%d" % i: i for i in range(keys - len(r))})
    return r


def limits(fport, tport):
    bad = 0
    with socket.create_connection(("127.0.0.1", fport)) as sock:
        msgs = []
        c = chunk_id()
        msgs.append((c, ["lim.f", [[T0, nest(8, "d8-fwd")],
                                   [T0 + 1, nest(9, "d9-fwd")],
                                   [T0 + 2, rec("ok-fwd")]], {"chunk": c}]))
        c = chunk_id()
        packed = b"".join(msgpack.packb([T0, r]) for r in (
            nest(8, "d8-pk"), nest(9, "d9-pk"), rec("ok-pk")))
        msgs.append((c, ["lim.p", packed, {"chunk": c}]))
        for user, levels in (("d8-msg", 8), ("d9-msg", 9), ("ok-msg", 1)):
            c = chunk_id()
            msgs.append((c, ["lim.m", T0, nest(levels, user), {"chunk": c}]))
        c = chunk_id()
        msgs.append((c, ["lim.k", [[T0, wide("k65-fwd", 65)],
                                   [T0, wide("k64-fwd", 64)]],
                         {"chunk": c}]))
        for c, m in msgs:
            sock.sendall(msgpack.packb(m, use_bin_type=True))
            ack = read_ack(sock)
            if ack != {"ack": c}:
                print("bad ack", ack, "for", c)
                bad += 1
    with socket.create_connection(("127.0.0.1", tport)) as sock:
        for r in (nest(8, "d8-tcp"), nest(9, "d9-tcp"), wide("k65-tcp", 65),
                  rec("ok-tcp")):
            r["timestamp"] = T0 * 1000
            sock.sendall(msgpack.packb(r, use_bin_type=True))
    print("limits: forward messages acked:", len(msgs), "bad:", bad)
    return 1 if bad else 0


def read_obj(sock, unpacker):
    """The next msgpack object from sock, None when the peer closed."""
    sock.settimeout(5.0)
    while True:
        for obj in unpacker:
            return obj
        try:
            data = sock.recv(4096)
        except ConnectionResetError:
            return None
        if not data:
            return None
        unpacker.feed(data)


def hexdigest(*parts):
    h = hashlib.sha512()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode())
    return h.hexdigest()


def closed(sock, unpacker):
    """True when the server closes without sending anything more."""
    try:
        return read_obj(sock, unpacker) is None
    except socket.timeout:
        return False


def auth(port, key, server_host):
    bad = []
    client_host = "client.test"

    def helo(sock, unpacker):
        m = read_obj(sock, unpacker)
        if (not isinstance(m, list) or len(m) != 2 or m[0] != "HELO"
                or not isinstance(m[1], dict) or "nonce" not in m[1]):
            raise ValueError("not a HELO: %r" % (m,))
        nonce = m[1]["nonce"]
        if not isinstance(nonce, bytes) or len(nonce) < 16:
            raise ValueError("bad nonce %r" % (nonce,))
        if m[1].get("auth", "") not in ("", b""):
            raise ValueError("server asks for user auth")
        return nonce

    def ping(nonce, k):
        salt = os.urandom(16).hex()
        return salt, ["PING", client_host, salt,
                      hexdigest(salt, client_host, nonce, k), "", ""]

    def connect():
        sock = socket.create_connection(("127.0.0.1", port))
        return sock, msgpack.Unpacker(raw=False)

    # ok
    sock, up = connect()
    nonce = helo(sock, up)
    salt, p = ping(nonce, key)
    sock.sendall(msgpack.packb(p, use_bin_type=True))
    pong = read_obj(sock, up)
    want = hexdigest(salt, server_host, nonce, key)
    if pong != ["PONG", True, "", server_host, want]:
        bad.append("ok: PONG %r" % (pong,))
    c = chunk_id()
    sock.sendall(msgpack.packb(["auth.ok", [[T0 + i, rec("auth-ok")]
                                            for i in range(3)],
                                {"chunk": c}], use_bin_type=True))
    if read_obj(sock, up) != {"ack": c}:
        bad.append("ok: no ack")
    sock.close()

    # pipe: PING and a message in one write
    sock, up = connect()
    nonce = helo(sock, up)
    salt, p = ping(nonce, key)
    c = chunk_id()
    sock.sendall(msgpack.packb(p, use_bin_type=True) +
                 msgpack.packb(["auth.p", T0, rec("auth-pipe"),
                                {"chunk": c}], use_bin_type=True))
    pong = read_obj(sock, up)
    if not (isinstance(pong, list) and pong[:2] == ["PONG", True]):
        bad.append("pipe: PONG %r" % (pong,))
    if read_obj(sock, up) != {"ack": c}:
        bad.append("pipe: no ack")
    sock.close()

    # wrong key, with a message right behind the PING
    sock, up = connect()
    nonce = helo(sock, up)
    salt, p = ping(nonce, key + "-not")
    sock.sendall(msgpack.packb(p, use_bin_type=True) +
                 msgpack.packb(["auth.w", T0, rec("auth-wrong"),
                                {"chunk": chunk_id()}], use_bin_type=True))
    pong = read_obj(sock, up)
    if not (isinstance(pong, list) and len(pong) == 5 and
            pong[0] == "PONG" and pong[1] is False and pong[4] == ""):
        bad.append("wrong: PONG %r" % (pong,))
    if not closed(sock, up):
        bad.append("wrong: not closed")
    sock.close()

    # noping, garbage, badping: refused, closed
    for name, data in (
            ("noping", msgpack.packb(["auth.n", T0, rec("auth-noping"),
                                      {"chunk": chunk_id()}])),
            ("garbage", b"\xc1garbage\x00\xff"),
            ("badping", msgpack.packb(["PING", 1, 2, 3, 4, 5]))):
        sock, up = connect()
        helo(sock, up)
        sock.sendall(data)
        m = read_obj(sock, up)
        if m is not None and not (isinstance(m, list) and m[:2] == ["PONG",
                                                                    False]):
            bad.append("%s: answered %r" % (name, m))
        if m is not None and not closed(sock, up):
            bad.append("%s: not closed" % name)
        sock.close()
    for b in bad:
        print("auth:", b)
    print("auth: 6 handshakes, bad:", len(bad))
    return 1 if bad else 0


def resend(port, users, per_chunk, chunks, log):
    seq = 0
    sock = None
    with open(log, "a") as out:
        for n in range(chunks):
            c = "chunk-%06d-%s" % (n, chunk_id())
            entries = []
            for i in range(per_chunk):
                e = seq + i
                entries.append(msgpack.packb(
                    [T0 + e % 86400, rec("r%d" % (e % users), "x%d" % e)]))
            msg = msgpack.packb(["it.forward", b"".join(entries),
                                 {"chunk": c, "size": per_chunk}],
                                use_bin_type=True)
            deadline = time.time() + 60
            while True:
                try:
                    if sock is None:
                        sock = socket.create_connection(("127.0.0.1", port),
                                                        timeout=2.0)
                    sock.sendall(msg)
                    ack = read_ack(sock)
                    if ack == {"ack": c}:
                        break
                    raise ConnectionError("wrong ack %r" % (ack,))
                except (OSError, ConnectionError):
                    if sock is not None:
                        sock.close()
                    sock = None
                    if time.time() > deadline:
                        print("gave up on", c)
                        return 1
                    time.sleep(0.05)
            out.write("ACKED %s %d %d\n" % (c, seq, per_chunk))
            out.flush()
            seq += per_chunk
    if sock is not None:
        sock.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "interop":
        sys.exit(interop(int(sys.argv[2])))
    if len(sys.argv) >= 3 and sys.argv[1] == "dup":
        sys.exit(dup(int(sys.argv[2])))
    if len(sys.argv) >= 5 and sys.argv[1] == "auth":
        sys.exit(auth(int(sys.argv[2]), sys.argv[3], sys.argv[4]))
    if len(sys.argv) >= 4 and sys.argv[1] == "limits":
        sys.exit(limits(int(sys.argv[2]), int(sys.argv[3])))
    if len(sys.argv) >= 7 and sys.argv[1] == "resend":
        sys.exit(resend(int(sys.argv[2]), int(sys.argv[3]),
                        int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]))
    print(__doc__)
    sys.exit(2)
