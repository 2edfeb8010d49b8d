"""What must hold in Redis after every step of the routing property test, whatever happened; and the
small helpers its operations share."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from redis import Redis

from queues.engine import RoutingEngine, RoutingError
from queues.keys import PREFIX as P
from tests.redis_replies import entries
from tests.routing import Clock
from tests.routing_view import AGENTS, CHANNELS, QUEUES, View, as_dict, key, line_keys, split, text

PRIORITY_STEP_MS = 120_000  # aging: DEFAULT_STEP_MS in queues/lua/lib/1_base.lua
FINISHED = ("abandoned", "ended", "timed_out")


@dataclass
class Contact:
    """What the test knows of a contact from the calls it made (not from Redis)."""

    queue: str
    channel: str
    priority: int
    enqueued_at: int
    queued_at: int  # when it last started waiting in its current queue
    finished: str | None = None  # what finish() said, or "timed_out" once routing did so

    @property
    def score(self) -> int:
        return self.enqueued_at - self.priority * PRIORITY_STEP_MS


class RoutingInvariants:
    """Checks over a `View` and operation helpers; mixed into the state machine, which sets the attributes."""

    r: Redis
    contacts: dict[str, Contact]
    agent_queues: dict[str, list[str]]
    max_wait_ms: dict[str, int]
    offer_ms: int
    last_reap_at: int | None
    waiting_at_last_reap: set[str]
    events_seen: int
    last_event_at: int
    event_contacts: dict[str, dict[str, str]]
    event_agents: dict[str, str]
    engine: RoutingEngine
    clock: Clock
    view: View | None

    # ---- helpers of the operations -------------------------------------------------------------------------------

    def tick(self) -> int:
        """Each operation happens one millisecond after the previous one."""
        self.clock.now += 1
        return self.clock.now

    def seq(self) -> int:
        return int(self.r.get(P + "seq") or 0)

    def record(self, kind: str, id_: str) -> dict[str, str]:
        return as_dict(self.r.hgetall(P + kind + ":" + id_))

    def refused(self, code: str, action: Callable[[], object]) -> None:
        """The action is refused with `code` and changes nothing (no event)."""
        before = self.seq()
        with pytest.raises(RoutingError) as error:
            action()
        assert error.value.code == code
        assert self.seq() == before

    def reap(self) -> None:
        self.engine.reap()
        self.last_reap_at = now = self.clock.now
        # A contact being offered at its maximum wait is looked at again when its lease ends (reap.lua):
        # only those waiting right after a reap must have been under their maximum wait at it.
        self.waiting_at_last_reap = {
            cid for cid in self.contacts if self.r.hget(P + "contact:" + cid, "state") == b"waiting"
        }
        for name in ("leases", "wrapups", "chat-wrapups", "retry", "overflow-due", "max-wait"):
            due = self.r.zrangebyscore(P + name, "-inf", now)
            assert not due, f"reap() left due {name}: {due}"

    @property
    def v(self) -> View:
        assert self.view is not None
        return self.view

    def unfinished(self) -> list[str]:
        return sorted(c for c, m in self.contacts.items() if m.finished is None)

    def check_contacts(self, v: View, now: int) -> None:
        # No contact the engine does not know of, none lost.
        assert v.contact_keys == set(self.contacts), "contacts in Redis differ from the contacts enqueued"
        assert v.line_keys <= set(line_keys()), v.line_keys - set(line_keys())
        assert set(v.retry) <= set(self.contacts)
        # The live set is exactly the contacts not finished (the reconciler reads only those).
        assert v.live == set(v.in_state("waiting", "offered", "connecting", "assigned")), v.live
        where: dict[str, list[str]] = defaultdict(list)
        for channel in CHANNELS:
            for q in QUEUES:
                for cid in v.ids(key("waiting", channel, q)):
                    where[cid].append(key("waiting", channel, q))
        for cid in v.leases:
            where[cid].append("lease")
        for cid, model in self.contacts.items():
            record = v.contacts[cid]
            state, places, agent = record.get("state"), where.get(cid, []), record.get("agent", "")
            assert record["channel"] == model.channel
            if state == "timed_out" and model.finished is None:
                # Routing ends a contact at its queue's maximum wait, and only then.
                assert now - model.queued_at >= self.max_wait_ms.get(model.queue, 10**15), (cid, record, model)
                model.finished = "timed_out"
            self.check_spills(v, cid, record)
            if state == "waiting":
                assert places == [key("waiting", model.channel, model.queue)], (cid, record, places)
                assert agent == ""
                limit = self.max_wait_ms.get(model.queue)
                reaped = self.last_reap_at if cid in self.waiting_at_last_reap and self.last_reap_at is not None else -1
                assert limit is None or model.queued_at + limit > reaped, f"{cid} outlived its maximum wait"
            elif state == "offered":
                assert places == ["lease"], (cid, record, places)
                assert v.leases[cid] == float(record["deadline"])
                self.check_held(v, cid, record, "reserved")
            elif state == "assigned":
                assert places == [], (cid, record, places)
                self.check_held(v, cid, record, "busy")
            else:
                assert state in FINISHED and places == [], (cid, record, places)
                in_wrap_up = model.channel == "chat" and state == "ended" and record.get("wrapup_until")
                assert (cid in v.chat_wrapups) == bool(in_wrap_up), (cid, record)
                for a in AGENTS:
                    assert (cid in v.chats[a]) == (bool(in_wrap_up) and a == agent), (cid, a, record)
            # Finished exactly when finish() said so (or the maximum wait), and as it said.
            assert (state if state in FINISHED else None) == model.finished, (cid, state, model)
            # Queue, priority and place (score) are those given, whatever happened since.
            assert record["queue"] == model.queue and int(record["priority"]) == model.priority
            assert int(record["enqueued_at"]) == model.enqueued_at
            assert float(record["score"]) == model.score, (cid, record["score"], model.score)
        for channel in CHANNELS:
            for q in QUEUES:
                members = v.zsets[key("waiting", channel, q)]
                for cid, score in members:
                    assert score == self.contacts[cid].score, (q, cid, score, self.contacts[cid])
                # Priority then arrival, with aging: each priority level is a fixed head start in time.
                order = [(self.contacts[c].score, self.contacts[c].enqueued_at) for c, _s in members]
                assert order == sorted(order), f"{channel} queue {q} is out of order: {members}"

    def check_spills(self, v: View, cid: str, record: dict[str, str]) -> None:
        """A waiting contact is in the overflow sets its steps name, at its own score; no one else is."""
        waiting, channel = record.get("state") == "waiting", record["channel"]
        spills = split(record.get("spill"))
        for q in QUEUES:
            expected = waiting and q in spills
            assert (cid in v.ids(key("spill", channel, q))) == expected, (cid, q, record)
        assert (cid in v.ids(key("spill", channel))) == (waiting and record.get("any") == "1"), (cid, record)
        for line in line_keys():  # and in no line of the other channel
            if line.startswith(P + "chat-") != (channel == "chat"):
                assert cid not in v.ids(line), (cid, line)

    def check_held(self, v: View, cid: str, record: dict[str, str], voice_state: str) -> None:
        agent = v.agents[record["agent"]]
        if record["channel"] == "chat":
            assert cid in v.chats[record["agent"]], (cid, record, v.chats)
        else:
            assert agent.get("state") == voice_state and agent.get("contact") == cid, (cid, record, agent)

    def check_agents(self, v: View) -> None:
        voice: dict[str, list[str]] = defaultdict(list)
        for cid, record in v.contacts.items():
            if record.get("state") in ("offered", "assigned") and record["channel"] == "voice":
                voice[record["agent"]].append(cid)
        assert set(voice) <= set(AGENTS)
        for agent, record in v.agents.items():
            state = record.get("state", "offline")
            mine = voice.get(agent, [])
            assert len(mine) <= 1, f"agent {agent} holds calls {mine}"  # one voice call at a time
            if record:
                assert len(v.chats[agent]) <= int(record["chat_cap"]), f"agent {agent} holds chats {v.chats[agent]}"
            if state in ("reserved", "busy"):
                assert len(mine) == 1 and record["contact"] == mine[0], (agent, record, mine)
            else:
                assert state in ("offline", "available", "not_ready", "wrap_up"), (agent, record)
                assert mine == [], (agent, record, mine)
            if state == "wrap_up":
                assert v.wrapups.get(agent) == float(record["wrapup_until"])
            else:
                assert agent not in v.wrapups, (agent, record, v.wrapups)
            if record:
                assert split(record.get("queues")) == self.agent_queues.get(agent, []), (agent, record)
            room = bool(record) and v.chat_room(agent)
            for q in QUEUES:
                member = q in split(record.get("queues"))
                assert (agent in v.members[q]) == member, (agent, q, record, v.members[q])
                # Free agents stand in the lines of each of their queues; nobody else does.
                assert (agent in v.ids(key("idle", "voice", q))) == (member and state == "available"), (agent, q)
                assert (agent in v.ids(key("idle", "chat", q))) == (member and room), (agent, q, record)
            assert (agent in v.ids(key("idle", "voice"))) == (state == "available"), (agent, record)
            assert (agent in v.ids(key("idle", "chat"))) == room, (agent, record)

    def check_liveness(self, v: View) -> None:
        """No contact waits while a free agent of one of its lines could take it, unless that agent
        passed on it moments ago (the skip lapses at the next reap after `skip_until`)."""
        since = self.last_reap_at if self.last_reap_at is not None else -1
        for cid in v.in_state("waiting"):
            record = v.contacts[cid]
            channel = record["channel"]
            lines = [key("idle", channel, record["queue"])] + [key("idle", channel, x) for x in split(record["spill"])]
            if record.get("any") == "1":
                lines.append(key("idle", channel))
            for line in lines:
                for agent in v.ids(line):
                    excused = record.get("skip_agent") == agent and int(record.get("skip_until") or 0) > since
                    assert excused, f"{cid} waits while {agent} is free in {line}: {record}, {v.agents[agent]}"

    def check_events(self, v: View, now: int) -> None:
        """Gapless, increasing seq; and a client replaying the stream sees the state that is in Redis."""
        stream = entries(self.r.xrange(P + "events", min=f"{self.events_seen + 1}-0"))
        for number, (entry_id, fields) in enumerate(stream, start=self.events_seen + 1):
            event = json.loads(fields[b"e"])
            assert event["seq"] == number and text(entry_id) == f"{number}-0", (number, entry_id, event)
            assert self.last_event_at <= event["at"] <= now
            self.last_event_at = event["at"]
            self.replay(event)
        self.events_seen += len(stream)
        assert v.seq == self.events_seen
        for cid, record in v.contacts.items():
            seen = self.event_contacts.get(cid, {})
            assert seen.get("state") == record["state"], (cid, seen, record)
            assert seen.get("queue") == record["queue"], (cid, seen, record)
            if record["state"] in ("offered", "assigned"):
                assert seen.get("agent") == record["agent"], (cid, seen, record)
        for agent, record in v.agents.items():
            assert self.event_agents.get(agent) == record.get("state"), (agent, self.event_agents.get(agent), record)

    def replay(self, event: dict[str, Any]) -> None:
        kind, cid = event["type"], event.get("contact")
        if kind == "agent.state":
            self.event_agents[event["agent"]] = event["state"]
            return
        seen = self.event_contacts.setdefault(cid, {}) if cid else {}
        expect: dict[str, tuple[str, ...]] = {
            "offer.created": ("waiting",),
            "offer.accepted": ("offered",),
            "offer.returned": ("offered", "connecting"),
            "offer.revoked": ("offered", "connecting"),
            "contact.joined": ("connecting",),
            "contact.abandoned": ("waiting", "offered", "connecting"),
            "contact.ended": ("assigned",),
            "contact.transferred": ("assigned",),
            "contact.requeued": ("waiting",),
            "contact.overflowed": ("waiting", "offered"),
            "contact.timed_out": ("waiting",),
            "contact.wrapped_up": ("ended",),
        }
        if kind == "contact.queued":
            assert not seen
            seen.update(state="waiting", queue=event["queue"])
            return
        assert kind in expect, f"undocumented event {event}"
        assert seen.get("state") in expect[kind], (event, seen)
        if kind in ("offer.accepted", "offer.returned", "offer.revoked", "contact.transferred", "contact.joined"):
            assert seen.get("agent") == event["agent"], (event, seen)
        if kind == "offer.created":
            assert event["deadline"] == event["at"] + self.offer_ms
            seen.update(state="offered", agent=event["agent"], queue=event["queue"])
        elif kind == "offer.accepted":  # a call connects until its agent's leg joins; a chat is assigned
            seen.update(state="connecting" if event["channel"] == "voice" else "assigned")
        elif kind == "contact.joined":
            seen.update(state="assigned")
        elif kind == "offer.returned":
            seen.update(state="waiting", agent="")
        elif kind in ("contact.abandoned", "contact.ended", "contact.timed_out"):
            seen.update(state=kind.split(".")[1])
        elif kind in ("contact.transferred", "contact.requeued"):
            seen.update(state="waiting", agent="", queue=event["queue"])
