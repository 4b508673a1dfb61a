"""Definition-level golden tests: cases (answers → expected outcome) run against a questionnaire and ruleset.

A cases file sits beside its questionnaire as ``NAME.cases.yaml`` with a ``cases:`` list. Each case has a
``title``, an optional ``why``, the ``response`` (a response document, as for ``screening score``) and what to
``expect``. ``screening test DEFINITION`` runs them and reports which rules never fired and which questions
no case answered: coverage of the definition, not of Python.

Keys under ``expect``: ``disposition`` and ``likelihood`` (exact); ``red_flags``, ``to_check``,
``differentials``, ``fired`` (must be present, others may be too); ``red_flags_exactly``, ``to_check_exactly``
(the exact set); ``not_red_flags``, ``not_differentials``, ``not_fired`` (must be absent); ``features_met``,
``features_not_met``; and ``points_at_least``. ``fired`` names any rule of the ruleset (finding, red flag,
feature, differential or grade cap) that must come out true. An unknown key or id fails the case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assessment import Assessment
from .definition import Definition
from .errors import Problem, ResponseError, ScreeningError
from .limits import DEFINITION_LIMITS, LimitError, read_text_bounded
from .model import Disposition, Likelihood
from .response import parse_response
from .scorer import assess
from .yamlio import Path_, YamlSyntaxError, load_with_lines

CASES_SUFFIX = ".cases.yaml"
CASE_KEYS = {"title", "why", "response", "expect"}


class CasesError(ScreeningError):
    """The cases file itself cannot be read (not a failing case: that is a result)."""

    exit_code = 2


@dataclass(frozen=True)
class Case:
    title: str
    why: str
    response: dict[str, Any]
    expect: dict[str, Any]
    source: str  # file:line of the case
    response_lines: dict[Path_, int] = field(default_factory=dict)


@dataclass
class CaseResult:
    case: Case
    failures: list[str]
    assessment: Assessment | None


@dataclass
class Coverage:
    """Rules that no case made true, and questions that no case answered."""

    rules_never_fired: list[tuple[str, str]]  # (kind, id)
    items_never_answered: list[str]
    rules_total: int
    items_total: int


def cases_path_for(questionnaire_path: Path) -> Path:
    name = questionnaire_path.name
    stem = name.removesuffix(".rules.yaml").removesuffix(".yaml").removesuffix(".yml")
    return questionnaire_path.with_name(stem + CASES_SUFFIX)


def load_cases(path: Path) -> list[Case]:
    """The cases of a ``cases:`` file, each remembering its line."""
    try:
        data, lines = load_with_lines(read_text_bounded(path, DEFINITION_LIMITS), DEFINITION_LIMITS)
    except OSError as exc:
        raise CasesError(f"{path}: cannot read the cases file ({exc.strerror}) — check the path") from exc
    except UnicodeDecodeError as exc:
        raise CasesError(f"{path}: the cases file is not UTF-8 text — save it as UTF-8") from exc
    except LimitError as exc:
        where = f"{path}:{exc.line}" if exc.line is not None else str(path)
        raise CasesError(f"{where}: {exc.message} — {exc.fix}") from exc
    except YamlSyntaxError as exc:
        raise CasesError(f"{path}:{exc.line}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise CasesError(f"{path}: a cases file is a mapping with a 'cases:' list")
    cases = []
    for k, raw in enumerate(data["cases"]):
        where = f"{path}:{lines.get(('cases', k), '?')}"
        if not isinstance(raw, dict) or not {"title", "response", "expect"} <= set(raw) or set(raw) - CASE_KEYS:
            raise CasesError(f"{where}: a case has title, why (optional), response and expect")
        if not isinstance(raw["expect"], dict) or not isinstance(raw["response"], dict):
            raise CasesError(f"{where}: 'response' and 'expect' must be mappings")
        prefix = ("cases", k, "response")
        response_lines = {loc[3:]: line for loc, line in lines.items() if loc[:3] == prefix}
        cases.append(
            Case(str(raw["title"]), str(raw.get("why", "")), raw["response"], raw["expect"], where, response_lines)
        )
    return cases


def run_case(definition: Definition, case: Case) -> CaseResult:
    try:
        response = parse_response(case.response, definition, source=case.source, lines=case.response_lines)
    except ResponseError as exc:
        return CaseResult(case, [f"the response does not fit the questionnaire: {p}" for p in exc.problems], None)
    assessment = assess(definition, response)
    return CaseResult(case, check_expectations(assessment, case.expect, definition), assessment)


def coverage(definition: Definition, results: list[CaseResult]) -> Coverage:
    fired: set[str] = set()
    answered: set[str] = set()
    for result in results:
        if result.assessment is None:
            continue
        fired.update(t.id for t in result.assessment.explanation if t.result == "true")
        answered.update(a.item for a in result.assessment.answers if a.status == "answered")
    r = definition.ruleset
    rules = [
        *(("finding", f.id) for f in r.findings),
        *(("red flag", f.id) for f in r.red_flags),
        *(("feature", f.id) for f in r.features),
        *(("differential", d.id) for d in r.differentials),
        *(("grade cap", c.id) for c in r.grading.caps),
    ]
    items = [i for i in definition.items if definition.is_answerable(i)]
    return Coverage(
        [(kind, rule_id) for kind, rule_id in rules if rule_id not in fired],
        [i for i in items if i not in answered],
        len(rules),
        len(items),
    )


def _ids(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"'{key}' must be a list of ids, not {value!r}")
    return value


def check_expectations(a: Assessment, expect: dict[str, Any], definition: Definition) -> list[str]:
    """Every way the assessment differs from ``expect``; unknown keys and unknown ids are failures too."""
    r = definition.ruleset
    known = {
        "red flag": {f.id for f in r.red_flags},
        "differential": {d.id for d in r.differentials},
        "feature": {f.id for f in r.features},
        "rule": {t.id for t in a.explanation},
    }
    raised = [f.id for f in a.red_flags]
    unsure = [f.id for f in a.to_check]
    named = [d.id for d in a.differentials]
    true_rules = [t.id for t in a.explanation if t.result == "true"]
    status = {f.id: f.status for f in a.features}
    failures: list[str] = []

    def must_know(kind: str, ids: list[str]) -> list[str]:
        unknown = [i for i in ids if i not in known[kind]]
        failures.extend(f"unknown {kind} id '{i}' in the expectations" for i in unknown)
        return [i for i in ids if i not in unknown]

    def includes(kind: str, label: str, got: list[str]) -> Callable[[Any, str], None]:
        def check(value: Any, key: str) -> None:
            missing = [i for i in must_know(kind, _ids(value, key)) if i not in got]
            if missing:
                failures.append(f"{key}: expected {label} {missing}, got {sorted(got)}")

        return check

    def excludes(kind: str, label: str, got: list[str]) -> Callable[[Any, str], None]:
        def check(value: Any, key: str) -> None:
            present = [i for i in must_know(kind, _ids(value, key)) if i in got]
            if present:
                failures.append(f"{key}: {present} must not be {label}")

        return check

    def exactly(kind: str, got: list[str]) -> Callable[[Any, str], None]:
        def check(value: Any, key: str) -> None:
            want = set(must_know(kind, _ids(value, key)))
            if want != set(got):
                failures.append(
                    f"{key}: expected exactly {sorted(want)}, got {sorted(got)} "
                    f"(missing {sorted(want - set(got))}, extra {sorted(set(got) - want)})"
                )

        return check

    def features(wanted: str) -> Callable[[Any, str], None]:
        def check(value: Any, key: str) -> None:
            wrong = {i: status[i] for i in must_know("feature", _ids(value, key)) if status[i] != wanted}
            if wrong:
                failures.append(f"{key}: expected {wanted}, got {wrong}")

        return check

    def disposition(value: Any, key: str) -> None:
        if value not in {d.value for d in Disposition}:
            failures.append(f"{key}: '{value}' is not a disposition")
        elif a.disposition != value:
            reasons = [f"{x.kind}:{x.id}->{x.disposition}" for x in a.disposition_reasons]
            failures.append(f"disposition: expected {value}, got {a.disposition} (reasons {reasons})")

    def likelihood(value: Any, key: str) -> None:
        if value not in {g.value for g in Likelihood}:
            failures.append(f"{key}: '{value}' is not a likelihood grade")
        elif a.likelihood.grade != value:
            g = a.likelihood
            failures.append(
                f"likelihood: expected {value}, got {g.grade} ({g.points}/{g.maximum} points, "
                f"{g.unknown_points} unknown, capped by {list(g.capped_by)})"
            )

    def points_at_least(value: Any, key: str) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            failures.append(f"{key}: must be a whole number, not {value!r}")
        elif a.likelihood.points < value:
            failures.append(f"{key}: expected at least {value} points, got {a.likelihood.points}")

    checks: dict[str, Callable[[Any, str], None]] = {
        "disposition": disposition,
        "likelihood": likelihood,
        "red_flags": includes("red flag", "raised", raised),
        "red_flags_exactly": exactly("red flag", raised),
        "not_red_flags": excludes("red flag", "raised", raised),
        "to_check": includes("red flag", "listed to check", unsure),
        "to_check_exactly": exactly("red flag", unsure),
        "differentials": includes("differential", "named", named),
        "not_differentials": excludes("differential", "named", named),
        "features_met": features("met"),
        "features_not_met": features("not_met"),
        "points_at_least": points_at_least,
        "fired": includes("rule", "to fire", true_rules),
        "not_fired": excludes("rule", "fired", true_rules),
    }
    for key, value in expect.items():
        check = checks.get(key)
        if check is None:
            failures.append(f"unknown expect key '{key}' (known: {', '.join(checks)})")
            continue
        try:
            check(value, key)
        except TypeError as exc:
            failures.append(str(exc))
    return failures


def summary(a: Assessment) -> str:
    g = a.likelihood
    met = [f.id for f in a.features if f.status == "met"]
    return (
        f"disposition {a.disposition}, likelihood {g.grade} ({g.points}/{g.maximum}, {g.unknown_points} unknown, "
        f"capped by {list(g.capped_by)})\n  red flags {[f.id for f in a.red_flags]}\n"
        f"  to check {[f.id for f in a.to_check]}\n  differentials {[d.id for d in a.differentials]}\n"
        f"  features met {met}"
    )


def problems_of(results: list[CaseResult]) -> list[Problem]:
    """Failing cases as problems (file, line, title, what differs)."""
    out = []
    for result in results:
        file, _, line = result.case.source.rpartition(":")
        for failure in result.failures:
            out.append(Problem(file, int(line) if line.isdigit() else None, result.case.title, failure))
    return out
