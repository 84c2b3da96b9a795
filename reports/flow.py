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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from model.tables import WorkItem
from reports.dependencies import analyse
from reports.header import build_header
from reports.hygiene import findings
from reports.state import IterationInfo, ReportContext, StateReader, StatusHistory, runs
from reports.views import Finding, Header, days

DROP_RATIO = 0.6
TRAILING = 3
TICK = timedelta(microseconds=1)


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
    history = reader.status_history(iterations[0].start)
    done = _done_moments(reader, history, iterations[0].start)
    throughput: dict[tuple[int | None, int], list[timedelta]] = defaultdict(list)
    for team, moment, lead in done:
        it = _containing(iterations, moment)
        if it is not None:
            throughput[(team, it.id)].append(lead)
    wip = _wip(reader, history, started)
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


def _done_moments(
    reader: StateReader, history: Sequence[StatusHistory], w0: datetime
) -> list[tuple[int | None, datetime, timedelta]]:
    """(team, done moment, lead time) for train items done at T whose done moment is >= w0."""
    found: list[tuple[int | None, datetime, timedelta]] = []
    for hist in history:
        if not hist.changes or (hist.missing_since is not None and hist.missing_since <= reader.t):
            continue
        was_done = reader.category(hist, hist.changes[0][1]) == "done"
        since: datetime | None = None
        for at, _, to_v in hist.changes:
            now_done = reader.category(hist, to_v) == "done"
            if now_done and not was_done:
                since = at
            elif not now_done:
                since = None
            was_done = now_done
        if since is not None:
            found.append((_team(reader, hist.team_id), since, since - hist.created_at))
    # items resolved in the window without any status history: their resolved_at is all we have
    query = select(WorkItem.id, WorkItem.team_id, WorkItem.created_at, WorkItem.resolved_at).where(
        reader.train_filter(),
        WorkItem.status_category == "done",
        WorkItem.resolved_at >= w0,
        WorkItem.resolved_at <= reader.t,
        WorkItem.missing.is_(False),
    )
    changed = {h.id for h in history}
    resolved = {
        item_id: (team_id, created, stamp)
        for item_id, team_id, created, stamp in reader.session.execute(query)
        if item_id not in changed
    }
    with_history = reader.with_events("status", resolved)
    for item_id, (team_id, created, stamp) in resolved.items():
        if item_id not in with_history and stamp is not None:
            found.append((_team(reader, team_id), stamp, stamp - created))
    return found


def _wip(
    reader: StateReader, history: Sequence[StatusHistory], started: Sequence[IterationInfo]
) -> dict[tuple[int | None, int], int]:
    """In-progress train items per (team, iteration) at each iteration's last instant."""
    bounds = {it.id: min(it.end - TICK, reader.t) for it in started}
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
    counts: dict[tuple[int | None, int], int] = defaultdict(int)
    query = (
        select(WorkItem.team_id, *sums)
        .where(reader.train_filter(), WorkItem.status_category == "in_progress")
        .group_by(WorkItem.team_id)
    )
    for team_id, *values in reader.session.execute(query):
        for it_id, value in zip(bounds, values, strict=True):
            counts[(_team(reader, team_id), it_id)] += int(value or 0)
    for hist in history:
        now = hist.category == "in_progress"
        team = _team(reader, hist.team_id)
        for it_id, b in bounds.items():
            if hist.created_at > b or (hist.missing_since is not None and hist.missing_since <= b):
                continue
            then = reader.category(hist, hist.status_at(b)) == "in_progress"
            counts[(team, it_id)] += int(then) - int(now)
    return counts


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
