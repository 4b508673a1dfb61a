"""Responses as FHIR R4 QuestionnaireResponses, and QuestionnaireResponses (ours or another client's) back."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from ..definition import Definition
from ..error_codes import ErrorCode
from ..errors import Problem, ResponseError
from ..identifiers import NHS_NUMBER_SYSTEM
from ..limits import MAX_SUGGESTIONS
from ..model import (
    NO,
    YES,
    DisplayItem,
    IntegerItem,
    Item,
    MultiChoiceItem,
    ScaleItem,
    SingleChoiceItem,
    TextItem,
    YesNoItem,
)
from ..response import Response
from ..yamlio import Path_, line_for
from .codings import (
    DEFAULT_BASE_URL,
    HELPER_SUFFIXES,
    JSON,
    PATIENT_ID,
    YES_NO_SYSTEM,
    Report,
    _coding,
    is_questionnaire_response,
    option_system,
)

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_PHONE = re.compile(r"^\+?[\d\s()-]{6,}$")


# ---------------------------------------------------------------------------------------------
# QuestionnaireResponse out


def response_resource(
    definition: Definition,
    response: Response,
    *,
    authored: datetime | None = None,
    subject_display: bool = True,
    complete: bool = True,
    base_url: str = DEFAULT_BASE_URL,
) -> JSON:
    """The response as a FHIR R4 QuestionnaireResponse, validated with fhir.resources.

    Only questions shown (per ``Definition.effective_values``) appear; patient details go in a contained
    Patient (``subject`` = ``#patient``, with the name as its display when ``subject_display``).
    """
    moment = authored or response.collected_at
    if moment.tzinfo is None:
        message, fix = "has no time zone, which FHIR needs", "add one, like +00:00"
        problem = Problem("<response>", None, "collected_at", message, fix, code=ErrorCode.TIME_ZONE_MISSING)
        raise ResponseError([problem])
    q = definition.questionnaire
    _, shown = definition.effective_values(response.answers)
    resource: JSON = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{base_url.rstrip('/')}/{response.questionnaire}|{response.version}",
        "status": "completed" if complete else "in-progress",
        "authored": moment.isoformat(),
    }
    patient = response.patient
    if patient is not None:
        contained: JSON = {"resourceType": "Patient", "id": PATIENT_ID}
        if patient.name and patient.name.strip():
            contained["name"] = [{"text": patient.name}]
        if patient.contact and patient.contact.strip():
            contained["telecom"] = [{"system": _telecom_system(patient.contact), "value": patient.contact}]
        if patient.date_of_birth:
            contained["birthDate"] = patient.date_of_birth.isoformat()
        if patient.nhs_number:
            contained["identifier"] = [{"system": NHS_NUMBER_SYSTEM, "value": patient.nhs_number}]
        if patient.gp_practice:
            contained["generalPractitioner"] = [{"type": "Organization", "display": patient.gp_practice}]
        resource["contained"] = [contained]
        resource["subject"] = {"reference": f"#{PATIENT_ID}", "type": "Patient"}
        if subject_display and "name" in contained:
            resource["subject"]["display"] = patient.name
    if response.respondent == "staff":
        resource["author"] = {"type": "Practitioner", "display": "Clinic staff"}
        resource["source"] = {"type": "Patient", "display": "Patient (questions read aloud by clinic staff)"}
    else:
        resource["author"] = {"type": "Patient", "display": "Patient (self-completed)"}
        resource["source"] = {"type": "Patient", "display": "Patient"}
    groups = []
    for section in q.sections:
        children = []
        for item in section.items:
            if shown.get(item.id) is True and item.id in response.answers:
                answers = _answers(item, response.answers[item.id], definition)
                if answers:
                    children.append({"linkId": item.id, "text": item.patient, "answer": answers})
        if children:
            groups.append({"linkId": section.id, "text": section.title, "item": children})
    if groups:
        resource["item"] = groups
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirResponse

    FhirResponse.model_validate(resource)
    return resource


def _telecom_system(contact: str) -> str:
    return "email" if "@" in contact else "phone" if _PHONE.match(contact) else "other"


def _answers(item: Item, value: Any, definition: Definition) -> list[JSON]:
    if isinstance(item, YesNoItem | SingleChoiceItem):
        return [{"valueCoding": _coding(item, value, definition)}]
    if isinstance(item, MultiChoiceItem):
        return [{"valueCoding": _coding(item, code, definition)} for code in value]
    if isinstance(item, IntegerItem | ScaleItem):
        return [{"valueInteger": value}]
    if isinstance(item, TextItem) and value.strip():
        return [{"valueString": value}]
    return []  # blank text: FHIR strings cannot be empty


# ---------------------------------------------------------------------------------------------
# QuestionnaireResponse in


def response_from_resource(
    definition: Definition,
    resource: Any,
    *,
    source: str = "<QuestionnaireResponse>",
    lines: dict[Path_, int] | None = None,
    native_lines: dict[Path_, int] | None = None,
) -> JSON:
    """A native response document (for ``parse_response``) from a QuestionnaireResponse, ours or another client's.

    Accepts nested or flat items, codings with only a code, integers as valueDecimal with a whole value and
    yes/no as valueBoolean. Range, exclusivity and hidden-answer checks are left to ``parse_response``.
    With the ``lines`` of a parsed file, problems name the line of the FHIR node they are about; a given
    ``native_lines`` is filled with the lines of the native document's keys, for ``parse_response``'s problems.
    """
    problems: list[Problem] = []
    known = lines or {}

    def add(subject: str, message: str, fix: str = "", *, code: ErrorCode, at: Path_ = ()) -> None:
        line = line_for(at, resource, known) if known else None
        problems.append(Problem(source, line, subject, message, fix, code=code))

    q = definition.questionnaire
    if not is_questionnaire_response(resource):
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        got = (
            f"a {type(resource).__name__}"
            if not isinstance(resource, dict)
            else f"a {kind}"
            if kind
            else "no resourceType"
        )
        message = f"expected a FHIR QuestionnaireResponse, got {got}"
        add("response", message, "send the QuestionnaireResponse", code=ErrorCode.FHIR_NOT_RESOURCE)
        raise ResponseError(problems)
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirResponse
    from pydantic import ValidationError

    try:
        FhirResponse.model_validate(resource)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "QuestionnaireResponse"
            fix = "make it a valid FHIR R4 QuestionnaireResponse"
            add("response", f"{where}: {err['msg']}", fix, code=ErrorCode.FHIR_BAD_FIELD, at=tuple(err["loc"]))
        raise ResponseError(problems) from exc

    version = q.version
    reference = resource.get("questionnaire")
    canonical = f"{DEFAULT_BASE_URL}/{q.id}|{q.version}"
    wrong = ErrorCode.FHIR_WRONG_QUESTIONNAIRE
    if not reference:
        fix = f"set questionnaire to '{canonical}'"
        add("response", "does not say which questionnaire it answers", fix, code=wrong)
    else:
        url, _, given = str(reference).partition("|")
        at: Path_ = ("questionnaire",)
        if url.rstrip("/").rsplit("/", 1)[-1] not in (q.id, q.id.replace("_", "-")):
            message = f"answers questionnaire '{reference}', not '{q.id}'"
            add("response", message, "score it with its own questionnaire", code=wrong, at=at)
        elif given and not _SEMVER.match(given):
            message = f"questionnaire version '{given}' is not MAJOR.MINOR.PATCH"
            add("response", message, f"use '{canonical}'", code=wrong, at=at)
        elif given and given.split(".")[0] != q.version.split(".")[0]:
            add(
                "response",
                f"was collected with version {given}; this questionnaire is {q.version}",
                "score it with the questionnaire version it was collected with",
                code=ErrorCode.RESPONSE_VERSION,
                at=at,
            )
        elif given:
            version = given
    if resource.get("status") == "entered-in-error":
        fix = "do not score it; collect the answers again"
        add("response", "is marked entered-in-error", fix, code=ErrorCode.FHIR_STATUS, at=("status",))
    if not resource.get("authored"):
        message = "has no 'authored' time (when the answers were collected)"
        add("response", message, "add authored", code=ErrorCode.KEY_MISSING)

    answers: JSON = {}
    seen: set[str] = set()
    unknown: list[Any] = []
    sections = {s.id for s in q.sections}

    def walk(nodes: list[Any], path: str, at: Path_) -> None:
        for k, node in enumerate(nodes):
            here, node_at = f"{path}[{k}]", (*at, k)
            link = node.get("linkId")
            item = definition.items.get(link)
            subject = f"item '{link}'"

            def report(
                about: str, message: str, fix: str, code: ErrorCode, key: str = "linkId", node_at: Path_ = node_at
            ) -> None:
                add(about, message, fix, code=code, at=(*node_at, key))

            if item is None and link not in sections and not str(link).endswith(HELPER_SUFFIXES):
                unknown.append(link)
                suggest = len(unknown) <= MAX_SUGGESTIONS
                close = difflib.get_close_matches(str(link), list(definition.items), n=1) if suggest else []
                fix = f"did you mean '{close[0]}'?" if close else "remove it or check the linkId"
                report(subject, f"no such item in the questionnaire (at {here})", fix, ErrorCode.FHIR_UNKNOWN_ITEM)
            elif item is not None and node.get("answer"):
                if isinstance(item, DisplayItem):
                    message = f"this is display text and takes no answer (at {here})"
                    report(subject, message, "remove the answer", ErrorCode.DISPLAY_ITEM_ANSWERED)
                elif link in seen:
                    message = f"answered more than once (at {here})"
                    report(subject, message, "give one item per question", ErrorCode.FHIR_DUPLICATE_ITEM)
                else:
                    seen.add(link)
                    value = _native(item, node["answer"], definition, here, partial(report, key="answer"))
                    if value is not None:
                        answers[link] = value
                        if known and (line := line_for((*node_at, "answer"), resource, known)) is not None:
                            where_answered[("answers", link)] = line
            walk(node.get("item") or [], f"{here}.item", (*node_at, "item"))
            for j, answer in enumerate(node.get("answer") or []):
                walk(answer.get("item") or [], f"{here}.answer[{j}].item", (*node_at, "answer", j, "item"))

    where_answered: dict[Path_, int] = {}
    walk(resource.get("item") or [], "item", ("item",))
    if problems:
        raise ResponseError(problems)
    document: JSON = {
        "questionnaire": q.id,
        "version": version,
        "respondent": _respondent(resource.get("author")),
        "collected_at": resource["authored"],
        "answers": answers,
    }
    patient = _patient(resource)
    if patient is not None:
        document["patient"] = patient
    if native_lines is not None and known:
        native_lines.update(where_answered)
        for key, fhir_key in _NATIVE_KEYS:
            if (line := line_for((fhir_key,), resource, known)) is not None:
                native_lines[(key,)] = line
    return document


# where each key of the native document came from in the QuestionnaireResponse
_NATIVE_KEYS = (
    ("questionnaire", "questionnaire"),
    ("version", "questionnaire"),
    ("collected_at", "authored"),
    ("answers", "item"),
    ("patient", "contained"),
)


def _native(item: Item, answers: list[JSON], definition: Definition, here: str, add: Report) -> Any:
    """One question's answers as our native value, or None after reporting what is wrong."""
    subject = f"item '{item.id}'"
    if len(answers) > 1 and not isinstance(item, MultiChoiceItem):
        message = f"has {len(answers)} answers, but takes one (at {here})"
        add(subject, message, "keep one answer", ErrorCode.FHIR_BAD_ANSWER)
        return None
    values = []
    for answer in answers:
        kind, value = next(((k, v) for k, v in answer.items() if k.startswith("value")), (None, None))
        if kind is None:
            continue
        converted, message, fix = _convert(item, kind, value, definition)
        if message:
            add(subject, f"{message} (at {here})", fix, ErrorCode.FHIR_BAD_ANSWER)
            return None
        values.append(converted)
    if not values:
        return None
    return values if isinstance(item, MultiChoiceItem) else values[0]


def _convert(item: Item, kind: str, value: Any, definition: Definition) -> tuple[Any, str, str]:
    """(native value, problem, fix) for one FHIR answer value."""
    shown = json.dumps(value, ensure_ascii=False)
    if isinstance(item, YesNoItem) and kind == "valueBoolean":
        return (YES if value else NO), "", ""
    if isinstance(item, YesNoItem | SingleChoiceItem | MultiChoiceItem):
        codes = item.codes
        if kind != "valueCoding":
            extra = " or valueBoolean" if isinstance(item, YesNoItem) else ""
            return None, f"{kind} {shown} does not fit a choice question", f"answer with valueCoding{extra}"
        system = value.get("system")
        expected = YES_NO_SYSTEM if isinstance(item, YesNoItem) else option_system(definition.questionnaire.id, item.id)
        if system not in (None, expected):
            return None, f"coding system '{system}' is not this question's ({expected})", "use the exported codes"
        code = value.get("code")
        if code not in codes:
            return None, f"code {json.dumps(code)} is not one of {', '.join(codes)}", "use an answerOption code"
        return code, "", ""
    if isinstance(item, IntegerItem | ScaleItem):
        number = value if kind in ("valueInteger", "valueDecimal") and not isinstance(value, bool) else None
        if isinstance(number, float | Decimal) and number == int(number):
            number = int(number)
        if not isinstance(number, int):
            return None, f"{kind} {shown} is not a whole number", f"answer with a valueInteger, {item.min}–{item.max}"
        return number, "", ""
    if isinstance(item, TextItem) and kind == "valueString":
        return value, "", ""
    return None, f"{kind} {shown} does not fit a text question", "answer with valueString"


def _respondent(author: Any) -> str:
    if not isinstance(author, dict):
        return "patient"
    kind = str(author.get("type") or str(author.get("reference") or "").split("/")[0])
    return "staff" if kind in ("Practitioner", "PractitionerRole") else "patient"


def _patient(resource: Mapping[str, Any]) -> JSON | None:
    subject = resource.get("subject")
    if not isinstance(subject, dict):
        return None
    reference = str(subject.get("reference") or "")
    patients = [
        r for r in resource.get("contained") or () if isinstance(r, dict) and r.get("resourceType") == "Patient"
    ]
    found = next((r for r in patients if reference == f"#{r.get('id')}"), None)
    if found is None:
        return {"name": subject["display"]} if subject.get("display") else None
    patient: JSON = {}
    for name in found.get("name") or ():
        text = name.get("text") or " ".join([*name.get("given", ()), name.get("family", "")]).strip()
        if text:
            patient["name"] = text
            break
    if found.get("birthDate"):
        patient["date_of_birth"] = found["birthDate"]
    for telecom in found.get("telecom") or ():
        if telecom.get("value"):
            patient["contact"] = telecom["value"]
            break
    for identifier in found.get("identifier") or ():  # other identifiers (hospital numbers...) are not kept
        if isinstance(identifier, dict) and identifier.get("system") == NHS_NUMBER_SYSTEM and identifier.get("value"):
            patient["nhs_number"] = identifier["value"]  # checked, with the other details, by parse_response
            break
    for practice in found.get("generalPractitioner") or ():
        if isinstance(practice, dict) and practice.get("display"):
            patient["gp_practice"] = practice["display"]
            break
    return patient
