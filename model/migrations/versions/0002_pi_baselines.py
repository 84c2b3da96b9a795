"""PI baselines (frozen plans) and PI objectives (issue 11 §2, §3)

Revision ID: 0002_pi_baselines
Revises: 0001
Create Date: 2026-12-02 20:40:00

New rows default sensibly for the items already stored: not an objective, committed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import model.types

revision = "0002_pi_baselines"
down_revision = "0001"
branch_labels = None
depends_on = None

OBJECTIVE_COLUMNS = ("objective", "committed")


def upgrade() -> None:
    with op.batch_alter_table("pis", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("baseline_at", model.types.UTCDateTime(timezone=True), nullable=True)
        )
    # existing rows need a value for the NOT NULL flags: add with a server default, then drop it
    # (the tables declare a client-side default only)
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("objective", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("business_value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("actual_business_value", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("committed", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        for name in OBJECTIVE_COLUMNS:
            batch_op.alter_column(name, existing_type=sa.Boolean(), server_default=None)
    op.create_table(
        "pi_baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pi_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("at", model.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", model.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pi_id"], ["pis.id"], name=op.f("fk_pi_baselines_pi_id_pis"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pi_baselines")),
        sa.UniqueConstraint("pi_id", "name", name=op.f("uq_pi_baselines_pi_id_name")),
    )
    op.create_table(
        "pi_baseline_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("baseline_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("tracker_id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("iteration", sa.String(length=200), nullable=False),
        sa.Column("iteration_seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=200), nullable=False),
        sa.Column("status_category", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["baseline_id"],
            ["pi_baselines.id"],
            name=op.f("fk_pi_baseline_items_baseline_id_pi_baselines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pi_baseline_items")),
        sa.UniqueConstraint(
            "baseline_id", "source", "key", name=op.f("uq_pi_baseline_items_baseline_id_source_key")
        ),
    )
    op.create_table(
        "pi_baseline_dependencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("baseline_id", sa.Integer(), nullable=False),
        sa.Column("blocker_source", sa.String(length=100), nullable=False),
        sa.Column("blocker_key", sa.String(length=300), nullable=False),
        sa.Column("blocked_source", sa.String(length=100), nullable=False),
        sa.Column("blocked_key", sa.String(length=300), nullable=False),
        sa.Column("health", sa.String(length=10), nullable=False),
        sa.Column("created_at", model.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["baseline_id"],
            ["pi_baselines.id"],
            name=op.f("fk_pi_baseline_dependencies_baseline_id_pi_baselines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pi_baseline_dependencies")),
    )


def downgrade() -> None:
    op.drop_table("pi_baseline_dependencies")
    op.drop_table("pi_baseline_items")
    op.drop_table("pi_baselines")
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        for name in ("committed", "actual_business_value", "business_value", "objective"):
            batch_op.drop_column(name)
    with op.batch_alter_table("pis", schema=None) as batch_op:
        batch_op.drop_column("baseline_at")
