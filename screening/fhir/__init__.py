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

The package: ``codings`` (addresses and codings both ways share), ``questionnaire`` (the export),
``enable_when`` (enableWhen and FHIRPath), ``check`` (checks on any Questionnaire) and ``response``
(QuestionnaireResponse out and in). Every public name is importable from here.
"""

from __future__ import annotations

from .check import check_questionnaire
from .codings import (
    DEFAULT_BASE_URL,
    ENABLE_WHEN_CONDITION,
    ENABLE_WHEN_EXPRESSION,
    HELPER_SUFFIXES,
    ITEM_CONTROL,
    ITEM_CONTROL_SYSTEM,
    JSON,
    MAX_VALUE,
    MIN_VALUE,
    OPTION_EXCLUSIVE,
    PATIENT_ID,
    ROOT,
    SLIDER_STEP,
    STAFF_HELP,
    STAFF_INTRO,
    STAFF_WORDING,
    UNIT,
    YES_NO_LABELS,
    YES_NO_SYSTEM,
    Report,
    is_questionnaire_response,
    option_system,
)
from .enable_when import fhirpath
from .questionnaire import condition_json, questionnaire_resource
from .response import response_from_resource, response_resource

__all__ = [
    "DEFAULT_BASE_URL",
    "ENABLE_WHEN_CONDITION",
    "ENABLE_WHEN_EXPRESSION",
    "HELPER_SUFFIXES",
    "ITEM_CONTROL",
    "ITEM_CONTROL_SYSTEM",
    "JSON",
    "MAX_VALUE",
    "MIN_VALUE",
    "OPTION_EXCLUSIVE",
    "PATIENT_ID",
    "ROOT",
    "SLIDER_STEP",
    "STAFF_HELP",
    "STAFF_INTRO",
    "STAFF_WORDING",
    "UNIT",
    "YES_NO_LABELS",
    "YES_NO_SYSTEM",
    "Report",
    "check_questionnaire",
    "condition_json",
    "fhirpath",
    "is_questionnaire_response",
    "option_system",
    "questionnaire_resource",
    "response_from_resource",
    "response_resource",
]
