"""The README quick start screens ``examples/*.yaml``: each must be valid and give the outcome its name says."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.cli import main
from screening.definition import Definition
from screening.loader import load_definition
from screening.model import Disposition
from screening.reading import load_response
from screening.scorer import assess

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.yaml"))

# What each file name promises. A "not sure" red-flag answer can never end below a GP visit and must be
# listed for staff to check; the one in the example is an emergency-level question, so it gives urgent_gp.
IMPLIED = {
    "emergency_thunderclap": Disposition.EMERGENCY,
    "gp_medication_overuse": Disposition.ROUTINE_GP,
    "physio_cervicogenic": Disposition.PHYSIO_ASSESSMENT,
    "not_sure_red_flag": Disposition.URGENT_GP,
}


@pytest.fixture(scope="module")
def bundled_definition() -> Definition:
    """The bundled questionnaire and ruleset, loaded the way the CLI loads them."""
    return load_definition()


def test_every_example_says_what_it_should_give() -> None:
    assert {p.stem for p in EXAMPLES} == set(IMPLIED), "add each example to IMPLIED with the outcome it shows"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_gives_the_disposition_its_name_implies(path: Path, bundled_definition: Definition) -> None:
    assessment = assess(bundled_definition, load_response(path, bundled_definition))
    assert assessment.disposition == IMPLIED[path.stem]
    if path.stem == "not_sure_red_flag":
        assert assessment.to_check, "a 'not sure' red-flag answer must be listed for staff to check"
        assert not assessment.red_flags
    if path.stem == "gp_medication_overuse":
        assert "medication_overuse" in {d.id for d in assessment.differentials}
    if path.stem == "physio_cervicogenic":
        assert assessment.likelihood.grade == "likely"
        assert not assessment.red_flags and not assessment.to_check


def test_physio_example_has_a_complete_fictional_patient_block(bundled_definition: Definition) -> None:
    response = load_response(EXAMPLES_DIR / "physio_cervicogenic.yaml", bundled_definition)
    patient = response.patient
    assert patient is not None and patient.name and patient.date_of_birth and patient.contact
    assert patient.contact.startswith("01632 960"), "use the UK drama number range for contact numbers"


def test_quick_start_command_scores_every_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", *map(str, EXAMPLES)]) == 0
    out = capsys.readouterr().out
    assert all(f"== {p}" in out for p in EXAMPLES)
