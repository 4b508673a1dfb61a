"""what staff did about a submission (the "Needs action" queue and contact attempts) and discovery-call times

Revision ID: 0004_queue_workflow
Revises: 0003_login_throttle
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_queue_workflow"
down_revision = "0003_login_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("acted_by", sa.String(length=64), nullable=False),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_contact_records_submission_id"), "contact_records", ["submission_id"], unique=False)
    op.create_table(
        "discovery_calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("call_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_discovery_calls_submission_id"), "discovery_calls", ["submission_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_discovery_calls_submission_id"), table_name="discovery_calls")
    op.drop_table("discovery_calls")
    op.drop_index(op.f("ix_contact_records_submission_id"), table_name="contact_records")
    op.drop_table("contact_records")
