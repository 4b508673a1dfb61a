"""A definition's rules as one generated Python function, built once per definition (as attrs builds methods).

``screening.codegen`` writes the source of a function ``evaluate(answers)`` from the validated rule structure;
this module compiles it with ``compile()``/``exec`` in a namespace holding only the two value markers and a few
helpers, and runs it. The function works out each question's effective value and whether it is shown, then
every rule. Inside, a result is one bit (1 false, 2 unknown, 4 true), so ``all`` and ``any`` are a table look-up
of the parts or-ed together and each comparison on an answer is made once however many rules share it; what it
returns, an ``Evaluation``, holds plain tuples of 0 false, 1 unknown, 2 true, and no explanation. The source
holds ids and option codes from the definition, each written with ``repr()``, and whole numbers; never an
answer. ``screening.interpreted`` keeps the condition-by-condition scorer this one must agree with.

Nothing here reads the definition format's models, so a stored definition is scored without building them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import CodeType
from typing import Any, NamedTuple

from .kinds import NOT_APPLICABLE, NOT_SURE, UNKNOWN

FALSE, UNSURE, TRUE = 0, 1, 2  # a rule's value in an Evaluation
_CACHE_SIZE = 32

RuleKey = tuple[str, str]  # (kind, id): "finding", "red_flag", "feature", "grading", "grade_cap", "differential"


class Evaluation(NamedTuple):
    """What the generated function returns for one set of answers, in the definition's fixed orders."""

    values: tuple[Any, ...]  # effective value per item, in ``Definition.slot`` order
    shown: tuple[int, ...]  # 0/1/2 per item, in ``Definition.slot`` order
    rules: tuple[int, ...]  # 0/1/2 per rule, in ``CompiledScorer.rules``
    points: int
    unknown_points: int
    hidden: tuple[str, ...]  # items answered though not shown
    unanswered: tuple[str, ...]  # required items shown and not answered


class ScorerSource(NamedTuple):
    """What ``codegen.generate_source`` writes: the function's source, the sets it names, and its rule order."""

    source: str
    constants: dict[str, frozenset[str]]
    rules: tuple[RuleKey, ...]  # findings, red flags, features, grading, caps, differentials


@dataclass(frozen=True, slots=True)
class CompiledScorer:
    """The generated function, its source (for reading and tests) and the order of its results."""

    evaluate: Callable[[Mapping[str, Any]], Evaluation]
    source: str
    source_sha256: str
    code: CodeType
    constants: dict[str, frozenset[str]]
    rules: tuple[RuleKey, ...]


# one bit per result inside the generated function; tables indexed by the or of the parts' bits
_ALL = tuple(1 if m & 1 else 2 if m & 2 else 4 for m in range(8))
_ANY = tuple(4 if m & 4 else 2 if m & 2 else 1 for m in range(8))
_NOT = (0, 4, 2, 0, 1)
_OUT = (0, FALSE, UNSURE, 0, TRUE)  # bit -> the value returned


def _at_least(n: int, parts: tuple[int, ...]) -> int:
    true = parts.count(4)
    return 4 if true >= n else 2 if true + parts.count(2) >= n else 1


def _namespace(constants: Mapping[str, frozenset[str]]) -> dict[str, Any]:
    return {
        "__builtins__": {"isinstance": isinstance, "frozenset": frozenset},
        "U": UNKNOWN,
        "NA": NOT_APPLICABLE,
        "NS": NOT_SURE,
        "FS": frozenset,
        "LT": (list, tuple),
        "Evaluation": Evaluation,
        "_at_least": _at_least,
        "_ALL": _ALL,
        "_ANY": _ANY,
        "_NOT": _NOT,
        "_OUT": _OUT,
        **constants,
    }


_cache: dict[tuple[str, str], CompiledScorer] = {}


def cached_scorer(key: tuple[str, str]) -> CompiledScorer | None:
    """The scorer already built in this process for a questionnaire + ruleset (by their sha256), if any."""
    return _cache.get(key)


def build_scorer(key: tuple[str, str], written: ScorerSource, code: CodeType | None = None) -> CompiledScorer:
    """The generated scorer, compiled once per questionnaire + ruleset; ``code`` is the source compiled earlier
    (a stored definition), else it is compiled here."""
    found = _cache.get(key)
    if found is not None:
        return found
    source = written.source
    digest = hashlib.sha256(source.encode()).hexdigest()
    if code is None:
        code = compile(source, f"<screening rules {digest[:12]}>", "exec")
    namespace = _namespace(written.constants)
    exec(code, namespace)
    scorer = CompiledScorer(namespace["evaluate"], source, digest, code, written.constants, written.rules)
    if len(_cache) >= _CACHE_SIZE:
        _cache.pop(next(iter(_cache)))
    _cache[key] = scorer
    return scorer


# The last response parsed, with its evaluation: parsing needs to know which questions are shown and ``assess``
# needs the same evaluation, so a response parsed and then assessed is evaluated once. Replaced as a whole (safe
# between threads: another thread's response only makes a miss); the answers are matched by identity with the
# dict the parsed response holds, which nothing changes afterwards.
_recent: tuple[CompiledScorer, Mapping[str, Any], Evaluation] | None = None


def remember(scorer: CompiledScorer, answers: Mapping[str, Any], evaluation: Evaluation) -> None:
    global _recent
    _recent = (scorer, answers, evaluation)


def evaluate(scorer: CompiledScorer, answers: Mapping[str, Any]) -> Evaluation:
    """The generated function's result for these answers (the one remembered at parsing, when it is theirs)."""
    recent = _recent
    if recent is not None and recent[0] is scorer and recent[1] is answers:
        return recent[2]
    return scorer.evaluate(answers)
