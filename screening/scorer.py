"""``assess``: a pure function from a checked response to an Assessment. Red flags always win.

The rules run as the definition's generated function (``screening.compiled``); ``assess_compact`` stops at the
outcome, ``assess`` goes on to the explanation. ``screening.interpreted`` is the reference both must agree with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from ._version import __version__
from .assessment import (
    AnswerRead,
    Assessment,
    DifferentialResult,
    DispositionReason,
    FeatureResult,
    LikelihoodResult,
    MissingAnswer,
    NextStep,
    Provenance,
    RedFlagResult,
    Result,
    RuleKind,
    RuleTrace,
)
from .compiled import TRUE, UNSURE, Evaluation, evaluate
from .conditions import NOT_APPLICABLE, UNKNOWN, Truth
from .definition import CompiledRule, Definition
from .model import NOT_SURE, DisplayItem, Disposition, IntegerItem, Likelihood, ScaleItem, SingleChoiceItem, YesNoItem
from .response import Response

_RESULT: dict[Truth, Result] = {True: "true", False: "false", None: "unknown"}
_GRADE_RANK = {Likelihood.UNLIKELY: 0, Likelihood.POSSIBLE: 1, Likelihood.LIKELY: 2}
_RANK = {d: d.rank for d in Disposition}

Traces = dict[Truth, RuleTrace]


def _traces(kind: RuleKind, compiled: CompiledRule[Any], title: str) -> Traces:
    """The rule's trace entry for each possible result, built once."""
    rule_id = compiled.rule.id
    return {
        truth: RuleTrace(kind, rule_id, title, _RESULT[truth], compiled.items, compiled.findings)
        for truth in (True, False, None)
    }


@dataclass(frozen=True)
class _AnswerTable:
    """Every AnswerRead an item can produce that does not depend on free input, keyed by value."""

    item: str
    unanswered: AnswerRead
    not_decided: AnswerRead
    known: dict[Any, AnswerRead]


def _answer_table(item_id: str, item: Any) -> _AnswerTable:
    known: dict[Any, AnswerRead] = {
        NOT_APPLICABLE: AnswerRead(item_id, "not_shown"),
        NOT_SURE: AnswerRead(item_id, "not_sure", NOT_SURE),
    }
    values: list[Any] = []
    if isinstance(item, YesNoItem):
        values = ["yes", "no"]
    elif isinstance(item, SingleChoiceItem):
        values = [o.code for o in item.options]
    elif isinstance(item, IntegerItem | ScaleItem) and item.max - item.min <= 1000:
        values = list(range(item.min, item.max + 1))
    known.update({value: AnswerRead(item_id, "answered", value) for value in values if value != NOT_SURE})
    return _AnswerTable(item_id, AnswerRead(item_id, "unanswered"), AnswerRead(item_id, "not_decided"), known)


@dataclass(frozen=True)
class _Tables:
    """What ``assess`` shares between responses for one definition."""

    answers: tuple[_AnswerTable, ...]
    findings: tuple[tuple[str, CompiledRule[Any], Traces], ...]
    red_flags: tuple[tuple[CompiledRule[Any], Traces, RedFlagResult, DispositionReason, DispositionReason], ...]
    features: tuple[tuple[CompiledRule[Any], Traces, dict[Truth, FeatureResult]], ...]
    differentials: tuple[tuple[CompiledRule[Any], Traces], ...]
    caps: tuple[tuple[CompiledRule[Any], Traces, Likelihood], ...]
    likely_requires: tuple[CompiledRule[Any], Traces] | None
    maximum: int
    next_steps: dict[Disposition, NextStep]
    provenance: Provenance


@lru_cache(maxsize=16)
def _tables(definition: Definition) -> _Tables:
    policy = definition.ruleset.disposition
    red_flags = []
    for compiled in definition.red_flags:
        flag = compiled.rule
        result = RedFlagResult(
            flag.id,
            flag.title,
            flag.urgency,
            flag.patient_message,
            flag.staff_message,
            flag.source,
            definition.reads_all[flag.id],
        )
        red_flags.append(
            (
                compiled,
                _traces("red_flag", compiled, flag.title),
                result,
                DispositionReason("red_flag", flag.id, Disposition(flag.urgency)),
                DispositionReason("red_flag_unsure", flag.id, policy.when_red_flag_unsure[flag.urgency]),
            )
        )
    features = []
    for compiled in definition.features:
        f = compiled.rule
        statuses: dict[Truth, Literal["met", "not_met", "unknown"]] = {True: "met", False: "not_met", None: "unknown"}
        features.append(
            (
                compiled,
                _traces("feature", compiled, f.title),
                {
                    t: FeatureResult(f.id, f.title, status, f.weight, f.criterion, f.source)
                    for t, status in statuses.items()
                },
            )
        )
    requires = definition.likely_requires
    q, r = definition.questionnaire, definition.ruleset
    return _Tables(
        answers=tuple(
            _answer_table(i, item) for i, item in definition.items.items() if not isinstance(item, DisplayItem)
        ),
        findings=tuple((c.rule.id, c, _traces("finding", c, c.rule.title)) for c in definition.findings),
        red_flags=tuple(red_flags),
        features=tuple(features),
        differentials=tuple((c, _traces("differential", c, c.rule.title)) for c in definition.differentials),
        caps=tuple((c, _traces("grade_cap", c, c.rule.title), Likelihood(c.rule.at_most)) for c in definition.caps),
        likely_requires=(requires, _traces("grading", requires, requires.rule.title)) if requires else None,
        maximum=sum(f.weight for f in r.features),
        next_steps={d: NextStep(t.title, t.patient, t.staff, t.action, t.time_frame) for d, t in policy.texts.items()},
        provenance=Provenance(
            q.id, q.version, definition.questionnaire_sha256, r.id, r.version, definition.ruleset_sha256, __version__
        ),
    )


def _read_answers(
    tables: _Tables, answers: Mapping[str, Any], values: Mapping[str, Any], shown: Mapping[str, Truth]
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


_TRUTH: tuple[Truth, Truth, Truth] = (False, None, True)
_BY_RANK = sorted(Disposition, key=_RANK.__getitem__)


@dataclass(frozen=True)
class _Plan:
    """Where each kind of rule sits in the generated function's result, with what it leads to."""

    traces: tuple[tuple[RuleTrace, RuleTrace, RuleTrace], ...]  # per rule, by value 0/1/2
    findings: dict[str, int]
    red_flags: tuple[tuple[int, str, int, int], ...]  # slot, id, rank when raised, rank when unsure
    features: tuple[tuple[int, tuple[FeatureResult, FeatureResult, FeatureResult]], ...]
    requires: int | None
    caps: tuple[tuple[int, str, Likelihood], ...]
    differentials: tuple[tuple[int, CompiledRule[Any]], ...]
    by_likelihood: dict[Likelihood, int]
    grading: tuple[int, int, int]


@lru_cache(maxsize=16)
def _plan(definition: Definition) -> _Plan:
    tables = _tables(definition)
    policy = definition.ruleset.disposition
    grading = definition.ruleset.grading
    traces: dict[tuple[str, str], Traces] = {}
    for finding_id, _, t in tables.findings:
        traces["finding", finding_id] = t
    for compiled, t, *_ in tables.red_flags:
        traces["red_flag", compiled.rule.id] = t
    for compiled, t, _ in tables.features:
        traces["feature", compiled.rule.id] = t
    if tables.likely_requires is not None:
        traces["grading", tables.likely_requires[0].rule.id] = tables.likely_requires[1]
    for compiled, t, _ in tables.caps:
        traces["grade_cap", compiled.rule.id] = t
    for compiled, t in tables.differentials:
        traces["differential", compiled.rule.id] = t
    slots = {key: k for k, key in enumerate(definition.scorer.rules)}
    return _Plan(
        traces=tuple((traces[key][False], traces[key][None], traces[key][True]) for key in definition.scorer.rules),
        findings={rule_id: k for (kind, rule_id), k in slots.items() if kind == "finding"},
        red_flags=tuple(
            (slots["red_flag", c.rule.id], c.rule.id, _RANK[Disposition(c.rule.urgency)],
             _RANK[policy.when_red_flag_unsure[c.rule.urgency]])
            for c in definition.red_flags
        ),
        features=tuple(
            (slots["feature", c.rule.id], (s[False], s[None], s[True])) for c, _, s in tables.features
        ),
        requires=slots["grading", tables.likely_requires[0].rule.id] if tables.likely_requires else None,
        caps=tuple((slots["grade_cap", c.rule.id], c.rule.id, ceiling) for c, _, ceiling in tables.caps),
        differentials=tuple((slots["differential", c.rule.id], c) for c, _ in tables.differentials),
        by_likelihood={g: _RANK[d] for g, d in policy.by_likelihood.items()},
        grading=(grading.likely_at, grading.possible_at, grading.insufficient_when_unknown_at_least),
    )


def assess_compact(definition: Definition, response: Response) -> CompactResult:
    """Screen one response without building its explanation (for batches, rescoring and storage).

    Same outcome as ``assess``; ``explain`` turns it into the full Assessment when a page, PDF or JSON needs one.
    """
    return _compact(_plan(definition), evaluate(definition, response.answers))


def _compact(plan: _Plan, ev: Evaluation) -> CompactResult:
    rules = ev.rules
    requires = _TRUTH[rules[plan.requires]] if plan.requires is not None else True
    grade = _grade(ev.points, ev.unknown_points, requires, *plan.grading)
    capped_by: tuple[str, ...] = ()
    for slot, cap_id, ceiling in plan.caps:
        if rules[slot] == TRUE and grade in _GRADE_RANK and _GRADE_RANK[grade] > _GRADE_RANK[ceiling]:
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
    for slot, compiled in plan.differentials:
        if rules[slot] == TRUE:
            diff = compiled.rule
            if diff.floor is not None:
                rank = max(rank, _RANK[Disposition(diff.floor)])
            if diff.floor_when_unlikely is not None and grade is Likelihood.UNLIKELY:
                rank = max(rank, _RANK[Disposition(diff.floor_when_unlikely)])
    return CompactResult(
        _BY_RANK[rank], grade, ev.points, ev.unknown_points, capped_by, tuple(raised), tuple(unsure), rules
    )


def assess(definition: Definition, response: Response) -> Assessment:
    """Screen one response. Pure and deterministic: same definition and response, same Assessment."""
    evaluation = evaluate(definition, response.answers)
    plan = _plan(definition)
    return _explain(definition, plan, response, evaluation, _compact(plan, evaluation))


def explain(definition: Definition, response: Response, result: CompactResult) -> Assessment:
    """The full Assessment (trace, answers read, messages) behind a compact result of ``assess_compact``."""
    return _explain(definition, _plan(definition), response, evaluate(definition, response.answers), result)


def _explain(
    definition: Definition, plan: _Plan, response: Response, ev: Evaluation, result: CompactResult
) -> Assessment:
    tables = _tables(definition)
    policy = definition.ruleset.disposition
    rules = ev.rules
    grade = result.grade
    reasons = [DispositionReason("likelihood", grade.value, policy.by_likelihood[grade])]
    raised: list[RedFlagResult] = []
    unsure: list[RedFlagResult] = []
    unsure_reasons: list[DispositionReason] = []
    unknown_rules: list[str] = []
    for (slot, *_), (_, _, flag, fired_reason, unsure_reason) in zip(plan.red_flags, tables.red_flags, strict=True):
        value = rules[slot]
        if value == TRUE:
            raised.append(flag)
            reasons.append(fired_reason)
        elif value == UNSURE:
            unsure.append(flag)
            unsure_reasons.append(unsure_reason)
            unknown_rules.append(flag.id)
    reasons += unsure_reasons
    features = []
    for slot, statuses in plan.features:
        feature = statuses[rules[slot]]
        features.append(feature)
        if rules[slot] == UNSURE:
            unknown_rules.append(feature.id)
    differentials: list[DifferentialResult] = []
    for slot, compiled in plan.differentials:
        if rules[slot] != TRUE:
            continue
        diff = compiled.rule
        because = tuple(
            definition.finding_titles[f] for f in compiled.findings if rules[plan.findings[f]] == TRUE
        )
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
    values = dict(zip(definition.slot, ev.values, strict=True))
    shown = {item_id: _TRUTH[s] for item_id, s in zip(definition.slot, ev.shown, strict=True)}
    answers = _read_answers(tables, response.answers, values, shown)
    if raised or unsure:
        by_item = {read.item: read for read in answers}
        raised = [_with_answers(flag, by_item) for flag in raised]
        unsure = [_with_answers(flag, by_item) for flag in unsure]
    return Assessment(
        disposition=result.disposition,
        next_step=tables.next_steps[result.disposition],
        disposition_reasons=tuple(reasons),
        likelihood=LikelihoodResult(grade, result.points, tables.maximum, result.unknown_points, result.capped_by),
        red_flags=tuple(raised),
        to_check=tuple(unsure),
        features=tuple(features),
        differentials=tuple(differentials),
        missing=_missing(definition, values, shown, unknown_rules, response.respondent),
        answers=answers,
        explanation=tuple(t[v] for t, v in zip(plan.traces, rules, strict=True)),
        provenance=tables.provenance,
        respondent=response.respondent,
        statement=definition.ruleset.statement,
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
