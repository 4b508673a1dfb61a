"""`screening diff`: what changed between two definitions, readable and as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.definitions import MINI_QUESTIONNAIRE, MINI_RULES, write_definition

from screening.cli import main
from screening.definition import Definition
from screening.diff import diff_definitions, render_diff


def test_identical_definitions_have_no_differences(mini: Definition) -> None:
    changes = diff_definitions(mini, mini)
    assert changes.is_empty
    assert "No differences" in render_diff(changes)


def test_each_kind_of_change_is_named(make_definition: Callable[..., Definition], mini: Definition) -> None:
    questionnaire = MINI_QUESTIONNAIRE.replace(
        "{code: both, label: Both sides}", "{code: both, label: Both sides of the neck}"
    ).replace("enable_when: {yes: neck_pain}", "enable_when: {not: {equals: {item: neck_pain, value: no}}}", 1)
    rules = MINI_RULES.replace("weight: 3", "weight: 4", 1).replace("urgency: urgent_gp", "urgency: routine_gp", 1)
    assert questionnaire != MINI_QUESTIONNAIRE and rules != MINI_RULES
    changes = diff_definitions(mini, make_definition(questionnaire, rules))
    by_kind = {section.kind: section for section in changes.sections}
    neck_side = {c.field: c for c in by_kind["items"].changed["neck_side"]}
    assert set(neck_side) == {"enable_when", "options"}
    assert "neck_pain" in neck_side["enable_when"].old and "not" in neck_side["enable_when"].new.lower()
    assert {c.field for c in by_kind["features"].changed["neck_origin"]} == {"weight"}
    flag = by_kind["red_flags"].changed["systemic_symptoms"]
    assert [(c.field, c.old, c.new) for c in flag] == [("urgency", "urgent_gp", "routine_gp")]
    text = render_diff(changes)
    assert "~ neck_side" in text and "weight: 3" in text and "-> 4" in text


def test_added_and_removed_rules(make_definition: Callable[..., Definition], mini: Definition) -> None:
    start = MINI_RULES.index("  - id: systemic_symptoms")
    end = MINI_RULES.index("features:")
    without = MINI_RULES[:start] + MINI_RULES[end:]
    changes = diff_definitions(mini, make_definition(MINI_QUESTIONNAIRE, without))
    red_flags = next(s for s in changes.sections if s.kind == "red_flags")
    assert red_flags.removed == ["systemic_symptoms"] and not red_flags.added
    back = diff_definitions(make_definition(MINI_QUESTIONNAIRE, without, name="other"), mini)
    assert next(s for s in back.sections if s.kind == "red_flags").added == ["systemic_symptoms"]


def test_command_reads_both_and_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = write_definition(tmp_path / "old", MINI_QUESTIONNAIRE, MINI_RULES)
    new = write_definition(tmp_path / "new", MINI_QUESTIONNAIRE, MINI_RULES.replace("weight: 3", "weight: 5", 1))
    assert main(["diff", str(old[0]), str(new[1]), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    features = next(s for s in document["sections"] if s["kind"] == "features")
    assert features["changed"]["neck_origin"] == [{"field": "weight", "old": 3, "new": 5}]
    assert main(["diff", str(old[0]), str(tmp_path / "missing.yaml")]) == 2
