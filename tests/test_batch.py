"""``screening batch``, through ``main`` (exit code and output): renders a folder, keeps going past bad files,
skips PDFs that are up to date, and writes the same bytes as ``screening report``.

One folder is taken through a sequence of runs (first, again, after a touch, forced with one worker), because every
run starts a pool of worker processes.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from helpers.definitions import bundled_files

from screening.cli import main

Capture = pytest.CaptureFixture[str]

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
GOOD = ["emergency_thunderclap", "gp_medication_overuse", "physio_cervicogenic"]
WHEN = "2026-11-21T12:00:00Z"

# WeasyPrint 70 opens its sRGB profile for every PDF/A document and never closes it (see tests/test_report.py).
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <_io.FileIO name='[^']*sRGB2014\.icc':pytest.PytestUnraisableExceptionWarning"
)


def summary(out: str) -> tuple[int, int, int, int]:
    """(rendered, up to date, failed, workers) from the summary line."""
    match = re.search(r"^(\d+) rendered, (\d+) already up to date, (\d+) failed \((\d+) workers?\) -> ", out, re.M)
    assert match, f"no summary line in:\n{out}"
    rendered, fresh, failed, workers = map(int, match.groups())
    return rendered, fresh, failed, workers


def pdf_state(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())}


@pytest.fixture
def definition_args(tmp_path: Path) -> list[str]:
    """A private copy of the bundled definition, so edits to questionnaires/ during the run cannot make PDFs stale."""
    folder = tmp_path / "definition"
    folder.mkdir()
    copies = [shutil.copy(path, folder / path.name) for path in bundled_files()]
    return ["--questionnaire", str(copies[0]), "--ruleset", str(copies[1])]


@pytest.fixture
def responses(tmp_path: Path) -> Path:
    """Three good examples, a file that is not YAML, a response with an unknown item, and a file to ignore."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(EXAMPLES_DIR / f"{name}.yaml", folder / f"{name}.yaml")
    (folder / "broken.yaml").write_text("questionnaire: cervicogenic_headache\nanswers: [unclosed\n", encoding="utf-8")
    physio = (EXAMPLES_DIR / "physio_cervicogenic.yaml").read_text(encoding="utf-8")
    (folder / "unknown_item.yml").write_text(physio.replace("  age: 47\n", "  age: 47\n  neck_wobble: yes\n"), "utf-8")
    (folder / "notes.txt").write_text("not a response", encoding="utf-8")
    return folder


def test_batch_renders_good_files_lists_bad_ones_and_skips_what_is_up_to_date(
    responses: Path, definition_args: list[str], tmp_path: Path, capsys: Capture
) -> None:
    out_dir = tmp_path / "out"
    args = ["batch", str(responses), "-o", str(out_dir), "--generated-at", WHEN, *definition_args, "--no-progress"]

    # first run: three PDFs, two failures each named with its file and what is wrong
    assert main(args) == 1
    out, err = capsys.readouterr()
    rendered, fresh, failed, _ = summary(out)
    assert (rendered, fresh, failed) == (3, 0, 2)
    assert out.rstrip().endswith(f"-> {out_dir}")
    assert sorted(p.name for p in out_dir.iterdir()) == [f"{name}.pdf" for name in GOOD]
    broken, unknown = responses / "broken.yaml", responses / "unknown_item.yml"
    assert f"FAILED {broken}:" in err and "not valid YAML or JSON" in err
    assert f"FAILED {unknown}:" in err and "item 'neck_wobble': no such item in the questionnaire" in err
    assert err.count("FAILED ") == 2
    assert "Traceback" not in out + err
    first = pdf_state(out_dir)
    assert all(data.startswith(b"%PDF-") for _, data in first.values())

    # second run: nothing to redo but the failures
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert summary(out)[:3] == (0, 3, 2)
    assert err.count("FAILED ") == 2
    assert pdf_state(out_dir) == first

    # a response edited after its PDF was written is rendered again, and only that one; progress goes to stderr.
    # The PDF is made older than its response (rather than the response newer than now), so no clock is involved.
    target = out_dir / "gp_medication_overuse.pdf"
    earlier = (responses / "gp_medication_overuse.yaml").stat().st_mtime_ns - 10**10
    os.utime(target, ns=(earlier, earlier))
    assert main(args[:-1]) == 1
    out, err = capsys.readouterr()
    assert summary(out)[:3] == (1, 2, 2)
    assert re.search(r"^rendered 3/3$", err, re.M), err
    after_touch = pdf_state(out_dir)
    assert after_touch["gp_medication_overuse.pdf"][0] > earlier
    assert {k: v for k, v in after_touch.items() if k != "gp_medication_overuse.pdf"} == {
        k: v for k, v in first.items() if k != "gp_medication_overuse.pdf"
    }

    # --force with one worker renders everything again, to the same bytes
    assert main([*args, "--force", "--workers", "1"]) == 1
    out, _ = capsys.readouterr()
    assert summary(out) == (3, 0, 2, 1)
    forced = pdf_state(out_dir)
    assert {k: data for k, (_, data) in forced.items()} == {k: data for k, (_, data) in first.items()}
    assert [p.name for p in out_dir.iterdir() if p.name.endswith(".part")] == []

    # with the bad files gone there is nothing to do and the exit code is 0
    broken.unlink()
    unknown.unlink()
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert summary(out)[:3] == (0, 3, 0)
    assert err == ""

    # the batch PDFs are byte for byte what `screening report` writes with the same generated-at
    for name in GOOD:
        single = tmp_path / f"{name}.pdf"
        source = str(responses / f"{name}.yaml")
        assert main(["report", source, "-o", str(single), "--generated-at", WHEN, *definition_args]) == 0
        assert single.read_bytes() == forced[f"{name}.pdf"][1], name
    capsys.readouterr()


def test_batch_on_a_file_or_a_missing_folder_is_a_clear_error(tmp_path: Path, capsys: Capture) -> None:
    response = tmp_path / "one.yaml"
    shutil.copy(EXAMPLES_DIR / "physio_cervicogenic.yaml", response)
    for given in (response, tmp_path / "nowhere"):
        out_dir = tmp_path / "out"
        assert main(["batch", str(given), "-o", str(out_dir), "--no-progress"]) == 64  # command-line misuse
        out, err = capsys.readouterr()
        assert f"{given}: not a folder" in err
        assert "Traceback" not in out + err
        assert not out_dir.exists()


def test_batch_of_an_empty_folder_renders_nothing(tmp_path: Path, capsys: Capture) -> None:
    (tmp_path / "in").mkdir()
    assert main(["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--no-progress"]) == 0
    assert summary(capsys.readouterr().out)[:3] == (0, 0, 0)


def test_batch_lists_the_entries_it_skips_and_refuses_hostile_files(tmp_path: Path, capsys: Capture) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(EXAMPLES_DIR / "physio_cervicogenic.yaml", folder / "good.yaml")
    (folder / "old.yaml").mkdir()  # a folder named like a response
    (folder / "archive").mkdir()
    (folder / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    os.mkfifo(folder / "pipe.yaml")  # reading it would wait for a writer for ever
    (folder / "notes.txt").write_text("not a response", encoding="utf-8")  # a file, plainly not a response: quiet
    (folder / "bomb.yaml").write_text(
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
        encoding="utf-8",
    )
    out_dir = tmp_path / "out"
    assert main(["batch", str(folder), "-o", str(out_dir), "--no-progress", "--workers", "1"]) == 1
    out, err = capsys.readouterr()
    assert summary(out)[:3] == (1, 0, 1)
    assert [line for line in err.splitlines() if line.startswith("SKIPPED")] == [
        f"SKIPPED {folder / 'archive'}: a folder (batch reads only the files directly in INPUT_DIR)",
        f"SKIPPED {folder / 'gone.yaml'}: a broken link (what it points to does not exist)",
        f"SKIPPED {folder / 'old.yaml'}: a folder (batch reads only the files directly in INPUT_DIR)",
        f"SKIPPED {folder / 'pipe.yaml'}: a named pipe, not a file",
    ]
    assert f"FAILED {folder / 'bomb.yaml'}:" in err and "more than 20,000 keys, values and list entries" in err
    assert "notes.txt" not in err and "Traceback" not in out + err
