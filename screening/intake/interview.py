"""The interview: asks the questions in order, keeps the draft up to date, and stops only for a confirmed emergency.

Which question comes next is worked out again after every answer, so follow-up questions appear and disappear
as they do on the web form. Every prompt but the very first offers a way back.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Literal, cast

from ..answers import AnswerProblem, typed_answer
from ..assessment import Assessment, RedFlagResult, emergency_flags
from ..definition import Definition
from ..identifiers import normal_nhs_number
from ..labels import YES_NO_WORDS
from ..model import NO, NOT_SURE, YES, DisplayItem, IntegerItem, MultiChoiceItem, ScaleItem, TextItem, YesNoItem
from ..response import Answer, Response, parse_response
from ..scorer import assess
from .checks import (
    answer_label,
    birth_problem,
    contact_problem,
    detail_problem,
    iso_birth_date,
    multi_problem,
    name_problem,
    typed_hint,
    typed_problem,
    uk_date,
)
from .drafts import BIRTH, CONTACT, DETAILS, NAME, NHS, OPTIONAL_DETAILS, PRACTICE, REVIEW, Draft, response_envelope
from .prompts import Choices, Nav, Prompts, Screen

Outcome = Literal["review", "save", "cancel", "emergency"]
Asked = Answer | None | Literal[Nav.BACK]  # an answer, no answer (skipped), or "go back"
DETAIL_LABELS = {NAME: "Name", BIRTH: "Date of birth", CONTACT: "Contact", NHS: "NHS number", PRACTICE: "GP practice"}
SELECT_HINT = "(press the key shown, or use the arrow keys; then Enter)"
YES_NO_KEYS = {YES: "y", NO: "n", NOT_SURE: "u"}  # the key that picks each answer to a yes/no question


class Interview:
    """Asks the questions in order and keeps the draft up to date after every answer."""

    def __init__(
        self, definition: Definition, draft: Draft, prompts: Prompts, screen: Screen, clock: Callable[[], datetime]
    ) -> None:
        self.d, self.draft, self.prompts, self.screen, self.clock = definition, draft, prompts, screen, clock
        answerable = [i for i in definition.items if definition.is_answerable(i)]
        self.number = {item_id: n for n, item_id in enumerate(answerable, start=1)}  # as `screening questions`
        self.rank = {step: n - len(DETAILS) for n, step in enumerate(DETAILS)} | definition.position
        self.section = {item.id: s for s in definition.questionnaire.sections for item in s.items}
        self.last_section = ""
        self.to_change: str | None = None  # a question to answer afresh: its answer raised an emergency

    # where we are ------------------------------------------------------------------------------

    def steps(self, *, answerable: bool = False) -> list[str]:
        """Name, date of birth, contact, then every question shown for the answers so far, in order."""
        _, shown = self.d.effective_values(self.draft.answers)
        items = (i for i in self.d.items if shown[i] is True and (not answerable or self.d.is_answerable(i)))
        return [*DETAILS, *items]

    def is_open(self, step: str) -> bool:
        """Not answered and not skipped yet."""
        if step in DETAILS:
            return not self.draft.detail(step) and step not in self.draft.skipped
        return step not in self.draft.answers and step not in self.draft.skipped and self.d.is_answerable(step)

    def first_open(self) -> str:
        return next((s for s in self.steps() if self.is_open(s)), REVIEW)

    def after(self, step: str, *, only_open: bool) -> str:
        later = (s for s in self.steps() if self.rank[s] > self.rank[step])
        return next((s for s in later if not only_open or self.is_open(s)), REVIEW)

    def before(self, step: str) -> str:
        earlier = [s for s in self.steps(answerable=True) if self.rank[s] < self.rank[step]]
        return earlier[-1] if earlier else step

    def assessment(self, *, partial: bool, answers: dict[str, Answer] | None = None) -> tuple[Response, Assessment]:
        answers = dict(self.draft.answers if answers is None else answers)
        envelope = response_envelope(self.draft, answers, self.clock())
        response = parse_response(envelope, self.d, hidden="drop", partial=partial)
        return response, assess(self.d, response)

    def emergencies(self) -> list[RedFlagResult]:
        """Emergency red flags that the answers so far already raise."""
        return emergency_flags(self.assessment(partial=True)[1])

    def raising(self, flags: list[RedFlagResult]) -> list[str]:
        """The questions whose answers raise these flags: without the answer, the flag would not be raised."""
        found: set[str] = set()
        for flag in flags:
            for read in flag.answers:
                if read.status != "answered" or read.item in found:
                    continue
                without = {i: value for i, value in self.draft.answers.items() if i != read.item}
                if flag.id not in {f.id for f in emergency_flags(self.assessment(partial=True, answers=without)[1])}:
                    found.add(read.item)
        if not found:  # pragma: no cover - an emergency is always raised by some answer; name them all then
            found = {read.item for flag in flags for read in flag.answers if read.status == "answered"}
        return sorted(found, key=self.rank.__getitem__)

    # the flow ------------------------------------------------------------------------------------

    def run(self, start: str) -> Outcome:
        """From ``start`` to the end of the review, or to a confirmed emergency."""
        if flags := self.emergencies():  # a draft saved while an emergency waited to be confirmed
            back_to = self.confirm_emergency(self.draft.current, flags)
            if back_to is None:
                return "emergency"
            start = back_to
        outcome = self.walk(start)
        return self.review() if outcome == "review" else outcome

    def walk(self, step: str, *, only_open: bool = False) -> Outcome:
        """Ask from ``step`` on until the review; stop when an emergency is confirmed."""
        while step != REVIEW:
            self.draft.current = step
            item = self.d.items.get(step)
            if isinstance(item, DisplayItem):
                self.heading(step)
                self.screen.say(item.staff, "warn", "  ", "  ")
                if item.staff_help:
                    self.screen.say(f"Note (not read out): {item.staff_help}", "dim", "  ", "        ")
                step = self.after(step, only_open=only_open)
                continue
            answer = self.ask(step, can_go_back=step != NAME)
            if answer is Nav.BACK:
                step = self.before(step)
                continue
            self.record(step, answer)
            if flags := self.emergencies():
                back_to = self.confirm_emergency(step, flags)
                if back_to is None:
                    return "emergency"
                step = back_to  # ask it again: the answer is to be changed
                continue
            step = self.after(step, only_open=only_open)
        return "review"

    def confirm_emergency(self, step: str, flags: list[RedFlagResult]) -> str | None:
        """Say which answer means an emergency; None when staff confirm it, else the question to ask again."""
        raising = self.raising(flags)
        said = " and ".join(
            f'{answer_label(self.d, i, self.draft.answers[i])} to "{self.d.items[i].staff}"' for i in raising
        )
        self.screen.say()
        verb = "means" if len(raising) == 1 else "mean"
        self.screen.say(f"{said} {verb} an emergency: the caller must ring 999 now.", "alarm")
        for flag in flags:
            self.screen.say(f"Red flag: {flag.title}", "warn", "  ")
        choices: Choices = [
            ("Confirm the emergency (the questions stop)", "confirm", "c"),
            ("← Back: change the answer", Nav.BACK, "b"),
        ]
        if self.prompts.select("Confirm, or go back and change the answer", choices, hint=SELECT_HINT) == "confirm":
            return None
        self.to_change = step if step in raising else raising[-1]
        return self.to_change

    def settle(self, step: str) -> Outcome | None:
        """After a change from the review: confirm an emergency or change the answer, then ask new questions."""
        if flags := self.emergencies():
            back_to = self.confirm_emergency(step, flags)
            if back_to is None or self.walk(back_to, only_open=True) == "emergency":
                return "emergency"
        return "emergency" if self.walk(self.first_open(), only_open=True) == "emergency" else None

    def record(self, step: str, answer: Answer | None) -> None:
        """Keep the answer, then drop answers to questions it hid (they would not count anyway)."""
        draft = self.draft
        self.to_change = None
        if step in DETAILS:
            draft.set_detail(step, str(answer or ""))
        elif answer is None:
            draft.answers.pop(step, None)
        else:
            draft.answers[step] = answer
        if step == NAME:
            return
        if answer is None:
            draft.skipped.add(step)
        else:
            draft.skipped.discard(step)
        _, shown = self.d.effective_values(draft.answers)
        draft.answers = {i: value for i, value in draft.answers.items() if shown[i] is True}
        draft.skipped = {s for s in draft.skipped if s in OPTIONAL_DETAILS or shown[s] is True}

    def review(self) -> Outcome:
        """Read every answer back; then save, change an answer, go back, or stop with a draft."""
        while True:
            self.draft.current = REVIEW
            self.show_answers()
            actions: Choices = [
                ("Save and see the result", "save", "s"),
                ("Change an answer", "change", "c"),
                ("Cancel (save a draft to finish later)", "cancel", "x"),
                ("← Back to the last question", Nav.BACK, "b"),
            ]
            action = self.prompts.select("What next?", actions, hint=SELECT_HINT)
            if action == "cancel":
                return "cancel"
            if action == "save":
                if not self.emergencies():
                    return "save"
                if self.settle(REVIEW) == "emergency":
                    return "emergency"
                continue
            if action is Nav.BACK:
                if self.walk(self.steps(answerable=True)[-1]) == "emergency":
                    return "emergency"
                continue
            choices: Choices = [(self.summary(s, 60), s, None) for s in self.steps(answerable=True)]
            choices.append(("← Back to the review", REVIEW, None))
            step = self.prompts.select("Which answer?", choices, hint="(type to find it, or arrow keys)", search=True)
            answer = Nav.BACK if step == REVIEW else self.ask(step, can_go_back=True)
            if answer is Nav.BACK:
                continue
            self.record(step, answer)
            if self.settle(step) == "emergency":
                return "emergency"

    # showing and asking ------------------------------------------------------------------------

    def heading(self, step: str) -> None:
        """The section title (and its introduction) when the questions move into a new section."""
        section = self.section.get(step)
        if section is not None and section.id != self.last_section:
            self.last_section = section.id
            self.screen.say()
            self.screen.say(section.title.upper(), "heading")
            if intro := section.staff_intro or section.intro:  # the staff intro is read out to the caller
                self.screen.say(f"Say: {intro}" if section.staff_intro else intro, "dim", "  ", "       ")

    def summary(self, step: str, width: int) -> str:
        if step in DETAILS:
            detail = uk_date(self.draft.date_of_birth) if step == BIRTH else self.draft.detail(step)
            return f"{DETAIL_LABELS[step]}: {detail or '(none)'}"
        question = textwrap.shorten(self.d.items[step].staff, width, placeholder="…")
        value = self.draft.answers.get(step)
        said = "(no answer)" if value is None else answer_label(self.d, step, value)
        return f"{self.number[step]}. {question} → {said}"

    def show_answers(self) -> None:
        self.screen.say()
        self.screen.say("REVIEW: read the answers back to the patient", "heading")
        section = ""
        for step in self.steps(answerable=True):
            title = "Patient" if step in DETAILS else self.section[step].title if step in self.section else section
            if title != section:
                section = title
                self.screen.say(title, "bold")
            self.screen.say(self.summary(step, 400), "", "  ", "      ")

    def ask(self, step: str, *, can_go_back: bool) -> Asked:
        """One question, asked until the answer is valid."""
        if step in DETAILS:
            return self.ask_detail(step, can_go_back)
        item = self.d.items[step]
        if isinstance(item, DisplayItem):  # pragma: no cover - display text is shown by walk(), never asked
            return None
        self.heading(step)
        if item.staff_help:  # a note for staff: what to listen for, not read out
            self.screen.say(f"Note (not read out): {item.staff_help}", "dim", "  ", "        ")
        elif item.help:
            self.screen.say(f"Help: {item.help}", "dim", "  ", "        ")
        message = f"{self.number[step]}. {item.staff}"
        previous = self.draft.answers.get(step)
        if isinstance(item, IntegerItem | ScaleItem | TextItem):
            default = "" if previous is None else str(previous)
            typed = self.typed(message, default, typed_hint(item), partial(typed_problem, item), can_go_back)
            if not isinstance(typed, str):
                return typed  # skipped, or back
            checked = typed_answer(item, [typed.strip()]) if typed.strip() else None
            return None if isinstance(checked, AnswerProblem) else checked  # the prompt has refused a problem
        if isinstance(item, MultiChoiceItem):
            return self.ticked(item, message, previous, can_go_back)
        if isinstance(item, YesNoItem):
            choices: Choices = [(YES_NO_WORDS[code], code, YES_NO_KEYS[code]) for code in item.codes]
        else:
            choices = [(o.label, o.code, str(n) if n < 10 else None) for n, o in enumerate(item.options, start=1)]
        choices += [] if item.required else [("Skip (no answer)", Nav.SKIP, "s")]
        choices += [("← Back", Nav.BACK, "b")] if can_go_back else []
        current = Nav.SKIP if step in self.draft.skipped else None if step == self.to_change else previous
        chosen = self.prompts.select(message, choices, current, SELECT_HINT)
        return None if chosen is Nav.SKIP else cast(Asked, chosen)

    def ask_detail(self, step: str, can_go_back: bool) -> str | Literal[Nav.BACK] | None:
        """The patient's name (required), date of birth and contact (optional, but always asked)."""
        today = self.clock().date()
        if step == NAME:
            return self.typed("Patient's name", self.draft.name, "", partial(name_problem, today=today), can_go_back)
        if step == CONTACT:
            hint = "optional; Enter to skip"
            problem = partial(contact_problem, today=today)
            return self.typed("Phone number or email", self.draft.contact, hint, problem, can_go_back)
        if step in (NHS, PRACTICE):
            key = "nhs_number" if step == NHS else "gp_practice"
            hint = "10 digits, spaces allowed; optional, Enter to skip" if step == NHS else "optional; Enter to skip"
            problem = partial(detail_problem, key, today=today)
            typed = self.typed(DETAIL_LABELS[step], self.draft.detail(step), hint, problem, can_go_back)
            return normal_nhs_number(typed) if step == NHS and isinstance(typed, str) and typed else typed
        hint = "day/month/year, like 27/03/1980; optional, Enter to skip"
        problem = partial(birth_problem, today=today)
        typed = self.typed("Date of birth", uk_date(self.draft.date_of_birth), hint, problem, can_go_back)
        return iso_birth_date(typed) if isinstance(typed, str) else typed

    def typed(
        self, message: str, default: str, hint: str, problem: Callable[[str], str], can_go_back: bool
    ) -> str | Literal[Nav.BACK] | None:
        """Typed text; the prompt refuses it, with the message, until ``problem`` finds nothing wrong."""

        def is_back(text: str) -> bool:  # "<" typed alone, or after the answer already given
            return can_go_back and text.strip() in ("<", f"{default.strip()}<")

        def validate(text: str) -> bool | str:
            return True if is_back(text) else problem(text.strip()) or True

        hints = "; ".join(filter(None, (hint, "type < to go back" if can_go_back else "")))
        text = self.prompts.text(message, validate, default, f"({hints})" if hints else "")
        if is_back(text):
            return Nav.BACK
        return text or None

    def ticked(self, item: MultiChoiceItem, message: str, previous: Answer | None, can_go_back: bool) -> Asked:
        """Ticked options; the prompt refuses nothing ticked, and an exclusive option ticked together with others."""
        before = previous if isinstance(previous, list) and item.id != self.to_change else []
        choices: Choices = [(o.label, o.code, o.code in before) for o in item.options]
        choices += [] if item.required else [("Skip (no answer)", Nav.SKIP, item.id in self.draft.skipped)]
        choices += [("← Back", Nav.BACK, False)] if can_go_back else []
        hint = "(Space to tick, then Enter)"
        chosen = self.prompts.checkbox(message, choices, lambda c: multi_problem(item, c) or True, hint)
        if chosen in ([Nav.BACK], [Nav.SKIP]):
            return Nav.BACK if chosen == [Nav.BACK] else None
        codes = [c for c in chosen if isinstance(c, str)]
        if len(codes) > 1:  # questionary shows one ticked option itself, several only as a count
            self.screen.say("→ " + answer_label(self.d, item.id, codes), "", "  ", "    ")
        return codes or None
