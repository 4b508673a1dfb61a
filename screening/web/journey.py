"""How long the patient journey is: screens, questions and words a patient sees for a set of answers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..definition import Definition
from ..model import DisplayItem
from ..response import Answer
from .forms import screens

SCREENS_BESIDES_QUESTIONS = 3  # contact first, details, check your answers
READING_WORDS_PER_MINUTE = 180  # unhurried reading of plain questions
SECONDS_PER_ANSWER = 5  # choosing an answer once it is read


@dataclass(frozen=True)
class JourneySize:
    screens: int
    questions: int
    words: int

    @property
    def minutes(self) -> int:
        """A rounded-up estimate of the time the questions take."""
        seconds = self.words / READING_WORDS_PER_MINUTE * 60 + self.questions * SECONDS_PER_ANSWER
        return max(1, math.ceil(seconds / 60))


def journey_size(definition: Definition, answers: Mapping[str, Answer]) -> JourneySize:
    """What a patient with these answers is shown; with no answers, the journey of a patient whose answers
    open no follow-up questions (the typical one)."""
    _, shown = definition.effective_values(dict(answers))
    count = questions = words = 0
    for screen in screens(definition):
        section = definition.questionnaire.sections[screen.section]
        on_screen = [definition.items[i] for i in screen.items if shown.get(i) is True]
        if not any(not isinstance(i, DisplayItem) for i in on_screen):
            continue
        count += 1
        words += len(section.title.split()) + (len((section.intro or "").split()) if screen.part == 1 else 0)
        for item in on_screen:
            questions += not isinstance(item, DisplayItem)
            words += len(item.patient.split()) + len((getattr(item, "help", None) or "").split())
            words += sum(len(o.label.split()) for o in getattr(item, "options", ()))
    return JourneySize(count + SCREENS_BESIDES_QUESTIONS, questions, words)
