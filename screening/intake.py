"""Terminal intake for reception: read the questions aloud one at a time, then save the response and the PDF.

Staff wording throughout. Which question comes next is worked out again after every answer, so follow-up
questions appear and disappear as they would on paper. An emergency red flag stops the questions at once.
Ctrl-C offers to save a draft that ``screening intake --resume DRAFT`` continues. questionary (and with it
prompt_toolkit) is imported only when a prompt is shown; nothing here logs, because answers are personal.
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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from .assessment import AnswerRead, Assessment, RedFlagResult
from .definition import Definition
from .errors import ScreeningError
from .model import NOT_SURE, Disposition, DisplayItem, IntegerItem, Item, MultiChoiceItem, ScaleItem, TextItem, YesNoItem
from .report import ClinicSettings, ReportError, answer_text, load_clinic_settings, render_pdf, write_atomic
from .response import Answer, Response, parse_response, response_json
from .scorer import assess
from .text import DISPOSITION_WORDS
from .web.forms import WHOLE_NUMBER, detail_errors, required_message

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

DRAFT_KIND = "screening-intake-draft"
NAME, CONTACT, REVIEW = "<name>", "<contact>", "<review>"  # steps besides questions (never valid item ids)
EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130
WIDTH = 100
Outcome = Literal["review", "save", "cancel", "emergency"]


class Nav(Enum):
    """Answers that move instead of answering."""

    BACK = "back"
    SKIP = "skip"


class IntakeError(ScreeningError):
    """The intake cannot start: an unreadable draft, an unwritable folder, no terminal."""

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
    """Where prompts read keys and draw (the real terminal when None) and where messages are printed."""

    input: Input | None = None
    output: Output | None = None
    stream: TextIO | None = None  # sys.stdout at the time of use


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
    """Read a draft saved by an interrupted intake and check its answers against the definition."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IntakeError(f"{path}: cannot read the draft ({exc.strerror}) — check the path") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise IntakeError(f"{path}: the draft is damaged (not JSON text) — start the intake again") from exc
    if not isinstance(data, dict) or data.get("kind") != DRAFT_KIND:
        raise IntakeError(f"{path}: not a draft saved by screening intake — pass the file the intake printed")
    q = definition.questionnaire
    if data.get("questionnaire") != q.id or str(data.get("version", "")).split(".")[0] != q.version.split(".")[0]:
        raise IntakeError(
            f"{path}: the draft is for questionnaire {data.get('questionnaire')} {data.get('version')}, not "
            f"{q.id} {q.version} — resume it with the questionnaire it was started with (--questionnaire)"
        )
    patient, skipped, current = data.get("patient"), data.get("skipped", []), data.get("current", NAME)
    if not isinstance(patient, dict) or not isinstance(skipped, list) or not isinstance(current, str):
        raise IntakeError(f"{path}: the draft is damaged (patient, skipped or current) — start the intake again")
    draft = Draft(q.id, q.version, str(patient.get("name") or ""), str(patient.get("contact") or ""))
    # the answers are checked as a response would be (clear messages naming the file and item)
    response = parse_response(_envelope(draft, data.get("answers")), definition, hidden="drop", partial=True,
                              source=str(path))
    draft.answers = dict(response.answers)
    draft.skipped = {s for s in skipped if s == CONTACT or s in definition.items}
    draft.current = current
    return draft


def _envelope(draft: Draft, answers: Any, collected_at: datetime | None = None) -> dict[str, Any]:
    patient = {key: value for key, value in (("name", draft.name), ("contact", draft.contact)) if value}
    return {
        "questionnaire": draft.questionnaire,
        "version": draft.version,
        "respondent": "staff",
        "collected_at": (collected_at or datetime.now(UTC)).isoformat(),
        "patient": patient or None,
        "answers": answers,
    }


# ---------------------------------------------------------------------------------------------
# The terminal: printed messages and questionary prompts


class _Screen:
    """Printed lines, in colour on a real terminal (unless NO_COLOR is set)."""

    STYLES = {"heading": "1;36", "bold": "1", "dim": "2", "alarm": "1;97;41", "warn": "1;33"}

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.colour = stream.isatty() and "NO_COLOR" not in os.environ

    def say(self, text: str = "", style: str = "", indent: str = "", hang: str | None = None) -> None:
        if text and indent + (hang or "") or len(text) > WIDTH:
            text = textwrap.fill(" ".join(text.split()), WIDTH, initial_indent=indent,
                                 subsequent_indent=indent if hang is None else hang)
        if style and self.colour:
            text = f"\x1b[{self.STYLES[style]}m{text}\x1b[0m"
        print(text, file=self.stream, flush=True)


class _Prompts:
    """questionary prompts bound to one terminal; each returns the answer or raises KeyboardInterrupt."""

    def __init__(self, terminal: Terminal) -> None:
        self.io: dict[str, Any] = {"input": terminal.input, "output": terminal.output}

    def select(self, message: str, choices: list[tuple[str, Any, str | None]], default: Any = None,
               instruction: str | None = None, search: bool = False) -> Any:
        import questionary

        options = [questionary.Choice(title, value, shortcut_key=key or False) for title, value, key in choices]
        if default not in [value for _, value, _ in choices]:
            default = None
        return questionary.select(
            message, options, default=default, instruction=instruction, use_shortcuts=not search,
            use_jk_keys=False, use_search_filter=search, **self.io,
        ).unsafe_ask()

    def checkbox(self, message: str, choices: list[tuple[str, Any, bool]], validate: Callable[[list[Any]], Any],
                 instruction: str) -> list[Any]:
        import questionary

        options = [questionary.Choice(title, value, checked=checked) for title, value, checked in choices]
        answer: list[Any] = questionary.checkbox(
            message, options, validate=validate, instruction=instruction, use_jk_keys=False, **self.io
        ).unsafe_ask()
        return answer

    def text(self, message: str, validate: Callable[[str], Any], default: str = "", instruction: str = "") -> str:
        import questionary

        answer: str = questionary.text(
            message, default=default, validate=validate, instruction=instruction, validate_while_typing=False,
            **self.io,
        ).unsafe_ask()
        return answer.strip()

    def confirm(self, message: str) -> bool:
        import questionary

        return bool(questionary.confirm(message, default=True, **self.io).unsafe_ask())


def answer_label(definition: Definition, item_id: str, value: Answer) -> str:
    """An answer as staff read it back: option labels, numbers with their unit."""
    if value == NOT_SURE and isinstance(definition.items[item_id], YesNoItem):
        return "Not sure"
    return answer_text(definition, AnswerRead(item_id, "answered", tuple(value) if isinstance(value, list) else value))


def _number_problem(item: IntegerItem | ScaleItem, text: str) -> str:
    if WHOLE_NUMBER.match(text) and item.min <= int(text) <= item.max:
        return ""
    unit = f" ({item.unit})" if isinstance(item, IntegerItem) else ""
    return f"Enter a whole number from {item.min} to {item.max}{unit}"


def _text_problem(item: TextItem, text: str) -> str:
    if len(text) > item.max_length:
        return f"Keep this answer to {item.max_length} characters or fewer (now {len(text)})"
    return "Remove the special characters that cannot be stored" if definition_control(text) else ""


def definition_control(text: str) -> bool:
    from .answers import control_character_problem

    return bool(control_character_problem(text))


def _exclusive_problem(item: MultiChoiceItem, chosen: list[str]) -> str:
    exclusive = [o.label for o in item.options if o.exclusive and o.code in chosen]
    return f"'{exclusive[0]}' cannot be ticked together with other options" if exclusive and len(chosen) > 1 else ""


# ---------------------------------------------------------------------------------------------
# The interview


class _Interview:
    """Asks the questions in order, keeping the draft up to date after every answer."""

    def __init__(self, definition: Definition, draft: Draft, prompts: _Prompts, screen: _Screen,
                 clock: Callable[[], datetime]) -> None:
        self.d, self.draft, self.prompts, self.screen, self.clock = definition, draft, prompts, screen, clock
        answerable = [i for i in definition.items if definition.is_answerable(i)]
        self.number = {item_id: n for n, item_id in enumerate(answerable, start=1)}
        self.rank = {NAME: -2, CONTACT: -1, **definition.position}
        self.section = {item.id: s for s in definition.questionnaire.sections for item in s.items}
        self.last_section = ""

    # where we are --------------------------------------------------------------------------

    def steps(self) -> list[str]:
        _, shown = self.d.effective_values(self.draft.answers)
        return [NAME, CONTACT, *(i for i in self.d.items if shown[i] is True)]

    def is_open(self, step: str) -> bool:
        if step == NAME:
            return not self.draft.name
        if step in self.d.items and not self.d.is_answerable(step):
            return False
        value = self.draft.contact if step == CONTACT else self.draft.answers.get(step)
        return not value and step not in self.draft.skipped

    def first_open(self) -> str:
        return next((s for s in self.steps() if self.is_open(s)), REVIEW)

    def after(self, step: str, only_open: bool) -> str:
        later = (s for s in self.steps() if self.rank[s] > self.rank[step])
        return next((s for s in later if not only_open or self.is_open(s)), REVIEW)

    def before(self, step: str) -> str:
        earlier = [s for s in self.steps() if self.rank[s] < self.rank[step] and self.is_open(s) is not None]
        earlier = [s for s in earlier if s not in self.d.items or self.d.is_answerable(s)]
        return earlier[-1] if earlier else step

    def assessment(self, *, partial: bool) -> tuple[Response, Assessment]:
        envelope = _envelope(self.draft, dict(self.draft.answers), self.clock())
        response = parse_response(envelope, self.d, hidden="drop", partial=partial)
        return response, assess(self.d, response)

    def emergencies(self) -> list[RedFlagResult]:
        return [f for f in self.assessment(partial=True)[1].red_flags if f.urgency == "emergency"]

    # the flow --------------------------------------------------------------------------------

    def walk(self, step: str, *, only_open: bool = False) -> Outcome:
        """Ask from ``step`` on until the review; 'emergency' as soon as an emergency red flag fires."""
        while step != REVIEW:
            self.draft.current = step
            item = self.d.items.get(step)
            if isinstance(item, DisplayItem):
                self.heading(item.id)
                self.screen.say(item.staff, "warn", "  ")
                step = self.after(step, only_open)
                continue
            answer = self.ask(step, can_go_back=step != NAME)
            if answer is Nav.BACK:
                step = self.before(step)
                continue
            self.record(step, answer)
            if item is not None and self.emergencies():
                return "emergency"
            step = self.after(step, only_open)
        return "review"

    def record(self, step: str, answer: Answer | None) -> None:
        draft = self.draft
        if step == NAME:
            draft.name = str(answer)
        elif step == CONTACT:
            draft.contact = str(answer or "")
        elif answer is None:
            draft.answers.pop(step, None)
        else:
            draft.answers[step] = answer
        (draft.skipped.add if answer is None else draft.skipped.discard)(step)
        _, shown = self.d.effective_values(draft.answers)  # answers to questions now hidden no longer count
        for item_id in [i for i in draft.answers if shown[i] is not True]:
            del draft.answers[item_id]
        draft.skipped = {s for s in draft.skipped if s == CONTACT or shown[s] is True}

    def review(self) -> Outcome:
        """Read every answer back; save, change one, or stop with a draft."""
        while True:
            self.draft.current = REVIEW
            self.show_answers()
            action = self.prompts.select(
                "What next?",
                [("Save and see the result", "save", "s"), ("Change an answer", "change", "c"),
                 ("Cancel (save a draft to finish later)", "cancel", "x")],
            )
            if action != "change":
                return "save" if action == "save" else "cancel"
            steps = [s for s in self.steps() if s not in self.d.items or self.d.is_answerable(s)]
            step = self.prompts.select(
                "Which answer?", [(self.summary(s, 70), s, None) for s in steps] + [("← Back to the review", REVIEW, None)],
                instruction="(arrow keys or type to filter, then Enter)", search=True,
            )
            if step == REVIEW:
                continue
            answer = self.ask(step, can_go_back=True)
            if answer is Nav.BACK:
                continue
            self.record(step, answer)
            if step in self.d.items and self.emergencies():
                return "emergency"
            if self.walk(self.first_open(), only_open=True) == "emergency":
                return "emergency"

    # showing and asking ---------------------------------------------------------------------

    def heading(self, step: str) -> None:
        section = self.section.get(step)
        if section is not None and section.id != self.last_section:
            self.last_section = section.id
            self.screen.say()
            self.screen.say(section.title.upper(), "heading")
            if section.intro:
                self.screen.say(section.intro, "dim", "  ")

    def summary(self, step: str, width: int = WIDTH) -> str:
        if step in (NAME, CONTACT):
            label, value = ("Name", self.draft.name) if step == NAME else ("Contact", self.draft.contact)
            return f"{label}: {value or '(none)'}"
        question = textwrap.shorten(self.d.items[step].staff, width, placeholder="…")
        value = self.draft.answers.get(step)
        shown = answer_label(self.d, step, value) if value is not None else "(no answer)"
        return f"{self.number[step]}. {question} → {shown}"

    def show_answers(self) -> None:
        self.screen.say()
        self.screen.say("REVIEW — read the answers back to the patient", "heading")
        for step in self.steps():
            if step in self.d.items and not self.d.is_answerable(step):
                continue
            self.screen.say(self.summary(step, 200), indent="  ", hang="      ")
        self.screen.say()

    def ask(self, step: str, *, can_go_back: bool) -> Answer | None | Nav:
        """One question, asked until the answer is valid; Nav.BACK when staff go back."""
        back = " Type < to go back." if can_go_back else ""
        if step == NAME:
            return self.typed("Patient's name", self.draft.name, "",
                              lambda t: detail_errors({"name": t}, contact_required=False, today=date.today()).get(
                                  "name", ""), required=True, can_go_back=False)
        if step == CONTACT:
            return self.typed("Phone number or email (optional)", self.draft.contact, f"(Enter to skip.{back})",
                              lambda t: detail_errors({"name": "-", "contact": t}, contact_required=False,
                                                      today=date.today()).get("contact", ""),
                              required=False, can_go_back=can_go_back)
        item = self.d.items[step]
        if isinstance(item, DisplayItem):  # pragma: no cover - display items are shown, not asked
            return Nav.SKIP
        self.heading(step)
        helptext = item.staff_help or item.help
        if helptext:
            self.screen.say(f"Help: {helptext}", "dim", "  ", "        ")
        message = f"{self.number[step]}. {item.staff}"
        previous = self.draft.answers.get(step)
        if isinstance(item, IntegerItem | ScaleItem | TextItem):
            if isinstance(item, TextItem):
                check: Callable[[str], str] = lambda t: _text_problem(item, t)  # noqa: E731
                hint = f"(up to {item.max_length} characters)"
            else:
                check = lambda t: _number_problem(item, t)  # noqa: E731
                hint = f"({item.min}–{item.max} {item.unit})" if isinstance(item, IntegerItem) else (
                    f"({item.min} = {item.min_label}; {item.max} = {item.max_label})")
            skip = "" if item.required else " Enter to skip."
            typed = self.typed(message, "" if previous is None else str(previous), f"{hint}{skip}{back}", check,
                               required=item.required, can_go_back=can_go_back, missing=required_message(item))
            if isinstance(typed, Nav) or typed is None or isinstance(item, TextItem):
                return typed
            return int(typed)
        if isinstance(item, MultiChoiceItem):
            return self.ticked(item, message, previous, can_go_back)
        if isinstance(item, YesNoItem):
            choices = [("Yes", "yes", "y"), ("No", "no", "n")]
            choices += [("Not sure", NOT_SURE, "u")] if item.allow_not_sure else []
        else:
            choices = [(o.label, o.code, str(n) if n < 10 else None) for n, o in enumerate(item.options, start=1)]
        choices += [] if item.required else [("Skip (no answer)", Nav.SKIP, "s")]
        choices += [("← Back", Nav.BACK, "b")] if can_go_back else []
        chosen = self.prompts.select(message, choices, default=previous,
                                     instruction="(arrow keys or the key shown, then Enter)")
        return None if chosen is Nav.SKIP else chosen  # type: ignore[no-any-return]

    def typed(self, message: str, default: str, instruction: str, check: Callable[[str], str], *,
              required: bool, can_go_back: bool, missing: str = "Enter the patient's name") -> str | None | Nav:
        def validate(text: str) -> bool | str:
            text = text.strip()
            if text == "<" and can_go_back:
                return True
            if not text:
                return missing if required else True
            return check(text) or True

        text = self.prompts.text(message, validate, default, instruction)
        if text == "<" and can_go_back:
            return Nav.BACK
        return text or None

    def ticked(self, item: MultiChoiceItem, message: str, previous: Answer | None, can_go_back: bool) -> Any:
        def validate(chosen: list[Any]) -> bool | str:
            if Nav.BACK in chosen:
                return True if len(chosen) == 1 else "Untick the other options to go back"
            if not chosen:
                return required_message(item) if item.required else True
            return _exclusive_problem(item, chosen) or True

        ticked = previous if isinstance(previous, list) else []
        choices = [(o.label, o.code, o.code in ticked) for o in item.options]
        choices += [("← Back to the previous question", Nav.BACK, False)] if can_go_back else []
        skip = "" if item.required else ", or nothing to skip"
        chosen = self.prompts.checkbox(message, choices, validate, f"(Space to tick, then Enter{skip})")
        if chosen == [Nav.BACK]:
            return Nav.BACK
        if chosen:
            self.screen.say("→ " + answer_label(self.d, item.id, chosen), indent="  ", hang="    ")
        return chosen or None
