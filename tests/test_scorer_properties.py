"""Safety properties of ``assess``, on the mini definition and on the bundled one.

The red-flag checks compare the scorer against a small reference evaluator written here from the
documented semantics (see ``screening/conditions.py``), so a fault in the compiled evaluator shows up.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from helpers.strategies import HypothesisChooser, responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.assessment import Assessment, assessment_from_json, assessment_json
from screening.conditions import findings_read, items_read
from screening.definition import Definition
from screening.errors import ResponseError
from screening.model import (
    NOT_SURE,
    YES,
    AllOf,
    Answered,
    AnyOf,
    AtLeast,
    Between,
    Condition,
    Disposition,
    Equals,
    Feature,
    Finding,
    FindingRef,
    Ge,
    In,
    IsYes,
    Item,
    Le,
    Not,
    RedFlag,
    YesNoItem,
)
from screening.response import Response, parse_response, response_json
from screening.sampling import sample_answer
from screening.scorer import assess

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Truth = bool | None

# ---------------------------------------------------------------------------------------------
# Reference semantics, written independently of screening.conditions


class _Hidden:
    """The question was not shown (its condition is false)."""


class _Unknown:
    """Shown and unanswered, or shown-ness undecided."""


HIDDEN, UNKNOWN = _Hidden(), _Unknown()


def reference_state(definition: Definition, answers: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Truth]]:
    """Every item's value as the rules must see it (its answer, HIDDEN or UNKNOWN), and whether it is shown."""
    values: dict[str, Any] = {}
    shown: dict[str, Truth] = {}

    def value(item_id: str) -> Any:
        if item_id not in values:
            gate = definition.items[item_id].enable_when
            shown[item_id] = True if gate is None else reference_truth(gate, value, lambda f: None)
            if shown[item_id] is True:
                raw = answers.get(item_id, UNKNOWN)
                values[item_id] = frozenset(raw) if isinstance(raw, list | tuple) else raw
            else:
                values[item_id] = HIDDEN if shown[item_id] is False else UNKNOWN
        return values[item_id]

    for item_id in definition.items:
        value(item_id)
    return values, shown


def reference_values(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    return reference_state(definition, answers)[0]


def reference_truth(cond: Condition, value: Callable[[str], Any], finding: Callable[[str], Truth]) -> Truth:
    def leaf(item_id: str, test: Callable[[Any], bool]) -> Truth:
        v = value(item_id)
        if v is HIDDEN:
            return False
        if v is UNKNOWN or v == NOT_SURE:
            return None
        return test(v)

    def kleene_count(parts: list[Condition]) -> tuple[int, int]:
        results = [reference_truth(c, value, finding) for c in parts]
        return results.count(True), results.count(None)

    if isinstance(cond, AllOf):
        results = [reference_truth(c, value, finding) for c in cond.all]
        return False if False in results else None if None in results else True
    if isinstance(cond, AnyOf):
        results = [reference_truth(c, value, finding) for c in cond.any]
        return True if True in results else None if None in results else False
    if isinstance(cond, Not):
        inner = reference_truth(cond.not_, value, finding)
        return None if inner is None else not inner
    if isinstance(cond, AtLeast):
        true, unknown = kleene_count(cond.at_least.of)
        return True if true >= cond.at_least.n else None if true + unknown >= cond.at_least.n else False
    if isinstance(cond, FindingRef):
        return finding(cond.finding)
    if isinstance(cond, Answered):
        v = value(cond.answered)
        return v is not HIDDEN and v is not UNKNOWN
    if isinstance(cond, IsYes):
        return leaf(cond.yes, lambda v: v == YES)
    if isinstance(cond, Equals):
        target = cond.equals.value
        if target == NOT_SURE:
            v = value(cond.equals.item)
            return False if v is HIDDEN else None if v is UNKNOWN else v == NOT_SURE
        return leaf(cond.equals.item, lambda v: target in v if isinstance(v, frozenset) else v == target)
    if isinstance(cond, In):
        wanted = set(cond.in_.values)
        return leaf(cond.in_.item, lambda v: bool(v & wanted) if isinstance(v, frozenset) else v in wanted)
    if isinstance(cond, Ge):
        return leaf(cond.ge.item, lambda v: v >= cond.ge.value)
    if isinstance(cond, Le):
        return leaf(cond.le.item, lambda v: v <= cond.le.value)
    if isinstance(cond, Between):
        return leaf(cond.between.item, lambda v: cond.between.min <= v <= cond.between.max)
    raise AssertionError(f"unexpected condition {cond!r}")


def reference_rules(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Truth]:
    """Rule id -> true/false/unknown for every finding, red flag and feature, by the reference semantics."""
    values = reference_values(definition, answers)
    conditions = {f.id: f.condition for f in definition.ruleset.findings}
    memo: dict[str, Truth] = {}

    def finding(fid: str) -> Truth:
        if fid not in memo:
            memo[fid] = reference_truth(conditions[fid], values.__getitem__, finding)
        return memo[fid]

    rules: list[Finding | RedFlag | Feature] = [
        *definition.ruleset.findings,
        *definition.ruleset.red_flags,
        *definition.ruleset.features,
    ]
    return {rule.id: reference_truth(rule.condition, values.__getitem__, finding) for rule in rules}


def reference_red_flags(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Truth]:
    """Red flag id -> true/false/unknown, by the reference semantics."""
    truths = reference_rules(definition, answers)
    return {f.id: truths[f.id] for f in definition.ruleset.red_flags}


def items_behind(definition: Definition, conditions: list[Condition]) -> set[str]:
    """Items the conditions read, directly or through findings."""
    by_id = {f.id: f.condition for f in definition.ruleset.findings}
    result: set[str] = set()
    seen: set[str] = set()
    stack = list(conditions)
    while stack:
        cond = stack.pop()
        result.update(items_read(cond))
        for fid in findings_read(cond):
            if fid not in seen:
                seen.add(fid)
                stack.append(by_id[fid])
    return result


def red_flag_items(definition: Definition) -> set[str]:
    return items_behind(definition, [f.condition for f in definition.ruleset.red_flags])


def feature_items(definition: Definition) -> set[str]:
    return items_behind(definition, [f.condition for f in definition.ruleset.features])


def rank(assessment: Assessment) -> int:
    return assessment.disposition.rank


def is_shown(definition: Definition, answers: Mapping[str, Any], item_id: str) -> bool:
    return reference_state(definition, answers)[1][item_id] is True


def with_answer(definition: Definition, response: Response, item_id: str, value: Any) -> tuple[Response, list[str]]:
    """The response with one answer changed, and the answered questions the change hid (their answers dropped).

    Built with ``model_copy`` rather than ``parse_response``: questions the change reveals stay unanswered
    even when they are required, which ``parse_response`` would (rightly) refuse.
    """
    answers = {**response.answers, item_id: value}
    shown = reference_state(definition, answers)[1]
    hidden = [i for i in answers if shown[i] is not True]
    kept = {i: v for i, v in answers.items() if shown[i] is True}
    return response.model_copy(update={"answers": kept}), hidden


# ---------------------------------------------------------------------------------------------
# Properties


@PROPERTY
@given(data=st.data())
def test_valid_response_parses_and_assess_never_raises(definition: Definition, data: st.DataObject) -> None:
    """Every generated response is valid, and assess returns a consistent Assessment for it."""
    doc = data.draw(responses(definition))
    response = parse_response(doc, definition)
    assessment = assess(definition, response)
    assert isinstance(assessment, Assessment)
    assert assessment.respondent == doc.get("respondent", "patient")
    assert assessment.disposition == max((r.disposition for r in assessment.disposition_reasons), key=lambda d: d.rank)
    policy = definition.ruleset.disposition
    kinds = {r.kind for r in assessment.disposition_reasons if r.disposition == assessment.disposition}
    if policy.unsure_text is not None and kinds == {"red_flag_unsure"}:  # only undecided flags set the level
        assert assessment.next_step.title == policy.unsure_text.title and assessment.next_step.checks_undecided_flags
    else:
        assert assessment.next_step.title == policy.texts[assessment.disposition].title
        assert not assessment.next_step.checks_undecided_flags
    traced = [(t.kind, t.id) for t in assessment.explanation]
    assert [i for k, i in traced if k == "red_flag"] == [f.id for f in definition.ruleset.red_flags]
    assert [i for k, i in traced if k == "feature"] == [f.id for f in definition.ruleset.features]
    points = sum(f.weight for f in assessment.features if f.status == "met")
    assert assessment.likelihood.points == points
    assert assessment.likelihood.maximum == sum(f.weight for f in definition.ruleset.features)


@PROPERTY
@given(data=st.data())
def test_red_flags_match_reference_and_dominate(definition: Definition, data: st.DataObject) -> None:
    """A red flag that is true is raised and sets the disposition at or above its urgency; one that is
    unknown (answered not sure, unanswered, or behind an undecided question) goes to "to check" and
    never lets the outcome be physiotherapy or self-care; one that is false appears nowhere."""
    response = parse_response(data.draw(responses(definition)), definition)
    assessment = assess(definition, response)
    expected = reference_red_flags(definition, response.answers)
    raised = {f.id for f in assessment.red_flags}
    to_check = {f.id for f in assessment.to_check}
    policy = definition.ruleset.disposition.when_red_flag_unsure
    for flag in definition.ruleset.red_flags:
        truth = expected[flag.id]
        if truth is True:
            assert flag.id in raised and flag.id not in to_check
            assert rank(assessment) >= Disposition(flag.urgency).rank
        elif truth is None:
            assert flag.id in to_check and flag.id not in raised
            assert rank(assessment) >= policy[flag.urgency].rank
            assert assessment.disposition not in (Disposition.PHYSIO_ASSESSMENT, Disposition.SELF_CARE)
        else:
            assert flag.id not in raised | to_check


@PROPERTY
@given(data=st.data())
def test_findings_and_features_match_the_reference(definition: Definition, data: st.DataObject) -> None:
    """Each finding and feature comes out as the reference semantics say, and the points add up."""
    response = parse_response(data.draw(responses(definition)), definition)
    assessment = assess(definition, response)
    expected = reference_rules(definition, response.answers)
    result = {True: "true", False: "false", None: "unknown"}
    traced = {(t.kind, t.id): t.result for t in assessment.explanation}
    for finding in definition.ruleset.findings:
        assert traced[("finding", finding.id)] == result[expected[finding.id]], finding.id
    status = {True: "met", False: "not_met", None: "unknown"}
    assert [(f.id, f.status) for f in assessment.features] == [
        (f.id, status[expected[f.id]]) for f in definition.ruleset.features
    ]
    weights = {f.id: f.weight for f in definition.ruleset.features}
    assert assessment.likelihood.points == sum(weights[i] for i in weights if expected[i] is True)
    assert assessment.likelihood.unknown_points == sum(weights[i] for i in weights if expected[i] is None)


def _may_be_not_sure(item: Item) -> bool:
    return isinstance(item, YesNoItem) and item.allow_not_sure


@PROPERTY
@given(data=st.data())
def test_red_flag_question_not_sure_or_unanswered_never_physio_or_self_care(
    definition: Definition, data: st.DataObject
) -> None:
    """Turn one shown red-flag question into "not sure" (when allowed) or unanswered (when optional);
    whenever that leaves any red flag undecided, the outcome is a GP or more urgent."""
    answers = dict(parse_response(data.draw(responses(definition)), definition).answers)
    candidates = sorted(
        i
        for i in red_flag_items(definition)
        if is_shown(definition, answers, i)
        and (_may_be_not_sure(definition.items[i]) or not getattr(definition.items[i], "required", False))
    )
    if not candidates:
        return
    item_id = data.draw(st.sampled_from(candidates), label="red-flag question")
    item = definition.items[item_id]
    can_be_not_sure = isinstance(item, YesNoItem) and item.allow_not_sure
    optional = not getattr(item, "required", False)
    if can_be_not_sure and (not optional or data.draw(st.booleans(), label="not sure (else unanswered)")):
        answers[item_id] = NOT_SURE
    else:
        answers.pop(item_id, None)
    doc = {
        "questionnaire": definition.questionnaire.id,
        "version": definition.questionnaire.version,
        "collected_at": "2026-01-01T09:00:00+00:00",
        "answers": answers,
    }
    # partial: a "not sure" can reveal a required follow-up (how fast the worst headache peaked), left unanswered
    response = parse_response(doc, definition, hidden="drop", partial=True)
    assessment = assess(definition, response)
    if None in reference_red_flags(definition, response.answers).values():
        assert assessment.to_check
        assert assessment.disposition.rank >= Disposition.ROUTINE_GP.rank


@PROPERTY
@given(data=st.data())
def test_answering_a_red_flag_question_yes_never_lowers_the_disposition(
    definition: Definition, data: st.DataObject
) -> None:
    """For a yes/no question X read by a red flag and shown in a valid response R: let R' be R with X
    answered "yes", follow-up questions this reveals left unanswered (even required ones), and answers to
    any question it hides dropped. Then the disposition of R' is at least as urgent as that of R."""
    response = parse_response(data.draw(responses(definition)), definition)
    candidates = sorted(
        i
        for i in red_flag_items(definition)
        if isinstance(definition.items[i], YesNoItem) and is_shown(definition, response.answers, i)
    )
    if not candidates:
        return
    item_id = data.draw(st.sampled_from(candidates), label="red-flag question")
    before = assess(definition, response)
    after = assess(definition, with_answer(definition, response, item_id, YES)[0])
    assert after.disposition.rank >= before.disposition.rank, (
        f"answering {item_id!r} yes lowered {before.disposition.value} to {after.disposition.value}"
    )


@PROPERTY
@given(data=st.data())
def test_answering_a_feature_question_yes_never_lowers_the_points(definition: Definition, data: st.DataObject) -> None:
    """The exact property (monotone points):

    Let X be a yes/no question that some feature reads, directly or through a finding, and that no red
    flag reads. Take a valid response R in which X is shown, and let R' be R with X answered "yes";
    questions this reveals stay unanswered (even required ones). If every answer in R is still shown in
    R' (the change hid no answered question), then points(R') >= points(R).

    A "yes" to a neck feature must never count against a neck origin. This holds whenever features
    compare answers positively (yes/in/ge/...); a feature that reads X through ``not`` or ``equals: no``
    breaks it, and is worth a second look. The proviso about hidden answers is needed because answering
    "yes" may hide a question (``enable_when: {not: {yes: X}}``) whose answer earned points.
    """
    response = parse_response(data.draw(responses(definition)), definition)
    candidates = sorted(
        i
        for i in feature_items(definition) - red_flag_items(definition)
        if isinstance(definition.items[i], YesNoItem) and is_shown(definition, response.answers, i)
    )
    if not candidates:
        return
    item_id = data.draw(st.sampled_from(candidates), label="feature question")
    changed, hidden = with_answer(definition, response, item_id, YES)
    if hidden:
        return  # the change hid an answered question: outside the property
    before = assess(definition, response).likelihood.points
    after = assess(definition, changed).likelihood.points
    assert after >= before, f"answering {item_id!r} yes lowered the points from {before} to {after}"


@PROPERTY
@given(data=st.data())
def test_answers_to_hidden_questions_never_change_anything(definition: Definition, data: st.DataObject) -> None:
    """Add answers to questions that were not shown: with hidden="error" each is rejected by name; with
    hidden="drop" the parsed response and the assessment are exactly as without them; and assess, given
    a Response that still holds them, returns the same Assessment as without them."""
    doc = data.draw(responses(definition))
    plain = parse_response(doc, definition)
    shown = reference_state(definition, plain.answers)[1]
    hidden = [i for i in definition.items if definition.is_answerable(i) and shown[i] is not True]
    chooser = HypothesisChooser(data.draw)
    extra = {i: sample_answer(definition.items[i], chooser) for i in hidden if data.draw(st.booleans(), label=i)}
    if not extra:
        return
    noisy = {**doc, "answers": {**doc["answers"], **extra}}
    with pytest.raises(ResponseError) as caught:
        parse_response(noisy, definition, hidden="error")
    assert sorted(p.subject for p in caught.value.problems) == sorted(f"item '{i}'" for i in extra)
    dropped = parse_response(noisy, definition, hidden="drop")
    assert dropped == plain
    expected = assess(definition, plain)
    assert assess(definition, dropped) == expected
    # The scorer itself ignores them too, should a Response with such answers ever reach it.
    unfiltered = plain.model_copy(update={"answers": {**plain.answers, **extra}})
    assert assess(definition, unfiltered) == expected


@PROPERTY
@given(data=st.data())
def test_assess_is_deterministic(definition: Definition, data: st.DataObject) -> None:
    """Same definition and response: equal Assessments and byte-identical JSON."""
    response = parse_response(data.draw(responses(definition)), definition)
    first, second = assess(definition, response), assess(definition, response)
    assert first == second
    assert assessment_json(first) == assessment_json(second)
    again = parse_response(json.loads(response_json(response)), definition)
    assert assessment_json(assess(definition, again)) == assessment_json(first)


@PROPERTY
@given(data=st.data())
def test_assessment_json_round_trip(definition: Definition, data: st.DataObject) -> None:
    """assessment_from_json(assessment_json(a)) == a, and the text re-serialises identically."""
    assessment = assess(definition, parse_response(data.draw(responses(definition)), definition))
    text = assessment_json(assessment)
    back = assessment_from_json(text)
    assert back == assessment
    assert assessment_json(back) == text
    assert json.loads(text)["disposition"] == assessment.disposition.value


@PROPERTY
@given(data=st.data())
def test_response_json_round_trip(definition: Definition, data: st.DataObject) -> None:
    """A parsed response written with response_json parses back to an equal Response, same JSON."""
    response = parse_response(data.draw(responses(definition)), definition)
    text = response_json(response)
    back = parse_response(json.loads(text), definition)
    assert isinstance(back, Response)
    assert back == response
    assert response_json(back) == text
