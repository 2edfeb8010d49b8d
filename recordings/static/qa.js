/* The QA page (/qa): a recording's Listen button opens it in the player above the table, one at a time. */
(function () {
  "use strict";
  const section = document.getElementById("listening");
  const title = document.getElementById("listening-title");
  const holder = document.getElementById("player");
  let player = null;

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
