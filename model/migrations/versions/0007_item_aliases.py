"""Item aliases: old keys of moved Jira issues and transferred GitHub issues (issue 10 §3)

Revision ID: 0007_item_aliases
Revises: 0006_github_history_pass
Create Date: 2026-12-03 14:00:00

A new table only; existing items have no aliases until a sync learns them (a changelog ``Key``
item, a key that changed between two reads, a transfer).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import model.types

revision = "0007_item_aliases"
down_revision = "0006_github_history_pass"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("at", model.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["work_items.id"],
            name=op.f("fk_item_aliases_item_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_item_aliases_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_aliases")),
        sa.UniqueConstraint("source_id", "key", name=op.f("uq_item_aliases_source_id_key")),
    )
    with op.batch_alter_table("item_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_aliases_key"), ["key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_aliases_key"))
    op.drop_table("item_aliases")
