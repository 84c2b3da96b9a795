"""The single Alembic migration and ``model/tables.py`` describe the same schema.

A fresh database migrated to head is compared with the tables' metadata by Alembic's
autogenerate on SQLite and on PostgreSQL: any difference (a column, type, index, unique or
foreign key added to one but not the other) fails with the diff.
"""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, String, inspect

from model.db import alembic_config, current_revision, head_revision, upgrade
from model.tables import Base


def schema_diff(engine: Engine, metadata: MetaData = Base.metadata) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))


def test_migrated_schema_equals_the_tables(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert schema_diff(engine) == []


def test_the_head_is_the_event_activity_migration() -> None:
    assert head_revision() == "0005_event_activity"


def test_downgrade_to_empty_and_back(engine: Engine) -> None:
    command.downgrade(alembic_config(engine), "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert upgrade(engine) == (None, head_revision())
    assert schema_diff(engine) == []


def test_the_comparison_sees_a_difference(engine: Engine) -> None:
    """Guards the guard: a column the migration lacks shows up as a diff."""
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["work_items"].append_column(Column("priority", String(20)))
    diff = schema_diff(engine, changed)
    assert len(diff) == 1
    assert diff[0][0] == "add_column"  # type: ignore[index]
    assert diff[0][3].name == "priority"  # type: ignore[index]
