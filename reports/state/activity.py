"""Tracker activity on items: the last meaningful change up to T (for stalled work).

Meaningful: any stored event of the item up to T (a status, flag, label, sprint or parent
change, or an ``activity`` event: an edit or comment) except link changes (``link`` events;
remote links leave none), made by an account that is not one of ``ctx.bots`` (matched against
the event's ``author`` and ``author_name``, case-insensitively). Events stored without an
author (history read before authors were kept) count: nobody can know them to be a bot's.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select

from model.tables import Event, WorkItem
from reports.state.context import TICK
from reports.state.events import EventReader
from reports.state.rows import IDS, chunks
from reports.state.stamps import raw


class ActivityReader(EventReader):
    """In-progress candidates and the last meaningful activity of items, by SQL."""

    def in_progress_candidates(self) -> set[int]:
        """Train items that may be in progress at T (a superset: in progress now, or their
        status changed after T; the latter unfiltered); callers confirm with ``snapshot``.
        Two index-friendly queries: a correlated ``exists`` would run once per stored item."""
        now = select(WorkItem.id).where(
            self.train_filter(), WorkItem.status_category == "in_progress"
        )
        later = (
            select(Event.item_id)
            .where(Event.field == "status", Event.at >= self.t + TICK)
            .distinct()
        )
        found = set(self._exec(now).scalars())
        found.update(i for i in self._exec(later).scalars() if i is not None)
        return found

    def stored_in_progress(self) -> list[tuple[int | None, datetime, bool, datetime | None]]:
        """(team id, created_at, missing, missing_since) of the train items stored in an
        in-progress category. Grouped in Python: a GROUP BY made SQLite walk the team index,
        one row lookup per stored item, five times slower than this plain scan."""
        query = select(
            WorkItem.team_id,
            raw(WorkItem.created_at),
            WorkItem.missing,
            raw(WorkItem.missing_since),
        ).where(self.train_filter(), WorkItem.status_category == "in_progress")
        return [
            (team_id, self.instant(created), bool(missing), self.stamp(missing_since))
            for team_id, created, missing, missing_since in self._exec(query)
        ]

    def last_activity(self, ids: Collection[int]) -> dict[int, datetime]:
        """Per item, its last meaningful event at or before T (items without one left out)."""
        found: dict[int, datetime] = {}
        query = (
            select(Event.item_id, func.max(Event.at))
            .where(
                Event.item_id.in_(IDS),
                Event.at <= self.t,
                Event.field != "link",
                self._not_a_bot(),
            )
            .group_by(Event.item_id)
        )
        for batch in chunks(sorted(ids)):
            for item_id, at in self._run(query, batch):
                found[item_id] = at
        return found

    def _not_a_bot(self) -> ColumnElement[bool]:
        bots = sorted(self.ctx.bot_set)
        if not bots:
            return Event.id.is_not(None)
        return and_(
            or_(Event.author.is_(None), func.lower(Event.author).not_in(bots)),
            or_(Event.author_name.is_(None), func.lower(Event.author_name).not_in(bots)),
        )
