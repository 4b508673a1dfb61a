"""FHIR R4 exchange: the Questionnaire export, its enableWhen mapping, and QuestionnaireResponses out and back."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.definitions import RULES_TAIL, write_definition
from helpers.strategies import Draw, HypothesisChooser, responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from screening.assessment import assessment_json
from screening.conditions import items_read
from screening.definition import Definition
from screening.errors import ResponseError
from screening.fhir import (
    ENABLE_WHEN_CONDITION,
    ENABLE_WHEN_EXPRESSION,
    ITEM_CONTROL,
    MAX_VALUE,
    MIN_VALUE,
    STAFF_HELP,
    STAFF_INTRO,
    STAFF_WORDING,
    UNIT,
    YES_NO_SYSTEM,
    check_questionnaire,
    fhirpath,
    is_questionnaire_response,
    option_system,
    questionnaire_resource,
    response_from_resource,
    response_resource,
)
from screening.loader import load_definition
from screening.model import (
    Condition,
    DisplayItem,
    IntegerItem,
    MultiChoiceItem,
    ScaleItem,
    SingleChoiceItem,
    TextItem,
    YesNoItem,
)
from screening.response import Patient, Response, parse_response
from screening.sampling import sample_answer
from screening.scorer import assess

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_PROPERTY = settings(PROPERTY, max_examples=25)  # fhirpathpy takes ~10 ms per expression on a long response
CONDITION = TypeAdapter(Condition)

# Every way an enable_when can be written, each on its own yes/no question. The comment says what the brief
# for the mapping asks for: enableWhen (with how many entries and which behaviour) or an expression.
GATES_QUESTIONNAIRE = """\
id: gates
version: 2.1.0
title: Gates
language: en-GB
sections:
  - id: first
    title: First
    intro: Answer what you can.
    items:
      - {id: a, kind: yes_no, allow_not_sure: true, patient: A?, staff: A (staff)?, help: Help A., staff_help: Staff A.}
      - {id: b, kind: yes_no, patient: B?, staff: B (staff)?, enable_when: {yes: a}}
      - id: c
        kind: single_choice
        patient: C?
        staff: C (staff)?
        options: [{code: x, label: X}, {code: y, label: Y}, {code: not_sure, label: Not sure}]
      - id: m
        kind: multi_choice
        patient: M?
        staff: M (staff)?
        options:
          - {code: p, label: P}
          - {code: q, label: Q}
          - {code: not_sure, label: Not sure}
          - {code: none, label: None, exclusive: true}
      - {id: n, kind: integer, min: 0, max: 20, unit: things, patient: N?, staff: N (staff)?}
      - {id: s, kind: scale, min_label: None, max_label: Worst, patient: S?, staff: S (staff)?}
      - {id: t, kind: text, max_length: 20, patient: T?, staff: T (staff)?}
  - id: second
    title: Second
    items:
      - {id: g_yes, kind: yes_no, allow_not_sure: true, patient: Q?, staff: Q?, enable_when: {yes: a}}
      - {id: g_eq_ns, kind: yes_no, patient: Q?, staff: Q?, enable_when: {equals: {item: a, value: not_sure}}}
      - {id: g_in_ns, kind: yes_no, patient: Q?, staff: Q?, enable_when: {in: {item: a, values: [yes, not_sure]}}}
      - {id: g_in_c_ns, kind: yes_no, patient: Q?, staff: Q?, enable_when: {in: {item: c, values: [x, not_sure]}}}
      - {id: g_in_c, kind: yes_no, patient: Q?, staff: Q?, enable_when: {in: {item: c, values: [x, y]}}}
      - {id: g_eq_c_ns, kind: yes_no, patient: Q?, staff: Q?, enable_when: {equals: {item: c, value: not_sure}}}
      - {id: g_m_eq, kind: yes_no, patient: Q?, staff: Q?, enable_when: {equals: {item: m, value: p}}}
      - {id: g_m_eq_ns, kind: yes_no, patient: Q?, staff: Q?, enable_when: {equals: {item: m, value: not_sure}}}
      - {id: g_m_in, kind: yes_no, patient: Q?, staff: Q?, enable_when: {in: {item: m, values: [p, not_sure]}}}
      - {id: g_ge, kind: yes_no, patient: Q?, staff: Q?, enable_when: {ge: {item: n, value: 5}}}
      - {id: g_le, kind: yes_no, patient: Q?, staff: Q?, enable_when: {le: {item: s, value: 3}}}
      - {id: g_eq_int, kind: yes_no, patient: Q?, staff: Q?, enable_when: {equals: {item: n, value: 7}}}
      - {id: g_between, kind: yes_no, patient: Q?, staff: Q?, enable_when: {between: {item: n, min: 3, max: 8}}}
      - {id: g_answered, kind: yes_no, patient: Q?, staff: Q?, enable_when: {answered: t}}
      - {id: g_answered_b, kind: yes_no, patient: Q?, staff: Q?, enable_when: {answered: b}}
      - id: g_any
        kind: yes_no
        patient: Q?
        staff: Q?
        enable_when: {any: [{yes: b}, {in: {item: c, values: [x, y]}}, {ge: {item: s, value: 8}}]}
      - id: g_all
        kind: yes_no
        patient: Q?
        staff: Q?
        enable_when: {all: [{yes: a}, {in: {item: c, values: [y]}}, {le: {item: n, value: 10}}]}
      - id: g_all_in
        kind: yes_no
        patient: Q?
        staff: Q?
        enable_when: {all: [{yes: a}, {in: {item: c, values: [x, y]}}]}
      - {id: g_not, kind: yes_no, allow_not_sure: true, patient: Q?, staff: Q?, enable_when: {not: {yes: b}}}
      - id: g_at_least
        kind: yes_no
        patient: Q?
        staff: Q?
        enable_when: {at_least: {n: 2, of: [{yes: a}, {yes: b}, {ge: {item: s, value: 5}}]}}
      - id: g_nested
        kind: yes_no
        patient: Q?
        staff: Q?
        enable_when: {any: [{all: [{yes: a}, {yes: b}]}, {not: {in: {item: m, values: [p]}}}]}
      - {id: g_chain, kind: yes_no, patient: Q?, staff: Q?, enable_when: {not: {equals: {item: g_not, value: no}}}}
      - {id: g_display, kind: display, patient: Shown after yes., staff: Shown after yes., enable_when: {yes: a}}
"""

GATES_RULES = (
    """\
id: gates_rules
version: 1.0.0
title: Gates rules
questionnaire: {id: gates, version: 2.1.0}
red_flags:
  - {id: f, title: F, condition: {yes: a}, urgency: emergency, patient_message: M, staff_message: M, source: S}
features:
  - {id: g, title: G, condition: {yes: b}, weight: 1, criterion: C, source: S}
"""
    + RULES_TAIL
)

# (item, expected enableWhen count, expected enableBehavior) for gates mapped to enableWhen; None: expression
EXPECTED_MAPPING: dict[str, tuple[int, str | None] | None] = {
    "b": (1, None),
    "g_yes": (1, None),
    "g_eq_ns": (1, None),
    "g_in_ns": None,  # ours: "not sure" never makes `in` true; FHIR's `=` would
    "g_in_c_ns": None,
    "g_in_c": (2, "any"),
    "g_eq_c_ns": (1, None),
    "g_m_eq": (1, None),
    "g_m_eq_ns": (1, None),  # on a multiple choice, "equals not_sure" asks whether that option was ticked
    "g_m_in": (2, "any"),  # a ticked option coded not_sure is an ordinary tick
    "g_ge": (1, None),
    "g_le": (1, None),
    "g_eq_int": (1, None),
    "g_between": None,
    "g_answered": (1, None),
    "g_answered_b": (1, None),
    "g_any": (4, "any"),
    "g_all": (3, "all"),
    "g_all_in": None,  # (x or y) inside all
    "g_not": None,
    "g_at_least": None,
    "g_nested": None,
    "g_chain": None,
    "g_display": (1, None),
}


@pytest.fixture(scope="module")
def gates(tmp_path_factory: pytest.TempPathFactory) -> Definition:
    return load_definition(*write_definition(tmp_path_factory.mktemp("gates"), GATES_QUESTIONNAIRE, GATES_RULES))


@pytest.fixture(scope="module", params=["gates", "mini", "bundled"])
def any_definition(request: pytest.FixtureRequest) -> Definition:
    definition: Definition = request.getfixturevalue(request.param)
    return definition


# ---------------------------------------------------------------------------------------------
# Helpers that read the exported resources


def flat_items(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for node in nodes:
        out.append(node)
        out += flat_items(node.get("item", []))
        for answer in node.get("answer", []):
            out += flat_items(answer.get("item", []))
    return out


def by_link(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["linkId"]: node for node in flat_items(resource.get("item", []))}


def extension(node: dict[str, Any], url: str) -> dict[str, Any] | None:
    found = [e for e in node.get("extension", []) if e["url"] == url]
    assert len(found) <= 1
    return found[0] if found else None


def controls(node: dict[str, Any]) -> list[str]:
    return [
        c["code"]
        for e in node.get("extension", [])
        if e["url"] == ITEM_CONTROL
        for c in e["valueCodeableConcept"]["coding"]
    ]


def answer_codes(node: dict[str, Any]) -> list[str]:
    return [o["valueCoding"]["code"] for o in node["answerOption"]]


@st.composite
def any_answers(draw: Draw, definition: Definition) -> dict[str, Any]:
    """Answers to any subset of the questions, shown or not; blank text left out (FHIR cannot carry it)."""
    chooser = HypothesisChooser(draw)
    answers: dict[str, Any] = {}
    for item_id, item in definition.items.items():
        if definition.is_answerable(item_id) and draw(st.booleans()):
            answer = sample_answer(item, chooser)
            if not (isinstance(answer, str) and isinstance(item, TextItem) and not answer.strip()):
                answers[item_id] = answer
    return answers


def shown_only(definition: Definition, answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    _, shown = definition.effective_values(answers)
    return {i: v for i, v in answers.items() if shown[i] is True}, shown


# ---------------------------------------------------------------------------------------------
# Questionnaire


def test_the_questionnaire_validates_and_passes_our_checks(definition: Definition) -> None:
    from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire

    resource = questionnaire_resource(definition)
    FhirQuestionnaire.model_validate(json.loads(json.dumps(resource)))
    assert check_questionnaire(resource) == []
    q = definition.questionnaire
    assert resource["url"].endswith(f"/Questionnaire/{q.id}")
    assert resource["version"] == q.version
    assert resource["status"] == "active"
    assert resource["title"] == q.title


def test_sections_are_groups_holding_their_items_once(any_definition: Definition) -> None:
    resource = questionnaire_resource(any_definition)
    sections = any_definition.questionnaire.sections
    assert [g["linkId"] for g in resource["item"]] == [s.id for s in sections]
    for group, section in zip(resource["item"], sections, strict=True):
        assert group["type"] == "group"
        assert group["text"] == section.title
        ours = [node["linkId"] for node in group["item"] if not node["linkId"].endswith("__intro")]
        assert ours == [item.id for item in section.items]
        assert any(node["linkId"] == f"{section.id}__intro" for node in group["item"]) == bool(section.intro)
        # what reception reads aloud at the start of the section travels on the group, as staff wording does
        staff_intro = extension(group, STAFF_INTRO)
        assert (staff_intro or {}).get("valueString") == section.staff_intro
    links = [node["linkId"] for node in flat_items(resource["item"])]
    for item_id in any_definition.items:
        assert links.count(item_id) == 1


def test_the_bundled_export_carries_the_read_aloud_script(bundled: Definition) -> None:
    resource = questionnaire_resource(bundled)
    intros = [extension(group, STAFF_INTRO) for group in resource["item"]]
    assert len(intros) == len(bundled.questionnaire.sections) and all(intros)
    assert [i["valueString"] for i in intros if i] == [s.staff_intro for s in bundled.questionnaire.sections]
    notes = {link: extension(node, STAFF_HELP) for link, node in by_link(resource).items()}
    worst = bundled.items["worst_ever_headache"].staff_help
    assert worst and notes["worst_ever_headache"] == {"url": STAFF_HELP, "valueString": worst}
    assert notes["call_999_now_notice"] is not None  # a display item's note for staff travels too
    assert notes["neck_pain_present"] is None


def test_each_kind_of_item_is_mapped(any_definition: Definition) -> None:
    nodes = by_link(questionnaire_resource(any_definition))
    qid = any_definition.questionnaire.id
    for item_id, item in any_definition.items.items():
        node = nodes[item_id]
        assert node["text"] == item.patient
        assert extension(node, STAFF_WORDING) == {"url": STAFF_WORDING, "valueString": item.staff}
        assert (extension(node, STAFF_HELP) or {}).get("valueString") == item.staff_help
        if isinstance(item, DisplayItem):
            assert node["type"] == "display"
            assert "required" not in node
            continue
        assert node["required"] is item.required
        help_node = nodes.get(f"{item_id}__help")
        # a scale always has help: its two ends, for renderers that ignore the lower/upper label controls
        ends = f"{item.min_label}; {item.max_label}." if isinstance(item, ScaleItem) else None
        assert (help_node is not None) == (item.help is not None or ends is not None)
        if help_node is not None:
            want = " ".join(t for t in (item.help, ends) if t)
            assert help_node["type"] == "display" and help_node["text"] == want
            assert controls(help_node) == ["help"]
            assert node["item"][-1] == help_node  # last: LHC-Forms shows the last help-like child
            assert extension(help_node, STAFF_WORDING) is None  # the staff note is on the item itself
        if isinstance(item, YesNoItem):
            assert node["type"] == "choice" and "repeats" not in node
            assert answer_codes(node) == (["yes", "no", "not_sure"] if item.allow_not_sure else ["yes", "no"])
            assert {o["valueCoding"]["system"] for o in node["answerOption"]} == {YES_NO_SYSTEM}
        elif isinstance(item, SingleChoiceItem | MultiChoiceItem):
            assert node["type"] == "choice"
            assert node.get("repeats", False) is isinstance(item, MultiChoiceItem)
            assert [(o["valueCoding"]["code"], o["valueCoding"]["display"]) for o in node["answerOption"]] == [
                (o.code, o.label) for o in item.options
            ]
            assert {o["valueCoding"]["system"] for o in node["answerOption"]} == {option_system(qid, item_id)}
            exclusive = [o["valueCoding"]["code"] for o in node["answerOption"] if "extension" in o]
            assert exclusive == [o.code for o in item.options if o.exclusive]
        elif isinstance(item, IntegerItem | ScaleItem):
            assert node["type"] == "integer"
            assert extension(node, MIN_VALUE) == {"url": MIN_VALUE, "valueInteger": item.min}
            assert extension(node, MAX_VALUE) == {"url": MAX_VALUE, "valueInteger": item.max}
            if isinstance(item, IntegerItem):
                assert extension(node, UNIT) == {"url": UNIT, "valueCoding": {"display": item.unit}}
            else:
                assert controls(node) == ["slider"]
                assert nodes[f"{item_id}__lower"]["text"] == item.min_label
                assert nodes[f"{item_id}__upper"]["text"] == item.max_label
        else:
            assert isinstance(item, TextItem)
            assert node["type"] == "text" and node["maxLength"] == item.max_length


def test_base_url_sets_the_canonical(mini: Definition) -> None:
    resource = questionnaire_resource(mini, base_url="https://clinic.example.invalid/fhir/Questionnaire/")
    assert resource["url"] == "https://clinic.example.invalid/fhir/Questionnaire/mini"
    assert resource["id"] == "mini"


def test_fhir_resources_is_not_imported_with_screening() -> None:
    code = "import sys, screening.fhir; print(any(m.startswith('fhir') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# enable_when → enableWhen or expression


def test_gates_map_as_the_brief_says(gates: Definition) -> None:
    nodes = by_link(questionnaire_resource(gates))
    gated = [i for i, item in gates.items.items() if item.enable_when is not None]
    assert sorted(gated) == sorted(EXPECTED_MAPPING)
    for item_id, expected in EXPECTED_MAPPING.items():
        node = nodes[item_id]
        expression = extension(node, ENABLE_WHEN_EXPRESSION)
        if expected is None:
            assert "enableWhen" not in node and expression is not None, item_id
            assert expression["valueExpression"]["language"] == "text/fhirpath"
        else:
            assert expression is None, item_id
            assert (len(node["enableWhen"]), node.get("enableBehavior")) == expected, item_id


def test_every_gate_keeps_its_condition(any_definition: Definition) -> None:
    nodes = by_link(questionnaire_resource(any_definition))
    for item_id, item in any_definition.items.items():
        kept = extension(nodes[item_id], ENABLE_WHEN_CONDITION)
        if item.enable_when is None:
            assert kept is None and "enableWhen" not in nodes[item_id]
        else:
            assert kept is not None
            assert CONDITION.validate_json(kept["valueString"]) == item.enable_when


def fhir_enable_when(node: dict[str, Any], qr_answers: dict[str, list[dict[str, Any]]]) -> bool:
    """FHIR R4's enableWhen rules, written out: a question without answers makes every operator but exists false."""

    def holds(when: dict[str, Any]) -> bool:
        answers = qr_answers.get(when["question"], [])
        if when["operator"] == "exists":
            return bool(answers) == bool(when["answerBoolean"])
        for answer in answers:
            if "answerCoding" in when:
                coding, wanted = answer.get("valueCoding", {}), when["answerCoding"]
                if (coding.get("system"), coding.get("code")) == (wanted["system"], wanted["code"]):
                    return True
            elif "valueInteger" in answer:
                value, bound = answer["valueInteger"], when["answerInteger"]
                if {"=": value == bound, ">=": value >= bound, "<=": value <= bound}[when["operator"]]:
                    return True
        return False

    results = [holds(w) for w in node["enableWhen"]]
    return any(results) if node.get("enableBehavior") == "any" else all(results)


def fhir_answers(definition: Definition, nodes: dict[str, dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as a FHIR form filler records them: the chosen answerOption codings, integers, strings."""
    out: dict[str, list[dict[str, Any]]] = {}
    for item_id, value in answers.items():
        item = definition.items[item_id]
        if isinstance(item, YesNoItem | SingleChoiceItem | MultiChoiceItem):
            options = {o["valueCoding"]["code"]: o["valueCoding"] for o in nodes[item_id]["answerOption"]}
            out[item_id] = [{"valueCoding": options[code]} for code in (value if isinstance(value, list) else [value])]
        elif isinstance(item, IntegerItem | ScaleItem):
            out[item_id] = [{"valueInteger": value}]
        else:
            out[item_id] = [{"valueString": value}]
    return out


@PROPERTY
@given(data=st.data())
def test_enable_when_shows_exactly_what_we_show(any_definition: Definition, data: st.DataObject) -> None:
    """For any answers, each enableWhen, read over the answers of the questions we show, is true exactly
    when we show its question. (By induction over the questions, a FHIR renderer then shows what we show.)"""
    definition = any_definition
    nodes = by_link(questionnaire_resource(definition))
    answers, shown = shown_only(definition, data.draw(any_answers(definition)))
    qr_answers = fhir_answers(definition, nodes, answers)
    for item_id in definition.items:
        if "enableWhen" in nodes[item_id]:
            assert fhir_enable_when(nodes[item_id], qr_answers) is (shown[item_id] is True), item_id


@pytest.fixture(scope="module")
def compile_fhirpath() -> Callable[[str], Callable[[Any, Any], list[Any]]]:
    fhirpathpy = pytest.importorskip("fhirpathpy")
    from fhirpathpy.models import models

    cache: dict[str, Callable[[Any, Any], list[Any]]] = {}

    def compiled(expression: str) -> Callable[[Any, Any], list[Any]]:
        if expression not in cache:
            cache[expression] = fhirpathpy.compile(expression, models["r4"])
        return cache[expression]

    return compiled


@SLOW_PROPERTY
@given(data=st.data())
def test_expressions_agree_with_our_engine(
    any_definition: Definition, compile_fhirpath: Callable[[str], Any], data: st.DataObject
) -> None:
    """Each expression, evaluated (by fhirpathpy) on the QuestionnaireResponse, is true exactly when we show
    the question; the exact form is also false and empty exactly when ours is false and unknown."""
    definition = any_definition
    nodes = by_link(questionnaire_resource(definition))
    answers, shown = shown_only(definition, data.draw(any_answers(definition)))
    q = definition.questionnaire
    response = Response(questionnaire=q.id, version=q.version, collected_at="2026-01-01T09:00:00Z", answers=answers)
    qr = json.loads(json.dumps(response_resource(definition, response)))
    env = {"resource": qr}
    for item_id, item in definition.items.items():
        if item.enable_when is None:
            continue
        expression = extension(nodes[item_id], ENABLE_WHEN_EXPRESSION)
        if expression is not None:
            result = compile_fhirpath(expression["valueExpression"]["expression"])(qr, env)
            assert (result == [True]) is (shown[item_id] is True), item_id
        exact = compile_fhirpath(fhirpath(item.enable_when, definition, exact=True))(qr, env)
        assert exact == {True: [True], False: [False], None: []}[shown[item_id]], item_id


def test_bundled_gates(bundled: Definition) -> None:
    """Documents the bundled split: which gates FHIR's enableWhen can say, and which need an expression."""
    nodes = by_link(questionnaire_resource(bundled))
    gated = [i for i, item in bundled.items.items() if item.enable_when is not None]
    expressions = [i for i in gated if extension(nodes[i], ENABLE_WHEN_EXPRESSION) is not None]
    assert expressions == ["attacks_per_day"]  # all of two multi-value `in`s
    assert all("enableWhen" in nodes[i] for i in gated if i not in expressions)
    for i in gated:
        condition = bundled.items[i].enable_when
        assert condition is not None
        assert {when["question"] for when in nodes[i].get("enableWhen", [])} <= set(items_read(condition))


# ---------------------------------------------------------------------------------------------
# check_questionnaire on hand-broken resources


def broken(mini: Definition, change: Callable[[dict[str, dict[str, Any]], dict[str, Any]], None]) -> list[str]:
    resource = copy.deepcopy(questionnaire_resource(mini))
    change(by_link(resource), resource)
    return check_questionnaire(resource)


BREAKAGES: list[tuple[str, Callable[[dict[str, dict[str, Any]], dict[str, Any]], None], str]] = [
    ("duplicate", lambda n, r: n["age"].update(linkId="severity"), "linkId 'severity' is used more than once"),
    (
        "missing target",
        lambda n, r: n["neck_side"]["enableWhen"][0].update(question="nek_pain"),
        "item 'neck_side': enableWhen refers to 'nek_pain', which is not in the questionnaire",
    ),
    (
        "later target",
        lambda n, r: n["neck_side"]["enableWhen"][0].update(question="neck_movement"),
        "item 'neck_side': enableWhen refers to 'neck_movement', which comes after it",
    ),
    (
        "self target",
        lambda n, r: n["neck_side"]["enableWhen"][0].update(question="neck_side"),
        "item 'neck_side': enableWhen refers to itself",
    ),
    (
        "display target",
        lambda n, r: n["neck_side"]["enableWhen"][0].update(question="intro"),
        "item 'neck_side': enableWhen refers to 'intro', which takes no answer",
    ),
    (
        "unknown code",
        lambda n, r: n["neck_side"]["enableWhen"][0]["answerCoding"].update(code="maybe"),
        "item 'neck_side': enableWhen on 'neck_pain': code 'maybe' is not among the question's answerOption codes",
    ),
    (
        "wrong answer type",
        lambda n, r: n["neck_side"].update(enableWhen=[{"question": "neck_pain", "operator": "=", "answerInteger": 1}]),
        "item 'neck_side': enableWhen on 'neck_pain': answerInteger does not fit a choice question",
    ),
    (
        "exists without boolean",
        lambda n, r: n["neck_side"].update(
            enableWhen=[{"question": "neck_pain", "operator": "exists", "answerInteger": 1}]
        ),
        "item 'neck_side': enableWhen on 'neck_pain': 'exists' needs answerBoolean",
    ),
    (
        "both kinds of gate",
        lambda n, r: n["neck_side"].setdefault("extension", []).append({"url": ENABLE_WHEN_EXPRESSION}),
        "item 'neck_side': has both enableWhen and an enableWhenExpression",
    ),
    (
        "duplicate option",
        lambda n, r: n["neck_side"]["answerOption"].append(n["neck_side"]["answerOption"][0]),
        "item 'neck_side': an answerOption code is listed twice",
    ),
    (
        "display with items",
        lambda n, r: n["intro"].update(item=[{"linkId": "intro__help", "type": "display", "text": "x"}]),
        "item 'intro': display items cannot contain items",
    ),
    ("display required", lambda n, r: n["intro"].update(required=False), "item 'intro': display items take no answer"),
    ("maxLength", lambda n, r: n["age"].update(maxLength=3), "item 'age': maxLength only applies to text"),
    (
        "behaviour",
        lambda n, r: n["neck_side"]["enableWhen"].append(dict(n["neck_side"]["enableWhen"][0])),
        "item 'neck_side': several enableWhen entries need enableBehavior",
    ),
    ("empty group", lambda n, r: n["warning"].update(item=[]), "item 'warning': a group needs at least one item"),
    (
        "no options",
        lambda n, r: n["neck_side"].pop("answerOption"),
        "item 'neck_side': a choice item needs answerOption",
    ),
]


@pytest.mark.parametrize(("change", "expected"), [b[1:] for b in BREAKAGES], ids=[b[0] for b in BREAKAGES])
def test_check_questionnaire_finds(mini: Definition, change: Any, expected: str) -> None:
    problems = broken(mini, change)
    assert any(p.startswith(expected) for p in problems), problems


def test_check_questionnaire_wants_a_questionnaire() -> None:
    assert check_questionnaire({"resourceType": "QuestionnaireResponse"}) == [
        "resourceType is 'QuestionnaireResponse', not 'Questionnaire'"
    ]


# ---------------------------------------------------------------------------------------------
# QuestionnaireResponse: out and back


def without_blank_text(definition: Definition, response: Response) -> Response:
    kept = {
        i: v
        for i, v in response.answers.items()
        if not (isinstance(definition.items[i], TextItem) and isinstance(v, str) and not v.strip())
    }
    return response.model_copy(update={"answers": kept})


@PROPERTY
@given(data=st.data())
def test_round_trip(definition: Definition, data: st.DataObject) -> None:
    native = parse_response(data.draw(responses(definition)), definition)
    resource = response_resource(definition, native)
    text = json.dumps(resource)
    back = parse_response(response_from_resource(definition, json.loads(text)), definition)
    expected = without_blank_text(definition, native)
    assert back == expected
    assert back.answers == expected.answers
    assert (back.respondent, back.patient, back.collected_at) == (
        native.respondent,
        native.patient,
        native.collected_at,
    )
    # blank text is the one thing FHIR cannot carry: it comes back unanswered (see test_what_the_response_carries)
    assert assessment_json(assess(definition, back)) == assessment_json(assess(definition, expected))
    if expected == native:
        assert assessment_json(assess(definition, back)) == assessment_json(assess(definition, native))
    answered = [n["linkId"] for g in resource.get("item", []) for n in g["item"]]
    assert answered == [i for i in definition.items if i in expected.answers]


@PROPERTY
@given(data=st.data())
def test_questions_not_shown_never_appear(any_definition: Definition, data: st.DataObject) -> None:
    definition = any_definition
    answers = data.draw(any_answers(definition))  # hidden questions answered too, bypassing parse_response
    q = definition.questionnaire
    response = Response(questionnaire=q.id, version=q.version, collected_at="2026-01-01T09:00:00Z", answers=answers)
    resource = response_resource(definition, response)
    _, shown = definition.effective_values(answers)
    sections = {s.id: [i.id for i in s.items] for s in q.sections}
    for group in resource.get("item", []):
        assert [n["linkId"] for n in group["item"]] == [
            i for i in sections[group["linkId"]] if i in answers and shown[i] is True
        ]


def test_what_the_response_carries(mini: Definition) -> None:
    native = parse_response(
        {
            "questionnaire": "mini",
            "version": "1.2.0",
            "respondent": "staff",
            "collected_at": "2026-03-01T10:30:00+01:00",
            "patient": {"name": "Ada Example", "date_of_birth": "1970-05-06", "contact": "test@example.invalid"},
            "answers": {"neck_pain": "yes", "neck_side": "left", "symptoms": ["none"], "age": 40, "notes": "   "},
        },
        mini,
    )
    resource = response_resource(mini, native, complete=False)
    assert resource["questionnaire"].endswith("/Questionnaire/mini|1.2.0")
    assert resource["status"] == "in-progress"
    assert resource["authored"] == "2026-03-01T10:30:00+01:00"
    assert resource["author"]["type"] == "Practitioner" and resource["source"]["type"] == "Patient"
    assert resource["subject"] == {"reference": "#patient", "type": "Patient", "display": "Ada Example"}
    assert resource["contained"] == [
        {
            "resourceType": "Patient",
            "id": "patient",
            "name": [{"text": "Ada Example"}],
            "telecom": [{"system": "email", "value": "test@example.invalid"}],
            "birthDate": "1970-05-06",
        }
    ]
    nodes = by_link(resource)
    assert nodes["neck_side"]["answer"] == [
        {"valueCoding": {"system": option_system("mini", "neck_side"), "code": "left", "display": "Left"}}
    ]
    assert nodes["neck_pain"]["answer"] == [{"valueCoding": {"system": YES_NO_SYSTEM, "code": "yes", "display": "Yes"}}]
    assert nodes["age"]["answer"] == [{"valueInteger": 40}]
    assert "notes" not in nodes  # blank text: FHIR strings cannot be blank
    assert "subject" in response_resource(mini, native, subject_display=False)
    assert "display" not in response_resource(mini, native, subject_display=False)["subject"]


def test_patient_respondent_and_no_patient(mini: Definition) -> None:
    native = parse_response(
        {"questionnaire": "mini", "version": "1.2.0", "collected_at": "2026-03-01T10:30:00Z", "answers": {}},
        mini,
        partial=True,
    )
    resource = response_resource(mini, native)
    assert resource["author"]["type"] == "Patient"
    assert "contained" not in resource and "subject" not in resource and "item" not in resource
    assert resource["status"] == "completed"


def test_a_time_without_zone_cannot_be_exported(mini: Definition) -> None:
    native = Response(questionnaire="mini", version="1.2.0", collected_at="2026-03-01T10:30:00")
    with pytest.raises(ResponseError, match="time zone"):
        response_resource(mini, native)


# ---------------------------------------------------------------------------------------------
# QuestionnaireResponses from other clients


def foreign(**changes: Any) -> dict[str, Any]:
    """A QuestionnaireResponse shaped the way other form fillers write them: flat, booleans, bare codes."""
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "Questionnaire/mini",
        "status": "completed",
        "authored": "2026-03-01T10:30:00Z",
        "author": {"reference": "Practitioner/123"},
        "subject": {"reference": "Patient/9", "display": "Ada Example"},
        "item": [
            {"linkId": "neck_pain", "text": "Neck?", "answer": [{"valueBoolean": True}]},
            {"linkId": "neck_side", "answer": [{"valueCoding": {"code": "left", "display": "Left"}}]},
            {"linkId": "neck_movement", "answer": [{"valueBoolean": False}]},
            {"linkId": "severity", "answer": [{"valueDecimal": 4.0}]},
            {"linkId": "age", "answer": [{"valueInteger": 40}]},
            {"linkId": "thunderclap", "answer": [{"valueCoding": {"system": YES_NO_SYSTEM, "code": "not_sure"}}]},
            {
                "linkId": "symptoms",
                "answer": [{"valueCoding": {"code": "weight_loss"}}, {"valueCoding": {"code": "fever"}}],
            },
            {"linkId": "notes", "answer": [{"valueString": "Fictional note"}]},
            {"linkId": "intro"},
            {"linkId": "severity__help"},
        ],
    }
    resource.update(changes)
    return resource


def test_a_foreign_response_is_read(mini: Definition) -> None:
    document = response_from_resource(mini, foreign())
    assert document == {
        "questionnaire": "mini",
        "version": "1.2.0",  # no version in the reference: the questionnaire's own
        "respondent": "staff",
        "collected_at": "2026-03-01T10:30:00Z",
        "answers": {
            "neck_pain": "yes",
            "neck_side": "left",
            "neck_movement": "no",
            "severity": 4,
            "age": 40,
            "thunderclap": "not_sure",
            "symptoms": ["weight_loss", "fever"],
            "notes": "Fictional note",
        },
        "patient": {"name": "Ada Example"},
    }
    parsed = parse_response(document, mini)
    assert parsed.answers["symptoms"] == ["fever", "weight_loss"]
    assert isinstance(parsed.answers["severity"], int)


def test_nested_answers_and_versions(mini: Definition) -> None:
    nested = foreign(
        questionnaire="https://elsewhere.invalid/fhir/Questionnaire/mini|1.0.7",
        author={"display": "Someone"},
        item=[
            {
                "linkId": "pain",
                "item": [
                    {
                        "linkId": "neck_pain",
                        "answer": [
                            {
                                "valueBoolean": True,
                                "item": [{"linkId": "neck_side", "answer": [{"valueCoding": {"code": "both"}}]}],
                            }
                        ],
                    }
                ],
            }
        ],
    )
    document = response_from_resource(mini, nested)
    assert document["version"] == "1.0.7"
    assert document["respondent"] == "patient"
    assert document["answers"] == {"neck_pain": "yes", "neck_side": "both"}


BROKEN_RESPONSES: list[tuple[str, Any, str, str]] = [
    ("not fhir", {"questionnaire": "mini"}, "response", "expected a FHIR QuestionnaireResponse, got no resourceType"),
    ("questionnaire", {"resourceType": "Questionnaire", "status": "active"}, "response", "got a Questionnaire"),
    ("other questionnaire", foreign(questionnaire="Questionnaire/phq9|1.2.0"), "response", "answers questionnaire"),
    (
        "major version",
        foreign(questionnaire="Questionnaire/mini|2.0.0"),
        "response",
        "was collected with version 2.0.0",
    ),
    ("bad version", foreign(questionnaire="Questionnaire/mini|1.2"), "response", "is not MAJOR.MINOR.PATCH"),
    ("no questionnaire", foreign(questionnaire=None), "response", "does not say which questionnaire"),
    ("entered in error", foreign(status="entered-in-error"), "response", "entered-in-error"),
    ("no authored", foreign(authored=None), "response", "has no 'authored' time"),
    ("structure", foreign(status=7), "response", "status"),
    (
        "unknown link",
        foreign(item=[{"linkId": "neck_pian", "answer": [{"valueBoolean": True}]}]),
        "item 'neck_pian'",
        "no such item in the questionnaire (at item[0])",
    ),
    (
        "string for integer",
        foreign(item=[{"linkId": "age", "answer": [{"valueString": "40"}]}]),
        "item 'age'",
        'valueString "40" is not a whole number',
    ),
    (
        "fraction",
        foreign(item=[{"linkId": "age", "answer": [{"valueDecimal": 40.5}]}]),
        "item 'age'",
        "valueDecimal 40.5 is not a whole number",
    ),
    (
        "unknown code",
        foreign(item=[{"linkId": "neck_side", "answer": [{"valueCoding": {"code": "middle"}}]}]),
        "item 'neck_side'",
        '"middle" is not one of left, right, both',
    ),
    (
        "other system",
        foreign(
            item=[
                {
                    "linkId": "neck_pain",
                    "answer": [
                        {"valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "Y"}}
                    ],
                }
            ]
        ),
        "item 'neck_pain'",
        "coding system 'http://terminology.hl7.org/CodeSystem/v2-0136' is not this question's",
    ),
    (
        "boolean for choice",
        foreign(item=[{"linkId": "neck_side", "answer": [{"valueBoolean": True}]}]),
        "item 'neck_side'",
        "valueBoolean true does not fit a choice question",
    ),
    (
        "two answers",
        foreign(item=[{"linkId": "age", "answer": [{"valueInteger": 40}, {"valueInteger": 41}]}]),
        "item 'age'",
        "has 2 answers, but takes one",
    ),
    (
        "twice",
        foreign(item=[{"linkId": "age", "answer": [{"valueInteger": 40}]}] * 2),
        "item 'age'",
        "answered more than once",
    ),
    (
        "display answered",
        foreign(item=[{"linkId": "intro", "answer": [{"valueString": "x"}]}]),
        "item 'intro'",
        "display text and takes no answer",
    ),
    (
        "integer for text",
        foreign(item=[{"linkId": "notes", "answer": [{"valueInteger": 3}]}]),
        "item 'notes'",
        "valueInteger 3 does not fit a text question",
    ),
]


@pytest.mark.parametrize(
    ("resource", "subject", "message"), [b[1:] for b in BROKEN_RESPONSES], ids=[b[0] for b in BROKEN_RESPONSES]
)
def test_broken_responses_are_refused(mini: Definition, resource: Any, subject: str, message: str) -> None:
    resource = {k: v for k, v in resource.items() if v is not None} if isinstance(resource, dict) else resource
    with pytest.raises(ResponseError) as caught:
        response_from_resource(mini, resource, source="upload.json")
    assert any(p.subject == subject and message in p.message for p in caught.value.problems), caught.value.problems
    assert all(p.file == "upload.json" and p.fix for p in caught.value.problems)


def test_every_problem_is_reported_at_once(mini: Definition) -> None:
    resource = foreign(
        questionnaire="Questionnaire/mini|3.0.0",
        item=[{"linkId": "age", "answer": [{"valueString": "x"}]}, {"linkId": "nope", "answer": [{"valueInteger": 1}]}],
    )
    with pytest.raises(ResponseError) as caught:
        response_from_resource(mini, resource)
    assert sorted(p.subject for p in caught.value.problems) == ["item 'age'", "item 'nope'", "response"]


def test_is_questionnaire_response() -> None:
    assert is_questionnaire_response({"resourceType": "QuestionnaireResponse"})
    assert not is_questionnaire_response({"resourceType": "Questionnaire"})
    assert not is_questionnaire_response({"questionnaire": "mini", "answers": {}})
    assert not is_questionnaire_response(["QuestionnaireResponse"])


def test_examples_directory_response_round_trips(bundled: Definition) -> None:
    """A hand-written clinical example (not generated) survives the trip too."""
    from screening.reading import load_response

    for name in ("physio_cervicogenic", "gp_medication_overuse"):  # the second carries an NHS number and practice
        path = Path(__file__).resolve().parent.parent / "examples" / f"{name}.yaml"
        native = load_response(path, bundled)
        back = parse_response(response_from_resource(bundled, response_resource(bundled, native)), bundled)
        assert back == native


NHS = "https://fhir.nhs.uk/Id/nhs-number"  # written out: the system NHS England's FHIR profiles use


def test_nhs_number_and_gp_practice_travel_in_the_contained_patient(mini: Definition) -> None:
    native = Response(
        questionnaire="mini",
        version="1.2.0",
        collected_at="2026-01-01T09:00:00Z",
        patient={"name": "Ada Example", "nhs_number": "943 476 5919", "gp_practice": "Example Lane Surgery"},
    )
    [patient] = response_resource(mini, native)["contained"]
    assert patient["identifier"] == [{"system": NHS, "value": "9434765919"}]
    assert patient["generalPractitioner"] == [{"type": "Organization", "display": "Example Lane Surgery"}]
    back = parse_response(response_from_resource(mini, response_resource(mini, native)), mini, partial=True)
    assert back.patient == native.patient
    plain = native.model_copy(update={"patient": Patient(name="Ada Example")})
    assert "identifier" not in response_resource(mini, plain)["contained"][0]


def test_nhs_number_from_other_clients_is_read_by_its_system_and_checked(mini: Definition) -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [
            {"system": "https://example.org/hospital-number", "value": "H123"},
            {"system": NHS, "value": "943 476 5919"},
        ],
        "generalPractitioner": [{"reference": "Organization/1"}, {"display": "Example Lane Surgery"}],
    }
    document = response_from_resource(mini, foreign(subject={"reference": "#p1"}, contained=[patient]))
    assert document["patient"] == {"nhs_number": "943 476 5919", "gp_practice": "Example Lane Surgery"}
    expected = Patient(nhs_number="9434765919", gp_practice="Example Lane Surgery")
    assert parse_response(document, mini, partial=True).patient == expected
    patient["identifier"] = [{"system": NHS, "value": "943 476 5918"}]
    wrong = response_from_resource(mini, foreign(subject={"reference": "#p1"}, contained=[patient]))
    with pytest.raises(ResponseError, match=r"'patient\.nhs_number': the last digit of this NHS number"):
        parse_response(wrong, mini, partial=True)
    patient["identifier"] = [{"system": "https://example.org/hospital-number", "value": "9434765919"}]
    other = response_from_resource(mini, foreign(subject={"reference": "#p1"}, contained=[patient]))
    assert "nhs_number" not in other["patient"], "only the NHS number system is read as an NHS number"


def test_contained_patient_from_other_clients(mini: Definition) -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "name": [{"use": "official"}, {"given": ["Ada", "Lovelace"], "family": "Example"}],
        "telecom": [{"system": "phone"}, {"system": "phone", "value": "01632 960000"}],
        "birthDate": "1970-05-06",
    }
    document = response_from_resource(mini, foreign(subject={"reference": "#p1"}, contained=[patient]))
    assert document["patient"] == {
        "name": "Ada Lovelace Example",
        "date_of_birth": "1970-05-06",
        "contact": "01632 960000",
    }
    unknown = response_from_resource(mini, {k: v for k, v in foreign().items() if k not in ("subject", "author")})
    assert "patient" not in unknown and unknown["respondent"] == "patient"


def test_answers_without_a_value_leave_the_question_unanswered(mini: Definition) -> None:
    resource = foreign(
        item=[
            {"linkId": "age", "answer": [{"item": [{"linkId": "age__help"}]}]},
            {"linkId": "symptoms", "answer": [{"item": [{"linkId": "severity__lower"}]}]},
        ]
    )
    assert response_from_resource(mini, resource)["answers"] == {}


@pytest.mark.parametrize(
    ("contact", "system"),
    [("test@example.invalid", "email"), ("+44 1632 960000", "phone"), ("Ward 0 (fictional)", "other")],
)
def test_contact_kinds(mini: Definition, contact: str, system: str) -> None:
    native = Response(
        questionnaire="mini", version="1.2.0", collected_at="2026-01-01T09:00:00Z", patient={"contact": contact}
    )
    assert response_resource(mini, native)["contained"][0]["telecom"] == [{"system": system, "value": contact}]


def test_findings_have_no_fhirpath(mini: Definition) -> None:
    from screening.model import FindingRef

    with pytest.raises(ValueError, match="finding 'x' cannot be used in an enable_when"):
        fhirpath(FindingRef(finding="x"), mini)


def test_a_list_is_not_a_response(mini: Definition) -> None:
    with pytest.raises(ResponseError, match="expected a FHIR QuestionnaireResponse, got a list"):
        response_from_resource(mini, [foreign()])
