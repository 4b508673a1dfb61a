"""Broken definitions as data: each ``tests/invalid/NN_name.yaml`` (with ``NN_name.rules.yaml`` beside it when the
fault is in a ruleset) must be rejected with the problems its ``# expect: <line>: [<code>] <text>`` comments name.

The comments sit at the top of the file that holds the fault. Each one must match a reported problem in that
file, on that line, with that code from ``screening.error_codes``, whose text contains ``<text>``; and every
reported problem must be one of the expected ones, so each file holds exactly the faults it is about.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from screening.cli import main
from screening.error_codes import by_code
from screening.errors import DefinitionError, Problem
from screening.loader import RULES_SUFFIX, load_definition, load_questionnaire, ruleset_path_for

INVALID_DIR = Path(__file__).parent / "invalid"
QUESTIONNAIRES = sorted(p for p in INVALID_DIR.glob("*.yaml") if not p.name.endswith(RULES_SUFFIX))
EXPECT = re.compile(r"^#\s*expect:\s*(\d+):\s*\[(SCR\d{3})\]\s*(.+?)\s*$")
MALFORMED = re.compile(r"^#\s*expect:")
MIN_CASES = 12


Expected = tuple[str, int, str, str]  # file, line, code, text


def expectations(path: Path) -> list[Expected]:
    """The ``# expect: line: [code] text`` comments at the top of a file, as (file, line, code, text)."""
    found = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.startswith("#"):
            break
        match = EXPECT.match(raw)
        assert match or not MALFORMED.match(raw), f"{path.name}: write '# expect: <line>: [SCRnnn] <text>', not {raw!r}"
        if match:
            assert by_code(match.group(2)), f"{path.name}: {match.group(2)} is not in screening.error_codes"
            found.append((str(path), int(match.group(1)), match.group(2), match.group(3)))
    return found


def files_of(q_path: Path) -> list[Path]:
    rules = ruleset_path_for(q_path)
    return [q_path, rules] if rules.exists() else [q_path]


def load(q_path: Path) -> DefinitionError:
    rules = ruleset_path_for(q_path)
    with pytest.raises(DefinitionError) as info:
        if rules.exists():
            load_definition(q_path, rules)
        else:
            load_questionnaire(q_path)
    return info.value


def matches(problem: Problem, expected: Expected) -> bool:
    file, line, code, text = expected
    return problem.file == file and problem.line == line and problem.code.code == code and text in str(problem)


@pytest.mark.parametrize("q_path", QUESTIONNAIRES, ids=[p.stem for p in QUESTIONNAIRES])
def test_invalid_definition_is_rejected_with_the_expected_problems(q_path: Path) -> None:
    expected = [e for f in files_of(q_path) for e in expectations(f)]
    assert expected, f"{q_path.name}: put '# expect: <line>: [<code>] <text>' comments at the top of the faulty file"
    error = load(q_path)
    reported = "\n".join(f"    {p}" for p in error.problems)
    for e in expected:
        assert any(matches(p, e) for p in error.problems), (
            f"expected a [{e[2]}] problem in {Path(e[0]).name} on line {e[1]} containing {e[3]!r}; "
            f"reported:\n{reported}"
        )
    unexpected = [p for p in error.problems if not any(matches(p, e) for e in expected)]
    assert not unexpected, "problems no '# expect:' comment names:\n" + "\n".join(f"    {p}" for p in unexpected)


@pytest.mark.parametrize("q_path", QUESTIONNAIRES, ids=[p.stem for p in QUESTIONNAIRES])
def test_problems_are_sorted_by_file_and_line(q_path: Path) -> None:
    problems = load(q_path).problems
    assert problems == sorted(problems, key=Problem.sort_key)


@pytest.mark.parametrize("q_path", QUESTIONNAIRES, ids=[p.stem for p in QUESTIONNAIRES])
def test_validate_command_exits_2_without_a_traceback(q_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(q_path)])
    out, err = capsys.readouterr()
    assert code == 2, f"exit code {code}; output:\n{out}{err}"
    assert "Traceback" not in out + err
    for file, line, code, _ in (e for f in files_of(q_path) for e in expectations(f)):
        assert f"{file}:{line}: [{code}]" in err, f"'{file}:{line}: [{code}]' not in the validate output:\n{err}"


def test_there_are_enough_invalid_definitions() -> None:
    assert len(QUESTIONNAIRES) >= MIN_CASES, f"only {len(QUESTIONNAIRES)} invalid definitions; {MIN_CASES} needed"


def test_every_ruleset_has_its_questionnaire() -> None:
    orphans = [
        p.name
        for p in INVALID_DIR.glob(f"*{RULES_SUFFIX}")
        if not p.with_name(p.name.removesuffix(RULES_SUFFIX) + ".yaml").exists()
    ]
    assert not orphans, f"rulesets without a questionnaire beside them: {orphans}"
