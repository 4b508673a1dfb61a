"""Shared fixtures: the bundled definition, a writer for inline definitions, and a small complete "mini" one."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import postgres
import pytest
from postgres import Server
from web import Site

from screening.definition import Definition
from screening.loader import default_questionnaire_path, load_definition, ruleset_path_for

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# A small but complete questionnaire: a display text, a required yes/no that gates two follow-ups, a scale,
# an integer, a yes/no red-flag question that allows "not sure", a multiple choice with an exclusive "none",
# and a free-text note.
MINI_QUESTIONNAIRE = """\
id: mini
version: 1.2.0
title: Mini headache screen
language: en-GB
sections:
  - id: pain
    title: Your headache
    items:
      - id: intro
        kind: display
        patient: Please answer what you can.
        staff: Read each question aloud.
      - id: neck_pain
        kind: yes_no
        required: true
        patient: Does your headache start in your neck?
        staff: Does the headache start in the patient's neck?
      - id: neck_side
        kind: single_choice
        patient: Which side of your neck?
        staff: Which side of the neck?
        enable_when: {yes: neck_pain}
        options:
          - {code: left, label: Left}
          - {code: right, label: Right}
          - {code: both, label: Both sides}
      - id: neck_movement
        kind: yes_no
        patient: Does moving your neck bring the headache on?
        staff: Does moving the neck bring the headache on?
        enable_when: {yes: neck_pain}
      - id: severity
        kind: scale
        patient: How bad is your headache at its worst?
        staff: How bad is the headache at its worst?
        min_label: No pain
        max_label: Worst pain imaginable
      - id: age
        kind: integer
        min: 16
        max: 110
        unit: years
        patient: How old are you?
        staff: How old is the patient?
  - id: warning
    title: Warning signs
    items:
      - id: thunderclap
        kind: yes_no
        allow_not_sure: true
        patient: Did your worst headache reach full strength within a minute?
        staff: Did the worst headache reach full strength within a minute?
      - id: symptoms
        kind: multi_choice
        patient: Have you had any of these?
        staff: Has the patient had any of these?
        options:
          - {code: fever, label: Fever}
          - {code: weight_loss, label: Weight loss}
          - {code: blurred_vision, label: Blurred vision}
          - {code: none, label: None of these, exclusive: true}
      - id: notes
        kind: text
        max_length: 200
        patient: Anything else you want to tell us?
        staff: Anything else the patient wants to add?
"""

MINI_RULES = """\
id: mini_rules
version: 1.0.0
title: Mini rules
questionnaire: {id: mini, version: 1.2.0}
findings:
  - id: one_sided_neck_pain
    title: One-sided pain starting in the neck
    condition:
      all:
        - yes: neck_pain
        - in: {item: neck_side, values: [left, right]}
red_flags:
  - id: thunderclap_headache
    title: Thunderclap headache
    condition: {yes: thunderclap}
    urgency: emergency
    patient_message: Call 999 now.
    staff_message: Advise 999 now.
    source: Fictional test source
  - id: systemic_symptoms
    title: Fever or weight loss
    condition: {in: {item: symptoms, values: [fever, weight_loss]}}
    urgency: urgent_gp
    patient_message: Contact your GP today.
    staff_message: Same-day GP contact.
    source: Fictional test source
features:
  - id: neck_origin
    title: Pain starts in the neck
    condition: {yes: neck_pain}
    weight: 3
    criterion: Test criterion A
    source: Fictional test source
  - id: one_sided
    title: One-sided neck pain
    condition: {finding: one_sided_neck_pain}
    weight: 2
    criterion: Test criterion B
    source: Fictional test source
  - id: movement
    title: Brought on by neck movement
    condition: {yes: neck_movement}
    weight: 2
    criterion: Test criterion C
    source: Fictional test source
  - id: moderate_severity
    title: Moderate severity
    condition: {between: {item: severity, min: 3, max: 7}}
    weight: 1
    criterion: Test criterion D
    source: Fictional test source
differentials:
  - id: migraine_pattern
    title: Migraine pattern
    condition:
      all:
        - ge: {item: severity, value: 8}
        - in: {item: symptoms, values: [blurred_vision]}
    staff_message: Consider migraine.
    patient_message: This may be migraine.
    floor: routine_gp
    source: Fictional test source
  - id: late_onset
    title: New headache later in life
    condition: {ge: {item: age, value: 50}}
    staff_message: New headache after 50.
    patient_message: A GP should see new headaches after 50.
    floor_when_unlikely: routine_gp
    source: Fictional test source
grading:
  likely_at: 6
  possible_at: 3
  insufficient_when_unknown_at_least: 3
  caps:
    - id: not_brought_on_by_movement
      title: Neck movement does not bring it on
      when: {equals: {item: neck_movement, value: no}}
      at_most: possible
      reason: Without a movement link a neck origin is at most possible.
disposition:
  by_likelihood:
    insufficient_information: routine_gp
    unlikely: self_care
    possible: physio_assessment
    likely: physio_assessment
  when_red_flag_unsure:
    emergency: urgent_gp
    urgent_gp: routine_gp
    routine_gp: routine_gp
  texts:
    self_care:
      {title: Self-care, patient: Look after yourself., staff: Self-care advice., action: Advise, time_frame: Now}
    physio_assessment:
      {title: Physio, patient: Book a physio., staff: Book physio., action: Book, time_frame: Within 2 weeks}
    routine_gp:
      {title: Routine GP, patient: See your GP., staff: Routine GP., action: Refer, time_frame: 1-2 weeks}
    urgent_gp:
      {title: Urgent GP, patient: See a GP today., staff: Urgent GP., action: Refer, time_frame: Today}
    emergency:
      {title: Emergency, patient: Call 999., staff: Call 999., action: Call, time_frame: Now}
statement: A screening aid, not a diagnosis.
"""

# The parts of a ruleset that small inline rulesets in the tests do not care about; append after the rules.
RULES_TAIL = """\
grading:
  likely_at: 4
  possible_at: 2
  insufficient_when_unknown_at_least: 3
disposition:
  by_likelihood:
    insufficient_information: routine_gp
    unlikely: self_care
    possible: physio_assessment
    likely: physio_assessment
  when_red_flag_unsure: {emergency: urgent_gp, urgent_gp: routine_gp, routine_gp: routine_gp}
  texts:
    self_care: {title: S, patient: S., staff: S., action: A, time_frame: T}
    physio_assessment: {title: P, patient: P., staff: P., action: A, time_frame: T}
    routine_gp: {title: R, patient: R., staff: R., action: A, time_frame: T}
    urgent_gp: {title: U, patient: U., staff: U., action: A, time_frame: T}
    emergency: {title: E, patient: E., staff: E., action: A, time_frame: T}
statement: A screening aid, not a diagnosis.
"""

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


@pytest.fixture
def make_definition(tmp_path: Path) -> Callable[..., Definition]:
    """``make_definition(questionnaire_yaml, rules_yaml)``: write both into tmp_path and load them."""

    def make(questionnaire: str, rules: str, name: str = "def") -> Definition:
        return load_definition(*write_definition(tmp_path, questionnaire, rules, name))

    return make


@pytest.fixture(scope="session")
def mini_files(tmp_path_factory: pytest.TempPathFactory) -> DefinitionFiles:
    return write_definition(tmp_path_factory.mktemp("mini"), MINI_QUESTIONNAIRE, MINI_RULES, "mini")


@pytest.fixture(scope="session")
def mini(mini_files: DefinitionFiles) -> Definition:
    """The mini definition, loaded once."""
    return load_definition(*mini_files)


def bundled_files() -> DefinitionFiles:
    q_path = default_questionnaire_path()
    return q_path, ruleset_path_for(q_path)


@pytest.fixture(scope="session")
def bundled() -> Definition:
    """The bundled cervicogenic headache definition. Skips only while its files do not exist yet;
    if they exist but do not load, the DefinitionError fails every test that uses this fixture."""
    missing = [str(p) for p in bundled_files() if not p.exists()]
    if missing:
        pytest.skip(f"bundled definition not written yet: {', '.join(missing)} missing")
    return load_definition()


@pytest.fixture(scope="session", params=["mini", "bundled"])
def definition(request: pytest.FixtureRequest) -> Definition:
    """Both the mini and the bundled definition, for tests that must hold for any definition."""
    chosen: Definition = request.getfixturevalue(request.param)
    return chosen


# ---------------------------------------------------------------------------------------------
# Web: every storage-backed test runs on SQLite and on a private PostgreSQL server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server | None]:
    if postgres.binaries() is None:
        if os.environ.get("SCREENING_REQUIRE_POSTGRES") == "1":
            pytest.fail("SCREENING_REQUIRE_POSTGRES=1 but PostgreSQL is not installed (apt-get install postgresql)")
        yield None
        return
    with postgres.running_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path / 'screening.db'}"
    server = request.getfixturevalue("postgres_server")
    if server is None:
        pytest.skip("PostgreSQL is not installed here (CI installs it and runs these)")
    url: str = server.new_database()
    return url


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    from starlette.testclient import TestClient

    from screening.web.app import create_app
    from screening.web.settings import Settings

    # no worker in the background: a test that wants the PDFs runs the queued jobs itself (Site.run_jobs)
    settings = Settings.load(tmp_path / "data", database_url=database_url, run_jobs=False)
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        yield Site(client, app.state.services)
    app.state.services.engine.dispose()


@pytest.fixture
def physio_answers() -> dict[str, Any]:
    from screening.response import read_response_file

    data, _ = read_response_file(EXAMPLES / "physio_cervicogenic.yaml")
    answers: dict[str, Any] = data["answers"]
    return answers
