"""Broken definitions never crash the loader: the outcome is a Definition or a DefinitionError whose every
problem names a line of one of the two files.

A valid definition is read into plain data, mutated (keys deleted or renamed, ids renamed or duplicated,
wrong types, dangling references, empty lists, huge numbers, nested garbage), dumped back with
``yaml.safe_dump`` and loaded again. When a mutant still loads, scoring a response to it must work too.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.definitions import MINI_QUESTIONNAIRE, MINI_RULES, bundled_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.definition import Definition
from screening.errors import DefinitionError, Problem
from screening.loader import load_definition
from screening.response import parse_response
from screening.sampling import RandomChooser, sample_response
from screening.scorer import assess
from screening.yamlio import load_with_lines

MUTATIONS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

Path_ = tuple[Any, ...]
Documents = dict[str, Any]  # "questionnaire"/"ruleset" -> data

REFERENCE_KEYS = ("yes", "answered", "finding", "item", "id", "code")
ENUM_KEYS = ("kind", "urgency", "at_most", "floor", "floor_when_unlikely", "language", "respondent")

garbage = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["yes", "no", "on", "not_sure", "", " ", "Not An Id", "x" * 3000, "1.0", "0.0.0.0"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
huge_numbers = st.sampled_from([10**30, -(10**30), 2**63, -(2**63) - 1, 2**31, -1, 0, 10**4000])
wrong_scalars = st.sampled_from([None, True, False, 0, -7, 3.5, "", "text", [], {}, [1, 2], {"a": 1}])


def nodes(data: Any, path: Path_ = ()) -> list[Path_]:
    """Every node's path, the root included."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += nodes(value, (*path, key))
    elif isinstance(data, list):
        for k, value in enumerate(data):
            found += nodes(value, (*path, k))
    return found


def get(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def put(data: Any, path: Path_, value: Any) -> Any:
    """Replace the node at path (the root too); returns the new root."""
    if not path:
        return value
    get(data, path[:-1])[path[-1]] = value
    return data


@st.composite
def mutated(draw: Any, documents: Documents) -> Documents:
    """One to three mutations applied to one or both documents."""
    docs = copy.deepcopy(documents)
    for _ in range(draw(st.integers(min_value=1, max_value=3), label="mutations")):
        which = draw(st.sampled_from(sorted(docs)), label="document")
        data = docs[which]
        paths = nodes(data)
        kind = draw(
            st.sampled_from(
                [
                    "delete",
                    "wrong_type",
                    "garbage",
                    "huge_int",
                    "rename_id",
                    "duplicate_id",
                    "dangling",
                    "duplicate_entry",
                    "empty_list",
                    "rename_key",
                    "odd_key",
                    "move_subtree",
                    "bad_enum",
                ]
            ),
            label="kind",
        )
        inner = [p for p in paths if p]
        if kind == "delete" and inner:
            path = draw(st.sampled_from(inner))
            parent = get(data, path[:-1])
            del parent[path[-1]]
        elif kind == "wrong_type":
            data = put(data, draw(st.sampled_from(paths)), draw(wrong_scalars))
        elif kind == "garbage":
            data = put(data, draw(st.sampled_from(paths)), draw(garbage))
        elif kind == "huge_int":
            ints = [p for p in inner if isinstance(get(data, p), int)] or paths
            data = put(data, draw(st.sampled_from(ints)), draw(huge_numbers))
        elif kind in ("rename_id", "duplicate_id", "dangling"):
            refs = [
                p for p in inner if isinstance(p[-1], str) and p[-1] in REFERENCE_KEYS and isinstance(get(data, p), str)
            ]
            if refs:
                path = draw(st.sampled_from(refs))
                if kind == "rename_id":
                    value = draw(st.sampled_from([get(data, path) + "x", "Not_Snake", "9starts_with_digit", "a" * 65]))
                elif kind == "duplicate_id":
                    value = get(data, draw(st.sampled_from(refs)))
                else:
                    value = "no_such_thing"
                data = put(data, path, value)
        elif kind == "duplicate_entry":
            lists = [p for p in paths if isinstance(get(data, p), list) and get(data, p)]
            if lists:
                target = get(data, draw(st.sampled_from(lists)))
                target.insert(draw(st.integers(0, len(target))), copy.deepcopy(draw(st.sampled_from(target))))
        elif kind == "empty_list":
            lists = [p for p in paths if isinstance(get(data, p), list)]
            if lists:
                data = put(data, draw(st.sampled_from(lists)), [])
        elif kind in ("rename_key", "odd_key"):
            keyed = [p for p in inner if isinstance(get(data, p[:-1]), dict)]
            if keyed:
                path = draw(st.sampled_from(keyed))
                parent = get(data, path[:-1])
                new_key: Any = (
                    str(path[-1]) + draw(st.sampled_from(["s", "_", "X"]))
                    if kind == "rename_key"
                    else draw(st.sampled_from([1, -2, None, True, 2.5, "", "yes", "not"]))
                )
                if new_key not in parent:
                    items = [(new_key if k == path[-1] else k, v) for k, v in parent.items()]
                    parent.clear()
                    parent.update(items)
        elif kind == "move_subtree":
            source = copy.deepcopy(get(data, draw(st.sampled_from(paths))))
            data = put(data, draw(st.sampled_from(paths)), source)
        elif kind == "bad_enum":
            enums = [p for p in inner if isinstance(p[-1], str) and p[-1] in ENUM_KEYS]
            if enums:
                data = put(
                    data,
                    draw(st.sampled_from(enums)),
                    draw(
                        st.sampled_from(
                            ["emergency", "self_care", "likely", "maybe", "yes_no", "display", "en-US", "routine_gp"]
                        )
                    ),
                )
        docs[which] = data
    return docs


def write(folder: Path, docs: Documents) -> tuple[Path, Path, dict[str, int]]:
    """Dump both documents; return their paths and each file's line count."""
    q_path, r_path = folder / "mutant.yaml", folder / "mutant.rules.yaml"
    counts: dict[str, int] = {}
    for key, path in (("questionnaire", q_path), ("ruleset", r_path)):
        text = yaml.safe_dump(docs[key], sort_keys=False, allow_unicode=True, width=100)
        path.write_text(text, encoding="utf-8")
        counts[str(path)] = len(text.splitlines())
    return q_path, r_path, counts


def assert_loads_or_reports_lines(folder: Path, docs: Documents) -> None:
    q_path, r_path, counts = write(folder, docs)
    try:
        definition = load_definition(q_path, r_path)
    except DefinitionError as exc:
        assert exc.problems, "a DefinitionError must carry at least one problem"
        for problem in exc.problems:
            assert problem.file in counts, str(problem)
            assert type(problem.line) is int, f"no line number: {problem}"
            assert 1 <= problem.line <= counts[problem.file], f"line outside the file: {problem}"
        assert exc.problems == sorted(exc.problems, key=Problem.sort_key)
        return
    assert isinstance(definition, Definition)
    for seed in range(3):  # a definition that loads must also score
        response = parse_response(sample_response(definition, RandomChooser(seed)), definition)
        assert assess(definition, response).disposition


def documents_from(q_text: str, r_text: str) -> Documents:
    return {"questionnaire": load_with_lines(q_text)[0], "ruleset": load_with_lines(r_text)[0]}


@pytest.fixture(scope="session")
def mini_documents() -> Documents:
    return documents_from(MINI_QUESTIONNAIRE, MINI_RULES)


@pytest.fixture(scope="session")
def bundled_documents() -> Documents:
    q_path, r_path = bundled_files()
    missing = [str(p) for p in (q_path, r_path) if not p.exists()]
    if missing:
        pytest.skip(f"bundled definition not written yet: {', '.join(missing)} missing")
    return documents_from(q_path.read_text(encoding="utf-8"), r_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def mutant_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder, overwritten by every example."""
    return tmp_path_factory.mktemp("mutant")


@pytest.mark.parametrize("which", ["mini_documents", "bundled_documents"])
def test_unmutated_round_trip_still_loads(which: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The dump/load round trip itself changes nothing: the unmutated data loads (yes/no stay strings)."""
    docs = request.getfixturevalue(which)
    q_path, r_path, _ = write(tmp_path, docs)
    definition = load_definition(q_path, r_path)
    assert {i.id for i in definition.questionnaire.items()} == {
        item["id"] for section in docs["questionnaire"]["sections"] for item in section["items"]
    }


@MUTATIONS
@given(data=st.data())
def test_mutated_mini_definition_loads_or_reports_lines(
    mini_documents: Documents, mutant_dir: Path, data: st.DataObject
) -> None:
    assert_loads_or_reports_lines(mutant_dir, data.draw(mutated(mini_documents)))


@MUTATIONS
@given(data=st.data())
def test_mutated_bundled_definition_loads_or_reports_lines(
    bundled_documents: Documents, mutant_dir: Path, data: st.DataObject
) -> None:
    assert_loads_or_reports_lines(mutant_dir, data.draw(mutated(bundled_documents)))
