"""``assess``: a pure function from a checked response to an Assessment. Red flags always win."""

from __future__ import annotations

from collections.abc import Mapping
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
from .conditions import NOT_APPLICABLE, UNKNOWN, Truth
from .definition import CompiledRule, Definition
from .model import NOT_SURE, DisplayItem, Disposition, Likelihood
from .response import Response

_RESULT: dict[Truth, Result] = {True: "true", False: "false", None: "unknown"}
_GRADE_RANK = {Likelihood.UNLIKELY: 0, Likelihood.POSSIBLE: 1, Likelihood.LIKELY: 2}


class _Reader:
    """Turns effective values into AnswerRead records, each built at most once per response."""

    __slots__ = ("answers", "cache", "shown", "values")

    def __init__(self, answers: Mapping[str, Any], values: Mapping[str, Any], shown: Mapping[str, Truth]) -> None:
        self.answers, self.values, self.shown = answers, values, shown
        self.cache: dict[str, AnswerRead] = {}

    def read(self, item: str) -> AnswerRead:
        found = self.cache.get(item)
        if found is None:
            value = self.values[item]
            if value is NOT_APPLICABLE:
                found = AnswerRead(item, "not_shown")
            elif value is UNKNOWN:
                found = AnswerRead(item, "unanswered" if self.shown[item] else "not_decided")
            elif value == NOT_SURE:
                found = AnswerRead(item, "not_sure", NOT_SURE)
            else:
                raw = self.answers[item]
                found = AnswerRead(item, "answered", tuple(raw) if isinstance(raw, list) else raw)
            self.cache[item] = found
        return found

    def reads(self, items: tuple[str, ...]) -> tuple[AnswerRead, ...]:
        return tuple(self.read(i) for i in items)


def assess(definition: Definition, response: Response) -> Assessment:
    """Screen one response. Pure and deterministic: same definition and response, same Assessment."""
    r = definition.ruleset
    values, shown = definition.effective_values(response.answers)
    findings: dict[str, Truth] = {}
    reader = _Reader(response.answers, values, shown)
    trace: list[RuleTrace] = []

    def run(kind: RuleKind, compiled: CompiledRule[Any], title: str) -> Truth:
        result = compiled.evaluate(values, findings)
        trace.append(
            RuleTrace(kind, compiled.rule.id, title, _RESULT[result], reader.reads(compiled.items), compiled.findings)
        )
        return result

    for compiled in definition.findings:
        findings[compiled.rule.id] = run("finding", compiled, compiled.rule.title)

    raised: list[RedFlagResult] = []
    unsure: list[RedFlagResult] = []
    unknown_rules: list[str] = []
    for compiled in definition.red_flags:
        flag = compiled.rule
        result = run("red_flag", compiled, flag.title)
        if result is not False:
            entry = RedFlagResult(
                flag.id,
                flag.title,
                flag.urgency,
                flag.patient_message,
                flag.staff_message,
                flag.source,
                reader.reads(definition.reads_all[flag.id]),
            )
            (raised if result else unsure).append(entry)
            if result is None:
                unknown_rules.append(flag.id)

    features: list[FeatureResult] = []
    points = unknown_points = maximum = 0
    for compiled in definition.features:
        feature = compiled.rule
        result = run("feature", compiled, feature.title)
        maximum += feature.weight
        if result:
            points += feature.weight
        elif result is None:
            unknown_points += feature.weight
            unknown_rules.append(feature.id)
        status: Literal["met", "not_met", "unknown"] = "met" if result else "unknown" if result is None else "not_met"
        features.append(
            FeatureResult(feature.id, feature.title, status, feature.weight, feature.criterion, feature.source)
        )

    grading = r.grading
    requires: Truth = True
    if definition.likely_requires is not None:
        requires = run("grading", definition.likely_requires, definition.likely_requires.rule.title)
    grade = _grade(
        points,
        unknown_points,
        requires,
        grading.likely_at,
        grading.possible_at,
        grading.insufficient_when_unknown_at_least,
    )
    capped_by: list[str] = []
    for compiled in definition.caps:
        cap = compiled.rule
        if run("grade_cap", compiled, cap.title) and grade in _GRADE_RANK:
            ceiling = Likelihood(cap.at_most)
            if _GRADE_RANK[grade] > _GRADE_RANK[ceiling]:
                grade = ceiling
                capped_by.append(cap.id)

    policy = r.disposition
    reasons = [DispositionReason("likelihood", grade.value, policy.by_likelihood[grade])]
    reasons += [DispositionReason("red_flag", f.id, Disposition(f.urgency)) for f in raised]
    reasons += [DispositionReason("red_flag_unsure", f.id, policy.when_red_flag_unsure[f.urgency]) for f in unsure]

    differentials: list[DifferentialResult] = []
    for compiled in definition.differentials:
        diff = compiled.rule
        result = run("differential", compiled, diff.title)
        if not result:
            continue
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

    disposition = max((reason.disposition for reason in reasons), key=lambda d: d.rank)
    text = policy.texts[disposition]
    q = definition.questionnaire
    return Assessment(
        disposition=disposition,
        next_step=NextStep(text.title, text.patient, text.staff, text.action, text.time_frame),
        disposition_reasons=tuple(reasons),
        likelihood=LikelihoodResult(grade, points, maximum, unknown_points, tuple(capped_by)),
        red_flags=tuple(raised),
        to_check=tuple(unsure),
        features=tuple(features),
        differentials=tuple(differentials),
        missing=_missing(definition, reader, unknown_rules, response.respondent),
        explanation=tuple(trace),
        provenance=Provenance(
            q.id, q.version, definition.questionnaire_sha256, r.id, r.version, definition.ruleset_sha256, __version__
        ),
        respondent=response.respondent,
        statement=r.statement,
    )


def _grade(
    points: int, unknown: int, requires: Truth, likely_at: int, possible_at: int, insufficient_at: int
) -> Likelihood:
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
    definition: Definition, reader: _Reader, unknown_rules: list[str], respondent: str
) -> tuple[MissingAnswer, ...]:
    """Unanswered or 'not sure' questions behind any red flag or feature that came out unknown."""
    affects: dict[str, list[str]] = {}
    for rule_id in unknown_rules:
        for item in definition.reads_all[rule_id]:
            if reader.read(item).status in ("unanswered", "not_sure", "not_decided"):
                affects.setdefault(item, []).append(rule_id)
    result = []
    for item_id, rules in sorted(affects.items(), key=lambda kv: definition.position[kv[0]]):
        asked = definition.items[item_id]
        question = asked.staff if respondent == "staff" or isinstance(asked, DisplayItem) else asked.patient
        result.append(MissingAnswer(item_id, question, reader.read(item_id).status, tuple(rules)))
    return tuple(result)
