"""Checks on one condition before any answer exists: unknown ids and option codes, comparisons that do not fit."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .conditions import item_of
from .error_codes import ErrorCode
from .model import (
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
    code: ErrorCode = field(kw_only=True)


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

    def add(where: Path_, message: str, fix: str, code: ErrorCode) -> None:
        issues.append(Issue(document, where, subject, message, fix, code=code))

    for node, where in walk_paths(cond, path):
        if isinstance(node, FindingRef):
            if findings is None:
                message, fix = f"'finding: {node.finding}' cannot be used here", "an enable_when may only read items"
                add(where, message, fix, ErrorCode.FINDING_NOT_ALLOWED)
            elif node.finding not in findings:
                add(
                    where,
                    f"unknown finding '{node.finding}'",
                    _suggest(node.finding, findings) or "define it under findings:",
                    ErrorCode.UNKNOWN_FINDING,
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
                ErrorCode.UNKNOWN_ITEM,
            )
            continue
        if isinstance(item, DisplayItem):
            message, fix = f"item '{item_id}' is display text and has no answer", "point the condition at a question"
            add(leaf_path, message, fix, ErrorCode.DISPLAY_ITEM_READ)
            continue
        issues.extend(Issue(document, leaf_path, subject, m, f, code=c) for m, f, c in _fit(node, item))
    return issues


def _fit(cond: Condition, item: Item) -> list[tuple[str, str, ErrorCode]]:
    wrong, outside = ErrorCode.WRONG_KIND, ErrorCode.OUT_OF_RANGE
    kind = item.kind
    iid = item.id
    if isinstance(cond, Answered):
        return []
    if isinstance(cond, IsYes):
        return (
            []
            if isinstance(item, YesNoItem)
            else [
                (
                    f"'yes: {iid}' needs a yes/no item, but '{iid}' is {kind}",
                    "use equals or in with its option codes",
                    wrong,
                )
            ]
        )
    if isinstance(item, TextItem):
        fix = "rules may only test whether it is answered"
        return [(f"free-text item '{iid}' cannot be compared", fix, ErrorCode.TEXT_COMPARED)]
    if isinstance(cond, Ge | Le | Between):
        if not isinstance(item, IntegerItem | ScaleItem):
            return [
                (
                    f"a number comparison needs an integer or scale item, but '{iid}' is {kind}",
                    "use equals or in with its option codes",
                    wrong,
                )
            ]
        numbers = (
            [cond.ge.value]
            if isinstance(cond, Ge)
            else [cond.le.value]
            if isinstance(cond, Le)
            else [cond.between.min, cond.between.max]
        )
        fix = "use a value inside the item's range"
        return [
            (f"{n} is outside the range of '{iid}' ({item.min}–{item.max})", fix, outside)
            for n in numbers
            if not item.min <= n <= item.max
        ]
    if isinstance(cond, Equals | In):
        values: list[Any] = [cond.equals.value] if isinstance(cond, Equals) else list(cond.in_.values)
        if isinstance(item, IntegerItem | ScaleItem):
            if isinstance(cond, In):
                return [(f"'in' needs a choice item, but '{iid}' is {kind}", "use between, ge or le", wrong)]
            value = values[0]
            if not isinstance(value, int) or isinstance(value, bool):
                return [(f"'{value}' is not a number, but '{iid}' is {kind}", "compare with a whole number", wrong)]
            if not item.min <= value <= item.max:
                return [
                    (
                        f"{value} is outside the range of '{iid}' ({item.min}–{item.max})",
                        "use a value inside the item's range",
                        outside,
                    )
                ]
            return []
        allowed = item.codes if isinstance(item, YesNoItem | SingleChoiceItem | MultiChoiceItem) else ()
        return [
            (
                f"option '{v}' is not one of {', '.join(allowed)}",
                f"use one of the options of '{iid}'",
                ErrorCode.OPTION_NOT_OFFERED,
            )
            for v in values
            if v not in allowed
        ]
    return []
