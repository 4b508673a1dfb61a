"""Checked definitions kept on disk (``screening.stored``): taken back only for the same bytes, else loaded afresh."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.definitions import MINI_QUESTIONNAIRE, MINI_RULES, write_definition

from screening import stored
from screening.errors import DefinitionError
from screening.loader import load_definition
from screening.response import parse_response
from screening.scorer import assess

DOC = {
    "questionnaire": "mini",
    "version": "1.2.0",
    "collected_at": "2026-01-01T09:00:00+00:00",
    "answers": {"neck_pain": "no", "severity": 8, "age": 30, "thunderclap": "no", "symptoms": ["blurred_vision"]},
}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(folder))
    return folder


def test_a_loaded_definition_is_stored_and_taken_back(cache: Path, tmp_path: Path) -> None:
    files = write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES, "mini")
    first = load_definition(*files)
    kept = list(cache.glob("definition-*.pickle"))
    assert len(kept) == 1 and (cache.stat().st_mode & 0o777) == 0o700
    assert stored.fetch(first.questionnaire_sha256, first.ruleset_sha256) is not None
    second = load_definition(*files)
    assert second.questionnaire == first.questionnaire and second.ruleset == first.ruleset
    assert (second.questionnaire_sha256, second.ruleset_sha256) == (first.questionnaire_sha256, first.ruleset_sha256)
    assert assess(second, parse_response(DOC, second)) == assess(first, parse_response(DOC, first))


def test_changed_bytes_are_loaded_and_checked_again(cache: Path, tmp_path: Path) -> None:
    q_path, r_path = write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES, "mini")
    load_definition(q_path, r_path)
    r_path.write_text(MINI_RULES.replace("value: 8}", "value: 9}"), encoding="utf-8")
    changed = load_definition(q_path, r_path)
    assert not assess(changed, parse_response(DOC, changed)).differentials
    r_path.write_text(MINI_RULES.replace("{yes: thunderclap}", "{yes: thunderclapp}"), encoding="utf-8")
    with pytest.raises(DefinitionError, match="thunderclapp"):
        load_definition(q_path, r_path)
    assert len(list(cache.glob("definition-*.pickle"))) == 2  # a definition with problems is never kept


def test_a_damaged_file_is_a_miss(cache: Path, tmp_path: Path) -> None:
    files = write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES, "mini")
    first = load_definition(*files)
    (kept,) = cache.glob("definition-*.pickle")
    kept.write_bytes(b"not a pickle")
    assert stored.fetch(first.questionnaire_sha256, first.ruleset_sha256) is None
    again = load_definition(*files)
    assert again.ruleset == first.ruleset
    assert stored.fetch(first.questionnaire_sha256, first.ruleset_sha256) is not None  # written again


def test_an_empty_setting_turns_storing_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENING_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    load_definition(*write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES, "mini"))
    assert stored.cache_dir() is None and not (tmp_path / "xdg").exists()


def test_a_folder_that_cannot_be_written_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(blocker / "cache"))
    definition = load_definition(*write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES, "mini"))
    assert definition.questionnaire.id == "mini"


def test_a_stored_definition_builds_its_models_only_when_asked(cache: Path, tmp_path: Path) -> None:
    first = load_definition(*write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES, "mini"))
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    q_path, r_path = write_definition(moved, MINI_QUESTIONNAIRE, MINI_RULES, "mini")
    second = load_definition(q_path, r_path)
    assert isinstance(second.models, bytes) and "_models" not in vars(second)  # nothing built yet
    assert assess(second, parse_response(DOC, second)) == assess(first, parse_response(DOC, first))
    assert "_models" not in vars(second), "scoring needed the questionnaire and ruleset models"
    assert (second.questionnaire_file, second.ruleset_file) == (str(q_path), str(r_path))
    assert second.items.keys() == first.items.keys() and second.ruleset == first.ruleset
