"""enable_when as FHIR's enableWhen where that gives exactly our answer, else as FHIRPath."""

from __future__ import annotations

from ..conditions import item_of
from ..definition import Definition
from ..model import (
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
    Item,
    Le,
    MultiChoiceItem,
    Not,
    SingleChoiceItem,
    YesNoItem,
)
from .codings import (
    JSON,
    _coding,
)

# ---------------------------------------------------------------------------------------------
# enable_when → enableWhen, where FHIR gives exactly our answer
#
# FHIR: an enableWhen on an unanswered or disabled question is false. Ours: unanswered (or "not sure") is
# unknown, and an unknown gate hides the question. Only a true gate shows a question, so for the leaves
# below (and any/all of them) "shown" agrees: each is true on exactly the same answers in both.


def _enable_when(condition: Condition, definition: Definition) -> tuple[list[JSON], str | None] | None:
    """enableWhen entries and enableBehavior equivalent to the condition, or None if FHIR cannot say it."""
    if isinstance(condition, AnyOf | AllOf):
        is_any = isinstance(condition, AnyOf)
        listed = condition.any if isinstance(condition, AnyOf) else condition.all
        parts = [_leaf_when(c, definition, spread=is_any) for c in listed]
        if any(p is None for p in parts):
            return None
        flat = [when for part in parts for when in part or ()]
        return flat, ("any" if is_any else "all") if len(flat) > 1 else None
    leaf = _leaf_when(condition, definition, spread=True)
    if leaf is None:
        return None
    return leaf, "any" if len(leaf) > 1 else None


def _leaf_when(condition: Condition, definition: Definition, *, spread: bool) -> list[JSON] | None:
    item_id = item_of(condition)
    if item_id is None or isinstance(condition, Between):
        return None
    item = definition.items[item_id]
    if isinstance(condition, Answered):
        return [{"question": item_id, "operator": "exists", "answerBoolean": True}]
    if isinstance(condition, Ge | Le):
        value = condition.ge.value if isinstance(condition, Ge) else condition.le.value
        return [{"question": item_id, "operator": ">=" if isinstance(condition, Ge) else "<=", "answerInteger": value}]
    if isinstance(condition, Equals) and isinstance(condition.equals.value, int):
        return [{"question": item_id, "operator": "=", "answerInteger": condition.equals.value}]
    multi = isinstance(item, MultiChoiceItem)
    codes: list[str]
    if isinstance(condition, IsYes):
        codes = [YES]
    elif isinstance(condition, Equals):
        codes = [str(condition.equals.value)]  # on a multiple choice, "equals not_sure" asks whether it was ticked
    elif isinstance(condition, In):
        codes = list(condition.in_.values)
        if NOT_SURE in codes and not multi:
            return None  # ours: "not sure" leaves `in` unknown even when listed; FHIR would match it
        if len(codes) > 1 and not spread:
            return None  # (a or b) inside `all` needs nesting that enableWhen lacks
    else:  # pragma: no cover - every leaf kind is handled above
        return None
    return [{"question": item_id, "operator": "=", "answerCoding": _coding(item, c, definition)} for c in codes]


# ---------------------------------------------------------------------------------------------
# enable_when → FHIRPath (SDC enableWhenExpression), for everything else
#
# FHIRPath's and/or/not() are three-valued with empty as unknown, like ours. A comparison on an unanswered
# question gives empty (unknown). Ours also tells "hidden, so false" from "unanswered, so unknown"; that
# matters only under `not`, where each comparison is wrapped in its question's own gate.


def fhirpath(condition: Condition, definition: Definition, *, exact: bool = False) -> str:
    """A FHIRPath expression over ``%resource`` (the QuestionnaireResponse) that is true exactly when ours is.

    With ``exact`` it is also false exactly when ours is false (and empty when ours is unknown).
    """
    if isinstance(condition, AllOf | AnyOf):
        joiner = " and " if isinstance(condition, AllOf) else " or "
        parts = condition.all if isinstance(condition, AllOf) else condition.any
        return joiner.join(f"({fhirpath(c, definition, exact=exact)})" for c in parts)
    if isinstance(condition, Not):
        return f"({fhirpath(condition.not_, definition, exact=True)}).not()"
    if isinstance(condition, AtLeast):
        n = condition.at_least.n
        counted = [fhirpath(c, definition, exact=exact) for c in condition.at_least.of]
        true = " + ".join(f"iif({p}, 1, 0)" for p in counted)
        unknown = " + ".join(f"iif(({p}).empty(), 1, 0)" for p in counted)
        return f"iif(({true}) >= {n}, true, iif(({true}) + ({unknown}) >= {n}, {{}}, false))"
    if isinstance(condition, FindingRef):
        raise ValueError(f"finding '{condition.finding}' cannot be used in an enable_when; it may only read items")
    item_id = item_of(condition)
    if item_id is None:  # pragma: no cover - every other kind is handled above
        raise TypeError(f"not a condition: {condition!r}")
    item = definition.items[item_id]
    leaf = _leaf_path(condition, item, exact=exact)
    if exact and item.enable_when is not None and not isinstance(condition, Answered):
        return f"iif(({fhirpath(item.enable_when, definition, exact=True)}) = false, false, {leaf})"
    return leaf


def _leaf_path(condition: Condition, item: Item, *, exact: bool) -> str:
    """One comparison; with ``exact``, empty when the question is unanswered or (where ours says so) not sure."""
    answer = f"%resource.repeat(item).where(linkId = {_quote(item.id)}).answer"
    value = f"{answer}.value"
    if isinstance(condition, Answered):
        return f"{answer}.exists()"
    if isinstance(condition, Ge):
        return f"{value} >= {condition.ge.value}"
    if isinstance(condition, Le):
        return f"{value} <= {condition.le.value}"
    if isinstance(condition, Between):
        return f"{value} >= {condition.between.min} and {value} <= {condition.between.max}"
    if isinstance(condition, Equals) and isinstance(condition.equals.value, int):
        return f"{value} = {condition.equals.value}"
    codes = f"{value}.code"
    if isinstance(condition, IsYes):
        wanted = [YES]
    elif isinstance(condition, Equals):
        wanted = [str(condition.equals.value)]
    elif isinstance(condition, In):
        wanted = list(condition.in_.values)
    else:  # pragma: no cover - every leaf kind is handled above
        raise TypeError(f"not a leaf condition: {condition!r}")
    multi = isinstance(item, MultiChoiceItem)
    if isinstance(condition, Equals) and wanted == [NOT_SURE]:
        hit = f"{codes} contains 'not_sure'"  # the answer is "not sure", or (multiple choice) it was ticked
        unsure = ""
    else:
        if not multi:  # ours: a single answer "not_sure" leaves the comparison unknown, even if listed
            wanted = [code for code in wanted if code != NOT_SURE]
        listed = " | ".join(_quote(code) for code in wanted)
        hit = f"{codes}.where($this in ({listed})).exists()" if wanted else "false"
        unsure = f" and ({codes} contains 'not_sure').not()" if _may_be_not_sure(item) else ""
    return f"iif({codes}.exists(){unsure}, {hit}, {{}})" if exact else hit


def _may_be_not_sure(item: Item) -> bool:
    return isinstance(item, YesNoItem | SingleChoiceItem) and NOT_SURE in item.codes


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
