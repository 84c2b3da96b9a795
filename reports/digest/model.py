"""The digest's plain values: what the RTE (or a team lead) reads, before any rendering.

Built by ``reports.digest.compose`` from the report objects; rendered by
``reports.digest.render`` (plain text and mail HTML). Nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from reports.blocked import BlockedItem, RootBlocker
from reports.dependencies import Dependency
from reports.stalled import StalledItem
from reports.views import ItemView

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Top(Generic[T]):
    """The first ``max_items`` of a list and how many more there are."""

    shown: tuple[T, ...]
    rest: int = 0

    @property
    def total(self) -> int:
        return len(self.shown) + self.rest

    def __bool__(self) -> bool:
        return bool(self.shown)


def top(items: list[T] | tuple[T, ...], limit: int) -> Top[T]:
    return Top(tuple(items[:limit]), max(len(items) - limit, 0))


@dataclass(frozen=True, slots=True)
class SourceRun:
    """What ``trainyard status`` knows about a source that no report header carries."""

    name: str
    failing: bool
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class SourceNote:
    """One source's sync health and what it means for the numbers in the digest.

    ``problems`` are sentences for people; empty when the source is healthy.
    """

    name: str
    kind: str
    last_success_at: datetime | None
    stale: bool
    failing: bool
    items: int
    census_items: int | None
    quarantined: int
    problems: tuple[str, ...]

    @property
    def red(self) -> bool:
        return self.stale or self.failing


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed between the previous digest's instant (``since``) and now."""

    new_dependencies: Top[Dependency]
    resolved_dependencies: Top[Dependency]
    aged: Top[Dependency]  # crossed ``aging_threshold_days`` since then
    turned_red: Top[Dependency]
    newly_blocked: Top[BlockedItem]
    unblocked: Top[ItemView]
    newly_stalled: Top[StalledItem]

    @property
    def any(self) -> bool:
        return any(
            part.total
            for part in (
                self.new_dependencies,
                self.resolved_dependencies,
                self.aged,
                self.turned_red,
                self.newly_blocked,
                self.unblocked,
                self.newly_stalled,
            )
        )


@dataclass(frozen=True, slots=True)
class BlockingTeam:
    """Where one team blocks others: "Payments blocks 7 items in 3 teams"."""

    team: str
    items: int  # distinct items of other teams waiting on this team
    teams: int  # distinct teams (unmapped and outside-the-train count as one each)
    dependencies: Top[Dependency]  # oldest first

    @property
    def sentence(self) -> str:
        items = "item" if self.items == 1 else "items"
        teams = "team" if self.teams == 1 else "teams"
        return f"{self.team} blocks {self.items} {items} in {self.teams} {teams}"


@dataclass(frozen=True, slots=True)
class Digest:
    """One recipient's digest: the whole train (``team`` None) or one team's slice.

    A team's slice holds its own items and the items it blocks. ``quiet``: nothing changed
    since ``since`` and nothing is red (no red dependency open, no stale or failing source).
    """

    train: str
    timezone: str
    team: str | None
    since: datetime
    as_of: datetime
    sources: tuple[SourceNote, ...]
    changes: Changes
    aging_threshold_days: int
    open_dependencies: int
    red_dependencies: int
    oldest_cross_team: Top[Dependency]
    blocked_total: int
    blocked_by_team: tuple[tuple[str, int], ...]
    root_blockers: Top[RootBlocker]
    blocking_teams: tuple[BlockingTeam, ...]
    age_buckets: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # providing team → buckets
    board_url: str | None

    @property
    def sync_red(self) -> bool:
        return any(s.red for s in self.sources)

    @property
    def red(self) -> bool:
        return self.sync_red or self.red_dependencies > 0

    @property
    def quiet(self) -> bool:
        return not self.changes.any and not self.red
