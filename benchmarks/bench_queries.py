"""The staff list at scale: first page, last page and name searches over many stored submissions.

Run: python benchmarks/bench_queries.py [--rows 100000] [--postgresql] [--keep DIR]

Builds a database with the migrations, fills it with realistic submissions (answers drawn from the questionnaire,
assessed by the engine; fictional names, a few with invisible or full-width characters; three years of dates),
then times each query the list page makes (rows, capped count, statuses) against the 50 ms target, and the same
page with the query shape used before the keyset pages (every column, OFFSET, a full count, names compared in
Python) as a baseline. Rows are stored as ``store.record_submission`` stores them (compressed response, compact
result, definitions once). ``--postgresql`` runs the same on a private PostgreSQL server (needs Debian's
postgresql package).

Timings are reported, never turned into a failing exit status.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from screening.loader import load_definition  # noqa: E402
from screening.plan import definition_tables  # noqa: E402
from screening.response import parse_response  # noqa: E402
from screening.sampling import RandomChooser, sample_response  # noqa: E402
from screening.scorer import assess_compact  # noqa: E402
from screening.web.archive import rule_digits, store_definitions  # noqa: E402
from screening.web.db import Submission, make_engine, migrate, pack_response  # noqa: E402
from screening.web.listing import Cursor, ListFilter, list_page  # noqa: E402
from screening.web.names import search_form  # noqa: E402
from screening.web.store import compact_response_json, latest_status  # noqa: E402

TARGET_MS = 50.0
FIRST = [
    "Alex",
    "Sam",
    "Jordan",
    "Robin",
    "Charlie",
    "Morgan",
    "Jamie",
    "Casey",
    "Riley",
    "Avery",
    "Quinn",
    "Drew",
    "Ellis",
    "Harper",
    "Rowan",
    "Sky",
    "Toni",
    "Kit",
    "Jo",
    "Lee",
    "Mara",
    "Nico",
    "Otto",
    "Pia",
    "Remy",
    "Sasha",
    "Tali",
    "Uma",
    "Vic",
    "Wren",
    "Yara",
    "Zeb",
    "Ada",
    "Bo",
    "Cleo",
    "Dev",
    "Eden",
    "Finn",
    "Gus",
    "Hana",
    "Ida",
    "Jude",
    "Kai",
    "Lina",
    "Milo",
    "Noor",
    "Oren",
    "Pax",
    "Rae",
    "Sol",
    "Tess",
    "Ulla",
    "Vera",
    "Wim",
    "Xan",
    "Yuki",
    "Zola",
    "Ari",
    "Bea",
    "Cal",
]
_START = [
    "ash",
    "bri",
    "cal",
    "dun",
    "el",
    "fen",
    "gar",
    "hol",
    "ing",
    "jen",
    "kel",
    "lam",
    "mor",
    "nor",
    "ord",
    "pen",
    "quil",
    "ros",
    "sat",
    "tor",
    "ul",
    "ven",
    "wat",
    "yar",
    "zel",
]
_MIDDLE = ["", "er", "an", "il", "o", "ing"]
_END = ["by", "ton", "ford", "son", "well", "wick", "ley", "more", "field", "ridge"]
LAST = [(a + b + c).capitalize() for a in _START for b in _MIDDLE for c in _END]  # 1,500 made-up surnames
ODD = ["Ch\u200barlie Fen\u200dwick", "\uff25\uff43\uff48\uff4f Ashby", "Fox\u00adtrot \u200fMorley", "Li Wu"]
CANDIDATES = 600  # answer sets drawn and assessed once; rows reuse them with their own names and dates
# the mix of outcomes a clinic might see (drawn answers alone raise far more red flags than real patients do)
MIX = {"self_care": 10, "physio_assessment": 50, "routine_gp": 25, "urgent_gp": 12, "emergency": 3}


def templates(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Answer sets drawn from the questionnaire, assessed: the columns a stored submission gets from them."""
    definition = load_definition()
    chooser = RandomChooser(seed, calm=0.98)
    p = definition_tables(definition).provenance
    found: list[dict[str, Any]] = []
    for _ in range(count):
        response = parse_response(sample_response(definition, chooser), definition)
        result = assess_compact(definition, response)
        found.append(
            {
                "respondent": response.respondent,
                "disposition": result.disposition.value,
                "likelihood": result.grade.value,
                "red_flags": " ".join(result.red_flags),
                "response": pack_response(compact_response_json(response)),
                "points": result.points,
                "unknown_points": result.unknown_points,
                "rule_results": rule_digits(result),
                "questionnaire_id": p.questionnaire_id,
                "questionnaire_version": p.questionnaire_version,
                "questionnaire_sha256": p.questionnaire_sha256,
                "ruleset_id": p.ruleset_id,
                "ruleset_version": p.ruleset_version,
                "ruleset_sha256": p.ruleset_sha256,
                "engine_version": p.engine_version,
            }
        )
    return found


def rows(count: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """``count`` submissions, oldest first over three years, a few minutes apart on average."""
    rng = random.Random(seed)
    shapes: dict[str, list[dict[str, Any]]] = {}
    for shape in templates(CANDIDATES):
        shapes.setdefault(shape["disposition"], []).append(shape)
    outcomes = [d for d in MIX if d in shapes]
    weights = [MIX[d] for d in outcomes]
    start = datetime(2024, 1, 1, 8, tzinfo=UTC)
    step = timedelta(days=3 * 365) / max(count, 1)
    for n in range(count):
        name = rng.choice(ODD) if rng.random() < 0.01 else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        yield {
            **rng.choice(shapes[rng.choices(outcomes, weights)[0]]),
            "id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "created_at": start + step * n + timedelta(seconds=rng.randrange(60)),
            "channel": rng.choice(("web", "web", "web", "staff", "api")),
            "created_by": "reception",
            "patient_name": None if rng.random() < 0.02 else name,
            "complete": True,
        }


def build(engine: Engine, count: int, batch: int = 2000) -> float:
    """Migrate and fill the database; the seconds it took."""
    began = time.perf_counter()
    migrate(engine)
    with Session(engine) as db:
        store_definitions(db, load_definition())
        db.commit()
    chunk: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for row in rows(count):
            chunk.append(row)
            if len(chunk) == batch:
                connection.execute(insert(Submission), chunk)  # name_search is filled by its column default
                chunk = []
        if chunk:
            connection.execute(insert(Submission), chunk)
    return time.perf_counter() - began


def timed(action: Callable[[], object], repeat: int) -> float:
    """Median milliseconds of ``repeat`` warm runs."""
    action()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def new_page(engine: Engine, f: ListFilter, **where: Any) -> Callable[[], object]:
    def run() -> object:
        with Session(engine) as db:
            page = list_page(db, f, **where)
            return latest_status(db, [row.id for row in page.rows])

    return run


def old_page(engine: Engine, f: ListFilter, page_number: int) -> Callable[[], object]:
    """The list's query shape before keyset pages: whole rows, a full count, OFFSET, names compared in Python."""

    def run() -> object:
        with Session(engine) as db:
            query = select(Submission)
            offset = (page_number - 1) * 50
            if term := search_form(f.name):
                names = db.execute(
                    query.with_only_columns(Submission.id, Submission.patient_name)
                    .where(Submission.patient_name.is_not(None))
                    .order_by(Submission.created_at.desc(), Submission.id)
                )
                matching = [i for i, n in names if n and term in search_form(n)]
                wanted = matching[offset : offset + 50]
                found = list(db.scalars(select(Submission).where(Submission.id.in_(wanted))))
            else:
                total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
                del total
                order = (Submission.created_at.desc(), Submission.id)
                found = list(db.scalars(query.order_by(*order).limit(50).offset(offset)))
            return latest_status(db, [row.id for row in found])

    return run


@contextmanager
def database(postgresql: bool, keep: Path | None) -> Iterator[str]:
    if postgresql:
        from helpers import postgres  # type: ignore[import-not-found]  # tests/helpers/postgres.py

        with postgres.running_server() as server:
            yield server.new_database()
        return
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield f"sqlite+pysqlite:///{keep / 'screening.db'}"
        return
    with tempfile.TemporaryDirectory(prefix="bench-queries-") as folder:
        yield f"sqlite+pysqlite:///{folder}/screening.db"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgresql", action="store_true", help="on a private PostgreSQL server instead")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="build the SQLite database here and keep it (reused when there)"
    )
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with database(args.postgresql, args.keep) as url:
        engine = make_engine(url)
        if args.keep and (args.keep / "screening.db").exists():  # built by an earlier run
            migrate(engine)
            with engine.connect() as connection:
                args.rows = connection.scalar(select(func.count()).select_from(Submission)) or 0
            seconds = 0.0
        else:
            seconds = build(engine, args.rows)
        if url.startswith("postgresql"):  # the steady state autovacuum keeps: statistics and a visibility map
            with engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        print(f"{engine.dialect.name}: {args.rows:,} submissions, built in {seconds:.1f} s")
        print(f"{'query':<52}{'new ms':>9}{'old ms':>10}{'old/new':>9}  target {TARGET_MS:.0f} ms")
        last_page = -(-args.rows // 50)
        with Session(engine) as db:
            middle = db.execute(
                select(Submission.created_at, Submission.id)
                .order_by(Submission.created_at.desc(), Submission.id.desc())
                .offset(args.rows // 2 - 1)
                .limit(1)
            ).one()
        cases: list[tuple[str, Callable[[], object], Callable[[], object] | None]] = [
            ("first page", new_page(engine, ListFilter()), old_page(engine, ListFilter(), 1)),
            (
                "a page in the middle",
                new_page(engine, ListFilter(), after=Cursor(middle[0], middle[1])),
                old_page(engine, ListFilter(), last_page // 2 + 1),
            ),
            ("last page", new_page(engine, ListFilter(), last=True), old_page(engine, ListFilter(), last_page)),
            ("first page, one outcome", new_page(engine, ListFilter(disposition="emergency")), None),
        ]
        for label, term in (
            ("name search, one surname", "fenilwick"),
            ("name search, a first name", "alex"),
            ("name search, full name", "jordan morwell"),
            ("name search, part of a name", "ridg"),
            ("name search, two letters", "wu"),
            ("name search, hidden characters", "charlie fenwick"),
        ):
            cases.append((f"{label} ({term!r})", new_page(engine, ListFilter(name=term)), None))
            if label.endswith("surname"):
                cases[-1] = (cases[-1][0], cases[-1][1], old_page(engine, ListFilter(name=term), 1))
        worst = 0.0
        for label, new, old in cases:
            new_ms = timed(new, args.repeat)
            worst = max(worst, new_ms)
            if old is None:
                print(f"{label:<52}{new_ms:>9.2f}{'':>10}{'':>9}  {'ok' if new_ms < TARGET_MS else 'OVER'}")
                continue
            old_ms = timed(old, max(3, args.repeat // 5))
            verdict = "ok" if new_ms < TARGET_MS else "OVER"
            print(f"{label:<52}{new_ms:>9.2f}{old_ms:>10.1f}{old_ms / new_ms:>8.0f}x  {verdict}")
        verdict = "under" if worst < TARGET_MS else "OVER"
        print(f"slowest new query {worst:.2f} ms: {verdict} the {TARGET_MS:.0f} ms target")
        engine.dispose()


if __name__ == "__main__":
    main()
