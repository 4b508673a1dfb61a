"""The signing key: made once, atomically, and never replaced or weakened without someone deciding to."""

from __future__ import annotations

import errno
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from screening.cli import main
from screening.web.db import make_engine, migrate
from screening.web.settings import Settings, SettingsError


@pytest.fixture(autouse=True)
def _no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCREENING_SECRET_KEY", raising=False)
    monkeypatch.delenv("SCREENING_DATABASE_URL", raising=False)


def _migrated(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()


def test_first_start_writes_a_strong_private_key_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Settings.load(data)
    key_file = data / "secret.key"
    assert len(first.secret_key) >= 32
    assert key_file.read_bytes() == first.secret_key
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert Settings.load(data).secret_key == first.secret_key
    assert [p.name for p in data.iterdir()] == ["secret.key"], "no temporary file is left behind"


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: Settings.load(data).secret_key, range(16)))
    assert keys == {(data / "secret.key").read_bytes()}


@pytest.mark.parametrize("content", [b"", b"\n", b"   \n", b"x" * 31, b"x" * 31 + b"\n"])
def test_an_empty_or_short_key_file_stops_the_start(tmp_path: Path, content: bytes) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret.key").write_bytes(content)
    with pytest.raises(SettingsError, match=r"empty|too short") as caught:
        Settings.load(data)
    assert "secret.key" in str(caught.value) and "backup" in str(caught.value)
    assert (data / "secret.key").read_bytes() == content, "the file is left as it was for someone to look at"


def test_a_key_of_32_characters_is_enough(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret.key").write_bytes(b"k" * 32 + b"\n")
    assert Settings.load(data).secret_key == b"k" * 32


def test_the_commands_refuse_a_weak_key_with_a_message_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret.key").write_bytes(b"")
    assert main(["token", "add", "practice-system", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert f"{data / 'secret.key'}: [SCR605] the signing key is empty" in err and "Traceback" not in err
    assert not (data / "screening.db").exists(), "nothing was started"


def test_a_lost_key_is_not_replaced_once_there_is_a_database(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    first = Settings.load(data, database_url=database_url)
    _migrated(database_url)
    (data / "secret.key").unlink()
    with pytest.raises(SettingsError, match="missing, but the database already exists"):
        Settings.load(data, database_url=database_url)
    assert not (data / "secret.key").exists()
    # restoring it (here: through the environment) starts again with the same links valid
    monkeypatch.setenv("SCREENING_SECRET_KEY", first.secret_key.decode())
    assert Settings.load(data, database_url=database_url).secret_key == first.secret_key


def test_the_default_sqlite_database_in_the_data_folder_counts_too(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings.load(data)
    _migrated(settings.database_url)
    (data / "secret.key").unlink()
    with pytest.raises(SettingsError, match="missing"):
        Settings.load(data)


def test_a_failed_write_leaves_no_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk at first start used to leave an empty key that was then used; now nothing is left at all."""
    data = tmp_path / "data"
    data.mkdir()

    def full_disk(_descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(SettingsError, match=r"cannot write a new signing key.*No space left"):
        Settings.load(data)
    assert list(data.iterdir()) == []
    monkeypatch.undo()
    assert len(Settings.load(data).secret_key) >= 32  # with space again, the first start completes


@pytest.mark.parametrize("value", ["", "   ", "too short for a key"])
def test_a_weak_key_in_the_environment_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SCREENING_SECRET_KEY", value)
    with pytest.raises(SettingsError, match=r"SCREENING_SECRET_KEY is set but (empty|too short)") as caught:
        Settings.load(tmp_path / "data")
    assert [p.code.code for p in caught.value.problems] == ["SCR605"]
    assert SettingsError.exit_code == 2
    assert not (tmp_path / "data" / "secret.key").exists()
