"""Checks on a FHIR Questionnaire that fhir.resources does not make."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .codings import (
    ENABLE_WHEN_EXPRESSION,
)


def check_questionnaire(resource: Mapping[str, Any]) -> list[str]:
    """Problems in a Questionnaire that structural validation misses (an empty list means none found)."""
    if resource.get("resourceType") != "Questionnaire":
        return [f"resourceType is {resource.get('resourceType')!r}, not 'Questionnaire'"]
    problems: list[str] = []
    flat = list(_walk(resource.get("item")))
    first: dict[str, int] = {}
    for pos, node in enumerate(flat):
        link = node.get("linkId")
        if link in first:
            problems.append(f"linkId '{link}' is used more than once")
        elif isinstance(link, str):
            first[link] = pos
    for pos, node in enumerate(flat):
        where = f"item '{node.get('linkId')}'"
        kind = node.get("type")
        if kind == "display" and "required" in node:
            problems.append(f"{where}: display items take no answer, so they cannot be 'required'")
        if kind == "display" and node.get("item"):
            problems.append(f"{where}: display items cannot contain items")
        if kind == "group" and not node.get("item"):
            problems.append(f"{where}: a group needs at least one item")
        if "maxLength" in node and kind not in ("text", "string"):
            problems.append(f"{where}: maxLength only applies to text and string items, not {kind}")
        if kind in ("choice", "open-choice") and not node.get("answerOption") and not node.get("answerValueSet"):
            problems.append(f"{where}: a choice item needs answerOption or answerValueSet")
        codes = [_key(o.get("valueCoding")) for o in node.get("answerOption") or () if isinstance(o, dict)]
        if len(set(codes)) != len(codes):
            problems.append(f"{where}: an answerOption code is listed twice")
        whens = [w for w in node.get("enableWhen") or () if isinstance(w, dict)]
        if len(whens) > 1 and "enableBehavior" not in node:
            problems.append(f"{where}: several enableWhen entries need enableBehavior (all or any)")
        if whens and any(e.get("url") == ENABLE_WHEN_EXPRESSION for e in node.get("extension") or ()):
            problems.append(f"{where}: has both enableWhen and an enableWhenExpression; keep one")
        for when in whens:
            target_id = when.get("question")
            target_pos = first.get(target_id) if isinstance(target_id, str) else None
            if target_pos is None:
                problems.append(f"{where}: enableWhen refers to '{target_id}', which is not in the questionnaire")
                continue
            target = flat[target_pos]
            if target.get("type") in ("group", "display"):
                problems.append(f"{where}: enableWhen refers to '{target_id}', which takes no answer")
            elif target_pos >= pos:
                what = "itself" if target_pos == pos else f"'{target_id}', which comes after it"
                problems.append(f"{where}: enableWhen refers to {what}")
            else:
                problems += [f"{where}: enableWhen on '{target_id}': {p}" for p in _when_problems(when, target)]
    return problems


def _walk(nodes: Any) -> Iterator[Mapping[str, Any]]:
    for node in nodes if isinstance(nodes, list) else ():
        if isinstance(node, dict):
            yield node
            yield from _walk(node.get("item"))


def _key(coding: Any) -> tuple[Any, Any]:
    return (coding.get("system"), coding.get("code")) if isinstance(coding, dict) else (None, None)


_ANSWER_TYPES = {
    "boolean": ("answerBoolean",),
    "decimal": ("answerDecimal", "answerInteger"),
    "integer": ("answerInteger", "answerDecimal"),
    "date": ("answerDate",),
    "dateTime": ("answerDateTime",),
    "time": ("answerTime",),
    "string": ("answerString",),
    "text": ("answerString",),
    "url": ("answerString",),
    "choice": ("answerCoding",),
    "open-choice": ("answerCoding", "answerString"),
    "quantity": ("answerQuantity",),
    "reference": ("answerReference",),
}


def _when_problems(when: Mapping[str, Any], target: Mapping[str, Any]) -> list[str]:
    given = [k for k in when if k.startswith("answer")]
    if when.get("operator") == "exists":
        return [] if given == ["answerBoolean"] else ["'exists' needs answerBoolean"]
    allowed = _ANSWER_TYPES.get(str(target.get("type")), ())
    if not any(k in allowed for k in given):
        return [f"{', '.join(given) or 'no answer'} does not fit a {target.get('type')} question"]
    coding = when.get("answerCoding")
    if not isinstance(coding, dict):
        return []
    known = {_key(o.get("valueCoding")) for o in target.get("answerOption") or () if isinstance(o, dict)}
    system, code = _key(coding)
    if (system, code) in known or (system is None and code in {c for _, c in known}):
        return []
    return [f"code '{coding.get('code')}' is not among the question's answerOption codes"]
