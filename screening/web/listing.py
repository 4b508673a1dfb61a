"""The staff submissions list: only the columns it shows, keyset pages, capped counts and an indexed name search.

Pages follow (created_at, id), newest first, through the index on those two columns: the first page, the last
page and the page after any row each cost one index range scan, however many submissions there are. A name search
compares the folded name (``names.search_form``, stored in ``submissions.name_search``) through a trigram index:
an FTS5 table on SQLite (``submission_names``, kept by triggers), a pg_trgm GIN index on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import ColumnElement, Select, bindparam, column, func, literal_column, select, table, tuple_
from sqlalchemy.orm import Session

from .db import Submission
from .localtime import day_after, day_start
from .names import search_form

COUNT_CAP = 1000  # counting stops here: the list says "1,000+" instead of scanning every matching row
NAME_TABLE = "submission_names"  # SQLite: FTS5 (trigram) table of folded names, filled by triggers
NAME_INDEX = "ix_submissions_name_search_trgm"  # PostgreSQL: GIN (gin_trgm_ops) index on name_search
TRIGRAM = 3  # a shorter search term cannot use a trigram index

_names = table(NAME_TABLE, column("submission_id"), column("name_search"))
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
    query = filtered(db, f)
    total, more = _capped_count(db, query)
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


def _rows(db: Session, query: Select[tuple[object, ...]]) -> list[ListRow]:
    return [ListRow(*row) for row in db.execute(query)]


def filtered(db: Session, f: ListFilter) -> Select[tuple[object, ...]]:
    """The list's columns with the filters applied, in no order."""
    query: Select[tuple[object, ...]] = select(*LIST_COLUMNS)
    if f.disposition:
        query = query.where(Submission.disposition == f.disposition)
    if f.since:
        query = query.where(Submission.created_at >= day_start(f.since, f.zone))
    if f.until:
        query = query.where(Submission.created_at < day_after(f.until, f.zone))
    if term := search_form(f.name):
        query = query.where(name_matches(db, term))
    return query


def name_matches(db: Session, term: str) -> ColumnElement[bool]:
    """Submissions whose folded name contains the folded ``term``, through the dialect's trigram index."""
    if db.get_bind().dialect.name == "sqlite":
        if len(term) >= TRIGRAM:  # a quoted phrase: the trigram tokenizer matches it anywhere in the name
            matching = literal_column(NAME_TABLE).op("MATCH")('"' + term.replace('"', '""') + '"')
        else:  # too short for a trigram: a scan of the small names table, not of the submissions
            matching = func.instr(_names.c.name_search, term) > 0
        return Submission.id.in_(select(_names.c.submission_id).where(matching))
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return Submission.name_search.like(pattern, escape="\\")


def _capped_count(db: Session, query: Select[tuple[object, ...]]) -> tuple[int, bool]:
    """How many rows match, counting no further than ``COUNT_CAP`` (and whether there are more)."""
    capped = query.with_only_columns(Submission.id).limit(COUNT_CAP + 1).subquery()
    count = db.scalar(select(func.count()).select_from(capped)) or 0
    return min(count, COUNT_CAP), count > COUNT_CAP
