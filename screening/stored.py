"""Checked definitions kept on disk, so a command that scores one response does not parse and check the files again.

A definition that loaded without a problem is stored (pickled) under the sha256 of its two files' bytes and of
the engine code that reads and checks them, with its generated scorer's code. The next load of the same bytes
by the same engine takes it back in a few milliseconds instead of parsing YAML, building and running the
pydantic validators, checking every reference and compiling the rules; the questionnaire and ruleset models
inside it are built only when something asks for them, so scoring alone never imports pydantic. Anything
unexpected (no folder, a file from another engine, a damaged file) is a miss: the files are then loaded and
checked as usual.

The folder is ``$SCREENING_CACHE_DIR`` (an empty value turns storing off), else ``$XDG_CACHE_HOME/screening``,
else ``~/.cache/screening``. It is the user's own, made private (0700); like Python's own ``__pycache__``, a
stored file is trusted by whoever can write there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import sys
from pathlib import Path

from ._version import __version__
from .definition import Definition

_FORMAT = 2
# the modules whose code decides what a checked definition is; a change to any of them is a new engine
_ENGINE_FILES = (
    "model/__init__.py",
    "model/base.py",
    "model/conditions.py",
    "model/items.py",
    "model/ruleset.py",
    "checks.py",
    "condition_checks.py",
    "reach.py",
    "loader.py",
    "yamlio.py",
    "limits.py",
    "kinds.py",
    "answers.py",
    "assessment.py",
    "definition.py",
    "compiler.py",
    "conditions.py",
    "codegen.py",
    "compiled.py",
    "stored.py",
)


def cache_dir() -> Path | None:
    configured = os.environ.get("SCREENING_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path("~/.cache").expanduser()) / "screening"


def _engine() -> str:
    digest = hashlib.sha256(f"{_FORMAT} {__version__} {sys.version}".encode())
    here = Path(__file__).resolve().parent
    for name in _ENGINE_FILES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def _path(questionnaire_sha256: str, ruleset_sha256: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        engine = _engine()
    except OSError:
        return None  # an installation without its sources: nothing is stored
    key = hashlib.sha256(f"{questionnaire_sha256} {ruleset_sha256} {engine}".encode()).hexdigest()
    return folder / f"definition-{key}.pickle"


def fetch(
    questionnaire_sha256: str, ruleset_sha256: str, questionnaire_file: str = "", ruleset_file: str = ""
) -> Definition | None:
    """The stored definition for these file hashes (read from these files), or None."""
    path = _path(questionnaire_sha256, ruleset_sha256)
    if path is None:
        return None
    try:
        with path.open("rb") as handle:
            found = pickle.load(handle)  # written by store() below, in a private folder
    except Exception:  # missing, from an older engine or damaged: load the files instead
        return None
    if not isinstance(found, Definition) or (found.questionnaire_sha256, found.ruleset_sha256) != (
        questionnaire_sha256,
        ruleset_sha256,
    ):
        return None
    return dataclasses.replace(
        found,
        questionnaire_file=questionnaire_file or found.questionnaire_file,
        ruleset_file=ruleset_file or found.ruleset_file,
    )


def store(definition: Definition) -> None:
    """Keep a checked definition for next time; a folder that cannot be written is left alone."""
    path = _path(definition.questionnaire_sha256, definition.ruleset_sha256)
    if path is None:
        return
    import tempfile  # only when storing: a command that finds its definition stored starts without it

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = pickle.dumps(definition, protocol=pickle.HIGHEST_PROTOCOL)  # see Definition.__getstate__
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".definition-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink()
            raise
    except (OSError, pickle.PicklingError):
        return
