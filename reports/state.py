"""The train as it stood at any instant, rebuilt from stored rows and their event history.

Every report reads through :class:`StateReader`; nothing else in ``reports`` writes SQL.

How a value is known at instant T (the event semantics the sync engine guarantees):

* A work item exists at T iff ``created_at <= T``; it is missing from ``missing_since`` on.
* An item field (status, flag, sprint) at T is the ``from_value`` of the field's first event
  after T; with no later event it is the stored (current) value. On a consistent history this is
  the ``to_value`` of the last event at or before T, and before the first event that event's
  ``from_value``, as the engine documents; reading backwards from the stored row means a report
  as of now needs no history at all, and one as of T reads only the events after T.
* Labels at T: the stored labels with every later label event undone (only the configured
  blocked labels are tracked).
* A link is present at T iff its last link event at or before T is "added" (links without any
  event fall back to ``created_at``/``removed_at``). A dependency's ``created_at`` is the start
  of the link's current presence: a link removed and re-added ages from its re-adding.
* Status categories come from ``status_categories`` (per source), else ``model.rules``; the
  stored status keeps its stored category.
* Team: the stored ``team_id`` (teams have no history).
* Iteration: the tracker sprint at T mapped to a train iteration (``tracker_sprints``); when an
  item sits in several sprints, the one mapped to the latest iteration counts.

Time windows ``[w0, T]`` carry a value "as it stood just before w0" plus every change in the
window, so blocked episodes and flow figures replay exactly what happened in between. Queries
are pushed into SQL and restricted to the items a report needs, in chunks; no report loads the
whole history.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any, Generic, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from model.rules import status_category
from model.tables import (
    PI,
    Event,
    Iteration,
    Link,
    Source,
    StatusCategoryRow,
    Team,
    TrackerSprint,
    Train,
    WorkItem,
)
from reports.views import ItemView

CHUNK = 2000  # ids per IN list: well inside SQLite's and PostgreSQL's parameter limits
TICK = timedelta(microseconds=1)
IDS: BindParameter[list[int]] = bindparam(
    "ids", expanding=True
)  # one compiled statement for every chunk of ids
NO_LABELS: frozenset[str] = frozenset()
V = TypeVar("V")
W = TypeVar("W")
Node = int | tuple[str, str]  # a stored item's id, or (tracker, key) of an end not stored
EventRow = tuple[datetime, str | None, str | None, str | None]  # at, from, to, detail
Found = tuple[str | None, str | None, str | None]  # from, to, detail


class ReportError(ValueError):
    """The report cannot be computed from what is stored (e.g. the train is unknown)."""


@dataclass(frozen=True, slots=True)
class ReportContext:
    """Everything a report needs besides the database, built by the CLI from the config.

    ``sources``: names of the train's sources (None: every stored source). ``now`` is when the
    report is generated; ``as_of`` the instant it describes (``as_of <= now``).
    """

    train: str
    as_of: datetime
    now: datetime
    blocked_flagged: bool = True
    blocked_statuses: tuple[str, ...] = ("Blocked",)
    blocked_labels: tuple[str, ...] = ("blocked",)
    sync_interval_minutes: int = 15
    sources: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("as_of", "now"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None:
                raise ValueError(f"ReportContext.{name} must be an aware datetime")
            object.__setattr__(self, name, value.astimezone(UTC))

    @property
    def status_set(self) -> frozenset[str]:
        return frozenset(s.casefold() for s in self.blocked_statuses)

    @property
    def label_set(self) -> frozenset[str]:
        return frozenset(label.casefold() for label in self.blocked_labels)


# -- the calendar ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IterationInfo:
    """A train iteration as UTC instants ``[start, end)`` (local days in the train's zone)."""

    id: int
    name: str
    pi: str
    seq: int
    is_ip: bool
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class PIInfo:
    name: str
    start: datetime
    end: datetime
    iterations: tuple[IterationInfo, ...]


@dataclass(frozen=True, slots=True)
class TrainInfo:
    id: int
    name: str
    tz: ZoneInfo
    teams: dict[int, str]
    pis: tuple[PIInfo, ...]

    @property
    def iterations(self) -> tuple[IterationInfo, ...]:
        return tuple(it for pi in self.pis for it in pi.iterations)

    def pi_at(self, at: datetime) -> PIInfo | None:
        return next((pi for pi in self.pis if pi.start <= at < pi.end), None)


def _local_midnight(day: Any, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def load_train(session: Session, name: str) -> TrainInfo:
    train = session.scalar(select(Train).where(Train.name == name))
    if train is None:
        raise ReportError(f"train {name!r} is not in the database; run a sync or check the config")
    tz = ZoneInfo(train.timezone)
    teams = dict(session.execute(select(Team.id, Team.name).where(Team.train_id == train.id)).all())
    pis: list[PIInfo] = []
    for pi in session.scalars(select(PI).where(PI.train_id == train.id).order_by(PI.start)):
        its = tuple(
            IterationInfo(
                id=it.id,
                name=it.name,
                pi=pi.name,
                seq=it.seq,
                is_ip=it.is_ip,
                start=_local_midnight(it.start, tz),
                end=_local_midnight(it.end, tz),
            )
            for it in session.scalars(
                select(Iteration).where(Iteration.pi_id == pi.id).order_by(Iteration.seq)
            )
        )
        pis.append(PIInfo(pi.name, _local_midnight(pi.start, tz), _local_midnight(pi.end, tz), its))
    return TrainInfo(train.id, train.name, tz, teams, tuple(pis))


# -- step functions ------------------------------------------------------------------------------


@dataclass(slots=True)
class Steps(Generic[V]):
    """A value over a window ``[w0, T]``: ``initial`` just before w0, then ``changes`` in order.

    The value at instant x is the last change at or before x, else ``initial``.
    """

    initial: V
    changes: list[tuple[datetime, V]] = field(default_factory=list)

    def at(self, when: datetime) -> V:
        index = bisect.bisect_right([at for at, _ in self.changes], when)
        return self.changes[index - 1][1] if index else self.initial

    @property
    def final(self) -> V:
        return self.changes[-1][1] if self.changes else self.initial

    def map(self, fn: Callable[[V], W]) -> Steps[W]:
        if not self.changes:
            return Steps(fn(self.initial))
        return Steps(fn(self.initial), [(at, fn(value)) for at, value in self.changes])


def combine(parts: Sequence[Steps[Any]], fn: Callable[[list[Any]], V]) -> Steps[V]:
    """The step function ``fn(values of parts)``, changing only where its value changes."""
    values = [p.initial for p in parts]
    out: Steps[V] = Steps(fn(values))
    if not any(p.changes for p in parts):  # most parts hold still over a window
        return out
    merged = sorted((at, index, value) for index, p in enumerate(parts) for at, value in p.changes)
    i = 0
    while i < len(merged):
        at = merged[i][0]
        while i < len(merged) and merged[i][0] == at:
            values[merged[i][1]] = merged[i][2]
            i += 1
        now = fn(values)
        if now != out.final:
            out.changes.append((at, now))
    return out


def runs(steps: Steps[bool]) -> list[tuple[datetime | None, datetime | None]]:
    """The true runs as ``(start, end)``; start None = already true before w0, end None = at T."""
    found: list[tuple[datetime | None, datetime | None]] = []
    start: datetime | None = None
    on = steps.initial
    for at, value in steps.changes:
        if value and not on:
            start, on = at, True
        elif on and not value:
            found.append((start, at))
            on = False
    if on:
        found.append((start, None))
    return found


def steps_from_intervals(
    intervals: Sequence[tuple[datetime, datetime | None]], w0: datetime, t: datetime
) -> Steps[bool]:
    """Presence intervals ``[start, end)`` as a step function over ``[w0, t]``."""
    initial = any(s < w0 and (e is None or e >= w0) for s, e in intervals)
    points: list[tuple[datetime, bool]] = []
    for s, e in intervals:
        if w0 <= s <= t:
            points.append((s, True))
        if e is not None and w0 <= e <= t:
            points.append((e, False))
    points.sort(key=lambda p: (p[0], p[1]))
    out = Steps(initial)
    for at, value in points:
        if out.changes and out.changes[-1][0] == at:
            out.changes[-1] = (at, value)
        elif value != out.final:
            out.changes.append((at, value))
    return out


# -- stored rows -------------------------------------------------------------------------------


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
    WorkItem.created_at,
    WorkItem.in_scope,
    WorkItem.flagged,
    WorkItem.flag_reason,
    WorkItem.labels,
    WorkItem.missing,
    WorkItem.missing_since,
    WorkItem.history_pending,
)


def _item_row(raw: Sequence[Any]) -> ItemRow:
    (id_, source_id, tracker_id, key, url, title, team_id, status, category, sprint_id,
     created_at, in_scope, flagged, flag_reason, labels, missing, missing_since,
     pending) = raw  # fmt: skip
    gone = missing_since if missing_since is not None else (created_at if missing else None)
    return ItemRow(
        id_, source_id, tracker_id, key, url or "", title or "", team_id, status or "",
        category or "todo", sprint_id, created_at, bool(in_scope), bool(flagged), flag_reason,
        tuple(labels or ()), gone, bool(pending),
    )  # fmt: skip


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
        return any(s <= when and (e is None or e > when) for s, e in self.presence)

    def added_before(self, when: datetime) -> datetime | None:
        """Start of the presence that holds at ``when`` (None: absent then)."""
        return next((s for s, e in self.presence if s <= when and (e is None or e > when)), None)

    def touches(self, w0: datetime) -> bool:
        """Present at some instant of ``[w0, T]``."""
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


# -- the reader --------------------------------------------------------------------------------


class StateReader:
    """Reads the train as of ``ctx.as_of``; caches the link table and item rows it has read."""

    REASONS = ("flagged", "status", "label", "dependency")

    def __init__(
        self, session: Session, ctx: ReportContext, horizon: datetime | None = None
    ) -> None:
        """``horizon``: the earliest instant any caller asks link presence for (default T)."""
        self.session = session
        self.ctx = ctx
        self.t = ctx.as_of
        self.horizon = min(horizon, self.t) if horizon is not None else self.t
        self.train = load_train(session, ctx.train)
        rows = session.execute(select(Source.id, Source.name, Source.kind)).all()
        self.source_names = {sid: name for sid, name, _ in rows}
        self.source_kinds = {sid: kind for sid, _, kind in rows}
        wanted = set(ctx.sources) if ctx.sources is not None else None
        self.train_sources = frozenset(
            sid for sid, name, _ in rows if wanted is None or name in wanted
        )
        self.categories = {
            (sid, status): category
            for sid, status, category in session.execute(
                select(
                    StatusCategoryRow.source_id,
                    StatusCategoryRow.status,
                    StatusCategoryRow.category,
                )
            )
        }
        iterations = {it.id: it for it in self.train.iterations}
        self.sprint_iteration: dict[int, IterationInfo] = {}
        self.tracker_sprint_iteration: dict[tuple[int, str], IterationInfo] = {}
        for sprint_id, source_id, tracker_id, iteration_id in session.execute(
            select(
                TrackerSprint.id,
                TrackerSprint.source_id,
                TrackerSprint.tracker_id,
                TrackerSprint.iteration_id,
            )
        ):
            if iteration_id in iterations:
                self.sprint_iteration[sprint_id] = iterations[iteration_id]
                self.tracker_sprint_iteration[(source_id, tracker_id)] = iterations[iteration_id]
        self._rows: dict[int, ItemRow] = {}
        self._snaps: dict[int, Snap] = {}
        self._states: dict[int, ItemState] = {}
        self._links: list[LinkRow] | None = None

    def _exec(self, query: Any) -> Any:
        """Execute on the session's connection: plain rows, no ORM loading on the way."""
        return self.session.connection().execute(query)

    def _run(self, query: Any, batch: list[int]) -> Any:
        """Execute a query over one chunk of ids (``IDS``: an expanding, cached IN list); the
        rows are fetched at once (row by row costs a driver call each)."""
        return self.session.connection().execute(query, {"ids": batch}).all()

    # -- basic predicates --------------------------------------------------------------------

    def category(self, row: ItemRow, status: str) -> str:
        if status == row.status:
            return row.category
        found = self.categories.get((row.source_id, status))
        return found if found is not None else status_category(status)

    def is_train_item(self, row: ItemRow) -> bool:
        """In the train's scope at T: a train source's in-scope item that exists and is not gone."""
        return (
            row.in_scope
            and row.source_id in self.train_sources
            and row.created_at <= self.t
            and (row.missing_since is None or row.missing_since > self.t)
        )

    def train_filter(self) -> ColumnElement[bool]:
        """SQL for "a train item that exists at T" (missing items are dropped in Python)."""
        return and_(
            WorkItem.in_scope.is_(True),
            WorkItem.source_id.in_(sorted(self.train_sources)),
            WorkItem.created_at <= self.t,
        )

    # -- rows and events -----------------------------------------------------------------------

    def rows(self, ids: Collection[int]) -> dict[int, ItemRow]:
        """Stored rows for ``ids`` (cached across calls)."""
        todo = [i for i in ids if i not in self._rows]
        for batch in chunks(todo):
            query = select(*ITEM_COLUMNS).where(WorkItem.id.in_(IDS))
            for raw in self._run(query, batch):
                row = _item_row(raw)
                self._rows[row.id] = row
        return {i: self._rows[i] for i in ids if i in self._rows}

    def _first_after(
        self, field_name: str, ids: Collection[int], after: datetime
    ) -> dict[int, Found]:
        """Per item, (from, to, detail) of the field's first event strictly after ``after``."""
        found: dict[int, Found] = {}
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
        """Per item, the field's events from ``w0`` on (up to T when ``to_t``), in order."""
        found: dict[int, list[EventRow]] = defaultdict(list)
        for batch in chunks(ids):
            query = select(
                Event.item_id, Event.at, Event.from_value, Event.to_value, Event.detail
            ).where(Event.field == field_name, Event.at >= w0, Event.item_id.in_(IDS))
            if to_t:
                query = query.where(Event.at <= self.t)
            if extra is not None:
                query = query.where(extra)
            ordered = query.order_by(Event.item_id, Event.at, Event.id)
            for item_id, at, from_v, to_v, detail in self._run(ordered, batch):
                found[cast(int, item_id)].append((at, from_v, to_v, detail))
        return found

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

    def status_steps(self, ids: Collection[int], w0: datetime) -> dict[int, Steps[str]]:
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
        extra = or_(_folds_to(Event.to_value, wanted), _folds_to(Event.from_value, wanted))
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

    def iteration_at(self, ids: Collection[int]) -> dict[int, IterationInfo | None]:
        rows = self.rows(ids)
        later = self._first_after("sprint", ids, self.t)
        out: dict[int, IterationInfo | None] = {}
        for item_id, row in rows.items():
            if item_id in later:
                out[item_id] = self._iteration_of(row.source_id, later[item_id][0])
            else:
                out[item_id] = self.sprint_iteration.get(row.sprint_id) if row.sprint_id else None
        return out

    def _iteration_of(self, source_id: int, sprints: str | None) -> IterationInfo | None:
        mapped = [
            self.tracker_sprint_iteration[(source_id, s.strip())]
            for s in (sprints or "").split(",")
            if (source_id, s.strip()) in self.tracker_sprint_iteration
        ]
        return max(mapped, key=lambda it: it.start) if mapped else None

    # -- items at T ----------------------------------------------------------------------------

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

    def states(self, ids: Collection[int]) -> dict[int, ItemState]:
        """Items at T, as shown in reports (items not yet created at T are left out; cached)."""
        todo = [i for i in ids if i not in self._states]
        snaps = self.snapshot(todo)
        rows = self.rows(list(snaps))
        reasons = self.flag_reasons([i for i, snap in snaps.items() if snap.flagged])
        iterations = self.iteration_at(list(snaps))
        for item_id, snap in snaps.items():
            row = rows[item_id]
            self._states[item_id] = ItemState(
                row=row,
                status=snap.status,
                category=snap.category,
                iteration=iterations.get(item_id),
                flagged=snap.flagged,
                flag_reason=reasons.get(item_id),
                labels=snap.labels,
                team=self.train.teams.get(row.team_id) if row.team_id is not None else None,
                outside=not self.is_train_item(row),
            )
        return {i: self._states[i] for i in ids if i in self._states}

    def view(self, state: ItemState) -> ItemView:
        row = state.row
        return ItemView(
            source=self.source_names.get(row.source_id, ""),
            key=row.key,
            id=row.tracker_id,
            title=row.title,
            url=row.url,
            team=state.team,
            status=state.status,
            status_category=state.category,
            iteration=state.iteration.name if state.iteration else None,
            outside_train=state.outside,
            provisional=row.provisional,
        )

    @staticmethod
    def unstored_view(tracker: str, key: str, url: str) -> ItemView:
        return ItemView(tracker, key, "", "", url, None, "", "todo", None, True)

    # -- links -------------------------------------------------------------------------------------

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

    def _load_links(self, which: ColumnElement[bool]) -> list[LinkRow]:
        """The links ``which`` selects with their link events up to T, in one query: ``which``
        (correlated lookups on both ends) is evaluated once, not once for links and again for
        their events."""
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
                Link.created_at,
                Link.removed_at,
                Event.at,
                Event.to_value,
            )
            .outerjoin(
                Event,
                and_(Event.link_id == Link.id, Event.field == "link", Event.at <= self.t),
            )
            .where(Link.kind == "blocks", which)
            .order_by(Link.id, Event.at, Event.id)
        )
        raw: list[Sequence[Any]] = []
        history: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
        for link_id, group in groupby(self._exec(query).all(), key=itemgetter(0)):
            events = list(group)
            raw.append(events[0][:13])
            if events[0][13] is not None:
                history[link_id] = [(at, (to_v or "").casefold()) for *_, at, to_v in events]
        unexplained = [r[0] for r in raw if r[0] not in history]
        later = self._first_link_event_after(unexplained)
        found: list[LinkRow] = []
        for (link_id, source_id, origin, b_id, b_tr, b_key, b_url, d_id, d_tr, d_key, d_url,
             created_at, removed_at) in raw:  # fmt: skip
            presence = _presence(
                history.get(link_id), later.get(link_id), created_at, removed_at, self.t
            )
            if presence:
                found.append(LinkRow(
                    link_id, source_id, origin, b_id, b_tr, b_key, b_url or "", d_id, d_tr, d_key,
                    d_url or "", presence,
                ))  # fmt: skip
        return found

    def _first_link_event_after(self, link_ids: Collection[int]) -> dict[int, str]:
        found: dict[int, str] = {}
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

    # -- who might be blocked ------------------------------------------------------------------

    def blocked_candidates(self, w0: datetime) -> set[int]:
        """Train items that may be blocked at some instant of ``[w0, T]`` (a superset, by SQL).

        An item not flagged now with no flag event since w0 was never flagged in the window,
        and so on for blocked statuses and labels; an item currently done with no status
        change since w0 was done throughout. Each reason is one small query (the stored
        column, or a range of events since w0); the union is then checked in chunks.
        """
        ctx = self.ctx
        self.widen(w0)
        possible: set[int] = set()
        if ctx.blocked_flagged:
            possible |= self._ids(WorkItem.flagged.is_(True), "flagged", w0, None)
        statuses = sorted(ctx.status_set)
        if statuses:
            now = _folds_to(WorkItem.status, statuses)
            touched = or_(
                _folds_to(Event.to_value, statuses), _folds_to(Event.from_value, statuses)
            )
            possible |= self._ids(now, "status", w0, touched)
        labels = sorted(ctx.label_set)
        if labels:
            carries = or_(*(_json_has(label) for label in labels))
            touched = or_(_folds_to(Event.to_value, labels), _folds_to(Event.from_value, labels))
            possible |= self._ids(carries, "label", w0, touched)
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

    def not_surely_done(self, ids: Collection[int]) -> set[int]:
        """Those of ``ids`` that may not be done at T: not done now, or their status changed
        after T, or created after T (SQL; the rest were done at T)."""
        maybe = or_(
            WorkItem.status_category != "done",
            WorkItem.created_at > self.t,
            self._has_event("status", self.t + TICK),
        )
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

    def _ids(
        self,
        stored: ColumnElement[bool],
        field_name: str,
        w0: datetime,
        touched: ColumnElement[bool] | None,
    ) -> set[int]:
        """Items whose stored row matches, or with a matching ``field_name`` event since w0."""
        found = set(self._exec(select(WorkItem.id).where(stored)).scalars())
        events = select(Event.item_id).where(Event.field == field_name, Event.at >= w0)
        if touched is not None:
            events = events.where(touched)
        found.update(i for i in self._exec(events.distinct()).scalars() if i is not None)
        return found

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
        self.widen(w0)  # links removed before w0 matter to a replay from w0
        rows = self.rows(ids)
        ids = [i for i in ids if i in rows]
        incoming: dict[int, list[LinkRow]] = defaultdict(list)
        for link in self.links():
            if link.blocked_id in rows and link.touches(w0):
                incoming[link.blocked_id].append(link)
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
            own = status[item_id].map(lambda s, row=row: classify(row, s))  # type: ignore[misc]
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
        if cached is None:
            row = blocker_rows[blocker]
            cached = status[blocker].map(lambda s: self.category(row, s) != "done")
            if not_done is not None:
                not_done[blocker] = cached
        if not cached.changes:  # the blocker's state held still over the window
            return present if cached.initial else Steps(False)
        return combine([present, cached], all)

    def open_steps(self, links: Sequence[LinkRow], w0: datetime) -> dict[int, Steps[bool]]:
        """Per link id, whether it was an open dependency over ``[w0, T]``."""
        self.widen(w0)
        blocker_ids = {lk.blocker_id for lk in links if lk.blocker_id is not None}
        rows = self.rows(blocker_ids)
        status = self.status_steps(list(rows), w0)
        return {lk.id: self._open_steps(lk, status, rows, w0) for lk in links}


def _blocked_now(v: list[Any]) -> bool:
    """alive, (done, blocked status), flagged, labelled, *open dependencies -> blocked."""
    return bool(v[0] and not v[1][0] and (v[1][1] or v[2] or v[3] or any(v[4:])))


def _apply_label(
    state: set[str], removed: str | None, added: str | None, wanted: frozenset[str]
) -> None:
    """Apply one label event; labels keep their spelling ("Blocked" and "blocked" are two)."""
    if removed and removed.casefold() in wanted:
        state.discard(removed)
    if added and added.casefold() in wanted:
        state.add(added)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ascii_skeleton(pattern: str) -> str:
    """A LIKE pattern with every run of non-ASCII characters as ``%``.

    SQL ``lower()``/``ILIKE`` fold ASCII only (SQLite always, PostgreSQL under the C collation)
    and JSON may store "É" as ``\\u00c9``: only the ASCII letters can be compared in SQL.
    """
    return re.sub(r"[^\x00-\x7f]+", "%", pattern)


def _folds_to(column: Any, names: Collection[str]) -> ColumnElement[bool]:
    """SQL superset of ``column.casefold() in names`` (``names`` casefolded, not empty).

    ASCII names compare through ``lower()``; others through a case-insensitive LIKE on their
    ASCII skeleton. Callers confirm every match in Python with ``casefold``.
    """
    plain = sorted(n for n in names if n.isascii())
    other = sorted(n for n in names if not n.isascii())
    parts: list[ColumnElement[bool]] = [func.lower(column).in_(plain)] if plain else []
    parts.extend(column.ilike(_ascii_skeleton(_like_escape(n)), escape="\\") for n in other)
    return or_(*parts)


def _json_has(label: str) -> ColumnElement[bool]:
    """SQL: the stored JSON label list may contain ``label`` (case-insensitive superset test)."""
    encoded = _like_escape(json.dumps(label, ensure_ascii=False)[1:-1]).lower()
    text = func.lower(func.cast(WorkItem.labels, _text_type()))
    return text.like(f'%"{_ascii_skeleton(encoded)}"%', escape="\\")


def _text_type() -> Any:
    from sqlalchemy import Text

    return Text()


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
