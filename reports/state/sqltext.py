"""Case-insensitive text matching pushed into SQL (a superset, confirmed in Python)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Text, func, or_

from model.tables import WorkItem


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ascii_skeleton(pattern: str) -> str:
    """A LIKE pattern with every run of non-ASCII characters as ``%``.

    SQL ``lower()``/``ILIKE`` fold ASCII only (SQLite always, PostgreSQL under the C collation)
    and JSON may store "É" as ``\\u00c9``: only the ASCII letters can be compared in SQL.
    """
    return re.sub(r"[^\x00-\x7f]+", "%", pattern)


def folds_to(column: Any, names: Collection[str]) -> ColumnElement[bool]:
    """SQL superset of ``column.casefold() in names`` (``names`` casefolded, not empty).

    ASCII names compare through ``lower()``; others through a case-insensitive LIKE on their
    ASCII skeleton. Callers confirm every match in Python with ``casefold``.
    """
    plain = sorted(n for n in names if n.isascii())
    other = sorted(n for n in names if not n.isascii())
    parts: list[ColumnElement[bool]] = [func.lower(column).in_(plain)] if plain else []
    parts.extend(column.ilike(_ascii_skeleton(_like_escape(n)), escape="\\") for n in other)
    return or_(*parts)


def json_has(label: str) -> ColumnElement[bool]:
    """SQL: the stored JSON label list may contain ``label`` (case-insensitive superset test)."""
    encoded = _like_escape(json.dumps(label, ensure_ascii=False)[1:-1]).lower()
    text = func.lower(func.cast(WorkItem.labels, Text()))
    return text.like(f'%"{_ascii_skeleton(encoded)}"%', escape="\\")
