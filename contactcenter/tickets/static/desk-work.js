// The desk's two worklists beside the tickets: callbacks (GET /api/callbacks; team leads and managers may
// cancel one) and voicemails (GET /api/voicemails?queue=…; take a new one, mark a taken one done).
"use strict";

const DeskWork = (() => {
  const { $, el, api } = Desk;
  const t = (key) => DeskText.t(key);
  const CALLBACK_STATUSES = ["scheduled", "waiting", "dialing", "connected", "completed", "failed", "canceled"];
  const VOICEMAIL_STATUSES = ["new", "taken", "done", "recording"];
  const CANCELABLE = ["scheduled", "waiting"];
  let callbackRows = null;
  let voicemailRows = null;

  const leads = () => ["supervisor", "manager", "admin"].includes((Desk.me() || {}).role);
  const ticketLink = (id, number) => (id ? el("a", { href: `/desk/tickets/${id}`, text: number || `T-${String(id).padStart(6, "0")}` }) : "—");
  const pill = (prefix, status) => el("span", { class: `pill ${status}`, text: DeskText.code(prefix, status) });

  function fill(select, choices) {
    const keep = select.value;
    select.replaceChildren(...choices.map(([value, text]) => el("option", { value, text, selected: value === keep })));
  }

  function fillChoices() {
    fill($("callback-status"), [["", t("any")], ...CALLBACK_STATUSES.map((s) => [s, DeskText.code("callback", s)])]);
    fill($("voicemail-status"), [["", t("any")], ...VOICEMAIL_STATUSES.map((s) => [s, DeskText.code("voicemail", s)])]);
    // Agents and team leads pick among their own queues; managers see every queue.
    const mine = (Desk.me() || {}).queues || [];
    const queues = mine.length ? mine : Object.keys(DeskText.queues);
    fill($("voicemail-queue"), [["", t("all_my_queues")], ...queues.map((q) => [q, DeskText.queue(q)])]);
  }

  async function callbacks() {
    const status = $("callback-status").value;
    const data = await api("GET", `/api/callbacks${status ? `?status=${status}` : ""}`);
    if (!data) return;
    callbackRows = data.callbacks;
    drawCallbacks();
  }

  async function cancel(callback) {
    if (!confirm(t("confirm_cancel"))) return;
    if (await api("POST", `/api/callbacks/${callback.id}/cancel`, {})) { Desk.notice(t("canceled")); callbacks(); }
  }

  function drawCallbacks() {
    if (!callbackRows) return;
    $("callbacks").querySelector("tbody").replaceChildren(...callbackRows.map((c) => el("tr", { "data-callback": String(c.id) },
      el("td", { text: DeskText.when(c.scheduled_for) || "—" }),
      el("td", { text: DeskText.code("kind", c.kind) }),
      el("td", {}, pill("callback", c.status)),
      el("td", { text: c.phone }),
      el("td", { text: DeskText.queue(c.queue) }),
      el("td", {}, ticketLink(c.ticket_id)),
      el("td", { text: String(c.attempts ?? 0) }),
      el("td", { text: c.note || "" }),
      el("td", {}, leads() && CANCELABLE.includes(c.status)
        ? el("button", { type: "button", class: "cancel", text: t("cancel_callback"), onclick: () => cancel(c) }) : ""))));
    $("no-callbacks").hidden = callbackRows.length > 0;
  }

  async function voicemails() {
    const params = new URLSearchParams();
    if ($("voicemail-queue").value) params.set("queue", $("voicemail-queue").value);
    if ($("voicemail-status").value) params.set("status", $("voicemail-status").value);
    const data = await api("GET", `/api/voicemails?${params}`);
    if (!data) return;
    voicemailRows = data.voicemails;
    drawVoicemails();
  }

  async function change(voicemail, action) {
    const done = await api("POST", `/api/voicemails/${voicemail.id}/${action}`, {});
    if (done) { Desk.notice(t(action === "take" ? "taken" : "marked_done")); voicemails(); }
  }

  function voicemailActions(v) {
    const me = Desk.me() || {};
    if (v.status === "new") return el("button", { type: "button", class: "take primary", text: t("take"), onclick: () => change(v, "take") });
    if (v.status === "taken" && v.taken_by === me.id) return el("button", { type: "button", class: "done", text: t("done"), onclick: () => change(v, "done") });
    return "";
  }

  function drawVoicemails() {
    if (!voicemailRows) return;
    $("voicemails").querySelector("tbody").replaceChildren(...voicemailRows.map((v) => el("tr", { "data-voicemail": String(v.id) },
      el("td", { text: DeskText.when(v.created_at) }),
      el("td", { text: DeskText.queue(v.queue) }),
      el("td", { text: v.phone || "—" }),
      el("td", { text: v.duration_seconds ? DeskText.span(v.duration_seconds) : "—" }),
      el("td", {}, pill("voicemail", v.status)),
      el("td", {}, ticketLink(v.ticket_id, v.ticket)),
      el("td", { text: v.taken_by ? DeskText.person(v.taken_by) : "—" }),
      el("td", {}, voicemailActions(v)))));
    $("no-voicemails").hidden = voicemailRows.length > 0;
  }

  function begin() {
    fillChoices();
    $("callback-status").addEventListener("change", callbacks);
    $("voicemail-queue").addEventListener("change", voicemails);
    $("voicemail-status").addEventListener("change", voicemails);
  }

  function redraw() { fillChoices(); drawCallbacks(); drawVoicemails(); }

  return { begin, callbacks, voicemails, redraw };
})();
