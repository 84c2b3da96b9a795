"""The records of one GitHub page under construction, and the small values reads pass around."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.base import (
    Event,
    Gone,
    ItemRef,
    Link,
    LinkScope,
    Move,
    Page,
    Quarantined,
    Sprint,
    WorkItem,
)


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
class _Batch:
    """The records of one page under construction."""

    items: list[WorkItem] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    scopes: list[LinkScope] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    sprints: dict[str, Sprint] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    gone: list[Gone] = field(default_factory=list)
    memo: dict[str, str | None] = field(default_factory=dict)
    outside: dict[str, WorkItem] = field(default_factory=dict)  # one hop out, by tracker id

    def page(self, **extra: Any) -> Page:
        # a parent link is met from both ends (child's parent_issue_url, parent's sub_issues)
        links = {(ln.origin, ln.link_key): ln for ln in self.links}
        return Page(
            items=[*self.outside.values(), *self.items],
            links=list(links.values()),
            link_scopes=self.scopes,
            events=self.events,
            sprints=list(self.sprints.values()),
            quarantined=self.quarantined,
            moves=self.moves,
            gone=self.gone,
            memo=self.memo,
            **extra,
        )
