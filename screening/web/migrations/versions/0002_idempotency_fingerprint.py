"""idempotency keys are bound to a fingerprint of the request; rate limits are counted in the database

Revision ID: 0002_idempotency_fingerprint
Revises: 0001
Create Date: 2026-11-29

A stored idempotency key is now a SHA-256 (any key up to 255 characters fits), and ``request_sha256`` holds a
SHA-256 of the request it came with, so that the same key with a different request is never answered with the
first result. Keys stored before this revision were plain text; they are hashed here so that nothing stored
keeps a client's key as sent. They no longer match any new request (the digest now includes a scope
separator), which at worst turns a retry sent across the upgrade into a new submission: never an old answer.

``rate_counts`` holds the per-address limits on patient posts, so that every server process shares them.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0002_idempotency_fingerprint"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_counts",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("window", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window"),
    )
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("request_sha256", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    submissions = sa.table("submissions", sa.column("id", sa.String), sa.column("idempotency_key", sa.String))
    rows = connection.execute(
        sa.select(submissions.c.id, submissions.c.idempotency_key).where(submissions.c.idempotency_key.is_not(None))
    ).all()
    for row_id, key in rows:
        digest = hashlib.sha256(f"legacy\x00{key}".encode()).hexdigest()
        connection.execute(submissions.update().where(submissions.c.id == row_id).values(idempotency_key=digest))


def downgrade() -> None:
    op.drop_table("rate_counts")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("request_sha256")
