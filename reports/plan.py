"""A PI's plan at an instant: the features planned in its iterations and their dependencies.

The plan is what the board showed then, rebuilt from the event history through the one reader
(:class:`reports.state.StateReader`) and the one dependency analysis
(:func:`reports.pairs.analyse` / :func:`reports.pairs.health`), so it follows
their rules for planned iteration and health exactly:

* **Features**: train items of type ``feature`` or ``epic`` (``LEVEL_TYPES``) whose planned
  iteration at the instant lies in the PI. ``known`` also keeps the features asked for by REF
  as they stood then, planned elsewhere, unplanned or outside the train: drift needs to know
  where a baseline feature went.
* **Dependencies**: the open dependencies at the instant with at least one end among the
  planned features, with their health then and ``created_at`` (when the link was last added).
* The **default baseline** of a PI is its plan at ``pis.baseline_at`` (the config's
  ``baseline_at``), else at the end of the PI's first day: midnight after it, train time zone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from model.tables import PI, Event, WorkItem
from reports.pairs import Analysis, analyse, health
from reports.state import PIInfo, ReportContext, ReportError, StateReader, TrainInfo
from reports.views import ItemView, Ref

LEVEL_TYPES = ("epic", "feature")
DepKey = tuple[Ref, Ref]  # (blocker, blocked)


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """A feature as it stood: its ITEM, type, and the PI and iteration number it was planned in."""

    item: ItemView
    type: str
    pi: str | None
    seq: int | None  # the iteration's number within ``pi`` (1-based)
    created_at: datetime | None = None  # None for a stored baseline's copy

    @property
    def ref(self) -> Ref:
        return self.item.ref


@dataclass(frozen=True, slots=True)
class PlannedDependency:
    blocker: ItemView
    blocked: ItemView
    health: str
    created_at: datetime

    @property
    def key(self) -> DepKey:
        return (self.blocker.ref, self.blocked.ref)


@dataclass(frozen=True, slots=True)
class Plan:
    """The plan of ``pi`` at ``at``; ``name`` is set for a stored (frozen) baseline."""

    pi: str
    at: datetime
    items: dict[Ref, PlannedItem]
    dependencies: dict[DepKey, PlannedDependency]
    known: dict[Ref, PlannedItem] = field(default_factory=dict)
    name: str | None = None


def find_pi(train: TrainInfo, name: str) -> PIInfo:
    """The PI named exactly ``name``, or ``ReportError`` listing the known ones."""
    for pi in train.pis:
        if pi.name == name:
            return pi
    known = ", ".join(pi.name for pi in train.pis) or "none"
    raise ReportError(f"no PI named {name!r} in train {train.name!r}; known PIs: {known}")


def default_baseline_at(session: Session, train: TrainInfo, pi: PIInfo) -> datetime:
    """The configured ``baseline_at`` of the PI, else the midnight that ends its first day."""
    stored = session.scalar(
        select(PI.baseline_at).where(PI.train_id == train.id, PI.name == pi.name)
    )
    if stored is not None:
        return stored
    first_day = pi.start.astimezone(train.tz).date()
    return datetime.combine(first_day + timedelta(days=1), time(0), tzinfo=train.tz).astimezone(UTC)


def plan_at(session: Session, ctx: ReportContext, pi_name: str, at: datetime) -> Plan:
    """The plan of PI ``pi_name`` as the history stood at ``at``."""
    plan, _ = plan_with_analysis(session, ctx, pi_name, at)
    return plan


def plan_with_analysis(
    session: Session,
    ctx: ReportContext,
    pi_name: str,
    at: datetime,
    also: Collection[Ref] = (),
    shared: Analysis | None = None,
) -> tuple[Plan, Analysis]:
    """The plan and the dependency analysis it was read from (hygiene findings come from it).

    ``known`` holds the planned features plus the features named in ``also`` (wherever they
    are: drift asks where the baseline's features went). ``shared``: an analysis at ``at``
    already made (the board's), reused instead of reading the links again."""
    if shared is not None and shared.reader.t == at:
        reader, analysis = shared.reader, shared
    else:
        reader = StateReader(session, replace(ctx, as_of=at, now=max(ctx.now, at)))
        analysis = None
    find_pi(reader.train, pi_name)
    known = _features(reader, pi_name, also)
    items = {ref: p for ref, p in known.items() if p.pi == pi_name and not p.item.outside_train}
    analysis = analysis if analysis is not None else analyse(reader)
    deps: dict[DepKey, PlannedDependency] = {}
    for pair in analysis.pairs:
        if not pair.open:
            continue
        blocker = analysis.view(pair.blocker, pair.link)
        blocked = analysis.view(pair.blocked, pair.link)
        if blocker.ref not in items and blocked.ref not in items:
            continue
        dep = PlannedDependency(blocker, blocked, health(analysis, pair), pair.created_at)
        deps[dep.key] = dep
    return Plan(pi_name, reader.t, items, deps, known), analysis


def _features(reader: StateReader, pi: str, also: Collection[Ref]) -> dict[Ref, PlannedItem]:
    """Feature-level items of the train's sources existing at T that may be planned in ``pi``
    at T, plus those named in ``also``; the reader then says exactly where each stood.

    May be planned in the PI at T (a superset, in SQL): the stored sprint maps into the PI, or
    the sprint changed after T (so the stored one says nothing about T)."""
    sprints = [sid for sid, it in reader.sprint_iteration.items() if it.pi == pi]
    moved = exists(
        select(Event.id).where(
            Event.item_id == WorkItem.id, Event.field == "sprint", Event.at > reader.t
        )
    )
    names = {name: sid for sid, name in reader.source_names.items()}
    named = [
        and_(WorkItem.source_id == names[ref.source], WorkItem.key == ref.key)
        for ref in also
        if ref.source in names
    ]
    query = select(WorkItem.id, WorkItem.type).where(
        WorkItem.type.in_(LEVEL_TYPES),
        WorkItem.source_id.in_(sorted(reader.train_sources)),
        WorkItem.created_at <= reader.t,
        or_(WorkItem.sprint_id.in_(sprints), moved, *named),
    )
    types = dict(reader.session.execute(query).all())
    found: dict[Ref, PlannedItem] = {}
    for item_id, state in reader.states(list(types)).items():
        view = reader.view(state)
        it = state.iteration
        found[view.ref] = PlannedItem(
            view,
            types[item_id],
            it.pi if it else None,
            it.seq if it else None,
            state.row.created_at,
        )
    return found
