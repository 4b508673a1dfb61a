"""What a case expects of its assessment (the keys under ``expect:``, described in ``screening/cases.py``), checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .assessment import Assessment
from .definition import Definition
from .model import Disposition, Likelihood


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
