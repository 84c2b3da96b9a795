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
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from model.tables import WorkItem
from reports.flow_history import Counts, Done, from_history, team_of
from reports.gcpause import gc_paused
from reports.header import build_header
from reports.hygiene import findings
from reports.pairs import analyse
from reports.state import TICK, IterationInfo, ReportContext, StateReader, runs
from reports.state.stamps import raw
from reports.views import Finding, Header, days, median_days

DROP_RATIO = 0.6
TRAILING = 3


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


@gc_paused  # a million short-lived objects, no cycles: see reports.gcpause
def flow_report(session: Session, ctx: ReportContext) -> FlowReport:
    reader = StateReader(session, ctx)
    pi = reader.train.pi_at(reader.t)
    if pi is not None:
        reader.widen(pi.start)  # blocked days replay links since the PI began
    header = build_header(session, ctx, reader)
    hygiene = findings(analyse(reader, views=False))
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
    candidates = reader.blocked_candidates(pi.start)
    ends = candidates | {lk.blocker_id for lk in reader.links() if lk.blocker_id is not None}
    done, shift, replayed = from_history(reader, w0, bounds, (pi.start, ends))
    done += _resolved_without_history(reader, w0, replayed)
    throughput: dict[tuple[int | None, int], list[timedelta]] = defaultdict(list)
    for team, moment, lead in done:
        it = _containing(iterations, moment)
        if it is not None:
            throughput[(team, it.id)].append(lead)
    wip = _wip(reader, bounds, shift)
    blocked = _blocked_days(reader, started, pi.start, candidates)
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
                    lead_time_median_days=median_days(leads),
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


def _resolved_without_history(
    reader: StateReader, w0: datetime, replayed: Collection[int]
) -> list[Done]:
    """Items resolved in ``[w0, T]`` without any status history: resolved_at is all we have.

    The ``replayed`` ones (status events since w0) are left out first, the rest checked by
    index lookups: an anti-join here is at the mercy of the planner's statistics.
    """
    query = select(
        WorkItem.id, WorkItem.team_id, raw(WorkItem.created_at), raw(WorkItem.resolved_at)
    ).where(
        reader.train_filter(),
        WorkItem.status_category == "done",
        WorkItem.resolved_at >= w0,
        WorkItem.resolved_at <= reader.t,
        WorkItem.missing.is_(False),
    )
    resolved = {
        item_id: (team_id, reader.instant(created), reader.instant(stamp))
        for item_id, team_id, created, stamp in reader.session.execute(query)
        if item_id not in replayed
    }
    with_history = reader.with_events("status", resolved)
    return [
        (team_of(reader, team_id), stamp, stamp - created)
        for item_id, (team_id, created, stamp) in resolved.items()
        if item_id not in with_history
    ]


def _wip_bounds(reader: StateReader, started: Sequence[IterationInfo]) -> dict[int, datetime]:
    """Per started iteration, the instant its WIP is counted at (its last, or T)."""
    return {it.id: min(it.end - TICK, reader.t) for it in started}


def _wip(reader: StateReader, bounds: dict[int, datetime], shift: Counts) -> Counts:
    """In-progress train items per (team, iteration) at each bound: the stored categories
    counted here, ``shift`` corrects for the items whose status changed since."""
    counts: Counts = defaultdict(int, shift)
    for team_id, created, missing, missing_since in reader.stored_in_progress():
        team = team_of(reader, team_id)
        for it_id, b in bounds.items():
            if created <= b and (not missing or (missing_since is not None and missing_since > b)):
                counts[(team, it_id)] += 1
    return counts


def _blocked_days(
    reader: StateReader, started: Sequence[IterationInfo], w0: datetime, candidates: set[int]
) -> dict[tuple[int | None, int], timedelta]:
    timelines = reader.blocked_timelines(candidates, w0)
    rows = reader.rows(candidates)
    found: dict[tuple[int | None, int], timedelta] = defaultdict(timedelta)
    for item_id, tl in timelines.items():
        row = rows[item_id]
        if not reader.is_train_item(row):
            continue
        team = team_of(reader, row.team_id)
        for start, end in runs(tl.blocked):
            s = start if start is not None else w0
            e = end if end is not None else reader.t
            for it in started:
                overlap = min(e, it.end, reader.t) - max(s, it.start)
                if overlap > timedelta():
                    found[(team, it.id)] += overlap
    return found


def _p85(values: Sequence[timedelta]) -> float | None:
    if not values:
        return None
    return days(values[math.ceil(0.85 * len(values)) - 1])
