"""Service leases: one row per ``serve`` job run under a database lease (issue 9)

Revision ID: 0004_service_leases
Revises: 0003_digest_outbox
Create Date: 2026-12-03 14:00:00

Reports and digest run in one ``serve`` process at a time on a shared database; the row names
the holder and when its lease expires, and keeps the job's last outcome and error.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import model.types

revision = "0004_service_leases"
down_revision = "0003_digest_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = model.types.UTCDateTime(timezone=True)
    op.create_table(
        "service_leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("expires_at", when, nullable=True),
        sa.Column("acquired_at", when, nullable=True),
        sa.Column("last_started_at", when, nullable=True),
        sa.Column("last_finished_at", when, nullable=True),
        sa.Column("last_outcome", sa.String(length=20), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_success_at", when, nullable=True),
        sa.Column("last_holder", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_leases")),
    )


def downgrade() -> None:
    op.drop_table("service_leases")
