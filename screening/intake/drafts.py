"""An intake in progress: the draft kept up to date after every answer, saved on Ctrl-C, read back by --resume."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..definition import Definition
from ..error_codes import ErrorCode
from ..errors import IntakeError as IntakeError  # importable from here as before
from ..jsonio import loads_strict
from ..limits import RESPONSE_LIMITS, LimitError, read_bounded
from ..response import Answer, parse_response

DRAFT_KIND = "screening-intake-draft"
# steps besides the questions (never item ids: those are snake_case without brackets)
NAME, BIRTH, CONTACT, REVIEW = "<name>", "<date_of_birth>", "<contact>", "<review>"
NHS, PRACTICE = "<nhs_number>", "<gp_practice>"
DETAILS = (NAME, BIRTH, CONTACT, NHS, PRACTICE)  # asked first, in this order
OPTIONAL_DETAILS = (BIRTH, CONTACT, NHS, PRACTICE)
# their keys in the patient block
FIELDS = {NAME: "name", BIRTH: "date_of_birth", CONTACT: "contact", NHS: "nhs_number", PRACTICE: "gp_practice"}


@dataclass
class Draft:
    """An intake in progress: who it is about, the answers so far, and where it stopped."""

    questionnaire: str
    version: str
    name: str = ""
    contact: str = ""
    date_of_birth: str = ""  # ISO 8601, already checked
    nhs_number: str = ""  # 10 digits, already checked
    gp_practice: str = ""
    answers: dict[str, Answer] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)  # optional questions deliberately left unanswered
    current: str = NAME

    def detail(self, step: str) -> str:
        """The patient detail given so far at this step ("" when none)."""
        return str(getattr(self, FIELDS[step]))

    def set_detail(self, step: str, value: str) -> None:
        setattr(self, FIELDS[step], value)


def draft_json(draft: Draft, saved_at: datetime) -> str:
    data = {
        "kind": DRAFT_KIND,
        "questionnaire": draft.questionnaire,
        "version": draft.version,
        "saved_at": saved_at.isoformat(),
        "patient": {key: draft.detail(step) for step, key in FIELDS.items()},
        "answers": draft.answers,
        "skipped": sorted(draft.skipped),
        "current": draft.current,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def load_draft(path: Path, definition: Definition) -> Draft:
    """Read a draft saved by an interrupted intake; its answers and details are checked like a response's."""
    damaged = f"{path}: the draft is damaged"
    try:
        data = loads_strict(read_bounded(path, RESPONSE_LIMITS))
    except OSError as exc:
        raise IntakeError(
            f"{path}: cannot read the draft ({exc.strerror}) — check the path", ErrorCode.DRAFT_UNREADABLE
        ) from exc
    except LimitError as exc:
        raise IntakeError(f"{damaged} ({exc.message}) — start the intake again", ErrorCode.DRAFT_DAMAGED) from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise IntakeError(f"{damaged} (not JSON) — start the intake again", ErrorCode.DRAFT_DAMAGED) from exc
    if not isinstance(data, dict) or data.get("kind") != DRAFT_KIND:
        raise IntakeError(
            f"{path}: not a draft saved by screening intake — pass the file the intake printed", ErrorCode.DRAFT_DAMAGED
        )
    q = definition.questionnaire
    major = str(data.get("version", "")).split(".")[0]
    if data.get("questionnaire") != q.id or major != q.version.split(".")[0]:
        raise IntakeError(
            f"{path}: the draft is for questionnaire {data.get('questionnaire')} {data.get('version')}, not "
            f"{q.id} {q.version} — resume it with the questionnaire it was started with (--questionnaire)",
            ErrorCode.DRAFT_OTHER_QUESTIONNAIRE,
        )
    patient, skipped, current = data.get("patient"), data.get("skipped"), data.get("current")
    if not isinstance(patient, dict) or not isinstance(skipped, list) or not isinstance(current, str):
        raise IntakeError(
            f"{damaged} (patient, skipped or current is missing) — start the intake again", ErrorCode.DRAFT_DAMAGED
        )
    draft = Draft(q.id, q.version)
    for step in DETAILS:
        draft.set_detail(step, str(patient.get(FIELDS[step]) or ""))
    envelope = response_envelope(draft, data.get("answers"), datetime.now(UTC))
    response = parse_response(envelope, definition, hidden="drop", partial=True, source=str(path))
    draft.answers = dict(response.answers)
    draft.skipped = {
        s for s in skipped if s in OPTIONAL_DETAILS or (s in definition.items and s not in definition.required)
    }
    draft.current = current
    return draft


def response_envelope(draft: Draft, answers: Any, collected_at: datetime) -> dict[str, Any]:
    """The draft as response data, for ``parse_response``."""
    patient = {FIELDS[step]: value for step in DETAILS if (value := draft.detail(step))}
    return {
        "questionnaire": draft.questionnaire,
        "version": draft.version,
        "respondent": "staff",
        "collected_at": collected_at.isoformat(),
        "patient": patient or None,
        "answers": answers,
    }
