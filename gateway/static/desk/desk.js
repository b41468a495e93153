// The desk (shadow mode): a person takes callers from the queue over /desk/ws + WebRTC, hears and
// answers them; the agent's recommendation for each caller turn arrives as a "shadow.recommendation"
// event (on the "events" data channel, or on the socket). The Book button runs the agent's real
// book_showing tool through POST /desk/act: the person decides, the agent only suggests.
"use strict";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token");
const auth = token ? { Authorization: `Bearer ${token}` } : {};
window.voicepod = { events: [] };
let pc = null;
let ws = null;
let callId = null;
let latest = null;

function setStatus(text, cls = "") {
  $("status").textContent = text;
  $("status").className = "status " + cls;
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

function addLine(list, text, cls) {
  const li = document.createElement("li");
  li.textContent = text;
  if (cls) li.className = cls;
  $(list).appendChild(li);
  li.scrollIntoView({ block: "end" });
}

function showRecommendation(rec) {
  latest = rec;
  $("reply").textContent = rec.commits ? "Book it now (the caller said yes)." : rec.reply || "–";
  $("actions").replaceChildren();
  for (const a of rec.actions) {
    const found = a.result && a.result.listings ? ` — ${a.result.listings.length} found` : "";
    const slots = a.result && a.result.slots ? ` — ${a.result.slots.length} free times` : "";
    addLine("actions", `${a.writes ? "would call" : "looked up"} ${a.tool} ${JSON.stringify(a.args)}${found}${slots}`);
  }
  $("entities").replaceChildren();
  for (const [k, v] of Object.entries(rec.entities)) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    $("entities").append(dt, dd);
  }
}

function onEvent(event) {
  window.voicepod.events.push(event);
  switch (event.type) {
    case "call.started": setStatus("waiting for a caller…", "live"); break;
    case "desk.waiting": setStatus("waiting for a caller…", "live"); break;
    case "desk.connected":
      callId = event.call_id;
      setStatus("on a call", "live");
      $("book-it").disabled = false;
      addLine("transcript", `caller ${event.call_id.slice(0, 8)} put through`);
      break;
    case "desk.heard": addLine("transcript", `${event.speaker}: ${event.text}`, event.speaker); break;
    case "shadow.recommendation": showRecommendation(event); break;
    case "desk.action": $("booked").textContent = `${event.tool} done`; break;
    case "call.ended": setStatus(`call ended (${event.reason})`); $("book-it").disabled = true; break;
  }
}

async function iceServers() {
  const reply = await fetch(new URL("/ice-servers", location.href), { headers: auth, cache: "no-store" });
  if (!reply.ok) return [];  // host candidates only (a local desk)
  return (await reply.json()).iceServers;
}

async function take() {
  showError("");
  $("take").disabled = true;
  setStatus("connecting…");
  const mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
  pc = new RTCPeerConnection({ iceServers: await iceServers() });
  mic.getTracks().forEach((t) => pc.addTrack(t, mic));
  const events = pc.createDataChannel("events", { negotiated: true, id: 0 });
  events.onmessage = (m) => onEvent(JSON.parse(m.data));
  pc.ontrack = (e) => { $("caller-audio").srcObject = e.streams[0] || new MediaStream([e.track]); };
  const url = new URL("/desk/ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (token) url.searchParams.set("token", token);
  ws = new WebSocket(url);
  ws.onmessage = async (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === "event") onEvent(msg.event);
    else if (msg.type === "answer") { await pc.setRemoteDescription({ type: "answer", sdp: msg.sdp }); $("leave").disabled = false; }
    else if (msg.type === "error") { showError(`${msg.code}: ${msg.message}`); if (!pc.remoteDescription) leave(); }
    else if (msg.type === "bye") { addLine("transcript", `call over (${msg.reason})`); leave(); }
  };
  pc.onicecandidate = (e) => {
    if (e.candidate && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: "candidate", candidate: e.candidate.candidate,
        sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex }));
    }
  };
  ws.onopen = async () => {
    await pc.setLocalDescription(await pc.createOffer());
    ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }));
  };
  ws.onclose = () => { if (pc) leave(); };
}

function leave() {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "bye" }));
  if (ws) ws.close();
  if (pc) pc.close();
  pc = null; ws = null;
  $("take").disabled = false;
  $("leave").disabled = true;
}

function fill() {
  if (!latest) return;
  const e = latest.entities;
  const form = $("book");
  const set = (name, value) => { if (value) form.elements[name].value = value; };
  set("listing_id", e.resource); set("start_time", e.time); set("time_zone", e.time_zone);
  set("contact_name", e.name); set("contact_phone", e.phone);
}

async function book(ev) {
  ev.preventDefault();
  const args = Object.fromEntries([...new FormData($("book")).entries()].filter(([, v]) => v));
  const reply = await fetch("/desk/act", { method: "POST", headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify({ call_id: callId, tool: "book_showing", args }) });
  const body = await reply.json();
  if (!reply.ok) showError(`${body.error}: ${body.message}`);
  else $("booked").textContent = `booked: ${body.result.booking ? body.result.booking.booking_id : "?"}`;
}

$("take").onclick = () => take().catch((e) => { showError(String(e)); setStatus("ready"); $("take").disabled = false; });
$("leave").onclick = leave;
$("fill").onclick = fill;
$("book").onsubmit = book;
