"""Terminal intake for reception: read the questions aloud one at a time, then save the response and the PDF.

Staff wording throughout. Which question comes next is worked out again after every answer, so follow-up
questions appear and disappear as they do on the web form. An emergency red flag stops the questions at
once. Ctrl-C offers to save a draft that ``screening intake --resume DRAFT`` continues. questionary (and
with it prompt_toolkit) is imported only when a prompt is shown. Nothing here logs: answers are personal.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TextIO, cast

from .answers import control_character_problem
from .assessment import AnswerRead, Assessment, RedFlagResult, emergency_flags
from .definition import Definition
from .errors import ReportError, ScreeningError
from .jsonio import loads_strict
from .limits import RESPONSE_LIMITS, LimitError, read_bounded
from .model import NOT_SURE, DisplayItem, Disposition, IntegerItem, MultiChoiceItem, ScaleItem, TextItem, YesNoItem
from .report import (
    GRADE_LABELS,
    URGENCY_LABELS,
    ClinicSettings,
    answer_text,
    load_clinic_settings,
    render_pdf,
    write_atomic,
)
from .response import Answer, Response, parse_response, response_json
from .scorer import assess
from .text import outcome_words
from .wording import WHOLE_NUMBER, detail_errors, required_message

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

DRAFT_KIND = "screening-intake-draft"
NAME, CONTACT, REVIEW = "<name>", "<contact>", "<review>"  # steps besides the questions (never item ids)
EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130
WIDTH = 100
Outcome = Literal["review", "save", "cancel", "emergency"]


class Nav(Enum):
    """A choice that moves through the questions instead of answering one."""

    BACK = "back"
    SKIP = "skip"


Asked = Answer | None | Literal[Nav.BACK]  # an answer, no answer (skipped), or "go back"


class IntakeError(ScreeningError):
    """The intake cannot start or cannot save: an unreadable draft, an unwritable folder, no terminal."""

    exit_code = 1


@dataclass
class Draft:
    """An intake in progress: who it is about, the answers so far, and where it stopped."""

    questionnaire: str
    version: str
    name: str = ""
    contact: str = ""
    answers: dict[str, Answer] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)  # optional questions deliberately left unanswered
    current: str = NAME


@dataclass(frozen=True)
class Terminal:
    """Where prompts read keys and draw (the real terminal when None) and where messages go (stdout)."""

    input: Input | None = None
    output: Output | None = None
    stream: TextIO | None = None


# ---------------------------------------------------------------------------------------------
# Drafts


def draft_json(draft: Draft, saved_at: datetime) -> str:
    data = {
        "kind": DRAFT_KIND,
        "questionnaire": draft.questionnaire,
        "version": draft.version,
        "saved_at": saved_at.isoformat(),
        "patient": {"name": draft.name, "contact": draft.contact},
        "answers": draft.answers,
        "skipped": sorted(draft.skipped),
        "current": draft.current,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def load_draft(path: Path, definition: Definition) -> Draft:
    """Read a draft saved by an interrupted intake; its answers are checked like a response's."""
    damaged = f"{path}: the draft is damaged"
    try:
        data = loads_strict(read_bounded(path, RESPONSE_LIMITS))
    except OSError as exc:
        raise IntakeError(f"{path}: cannot read the draft ({exc.strerror}) — check the path") from exc
    except LimitError as exc:
        raise IntakeError(f"{damaged} ({exc.message}) — start the intake again") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise IntakeError(f"{damaged} (not JSON) — start the intake again") from exc
    if not isinstance(data, dict) or data.get("kind") != DRAFT_KIND:
        raise IntakeError(f"{path}: not a draft saved by screening intake — pass the file the intake printed")
    q = definition.questionnaire
    major = str(data.get("version", "")).split(".")[0]
    if data.get("questionnaire") != q.id or major != q.version.split(".")[0]:
        raise IntakeError(
            f"{path}: the draft is for questionnaire {data.get('questionnaire')} {data.get('version')}, not "
            f"{q.id} {q.version} — resume it with the questionnaire it was started with (--questionnaire)"
        )
    patient, skipped, current = data.get("patient"), data.get("skipped"), data.get("current")
    if not isinstance(patient, dict) or not isinstance(skipped, list) or not isinstance(current, str):
        raise IntakeError(f"{damaged} (patient, skipped or current is missing) — start the intake again")
    draft = Draft(q.id, q.version, str(patient.get("name") or ""), str(patient.get("contact") or ""))
    envelope = _envelope(draft, data.get("answers"), datetime.now(UTC))
    response = parse_response(envelope, definition, hidden="drop", partial=True, source=str(path))
    draft.answers = dict(response.answers)
    draft.skipped = {s for s in skipped if s == CONTACT or (s in definition.items and s not in definition.required)}
    draft.current = current
    return draft


def _envelope(draft: Draft, answers: Any, collected_at: datetime) -> dict[str, Any]:
    """The draft as response data, for ``parse_response``."""
    patient = {key: value for key, value in (("name", draft.name), ("contact", draft.contact)) if value}
    return {
        "questionnaire": draft.questionnaire,
        "version": draft.version,
        "respondent": "staff",
        "collected_at": collected_at.isoformat(),
        "patient": patient or None,
        "answers": answers,
    }


# ---------------------------------------------------------------------------------------------
# The terminal: printed lines and questionary prompts


class _Screen:
    """Printed lines, wrapped, and in colour on a real terminal (unless NO_COLOR is set)."""

    STYLES: ClassVar = {"heading": "1;36", "bold": "1", "dim": "2", "alarm": "1;97;41", "warn": "1;33"}

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.colour = stream.isatty() and "NO_COLOR" not in os.environ

    def say(
        self, text: str = "", style: str = "", indent: str = "", hang: str | None = None, wrap: bool = True
    ) -> None:
        """A message, wrapped unless it holds a path or a command to copy."""
        lines = textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent if hang is None else hang)
        lines = lines if wrap else [indent + text]
        if style and self.colour:
            lines = [f"\x1b[{self.STYLES[style]}m{line}\x1b[0m" for line in lines]
        print("\n".join(lines), file=self.stream, flush=True)


Choices = list[tuple[str, Any, Any]]  # title, value, and the shortcut key (select) or whether ticked (checkbox)


class _Prompts:
    """questionary prompts on one terminal. Each returns the answer or raises KeyboardInterrupt (Ctrl-C)."""

    def __init__(self, terminal: Terminal) -> None:
        self.io: dict[str, Any] = {"input": terminal.input, "output": terminal.output}

    def select(self, message: str, choices: Choices, default: Any = None, hint: str = "", search: bool = False) -> Any:
        from questionary import Choice, select

        options = [Choice(title, value, shortcut_key=key or False) for title, value, key in choices]
        default = default if default in [value for _, value, _ in choices] else None
        # no j/k movement: those keys are letter shortcuts, or typed to filter a long list
        keys: dict[str, Any] = {"use_search_filter": True} if search else {"use_shortcuts": True}
        question = select(message, options, default, instruction=hint or None, use_jk_keys=False, **keys, **self.io)
        return question.unsafe_ask()

    def checkbox(self, message: str, choices: Choices, validate: Callable[[list[Any]], bool | str], hint: str) -> Any:
        from questionary import Choice, checkbox

        options = [Choice(title, value, checked=ticked) for title, value, ticked in choices]
        return checkbox(
            message, options, validate=validate, instruction=hint, use_jk_keys=False, **self.io
        ).unsafe_ask()

    def text(self, message: str, validate: Callable[[str], bool | str], default: str, hint: str) -> str:
        from questionary import text

        question = text(message, default, validate, instruction=hint, validate_while_typing=False, **self.io)
        return str(question.unsafe_ask()).strip()

    def confirm(self, message: str) -> bool:
        from questionary import confirm

        return bool(confirm(message, default=True, **self.io).unsafe_ask())


def answer_label(definition: Definition, item_id: str, value: Answer) -> str:
    """An answer as staff read it back: option labels, numbers with their unit."""
    if value == NOT_SURE and isinstance(definition.items[item_id], YesNoItem):
        return "Not sure"
    return answer_text(definition, AnswerRead(item_id, "answered", tuple(value) if isinstance(value, list) else value))


def _name_problem(text: str) -> str:
    return detail_errors({"name": text}, contact_required=False, today=date.today()).get("name", "")


def _contact_problem(text: str) -> str:
    return detail_errors({"name": "-", "contact": text}, contact_required=False, today=date.today()).get("contact", "")


def _typed_problem(item: IntegerItem | ScaleItem | TextItem, text: str) -> str:
    """What is wrong with a typed answer, in the words the web form uses; empty when it is fine."""
    if not text:
        return required_message(item) if item.required else ""
    if isinstance(item, TextItem):
        if len(text) > item.max_length:
            return f"Keep this answer to {item.max_length} characters or fewer (it has {len(text)})"
        return "Remove the special characters that cannot be stored" if control_character_problem(text) else ""
    if WHOLE_NUMBER.match(text) and item.min <= int(text) <= item.max:
        return ""
    unit = f" ({item.unit})" if isinstance(item, IntegerItem) else ""
    return f"Enter a whole number from {item.min} to {item.max}{unit}"


def _typed_hint(item: IntegerItem | ScaleItem | TextItem) -> str:
    if isinstance(item, TextItem):
        hint = f"up to {item.max_length} characters"
    elif isinstance(item, IntegerItem):
        hint = f"{item.min}–{item.max} {item.unit}"
    elif item.min_label.startswith(str(item.min)) and item.max_label.startswith(str(item.max)):
        hint = f"{item.min_label} … {item.max_label}"  # labels like "0 means no pain"
    else:
        hint = f"{item.min} = {item.min_label} … {item.max} = {item.max_label}"
    return hint + ("" if item.required else "; Enter to skip")


def _multi_problem(item: MultiChoiceItem, chosen: list[Any]) -> str:
    if Nav.BACK in chosen:
        return "Untick the other options to go back" if len(chosen) > 1 else ""
    if not chosen:
        return required_message(item) if item.required else ""
    exclusive = [o.label for o in item.options if o.exclusive and o.code in chosen]
    return f"'{exclusive[0]}' cannot be ticked together with other options" if exclusive and len(chosen) > 1 else ""


# ---------------------------------------------------------------------------------------------
# The interview


class _Interview:
    """Asks the questions in order and keeps the draft up to date after every answer."""

    def __init__(
        self, definition: Definition, draft: Draft, prompts: _Prompts, screen: _Screen, clock: Callable[[], datetime]
    ) -> None:
        self.d, self.draft, self.prompts, self.screen, self.clock = definition, draft, prompts, screen, clock
        answerable = [i for i in definition.items if definition.is_answerable(i)]
        self.number = {item_id: n for n, item_id in enumerate(answerable, start=1)}  # as `screening questions`
        self.rank = {NAME: -2, CONTACT: -1, **definition.position}
        self.section = {item.id: s for s in definition.questionnaire.sections for item in s.items}
        self.last_section = ""

    # where we are ------------------------------------------------------------------------------

    def steps(self, *, answerable: bool = False) -> list[str]:
        """Name, contact, then every question shown for the answers so far, in order."""
        _, shown = self.d.effective_values(self.draft.answers)
        items = (i for i in self.d.items if shown[i] is True and (not answerable or self.d.is_answerable(i)))
        return [NAME, CONTACT, *items]

    def is_open(self, step: str) -> bool:
        """Not answered and not skipped yet."""
        if step in (NAME, CONTACT):
            return not (self.draft.name if step == NAME else self.draft.contact) and step not in self.draft.skipped
        return step not in self.draft.answers and step not in self.draft.skipped and self.d.is_answerable(step)

    def first_open(self) -> str:
        return next((s for s in self.steps() if self.is_open(s)), REVIEW)

    def after(self, step: str, *, only_open: bool) -> str:
        later = (s for s in self.steps() if self.rank[s] > self.rank[step])
        return next((s for s in later if not only_open or self.is_open(s)), REVIEW)

    def before(self, step: str) -> str:
        earlier = [s for s in self.steps(answerable=True) if self.rank[s] < self.rank[step]]
        return earlier[-1] if earlier else step

    def assessment(self, *, partial: bool) -> tuple[Response, Assessment]:
        envelope = _envelope(self.draft, dict(self.draft.answers), self.clock())
        response = parse_response(envelope, self.d, hidden="drop", partial=partial)
        return response, assess(self.d, response)

    def emergencies(self) -> list[RedFlagResult]:
        """Emergency red flags that the answers so far already raise."""
        return emergency_flags(self.assessment(partial=True)[1])

    # the flow ------------------------------------------------------------------------------------

    def walk(self, step: str, *, only_open: bool = False) -> Outcome:
        """Ask from ``step`` on until the review; stop at once when an emergency red flag fires."""
        while step != REVIEW:
            self.draft.current = step
            item = self.d.items.get(step)
            if isinstance(item, DisplayItem):
                self.heading(step)
                self.screen.say(item.staff, "warn", "  ", "  ")
                step = self.after(step, only_open=only_open)
                continue
            answer = self.ask(step, can_go_back=step != NAME)
            if answer is Nav.BACK:
                step = self.before(step)
                continue
            self.record(step, answer)
            if item is not None and self.emergencies():
                return "emergency"
            step = self.after(step, only_open=only_open)
        return "review"

    def record(self, step: str, answer: Answer | None) -> None:
        """Keep the answer, then drop answers to questions it hid (they would not count anyway)."""
        draft = self.draft
        if step == NAME:
            draft.name = str(answer)
            return
        if step == CONTACT:
            draft.contact = str(answer or "")
        elif answer is None:
            draft.answers.pop(step, None)
        else:
            draft.answers[step] = answer
        if answer is None:
            draft.skipped.add(step)
        else:
            draft.skipped.discard(step)
        _, shown = self.d.effective_values(draft.answers)
        draft.answers = {i: value for i, value in draft.answers.items() if shown[i] is True}
        draft.skipped = {s for s in draft.skipped if s == CONTACT or shown[s] is True}

    def review(self) -> Outcome:
        """Read every answer back; then save, change an answer, or stop with a draft."""
        while True:
            self.draft.current = REVIEW
            self.show_answers()
            actions = [
                ("Save and see the result", "save", "s"),
                ("Change an answer", "change", "c"),
                ("Cancel (save a draft to finish later)", "cancel", "x"),
            ]
            action = self.prompts.select("What next?", actions)
            if action != "change":
                return "save" if action == "save" else "cancel"
            choices: Choices = [(self.summary(s, 60), s, None) for s in self.steps(answerable=True)]
            choices.append(("← Back to the review", REVIEW, None))
            step = self.prompts.select("Which answer?", choices, hint="(arrow keys or type to filter)", search=True)
            answer = Nav.BACK if step == REVIEW else self.ask(step, can_go_back=True)
            if answer is Nav.BACK:
                continue
            self.record(step, answer)
            if step in self.d.items and self.emergencies():
                return "emergency"
            if self.walk(self.first_open(), only_open=True) == "emergency":  # questions the change brought in
                return "emergency"

    # showing and asking ------------------------------------------------------------------------

    def heading(self, step: str) -> None:
        """The section title (and its introduction) when the questions move into a new section."""
        section = self.section.get(step)
        if section is not None and section.id != self.last_section:
            self.last_section = section.id
            self.screen.say()
            self.screen.say(section.title.upper(), "heading")
            if section.intro:
                self.screen.say(section.intro, "dim", "  ")

    def summary(self, step: str, width: int) -> str:
        if step in (NAME, CONTACT):
            label, detail = ("Name", self.draft.name) if step == NAME else ("Contact", self.draft.contact)
            return f"{label}: {detail or '(none)'}"
        question = textwrap.shorten(self.d.items[step].staff, width, placeholder="…")
        value = self.draft.answers.get(step)
        said = "(no answer)" if value is None else answer_label(self.d, step, value)
        return f"{self.number[step]}. {question} → {said}"

    def show_answers(self) -> None:
        self.screen.say()
        self.screen.say("REVIEW: read the answers back to the patient", "heading")
        section = ""
        for step in self.steps(answerable=True):
            title = "Patient" if step == NAME else self.section[step].title if step in self.section else section
            if title != section:
                section = title
                self.screen.say(title, "bold")
            self.screen.say(self.summary(step, 400), "", "  ", "      ")

    def ask(self, step: str, *, can_go_back: bool) -> Asked:
        """One question, asked until the answer is valid."""
        if step == NAME:
            return self.typed("Patient's name", self.draft.name, "", _name_problem, can_go_back=False)
        if step == CONTACT:
            hint = "optional; Enter to skip"
            return self.typed("Phone number or email", self.draft.contact, hint, _contact_problem, can_go_back)
        item = self.d.items[step]
        if isinstance(item, DisplayItem):  # pragma: no cover - display text is shown by walk(), never asked
            return None
        self.heading(step)
        if helptext := item.staff_help or item.help:
            self.screen.say(f"Help: {helptext}", "dim", "  ", "        ")
        message = f"{self.number[step]}. {item.staff}"
        previous = self.draft.answers.get(step)
        if isinstance(item, IntegerItem | ScaleItem | TextItem):
            default = "" if previous is None else str(previous)
            typed = self.typed(message, default, _typed_hint(item), partial(_typed_problem, item), can_go_back)
            return int(typed) if isinstance(typed, str) and not isinstance(item, TextItem) else typed
        if isinstance(item, MultiChoiceItem):
            return self.ticked(item, message, previous, can_go_back)
        if isinstance(item, YesNoItem):
            choices: Choices = [("Yes", "yes", "y"), ("No", "no", "n")]
            choices += [("Not sure", NOT_SURE, "u")] if item.allow_not_sure else []
        else:
            choices = [(o.label, o.code, str(n) if n < 10 else None) for n, o in enumerate(item.options, start=1)]
        choices += [] if item.required else [("Skip (no answer)", Nav.SKIP, "s")]
        choices += [("← Back", Nav.BACK, "b")] if can_go_back else []
        chosen = self.prompts.select(message, choices, previous, "(arrow keys or the key shown, then Enter)")
        return None if chosen is Nav.SKIP else cast(Asked, chosen)

    def typed(
        self, message: str, default: str, hint: str, problem: Callable[[str], str], can_go_back: bool
    ) -> str | Literal[Nav.BACK] | None:
        """Typed text; the prompt refuses it, with the message, until ``problem`` finds nothing wrong."""

        def validate(text: str) -> bool | str:
            text = text.strip()
            return True if can_go_back and text == "<" else problem(text) or True

        hints = "; ".join(filter(None, (hint, "type < to go back" if can_go_back else "")))
        text = self.prompts.text(message, validate, default, f"({hints})" if hints else "")
        if can_go_back and text == "<":
            return Nav.BACK
        return text or None

    def ticked(self, item: MultiChoiceItem, message: str, previous: Answer | None, can_go_back: bool) -> Asked:
        """Ticked options; the prompt refuses an exclusive option ticked together with others."""
        before = previous if isinstance(previous, list) else []
        choices: Choices = [(o.label, o.code, o.code in before) for o in item.options]
        choices += [("← Back to the previous question", Nav.BACK, False)] if can_go_back else []
        hint = "(Space to tick, then Enter" + ("" if item.required else "; tick nothing to skip") + ")"
        chosen = self.prompts.checkbox(message, choices, lambda c: _multi_problem(item, c) or True, hint)
        if chosen == [Nav.BACK]:
            return Nav.BACK
        codes = [c for c in chosen if isinstance(c, str)]
        if len(codes) > 1:  # questionary shows one ticked option itself, several only as a count
            self.screen.say("→ " + answer_label(self.d, item.id, codes), "", "  ", "    ")
        return codes or None


# ---------------------------------------------------------------------------------------------
# Starting, stopping and finishing


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
        raise IntakeError("screening intake asks its questions in a terminal: run it in an interactive terminal")
    _check_folder(folder)
    q = definition.questionnaire
    draft = draft or Draft(q.id, q.version)
    screen = _Screen(terminal.stream or sys.stdout)
    interview = _Interview(definition, draft, _Prompts(terminal), screen, clock or _now)
    screen.say(f"{q.title.upper()}: reception intake ({q.id} {q.version})", "heading")
    screen.say(
        "Read each question aloud. Choose with the arrow keys or the key shown, then Enter. "
        "Choose ← Back, or type <, to go back. Ctrl-C stops (you can save a draft).",
        "dim",
    )
    if draft.name:
        screen.say(f"Continuing the intake for {draft.name}: {len(draft.answers)} answers so far.", "bold")
    try:
        outcome: Outcome = "emergency" if interview.emergencies() else interview.walk(interview.first_open())
        if outcome == "review":
            outcome = interview.review()
    except (KeyboardInterrupt, EOFError):
        return _interrupted(interview, folder, draft_path, hint_options)
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
        raise IntakeError(f"{folder}: cannot create the folder ({exc.strerror}) — choose another with -o") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise IntakeError(f"{folder}: cannot write to this folder — choose another with -o")


def _file_stem(kind: str, when: datetime) -> str:
    """A file name without the patient's name: when, and a random id so two intakes never collide."""
    return f"{kind}-{when:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def _interrupted(interview: _Interview, folder: Path, draft_path: Path | None, hint: str) -> int:
    screen, draft = interview.screen, interview.draft
    screen.say()
    screen.say("Stopped.", "bold")
    if not draft.name and not draft.answers:
        screen.say("Nothing had been entered; nothing was saved.")
        return EXIT_INTERRUPTED
    try:
        keep = interview.prompts.confirm("Save a draft to finish later?")
    except (KeyboardInterrupt, EOFError):
        keep = False
    if not keep:
        kept = f" (the draft {draft_path} is as it was)" if draft_path else ""
        screen.say(f"Not saved: the answers given now were discarded{kept}.", wrap=False)
        return EXIT_INTERRUPTED
    return _save_draft(interview, folder, draft_path, hint)


def _save_draft(interview: _Interview, folder: Path, draft_path: Path | None, hint: str) -> int:
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


def _alarm(screen: _Screen, definition: Definition, flags: list[RedFlagResult]) -> None:
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


def _show_result(screen: _Screen, definition: Definition, assessment: Assessment, *, stopped_early: bool) -> None:
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
        screen.say(f"{len(a.to_check)} other red flags were not checked: the questions stopped early.", "bold")
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
    interview: _Interview,
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
        raise IntakeError(f"{response_path}: cannot save the response ({exc.strerror or exc})") from exc
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
    from .loader import load_definition

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
