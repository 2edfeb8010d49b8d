/* The QA page (/qa): a recording's Listen button opens it in the player above the table, one at a time. */
(function () {
  "use strict";
  const section = document.getElementById("listening");
  const title = document.getElementById("listening-title");
  const holder = document.getElementById("player");
  let player = null;

  // Evaluate: the viewer's evaluation of the call (theirs again if started), on its own page.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.evaluate");
    if (!button) return;
    button.disabled = true;
    const response = await fetch(`/api/qa/contacts/${button.dataset.contact}/evaluations`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) { location.href = `/qa/evaluations/${answer.id}`; return; }
    button.disabled = false;
    button.title = answer.error || `HTTP ${response.status}`;
    window.alert(button.title);
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.listen");
    if (!button) return;
    if (player) player.destroy();
    const cells = button.closest("tr").children;
    title.textContent = `${cells[0].textContent} · ${cells[1].textContent || "—"} · ${cells[3].textContent || "—"}`;
    section.hidden = false;
    player = new window.RecordingPlayer(holder, { mediaUrl: button.dataset.media, peaksUrl: button.dataset.peaks });
    holder.dataset.recording = button.dataset.recording;
    section.scrollIntoView({ block: "nearest" });
    player.playButton.focus();
  });
})();
