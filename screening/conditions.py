"""Evaluate conditions with three-valued logic: true, false, or unknown (``None``).

An item that is shown but unanswered, or answered "not sure", makes a comparison on it unknown. An item
hidden because its ``enable_when`` is false is not applicable: comparisons on it are false. An item hidden
because its ``enable_when`` is itself unknown stays unknown. ``all``/``any``/``not``/``at_least`` combine
results the Kleene way. Conditions are compiled once, when a definition loads, into small closures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .kinds import NOT_APPLICABLE as NOT_APPLICABLE
from .kinds import UNKNOWN as UNKNOWN
from .kinds import Truth as Truth
from .model import (
    NOT_SURE,
    YES,
    AllOf,
    Answered,
    AnyOf,
    AtLeast,
    Between,
    Condition,
    Equals,
    FindingRef,
    Ge,
    In,
    IsYes,
    Le,
    Not,
)

Values = Mapping[str, Any]  # item id -> effective value (answer, UNKNOWN, NOT_APPLICABLE)
Findings = Mapping[str, Truth]
Evaluator = Callable[[Values, Findings], Truth]


def compile_condition(cond: Condition) -> Evaluator:
    """Turn a condition into a function of (effective values, findings) -> true/false/unknown."""
    if isinstance(cond, IsYes):
        return _is_yes(cond.yes)
    if isinstance(cond, Equals):
        target = cond.equals.value
        if target == NOT_SURE:
            return _not_sure(cond.equals.item)
        return _equals(cond.equals.item, target)
    if isinstance(cond, In):
        return _in(cond.in_.item, frozenset(cond.in_.values))
    if isinstance(cond, Ge):
        return _between(cond.ge.item, cond.ge.value, None)
    if isinstance(cond, Le):
        return _between(cond.le.item, None, cond.le.value)
    if isinstance(cond, Between):
        return _between(cond.between.item, cond.between.min, cond.between.max)
    if isinstance(cond, Answered):
        return _answered(cond.answered)
    if isinstance(cond, FindingRef):
        fid = cond.finding
        return lambda values, findings: findings[fid]
    if isinstance(cond, Not):
        return _negate(compile_condition(cond.not_))
    if isinstance(cond, AllOf):
        return _all(tuple(compile_condition(c) for c in cond.all))
    if isinstance(cond, AnyOf):
        return _any(tuple(compile_condition(c) for c in cond.any))
    if isinstance(cond, AtLeast):
        return _at_least(cond.at_least.n, tuple(compile_condition(c) for c in cond.at_least.of))
    raise TypeError(f"not a condition: {cond!r}")  # pragma: no cover - the model admits no other kind


# The leaves below repeat one shape on purpose: each is called for every rule of every response, and an
# inner test function would add a call per comparison.


def _is_yes(item: str) -> Evaluator:
    def evaluate(values: Values, findings: Findings) -> Truth:
        value = values[item]
        if value is NOT_APPLICABLE:
            return False
        if value is UNKNOWN or value == NOT_SURE:
            return None
        return bool(value == YES)

    return evaluate


def _equals(item: str, target: str | int) -> Evaluator:
    def evaluate(values: Values, findings: Findings) -> Truth:
        value = values[item]
        if value is NOT_APPLICABLE:
            return False
        if value is UNKNOWN or value == NOT_SURE:
            return None
        return target in value if isinstance(value, frozenset) else bool(value == target)

    return evaluate


def _in(item: str, wanted: frozenset[str]) -> Evaluator:
    def evaluate(values: Values, findings: Findings) -> Truth:
        value = values[item]
        if value is NOT_APPLICABLE:
            return False
        if value is UNKNOWN or value == NOT_SURE:
            return None
        return not wanted.isdisjoint(value) if isinstance(value, frozenset) else value in wanted

    return evaluate


def _between(item: str, low: int | None, high: int | None) -> Evaluator:
    def evaluate(values: Values, findings: Findings) -> Truth:
        value = values[item]
        if value is NOT_APPLICABLE:
            return False
        if value is UNKNOWN:
            return None
        return (low is None or value >= low) and (high is None or value <= high)

    return evaluate


def _not_sure(item: str) -> Evaluator:
    def evaluate(values: Values, findings: Findings) -> Truth:
        value = values[item]
        if value is NOT_APPLICABLE:
            return False
        if value is UNKNOWN:
            return None
        # a multiple choice may offer "not sure" as an option: then it is asking whether that one was ticked
        return NOT_SURE in value if isinstance(value, frozenset) else bool(value == NOT_SURE)

    return evaluate


def _answered(item: str) -> Evaluator:
    def evaluate(values: Values, findings: Findings) -> Truth:
        value = values[item]
        return value is not UNKNOWN and value is not NOT_APPLICABLE

    return evaluate


def _negate(inner: Evaluator) -> Evaluator:
    def evaluate(values: Values, findings: Findings) -> Truth:
        result = inner(values, findings)
        return None if result is None else not result

    return evaluate


def _all(parts: tuple[Evaluator, ...]) -> Evaluator:
    def evaluate(values: Values, findings: Findings) -> Truth:
        unknown = False
        for part in parts:
            result = part(values, findings)
            if result is False:
                return False
            if result is None:
                unknown = True
        return None if unknown else True

    return evaluate


def _any(parts: tuple[Evaluator, ...]) -> Evaluator:
    def evaluate(values: Values, findings: Findings) -> Truth:
        unknown = False
        for part in parts:
            result = part(values, findings)
            if result is True:
                return True
            if result is None:
                unknown = True
        return None if unknown else False

    return evaluate


def _at_least(n: int, parts: tuple[Evaluator, ...]) -> Evaluator:
    def evaluate(values: Values, findings: Findings) -> Truth:
        true = unknown = 0
        for part in parts:
            result = part(values, findings)
            if result is True:
                true += 1
            elif result is None:
                unknown += 1
        if true >= n:
            return True
        return None if true + unknown >= n else False

    return evaluate


def walk(cond: Condition) -> Iterable[Condition]:
    """Every condition inside ``cond``, itself first."""
    yield cond
    children: list[Condition] = []
    if isinstance(cond, AllOf):
        children = cond.all
    elif isinstance(cond, AnyOf):
        children = cond.any
    elif isinstance(cond, Not):
        children = [cond.not_]
    elif isinstance(cond, AtLeast):
        children = cond.at_least.of
    for child in children:
        yield from walk(child)


def item_of(cond: Condition) -> str | None:
    """The item a leaf condition reads, if it reads one."""
    if isinstance(cond, IsYes):
        return cond.yes
    if isinstance(cond, Answered):
        return cond.answered
    if isinstance(cond, Equals):
        return cond.equals.item
    if isinstance(cond, In):
        return cond.in_.item
    if isinstance(cond, Ge):
        return cond.ge.item
    if isinstance(cond, Le):
        return cond.le.item
    if isinstance(cond, Between):
        return cond.between.item
    return None


def items_read(cond: Condition) -> list[str]:
    """Item ids a condition reads directly, in order of first appearance."""
    return list(dict.fromkeys(i for c in walk(cond) if (i := item_of(c)) is not None))


def findings_read(cond: Condition) -> list[str]:
    """Finding ids a condition reads directly, in order of first appearance."""
    return list(dict.fromkeys(c.finding for c in walk(cond) if isinstance(c, FindingRef)))


def supporting_items(
    cond: Condition, values: Values, findings: Findings, finding_conditions: Mapping[str, Condition]
) -> list[str]:
    """The items behind a condition that is true: every part of an ``all``, each true part of an ``any`` or
    ``at_least`` (redundant ones too), through findings, and under a ``not`` every item the negated part reads.
    Empty when the condition is not true. It says which answers raised a red flag."""
    if compile_condition(cond)(values, findings) is not True:
        return []
    return list(dict.fromkeys(_support(cond, values, findings, finding_conditions)))


def _support(
    cond: Condition, values: Values, findings: Findings, finding_conditions: Mapping[str, Condition]
) -> Iterator[str]:
    if isinstance(cond, FindingRef):
        yield from supporting_items(finding_conditions[cond.finding], values, findings, finding_conditions)
    elif isinstance(cond, Not):
        yield from _reads(cond.not_, finding_conditions)
    elif isinstance(cond, AllOf | AnyOf | AtLeast):
        parts = cond.all if isinstance(cond, AllOf) else cond.any if isinstance(cond, AnyOf) else cond.at_least.of
        for part in parts:
            yield from supporting_items(part, values, findings, finding_conditions)
    elif (item := item_of(cond)) is not None:
        yield item


def _reads(cond: Condition, finding_conditions: Mapping[str, Condition]) -> Iterator[str]:
    for part in walk(cond):
        if (item := item_of(part)) is not None:
            yield item
        elif isinstance(part, FindingRef):
            yield from _reads(finding_conditions[part.finding], finding_conditions)


def describe(cond: Condition) -> str:
    """A short readable form of a condition, for messages and printed questionnaires."""
    if isinstance(cond, IsYes):
        return f"{cond.yes} is yes"
    if isinstance(cond, Equals):
        return f"{cond.equals.item} is {cond.equals.value}"
    if isinstance(cond, In):
        return f"{cond.in_.item} is one of {', '.join(cond.in_.values)}"
    if isinstance(cond, Ge):
        return f"{cond.ge.item} ≥ {cond.ge.value}"
    if isinstance(cond, Le):
        return f"{cond.le.item} ≤ {cond.le.value}"
    if isinstance(cond, Between):
        return f"{cond.between.item} between {cond.between.min} and {cond.between.max}"
    if isinstance(cond, Answered):
        return f"{cond.answered} is answered"
    if isinstance(cond, FindingRef):
        return f"finding {cond.finding}"
    if isinstance(cond, Not):
        return f"not ({describe(cond.not_)})"
    if isinstance(cond, AllOf):
        return " and ".join(_wrap(c) for c in cond.all)
    if isinstance(cond, AnyOf):
        return " or ".join(_wrap(c) for c in cond.any)
    if isinstance(cond, AtLeast):
        return f"at least {cond.at_least.n} of ({'; '.join(describe(c) for c in cond.at_least.of)})"
    raise TypeError(f"not a condition: {cond!r}")  # pragma: no cover


def _wrap(cond: Condition) -> str:
    text = describe(cond)
    return f"({text})" if isinstance(cond, AllOf | AnyOf) else text
