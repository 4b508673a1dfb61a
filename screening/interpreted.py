"""The reference scorer: each rule's compiled condition evaluated in turn, the Assessment built as it goes.

``scorer.assess`` runs the generated function of ``screening.compiled`` instead and must give the same Assessment
for every response; the tests hold the two side by side. Kept for that, and as the plainest statement of how a
response is screened.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .assessment import (
    AnswerRead,
    Assessment,
    DifferentialResult,
    DispositionReason,
    FeatureResult,
    LikelihoodResult,
    RedFlagResult,
    RuleTrace,
)
from .conditions import UNKNOWN, Truth
from .definition import Definition
from .model import Disposition, Likelihood
from .plan import GRADE_RANK, RANK, Tables, definition_tables, next_step_for
from .response import Response
from .scorer import _grade, _missing, _with_answers

__all__ = ["assess_interpreted"]


def assess_interpreted(definition: Definition, response: Response) -> Assessment:
    """Screen one response condition by condition: the reference ``scorer.assess`` must agree with."""
    tables = definition_tables(definition)
    policy = definition.ruleset.disposition
    grading = definition.ruleset.grading
    values, shown = definition.effective_values(response.answers)
    findings: dict[str, Truth] = {}
    trace: list[RuleTrace] = []
    unknown_rules: list[str] = []

    for finding_id, compiled, traces in tables.findings:
        result = findings[finding_id] = compiled.evaluate(values, findings)
        trace.append(traces[result])

    raised: list[RedFlagResult] = []
    unsure: list[RedFlagResult] = []
    reasons: list[DispositionReason] = []
    unsure_reasons: list[DispositionReason] = []
    for compiled, traces, flag, fired_reason, unsure_reason in tables.red_flags:
        result = compiled.evaluate(values, findings)
        trace.append(traces[result])
        if result:
            raised.append(flag)
            reasons.append(fired_reason)
        elif result is None:
            unsure.append(flag)
            unsure_reasons.append(unsure_reason)
            unknown_rules.append(flag.id)

    features: list[FeatureResult] = []
    points = unknown_points = 0
    for compiled, traces, statuses in tables.features:
        result = compiled.evaluate(values, findings)
        trace.append(traces[result])
        feature = statuses[result]
        features.append(feature)
        if result:
            points += feature.weight
        elif result is None:
            unknown_points += feature.weight
            unknown_rules.append(feature.id)

    requires: Truth = True
    if tables.likely_requires is not None:
        compiled, traces = tables.likely_requires
        requires = compiled.evaluate(values, findings)
        trace.append(traces[requires])
    grade = _grade(
        points,
        unknown_points,
        requires,
        grading.likely_at,
        grading.possible_at,
        grading.insufficient_when_unknown_at_least,
    )
    capped_by: list[str] = []
    for compiled, traces, ceiling in tables.caps:
        result = compiled.evaluate(values, findings)
        trace.append(traces[result])
        if result and grade in GRADE_RANK and GRADE_RANK[grade] > GRADE_RANK[ceiling]:
            grade = ceiling
            capped_by.append(compiled.rule.id)

    reasons = [DispositionReason("likelihood", grade.value, policy.by_likelihood[grade]), *reasons, *unsure_reasons]
    differentials: list[DifferentialResult] = []
    for compiled, traces in tables.differentials:
        result = compiled.evaluate(values, findings)
        trace.append(traces[result])
        if not result:
            continue
        diff = compiled.rule
        because = tuple(definition.finding_titles[f] for f in compiled.findings if findings.get(f))
        differentials.append(
            DifferentialResult(
                diff.id,
                diff.title,
                diff.staff_message,
                diff.patient_message,
                because or (definition.descriptions[diff.id],),
                diff.source,
            )
        )
        if diff.floor is not None:
            reasons.append(DispositionReason("differential", diff.id, Disposition(diff.floor)))
        if diff.floor_when_unlikely is not None and grade is Likelihood.UNLIKELY:
            reasons.append(DispositionReason("differential", diff.id, Disposition(diff.floor_when_unlikely)))

    disposition = max((reason.disposition for reason in reasons), key=RANK.__getitem__)
    answers = _read_answers(tables, response.answers, values, shown)
    if raised or unsure:
        by_item = {read.item: read for read in answers}
        raised = [_with_answers(flag, by_item) for flag in raised]
        unsure = [_with_answers(flag, by_item) for flag in unsure]
    return Assessment(
        disposition=disposition,
        next_step=next_step_for(tables, disposition, reasons),
        disposition_reasons=tuple(reasons),
        likelihood=LikelihoodResult(grade, points, tables.maximum, unknown_points, tuple(capped_by)),
        red_flags=tuple(raised),
        to_check=tuple(unsure),
        features=tuple(features),
        differentials=tuple(differentials),
        missing=_missing(definition, values, shown, unknown_rules, response.respondent),
        answers=answers,
        explanation=tuple(trace),
        provenance=tables.provenance,
        respondent=response.respondent,
        statement=definition.ruleset.statement,
    )


def _read_answers(
    tables: Tables, answers: Mapping[str, Any], values: Mapping[str, Any], shown: Mapping[str, Truth]
) -> tuple[AnswerRead, ...]:
    reads = []
    for table in tables.answers:
        value = values[table.item]
        if value is UNKNOWN:
            reads.append(table.unanswered if shown[table.item] else table.not_decided)
            continue
        found = table.known.get(value) if not isinstance(value, frozenset) else None
        if found is None:
            raw = answers[table.item]
            found = AnswerRead(table.item, "answered", tuple(raw) if isinstance(raw, list) else raw)
        reads.append(found)
    return tuple(reads)
