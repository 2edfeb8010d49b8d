"""Random sequences of routing operations against the Redis engine, with its invariants checked in Redis
after every step (a Hypothesis state machine; the checks are in tests/routing_invariants.py).

The engine reads the time through `queues.engine.now_ms`; the test replaces it with a fake clock so
offers, skips, overflow steps, maximum waits and wrap-ups run out exactly when a step says so. The
engine object is thrown away at random ("a crash") and rebuilt on a new connection: routing state must
live in Redis alone. Every check reads Redis directly through a separate connection.

Operations driven: enqueue of calls and chats (new and duplicate ids), agent state changes (available /
not_ready / offline with random queue subsets), accept (live, expired and not offered), reject, lease
timeout through reap(), caller hang-up and end of call or chat (finish), end of wrap-up (of a call or of
one chat), transfer (to a queue or an agent), supervisor requeue, clock jumps with and without reap(),
and crashes (with leases out). Queue "repair" overflows to "general" then to any agent; "billing" has
a maximum wait and a heavier cross-queue weight; every agent takes up to two chats.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from redis import Redis

import queues.engine as engine_module
from queues.engine import RoutingConfig, RoutingEngine
from queues.keys import PREFIX as P
from tests.routing import START_MS, Clock
from tests.routing_invariants import Contact, RoutingInvariants
from tests.routing_unusual import UnusualOperations
from tests.routing_view import AGENTS, QUEUES, View, read_view, text

pytestmark = pytest.mark.long  # ~28 s on one test process: started first (tests/conftest.py)

OFFER_MS = 2_000
WRAPUP_MS = 6_000
SKIP_MS = 5_000  # SKIP_MS in queues/lua/lib/1_base.lua
MISSED_LIMIT = 2
CHAT_CAPACITY = 2
MAX_WAIT_MS = {"billing": 20_000}
OVERFLOW: list[dict[str, Any]] = [{"after_ms": 3_000, "queues": ["general"]}, {"after_ms": 9_000, "any_agent": True}]

AGENT_QUEUES: st.SearchStrategy[list[str]] = st.one_of(
    st.lists(st.sampled_from(QUEUES), min_size=1, unique=True), st.just([])
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
    "end_chat_wrap_up",
    "agent_away",
    "requeue",
    "odd_call",
    "crash",
)
# Keep the run short by default; ROUTING_PROPERTY_EXAMPLES=1000 for a long soak.
EXAMPLES = int(os.environ.get("ROUTING_PROPERTY_EXAMPLES", "200"))
STEPS = int(os.environ.get("ROUTING_PROPERTY_STEPS", "35"))


class RoutingMachine(UnusualOperations, RoutingInvariants, RuleBasedStateMachine):
    """Drives one RoutingEngine (rebuilt on "crashes") and checks Redis after every step."""

    def __init__(self, observer: Redis, connect: Callable[[], Redis], clock: Clock) -> None:
        super().__init__()
        self.r, self.connect, self.clock = observer, connect, clock
        self.clients: list[Redis] = []
        self.contacts: dict[str, Contact] = {}
        self.agent_queues: dict[str, list[str]] = {}
        self.max_wait_ms, self.offer_ms = MAX_WAIT_MS, OFFER_MS
        self.next_id = 0
        self.last_reap_at: int | None = None
        self.waiting_at_last_reap: set[str] = set()
        # The state a client following the event stream would have worked out.
        self.events_seen, self.last_event_at = 0, 0
        self.event_contacts: dict[str, dict[str, str]] = {}
        self.event_agents: dict[str, str] = {}
        self.view: View | None = None

    @initialize(shifts=st.lists(st.one_of(st.none(), AGENT_QUEUES), min_size=len(AGENTS), max_size=len(AGENTS)))
    def start(self, shifts: list[list[str] | None]) -> None:
        """An empty Redis, three queues, and some agents at work from the start (None: not logged in yet)."""
        self.r.flushdb()
        self.clock.now = START_MS
        self.engine = self.new_engine()
        self.engine.configure_queue(name="repair", offer_timeout_ms=None, wrapup_ms=None, skills={}, overflow=OVERFLOW)
        self.engine.configure_queue(
            name="billing",
            offer_timeout_ms=None,
            wrapup_ms=None,
            skills={},
            weight=3,
            max_wait_ms=MAX_WAIT_MS["billing"],
        )
        for agent, queues in zip(AGENTS, shifts, strict=True):
            if queues is not None:
                self.set_state(agent, "available", queues)

    def new_engine(self) -> RoutingEngine:
        client = self.connect()
        self.clients.append(client)
        config = RoutingConfig(
            offer_timeout_ms=OFFER_MS, wrapup_ms=WRAPUP_MS, missed_limit=MISSED_LIMIT, chat_capacity=CHAT_CAPACITY
        )
        return RoutingEngine(client, config)

    def teardown(self) -> None:
        for client in self.clients:
            client.close()

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
            "end_chat_wrap_up": bool(v.chat_wrapups),
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
        channel = data.draw(st.sampled_from(("voice", "voice", "chat")))
        self.next_id += 1
        cid = f"c{self.next_id}"
        now = self.tick()
        created, state = self.engine.enqueue(
            contact_id=cid, queue=queue, priority=priority, info={"n": cid}, channel=channel
        )
        assert created and state in ("waiting", "offered")
        self.contacts[cid] = Contact(queue, channel, priority, now, now)

    def requeue(self, data: st.DataObject) -> None:
        """A supervisor changes a waiting contact's priority and/or queue; it keeps its arrival time."""
        cid = data.draw(st.sampled_from(self.v.in_state("waiting")))
        priority = data.draw(st.integers(0, 9))
        queue = data.draw(st.one_of(st.none(), st.sampled_from(QUEUES)))
        now = self.tick()
        assert self.engine.requeue(contact_id=cid, priority=priority, queue=queue) in ("waiting", "offered")
        model = self.contacts[cid]
        if queue and queue != model.queue:
            model.queue, model.queued_at = queue, now
        model.priority = priority

    # ---- agents --------------------------------------------------------------------------------

    def agent_available(self, data: st.DataObject) -> None:
        self.set_state(data.draw(st.sampled_from(AGENTS)), "available", data.draw(AGENT_QUEUES))

    def agent_away(self, data: st.DataObject) -> None:
        agent, state = data.draw(st.sampled_from(AGENTS)), data.draw(st.sampled_from(("not_ready", "offline")))
        self.set_state(agent, state, data.draw(AGENT_QUEUES))

    def set_state(self, agent: str, state: str, queues: list[str]) -> None:
        current = self.record("agent", agent)
        was, held = current.get("state", "offline"), current.get("contact", "")
        held_chats = [text(c) for c in self.r.smembers(P + "agent:" + agent + ":chats")]
        chats = {c: self.record("contact", c)["state"] for c in held_chats}
        self.tick()
        if was == "busy":
            self.refused("busy", lambda: self.engine.set_agent_state(agent_id=agent, state=state, queues=queues))
            return
        result = self.engine.set_agent_state(agent_id=agent, state=state, queues=queues)
        self.agent_queues[agent] = queues
        if was == "reserved" and state == "available":
            assert result == "reserved"  # keeps the offer
            assert self.record("contact", held)["agent"] == agent
            return
        assert result in (("available", "reserved") if state == "available" else (state,))
        if was == "reserved":
            returned = self.record("contact", held)
            assert not (returned["state"] == "offered" and returned["agent"] == agent)
        if state != "available":  # chat offers go back; accepted chats stay with the agent
            for cid, chat_state in chats.items():
                after = self.record("contact", cid)
                assert after["agent"] == agent or chat_state == "offered", (cid, after)
                assert not (after["state"] == "offered" and after["agent"] == agent)

    def end_wrap_up(self, data: st.DataObject) -> None:
        agent = data.draw(st.sampled_from(self.v.in_agent_state("wrap_up")))
        state = data.draw(st.sampled_from(("available", "not_ready")))
        self.tick()
        result = self.engine.end_wrap_up(agent_id=agent, state=state, reason="" if state == "available" else "acw")
        assert result in (("available", "reserved", "not_ready") if state == "available" else (state,))
        assert self.r.zscore(P + "wrapups", agent) is None

    def end_chat_wrap_up(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(sorted(self.v.chat_wrapups)))
        agent = self.v.contacts[cid]["agent"]
        self.tick()
        self.engine.end_wrap_up(agent_id=agent, contact_id=cid)
        assert self.r.sismember(P + "agent:" + agent + ":chats", cid) == 0

    # ---- offers --------------------------------------------------------------------------------

    def offer_answered(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(self.v.in_state("offered")))
        answer = data.draw(st.sampled_from(("accept", "accept", "reject", "time_out")))
        {"accept": self.accept, "reject": self.reject, "time_out": self.offer_times_out}[answer](data, cid)

    def accept(self, data: st.DataObject, cid: str) -> None:
        agent, deadline = self.v.contacts[cid]["agent"], int(self.v.contacts[cid]["deadline"])
        before = self.v.agents[agent]["state"]
        now = self.tick()
        if deadline < now:  # ran out, not reaped yet
            self.refused("expired", lambda: self.engine.accept(contact_id=cid, agent_id=agent))
            return
        voice = self.contacts[cid].channel == "voice"
        assert self.engine.accept(contact_id=cid, agent_id=agent).state == ("connecting" if voice else "assigned")
        self.engine.joined(contact_id=cid, agent_id=agent)
        record = self.record("contact", cid)
        assert (record["state"], record["agent"]) == ("assigned", agent)
        assert self.record("agent", agent)["state"] == ("busy" if voice else before)

    def reject(self, data: st.DataObject, cid: str) -> None:
        agent = self.v.contacts[cid]["agent"]
        self.tick()
        self.engine.reject(contact_id=cid, agent_id=agent)
        record = self.record("contact", cid)
        assert record["state"] in ("waiting", "offered") and record["agent"] != agent
        assert record["skip_agent"] == agent
        assert float(record["score"]) == self.contacts[cid].score
        me = self.record("agent", agent)
        assert me["missed"] == "0"
        if self.contacts[cid].channel == "voice":
            assert me["state"] in ("available", "reserved")

    def offer_times_out(self, data: st.DataObject, cid: str) -> None:
        """The clock reaches an offer's deadline (inclusive) and the reaper returns it."""
        late = data.draw(st.sampled_from((0, 1, 700)))
        agent, deadline = self.v.contacts[cid]["agent"], int(self.v.contacts[cid]["deadline"])
        self.clock.now = max(self.clock.now + 1, deadline + late)
        # Every offer the agent holds that runs out by now is missed in this same reap.
        expiring = [
            c
            for c, r in self.v.contacts.items()
            if r.get("state") == "offered" and r["agent"] == agent and int(r["deadline"]) <= self.clock.now
        ]
        missed = int(self.v.agents[agent].get("missed") or 0) + len(expiring) - 1
        self.reap()
        record = self.record("contact", cid)
        if record["state"] == "timed_out":
            return  # its maximum wait ran out as well
        assert record["state"] in ("waiting", "offered") and record["agent"] != agent
        assert float(record["score"]) == self.contacts[cid].score
        me = self.record("agent", agent)
        if missed + 1 >= MISSED_LIMIT and me["state"] in ("busy", "wrap_up"):
            assert me["pending_not_ready"] == "missed"  # not ready once the call is done
        elif missed + 1 >= MISSED_LIMIT:
            assert (me["state"], me["reason"]) == ("not_ready", "missed")
        elif self.contacts[cid].channel == "voice":
            assert me["state"] in ("available", "reserved") and me["missed"] == str(missed + 1)

    def time_passes(self, data: st.DataObject) -> None:
        ms = data.draw(st.sampled_from((1, 500, OFFER_MS - 1, OFFER_MS, SKIP_MS, WRAPUP_MS, 3 * WRAPUP_MS)))
        self.clock.now += ms
        if data.draw(st.booleans()):
            self.reap()

    # ---- the end of a contact, transfer --------------------------------------------------------

    def caller_hangs_up(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(self.unfinished()))
        reason = data.draw(st.sampled_from(("caller_hung_up", "call_completed")))
        state, agent = self.v.contacts[cid]["state"], self.v.contacts[cid].get("agent", "")
        self.tick()
        expected = {"assigned": "ended", "timed_out": "timed_out"}.get(state, "abandoned")
        assert self.engine.finish(contact_id=cid, reason=reason) == expected
        self.contacts[cid].finished = expected
        voice = self.contacts[cid].channel == "voice"
        if state == "offered" and voice:  # the agent is freed (and may take the next contact at once)
            assert self.record("agent", agent)["state"] in ("available", "reserved", "not_ready")
        if state == "assigned" and voice:
            assert self.record("agent", agent)["state"] == "wrap_up"

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
        if self.contacts[cid].channel == "chat":
            assert int(self.record("contact", cid)["wrapup_until"]) == self.clock.now + WRAPUP_MS
        else:
            me = self.record("agent", agent)
            assert me["state"] == "wrap_up" and int(me["wrapup_until"]) == self.clock.now + WRAPUP_MS

    def transfer(self, data: st.DataObject, cid: str, to_queue: bool) -> None:
        agent, model = self.v.contacts[cid]["agent"], self.contacts[cid]
        now = self.tick()
        if to_queue:
            queue = data.draw(st.sampled_from(QUEUES))
            assert self.engine.transfer(contact_id=cid, agent_id=agent, queue=queue) in ("waiting", "offered")
            model.queue, model.queued_at = queue, now
        else:
            target = data.draw(st.sampled_from([a for a in AGENTS if a != agent]))
            free = (
                self.v.chat_room(target)
                if model.channel == "chat"
                else self.v.agents[target].get("state") == "available"
            )
            if not free:
                action = lambda: self.engine.transfer(contact_id=cid, agent_id=agent, to_agent=target)  # noqa: E731
                self.refused("agent_unavailable", action)
                return
            assert self.engine.transfer(contact_id=cid, agent_id=agent, to_agent=target) == "offered"
            assert self.record("contact", cid)["agent"] == target
            model.queued_at = now
        me = self.record("agent", agent)
        if model.channel == "voice":
            assert (me["state"], me["reason"]) == ("wrap_up", "transferred")
        else:
            assert self.r.sismember(P + "agent:" + agent + ":chats", cid) == 0

    # ---- invariants ----------------------------------------------------------------------------

    @invariant()
    def routing_state_is_consistent(self) -> None:
        v = self.view = read_view(self.r, sorted(self.contacts))
        self.check_events(v, self.clock.now)
        self.check_contacts(v, self.clock.now)
        self.check_agents(v)
        self.check_liveness(v)


SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.timeout(600)  # ~20 s alone; a failing case's shrinking on a busy 2-core machine takes longer
def test_routing_keeps_its_invariants_under_random_operations(
    redis_client: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(engine_module, "now_ms", clock)
    # hypothesis documents any factory of a machine as allowed here, but annotates a class
    run_state_machine_as_test(
        lambda: RoutingMachine(redis_client, lambda: Redis.from_url(redis_url), clock),  # type: ignore[arg-type]
        settings=SETTINGS,
    )
