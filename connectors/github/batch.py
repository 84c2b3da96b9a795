"""The records of one GitHub page under construction, and the small values reads pass around."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.base import (
    ItemRef,
)
from connectors.pages import PageBuilder


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    headers: Mapping[str, str]
    data: Any
    redirected_to: str | None = None


@dataclass(slots=True)
class _RepoStream:
    """One repository's issues, sorted by ``updated_at``, fetched by keyset pages."""

    repo: str
    since: datetime | None
    until: datetime | None
    page: int = 1
    buffer: deque[tuple[datetime, dict[str, Any]]] = field(default_factory=deque)
    seen: dict[int, str] = field(default_factory=dict)  # id → updated_at at the since edge
    done: bool = False


@dataclass(slots=True)
class _Episode:
    """A dependency's latest added/removed instants from the timeline."""

    ref: ItemRef
    added: datetime | None = None
    removed: datetime | None = None


@dataclass(slots=True)
class _Batch(PageBuilder):
    """A GitHub page under construction (``connectors.pages``)."""
