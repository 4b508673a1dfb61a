"""Load-time checks: every reference, option code, type, cycle and reachability, each reported at its line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.definitions import RULES_TAIL, line_of, write_definition

from screening.definition import Definition
from screening.errors import DefinitionError, Problem
from screening.loader import load_definition
from screening.response import parse_response
from screening.scorer import assess

QUESTIONNAIRE = """\
id: small
version: 1.0.0
title: Small
language: en-GB
sections:
  - id: s
    title: S
    items:
      - id: neck_pain
        kind: yes_no
        patient: Does it start in your neck?
        staff: Does it start in the neck?
      - id: side
        kind: single_choice
        patient: Which side?
        staff: Which side?
        enable_when: {yes: neck_pain}
        options:
          - {code: left, label: Left}
          - {code: right, label: Right}
      - id: severity
        kind: scale
        patient: How bad?
        staff: How bad?
        min_label: No pain
        max_label: Worst
"""

RULES = """\
id: small_rules
version: 1.0.0
title: Small rules
questionnaire: {id: small, version: 1.0.0}
red_flags:
  - id: worst_ever
    title: Worst ever
    condition: {ge: {item: severity, value: 10}}
    urgency: emergency
    patient_message: Call 999.
    staff_message: Call 999.
    source: Test source
features:
  - id: neck
    title: Neck
    condition: {yes: neck_pain}
    weight: 2
    criterion: C
    source: Test source
"""

Load = Callable[[str, str], list[Problem]]


@pytest.fixture
def problems(tmp_path: Path) -> Load:
    """Load a questionnaire and ruleset (the ruleset gets the shared tail); return the problems found."""

    def load(questionnaire: str, rules: str) -> list[Problem]:
        try:
            load_definition(*write_definition(tmp_path, questionnaire, rules + RULES_TAIL))
        except DefinitionError as exc:
            return exc.problems
        return []

    return load


def only(found: list[Problem]) -> Problem:
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def test_the_small_definition_is_valid(problems: Load) -> None:
    assert problems(QUESTIONNAIRE, RULES) == []


def test_unknown_item_is_reported_with_a_suggestion(problems: Load) -> None:
    rules = RULES.replace("condition: {yes: neck_pain}", "condition: {yes: neck_pian}")
    problem = only(problems(QUESTIONNAIRE, rules))
    assert problem.file.endswith("def.rules.yaml")
    assert problem.line == line_of(rules, "neck_pian") == 16
    assert problem.subject == "feature 'neck'"
    assert problem.message == "unknown item 'neck_pian'"
    assert problem.fix == "did you mean 'neck_pain'?"
    assert str(problem).endswith(
        "def.rules.yaml:16: [SCR205] feature 'neck': unknown item 'neck_pian' — did you mean 'neck_pain'?"
    )


def test_unknown_item_far_from_any_id_gets_a_generic_fix(problems: Load) -> None:
    rules = RULES.replace("condition: {yes: neck_pain}", "condition: {yes: qqq}")
    problem = only(problems(QUESTIONNAIRE, rules))
    assert problem.message == "unknown item 'qqq'"
    assert "did you mean" not in problem.fix


def test_option_code_not_offered(problems: Load) -> None:
    rules = RULES.replace(
        "condition: {yes: neck_pain}",
        "condition:\n      all:\n        - yes: neck_pain\n        - in: {item: side, values: [left, middle]}",
    )
    problem = only(problems(QUESTIONNAIRE, rules))
    assert problem.line == line_of(rules, "middle")
    assert problem.message == "option 'middle' is not one of left, right"
    assert problem.fix == "use one of the options of 'side'"


def test_equals_value_must_be_an_answer_of_the_yes_no_item(problems: Load) -> None:
    rules = RULES.replace("condition: {yes: neck_pain}", "condition: {equals: {item: neck_pain, value: not_sure}}")
    problem = only(problems(QUESTIONNAIRE, rules))
    assert problem.line == line_of(rules, "value: not_sure")
    assert problem.message == "option 'not_sure' is not one of yes, no"  # allow_not_sure is off


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            "{ge: {item: neck_pain, value: 1}}",
            "a number comparison needs an integer or scale item, but 'neck_pain' is yes_no",
        ),
        ("{yes: severity}", "'yes: severity' needs a yes/no item, but 'severity' is scale"),
        ("{in: {item: severity, values: [high]}}", "'in' needs a choice item, but 'severity' is scale"),
        ("{between: {item: severity, min: 5, max: 11}}", "11 is outside the range of 'severity' (0–10)"),
        ("{equals: {item: severity, value: high}}", "'high' is not a number, but 'severity' is scale"),
    ],
)
def test_comparison_must_fit_the_item_kind(problems: Load, condition: str, message: str) -> None:
    rules = RULES.replace("condition: {yes: neck_pain}", f"condition: {condition}")
    problem = only(problems(QUESTIONNAIRE, rules))
    assert problem.line == line_of(rules, condition) == 16
    assert problem.message == message


def test_enable_when_cycle(problems: Load) -> None:
    questionnaire = QUESTIONNAIRE.replace(
        "        kind: yes_no\n", "        kind: yes_no\n        enable_when: {equals: {item: side, value: left}}\n"
    )
    problem = only(problems(questionnaire, RULES))
    assert problem.file.endswith("def.yaml")
    assert problem.line == line_of(questionnaire, "enable_when: {equals: {item: side") == 11
    assert problem.subject == "item 'neck_pain'"
    assert problem.message == "enable_when forms a cycle: neck_pain → side → neck_pain"


def test_enable_when_on_itself_is_a_cycle(problems: Load) -> None:
    questionnaire = QUESTIONNAIRE.replace(
        "enable_when: {yes: neck_pain}", "enable_when: {equals: {item: side, value: left}}"
    )
    problem = only(problems(questionnaire, RULES))
    assert problem.line == line_of(questionnaire, "enable_when:")
    assert problem.message == "enable_when forms a cycle: side → side"


def test_enable_when_may_not_read_a_finding(problems: Load) -> None:
    questionnaire = QUESTIONNAIRE.replace("enable_when: {yes: neck_pain}", "enable_when: {finding: neck}")
    problem = only(problems(questionnaire, RULES))
    assert problem.line == line_of(questionnaire, "enable_when:")
    assert problem.message == "'finding: neck' cannot be used here"


def test_item_that_can_never_be_shown(problems: Load) -> None:
    questionnaire = QUESTIONNAIRE.replace(
        "enable_when: {yes: neck_pain}",
        "enable_when: {all: [{yes: neck_pain}, {equals: {item: neck_pain, value: no}}]}",
    )
    problem = only(problems(questionnaire, RULES))
    assert problem.line == line_of(questionnaire, "enable_when:") == 17
    assert problem.subject == "item 'side'"
    assert problem.message == "can never be shown: no set of answers makes its enable_when true"


def test_rule_that_can_never_fire(problems: Load) -> None:
    rules = RULES.replace(
        "condition: {yes: neck_pain}",
        "condition: {all: [{ge: {item: severity, value: 8}}, {le: {item: severity, value: 3}}]}",
    )
    problem = only(problems(QUESTIONNAIRE, rules))
    assert problem.line == line_of(rules, "condition: {all:") == 16
    assert problem.subject == "feature 'neck'"
    assert problem.message == "can never fire: no set of answers makes it true"


def test_rule_reading_a_question_that_is_never_shown_can_never_fire(problems: Load) -> None:
    questionnaire = QUESTIONNAIRE.replace(
        "enable_when: {yes: neck_pain}",
        "enable_when: {all: [{yes: neck_pain}, {equals: {item: neck_pain, value: no}}]}",
    )
    # The questionnaire problem is reported; reachability of the rules is not judged on a broken questionnaire.
    rules = RULES.replace("condition: {yes: neck_pain}", "condition: {equals: {item: side, value: left}}")
    found = problems(questionnaire, rules)
    assert [(Path(p.file).name, p.line, p.subject) for p in found] == [("def.yaml", 17, "item 'side'")]


def test_red_flag_that_is_always_true(problems: Load) -> None:
    rules = RULES.replace("{ge: {item: severity, value: 10}}", "{ge: {item: severity, value: 0}}")
    problem = only(problems(QUESTIONNAIRE, rules))
    assert problem.line == line_of(rules, "value: 0}}") == 8
    assert problem.subject == "red flag 'worst_ever'"
    assert problem.message == "is always true: every response would raise it"


def test_feature_that_is_always_true_is_allowed(problems: Load) -> None:
    rules = RULES.replace("condition: {yes: neck_pain}", "condition: {ge: {item: severity, value: 0}}")
    assert problems(QUESTIONNAIRE, rules) == []


def test_duplicate_item_id(problems: Load) -> None:
    questionnaire = QUESTIONNAIRE.replace("id: severity", "id: side")
    rules = RULES.replace("item: severity", "item: side")
    problem = only(problems(questionnaire, rules))
    assert problem.line == line_of(questionnaire, "kind: scale") - 1 == 21
    assert problem.subject == "item 'side'"
    assert problem.message.startswith("duplicate item id")


def test_duplicate_option_code_and_section_id(problems: Load) -> None:
    questionnaire = QUESTIONNAIRE.replace("{code: right, label: Right}", "{code: left, label: Right}") + (
        "  - id: s\n    title: Again\n    items:\n      - {id: other, kind: display, patient: Hi, staff: Hi}\n"
    )
    found = problems(questionnaire, RULES)
    assert [(p.line, p.message) for p in found] == [
        (20, "option 'left' is listed twice"),
        (27, "duplicate section id"),
    ]


def test_duplicate_rule_id_across_kinds(problems: Load) -> None:
    rules = RULES.replace("  - id: neck\n", "  - id: worst_ever\n")
    problem = only(problems(QUESTIONNAIRE, rules))
    assert problem.line == line_of(rules, "title: Neck") - 1 == 14
    assert problem.subject == "feature 'worst_ever'"
    first_line = min(n for n, text in enumerate(rules.splitlines(), start=1) if "id: worst_ever" in text)
    assert first_line < problem.line
    assert problem.message == f"duplicate rule id (first used at line {first_line})"


FINDINGS = """\
findings:
  - id: one_sided
    title: One-sided
    condition: {in: {item: side, values: [left, right]}}
red_flags:"""


def test_unknown_finding_with_suggestion(problems: Load) -> None:
    rules = RULES.replace("red_flags:", FINDINGS).replace(
        "condition: {yes: neck_pain}", "condition: {finding: one_sidd}"
    )
    problem = only(problems(QUESTIONNAIRE, rules))
    assert problem.line == line_of(rules, "one_sidd") == 20
    assert problem.message == "unknown finding 'one_sidd'"
    assert problem.fix == "did you mean 'one_sided'?"


def test_finding_cycle(problems: Load) -> None:
    rules = RULES.replace(
        "red_flags:",
        "findings:\n"
        "  - {id: f_a, title: A, condition: {any: [{yes: neck_pain}, {finding: f_b}]}}\n"
        "  - {id: f_b, title: B, condition: {finding: f_a}}\n"
        "red_flags:",
    )
    problem = only(problems(QUESTIONNAIRE, rules))
    assert problem.line == 6
    assert problem.subject == "finding 'f_a'"
    assert problem.message == "findings form a cycle: f_a → f_b → f_a"


def test_ruleset_written_for_another_questionnaire(problems: Load) -> None:
    rules = RULES.replace("questionnaire: {id: small,", "questionnaire: {id: migraine,")
    problem = only(problems(QUESTIONNAIRE, rules))
    assert problem.line == 4
    assert problem.message == "written for questionnaire 'migraine', not 'small'"


@pytest.mark.parametrize(("written_for", "ok"), [("1.0.0", True), ("2.0.0", False), ("1.1.0", False)])
def test_ruleset_for_another_questionnaire_version(problems: Load, written_for: str, ok: bool) -> None:
    rules = RULES.replace(
        "questionnaire: {id: small, version: 1.0.0}", f"questionnaire: {{id: small, version: {written_for}}}"
    )
    found = problems(QUESTIONNAIRE, rules)
    assert (found == []) is ok
    if not ok:
        assert only(found).line == 4
        assert only(found).message == f"written for version {written_for}, but the questionnaire is 1.0.0"


def test_all_problems_are_reported_at_once_sorted_by_file_and_line(problems: Load) -> None:
    questionnaire = QUESTIONNAIRE.replace("{code: right, label: Right}", "{code: left, label: Right}")
    rules = (
        RULES.replace("condition: {yes: neck_pain}", "condition: {yes: neck_pian}")
        .replace("{ge: {item: severity, value: 10}}", "{ge: {item: neck_pain, value: 10}}")
        .replace("version: 1.0.0}", "version: 1.0.0}\nfindings:\n  - {id: f, title: F, condition: {finding: g}}")
    )
    found = problems(questionnaire, rules)
    assert [(Path(p.file).name, p.line) for p in found] == [
        ("def.rules.yaml", 6),
        ("def.rules.yaml", 10),
        ("def.rules.yaml", 18),
        ("def.yaml", 20),
    ]
    assert found == sorted(found, key=Problem.sort_key)
    assert [p.message for p in found] == [
        "unknown finding 'g'",
        "a number comparison needs an integer or scale item, but 'neck_pain' is yes_no",
        "unknown item 'neck_pian'",
        "option 'left' is listed twice",
    ]


def test_a_rule_true_only_when_its_question_is_hidden_is_not_called_dead(tmp_path: Path) -> None:
    """The module promises reachability "never calls a satisfiable rule dead". This feature is true
    exactly when 'side' was not asked (neck_pain = no): each negated comparison on a hidden question is
    true. The equivalent ``not: {any: [...]}`` form loads; the ``all: [not, not]`` form must load too."""
    rules = RULES.replace(
        "condition: {yes: neck_pain}",
        "condition: {all: [{not: {equals: {item: side, value: left}}}, {not: {equals: {item: side, value: right}}}]}",
    )
    definition = load_definition(*write_definition(tmp_path, QUESTIONNAIRE, rules + RULES_TAIL))
    assert isinstance(definition, Definition)
    doc = {
        "questionnaire": "small",
        "version": "1.0.0",
        "collected_at": "2026-01-01T09:00:00Z",
        "answers": {"neck_pain": "no", "severity": 2},
    }
    features = assess(definition, parse_response(doc, definition)).features
    assert [(f.id, f.status) for f in features] == [("neck", "met")]


def test_equivalent_not_any_form_loads(tmp_path: Path) -> None:
    rules = RULES.replace(
        "condition: {yes: neck_pain}",
        "condition: {not: {any: [{equals: {item: side, value: left}}, {equals: {item: side, value: right}}]}}",
    )
    definition = load_definition(*write_definition(tmp_path, QUESTIONNAIRE, rules + RULES_TAIL))
    assert [f.id for f in definition.features] == ["neck"]
