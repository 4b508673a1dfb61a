"""Which answers raised each emergency red flag, so the staff form can show the alert beside them.

The engine decides: an answer counts as raising a flag when the engine, asked again without it, no longer
raises the flag (or, where several answers each raise it on their own, when it alone still does). No rule is
read or re-implemented here; the page's script only places what this module returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..assessment import Assessment, RedFlagResult, emergency_flags
from ..definition import Definition
from ..report import answer_text
from ..response import Response
from ..scorer import assess


@dataclass(frozen=True, slots=True)
class FlagAlert:
    """One emergency red flag as the staff form shows it: beside ``anchor``, the last question that raised it."""

    id: str
    title: str
    items: tuple[str, ...]  # the questions whose answers raised it, in question order
    answers: tuple[tuple[str, str], ...]  # (question in staff wording, answer in words) for each of them

    @property
    def anchor(self) -> str:
        return self.items[-1]

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "anchor": self.anchor,
            "items": list(self.items),
            "answers": [list(pair) for pair in self.answers],
        }


def emergency_alerts(definition: Definition, response: Response, assessment: Assessment) -> list[FlagAlert]:
    """An alert for each emergency red flag raised, naming the answers behind it."""
    alerts = []
    for flag in emergency_flags(assessment):
        items = _raised_by(definition, response, flag)
        items = items or flag.items[:1]  # a flag raised with nothing answered: beside its first question
        reads = {read.item: read for read in flag.answers}
        answers = tuple((definition.wording[i][1], answer_text(definition, reads[i])) for i in items if i in reads)
        alerts.append(FlagAlert(flag.id, flag.title, items, answers))
    order = {item_id: index for index, item_id in enumerate(definition.items)}
    return sorted(alerts, key=lambda alert: order[alert.anchor])  # as they appear down the form


def by_anchor(alerts: Iterable[FlagAlert]) -> dict[str, list[FlagAlert]]:
    """The alerts grouped by the question they are shown beside, in the order given."""
    grouped: dict[str, list[FlagAlert]] = {}
    for alert in alerts:
        grouped.setdefault(alert.anchor, []).append(alert)
    return grouped


def _raised_by(definition: Definition, response: Response, flag: RedFlagResult) -> tuple[str, ...]:
    given = [read.item for read in flag.answers if read.item in response.answers]

    def raises(without: set[str]) -> bool:
        answers = {k: v for k, v in response.answers.items() if k not in without}
        again = assess(definition, response.model_copy(update={"answers": answers}))
        return any(f.id == flag.id for f in again.red_flags)

    needed = [i for i in given if not raises({i})]
    others = {i for i in given if i not in needed}
    if others and not raises(others):  # several answers raise it on their own: each that does counts
        needed += [i for i in others if raises(others - {i})]
    order = {item_id: index for index, item_id in enumerate(definition.items)}
    return tuple(sorted(needed or given, key=order.__getitem__))
