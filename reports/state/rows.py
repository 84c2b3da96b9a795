"""The stored rows reports read (items, blocks-links) and the states derived from them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, bindparam

from model.rules import status_category
from model.tables import WorkItem
from reports.state.context import IterationInfo
from reports.state.stamps import Instant, Stamp, raw
from reports.state.steps import Steps

CHUNK = 2000  # ids per IN list: well inside SQLite's and PostgreSQL's parameter limits
IDS: BindParameter[list[int]] = bindparam(
    "ids", expanding=True
)  # one compiled statement for every chunk of ids
NO_LABELS: frozenset[str] = frozenset()
Node = int | tuple[str, str]  # a stored item's id, or (tracker, key) of an end not stored
EventRow = tuple[datetime, str | None, str | None, str | None]  # at, from, to, detail
Found = tuple[str | None, str | None, str | None]  # from, to, detail


@dataclass(frozen=True, slots=True)
class ItemRow:
    """The stored (current) columns of a work item that reports read."""

    id: int
    source_id: int
    tracker_id: str
    key: str
    url: str
    title: str
    team_id: int | None
    status: str
    category: str
    sprint_id: int | None
    created_at: datetime
    in_scope: bool
    flagged: bool
    flag_reason: str | None
    labels: tuple[str, ...]
    missing_since: datetime | None
    resolved_at: datetime | None = None
    provisional: bool = False  # history not read yet (GitHub first pass): dates are first-seen


ITEM_COLUMNS = (
    WorkItem.id,
    WorkItem.source_id,
    WorkItem.tracker_id,
    WorkItem.key,
    WorkItem.url,
    WorkItem.title,
    WorkItem.team_id,
    WorkItem.status,
    WorkItem.status_category,
    WorkItem.sprint_id,
    raw(WorkItem.created_at),
    WorkItem.in_scope,
    WorkItem.flagged,
    WorkItem.flag_reason,
    raw(WorkItem.labels),
    WorkItem.missing,
    raw(WorkItem.missing_since),
    raw(WorkItem.resolved_at),
    WorkItem.history_pending,
)  # datetimes and labels come raw: ``item_row`` converts them (``reports.state.stamps``)


def item_row(values: Sequence[Any], stamp: Stamp, instant: Instant) -> ItemRow:
    (id_, source_id, tracker_id, key, url, title, team_id, status, category, sprint_id,
     created_at, in_scope, flagged, flag_reason, labels, missing, missing_since,
     resolved_at, pending) = values  # fmt: skip
    created = instant(created_at)
    missing_since, resolved_at = stamp(missing_since), stamp(resolved_at)
    gone = missing_since if missing_since is not None else (created if missing else None)
    return ItemRow(
        id_, source_id, tracker_id, key, url or "", title or "", team_id, status or "",
        category or "todo", sprint_id, created, bool(in_scope), bool(flagged), flag_reason,
        _labels(labels), gone, resolved_at, bool(pending),
    )  # fmt: skip


def _labels(value: Any) -> tuple[str, ...]:
    """The stored label list: decoded here, where most rows hold ``[]`` (SQLite gives text,
    PostgreSQL's driver a list)."""
    if isinstance(value, str):
        return () if value == "[]" else tuple(json.loads(value) or ())
    return tuple(value or ())


@dataclass(frozen=True, slots=True)
class LinkRow:
    """A stored blocks-link with its presence intervals up to T (end None: present at T)."""

    id: int
    source_id: int
    origin: str
    blocker_id: int | None
    blocker_tracker: str
    blocker_key: str
    blocker_url: str
    blocked_id: int | None
    blocked_tracker: str
    blocked_key: str
    blocked_url: str
    presence: tuple[tuple[datetime, datetime | None], ...]

    @property
    def blocker(self) -> Node:
        return (
            self.blocker_id
            if self.blocker_id is not None
            else (self.blocker_tracker, self.blocker_key)
        )

    @property
    def blocked(self) -> Node:
        return (
            self.blocked_id
            if self.blocked_id is not None
            else (self.blocked_tracker, self.blocked_key)
        )

    def present_at(self, when: datetime) -> bool:
        if len(self.presence) == 1:  # most links: no generator per call (thousands per report)
            s, e = self.presence[0]
            return s <= when and (e is None or e > when)
        return any(s <= when and (e is None or e > when) for s, e in self.presence)

    def added_before(self, when: datetime) -> datetime | None:
        """Start of the presence that holds at ``when`` (None: absent then)."""
        return next((s for s, e in self.presence if s <= when and (e is None or e > when)), None)

    def touches(self, w0: datetime) -> bool:
        """Present at some instant of ``[w0, T]``."""
        if len(self.presence) == 1:
            end = self.presence[0][1]
            return end is None or end > w0
        return any(e is None or e > w0 for _, e in self.presence)


@dataclass(frozen=True, slots=True)
class Snap:
    """What decides blocked-ness at T: status, its category, flag, blocked labels carried."""

    status: str
    category: str
    flagged: bool
    labels: frozenset[str]

    @property
    def done(self) -> bool:
        return self.category == "done"


@dataclass(frozen=True, slots=True)
class ItemState:
    """An item at T: the stored row plus the history-derived values."""

    row: ItemRow
    status: str
    category: str
    iteration: IterationInfo | None
    flagged: bool
    flag_reason: str | None
    labels: frozenset[str]  # configured blocked labels it carries (as spelled)
    team: str | None
    outside: bool

    @property
    def done(self) -> bool:
        return self.category == "done"


@dataclass(frozen=True, slots=True)
class BlockedTimeline:
    """An item's blocked-ness over ``[w0, T]`` and, at T, why it is blocked."""

    blocked: Steps[bool]
    reasons: tuple[str, ...]
    blocked_by: tuple[Node, ...]  # blockers of its open dependencies at T


def chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    batch: list[int] = []
    for value in ids:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def category_of(
    known: Mapping[tuple[int, str], str],
    source_id: int,
    status: str,
    stored_status: str,
    stored_category: str,
) -> str:
    """The one status-category lookup: an item's stored status keeps its stored category;
    other names use what the source taught us (``status_categories``), else ``model.rules``."""
    if status == stored_status:
        return stored_category
    found = known.get((source_id, status))
    return found if found is not None else status_category(status)
