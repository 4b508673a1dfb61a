"""What a new ruleset would change: responses assessed under two definitions, compared. Writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .assessment import Assessment
from .definition import Definition
from .errors import ResponseError
from .response import Response, parse_response
from .scorer import CompactResult, assess, assess_compact


@dataclass(frozen=True)
class Change:
    """How one stored submission would come out under the new definition (or why it cannot be re-assessed)."""

    submission: str
    created_at: str
    old_disposition: str
    new_disposition: str
    old_likelihood: str
    new_likelihood: str
    red_flags_added: list[str]
    red_flags_removed: list[str]
    problem: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.problem) or (self.old_disposition, self.old_likelihood) != (
            self.new_disposition,
            self.new_likelihood,
        )


def reassess(stored: Response, definition: Definition, complete: bool = True) -> Assessment:
    """The stored answers assessed under another definition (answers to questions it no longer shows dropped)."""
    response = parse_response(
        stored.model_dump(mode="json"), definition, hidden="drop", partial=not complete, source="stored"
    )
    return assess(definition, response)


def reassess_compact(stored: dict[str, Any], definition: Definition, complete: bool = True) -> CompactResult:
    """``reassess`` of a stored response document, without the explanation (all that a comparison reads)."""
    response = parse_response(stored, definition, hidden="drop", partial=not complete, source="stored")
    return assess_compact(definition, response)


Outcome = Assessment | CompactResult


def _outcome(result: Outcome) -> tuple[str, str, set[str]]:
    """Disposition, grade and the red flags raised, from a full or a compact result."""
    if isinstance(result, CompactResult):
        return result.disposition.value, result.grade.value, set(result.red_flags)
    return result.disposition.value, result.likelihood.grade.value, {f.id for f in result.red_flags}


def compare(ident: str, created_at: str, old: Outcome, new: Outcome | None, problem: str = "") -> Change:
    old_disposition, old_grade, old_flags = _outcome(old)
    new_disposition, new_grade, new_flags = _outcome(new) if new else ("", "", set())
    return Change(
        ident,
        created_at,
        old_disposition,
        new_disposition,
        old_grade,
        new_grade,
        sorted(new_flags - old_flags),
        sorted(old_flags - new_flags) if new else [],
        problem,
    )


def rescore_files(folder: Path, old_definition: Definition, new_definition: Definition) -> Iterator[Change]:
    """Response files in a folder, assessed under the current definition and under the new one."""
    from .reading import load_response

    for path in sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json")):
        try:
            response = load_response(path, old_definition, hidden="drop")
        except ResponseError as exc:
            yield Change(path.name, "", "", "", "", "", [], [], f"not a response: {exc.problems[0].message}")
            continue
        old = assess_compact(old_definition, response)  # only the outcomes are compared: no explanations
        stamp = response.collected_at.isoformat()
        try:
            again = parse_response(response.model_dump(mode="json"), new_definition, hidden="drop", source="stored")
            new = assess_compact(new_definition, again)
        except ResponseError as exc:
            yield compare(path.name, stamp, old, None, "; ".join(p.message for p in exc.problems[:3]))
            continue
        yield compare(path.name, stamp, old, new)
