// penchant dashboard: polls the rank API server's read-only JSON endpoints
// (docs/API.md) every few seconds and renders them. No build step, no
// framework: uPlot draws the time series, the rest is plain DOM. Names
// that come from the catalog or settings are only ever set as text.
"use strict";

const REFRESH_MS = 3000;
const COLORS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2",
  "#b279a2", "#ff9da6", "#9d755d", "#bab0ac", "#eeca3b"];
const charts = {};
let refreshes = 0;

const $ = (id) => document.getElementById(id);
const fmt = (n) => (n === null || n === undefined) ? "-" :
  Number(n).toLocaleString("en-US", { maximumFractionDigits: 1 });
const pct = (x) => (x === null || x === undefined) ? "-" :
  (100 * x).toFixed(1) + " %";

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

// A number into an element: shown formatted, kept raw in data-value.
function setNum(id, v, shown) {
  const e = $(id);
  e.dataset.value = String(v);
  e.textContent = shown !== undefined ? shown : fmt(v);
}

function rows(tbody, list, cells) {
  const tb = typeof tbody === "string" ? $(tbody).querySelector("tbody") : tbody;
  tb.replaceChildren(...list.map((x) => {
    const tr = el("tr");
    for (const c of cells(x)) {
      const td = el("td", c.t !== undefined ? c.t : c, c.cls);
      if (c.data) Object.assign(td.dataset, c.data);
      tr.appendChild(td);
    }
    return tr;
  }));
}

// Horizontal bars: [{label, value, shown}] scaled to the largest.
function bars(id, items) {
  const max = Math.max(1e-12, ...items.map((i) => Math.abs(i.value)));
  $(id).replaceChildren(...items.map((i) => {
    const r = el("div", undefined, "row");
    r.appendChild(el("span", i.label)).title = i.label;
    const b = r.appendChild(el("div"));
    const bar = b.appendChild(el("div", undefined, "bar"));
    bar.style.width = (100 * Math.abs(i.value) / max).toFixed(1) + "%";
    r.appendChild(el("span", i.shown !== undefined ? i.shown : fmt(i.value)));
    r.dataset.label = i.label;
    r.dataset.value = String(i.value);
    return r;
  }));
}

function dl(id, pairs) {
  $(id).replaceChildren(...pairs.flatMap(([k, v, key]) => {
    const dd = el("dd", v);
    if (key) dd.id = key;
    return [el("dt", k), dd];
  }));
}

// A uPlot line chart in box id, rebuilt when its series change.
function lineChart(id, x, series) {
  const box = $(id);
  const width = Math.max(300, box.clientWidth || 500);
  const key = series.map((s) => s.label).join("|");
  const data = [x, ...series.map((s) => s.values)];
  let c = charts[id];
  if (c && c.key === key && c.width === width) {
    c.plot.setData(data);
    return;
  }
  if (c) c.plot.destroy();
  const opts = {
    width, height: box.classList.contains("small") ? 150 : 190,
    series: [{}, ...series.map((s, i) => ({ label: s.label,
      stroke: COLORS[i % COLORS.length], width: 1.5,
      points: { show: x.length < 3 } }))],
    axes: [{ space: 60 }, { size: 60 }],
    scales: { x: { time: series.timeAxis !== false } },
  };
  charts[id] = { key, width, plot: new uPlot(opts, data, box) };
}

function renderStatus(st) {
  $("instance").textContent = st.instance;
  const state = $("state");
  state.textContent = st.state;
  state.className = "pill" + (st.state === "running" ? "" : " bad");
  setNum("applied", st.applied);
  setNum("profiles", st.shard_profiles.reduce((a, b) => a + b, 0));
  setNum("catalog", st.catalog);
  setNum("neighbor-items", st.neighbors.items);
  setNum("rejected-total", Object.values(st.rejected).reduce((a, b) => a + b, 0));
  const started = st.processes.filter((p) => p.starts > 0);
  const up = started.filter((p) => p.pid !== 0).length;
  setNum("procs-up", up, up + " / " + started.length);
  rows("procs", started, (p) => [
    p.role, p.index, p.pid || "-",
    { t: p.pid ? "up" : "DOWN", cls: p.pid ? "up" : "down" },
    { t: Math.max(p.starts - 1, 0), cls: "num",
      data: { role: p.role, index: String(p.index) } },
    { t: fmt(p.applied), cls: "num" }]);
  $("shard-profiles").replaceChildren(...st.shard_profiles.map((n, i) => {
    const s = el("span", (i ? ", " : "") + "#" + i + " " + fmt(n));
    s.id = "shard-profiles-" + i;
    s.dataset.value = String(n);
    return s;
  }));
  const rej = Object.entries(st.rejected).filter(([, n]) => n > 0);
  rows("rejects-table", rej.length ? rej : [["none", 0]],
    ([k, n]) => [k, { t: fmt(n), cls: "num", data: { reason: k } }]);
}

function renderHistory(h) {
  const s = h.samples;
  const x = s.map((p) => p.t_ms / 1000);
  const rate = (key) => s.map((p, i) => i === 0 ? 0 :
    Math.max(0, (p[key] - s[i - 1][key]) * 1000 / (p.t_ms - s[i - 1].t_ms)));
  lineChart("chart-rates", x, [
    { label: "applied/s", values: s.map((p) => p.applied_per_s) },
    { label: "published/s", values: rate("published") },
    { label: "candidates ranked/s", values: rate("ranked") },
    { label: "backlog", values: s.map((p) => p.backlog) }]);
  const reasons = [...new Set(s.flatMap((p) => Object.keys(p.rejected_by)))];
  const series = [{ label: "all rejects/s", values: s.map((p) => p.rejected_per_s) }];
  for (const r of reasons.slice(0, 6))
    series.push({ label: r + "/s", values: s.map((p, i) => i === 0 ? 0 :
      Math.max(0, ((p.rejected_by[r] || 0) - (s[i - 1].rejected_by[r] || 0)) *
        1000 / (p.t_ms - s[i - 1].t_ms))) });
  series.push({ label: "UDP drops/s", values: rate("udp_dropped") });
  lineChart("chart-rejects", x, series);
  const last = s.length ? s[s.length - 1] : null;
  setNum("applied-rate", last ? last.applied_per_s : 0);
  const asOf = $("as-of");
  asOf.dataset.ms = String(h.as_of_ms);
  asOf.textContent = new Date(h.as_of_ms).toLocaleString();
  asOf.dateTime = new Date(h.as_of_ms).toISOString();
}

function renderInsights(ins) {
  $("insights-scope").textContent = (ins.sampled ? "a sample of " : "all ") +
    fmt(ins.scanned) + " of " + fmt(ins.profiles) + " profiles";
  bars("engagement", Object.entries(ins.engagement).map(([k, v]) =>
    ({ label: k, value: v })));
  dl("sessions", [["sessions", fmt(ins.sessions.total), "sessions-total"],
    ["per user", fmt(ins.sessions.per_user)],
    ["events / session", ins.sessions.events_per_session.toFixed(2)],
    ["mean length", fmt(ins.sessions.mean_session_s) + " s"]]);
  const f = ins.funnel;
  bars("funnel", [{ label: "views", value: f.views },
    { label: "clicks", value: f.clicks, shown: fmt(f.clicks) + " (" + pct(f.click_per_view) + ")" },
    { label: "acts", value: f.acts, shown: fmt(f.acts) + " (" + pct(f.act_per_click) + ")" }]);
  dl("drift", [["drifting now", fmt(ins.drift.drifting), "drift-users"],
    ["share", pct(ins.drift.share), "drift-share"],
    ["episodes", fmt(ins.drift.episodes)]]);
  bars("weekdays", Object.entries(ins.weekdays).map(([k, v]) =>
    ({ label: k, value: v, shown: pct(v) })));
  bars("dayparts", Object.entries(ins.dayparts).map(([k, v]) =>
    ({ label: k, value: v, shown: pct(v) })));
  $("peak-weekday").textContent = "peak " + ins.peak_weekday;
  $("peak-daypart").textContent = "peak " + ins.peak_daypart;
  const items = (l) => l.map((i) => ({ label: i.name, value: i.weight,
    shown: i.weight.toFixed(1) + " \u00b7 " + fmt(i.users) + " users" }));
  bars("top-interests", items(ins.top_interests));
  bars("top-categories", items(ins.top_categories));
  const co = ins.cohorts.filter((c) => c.users > 0);
  const n = ins.cohorts.length;
  const head = $("cohorts").querySelector("thead");
  const tr = el("tr");
  tr.append(el("th", "first seen"), el("th", "users"));
  for (let k = 0; k < n; k++) tr.appendChild(el("th", "+" + k + " wk"));
  head.replaceChildren(tr);
  rows("cohorts", co, (c) => [c.week, { t: fmt(c.users), cls: "num" },
    ...Array.from({ length: n }, (_, k) => k < c.retention.length ?
      { t: pct(c.retention[k]), cls: "heat" } : "")]);
  for (const td of $("cohorts").querySelectorAll("td.heat")) {
    const v = parseFloat(td.textContent) / 100;
    td.style.background = "rgba(76,120,168," + (0.1 + 0.6 * v).toFixed(2) + ")";
  }
}

function renderSegments(sg) {
  $("segments-meta").textContent = sg.version ?
    "refresh " + sg.version + " \u00b7 " + fmt(sg.users) + " users \u00b7 k " +
    sg.k + " \u00b7 silhouette " +
    (sg.silhouette === null ? "-" : sg.silhouette.toFixed(2)) :
    "no refresh yet";
  rows("segments", sg.segments, (g) => {
    const traits = Object.entries(g.traits).sort((a, b) =>
      Math.abs(b[1]) - Math.abs(a[1])).slice(0, 3).map(([k, v]) =>
      (v > 0 ? "+" : "-") + k).join(" ");
    return [g.id, g.name, g.strategy,
      { t: fmt(g.size), cls: "num", data: { segment: String(g.id), value: String(g.size) } },
      { t: pct(g.share), cls: "num" }, { t: pct(g.engagement), cls: "num" },
      { t: g.ctr === null ? "-" : g.ctr.toFixed(2), cls: "num" },
      { t: pct(g.drift_rate), cls: "num" }, { t: traits, cls: "wrap" }];
  });
}

function renderServing(sv) {
  const used = sv.strategies.filter((s) => s.impressions || s.clicks);
  rows("serving", used.length ? used : sv.strategies, (s) => [s.strategy,
    { t: fmt(s.impressions), cls: "num", data: { strategy: s.strategy, value: String(s.impressions) } },
    { t: fmt(s.clicks), cls: "num" }, { t: fmt(s.conversions), cls: "num" },
    { t: s.ctr === null ? "-" : pct(s.ctr), cls: "num" }]);
  const pos = Array.from({ length: 10 }, (_, i) => i + 1);
  const series = used.map((s) => ({ label: s.strategy + " CTR", values:
    pos.map((p) => { const c = s.positions.find((q) => q.position === p);
      return c && c.ctr !== null ? c.ctr : null; }) }));
  if (series.length) {
    series.timeAxis = false;
    lineChart("chart-positions", pos, series);
  }
}

/* One row per variant: the control first; intervals are of the CTR
 * difference against it (z test), the always-valid p of the mSPRT. */
function renderExperiments(ex) {
  const list = [];
  for (const e of ex.experiments)
    for (const [i, v] of (e.variants || []).entries())
      list.push({ e, v, i });
  const ci = (v) => v.ctr_lo === null ? "-" :
    "[" + pct(v.ctr_lo) + ", " + pct(v.ctr_hi) + "]";
  rows("experiments", list, ({ e, v, i }) => [
    i ? "" : e.name + (e.active ? "" : " (stopped)"),
    v.name + " (" + v.strategy + (v.diversifier ? ", " + v.diversifier : "") + ")",
    { t: fmt(v.users), data: { users: v.users } },
    { t: fmt(v.exposures), data: { exposures: v.exposures } },
    pct(v.ctr),
    i ? ci(v) : "control",
    i && v.prob_beats_control !== null ? pct(v.prob_beats_control) : "-",
    i && v.always_valid_p !== null ? v.always_valid_p.toPrecision(3) : "-",
    i ? "" : (e.srm_broken ? { t: "SAMPLE RATIO MISMATCH", cls: "bad" } :
      (e.srm_p === null ? "-" : "split ok (p " + e.srm_p.toPrecision(2) + ")"))]);
  $("experiments-empty").hidden = ex.experiments.length > 0;
}

async function getJSON(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

// Each panel from its own route: one that fails leaves the others drawn
// and is named in the error line.
const PANELS = [["/api/status", renderStatus], ["/api/history", renderHistory],
  ["/api/insights", renderInsights], ["/api/segments", renderSegments],
  ["/api/serving", renderServing], ["/api/experiments", renderExperiments]];

async function refresh() {
  const got = await Promise.allSettled(PANELS.map(([url]) => getJSON(url)));
  const failed = [];
  got.forEach((g, i) => {
    const [url, render] = PANELS[i];
    try {
      if (g.status !== "fulfilled") throw g.reason;
      render(g.value);
    } catch (e) {
      failed.push(url + ": " + e.message);
    }
  });
  const err = $("fetch-error");
  err.textContent = failed.length ? "refresh failed: " + failed.join("; ") : "";
  err.hidden = failed.length === 0;
  document.body.dataset.refreshes = String(++refreshes);
  if (failed.length === 0) document.body.dataset.ready = "1";
}

refresh();
setInterval(refresh, REFRESH_MS);
