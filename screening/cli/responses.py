"""Commands that screen responses: score, report, batch and the terminal intake."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    definition_options,
    ignore_hidden_option,
    load,
    rendering_options,
    usage_error,
)

if TYPE_CHECKING:
    from .common import Commands


def add_score(commands: Commands) -> None:
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
    ignore_hidden_option(score)
    definition_options(score)
    score.set_defaults(handler=_score)


def add_report(commands: Commands) -> None:
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
    rendering_options(report)
    ignore_hidden_option(report)
    definition_options(report)
    report.set_defaults(handler=_report)


def add_batch(commands: Commands) -> None:
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
    rendering_options(batch)
    batch.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")
    definition_options(batch)
    batch.set_defaults(handler=_batch)


def add_intake(commands: Commands) -> None:
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
    definition_options(intake)
    intake.set_defaults(handler=_intake)


def _score(args: argparse.Namespace) -> int:
    from ..assessment import assessment_json
    from ..errors import ResponseError
    from ..reading import load_answers
    from ..scorer import assess
    from ..text import render_summary

    if args.json and len(args.responses) > 1:
        raise usage_error("--json", "takes one response file", "score the others one at a time")
    definition = load(args)
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
    return EXIT_FAILURE if failed else EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from ..clinic_file import load_clinic_settings, placeholder_warning
    from ..error_codes import ErrorCode
    from ..errors import Problem, ReportError
    from ..reading import load_response
    from ..report import generated_at_from, render_html, render_pdf, write_atomic
    from ..scorer import assess

    when = generated_at_from(args.generated_at)
    clinic = load_clinic_settings(args.clinic)
    definition = load(args)
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
        message, fix = f"cannot write the report ({exc.strerror or exc})", "choose another path"
        raise ReportError(Problem(str(output), None, "", message, fix, code=ErrorCode.REPORT_UNWRITABLE)) from exc
    print(f"{output}: {assessment.disposition.value} — {assessment.next_step.title}")
    if warning := placeholder_warning(clinic, args.clinic):  # after the work, so errors stay first and alone
        print(warning, file=sys.stderr)
    return EXIT_OK


def _batch(args: argparse.Namespace) -> int:
    from ..batch import run_batch

    return run_batch(args)


def _intake(args: argparse.Namespace) -> int:
    from ..intake import run_intake

    return run_intake(args)
