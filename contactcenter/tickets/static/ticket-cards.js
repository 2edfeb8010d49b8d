// The ticket page's cards beside its details: the return visit's answers (POST …/return-visit, shown while
// the ticket is resolved or waits for its visit; the answer closes or reopens it, and the page says which),
// a complaint's agent and whether it was substantiated (PATCH about_agent_id, substantiated), and the
// attachments (listed with their download links; a file picked and uploaded, the server's refusal shown).
"use strict";

const TicketCards = (() => {
  const { $, el, api } = Desk;
  const t = (key) => DeskText.t(key);
  const AWAITING = ["resolved", "return_visit"]; // a return visit may be recorded (satisfaction/routes.py)
  let ticket = null;
  let hooks = { id: 0, show: () => {}, load: async () => {} };

  function fill(select, choices, selected) {
    select.replaceChildren(...choices.map(([value, text]) => el("option", { value, text, selected: String(value) === String(selected ?? "") })));
  }

  // The time the ticket's latest return visit was planned for (its history says so), or null.
  function plannedAt() {
    const planned = ticket.history.filter((e) => e.kind === "return_visit_planned" && e.data && e.data.at);
    return planned.length ? planned[planned.length - 1].data.at : null;
  }

  // ---- the return visit ------------------------------------------------------------------------

  function drawVisit() {
    const form = $("visit");
    form.hidden = !AWAITING.includes(ticket.status) || Boolean(ticket.merged_into);
    const at = plannedAt();
    $("visit-planned").textContent = at ? `${t("visit_planned_at")} ${DeskText.when(at)}` : "";
    const { satisfaction, resolved } = form.elements;
    fill(satisfaction, [["", t("choose")], ...[5, 4, 3, 2, 1].map((n) => [String(n), t(`score_${n}`)])], satisfaction.value);
    fill(resolved, [["", t("choose")], ["yes", t("yes")], ["no", t("no")]], resolved.value);
    reached();
  }

  // "Nobody answered" has no answers to give.
  function reached() {
    const nobody = $("visit").elements.reached.value === "no";
    $("visit").querySelectorAll(".answer").forEach((label) => { label.hidden = nobody; });
  }

  function effect(status) {
    if (status === "closed") return t("visit_effect_closed");
    if (status === "reopened") return t("visit_effect_reopened");
    return `${t("visit_effect_other")} ${DeskText.status(status)}`;
  }

  async function recordVisit(event) {
    event.preventDefault();
    const form = event.target;
    const f = form.elements;
    const body = { reached: f.reached.value !== "no" };
    if (body.reached) {
      if (f.satisfaction.value) body.satisfaction = Number(f.satisfaction.value);
      if (f.resolved.value) body.resolved = f.resolved.value === "yes";
      if (body.satisfaction === undefined && body.resolved === undefined) { Desk.error(t("visit_need_answer")); return; }
      if (f.comment.value.trim()) body.comment = f.comment.value.trim();
    }
    const answer = await api("POST", `/api/tickets/${hooks.id}/return-visit`, body);
    await hooks.load(); // refused or not: the ticket as it is now
    if (!answer) return;
    form.reset();
    reached();
    Desk.notice(effect(answer.ticket_status));
  }

  // ---- a complaint's agent ----------------------------------------------------------------------

  function drawComplaint() {
    const form = $("complaint");
    form.hidden = ticket.category !== "complaint";
    if (form.hidden || (form.contains(document.activeElement) && form.dataset.ticket === String(ticket.id))) return;
    form.dataset.ticket = String(ticket.id);
    const people = Object.entries(DeskText.people);
    if (ticket.about_agent_id && !DeskText.people[ticket.about_agent_id]) {
      people.push([String(ticket.about_agent_id), DeskText.person(ticket.about_agent_id)]);
    }
    fill(form.elements.about_agent_id, [["", "—"], ...people], ticket.about_agent_id ?? "");
    const now = ticket.substantiated === true ? "true" : ticket.substantiated === false ? "false" : "";
    fill(form.elements.substantiated, [["", t("substantiated_unknown")], ["true", t("substantiated_yes")],
      ["false", t("substantiated_no")]], now);
  }

  async function saveComplaint(event) {
    event.preventDefault();
    const f = event.target.elements;
    const about = f.about_agent_id.value ? Number(f.about_agent_id.value) : null;
    const substantiated = f.substantiated.value === "" ? null : f.substantiated.value === "true";
    const changes = {};
    if (about !== (ticket.about_agent_id ?? null)) changes.about_agent_id = about;
    if (substantiated !== (ticket.substantiated ?? null)) changes.substantiated = substantiated;
    if (!Object.keys(changes).length) { Desk.notice(t("nothing_changed")); return; }
    const answer = await api("PATCH", `/api/tickets/${hooks.id}`, changes);
    if (!answer) return; // refused: what was chosen stays, beside the message
    event.target.dataset.ticket = "";
    hooks.show(answer);
    Desk.notice(t("saved"));
  }

  // ---- attachments -------------------------------------------------------------------------------

  function drawAttachments() {
    const list = ticket.attachments || [];
    $("attachments").replaceChildren(...(list.length ? list.map((a) => el("li", { "data-attachment": String(a.id) },
      TicketTimeline.attachmentLinks(a),
      el("div", { class: "sub muted", text: [TicketTimeline.size(a.size_bytes), DeskText.when(a.uploaded_at), a.uploaded_by]
        .filter(Boolean).join(" · ") })))
      : [el("li", { class: "muted", text: t("no_attachments") })]));
  }

  async function upload(event) {
    event.preventDefault();
    const input = event.target.elements.file;
    if (!input.files.length) { Desk.error(t("choose_file")); return; }
    const body = new FormData();
    body.append("file", input.files[0]);
    const added = await api("POST", `/api/tickets/${hooks.id}/attachments`, body); // a refusal's message is shown
    if (!added) return;
    input.value = "";
    await hooks.load();
    Desk.notice(`${t("uploaded")}: ${added.file_name}`);
  }

  // ---- the page's hooks --------------------------------------------------------------------------

  function draw(shown) {
    ticket = shown;
    drawVisit();
    drawComplaint();
    drawAttachments();
  }

  // `page`: the ticket's id, show(answer) to draw an action's answer, load() to read the ticket again.
  function begin(page) {
    hooks = page;
    $("visit").addEventListener("submit", recordVisit);
    $("visit").addEventListener("change", (event) => { if (event.target.name === "reached") reached(); });
    $("complaint").addEventListener("submit", saveComplaint);
    $("upload").addEventListener("submit", upload);
  }

  return { begin, draw };
})();
