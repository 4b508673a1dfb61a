"""Referral PDF speed and memory, measured in one run: per-PDF time, batch throughput, memory growth.

Run: python benchmarks/bench_report.py [--repeat 15] [--batch 200] [--memory-docs 200] [--literal-naive]
     python benchmarks/bench_report.py --profile [--repeat 8]    (cProfile of both paths instead)

With the defaults it takes about 5.5 minutes on a quiet 2-core machine (~0.6 s per PDF): 400 PDFs in the
two batch runs, 2 x 200 in the memory check (run side by side), ~35 in the timing comparison.

Everything is measured on the bundled typical example (examples/physio_cervicogenic.yaml), each figure
next to a baseline measured in the same run on the same machine, so the ratios stay meaningful on a
shared, noisy machine. Timings are reported, never turned into a failing exit status.

1. Time per PDF: our path (``render_pdf`` with a warm ``Renderer``: PDF/A-3b, tagged, three JSON
   attachments) against the same HTML rendered the naive way (a new default ``FontConfiguration`` and a
   freshly parsed ``CSS(filename=...)`` per document, default ``write_pdf()`` options), and against the
   referral as it was before the one-page letter (``benchmarks/baseline/``: the same example's HTML and the
   stylesheet of that time) rendered the same plain way, all interleaved. Targets: ours <= 0.6x naive, and
   ours <= 0.5x the plain render of the earlier referral. Wall time and CPU time are both reported: on a
   shared machine the CPU time of this process is the steadier of the two.
2. ``screening batch`` of N copies with 1 and with 2 workers, end to end (a subprocess, so interpreter
   start-up, forkserver and WeasyPrint import are included), plus the steady-state rate once every worker
   has finished its first PDF. Target: 2 workers >= 1.7x of 1 worker on 2 cores.
3. Memory of N in-process renders with one ``Renderer`` (RSS sampled every 20 documents), against the
   naive path; each runs in a fresh subprocess. Target: flat from document 20 on.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "physio_cervicogenic.yaml"
BASELINE = Path(__file__).resolve().parent / "baseline"  # the referral of 2026-11-29, before the one-page letter
WHEN = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
SAMPLE_EVERY = 20


def _verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES TARGET"


def _status_kib(field: str, pid: int | str = "self") -> int | None:
    """A /proc/<pid>/status figure in KiB (VmRSS: now, VmHWM: peak), or None if the process is gone."""
    try:
        with Path(f"/proc/{pid}/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


# ---------------------------------------------------------------------------------------------
# The two ways of rendering


class Subject:
    """The example, scored once, and the two render paths to compare."""

    def __init__(self) -> None:
        from screening.loader import load_definition
        from screening.reading import load_response
        from screening.report import Renderer, load_clinic_settings, render_html
        from screening.scorer import assess

        self.definition = load_definition()
        self.response = load_response(EXAMPLE, self.definition)
        self.assessment = assess(self.definition, self.response)
        self.clinic = load_clinic_settings()
        self.html = render_html(self.definition, self.response, self.assessment, self.clinic, WHEN)
        self.renderer = Renderer()
        self.baseline_html = (BASELINE / "referral.html").read_text(encoding="utf-8")
        self.baseline_css = (BASELINE / "referral.css").read_text(encoding="utf-8")

    def html_only(self) -> str:
        from screening.report import render_html

        return render_html(self.definition, self.response, self.assessment, self.clinic, WHEN)

    def ours(self) -> bytes:
        """The product's path: HTML + PDF/A-3b, tags, attachments, warm fonts and stylesheet."""
        from screening.report import render_pdf

        return render_pdf(self.definition, self.response, self.assessment, self.clinic, WHEN, using=self.renderer)

    def naive(self) -> bytes:
        """What a straightforward caller writes: everything built afresh per document, default options.

        The font configuration is handed to ``CSS`` as WeasyPrint's documentation shows; without it the
        stylesheet's ``@font-face`` rules are silently dropped and another font is used (see ``naive_literal``).
        """
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        from screening.report import REPORTS, STYLESHEET

        font_config = FontConfiguration()
        css = weasyprint.CSS(filename=str(STYLESHEET), font_config=font_config)
        html = weasyprint.HTML(string=self.html, base_url=REPORTS.as_uri() + "/")
        return html.write_pdf(stylesheets=[css], font_config=font_config)  # type: ignore[no-any-return]

    def baseline(self) -> bytes:
        """The earlier referral (four pages: two-column answers, flex boxes, wide tables), rendered plainly."""
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        from screening.report import REPORTS

        font_config = FontConfiguration()
        css = weasyprint.CSS(string=self.baseline_css, base_url=REPORTS.as_uri() + "/", font_config=font_config)
        html = weasyprint.HTML(string=self.baseline_html, base_url=REPORTS.as_uri() + "/")
        return html.write_pdf(stylesheets=[css], font_config=font_config)  # type: ignore[no-any-return]

    def naive_literal(self) -> bytes:
        """``CSS(filename=...)`` without a font configuration: @font-face ignored, system fallback font."""
        import weasyprint

        from screening.report import REPORTS, STYLESHEET

        html = weasyprint.HTML(string=self.html, base_url=REPORTS.as_uri() + "/")
        return html.write_pdf(stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))])  # type: ignore[no-any-return]


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _timed_both(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU of this process) seconds for one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


# ---------------------------------------------------------------------------------------------
# 1. Time per PDF


def per_pdf(subject: Subject, repeat: int, literal: bool) -> float:
    contenders: dict[str, Callable[[], object]] = {
        "ours": subject.ours,
        "naive": subject.naive,
        "earlier referral, plain": subject.baseline,
    }
    if literal:
        contenders["naive, no font_config"] = subject.naive_literal
    sizes = {name: len(fn()) for name, fn in contenders.items()}  # type: ignore[arg-type]
    for fn in contenders.values():  # warm up: imports, caches, first-use costs
        fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_ in range(repeat):
        # interleaved, the order flipped every round so neither side always runs right after the other
        for name in names if round_ % 2 == 0 else reversed(names):
            wall, used = _timed_both(contenders[name])
            times[name].append(wall)
            cpu[name].append(used)
    html_time = statistics.median(_timed(subject.html_only) for _ in range(repeat))

    med = {name: statistics.median(values) for name, values in times.items()}
    spread = {name: (min(values), max(values)) for name, values in times.items()}
    print(f"\n1. time per referral PDF ({EXAMPLE.name}), median of {repeat}, interleaved, after a warm-up")
    med_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    for name in contenders:
        low, high = spread[name]
        print(
            f"  {name:<24} {med[name] * 1000:7.1f} ms  (min {low * 1000:.1f}, max {high * 1000:.1f}; "
            f"CPU median {med_cpu[name] * 1000:.1f}, min {min(cpu[name]) * 1000:.1f}; {sizes[name] / 1024:.0f} KiB)"
        )
    ratio = med["ours"] / med["naive"]
    print(
        "  ours = render_pdf with a warm Renderer (render_html + PDF/A-3b + pdf_tags + 3 JSON attachments);\n"
        "  naive = write_pdf of the same HTML with a new FontConfiguration and CSS(filename=...) per call,\n"
        "          default options (no PDF/A, no tags, no attachments)"
    )
    print(f"  render_html alone (included in ours): {html_time * 1000:.1f} ms")
    print(f"  ratio ours/naive: {ratio:.2f}x  (target <= 0.6x: {_verdict(ratio <= 0.6)})")
    naive_with_html = med["naive"] + html_time
    print(f"  ratio ours/(naive + render_html): {med['ours'] / naive_with_html:.2f}x")
    earlier = med["ours"] / med["earlier referral, plain"]
    earlier_cpu = med_cpu["ours"] / med_cpu["earlier referral, plain"]
    print(
        "  earlier referral, plain = write_pdf of benchmarks/baseline/referral.html with its own stylesheet, new\n"
        "          FontConfiguration per call, default options (the referral before the one-page letter)"
    )
    print(
        f"  ratio ours/earlier referral: {earlier:.2f}x wall, {earlier_cpu:.2f}x CPU  "
        f"(target <= 0.5x: {_verdict(max(earlier, earlier_cpu) <= 0.5)})"
    )
    return med["ours"]


# ---------------------------------------------------------------------------------------------
# 2. Batch throughput


def _stat_fields(pid: int | str) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [1] parent pid, [11] user and [12] system CPU in clock ticks."""
    try:
        with Path(f"/proc/{pid}/stat").open(encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _workers_of(batch_pid: int) -> set[int]:
    """The pool's worker processes: children of the forkserver, itself a child of the batch process.

    (Not their own children: ctypes' find_library runs short-lived helpers while WeasyPrint loads.)
    """
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (fields := _stat_fields(entry.name)) is not None:
            parents[int(entry.name)] = int(fields[1])
    direct = {pid for pid, ppid in parents.items() if ppid == batch_pid}
    return {pid for pid, ppid in parents.items() if ppid in direct}


def _machine_busy_ticks() -> int:
    """Clock ticks the whole machine has spent busy (all cores), from /proc/stat."""
    with Path("/proc/stat").open(encoding="ascii") as stat:
        ticks = [int(n) for n in stat.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return user + nice + system + irq + softirq + steal


def batch_run(input_dir: Path, output_dir: Path, workers: int, count: int) -> dict[str, Any]:
    """Run ``screening batch`` in a subprocess, noting when each PDF appears and each worker's peak RSS."""
    shutil.rmtree(output_dir, ignore_errors=True)
    output_dir.mkdir(parents=True)
    cmd = [
        sys.executable, "-m", "screening", "batch", str(input_dir), "-o", str(output_dir),
        "--workers", str(workers), "--force", "--no-progress", "--generated-at", WHEN.isoformat(),
    ]  # fmt: skip
    seen: dict[str, float] = {}
    peaks: dict[int, int] = {}  # worker pid -> VmHWM KiB
    cpu: dict[int, int] = {}  # worker pid -> user + system clock ticks, last reading
    busy_before = _machine_busy_ticks()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tick = 0
    workers_seen: set[int] = set()
    while proc.poll() is None:
        now = time.perf_counter() - start
        for entry in os.scandir(output_dir):  # write_atomic renames into place: a *.pdf is complete
            if entry.name.endswith(".pdf") and not entry.name.startswith(".") and entry.name not in seen:
                seen[entry.name] = now
        if tick % 25 == 0:  # every ~0.5 s look for new workers
            workers_seen |= _workers_of(proc.pid)
        for pid in workers_seen:  # VmHWM is a high-water mark: reading it often enough catches the peak
            peak, fields = _status_kib("VmHWM", pid), _stat_fields(pid)
            if peak is not None and fields is not None:
                peaks[pid] = max(peak, peaks.get(pid, 0))
                cpu[pid] = int(fields[11]) + int(fields[12])
        tick += 1
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    out, err = proc.communicate()
    for entry in os.scandir(output_dir):
        if entry.name.endswith(".pdf") and not entry.name.startswith("."):
            seen.setdefault(entry.name, elapsed)
    if proc.returncode != 0 or len(seen) != count:
        errors = err.strip().splitlines()
        shown = "\n    ".join(errors[:6] + ([f"... ({len(errors) - 6} more lines)"] if len(errors) > 6 else []))
        print(f"  batch with {workers} worker(s) FAILED (exit {proc.returncode}, {len(seen)} PDFs):\n    {shown}")
    hz = os.sysconf("SC_CLK_TCK")
    return {
        "elapsed": elapsed,
        "times": sorted(seen.values()),
        "peaks": peaks,
        "summary": out.strip(),
        "worker_cores": sum(cpu.values()) / hz / elapsed,
        "machine_cores": (_machine_busy_ticks() - busy_before) / hz / elapsed,
    }


def batch(count: int, in_process_ms: float) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        input_dir = Path(tmp) / "responses"
        input_dir.mkdir()
        text = EXAMPLE.read_bytes()
        for i in range(count):
            (input_dir / f"patient_{i:04d}.yaml").write_bytes(text)

        runs = {workers: batch_run(input_dir, Path(tmp) / f"out{workers}", workers, count) for workers in (1, 2)}

    print(f"\n2. `screening batch` of {count} copies, --force --no-progress, subprocess timed end to end")
    steady: dict[int, float] = {}
    for workers, run in runs.items():
        times = run["times"]
        rate = len(times) / run["elapsed"]
        # steady state: from the moment every worker has finished one PDF to the last PDF
        steady[workers] = (len(times) - workers) / (times[-1] - times[workers - 1])
        print(
            f"  --workers {workers}: {run['elapsed']:.2f} s -> {rate:.2f} PDFs/s end to end; "
            f"first PDF after {times[0]:.2f} s, last PDF to exit {run['elapsed'] - times[-1]:.2f} s; "
            f"steady {steady[workers]:.2f} PDFs/s ({1000 / steady[workers]:.0f} ms/PDF per worker slot x{workers})"
        )
        print(
            f"    ({run['summary']}); the workers used {run['worker_cores']:.2f} cores on average, "
            f"the whole machine {run['machine_cores']:.2f} of {os.cpu_count()}"
        )
    speedup = (count / runs[2]["elapsed"]) / (count / runs[1]["elapsed"])
    print(f"  speed-up 2 workers / 1 worker, end to end: {speedup:.2f}x  (target >= 1.7x: {_verdict(speedup >= 1.7)})")
    print(f"  speed-up excluding start-up (steady state): {steady[2] / steady[1]:.2f}x")
    others = max(run["machine_cores"] - run["worker_cores"] for run in runs.values())
    if others > 0.25:
        print(
            f"  WARNING: other processes kept up to {others:.2f} cores busy during a batch run (the batch's main "
            "process needs little): the throughput figures understate the machine; run again when it is quiet"
        )
    print(
        f"  1 worker steady {1000 / steady[1]:.0f} ms/PDF (load + assess + render + write); "
        f"in-process render_pdf median in part 1: {in_process_ms * 1000:.0f} ms"
    )
    for workers, run in runs.items():
        peaks = run["peaks"]
        if peaks:
            listed = ", ".join(_mib(kib) for kib in peaks.values())
            print(f"  peak RSS (VmHWM) of the {len(peaks)} worker process(es) seen with --workers {workers}: {listed}")
    print(
        "  (getrusage(RUSAGE_CHILDREN).ru_maxrss is not used: the workers are the forkserver's children, and a\n"
        "  fork + exec child's ru_maxrss starts at its parent's size at the fork, here this benchmark's own)"
    )


# ---------------------------------------------------------------------------------------------
# 3. Memory


def memory_child(path: str, count: int) -> None:
    """In a fresh process: render ``count`` PDFs one way, printing RSS samples as JSON."""
    subject = Subject()
    fn = subject.ours if path == "ours" else subject.naive
    gc.collect()
    samples = [(0, _status_kib("VmRSS"))]
    for i in range(1, count + 1):
        fn()
        if i % SAMPLE_EVERY == 0:
            gc.collect()  # count only what is still reachable, not garbage waiting for a collection
            samples.append((i, _status_kib("VmRSS")))
    # VmHWM, not ru_maxrss: a process started by fork + exec reports in ru_maxrss its parent's size at the fork
    print(json.dumps({"samples": samples, "peak": _status_kib("VmHWM")}))


def memory(count: int) -> None:
    """Both paths at once, each in its own fresh process (memory figures do not mind sharing the CPU)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-child"]
    procs = {
        path: subprocess.Popen([*cmd, path, "--memory-docs", str(count)], stdout=subprocess.PIPE, text=True)
        for path in ("ours", "naive")
    }
    results = {}
    for path, proc in procs.items():
        out, _ = proc.communicate()
        results[path] = json.loads(out.strip().splitlines()[-1])

    print(f"\n3. memory of {count} renders in one fresh process, RSS (VmRSS) every {SAMPLE_EVERY} documents")
    slope = {}
    for path, result in results.items():
        samples = dict(result["samples"])
        print(f"  {path:<6} " + " ".join(f"{n}:{kib / 1024:.1f}" for n, kib in samples.items()) + " MiB")
        first = SAMPLE_EVERY
        grown = samples[count] - samples[first]
        later = [(n, kib) for n, kib in samples.items() if n >= first]
        # least-squares slope over every sample from document 20 on: less swayed by one noisy sample
        slope[path] = statistics.linear_regression([n for n, _ in later], [kib for _, kib in later]).slope
        print(
            f"         growth document {first} -> {count}: {grown / 1024:+.1f} MiB = "
            f"{grown / (count - first):+.0f} KiB/document; fitted slope {slope[path]:+.1f} KiB/document; "
            f"peak RSS (VmHWM) {_mib(result['peak'])}"
        )
    # RSS moves in 1-2 MiB steps (allocator arenas), so 180 documents cannot resolve much below ~10 KiB each;
    # 20 KiB/document is under a tenth of the known leak of a FontConfiguration per document (~220 KiB).
    flat = slope["ours"] < 20
    print(
        f"  fitted growth: ours {slope['ours']:+.1f} KiB/document vs naive {slope['naive']:+.1f} KiB/document "
        f"(target flat, < 20 KiB/document at this resolution: {_verdict(flat)})"
    )


# ---------------------------------------------------------------------------------------------
# --profile


def profile(subject: Subject, repeat: int) -> None:
    subject.ours()
    subject.naive()
    for name, fn in (("ours", subject.ours), ("naive", subject.naive)):
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeat):
            fn()
        profiler.disable()
        print(f"\n--- cProfile, {name}, {repeat} renders: top 25 by cumulative time ---")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        print(f"--- {name}: top 20 by own time ---")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def _git_state() -> str:
    """', git <commit>' (plus the number of changed files) when run from a checkout, else ''."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True)
    except OSError:
        return ""
    if head.returncode != 0:
        return ""
    changed = len(dirty.stdout.splitlines())
    return f", git {head.stdout.strip()}" + (f" with {changed} changed or new files" if changed else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="renders per path for the per-PDF median")
    parser.add_argument("--batch", type=int, default=200, help="PDFs in each batch run")
    parser.add_argument("--memory-docs", type=int, default=200, help="renders per path for the memory check")
    parser.add_argument("--literal-naive", action="store_true", help="also time CSS() without a font_config")
    parser.add_argument("--profile", action="store_true", help="only profile both paths with cProfile")
    parser.add_argument("--memory-child", choices=("ours", "naive"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.memory_docs)
        return 0

    import weasyprint

    import screening

    start = time.perf_counter()
    print(
        f"python {platform.python_version()} on {sys.platform}, weasyprint {weasyprint.__version__}, "
        f"{os.cpu_count()} cores (load average {os.getloadavg()[0]:.2f}); example {EXAMPLE.relative_to(ROOT)}"
    )
    print(f"screening from {Path(screening.__file__).parent}{_git_state()}")
    subject = Subject()
    if args.profile:
        profile(subject, args.repeat)
        return 0
    ours_seconds = per_pdf(subject, args.repeat, args.literal_naive)
    batch(args.batch, ours_seconds)
    memory(args.memory_docs)
    print(f"\ntotal {time.perf_counter() - start:.0f} s (load average now {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
