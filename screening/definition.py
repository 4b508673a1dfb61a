"""A checked questionnaire and ruleset, compiled once into what the scorer needs at run time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .answers import Checker, answer_checker
from .compiled import CompiledScorer, compile_scorer
from .conditions import (
    NOT_APPLICABLE,
    UNKNOWN,
    Evaluator,
    Truth,
    compile_condition,
    describe,
    findings_read,
    items_read,
)
from .model import (
    Condition,
    DisplayItem,
    IntegerItem,
    Item,
    MultiChoiceItem,
    Questionnaire,
    Ruleset,
    ScaleItem,
    SingleChoiceItem,
    YesNoItem,
)

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class CompiledRule(Generic[R]):
    """A rule with its condition compiled and the items and findings it reads worked out once."""

    rule: R
    evaluate: Evaluator
    items: tuple[str, ...]
    findings: tuple[str, ...]


def _compile(rule: R, condition: Condition) -> CompiledRule[R]:
    return CompiledRule(
        rule, compile_condition(condition), tuple(items_read(condition)), tuple(findings_read(condition))
    )


def _compile_gate(gate: Condition | None) -> Evaluator | None:
    return compile_condition(gate) if gate is not None else None


@dataclass(frozen=True, slots=True)
class GradingRule:
    """The grading's own condition (``likely_requires``), named so it can appear in explanations."""

    id: str
    title: str


_NO_FINDINGS: Mapping[str, Truth] = {}


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: it is compiled once and shared
class Definition:
    """A questionnaire paired with its ruleset, both already checked (see ``loader.load_definition``)."""

    questionnaire: Questionnaire
    ruleset: Ruleset
    questionnaire_sha256: str
    ruleset_sha256: str
    questionnaire_file: str = "<questionnaire>"
    ruleset_file: str = "<ruleset>"
    items: dict[str, Item] = field(init=False)
    order: tuple[tuple[str, Evaluator | None], ...] = field(init=False)
    findings: tuple[CompiledRule[Any], ...] = field(init=False)
    red_flags: tuple[CompiledRule[Any], ...] = field(init=False)
    features: tuple[CompiledRule[Any], ...] = field(init=False)
    differentials: tuple[CompiledRule[Any], ...] = field(init=False)
    caps: tuple[CompiledRule[Any], ...] = field(init=False)
    likely_requires: CompiledRule[Any] | None = field(init=False)
    checkers: dict[str, Checker | None] = field(init=False)
    reads_all: dict[str, tuple[str, ...]] = field(init=False)  # rule id -> items read, also through findings
    finding_titles: dict[str, str] = field(init=False)
    descriptions: dict[str, str] = field(init=False)  # rule id -> readable condition
    position: dict[str, int] = field(init=False)  # item id -> order asked
    ungated: tuple[str, ...] = field(init=False)  # items always shown
    gated: tuple[tuple[str, Evaluator], ...] = field(init=False)  # the others, each after what it reads
    plain_answers: dict[str, frozenset[Any]] = field(init=False)  # item id -> every valid str/int answer
    wording: dict[str, tuple[str, str]] = field(init=False)  # item id -> (patient, staff) wording
    required: tuple[str, ...] = field(init=False)  # questions that must be answered when shown
    multi_choice: tuple[str, ...] = field(init=False)  # ungated multiple-choice items (answers become sets)
    slot: dict[str, int] = field(init=False)  # item id -> its place in ``order`` (and in an Evaluation)
    scorer: CompiledScorer = field(init=False)  # every rule as one generated function

    def __post_init__(self) -> None:
        q, r = self.questionnaire, self.ruleset
        items = {item.id: item for item in q.items()}
        set_ = object.__setattr__
        set_(self, "items", items)
        gates = {i: items[i].enable_when for i in items}
        set_(self, "order", tuple((i, _compile_gate(gates[i])) for i in enablement_order(q)))
        set_(self, "findings", tuple(_compile(f, f.condition) for f in finding_order(r)))
        set_(self, "red_flags", tuple(_compile(f, f.condition) for f in r.red_flags))
        set_(self, "features", tuple(_compile(f, f.condition) for f in r.features))
        set_(self, "differentials", tuple(_compile(d, d.condition) for d in r.differentials))
        set_(self, "caps", tuple(_compile(c, c.when) for c in r.grading.caps))
        requires = r.grading.likely_requires
        set_(
            self,
            "likely_requires",
            _compile(GradingRule("likely_requires", "Core neck criterion needed for 'likely'"), requires)
            if requires is not None
            else None,
        )
        set_(self, "checkers", {i: answer_checker(item) for i, item in items.items()})
        rules = (*self.findings, *self.red_flags, *self.features, *self.differentials, *self.caps)
        set_(self, "reads_all", {c.rule.id: self._ordered(self.items_behind((c,))) for c in rules})
        set_(self, "finding_titles", {f.id: f.title for f in r.findings})
        set_(self, "descriptions", {d.id: describe(d.condition) for d in r.differentials})
        set_(self, "position", {item_id: k for k, item_id in enumerate(items)})
        set_(self, "ungated", tuple(i for i, gate in self.order if gate is None))
        set_(self, "gated", tuple((i, gate) for i, gate in self.order if gate is not None))
        set_(self, "plain_answers", {i: values for i, it in items.items() if (values := plain_answers(it))})
        set_(self, "wording", {i: (it.patient, it.staff) for i, it in items.items()})
        set_(self, "required", tuple(i for i, it in items.items() if not isinstance(it, DisplayItem) and it.required))
        set_(self, "multi_choice", tuple(i for i in self.ungated if isinstance(items[i], MultiChoiceItem)))
        set_(self, "slot", {item_id: k for k, (item_id, _) in enumerate(self.order)})
        set_(self, "scorer", compile_scorer(self))

    def items_behind(self, rules: tuple[CompiledRule[Any], ...]) -> set[str]:
        """Every item the rules read, directly or through findings."""
        by_id = {f.rule.id: f for f in self.findings}
        seen_findings: set[str] = set()
        result: set[str] = set()
        stack = list(rules)
        while stack:
            rule = stack.pop()
            result.update(rule.items)
            for fid in rule.findings:
                if fid not in seen_findings and fid in by_id:
                    seen_findings.add(fid)
                    stack.append(by_id[fid])
        return result

    def _ordered(self, item_ids: set[str]) -> tuple[str, ...]:
        return tuple(i for i in self.items if i in item_ids)

    def effective_values(self, answers: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Truth]]:
        """Each item's value as rules see it, and whether it is shown (true/false/unknown)."""
        get = answers.get
        values = {item_id: get(item_id, UNKNOWN) for item_id in self.ungated}
        for item_id in self.multi_choice:
            if item_id in answers:
                values[item_id] = frozenset(answers[item_id])
        shown: dict[str, Truth] = dict.fromkeys(self.ungated, True)
        for item_id, enable in self.gated:
            is_shown = shown[item_id] = enable(values, _NO_FINDINGS)
            if is_shown is True:
                answer = get(item_id, UNKNOWN)
                values[item_id] = frozenset(answer) if isinstance(answer, list | tuple) else answer
            else:
                values[item_id] = NOT_APPLICABLE if is_shown is False else UNKNOWN
        return values, shown

    def is_answerable(self, item_id: str) -> bool:
        return not isinstance(self.items[item_id], DisplayItem)


def plain_answers(item: Item) -> frozenset[Any]:
    """The answers to an item that are a plain string or whole number, when there are few enough to list."""
    if isinstance(item, YesNoItem | SingleChoiceItem):
        return frozenset(item.codes)
    if isinstance(item, IntegerItem | ScaleItem) and item.max - item.min <= 1000:
        return frozenset(range(item.min, item.max + 1))
    return frozenset()


def enablement_order(q: Questionnaire) -> list[str]:
    """Item ids ordered so each item comes after every item its ``enable_when`` reads (stable)."""
    items = q.items()
    deps = {i.id: items_read(i.enable_when) if i.enable_when else [] for i in items}
    return _topological([i.id for i in items], deps)


def finding_order(r: Ruleset) -> list[Any]:
    by_id = {f.id: f for f in r.findings}
    deps = {f.id: findings_read(f.condition) for f in r.findings}
    return [by_id[i] for i in _topological(list(by_id), deps)]


def _topological(ids: list[str], deps: dict[str, list[str]]) -> list[str]:
    """Depth-first order that keeps the written order where it can; ignores unknown ids and cycles."""
    done: set[str] = set()
    visiting: set[str] = set()
    out: list[str] = []

    def visit(node: str) -> None:
        if node in done or node in visiting:
            return
        visiting.add(node)
        for dep in deps.get(node, []):
            if dep in deps:
                visit(dep)
        visiting.discard(node)
        done.add(node)
        out.append(node)

    for node in ids:
        visit(node)
    return out
