"""Link presence over time: which blocks-links existed when, from their link events.

A link is present at T iff its last link event at or before T is "added"; a link without any
event falls back to its ``created_at``/``removed_at`` columns (and, when its first event comes
after T, to the opposite of that event). A dependency's ``created_at`` is the start of the
link's current presence: a link removed and re-added ages from its re-adding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from model.tables import Event, Link, WorkItem
from reports.state.base import ReaderBase
from reports.state.rows import IDS, LinkRow, chunks
from reports.state.stamps import raw


class LinkReader(ReaderBase):
    """The train's blocks-links with their presence intervals up to T (cached)."""

    def widen(self, horizon: datetime) -> None:
        """Make ``links()`` cover presence back to ``horizon`` too (reads only the links
        removed between the new and the old horizon)."""
        if horizon >= self.horizon:
            return
        if self._links is not None:  # what qualifies now, less what qualified before
            added = and_(self._wanted(horizon), ~self._wanted(self.horizon))
            self._links = self._links + self._load_links(added)
        self.horizon = horizon

    def links(self) -> list[LinkRow]:
        """Every blocks-link present at some instant of ``[horizon, T]``, with its presence
        intervals up to T.

        A link whose ``removed_at`` is at or before the horizon is left out in SQL: the engine
        clears ``removed_at`` when a link comes back, so such a link stayed away since.
        """
        if self._links is None:
            self._links = self._load_links(self._wanted(self.horizon))
        return self._links

    def incoming(self, ids: Collection[int], w0: datetime) -> dict[int, list[LinkRow]]:
        """Per item of ``ids``, the links into it present at some instant of ``[w0, T]``.

        From ``links()`` when w0 is within its horizon; from further back, read by blocked end
        (``links()`` keeps its horizon): a replay of a few long-blocked items reads their own
        links, not every link of the train since then. Only the links ``links()`` would leave
        out for both ends being done since w0 come in on top (into an item done throughout
        the window, never blocked)."""
        wanted = set(ids)
        if w0 >= self.horizon:
            loaded = self.links()
        else:
            back = and_(
                Link.blocked_item_id.in_(IDS),
                or_(Link.removed_at.is_(None), Link.removed_at > w0),
            )
            loaded = [
                lk for batch in chunks(sorted(wanted)) for lk in self._load_links(back, batch)
            ]
        found: dict[int, list[LinkRow]] = defaultdict(list)
        for link in loaded:
            if link.blocked_id in wanted and link.touches(w0):
                found[link.blocked_id].append(link)
        return found

    def _wanted(self, horizon: datetime) -> ColumnElement[bool]:
        """SQL: links that may matter in ``[horizon, T]`` (grows as the horizon moves back).

        Left out: links removed before the horizon (the engine clears ``removed_at`` when a
        link comes back, so those stayed away), and links between two stored items that were
        both done since the horizon: never an open dependency, never blocking, no hygiene
        finding. Most links of a long history are one or the other.
        """
        kept = or_(Link.removed_at.is_(None), Link.removed_at > horizon)
        return and_(kept, self._not_finished_on_both_ends(horizon))

    def _not_finished_on_both_ends(self, horizon: datetime) -> ColumnElement[bool]:
        blocker, blocked = aliased(WorkItem), aliased(WorkItem)

        def finished(item: Any) -> ColumnElement[bool]:
            changed = exists(
                select(Event.id).where(
                    Event.item_id == item.id, Event.field == "status", Event.at >= horizon
                )
            )
            return and_(item.status_category == "done", item.created_at <= self.horizon, ~changed)

        both = (
            select(blocker.id)
            .join(blocked, blocked.id == Link.blocked_item_id)
            .where(blocker.id == Link.blocker_item_id, finished(blocker), finished(blocked))
        )
        return ~exists(both)

    def _load_links(
        self, which: ColumnElement[bool], batch: list[int] | None = None
    ) -> list[LinkRow]:
        """The links ``which`` selects with their link events up to T, in one query: ``which``
        (correlated lookups on both ends) is evaluated once, not once for links and again for
        their events. ``batch``: the ids of ``IDS`` in ``which``."""
        query = (
            select(
                Link.id,
                Link.source_id,
                Link.origin,
                Link.blocker_item_id,
                Link.blocker_tracker,
                Link.blocker_key,
                Link.blocker_url,
                Link.blocked_item_id,
                Link.blocked_tracker,
                Link.blocked_key,
                Link.blocked_url,
                raw(Link.created_at),
                raw(Link.removed_at),
                raw(Event.at),
                Event.to_value,
            )
            .outerjoin(
                Event,
                and_(Event.link_id == Link.id, Event.field == "link", Event.at <= self.t),
            )
            .where(Link.kind == "blocks", which)
            .order_by(Link.id, Event.at, Event.id)
        )
        stamp, instant = self.stamp, self.instant
        found_raw: list[Sequence[Any]] = []  # each link's first row
        history: dict[int, list[tuple[datetime, str]]] = {}
        rows = self._run(query, batch) if batch is not None else self._exec(query).all()
        previous: Any = None
        for row in rows:  # one pass, no per-link groups: a link has one or two rows
            if row[0] != previous:
                previous = row[0]
                found_raw.append(row)
            if row[13] is not None:
                history.setdefault(previous, []).append(
                    (instant(row[13]), (row[14] or "").casefold())
                )
        unexplained = [r[0] for r in found_raw if r[0] not in history]
        later = self._first_link_event_after(unexplained)
        found: list[LinkRow] = []
        for (link_id, source_id, origin, b_id, b_tr, b_key, b_url, d_id, d_tr, d_key, d_url,
             created_at, removed_at, _, _) in found_raw:  # fmt: skip
            presence = _presence(
                history.get(link_id),
                later.get(link_id),
                instant(created_at),
                stamp(removed_at),
                self.t,
            )
            if presence:
                found.append(LinkRow(
                    link_id, source_id, origin, b_id, b_tr, b_key, b_url or "", d_id, d_tr, d_key,
                    d_url or "", presence,
                ))  # fmt: skip
        return found

    def _first_link_event_after(self, link_ids: Collection[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        if self.none_after("link", self.t):
            return found
        for batch in chunks(link_ids):
            rank = (
                func.row_number()
                .over(partition_by=Event.link_id, order_by=(Event.at, Event.id))
                .label("rank")
            )
            inner = (
                select(Event.link_id, Event.to_value, rank)
                .where(Event.field == "link", Event.at > self.t, Event.link_id.in_(IDS))
                .subquery()
            )
            query = select(inner.c.link_id, inner.c.to_value).where(inner.c.rank == 1)
            for link_id, to_v in self._run(query, batch):
                found[link_id] = (to_v or "").casefold()
        return found


def _presence(
    history: list[tuple[datetime, str]] | None,
    first_later: str | None,
    created_at: datetime,
    removed_at: datetime | None,
    t: datetime,
) -> tuple[tuple[datetime, datetime | None], ...]:
    """Presence intervals up to T from a link's events (or its columns when it has none)."""
    if not history:
        if first_later is not None:  # the history starts after T: before it, the opposite holds
            return ((created_at, None),) if first_later == "removed" else ()
        if removed_at is not None and removed_at <= t:
            return ((created_at, removed_at),)
        return ((created_at, None),)
    found: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = created_at if history[0][1] == "removed" else None
    for at, what in history:
        if what == "added" and start is None:
            start = at
        elif what == "removed" and start is not None:
            if at > start:
                found.append((start, at))
            start = None
    if start is not None:
        found.append((start, None))
    return tuple(found)
