"""Reachability: whether a condition can ever be true, or ever be false, for some set of answers.

It is worked out on the sets of answers that make each comparison true, so it costs little and never calls a
satisfiable rule dead.
"""

from __future__ import annotations

from typing import Any

from .conditions import item_of
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
    IntegerItem,
    IsYes,
    Item,
    Le,
    MultiChoiceItem,
    Not,
    ScaleItem,
    SingleChoiceItem,
    YesNoItem,
)

# ---------------------------------------------------------------------------------------------
# Answer domains: the finite set of answers an item can take, used for type and reachability checks

_MAX_SUBSETS = 12  # multiple choice with more options than this is treated as "anything is possible"


def domain(item: Item) -> list[Any] | None:
    """Every possible answer, or None when there are too many to list."""
    if isinstance(item, YesNoItem | SingleChoiceItem):
        return list(item.codes)
    if isinstance(item, MultiChoiceItem):
        if len(item.options) > _MAX_SUBSETS:
            return None
        codes = item.codes
        exclusive = {o.code for o in item.options if o.exclusive}
        subsets = []
        for mask in range(1, 1 << len(codes)):
            chosen = frozenset(c for k, c in enumerate(codes) if mask >> k & 1)
            if len(chosen) > 1 and chosen & exclusive:
                continue
            subsets.append(chosen)
        return subsets
    if isinstance(item, IntegerItem | ScaleItem):
        return list(range(item.min, item.max + 1)) if item.max - item.min <= 5000 else None
    return None


def _true_set(cond: Condition, item: Item) -> set[Any] | None:
    """The answers of ``item`` that make a leaf condition true (None: unknown/too many)."""
    values = domain(item)
    if values is None:
        return None
    if isinstance(cond, IsYes):
        return {v for v in values if v == YES}
    if isinstance(cond, Answered):
        return set(values)
    if isinstance(cond, Equals):
        target = cond.equals.value
        return {v for v in values if (target in v if isinstance(v, frozenset) else v == target)}
    if isinstance(cond, In):
        wanted = set(cond.in_.values) - {NOT_SURE}  # "not sure" is unknown, never a match (see conditions.py)
        return {v for v in values if (bool(v & wanted) if isinstance(v, frozenset) else v in wanted)}
    if isinstance(cond, Ge):
        return {v for v in values if v >= cond.ge.value}
    if isinstance(cond, Le):
        return {v for v in values if v <= cond.le.value}
    if isinstance(cond, Between):
        return {v for v in values if cond.between.min <= v <= cond.between.max}
    return None


# ---------------------------------------------------------------------------------------------
# Reachability


class Reach:
    """Whether conditions can ever be true, or ever be false, for some set of answers."""

    def __init__(self, items: dict[str, Item], findings: dict[str, Condition]) -> None:
        self.items = items
        self.findings = findings
        self._shown: dict[str, bool] = {}
        self._true: dict[str, bool] = {}
        self._false: dict[str, bool] = {}

    def can_be_shown(self, item_id: str) -> bool:
        if item_id not in self._shown:
            self._shown[item_id] = True  # cycles are reported elsewhere; assume reachable meanwhile
            item = self.items.get(item_id)
            gate = item.enable_when if item is not None else None
            self._shown[item_id] = gate is None or self.can_be_true(gate)
        return self._shown[item_id]

    def can_be_true(self, cond: Condition) -> bool:
        if isinstance(cond, FindingRef):
            return self._finding(cond.finding, self._true, self.can_be_true)
        if isinstance(cond, Not):
            return self.can_be_false(cond.not_)
        if isinstance(cond, AnyOf):
            return any(self.can_be_true(c) for c in cond.any)
        if isinstance(cond, AtLeast):
            return sum(self.can_be_true(c) for c in cond.at_least.of) >= cond.at_least.n
        if isinstance(cond, AllOf):
            return all(self.can_be_true(c) for c in cond.all) and self._consistent(cond.all)
        item_id = item_of(cond)
        item = self.items.get(item_id) if item_id else None
        if item is None:
            return True
        truths = _true_set(cond, item)
        return self.can_be_shown(item.id) and (truths is None or bool(truths))

    def can_be_false(self, cond: Condition) -> bool:
        if isinstance(cond, FindingRef):
            return self._finding(cond.finding, self._false, self.can_be_false)
        if isinstance(cond, Not):
            return self.can_be_true(cond.not_)
        if isinstance(cond, AnyOf):
            return all(self.can_be_false(c) for c in cond.any)
        if isinstance(cond, AtLeast):
            return sum(self.can_be_false(c) for c in cond.at_least.of) > len(cond.at_least.of) - cond.at_least.n
        if isinstance(cond, AllOf):
            return any(self.can_be_false(c) for c in cond.all)
        item_id = item_of(cond)
        item = self.items.get(item_id) if item_id else None
        if item is None:
            return True
        if item.enable_when is not None:
            return True  # hidden
        if isinstance(cond, Answered):
            return not getattr(item, "required", False)  # a required question that is always shown is answered
        values, truths = domain(item), _true_set(cond, item)
        return values is None or truths is None or len(truths) < len(values)

    def _finding(self, fid: str, memo: dict[str, bool], test: Any) -> bool:
        if fid not in memo:
            memo[fid] = True  # cycles are reported elsewhere
            cond = self.findings.get(fid)
            memo[fid] = cond is None or bool(test(cond))
        return memo[fid]

    def _consistent(self, parts: list[Condition]) -> bool:
        """Within an ``all``, comparisons on the same item must leave some answer that passes them all.

        Negated comparisons alone on a question that can be hidden are all satisfied by hiding it.
        """
        allowed: dict[str, set[Any]] = {}
        needs_answer: set[str] = set()
        for part in parts:
            negate = isinstance(part, Not)
            leaf = part.not_ if isinstance(part, Not) else part
            item_id = item_of(leaf)
            item = self.items.get(item_id) if item_id else None
            if item is None or isinstance(leaf, Answered):
                continue
            truths, values = _true_set(leaf, item), domain(item)
            if truths is None or values is None:
                continue
            if not negate:
                needs_answer.add(item.id)
            passing = set(values) - truths if negate else truths
            allowed[item.id] = allowed.get(item.id, set(values)) & passing
        return all(
            passing or (item_id not in needs_answer and self.items[item_id].enable_when is not None)
            for item_id, passing in allowed.items()
        )
