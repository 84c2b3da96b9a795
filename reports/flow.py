"""Flow per team and iteration of the current PI (the PI containing ``as_of``).

Definitions:

* Rows: every train team (by name) plus ``team`` null for unmapped items when there are any,
  times every iteration of the PI that has started by ``as_of``; the running one is
  ``complete: false`` and measured up to ``as_of``.
* **Throughput**: train items that reached done in the iteration. An item's done moment is the
  start of its final stretch in a done category as of ``as_of`` (reopened and re-done counts
  once, in the later iteration; an item not done at ``as_of`` counts nowhere). Items with no
  status history use ``resolved_at``.
* **WIP**: train items in an in-progress category at the iteration's last instant (at
  ``as_of`` for the running iteration).
* **Lead time**: done moment - ``created_at`` of the items in the throughput, in days; the
  median (mean of the two middle values for an even count) and the 85th percentile by the
  nearest-rank method (the smallest value with at least 85 % of the values at or below it:
  the ``ceil(0.85 * n)``-th smallest). Null when nothing was done.
* **Blocked days**: the sum over the team's items of the time they were blocked
  (``reports.blocked`` definition) within the iteration, up to ``as_of``.
* **Velocity drop**: a complete, non-IP iteration whose throughput is below 60 % of the mean
  throughput of the team's three preceding non-IP iterations (which may belong to the previous
  PI). IP iterations are planning time: never flagged and left out of the trailing mean. With
  fewer than three preceding iterations in the calendar, or a mean of 0, nothing is flagged and
  ``trailing_mean`` is null when there are fewer than three.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    or_,
    select,
    type_coerce,
    union,
)
from sqlalchemy.orm import Session

from model.rules import status_category
from model.tables import Event, WorkItem
from model.types import UTCDateTime
from reports.dependencies import analyse
from reports.header import build_header
from reports.hygiene import findings
from reports.state import IterationInfo, ReportContext, StateReader, runs
from reports.views import Finding, Header, days

DROP_RATIO = 0.6
TRAILING = 3
TICK = timedelta(microseconds=1)
STREAM = 2000  # rows per fetch of a streamed query: memory stays flat however long the history


@dataclass(frozen=True, slots=True)
class FlowRow:
    team: str | None
    iteration: str
    start: datetime
    end: datetime
    complete: bool
    throughput: int
    wip: int
    lead_time_median_days: float | None
    lead_time_p85_days: float | None
    blocked_days: float
    trailing_mean: float | None
    velocity_drop: bool


@dataclass(frozen=True, slots=True)
class FlowReport:
    header: Header
    pi: str | None
    rows: tuple[FlowRow, ...]
    hygiene: tuple[Finding, ...]


def flow_report(session: Session, ctx: ReportContext) -> FlowReport:
    reader = StateReader(session, ctx)
    pi = reader.train.pi_at(reader.t)
    if pi is not None:
        reader.widen(pi.start)  # blocked days replay links since the PI began
    header = build_header(session, ctx, reader)
    hygiene = findings(analyse(reader))
    if pi is None:
        return FlowReport(header, None, (), hygiene)
    started = [it for it in pi.iterations if it.start <= reader.t]
    calendar = [it for it in reader.train.iterations if not it.is_ip]
    trailing = {it.id: _trailing(it, calendar) for it in started}
    measured = {it.id: it for it in started}
    for prev in trailing.values():
        measured.update({p.id: p for p in prev or ()})
    iterations = sorted(measured.values(), key=lambda it: it.start)
    w0 = iterations[0].start
    bounds = _wip_bounds(reader, started)
    done, shift = _fold(reader, _traces(reader, w0, list(bounds.values())), bounds)
    done += _resolved_without_history(reader, w0)
    throughput: dict[tuple[int | None, int], list[timedelta]] = defaultdict(list)
    for team, moment, lead in done:
        it = _containing(iterations, moment)
        if it is not None:
            throughput[(team, it.id)].append(lead)
    wip = _wip(reader, bounds, shift)
    blocked = _blocked_days(reader, started, pi.start)
    teams = _teams(reader)
    rows: list[FlowRow] = []
    for team_id in teams:
        for it in started:
            leads = sorted(throughput.get((team_id, it.id), []))
            prev = trailing[it.id]
            mean = (
                sum(len(throughput.get((team_id, p.id), [])) for p in prev) / TRAILING
                if prev is not None
                else None
            )
            complete = it.end <= reader.t
            rows.append(
                FlowRow(
                    team=reader.train.teams.get(team_id) if team_id is not None else None,
                    iteration=it.name,
                    start=it.start,
                    end=it.end,
                    complete=complete,
                    throughput=len(leads),
                    wip=wip.get((team_id, it.id), 0),
                    lead_time_median_days=_median(leads),
                    lead_time_p85_days=_p85(leads),
                    blocked_days=days(blocked.get((team_id, it.id), timedelta())),
                    trailing_mean=round(mean, 1) if mean is not None else None,
                    velocity_drop=bool(
                        complete and not it.is_ip and mean and len(leads) < DROP_RATIO * mean
                    ),
                )
            )
    return FlowReport(header, pi.name, tuple(rows), hygiene)


def _trailing(it: IterationInfo, calendar: Sequence[IterationInfo]) -> list[IterationInfo] | None:
    before = [c for c in calendar if c.start < it.start]
    return before[-TRAILING:] if len(before) >= TRAILING else None


def _containing(iterations: Sequence[IterationInfo], when: datetime) -> IterationInfo | None:
    return next((it for it in iterations if it.start <= when < it.end), None)


def _teams(reader: StateReader) -> list[int | None]:
    """The train's teams by name, then None when some train item has no team of this train."""
    named = sorted(reader.train.teams, key=lambda tid: reader.train.teams[tid])
    orphan = reader.session.scalar(
        select(WorkItem.id)
        .where(
            reader.train_filter(),
            or_(WorkItem.team_id.is_(None), WorkItem.team_id.not_in(named or [-1])),
        )
        .limit(1)
    )
    return [*named, None] if orphan is not None else list(named)


def _team(reader: StateReader, team_id: int | None) -> int | None:
    return team_id if team_id in reader.train.teams else None


@dataclass(frozen=True, slots=True)
class StatusTrace:
    """A train item whose status changed since w0, summarised by SQL (``_trace_query``)."""

    team_id: int | None
    created_at: datetime
    gone: datetime | None  # missing from then on
    in_progress: bool  # the stored category
    done_since: datetime | None  # start of its final done stretch in [w0, T] if done at T
    in_progress_at: tuple[bool, ...]  # at each WIP bound


Done = tuple[int | None, datetime, timedelta]  # team, done moment, lead time
Counts = dict[tuple[int | None, int], int]


def _fold(
    reader: StateReader, traces: Iterable[StatusTrace], bounds: dict[int, datetime]
) -> tuple[list[Done], Counts]:
    """Done moments (>= w0) of items done at T, and the WIP shift per (team, iteration):
    in progress at the bound, less counted in progress by the stored category."""
    done: list[Done] = []
    shift: Counts = defaultdict(int)
    for trace in traces:
        team = _team(reader, trace.team_id)
        since = trace.done_since
        if since is not None and (trace.gone is None or trace.gone > reader.t):
            done.append((team, since, since - trace.created_at))
        for (it_id, b), then in zip(bounds.items(), trace.in_progress_at, strict=True):
            if trace.created_at <= b and (trace.gone is None or trace.gone > b):
                shift[(team, it_id)] += int(then) - int(trace.in_progress)
    return done, shift


def _resolved_without_history(reader: StateReader, w0: datetime) -> list[Done]:
    """Items resolved in ``[w0, T]`` without any status history: resolved_at is all we have.

    Those with a status event since w0 (most) are left out in SQL, the rest by index lookups.
    """
    traced = exists(
        select(Event.id).where(
            Event.item_id == WorkItem.id, Event.field == "status", Event.at >= w0
        )
    )
    query = select(WorkItem.id, WorkItem.team_id, WorkItem.created_at, WorkItem.resolved_at).where(
        reader.train_filter(),
        WorkItem.status_category == "done",
        WorkItem.resolved_at >= w0,
        WorkItem.resolved_at <= reader.t,
        WorkItem.missing.is_(False),
        ~traced,
    )
    resolved = {
        item_id: (team_id, created, stamp)
        for item_id, team_id, created, stamp in reader.session.execute(query)
    }
    with_history = reader.with_events("status", resolved)
    return [
        (_team(reader, team_id), stamp, stamp - created)
        for item_id, (team_id, created, stamp) in resolved.items()
        if item_id not in with_history and stamp is not None
    ]


def _wip_bounds(reader: StateReader, started: Sequence[IterationInfo]) -> dict[int, datetime]:
    """Per started iteration, the instant its WIP is counted at (its last, or T)."""
    return {it.id: min(it.end - TICK, reader.t) for it in started}


def _wip(reader: StateReader, bounds: dict[int, datetime], shift: Counts) -> Counts:
    """In-progress train items per (team, iteration) at each bound: SQL counts the stored
    categories, ``shift`` corrects for the items whose status changed since."""
    sums = [
        func.sum(
            case(
                (
                    and_(
                        WorkItem.created_at <= b,
                        or_(WorkItem.missing.is_(False), WorkItem.missing_since > b),
                    ),
                    1,
                ),
                else_=0,
            )
        )
        for b in bounds.values()
    ]
    counts: Counts = defaultdict(int, shift)
    query = (
        select(WorkItem.team_id, *sums)
        .where(reader.train_filter(), WorkItem.status_category == "in_progress")
        .group_by(WorkItem.team_id)
    )
    for team_id, *values in reader.session.execute(query):
        for it_id, value in zip(bounds, values, strict=True):
            counts[(_team(reader, team_id), it_id)] += int(value or 0)
    return counts


# -- status traces in SQL ----------------------------------------------------------------------


def _traces(reader: StateReader, w0: datetime, bounds: Sequence[datetime]) -> Iterator[StatusTrace]:
    """One trace per train item with a status event at or after w0, streamed from SQL."""
    query = _trace_query(reader, w0, bounds).execution_options(yield_per=STREAM)
    for row in reader.session.connection().execute(query):
        (team_id, created, missing, missing_since, category, trans_rn, trans_at, nd_rn, last_to,
         after_t, *firsts) = row  # fmt: skip
        gone = missing_since if missing_since is not None else (created if missing else None)
        final_done = trans_rn is not None and trans_rn > (nd_rn or 0)
        fallback = last_to if last_to is not None else after_t
        yield StatusTrace(
            team_id,
            created,
            gone,
            category == "in_progress",
            trans_at if final_done else None,
            tuple(bool((f if f is not None else fallback) % 2) for f in firsts),
        )


def _trace_query(reader: StateReader, w0: datetime, bounds: Sequence[datetime]) -> Select[Any]:
    """Per item, from its status events since w0 (numbered ``rn`` in order, ``in_w`` when at
    or before T): the last move into done in [w0, T] (``rn`` and ``at``) and the last move
    out of it (``rn``); ``2 * rn + in progress`` of the last event's to-value in [w0, T], of
    the first after T's from-value, and per bound of the first in ``(bound, T]``'s
    from-value. The status at a bound is that from-value, else the last to-value, else the
    from-value after T (``StatusHistory.status_at``)."""
    ev = _event_steps(reader, w0).subquery()
    in_w = ev.c.at <= reader.t
    into_done = and_(in_w, ev.c.done == 1, ev.c.was_done == 0)

    def pick(condition: ColumnElement[bool], value: Any, fn: Any = func.max) -> Any:
        return fn(case((condition, value)))

    firsts = [pick(and_(in_w, ev.c.at > b), ev.c.rn * 2 + ev.c.prog_from, func.min) for b in bounds]
    per_item = (
        select(
            ev.c.item_id,
            pick(into_done, ev.c.rn).label("trans_rn"),
            type_coerce(pick(into_done, ev.c.at), UTCDateTime()).label("trans_at"),
            pick(and_(in_w, ev.c.done == 0), ev.c.rn).label("nd_rn"),
            pick(in_w, ev.c.rn * 2 + ev.c.prog_to).label("last_to"),
            pick(~in_w, ev.c.rn * 2 + ev.c.prog_from, func.min).label("after_t"),
            *(f.label(f"first_{n}") for n, f in enumerate(firsts)),
        )
        .group_by(ev.c.item_id)
        .subquery()
    )
    return (
        select(
            WorkItem.team_id,
            WorkItem.created_at,
            WorkItem.missing,
            WorkItem.missing_since,
            func.coalesce(WorkItem.status_category, "todo"),
            *(c for c in per_item.c if c.key != "item_id"),
        )
        .join(per_item, per_item.c.item_id == WorkItem.id)
        .order_by(WorkItem.id)
    )


def _event_steps(reader: StateReader, w0: datetime) -> Select[Any]:
    """Status events since w0 of train items, numbered per item, with 0/1 category flags of
    their values (``was_done``: the previous event's to-value, the first one's from-value)."""
    names = _names_by_category(reader, w0)
    done_to = _in_category(Event.to_value, "done", names)
    done_from = _in_category(Event.from_value, "done", names)
    order = (Event.at, Event.id)
    previous = func.lag(done_to).over(partition_by=Event.item_id, order_by=order)
    return (
        select(
            Event.item_id,
            Event.at,
            func.row_number().over(partition_by=Event.item_id, order_by=order).label("rn"),
            done_to.label("done"),
            func.coalesce(previous, done_from).label("was_done"),
            _in_category(Event.to_value, "in_progress", names).label("prog_to"),
            _in_category(Event.from_value, "in_progress", names).label("prog_from"),
        )
        .join(WorkItem, WorkItem.id == Event.item_id)
        .where(reader.train_filter(), Event.field == "status", Event.at >= w0)
    )


def _names_by_category(reader: StateReader, w0: datetime) -> dict[str, dict[int, list[str]]]:
    """category -> train source -> the status names since w0 in that category there."""
    since = and_(Event.field == "status", Event.at >= w0)
    names = union(
        select(Event.from_value.label("name")).where(since),
        select(Event.to_value.label("name")).where(since),
    )
    found: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for (name,) in reader.session.connection().execute(names):
        for source_id in sorted(reader.train_sources):
            category = reader.categories.get((source_id, name or ""))
            category = category if category is not None else status_category(name or "")
            found[category][source_id].append(name or "")
    return found


def _in_category(value: Any, category: str, names: dict[str, dict[int, list[str]]]) -> Any:
    """SQL 0/1: ``value`` (a status name) is in ``category`` for the item it belongs to; the
    item's stored status keeps its stored category (``StateReader.category``)."""
    name = func.coalesce(value, "")
    stored = func.coalesce(WorkItem.status_category, "todo") == category
    by_source = [
        (and_(WorkItem.source_id == source_id, name.in_(listed)), 1)
        for source_id, listed in names.get(category, {}).items()
    ]
    return case(
        (name == func.coalesce(WorkItem.status, ""), case((stored, 1), else_=0)),
        *by_source,
        else_=0,
    )


def _blocked_days(
    reader: StateReader, started: Sequence[IterationInfo], w0: datetime
) -> dict[tuple[int | None, int], timedelta]:
    candidates = reader.blocked_candidates(w0)
    timelines = reader.blocked_timelines(candidates, w0)
    rows = reader.rows(candidates)
    found: dict[tuple[int | None, int], timedelta] = defaultdict(timedelta)
    for item_id, tl in timelines.items():
        row = rows[item_id]
        if not reader.is_train_item(row):
            continue
        team = _team(reader, row.team_id)
        for start, end in runs(tl.blocked):
            s = start if start is not None else w0
            e = end if end is not None else reader.t
            for it in started:
                overlap = min(e, it.end, reader.t) - max(s, it.start)
                if overlap > timedelta():
                    found[(team, it.id)] += overlap
    return found


def _median(values: Sequence[timedelta]) -> float | None:
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return days(values[middle])
    return days((values[middle - 1] + values[middle]) / 2)


def _p85(values: Sequence[timedelta]) -> float | None:
    if not values:
        return None
    return days(values[math.ceil(0.85 * len(values)) - 1])
