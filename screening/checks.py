"""Everything about a definition that can be checked before any answer exists.

Each check returns ``Issue``s that name the path inside the YAML document; the loader turns paths into
line numbers. Reachability ("can this ever be true?") is worked out on the sets of answers that make each
comparison true, so it costs little and never calls a satisfiable rule dead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .conditions import item_of
from .model import (
    NO,
    NOT_SURE,
    YES,
    AllOf,
    Answered,
    AnyOf,
    AtLeast,
    Between,
    Condition,
    DisplayItem,
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
    Questionnaire,
    Ruleset,
    ScaleItem,
    SingleChoiceItem,
    TextItem,
    YesNoItem,
)

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Issue:
    document: str  # "questionnaire" or "ruleset"
    path: Path_
    subject: str
    message: str
    fix: str
    first: Path_ | None = None  # for duplicates: where the id was first used


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


# ---------------------------------------------------------------------------------------------
# Walking conditions with their paths


def walk_paths(cond: Condition, path: Path_) -> Iterator[tuple[Condition, Path_]]:
    yield cond, path
    if isinstance(cond, AllOf):
        for k, child in enumerate(cond.all):
            yield from walk_paths(child, (*path, "all", k))
    elif isinstance(cond, AnyOf):
        for k, child in enumerate(cond.any):
            yield from walk_paths(child, (*path, "any", k))
    elif isinstance(cond, Not):
        yield from walk_paths(cond.not_, (*path, "not"))
    elif isinstance(cond, AtLeast):
        for k, child in enumerate(cond.at_least.of):
            yield from walk_paths(child, (*path, "at_least", "of", k))


def _leaf_key(cond: Condition) -> str:
    for key in ("yes", "answered", "equals", "in_", "ge", "le", "between"):
        if hasattr(cond, key):
            return key.rstrip("_")
    return ""


# ---------------------------------------------------------------------------------------------
# Answer domains: the finite set of answers an item can take, used for type and reachability checks

_MAX_SUBSETS = 12  # multiple choice with more options than this is treated as "anything is possible"


def domain(item: Item) -> list[Any] | None:
    """Every possible answer, or None when there are too many to list."""
    if isinstance(item, YesNoItem):
        return [YES, NO, NOT_SURE] if item.allow_not_sure else [YES, NO]
    if isinstance(item, SingleChoiceItem):
        return [o.code for o in item.options]
    if isinstance(item, MultiChoiceItem):
        if len(item.options) > _MAX_SUBSETS:
            return None
        codes = [o.code for o in item.options]
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
# Type and reference checks for one condition


def check_condition(
    cond: Condition,
    path: Path_,
    document: str,
    subject: str,
    items: dict[str, Item],
    findings: set[str] | None,
) -> list[Issue]:
    """Unknown ids, option codes, and comparisons that do not fit the item's kind."""
    issues: list[Issue] = []

    def add(where: Path_, message: str, fix: str) -> None:
        issues.append(Issue(document, where, subject, message, fix))

    for node, where in walk_paths(cond, path):
        if isinstance(node, FindingRef):
            if findings is None:
                add(where, f"'finding: {node.finding}' cannot be used here", "an enable_when may only read items")
            elif node.finding not in findings:
                add(
                    where,
                    f"unknown finding '{node.finding}'",
                    _suggest(node.finding, findings) or "define it under findings:",
                )
            continue
        item_id = item_of(node)
        if item_id is None:
            continue
        key = _leaf_key(node)
        leaf_path = (*where, key)
        item = items.get(item_id)
        if item is None:
            add(
                leaf_path,
                f"unknown item '{item_id}'",
                _suggest(item_id, items) or "use an item id from the questionnaire",
            )
            continue
        if isinstance(item, DisplayItem):
            add(leaf_path, f"item '{item_id}' is display text and has no answer", "point the condition at a question")
            continue
        issues.extend(Issue(document, leaf_path, subject, m, f) for m, f in _fit(node, item))
    return issues


def _fit(cond: Condition, item: Item) -> list[tuple[str, str]]:
    kind = item.kind
    iid = item.id
    if isinstance(cond, Answered):
        return []
    if isinstance(cond, IsYes):
        return (
            []
            if isinstance(item, YesNoItem)
            else [
                (f"'yes: {iid}' needs a yes/no item, but '{iid}' is {kind}", "use equals or in with its option codes")
            ]
        )
    if isinstance(item, TextItem):
        return [(f"free-text item '{iid}' cannot be compared", "rules may only test whether it is answered")]
    if isinstance(cond, Ge | Le | Between):
        if not isinstance(item, IntegerItem | ScaleItem):
            return [
                (
                    f"a number comparison needs an integer or scale item, but '{iid}' is {kind}",
                    "use equals or in with its option codes",
                )
            ]
        numbers = (
            [cond.ge.value]
            if isinstance(cond, Ge)
            else [cond.le.value]
            if isinstance(cond, Le)
            else [cond.between.min, cond.between.max]
        )
        outside = [n for n in numbers if not item.min <= n <= item.max]
        return [
            (f"{n} is outside the range of '{iid}' ({item.min}–{item.max})", "use a value inside the item's range")
            for n in outside
        ]
    if isinstance(cond, Equals | In):
        values: list[Any] = [cond.equals.value] if isinstance(cond, Equals) else list(cond.in_.values)
        if isinstance(item, IntegerItem | ScaleItem):
            if isinstance(cond, In):
                return [(f"'in' needs a choice item, but '{iid}' is {kind}", "use between, ge or le")]
            value = values[0]
            if not isinstance(value, int) or isinstance(value, bool):
                return [(f"'{value}' is not a number, but '{iid}' is {kind}", "compare with a whole number")]
            if not item.min <= value <= item.max:
                return [
                    (
                        f"{value} is outside the range of '{iid}' ({item.min}–{item.max})",
                        "use a value inside the item's range",
                    )
                ]
            return []
        allowed = domain_codes(item)
        return [
            (f"option '{v}' is not one of {', '.join(allowed)}", f"use one of the options of '{iid}'")
            for v in values
            if v not in allowed
        ]
    return []


def domain_codes(item: Item) -> list[str]:
    if isinstance(item, YesNoItem):
        return [YES, NO, NOT_SURE] if item.allow_not_sure else [YES, NO]
    if isinstance(item, SingleChoiceItem | MultiChoiceItem):
        return [o.code for o in item.options]
    return []


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


# ---------------------------------------------------------------------------------------------
# Whole-document checks


def check_questionnaire(q: Questionnaire) -> list[Issue]:
    issues: list[Issue] = []
    items: dict[str, Item] = {}
    seen_sections: set[str] = set()
    where: dict[str, Path_] = {}
    for s, section in enumerate(q.sections):
        spath: Path_ = ("sections", s)
        if section.id in seen_sections:
            issues.append(
                Issue(
                    "questionnaire",
                    (*spath, "id"),
                    f"section '{section.id}'",
                    "duplicate section id",
                    "give each section its own id",
                )
            )
        seen_sections.add(section.id)
        for k, item in enumerate(section.items):
            ipath: Path_ = (*spath, "items", k)
            if item.id in items:
                issues.append(
                    Issue(
                        "questionnaire",
                        (*ipath, "id"),
                        f"item '{item.id}'",
                        "duplicate item id",
                        "give each item its own id",
                        first=(*where[item.id], "id"),
                    )
                )
                continue
            items[item.id] = item
            where[item.id] = ipath
            if isinstance(item, SingleChoiceItem | MultiChoiceItem):
                codes: set[str] = set()
                for o, option in enumerate(item.options):
                    if option.code in codes:
                        issues.append(
                            Issue(
                                "questionnaire",
                                (*ipath, "options", o, "code"),
                                f"item '{item.id}'",
                                f"option '{option.code}' is listed twice",
                                "give each option its own code",
                            )
                        )
                    codes.add(option.code)
                    if option.exclusive and isinstance(item, SingleChoiceItem):
                        issues.append(
                            Issue(
                                "questionnaire",
                                (*ipath, "options", o, "exclusive"),
                                f"item '{item.id}'",
                                "'exclusive' only applies to multiple choice",
                                "remove it",
                            )
                        )
    for item_id, item in items.items():
        if item.enable_when is not None:
            issues += check_condition(
                item.enable_when, (*where[item_id], "enable_when"), "questionnaire", f"item '{item_id}'", items, None
            )
    issues += _cycles(items, where)
    if not issues:  # reachability needs every reference and comparison to be sound
        reach = Reach(items, {})
        for item_id, item in items.items():
            if item.enable_when is not None and not reach.can_be_true(item.enable_when):
                issues.append(
                    Issue(
                        "questionnaire",
                        (*where[item_id], "enable_when"),
                        f"item '{item_id}'",
                        "can never be shown: no set of answers makes its enable_when true",
                        "fix the condition or remove the item",
                    )
                )
    return issues


def _cycles(items: dict[str, Item], where: dict[str, Path_]) -> list[Issue]:
    from .conditions import items_read

    deps = {
        i: [d for d in (items_read(it.enable_when) if it.enable_when else []) if d in items] for i, it in items.items()
    }
    return [
        Issue(
            "questionnaire",
            (*where[cycle[0]], "enable_when"),
            f"item '{cycle[0]}'",
            f"enable_when forms a cycle: {' → '.join([*cycle, cycle[0]])}",
            "an item may only depend on items that do not depend on it",
        )
        for cycle in find_cycles(deps)
    ]


def find_cycles(deps: dict[str, list[str]]) -> list[list[str]]:
    """Each distinct cycle in a dependency graph, once, starting from its first-listed node."""
    order = {node: k for k, node in enumerate(deps)}
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in deps.get(node, []):
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep) :]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    start = min(range(len(cycle)), key=lambda k: order[cycle[k]])
                    cycles.append(cycle[start:] + cycle[:start])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in deps:
        if node not in state:
            visit(node)
    return cycles


def check_ruleset(r: Ruleset, q: Questionnaire | None, *, reachability: bool = True) -> list[Issue]:
    from .conditions import findings_read

    issues: list[Issue] = []
    items = {i.id: i for i in q.items()} if q is not None else {}
    if q is not None:
        if r.questionnaire.id != q.id:
            issues.append(
                Issue(
                    "ruleset",
                    ("questionnaire", "id"),
                    f"ruleset '{r.id}'",
                    f"written for questionnaire '{r.questionnaire.id}', not '{q.id}'",
                    "pair the ruleset with its own questionnaire",
                )
            )
        elif r.questionnaire.version.split(".")[0] != q.version.split(".")[0] or _ver(q.version) < _ver(
            r.questionnaire.version
        ):
            issues.append(
                Issue(
                    "ruleset",
                    ("questionnaire", "version"),
                    f"ruleset '{r.id}'",
                    f"written for version {r.questionnaire.version}, but the questionnaire is {q.version}",
                    "update the ruleset's questionnaire version after checking its rules",
                )
            )

    rules: list[tuple[str, str, Path_, Condition]] = []
    rules += [("finding", f.id, ("findings", k), f.condition) for k, f in enumerate(r.findings)]
    rules += [("red flag", f.id, ("red_flags", k), f.condition) for k, f in enumerate(r.red_flags)]
    rules += [("feature", f.id, ("features", k), f.condition) for k, f in enumerate(r.features)]
    rules += [("differential", d.id, ("differentials", k), d.condition) for k, d in enumerate(r.differentials)]
    rules += [("grade cap", c.id, ("grading", "caps", k), c.when) for k, c in enumerate(r.grading.caps)]

    first: dict[str, Path_] = {}
    for kind, rid, path, _ in rules:
        if rid in first:
            issues.append(
                Issue(
                    "ruleset",
                    (*path, "id"),
                    f"{kind} '{rid}'",
                    "duplicate rule id",
                    "rule ids must be unique across findings, red flags, features, differentials and caps",
                    first=(*first[rid], "id"),
                )
            )
        else:
            first[rid] = path
    finding_ids = {f.id for f in r.findings}
    if q is not None:
        for kind, rid, path, cond in rules:
            cpath = (*path, "when" if kind == "grade cap" else "condition")
            issues += check_condition(cond, cpath, "ruleset", f"{kind} '{rid}'", items, finding_ids)
        if r.grading.likely_requires is not None:
            issues += check_condition(
                r.grading.likely_requires, ("grading", "likely_requires"), "ruleset", "grading", items, finding_ids
            )

    fdeps = {f.id: [d for d in findings_read(f.condition) if d in finding_ids] for f in r.findings}
    fpath = {f.id: ("findings", k) for k, f in enumerate(r.findings)}
    for cycle in find_cycles(fdeps):
        issues.append(
            Issue(
                "ruleset",
                (*fpath[cycle[0]], "condition"),
                f"finding '{cycle[0]}'",
                f"findings form a cycle: {' → '.join([*cycle, cycle[0]])}",
                "a finding may only read findings that do not read it",
            )
        )
    if issues or q is None or not reachability:
        return issues  # reachability on a broken ruleset would only repeat the same faults

    reach = Reach(items, {f.id: f.condition for f in r.findings})
    for kind, rid, path, cond in rules:
        cpath = (*path, "when" if kind == "grade cap" else "condition")
        if not reach.can_be_true(cond):
            issues.append(
                Issue(
                    "ruleset",
                    cpath,
                    f"{kind} '{rid}'",
                    "can never fire: no set of answers makes it true",
                    "check for contradictory comparisons or items that can never be shown",
                )
            )
        elif kind in ("red flag", "grade cap") and not reach.can_be_false(cond):
            issues.append(
                Issue(
                    "ruleset",
                    cpath,
                    f"{kind} '{rid}'",
                    "is always true: every response would raise it",
                    "make the condition depend on an answer",
                )
            )
    return issues


def _ver(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))
