// The operators' console: one EventSource on /console/live (pushed by gateway/console/live.py), the
// call detail fetched on a click. No build step; everything shown goes in as text, never as HTML.
const token = new URLSearchParams(location.search).get("token") || "";
const withToken = (path) => token ? `${path}?token=${encodeURIComponent(token)}` : path;
const $ = (id) => document.getElementById(id);
const state = { live: null, recent: null, services: null, evals: null, detail: null, pushes: 0 };
window.voicepodConsole = state;  // for the tests (and a curious operator's devtools)

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}
function row(cells, cls) {
  const tr = el("tr", null, cls);
  for (const c of cells) tr.append(c instanceof Node ? wrapCell(c) : el("td", c ?? "-"));
  return tr;
}
function wrapCell(node) { if (node.tagName === "TD") return node; const td = el("td"); td.append(node); return td; }
const num = (text) => el("td", text ?? "-", "num");
const fixed = (value, scale, digits) => value === null || value === undefined ? "-" : (value * scale).toFixed(digits);
const shortId = (id) => id ? id.slice(0, 12) : "-";
const instanceId = (id) => id ? id.slice(-8) : "-";  // NATS ids share their prefix: the end tells them apart

// A sparkline of the non-null values (from 0 to `top`, else to their largest), the latest one beside it.
function sparkline(values, scale, digits, unit, top) {
  const span = el("span", null, "spark");
  const known = values.filter((v) => v !== null && v !== undefined);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 90 22");
  if (known.length) {
    const max = top || Math.max(...known) || 1;
    const drawn = known.length > 1 ? known : [known[0], known[0]];  // one value: a level line
    const step = 88 / (drawn.length - 1);
    const points = drawn.map((v, i) => `${(1 + i * step).toFixed(1)},${(21 - (v / max) * 20).toFixed(1)}`);
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", points.join(" "));
    svg.append(line);
  }
  span.append(svg, el("span", known.length ? `${fixed(known.at(-1), scale, digits)} ${unit}` : "-", "value"));
  return span;
}

function showLive(live) {
  state.live = live;
  const body = $("live").tBodies[0];
  body.replaceChildren(...live.calls.map((c) => {
    const q = c.history.quality, t = c.history.turn_latency;
    return row([
      el("td", shortId(c.call_id), "mono"), c.channel, c.connection_state, num(fixed(c.duration_seconds, 1, 0)),
      num(c.turns), num(c.barge_ins),
      sparkline(q.map((p) => p.rtt_seconds), 1000, 0, "ms"), sparkline(q.map((p) => p.jitter_seconds), 1000, 1, "ms"),
      sparkline(q.map((p) => p.fraction_lost), 100, 1, "%"), sparkline(t.map((p) => p.total_seconds), 1000, 0, "ms"),
    ], "live-call");
  }));
  $("live-empty").hidden = live.calls.length > 0;
  $("live-count").textContent = `${live.calls.length} of ${live.max_calls}${live.draining ? " (draining)" : ""}`;
  $("updated").textContent = `updated ${new Date(live.at * 1000).toLocaleTimeString()}`;
}

function showRecent(recent) {
  state.recent = recent;
  $("recent-error").hidden = !recent.error;
  $("recent-error").textContent = recent.error || "";
  $("recent").tBodies[0].replaceChildren(...recent.calls.map((c) => {
    const e = c.ended;
    const tr = row([
      new Date(c.started_at).toLocaleString(), el("td", shortId(c.call_id), "mono"), c.agent_name, c.channel,
      num(e ? e.duration_seconds.toFixed(1) : null), num(c.turns), e ? e.reason : "in progress",
      num(e ? `$${e.cost_usd.toFixed(4)}` : null), num(e ? fixed(e.quality.rtt_seconds, 1000, 0) : null),
      num(e ? fixed(e.quality.fraction_lost, 100, 1) : null),
    ], "recent-call");
    tr.dataset.callId = c.call_id;
    tr.addEventListener("click", () => openDetail(c.call_id));
    return tr;
  }));
}

function showServices(report) {
  state.services = report;
  const seen = new Set(report.instances.map((i) => i.name));
  const missing = report.expected.filter((name) => !seen.has(name));
  $("services-missing").hidden = missing.length === 0;
  $("services-missing").textContent = missing.length ? `not answering: ${missing.join(", ")}` : "";
  const rows = [];
  for (const s of report.instances) {
    const requests = s.endpoints.reduce((n, e) => n + e.requests, 0);
    const errors = s.endpoints.reduce((n, e) => n + e.errors, 0);
    rows.push(row([`${s.name} ${s.version || ""} (${instanceId(s.id)})`, num(requests), num(errors), num("")], "service"));
    for (const e of s.endpoints) {
      const codes = Object.entries(e.errors_by_code || {}).map(([code, n]) => `${code}×${n}`).join(" ");
      const errorsCell = num(codes ? `${e.errors} (${codes})` : e.errors);
      if (e.errors) errorsCell.classList.add("bad");
      rows.push(row([e.subject, num(e.requests), errorsCell, num((e.average_seconds * 1000).toFixed(1))], "endpoint"));
    }
  }
  $("services").tBodies[0].replaceChildren(...rows);
}

function showEvals(history) {
  state.evals = history;
  const empty = $("evals-empty");
  empty.hidden = history.series.length > 0;
  empty.textContent = history.directory ? `no eval reports in ${history.directory}` :
    "no eval reports directory (VOICEPOD_EVAL_REPORTS_DIR)";
  $("evals").tBodies[0].replaceChildren(...history.series.map((s) => row([
    s.agent, s.kind, s.mode, sparkline(s.runs.map((r) => r.pass_rate), 100, 0, "%", 1),
    num(`${(s.runs.at(-1).pass_rate * 100).toFixed(1)}%`), num(s.runs.length),
  ], "eval-series")));
}

async function openDetail(callId) {
  const resp = await fetch(withToken(`/console/api/calls/${encodeURIComponent(callId)}`));
  const detail = await resp.json();
  state.detail = detail;
  $("detail").hidden = false;
  $("detail-id").textContent = callId;
  if (!resp.ok) {
    $("detail-summary").textContent = detail.error || `HTTP ${resp.status}`;
    return;
  }
  const t = detail.transcript, e = t.ended;
  $("detail-summary").textContent = [
    `agent ${t.agent_name || "-"}`, `channel ${t.channel || "-"}`,
    e ? `ended ${e.reason} after ${e.duration_seconds.toFixed(1)} s` : "not ended",
    e ? `cost $${e.usage.cost_usd.toFixed(4)}` : null, e ? `${e.usage.tool_calls} tool calls` : null,
    e && Object.keys(e.usage.fallbacks).length ? `fallbacks ${JSON.stringify(e.usage.fallbacks)}` : null,
    slowestReply(t.turn_latency || []),
  ].filter(Boolean).join(" · ");
  const chain = $("detail-chain");
  chain.className = "chain " + (detail.chain ? (detail.chain.ok ? "ok" : "broken") : "");
  chain.textContent = !detail.chain ? "audit chain: not verified" : detail.chain.ok ?
    `audit chain verified: intact (${detail.chain.entries_checked} checked)` :
    `audit chain BROKEN at entry ${detail.chain.first_broken_sequence}: ${detail.chain.detail}`;
  $("detail-problems").replaceChildren(...detail.problems.map((p) => el("li", p)));
  const moments = [
    ...t.turns.map((x) => ({ at: x.started_at || "", who: x.speaker, text: x.text + (x.interrupted ? " [interrupted]" : "") })),
    ...(t.turn_latency || []).map((x) => ({ at: x.first_audio_at || "", who: "latency", text: latencyText(x) })),
    ...t.tool_calls.map((x) => ({ at: x.at, who: "tool", text: `${x.tool}: ${x.outcome}` +
      (x.attributes.seconds ? ` in ${Number(x.attributes.seconds).toFixed(2)} s` : "") })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  $("detail-timeline").replaceChildren(...moments.map((m) => {
    const li = el("li", null, m.who);
    li.append(el("span", m.who, "who"), document.createTextNode(m.text));
    return li;
  }));
  $("detail-cost").tBodies[0].replaceChildren(...(e ? e.usage.items : []).map((i) =>
    row([i.provider, i.unit, num(i.quantity), num(i.cost_usd.toFixed(6))])));
  $("detail-audit").tBodies[0].replaceChildren(...detail.audit.map((a) =>
    row([num(a.sequence), a.action, a.outcome, el("td", a.hash.slice(0, 12), "mono")])));
}

// An answered turn's latency split (bus/ops_views.py turn_timing_dict): where the caller's wait went.
function latencyText(x) {
  const stages = Object.entries(x.stages).map(([name, seconds]) =>
    `${name} ${seconds.toFixed(2)} s${name === x.slowest ? " (slowest)" : ""}`).join(", ");
  return `turn ${x.turn} answered in ${x.total_seconds.toFixed(2)} s: ${stages}${x.prepared ? " [prepared]" : ""}`;
}

function slowestReply(timings) {
  if (!timings.length) return null;
  const worst = timings.reduce((a, b) => (b.total_seconds > a.total_seconds ? b : a));
  return `slowest reply: turn ${worst.turn}, ${worst.total_seconds.toFixed(2)} s (${worst.slowest})`;
}

$("detail-close").addEventListener("click", () => { $("detail").hidden = true; });

const source = new EventSource(withToken("/console/live"));
const handlers = { live: showLive, recent: showRecent, services: showServices, evals: showEvals };
for (const [name, show] of Object.entries(handlers)) {
  source.addEventListener(name, (message) => { state.pushes += 1; show(JSON.parse(message.data)); });
}
source.onopen = () => { $("status").textContent = "live"; $("status").className = "status live"; };
source.onerror = () => { $("status").textContent = "reconnecting"; $("status").className = "status stale"; };
