"""Which answers raised each emergency red flag, so the staff form can show the alert beside them.

The engine decides: the flag's own condition, evaluated as the scorer evaluates it, names the answers that
make it true (``conditions.supporting_items``). The page's script only places what this module returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..assessment import Assessment, emergency_flags
from ..conditions import Truth, supporting_items
from ..definition import Definition
from ..report import answer_text
from ..response import Response


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
    """An alert for each emergency red flag raised, naming the answers behind it, in the order of the form."""
    raised = emergency_flags(assessment)
    if not raised:
        return []
    values, _ = definition.effective_values(response.answers)
    findings: dict[str, Truth] = {}
    for finding in definition.findings:  # in dependency order, as the scorer evaluates them
        findings[finding.id] = definition.evaluator(finding)(values, findings)
    finding_conditions = {f.id: definition.condition(f) for f in definition.findings}
    conditions = {f.id: definition.condition(f) for f in definition.red_flags}
    alerts = []
    for flag in raised:
        behind = supporting_items(conditions[flag.id], values, findings, finding_conditions)
        items = tuple(sorted((i for i in behind if i in response.answers), key=definition.position.__getitem__))
        items = items or flag.items[:1]  # raised with nothing answered (not in today's rules): by its first question
        reads = {read.item: read for read in flag.answers}
        answers = tuple((definition.wording[i][1], answer_text(definition, reads[i])) for i in items if i in reads)
        alerts.append(FlagAlert(flag.id, flag.title, items, answers))
    return sorted(alerts, key=lambda alert: definition.position[alert.anchor])


def by_anchor(alerts: Iterable[FlagAlert]) -> dict[str, list[FlagAlert]]:
    """The alerts grouped by the question they are shown beside, in the order given."""
    grouped: dict[str, list[FlagAlert]] = {}
    for alert in alerts:
        grouped.setdefault(alert.anchor, []).append(alert)
    return grouped
