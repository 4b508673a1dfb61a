"""The staff submissions list (``screening.web.listing``): keyset pages, capped counts, the indexed name search."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from helpers.web import Site, stored_row
from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from screening.web import listing
from screening.web.db import MIGRATIONS, Submission, make_engine, migrate
from screening.web.listing import Cursor, ListFilter, list_page


def _add(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(Submission), list(rows))  # a Core insert, as a bulk import would make


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    migrate(made)
    yield made
    made.dispose()


def _ids(page: listing.Page) -> list[str]:
    return [row.id for row in page.rows]


def test_pages_walk_forward_and_back_over_every_row_once(engine: Engine) -> None:
    rows = [stored_row(n, f"Patient {n}") for n in range(8)]
    rows.append(stored_row(8, "Same Time", created_at=rows[7]["created_at"]))  # a tie: the id decides
    _add(engine, rows)
    newest_first = [r["id"] for r in sorted(rows, key=lambda r: (r["created_at"], r["id"]), reverse=True)]
    with Session(engine) as db:
        page = list_page(db, ListFilter(), size=4)
        assert (page.is_first, page.is_last, page.newer) == (True, False, None)
        walked = [_ids(page)]
        while page.older is not None:
            page = list_page(db, ListFilter(), size=4, after=page.older)
            walked.append(_ids(page))
        assert [i for ids in walked for i in ids] == newest_first
        assert page.is_last and not page.is_first and len(walked) == 3
        back = list_page(db, ListFilter(), size=4, before=page.newer)
        assert _ids(back) == walked[1] and not back.is_first
        top = list_page(db, ListFilter(), size=4, before=back.newer)
        assert _ids(top) == walked[0] and top.is_first and top.newer is None
        last = list_page(db, ListFilter(), size=4, last=True)
        assert _ids(last) == newest_first[-4:] and last.is_last and not last.is_first
        assert last.older is None and last.newer is not None
        assert (page.total, page.more) == (9, False)


def test_a_cursor_survives_its_link_and_a_broken_one_is_ignored() -> None:
    cursor = Cursor(datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC), "ab" * 16)
    assert Cursor.parse(str(cursor)) == cursor
    for broken in ("", "yesterday_" + "ab" * 16, "2026-03-01T09:00:00+00:00_xyz", "2026-03-01_" + "AB" * 16):
        assert Cursor.parse(broken) is None


def test_counts_stop_at_the_cap(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listing, "COUNT_CAP", 5)
    _add(engine, [stored_row(n, f"Patient {n}", "emergency" if n < 2 else "self_care") for n in range(8)])
    with Session(engine) as db:
        assert (list_page(db, ListFilter()).total, list_page(db, ListFilter()).more) == (5, True)
        urgent = list_page(db, ListFilter(disposition="emergency"))
        assert (urgent.total, urgent.more) == (2, False)
        assert {r.disposition for r in urgent.rows} == {"emergency"}


NAMES = {
    "zero width": ("Ch\u200barlie Test\u200dperson", "charlie testperson"),
    "full width": ("\uff25\uff43\uff48\uff4f Sample", "echo"),
    "bidi": ("Delta \u202eNOSREP\u202c Test", "NOSREP"),
    "two letters": ("Li Wu", "wu"),
    "one letter in the middle": ("Xi Qo", "q"),
    "quote": ('Dana "DJ" Example', '"dj"'),
    "percent": ("Fifty% Example", "fifty%"),
    "underscore": ("Under_score Example", "r_s"),
}


@pytest.mark.parametrize("key", list(NAMES))
def test_name_search_compares_folded_names_through_the_index(engine: Engine, key: str) -> None:
    stored, typed = NAMES[key]
    others = [stored_row(n + 1, name) for n, (name, _) in enumerate(v for k, v in NAMES.items() if k != key)]
    _add(engine, [stored_row(0, stored), *others, stored_row(50, None), stored_row(51, "Golf Testperson")])
    with Session(engine) as db:
        found = list_page(db, ListFilter(name=f" {typed.upper()}\u200b "))
    assert [row.patient_name for row in found.rows] == [stored]
    assert (found.total, found.more) == (1, False)


@pytest.mark.parametrize("term", ["smith", "sm"])
def test_a_name_that_matches_more_than_the_cap_still_pages_newest_first(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, term: str
) -> None:
    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    rows = [stored_row(n, f"Jo Smith {n}" if n % 2 else f"Other Person {n}") for n in range(12)]
    _add(engine, rows)
    matching = [r["id"] for r in reversed(rows) if "Smith" in r["patient_name"]]
    with Session(engine) as db:
        first = list_page(db, ListFilter(name=term), size=4)
        assert _ids(first) == matching[:4] and (first.total, first.more) == (3, True)
        second = list_page(db, ListFilter(name=term), size=4, after=first.older)
        assert _ids(second) == matching[4:]
        narrowed = list_page(db, ListFilter(name=term, disposition="physio_assessment"), size=4)
        assert _ids(narrowed) == matching[:4] and (narrowed.total, narrowed.more) == (3, True)


def test_the_migration_folds_names_stored_before_it(database_url: str) -> None:
    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007_compact_submissions")  # the revision before the list's
    old = [stored_row(n, name) for n, name in enumerate(["Ch\u200barlie Old", "\uff25\uff43\uff48\uff4f Old", None])]
    with engine.begin() as connection:
        for row in old:
            columns = [k for k in row if k != "created_at"]
            connection.execute(
                text(
                    f"INSERT INTO submissions ({', '.join(columns)}, created_at) "
                    f"VALUES ({', '.join(':' + c for c in columns)}, :created_at)"
                ),
                {**row, "created_at": row["created_at"]},
            )
    migrate(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, name_search FROM submissions"))
        folded: dict[str, str | None] = {r[0]: r[1] for r in rows}
    assert [folded[r["id"]] for r in old] == ["charlie old", "echo old", None]
    with Session(engine) as db:
        assert [r.id for r in list_page(db, ListFilter(name="CHARLIE")).rows] == [old[0]["id"]]
        assert [r.id for r in list_page(db, ListFilter(name="echo o")).rows] == [old[1]["id"]]
    engine.dispose()


def test_the_list_reads_only_what_it_shows_and_links_every_way(site: Site) -> None:
    _add(site.services.engine, [stored_row(n, f"Patient Number{n}") for n in range(120)])
    site.add_staff()
    site.login()
    statements: list[str] = []
    listen = (site.services.engine, "before_cursor_execute")

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(*listen, seen)
    try:
        first = site.client.get("/staff/submissions")
        named = site.client.get("/staff/submissions", params={"name": "number11"})
    finally:
        event.remove(*listen, seen)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    stored = ("submissions.response", "legacy_assessment_json", "rule_results")  # answers, assessment
    assert selects and not [s for s in selects if any(column in s for column in stored)]
    assert "120 submissions" in first.text
    assert _shown(named.text) == [f"Patient Number{n}" for n in range(119, 109, -1)] + ["Patient Number11"]

    assert set(_links(first.text)) == {"Next page", "Last page"}
    assert _shown(first.text) == [f"Patient Number{n}" for n in range(119, 69, -1)]
    second = site.client.get(_links(first.text)["Next page"])
    assert set(_links(second.text)) == {"First page", "Previous page", "Next page", "Last page"}
    assert _shown(second.text) == [f"Patient Number{n}" for n in range(69, 19, -1)]
    oldest = site.client.get(_links(second.text)["Last page"])
    assert set(_links(oldest.text)) == {"First page", "Previous page"}
    assert _shown(oldest.text) == [f"Patient Number{n}" for n in range(49, -1, -1)]
    back = site.client.get(_links(oldest.text)["Previous page"])
    assert _shown(back.text) == [f"Patient Number{n}" for n in range(99, 49, -1)]
    assert _shown(site.client.get(_links(back.text)["First page"]).text) == _shown(first.text)
    kept = site.client.get(_links(first.text)["Next page"].replace("name=", "name=number"))
    assert kept.status_code == 200


def _links(page: str) -> dict[str, str]:
    pager = page.split('<nav class="pager"', 1)[-1].split("</nav>", 1)[0] if '<nav class="pager"' in page else ""
    found = re.findall(r'<a href="(\?[^"]+)"[^>]*>([^<]+)</a>', pager)  # relative to the list's own address
    return {label: "/staff/submissions" + html.unescape(href) for href, label in found}


def _shown(page: str) -> list[str]:
    return re.findall(r'<td data-label="Patient">([^<]+)</td>', page)


@pytest.mark.parametrize(
    ("chosen", "where"),
    [
        (ListFilter(), {}),
        (ListFilter(), {"last": True}),
        (ListFilter(disposition="emergency"), {}),
        (ListFilter(disposition="emergency"), {"last": True}),
        (ListFilter(), {"after": Cursor(datetime(2026, 3, 1, 9, 5, tzinfo=UTC), "0" * 32)}),
        (ListFilter(), {"before": Cursor(datetime(2026, 3, 1, 9, 1, tzinfo=UTC), "0" * 32)}),
    ],
)
def test_sqlite_reads_a_page_through_an_index_without_sorting(
    tmp_path: Path, chosen: ListFilter, where: dict[str, Any]
) -> None:
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'plan.db'}")
    migrate(engine)
    _add(engine, [stored_row(n, f"Patient {n}", "emergency" if n % 3 else "self_care") for n in range(10)])
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    with Session(engine) as db:
        list_page(db, chosen, size=3, **where)
    event.remove(engine, "before_cursor_execute", seen)
    with engine.connect() as connection:
        for statement, parameters in statements:
            plan = [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            assert not [step for step in plan if "TEMP B-TREE" in step or step == "SCAN submissions"], plan
    engine.dispose()
