"""``assess``: a pure function from a checked response to an Assessment. Red flags always win.

The rules run as the definition's generated function (``screening.compiled``); ``assess_compact`` stops at the
outcome, ``assess`` goes on to the explanation. ``screening.interpreted`` is the reference both must agree with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import getitem
from typing import Any, Literal, Protocol

from .assessment import (
    AnswerRead,
    Assessment,
    DifferentialResult,
    DispositionReason,
    LikelihoodResult,
    MissingAnswer,
    RedFlagResult,
)
from .compiled import TRUE, UNSURE, Evaluation, evaluate
from .definition import Definition
from .kinds import NOT_SURE, UNKNOWN, Disposition, Likelihood, Truth
from .plan import GRADE_RANK, RANK, Plan, Tables, definition_plan, definition_tables, next_step_for


def _read_answers(
    tables: Tables, answers: Mapping[str, Any], values: tuple[Any, ...], shown: tuple[int, ...], slots: tuple[int, ...]
) -> tuple[AnswerRead, ...]:
    """Each answer as the rules saw it, in the order asked; ``slots`` places each item in the Evaluation."""
    reads = []
    for table, k in zip(tables.answers, slots, strict=True):
        value = values[k]
        if value is UNKNOWN:
            reads.append(table.unanswered if shown[k] == TRUE else table.not_decided)
            continue
        found = table.known.get(value) if not isinstance(value, frozenset) else None
        if found is None:
            raw = answers[table.item]
            found = AnswerRead(table.item, "answered", tuple(raw) if isinstance(raw, list) else raw)
        reads.append(found)
    return tuple(reads)


@dataclass(frozen=True, slots=True)
class CompactResult:
    """The outcome of one response without its explanation: enough to store, count, compare or rescore.

    ``rules`` holds every rule's value in ``Definition.scorer.rules`` order: 0 false, 1 unknown, 2 true.
    """

    disposition: Disposition
    grade: Likelihood
    points: int
    unknown_points: int
    capped_by: tuple[str, ...]
    red_flags: tuple[str, ...]  # raised
    to_check: tuple[str, ...]  # could not be ruled out
    rules: tuple[int, ...]


class Answers(Protocol):
    """What the scorer reads of a checked response: a parsed ``Response`` or a plain ``AnswerSheet``."""

    @property
    def answers(self) -> Mapping[str, Any]: ...

    @property
    def respondent(self) -> Literal["patient", "staff"]: ...


_TRUTH: tuple[Truth, Truth, Truth] = (False, None, True)
_BY_RANK = sorted(Disposition, key=RANK.__getitem__)


def assess_compact(definition: Definition, response: Answers) -> CompactResult:
    """Screen one response without building its explanation (for batches, rescoring and storage).

    Same outcome as ``assess``; ``explain`` turns it into the full Assessment when a page, PDF or JSON needs one.
    """
    return _compact(definition_plan(definition), evaluate(definition.scorer, response.answers))


@lru_cache(maxsize=16)
def _emergency_flag_ids(definition: Definition) -> frozenset[str]:
    return frozenset(flag.id for flag in definition.red_flags if flag.urgency == "emergency")


def emergency_raised(definition: Definition, result: CompactResult) -> bool:
    """Whether a raised red flag needs 999 / A&E now: what ``assessment.emergency_flags`` finds in the full
    assessment, read off the compact result (the form routes ask this of every post)."""
    return not _emergency_flag_ids(definition).isdisjoint(result.red_flags)


def _compact(plan: Plan, ev: Evaluation) -> CompactResult:
    rules = ev.rules
    requires = _TRUTH[rules[plan.requires]] if plan.requires is not None else True
    grade = _grade(ev.points, ev.unknown_points, requires, *plan.grading)
    capped_by: tuple[str, ...] = ()
    for slot, cap_id, ceiling in plan.caps:
        if rules[slot] == TRUE and grade in GRADE_RANK and GRADE_RANK[grade] > GRADE_RANK[ceiling]:
            grade = ceiling
            capped_by += (cap_id,)
    rank = plan.by_likelihood[grade]
    raised: list[str] = []
    unsure: list[str] = []
    for slot, flag_id, fired, not_ruled_out in plan.red_flags:
        value = rules[slot]
        if value == TRUE:
            raised.append(flag_id)
            rank = fired if fired > rank else rank
        elif value == UNSURE:
            unsure.append(flag_id)
            rank = not_ruled_out if not_ruled_out > rank else rank
    for slot, diff in plan.differentials:
        if rules[slot] == TRUE:
            if diff.floor is not None:
                rank = max(rank, RANK[Disposition(diff.floor)])
            if diff.floor_when_unlikely is not None and grade is Likelihood.UNLIKELY:
                rank = max(rank, RANK[Disposition(diff.floor_when_unlikely)])
    return CompactResult(
        _BY_RANK[rank], grade, ev.points, ev.unknown_points, capped_by, tuple(raised), tuple(unsure), rules
    )


def assess(definition: Definition, response: Answers) -> Assessment:
    """Screen one response. Pure and deterministic: same definition and response, same Assessment."""
    evaluation = evaluate(definition.scorer, response.answers)
    plan = definition_plan(definition)
    return _explain(definition, plan, response, evaluation, _compact(plan, evaluation))


def explain(definition: Definition, response: Answers, result: CompactResult) -> Assessment:
    """The full Assessment (trace, answers read, messages) behind a compact result of ``assess_compact``."""
    evaluation = evaluate(definition.scorer, response.answers)
    return _explain(definition, definition_plan(definition), response, evaluation, result)


def _explain(
    definition: Definition, plan: Plan, response: Answers, ev: Evaluation, result: CompactResult
) -> Assessment:
    tables = definition_tables(definition)
    policy = definition.policy
    rules = ev.rules
    grade = result.grade
    reasons = [DispositionReason("likelihood", grade.value, policy.by_likelihood[grade])]
    raised: list[RedFlagResult] = []
    unsure: list[RedFlagResult] = []
    unsure_reasons: list[DispositionReason] = []
    unknown_rules: list[str] = []
    for (slot, flag_id, _, _), row in zip(plan.red_flags, tables.red_flags, strict=True):
        value = rules[slot]
        if value == TRUE:
            raised.append(row.result)
            reasons.append(row.raised)
        elif value == UNSURE:
            unsure.append(row.result)
            unsure_reasons.append(row.unsure)
            unknown_rules.append(flag_id)
    reasons += unsure_reasons
    features = []
    for slot, statuses in plan.features:
        feature = statuses[rules[slot]]
        features.append(feature)
        if rules[slot] == UNSURE:
            unknown_rules.append(feature.id)
    differentials: list[DifferentialResult] = []
    for slot, diff in plan.differentials:
        if rules[slot] != TRUE:
            continue
        because = tuple(definition.finding_titles[f] for f in diff.findings if rules[plan.findings[f]] == TRUE)
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
    answers = _read_answers(tables, response.answers, ev.values, ev.shown, plan.answer_slots)
    missing: tuple[MissingAnswer, ...] = ()
    if unknown_rules:
        values = dict(zip(definition.slot, ev.values, strict=True))
        shown = {item_id: _TRUTH[s] for item_id, s in zip(definition.slot, ev.shown, strict=True)}
        missing = _missing(definition, values, shown, unknown_rules, response.respondent)
    if raised or unsure:
        by_item = {read.item: read for read in answers}
        raised = [_with_answers(flag, by_item) for flag in raised]
        unsure = [_with_answers(flag, by_item) for flag in unsure]
    return Assessment(
        disposition=result.disposition,
        next_step=next_step_for(tables, result.disposition, reasons),
        disposition_reasons=tuple(reasons),
        likelihood=LikelihoodResult(grade, result.points, tables.maximum, result.unknown_points, result.capped_by),
        red_flags=tuple(raised),
        to_check=tuple(unsure),
        features=tuple(features),
        differentials=tuple(differentials),
        missing=missing,
        answers=answers,
        explanation=tuple(map(getitem, plan.traces, rules)),
        provenance=tables.provenance,
        respondent=response.respondent,
        statement=policy.statement,
    )


def _with_answers(flag: RedFlagResult, by_item: Mapping[str, AnswerRead]) -> RedFlagResult:
    """The flag with the answers behind it that were asked (questions not shown are left out)."""
    reads = tuple(read for item in flag.items if (read := by_item[item]).status != "not_shown")
    f = flag  # built directly: dataclasses.replace costs several times more
    return RedFlagResult(f.id, f.title, f.urgency, f.patient_message, f.staff_message, f.source, f.items, reads)


def _grade(
    points: int, unknown: int, requires: Truth, likely_at: int, possible_at: int, insufficient_at: int
) -> Likelihood:
    """The grade the known points support; 'insufficient' when unknown features could lift it off 'unlikely'."""

    def grade(p: int, core: bool) -> Likelihood:
        if p >= likely_at and core:
            return Likelihood.LIKELY
        return Likelihood.POSSIBLE if p >= possible_at else Likelihood.UNLIKELY

    lowest = grade(points, requires is True)
    highest = grade(points + unknown, requires is not False)
    if lowest is not highest and lowest is Likelihood.UNLIKELY and unknown >= insufficient_at:
        return Likelihood.INSUFFICIENT_INFORMATION
    return lowest


def _missing(
    definition: Definition,
    values: Mapping[str, Any],
    shown: Mapping[str, Truth],
    unknown_rules: list[str],
    respondent: str,
) -> tuple[MissingAnswer, ...]:
    """Unanswered or 'not sure' questions behind any red flag or feature that came out unknown."""
    if not unknown_rules:
        return ()
    affects: dict[str, list[str]] = {}
    for rule_id in unknown_rules:
        for item in definition.reads_all[rule_id]:
            value = values[item]
            if value is UNKNOWN or value == NOT_SURE:
                affects.setdefault(item, []).append(rule_id)
    wording = 1 if respondent == "staff" else 0
    result = []
    for item_id in sorted(affects, key=definition.position.__getitem__):
        status: Literal["unanswered", "not_sure", "not_decided"] = (
            "not_sure" if values[item_id] is not UNKNOWN else "unanswered" if shown[item_id] else "not_decided"
        )
        question = definition.wording[item_id][wording]
        result.append(MissingAnswer(item_id, question, status, tuple(affects[item_id])))
    return tuple(result)
