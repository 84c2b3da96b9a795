"""Engine factory and schema upgrades.

``open_engine(url)`` gives an engine whose schema is at the newest migration (applied on first
use). SQLite runs in WAL mode with a busy timeout so the service and a backfill can share a file;
every other SQLAlchemy URL is used as given (PostgreSQL is tested).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(Exception):
    """The database URL is unusable or the database cannot be reached; the message says why."""


class DatabaseUrlError(DatabaseError):
    """The URL itself is wrong (unparseable, unknown dialect, driver not installed): a config
    error, not a runtime failure."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """An engine for ``url`` with our connection settings; no schema work."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        hint = ""
        if isinstance(exc, ImportError):
            hint = " (install its driver; PostgreSQL: pip install 'trainyard[postgres]')"
        raise DatabaseUrlError(f"database url {redact(url)!r} is not usable: {exc}{hint}") from None


def redact(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable url>"


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str | None:
    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Apply pending migrations; returns (revision before, revision after)."""
    try:
        before = current_revision(engine)
        if before != head_revision():
            command.upgrade(alembic_config(engine), "head")
        return before, current_revision(engine)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(f"cannot reach database {redact(str(engine.url))}: {reason}") from None


def open_engine(url: str) -> Engine:
    """An engine whose schema is current (migrations applied on first use)."""
    engine = create_db_engine(url)
    upgrade(engine)
    return engine


def refresh_statistics(engine: Engine) -> None:
    """Refresh the planner's statistics after a bulk load: PostgreSQL plans badly on tables whose
    statistics predate the load (a report query went from 1 s to minutes before an ANALYZE)."""
    from sqlalchemy import text

    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("work_items", "links", "events", "tracker_sprints"):
                conn.execute(text(f"ANALYZE {table}"))
        elif engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA optimize"))
