"""``assess``: a pure function from a checked response to an Assessment. Red flags always win."""

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
    rests_on_unsure,
)
from .conditions import NOT_APPLICABLE, UNKNOWN, Truth
from .definition import CompiledRule, Definition
from .model import (
    NOT_SURE,
    DisplayItem,
    Disposition,
    DispositionText,
    IntegerItem,
    Likelihood,
    ScaleItem,
    SingleChoiceItem,
    YesNoItem,
)
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
    unsure_step: NextStep | None
    provenance: Provenance


def _next_step(text: DispositionText, *, checks_undecided_flags: bool = False) -> NextStep:
    return NextStep(text.title, text.patient, text.staff, text.action, text.time_frame, checks_undecided_flags)


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
        next_steps={d: _next_step(t) for d, t in policy.texts.items()},
        unsure_step=_next_step(policy.unsure_text, checks_undecided_flags=True) if policy.unsure_text else None,
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


def assess(definition: Definition, response: Response) -> Assessment:
    """Screen one response. Pure and deterministic: same definition and response, same Assessment."""
    tables = _tables(definition)
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
        if result and grade in _GRADE_RANK and _GRADE_RANK[grade] > _GRADE_RANK[ceiling]:
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

    disposition = max((reason.disposition for reason in reasons), key=_RANK.__getitem__)
    next_step = tables.next_steps[disposition]
    if tables.unsure_step is not None and rests_on_unsure(disposition, reasons):
        next_step = tables.unsure_step
    answers = _read_answers(tables, response.answers, values, shown)
    if raised or unsure:
        by_item = {read.item: read for read in answers}
        raised = [_with_answers(flag, by_item) for flag in raised]
        unsure = [_with_answers(flag, by_item) for flag in unsure]
    return Assessment(
        disposition=disposition,
        next_step=next_step,
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
