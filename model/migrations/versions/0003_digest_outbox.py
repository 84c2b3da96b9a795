"""The digest outbox: one row per digest period and recipient (issue 9, exactly once)

Revision ID: 0003_digest_outbox
Revises: 0002_pi_baselines
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import model.types

revision = "0003_digest_outbox"
down_revision = "0002_pi_baselines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("train", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("message_id", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("since", model.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("as_of", model.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", model.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempted_at", model.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", model.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_outbox")),
        sa.UniqueConstraint(
            "train", "period", "recipient", name=op.f("uq_digest_outbox_train_period_recipient")
        ),
    )


def downgrade() -> None:
    op.drop_table("digest_outbox")
