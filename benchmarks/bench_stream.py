"""Peak memory and time of `screening export submissions` and `screening rescore --all` at 10k and 100k rows.

Run: python benchmarks/bench_stream.py [--rows 10000 100000] [--baseline DIR]

Builds a SQLite database of each size (as ``bench_queries.py`` does), then runs each command in a child process
with its output thrown away and reads the child's peak resident memory (``wait4``). Streaming means the peak is
the same at every size. ``--baseline DIR`` runs the same commands with the package from another checkout (an
older version, say) for comparison.

Timings and memory are reported, never turned into a failing exit status.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_queries import build  # noqa: E402

from screening.loader import default_questionnaire_path, ruleset_path_for  # noqa: E402
from screening.web.db import make_engine  # noqa: E402

# Linux carries a process's peak memory across exec, so the command is started by a small Python process that
# has not built a database: its own peak (a bare interpreter) is far below any command's.
LAUNCHER = """
import os, sys, time
began = time.perf_counter()
to_null = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
pid = os.posix_spawn(
    sys.executable, [sys.executable, "-m", "screening", *sys.argv[1:]], os.environ, file_actions=to_null
)
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - began, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run(argv: list[str], package_root: Path) -> tuple[float, float, int]:
    """Seconds, peak RSS in MiB and exit status of ``python -m screening argv`` with its output discarded."""
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    done = subprocess.run(  # run from the root too: `python -m` puts the working folder first on the path
        [sys.executable, "-c", LAUNCHER, *argv], env=env, cwd=package_root, capture_output=True, check=True
    )
    seconds, peak_kib, status = done.stdout.decode().split()
    if int(status):
        print(done.stderr.decode("utf-8", "replace")[-500:], file=sys.stderr)
    return float(seconds), int(peak_kib) / 1024, int(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="also run the package found in this checkout")
    args = parser.parse_args()
    ruleset = ruleset_path_for(default_questionnaire_path())
    roots = [("this", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    print(f"{'rows':>8}  {'code':<9}{'command':<28}{'seconds':>9}{'µs/row':>8}{'peak MiB':>10}")
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as folder:
        for count in args.rows:
            url = f"sqlite+pysqlite:///{folder}/rows{count}.db"
            engine = make_engine(url)
            build(engine, count)
            engine.dispose()
            commands = {
                "export submissions (csv)": ["export", "submissions", "--database", url, "--with-names"],
                "export submissions (jsonl)": ["export", "submissions", "--database", url, "--format", "jsonl"],
                "rescore --all --json": ["rescore", "--all", "--json", "--database", url, "--ruleset", str(ruleset)],
            }
            for code, root in roots:
                for label, argv in commands.items():
                    seconds, peak, status = run(argv, root)
                    failed = "" if status == 0 else f"  (exit {status})"
                    per_row = seconds / count * 1e6
                    print(f"{count:>8,}  {code:<9}{label:<28}{seconds:>9.1f}{per_row:>8.0f}{peak:>10.1f}{failed}")


if __name__ == "__main__":
    main()
