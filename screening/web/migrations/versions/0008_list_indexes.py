"""staff list indexes: keyset pages on (created_at, id) and (disposition, created_at, id); the folded patient name
and a trigram index on it

Revision ID: 0008_list_indexes
Revises: 0007_compact_submissions
Create Date: 2026-11-29

SQLite gets an FTS5 table with the trigram tokenizer, kept in step with ``submissions`` by triggers; PostgreSQL a
pg_trgm GIN index on the column itself. A later migration that rebuilds ``submissions`` on SQLite (a batch copy)
drops these triggers with the old table and may renumber its rowids: it must create the triggers again and
rebuild the FTS5 table (``INSERT INTO submission_names (submission_names) VALUES ('rebuild')``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from screening.web.names import search_form

revision = "0008_list_indexes"
down_revision = "0007_compact_submissions"
branch_labels = None
depends_on = None

BATCH = 1000

SQLITE_UP = (
    # rowids of submissions, so a search hands back rowids straight from the index (no look-up of an id per match)
    "CREATE VIRTUAL TABLE submission_names USING fts5("
    "name_search, content='submissions', content_rowid='rowid', tokenize='trigram')",
    "INSERT INTO submission_names (submission_names) VALUES ('rebuild')",
    "CREATE TRIGGER submission_names_insert AFTER INSERT ON submissions BEGIN "
    "INSERT INTO submission_names (rowid, name_search) VALUES (new.rowid, new.name_search); END",
    "CREATE TRIGGER submission_names_delete AFTER DELETE ON submissions BEGIN "
    "INSERT INTO submission_names (submission_names, rowid, name_search) "
    "VALUES ('delete', old.rowid, old.name_search); END",
    "CREATE TRIGGER submission_names_update AFTER UPDATE OF name_search ON submissions BEGIN "
    "INSERT INTO submission_names (submission_names, rowid, name_search) "
    "VALUES ('delete', old.rowid, old.name_search); "
    "INSERT INTO submission_names (rowid, name_search) VALUES (new.rowid, new.name_search); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS submission_names_update",
    "DROP TRIGGER IF EXISTS submission_names_delete",
    "DROP TRIGGER IF EXISTS submission_names_insert",
    "DROP TABLE IF EXISTS submission_names",
)
POSTGRESQL_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_submissions_name_search_trgm ON submissions USING gin (name_search gin_trgm_ops)",
)
POSTGRESQL_DOWN = ("DROP INDEX IF EXISTS ix_submissions_name_search_trgm",)


def upgrade() -> None:
    op.add_column("submissions", sa.Column("name_search", sa.Text(), nullable=True))
    _fold_names()
    op.drop_index("ix_submissions_created_at", table_name="submissions")
    op.create_index("ix_submissions_created_at_id", "submissions", ["created_at", "id"], unique=False)
    op.drop_index("ix_submissions_disposition", table_name="submissions")
    op.create_index(
        "ix_submissions_disposition_created_at_id", "submissions", ["disposition", "created_at", "id"], unique=False
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRESQL_UP if dialect == "postgresql" else ():
        op.execute(statement)
    # terms of one or two characters are too short for trigrams: they scan this index instead of the table
    op.create_index("ix_submissions_name_search", "submissions", ["name_search", "id"], unique=False)


def _fold_names() -> None:
    """Fill name_search for the stored rows, a batch at a time (NFKC and dropping invisible characters is Python)."""
    bind = op.get_bind()
    submissions = sa.table("submissions", sa.column("id"), sa.column("patient_name"), sa.column("name_search"))
    update = (
        sa.update(submissions)
        .where(submissions.c.id == sa.bindparam("ident"))
        .values(name_search=sa.bindparam("folded"))
    )
    last = ""
    while True:
        rows = bind.execute(
            sa.select(submissions.c.id, submissions.c.patient_name)
            .where(submissions.c.id > last, submissions.c.patient_name.is_not(None))
            .order_by(submissions.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(update, [{"ident": ident, "folded": search_form(name) or None} for ident, name in rows])
        last = rows[-1][0]


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_submissions_name_search", table_name="submissions")
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRESQL_DOWN if dialect == "postgresql" else ():
        op.execute(statement)
    op.drop_index("ix_submissions_disposition_created_at_id", table_name="submissions")
    op.create_index("ix_submissions_disposition", "submissions", ["disposition"], unique=False)
    op.drop_index("ix_submissions_created_at_id", table_name="submissions")
    op.create_index("ix_submissions_created_at", "submissions", ["created_at"], unique=False)
    op.drop_column("submissions", "name_search")
