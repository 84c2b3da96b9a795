"""The blocking rules: who may be blocked, and each item's blocked-ness over a window.

Blocked = not done and any of: flagged (if configured), in a configured blocked status,
carrying a configured blocked label, or the blocked end of a present link whose blocker is not
done. An end that is not a stored item counts as not done.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select

from model.tables import Event, WorkItem
from reports.state.context import TICK
from reports.state.events import EventReader
from reports.state.links import LinkReader
from reports.state.rows import IDS, BlockedTimeline, ItemRow, LinkRow, chunks
from reports.state.sqltext import folds_to, json_has
from reports.state.steps import Steps, both, combine, steps_from_intervals


class BlockingRules(EventReader, LinkReader):
    """Blocked candidates (SQL supersets) and blocked timelines (replayed in Python)."""

    REASONS = ("flagged", "status", "label", "dependency")

    def blocked_candidates(self, w0: datetime) -> set[int]:
        """Train items that may be blocked at some instant of ``[w0, T]`` (a superset, by SQL).

        An item not flagged now with no flag event since w0 was never flagged in the window,
        and so on for blocked statuses and labels; an item currently done with no status
        change since w0 was done throughout. The stored columns of every reason are read in
        one scan, each reason's events since w0 by index range; the union is then checked
        in chunks.
        """
        ctx = self.ctx
        self.widen(w0)
        possible: set[int] = set()
        stored: list[ColumnElement[bool]] = []  # one scan of the items for every reason
        if ctx.blocked_flagged:
            stored.append(WorkItem.flagged.is_(True))
            possible |= self._event_ids("flagged", w0, None)
        statuses = sorted(ctx.status_set)
        if statuses:
            stored.append(folds_to(WorkItem.status, statuses))
            touched = or_(folds_to(Event.to_value, statuses), folds_to(Event.from_value, statuses))
            possible |= self._event_ids("status", w0, touched)
        labels = sorted(ctx.label_set)
        if labels:
            stored.extend(json_has(label) for label in labels)
            touched = or_(folds_to(Event.to_value, labels), folds_to(Event.from_value, labels))
            possible |= self._event_ids("label", w0, touched)
        if stored:
            possible.update(self._exec(select(WorkItem.id).where(or_(*stored))).scalars())
        possible.update(
            link.blocked_id
            for link in self.links()
            if link.blocked_id is not None and link.touches(w0)
        )
        alive = and_(
            self.train_filter(),
            or_(WorkItem.status_category != "done", self._has_event("status", w0)),
        )
        found: set[int] = set()
        query = select(WorkItem.id).where(alive, WorkItem.id.in_(IDS))
        for batch in chunks(sorted(possible)):
            found.update(item_id for (item_id,) in self._run(query, batch))
        return found

    def flagged_candidates(self) -> list[int]:
        """Train items that may be flagged at T: flagged now, or their flag changed after T."""
        flagged_since = select(Event.item_id).where(Event.field == "flagged", Event.at > self.t)
        query = select(WorkItem.id).where(
            self.train_filter(),
            or_(WorkItem.flagged.is_(True), WorkItem.id.in_(flagged_since)),
        )
        return list(self._exec(query).scalars())

    def not_surely_done(self, ids: Collection[int]) -> set[int]:
        """Those of ``ids`` that may not be done at T: not done now, or their status changed
        after T, or created after T (SQL; the rest were done at T)."""
        maybe = or_(WorkItem.status_category != "done", WorkItem.created_at > self.t)
        if not self.none_after("status", self.t):  # as of now: no lookup per done item
            maybe = or_(maybe, self._has_event("status", self.t + TICK))
        query = select(WorkItem.id).where(maybe, WorkItem.id.in_(IDS))
        found: set[int] = set()
        for batch in chunks(sorted(ids)):
            found.update(item_id for (item_id,) in self._run(query, batch))
        return found

    def with_events(self, field_name: str, ids: Collection[int]) -> set[int]:
        """Those of ``ids`` that have any event of ``field_name`` (index lookups per chunk)."""
        query = (
            select(Event.item_id)
            .where(Event.item_id.in_(IDS), Event.field == field_name)
            .distinct()
        )
        found: set[int] = set()
        for batch in chunks(sorted(ids)):
            found.update(item_id for (item_id,) in self._run(query, batch))
        return found

    def _event_ids(
        self, field_name: str, w0: datetime, touched: ColumnElement[bool] | None
    ) -> set[int]:
        """Items with a ``field_name`` event since w0 (matching ``touched``)."""
        events = select(Event.item_id).where(Event.field == field_name, Event.at >= w0)
        if touched is not None:
            events = events.where(touched)
        return {i for i in self._exec(events.distinct()).scalars() if i is not None}

    @staticmethod
    def _has_event(
        field_name: str, w0: datetime, extra: ColumnElement[bool] | None = None
    ) -> ColumnElement[bool]:
        condition = and_(Event.item_id == WorkItem.id, Event.field == field_name, Event.at >= w0)
        if extra is not None:
            condition = and_(condition, extra)
        return exists(select(Event.id).where(condition))

    # -- blocked-ness over time ---------------------------------------------------------------

    def blocked_timelines(self, ids: Collection[int], w0: datetime) -> dict[int, BlockedTimeline]:
        """For each item, whether it was blocked over ``[w0, T]`` and its reasons at T.

        Blocked = not done and any of: flagged (if configured), in a blocked status, carrying a
        blocked label, or the blocked end of a present link whose blocker is not done. An end
        that is not a stored item counts as not done.
        """
        ctx = self.ctx
        rows = self.rows(ids)
        ids = [i for i in ids if i in rows]
        incoming = self.incoming(ids, w0)  # links removed before w0 matter to a replay from w0
        blocker_ids = {
            lk.blocker_id for lks in incoming.values() for lk in lks if lk.blocker_id is not None
        }
        blocker_rows = self.rows(blocker_ids)
        status = self.status_steps(set(ids) | set(blocker_rows), w0)
        flags = self.flag_steps(ids, w0) if ctx.blocked_flagged else {}
        labels = self.label_steps(ids, w0)
        statuses = ctx.status_set
        never: Steps[bool] = Steps(False)
        not_done: dict[int, Steps[bool]] = {}  # per blocker, shared by its links
        seen: dict[tuple[int, str, str, str], tuple[bool, bool]] = {}  # few distinct statuses

        def classify(row: ItemRow, name: str) -> tuple[bool, bool]:
            key = (row.source_id, row.status, row.category, name)
            found = seen.get(key)
            if found is None:
                found = seen[key] = (
                    self.category(row, name) == "done",
                    name.casefold() in statuses,
                )
            return found

        out: dict[int, BlockedTimeline] = {}
        for item_id in ids:
            row = rows[item_id]
            steps = status[item_id]
            own = Steps(
                classify(row, steps.initial), [(at, classify(row, s)) for at, s in steps.changes]
            )
            label = labels.get(item_id)
            parts: list[Steps[Any]] = [
                self._alive(row, w0),
                own,
                flags.get(item_id, never),
                label.map(bool) if label is not None else never,
            ]
            dep_links = incoming.get(item_id, [])
            parts.extend(
                self._open_steps(link, status, blocker_rows, w0, not_done) for link in dep_links
            )
            blocked = combine(parts, _blocked_now)
            at_t = [p.final for p in parts]
            why = (at_t[2], at_t[1][1], at_t[3], any(at_t[4:]))
            reasons = (
                tuple(r for r, on in zip(self.REASONS, why, strict=True) if on)
                if blocked.final
                else ()
            )
            blocked_by = tuple(
                dict.fromkeys(lk.blocker for lk, on in zip(dep_links, at_t[4:], strict=True) if on)
            )
            out[item_id] = BlockedTimeline(blocked, reasons, blocked_by)
        return out

    def _alive(self, row: ItemRow, w0: datetime) -> Steps[bool]:
        """Whether the item exists: from ``created_at`` until it went missing."""
        gone = row.missing_since
        return steps_from_intervals(((row.created_at, gone),), w0, self.t)

    def _open_steps(
        self,
        link: LinkRow,
        status: dict[int, Steps[str]],
        blocker_rows: dict[int, ItemRow],
        w0: datetime,
        not_done: dict[int, Steps[bool]] | None = None,
    ) -> Steps[bool]:
        """A link counts as an open dependency while present and its blocker is not done."""
        present = steps_from_intervals(link.presence, w0, self.t)
        blocker = link.blocker_id
        if blocker is None or blocker not in blocker_rows:
            return present
        cached = not_done.get(blocker) if not_done is not None else None
        if cached is None:  # settled once per blocker: only the moves into and out of done
            row = blocker_rows[blocker]
            cached = both(ALWAYS, status[blocker].map(lambda s: self.category(row, s) != "done"))
            if not_done is not None:
                not_done[blocker] = cached
        if not cached.changes:  # the blocker's state held still over the window
            return present if cached.initial else Steps(False)
        if not present.changes:  # the link held still over the window
            return cached if present.initial else Steps(False)
        return both(present, cached)

    def open_steps(self, links: Sequence[LinkRow], w0: datetime) -> dict[int, Steps[bool]]:
        """Per link id, whether it was an open dependency over ``[w0, T]``."""
        self.widen(w0)
        blocker_ids = {lk.blocker_id for lk in links if lk.blocker_id is not None}
        rows = self.rows(blocker_ids)
        status = self.status_steps(list(rows), w0)
        return {lk.id: self._open_steps(lk, status, rows, w0) for lk in links}


ALWAYS: Steps[bool] = Steps(True)  # never changed: callers only read it


def _blocked_now(v: list[Any]) -> bool:
    """alive, (done, blocked status), flagged, labelled, *open dependencies -> blocked."""
    return bool(v[0] and not v[1][0] and (v[1][1] or v[2] or v[3] or any(v[4:])))
