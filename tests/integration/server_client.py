#!/usr/bin/python3
"""Clients of the rank API server for tests/integration/it_server.c, with
nothing but Debian's python3 and python3-msgpack.

  server_client.py http URL [BODY_FILE]
      GET (or POST BODY_FILE) with urllib.request; prints the status on
      the first line and the body after it.
  server_client.py mp HOST PORT REQUESTS_FILE [garbage]
      REQUESTS_FILE is a JSON array of request maps (NaN allowed). Sends
      them all on one connection at once, reads one answer per request
      and prints each as a JSON line, in the order they came. Then prints
      "open" when the connection still answers, or, with "garbage", sends
      a byte that is not msgpack and prints "closed" when the server
      closes the connection.
"""
import json
import socket
import sys
import urllib.error
import urllib.request

import msgpack


def http(url, body_file=None):
    data = None
    if body_file:
        with open(body_file, "rb") as f:
            data = f.read()
    req = urllib.request.Request(url, data=data, method="POST" if data
                                 is not None else "GET")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    sys.stdout.write("%d\n" % status)
    sys.stdout.write(body.decode("utf-8"))


def mp(host, port, requests_file, garbage=False):
    with open(requests_file) as f:
        reqs = json.load(f)
    s = socket.create_connection((host, int(port)), timeout=10)
    s.sendall(b"".join(msgpack.packb(r, use_bin_type=True) for r in reqs))
    unp = msgpack.Unpacker(raw=False)
    got = []
    while len(got) < len(reqs):
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("the server closed the connection early")
        unp.feed(chunk)
        got.extend(unp)
    for g in got:
        sys.stdout.write(json.dumps(g, sort_keys=True) + "\n")
    if garbage:
        s.sendall(b"\xc1")
        closed = s.recv(16) == b""
        sys.stdout.write("closed\n" if closed else "still open\n")
    else:
        # one more request proves the connection is still served
        s.sendall(msgpack.packb({"user_id": "u"}))
        unp.feed(s.recv(65536))
        sys.stdout.write("open\n" if list(unp) else "no answer\n")
    s.close()


if __name__ == "__main__":
    if sys.argv[1] == "http":
        http(*sys.argv[2:])
    else:
        mp(sys.argv[2], sys.argv[3], sys.argv[4],
           len(sys.argv) > 5 and sys.argv[5] == "garbage")
