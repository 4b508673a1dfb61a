"""The generated scorer (``screening.compiled``) against the interpreted one (``screening.interpreted``).

Both must give the same outcome and the same Assessment, byte for byte in JSON, for every response; the
generated source must hold only the definition's structure, never an answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.definitions import MINI_QUESTIONNAIRE, write_definition
from helpers.strategies import HypothesisChooser, responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.assessment import Assessment, assessment_json, emergency_flags
from screening.compiled import cached_scorer
from screening.definition import Definition
from screening.interpreted import assess_interpreted
from screening.loader import load_definition
from screening.response import Response, parse_response
from screening.sampling import sample_answer
from screening.scorer import assess, assess_compact, emergency_raised, explain

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALUE = {"false": 0, "unknown": 1, "true": 2}

# Every kind of condition on the mini questionnaire, nested: not, at_least, answered, le, equals "not sure",
# equals and in on a multiple choice, any inside all, a finding read by a finding, likely_requires and a cap.
EVERY_KIND_RULES = """\
id: every_kind
version: 1.0.0
title: Every kind of condition
questionnaire: {id: mini, version: 1.2.0}
findings:
  - id: one_sided
    title: One side
    condition: {in: {item: neck_side, values: [left, right]}}
  - id: one_sided_moving
    title: One side and movement
    condition: {all: [{finding: one_sided}, {any: [{yes: neck_movement}, {not: {answered: neck_movement}}]}]}
red_flags:
  - id: thunderclap_or_unsure
    title: Thunderclap
    condition: {any: [{yes: thunderclap}, {equals: {item: thunderclap, value: not_sure}}]}
    urgency: emergency
    patient_message: Call 999 now.
    staff_message: Advise 999 now.
    source: Fictional test source
  - id: two_systemic
    title: Two systemic signs
    condition:
      at_least:
        n: 2
        of:
          - {equals: {item: symptoms, value: fever}}
          - {equals: {item: symptoms, value: weight_loss}}
          - {ge: {item: age, value: 70}}
    urgency: urgent_gp
    patient_message: Contact your GP today.
    staff_message: Same-day GP contact.
    source: Fictional test source
features:
  - id: neck
    title: Neck pain
    condition: {yes: neck_pain}
    weight: 3
    criterion: A
    source: Fictional test source
  - id: side_and_movement
    title: One side and movement
    condition: {finding: one_sided_moving}
    weight: 2
    criterion: B
    source: Fictional test source
  - id: mild
    title: Mild
    condition: {le: {item: severity, value: 4}}
    weight: 1
    criterion: C
    source: Fictional test source
  - id: not_both_sides
    title: Not both sides
    condition: {not: {equals: {item: neck_side, value: both}}}
    weight: 1
    criterion: D
    source: Fictional test source
differentials:
  - id: visual
    title: Visual symptoms
    condition: {all: [{in: {item: symptoms, values: [blurred_vision]}}, {between: {item: severity, min: 6, max: 10}}]}
    staff_message: Consider migraine.
    patient_message: This may be migraine.
    floor: routine_gp
    source: Fictional test source
  - id: older
    title: Older
    condition: {ge: {item: age, value: 50}}
    staff_message: New headache after 50.
    patient_message: A GP should see new headaches after 50.
    floor_when_unlikely: routine_gp
    source: Fictional test source
grading:
  likely_at: 5
  possible_at: 3
  insufficient_when_unknown_at_least: 2
  likely_requires: {any: [{finding: one_sided}, {yes: neck_movement}]}
  caps:
    - id: no_movement
      title: No movement link
      when: {equals: {item: neck_movement, value: "no"}}
      at_most: possible
      reason: Without a movement link a neck origin is at most possible.
"""


@pytest.fixture(scope="session")
def every_kind(tmp_path_factory: pytest.TempPathFactory) -> Definition:
    from helpers.definitions import MINI_RULES

    tail = MINI_RULES[MINI_RULES.index("disposition:") :]
    return load_definition(
        *write_definition(tmp_path_factory.mktemp("kinds"), MINI_QUESTIONNAIRE, EVERY_KIND_RULES + tail, "mini")
    )


@pytest.fixture(scope="session", params=["mini", "bundled", "every_kind"])
def any_definition(request: pytest.FixtureRequest) -> Definition:
    chosen: Definition = request.getfixturevalue(request.param)
    return chosen


def _fresh(response: Response) -> Response:
    """The same response as a new object, so nothing remembered from parsing it is used."""
    return Response.model_validate_json(response.model_dump_json())


@PROPERTY
@given(data=st.data())
def test_compiled_scorer_equals_the_interpreted_one(any_definition: Definition, data: st.DataObject) -> None:
    """Same disposition, grade, points, red flags, to check, every rule's value and the same Assessment JSON,
    whether the evaluation comes from parsing or is worked out again."""
    d = any_definition
    response = parse_response(data.draw(responses(d)), d, hidden="drop")
    reference = assess_interpreted(d, response)
    for candidate in (response, _fresh(response)):
        compact = assess_compact(d, candidate)
        assert compact.disposition == reference.disposition
        assert compact.grade == reference.likelihood.grade
        assert (compact.points, compact.unknown_points) == (
            reference.likelihood.points,
            reference.likelihood.unknown_points,
        )
        assert compact.capped_by == reference.likelihood.capped_by
        assert compact.red_flags == tuple(f.id for f in reference.red_flags)
        assert compact.to_check == tuple(f.id for f in reference.to_check)
        traced = [((t.kind, t.id), VALUE[t.result]) for t in reference.explanation]
        assert list(zip(d.scorer.rules, compact.rules, strict=True)) == traced
        # the forms' emergency check reads the compact result: it must stop exactly when the full one would
        assert emergency_raised(d, compact) == bool(emergency_flags(reference))
        full = assess(d, candidate)
        assert full == reference
        assert assessment_json(full) == assessment_json(reference)
        assert explain(d, candidate, compact) == reference


@PROPERTY
@given(data=st.data())
def test_answers_the_parser_never_saw_are_scored_afresh(any_definition: Definition, data: st.DataObject) -> None:
    """A Response carrying answers to hidden questions, made from a parsed one, is scored like the reference:
    what was remembered at parsing belongs to the parsed answers only."""
    d = any_definition
    response = parse_response(data.draw(responses(d)), d)
    shown = d.effective_values(response.answers)[1]
    hidden = [i for i in d.items if d.is_answerable(i) and shown[i] is not True]
    chooser = HypothesisChooser(data.draw)
    extra = {i: sample_answer(d.items[i], chooser) for i in hidden if data.draw(st.booleans(), label=i)}
    changed = response.model_copy(update={"answers": {**response.answers, **extra}})
    assert assess(d, changed) == assess_interpreted(d, changed)


def test_generated_source_names_only_its_own_helpers(any_definition: Definition) -> None:
    """No builtins beyond two, no imports, no attribute but dict.get and frozenset.isdisjoint."""
    code = any_definition.scorer.evaluate.__code__
    helpers = {"U", "NA", "NS", "FS", "LT", "Evaluation", "_at_least", "_ALL", "_ANY", "_NOT", "_OUT"}
    allowed = helpers | {"get", "isinstance", "frozenset", "isdisjoint"}
    names = {n for n in code.co_names if not n.startswith("_c")}
    assert names <= allowed, names - allowed
    source = any_definition.scorer.source
    assert "import" not in source and "__" not in source.replace("__builtins__", "")


def test_generated_source_holds_no_answer(mini: Definition) -> None:
    """Scoring responses leaves the source as it was; it names items by id only (every string in it is an
    id or option code of the definition)."""
    import ast

    strings = {
        n.value
        for n in ast.walk(ast.parse(mini.scorer.source))
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }
    codes = {o.code for item in mini.items.values() for o in getattr(item, "options", [])}
    assert strings <= set(mini.items) | codes | {"yes", "no"}


def test_scorer_is_compiled_once_per_definition_files(mini_files: tuple[Path, Path], mini: Definition) -> None:
    again = load_definition(*mini_files)
    assert again is not mini and again.scorer is mini.scorer
    assert cached_scorer((again.questionnaire_sha256, again.ruleset_sha256)) is mini.scorer


def test_a_changed_rule_gets_its_own_scorer(tmp_path: Path, mini: Definition) -> None:
    from helpers.definitions import MINI_RULES

    changed = load_definition(
        *write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES.replace("value: 8}", "value: 9}"), "mini")
    )
    assert changed.scorer is not mini.scorer and "9" in changed.scorer.source
    answers = {"neck_pain": "no", "severity": 8, "age": 30, "thunderclap": "no", "symptoms": ["blurred_vision"]}
    doc = {"questionnaire": "mini", "version": "1.2.0", "collected_at": "2026-01-01T09:00:00+00:00", "answers": answers}
    before, after = (assess(d, parse_response(doc, d)) for d in (mini, changed))
    assert [x.id for x in before.differentials] == ["migraine_pattern"] and not after.differentials
    assert isinstance(after, Assessment)


def test_what_assess_shares_is_worked_out_once_per_definition() -> None:
    from screening.plan import definition_plan, definition_tables

    definition = load_definition()
    assert definition_tables(definition) is definition_tables(definition)  # not rebuilt for every response
    assert definition_plan(definition) is definition_plan(definition)
