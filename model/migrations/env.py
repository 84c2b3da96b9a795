"""Alembic environment: migrations run on the engine handed over by ``model.db``."""

from __future__ import annotations

from alembic import context

from model.tables import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite needs batch mode for ALTERs
        compare_type=True,
    )
    context.run_migrations()
