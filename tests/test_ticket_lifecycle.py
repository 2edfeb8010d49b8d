"""Each category's lifecycle, as data: every state reachable from new, resolved reachable, the allowed moves
allowed, every other move refused with a message naming the allowed ones, and a merged ticket read-only."""

from __future__ import annotations

import pytest

from contactcenter.tickets.lifecycle import (
    CATEGORY_LABELS,
    LIFECYCLES,
    STATE_LABELS,
    WRAP_UP_STATES,
    IllegalMove,
    State,
    allowed_moves,
    both_labels,
    check_move,
)
from contactcenter.tickets.service import path_to
from ivr.prompts import TICKET_STATUS_NAMES

CATEGORIES = sorted(LIFECYCLES)


def reachable(category: str) -> set[State]:
    seen, todo = {State.NEW}, [State.NEW]
    while todo:
        for step in allowed_moves(category=category, state=todo.pop()):
            if step not in seen:
                seen.add(step)
                todo.append(step)
    return seen


def test_the_six_categories_of_the_rules_each_have_a_lifecycle() -> None:
    assert CATEGORIES == ["complaint", "consultation", "order", "other", "repair", "return_exchange"]


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_state_of_a_lifecycle_is_reachable_from_new_and_every_path_ends_in_closed(category: str) -> None:
    states = set(LIFECYCLES[category].moves)
    assert reachable(category) == states
    for state in states:  # from anywhere the ticket can still be closed (nothing is a dead end)
        assert path_to(category=category, state=state, to=State.CLOSED) is not None or state == State.CLOSED


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_allowed_move_is_allowed_and_every_other_is_refused_naming_the_allowed(category: str) -> None:
    for state, moves in LIFECYCLES[category].moves.items():
        for target in State:
            if target in moves:
                assert check_move(category=category, state=state, to=target) == target
                continue
            with pytest.raises(IllegalMove) as refused:
                check_move(category=category, state=state, to=target)
            assert refused.value.status == 409 and refused.value.code == "illegal_ticket_move"
            assert refused.value.fields["allowed"] == [m.value for m in moves]
            for allowed in moves:
                if target != State.MERGED:  # in words: the labels, never the codes
                    assert both_labels(allowed) in str(refused.value)
            assert "_" not in str(refused.value)


def test_a_complaint_must_be_handled_before_it_is_resolved_and_a_repair_goes_through_dispatch() -> None:
    assert State.RESOLVED not in allowed_moves(category="complaint", state=State.NEW)
    assert path_to(category="complaint", state=State.NEW, to=State.RESOLVED) == [
        State.ACKNOWLEDGED,
        State.IN_PROGRESS,
        State.RESOLVED,
    ]
    assert allowed_moves(category="repair", state=State.DISPATCHED) == (State.IN_PROGRESS, State.WAITING_CUSTOMER)
    with pytest.raises(IllegalMove, match="Allowed from here: 处理中 In progress"):
        check_move(category="repair", state=State.DISPATCHED, to=State.RESOLVED)


def test_a_return_or_exchange_is_reviewed_then_picked_up_then_decided() -> None:
    assert path_to(category="return_exchange", state=State.NEW, to=State.RESOLVED) == [
        State.UNDER_REVIEW,
        State.RESOLVED,  # refused at review: resolved with why
    ]
    assert path_to(category="return_exchange", state=State.PICKUP, to=State.RESOLVED) == [
        State.IN_PROGRESS,
        State.RESOLVED,
    ]


def test_a_merged_ticket_can_go_nowhere_and_no_status_change_makes_a_ticket_merged() -> None:
    assert allowed_moves(category="repair", state=State.MERGED) == ()
    with pytest.raises(IllegalMove, match="read-only"):
        check_move(category="repair", state=State.MERGED, to=State.IN_PROGRESS)
    with pytest.raises(IllegalMove, match="only by merging"):
        check_move(category="repair", state=State.IN_PROGRESS, to=State.MERGED)


def test_an_unknown_status_is_refused_with_the_list_of_statuses() -> None:
    with pytest.raises(IllegalMove, match="Unknown ticket status 'done'.*in_progress"):
        check_move(category="order", state=State.NEW, to="done")


def test_resolved_visited_and_closed_tickets_may_be_reopened_and_a_reopened_one_worked_again() -> None:
    for category in CATEGORIES:
        for state in (State.RESOLVED, State.RETURN_VISIT, State.CLOSED):
            assert State.REOPENED in allowed_moves(category=category, state=state)
        assert State.IN_PROGRESS in allowed_moves(category=category, state=State.REOPENED)


def test_every_state_and_category_has_a_name_in_both_languages_and_callers_hear_every_status() -> None:
    assert set(STATE_LABELS) == set(State) and set(TICKET_STATUS_NAMES) == {s.value for s in State}
    for zh, en in [*STATE_LABELS.values(), *CATEGORY_LABELS.values()]:
        assert zh and en and "_" not in en and zh != en
    assert set(CATEGORY_LABELS) == set(CATEGORIES)


def test_the_wrap_up_offers_only_working_states_each_reachable_in_every_lifecycle_that_has_it() -> None:
    for category in CATEGORIES:
        for state in WRAP_UP_STATES:
            if state in LIFECYCLES[category].moves:
                assert path_to(category=category, state=State.ACKNOWLEDGED, to=state) is not None, (category, state)
