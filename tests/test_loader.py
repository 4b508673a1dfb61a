"""Loading definition files: every problem at once, each with file and line, and what would fix it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from helpers.definitions import MINI_QUESTIONNAIRE, MINI_RULES, RULES_TAIL, bundled_files, line_of, write_definition

from screening.definition import Definition
from screening.errors import DefinitionError, Problem, ScreeningError
from screening.loader import (
    default_questionnaire_path,
    load_definition,
    load_questionnaire,
    questionnaire_path_for,
    ruleset_path_for,
)

QUESTIONNAIRE = """\
id: tiny
version: 1.0.0
title: Tiny
language: en-GB
sections:
  - id: s
    title: S
    items:
      - id: neck_pain
        kind: yes_no
        patient: Does it start in your neck?
        staff: Does it start in the neck?
      - id: age
        kind: integer
        min: 16
        max: 110
        unit: years
        patient: How old are you?
        staff: How old is the patient?
"""

RULES = """\
id: tiny_rules
version: 1.0.0
title: Tiny rules
questionnaire: {id: tiny, version: 1.0.0}
red_flags:
  - id: older
    title: Older
    condition: {ge: {item: age, value: 50}}
    urgency: routine_gp
    patient_message: See your GP.
    staff_message: Routine GP.
    source: Test source
features:
  - id: neck
    title: Neck
    condition: {yes: neck_pain}
    weight: 2
    criterion: C
    source: Test source
"""


def problems_for(tmp_path: Path, questionnaire: str, rules: str) -> list[Problem]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(*write_definition(tmp_path, questionnaire, rules))
    return caught.value.problems


def where(problems: list[Problem]) -> list[tuple[str, int | None]]:
    return [(Path(p.file).name, p.line) for p in problems]


def test_a_valid_pair_loads_with_hashes_and_file_names(tmp_path: Path) -> None:
    q_path, r_path = write_definition(tmp_path, QUESTIONNAIRE, RULES + RULES_TAIL)
    definition = load_definition(q_path)  # the ruleset is found beside the questionnaire
    assert isinstance(definition, Definition)
    assert definition.questionnaire.id == "tiny"
    assert definition.ruleset.id == "tiny_rules"
    assert definition.questionnaire_sha256 == hashlib.sha256(q_path.read_bytes()).hexdigest()
    assert definition.ruleset_sha256 == hashlib.sha256(r_path.read_bytes()).hexdigest()
    assert (definition.questionnaire_file, definition.ruleset_file) == (str(q_path), str(r_path))
    assert list(definition.items) == ["neck_pain", "age"]


def test_rules_file_naming() -> None:
    assert ruleset_path_for(Path("q/cervicogenic_headache.yaml")) == Path("q/cervicogenic_headache.rules.yaml")
    assert questionnaire_path_for(Path("q/cervicogenic_headache.rules.yaml")) == Path("q/cervicogenic_headache.yaml")


def test_default_is_the_bundled_questionnaire() -> None:
    assert default_questionnaire_path().name == "cervicogenic_headache.yaml"
    assert default_questionnaire_path().parent.name == "questionnaires"


def test_load_definition_without_arguments_loads_the_bundled_pair() -> None:
    q_path, r_path = bundled_files()
    if not (q_path.exists() and r_path.exists()):
        pytest.skip(f"bundled definition not written yet ({q_path.name}, {r_path.name})")
    definition = load_definition()
    assert definition.questionnaire.id == "cervicogenic_headache"
    assert definition.ruleset.questionnaire.id == "cervicogenic_headache"
    assert definition.questionnaire_file == str(q_path)


def test_yaml_syntax_error_has_the_line(tmp_path: Path) -> None:
    questionnaire = QUESTIONNAIRE.replace("title: Tiny", "title: [Tiny")
    problems = problems_for(tmp_path, questionnaire, RULES + RULES_TAIL)
    assert where(problems) == [("def.yaml", 4)]
    assert problems[0].message.startswith("not valid YAML: ")


def test_duplicate_key_is_rejected_with_its_line(tmp_path: Path) -> None:
    rules = RULES.replace("    weight: 2\n", "    weight: 2\n    weight: 3\n")
    problems = problems_for(tmp_path, QUESTIONNAIRE, rules + RULES_TAIL)
    assert where(problems) == [("def.rules.yaml", line_of(rules, "weight: 3"))]
    assert problems[0].message == "not valid YAML: key 'weight' appears twice in the same mapping"


def test_model_problems_carry_line_subject_and_fix(tmp_path: Path) -> None:
    questionnaire = (
        QUESTIONNAIRE.replace("        staff: Does it start in the neck?\n", "")
        .replace("kind: integer", "kind: number")
        .replace("version: 1.0.0", "version: '1.0'")
    )
    rules = RULES.replace("    weight: 2\n", "    weight: 2\n    colour: red\n").replace(
        "id: older", "id: Older-Patient"
    )
    problems = problems_for(tmp_path, questionnaire, rules + RULES_TAIL)
    assert [(Path(p.file).name, p.line, p.subject, p.message, p.fix) for p in problems] == [
        (
            "def.rules.yaml",
            line_of(rules, "Older-Patient"),
            "red flag 'Older-Patient'",
            "'Older-Patient' is not a valid id",
            "use snake_case: lower-case letters, digits and _",
        ),
        (
            "def.rules.yaml",
            line_of(rules, "colour"),
            "feature 'neck'",
            "unknown key 'colour'",
            "remove it or check its spelling",
        ),
        ("def.yaml", 2, "", "version '1.0' is not semantic (MAJOR.MINOR.PATCH)", "write it like 1.0.0"),
        ("def.yaml", line_of(questionnaire, "id: neck_pain"), "item 'neck_pain'", "'staff' is missing", "add 'staff'"),
        (
            "def.yaml",
            line_of(questionnaire, "id: age"),
            "item 'age'",
            "Input tag 'number' found using 'kind' does not match any of the expected tags: 'yes_no', "
            "'single_choice', 'multi_choice', 'integer', 'scale', 'text', 'display'",
            "use one of the listed kinds",
        ),
    ]


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "condition: {yes: neck_pain}",
            "condition: {yes: neck_pain, answered: age}",
            "answered: age",
            "a condition is a mapping with exactly one key: all, any, not, at_least, answered, yes, equals, in, ge, "
            "le, between or finding",
        ),
        (
            "condition: {yes: neck_pain}",
            "condition: {at_least: {n: 2, of: [{yes: neck_pain}]}}",
            "at_least",
            "n is 2 but only 1 conditions are listed; lower n",
        ),
        (
            "condition: {yes: neck_pain}",
            "condition: {between: {item: age, min: 60, max: 50}}",
            "between",
            "min 60 is above max 50; swap them",
        ),
        ("    weight: 2\n", "    weight: 11\n", "weight: 11", "input should be less than or equal to 10"),
        ("title: Neck\n", "title: 12\n", "title: 12", "'title' must be text, not 12"),
        (
            "urgency: routine_gp",
            "urgency: soon",
            "urgency: soon",
            "input should be 'emergency', 'urgent_gp' or 'routine_gp'",
        ),
    ],
)
def test_rule_model_problems(tmp_path: Path, old: str, new: str, needle: str, message: str) -> None:
    rules = RULES.replace(old, new)
    assert rules != RULES
    problems = problems_for(tmp_path, QUESTIONNAIRE, rules + RULES_TAIL)
    assert [(p.line, p.message) for p in problems] == [(line_of(rules, needle), message)]


def test_integer_item_range_must_be_ordered(tmp_path: Path) -> None:
    questionnaire = QUESTIONNAIRE.replace("max: 110", "max: 16")
    problems = problems_for(tmp_path, questionnaire, RULES + RULES_TAIL)
    assert [(p.line, p.subject, p.message) for p in problems] == [
        (line_of(questionnaire, "id: age"), "item 'age'", "min 16 must be below max 16")
    ]


def test_unsure_red_flag_may_not_lead_below_a_gp(tmp_path: Path) -> None:
    tail = RULES_TAIL.replace(
        "urgent_gp: routine_gp, routine_gp: routine_gp", "urgent_gp: routine_gp, routine_gp: physio_assessment"
    )
    rules = RULES + tail
    problems = problems_for(tmp_path, QUESTIONNAIRE, rules)
    assert [(p.line, p.message) for p in problems] == [
        (
            line_of(rules, "disposition:"),  # a check across the whole policy points at its start
            "an unanswered or 'not sure' red flag must lead to a GP at least (check routine_gp)",
        )
    ]


def test_disposition_policy_must_be_complete(tmp_path: Path) -> None:
    emergency = "    emergency: {title: E, patient: E., staff: E., action: A, time_frame: T}\n"
    rules = RULES + RULES_TAIL.replace(emergency, "")
    problems = problems_for(tmp_path, QUESTIONNAIRE, rules)
    assert [(p.line, p.message) for p in problems] == [
        (line_of(rules, "disposition:"), "missing entries for: emergency")
    ]


def test_grading_thresholds_must_be_ordered(tmp_path: Path) -> None:
    rules = RULES + RULES_TAIL.replace("possible_at: 2", "possible_at: 5")
    problems = problems_for(tmp_path, QUESTIONNAIRE, rules)
    assert [(p.line, p.message) for p in problems] == [
        (line_of(rules, "grading:"), "possible_at 5 is above likely_at 4")
    ]


def test_ruleset_needs_a_red_flag_and_a_feature(tmp_path: Path) -> None:
    rules = "id: r\nversion: 1.0.0\ntitle: R\nquestionnaire: {id: tiny, version: 1.0.0}\nred_flags: []\n" + RULES_TAIL
    problems = problems_for(tmp_path, QUESTIONNAIRE, rules)
    assert [(p.line, p.message) for p in problems] == [
        (1, "'features' is missing"),
        (5, "list should have at least 1 item after validation, not 0"),
    ]


def test_problems_in_both_files_are_reported_together(tmp_path: Path) -> None:
    questionnaire = QUESTIONNAIRE.replace("language: en-GB", "language: fr-FR")
    rules = RULES.replace("    weight: 2\n", "    weight: 0\n")
    problems = problems_for(tmp_path, questionnaire, rules + RULES_TAIL)
    assert [(Path(p.file).name, p.line, p.message) for p in problems] == [
        ("def.rules.yaml", line_of(rules, "weight: 0"), "input should be greater than or equal to 1"),
        ("def.yaml", 4, "input should be 'en-GB'"),
    ]


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, "- just\n- a list\n", RULES + RULES_TAIL)
    assert [(Path(p.file).name, p.line, p.message) for p in problems] == [
        ("def.yaml", 1, "a questionnaire file must be a mapping of keys at the top level")
    ]


def test_a_missing_ruleset_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    q_path, r_path = write_definition(tmp_path, QUESTIONNAIRE, RULES + RULES_TAIL)
    r_path.unlink()
    with pytest.raises(DefinitionError) as caught:
        load_definition(q_path)
    assert [(p.file, p.line, p.message) for p in caught.value.problems] == [
        (str(r_path), None, "cannot read the file (No such file or directory)")
    ]


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    q_path, r_path = write_definition(tmp_path, QUESTIONNAIRE, RULES + RULES_TAIL)
    q_path.write_bytes(QUESTIONNAIRE.replace("Tiny", "Tin\xff").encode("latin-1"))
    with pytest.raises(DefinitionError) as caught:
        load_definition(q_path, r_path)
    assert [p.message for p in caught.value.problems] == ["the file is not UTF-8 text"]


def test_definition_error_formats_every_problem_and_exits_2(tmp_path: Path) -> None:
    rules = RULES.replace("condition: {yes: neck_pain}", "condition: {yes: neck_pian}").replace(
        "{ge: {item: age, value: 50}}", "{ge: {item: aeg, value: 50}}"
    )
    with pytest.raises(DefinitionError) as caught:
        load_definition(*write_definition(tmp_path, QUESTIONNAIRE, rules + RULES_TAIL))
    error = caught.value
    assert isinstance(error, ScreeningError)
    assert error.exit_code == 2
    r_path = tmp_path / "def.rules.yaml"
    assert error.format_message() == (
        "2 problems in the definition:\n"
        f"  {r_path}:8: [SCR205] red flag 'older': unknown item 'aeg' — did you mean 'age'?\n"
        f"  {r_path}:16: [SCR205] feature 'neck': unknown item 'neck_pian' — did you mean 'neck_pain'?"
    )


def test_one_problem_is_worded_in_the_singular(tmp_path: Path) -> None:
    rules = RULES.replace("condition: {yes: neck_pain}", "condition: {yes: neck_pian}")
    with pytest.raises(DefinitionError) as caught:
        load_definition(*write_definition(tmp_path, QUESTIONNAIRE, rules + RULES_TAIL))
    assert caught.value.format_message().startswith("1 problem in the definition:\n  ")


def test_load_questionnaire_alone(tmp_path: Path) -> None:
    q_path, _ = write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES)
    assert [i.id for i in load_questionnaire(q_path).items()][:3] == ["intro", "neck_pain", "neck_side"]
    broken = MINI_QUESTIONNAIRE.replace("enable_when: {yes: neck_pain}", "enable_when: {yes: neck_pian}", 1)
    q_path.write_text(broken, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_questionnaire(q_path)
    assert [(p.line, p.message, p.fix) for p in caught.value.problems] == [
        (line_of(broken, "neck_pian"), "unknown item 'neck_pian'", "did you mean 'neck_pain'?")
    ]


def test_an_empty_file_is_reported_on_line_one(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_questionnaire(path)
    assert [(p.line, p.message) for p in caught.value.problems] == [(1, "the questionnaire file is empty")]


def test_a_section_may_carry_a_staff_intro_and_a_display_item_a_staff_note(tmp_path: Path) -> None:
    questionnaire = QUESTIONNAIRE.replace(
        "    title: S\n", "    title: S\n    staff_intro: Now some questions about your neck.\n"
    ).replace(
        "    items:\n",
        "    items:\n      - id: notice\n        kind: display\n        patient: Read this.\n"
        "        staff: Please listen to this.\n        staff_help: Stop if the caller is unwell.\n",
        1,
    )
    definition = load_definition(*write_definition(tmp_path, questionnaire, RULES + RULES_TAIL))
    (section,) = definition.questionnaire.sections
    assert section.staff_intro == "Now some questions about your neck."
    assert definition.items["notice"].staff_help == "Stop if the caller is unwell."
    # optional: a section without one still loads
    plain = load_definition(*write_definition(tmp_path / "plain", QUESTIONNAIRE, RULES + RULES_TAIL))
    assert plain.questionnaire.sections[0].staff_intro is None


@pytest.mark.parametrize(
    ("staff_intro", "message", "fix"),
    [
        ("12", "'staff_intro' must be text, not 12", "put the value in quotes"),
        ("''", "string should have at least 1 character", ""),
        ("[a, b]", "'staff_intro' must be text, not ['a', 'b']", "put the value in quotes"),
        ("'" + "x" * 2001 + "'", "string should have at most 2000 characters", ""),
    ],
)
def test_a_staff_intro_is_checked_like_other_text(tmp_path: Path, staff_intro: str, message: str, fix: str) -> None:
    questionnaire = QUESTIONNAIRE.replace("    title: S\n", f"    title: S\n    staff_intro: {staff_intro}\n")
    problems = problems_for(tmp_path, questionnaire, RULES + RULES_TAIL)
    assert [(p.line, p.subject, p.message, p.fix) for p in problems] == [
        (line_of(questionnaire, "staff_intro"), "section 's'", message, fix)
    ]


def test_a_misspelt_staff_intro_is_an_unknown_key(tmp_path: Path) -> None:
    questionnaire = QUESTIONNAIRE.replace("    title: S\n", "    title: S\n    staff_introduction: Hello.\n")
    problems = problems_for(tmp_path, questionnaire, RULES + RULES_TAIL)
    assert [(p.line, p.message) for p in problems] == [
        (line_of(questionnaire, "staff_introduction"), "unknown key 'staff_introduction'")
    ]
