"""Parsing responses against the mini questionnaire: normalising answers and reporting every problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.definitions import RULES_TAIL, line_of

from screening.cli import main
from screening.definition import Definition
from screening.errors import ResponseError, ScreeningError
from screening.reading import load_response
from screening.response import Response, parse_response

Capture = pytest.CaptureFixture[str]


def doc(**answers: Any) -> dict[str, Any]:
    return {
        "questionnaire": "mini",
        "version": "1.2.0",
        "collected_at": "2026-03-01T10:30:00+00:00",
        "answers": answers,
    }


def problems(definition: Definition, data: Any, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(ResponseError) as caught:
        parse_response(data, definition, **kwargs)
    return [(p.subject, p.message) for p in caught.value.problems]


def test_blank_answers_count_as_missing(mini: Definition) -> None:
    assert parse_response(doc(neck_pain="yes", neck_movement="no", notes="   ", symptoms=[]), mini).answers == {
        "neck_pain": "yes",
        "neck_movement": "no",
    }
    assert ("item 'neck_pain'", "required answer is missing") in problems(mini, doc(neck_pain="  "))


def test_a_valid_response_is_normalised(mini: Definition) -> None:
    response = parse_response(
        doc(neck_pain=True, neck_movement=False, symptoms=["weight_loss", "fever"], age=42, severity=0, notes=""), mini
    )
    assert isinstance(response, Response)
    assert response.answers == {
        "neck_pain": "yes",  # booleans are accepted for yes/no and stored as words
        "neck_movement": "no",
        "symptoms": ["fever", "weight_loss"],  # ticked options are kept in the questionnaire's order
        "age": 42,
        "severity": 0,
        # blank text is no answer (as on the web form, and as FHIR, which cannot hold an empty string, carries it)
    }
    assert response.respondent == "patient"
    assert response.patient is None
    assert response.collected_at.isoformat() == "2026-03-01T10:30:00+00:00"


def test_patient_block_and_respondent(mini: Definition) -> None:
    data = {
        **doc(neck_pain="no"),
        "respondent": "staff",
        "patient": {"name": "Testy McTestface", "date_of_birth": "1970-01-31"},
    }
    response = parse_response(data, mini)
    assert response.respondent == "staff"
    assert response.patient is not None and response.patient.date_of_birth is not None
    assert (response.patient.name, response.patient.date_of_birth.isoformat()) == ("Testy McTestface", "1970-01-31")


@pytest.mark.parametrize("typed", ["943 476 5919", "9434765919", " 943 4765919 "])
def test_nhs_number_and_gp_practice_are_kept_with_the_patient(mini: Definition, typed: str) -> None:
    data = {**doc(neck_pain="no"), "patient": {"nhs_number": typed, "gp_practice": "Example Lane Surgery"}}
    patient = parse_response(data, mini).patient
    assert patient is not None
    assert (patient.nhs_number, patient.gp_practice) == ("9434765919", "Example Lane Surgery")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("943 476 5918", "the last digit of this NHS number does not match the others"),  # check digit off by one
        ("9434765991", "the last digit of this NHS number does not match the others"),  # two digits swapped
        ("123 456 7890", "the last digit of this NHS number does not match the others"),  # check digit would be 10
        ("943476591", "an NHS number is 10 digits"),
        ("94347659190", "an NHS number is 10 digits"),
        ("943-476-5919", "an NHS number is 10 digits"),
        ("９４３４７６５９１９", "an NHS number is 10 digits"),  # full-width digits are not ASCII digits
    ],
)
def test_an_invalid_nhs_number_is_a_response_error_naming_the_field(mini: Definition, typed: str, message: str) -> None:
    found = problems(mini, {**doc(neck_pain="no"), "patient": {"nhs_number": typed}})
    assert len(found) == 1
    subject, text = found[0]
    assert subject == "response" and text.startswith(f"'patient.nhs_number': {message}")


def test_an_invalid_nhs_number_exits_1_from_the_command_line(tmp_path: Path, capsys: Capture) -> None:
    source = tmp_path / "response.yaml"
    example = (Path(__file__).parent.parent / "examples" / "physio_cervicogenic.yaml").read_text(encoding="utf-8")
    source.write_text(example.replace('contact: "01632 960123"', 'contact: "01632 960123", nhs_number: "943 476 5918"'))
    assert main(["score", str(source)]) == 1
    err = capsys.readouterr().err
    assert f"{source}:7: [SCR301] response: 'patient.nhs_number': the last digit of this NHS number" in err


def test_unknown_item_with_suggestion(mini: Definition) -> None:
    with pytest.raises(ResponseError) as caught:
        parse_response(doc(neck_pain="no", neck_pian="yes"), mini)
    [problem] = caught.value.problems
    assert (problem.subject, problem.message, problem.fix) == (
        "item 'neck_pian'",
        "no such item in the questionnaire",
        "did you mean 'neck_pain'?",
    )


@pytest.mark.parametrize(
    ("item", "answer", "message"),
    [
        ("neck_pain", "maybe", "answer 'maybe' is not one of yes, no"),
        ("neck_pain", "not_sure", "answer 'not_sure' is not one of yes, no"),  # allow_not_sure is off
        ("thunderclap", "perhaps", "answer 'perhaps' is not one of yes, no, not_sure"),
        ("thunderclap", 1, "answer 1 is not one of yes, no, not_sure"),
        ("severity", "x", "answer 'x' must be a whole number from 0 to 10"),
        ("severity", 11, "answer 11 is outside 0–10"),
        ("severity", -1, "answer -1 is outside 0–10"),
        ("severity", True, "answer True must be a whole number from 0 to 10"),
        ("severity", 5.5, "answer 5.5 must be a whole number from 0 to 10"),
        ("age", 200, "answer 200 is outside 16–110 years"),
        ("age", 15, "answer 15 is outside 16–110 years"),
        (
            "symptoms",
            "fever",
            "answer 'fever' must be a list of option codes (fever, weight_loss, blurred_vision, none)",
        ),
        ("symptoms", ["rash"], "'rash' not among the options fever, weight_loss, blurred_vision, none"),
        ("symptoms", ["fever", "fever"], "an option is listed more than once"),
        ("symptoms", ["none", "fever"], "'none' cannot be ticked together with other options"),
        ("notes", 7, "answer 7 must be text"),
        ("notes", "x" * 201, "answer is 201 characters long; at most 200 are allowed"),
    ],
)
def test_wrong_answers(mini: Definition, item: str, answer: Any, message: str) -> None:
    answers = {"neck_pain": "no", item: answer}
    assert problems(mini, doc(**answers)) == [(f"item '{item}'", message)]


def test_single_choice_answer_must_be_an_option(mini: Definition) -> None:
    assert problems(mini, doc(neck_pain="yes", neck_side="middle")) == [
        ("item 'neck_side'", "answer 'middle' is not one of left, right, both")
    ]


def test_exclusive_option_alone_is_fine(mini: Definition) -> None:
    assert parse_response(doc(neck_pain="no", symptoms=["none"]), mini).answers["symptoms"] == ["none"]


def test_missing_required_answer(mini: Definition) -> None:
    assert problems(mini, doc(severity=3)) == [("item 'neck_pain'", "required answer is missing")]


def test_null_means_no_answer(mini: Definition) -> None:
    response = parse_response(doc(neck_pain="no", severity=None, symptoms=None), mini)
    assert response.answers == {"neck_pain": "no"}


def test_null_for_a_required_question_is_a_missing_answer(mini: Definition) -> None:
    """null is the same as no answer, so a required question answered null is missing."""
    assert problems(mini, doc(neck_pain=None)) == [("item 'neck_pain'", "required answer is missing")]


def test_answer_to_a_hidden_question_names_the_condition(mini: Definition) -> None:
    with pytest.raises(ResponseError) as caught:
        parse_response(doc(neck_pain="no", neck_side="left"), mini)
    [problem] = caught.value.problems
    assert problem.subject == "item 'neck_side'"
    assert problem.message == "answered, but the question was not shown: its condition (neck_pain is yes) is false"
    assert "--ignore-hidden" in problem.fix


def test_hidden_drop_removes_answers_to_hidden_questions(mini: Definition) -> None:
    response = parse_response(doc(neck_pain="no", neck_side="left", neck_movement="yes", age=30), mini, hidden="drop")
    assert response.answers == {"neck_pain": "no", "age": 30}


def test_answer_to_a_question_whose_condition_is_undecided(make_definition: Callable[..., Definition]) -> None:
    definition = make_definition(
        """\
        id: gate
        version: 1.0.0
        title: Gate
        language: en-GB
        sections:
          - id: s
            title: S
            items:
              - {id: a, kind: yes_no, allow_not_sure: true, patient: A?, staff: A?}
              - {id: b, kind: yes_no, required: true, patient: B?, staff: B?, enable_when: {yes: a}}
        """,
        """\
        id: gate_rules
        version: 1.0.0
        title: Gate rules
        questionnaire: {id: gate, version: 1.0.0}
        red_flags:
          - {id: f, title: F, condition: {yes: b}, urgency: emergency, patient_message: M, staff_message: M, source: S}
        features:
          - {id: g, title: G, condition: {yes: a}, weight: 1, criterion: C, source: S}
        """
        + RULES_TAIL.replace("\n", "\n        "),
    )
    data = {
        "questionnaire": "gate",
        "version": "1.0.0",
        "collected_at": "2026-01-01T00:00:00Z",
        "answers": {"a": "not_sure", "b": "yes"},
    }
    assert problems(definition, data) == [
        (
            "item 'b'",
            "answered, but the question was not shown: its condition (a is yes) "
            "cannot be decided from the other answers",
        )
    ]
    # b is required, but it was not (definitely) shown, so leaving it out is fine
    assert parse_response({**data, "answers": {"a": "not_sure"}}, definition).answers == {"a": "not_sure"}


def test_display_text_takes_no_answer(mini: Definition) -> None:
    assert problems(mini, doc(neck_pain="no", intro="hello")) == [
        ("item 'intro'", "this is display text and takes no answer")
    ]


def test_wrong_questionnaire_and_version(mini: Definition) -> None:
    assert problems(mini, {**doc(neck_pain="no"), "questionnaire": "migraine"}) == [
        ("response", "answers questionnaire 'migraine', not 'mini'")
    ]
    assert problems(mini, {**doc(neck_pain="no"), "version": "2.0.0"}) == [
        ("response", "was collected with version 2.0.0; this questionnaire is 1.2.0")
    ]
    assert parse_response({**doc(neck_pain="no"), "version": "1.0.3"}, mini).version == "1.0.3"


def test_envelope_problems(mini: Definition) -> None:
    data = {
        "questionnaire": "mini",
        "version": "1.2",
        "respondent": "nurse",
        "colour": "red",
        "patient": {"name": "Ada Example", "hospital_number": "000"},
        "answers": {"neck_pain": "no"},
    }
    found = problems(mini, data)
    assert ("response", "'collected_at' is missing") in found
    assert ("response", "unknown key 'colour'") in found
    assert ("response", "unknown key 'patient.hospital_number'") in found
    assert ("response", "'respondent': input should be 'patient' or 'staff'") in found
    assert any(subject == "response" and message.startswith("'version': ") for subject, message in found)
    assert len(found) == 5


def test_response_must_be_a_mapping_with_answers_mapping(mini: Definition) -> None:
    assert problems(mini, ["neck_pain", "no"]) == [
        ("", "a response must be a mapping with questionnaire, version, collected_at and answers")
    ]
    assert problems(mini, {**doc(), "answers": ["neck_pain"]}) == [
        ("response", "'answers' must map item ids to answers")
    ]


def test_every_problem_is_reported_at_once(mini: Definition) -> None:
    found = problems(mini, doc(neck_pian="yes", severity="x", age=200, symptoms=["none", "fever"], notes=3))
    assert found == [
        ("item 'age'", "answer 200 is outside 16–110 years"),
        ("item 'neck_pain'", "required answer is missing"),
        ("item 'neck_pian'", "no such item in the questionnaire"),
        ("item 'notes'", "answer 3 must be text"),
        ("item 'severity'", "answer 'x' must be a whole number from 0 to 10"),
        ("item 'symptoms'", "'none' cannot be ticked together with other options"),
    ]


def test_response_error_exits_1(mini: Definition) -> None:
    with pytest.raises(ResponseError) as caught:
        parse_response(doc(), mini)
    assert isinstance(caught.value, ScreeningError)
    assert caught.value.exit_code == 1
    message = caught.value.format_message()
    assert message.startswith("1 problem in the response:\n  <response>: [SCR311] item 'neck_pain'")


def test_problems_in_a_response_file_carry_its_lines(mini: Definition, tmp_path: Path) -> None:
    text = """\
questionnaire: mini
version: 1.2.0
collected_at: 2026-03-01T10:30:00Z
answers:
  neck_pain: no
  neck_side: left
  severity: 12
  thunderclap: yes
"""
    path = tmp_path / "response.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ResponseError) as caught:
        load_response(path, mini)
    assert [(p.file, p.line, p.subject) for p in caught.value.problems] == [
        (str(path), line_of(text, "neck_side"), "item 'neck_side'"),
        (str(path), line_of(text, "severity"), "item 'severity'"),
    ]
    path.write_text(text.replace("  neck_side: left\n", "").replace("12", "2"), encoding="utf-8")
    response = load_response(path, mini)
    assert response.answers == {"neck_pain": "no", "severity": 2, "thunderclap": "yes"}  # yes/no stay words


def test_a_response_file_with_bad_yaml(mini: Definition, tmp_path: Path) -> None:
    path = tmp_path / "response.yaml"
    path.write_text("questionnaire: mini\nanswers: {neck_pain: no\n", encoding="utf-8")
    with pytest.raises(ResponseError) as caught:
        load_response(path, mini)
    [problem] = caught.value.problems
    assert problem.line == 3
    assert problem.message.startswith("not valid YAML or JSON: ")


# ---------------------------------------------------------------------------------------------
# times and dates are checked when the response is read, so every stored one can be printed and exported


@pytest.mark.parametrize(
    "moment",
    ["2026-03-01T10:30:00", "2026-03-01", "2026-03-01T10:30:00.123456"],
)
def test_a_collection_time_without_a_time_zone_is_refused(mini: Definition, moment: str) -> None:
    data = {**doc(neck_pain="no"), "collected_at": moment}
    [(subject, message)] = problems(mini, data)
    assert subject == "response"
    assert message.startswith("'collected_at' (") and message.endswith(
        ") has no time zone, so the moment it names is unknown"
    )


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+05:00",  # before year 1 once moved to UTC
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:00:00-05:00",  # after year 9999 once moved to UTC
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
        99999999999999,  # a number is read as a Unix time: year 5138
    ],
)
def test_a_collection_time_outside_the_years_a_response_can_have_is_refused(mini: Definition, moment: Any) -> None:
    data = {**doc(neck_pain="no"), "collected_at": moment}
    [(subject, message)] = problems(mini, data)
    assert subject == "response"
    assert message.startswith("'collected_at' (") and message.endswith(") is not between 1900 and 2199")


@pytest.mark.parametrize(
    "moment", ["1900-01-01T00:00:00Z", "1900-01-01T01:00:00+01:00", "2199-12-31T23:59:59Z", "2199-12-31T18:59:59-05:00"]
)
def test_the_first_and_last_moments_in_range_are_accepted(mini: Definition, moment: str) -> None:
    response = parse_response({**doc(neck_pain="no"), "collected_at": moment}, mini)
    assert response.collected_at.utcoffset() is not None


@pytest.mark.parametrize("born", ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"])
def test_a_date_of_birth_outside_the_years_is_refused(mini: Definition, born: str) -> None:
    data = {**doc(neck_pain="no"), "patient": {"date_of_birth": born}}
    assert problems(mini, data) == [("response", f"'patient.date_of_birth' ({born}) is not between 1900 and 2199")]


def test_a_time_without_zone_in_a_file_is_refused_with_its_line(mini: Definition, tmp_path: Path) -> None:
    path = tmp_path / "response.yaml"
    path.write_text(
        "questionnaire: mini\nversion: 1.2.0\ncollected_at: 2026-03-01T10:30:00\nanswers: {neck_pain: no}\n", "utf-8"
    )
    with pytest.raises(ResponseError) as caught:
        load_response(path, mini)
    [problem] = caught.value.problems
    assert (problem.line, problem.fix) == (3, "add the zone, like 2026-03-01T10:30:00Z or +01:00")


def test_a_fhir_response_authored_on_a_day_without_a_time_is_refused(mini: Definition, tmp_path: Path) -> None:
    """FHIR allows a bare date as ``authored`` (a time needs its zone there): it names no moment either."""
    path = tmp_path / "response.json"
    resource = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "Questionnaire/mini",
        "status": "in-progress",
        "authored": "2026-03-01",
    }
    path.write_text(json.dumps(resource), encoding="utf-8")
    with pytest.raises(ResponseError) as caught:
        load_response(path, mini)
    assert [p.message for p in caught.value.problems] == [
        "'collected_at' (2026-03-01T00:00:00) has no time zone, so the moment it names is unknown"
    ]


# ---------------------------------------------------------------------------------------------
# hostile files: refused by their limits, before the work


def test_a_json_response_file_with_a_key_twice_is_refused(mini: Definition, tmp_path: Path) -> None:
    path = tmp_path / "response.json"
    path.write_text(
        '{"questionnaire": "mini", "version": "1.2.0", "collected_at": "2026-03-01T10:30:00Z",\n'
        ' "answers": {"thunderclap": "yes",\n "thunderclap": "no"}}',
        encoding="utf-8",
    )
    with pytest.raises(ResponseError) as caught:
        load_response(path, mini)
    [problem] = caught.value.problems
    assert (problem.line, problem.message) == (
        3,
        "not valid YAML or JSON: key 'thunderclap' appears twice in the same mapping",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [x, *a]\n", "the alias *a stands for a value that contains the alias itself, so it never ends"),
        ("answers: " + "[" * 40 + "]" * 40, "nested more than 32 levels deep, deeper than a response may be"),
        ("answers:\n  age: " + "4" * 4301, "a number 4,301 characters long; numbers may have at most 100 digits"),
        (
            "".join(f"k{i}: [{i}, {i}]\n" for i in range(6000)),
            "more than 20,000 keys, values and list entries (an alias counts as a full copy), more than a response "
            "may have",
        ),
    ],
)
def test_a_response_file_over_a_limit_is_refused_with_its_line(
    mini: Definition, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "response.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ResponseError) as caught:
        load_response(path, mini)
    [problem] = caught.value.problems
    assert problem.file == str(path) and problem.line is not None
    assert problem.message == message


def test_a_response_file_larger_than_the_limit_is_refused_unread(mini: Definition, tmp_path: Path) -> None:
    path = tmp_path / "response.yaml"
    path.write_text("".join(f"k{i}: {i}\n" for i in range(100_000)), encoding="utf-8")  # 1.3 MB
    with pytest.raises(ResponseError) as caught:
        load_response(path, mini)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}: [SCR003] the file is larger than the 512 KiB a response may be — check that it is a response file"
    ]


def test_only_the_first_unknown_ids_get_a_suggestion(mini: Definition) -> None:
    answers = {f"neck_pain_{i}": "yes" for i in range(500)}
    with pytest.raises(ResponseError) as caught:
        parse_response(doc(**answers), mini)
    unknown = [p for p in caught.value.problems if p.message == "no such item in the questionnaire"]
    assert len(unknown) == 500  # every one is listed
    assert sum(p.fix.startswith("did you mean") for p in unknown) == 20  # but only 20 are fuzzy-matched
