// The ticket page's clocks and its one timeline: contacts, notes, recordings and history events (each
// event by its `label`, its details in words), newest or oldest first. Times in the hotline's zone.
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

  const why = (value) => (value ? DeskText.code("why", value) : "");

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
          .map(([field, v]) => {
            const shown = (value) => (!value ? "—" : field === "outcome" ? DeskText.code("outcome", value) : value);
            return `${DeskText.code("field", field)}: ${arrow(shown(v.from), shown(v.to))}`;
          }).join("; ");
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
    return { at: null, kind: "recording", what: `${t("recording")} #${r.id}`,
      detail: [DeskText.code("recording", r.status), r.duration_seconds ? DeskText.span(r.duration_seconds) : ""].filter(Boolean).join(" · "), link: play };
  }

  function eventEntry(e) {
    return { at: e.at, kind: "event", what: DeskText.pick(e.label), detail: [actor(e.actor), detail(e)].filter(Boolean).join(" · ") };
  }

  // Everything in one list by time; recordings carry no time of their own and go last.
  function entries(ticket, role) {
    const timed = [
      ...ticket.contacts.map(contactEntry),
      ...ticket.notes.map(noteEntry),
      ...ticket.history.filter((e) => e.kind !== "note_added").map(eventEntry), // the note itself is shown
    ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    if (newestFirst) timed.reverse();
    return [...timed, ...ticket.recordings.map((r) => recordingEntry(r, role))];
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

  return { clocks, timeline, tick, orderLabel, flip };
})();
