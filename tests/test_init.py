"""The package's public API: every name in __all__ resolves, lazily, to the object in its home module."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import screening


@pytest.mark.parametrize("name", screening.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(screening, name)
    if name != "__version__":
        home = importlib.import_module(f"screening.{screening._HOMES[name]}")
        assert value is getattr(home, name)


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        screening.nonsense  # noqa: B018


def test_importing_the_package_does_not_load_pydantic() -> None:
    code = "import sys, screening; print('pydantic' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_public_api_screens_a_bundled_example() -> None:
    from pathlib import Path

    definition = screening.load_definition()
    example = Path(__file__).parent.parent / "examples" / "emergency_thunderclap.yaml"
    assessment = screening.assess(definition, screening.load_response(example, definition))
    assert assessment.disposition is screening.Disposition.EMERGENCY
