#!/usr/bin/python3
"""it_dash: the rank API server's monitoring side through a real penchantd
on free loopback ports, fed by `penchant demo`, a few rankings with their
impressions and clicks, and a few bad events.

- metrics: GET /metrics passes `promtool check metrics` (Debian's
  prometheus package; skipped, 77, without it); the numbers equal
  `penchant status --json` (applied, rejects by reason, profiles per
  shard, process health); the rerank and HTTP latency histograms counted
  the rankings; serving outcomes by strategy; a real `prometheus` (when
  installed) scrapes it once and answers a query with the same total.
- api: /api/status is `penchant status --json` (applied_per_s and the
  open HTTP connections aside),
  /api/segments is `penchant segments --json` after a refresh,
  /api/experiments equals `penchant experiments --json`, /api/serving counts the
  impressions and clicks sent, /api/insights agrees with the users'
  `penchant profile --json` (verb counts, engagement, drift, sessions),
  /api/history samples every second and its last sample has every
  applied event; wrong methods get 405, unknown paths 404; the page and
  its files are served with their types.

- browser: headless Chromium (python3-selenium, chromium-driver; skipped,
  77, without them) loads the dashboard, waits for its charts, and the
  numbers it shows (element ids and data-value attributes) equal
  `penchant status --json` and `penchant segments --json` taken with the
  traffic stopped; a screenshot goes to ARTIFACT_DIR/dashboard.png.

Usage: it_dash.py PENCHANTD PENCHANT MODE [ARTIFACT_DIR]
Exit 0 pass, 1 fail, 77 skip.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def free_port():
    """A loopback port the kernel hands out (ephemeral bind)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, body=None):
    req = urllib.request.Request(url, data=body,
                                 method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


class Daemon:
    """penchantd on its own instance, state dir and free HTTP port."""

    def __init__(self, exe, pen, d, name):
        self.pen, self.inst = pen, name
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(d, name + ".log"), "a")
        self.proc = subprocess.Popen(
            [exe, "--instance", name, "--state-dir",
             os.path.join(d, "state"), "--shards", "2",
             "--udp-listen=", "--tcp-listen=", "--forward-listen=",
             "--http-listen=127.0.0.1:%d" % self.port, "--rank-listen=",
             "--segment-interval-s=0", "--no-snapshot"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(600):
            try:
                if http(self.base + "/v1/health")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("penchantd did not serve HTTP; log in " + d)

    def cli(self, *args, **kw):
        return run([self.pen, "--instance", self.inst] + list(args), **kw)

    def status(self):
        return json.loads(self.cli("status", "--json").stdout)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


RANK = {"user_id": "demo-user-3", "context": {"device": "mobile"},
        "candidates": [{"entity_id": "jazz-night", "score": 1.0},
                       {"entity_id": "kayak-tour", "score": 1.0},
                       {"entity_id": "stadium-tour", "score": 0.9}]}


def traffic(d, ranks=12):
    """The demo, rankings with impressions and clicks, a few bad events."""
    r = d.cli("demo", "--users", "400", "--events", "40000", "--serve", "0")
    check(r.returncode == 0, "penchant demo: " + r.stderr.strip()[-200:])
    a = d.cli("audit", "show", "--action", "catalog_load").stdout
    check("(demo catalog) loaded=20" in a,
          "the demo's catalog load is audited: " + a.strip()[-200:])
    now = int(time.time() * 1000)
    lines = []
    for i in range(ranks):
        body = dict(RANK, options={"strategy": ["full", "profile",
                                                 "context"][i % 3],
                                   "seed": i + 1})
        st, _, out = http(d.base + "/v1/rank", json.dumps(body).encode())
        check(st == 200, "POST /v1/rank %d -> %d" % (i, st))
        ans = json.loads(out)
        for pos, res in enumerate(ans["results"]):
            lines.append({"user_id": "demo-user-3",
                          "event_type": "impression",
                          "entity_id": res["entity_id"],
                          "request_id": ans["request_id"],
                          "timestamp": now,
                          "metadata": {"recommendationPosition": pos + 1}})
        lines.append({"user_id": "demo-user-3", "event_type": "click",
                      "entity_id": ans["results"][0]["entity_id"],
                      "request_id": ans["request_id"], "timestamp": now + 1,
                      "metadata": {"recommendationPosition": 1}})
    text = "".join(json.dumps(e) + "\n" for e in lines)
    text += '{"user_id":"x","event_type":"teleport","entity_id":"e"}\n'
    text += '{"user_id":"x","event_type":"view"}\n'
    r = d.cli("send", input=text)
    check(r.returncode == 1, "send: 2 bad lines refused (exit %d)"
          % r.returncode)


def wait_drained(d):
    """Status once every published event is applied (traffic stopped)."""
    for _ in range(400):
        st = d.status()
        if sum(p["published"] for p in st["producers"]) == st["applied"]:
            return st
        time.sleep(0.05)
    check(False, "every published event applied")
    return d.status()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """Samples as (name, {labels}, value); our own reading, for the test."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            check(False, "sample line parses: " + line)
            continue
        labels = {k: re.sub(r'\\(.)', lambda x: {"n": "\n"}.get(
            x.group(1), x.group(1)), v)
            for k, v in LABEL.findall(m.group(3) or "")}
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def total(samples, name, **match):
    return sum(v for n, lab, v in samples if n == name and
               all(lab.get(k) == w for k, w in match.items()))


def prometheus_once(d, text, tmp):
    """A real prometheus scrapes /metrics once; its answer to a query."""
    exe = shutil.which("prometheus")
    if not exe:
        print("skip: no prometheus binary (a real scrape is optional)")
        return
    port = free_port()
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n"
                "  - job_name: penchant\n    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % d.port)
    log = open(os.path.join(tmp, "prometheus.log"), "w")
    p = subprocess.Popen([exe, "--config.file=" + cfg,
                          "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"),
                          "--web.listen-address=127.0.0.1:%d" % port],
                         stdout=log, stderr=log)
    want = total(parse(text), "penchant_applied_total")
    got = None
    try:
        q = ("http://127.0.0.1:%d/api/v1/query?query=sum(penchant_applied_total)"
             % port)
        for _ in range(300):
            time.sleep(0.2)
            try:
                st, _, body = http(q)
                # A prometheus still starting may answer with an empty
                # or partial body: ask again.
                res = json.loads(body).get("data", {}).get("result", [])
            except (OSError, ValueError, AttributeError):
                continue
            if st == 200 and res:
                got = float(res[0]["value"][1])
                break
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    check(got == want, "prometheus scraped it: sum(penchant_applied_total)"
          " = %s (want %s)" % (got, want))


def mode_metrics(d, tmp):
    promtool = shutil.which("promtool")
    if not promtool:
        print("SKIP: promtool is not installed (Debian package prometheus;"
              " scripts/setup.sh installs it)")
        return 77
    traffic(d)
    wait_drained(d)
    code, ctype, body = http(d.base + "/metrics")
    text = body.decode()
    st = d.status()
    check(code == 200, "GET /metrics -> 200")
    check(ctype.startswith("text/plain; version=0.0.4"),
          "content type " + ctype)
    r = run([promtool, "check", "metrics"], input=text)
    check(r.returncode == 0, "promtool check metrics: %s %s"
          % (r.stdout.strip()[-300:], r.stderr.strip()[-300:]))
    s = parse(text)
    up = {(lab.get("role"), lab.get("index")) for n, lab, v in s
          if n == "penchant_process_up" and v == 1}
    ready = {(lab.get("role"), lab.get("index")): v for n, lab, v in s
             if n == "penchant_process_ready" and
             (lab.get("role"), lab.get("index")) in up}
    check(ready and all(v == 1 for v in ready.values()) and
          any(r == "supervisor" for r, _ in ready),
          "every process up, the supervisor too, is ready: %s" % ready)
    check(total(s, "penchant_applied_total") == st["applied"],
          "applied %d = status %d" % (total(s, "penchant_applied_total"),
                                      st["applied"]))
    for reason, n in st["rejected"].items():
        got = total(s, "penchant_rejected_total", reason=reason)
        if got != n or n:
            check(got == n, "rejected %s %d = status %d" % (reason, got, n))
    check(sum(st["rejected"].values()) >= 2, "the bad events were counted")
    for shard, n in enumerate(st["shard_profiles"]):
        check(total(s, "penchant_profiles", shard=str(shard)) == n,
              "shard %d profiles %d" % (shard, n))
    for p in st["processes"]:
        lab = {"role": p["role"], "index": str(p["index"])}
        check(total(s, "penchant_process_up", **lab) == (1 if p["pid"] else 0),
              "process_up %s %s" % (p["role"], p["index"]))
        check(total(s, "penchant_process_restarts_total", **lab) ==
              max(p["starts"] - 1, 0), "restarts %s %s"
              % (p["role"], p["index"]))
    check(total(s, "penchant_http_rank_total") == st["server"]["http_rank"],
          "http_rank counter = status")
    check(total(s, "penchant_rerank_duration_seconds_count") >= 12,
          "rerank histogram counted 12 rankings")
    check(total(s, "penchant_http_request_duration_seconds_count",
                route="rank") >= 12, "HTTP latency of route rank counted")
    check(total(s, "penchant_serving_impressions_total") >= 12,
          "impressions attributed: %d"
          % total(s, "penchant_serving_impressions_total"))
    check(total(s, "penchant_serving_clicks_total", strategy="full") >= 1,
          "clicks attributed to strategy full")
    check(total(s, "penchant_profile_events") == st["applied"],
          "events by verb in the profiles sum to applied")
    helps = set(re.findall(r'^# HELP (\S+) ', text, re.M))
    types = re.findall(r'^# TYPE (\S+) ', text, re.M)
    check(len(types) == len(set(types)) and set(types) == helps,
          "one HELP and one TYPE per family (%d)" % len(types))
    prometheus_once(d, text, tmp)
    return 0


def api_json(d, path):
    code, ctype, body = http(d.base + path)
    check(code == 200 and ctype.startswith("application/json"),
          "GET %s -> %d %s" % (path, code, ctype))
    return json.loads(body)


def drop_key(x, key):
    """Removes key from every dict nested in x."""
    if isinstance(x, dict):
        x.pop(key, None)
        for v in x.values():
            drop_key(v, key)
    elif isinstance(x, list):
        for v in x:
            drop_key(v, key)


def profiles_of(d, users):
    """The users' profiles through the rank API's GET /v1/profile (the
    same JSON as `penchant profile --json`, which it_server compares; a
    process a user is minutes under the sanitizers)."""
    out = []
    for u in users:
        code, _, body = http(d.base + "/v1/profile/" +
                             urllib.parse.quote(u, safe=""))
        if code == 200:
            out.append(json.loads(body))
        else:
            check(code == 404, "GET /v1/profile/%s -> %d" % (u, code))
    cli = json.loads(d.cli("profile", users[-1], "--json").stdout)
    check(out and out[-1] == cli, "GET /v1/profile/%s = penchant profile "
          "--json" % users[-1])
    return out


def mode_api(d, tmp):
    traffic(d, ranks=6)
    wait_drained(d)
    r = d.cli("segments", "--refresh")
    check(r.returncode == 0, "segments --refresh: " + r.stderr.strip())
    time.sleep(1.5)  # a history sample after the last event
    cli = d.status()
    api = api_json(d, "/api/status")
    for x in (cli, api):
        x.pop("applied_per_s")
        # the request being answered is an open HTTP connection
        drop_key(x, "http_connections")
    check(api == cli, "/api/status = penchant status --json")
    if api != cli:
        for k in cli:
            if cli[k] != api.get(k):
                print("  differs: %s: %s vs %s" % (k, cli[k], api.get(k)))
    seg_cli = json.loads(d.cli("segments", "--json").stdout)
    seg_api = api_json(d, "/api/segments")
    check(seg_api == seg_cli and seg_api["k"] > 0,
          "/api/segments = penchant segments --json (k %d)" % seg_api["k"])
    ex = api_json(d, "/api/experiments")
    exc = json.loads(subprocess.run(
        [d.pen, "--instance", d.inst, "experiments", "--json"],
        capture_output=True, text=True).stdout)
    check(ex == exc and ex["experiments"] == [],
          "/api/experiments equals `penchant experiments --json` (none yet)")
    sv = api_json(d, "/api/serving")
    imp = sum(x["impressions"] for x in sv["strategies"])
    clk = sum(x["clicks"] for x in sv["strategies"])
    check(imp == 6 * 3 and clk == 6, "serving: %d impressions (18), %d "
          "clicks (6)" % (imp, clk))
    full = [x for x in sv["strategies"] if x["strategy"] == "full"][0]
    check(full["positions"] and full["positions"][0]["position"] == 1 and
          full["positions"][0]["clicks"] == 2, "serving: full, position 1,"
          " 2 clicks: %s" % full["positions"][:1])
    ins = api_json(d, "/api/insights")
    users = ["demo-user-%d" % i for i in range(400)] + ["demo-user-3"]
    profs = {p["user"]: p for p in profiles_of(d, users)}.values()
    check(ins["profiles"] == sum(cli["shard_profiles"]) == len(profs) and
          not ins["sampled"], "insights over all %d profiles"
          % ins["profiles"])
    for verb, n in ins["verbs"].items():
        want = sum(p["counts"].get(verb, 0) for p in profs)
        if n != want or n:
            check(n == want, "verb %s: %d = profiles' %d" % (verb, n, want))
    check(ins["events"] == cli["applied"], "insights events = applied")
    for level, n in ins["engagement"].items():
        want = sum(p["behavior"]["engagement"] == level for p in profs)
        check(n == want, "engagement %s: %d = %d" % (level, n, want))
    check(ins["drift"]["drifting"] == sum(bool(p["drifting"])
                                          for p in profs),
          "drifting users %d" % ins["drift"]["drifting"])
    check(ins["sessions"]["total"] == sum(p["behavior"]["sessions"]
                                          for p in profs),
          "sessions %d" % ins["sessions"]["total"])
    f = ins["funnel"]
    check(f["views"] == ins["verbs"]["view"] and f["clicks"] ==
          ins["verbs"]["click"], "funnel from the verb counts")
    check(len(ins["top_interests"]) == 10 and
          ins["top_interests"][0]["weight"] >=
          ins["top_interests"][-1]["weight"] and
          ins["top_interests"][0]["name"], "top interests named, by weight")
    check(sum(c["users"] for c in ins["cohorts"]) == len(profs),
          "cohorts hold every user (the demo spans 30 days)")
    check(all(c["retention"][0] == 1.0 for c in ins["cohorts"]
              if c["users"]), "retention starts at 1")
    hist = api_json(d, "/api/history")
    sm = hist["samples"]
    check(len(sm) >= 2 and all(b["t_ms"] > a["t_ms"]
                               for a, b in zip(sm, sm[1:])),
          "history: %d samples in order" % len(sm))
    check(sm[-1]["applied"] == cli["applied"] and sm[-1]["rejected"] ==
          sum(cli["rejected"].values()), "history: last sample = status")
    check(max(x["applied_per_s"] for x in sm) > 0, "history: a rate > 0")
    for path, want in (("/api/status", 405), ("/metrics", 405)):
        code, _, body = http(d.base + path, b"{}")
        check(code == want and b"method_not_allowed" in body,
              "POST %s -> %d" % (path, code))
    code, _, _ = http(d.base + "/api/nothing")
    check(code == 404, "GET /api/nothing -> 404")
    for path, typ in (("/", "text/html"), ("/dashboard", "text/html"),
                      ("/static/dash.js", "text/javascript"),
                      ("/static/uPlot.iife.min.js", "text/javascript"),
                      ("/static/uPlot.min.css", "text/css")):
        code, ctype, body = http(d.base + path)
        check(code == 200 and ctype.startswith(typ) and body,
              "GET %s -> %d %s" % (path, code, ctype))
    caching(d)
    return 0


def head_of(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def caching(d):
    """Personal data and live numbers are never kept by a browser or a
    proxy; the dashboard's files are kept and revalidated by ETag (304
    with no body when unchanged); every answer limits what a page may
    load to this server's own files."""
    for path in ("/api/status", "/metrics", "/v1/health",
                 "/v1/profile/nobody", "/api/nothing"):
        code, h, _ = head_of(d.base + path)
        check(h.get("Cache-Control") == "no-store" and not h.get("ETag"),
              "GET %s -> %d Cache-Control %s" % (path, code,
                                                h.get("Cache-Control")))
        check("default-src 'self'" in h.get("Content-Security-Policy", "")
              and "frame-ancestors 'none'" in
              h.get("Content-Security-Policy", ""),
              "GET %s: CSP %s" % (path, h.get("Content-Security-Policy")))
    tags = set()
    for path in ("/static/dash.js", "/static/uPlot.min.css", "/dashboard"):
        code, h, body = head_of(d.base + path)
        tag = h.get("ETag", "")
        cc = h.get("Cache-Control")
        check(code == 200 and cc == "no-cache" and len(tag) == 18 and
              tag[0] == tag[-1] == '"', "GET %s -> %d ETag %s, %s" %
              (path, code, tag, cc))
        tags.add(tag)
        for inm, want in ((tag, 304), ("W/" + tag, 304),
                          ('"0000000000000000", ' + tag, 304), ("*", 304),
                          ('"0000000000000000"', 200), (tag[:-2] + '"', 200)):
            code, h2, body2 = head_of(d.base + path,
                                      {"If-None-Match": inm})
            check(code == want and (want == 200 or (body2 == b"" and
                                    h2.get("ETag") == tag)),
                  "GET %s If-None-Match %s -> %d (want %d)" %
                  (path, inm, code, want))
    check(len(tags) == 3, "each file its own ETag: %s" % sorted(tags))


CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
DRIVER = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]


def browser():
    """A headless Chromium under selenium, or None (skip) when missing."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    exe = next((p for p in CHROMIUM if os.access(p, os.X_OK)), None)
    drv = next((p for p in DRIVER if os.access(p, os.X_OK)), None)
    if not exe or not drv:
        return None
    opts = webdriver.ChromeOptions()
    opts.binary_location = exe
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--window-size=1500,2300",
              "--hide-scrollbars"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(drv), options=opts)


def wait_for(fn, what, seconds=30):
    end = time.time() + seconds
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except Exception:  # the page may be between renders
            pass
        time.sleep(0.1)
    check(False, "waited for " + what)
    return None


def mode_browser(d, tmp, artifacts):
    drv = browser()
    if not drv:
        print("SKIP: chromium, chromium-driver and python3-selenium are "
              "needed (scripts/setup.sh installs them)")
        return 77
    try:
        traffic(d, ranks=9)
        wait_drained(d)
        d.cli("segments", "--refresh")
        time.sleep(1.2)  # a history sample with the traffic stopped
        t0 = time.time()
        drv.get(d.base + "/dashboard")
        body = lambda k: drv.find_element("tag name", "body") \
            .get_attribute("data-" + k)
        wait_for(lambda: body("ready") == "1", "the first render")
        charts = wait_for(lambda: len(drv.find_elements(
            "css selector", ".uplot canvas")) >= 3, "three charts drawn")
        check(bool(charts), "charts rendered (uPlot canvases)")
        # one more refresh, then read page and CLI at the same moment
        n = int(body("refreshes"))
        wait_for(lambda: int(body("refreshes")) > n, "a second refresh")
        st = d.status()
        sg = json.loads(d.cli("segments", "--json").stdout)
        val = lambda i: drv.find_element("id", i).get_attribute("data-value")
        check(val("applied") == str(st["applied"]),
              "page applied %s = status %d" % (val("applied"), st["applied"]))
        check(val("profiles") == str(sum(st["shard_profiles"])),
              "page profiles %s" % val("profiles"))
        for i, n in enumerate(st["shard_profiles"]):
            check(val("shard-profiles-%d" % i) == str(n),
                  "page shard %d profiles %s" % (i, n))
        check(val("catalog") == str(st["catalog"]), "page catalog")
        # The segmenter's neighbour pass runs on its own after the
        # refresh (seconds later under the sanitizers): a page drawn
        # before it showed the old count. Equal within three refreshes.
        for _ in range(3):
            if val("neighbor-items") == str(st["neighbors"]["items"]):
                break
            n = int(body("refreshes"))
            wait_for(lambda: int(body("refreshes")) > n, "a refresh")
            st = d.status()
        check(val("neighbor-items") == str(st["neighbors"]["items"]),
              "page items with neighbours %s = status %d"
              % (val("neighbor-items"), st["neighbors"]["items"]))
        check(val("rejected-total") == str(sum(st["rejected"].values())),
              "page rejected %s" % val("rejected-total"))
        started = [p for p in st["processes"] if p["starts"]]
        check(val("procs-up") == str(sum(1 for p in started if p["pid"])),
              "page processes up %s" % val("procs-up"))
        for p in started:
            cell = drv.find_element(
                "css selector", 'td[data-role="%s"][data-index="%d"]'
                % (p["role"], p["index"]))
            check(cell.text == str(max(p["starts"] - 1, 0)),
                  "page restarts of %s %d" % (p["role"], p["index"]))
        for g in sg["segments"]:
            cell = drv.find_element("css selector",
                                    'td[data-segment="%d"]' % g["id"])
            check(cell.get_attribute("data-value") == str(g["size"]),
                  "page segment %d size %d" % (g["id"], g["size"]))
        check(len(sg["segments"]) > 0, "segments shown: %d"
              % len(sg["segments"]))
        full = drv.find_element("css selector", 'td[data-strategy="full"]')
        check(full.get_attribute("data-value") == "9",
              "page impressions of strategy full: %s"
              % full.get_attribute("data-value"))
        as_of = int(drv.find_element("id", "as-of").get_attribute("data-ms"))
        check(abs(as_of / 1000 - time.time()) < 10 and as_of / 1000 >= t0 - 1,
              "data as of is fresh")
        check(len(drv.find_elements("css selector",
                                    "#top-interests .row")) == 10,
              "ten top interests shown")
        check(drv.find_element("id", "experiments-empty").is_displayed(),
              "experiments placeholder shown")
        check(not drv.find_element("id", "fetch-error").is_displayed(),
              "no fetch error")
        errors = [e for e in drv.get_log("browser")
                  if e.get("level") == "SEVERE"]
        check(not errors, "no errors in the browser console: %s" % errors)
        if artifacts:
            os.makedirs(artifacts, exist_ok=True)
            drv.execute_script("window.scrollTo(0, 0)")
            path = os.path.join(artifacts, "dashboard.png")
            check(drv.save_screenshot(path), "screenshot " + path)
    finally:
        drv.quit()
    return 0


def main():
    if len(sys.argv) < 4:
        print("usage: it_dash.py PENCHANTD PENCHANT MODE [ARTIFACT_DIR]")
        return 2
    exe, pen, mode = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="penchant-it-dash-")
    d = Daemon(exe, pen, tmp, "it-dash-%s-%d" % (mode, os.getpid()))
    try:
        if mode == "browser":
            rc = mode_browser(d, tmp, sys.argv[4] if len(sys.argv) > 4
                              else None)
        else:
            rc = {"metrics": mode_metrics, "api": mode_api}[mode](d, tmp)
    finally:
        d.stop()
    if rc == 77:
        return 77
    if d.proc.returncode != 0:
        check(False, "penchantd stopped cleanly (%s)" % d.proc.returncode)
    if FAILS:
        print("%d failed; daemon log in %s" % (len(FAILS), tmp))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
