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
from .definition import Definition
from .kinds import UNKNOWN, Disposition, Likelihood, Truth
from .plan import GRADE_RANK, RANK, Tables, definition_tables, next_step_for
from .scorer import Answers, _grade, _missing, _with_answers

__all__ = ["assess_interpreted"]


def assess_interpreted(definition: Definition, response: Answers) -> Assessment:
    """Screen one response condition by condition: the reference ``scorer.assess`` must agree with."""
    tables = definition_tables(definition)
    policy = definition.policy
    values, shown = definition.effective_values(response.answers)
    findings: dict[str, Truth] = {}
    trace: list[RuleTrace] = []
    unknown_rules: list[str] = []

    for finding in tables.findings:
        result = findings[finding.rule.id] = definition.evaluator(finding.rule)(values, findings)
        trace.append(finding.traces[result])

    raised: list[RedFlagResult] = []
    unsure: list[RedFlagResult] = []
    reasons: list[DispositionReason] = []
    unsure_reasons: list[DispositionReason] = []
    for row in tables.red_flags:
        result = definition.evaluator(row.rule)(values, findings)
        trace.append(row.traces[result])
        if result:
            raised.append(row.result)
            reasons.append(row.raised)
        elif result is None:
            unsure.append(row.result)
            unsure_reasons.append(row.unsure)
            unknown_rules.append(row.rule.id)

    features: list[FeatureResult] = []
    points = unknown_points = 0
    for feature_row in tables.features:
        result = definition.evaluator(feature_row.rule)(values, findings)
        trace.append(feature_row.traces[result])
        feature = feature_row.statuses[result]
        features.append(feature)
        if result:
            points += feature.weight
        elif result is None:
            unknown_points += feature.weight
            unknown_rules.append(feature.id)

    requires: Truth = True
    if tables.likely_requires is not None:
        grading_rule, traces = tables.likely_requires
        requires = definition.evaluator(grading_rule)(values, findings)
        trace.append(traces[requires])
    grade = _grade(
        points,
        unknown_points,
        requires,
        policy.likely_at,
        policy.possible_at,
        policy.insufficient_when_unknown_at_least,
    )
    capped_by: list[str] = []
    for cap, traces in tables.caps:
        result = definition.evaluator(cap)(values, findings)
        trace.append(traces[result])
        if result and grade in GRADE_RANK and GRADE_RANK[grade] > GRADE_RANK[cap.at_most]:
            grade = cap.at_most
            capped_by.append(cap.id)

    reasons = [DispositionReason("likelihood", grade.value, policy.by_likelihood[grade]), *reasons, *unsure_reasons]
    differentials: list[DifferentialResult] = []
    for diff, traces in tables.differentials:
        result = definition.evaluator(diff)(values, findings)
        trace.append(traces[result])
        if not result:
            continue
        because = tuple(definition.finding_titles[f] for f in diff.findings if findings.get(f))
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
        statement=policy.statement,
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
