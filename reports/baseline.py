"""Stored PI baselines: reading a frozen plan back, listing them, and choosing the baseline.

A stored baseline (``trainyard baseline create``) copies each planned feature's ITEM and each
dependency's ends and health, so drift against it needs none of the history it was built from:
an issue deleted since still shows as planned then (and as "left the train" now).

``--baseline`` names a stored baseline of the PI, or an instant (then the plan is reconstructed
from history at that instant); without it the PI's default baseline is reconstructed
(:func:`reports.plan.default_baseline_at`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from model.tables import PI, BaselineDependency, BaselineItem, PIBaseline
from reports.plan import (
    DepKey,
    Plan,
    PlannedDependency,
    PlannedItem,
    default_baseline_at,
    find_pi,
    plan_at,
)
from reports.state import ReportContext, ReportError, TrainInfo, load_train
from reports.views import ItemView, Ref


@dataclass(frozen=True, slots=True)
class StoredBaseline:
    pi: str
    name: str
    at: datetime
    created_at: datetime
    features: int
    dependencies: int


def stored_baselines(
    session: Session, train: TrainInfo, pi: str | None = None
) -> list[StoredBaseline]:
    """The train's stored baselines (of one PI), in PI and time order."""
    features = (
        select(func.count(BaselineItem.id))
        .where(BaselineItem.baseline_id == PIBaseline.id)
        .scalar_subquery()
    )
    deps = (
        select(func.count(BaselineDependency.id))
        .where(BaselineDependency.baseline_id == PIBaseline.id)
        .scalar_subquery()
    )
    query = (
        select(PI.name, PIBaseline.name, PIBaseline.at, PIBaseline.created_at, features, deps)
        .join(PI, PI.id == PIBaseline.pi_id)
        .where(PI.train_id == train.id)
        .order_by(PI.start, PIBaseline.at, PIBaseline.name)
    )
    if pi is not None:
        query = query.where(PI.name == pi)
    return [StoredBaseline(*row) for row in session.execute(query)]


def load_stored(session: Session, train: TrainInfo, pi: str, name: str) -> Plan | None:
    """The stored baseline ``name`` of ``pi`` as a plan (None: there is none of that name)."""
    row = session.scalar(
        select(PIBaseline)
        .join(PI, PI.id == PIBaseline.pi_id)
        .where(PI.train_id == train.id, PI.name == pi, PIBaseline.name == name)
    )
    if row is None:
        return None
    items: dict[Ref, PlannedItem] = {}
    for it in row.items:
        view = ItemView(
            it.source, it.key, it.tracker_id, it.title, it.url, it.team, it.status,
            it.status_category, it.iteration, False,
        )  # fmt: skip
        items[view.ref] = PlannedItem(view, it.type, pi, it.iteration_seq)
    deps: dict[DepKey, PlannedDependency] = {}
    for d in row.dependencies:
        dep = PlannedDependency(
            _end(d.blocker_source, d.blocker_key, items),
            _end(d.blocked_source, d.blocked_key, items),
            d.health,
            d.created_at,
        )
        deps[dep.key] = dep
    return Plan(pi, row.at, items, deps, dict(items), name)


def _end(source: str, key: str, items: dict[Ref, PlannedItem]) -> ItemView:
    """A dependency end: the planned feature's ITEM, else what the baseline kept (its REF; the
    ITEM then says ``outside_train`` as for any end the snapshot holds no row of)."""
    planned = items.get(Ref(source, key))
    return (
        planned.item if planned else ItemView(source, key, "", "", "", None, "", "todo", None, True)
    )


def choose_baseline(
    session: Session,
    ctx: ReportContext,
    pi: str,
    spec: str | None,
    parse_time: Callable[[str], datetime | None],
) -> Plan:
    """The baseline ``spec`` names: a stored baseline of the PI, else an instant
    (``parse_time`` gives None for text that is no time), else the PI's default."""
    train = load_train(session, ctx.train)
    info = find_pi(train, pi)
    if spec is not None:
        stored = load_stored(session, train, pi, spec)
        if stored is not None:
            return stored
        at = parse_time(spec)
        if at is None:
            names = ", ".join(b.name for b in stored_baselines(session, train, pi)) or "none"
            raise BaselineChoiceError(
                f"--baseline {spec!r} is neither a stored baseline of {pi} nor a time; "
                f"stored baselines: {names} (or give a time such as 2026-10-06T09:00)"
            )
    else:
        at = default_baseline_at(session, train, info)
    if at > ctx.now:
        raise BaselineChoiceError(
            f"the baseline of {pi} is at {at.isoformat()}, which has not come yet; "
            "pass --baseline with an earlier time"
        )
    return plan_at(session, ctx, pi, at)


class BaselineChoiceError(ReportError):
    """The baseline asked for does not exist, lies in the future or after ``--as-of``: a usage
    error (exit 2) rather than a failed run."""
