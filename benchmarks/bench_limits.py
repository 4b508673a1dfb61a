"""How fast hostile files are refused, and what the limit checks cost on real files.

Run: python benchmarks/bench_limits.py [--repeat 5]

1. Each hostile response or definition (alias bomb, recursive alias, 100k keys, deep nesting, a 4,301-digit
   number, a 100k-deep JSON) through ``screening score`` or ``screening validate`` in-process
   (``main``, output captured): the exit code, the best time, and the first line of the message. Target: every
   one well under a second.
2. The event walk that checks the limits against the whole parse, for the bundled definition files and a typical
   response: the price every ordinary run pays.

Timings are reported, never turned into a failing exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.cli import main  # noqa: E402
from screening.limits import DEFINITION_LIMITS, RESPONSE_LIMITS  # noqa: E402
from screening.loader import bundled_dir  # noqa: E402
from screening.yamlio import check_limits, load_with_lines  # noqa: E402


def alias_bomb(levels: int = 9) -> str:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def many_keys(count: int) -> str:
    return "".join(f"key_{i}: value\n" for i in range(count))


HOSTILE_RESPONSES = {
    "alias bomb (9**10 values)": alias_bomb(),
    "recursive alias": "answers: &a {neck_pain: *a}\n",
    "100k keys (1.4 MB)": many_keys(100_000),
    "30k keys (under the size limit)": many_keys(30_000),
    "100k-deep flow nesting": "answers: " + "[" * 100_000 + "]" * 100_000,
    "50k-deep block nesting": "- " * 50_000 + "x\n",
    "100k-deep JSON": "[" * 100_000 + "]" * 100_000,
    "4,301-digit integer": "answers: {age: " + "4" * 4301 + "}\n",
    "9k unknown answers (within limits)": "questionnaire: cervicogenic_headache\nversion: 1.0.0\n"
    "collected_at: 2026-03-01T10:30:00Z\nanswers:\n" + "".join(f"  item_{i}: yes\n" for i in range(9_000)),
}
HOSTILE_DEFINITIONS = {
    "alias bomb (9**10 values)": alias_bomb(),
    "100k keys (1.4 MB)": many_keys(100_000),
    "1k-deep nesting": "items: " + "[" * 1000 + "]" * 1000,
}


def best_of(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def run_quietly(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(argv)
    lines = err.getvalue().splitlines()
    return code, (lines[1].strip() if len(lines) > 1 else lines[0] if lines else "")


def hostile_files(repeat: int, folder: Path) -> None:
    print("1. hostile files, refused in-process (best of", repeat, "runs)")
    questionnaire = bundled_dir("questionnaires") / "cervicogenic_headache.yaml"
    run_quietly(["validate"])  # warm the imports so the first row does not pay for them
    rows: list[tuple[str, str, int, float, str]] = []
    for name, text in HOSTILE_RESPONSES.items():
        path = folder / "response.yaml"
        path.write_text(text, encoding="utf-8")
        argv = ["score", str(path), "--questionnaire", str(questionnaire)]
        code, message = run_quietly(argv)
        rows.append(("score", name, code, best_of(repeat, lambda argv=argv: run_quietly(argv)), message))
    for name, text in HOSTILE_DEFINITIONS.items():
        path = folder / "broken.yaml"
        path.write_text(text, encoding="utf-8")
        argv = ["validate", str(path)]
        code, message = run_quietly(argv)
        rows.append(("validate", name, code, best_of(repeat, lambda argv=argv: run_quietly(argv)), message))
    baseline = best_of(repeat, lambda: run_quietly(["score", str(ROOT / "examples" / "physio_cervicogenic.yaml")]))
    print(f"   {'command':9} {'file':36} exit  {'ms':>7}  message")
    for command, name, code, seconds, message in rows:
        print(f"   {command:9} {name:36} {code:>4}  {seconds * 1000:7.1f}  {message[:90]}")
    print(f"   (a good response scored with the bundled definition: {baseline * 1000:.1f} ms)")


def check_cost(repeat: int) -> None:
    print("\n2. the limit check (event walk) against the whole parse")
    files = [
        (bundled_dir("questionnaires") / "cervicogenic_headache.yaml", DEFINITION_LIMITS),
        (bundled_dir("questionnaires") / "cervicogenic_headache.rules.yaml", DEFINITION_LIMITS),
        (bundled_dir("questionnaires") / "cervicogenic_headache.cases.yaml", DEFINITION_LIMITS),
        (ROOT / "examples" / "physio_cervicogenic.yaml", RESPONSE_LIMITS),
    ]
    for path, limits in files:
        text = path.read_text(encoding="utf-8")
        walk = best_of(repeat * 4, lambda text=text, limits=limits: check_limits(text, limits))
        whole = best_of(repeat * 4, lambda text=text, limits=limits: load_with_lines(text, limits))
        print(
            f"   {path.name:36} {len(text) / 1024:6.0f} KB  walk {walk * 1000:6.2f} ms of {whole * 1000:6.2f} ms "
            f"({walk / whole:.0%})"
        )


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        hostile_files(args.repeat, Path(folder))
    check_cost(args.repeat)


if __name__ == "__main__":
    main_()
