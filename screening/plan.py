"""What ``assess`` shares between all responses to one definition, worked out once per definition.

The records here (a rule's trace for each result, a feature's status, a raised red flag, every answer an item can
give) depend only on the definition; ``Plan`` says where each rule sits in the generated scorer's results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from .assessment import (
    AnswerRead,
    DispositionReason,
    FeatureResult,
    NextStep,
    Provenance,
    RedFlagResult,
    Result,
    RuleTrace,
    rests_on_unsure,
)
from .definition import (
    CapRule,
    Definition,
    DifferentialRule,
    FeatureRule,
    FindingRule,
    GradingRule,
    RedFlagRule,
    Rule,
)
from .kinds import NOT_APPLICABLE, NOT_SURE, Disposition, Likelihood, Truth

_RESULT: dict[Truth, Result] = {True: "true", False: "false", None: "unknown"}
GRADE_RANK = {Likelihood.UNLIKELY: 0, Likelihood.POSSIBLE: 1, Likelihood.LIKELY: 2}
RANK = {d: d.rank for d in Disposition}

Traces = dict[Truth, RuleTrace]


def traces_for(rule: Rule) -> Traces:
    """The rule's trace entry for each possible result, built once."""
    return {
        truth: RuleTrace(rule.kind, rule.id, rule.title, _RESULT[truth], rule.items, rule.findings)
        for truth in (True, False, None)
    }


@dataclass(frozen=True)
class AnswerTable:
    """Every AnswerRead an item can produce that does not depend on free input, keyed by value."""

    item: str
    unanswered: AnswerRead
    not_decided: AnswerRead
    known: dict[Any, AnswerRead]


def answer_table(item_id: str, values: frozenset[Any]) -> AnswerTable:
    """The table for an item whose plain answers (``Definition.plain_answers``) are ``values``."""
    known: dict[Any, AnswerRead] = {
        NOT_APPLICABLE: AnswerRead(item_id, "not_shown"),
        NOT_SURE: AnswerRead(item_id, "not_sure", NOT_SURE),
    }
    known.update({value: AnswerRead(item_id, "answered", value) for value in values if value != NOT_SURE})
    return AnswerTable(item_id, AnswerRead(item_id, "unanswered"), AnswerRead(item_id, "not_decided"), known)


class FindingRow(NamedTuple):
    rule: FindingRule
    traces: Traces


class RedFlagRow(NamedTuple):
    rule: RedFlagRule
    traces: Traces
    result: RedFlagResult
    raised: DispositionReason  # the floor it sets when raised
    unsure: DispositionReason  # ... and when it cannot be ruled out


class FeatureRow(NamedTuple):
    rule: FeatureRule
    traces: Traces
    statuses: dict[Truth, FeatureResult]


class DifferentialRow(NamedTuple):
    rule: DifferentialRule
    traces: Traces


class CapRow(NamedTuple):
    rule: CapRule
    traces: Traces


class GradingRow(NamedTuple):
    rule: GradingRule
    traces: Traces


@dataclass(frozen=True)
class Tables:
    """What ``assess`` shares between responses for one definition."""

    answers: tuple[AnswerTable, ...]
    findings: tuple[FindingRow, ...]
    red_flags: tuple[RedFlagRow, ...]
    features: tuple[FeatureRow, ...]
    differentials: tuple[DifferentialRow, ...]
    caps: tuple[CapRow, ...]
    likely_requires: GradingRow | None
    maximum: int
    next_steps: dict[Disposition, NextStep]
    unsure_step: NextStep | None  # instead of next_steps[...] when the outcome rests only on flags not ruled out
    provenance: Provenance


_STATUSES: dict[Truth, Literal["met", "not_met", "unknown"]] = {True: "met", False: "not_met", None: "unknown"}


@lru_cache(maxsize=16)  # built once per definition: every full Assessment needs them
def definition_tables(definition: Definition) -> Tables:
    policy = definition.policy
    red_flags = tuple(
        RedFlagRow(
            flag,
            traces_for(flag),
            RedFlagResult(
                flag.id,
                flag.title,
                flag.urgency,
                flag.patient_message,
                flag.staff_message,
                flag.source,
                definition.reads_all[flag.id],
            ),
            DispositionReason("red_flag", flag.id, Disposition(flag.urgency)),
            DispositionReason("red_flag_unsure", flag.id, policy.when_red_flag_unsure[flag.urgency]),
        )
        for flag in definition.red_flags
    )
    features = tuple(
        FeatureRow(
            f,
            traces_for(f),
            {t: FeatureResult(f.id, f.title, s, f.weight, f.criterion, f.source) for t, s in _STATUSES.items()},
        )
        for f in definition.features
    )
    requires = definition.likely_requires
    plain = definition.plain_answers
    return Tables(
        answers=tuple(
            answer_table(i, plain.get(i, frozenset()))
            for i, spec in definition.answer_specs.items()
            if spec.kind != "display"
        ),
        findings=tuple(FindingRow(f, traces_for(f)) for f in definition.findings),
        red_flags=red_flags,
        features=features,
        differentials=tuple(DifferentialRow(d, traces_for(d)) for d in definition.differentials),
        caps=tuple(CapRow(c, traces_for(c)) for c in definition.caps),
        likely_requires=GradingRow(requires, traces_for(requires)) if requires else None,
        maximum=policy.maximum,
        next_steps=policy.next_steps,
        unsure_step=policy.unsure_step,
        provenance=definition.provenance,
    )


# Where a rule sits in an Evaluation, with what it leads to. Plain tuples rather than named ones: the scorer
# unpacks one per rule for every response, and CPython unpacks an exact tuple faster than a subclass of it.
FlagSlot = tuple[int, str, int, int]  # slot, red flag id, disposition rank when raised, rank when not ruled out
FeatureSlot = tuple[int, tuple[FeatureResult, FeatureResult, FeatureResult]]  # slot, its status by value 0/1/2
CapSlot = tuple[int, str, Likelihood]  # slot, cap id, the highest grade it allows
DifferentialSlot = tuple[int, DifferentialRule]  # slot, the differential


@dataclass(frozen=True)
class Plan:
    """Where each kind of rule sits in the generated function's result, with what it leads to."""

    traces: tuple[tuple[RuleTrace, RuleTrace, RuleTrace], ...]  # per rule, by value 0/1/2
    findings: dict[str, int]
    red_flags: tuple[FlagSlot, ...]
    features: tuple[FeatureSlot, ...]
    requires: int | None
    caps: tuple[CapSlot, ...]
    differentials: tuple[DifferentialSlot, ...]
    by_likelihood: dict[Likelihood, int]
    grading: tuple[int, int, int]  # likely at, possible at, insufficient when unknown points reach
    answer_slots: tuple[int, ...]  # where each of Tables.answers sits in an Evaluation's values


@lru_cache(maxsize=16)
def definition_plan(definition: Definition) -> Plan:
    tables = definition_tables(definition)
    policy = definition.policy
    traces: dict[tuple[str, str], Traces] = {}
    rows: Sequence[FindingRow | RedFlagRow | FeatureRow | GradingRow | CapRow | DifferentialRow] = (
        *tables.findings,
        *tables.red_flags,
        *tables.features,
        *((tables.likely_requires,) if tables.likely_requires is not None else ()),
        *tables.caps,
        *tables.differentials,
    )
    for row in rows:
        traces[row.rule.kind, row.rule.id] = row.traces
    rules = definition.scorer.rules
    slots = {key: k for k, key in enumerate(rules)}
    return Plan(
        traces=tuple((traces[key][False], traces[key][None], traces[key][True]) for key in rules),
        findings={rule_id: k for (kind, rule_id), k in slots.items() if kind == "finding"},
        red_flags=tuple(
            (
                slots["red_flag", f.id],
                f.id,
                RANK[Disposition(f.urgency)],
                RANK[policy.when_red_flag_unsure[f.urgency]],
            )
            for f in definition.red_flags
        ),
        features=tuple(
            (slots["feature", row.rule.id], (row.statuses[False], row.statuses[None], row.statuses[True]))
            for row in tables.features
        ),
        requires=slots["grading", tables.likely_requires.rule.id] if tables.likely_requires else None,
        caps=tuple((slots["grade_cap", c.id], c.id, c.at_most) for c in definition.caps),
        differentials=tuple((slots["differential", d.id], d) for d in definition.differentials),
        by_likelihood={g: RANK[d] for g, d in policy.by_likelihood.items()},
        grading=(policy.likely_at, policy.possible_at, policy.insufficient_when_unknown_at_least),
        answer_slots=tuple(definition.slot[table.item] for table in tables.answers),
    )


def next_step_for(tables: Tables, disposition: Disposition, reasons: Sequence[DispositionReason]) -> NextStep:
    """The next step for this outcome: the ruleset's same-day check when only flags not ruled out put it there."""
    if tables.unsure_step is not None and rests_on_unsure(disposition, reasons):
        return tables.unsure_step
    return tables.next_steps[disposition]
