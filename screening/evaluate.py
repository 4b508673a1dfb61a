"""Triage measured on a case bank: a confusion matrix, the safety targets, and every miss with its reason.

``screening evaluate`` runs cases files (see ``screening/cases.py``) and compares each case's disposition with
what it expects and with the dispositions a clinician would accept. The measures:

- emergency sensitivity: cases expected at ``emergency`` that got ``emergency``;
- urgent floor: cases expected at ``urgent_gp`` or ``emergency`` that got ``urgent_gp`` or above;
- acceptable triage: cases whose disposition is in their acceptable set;
- false emergency (999 false alarms): cases whose acceptable set lacks ``emergency`` but that got it, over all
  such cases;
- cervicogenic detected: cases of category ``cervicogenic`` graded likely or possible;
- over- and under-triage: cases whose disposition is more, or less, urgent than the expected one.

A measure with nothing to measure (no case in its denominator) is reported as met: 1 for the first four
fractions, 0 for false emergency; the counts beside each fraction show that the denominator was 0.
A run with no case at all, or with a case whose response does not fit the questionnaire, fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .assessment import Assessment
from .cases import DISPOSITIONS, Case, check_expectations
from .definition import Definition
from .error_codes import ErrorCode
from .errors import CasesError, Problem, ResponseError
from .model import Likelihood
from .response import parse_response
from .scorer import assess

ORDER = DISPOSITIONS[::-1]  # most urgent first
RANK = {d: DISPOSITIONS.index(d) for d in DISPOSITIONS}  # higher is more urgent
DETECTED = (Likelihood.LIKELY.value, Likelihood.POSSIBLE.value)


@dataclass(frozen=True)
class Target:
    measure: str
    label: str
    at_least: bool  # the fraction must be at least the bound (else at most)
    bound: Fraction

    def met(self, value: Fraction) -> bool:
        return value >= self.bound if self.at_least else value <= self.bound

    def describe(self) -> str:
        return f"{'>=' if self.at_least else '<='} {float(self.bound):.0%}"


TARGETS = (
    Target("emergency_sensitivity", "emergency sensitivity", True, Fraction(1)),
    Target("urgent_floor", "urgent floor", True, Fraction(1)),
    Target("acceptable_triage", "acceptable triage", True, Fraction(9, 10)),
    Target("false_emergency", "999 false alarms", False, Fraction(5, 100)),
)


@dataclass(frozen=True)
class Ratio:
    """A count over a denominator; ``empty`` is the value when the denominator is 0."""

    hits: int
    total: int
    empty: Fraction

    @property
    def value(self) -> Fraction:
        return Fraction(self.hits, self.total) if self.total else self.empty

    def __str__(self) -> str:
        return f"{self.hits}/{self.total} = {float(self.value):.1%}" + ("" if self.total else " (no cases)")


@dataclass(frozen=True)
class Outcome:
    """One case that was screened."""

    case: Case
    expected: str
    actual: str
    likelihood: str
    red_flags: tuple[str, ...]
    to_check: tuple[str, ...]
    decided_by: tuple[str, ...]  # what set the disposition at its level, in words
    other_failures: tuple[str, ...]  # expectations besides the disposition that did not hold

    @property
    def acceptable(self) -> bool:
        return self.actual in self.case.acceptable

    @property
    def direction(self) -> str:
        diff = RANK[self.actual] - RANK[self.expected]
        return "over-triage" if diff > 0 else "under-triage" if diff < 0 else "as expected"


@dataclass(frozen=True)
class CaseFailure:
    """A case whose response does not fit the questionnaire: it cannot be screened."""

    case: Case
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    files: tuple[str, ...]
    outcomes: tuple[Outcome, ...]
    failures: tuple[CaseFailure, ...]

    def _ratio(self, pool: list[Outcome], hit: Any, empty: int = 1) -> Ratio:
        return Ratio(sum(1 for o in pool if hit(o)), len(pool), Fraction(empty))

    @property
    def emergency_sensitivity(self) -> Ratio:
        pool = [o for o in self.outcomes if o.expected == "emergency"]
        return self._ratio(pool, lambda o: o.actual == "emergency")

    @property
    def urgent_floor(self) -> Ratio:
        floor = RANK["urgent_gp"]
        pool = [o for o in self.outcomes if RANK[o.expected] >= floor]
        return self._ratio(pool, lambda o: RANK[o.actual] >= floor)

    @property
    def acceptable_triage(self) -> Ratio:
        return self._ratio(list(self.outcomes), lambda o: o.acceptable)

    @property
    def false_emergency(self) -> Ratio:
        pool = [o for o in self.outcomes if "emergency" not in o.case.acceptable]
        return self._ratio(pool, lambda o: o.actual == "emergency", empty=0)

    @property
    def cervicogenic_detected(self) -> Ratio:
        pool = [o for o in self.outcomes if o.case.category == "cervicogenic"]
        return self._ratio(pool, lambda o: o.likelihood in DETECTED)

    def measures(self) -> dict[str, Ratio]:
        return {
            "emergency_sensitivity": self.emergency_sensitivity,
            "urgent_floor": self.urgent_floor,
            "acceptable_triage": self.acceptable_triage,
            "false_emergency": self.false_emergency,
            "cervicogenic_detected": self.cervicogenic_detected,
        }

    @property
    def over_triage(self) -> int:
        return sum(1 for o in self.outcomes if o.direction == "over-triage")

    @property
    def under_triage(self) -> int:
        return sum(1 for o in self.outcomes if o.direction == "under-triage")

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.acceptable]

    def confusion(self) -> dict[str, dict[str, int]]:
        """Counts by expected (rows) and actual (columns) disposition, most urgent first."""
        matrix = {e: dict.fromkeys(ORDER, 0) for e in ORDER}
        for o in self.outcomes:
            matrix[o.expected][o.actual] += 1
        return matrix

    def targets_missed(self) -> list[Target]:
        measures = self.measures()
        return [t for t in TARGETS if not t.met(measures[t.measure].value)]

    @property
    def passed(self) -> bool:
        return bool(self.outcomes) and not self.failures and not self.targets_missed()


def evaluate(definition: Definition, cases: list[Case], files: list[str]) -> Evaluation:
    """Screen every case; a case without a valid expected disposition makes the cases file unusable."""
    message = f"expect.disposition must be one of {', '.join(ORDER)} to evaluate the case"
    unusable = [
        Problem(c.where[0], c.where[1], "", message, code=ErrorCode.CASE_BAD_EXPECTATION)
        for c in cases
        if c.expect.get("disposition") not in DISPOSITIONS
    ]
    if unusable:
        raise CasesError(unusable)
    outcomes: list[Outcome] = []
    failures: list[CaseFailure] = []
    for case in cases:
        file = case.source.rpartition(":")[0]
        try:
            response = parse_response(case.response, definition, source=file, lines=case.response_lines)
        except ResponseError as exc:
            failures.append(CaseFailure(case, tuple(str(p) for p in exc.problems)))
            continue
        outcomes.append(_outcome(definition, case, assess(definition, response)))
    return Evaluation(tuple(files), tuple(outcomes), tuple(failures))


def _outcome(definition: Definition, case: Case, a: Assessment) -> Outcome:
    rules = definition.ruleset
    titles = {f.id: f.title for f in rules.red_flags} | {d.id: d.title for d in rules.differentials}
    words = {
        "likelihood": "neck origin graded {id}",
        "red_flag": "red flag {id} ({title})",
        "red_flag_unsure": "red flag {id} not ruled out ({title})",
        "differential": "pattern {id} ({title})",
    }
    decided = tuple(
        words[r.kind].format(id=r.id, title=titles.get(r.id, ""))
        for r in a.disposition_reasons
        if r.disposition == a.disposition
    )
    others = {k: v for k, v in case.expect.items() if k != "disposition"}
    return Outcome(
        case,
        str(case.expect["disposition"]),
        a.disposition.value,
        a.likelihood.grade.value,
        tuple(f.id for f in a.red_flags),
        tuple(f.id for f in a.to_check),
        decided,
        tuple(check_expectations(a, others, definition)),
    )


def evaluation_json(ev: Evaluation) -> str:
    """The evaluation as one JSON document (fractions as numbers in [0, 1])."""
    measures = ev.measures()
    counts = {name: {"hits": r.hits, "of": r.total} for name, r in measures.items()}
    document: dict[str, Any] = {
        "files": list(ev.files),
        "cases": len(ev.outcomes) + len(ev.failures),
        "assessed": len(ev.outcomes),
        **{name: float(r.value) for name, r in measures.items()},
        "counts": counts,
        "over_triage": ev.over_triage,
        "under_triage": ev.under_triage,
        "confusion": {"order": list(ORDER), "expected_by_actual": ev.confusion()},
        "targets": {t.measure: {"target": t.describe(), "met": t.met(measures[t.measure].value)} for t in TARGETS},
        "targets_missed": [t.measure for t in ev.targets_missed()],
        "passed": ev.passed,
        "misses": [_miss_json(o) for o in ev.misses],
        "errors": [
            {"id": f.case.id, "title": f.case.title, "source": f.case.source, "problems": list(f.problems)}
            for f in ev.failures
        ],
        "other_expectations_not_met": [
            {"id": o.case.id, "title": o.case.title, "source": o.case.source, "failures": list(o.other_failures)}
            for o in ev.outcomes
            if o.other_failures
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _miss_json(o: Outcome) -> dict[str, Any]:
    return {
        "id": o.case.id,
        "title": o.case.title,
        "category": o.case.category,
        "source": o.case.source,
        "expected": o.expected,
        "acceptable": list(o.case.acceptable),
        "actual": o.actual,
        "direction": o.direction,
        "likelihood": o.likelihood,
        "red_flags": list(o.red_flags),
        "to_check": list(o.to_check),
        "decided_by": list(o.decided_by),
    }


def render_evaluation(ev: Evaluation) -> str:
    """The evaluation as text: the matrix, the measures against their targets, every miss and every error."""
    out = [f"{len(ev.outcomes) + len(ev.failures)} cases from {len(ev.files)} file(s), {len(ev.outcomes)} screened"]
    out += [f"  {f}" for f in ev.files]
    first = max(len(d) for d in ORDER) + 2
    out += ["", "Confusion matrix (rows: expected, columns: actual)"]
    out.append("expected".ljust(first) + "".join(f"{d:>{len(d) + 2}}" for d in ORDER) + f"{'total':>7}")
    for expected, row in ev.confusion().items():
        cells = "".join(f"{n:>{len(d) + 2}}" for d, n in row.items())
        out.append(f"{expected:<{first}}{cells}{sum(row.values()):>7}")
    measures = ev.measures()
    out.append("")
    for t in TARGETS:
        mark = "ok" if t.met(measures[t.measure].value) else "MISSED"
        out.append(f"{t.label + ':':<24}{measures[t.measure]!s:<28}target {t.describe():<8}{mark}")
    out.append(f"{'cervicogenic detected:':<24}{ev.cervicogenic_detected} (graded likely or possible)")
    out.append(f"{'over-triage:':<24}{ev.over_triage} (more urgent than expected)")
    out.append(f"{'under-triage:':<24}{ev.under_triage} (less urgent than expected)")
    misses = ev.misses
    out += ["", f"Misses (disposition outside the acceptable set): {len(misses)}"]
    for o in misses:
        out += [
            f"MISS {o.case.name}",
            f"     {o.case.source}",
            f"     expected {o.expected}, acceptable {', '.join(o.case.acceptable)}; got {o.actual} ({o.direction})",
            f"     red flags raised: {', '.join(o.red_flags) or 'none'}; to check: {', '.join(o.to_check) or 'none'}",
            f"     decided by: {'; '.join(o.decided_by)}",
        ]
    noted = [o for o in ev.outcomes if o.other_failures]
    if noted:
        out += ["", f"Other expectations not met (not counted in the measures): {len(noted)} cases"]
        for o in noted:
            out.append(f"  {o.case.source} {o.case.name}")
            out += [f"      {failure}" for failure in o.other_failures]
    if ev.failures:
        out += ["", f"ERRORS: {len(ev.failures)} cases could not be screened (their response does not fit):"]
        for f in ev.failures:
            out.append(f"  {f.case.source} {f.case.name}")
            out += [f"      {p}" for p in f.problems]
    out.append("")
    if not ev.outcomes and not ev.failures:
        out.append("FAILED: no cases to evaluate")
    missed = ev.targets_missed()
    if missed:
        out.append(
            "Targets missed: " + "; ".join(f"{t.label} {measures[t.measure]} (target {t.describe()})" for t in missed)
        )
    if ev.failures:
        out.append(f"FAILED: {len(ev.failures)} cases could not be screened")
    if ev.passed:
        out.append("All targets met.")
    return "\n".join(out) + "\n"
