"""What the chaos harness counts after a fault, from the facts of the three stores: the sandbox (what each
caller lived through, which recordings exist), SQL (contacts, recordings) and routing's Redis.

- completed: the caller talked with an agent; abandoned_by_caller: hung up while waiting;
  dropped_by_us: anything else (an application error, the hotline hung up on them, still stuck at the end).
- ghosts: routing holds a contact live whose caller is gone or whose SQL record is over.
- zombies: SQL holds a call live (in the IVR, waiting, connected) whose caller is gone, or that routing
  does not know while the caller waits; or routing has a call connecting longer than a phone rings
  (the caller hears "connecting" and no agent is coming).
- agents_stuck: an agent reserved or busy on a contact routing no longer has live (at the end: any agent
  not back to available, since the harness's agents always go back).
- duplicates: two agents in one caller's room at once, or more tickets than contacts made them.
- recordings_missing: a recording Twilio made (ended a few seconds ago) that is not stored.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.tickets.models import Ticket
from contactcenter.timeutil import as_utc
from recordings.models import Recording, RecordingStatus
from twilio_sandbox.load_report import classify

FINAL = ("completed", "busy", "failed", "no-answer", "canceled")
LIVE_IN_ROUTING = ("waiting", "offered", "connecting", "assigned")
SETTLE_SECONDS = 3.0  # a call that ended this recently may still have its status callback in flight
RECORDING_SETTLE_SECONDS = 8.0  # a recording is fetched by the worker a few seconds after its call
CONNECTING_TOO_LONG = 12.0  # the harness's agent phones ring 6 s (AGENT_RING_SECONDS), reports take a few more


@dataclass
class Problems:
    ghosts: int = 0
    zombies: int = 0
    agents_stuck: int = 0
    duplicates: int = 0
    recordings_missing: int = 0
    details: tuple[str, ...] = ()

    def healed(self) -> bool:
        return not (self.ghosts or self.zombies or self.agents_stuck or self.duplicates or self.recordings_missing)


def _seconds_since(moment: datetime | None) -> float:
    """Seconds since a time SQL keeps (0 when unset)."""
    return time.time() - as_utc(moment).timestamp() if moment and as_utc(moment) else 0.0


def _age(value: str | None) -> float:
    """Seconds since an ISO timestamp of the sandbox (0 when unset)."""
    return time.time() - datetime.fromisoformat(value).timestamp() if value else 0.0


class Observer:
    """Reads the three stores; one per run."""

    def __init__(self, services: Services, sandbox_url: str, agent_ids: list[str]) -> None:
        self.services = services
        self.sandbox = httpx.Client(base_url=sandbox_url, timeout=30.0, trust_env=False)
        self.agent_ids = agent_ids
        self.first_contact = 1
        self.earlier_recordings: set[str] = set()

    def calls(self) -> dict[str, dict[str, Any]]:
        return {call["call_sid"]: call for call in self.sandbox.get("/sandbox/calls").json()["calls"]}

    def conferences(self) -> list[dict[str, Any]]:
        return list(self.sandbox.get("/sandbox/conferences").json()["conferences"])

    def recordings(self, conferences: list[dict[str, Any]]) -> dict[str, float]:
        """Every recording the sandbox made → seconds since its call or conference ended (0: not yet)."""
        made: dict[str, float] = {}
        for call in self.calls().values():
            for sid in call["recording_sids"]:
                made[sid] = _age(call["ended_at"]) if call["status"] in FINAL else 0.0
        for conference in conferences:
            ended = conference["status"] == "completed" and conference["log"]
            age = _age(conference["created_at"]) - conference["log"][-1]["t"] if ended else 0.0
            for sid in conference["recording_sids"]:
                made[sid] = age
        return made

    def begin(self) -> None:
        """A scenario starts: what earlier ones left is theirs, not its (contacts, recordings)."""
        with self.services.db.reading() as session:
            self.first_contact = (session.scalar(select(func.max(Contact.id))) or 0) + 1
        self.earlier_recordings = set(self.recordings(self.conferences()))

    def outcomes(self, sids: list[str]) -> tuple[Counter[str], list[str]]:
        """How each call ended, and for each dropped one the last things that happened on it."""
        calls = self.calls()
        counts: Counter[str] = Counter()
        dropped = []
        for sid in sids:
            outcome = classify(calls[sid])
            key = {"answered": "completed", "abandoned": "abandoned_by_caller"}.get(outcome, "dropped_by_us")
            counts[key] += 1
            if key == "dropped_by_us":
                last = [{k: v for k, v in e.items() if k not in ("t", "twiml")} for e in calls[sid]["log"][-4:]]
                dropped.append(f"dropped {sid[-6:]} ({outcome}): {last}")
        return counts, dropped

    def problems(self, *, final: bool = False, since_fault: float = 0.0) -> Problems:
        """The problems now. `since_fault`: seconds since the fault ended; a recording of a call that had
        ended by then must be stored (else only those ended RECORDING_SETTLE_SECONDS ago)."""
        calls = self.calls()

        def gone(call_sid: str) -> bool:
            call = calls.get(call_sid)
            return call is not None and call["status"] in FINAL and _age(call["ended_at"]) > SETTLE_SECONDS

        found = Problems()
        notes: list[str] = []
        routing = self._routing_contacts()
        with self.services.db.reading() as session:
            mine = select(Contact).where(Contact.channel == "voice", Contact.id >= self.first_contact)
            contacts = {c.id: c for c in session.scalars(mine)}
            for contact_id, state in routing.items():
                if state == "limbo" and int(contact_id) in contacts:
                    found.zombies += 1
                    notes.append(f"zombie {contact_id} (connecting for more than {CONNECTING_TOO_LONG:g} s)")
                contact = contacts.get(int(contact_id))
                if state not in LIVE_IN_ROUTING or contact is None:
                    continue
                over = contact.status in (ContactStatus.ENDED, ContactStatus.ABANDONED)
                if over or (contact.status != ContactStatus.CALLBACK and gone(contact.provider_id)):
                    found.ghosts += 1
                    notes.append(f"ghost {contact_id} ({state}; SQL {contact.status})")
            live_in_sql = (ContactStatus.IVR, ContactStatus.QUEUED, ContactStatus.CONNECTED)
            for contact in contacts.values():
                if contact.status not in live_in_sql:
                    continue
                unknown = contact.status != ContactStatus.IVR and routing.get(str(contact.id)) not in LIVE_IN_ROUTING
                call = calls.get(contact.provider_id)
                # Routing hears of a queued caller a moment after SQL does; a connected one it has already.
                settled = contact.status == ContactStatus.CONNECTED or _seconds_since(contact.queued_at) > 2
                waiting = call is not None and call["status"] == "in-progress" and settled
                if gone(contact.provider_id) or (unknown and waiting):
                    found.zombies += 1
                    notes.append(f"zombie {contact.id} (SQL {contact.status}; routing {routing.get(str(contact.id))})")
            stored_sids = set(
                session.scalars(select(Recording.provider_sid).where(Recording.status == RecordingStatus.STORED))
            )
            tickets = session.scalar(select(func.count(Ticket.id))) or 0
            with_ticket = session.scalar(select(func.count(func.distinct(Contact.ticket_id)))) or 0
        conferences = self.conferences()
        made = {sid: age for sid, age in self.recordings(conferences).items() if sid not in self.earlier_recordings}
        doubled = [c["friendly_name"] for c in conferences if _agents_at_once(c) > 1]
        found.duplicates = len(doubled) + max(0, tickets - with_ticket)
        notes += [f"two agents at once in {name}" for name in doubled]
        due = [sid for sid, age in made.items() if final or age > min(RECORDING_SETTLE_SECONDS, max(since_fault, 0.1))]
        found.recordings_missing = sum(1 for sid in due if sid not in stored_sids)
        for agent_id in self.agent_ids:
            agent = self.services.routing.agent(agent_id)
            holding = agent.get("contact", "")
            busy = agent.get("state") in ("reserved", "busy") and routing.get(holding) not in LIVE_IN_ROUTING
            if busy or (final and agent.get("state") != "available"):
                found.agents_stuck += 1
                notes.append(f"agent {agent_id} {agent.get('state')}/{agent.get('reason')} on {holding or '-'}")
        found.details = tuple(notes)
        return found

    def _routing_contacts(self) -> dict[str, str]:
        """Routing's contacts by id → state; a call connecting longer than a phone rings and its end is
        reported (CONNECTING_TOO_LONG) is `limbo`: its caller hears "connecting" with no agent coming."""
        prefix = self.services.routing.contact_key("")
        ids = [key.decode().removeprefix(prefix) for key in self.services.redis.scan_iter(match=prefix + "*")]
        ids = [contact_id for contact_id in ids if contact_id.isdigit()]
        with self.services.redis.pipeline(transaction=False) as pipe:
            for contact_id in ids:
                pipe.hmget(prefix + contact_id, "state", "accepted_at")
            records = pipe.execute()
        found = {}
        for contact_id, (state, accepted) in zip(ids, records, strict=True):
            found[contact_id] = (state or b"").decode()
            waited = time.time() - int(accepted) / 1000 if accepted else 0.0
            if found[contact_id] == "connecting" and waited > CONNECTING_TOO_LONG:
                found[contact_id] = "limbo"
        return found


def _agents_at_once(conference: dict[str, Any]) -> int:
    """The most agents' legs that were in the room at the same time."""
    inside: set[str] = set()
    most = 0
    for entry in conference["log"]:
        label = str(entry.get("label") or "")
        if not label.startswith("agent-"):
            continue
        if entry["event"] == "participant-join":
            inside.add(label)
        elif entry["event"] == "participant-leave":
            inside.discard(label)
        most = max(most, len(inside))
    return most
