"""Datetime columns read raw and made aware UTC here, several times faster than their type.

``UTCDateTime`` on SQLite parses the stored text and then ``replace(tzinfo=UTC)``, about 3.5 µs
a value; a report reads 100,000 and more (every event's ``at``, every link's dates). Selected
through :func:`raw`, a column comes back as the driver gives it and :func:`converter` turns it
into the same aware UTC datetime: on SQLite, text parsed with a UTC offset appended (one C call);
anything else (PostgreSQL's aware values, text in another shape) goes through the type itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import NullType

from model.types import UTCDateTime

TYPE = UTCDateTime()
Stamp = Callable[[Any], datetime | None]  # a nullable column's raw value -> aware UTC or None
Instant = Callable[[Any], datetime]  # a NOT NULL column's raw value -> aware UTC


def raw(column: Any) -> ColumnElement[Any]:
    """``column`` without result processing (its binds in WHERE clauses are not affected)."""
    return type_coerce(column, NullType())


def bound(dialect: Dialect) -> Callable[[datetime], Any]:
    """An aware datetime as a ``UTCDateTime`` column's bind hands it to the driver: raw values
    of such a column compare with it as SQL compares them (SQLite: text in the one shape the
    type stores; PostgreSQL: aware datetimes)."""
    process = TYPE.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else _same


def _same(value: datetime) -> Any:
    return value


def converters(dialect: Dialect) -> tuple[Stamp, Instant]:
    """Convert raw values of ``UTCDateTime`` columns as the type would: nullable columns
    (None stays None) and NOT NULL ones."""
    slow = TYPE.process_result_value

    def instant(value: Any) -> datetime:
        if type(value) is str:
            try:  # stored naive UTC: "2026-04-07 04:00:04.054636"
                return datetime.fromisoformat(value + "+00:00")
            except ValueError:
                pass
        found = slow(value, dialect)
        if found is None:
            raise ValueError("a NOT NULL datetime column gave NULL")
        return found

    def stamp(value: Any) -> datetime | None:
        return None if value is None else instant(value)

    return stamp, instant
