"""The staff submissions list: only the columns it shows, keyset pages, capped counts and an indexed name search.

Pages follow (created_at, id), newest first, through the index on those two columns: the first page, the last
page and the page after any row each cost one index range scan, however many submissions there are. A name search
compares the folded name (``names.search_form``, stored in ``submissions.name_search``) through a trigram index:
an FTS5 table on SQLite (``submission_names``, kept by triggers), a pg_trgm GIN index on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, column, func, literal_column, select, table, tuple_
from sqlalchemy.orm import Session

from .db import Submission
from .localtime import day_after, day_start
from .names import search_form

Query = Select[*tuple[Any, ...]]
COUNT_CAP = 1000  # counting stops here: the list says "1,000+" instead of scanning every matching row
NAME_TABLE = "submission_names"  # SQLite: FTS5 (trigram) index of name_search by rowid, kept by triggers
NAME_INDEX = "ix_submissions_name_search_trgm"  # PostgreSQL: GIN (gin_trgm_ops) index on name_search
TRIGRAM = 3  # a shorter search term cannot use a trigram index

_names = table(NAME_TABLE, column("rowid"))
_rowid: ColumnElement[int] = literal_column("submissions.rowid")
LIST_COLUMNS = (
    Submission.id,
    Submission.created_at,
    Submission.patient_name,
    Submission.disposition,
    Submission.likelihood,
    Submission.complete,
    Submission.red_flags,
    Submission.channel,
    Submission.created_by,
)


def is_schema_object(name: str | None, type_: str, parent_names: object) -> bool:
    """Whether a comparison of the tables with the models should look at this object.

    The name search's FTS5 tables and trigram index are made by the migration in SQL that the models cannot say.
    """
    if name is None:
        return True
    return not (name == NAME_INDEX or (type_ == "table" and name.startswith(NAME_TABLE)))


@dataclass(frozen=True)
class ListRow:
    """One line of the list, never the stored answers."""

    id: str
    created_at: datetime
    patient_name: str | None
    disposition: str
    likelihood: str
    complete: bool
    red_flags: str
    channel: str
    created_by: str | None


@dataclass(frozen=True)
class Cursor:
    """A place in the list: the (created_at, id) of a row; in links as ``<ISO time>_<id>``."""

    created_at: datetime
    id: str

    def __str__(self) -> str:
        return f"{self.created_at.astimezone(UTC).isoformat()}_{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor | None:
        """The cursor in a link, or None when the text is not one (a hand-edited link shows the first page)."""
        stamp, _, ident = text.rpartition("_")
        if len(ident) != 32 or not all(c in "0123456789abcdef" for c in ident):
            return None
        try:
            when = datetime.fromisoformat(stamp)
        except ValueError:
            return None
        return cls(when if when.tzinfo else when.replace(tzinfo=UTC), ident)


@dataclass(frozen=True)
class ListFilter:
    disposition: str = ""
    since: date | None = None
    until: date | None = None
    name: str = ""
    zone: tzinfo = UTC  # the days of ``since`` and ``until`` start at midnight here


@dataclass(frozen=True)
class Page:
    """One page of the list with what its links need; ``total`` stops at ``COUNT_CAP`` (then ``more`` is set)."""

    rows: list[ListRow]
    total: int
    more: bool
    newer: Cursor | None  # "Previous page": the rows before this one's first
    older: Cursor | None  # "Next page": the rows after this one's last
    is_first: bool
    is_last: bool


def list_page(
    db: Session,
    f: ListFilter,
    *,
    size: int = 50,
    after: Cursor | None = None,
    before: Cursor | None = None,
    last: bool = False,
) -> Page:
    """The page after ``after``, the page before ``before``, the last page, or else the first (newest) page."""
    query, counted = filtered(db, f)
    if counted is None:  # more names match than the count goes to, and nothing else narrows them
        total, more = COUNT_CAP, True
    else:
        total, more = _capped_count(db, counted)
    key = tuple_(Submission.created_at, Submission.id)
    newest_first = (Submission.created_at.desc(), Submission.id.desc())
    oldest_first = (Submission.created_at.asc(), Submission.id.asc())
    if before is not None or last:
        if before is not None:
            query = query.where(key > tuple_(_at(before.created_at), before.id))
        found = _rows(db, query.order_by(*oldest_first).limit(size + 1))
        has_newer = len(found) > size
        if before is not None and not has_newer:  # back at the top: the true first page
            return list_page(db, f, size=size)
        rows = found[:size][::-1]
        return _page(rows, total, more, has_newer=has_newer, has_older=before is not None)
    if after is not None:
        query = query.where(key < tuple_(_at(after.created_at), after.id))
    found = _rows(db, query.order_by(*newest_first).limit(size + 1))
    return _page(found[:size], total, more, has_newer=after is not None, has_older=len(found) > size)


def _at(when: datetime) -> ColumnElement[datetime]:
    return bindparam(None, when, type_=Submission.created_at.type)


def _page(rows: list[ListRow], total: int, more: bool, *, has_newer: bool, has_older: bool) -> Page:
    return Page(
        rows=rows,
        total=total,
        more=more,
        newer=Cursor(rows[0].created_at, rows[0].id) if rows and has_newer else None,
        older=Cursor(rows[-1].created_at, rows[-1].id) if rows and has_older else None,
        is_first=not has_newer,
        is_last=not has_older,
    )


def _rows(db: Session, query: Query) -> list[ListRow]:
    return [ListRow(**row._asdict()) for row in db.execute(query)]


def filtered(db: Session, f: ListFilter) -> tuple[Query, Query | None]:
    """The list's columns with the filters applied, in no order: as the page reads them, and as they are counted
    (None when counting is not needed: a name alone matches more than ``COUNT_CAP``)."""
    query: Query = select(*LIST_COLUMNS)
    if f.disposition:
        query = query.where(Submission.disposition == f.disposition)
    if f.since:
        query = query.where(Submission.created_at >= day_start(f.since, f.zone))
    if f.until:
        query = query.where(Submission.created_at < day_after(f.until, f.zone))
    if term := search_form(f.name):
        for_rows, for_count = name_matches(db, term)
        if for_count is None and _only_a_name(f):
            return query.where(for_rows), None
        return query.where(for_rows), query.where(for_rows if for_count is None else for_count)
    return query, query


def _only_a_name(f: ListFilter) -> bool:
    return not (f.disposition or f.since or f.until)


def name_matches(db: Session, term: str) -> tuple[ColumnElement[bool], ColumnElement[bool] | None]:
    """Submissions whose folded name contains the folded ``term``, through the dialect's trigram index.

    Two forms of the same condition: one for reading a page in list order, one for counting (None: the first
    serves, but more than ``COUNT_CAP`` names are known to match).
    """
    if db.get_bind().dialect.name == "sqlite":
        return _sqlite_name_matches(db, term)
    if len(term) < TRIGRAM:  # not LIKE: PostgreSQL would recheck every row through the trigram index
        short = func.strpos(Submission.name_search, term) > 0
        return short, short
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    condition = Submission.name_search.like(pattern, escape="\\")
    return condition, condition


def _sqlite_name_matches(db: Session, term: str) -> tuple[ColumnElement[bool], ColumnElement[bool] | None]:
    """The rowids whose name matches: listed when there are few; with many, a page is read in list order.

    SQLite cannot estimate how many names match. With few, the page's rows are looked up by rowid and sorted;
    with many, reading the (created_at, id) index in order finds a page's worth long before the end (the unary
    plus stops SQLite from driving that query from the matches), and a count reaches its cap as quickly.
    """
    if len(term) >= TRIGRAM:  # a quoted phrase: the trigram tokenizer matches it anywhere in the name
        phrase = '"' + term.replace('"', '""') + '"'
        matching = select(_names.c.rowid).where(literal_column(NAME_TABLE).op("MATCH")(phrase))
    else:  # too short for trigrams: a scan of the index on name_search, not of the rows
        matching = select(_rowid).where(func.instr(Submission.name_search, term) > 0)
    few = db.scalars(matching.limit(COUNT_CAP + 1)).all()
    if len(few) <= COUNT_CAP:
        return _rowid.in_(few), _rowid.in_(few)
    if len(term) < TRIGRAM:  # many short matches: each row read in list order is likely to be one
        return func.instr(Submission.name_search, term) > 0, None
    return literal_column("+submissions.rowid").in_(matching), None


def _capped_count(db: Session, query: Query) -> tuple[int, bool]:
    """How many rows match, counting no further than ``COUNT_CAP`` (and whether there are more)."""
    capped = query.with_only_columns(Submission.id).limit(COUNT_CAP + 1).subquery()
    count = db.scalar(select(func.count()).select_from(capped)) or 0
    return min(count, COUNT_CAP), count > COUNT_CAP
