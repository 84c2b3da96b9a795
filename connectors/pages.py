"""The page builder both connectors fill: the records of one page under construction.

A link can be met more than once while a page is built (a GitHub parent link from both ends,
a Jira link from the issue and from its history), so links are kept by ``(origin, link_key)``:
the last version wins, in the place the first one took.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.base import (
    Alias,
    Event,
    Gone,
    Link,
    LinkScope,
    Move,
    Page,
    Quarantined,
    Sprint,
    WorkItem,
)


@dataclass(slots=True)
class PageBuilder:
    """Records collected for one ``Page``; ``outside`` items (one hop out) are stored first."""

    items: list[WorkItem] = field(default_factory=list)
    links: dict[tuple[str, str], Link] = field(default_factory=dict)
    scopes: list[LinkScope] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    sprints: dict[str, Sprint] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    gone: list[Gone] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)
    memo: dict[str, str | None] = field(default_factory=dict)
    outside_items: dict[str, WorkItem] = field(default_factory=dict)  # by tracker id
    history_deferred: list[str] = field(default_factory=list)
    history_read: list[str] = field(default_factory=list)

    def add_link(self, link: Link) -> None:
        self.links[(link.origin, link.link_key)] = link

    def page(self, **extra: Any) -> Page:
        return Page(
            items=[*self.outside_items.values(), *self.items],
            links=list(self.links.values()),
            link_scopes=self.scopes,
            events=self.events,
            sprints=list(self.sprints.values()),
            quarantined=self.quarantined,
            moves=self.moves,
            gone=self.gone,
            aliases=self.aliases,
            memo=self.memo,
            history_deferred=self.history_deferred,
            history_read=self.history_read,
            **extra,
        )
