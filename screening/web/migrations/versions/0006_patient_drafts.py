"""patient drafts for save and return (only a hash of each resume token is kept); what a patient agreed to

Revision ID: 0006_patient_drafts
Revises: 0005_alert_outbox
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_patient_drafts"
down_revision = "0005_alert_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patient_drafts",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("form_json", sa.Text(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_sha256"),
    )
    with op.batch_alter_table("patient_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patient_drafts_expires_at"), ["expires_at"], unique=False)
    # plain ADD COLUMN (nullable): no batch copy of `submissions`, which other tables reference
    op.add_column("submissions", sa.Column("consent_notice_version", sa.String(length=40), nullable=True))
    op.add_column("submissions", sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("submissions", "consent_at")
    op.drop_column("submissions", "consent_notice_version")
    with op.batch_alter_table("patient_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_drafts_expires_at"))
    op.drop_table("patient_drafts")
