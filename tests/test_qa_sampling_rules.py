"""The sampling rules alone (contactcenter/qa/sampling.py): the same seed chooses the same contacts, the
spread over evaluators is even, due dates count working days. The runs on the database: test_qa_sampling.py."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from contactcenter.qa import sampling
from contactcenter.qa.sampling import Candidate, Rule

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORM = {
    "sections": [
        {
            "id": "s1",
            "title": {"zh": "礼貌", "en": "Courtesy"},
            "weight": 100,
            "questions": [{"id": "q1", "text": {"zh": "问候", "en": "Greeting"}, "kind": "yes_no", "weight": 100}],
        }
    ]
}


# ---- the pure rules ----------------------------------------------------------------------------------------


def candidates(agents: int, each: int) -> list[Candidate]:
    return [Candidate(agent, agent * 1000 + n) for agent in range(1, agents + 1) for n in range(each)]


def test_the_same_seed_and_the_same_candidates_choose_the_same_contacts_whatever_their_order() -> None:
    pool = candidates(5, 30)
    shuffled = pool[:]
    random.Random(7).shuffle(shuffled)
    rule = Rule("random_per_agent", 4)
    first = sampling.choose(rule, pool, seed=123456789)
    assert first == sampling.choose(rule, shuffled, seed=123456789)
    assert Counter(c.agent_id for c in first) == {agent: 4 for agent in range(1, 6)}


def test_another_seed_chooses_other_contacts() -> None:
    pool = candidates(3, 40)
    rule = Rule("random_per_agent", 4)
    chosen = {tuple(c.contact_id for c in sampling.choose(rule, pool, seed=seed)) for seed in range(5)}
    assert len(chosen) == 5


def test_the_percentage_policy_takes_its_share_with_a_minimum_and_never_more_than_there_is() -> None:
    rule = Rule("percentage", per_agent=3, percentage=10)
    assert [sampling.quota(rule, n) for n in (0, 2, 10, 31, 100)] == [0, 2, 3, 4, 10]
    assert sampling.quota(Rule("complaints"), 17) == 17
    assert sampling.target(Rule("complaints"), 17) == 0  # no target per agent: every one is taken


@given(
    agents=st.lists(st.integers(1, 30), min_size=1, max_size=60),
    evaluators=st.sets(st.integers(100, 110), min_size=1, max_size=6),
    start=st.integers(0, 5),
)
def test_the_spread_gives_evaluators_with_equal_loads_counts_that_differ_by_at_most_one(
    agents: list[int], evaluators: set[int], start: int
) -> None:
    chosen = [Candidate(agent, n) for n, agent in enumerate(agents)]
    given_to = sampling.spread(chosen, evaluators=sorted(evaluators), load=dict.fromkeys(evaluators, start))
    counts = Counter(given_to.values())
    assert set(given_to) == {c.contact_id for c in chosen} and None not in counts
    assert max(counts.get(e, 0) for e in evaluators) - min(counts.get(e, 0) for e in evaluators) <= 1


@given(
    loads=st.dictionaries(st.integers(100, 110), st.integers(0, 20), min_size=1, max_size=6), items=st.integers(0, 80)
)
def test_the_spread_fills_the_least_loaded_first_and_never_widens_the_gap(loads: dict[int, int], items: int) -> None:
    chosen = [Candidate(1, n) for n in range(items)]
    counts = Counter(sampling.spread(chosen, evaluators=sorted(loads), load=loads).values())
    final = {e: loads[e] + counts.get(e, 0) for e in loads}
    assert max(final.values()) - min(final.values()) <= max(1, max(loads.values()) - min(loads.values()))


def test_an_evaluator_is_never_given_their_own_contact() -> None:
    given_to = sampling.spread([Candidate(5, 1), Candidate(5, 2), Candidate(6, 3)], evaluators=[5])
    assert given_to == {1: None, 2: None, 3: 5}


def test_due_dates_count_working_days_and_end_at_midnight_in_the_hotlines_time_zone() -> None:
    friday_evening = datetime(2026, 12, 4, 22, 0, tzinfo=SHANGHAI)
    due = sampling.due_at(friday_evening, days=3, zone=SHANGHAI)
    assert due == datetime(2026, 12, 10, 0, 0, tzinfo=SHANGHAI)  # Mon, Tue, Wed: due by Wednesday's end
    assert sampling.due_at(friday_evening, days=0, zone=SHANGHAI) == datetime(2026, 12, 5, tzinfo=SHANGHAI)


def test_a_weekly_period_runs_from_monday_midnight_to_monday_midnight_in_the_hotlines_time_zone() -> None:
    # Monday 7 Dec 2026, 00:30 in Shanghai is still Sunday in UTC: the week just ended is Shanghai's.
    now = datetime(2026, 12, 6, 16, 30, tzinfo=UTC)
    start, end = sampling.window(now, days=7, zone=SHANGHAI)
    assert (start, end) == (datetime(2026, 11, 30, tzinfo=SHANGHAI), datetime(2026, 12, 7, tzinfo=SHANGHAI))


# ---- on the database ---------------------------------------------------------------------------------------
