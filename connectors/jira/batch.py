"""The records of one Jira page under construction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.base import (
    Event,
    Link,
    LinkScope,
    Page,
    Quarantined,
    Sprint,
    WorkItem,
)

# --------------------------------------------------------------------------------------------
# Issue → records
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Batch:
    """Records of one page under construction; links deduped by key."""

    items: list[WorkItem] = field(default_factory=list)
    links: dict[str, Link] = field(default_factory=dict)
    scopes: list[LinkScope] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    sprints: dict[str, Sprint] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    remote_ids: list[tuple[str, str]] = field(default_factory=list)  # (issue id, key) to fetch
    outside: dict[str, str] = field(default_factory=dict)  # linked id → key, outside the scope
    remote_times: dict[str, datetime] = field(default_factory=dict)  # "issue:remote id" → added

    def page(self, **extra: Any) -> Page:
        return Page(
            items=self.items,
            links=list(self.links.values()),
            link_scopes=self.scopes,
            events=self.events,
            sprints=list(self.sprints.values()),
            quarantined=self.quarantined,
            **extra,
        )
