"""Engine speed, measured in one run: load time, responses per second, `screening --help` and `score` start-up.

Run: python benchmarks/bench_engine.py [--responses 10000] [--questionnaire FILE]

Each figure is printed next to a baseline measured in the same run on the same machine (bare
interpreter start-up, or a loop that only copies the same data) so the ratios stay meaningful on a
shared, noisy machine; throughput is CPU time, so other processes on the machine do not count against it.
Targets (2-core machine): load < 50 ms, >= 20,000 responses/s on one core, `screening --help` < 200 ms,
`screening score FILE` <= 150 ms.
"""

from __future__ import annotations

import argparse
import copy
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from screening.definition import Definition
from screening.interpreted import assess_interpreted
from screening.loader import load_definition
from screening.response import parse_response
from screening.sampling import RandomChooser, sample_response
from screening.scorer import assess, assess_compact


def _median_seconds(fn: object, repeat: int, clock: Callable[[], float] = time.perf_counter) -> float:
    times = []
    for _ in range(repeat):
        start = clock()
        fn()  # type: ignore[operator]
        times.append(clock() - start)
    return statistics.median(times)


def _cpu_seconds(fn: object, repeat: int) -> float:
    """Median CPU time of this process: what one core spends, steadier than wall time on a shared machine."""
    return _median_seconds(fn, repeat, time.process_time)


def _verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES TARGET"


def _rate(definition: Definition, documents: list[dict[str, Any]], score: Callable[..., object]) -> float:
    """Seconds for parse + ``score`` over every document, median of 3 after a warm-up."""

    def run_all() -> None:
        for document in documents:
            score(definition, parse_response(document, definition))

    run_all()  # warm caches once
    return _cpu_seconds(run_all, 5)


def _throughput(definition: Definition, documents: list[dict[str, Any]], label: str) -> None:
    baseline = _cpu_seconds(lambda: [copy.copy(d) for d in documents], 3)
    responses = [parse_response(d, definition) for d in documents]
    n = len(documents)

    def parse_all() -> None:
        for document in documents:
            parse_response(document, definition)

    parse_only = _cpu_seconds(parse_all, 5)
    print(f"\nparse + assess {n:,} generated responses, {label} (CPU time, median of 5):")
    print(
        f"  parse alone {parse_only / n * 1e6:.1f} µs; baseline (shallow copy of each document) "
        f"{baseline / n * 1e6:.2f} µs"
    )
    timings = {}
    for name, score in (
        ("interpreted assess (reference)", assess_interpreted),
        ("compiled assess (full Assessment)", assess),
        ("compiled assess_compact", assess_compact),
    ):
        elapsed = timings[name] = _rate(definition, documents, score)
        rate = n / elapsed
        print(
            f"  {name:34} {elapsed:.3f} s -> {rate:8,.0f} responses/s, {elapsed / n * 1e6:6.1f} µs each "
            f"(target >= 20,000/s: {_verdict(rate >= 20_000)})"
        )
    reference = timings["interpreted assess (reference)"]
    print(
        f"  speed-up over the interpreted path: full {reference / timings['compiled assess (full Assessment)']:.1f}x, "
        f"compact {reference / timings['compiled assess_compact']:.1f}x"
    )
    dispositions = Counter(assess_compact(definition, r).disposition.value for r in responses)
    print(f"  dispositions: {dict(sorted(dispositions.items()))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--questionnaire", type=Path)
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]} on {sys.platform}; one process, one core\n")

    os.environ["SCREENING_CACHE_DIR"] = ""  # parsed and checked from the files every time
    load = _median_seconds(lambda: load_definition(args.questionnaire), 25)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SCREENING_CACHE_DIR"] = folder
        load_definition(args.questionnaire)
        load_stored = _median_seconds(lambda: load_definition(args.questionnaire), 25)
    definition = load_definition(args.questionnaire)
    q = definition.questionnaire
    print(
        f"definition: {q.id} {q.version}, {len(definition.items)} items, "
        f"{len(definition.findings) + len(definition.red_flags) + len(definition.features)} rules"
    )
    print(f"load questionnaire + ruleset: {load * 1000:.1f} ms median of 25  (target < 50 ms: {_verdict(load < 0.05)})")
    print(f"load the same, checked before and stored: {load_stored * 1000:.1f} ms median of 25")

    for label, calm in (("answers spread evenly over every option", 0.0), ("mostly 'no' (a typical clinic)", 0.9)):
        chooser = RandomChooser(seed=2026, calm=calm)
        documents = [sample_response(definition, chooser) for _ in range(args.responses)]
        _throughput(definition, documents, label)

    def run(cmd: list[str]) -> float:
        return _median_seconds(lambda: subprocess.run(cmd, check=True, capture_output=True), 15)

    bare = run([sys.executable, "-c", "pass"])
    help_time = run([sys.executable, "-m", "screening", "--help"])
    print(
        f"\n`screening --help`: {help_time * 1000:.0f} ms median of 15; bare interpreter start-up "
        f"{bare * 1000:.0f} ms; "
        f"ratio {help_time / bare:.1f}x (target < 200 ms: {_verdict(help_time < 0.2)})"
    )
    _cold_start(bare)
    return 0


def _cold_start(bare: float) -> None:
    """`screening score FILE` in a fresh process, with the checked definition stored and without."""
    example = Path(__file__).resolve().parent.parent / "examples" / "physio_cervicogenic.yaml"
    command = [sys.executable, "-m", "screening", "score", str(example)]
    with tempfile.TemporaryDirectory() as folder:
        for label, setting in (("definition stored", folder), ("storing off", "")):
            env = {**os.environ, "SCREENING_CACHE_DIR": setting}
            subprocess.run(command, check=True, capture_output=True, env=env)  # stores it, when on
            walls, cpus = [], []
            for _ in range(15):
                before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
                subprocess.run(command, check=True, capture_output=True, env=env)
                walls.append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            print(
                f"`screening score {example.name}`, {label}: {wall * 1000:.0f} ms median of 15 "
                f"(CPU {cpu * 1000:.0f} ms); {wall / bare:.1f}x bare start-up (target <= 150 ms: "
                f"{_verdict(wall <= 0.15)})"
            )


if __name__ == "__main__":
    raise SystemExit(main())
