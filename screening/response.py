"""Responses: parse answers against their questionnaire and report every problem at once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from .answers import Answer as Answer  # re-exported: where the rest of the package names it
from .answers import control_character_problem
from .answersheet import HiddenPolicy as HiddenPolicy
from .answersheet import check_answers
from .answersheet import read_response_file as read_response_file
from .compiled import evaluate, remember
from .definition import Definition
from .error_codes import ErrorCode
from .errors import Problem, ResponseError
from .identifiers import nhs_number_problem, normal_nhs_number
from .limits import EARLIEST_DATE, EARLIEST_TIME, LATEST_DATE, LATEST_TIME
from .model import SemVer
from .yamlio import Path_, line_for

Short = Annotated[str, StringConstraints(max_length=200)]


class Patient(BaseModel):
    """Who the response is about; every field is optional."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: Short | None = None
    date_of_birth: date | None = None
    contact: Short | None = None
    nhs_number: Annotated[str, StringConstraints(max_length=20)] | None = Field(
        default=None,
        description="NHS number: 10 digits, the last a Modulus 11 check digit; spaces allowed, kept without them",
        json_schema_extra={"pattern": "^( *[0-9]){10} *$"},
    )
    gp_practice: Short | None = Field(default=None, description="The patient's GP practice (surgery), as given")
    email: Short | None = None  # asked of patients besides a phone number (contact), for the clinic's reply

    @field_validator("name", "contact", "email", "gp_practice")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and (problem := control_character_problem(value)):
            raise ValueError(problem)
        return value

    @field_validator("nhs_number")
    @classmethod
    def _nhs_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if problem := nhs_number_problem(value):
            raise ValueError(problem)
        return normal_nhs_number(value)


class Response(BaseModel):
    """A completed questionnaire: answers keyed by item id, already checked against the definition."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    questionnaire: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    version: SemVer
    respondent: Literal["patient", "staff"] = "patient"
    patient: Patient | None = None
    collected_at: datetime
    answers: dict[str, Answer] = Field(default_factory=dict)


def parse_response(
    data: Any,
    definition: Definition,
    *,
    hidden: HiddenPolicy = "error",
    source: str = "<response>",
    lines: Mapping[Path_, int] | None = None,
    partial: bool = False,
) -> Response:
    """Check a response against the definition; raise ResponseError listing every problem.

    Answers to questions that were not shown never influence the outcome: with ``hidden="drop"``
    they are removed, otherwise each one is an error naming the condition that hid the question.
    ``partial`` accepts missing required answers (a journey stopped early for an emergency); the
    scorer still treats every unanswered red flag as one to check.
    """
    known_lines = dict(lines) if lines else {}  # copied once, not once per problem
    problems: list[Problem] = []

    def add(loc: Path_, subject: str, message: str, fix: str = "", *, code: ErrorCode) -> None:
        problems.append(Problem(source, line_for(loc, data, known_lines), subject, message, fix, code=code))

    if not isinstance(data, dict):
        add(
            (),
            "",
            "a response must be a mapping with questionnaire, version, collected_at and answers",
            "see `screening schema` for the format",
            code=ErrorCode.NOT_A_MAPPING,
        )
        raise ResponseError(problems)
    raw_answers = data.get("answers", {})
    envelope = {k: v for k, v in data.items() if k != "answers"}
    try:
        base = Response.model_validate({**envelope, "answers": {}})
    except ValidationError as exc:
        base = None
        for err in exc.errors():
            loc = tuple(err["loc"])
            key = ".".join(str(p) for p in loc)
            if err["type"] == "missing":
                add(loc, "response", f"'{key}' is missing", f"add '{key}'", code=ErrorCode.KEY_MISSING)
            elif err["type"] == "extra_forbidden":
                fix = "remove it or check its spelling"
                add(loc, "response", f"unknown key '{key}'", fix, code=ErrorCode.KEY_UNKNOWN)
            else:
                message = f"{err['msg'][0].lower()}{err['msg'][1:]}".removeprefix("value error, ")
                add(loc, "response", f"'{key}': {message}", code=ErrorCode.RESPONSE_FIELD)

    q = definition.provenance  # the questionnaire's id and version
    if base is not None:
        _check_dates(base, add)
        if base.questionnaire != q.questionnaire_id:
            add(
                ("questionnaire",),
                "response",
                f"answers questionnaire '{base.questionnaire}', not '{q.questionnaire_id}'",
                "score it with its own questionnaire",
                code=ErrorCode.OTHER_RESPONSE_QUESTIONNAIRE,
            )
        elif base.version.split(".")[0] != q.questionnaire_version.split(".")[0]:
            add(
                ("version",),
                "response",
                f"was collected with version {base.version}; this questionnaire is {q.questionnaire_version}",
                "score it with the questionnaire version it was collected with",
                code=ErrorCode.RESPONSE_VERSION,
            )

    if not isinstance(raw_answers, dict):
        message, fix = "'answers' must map item ids to answers", "write `answers: {item_id: answer}`"
        add(("answers",), "response", message, fix, code=ErrorCode.ANSWERS_NOT_MAPPING)
        raise ResponseError(problems)

    answers, evaluation = check_answers(raw_answers, definition, add, hidden=hidden, partial=partial)

    if problems or base is None:
        raise ResponseError(problems)
    response = base.model_copy(update={"answers": answers})
    remember(definition.scorer, response.answers, evaluation)
    return response


def is_complete(definition: Definition, response: Response) -> bool:
    """Whether every required question the answers show is answered; False for a journey stopped early (an
    emergency). The one answer to "is it complete?": the stored flag, the FHIR status and the PDF all ask here."""
    return not evaluate(definition.scorer, response.answers).unanswered


class _Add(Protocol):
    def __call__(self, loc: Path_, subject: str, message: str, fix: str = "", *, code: ErrorCode) -> None: ...


def _check_dates(base: Response, add: _Add) -> None:
    """A collection time must carry its time zone, and both dates must lie in the years a response can have.

    Checked here, when the response is read, so a stored response can always be printed and exported.
    """
    moment, span = base.collected_at, f"{EARLIEST_DATE.year} and {LATEST_DATE.year}"
    if moment.utcoffset() is None:
        message = f"'collected_at' ({moment.isoformat()}) has no time zone, so the moment it names is unknown"
        fix = "add the zone, like 2026-03-01T10:30:00Z or +01:00"
        add(("collected_at",), "response", message, fix, code=ErrorCode.TIME_ZONE_MISSING)
    elif not EARLIEST_TIME <= moment <= LATEST_TIME:
        message = f"'collected_at' ({moment.isoformat()}) is not between {span}"
        add(("collected_at",), "response", message, "check it", code=ErrorCode.DATE_OUT_OF_SPAN)
    born = base.patient.date_of_birth if base.patient is not None else None
    if born is not None and not EARLIEST_DATE <= born <= LATEST_DATE:
        message = f"'patient.date_of_birth' ({born.isoformat()}) is not between {span}"
        add(("patient", "date_of_birth"), "response", message, "check the year", code=ErrorCode.DATE_OUT_OF_SPAN)


def response_json(response: Response) -> str:
    """The parsed response as stable JSON (the form embedded in reports and stored by the web intake)."""
    return response.model_dump_json(indent=2) + "\n"  # pydantic's serialiser: same text, a fifth of the time
