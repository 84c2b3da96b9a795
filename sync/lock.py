"""One writer per source, on SQLite and PostgreSQL.

The ``sync_locks`` row says who holds a source (pid, host, since) so a second ``sync`` or
``backfill`` can say so. On PostgreSQL the row is backed by a session advisory lock held on a
dedicated connection: a killed process loses its session and so its lock. On SQLite a row whose
process is gone (same host, pid no longer alive) is stale and taken over.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, insert, select, text
from sqlalchemy.exc import IntegrityError

from model.tables import SyncLock
from sync.errors import SourceLocked

POLL_SECONDS = 1.0


@contextmanager
def source_lock(
    engine: Engine, source_id: int, source_name: str, wait: float = 0.0
) -> Iterator[None]:
    """Hold the source's lock for the block; raise ``SourceLocked`` (after ``wait`` seconds)."""
    deadline = time.monotonic() + wait
    pg_conn = engine.connect() if engine.dialect.name == "postgresql" else None
    try:
        while not _try_acquire(engine, pg_conn, source_id):
            if time.monotonic() >= deadline:
                raise SourceLocked(_held_message(engine, source_id, source_name))
            time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            _release(engine, pg_conn, source_id)
    finally:
        if pg_conn is not None:
            pg_conn.close()


# Two-key form: the first key names this database *and schema*, so two trainyard installs (or
# two test runs) sharing one PostgreSQL database in different schemas never block each other.
_LOCK_ARGS = "hashtext('trainyard-source:' || current_database() || '.' || current_schema()), :k"


def _try_acquire(engine: Engine, pg_conn: Connection | None, source_id: int) -> bool:
    if pg_conn is not None:
        got = pg_conn.execute(text(f"SELECT pg_try_advisory_lock({_LOCK_ARGS})"), {"k": source_id})
        pg_conn.commit()
        if not got.scalar():
            return False
        with engine.begin() as conn:  # the advisory lock is ours: any row left is stale
            conn.execute(delete(SyncLock).where(SyncLock.source_id == source_id))
            conn.execute(insert(SyncLock).values(_me(source_id)))
        return True
    try:
        with engine.begin() as conn:
            conn.execute(insert(SyncLock).values(_me(source_id)))
        return True
    except IntegrityError:
        return _take_over_if_stale(engine, source_id)


def _me(source_id: int) -> dict[str, object]:
    return {
        "source_id": source_id,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC),
    }


def _take_over_if_stale(engine: Engine, source_id: int) -> bool:
    with engine.begin() as conn:
        row = conn.execute(select(SyncLock).where(SyncLock.source_id == source_id)).one_or_none()
        if row is None:
            return False  # released meanwhile; the caller retries
        if row.host != socket.gethostname() or _alive(row.pid):
            return False
        conn.execute(
            delete(SyncLock).where(SyncLock.source_id == source_id, SyncLock.pid == row.pid)
        )
    try:
        with engine.begin() as conn:
            conn.execute(insert(SyncLock).values(_me(source_id)))
        return True
    except IntegrityError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _release(engine: Engine, pg_conn: Connection | None, source_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            delete(SyncLock).where(SyncLock.source_id == source_id, SyncLock.pid == os.getpid())
        )
    if pg_conn is not None:
        pg_conn.execute(text(f"SELECT pg_advisory_unlock({_LOCK_ARGS})"), {"k": source_id})
        pg_conn.commit()


def _held_message(engine: Engine, source_id: int, source_name: str) -> str:
    with engine.connect() as conn:
        row = conn.execute(select(SyncLock).where(SyncLock.source_id == source_id)).one_or_none()
    if row is None:
        return f"source {source_name} is being synced by another process; retry when it ends"
    since = row.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"source {source_name} is being synced by pid {row.pid} on host {row.host} since {since}; "
        "wait for it to finish (or pass --wait SECONDS)"
    )
