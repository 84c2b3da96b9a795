"""Item fields over time: event lookups around T and the step functions they replay into.

An item field at T is the ``from_value`` of its first event after T, else the stored value
(see the package docstring); over a window ``[w0, T]`` it is that value just before w0 plus
every change in the window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, and_, func, or_, select

from model.tables import Event
from reports.state.base import ReaderBase
from reports.state.context import TICK
from reports.state.rows import CHUNK, IDS, NO_LABELS, EventRow, Found, ItemRow, Snap, chunks
from reports.state.sqltext import folds_to
from reports.state.stamps import raw
from reports.state.steps import Steps

SCAN_RATIO = 3  # window events per wanted item below which one range scan beats lookups


class EventReader(ReaderBase):
    """Field histories of stored items (status, flag, labels, flag reasons) and snapshots at T."""

    _primed: tuple[datetime, dict[int, Steps[str]], Collection[int]] | None = None

    def _first_after(
        self, field_name: str, ids: Collection[int], after: datetime
    ) -> dict[int, Found]:
        """Per item, (from, to, detail) of the field's first event strictly after ``after``."""
        found: dict[int, Found] = {}
        if self.none_after(field_name, after):
            return found
        for batch in chunks(ids):
            rank = (
                func.row_number()
                .over(partition_by=Event.item_id, order_by=(Event.at, Event.id))
                .label("rank")
            )
            inner = (
                select(Event.item_id, Event.from_value, Event.to_value, Event.detail, rank)
                .where(Event.field == field_name, Event.at > after, Event.item_id.in_(IDS))
                .subquery()
            )
            query = select(inner.c.item_id, inner.c.from_value, inner.c.to_value, inner.c.detail)
            for item_id, from_v, to_v, detail in self._run(query.where(inner.c.rank == 1), batch):
                found[item_id] = (from_v, to_v, detail)
        return found

    def _last_at_or_before(
        self, field_name: str, ids: Collection[int], at: datetime
    ) -> dict[int, Found]:
        found: dict[int, Found] = {}
        for batch in chunks(ids):
            rank = (
                func.row_number()
                .over(partition_by=Event.item_id, order_by=(Event.at.desc(), Event.id.desc()))
                .label("rank")
            )
            inner = (
                select(Event.item_id, Event.from_value, Event.to_value, Event.detail, rank)
                .where(Event.field == field_name, Event.at <= at, Event.item_id.in_(IDS))
                .subquery()
            )
            query = select(inner.c.item_id, inner.c.from_value, inner.c.to_value, inner.c.detail)
            for item_id, from_v, to_v, detail in self._run(query.where(inner.c.rank == 1), batch):
                found[item_id] = (from_v, to_v, detail)
        return found

    def _between(
        self,
        field_name: str,
        ids: Collection[int],
        w0: datetime,
        extra: ColumnElement[bool] | None = None,
        *,
        to_t: bool = True,
    ) -> dict[int, list[EventRow]]:
        """Per item, the field's events from ``w0`` on (up to T when ``to_t``), in order.

        Many ids over a short window: one range scan of the window, filtered here (an index
        count decides); else index lookups per chunk of ids."""
        found: dict[int, list[EventRow]] = defaultdict(list)
        if not ids or self.none_after(field_name, w0 - TICK):
            return found
        window = and_(Event.field == field_name, Event.at >= w0)
        if to_t:
            window = and_(window, Event.at <= self.t)
        if extra is not None:
            window = and_(window, extra)
        query = select(
            Event.item_id, raw(Event.at), Event.from_value, Event.to_value, Event.detail
        ).order_by(Event.item_id, Event.at, Event.id)
        instant = self.instant
        if self._scan_is_cheaper(field_name, w0, to_t, len(ids)):
            wanted = ids if isinstance(ids, (set, frozenset, dict)) else set(ids)
            for item_id, at, from_v, to_v, detail in self._exec(query.where(window)).all():
                if item_id in wanted:
                    found[item_id].append((instant(at), from_v, to_v, detail))
            return found
        for batch in chunks(ids):
            for item_id, at, from_v, to_v, detail in self._run(
                query.where(window, Event.item_id.in_(IDS)), batch
            ):
                found[cast(int, item_id)].append((instant(at), from_v, to_v, detail))
        return found

    def _scan_is_cheaper(self, field_name: str, w0: datetime, to_t: bool, ids: int) -> bool:
        """Whether reading every event of the window beats looking up ``ids`` items: a
        scanned row costs about a third of a looked-up one (no IN list, no per-chunk query)."""
        if ids < CHUNK:
            return False
        span = and_(Event.field == field_name, Event.at >= w0)
        if to_t:
            span = and_(span, Event.at <= self.t)
        events = self.session.scalar(select(func.count()).select_from(Event).where(span)) or 0
        return events <= SCAN_RATIO * ids

    def _value_steps(
        self,
        field_name: str,
        ids: Collection[int],
        w0: datetime,
        current: Callable[[ItemRow], str | None],
    ) -> dict[int, Steps[str | None]]:
        """Raw values of an item field over ``[w0, T]`` for each of ``ids``."""
        rows = self.rows(ids)
        window = self._between(field_name, ids, w0) if w0 <= self.t else {}
        later = self._first_after(field_name, ids, self.t)
        out: dict[int, Steps[str | None]] = {}
        for item_id, row in rows.items():
            events = window.get(item_id, [])
            if events:
                initial = events[0][1]
            elif item_id in later:
                initial = later[item_id][0]
            else:
                initial = current(row)
            out[item_id] = Steps(initial, [(at, to_v) for at, _, to_v, _ in events])
        return out

    # -- fields over time ------------------------------------------------------------------------

    def prime_status(
        self, w0: datetime, steps: dict[int, Steps[str]], kept: Collection[int]
    ) -> None:
        """Hand over status steps over ``[w0, T]`` a caller replayed, for the ``kept`` ids,
        from the status events since w0 of every item ``train_filter()`` selects (flow
        streams them): from then on ``status_steps(ids, w0)`` takes those of ``kept`` from
        here (one without steps had no status event since w0) and reads only the others."""
        self._primed = (w0, steps, kept)

    def status_steps(self, ids: Collection[int], w0: datetime) -> dict[int, Steps[str]]:
        primed = self._primed
        if primed is None or primed[0] != w0:
            return self._status_steps(ids, w0)
        _, steps, kept = primed
        out: dict[int, Steps[str]] = {}
        rest: list[int] = []
        for item_id, row in self.rows(ids).items():
            if item_id not in kept or not self.in_train_filter(row):
                rest.append(item_id)
                continue
            found = steps.get(item_id)
            out[item_id] = found if found is not None else Steps(row.status)
        out.update(self._status_steps(rest, w0))
        return out

    def _status_steps(self, ids: Collection[int], w0: datetime) -> dict[int, Steps[str]]:
        raw = self._value_steps("status", ids, w0, lambda row: row.status)
        for steps in raw.values():  # a missing value is the empty status
            if steps.initial is None:
                steps.initial = ""
            if any(v is None for _, v in steps.changes):
                steps.changes = [(at, v or "") for at, v in steps.changes]
        return cast(dict[int, Steps[str]], raw)

    def flag_steps(self, ids: Collection[int], w0: datetime) -> dict[int, Steps[bool]]:
        raw = self._value_steps("flagged", ids, w0, lambda row: "flagged" if row.flagged else "")
        return {i: steps.map(bool) for i, steps in raw.items()}

    def label_steps(self, ids: Collection[int], w0: datetime) -> dict[int, Steps[frozenset[str]]]:
        """The configured blocked labels an item carries, over ``[w0, T]`` (items that carry
        none throughout are left out)."""
        wanted = self.ctx.label_set
        rows = self.rows(ids)
        if not wanted:
            return {}
        extra = or_(folds_to(Event.to_value, wanted), folds_to(Event.from_value, wanted))
        events = self._between("label", ids, w0, extra, to_t=False)
        out: dict[int, Steps[frozenset[str]]] = {}
        for item_id, row in rows.items():
            state = {label for label in row.labels if label.casefold() in wanted}
            changes = events.get(item_id, [])
            if not state and not changes:
                continue  # never carried a blocked label since w0: callers use NO_LABELS
            for _, from_v, to_v, _ in reversed(changes):  # undo back to just before w0
                _apply_label(state, to_v, from_v, wanted)
            steps: Steps[frozenset[str]] = Steps(frozenset(state))
            for at, from_v, to_v, _ in changes:
                if at > self.t:
                    break
                _apply_label(state, from_v, to_v, wanted)
                steps.changes.append((at, frozenset(state)))
            out[item_id] = steps
        return out

    def flag_reasons(self, flagged_ids: Collection[int]) -> dict[int, str | None]:
        """The reason of each item flagged at T: the stored one, unless the flag changed later."""
        rows = self.rows(flagged_ids)
        later = self._first_after("flagged", flagged_ids, self.t)
        setters = self._last_at_or_before("flagged", [i for i in flagged_ids if i in later], self.t)
        reasons: dict[int, str | None] = {}
        for item_id, row in rows.items():
            if item_id not in later:
                reasons[item_id] = row.flag_reason or None
            else:
                found = setters.get(item_id)
                reasons[item_id] = (found[2] or None) if found and found[1] else None
        return reasons

    def snapshot(self, ids: Collection[int]) -> dict[int, Snap]:
        """Status, category, flag and blocked labels at T, for items created by T (cached).

        Reads only the first event after T of each field: nothing for a report as of now.
        """
        todo = [i for i in ids if i not in self._snaps]
        rows = {i: r for i, r in self.rows(todo).items() if r.created_at <= self.t}
        todo = list(rows)
        status = self._first_after("status", todo, self.t)
        flags = self._first_after("flagged", todo, self.t)
        labels = self.label_steps(todo, self.t + TICK)
        for item_id, row in rows.items():
            name = (status[item_id][0] or "") if item_id in status else row.status
            flagged = bool(flags[item_id][0]) if item_id in flags else row.flagged
            carried = labels[item_id].final if item_id in labels else NO_LABELS
            self._snaps[item_id] = Snap(name, self.category(row, name), flagged, carried)
        return {i: self._snaps[i] for i in ids if i in self._snaps}


def _apply_label(
    state: set[str], removed: str | None, added: str | None, wanted: frozenset[str]
) -> None:
    """Apply one label event; labels keep their spelling ("Blocked" and "blocked" are two)."""
    if removed and removed.casefold() in wanted:
        state.discard(removed)
    if added and added.casefold() in wanted:
        state.add(added)
