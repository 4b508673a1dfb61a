"""The command line, through ``screening.cli.main`` (exit code and output), never by patching internals."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.definitions import (
    MINI_QUESTIONNAIRE,
    MINI_RULES,
    DefinitionFiles,
    bundled_files,
    line_of,
    write_definition,
)
from helpers.strategies import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.assessment import assessment_json
from screening.cli import main
from screening.definition import Definition
from screening.reading import load_response
from screening.response import parse_response
from screening.scorer import assess

Capture = pytest.CaptureFixture[str]


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def definition_args(files: DefinitionFiles) -> list[str]:
    return ["--questionnaire", str(files[0]), "--ruleset", str(files[1])]


def write_response(folder: Path, answers: dict[str, Any], name: str = "response.yaml", **envelope: Any) -> Path:
    data = {
        "questionnaire": "mini",
        "version": "1.2.0",
        "collected_at": "2026-03-01T10:30:00Z",
        **envelope,
        "answers": answers,
    }
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# validate


def test_validate_a_good_pair(capsys: Capture, mini_files: DefinitionFiles) -> None:
    code, out, err = run(capsys, "validate", str(mini_files[0]))
    assert code == 0
    assert err == ""
    assert out == (
        f"ok: {mini_files[0]} + mini.rules.yaml — questionnaire mini 1.2.0, 9 items; "
        "ruleset mini_rules 1.0.0, 9 rules\n"
    )


def test_validate_a_ruleset_path_finds_its_questionnaire(capsys: Capture, mini_files: DefinitionFiles) -> None:
    code, out, _ = run(capsys, "validate", str(mini_files[1]))
    assert code == 0
    assert out.startswith(f"ok: {mini_files[0]} + mini.rules.yaml")


def test_validate_a_folder(capsys: Capture, tmp_path: Path) -> None:
    write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES, "mini")
    (tmp_path / "lonely.yaml").write_text(MINI_QUESTIONNAIRE.replace("id: mini\n", "id: lonely\n", 1), encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(tmp_path))
    assert code == 0
    assert out.splitlines() == [
        f"ok: {tmp_path / 'lonely.yaml'} — questionnaire lonely 1.2.0, 9 items (no ruleset beside it)",
        f"ok: {tmp_path / 'mini.yaml'} + mini.rules.yaml — questionnaire mini 1.2.0, 9 items; "
        "ruleset mini_rules 1.0.0, 9 rules",
    ]


def test_validate_a_broken_definition_exits_2_with_file_and_line(capsys: Capture, tmp_path: Path) -> None:
    rules = MINI_RULES.replace("condition: {yes: neck_movement}", "condition: {yes: neck_movment}")
    questionnaire = MINI_QUESTIONNAIRE.replace("max: 110", "max: 16")
    q_path, r_path = write_definition(tmp_path, questionnaire, rules)
    code, out, err = run(capsys, "validate", str(q_path))
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("1 problem in the definition:\n")
    assert f"{q_path}:{line_of(questionnaire, 'id: age')}: [SCR108] item 'age': min 16 must be below max 16" in err
    # once the questionnaire loads, the ruleset's problem is reported with its line as well
    q_path.write_text(MINI_QUESTIONNAIRE, encoding="utf-8")
    code, _, err = run(capsys, "validate", str(q_path))
    assert code == 2
    assert f"{r_path}:{line_of(rules, 'neck_movment')}: [SCR205] feature 'movement': unknown item 'neck_movment'" in err
    assert "did you mean 'neck_movement'?" in err


def test_validate_reports_problems_of_every_file_it_was_given(capsys: Capture, tmp_path: Path) -> None:
    q_path, _ = write_definition(tmp_path / "a", MINI_QUESTIONNAIRE.replace("title: Mini", "title: [Mini"), MINI_RULES)
    code, _, err = run(capsys, "validate", str(q_path), str(tmp_path / "nowhere.yaml"))
    assert code == 2
    assert err.startswith("2 problems in the definition:\n")
    # the parser notices the unclosed bracket of line 3 on line 4
    assert f"{q_path}:{line_of(MINI_QUESTIONNAIRE, 'language:')}: [SCR008] not valid YAML" in err
    assert f"{tmp_path / 'nowhere.yaml'}: [SCR801] no such file or folder" in err


def test_validate_without_arguments_checks_the_bundled_definition(capsys: Capture) -> None:
    q_path, r_path = bundled_files()
    if not (q_path.exists() and r_path.exists()):
        pytest.skip("bundled definition not written yet")
    code, out, err = run(capsys, "validate")
    assert (code, err) == (0, "")
    assert out.startswith(f"ok: {q_path} + cervicogenic_headache.rules.yaml — questionnaire cervicogenic_headache ")


# ---------------------------------------------------------------------------------------------
# score


def test_score_prints_a_readable_outcome(capsys: Capture, mini_files: DefinitionFiles, tmp_path: Path) -> None:
    path = write_response(tmp_path, {"neck_pain": "no", "thunderclap": "yes", "symptoms": ["none"]})
    code, out, err = run(capsys, "score", str(path), *definition_args(mini_files))
    assert (code, err) == (0, "")
    assert out.startswith("OUTCOME: EMERGENCY (emergency) — Emergency\n")
    assert "! [emergency] Thunderclap headache" in out
    assert "answers: thunderclap = yes" in out
    assert out.rstrip().endswith("A screening aid, not a diagnosis.")


def test_score_lists_red_flags_to_check(capsys: Capture, mini_files: DefinitionFiles, tmp_path: Path) -> None:
    path = write_response(tmp_path, {"neck_pain": "yes", "thunderclap": "not_sure"}, respondent="staff")
    code, out, err = run(capsys, "score", str(path), *definition_args(mini_files))
    assert (code, err) == (0, "")
    assert out.startswith("OUTCOME: URGENT GP (urgent_gp) — Urgent GP\n  Urgent GP.\n  When: Today\n")
    assert (
        "Must be checked (answered 'not sure' or not answered):\n"
        "  ? [emergency] Thunderclap headache — ask about: thunderclap\n"
        "  ? [urgent_gp] Fever or weight loss — ask about: symptoms\n"
    ) in out
    assert "Neck-related (cervicogenic) features: possible — 3 of 8 points (5 unknown)" in out
    assert "  - thunderclap (not sure)" in out


def test_score_json_is_the_assessment_json(
    capsys: Capture, mini: Definition, mini_files: DefinitionFiles, tmp_path: Path
) -> None:
    path = write_response(
        tmp_path, {"neck_pain": "yes", "neck_side": "left", "thunderclap": "not_sure"}, respondent="staff"
    )
    code, out, err = run(capsys, "score", str(path), "--json", *definition_args(mini_files))
    assert (code, err) == (0, "")
    assert out == assessment_json(assess(mini, load_response(path, mini)))
    document = json.loads(out)
    assert document["disposition"] == "urgent_gp"
    assert document["respondent"] == "staff"
    assert [f["id"] for f in document["to_check"]] == ["thunderclap_headache", "systemic_symptoms"]


def test_score_a_bad_response_exits_1_listing_every_problem(
    capsys: Capture, mini_files: DefinitionFiles, tmp_path: Path
) -> None:
    path = write_response(tmp_path, {"neck_pian": "yes", "severity": 11, "symptoms": ["none", "fever"]})
    code, out, err = run(capsys, "score", str(path), *definition_args(mini_files))
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == "4 problems in the response:"
    assert sorted(line.split(": ", 2)[1] for line in lines[1:]) == [
        "[SCR307] item 'neck_pian'",
        "[SCR309] item 'severity'",
        "[SCR309] item 'symptoms'",
        "[SCR311] item 'neck_pain'",
    ]
    text = path.read_text(encoding="utf-8")
    assert f"{path}:{line_of(text, 'severity')}: [SCR309] item 'severity': answer 11 is outside 0–10" in err


def test_score_ignore_hidden(capsys: Capture, mini_files: DefinitionFiles, tmp_path: Path) -> None:
    path = write_response(tmp_path, {"neck_pain": "no", "neck_side": "left", "thunderclap": "no", "symptoms": ["none"]})
    code, _, err = run(capsys, "score", str(path), *definition_args(mini_files))
    assert code == 1
    assert (
        "item 'neck_side': answered, but the question was not shown: its condition (neck_pain is yes) is false"
    ) in err
    code, out, err = run(capsys, "score", str(path), "--ignore-hidden", "--json", *definition_args(mini_files))
    assert (code, err) == (0, "")
    answers = {a["item"]: a for a in json.loads(out)["answers"]}
    assert answers["neck_side"] == {"item": "neck_side", "status": "not_shown", "answer": None}


def test_score_a_missing_response_file(capsys: Capture, mini_files: DefinitionFiles, tmp_path: Path) -> None:
    code, out, err = run(capsys, "score", str(tmp_path / "absent.yaml"), *definition_args(mini_files))
    assert (code, out) == (1, "")
    assert f"{tmp_path / 'absent.yaml'}: [SCR001] cannot read the file (No such file or directory)" in err


def test_score_with_a_broken_definition_exits_2(capsys: Capture, tmp_path: Path) -> None:
    files = write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES.replace("weight: 3", "weight: 30"))
    path = write_response(tmp_path, {"neck_pain": "no"})
    code, out, err = run(capsys, "score", str(path), *definition_args(files))
    assert (code, out) == (2, "")
    assert f"{files[1]}:{line_of(MINI_RULES, 'weight: 3')}: [SCR107] feature 'neck_origin': " in err


# ---------------------------------------------------------------------------------------------
# questions


def test_questions_in_staff_and_patient_wording(capsys: Capture, mini_files: DefinitionFiles) -> None:
    code, patient, _ = run(capsys, "questions", "--patient", *definition_args(mini_files))
    assert code == 0
    code, staff, _ = run(capsys, "questions", "--staff", *definition_args(mini_files))
    assert code == 0
    code, default, _ = run(capsys, "questions", *definition_args(mini_files))
    assert default == patient
    assert patient != staff
    assert "1. Does your headache start in your neck? *" in patient
    assert "1. Does the headache start in the patient's neck? *" in staff
    assert "Does your headache" not in staff
    assert "(asked only if neck_pain is yes)" in patient and "(asked only if neck_pain is yes)" in staff
    assert (
        "[symptoms] any of: fever = Fever; weight_loss = Weight loss; blurred_vision = Blurred vision; "
        "none = None of these" in staff
    )
    assert patient.splitlines()[0] == "Mini headache screen (version 1.2.0, patient wording)"


def test_staff_and_patient_are_exclusive(capsys: Capture) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["questions", "--staff", "--patient"])
    assert caught.value.code == 64  # a wrong command line, not a bad input file (2)
    assert "not allowed with argument" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# schema


_ANNOTATIONS = {"title", "description", "default", "format", "examples"}


def conforms(instance: Any, schema: dict[str, Any], root: dict[str, Any], where: str = "$") -> list[str]:
    """A small JSON Schema checker for the keywords these schemas use (jsonschema is not installed).

    Unknown keywords fail loudly so the checker never passes something it did not understand.
    """
    errors: list[str] = []
    known = {
        "$ref",
        "$defs",
        "anyOf",
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "uniqueItems",
        "minimum",
        "maximum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "prefixItems",
    }
    unknown = set(schema) - known - _ANNOTATIONS
    assert not unknown, f"the test's schema checker does not understand {sorted(unknown)} at {where}"
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        errors += conforms(instance, target, root, where)
    if "anyOf" in schema and all(conforms(instance, option, root, where) for option in schema["anyOf"]):
        errors.append(f"{where}: matches none of anyOf")
    kinds: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "integer": int,
        "number": (int, float),
        "object": dict,
        "array": list,
        "boolean": bool,
        "null": type(None),
    }
    if "type" in schema:
        wanted = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any(
            isinstance(instance, kinds[t]) and not (t in ("integer", "number") and isinstance(instance, bool))
            for t in wanted
        )
        if not ok:
            return [*errors, f"{where}: {instance!r} is not {schema['type']}"]
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{where}: {instance!r} not in {schema['enum']}")
    if "const" in schema and instance != schema["const"]:
        errors.append(f"{where}: {instance!r} is not {schema['const']!r}")
    if isinstance(instance, str):
        if "maxLength" in schema and len(instance) > schema["maxLength"]:
            errors.append(f"{where}: too long")
        if "minLength" in schema and len(instance) < schema["minLength"]:
            errors.append(f"{where}: too short")
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            errors.append(f"{where}: {instance!r} does not match {schema['pattern']}")
    if isinstance(instance, int | float) and not isinstance(instance, bool):
        if "minimum" in schema and instance < schema["minimum"]:
            errors.append(f"{where}: below minimum")
        if "maximum" in schema and instance > schema["maximum"]:
            errors.append(f"{where}: above maximum")
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                errors.append(f"{where}: '{key}' is required")
        properties = schema.get("properties", {})
        for key, value in instance.items():
            if key in properties:
                errors += conforms(value, properties[key], root, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: '{key}' is not allowed")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += conforms(value, schema["additionalProperties"], root, f"{where}.{key}")
    if isinstance(instance, list):
        if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in instance}) != len(instance):
            errors.append(f"{where}: items are not unique")
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            errors.append(f"{where}: too many items")
        if "minItems" in schema and len(instance) < schema["minItems"]:
            errors.append(f"{where}: too few items")
        prefix = schema.get("prefixItems", [])
        for k, value in enumerate(instance):
            if k < len(prefix):
                errors += conforms(value, prefix[k], root, f"{where}[{k}]")
            elif isinstance(schema.get("items"), dict):
                errors += conforms(value, schema["items"], root, f"{where}[{k}]")
    return errors


def schema_documents(capsys: Capture, files: DefinitionFiles) -> dict[str, Any]:
    code, out, err = run(capsys, "schema", *definition_args(files))
    assert (code, err) == (0, "")
    documents = json.loads(out)
    assert isinstance(documents, dict)
    return documents


def test_schema_prints_response_and_assessment(capsys: Capture, mini_files: DefinitionFiles) -> None:
    documents = schema_documents(capsys, mini_files)
    assert sorted(documents) == ["assessment", "response"]
    response = documents["response"]
    assert response["title"] == "Response to mini 1.2.0"
    assert response["properties"]["questionnaire"] == {"const": "mini"}
    assert sorted(response["required"]) == ["collected_at", "questionnaire", "version"]
    answers = response["properties"]["answers"]
    assert answers["additionalProperties"] is False
    assert sorted(answers["properties"]) == sorted(
        ["neck_pain", "neck_side", "neck_movement", "severity", "age", "thunderclap", "symptoms", "notes"]
    )
    assert answers["properties"]["thunderclap"]["enum"] == ["yes", "no", "not_sure"]
    assert answers["properties"]["age"] | {"description": ""} == {
        "type": "integer",
        "minimum": 16,
        "maximum": 110,
        "description": "",
    }
    assert answers["properties"]["symptoms"]["items"] == {"enum": ["fever", "weight_loss", "blurred_vision", "none"]}
    assert "disposition" in documents["assessment"]["properties"]
    patient = response["$defs"]["Patient"]["properties"]
    assert {"name", "date_of_birth", "contact", "email", "nhs_number", "gp_practice"} == set(patient)
    assert "Modulus 11" in patient["nhs_number"]["description"]
    assert not conforms("943 476 5919", patient["nhs_number"], response)
    assert conforms("943-476-5919", patient["nhs_number"], response)
    code, out, _ = run(capsys, "schema", "response", *definition_args(mini_files))
    assert code == 0
    assert json.loads(out) == response


def test_the_schema_checker_rejects_what_it_should(capsys: Capture, mini_files: DefinitionFiles) -> None:
    schema = schema_documents(capsys, mini_files)["response"]
    good = {
        "questionnaire": "mini",
        "version": "1.2.0",
        "collected_at": "2026-01-01T00:00:00Z",
        "answers": {"neck_pain": "yes"},
    }
    assert conforms(good, schema, schema) == []
    assert conforms({**good, "questionnaire": "other"}, schema, schema) != []
    assert conforms({**good, "answers": {"severity": 11}}, schema, schema) != []
    assert conforms({**good, "answers": {"symptoms": ["fever", "fever"]}}, schema, schema) != []
    assert conforms({**good, "patient": {"name": "Ada Example", "shoe_size": 9}}, schema, schema) != []
    assert conforms({key: value for key, value in good.items() if key != "version"}, schema, schema) != []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_responses_and_their_assessments_match_the_schemas(
    capsys: Capture, definition: Definition, data: st.DataObject
) -> None:
    """A valid response validates against the printed response schema, and its assessment's JSON against
    the assessment schema (for the mini and the bundled definition)."""
    files = (Path(definition.questionnaire_file), Path(definition.ruleset_file))
    documents = schema_documents(capsys, files)
    doc = data.draw(responses(definition))
    assert conforms(doc, documents["response"], documents["response"]) == []
    assessment = json.loads(assessment_json(assess(definition, parse_response(doc, definition))))
    assert conforms(assessment, documents["assessment"], documents["assessment"]) == []


# ---------------------------------------------------------------------------------------------
# hostile files: every command refuses them before the work, naming the file and the limit


def alias_bomb(levels: int = 9) -> str:
    """Each line names the one before nine times: 9**(levels + 1) values once every alias is expanded."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def many_keys(count: int = 100_000) -> str:
    return "".join(f"key_{i}: value\n" for i in range(count))


RESPONSE_LIMIT_CASES = {
    "alias-bomb": (alias_bomb(), "more than 20,000 keys, values and list entries"),
    "recursive-alias": ("questionnaire: mini\nanswers: &a {neck_pain: *a}\n", "contains the alias itself"),
    "100k-keys": (many_keys(), "the file is larger than the 512 KiB a response may be"),
    "20k-keys": (many_keys(20_000), "more than 20,000 keys, values and list entries"),
    "deep": ("answers: " + "[" * 100_000 + "]" * 100_000, "nested more than 32 levels deep"),
    "huge-int": ("answers: {age: " + "4" * 4301 + "}\n", "a number 4,301 characters long"),
}


@pytest.mark.parametrize("case", RESPONSE_LIMIT_CASES, ids=list(RESPONSE_LIMIT_CASES))
@pytest.mark.parametrize("command", ["score", "report"])
def test_a_response_over_a_limit_is_exit_1_with_the_file_and_the_limit(
    capsys: Capture, mini_files: DefinitionFiles, tmp_path: Path, command: str, case: str
) -> None:
    text, message = RESPONSE_LIMIT_CASES[case]
    path = tmp_path / "response.yaml"
    path.write_text(text, encoding="utf-8")
    extra = ["--format", "html"] if command == "report" else []
    code, out, err = run(capsys, command, str(path), *extra, *definition_args(mini_files))
    assert code == 1
    assert out == ""
    assert err.startswith(f"1 problem in the response:\n  {path}") and message in err
    assert not (tmp_path / "response.html").exists()


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        ("0001-01-01T00:00:00+05:00", "[SCR303] response: 'collected_at' (0001-01-01T00:00:00+05:00) is not between"),
        ("2026-03-01T10:30:00", "[SCR302] response: 'collected_at' (2026-03-01T10:30:00) has no time zone"),
    ],
)
def test_report_refuses_a_time_it_could_not_print(
    capsys: Capture, mini_files: DefinitionFiles, tmp_path: Path, moment: str, message: str
) -> None:
    path = write_response(tmp_path, {"neck_pain": "no"}, collected_at=moment)
    code, out, err = run(capsys, "report", str(path), "--format", "html", *definition_args(mini_files))
    assert (code, out) == (1, "")
    assert f"{path}:3: {message}" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (alias_bomb(), "more than 100,000 keys, values and list entries"),
        (many_keys(), "more than 100,000 keys, values and list entries"),
        ("items: " + "[" * 100 + "]" * 100, "nested more than 64 levels deep, deeper than a definition may be"),
        ("version: " + "1" * 5000, "a number 5,000 characters long"),
        ("id: mini\nid: other\n", "key 'id' appears twice in the same mapping"),
    ],
    ids=["alias-bomb", "100k-keys", "deep", "huge-int", "duplicate-key"],
)
@pytest.mark.parametrize("which", ["questionnaire", "ruleset"])
def test_a_definition_over_a_limit_is_exit_2_with_the_file_and_the_limit(
    capsys: Capture, tmp_path: Path, which: str, text: str, message: str
) -> None:
    q_path, r_path = write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES)
    broken = q_path if which == "questionnaire" else r_path
    broken.write_text(text, encoding="utf-8")
    for argv in (["validate", str(q_path)], ["score", str(tmp_path / "none.yaml"), *definition_args((q_path, r_path))]):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, "")
        assert err.startswith("1 problem in the definition:\n  " + str(broken)) and message in err, err


def test_test_refuses_a_cases_file_over_a_limit(capsys: Capture, tmp_path: Path) -> None:
    q_path, _ = write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES)
    cases = tmp_path / "def.cases.yaml"
    cases.write_text(alias_bomb(), encoding="utf-8")
    code, out, err = run(capsys, "test", str(q_path))
    assert (code, out) == (2, "")
    assert err.startswith(f"{cases}:") and "more than 100,000 keys, values and list entries" in err


def test_rescore_names_a_hostile_file_and_carries_on(capsys: Capture, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(Path(__file__).resolve().parent.parent / "examples" / "physio_cervicogenic.yaml", folder)
    (folder / "bomb.yaml").write_text(alias_bomb(), encoding="utf-8")
    os.mkfifo(folder / "pipe.yaml")  # no writer: read as empty, never waited on
    q_path, r_path = bundled_files()
    code, out, err = run(
        capsys, "rescore", str(folder), "--ruleset", str(r_path), "--questionnaire", str(q_path), "--all"
    )
    assert code == 0
    assert "bomb.yaml (): cannot be re-assessed: not a response: more than 20,000 keys, values and list entries" in out
    assert "pipe.yaml (): cannot be re-assessed: not a response: a response must be a mapping" in out
    # the summary counts the two that could not be read apart, never as changes
    assert "1 re-assessed with cervicogenic_headache_rules" in err
    assert ": 0 would change; 2 could not be re-assessed (listed above)." in err


# ---------------------------------------------------------------------------------------------
# start-up and help


def test_help_and_version(capsys: Capture) -> None:
    assert main([]) == 0
    assert " ".join(capsys.readouterr().out.split()).endswith(
        "Exit codes: 0 ok; 1 failed (a response that does not fit, a failing case, a file that cannot be read or "
        "written); 2 an input file has problems (definition, cases, settings); 64 the command line is wrong."
    )
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert re.fullmatch(r"screening \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


def test_help_does_not_import_pydantic(tmp_path: Path) -> None:
    check = subprocess.run(
        [sys.executable, "-c", "import screening.cli, sys; print('pydantic' in sys.modules, 'yaml' in sys.modules)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert check.stdout == "False False\n"
    helped = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "screening", "--help"], capture_output=True, text=True, cwd=tmp_path
    )
    assert helped.returncode == 0
    assert "usage: screening" in helped.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in helped.stderr.splitlines() if "|" in line]
    assert "screening.cli" in imported
    assert not [
        name for name in imported if name.split(".")[0] in ("pydantic", "pydantic_core", "yaml", "jinja2", "weasyprint")
    ]


def test_questions_read_the_script_to_staff_and_patient_help_to_patients(
    capsys: pytest.CaptureFixture[str], bundled: Definition
) -> None:
    assert main(["questions", "--staff"]) == 0
    staff = " ".join(capsys.readouterr().out.split())
    assert main(["questions", "--patient"]) == 0
    patient = " ".join(capsys.readouterr().out.split())
    asked = bundled.items["pregnant_or_recent_birth"]
    assert asked.kind != "display" and asked.help and asked.staff_help
    assert f"Note: {asked.staff_help}" in staff and asked.staff in staff
    assert asked.help not in staff and asked.staff_help not in patient
    assert f"Help: {asked.help}" in patient and asked.patient in patient
    for section in bundled.questionnaire.sections:  # each section opens with the words reception says
        assert section.staff_intro and section.staff_intro in staff and section.staff_intro not in patient
    notice = bundled.items["call_999_now_notice"]
    assert notice.kind == "display" and f"Note: {notice.staff_help}" in staff
