"""Flow's status history since w0, streamed: done moments, WIP shifts, and the blocked
replay's status steps, from one query over the window's status events (``reports.flow``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from itertools import chain, groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, select

from model.tables import Event, WorkItem
from reports.state import StateReader, category_of
from reports.state.stamps import Instant, bound, raw
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

    Streams the status events since w0 in item order and replays one train item at a time:
    the events are never held, only a few stored columns of the items they touch (one row
    per item, not per event, however long the history). ``blocked`` (since, ids): the
    blocked replay's status steps of those ids since then are kept from the same stream and
    primed into the reader (they were a second scan of the window's events).
    """
    done: list[Done] = []
    shift: Counts = defaultdict(int)
    replayed: set[int] = set()
    kept_from, wanted = blocked
    kept: dict[int, Steps[str]] = {}
    categories = _Categories(reader)
    stamp, instant, t = reader.stamp, reader.instant, reader.t
    at_bound = list(bounds.items())
    points = [*map(bound(reader.session.get_bind().dialect), [*bounds.values(), t])]
    items = _stream_items(reader, w0)
    query = _status_events(w0)
    result = reader.session.connection().execute(query.execution_options(yield_per=STREAM))
    rows = chain.from_iterable(result.partitions())  # row by row costs a driver call each
    for item_id, group in groupby(rows, key=itemgetter(0)):
        item = items.get(item_id)
        if item is None:  # not a train item
            continue
        replayed.add(item_id)
        events = list(group)
        team_id, source_id, status, cat, created, missing, missing_since = item
        if item_id in wanted:
            kept[item_id] = _steps_since(events, kept_from, points[-1], instant, status or "")
        category = categories.of_item(source_id, status or "", cat or "todo")
        since, at_bounds = _replay(events, category, points)
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
    events: Sequence[Sequence[Any]], since: datetime, t: Any, instant: Instant, status: str
) -> Steps[str]:
    """``StateReader.status_steps`` over ``[since, T]`` of one streamed item: its changes in
    the window; before them, the from-value of its first event from ``since`` on (up to T,
    else the first after T), else its stored status. ``t``: T as bound (``_replay``)."""
    initial: str | None = None
    changes: list[tuple[datetime, str]] = []
    for event in events:
        at, from_v, to_v = event[-3:]
        if at > t:
            initial = (from_v or "") if initial is None else initial
            break
        when = instant(at)
        if when >= since:
            initial = (from_v or "") if initial is None else initial
            changes.append((when, to_v or ""))
    return Steps(status if initial is None else initial, changes)


def _replay(
    events: Sequence[Sequence[Any]], category: Callable[[str], str], points: Sequence[Any]
) -> tuple[Any, list[str]]:
    """One item's status events since w0, in order: the raw ``at`` of its final move into
    done in [w0, T] (None when not done at T), and its status at each of the n bounds (the
    from-value of the first event after the bound up to T, else the last to-value up to T,
    else the from-value of the first event after T).

    ``points``: the n bounds, then T, ascending and as bound to SQL (``stamps.bound``): the
    raw ``at`` compares with them as SQL would, with no conversion per event (a ``CASE`` per
    point in the query cost its SQLite scan a third more)."""
    n = len(points) - 1
    at_bounds: list[str] = []
    was_done: bool | None = None
    since: Any = None
    last: str | None = None
    for event in events:
        at, from_v, to_v = event[-3:]
        bucket = bisect_left(points, at)  # how many of the points lie before it
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


Item = tuple[int | None, int, str | None, str | None, Any, bool, Any]


def _stream_items(reader: StateReader, w0: datetime) -> dict[int, Item]:
    """The stored columns flow replays with (team, source, status, category, raw created_at,
    missing, raw missing_since) of the train items with a status event since w0.

    Read apart from their events: joined, every event row repeated its item's columns (39,000
    rows for 21,000 items at 100k: a third of the stream's SQLite time)."""
    touched = select(Event.item_id).where(Event.field == "status", Event.at >= w0)
    query = select(
        WorkItem.id,
        WorkItem.team_id,
        WorkItem.source_id,
        WorkItem.status,
        WorkItem.status_category,
        raw(WorkItem.created_at),
        WorkItem.missing,
        raw(WorkItem.missing_since),
    ).where(reader.train_filter(), WorkItem.id.in_(touched))
    return {row[0]: tuple(row[1:]) for row in reader.session.connection().execute(query)}


def _status_events(w0: datetime) -> Select[Any]:
    """Status events since w0 in item order (``_stream_items`` says which items are the
    train's). Datetimes come raw (``reader.instant`` converts the few that are used, not
    one per event)."""
    return (
        select(Event.item_id, raw(Event.at), Event.from_value, Event.to_value)
        .where(Event.field == "status", Event.at >= w0)
        .order_by(Event.item_id, Event.at, Event.id)
    )
