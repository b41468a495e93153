// The demo page: one call to the gateway over /ws + WebRTC. Events arrive on the "events" data
// channel (both media stacks) or, when it does not open, on the socket as {type: "event"}.
"use strict";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token");
let pc = null;
let ws = null;
let partial = null;

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
  return li;
}

function say(who, text) {
  if (!text) return;
  if (who === "caller" && partial) { partial.remove(); partial = null; }
  addLine("transcript", text, who);
}

const ms = (seconds) => (seconds == null ? "–" : `${Math.round(seconds * 1000)} ms`);

function onEvent(event) {
  switch (event.type) {
    case "call.started": setStatus("live", "live"); addLine("activity", "connected"); break;
    case "speech.started": addLine("activity", event.barge_in ? "you interrupted" : "hearing you…"); break;
    case "turn.ended": addLine("activity", `you spoke ${event.speech_seconds.toFixed(1)} s`); break;
    case "transcript.interim":
      if (!partial) partial = addLine("transcript", "", "caller partial");
      partial.textContent = event.text;
      break;
    case "transcript.final": say("caller", event.text); break;
    case "agent.text": say("agent", event.text || "(agent audio)"); break;
    case "tool.started": addLine("activity", `⚙ ${event.tool}…`); break;
    case "tool.finished": addLine("activity", `✓ ${event.tool} (${ms(event.seconds)})`); break;
    case "barge_in": addLine("activity", `agent stopped (${Math.round(event.heard_fraction * 100)}% heard)`); break;
    case "agent.paused": addLine("activity", "agent paused"); break;
    case "agent.resumed": addLine("activity", "agent went on"); break;
    case "turn.latency": $("latency").textContent = ms(event.total_seconds); break;
    case "stats":
      $("rtt").textContent = ms(event.rtt_seconds);
      $("jitter").textContent = ms(event.jitter_seconds);
      $("loss").textContent = `${event.packets_lost_outbound} / ${event.packets_lost_inbound}`;
      break;
    case "call.ended": addLine("activity", `call ended (${event.reason})`); break;
  }
}

// The gateway's STUN/TURN servers, a TURN credential minted for this call included (GET /ice-servers).
async function iceServers() {
  const url = new URL("/ice-servers", location.href);
  const reply = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {}, cache: "no-store" });
  if (reply.status === 404) return [];  // an older gateway
  if (!reply.ok) throw new Error(`ICE servers: HTTP ${reply.status}`);
  return (await reply.json()).iceServers;
}

async function start() {
  showError("");
  $("talk").disabled = true;
  setStatus("connecting…");
  const mic = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  // ?relay=1: through the TURN server only, the path a caller behind a symmetric NAT takes.
  const relayOnly = new URLSearchParams(location.search).get("relay") === "1";
  pc = new RTCPeerConnection({ iceServers: await iceServers(), iceTransportPolicy: relayOnly ? "relay" : "all" });
  mic.getTracks().forEach((t) => pc.addTrack(t, mic));
  const events = pc.createDataChannel("events", { negotiated: true, id: 0 });
  const received = (event) => { window.voicepod.events.push(event); onEvent(event); };
  events.onmessage = (m) => received(JSON.parse(m.data));
  pc.ontrack = (e) => { $("agent-audio").srcObject = e.streams[0] || new MediaStream([e.track]); };
  pc.onconnectionstatechange = () => {
    if (pc && pc.connectionState === "failed") { setStatus("failed", "failed"); showError("the connection failed"); }
  };
  // The network changed (Wi-Fi to mobile, a VPN): restart ICE on the same call. "failed" at once;
  // "disconnected" often heals by itself, so after a moment if it has not.
  pc.oniceconnectionstatechange = () => {
    if (!pc) return;
    const state = pc.iceConnectionState;
    if (state === "failed") restartIce();
    else if (state === "disconnected") setTimeout(() => { if (pc && pc.iceConnectionState === "disconnected") restartIce(); }, 2000);
  };
  const url = new URL("/ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (token) url.searchParams.set("token", token);
  ws = new WebSocket(url);
  ws.onmessage = async (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === "event") {
      received(msg.event);
    } else if (msg.type === "answer") {
      await pc.setRemoteDescription({ type: "answer", sdp: msg.sdp });
      restarting = false;
      $("hangup").disabled = false;
    } else if (msg.type === "error") {
      showError(`${msg.code}: ${msg.message}`);
      if (restarting && (msg.code === "bad_sdp" || msg.code === "call_exists")) {  // the re-offer refused: the call goes on as it was
        restarting = false;
        await pc.setLocalDescription({ type: "rollback" });
      }
      if (!pc.remoteDescription) stop();
    } else if (msg.type === "bye") {
      addLine("activity", `the agent hung up (${msg.reason})`);
      stop();
    }
  };
  pc.onicecandidate = (e) => {
    if (e.candidate && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: "candidate", candidate: e.candidate.candidate,
        sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex }));
    }
  };
  ws.onopen = async () => {
    await pc.setLocalDescription(await pc.createOffer());
    // typing: this page has a box, so the agent may offer it for what it can't hear.
    ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp, typing: true }));
    $("typed").disabled = false;
    $("send").disabled = false;
  };
  ws.onclose = () => { if (pc) stop(); };
}

let restarting = false;
async function restartIce() {
  if (restarting || !pc || !ws || ws.readyState !== WebSocket.OPEN || !pc.remoteDescription) return;
  restarting = true;  // one re-offer at a time; the answer (same call_id) ends it
  addLine("activity", "network changed: reconnecting…");
  pc.restartIce();
  await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
  ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }));
}

function stop() {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "bye" }));
  if (ws) ws.close();
  if (pc) pc.close();
  pc = null; ws = null;
  setStatus("ended");
  $("typed").disabled = true;
  $("send").disabled = true;
  $("talk").disabled = false;
  $("hangup").disabled = true;
}

$("talk").addEventListener("click", () => start().catch((e) => { showError(String(e)); stop(); }));
$("hangup").addEventListener("click", stop);
$("typing").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("typed").value.trim();
  if (!text || !ws || ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({ type: "typed", text }));  // shown when it comes back as transcript.final
  $("typed").value = "";
});
// Every event is kept here too, for tests and for anyone curious in the console.
window.voicepod = { events: [], get pc() { return pc; }, restartIce };
