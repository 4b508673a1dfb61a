"""Render every response in a folder to a referral PDF, in parallel, keeping going past bad files."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .errors import EXIT_USAGE, ScreeningError

RESPONSE_SUFFIXES = (".yaml", ".yml", ".json")
TASKS_PER_WORKER = 200  # a worker is replaced after this many documents, bounding any slow leak


@dataclass(frozen=True)
class Job:
    source: Path
    target: Path


@dataclass(frozen=True)
class Outcome:
    source: Path
    error: str | None = None
    disposition: str | None = None


# Worker state: built once per process by _start_worker, reused for every document it renders.
_WORKER: dict[str, object] = {}


def _start_worker(questionnaire: Path | None, ruleset: Path | None, clinic: Path | None, when: datetime) -> None:
    from .loader import load_definition
    from .report import Renderer, load_clinic_settings

    _WORKER.update(
        definition=load_definition(questionnaire, ruleset),
        clinic=load_clinic_settings(clinic),
        renderer=Renderer(),
        when=when,
    )


def _render(job: Job) -> Outcome:
    """Render one response; any problem comes back as a message, never as a crash of the batch."""
    from .clinic import ClinicSettings
    from .definition import Definition
    from .reading import load_response
    from .report import Renderer, render_pdf, write_atomic
    from .scorer import assess

    definition, clinic = _WORKER["definition"], _WORKER["clinic"]
    renderer, when = _WORKER["renderer"], _WORKER["when"]
    assert isinstance(definition, Definition) and isinstance(clinic, ClinicSettings)
    assert isinstance(renderer, Renderer) and isinstance(when, datetime)
    try:
        response = load_response(job.source, definition)
        assessment = assess(definition, response)
        write_atomic(job.target, render_pdf(definition, response, assessment, clinic, when, using=renderer))
    except ScreeningError as exc:
        return Outcome(job.source, error=exc.format_message())
    except Exception as exc:  # a broken document must not stop the other 199
        return Outcome(job.source, error=f"could not render: {type(exc).__name__}: {exc}")
    return Outcome(job.source, disposition=assessment.disposition.value)


def plan(
    input_dir: Path, output_dir: Path, depends_on: list[Path], force: bool
) -> tuple[list[Job], int, list[tuple[Path, str]]]:
    """The jobs to run, how many PDFs are already newer than their response and the definitions, and the entries
    that are not files (folders, broken links, FIFOs...) with why each was left out."""
    sources: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for entry in sorted(input_dir.iterdir()):
        if entry.is_file():
            if entry.suffix in RESPONSE_SUFFIXES:
                sources.append(entry)
        else:
            skipped.append((entry, _not_a_file(entry)))
    newest_input = max((p.stat().st_mtime for p in depends_on if p.exists()), default=0.0)
    jobs: list[Job] = []
    fresh = 0
    for source in sources:
        target = output_dir / f"{source.stem}.pdf"
        if not force and target.exists():
            built = target.stat().st_mtime
            if built >= source.stat().st_mtime and built >= newest_input:
                fresh += 1
                continue
        jobs.append(Job(source, target))
    return jobs, fresh, skipped


def _not_a_file(entry: Path) -> str:
    """Why an entry of the input folder is not read: what it is instead of a regular file."""
    if entry.is_symlink() and not entry.exists():
        return "a broken link (what it points to does not exist)"
    if entry.is_dir():
        return "a folder (batch reads only the files directly in INPUT_DIR)"
    if entry.is_fifo():
        return "a named pipe, not a file"
    if entry.is_socket():
        return "a socket, not a file"
    if entry.is_block_device() or entry.is_char_device():
        return "a device, not a file"
    return "not a regular file"


def run_batch(args: argparse.Namespace) -> int:
    from .loader import default_questionnaire_path, load_definition, ruleset_path_for
    from .report import REPORTS, generated_at_from, load_clinic_settings, placeholder_warning

    input_dir: Path = args.input_dir
    if not input_dir.is_dir():
        print(f"{input_dir}: not a folder — give the folder that holds the response files", file=sys.stderr)
        return EXIT_USAGE  # the command line names something that cannot be used, as for any other option
    when = generated_at_from(args.generated_at)
    load_definition(args.questionnaire, args.ruleset)  # fail early, once, on a broken definition
    warning = placeholder_warning(load_clinic_settings(args.clinic), args.clinic)
    q_path = args.questionnaire or default_questionnaire_path()
    depends_on = [q_path, args.ruleset or ruleset_path_for(q_path), *REPORTS.rglob("*")]
    if args.clinic:
        depends_on.append(args.clinic)
    try:
        jobs, fresh, skipped = plan(input_dir, args.output, depends_on, args.force)
    except OSError as exc:
        print(f"{input_dir}: cannot list the folder ({exc.strerror or exc}) — check its permissions", file=sys.stderr)
        return 1
    for entry, why in skipped:
        print(f"SKIPPED {entry}: {why}", file=sys.stderr)
    workers = max(1, min(args.workers or os.cpu_count() or 1, len(jobs) or 1))
    outcomes = _run(jobs, workers, (args.questionnaire, args.ruleset, args.clinic, when), not args.no_progress)

    failed = [o for o in outcomes if o.error]
    print(
        f"{len(outcomes) - len(failed)} rendered, {fresh} already up to date, {len(failed)} failed "
        f"({workers} worker{'s' if workers != 1 else ''}) -> {args.output}"
    )
    for outcome in failed:
        print(f"FAILED {outcome.source}:\n  " + (outcome.error or "").replace("\n", "\n  "), file=sys.stderr)
    if warning and len(outcomes) > len(failed):  # only when referrals were written with the placeholders
        print(warning, file=sys.stderr)
    return 1 if failed else 0


Setup = tuple[Path | None, Path | None, Path | None, datetime]


def _run(jobs: list[Job], workers: int, setup: Setup, progress: bool) -> list[Outcome]:
    if not jobs:
        return []
    context = multiprocessing.get_context("forkserver")
    outcomes: list[Outcome] = []
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=setup, max_tasks_per_child=TASKS_PER_WORKER
    ) as pool:
        futures: list[Future[Outcome]] = [pool.submit(_render, job) for job in jobs]
        done = as_completed(futures)
        if progress and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            columns = (TextColumn("rendering"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            with Progress(*columns, transient=True) as bar:
                task = bar.add_task("render", total=len(futures))
                for future in done:
                    outcomes.append(future.result())
                    bar.advance(task)
        else:
            step = max(1, len(futures) // 10)
            for count, future in enumerate(done, start=1):
                outcomes.append(future.result())
                if progress and (count % step == 0 or count == len(futures)):
                    print(f"rendered {count}/{len(futures)}", file=sys.stderr)
    return sorted(outcomes, key=lambda o: o.source)
