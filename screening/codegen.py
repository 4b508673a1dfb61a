"""The source of a definition's generated scorer (see ``screening.compiled``), written from its conditions.

Each comparison becomes a local variable written once, before its first use; ``all``/``any``/``not`` become table
look-ups of the parts' bits. Only ids, option codes and whole numbers from the checked definition are written,
each through ``repr()``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from .compiled import ScorerSource
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


def _literal(value: object) -> str:
    """A str or int from the definition as Python source; nothing else is ever written into the code."""
    if type(value) is str or type(value) is int:
        return repr(value)
    raise TypeError(f"not a plain id, code or number: {value!r}")  # pragma: no cover - the model admits no other


class _Writer:
    """Turns conditions into Python expressions over the local variables of the generated function."""

    def __init__(self, body: list[str]) -> None:
        self.body = body  # statements so far: a comparison is written once, before its first use
        self.leaves: dict[str, str] = {}  # comparison -> the variable holding it
        self.names: dict[str, str] = {}  # item id -> variable holding its effective value
        self.findings: dict[str, str] = {}  # finding id -> variable holding its value
        self.constants: dict[str, frozenset[str]] = {}

    def constant(self, value: frozenset[str]) -> str:
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    def item(self, item_id: str) -> str:
        if item_id not in self.names:
            raise ValueError(f"condition reads '{item_id}' before it is known")
        return self.names[item_id]

    def expr(self, cond: Condition, gate: bool = False) -> str:
        if isinstance(cond, AllOf | AnyOf):
            parts = [self.expr(c, gate) for c in (cond.all if isinstance(cond, AllOf) else cond.any)]
            if len(parts) == 1:
                return parts[0]
            return f"{'_ALL' if isinstance(cond, AllOf) else '_ANY'}[{' | '.join(parts)}]"
        if isinstance(cond, Not):
            return f"_NOT[{self.expr(cond.not_, gate)}]"
        if isinstance(cond, AtLeast):
            parts = [self.expr(c, gate) for c in cond.at_least.of]
            return f"_at_least({_literal(cond.at_least.n)}, ({', '.join(parts)},))"
        if isinstance(cond, FindingRef):
            if gate or cond.finding not in self.findings:
                raise ValueError(f"finding '{cond.finding}' cannot be read here")
            return self.findings[cond.finding]
        if isinstance(cond, Answered):
            v = self.item(cond.answered)
            return self.leaf(f"1 if ({v} is U or {v} is NA) else 4")
        unknown_or_not_sure = "{v} is U or {v} == NS"
        if isinstance(cond, IsYes):
            v = self.item(cond.yes)
            test = f"4 if {v} == {YES!r} else 1"
        elif isinstance(cond, Equals) and cond.equals.value == NOT_SURE:
            v = self.item(cond.equals.item)
            unknown_or_not_sure = "{v} is U"  # asks whether "not sure" was the answer (or was ticked)
            test = f"(4 if NS in {v} else 1) if isinstance({v}, FS) else (4 if {v} == NS else 1)"
        elif isinstance(cond, Equals):
            v, target = self.item(cond.equals.item), _literal(cond.equals.value)
            test = f"(4 if {target} in {v} else 1) if isinstance({v}, FS) else (4 if {v} == {target} else 1)"
        elif isinstance(cond, In):
            v = self.item(cond.in_.item)
            wanted = frozenset(cond.in_.values)
            literal = "{" + ", ".join(_literal(w) for w in sorted(wanted)) + "}"
            test = (
                f"(1 if {self.constant(wanted)}.isdisjoint({v}) else 4) if isinstance({v}, FS) "
                f"else (4 if {v} in {literal} else 1)"
            )
        elif isinstance(cond, Ge):
            v = self.item(cond.ge.item)
            unknown_or_not_sure = "{v} is U"  # numbers have no "not sure"
            test = f"4 if {v} >= {_literal(cond.ge.value)} else 1"
        elif isinstance(cond, Le):
            v = self.item(cond.le.item)
            unknown_or_not_sure = "{v} is U"
            test = f"4 if {v} <= {_literal(cond.le.value)} else 1"
        elif isinstance(cond, Between):
            v = self.item(cond.between.item)
            unknown_or_not_sure = "{v} is U"
            low, high = _literal(cond.between.min), _literal(cond.between.max)
            test = f"4 if {low} <= {v} <= {high} else 1"
        else:  # pragma: no cover - the model admits no other kind
            raise TypeError(f"not a condition: {cond!r}")
        return self.leaf(f"1 if {v} is NA else 2 if ({unknown_or_not_sure.format(v=v)}) else ({test})")

    def leaf(self, comparison: str) -> str:
        """A variable holding the comparison, written the first time it is needed."""
        if comparison not in self.leaves:
            self.leaves[comparison] = name = f"x{len(self.leaves)}"
            self.body.append(f"{name} = {comparison}")
        return self.leaves[comparison]


class RuleSource(NamedTuple):
    """One rule as the generator reads it: where its result goes, what it tests, and its points (features)."""

    kind: str  # "finding", "red_flag", "feature", "grading", "grade_cap" or "differential"
    id: str
    condition: Condition
    weight: int = 0


def generate_source(
    items: Sequence[tuple[str, Condition | None]],
    rules: Sequence[RuleSource],
    multi_choice: Collection[str],
    required: Collection[str],
) -> ScorerSource:
    """The source of ``evaluate(answers)``, the constants it names, and its rule order.

    ``items`` are (id, ``enable_when``) in an order where each comes after what its condition reads; ``rules``
    are in evaluation order, findings first and each finding after the findings it reads.
    """
    body: list[str] = ["get = answers.get", "hidden = unanswered = ()"]
    w = _Writer(body)
    shown: list[str] = []
    multi, needed = set(multi_choice), set(required)
    for k, (item_id, gate) in enumerate(items):
        v, key = f"v{k}", _literal(item_id)
        if gate is None:
            body.append(f"{v} = get({key}, U)")
            if item_id in multi:
                body.append(f"if {v} is not U: {v} = frozenset({v})")
            if item_id in needed:
                body.append(f"if {v} is U: unanswered += ({key},)")
            shown.append("2")  # already a returned value
        else:
            s = f"s{k}"
            body.append(f"{s} = {w.expr(gate, gate=True)}")
            body.append(f"if {s} == 4:")
            body.append(f"    {v} = get({key}, U)")
            body.append(f"    if isinstance({v}, LT): {v} = frozenset({v})")
            if item_id in needed:
                body.append(f"    elif {v} is U: unanswered += ({key},)")
            body.append("else:")
            body.append(f"    if {key} in answers: hidden += ({key},)")
            body.append(f"    {v} = NA if {s} == 1 else U")
            shown.append(f"_OUT[{s}]")
        w.names[item_id] = v

    order: list[tuple[str, str]] = []
    results: list[str] = []
    points, unknown = [], []
    for rule in rules:
        name = f"r{len(results)}"
        body.append(f"{name} = {w.expr(rule.condition)}  # {rule.kind} {rule.id}")
        order.append((rule.kind, rule.id))
        results.append(name)
        if rule.kind == "finding":
            w.findings[rule.id] = name
        elif rule.kind == "feature":
            weight = _literal(rule.weight)
            points.append(f"({weight} if {name} == 4 else 0)")
            unknown.append(f"({weight} if {name} == 2 else 0)")

    body.append(f"values = ({''.join(n + ', ' for n in w.names.values())})")
    body.append(f"shown = ({''.join(s + ', ' for s in shown)})")
    body.append(f"rules = ({''.join(f'_OUT[{r}], ' for r in results)})")
    body.append(f"points = {' + '.join(points) or '0'}")
    body.append(f"unknown = {' + '.join(unknown) or '0'}")
    body.append("return Evaluation(values, shown, rules, points, unknown, hidden, unanswered)")
    source = "def evaluate(answers):\n" + "".join(f"    {line}\n" for line in body)
    return ScorerSource(source, w.constants, tuple(order))
