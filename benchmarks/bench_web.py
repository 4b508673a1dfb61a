"""Web intake speed: latency of submitting a completed staff intake form under 20 and 200 concurrent clients.

Run: python benchmarks/bench_web.py [--seconds 30] [--clients 20,200] [--port N] [--answer-sets 500] [--calm 0.98]
                                    [--keep] [--against DIR] [--rounds N] [--postgresql]

About 45 s with the defaults. What it does, all on loopback on this machine:

1. Starts ``screening serve`` in a subprocess with a fresh data folder (SQLite, WAL) on a free port, after
   creating one staff account with ``screening user add``.
2. Generates the answer sets before anything is timed: ``screening.sampling`` with a typical-clinic mix
   (``--calm``: 98% of yes/no questions answered "no", which gives ~8% emergencies, ~45% urgent GP),
   turned into intake form fields the way a browser sends them, with ``seen`` listing every question shown
   for those answers, so the server never asks for follow-ups.
3. Signs in each client (its own cookie jar: CSRF cookie and staff session), then runs a closed loop per
   client for ``--seconds``: POST /staff/intake (parse + assess + store; the server runs with ``--no-jobs``,
   so each submission queues its PDF and nothing renders it during the run), wait for the answer, submit the
   next one. A 303 to the new submission is a success; anything else (a re-rendered form, 4xx, 5xx, a
   timeout) is an error. All clients share one asyncio event loop in this process; its CPU use is printed so
   you can tell whether the client, not the server, was the limit. The server's CPU per submission is its CPU
   during the timed loop (with ``--workers``, the supervisor's and every server process's) divided by the
   submissions answered in it: the sign-ins before (an argon2 check each, slow on purpose) and the warm-up
   requests are not counted.
4. Stops the server and counts the rows of the ``submissions`` table: every success must be there exactly
   once ("lost submissions" and duplicates), nothing else.

With ``--postgresql`` each run gets a fresh database on a private PostgreSQL server (Debian's ``postgresql``
package, started and removed by the benchmark, as the tests do) instead of SQLite. PostgreSQL's own processes
then do part of the work: their CPU during the timed loop is printed apart, and added in "with the database".

With ``--against DIR`` each run is made twice, first with the server's code from DIR (another checkout of the
project, say the previous release), then with this one, ``--rounds`` times in turn, and a table compares server CPU
per submission and p99: both measured in the same run on the same machine, so a busy machine slows both alike.

Printed: requests, throughput, p50/p90/p99/max latency, errors, against the target (p99 < 150 ms, zero
errors, zero lost submissions), and, as a baseline measured in the same run, the in-process cost of the
engine work per submission (parse + assess), so the share of the latency that is HTTP, middleware and
storage can be read off. Timings are reported, never turned into a failing exit status; the exit status
is 1 only if the benchmark could not run (the server did not start, sign-in failed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import math
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx2 as httpx  # the maintained successor of httpx, as the project's tests use
import sqlalchemy
from starlette.datastructures import FormData, UploadFile

from screening.assessment import assessment_json
from screening.definition import Definition
from screening.loader import load_definition
from screening.response import parse_response, response_json
from screening.sampling import RandomChooser, sample_response
from screening.scorer import assess
from screening.web import forms

TARGET_P99_MS = 150.0
STAFF_NAME = "bench-staff"
CREATED = re.compile(r"^/staff/submissions/([0-9a-f]{32})\?created=1$")
ERROR_ITEM = re.compile(r'<li><a href="#f-([^"]+)">(.*?)</a>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")
NOTICE = re.compile(r'<div class="notice[^"]*"[^>]*><p>([^<]*)</p>')


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _processes() -> dict[int, tuple[str, list[str]]]:
    """Every process's name and the fields of /proc/PID/stat after the name (empty where there is no /proc)."""
    found: dict[int, tuple[str, list[str]]] = {}
    for stat_path in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat_path.read_text(encoding="ascii", errors="replace")
        except OSError:
            continue  # ended meanwhile
        name, _, rest = text.partition(" (")[2].rpartition(") ")
        found[int(stat_path.parent.name)] = (name, rest.split())
    return found


def _tree_ticks(pid: int) -> int | None:
    """CPU of a process and every process below it (``--workers N`` runs the servers as children of a
    supervisor), in clock ticks; None where there is no /proc."""
    processes = _processes()
    if pid not in processes:
        return None
    tree, grew = {pid}, True
    while grew:
        below = {child for child, (_, fields) in processes.items() if int(fields[1]) in tree} - tree
        tree |= below
        grew = bool(below)
    return sum(int(processes[member][1][11]) + int(processes[member][1][12]) for member in tree)


def _postgres_ticks() -> int | None:
    """CPU of every ``postgres`` process, in clock ticks, with the children they have reaped (a backend whose
    connection closed is counted in the postmaster's child time)."""
    ticks = [
        sum(int(n) for n in fields[11:15])  # utime, stime, cutime, cstime
        for name, fields in _processes().values()
        if name == "postgres"
    ]
    return sum(ticks) if ticks else None


def _machine_busy_ticks() -> int | None:
    try:
        with Path("/proc/stat").open(encoding="ascii") as stat:
            ticks = [int(n) for n in stat.readline().split()[1:9]]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return user + nice + system + irq + softirq + steal


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------------
# Answer sets


@dataclass
class AnswerSet:
    document: dict[str, Any]  # what the server builds from the form, for the in-process baseline
    fields: list[tuple[str, str]]  # the form fields, as a browser sends them
    encoded: bytes  # the fields url-encoded, without csrftoken and key (added per request)


def _form(fields: list[tuple[str, str]]) -> FormData:
    """The fields as Starlette's FormData, which is what the server's form reader gets."""
    items: list[tuple[str, str | UploadFile]] = list(fields)
    return FormData(items)


def _form_fields(definition: Definition, answers: dict[str, Any], name: str) -> list[tuple[str, str]]:
    fields = [("name", name)]
    for item_id, value in answers.items():
        for one in value if isinstance(value, list) else [value]:
            text = str(one).strip()
            if text:
                fields.append((item_id, text))
    # every answerable question shown for these answers, as the form's hidden "seen" field lists them
    values = forms.read_form(definition, _form(fields)).values
    shown = forms.shown_items(definition, values)
    seen = " ".join(i for i in definition.answerable if i in shown)
    return [("seen", seen), *fields]


def answer_sets(definition: Definition, count: int, calm: float) -> list[AnswerSet]:
    chooser = RandomChooser(seed=2026, calm=calm)
    sets = []
    for n in range(count):
        name = f"Test Patient {n + 1:04d}"  # fictional
        document = sample_response(definition, chooser, respondent="staff")
        fields = _form_fields(definition, document["answers"], name)
        read = forms.read_form(definition, _form(fields))
        problems = read.invalid or forms.item_errors(
            definition, read, definition.items, forms.shown_items(definition, read.values)
        )
        if problems:
            raise SystemExit(f"generated answer set {n} would not pass the form: {problems}")
        document = {**document, "patient": {"name": name}, "answers": read.values}
        sets.append(AnswerSet(document, fields, urlencode(fields).encode("ascii")))
    return sets


def engine_baseline(definition: Definition, sets: list[AnswerSet]) -> tuple[float, float]:
    """Seconds per submission in-process: parse + assess once, and the intake handler's engine work.

    The handler's engine work: read the form, decide which questions are shown, parse + assess once (the
    same assessment serves the emergency check and the stored row), and serialise the response and
    assessment to JSON for the row.
    """

    def once() -> None:
        for s in sets:
            assess(definition, parse_response(s.document, definition, hidden="drop"))

    def handler_work() -> None:
        for s in sets:
            values = forms.read_form(definition, _form(s.fields)).values
            forms.shown_items(definition, values)
            response = parse_response(s.document, definition, hidden="drop", partial=True)
            assessment = assess(definition, response)
            response_json(response)
            assessment_json(assessment)

    results = []
    for fn in (once, handler_work):
        fn()  # warm-up
        times = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        results.append(statistics.median(times) / len(sets))
    return results[0], results[1]


# ---------------------------------------------------------------------------------------------
# The server


class Server:
    def __init__(
        self, data_dir: Path, port: int, workers: int = 1, code: Path | None = None, database_url: str | None = None
    ) -> None:
        self.workers = workers
        self.code = code or Path(__file__).resolve().parent.parent  # the checkout whose server is measured
        self.data_dir = data_dir
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log = data_dir / "server-stderr.log"
        # the bench's own data folder, whatever the environment says
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
        self.env["PYTHONPATH"] = str(self.code)
        if database_url:
            self.env["SCREENING_DATABASE_URL"] = database_url
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, stdin: str = "") -> None:
        cmd = [sys.executable, "-m", "screening", *args, "--data", str(self.data_dir)]
        done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=self.env, cwd=self.code)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args[:2])} failed (exit {done.returncode}):\n{done.stderr.strip()}")

    def start(self) -> float:
        cmd = [sys.executable, "-m", "screening", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        cmd += ["--data", str(self.data_dir), "--workers", str(self.workers)]
        server_cli = self.code / "screening" / "cli" / "server.py"
        if server_cli.exists() and "--no-jobs" in server_cli.read_text("utf-8"):
            # the request path alone: the PDFs would otherwise be rendered in the server (an older checkout
            # renders them only when asked, and has no such flag)
            cmd += ["--no-jobs"]
        started = time.perf_counter()
        with self.log.open("wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=self.env, cwd=self.code)
        deadline = started + 30
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.base + "/staff/login", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"the server did not answer within 30 s:\n{self.tail()}")

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()  # uvicorn shuts down gracefully on SIGTERM
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "\n".join("    " + line for line in text[-lines:])

    def problems(self) -> tuple[Counter[str], int]:
        """Non-2xx/3xx statuses in the access log and the number of tracebacks in the server's stderr."""
        statuses: Counter[str] = Counter()
        tracebacks = 0
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return statuses, 0
        for line in text.splitlines():
            if line.startswith("Traceback"):
                tracebacks += 1
            elif " screening.web: " in line:
                parts = line.rsplit(" ", 3)  # ... METHOD ROUTE STATUS TIMEms
                if len(parts) == 4 and parts[2].isdigit() and int(parts[2]) >= 400:
                    statuses[f"{parts[1]} {parts[2]}"] += 1
        return statuses, tracebacks


# ---------------------------------------------------------------------------------------------
# The clients


@dataclass
class Results:
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (start offset s, latency s), timed run
    created: list[str] = field(default_factory=list)  # submission ids from successful answers, warm-up included
    errors: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)
    warmup_ok: int = 0


def _reason(response: httpx.Response) -> str:
    if response.status_code == 200:
        found = ERROR_ITEM.findall(response.text)
        notice = NOTICE.search(response.text)
        shown = "; ".join(f"{item}: {html.unescape(TAG.sub('', message)).strip()}" for item, message in found[:3])
        return "form re-rendered: " + (shown or (notice.group(1) if notice else "no error summary found"))
    location = response.headers.get("location", "")
    body = re.sub(r"\s+", " ", html.unescape(TAG.sub(" ", response.text))).strip()[:200]
    return f"HTTP {response.status_code}" + (f" to {location}" if location else "") + (f": {body}" if body else "")


async def _login(client: httpx.AsyncClient, password: str) -> str:
    """Sign in; returns the CSRF token to send with each form."""
    page = await client.get("/staff/login")
    token = client.cookies.get("csrftoken")
    if page.status_code != 200 or not token:
        raise SystemExit(f"GET /staff/login: {page.status_code}, csrftoken cookie {'set' if token else 'missing'}")
    done = await client.post("/staff/login", data={"csrftoken": token, "name": STAFF_NAME, "password": password})
    if done.status_code != 303 or not client.cookies.get("screening_session"):
        raise SystemExit(f"POST /staff/login did not sign in: {_reason(done)}")
    form = await client.get("/staff/intake")
    if form.status_code != 200 or 'name="seen"' not in form.text:
        raise SystemExit(f"GET /staff/intake after sign-in: {_reason(form)}")
    return token


async def _submit(client: httpx.AsyncClient, token: str, answer_set: AnswerSet, results: Results) -> bool:
    body = f"csrftoken={quote(token)}&key={uuid.uuid4().hex}&".encode("ascii") + answer_set.encoded
    try:
        response = await client.post(
            "/staff/intake", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
        )
    except httpx.HTTPError as exc:
        reason = f"{type(exc).__name__}: {exc}"
        results.errors[type(exc).__name__] += 1
    else:
        found = CREATED.match(response.headers.get("location", "")) if response.status_code == 303 else None
        if found:
            results.created.append(found.group(1))
            return True
        reason = _reason(response)
        results.errors["form re-rendered (200)" if response.status_code == 200 else f"HTTP {response.status_code}"] += 1
    if len(results.first_errors) < 3:
        results.first_errors.append(reason)
    return False


async def _client(
    number: int,
    base: str,
    password: str,
    sets: list[AnswerSet],
    results: Results,
    start_gate: asyncio.Event,
    ready: list[float],
    clock: dict[str, float],
    one_at_a_time: asyncio.Lock,
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=30, limits=limits) as client:
        # one sign-in after another: the server counts each attempt before checking its password (and gives a
        # successful one back after), so a burst of 20 sign-ins under one name would be paused as guessing
        async with one_at_a_time:
            token = await _login(client, password)
        for n in range(2):  # warm-up: first requests on a fresh connection and a cold server
            if await _submit(client, token, sets[(number * 7 + n) % len(sets)], results):
                results.warmup_ok += 1
        ready.append(time.perf_counter())
        await start_gate.wait()
        n = number * 37  # each client walks the answer sets from its own place
        while (start := time.perf_counter()) < clock["end"]:
            ok = await _submit(client, token, sets[n % len(sets)], results)
            if ok:
                results.latencies.append((start - clock["start"], time.perf_counter() - start))
            n += 1


async def run_clients(
    base: str, password: str, sets: list[AnswerSet], clients: int, seconds: float, server_pid: int = 0
) -> dict[str, Any]:
    """Sign every client in and warm it up, then the timed closed loop; the CPU figures cover the timed part only
    (not the sign-ins, whose password checks are slow on purpose, nor the cold server's first requests)."""
    results = Results()
    gate = asyncio.Event()
    ready: list[float] = []
    clock = {"start": math.inf, "end": math.inf}
    signing_in = asyncio.Lock()
    tasks = [
        asyncio.create_task(_client(n, base, password, sets, results, gate, ready, clock, signing_in))
        for n in range(clients)
    ]
    while len(ready) < clients:
        finished = [t for t in tasks if t.done()]
        if finished:
            finished[0].result()  # raises the sign-in failure
            raise SystemExit("a client stopped before the timed run")
        await asyncio.sleep(0.05)
    warmup_errors = sum(results.errors.values())
    cpu_before, busy_before, database_before = _own_cpu(), _machine_busy_ticks(), _postgres_ticks()
    server_before = _tree_ticks(server_pid) if server_pid else None
    clock["start"] = time.perf_counter()
    clock["end"] = clock["start"] + seconds
    gate.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - clock["start"]
    busy_after, database_after = _machine_busy_ticks(), _postgres_ticks()
    server_after = _tree_ticks(server_pid) if server_pid else None
    return {
        "server_ticks": (server_before, server_after),
        "database_ticks": (database_before, database_after),
        "results": results,
        "elapsed": elapsed,
        "client_cpu": _own_cpu() - cpu_before,
        "machine_busy": (busy_after - busy_before) / os.sysconf("SC_CLK_TCK")
        if busy_before is not None and busy_after is not None
        else None,
        "warmup_errors": warmup_errors,
    }


# ---------------------------------------------------------------------------------------------
# Checking the database afterwards


def count_rows(database_url: str, created: list[str]) -> dict[str, int]:
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows, distinct_keys = connection.execute(
                sqlalchemy.text("SELECT count(*), count(DISTINCT idempotency_key) FROM submissions")
            ).one()
            stored = {row[0] for row in connection.execute(sqlalchemy.text("SELECT id FROM submissions"))}
            sessions = -1
            if connection.dialect.name == "postgresql":  # connections opened to the database, this one excluded
                query = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
                sessions = connection.execute(sqlalchemy.text(query)).scalar_one()
    finally:
        engine.dispose()
    answered = set(created)
    return {
        "connections_opened": sessions,
        "rows": rows,
        "duplicate_keys": rows - distinct_keys,
        "lost": len(answered - stored),
        "unanswered_rows": len(stored - answered),
        "repeated_ids_in_answers": len(created) - len(answered),
    }


# ---------------------------------------------------------------------------------------------


def run_once(
    args: argparse.Namespace,
    clients: int,
    sets: list[AnswerSet],
    once: float,
    handler_work: float,
    code: Path | None = None,
    postgresql: Any = None,
) -> tuple[float, float, float]:
    """One timed run with ``clients`` closed-loop clients against a fresh server, and its figures.

    ``postgresql``: a running private PostgreSQL server (``tests/helpers/postgres.py``) to store in, not SQLite.
    Returns the server's CPU per successful submission (ms), the p99 latency (ms) and the throughput (req/s)."""
    print(f"\n== {clients} clients" + (f", server code from {code}" if code else ""))
    data_dir = Path(tempfile.mkdtemp(prefix="bench-web-"))
    database_url = postgresql.new_database() if postgresql else f"sqlite:///{data_dir / 'screening.db'}"
    server = Server(data_dir, args.port or _free_port(), args.workers, code, database_url if postgresql else None)
    password = secrets.token_urlsafe(18)
    try:
        server.cli("user", "add", STAFF_NAME, "--password-stdin", stdin=password + "\n")
        startup = server.start()
        print(f"server: `screening serve` on {server.base}, answering after {startup:.1f} s; data {data_dir}")
        pid = server.proc.pid if server.proc else 0
        run = asyncio.run(run_clients(server.base, password, sets, clients, args.seconds, pid))
        server_ticks, server_ticks_after = run["server_ticks"]
        database_ticks, database_ticks_after = run["database_ticks"]
    finally:
        exit_code = server.stop()
    results: Results = run["results"]
    rows = count_rows(database_url, results.created)

    latencies = sorted(latency for _, latency in results.latencies)
    errors = sum(results.errors.values())
    elapsed = run["elapsed"]
    p = {q: _percentile(latencies, q / 100) * 1000 for q in (50, 90, 99)}
    print(f"\nPOST /staff/intake, {clients} concurrent clients, closed loop, {elapsed:.1f} s timed:")
    print(
        f"  {len(latencies):,} successful submissions, {len(latencies) / elapsed:.0f} req/s; errors {errors} "
        f"(plus {run['warmup_errors']} in the warm-up of 2 per client)"
    )
    if latencies:
        print(
            f"  latency p50 {p[50]:.1f} ms, p90 {p[90]:.1f} ms, p99 {p[99]:.1f} ms, max {latencies[-1] * 1000:.1f} ms, "
            f"mean {statistics.mean(latencies) * 1000:.1f} ms"
        )
        window = 5.0
        buckets: dict[int, list[float]] = {}
        for offset, latency in results.latencies:
            buckets.setdefault(int(offset // window), []).append(latency)
        print(
            f"  p99 per {window:g} s window: "
            + ", ".join(f"{_percentile(sorted(v), 0.99) * 1000:.0f}" for _, v in sorted(buckets.items()))
            + " ms"
        )
    for reason in results.first_errors:
        print(f"  error: {reason}")
    if results.errors:
        print(f"  errors by kind: {dict(results.errors)}")

    hz = os.sysconf("SC_CLK_TCK")
    server_cores = (
        (server_ticks_after - server_ticks) / hz / elapsed
        if server_ticks is not None and server_ticks_after is not None
        else None
    )
    database_cores = (
        (database_ticks_after - database_ticks) / hz / elapsed
        if postgresql and database_ticks is not None and database_ticks_after is not None
        else None
    )
    cpu = f"  CPU: this client (one event loop) {run['client_cpu'] / elapsed:.2f} cores"
    if server_cores is not None:
        cpu += f", server {server_cores:.2f} cores"
    if database_cores is not None:
        cpu += f", PostgreSQL {database_cores:.2f} cores"
    if run["machine_busy"] is not None:
        cpu += f", whole machine {run['machine_busy'] / elapsed:.2f} of {os.cpu_count()}"
    print(cpu)
    if run["client_cpu"] / elapsed > 0.5:
        print("  WARNING: the client used over half a core; on 2 cores it competes with the server")
    if run["machine_busy"] is not None and server_cores is not None:
        others = (run["machine_busy"] - run["client_cpu"]) / elapsed - server_cores - (database_cores or 0.0)
        if others > 0.25:
            print(
                f"  WARNING: other processes kept {others:.2f} cores busy during the run: the server had less than "
                "the machine; the latency figures are pessimistic, run again when it is quiet"
            )

    print(
        f"  database afterwards: {rows['rows']:,} rows in submissions for {len(results.created):,} successful answers "
        f"(warm-up included); lost submissions: {rows['lost']}; duplicate idempotency keys: "
        f"{rows['duplicate_keys']}; rows nobody was told about: {rows['unanswered_rows']}; "
        f"ids answered twice: {rows['repeated_ids_in_answers']}"
    )
    if rows["connections_opened"] >= 0:
        print(
            f"  PostgreSQL connections opened by the server (sign-ins and warm-up included): "
            f"{rows['connections_opened']:,}"
        )

    per_request = statistics.mean(latencies) if latencies else math.nan
    print(
        f"  baseline in-process, same answer sets: parse + assess {once * 1000:.2f} ms per submission; "
        f"the handler's engine work (read form, shown questions, parse + assess, JSON) {handler_work * 1000:.2f} ms"
    )
    if latencies:
        print(
            f"  ratio: p50 is {p[50] / (handler_work * 1000):.0f}x the engine work; the engine is "
            f"{handler_work / per_request:.1%} of the mean latency, the rest is HTTP, middleware, auth, storage "
            f"and waiting for the server"
        )
        server_ms = server_cores / (len(latencies) / elapsed) * 1000 if server_cores else math.nan
        print(f"  server CPU per submission: {server_ms:.2f} ms (engine work {handler_work * 1000:.2f} ms of it)")
        if database_cores is not None and latencies:
            database_ms = database_cores / (len(latencies) / elapsed) * 1000
            print(
                f"  PostgreSQL CPU per submission: {database_ms:.2f} ms; with the database: "
                f"{server_ms + database_ms:.2f} ms"
            )
        if server_ms == server_ms:  # not NaN
            processes = args.workers
            ceiling = 1000 / server_ms * processes
            who = f"{processes} server processes, each" if processes > 1 else "one server process,"
            print(
                f"  capacity: {who} given a whole core, at {server_ms:.1f} ms CPU per submission, "
                f"{'answer' if processes > 1 else 'answers'} at most ~{ceiling:.0f} req/s, so {clients} clients in a "
                f"closed loop wait at least {clients / ceiling * 1000:.0f} ms on average (Little's law: clients / "
                "throughput)"
            )

    statuses, tracebacks = server.problems()
    if statuses or tracebacks or errors or exit_code not in (0, -signal.SIGTERM, None):
        print(f"\nserver: exit {exit_code}; error statuses {dict(statuses)}; tracebacks {tracebacks}; stderr tail:")
        print(server.tail(20))

    met = bool(latencies) and p[99] < TARGET_P99_MS
    print(
        f"\np99 {p[99]:.1f} ms vs target {TARGET_P99_MS:.0f} ms: {_verdict(met)}; errors {errors} (target 0: "
        f"{_verdict(errors == 0)}); lost submissions {rows['lost']} (target 0: {_verdict(rows['lost'] == 0)})"
    )
    if args.keep:
        print(f"data folder kept: {data_dir} (server log: {server.log.name})")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    server_ms = server_cores / (len(latencies) / elapsed) * 1000 if server_cores and latencies else math.nan
    return server_ms, p[99] if latencies else math.nan, len(latencies) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the timed run (default 30)")
    parser.add_argument(
        "--clients",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[20, 200],
        help="concurrent clients, closed loop; several runs for a comma-separated list (default 20,200)",
    )
    parser.add_argument("--port", type=int, default=0, help="port for the server (default: a free one)")
    parser.add_argument("--answer-sets", type=int, default=500, help="distinct answer sets to cycle through")
    parser.add_argument(
        "--calm",
        type=float,
        default=0.98,
        help="share of yes/no questions answered 'no' (default 0.98: a typical clinic, ~8%% emergencies; "
        "0.9 gives ~40%% emergencies)",
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (screening serve --workers)")
    parser.add_argument("--keep", action="store_true", help="keep the data folder (database and server log)")
    parser.add_argument(
        "--against", type=Path, help="another checkout of the project: each run is made with its server first"
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --against: how many times to alternate")
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="store in a private PostgreSQL server (needs Debian's postgresql package) instead of SQLite",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.postgresql:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
            from helpers import postgres  # tests/helpers/postgres.py

            args.database = stack.enter_context(postgres.running_server())
        else:
            args.database = None
        return _benchmark(args)


def _benchmark(args: argparse.Namespace) -> int:

    began = time.perf_counter()
    print(
        f"python {platform.python_version()} on {sys.platform}, httpx {httpx.__version__}, {os.cpu_count()} cores "
        f"(load average {os.getloadavg()[0]:.2f}); clients {args.clients}, {args.seconds:g} s each, loopback, "
        + ("PostgreSQL" if args.database else "SQLite")
    )
    definition = load_definition()
    sets = answer_sets(definition, args.answer_sets, args.calm)
    mix = Counter(assess(definition, parse_response(s.document, definition, hidden="drop")).disposition.value
                  for s in sets)  # fmt: skip
    print(
        f"{len(sets)} generated answer sets (calm {args.calm:g}), {statistics.mean(len(s.fields) for s in sets):.0f} "
        f"form fields and {statistics.mean(len(s.encoded) for s in sets):,.0f} bytes each on average; "
        f"dispositions {dict(sorted(mix.items()))}"
    )
    once, handler_work = engine_baseline(definition, sets)

    rows: list[tuple[int, str, float, float, float]] = []
    for clients in args.clients:
        for _ in range(args.rounds if args.against else 1):
            if args.against:
                against = run_once(args, clients, sets, once, handler_work, args.against, args.database)
                rows.append((clients, "against", *against))
            rows.append((clients, "this", *run_once(args, clients, sets, once, handler_work, None, args.database)))
    if args.against:
        print(f"\nserver code: 'against' = {args.against.resolve()}, 'this' = {Path(__file__).resolve().parent.parent}")
        print("clients  code     server CPU per submission  p99        throughput")
        for clients, label, cpu_ms, p99, rate in rows:
            print(f"{clients:>7}  {label:<7}  {cpu_ms:>22.2f} ms  {p99:>6.1f} ms  {rate:>6.0f} req/s")
    print(f"total {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
