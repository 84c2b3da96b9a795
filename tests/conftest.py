"""Shared fixtures: databases on SQLite and PostgreSQL, each test in its own file or schema.

PostgreSQL is taken from ``TRAINYARD_PG_URL`` (default: 127.0.0.1:5432, database ``test``,
trust auth). When it is unreachable its tests are skipped with the reason printed; with
``TRAINYARD_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) they fail instead, so CI never skips them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from model.db import open_engine

PG_URL = os.environ.get("TRAINYARD_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("TRAINYARD_REQUIRE_POSTGRES") == "1"


@cache
def postgres_unreachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any driver or network failure means: not reachable
        return f"PostgreSQL at {PG_URL} unreachable: {str(exc).splitlines()[0]}"
    return None


def require_postgres() -> None:
    reason = postgres_unreachable()
    if reason is None:
        return
    if REQUIRE_PG:
        pytest.fail(f"{reason} (TRAINYARD_REQUIRE_POSTGRES=1)")
    pytest.skip(reason)


def pytest_report_header() -> str:
    reason = postgres_unreachable()
    return "postgres: reachable" if reason is None else f"postgres: SKIPPING its tests: {reason}"


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'trainyard.db'}"
    else:
        yield request.getfixturevalue("pg_schema_url")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'trainyard.db'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on each database."""
    eng = open_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s
