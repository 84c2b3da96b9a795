"""What storing one page needs besides the page (``StoreContext``) and what it counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from model import tables as t
from model.rules import IterationSpan, TeamRules


@dataclass(slots=True)
class PageCounts:
    items: int = 0
    links: int = 0
    events: int = 0
    quarantined: int = 0
    census: int = 0


@dataclass(slots=True)
class StoreContext:
    """What the store needs besides the page: who we are and the train's rules."""

    source: t.Source
    run_id: int
    now: datetime
    teams: Sequence[TeamRules]
    team_ids: dict[str, int]
    iterations: Sequence[IterationSpan]
    tz: ZoneInfo
    kinds: dict[int, str] = field(default_factory=dict)  # source id → kind, for ref resolution
