"""A definition's rules as one generated Python function, built once per definition (as attrs builds methods).

``compile_scorer`` writes the source of a function ``evaluate(answers)`` from the validated rule structure and
compiles it with ``compile()``/``exec`` in a namespace holding only the two value markers and a few helpers. The
function works out each question's effective value and whether it is shown, then every rule. Inside, a result
is one bit (1 false, 2 unknown, 4 true), so ``all`` and ``any`` are a table look-up of the parts or-ed together
and each comparison on an answer is made once however many rules share it; what it returns, an ``Evaluation``,
holds plain tuples of 0 false, 1 unknown, 2 true, and no explanation. The source holds ids and option codes from
the definition, each written with ``repr()``, and whole numbers; never an answer. ``screening.interpreted`` keeps
the condition-by-condition scorer this one must agree with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import CodeType
from typing import TYPE_CHECKING, Any, NamedTuple

from .conditions import NOT_APPLICABLE, UNKNOWN
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

if TYPE_CHECKING:
    from .definition import Definition

FALSE, UNSURE, TRUE = 0, 1, 2  # a rule's value in an Evaluation
_CACHE_SIZE = 32


class Evaluation(NamedTuple):
    """What the generated function returns for one set of answers, in the definition's fixed orders."""

    values: tuple[Any, ...]  # effective value per item, in ``Definition.order``
    shown: tuple[int, ...]  # 0/1/2 per item, in ``Definition.order``
    rules: tuple[int, ...]  # 0/1/2 per rule, in ``CompiledScorer.rules``
    points: int
    unknown_points: int
    hidden: tuple[str, ...]  # items answered though not shown
    unanswered: tuple[str, ...]  # required items shown and not answered


@dataclass(frozen=True, slots=True)
class CompiledScorer:
    """The generated function, its source (for reading and tests) and the order of its results."""

    evaluate: Callable[[Mapping[str, Any]], Evaluation]
    source: str
    source_sha256: str
    code: CodeType
    rules: tuple[tuple[str, str], ...]  # (kind, id): findings, red flags, features, grading, caps, differentials


# one bit per result inside the generated function; tables indexed by the or of the parts' bits
_ALL = tuple(1 if m & 1 else 2 if m & 2 else 4 for m in range(8))
_ANY = tuple(4 if m & 4 else 2 if m & 2 else 1 for m in range(8))
_NOT = (0, 4, 2, 0, 1)
_OUT = (0, FALSE, UNSURE, 0, TRUE)  # bit -> the value returned


def _at_least(n: int, parts: tuple[int, ...]) -> int:
    true = parts.count(4)
    return 4 if true >= n else 2 if true + parts.count(2) >= n else 1


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


def generate_source(definition: Definition) -> tuple[str, dict[str, frozenset[str]], tuple[tuple[str, str], ...]]:
    """The source of ``evaluate(answers)`` for the definition, the constants it names, and its rule order."""
    body: list[str] = ["get = answers.get", "hidden = unanswered = ()"]
    w = _Writer(body)
    shown: list[str] = []
    multi, required = set(definition.multi_choice), set(definition.required)
    for k, (item_id, _gate) in enumerate(definition.order):
        v, key = f"v{k}", _literal(item_id)
        gate = definition.items[item_id].enable_when
        if gate is None:
            body.append(f"{v} = get({key}, U)")
            if item_id in multi:
                body.append(f"if {v} is not U: {v} = frozenset({v})")
            if item_id in required:
                body.append(f"if {v} is U: unanswered += ({key},)")
            shown.append("2")  # already a returned value
        else:
            s = f"s{k}"
            body.append(f"{s} = {w.expr(gate, gate=True)}")
            body.append(f"if {s} == 4:")
            body.append(f"    {v} = get({key}, U)")
            body.append(f"    if isinstance({v}, LT): {v} = frozenset({v})")
            if item_id in required:
                body.append(f"    elif {v} is U: unanswered += ({key},)")
            body.append("else:")
            body.append(f"    if {key} in answers: hidden += ({key},)")
            body.append(f"    {v} = NA if {s} == 1 else U")
            shown.append(f"_OUT[{s}]")
        w.names[item_id] = v

    rules: list[tuple[str, str]] = []
    results: list[str] = []

    def rule(kind: str, rule_id: str, cond: Condition) -> str:
        name = f"r{len(results)}"
        body.append(f"{name} = {w.expr(cond)}  # {kind} {rule_id}")
        rules.append((kind, rule_id))
        results.append(name)
        return name

    for f in definition.findings:
        w.findings[f.rule.id] = rule("finding", f.rule.id, f.rule.condition)
    for c in definition.red_flags:
        rule("red_flag", c.rule.id, c.rule.condition)
    points, unknown = [], []
    for c in definition.features:
        name = rule("feature", c.rule.id, c.rule.condition)
        weight = _literal(c.rule.weight)
        points.append(f"({weight} if {name} == 4 else 0)")
        unknown.append(f"({weight} if {name} == 2 else 0)")
    requires = definition.ruleset.grading.likely_requires
    if requires is not None and definition.likely_requires is not None:
        rule("grading", definition.likely_requires.rule.id, requires)
    for c in definition.caps:
        rule("grade_cap", c.rule.id, c.rule.when)
    for c in definition.differentials:
        rule("differential", c.rule.id, c.rule.condition)

    body.append(f"values = ({''.join(n + ', ' for n in w.names.values())})")
    body.append(f"shown = ({''.join(s + ', ' for s in shown)})")
    body.append(f"rules = ({''.join(f'_OUT[{r}], ' for r in results)})")
    body.append(f"points = {' + '.join(points) or '0'}")
    body.append(f"unknown = {' + '.join(unknown) or '0'}")
    body.append("return Evaluation(values, shown, rules, points, unknown, hidden, unanswered)")
    source = "def evaluate(answers):\n" + "".join(f"    {line}\n" for line in body)
    return source, w.constants, tuple(rules)


def _namespace(constants: Mapping[str, frozenset[str]]) -> dict[str, Any]:
    return {
        "__builtins__": {"isinstance": isinstance, "frozenset": frozenset},
        "U": UNKNOWN,
        "NA": NOT_APPLICABLE,
        "NS": NOT_SURE,
        "FS": frozenset,
        "LT": (list, tuple),
        "Evaluation": Evaluation,
        "_at_least": _at_least,
        "_ALL": _ALL,
        "_ANY": _ANY,
        "_NOT": _NOT,
        "_OUT": _OUT,
        **constants,
    }


_cache: dict[tuple[str, str], CompiledScorer] = {}
_codes: dict[str, CodeType] = {}  # source sha256 -> its code, compiled in an earlier run (see screening.stored)


def known_code(source: str, code: CodeType) -> None:
    """Code compiled from this source before: used instead of compiling it again when the source is generated."""
    _codes[hashlib.sha256(source.encode()).hexdigest()] = code


def compile_scorer(definition: Definition) -> CompiledScorer:
    """The definition's generated scorer, compiled once per questionnaire + ruleset (by their sha256)."""
    key = (definition.questionnaire_sha256, definition.ruleset_sha256)
    found = _cache.get(key)
    if found is not None:
        return found
    source, constants, rules = generate_source(definition)
    digest = hashlib.sha256(source.encode()).hexdigest()
    code = _codes.pop(digest, None) or compile(source, f"<screening rules {digest[:12]}>", "exec")
    namespace = _namespace(constants)
    exec(code, namespace)
    scorer = CompiledScorer(namespace["evaluate"], source, digest, code, rules)
    if len(_cache) >= _CACHE_SIZE:
        _cache.pop(next(iter(_cache)))
    _cache[key] = scorer
    return scorer


# The last response parsed, with its evaluation: ``parse_response`` needs to know which questions are shown and
# ``assess`` needs the same evaluation, so a response parsed and then assessed is evaluated once. Replaced as a
# whole (safe between threads: another thread's response only makes a miss); the answers are matched by identity
# with the dict the parsed Response holds, which nothing changes afterwards.
_recent: tuple[object, Mapping[str, Any], Evaluation] | None = None


def remember(definition: Definition, answers: Mapping[str, Any], evaluation: Evaluation) -> None:
    global _recent
    _recent = (definition, answers, evaluation)


def evaluate(definition: Definition, answers: Mapping[str, Any]) -> Evaluation:
    """The generated function's result for these answers (the one remembered at parsing, when it is theirs)."""
    recent = _recent
    if recent is not None and recent[0] is definition and recent[1] is answers:
        return recent[2]
    return definition.scorer.evaluate(answers)
