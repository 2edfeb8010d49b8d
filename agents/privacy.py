"""What the console's and the wallboard's sockets send: events masked for viewers without the need
(contactcenter/access/masking.py: agents and QA see callers' numbers masked, +86 138****8000).

The routing events carry numbers whole; a socket that masks re-encodes only the events that name one,
the others go as stored (one frame built for every socket)."""

from __future__ import annotations

import json

from contactcenter.access.masking import masked
from queues.stream import Event, text_of


def event_text(event: Event, *, mask: bool) -> str:
    """An event as the socket sends it: as stored, or (when it names a number and must be masked) masked."""
    if mask:
        shown = masked(event)
        if shown is not event:
            return json.dumps(shown, ensure_ascii=False)
    return text_of(event)
