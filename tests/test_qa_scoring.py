"""The scorecard's rules: weights, not applicable, critical items of a section and of the form, bands."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactcenter.qa.forms import Form, check_answers, rebalance, score, weight_problems
from tests.qa_forms import PERFECT, question, service_form


def form() -> Form:
    return Form.model_validate(service_form())


def test_a_perfect_evaluation_scores_100_and_is_excellent() -> None:
    result = score(form(), PERFECT)
    assert (result.score, result.band, result.critical_failed) == (100.0, "excellent", False)


def test_each_answer_counts_by_its_weight_within_its_section_and_the_sections_by_theirs() -> None:
    # opening: verified yes (50) + courtesy 3 of 1-5 = 50 % (50) → 75; solution: partly 50 % (40) + yes + yes → 80
    result = score(form(), {**PERFECT, "courtesy": 3, "explained": "partly"})
    assert [s.score for s in result.sections] == [75.0, 80.0]
    assert result.score == round(0.6 * 75 + 0.4 * 80, 1) == 77.0
    assert result.band == "fail"  # under the pass mark of 80


def test_not_applicable_leaves_the_question_out_and_its_sections_other_weights_grow() -> None:
    # solution without follow_up_offered: explained partly (40 × 50 %) + accurate (30 × 100 %) over 70 → 71.4
    result = score(form(), {**PERFECT, "explained": "partly", "follow_up_offered": "na"})
    assert result.sections[1].score == pytest.approx(71.4, abs=0.05)
    assert result.score == round(0.6 * 100 + 0.4 * (20 + 30) / 70 * 100, 1)


def test_a_section_answered_entirely_not_applicable_is_left_out_among_the_sections() -> None:
    data = service_form()
    for q in data["sections"][1]["questions"]:
        q["allow_na"] = True
    answers = {"verified": "yes", "courtesy": 3, "explained": "na", "follow_up_offered": "na", "accurate": "na"}
    result = score(Form.model_validate(data), answers)
    assert result.sections[1].score is None
    assert result.score == 75.0  # the opening alone


def test_a_failed_critical_question_of_a_section_zeroes_that_section_only() -> None:
    result = score(form(), {**PERFECT, "accurate": "no"})
    assert [s.score for s in result.sections] == [100.0, 0.0]
    assert result.sections[1].failed and result.critical_failed
    assert result.score == 60.0 and result.failed_questions == ["accurate"]


def test_a_failed_critical_question_of_the_form_zeroes_the_whole_evaluation_and_fails_it() -> None:
    data = service_form()
    data["bands"] = {"pass": 0, "excellent": 0}  # even a form that passes everything fails on it
    result = score(Form.model_validate(data), {**PERFECT, "verified": "no"})
    assert (result.score, result.band, result.critical_failed) == (0.0, "fail", True)


def test_an_answer_worth_half_does_not_fail_a_critical_question_and_under_half_does() -> None:
    data = service_form()
    data["sections"][0]["questions"][1]["critical"] = "section"  # courtesy 1-5: 3 is 50 %, 2 is 25 %
    assert not score(Form.model_validate(data), {**PERFECT, "courtesy": 3}).critical_failed
    assert score(Form.model_validate(data), {**PERFECT, "courtesy": 2}).failed_questions == ["courtesy"]


@pytest.mark.parametrize(("points", "band"), [(79.9, "fail"), (80, "pass"), (94.9, "pass"), (95, "excellent")])
def test_the_bands_start_at_their_marks(points: float, band: str) -> None:
    data = {
        "sections": [
            {
                "id": "s",
                "title": {"zh": "s", "en": "s"},
                "weight": 100,
                "questions": [
                    question(
                        "q",
                        "choice",
                        weight=100,
                        options=[
                            {"id": "a", "label": {"zh": "a", "en": "a"}, "score": points},
                            {"id": "b", "label": {"zh": "b", "en": "b"}, "score": 0},
                        ],
                    )
                ],
            }
        ],
        "bands": {"pass": 80, "excellent": 95},
    }
    assert score(Form.model_validate(data), {"q": "a"}).band == band


def test_answers_that_do_not_fit_are_named_and_a_submission_needs_every_question() -> None:
    problems = check_answers(
        form(), {"verified": "maybe", "courtesy": 9, "accurate": "na", "nope": "yes"}, complete=True
    )
    joined = "; ".join(problems)
    for expected in (
        "verified: answer one of yes, no",
        "courtesy: answer a number from 1 to 5",
        "accurate: cannot be answered not applicable",
        "nope: no such question",
        "explained: not answered",
    ):
        assert expected in joined
    assert check_answers(form(), {"verified": "yes"}, complete=False) == []


def test_weights_that_do_not_total_100_are_named_and_rebalancing_scales_them_to_100() -> None:
    data = service_form()
    data["sections"][0]["weight"], data["sections"][1]["questions"][0]["weight"] = 30, 10
    uneven = Form.model_validate(data)
    assert weight_problems(uneven) == [
        "the sections' weights total 70, not 100",
        "section solution: its questions' weights total 70, not 100",
    ]
    balanced = rebalance(uneven)
    assert weight_problems(balanced) == []
    assert [s.weight for s in balanced.sections] == [42.86, 57.14]  # 30:40, in proportion


def test_a_form_with_duplicate_question_ids_or_inverted_bands_is_refused() -> None:
    data = service_form()
    data["sections"][1]["questions"][0]["id"] = "verified"
    with pytest.raises(ValueError, match="two questions have the same id"):
        Form.model_validate(data)
    with pytest.raises(ValueError, match="excellent band"):
        Form.model_validate({**service_form(), "bands": {"pass": 90, "excellent": 80}})


answer = st.fixed_dictionaries(
    {
        "verified": st.sampled_from(["yes", "no"]),
        "courtesy": st.integers(1, 5),
        "explained": st.sampled_from(["fully", "partly", "not"]),
        "follow_up_offered": st.sampled_from(["yes", "no", "na"]),
        "accurate": st.sampled_from(["yes", "no"]),
    }
)


@given(answer)
def test_a_score_stays_within_0_and_100_and_a_better_answer_never_lowers_it(one: dict) -> None:
    """Property: raising any single answer to its best never lowers the score."""
    result = score(form(), one)
    assert 0 <= result.score <= 100
    for qid, best in PERFECT.items():
        if one[qid] != "na":
            assert score(form(), {**one, qid: best}).score >= result.score
