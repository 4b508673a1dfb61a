"""Golden referral HTML for three examples, compared after collapsing every run of whitespace.

The files in ``tests/golden/`` are the reviewed HTML of ``examples/NAME.yaml`` rendered with the bundled definition,
the default clinic settings and generated-at 2026-11-21T12:00:00Z. They carry the definition's hashes and the engine
version, so any change to the template, the view, the bundled questionnaire or ruleset shows up here. After an
intended change, regenerate them and read every changed file before committing (outcome, red flags, answers):

    SCREENING_UPDATE_GOLDEN=1 /work/venv/bin/python -m pytest --no-cov tests/test_golden.py
    git diff tests/golden/
"""

from __future__ import annotations

import difflib
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from screening.definition import Definition
from screening.reading import load_response
from screening.report import render_html
from screening.scorer import assess

GOLDEN_DIR = Path(__file__).parent / "golden"
EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
GOLDEN = ["emergency_thunderclap", "gp_medication_overuse", "physio_cervicogenic"]
WHEN = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
UPDATE = os.environ.get("SCREENING_UPDATE_GOLDEN") == "1"
DIFF_LINES = 60


def normalised(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


def first_differences(expected: str, actual: str) -> str:
    """A unified diff of the normalised documents, one tag per line, cut after the first few differences."""

    def lines(text: str) -> list[str]:
        return [part.strip() for part in re.split(r"(?=<)", normalised(text)) if part.strip()]

    diff = list(difflib.unified_diff(lines(expected), lines(actual), "golden", "rendered", n=2, lineterm=""))
    more = f"\n... {len(diff) - DIFF_LINES} more diff lines" if len(diff) > DIFF_LINES else ""
    return "\n".join(diff[:DIFF_LINES]) + more


def render(name: str, definition: Definition) -> str:
    response = load_response(EXAMPLES_DIR / f"{name}.yaml", definition)
    return render_html(definition, response, assess(definition, response), generated_at=WHEN)


@pytest.mark.parametrize("name", GOLDEN)
def test_referral_html_matches_the_reviewed_golden_file(name: str, bundled: Definition) -> None:
    golden = GOLDEN_DIR / f"{name}.html"
    html = render(name, bundled)
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(html, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: regenerate it (see this module's docstring) and review it"
    expected = golden.read_text(encoding="utf-8")
    if normalised(expected) != normalised(html):
        pytest.fail(
            f"{golden.name} differs from the rendered HTML. If the change is intended, regenerate and review "
            f"(see tests/test_golden.py):\n{first_differences(expected, html)}",
            pytrace=False,
        )


def test_golden_files_are_the_examples_only() -> None:
    assert sorted(p.stem for p in GOLDEN_DIR.glob("*.html")) == sorted(GOLDEN)


def test_a_difference_is_shown_as_a_diff() -> None:
    expected = "<p>Patient</p>\n<p>Ada   Example</p>"
    assert normalised(expected) == normalised("<p>Patient</p> <p>Ada Example</p>\n")
    diff = first_differences(expected, "<p>Patient</p><p>Bea Example</p>")
    assert "-<p>Ada Example" in diff and "+<p>Bea Example" in diff
