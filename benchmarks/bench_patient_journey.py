"""Screens, questions and words a patient sees for each example journey (examples/*.yaml), and the estimate
the start page gives for a typical patient.

    python benchmarks/bench_patient_journey.py
"""

from __future__ import annotations

from pathlib import Path

from screening.loader import load_definition
from screening.reading import load_response
from screening.web.journey import journey_size

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def main() -> None:
    definition = load_definition()
    print(f"{'journey':<28} {'screens':>7} {'questions':>9} {'words':>6} {'minutes':>7}")
    journeys = [("typical (no follow-ups)", journey_size(definition, {}))]
    for path in sorted(EXAMPLES.glob("*.yaml")):
        journeys.append((path.stem, journey_size(definition, load_response(path, definition).answers)))
    for name, size in journeys:
        print(f"{name:<28} {size.screens:>7} {size.questions:>9} {size.words:>6} {size.minutes:>7}")
    print("(every answer in the file counted; on the web an emergency answer ends the questions at once)")


if __name__ == "__main__":
    main()
