"""HL7 FHIR R4 exchange: a definition as a Questionnaire, responses as QuestionnaireResponses and back.

Pure functions on plain JSON-like dicts. fhir.resources validates structure only (~250 ms to import, so it
is imported inside the functions that use it); ``check_questionnaire`` adds what it does not check.

Choices worth knowing:

- Every question keeps its id as ``linkId``; each section is a ``group`` (linkId = section id). Helper display
  items get derived linkIds: ``<item>__help``, ``<item>__lower``/``__upper`` (scale labels) and
  ``<section>__intro``; importers ignore them.
- Yes/no questions are ``choice`` with codes yes/no(/not_sure) from ``YES_NO_SYSTEM``, so "not sure" fits.
  Options are codings in one code system per question (``option_system``).
- ``text`` is the patient wording. What reception reads aloud travels in extensions of our own: the question in
  ``STAFF_WORDING`` on the item, the note for staff (``staff_help``) in ``STAFF_HELP`` on the item, and the
  section's ``staff_intro`` in ``STAFF_INTRO`` on the section's group.
- ``enable_when`` becomes ``enableWhen`` only when FHIR's rules give exactly our result (see ``_enable_when``);
  anything else becomes an SDC ``enableWhenExpression`` in FHIRPath. Every gated item also carries the
  condition itself as JSON (``ENABLE_WHEN_CONDITION``), so nothing is lost on the way back.
- FHIR cannot carry a blank text answer or an empty list of ticks: both leave the question unanswered.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from .conditions import describe, item_of
from .definition import Definition
from .errors import Problem, ResponseError
from .identifiers import NHS_NUMBER_SYSTEM
from .limits import MAX_SUGGESTIONS
from .model import (
    NO,
    NOT_SURE,
    YES,
    AllOf,
    Answered,
    AnyOf,
    AtLeast,
    Between,
    Condition,
    DisplayItem,
    Equals,
    FindingRef,
    Ge,
    In,
    IntegerItem,
    IsYes,
    Item,
    Le,
    MultiChoiceItem,
    Not,
    ScaleItem,
    Section,
    SingleChoiceItem,
    TextItem,
    YesNoItem,
)
from .response import Response

ROOT = "https://screening.invalid/fhir"
DEFAULT_BASE_URL = f"{ROOT}/Questionnaire"
YES_NO_SYSTEM = f"{ROOT}/CodeSystem/yes-no-not-sure"
STAFF_WORDING = f"{ROOT}/StructureDefinition/staff-wording"
STAFF_HELP = f"{ROOT}/StructureDefinition/staff-help"
STAFF_INTRO = f"{ROOT}/StructureDefinition/staff-intro"
ENABLE_WHEN_CONDITION = f"{ROOT}/StructureDefinition/enable-when-condition"

_HL7 = "http://hl7.org/fhir/StructureDefinition"
MIN_VALUE = f"{_HL7}/minValue"
MAX_VALUE = f"{_HL7}/maxValue"
UNIT = f"{_HL7}/questionnaire-unit"
ITEM_CONTROL = f"{_HL7}/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
SLIDER_STEP = f"{_HL7}/questionnaire-sliderStepValue"
OPTION_EXCLUSIVE = f"{_HL7}/questionnaire-optionExclusive"
ENABLE_WHEN_EXPRESSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"

YES_NO_LABELS = {YES: "Yes", NO: "No", NOT_SURE: "Not sure"}
HELPER_SUFFIXES = ("__help", "__lower", "__upper", "__intro")
PATIENT_ID = "patient"
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_PHONE = re.compile(r"^\+?[\d\s()-]{6,}$")

JSON = dict[str, Any]
Report = Callable[[str, str, str], None]  # (subject, message, fix)


def option_system(questionnaire_id: str, item_id: str) -> str:
    """The code system of one question's options."""
    return f"{ROOT}/CodeSystem/{questionnaire_id}/{item_id}"


def is_questionnaire_response(data: Any) -> bool:
    """True for a FHIR QuestionnaireResponse (as parsed JSON), so callers can tell it from a native response."""
    return isinstance(data, dict) and data.get("resourceType") == "QuestionnaireResponse"


# ---------------------------------------------------------------------------------------------
# Questionnaire


def questionnaire_resource(definition: Definition, *, base_url: str = DEFAULT_BASE_URL) -> JSON:
    """The questionnaire as a FHIR R4 Questionnaire, validated with fhir.resources; ``url|version`` is canonical."""
    q = definition.questionnaire
    resource: JSON = {
        "resourceType": "Questionnaire",
        "id": q.id.replace("_", "-"),  # FHIR ids allow no underscores
        "language": q.language,
        "url": f"{base_url.rstrip('/')}/{q.id}",
        "version": q.version,
        "name": "".join(part.capitalize() for part in q.id.split("_")),
        "title": q.title,
        "status": "active",
        "subjectType": ["Patient"],
    }
    if q.description:
        resource["description"] = q.description
    resource["item"] = [_section(section, definition) for section in q.sections]
    from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire

    FhirQuestionnaire.model_validate(resource)
    return resource


def _section(section: Section, definition: Definition) -> JSON:
    children = [_display(f"{section.id}__intro", section.intro)] if section.intro else []
    children += [_item(item, definition) for item in section.items]
    group: JSON = {}
    if section.staff_intro:
        group["extension"] = [{"url": STAFF_INTRO, "valueString": section.staff_intro}]
    return {**group, "linkId": section.id, "text": section.title, "type": "group", "item": children}


def _display(link_id: str, text: str, control: str | None = None) -> JSON:
    out: JSON = {"extension": [_control(control)]} if control else {}
    return {**out, "linkId": link_id, "text": text, "type": "display"}


def _control(code: str) -> JSON:
    return {"url": ITEM_CONTROL, "valueCodeableConcept": {"coding": [{"system": ITEM_CONTROL_SYSTEM, "code": code}]}}


def _item(item: Item, definition: Definition) -> JSON:
    extensions: list[JSON] = [{"url": STAFF_WORDING, "valueString": item.staff}]
    if item.staff_help:
        extensions.append({"url": STAFF_HELP, "valueString": item.staff_help})
    out: JSON = {"linkId": item.id, "text": item.patient}
    children: list[JSON] = []
    if isinstance(item, DisplayItem):
        out["type"] = "display"
    elif isinstance(item, YesNoItem | SingleChoiceItem | MultiChoiceItem):
        out["type"] = "choice"
        multi = isinstance(item, MultiChoiceItem)
        extensions.append(_control("check-box" if multi else "radio-button"))
        out["answerOption"] = [_option(item, code, definition) for code in _codes(item)]
        if multi:
            out["repeats"] = True
    elif isinstance(item, IntegerItem | ScaleItem):
        out["type"] = "integer"
        extensions += [{"url": MIN_VALUE, "valueInteger": item.min}, {"url": MAX_VALUE, "valueInteger": item.max}]
        if isinstance(item, IntegerItem):
            extensions.append({"url": UNIT, "valueCoding": {"display": item.unit}})
        else:
            extensions += [_control("slider"), {"url": SLIDER_STEP, "valueInteger": 1}]
            children += [
                _display(f"{item.id}__lower", item.min_label, "lower"),
                _display(f"{item.id}__upper", item.max_label, "upper"),
            ]
    else:  # TextItem
        out["type"] = "text"
        out["maxLength"] = item.max_length
    if not isinstance(item, DisplayItem):
        out["required"] = item.required
        help_text = item.help
        if isinstance(item, ScaleItem):
            # renderers that ignore the lower/upper label controls (LHC-Forms) still show the ends in the help
            ends = f"{item.min_label}; {item.max_label}."
            help_text = f"{help_text} {ends}" if help_text else ends
        if help_text:
            children.append(_display(f"{item.id}__help", help_text, "help"))
    gate = item.enable_when
    if gate is not None:
        extensions.append({"url": ENABLE_WHEN_CONDITION, "valueString": condition_json(gate)})
        mapped = _enable_when(gate, definition)
        if mapped is None:
            expression = {"description": describe(gate), "language": "text/fhirpath"}
            expression["expression"] = fhirpath(gate, definition)
            extensions.append({"url": ENABLE_WHEN_EXPRESSION, "valueExpression": expression})
        else:
            out["enableWhen"], behavior = mapped
            if behavior:
                out["enableBehavior"] = behavior
    if children:
        out["item"] = children
    return {"extension": extensions, **out}


def _codes(item: YesNoItem | SingleChoiceItem | MultiChoiceItem) -> list[str]:
    if isinstance(item, YesNoItem):
        return [YES, NO, NOT_SURE] if item.allow_not_sure else [YES, NO]
    return [o.code for o in item.options]


def _coding(item: Item, code: str, definition: Definition) -> JSON:
    if isinstance(item, YesNoItem):
        return {"system": YES_NO_SYSTEM, "code": code, "display": YES_NO_LABELS.get(code, code)}
    labels = {o.code: o.label for o in item.options} if isinstance(item, SingleChoiceItem | MultiChoiceItem) else {}
    coding = {"system": option_system(definition.questionnaire.id, item.id), "code": code}
    return {**coding, "display": labels[code]} if code in labels else coding


def _option(item: YesNoItem | SingleChoiceItem | MultiChoiceItem, code: str, definition: Definition) -> JSON:
    option: JSON = {"valueCoding": _coding(item, code, definition)}
    if isinstance(item, MultiChoiceItem) and any(o.exclusive for o in item.options if o.code == code):
        option = {"extension": [{"url": OPTION_EXCLUSIVE, "valueBoolean": True}], **option}
    return option


def condition_json(condition: Condition) -> str:
    """A condition as canonical JSON (the YAML form: ``{"yes": "fever"}``)."""
    data = condition.model_dump(by_alias=True, mode="json")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# enable_when → enableWhen, where FHIR gives exactly our answer
#
# FHIR: an enableWhen on an unanswered or disabled question is false. Ours: unanswered (or "not sure") is
# unknown, and an unknown gate hides the question. Only a true gate shows a question, so for the leaves
# below (and any/all of them) "shown" agrees: each is true on exactly the same answers in both.


def _enable_when(condition: Condition, definition: Definition) -> tuple[list[JSON], str | None] | None:
    """enableWhen entries and enableBehavior equivalent to the condition, or None if FHIR cannot say it."""
    if isinstance(condition, AnyOf | AllOf):
        is_any = isinstance(condition, AnyOf)
        listed = condition.any if isinstance(condition, AnyOf) else condition.all
        parts = [_leaf_when(c, definition, spread=is_any) for c in listed]
        if any(p is None for p in parts):
            return None
        flat = [when for part in parts for when in part or ()]
        return flat, ("any" if is_any else "all") if len(flat) > 1 else None
    leaf = _leaf_when(condition, definition, spread=True)
    if leaf is None:
        return None
    return leaf, "any" if len(leaf) > 1 else None


def _leaf_when(condition: Condition, definition: Definition, *, spread: bool) -> list[JSON] | None:
    item_id = item_of(condition)
    if item_id is None or isinstance(condition, Between):
        return None
    item = definition.items[item_id]
    if isinstance(condition, Answered):
        return [{"question": item_id, "operator": "exists", "answerBoolean": True}]
    if isinstance(condition, Ge | Le):
        value = condition.ge.value if isinstance(condition, Ge) else condition.le.value
        return [{"question": item_id, "operator": ">=" if isinstance(condition, Ge) else "<=", "answerInteger": value}]
    if isinstance(condition, Equals) and isinstance(condition.equals.value, int):
        return [{"question": item_id, "operator": "=", "answerInteger": condition.equals.value}]
    multi = isinstance(item, MultiChoiceItem)
    codes: list[str]
    if isinstance(condition, IsYes):
        codes = [YES]
    elif isinstance(condition, Equals):
        codes = [str(condition.equals.value)]  # on a multiple choice, "equals not_sure" asks whether it was ticked
    elif isinstance(condition, In):
        codes = list(condition.in_.values)
        if NOT_SURE in codes and not multi:
            return None  # ours: "not sure" leaves `in` unknown even when listed; FHIR would match it
        if len(codes) > 1 and not spread:
            return None  # (a or b) inside `all` needs nesting that enableWhen lacks
    else:  # pragma: no cover - every leaf kind is handled above
        return None
    return [{"question": item_id, "operator": "=", "answerCoding": _coding(item, c, definition)} for c in codes]


# ---------------------------------------------------------------------------------------------
# enable_when → FHIRPath (SDC enableWhenExpression), for everything else
#
# FHIRPath's and/or/not() are three-valued with empty as unknown, like ours. A comparison on an unanswered
# question gives empty (unknown). Ours also tells "hidden, so false" from "unanswered, so unknown"; that
# matters only under `not`, where each comparison is wrapped in its question's own gate.


def fhirpath(condition: Condition, definition: Definition, *, exact: bool = False) -> str:
    """A FHIRPath expression over ``%resource`` (the QuestionnaireResponse) that is true exactly when ours is.

    With ``exact`` it is also false exactly when ours is false (and empty when ours is unknown).
    """
    if isinstance(condition, AllOf | AnyOf):
        joiner = " and " if isinstance(condition, AllOf) else " or "
        parts = condition.all if isinstance(condition, AllOf) else condition.any
        return joiner.join(f"({fhirpath(c, definition, exact=exact)})" for c in parts)
    if isinstance(condition, Not):
        return f"({fhirpath(condition.not_, definition, exact=True)}).not()"
    if isinstance(condition, AtLeast):
        n = condition.at_least.n
        counted = [fhirpath(c, definition, exact=exact) for c in condition.at_least.of]
        true = " + ".join(f"iif({p}, 1, 0)" for p in counted)
        unknown = " + ".join(f"iif(({p}).empty(), 1, 0)" for p in counted)
        return f"iif(({true}) >= {n}, true, iif(({true}) + ({unknown}) >= {n}, {{}}, false))"
    if isinstance(condition, FindingRef):
        raise ValueError(f"finding '{condition.finding}' cannot be used in an enable_when; it may only read items")
    item_id = item_of(condition)
    if item_id is None:  # pragma: no cover - every other kind is handled above
        raise TypeError(f"not a condition: {condition!r}")
    item = definition.items[item_id]
    leaf = _leaf_path(condition, item, exact=exact)
    if exact and item.enable_when is not None and not isinstance(condition, Answered):
        return f"iif(({fhirpath(item.enable_when, definition, exact=True)}) = false, false, {leaf})"
    return leaf


def _leaf_path(condition: Condition, item: Item, *, exact: bool) -> str:
    """One comparison; with ``exact``, empty when the question is unanswered or (where ours says so) not sure."""
    answer = f"%resource.repeat(item).where(linkId = {_quote(item.id)}).answer"
    value = f"{answer}.value"
    if isinstance(condition, Answered):
        return f"{answer}.exists()"
    if isinstance(condition, Ge):
        return f"{value} >= {condition.ge.value}"
    if isinstance(condition, Le):
        return f"{value} <= {condition.le.value}"
    if isinstance(condition, Between):
        return f"{value} >= {condition.between.min} and {value} <= {condition.between.max}"
    if isinstance(condition, Equals) and isinstance(condition.equals.value, int):
        return f"{value} = {condition.equals.value}"
    codes = f"{value}.code"
    if isinstance(condition, IsYes):
        wanted = [YES]
    elif isinstance(condition, Equals):
        wanted = [str(condition.equals.value)]
    elif isinstance(condition, In):
        wanted = list(condition.in_.values)
    else:  # pragma: no cover - every leaf kind is handled above
        raise TypeError(f"not a leaf condition: {condition!r}")
    multi = isinstance(item, MultiChoiceItem)
    if isinstance(condition, Equals) and wanted == [NOT_SURE]:
        hit = f"{codes} contains 'not_sure'"  # the answer is "not sure", or (multiple choice) it was ticked
        unsure = ""
    else:
        if not multi:  # ours: a single answer "not_sure" leaves the comparison unknown, even if listed
            wanted = [code for code in wanted if code != NOT_SURE]
        listed = " | ".join(_quote(code) for code in wanted)
        hit = f"{codes}.where($this in ({listed})).exists()" if wanted else "false"
        unsure = f" and ({codes} contains 'not_sure').not()" if _may_be_not_sure(item) else ""
    return f"iif({codes}.exists(){unsure}, {hit}, {{}})" if exact else hit


def _may_be_not_sure(item: Item) -> bool:
    if isinstance(item, YesNoItem):
        return item.allow_not_sure
    return isinstance(item, SingleChoiceItem) and any(o.code == NOT_SURE for o in item.options)


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


# ---------------------------------------------------------------------------------------------
# Checks fhir.resources does not make


def check_questionnaire(resource: Mapping[str, Any]) -> list[str]:
    """Problems in a Questionnaire that structural validation misses (an empty list means none found)."""
    if resource.get("resourceType") != "Questionnaire":
        return [f"resourceType is {resource.get('resourceType')!r}, not 'Questionnaire'"]
    problems: list[str] = []
    flat = list(_walk(resource.get("item")))
    first: dict[str, int] = {}
    for pos, node in enumerate(flat):
        link = node.get("linkId")
        if link in first:
            problems.append(f"linkId '{link}' is used more than once")
        elif isinstance(link, str):
            first[link] = pos
    for pos, node in enumerate(flat):
        where = f"item '{node.get('linkId')}'"
        kind = node.get("type")
        if kind == "display" and "required" in node:
            problems.append(f"{where}: display items take no answer, so they cannot be 'required'")
        if kind == "display" and node.get("item"):
            problems.append(f"{where}: display items cannot contain items")
        if kind == "group" and not node.get("item"):
            problems.append(f"{where}: a group needs at least one item")
        if "maxLength" in node and kind not in ("text", "string"):
            problems.append(f"{where}: maxLength only applies to text and string items, not {kind}")
        if kind in ("choice", "open-choice") and not node.get("answerOption") and not node.get("answerValueSet"):
            problems.append(f"{where}: a choice item needs answerOption or answerValueSet")
        codes = [_key(o.get("valueCoding")) for o in node.get("answerOption") or () if isinstance(o, dict)]
        if len(set(codes)) != len(codes):
            problems.append(f"{where}: an answerOption code is listed twice")
        whens = [w for w in node.get("enableWhen") or () if isinstance(w, dict)]
        if len(whens) > 1 and "enableBehavior" not in node:
            problems.append(f"{where}: several enableWhen entries need enableBehavior (all or any)")
        if whens and any(e.get("url") == ENABLE_WHEN_EXPRESSION for e in node.get("extension") or ()):
            problems.append(f"{where}: has both enableWhen and an enableWhenExpression; keep one")
        for when in whens:
            target_id = when.get("question")
            target_pos = first.get(target_id) if isinstance(target_id, str) else None
            if target_pos is None:
                problems.append(f"{where}: enableWhen refers to '{target_id}', which is not in the questionnaire")
                continue
            target = flat[target_pos]
            if target.get("type") in ("group", "display"):
                problems.append(f"{where}: enableWhen refers to '{target_id}', which takes no answer")
            elif target_pos >= pos:
                what = "itself" if target_pos == pos else f"'{target_id}', which comes after it"
                problems.append(f"{where}: enableWhen refers to {what}")
            else:
                problems += [f"{where}: enableWhen on '{target_id}': {p}" for p in _when_problems(when, target)]
    return problems


def _walk(nodes: Any) -> Iterator[Mapping[str, Any]]:
    for node in nodes if isinstance(nodes, list) else ():
        if isinstance(node, dict):
            yield node
            yield from _walk(node.get("item"))


def _key(coding: Any) -> tuple[Any, Any]:
    return (coding.get("system"), coding.get("code")) if isinstance(coding, dict) else (None, None)


_ANSWER_TYPES = {
    "boolean": ("answerBoolean",),
    "decimal": ("answerDecimal", "answerInteger"),
    "integer": ("answerInteger", "answerDecimal"),
    "date": ("answerDate",),
    "dateTime": ("answerDateTime",),
    "time": ("answerTime",),
    "string": ("answerString",),
    "text": ("answerString",),
    "url": ("answerString",),
    "choice": ("answerCoding",),
    "open-choice": ("answerCoding", "answerString"),
    "quantity": ("answerQuantity",),
    "reference": ("answerReference",),
}


def _when_problems(when: Mapping[str, Any], target: Mapping[str, Any]) -> list[str]:
    given = [k for k in when if k.startswith("answer")]
    if when.get("operator") == "exists":
        return [] if given == ["answerBoolean"] else ["'exists' needs answerBoolean"]
    allowed = _ANSWER_TYPES.get(str(target.get("type")), ())
    if not any(k in allowed for k in given):
        return [f"{', '.join(given) or 'no answer'} does not fit a {target.get('type')} question"]
    coding = when.get("answerCoding")
    if not isinstance(coding, dict):
        return []
    known = {_key(o.get("valueCoding")) for o in target.get("answerOption") or () if isinstance(o, dict)}
    system, code = _key(coding)
    if (system, code) in known or (system is None and code in {c for _, c in known}):
        return []
    return [f"code '{coding.get('code')}' is not among the question's answerOption codes"]


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
        problem = Problem(
            "<response>", None, "collected_at", "has no time zone, which FHIR needs", "add one, like +00:00"
        )
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


def response_from_resource(definition: Definition, resource: Any, *, source: str = "<QuestionnaireResponse>") -> JSON:
    """A native response document (for ``parse_response``) from a QuestionnaireResponse, ours or another client's.

    Accepts nested or flat items, codings with only a code, integers as valueDecimal with a whole value and
    yes/no as valueBoolean. Range, exclusivity and hidden-answer checks are left to ``parse_response``.
    """
    problems: list[Problem] = []

    def add(subject: str, message: str, fix: str = "") -> None:
        problems.append(Problem(source, None, subject, message, fix))

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
        add("response", f"expected a FHIR QuestionnaireResponse, got {got}", "send the QuestionnaireResponse")
        raise ResponseError(problems)
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirResponse
    from pydantic import ValidationError

    try:
        FhirResponse.model_validate(resource)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "QuestionnaireResponse"
            add("response", f"{where}: {err['msg']}", "make it a valid FHIR R4 QuestionnaireResponse")
        raise ResponseError(problems) from exc

    version = q.version
    reference = resource.get("questionnaire")
    canonical = f"{DEFAULT_BASE_URL}/{q.id}|{q.version}"
    if not reference:
        add("response", "does not say which questionnaire it answers", f"set questionnaire to '{canonical}'")
    else:
        url, _, given = str(reference).partition("|")
        if url.rstrip("/").rsplit("/", 1)[-1] not in (q.id, q.id.replace("_", "-")):
            add("response", f"answers questionnaire '{reference}', not '{q.id}'", "score it with its own questionnaire")
        elif given and not _SEMVER.match(given):
            add("response", f"questionnaire version '{given}' is not MAJOR.MINOR.PATCH", f"use '{canonical}'")
        elif given and given.split(".")[0] != q.version.split(".")[0]:
            add(
                "response",
                f"was collected with version {given}; this questionnaire is {q.version}",
                "score it with the questionnaire version it was collected with",
            )
        elif given:
            version = given
    if resource.get("status") == "entered-in-error":
        add("response", "is marked entered-in-error", "do not score it; collect the answers again")
    if not resource.get("authored"):
        add("response", "has no 'authored' time (when the answers were collected)", "add authored")

    answers: JSON = {}
    seen: set[str] = set()
    unknown: list[Any] = []
    sections = {s.id for s in q.sections}

    def walk(nodes: list[Any], path: str) -> None:
        for k, node in enumerate(nodes):
            here = f"{path}[{k}]"
            link = node.get("linkId")
            item = definition.items.get(link)
            if item is None and link not in sections and not str(link).endswith(HELPER_SUFFIXES):
                unknown.append(link)
                suggest = len(unknown) <= MAX_SUGGESTIONS
                close = difflib.get_close_matches(str(link), list(definition.items), n=1) if suggest else []
                fix = f"did you mean '{close[0]}'?" if close else "remove it or check the linkId"
                add(f"item '{link}'", f"no such item in the questionnaire (at {here})", fix)
            elif item is not None and node.get("answer"):
                if isinstance(item, DisplayItem):
                    add(f"item '{link}'", f"this is display text and takes no answer (at {here})", "remove the answer")
                elif link in seen:
                    add(f"item '{link}'", f"answered more than once (at {here})", "give one item per question")
                else:
                    seen.add(link)
                    value = _native(item, node["answer"], definition, here, add)
                    if value is not None:
                        answers[link] = value
            walk(node.get("item") or [], f"{here}.item")
            for j, answer in enumerate(node.get("answer") or []):
                walk(answer.get("item") or [], f"{here}.answer[{j}].item")

    walk(resource.get("item") or [], "item")
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
    return document


def _native(item: Item, answers: list[JSON], definition: Definition, here: str, add: Report) -> Any:
    """One question's answers as our native value, or None after reporting what is wrong."""
    subject = f"item '{item.id}'"
    if len(answers) > 1 and not isinstance(item, MultiChoiceItem):
        add(subject, f"has {len(answers)} answers, but takes one (at {here})", "keep one answer")
        return None
    values = []
    for answer in answers:
        kind, value = next(((k, v) for k, v in answer.items() if k.startswith("value")), (None, None))
        if kind is None:
            continue
        converted, message, fix = _convert(item, kind, value, definition)
        if message:
            add(subject, f"{message} (at {here})", fix)
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
        codes = _codes(item)
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
