"""Random sequences of routing operations against the Redis engine, with its invariants checked in Redis
after every step (a Hypothesis state machine).

The engine reads the time through `queues.engine.now_ms`; the test replaces it with a fake clock so
offers, skips and wrap-ups run out exactly when a step says so. The engine object is thrown away at
random ("a crash") and rebuilt on a new connection: routing state must live in Redis alone.
Every check reads Redis directly through a separate connection, never through the engine.

Operations driven: enqueue (new and duplicate ids), agent state changes (available / not_ready /
offline with random queue subsets), accept (live, expired and not offered), reject, lease timeout
through reap(), caller hang-up and end of call (finish), end of wrap-up, transfer (to a queue or an
agent), supervisor requeue, clock jumps with and without reap(), and crashes (with leases out).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from redis import Redis

import queues.engine as engine_module
from queues.engine import RoutingConfig, RoutingEngine, RoutingError

P = "cc:{rt}:"
QUEUES = ("general", "repair", "billing")
AGENTS = ("a1", "a2", "a3", "a4")
OFFER_MS = 2_000
WRAPUP_MS = 6_000
SKIP_MS = 5_000  # SKIP_MS in queues/lua/lib/1_base.lua
MISSED_LIMIT = 2
START_MS = 1_790_000_000_000
PRIORITY_STEP_MS = 120_000  # aging: score = enqueued_at - priority * step (DEFAULT_STEP_MS in lib/1_base.lua)
LIVE = ("waiting", "offered", "assigned")
FINISHED = ("abandoned", "ended")

AGENT_QUEUES = st.one_of(st.lists(st.sampled_from(QUEUES), min_size=1, unique=True), st.just([]))
ODD_CALLS = (
    "enqueue_again",
    "finish_again",
    "finish_unknown",
    "accept_not_offered",
    "reject_not_offered",
    "end_wrap_up_not_in_wrap_up",
    "requeue_not_waiting",
    "transfer_not_yours",
)

# Operations and how often each is picked (when it applies), most frequent first.
OPERATIONS = (
    *["offer_answered"] * 4,
    *["enqueue"] * 4,
    *["agent_available"] * 3,
    *["agent_done"] * 3,
    *["end_wrap_up"] * 2,
    *["caller_hangs_up"] * 2,
    *["time_passes"] * 2,
    "agent_away",
    "requeue",
    "odd_call",
    "crash",
)

# Keep the run short by default; ROUTING_PROPERTY_EXAMPLES=1000 for a long soak.
EXAMPLES = int(os.environ.get("ROUTING_PROPERTY_EXAMPLES", "80"))
STEPS = int(os.environ.get("ROUTING_PROPERTY_STEPS", "35"))


class FakeClock:
    """Stands in for `queues.engine.now_ms`: milliseconds that only move when the test says so."""

    def __init__(self) -> None:
        self.now = START_MS

    def __call__(self) -> int:
        return self.now


@dataclass
class Contact:
    """What the test knows of a contact from the calls it made (not from Redis)."""

    queue: str
    priority: int
    enqueued_at: int
    finished: str | None = None  # "abandoned" | "ended" once finish() said so

    @property
    def score(self) -> int:
        return self.enqueued_at - self.priority * PRIORITY_STEP_MS


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def _hash(raw: dict[Any, Any]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in raw.items()}


@dataclass
class View:
    """One read of the routing keys in Redis, taken after each step."""

    contacts: dict[str, dict[str, str]]
    agents: dict[str, dict[str, str]]
    waiting: dict[str, list[tuple[str, float]]]  # queue -> [(contact, score)] in zset order
    idle: dict[str, list[str]]
    members: dict[str, set[str]]
    leases: dict[str, float]
    retry: dict[str, float]
    wrapups: dict[str, float]
    seq: int
    contact_keys: set[str]
    waiting_keys: set[str]
    idle_keys: set[str]

    def in_state(self, *states: str) -> list[str]:
        return sorted(c for c, h in self.contacts.items() if h.get("state") in states)

    def in_agent_state(self, state: str) -> list[str]:
        return sorted(a for a, h in self.agents.items() if h.get("state") == state)


def read_view(r: Redis, contact_ids: list[str]) -> View:
    with r.pipeline(transaction=True) as pipe:  # MULTI: one consistent read
        for cid in contact_ids:
            pipe.hgetall(P + "contact:" + cid)
        for agent in AGENTS:
            pipe.hgetall(P + "agent:" + agent)
        for q in QUEUES:
            pipe.zrange(P + "waiting:" + q, 0, -1, withscores=True)
            pipe.zrange(P + "idle:" + q, 0, -1)
            pipe.smembers(P + "members:" + q)
        pipe.zrange(P + "leases", 0, -1, withscores=True)
        pipe.zrange(P + "retry", 0, -1, withscores=True)
        pipe.zrange(P + "wrapups", 0, -1, withscores=True)
        pipe.get(P + "seq")
        pipe.keys(P + "contact:*")
        pipe.keys(P + "waiting:*")
        pipe.keys(P + "idle:*")
        out = iter(pipe.execute())
    contacts = {cid: _hash(next(out)) for cid in contact_ids}
    agents = {agent: _hash(next(out)) for agent in AGENTS}
    waiting, idle, members = {}, {}, {}
    for q in QUEUES:
        waiting[q] = [(_text(m), s) for m, s in next(out)]
        idle[q] = [_text(m) for m in next(out)]
        members[q] = {_text(m) for m in next(out)}
    leases = {_text(m): s for m, s in next(out)}
    retry = {_text(m): s for m, s in next(out)}
    wrapups = {_text(m): s for m, s in next(out)}
    seq = int(next(out) or 0)
    contact_keys = {_text(k)[len(P + "contact:") :] for k in next(out)}
    contact_keys = {k for k in contact_keys if not k.endswith(":why")}
    waiting_keys = {_text(k)[len(P + "waiting:") :] for k in next(out)}
    idle_keys = {_text(k)[len(P + "idle:") :] for k in next(out)}
    return View(
        contacts, agents, waiting, idle, members, leases, retry, wrapups, seq, contact_keys, waiting_keys, idle_keys
    )


def split(csv: str | None) -> list[str]:
    return [part for part in (csv or "").split(",") if part]


class RoutingMachine(RuleBasedStateMachine):
    """Drives one RoutingEngine (rebuilt on "crashes") and checks Redis after every step."""

    def __init__(self, observer: Redis, connect: Callable[[], Redis], clock: FakeClock) -> None:
        super().__init__()
        self.r = observer
        self.connect = connect
        self.clock = clock
        self.clients: list[Redis] = []
        self.contacts: dict[str, Contact] = {}
        self.agent_queues: dict[str, list[str]] = {}
        self.next_id = 0
        self.last_reap_at: int | None = None
        # The state a client following the event stream would have worked out.
        self.events_seen = 0
        self.last_event_at = 0
        self.event_contacts: dict[str, dict[str, str]] = {}
        self.event_agents: dict[str, str] = {}
        self.view: View | None = None

    @initialize(shifts=st.lists(st.one_of(st.none(), AGENT_QUEUES), min_size=len(AGENTS), max_size=len(AGENTS)))
    def start(self, shifts: list[list[str] | None]) -> None:
        """An empty Redis, and some agents at work from the start (None: not logged in yet)."""
        self.r.flushdb()
        self.clock.now = START_MS
        self.engine = self.new_engine()
        for agent, queues in zip(AGENTS, shifts, strict=True):
            if queues is not None:
                self.set_state(agent, "available", queues)

    def new_engine(self) -> RoutingEngine:
        client = self.connect()
        self.clients.append(client)
        return RoutingEngine(
            client, RoutingConfig(offer_timeout_ms=OFFER_MS, wrapup_ms=WRAPUP_MS, missed_limit=MISSED_LIMIT)
        )

    def teardown(self) -> None:
        for client in self.clients:
            client.close()

    # ---- helpers -------------------------------------------------------------------------------

    def tick(self) -> int:
        """Each operation happens one millisecond after the previous one."""
        self.clock.now += 1
        return self.clock.now

    def seq(self) -> int:
        return int(self.r.get(P + "seq") or 0)

    def refused(self, code: str, action: Callable[[], object]) -> None:
        """The action is refused with `code` and changes nothing (no event)."""
        before = self.seq()
        with pytest.raises(RoutingError) as error:
            action()
        assert error.value.code == code
        assert self.seq() == before

    def reap(self) -> None:
        self.engine.reap()
        self.last_reap_at = self.clock.now
        now = self.clock.now
        leases = self.r.zrange(P + "leases", 0, -1, withscores=True)
        assert all(deadline > now for _m, deadline in leases), f"reap() left expired leases: {leases}"
        assert not self.r.zrangebyscore(P + "wrapups", "-inf", now), "reap() left finished wrap-ups"
        assert not self.r.zrangebyscore(P + "retry", "-inf", now), "reap() left due retries"

    @property
    def v(self) -> View:
        assert self.view is not None
        return self.view

    def unfinished(self) -> list[str]:
        return sorted(c for c, m in self.contacts.items() if m.finished is None)

    # ---- one step: an operation chosen among those that apply now ------------------------------

    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        v = self.v
        applicable = {
            "enqueue": True,
            "agent_available": True,
            "agent_away": True,
            "offer_answered": bool(v.in_state("offered")),
            "agent_done": bool(v.in_state("assigned")),
            "end_wrap_up": bool(v.in_agent_state("wrap_up")),
            "caller_hangs_up": bool(self.unfinished()),
            "requeue": bool(v.in_state("waiting")),
            "time_passes": True,
            "odd_call": bool(self.contacts),
            "crash": True,
        }
        operation = data.draw(st.sampled_from([op for op in OPERATIONS if applicable[op]]), label="operation")
        getattr(self, operation)(data)

    # ---- contacts ------------------------------------------------------------------------------

    def enqueue(self, data: st.DataObject) -> None:
        queue, priority = data.draw(st.sampled_from(QUEUES)), data.draw(st.integers(0, 9))
        self.next_id += 1
        cid = f"c{self.next_id}"
        now = self.tick()
        created, state = self.engine.enqueue(contact_id=cid, queue=queue, priority=priority, info={"n": cid})
        assert created and state in ("waiting", "offered")
        self.contacts[cid] = Contact(queue, priority, now)

    def requeue(self, data: st.DataObject) -> None:
        """A supervisor changes a waiting contact's priority and/or queue; it keeps its arrival time."""
        cid = data.draw(st.sampled_from(self.v.in_state("waiting")))
        priority = data.draw(st.integers(0, 9))
        queue = data.draw(st.one_of(st.none(), st.sampled_from(QUEUES)))
        self.tick()
        assert self.engine.requeue(contact_id=cid, priority=priority, queue=queue) in ("waiting", "offered")
        self.contacts[cid].priority = priority
        self.contacts[cid].queue = queue or self.contacts[cid].queue

    # ---- agents --------------------------------------------------------------------------------

    def agent_available(self, data: st.DataObject) -> None:
        self.set_state(data.draw(st.sampled_from(AGENTS)), "available", data.draw(AGENT_QUEUES))

    def agent_away(self, data: st.DataObject) -> None:
        agent, state = data.draw(st.sampled_from(AGENTS)), data.draw(st.sampled_from(("not_ready", "offline")))
        self.set_state(agent, state, data.draw(AGENT_QUEUES))

    def set_state(self, agent: str, state: str, queues: list[str]) -> None:
        current = _hash(self.r.hgetall(P + "agent:" + agent))
        was, held = current.get("state", "offline"), current.get("contact", "")
        self.tick()
        if was == "busy":
            self.refused("busy", lambda: self.engine.set_agent_state(agent_id=agent, state=state, queues=queues))
            return
        result = self.engine.set_agent_state(agent_id=agent, state=state, queues=queues)
        if was == "reserved" and state == "available":
            assert result == "reserved"  # keeps the offer (and, as it stands, its old queues)
            assert _hash(self.r.hgetall(P + "contact:" + held))["agent"] == agent
            return
        assert result in (("available", "reserved") if state == "available" else (state,))
        self.agent_queues[agent] = queues
        if was == "reserved":
            returned = _hash(self.r.hgetall(P + "contact:" + held))
            assert not (returned["state"] == "offered" and returned["agent"] == agent)

    def end_wrap_up(self, data: st.DataObject) -> None:
        agent = data.draw(st.sampled_from(self.v.in_agent_state("wrap_up")))
        state = data.draw(st.sampled_from(("available", "not_ready")))
        self.tick()
        result = self.engine.end_wrap_up(agent_id=agent, state=state, reason="" if state == "available" else "acw")
        assert result in (("available", "reserved") if state == "available" else (state,))
        assert self.r.zscore(P + "wrapups", agent) is None

    # ---- offers --------------------------------------------------------------------------------

    def offer_answered(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(self.v.in_state("offered")))
        answer = data.draw(st.sampled_from(("accept", "accept", "reject", "time_out")))
        {"accept": self.accept, "reject": self.reject, "time_out": self.offer_times_out}[answer](data, cid)

    def accept(self, data: st.DataObject, cid: str) -> None:
        agent, deadline = self.v.contacts[cid]["agent"], int(self.v.contacts[cid]["deadline"])
        now = self.tick()
        if deadline < now:  # ran out, not reaped yet
            self.refused("expired", lambda: self.engine.accept(contact_id=cid, agent_id=agent))
            return
        self.engine.accept(contact_id=cid, agent_id=agent)
        record = _hash(self.r.hgetall(P + "contact:" + cid))
        assert (record["state"], record["agent"]) == ("assigned", agent)
        assert _hash(self.r.hgetall(P + "agent:" + agent))["state"] == "busy"

    def reject(self, data: st.DataObject, cid: str) -> None:
        agent = self.v.contacts[cid]["agent"]
        self.tick()
        self.engine.reject(contact_id=cid, agent_id=agent)
        record = _hash(self.r.hgetall(P + "contact:" + cid))
        assert record["state"] in ("waiting", "offered") and record["agent"] != agent
        assert record["skip_agent"] == agent
        assert float(record["score"]) == self.contacts[cid].score
        me = _hash(self.r.hgetall(P + "agent:" + agent))
        assert me["state"] in ("available", "reserved") and me["missed"] == "0"

    def offer_times_out(self, data: st.DataObject, cid: str) -> None:
        """The clock reaches an offer's deadline (inclusive) and the reaper returns it."""
        late = data.draw(st.sampled_from((0, 1, 700)))
        agent, deadline = self.v.contacts[cid]["agent"], int(self.v.contacts[cid]["deadline"])
        missed = int(self.v.agents[agent].get("missed") or 0)
        self.clock.now = max(self.clock.now + 1, deadline + late)
        self.reap()
        record = _hash(self.r.hgetall(P + "contact:" + cid))
        assert record["state"] in ("waiting", "offered") and record["agent"] != agent
        assert float(record["score"]) == self.contacts[cid].score
        me = _hash(self.r.hgetall(P + "agent:" + agent))
        if missed + 1 >= MISSED_LIMIT:
            assert (me["state"], me["reason"]) == ("not_ready", "missed")
        else:
            assert me["state"] in ("available", "reserved") and me["missed"] == str(missed + 1)

    def time_passes(self, data: st.DataObject) -> None:
        ms = data.draw(st.sampled_from((1, 500, OFFER_MS - 1, OFFER_MS, SKIP_MS, WRAPUP_MS, 3 * WRAPUP_MS)))
        reap = data.draw(st.booleans())
        self.clock.now += ms
        if reap:
            self.reap()

    # ---- the end of a contact, transfer --------------------------------------------------------

    def caller_hangs_up(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(self.unfinished()))
        reason = data.draw(st.sampled_from(("caller_hung_up", "call_completed")))
        state, agent = self.v.contacts[cid]["state"], self.v.contacts[cid].get("agent", "")
        self.tick()
        expected = "ended" if state == "assigned" else "abandoned"
        assert self.engine.finish(contact_id=cid, reason=reason) == expected
        self.contacts[cid].finished = expected
        if state == "offered":  # the agent is freed (and may take the next contact at once)
            assert _hash(self.r.hgetall(P + "agent:" + agent))["state"] in ("available", "reserved")
        if state == "assigned":
            assert _hash(self.r.hgetall(P + "agent:" + agent))["state"] == "wrap_up"

    def agent_done(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(self.v.in_state("assigned")))
        how = data.draw(st.sampled_from(("call_ends", "call_ends", "transfer_to_queue", "transfer_to_agent")))
        if how == "call_ends":
            self.call_ends(cid)
        else:
            self.transfer(data, cid, to_queue=how == "transfer_to_queue")

    def call_ends(self, cid: str) -> None:
        agent = self.v.contacts[cid]["agent"]
        self.tick()
        assert self.engine.finish(contact_id=cid, reason="dial_completed") == "ended"
        self.contacts[cid].finished = "ended"
        me = _hash(self.r.hgetall(P + "agent:" + agent))
        assert me["state"] == "wrap_up" and int(me["wrapup_until"]) == self.clock.now + WRAPUP_MS

    def transfer(self, data: st.DataObject, cid: str, to_queue: bool) -> None:
        agent = self.v.contacts[cid]["agent"]
        self.tick()
        if to_queue:
            queue = data.draw(st.sampled_from(QUEUES))
            assert self.engine.transfer(contact_id=cid, agent_id=agent, queue=queue) in ("waiting", "offered")
            self.contacts[cid].queue = queue
        else:
            target = data.draw(st.sampled_from([a for a in AGENTS if a != agent]))
            if self.v.agents[target].get("state") != "available":
                self.refused(
                    "agent_unavailable", lambda: self.engine.transfer(contact_id=cid, agent_id=agent, to_agent=target)
                )
                return
            assert self.engine.transfer(contact_id=cid, agent_id=agent, to_agent=target) == "offered"
            assert _hash(self.r.hgetall(P + "contact:" + cid))["agent"] == target
        me = _hash(self.r.hgetall(P + "agent:" + agent))
        assert (me["state"], me["reason"]) == ("wrap_up", "transferred")

    # ---- retried and out-of-place calls: refused or no-ops, nothing changes ----------------------

    def odd_call(self, data: st.DataObject) -> None:
        call = data.draw(st.sampled_from(ODD_CALLS))
        v, cids, now = self.v, sorted(self.contacts), self.tick()
        before = self.seq()
        if call == "enqueue_again":  # a retried webhook: the same id changes nothing, whatever it says
            cid = data.draw(st.sampled_from(cids))
            record = _hash(self.r.hgetall(P + "contact:" + cid))
            again = self.engine.enqueue(contact_id=cid, queue=data.draw(st.sampled_from(QUEUES)), priority=9, info={})
            assert again == (False, record["state"])
            assert _hash(self.r.hgetall(P + "contact:" + cid)) == record
        elif call == "finish_again":
            cid = data.draw(st.sampled_from(cids))
            if self.contacts[cid].finished is None:
                return
            assert self.engine.finish(contact_id=cid, reason="call_completed") == self.contacts[cid].finished
        elif call == "finish_unknown":
            self.refused("unknown", lambda: self.engine.finish(contact_id="nobody", reason="call_completed"))
        elif call in ("accept_not_offered", "reject_not_offered"):
            agent = data.draw(st.sampled_from(AGENTS))
            cid = data.draw(st.sampled_from([*cids, "nobody"]))
            if (v.contacts.get(cid, {}).get("state"), v.contacts.get(cid, {}).get("agent")) == ("offered", agent):
                return
            action = self.engine.accept if call == "accept_not_offered" else self.engine.reject
            self.refused("not_offered", lambda: action(contact_id=cid, agent_id=agent))
        elif call == "end_wrap_up_not_in_wrap_up":
            agent = data.draw(st.sampled_from(AGENTS))
            if v.agents[agent].get("state") == "wrap_up":
                return
            self.refused("not_in_wrap_up", lambda: self.engine.end_wrap_up(agent_id=agent))
        elif call == "requeue_not_waiting":
            cid = data.draw(st.sampled_from(cids))
            if v.contacts[cid]["state"] == "waiting":
                return
            self.refused("not_waiting", lambda: self.engine.requeue(contact_id=cid, priority=5))
        elif call == "transfer_not_yours":
            agent, cid = data.draw(st.sampled_from(AGENTS)), data.draw(st.sampled_from(cids))
            if (v.contacts[cid]["state"], v.contacts[cid]["agent"]) == ("assigned", agent):
                return
            self.refused("not_yours", lambda: self.engine.transfer(contact_id=cid, agent_id=agent, queue=QUEUES[0]))
        assert self.seq() == before and now == self.clock.now

    # ---- crashes -------------------------------------------------------------------------------

    def crash(self, data: st.DataObject) -> None:
        """The process dies between two operations; another one starts on the same Redis (and, if offers
        were out, perhaps only once they have all run out)."""
        if not (self.v.in_state("offered") and data.draw(st.booleans())):
            self.engine = self.new_engine()
            return
        late = data.draw(st.integers(0, 1_000))
        out = {c: (self.v.contacts[c]["agent"], self.v.contacts[c]["deadline"]) for c in self.v.in_state("offered")}
        self.engine = self.new_engine()
        self.clock.now = max(self.clock.now + 1, max(int(d) for _a, d in out.values()) + late)
        self.reap()
        for cid, (agent, deadline) in out.items():
            record = _hash(self.r.hgetall(P + "contact:" + cid))
            assert record["state"] in ("waiting", "offered"), (cid, record)
            assert record["agent"] != agent and record.get("deadline") != deadline, (cid, record)

    # ---- invariants ----------------------------------------------------------------------------

    @invariant()
    def routing_state_is_consistent(self) -> None:
        v = self.view = read_view(self.r, sorted(self.contacts))
        self.check_events(v)
        self.check_contacts(v)
        self.check_agents(v)
        self.check_liveness(v)

    def check_contacts(self, v: View) -> None:
        # No contact the engine does not know of, none lost: model == union of the places.
        assert v.contact_keys == set(self.contacts), "contacts in Redis differ from the contacts enqueued"
        assert v.waiting_keys <= set(QUEUES) and set(v.retry) <= set(self.contacts)
        where: dict[str, list[str]] = defaultdict(list)
        for q, members in v.waiting.items():
            for cid, _score in members:
                where[cid].append("waiting:" + q)
        for cid in v.leases:
            where[cid].append("lease")
        for cid, model in self.contacts.items():
            record = v.contacts[cid]
            state = record.get("state")
            places = where.get(cid, [])
            if state == "waiting":
                assert places == ["waiting:" + model.queue], (cid, record, places)
                assert record["agent"] == ""
            elif state == "offered":
                assert places == ["lease"], (cid, record, places)
                assert v.leases[cid] == float(record["deadline"])
                assert v.agents[record["agent"]].get("state") == "reserved", (cid, record, v.agents[record["agent"]])
                assert v.agents[record["agent"]].get("contact") == cid
            elif state == "assigned":
                assert places == [], (cid, record, places)
                assert v.agents[record["agent"]].get("state") == "busy", (cid, record, v.agents[record["agent"]])
                assert v.agents[record["agent"]].get("contact") == cid
            else:
                assert state in FINISHED and places == [], (cid, record, places)
            # Finished exactly when finish() said so, and as it said.
            assert (state if state in FINISHED else None) == model.finished, (cid, state, model)
            # Queue, priority and the place (score) are those given, whatever happened since.
            assert record["queue"] == model.queue and int(record["priority"]) == model.priority
            assert int(record["enqueued_at"]) == model.enqueued_at
            assert float(record["score"]) == model.score, (cid, record["score"], model.score)
        for q, members in v.waiting.items():
            for cid, score in members:
                assert score == self.contacts[cid].score, (q, cid, score, self.contacts[cid])
            # Priority then arrival, with aging: each priority level is a fixed head start in time.
            order = [(self.contacts[c].score, self.contacts[c].enqueued_at) for c, _s in members]
            assert order == sorted(order), f"queue {q} is not in priority (with aging) then arrival order: {members}"

    def check_agents(self, v: View) -> None:
        holding: dict[str, list[str]] = defaultdict(list)
        for cid, record in v.contacts.items():
            if record.get("state") in ("offered", "assigned"):
                holding[record["agent"]].append(cid)
        assert set(holding) <= set(AGENTS)
        assert v.idle_keys <= set(QUEUES)
        for agent, record in v.agents.items():
            state = record.get("state", "offline")
            mine = holding.get(agent, [])
            assert len(mine) <= 1, f"agent {agent} holds {mine}"  # one voice call at a time
            if state == "reserved":
                assert len(mine) == 1 and record["contact"] == mine[0], (agent, record, mine)
                assert v.contacts[mine[0]]["state"] == "offered" and mine[0] in v.leases
            elif state == "busy":
                assert len(mine) == 1 and record["contact"] == mine[0], (agent, record, mine)
                assert v.contacts[mine[0]]["state"] == "assigned"
            else:
                assert state in ("offline", "available", "not_ready", "wrap_up"), (agent, record)
                assert mine == [], (agent, record, mine)
            if state == "wrap_up":
                assert v.wrapups.get(agent) == float(record["wrapup_until"])
            else:
                assert agent not in v.wrapups, (agent, record, v.wrapups)
            if record:
                assert split(record.get("queues")) == self.agent_queues.get(agent, []), (agent, record)
            for q in QUEUES:
                member = q in split(record.get("queues"))
                assert (agent in v.members[q]) == member, (agent, q, record, v.members[q])
                # Available agents wait in the idle line of each of their queues; nobody else does.
                assert (agent in v.idle[q]) == (member and state == "available"), (agent, q, state, v.idle[q])

    def check_liveness(self, v: View) -> None:
        """No contact waits while an agent of its queue sits idle, unless that agent passed on it moments
        ago (the skip lapses at the next reap after `skip_until`)."""
        since = self.last_reap_at if self.last_reap_at is not None else -1
        for q in QUEUES:
            for cid, _score in v.waiting[q]:
                record = v.contacts[cid]
                for agent in v.idle[q]:
                    excused = record.get("skip_agent") == agent and int(record.get("skip_until") or 0) > since
                    assert excused, (
                        f"{cid} waits in {q} (place {[c for c, _s in v.waiting[q]].index(cid) + 1}) while {agent} "
                        f"sits idle: contact {record}, agent {v.agents[agent]}"
                    )

    def check_events(self, v: View) -> None:
        """Gapless, increasing seq; and a client replaying the stream sees the state that is in Redis."""
        entries = self.r.xrange(P + "events", min=f"{self.events_seen + 1}-0")
        for number, (entry_id, fields) in enumerate(entries, start=self.events_seen + 1):
            event = json.loads(fields[b"e"])
            assert event["seq"] == number and _text(entry_id) == f"{number}-0", (number, entry_id, event)
            assert self.last_event_at <= event["at"] <= self.clock.now
            self.last_event_at = event["at"]
            self.replay(event)
        self.events_seen += len(entries)
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
        if kind == "contact.queued":
            seen.update(state="waiting", queue=event["queue"])
        elif kind == "offer.created":
            assert event["deadline"] == event["at"] + OFFER_MS
            assert seen.get("state") == "waiting", (event, seen)
            seen.update(state="offered", agent=event["agent"], queue=event["queue"])
        elif kind == "offer.accepted":
            assert (seen.get("state"), seen.get("agent")) == ("offered", event["agent"]), (event, seen)
            seen.update(state="assigned")
        elif kind == "offer.returned":
            assert (seen.get("state"), seen.get("agent")) == ("offered", event["agent"]), (event, seen)
            seen.update(state="waiting", agent="")
        elif kind == "offer.revoked":
            assert (seen.get("state"), seen.get("agent")) == ("offered", event["agent"]), (event, seen)
        elif kind == "contact.abandoned":
            assert seen.get("state") in ("waiting", "offered"), (event, seen)
            seen.update(state="abandoned")
        elif kind == "contact.ended":
            assert seen.get("state") == "assigned", (event, seen)
            seen.update(state="ended")
        elif kind == "contact.transferred":
            assert (seen.get("state"), seen.get("agent")) == ("assigned", event["agent"]), (event, seen)
            seen.update(state="waiting", agent="", queue=event["queue"])
        elif kind == "contact.requeued":
            assert seen.get("state") == "waiting", (event, seen)
            seen.update(queue=event["queue"])
        else:
            raise AssertionError(f"undocumented event {event}")


SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_routing_keeps_its_invariants_under_random_operations(
    redis_client: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(engine_module, "now_ms", clock)
    run_state_machine_as_test(
        lambda: RoutingMachine(redis_client, lambda: Redis.from_url(redis_url), clock), settings=SETTINGS
    )
