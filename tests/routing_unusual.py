"""The routing property test's unusual operations: retried and out-of-place calls (refused or no-ops,
nothing changes) and process crashes with offers out."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from queues.engine import RoutingEngine
from tests.routing_invariants import RoutingInvariants
from tests.routing_view import AGENTS, QUEUES

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


class UnusualOperations(RoutingInvariants):
    """Mixed into the state machine, which provides `new_engine`."""

    new_engine: Callable[[], RoutingEngine]

    # ---- retried and out-of-place calls: refused or no-ops, nothing changes ----------------------

    def odd_call(self, data: st.DataObject) -> None:
        call = data.draw(st.sampled_from(ODD_CALLS))
        v, cids, now = self.v, sorted(self.contacts), self.tick()
        before = self.seq()
        if call == "enqueue_again":  # a retried webhook: the same id changes nothing, whatever it says
            cid = data.draw(st.sampled_from(cids))
            record = self.record("contact", cid)
            again = self.engine.enqueue(contact_id=cid, queue=data.draw(st.sampled_from(QUEUES)), priority=9, info={})
            assert again == (False, record["state"])
            assert self.record("contact", cid) == record
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
        if not self.v.in_state("offered") or not data.draw(st.booleans()):
            self.engine = self.new_engine()
            return
        late = data.draw(st.integers(0, 1_000))
        out = {c: (self.v.contacts[c]["agent"], self.v.contacts[c]["deadline"]) for c in self.v.in_state("offered")}
        self.engine = self.new_engine()
        self.clock.now = max(self.clock.now + 1, max(int(d) for _a, d in out.values()) + late)
        self.reap()
        for cid, (agent, deadline) in out.items():
            record = self.record("contact", cid)
            assert record["state"] in ("waiting", "offered", "timed_out"), (cid, record)
            assert record["agent"] != agent and record.get("deadline") != deadline, (cid, record)
