"""One intake from start to finish: the questions, then the saved response, the result and the PDF.

An emergency stops the questions only once staff confirm it. Ctrl-C offers to save a draft that
``screening intake --resume DRAFT`` continues, or to go back to the questions. Nothing here logs: answers are
personal.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ..assessment import Assessment, RedFlagResult
from ..clinic import ClinicSettings
from ..definition import Definition
from ..error_codes import ErrorCode
from ..errors import ReportError, ScreeningError
from ..labels import GRADE_LABELS, URGENCY_LABELS
from ..model import Disposition
from ..report import load_clinic_settings, render_pdf, write_atomic
from ..response import response_json
from ..text import outcome_words
from .drafts import DETAILS, Draft, IntakeError, draft_json, load_draft
from .interview import SELECT_HINT, Interview, Outcome
from .prompts import WIDTH, Choices, Nav, Prompts, Screen, Terminal

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


def conduct_intake(
    definition: Definition,
    folder: Path,
    *,
    draft: Draft | None = None,
    draft_path: Path | None = None,
    clinic: ClinicSettings | None = None,
    pdf: bool = True,
    terminal: Terminal | None = None,
    clock: Callable[[], datetime] | None = None,
    hint_options: str = "",
) -> int:
    """Run one intake on a terminal (the real one unless ``terminal`` says otherwise); return the exit code.

    0: the response was saved (and the PDF, unless ``pdf`` is false); 130: stopped (a draft may have been
    saved); 1: something could not be written. Files go in ``folder``, named by time and a random id.
    ``hint_options`` is repeated in the commands printed for resuming or for making the PDF later.
    """
    terminal = terminal or Terminal()
    if terminal.input is None and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise IntakeError(
            "screening intake asks its questions in a terminal: run it in an interactive terminal",
            ErrorCode.INTAKE_NO_TERMINAL,
        )
    _check_folder(folder)
    q = definition.questionnaire
    draft = draft or Draft(q.id, q.version)
    screen = Screen(terminal.stream or sys.stdout)
    interview = Interview(definition, draft, Prompts(terminal, screen), screen, clock or _now)
    screen.say(f"{q.title.upper()}: reception intake ({q.id} {q.version})", "heading")
    screen.say(
        "Read each question aloud. Nothing is chosen until you choose it: press the key shown (or use the arrow "
        "keys), then Enter. Choose ← Back, or type <, to go back. Ctrl-C stops (you can save a draft).",
        "dim",
    )
    if draft.name:
        screen.say(f"Continuing the intake for {draft.name}: {len(draft.answers)} answers so far.", "bold")
    start = interview.first_open()
    while True:
        try:
            outcome: Outcome = interview.run(start)
            break
        except (KeyboardInterrupt, EOFError):
            choice = _stopped(interview, draft_path)
        if choice == "discard":
            return EXIT_INTERRUPTED
        if choice == "save":
            return _save_draft(interview, folder, draft_path, hint_options)
        start = draft.current  # back to the question that was on screen
    if outcome == "cancel":
        return _save_draft(interview, folder, draft_path, hint_options)
    if outcome == "emergency":
        _alarm(screen, definition, interview.emergencies())
    return _finish(
        interview,
        folder,
        emergency=outcome == "emergency",
        pdf=pdf,
        clinic=clinic,
        draft_path=draft_path,
        hint_options=hint_options,
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _check_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IntakeError(
            f"{folder}: cannot create the folder ({exc.strerror}) — choose another with -o", ErrorCode.INTAKE_FOLDER
        ) from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise IntakeError(f"{folder}: cannot write to this folder — choose another with -o", ErrorCode.INTAKE_FOLDER)


def _file_stem(kind: str, when: datetime) -> str:
    """A file name without the patient's name: when, and a random id so two intakes never collide."""
    return f"{kind}-{when:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def _stopped(interview: Interview, draft_path: Path | None) -> str:
    """After Ctrl-C: "save" a draft, "discard" the answers given now, or go "back" to the questions."""
    screen, draft = interview.screen, interview.draft
    screen.say()
    screen.say("Stopped.", "bold")
    if not any(draft.detail(step) for step in DETAILS) and not draft.answers:
        screen.say("Nothing had been entered; nothing was saved.")
        return "discard"
    choices: Choices = [
        ("Save a draft to finish later", "save", "s"),
        ("Discard the answers given now", "discard", "d"),
        ("← Back to the questions", Nav.BACK, "b"),
    ]
    try:
        choice = interview.prompts.select("Save a draft to finish later?", choices, hint=SELECT_HINT)
    except (KeyboardInterrupt, EOFError):
        choice = "discard"
    if choice is Nav.BACK:
        return "back"
    if choice == "discard":
        kept = f" (the draft {draft_path} is as it was)" if draft_path else ""
        screen.say(f"Not saved: the answers given now were discarded{kept}.", wrap=False)
    return str(choice)


def _save_draft(interview: Interview, folder: Path, draft_path: Path | None, hint: str) -> int:
    now = interview.clock()
    path = draft_path or folder / f"{_file_stem('draft', now)}.json"
    try:
        write_atomic(path, draft_json(interview.draft, now).encode("utf-8"))
    except OSError as exc:
        interview.screen.say(f"Could not save the draft at {path} ({exc.strerror or exc}).", "warn")
        return EXIT_FAILED
    interview.screen.say(f"Draft saved: {path}", "bold", wrap=False)
    interview.screen.say("To continue:", "bold")
    interview.screen.say(f"screening intake --resume {shlex.quote(str(path))}{hint}", indent="  ", wrap=False)
    return EXIT_INTERRUPTED


def _alarm(screen: Screen, definition: Definition, flags: list[RedFlagResult]) -> None:
    """Stop everything: the emergency instruction for staff, as loud as a terminal gets."""
    text = definition.ruleset.disposition.texts[Disposition.EMERGENCY]
    bar = "!" * WIDTH
    screen.say()
    screen.say(bar, "alarm")
    screen.say(f"STOP THE QUESTIONS. EMERGENCY: {text.title.upper()}", "alarm")
    screen.say(text.staff, "alarm")
    for flag in flags:
        screen.say(f"Because: {flag.title}. {flag.staff_message}", "alarm")
    screen.say(bar, "alarm")
    screen.say("Saving what has been answered so far…", "dim")


def _show_result(screen: Screen, definition: Definition, assessment: Assessment, *, stopped_early: bool) -> None:
    """What to do first, then why: red flags, then red flags not yet ruled out."""
    a, step = assessment, assessment.next_step
    urgent = a.disposition in (Disposition.EMERGENCY, Disposition.URGENT_GP)
    screen.say()
    screen.say(f"RESULT: {outcome_words(a)}: {step.title}", "alarm" if urgent else "heading")
    if not stopped_early:  # else the alarm has just said it
        screen.say(step.staff, "bold", "  ", "  ")
    screen.say(f"When: {step.time_frame}", "", "  ")
    if a.red_flags:
        screen.say()
        screen.say("Red flags:", "bold")
        for flag in a.red_flags:
            screen.say(f"! {flag.title} ({URGENCY_LABELS[flag.urgency]})", "warn", "  ", "    ")
            screen.say(flag.staff_message, "", "    ", "    ")
    if a.to_check and stopped_early:
        screen.say()
        others = "1 other red flag was" if len(a.to_check) == 1 else f"{len(a.to_check)} other red flags were"
        screen.say(f"{others} not checked: the questions stopped early.", "bold")
    elif a.to_check:
        screen.say()
        screen.say("To check: not ruled out (answered 'not sure' or not answered):", "bold")
        for flag in a.to_check:
            screen.say(f"? {flag.title} ({URGENCY_LABELS[flag.urgency]})", "", "  ", "    ")
            for read in flag.answers:
                if read.status != "answered":
                    screen.say(f"ask: {definition.items[read.item].staff}", "dim", "    ", "      ")
    lk = a.likelihood
    screen.say()
    screen.say(f"Neck-related headache: {GRADE_LABELS[lk.grade.value]} ({lk.points} of {lk.maximum} points)")


def _finish(
    interview: Interview,
    folder: Path,
    *,
    emergency: bool,
    pdf: bool,
    clinic: ClinicSettings | None,
    draft_path: Path | None,
    hint_options: str,
) -> int:
    """Save the response, show the result, write the PDF."""
    screen, definition = interview.screen, interview.d
    response, assessment = interview.assessment(partial=emergency)
    stem = _file_stem("intake", response.collected_at)
    response_path, pdf_path = folder / f"{stem}.json", folder / f"{stem}.pdf"
    try:
        write_atomic(response_path, response_json(response).encode("utf-8"))
    except OSError as exc:
        raise IntakeError(
            f"{response_path}: cannot save the response ({exc.strerror or exc})", ErrorCode.INTAKE_UNSAVED
        ) from exc
    _show_result(screen, definition, assessment, stopped_early=emergency)
    screen.say()
    screen.say(f"Response saved: {response_path}", "bold", wrap=False)
    if draft_path is not None:
        draft_path.unlink(missing_ok=True)  # finished: the draft would only be a second copy of personal data
        screen.say(f"Draft removed:  {draft_path}", wrap=False)
    if not pdf:
        return EXIT_OK
    screen.say("Writing the referral PDF…", "dim")
    try:
        data = render_pdf(definition, response, assessment, clinic, response.collected_at)
        write_atomic(pdf_path, data)
    except (ReportError, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        screen.say(f"Could not write the PDF ({reason}). The answers are saved.", "warn")
        if not emergency:  # `screening report` takes complete responses only
            screen.say("Make the PDF later with:")
            screen.say(f"screening report {shlex.quote(str(response_path))}{hint_options}", indent="  ", wrap=False)
        return EXIT_FAILED
    screen.say(f"PDF saved:      {pdf_path}", "bold", wrap=False)
    return EXIT_OK


def run_intake(args: argparse.Namespace) -> int:
    """``screening intake``: load the definition (and the draft to resume), then run the intake."""
    from ..loader import load_definition

    try:
        definition = load_definition(args.questionnaire, args.ruleset)
        clinic = load_clinic_settings(args.clinic)
        draft = load_draft(args.resume, definition) if args.resume else None
        folder = args.output or (args.resume.parent if args.resume else Path("intake"))
        options = (("--questionnaire", args.questionnaire), ("--ruleset", args.ruleset), ("--clinic", args.clinic))
        hint = "".join(f" {flag} {shlex.quote(str(value))}" for flag, value in options if value)
        return conduct_intake(
            definition,
            folder,
            draft=draft,
            draft_path=args.resume,
            clinic=clinic,
            pdf=not args.no_pdf,
            hint_options=hint,
        )
    except ScreeningError as exc:
        print(exc.format_message(), file=sys.stderr)
        return exc.exit_code
