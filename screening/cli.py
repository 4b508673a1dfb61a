"""The ``screening`` command line. Thin: parse arguments, call the engine, print, set the exit code.

Only the standard library is imported at start-up so ``screening --help`` answers at once; the engine
(pydantic, YAML) is imported inside the commands that need it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._version import __version__

if TYPE_CHECKING:
    from .definition import Definition

EXIT_OK, EXIT_BAD_RESPONSE, EXIT_BAD_DEFINITION = 0, 1, 2


def _definition_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--questionnaire",
        type=Path,
        metavar="FILE",
        help="questionnaire YAML (default: the bundled cervicogenic headache questionnaire)",
    )
    parser.add_argument(
        "--ruleset",
        type=Path,
        metavar="FILE",
        help="ruleset YAML (default: the questionnaire's NAME.rules.yaml beside it)",
    )


def _ignore_hidden_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ignore-hidden",
        action="store_true",
        help="drop answers to questions that were not shown instead of rejecting the response",
    )


def _rendering_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clinic", type=Path, metavar="SETTINGS", help="clinic settings YAML (default: neutral)")
    parser.add_argument(
        "--generated-at",
        metavar="TIME",
        help="ISO 8601 time printed as 'generated' (default: SOURCE_DATE_EPOCH, else now); "
        "fix it for byte-identical output",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screening",
        description="Screen headaches for a neck-related (cervicogenic) origin and for red flags that need a "
        "doctor. A screening aid, not a diagnosis.",
        epilog="Exit codes: 0 ok, 1 bad response, 2 bad definition.",
    )
    parser.add_argument("--version", action="version", version=f"screening {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

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
    _definition_options(questions)

    score = commands.add_parser(
        "score",
        help="screen one response file (YAML or JSON)",
        description="Screen a response and print the outcome, or the assessment as JSON.",
    )
    score.add_argument(
        "responses",
        nargs="+",
        type=Path,
        metavar="RESPONSE",
        help="response file (YAML or JSON); several may be given for readable summaries",
    )
    score.add_argument("--json", action="store_true", help="print the assessment as a stable JSON document")
    _ignore_hidden_option(score)
    _definition_options(score)

    report = commands.add_parser(
        "report",
        help="write the referral summary (PDF or HTML) for a response",
        description="Write the referral summary for one response: PDF/A-3b with the assessment and the response "
        "embedded as JSON, or the HTML it is made from.",
    )
    report.add_argument("response", type=Path, metavar="RESPONSE", help="response file (YAML or JSON)")
    report.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="where to write (default: RESPONSE with .pdf or .html)"
    )
    report.add_argument("--format", choices=("pdf", "html"), default="pdf", help="pdf (default) or html")
    report.add_argument(
        "--audience",
        choices=("clinician", "patient"),
        default="clinician",
        help="clinician: the referral letter with its evidence (default); patient: a plain-English summary for the "
        "patient, without rule names, criteria codes or differential diagnoses",
    )
    _rendering_options(report)
    _ignore_hidden_option(report)
    _definition_options(report)

    batch = commands.add_parser(
        "batch",
        help="write referral PDFs for every response in a folder",
        description="Render every response (*.yaml, *.yml, *.json) in INPUT_DIR to OUT_DIR, skipping PDFs that are "
        "already up to date. Keeps going past bad files and lists them at the end.",
    )
    batch.add_argument("input_dir", type=Path, metavar="INPUT_DIR")
    batch.add_argument("-o", "--output", type=Path, metavar="OUT_DIR", required=True, help="folder for the PDFs")
    batch.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    batch.add_argument("--force", action="store_true", help="render again even when a PDF is up to date")
    _rendering_options(batch)
    batch.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")
    _definition_options(batch)

    clinic = commands.add_parser(
        "clinic",
        help="check a clinic settings file",
        description="Check clinic settings (name, address, phone, e-mail, time zone, alerts) and report every "
        "problem with its line, including the placeholder address shipped with the program. Exit 0 when the file "
        "can be used for referrals, 2 when it cannot.",
    )
    clinic.add_argument("action", choices=("check",), help="check: validate the file")
    clinic.add_argument("settings", type=Path, metavar="SETTINGS", help="clinic settings YAML")

    schema = commands.add_parser(
        "schema",
        help="print JSON Schemas of the response and assessment",
        description="Print JSON Schema documents for response files and assessments.",
    )
    schema.add_argument("which", nargs="?", choices=("response", "assessment", "all"), default="all")
    _definition_options(schema)

    intake = commands.add_parser(
        "intake",
        help="ask the questions in the terminal (reception staff, reading aloud)",
        description="A guided intake in staff wording: one question at a time, a review, then the result. Saves the "
        "response (JSON) and the referral PDF in the output folder. Ctrl-C offers to save a draft; --resume continues "
        "it.",
    )
    intake.add_argument("--resume", type=Path, metavar="DRAFT", help="continue an intake saved as a draft")
    intake.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="DIR",
        help="folder for the response, the PDF and drafts (default: ./intake; with --resume, the draft's folder)",
    )
    intake.add_argument("--no-pdf", action="store_true", help="save the response without writing the referral PDF")
    intake.add_argument("--clinic", type=Path, metavar="SETTINGS", help="clinic settings YAML (default: neutral)")
    _definition_options(intake)

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
    _definition_options(evaluate)

    diff = commands.add_parser(
        "diff",
        help="what changed between two versions of a definition",
        description="Compare two definitions (each a questionnaire with its NAME.rules.yaml beside it, or a "
        "ruleset with its questionnaire): questions, options, conditions, weights, thresholds, red flags, wording.",
    )
    diff.add_argument("old", type=Path, metavar="OLD_DEFINITION")
    diff.add_argument("new", type=Path, metavar="NEW_DEFINITION")
    diff.add_argument("--json", action="store_true", help="print the changes as JSON")

    export = commands.add_parser(
        "export",
        help="export stored submissions as CSV or JSON lines",
        description="Write one row per stored submission: ids, timestamps, versions, disposition, likelihood, red "
        "flags and one column per question. Spreadsheet-safe: ISO dates, cells that would start a formula are "
        "prefixed with a quote. Patient names are left out unless --with-names.",
    )
    export.add_argument(
        "what", choices=("submissions", "questionnaire"), help="stored submissions, or the questionnaire itself"
    )
    export.add_argument(
        "--format",
        choices=("csv", "jsonl", "fhir"),
        help="submissions: csv (default) or jsonl; questionnaire: fhir (an HL7 FHIR R4 Questionnaire, the default)",
    )
    export.add_argument(
        "--base-url",
        metavar="URL",
        help="where the FHIR Questionnaire is published (its canonical url is BASE/ID; default: a placeholder)",
    )
    export.add_argument(
        "--questionnaire", type=Path, metavar="FILE", help="questionnaire YAML (default: the bundled one)"
    )
    export.add_argument("--ruleset", type=Path, metavar="FILE", help=argparse.SUPPRESS)
    export.add_argument("--since", metavar="DATE", help="only submissions from this date (YYYY-MM-DD, UTC) on")
    export.add_argument("--with-names", action="store_true", help="include patient name, contact and date of birth")
    export.add_argument("--bom", action="store_true", help="start the CSV with a UTF-8 byte-order mark (for Excel)")
    export.add_argument(
        "--clinic",
        type=Path,
        metavar="SETTINGS",
        help="clinic settings YAML, for the time zone of the CSV's 'received' column "
        "(default: $SCREENING_CLINIC, else Europe/London)",
    )
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)")
    _database_options(export)

    rescore = commands.add_parser(
        "rescore",
        help="show which stored results a new ruleset would change",
        description="Re-assess stored submissions (or a folder of response files) under another ruleset and list "
        "every one whose disposition or likelihood would change. Nothing is overwritten.",
    )
    rescore.add_argument("responses", nargs="?", type=Path, metavar="DIR", help="a folder of response files instead")
    rescore.add_argument("--ruleset", type=Path, metavar="FILE", required=True, help="the new ruleset YAML")
    rescore.add_argument(
        "--questionnaire", type=Path, metavar="FILE", help="the questionnaire it scores (default: the bundled one)"
    )
    rescore.add_argument("--json", action="store_true", help="print the changes as JSON lines")
    rescore.add_argument("--all", action="store_true", help="list unchanged submissions too")
    _database_options(rescore)

    serve = commands.add_parser(
        "serve",
        help="run the web intake (patients at /, staff at /staff, API at /api/v1)",
        description="Serve patient self-screening, the staff area and the JSON API. Keeps its SQLite database and "
        "signing key in the data folder unless SCREENING_DATABASE_URL points at a database.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="server processes (default: 1); they share limits, sessions and data through the database",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default="",
        metavar="IPS",
        help="comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto headers are trusted "
        "(default: none, so forwarding headers are ignored)",
    )
    serve.add_argument(
        "--allowed-hosts",
        default="",
        metavar="HOSTS",
        help="comma-separated host names the server answers to (default: any); others get 400",
    )
    _data_option(serve)
    serve.add_argument("--clinic", type=Path, metavar="SETTINGS", help="clinic settings YAML (default: neutral)")
    serve.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark cookies Secure (use when served over HTTPS, e.g. behind a proxy)",
    )
    _definition_options(serve)

    user = commands.add_parser(
        "user",
        help="manage staff accounts",
        description="Create, list, disable or enable staff accounts, or set their passwords. Passwords are stored as "
        "argon2 hashes. A new password or disabling an account ends its open sessions at once.",
    )
    user.add_argument(
        "action",
        choices=("add", "password", "disable", "enable", "list"),
        help="add a user, set a new password, disable or enable an account, or list them all",
    )
    user.add_argument("name", metavar="NAME", nargs="?", help="the user (not needed for list)")
    user.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    _data_option(user)

    token = commands.add_parser(
        "token",
        help="create, list and revoke API tokens for clinic systems",
        description="Create a bearer token for the JSON API (printed once; only its hash is stored), list the "
        "tokens, or revoke one for good.",
    )
    token.add_argument("action", choices=("add", "revoke", "list"))
    token.add_argument("name", metavar="NAME", nargs="?", help="which system the token is for (not needed for list)")
    _data_option(token)
    return parser


def _database_options(parser: argparse.ArgumentParser) -> None:
    _data_option(parser)
    parser.add_argument(
        "--database", metavar="URL", help="a database URL (default: $SCREENING_DATABASE_URL, else the data folder)"
    )


def _data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="data folder for the database and signing key (default: $SCREENING_DATA_DIR or ./screening-data)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    from .errors import ScreeningError

    try:
        handler = {
            "validate": _validate,
            "questions": _questions,
            "score": _score,
            "schema": _schema,
            "clinic": _clinic,
            "report": _report,
            "batch": _batch,
            "test": _test,
            "evaluate": _evaluate,
            "intake": _intake,
            "diff": _diff,
            "export": _export,
            "rescore": _rescore,
            "serve": _web,
            "user": _web,
            "token": _web,
        }
        return handler[args.command](args)
    except ScreeningError as exc:
        print(exc.format_message(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _load(args: argparse.Namespace) -> Definition:
    from .loader import load_definition

    return load_definition(args.questionnaire, args.ruleset)


def _validate(args: argparse.Namespace) -> int:
    from .cases import CASES_SUFFIX
    from .errors import DefinitionError, Problem
    from .loader import (
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
                    )
                )
            for q_path in questionnaires:
                rules = ruleset_path_for(q_path)
                pairs.append((q_path, rules if rules.exists() else None))
        elif path.name.endswith(RULES_SUFFIX):
            pairs.append((questionnaire_path_for(path), path))
        elif not path.exists():
            problems.append(Problem(str(path), None, "", "no such file or folder", "check the path"))
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
    from .text import render_questions

    sys.stdout.write(render_questions(_load(args), args.audience or "patient"))
    return EXIT_OK


def _score(args: argparse.Namespace) -> int:
    from .assessment import assessment_json
    from .errors import ResponseError
    from .reading import load_answers
    from .scorer import assess
    from .text import render_summary

    if args.json and len(args.responses) > 1:
        print("--json takes one response file; score the others one at a time", file=sys.stderr)
        return EXIT_BAD_RESPONSE
    definition = _load(args)
    failed = 0
    for k, path in enumerate(args.responses):
        try:
            response = load_answers(path, definition, hidden="drop" if args.ignore_hidden else "error")
        except ResponseError as exc:
            if len(args.responses) == 1:
                raise
            print(exc.format_message(), file=sys.stderr)
            failed += 1
            continue
        assessment = assess(definition, response)
        if args.json:
            sys.stdout.write(assessment_json(assessment))
            continue
        if len(args.responses) > 1:
            print(("\n" if k else "") + f"== {path}")
        sys.stdout.write(render_summary(assessment, response.respondent))
    return EXIT_BAD_RESPONSE if failed else EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from .errors import ReportError
    from .reading import load_response
    from .report import (
        generated_at_from,
        load_clinic_settings,
        placeholder_warning,
        render_html,
        render_pdf,
        write_atomic,
    )
    from .scorer import assess

    when = generated_at_from(args.generated_at)
    clinic = load_clinic_settings(args.clinic)
    definition = _load(args)
    response = load_response(args.response, definition, hidden="drop" if args.ignore_hidden else "error")
    assessment = assess(definition, response)
    output = args.output or args.response.with_suffix(f".{args.format}")
    audience = args.audience
    if args.format == "html":
        data = render_html(definition, response, assessment, clinic, when, audience=audience).encode("utf-8")
    else:
        data = render_pdf(definition, response, assessment, clinic, when, audience=audience)
    try:
        write_atomic(output, data)
    except OSError as exc:
        raise ReportError(f"{output}: cannot write the report ({exc.strerror or exc}) — choose another path") from exc
    print(f"{output}: {assessment.disposition.value} — {assessment.next_step.title}")
    if warning := placeholder_warning(clinic, args.clinic):  # after the work, so errors stay first and alone
        print(warning, file=sys.stderr)
    return EXIT_OK


def _batch(args: argparse.Namespace) -> int:
    from .batch import run_batch

    return run_batch(args)


def _intake(args: argparse.Namespace) -> int:
    from .intake import run_intake

    return run_intake(args)


def _test(args: argparse.Namespace) -> int:
    from .cases import cases_path_for, coverage, load_cases, run_case
    from .loader import default_questionnaire_path, load_definition

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
    return EXIT_BAD_RESPONSE if failed or (args.require_coverage and gaps) else EXIT_OK


def _evaluate(args: argparse.Namespace) -> int:
    from .cases import CASES_SUFFIX, cases_path_for, load_case_files
    from .evaluate import evaluate, evaluation_json, render_evaluation
    from .loader import default_questionnaire_path

    files: list[Path] = []
    for path in args.cases:
        files += sorted(path.glob(f"*{CASES_SUFFIX}")) if path.is_dir() else [path]
    if not args.cases:
        questionnaire = args.questionnaire or default_questionnaire_path()
        files = [cases_path_for(questionnaire), *sorted((questionnaire.parent / "literature").glob(f"*{CASES_SUFFIX}"))]
    definition = _load(args)
    result = evaluate(definition, load_case_files(files), [str(f) for f in files])
    sys.stdout.write(evaluation_json(result) if args.json else render_evaluation(result))
    return EXIT_OK if result.passed else EXIT_BAD_RESPONSE


def _diff(args: argparse.Namespace) -> int:
    from .diff import diff_definitions, render_diff
    from .loader import RULES_SUFFIX, load_definition, questionnaire_path_for

    def load(path: Path) -> Definition:
        if path.name.endswith(RULES_SUFFIX):
            return load_definition(questionnaire_path_for(path), path)
        return load_definition(path)

    changes = diff_definitions(load(args.old), load(args.new))
    if args.json:
        print(json.dumps(changes.as_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render_diff(changes))
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    import os
    from datetime import date

    from .loader import load_definition
    from .report import load_clinic_settings
    from .tables import write_csv, write_jsonl
    from .web.exports import (
        FIXED_COLUMNS,
        HUMAN_COLUMNS,
        NAME_COLUMNS,
        ExportError,
        database_engine,
        export_row,
        item_columns,
        submissions,
    )

    if args.what == "questionnaire":
        return _export_questionnaire(args)
    if args.format not in (None, "csv", "jsonl"):
        raise ExportError(f"submissions export as csv or jsonl, not {args.format}")
    try:
        since = date.fromisoformat(args.since) if args.since else None
    except ValueError as exc:
        raise ExportError(f"--since {args.since!r} is not a date — write it like 2026-11-21") from exc
    items = item_columns(load_definition())
    csv_out = args.format != "jsonl"
    # people read the CSV: its "received" column is in the clinic's time; JSON lines keep UTC only
    clinic_file = args.clinic or (Path(env) if (env := os.environ.get("SCREENING_CLINIC")) else None)
    zone = load_clinic_settings(clinic_file).zone if csv_out else None
    columns = FIXED_COLUMNS + HUMAN_COLUMNS + (NAME_COLUMNS if args.with_names else []) + items
    engine = database_engine(args.database, args.data)
    records = (export_row(row, items, args.with_names, zone) for row in submissions(engine, since))
    out = args.output.open("w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        count = write_jsonl(records, out) if args.format == "jsonl" else write_csv(records, columns, out, args.bom)
    finally:
        if args.output:
            out.close()
        engine.dispose()
    if args.output:
        print(f"{args.output}: {count} submission{'s' if count != 1 else ''}", file=sys.stderr)
    return EXIT_OK


def _export_questionnaire(args: argparse.Namespace) -> int:
    from .fhir import DEFAULT_BASE_URL, check_questionnaire, questionnaire_resource
    from .report import write_atomic
    from .web.exports import ExportError

    if args.format not in (None, "fhir"):
        raise ExportError(f"the questionnaire exports as fhir, not {args.format}")
    resource = questionnaire_resource(_load(args), base_url=args.base_url or DEFAULT_BASE_URL)
    problems = check_questionnaire(resource)
    if problems:  # our own checks beyond the FHIR structure; a failure here is a bug, not a user error
        raise ExportError("the exported Questionnaire fails its checks:\n  " + "\n  ".join(problems))
    text = json.dumps(resource, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        write_atomic(args.output, text.encode("utf-8"))
        print(f"{args.output}: FHIR R4 Questionnaire {resource['url']}|{resource['version']}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _rescore(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .loader import load_definition
    from .rescore import rescore_files
    from .web.exports import database_engine, rescore_database

    new = load_definition(args.questionnaire, args.ruleset)
    if args.responses:
        changes = list(rescore_files(args.responses, load_definition(args.questionnaire), new))
    else:
        engine = database_engine(args.database, args.data)
        changes = list(rescore_database(engine, new))
        engine.dispose()
    changed = [c for c in changes if c.changed]
    for change in changes if args.all else changed:
        if args.json:
            print(json.dumps(asdict(change), ensure_ascii=False))
        elif change.problem:
            print(f"{change.submission} ({change.created_at}): cannot be re-assessed: {change.problem}")
        else:
            flags = "".join(
                [f" +{f}" for f in change.red_flags_added] + [f" -{f}" for f in change.red_flags_removed]
            )
            print(
                f"{change.submission} ({change.created_at}): {change.old_disposition} -> {change.new_disposition}, "
                f"{change.old_likelihood} -> {change.new_likelihood}" + (f"; red flags{flags}" if flags else "")
            )
    if not args.json:
        print(
            f"{len(changes)} re-assessed with {new.ruleset.id} {new.ruleset.version}: {len(changed)} would change. "
            "Nothing was written.",
            file=sys.stderr,
        )
    return EXIT_OK


def _web(args: argparse.Namespace) -> int:
    from .web.admin import run_command

    return run_command(args)


def _clinic(args: argparse.Namespace) -> int:
    from .errors import ReportError
    from .report import clinic_problems, load_clinic_settings

    path: Path = args.settings
    try:
        problems = clinic_problems(path)
    except ReportError as exc:
        print(exc.format_message(), file=sys.stderr)
        return EXIT_BAD_DEFINITION
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        print(f"{count} in the clinic settings:", *(f"  {p}" for p in problems), sep="\n", file=sys.stderr)
        return EXIT_BAD_DEFINITION
    settings = load_clinic_settings(path)
    print(f"ok: {path} — {settings.name}; times shown in {settings.time_zone}")
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from .assessment import assessment_schema
    from .schema import response_schema

    definition = _load(args)
    documents = {"response": response_schema(definition), "assessment": assessment_schema()}
    chosen = documents if args.which == "all" else documents[args.which]
    print(json.dumps(chosen, indent=2, ensure_ascii=False))
    return EXIT_OK


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
