"""Start-up of `screening score FILE` in fresh processes, against the 150 ms target and a bare interpreter.

Run: python benchmarks/bench_cold_start.py [--runs 21] [--against REF] [FILE]

Each command runs ``--runs`` times in a fresh process, the commands taking turns so a busy moment on a shared
machine falls on all of them alike; the median wall time is printed with the CPU time the child used. The
baseline is ``python -c pass`` measured in the same run. ``--against REF`` also measures the engine as it was
at a git commit (exported with ``git archive`` into a temporary folder), so a change is compared with what it
replaced on the same machine at the same moment. Like an installed package, the sources run from compiled
bytecode: one warm-up run per command writes it. The target applies to the usual case, the definition checked
once and stored (see ``screening.stored``); the figures with storing off and with ``--json`` are printed beside.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.150


def _timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _export(ref: str, folder: Path) -> Path:
    """The tree at ``ref``, written into ``folder``."""
    folder.mkdir()
    archive = subprocess.run(["git", "archive", ref], check=True, capture_output=True, cwd=ROOT).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=ROOT / "examples" / "physio_cervicogenic.yaml")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--against", metavar="REF", help="also measure the engine at this git commit")
    args = parser.parse_args()
    response = str(args.file.resolve())

    with tempfile.TemporaryDirectory() as scratch:
        base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        stored = {**base_env, "SCREENING_CACHE_DIR": str(Path(scratch) / "cache")}
        trees = {"this tree": ROOT}
        if args.against:
            trees[f"at {args.against}"] = _export(args.against, Path(scratch) / "before")
        cases: dict[str, tuple[list[str], dict[str, str], Path]] = {
            "bare interpreter (python -c pass)": ([sys.executable, "-c", "pass"], base_env, ROOT)
        }
        for name, tree in trees.items():
            env = {**stored, "PYTHONPATH": str(tree)}
            score = [sys.executable, "-m", "screening", "score", response]
            cases[f"score, definition stored, {name}"] = (score, env, tree)
            if name == "this tree":
                cases[f"score, storing off, {name}"] = (score, {**env, "SCREENING_CACHE_DIR": ""}, tree)
                cases[f"score --json, definition stored, {name}"] = ([*score[:-1], "--json", response], env, tree)
        for command, env, cwd in cases.values():
            _timed(command, env, cwd)  # writes the bytecode and stores the definition
        walls: dict[str, list[float]] = {name: [] for name in cases}
        cpus: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (command, env, cwd) in cases.items():
                wall, cpu = _timed(command, env, cwd)
                walls[name].append(wall)
                cpus[name].append(cpu)

    load = os.getloadavg()[0]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load:.1f}; "
        f"`screening score {args.file.name}`, median of {args.runs} fresh processes each"
    )
    bare = statistics.median(walls["bare interpreter (python -c pass)"])
    for name in cases:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        line = f"  {name:52} {wall * 1000:6.0f} ms (CPU {cpu * 1000:4.0f} ms, {wall / bare:4.1f}x bare)"
        if name.startswith("score, definition stored"):
            line += f"  target <= {TARGET * 1000:.0f} ms: {'meets target' if wall <= TARGET else 'MISSES TARGET'}"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
