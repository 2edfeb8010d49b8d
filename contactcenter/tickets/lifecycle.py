"""Each category's lifecycle, written once as data: the states a ticket of that category may be in and the
moves between them. `check_move` refuses anything else, naming the moves that are allowed.

Every lifecycle ends resolved → return visit (回访) → closed, and a resolved, visited or closed ticket may be
reopened. `merged` is reached only by merging (tickets/linking.py), never by a status change, and is read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contactcenter.errors import Conflict


class State(StrEnum):
    NEW = "new"  # 受理 registered
    ACKNOWLEDGED = "acknowledged"  # someone has answered the customer and owns it
    DISPATCHED = "dispatched"  # 派单: handed to the group that does the work (repairs, complaints)
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"  # the SLA clocks pause here
    WAITING_PARTS = "waiting_parts"
    UNDER_REVIEW = "under_review"  # a return or exchange being checked (审核)
    PICKUP = "pickup"  # the goods are being collected
    RESOLVED = "resolved"
    RETURN_VISIT = "return_visit"  # 回访 the customer is called back about the outcome
    CLOSED = "closed"  # 归档
    REOPENED = "reopened"
    MERGED = "merged"  # into another ticket; read-only until unmerged


# Every label a person sees, zh-CN first (no raw code is ever shown).
STATE_LABELS: dict[State, tuple[str, str]] = {
    State.NEW: ("新建", "New"),
    State.ACKNOWLEDGED: ("已受理", "Acknowledged"),
    State.DISPATCHED: ("已派单", "Dispatched"),
    State.IN_PROGRESS: ("处理中", "In progress"),
    State.WAITING_CUSTOMER: ("等待客户", "Waiting on customer"),
    State.WAITING_PARTS: ("等待配件", "Waiting on parts"),
    State.UNDER_REVIEW: ("审核中", "Under review"),
    State.PICKUP: ("待取件", "Pickup"),
    State.RESOLVED: ("已解决", "Resolved"),
    State.RETURN_VISIT: ("待回访", "Return visit"),
    State.CLOSED: ("已归档", "Closed"),
    State.REOPENED: ("已重开", "Reopened"),
    State.MERGED: ("已合并", "Merged"),
}

# The categories' names as people read and hear them (a category the hotline adds is shown as written).
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "consultation": ("咨询", "Consultation"),
    "repair": ("报修", "Repair"),
    "complaint": ("投诉", "Complaint"),
    "order": ("订单", "Order"),
    "return_exchange": ("退换货", "Return or exchange"),
    "other": ("其他", "Other"),
}

OPEN_STATES = frozenset(set(State) - {State.RESOLVED, State.RETURN_VISIT, State.CLOSED, State.MERGED})
# What an agent's wrap-up may say the ticket is now (the server walks the lifecycle there: tickets/service.py).
WRAP_UP_STATES = (State.IN_PROGRESS, State.DISPATCHED, State.WAITING_CUSTOMER, State.WAITING_PARTS, State.RESOLVED)
# The statuses before lifecycles, as drafts saved then may still say them.
FORMER_STATUSES = {"open": State.IN_PROGRESS, "pending": State.WAITING_CUSTOMER}
# While here, every running clock stands still (the customer owes us something).
PAUSING_STATES = frozenset({State.WAITING_CUSTOMER})

_S = State
_END = {
    _S.RESOLVED: (_S.RETURN_VISIT, _S.CLOSED, _S.REOPENED),
    _S.RETURN_VISIT: (_S.CLOSED, _S.REOPENED),
    _S.CLOSED: (_S.REOPENED,),
    _S.REOPENED: (_S.IN_PROGRESS, _S.WAITING_CUSTOMER, _S.RESOLVED),
}


@dataclass(frozen=True)
class Lifecycle:
    """One category's state machine: `moves[state]` are the states a ticket may go to from `state`."""

    category: str
    moves: dict[State, tuple[State, ...]]

    @property
    def states(self) -> frozenset[State]:
        return frozenset(self.moves) | {State.MERGED}


def _lifecycle(category: str, moves: dict[State, tuple[State, ...]]) -> Lifecycle:
    return Lifecycle(category, moves | _END)


LIFECYCLES: dict[str, Lifecycle] = {
    lifecycle.category: lifecycle
    for lifecycle in (
        _lifecycle(
            "consultation",
            {
                _S.NEW: (_S.ACKNOWLEDGED, _S.IN_PROGRESS, _S.RESOLVED),
                _S.ACKNOWLEDGED: (_S.IN_PROGRESS, _S.WAITING_CUSTOMER, _S.RESOLVED),
                _S.IN_PROGRESS: (_S.WAITING_CUSTOMER, _S.RESOLVED),
                _S.WAITING_CUSTOMER: (_S.IN_PROGRESS, _S.RESOLVED),
            },
        ),
        # 受理 → 派单 → 维修 → 验收 → 回访 → 归档
        _lifecycle(
            "repair",
            {
                _S.NEW: (_S.ACKNOWLEDGED, _S.DISPATCHED, _S.RESOLVED),
                _S.ACKNOWLEDGED: (_S.DISPATCHED, _S.WAITING_CUSTOMER, _S.RESOLVED),
                _S.DISPATCHED: (_S.IN_PROGRESS, _S.WAITING_CUSTOMER),
                _S.IN_PROGRESS: (_S.WAITING_CUSTOMER, _S.WAITING_PARTS, _S.RESOLVED),
                _S.WAITING_CUSTOMER: (_S.IN_PROGRESS, _S.DISPATCHED),
                _S.WAITING_PARTS: (_S.IN_PROGRESS,),
            },
        ),
        # registered → routed with a deadline → handled → 回访 → closed
        _lifecycle(
            "complaint",
            {
                _S.NEW: (_S.ACKNOWLEDGED, _S.DISPATCHED),
                _S.ACKNOWLEDGED: (_S.DISPATCHED, _S.IN_PROGRESS, _S.WAITING_CUSTOMER),
                _S.DISPATCHED: (_S.IN_PROGRESS, _S.WAITING_CUSTOMER),
                _S.IN_PROGRESS: (_S.WAITING_CUSTOMER, _S.RESOLVED),
                _S.WAITING_CUSTOMER: (_S.IN_PROGRESS,),
            },
        ),
        _lifecycle(
            "order",
            {
                _S.NEW: (_S.ACKNOWLEDGED, _S.IN_PROGRESS, _S.RESOLVED),
                _S.ACKNOWLEDGED: (_S.IN_PROGRESS, _S.WAITING_CUSTOMER, _S.RESOLVED),
                _S.IN_PROGRESS: (_S.WAITING_CUSTOMER, _S.RESOLVED),
                _S.WAITING_CUSTOMER: (_S.IN_PROGRESS, _S.RESOLVED),
            },
        ),
        # Apply (within 7 working days of purchase) → review (2) → pickup (1) → result (2).
        _lifecycle(
            "return_exchange",
            {
                _S.NEW: (_S.ACKNOWLEDGED, _S.UNDER_REVIEW),
                _S.ACKNOWLEDGED: (_S.UNDER_REVIEW, _S.WAITING_CUSTOMER),
                _S.UNDER_REVIEW: (_S.PICKUP, _S.WAITING_CUSTOMER, _S.RESOLVED),  # refused: resolved with why
                _S.PICKUP: (_S.IN_PROGRESS, _S.WAITING_CUSTOMER),
                _S.IN_PROGRESS: (_S.RESOLVED, _S.WAITING_CUSTOMER),
                _S.WAITING_CUSTOMER: (_S.UNDER_REVIEW, _S.PICKUP, _S.IN_PROGRESS),
            },
        ),
        _lifecycle(
            "other",
            {
                _S.NEW: (_S.ACKNOWLEDGED, _S.IN_PROGRESS, _S.RESOLVED),
                _S.ACKNOWLEDGED: (_S.IN_PROGRESS, _S.WAITING_CUSTOMER, _S.RESOLVED),
                _S.IN_PROGRESS: (_S.WAITING_CUSTOMER, _S.WAITING_PARTS, _S.RESOLVED),
                _S.WAITING_CUSTOMER: (_S.IN_PROGRESS, _S.RESOLVED),
                _S.WAITING_PARTS: (_S.IN_PROGRESS,),
            },
        ),
    )
}
# A ticket not yet categorized (a call still in the menu) follows the general lifecycle.
UNCATEGORIZED = "other"


def lifecycle_of(category: str | None) -> Lifecycle:
    """The lifecycle of a category (a category the lifecycles do not know follows `other`'s)."""
    return LIFECYCLES.get(category or UNCATEGORIZED, LIFECYCLES[UNCATEGORIZED])


def label(state: str, language: str = "zh-CN") -> str:
    """What a person sees for a state, in one language."""
    zh, en = STATE_LABELS[State(state)]
    return zh if language.startswith("zh") else en


def category_label(category: str | None, language: str = "zh-CN") -> str:
    """What a person sees or hears for a category, in one language."""
    zh, en = CATEGORY_LABELS.get(category or "other", (category or "", category or ""))
    return zh if language.startswith("zh") else en


def both_labels(state: str) -> str:
    """'处理中 In progress': both languages, for messages an API caller may show as they are."""
    return f"{label(state, 'zh-CN')} {label(state, 'en')}"


def allowed_moves(*, category: str | None, state: str) -> tuple[State, ...]:
    """Where a ticket of this category may go from `state` (nothing from merged)."""
    if state == State.MERGED:
        return ()
    return lifecycle_of(category).moves.get(State(state), ())


class IllegalMove(Conflict):
    """A status change the ticket's lifecycle does not allow (409, code `illegal_ticket_move`)."""

    def __init__(self, message: str, *, allowed: tuple[State, ...] = ()) -> None:
        super().__init__(message, code="illegal_ticket_move", allowed=[s.value for s in allowed])


def check_move(*, category: str | None, state: str, to: str) -> State:
    """The target state, or IllegalMove naming the moves that are allowed from `state`."""
    if to not in State.__members__.values():
        raise IllegalMove(f"Unknown ticket status {to!r}; statuses are: {', '.join(s.value for s in State)}.")
    # Said in words (a person reads it); `allowed` carries the codes for programs.
    target = State(to)
    if state == State.MERGED:
        raise IllegalMove("This ticket was merged into another and is read-only; unmerge it first.")
    allowed = allowed_moves(category=category, state=state)
    if target == State.MERGED:
        raise IllegalMove("A ticket becomes merged only by merging it into another ticket.", allowed=allowed)
    if target not in allowed:
        names = ", ".join(both_labels(s) for s in allowed) or "无 none"
        kind = f"{category_label(category, 'zh-CN')} {category_label(category, 'en').lower()}"
        raise IllegalMove(
            f"此{kind}工单不能从「{both_labels(state)}」改为「{both_labels(target)}」。"
            f"A {kind} ticket cannot go from {both_labels(state)} to {both_labels(target)}. "
            f"可改为 Allowed from here: {names}.",
            allowed=allowed,
        )
    return target


def state_in_lifecycle(*, category: str | None, state: str) -> bool:
    """Whether a ticket in `state` may take this category (its lifecycle has the state)."""
    return State(state) in lifecycle_of(category).states
