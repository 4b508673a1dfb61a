"""Commands about definitions and their checks: validate, questions, clinic, schema, test, evaluate, diff."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .common import EXIT_FAILURE, EXIT_INVALID, EXIT_OK, definition_options, load

if TYPE_CHECKING:
    from ..definition import Definition
    from .common import Commands


def add_validate(commands: Commands) -> None:
    validate = commands.add_parser(
        "validate",
        help="check questionnaire and ruleset files",
        description="Check definitions and report every problem with its file and line.",
    )
    validate.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="questionnaire or ruleset files, or folders of them (default: the bundled ones)",
    )
    validate.set_defaults(handler=_validate)


def add_questions(commands: Commands) -> None:
    questions = commands.add_parser(
        "questions",
        help="print the questionnaire as readable text",
        description="Print every question, its answers and when it is asked.",
    )
    wording = questions.add_mutually_exclusive_group()
    wording.add_argument(
        "--staff", dest="audience", action="store_const", const="staff", help="staff wording, for reading aloud"
    )
    wording.add_argument(
        "--patient", dest="audience", action="store_const", const="patient", help="patient wording (default)"
    )
    definition_options(questions)
    questions.set_defaults(handler=_questions)


def add_clinic(commands: Commands) -> None:
    clinic = commands.add_parser(
        "clinic",
        help="check a clinic settings file",
        description="Check clinic settings (name, address, phone, e-mail, time zone, alerts) and report every "
        "problem with its line, including the placeholder address shipped with the program. Exit 0 when the file "
        "can be used for referrals, 2 when it cannot.",
    )
    clinic.add_argument("action", choices=("check",), help="check: validate the file")
    clinic.add_argument("settings", type=Path, metavar="SETTINGS", help="clinic settings YAML")
    clinic.set_defaults(handler=_clinic)


def add_schema(commands: Commands) -> None:
    schema = commands.add_parser(
        "schema",
        help="print JSON Schemas of the response and assessment",
        description="Print JSON Schema documents for response files and assessments.",
    )
    schema.add_argument("which", nargs="?", choices=("response", "assessment", "all"), default="all")
    definition_options(schema)
    schema.set_defaults(handler=_schema)


def add_test(commands: Commands) -> None:
    test = commands.add_parser(
        "test",
        help="run a definition's cases and report what no case exercises",
        description="Run the cases beside a questionnaire (NAME.cases.yaml: answers and the expected disposition, "
        "likelihood and rules) and report the rules that never fired and the questions no case answered.",
    )
    test.add_argument(
        "definition",
        nargs="?",
        type=Path,
        metavar="DEFINITION",
        help="questionnaire YAML (default: the bundled one); its ruleset and cases are found beside it",
    )
    test.add_argument("--cases", type=Path, metavar="FILE", help="cases file (default: NAME.cases.yaml beside it)")
    test.add_argument(
        "--require-coverage",
        action="store_true",
        help="also fail (exit 1) when a rule never fires or a question is never answered",
    )
    test.set_defaults(handler=_test)


def add_evaluate(commands: Commands) -> None:
    evaluate = commands.add_parser(
        "evaluate",
        help="measure triage on case banks: confusion matrix, safety targets, every miss",
        description="Screen every case and compare its disposition with the expected one and the acceptable set: "
        "a confusion matrix, emergency sensitivity, urgent floor, acceptable triage, 999 false alarms, over- and "
        "under-triage, cervicogenic cases graded likely or possible, and every miss with the rules behind it. "
        "Exit 0 when the targets are met (emergency sensitivity 100%, urgent floor 100%, acceptable triage at "
        "least 90%, 999 false alarms at most 5%), 1 when one is missed or a case cannot be screened, 2 when a "
        "cases file cannot be read.",
    )
    evaluate.add_argument(
        "cases",
        nargs="*",
        type=Path,
        metavar="CASES",
        help="cases files or folders of *.cases.yaml (default: NAME.cases.yaml beside the questionnaire and every "
        "literature/*.cases.yaml beside it)",
    )
    evaluate.add_argument("--json", action="store_true", help="print the measures, matrix and misses as JSON")
    definition_options(evaluate)
    evaluate.set_defaults(handler=_evaluate)


def add_diff(commands: Commands) -> None:
    diff = commands.add_parser(
        "diff",
        help="what changed between two versions of a definition",
        description="Compare two definitions (each a questionnaire with its NAME.rules.yaml beside it, or a "
        "ruleset with its questionnaire): questions, options, conditions, weights, thresholds, red flags, wording.",
    )
    diff.add_argument("old", type=Path, metavar="OLD_DEFINITION")
    diff.add_argument("new", type=Path, metavar="NEW_DEFINITION")
    diff.add_argument("--json", action="store_true", help="print the changes as JSON")
    diff.set_defaults(handler=_diff)


def _validate(args: argparse.Namespace) -> int:
    from ..cases import CASES_SUFFIX
    from ..error_codes import ErrorCode
    from ..errors import DefinitionError, Problem
    from ..loader import (
        RULES_SUFFIX,
        bundled_dir,
        load_definition,
        load_questionnaire,
        questionnaire_path_for,
        ruleset_path_for,
    )

    paths: list[Path] = args.paths or [bundled_dir("questionnaires")]
    pairs: list[tuple[Path, Path | None]] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
            questionnaires = [p for p in files if not p.name.endswith((RULES_SUFFIX, CASES_SUFFIX))]
            if not questionnaires:
                problems.append(
                    Problem(
                        str(path),
                        None,
                        "",
                        "no questionnaire files (*.yaml) here",
                        "point at a folder or file with definitions",
                        code=ErrorCode.NO_DEFINITIONS,
                    )
                )
            for q_path in questionnaires:
                rules = ruleset_path_for(q_path)
                pairs.append((q_path, rules if rules.exists() else None))
        elif path.name.endswith(RULES_SUFFIX):
            pairs.append((questionnaire_path_for(path), path))
        elif not path.exists():
            message, fix = "no such file or folder", "check the path"
            problems.append(Problem(str(path), None, "", message, fix, code=ErrorCode.NO_SUCH_PATH))
        else:
            rules = ruleset_path_for(path)
            pairs.append((path, rules if rules.exists() else None))
    for q_path, r_path in dict.fromkeys(pairs):
        try:
            if r_path is None:
                q = load_questionnaire(q_path)
                print(f"ok: {q_path} — questionnaire {q.id} {q.version}, {len(q.items())} items (no ruleset beside it)")
            else:
                d = load_definition(q_path, r_path)
                r = d.ruleset
                count = len(r.findings) + len(r.red_flags) + len(r.features) + len(r.differentials)
                print(
                    f"ok: {q_path} + {r_path.name} — questionnaire {d.questionnaire.id} {d.questionnaire.version}, "
                    f"{len(d.items)} items; ruleset {r.id} {r.version}, {count} rules"
                )
        except DefinitionError as exc:
            problems += exc.problems
    if problems:
        raise DefinitionError(problems)
    return EXIT_OK


def _questions(args: argparse.Namespace) -> int:
    from ..text import render_questions

    sys.stdout.write(render_questions(load(args), args.audience or "patient"))
    return EXIT_OK


def _clinic(args: argparse.Namespace) -> int:
    from ..clinic_file import clinic_problems, load_clinic_settings
    from ..errors import ClinicSettingsError

    path: Path = args.settings
    try:
        problems = clinic_problems(path)
    except ClinicSettingsError as exc:
        print(exc.format_message(), file=sys.stderr)
        return EXIT_INVALID
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        print(f"{count} in the clinic settings:", *(f"  {p}" for p in problems), sep="\n", file=sys.stderr)
        return EXIT_INVALID
    settings = load_clinic_settings(path)
    print(f"ok: {path} — {settings.name}; times shown in {settings.time_zone}")
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from ..assessment import assessment_schema
    from ..schema import response_schema

    definition = load(args)
    documents = {"response": response_schema(definition), "assessment": assessment_schema()}
    chosen = documents if args.which == "all" else documents[args.which]
    print(json.dumps(chosen, indent=2, ensure_ascii=False))
    return EXIT_OK


def _test(args: argparse.Namespace) -> int:
    from ..cases import cases_path_for, coverage, load_cases, run_case
    from ..loader import default_questionnaire_path, load_definition

    questionnaire = args.definition or default_questionnaire_path()
    definition = load_definition(questionnaire)
    cases_file = args.cases or cases_path_for(questionnaire)
    results = [run_case(definition, case) for case in load_cases(cases_file)]
    for result in results:
        mark = "ok  " if not result.failures else "FAIL"
        print(f"{mark} line {result.case.source.rpartition(':')[2]:>5}  {result.case.title}")
        for failure in result.failures:
            print(f"        {failure}")
    failed = sum(1 for r in results if r.failures)
    print(f"\n{len(results)} cases from {cases_file}: {len(results) - failed} passed, {failed} failed")
    cover = coverage(definition, results)
    fired = cover.rules_total - len(cover.rules_never_fired)
    answered = cover.items_total - len(cover.items_never_answered)
    print(f"Rules that fired in some case: {fired} of {cover.rules_total}")
    for kind, rule_id in cover.rules_never_fired:
        print(f"  never fired: {kind} {rule_id}")
    print(f"Questions answered in some case: {answered} of {cover.items_total}")
    for item_id in cover.items_never_answered:
        print(f"  never answered: {item_id}")
    gaps = bool(cover.rules_never_fired or cover.items_never_answered)
    return EXIT_FAILURE if failed or (args.require_coverage and gaps) else EXIT_OK


def _evaluate(args: argparse.Namespace) -> int:
    from ..cases import CASES_SUFFIX, cases_path_for, load_case_files
    from ..evaluate import evaluate, evaluation_json, render_evaluation
    from ..loader import default_questionnaire_path

    files: list[Path] = []
    for path in args.cases:
        files += sorted(path.glob(f"*{CASES_SUFFIX}")) if path.is_dir() else [path]
    if not args.cases:
        questionnaire = args.questionnaire or default_questionnaire_path()
        files = [cases_path_for(questionnaire), *sorted((questionnaire.parent / "literature").glob(f"*{CASES_SUFFIX}"))]
    definition = load(args)
    result = evaluate(definition, load_case_files(files), [str(f) for f in files])
    sys.stdout.write(evaluation_json(result) if args.json else render_evaluation(result))
    return EXIT_OK if result.passed else EXIT_FAILURE


def _diff(args: argparse.Namespace) -> int:
    from ..diff import diff_definitions, render_diff
    from ..loader import RULES_SUFFIX, load_definition, questionnaire_path_for

    def load_one(path: Path) -> Definition:
        if path.name.endswith(RULES_SUFFIX):
            return load_definition(questionnaire_path_for(path), path)
        return load_definition(path)

    changes = diff_definitions(load_one(args.old), load_one(args.new))
    if args.json:
        print(json.dumps(changes.as_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render_diff(changes))
    return EXIT_OK
