// drover's status page: polls status.json every second and redraws the
// summary, the worker table and two charts. Data goes into the page only
// through textContent and attributes, never as markup.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const W = 600, H = 160, PAD_L = 48, PAD_B = 18, PAD_T = 8;
const STATES = ["booting", "ready", "retiring", "draining", "killed"];

function $(id) { return document.getElementById(id); }

function text(id, s) { $(id).textContent = s; }

function duration(s) {
  s = Math.floor(s);
  if (s < 60) return s + "s";
  const m = Math.floor(s / 60);
  if (m < 60) return m + "m" + String(s % 60).padStart(2, "0") + "s";
  const h = Math.floor(m / 60);
  if (h < 48) return h + "h" + String(m % 60).padStart(2, "0") + "m";
  return Math.floor(h / 24) + "d" + String(h % 24).padStart(2, "0") + "h";
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}

function seconds(s) {
  if (s >= 1) return s.toFixed(2) + " s";
  if (s >= 0.001) return (s * 1000).toFixed(s >= 0.01 ? 0 : 1) + " ms";
  return (s * 1e6).toFixed(0) + " µs";
}

function rate(r) { return r >= 100 ? r.toFixed(0) : r.toFixed(1); }

// niceMax rounds a chart's top up to 1, 2 or 5 times a power of ten.
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent.appendChild(e);
  return e;
}

// chart draws series (point fields) of points, one path per field, over
// the window ending at the last point: the whole window, or the span of
// the points when shorter (a minute at least). Null values break the line.
function chart(svg, points, fields, windowS, fmt) {
  svg.replaceChildren();
  const end = points.length ? Date.parse(points[points.length - 1].t) : Date.now();
  const first = points.length ? Date.parse(points[0].t) : end;
  const spanS = Math.max(60, Math.min(windowS, Math.ceil((end - first) / 1000)));
  const start = end - spanS * 1000;
  let top = 0;
  for (const p of points) for (const f of fields) if (p[f] != null && p[f] > top) top = p[f];
  top = niceMax(top);
  const x = t => PAD_L + (W - PAD_L) * (t - start) / (end - start);
  const y = v => PAD_T + (H - PAD_T - PAD_B) * (1 - v / top);
  for (const v of [0, top / 2, top]) {
    el("line", { class: "grid", x1: PAD_L, x2: W, y1: y(v), y2: y(v) }, svg);
    el("text", { class: "label", x: PAD_L - 4, y: y(v) + 4, "text-anchor": "end" }, svg).textContent = v ? fmt(v) : "0";
  }
  el("text", { class: "label", x: PAD_L, y: H - 4 }, svg).textContent = "−" + duration(spanS);
  el("text", { class: "label", x: W, y: H - 4, "text-anchor": "end" }, svg).textContent = "now";
  for (const f of fields) {
    let d = "", pen = false;
    for (const p of points) {
      const t = Date.parse(p.t);
      if (t < start || p[f] == null) { pen = false; continue; }
      d += (pen ? "L" : "M") + x(t).toFixed(1) + "," + y(p[f]).toFixed(1);
      pen = true;
    }
    el("path", { class: "line " + f, "data-series": f, d: d }, svg);
  }
}

function cell(tr, s, num) {
  const td = document.createElement("td");
  td.textContent = s;
  if (num) td.className = "num";
  tr.appendChild(td);
  return td;
}

function rows(workers) {
  const body = $("rows");
  const trs = [];
  for (const w of workers) {
    const tr = document.createElement("tr");
    tr.dataset.pid = String(w.pid);
    tr.dataset.state = String(w.state);
    cell(tr, String(w.slot), true);
    cell(tr, String(w.pid), true);
    cell(tr, String(w.generation), true);
    const state = document.createElement("span");
    state.className = "state" + (STATES.includes(w.state) ? " " + w.state : "");
    state.textContent = w.state;
    cell(tr, "").appendChild(state);
    cell(tr, duration(w.age_s), true);
    cell(tr, String(w.requests), true);
    cell(tr, String(w.in_flight), true);
    cell(tr, w.rss ? bytes(w.rss) : "–", true);
    cell(tr, String(w.restarts), true);
    const e = w.last_exit;
    cell(tr, e ? e.status + (e.reason ? " (" + e.reason + ")" : "") : "–");
    trs.push(tr);
  }
  body.replaceChildren(...trs);
}

function render(page) {
  const st = page.status, series = page.series;
  text("name", st.name);
  text("version", st.version);
  text("pid", String(st.pid));
  text("uptime", duration(st.uptime_s));
  text("generation", String(st.generation));
  text("ready", st.ready + " / " + st.desired + (st.stopping ? " (stopping)" : ""));
  text("reload", st.reload ? "to generation " + st.reload.generation + " since " +
    duration((Date.parse(st.started) + st.uptime_s * 1000 - Date.parse(st.reload.started)) / 1000) : "none");
  const last = series.points[series.points.length - 1];
  text("rate", last ? rate(last.requests_per_s) : "–");
  for (const e of document.querySelectorAll(".window")) e.textContent = duration(series.window_s);
  document.title = st.name + " status";
  rows(st.workers);
  chart($("chart-throughput"), series.points, ["requests_per_s"], series.window_s, rate);
  chart($("chart-latency"), series.points, ["p99_s", "p50_s", "mean_s"], series.window_s, seconds);
}

async function poll() {
  const conn = $("conn");
  try {
    const resp = await fetch("status.json", { cache: "no-store" });
    if (!resp.ok) throw new Error("status.json: " + resp.status);
    render(await resp.json());
    conn.textContent = "live";
    conn.className = "conn ok";
  } catch (err) {
    conn.textContent = "no answer: " + err.message;
    conn.className = "conn lost";
  }
  setTimeout(poll, 1000);
}

poll();
