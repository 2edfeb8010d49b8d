// Who listens in to the agent's call (a team lead or QA, from the wallboard): their name and how
// (listening, whispering to the agent, or in the call), shown in the call card. The server sends
// `contact.monitored` events and the snapshot's `contact.monitors` only when the hotline's
// SHOW_MONITORING setting says so (agents/monitoring.py). console.js calls onEvent and render.
"use strict";

const ConsoleMonitor = (() => {
  // The call's listeners after an event: `mode` "" means they left.
  function onEvent(event, view) {
    const call = view.contacts.get(String(event.contact));
    if (!call) return;
    const others = (call.monitors || []).filter((m) => String(m.monitor) !== String(event.monitor));
    call.monitors = event.mode ? [...others, { monitor: String(event.monitor), name: event.monitor_name || "", mode: event.mode }] : others;
  }

  function box() {
    let node = document.getElementById("call-monitors");
    if (!node) {
      node = ConsoleParts.el("div", "monitors");
      node.id = "call-monitors";
      node.setAttribute("aria-live", "polite");
      document.querySelector("#call h2").after(node);
    }
    return node;
  }

  function render(call) {
    const node = box();
    const live = call && call.state !== "ended" ? call.monitors || [] : [];
    node.hidden = live.length === 0;
    node.replaceChildren(...live.map((m) => {
      const line = ConsoleParts.el("span", "monitor", `${m.name} ${ConsoleText.t(`monitor_${m.mode}`)}`);
      line.dataset.monitor = m.monitor;
      line.dataset.mode = m.mode;
      return line;
    }));
  }

  return { onEvent, render };
})();
