"""What changed between two versions of a definition: questions, options, conditions, weights, thresholds,
red flags and wording. Conditions are compared as data and shown in words."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel

from .conditions import describe
from .definition import Definition

CONDITION_FIELDS = {"enable_when", "condition", "when", "likely_requires"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class EntryChanges:
    """Changes to one collection (items, red flags, ...): what was added, removed, and changed field by field."""

    kind: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[FieldChange]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class DefinitionDiff:
    old_version: str
    new_version: str
    sections: list[EntryChanges]

    @property
    def is_empty(self) -> bool:
        return not any(self.sections)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _plain(name: str, value: Any) -> Any:
    """A field value as readable data: conditions in words, models as dicts."""
    if value is None:
        return None
    if name in CONDITION_FIELDS and isinstance(value, BaseModel):
        return describe(value)  # type: ignore[arg-type]
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list):
        return [_plain(name, v) for v in value]
    return value


def _fields(model: BaseModel) -> dict[str, Any]:
    return {name: _plain(name, getattr(model, name)) for name in type(model).model_fields}


def _compare(kind: str, old: dict[str, BaseModel], new: dict[str, BaseModel]) -> EntryChanges:
    changes = EntryChanges(kind, [i for i in new if i not in old], [i for i in old if i not in new])
    for ident in (i for i in old if i in new):
        before, after = _fields(old[ident]), _fields(new[ident])
        differs = [
            FieldChange(k, before.get(k), after.get(k)) for k in {**before, **after} if before.get(k) != after.get(k)
        ]
        if differs:
            changes.changed[ident] = differs
    return changes


def diff_definitions(old: Definition, new: Definition) -> DefinitionDiff:
    q_old, q_new = old.questionnaire, new.questionnaire
    r_old, r_new = old.ruleset, new.ruleset
    sections = [
        _compare(
            "sections",
            {s.id: _section_head(s) for s in q_old.sections},
            {s.id: _section_head(s) for s in q_new.sections},
        ),
        _compare("items", dict(old.items), dict(new.items)),
        _compare("findings", {f.id: f for f in r_old.findings}, {f.id: f for f in r_new.findings}),
        _compare("red_flags", {f.id: f for f in r_old.red_flags}, {f.id: f for f in r_new.red_flags}),
        _compare("features", {f.id: f for f in r_old.features}, {f.id: f for f in r_new.features}),
        _compare("differentials", {d.id: d for d in r_old.differentials}, {d.id: d for d in r_new.differentials}),
        _compare("grade_caps", {c.id: c for c in r_old.grading.caps}, {c.id: c for c in r_new.grading.caps}),
        _compare(
            "grading",
            {"thresholds": r_old.grading.model_copy(update={"caps": []})},
            {"thresholds": r_new.grading.model_copy(update={"caps": []})},
        ),
        _compare("disposition", {"policy": r_old.disposition}, {"policy": r_new.disposition}),
        _compare(
            "texts",
            {
                "questionnaire": q_old.model_copy(update={"sections": []}),
                "ruleset_statement": _Statement(text=r_old.statement),
            },
            {
                "questionnaire": q_new.model_copy(update={"sections": []}),
                "ruleset_statement": _Statement(text=r_new.statement),
            },
        ),
    ]
    return DefinitionDiff(f"{q_old.version} / {r_old.version}", f"{q_new.version} / {r_new.version}", sections)


class _Statement(BaseModel):
    text: str


def _section_head(section: Any) -> BaseModel:
    """A section without its items (items are compared on their own, wherever they moved)."""
    head: BaseModel = section.model_copy(update={"items": [item.id for item in section.items]})
    return head


def render_diff(d: DefinitionDiff) -> str:
    if d.is_empty:
        return f"No differences between {d.old_version} and {d.new_version}.\n"
    lines = [f"Changes from {d.old_version} to {d.new_version}:"]
    for section in d.sections:
        if not section:
            continue
        lines.append("")
        lines.append(section.kind.replace("_", " ").capitalize())
        lines += [f"  + added {i}" for i in section.added]
        lines += [f"  - removed {i}" for i in section.removed]
        for ident, changes in section.changed.items():
            lines.append(f"  ~ {ident}")
            for c in changes:
                lines.append(f"      {c.field}: {_short(c.old)}")
                lines.append(f"      {' ' * len(c.field)}  -> {_short(c.new)}")
    return "\n".join(lines) + "\n"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 300 else text[:297] + "..."
