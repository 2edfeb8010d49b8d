// The call card's buttons: end, hold and take back, mute, and transfers (cold, warm: complete or
// cancel). Each asks the server; the websocket's events then change what the card shows (console.js).
"use strict";

$("end").addEventListener("click", () => { const c = voiceContact(); if (c) post(`/api/agent/contacts/${c.contact}/end`); });
$("hold").addEventListener("click", () => { const c = voiceContact(); if (c) post(`/api/agent/contacts/${c.contact}/hold`); });
$("resume").addEventListener("click", () => { const c = voiceContact(); if (c) post(`/api/agent/contacts/${c.contact}/resume`); });
async function setMuted(muted) {
  const c = voiceContact();
  if (c && await post(`/api/agent/contacts/${c.contact}/mute`, { muted })) { c.muted = muted; render(); }
}
$("mute").addEventListener("click", () => setMuted(true));
$("unmute").addEventListener("click", () => setMuted(false));
$("transfer-open").addEventListener("click", () => show("transfer", true));
$("transfer-complete").addEventListener("click", () => { const c = voiceContact(); if (c) post(`/api/agent/contacts/${c.contact}/transfer/complete`); });
$("transfer-abort").addEventListener("click", () => { const c = voiceContact(); if (c) post(`/api/agent/contacts/${c.contact}/transfer/cancel`); });
$("transfer-cancel").addEventListener("click", () => show("transfer", false));
$("transfer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const c = voiceContact();
  const agentId = $("transfer-agent").value.trim();
  if (!c) return;
  const number = $("transfer-number").value.trim();
  const note = $("transfer-note").value.trim();
  const warm = !number && $("transfer-warm").checked;
  const body = number ? { number } : agentId ? { agent: Number(agentId), note, warm } : { queue: $("transfer-queue").value, note, warm };
  if (await post(`/api/agent/contacts/${c.contact}/transfer`, body)) show("transfer", false);
});
