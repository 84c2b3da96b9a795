"""Flow's status history since w0, streamed: done moments, WIP shifts, and the blocked
replay's status steps, from one query over the window's status events (``reports.flow``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from itertools import chain, groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, case, literal, select

from model.tables import Event, WorkItem
from reports.state import StateReader, category_of
from reports.state.stamps import Instant, raw
from reports.state.steps import Steps

STREAM = 2000  # rows per fetch of a streamed query: memory stays flat however long the history


def team_of(reader: StateReader, team_id: int | None) -> int | None:
    """The item's team when it is one of the train's, else None (flow's unmapped row)."""
    return team_id if team_id in reader.train.teams else None


Done = tuple[int | None, datetime, timedelta]  # team, done moment, lead time
Counts = dict[tuple[int | None, int], int]


def from_history(
    reader: StateReader,
    w0: datetime,
    bounds: dict[int, datetime],
    blocked: tuple[datetime, Collection[int]],
) -> tuple[list[Done], Counts, set[int]]:
    """Done moments (>= w0) of items done at T, per (team, iteration) the WIP shift (in
    progress at the bound, less counted in progress by the stored category: flow's ``_wip``), and
    the ids of the items replayed.

    Streams the status events since w0 of train items in item order and replays one item at
    a time: memory stays flat however long the history. ``blocked`` (since, ids): the
    blocked replay's status steps of those ids since then are kept from the same stream and
    primed into the reader (they were a second scan of the window's events).
    """
    done: list[Done] = []
    shift: Counts = defaultdict(int)
    replayed: set[int] = set()
    kept_from, wanted = blocked
    kept: dict[int, Steps[str]] = {}
    categories = _Categories(reader)
    stamp, instant, t, n = reader.stamp, reader.instant, reader.t, len(bounds)
    at_bound = list(bounds.items())
    query = _status_events(reader, w0, [*bounds.values(), t])
    result = reader.session.connection().execute(query.execution_options(yield_per=STREAM))
    rows = chain.from_iterable(result.partitions())  # row by row costs a driver call each
    for item_id, group in groupby(rows, key=itemgetter(0)):
        replayed.add(item_id)
        events = list(group)
        _, team_id, source_id, status, cat, created, missing, missing_since = events[0][:8]
        if item_id in wanted:
            kept[item_id] = _steps_since(events, kept_from, n, instant, status or "")
        category = categories.of_item(source_id, status or "", cat or "todo")
        since, at_bounds = _replay(events, category, n)
        team, created = team_of(reader, team_id), instant(created)
        gone = stamp(missing_since) if missing_since is not None else (created if missing else None)
        if since is not None and (gone is None or gone > t):
            moment = instant(since)
            done.append((team, moment, moment - created))
        now, stored = (cat or "todo") == "in_progress", status or ""
        for (it_id, b), then in zip(at_bound, at_bounds, strict=True):
            if then == stored:  # the stored status has the stored category: no shift
                continue
            moved = (category(then) == "in_progress") - now
            if moved and created <= b and (gone is None or gone > b):
                shift[(team, it_id)] += moved
    reader.prime_status(kept_from, kept, wanted)
    return done, shift, replayed


def _steps_since(
    events: Sequence[Sequence[Any]], since: datetime, n: int, instant: Instant, status: str
) -> Steps[str]:
    """``StateReader.status_steps`` over ``[since, T]`` of one streamed item: its changes in
    the window; before them, the from-value of its first event from ``since`` on (up to T,
    else the first after T), else its stored status."""
    initial: str | None = None
    changes: list[tuple[datetime, str]] = []
    for event in events:
        bucket, at, from_v, to_v = event[-4:]
        if bucket > n:  # after T
            initial = (from_v or "") if initial is None else initial
            break
        when = instant(at)
        if when >= since:
            initial = (from_v or "") if initial is None else initial
            changes.append((when, to_v or ""))
    return Steps(status if initial is None else initial, changes)


def _replay(
    events: Sequence[Sequence[Any]], category: Callable[[str], str], n: int
) -> tuple[Any, list[str]]:
    """One item's status events since w0, in order (``bucket``: how many of the n bounds, then
    T, lie before it): the raw ``at`` of its final move into done in [w0, T] (None when not
    done at T), and its status at each bound (the from-value of
    the first event after the bound up to T, else the last to-value up to T, else the
    from-value of the first event after T)."""
    at_bounds: list[str] = []
    was_done: bool | None = None
    since: Any = None
    last: str | None = None
    for event in events:
        bucket, at, from_v, to_v = event[-4:]
        if bucket > n:  # after T: only its from-value matters, and only with nothing in [w0, T]
            last = (from_v or "") if last is None else last
            break
        while len(at_bounds) < bucket:
            at_bounds.append(from_v or "")
        if was_done is None:
            was_done = category(from_v or "") == "done"
        now_done = category(to_v or "") == "done"
        if now_done and not was_done:
            since = at
        elif not now_done:
            since = None
        was_done, last = now_done, to_v or ""
    return since, at_bounds + [last or ""] * (n - len(at_bounds))


class _Categories:
    """``StateReader.category`` for many events: names looked up once per source."""

    def __init__(self, reader: StateReader) -> None:
        self.reader = reader
        self.known: dict[tuple[int, str], str] = {}

    def of_item(self, source_id: int, status: str, category: str) -> Callable[[str], str]:
        """The category of a status name of one item (its stored status keeps its category)."""

        def of(name: str) -> str:
            if name == status:
                return category
            found = self.known.get((source_id, name))
            if found is None:
                found = category_of(self.reader.categories, source_id, name, status, category)
                self.known[(source_id, name)] = found
            return found

        return of


# -- the window's status events, streamed ----------------------------------------------------


def _status_events(reader: StateReader, w0: datetime, points: Sequence[datetime]) -> Select[Any]:
    """Status events since w0 of train items, in item order, with their item's stored columns
    and ``bucket``: how many of the (ascending) ``points`` lie before the event. Datetimes
    come raw (``reader.instant`` converts the few that are used, not one per event)."""
    bucket = sum((case((Event.at > p, 1), else_=0) for p in points), literal(0))
    return (
        select(
            WorkItem.id,
            WorkItem.team_id,
            WorkItem.source_id,
            WorkItem.status,
            WorkItem.status_category,
            raw(WorkItem.created_at),
            WorkItem.missing,
            raw(WorkItem.missing_since),
            bucket,
            raw(Event.at),
            Event.from_value,
            Event.to_value,
        )
        .join(Event, Event.item_id == WorkItem.id)
        .where(reader.train_filter(), Event.field == "status", Event.at >= w0)
        .order_by(WorkItem.id, Event.at, Event.id)
    )
