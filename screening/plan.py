"""What ``assess`` shares between all responses to one definition, worked out once per definition.

The records here (a rule's trace for each result, a feature's status, a raised red flag, every answer an item can
give) depend only on the definition; ``Plan`` says where each rule sits in the generated scorer's results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from ._version import __version__
from .assessment import (
    AnswerRead,
    DispositionReason,
    FeatureResult,
    NextStep,
    Provenance,
    RedFlagResult,
    Result,
    RuleKind,
    RuleTrace,
    rests_on_unsure,
)
from .conditions import NOT_APPLICABLE, Truth
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

_RESULT: dict[Truth, Result] = {True: "true", False: "false", None: "unknown"}
GRADE_RANK = {Likelihood.UNLIKELY: 0, Likelihood.POSSIBLE: 1, Likelihood.LIKELY: 2}
RANK = {d: d.rank for d in Disposition}

Traces = dict[Truth, RuleTrace]


def traces_for(kind: RuleKind, compiled: CompiledRule[Any], title: str) -> Traces:
    """The rule's trace entry for each possible result, built once."""
    rule_id = compiled.rule.id
    return {
        truth: RuleTrace(kind, rule_id, title, _RESULT[truth], compiled.items, compiled.findings)
        for truth in (True, False, None)
    }


@dataclass(frozen=True)
class AnswerTable:
    """Every AnswerRead an item can produce that does not depend on free input, keyed by value."""

    item: str
    unanswered: AnswerRead
    not_decided: AnswerRead
    known: dict[Any, AnswerRead]


def answer_table(item_id: str, item: Any) -> AnswerTable:
    known: dict[Any, AnswerRead] = {
        NOT_APPLICABLE: AnswerRead(item_id, "not_shown"),
        NOT_SURE: AnswerRead(item_id, "not_sure", NOT_SURE),
    }
    values: list[Any] = []
    if isinstance(item, YesNoItem | SingleChoiceItem):
        values = list(item.codes)  # "not sure" is read as such, below
    elif isinstance(item, IntegerItem | ScaleItem) and item.max - item.min <= 1000:
        values = list(range(item.min, item.max + 1))
    known.update({value: AnswerRead(item_id, "answered", value) for value in values if value != NOT_SURE})
    return AnswerTable(item_id, AnswerRead(item_id, "unanswered"), AnswerRead(item_id, "not_decided"), known)


@dataclass(frozen=True)
class Tables:
    """What ``assess`` shares between responses for one definition."""

    answers: tuple[AnswerTable, ...]
    findings: tuple[tuple[str, CompiledRule[Any], Traces], ...]
    red_flags: tuple[tuple[CompiledRule[Any], Traces, RedFlagResult, DispositionReason, DispositionReason], ...]
    features: tuple[tuple[CompiledRule[Any], Traces, dict[Truth, FeatureResult]], ...]
    differentials: tuple[tuple[CompiledRule[Any], Traces], ...]
    caps: tuple[tuple[CompiledRule[Any], Traces, Likelihood], ...]
    likely_requires: tuple[CompiledRule[Any], Traces] | None
    maximum: int
    next_steps: dict[Disposition, NextStep]
    unsure_step: NextStep | None  # instead of next_steps[...] when the outcome rests only on flags not ruled out
    provenance: Provenance


@lru_cache(maxsize=16)
def _next_step(text: DispositionText, *, checks_undecided_flags: bool = False) -> NextStep:
    return NextStep(text.title, text.patient, text.staff, text.action, text.time_frame, checks_undecided_flags)


@lru_cache(maxsize=16)  # built once per definition: ~10 ms, which every full Assessment needs
def definition_tables(definition: Definition) -> Tables:
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
                traces_for("red_flag", compiled, flag.title),
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
                traces_for("feature", compiled, f.title),
                {
                    t: FeatureResult(f.id, f.title, status, f.weight, f.criterion, f.source)
                    for t, status in statuses.items()
                },
            )
        )
    requires = definition.likely_requires
    q, r = definition.questionnaire, definition.ruleset
    return Tables(
        answers=tuple(
            answer_table(i, item) for i, item in definition.items.items() if not isinstance(item, DisplayItem)
        ),
        findings=tuple((c.rule.id, c, traces_for("finding", c, c.rule.title)) for c in definition.findings),
        red_flags=tuple(red_flags),
        features=tuple(features),
        differentials=tuple((c, traces_for("differential", c, c.rule.title)) for c in definition.differentials),
        caps=tuple((c, traces_for("grade_cap", c, c.rule.title), Likelihood(c.rule.at_most)) for c in definition.caps),
        likely_requires=(requires, traces_for("grading", requires, requires.rule.title)) if requires else None,
        maximum=sum(f.weight for f in r.features),
        next_steps={d: _next_step(t) for d, t in policy.texts.items()},
        unsure_step=_next_step(policy.unsure_text, checks_undecided_flags=True) if policy.unsure_text else None,
        provenance=Provenance(
            q.id, q.version, definition.questionnaire_sha256, r.id, r.version, definition.ruleset_sha256, __version__
        ),
    )


@dataclass(frozen=True)
class Plan:
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
    answer_slots: tuple[int, ...]  # where each of Tables.answers sits in an Evaluation's values


@lru_cache(maxsize=16)
def definition_plan(definition: Definition) -> Plan:
    tables = definition_tables(definition)
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
    return Plan(
        traces=tuple((traces[key][False], traces[key][None], traces[key][True]) for key in definition.scorer.rules),
        findings={rule_id: k for (kind, rule_id), k in slots.items() if kind == "finding"},
        red_flags=tuple(
            (
                slots["red_flag", c.rule.id],
                c.rule.id,
                RANK[Disposition(c.rule.urgency)],
                RANK[policy.when_red_flag_unsure[c.rule.urgency]],
            )
            for c in definition.red_flags
        ),
        features=tuple((slots["feature", c.rule.id], (s[False], s[None], s[True])) for c, _, s in tables.features),
        requires=slots["grading", tables.likely_requires[0].rule.id] if tables.likely_requires else None,
        caps=tuple((slots["grade_cap", c.rule.id], c.rule.id, ceiling) for c, _, ceiling in tables.caps),
        differentials=tuple((slots["differential", c.rule.id], c) for c, _ in tables.differentials),
        by_likelihood={g: RANK[d] for g, d in policy.by_likelihood.items()},
        grading=(grading.likely_at, grading.possible_at, grading.insufficient_when_unknown_at_least),
        answer_slots=tuple(definition.slot[table.item] for table in tables.answers),
    )


def next_step_for(tables: Tables, disposition: Disposition, reasons: Sequence[DispositionReason]) -> NextStep:
    """The next step for this outcome: the ruleset's same-day check when only flags not ruled out put it there."""
    if tables.unsure_step is not None and rests_on_unsure(disposition, reasons):
        return tables.unsure_step
    return tables.next_steps[disposition]
