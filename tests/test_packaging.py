"""The wheel carries the bundled definition and report assets, and works from a fresh virtualenv."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel once; with build isolation first, without it only if that cannot work offline."""
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)]
    built = subprocess.run(command, capture_output=True, text=True)
    if built.returncode != 0:
        built = subprocess.run([*command, "--no-isolation"], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    [path] = out.glob("screening-*.whl")
    return path


@pytest.mark.slow
def test_wheel_contains_the_bundled_definition_and_reports(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "screening/questionnaires/cervicogenic_headache.yaml" in names
    assert "screening/questionnaires/cervicogenic_headache.rules.yaml" in names
    assert any(name.startswith("screening/reports/") for name in names)
    assert "screening/py.typed" in names
    assert not any(name.startswith(("tests/", "screening/tests/")) for name in names)


@pytest.mark.slow
def test_installed_wheel_validates_the_bundled_definition_from_elsewhere(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [str(env_dir / "bin" / "screening"), "validate"], capture_output=True, text=True, cwd=elsewhere
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    [site_questionnaire] = env_dir.glob("lib/python*/site-packages/screening/questionnaires/cervicogenic_headache.yaml")
    assert result.stdout.startswith(
        f"ok: {site_questionnaire} + cervicogenic_headache.rules.yaml — questionnaire cervicogenic_headache "
    )
    assert str(ROOT) not in result.stdout  # the installed copy, not the source checkout
