"""Who made each change: events carry the tracker account (issue 11 §4, stalled work)

Revision ID: 0005_event_activity
Revises: 0002_pi_baselines
Create Date: 2026-12-03 14:00:00

``author`` is the account's stable name (Jira accountId, or user name on Data Center; GitHub
login), ``author_name`` its display name. Events stored before this revision have neither:
nobody can be known as a bot account for them, so they count as activity.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_event_activity"
down_revision = "0002_pi_baselines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("author_name", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("author_name")
        batch_op.drop_column("author")
