"""Named FIFO call queues, as created on demand by <Enqueue>."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .calls import Call
from .ids import queue_sid

MAX_QUEUE_SIZE = 1000  # Twilio's default MaxQueueSize


@dataclass
class Queue:
    """One named queue: the calls waiting in it, oldest first."""

    name: str
    sid: str
    members: dict[str, tuple[Call, float]] = field(default_factory=dict)

    def position(self, call: Call) -> int:
        """1-based FIFO position of a waiting call (0 when not waiting)."""
        for index, sid in enumerate(self.members, start=1):
            if sid == call.sid:
                return index
        return 0

    def wait_time(self, call: Call) -> int:
        """Whole seconds the call has been waiting."""
        entry = self.members.get(call.sid)
        return 0 if entry is None else int(time.monotonic() - entry[1])

    def average_wait(self) -> int:
        """Average current wait of the calls in the queue, in whole seconds."""
        if not self.members:
            return 0
        now = time.monotonic()
        return int(sum(now - since for _, since in self.members.values()) / len(self.members))

    def wait_params(self, call: Call) -> dict[str, str]:
        """Parameters Twilio adds to waitUrl requests."""
        return {
            "QueueSid": self.sid,
            "QueuePosition": str(self.position(call)),
            "QueueTime": str(self.wait_time(call)),
            "AvgQueueTime": str(self.average_wait()),
            "CurrentQueueSize": str(len(self.members)),
            "MaxQueueSize": str(MAX_QUEUE_SIZE),
        }


class QueueRegistry:
    """All queues of the sandbox account, created on first use."""

    def __init__(self, account_sid: str) -> None:
        self._account_sid = account_sid
        self._queues: dict[str, Queue] = {}

    def join(self, name: str, call: Call) -> Queue:
        """Put a call at the back of the named queue."""
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = Queue(name, queue_sid(self._account_sid, name))
        queue.members[call.sid] = (call, time.monotonic())
        return queue

    def is_full(self, name: str) -> bool:
        """Whether the named queue already holds MaxQueueSize calls."""
        queue = self._queues.get(name)
        return queue is not None and len(queue.members) >= MAX_QUEUE_SIZE

    def leave(self, queue: Queue, call: Call) -> int:
        """Remove a call from a queue; return how long it waited."""
        waited = queue.wait_time(call)
        queue.members.pop(call.sid, None)
        return waited

    def forget(self, call: Call) -> None:
        """Make sure a finished call waits in no queue."""
        for queue in self._queues.values():
            queue.members.pop(call.sid, None)

    def snapshot(self) -> list[dict[str, object]]:
        """Queues and their waiting calls, for the control API."""
        return [
            {
                "name": queue.name,
                "queue_sid": queue.sid,
                "size": len(queue.members),
                "calls": list(queue.members),
            }
            for queue in self._queues.values()
        ]
