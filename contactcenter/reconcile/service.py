"""The reconciler: SQL is the record, Redis the live view, Twilio the fact of who is on a call. Every few
seconds one process compares them and repairs what differs; each repair is an audit entry with its reason.

- **Ghost**: routing holds a contact as live (waiting, offered, connecting, talking) that SQL has ended,
  or whose call Twilio says is over: routing lets go of it (a live caller was told "12 ahead of you"
  by contacts whose callers had hung up while a store was out of reach), and an agent held by it goes
  to wrap-up.
- **Zombie**: SQL has a call waiting or talking that routing does not know. Twilio says the call is over:
  SQL ends it (it stayed `queued` for ever). The caller still waits on the line: routing gets them back
  at their place by their original arrival (their wait loop had no agent coming). A call SQL has talking
  whose caller is still on the line is left to its end (Twilio reports it).

- **Connect lost**: an accepted call still connecting long after a phone rings and its end is reported
  (the process that accepted it died before anyone could notice): the caller goes back to their place
  and the agent not ready (missed), as when an agent's phone never joins.
- **Agent freed**: an agent routing holds reserved, busy or in wrap-up on nothing live (its contact gone
  from routing, ended, or someone else's; a wrap-up no timer will end) is made available again (not
  ready if that was pending); routing checks it again as it frees them (queues/lua/lib/6_repair.lua).

Cheap when all is well: one read of the contacts routing holds as live (its live set, not the ended
records it keeps a day), two small SQL reads and one read-only script over the agents per pass; Twilio is
asked about a contact at most once a minute.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from agents.conference import LiveCall
from agents.conference_events import join_failed
from agents.service import JOIN_GRACE_SECONDS
from contactcenter.audit.service import record_event
from contactcenter.callbacks.models import Callback
from contactcenter.contacts.lifecycle import finish_contact
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.liveness import is_alive
from contactcenter.reconcile.live import live_records
from contactcenter.reconcile.rebuild import (
    CALL_LIVE,
    CALL_OVER,
    call_status_of,
    rebuild,
    redis_was_lost,
    requeue_contact,
)
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.auth import AGENT_ROLES
from contactcenter.users.models import User
from queues.engine import RoutingError
from recordings.service import fetch_again, lost_fetches

log = logging.getLogger(__name__)
EVERY_SECONDS = 5.0
LIVE_IN_ROUTING = ("waiting", "offered", "connecting", "assigned")
LIVE_IN_SQL = (ContactStatus.QUEUED, ContactStatus.CONNECTED)
# A contact is written to SQL before routing hears of it: one younger than this is not a zombie yet.
SETTLING = timedelta(seconds=30)
ASK_TWILIO_EVERY = 60.0  # seconds between two questions about one call
CONNECT_MARGIN_SECONDS = 10  # after the overdue check (agents.jobs.check_join) would have acted
ORPHANED_AFTER_SECONDS = 2  # an accept moves the caller and rings the agent within this, when all is well
LOCK_KEY = "cc:reconciler:lock"
ROUTING_FIELDS = ["state", "agent", "accepted_at", "accepted_by"]  # what the checks read of routing's record
AGENT_FREED = "agent_freed"
REFETCHED = "recording_refetched"
# A recording is handed to RQ within a second of its report; one pending longer with no job anywhere lost it.
DOWNLOAD_SETTLING_SECONDS = 5


@dataclass(frozen=True)
class Repair:
    kind: str  # ghost | zombie_ended | zombie_requeued | connect_lost | agent_freed | recording_refetched
    contact_id: int  # agent_freed: the contact the agent was held on (0: none)
    reason: str
    agent_id: int | None = None  # agent_freed only
    recording_id: int | None = None  # recording_refetched only


@dataclass
class Reconciler:
    """One process's reconciler: remembers when it last asked Twilio about each call."""

    services: Services
    asked: dict[str, float] = field(default_factory=dict)

    def find(self) -> list[Repair]:
        """What differs between the stores now (nothing is changed)."""
        routing = self._routing_contacts()
        repairs: list[Repair] = []
        with self.services.db.reading() as session:
            live_ids = [int(cid) for cid, record in routing.items() if record.get("state") in LIVE_IN_ROUTING]
            rows = session.scalars(select(Contact).where(Contact.id.in_(live_ids))).all() if live_ids else []
            in_sql = {row.id: row for row in rows}
            lines = _lines_of(session, list(rows))
            for contact_id in live_ids:
                contact = in_sql.get(contact_id)
                if contact is None or contact.status not in (*LIVE_IN_SQL, ContactStatus.CALLBACK):
                    status = contact.status if contact else "missing"
                    repairs.append(Repair("ghost", contact_id, f"routing holds it as live; SQL says {status}"))
                elif contact.channel == "voice" and contact.status != ContactStatus.CALLBACK:
                    over = self._call_over(lines[contact.id])
                    if over:
                        repairs.append(Repair("ghost", contact_id, f"Twilio says the call is {over}"))
                    elif (waited := self._connecting_for(routing[str(contact_id)])) is not None:
                        why = f"accepted {waited} s ago and the agent's phone never joined"
                        repairs.append(Repair("connect_lost", contact_id, why))
                    elif why := self._orphaned(contact_id, routing[str(contact_id)]):
                        repairs.append(Repair("connect_lost", contact_id, why))
            settled = utcnow() - SETTLING
            unknown = [
                contact
                for contact in session.scalars(
                    select(Contact).where(Contact.status.in_(LIVE_IN_SQL), Contact.channel == "voice")
                )
                if str(contact.id) not in routing and (as_utc(contact.created_at) or settled) <= settled
            ]
            lines = _lines_of(session, unknown)
            for contact in unknown:
                said = self._twilio_status(lines[contact.id])
                if said in CALL_OVER:
                    repairs.append(Repair("zombie_ended", contact.id, f"unknown to routing; Twilio says {said}"))
                elif said in CALL_LIVE and contact.status == ContactStatus.QUEUED:
                    why = "unknown to routing; Twilio says the caller is still on the line, waiting"
                    repairs.append(Repair("zombie_requeued", contact.id, why))
        return repairs + self._stuck_agents() + self._lost_downloads()

    def repair(self, repairs: list[Repair]) -> None:
        """Carry the repairs out, each one recorded with its reason."""
        for fix in repairs:
            if fix.kind == AGENT_FREED:
                self._free_agent(fix)
                continue
            if fix.kind == REFETCHED:
                fetch_again(self.services, recording_id=fix.recording_id or 0)
                self._audit(fix, "recording", fix.recording_id)
                log.warning("reconciled recording %s: %s", fix.recording_id, fix.reason)
                continue
            if fix.kind == "connect_lost":
                self._give_back(fix.contact_id)
            elif fix.kind == "zombie_requeued":
                requeue_contact(self.services, contact_id=fix.contact_id)
            else:
                self._let_go(fix.contact_id)
            self._audit(fix, "contact", fix.contact_id)
            log.warning("reconciled contact %s (%s): %s", fix.contact_id, fix.kind, fix.reason)

    def _audit(self, fix: Repair, subject_type: str, subject_id: object, **data: object) -> None:
        """The repair in the audit trail: actor `reconciler`, kind `reconciled_<what>`, its reason."""
        with self.services.db.session() as session:
            record_event(
                session,
                actor="reconciler",
                subject_type=subject_type,
                subject_id=subject_id,
                kind=f"reconciled_{fix.kind}",
                reason=fix.reason,
                **data,
            )

    def _lost_downloads(self) -> list[Repair]:
        """Recordings pending whose download job is gone (handed to RQ, then Redis lost its data)."""
        return [
            Repair(
                REFETCHED,
                lost.contact_id or 0,
                f"recording {lost.recording_sid} pending; its download job was lost",
                recording_id=lost.recording_id,
            )
            for lost in lost_fetches(self.services, older_than=timedelta(seconds=DOWNLOAD_SETTLING_SECONDS))
        ]

    def _stuck_agents(self) -> list[Repair]:
        """Agents routing holds on nothing live: one read of the agents' ids, one read-only script."""
        with self.services.db.reading() as session:
            agents = session.scalars(select(User.id).where(User.role.in_(AGENT_ROLES))).all()
        return [
            Repair(AGENT_FREED, int(stuck.contact_id or 0), stuck.reason, agent_id=int(stuck.agent_id))
            for stuck in self.services.routing.stuck_agents([str(agent) for agent in agents])
        ]

    def _free_agent(self, fix: Repair) -> None:
        """Free a stuck agent (routing checks again: one that moved on meanwhile is left alone); audited."""
        contact = str(fix.contact_id) if fix.contact_id else ""
        state = self.services.routing.free_agent(agent_id=str(fix.agent_id), contact_id=contact)
        if not state:
            log.info("agent %s moved on before the reconciler freed them", fix.agent_id)
            return
        self._audit(fix, "agent", fix.agent_id, contact_id=fix.contact_id or None, state=state)
        log.warning("reconciled agent %s (%s): %s; now %s", fix.agent_id, fix.kind, fix.reason, state)

    def _let_go(self, contact_id: int) -> None:
        """A ghost or a zombie: SQL and routing both end it, its agent (if any) to wrap-up."""
        with self.services.db.reading() as session:
            contact = session.get(Contact, contact_id)
            live_in_sql = contact is not None and contact.status in LIVE_IN_SQL
        if live_in_sql:
            finish_contact(self.services, contact_id=contact_id, reason="caller_gone")
            return
        try:
            self.services.routing.finish(contact_id=str(contact_id), reason="reconciled")
        except RoutingError as exc:
            log.info("contact %s moved on before the reconciler: %s", contact_id, exc)

    def _give_back(self, contact_id: int) -> None:
        """An accept whose agent leg never joined and whose end nobody reported (the accepting process
        died, say): the caller back at their place, the agent not ready (missed), as for a failed leg."""
        agent = self.services.routing.contact(str(contact_id)).get("agent", "")
        if agent.isdigit():
            join_failed(self.services, contact_id=contact_id, agent_id=int(agent), reason="connect_lost")

    def _connecting_for(self, record: dict[str, str]) -> int | None:
        """Seconds an accepted call has been connecting, if longer than a phone rings and its end takes
        to be reported (agents/jobs.check_join gives up at the same age; this is for when that job was
        never enqueued)."""
        accepted = record.get("accepted_at", "")
        if record.get("state") != "connecting" or not accepted.isdigit():
            return None
        waited = int(time.time() - int(accepted) / 1000)
        limit = self.services.settings.agent_ring_seconds + JOIN_GRACE_SECONDS + CONNECT_MARGIN_SECONDS
        return waited if waited > limit else None

    def _orphaned(self, contact_id: int, record: dict[str, str]) -> str:
        """Why an accepted call is orphaned ('' if it is not): the process that was connecting it stopped
        (its liveness key lapsed: killed, crashed) before the agent's phone was rung. Nobody else would
        ring it, and waiting for the longest ring first kept the caller hearing "connecting" ~50 s
        (bench/chaos.py, web_killed_mid_accept)."""
        by, accepted, agent = record.get("accepted_by", ""), record.get("accepted_at", ""), record.get("agent", "")
        if record.get("state") != "connecting" or not by or not accepted.isdigit() or not agent.isdigit():
            return ""
        if time.time() - int(accepted) / 1000 < ORPHANED_AFTER_SECONDS or is_alive(self.services.redis, by):
            return ""
        if LiveCall(self.services, contact_id).agent_leg(int(agent)):
            return ""  # the phone rings: its report (join or end) comes to any process
        return f"the process connecting it ({by}) stopped before the agent's phone was rung"

    def run_once(self, *, dry_run: bool = False) -> list[Repair]:
        """One pass: find, and (unless `dry_run`) repair."""
        repairs = self.find()
        if not dry_run:
            self.repair(repairs)
        return repairs

    def _routing_contacts(self) -> dict[str, dict[str, str]]:
        """The state, agent and accept time of each contact routing holds as live, read from routing's
        live set (contactcenter/reconcile/live.py), not from every record it keeps for a day; `in` also
        knows a contact routing has only an ended record of."""
        return live_records(self.services, ROUTING_FIELDS, LIVE_IN_ROUTING)

    def _call_over(self, call_sid: str) -> str | None:
        """Twilio's final status of the call, if it is over (asked at most once a minute per call)."""
        status = self._twilio_status(call_sid)
        return status if status in CALL_OVER else None

    def _twilio_status(self, call_sid: str) -> str | None:
        """Twilio's status of the call; None when it was asked within the minute or cannot say. A call
        Twilio does not know ("unknown": another account, another sandbox) is no proof of anything."""
        if time.monotonic() - self.asked.get(call_sid, -1e9) < ASK_TWILIO_EVERY:
            return None
        self.asked[call_sid] = time.monotonic()
        return call_status_of(self.services, call_sid)


def _lines_of(session: Session, contacts: list[Contact]) -> dict[int, str]:
    """The call each contact's customer is on, in one query: a callback's is the hotline's call to them
    (its contact's own CallSid is the call that booked it, long over); '' while there is none yet."""
    ids = [contact.id for contact in contacts]
    query = select(Callback.contact_id, Callback.call_sid).where(Callback.contact_id.in_(ids))
    callbacks: dict[int, str | None] = {row[0]: row[1] for row in session.execute(query)} if ids else {}
    return {c.id: (callbacks[c.id] or "") if c.id in callbacks else c.provider_id for c in contacts}


def as_lines(repairs: list[Repair]) -> list[dict[str, object]]:
    """Each repair as the CLI prints it (an agent only where one was freed, a recording where one is fetched)."""
    optional = ("agent_id", "recording_id")
    return [{name: value for name, value in asdict(fix).items() if name not in optional or value} for fix in repairs]


async def reconcile_forever(services: Services) -> None:
    """Every process runs this; a short Redis lock lets one of them reconcile each pass."""
    reconciler = Reconciler(services)
    me = f"{os.getpid()}"
    while True:
        await asyncio.sleep(EVERY_SECONDS)
        try:
            if await run_in_threadpool(services.redis.set, LOCK_KEY, me, nx=True, px=int(EVERY_SECONDS * 1000)):
                if await run_in_threadpool(redis_was_lost, services):  # new, flushed, or restarted empty
                    await run_in_threadpool(rebuild, services)
                await run_in_threadpool(reconciler.run_once)
        except Exception:
            log.exception("reconciling the stores failed")
