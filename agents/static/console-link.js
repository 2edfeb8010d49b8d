// The console's websocket: connecting, heartbeats, noticing a dead link, reconnecting from the last
// event seen (hello's last_seq); what it brings goes to onMessage (console.js). The header's dot and the
// banner say how the link is.
"use strict";

let HEARTBEAT_MS = 10000; // the server pings this often (it says so: heartbeat_ms), and so do we
const SILENT_HEARTBEATS = 2; // a socket that brought nothing, not even a ping, for this many is dead
let socket = null;
let link = "connecting"; // connecting | on | lost
let lastHeard = 0;
let retryMs = 500;

function send(message) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(message)); }

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/agents/ws`);
  socket = ws;
  lastHeard = Date.now(); // a socket that never opens is given up as a silent one is
  watch(ws);
  ws.onopen = () => {
    if (socket !== ws) return;
    lastHeard = Date.now();
    retryMs = 500;
    ws.send(JSON.stringify({ type: "hello", last_seq: view.lastSeq }));
    showLink("on");
  };
  ws.onmessage = (event) => {
    if (socket !== ws) return; // a socket given up on: what it still brings is not news
    lastHeard = Date.now();
    const message = JSON.parse(event.data);
    if (message.type === "pong") return;
    if (message.type === "ping") { send({ type: "pong" }); return; }
    if (message.heartbeat_ms && message.heartbeat_ms !== HEARTBEAT_MS) {
      HEARTBEAT_MS = message.heartbeat_ms;
      watch(ws); // the watch was set with the interval we assumed
    }
    onMessage(message);
  };
  ws.onclose = (event) => {
    if (socket !== ws) return;
    if (event.code === 4401) { socket = null; location.href = "/login?next=/console"; return; }
    lost(ws);
  };
}

// The page cannot see TCP: a network gone without a close (Wi-Fi lost, a NAT or proxy that forgot us)
// leaves the socket open, silent. The server pings every heartbeat, so a socket silent for two is dead:
// dropped at once (its close handshake could take a minute), shown, reopened with the hello's last_seq.
let watchdog = null;
function watch(ws) {
  clearTimeout(watchdog);
  if (socket !== ws) return;
  const left = HEARTBEAT_MS * SILENT_HEARTBEATS - (Date.now() - lastHeard);
  if (left <= 0) drop(ws, "silent");
  else watchdog = setTimeout(() => watch(ws), left);
}

function drop(ws, why) {
  lost(ws);
  ws.close(4000, why);
}

function lost(ws) {
  if (socket !== ws) return;
  socket = null;
  clearTimeout(watchdog);
  showLink("lost");
  setTimeout(connect, retryMs);
  retryMs = Math.min(retryMs * 2, 10000);
}

function showLink(state) {
  link = state;
  $("conn").className = `conn ${state === "on" ? "on" : "off"}`;
  $("conn").title = t(`link_${state}`);
  $("conn").setAttribute("aria-label", t(`link_${state}`));
  show("reconnecting", state === "lost");
}

// We ping as often as the server does (our pongs keep the server's watch on us content, and its pongs
// are frames for ours). Back from sleep or offline, a socket long silent is not waited for.
(function ping() {
  send({ type: "ping" });
  setTimeout(ping, HEARTBEAT_MS);
})();
const wakeUp = () => { if (socket && Date.now() - lastHeard > HEARTBEAT_MS * 1.5) drop(socket, "woke up"); };
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && wakeUp());
window.addEventListener("online", wakeUp);
