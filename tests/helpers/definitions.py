"""Definitions for the tests: the small complete "mini" one kept as files in ``tests/data``, the tail that small
inline rulesets share, and a writer for inline definitions."""

from __future__ import annotations

import textwrap
from pathlib import Path

from screening.loader import default_questionnaire_path, ruleset_path_for

TESTS = Path(__file__).resolve().parent.parent
DATA = TESTS / "data"
EXAMPLES = TESTS.parent / "examples"

# A small but complete questionnaire: a display text, a required yes/no that gates two follow-ups, a scale,
# an integer, a yes/no red-flag question that allows "not sure", a multiple choice with an exclusive "none",
# and a free-text note.
MINI_QUESTIONNAIRE = (DATA / "mini.yaml").read_text(encoding="utf-8")
MINI_RULES = (DATA / "mini.rules.yaml").read_text(encoding="utf-8")

# The parts of a ruleset that small inline rulesets in the tests do not care about; append after the rules.
RULES_TAIL = (DATA / "rules_tail.yaml").read_text(encoding="utf-8")

DefinitionFiles = tuple[Path, Path]


def write_definition(folder: Path, questionnaire: str, rules: str, name: str = "def") -> DefinitionFiles:
    """Write a questionnaire and its ruleset as ``name.yaml`` and ``name.rules.yaml``; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    q_path = folder / f"{name}.yaml"
    r_path = ruleset_path_for(q_path)
    q_path.write_text(textwrap.dedent(questionnaire), encoding="utf-8")
    r_path.write_text(textwrap.dedent(rules), encoding="utf-8")
    return q_path, r_path


def line_of(text: str, needle: str) -> int:
    """The 1-based line on which ``needle`` appears in ``text``; it must appear exactly once."""
    hits = [n for n, line in enumerate(textwrap.dedent(text).splitlines(), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} appears on lines {hits}, expected exactly one"
    return hits[0]


def bundled_files() -> DefinitionFiles:
    q_path = default_questionnaire_path()
    return q_path, ruleset_path_for(q_path)
