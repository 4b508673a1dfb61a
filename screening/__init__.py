"""Screen headaches for a neck-related (cervicogenic) origin and for red flags. Screening, not diagnosis.

The public API is imported on first use so that ``screening --help`` starts without loading pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .assessment import Assessment, assessment_from_json, assessment_json
    from .definition import Definition
    from .error_codes import ErrorCode
    from .errors import DefinitionError, Problem, ReportError, ResponseError, ScreeningError, UsageError
    from .loader import load_definition, load_questionnaire
    from .model import Disposition, Likelihood, Questionnaire, Ruleset
    from .reading import load_response
    from .response import Response, parse_response
    from .scorer import CompactResult, assess, assess_compact, explain

__all__ = [
    "Assessment",
    "CompactResult",
    "Definition",
    "DefinitionError",
    "Disposition",
    "ErrorCode",
    "Likelihood",
    "Problem",
    "Questionnaire",
    "ReportError",
    "Response",
    "ResponseError",
    "Ruleset",
    "ScreeningError",
    "UsageError",
    "__version__",
    "assess",
    "assess_compact",
    "assessment_from_json",
    "assessment_json",
    "explain",
    "load_definition",
    "load_questionnaire",
    "load_response",
    "parse_response",
]

_HOMES = {
    "Assessment": "assessment",
    "assessment_from_json": "assessment",
    "assessment_json": "assessment",
    "Definition": "definition",
    "DefinitionError": "errors",
    "Problem": "errors",
    "ReportError": "errors",
    "ResponseError": "errors",
    "ScreeningError": "errors",
    "UsageError": "errors",
    "ErrorCode": "error_codes",
    "load_definition": "loader",
    "load_questionnaire": "loader",
    "Disposition": "model",
    "Likelihood": "model",
    "Questionnaire": "model",
    "Ruleset": "model",
    "Response": "response",
    "load_response": "reading",
    "parse_response": "response",
    "assess": "scorer",
    "assess_compact": "scorer",
    "CompactResult": "scorer",
    "explain": "scorer",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'screening' has no attribute {name!r}")
    return getattr(import_module(f".{home}", __name__), name)
