// The ticket page's clocks and its one timeline: contacts, notes, recordings, attachments and history events
// (each event by its `label`, its details in words), newest or oldest first. Times in the hotline's zone.
"use strict";

const TicketTimeline = (() => {
  const { el } = Desk;
  const t = (key) => DeskText.t(key);
  const PLAYERS = ["qa", "supervisor", "manager", "admin"]; // who may play a recording (RECORDING_PLAY)
  let newestFirst = localStorage.getItem("desk-timeline-order") !== "oldest";

  // ---- clocks ----------------------------------------------------------------------------------

  function clockState(clock) {
    if (clock.state === "stopped" && clock.overdue) return t("clock_stopped_late");
    return DeskText.code("clock", clock.state);
  }

  function clockItem(clock) {
    const counting = ["running", "breached"].includes(clock.state);
    const left = el("span", { class: "due", "data-due": counting ? clock.due_at || "" : "", "data-breached": clock.state === "breached" ? "1" : "" });
    const item = el("li", { "data-clock": clock.target },
      el("b", { text: DeskText.target(clock.target) }),
      el("span", {}, el("span", { class: `pill ${clock.state}`, text: clockState(clock) }), " ", left));
    const when = clock.state === "stopped" ? DeskText.when(clock.stopped_at) : clock.due_at ? `${t("due_at")} ${DeskText.when(clock.due_at)}` : "";
    item.append(el("span", { class: "sub", text: [when, `${t("budget")} ${DeskText.minutes(clock.budget_minutes)}`,
      DeskText.calendar(clock.calendar), `${t("version")} ${clock.policy_version}`].filter(Boolean).join(" · ") }));
    tick(left);
    return item;
  }

  function tick(node) {
    if (!node.dataset.due) { node.textContent = ""; return; }
    const left = (new Date(node.dataset.due).getTime() - Date.now()) / 1000;
    const breached = left < 0 || node.dataset.breached === "1";
    node.classList.toggle("breached", breached);
    node.classList.toggle("soon", !breached && left < 3600);
    node.textContent = `${breached ? t("over_by") : t("left")} ${DeskText.span(left)}`;
  }

  function clocks(list, ticket) {
    const shown = ticket.clocks.filter((c) => c.state !== "superseded").concat(ticket.clocks.filter((c) => c.state === "superseded"));
    list.replaceChildren(...(shown.length ? shown.map(clockItem) : [el("li", { class: "muted", text: t("no_clocks") })]));
  }

  // ---- the timeline ------------------------------------------------------------------------------

  function actor(name) {
    const [kind, id] = String(name || "").split(":");
    if (kind === "user" && id) return DeskText.person(Number(id));
    return DeskText.code("by", ["sla", "reconciler", "ivr"].includes(kind) ? kind : "system");
  }

  // Why something happened, in words; the reasons that name a ticket or a category, with it.
  function why(value) {
    if (!value) return "";
    const text = String(value);
    let found = /^merged into (\S+)$/.exec(text);
    if (found) return `${t("why_merged_into")} ${found[1]}`;
    found = /^(\S+)'s is earlier$/.exec(text);
    if (found) return t("why_earlier").replace("{ticket}", found[1]);
    found = /^category (\S+)$/.exec(text);
    if (found) return `${t("why_category_changed")}: ${DeskText.category(found[1])}`;
    return DeskText.code("why", text);
  }
  const yesNo = (value) => (value === true ? t("yes") : value === false ? t("no") : "—");

  // A file's size: "820 B", "35 KB", "2.4 MB".
  function size(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  // A recorded answer: "回访 · 满意度 2 · 未解决", or that nobody answered.
  function answer(d) {
    if (d.reached === false) return [DeskText.code("source", d.source), t("visit_nobody")].join(" · ");
    return [DeskText.code("source", d.source), d.satisfaction ? `${t("satisfaction")} ${d.satisfaction}` : "",
      d.resolved === true ? t("resolved_yes") : d.resolved === false ? t("resolved_no") : ""].filter(Boolean).join(" · ");
  }

  function fieldValue(field, value) {
    if (value === null || value === undefined || value === "") return "—";
    if (field === "outcome") return DeskText.code("outcome", value);
    if (field === "about_agent_id") return DeskText.person(value);
    if (field === "substantiated") return yesNo(value);
    if (field === "category") return DeskText.category(value);
    return value;
  }

  // An event's details in words (never its codes).
  function detail(event) {
    const d = event.data || {};
    const arrow = (from, to) => [from, to].filter(Boolean).join(" → ");
    switch (event.kind) {
      case "opened": return d.subject || "";
      case "categorized": return arrow(d.previous ? DeskText.category(d.previous) : "", DeskText.category(d.category));
      case "status_changed": return arrow(d.previous && DeskText.status(d.previous), DeskText.status(d.status)) + (d.why ? ` · ${why(d.why)}` : "");
      case "assigned": return arrow(d.previous ? DeskText.person(d.previous) : "", d.to ? DeskText.person(d.to) : t("nobody"));
      case "fields_changed":
        return Object.entries(d).filter(([, v]) => v && typeof v === "object")
          .map(([field, v]) => `${DeskText.code("field", field)}: ${arrow(fieldValue(field, v.from), fieldValue(field, v.to))}`)
          .join("; ");
      case "clock_started": case "clock_resumed":
        return [DeskText.target(d.target), d.due_at ? `${t("due_at")} ${DeskText.when(d.due_at)}` : ""].filter(Boolean).join(" · ");
      case "clock_stopped":
        return `${DeskText.target(d.target)} · ${d.met === false ? t("clock_stopped_late") : t("clock_stopped")}`;
      case "clock_paused": case "clock_superseded": case "clock_warning": case "clock_breached":
        return DeskText.target(d.target) + (d.why ? ` · ${why(d.why)}` : "");
      case "escalated":
        return [arrow(DeskText.code("level", d.previous ?? 0), DeskText.code("level", d.level)),
          d.why && !["by_hand", "emergency"].includes(d.why) ? DeskText.target(d.why) : why(d.why),
          (d.skipped || []).length ? `${t("level_skipped")} ${d.skipped.map((l) => DeskText.code("level", l)).join(", ")}` : "",
          d.reason || ""].filter(Boolean).join(" · ");
      case "breach_at_top": return DeskText.target(d.why);
      case "policy_reapplied": return `${DeskText.target(d.target)} · ${t("version")} ${arrow(String(d.previous_version), String(d.version))}`;
      case "merged": return d.into || "";
      case "merged_in": case "threaded": return d.source || d.into || "";
      case "unmerged": return d.from_ticket || d.source || "";
      case "split": return d.from_ticket || d.to_ticket || "";
      case "callback_scheduled": return DeskText.code("kind", d.callback_kind);
      case "return_visit_planned": return d.at ? `${t("visit_planned_at")} ${DeskText.when(d.at)}` : "";
      case "return_visit_impossible": return why(d.why);
      case "satisfaction_recorded": return answer(d);
      case "complaint_opened": return d.complaint || "";
      default: return "";
    }
  }

  function contactEntry(c) {
    const where = c.queue ? DeskText.queue(c.queue) : t("ivr");
    return { at: c.created_at, kind: "contact", what: `${DeskText.code("channel", c.channel)} → ${where}`,
      detail: [DeskText.code("contact", c.status), c.from, c.agent].filter(Boolean).join(" · ") };
  }

  function noteEntry(n) {
    return { at: n.created_at, kind: n.kind === "reply" ? "reply" : "note", what: DeskText.code("note_kind", n.kind), detail: n.author || "", body: n.body };
  }

  function recordingEntry(r, role) {
    const play = r.media_url && PLAYERS.includes(role) ? el("a", { href: r.media_url, target: "_blank", rel: "noopener", text: t("play") }) : null;
    return { at: r.created_at || null, kind: "recording", what: `${t("recording")} #${r.id}`,
      detail: [DeskText.code("recording", r.status), r.duration_seconds ? DeskText.span(r.duration_seconds) : ""].filter(Boolean).join(" · "), link: play };
  }

  // A download link (the kept name), and for a picture one that shows it in the browser.
  function attachmentLinks(a) {
    const links = el("span", {}, el("a", { href: a.url, download: a.file_name, class: "file", text: a.file_name }));
    if (a.inline) links.append(" ", el("a", { href: `${a.url}?inline=1`, target: "_blank", rel: "noopener", class: "view", text: t("view") }));
    return links;
  }

  function attachmentEntry(a) {
    return { at: a.uploaded_at, kind: "attachment", what: t("attachment"),
      detail: [size(a.size_bytes), a.uploaded_by].filter(Boolean).join(" · "), link: attachmentLinks(a) };
  }

  function eventEntry(e) {
    return { at: e.at, kind: "event", what: DeskText.pick(e.label), detail: [actor(e.actor), detail(e)].filter(Boolean).join(" · ") };
  }

  // Everything in one list by time (the instants compared, whatever their offsets); anything without a time last.
  const SHOWN_APART = ["note_added", "attachment_added"]; // the note and the attachment themselves are shown
  function entries(ticket, role) {
    const all = [
      ...ticket.contacts.map(contactEntry),
      ...ticket.notes.map(noteEntry),
      ...(ticket.recordings || []).map((r) => recordingEntry(r, role)),
      ...(ticket.attachments || []).map(attachmentEntry),
      ...ticket.history.filter((e) => !SHOWN_APART.includes(e.kind)).map(eventEntry),
    ];
    const instant = (entry) => new Date(entry.at).getTime();
    const timed = all.filter((e) => e.at).sort((a, b) => instant(a) - instant(b));
    if (newestFirst) timed.reverse();
    return [...timed, ...all.filter((e) => !e.at)];
  }

  function timeline(list, ticket, role) {
    list.replaceChildren(...entries(ticket, role).map((entry) => el("li", { class: entry.kind },
      el("time", { text: entry.at ? DeskText.when(entry.at) : "" }),
      el("div", {},
        el("span", { class: "what", text: entry.what }),
        entry.detail ? el("span", { class: "detail", text: ` · ${entry.detail}` }) : null,
        entry.link ? el("span", {}, " ", entry.link) : null,
        entry.body ? el("div", { class: "body", text: entry.body }) : null))));
  }

  function orderLabel() { return t(newestFirst ? "newest_first" : "oldest_first"); }
  function flip() {
    newestFirst = !newestFirst;
    localStorage.setItem("desk-timeline-order", newestFirst ? "newest" : "oldest");
  }

  return { clocks, timeline, tick, orderLabel, flip, size, attachmentLinks };
})();
