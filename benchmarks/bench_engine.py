"""Engine speed, measured in one run: load time, responses per second, and `screening --help` start-up.

Run: python benchmarks/bench_engine.py [--responses 10000] [--questionnaire FILE]

Each figure is printed next to a baseline measured in the same run on the same machine (bare
interpreter start-up, or a loop that only copies the same data) so the ratios stay meaningful on a
shared, noisy machine. Targets (2-core machine): load < 50 ms, >= 20,000 responses/s on one core,
`screening --help` < 200 ms.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import subprocess
import sys
import time
from pathlib import Path

from screening.loader import load_definition
from screening.response import parse_response
from screening.sampling import RandomChooser, sample_response
from screening.scorer import assess


def _median_seconds(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES TARGET"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--questionnaire", type=Path)
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]} on {sys.platform}; one process, one core\n")

    load = _median_seconds(lambda: load_definition(args.questionnaire), 25)
    definition = load_definition(args.questionnaire)
    q = definition.questionnaire
    print(
        f"definition: {q.id} {q.version}, {len(definition.items)} items, "
        f"{len(definition.findings) + len(definition.red_flags) + len(definition.features)} rules"
    )
    print(f"load questionnaire + ruleset: {load * 1000:.1f} ms median of 25  (target < 50 ms: {_verdict(load < 0.05)})")

    chooser = RandomChooser(seed=2026)
    documents = [sample_response(definition, chooser) for _ in range(args.responses)]
    baseline = _median_seconds(lambda: [copy.copy(d) for d in documents], 3)

    def run_all() -> None:
        for document in documents:
            assess(definition, parse_response(document, definition))

    run_all()  # warm caches once
    elapsed = _median_seconds(run_all, 3)
    rate = len(documents) / elapsed
    dispositions: dict[str, int] = {}
    for document in documents[:2000]:
        d = assess(definition, parse_response(document, definition)).disposition.value
        dispositions[d] = dispositions.get(d, 0) + 1
    print(
        f"parse + assess {len(documents):,} generated responses: {elapsed:.3f} s -> {rate:,.0f} responses/s "
        f"(target >= 20,000/s: {_verdict(rate >= 20_000)})"
    )
    print(
        f"  per response: {elapsed / len(documents) * 1e6:.1f} µs; baseline (shallow copy of each document): "
        f"{baseline / len(documents) * 1e6:.2f} µs; ratio {elapsed / baseline:.0f}x"
    )
    print(f"  dispositions in the first 2,000: {dict(sorted(dispositions.items()))}")

    def run(cmd: list[str]) -> float:
        return _median_seconds(lambda: subprocess.run(cmd, check=True, capture_output=True), 15)

    bare = run([sys.executable, "-c", "pass"])
    help_time = run([sys.executable, "-m", "screening", "--help"])
    print(
        f"`screening --help`: {help_time * 1000:.0f} ms median of 15; bare interpreter start-up {bare * 1000:.0f} ms; "
        f"ratio {help_time / bare:.1f}x (target < 200 ms: {_verdict(help_time < 0.2)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
