"""The calling party of a sandbox call: its script or live input, its patience, its time in queues."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Sequence

from .script import LiveInput, ScriptEntry


class Caller:
    """A simulated person: scripted answers for each <Gather>, or a live person sending input."""

    def __init__(
        self,
        script: Sequence[ScriptEntry] = (),
        *,
        interactive: bool = False,
        hangup_after_queue: float | None = None,
        talk_seconds: float | None = None,
    ) -> None:
        self.script: deque[ScriptEntry] = deque(script)
        self.interactive = interactive
        self.hangup_after_queue = hangup_after_queue
        self.talk_seconds = talk_seconds
        # Live input that no <Gather> has taken yet (see README: kept, where Twilio would drop it).
        self.pending: deque[LiveInput] = deque()
        self._queued_before = 0.0
        self._queued_since: float | None = None

    # -- time in queues -------------------------------------------------------------------

    def joined_queue(self) -> None:
        """The caller starts waiting in an <Enqueue>."""
        self._queued_since = time.monotonic()

    def left_queue(self) -> None:
        """The caller stops waiting; the time waited so far is kept."""
        if self._queued_since is not None:
            self._queued_before += time.monotonic() - self._queued_since
            self._queued_since = None

    def queue_seconds(self) -> float:
        """Seconds spent in queues so far, the current wait included."""
        current = 0.0 if self._queued_since is None else time.monotonic() - self._queued_since
        return self._queued_before + current

    # -- scripted answers ------------------------------------------------------------------

    def next_entry(self, kinds: Iterable[str]) -> ScriptEntry | None:
        """Take the next script entry if a Gather accepting `kinds` can use it now.

        An entry that does not suit the Gather (speech at a keypad-only menu), or that waits for
        more time in queue, stays for a later Gather: the script is what the caller will do next.
        """
        if not self.script:
            return None
        entry = self.script[0]
        if entry.kind not in set(kinds) or entry.after_queue_seconds > self.queue_seconds():
            return None
        return self.script.popleft()

    def upcoming_key(self) -> str:
        """The first key of the next keypad entry, if it is due now ('' otherwise)."""
        if not self.script:
            return ""
        entry = self.script[0]
        if entry.digits is None or entry.after_queue_seconds > self.queue_seconds():
            return ""
        return entry.digits[:1]

    def script_json(self) -> list[object]:
        """Script entries not used yet, as the control API shows them."""
        return [entry.to_json() for entry in self.script]
