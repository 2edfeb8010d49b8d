"""Reading a contact's conference (its "room") in the sandbox: who joined, who heard whom, what it recorded."""

from __future__ import annotations

from typing import Any

import httpx


def rooms_of(sandbox_url: str, contact: int | str) -> list[dict[str, Any]]:
    """Every sandbox conference named for the contact, oldest first."""
    listing = httpx.get(f"{sandbox_url}/sandbox/conferences", timeout=10).json()["conferences"]
    return [room for room in reversed(listing) if room["friendly_name"] == f"contact-{contact}"]


def room_of(sandbox_url: str, contact: int | str) -> dict[str, Any]:
    """The contact's one conference (fails if there is none or several)."""
    rooms = rooms_of(sandbox_url, contact)
    assert len(rooms) == 1, [room["sid"] for room in rooms]
    return rooms[0]


def room_events(room: dict[str, Any], event: str) -> list[dict[str, Any]]:
    """The room's log entries of one kind (participant-join, participant-hold, ...)."""
    return [entry for entry in room["log"] if entry["event"] == event]


def joined_labels(room: dict[str, Any]) -> list[str]:
    """The labels of the participants who joined, in order."""
    return [entry["label"] for entry in room_events(room, "participant-join")]
