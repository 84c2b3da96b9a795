"""GitHub current state first: items whose history is not read yet (issue 10 §5)

Revision ID: 0006_github_history_pass
Revises: 0005_event_activity
Create Date: 2026-12-03 14:10:00

``work_items.history_pending``: stored by a first pass without its timeline; its dates (link
ages, blocked since) are provisional until the history pass has read it. Items already stored
had their history read with them: false.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_github_history_pass"
down_revision = "0005_event_activity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing rows need a value for the NOT NULL flag: add with a server default, then drop it
    # (the table declares a client-side default only)
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("history_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.alter_column("history_pending", existing_type=sa.Boolean(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_column("history_pending")
