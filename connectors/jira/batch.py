"""The records of one Jira page under construction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from connectors.pages import PageBuilder


@dataclass(slots=True)
class Batch(PageBuilder):
    """A Jira page under construction, with what its issues still need fetched."""

    remote_ids: list[tuple[str, str]] = field(default_factory=list)  # (issue id, key) to fetch
    outside: dict[str, str] = field(default_factory=dict)  # linked id → key, outside the scope
    remote_times: dict[str, datetime] = field(default_factory=dict)  # "issue:remote id" → added

    def mark(self) -> tuple[int, int, int, int]:
        """Where the records of the issue about to be read start (see ``rollback``)."""
        return len(self.items), len(self.events), len(self.links), len(self.scopes)

    def rollback(self, mark: tuple[int, int, int, int]) -> None:
        """Drop what a half-read issue added since ``mark``; it is quarantined instead."""
        del self.items[mark[0] :]
        del self.events[mark[1] :]
        del self.scopes[mark[3] :]
        # links is a dict: a half-read issue only ever adds keys it owns
        for key in list(self.links)[mark[2] :]:
            del self.links[key]
