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
